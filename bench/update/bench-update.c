/* bench-update: following one device's change alone against probing everything again. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench/gen-tree.h"
#include "daemon/monitor.h"
#include "lib/iommucap.h"
#include "lib/macro.h"

/*
 * Each round removes one endpoint the way the kernel does (its unit's devices/<dev> link, its
 * bus link, its group with its last device, its directory), then puts it back; after each step
 * the daemon's two ways of following it are timed in CPU time, one after the other:
 *   full:   iommucap_probe() of the whole tree, both documents, monitor_diff() (before)
 *   update: iommucap_host_update_devices() of that device, monitor_diff() of what it touched
 * and the update's model and events are checked against the full probe's: they must be equal.
 */

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static json_t *doc_of(const struct iommucap_host *h)
{
	json_t *doc = NULL;

	if (iommucap_host_to_json(h, &doc) < 0)
		return NULL;
	json_object_del(doc, "generated_at");
	return doc;
}

static int fail(const char *what)
{
	fprintf(stderr, "bench-update: %s\n", what);
	return 1;
}

static int move(const char *from, const char *to)
{
	if (rename(from, to) < 0) {
		perror(from);
		return -1;
	}
	return 0;
}

struct endpoint {
	char bus_link[PATH_MAX], unit_link[PATH_MAX], group_dir[PATH_MAX], dev_dir[PATH_MAX];
	char bus_target[PATH_MAX], unit_target[PATH_MAX], group_aside[PATH_MAX],
		dev_aside[PATH_MAX];
};

static int take_away(struct endpoint *e)
{
	if (unlink(e->unit_link) < 0 || unlink(e->bus_link) < 0)
		return -1;
	return move(e->group_dir, e->group_aside) < 0 || move(e->dev_dir, e->dev_aside) < 0 ? -1
											    : 0;
}

static int put_back(struct endpoint *e)
{
	if (move(e->dev_aside, e->dev_dir) < 0 || move(e->group_aside, e->group_dir) < 0)
		return -1;
	return symlink(e->unit_target, e->unit_link) < 0 || symlink(e->bus_target, e->bus_link) < 0
		       ? -1
		       : 0;
}

static int find_endpoint(const char *root, const struct iommucap_host *h, struct endpoint *e,
			 char **ret_addr)
{
	const struct iommucap_device *d = NULL;
	char path[PATH_MAX], unit_path[PATH_MAX];
	ssize_t n;

	for (size_t i = h->n_devices / 2; i < h->n_devices && !d; i++)
		if (h->devices[i].unit && h->devices[i].group >= 0)
			d = &h->devices[i];
	if (!d)
		return -1;
	*ret_addr = strdup(d->address);
	if (snprintf(e->bus_link, sizeof(e->bus_link), "%s/sys/bus/pci/devices/%s", root,
		     d->address) >= PATH_MAX)
		return -1;
	n = readlink(e->bus_link, e->bus_target, sizeof(e->bus_target) - 1);
	if (n < 0)
		return -1;
	e->bus_target[n] = 0;
	if (snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s", root, e->bus_target) >=
	    PATH_MAX)
		return -1;
	if (!realpath(path, e->dev_dir))
		return -1;
	if (snprintf(path, sizeof(path), "%s/iommu", e->dev_dir) >= PATH_MAX)
		return -1;
	if (!realpath(path, unit_path))
		return -1;
	if (snprintf(e->unit_link, sizeof(e->unit_link), "%s/devices/%s", unit_path, d->address) >=
	    PATH_MAX)
		return -1;
	n = readlink(e->unit_link, e->unit_target, sizeof(e->unit_target) - 1);
	if (n < 0)
		return -1;
	e->unit_target[n] = 0;
	if (snprintf(e->group_dir, sizeof(e->group_dir), "%s/sys/kernel/iommu_groups/%d", root,
		     d->group) >= PATH_MAX)
		return -1;
	if (snprintf(e->group_aside, sizeof(e->group_aside), "%s/group.aside", root) >= PATH_MAX)
		return -1;
	if (snprintf(e->dev_aside, sizeof(e->dev_aside), "%s/device.aside", root) >= PATH_MAX)
		return -1;
	return 0;
}

/* One step: both ways from the same old model; the update's result must equal the full one. */
static int step(struct iommucap_root *r, struct iommucap_host **h, char *addr, double *full_ms,
		double *update_ms)
{
	struct iommucap_host *full = NULL;
	json_t *old_doc = NULL, *new_doc = NULL, *full_events = NULL, *before = NULL, *after = NULL,
	       *events = NULL, *a = NULL, *b = NULL;
	int bad = 0;
	double t = cpu_ms();

	/* What the daemon did for every change: probe, both documents, diff. */
	if (iommucap_probe(r, &full) < 0)
		return fail("probe failed");
	old_doc = doc_of(*h);
	new_doc = doc_of(full);
	full_events = monitor_diff(old_doc, new_doc);
	*full_ms = cpu_ms() - t;

	/* What it does now: the update patches the old model in place. */
	t = cpu_ms();
	if (iommucap_host_update_devices(r, *h, &addr, 1, NULL, 0, &before, &after) < 0)
		bad = fail("the update did not follow the change");
	events = monitor_diff(before, after);
	*update_ms = cpu_ms() - t;

	a = doc_of(*h);
	b = doc_of(full);
	if (bad)
		;
	else if (!a || !b || !json_equal(a, b))
		bad = fail("the updated model differs from the full probe's");
	else if (!events || !full_events || !json_equal(events, full_events))
		bad = fail("the update's events differ from the full diff's");
	else if (json_array_size(events) == 0)
		bad = fail("no event");
	json_decref(old_doc);
	json_decref(new_doc);
	json_decref(full_events);
	json_decref(before);
	json_decref(after);
	json_decref(events);
	json_decref(a);
	json_decref(b);
	iommucap_host_free(full);
	return bad;
}

int main(int argc, char **argv)
{
#ifdef BENCH_SMOKE
	unsigned units = 8, rounds = 2;
#else
	unsigned units = 5000, rounds = 5;
#endif
	const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
	struct gen_opts o = { .devs_per_unit = 4, .amd_every = 4 };
	struct gen_stats st;
	struct iommucap_root *r = NULL;
	struct iommucap_host *h = NULL;
	struct endpoint e;
	_cleanup_free_ char *addr = NULL;
	char root[PATH_MAX];
	double *full, *update;
	int c, k = 0;

	while ((c = getopt(argc, argv, "u:r:d:")) != -1)
		switch (c) {
		case 'u':
			units = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'r':
			rounds = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'd':
			dir = optarg;
			break;
		default:
			fprintf(stderr, "usage: bench-update [-u UNITS] [-r ROUNDS] [-d DIR]\n");
			return 2;
		}
	if (units == 0 || rounds == 0)
		return fail("-u and -r must be positive");
	o.units = units;
	snprintf(root, sizeof(root), "%s/bench-update.XXXXXX", dir ? dir : "/tmp");
	if (!mkdtemp(root))
		return fail("cannot make the tree's directory");
	setenv("SOURCE_DATE_EPOCH", "0", 1);
	full = calloc(2 * rounds, sizeof(double));
	update = calloc(2 * rounds, sizeof(double));
	if (!full || !update || gen_tree(root, &o, &st) < 0 || iommucap_root_open(root, &r) < 0 ||
	    iommucap_probe(r, &h) < 0 || find_endpoint(root, h, &e, &addr) < 0) {
		k = fail("cannot make or probe the tree");
		goto out;
	}
	for (unsigned i = 0; i < rounds && k == 0; i++) {
		if (take_away(&e) < 0) {
			k = fail("cannot remove the device");
			break;
		}
		k = step(r, &h, addr, &full[2 * i], &update[2 * i]);
		if (k == 0 && put_back(&e) < 0)
			k = fail("cannot put the device back");
		if (k == 0)
			k = step(r, &h, addr, &full[2 * i + 1], &update[2 * i + 1]);
	}
	if (k == 0) {
		qsort(full, 2 * rounds, sizeof(double), cmp_double);
		qsort(update, 2 * rounds, sizeof(double), cmp_double);
#ifdef BENCH_SMOKE
		printf("bench-update: %u units, %u devices: %u removals and additions followed "
		       "alone, "
		       "each the same as a full probe\n",
		       st.units, st.devices, rounds);
#else
		printf("%u units, %u PCI devices, %u groups; %s removed and added %u times each\n",
		       st.units, st.devices, st.groups, addr, rounds);
		printf("  full probe + diff: median %8.2f ms CPU (min %.2f)\n", full[rounds],
		       full[0]);
		printf("  update + diff:     median %8.2f ms CPU (min %.2f)\n", update[rounds],
		       update[0]);
		printf("  ratio update/full: %.4f\n", update[rounds] / full[rounds]);
#endif
	}
out:
	iommucap_host_free(h);
	iommucap_root_free(r);
	gen_rm_tree(root);
	free(full);
	free(update);
	return k;
}
