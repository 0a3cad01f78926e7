/* "iommuctl tree": units, the groups behind each, and the groups' devices, as lsblk draws disks. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/macro.h"
#include "tree.h"

/*
 * The tree is made in O(n log n) for n units, groups and devices: every "which" below is a
 * binary search in a sorted index (a name and the position it came from), not a scan. A scan per
 * group and member took 128 s on a generated host of 1024 units (4096 groups, 4352 devices).
 */
struct entry {
	const char *name;
	size_t pos;
};

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

/* The first entry of that name (the lowest position), or NULL. */
static const struct entry *lookup(const struct entry *v, size_t n, const char *name)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(v[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && streq(v[lo].name, name) ? &v[lo] : NULL;
}

struct index {
	struct entry *devices; /* each device's address, with its position in h->devices */
	size_t n_devices;
	struct entry *units;	    /* each unit's name, with its position in h->units */
	struct entry *unit_members; /* every name in a unit's devices/, with the unit's position */
	size_t n_unit_members;
	struct entry *grouped; /* every group member's name */
	size_t n_grouped;
};

static void index_free(struct index *x)
{
	free(x->devices);
	free(x->units);
	free(x->unit_members);
	free(x->grouped);
}

static int index_make(const struct iommucap_host *h, struct index *x)
{
	size_t n = 0;

	for (size_t i = 0; i < h->n_units; i++)
		x->n_unit_members += h->units[i].devices ? h->units[i].n_devices : 0;
	for (size_t i = 0; i < h->n_groups; i++)
		x->n_grouped += h->groups[i].n_devices;
	x->n_devices = h->n_devices;
	x->devices = calloc(h->n_devices + 1, sizeof(struct entry));
	x->units = calloc(h->n_units + 1, sizeof(struct entry));
	x->unit_members = calloc(x->n_unit_members + 1, sizeof(struct entry));
	x->grouped = calloc(x->n_grouped + 1, sizeof(struct entry));
	if (!x->devices || !x->units || !x->unit_members || !x->grouped)
		return -ENOMEM;
	for (size_t i = 0; i < h->n_devices; i++)
		x->devices[i] = (struct entry){ h->devices[i].address, i };
	for (size_t i = 0; i < h->n_units; i++) {
		x->units[i] = (struct entry){ h->units[i].name, i };
		for (size_t j = 0; h->units[i].devices && j < h->units[i].n_devices; j++)
			x->unit_members[n++] = (struct entry){ h->units[i].devices[j], i };
	}
	n = 0;
	for (size_t i = 0; i < h->n_groups; i++)
		for (size_t j = 0; j < h->groups[i].n_devices; j++)
			x->grouped[n++] = (struct entry){ h->groups[i].devices[j], i };
	qsort_safe(x->devices, h->n_devices, sizeof(struct entry), cmp_entry);
	qsort_safe(x->units, h->n_units, sizeof(struct entry), cmp_entry);
	qsort_safe(x->unit_members, x->n_unit_members, sizeof(struct entry), cmp_entry);
	qsort_safe(x->grouped, x->n_grouped, sizeof(struct entry), cmp_entry);
	return 0;
}

/* The first device of that address in h (as a host document may repeat one), or NULL. */
static const struct iommucap_device *find_device(const struct iommucap_host *h,
						 const struct index *x, const char *addr)
{
	const struct entry *e = lookup(x->devices, x->n_devices, addr);

	return e ? &h->devices[e->pos] : NULL;
}

struct builder {
	struct tree_rows *t;
	size_t cap;
};

static ssize_t add(struct builder *b, ssize_t parent, struct tree_row row)
{
	struct tree_rows *t = b->t;

	if (t->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct tree_row *rows = reallocarray(t->rows, cap, sizeof(*rows));
		ssize_t *parents;

		if (!rows)
			return -ENOMEM;
		t->rows = rows;
		parents = reallocarray(t->parents, cap, sizeof(*parents));
		if (!parents)
			return -ENOMEM;
		t->parents = parents;
		b->cap = cap;
	}
	t->rows[t->n] = row;
	t->parents[t->n] = parent;
	return (ssize_t)t->n++;
}

static int add_group(struct builder *b, const struct iommucap_host *h, const struct index *x,
		     ssize_t parent, const struct iommucap_group *g)
{
	ssize_t gi = add(b, parent, (struct tree_row){ .kind = TREE_GROUP, .group = g });

	for (size_t i = 0; gi >= 0 && i < g->n_devices; i++) {
		ssize_t k = add(b, gi,
				(struct tree_row){ .kind = TREE_DEVICE,
						   .device = find_device(h, x, g->devices[i]),
						   .name = g->devices[i] });
		if (k < 0)
			return (int)k;
	}
	return gi < 0 ? (int)gi : 0;
}

/* A pair of a unit and a group it serves, by their positions. */
struct served {
	size_t unit, group;
};

static int cmp_served(const void *a, const void *b)
{
	const struct served *x = a, *y = b;

	if (x->unit != y->unit)
		return (x->unit > y->unit) - (x->unit < y->unit);
	return (x->group > y->group) - (x->group < y->group);
}

struct served_list {
	struct served *v;
	size_t n, cap;
};

static int served_add(struct served_list *l, size_t unit, size_t group)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct served *v = reallocarray(l->v, cap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = (struct served){ unit, group };
	return 0;
}

/*
 * Which units serve which groups: unit u serves group g when u serves one of g's members. Its
 * devices/ links say so for every bus (the kernel's iommu_device_link() makes one per device the
 * unit probes); a PCI device's own iommu link says so too, and stands in when a tree lost the
 * unit's links. The pairs come sorted by unit, then group, each once.
 */
static int find_served(const struct iommucap_host *h, const struct index *x, struct served_list *l)
{
	int k = 0;

	for (size_t gi = 0; k >= 0 && gi < h->n_groups; gi++)
		for (size_t i = 0; k >= 0 && i < h->groups[gi].n_devices; i++) {
			const char *name = h->groups[gi].devices[i];
			const struct entry *e = lookup(x->unit_members, x->n_unit_members, name);
			const struct iommucap_device *d = find_device(h, x, name);

			for (; k >= 0 && e && e < x->unit_members + x->n_unit_members &&
			       streq(e->name, name);
			     e++)
				k = served_add(l, e->pos, gi);
			e = d && d->unit ? lookup(x->units, h->n_units, d->unit) : NULL;
			for (; k >= 0 && e && e < x->units + h->n_units && streq(e->name, d->unit);
			     e++)
				k = served_add(l, e->pos, gi);
		}
	if (k < 0)
		return k;
	qsort_safe(l->v, l->n, sizeof(*l->v), cmp_served);
	/* Each pair once. */
	size_t n = 0;

	for (size_t i = 0; i < l->n; i++)
		if (n == 0 || cmp_served(&l->v[n - 1], &l->v[i]) != 0)
			l->v[n++] = l->v[i];
	l->n = n;
	return 0;
}

static bool strv_contains(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (streq(v[i], s))
			return true;
	return false;
}

void tree_rows_free(struct tree_rows *t)
{
	if (!t)
		return;
	free(t->rows);
	free(t->parents);
	free(t);
}

static int build(struct builder *b, const struct iommucap_host *h, const struct index *x,
		 const struct served_list *l, char *const *units, size_t n_units)
{
	_cleanup_free_ bool *served = calloc(h->n_groups + 1, sizeof(bool));
	size_t p = 0; /* the first pair of the unit */
	int k = served ? 0 : -ENOMEM;

	for (size_t i = 0; i < l->n && served; i++)
		served[l->v[i].group] = true;
	for (size_t ui = 0; k >= 0 && ui < h->n_units; ui++) {
		const struct iommucap_unit *u = &h->units[ui];
		ssize_t up;

		for (; p < l->n && l->v[p].unit < ui; p++)
			;
		if (n_units > 0 && !strv_contains(units, n_units, u->name))
			continue;
		up = add(b, -1, (struct tree_row){ .kind = TREE_UNIT, .unit = u });
		if (up < 0)
			return (int)up;
		for (size_t i = p; k >= 0 && i < l->n && l->v[i].unit == ui; i++)
			k = add_group(b, h, x, up, &h->groups[l->v[i].group]);
		/* A device the unit serves outside every group (its group link is missing). */
		for (size_t di = 0; k >= 0 && u->devices && di < u->n_devices; di++)
			if (!lookup(x->grouped, x->n_grouped, u->devices[di])) {
				ssize_t r = add(b, up,
						(struct tree_row){
							.kind = TREE_DEVICE,
							.device = find_device(h, x, u->devices[di]),
							.name = u->devices[di] });
				k = r < 0 ? (int)r : 0;
			}
	}
	/* Groups no unit serves (their members have no iommu link): roots of their own. */
	for (size_t gi = 0; k >= 0 && n_units == 0 && gi < h->n_groups; gi++)
		if (!served[gi])
			k = add_group(b, h, x, -1, &h->groups[gi]);
	return k;
}

int tree_rows_build(const struct iommucap_host *h, char *const *units, size_t n_units,
		    struct tree_rows **ret)
{
	struct builder b = { .t = calloc(1, sizeof(struct tree_rows)) };
	struct index x = { 0 };
	struct served_list l = { 0 };
	int k = b.t ? index_make(h, &x) : -ENOMEM;

	if (k >= 0)
		k = find_served(h, &x, &l);
	if (k >= 0)
		k = build(&b, h, &x, &l, units, n_units);
	index_free(&x);
	free(l.v);
	if (k < 0) {
		tree_rows_free(b.t);
		return k;
	}
	*ret = b.t;
	return 0;
}
