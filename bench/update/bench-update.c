/* bench-update: following one device's, unit's or group's change alone against probing all. */
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
 * Each round makes three changes, each as the kernel makes it and then undone:
 *   device: one endpoint removed (its unit's devices/<dev> link, its bus link, its group with
 *           its last device, its directory) and put back; what the daemon is told: the device;
 *   unit:   its IOMMU unit removed (each device's links to it and to its group, the groups, the
 *           class link and the unit's directory: iommu_device_unregister() and
 *           iommu_device_sysfs_remove()) and put back; what the daemon is told: the unit (its
 *           "iommu" uevent);
 *   group:  the endpoint's group's default domain type changed (sysfs "type") and back; what the
 *           daemon is told: the group.
 * After each step the daemon's two ways of following it are timed in CPU time, one after the
 * other:
 *   full:   iommucap_probe() of the whole tree, both documents, monitor_diff() (before)
 *   update: iommucap_host_update() of that change, monitor_diff() of what it touched
 * and the update's model and events are checked against the full probe's: they must be equal.
 */

#define UNIT_DEVICES_MAX 32

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

_unused_ static int cmp_double(const void *a, const void *b)
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

/* A unit and the links of the devices behind it, as iommu_device_unregister() removes them. */
struct unit_aside {
	char name[64], class_link[PATH_MAX], class_target[PATH_MAX], dir[PATH_MAX],
		dir_aside[PATH_MAX];
	size_t n;
	struct {
		char unit_link[PATH_MAX], unit_target[PATH_MAX], iommu_link[PATH_MAX],
			iommu_target[PATH_MAX], group_link[PATH_MAX], group_target[PATH_MAX],
			group_dir[PATH_MAX], group_aside[PATH_MAX];
	} dev[UNIT_DEVICES_MAX];
};

static int read_link(const char *path, char *buf, size_t size)
{
	ssize_t n = readlink(path, buf, size - 1);

	if (n < 0)
		return -1;
	buf[n] = 0;
	return 0;
}

static int unit_take_away(struct unit_aside *u)
{
	for (size_t i = 0; i < u->n; i++)
		if (unlink(u->dev[i].unit_link) < 0 || unlink(u->dev[i].iommu_link) < 0 ||
		    unlink(u->dev[i].group_link) < 0 ||
		    move(u->dev[i].group_dir, u->dev[i].group_aside) < 0)
			return -1;
	if (unlink(u->class_link) < 0)
		return -1;
	return move(u->dir, u->dir_aside);
}

static int unit_put_back(struct unit_aside *u)
{
	if (move(u->dir_aside, u->dir) < 0 || symlink(u->class_target, u->class_link) < 0)
		return -1;
	for (size_t i = 0; i < u->n; i++)
		if (move(u->dev[i].group_aside, u->dev[i].group_dir) < 0 ||
		    symlink(u->dev[i].group_target, u->dev[i].group_link) < 0 ||
		    symlink(u->dev[i].iommu_target, u->dev[i].iommu_link) < 0 ||
		    symlink(u->dev[i].unit_target, u->dev[i].unit_link) < 0)
			return -1;
	return 0;
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

/* The unit of the endpoint at addr and the devices it lists, each with its links. */
static int find_unit(const char *root, const struct iommucap_host *h, const char *addr,
		     struct unit_aside *u)
{
	const struct iommucap_device *d = NULL;
	const struct iommucap_unit *unit;
	char path[PATH_MAX];

	for (size_t i = 0; i < h->n_devices && !d; i++)
		if (streq(h->devices[i].address, addr))
			d = &h->devices[i];
	unit = d && d->unit ? iommucap_host_find_unit(h, d->unit) : NULL;
	if (!unit || unit->n_devices > UNIT_DEVICES_MAX || strlen(unit->name) >= sizeof(u->name))
		return -1;
	strcpy(u->name, unit->name);
	if (snprintf(u->class_link, sizeof(u->class_link), "%s/sys/class/iommu/%s", root,
		     unit->name) >= PATH_MAX ||
	    read_link(u->class_link, u->class_target, sizeof(u->class_target)) < 0 ||
	    !realpath(u->class_link, u->dir) ||
	    snprintf(u->dir_aside, sizeof(u->dir_aside), "%s/unit.aside", root) >= PATH_MAX)
		return -1;
	u->n = 0;
	for (size_t i = 0; i < unit->n_devices; i++) {
		typeof(u->dev[0]) *e = &u->dev[u->n];
		char dev[PATH_MAX];

		if (snprintf(e->unit_link, sizeof(e->unit_link), "%s/devices/%s", u->dir,
			     unit->devices[i]) >= PATH_MAX ||
		    read_link(e->unit_link, e->unit_target, sizeof(e->unit_target)) < 0 ||
		    !realpath(e->unit_link, dev) ||
		    snprintf(e->iommu_link, sizeof(e->iommu_link), "%s/iommu", dev) >= PATH_MAX ||
		    read_link(e->iommu_link, e->iommu_target, sizeof(e->iommu_target)) < 0 ||
		    snprintf(e->group_link, sizeof(e->group_link), "%s/iommu_group", dev) >=
			    PATH_MAX ||
		    read_link(e->group_link, e->group_target, sizeof(e->group_target)) < 0 ||
		    !realpath(e->group_link, e->group_dir) ||
		    snprintf(path, sizeof(path), "%s/group.aside.%zu", root, i) >= PATH_MAX)
			return -1;
		strcpy(e->group_aside, path);
		u->n++;
	}
	return 0;
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) == EOF) {
		if (f)
			fclose(f);
		return -1;
	}
	return fclose(f) == 0 ? 0 : -1;
}

/* One step: both ways from the same old model; the update's result must equal the full one. */
static int step(struct iommucap_root *r, struct iommucap_host **h, const struct iommucap_change *c,
		double *full_ms, double *update_ms)
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
	if (iommucap_host_update(r, *h, c, &before, &after) < 0)
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

enum { DEVICE, UNIT, GROUP, KINDS };
_unused_ static const char *const kind_names[KINDS] = { "device", "unit", "group" };

/* One round of one kind: the change, a step, the change undone, a step. */
static int round_of(int kind, struct iommucap_root *r, struct iommucap_host **h, struct endpoint *e,
		    struct unit_aside *u, char *addr, int group, const char *type_path,
		    double *full, double *update)
{
	char *name = u->name;
	struct iommucap_change c = { 0 };
	int k;

	if (kind == DEVICE)
		c = (struct iommucap_change){ .devices = &addr, .n_devices = 1 };
	else if (kind == UNIT)
		c = (struct iommucap_change){ .units = &name, .n_units = 1 };
	else
		c = (struct iommucap_change){ .groups = &group, .n_groups = 1 };
	k = kind == DEVICE ? take_away(e)
	    : kind == UNIT ? unit_take_away(u)
			   : write_file(type_path, "identity\n");
	if (k < 0)
		return fail("cannot make the change");
	k = step(r, h, &c, &full[0], &update[0]);
	if (k)
		return k;
	k = kind == DEVICE ? put_back(e)
	    : kind == UNIT ? unit_put_back(u)
			   : write_file(type_path, "DMA-FQ\n");
	if (k < 0)
		return fail("cannot undo the change");
	return step(r, h, &c, &full[1], &update[1]);
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
	struct unit_aside *u = calloc(1, sizeof(*u));
	_cleanup_free_ char *addr = NULL;
	char root[PATH_MAX], type_path[PATH_MAX];
	double *full[KINDS] = { 0 }, *update[KINDS] = { 0 };
	int c, k = 0, group = -1;

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
	if (!u || !mkdtemp(root))
		return fail("cannot make the tree's directory");
	setenv("SOURCE_DATE_EPOCH", "0", 1);
	for (int i = 0; i < KINDS; i++) {
		full[i] = calloc(2 * rounds, sizeof(double));
		update[i] = calloc(2 * rounds, sizeof(double));
		if (!full[i] || !update[i])
			k = 1;
	}
	if (k || gen_tree(root, &o, &st) < 0 || iommucap_root_open(root, &r) < 0 ||
	    iommucap_probe(r, &h) < 0 || find_endpoint(root, h, &e, &addr) < 0 ||
	    find_unit(root, h, addr, u) < 0) {
		k = fail("cannot make or probe the tree");
		goto out;
	}
	for (size_t i = 0; i < h->n_devices; i++)
		if (streq(h->devices[i].address, addr))
			group = h->devices[i].group;
	if (snprintf(type_path, sizeof(type_path), "%s/sys/kernel/iommu_groups/%d/type", root,
		     group) >= (int)sizeof(type_path)) {
		k = fail("the tree's path is too long");
		goto out;
	}
	for (unsigned i = 0; i < rounds && k == 0; i++)
		for (int kind = 0; kind < KINDS && k == 0; kind++)
			k = round_of(kind, r, &h, &e, u, addr, group, type_path, &full[kind][2 * i],
				     &update[kind][2 * i]);
	if (k == 0) {
#ifdef BENCH_SMOKE
		printf("bench-update: %u units, %u devices: %u rounds of a device, a unit and a "
		       "group changed and back, each followed alone the same as a full probe\n",
		       st.units, st.devices, rounds);
#else
		printf("%u units, %u PCI devices, %u groups; %s, its unit %s (%zu devices) and its "
		       "group %d changed and back %u times each\n",
		       st.units, st.devices, st.groups, addr, u->name, u->n, group, rounds);
		for (int kind = 0; kind < KINDS; kind++) {
			qsort(full[kind], 2 * rounds, sizeof(double), cmp_double);
			qsort(update[kind], 2 * rounds, sizeof(double), cmp_double);
			printf("  %-6s full probe + diff: median %8.2f ms CPU (min %.2f)\n",
			       kind_names[kind], full[kind][rounds], full[kind][0]);
			printf("  %-6s update + diff:     median %8.2f ms CPU (min %.2f, max "
			       "%.2f)\n",
			       kind_names[kind], update[kind][rounds], update[kind][0],
			       update[kind][2 * rounds - 1]);
			printf("  %-6s ratio update/full: %.4f\n", kind_names[kind],
			       update[kind][rounds] / full[kind][rounds]);
		}
#endif
	}
out:
	iommucap_host_free(h);
	iommucap_root_free(r);
	gen_rm_tree(root);
	for (int i = 0; i < KINDS; i++) {
		free(full[i]);
		free(update[i]);
	}
	free(u);
	return k;
}
