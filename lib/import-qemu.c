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
 *   intel-iommu      aw-bits=N          min.input_bits N, qemu.aw_bits N
 *                    x-scalable-mode=on features.scalable_mode (QEMU 11.1: scalable-mode)
 *                    x-flts=on, fsts=on features.nesting, features.scalable_mode, qemu.flts;
 *                                       qemu.fs1gp takes QEMU's default (on) unless given
 *                    fs1gp=on|off       qemu.fs1gp
 *                    pasid=N            min.ssid_bits N, qemu.pasid N (QEMU 11.1: pasid-bits)
 *                    x-pasid-mode=on    min.ssid_bits 1
 *                    device-iotlb=on    features.ats
 *                    svm=on             features.pri (guest SVA takes page requests from the
 *                                       host through the IOMMUFD fault queue)
 *   arm-smmuv3       accel=on           features.nesting, qemu.accel; qemu.oas takes QEMU's
 *                                       default (44) unless given
 *                    ssidsize=N         min.ssid_bits N, qemu.ssidsize N
 *                    oas=N              min.output_bits N, qemu.oas N
 *                    ats=on             features.ats, qemu.ats
 *                    ril=on|off         qemu.ril
 *                    "auto": no minimum, QEMU takes the host's value
 *   virtio-iommu-pci aw-bits=N          min.input_bits N, qemu.aw_bits N
 *                    granule=G          qemu.granule (QEMU narrows its page-size mask with the
 *                                       host's; no page size of its own is needed)
 *   amd-iommu        device-iotlb=on    features.ats
 *
 * Option sets QEMU refuses by itself (vtd_decide_config(), smmu_validate_property()) are
 * refused here with QEMU's message.
 * A default is filled in only where QEMU checks it against the host and sysfs can answer:
 * fs1gp (on) with x-flts, oas (44) with accel. ril (on) and SIDSIZE (16) are checked by QEMU
 * too, but no host document holds IDR3.RIL or IDR1.SIDSIZE, so they are not invented here.
 */

enum slot {
	S_AW_BITS,
	S_SCALABLE,
	S_FLTS,
	S_FS1GP,
	S_PASID,
	S_PASID_MODE,
	S_IOTLB,
	S_SVM,
	S_ACCEL,
	S_SSIDSIZE,
	S_OAS,
	S_RIL,
	S_ATS,
	S_GRANULE,
	S_DMA_DRAIN,
	S_DMA_TRANSLATION,
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
#define UINT(n, s, l, h)                                                                           \
	{                                                                                          \
		n, P_UINT, s, l, h                                                                 \
	}

/* -device options every device takes (qdev and PCI device generics). */
static const struct prop generic_props[] = {
	ANY("id"),
	ANY("bus"),
	ANY("addr"),
	ANY("multifunction"),
	ANY("romfile"),
	ANY("romsize"),
	ANY("rombar"),
	ANY("acpi-index"),
	ANY("failover_pair_id"),
	ANY("x-pcie-lnksta-dllla"),
	ANY("x-pcie-extcap-init"),
};

/* hw/i386/x86-iommu.c, shared by intel-iommu and amd-iommu. */
#define X86_IOMMU_PROPS                                                                            \
	ANY("intremap"), BOOL("device-iotlb", S_IOTLB), ANY("pt"),                                 \
		BOOL("dma-translation", S_DMA_TRANSLATION)

/* hw/i386/intel_iommu.c vtd_properties[], and its newer spellings (fsts, pasid=N, svm). */
static const struct prop intel_props[] = {
	X86_IOMMU_PROPS,
	ANY("version"),
	ANY("eim"),
	ANY("x-buggy-eim"),
	UINT("aw-bits", S_AW_BITS, 0, 64),
	ANY("caching-mode"),
	BOOL("x-scalable-mode", S_SCALABLE),
	BOOL("scalable-mode", S_SCALABLE), /* QEMU 11.1: "Remove 'x-' prefix" */
	BOOL("x-flts", S_FLTS),
	BOOL("fsts", S_FLTS), /* QEMU 11.1: "Change 'flts' property naming to 'fsts'" */
	ANY("snoop-control"),
	BOOL("x-pasid-mode", S_PASID_MODE),
	UINT("pasid", S_PASID, 0, 20),
	UINT("pasid-bits", S_PASID, 0, 20), /* QEMU 11.1: "Rename pasid property to pasid-bits" */
	BOOL("svm", S_SVM),
	BOOL("dma-drain", S_DMA_DRAIN),
	ANY("stale-tm"),
	BOOL("fs1gp", S_FS1GP),
};

/* hw/i386/amd_iommu.c amdvi_properties[]. */
static const struct prop amd_props[] = {
	X86_IOMMU_PROPS, ANY("xtsup"), ANY("pci-id"), ANY("dma-remap"), ANY("numint2k"),
};

/* hw/arm/smmuv3.c smmuv3_properties[] and hw/arm/smmu-common.c smmu_dev_properties[]. */
static const struct prop smmuv3_props[] = {
	ANY("stage"),
	BOOL("accel", S_ACCEL),
	ANY("msi-gpa"),
	{ "ril", P_ONOFFAUTO, S_RIL, 0, 1 },
	{ "ats", P_ONOFFAUTO, S_ATS, 0, 1 },
	{ "oas", P_UINT_AUTO, S_OAS, 0, 64 },
	{ "ssidsize", P_UINT_AUTO, S_SSIDSIZE, 0, 20 },
	ANY("primary-bus"),
	ANY("bus_num"),
};

/* hw/virtio/virtio-iommu.c virtio_iommu_properties[], virtio-pci and virtio-device ones. */
static const struct prop virtio_props[] = {
	ANY("primary-bus"),
	ANY("boot-bypass"),
	UINT("aw-bits", S_AW_BITS, 0, 64),
	{ "granule", P_GRANULE, S_GRANULE, 0, 0 },
	ANY("len-reserved-regions"),
	ANY("reserved-regions"),
	ANY("ioeventfd"),
	ANY("vectors"),
	ANY("disable-legacy"),
	ANY("disable-modern"),
	ANY("x-disable-legacy-check"),
	ANY("page-per-vq"),
	ANY("migrate-extra"),
	ANY("modern-pio-notify"),
	ANY("x-disable-pcie"),
	ANY("x-ignore-backend-features"),
	ANY("ats"),
	ANY("x-ats-page-aligned"),
	ANY("aer"),
	ANY("x-pcie-deverr-init"),
	ANY("x-pcie-lnkctl-init"),
	ANY("x-pcie-pm-init"),
	ANY("x-pcie-pm-no-soft-reset"),
	ANY("x-pcie-flr-init"),
	ANY("virtio-pci-bus-master-bug-migration"),
	ANY("indirect_desc"),
	ANY("event_idx"),
	ANY("notify_on_empty"),
	ANY("any_layout"),
	ANY("iommu_platform"),
	ANY("packed"),
	ANY("queue_reset"),
	ANY("in_order"),
	ANY("use-started"),
	ANY("use-disabled-flag"),
};

static const char *const granules[] = { "4k", "8k", "16k", "64k", "host", NULL };

struct device {
	const char *name;
	const char *alias;
	enum iommucap_vmm_kind kind;
	const struct prop *props;
	size_t n_props;
};

static const struct device devices[] = {
	{ "intel-iommu", NULL, IOMMUCAP_VMM_QEMU_INTEL_IOMMU, intel_props,
	  ELEMENTSOF(intel_props) },
	{ "arm-smmuv3", NULL, IOMMUCAP_VMM_QEMU_ARM_SMMUV3, smmuv3_props,
	  ELEMENTSOF(smmuv3_props) },
	{ "virtio-iommu-pci", "virtio-iommu", IOMMUCAP_VMM_QEMU_VIRTIO_IOMMU, virtio_props,
	  ELEMENTSOF(virtio_props) },
	{ "amd-iommu", NULL, IOMMUCAP_VMM_QEMU_AMD_IOMMU, amd_props, ELEMENTSOF(amd_props) },
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
	for (size_t i = 0; i < ELEMENTSOF(generic_props); i++)
		if (streq(generic_props[i].name, name))
			return &generic_props[i];
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

	if (!p)
		return fail(im, "unknown property \"%s\"", key);
	switch (p->type) {
	case P_ANY:
		return 0;
	case P_BOOL:
		if (parse_bool(val, &b) < 0)
			return fail(im, "%s=%s: expected on or off", key, val);
		nv.num = b;
		break;
	case P_ONOFFAUTO:
		if (streq(val, "auto"))
			nv.is_auto = true;
		else if (parse_bool(val, &b) == 0)
			nv.num = b;
		else
			return fail(im, "%s=%s: expected on, off or auto", key, val);
		break;
	case P_UINT:
	case P_UINT_AUTO:
		if (p->type == P_UINT_AUTO && streq(val, "auto"))
			nv.is_auto = true;
		else if (parse_uint(val, p->hi, &nv.num) < 0 || nv.num < p->lo)
			return fail(
				im, "%s=%s: expected a number from %" PRId64 " to %" PRId64 "%s",
				key, val, p->lo, p->hi, p->type == P_UINT_AUTO ? ", or auto" : "");
		break;
	case P_GRANULE:
		for (size_t i = 0; granules[i] && !nv.str; i++)
			if (streq(granules[i], val))
				nv.str = granules[i];
		if (!nv.str)
			return fail(im, "%s=%s: expected 4k, 8k, 16k, 64k or host", key, val);
		break;
	}
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
 * What QEMU refuses before it looks at any host: vtd_decide_config() in hw/i386/intel_iommu.c, in
 * its order, with its messages (QEMU 10.2, after "intel_iommu: Update terminology to match VTD
 * spec" and "intel_iommu: Add a CLI option to enable SVM"; aw-bits defaults to 48 since the
 * x-flts series of QEMU 9.2, dma-drain and dma-translation to on).
 */
static int intel_decide_config(struct importer *im)
{
	const struct value *v = im->v;
	bool scalable = on(&v[S_SCALABLE]), flts = on(&v[S_FLTS]);
	int64_t aw = v[S_AW_BITS].set ? v[S_AW_BITS].num : 48;
	bool pasid = on(&v[S_PASID_MODE]) || (v[S_PASID].set && v[S_PASID].num > 0);

	if (!scalable && flts)
		return fail(im, "x-flts is only available in scalable mode");
	if (!flts && aw != 39 && aw != 48)
		return fail(im, "%s: supported values for aw-bits are: %d, %d",
			    scalable ? "Scalable mode(flts=off)" : "Legacy mode", 39, 48);
	if (flts && aw != 48)
		return fail(im, "Scalable mode(x-flts=on): supported value for aw-bits is: %d", 48);
	if (scalable && !on_or(&v[S_DMA_DRAIN], true))
		return fail(im, "Need to set dma_drain for scalable mode");
	if (pasid && !scalable)
		return fail(im, "Need to set scalable mode for PASID");
	if (on(&v[S_SVM])) {
		if (!on(&v[S_IOTLB]))
			return fail(im, "Need to set device IOTLB for svm");
		if (!flts)
			return fail(im, "Need to set flts for svm");
		if (!on_or(&v[S_DMA_TRANSLATION], true))
			return fail(im, "Need to set dma-translation for svm");
		if (!pasid)
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

	if (v[S_AW_BITS].set) {
		q->aw_bits = opt(v[S_AW_BITS].num);
		raise_min(r, IOMMUCAP_MIN_INPUT_BITS, v[S_AW_BITS].num);
	}
	if (on(&v[S_SCALABLE]))
		r->features[IOMMUCAP_FEAT_SCALABLE_MODE] = IOMMUCAP_WANT_TRUE;
	if (v[S_FLTS].set)
		q->flts = want(flts);
	if (flts) {
		/* Guest first-stage tables over a host second stage: nested translation. */
		r->features[IOMMUCAP_FEAT_NESTING] = IOMMUCAP_WANT_TRUE;
		r->features[IOMMUCAP_FEAT_SCALABLE_MODE] = IOMMUCAP_WANT_TRUE;
	}
	/* fs1gp defaults to on; QEMU checks the host's FS1GP only with x-flts. */
	if (v[S_FS1GP].set)
		q->fs1gp = want(v[S_FS1GP].num);
	else if (flts)
		q->fs1gp = IOMMUCAP_WANT_TRUE;
	if (v[S_PASID].set) {
		q->pasid = opt(v[S_PASID].num);
		raise_min(r, IOMMUCAP_MIN_SSID_BITS, v[S_PASID].num);
	}
	if (on(&v[S_PASID_MODE]))
		raise_min(r, IOMMUCAP_MIN_SSID_BITS, 1);
	if (on(&v[S_IOTLB]))
		r->features[IOMMUCAP_FEAT_ATS] = IOMMUCAP_WANT_TRUE;
	if (on(&v[S_SVM]))
		r->features[IOMMUCAP_FEAT_PRI] = IOMMUCAP_WANT_TRUE;
	return 0;
}

static int map_smmuv3(struct importer *im, struct iommucap_requirement *r)
{
	const struct value *v = im->v;
	struct iommucap_vmm *q = &r->vmm;
	bool accel = on(&v[S_ACCEL]);

	/* smmu_validate_property() in hw/arm/smmuv3.c, with its messages (QEMU 11.0, the
	 * accel series): these need accel=on, and OAS is 44 or 48. */
	if (!accel) {
		if (v[S_RIL].set && (v[S_RIL].is_auto || !v[S_RIL].num))
			return fail(im, "ril can only be disabled if accel=on");
		if (v[S_ATS].set && (v[S_ATS].is_auto || v[S_ATS].num))
			return fail(im, "ats can only be enabled if accel=on");
		if (v[S_OAS].set && (v[S_OAS].is_auto || v[S_OAS].num != 44))
			return fail(im, "OAS must be 44 bits when accel=off");
		if (v[S_SSIDSIZE].set && (v[S_SSIDSIZE].is_auto || v[S_SSIDSIZE].num))
			return fail(im, "ssidsize can only be set if accel=on");
	}
	if (v[S_OAS].set && !v[S_OAS].is_auto && v[S_OAS].num != 44 && v[S_OAS].num != 48)
		return fail(im, "OAS can only be set to 44 or 48 bits");
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

	if (v[S_AW_BITS].set) {
		q->aw_bits = opt(v[S_AW_BITS].num);
		raise_min(r, IOMMUCAP_MIN_INPUT_BITS, v[S_AW_BITS].num);
	}
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
		if (on(&im->v[S_IOTLB]))
			r->features[IOMMUCAP_FEAT_ATS] = IOMMUCAP_WANT_TRUE;
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
