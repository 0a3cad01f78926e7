/* Arm SMMUv3: the ID registers and the capabilities the kernel derives from them. */
#include "config.h"

#include "model.h"
#include "regs-smmuv3.h"

/* arm_smmu_device_iidr_probe(): IIDR_IMPLEMENTER_ARM and its product ids. */
#define IIDR_IMPLEMENTER_ARM	   0x43b
#define IIDR_PRODUCTID_ARM_MMU_600 0x483
#define IIDR_PRODUCTID_ARM_MMU_700 0x487

/* Field F of IDRn: IDR(0, TTF) is IDR0.TTF. */
#define IDR(n, f) ((uint32_t)reg_get(&smmuv3_idr_regs[n], idr[n], SMMUV3_IDR##n##_##f))

/* smmu_idr5_to_oas(); a reserved encoding is truncated to 48 bits by arm_smmu_device_hw_probe. */
static int smmuv3_oas_bits(uint32_t oas)
{
	static const int bits[] = { 32, 36, 40, 42, 44, 48, 52 };

	return oas < ELEMENTSOF(bits) ? bits[oas] : 48;
}

/*
 * The errata arm_smmu_device_iidr_probe() applies: MMU-600 before r2 (1209401) and every MMU-700
 * (2268618, 2812531) lose nesting; MMU-700 also loses BTM (2812531).
 */
static void smmuv3_errata(uint32_t iidr, bool *no_nesting, bool *no_btm)
{
	uint32_t impl = (uint32_t)reg_get(&smmuv3_iidr_reg, iidr, SMMUV3_IIDR_IMPLEMENTER);
	uint32_t product = (uint32_t)reg_get(&smmuv3_iidr_reg, iidr, SMMUV3_IIDR_PRODUCTID);
	uint32_t variant = (uint32_t)reg_get(&smmuv3_iidr_reg, iidr, SMMUV3_IIDR_VARIANT);

	*no_nesting = *no_btm = false;
	if (impl != IIDR_IMPLEMENTER_ARM)
		return;
	if (product == IIDR_PRODUCTID_ARM_MMU_600 && variant < 2)
		*no_nesting = true;
	if (product == IIDR_PRODUCTID_ARM_MMU_700)
		*no_nesting = *no_btm = true;
}

int smmuv3_caps_from_regs(struct iommucap_unit *u, const uint32_t idr[6], uint32_t iidr,
			  enum iommucap_source src)
{
	/* IDR0.STALL_MODEL and IDR0.HTTU; the reserved encoding 3 reads as its neighbour. */
	static const enum iommucap_stall stalls[] = { IOMMUCAP_STALL_ENABLED,
						      IOMMUCAP_STALL_DISABLED, IOMMUCAP_STALL_FORCE,
						      IOMMUCAP_STALL_DISABLED };
	static const enum iommucap_httu httus[] = { IOMMUCAP_HTTU_NONE, IOMMUCAP_HTTU_ACCESS,
						    IOMMUCAP_HTTU_ACCESS_DIRTY,
						    IOMMUCAP_HTTU_ACCESS_DIRTY };
	const char *fmts[2], *cdfmts[2];
	size_t n_fmts = 0, n_cd = 0, n_sizes = 0;
	uint64_t sizes[8];
	bool s1p = IDR(0, S1P), s2p = IDR(0, S2P);
	uint32_t ttf = IDR(0, TTF), httu = IDR(0, HTTU);
	uint32_t ssid = IDR(1, SSIDSIZE);
	int oas = smmuv3_oas_bits(IDR(5, OAS));
	bool cohacc = IDR(0, COHACC);
	bool no_nesting, no_btm;
	int k = 0;

	/*
	 * arm_smmu_device_hw_probe() (Linux 7.3): asid_bits from ASID16, ssid_bits from SSIDSIZE,
	 * oas from OAS, FEAT_NESTING = S1P && S2P, the stall model, HTTU, PRI and ATS from IDR0.
	 */
	smmuv3_errata(iidr, &no_nesting, &no_btm);
	k |= cap_set_num(u, IOMMUCAP_SSID_BITS, ssid, src);
	k |= cap_set_num(u, IOMMUCAP_ASID_BITS, IDR(0, ASID16) ? 16 : 8, src);
	k |= cap_set_num(u, IOMMUCAP_OUTPUT_BITS, oas, src);
	/*
	 * A stage-1 domain's input size is 52 bits with IDR5.VAX = 1, else 48
	 * (arm_smmu_domain_finalise); a unit without stage 1 translates IPAs of smmu->ias bits,
	 * max(oas, 40 when TTF offers AArch32).
	 */
	if (s1p)
		k |= cap_set_num(u, IOMMUCAP_INPUT_BITS, IDR(5, VAX) == 1 ? 52 : 48, src);
	else
		k |= cap_set_num(u, IOMMUCAP_INPUT_BITS, ttf == 3 && oas < 40 ? 40 : oas, src);
	k |= cap_set_enum(u, IOMMUCAP_STALL, stalls[IDR(0, STALL_MODEL)], src);
	/* arm_smmu_get_httu(): 2 (and 3, HAFT) give HA and HD, 1 gives HA. */
	k |= cap_set_enum(u, IOMMUCAP_HTTU, httus[httu], src);
	k |= cap_set_bool(u, IOMMUCAP_BTM, IDR(0, BTM) && !no_btm, src);
	k |= cap_set_bool(u, IOMMUCAP_NESTING, s1p && s2p && !no_nesting, src);
	k |= cap_set_bool(u, IOMMUCAP_PRI, IDR(0, PRI), src);
	k |= cap_set_bool(u, IOMMUCAP_ATS, IDR(0, ATS), src);
	/* arm_smmu_capable(IOMMU_CAP_DIRTY_TRACKING): FEAT_HD && FEAT_COHERENCY. */
	k |= cap_set_bool(u, IOMMUCAP_DIRTY_TRACKING, httu >= 2 && cohacc, src);
	k |= cap_set_bool(u, IOMMUCAP_COHERENT, cohacc, src);

	/* smmu_idr5_to_pgsize(), plus 4 TiB blocks with a 52-bit OAS. */
	if (IDR(5, GRAN4K))
		sizes[n_sizes++] = SZ_4K;
	if (IDR(5, GRAN16K))
		sizes[n_sizes++] = SZ_16K;
	if (IDR(5, GRAN64K))
		sizes[n_sizes++] = SZ_64K;
	if (IDR(5, GRAN4K))
		sizes[n_sizes++] = SZ_2M;
	if (IDR(5, GRAN16K))
		sizes[n_sizes++] = SZ_32M;
	if (IDR(5, GRAN64K))
		sizes[n_sizes++] = SZ_512M;
	if (IDR(5, GRAN4K))
		sizes[n_sizes++] = SZ_1G;
	if (oas == 52)
		sizes[n_sizes++] = SZ_4T;
	k |= cap_set_nums(u, IOMMUCAP_PAGE_SIZES, sizes, n_sizes, src);

	/* Stage-1 tables are what a guest walks: AArch64 (TTF bit 1) and AArch32 LPAE (bit 0). */
	if (s1p && (ttf & 2))
		fmts[n_fmts++] = "lpae-64";
	if (s1p && (ttf & 1))
		fmts[n_fmts++] = "lpae-32";
	k |= cap_set_strs(u, IOMMUCAP_PGTABLE_FORMATS, fmts, n_fmts, src);

	/* Context-descriptor tables exist only with SubstreamIDs; CD2L adds the two-level one. */
	if (s1p && ssid > 0) {
		cdfmts[n_cd++] = "arm-1lvl";
		if (IDR(0, CD2L))
			cdfmts[n_cd++] = "arm-2lvl";
	}
	k |= cap_set_strs(u, IOMMUCAP_PASID_TABLE_FORMATS, cdfmts, n_cd, src);

	/* Facts of the architecture: a CD is 64 bytes, SMMUv3 has no VT-d style modes. */
	k |= cap_set_num(u, IOMMUCAP_PASID_TABLE_ALIGN, 64, IOMMUCAP_SRC_MODEL);
	k |= cap_set_bool(u, IOMMUCAP_SCALABLE_MODE, false, IOMMUCAP_SRC_MODEL);
	k |= cap_set_bool(u, IOMMUCAP_CACHING_MODE, false, IOMMUCAP_SRC_MODEL);
	return k < 0 ? -ENOMEM : 0;
}

int smmuv3_decode_regs(struct iommucap_unit *u, const uint32_t idr[6], uint32_t iidr, uint32_t aidr,
		       enum iommucap_source src)
{
	for (unsigned n = 0; n < 6; n++)
		if (unit_add_raw(u, smmuv3_idr_regs[n].name, true, idr[n], NULL) < 0 ||
		    reg_decode(&smmuv3_idr_regs[n], idr[n], u) < 0)
			return -ENOMEM;
	if (unit_add_raw(u, smmuv3_iidr_reg.name, true, iidr, NULL) < 0 ||
	    reg_decode(&smmuv3_iidr_reg, iidr, u) < 0 ||
	    unit_add_raw(u, smmuv3_aidr_reg.name, true, aidr, NULL) < 0 ||
	    reg_decode(&smmuv3_aidr_reg, aidr, u) < 0)
		return -ENOMEM;
	return smmuv3_caps_from_regs(u, idr, iidr, src);
}

/* Field F of IDRn in the unit's view, or -1. */
#define VIEW_IDR(n, f) view_num(u, &smmuv3_idr_regs[n], SMMUV3_IDR##n##_##f)

static int64_t view_num(const struct iommucap_unit *u, const struct regdef *def, unsigned idx)
{
	uint64_t v;

	return reg_unit_get(u, def, idx, &v) ? (int64_t)v : -1;
}

void smmuv3_vendor_facts(const struct iommucap_unit *u, struct iommucap_vendor_facts *f)
{
	f->st_level = VIEW_IDR(0, ST_LEVEL);
	f->ttendian = VIEW_IDR(0, TTENDIAN);
	f->ttf = VIEW_IDR(0, TTF);
	f->sidsize = VIEW_IDR(1, SIDSIZE);
	f->ssidsize = VIEW_IDR(1, SSIDSIZE);
	f->ril = VIEW_IDR(3, RIL);
	f->gran[0] = VIEW_IDR(5, GRAN4K);
	f->gran[1] = VIEW_IDR(5, GRAN16K);
	f->gran[2] = VIEW_IDR(5, GRAN64K);
}

int smmuv3_sva(const struct iommucap_host *h, const struct iommucap_unit *u, char *buf, size_t n,
	       const char **ret_reason)
{
	const struct iommucap_capval *coh = &u->caps[IOMMUCAP_COHERENT];
	const struct iommucap_capval *ps = &u->caps[IOMMUCAP_PAGE_SIZES];
	bool kernel_page = false;

	*ret_reason = buf;
	/* arm_smmu_sva_supported() (arm-smmu-v3-sva.c, 6.1 to 7.3; BTM has not been required since
	 * 5.12): the SMMU must be coherent (ARM_SMMU_FEAT_COHERENCY: IDR0.COHACC, or the firmware's
	 * word), map the kernel's PAGE_SIZE (4K, 16K or 64K), output at least the CPU's PARange and
	 * have at least the CPU's ASID bits (ID_AA64MMFR0_EL1); a 52-bit VA kernel also needs VAX
	 * and 64K pages, a BBML2-noabort CPU also BBML2. */
	if (coh->source == IOMMUCAP_SRC_UNKNOWN) {
		snprintf(buf, n, "whether the SMMU is coherent: %s", coh->reason ?: "not known");
		return -1;
	}
	if (!coh->num) {
		*ret_reason =
			"arm_smmu_sva_supported() is false: the SMMU is not coherent (COHACC)";
		return 0;
	}
	for (size_t i = 0; ps->source != IOMMUCAP_SRC_UNKNOWN && i < ps->list.n; i++)
		kernel_page |= ps->list.nums[i] == SZ_4K || ps->list.nums[i] == SZ_16K ||
			       ps->list.nums[i] == SZ_64K;
	if (ps->source != IOMMUCAP_SRC_UNKNOWN && !kernel_page) {
		*ret_reason = "arm_smmu_sva_supported() is false: the SMMU maps no page size the "
			      "kernel's can be (4K, 16K, 64K)";
		return 0;
	}
	*ret_reason = "arm_smmu_sva_supported() also compares the CPU's ID_AA64MMFR0_EL1 (PARange, "
		      "ASIDBits) and the kernel's page size, which are not read";
	return -1;
}
