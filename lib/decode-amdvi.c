/* AMD-Vi: the amd-iommu/ attributes (cap, features in its three layouts) and their capabilities. */
#include "config.h"

#include "ksem.h"
#include "model.h"
#include "parse.h"
#include "regs-amdvi.h"
#include "sysfs.h"

static int amdvi_pgtable_formats(struct iommucap_unit *u, uint64_t efr)
{
	static const char *const v1[] = { "amd-v1-4level", "amd-v1-5level", "amd-v1-6level" };
	const char *fmts[5];
	size_t n = 0;
	uint64_t hats = reg_get(&amdvi_efr_reg, efr, AMDVI_EFR_HATS);

	/* HATS 3 is reserved: the kernel then disables the v1 host page table. */
	if (hats < 3)
		fmts[n++] = v1[hats];
	/* The v2 (x86 long-mode) table needs GIOSup and GT; GATS 1 allows 5 levels. */
	if (reg_get(&amdvi_efr_reg, efr, AMDVI_EFR_GIOSUP) &&
	    reg_get(&amdvi_efr_reg, efr, AMDVI_EFR_GT)) {
		fmts[n++] = "amd-v2-4level";
		if (reg_get(&amdvi_efr_reg, efr, AMDVI_EFR_GATS) == 1)
			fmts[n++] = "amd-v2-5level";
	}
	return cap_set_strs(u, IOMMUCAP_PGTABLE_FORMATS, fmts, n, IOMMUCAP_SRC_REGISTER);
}

int amdvi_caps_from_regs(struct iommucap_unit *u, bool have_cap, uint64_t cap, bool have_efr,
			 uint64_t efr, bool have_efr2, uint64_t efr2,
			 const struct iommucap_hostinfo *hi)
{
	const enum iommucap_source R = IOMMUCAP_SRC_REGISTER;
	int k = 0;

	if (have_efr) {
		bool gt = reg_get(&amdvi_efr_reg, efr, AMDVI_EFR_GT);
		int ssid = gt ? (int)reg_get(&amdvi_efr_reg, efr, AMDVI_EFR_PASMAX) + 1 : 0;
		uint64_t hats = reg_get(&amdvi_efr_reg, efr, AMDVI_EFR_HATS);
		bool hdsup = reg_get(&amdvi_efr_reg, efr, AMDVI_EFR_HDSUP);
		/* amd_iommu_hd_support(): FEATURE_HDSUP (421a511a293f, 6.7; none before), and
		 * not amd_iommu_hatdis, which HATS 3 sets from the HATDis change (6.17): dirty
		 * tracking works on v1 tables only. From 6.7 sysfs shows the global EFR (an AND
		 * over units) while the kernel asks each unit's. */
		bool hd = kernel_has(hi, &kc_amd_dirty) && hdsup &&
			  (!kernel_has(hi, &kc_amd_hatdis) || hats != 3);
		bool ha = reg_get(&amdvi_efr_reg, efr, AMDVI_EFR_HASUP);
		/* amd_iommu_gt_ppr_supported() gates PPR/IOPF: GT && PPR, && EPHSup from
		 * 48dc345a23b9 (6.10), && GIOSup (amd_iommu_v2_pgtbl_supported) by 6.17. */
		bool pri = gt && reg_get(&amdvi_efr_reg, efr, AMDVI_EFR_PPR) &&
			   (!kernel_has(hi, &kc_amd_ppr_ephsup) ||
			    reg_get(&amdvi_efr_reg, efr, AMDVI_EFR_EPHSUP)) &&
			   (!kernel_has(hi, &kc_amd_ppr_giosup) ||
			    reg_get(&amdvi_efr_reg, efr, AMDVI_EFR_GIOSUP));
		static const char *const amd_fmt[] = { "amd" };

		k |= cap_set_num(u, IOMMUCAP_SSID_BITS, ssid, R);
		k |= cap_set_bool(u, IOMMUCAP_PRI, pri, R);
		k |= cap_set_bool(u, IOMMUCAP_DIRTY_TRACKING, hd, R);
		k |= cap_set_enum(u, IOMMUCAP_HTTU,
				  hd   ? IOMMUCAP_HTTU_ACCESS_DIRTY
				  : ha ? IOMMUCAP_HTTU_ACCESS
				       : IOMMUCAP_HTTU_NONE,
				  R);
		k |= cap_set_strs(u, IOMMUCAP_PASID_TABLE_FORMATS, amd_fmt, gt ? 1 : 0, R);
		if (hats < 3) {
			/* (HATS + 3) * 9 + 21 bits, capped by IVINFO.VASize (at most 64). */
			int64_t bits = (int64_t)(hats + 3) * 9 + 21;

			k |= cap_set_num(u, IOMMUCAP_INPUT_BITS, bits > 64 ? 64 : bits, R);
		} else
			k |= cap_set_unknown(u, IOMMUCAP_INPUT_BITS,
					     "EFR.HATS is 3 (reserved): the v1 host page table is "
					     "disabled");
		k |= amdvi_pgtable_formats(u, efr);
		if (!kernel_has(hi, &kc_amd_nest_parent))
			/* No is_nest_parent_supported() before b43a29def24f: the kernel offers no
			 * nest parent whatever EFR2 says. */
			k |= cap_set_bool(u, IOMMUCAP_NESTING, false, IOMMUCAP_SRC_DRIVER);
		else if (!have_efr2)
			k |= cap_set_unknown(u, IOMMUCAP_NESTING,
					     "EFR2 is unknown: this kernel's features attribute "
					     "holds EFR only");
		else
			k |= cap_set_bool(
				u, IOMMUCAP_NESTING,
				gt && reg_get(&amdvi_efr_reg, efr, AMDVI_EFR_GIOSUP) &&
					reg_get(&amdvi_efr2_reg, efr2, AMDVI_EFR2_GCR3TRPMODE),
				R);
	}
	if (have_cap) {
		k |= cap_set_bool(u, IOMMUCAP_ATS, reg_get(&amdvi_cap_reg, cap, AMDVI_CAP_IOTLB),
				  R);
		k |= cap_set_bool(u, IOMMUCAP_CACHING_MODE,
				  reg_get(&amdvi_cap_reg, cap, AMDVI_CAP_NPCACHE), R);
	}
	if (hi && hostinfo_cmdline_has_option(hi, "amd_iommu", "nohugepages")) {
		static const uint64_t small[] = { SZ_4K };

		k |= cap_set_nums(u, IOMMUCAP_PAGE_SIZES, small, 1, IOMMUCAP_SRC_CMDLINE);
	} else {
		static const uint64_t sizes[] = { SZ_4K, SZ_2M, SZ_1G };

		k |= cap_set_nums(u, IOMMUCAP_PAGE_SIZES, sizes, ELEMENTSOF(sizes),
				  IOMMUCAP_SRC_MODEL);
	}
	k |= cap_set_enum(u, IOMMUCAP_STALL, IOMMUCAP_STALL_DISABLED, IOMMUCAP_SRC_MODEL);
	k |= cap_set_bool(u, IOMMUCAP_BTM, false, IOMMUCAP_SRC_MODEL);
	k |= cap_set_bool(u, IOMMUCAP_SCALABLE_MODE, false, IOMMUCAP_SRC_MODEL);
	k |= cap_set_bool(u, IOMMUCAP_COHERENT, true, IOMMUCAP_SRC_DRIVER);
	k |= cap_set_num(u, IOMMUCAP_PASID_TABLE_ALIGN, 4096, IOMMUCAP_SRC_MODEL);
	k |= cap_set_unknown(u, IOMMUCAP_ASID_BITS,
			     "AMD-Vi has no ASIDs; it tags translations by domain id");
	k |= cap_set_unknown(u, IOMMUCAP_OUTPUT_BITS,
			     "the physical address size is in the ACPI IVRS table, not in sysfs");
	return k < 0 ? -ENOMEM : 0;
}

int decode_amdvi(struct iommucap_root *r, const struct iommucap_host *h, struct iommucap_unit *u,
		 const char *dir, struct iommucap_host *warn)
{
	_cleanup_free_ char *adir = path_join(dir, "amd-iommu");
	_cleanup_free_ char *cap_reason = NULL, *feat_reason = NULL, *feat = NULL;
	uint64_t cap = 0, efr = 0, efr2 = 0;
	bool have_cap, have_efr = false, efr2_known = false, guessed = false;
	enum amd_features_format fmt;
	int k;

	if (!adir)
		return -ENOMEM;
	k = attr_read_hex(r, adir, "cap", &cap, &cap_reason);
	if (k == -ENOMEM)
		return k;
	have_cap = k >= 0;
	if (unit_add_raw(u, "cap", have_cap, cap, cap_reason) < 0)
		return -ENOMEM;
	if (have_cap) {
		if (reg_decode(&amdvi_cap_reg, cap, u) < 0)
			return -ENOMEM;
	} else if (host_warn(warn, "%s: %s", u->name, cap_reason) < 0)
		return -ENOMEM;

	k = attr_read(r, adir, "features", &feat, &feat_reason);
	if (k == -ENOMEM)
		return k;
	if (k >= 0 && !*feat) {
		if (asprintf(&feat_reason, "features is empty") < 0)
			return -ENOMEM;
	} else if (k >= 0) {
		k = parse_amd_features(feat, h->info.kernel_major, h->info.kernel_minor, &efr,
				       &efr2, &efr2_known, &fmt, &guessed);
		if (k == -ENOMEM)
			return k;
		if (k < 0) {
			_cleanup_free_ char *ex = value_excerpt(feat);

			if (asprintf(&feat_reason,
				     "features is not \"EFR\" or \"X:Y\" in hexadecimal: %s",
				     ex ? ex : "?") < 0)
				return -ENOMEM;
		} else
			have_efr = true;
	}
	if (!have_efr) {
		if (unit_add_raw(u, "efr", false, 0, feat_reason) < 0 ||
		    unit_add_raw(u, "efr2", false, 0, feat_reason) < 0 ||
		    host_warn(warn, "%s: %s", u->name, feat_reason) < 0)
			return -ENOMEM;
	} else {
		if (unit_add_raw(u, "efr", true, efr, NULL) < 0 ||
		    unit_add_raw(u, "efr2", efr2_known, efr2,
				 "this kernel's features attribute holds EFR only") < 0)
			return -ENOMEM;
		if (unit_add_field(u, "features", "format", IOMMUCAP_FIELD_STR, 0,
				   amd_features_format_name(fmt)) < 0)
			return -ENOMEM;
		if (guessed && host_warn(warn,
					 "%s: kernel release unknown: features read as EFR:EFR2 "
					 "(Linux 6.7 and later)",
					 u->name) < 0)
			return -ENOMEM;
		if (reg_decode(&amdvi_efr_reg, efr, u) < 0)
			return -ENOMEM;
		if (efr2_known && reg_decode(&amdvi_efr2_reg, efr2, u) < 0)
			return -ENOMEM;
	}

	k = amdvi_caps_from_regs(u, have_cap, cap, have_efr, efr, efr2_known, efr2, &h->info);
	if (k < 0)
		return k;
	/* What a missing register would have told stays unknown, with that register's reason. */
	if (!have_cap &&
	    (cap_set_unknown(u, IOMMUCAP_ATS, "%s", cap_reason ?: "cap unavailable") < 0 ||
	     cap_set_unknown(u, IOMMUCAP_CACHING_MODE, "%s", cap_reason ?: "cap unavailable") < 0))
		return -ENOMEM;
	if (!have_efr)
		return caps_unknown_rest(u, feat_reason ?: "features unavailable");
	return 0;
}

/* A field of the unit's view (a probed unit's, or a document's read back); absent is 0. */
static uint64_t view_efr(const struct iommucap_unit *u, unsigned idx)
{
	uint64_t v = 0;

	return reg_unit_get(u, &amdvi_efr_reg, idx, &v) ? v : 0;
}

int amdvi_sva(const struct iommucap_host *h, const struct iommucap_unit *u, char *buf, size_t n,
	      const char **ret_reason)
{
	const struct iommucap_hostinfo *hi = &h->info;
	bool gt, ppr, eph, gio, gats5, snp;
	uint64_t v;

	*ret_reason = buf;
	if (!reg_unit_get(u, &amdvi_efr_reg, AMDVI_EFR_GT, &v)) {
		*ret_reason = "the unit's EFR is not known";
		return -1;
	}
	gt = view_efr(u, AMDVI_EFR_GT);
	ppr = view_efr(u, AMDVI_EFR_PPR);
	eph = view_efr(u, AMDVI_EFR_EPHSUP);
	gio = view_efr(u, AMDVI_EFR_GIOSUP);
	gats5 = reg_unit_get(u, &amdvi_efr_reg, AMDVI_EFR_GATS, &v) && v == 1;
	snp = view_efr(u, AMDVI_EFR_SNP);
	/* amd_iommu_gt_ppr_supported(), by release. */
	if (!gt || !ppr || (kernel_has(hi, &kc_amd_ppr_ephsup) && !eph) ||
	    (kernel_has(hi, &kc_amd_ppr_giosup) && !gio)) {
		snprintf(buf, n,
			 "amd_iommu_gt_ppr_supported() is false on this kernel (GT %d, PPR %d, "
			 "EPHSup %d, GIOSup %d)",
			 gt, ppr, eph, gio);
		return 0;
	}
	/* amd_iommu_pasid_supported(): an LA57 CPU needs 5-level guest tables (GATS 1). */
	if (!hi->cpu_flags_known) {
		snprintf(buf, n, "the CPU's flags are not known: %s",
			 hi->cpu_flags_reason ?: "not read");
		return -1;
	}
	if (hi->cpu_flags[IOMMUCAP_CPU_LA57] && !gats5) {
		snprintf(buf, n,
			 "the CPU has 5-level paging and the unit's v2 table is not 5-level "
			 "(EFR.GATS is not 1)");
		return 0;
	}
	/* ... && !amd_iommu_snp_en: set when the host enables SEV-SNP on an SNP unit. */
	if (snp) {
		snprintf(buf, n,
			 "EFR.SNP is set: SVA is off if the host enables SEV-SNP "
			 "(amd_iommu_snp_en), which is not read");
		return -1;
	}
	*ret_reason = "GT, PPR, EPHSup and GIOSup present (amd_iommu_pasid_supported)";
	return 1;
}
