/* The product's shared limits and names: one place for what several rooms spell the same way. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* PCIe PASIDs, SMMUv3 SubstreamIDs and AMD PASIDs are at most 20 bits wide (PCIe 6.0 6.20.1,
 * SMMUv3 IDR1.SSIDSIZE, AMD IOMMU EFR.PASMAX): the widest PASID a requirement may ask for. */
#define IOMMUCAP_PASID_BITS_MAX 20
/* Any other width in bits: an address or id of at most 64 bits. */
#define IOMMUCAP_WIDTH_MAX 64
/* Page and block sizes, as the kernel's linux/sizes.h names them. */
#define SZ_4K	UINT64_C(0x1000)
#define SZ_16K	UINT64_C(0x4000)
#define SZ_64K	UINT64_C(0x10000)
#define SZ_2M	UINT64_C(0x200000)
#define SZ_32M	UINT64_C(0x2000000)
#define SZ_512M UINT64_C(0x20000000)
#define SZ_1G	UINT64_C(0x40000000)
#define SZ_4T	(UINT64_C(1) << 42)
/* Page sizes a requirement may name: 4 KiB up to 2^52, the largest physical address space of
 * any IOMMU. */
#define IOMMUCAP_PAGE_SIZE_MIN UINT64_C(4096)
#define IOMMUCAP_PAGE_SIZE_MAX (UINT64_C(1) << 52)
/* At most this many page-table formats or page sizes in a requirement. */
#define IOMMUCAP_LIST_MAX 64
/* A page-table format name is at most this long. */
#define IOMMUCAP_FORMAT_LEN_MAX 64

/* Page-table format names as the host document spells them (vtd-ss-4level, lpae-64, ...):
 * letters and digits, then also . _ + -. */
bool iommucap_format_name_ok(const char *s);

/* The SMMU stall model (capabilities.stall, features.stall), in the requirement schema's order. */
enum iommucap_stall {
	IOMMUCAP_STALL_ENABLED,	 /* stalls possible */
	IOMMUCAP_STALL_DISABLED, /* none forced */
	IOMMUCAP_STALL_FORCE,	 /* every fault stalls */
	_IOMMUCAP_STALL_MAX,
};

/* Hardware access/dirty flag updates (capabilities.httu), in the order of what they offer. */
enum iommucap_httu {
	IOMMUCAP_HTTU_NONE,
	IOMMUCAP_HTTU_ACCESS,
	IOMMUCAP_HTTU_ACCESS_DIRTY,
	_IOMMUCAP_HTTU_MAX,
};

/* The names, NULL-terminated in enum order, and the lookups; -1 for a name not listed. */
extern const char *const iommucap_stall_names[_IOMMUCAP_STALL_MAX + 1];
extern const char *const iommucap_httu_names[_IOMMUCAP_HTTU_MAX + 1];
int iommucap_stall_from_name(const char *s);
int iommucap_httu_from_name(const char *s);

/* The proposal's enum pasid_table_model, in its order, NULL-terminated. */
extern const char *const iommucap_pasid_table_models[];

/* The CPU flags the checks ask about, named as /proc/cpuinfo and the host document name them. */
enum iommucap_cpu_flag {
	IOMMUCAP_CPU_LAM,
	IOMMUCAP_CPU_ENQCMD,
	IOMMUCAP_CPU_LA57,
	IOMMUCAP_CPU_PDPE1GB,
	_IOMMUCAP_CPU_FLAG_MAX,
};

extern const char *const iommucap_cpu_flag_names[_IOMMUCAP_CPU_FLAG_MAX];

/* PCIe ACS capability bits, in the order the kernel names them (SV 0x1 ... DT 0x40). */
#define IOMMUCAP_ACS_BITS 7
extern const char *const iommucap_acs_names[IOMMUCAP_ACS_BITS];
