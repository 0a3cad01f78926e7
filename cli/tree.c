/* "iommuctl tree": units, the groups behind each, and the groups' devices, as lsblk draws disks. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "lib/macro.h"
#include "tree.h"

static bool strv_contains(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (streq(v[i], s))
			return true;
	return false;
}

static const struct iommucap_device *find_device(const struct iommucap_host *h, const char *addr)
{
	for (size_t i = 0; i < h->n_devices; i++)
		if (streq(h->devices[i].address, addr))
			return &h->devices[i];
	return NULL;
}

/*
 * Does unit u serve device name? Its devices/ links say so for every bus (the kernel's
 * iommu_device_link() makes one per device the unit probes); a PCI device's own iommu link says
 * so too, and stands in when a tree lost the unit's links.
 */
static bool serves(const struct iommucap_host *h, const struct iommucap_unit *u, const char *name)
{
	const struct iommucap_device *d;

	if (strv_contains(u->devices, u->n_devices, name))
		return true;
	d = find_device(h, name);
	return d && d->unit && streq(d->unit, u->name);
}

static bool group_served(const struct iommucap_host *h, const struct iommucap_unit *u,
			 const struct iommucap_group *g)
{
	for (size_t i = 0; i < g->n_devices; i++)
		if (serves(h, u, g->devices[i]))
			return true;
	return false;
}

static bool in_a_group(const struct iommucap_host *h, const char *name)
{
	for (size_t i = 0; i < h->n_groups; i++)
		if (strv_contains(h->groups[i].devices, h->groups[i].n_devices, name))
			return true;
	return false;
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

static int add_group(struct builder *b, const struct iommucap_host *h, ssize_t parent,
		     const struct iommucap_group *g)
{
	ssize_t gi = add(b, parent, (struct tree_row){ .kind = TREE_GROUP, .group = g });

	for (size_t i = 0; gi >= 0 && i < g->n_devices; i++) {
		ssize_t k = add(b, gi,
				(struct tree_row){ .kind = TREE_DEVICE,
						   .device = find_device(h, g->devices[i]),
						   .name = g->devices[i] });
		if (k < 0)
			return (int)k;
	}
	return gi < 0 ? (int)gi : 0;
}

void tree_rows_free(struct tree_rows *t)
{
	if (!t)
		return;
	free(t->rows);
	free(t->parents);
	free(t);
}

int tree_rows_build(const struct iommucap_host *h, char *const *units, size_t n_units,
		    struct tree_rows **ret)
{
	struct builder b = { .t = calloc(1, sizeof(struct tree_rows)) };
	int k = 0;

	if (!b.t)
		return -ENOMEM;
	for (size_t ui = 0; k >= 0 && ui < h->n_units; ui++) {
		const struct iommucap_unit *u = &h->units[ui];
		ssize_t up;

		if (n_units > 0 && !strv_contains(units, n_units, u->name))
			continue;
		up = add(&b, -1, (struct tree_row){ .kind = TREE_UNIT, .unit = u });
		if (up < 0) {
			k = (int)up;
			break;
		}
		for (size_t gi = 0; k >= 0 && gi < h->n_groups; gi++)
			if (group_served(h, u, &h->groups[gi]))
				k = add_group(&b, h, up, &h->groups[gi]);
		/* A device the unit serves outside every group (its group link is missing). */
		for (size_t di = 0; k >= 0 && di < u->n_devices; di++)
			if (!in_a_group(h, u->devices[di])) {
				ssize_t r = add(
					&b, up,
					(struct tree_row){ .kind = TREE_DEVICE,
							   .device = find_device(h, u->devices[di]),
							   .name = u->devices[di] });
				k = r < 0 ? (int)r : 0;
			}
	}
	/* Groups no unit serves (their members have no iommu link): roots of their own. */
	for (size_t gi = 0; k >= 0 && n_units == 0 && gi < h->n_groups; gi++) {
		bool served = false;

		for (size_t ui = 0; !served && ui < h->n_units; ui++)
			served = group_served(h, &h->units[ui], &h->groups[gi]);
		if (!served)
			k = add_group(&b, h, -1, &h->groups[gi]);
	}
	if (k < 0) {
		tree_rows_free(b.t);
		return k;
	}
	*ret = b.t;
	return 0;
}
