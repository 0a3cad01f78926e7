/* bench-monitor: Monitor's diff of two host documents against a whole-document json_equal(). */
#include "config.h"

#include <getopt.h>
#include <time.h>

#include "daemon/monitor.h"
#include "iommucap.h"
#include "macro.h"

/*
 * A host of N devices, each in a group of its own, made from a real fixture's first device and
 * group (their shape and size), with N distinct addresses and ids, listed in a shuffled order so
 * that no lookup can rely on the order. The new document has one device and its group more.
 */
static json_t *make_doc(json_t *dev0, json_t *grp0, unsigned n, unsigned extra)
{
	json_t *doc = json_object(), *devs = json_array(), *grps = json_array();
	unsigned seed = 12345;

	json_object_set_new(doc, "units", json_array());
	for (unsigned i = 0; i < n + extra; i++) {
		/* A fixed permutation of 0..n-1, then the extra ones at the end. */
		unsigned j = i < n ? (unsigned)(((unsigned long long)i * 7919 + seed) % n) : i;
		json_t *d = json_deep_copy(dev0), *g = json_deep_copy(grp0);
		char addr[32];

		snprintf(addr, sizeof(addr), "%04x:%02x:%02x.%x", j >> 16, (j >> 8) & 0xff,
			 (j >> 3) & 0x1f, j & 7);
		json_object_set_new(d, "address", json_string(addr));
		json_object_set_new(d, "group", json_integer(j));
		json_object_set_new(g, "id", json_integer(j));
		json_object_set_new(g, "devices", json_pack("[s]", addr));
		json_array_append_new(devs, d);
		json_array_append_new(grps, g);
	}
	json_object_set_new(doc, "devices", devs);
	json_object_set_new(doc, "groups", grps);
	return doc;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	const char *fixture = SRCDIR "/tests/fixtures/x86-q72-k612-c-amd";
	unsigned sizes[] = { 2000, 5000, 20000 }, reps = 5;
	size_t n_sizes = ELEMENTSOF(sizes);
	struct iommucap_root *root;
	struct iommucap_host *h;
	json_t *host, *dev0, *grp0;
	int k, opt;
#ifdef BENCH_SMOKE
	bool smoke = true;
#else
	bool smoke = false;
#endif

	while ((opt = getopt(argc, argv, "f:r:s")) != -1)
		switch (opt) {
		case 'f':
			fixture = optarg;
			break;
		case 'r':
			reps = (unsigned)atoi(optarg);
			break;
		case 's':
			smoke = true;
			break;
		default:
			fprintf(stderr, "usage: %s [-f FIXTURE] [-r REPS] [-s]\n", argv[0]);
			return 64;
		}
	if (smoke) {
		sizes[0] = 50;
		n_sizes = 1;
		reps = 1;
	}
	if ((k = iommucap_root_open(fixture, &root)) < 0 || (k = iommucap_probe(root, &h)) < 0 ||
	    (k = iommucap_host_to_json(h, &host)) < 0) {
		fprintf(stderr, "bench-monitor: %s: %s\n", fixture, strerror(-k));
		return 1;
	}
	dev0 = json_array_get(json_object_get(host, "devices"), 0);
	grp0 = json_array_get(json_object_get(host, "groups"), 0);
	if (!dev0 || !grp0) {
		fprintf(stderr, "bench-monitor: %s has no device or no group\n", fixture);
		return 1;
	}
	if (smoke)
		printf("1..1\n");
	else
		printf("%8s %12s %12s %8s\n", "devices", "equal ms", "diff ms", "ratio");
	for (size_t s = 0; s < n_sizes; s++) {
		json_t *old = make_doc(dev0, grp0, sizes[s], 0),
		       *new = make_doc(dev0, grp0, sizes[s], 1);
		json_t *copy = json_deep_copy(old);
		double t_eq[16], t_diff[16];
		json_t *events = NULL;

		if (reps > ELEMENTSOF(t_eq))
			reps = ELEMENTSOF(t_eq);
		for (unsigned r = 0; r < reps; r++) {
			double t0 = now_ms(), t1, t2;
			int eq = json_equal(old, copy);

			t1 = now_ms();
			json_decref(events);
			events = monitor_diff(old, new);
			t2 = now_ms();
			if (!eq || !events) {
				fprintf(stderr, "bench-monitor: equal %d, events %p\n", eq,
					(void *)events);
				return 1;
			}
			t_eq[r] = t1 - t0;
			t_diff[r] = t2 - t1;
		}
		/* The only change: one device and its group added. */
		if (json_array_size(events) != 2 ||
		    !streq(json_string_value(json_object_get(json_array_get(events, 0), "action")),
			   "added") ||
		    !streq(json_string_value(json_object_get(json_array_get(events, 1), "kind")),
			   "group")) {
			char *text = json_dumps(events, JSON_COMPACT);

			printf("%sbench-monitor: unexpected events at %u devices: %.300s\n",
			       smoke ? "not ok 1 - " : "", sizes[s], text);
			free(text);
			return 1;
		}
		qsort(t_eq, reps, sizeof(double), cmp_double);
		qsort(t_diff, reps, sizeof(double), cmp_double);
		if (smoke)
			printf("ok 1 - one device added to %u: two events (device, group added)\n",
			       sizes[s]);
		else
			printf("%8u %12.2f %12.2f %8.2f\n", sizes[s], t_eq[reps / 2],
			       t_diff[reps / 2], t_diff[reps / 2] / t_eq[reps / 2]);
		json_decref(events);
		json_decref(old);
		json_decref(new);
		json_decref(copy);
	}
	json_decref(host);
	iommucap_host_free(h);
	iommucap_root_free(root);
	return 0;
}
