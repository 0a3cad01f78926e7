/* Suggest: the strongest vIOMMU the check rules let this host back, each option explained. */
#include "config.h"

#include <stdarg.h>

#include "compat.h"
#include "macro.h"
#include "requirement.h"
#include "suggest.h"

/*
 * "Can back" is what iommucap_check() says, nothing else: every candidate option set goes
 * through the QEMU (or libvirt) importer and the rules, exactly as `iommuctl check --qemu`
 * takes it. The options of a vIOMMU are ordered by how much they give the guest, each with a
 * ladder of values strongest first; the suggestion is the lexicographically greatest
 * compatible combination. So any one option made one step stronger, the others kept, is
 * greater still and was refused, by the importer (QEMU's own configuration rules) or by a
 * check, and that refusal is reported as the reason the option stops where it does.
 */

enum kind {
	K_SWITCH,    /* on, or unset (QEMU's default: off) */
	K_SWITCH_ON, /* on, off (QEMU's default: on, so off is spelled out) */
	K_INT,	     /* hi down to lo, then unset */
	K_CHOICE,    /* the strings of choices, in order */
};

struct knob {
	const char *qemu;    /* the QEMU 11.1 property */
	const char *libvirt; /* the <driver> attribute, NULL when libvirt has none */
	enum kind kind;
	int hi, lo;
	const char *const *choices;
	const char *needs; /* a property that must be on for this one to mean anything */
	bool migratable;   /* kept by --migratable */
	const char *why;
	const char *rules[3]; /* the rules whose checks show the host's side */
};

struct viommu {
	const char *qemu;	       /* -device driver */
	const char *libvirt;	       /* <iommu model=...> */
	const char *base;	       /* options every assigned device needs, QEMU side */
	const char *base_libvirt;      /* the same as <driver> attributes, or NULL */
	const char *base_libvirt_qemu; /* what libvirt passes QEMU for base_libvirt */
	const char *base_why;
	bool unmigratable; /* QEMU marks the device itself unmigratable */
	const char *unmigratable_why;
	const struct knob *knobs;
	size_t n_knobs;
};

static const char *const intel_aw[] = { "48", "39", NULL };
static const char *const smmu_oas[] = { "48", "44", NULL };
static const char *const granules[] = { "4k", "8k", "16k", "64k", "host", NULL };

/* x86-iommu.c's device-iotlb, shared by intel-iommu and amd-iommu (the rule of each). */
#define DEVICE_IOTLB(rule)                                                                         \
	{                                                                                          \
		.qemu = "device-iotlb", .libvirt = "iotlb", .kind = K_SWITCH,                      \
		.why = "a device TLB (ATS) in the guest; QEMU does not check the host, but "       \
		       "without "                                                                  \
		       "the unit's and the device's ATS the assigned device gets none",            \
		.rules = {                                                                         \
			rule                                                                       \
		}                                                                                  \
	}

/* hw/i386/intel_iommu.c, QEMU 11.1 (the names after "Remove 'x-' prefix", "Change 'flts'
 * property naming to 'fsts'" and "Rename pasid property to \"pasid-bits\""). */
static const struct knob intel_knobs[] = {
	{ .qemu = "scalable-mode",
	  .kind = K_SWITCH,
	  .migratable = true,
	  .why = "scalable mode: PASID-granular translation and the first-stage tables a guest "
		 "SVA driver uses; the rules ask the host unit for scalable mode too",
	  .rules = { "qemu.intel-iommu.scalable-mode" } },
	{ .qemu = "fsts",
	  .kind = K_SWITCH,
	  .needs = "scalable-mode",
	  .why = "first-stage translation by the host IOMMU: the guest's first-stage tables are "
		 "nested over the host's second stage through iommufd; QEMU's vtd_check_hiod() "
		 "then needs a VT-d host with nesting, and every other host check below applies; "
		 "the VM must not place the device downstream of a PCI bridge "
		 "(qemu.intel-iommu.pci-bridge)",
	  .rules = { "qemu.intel-iommu.type", "features.nesting" } },
	{ .qemu = "aw-bits",
	  .libvirt = "aw_bits",
	  .kind = K_CHOICE,
	  .choices = intel_aw,
	  .migratable = true,
	  .why = "the guest's DMA address width: vtd_decide_config() takes 39 or 48 (48 only with "
		 "fsts); the host's IOVA width must be as wide (vtd_check_hiod(): MGAW, one bit "
		 "less when the kernel's DMA domains use first-stage tables)",
	  .rules = { "qemu.intel-iommu.aw-bits", "min.input_bits" } },
	{ .qemu = "fs1gp",
	  .kind = K_SWITCH_ON,
	  .needs = "fsts",
	  .why = "1 GiB pages in the guest's first-stage tables (on by default); with fsts the "
		 "host must walk them (cap.FL1GP)",
	  .rules = { "qemu.intel-iommu.fs1gp" } },
	{ .qemu = "pasid-bits",
	  .kind = K_INT,
	  .hi = 20,
	  .lo = 1,
	  .needs = "scalable-mode",
	  .why = "PASIDs for the guest (0: none); QEMU compares it with the host's ecap.PSS only "
		 "under fsts for a device with PASIDs; beyond the unit's (and the device's) PASID "
		 "width the host backs none of them, so the suggestion stops there",
	  .rules = { "qemu.intel-iommu.pasid" } },
	DEVICE_IOTLB("qemu.intel-iommu.device-iotlb"),
	{ .qemu = "svm",
	  .kind = K_SWITCH,
	  .needs = "fsts",
	  .why = "shared virtual memory in the guest: page requests from the host (PRI) delivered "
		 "through iommufd; QEMU needs device-iotlb, fsts and PASIDs for it",
	  .rules = { "qemu.intel-iommu.svm" } },
};

/* hw/arm/smmuv3.c and smmuv3-accel.c, QEMU 11.1. */
static const struct knob smmuv3_knobs[] = {
	{ .qemu = "accel",
	  .libvirt = "accel",
	  .kind = K_SWITCH,
	  .why = "the host SMMUv3 translates the guest's stage-1 tables (nested, through "
		 "iommufd); smmuv3_accel_check_hw_compatible() compares the vSMMU's ID registers "
		 "with the host's",
	  .rules = { "qemu.arm-smmuv3.type", "features.nesting" } },
	{ .qemu = "oas",
	  .libvirt = "oas",
	  .kind = K_CHOICE,
	  .choices = smmu_oas,
	  .needs = "accel",
	  .why = "the vSMMU's output address size (44 or 48 bits, smmu_validate_property()); the "
		 "host's IDR5.OAS must be as large",
	  .rules = { "qemu.arm-smmuv3.oas", "min.output_bits" } },
	{ .qemu = "ssidsize",
	  .libvirt = "ssidsize",
	  .kind = K_INT,
	  .hi = 20,
	  .lo = 1,
	  .needs = "accel",
	  .why = "substream ID (PASID) bits for the guest (0: none); the host's IDR1.SSIDSIZE "
		 "must be as large",
	  .rules = { "qemu.arm-smmuv3.ssidsize", "min.ssid_bits" } },
	{ .qemu = "ats",
	  .libvirt = "ats",
	  .kind = K_SWITCH,
	  .needs = "accel",
	  .why = "ATS in the vSMMU (IDR0.ATS); the host SMMU and the device need ATS",
	  .rules = { "qemu.arm-smmuv3.ats", "features.ats" } },
	{ .qemu = "ril",
	  .libvirt = "ril",
	  .kind = K_SWITCH_ON,
	  .needs = "accel",
	  .why = "range invalidation (IDR3.RIL, on by default); with accel the host SMMU must "
		 "have it",
	  .rules = { "qemu.arm-smmuv3.ril" } },
};

/* hw/virtio/virtio-iommu.c, QEMU 11.1: aw-bits in [32, 64] (virtio_iommu_device_realize). */
static const struct knob virtio_knobs[] = {
	{ .qemu = "aw-bits",
	  .libvirt = "aw_bits",
	  .kind = K_INT,
	  .hi = 64,
	  .lo = 32,
	  .migratable = true,
	  .why = "the guest's input address width; QEMU does not compare it with the host (the "
		 "host's IOVA ranges become reserved regions), so the suggestion stops at the "
		 "unit's input bits",
	  .rules = { "qemu.virtio-iommu.aw-bits" } },
	{ .qemu = "granule",
	  .libvirt = "granule", /* an element: <granule mode='host'/> or size='N' unit='KiB' */
	  .kind = K_CHOICE,
	  .choices = granules,
	  .migratable = true,
	  .why = "the smallest page the guest maps; QEMU's check_page_size_mask() needs a page "
		 "size the host also has (host: the host's own)",
	  .rules = { "qemu.virtio-iommu.granule", "page_sizes" } },
};

/* hw/i386/amd_iommu.c, QEMU 11.1. */
static const struct knob amd_knobs[] = { DEVICE_IOTLB("qemu.amd-iommu.device-iotlb") };

static const struct viommu viommus[] = {
	{ "intel-iommu", "intel", ",caching-mode=on", "caching_mode='on'", ",caching-mode=on",
	  "caching-mode=on: QEMU refuses an assigned (vfio-pci) device behind intel-iommu "
	  "without it (vtd_dev_set_iommu_device(): \"Device assignment is not allowed without "
	  "enabling caching-mode=on for Intel IOMMU.\")",
	  false, NULL, intel_knobs, ELEMENTSOF(intel_knobs) },
	{ "arm-smmuv3", "smmuv3", ",primary-bus=pcie.0", NULL, NULL,
	  "primary-bus=pcie.0: the user-creatable SMMUv3 serves the bus it is given (libvirt "
	  "picks it itself)",
	  false, NULL, smmuv3_knobs, ELEMENTSOF(smmuv3_knobs) },
	{ "virtio-iommu-pci", "virtio", "", NULL, NULL, NULL, false, NULL, virtio_knobs,
	  ELEMENTSOF(virtio_knobs) },
	{ "amd-iommu", "amd", ",dma-remap=on", NULL, NULL,
	  "dma-remap=on: without it QEMU refuses an assigned device's map notifier "
	  "(amdvi_iommu_notify_flag_changed(): \"device ... requires dma-remap=1\")",
	  true,
	  "QEMU marks amd-iommu unmigratable (vmstate_amdvi_sysbus: .unmigratable = 1, "
	  "hw/i386/amd_iommu.c)",
	  amd_knobs, ELEMENTSOF(amd_knobs) },
};

#define MAX_KNOBS 8

/* One search: which form is built, what the host and device are, and where it stands. */
struct search {
	const struct iommucap_host *h;	/* the host, for what the suggestion says */
	const struct iommucap_host *hs; /* the host the search checks (merged_units()) */
	const char *device;
	const struct viommu *v;
	bool libvirt, migratable;
	int pick[MAX_KNOBS];
	int best[MAX_KNOBS];
	bool found;
	size_t tried;
	int err;
};

static int n_values(const struct knob *k)
{
	int n = 0;

	switch (k->kind) {
	case K_SWITCH:
	case K_SWITCH_ON:
		return 2;
	case K_INT:
		return k->hi - k->lo + 2;
	case K_CHOICE:
		while (k->choices[n])
			n++;
		return n;
	}
	return 0;
}

/* The i-th value from the strongest; "" (and i = -1) leaves the property unset. */
static const char *value(const struct knob *k, int i, char buf[static 16])
{
	if (i < 0)
		return "";
	switch (k->kind) {
	case K_SWITCH:
		return i == 0 ? "on" : "";
	case K_SWITCH_ON:
		return i == 0 ? "on" : "off";
	case K_INT:
		if (k->hi - i < k->lo)
			return "";
		snprintf(buf, 16, "%d", k->hi - i);
		return buf;
	case K_CHOICE:
		return k->choices[i];
	}
	return "";
}

static int knob_index(const struct viommu *v, const char *name)
{
	for (size_t i = 0; i < v->n_knobs; i++)
		if (streq(v->knobs[i].qemu, name))
			return (int)i;
	return -1;
}

/* Why a property has only its weakest value in this search, or NULL when it is searched. */
static const char *pinned(const struct search *s, size_t i, const int *pick)
{
	const struct knob *k = &s->v->knobs[i];

	if (k->needs) {
		int n = knob_index(s->v, k->needs);

		if (n >= 0 && pick[n] != 0)
			return "needs";
	}
	if (s->libvirt && !k->libvirt)
		return "libvirt";
	if (s->migratable && !k->migratable)
		return "migratable";
	return NULL;
}

/* virtio's granule, which libvirt writes as the <granule> element of <driver>. */
static bool is_granule(const struct knob *k)
{
	return streq(k->qemu, "granule");
}

/*
 * The QEMU -device argument of a pick; with libvirt, the one libvirt generates from the pick's
 * <iommu> element (libvirt_xml() below), as lib/import-libvirt.c maps it: the device of the
 * model, then each <driver> attribute in the element's order as the QEMU property of its knob,
 * then <granule mode>. So the libvirt form is checked without parsing XML, and the daemon links
 * no XML parser; tests/unit/test-suggest.c imports every libvirt_xml() through the importer and
 * compares (suggest_libvirt_forms()).
 */
static char *qemu_arg(const struct viommu *v, const int *pick, bool libvirt)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		return NULL;
	fprintf(f, "%s%s", v->qemu, libvirt ? v->base_libvirt_qemu ?: "" : v->base);
	for (size_t i = 0; i < v->n_knobs; i++) {
		char buf[16];
		const char *val = value(&v->knobs[i], pick[i], buf);

		if (*val && (!libvirt || (v->knobs[i].libvirt && !is_granule(&v->knobs[i]))))
			fprintf(f, ",%s=%s", v->knobs[i].qemu, val);
	}
	for (size_t i = 0; libvirt && i < v->n_knobs; i++) {
		char buf[16];
		const char *val = value(&v->knobs[i], pick[i], buf);

		if (*val && is_granule(&v->knobs[i]))
			fprintf(f, ",granule=%s", val);
	}
	if (fclose(f) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

/* The libvirt <iommu> element of a pick (attributes libvirt lacks are never set). */
static char *libvirt_xml(const struct viommu *v, const int *pick)
{
	char *s = NULL;
	size_t len = 0;
	const char *granule = NULL;
	bool attrs = v->base_libvirt != NULL;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		return NULL;
	for (size_t i = 0; i < v->n_knobs; i++) {
		char buf[16];
		const char *val = value(&v->knobs[i], pick[i], buf);

		if (*val && is_granule(&v->knobs[i]))
			granule = val;
		else if (*val && v->knobs[i].libvirt)
			attrs = true;
	}
	fprintf(f, "<iommu model='%s'", v->libvirt);
	if (!attrs && !granule)
		fputs("/>\n", f);
	else {
		fputs(">\n  <driver", f);
		if (v->base_libvirt)
			fprintf(f, " %s", v->base_libvirt);
		for (size_t i = 0; i < v->n_knobs; i++) {
			char buf[16];
			const char *val = value(&v->knobs[i], pick[i], buf);

			if (*val && v->knobs[i].libvirt && !is_granule(&v->knobs[i]))
				fprintf(f, " %s='%s'", v->knobs[i].libvirt, val);
		}
		/* libvirt 12.9.0's forms (docs/formatdomain.rst): mode='host', or a size in KiB. */
		if (granule && streq(granule, "host"))
			fputs(">\n    <granule mode='host'/>\n  </driver>\n</iommu>\n", f);
		else if (granule)
			fprintf(f,
				">\n    <granule size='%d' unit='KiB'/>\n  </driver>\n</iommu>\n",
				atoi(granule));
		else
			fputs("/>\n</iommu>\n", f);
	}
	if (fclose(f) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

/* The requirement of a pick, in the search's form, targeted at the device. -EINVAL with
 * *ret_error when the importer refuses it (QEMU's own configuration rules), worded as
 * iommucap_requirement_from_libvirt() words it for the libvirt form. */
static int requirement(const struct search *s, const int *pick, struct iommucap_requirement **ret,
		       char **ret_error)
{
	_cleanup_free_ char *form = qemu_arg(s->v, pick, s->libvirt);
	struct iommucap_requirement *r = NULL;
	char *error = NULL;
	int k;

	if (!form)
		return -ENOMEM;
	/* libvirt refuses the knobs that need accel without it (the only libvirt attributes with
	 * a .needs), before QEMU sees them. */
	for (size_t i = 0; s->libvirt && i < s->v->n_knobs; i++) {
		const struct knob *kn = &s->v->knobs[i];
		char buf[16];
		int n = kn->needs ? knob_index(s->v, kn->needs) : -1;

		if (kn->libvirt && n >= 0 && *value(kn, pick[i], buf) &&
		    !streq(value(&s->v->knobs[n], pick[n], buf), "on")) {
			if (ret_error &&
			    asprintf(ret_error, IOMMUCAP_LIBVIRT_NEEDS_ACCEL, s->v->libvirt) < 0)
				*ret_error = NULL;
			return -EINVAL;
		}
	}
	k = iommucap_requirement_from_qemu(form, &r, ret_error ? &error : NULL);
	if (k == -EINVAL && ret_error) {
		if (s->libvirt && error) {
			char *e = NULL;

			if (asprintf(&e, "iommu: %s", error) < 0)
				e = NULL;
			free(error);
			error = e;
		}
		*ret_error = error ?: strdup(strerror(-k));
		return k;
	}
	free(error);
	if (k < 0)
		return k;
	if (s->device) {
		free(r->unit);
		r->unit = NULL;
		r->device = strdup(s->device);
		if (!r->device) {
			iommucap_requirement_free(r);
			return -ENOMEM;
		}
	}
	*ret = r;
	return 0;
}

/* A QEMU rule's warning: QEMU takes the value, but the host does not back it (pasid-bits
 * wider than the unit's or the device's PASIDs without fsts); the suggestion stops below. */
static bool qemu_warned(const struct iommucap_compat *c)
{
	for (size_t i = 0; i < c->n_checks; i++)
		if (c->checks[i].result == IOMMUCAP_WARN &&
		    startswith(c->checks[i].rule->id, "qemu."))
			return true;
	return false;
}

/* Check a pick: 1 compatible, 0 not (with *ret_compat or *ret_error saying why), <0 error. */
static int try_pick(struct search *s, const struct iommucap_host *h, const int *pick,
		    struct iommucap_compat **ret_compat, char **ret_error)
{
	struct iommucap_requirement *r = NULL;
	struct iommucap_compat *c = NULL;
	char *error = NULL;
	int k = requirement(s, pick, &r, &error);

	s->tried++;
	if (k == -EINVAL) {
		if (ret_error)
			*ret_error = error;
		else
			free(error);
		return 0;
	}
	if (k < 0)
		return k;
	k = iommucap_check(h, r, &c);
	iommucap_requirement_free(r);
	if (k < 0)
		return k;
	k = c->verdict == IOMMUCAP_COMPATIBLE && !qemu_warned(c);
	if (ret_compat)
		*ret_compat = c;
	else
		iommucap_compat_free(c);
	return k;
}

/* Depth first, strongest value first: the first compatible leaf is the greatest. */
static void dfs(struct search *s, size_t i)
{
	if (s->found || s->err)
		return;
	if (i == s->v->n_knobs) {
		int k = try_pick(s, s->hs, s->pick, NULL, NULL);

		if (k < 0)
			s->err = k;
		else if (k) {
			s->found = true;
			memcpy(s->best, s->pick, sizeof(s->best));
		}
		return;
	}
	if (pinned(s, i, s->pick)) {
		/* Unset (QEMU's default) when it means nothing or cannot be spelt; off for a
		 * migratable guest. */
		s->pick[i] = streq(pinned(s, i, s->pick), "migratable")
				     ? n_values(&s->v->knobs[i]) - 1
				     : -1;
		dfs(s, i + 1);
		return;
	}
	for (int j = 0; j < n_values(&s->v->knobs[i]) && !s->found && !s->err; j++) {
		s->pick[i] = j;
		dfs(s, i + 1);
	}
}

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

/* What a refused pick was refused for: the importer's message, or each failed or unknown
 * check ("unit: rule: message"). */
static json_t *refusal(const struct iommucap_compat *c, const char *error)
{
	json_t *a = json_array();

	if (!a)
		return NULL;
	if (error) {
		json_array_append_new(
			a,
			json_sprintf("refused before any host check (QEMU's own rule): %s", error));
		return a;
	}
	for (size_t i = 0; c && i < c->n_checks; i++) {
		const struct iommucap_check *k = &c->checks[i];

		if (k->result != IOMMUCAP_FAIL && k->result != IOMMUCAP_UNKNOWN &&
		    !(k->result == IOMMUCAP_WARN && startswith(k->rule->id, "qemu.")))
			continue;
		json_array_append_new(a, json_sprintf("%s%s%s: %s%s", k->unit ?: "",
						      k->unit ? ": " : "", k->rule->id,
						      k->result == IOMMUCAP_UNKNOWN ? "unknown: "
						      : k->result == IOMMUCAP_WARN  ? "warning: "
										    : "",
						      k->message));
	}
	return a;
}

/* The host's side of a chosen value: the passed checks of the property's rules. */
static json_t *host_side(const struct knob *k, const struct iommucap_compat *c)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < c->n_checks; i++)
		for (size_t r = 0; r < ELEMENTSOF(k->rules) && k->rules[r]; r++)
			if (streq(c->checks[i].rule->id, k->rules[r]) &&
			    c->checks[i].result == IOMMUCAP_PASS)
				json_array_append_new(
					a, json_sprintf("%s%s%s: %s", c->checks[i].unit ?: "",
							c->checks[i].unit ? ": " : "", k->rules[r],
							c->checks[i].message));
	return a;
}

static const char *pinned_why(const char *p, const struct knob *k, char *buf, size_t n)
{
	if (streq(p, "needs"))
		snprintf(buf, n, "only with %s=on", k->needs);
	else if (streq(p, "libvirt"))
		snprintf(buf, n, "libvirt has no attribute for %s; QEMU's default applies",
			 k->qemu);
	else
		snprintf(buf, n, "left out so the guest stays migratable");
	return buf;
}

/* One property's record: its value, why, the host's side and the refused next value. */
static int choice(struct search *s, size_t i, const struct iommucap_compat *best, json_t *out)
{
	const struct knob *k = &s->v->knobs[i];
	const char *p = pinned(s, i, s->best);
	char buf[16], sbuf[16], nb[160];
	json_t *o = json_object();
	int k2 = 0;

	if (!o || json_array_append_new(out, o) < 0)
		return -ENOMEM;
	json_object_set_new(o, "option", json_string(k->qemu));
	json_object_set_new(o, "libvirt", str_or_null(k->libvirt));
	json_object_set_new(o, "value", str_or_null(value(k, s->best[i], buf)));
	json_object_set_new(o, "why", json_string(k->why));
	json_object_set_new(o, "host", host_side(k, best));
	if (p) {
		json_object_set_new(o, "stronger", json_null());
		json_object_set_new(o, "refused", json_null());
		json_object_set_new(o, "note", json_string(pinned_why(p, k, nb, sizeof(nb))));
		return 0;
	}
	json_object_set_new(o, "note", json_null());
	if (s->best[i] == 0) {
		json_object_set_new(o, "stronger", json_null());
		json_object_set_new(o, "refused", json_null());
		return 0;
	}
	{
		int pick[MAX_KNOBS];
		struct iommucap_compat *c = NULL;
		_cleanup_free_ char *error = NULL;

		memcpy(pick, s->best, sizeof(pick));
		pick[i]--;
		k2 = try_pick(s, s->h, pick, &c, &error);
		if (k2 < 0)
			return k2;
		json_object_set_new(o, "stronger", str_or_null(value(k, pick[i], sbuf)));
		/* Unset stronger than a value: only K_INT's "" is weaker, never stronger. */
		json_object_set_new(o, "refused", k2 ? json_null() : refusal(c, error));
		iommucap_compat_free(c);
	}
	return 0;
}

static const struct viommu *find_viommu(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(viommus); i++)
		if (streq(viommus[i].qemu, name) ||
		    (streq(name, "virtio-iommu") && streq(viommus[i].qemu, "virtio-iommu-pci")))
			return &viommus[i];
	return NULL;
}

/* The vIOMMU that matches the unit: the same vendor's, so the host can take part in it. */
static const struct viommu *natural(const struct iommucap_host *h, const char *device)
{
	const struct iommucap_unit *u = NULL;

	for (size_t i = 0; device && i < h->n_devices && !u; i++)
		if (streq(h->devices[i].address, device) && h->devices[i].unit)
			u = iommucap_host_find_unit(h, h->devices[i].unit);
	if (!u && h->n_units)
		u = &h->units[0];
	switch (u ? u->model : IOMMUCAP_MODEL_UNKNOWN) {
	case IOMMUCAP_MODEL_INTEL_VTD:
		return find_viommu("intel-iommu");
	case IOMMUCAP_MODEL_AMD_VI:
		return find_viommu("amd-iommu");
	case IOMMUCAP_MODEL_ARM_SMMU_V3:
		return find_viommu("arm-smmuv3");
	default:
		return find_viommu("virtio-iommu-pci");
	}
}

/*
 * Units no check tells apart. iommucap_check() judges a unit by its model, its capabilities
 * and its field view (the decoded registers), with the host's information that is the same for
 * every unit; the unit's name is only in the messages. A host-wide check over every unit
 * (cap_audit's) sees the same set of facts either way. The search needs only verdicts (is some
 * unit compatible), so it checks one unit of each set of units with equal facts: 2 units of a
 * generated 1024-unit host (VT-d and AMD-Vi) instead of 1024. What the suggestion says (the
 * candidate units, the host's side of each option, the refusals) comes from checks of the
 * whole host.
 */
static uint64_t fnv(uint64_t x, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		x = (x ^ ((const unsigned char *)p)[i]) * 0x100000001b3ULL;
	return x;
}

static uint64_t fnv_str(uint64_t x, const char *str)
{
	return str ? fnv(x, str, strlen(str) + 1) : fnv(x, "", 0) * 31;
}

static bool str_same(const char *a, const char *b)
{
	return a == b || (a && b && streq(a, b));
}

static uint64_t unit_hash(const struct iommucap_unit *u)
{
	uint64_t x = fnv(0xcbf29ce484222325ULL, &u->model, sizeof(u->model));

	x = fnv(x, &u->model_id, sizeof(u->model_id));
	for (size_t c = 0; c < _IOMMUCAP_CAP_MAX; c++) {
		const struct iommucap_capval *v = &u->caps[c];

		x = fnv(x, &v->source, sizeof(v->source));
		x = fnv(x, &v->num, sizeof(v->num));
		x = fnv_str(x, v->reason);
		x = fnv(x, &v->list.n, sizeof(v->list.n));
		for (size_t i = 0; i < v->list.n; i++)
			x = v->list.nums ? fnv(x, &v->list.nums[i], sizeof(uint64_t))
					 : fnv_str(x, v->list.strs ? v->list.strs[i] : NULL);
	}
	for (size_t i = 0; i < u->n_fields; i++) {
		const struct iommucap_field *f = &u->fields[i];

		x = fnv_str(fnv_str(x, f->group), f->name);
		x = fnv(x, &f->kind, sizeof(f->kind));
		x = fnv_str(fnv(x, &f->num, sizeof(f->num)), f->str);
	}
	return x;
}

static bool capval_same(const struct iommucap_capval *a, const struct iommucap_capval *b)
{
	if (a->source != b->source || a->num != b->num || !str_same(a->reason, b->reason) ||
	    a->list.n != b->list.n || !a->list.nums != !b->list.nums ||
	    !a->list.strs != !b->list.strs)
		return false;
	for (size_t i = 0; i < a->list.n; i++)
		if ((a->list.nums && a->list.nums[i] != b->list.nums[i]) ||
		    (a->list.strs && !str_same(a->list.strs[i], b->list.strs[i])))
			return false;
	return true;
}

static bool same_facts(const struct iommucap_unit *a, const struct iommucap_unit *b)
{
	if (a->model != b->model || a->model_id != b->model_id || a->n_fields != b->n_fields)
		return false;
	for (size_t c = 0; c < _IOMMUCAP_CAP_MAX; c++)
		if (!capval_same(&a->caps[c], &b->caps[c]))
			return false;
	for (size_t i = 0; i < a->n_fields; i++) {
		const struct iommucap_field *f = &a->fields[i], *g = &b->fields[i];

		if (!str_same(f->group, g->group) || !str_same(f->name, g->name) ||
		    f->kind != g->kind || f->num != g->num || !str_same(f->str, g->str))
			return false;
	}
	return true;
}

/* h with the first unit of each set of units with equal facts, in h's order; *ret shares h's
 * memory but for its units array (free(ret->units)). */
static int merged_units(const struct iommucap_host *h, struct iommucap_host *ret)
{
	_cleanup_free_ uint64_t *hash = calloc(h->n_units ?: 1, sizeof(*hash));
	struct iommucap_unit *units = calloc(h->n_units ?: 1, sizeof(*units));
	size_t n = 0;

	if (!hash || !units) {
		free(units);
		return -ENOMEM;
	}
	for (size_t i = 0; i < h->n_units; i++) {
		uint64_t x = unit_hash(&h->units[i]);
		size_t j = 0;

		while (j < n && !(hash[j] == x && same_facts(&units[j], &h->units[i])))
			j++;
		if (j == n) {
			hash[n] = x;
			units[n++] = h->units[i];
		}
	}
	*ret = *h;
	ret->units = units;
	ret->n_units = n;
	return 0;
}

/* Search one form; -ENOENT with *ret_error (the weakest pick's refusal) when none passes. */
static int search_form(struct search *s, char **ret_error)
{
	s->found = false;
	s->err = 0;
	dfs(s, 0);
	if (s->err)
		return s->err;
	if (!s->found) {
		int weakest[MAX_KNOBS];
		struct iommucap_compat *c = NULL;
		char *error = NULL;
		json_t *why;
		int k;

		for (size_t i = 0; i < s->v->n_knobs; i++)
			weakest[i] = n_values(&s->v->knobs[i]) - 1;
		k = try_pick(s, s->h, weakest, &c, &error);
		if (k < 0)
			return k;
		why = refusal(c, error);
		iommucap_compat_free(c);
		free(error);
		*ret_error = NULL;
		if (why && json_array_size(why))
			*ret_error = strdup(json_string_value(json_array_get(why, 0)));
		json_decref(why);
		if (!*ret_error)
			*ret_error = strdup("no option set of this vIOMMU is compatible");
		return -ENOENT;
	}
	return 0;
}

/* The first reason a pick is refused for: QEMU's defaults, with the first property at value
 * `first` (-1: unset too). */
static int first_refusal(struct search *s, int first, char **ret)
{
	int pick[MAX_KNOBS];
	struct iommucap_compat *c = NULL;
	char *error = NULL;
	json_t *why;
	int k;

	for (size_t i = 0; i < s->v->n_knobs; i++)
		pick[i] = -1;
	pick[0] = first;
	k = try_pick(s, s->h, pick, &c, &error);
	if (k < 0)
		return k;
	why = refusal(c, error);
	iommucap_compat_free(c);
	free(error);
	*ret = strdup(k				    ? "compatible"
		      : why && json_array_size(why) ? json_string_value(json_array_get(why, 0))
						    : "refused");
	json_decref(why);
	return *ret ? 0 : -ENOMEM;
}

int iommucap_suggest(const struct iommucap_host *h, const char *device, const char *model,
		     bool migratable, json_t **ret, char **ret_error)
{
	const struct viommu *v = model ? find_viommu(model) : natural(h, device);
	struct search s = { .h = h, .hs = h, .device = device, .v = v, .migratable = migratable };
	struct search full, lv;
	struct iommucap_host merged = { 0 };
	struct iommucap_compat *best = NULL;
	struct iommucap_requirement *req = NULL;
	_cleanup_free_ char *qarg = NULL, *xml = NULL, *fallback = NULL;
	json_t *o = NULL, *choices, *lost, *reqdoc = NULL, *units;
	int k;

	if (!v) {
		*ret_error = strdup("unknown vIOMMU model: known are intel-iommu, amd-iommu, "
				    "arm-smmuv3 and virtio-iommu-pci");
		return -EINVAL;
	}
	/* With a device, a check judges only the device's unit. */
	if (!device) {
		k = merged_units(h, &merged);
		if (k < 0)
			return k;
		s.hs = &merged;
	}
	lost = json_array();
	if (!lost) {
		free(merged.units);
		return -ENOMEM;
	}
	if (migratable && v->unmigratable) {
		json_array_append_new(lost, json_pack("{s:s, s:s, s:s}", "option", v->qemu, "value",
						      "", "why", v->unmigratable_why));
		s.v = v = find_viommu("virtio-iommu-pci");
	}
	k = search_form(&s, ret_error);
	/* The host's own vIOMMU backs no assigned device here (arm-smmuv3 without a nesting
	 * host: accel=on is refused, and accel off refuses every assigned device): virtio-iommu,
	 * which QEMU backs on any IOMMU, says why in "base". */
	if (k == -ENOENT && !model && v != find_viommu("virtio-iommu-pci")) {
		_cleanup_free_ char *plain = NULL, *first = NULL;

		free(*ret_error);
		*ret_error = NULL;
		/* Why: QEMU's defaults, and its first property (accel) on. */
		k = first_refusal(&s, -1, &plain);
		if (k >= 0)
			k = first_refusal(&s, 0, &first);
		if (k < 0)
			goto out;
		if (asprintf(&fallback,
			     "virtio-iommu-pci: no option set of %s is compatible with this host%s "
			     "(%s: %s; %s=on: %s)",
			     v->qemu, migratable ? " and a migratable guest" : "", v->qemu, plain,
			     v->knobs[0].qemu, first) < 0) {
			fallback = NULL;
			k = -ENOMEM;
			goto out;
		}
		s.v = v = find_viommu("virtio-iommu-pci");
		k = search_form(&s, ret_error);
	}
	if (k < 0)
		goto out;
	/* The libvirt form: the same search over what libvirt can spell. */
	lv = s;
	lv.libvirt = true;
	k = search_form(&lv, ret_error);
	if (k < 0)
		goto out;
	/* What --migratable left out: the strongest without it, option by option. */
	if (migratable) {
		full = s;
		full.migratable = false;
		k = search_form(&full, ret_error);
		if (k < 0)
			goto out;
		for (size_t i = 0; i < v->n_knobs; i++) {
			char a[16], b[16];
			const char *fv = value(&v->knobs[i], full.best[i], a);

			if (!streq(fv, value(&v->knobs[i], s.best[i], b)))
				json_array_append_new(
					lost,
					json_pack(
						"{s:s, s:s, s:s}", "option", v->knobs[i].qemu,
						"value", fv, "why",
						"a guest sees it only through a device assigned "
						"behind the vIOMMU, and QEMU blocks migration "
						"then (vfio_migration_realize(): \"Migration is "
						"currently not supported with vIOMMU enabled\")"));
		}
	}
	qarg = qemu_arg(v, s.best, false);
	xml = libvirt_xml(v, lv.best);
	if (!qarg || !xml) {
		k = -ENOMEM;
		goto out;
	}
	k = try_pick(&s, h, s.best, &best, NULL);
	if (k >= 0)
		k = requirement(&s, s.best, &req, NULL);
	if (k >= 0)
		k = iommucap_requirement_to_json(req, &reqdoc);
	if (k < 0)
		goto out;
	units = json_array();
	for (size_t i = 0; units && i < best->n_candidates; i++)
		json_array_append_new(units, json_string(best->candidates[i]));
	choices = json_array();
	o = json_pack("{s:s, s:o, s:s, s:s, s:b, s:s, s:s, s:o, s:o, s:o, s:o}", "vmm", "qemu-11.1",
		      "device", str_or_null(device), "model", v->qemu, "libvirt_model", v->libvirt,
		      "migratable", migratable, "qemu", qarg, "libvirt", xml, "requirement", reqdoc,
		      "units", units, "base", str_or_null(fallback ?: v->base_why), "choices",
		      choices);
	reqdoc = NULL;
	if (!o) {
		k = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < v->n_knobs && k >= 0; i++)
		k = choice(&s, i, best, choices);
	if (k >= 0 && json_object_set(o, "lost_for_migration", migratable ? lost : json_null()) < 0)
		k = -ENOMEM;
out:
	free(merged.units);
	json_decref(lost);
	json_decref(reqdoc);
	iommucap_compat_free(best);
	iommucap_requirement_free(req);
	if (k < 0) {
		json_decref(o);
		return k;
	}
	*ret = o;
	return 0;
}

/* 1 when the search finds a compatible option set, 0 when none is, or <0. */
static int found(struct search *s)
{
	_cleanup_free_ char *error = NULL;
	int k = search_form(s, &error);

	return k == -ENOENT ? 0 : k < 0 ? k : 1;
}

/* A model when both forms are found (as iommucap_suggest() needs), NULL when not; or <0. */
static int both_forms(struct search *s, int qemu_found, const char **ret)
{
	struct search lv = *s;
	int k = qemu_found;

	*ret = NULL;
	lv.libvirt = true;
	if (k > 0)
		k = found(&lv);
	if (k == -ENOMEM)
		return k;
	if (k > 0)
		*ret = s->v->qemu;
	return 0;
}

int iommucap_suggest_models(const struct iommucap_host *h, const char **ret_model,
			    const char **ret_migratable)
{
	const struct viommu *v = natural(h, NULL);
	struct iommucap_host merged;
	struct search s = { .h = h, .v = v }, m = { .h = h, .migratable = true };
	int k, qf, mf;

	k = merged_units(h, &merged);
	if (k < 0)
		return k;
	s.hs = m.hs = &merged;
	/* iommucap_suggest() with migratable searches its vIOMMU with and without migratable;
	 * when that is the same vIOMMU, the second search is the one just made. */
	m.v = v->unmigratable ? find_viommu("virtio-iommu-pci") : v;
	qf = found(&s);
	/* As iommucap_suggest() falls back to virtio-iommu-pci. */
	if (qf == 0 && v != find_viommu("virtio-iommu-pci")) {
		s.v = find_viommu("virtio-iommu-pci");
		if (m.v == v)
			m.v = s.v;
		v = s.v;
		qf = found(&s);
	}
	k = both_forms(&s, qf, ret_model);
	if (k >= 0) {
		struct search full = m;

		full.migratable = false;
		mf = found(&m);
		if (mf > 0)
			mf = m.v == v ? qf : found(&full);
		k = both_forms(&m, mf, ret_migratable);
	}
	free(merged.units);
	return k;
}

/* Every pick of one vIOMMU over what libvirt can spell, from index i on. */
static int libvirt_forms(struct search *s, int *pick, size_t i, suggest_libvirt_form_fn f,
			 void *userdata)
{
	_cleanup_free_ char *xml = NULL, *error = NULL;
	struct iommucap_requirement *r = NULL;
	int k;

	if (i < s->v->n_knobs) {
		if (!s->v->knobs[i].libvirt) {
			pick[i] = -1;
			return libvirt_forms(s, pick, i + 1, f, userdata);
		}
		for (int j = 0; j < n_values(&s->v->knobs[i]); j++) {
			pick[i] = j;
			k = libvirt_forms(s, pick, i + 1, f, userdata);
			if (k < 0)
				return k;
		}
		return 0;
	}
	xml = libvirt_xml(s->v, pick);
	if (!xml)
		return -ENOMEM;
	k = requirement(s, pick, &r, &error);
	if (k < 0 && k != -EINVAL)
		return k;
	k = f(xml, r, error, userdata);
	iommucap_requirement_free(r);
	return k;
}

int suggest_libvirt_forms(suggest_libvirt_form_fn f, void *userdata)
{
	for (size_t i = 0; i < ELEMENTSOF(viommus); i++) {
		struct search s = { .v = &viommus[i], .libvirt = true };
		int pick[MAX_KNOBS], k;

		k = libvirt_forms(&s, pick, 0, f, userdata);
		if (k < 0)
			return k;
	}
	return 0;
}

int iommucap_suggest_print(json_t *sg, FILE *f)
{
	json_t *c, *m;
	size_t i, j;

	fprintf(f, "QEMU 11.1:  -device %s\n", json_string_value(json_object_get(sg, "qemu")));
	fprintf(f, "libvirt:\n%s", json_string_value(json_object_get(sg, "libvirt")));
	if (json_is_string(json_object_get(sg, "device")))
		fprintf(f, "for device: %s\n", json_string_value(json_object_get(sg, "device")));
	if (json_is_string(json_object_get(sg, "base")))
		fprintf(f, "\n%s\n", json_string_value(json_object_get(sg, "base")));
	json_array_foreach (json_object_get(sg, "choices"), i, c) {
		const char *val = json_string_value(json_object_get(c, "value"));

		fprintf(f, "\n%s=%s\n    %s\n", json_string_value(json_object_get(c, "option")),
			val ?: "(unset)", json_string_value(json_object_get(c, "why")));
		if (json_is_string(json_object_get(c, "note")))
			fprintf(f, "    not searched: %s\n",
				json_string_value(json_object_get(c, "note")));
		json_array_foreach (json_object_get(c, "host"), j, m)
			fprintf(f, "    host: %s\n", json_string_value(m));
		if (json_is_string(json_object_get(c, "stronger")))
			json_array_foreach (json_object_get(c, "refused"), j, m)
				fprintf(f, "    %s=%s is refused: %s\n",
					json_string_value(json_object_get(c, "option")),
					json_string_value(json_object_get(c, "stronger")),
					json_string_value(m));
		else if (!json_is_string(json_object_get(c, "note")))
			fprintf(f, "    the strongest value\n");
	}
	if (json_is_array(json_object_get(sg, "lost_for_migration"))) {
		fputs("\nleft out so the guest stays migratable:\n", f);
		if (!json_array_size(json_object_get(sg, "lost_for_migration")))
			fputs("    nothing\n", f);
		json_array_foreach (json_object_get(sg, "lost_for_migration"), i, c)
			fprintf(f, "    %s%s%s: %s\n",
				json_string_value(json_object_get(c, "option")),
				*json_string_value(json_object_get(c, "value")) ? "=" : "",
				json_string_value(json_object_get(c, "value")),
				json_string_value(json_object_get(c, "why")));
	}
	return ferror(f) ? -EIO : 0;
}
