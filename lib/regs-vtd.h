/* Intel VT-d CAP_REG, ECAP_REG and VER_REG fields, named after the kernel's cap_*()/ecap_*(). */
#pragma once

#include "macro.h"
#include "regs.h"

/* CAP_REG (offset 0x08); drivers/iommu/intel/iommu.h. Bits 58:57, 38, 15:13 are not named. */
static const struct regfield vtd_cap_fields[] = {
	{ "esrtps", 63, 1, XF_RAW, "enhanced set root table pointer support" },
	{ "esirtps", 62, 1, XF_RAW, "enhanced set interrupt root table pointer support" },
	{ "ecmds", 61, 1, XF_RAW, "enhanced command support" },
	{ "fl5lp", 60, 1, XF_RAW, "first-level 5-level paging support" },
	{ "pi", 59, 1, XF_RAW, "posted interrupts support" },
	{ "fl1gp", 56, 1, XF_RAW, "first-level 1 GiB page support" },
	{ "drd", 55, 1, XF_RAW, "read draining" },
	{ "dwd", 54, 1, XF_RAW, "write draining" },
	{ "mamv", 48, 6, XF_RAW, "maximum address mask value" },
	{ "nfr", 40, 8, XF_PLUS1, "number of fault-recording registers" },
	{ "psi", 39, 1, XF_RAW, "page-selective invalidation" },
	{ "sllps", 34, 4, XF_HEX, "second-level large page support (bit 0: 2 MiB, bit 1: 1 GiB)" },
	{ "fro", 24, 10, XF_TIMES16, "fault-recording register offset, bytes" },
	{ "isoch", 23, 1, XF_RAW, "isochrony" },
	{ "zlr", 22, 1, XF_RAW, "zero length read" },
	{ "mgaw", 16, 6, XF_PLUS1, "maximum guest address width, bits" },
	{ "sagaw", 8, 5, XF_HEX, "supported adjusted guest address widths (bit n: 30+9n bits)" },
	{ "cm", 7, 1, XF_RAW, "caching mode" },
	{ "phmr", 6, 1, XF_RAW, "protected high-memory region" },
	{ "plmr", 5, 1, XF_RAW, "protected low-memory region" },
	{ "rwbf", 4, 1, XF_RAW, "required write-buffer flushing" },
	{ "afl", 3, 1, XF_RAW, "advanced fault logging" },
	{ "nd", 0, 3, XF_NDOMS, "number of domain ids" },
};

/* ECAP_REG (offset 0x10). Bits 5, 19:18, 24, 32, 50, 63:52 are not named (44 is vcs on 6.1). */
static const struct regfield vtd_ecap_fields[] = {
	{ "pms", 51, 1, XF_RAW, "performance monitoring support" },
	{ "rps", 49, 1, XF_RAW, "RID_PASID support" },
	{ "smpwc", 48, 1, XF_RAW, "scalable-mode page-walk coherency" },
	{ "flts", 47, 1, XF_RAW, "first-level translation support" },
	{ "slts", 46, 1, XF_RAW, "second-level translation support" },
	{ "slads", 45, 1, XF_RAW, "second-level accessed/dirty support" },
	{ "vcs", 44, 1, XF_RAW, "virtual command support (named by Linux 6.1 only)" },
	{ "smts", 43, 1, XF_RAW, "scalable-mode translation support" },
	{ "pds", 42, 1, XF_RAW, "page-request drain support" },
	{ "dit", 41, 1, XF_RAW, "device-TLB invalidation throttle" },
	{ "pasid", 40, 1, XF_RAW, "PASID support" },
	{ "pss", 35, 5, XF_RAW, "PASID size supported (PASID width = pss + 1)" },
	{ "eafs", 34, 1, XF_RAW, "extended accessed flag support" },
	{ "nwfs", 33, 1, XF_RAW, "no write flag support" },
	{ "srs", 31, 1, XF_RAW, "supervisor request support" },
	{ "ers", 30, 1, XF_RAW, "execute request support" },
	{ "prs", 29, 1, XF_RAW, "page request support" },
	{ "broken_pasid", 28, 1, XF_RAW, "pre-3.0 PASID support bit (unused by Linux)" },
	{ "dis", 27, 1, XF_RAW, "deferred invalidate support" },
	{ "nest", 26, 1, XF_RAW, "nested translation support" },
	{ "mts", 25, 1, XF_RAW, "memory type support" },
	{ "mhmv", 20, 4, XF_RAW, "maximum handle mask value" },
	{ "iro", 8, 10, XF_TIMES16, "IOTLB register offset, bytes" },
	{ "sc", 7, 1, XF_RAW, "snoop control" },
	{ "pt", 6, 1, XF_RAW, "pass through" },
	{ "eim", 4, 1, XF_RAW, "extended interrupt mode (x2APIC)" },
	{ "ir", 3, 1, XF_RAW, "interrupt remapping support" },
	{ "dt", 2, 1, XF_RAW, "device-TLB support (ATS)" },
	{ "qi", 1, 1, XF_RAW, "queued invalidation support" },
	{ "c", 0, 1, XF_RAW, "page-walk coherency" },
};

/* VER_REG (offset 0x00): the sysfs "version" file prints "major:minor". */
static const struct regfield vtd_version_fields[] = {
	{ "major", 4, 4, XF_RAW, "architecture major version" },
	{ "minor", 0, 4, XF_RAW, "architecture minor version" },
};

static const struct regdef vtd_cap_reg = REGDEF("cap", 64, vtd_cap_fields);
static const struct regdef vtd_ecap_reg = REGDEF("ecap", 64, vtd_ecap_fields);
static const struct regdef vtd_version_reg = REGDEF("version", 32, vtd_version_fields);
