/* AMD-Vi capability header, EFR and EFR2 fields, named after the kernel's FEATURE_* macros. */
#pragma once

#include "macro.h"
#include "regs.h"

/*
 * IOMMU Capability Header: the PCI config dword the "cap" attribute prints. The kernel decodes
 * bits 24, 26 and 27; the others are the header's layout in the AMD IOMMU specification.
 */
static const struct regfield amdvi_cap_fields[] = {
	{ "cap_id", 0, 8, XF_HEX, "capability id (0x0f: secure device)" },
	{ "cap_ptr", 8, 8, XF_HEX, "next capability pointer" },
	{ "cap_type", 16, 3, XF_RAW, "capability block type" },
	{ "cap_rev", 19, 5, XF_RAW, "capability revision" },
	{ "iotlb", 24, 1, XF_RAW, "IOTLB support (remote IOTLBs / ATS)" },
	{ "ht_tunnel", 25, 1, XF_RAW, "HyperTransport tunnel translation" },
	{ "npcache", 26, 1, XF_RAW, "not-present table entries cached (virtualised IOMMU)" },
	{ "efr_sup", 27, 1, XF_RAW, "extended feature register supported" },
	{ "cap_ext", 28, 1, XF_RAW, "miscellaneous information register 1 present" },
};

/* Extended Feature Register (MMIO 0x0030); amd_iommu_types.h. Bit 5 has no macro. */
static const struct regfield amdvi_efr_fields[] = {
	{ "prefetch", 0, 1, XF_RAW, "prefetch support (PreF)" },
	{ "ppr", 1, 1, XF_RAW, "peripheral page request support" },
	{ "x2apic", 2, 1, XF_RAW, "x2APIC support (XTSup)" },
	{ "nx", 3, 1, XF_RAW, "no-execute support" },
	{ "gt", 4, 1, XF_RAW, "guest translation support" },
	{ "ia", 6, 1, XF_RAW, "invalidate-all support" },
	{ "ga", 7, 1, XF_RAW, "guest virtual APIC support" },
	{ "he", 8, 1, XF_RAW, "hardware error registers support" },
	{ "pc", 9, 1, XF_RAW, "performance counters support" },
	{ "hats", 10, 2, XF_RAW, "host address translation size (0: 4 levels, 1: 5, 2: 6)" },
	{ "gats", 12, 2, XF_RAW, "guest address translation size (0: 4 levels, 1: 5)" },
	{ "glx", 14, 2, XF_RAW, "guest CR3 root table levels" },
	{ "gam_vapic", 21, 1, XF_RAW, "guest virtual APIC modes: vAPIC" },
	{ "pasmax", 32, 5, XF_RAW, "maximum PASID width minus one" },
	{ "msi_cap_mmio_sup", 46, 1, XF_RAW, "MSI capability MMIO access" },
	{ "giosup", 48, 1, XF_RAW, "guest I/O protection support" },
	{ "hasup", 49, 1, XF_RAW, "host access-bit support" },
	{ "ephsup", 50, 1, XF_RAW, "enhanced PPR handling support" },
	{ "hdsup", 52, 1, XF_RAW, "host dirty-bit support" },
	{ "snp", 63, 1, XF_RAW, "SEV-SNP support" },
};

/* Extended Feature 2 Register (MMIO 0x01A0). */
static const struct regfield amdvi_efr2_fields[] = {
	{ "sevsnpio_sup", 1, 1, XF_RAW, "SEV-TIO support" },
	{ "gcr3trpmode", 3, 1, XF_RAW, "GCR3 trap mode (nested parent)" },
	{ "snpavicsup", 5, 3, XF_RAW, "SNP AVIC support (1: guest APIC mode)" },
	{ "num_int_remap_sup", 8, 2, XF_RAW, "interrupt remapping table size (1: 2K entries)" },
	{ "ht_range_ignore", 11, 1, XF_RAW, "HyperTransport range ignore" },
	{ "snp_page_mode0_sup", 13, 1, XF_RAW, "SNP page mode 0 support" },
};

static const struct regdef amdvi_cap_reg = REGDEF("cap", 32, amdvi_cap_fields);
static const struct regdef amdvi_efr_reg = REGDEF("efr", 64, amdvi_efr_fields);
static const struct regdef amdvi_efr2_reg = REGDEF("efr2", 64, amdvi_efr2_fields);
