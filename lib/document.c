/* The host document's shape (schema/host.schema.json) as data: one table of fields per JSON
 * object, in the document's order, and the codecs of the members no plain kind describes. */
#include "config.h"

#include <inttypes.h>
#include <time.h>

#include "document.h"
#include "hwinfo.h"
#include "parse.h"

#define F(type, member) offsetof(type, member)

/* ---- the unit -------------------------------------------------------------------------- */

static int model_encode(const struct doc_field *f, const void *obj, struct doc_enc *e, json_t **ret)
{
	*ret = json_string(iommucap_model_name(((const struct iommucap_unit *)obj)->model));
	return 0;
}

static int model_decode(struct jsonpath *x, const struct doc_field *f, json_t *v, void *obj,
			struct doc_dec *d)
{
	struct iommucap_unit *u = obj;

	if (!json_is_string(v))
		return jsonpath_bad(x, f->key, "expected a string");
	u->model = IOMMUCAP_MODEL_UNKNOWN;
	for (int m = 0; m < _IOMMUCAP_MODEL_MAX; m++)
		if (streq(json_string_value(v), iommucap_model_name((enum iommucap_model)m)))
			u->model = (enum iommucap_model)m;
	return 0;
}

/* The sysfs path, absolute in the document and relative to the root in the model. */
static int path_encode(const struct doc_field *f, const void *obj, struct doc_enc *e, json_t **ret)
{
	const struct iommucap_unit *u = obj;
	_cleanup_free_ char *path = NULL;

	if (asprintf(&path, "/%s", u->path ? u->path : "") < 0)
		return -ENOMEM;
	*ret = json_string(path);
	return 0;
}

static int path_decode(struct jsonpath *x, const struct doc_field *f, json_t *v, void *obj,
		       struct doc_dec *d)
{
	struct iommucap_unit *u = obj;
	const char *path = json_string_value(v);

	if (!path)
		return jsonpath_bad(x, f->key, "expected a string");
	u->path = strdup(path[0] == '/' ? path + 1 : path);
	return u->path ? 0 : -ENOMEM;
}

/* The raw register names the library produces; others in a foreign document are ignored. */
static const char *raw_name(const char *name)
{
	static const char *const names[] = { "version", "address", "cap",  "ecap", "efr",
					     "efr2",	"idr0",	   "idr1", "idr2", "idr3",
					     "idr4",	"idr5",	   "iidr", "aidr" };

	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (streq(names[i], name))
			return names[i];
	return NULL;
}

/* The raw registers: a value, or null with the reason in the sibling map (reason_key). */
static int raw_encode(const struct doc_field *f, const void *obj, struct doc_enc *e, json_t **ret)
{
	const struct iommucap_unit *u = obj;
	json_t *o = json_object();

	for (size_t i = 0; o && i < u->n_raw; i++)
		doc_set(o, u->raw[i].name,
			u->raw[i].known ? doc_hex(u->raw[i].value, 0) : json_null(), &e->oom);
	*ret = o;
	return 0;
}

/* The reasons of the raw registers that are null. */
static int raw_unknown_encode(const struct doc_field *f, const void *obj, struct doc_enc *e,
			      json_t **ret)
{
	const struct iommucap_unit *u = obj;
	json_t *o = json_object();

	for (size_t i = 0; o && i < u->n_raw; i++)
		if (!u->raw[i].known)
			doc_set(o, u->raw[i].name, json_string(u->raw[i].reason), &e->oom);
	*ret = o;
	return 0;
}

static int object_decode(struct jsonpath *x, const struct doc_field *f, json_t *v, void *obj,
			 struct doc_dec *d)
{
	return json_is_object(v) ? 0 : jsonpath_bad(x, f->key, "expected an object");
}

static int raw_decode(struct jsonpath *x, const struct doc_field *f, json_t *v, void *obj,
		      struct doc_dec *d)
{
	struct iommucap_unit *u = obj;
	json_t *why = json_object_get(d->parent, f->reason_key), *r;
	const char *key;
	int k;

	if (!json_is_object(v))
		return jsonpath_bad(x, f->key, "expected an object");
	if (!why)
		return jsonpath_bad(x, f->reason_key, "missing");
	if (!json_is_object(why))
		return jsonpath_bad(x, f->reason_key, "expected an object");
	json_object_foreach (v, key, r) {
		uint64_t val = 0;
		const char *name = raw_name(key);

		if (!name)
			continue;
		if (!json_is_null(r) && (k = doc_get_hex(x, r, key, &val)) < 0)
			return k;
		k = unit_add_raw(u, name, !json_is_null(r), val,
				 json_string_value(json_object_get(why, key)));
		if (k < 0)
			return k;
	}
	return 0;
}

/* The field view: register or property directory, then field name to value. */
static int fields_encode(const struct doc_field *f, const void *obj, struct doc_enc *e,
			 json_t **ret)
{
	const struct iommucap_unit *u = obj;
	json_t *o = json_object();

	for (size_t i = 0; o && i < u->n_fields; i++) {
		const struct iommucap_field *fl = &u->fields[i];
		json_t *g = json_object_get(o, fl->group), *v;

		if (!g) {
			g = json_object();
			doc_set(o, fl->group, g, &e->oom);
			if (!g)
				continue;
		}
		switch (fl->kind) {
		case IOMMUCAP_FIELD_NUM:
			v = json_integer((json_int_t)fl->num);
			break;
		case IOMMUCAP_FIELD_HEX:
			v = doc_hex(fl->num, 0);
			break;
		default:
			v = json_string(fl->str ? fl->str : "");
			break;
		}
		doc_set(g, fl->name, v, &e->oom);
	}
	*ret = o;
	return 0;
}

static int fields_decode(struct jsonpath *x, const struct doc_field *f, json_t *v, void *obj,
			 struct doc_dec *d)
{
	struct iommucap_unit *u = obj;
	const char *key, *fkey;
	json_t *g, *fv;
	int k;

	if (!json_is_object(v))
		return jsonpath_bad(x, f->key, "expected an object");
	json_object_foreach (v, key, g) {
		if (!json_is_object(g))
			return jsonpath_bad(x, f->key, "expected objects of fields");
		json_object_foreach (g, fkey, fv) {
			uint64_t num = 0;
			enum iommucap_field_kind kind = IOMMUCAP_FIELD_STR;

			if (json_is_integer(fv)) {
				kind = IOMMUCAP_FIELD_NUM;
				num = (uint64_t)json_integer_value(fv);
			} else if (json_is_string(fv) &&
				   strncmp(json_string_value(fv), "0x", 2) == 0 &&
				   parse_hex_u64(json_string_value(fv), &num) == 0)
				kind = IOMMUCAP_FIELD_HEX;
			else if (!json_is_string(fv))
				return jsonpath_bad(x, f->key, "expected integers and strings");
			k = unit_add_field_owned(u, key, fkey, kind, num,
						 kind == IOMMUCAP_FIELD_STR ? json_string_value(fv)
									    : NULL);
			if (k < 0)
				return k;
		}
	}
	return 0;
}

/* The capabilities block; a summary's has only the values (null: unknown). */
#define CAPS_UNKNOWN "unknown"
#define CAPS_SOURCES "sources"

static int capabilities_encode(const struct doc_field *f, const void *obj, struct doc_enc *e,
			       json_t **ret)
{
	const struct iommucap_unit *u = obj;
	json_t *o = json_object(), *unknown = json_object(), *sources = json_object();

	if (!o || !unknown || !sources) {
		json_decref(o);
		json_decref(unknown);
		json_decref(sources);
		return -ENOMEM;
	}
	for (int c = 0; c < _IOMMUCAP_CAP_MAX; c++) {
		const struct iommucap_cap_info *info = iommucap_cap_info((enum iommucap_cap)c);
		const struct iommucap_capval *v = &u->caps[c];

		doc_set(o, info->name, iommucap_capval_to_json(u, (enum iommucap_cap)c), &e->oom);
		if (e->summary)
			continue;
		if (v->source == IOMMUCAP_SRC_UNKNOWN)
			doc_set(unknown, info->name,
				json_string(v->reason ? v->reason : "not known"), &e->oom);
		else
			doc_set(sources, info->name, json_string(iommucap_source_name(v->source)),
				&e->oom);
	}
	if (e->summary) {
		json_decref(unknown);
		json_decref(sources);
	} else {
		doc_set(o, CAPS_UNKNOWN, unknown, &e->oom);
		doc_set(o, CAPS_SOURCES, sources, &e->oom);
	}
	*ret = o;
	return 0;
}

static int cap_decode(struct jsonpath *x, json_t *caps, json_t *unknown, json_t *sources,
		      struct iommucap_unit *u, enum iommucap_cap c)
{
	const struct iommucap_cap_info *info = iommucap_cap_info(c);
	struct iommucap_capval *cv = &u->caps[c];
	enum iommucap_source src = IOMMUCAP_SRC_REGISTER;
	const char *sname = json_string_value(json_object_get(sources, info->name));
	json_t *v = json_object_get(caps, info->name), *e;
	size_t i;

	/* A document written before the catalogue had this row: not known, rather than refused. */
	if (!v) {
		cv->reason = strdup("not in this document");
		return cv->reason ? 0 : -ENOMEM;
	}
	if (json_is_null(v))
		return doc_reason_dup(unknown, info->name, &cv->reason);
	if (sname) {
		for (int s = 1; s < _IOMMUCAP_SRC_MAX; s++)
			if (streq(sname, iommucap_source_name((enum iommucap_source)s)))
				src = (enum iommucap_source)s;
	}
	cv->source = src;
	switch (info->type) {
	case IOMMUCAP_T_INT:
		if (!json_is_integer(v))
			return jsonpath_bad(x, info->name, "expected an integer or null");
		cv->num = json_integer_value(v);
		return 0;
	case IOMMUCAP_T_BOOL:
		if (!json_is_boolean(v))
			return jsonpath_bad(x, info->name, "expected true, false or null");
		cv->num = json_is_true(v);
		return 0;
	case IOMMUCAP_T_ENUM:
		for (int n = 0; json_is_string(v) && info->names[n]; n++)
			if (streq(json_string_value(v), info->names[n])) {
				cv->num = n;
				return 0;
			}
		return jsonpath_bad(x, info->name, "expected one of its names or null");
	case IOMMUCAP_T_INT_LIST:
		if (!json_is_array(v))
			return jsonpath_bad(x, info->name, "expected an array of integers or null");
		cv->list.nums = calloc(json_array_size(v) + 1, sizeof(uint64_t));
		if (!cv->list.nums)
			return -ENOMEM;
		json_array_foreach (v, i, e) {
			if (!json_is_integer(e) || json_integer_value(e) < 0)
				return jsonpath_bad(x, info->name,
						    "expected an array of integers or null");
			cv->list.nums[cv->list.n++] = (uint64_t)json_integer_value(e);
		}
		return 0;
	case IOMMUCAP_T_STR_LIST:
		if (!json_is_array(v))
			return jsonpath_bad(x, info->name, "expected an array of strings or null");
		return doc_get_strv(x, v, info->name, &cv->list.strs, &cv->list.n);
	}
	return 0;
}

static int capabilities_decode(struct jsonpath *x, const struct doc_field *f, json_t *v, void *obj,
			       struct doc_dec *d)
{
	json_t *unknown = NULL, *sources = NULL;
	size_t saved;
	int k = 0;

	if (!json_is_object(v))
		return jsonpath_bad(x, f->key, "expected an object");
	saved = jsonpath_push(x, "%s", f->key);
	/* A summary has only values: an unknown one is "not known", a known one "register". */
	if (!d->summary) {
		unknown = json_object_get(v, CAPS_UNKNOWN);
		sources = json_object_get(v, CAPS_SOURCES);
		if (!unknown)
			k = jsonpath_bad(x, CAPS_UNKNOWN, "missing");
		else if (!json_is_object(unknown))
			k = jsonpath_bad(x, CAPS_UNKNOWN, "expected an object");
		else if (!sources)
			k = jsonpath_bad(x, CAPS_SOURCES, "missing");
		else if (!json_is_object(sources))
			k = jsonpath_bad(x, CAPS_SOURCES, "expected an object");
		else {
			const char *key;
			json_t *r;

			json_object_foreach (unknown, key, r)
				if (!json_is_string(r)) {
					k = jsonpath_bad(x, CAPS_UNKNOWN, "expected strings");
					break;
				}
		}
	}
	for (int c = 0; k >= 0 && c < _IOMMUCAP_CAP_MAX; c++)
		k = cap_decode(x, v, unknown, sources, obj, (enum iommucap_cap)c);
	jsonpath_pop(x, saved);
	return k;
}

/* A summary has the number of devices in place of their names. */
static int n_devices_encode(const struct doc_field *f, const void *obj, struct doc_enc *e,
			    json_t **ret)
{
	*ret = json_integer((json_int_t)((const struct iommucap_unit *)obj)->n_devices);
	return 0;
}

static int n_devices_decode(struct jsonpath *x, const struct doc_field *f, json_t *v, void *obj,
			    struct doc_dec *d)
{
	if (!json_is_integer(v))
		return jsonpath_bad(x, f->key, "expected an integer");
	if (json_integer_value(v) < 0)
		return jsonpath_bad(x, f->key, "expected a count");
	((struct iommucap_unit *)obj)->n_devices = (size_t)json_integer_value(v);
	return 0;
}

#define CUSTOM(name) .kind = DOC_CUSTOM, .encode = name##_encode, .decode = name##_decode

static const struct doc_field unit_fields[] = {
	{ "name", DOC_STR, DOC_IDENTITY, F(struct iommucap_unit, name) },
	{ "model", CUSTOM(model) },
	{ "model_id", DOC_INT, .offset = F(struct iommucap_unit, model_id) },
	{ "path", CUSTOM(path) },
	{ "property_dir", DOC_STR, DOC_NULLABLE, F(struct iommucap_unit, property_dir) },
	/* Each null register's reason is in raw_unknown. */
	{ "raw", .kind = DOC_CUSTOM, .flags = DOC_FULL, .reason_key = "raw_unknown",
	  .encode = raw_encode, .decode = raw_decode },
	{ "raw_unknown", .kind = DOC_CUSTOM, .flags = DOC_FULL, .encode = raw_unknown_encode,
	  .decode = object_decode },
	{ "fields", CUSTOM(fields), .flags = DOC_FULL },
	{ "capabilities", CUSTOM(capabilities) },
	{ "n_devices", CUSTOM(n_devices), .flags = DOC_SUMMARY },
	{ "devices", DOC_STRV, DOC_FULL, F(struct iommucap_unit, devices),
	  F(struct iommucap_unit, n_devices) },
	{ "hw_info_from", DOC_STR, DOC_OPTIONAL, F(struct iommucap_unit, hw_info_from) },
};

const struct doc_table doc_unit = DOC_TABLE(unit_fields, struct iommucap_unit);

const struct doc_field *doc_unit_capabilities(void)
{
	for (size_t i = 0; i < ELEMENTSOF(unit_fields); i++)
		if (unit_fields[i].encode == capabilities_encode)
			return &unit_fields[i];
	return NULL;
}

/* ---- the group ------------------------------------------------------------------------- */

static int resv_addr_encode(const struct doc_field *f, const void *obj, struct doc_enc *e,
			    json_t **ret)
{
	*ret = doc_hex(*(const uint64_t *)((const char *)obj + f->offset), 16);
	return 0;
}

static int resv_addr_decode(struct jsonpath *x, const struct doc_field *f, json_t *v, void *obj,
			    struct doc_dec *d)
{
	return doc_get_hex(x, v, f->key, (uint64_t *)((char *)obj + f->offset));
}

static const struct doc_field resv_fields[] = {
	{ "start", CUSTOM(resv_addr), .offset = F(struct iommucap_resv_region, start) },
	{ "end", CUSTOM(resv_addr), .offset = F(struct iommucap_resv_region, end) },
	{ "type", DOC_STR, .offset = F(struct iommucap_resv_region, type) },
};

static const struct doc_table resv_table = DOC_TABLE(resv_fields, struct iommucap_resv_region);

static const struct doc_field group_fields[] = {
	{ "id", DOC_INT, DOC_RANGE | DOC_IDENTITY, F(struct iommucap_group, id) },
	{ "type", DOC_STR, DOC_NULLABLE | DOC_REASON_MEMBER, F(struct iommucap_group, type),
	  .reason_key = "type", .reason_offset = F(struct iommucap_group, type_reason),
	  .reason_default = "unreadable" },
	{ "reserved_regions", DOC_ARRAY, DOC_NULLABLE | DOC_REASON_MEMBER | DOC_NULL_IF_REASON,
	  F(struct iommucap_group, resv), F(struct iommucap_group, n_resv),
	  .reason_key = "reserved_regions", .reason_offset = F(struct iommucap_group, resv_reason),
	  .sub = &resv_table },
	{ "devices", DOC_STRV, 0, F(struct iommucap_group, devices),
	  F(struct iommucap_group, n_devices) },
	{ "unknown", DOC_REASONS },
};

const struct doc_table doc_group = DOC_TABLE(group_fields, struct iommucap_group);

/* ---- the device ------------------------------------------------------------------------ */

static int group_encode(const struct doc_field *f, const void *obj, struct doc_enc *e, json_t **ret)
{
	int g = ((const struct iommucap_device *)obj)->group;

	*ret = g >= 0 ? json_integer(g) : json_null();
	return 0;
}

static int group_decode(struct jsonpath *x, const struct doc_field *f, json_t *v, void *obj,
			struct doc_dec *d)
{
	json_int_t g = json_integer_value(v);

	if (!json_is_null(v) && !json_is_integer(v))
		return jsonpath_bad(x, f->key, "expected an integer or null");
	((struct iommucap_device *)obj)->group =
		json_is_integer(v) && g >= 0 && g <= INT32_MAX ? (int)g : -1;
	return 0;
}

/* Vendor, device and class: hexadecimal of aux digits, all null when the IDs are unknown. */
static int pci_id_encode(const struct doc_field *f, const void *obj, struct doc_enc *e,
			 json_t **ret)
{
	const struct iommucap_device *d = obj;

	*ret = d->have_ids
		       ? doc_hex(*(const uint32_t *)((const char *)obj + f->offset), (int)f->aux)
		       : json_null();
	return 0;
}

static int pci_id_decode(struct jsonpath *x, const struct doc_field *f, json_t *v, void *obj,
			 struct doc_dec *d)
{
	struct iommucap_device *dev = obj;
	uint64_t id;
	int k;

	if (json_is_null(v)) {
		dev->have_ids = false;
		return 0;
	}
	if ((k = doc_get_hex(x, v, f->key, &id)) < 0)
		return k;
	*(uint32_t *)((char *)obj + f->offset) = (uint32_t)id;
	return 0;
}

/* The ACS capability bits by their names (PCIe 6.0 §7.7.8.2), null when unknown. */
static int acs_caps_encode(const struct doc_field *f, const void *obj, struct doc_enc *e,
			   json_t **ret)
{
	const struct iommucap_tri *t = &((const struct iommucap_device *)obj)->acs_caps;
	json_t *a;

	if (!t->known) {
		*ret = json_null();
		return 0;
	}
	a = json_array();
	for (size_t i = 0; a && i < IOMMUCAP_ACS_BITS; i++)
		if (t->value & (1 << i))
			doc_append(a, json_string(iommucap_acs_names[i]), &e->oom);
	*ret = a;
	return 0;
}

static int acs_caps_decode(struct jsonpath *x, const struct doc_field *f, json_t *v, void *obj,
			   struct doc_dec *d)
{
	int64_t bits = 0;
	json_t *e;
	size_t i;

	if (json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return jsonpath_bad(x, f->key, "expected an array or null");
	json_array_foreach (v, i, e)
		for (size_t b = 0; b < IOMMUCAP_ACS_BITS; b++)
			if (json_is_string(e) && streq(json_string_value(e), iommucap_acs_names[b]))
				bits |= 1 << b;
	return tri_set(&((struct iommucap_device *)obj)->acs_caps, bits);
}

/* What IOMMU_GET_HW_INFO said for the device (docs/hw-info.md); absent when not asked. */
static int hwinfo_encode(const struct doc_field *f, const void *obj, struct doc_enc *e,
			 json_t **ret)
{
	const struct iommucap_hwinfo *hw = &((const struct iommucap_device *)obj)->hw_info;
	const char *t = hwinfo_type_name(hw->data_type);
	json_t *o, *caps = NULL;
	char buf[32];

	*ret = NULL;
	if (!hw->tried)
		return 0;
	o = json_object();
	if (!o)
		return -ENOMEM;
	snprintf(buf, sizeof(buf), "unknown-%" PRIu32, hw->data_type);
	doc_set(o, "read", json_boolean(hw->read), &e->oom);
	doc_set(o, "reason",
		hw->read ? json_null() : json_string(hw->reason ? hw->reason : "not read"),
		&e->oom);
	doc_set(o, "data_type", hw->read ? json_string(t ? t : buf) : json_null(), &e->oom);
	if (hw->read && hw->capabilities_known) {
		caps = json_array();
		for (unsigned b = 0; caps && b < 64; b++) {
			if (!(hw->capabilities & (UINT64_C(1) << b)))
				continue;
			snprintf(buf, sizeof(buf), "bit-%u", b);
			doc_append(caps, json_string(hwinfo_cap_name(b) ? hwinfo_cap_name(b) : buf),
				   &e->oom);
		}
	} else
		caps = json_null();
	doc_set(o, "capabilities", caps, &e->oom);
	doc_set(o, "max_pasid_log2",
		hw->read && hw->max_pasid_known ? json_integer(hw->max_pasid_log2) : json_null(),
		&e->oom);
	*ret = o;
	return 0;
}

static int hwinfo_decode(struct jsonpath *x, const struct doc_field *f, json_t *o, void *obj,
			 struct doc_dec *d)
{
	struct iommucap_hwinfo *hw = &((struct iommucap_device *)obj)->hw_info;
	size_t saved = jsonpath_push(x, "%s", f->key);
	_cleanup_free_ char *type = NULL;
	json_t *caps, *e;
	bool known, read = false;
	uint64_t n;
	int64_t v = 0;
	size_t i;
	int k = 0;

	hw->tried = true;
	if (!json_is_object(o))
		k = jsonpath_bad(x, NULL, "expected an object");
	if (k >= 0)
		k = doc_get_bool(x, o, "read", false, &known, &read);
	hw->read = read;
	if (k >= 0)
		k = doc_get_str(x, o, "reason", read, &hw->reason);
	if (k >= 0)
		k = doc_get_str(x, o, "data_type", !read, &type);
	if (k >= 0 && type) {
		k = jsonpath_bad(x, "data_type", "not a hw_info type name or unknown-N");
		if (startswith(type, "unknown-") && parse_dec_u64(type + 8, &n) == 0 &&
		    n <= UINT32_MAX) {
			hw->data_type = (uint32_t)n;
			k = 0;
		}
		for (uint32_t t = 0; t < 32 && k < 0; t++)
			if (hwinfo_type_name(t) && streq(hwinfo_type_name(t), type)) {
				hw->data_type = t;
				k = 0;
			}
	}
	caps = k >= 0 ? json_object_get(o, "capabilities") : NULL;
	if (k >= 0 && !caps)
		k = jsonpath_bad(x, "capabilities", "missing");
	hw->capabilities_known = json_is_array(caps);
	json_array_foreach (caps, i, e) {
		const char *s = json_string_value(e);
		bool found = false;

		for (unsigned b = 0; s && b < 64 && !found; b++)
			if ((hwinfo_cap_name(b) && streq(s, hwinfo_cap_name(b))) ||
			    (startswith(s, "bit-") && parse_dec_u64(s + 4, &n) == 0 && n == b)) {
				hw->capabilities |= UINT64_C(1) << b;
				found = true;
			}
		if (!found && k >= 0)
			k = jsonpath_bad(x, "capabilities", "not a capability name or bit-N");
	}
	if (k >= 0 && caps && !json_is_array(caps) && !json_is_null(caps))
		k = jsonpath_bad(x, "capabilities", "expected an array or null");
	if (k >= 0)
		k = doc_get_int(x, o, "max_pasid_log2", true, &hw->max_pasid_known, &v);
	hw->max_pasid_log2 = (int)v;
	jsonpath_pop(x, saved);
	return k;
}

#define DEV(member) F(struct iommucap_device, member)

static const struct doc_field pasid_fields[] = {
	{ "supported", DOC_TRI_BOOL, .offset = DEV(pasid), .reason_key = "pasid" },
	{ "width", DOC_TRI_INT, .offset = DEV(pasid_width) },
	{ "exec", DOC_TRI_BOOL, .offset = DEV(pasid_exec) },
	{ "priv", DOC_TRI_BOOL, .offset = DEV(pasid_priv) },
};

static const struct doc_field ats_fields[] = {
	{ "supported", DOC_TRI_BOOL, .offset = DEV(ats), .reason_key = "ats" },
	{ "queue_depth", DOC_TRI_INT, .offset = DEV(ats_queue_depth) },
};

static const struct doc_field pri_fields[] = {
	{ "supported", DOC_TRI_BOOL, .offset = DEV(pri), .reason_key = "pri" },
	{ "max_requests", DOC_TRI_INT, .offset = DEV(pri_max_requests) },
};

static const struct doc_field acs_fields[] = {
	{ "supported", DOC_TRI_BOOL, .offset = DEV(acs), .reason_key = "acs" },
	{ "capabilities", CUSTOM(acs_caps) },
};

static const struct doc_table pasid_table = DOC_TABLE(pasid_fields, struct iommucap_device),
			      ats_table = DOC_TABLE(ats_fields, struct iommucap_device),
			      pri_table = DOC_TABLE(pri_fields, struct iommucap_device),
			      acs_table = DOC_TABLE(acs_fields, struct iommucap_device);

/* A device's summary (the interface's DeviceUnit) is where it sits: address, unit and group. */
static const struct doc_field device_fields[] = {
	{ "address", DOC_STR, DOC_IDENTITY, DEV(address) },
	{ "unit", DOC_STR, DOC_NULLABLE, DEV(unit) },
	{ "group", CUSTOM(group) },
	{ "driver", DOC_STR, DOC_NULLABLE | DOC_FULL, DEV(driver) },
	{ "vendor", CUSTOM(pci_id), .flags = DOC_FULL, .offset = DEV(vendor), .aux = 4 },
	{ "device", CUSTOM(pci_id), .flags = DOC_FULL, .offset = DEV(device_id), .aux = 4 },
	{ "class", CUSTOM(pci_id), .flags = DOC_FULL, .offset = DEV(class_code), .aux = 6 },
	/* Capabilities of the same struct, each an object of its own in the document. */
	{ "pasid", DOC_OBJECT, DOC_FULL, .sub = &pasid_table },
	{ "ats", DOC_OBJECT, DOC_FULL, .sub = &ats_table },
	{ "pri", DOC_OBJECT, DOC_FULL, .sub = &pri_table },
	{ "acs", DOC_OBJECT, DOC_FULL, .sub = &acs_table },
	{ "effective_pasid_bits", DOC_TRI_INT, DOC_FULL, .offset = DEV(effective_pasid_bits),
	  .reason_key = "effective_pasid_bits" },
	{ "iommufd", CUSTOM(hwinfo), .flags = DOC_OPTIONAL | DOC_FULL },
	{ "unknown", DOC_REASONS, DOC_FULL },
};

/* A capability the configuration space did not give is unknown for the space's reason. */
static const char *device_reason(const void *obj)
{
	return ((const struct iommucap_device *)obj)->config_reason;
}

static void device_init(void *obj)
{
	((struct iommucap_device *)obj)->have_ids = true; /* until an ID is null */
}

const struct doc_table doc_device =
	DOC_TABLE(device_fields, struct iommucap_device, .fallback_reason = device_reason,
		  .init = device_init);

/* ---- the host -------------------------------------------------------------------------- */

/* The IOMMU-related kernel command-line parameters: a string, or true for a bare flag. */
static int cmdline_encode(const struct doc_field *f, const void *obj, struct doc_enc *e,
			  json_t **ret)
{
	const struct iommucap_hostinfo *hi = obj;
	json_t *o;

	if (!hi->cmdline_known) {
		*ret = json_null();
		return 0;
	}
	o = json_object();
	for (size_t i = 0; o && i < hi->n_cmdline; i++)
		doc_set(o, hi->cmdline[i].key,
			hi->cmdline[i].value ? json_string(hi->cmdline[i].value) : json_true(),
			&e->oom);
	*ret = o;
	return 0;
}

static int cmdline_decode(struct jsonpath *x, const struct doc_field *f, json_t *v, void *obj,
			  struct doc_dec *d)
{
	struct iommucap_hostinfo *hi = obj;
	const char *key;
	json_t *val;

	if (json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return jsonpath_bad(x, f->key, "expected an object or null");
	hi->cmdline_known = true;
	hi->cmdline = calloc(json_object_size(v) + 1, sizeof(*hi->cmdline));
	if (!hi->cmdline)
		return -ENOMEM;
	json_object_foreach (v, key, val) {
		struct iommucap_kv *kv = &hi->cmdline[hi->n_cmdline];

		if (!json_is_string(val) && !json_is_true(val))
			return jsonpath_bad(x, f->key, "expected strings or true");
		kv->key = strdup(key);
		kv->value = json_is_string(val) ? strdup(json_string_value(val)) : NULL;
		hi->n_cmdline++;
		if (!kv->key || (json_is_string(val) && !kv->value))
			return -ENOMEM;
	}
	return 0;
}

#define HI(member) F(struct iommucap_hostinfo, member)

static const struct doc_field domain_fields[] = {
	{ "type", DOC_STR, .offset = HI(domain_type) },
	{ "mode", DOC_STR, .offset = HI(domain_mode) },
};

/* The CPU flags the checks ask about, true or false each, by their names in lib/vocab.h. */
static int cpu_flags_encode(const struct doc_field *f, const void *obj, struct doc_enc *e,
			    json_t **ret)
{
	const struct iommucap_hostinfo *hi = obj;
	json_t *o;

	if (!hi->cpu_flags_known) {
		*ret = json_null();
		return 0;
	}
	o = json_object();
	for (int i = 0; o && i < _IOMMUCAP_CPU_FLAG_MAX; i++)
		doc_set(o, iommucap_cpu_flag_names[i], json_boolean(hi->cpu_flags[i]), &e->oom);
	*ret = o;
	return 0;
}

static int cpu_flags_decode(struct jsonpath *x, const struct doc_field *f, json_t *v, void *obj,
			    struct doc_dec *d)
{
	struct iommucap_hostinfo *hi = obj;
	size_t saved;
	bool known;
	int k = 0;

	if (json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return jsonpath_bad(x, f->key, "expected an object or null");
	hi->cpu_flags_known = true;
	saved = jsonpath_push(x, "%s", f->key);
	for (int i = 0; k >= 0 && i < _IOMMUCAP_CPU_FLAG_MAX; i++)
		k = doc_get_bool(x, v, iommucap_cpu_flag_names[i], false, &known,
				 &hi->cpu_flags[i]);
	jsonpath_pop(x, saved);
	return k;
}

static const struct doc_table domain_table = DOC_TABLE(domain_fields, struct iommucap_hostinfo);

static const struct doc_field cpu_fields[] = {
	{ "vendor", DOC_STR, DOC_NULLABLE, HI(cpu_vendor) },
	{ "flags", CUSTOM(cpu_flags), .flags = DOC_NULLABLE | DOC_REASON_MEMBER,
	  .reason_key = "cpu_flags", .reason_offset = HI(cpu_flags_reason) },
};

static const struct doc_table cpu_table = DOC_TABLE(cpu_fields, struct iommucap_hostinfo);

static const struct doc_field hostinfo_fields[] = {
	{ "hostname", DOC_STR, DOC_NULLABLE, HI(hostname) },
	{ "machine_id", DOC_STR, DOC_NULLABLE, HI(machine_id) },
	{ "kernel_release", DOC_STR, DOC_NULLABLE, HI(kernel_release) },
	{ "cmdline", CUSTOM(cmdline), .reason_key = "cmdline",
	  .reason_default = "proc/cmdline is not readable" },
	{ "default_domain", DOC_OBJECT, DOC_NULLABLE | DOC_KNOWN_PTR | DOC_REASON_MEMBER, 0,
	  HI(domain_type), .reason_key = "default_domain", .reason_offset = HI(domain_reason),
	  .sub = &domain_table },
	{ "cpu", DOC_OBJECT, .sub = &cpu_table },
	{ "dev_iommu", DOC_BOOL, .offset = HI(dev_iommu) },
	{ "dev_vfio", DOC_BOOL, .offset = HI(dev_vfio) },
	{ "unknown", DOC_REASONS },
};

static void hostinfo_init(void *obj)
{
	struct iommucap_hostinfo *hi = obj;

	hi->kernel_major = hi->kernel_minor = -1;
}

static int hostinfo_finish(void *obj)
{
	struct iommucap_hostinfo *hi = obj;

	if (hi->kernel_release)
		(void)parse_kernel_release(hi->kernel_release, &hi->kernel_major,
					   &hi->kernel_minor);
	return 0;
}

static const struct doc_table hostinfo_table =
	DOC_TABLE(hostinfo_fields, struct iommucap_hostinfo, .init = hostinfo_init,
		  .finish = hostinfo_finish);

static int schema_version_encode(const struct doc_field *f, const void *obj, struct doc_enc *e,
				 json_t **ret)
{
	*ret = json_integer(IOMMUCAP_SCHEMA_VERSION);
	return 0;
}

static int schema_version_decode(struct jsonpath *x, const struct doc_field *f, json_t *v,
				 void *obj, struct doc_dec *d)
{
	if (!json_is_integer(v))
		return jsonpath_bad(x, f->key, "expected an integer");
	if (json_integer_value(v) != IOMMUCAP_SCHEMA_VERSION)
		return jsonpath_bad(
			x, f->key, "version %" JSON_INTEGER_FORMAT " is not supported (this is %d)",
			json_integer_value(v), IOMMUCAP_SCHEMA_VERSION);
	return 0;
}

/* The inventory record: when, and by what (optional in documents of other tools). */
#define TIME_FORMAT "%Y-%m-%dT%H:%M:%SZ"

static int generated_at_encode(const struct doc_field *f, const void *obj, struct doc_enc *e,
			       json_t **ret)
{
	time_t t = (time_t)((const struct iommucap_host *)obj)->generated_at;
	char when[32];
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(when, sizeof(when), TIME_FORMAT, &tm))
		snprintf(when, sizeof(when), "1970-01-01T00:00:00Z");
	*ret = json_string(when);
	return 0;
}

static int generated_at_decode(struct jsonpath *x, const struct doc_field *f, json_t *v, void *obj,
			       struct doc_dec *d)
{
	struct tm tm = { 0 };
	const char *end =
		json_is_string(v) ? strptime(json_string_value(v), TIME_FORMAT, &tm) : NULL;

	if (!end || *end)
		return jsonpath_bad(x, f->key, "expected a UTC time \"YYYY-MM-DDTHH:MM:SSZ\"");
	((struct iommucap_host *)obj)->generated_at = (int64_t)timegm(&tm);
	return 0;
}

static int generator_encode(const struct doc_field *f, const void *obj, struct doc_enc *e,
			    json_t **ret)
{
	*ret = json_pack("{s:s, s:s}", "name", PACKAGE_NAME, "version", PACKAGE_VERSION);
	return 0;
}

static int generator_decode(struct jsonpath *x, const struct doc_field *f, json_t *v, void *obj,
			    struct doc_dec *d)
{
	struct iommucap_host *h = obj;
	const char *name = json_string_value(json_object_get(v, "name"));
	const char *version = json_string_value(json_object_get(v, "version"));

	if (!name || !version)
		return jsonpath_bad(x, f->key, "expected {\"name\": ..., \"version\": ...}");
	if (asprintf(&h->generator, "%s %s", name, version) < 0) {
		h->generator = NULL;
		return -ENOMEM;
	}
	return 0;
}

#define HOST(member) F(struct iommucap_host, member)

static const struct doc_field host_fields[] = {
	{ "schema_version", CUSTOM(schema_version) },
	{ "generated_at", CUSTOM(generated_at), .flags = DOC_OPTIONAL },
	{ "generator", CUSTOM(generator), .flags = DOC_OPTIONAL },
	{ "host", DOC_OBJECT, .offset = HOST(info), .sub = &hostinfo_table },
	/* From here on written a member at a time (iommucap_host_write_json). */
	{ "units", DOC_ARRAY, 0, HOST(units), HOST(n_units), .sub = &doc_unit },
	{ "groups", DOC_ARRAY, 0, HOST(groups), HOST(n_groups), .sub = &doc_group },
	{ "devices", DOC_ARRAY, 0, HOST(devices), HOST(n_devices), .sub = &doc_device },
	{ "warnings", DOC_STRV, 0, HOST(warnings), HOST(n_warnings) },
};

const struct doc_table doc_host = DOC_TABLE(host_fields, struct iommucap_host);
