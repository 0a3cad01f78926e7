/* The host document written from the model: the engine that walks the tables of document.c. */
#include "config.h"

#include <inttypes.h>

#include "document.h"

json_t *doc_hex(uint64_t v, int width)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%0*" PRIx64, width, v);
	return json_string(buf);
}

/* Every builder checks for a failure once, at its end. */
void doc_set(json_t *o, const char *key, json_t *v, bool *oom)
{
	if (!v || json_object_set_new(o, key, v) < 0)
		*oom = true;
}

void doc_append(json_t *a, json_t *v, bool *oom)
{
	if (!v || json_array_append_new(a, v) < 0)
		*oom = true;
}

json_t *doc_strv(char *const *v, size_t n, bool *oom)
{
	json_t *a = json_array();

	if (!a) {
		*oom = true;
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		doc_append(a, json_string(v[i]), oom);
	return a;
}

json_t *iommucap_capval_to_json(const struct iommucap_unit *u, enum iommucap_cap c)
{
	const struct iommucap_capval *v = &u->caps[c];
	bool oom = false;
	json_t *a;

	if (v->source == IOMMUCAP_SRC_UNKNOWN)
		return json_null();
	switch (iommucap_cap_info(c)->type) {
	case IOMMUCAP_T_INT:
		return json_integer(v->num);
	case IOMMUCAP_T_BOOL:
		return json_boolean(v->num);
	case IOMMUCAP_T_ENUM:
		return json_string(iommucap_cap_info(c)->names[v->num]);
	case IOMMUCAP_T_INT_LIST:
		a = json_array();
		for (size_t i = 0; a && i < v->list.n; i++)
			doc_append(a, json_integer((json_int_t)v->list.nums[i]), &oom);
		break;
	case IOMMUCAP_T_STR_LIST:
		a = doc_strv(v->list.strs, v->list.n, &oom);
		break;
	default:
		return NULL;
	}
	if (oom) {
		json_decref(a);
		return NULL;
	}
	return a;
}

#define MEMBER(obj, off, type) ((type *)((const char *)(obj) + (off)))

static bool in_view(const struct doc_field *f, bool summary)
{
	return !(f->flags & (summary ? DOC_FULL : DOC_SUMMARY));
}

static bool has_reasons(const struct doc_table *t)
{
	for (size_t i = 0; i < t->n_fields; i++)
		if (t->fields[i].kind == DOC_REASONS)
			return true;
	return false;
}

static json_t *tri_json(const struct iommucap_tri *t, bool boolean)
{
	if (!t->known)
		return json_null();
	return boolean ? json_boolean(t->value) : json_integer(t->value);
}

static json_t *encode_table(const struct doc_table *t, const void *obj, struct doc_enc *e);

static json_t *encode_array(const struct doc_field *f, const void *obj, struct doc_enc *e)
{
	const char *elems = *MEMBER(obj, f->offset, const char *const);
	size_t n = *MEMBER(obj, f->aux, const size_t);
	json_t *a = json_array();

	if (!a)
		return NULL;
	for (size_t i = 0; !e->oom && i < n; i++)
		doc_append(a, encode_table(f->sub, elems + i * f->sub->size, e), &e->oom);
	return a;
}

/* Why a null value is null: its own reason, the object's, the field's default. */
static const char *reason_of(const struct doc_field *f, const void *obj, struct doc_enc *e)
{
	const char *r = NULL;

	if (f->kind == DOC_TRI_BOOL || f->kind == DOC_TRI_INT)
		r = MEMBER(obj, f->offset, const struct iommucap_tri)->reason;
	else if (f->flags & DOC_REASON_MEMBER)
		r = *MEMBER(obj, f->reason_offset, char *const);
	if (!r && e->fallback)
		r = e->fallback(e->fallback_obj);
	return r ? r : f->reason_default ? f->reason_default : "not known";
}

static bool object_known(const struct doc_field *f, const void *obj)
{
	if ((f->flags & DOC_NULL_IF_REASON) && *MEMBER(obj, f->reason_offset, char *const))
		return false;
	if (f->flags & DOC_KNOWN_PTR)
		return *MEMBER(obj, f->aux, void *const) != NULL;
	return true;
}

json_t *doc_encode_field(const struct doc_field *f, const void *obj, struct doc_enc *e)
{
	const char *s;
	json_t *v = NULL;

	switch (f->kind) {
	case DOC_STR:
		s = *MEMBER(obj, f->offset, char *const);
		if (!s && (f->flags & DOC_OPTIONAL))
			return NULL;
		v = s ? json_string(s) : json_null();
		break;
	case DOC_INT:
		v = json_integer(*MEMBER(obj, f->offset, const int));
		break;
	case DOC_BOOL:
		v = json_boolean(*MEMBER(obj, f->offset, const bool));
		break;
	case DOC_STRV:
		v = doc_strv(*MEMBER(obj, f->offset, char **const),
			     *MEMBER(obj, f->aux, const size_t), &e->oom);
		break;
	case DOC_TRI_BOOL:
	case DOC_TRI_INT:
		v = tri_json(MEMBER(obj, f->offset, const struct iommucap_tri),
			     f->kind == DOC_TRI_BOOL);
		break;
	case DOC_OBJECT:
		v = object_known(f, obj)
			    ? encode_table(f->sub, MEMBER(obj, f->offset, const char), e)
			    : json_null();
		break;
	case DOC_ARRAY:
		v = object_known(f, obj) ? encode_array(f, obj, e) : json_null();
		break;
	case DOC_REASONS:
		v = json_incref(e->unknown);
		break;
	case DOC_CUSTOM:
		if (f->encode(f, obj, e, &v) < 0)
			e->oom = true;
		if (!v && (f->flags & DOC_OPTIONAL))
			return NULL;
		break;
	}
	if (!v)
		e->oom = true;
	else if (json_is_null(v) && f->reason_key)
		doc_set(e->unknown, f->reason_key, json_string(reason_of(f, obj, e)), &e->oom);
	return v;
}

/*
 * An object of the table. Its "unknown" map (when it has one) collects the reasons of the null
 * values before it, in the document's order; an object without one (pasid, cpu) adds to its
 * parent's.
 */
static json_t *encode_table(const struct doc_table *t, const void *obj, struct doc_enc *e)
{
	struct doc_enc saved = *e;
	json_t *o = json_object();

	if (has_reasons(t) && !(e->unknown = json_object()))
		e->oom = true;
	if (t->fallback_reason) {
		e->fallback = t->fallback_reason;
		e->fallback_obj = obj;
	}
	if (!o)
		e->oom = true;
	for (size_t i = 0; !e->oom && i < t->n_fields; i++) {
		const struct doc_field *f = &t->fields[i];
		json_t *v;

		if (!in_view(f, e->summary))
			continue;
		v = doc_encode_field(f, obj, e);
		if (v)
			doc_set(o, f->key, v, &e->oom);
	}
	if (e->unknown != saved.unknown)
		json_decref(e->unknown);
	saved.oom = e->oom;
	*e = saved;
	if (e->oom) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *doc_encode(const struct doc_table *t, const void *obj, bool summary)
{
	struct doc_enc e = { .summary = summary };

	return encode_table(t, obj, &e);
}

static int to_json(const struct doc_table *t, const void *obj, bool summary, json_t **ret)
{
	json_t *o = doc_encode(t, obj, summary);

	if (!o)
		return -ENOMEM;
	*ret = o;
	return 0;
}

int iommucap_unit_to_json(const struct iommucap_unit *u, json_t **ret)
{
	return to_json(&doc_unit, u, false, ret);
}

/*
 * A unit's summary: no registers, field view or device names (only their number), and the
 * capabilities without their reasons and sources.
 */
int iommucap_unit_summary_to_json(const struct iommucap_unit *u, json_t **ret)
{
	return to_json(&doc_unit, u, true, ret);
}

int iommucap_group_to_json(const struct iommucap_group *g, json_t **ret)
{
	return to_json(&doc_group, g, false, ret);
}

int iommucap_device_to_json(const struct iommucap_device *d, json_t **ret)
{
	return to_json(&doc_device, d, false, ret);
}

int iommucap_host_to_json(const struct iommucap_host *h, json_t **ret)
{
	return to_json(&doc_host, h, false, ret);
}

static const struct doc_field *host_array(enum iommucap_host_array a)
{
	static const size_t offsets[_IOMMUCAP_HOST_ARRAY_MAX] = {
		[IOMMUCAP_HOST_UNITS] = offsetof(struct iommucap_host, units),
		[IOMMUCAP_HOST_GROUPS] = offsetof(struct iommucap_host, groups),
		[IOMMUCAP_HOST_DEVICES] = offsetof(struct iommucap_host, devices),
	};

	for (size_t i = 0; a < _IOMMUCAP_HOST_ARRAY_MAX && i < doc_host.n_fields; i++)
		if (doc_host.fields[i].kind == DOC_ARRAY && doc_host.fields[i].offset == offsets[a])
			return &doc_host.fields[i];
	return NULL;
}

const char *iommucap_host_array_key(enum iommucap_host_array a)
{
	const struct doc_field *f = host_array(a);

	return f ? f->key : NULL;
}

const char *iommucap_host_array_identity(enum iommucap_host_array a)
{
	const struct doc_field *f = host_array(a);

	for (size_t i = 0; f && i < f->sub->n_fields; i++)
		if (f->sub->fields[i].flags & DOC_IDENTITY)
			return f->sub->fields[i].key;
	return NULL;
}

/* The host's array field of that key; "unit_summaries" and "device_summaries" are its units
 * and devices as summaries. */
static const struct doc_field *array_field(const char *key, bool *ret_summary)
{
	bool units = streq(key, "unit_summaries"), devices = streq(key, "device_summaries");

	*ret_summary = units || devices;
	for (size_t i = 0; i < doc_host.n_fields; i++) {
		const struct doc_field *f = &doc_host.fields[i];

		if (f->kind == DOC_ARRAY && (streq(f->key, key) || (units && f->sub == &doc_unit) ||
					     (devices && f->sub == &doc_device)))
			return f;
	}
	return NULL;
}

static int dump_to(json_t *v, FILE *f, size_t flags)
{
	int k = v ? json_dumpf(v, f, flags) : -1;

	json_decref(v);
	return k < 0 ? -ENOMEM : 0;
}

static int write_array(const struct iommucap_host *h, const struct doc_field *af, bool summary,
		       FILE *f, size_t flags)
{
	const char *elems = *MEMBER(h, af->offset, const char *const);
	size_t n = *MEMBER(h, af->aux, const size_t);
	int k = fputc('[', f) == EOF ? -EIO : 0;

	for (size_t i = 0; k >= 0 && i < n; i++) {
		if (i > 0 && fputc(',', f) == EOF)
			k = -EIO;
		if (k >= 0)
			k = dump_to(doc_encode(af->sub, elems + i * af->sub->size, summary), f,
				    flags);
	}
	if (k >= 0 && fputc(']', f) == EOF)
		k = -EIO;
	return k;
}

int iommucap_host_write_array(const struct iommucap_host *h, const char *key, FILE *f, size_t flags)
{
	bool summary;
	const struct doc_field *af = array_field(key, &summary);

	return af ? write_array(h, af, summary, f, flags) : -EINVAL;
}

/* The index of text among sets (taking it), or its new index at the end. */
static size_t set_index(char **sets, size_t *n, char *text)
{
	for (size_t i = 0; i < *n; i++)
		if (streq(sets[i], text)) {
			free(text);
			return i;
		}
	sets[*n] = text;
	return (*n)++;
}

/*
 * Two passes: the distinct capability values first (units of one model and stepping share
 * them), then each unit's summary with the index of its set for its capabilities.
 */
int iommucap_host_write_unit_rows(const struct iommucap_host *h, bool devices, FILE *f,
				  size_t flags)
{
	const struct doc_field *cf = doc_unit_capabilities();
	_cleanup_free_ size_t *set_of = calloc(h->n_units + 1, sizeof(*set_of));
	char **sets = calloc(h->n_units + 1, sizeof(*sets));
	size_t n_sets = 0;
	int k = cf && set_of && sets ? 0 : -ENOMEM;

	for (size_t i = 0; k >= 0 && i < h->n_units; i++) {
		struct doc_enc e = { .summary = true };
		json_t *caps = doc_encode_field(cf, &h->units[i], &e);
		char *text = caps && !e.oom ? json_dumps(caps, flags) : NULL;

		json_decref(caps);
		if (!text)
			k = -ENOMEM;
		else
			set_of[i] = set_index(sets, &n_sets, text);
	}
	if (k >= 0 && fputs("\"capability_sets\":[", f) == EOF)
		k = -EIO;
	for (size_t i = 0; k >= 0 && i < n_sets; i++)
		if ((i > 0 && fputc(',', f) == EOF) || fputs(sets[i], f) == EOF)
			k = -EIO;
	if (k >= 0 && fputs("],\"units\":[", f) == EOF)
		k = -EIO;
	for (size_t i = 0; k >= 0 && i < h->n_units; i++) {
		json_t *row = doc_encode(&doc_unit, &h->units[i], true);
		bool oom = false;

		if (row && devices)
			doc_set(row, "devices",
				doc_strv(h->units[i].devices, h->units[i].n_devices, &oom), &oom);
		if (!row || oom || json_object_del(row, cf->key) < 0 ||
		    json_object_set_new(row, "capability_set",
					json_integer((json_int_t)set_of[i])) < 0) {
			json_decref(row);
			k = -ENOMEM;
		} else if (i > 0 && fputc(',', f) == EOF)
			k = -EIO;
		else
			k = dump_to(row, f, flags);
	}
	if (k >= 0 && fputc(']', f) == EOF)
		k = -EIO;
	for (size_t i = 0; sets && i < n_sets; i++)
		free(sets[i]);
	free(sets);
	return k;
}

/*
 * The fields before the first array as one object without its closing brace, then each field
 * after it in turn, an array an element at a time: never the whole host as one tree.
 */
/* The fields before the first array; *ret_next is the index of that array's field. */
static json_t *encode_head(const struct iommucap_host *h, struct doc_enc *e, size_t *ret_next)
{
	json_t *head = json_object(), *v;
	size_t i = 0;

	for (; head && !e->oom && i < doc_host.n_fields && doc_host.fields[i].kind != DOC_ARRAY;
	     i++) {
		v = doc_encode_field(&doc_host.fields[i], h, e);
		if (v)
			doc_set(head, doc_host.fields[i].key, v, &e->oom);
	}
	if (!head || e->oom) {
		json_decref(head);
		return NULL;
	}
	*ret_next = i;
	return head;
}

int iommucap_host_head_to_json(const struct iommucap_host *h, json_t **ret)
{
	struct doc_enc e = { 0 };
	size_t next;
	json_t *head = encode_head(h, &e, &next);

	if (!head)
		return -ENOMEM;
	*ret = head;
	return 0;
}

int iommucap_host_write_json(const struct iommucap_host *h, FILE *f, size_t flags)
{
	struct doc_enc e = { 0 };
	json_t *head, *v;
	size_t i = 0, len;
	char *text;
	int k;

	if (flags & JSON_MAX_INDENT)
		return -EINVAL;
	head = encode_head(h, &e, &i);
	text = head ? json_dumps(head, flags) : NULL;
	json_decref(head);
	if (!text)
		return -ENOMEM;
	len = strlen(text);
	k = len >= 2 && fwrite(text, 1, len - 1, f) == len - 1 ? 0 : -EIO;
	free(text);
	for (; k >= 0 && i < doc_host.n_fields; i++) {
		const struct doc_field *df = &doc_host.fields[i];

		if (fprintf(f, ",\"%s\":", df->key) < 0)
			k = -EIO;
		else if (df->kind == DOC_ARRAY)
			k = write_array(h, df, false, f, flags);
		else {
			v = doc_encode_field(df, h, &e);
			if (e.oom) {
				json_decref(v);
				k = -ENOMEM;
			} else
				k = dump_to(v, f, flags);
		}
	}
	if (k >= 0 && fputc('}', f) == EOF)
		k = -EIO;
	return k;
}
