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
enum smmuv3_idr0_field {
	SMMUV3_IDR0_S2P,
	SMMUV3_IDR0_S1P,
	SMMUV3_IDR0_TTF,
	SMMUV3_IDR0_COHACC,
	SMMUV3_IDR0_BTM,
	SMMUV3_IDR0_HTTU,
	SMMUV3_IDR0_DORMHINT,
	SMMUV3_IDR0_HYP,
	SMMUV3_IDR0_ATS,
	SMMUV3_IDR0_NS1ATS,
	SMMUV3_IDR0_ASID16,
	SMMUV3_IDR0_MSI,
	SMMUV3_IDR0_SEV,
	SMMUV3_IDR0_ATOS,
	SMMUV3_IDR0_PRI,
	SMMUV3_IDR0_VMW,
	SMMUV3_IDR0_VMID16,
	SMMUV3_IDR0_CD2L,
	SMMUV3_IDR0_VATOS,
	SMMUV3_IDR0_TTENDIAN,
	SMMUV3_IDR0_ATSRECERR,
	SMMUV3_IDR0_STALL_MODEL,
	SMMUV3_IDR0_TERM_MODEL,
	SMMUV3_IDR0_ST_LEVEL,
	SMMUV3_IDR0_RME_IMPL,
	_SMMUV3_IDR0_MAX,
};
static const struct regfield smmuv3_idr0_fields[_SMMUV3_IDR0_MAX] = {
	[SMMUV3_IDR0_S2P] = { "s2p", 0, 1, XF_RAW, "stage-2 translation supported" },
	[SMMUV3_IDR0_S1P] = { "s1p", 1, 1, XF_RAW, "stage-1 translation supported" },
	[SMMUV3_IDR0_TTF] = { "ttf", 2, 2, XF_RAW,
			      "translation table formats (1: AArch32 LPAE, 2: AArch64, 3: both)" },
	[SMMUV3_IDR0_COHACC] = { "cohacc", 4, 1, XF_RAW,
				 "coherent access to tables, queues and MSIs" },
	[SMMUV3_IDR0_BTM] = { "btm", 5, 1, XF_RAW, "broadcast TLB maintenance" },
	[SMMUV3_IDR0_HTTU] = { "httu", 6, 2, XF_RAW,
			       "hardware table update (1: access flag, 2: access and dirty)" },
	[SMMUV3_IDR0_DORMHINT] = { "dormhint", 8, 1, XF_RAW, "dormant hint supported" },
	[SMMUV3_IDR0_HYP] = { "hyp", 9, 1, XF_RAW, "hypervisor stage-1 contexts (EL2)" },
	[SMMUV3_IDR0_ATS] = { "ats", 10, 1, XF_RAW, "PCIe ATS supported" },
	[SMMUV3_IDR0_NS1ATS] = { "ns1ats", 11, 1, XF_RAW, "split-stage ATS not supported" },
	[SMMUV3_IDR0_ASID16] = { "asid16", 12, 1, XF_RAW, "16-bit ASIDs (else 8-bit)" },
	[SMMUV3_IDR0_MSI] = { "msi", 13, 1, XF_RAW, "message-signalled interrupts" },
	[SMMUV3_IDR0_SEV] = { "sev", 14, 1, XF_RAW, "WFE wake-up events" },
	[SMMUV3_IDR0_ATOS] = { "atos", 15, 1, XF_RAW, "address translation operations" },
	[SMMUV3_IDR0_PRI] = { "pri", 16, 1, XF_RAW, "PCIe page request interface" },
	[SMMUV3_IDR0_VMW] = { "vmw", 17, 1, XF_RAW, "VMID wildcard matching" },
	[SMMUV3_IDR0_VMID16] = { "vmid16", 18, 1, XF_RAW, "16-bit VMIDs (else 8-bit)" },
	[SMMUV3_IDR0_CD2L] = { "cd2l", 19, 1, XF_RAW, "two-level context-descriptor tables" },
	[SMMUV3_IDR0_VATOS] = { "vatos", 20, 1, XF_RAW, "virtual address translation operations" },
	[SMMUV3_IDR0_TTENDIAN] = { "ttendian", 21, 2, XF_RAW,
				   "table endianness (0: mixed, 2: little, 3: big)" },
	[SMMUV3_IDR0_ATSRECERR] = { "atsrecerr", 23, 1, XF_RAW, "ATS recoverable error handling" },
	[SMMUV3_IDR0_STALL_MODEL] = { "stall_model", 24, 2, XF_RAW,
				      "stall model (0: stall and terminate, 1: terminate, 2: "
				      "stall)" },
	[SMMUV3_IDR0_TERM_MODEL] = { "term_model", 26, 1, XF_RAW,
				     "terminated transactions always abort" },
	[SMMUV3_IDR0_ST_LEVEL] = { "st_level", 27, 2, XF_RAW,
				   "stream table levels (0: linear, 1: two-level)" },
	[SMMUV3_IDR0_RME_IMPL] = { "rme_impl", 30, 1, XF_RAW,
				   "Realm Management Extension implemented" },
};

/* SMMU_IDR1 (offset 0x4). */
enum smmuv3_idr1_field {
	SMMUV3_IDR1_SIDSIZE,
	SMMUV3_IDR1_SSIDSIZE,
	SMMUV3_IDR1_PRIQS,
	SMMUV3_IDR1_EVENTQS,
	SMMUV3_IDR1_CMDQS,
	SMMUV3_IDR1_ATTR_PERMS_OVR,
	SMMUV3_IDR1_ATTR_TYPES_OVR,
	SMMUV3_IDR1_REL,
	SMMUV3_IDR1_QUEUES_PRESET,
	SMMUV3_IDR1_TABLES_PRESET,
	SMMUV3_IDR1_ECMDQ,
	_SMMUV3_IDR1_MAX,
};
static const struct regfield smmuv3_idr1_fields[_SMMUV3_IDR1_MAX] = {
	[SMMUV3_IDR1_SIDSIZE] = { "sidsize", 0, 6, XF_RAW, "StreamID width, bits" },
	[SMMUV3_IDR1_SSIDSIZE] = { "ssidsize", 6, 5, XF_RAW, "SubstreamID (PASID) width, bits" },
	[SMMUV3_IDR1_PRIQS] = { "priqs", 11, 5, XF_RAW, "PRI queue size, log2 entries" },
	[SMMUV3_IDR1_EVENTQS] = { "eventqs", 16, 5, XF_RAW, "event queue size, log2 entries" },
	[SMMUV3_IDR1_CMDQS] = { "cmdqs", 21, 5, XF_RAW, "command queue size, log2 entries" },
	[SMMUV3_IDR1_ATTR_PERMS_OVR] = { "attr_perms_ovr", 26, 1, XF_RAW,
					 "incoming permission attributes can be overridden" },
	[SMMUV3_IDR1_ATTR_TYPES_OVR] = { "attr_types_ovr", 27, 1, XF_RAW,
					 "incoming memory attributes can be overridden" },
	[SMMUV3_IDR1_REL] = { "rel", 28, 1, XF_RAW,
			      "preset table and queue addresses are relative" },
	[SMMUV3_IDR1_QUEUES_PRESET] = { "queues_preset", 29, 1, XF_RAW,
					"queue base addresses are fixed" },
	[SMMUV3_IDR1_TABLES_PRESET] = { "tables_preset", 30, 1, XF_RAW,
					"table base addresses are fixed" },
	[SMMUV3_IDR1_ECMDQ] = { "ecmdq", 31, 1, XF_RAW, "enhanced command queue interface" },
};

/* SMMU_IDR2 (offset 0x8). */
enum smmuv3_idr2_field {
	SMMUV3_IDR2_BA_VATOS,
	_SMMUV3_IDR2_MAX,
};
static const struct regfield smmuv3_idr2_fields[_SMMUV3_IDR2_MAX] = {
	[SMMUV3_IDR2_BA_VATOS] = { "ba_vatos", 0, 10, XF_HEX,
				   "VATOS page base address, in 64 KiB units" },
};

/* SMMU_IDR3 (offset 0xc). Bits 1:0, 6 and 31:16 have no name in the kernel or QEMU. */
enum smmuv3_idr3_field {
	SMMUV3_IDR3_HAD,
	SMMUV3_IDR3_PBHA,
	SMMUV3_IDR3_XNX,
	SMMUV3_IDR3_PPS,
	SMMUV3_IDR3_MPAM,
	SMMUV3_IDR3_FWB,
	SMMUV3_IDR3_STT,
	SMMUV3_IDR3_RIL,
	SMMUV3_IDR3_BBML,
	SMMUV3_IDR3_E0PD,
	SMMUV3_IDR3_PTWNNC,
	SMMUV3_IDR3_DPT,
	_SMMUV3_IDR3_MAX,
};
static const struct regfield smmuv3_idr3_fields[_SMMUV3_IDR3_MAX] = {
	[SMMUV3_IDR3_HAD] = { "had", 2, 1, XF_RAW, "hierarchical attribute disables" },
	[SMMUV3_IDR3_PBHA] = { "pbha", 3, 1, XF_RAW, "page-based hardware attributes" },
	[SMMUV3_IDR3_XNX] = { "xnx", 4, 1, XF_RAW, "stage-2 EL0/EL1 execute-never distinction" },
	[SMMUV3_IDR3_PPS] = { "pps", 5, 1, XF_RAW, "PRI responses with PASID prefix" },
	[SMMUV3_IDR3_MPAM] = { "mpam", 7, 1, XF_RAW, "memory partitioning and monitoring" },
	[SMMUV3_IDR3_FWB] = { "fwb", 8, 1, XF_RAW, "stage-2 forced write-back" },
	[SMMUV3_IDR3_STT] = { "stt", 9, 1, XF_RAW, "small translation tables" },
	[SMMUV3_IDR3_RIL] = { "ril", 10, 1, XF_RAW, "range-based TLB invalidation" },
	[SMMUV3_IDR3_BBML] = { "bbml", 11, 2, XF_RAW, "break-before-make level (0, 1 or 2)" },
	[SMMUV3_IDR3_E0PD] = { "e0pd", 13, 1, XF_RAW, "E0PD translation control" },
	[SMMUV3_IDR3_PTWNNC] = { "ptwnnc", 14, 1, XF_RAW,
				 "table walks to non-cacheable memory are coherent" },
	[SMMUV3_IDR3_DPT] = { "dpt", 15, 1, XF_RAW, "device permission table" },
};

/* SMMU_IDR4 (offset 0x10): IMPLEMENTATION DEFINED as a whole. */
enum smmuv3_idr4_field {
	SMMUV3_IDR4_IMPDEF,
	_SMMUV3_IDR4_MAX,
};
static const struct regfield smmuv3_idr4_fields[_SMMUV3_IDR4_MAX] = {
	[SMMUV3_IDR4_IMPDEF] = { "impdef", 0, 32, XF_HEX, "implementation defined" },
};

/* SMMU_IDR5 (offset 0x14). DS is named by the kernel from 7.3; bits 3, 9:8, 15:12 by neither. */
enum smmuv3_idr5_field {
	SMMUV3_IDR5_OAS,
	SMMUV3_IDR5_GRAN4K,
	SMMUV3_IDR5_GRAN16K,
	SMMUV3_IDR5_GRAN64K,
	SMMUV3_IDR5_DS,
	SMMUV3_IDR5_VAX,
	SMMUV3_IDR5_STALL_MAX,
	_SMMUV3_IDR5_MAX,
};
static const struct regfield smmuv3_idr5_fields[_SMMUV3_IDR5_MAX] = {
	[SMMUV3_IDR5_OAS] = { "oas", 0, 3, XF_RAW,
			      "output address size (0: 32, 1: 36, 2: 40, 3: 42, 4: 44, 5: 48, 6: "
			      "52 bits)" },
	[SMMUV3_IDR5_GRAN4K] = { "gran4k", 4, 1, XF_RAW, "4 KiB translation granule" },
	[SMMUV3_IDR5_GRAN16K] = { "gran16k", 5, 1, XF_RAW, "16 KiB translation granule" },
	[SMMUV3_IDR5_GRAN64K] = { "gran64k", 6, 1, XF_RAW, "64 KiB translation granule" },
	[SMMUV3_IDR5_DS] = { "ds", 7, 1, XF_RAW,
			     "52-bit addresses with 4 KiB and 16 KiB granules" },
	[SMMUV3_IDR5_VAX] = { "vax", 10, 2, XF_RAW,
			      "virtual address extension (0: 48 bits, 1: 52 bits)" },
	[SMMUV3_IDR5_STALL_MAX] = { "stall_max", 16, 16, XF_RAW,
				    "maximum number of outstanding stalled transactions" },
};

/* SMMU_IIDR (offset 0x18); the kernel's IIDR_* macros. */
enum smmuv3_iidr_field {
	SMMUV3_IIDR_IMPLEMENTER,
	SMMUV3_IIDR_REVISION,
	SMMUV3_IIDR_VARIANT,
	SMMUV3_IIDR_PRODUCTID,
	_SMMUV3_IIDR_MAX,
};
static const struct regfield smmuv3_iidr_fields[_SMMUV3_IIDR_MAX] = {
	[SMMUV3_IIDR_IMPLEMENTER] = { "implementer", 0, 12, XF_HEX,
				      "JEP106 code of the implementer (0x43b: Arm)" },
	[SMMUV3_IIDR_REVISION] = { "revision", 12, 4, XF_RAW, "minor revision" },
	[SMMUV3_IIDR_VARIANT] = { "variant", 16, 4, XF_RAW, "major revision" },
	[SMMUV3_IIDR_PRODUCTID] = { "productid", 20, 12, XF_HEX,
				    "product (Arm: 0x483 MMU-600, 0x487 MMU-700)" },
};

/* SMMU_AIDR (offset 0x1c): the architecture revision, SMMUv3.<archminorrev>. */
enum smmuv3_aidr_field {
	SMMUV3_AIDR_ARCHMINORREV,
	SMMUV3_AIDR_ARCHMAJORREV,
	_SMMUV3_AIDR_MAX,
};
static const struct regfield smmuv3_aidr_fields[_SMMUV3_AIDR_MAX] = {
	[SMMUV3_AIDR_ARCHMINORREV] = { "archminorrev", 0, 4, XF_RAW,
				       "architecture minor revision (SMMUv3.x)" },
	[SMMUV3_AIDR_ARCHMAJORREV] = { "archmajorrev", 4, 4, XF_RAW,
				       "architecture major revision (0: SMMUv3)" },
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
