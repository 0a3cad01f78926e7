/* Intel VT-d: the intel-iommu/ attributes and the capabilities they imply (kernel 6.1 to 7.3). */
#include "config.h"

#include "ksem.h"
#include "model.h"
#include "parse.h"
#include "regs-vtd.h"
#include "sysfs.h"

#define SZ_4K UINT64_C(0x1000)
#define SZ_2M UINT64_C(0x200000)
#define SZ_1G UINT64_C(0x40000000)

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
	bool sm = reg_bits(&vtd_ecap_reg, ecap, "smts") && !sm_off;
	uint64_t sagaw = reg_bits(&vtd_cap_reg, cap, "sagaw");

	/* Legacy mode walks second-stage tables only; scalable mode offers what SLTS/FLTS say. */
	if (!sm || reg_bits(&vtd_ecap_reg, ecap, "slts"))
		for (unsigned b = 0; b < ELEMENTSOF(ss_names); b++)
			if (sagaw & (UINT64_C(1) << b))
				fmts[n++] = ss_names[b];
	if (sm && reg_bits(&vtd_ecap_reg, ecap, "flts")) {
		fmts[n++] = "vtd-fs-4level";
		if (reg_bits(&vtd_cap_reg, cap, "fl5lp"))
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
		bool sm = reg_bits(&vtd_ecap_reg, ecap, "smts") && !sm_off;
		const enum iommucap_source R = sm_off && reg_bits(&vtd_ecap_reg, ecap, "smts")
						       ? IOMMUCAP_SRC_CMDLINE
						       : IOMMUCAP_SRC_REGISTER;
		bool pasid = reg_bits(&vtd_ecap_reg, ecap, "pasid") && sm;
		bool slads = reg_bits(&vtd_ecap_reg, ecap, "slads");
		bool smpwc = reg_bits(&vtd_ecap_reg, ecap, "smpwc");
		int ssid = pasid ? (int)reg_bits(&vtd_ecap_reg, ecap, "pss") + 1 : 0;
		static const char *const intel_fmt[] = { "intel" };

		/* PASID, nesting and PRI are used only in scalable mode (pasid_supported & co). */
		k |= cap_set_num(u, IOMMUCAP_SSID_BITS, ssid, R);
		k |= cap_set_bool(u, IOMMUCAP_NESTING, reg_bits(&vtd_ecap_reg, ecap, "nest") && sm,
				  R);
		/* intel_iommu_probe_device(): pri_supported = scalable mode && ats_supported
		 * (ecap.dt, and the device's ATS) && ecap.prs, and ecap.pds from
		 * "iommu/vt-d: PRS isn't usable if PDS isn't supported" (6.18, stable 6.17/6.12).
		 */
		bool pri =
			sm && reg_bits(&vtd_ecap_reg, ecap, "prs") &&
			reg_bits(&vtd_ecap_reg, ecap, "dt") &&
			(!kernel_has(hi, &kc_vtd_pri_pds) || reg_bits(&vtd_ecap_reg, ecap, "pds"));
		/* ssads_supported(): scalable mode && ecap.slads (f35f22cc760e, 6.7; no dirty
		 * tracking before), && ecap.smpwc from 57f55048e564 (6.18, stable 6.17/6.12). */
		bool dirty = kernel_has(hi, &kc_vtd_dirty) && sm && slads &&
			     (!kernel_has(hi, &kc_vtd_dirty_smpwc) || smpwc);

		k |= cap_set_bool(u, IOMMUCAP_PRI, pri, R);
		k |= cap_set_bool(u, IOMMUCAP_ATS, reg_bits(&vtd_ecap_reg, ecap, "dt"), R);
		k |= cap_set_bool(u, IOMMUCAP_SCALABLE_MODE, sm, R);
		k |= cap_set_bool(u, IOMMUCAP_DIRTY_TRACKING, dirty, R);
		k |= cap_set_str(u, IOMMUCAP_HTTU, sm && slads ? "access+dirty" : "none", R);
		k |= cap_set_bool(u, IOMMUCAP_COHERENT,
				  sm ? smpwc : reg_bits(&vtd_ecap_reg, ecap, "c"), R);
		k |= cap_set_strs(u, IOMMUCAP_PASID_TABLE_FORMATS, intel_fmt, ssid > 0 ? 1 : 0, R);
	}
	if (have_cap) {
		const enum iommucap_source R = IOMMUCAP_SRC_REGISTER;
		uint64_t sllps = reg_bits(&vtd_cap_reg, cap, "sllps");
		uint64_t sizes[3];
		size_t n = 0;
		enum iommucap_source ps = R;

		k |= cap_set_num(u, IOMMUCAP_INPUT_BITS,
				 (int64_t)reg_bits(&vtd_cap_reg, cap, "mgaw") + 1, R);
		k |= cap_set_bool(u, IOMMUCAP_CACHING_MODE, reg_bits(&vtd_cap_reg, cap, "cm"), R);
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
	k |= cap_set_str(u, IOMMUCAP_STALL, "disabled", IOMMUCAP_SRC_MODEL);
	k |= cap_set_bool(u, IOMMUCAP_BTM, false, IOMMUCAP_SRC_MODEL);
	k |= cap_set_num(u, IOMMUCAP_PASID_TABLE_ALIGN, 4096, IOMMUCAP_SRC_MODEL);
	k |= cap_set_unknown(
		u, IOMMUCAP_ASID_BITS,
		"VT-d has no ASIDs; it tags translations by domain id (fields.cap.nd)");
	if (hi && hi->dmar_haw > 0)
		k |= cap_set_num(u, IOMMUCAP_OUTPUT_BITS, hi->dmar_haw, IOMMUCAP_SRC_FIRMWARE);
	else
		k |= cap_set_unknown(u, IOMMUCAP_OUTPUT_BITS, "%s",
				     hi && hi->dmar_reason ? hi->dmar_reason
							   : "the ACPI DMAR table was not read");
	return k < 0 ? -ENOMEM : 0;
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

int vtd_host_pass(struct iommucap_host *h)
{
	for (size_t i = 0; i < h->n_units; i++) {
		struct iommucap_unit *u = &h->units[i];
		uint64_t sizes[3] = { SZ_4K, SZ_2M, SZ_1G };
		size_t n = 2;
		bool fl1gp = false;

		if (u->model != IOMMUCAP_MODEL_INTEL_VTD ||
		    u->caps[IOMMUCAP_PAGE_SIZES].source != IOMMUCAP_SRC_REGISTER ||
		    !vtd_dma_first_stage(h, u))
			continue;
		/* First-stage tables map 2 MiB pages always and 1 GiB pages only with cap.fl1gp
		 * (the first-stage domain drops SZ_1G from pgsize_bitmap without it); SLLPS is
		 * the second stage's. */
		for (size_t f = 0; f < u->n_fields; f++)
			if (streq(u->fields[f].group, "cap") && streq(u->fields[f].name, "fl1gp"))
				fl1gp = u->fields[f].num;
		if (fl1gp)
			n = 3;
		if (cap_set_nums(u, IOMMUCAP_PAGE_SIZES, sizes, n, IOMMUCAP_SRC_REGISTER) < 0)
			return -ENOMEM;
	}
	return 0;
}
