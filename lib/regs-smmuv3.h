/* Arm SMMUv3 ID registers IDR0-IDR5, IIDR and AIDR, named after the SMMUv3 specification. */
#pragma once

#include "macro.h"
#include "regs.h"

/*
 * Field names are the specification's (Arm IHI 0070) in lower case, as QEMU's
 * hw/arm/smmuv3-internal.h spells them (its FIELD(IDRn, ...) lists) and as the
 * kernel's drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h names the ones it reads (IDR0_ST_LVL is
 * st_level, IDR3_BBM is bbml, IDR1_EVTQS is eventqs). Bits neither of them names show
 * in unknown_bits. The iommufd uAPI (include/uapi/linux/iommufd.h, struct
 * iommu_hw_info_arm_smmuv3) lets a VMM rely on st_level, term_model, stall_model, ttendian,
 * cd2l, asid16, ttf (IDR0), sidsize, ssidsize (IDR1), bbml, ril (IDR3), vax, gran64k, gran16k,
 * gran4k and ds (IDR5) only: the others describe the physical unit, not what a guest may use.
 */

/* SMMU_IDR0 (offset 0x0). Bits 29 and 31 have no name in the kernel or QEMU. */
static const struct regfield smmuv3_idr0_fields[] = {
	{ "s2p", 0, 1, XF_RAW, "stage-2 translation supported" },
	{ "s1p", 1, 1, XF_RAW, "stage-1 translation supported" },
	{ "ttf", 2, 2, XF_RAW, "translation table formats (1: AArch32 LPAE, 2: AArch64, 3: both)" },
	{ "cohacc", 4, 1, XF_RAW, "coherent access to tables, queues and MSIs" },
	{ "btm", 5, 1, XF_RAW, "broadcast TLB maintenance" },
	{ "httu", 6, 2, XF_RAW, "hardware table update (1: access flag, 2: access and dirty)" },
	{ "dormhint", 8, 1, XF_RAW, "dormant hint supported" },
	{ "hyp", 9, 1, XF_RAW, "hypervisor stage-1 contexts (EL2)" },
	{ "ats", 10, 1, XF_RAW, "PCIe ATS supported" },
	{ "ns1ats", 11, 1, XF_RAW, "split-stage ATS not supported" },
	{ "asid16", 12, 1, XF_RAW, "16-bit ASIDs (else 8-bit)" },
	{ "msi", 13, 1, XF_RAW, "message-signalled interrupts" },
	{ "sev", 14, 1, XF_RAW, "WFE wake-up events" },
	{ "atos", 15, 1, XF_RAW, "address translation operations" },
	{ "pri", 16, 1, XF_RAW, "PCIe page request interface" },
	{ "vmw", 17, 1, XF_RAW, "VMID wildcard matching" },
	{ "vmid16", 18, 1, XF_RAW, "16-bit VMIDs (else 8-bit)" },
	{ "cd2l", 19, 1, XF_RAW, "two-level context-descriptor tables" },
	{ "vatos", 20, 1, XF_RAW, "virtual address translation operations" },
	{ "ttendian", 21, 2, XF_RAW, "table endianness (0: mixed, 2: little, 3: big)" },
	{ "atsrecerr", 23, 1, XF_RAW, "ATS recoverable error handling" },
	{ "stall_model", 24, 2, XF_RAW,
	  "stall model (0: stall and terminate, 1: terminate, 2: stall)" },
	{ "term_model", 26, 1, XF_RAW, "terminated transactions always abort" },
	{ "st_level", 27, 2, XF_RAW, "stream table levels (0: linear, 1: two-level)" },
	{ "rme_impl", 30, 1, XF_RAW, "Realm Management Extension implemented" },
};

/* SMMU_IDR1 (offset 0x4). */
static const struct regfield smmuv3_idr1_fields[] = {
	{ "sidsize", 0, 6, XF_RAW, "StreamID width, bits" },
	{ "ssidsize", 6, 5, XF_RAW, "SubstreamID (PASID) width, bits" },
	{ "priqs", 11, 5, XF_RAW, "PRI queue size, log2 entries" },
	{ "eventqs", 16, 5, XF_RAW, "event queue size, log2 entries" },
	{ "cmdqs", 21, 5, XF_RAW, "command queue size, log2 entries" },
	{ "attr_perms_ovr", 26, 1, XF_RAW, "incoming permission attributes can be overridden" },
	{ "attr_types_ovr", 27, 1, XF_RAW, "incoming memory attributes can be overridden" },
	{ "rel", 28, 1, XF_RAW, "preset table and queue addresses are relative" },
	{ "queues_preset", 29, 1, XF_RAW, "queue base addresses are fixed" },
	{ "tables_preset", 30, 1, XF_RAW, "table base addresses are fixed" },
	{ "ecmdq", 31, 1, XF_RAW, "enhanced command queue interface" },
};

/* SMMU_IDR2 (offset 0x8). */
static const struct regfield smmuv3_idr2_fields[] = {
	{ "ba_vatos", 0, 10, XF_HEX, "VATOS page base address, in 64 KiB units" },
};

/* SMMU_IDR3 (offset 0xc). Bits 1:0, 6 and 31:16 have no name in the kernel or QEMU. */
static const struct regfield smmuv3_idr3_fields[] = {
	{ "had", 2, 1, XF_RAW, "hierarchical attribute disables" },
	{ "pbha", 3, 1, XF_RAW, "page-based hardware attributes" },
	{ "xnx", 4, 1, XF_RAW, "stage-2 EL0/EL1 execute-never distinction" },
	{ "pps", 5, 1, XF_RAW, "PRI responses with PASID prefix" },
	{ "mpam", 7, 1, XF_RAW, "memory partitioning and monitoring" },
	{ "fwb", 8, 1, XF_RAW, "stage-2 forced write-back" },
	{ "stt", 9, 1, XF_RAW, "small translation tables" },
	{ "ril", 10, 1, XF_RAW, "range-based TLB invalidation" },
	{ "bbml", 11, 2, XF_RAW, "break-before-make level (0, 1 or 2)" },
	{ "e0pd", 13, 1, XF_RAW, "E0PD translation control" },
	{ "ptwnnc", 14, 1, XF_RAW, "table walks to non-cacheable memory are coherent" },
	{ "dpt", 15, 1, XF_RAW, "device permission table" },
};

/* SMMU_IDR4 (offset 0x10): IMPLEMENTATION DEFINED as a whole. */
static const struct regfield smmuv3_idr4_fields[] = {
	{ "impdef", 0, 32, XF_HEX, "implementation defined" },
};

/* SMMU_IDR5 (offset 0x14). DS is named by the kernel from 7.3; bits 3, 9:8, 15:12 by neither. */
static const struct regfield smmuv3_idr5_fields[] = {
	{ "oas", 0, 3, XF_RAW,
	  "output address size (0: 32, 1: 36, 2: 40, 3: 42, 4: 44, 5: 48, 6: 52 bits)" },
	{ "gran4k", 4, 1, XF_RAW, "4 KiB translation granule" },
	{ "gran16k", 5, 1, XF_RAW, "16 KiB translation granule" },
	{ "gran64k", 6, 1, XF_RAW, "64 KiB translation granule" },
	{ "ds", 7, 1, XF_RAW, "52-bit addresses with 4 KiB and 16 KiB granules" },
	{ "vax", 10, 2, XF_RAW, "virtual address extension (0: 48 bits, 1: 52 bits)" },
	{ "stall_max", 16, 16, XF_RAW, "maximum number of outstanding stalled transactions" },
};

/* SMMU_IIDR (offset 0x18); the kernel's IIDR_* macros. */
static const struct regfield smmuv3_iidr_fields[] = {
	{ "implementer", 0, 12, XF_HEX, "JEP106 code of the implementer (0x43b: Arm)" },
	{ "revision", 12, 4, XF_RAW, "minor revision" },
	{ "variant", 16, 4, XF_RAW, "major revision" },
	{ "productid", 20, 12, XF_HEX, "product (Arm: 0x483 MMU-600, 0x487 MMU-700)" },
};

/* SMMU_AIDR (offset 0x1c): the architecture revision, SMMUv3.<archminorrev>. */
static const struct regfield smmuv3_aidr_fields[] = {
	{ "archminorrev", 0, 4, XF_RAW, "architecture minor revision (SMMUv3.x)" },
	{ "archmajorrev", 4, 4, XF_RAW, "architecture major revision (0: SMMUv3)" },
};

static const struct regdef smmuv3_idr_regs[6] = {
	REGDEF("idr0", 32, smmuv3_idr0_fields), REGDEF("idr1", 32, smmuv3_idr1_fields),
	REGDEF("idr2", 32, smmuv3_idr2_fields), REGDEF("idr3", 32, smmuv3_idr3_fields),
	REGDEF("idr4", 32, smmuv3_idr4_fields), REGDEF("idr5", 32, smmuv3_idr5_fields),
};
static const struct regdef smmuv3_iidr_reg = REGDEF("iidr", 32, smmuv3_iidr_fields);
static const struct regdef smmuv3_aidr_reg = REGDEF("aidr", 32, smmuv3_aidr_fields);

#define smmuv3_idr0_reg smmuv3_idr_regs[0]
#define smmuv3_idr1_reg smmuv3_idr_regs[1]
#define smmuv3_idr3_reg smmuv3_idr_regs[3]
#define smmuv3_idr5_reg smmuv3_idr_regs[5]
