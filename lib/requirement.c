/* The requirement document: parse, check and print it (schema/requirement.schema.json). */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>

#include "jsonpath.h"
#include "macro.h"
#include "requirement.h"

/* The capabilities behind min and features, in the catalogue's order. */
static const enum iommucap_cap min_caps[_IOMMUCAP_MIN_MAX] = {
#define CAP(...)
#define CAP_MIN(id, ...) IOMMUCAP_##id,
#include "capabilities.def"
#undef CAP
};

static const enum iommucap_cap feature_caps[_IOMMUCAP_FEAT_MAX] = {
#define CAP(...)
#define CAP_FEATURE(id, ...) IOMMUCAP_##id,
#include "capabilities.def"
#undef CAP
};

/* A requirement asks for some httu: "none" asks nothing. */
#define HTTU_REQUIRABLE IOMMUCAP_HTTU_ACCESS
static const char *const *const httu_values = iommucap_httu_names + HTTU_REQUIRABLE;

/* The QEMU devices, in the order of enum iommucap_vmm_kind (from IOMMUCAP_VMM_QEMU_INTEL_IOMMU). */
static const char *const vmm_devices[] = { "intel-iommu", "arm-smmuv3", "virtio-iommu-pci",
					   "amd-iommu", NULL };

static const char *vmm_device_name(enum iommucap_vmm_kind k)
{
	return k >= IOMMUCAP_VMM_QEMU_INTEL_IOMMU && k <= IOMMUCAP_VMM_QEMU_AMD_IOMMU
		       ? vmm_devices[k - IOMMUCAP_VMM_QEMU_INTEL_IOMMU]
		       : NULL;
}

/* The members of the "qemu" object each device has ("device" aside). */
enum vmm_member {
	VM_AW_BITS,
	VM_FLTS,
	VM_FS1GP,
	VM_PASID,
	VM_CACHING_MODE,
	VM_SCALABLE_MODE,
	VM_DEVICE_IOTLB,
	VM_SVM,
	VM_PCI_BRIDGE,
	VM_ACCEL,
	VM_SSIDSIZE,
	VM_OAS,
	VM_SIDSIZE,
	VM_RIL,
	VM_ATS,
	VM_GRANULE,
	_VM_MAX,
};

static const char *const vmm_member_names[_VM_MAX] = {
	[VM_AW_BITS] = "aw_bits",
	[VM_FLTS] = "flts",
	[VM_FS1GP] = "fs1gp",
	[VM_PASID] = "pasid",
	[VM_ACCEL] = "accel",
	[VM_SSIDSIZE] = "ssidsize",
	[VM_OAS] = "oas",
	[VM_SIDSIZE] = "sidsize",
	[VM_RIL] = "ril",
	[VM_ATS] = "ats",
	[VM_GRANULE] = "granule",
	[VM_CACHING_MODE] = "caching_mode",
	[VM_SCALABLE_MODE] = "scalable_mode",
	[VM_DEVICE_IOTLB] = "device_iotlb",
	[VM_SVM] = "svm",
	[VM_PCI_BRIDGE] = "pci_bridge",
};

#define VM_BIT(m) (1u << (m))
static const unsigned vmm_members[] = {
	[IOMMUCAP_VMM_NONE] = 0,
	[IOMMUCAP_VMM_QEMU_INTEL_IOMMU] = VM_BIT(VM_AW_BITS) | VM_BIT(VM_FLTS) | VM_BIT(VM_FS1GP) |
					  VM_BIT(VM_PASID) | VM_BIT(VM_CACHING_MODE) |
					  VM_BIT(VM_SCALABLE_MODE) | VM_BIT(VM_DEVICE_IOTLB) |
					  VM_BIT(VM_SVM) | VM_BIT(VM_PCI_BRIDGE),
	[IOMMUCAP_VMM_QEMU_ARM_SMMUV3] = VM_BIT(VM_ACCEL) | VM_BIT(VM_SSIDSIZE) | VM_BIT(VM_OAS) |
					 VM_BIT(VM_SIDSIZE) | VM_BIT(VM_RIL) | VM_BIT(VM_ATS) |
					 VM_BIT(VM_GRANULE),
	[IOMMUCAP_VMM_QEMU_VIRTIO_IOMMU] = VM_BIT(VM_AW_BITS) | VM_BIT(VM_GRANULE),
	[IOMMUCAP_VMM_QEMU_AMD_IOMMU] = VM_BIT(VM_DEVICE_IOTLB),
};

/* The vSMMU's granules are the SMMUv3 ones; virtio-iommu also takes 8k and "host". */
static const char *const smmu_granules[] = { "4k", "16k", "64k", NULL };
static const char *const virtio_granules[] = { "4k", "8k", "16k", "64k", "host", NULL };

const char *iommucap_req_min_name(enum iommucap_req_min m)
{
	return m >= 0 && m < _IOMMUCAP_MIN_MAX ? iommucap_cap_info(min_caps[m])->name : NULL;
}

const char *iommucap_req_feature_name(enum iommucap_req_feature f)
{
	return f >= 0 && f < _IOMMUCAP_FEAT_MAX ? iommucap_cap_info(feature_caps[f])->name : NULL;
}

enum iommucap_cap iommucap_req_min_cap(enum iommucap_req_min m)
{
	return min_caps[m];
}

enum iommucap_cap iommucap_req_feature_cap(enum iommucap_req_feature f)
{
	return feature_caps[f];
}

struct iommucap_requirement *iommucap_requirement_free(struct iommucap_requirement *r)
{
	if (!r)
		return NULL;
	free(r->unit);
	free(r->device);
	free(r->pasid_table.model);
	for (size_t i = 0; i < r->n_pgtable_formats; i++)
		free(r->pgtable_formats[i]);
	free(r->pgtable_formats);
	free(r->page_sizes);
	free(r->vmm.granule);
	free(r);
	return NULL;
}

/* ---- parsing ------------------------------------------------------------------------------ */

static bool in_list(const char *const *names, const char *s)
{
	for (size_t i = 0; names[i]; i++)
		if (streq(names[i], s))
			return true;
	return false;
}

static int list_error(struct jsonpath *x, const char *field, const char *const *names)
{
	char buf[160] = "";

	for (size_t i = 0; names[i]; i++) {
		if (i)
			strncat(buf, ", ", sizeof(buf) - strlen(buf) - 1);
		strncat(buf, names[i], sizeof(buf) - strlen(buf) - 1);
	}
	return jsonpath_bad(x, field, "expected one of %s", buf);
}

static bool is_alnum(char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* Every key of o must be one of the n names (NULL entries skipped); what names the object. */
static int check_keys(struct jsonpath *x, json_t *o, const char *const *names, size_t n,
		      const char *what)
{
	const char *key;
	json_t *v;

	json_object_foreach (o, key, v) {
		bool ok = false;

		for (size_t i = 0; i < n && !ok; i++)
			ok = names[i] && streq(names[i], key);
		if (!ok)
			return what ? jsonpath_bad(x, key, "unknown key for %s", what)
				    : jsonpath_bad(x, key, "unknown key");
	}
	return 0;
}

/*
 * The value of an integer. JSON Schema counts 48.0 as an integer, so an integral real (within
 * +-2^53, where doubles are exact) is one too.
 */
static bool int_value(json_t *v, int64_t *ret)
{
	double d;

	if (json_is_integer(v)) {
		*ret = json_integer_value(v);
		return true;
	}
	if (!json_is_real(v))
		return false;
	d = json_real_value(v);
	if (!(d >= -9007199254740992.0 && d <= 9007199254740992.0) || (double)(int64_t)d != d)
		return false;
	*ret = (int64_t)d;
	return true;
}

/* v, named field in messages, is an integer in [lo, hi]. */
static int int_in(struct jsonpath *x, json_t *v, const char *field, int64_t lo, int64_t hi,
		  int64_t *ret)
{
	int64_t n;

	if (!int_value(v, &n) || n < lo || n > hi)
		return jsonpath_bad(x, field, "expected an integer from %" PRId64 " to %" PRId64,
				    lo, hi);
	*ret = n;
	return 0;
}

/* The member key, if present, is an integer in [lo, hi]; absent: 0 and *ret untouched. */
static int get_int(struct jsonpath *x, json_t *o, const char *key, int64_t lo, int64_t hi,
		   struct iommucap_opt_int *ret)
{
	json_t *v = json_object_get(o, key);
	int64_t n = 0;
	int k;

	if (!v)
		return 0;
	if ((k = int_in(x, v, key, lo, hi, &n)) < 0)
		return k;
	ret->set = true;
	ret->value = n;
	return 0;
}

static int get_want(struct jsonpath *x, json_t *o, const char *key, enum iommucap_want *ret)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return jsonpath_bad(x, key, "expected true or false");
	*ret = json_is_true(v) ? IOMMUCAP_WANT_TRUE : IOMMUCAP_WANT_FALSE;
	return 0;
}

/* A string from names (NULL-terminated); *ret is a copy. */
static int get_enum(struct jsonpath *x, json_t *o, const char *key, const char *const *names,
		    char **ret)
{
	json_t *v = json_object_get(o, key);
	char *s;

	if (!v)
		return 0;
	if (!json_is_string(v) || !in_list(names, json_string_value(v)))
		return list_error(x, key, names);
	s = strdup(json_string_value(v));
	if (!s)
		return -ENOMEM;
	free(*ret);
	*ret = s;
	return 0;
}

/* A name of an enum's table (lib/vocab.h), by its lookup, as the value: *ret_has and *ret set
 * when present; a value below min, or not a name, is refused listing names. */
static int get_enum_value(struct jsonpath *x, json_t *o, const char *key,
			  int (*lookup)(const char *), int min, const char *const *names,
			  bool *ret_has, int *ret)
{
	json_t *v = json_object_get(o, key);
	int i;

	if (!v)
		return 0;
	i = json_is_string(v) ? lookup(json_string_value(v)) : -1;
	if (i < min)
		return list_error(x, key, names);
	*ret_has = true;
	*ret = i;
	return 0;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

/* "0x" and 1 to 16 hex digits, nothing else. */
static int parse_hex_strict(const char *s, uint64_t *ret)
{
	uint64_t v = 0;
	size_t n = 0;

	if (strncmp(s, "0x", 2) != 0)
		return -EINVAL;
	for (s += 2; *s; s++, n++) {
		int d = hexval(*s);

		if (d < 0 || n >= 16)
			return -EINVAL;
		v = v << 4 | (uint64_t)d;
	}
	if (!n)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* Unit names as the kernel names its IOMMU class devices: dmar0, ivhd1, smmu3.0x..., ... */
static bool unit_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 255 || !is_alnum(*s))
		return false;
	for (; *s; s++)
		if (!is_alnum(*s) && !strchr("._:@+-", *s))
			return false;
	return true;
}

/* A hex field of exactly width digits starting at s; -1 if it is not one. */
static int64_t hex_field(const char *s, size_t width)
{
	int64_t v = 0;

	for (size_t i = 0; i < width; i++) {
		int d = hexval(s[i]);

		if (d < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

/* DDDD:BB:DD.F (the domain 4 to 8 hex digits), canonical as the kernel prints it. */
static int pci_address_canonical(const char *s, char **ret)
{
	size_t dl = strcspn(s, ":");
	int64_t dom, bus, dev, fn;

	if (dl < 4 || dl > 8 || strlen(s) != dl + 8 || s[dl] != ':' || s[dl + 3] != ':' ||
	    s[dl + 6] != '.')
		return -EINVAL;
	dom = hex_field(s, dl);
	bus = hex_field(s + dl + 1, 2);
	dev = hex_field(s + dl + 4, 2);
	fn = hex_field(s + dl + 7, 1);
	if (dom < 0 || bus < 0 || dev < 0 || dev > 0x1f || fn < 0 || fn > 7)
		return -EINVAL;
	return asprintf(ret, "%04" PRIx64 ":%02" PRIx64 ":%02" PRIx64 ".%" PRIx64, dom, bus, dev,
			fn) < 0
		       ? -ENOMEM
		       : 0;
}

static int parse_pasid_table(struct jsonpath *x, json_t *o, struct iommucap_requirement *r)
{
	static const char *const keys[] = { "version", "bytes", "model", "base_ptr", "pasid_bits" };
	json_t *v;
	int k;

	if (!json_is_object(o))
		return jsonpath_bad(x, NULL, "expected an object");
	if ((k = check_keys(x, o, keys, ELEMENTSOF(keys), NULL)) < 0)
		return k;
	/*
	 * A version counts from 1 and the structure is no bigger than a page; whether they are
	 * v1's 1 and 32 is for the check to say (rules pasid_table.version and .bytes). PASIDs
	 * are at most 20 bits wide.
	 */
	if ((k = get_int(x, o, "version", 1, 65535, &r->pasid_table.version)) < 0 ||
	    (k = get_int(x, o, "bytes", 1, 4096, &r->pasid_table.bytes)) < 0 ||
	    (k = get_enum(x, o, "model", iommucap_pasid_table_models, &r->pasid_table.model)) < 0 ||
	    (k = get_int(x, o, "pasid_bits", 0, IOMMUCAP_PASID_BITS_MAX,
			 &r->pasid_table.pasid_bits)) < 0)
		return k;
	v = json_object_get(o, "base_ptr");
	if (v) {
		if (!json_is_string(v) ||
		    parse_hex_strict(json_string_value(v), &r->pasid_table.base_ptr) < 0)
			return jsonpath_bad(x, "base_ptr",
					    "expected a \"0x...\" hexadecimal string");
		r->pasid_table.has_base_ptr = true;
	}
	r->has_pasid_table = true;
	return 0;
}

static int parse_min(struct jsonpath *x, json_t *o, struct iommucap_requirement *r)
{
	const char *keys[_IOMMUCAP_MIN_MAX];
	int k;

	if (!json_is_object(o))
		return jsonpath_bad(x, NULL, "expected an object");
	for (int m = 0; m < _IOMMUCAP_MIN_MAX; m++)
		keys[m] = iommucap_cap_info(min_caps[m])->name;
	if ((k = check_keys(x, o, keys, _IOMMUCAP_MIN_MAX, NULL)) < 0)
		return k;
	for (int m = 0; m < _IOMMUCAP_MIN_MAX; m++) {
		const struct iommucap_cap_info *c = iommucap_cap_info(min_caps[m]);

		if ((k = get_int(x, o, c->name, 0, c->req_max, &r->min[m])) < 0)
			return k;
	}
	return 0;
}

static int parse_features(struct jsonpath *x, json_t *o, struct iommucap_requirement *r)
{
	const char *stall = iommucap_cap_info(IOMMUCAP_STALL)->name;
	const char *httu = iommucap_cap_info(IOMMUCAP_HTTU)->name;
	const char *keys[_IOMMUCAP_FEAT_MAX + 2];
	int k, s = 0, h = 0;

	if (!json_is_object(o))
		return jsonpath_bad(x, NULL, "expected an object");
	for (int f = 0; f < _IOMMUCAP_FEAT_MAX; f++)
		keys[f] = iommucap_cap_info(feature_caps[f])->name;
	keys[_IOMMUCAP_FEAT_MAX] = stall;
	keys[_IOMMUCAP_FEAT_MAX + 1] = httu;
	if ((k = check_keys(x, o, keys, ELEMENTSOF(keys), NULL)) < 0)
		return k;
	for (int f = 0; f < _IOMMUCAP_FEAT_MAX; f++)
		if ((k = get_want(x, o, keys[f], &r->features[f])) < 0)
			return k;
	if ((k = get_enum_value(x, o, stall, iommucap_stall_from_name, 0, iommucap_stall_names,
				&r->has_stall, &s)) < 0 ||
	    (k = get_enum_value(x, o, httu, iommucap_httu_from_name, HTTU_REQUIRABLE, httu_values,
				&r->has_httu, &h)) < 0)
		return k;
	r->stall = (enum iommucap_stall)s;
	r->httu = (enum iommucap_httu)h;
	return 0;
}

static int parse_formats(struct jsonpath *x, json_t *a, struct iommucap_requirement *r)
{
	const char *what = "expected an array of at most 64 page-table format names";
	json_t *e;
	size_t i;

	if (!json_is_array(a) || json_array_size(a) > IOMMUCAP_LIST_MAX)
		return jsonpath_bad(x, NULL, "%s", what);
	r->pgtable_formats = calloc(json_array_size(a) + 1, sizeof(char *));
	if (!r->pgtable_formats)
		return -ENOMEM;
	r->has_pgtable_formats = true;
	json_array_foreach (a, i, e) {
		const char *s = json_string_value(e);
		char idx[24];

		snprintf(idx, sizeof(idx), "%zu", i);
		if (!s || !iommucap_format_name_ok(s))
			return jsonpath_bad(x, idx,
					    "expected a format name (letters, digits, . _ + -)");
		for (size_t j = 0; j < r->n_pgtable_formats; j++)
			if (streq(r->pgtable_formats[j], s))
				return jsonpath_bad(x, idx, "%s is listed twice", s);
		r->pgtable_formats[r->n_pgtable_formats] = strdup(s);
		if (!r->pgtable_formats[r->n_pgtable_formats])
			return -ENOMEM;
		r->n_pgtable_formats++;
	}
	return 0;
}

static int parse_page_sizes(struct jsonpath *x, json_t *a, struct iommucap_requirement *r)
{
	json_t *e;
	size_t i;

	if (!json_is_array(a) || json_array_size(a) > IOMMUCAP_LIST_MAX)
		return jsonpath_bad(x, NULL, "expected an array of page sizes");
	r->page_sizes = calloc(json_array_size(a) + 1, sizeof(uint64_t));
	if (!r->page_sizes)
		return -ENOMEM;
	r->has_page_sizes = true;
	json_array_foreach (a, i, e) {
		char idx[24];
		int64_t v;

		snprintf(idx, sizeof(idx), "%zu", i);
		if (!int_value(e, &v) || v < (int64_t)IOMMUCAP_PAGE_SIZE_MIN ||
		    v > (int64_t)IOMMUCAP_PAGE_SIZE_MAX || ((uint64_t)v & ((uint64_t)v - 1)))
			return jsonpath_bad(x, idx, "expected a power of two from 4096 to 2^52");
		for (size_t j = 0; j < r->n_page_sizes; j++)
			if (r->page_sizes[j] == (uint64_t)v)
				return jsonpath_bad(x, idx, "%" PRId64 " is listed twice", v);
		r->page_sizes[r->n_page_sizes++] = (uint64_t)v;
	}
	return 0;
}

static int parse_vmm(struct jsonpath *x, json_t *o, struct iommucap_vmm *q)
{
	const char *keys[_VM_MAX + 1];
	json_t *dev;
	size_t n = 0;
	int k;

	if (!json_is_object(o))
		return jsonpath_bad(x, NULL, "expected an object");
	dev = json_object_get(o, "device");
	if (!dev)
		return jsonpath_bad(x, "device", "missing");
	for (size_t d = 0; json_is_string(dev) && vmm_devices[d]; d++)
		if (streq(vmm_devices[d], json_string_value(dev)))
			q->kind = (enum iommucap_vmm_kind)(IOMMUCAP_VMM_QEMU_INTEL_IOMMU + d);
	if (q->kind == IOMMUCAP_VMM_NONE)
		return list_error(x, "device", vmm_devices);
	keys[n++] = "device";
	for (int m = 0; m < _VM_MAX; m++)
		if (vmm_members[q->kind] & VM_BIT(m))
			keys[n++] = vmm_member_names[m];
	if ((k = check_keys(x, o, keys, n, vmm_device_name(q->kind))) < 0)
		return k;
	/* Only the device's own members are left; each is read if present. */
	if ((k = get_int(x, o, "aw_bits", 0, IOMMUCAP_WIDTH_MAX, &q->aw_bits)) < 0 ||
	    (k = get_want(x, o, "flts", &q->flts)) < 0 ||
	    (k = get_want(x, o, "fs1gp", &q->fs1gp)) < 0 ||
	    (k = get_int(x, o, "pasid", 0, IOMMUCAP_PASID_BITS_MAX, &q->pasid)) < 0 ||
	    (k = get_want(x, o, "caching_mode", &q->caching_mode)) < 0 ||
	    (k = get_want(x, o, "scalable_mode", &q->scalable_mode)) < 0 ||
	    (k = get_want(x, o, "device_iotlb", &q->device_iotlb)) < 0 ||
	    (k = get_want(x, o, "svm", &q->svm)) < 0 ||
	    (k = get_want(x, o, "pci_bridge", &q->pci_bridge)) < 0 ||
	    (k = get_want(x, o, "accel", &q->accel)) < 0 ||
	    (k = get_int(x, o, "ssidsize", 0, IOMMUCAP_PASID_BITS_MAX, &q->ssidsize)) < 0 ||
	    (k = get_int(x, o, "oas", 0, IOMMUCAP_WIDTH_MAX, &q->oas)) < 0 ||
	    (k = get_int(x, o, "sidsize", 0, 32, &q->sidsize)) < 0 ||
	    (k = get_want(x, o, "ril", &q->ril)) < 0 || (k = get_want(x, o, "ats", &q->ats)) < 0)
		return k;
	return get_enum(x, o, "granule",
			q->kind == IOMMUCAP_VMM_QEMU_ARM_SMMUV3 ? smmu_granules : virtio_granules,
			&q->granule);
}

static int parse_doc(struct jsonpath *x, json_t *doc, struct iommucap_requirement *r)
{
	const char *formats = iommucap_cap_info(IOMMUCAP_PGTABLE_FORMATS)->name;
	const char *sizes = iommucap_cap_info(IOMMUCAP_PAGE_SIZES)->name;
	const char *const keys[] = { "schema_version", "unit",	"device", "pasid_table", "min",
				     "features",       formats, sizes,	  "sva",	 "lam",
				     "iommufd",	       "qemu" };
	int64_t version;
	json_t *v;
	size_t saved;
	int k;

	if (!json_is_object(doc))
		return jsonpath_bad(x, NULL, "the requirement document must be a JSON object");
	v = json_object_get(doc, "schema_version");
	if (!v)
		return jsonpath_bad(x, "schema_version", "missing");
	if (!int_value(v, &version))
		return jsonpath_bad(x, "schema_version", "expected an integer");
	if (version != IOMMUCAP_REQUIREMENT_VERSION)
		return jsonpath_bad(x, "schema_version",
				    "version %" PRId64 " is not supported (this is %d)", version,
				    IOMMUCAP_REQUIREMENT_VERSION);
	if ((k = check_keys(x, doc, keys, ELEMENTSOF(keys), NULL)) < 0)
		return k;

	v = json_object_get(doc, "unit");
	if (v) {
		if (!json_is_string(v) || !unit_name_ok(json_string_value(v)))
			return jsonpath_bad(x, "unit", "expected an IOMMU unit name (like dmar0)");
		r->unit = strdup(json_string_value(v));
		if (!r->unit)
			return -ENOMEM;
	}
	v = json_object_get(doc, "device");
	if (v) {
		if (r->unit)
			return jsonpath_bad(x, "device", "unit and device are exclusive");
		if (!json_is_string(v))
			return jsonpath_bad(x, "device",
					    "expected a PCI address like 0000:3b:00.0");
		k = pci_address_canonical(json_string_value(v), &r->device);
		if (k == -EINVAL)
			return jsonpath_bad(x, "device",
					    "expected a PCI address like 0000:3b:00.0");
		if (k < 0)
			return k;
	}

	const struct {
		const char *key;
		int (*parse)(struct jsonpath *x, json_t *o, struct iommucap_requirement *r);
	} sections[] = {
		{ "pasid_table", parse_pasid_table }, { "min", parse_min },
		{ "features", parse_features },	      { formats, parse_formats },
		{ sizes, parse_page_sizes },
	};
	for (size_t i = 0; i < ELEMENTSOF(sections); i++) {
		v = json_object_get(doc, sections[i].key);
		if (!v)
			continue;
		saved = jsonpath_push(x, "%s", sections[i].key);
		k = sections[i].parse(x, v, r);
		jsonpath_pop(x, saved);
		if (k < 0)
			return k;
	}
	if ((k = get_want(x, doc, "sva", &r->sva)) < 0 ||
	    (k = get_want(x, doc, "lam", &r->lam)) < 0 ||
	    (k = get_want(x, doc, "iommufd", &r->iommufd)) < 0)
		return k;
	v = json_object_get(doc, "qemu");
	if (v) {
		saved = jsonpath_push(x, "qemu");
		k = parse_vmm(x, v, &r->vmm);
		jsonpath_pop(x, saved);
		if (k < 0)
			return k;
	}
	return 0;
}

int iommucap_requirement_from_json(json_t *doc, struct iommucap_requirement **ret, char **ret_error)
{
	struct jsonpath x = { .path = "" };
	struct iommucap_requirement *r = calloc(1, sizeof(*r));
	int k;

	if (!r)
		return -ENOMEM;
	k = parse_doc(&x, doc, r);
	if (k < 0) {
		iommucap_requirement_free(r);
		if (ret_error)
			*ret_error = x.error ? x.error : strdup(strerror(-k));
		else
			free(x.error);
		return k;
	}
	*ret = r;
	return 0;
}

/* ---- printing ----------------------------------------------------------------------------- */

/* Set a member, taking the value's reference; false for lack of memory. */
static bool put(json_t *o, const char *key, json_t *v)
{
	return v && json_object_set_new(o, key, v) == 0;
}

static json_t *want_json(enum iommucap_want w)
{
	return json_boolean(w == IOMMUCAP_WANT_TRUE);
}

/* Add the object under key if it has members; it is consumed either way. */
static bool put_nonempty(json_t *o, const char *key, json_t *sub)
{
	if (!sub)
		return false;
	if (json_object_size(sub) == 0) {
		json_decref(sub);
		return true;
	}
	return put(o, key, sub);
}

static json_t *pasid_table_json(const struct iommucap_requirement *r)
{
	json_t *o = json_object();
	char hex[24];
	bool ok = o != NULL;

	if (ok && r->pasid_table.version.set)
		ok = put(o, "version", json_integer(r->pasid_table.version.value));
	if (ok && r->pasid_table.bytes.set)
		ok = put(o, "bytes", json_integer(r->pasid_table.bytes.value));
	if (ok && r->pasid_table.model)
		ok = put(o, "model", json_string(r->pasid_table.model));
	if (ok && r->pasid_table.has_base_ptr) {
		snprintf(hex, sizeof(hex), "0x%" PRIx64, r->pasid_table.base_ptr);
		ok = put(o, "base_ptr", json_string(hex));
	}
	if (ok && r->pasid_table.pasid_bits.set)
		ok = put(o, "pasid_bits", json_integer(r->pasid_table.pasid_bits.value));
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *min_json(const struct iommucap_requirement *r)
{
	json_t *o = json_object();

	for (int m = 0; o && m < _IOMMUCAP_MIN_MAX; m++)
		if (r->min[m].set &&
		    !put(o, iommucap_cap_info(min_caps[m])->name, json_integer(r->min[m].value))) {
			json_decref(o);
			return NULL;
		}
	return o;
}

static json_t *features_json(const struct iommucap_requirement *r)
{
	json_t *o = json_object();
	bool ok = o != NULL;

	for (int f = 0; ok && f < _IOMMUCAP_FEAT_MAX; f++)
		if (r->features[f] != IOMMUCAP_WANT_ANY)
			ok = put(o, iommucap_cap_info(feature_caps[f])->name,
				 want_json(r->features[f]));
	if (ok && r->has_stall)
		ok = put(o, iommucap_cap_info(IOMMUCAP_STALL)->name,
			 json_string(iommucap_stall_names[r->stall]));
	if (ok && r->has_httu)
		ok = put(o, iommucap_cap_info(IOMMUCAP_HTTU)->name,
			 json_string(iommucap_httu_names[r->httu]));
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *vmm_json(const struct iommucap_vmm *q)
{
	const struct iommucap_opt_int *ints[_VM_MAX] = {
		[VM_AW_BITS] = &q->aw_bits,   [VM_PASID] = &q->pasid,
		[VM_SSIDSIZE] = &q->ssidsize, [VM_OAS] = &q->oas,
		[VM_SIDSIZE] = &q->sidsize,
	};
	const enum iommucap_want *wants[_VM_MAX] = {
		[VM_FLTS] = &q->flts,
		[VM_FS1GP] = &q->fs1gp,
		[VM_ACCEL] = &q->accel,
		[VM_RIL] = &q->ril,
		[VM_ATS] = &q->ats,
		[VM_CACHING_MODE] = &q->caching_mode,
		[VM_SCALABLE_MODE] = &q->scalable_mode,
		[VM_DEVICE_IOTLB] = &q->device_iotlb,
		[VM_SVM] = &q->svm,
		[VM_PCI_BRIDGE] = &q->pci_bridge,
	};
	json_t *o = json_object();
	bool ok = o && put(o, "device", json_string(vmm_device_name(q->kind)));

	/* The members in the schema's order; a member the device does not have is not printed. */
	for (int m = 0; ok && m < _VM_MAX; m++) {
		if (!(vmm_members[q->kind] & VM_BIT(m)))
			continue;
		if (ints[m] && ints[m]->set)
			ok = put(o, vmm_member_names[m], json_integer(ints[m]->value));
		else if (wants[m] && *wants[m] != IOMMUCAP_WANT_ANY)
			ok = put(o, vmm_member_names[m], want_json(*wants[m]));
		else if (m == VM_GRANULE && q->granule)
			ok = put(o, vmm_member_names[m], json_string(q->granule));
	}
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int iommucap_requirement_to_json(const struct iommucap_requirement *r, json_t **ret)
{
	json_t *o = json_object(), *a;
	bool ok = o && put(o, "schema_version", json_integer(IOMMUCAP_REQUIREMENT_VERSION));

	if (ok && r->unit)
		ok = put(o, "unit", json_string(r->unit));
	if (ok && r->device)
		ok = put(o, "device", json_string(r->device));
	if (ok && r->has_pasid_table)
		ok = put(o, "pasid_table", pasid_table_json(r));
	if (ok)
		ok = put_nonempty(o, "min", min_json(r));
	if (ok)
		ok = put_nonempty(o, "features", features_json(r));
	if (ok && r->has_pgtable_formats) {
		ok = put(o, iommucap_cap_info(IOMMUCAP_PGTABLE_FORMATS)->name, a = json_array());
		for (size_t i = 0; ok && i < r->n_pgtable_formats; i++)
			ok = json_array_append_new(a, json_string(r->pgtable_formats[i])) == 0;
	}
	if (ok && r->has_page_sizes) {
		ok = put(o, iommucap_cap_info(IOMMUCAP_PAGE_SIZES)->name, a = json_array());
		for (size_t i = 0; ok && i < r->n_page_sizes; i++)
			ok = json_array_append_new(a, json_integer((json_int_t)r->page_sizes[i])) ==
			     0;
	}
	if (ok && r->sva != IOMMUCAP_WANT_ANY)
		ok = put(o, "sva", want_json(r->sva));
	if (ok && r->lam != IOMMUCAP_WANT_ANY)
		ok = put(o, "lam", want_json(r->lam));
	if (ok && r->iommufd != IOMMUCAP_WANT_ANY)
		ok = put(o, "iommufd", want_json(r->iommufd));
	if (ok && vmm_device_name(r->vmm.kind))
		ok = put(o, "qemu", vmm_json(&r->vmm));
	if (!ok) {
		json_decref(o);
		return -ENOMEM;
	}
	*ret = o;
	return 0;
}
