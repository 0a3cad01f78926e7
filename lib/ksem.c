/* Kernel semantics keyed on the running release; every boundary is in docs/kernel-semantics.md. */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "ksem.h"
#include "macro.h"
#include "model.h"
#include "regs-amdvi.h"
#include "regs-vtd.h"
#include "regs.h"
#include "sysfs.h"

/* drivers/iommu/intel/cap_audit.c, ad3d19029979 "iommu/vt-d: Audit IOMMU Capabilities and add
 * helper functions" (5.13). */
const struct kchange kc_vtd_cap_audit = { "ad3d19029979",
					  "iommu/vt-d: Audit IOMMU Capabilities and add helper "
					  "functions",
					  5,
					  13,
					  { { 0 } } };
const struct kchange kc_vtd_cap_audit_removed = {
	"c2206299401b", "iommu/vt-d: Remove iommu cap audit", 6, 14, { { 0 } }
};
/* first_level_by_default(iommu): the unit's own SMTS/FLTS/SLTS instead of cap_audit's host-wide
 * values. In "IOMMU Updates for Linux v6.13" (Joerg Roedel, 22 Nov 2024, based on 6.12-rc7);
 * 6.12.118 still asks intel_cap_flts_sanity(). */
const struct kchange kc_vtd_first_level_unit = {
	"ed56de8a9e90", "iommu/vt-d: Refactor first_level_by_default()", 6, 13, { { 0 } }
};
/* intel_svm_check() returns silently unless ecap.SMPWC: merged through "iommu-fixes-v7.2-rc5"
 * (July 2026); Debian's changelogs list the backports in 6.12.101 and 6.1.183 (6.12.95 still
 * prints "SVM disabled" on a unit without SMPWC, the 6.1.192 boot log of the same registers
 * does not). */
const struct kchange kc_vtd_sva_smpwc = { "780dfed68862",
					  "iommu/vt-d: Disallow SVA if page walk is not coherent",
					  7,
					  2,
					  { { 6, 12, 101 }, { 6, 1, 183 } } };
/* intel_iommu_init(): pr_info_once("IOMMU batching disallowed due to virtualization\n") for
 * caching mode; before, pr_warn("IOMMU batching is disabled due to virtualization") unless
 * intel_iommu=strict (v15 of the series, 12 Jul 2021; merged for 5.15). */
const struct kchange kc_vtd_cm_once = {
	"d0e108b8e962",
	"iommu/vt-d: Add support for IOMMU default DMA mode build options",
	5,
	15,
	{ { 0 } }
};
/* ... && !first_level_by_default(): caching mode with first-stage DMA domains keeps batching
 * and prints nothing. Merged for 6.3; Greg's stable reviews of 7 Mar 2023 took it into 6.1.16
 * and 5.15.99 (also in Debian's 6.1 changelog under 6.1.16). */
const struct kchange kc_vtd_cm_first_level = {
	"257ec2907419",
	"iommu/vt-d: Allow to use flush-queue when first level is default",
	6,
	3,
	{ { 6, 1, 16 }, { 5, 15, 99 } }
};
/* IOMMU_CAP_DIRTY_TRACKING and second-stage A/D came with iommufd dirty tracking (6.7). */
const struct kchange kc_vtd_dirty = {
	"f35f22cc760e", "iommu/vt-d: Access/Dirty bit support for SS domains", 6, 7, { { 0 } }
};
/* Sent 24 Sep 2025, after 6.17's last rc; in the 6.18 merge window's trees by 7 Oct 2025 and in
 * Greg's 6.12 stable review of 13 Oct 2025 ("[PATCH 6.12 197/262]"), which takes only mainline
 * commits: 6.18-rc1. 6.17 has it only from the stable backport; Debian's 6.12 changelog lists it
 * under 6.12.53. */
const struct kchange kc_vtd_dirty_smpwc = {
	"57f55048e564",
	"iommu/vt-d: Disallow dirty tracking if incoherent page "
	"walk",
	6,
	18,
	{ { 6, 17, 3 }, { 6, 12, 53 } }
};
/* intel_iommu_probe_device(): info->pri_supported also needs ecap_pds. Mainline 5ef7e24c7420
 * (Greg's "FAILED: patch ... failed to apply to 5.10-stable tree" of 16 Oct 2025 quotes it as
 * the original commit in Linus's tree; sent 15 Sep 2025, not in the 6.17 fixes pulls: 6.18).
 * Debian's changelogs list the backports under 6.12.54 and 6.1.157; linux-stable-rc's push of
 * 17 Oct 2025 to linux-6.17.y (12922924a6fa..fbd86f33ea60, the queue after 6.17.3, the batch
 * of 6.12.54 and 6.1.157) carries it as 6b8fbdb73a0a: 6.17.4. */
const struct kchange kc_vtd_pri_pds = { "5ef7e24c7420",
					"iommu/vt-d: PRS isn't usable if PDS isn't supported",
					6,
					18,
					{ { 6, 17, 4 }, { 6, 12, 54 }, { 6, 1, 157 } } };
const struct kchange kc_amd_dirty = {
	"421a511a293f", "iommu/amd: Access/Dirty bit support in IOPTEs", 6, 7, { { 0 } }
};
/* amd_iommu_gt_ppr_supported() gains EPHSup (iommu fixes for 6.10). */
const struct kchange kc_amd_ppr_ephsup = {
	"48dc345a23b9", "iommu/amd: Check EFR[EPHSup] bit before enabling PPR", 6, 10, { { 0 } }
};
/* amd_iommu_gt_ppr_supported() = amd_iommu_v2_pgtbl_supported() (GIOSup && GT) && PPR &&
 * EPHSup. The helper came with b0ffdb23e94f, listed in "IOMMU Updates for Linux v6.13" (22 Nov
 * 2024, based on 6.12-rc7; amd_iommu.h 11 +- in that pull); Debian's 6.12.118 still has
 * "check_feature(FEATURE_GT) && check_feature(FEATURE_PPR) && check_feature(FEATURE_EPHSUP)",
 * 7.3 the helper. The patch text itself was not read. */
const struct kchange kc_amd_ppr_giosup = {
	"b0ffdb23e94f", "iommu/amd: Add helper function to check GIOSUP/GTSUP", 6, 13, { { 0 } }
};
/* HATS == 3 sets amd_iommu_hatdis (no v1 table, so no dirty tracking). Applied to the iommu
 * tree on 27 Jun 2025 (after 6.16-rc3: "Applied, thanks" to v4 of "iommu/amd: Support for HATdis
 * and HATS features"), so merged for 6.17; FEATURE_HATS is absent from the 6.14 tree and present
 * in 6.17. */
const struct kchange kc_amd_hatdis = {
	"7e5516e60961", "iommu/amd: Add HATDis feature support", 6, 17, { { 0 } }
};
/* is_nest_parent_supported(): GT && GIOSup && EFR2.GCR3TRPMODE. Patch 8 of "iommu/amd:
 * Introduce Nested Translation support" (v5 12 Nov 2025, then v6); linux-next's build report of
 * 19 Jan 2026 names patch 11 of the series (757d2b1fdf5b7) as new in the iommu tree, after
 * 6.19-rc5: merged in the 7.0 window. */
const struct kchange kc_amd_nest_parent = { "b43a29def24f",
					    "iommu/amd: Add support for nest parent domain "
					    "allocation",
					    7,
					    0,
					    { { 0 } } };

/* arm_smmu_get_httu(): HA/HD from IDR0.HTTU, or under ACPI from the IORT node's HTTU override
 * only (arm_smmu_device_acpi_probe()); before it the kernel used no HTTU. Debian's 6.1 arm64
 * kernel lacks its "IDR0.HTTU features(0x%x) overridden by FW configuration", 6.12 has it. */
const struct kchange kc_smmuv3_httu = {
	"2f8d6178b4fe", "iommu/arm-smmu-v3: Add feature detection for HTTU", 6, 11, { { 0 } }
};

bool kernel_release_of(const struct iommucap_hostinfo *hi, int *ret_major, int *ret_minor,
		       int *ret_sublevel)
{
	const char *s;
	int maj = 0, min = 0, sub = 0;

	if (!hi || hi->kernel_major < 0)
		return false;
	if (!hi->kernel_release) {
		*ret_major = hi->kernel_major;
		*ret_minor = hi->kernel_minor;
		*ret_sublevel = 0;
		return true;
	}
	s = hi->kernel_release;
	while (*s == ' ')
		s++;
	if (sscanf(s, "%d.%d", &maj, &min) != 2)
		return false;
	/* "6.12.95+deb12-amd64": the third number when it follows a dot. "6.1.0-56-amd64" is a
	 * distribution's ABI name: the sublevel is hidden (Debian's 6.1.0-56 is 6.1.192). */
	s = strchr(s, '.');
	s = s ? strchr(s + 1, '.') : NULL;
	if (s && isdigit((unsigned char)s[1])) {
		char *e;

		sub = (int)strtol(s + 1, &e, 10);
		if (sub == 0 && e[0] == '-' && isdigit((unsigned char)e[1]))
			sub = -1;
	}
	*ret_major = maj;
	*ret_minor = min;
	*ret_sublevel = sub;
	return true;
}

static int vcmp(int a1, int b1, int c1, int a2, int b2, int c2)
{
	return a1 != a2	  ? (a1 > a2 ? 1 : -1)
	       : b1 != b2 ? (b1 > b2 ? 1 : -1)
			  : (c1 > c2) - (c1 < c2);
}

bool kernel_has(const struct iommucap_hostinfo *hi, const struct kchange *c)
{
	int maj, min, sub;

	if (!kernel_release_of(hi, &maj, &min, &sub))
		return true;
	if (vcmp(maj, min, 0, c->major, c->minor, 0) >= 0)
		return true;
	for (size_t i = 0; i < ELEMENTSOF(c->stable); i++)
		if (c->stable[i].major && maj == c->stable[i].major && min == c->stable[i].minor &&
		    (sub < 0 || sub >= c->stable[i].sublevel))
			return true;
	return false;
}

const char *kchange_since(const struct kchange *c, char *buf, size_t n)
{
	snprintf(buf, n, "Linux %d.%d%s%s%s", c->major, c->minor, c->commit ? " (" : "",
		 c->commit ? c->commit : "", c->commit ? ")" : "");
	return buf;
}

/* A one-bit field of the unit's view, by the register table's enum; absent is 0. */
static bool fbit(const struct iommucap_unit *u, const struct regdef *def, unsigned idx)
{
	uint64_t v = 0;

	return reg_unit_get(u, def, idx, &v) && v;
}

static bool sm_unit(const struct iommucap_unit *u)
{
	const struct iommucap_capval *v = &u->caps[IOMMUCAP_SCALABLE_MODE];

	return v->source != IOMMUCAP_SRC_UNKNOWN && v->num;
}

bool vtd_unit_first_stage_capable(const struct iommucap_unit *u)
{
	return u->model != IOMMUCAP_MODEL_INTEL_VTD ||
	       (sm_unit(u) && fbit(u, &vtd_ecap_reg, VTD_ECAP_FLTS));
}

bool vtd_dma_first_stage(const struct iommucap_host *h, const struct iommucap_unit *u)
{
	/* first_level_by_default(): in scalable mode with first-stage support DMA domains use
	 * first-stage tables (both stages present: first-stage for DMA domains). Up to 6.12 the
	 * kernel asks the host-wide values (cap_audit's intel_cap_smts/flts_sanity(), before 5.13
	 * scalable_mode_support()/first_level_support() over every unit); from 6.13 the unit's
	 * (ed56de8a9e90). */
	if (kernel_has(&h->info, &kc_vtd_first_level_unit))
		return sm_unit(u) && fbit(u, &vtd_ecap_reg, VTD_ECAP_FLTS);
	for (size_t i = 0; i < h->n_units; i++)
		if (!vtd_unit_first_stage_capable(&h->units[i]))
			return false;
	return true;
}

int iommucap_unit_sva(const struct iommucap_host *h, const struct iommucap_unit *u, char *buf,
		      size_t n, const char **ret_reason)
{
	*ret_reason = buf;
	if (u->model == IOMMUCAP_MODEL_INTEL_VTD)
		return vtd_sva(h, u, buf, n, ret_reason);
	if (u->model == IOMMUCAP_MODEL_AMD_VI)
		return amdvi_sva(h, u, buf, n, ret_reason);
	if (u->model == IOMMUCAP_MODEL_ARM_SMMU_V3)
		return smmuv3_sva(h, u, buf, n, ret_reason);
	if (u->caps[IOMMUCAP_SSID_BITS].source == IOMMUCAP_SRC_UNKNOWN) {
		snprintf(buf, n, "PASID support: %s",
			 u->caps[IOMMUCAP_SSID_BITS].reason ?: "not known");
		return -1;
	}
	if (u->caps[IOMMUCAP_SSID_BITS].num == 0) {
		*ret_reason = "the unit has no PASID support";
		return 0;
	}
	*ret_reason = "the unit has PASIDs; whether it shares CPU page tables is not reported";
	return -1;
}

int iommucap_unit_pass(const struct iommucap_host *h, struct iommucap_unit *u)
{
	const char *why;
	char buf[256];
	int k = vtd_unit_pass(h, u), v;

	if (k < 0)
		return k;
	v = iommucap_unit_sva(h, u, buf, sizeof(buf), &why);
	return v < 0 ? cap_set_unknown(u, IOMMUCAP_SVA, "%s", why)
		     : cap_set_bool(u, IOMMUCAP_SVA, v > 0, IOMMUCAP_SRC_DRIVER);
}

int iommucap_host_pass(struct iommucap_host *h)
{
	int k = vtd_host_pass(h);

	/* sva: the decoders' verdict for this kernel and CPU; unknown with their reason. */
	for (size_t i = 0; k >= 0 && i < h->n_units; i++) {
		struct iommucap_unit *u = &h->units[i];
		const char *why;
		char buf[256];
		int v = iommucap_unit_sva(h, u, buf, sizeof(buf), &why);

		k = v < 0 ? cap_set_unknown(u, IOMMUCAP_SVA, "%s", why)
			  : cap_set_bool(u, IOMMUCAP_SVA, v > 0, IOMMUCAP_SRC_DRIVER);
	}
	return k;
}

/* cap_audit.c check_irq_capabilities() and check_dmar_capabilities(): the kernel's feature
 * name (printed) and our field for it. */
static const struct {
	const char *kname;
	const struct regdef *reg;
	unsigned field;
} audited[] = {
	{ "pi_support", &vtd_cap_reg, VTD_CAP_PI },
	{ "eim_support", &vtd_ecap_reg, VTD_ECAP_EIM },
	{ "5lp_support", &vtd_cap_reg, VTD_CAP_FL5LP },
	{ "fl1gp_support", &vtd_cap_reg, VTD_CAP_FL1GP },
	{ "read_drain", &vtd_cap_reg, VTD_CAP_DRD },
	{ "write_drain", &vtd_cap_reg, VTD_CAP_DWD },
	{ "pgsel_inv", &vtd_cap_reg, VTD_CAP_PSI },
	{ "zlr", &vtd_cap_reg, VTD_CAP_ZLR },
	{ "caching_mode", &vtd_cap_reg, VTD_CAP_CM },
	{ "phmr", &vtd_cap_reg, VTD_CAP_PHMR },
	{ "plmr", &vtd_cap_reg, VTD_CAP_PLMR },
	{ "rwbf", &vtd_cap_reg, VTD_CAP_RWBF },
	{ "afl", &vtd_cap_reg, VTD_CAP_AFL },
	{ "rps", &vtd_ecap_reg, VTD_ECAP_RPS },
	{ "smpwc", &vtd_ecap_reg, VTD_ECAP_SMPWC },
	{ "flts", &vtd_ecap_reg, VTD_ECAP_FLTS },
	{ "slts", &vtd_ecap_reg, VTD_ECAP_SLTS },
	{ "nwfs", &vtd_ecap_reg, VTD_ECAP_NWFS },
	{ "slads", &vtd_ecap_reg, VTD_ECAP_SLADS },
	{ "vcs", &vtd_ecap_reg, VTD_ECAP_VCS },
	{ "smts", &vtd_ecap_reg, VTD_ECAP_SMTS },
	{ "pds", &vtd_ecap_reg, VTD_ECAP_PDS },
	{ "dit", &vtd_ecap_reg, VTD_ECAP_DIT },
	{ "pasid", &vtd_ecap_reg, VTD_ECAP_PASID },
	{ "eafs", &vtd_ecap_reg, VTD_ECAP_EAFS },
	{ "srs", &vtd_ecap_reg, VTD_ECAP_SRS },
	{ "ers", &vtd_ecap_reg, VTD_ECAP_ERS },
	{ "prs", &vtd_ecap_reg, VTD_ECAP_PRS },
	{ "nest", &vtd_ecap_reg, VTD_ECAP_NEST },
	{ "mts", &vtd_ecap_reg, VTD_ECAP_MTS },
	{ "sc_support", &vtd_ecap_reg, VTD_ECAP_SC },
	{ "pass_through", &vtd_ecap_reg, VTD_ECAP_PT },
	{ "dev_iotlb_support", &vtd_ecap_reg, VTD_ECAP_DT },
	{ "qis", &vtd_ecap_reg, VTD_ECAP_QI },
	{ "coherent", &vtd_ecap_reg, VTD_ECAP_C },
};

int vtd_cap_audit_mismatches(const struct iommucap_host *h, const char ***ret, size_t *ret_n)
{
	const char **out = NULL;
	size_t n = 0;

	*ret = NULL;
	*ret_n = 0;
	if (!kernel_has(&h->info, &kc_vtd_cap_audit) ||
	    kernel_has(&h->info, &kc_vtd_cap_audit_removed))
		return 0;
	/* cap_audit_static() compares the first active unit with every other one and prints a
	 * line for each differing feature: the feature is printed iff the units do not all agree.
	 */
	for (size_t f = 0; f < ELEMENTSOF(audited); f++) {
		bool seen = false, differ = false;
		uint64_t first = 0, v;

		for (size_t i = 0; i < h->n_units && !differ; i++) {
			const struct iommucap_unit *u = &h->units[i];

			if (u->model != IOMMUCAP_MODEL_INTEL_VTD ||
			    !reg_unit_get(u, audited[f].reg, audited[f].field, &v))
				continue;
			if (!seen) {
				first = v;
				seen = true;
			} else if (v != first)
				differ = true;
		}
		if (differ) {
			const char **nn = realloc(out, (n + 1) * sizeof(*out));

			if (!nn) {
				free(out);
				return -ENOMEM;
			}
			out = nn;
			out[n++] = audited[f].kname;
		}
	}
	*ret = out;
	*ret_n = n;
	return 0;
}

/* Kernels whose print_iommu_info() (drivers/iommu/amd/init.c) prints EFR2 beside EFR, "Extended
 * features (%#llx, %#llx):", per unit with the CAP.EFR bit (the EFR2 support of 6.0, the release
 * whose sysfs "features" became "EFR2:EFR"); and those that print it once, from the EFR all units
 * share (amd_iommu_efr, 6.7, when sysfs began to show that global value as "EFR:EFR2"). */
static const struct kchange kc_amd_print_efr2 = {
	"1e98a35da49e",
	"iommu/amd: Introduce Support for Extended Feature 2 Register",
	6,
	0,
	{ { 0 } }
};
static const struct kchange kc_amd_global_efr = {
	"7b7563a93437",
	"iommu/amd: Consolidate feature detection and reporting logic",
	6,
	7,
	{ { 0 } }
};

static bool raw_of(const struct iommucap_unit *u, const char *name, uint64_t *ret)
{
	for (size_t i = 0; i < u->n_raw; i++)
		if (streq(u->raw[i].name, name) && u->raw[i].known) {
			*ret = u->raw[i].value;
			return true;
		}
	return false;
}

/* The line print_iommu_info() prints for an AMD unit; NULL when none is predicted (before 6.0,
 * whose line we do not model, or registers not read). From 6.7 it is printed once for the host,
 * from the EFR every unit shares, so every unit gives the same line. */
static int amd_feature_line(const struct iommucap_host *h, const struct iommucap_unit *u,
			    char **ret)
{
	static const char *const feat_str[] = { "PreF", "PPR", "X2APIC", "NX", "GT",
						"[5]",	"IA",  "GA",	 "HE", "PC" };
	uint64_t efr, efr2, cap;
	char *s = NULL;
	size_t len = 0;
	FILE *f;

	*ret = NULL;
	if (u->model != IOMMUCAP_MODEL_AMD_VI || !kernel_has(&h->info, &kc_amd_print_efr2) ||
	    !raw_of(u, amdvi_efr_reg.name, &efr) || !raw_of(u, amdvi_efr2_reg.name, &efr2))
		return 0;
	if (kernel_has(&h->info, &kc_amd_global_efr)
		    ? efr == 0
		    : !raw_of(u, amdvi_cap_reg.name, &cap) || !(cap & (1u << 27)))
		return 0; /* "if (amd_iommu_efr)"; before: "if (iommu->cap & (1 << IOMMU_CAP_EFR))"
			   */
	f = open_memstream(&s, &len);
	if (!f)
		return -ENOMEM;
	/* The kernel's %#llx prints 0 as 0x0. */
	fprintf(f, "AMD-Vi: Extended features (0x%" PRIx64 ", 0x%" PRIx64 "):", efr, efr2);
	for (size_t i = 0; i < ELEMENTSOF(feat_str); i++)
		if (efr & (UINT64_C(1) << i))
			fprintf(f, " %s", feat_str[i]);
	if (efr & (UINT64_C(1) << 21)) /* FEATURE_GAM_VAPIC */
		fputs(" GA_vAPIC", f);
	if (efr & (UINT64_C(1) << 63)) /* FEATURE_SNP */
		fputs(" SNP", f);
	if (fclose(f) != 0) {
		free(s);
		return -ENOMEM;
	}
	*ret = s;
	return 0;
}

/* Append s (taken) unless it is there already. */
static int push_once(char ***v, size_t *n, char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (streq((*v)[i], s)) {
			free(s);
			return 0;
		}
	return strv_push(v, n, s);
}

/* intel_iommu_init() on a unit with caching mode (cap.CM), printed once for the first such unit:
 * before 5.15 pr_warn("IOMMU batching is disabled due to virtualization") unless intel_iommu=strict
 * had made DMA strict already; from d0e108b8e962 (5.15) pr_info_once("IOMMU batching disallowed
 * due to virtualization"); from 257ec2907419 (6.3; stable 6.1.16, 5.15.99) only when the DMA
 * domains are not first-stage (first_level_by_default(), per unit from 6.13). pr_fmt is "DMAR: ".
 */
static const char *vtd_caching_mode_line(const struct iommucap_host *h,
					 const struct iommucap_unit *u)
{
	if (!fbit(u, &vtd_cap_reg, VTD_CAP_CM))
		return NULL;
	if (!kernel_has(&h->info, &kc_vtd_cm_once))
		return hostinfo_cmdline_has_option(&h->info, "intel_iommu", "strict")
			       ? NULL
			       : "DMAR: IOMMU batching is disabled due to virtualization";
	if (kernel_has(&h->info, &kc_vtd_cm_first_level) && vtd_dma_first_stage(h, u))
		return NULL;
	return "DMAR: IOMMU batching disallowed due to virtualization";
}

int iommucap_unit_boot_messages(const struct iommucap_host *h, const struct iommucap_unit *u,
				char ***ret, size_t *ret_n)
{
	_cleanup_free_ const char **mism = NULL;
	char **v = NULL, *line = NULL;
	size_t n = 0, nm = 0;
	char buf[256];
	const char *why, *cm;
	int k;

	if (u->model == IOMMUCAP_MODEL_INTEL_VTD) {
		k = vtd_cap_audit_mismatches(h, &mism, &nm);
		if (k < 0)
			return k;
		/* pr_fmt "DMAR: " in cap_audit.c; a feature the units disagree on is every
		 * unit's doing. */
		for (size_t i = 0; i < nm; i++)
			if (strv_pushf(&v, &n, "DMAR: IOMMU feature %s inconsistent", mism[i]) < 0)
				goto oom;
		/* intel_svm_check(): the line is the reason when the CPU check fails (reached only
		 * with PASID in scalable mode, and from 780dfed68862 with SMPWC). */
		if (iommucap_unit_sva(h, u, buf, sizeof(buf), &why) == 0 && why == buf &&
		    strstr(buf, " SVM disabled, ") && strv_pushf(&v, &n, "%s", buf) < 0)
			goto oom;
		cm = vtd_caching_mode_line(h, u);
		if (cm && strv_pushf(&v, &n, "%s", cm) < 0)
			goto oom;
	}
	k = amd_feature_line(h, u, &line);
	if (k < 0)
		goto fail;
	if (line && strv_push(&v, &n, line) < 0)
		goto oom;
	*ret = v;
	*ret_n = n;
	return 0;
oom:
	k = -ENOMEM;
fail:
	strv_free(v, n);
	return k;
}

int iommucap_boot_messages(const struct iommucap_host *h, char ***ret, size_t *ret_n)
{
	char **v = NULL;
	size_t n = 0;

	/* The host's lines are its units' (a line several units cause is printed once). */
	for (size_t i = 0; i < h->n_units; i++) {
		char **m = NULL;
		size_t nm = 0;
		int k = iommucap_unit_boot_messages(h, &h->units[i], &m, &nm);

		for (size_t j = 0; k >= 0 && j < nm; j++) {
			k = push_once(&v, &n, m[j]);
			m[j] = NULL;
		}
		strv_free(m, nm);
		if (k < 0) {
			strv_free(v, n);
			return k;
		}
	}
	*ret = v;
	*ret_n = n;
	return 0;
}
