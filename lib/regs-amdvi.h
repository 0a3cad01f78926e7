/* AMD-Vi capability header, EFR and EFR2 fields, named after the kernel's FEATURE_* macros. */
#pragma once

#include "macro.h"
#include "regs.h"

/*
 * IOMMU Capability Header: the PCI config dword the "cap" attribute prints. The kernel decodes
 * bits 24, 26 and 27; the others are the header's layout in the AMD IOMMU specification.
 */
enum amdvi_cap_field {
	AMDVI_CAP_CAP_ID,
	AMDVI_CAP_CAP_PTR,
	AMDVI_CAP_CAP_TYPE,
	AMDVI_CAP_CAP_REV,
	AMDVI_CAP_IOTLB,
	AMDVI_CAP_HT_TUNNEL,
	AMDVI_CAP_NPCACHE,
	AMDVI_CAP_EFR_SUP,
	AMDVI_CAP_CAP_EXT,
	_AMDVI_CAP_MAX,
};
static const struct regfield amdvi_cap_fields[_AMDVI_CAP_MAX] = {
	[AMDVI_CAP_CAP_ID] = { "cap_id", 0, 8, XF_HEX, "capability id (0x0f: secure device)" },
	[AMDVI_CAP_CAP_PTR] = { "cap_ptr", 8, 8, XF_HEX, "next capability pointer" },
	[AMDVI_CAP_CAP_TYPE] = { "cap_type", 16, 3, XF_RAW, "capability block type" },
	[AMDVI_CAP_CAP_REV] = { "cap_rev", 19, 5, XF_RAW, "capability revision" },
	[AMDVI_CAP_IOTLB] = { "iotlb", 24, 1, XF_RAW, "IOTLB support (remote IOTLBs / ATS)" },
	[AMDVI_CAP_HT_TUNNEL] = { "ht_tunnel", 25, 1, XF_RAW, "HyperTransport tunnel translation" },
	[AMDVI_CAP_NPCACHE] = { "npcache", 26, 1, XF_RAW,
				"not-present table entries cached (virtualised IOMMU)" },
	[AMDVI_CAP_EFR_SUP] = { "efr_sup", 27, 1, XF_RAW, "extended feature register supported" },
	[AMDVI_CAP_CAP_EXT] = { "cap_ext", 28, 1, XF_RAW,
				"miscellaneous information register 1 present" },
};

/* Extended Feature Register (MMIO 0x0030); amd_iommu_types.h. Bit 5 has no macro. */
enum amdvi_efr_field {
	AMDVI_EFR_PREFETCH,
	AMDVI_EFR_PPR,
	AMDVI_EFR_X2APIC,
	AMDVI_EFR_NX,
	AMDVI_EFR_GT,
	AMDVI_EFR_IA,
	AMDVI_EFR_GA,
	AMDVI_EFR_HE,
	AMDVI_EFR_PC,
	AMDVI_EFR_HATS,
	AMDVI_EFR_GATS,
	AMDVI_EFR_GLX,
	AMDVI_EFR_GAM_VAPIC,
	AMDVI_EFR_PASMAX,
	AMDVI_EFR_MSI_CAP_MMIO_SUP,
	AMDVI_EFR_GIOSUP,
	AMDVI_EFR_HASUP,
	AMDVI_EFR_EPHSUP,
	AMDVI_EFR_HDSUP,
	AMDVI_EFR_SNP,
	_AMDVI_EFR_MAX,
};
static const struct regfield amdvi_efr_fields[_AMDVI_EFR_MAX] = {
	[AMDVI_EFR_PREFETCH] = { "prefetch", 0, 1, XF_RAW, "prefetch support (PreF)" },
	[AMDVI_EFR_PPR] = { "ppr", 1, 1, XF_RAW, "peripheral page request support" },
	[AMDVI_EFR_X2APIC] = { "x2apic", 2, 1, XF_RAW, "x2APIC support (XTSup)" },
	[AMDVI_EFR_NX] = { "nx", 3, 1, XF_RAW, "no-execute support" },
	[AMDVI_EFR_GT] = { "gt", 4, 1, XF_RAW, "guest translation support" },
	[AMDVI_EFR_IA] = { "ia", 6, 1, XF_RAW, "invalidate-all support" },
	[AMDVI_EFR_GA] = { "ga", 7, 1, XF_RAW, "guest virtual APIC support" },
	[AMDVI_EFR_HE] = { "he", 8, 1, XF_RAW, "hardware error registers support" },
	[AMDVI_EFR_PC] = { "pc", 9, 1, XF_RAW, "performance counters support" },
	[AMDVI_EFR_HATS] = { "hats", 10, 2, XF_RAW,
			     "host address translation size (0: 4 levels, 1: 5, 2: 6)" },
	[AMDVI_EFR_GATS] = { "gats", 12, 2, XF_RAW,
			     "guest address translation size (0: 4 levels, 1: 5)" },
	[AMDVI_EFR_GLX] = { "glx", 14, 2, XF_RAW, "guest CR3 root table levels" },
	[AMDVI_EFR_GAM_VAPIC] = { "gam_vapic", 21, 1, XF_RAW, "guest virtual APIC modes: vAPIC" },
	[AMDVI_EFR_PASMAX] = { "pasmax", 32, 5, XF_RAW, "maximum PASID width minus one" },
	[AMDVI_EFR_MSI_CAP_MMIO_SUP] = { "msi_cap_mmio_sup", 46, 1, XF_RAW,
					 "MSI capability MMIO access" },
	[AMDVI_EFR_GIOSUP] = { "giosup", 48, 1, XF_RAW, "guest I/O protection support" },
	[AMDVI_EFR_HASUP] = { "hasup", 49, 1, XF_RAW, "host access-bit support" },
	[AMDVI_EFR_EPHSUP] = { "ephsup", 50, 1, XF_RAW, "enhanced PPR handling support" },
	[AMDVI_EFR_HDSUP] = { "hdsup", 52, 1, XF_RAW, "host dirty-bit support" },
	[AMDVI_EFR_SNP] = { "snp", 63, 1, XF_RAW, "SEV-SNP support" },
};

/* Extended Feature 2 Register (MMIO 0x01A0). */
enum amdvi_efr2_field {
	AMDVI_EFR2_SEVSNPIO_SUP,
	AMDVI_EFR2_GCR3TRPMODE,
	AMDVI_EFR2_SNPAVICSUP,
	AMDVI_EFR2_NUM_INT_REMAP_SUP,
	AMDVI_EFR2_HT_RANGE_IGNORE,
	AMDVI_EFR2_SNP_PAGE_MODE0_SUP,
	_AMDVI_EFR2_MAX,
};
static const struct regfield amdvi_efr2_fields[_AMDVI_EFR2_MAX] = {
	[AMDVI_EFR2_SEVSNPIO_SUP] = { "sevsnpio_sup", 1, 1, XF_RAW, "SEV-TIO support" },
	[AMDVI_EFR2_GCR3TRPMODE] = { "gcr3trpmode", 3, 1, XF_RAW,
				     "GCR3 trap mode (nested parent)" },
	[AMDVI_EFR2_SNPAVICSUP] = { "snpavicsup", 5, 3, XF_RAW,
				    "SNP AVIC support (1: guest APIC mode)" },
	[AMDVI_EFR2_NUM_INT_REMAP_SUP] = { "num_int_remap_sup", 8, 2, XF_RAW,
					   "interrupt remapping table size (1: 2K entries)" },
	[AMDVI_EFR2_HT_RANGE_IGNORE] = { "ht_range_ignore", 11, 1, XF_RAW,
					 "HyperTransport range ignore" },
	[AMDVI_EFR2_SNP_PAGE_MODE0_SUP] = { "snp_page_mode0_sup", 13, 1, XF_RAW,
					    "SNP page mode 0 support" },
};

static const struct regdef amdvi_cap_reg = REGDEF("cap", 32, amdvi_cap_fields);
static const struct regdef amdvi_efr_reg = REGDEF("efr", 64, amdvi_efr_fields);
static const struct regdef amdvi_efr2_reg = REGDEF("efr2", 64, amdvi_efr2_fields);
