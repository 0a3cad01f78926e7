/* Compatibility: a requirement against the host model, rule by rule, with reasons. No I/O. */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>

#include "compat.h"
#include "ksem.h"
#include "model.h"
#include "sysfs.h"

/* The rules, in the order checks are reported. Ids are stable; the man page lists them. */
static const struct iommucap_rule rules[] = {
	{ "target.unit", "the requested unit exists", "requirement unit = a unit's name",
	  "name a unit that `iommuctl show` lists, or drop \"unit\" to consider every unit" },
	{ "target.device", "the requested device exists and sits behind an IOMMU unit",
	  "requirement device = a PCI device with an iommu link",
	  "name a device that `iommuctl devices` lists with a UNIT; enable the IOMMU for it" },
	{ "pasid_table.version", "the PASID-table configuration's version is supported",
	  "pasid_table.version = 1", "use version 1 of pasid_table_config" },
	{ "pasid_table.bytes", "the PASID-table configuration's size matches its version",
	  "pasid_table.bytes = 32 for version 1", "set bytes to the size of the v1 structure, 32" },
	{ "pasid_table.model", "the unit walks PASID tables of the requested format",
	  "pasid_table.model in capabilities.pasid_table_formats",
	  "use the unit's own format (\"host\"), or a host whose IOMMU walks this format" },
	{ "pasid_table.alignment", "the PASID table's base pointer is aligned as the unit needs",
	  "pasid_table.base_ptr mod capabilities.pasid_table_align = 0",
	  "align the guest PASID table (SMMUv3: 64 bytes, VT-d and AMD-Vi: 4 KiB)" },
	{ "pasid_table.pasid_bits", "the guest PASID table is no wider than the host supports",
	  "pasid_table.pasid_bits <= effective PASID bits (unit, and the device's PCI PASID width)",
	  "lower pasid_bits (the guest's PASID width) to what the host offers" },
	{ "min.ssid_bits", "enough PASID (substream id) bits",
	  "min.ssid_bits <= capabilities.ssid_bits (with a device: the effective PASID width)",
	  "ask for fewer PASID bits, enable scalable mode (intel_iommu=sm_on), or use a device "
	  "with a wider PCI PASID capability" },
	{ "min.input_bits", "enough input address bits",
	  "min.input_bits <= capabilities.input_bits",
	  "lower the guest's address width (QEMU intel-iommu aw-bits)" },
	{ "min.output_bits", "enough output address bits",
	  "min.output_bits <= capabilities.output_bits",
	  "lower the guest's output size (QEMU arm-smmuv3 oas)" },
	{ "min.asid_bits", "enough address space id bits",
	  "min.asid_bits <= capabilities.asid_bits", "ask for fewer ASID bits" },
	{ "features.nesting", "nested translation as required",
	  "features.nesting = capabilities.nesting",
	  "use a host whose IOMMU nests (VT-d in scalable mode with NEST, AMD-Vi with GT, GIOSup "
	  "and GCR3TRPMODE), or a guest vIOMMU without first-stage translation" },
	{ "features.pri", "page requests as required", "features.pri = capabilities.pri",
	  "use a host whose IOMMU supports page requests, or do without I/O page faults" },
	{ "features.ats", "device TLBs as required",
	  "features.ats = capabilities.ats (and the device's ATS)",
	  "turn the guest's device-iotlb / ats off, or use a host and device with ATS" },
	{ "features.dirty_tracking", "hardware dirty tracking as required",
	  "features.dirty_tracking = capabilities.dirty_tracking",
	  "migrate without IOMMU dirty tracking, or use a host that has it" },
	{ "features.caching_mode", "caching mode as required",
	  "features.caching_mode = capabilities.caching_mode",
	  "drop the caching-mode requirement (it marks a virtual IOMMU)" },
	{ "features.btm", "broadcast TLB maintenance as required",
	  "features.btm = capabilities.btm", "drop the btm requirement or use an SMMU with BTM" },
	{ "features.scalable_mode", "VT-d scalable mode as required",
	  "features.scalable_mode = capabilities.scalable_mode",
	  "boot with intel_iommu=sm_on on hardware that has scalable mode" },
	{ "features.stall", "the stall model fits", "features.stall against capabilities.stall",
	  "use PRI instead of stalls, or an SMMU whose stall model fits" },
	{ "features.httu", "hardware access/dirty updates as required",
	  "features.httu <= capabilities.httu (none < access < access+dirty)",
	  "drop the httu requirement or use a host with hardware table updates" },
	{ "pgtable_formats", "the unit walks every requested page-table format",
	  "pgtable_formats subset of capabilities.pgtable_formats",
	  "use a page-table format the unit lists" },
	{ "page_sizes", "every requested page size is supported",
	  "page_sizes subset of capabilities.page_sizes",
	  "use page sizes the unit lists (intel_iommu=sp_off leaves 4 KiB only)" },
	{ "sva.capable", "the unit can share a process address space (SVA)",
	  "VT-d (intel_svm_check): PASID in scalable mode, FL1GP if the CPU has 1 GiB pages, FL5LP "
	  "if it has LA57; AMD-Vi (amd_iommu_pasid_supported): amd_iommu_gt_ppr_supported() of "
	  "this release, 5-level guest tables (GATS 1) with LA57, SEV-SNP off; others: PASID bits",
	  "use a host whose IOMMU first-level tables match the CPU's page sizes and paging "
	  "levels" },
	{ "host.iommufd", "the host has iommufd (/dev/iommu) for a VMM that opens it",
	  "iommufd implies host.dev_iommu",
	  "load the iommufd module (CONFIG_IOMMUFD), or run the VM without iommufd" },
	{ "sva.lam", "LAM and SVA in one process", "sva and lam both requested",
	  "call arch_prctl(ARCH_FORCE_TAGGED_SVA) before binding (Linux 6.4 and later)" },
	{ "host.uniform", "what the kernel does when VT-d units differ",
	  "Linux 5.13-6.13 (cap_audit.c): units differing in an audited feature print \"IOMMU "
	  "feature X inconsistent\"; up to 6.12 DMA domains use first-stage tables only if "
	  "every unit has scalable mode and FLTS, from 6.13 (ed56de8a9e90) as each unit has; "
	  "SVA, PRI and nesting stay per unit; 6.14 and later (c2206299401b) audit nothing",
	  "nothing to do: the kernel disables nothing; pick a unit with `--unit` if the "
	  "difference matters" },
	{ "qemu.intel-iommu.caching-mode", "caching mode for device assignment",
	  "qemu.caching_mode = on (vtd_dev_set_iommu_device(), QEMU 11.1)", "set caching-mode=on" },
	{ "qemu.intel-iommu.type", "the host IOMMU is VT-d (fsts=on)",
	  "unit model = intel-vtd when the guest uses first-stage translation",
	  "run the VM on an Intel host, or turn fsts off" },
	{ "qemu.intel-iommu.aw-bits", "QEMU's aw-bits fits the host",
	  "qemu.aw_bits <= capabilities.input_bits", "lower aw-bits" },
	{ "qemu.intel-iommu.fs1gp", "first-stage 1 GiB pages (fs1gp=on with fsts=on)",
	  "fields.cap.fl1gp = 1", "turn fs1gp off" },
	{ "qemu.intel-iommu.pasid", "QEMU's PASID width fits the host",
	  "with fsts and a device with PASIDs (vtd_check_hiod()): qemu.pasid <= fields.ecap.pss + "
	  "1; "
	  "otherwise QEMU does not check, and a pasid wider than the unit's (and the device's) "
	  "PASID width is a warning",
	  "lower pasid-bits" },
	{ "qemu.arm-smmuv3.accel", "accel=on for device assignment",
	  "qemu.accel = on (smmuv3_notify_flag_changed(), QEMU 11.1: the emulated SMMUv3 has no "
	  "MAP notifier for an assigned device)",
	  "set accel=on on a host whose SMMUv3 nests, or use virtio-iommu-pci" },
	{ "qemu.arm-smmuv3.type", "the host IOMMU is SMMUv3 (accel=on)", "unit model = arm-smmu-v3",
	  "run the VM on an SMMUv3 host, or turn accel off" },
	{ "qemu.arm-smmuv3.ssidsize", "QEMU's SSIDSIZE fits the host",
	  "qemu.ssidsize <= capabilities.ssid_bits", "lower ssidsize, or set it to auto" },
	{ "qemu.arm-smmuv3.oas", "QEMU's OAS fits the host", "qemu.oas <= capabilities.output_bits",
	  "lower oas" },
	{ "qemu.arm-smmuv3.ats", "ATS for ats=on", "qemu.ats implies capabilities.ats",
	  "turn ats off, or set it to auto" },
	{ "qemu.arm-smmuv3.ril", "range invalidation for ril=on", "qemu.ril implies host IDR3.RIL",
	  "turn ril off, or set it to auto" },
	{ "qemu.arm-smmuv3.sidsize", "QEMU's SIDSIZE fits the host",
	  "qemu.sidsize (16) <= fields.idr1.sidsize", "lower sidsize" },
	{ "qemu.arm-smmuv3.stlevel", "the host's stream table format is the vSMMU's (accel=on)",
	  "fields.idr0.st_level = 1 (2-level)", "run the VM on a host with 2-level stream tables" },
	{ "qemu.arm-smmuv3.ttendian", "little-endian tables (accel=on)",
	  "fields.idr0.ttendian <= 2", "run the VM on a host with little-endian table walks" },
	{ "qemu.arm-smmuv3.ttf", "AArch64 tables (accel=on)", "fields.idr0.ttf >= 2",
	  "run the VM on a host whose SMMUv3 walks AArch64 tables" },
	{ "qemu.arm-smmuv3.granule", "the host's 4K, 16K and 64K granules are the vSMMU's",
	  "fields.idr5.gran4k/gran16k/gran64k = 1",
	  "run the VM on a host with all three granules" },
	{ "qemu.intel-iommu.iommufd", "iommufd for first-stage translation (fsts=on)",
	  "host.dev_iommu", "enable CONFIG_IOMMUFD in the host kernel, or turn fsts off" },
	{ "qemu.intel-iommu.pci-bridge",
	  "the assigned device is not downstream of a PCI bridge in the guest (fsts=on)",
	  "qemu.pci_bridge = false with fsts (vtd_check_hiod_accel(), QEMU 11.1: the guest's "
	  "topology, where a conventional PCI bus aliases the device's requester ID; the host's "
	  "plays no part)",
	  "put the device on a PCIe root or switch port in the guest, not behind pci-bridge or "
	  "pcie-pci-bridge, or turn fsts off" },
	{ "qemu.intel-iommu.scalable-mode",
	  "scalable mode on the host for scalable-mode=on (a warning: QEMU emulates it unasked)",
	  "qemu.scalable_mode implies capabilities.scalable_mode (without fsts)",
	  "boot the host with intel_iommu=sm_on on hardware with scalable mode, or turn "
	  "scalable-mode off" },
	{ "qemu.intel-iommu.device-iotlb",
	  "device TLBs on the host for device-iotlb=on (a warning: QEMU does not check)",
	  "qemu.device_iotlb implies capabilities.ats and the device's ATS",
	  "turn device-iotlb off, or use a host and device with ATS" },
	{ "qemu.intel-iommu.svm",
	  "page requests on the host for svm=on (a warning: QEMU does not check)",
	  "qemu.svm implies capabilities.pri and the device's PRI",
	  "turn svm off, or use a host and device with page requests" },
	{ "qemu.amd-iommu.device-iotlb",
	  "device TLBs on the host for device-iotlb=on (a warning: QEMU does not check)",
	  "qemu.device_iotlb implies capabilities.ats and the device's ATS",
	  "turn device-iotlb off, or use a host and device with ATS" },
	{ "qemu.virtio-iommu.aw-bits",
	  "the host's input bits for aw-bits (a warning: QEMU does not check)",
	  "qemu.aw_bits <= capabilities.input_bits (virtio-iommu-pci)",
	  "lower aw-bits to the host's input bits; above them the guest gets only reserved "
	  "regions" },
	{ "qemu.virtio-iommu.granule", "the host maps a page size the granule allows",
	  "capabilities.page_sizes & -(granule) != 0", "use a smaller granule, or granule=host" },
};

const struct iommucap_rule *iommucap_rules(size_t *ret_n)
{
	*ret_n = ELEMENTSOF(rules);
	return rules;
}

static const struct iommucap_rule *rule(const char *id)
{
	for (size_t i = 0; i < ELEMENTSOF(rules); i++)
		if (streq(rules[i].id, id))
			return &rules[i];
	abort(); /* every id used below is in the table */
}

const char *iommucap_result_name(enum iommucap_result r)
{
	static const char *const names[_IOMMUCAP_RESULT_MAX] = { "pass", "fail", "warn", "unknown",
								 "not-applicable" };

	return (unsigned)r < _IOMMUCAP_RESULT_MAX ? names[r] : "unknown";
}

const char *iommucap_verdict_name(enum iommucap_verdict v)
{
	return v == IOMMUCAP_COMPATIBLE	    ? "compatible"
	       : v == IOMMUCAP_INCOMPATIBLE ? "incompatible"
					    : "indeterminate";
}

struct eval {
	const struct iommucap_host *h;
	const struct iommucap_requirement *req;
	struct iommucap_compat *out;
	const struct iommucap_unit *u;
	const struct iommucap_device *dev;
	int err;
	/* per unit: */
	bool failed, unknown;
};

_printf_(7, 8) static void add(struct eval *e, const char *id, const char *field, json_t *required,
			       json_t *available, enum iommucap_result result, const char *fmt, ...)
{
	struct iommucap_check *n, *c;
	va_list ap;

	if (e->err) {
		json_decref(required);
		json_decref(available);
		return;
	}
	n = realloc(e->out->checks, (e->out->n_checks + 1) * sizeof(*n));
	if (!n) {
		e->err = -ENOMEM;
		json_decref(required);
		json_decref(available);
		return;
	}
	e->out->checks = n;
	c = &n[e->out->n_checks++];
	*c = (struct iommucap_check){ .rule = rule(id),
				      .field = field,
				      .required = required,
				      .available = available,
				      .result = result };
	if (e->u)
		c->unit = strdup(e->u->name);
	va_start(ap, fmt);
	if (vasprintf(&c->message, fmt, ap) < 0)
		c->message = NULL;
	va_end(ap);
	if (!c->message || (e->u && !c->unit))
		e->err = -ENOMEM;
	if (result == IOMMUCAP_FAIL)
		e->failed = true;
	if (result == IOMMUCAP_UNKNOWN)
		e->unknown = true;
}

/* ---- small helpers on the model ---------------------------------------------------------- */

static const struct iommucap_capval *capv(const struct eval *e, enum iommucap_cap c)
{
	return &e->u->caps[c];
}

static bool known(const struct eval *e, enum iommucap_cap c)
{
	return capv(e, c)->source != IOMMUCAP_SRC_UNKNOWN;
}

static const char *why(const struct eval *e, enum iommucap_cap c)
{
	return capv(e, c)->reason ? capv(e, c)->reason : "not known";
}

static json_t *avail(const struct eval *e, enum iommucap_cap c)
{
	return iommucap_capval_to_json(e->u, c);
}

static bool list_has_str(const struct iommucap_capval *v, const char *s)
{
	for (size_t i = 0; i < v->list.n; i++)
		if (streq(v->list.strs[i], s))
			return true;
	return false;
}

static bool list_has_num(const struct iommucap_capval *v, uint64_t n)
{
	for (size_t i = 0; i < v->list.n; i++)
		if (v->list.nums[i] == n)
			return true;
	return false;
}

/* A minimum against a number the host offers; unknown is never a failure. */
__attribute__((format(printf, 8, 0))) static void
at_least(struct eval *e, const char *id, const char *field_name, int64_t want, bool have_known,
	 int64_t have, const char *unknown_why, const char *fail_fmt)
{
	if (!have_known) {
		add(e, id, field_name, json_integer(want), json_null(), IOMMUCAP_UNKNOWN, "%s: %s",
		    field_name, unknown_why);
		return;
	}
	if (have >= want)
		add(e, id, field_name, json_integer(want), json_integer(have), IOMMUCAP_PASS,
		    "%" PRId64 " bits needed, %" PRId64 " available", want, have);
	else {
		/* fail_fmt is one of the literal formats above, each taking (want, have). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		add(e, id, field_name, json_integer(want), json_integer(have), IOMMUCAP_FAIL,
		    fail_fmt, want, have);
#pragma GCC diagnostic pop
	}
}

/* The PASID width that counts: the unit's, or with a device the smaller of both. */
static void effective_ssid(const struct eval *e, bool *ret_known, int64_t *ret,
			   const char **why_not)
{
	if (e->dev) {
		*ret_known = e->dev->effective_pasid_bits.known;
		*ret = e->dev->effective_pasid_bits.value;
		*why_not = e->dev->effective_pasid_bits.reason
				   ?: "the device's PASID width is unknown";
		return;
	}
	*ret_known = known(e, IOMMUCAP_SSID_BITS);
	*ret = capv(e, IOMMUCAP_SSID_BITS)->num;
	*why_not = why(e, IOMMUCAP_SSID_BITS);
}

/* ---- the rules --------------------------------------------------------------------------- */

static void eval_pasid_table(struct eval *e)
{
	const struct iommucap_requirement *r = e->req;
	const struct iommucap_capval *fmts = capv(e, IOMMUCAP_PASID_TABLE_FORMATS);
	const struct iommucap_capval *align = capv(e, IOMMUCAP_PASID_TABLE_ALIGN);
	const char *model = r->pasid_table.model;
	bool k;
	int64_t ssid;
	const char *w;

	if (!r->has_pasid_table)
		return;
	if (r->pasid_table.version.set) {
		int64_t v = r->pasid_table.version.value;

		add(e, "pasid_table.version", "pasid_table.version", json_integer(v),
		    json_integer(1), v == 1 ? IOMMUCAP_PASS : IOMMUCAP_FAIL,
		    v == 1 ? "version 1"
			   : "pasid_table_config version %" PRId64 " is not supported",
		    v);
	}
	if (r->pasid_table.bytes.set) {
		int64_t b = r->pasid_table.bytes.value;
		bool v1 = !r->pasid_table.version.set || r->pasid_table.version.value == 1;

		if (!v1)
			add(e, "pasid_table.bytes", "pasid_table.bytes", json_integer(b), NULL,
			    IOMMUCAP_NOT_APPLICABLE, "no size is known for this version");
		else
			add(e, "pasid_table.bytes", "pasid_table.bytes", json_integer(b),
			    json_integer(32), b == 32 ? IOMMUCAP_PASS : IOMMUCAP_FAIL,
			    b == 32 ? "32 bytes, as version 1"
				    : "%" PRId64 " bytes does not match version 1 (32 bytes)",
			    b);
	}
	if (model) {
		if (fmts->source == IOMMUCAP_SRC_UNKNOWN)
			add(e, "pasid_table.model", "capabilities.pasid_table_formats",
			    json_string(model), json_null(), IOMMUCAP_UNKNOWN,
			    "PASID-table formats: %s", why(e, IOMMUCAP_PASID_TABLE_FORMATS));
		else if (streq(model, "host") ? fmts->list.n > 0 : list_has_str(fmts, model))
			add(e, "pasid_table.model", "capabilities.pasid_table_formats",
			    json_string(model), avail(e, IOMMUCAP_PASID_TABLE_FORMATS),
			    IOMMUCAP_PASS, "the unit walks %s PASID tables", model);
		else if (streq(model, "arm-2lvl") && e->u->model == IOMMUCAP_MODEL_ARM_SMMU_V3 &&
			 list_has_str(fmts, "arm-1lvl"))
			/* No kernel interface says whether 2-level CD tables are there. */
			add(e, "pasid_table.model", "capabilities.pasid_table_formats",
			    json_string(model), avail(e, IOMMUCAP_PASID_TABLE_FORMATS),
			    IOMMUCAP_UNKNOWN,
			    "whether the SMMU has 2-level context-descriptor tables (IDR0.CD2L) is "
			    "not "
			    "reported");
		else
			add(e, "pasid_table.model", "capabilities.pasid_table_formats",
			    json_string(model), avail(e, IOMMUCAP_PASID_TABLE_FORMATS),
			    IOMMUCAP_FAIL,
			    fmts->list.n ? "the unit walks %s PASID tables, not %s"
					 : "%s%sthe unit walks no PASID table (no PASID support)",
			    fmts->list.n ? fmts->list.strs[0] : "", fmts->list.n ? model : "");
	}
	if (r->pasid_table.has_base_ptr) {
		char req[32];

		snprintf(req, sizeof(req), "0x%" PRIx64, r->pasid_table.base_ptr);
		if (align->source == IOMMUCAP_SRC_UNKNOWN || align->num <= 0)
			add(e, "pasid_table.alignment", "capabilities.pasid_table_align",
			    json_string(req), json_null(), IOMMUCAP_UNKNOWN, "alignment: %s",
			    why(e, IOMMUCAP_PASID_TABLE_ALIGN));
		else if (r->pasid_table.base_ptr % (uint64_t)align->num == 0)
			add(e, "pasid_table.alignment", "capabilities.pasid_table_align",
			    json_string(req), json_integer(align->num), IOMMUCAP_PASS,
			    "%s is %" PRId64 "-byte aligned", req, align->num);
		else
			add(e, "pasid_table.alignment", "capabilities.pasid_table_align",
			    json_string(req), json_integer(align->num), IOMMUCAP_FAIL,
			    "base_ptr %s is not aligned to %" PRId64 " bytes", req, align->num);
	}
	if (r->pasid_table.pasid_bits.set) {
		effective_ssid(e, &k, &ssid, &w);
		at_least(e, "pasid_table.pasid_bits",
			 e->dev ? "devices.effective_pasid_bits" : "capabilities.ssid_bits",
			 r->pasid_table.pasid_bits.value, k, ssid, w,
			 "pasid_bits %" PRId64 " exceeds the host's %" PRId64 " PASID bits");
	}
}

static void eval_min(struct eval *e)
{
	for (int m = 0; m < _IOMMUCAP_MIN_MAX; m++) {
		const struct iommucap_opt_int *want = &e->req->min[m];
		enum iommucap_cap c = iommucap_req_min_cap((enum iommucap_req_min)m);
		bool k = known(e, c);
		int64_t have = capv(e, c)->num;
		const char *w = why(e, c);

		if (!want->set)
			continue;
		if (m == IOMMUCAP_MIN_SSID_BITS && e->dev)
			effective_ssid(e, &k, &have, &w);
		at_least(e, iommucap_cap_info(c)->req_path,
			 m == IOMMUCAP_MIN_SSID_BITS && e->dev ? "devices.effective_pasid_bits"
							       : iommucap_cap_info(c)->name,
			 want->value, k, have, w,
			 m == IOMMUCAP_MIN_SSID_BITS
				 ? "%" PRId64 " PASID bits needed, %" PRId64 " available"
				 : "%" PRId64 " bits needed, only %" PRId64 " available");
	}
}

/* The device's own PCI capability, when a device is the target: unknown, absent or present. */
static int device_cap(const struct eval *e, enum iommucap_req_feature f, const char **ret_why)
{
	const struct iommucap_tri *t = NULL;

	if (!e->dev)
		return 1;
	if (f == IOMMUCAP_FEAT_ATS)
		t = &e->dev->ats;
	else if (f == IOMMUCAP_FEAT_PRI)
		t = &e->dev->pri;
	if (!t)
		return 1;
	if (!t->known) {
		*ret_why = t->reason ?: e->dev->config_reason ?: "not known";
		return -1;
	}
	return t->value ? 1 : 0;
}

static void eval_features(struct eval *e)
{
	const struct iommucap_requirement *r = e->req;

	for (int f = 0; f < _IOMMUCAP_FEAT_MAX; f++) {
		enum iommucap_cap c = iommucap_req_feature_cap((enum iommucap_req_feature)f);
		const char *id = iommucap_cap_info(c)->req_path;
		const char *name = iommucap_cap_info(c)->name;
		bool want = r->features[f] == IOMMUCAP_WANT_TRUE;
		const char *dwhy = NULL;
		int dc;

		if (r->features[f] == IOMMUCAP_WANT_ANY)
			continue;
		/* With a device, ATS and PRI need its PCI capability: its absence decides alone. */
		dc = want ? device_cap(e, (enum iommucap_req_feature)f, &dwhy) : 1;
		/* VT-d's pri_supported needs info->ats_supported: the device's ATS too. */
		if (dc == 1 && want && f == IOMMUCAP_FEAT_PRI &&
		    e->u->model == IOMMUCAP_MODEL_INTEL_VTD) {
			int ac = device_cap(e, IOMMUCAP_FEAT_ATS, &dwhy);

			if (ac == 0) {
				add(e, id, "devices.ats", json_true(), json_false(), IOMMUCAP_FAIL,
				    "device %s has no PCI ATS capability, which VT-d page requests "
				    "need",
				    e->dev->address);
				continue;
			}
			dc = ac;
		}
		if (dc == 0) {
			add(e, id, "devices.ats/pri", json_boolean(want), json_false(),
			    IOMMUCAP_FAIL, "device %s has no PCI %s capability", e->dev->address,
			    f == IOMMUCAP_FEAT_ATS ? "ATS" : "PRI");
			continue;
		}
		if (!known(e, c)) {
			add(e, id, name, json_boolean(want), json_null(), IOMMUCAP_UNKNOWN,
			    "%s: %s", name, why(e, c));
			continue;
		}
		if (!!capv(e, c)->num != want) {
			add(e, id, name, json_boolean(want), avail(e, c), IOMMUCAP_FAIL,
			    "%s is %s on this unit, %s required", name, want ? "absent" : "present",
			    want ? "it is" : "its absence is");
			continue;
		}
		if (dc < 0)
			add(e, id, "devices.ats/pri", json_boolean(want), json_null(),
			    IOMMUCAP_UNKNOWN, "the unit has %s; the device's: %s", name, dwhy);
		else
			add(e, id, name, json_boolean(want), avail(e, c), IOMMUCAP_PASS, "%s %s",
			    name, want ? "present" : "absent");
	}
}

/* One list, stall or httu rule: its id, the field it compares, and the host's value. */
#define RULE_OF(c) iommucap_cap_info(c)->req_path, iommucap_cap_info(c)->name

static void eval_stall_httu(struct eval *e)
{
	const struct iommucap_requirement *r = e->req;

	if (r->has_stall) {
		const struct iommucap_capval *v = capv(e, IOMMUCAP_STALL);
		const char *stall = iommucap_stall_names[r->stall];
		int want = (int)r->stall, have;
		bool ok;

		if (!known(e, IOMMUCAP_STALL))
			add(e, RULE_OF(IOMMUCAP_STALL), json_string(stall), json_null(),
			    IOMMUCAP_UNKNOWN, "stall: %s", why(e, IOMMUCAP_STALL));
		else {
			have = (int)v->num;
			/* enabled: stalls possible; force: every fault stalls; disabled: none
			 * forced. */
			if (want == IOMMUCAP_STALL_ENABLED)
				ok = have != IOMMUCAP_STALL_DISABLED;
			else if (want == IOMMUCAP_STALL_FORCE)
				ok = have == IOMMUCAP_STALL_FORCE;
			else
				ok = have != IOMMUCAP_STALL_FORCE;
			add(e, RULE_OF(IOMMUCAP_STALL), json_string(stall),
			    avail(e, IOMMUCAP_STALL), ok ? IOMMUCAP_PASS : IOMMUCAP_FAIL,
			    "stall %s required, the unit's is %s", stall,
			    iommucap_stall_names[v->num]);
		}
	}
	if (r->has_httu) {
		const struct iommucap_capval *v = capv(e, IOMMUCAP_HTTU);
		const char *httu = iommucap_httu_names[r->httu];

		if (!known(e, IOMMUCAP_HTTU))
			add(e, RULE_OF(IOMMUCAP_HTTU), json_string(httu), json_null(),
			    IOMMUCAP_UNKNOWN, "httu: %s", why(e, IOMMUCAP_HTTU));
		else
			add(e, RULE_OF(IOMMUCAP_HTTU), json_string(httu), avail(e, IOMMUCAP_HTTU),
			    v->num >= (int64_t)r->httu ? IOMMUCAP_PASS : IOMMUCAP_FAIL,
			    "httu %s required, the unit offers %s", httu,
			    iommucap_httu_names[v->num]);
	}
}

static void eval_lists(struct eval *e)
{
	const struct iommucap_requirement *r = e->req;
	const struct iommucap_capval *f = capv(e, IOMMUCAP_PGTABLE_FORMATS);
	const struct iommucap_capval *p = capv(e, IOMMUCAP_PAGE_SIZES);

	for (size_t i = 0; r->has_pgtable_formats && i < r->n_pgtable_formats; i++) {
		const char *want = r->pgtable_formats[i];

		if (!known(e, IOMMUCAP_PGTABLE_FORMATS))
			add(e, RULE_OF(IOMMUCAP_PGTABLE_FORMATS), json_string(want), json_null(),
			    IOMMUCAP_UNKNOWN, "page-table formats: %s",
			    why(e, IOMMUCAP_PGTABLE_FORMATS));
		else
			add(e, RULE_OF(IOMMUCAP_PGTABLE_FORMATS), json_string(want),
			    avail(e, IOMMUCAP_PGTABLE_FORMATS),
			    list_has_str(f, want) ? IOMMUCAP_PASS : IOMMUCAP_FAIL,
			    list_has_str(f, want) ? "%s is walked" : "the unit does not walk %s",
			    want);
	}
	for (size_t i = 0; r->has_page_sizes && i < r->n_page_sizes; i++) {
		uint64_t want = r->page_sizes[i];

		if (!known(e, IOMMUCAP_PAGE_SIZES))
			add(e, RULE_OF(IOMMUCAP_PAGE_SIZES), json_integer((json_int_t)want),
			    json_null(), IOMMUCAP_UNKNOWN, "page sizes: %s",
			    why(e, IOMMUCAP_PAGE_SIZES));
		else
			add(e, RULE_OF(IOMMUCAP_PAGE_SIZES), json_integer((json_int_t)want),
			    avail(e, IOMMUCAP_PAGE_SIZES),
			    list_has_num(p, want) ? IOMMUCAP_PASS : IOMMUCAP_FAIL,
			    list_has_num(p, want) ? "%" PRIu64 "-byte pages supported"
						  : "%" PRIu64 "-byte pages are not supported",
			    want);
	}
}

/* SVA as the kernel decides it (intel_svm_check, amd_iommu_pasid_supported,
 * arm_smmu_sva_supported): the unit's sva fact, which the decoders set (iommucap_host_pass);
 * an unknown one with their reason. */
static void eval_sva(struct eval *e)
{
	bool sva = capv(e, IOMMUCAP_SVA)->num;

	if (e->req->sva != IOMMUCAP_WANT_TRUE)
		return;
	add(e, "sva.capable", iommucap_cap_info(IOMMUCAP_SVA)->name, json_true(),
	    avail(e, IOMMUCAP_SVA),
	    !known(e, IOMMUCAP_SVA) ? IOMMUCAP_UNKNOWN
	    : sva		    ? IOMMUCAP_PASS
				    : IOMMUCAP_FAIL,
	    "%s",
	    !known(e, IOMMUCAP_SVA) ? why(e, IOMMUCAP_SVA)
	    : sva		    ? "this kernel allows SVA on the unit (capabilities.sva)"
		  : "this kernel does not allow SVA on the unit (capabilities.sva)");
}

/*
 * virtio-iommu narrows its page-size mask with the assigned device's host IOMMU:
 * check_page_size_mask() in hw/virtio/virtio-iommu.c (QEMU 9.1 on). The mask starts as the
 * granule's, -(granule) (granule=host: the host's page size, not known here); the host's is the
 * page sizes its IOMMU maps, and the two must share a size.
 */
static void eval_virtio_granule(struct eval *e)
{
	const struct iommucap_vmm *q = &e->req->vmm;
	const struct iommucap_capval *p = capv(e, IOMMUCAP_PAGE_SIZES);
	uint64_t g, host = 0, cur;

	if (!q->granule || streq(q->granule, "host"))
		return;
	g = streq(q->granule, "64k")   ? 65536
	    : streq(q->granule, "16k") ? 16384
	    : streq(q->granule, "8k")  ? 8192
				       : 4096;
	cur = ~(g - 1);
	if (!known(e, IOMMUCAP_PAGE_SIZES)) {
		add(e, "qemu.virtio-iommu.granule", "page_sizes", json_string(q->granule),
		    json_null(), IOMMUCAP_UNKNOWN, "page sizes: %s", why(e, IOMMUCAP_PAGE_SIZES));
		return;
	}
	for (size_t i = 0; i < p->list.n; i++)
		host |= p->list.nums[i];
	add(e, "qemu.virtio-iommu.granule", "page_sizes", json_string(q->granule),
	    avail(e, IOMMUCAP_PAGE_SIZES), host & cur ? IOMMUCAP_PASS : IOMMUCAP_FAIL,
	    host & cur ? "virtio-iommu reports a page size mask 0x%" PRIx64
			 " compatible with currently supported mask 0x%" PRIx64
		       : "virtio-iommu reports a page size mask 0x%" PRIx64
			 " incompatible with currently supported mask 0x%" PRIx64,
	    host, cur);
}

/*
 * A guest feature QEMU 11.1 emulates without asking the host (intel-iommu's scalable-mode,
 * device-iotlb and svm, amd-iommu's device-iotlb: vtd_check_hiod() compares aw-bits and, under
 * fsts, the first-stage facts only; amd-iommu compares nothing). QEMU takes the option either
 * way, so the host's fact is a warning when absent (the assigned device does not get the
 * feature), a pass when present, and nothing when unknown.
 */
static void guest_feature(struct eval *e, const char *id, const char *opt,
			  enum iommucap_req_feature f)
{
	enum iommucap_cap c = iommucap_req_feature_cap(f);
	const char *name = iommucap_cap_info(c)->name, *dwhy = NULL;
	int dc = device_cap(e, f, &dwhy);

	if (dc == 0)
		add(e, id, "devices.ats/pri", json_true(), json_false(), IOMMUCAP_WARN,
		    "QEMU does not check the host for %s; device %s has no PCI %s capability", opt,
		    e->dev->address, f == IOMMUCAP_FEAT_ATS ? "ATS" : "PRI");
	else if (!known(e, c))
		return;
	else if (!capv(e, c)->num)
		add(e, id, name, json_true(), avail(e, c), IOMMUCAP_WARN,
		    "QEMU does not check the host for %s; %s is absent on this unit", opt, name);
	else
		add(e, id, name, json_true(), avail(e, c), IOMMUCAP_PASS, "%s present", name);
}

/* The facts the unit's decoder reads from its registers; -1 where it has none. */
static void vendor_facts(const struct iommucap_unit *u, struct iommucap_vendor_facts *ret)
{
	*ret = (struct iommucap_vendor_facts){ -1, -1, -1, -1, -1, -1, -1, -1, { -1, -1, -1 } };
	if (u->model == IOMMUCAP_MODEL_INTEL_VTD)
		vtd_vendor_facts(u, ret);
	else if (u->model == IOMMUCAP_MODEL_ARM_SMMU_V3)
		smmuv3_vendor_facts(u, ret);
}

static void eval_qemu(struct eval *e)
{
	const struct iommucap_vmm *q = &e->req->vmm;
	const struct iommucap_unit *u = e->u;
	struct iommucap_vendor_facts fx;
	int64_t v;

	vendor_facts(u, &fx);

	if (q->kind == IOMMUCAP_VMM_QEMU_AMD_IOMMU) {
		if (q->device_iotlb == IOMMUCAP_WANT_TRUE)
			guest_feature(e, "qemu.amd-iommu.device-iotlb", "device-iotlb=on",
				      IOMMUCAP_FEAT_ATS);
		return;
	}
	if (q->kind == IOMMUCAP_VMM_QEMU_INTEL_IOMMU) {
		bool flts = q->flts == IOMMUCAP_WANT_TRUE;

		/* With fsts, nesting (and so scalable mode) is a host need: features.*. */
		if (q->scalable_mode == IOMMUCAP_WANT_TRUE && !flts)
			guest_feature(e, "qemu.intel-iommu.scalable-mode", "scalable-mode=on",
				      IOMMUCAP_FEAT_SCALABLE_MODE);
		if (q->device_iotlb == IOMMUCAP_WANT_TRUE)
			guest_feature(e, "qemu.intel-iommu.device-iotlb", "device-iotlb=on",
				      IOMMUCAP_FEAT_ATS);
		if (q->svm == IOMMUCAP_WANT_TRUE)
			guest_feature(e, "qemu.intel-iommu.svm", "svm=on", IOMMUCAP_FEAT_PRI);

		/* vtd_dev_set_iommu_device() (hw/i386/intel_iommu.c, QEMU 11.1: the 11.1.3 binary
		 * has the message, Message-ID 20250929034206.439266-3-zhenzhong.duan@intel.com;
		 * before it a machine-init-done notifier exited with "We need to set
		 * caching-mode=on ...") refuses every assigned device before any host check. A
		 * configuration rule, not a host property, but what `check --qemu` is about: QEMU
		 * checks the host only for an assigned device. */
		if (q->caching_mode != IOMMUCAP_WANT_ANY)
			add(e, "qemu.intel-iommu.caching-mode", "qemu.caching_mode", json_true(),
			    json_boolean(q->caching_mode == IOMMUCAP_WANT_TRUE),
			    q->caching_mode == IOMMUCAP_WANT_TRUE ? IOMMUCAP_PASS : IOMMUCAP_FAIL,
			    q->caching_mode == IOMMUCAP_WANT_TRUE
				    ? "caching-mode=on"
				    : "Device assignment is not allowed without enabling "
				      "caching-mode=on "
				      "for Intel IOMMU.");

		if (flts)
			add(e, "qemu.intel-iommu.type", "model", json_string("intel-vtd"),
			    json_string(iommucap_model_name(u->model)),
			    u->model == IOMMUCAP_MODEL_INTEL_VTD ? IOMMUCAP_PASS : IOMMUCAP_FAIL,
			    u->model == IOMMUCAP_MODEL_INTEL_VTD
				    ? "a VT-d host"
				    : "Incompatible host platform IOMMU type %d",
			    u->model_id);
		/* vtd_check_hiod_accel() (hw/i386/intel_iommu_accel.c, QEMU 11.1): first stage
		 * needs the device on the iommufd backend, so the host needs /dev/iommu. */
		if (flts)
			add(e, "qemu.intel-iommu.iommufd", "host.dev_iommu", json_true(),
			    json_boolean(e->h->info.dev_iommu),
			    e->h->info.dev_iommu ? IOMMUCAP_PASS : IOMMUCAP_FAIL,
			    e->h->info.dev_iommu ? "/dev/iommu present"
						 : "Need IOMMUFD backend when fsts=on");
		if (q->aw_bits.set)
			at_least(e, "qemu.intel-iommu.aw-bits", "input_bits", q->aw_bits.value,
				 known(e, IOMMUCAP_INPUT_BITS), capv(e, IOMMUCAP_INPUT_BITS)->num,
				 why(e, IOMMUCAP_INPUT_BITS),
				 "aw-bits %" PRId64 " > host aw-bits %" PRId64);
		if (flts && q->fs1gp == IOMMUCAP_WANT_TRUE) {
			if (u->model != IOMMUCAP_MODEL_INTEL_VTD || (v = fx.fs1gp) < 0)
				add(e, "qemu.intel-iommu.fs1gp", "fields.cap.fl1gp", json_true(),
				    json_null(),
				    u->model == IOMMUCAP_MODEL_INTEL_VTD ? IOMMUCAP_UNKNOWN
									 : IOMMUCAP_NOT_APPLICABLE,
				    "cap.fl1gp is not known");
			else
				add(e, "qemu.intel-iommu.fs1gp", "fields.cap.fl1gp", json_true(),
				    json_boolean(v), v ? IOMMUCAP_PASS : IOMMUCAP_FAIL,
				    v ? "first-stage 1 GiB pages present"
				      : "First stage 1GB large page is unsupported by host IOMMU");
		}
		/* vtd_check_hiod() (QEMU 10.1+; QEMU 11.1's fsts): only with fsts, and "Only do the
		 * check when host device support PASIDs". Elsewhere QEMU accepts any pasid-bits its
		 * vtd_decide_config() allows, and the guest sees PASIDs the host may not back for
		 * this device: a warning, not a refusal (the nested judge: QEMU 11.1 realises
		 * scalable-mode=on,pasid-bits=1 for a device without a PASID capability). */
		if (q->pasid.set && q->pasid.value > 0) {
			bool checked =
				flts && (!e->dev || !e->dev->pasid.known || e->dev->pasid.value);
			bool k;
			int64_t have;
			const char *w;

			if (!checked) {
				effective_ssid(e, &k, &have, &w);
				if (k)
					add(e, "qemu.intel-iommu.pasid",
					    e->dev ? "devices.effective_pasid_bits" : "ssid_bits",
					    json_integer(q->pasid.value), json_integer(have),
					    have < q->pasid.value ? IOMMUCAP_WARN : IOMMUCAP_PASS,
					    "QEMU does not compare pasid-bits with the host %s; "
					    "the guest "
					    "gets %" PRId64 " PASID bits, the host backs %" PRId64
					    "%s",
					    flts ? "for a device without a PASID capability"
						 : "without fsts",
					    q->pasid.value, have, e->dev ? " for this device" : "");
			} else if (u->model != IOMMUCAP_MODEL_INTEL_VTD)
				add(e, "qemu.intel-iommu.pasid", "fields.ecap.pss",
				    json_integer(q->pasid.value), NULL, IOMMUCAP_NOT_APPLICABLE,
				    "not a VT-d unit");
			else if ((v = fx.pasid_bits) < 0)
				add(e, "qemu.intel-iommu.pasid", "fields.ecap.pss",
				    json_integer(q->pasid.value), json_null(), IOMMUCAP_UNKNOWN,
				    "ecap is not known");
			else
				at_least(e, "qemu.intel-iommu.pasid", "fields.ecap.pss",
					 q->pasid.value, true, v, NULL,
					 "PASID bits size %" PRId64
					 " > host IOMMU PASID bits size %" PRId64);
		}
		/* vtd_check_hiod_accel() (hw/i386/intel_iommu_accel.c; the QEMU 11.1.3 binary has
		 * the message, after the PASID-bits one): under fsts, an assigned device whose
		 * requester ID the guest's PCI topology aliases (pci_device_get_iommu_bus_devfn()
		 * returns true: a conventional PCI bus between it and the vIOMMU's root bus) is
		 * refused. The bus and devfn are the guest's, where the VM places the vfio-pci
		 * device, not the host device's place in sysfs: only the requirement can say it. */
		if (flts && q->pci_bridge != IOMMUCAP_WANT_ANY)
			add(e, "qemu.intel-iommu.pci-bridge", "qemu.pci_bridge", json_false(),
			    json_boolean(q->pci_bridge == IOMMUCAP_WANT_TRUE),
			    q->pci_bridge == IOMMUCAP_WANT_TRUE ? IOMMUCAP_FAIL : IOMMUCAP_PASS,
			    q->pci_bridge == IOMMUCAP_WANT_TRUE
				    ? "Host device downstream to a PCI bridge is unsupported when "
				      "fsts=on"
				    : "the device is not downstream of a PCI bridge in the guest");
		return;
	}
	if (q->kind == IOMMUCAP_VMM_QEMU_VIRTIO_IOMMU) {
		/* virtio_iommu_set_host_iova_ranges() (hw/virtio/virtio-iommu.c, QEMU 9.0 on) turns
		 * the assigned device's usable IOVA ranges into reserved regions of the guest;
		 * aw-bits is not compared with them (the nested judge: QEMU 11.1 realises
		 * aw-bits=64 behind an SMMUv3 with 48 input bits). A warning, as for intel-iommu's
		 * pasid-bits. */
		if (q->aw_bits.set && known(e, IOMMUCAP_INPUT_BITS)) {
			v = capv(e, IOMMUCAP_INPUT_BITS)->num;
			add(e, "qemu.virtio-iommu.aw-bits", "input_bits",
			    json_integer(q->aw_bits.value), avail(e, IOMMUCAP_INPUT_BITS),
			    v < q->aw_bits.value ? IOMMUCAP_WARN : IOMMUCAP_PASS,
			    v < q->aw_bits.value
				    ? "QEMU does not compare aw-bits %" PRId64
				      " with the host; the guest can map only the host's %" PRId64
				      " input bits (the rest are reserved regions)"
				    : "aw-bits %" PRId64 " within the host's %" PRId64
				      " input bits",
			    q->aw_bits.value, v);
		}
		eval_virtio_granule(e);
		return;
	}
	if (q->kind != IOMMUCAP_VMM_QEMU_ARM_SMMUV3)
		return;
	/* smmuv3_notify_flag_changed() (hw/arm/smmuv3.c, QEMU 11.1): the emulated SMMUv3 (accel
	 * off, QEMU's default) refuses the MAP notifier VFIO registers for every assigned device,
	 * with either backend ("memory listener initialization failed: Region
	 * smmuv3-iommu-memory-region-...: device 00.01.0 requires iommu MAP notifier which is not
	 * currently supported"; the nested judge, tests/vm/README.md). Like intel-iommu's
	 * caching-mode, a configuration rule, not a host property, but what `check --qemu` is
	 * about. */
	if (q->accel != IOMMUCAP_WANT_TRUE) {
		add(e, "qemu.arm-smmuv3.accel", "qemu.accel", json_true(), json_false(),
		    IOMMUCAP_FAIL,
		    "an assigned device requires iommu MAP notifier which is not currently "
		    "supported (arm-smmuv3 without accel=on)");
		return;
	}
	/* The accelerated vSMMU checks the host SMMUv3's ID registers:
	 * smmuv3_accel_check_hw_compatible() in hw/arm/smmuv3-accel.c (QEMU 11.1), in its order
	 * and with its messages, against the vSMMU's own registers (smmuv3_init_id_regs():
	 * STLEVEL 1, TTENDIAN 2, TTF 2, SIDSIZE 16, RIL 1, GRAN4K/16K/64K 1, OAS 44 unless oas=48).
	 * A register the host document does not hold is asked about only when the option names
	 * it (ssidsize, oas, ats, ril, sidsize). */
	bool smmu = u->model == IOMMUCAP_MODEL_ARM_SMMU_V3;
	add(e, "qemu.arm-smmuv3.type", "model", json_string("arm-smmu-v3"),
	    json_string(iommucap_model_name(u->model)), smmu ? IOMMUCAP_PASS : IOMMUCAP_FAIL,
	    smmu ? "an SMMUv3 host" : "Wrong data type (%d) for Host SMMUv3 device info (%s)",
	    u->model_id, iommucap_model_name(u->model));
	if (!smmu)
		return;
	if ((v = fx.st_level) >= 0)
		add(e, "qemu.arm-smmuv3.stlevel", "fields.idr0.st_level", json_integer(1),
		    json_integer((json_int_t)v), v == 1 ? IOMMUCAP_PASS : IOMMUCAP_FAIL,
		    v == 1 ? "Host SMMUv3 Stream Table format matches (host STLEVEL=%u, QEMU "
			     "STLEVEL=%u)"
			   : "Host SMMUv3 Stream Table format mismatch (host STLEVEL=%u, QEMU "
			     "STLEVEL=%u)",
		    (unsigned)v, 1u);
	if ((v = fx.ttendian) >= 0)
		add(e, "qemu.arm-smmuv3.ttendian", "fields.idr0.ttendian", json_integer(2),
		    json_integer((json_int_t)v), v <= 2 ? IOMMUCAP_PASS : IOMMUCAP_FAIL,
		    v <= 2 ? "little-endian tables"
			   : "Host SMMUv3 doesn't support Little-endian "
			     "translation table");
	if ((v = fx.ttf) >= 0)
		add(e, "qemu.arm-smmuv3.ttf", "fields.idr0.ttf", json_integer(2),
		    json_integer((json_int_t)v), v >= 2 ? IOMMUCAP_PASS : IOMMUCAP_FAIL,
		    v >= 2 ? "AArch64 tables"
			   : "Host SMMUv3 doesn't support AArch64 translation table format");
	int64_t sid = q->sidsize.set ? q->sidsize.value : 16;
	if ((v = fx.sidsize) >= 0)
		add(e, "qemu.arm-smmuv3.sidsize", "fields.idr1.sidsize", json_integer(sid),
		    json_integer((json_int_t)v), (int64_t)v >= sid ? IOMMUCAP_PASS : IOMMUCAP_FAIL,
		    (int64_t)v >= sid ? "Host SMMUv3 SIDSIZE compatible (host=%u, QEMU=%u)"
				      : "Host SMMUv3 SIDSIZE not compatible (host=%u, QEMU=%u)",
		    (unsigned)v, (unsigned)sid);
	else if (q->sidsize.set)
		add(e, "qemu.arm-smmuv3.sidsize", "fields.idr1.sidsize", json_integer(sid),
		    json_null(), IOMMUCAP_UNKNOWN, "IDR1.SIDSIZE is not known");
	if (q->ssidsize.set) {
		bool k = (v = fx.ssidsize) >= 0;
		int64_t have = k ? (int64_t)v : capv(e, IOMMUCAP_SSID_BITS)->num;

		if (!k && !known(e, IOMMUCAP_SSID_BITS))
			add(e, "qemu.arm-smmuv3.ssidsize", "ssid_bits",
			    json_integer(q->ssidsize.value), json_null(), IOMMUCAP_UNKNOWN,
			    "ssid_bits: %s", why(e, IOMMUCAP_SSID_BITS));
		else
			add(e, "qemu.arm-smmuv3.ssidsize", "ssid_bits",
			    json_integer(q->ssidsize.value), json_integer(have),
			    have >= q->ssidsize.value ? IOMMUCAP_PASS : IOMMUCAP_FAIL,
			    have >= q->ssidsize.value
				    ? "Host SMMUv3 SSIDSIZE compatible (host=%u, QEMU=%u)"
				    : "Host SMMUv3 SSIDSIZE not compatible (host=%u, QEMU=%u)",
			    (unsigned)have, (unsigned)q->ssidsize.value);
	}
	bool ril = q->ril != IOMMUCAP_WANT_FALSE;
	if (ril && (v = fx.ril) >= 0)
		add(e, "qemu.arm-smmuv3.ril", "fields.idr3.ril", json_true(), json_boolean(v),
		    v ? IOMMUCAP_PASS : IOMMUCAP_FAIL,
		    v ? "range invalidation present"
		      : "Host SMMUv3 doesn't support Range Invalidation");
	else if (q->ril == IOMMUCAP_WANT_TRUE)
		add(e, "qemu.arm-smmuv3.ril", "fields.idr3.ril", json_true(), json_null(),
		    IOMMUCAP_UNKNOWN, "IDR3.RIL is not known");
	if (q->oas.set) {
		bool k = known(e, IOMMUCAP_OUTPUT_BITS);
		int64_t have = capv(e, IOMMUCAP_OUTPUT_BITS)->num;

		if (!k)
			add(e, "qemu.arm-smmuv3.oas", "output_bits", json_integer(q->oas.value),
			    json_null(), IOMMUCAP_UNKNOWN, "output_bits: %s",
			    why(e, IOMMUCAP_OUTPUT_BITS));
		else
			add(e, "qemu.arm-smmuv3.oas", "output_bits", json_integer(q->oas.value),
			    json_integer(have),
			    have >= q->oas.value ? IOMMUCAP_PASS : IOMMUCAP_FAIL,
			    have >= q->oas.value
				    ? "Host SMMUv3 supports %d-bit IPA, and the vSMMU OAS implies "
				      "%d-bit IPA"
				    : "Host SMMUv3 supports only %d-bit IPA, but the vSMMU OAS "
				      "implies %d-bit IPA",
			    (int)have, (int)q->oas.value);
	}
	if (q->ats == IOMMUCAP_WANT_TRUE) {
		if (!known(e, IOMMUCAP_ATS))
			add(e, "qemu.arm-smmuv3.ats", "ats", json_true(), json_null(),
			    IOMMUCAP_UNKNOWN, "ats: %s", why(e, IOMMUCAP_ATS));
		else
			add(e, "qemu.arm-smmuv3.ats", "ats", json_true(), avail(e, IOMMUCAP_ATS),
			    capv(e, IOMMUCAP_ATS)->num ? IOMMUCAP_PASS : IOMMUCAP_FAIL,
			    capv(e, IOMMUCAP_ATS)->num
				    ? "ATS present"
				    : "Host SMMUv3 doesn't support Address Translation Services");
	}
	/* The vSMMU offers all three granules, and QEMU wants the host's to be the same. */
	static const char *const gname[] = { "4K", "16K", "64K" };
	/* A check keeps its field pointer: these live as long as the program. */
	static const char *const gfield[] = { "fields.idr5.gran4k", "fields.idr5.gran16k",
					      "fields.idr5.gran64k" };
	for (size_t i = 0; i < ELEMENTSOF(fx.gran); i++)
		if ((v = fx.gran[i]) >= 0) {
			add(e, "qemu.arm-smmuv3.granule", gfield[i], json_true(), json_boolean(v),
			    v ? IOMMUCAP_PASS : IOMMUCAP_FAIL,
			    v ? "%s granule supported"
			      : "Host SMMUv3 doesn't support %s translation granule",
			    gname[i]);
		}
}

static bool wants_pasid(const struct iommucap_requirement *r)
{
	return r->sva == IOMMUCAP_WANT_TRUE || r->has_pasid_table ||
	       (r->min[IOMMUCAP_MIN_SSID_BITS].set && r->min[IOMMUCAP_MIN_SSID_BITS].value > 0) ||
	       r->features[IOMMUCAP_FEAT_PRI] == IOMMUCAP_WANT_TRUE;
}

/* Host-wide: what the kernel does when VT-d units differ (cap_audit, 5.13-6.13), and LAM with
 * SVA. */
static void eval_host(struct eval *e)
{
	const struct iommucap_host *h = e->h;
	const struct iommucap_hostinfo *hi = &h->info;
	size_t n_vtd = 0;

	e->u = NULL;
	for (size_t i = 0; i < h->n_units; i++)
		n_vtd += h->units[i].model == IOMMUCAP_MODEL_INTEL_VTD;
	if (wants_pasid(e->req) && n_vtd > 1) {
		_cleanup_free_ const char **mism = NULL;
		size_t nm = 0;

		if (vtd_cap_audit_mismatches(h, &mism, &nm) < 0) {
			e->err = -ENOMEM;
			return;
		}
		if (!kernel_has(hi, &kc_vtd_cap_audit_removed) &&
		    kernel_has(hi, &kc_vtd_cap_audit)) {
			_cleanup_free_ char *list = NULL;
			size_t len = 0;

			for (size_t i = 0; i < nm; i++)
				len += strlen(mism[i]) + 2;
			list = calloc(1, len + 1);
			if (!list) {
				e->err = -ENOMEM;
				return;
			}
			for (size_t i = 0; i < nm; i++) {
				if (i)
					strcat(list, ", ");
				strcat(list, mism[i]);
			}
			if (nm)
				add(e, "host.uniform", "fields", NULL, NULL, IOMMUCAP_WARN,
				    "this kernel (cap_audit, Linux 5.13-6.13) prints \"IOMMU "
				    "feature X "
				    "inconsistent\" for: %s; DMA domains use first-stage tables "
				    "only "
				    "if every unit has scalable mode and FLTS; SVA, PRI and "
				    "nesting "
				    "stay per unit",
				    list);
			else
				add(e, "host.uniform", "fields", NULL, NULL, IOMMUCAP_PASS,
				    "the units agree on every feature cap_audit compares");
		} else
			add(e, "host.uniform", "fields", NULL, NULL, IOMMUCAP_PASS,
			    nm ? "the units differ, but this kernel (%s) has no cap_audit: each "
				 "unit is used as it is"
			       : "the units agree (this kernel, %s, has no cap_audit)",
			    hi->kernel_release ?: "release unknown");
	}
	if (e->req->sva == IOMMUCAP_WANT_TRUE && e->req->lam == IOMMUCAP_WANT_TRUE) {
		const char *note = "";

		if (hi->cpu_flags_known && !hi->cpu_flags[IOMMUCAP_CPU_LAM])
			note = "; note: this host's CPU has no LAM";
		else if (hi->kernel_major >= 0 &&
			 (hi->kernel_major < 6 || (hi->kernel_major == 6 && hi->kernel_minor < 4)))
			note = "; note: this kernel is older than 6.4 and has no LAM support";
		add(e, "sva.lam", "sva+lam", json_true(), NULL, IOMMUCAP_WARN,
		    "a process using LAM must call arch_prctl(ARCH_FORCE_TAGGED_SVA) before "
		    "binding "
		    "SVA (Linux 6.4 and later), or the bind fails with EBUSY%s",
		    note);
	}
}

/* libvirt 12.9.0 opens /dev/iommu for <iommufd enabled='yes'/> (qemuProcessOpenIommuFd()) and
 * refuses to start without it: "IOMMUFD is not supported by host kernel". Per unit, as the
 * verdict is: no unit can back a VMM that cannot open /dev/iommu. */
static void eval_iommufd(struct eval *e)
{
	bool have = e->h->info.dev_iommu;

	if (e->req->iommufd == IOMMUCAP_WANT_TRUE)
		add(e, "host.iommufd", "host.dev_iommu", json_true(), json_boolean(have),
		    have ? IOMMUCAP_PASS : IOMMUCAP_FAIL,
		    have ? "/dev/iommu present" : "IOMMUFD is not supported by host kernel");
}

static void eval_unit(struct eval *e, const struct iommucap_unit *u)
{
	e->u = u;
	e->failed = e->unknown = false;
	eval_pasid_table(e);
	eval_min(e);
	eval_features(e);
	eval_stall_httu(e);
	eval_lists(e);
	eval_sva(e);
	eval_iommufd(e);
	eval_qemu(e);
}

static int push_str(char ***v, size_t *n, const char *s)
{
	return strv_push(v, n, strdup(s));
}

int iommucap_check(const struct iommucap_host *h, const struct iommucap_requirement *req,
		   struct iommucap_compat **ret)
{
	struct iommucap_compat *out = calloc(1, sizeof(*out));
	struct eval e = { .h = h, .req = req, .out = out };
	bool any_indeterminate = false;

	if (!out)
		return -ENOMEM;
	out->verdict = IOMMUCAP_INCOMPATIBLE;

	if (req->device) {
		const struct iommucap_device *d = NULL;
		const struct iommucap_unit *u = NULL;

		for (size_t i = 0; i < h->n_devices && !d; i++)
			if (streq(h->devices[i].address, req->device))
				d = &h->devices[i];
		if (d && d->unit)
			u = iommucap_host_find_unit(h, d->unit);
		if (!u)
			add(&e, "target.device", "devices", json_string(req->device),
			    d && d->unit ? json_string(d->unit) : json_null(), IOMMUCAP_FAIL,
			    !d	       ? "no PCI device %s on this host"
			    : !d->unit ? "device %s is not behind an IOMMU unit"
				       : "device %s names unit %s, which is not listed",
			    req->device, d && d->unit ? d->unit : "");
		else {
			add(&e, "target.device", "devices", json_string(req->device),
			    json_string(u->name), IOMMUCAP_PASS, "device %s is behind %s",
			    req->device, u->name);
			e.dev = d;
			eval_unit(&e, u);
			if (!e.failed && !e.unknown &&
			    push_str(&out->candidates, &out->n_candidates, u->name) < 0)
				e.err = -ENOMEM;
			any_indeterminate = !e.failed && e.unknown;
		}
	} else {
		bool found = false;

		for (size_t i = 0; i < h->n_units; i++) {
			const struct iommucap_unit *u = &h->units[i];

			if (req->unit && !streq(req->unit, u->name))
				continue;
			found = true;
			eval_unit(&e, u);
			if (!e.failed && !e.unknown &&
			    push_str(&out->candidates, &out->n_candidates, u->name) < 0)
				e.err = -ENOMEM;
			if (!e.failed && e.unknown)
				any_indeterminate = true;
		}
		e.u = NULL;
		if (req->unit && !found)
			add(&e, "target.unit", "units", json_string(req->unit), json_null(),
			    IOMMUCAP_FAIL, "no IOMMU unit named %s on this host", req->unit);
		else if (!req->unit && h->n_units == 0)
			add(&e, "target.unit", "units", NULL, json_integer(0), IOMMUCAP_FAIL,
			    "this host has no IOMMU unit");
		else if (req->unit)
			add(&e, "target.unit", "units", json_string(req->unit),
			    json_string(req->unit), IOMMUCAP_PASS, "unit %s exists", req->unit);
	}
	eval_host(&e);
	if (e.err) {
		iommucap_compat_free(out);
		return e.err;
	}
	/* The best any unit reaches: compatible with a candidate, else indeterminate if some unit
	 * only lacks knowledge, else incompatible. */
	out->verdict = out->n_candidates   ? IOMMUCAP_COMPATIBLE
		       : any_indeterminate ? IOMMUCAP_INDETERMINATE
					   : IOMMUCAP_INCOMPATIBLE;
	*ret = out;
	return 0;
}

struct iommucap_compat *iommucap_compat_free(struct iommucap_compat *c)
{
	if (!c)
		return NULL;
	for (size_t i = 0; i < c->n_checks; i++) {
		free(c->checks[i].unit);
		free(c->checks[i].message);
		json_decref(c->checks[i].required);
		json_decref(c->checks[i].available);
	}
	free(c->checks);
	strv_free(c->candidates, c->n_candidates);
	free(c);
	return NULL;
}

int iommucap_compat_to_json(const struct iommucap_compat *c, json_t **ret)
{
	json_t *o = json_object(), *checks = json_array(), *cands = json_array();
	bool oom = !o || !checks || !cands;

	for (size_t i = 0; !oom && i < c->n_checks; i++) {
		const struct iommucap_check *k = &c->checks[i];
		json_t *j = json_object();

		oom = !j || json_array_append_new(checks, j) < 0;
		if (oom)
			break;
		oom |= json_object_set_new(j, "id", json_string(k->rule->id)) < 0;
		oom |= json_object_set_new(j, "unit",
					   k->unit ? json_string(k->unit) : json_null()) < 0;
		oom |= json_object_set_new(j, "field", json_string(k->field)) < 0;
		oom |= json_object_set_new(j, "required",
					   k->required ? json_incref(k->required) : json_null()) <
		       0;
		oom |= json_object_set_new(j, "available",
					   k->available ? json_incref(k->available) : json_null()) <
		       0;
		oom |= json_object_set_new(j, "result",
					   json_string(iommucap_result_name(k->result))) < 0;
		oom |= json_object_set_new(j, "message", json_string(k->message)) < 0;
	}
	for (size_t i = 0; !oom && i < c->n_candidates; i++)
		oom = json_array_append_new(cands, json_string(c->candidates[i])) < 0;
	if (!oom)
		oom = json_object_set_new(o, "verdict",
					  json_string(iommucap_verdict_name(c->verdict))) < 0 ||
		      json_object_set(o, "checks", checks) < 0 ||
		      json_object_set(o, "candidates", cands) < 0;
	json_decref(checks);
	json_decref(cands);
	if (oom) {
		json_decref(o);
		return -ENOMEM;
	}
	*ret = o;
	return 0;
}

int iommucap_compat_values_wire(json_t *result, bool to_wire)
{
	static const char *const keys[] = { "required", "available" };
	json_t *c;
	size_t i;

	json_array_foreach (json_object_get(result, "checks"), i, c)
		for (size_t k = 0; k < ELEMENTSOF(keys); k++) {
			json_t *v = json_object_get(c, keys[k]), *val;

			if (to_wire) {
				if (!v || json_is_null(v))
					continue;
				val = json_pack("{s:O}", "value", v);
			} else {
				val = json_is_object(v) ? json_object_get(v, "value") : NULL;
				if (v && !json_is_null(v) && !val)
					return -EBADMSG;
				val = json_incref(val ?: json_null());
			}
			if (json_object_set_new(c, keys[k], val) < 0)
				return -ENOMEM;
		}
	return 0;
}
