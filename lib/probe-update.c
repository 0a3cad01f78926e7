/* A change of a few PCI devices, IOMMU units or groups followed without probing everything. */
#include "config.h"

#include <sys/stat.h>

#include "ksem.h"
#include "model.h"
#include "parse.h"
#include "probe.h"
#include "sysfs.h"

/*
 * The kernel adds or removes a PCI device together with its links: the unit's devices/<dev>
 * (iommu_device_link()) and the group's devices/<dev> (iommu_group_add_device()), and a group
 * directory with its first device or without its last. An IOMMU unit comes with its class
 * device (iommu_device_sysfs_add(), drivers/iommu/iommu-sysfs.c: one "iommu" uevent) and then
 * links the devices behind it, which get their groups (iommu_device_register() probing the bus,
 * drivers/iommu/iommu.c); it goes the other way. So a change reads again:
 *   - a device D: D, the units and the groups D was and is in;
 *   - a unit U: all of U, and as a device each PCI device U listed or lists now;
 *   - a group G: G, and as a device each PCI device G listed or lists now;
 * and nothing else. Anything beyond that shape -- a warning before or after, a byte to escape,
 * a unit that is not known, a device with iommufd hw_info (its unit learns from it), a VT-d unit
 * that changes what every unit's DMA domains use (vtd_dma_first_stage(), before 6.13), a stale
 * listing elsewhere -- is -EAGAIN: the caller probes everything, as before. The model is
 * patched only once all is read and checked.
 */

#define UPDATE_MAX	  256 /* PCI devices read again, the units' and groups' members included */
#define UPDATE_UNITS_MAX  64
#define UPDATE_GROUPS_MAX 256

struct unit_listing {
	struct iommucap_unit *u; /* a unit of the model, not one of the units changed */
	const char *name;	 /* its name (u moves when the units are patched; this stays) */
	char **devices;
	size_t n_devices;
};

struct update {
	struct iommucap_host scratch; /* warnings go here; any is a reason to probe it all */
	char **addrs;		      /* every PCI device read again, sorted, each once */
	size_t n_addrs;
	struct listed *listed; /* for each of addrs: the listings after the update */
	unsigned *kept_groups; /* for each of addrs: groups not read again that list it */
	char **unit_names;     /* the units that came, went or changed, sorted (strcmp) */
	size_t n_unit_names;
	struct iommucap_unit *new_units; /* those of them there now, probed, in that order */
	size_t n_new_units;
	struct unit_listing *units; /* other units whose devices/ was read again */
	size_t n_units;
	int *group_ids; /* every group read again, sorted */
	size_t n_group_ids;
	struct iommucap_group *groups; /* their new state, for the ids still present, sorted */
	size_t n_groups;
	struct iommucap_device *devices; /* the devices present now, sorted */
	size_t n_devices;
};

static void update_done(struct update *up)
{
	strv_free(up->addrs, up->n_addrs);
	free(up->listed);
	free(up->kept_groups);
	strv_free(up->unit_names, up->n_unit_names);
	for (size_t i = 0; i < up->n_new_units; i++)
		unit_done(&up->new_units[i]);
	free(up->new_units);
	for (size_t i = 0; i < up->n_units; i++)
		strv_free(up->units[i].devices, up->units[i].n_devices);
	free(up->units);
	free(up->group_ids);
	for (size_t i = 0; i < up->n_groups; i++)
		group_done(&up->groups[i]);
	free(up->groups);
	for (size_t i = 0; i < up->n_devices; i++)
		device_done(&up->devices[i]);
	free(up->devices);
	strv_free(up->scratch.warnings, up->scratch.n_warnings);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return (x > y) - (x < y);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static char **find_str(char **v, size_t n, const char *name)
{
	return bsearch_safe(&name, v, n, sizeof(*v), cmp_str);
}

static bool listed_in(char **v, size_t n, const char *name)
{
	return find_str(v, n, name);
}

static struct iommucap_device *find_device(struct iommucap_device *v, size_t n, const char *addr)
{
	struct iommucap_device key = { .address = (char *)addr };

	return bsearch_safe(&key, v, n, sizeof(*v), device_cmp);
}

static struct iommucap_group *find_group(struct iommucap_group *v, size_t n, int id)
{
	struct iommucap_group key = { .id = id };

	return bsearch_safe(&key, v, n, sizeof(*v), group_cmp);
}

static bool has_group_id(const struct update *up, int id)
{
	return bsearch_safe(&id, up->group_ids, up->n_group_ids, sizeof(int), cmp_int);
}

static int add_group_id(struct update *up, int id)
{
	int *n;

	if (id < 0 || has_group_id(up, id))
		return 0;
	n = realloc(up->group_ids, (up->n_group_ids + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	up->group_ids = n;
	n[up->n_group_ids++] = id;
	qsort_safe(n, up->n_group_ids, sizeof(*n), cmp_int);
	return 0;
}

/* Sorted (strcmp), each once: how many are left. */
static size_t strv_sort_uniq(char **v, size_t *n)
{
	size_t m = 0;

	if (*n > 1)
		qsort_safe(v, *n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < *n; i++)
		if (m > 0 && streq(v[m - 1], v[i]))
			free(v[i]);
		else
			v[m++] = v[i];
	return *n = m;
}

static bool unit_changed(const struct update *up, const char *name)
{
	return listed_in(up->unit_names, up->n_unit_names, name);
}

static const struct iommucap_unit *new_unit(const struct update *up, const char *name)
{
	for (size_t i = 0; i < up->n_new_units; i++)
		if (streq(up->new_units[i].name, name))
			return &up->new_units[i];
	return NULL;
}

/* The unit of that name once the update is made. */
static const struct iommucap_unit *unit_after(const struct update *up,
					      const struct iommucap_host *h, const char *name)
{
	return unit_changed(up, name) ? new_unit(up, name) : iommucap_host_find_unit(h, name);
}

static struct unit_listing *find_listing(const struct update *up, const struct iommucap_unit *u)
{
	for (size_t i = 0; i < up->n_units; i++)
		if (up->units[i].u == u)
			return &up->units[i];
	return NULL;
}

static bool valid_name(const char *name)
{
	return name[0] && !strchr(name, '/') && !streq(name, ".") && !streq(name, "..");
}

/* A PCI device to read again (each once: addrs is sorted and made unique before reading). */
static int add_addr(struct update *up, const char *addr)
{
	if (!valid_name(addr))
		return -EAGAIN;
	return strv_push(&up->addrs, &up->n_addrs, strdup(addr));
}

/* A unit's or group's member: read again if it is a PCI device, before or now. */
static int add_member(struct update *up, struct iommucap_root *r, const struct iommucap_host *h,
		      const char *name)
{
	_cleanup_free_ char *entry = NULL;
	struct stat st;

	if (host_has_pci_device(h, name))
		return add_addr(up, name);
	if (!valid_name(name))
		return 0; /* not a PCI device name either */
	entry = path_join("sys/bus/pci/devices", name);
	if (!entry)
		return -ENOMEM;
	return sysfs_stat(r, entry, &st) < 0 ? 0 : add_addr(up, name);
}

/* The units that came, went or changed: each probed as it is now, with its members. */
static int add_units(struct update *up, struct iommucap_root *r, const struct iommucap_host *h,
		     char *const *names, size_t n)
{
	size_t m = 0;
	int k;

	for (size_t i = 0; i < n; i++) {
		if (!valid_name(names[i]))
			return -EAGAIN;
		k = strv_push(&up->unit_names, &up->n_unit_names, strdup(names[i]));
		if (k < 0)
			return k;
	}
	m = strv_sort_uniq(up->unit_names, &up->n_unit_names);
	if (m > UPDATE_UNITS_MAX)
		return -EAGAIN;
	up->new_units = calloc(m ? m : 1, sizeof(*up->new_units));
	if (!up->new_units)
		return -ENOMEM;
	for (size_t i = 0; i < m; i++) {
		const struct iommucap_unit *old = iommucap_host_find_unit(h, up->unit_names[i]);
		_cleanup_free_ char *entry = path_join("sys/class/iommu", up->unit_names[i]);
		struct iommucap_unit *u;
		struct stat st;

		if (!entry)
			return -ENOMEM;
		if (old && old->hw_info_from)
			return -EAGAIN; /* it learnt from a device: probe_iommufd() again */
		for (size_t j = 0; old && j < old->n_devices; j++)
			if ((k = add_member(up, r, h, old->devices[j])) < 0)
				return k;
		if (sysfs_stat(r, entry, &st) < 0)
			continue; /* gone */
		u = &up->new_units[up->n_new_units++];
		u->name = strdup(up->unit_names[i]);
		if (!u->name)
			return -ENOMEM;
		k = probe_unit(r, &up->scratch, u);
		if (k < 0)
			return k;
		for (size_t j = 0; j < u->n_devices; j++)
			if ((k = add_member(up, r, h, u->devices[j])) < 0)
				return k;
	}
	return 0;
}

/* The groups whose directories came or went: read again, with their members. */
static int add_groups(struct update *up, struct iommucap_root *r, const struct iommucap_host *h,
		      const int *ids, size_t n)
{
	int k;

	if (n > UPDATE_GROUPS_MAX)
		return -EAGAIN;
	for (size_t i = 0; i < n; i++) {
		const struct iommucap_group *old = host_find_group(h, ids[i]);
		char dir[64];
		char **now = NULL;
		size_t n_now = 0;

		if (ids[i] < 0)
			return -EAGAIN;
		if ((k = add_group_id(up, ids[i])) < 0)
			return k;
		for (size_t j = 0; old && j < old->n_devices; j++)
			if ((k = add_member(up, r, h, old->devices[j])) < 0)
				return k;
		snprintf(dir, sizeof(dir), "sys/kernel/iommu_groups/%d/devices", ids[i]);
		k = sysfs_list(r, dir, &now, &n_now);
		for (size_t j = 0; k >= 0 && j < n_now; j++)
			k = add_member(up, r, h, now[j]);
		strv_free(now, n_now);
		if (k == -ENOENT)
			k = 0; /* the group is gone */
		if (k < 0)
			return k == -ENOMEM || k == -EAGAIN ? k : -EAGAIN;
	}
	return 0;
}

/* Sorted, each once, and not too many. */
static int settle_addrs(struct update *up)
{
	return strv_sort_uniq(up->addrs, &up->n_addrs) > UPDATE_MAX ? -EAGAIN : 0;
}

/* Read the devices/ of a unit of the model again (as probe_unit() does). */
static int add_unit(struct update *up, struct iommucap_root *r, struct iommucap_host *h,
		    const char *name)
{
	struct iommucap_unit *u;
	_cleanup_free_ char *devdir = NULL;
	struct unit_listing *n;
	int k;

	if (unit_changed(up, name))
		return 0; /* read whole already (or gone) */
	u = (struct iommucap_unit *)iommucap_host_find_unit(h, name);
	if (!u || !u->path)
		return -EAGAIN; /* a unit that was not there: its class entry changed too */
	if (find_listing(up, u))
		return 0;
	n = realloc(up->units, (up->n_units + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	up->units = n;
	n = &up->units[up->n_units++];
	*n = (struct unit_listing){ .u = u, .name = u->name };
	devdir = path_join(u->path, "devices");
	if (!devdir)
		return -ENOMEM;
	k = sysfs_list(r, devdir, &n->devices, &n->n_devices);
	strv_sort(n->devices, n->n_devices);
	if (k == -ENOMEM)
		return k;
	return k < 0 && k != -ENOENT ? -EAGAIN : 0;
}

/* The unit and group a device's links name now, read before the listings are. */
static int note_links(struct update *up, struct iommucap_root *r, struct iommucap_host *h,
		      const char *addr)
{
	_cleanup_free_ char *dir = path_join("sys/bus/pci/devices", addr), *unit = NULL;
	_cleanup_free_ char *group = NULL;
	uint64_t v;
	int k;

	if (!dir)
		return -ENOMEM;
	k = link_name(r, dir, "iommu", &unit);
	if (k == -ENOMEM)
		return k;
	if (k >= 0 && (k = add_unit(up, r, h, unit)) < 0)
		return k;
	k = link_name(r, dir, "iommu_group", &group);
	if (k == -ENOMEM)
		return k;
	if (k >= 0 && parse_dec_u64(group, &v) >= 0 && v <= INT32_MAX)
		return add_group_id(up, (int)v);
	return 0;
}

/* Count the listing's members among addrs (as probe_devices() marks the bus's devices). */
static void mark(const struct update *up, char **members, size_t m, const char *unit, int group,
		 bool kept)
{
	for (size_t j = 0; up->n_addrs > 0 && j < m; j++) {
		char **p = find_str(up->addrs, up->n_addrs, members[j]);
		size_t i = p ? (size_t)(p - up->addrs) : 0;

		if (!p)
			continue;
		if (unit) {
			up->listed[i].unit = unit;
			up->listed[i].n_units++;
		} else {
			up->listed[i].group = group;
			up->listed[i].n_groups++;
			up->kept_groups[i] += kept;
		}
	}
}

/*
 * What the units and groups list of each device read again, once the update is made: the new
 * listings where read again, the model's elsewhere. One walk of every listing, not one a device.
 */
static int mark_listings(struct update *up, const struct iommucap_host *h)
{
	up->listed = calloc(up->n_addrs ? up->n_addrs : 1, sizeof(*up->listed));
	up->kept_groups = calloc(up->n_addrs ? up->n_addrs : 1, sizeof(*up->kept_groups));
	if (!up->listed || !up->kept_groups)
		return -ENOMEM;
	for (size_t i = 0; i < up->n_addrs; i++)
		up->listed[i].group = -1;
	for (size_t i = 0; i < h->n_units; i++) {
		const struct iommucap_unit *u = &h->units[i];
		const struct unit_listing *ul;

		if (unit_changed(up, u->name))
			continue;
		ul = find_listing(up, u);
		if (ul)
			mark(up, ul->devices, ul->n_devices, u->name, -1, false);
		else
			mark(up, u->devices, u->n_devices, u->name, -1, false);
	}
	for (size_t i = 0; i < up->n_new_units; i++)
		mark(up, up->new_units[i].devices, up->new_units[i].n_devices,
		     up->new_units[i].name, -1, false);
	for (size_t i = 0; i < h->n_groups; i++)
		if (!has_group_id(up, h->groups[i].id))
			mark(up, h->groups[i].devices, h->groups[i].n_devices, NULL,
			     h->groups[i].id, true);
	for (size_t i = 0; i < up->n_groups; i++)
		mark(up, up->groups[i].devices, up->groups[i].n_devices, NULL, up->groups[i].id,
		     false);
	return 0;
}

static const struct listed *listing_of(const struct update *up, const char *addr)
{
	return &up->listed[find_str(up->addrs, up->n_addrs, addr) - up->addrs];
}

/* Is addr a PCI device once the update is made? */
static bool is_pci_after(const struct update *up, const struct iommucap_host *h, const char *addr)
{
	if (listed_in(up->addrs, up->n_addrs, addr))
		return find_device(up->devices, up->n_devices, addr);
	return host_has_pci_device(h, addr);
}

/* What cross_check() would warn about, for what changed: any of it is -EAGAIN. */
static int check_links(const struct update *up, struct iommucap_root *r,
		       const struct iommucap_host *h)
{
	for (size_t i = 0; i < up->n_devices; i++) {
		const struct iommucap_device *d = &up->devices[i];

		if (d->unit && !unit_after(up, h, d->unit))
			return -EAGAIN;
		if (d->group >= 0 && !find_group(up->groups, up->n_groups, d->group) &&
		    (has_group_id(up, d->group) || !host_find_group(h, d->group)))
			return -EAGAIN;
	}
	/* A unit changed or a group gone must be named by no device left as it was. */
	for (size_t j = 0; j < h->n_devices; j++) {
		const struct iommucap_device *d = &h->devices[j];

		if (listed_in(up->addrs, up->n_addrs, d->address))
			continue;
		if (d->unit && unit_changed(up, d->unit))
			return -EAGAIN; /* not listed by it before or now, yet named by its link */
		if (d->group >= 0 && has_group_id(up, d->group) &&
		    !find_group(up->groups, up->n_groups, d->group))
			return -EAGAIN;
	}
	/* A device that is gone must be listed by no group left as it was. */
	for (size_t i = 0; i < up->n_addrs; i++)
		if (up->kept_groups[i] > 0 &&
		    !find_device(up->devices, up->n_devices, up->addrs[i]))
			return -EAGAIN;
	/* Members of the groups read again that are not PCI devices must lead somewhere. */
	for (size_t i = 0; i < up->n_groups; i++) {
		const struct iommucap_group *g = &up->groups[i];

		for (size_t j = 0; j < g->n_devices; j++) {
			bool there = true;
			int k;

			if (is_pci_after(up, h, g->devices[j]))
				continue;
			k = group_member_exists(r, g->id, g->devices[j], &there);
			if (k < 0)
				return k;
			if (!there)
				return -EAGAIN;
		}
	}
	return 0;
}

/*
 * Before 6.13 a VT-d unit's DMA domains use first-stage tables only if every unit can
 * (vtd_dma_first_stage()), which sets the page sizes of all (vtd_host_pass()): a change of
 * units that turns that answer needs them all.
 */
static int check_vtd(const struct update *up, const struct iommucap_host *h)
{
	bool before = true, after = true;

	if (up->n_unit_names == 0)
		return 0;
	for (size_t i = 0; i < h->n_units; i++) {
		bool ok = vtd_unit_first_stage_capable(&h->units[i]);

		before = before && ok;
		if (!unit_changed(up, h->units[i].name))
			after = after && ok;
	}
	for (size_t i = 0; i < up->n_new_units; i++)
		after = after && vtd_unit_first_stage_capable(&up->new_units[i]);
	return before == after ? 0 : -EAGAIN;
}

/* Would escaping change a byte of what was read? Then it needs the whole walk. */
static int check_bytes(struct update *up)
{
	struct iommucap_host view = { 0 };
	size_t n = up->n_units + up->n_new_units;
	struct iommucap_unit *units = calloc(n ? n : 1, sizeof(*units));
	bool changed = false;
	int k = 0;

	if (!units)
		return -ENOMEM;
	view.units = units;
	for (size_t i = 0; i < up->n_units; i++) {
		units[i].name = strdup(up->units[i].name);
		units[i].devices = up->units[i].devices;
		units[i].n_devices = up->units[i].n_devices;
		view.n_units++;
		if (!units[i].name)
			k = -ENOMEM;
	}
	for (size_t i = 0; i < up->n_new_units; i++)
		units[view.n_units++] = up->new_units[i];
	view.groups = up->groups;
	view.n_groups = up->n_groups;
	view.devices = up->devices;
	view.n_devices = up->n_devices;
	if (k >= 0)
		k = host_escape_bytes(&view, &changed);
	for (size_t i = 0; i < up->n_units; i++) {
		/* An escaped listing would have been replaced: keep whichever is there now. */
		up->units[i].devices = units[i].devices;
		free(units[i].name);
	}
	for (size_t i = 0; i < up->n_new_units; i++)
		up->new_units[i] = units[up->n_units + i];
	free(units);
	strv_free(view.warnings, view.n_warnings);
	if (k < 0)
		return k;
	return changed ? -EAGAIN : 0;
}

static int read_all(struct update *up, struct iommucap_root *r, struct iommucap_host *h)
{
	int k;

	/* Where each device was, and where its links say it is now. */
	for (size_t i = 0; i < up->n_addrs; i++) {
		const struct iommucap_device *old =
			find_device(h->devices, h->n_devices, up->addrs[i]);
		_cleanup_free_ char *entry = path_join("sys/bus/pci/devices", up->addrs[i]);
		struct stat st;

		if (!entry)
			return -ENOMEM;
		if (old && old->hw_info.read)
			return -EAGAIN; /* its unit may have learnt from it */
		if (old && old->unit && (k = add_unit(up, r, h, old->unit)) < 0)
			return k;
		if (old && (k = add_group_id(up, old->group)) < 0)
			return k;
		if (sysfs_stat(r, entry, &st) < 0)
			continue; /* gone from the bus */
		k = note_links(up, r, h, up->addrs[i]);
		if (k < 0)
			return k;
		up->devices = reallocarray(up->devices, up->n_devices + 1, sizeof(*up->devices));
		if (!up->devices)
			return -ENOMEM;
		up->devices[up->n_devices++] = (struct iommucap_device){ .group = -1 };
		up->devices[up->n_devices - 1].address = strdup(up->addrs[i]);
		if (!up->devices[up->n_devices - 1].address)
			return -ENOMEM;
	}
	if (up->n_group_ids > UPDATE_GROUPS_MAX)
		return -EAGAIN;

	/* The groups, as probe_groups() reads each. */
	up->groups = calloc(up->n_group_ids ? up->n_group_ids : 1, sizeof(*up->groups));
	if (!up->groups)
		return -ENOMEM;
	for (size_t i = 0; i < up->n_group_ids; i++) {
		char dir[64];
		struct stat st;
		struct iommucap_group *g;

		snprintf(dir, sizeof(dir), "sys/kernel/iommu_groups/%d", up->group_ids[i]);
		if (sysfs_stat(r, dir, &st) < 0)
			continue; /* the group went with its last device */
		g = &up->groups[up->n_groups++];
		g->id = up->group_ids[i];
		k = probe_group(r, &up->scratch, g, dir);
		if (k < 0)
			return k;
	}

	/* The devices, as probe_devices() and the steps after it read each. */
	k = mark_listings(up, h);
	if (k < 0)
		return k;
	for (size_t i = 0; i < up->n_devices; i++) {
		struct iommucap_device *d = &up->devices[i];

		k = probe_device(r, &up->scratch, d, listing_of(up, d->address));
		if (k < 0)
			return k;
		/* Its unit and group must be ones read again (or none). */
		if (d->unit && !unit_changed(up, d->unit)) {
			const struct iommucap_unit *u = iommucap_host_find_unit(h, d->unit);

			if (!u || !find_listing(up, u))
				return -EAGAIN;
		}
		if (d->group >= 0 && !has_group_id(up, d->group))
			return -EAGAIN;
		k = probe_iommufd_device(r, &up->scratch, d);
		if (k < 0)
			return k;
		if (d->hw_info.read)
			return -EAGAIN; /* its unit may learn from it (probe_iommufd) */
	}
	if (up->scratch.n_warnings > 0)
		return -EAGAIN;
	k = check_links(up, r, h);
	if (k < 0)
		return k;
	k = check_vtd(up, h);
	if (k < 0)
		return k;
	return check_bytes(up);
}

/* Is this unit of h (before or after the patch) one the update touches? */
static bool unit_touched(const struct update *up, const struct iommucap_unit *u)
{
	if (unit_changed(up, u->name))
		return true;
	for (size_t i = 0; i < up->n_units; i++)
		if (streq(up->units[i].name, u->name))
			return true;
	return false;
}

/* {"units": [...], "devices": [...], "groups": [...]} of what the update touches, as it is. */
static int touched_doc(const struct update *up, const struct iommucap_host *h, json_t **ret)
{
	json_t *doc = json_pack("{s:[], s:[], s:[]}", "units", "devices", "groups");
	json_t *units = json_object_get(doc, "units"), *devices = json_object_get(doc, "devices");
	json_t *groups = json_object_get(doc, "groups");
	int k = doc ? 0 : -ENOMEM;

	for (size_t i = 0; k >= 0 && i < h->n_units; i++) {
		json_t *j = NULL;

		if (!unit_touched(up, &h->units[i]))
			continue;
		k = iommucap_unit_to_json(&h->units[i], &j);
		if (k >= 0 && json_array_append_new(units, j) < 0)
			k = -ENOMEM;
	}
	for (size_t i = 0; k >= 0 && i < up->n_addrs; i++) {
		const struct iommucap_device *d =
			find_device(h->devices, h->n_devices, up->addrs[i]);
		json_t *j = NULL;

		if (!d)
			continue;
		k = iommucap_device_to_json(d, &j);
		if (k >= 0 && json_array_append_new(devices, j) < 0)
			k = -ENOMEM;
	}
	for (size_t i = 0; k >= 0 && i < up->n_group_ids; i++) {
		const struct iommucap_group *g = host_find_group(h, up->group_ids[i]);
		json_t *j = NULL;

		if (!g)
			continue;
		k = iommucap_group_to_json(g, &j);
		if (k >= 0 && json_array_append_new(groups, j) < 0)
			k = -ENOMEM;
	}
	if (k < 0) {
		json_decref(doc);
		return k;
	}
	*ret = doc;
	return 0;
}

/*
 * Patch the sorted array v (n entries of size each) in place: out with the entries at the
 * sorted indexes drop (n_drop, already freed), in with the sorted array add (n_add). v has
 * room for n - n_drop + n_add entries. Only what lies after the first entry dropped or added
 * moves, a block at a time: no new array, no walk of every entry, no page touched twice (a new
 * array of a 20,000-device host is 5 MB of pages to fault in, which cost a daemon whose big
 * blocks are mmap()ed more than the rest of the update).
 */
static void patch_sorted(void *v, size_t *n, const size_t *drop, size_t n_drop, void *add,
			 size_t n_add, size_t size, int (*cmp)(const void *, const void *))
{
	char *a = v, *b = add;
	size_t w, m, i;

	/* Out: each run between two dropped entries moves down over the gaps. */
	w = n_drop ? drop[0] : *n;
	for (size_t j = 0; j < n_drop; j++) {
		size_t from = drop[j] + 1, to = j + 1 < n_drop ? drop[j + 1] : *n;

		if (to > from)
			memmove(a + w * size, a + from * size, (to - from) * size);
		w += to - from;
	}
	m = w;
	/* In, from the end: each added entry above the ones before it, whose run moves up. */
	i = m;
	for (size_t j = n_add; j-- > 0;) {
		const void *e = b + j * size;
		/* o: where v[0..i) and add[0..j] end once merged */
		size_t lo = 0, hi = i, o = i + j + 1;

		while (lo < hi) { /* the first of v[0..i) after e */
			size_t mid = lo + (hi - lo) / 2;

			if (cmp(a + mid * size, e) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (i > lo)
			memmove(a + (o - (i - lo)) * size, a + lo * size, (i - lo) * size);
		memcpy(a + (o - (i - lo) - 1) * size, e, size);
		i = lo;
	}
	*n = m + n_add;
}

/* The indexes in h->devices of the devices read again that were there: sorted, as addrs. */
static size_t devices_replaced(const struct update *up, struct iommucap_host *h, size_t *idx)
{
	size_t n = 0;

	for (size_t i = 0; i < up->n_addrs; i++) {
		struct iommucap_device *d = find_device(h->devices, h->n_devices, up->addrs[i]);

		if (d)
			idx[n++] = (size_t)(d - h->devices);
	}
	return n;
}

/* The indexes in h->groups of the groups read again that were there: sorted, as group_ids. */
static size_t groups_replaced(const struct update *up, struct iommucap_host *h, size_t *idx)
{
	size_t n = 0;

	for (size_t i = 0; i < up->n_group_ids; i++) {
		const struct iommucap_group *g = host_find_group(h, up->group_ids[i]);

		if (g)
			idx[n++] = (size_t)(g - h->groups);
	}
	return n;
}

/*
 * The units changed out, their new state in (h->units has room for them), in place as the
 * devices and groups: sorting the whole array again made a copy of it (qsort's buffer), 6 MB
 * on a 5,000-unit host.
 */
static int commit_units(struct update *up, struct iommucap_host *h)
{
	_cleanup_free_ size_t *idx = calloc(up->n_unit_names ?: 1, sizeof(size_t));
	size_t n_idx = 0;
	int k = 0;

	if (!idx)
		return -ENOMEM;
	for (size_t i = 0; i < up->n_unit_names; i++) {
		struct iommucap_unit *u =
			(struct iommucap_unit *)iommucap_host_find_unit(h, up->unit_names[i]);

		if (u)
			idx[n_idx++] = (size_t)(u - h->units);
	}
	/* Freed once all are found (a lookup compares names); unit_names is in strcmp order,
	 * the units in version order. */
	for (size_t i = 0; i < n_idx; i++)
		unit_done(&h->units[idx[i]]);
	qsort_safe(idx, n_idx, sizeof(*idx), cmp_size);
	qsort_safe(up->new_units, up->n_new_units, sizeof(*up->new_units), unit_cmp);
	patch_sorted(h->units, &h->n_units, idx, n_idx, up->new_units, up->n_new_units,
		     sizeof(*h->units), unit_cmp);
	up->n_new_units = 0;
	for (size_t i = 0; i < up->n_unit_names && k >= 0; i++) {
		struct iommucap_unit *u =
			(struct iommucap_unit *)iommucap_host_find_unit(h, up->unit_names[i]);

		if (u)
			k = iommucap_unit_pass(h, u);
	}
	return k;
}

/* The passes of the probe after every device is read, for what changed. */
static int commit_passes(struct update *up, struct iommucap_root *r, struct iommucap_host *h)
{
	int k = 0;

	for (size_t i = 0; i < up->n_addrs && k >= 0; i++) {
		struct iommucap_device *d = find_device(h->devices, h->n_devices, up->addrs[i]);

		if (d)
			k = device_effective_pasid(h, d);
	}
	for (size_t i = 0; i < up->n_unit_names && k >= 0; i++) {
		struct iommucap_unit *u =
			(struct iommucap_unit *)iommucap_host_find_unit(h, up->unit_names[i]);

		if (u)
			k = hwinfo_unit_pass(r, h, u);
	}
	return k;
}

/* Patch the model: once the arrays have room, only the passes after it can fail (ENOMEM). */
static int commit(struct update *up, struct iommucap_root *r, struct iommucap_host *h)
{
	size_t n_units = h->n_units + up->n_new_units, n_dev, n_grp;
	_cleanup_free_ size_t *dev_idx = calloc(up->n_addrs ?: 1, sizeof(size_t));
	_cleanup_free_ size_t *grp_idx = calloc(up->n_group_ids ?: 1, sizeof(size_t));
	struct iommucap_device *dv;
	struct iommucap_group *gv;
	struct iommucap_unit *uv;
	int k;

	if (!dev_idx || !grp_idx)
		return -ENOMEM;
	n_dev = devices_replaced(up, h, dev_idx);
	n_grp = groups_replaced(up, h, grp_idx);
	/* Room first (an array only grows here), so that nothing after fails half way. */
	dv = h->n_devices - n_dev + up->n_devices > h->n_devices
		     ? reallocarray(h->devices, h->n_devices - n_dev + up->n_devices, sizeof(*dv))
		     : h->devices;
	if (dv)
		h->devices = dv;
	gv = h->n_groups - n_grp + up->n_groups > h->n_groups
		     ? reallocarray(h->groups, h->n_groups - n_grp + up->n_groups, sizeof(*gv))
		     : h->groups;
	if (gv)
		h->groups = gv;
	uv = reallocarray(h->units, n_units ?: 1, sizeof(*uv));
	if (uv)
		h->units = uv;
	if ((!dv && h->n_devices - n_dev + up->n_devices > 0) ||
	    (!gv && h->n_groups - n_grp + up->n_groups > 0) || !uv)
		return -ENOMEM;
	/* The listings first, by name (h->units may have moved), before commit_units() reorders. */
	for (size_t i = 0; i < up->n_units; i++) {
		struct iommucap_unit *u =
			(struct iommucap_unit *)iommucap_host_find_unit(h, up->units[i].name);

		strv_free(u->devices, u->n_devices);
		u->devices = TAKE_PTR(up->units[i].devices);
		u->n_devices = up->units[i].n_devices;
		up->units[i].n_devices = 0;
	}
	/* Out with the old state of every device and group touched, in with the new. */
	for (size_t i = 0; i < n_dev; i++)
		device_done(&h->devices[dev_idx[i]]);
	patch_sorted(h->devices, &h->n_devices, dev_idx, n_dev, up->devices, up->n_devices,
		     sizeof(*dv), device_cmp);
	up->n_devices = 0;
	for (size_t i = 0; i < n_grp; i++)
		group_done(&h->groups[grp_idx[i]]);
	patch_sorted(h->groups, &h->n_groups, grp_idx, n_grp, up->groups, up->n_groups, sizeof(*gv),
		     group_cmp);
	up->n_groups = 0;
	k = up->n_unit_names > 0 ? commit_units(up, h) : 0;
	if (k < 0)
		return k;
	k = commit_passes(up, r, h);
	if (k < 0)
		return k;

	free(h->info.domain_type);
	free(h->info.domain_mode);
	free(h->info.domain_reason);
	h->info.domain_type = h->info.domain_mode = h->info.domain_reason = NULL;
	h->generated_at = iommucap_now();
	return derive_domain_mode(h);
}

int iommucap_host_update(struct iommucap_root *r, struct iommucap_host *h,
			 const struct iommucap_change *c, json_t **ret_before, json_t **ret_after)
{
	struct update up = { 0 };
	json_t *before = NULL, *after = NULL;
	int k = 0;

	if ((c->n_devices == 0 && c->n_units == 0 && c->n_groups == 0) ||
	    c->n_devices > UPDATE_MAX || h->n_warnings > 0)
		return -EAGAIN;
	sysfs_forget_dirs(r);
	up.scratch.info = h->info; /* read only (hw_info needs the kernel release) */
	for (size_t i = 0; i < c->n_devices && k >= 0; i++)
		k = add_addr(&up, c->devices[i]);
	if (k >= 0)
		k = add_units(&up, r, h, c->units, c->n_units);
	if (k >= 0)
		k = add_groups(&up, r, h, c->groups, c->n_groups);
	if (k >= 0)
		k = settle_addrs(&up);
	if (k >= 0)
		k = read_all(&up, r, h);
	if (k >= 0 && ret_before)
		k = touched_doc(&up, h, &before);
	if (k >= 0)
		k = commit(&up, r, h);
	if (k >= 0 && ret_after)
		k = touched_doc(&up, h, &after);
	up.scratch.info = (struct iommucap_hostinfo){ 0 };
	update_done(&up);
	if (k < 0) {
		json_decref(before);
		json_decref(after);
		return k;
	}
	if (ret_before)
		*ret_before = before;
	if (ret_after)
		*ret_after = after;
	return 0;
}
