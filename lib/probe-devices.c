/* PCI devices: sys/bus/pci/devices, each device's unit, group, driver and identity. */
#include "config.h"

#include "model.h"
#include "parse.h"
#include "probe.h"
#include "sysfs.h"

/* The last path component of a resolved link (unit name, driver name, group number). */
int link_name(struct iommucap_root *r, const char *dir, const char *name, char **ret)
{
	_cleanup_free_ char *target = NULL;
	int k = sysfs_resolve_link(r, dir, name, &target);

	if (k < 0)
		return k;
	*ret = strdup(path_basename(target));
	return *ret ? 0 : -ENOMEM;
}

int probe_device(struct iommucap_root *r, struct iommucap_host *h, struct iommucap_device *d,
		 const struct listed *l)
{
	_cleanup_free_ char *dir = NULL, *reason = NULL, *group = NULL;
	uint64_t v;
	int k;

	/* The bus link itself is the device's directory; a flattened link file is resolved. */
	dir = path_join("sys/bus/pci/devices", d->address);
	if (!dir)
		return -ENOMEM;
	d->group = -1;
	if (!sysfs_dir_ok(r, dir)) {
		_cleanup_free_ char *target = NULL;

		k = sysfs_resolve_link(r, "sys/bus/pci/devices", d->address, &target);
		if (k == -ENOMEM)
			return k;
		if (k >= 0) {
			free(dir);
			dir = TAKE_PTR(target);
		}
	}
	if (!sysfs_dir_ok(r, dir)) {
		if (host_warn(h, "%s: the device's sysfs directory /%s does not exist", d->address,
			      dir) < 0 ||
		    asprintf(&d->config_reason, "the device's sysfs directory does not exist") < 0)
			return -ENOMEM;
		d->missing = true;
		return 0;
	}

	if (l->n_units == 1) {
		d->unit = strdup(l->unit);
		if (!d->unit)
			return -ENOMEM;
	} else if ((k = link_name(r, dir, "iommu", &d->unit)) == -ENOMEM)
		return k;
	if (l->n_groups == 1)
		d->group = l->group;
	else if ((k = link_name(r, dir, "iommu_group", &group)) == -ENOMEM)
		return k;
	else if (k >= 0) {
		if (parse_dec_u64(group, &v) >= 0 && v <= INT32_MAX)
			d->group = (int)v;
		else if (host_warn(h, "%s: iommu_group link does not name a group", d->address) < 0)
			return -ENOMEM;
	}
	k = link_name(r, dir, "driver", &d->driver);
	if (k == -ENOMEM)
		return k;

	/* Identity: vendor, device and class are world-readable attributes. */
	d->have_ids = true;
	if (attr_read_hex(r, dir, "vendor", &v, &reason) >= 0)
		d->vendor = (uint32_t)v;
	else
		d->have_ids = false;
	free(reason);
	reason = NULL;
	if (attr_read_hex(r, dir, "device", &v, &reason) >= 0)
		d->device_id = (uint32_t)v;
	else
		d->have_ids = false;
	free(reason);
	reason = NULL;
	if (attr_read_hex(r, dir, "class", &v, &reason) >= 0)
		d->class_code = (uint32_t)v;
	else
		d->have_ids = false;

	return probe_config(r, d, dir);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The members of a unit (unit set) or of a group, counted against the sorted device names. */
static void mark_listed(struct listed *listed, char **names, size_t n, char **members, size_t m,
			const char *unit, int group)
{
	for (size_t j = 0; n > 0 && j < m; j++) {
		char **p = bsearch_safe(&members[j], names, n, sizeof(char *), cmp_name);
		struct listed *l = p ? &listed[p - names] : NULL;

		if (l && unit) {
			l->unit = unit;
			l->n_units++;
		} else if (l) {
			l->group = group;
			l->n_groups++;
		}
	}
}

int probe_devices(struct iommucap_root *r, struct iommucap_host *h)
{
	_cleanup_free_ struct listed *listed = NULL;
	char **names = NULL;
	size_t n = 0;
	int k = sysfs_list(r, "sys/bus/pci/devices", &names, &n);

	strv_sort(names, n);

	if (k == -ENOENT)
		return 0; /* no PCI bus */
	if (k < 0)
		return k == -ENOMEM
			       ? k
			       : host_warn(h, "cannot list sys/bus/pci/devices: %s", strerror(-k));
	h->devices = calloc(n ? n : 1, sizeof(*h->devices));
	listed = calloc(n ? n : 1, sizeof(*listed));
	if (!h->devices || !listed) {
		strv_free(names, n);
		return -ENOMEM;
	}
	for (size_t i = 0; i < h->n_units; i++)
		mark_listed(listed, names, n, h->units[i].devices, h->units[i].n_devices,
			    h->units[i].name, -1);
	for (size_t i = 0; i < h->n_groups; i++)
		mark_listed(listed, names, n, h->groups[i].devices, h->groups[i].n_devices, NULL,
			    h->groups[i].id);
	for (size_t i = 0; i < n; i++) {
		struct iommucap_device *d = &h->devices[h->n_devices++];

		d->address = names[i];
		k = probe_device(r, h, d, &listed[i]);
		if (k < 0)
			break;
	}
	/* The names are now the devices' addresses; only the rest (after an error) are freed. */
	for (size_t i = h->n_devices; i < n; i++)
		free(names[i]);
	free(names);
	return k < 0 ? k : 0;
}
