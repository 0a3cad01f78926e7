/* The iommufd and VFIO cdev uAPI the hw_info reader uses, as Linux 7.3 defines it. */
#pragma once

/*
 * Written out from include/uapi/linux/iommufd.h and include/uapi/linux/vfio.h (Linux 7.3)
 * because the build hosts' kernel headers (Debian 12: 6.1) predate iommufd's hw_info. Only what
 * the reader needs; the names are the kernel's so that they can be compared line by line.
 *
 * Every iommufd ioctl passes its structure's size in the first u32; a kernel accepts a larger
 * structure as long as the bytes it does not know are zero (E2BIG otherwise) and writes back no
 * more than it knows (iommufd_ucmd_respond copies min(user size, its size)). So one zeroed
 * struct iommu_hw_info of the newest size serves every kernel; what an older kernel did not
 * fill stays zero, and the reader tells "zero" from "not reported" by the kernel release:
 *
 *   6.6   IOMMU_GET_HW_INFO, IOMMU_HW_INFO_TYPE_INTEL_VTD; struct size 32 (no out_capabilities)
 *   6.7   out_capabilities (IOMMU_HW_CAP_DIRTY_TRACKING); struct size 40
 *   6.13  IOMMU_HW_INFO_TYPE_ARM_SMMUV3 (the driver's hw_info op; the struct was in 6.12's uAPI)
 *   6.15  out_max_pasid_log2 and IOMMU_HW_CAP_PCI_PASID_EXEC/PRIV (from __reserved)
 *   later IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED and IOMMU_HW_INFO_FLAG_INPUT_TYPE (with the
 *         Tegra241 CMDQV type), IOMMU_HW_INFO_TYPE_AMD (2026, CONFIG_AMD_IOMMU_IOMMUFD); all
 *         in 7.3
 *
 * VFIO_DEVICE_BIND_IOMMUFD (6.6, on /dev/vfio/devices/vfioN with CONFIG_VFIO_DEVICE_CDEV)
 * binds the device to an iommufd; closing the device fd unbinds it.
 */

#include <stdint.h>
#include <sys/ioctl.h>

#define IOMMUFD_TYPE		(';')
#define IOMMUFD_CMD_GET_HW_INFO 0x8a /* IOMMUFD_CMD_BASE 0x80 + 10 */
#define IOMMU_GET_HW_INFO	_IO(IOMMUFD_TYPE, IOMMUFD_CMD_GET_HW_INFO)

enum iommu_hw_info_type {
	IOMMU_HW_INFO_TYPE_NONE = 0,
	IOMMU_HW_INFO_TYPE_INTEL_VTD = 1,
	IOMMU_HW_INFO_TYPE_ARM_SMMUV3 = 2,
	IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV = 3,
	IOMMU_HW_INFO_TYPE_AMD = 4,
};

enum iommufd_hw_capabilities {
	IOMMU_HW_CAP_DIRTY_TRACKING = 1 << 0,
	IOMMU_HW_CAP_PCI_PASID_EXEC = 1 << 1,
	IOMMU_HW_CAP_PCI_PASID_PRIV = 1 << 2,
	IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED = 1 << 3,
};

struct iommu_hw_info {
	uint32_t size;
	uint32_t flags;
	uint32_t dev_id;
	uint32_t data_len;
	uint64_t data_uptr __attribute__((aligned(8)));
	uint32_t out_data_type; /* a union with in_data_type under IOMMU_HW_INFO_FLAG_INPUT_TYPE */
	uint8_t out_max_pasid_log2;
	uint8_t __reserved[3];
	uint64_t out_capabilities __attribute__((aligned(8)));
};

/* The 6.6 structure ended after out_data_type and a u32 __reserved. */
#define IOMMU_HW_INFO_SIZE_V1 32

struct iommu_hw_info_vtd {
	uint32_t flags;
	uint32_t __reserved;
	uint64_t cap_reg __attribute__((aligned(8)));
	uint64_t ecap_reg __attribute__((aligned(8)));
};

/* IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17: no read-only mappings on a nesting parent. */
#define IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17 (1 << 0)

struct iommu_hw_info_arm_smmuv3 {
	uint32_t flags;
	uint32_t __reserved;
	uint32_t idr[6];
	uint32_t iidr;
	uint32_t aidr;
};

struct iommu_hw_info_tegra241_cmdqv {
	uint32_t flags;
	uint8_t version;
	uint8_t log2vcmdqs;
	uint8_t log2vsids;
	uint8_t __reserved;
};

struct iommu_hw_info_amd {
	uint64_t efr __attribute__((aligned(8)));
	uint64_t efr2 __attribute__((aligned(8)));
};

#define VFIO_TYPE (';')
#define VFIO_BASE 100

struct vfio_device_bind_iommufd {
	uint32_t argsz;
	uint32_t flags;
	int32_t iommufd;
	uint32_t out_devid;
};

#define VFIO_DEVICE_BIND_IOMMUFD _IO(VFIO_TYPE, VFIO_BASE + 18)

_Static_assert(sizeof(struct iommu_hw_info) == 40, "struct iommu_hw_info as in Linux 7.3");
_Static_assert(sizeof(struct iommu_hw_info_vtd) == 24, "struct iommu_hw_info_vtd");
_Static_assert(sizeof(struct iommu_hw_info_arm_smmuv3) == 40, "struct iommu_hw_info_arm_smmuv3");
_Static_assert(sizeof(struct iommu_hw_info_amd) == 16, "struct iommu_hw_info_amd");
_Static_assert(sizeof(struct vfio_device_bind_iommufd) == 16, "vfio_device_bind_iommufd");
