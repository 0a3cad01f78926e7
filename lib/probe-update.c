/* A change of a few PCI devices followed without probing everything again. */
#include "config.h"

#include <sys/stat.h>

#include "model.h"
#include "parse.h"
#include "probe.h"
#include "sysfs.h"

/*
 * The kernel adds or removes a PCI device together with its links: the unit's devices/<dev>
 * (iommu_device_link()) and the group's devices/<dev> (iommu_group_add_device()), and a group
 * directory with its first device or without its last. So a change of device D reads again D,
 * the units and the groups D was and is in, and nothing else. Anything beyond that shape --
 * a warning before or after, a byte to escape, a unit that is not known, a device with
 * iommufd hw_info (its unit learns from it), a stale listing elsewhere -- is -EAGAIN: the
 * caller probes everything, as before. The model is patched only once all is read and checked.
 */

#define UPDATE_MAX 64

struct unit_listing {
	struct iommucap_unit *u;
	char **devices;
	size_t n_devices;
};

struct update {
	struct iommucap_host scratch; /* warnings go here; any is a reason to probe it all */
	char **addrs;
	size_t n_addrs;
	struct unit_listing *units;
	size_t n_units;
	int *group_ids; /* every group the devices were or are in, sorted */
	size_t n_group_ids;
	struct iommucap_group *groups; /* their new state, for the ids still present, sorted */
	size_t n_groups;
	struct iommucap_device *devices; /* the devices present now, sorted */
	size_t n_devices;
};

static void update_done(struct update *up)
{
	strv_free(up->addrs, up->n_addrs);
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

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static bool listed_in(char **v, size_t n, const char *name)
{
	return n > 0 && bsearch(&name, v, n, sizeof(*v), cmp_str);
}

static struct iommucap_device *find_device(struct iommucap_device *v, size_t n, const char *addr)
{
	struct iommucap_device key = { .address = (char *)addr };

	return n > 0 ? bsearch(&key, v, n, sizeof(*v), device_cmp) : NULL;
}

static struct iommucap_group *find_group(struct iommucap_group *v, size_t n, int id)
{
	struct iommucap_group key = { .id = id };

	return n > 0 ? bsearch(&key, v, n, sizeof(*v), group_cmp) : NULL;
}

static bool has_group_id(const struct update *up, int id)
{
	return up->n_group_ids > 0 &&
	       bsearch(&id, up->group_ids, up->n_group_ids, sizeof(int), cmp_int);
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
	qsort(n, up->n_group_ids, sizeof(*n), cmp_int);
	return 0;
}

static struct unit_listing *find_listing(const struct update *up, const struct iommucap_unit *u)
{
	for (size_t i = 0; i < up->n_units; i++)
		if (up->units[i].u == u)
			return &up->units[i];
	return NULL;
}

/* Read the unit's devices/ again (as probe_unit() does). */
static int add_unit(struct update *up, struct iommucap_root *r, struct iommucap_host *h,
		    const char *name)
{
	struct iommucap_unit *u = (struct iommucap_unit *)iommucap_host_find_unit(h, name);
	_cleanup_free_ char *devdir = NULL;
	struct unit_listing *n;
	int k;

	if (!u || !u->path)
		return -EAGAIN; /* a unit that was not there: its class entry changed too */
	if (find_listing(up, u))
		return 0;
	n = realloc(up->units, (up->n_units + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	up->units = n;
	n = &up->units[up->n_units++];
	*n = (struct unit_listing){ .u = u };
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

/* What a device listed by these units and groups (the new listings where read again) gets. */
static struct listed listing_of(const struct update *up, const struct iommucap_host *h,
				const char *addr)
{
	struct listed l = { .group = -1 };

	for (size_t i = 0; i < h->n_units; i++) {
		const struct unit_listing *ul = find_listing(up, &h->units[i]);
		bool in = ul ? listed_in(ul->devices, ul->n_devices, addr)
			     : listed_in(h->units[i].devices, h->units[i].n_devices, addr);

		if (in) {
			l.unit = h->units[i].name;
			l.n_units++;
		}
	}
	for (size_t i = 0; i < h->n_groups; i++) {
		const struct iommucap_group *g = &h->groups[i];

		if (has_group_id(up, g->id) || !listed_in(g->devices, g->n_devices, addr))
			continue;
		l.group = g->id;
		l.n_groups++;
	}
	for (size_t i = 0; i < up->n_groups; i++)
		if (listed_in(up->groups[i].devices, up->groups[i].n_devices, addr)) {
			l.group = up->groups[i].id;
			l.n_groups++;
		}
	return l;
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

		if (d->unit && !iommucap_host_find_unit(h, d->unit))
			return -EAGAIN;
		if (d->group >= 0 && !find_group(up->groups, up->n_groups, d->group) &&
		    (has_group_id(up, d->group) || !host_find_group(h, d->group)))
			return -EAGAIN;
	}
	/* A group that is gone must be named by no device left. */
	for (size_t i = 0; i < up->n_group_ids; i++) {
		int id = up->group_ids[i];

		if (find_group(up->groups, up->n_groups, id))
			continue;
		for (size_t j = 0; j < h->n_devices; j++)
			if (h->devices[j].group == id &&
			    !listed_in(up->addrs, up->n_addrs, h->devices[j].address))
				return -EAGAIN;
	}
	/* A device that is gone must be listed by no group left as it was. */
	for (size_t i = 0; i < up->n_addrs; i++) {
		if (find_device(up->devices, up->n_devices, up->addrs[i]))
			continue;
		for (size_t j = 0; j < h->n_groups; j++)
			if (!has_group_id(up, h->groups[j].id) &&
			    listed_in(h->groups[j].devices, h->groups[j].n_devices, up->addrs[i]))
				return -EAGAIN;
	}
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

/* Would escaping change a byte of what was read? Then it needs the whole walk. */
static int check_bytes(struct update *up)
{
	struct iommucap_host view = { 0 };
	struct iommucap_unit *units = calloc(up->n_units ? up->n_units : 1, sizeof(*units));
	bool changed = false;
	int k = 0;

	if (!units)
		return -ENOMEM;
	view.units = units;
	for (size_t i = 0; i < up->n_units; i++) {
		units[i].name = strdup(up->units[i].u->name);
		units[i].devices = up->units[i].devices;
		units[i].n_devices = up->units[i].n_devices;
		view.n_units++;
		if (!units[i].name)
			k = -ENOMEM;
	}
	view.groups = up->groups;
	view.n_groups = up->n_groups;
	view.devices = up->devices;
	view.n_devices = up->n_devices;
	if (k >= 0)
		k = host_escape_bytes(&view, &changed);
	for (size_t i = 0; i < view.n_units; i++) {
		/* An escaped listing would have been replaced: keep whichever is there now. */
		up->units[i].devices = units[i].devices;
		free(units[i].name);
	}
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
	for (size_t i = 0; i < up->n_devices; i++) {
		struct iommucap_device *d = &up->devices[i];
		struct listed l = listing_of(up, h, d->address);

		k = probe_device(r, &up->scratch, d, &l);
		if (k < 0)
			return k;
		/* Its unit and group must be ones read again (or none). */
		if (d->unit) {
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
		k = device_effective_pasid(h, d);
		if (k < 0)
			return k;
	}
	if (up->scratch.n_warnings > 0)
		return -EAGAIN;
	k = check_links(up, r, h);
	if (k < 0)
		return k;
	return check_bytes(up);
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

		if (!find_listing(up, &h->units[i]))
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

/* Patch the model: nothing here can fail once the arrays have room. */
static int commit(struct update *up, struct iommucap_host *h)
{
	size_t n_dev = h->n_devices + up->n_devices, n_grp = h->n_groups + up->n_groups;
	struct iommucap_device *dv = reallocarray(h->devices, n_dev ? n_dev : 1, sizeof(*dv));
	struct iommucap_group *gv;

	if (!dv)
		return -ENOMEM;
	h->devices = dv;
	gv = reallocarray(h->groups, n_grp ? n_grp : 1, sizeof(*gv));
	if (!gv)
		return -ENOMEM;
	h->groups = gv;

	for (size_t i = 0; i < up->n_units; i++) {
		struct iommucap_unit *u = up->units[i].u;

		strv_free(u->devices, u->n_devices);
		u->devices = TAKE_PTR(up->units[i].devices);
		u->n_devices = up->units[i].n_devices;
		up->units[i].n_devices = 0;
	}
	/* Out with the old state of every device and group touched, in with the new. */
	for (size_t i = 0; i < up->n_addrs; i++) {
		struct iommucap_device *d = find_device(h->devices, h->n_devices, up->addrs[i]);

		if (!d)
			continue;
		device_done(d);
		memmove(d, d + 1, (size_t)(&h->devices[h->n_devices] - (d + 1)) * sizeof(*d));
		h->n_devices--;
	}
	for (size_t i = 0; i < up->n_group_ids; i++) {
		struct iommucap_group *g = find_group(h->groups, h->n_groups, up->group_ids[i]);

		if (!g)
			continue;
		group_done(g);
		memmove(g, g + 1, (size_t)(&h->groups[h->n_groups] - (g + 1)) * sizeof(*g));
		h->n_groups--;
	}
	for (size_t i = 0; i < up->n_devices; i++)
		h->devices[h->n_devices++] = up->devices[i];
	up->n_devices = 0;
	for (size_t i = 0; i < up->n_groups; i++)
		h->groups[h->n_groups++] = up->groups[i];
	up->n_groups = 0;
	if (h->n_devices > 1)
		qsort(h->devices, h->n_devices, sizeof(*h->devices), device_cmp);
	if (h->n_groups > 1)
		qsort(h->groups, h->n_groups, sizeof(*h->groups), group_cmp);

	free(h->info.domain_type);
	free(h->info.domain_mode);
	free(h->info.domain_reason);
	h->info.domain_type = h->info.domain_mode = h->info.domain_reason = NULL;
	h->generated_at = iommucap_now();
	return derive_domain_mode(h);
}

int iommucap_host_update_devices(struct iommucap_root *r, struct iommucap_host *h,
				 char *const *addrs, size_t n, const int *groups, size_t n_groups,
				 json_t **ret_before, json_t **ret_after)
{
	struct update up = { 0 };
	json_t *before = NULL, *after = NULL;
	int k = 0;

	if (n == 0 || n > UPDATE_MAX || h->n_warnings > 0)
		return -EAGAIN;
	sysfs_forget_dirs(r);
	up.scratch.info = h->info; /* read only (hw_info needs the kernel release) */
	up.addrs = calloc(n, sizeof(char *));
	if (!up.addrs)
		return -ENOMEM;
	for (size_t i = 0; i < n && k >= 0; i++) {
		if (!addrs[i][0] || strchr(addrs[i], '/') || streq(addrs[i], ".") ||
		    streq(addrs[i], ".."))
			k = -EAGAIN;
		else if (!(up.addrs[up.n_addrs++] = strdup(addrs[i])))
			k = -ENOMEM;
	}
	if (k >= 0) {
		strv_sort(up.addrs, up.n_addrs);
		for (size_t i = 1; i < up.n_addrs; i++)
			if (streq(up.addrs[i - 1], up.addrs[i]))
				k = -EAGAIN; /* the caller gives each once */
	}
	if (k >= 0)
		k = read_all(&up, r, h);
	/* Groups seen to change must be ones these devices were or are in. */
	for (size_t i = 0; k >= 0 && i < n_groups; i++)
		if (!has_group_id(&up, groups[i]))
			k = -EAGAIN;
	if (k >= 0 && ret_before)
		k = touched_doc(&up, h, &before);
	if (k >= 0)
		k = commit(&up, h);
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
