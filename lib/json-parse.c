/* The host document read back into the model: what the daemon sends, or a stored inventory record.
 */
#include "config.h"

#include <inttypes.h>
#include <time.h>
#include <stdarg.h>

#include "hwinfo.h"
#include "model.h"
#include "parse.h"
#include "regs-pci.h"
#include "jsonpath.h"
#include "sysfs.h"

static json_t *member(struct jsonpath *x, json_t *o, const char *key, int *k)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		*k = jsonpath_bad(x, key, "missing");
	return v;
}

static int get_str(struct jsonpath *x, json_t *o, const char *key, bool nullable, char **ret)
{
	int k = 0;
	json_t *v = member(x, o, key, &k);

	if (!v)
		return k;
	if (json_is_null(v) && nullable) {
		*ret = NULL;
		return 0;
	}
	if (!json_is_string(v))
		return jsonpath_bad(x, key,
				    nullable ? "expected a string or null" : "expected a string");
	*ret = strdup(json_string_value(v));
	return *ret ? 0 : -ENOMEM;
}

static int get_int(struct jsonpath *x, json_t *o, const char *key, bool nullable, bool *ret_known,
		   int64_t *ret)
{
	int k = 0;
	json_t *v = member(x, o, key, &k);

	if (!v)
		return k;
	if (json_is_null(v) && nullable) {
		*ret_known = false;
		return 0;
	}
	if (!json_is_integer(v))
		return jsonpath_bad(
			x, key, nullable ? "expected an integer or null" : "expected an integer");
	*ret_known = true;
	*ret = json_integer_value(v);
	return 0;
}

static int get_bool(struct jsonpath *x, json_t *o, const char *key, bool nullable, bool *ret_known,
		    bool *ret)
{
	int k = 0;
	json_t *v = member(x, o, key, &k);

	if (!v)
		return k;
	if (json_is_null(v) && nullable) {
		*ret_known = false;
		return 0;
	}
	if (!json_is_boolean(v))
		return jsonpath_bad(x, key,
				    nullable ? "expected true, false or null"
					     : "expected true or false");
	*ret_known = true;
	*ret = json_is_true(v);
	return 0;
}

static int get_hex(struct jsonpath *x, json_t *v, const char *key, uint64_t *ret)
{
	if (!json_is_string(v) || strncmp(json_string_value(v), "0x", 2) != 0 ||
	    parse_hex_u64(json_string_value(v), ret) < 0)
		return jsonpath_bad(x, key, "expected a \"0x...\" hexadecimal string");
	return 0;
}

static int get_strv(struct jsonpath *x, json_t *o, const char *key, char ***ret, size_t *ret_n)
{
	int k = 0;
	json_t *v = member(x, o, key, &k), *e;
	size_t i;

	if (!v)
		return k;
	if (!json_is_array(v))
		return jsonpath_bad(x, key, "expected an array of strings");
	json_array_foreach (v, i, e) {
		if (!json_is_string(e))
			return jsonpath_bad(x, key, "expected an array of strings");
		k = strv_push(ret, ret_n, strdup(json_string_value(e)));
		if (k < 0)
			return k;
	}
	return 0;
}

/* The reasons map ("unknown"): name to reason. */
static json_t *reasons(struct jsonpath *x, json_t *o, int *k)
{
	json_t *u = member(x, o, "unknown", k), *v;
	const char *key;

	if (!u)
		return NULL;
	if (!json_is_object(u)) {
		*k = jsonpath_bad(x, "unknown", "expected an object");
		return NULL;
	}
	json_object_foreach (u, key, v) {
		if (!json_is_string(v)) {
			*k = jsonpath_bad(x, "unknown", "expected strings");
			return NULL;
		}
	}
	return u;
}

static int reason_dup(json_t *u, const char *key, char **ret)
{
	const char *s = json_string_value(json_object_get(u, key));

	*ret = strdup(s ? s : "not known");
	return *ret ? 0 : -ENOMEM;
}

static int parse_cap(struct jsonpath *x, json_t *caps, json_t *unknown, json_t *sources,
		     struct iommucap_unit *u, enum iommucap_cap c)
{
	const struct iommucap_cap_info *info = iommucap_cap_info(c);
	struct iommucap_capval *cv = &u->caps[c];
	enum iommucap_source src = IOMMUCAP_SRC_REGISTER;
	const char *sname = json_string_value(json_object_get(sources, info->name));
	int k = 0;
	json_t *v = member(x, caps, info->name, &k), *e;
	size_t i;

	if (!v)
		return k;
	if (json_is_null(v))
		return reason_dup(unknown, info->name, &cv->reason);
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
	case IOMMUCAP_T_STR:
		if (!json_is_string(v))
			return jsonpath_bad(x, info->name, "expected a string or null");
		cv->str = strdup(json_string_value(v));
		return cv->str ? 0 : -ENOMEM;
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
		return get_strv(x, caps, info->name, &cv->list.strs, &cv->list.n);
	}
	return 0;
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

/* A unit's raw registers and their field view. */
static int parse_registers(struct jsonpath *x, json_t *o, struct iommucap_unit *u)
{
	json_t *raw, *raw_unknown, *fields, *v, *g, *f;
	const char *key, *fkey;
	int k = 0;

	raw = member(x, o, "raw", &k);
	raw_unknown = member(x, o, "raw_unknown", &k);
	fields = member(x, o, "fields", &k);
	if (k < 0)
		return k;
	if (!json_is_object(raw) || !json_is_object(raw_unknown) || !json_is_object(fields))
		return jsonpath_bad(x, NULL, "raw, raw_unknown and fields must be objects");
	json_object_foreach (raw, key, v) {
		uint64_t val = 0;
		const char *name = raw_name(key);

		if (!name)
			continue;
		if (!json_is_null(v) && (k = get_hex(x, v, key, &val)) < 0)
			return k;
		k = unit_add_raw(u, name, !json_is_null(v), val,
				 json_string_value(json_object_get(raw_unknown, key)));
		if (k < 0)
			return k;
	}
	json_object_foreach (fields, key, g) {
		if (!json_is_object(g))
			return jsonpath_bad(x, "fields", "expected objects of fields");
		json_object_foreach (g, fkey, f) {
			uint64_t num = 0;
			enum iommucap_field_kind kind = IOMMUCAP_FIELD_STR;

			if (json_is_integer(f)) {
				kind = IOMMUCAP_FIELD_NUM;
				num = (uint64_t)json_integer_value(f);
			} else if (json_is_string(f) &&
				   strncmp(json_string_value(f), "0x", 2) == 0 &&
				   parse_hex_u64(json_string_value(f), &num) == 0)
				kind = IOMMUCAP_FIELD_HEX;
			else if (!json_is_string(f))
				return jsonpath_bad(x, "fields", "expected integers and strings");
			k = unit_add_field_owned(u, key, fkey, kind, num,
						 kind == IOMMUCAP_FIELD_STR ? json_string_value(f)
									    : NULL);
			if (k < 0)
				return k;
		}
	}

	return 0;
}

static int parse_unit(struct jsonpath *x, json_t *o, bool summary, struct iommucap_unit *u)
{
	_cleanup_free_ char *model = NULL, *path = NULL;
	json_t *caps, *unknown, *sources;
	bool known;
	int64_t id;
	int k = 0;

	if (!json_is_object(o))
		return jsonpath_bad(x, NULL, "expected an object");
	if ((k = get_str(x, o, "name", false, &u->name)) < 0 ||
	    (k = get_str(x, o, "model", false, &model)) < 0 ||
	    (k = get_int(x, o, "model_id", false, &known, &id)) < 0 ||
	    (k = get_str(x, o, "path", false, &path)) < 0 ||
	    (k = get_str(x, o, "property_dir", true, &u->property_dir)) < 0)
		return k;
	if (summary) {
		int64_t n;

		if ((k = get_int(x, o, "n_devices", false, &known, &n)) < 0)
			return k;
		if (n < 0)
			return jsonpath_bad(x, "n_devices", "expected a count");
		u->n_devices = (size_t)n;
	} else if ((k = get_strv(x, o, "devices", &u->devices, &u->n_devices)) < 0)
		return k;
	if (json_object_get(o, "hw_info_from") &&
	    (k = get_str(x, o, "hw_info_from", false, &u->hw_info_from)) < 0)
		return k;
	u->model = IOMMUCAP_MODEL_UNKNOWN;
	for (int m = 0; m < _IOMMUCAP_MODEL_MAX; m++)
		if (streq(model, iommucap_model_name((enum iommucap_model)m)))
			u->model = (enum iommucap_model)m;
	u->model_id = (int)id;
	u->path = strdup(path[0] == '/' ? path + 1 : path);
	if (!u->path)
		return -ENOMEM;

	caps = member(x, o, "capabilities", &k);
	if (k < 0)
		return k;
	if (!json_is_object(caps))
		return jsonpath_bad(x, "capabilities", "expected an object");
	if (!summary) {
		k = parse_registers(x, o, u);
		if (k < 0)
			return k;
	}

	size_t saved = jsonpath_push(x, "capabilities");
	/* A summary has only values: an unknown one is "not known", a known one "register". */
	unknown = summary ? NULL : reasons(x, caps, &k);
	sources = summary ? NULL : member(x, caps, "sources", &k);
	if (k >= 0 && !summary && !json_is_object(sources))
		k = jsonpath_bad(x, "sources", "expected an object");
	for (int c = 0; k >= 0 && c < _IOMMUCAP_CAP_MAX; c++)
		k = parse_cap(x, caps, unknown, sources, u, (enum iommucap_cap)c);
	jsonpath_pop(x, saved);
	return k;
}

static int parse_group(struct jsonpath *x, json_t *o, struct iommucap_group *g)
{
	json_t *unknown, *resv, *r;
	bool known;
	int64_t id;
	size_t i;
	int k = 0;

	if (!json_is_object(o))
		return jsonpath_bad(x, NULL, "expected an object");
	if ((k = get_int(x, o, "id", false, &known, &id)) < 0 ||
	    (k = get_str(x, o, "type", true, &g->type)) < 0 ||
	    (k = get_strv(x, o, "devices", &g->devices, &g->n_devices)) < 0)
		return k;
	if (id < 0 || id > INT32_MAX)
		return jsonpath_bad(x, "id", "out of range");
	g->id = (int)id;
	unknown = reasons(x, o, &k);
	resv = member(x, o, "reserved_regions", &k);
	if (k < 0)
		return k;
	if (!g->type && (k = reason_dup(unknown, "type", &g->type_reason)) < 0)
		return k;
	if (json_is_null(resv))
		return reason_dup(unknown, "reserved_regions", &g->resv_reason);
	if (!json_is_array(resv))
		return jsonpath_bad(x, "reserved_regions", "expected an array or null");
	g->resv = calloc(json_array_size(resv) + 1, sizeof(*g->resv));
	if (!g->resv)
		return -ENOMEM;
	json_array_foreach (resv, i, r) {
		struct iommucap_resv_region *rr = &g->resv[g->n_resv];
		size_t saved = jsonpath_push(x, "reserved_regions/%zu", i);

		if (!json_is_object(r))
			k = jsonpath_bad(x, NULL, "expected an object");
		if (k >= 0)
			k = get_hex(x, json_object_get(r, "start"), "start", &rr->start);
		if (k >= 0)
			k = get_hex(x, json_object_get(r, "end"), "end", &rr->end);
		if (k >= 0)
			k = get_str(x, r, "type", false, &rr->type);
		jsonpath_pop(x, saved);
		if (k < 0)
			return k;
		g->n_resv++;
	}
	return 0;
}

static int get_tri_bool(struct jsonpath *x, json_t *o, const char *key, json_t *unknown,
			struct iommucap_tri *t)
{
	bool known = false, b = false;
	int k = get_bool(x, o, key, true, &known, &b);

	if (k < 0)
		return k;
	if (known)
		return tri_set(t, b);
	t->known = false;
	return unknown ? reason_dup(unknown, key, &t->reason) : 0;
}

static int get_tri_int(struct jsonpath *x, json_t *o, const char *key, struct iommucap_tri *t)
{
	bool known = false;
	int64_t v = 0;
	int k = get_int(x, o, key, true, &known, &v);

	if (k < 0)
		return k;
	if (known)
		return tri_set(t, v);
	return 0;
}

/* A device's "iommufd" object (docs/hw-info.md); the registers themselves are the unit's. */
static int parse_hwinfo(struct jsonpath *x, json_t *o, struct iommucap_hwinfo *hw)
{
	size_t saved = jsonpath_push(x, "iommufd");
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
		k = get_bool(x, o, "read", false, &known, &read);
	hw->read = read;
	if (k >= 0)
		k = get_str(x, o, "reason", read, &hw->reason);
	if (k >= 0)
		k = get_str(x, o, "data_type", !read, &type);
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
	caps = k >= 0 ? member(x, o, "capabilities", &k) : NULL;
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
		k = get_int(x, o, "max_pasid_log2", true, &hw->max_pasid_known, &v);
	hw->max_pasid_log2 = (int)v;
	jsonpath_pop(x, saved);
	return k;
}

static int parse_device(struct jsonpath *x, json_t *o, struct iommucap_device *d)
{
	json_t *unknown, *pasid, *ats, *pri, *acs, *caps, *e, *v;
	bool known;
	int64_t group;
	uint64_t id;
	size_t i;
	int k = 0;

	if (!json_is_object(o))
		return jsonpath_bad(x, NULL, "expected an object");
	if ((k = get_str(x, o, "address", false, &d->address)) < 0 ||
	    (k = get_str(x, o, "unit", true, &d->unit)) < 0 ||
	    (k = get_str(x, o, "driver", true, &d->driver)) < 0 ||
	    (k = get_int(x, o, "group", true, &known, &group)) < 0)
		return k;
	d->group = known && group >= 0 && group <= INT32_MAX ? (int)group : -1;
	d->have_ids = true;
	const char *ids[] = { "vendor", "device", "class" };
	uint32_t *dst[] = { &d->vendor, &d->device_id, &d->class_code };
	for (size_t n = 0; n < ELEMENTSOF(ids); n++) {
		v = member(x, o, ids[n], &k);
		if (!v)
			return k;
		if (json_is_null(v)) {
			d->have_ids = false;
			continue;
		}
		if ((k = get_hex(x, v, ids[n], &id)) < 0)
			return k;
		*dst[n] = (uint32_t)id;
	}
	unknown = reasons(x, o, &k);
	pasid = member(x, o, "pasid", &k);
	ats = member(x, o, "ats", &k);
	pri = member(x, o, "pri", &k);
	acs = member(x, o, "acs", &k);
	if (k < 0)
		return k;
	if (!json_is_object(pasid) || !json_is_object(ats) || !json_is_object(pri) ||
	    !json_is_object(acs))
		return jsonpath_bad(x, NULL, "pasid, ats, pri and acs must be objects");
	/* The capability's reason is under its own name in "unknown". */
	json_t *r = json_object();
	if (!r)
		return -ENOMEM;
	const char *names[] = { "pasid", "ats", "pri", "acs" };
	json_t *objs[] = { pasid, ats, pri, acs };
	struct iommucap_tri *sup[] = { &d->pasid, &d->ats, &d->pri, &d->acs };
	for (size_t n = 0; k >= 0 && n < ELEMENTSOF(names); n++) {
		size_t saved = jsonpath_push(x, "%s", names[n]);
		json_t *why = json_object_get(unknown, names[n]);

		json_object_set_new(r, "supported",
				    why ? json_incref(why) : json_string("not known"));
		k = get_tri_bool(x, objs[n], "supported", r, sup[n]);
		jsonpath_pop(x, saved);
	}
	json_decref(r);
	if (k < 0)
		return k;
	if ((k = get_tri_int(x, pasid, "width", &d->pasid_width)) < 0 ||
	    (k = get_tri_bool(x, pasid, "exec", NULL, &d->pasid_exec)) < 0 ||
	    (k = get_tri_bool(x, pasid, "priv", NULL, &d->pasid_priv)) < 0 ||
	    (k = get_tri_int(x, ats, "queue_depth", &d->ats_queue_depth)) < 0 ||
	    (k = get_tri_int(x, pri, "max_requests", &d->pri_max_requests)) < 0 ||
	    (k = get_tri_int(x, o, "effective_pasid_bits", &d->effective_pasid_bits)) < 0)
		return k;
	if (!d->effective_pasid_bits.known &&
	    (k = reason_dup(unknown, "effective_pasid_bits", &d->effective_pasid_bits.reason)) < 0)
		return k;
	v = json_object_get(o, "iommufd");
	if (v && (k = parse_hwinfo(x, v, &d->hw_info)) < 0)
		return k;
	caps = member(x, acs, "capabilities", &k);
	if (!caps)
		return k;
	if (json_is_array(caps)) {
		int64_t bits = 0;

		json_array_foreach (caps, i, e) {
			for (size_t b = 0; b < IOMMUCAP_ACS_BITS; b++)
				if (json_is_string(e) &&
				    streq(json_string_value(e), iommucap_acs_names[b]))
					bits |= 1 << b;
		}
		k = tri_set(&d->acs_caps, bits);
	} else if (!json_is_null(caps))
		k = jsonpath_bad(x, "acs/capabilities", "expected an array or null");
	return k;
}

static int parse_hostinfo(struct jsonpath *x, json_t *o, struct iommucap_hostinfo *hi)
{
	json_t *unknown, *cmdline, *dom, *cpu, *flags, *v;
	const char *key;
	bool known;
	int k = 0;

	if (!json_is_object(o))
		return jsonpath_bad(x, NULL, "expected an object");
	if ((k = get_str(x, o, "hostname", true, &hi->hostname)) < 0 ||
	    (k = get_str(x, o, "machine_id", true, &hi->machine_id)) < 0 ||
	    (k = get_str(x, o, "kernel_release", true, &hi->kernel_release)) < 0 ||
	    (k = get_bool(x, o, "dev_iommu", false, &known, &hi->dev_iommu)) < 0 ||
	    (k = get_bool(x, o, "dev_vfio", false, &known, &hi->dev_vfio)) < 0)
		return k;
	hi->kernel_major = hi->kernel_minor = -1;
	if (hi->kernel_release)
		(void)parse_kernel_release(hi->kernel_release, &hi->kernel_major,
					   &hi->kernel_minor);
	unknown = reasons(x, o, &k);
	cmdline = member(x, o, "cmdline", &k);
	dom = member(x, o, "default_domain", &k);
	cpu = member(x, o, "cpu", &k);
	if (k < 0)
		return k;
	if (json_is_object(cmdline)) {
		hi->cmdline_known = true;
		hi->cmdline = calloc(json_object_size(cmdline) + 1, sizeof(*hi->cmdline));
		if (!hi->cmdline)
			return -ENOMEM;
		json_object_foreach (cmdline, key, v) {
			struct iommucap_kv *kv = &hi->cmdline[hi->n_cmdline];

			if (!json_is_string(v) && !json_is_true(v))
				return jsonpath_bad(x, "cmdline", "expected strings or true");
			kv->key = strdup(key);
			kv->value = json_is_string(v) ? strdup(json_string_value(v)) : NULL;
			hi->n_cmdline++;
			if (!kv->key || (json_is_string(v) && !kv->value))
				return -ENOMEM;
		}
	} else if (!json_is_null(cmdline))
		return jsonpath_bad(x, "cmdline", "expected an object or null");
	if (json_is_object(dom)) {
		size_t saved = jsonpath_push(x, "default_domain");

		if ((k = get_str(x, dom, "type", false, &hi->domain_type)) >= 0)
			k = get_str(x, dom, "mode", false, &hi->domain_mode);
		jsonpath_pop(x, saved);
		if (k < 0)
			return k;
	} else if (json_is_null(dom))
		k = reason_dup(unknown, "default_domain", &hi->domain_reason);
	else
		return jsonpath_bad(x, "default_domain", "expected an object or null");
	if (k < 0)
		return k;
	if (!json_is_object(cpu))
		return jsonpath_bad(x, "cpu", "expected an object");
	size_t saved = jsonpath_push(x, "cpu");
	k = get_str(x, cpu, "vendor", true, &hi->cpu_vendor);
	flags = k >= 0 ? member(x, cpu, "flags", &k) : NULL;
	if (k >= 0 && json_is_object(flags)) {
		size_t s2 = jsonpath_push(x, "flags");

		hi->cpu_flags_known = true;
		for (int f = 0; k >= 0 && f < _IOMMUCAP_CPU_FLAG_MAX; f++)
			k = get_bool(x, flags, iommucap_cpu_flag_names[f], false, &known,
				     &hi->cpu_flags[f]);
		jsonpath_pop(x, s2);
	} else if (k >= 0 && json_is_null(flags))
		k = reason_dup(unknown, "cpu_flags", &hi->cpu_flags_reason);
	else if (k >= 0)
		k = jsonpath_bad(x, "flags", "expected an object or null");
	jsonpath_pop(x, saved);
	return k;
}

/* The parsed host, or on failure none and the first bad field's path and complaint. */
static int finish(struct jsonpath *x, int k, struct iommucap_host *h, struct iommucap_host **ret,
		  char **ret_error)
{
	if (k < 0) {
		iommucap_host_free(h);
		if (ret_error)
			*ret_error = x->error ? x->error : strdup(strerror(-k));
		else
			free(x->error);
		return k;
	}
	free(x->error);
	*ret = h;
	return 0;
}

int iommucap_host_from_json(json_t *doc, struct iommucap_host **ret, char **ret_error)
{
	struct jsonpath x = { .path = "" };
	struct iommucap_host *h = calloc(1, sizeof(*h));
	json_t *units, *groups, *devices, *warnings, *e;
	bool known;
	int64_t version;
	size_t i;
	int k = 0;

	if (!h)
		return -ENOMEM;
	if (!json_is_object(doc)) {
		k = jsonpath_bad(&x, NULL, "the host document must be a JSON object");
		goto out;
	}
	k = get_int(&x, doc, "schema_version", false, &known, &version);
	if (k >= 0 && version != IOMMUCAP_SCHEMA_VERSION)
		k = jsonpath_bad(&x, "schema_version",
				 "version %" PRId64 " is not supported (this is %d)", version,
				 IOMMUCAP_SCHEMA_VERSION);
	if (k < 0)
		goto out;
	/* The inventory record's time and generator are optional (documents of other tools). */
	json_t *when = json_object_get(doc, "generated_at"),
	       *gen = json_object_get(doc, "generator");
	if (when) {
		struct tm tm = { 0 };
		const char *end = json_is_string(when) ? strptime(json_string_value(when),
								  "%Y-%m-%dT%H:%M:%SZ", &tm)
						       : NULL;

		if (!end || *end) {
			k = jsonpath_bad(&x, "generated_at",
					 "expected a UTC time \"YYYY-MM-DDTHH:MM:SSZ\"");
			goto out;
		}
		h->generated_at = (int64_t)timegm(&tm);
	}
	if (gen) {
		const char *name = json_string_value(json_object_get(gen, "name"));
		const char *gversion = json_string_value(json_object_get(gen, "version"));

		if (!name || !gversion) {
			k = jsonpath_bad(&x, "generator",
					 "expected {\"name\": ..., \"version\": ...}");
			goto out;
		}
		if (asprintf(&h->generator, "%s %s", name, gversion) < 0) {
			h->generator = NULL;
			k = -ENOMEM;
			goto out;
		}
	}
	json_t *hostinfo = member(&x, doc, "host", &k);
	size_t saved = jsonpath_push(&x, "host");
	if (hostinfo)
		k = parse_hostinfo(&x, hostinfo, &h->info);
	jsonpath_pop(&x, saved);
	units = member(&x, doc, "units", &k);
	groups = member(&x, doc, "groups", &k);
	devices = member(&x, doc, "devices", &k);
	if (k < 0)
		goto out;
	if (!json_is_array(units) || !json_is_array(groups) || !json_is_array(devices)) {
		k = jsonpath_bad(&x, NULL, "units, groups and devices must be arrays");
		goto out;
	}
	h->units = calloc(json_array_size(units) + 1, sizeof(*h->units));
	h->groups = calloc(json_array_size(groups) + 1, sizeof(*h->groups));
	h->devices = calloc(json_array_size(devices) + 1, sizeof(*h->devices));
	if (!h->units || !h->groups || !h->devices) {
		k = -ENOMEM;
		goto out;
	}
	json_array_foreach (units, i, e) {
		saved = jsonpath_push(&x, "units/%zu", i);
		k = parse_unit(&x, e, false, &h->units[h->n_units++]);
		jsonpath_pop(&x, saved);
		if (k < 0)
			goto out;
	}
	json_array_foreach (groups, i, e) {
		saved = jsonpath_push(&x, "groups/%zu", i);
		k = parse_group(&x, e, &h->groups[h->n_groups++]);
		jsonpath_pop(&x, saved);
		if (k < 0)
			goto out;
	}
	json_array_foreach (devices, i, e) {
		saved = jsonpath_push(&x, "devices/%zu", i);
		k = parse_device(&x, e, &h->devices[h->n_devices++]);
		jsonpath_pop(&x, saved);
		if (k < 0)
			goto out;
	}
	warnings = json_object_get(doc, "warnings");
	if (warnings)
		k = get_strv(&x, doc, "warnings", &h->warnings, &h->n_warnings);
	else
		k = jsonpath_bad(&x, "warnings", "missing");
	if (k >= 0)
		host_sort_units(h);
out:
	return finish(&x, k, h, ret, ret_error);
}

int iommucap_host_from_units(json_t *units, json_t *warnings, bool summaries,
			     struct iommucap_host **ret, char **ret_error)
{
	struct jsonpath x = { .path = "" };
	struct iommucap_host *h = calloc(1, sizeof(*h));
	json_t *e;
	size_t i;
	int k = 0;

	if (!h)
		return -ENOMEM;
	if (!json_is_array(units) || (warnings && !json_is_array(warnings))) {
		k = jsonpath_bad(&x, NULL, "units and warnings must be arrays");
		goto out;
	}
	h->units = calloc(json_array_size(units) + 1, sizeof(*h->units));
	if (!h->units) {
		k = -ENOMEM;
		goto out;
	}
	json_array_foreach (units, i, e) {
		size_t saved = jsonpath_push(&x, "units/%zu", i);

		k = parse_unit(&x, e, summaries, &h->units[h->n_units++]);
		jsonpath_pop(&x, saved);
		if (k < 0)
			goto out;
	}
	if (warnings) {
		json_t *o = json_pack("{s:O}", "warnings", warnings);

		k = o ? get_strv(&x, o, "warnings", &h->warnings, &h->n_warnings) : -ENOMEM;
		json_decref(o);
	}
	if (k >= 0)
		host_sort_units(h);
out:
	return finish(&x, k, h, ret, ret_error);
}
