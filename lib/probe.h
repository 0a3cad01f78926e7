/* The steps of iommucap_probe() (probe*.c, derive.c, cross-check.c) and what they share. */
#pragma once

#include <stdbool.h>

#include "iommucap.h"

/* Probing steps (probe-*.c); each fills its part of the host, warning on what it cannot read. */
int probe_hostinfo(struct iommucap_root *r, struct iommucap_host *h);
int probe_units(struct iommucap_root *r, struct iommucap_host *h);
int probe_groups(struct iommucap_root *r, struct iommucap_host *h);
int probe_devices(struct iommucap_root *r, struct iommucap_host *h);
/* iommufd IOMMU_GET_HW_INFO for devices with a VFIO cdev (hwinfo.c); after probe_devices. */
int probe_iommufd(struct iommucap_root *r, struct iommucap_host *h);

/*
 * What the units' and groups' devices/ listings already say about a device: the kernel makes
 * the device's "iommu" link together with the unit's devices/<dev> link (iommu_device_link(),
 * drivers/iommu/iommu-sysfs.c, since 3.17) and its "iommu_group" link together with the
 * group's devices/<dev> link (iommu_group_add_device(), later iommu_group_alloc_device(),
 * drivers/iommu/iommu.c, since 3.5). A device listed by exactly one unit (one group) needs
 * that link read no more; otherwise, or when it is listed by none, the link is read.
 */
struct listed {
	const char *unit;
	int group;
	unsigned n_units, n_groups;
};

/* One group (dir: its directory) and one device, as the steps above read each. */
int probe_group(struct iommucap_root *r, struct iommucap_host *h, struct iommucap_group *g,
		const char *dir);
int probe_device(struct iommucap_root *r, struct iommucap_host *h, struct iommucap_device *d,
		 const struct listed *l);
/* The last path component of the link dir/name (unit name, driver name, group number). */
int link_name(struct iommucap_root *r, const char *dir, const char *name, char **ret);
/* The end of probe_iommufd for one unit, once the devices are probed: where its facts came
 * from, or why iommufd said nothing (hwinfo.c). */
int hwinfo_unit_pass(struct iommucap_root *r, const struct iommucap_host *h,
		     struct iommucap_unit *u);
/* One unit (its name set) as probe_units() reads each, but for vtd_host_pass (probe-units.c). */
int probe_unit(struct iommucap_root *r, struct iommucap_host *h, struct iommucap_unit *u);
/* probe_iommufd for one device, learning nothing for its unit (hwinfo.c). */
int probe_iommufd_device(struct iommucap_root *r, struct iommucap_host *h,
			 struct iommucap_device *d);

/* The device's PASID/ATS/PRI/ACS from its config file under dir (probe-config.c). */
int probe_config(struct iommucap_root *r, struct iommucap_device *d, const char *dir);

/* derive.c: what follows from the probed facts; after every step above. */
int device_effective_pasid(const struct iommucap_host *h, struct iommucap_device *d);
int derive_domain_mode(struct iommucap_host *h);

/* cross-check.c: a warning for each link that names what is not there; after the sorts. */
int cross_check(struct iommucap_root *r, struct iommucap_host *h);
/* Does the group's devices/<member> link lead to something? (<0 only for -ENOMEM) */
int group_member_exists(struct iommucap_root *r, int group, const char *member, bool *ret);

/* The orders the probe sorts groups (by id) and devices (by address) in, and lookups by them. */
int group_cmp(const void *a, const void *b);
int device_cmp(const void *a, const void *b);
const struct iommucap_group *host_find_group(const struct iommucap_host *h, int id);
bool host_has_pci_device(const struct iommucap_host *h, const char *name);
