/* iommufd IOMMU_GET_HW_INFO: the live reader, the capture format (docs/hw-info.md), the model. */
#pragma once

#include "iommucap.h"

/* Where a capture keeps one file per device, under the sysroot: iommufd/hw_info/ADDRESS. */
#define HWINFO_CAPTURE_DIR "iommufd/hw_info"
/* A capture file is a few lines; the data is at most 64 bytes (128 hex digits). */
#define HWINFO_FILE_MAX 4096

struct iommucap_root;

/*
 * Ask the kernel for the hw_info of the device whose sysfs directory is dir: open /dev/iommu and
 * the device's VFIO cdev (/dev/vfio/devices/vfioN, named by dir/vfio-dev/), bind, ask, close.
 * -ENOENT when the device has no VFIO cdev. Otherwise 0 with ret->read, or with ret->reason
 * saying why not (a device in use is refused by the bind and left alone). hi gives the release,
 * which says which output fields the kernel fills. -ENOMEM is the only other error.
 */
int hwinfo_read_live(struct iommucap_root *r, const struct iommucap_hostinfo *hi, const char *dir,
		     struct iommucap_hwinfo *ret);

/* Parse a capture file; -EINVAL with a one-line *ret_error on a malformed one. */
int hwinfo_parse(const char *text, struct iommucap_hwinfo *ret, char **ret_error);

/* The capture file for one device, as hwinfo_parse reads it back. */
int hwinfo_format(const struct iommucap_hwinfo *hw, const char *address, char **ret);

/*
 * The unit's registers from a device's answer: the unit's raw registers and fields become the
 * kernel's values (a sysfs value that differs is a warning on h) and every capability decoded
 * from registers is sourced "iommufd". 0 when applied, -EMEDIUMTYPE when the answer's type does
 * not fit the unit (a warning), -ENOMEM.
 */
int hwinfo_apply(struct iommucap_host *h, struct iommucap_unit *u, const struct iommucap_hwinfo *hw,
		 const char *address);

/* "intel-vtd", "arm-smmuv3", ... for IOMMU_HW_INFO_TYPE_*, NULL for a number we do not know. */
const char *hwinfo_type_name(uint32_t type);

/* The names of the IOMMU_HW_CAP_* bits, in bit order, NULL for a bit we do not know. */
const char *hwinfo_cap_name(unsigned bit);

void hwinfo_done(struct iommucap_hwinfo *hw);
