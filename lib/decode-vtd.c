/* Intel VT-d: the intel-iommu/ attributes and the capabilities they imply (kernel 6.1 to 7.3). */
#include "config.h"

#include "ksem.h"
#include "model.h"
#include "parse.h"
#include "regs-vtd.h"
#include "sysfs.h"

/* intel_iommu=sm_on/sm_off, the last one winning as the kernel parses them; -1 when absent. */
static int vtd_cmdline_sm(const struct iommucap_hostinfo *hi)
{
	int sm = -1;

	for (size_t i = 0; hi && i < hi->n_cmdline; i++) {
		const char *p = hi->cmdline[i].value;

		if (!p || !streq(hi->cmdline[i].key, "intel_iommu"))
			continue;
		while (*p) {
			size_t l = strcspn(p, ",");

			if (l == 5 && strncmp(p, "sm_on", 5) == 0)
				sm = 1;
			else if (l == 6 && strncmp(p, "sm_off", 6) == 0)
				sm = 0;
			p += l;
			if (*p == ',')
				p++;
		}
	}
	return sm;
}

static int vtd_pgtable_formats(struct iommucap_unit *u, uint64_t cap, uint64_t ecap, bool sm_off)
{
	static const char *const ss_names[] = { "vtd-ss-2level", "vtd-ss-3level", "vtd-ss-4level",
						"vtd-ss-5level", "vtd-ss-6level" };
	const char *fmts[ELEMENTSOF(ss_names) + 2];
	size_t n = 0;
	bool sm = reg_get(&vtd_ecap_reg, ecap, VTD_ECAP_SMTS) && !sm_off;
	uint64_t sagaw = reg_get(&vtd_cap_reg, cap, VTD_CAP_SAGAW);

	/* Legacy mode walks second-stage tables only; scalable mode offers what SLTS/FLTS say. */
	if (!sm || reg_get(&vtd_ecap_reg, ecap, VTD_ECAP_SLTS))
		for (unsigned b = 0; b < ELEMENTSOF(ss_names); b++)
			if (sagaw & (UINT64_C(1) << b))
				fmts[n++] = ss_names[b];
	if (sm && reg_get(&vtd_ecap_reg, ecap, VTD_ECAP_FLTS)) {
		fmts[n++] = "vtd-fs-4level";
		if (reg_get(&vtd_cap_reg, cap, VTD_CAP_FL5LP))
			fmts[n++] = "vtd-fs-5level";
	}
	return cap_set_strs(u, IOMMUCAP_PGTABLE_FORMATS, fmts, n, IOMMUCAP_SRC_REGISTER);
}

int vtd_caps_from_regs(struct iommucap_unit *u, bool have_cap, uint64_t cap, bool have_ecap,
		       uint64_t ecap, const struct iommucap_hostinfo *hi)
{
	int k = 0;

	if (have_ecap) {
		/* sm_supported(): the hardware offers it and the kernel was not told sm_off. */
		bool sm_off = vtd_cmdline_sm(hi) == 0;
		bool sm = reg_get(&vtd_ecap_reg, ecap, VTD_ECAP_SMTS) && !sm_off;
		const enum iommucap_source R = sm_off && reg_get(&vtd_ecap_reg, ecap, VTD_ECAP_SMTS)
						       ? IOMMUCAP_SRC_CMDLINE
						       : IOMMUCAP_SRC_REGISTER;
		bool pasid = reg_get(&vtd_ecap_reg, ecap, VTD_ECAP_PASID) && sm;
		bool slads = reg_get(&vtd_ecap_reg, ecap, VTD_ECAP_SLADS);
		bool smpwc = reg_get(&vtd_ecap_reg, ecap, VTD_ECAP_SMPWC);
		int ssid = pasid ? (int)reg_get(&vtd_ecap_reg, ecap, VTD_ECAP_PSS) + 1 : 0;
		static const char *const intel_fmt[] = { "intel" };

		/* PASID, nesting and PRI are used only in scalable mode (pasid_supported & co). */
		k |= cap_set_num(u, IOMMUCAP_SSID_BITS, ssid, R);
		k |= cap_set_bool(u, IOMMUCAP_NESTING,
				  reg_get(&vtd_ecap_reg, ecap, VTD_ECAP_NEST) && sm, R);
		/* intel_iommu_probe_device(): pri_supported = scalable mode && ats_supported
		 * (ecap.dt, and the device's ATS) && ecap.prs, and ecap.pds from 5ef7e24c7420
		 * "iommu/vt-d: PRS isn't usable if PDS isn't supported" (6.18; stable 6.17.4,
		 * 6.12.54, 6.1.157).
		 */
		bool pri = sm && reg_get(&vtd_ecap_reg, ecap, VTD_ECAP_PRS) &&
			   reg_get(&vtd_ecap_reg, ecap, VTD_ECAP_DT) &&
			   (!kernel_has(hi, &kc_vtd_pri_pds) ||
			    reg_get(&vtd_ecap_reg, ecap, VTD_ECAP_PDS));
		/* ssads_supported(): scalable mode && ecap.slads (f35f22cc760e, 6.7; no dirty
		 * tracking before), && ecap.smpwc from 57f55048e564 (6.18, stable 6.17/6.12). */
		bool dirty = kernel_has(hi, &kc_vtd_dirty) && sm && slads &&
			     (!kernel_has(hi, &kc_vtd_dirty_smpwc) || smpwc);

		k |= cap_set_bool(u, IOMMUCAP_PRI, pri, R);
		k |= cap_set_bool(u, IOMMUCAP_ATS, reg_get(&vtd_ecap_reg, ecap, VTD_ECAP_DT), R);
		k |= cap_set_bool(u, IOMMUCAP_SCALABLE_MODE, sm, R);
		k |= cap_set_bool(u, IOMMUCAP_DIRTY_TRACKING, dirty, R);
		k |= cap_set_enum(u, IOMMUCAP_HTTU,
				  sm && slads ? IOMMUCAP_HTTU_ACCESS_DIRTY : IOMMUCAP_HTTU_NONE, R);
		k |= cap_set_bool(u, IOMMUCAP_COHERENT,
				  sm ? smpwc : reg_get(&vtd_ecap_reg, ecap, VTD_ECAP_C), R);
		k |= cap_set_strs(u, IOMMUCAP_PASID_TABLE_FORMATS, intel_fmt, ssid > 0 ? 1 : 0, R);
	}
	if (have_cap) {
		const enum iommucap_source R = IOMMUCAP_SRC_REGISTER;
		uint64_t sllps = reg_get(&vtd_cap_reg, cap, VTD_CAP_SLLPS);
		uint64_t sizes[3];
		size_t n = 0;
		enum iommucap_source ps = R;

		k |= cap_set_num(u, IOMMUCAP_INPUT_BITS,
				 (int64_t)reg_get(&vtd_cap_reg, cap, VTD_CAP_MGAW) + 1, R);
		k |= cap_set_bool(u, IOMMUCAP_CACHING_MODE, reg_get(&vtd_cap_reg, cap, VTD_CAP_CM),
				  R);
		sizes[n++] = SZ_4K;
		if (hi && hostinfo_cmdline_has_option(hi, "intel_iommu", "sp_off"))
			ps = IOMMUCAP_SRC_CMDLINE; /* the kernel maps 4 KiB pages only */
		else {
			if (sllps & 1)
				sizes[n++] = SZ_2M;
			if (sllps & 2)
				sizes[n++] = SZ_1G;
		}
		k |= cap_set_nums(u, IOMMUCAP_PAGE_SIZES, sizes, n, ps);
	}
	if (have_cap && have_ecap)
		k |= vtd_pgtable_formats(u, cap, ecap, vtd_cmdline_sm(hi) == 0);

	/* Facts of the architecture, true whatever the registers say. */
	k |= cap_set_enum(u, IOMMUCAP_STALL, IOMMUCAP_STALL_DISABLED, IOMMUCAP_SRC_MODEL);
	k |= cap_set_bool(u, IOMMUCAP_BTM, false, IOMMUCAP_SRC_MODEL);
	k |= cap_set_num(u, IOMMUCAP_PASID_TABLE_ALIGN, 4096, IOMMUCAP_SRC_MODEL);
	k |= cap_set_unknown(
		u, IOMMUCAP_ASID_BITS,
		"VT-d has no ASIDs; it tags translations by domain id (fields.cap.nd)");
	return k < 0 ? -ENOMEM : 0;
}

/* A one-bit field of the unit's view (a probed unit's, or a document's read back). */
static bool view_bit(const struct iommucap_unit *u, const struct regdef *def, unsigned idx)
{
	uint64_t v = 0;

	return reg_unit_get(u, def, idx, &v) && v;
}

/* A field of the view, or -1. */
static int64_t view_num(const struct iommucap_unit *u, const struct regdef *def, unsigned idx)
{
	uint64_t v;

	return reg_unit_get(u, def, idx, &v) ? (int64_t)v : -1;
}

/* Read one register attribute into raw[] and the field view; a failure becomes a reason. */
static int vtd_read_reg(struct iommucap_root *r, struct iommucap_unit *u, const char *adir,
			const struct regdef *def, uint64_t *ret, char **ret_reason,
			struct iommucap_host *warn)
{
	char *reason = NULL;
	uint64_t v;
	int k = attr_read_hex(r, adir, def->name, &v, &reason);

	if (k < 0) {
		if (k == -ENOMEM || unit_add_raw(u, def->name, false, 0, reason) < 0 ||
		    host_warn(warn, "%s: %s", u->name, reason ? reason : def->name) < 0) {
			free(reason);
			return -ENOMEM;
		}
		*ret_reason = reason;
		return 0;
	}
	*ret = v;
	*ret_reason = NULL;
	if (unit_add_raw(u, def->name, true, v, NULL) < 0)
		return -ENOMEM;
	return reg_decode(def, v, u) < 0 ? -ENOMEM : 1;
}

static int vtd_read_version(struct iommucap_root *r, struct iommucap_unit *u, const char *adir,
			    struct iommucap_host *warn)
{
	_cleanup_free_ char *s = NULL;
	_cleanup_free_ char *reason = NULL;
	unsigned maj, min;
	char extra;
	int k = attr_read(r, adir, "version", &s, &reason);

	/* "%d:%d" of VER_REG; we keep the register as 0x<major><minor>. */
	if (k >= 0 && !*s) {
		free(reason);
		if (asprintf(&reason, "version is empty") < 0)
			return -ENOMEM;
		k = -ENODATA;
	} else if (k >= 0 &&
		   (sscanf(s, "%u:%u%c", &maj, &min, &extra) != 2 || maj > 15 || min > 15)) {
		_cleanup_free_ char *ex = value_excerpt(s);

		free(reason);
		if (asprintf(&reason, "version is not \"major:minor\": %s", ex ? ex : "?") < 0)
			return -ENOMEM;
		k = -EINVAL;
	}
	if (k < 0) {
		if (k == -ENOMEM || unit_add_raw(u, "version", false, 0, reason) < 0 ||
		    host_warn(warn, "%s: %s", u->name, reason) < 0)
			return -ENOMEM;
		return 0;
	}
	if (unit_add_raw(u, "version", true, (maj << 4) | min, NULL) < 0)
		return -ENOMEM;
	return reg_decode(&vtd_version_reg, (maj << 4) | min, u);
}

int decode_vtd(struct iommucap_root *r, const struct iommucap_host *h, struct iommucap_unit *u,
	       const char *dir, struct iommucap_host *warn)
{
	_cleanup_free_ char *adir = path_join(dir, "intel-iommu");
	_cleanup_free_ char *cap_reason = NULL, *ecap_reason = NULL, *addr_reason = NULL;
	uint64_t cap = 0, ecap = 0, addr;
	int have_cap, have_ecap, k;

	if (!adir)
		return -ENOMEM;
	k = vtd_read_version(r, u, adir, warn);
	if (k < 0)
		return k;
	k = attr_read_hex(r, adir, "address", &addr, &addr_reason);
	if (k == -ENOMEM)
		return k;
	if (unit_add_raw(u, "address", k >= 0, addr, addr_reason) < 0)
		return -ENOMEM;
	if (k < 0 && host_warn(warn, "%s: %s", u->name, addr_reason) < 0)
		return -ENOMEM;
	have_cap = vtd_read_reg(r, u, adir, &vtd_cap_reg, &cap, &cap_reason, warn);
	if (have_cap < 0)
		return have_cap;
	have_ecap = vtd_read_reg(r, u, adir, &vtd_ecap_reg, &ecap, &ecap_reason, warn);
	if (have_ecap < 0)
		return have_ecap;

	k = vtd_caps_from_regs(u, have_cap, cap, have_ecap, ecap, &h->info);
	if (k < 0)
		return k;
	/* What a missing register would have told stays unknown, with that register's reason. */
	if (!have_cap) {
		static const enum iommucap_cap from_cap[] = { IOMMUCAP_INPUT_BITS,
							      IOMMUCAP_CACHING_MODE,
							      IOMMUCAP_PAGE_SIZES,
							      IOMMUCAP_PGTABLE_FORMATS };

		for (size_t i = 0; i < ELEMENTSOF(from_cap); i++)
			if (cap_set_unknown(u, from_cap[i], "%s", cap_reason ?: "cap unavailable") <
			    0)
				return -ENOMEM;
	}
	if (!have_ecap)
		return caps_unknown_rest(u, ecap_reason ?: "ecap unavailable");
	return 0;
}

/*
 * The IOVA width of a first-stage domain: first-stage tables translate canonical addresses, so
 * the kernel keeps to the lower half, one bit less than the table covers. Linux 7.3
 * (drivers/iommu/intel/iommu.c): compute_vasz_lg2_fs() takes min(57, MGAW) with FL5LP and MGAW
 * > 48, else min(48, MGAW), and the generic page table's PT_FEAT_SIGN_EXTEND makes the
 * aperture pt_top_range(), "the lower range" (generic_pt/pt_iter.h); before iommupt the same,
 * "First-level translation restricts the input-address to a canonical address ... Hence, skip
 * bit [N-1]" (aperture_end = __DOMAIN_MAX_ADDR(gaw - 1)). That aperture is the IOVA range
 * VFIO and iommufd report, and QEMU's host aw-bits (vfio_device_get_aw_bits()).
 */
static int64_t vtd_first_stage_bits(const struct iommucap_unit *u, int64_t mgaw)
{
	if (mgaw > 48 && view_bit(u, &vtd_cap_reg, VTD_CAP_FL5LP))
		return (mgaw < 57 ? mgaw : 57) - 1;
	return (mgaw < 48 ? mgaw : 48) - 1;
}

int vtd_unit_pass(const struct iommucap_host *h, struct iommucap_unit *u)
{
	uint64_t sizes[3] = { SZ_4K, SZ_2M, SZ_1G };
	size_t n = 2;
	int64_t mgaw;

	if (u->model != IOMMUCAP_MODEL_INTEL_VTD || !vtd_dma_first_stage(h, u))
		return 0;
	mgaw = view_num(u, &vtd_cap_reg, VTD_CAP_MGAW);
	if (u->caps[IOMMUCAP_INPUT_BITS].source == IOMMUCAP_SRC_REGISTER && mgaw > 0 &&
	    cap_set_num(u, IOMMUCAP_INPUT_BITS, vtd_first_stage_bits(u, mgaw),
			IOMMUCAP_SRC_REGISTER) < 0)
		return -ENOMEM;
	if (u->caps[IOMMUCAP_PAGE_SIZES].source != IOMMUCAP_SRC_REGISTER)
		return 0;
	/* First-stage tables map 2 MiB pages always and 1 GiB pages only with cap.fl1gp (the
	 * first-stage domain drops SZ_1G from pgsize_bitmap without it); SLLPS is the second
	 * stage's. */
	if (view_bit(u, &vtd_cap_reg, VTD_CAP_FL1GP))
		n = 3;
	return cap_set_nums(u, IOMMUCAP_PAGE_SIZES, sizes, n, IOMMUCAP_SRC_REGISTER) < 0 ? -ENOMEM
											 : 0;
}

int vtd_host_pass(struct iommucap_host *h)
{
	for (size_t i = 0; i < h->n_units; i++)
		if (vtd_unit_pass(h, &h->units[i]) < 0)
			return -ENOMEM;
	return 0;
}

int vtd_sva(const struct iommucap_host *h, const struct iommucap_unit *u, char *buf, size_t n,
	    const char **ret_reason)
{
	const struct iommucap_hostinfo *hi = &h->info;
	const struct iommucap_capval *smv = &u->caps[IOMMUCAP_SCALABLE_MODE];
	bool sm = smv->source != IOMMUCAP_SRC_UNKNOWN && smv->num;
	bool pasid = view_bit(u, &vtd_ecap_reg, VTD_ECAP_PASID);
	uint64_t v;

	*ret_reason = buf;
	/* intel_svm_check() (svm.c): pasid_supported() = scalable mode && ecap.pasid, and from
	 * 780dfed68862 (7.2; stable 6.12.101, 6.1.183) ecap.smpwc, both without a message; then
	 * CPU GBPAGES needs cap.fl1gp, LA57 needs cap.fl5lp, each with its "SVM disabled" line. */
	if (!reg_unit_get(u, &vtd_ecap_reg, VTD_ECAP_PASID, &v) ||
	    !reg_unit_get(u, &vtd_cap_reg, VTD_CAP_FL1GP, &v)) {
		*ret_reason = "the unit's cap/ecap registers are not known";
		return -1;
	}
	if (!sm || !pasid) {
		snprintf(buf, n, "no PASID in scalable mode (ecap.pasid %d, scalable mode %d)",
			 pasid, sm);
		return 0;
	}
	if (kernel_has(hi, &kc_vtd_sva_smpwc) && !view_bit(u, &vtd_ecap_reg, VTD_ECAP_SMPWC)) {
		snprintf(buf, n,
			 "the unit's page walks are not coherent (ecap.smpwc 0): no SVA since %s",
			 kchange_since(&kc_vtd_sva_smpwc, (char[64]){ 0 }, 64));
		return 0;
	}
	if (!hi->cpu_flags_known) {
		snprintf(buf, n, "the CPU's flags are not known: %s",
			 hi->cpu_flags_reason ?: "not read");
		return -1;
	}
	if (hi->cpu_flags[IOMMUCAP_CPU_PDPE1GB] && !view_bit(u, &vtd_cap_reg, VTD_CAP_FL1GP)) {
		snprintf(buf, n, "%s SVM disabled, incompatible 1GB page capability", u->name);
		return 0;
	}
	if (hi->cpu_flags[IOMMUCAP_CPU_LA57] && !view_bit(u, &vtd_cap_reg, VTD_CAP_FL5LP)) {
		snprintf(buf, n, "%s SVM disabled, incompatible paging mode", u->name);
		return 0;
	}
	*ret_reason = "the unit can share CPU page tables (intel_svm_check)";
	return 1;
}

void vtd_vendor_facts(const struct iommucap_unit *u, struct iommucap_vendor_facts *f)
{
	int64_t pss = view_num(u, &vtd_ecap_reg, VTD_ECAP_PSS);

	f->fs1gp = view_num(u, &vtd_cap_reg, VTD_CAP_FL1GP);
	f->pasid_bits = pss < 0 ? -1 : pss + 1;
}
