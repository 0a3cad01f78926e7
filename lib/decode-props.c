/*
 * The 2018 sysfs proposal's property directories, /sys/class/iommu/<dev>/<model>/<property>,
 * and the capabilities of units the kernel describes with no registers at all.
 */
#include "config.h"

#include "model.h"
#include "parse.h"
#include "sysfs.h"

enum prop_kind { PROP_INT, PROP_ENUM };

struct prop {
	const char *name;
	enum iommucap_cap cap;
	enum prop_kind kind;
	const char *const
		*values;  /* PROP_ENUM: the accepted strings; NULL: the capability's names */
	const char *dflt; /* value when the file is absent; NULL: unknown */
};

static const char *const btm_values[] = { "enabled", "disabled", NULL };

/* An absent feature file means the feature is absent, as the proposal says of ssid_bits. */
static const struct prop props[] = {
	{ "ssid_bits", IOMMUCAP_SSID_BITS, PROP_INT, NULL, "0" },
	{ "asid_bits", IOMMUCAP_ASID_BITS, PROP_INT, NULL, NULL },
	{ "input_bits", IOMMUCAP_INPUT_BITS, PROP_INT, NULL, NULL },
	{ "output_bits", IOMMUCAP_OUTPUT_BITS, PROP_INT, NULL, NULL },
	{ "btm", IOMMUCAP_BTM, PROP_ENUM, btm_values, "disabled" },
	{ "httu", IOMMUCAP_HTTU, PROP_ENUM, NULL, "none" },
	{ "stall", IOMMUCAP_STALL, PROP_ENUM, NULL, "disabled" },
};

static bool cap_unset(const struct iommucap_unit *u, enum iommucap_cap c)
{
	return u->caps[c].source == IOMMUCAP_SRC_UNKNOWN && !u->caps[c].reason;
}

static int prop_set(struct iommucap_unit *u, const struct prop *p, const char *value,
		    enum iommucap_source src, char **ret_reason)
{
	uint64_t v;

	if (p->kind == PROP_INT) {
		if (parse_dec_u64(value, &v) < 0 || v > 64)
			goto bad;
		return cap_set_num(u, p->cap, (int64_t)v, src);
	}
	for (const char *const *s = p->values; s && *s; s++)
		if (streq(value, *s))
			return cap_set_bool(u, p->cap, streq(value, "enabled"), src);
	for (int i = 0; !p->values && iommucap_cap_info(p->cap)->names[i]; i++)
		if (streq(value, iommucap_cap_info(p->cap)->names[i]))
			return cap_set_enum(u, p->cap, i, src);
bad:;
	_cleanup_free_ char *ex = value_excerpt(value);

	if (asprintf(ret_reason, "property %s has an invalid value: %s", p->name, ex ? ex : "?") <
	    0)
		return -ENOMEM;
	return -EINVAL;
}

static const struct prop *find_prop(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(props); i++)
		if (streq(props[i].name, name))
			return &props[i];
	return NULL;
}

static int read_pgtable_formats(struct iommucap_root *r, struct iommucap_unit *u, const char *pdir,
				struct iommucap_host *warn)
{
	char **names = NULL;
	size_t n = 0;
	int k = sysfs_list_in(r, pdir, "pgtable_format", &names, &n);

	if (k == -ENOENT || k == -ENOTDIR)
		return cap_set_strs(u, IOMMUCAP_PGTABLE_FORMATS, NULL, 0, IOMMUCAP_SRC_DEFAULT);
	if (k < 0) {
		if (host_warn(warn, "%s: cannot list pgtable_format: %s", u->name, strerror(-k)) <
		    0)
			return -ENOMEM;
		return cap_set_unknown(u, IOMMUCAP_PGTABLE_FORMATS,
				       "cannot list pgtable_format: %s", strerror(-k));
	}
	k = cap_set_strs(u, IOMMUCAP_PGTABLE_FORMATS, (const char *const *)names, n,
			 IOMMUCAP_SRC_PROPERTY);
	strv_free(names, n);
	return k;
}

static enum iommucap_model model_from_number(uint64_t n)
{
	if (n > 0 && n < _IOMMUCAP_MODEL_MAX)
		return (enum iommucap_model)n;
	return IOMMUCAP_MODEL_UNKNOWN;
}

int decode_properties(struct iommucap_root *r, struct iommucap_unit *u, const char *dir,
		      const char *propdir, struct iommucap_host *warn)
{
	_cleanup_free_ char *pdir = path_join(dir, propdir);
	_cleanup_free_ char *model_reason = NULL;
	char **names = NULL;
	size_t n = 0;
	uint64_t model;
	int k;

	if (!pdir)
		return -ENOMEM;
	u->property_dir = strdup(propdir);
	if (!u->property_dir)
		return -ENOMEM;

	k = attr_read_dec(r, pdir, "model", &model, &model_reason);
	if (k == -ENOMEM)
		return k;
	if (k >= 0) {
		/* A number we do not know is kept as it is: model "unknown", model_id N. */
		u->model = model_from_number(model);
		u->model_id = model > INT32_MAX ? -1 : (int)model;
	} else if (host_warn(warn, "%s: %s/%s", u->name, propdir, model_reason) < 0)
		return -ENOMEM;

	k = sysfs_list(r, pdir, &names, &n);
	if (k < 0)
		return host_warn(warn, "%s: cannot list %s: %s", u->name, propdir, strerror(-k));

	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *value = NULL, *reason = NULL;
		const struct prop *p;

		if (streq(names[i], "pgtable_format"))
			continue;
		k = attr_read(r, pdir, names[i], &value, &reason);
		if (k == -ENOMEM)
			goto out;
		p = find_prop(names[i]);
		if (k < 0) {
			if (p)
				k = cap_set_unknown(u, p->cap, "%s", reason);
			if (k == -ENOMEM || host_warn(warn, "%s: %s/%s", u->name, propdir,
						      reason ? reason : names[i]) < 0) {
				k = -ENOMEM;
				goto out;
			}
			continue;
		}
		/* Every property is shown as read, known or not. */
		k = unit_add_field_dup(u, "properties", names[i], IOMMUCAP_FIELD_STR, 0, value);
		if (k < 0)
			goto out;
		if (!p)
			continue;
		k = prop_set(u, p, value, IOMMUCAP_SRC_PROPERTY, &reason);
		if (k == -ENOMEM)
			goto out;
		if (k < 0) {
			if (cap_set_unknown(u, p->cap, "%s", reason) < 0 ||
			    host_warn(warn, "%s: %s", u->name, reason) < 0) {
				k = -ENOMEM;
				goto out;
			}
		}
	}

	/* Absent files take the proposal's defaults. */
	for (size_t i = 0; i < ELEMENTSOF(props); i++) {
		const struct prop *p = &props[i];
		char *reason = NULL;

		if (!cap_unset(u, p->cap))
			continue;
		if (!p->dflt)
			k = cap_set_unknown(
				u, p->cap,
				"no %s property file, and the proposal defines no default",
				p->name);
		else
			k = prop_set(u, p, p->dflt, IOMMUCAP_SRC_DEFAULT, &reason);
		free(reason);
		if (k < 0)
			goto out;
	}
	k = read_pgtable_formats(r, u, pdir, warn);
out:
	strv_free(names, n);
	return k < 0 ? k : 0;
}

/* PASID-table format and alignment follow from the model and the PASID width. */
static int pasid_table_from_model(struct iommucap_unit *u)
{
	static const char *const arm1[] = { "arm-1lvl" };
	static const char *const intel[] = { "intel" };
	static const char *const amd[] = { "amd" };
	const char *const *fmt;
	int64_t align;
	const struct iommucap_capval *ssid = &u->caps[IOMMUCAP_SSID_BITS];

	switch (u->model) {
	case IOMMUCAP_MODEL_ARM_SMMU_V3:
		fmt = arm1, align = 64; /* the context-descriptor table */
		break;
	case IOMMUCAP_MODEL_INTEL_VTD:
		fmt = intel, align = 4096;
		break;
	case IOMMUCAP_MODEL_AMD_VI:
		fmt = amd, align = 4096;
		break;
	default:
		return 0;
	}
	if (cap_unset(u, IOMMUCAP_PASID_TABLE_ALIGN) &&
	    cap_set_num(u, IOMMUCAP_PASID_TABLE_ALIGN, align, IOMMUCAP_SRC_MODEL) < 0)
		return -ENOMEM;
	if (!cap_unset(u, IOMMUCAP_PASID_TABLE_FORMATS))
		return 0;
	if (ssid->source == IOMMUCAP_SRC_UNKNOWN)
		return cap_set_unknown(u, IOMMUCAP_PASID_TABLE_FORMATS,
				       "depends on ssid_bits, which is unknown");
	/* Two-level CD tables are never reported by any kernel interface we read. */
	return cap_set_strs(u, IOMMUCAP_PASID_TABLE_FORMATS, fmt, ssid->num > 0 ? 1 : 0,
			    ssid->source);
}

int decode_generic(struct iommucap_unit *u)
{
	const enum iommucap_source M = IOMMUCAP_SRC_MODEL, D = IOMMUCAP_SRC_DRIVER;
	const char *why = "the kernel exposes no capability of this IOMMU in sysfs";
	int k = 0;

	switch (u->model) {
	case IOMMUCAP_MODEL_ARM_SMMU_V3:
		if (cap_unset(u, IOMMUCAP_SCALABLE_MODE))
			k |= cap_set_bool(u, IOMMUCAP_SCALABLE_MODE, false, M);
		if (cap_unset(u, IOMMUCAP_CACHING_MODE))
			k |= cap_set_bool(u, IOMMUCAP_CACHING_MODE, false, M);
		why = u->property_dir ? "the proposal's property files do not describe it"
				      : SMMUV3_NO_SYSFS
			      " (only iommufd hw_info and the boot log carry "
			      "them)";
		break;
	case IOMMUCAP_MODEL_ARM_SMMU:
		/* SMMUv1/v2 have no substream ids. */
		if (cap_unset(u, IOMMUCAP_SSID_BITS))
			k |= cap_set_num(u, IOMMUCAP_SSID_BITS, 0, M);
		if (cap_unset(u, IOMMUCAP_SCALABLE_MODE))
			k |= cap_set_bool(u, IOMMUCAP_SCALABLE_MODE, false, M);
		why = "the kernel exposes no SMMU register in sysfs";
		break;
	case IOMMUCAP_MODEL_VIRTIO_IOMMU:
		/* Linux's virtio-iommu driver has no PASID, nesting, PRI or dirty tracking. */
		if (cap_unset(u, IOMMUCAP_SSID_BITS))
			k |= cap_set_num(u, IOMMUCAP_SSID_BITS, 0, D);
		if (cap_unset(u, IOMMUCAP_NESTING))
			k |= cap_set_bool(u, IOMMUCAP_NESTING, false, D);
		if (cap_unset(u, IOMMUCAP_PRI))
			k |= cap_set_bool(u, IOMMUCAP_PRI, false, D);
		if (cap_unset(u, IOMMUCAP_DIRTY_TRACKING))
			k |= cap_set_bool(u, IOMMUCAP_DIRTY_TRACKING, false, D);
		if (cap_unset(u, IOMMUCAP_COHERENT))
			k |= cap_set_bool(u, IOMMUCAP_COHERENT, true, D);
		if (cap_unset(u, IOMMUCAP_SCALABLE_MODE))
			k |= cap_set_bool(u, IOMMUCAP_SCALABLE_MODE, false, M);
		if (cap_unset(u, IOMMUCAP_PASID_TABLE_FORMATS))
			k |= cap_set_strs(u, IOMMUCAP_PASID_TABLE_FORMATS, NULL, 0, D);
		why = "virtio-iommu reports its ranges and features to the driver only, not in "
		      "sysfs";
		break;
	default:
		if (u->property_dir)
			why = "the proposal's property files do not describe it";
		break;
	}
	if (k < 0)
		return -ENOMEM;
	if (pasid_table_from_model(u) < 0)
		return -ENOMEM;
	return caps_unknown_rest(u, why);
}
