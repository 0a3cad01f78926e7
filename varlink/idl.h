/* The varlink interface definition language: parse an interface's text, check values by it. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum vl_kind {
	VL_BOOL,
	VL_INT,
	VL_FLOAT,
	VL_STRING,
	VL_OBJECT,
	VL_ANY,
	VL_ENUM,
	VL_STRUCT,
	VL_NAMED, /* a reference to a type alias of the interface */
	VL_ARRAY,
	VL_MAP,
};

struct vl_field;

struct vl_type {
	enum vl_kind kind;
	bool nullable;
	char *name;		 /* VL_NAMED */
	struct vl_type *elem;	 /* VL_ARRAY, VL_MAP */
	struct vl_field *fields; /* VL_STRUCT */
	size_t n_fields;
	char **values; /* VL_ENUM */
	size_t n_values;
};

struct vl_field {
	char *name;
	struct vl_type *type;
};

struct vl_member {
	char *name;
	struct vl_type *in;  /* method input, error parameters, type alias */
	struct vl_type *out; /* method output */
	bool requires_more;  /* a "# [Requires 'more' flag]" comment */
};

struct vl_interface {
	char *name;
	char *text; /* the description, as given */
	struct vl_member *methods, *errors, *types;
	size_t n_methods, n_errors, n_types;
};

/*
 * Parse an interface description (the full varlink.org grammar, comments included). On a
 * syntax error, returns -EBADMSG and, when ret_error is given, a message with the line.
 */
int vl_interface_parse(const char *text, struct vl_interface **ret, char **ret_error);
struct vl_interface *vl_interface_free(struct vl_interface *i);

const struct vl_member *vl_interface_method(const struct vl_interface *i, const char *name);
const struct vl_member *vl_interface_error(const struct vl_interface *i, const char *name);

/*
 * Check call parameters (an object or NULL/null) against a method's input struct. Returns 0
 * when they conform; otherwise -EINVAL with *ret_field pointing at the top-level field that is
 * missing, unknown or of the wrong type (a string inside params or the IDL: do not free).
 */
int vl_validate_parameters(const struct vl_interface *i, const struct vl_type *in, json_t *params,
			   const char **ret_field);

/* Check any value against a type (used by the unit tests and for outgoing replies). */
bool vl_value_matches(const struct vl_interface *i, const struct vl_type *t, json_t *v);
