/* The host document read back into the model (what the daemon sends, or a stored inventory
 * record): the engine that walks the tables of document.c. */
#include "config.h"

#include "document.h"
#include "parse.h"
#include "sysfs.h"

static json_t *member(struct jsonpath *x, json_t *o, const char *key, int *k)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		*k = jsonpath_bad(x, key, "missing");
	return v;
}

int doc_get_str(struct jsonpath *x, json_t *o, const char *key, bool nullable, char **ret)
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

int doc_get_int(struct jsonpath *x, json_t *o, const char *key, bool nullable, bool *ret_known,
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

int doc_get_bool(struct jsonpath *x, json_t *o, const char *key, bool nullable, bool *ret_known,
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

int doc_get_hex(struct jsonpath *x, json_t *v, const char *key, uint64_t *ret)
{
	if (!json_is_string(v) || strncmp(json_string_value(v), "0x", 2) != 0 ||
	    parse_hex_u64(json_string_value(v), ret) < 0)
		return jsonpath_bad(x, key, "expected a \"0x...\" hexadecimal string");
	return 0;
}

int doc_get_strv(struct jsonpath *x, json_t *v, const char *key, char ***ret, size_t *ret_n)
{
	json_t *e;
	size_t i;
	int k;

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

int doc_reason_dup(json_t *unknown, const char *key, char **ret)
{
	const char *s = json_string_value(json_object_get(unknown, key));

	*ret = strdup(s ? s : "not known");
	return *ret ? 0 : -ENOMEM;
}

#define MEMBER(obj, off, type) ((type *)((char *)(obj) + (off)))

/* The reasons map ("unknown"): name to reason. */
static int reasons(struct jsonpath *x, const struct doc_field *f, json_t *o, json_t **ret)
{
	int k = 0;
	json_t *u = member(x, o, f->key, &k), *v;
	const char *key;

	if (!u)
		return k;
	if (!json_is_object(u))
		return jsonpath_bad(x, f->key, "expected an object");
	json_object_foreach (u, key, v)
		if (!json_is_string(v))
			return jsonpath_bad(x, f->key, "expected strings");
	*ret = u;
	return 0;
}

static int decode_table(struct jsonpath *x, const struct doc_table *t, json_t *o, void *obj,
			struct doc_dec *d);

static int decode_array(struct jsonpath *x, const struct doc_field *f, json_t *v, void *obj,
			struct doc_dec *d)
{
	char **elems = MEMBER(obj, f->offset, char *);
	size_t *n = MEMBER(obj, f->aux, size_t);
	json_t *e;
	size_t i;
	int k = 0;

	if (!json_is_array(v))
		return jsonpath_bad(x, f->key, "expected an array");
	*elems = calloc(json_array_size(v) + 1, f->sub->size);
	if (!*elems)
		return -ENOMEM;
	json_array_foreach (v, i, e) {
		size_t saved = jsonpath_push(x, "%s/%zu", f->key, i);

		/* Counted before it is read: a half-read element is freed with the rest. */
		k = decode_table(x, f->sub, e, *elems + (*n)++ * f->sub->size, d);
		jsonpath_pop(x, saved);
		if (k < 0)
			return k;
	}
	return 0;
}

static int decode_object(struct jsonpath *x, const struct doc_field *f, json_t *v, void *obj,
			 struct doc_dec *d)
{
	size_t saved;
	int k;

	if (!json_is_object(v))
		return jsonpath_bad(x, f->key,
				    f->flags & DOC_NULLABLE ? "expected an object or null"
							    : "expected an object");
	saved = jsonpath_push(x, "%s", f->key);
	k = decode_table(x, f->sub, v, MEMBER(obj, f->offset, char), d);
	jsonpath_pop(x, saved);
	return k;
}

static int decode_field(struct jsonpath *x, const struct doc_field *f, json_t *o, void *obj,
			struct doc_dec *d)
{
	bool tri = f->kind == DOC_TRI_BOOL || f->kind == DOC_TRI_INT, known, b;
	json_t *v = json_object_get(o, f->key);
	int64_t n;
	int k;

	if (!v)
		return f->flags & DOC_OPTIONAL ? 0 : jsonpath_bad(x, f->key, "missing");
	if (json_is_null(v) && (tri || (f->flags & DOC_NULLABLE))) {
		char **reason = tri ? &MEMBER(obj, f->offset, struct iommucap_tri)->reason
				: f->flags & DOC_REASON_MEMBER
					? MEMBER(obj, f->reason_offset, char *)
					: NULL;

		if (f->reason_key && reason &&
		    (k = doc_reason_dup(d->unknown, f->reason_key, reason)) < 0)
			return k;
		if (f->kind != DOC_CUSTOM)
			return 0;
	}
	switch (f->kind) {
	case DOC_STR:
		return doc_get_str(x, o, f->key, f->flags & DOC_NULLABLE,
				   MEMBER(obj, f->offset, char *));
	case DOC_INT:
		k = doc_get_int(x, o, f->key, false, &known, &n);
		if (k >= 0 && (f->flags & DOC_RANGE) && (n < 0 || n > INT32_MAX))
			k = jsonpath_bad(x, f->key, "out of range");
		if (k >= 0)
			*MEMBER(obj, f->offset, int) = (int)n;
		return k;
	case DOC_BOOL:
		return doc_get_bool(x, o, f->key, false, &known, MEMBER(obj, f->offset, bool));
	case DOC_STRV:
		return doc_get_strv(x, v, f->key, MEMBER(obj, f->offset, char **),
				    MEMBER(obj, f->aux, size_t));
	case DOC_TRI_BOOL:
		k = doc_get_bool(x, o, f->key, true, &known, &b);
		return k < 0 ? k : tri_set(MEMBER(obj, f->offset, struct iommucap_tri), b);
	case DOC_TRI_INT:
		k = doc_get_int(x, o, f->key, true, &known, &n);
		return k < 0 ? k : tri_set(MEMBER(obj, f->offset, struct iommucap_tri), n);
	case DOC_OBJECT:
		return decode_object(x, f, v, obj, d);
	case DOC_ARRAY:
		return decode_array(x, f, v, obj, d);
	case DOC_REASONS:
		return 0; /* read with its object, before the values whose reasons it has */
	case DOC_CUSTOM:
		return f->decode(x, f, v, obj, d);
	}
	return 0;
}

static bool in_view(const struct doc_field *f, const struct doc_dec *d)
{
	return !(f->flags & (d->summary ? DOC_FULL : DOC_SUMMARY));
}

static int decode_table(struct jsonpath *x, const struct doc_table *t, json_t *o, void *obj,
			struct doc_dec *d)
{
	struct doc_dec saved = *d;
	int k = 0;

	if (!json_is_object(o))
		return jsonpath_bad(x, NULL, "expected an object");
	if (t->init)
		t->init(obj);
	for (size_t i = 0; k >= 0 && i < t->n_fields; i++)
		if (t->fields[i].kind == DOC_REASONS && in_view(&t->fields[i], d))
			k = reasons(x, &t->fields[i], o, &d->unknown);
	d->parent = o;
	for (size_t i = 0; k >= 0 && i < t->n_fields; i++)
		if (in_view(&t->fields[i], d))
			k = decode_field(x, &t->fields[i], o, obj, d);
	if (k >= 0 && t->finish)
		k = t->finish(obj);
	*d = saved;
	return k;
}

int doc_decode(struct jsonpath *x, const struct doc_table *t, json_t *o, void *obj, bool summary)
{
	struct doc_dec d = { .summary = summary };

	return decode_table(x, t, o, obj, &d);
}

/* The parsed host, or on failure none and the first bad field's path and complaint. */
static int finish(struct jsonpath *x, int k, struct iommucap_host *h, struct iommucap_host **ret,
		  char **ret_error)
{
	if (k >= 0)
		host_sort_units(h);
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
	int k;

	if (!h)
		return -ENOMEM;
	if (!json_is_object(doc))
		k = jsonpath_bad(&x, NULL, "the host document must be a JSON object");
	else
		k = doc_decode(&x, &doc_host, doc, h, false);
	return finish(&x, k, h, ret, ret_error);
}

/* The host table's field that holds this member of the host. */
static const struct doc_field *host_field(size_t offset)
{
	for (size_t i = 0; i < doc_host.n_fields; i++)
		if (doc_host.fields[i].offset == offset)
			return &doc_host.fields[i];
	return NULL;
}

/* One array of the host (the field at offset), whole elements or summaries. */
static int read_array(struct jsonpath *x, struct iommucap_host *h, size_t offset, json_t *v,
		      bool summaries)
{
	struct doc_dec d = { .summary = summaries };

	return decode_array(x, host_field(offset), v, h, &d);
}

/* ListUnitRows' rows made unit summaries again: each gets the capability set it names. */
static int rows_to_summaries(struct jsonpath *x, json_t *capability_sets, json_t *units)
{
	const struct doc_field *cf = doc_unit_capabilities();
	json_t *row;
	size_t i;
	int k = 0;

	if (!json_is_array(capability_sets))
		return jsonpath_bad(x, "capability_sets", "expected an array");
	json_array_foreach (units, i, row) {
		json_t *set = json_object_get(row, "capability_set");
		size_t saved = jsonpath_push(x, "units/%zu", i);

		if (!json_is_object(row))
			k = jsonpath_bad(x, NULL, "expected an object");
		else if (!json_is_integer(set) || json_integer_value(set) < 0 ||
			 (size_t)json_integer_value(set) >= json_array_size(capability_sets))
			k = jsonpath_bad(x, "capability_set",
					 "expected an index of capability_sets");
		else if (json_object_set(row, cf->key,
					 json_array_get(capability_sets,
							(size_t)json_integer_value(set))) < 0 ||
			 json_object_del(row, "capability_set") < 0)
			k = -ENOMEM;
		jsonpath_pop(x, saved);
		if (k < 0)
			return k;
	}
	return 0;
}

/* The device names a unit row may carry (ListUnitRows with devices), as many as it counts. */
static int rows_devices(struct jsonpath *x, struct iommucap_host *h, json_t *units)
{
	json_t *row;
	size_t i;
	int k = 0;

	json_array_foreach (units, i, row) {
		json_t *v = json_object_get(row, "devices");
		struct iommucap_unit *u = &h->units[i];
		size_t saved = jsonpath_push(x, "units/%zu", i), n = 0;
		char **names = NULL;

		if (v && i < h->n_units) {
			k = doc_get_strv(x, v, "devices", &names, &n);
			if (k >= 0 && n != u->n_devices)
				k = jsonpath_bad(x, "devices", "not n_devices names");
			if (k >= 0)
				u->devices = names;
			else
				strv_free(names, n);
		}
		jsonpath_pop(x, saved);
		if (k < 0)
			return k;
	}
	return 0;
}

int iommucap_host_from_parts(const struct iommucap_host_parts *p, struct iommucap_host **ret,
			     char **ret_error)
{
	struct jsonpath x = { .path = "" };
	struct iommucap_host *h = calloc(1, sizeof(*h));
	int k = 0;

	if (!h)
		return -ENOMEM;
	if (p->capability_sets && p->units)
		k = rows_to_summaries(&x, p->capability_sets, p->units);
	if (k >= 0 && p->units)
		k = read_array(&x, h, offsetof(struct iommucap_host, units), p->units,
			       p->unit_summaries || p->capability_sets);
	if (k >= 0 && p->units && p->capability_sets)
		k = rows_devices(&x, h, p->units);
	if (k >= 0 && p->devices)
		k = read_array(&x, h, offsetof(struct iommucap_host, devices), p->devices,
			       p->device_summaries);
	if (k >= 0 && p->groups)
		k = read_array(&x, h, offsetof(struct iommucap_host, groups), p->groups, false);
	if (k >= 0 && p->warnings)
		k = doc_get_strv(&x, p->warnings,
				 host_field(offsetof(struct iommucap_host, warnings))->key,
				 &h->warnings, &h->n_warnings);
	return finish(&x, k, h, ret, ret_error);
}

/* Move n elements of size bytes from *from to the end of *to (which has *n_to). */
static int append_elements(void *to, size_t *n_to, void *from, size_t *n_from, size_t size)
{
	char **t = to, **f = from, *v;

	if (*n_from == 0)
		return 0;
	v = realloc(*t, (*n_to + *n_from + 1) * size);
	if (!v)
		return -ENOMEM;
	memcpy(v + *n_to * size, *f, *n_from * size);
	*t = v;
	*n_to += *n_from;
	*n_from = 0;
	return 0;
}

int iommucap_host_add_parts(struct iommucap_host *h, const struct iommucap_host_parts *p,
			    char **ret_error)
{
	struct iommucap_host *more = NULL;
	int k = iommucap_host_from_parts(p, &more, ret_error);
	bool units = k >= 0 && more->n_units > 0;

	if (k >= 0)
		k = append_elements(&h->units, &h->n_units, &more->units, &more->n_units,
				    sizeof(*h->units));
	if (k >= 0)
		k = append_elements(&h->groups, &h->n_groups, &more->groups, &more->n_groups,
				    sizeof(*h->groups));
	if (k >= 0)
		k = append_elements(&h->devices, &h->n_devices, &more->devices, &more->n_devices,
				    sizeof(*h->devices));
	if (k >= 0)
		k = append_elements(&h->warnings, &h->n_warnings, &more->warnings,
				    &more->n_warnings, sizeof(*h->warnings));
	if (units)
		host_sort_units(h);
	iommucap_host_free(more);
	if (k == -ENOMEM && ret_error)
		*ret_error = strdup(strerror(ENOMEM));
	return k;
}

int iommucap_host_from_units(json_t *units, json_t *warnings, bool summaries,
			     struct iommucap_host **ret, char **ret_error)
{
	struct iommucap_host_parts p = { .units = units,
					 .unit_summaries = summaries,
					 .warnings = warnings };

	return iommucap_host_from_parts(&p, ret, ret_error);
}
