/* The host document as data: a table of field descriptors per JSON object, walked by one writer
 * (json.c) and one reader (json-parse.c), the way systemd's sd_json_dispatch_field tables drive
 * its parsers. The tables (document.c) are the only place the document's keys are written. */
#pragma once

#include <stddef.h>

#include "jsonpath.h"
#include "model.h"

enum doc_kind {
	DOC_STR,      /* char *: a string, or null when NULL */
	DOC_INT,      /* int */
	DOC_BOOL,     /* bool */
	DOC_STRV,     /* char ** with its size_t count at aux */
	DOC_TRI_BOOL, /* struct iommucap_tri: true, false, or null (unknown) */
	DOC_TRI_INT,  /* struct iommucap_tri: an integer, or null (unknown) */
	DOC_OBJECT,   /* an object: the table sub, over the struct at offset */
	DOC_ARRAY,    /* an array of sub's struct: the pointer at offset, its size_t count at aux */
	DOC_REASONS,  /* the "unknown" map: why each null value of the object is null */
	DOC_CUSTOM,   /* encode and decode of its own */
};

enum {
	DOC_NULLABLE = 1 << 0,	/* may be null */
	DOC_OPTIONAL = 1 << 1,	/* left out when NULL (custom: when encode gives nothing); may be
				   absent when read */
	DOC_FULL = 1 << 2,	/* not in a summary (of a unit, or a device's DeviceUnit) */
	DOC_SUMMARY = 1 << 3,	/* only in a summary */
	DOC_RANGE = 1 << 4,	/* DOC_INT: 0 .. INT32_MAX */
	DOC_KNOWN_PTR = 1 << 5, /* DOC_OBJECT: null unless the pointer at aux is set */
	DOC_REASON_MEMBER = 1 << 6,  /* the reason of a null value is the char * at reason_offset */
	DOC_NULL_IF_REASON = 1 << 7, /* DOC_OBJECT, DOC_ARRAY: null when that reason is set */
	DOC_IDENTITY = 1 << 8,	     /* the member that names an element of its array */
};

struct doc_table;
struct doc_field;

/* What the writer carries down one object: the "unknown" map being filled, and whether this is a
 * unit summary. */
struct doc_enc {
	json_t *unknown;
	bool summary;
	bool oom;
	const char *(*fallback)(const void *obj); /* the object's reason before the default */
	const void *fallback_obj;
};

/* What the reader carries: the "unknown" map read, the object being read, a summary or not. */
struct doc_dec {
	json_t *unknown;
	json_t *parent;
	bool summary;
};

struct doc_field {
	const char *key;
	enum doc_kind kind;
	unsigned flags;
	size_t offset; /* the member, from the start of the table's struct */
	size_t aux; /* DOC_STRV, DOC_ARRAY: the count; DOC_KNOWN_PTR: the member saying it is known;
		       DOC_CUSTOM: the callback's own (a width) */
	/* When null, its reason is in the "unknown" map under this key (NULL: none is given). */
	const char *reason_key;
	size_t reason_offset;	    /* DOC_REASON_MEMBER */
	const char *reason_default; /* when neither the value nor the object has one: "not known" */
	const struct doc_table *sub;
	/* DOC_CUSTOM: *ret NULL (with DOC_OPTIONAL) leaves the key out. */
	int (*encode)(const struct doc_field *f, const void *obj, struct doc_enc *e, json_t **ret);
	/* DOC_CUSTOM: v may be null; the reason of a null value is already stored. */
	int (*decode)(struct jsonpath *x, const struct doc_field *f, json_t *v, void *obj,
		      struct doc_dec *d);
};

struct doc_table {
	const struct doc_field *fields;
	size_t n_fields;
	size_t size;					 /* the struct's, for arrays of it */
	const char *(*fallback_reason)(const void *obj); /* before the field's default */
	void (*init)(void *obj);			 /* before reading */
	int (*finish)(void *obj);			 /* after reading */
};

#define DOC_TABLE(f, type, ...)                                                                    \
	{                                                                                          \
		.fields = f, .n_fields = ELEMENTSOF(f), .size = sizeof(type), __VA_ARGS__          \
	}

/* The host document's tables (document.c). */
extern const struct doc_table doc_host, doc_unit, doc_group, doc_device;
/* The unit's capabilities field (ListUnitRows sends each distinct value once). */
const struct doc_field *doc_unit_capabilities(void);

/* The writer (json.c): the object the table describes; NULL on no memory. */
json_t *doc_encode(const struct doc_table *t, const void *obj, bool summary);
/* One field's value as the object has it (NULL: left out, or no memory: e->oom). */
json_t *doc_encode_field(const struct doc_field *f, const void *obj, struct doc_enc *e);
/* json_object_set_new / json_array_append_new that remember a failure in *oom. */
void doc_set(json_t *o, const char *key, json_t *v, bool *oom);
void doc_append(json_t *a, json_t *v, bool *oom);
json_t *doc_strv(char *const *v, size_t n, bool *oom);
json_t *doc_hex(uint64_t v, int width);

/* The reader (json-parse.c): fill obj from the object o (errors name the path in x). */
int doc_decode(struct jsonpath *x, const struct doc_table *t, json_t *o, void *obj, bool summary);
int doc_get_str(struct jsonpath *x, json_t *o, const char *key, bool nullable, char **ret);
int doc_get_int(struct jsonpath *x, json_t *o, const char *key, bool nullable, bool *ret_known,
		int64_t *ret);
int doc_get_bool(struct jsonpath *x, json_t *o, const char *key, bool nullable, bool *ret_known,
		 bool *ret);
int doc_get_hex(struct jsonpath *x, json_t *v, const char *key, uint64_t *ret);
int doc_get_strv(struct jsonpath *x, json_t *v, const char *key, char ***ret, size_t *ret_n);
int doc_reason_dup(json_t *unknown, const char *key, char **ret);
