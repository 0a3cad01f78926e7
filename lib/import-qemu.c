/* Importer: a QEMU -device argument (intel-iommu, arm-smmuv3, ...) as a requirement document. */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>

#include "macro.h"
#include "requirement.h"

/*
 * What QEMU checks against the host, and so what the requirement asks for (host needs only;
 * knobs that only shape the guest's view are accepted and ignored):
 *
 *   intel-iommu      aw-bits=N          min.input_bits N, qemu.aw_bits N; unset: QEMU's 48
 *                                       (vtd_check_hiod() compares it with every host)
 *                    scalable-mode=on   qemu.scalable_mode (QEMU emulates it without asking the
 *                                       host: a warning where the host has none)
 *                    fsts=on            features.nesting, features.scalable_mode, qemu.flts;
 *                                       qemu.fs1gp takes QEMU's default (on) unless given
 *                    fs1gp=on|off       qemu.fs1gp
 *                    pasid-bits=N       qemu.pasid N (QEMU compares it with the host only
 *                                       under fsts, and only for a device with PASIDs)
 *                    device-iotlb=on    qemu.device_iotlb (a warning without the host's and the
 *                                       device's ATS: QEMU does not check them)
 *                    svm=on             qemu.svm (guest SVA takes page requests from the host
 *                                       through the IOMMUFD fault queue: a warning without PRI)
 *                    caching-mode=on|off qemu.caching_mode, always (QEMU's default: off); an
 *                                       assigned device needs it on
 *   arm-smmuv3       accel=on           features.nesting, qemu.accel; qemu.oas takes QEMU's
 *                                       default (44) unless given
 *                    ssidsize=N         min.ssid_bits N, qemu.ssidsize N
 *                    oas=N              min.output_bits N, qemu.oas N
 *                    ats=on             features.ats, qemu.ats
 *                    ril=on|off         qemu.ril
 *                    "auto": no minimum, QEMU takes the host's value
 *   virtio-iommu-pci aw-bits=N          qemu.aw_bits N (QEMU does not compare it with the
 *                                       host: a warning where the host has fewer input bits)
 *                    granule=G          qemu.granule (QEMU narrows its page-size mask with the
 *                                       host's; no page size of its own is needed)
 *   amd-iommu        device-iotlb=on    qemu.device_iotlb, as for intel-iommu
 *
 * The property names are QEMU 11.1's (Debian trixie-backports 1:11.1.3+ds-2~bpo13+1, as
 * `-device intel-iommu,help` etc. list them). The spellings of QEMU 10.x and older that 11.1
 * dropped (x-scalable-mode, x-flts, x-pasid-mode, pasid, dma-drain, x-buggy-eim, pt) are refused
 * as 11.1 refuses any unknown property: "Property 'intel-iommu.x-flts' not found". Option sets
 * QEMU refuses by itself (vtd_decide_config(), smmu_validate_property()) are refused here with
 * QEMU 11.1's message; tests/qemu-judge.py compares both verdicts with QEMU 11.1 itself.
 * A default is filled in only where QEMU checks it against the host and sysfs can answer:
 * aw-bits (48) and caching-mode (off) of intel-iommu, fs1gp (on) with fsts, oas (44) with
 * accel. ril (on) and SIDSIZE (16) are checked by QEMU too, but no host document holds IDR3.RIL
 * or IDR1.SIDSIZE, so they are not invented here.
 */

enum slot {
	S_AW_BITS,
	S_SCALABLE,
	S_FLTS,
	S_FS1GP,
	S_PASID,
	S_IOTLB,
	S_SVM,
	S_ACCEL,
	S_SSIDSIZE,
	S_OAS,
	S_RIL,
	S_ATS,
	S_GRANULE,
	S_DMA_TRANSLATION,
	S_INTREMAP,
	S_EIM,
	S_CMDQV,
	S_CACHING,
	_S_MAX,
	S_NONE = -1,
};

enum ptype {
	P_ANY,	     /* generic or guest-only: any value */
	P_BOOL,	     /* on/off, yes/no, true/false */
	P_ONOFFAUTO, /* on/off/auto (and the bool spellings, the older type of some) */
	P_UINT,	     /* a number in [lo, hi] */
	P_UINT_AUTO, /* a number in [lo, hi], or auto */
	P_GRANULE,   /* virtio-iommu's GranuleMode */
	P_READONLY,  /* listed by QEMU but not settable ("is not writable") */
	P_SRIOV_PF,  /* pci_qdev_realize() refuses any value for a device without SR-IOV */
};

struct prop {
	const char *name;
	enum ptype type;
	enum slot slot;
	int64_t lo, hi;
};

/* A property's value once parsed: the last one given wins, as in QEMU. */
struct value {
	bool set;
	bool is_auto;
	int64_t num; /* P_BOOL/P_ONOFFAUTO: 0 or 1 */
	const char *str;
};

#define ANY(n)                                                                                     \
	{                                                                                          \
		n, P_ANY, S_NONE, 0, 0                                                             \
	}
#define BOOL(n, s)                                                                                 \
	{                                                                                          \
		n, P_BOOL, s, 0, 1                                                                 \
	}
/* A boolean QEMU checks the spelling of, that the requirement does not use. */
#define FLAG(n)                                                                                    \
	{                                                                                          \
		n, P_BOOL, S_NONE, 0, 1                                                            \
	}
#define UINT(n, s, l, h)                                                                           \
	{                                                                                          \
		n, P_UINT, s, l, h                                                                 \
	}

/* -device options every device takes (qdev_device_add()): id and bus. */
static const struct prop qdev_props[] = {
	ANY("id"),
	ANY("bus"),
};

/* PCI device generics (hw/pci/pci.c pci_props[] of QEMU 11.1, as `-device
 * virtio-iommu-pci,help` lists them): virtio-iommu-pci only; intel-iommu and amd-iommu are
 * system-bus devices (QEMU 11.1: "Property 'intel-iommu.addr' not found"). */
static const struct prop pci_props[] = {
	ANY("addr"),
	FLAG("multifunction"),
	ANY("romfile"),
	ANY("romsize"),
	ANY("rombar"),
	ANY("acpi-index"),
	ANY("failover_pair_id"),
	FLAG("x-pcie-lnksta-dllla"),
	FLAG("x-pcie-ari-nextfn-1"),
	FLAG("x-pcie-err-unc-mask"),
	FLAG("x-pcie-ext-tag"),
	ANY("x-max-bounce-buffer-size"),
	{ "busnr", P_READONLY, S_NONE, 0, 0 },
	{ "sriov-pf", P_SRIOV_PF, S_NONE, 0, 0 },
};

/* hw/i386/x86-iommu.c, shared by intel-iommu and amd-iommu. */
#define X86_IOMMU_PROPS                                                                            \
	{ "intremap", P_ONOFFAUTO, S_INTREMAP, 0, 1 }, BOOL("device-iotlb", S_IOTLB),              \
		BOOL("dma-translation", S_DMA_TRANSLATION)

/* hw/i386/intel_iommu.c vtd_properties[] of QEMU 11.1 (its `-device intel-iommu,help`: no
 * x- prefixes; fsts was x-flts, pasid-bits was pasid, dma-drain is gone). pasid-bits is a
 * uint8: QEMU takes 0..255 and vtd_decide_config() does not bound it. */
static const struct prop intel_props[] = {
	X86_IOMMU_PROPS,
	ANY("version"),
	{ "eim", P_ONOFFAUTO, S_EIM, 0, 1 },
	UINT("aw-bits", S_AW_BITS, 0, 255),
	BOOL("caching-mode", S_CACHING),
	BOOL("scalable-mode", S_SCALABLE),
	BOOL("fsts", S_FLTS),
	FLAG("snoop-control"),
	UINT("pasid-bits", S_PASID, 0, 255),
	BOOL("svm", S_SVM),
	FLAG("stale-tm"),
	BOOL("fs1gp", S_FS1GP),
};

/* hw/i386/amd_iommu.c amdvi_properties[] of QEMU 11.1 (its `-device amd-iommu,help`; no pt,
 * no numint2k). */
static const struct prop amd_props[] = {
	X86_IOMMU_PROPS,
	FLAG("xtsup"),
	ANY("pci-id"),
	FLAG("dma-remap"),
};

/* hw/arm/smmuv3.c smmuv3_properties[] and hw/arm/smmu-common.c smmu_dev_properties[] of QEMU
 * 11.1 (its `-device arm-smmuv3,help`). oas is an OasMode and ssidsize an SsidSizeMode (0..20 or
 * auto); an oas value other than auto, 44 or 48 is refused by smmu_validate_property(). */
static const struct prop smmuv3_props[] = {
	ANY("stage"),
	BOOL("accel", S_ACCEL),
	ANY("msi-gpa"),
	{ "ril", P_ONOFFAUTO, S_RIL, 0, 1 },
	{ "ats", P_ONOFFAUTO, S_ATS, 0, 1 },
	{ "cmdqv", P_ONOFFAUTO, S_CMDQV, 0, 1 },
	{ "oas", P_UINT_AUTO, S_OAS, 0, 255 },
	{ "ssidsize", P_UINT_AUTO, S_SSIDSIZE, 0, 20 },
	ANY("primary-bus"),
	ANY("bus_num"),
	ANY("identifier"),
	FLAG("smmu_per_bus"),
	ANY("memory"),
	ANY("secure-memory"),
};

/* hw/virtio/virtio-iommu.c virtio_iommu_properties[], virtio-pci's and virtio-device's, as QEMU
 * 11.1's `-device virtio-iommu-pci,help` lists them (tests/qemu-judge.py sets each one). */
static const struct prop virtio_props[] = {
	ANY("primary-bus"),
	FLAG("boot-bypass"),
	UINT("aw-bits", S_AW_BITS, 0, 255),
	{ "granule", P_GRANULE, S_GRANULE, 0, 0 },
	ANY("reserved-regions"),
	ANY("class"),
	{ "disable-legacy", P_ONOFFAUTO, S_NONE, 0, 1 },
	FLAG("disable-modern"),
	FLAG("x-disable-legacy-check"),
	FLAG("page-per-vq"),
	FLAG("modern-pio-notify"),
	FLAG("ats"),
	FLAG("x-ats-page-aligned"),
	FLAG("aer"),
	FLAG("x-pcie-flr-init"),
	FLAG("x-pcie-pm-no-soft-reset"),
	FLAG("virtio-pci-bus-master-bug-migration"),
	FLAG("indirect_desc"),
	FLAG("event_idx"),
	FLAG("notify_on_empty"),
	FLAG("any_layout"),
	FLAG("iommu_platform"),
	FLAG("packed"),
	FLAG("queue_reset"),
	FLAG("in_order"),
	FLAG("use-started"),
	FLAG("use-disabled-flag"),
	{ "virtio-backend", P_READONLY, S_NONE, 0, 0 },
};

static const char *const granules[] = { "4k", "8k", "16k", "64k", "host", NULL };

struct device {
	const char *name;
	const char *alias;
	bool pci; /* takes pci_props[] */
	enum iommucap_vmm_kind kind;
	const struct prop *props;
	size_t n_props;
};

static const struct device devices[] = {
	{ "intel-iommu", NULL, false, IOMMUCAP_VMM_QEMU_INTEL_IOMMU, intel_props,
	  ELEMENTSOF(intel_props) },
	{ "arm-smmuv3", NULL, false, IOMMUCAP_VMM_QEMU_ARM_SMMUV3, smmuv3_props,
	  ELEMENTSOF(smmuv3_props) },
	{ "virtio-iommu-pci", "virtio-iommu", true, IOMMUCAP_VMM_QEMU_VIRTIO_IOMMU, virtio_props,
	  ELEMENTSOF(virtio_props) },
	{ "amd-iommu", NULL, false, IOMMUCAP_VMM_QEMU_AMD_IOMMU, amd_props, ELEMENTSOF(amd_props) },
};

struct importer {
	const struct device *dev;
	struct value v[_S_MAX];
	char *error;
};

_printf_(2, 3) static int fail(struct importer *im, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;

	if (im->error)
		return -EINVAL;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (msg && im->dev) {
		if (asprintf(&im->error, "%s: %s", im->dev->name, msg) < 0)
			im->error = NULL;
		free(msg);
	} else
		im->error = msg;
	return -EINVAL;
}

static const struct prop *find_prop(const struct device *d, const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(qdev_props); i++)
		if (streq(qdev_props[i].name, name))
			return &qdev_props[i];
	for (size_t i = 0; d->pci && i < ELEMENTSOF(pci_props); i++)
		if (streq(pci_props[i].name, name))
			return &pci_props[i];
	for (size_t i = 0; i < d->n_props; i++)
		if (streq(d->props[i].name, name))
			return &d->props[i];
	return NULL;
}

/* qapi_bool_parse()'s spellings. */
static int parse_bool(const char *s, bool *ret)
{
	if (streq(s, "on") || streq(s, "yes") || streq(s, "true"))
		*ret = true;
	else if (streq(s, "off") || streq(s, "no") || streq(s, "false"))
		*ret = false;
	else
		return -EINVAL;
	return 0;
}

/* A number as QEMU's string visitor reads it: strtoull(), base 0 (so 0x30 and 060 are 48). */
static int parse_uint(const char *s, int64_t hi, int64_t *ret)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > (unsigned long long)hi)
		return -EINVAL;
	*ret = (int64_t)v;
	return 0;
}

static int set_prop(struct importer *im, const char *key, const char *val)
{
	const struct prop *p = find_prop(im->dev, key);
	struct value nv = { .set = true };
	bool b;

	/* QEMU 11.1's words: qdev's "Property '%s.%s' not found", qapi's visitors' "Parameter
	 * '%s' expects ..." (qapi/string-input-visitor.c, qapi/qapi-visit-core.c). */
	if (!p)
		return fail(im, "Property '%s.%s' not found", im->dev->name, key);
	switch (p->type) {
	case P_ANY:
		return 0;
	case P_READONLY: /* qdev's object_property_parse() of a property without a setter */
		return fail(im, "Property '%s.%s' is not writable", im->dev->name, key);
	case P_SRIOV_PF: /* pci_qdev_realize() */
		return fail(im, "user cannot create SR-IOV VF with this device type");
	case P_BOOL:
		if (parse_bool(val, &b) < 0)
			return fail(im, "Parameter '%s' expects 'on' or 'off'", key);
		nv.num = b;
		break;
	case P_ONOFFAUTO:
		if (streq(val, "auto"))
			nv.is_auto = true;
		else if (parse_bool(val, &b) == 0)
			nv.num = b;
		else
			return fail(im, "Parameter '%s' does not accept value '%s'", key, val);
		break;
	case P_UINT:
	case P_UINT_AUTO:
		if (p->type == P_UINT_AUTO && streq(val, "auto"))
			nv.is_auto = true;
		else if (parse_uint(val, p->hi, &nv.num) < 0 || nv.num < p->lo) {
			if (p->type == P_UINT_AUTO) /* an enum: auto, or one of its numbers */
				return fail(im, "Parameter '%s' does not accept value '%s'", key,
					    val);
			char *end;

			errno = 0;
			(void)strtoll(val, &end, 0);
			if (end == val || *end)
				return fail(im, "Parameter '%s' expects integer", key);
			return fail(im, "Parameter '%s' expects uint8_t", key);
		}
		break;
	case P_GRANULE:
		for (size_t i = 0; granules[i] && !nv.str; i++)
			if (streq(granules[i], val))
				nv.str = granules[i];
		if (!nv.str)
			return fail(im, "Parameter '%s' does not accept value '%s'", key, val);
		break;
	}
	if (p->slot != S_NONE)
		im->v[p->slot] = nv;
	return 0;
}

static int set_device(struct importer *im, const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(devices); i++)
		if (streq(devices[i].name, name) ||
		    (devices[i].alias && streq(devices[i].alias, name))) {
			im->dev = &devices[i];
			return 0;
		}
	im->dev = NULL; /* the message names no device */
	return fail(im,
		    "unknown device \"%s\": known are intel-iommu, arm-smmuv3, "
		    "virtio-iommu-pci and amd-iommu",
		    name);
}

/* One option, unescaped: the driver (first, without '='), driver=X, key=value or a bare key. */
static int one_option(struct importer *im, char *opt, bool first, bool find_driver)
{
	char *eq = strchr(opt, '=');

	if (!*opt)
		return 0;
	if (!eq) {
		if (first)
			return find_driver ? set_device(im, opt) : 0;
		return find_driver ? 0 : set_prop(im, opt, "on");
	}
	*eq = 0;
	if (streq(opt, "driver"))
		return find_driver ? set_device(im, eq + 1) : 0;
	return find_driver ? 0 : set_prop(im, opt, eq + 1);
}

/*
 * QEMU's option syntax: the driver, then key=value options separated by commas, ",," standing
 * for a comma. Two passes: the driver may be named by driver= anywhere, and it decides which
 * properties exist.
 */
static int parse_options(struct importer *im, const char *arg, bool find_driver)
{
	_cleanup_free_ char *opt = malloc(strlen(arg) + 1);
	const char *p = arg;
	bool first = true;
	int k;

	if (!opt)
		return -ENOMEM;
	for (;;) {
		size_t n = 0;

		while (*p) {
			if (*p == ',') {
				if (p[1] != ',')
					break;
				p++;
			}
			opt[n++] = *p++;
		}
		opt[n] = 0;
		if ((k = one_option(im, opt, first, find_driver)) < 0)
			return k;
		first = false;
		if (!*p)
			return 0;
		p++;
	}
}

/* The JSON form, -device '{"driver": "intel-iommu", "aw-bits": 48}'. */
static int parse_json_options(struct importer *im, const char *arg)
{
	json_error_t jerr;
	json_t *o = json_loads(arg, JSON_REJECT_DUPLICATES, &jerr), *v;
	const char *key;
	int k = 0;

	if (!o)
		return fail(im, "not JSON: %s", jerr.text);
	if (!json_is_object(o))
		k = fail(im, "the JSON form must be an object");
	if (k == 0 && !json_is_string(json_object_get(o, "driver")))
		k = fail(im, "the JSON form needs a \"driver\" string");
	if (k == 0)
		k = set_device(im, json_string_value(json_object_get(o, "driver")));
	json_object_foreach (o, key, v) {
		char num[32];
		const char *val = num;

		if (k < 0 || streq(key, "driver"))
			continue;
		if (json_is_boolean(v))
			val = json_is_true(v) ? "on" : "off";
		else if (json_is_integer(v))
			snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		else if (json_is_string(v))
			val = json_string_value(v);
		else {
			k = fail(im, "%s: expected a string, a number or a boolean", key);
			continue;
		}
		k = set_prop(im, key, val);
	}
	json_decref(o);
	return k;
}

static void raise_min(struct iommucap_requirement *r, enum iommucap_req_min m, int64_t n)
{
	if (n > 0 && (!r->min[m].set || r->min[m].value < n))
		r->min[m] = (struct iommucap_opt_int){ .set = true, .value = n };
}

static enum iommucap_want want(bool b)
{
	return b ? IOMMUCAP_WANT_TRUE : IOMMUCAP_WANT_FALSE;
}

static bool on(const struct value *v)
{
	return v->set && !v->is_auto && v->num;
}

static struct iommucap_opt_int opt(int64_t n)
{
	return (struct iommucap_opt_int){ .set = true, .value = n };
}

/* A boolean property with QEMU's default when it is not given. */
static bool on_or(const struct value *v, bool dflt)
{
	return v->set ? on(v) : dflt;
}

/*
 * What QEMU refuses before it looks at any host: vtd_decide_config() in hw/i386/intel_iommu.c of
 * QEMU 11.1, in its order, with its messages (the QEMU 11.1.3 binary's own text; aw-bits defaults
 * to 48, dma-translation to on; no dma-drain any more). pasid-bits > 0 is PASID support.
 */
static int intel_decide_config(struct importer *im)
{
	const struct value *v = im->v;
	bool scalable = on(&v[S_SCALABLE]), flts = on(&v[S_FLTS]);
	int64_t aw = v[S_AW_BITS].set ? v[S_AW_BITS].num : 48;
	int64_t pasid_bits = v[S_PASID].set ? v[S_PASID].num : 0;

	/* x86_iommu_ir_supported(): intremap=auto is on under TCG. */
	if (on(&v[S_EIM]) && v[S_INTREMAP].set && !v[S_INTREMAP].is_auto && !v[S_INTREMAP].num)
		return fail(im, "eim=on cannot be selected without intremap=on");
	if (!scalable && flts)
		return fail(im, "fsts is only available in scalable mode");
	if (!flts && aw != 39 && aw != 48)
		return fail(im, "%s: supported values for aw-bits are: %d, %d",
			    scalable ? "Scalable mode(fsts=off)" : "Legacy mode", 39, 48);
	if (flts && aw != 48)
		return fail(im, "Scalable mode(fsts=on): supported value for aw-bits is: %d", 48);
	if (pasid_bits && !scalable)
		return fail(im, "Need to set scalable mode for PASID");
	if (pasid_bits > 20)
		return fail(im, "PASID width %d exceeds Max PASID Width %d allowed in PCI spec",
			    (int)pasid_bits, 20);
	if (on(&v[S_SVM])) {
		if (!on(&v[S_IOTLB]))
			return fail(im, "Need to set device IOTLB for svm");
		if (!flts)
			return fail(im, "Need to set fsts for svm");
		if (!on_or(&v[S_DMA_TRANSLATION], true))
			return fail(im, "Need to set dma-translation for svm");
		if (!pasid_bits)
			return fail(im, "Need to set PASID support for svm");
	}
	return 0;
}

static int map_intel(struct importer *im, struct iommucap_requirement *r)
{
	const struct value *v = im->v;
	struct iommucap_vmm *q = &r->vmm;
	bool flts = on(&v[S_FLTS]);
	int k = intel_decide_config(im);

	if (k < 0)
		return k;

	/* QEMU 11.1's default aw-bits is 48 (VTD_HOST_ADDRESS_WIDTH), and vtd_check_hiod()
	 * compares it with the host's before anything else: "aw-bits %d > host aw-bits %d". */
	q->aw_bits = opt(v[S_AW_BITS].set ? v[S_AW_BITS].num : 48);
	raise_min(r, IOMMUCAP_MIN_INPUT_BITS, q->aw_bits.value);
	/* QEMU 11.1 checks the host only for caching mode, aw-bits and, under fsts, the
	 * first-stage facts (vtd_dev_set_iommu_device(), vtd_check_hiod(),
	 * vtd_check_hiod_accel()); scalable mode, device-iotlb and svm it emulates without
	 * asking, so they are facts to warn about (qemu.intel-iommu.*), not host needs. */
	if (on(&v[S_SCALABLE]))
		q->scalable_mode = IOMMUCAP_WANT_TRUE;
	if (v[S_FLTS].set)
		q->flts = want(flts);
	if (flts) {
		/* Guest first-stage tables over a host second stage: nested translation. */
		r->features[IOMMUCAP_FEAT_NESTING] = IOMMUCAP_WANT_TRUE;
		r->features[IOMMUCAP_FEAT_SCALABLE_MODE] = IOMMUCAP_WANT_TRUE;
	}
	/* fs1gp defaults to on; QEMU checks the host's FS1GP only with fsts. */
	if (v[S_FS1GP].set)
		q->fs1gp = want(v[S_FS1GP].num);
	else if (flts)
		q->fs1gp = IOMMUCAP_WANT_TRUE;
	/* No min.ssid_bits: QEMU accepts pasid-bits the host does not back unless it checks
	 * (qemu.intel-iommu.pasid says which, and warns otherwise). */
	if (v[S_PASID].set)
		q->pasid = opt(v[S_PASID].num);
	if (on(&v[S_IOTLB]))
		q->device_iotlb = IOMMUCAP_WANT_TRUE;
	if (on(&v[S_SVM]))
		q->svm = IOMMUCAP_WANT_TRUE;
	/* Spelt out either way: QEMU's default (off) refuses every assigned device. */
	q->caching_mode = want(on(&v[S_CACHING]));
	return 0;
}

static int map_smmuv3(struct importer *im, struct iommucap_requirement *r)
{
	const struct value *v = im->v;
	struct iommucap_vmm *q = &r->vmm;
	bool accel = on(&v[S_ACCEL]);

	/* smmu_validate_property() in hw/arm/smmuv3.c, with QEMU 11.1's messages (the QEMU
	 * 11.1.3 binary's own text): OAS is auto, 44 or 48; ril off, ats on, cmdqv on, oas 48 and
	 * a nonzero ssidsize need accel=on ("auto" is what QEMU takes without accel). */
	if (v[S_OAS].set && !v[S_OAS].is_auto && v[S_OAS].num != 44 && v[S_OAS].num != 48)
		return fail(im, "QEMU SMMUv3 model only implements auto, 44 bit, or 48 bit OAS. "
				"Other OasMode values are not supported.");
	if (!accel) {
		if (v[S_RIL].set && !v[S_RIL].is_auto && !v[S_RIL].num)
			return fail(im, "ril can only be disabled if accel=on");
		if (v[S_ATS].set && !v[S_ATS].is_auto && v[S_ATS].num)
			return fail(im, "ats can only be enabled if accel=on");
		if (v[S_OAS].set && !v[S_OAS].is_auto && v[S_OAS].num != 44)
			return fail(im, "oas must be 44 bits when accel=off");
		if (v[S_SSIDSIZE].set && !v[S_SSIDSIZE].is_auto && v[S_SSIDSIZE].num)
			return fail(im, "ssidsize can only be greater than 0 bits if accel=on");
		if (v[S_CMDQV].set && !v[S_CMDQV].is_auto && v[S_CMDQV].num)
			return fail(im, "cmdqv can only be enabled if accel=on");
	}
	if (v[S_ACCEL].set)
		q->accel = want(accel);
	if (accel)
		r->features[IOMMUCAP_FEAT_NESTING] = IOMMUCAP_WANT_TRUE;
	if (v[S_SSIDSIZE].set && !v[S_SSIDSIZE].is_auto) {
		q->ssidsize = opt(v[S_SSIDSIZE].num);
		if (accel)
			raise_min(r, IOMMUCAP_MIN_SSID_BITS, v[S_SSIDSIZE].num);
	}
	if (v[S_OAS].set && !v[S_OAS].is_auto)
		q->oas = opt(v[S_OAS].num);
	else if (!v[S_OAS].set && accel)
		q->oas = opt(44); /* QEMU's default, checked against the host's IDR5.OAS */
	if (accel && q->oas.set)
		raise_min(r, IOMMUCAP_MIN_OUTPUT_BITS, q->oas.value);
	if (v[S_ATS].set && !v[S_ATS].is_auto) {
		q->ats = want(v[S_ATS].num);
		if (accel && v[S_ATS].num)
			r->features[IOMMUCAP_FEAT_ATS] = IOMMUCAP_WANT_TRUE;
	}
	if (v[S_RIL].set && !v[S_RIL].is_auto)
		q->ril = want(v[S_RIL].num);
	return 0;
}

static int map_virtio(struct importer *im, struct iommucap_requirement *r)
{
	const struct value *v = im->v;
	struct iommucap_vmm *q = &r->vmm;

	/* virtio_iommu_device_realize() (hw/virtio/virtio-iommu.c, QEMU 11.1). */
	if (v[S_AW_BITS].set && (v[S_AW_BITS].num < 32 || v[S_AW_BITS].num > 64))
		return fail(im, "aw-bits must be within [32,64]");
	/* QEMU does not compare aw-bits with the host: the assigned device's usable IOVA ranges
	 * become reserved regions of the guest (virtio_iommu_set_host_iova_ranges()), so no
	 * minimum; qemu.virtio-iommu.aw-bits warns where the host has fewer bits. */
	if (v[S_AW_BITS].set)
		q->aw_bits = opt(v[S_AW_BITS].num);
	if (v[S_GRANULE].set) {
		q->granule = strdup(v[S_GRANULE].str);
		if (!q->granule)
			return -ENOMEM;
	}
	return 0;
}

static int map(struct importer *im, struct iommucap_requirement *r)
{
	r->vmm.kind = im->dev->kind;
	switch (im->dev->kind) {
	case IOMMUCAP_VMM_QEMU_INTEL_IOMMU:
		return map_intel(im, r);
	case IOMMUCAP_VMM_QEMU_ARM_SMMUV3:
		return map_smmuv3(im, r);
	case IOMMUCAP_VMM_QEMU_VIRTIO_IOMMU:
		return map_virtio(im, r);
	case IOMMUCAP_VMM_QEMU_AMD_IOMMU:
		/* amd-iommu checks nothing of the host (hw/i386/amd_iommu.c, QEMU 11.1). */
		if (on(&im->v[S_IOTLB]))
			r->vmm.device_iotlb = IOMMUCAP_WANT_TRUE;
		return 0;
	case IOMMUCAP_VMM_NONE:
		break;
	}
	return -EINVAL;
}

int iommucap_requirement_from_qemu(const char *device_arg, struct iommucap_requirement **ret,
				   char **ret_error)
{
	struct importer im = { 0 };
	struct iommucap_requirement *r = NULL;
	const char *arg = device_arg;
	int k;

	/* What was pasted from a command line: "-device intel-iommu,..." */
	arg += strspn(arg, " \t\n");
	if (startswith(arg, "-device") || startswith(arg, "--device")) {
		const char *rest = arg + (arg[1] == '-' ? 8 : 7);

		if (*rest == ' ' || *rest == '\t' || *rest == '=')
			arg = rest + 1 + strspn(rest + 1, " \t");
	}
	if (*arg == '{')
		k = parse_json_options(&im, arg);
	else {
		k = parse_options(&im, arg, true);
		if (k == 0 && !im.dev)
			k = fail(&im,
				 "no device: the argument must start with intel-iommu, arm-smmuv3, "
				 "virtio-iommu-pci or amd-iommu");
		if (k == 0)
			k = parse_options(&im, arg, false);
	}
	if (k == 0) {
		r = calloc(1, sizeof(*r));
		k = r ? map(&im, r) : -ENOMEM;
	}
	if (k < 0) {
		iommucap_requirement_free(r);
		if (ret_error)
			*ret_error = im.error ? im.error : strdup(strerror(-k));
		else
			free(im.error);
		return k;
	}
	free(im.error);
	*ret = r;
	return 0;
}
