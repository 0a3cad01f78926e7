/* Links that name what is not there: a device's unit or group, a group's member. */
#include "config.h"

#include <sys/stat.h>

#include "model.h"
#include "probe.h"
#include "sysfs.h"

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
		char dir[64];

		snprintf(dir, sizeof(dir), "sys/kernel/iommu_groups/%d/devices", g->id);
		for (size_t j = 0; j < g->n_devices; j++) {
			_cleanup_free_ char *target = NULL;
			struct stat st;
			int k;

			/* Non-PCI members (platform devices) are fine if their link leads
			 * somewhere. */
			if (host_has_pci_device(h, g->devices[j]))
				continue;
			k = sysfs_resolve_link(r, dir, g->devices[j], &target);
			if (k == -ENOMEM)
				return k;
			if ((k < 0 || sysfs_stat(r, target, &st) < 0) &&
			    host_warn(h, "group %d: member %s does not exist", g->id,
				      g->devices[j]) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}
