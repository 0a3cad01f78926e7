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

/* The device's PASID/ATS/PRI/ACS from its config file under dir (probe-config.c). */
int probe_config(struct iommucap_root *r, struct iommucap_device *d, const char *dir);

/* derive.c: what follows from the probed facts; after every step above. */
int device_effective_pasid(const struct iommucap_host *h, struct iommucap_device *d);
int derive_domain_mode(struct iommucap_host *h);

/* cross-check.c: a warning for each link that names what is not there; after the sorts. */
int cross_check(struct iommucap_root *r, struct iommucap_host *h);

/* The orders the probe sorts groups (by id) and devices (by address) in, and lookups by them. */
int group_cmp(const void *a, const void *b);
int device_cmp(const void *a, const void *b);
const struct iommucap_group *host_find_group(const struct iommucap_host *h, int id);
bool host_has_pci_device(const struct iommucap_host *h, const char *name);
