/* Links that name what is not there: a device's unit or group, a group's member. */
#include "config.h"

#include <sys/stat.h>

#include "model.h"
#include "probe.h"
#include "sysfs.h"

int group_member_exists(struct iommucap_root *r, int group, const char *member, bool *ret)
{
	_cleanup_free_ char *target = NULL;
	char dir[64];
	struct stat st;
	int k;

	snprintf(dir, sizeof(dir), "sys/kernel/iommu_groups/%d/devices", group);
	k = sysfs_resolve_link(r, dir, member, &target);
	if (k == -ENOMEM)
		return k;
	*ret = k >= 0 && sysfs_stat(r, target, &st) >= 0;
	return 0;
}

int cross_check(struct iommucap_root *r, struct iommucap_host *h)
{
	for (size_t i = 0; i < h->n_devices; i++) {
		const struct iommucap_device *d = &h->devices[i];

		if (d->unit && !iommucap_host_find_unit(h, d->unit) &&
		    host_warn(h, "%s: its iommu link names %s, which is not an IOMMU unit",
			      d->address, d->unit) < 0)
			return -ENOMEM;
		if (d->group >= 0 && !host_find_group(h, d->group) &&
		    host_warn(h, "%s: its iommu_group link names group %d, which does not exist",
			      d->address, d->group) < 0)
			return -ENOMEM;
	}
	for (size_t i = 0; i < h->n_groups; i++) {
		const struct iommucap_group *g = &h->groups[i];

		for (size_t j = 0; j < g->n_devices; j++) {
			bool there = true;
			int k;

			/* Non-PCI members (platform devices) are fine if their link leads
			 * somewhere. */
			if (host_has_pci_device(h, g->devices[j]))
				continue;
			k = group_member_exists(r, g->id, g->devices[j], &there);
			if (k < 0)
				return k;
			if (!there && host_warn(h, "group %d: member %s does not exist", g->id,
						g->devices[j]) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}
