/* The varlink interface definition language: parse an interface's text, check values by it. */
#include "config.h"

#include <ctype.h>
#include <math.h>

#include "lib/macro.h"
#include "idl.h"

struct parser {
	const char *s, *p;
	char *error;
	char *last_comment; /* the comment lines just before the current token */
};

static void type_free(struct vl_type *t);

static void fields_free(struct vl_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].name);
		type_free(f[i].type);
	}
	free(f);
}

static void type_free(struct vl_type *t)
{
	if (!t)
		return;
	free(t->name);
	type_free(t->elem);
	fields_free(t->fields, t->n_fields);
	for (size_t i = 0; i < t->n_values; i++)
		free(t->values[i]);
	free(t->values);
	free(t);
}

static void members_free(struct vl_member *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(m[i].name);
		type_free(m[i].in);
		type_free(m[i].out);
	}
	free(m);
}

struct vl_interface *vl_interface_free(struct vl_interface *i)
{
	if (!i)
		return NULL;
	free(i->name);
	free(i->text);
	members_free(i->methods, i->n_methods);
	members_free(i->errors, i->n_errors);
	members_free(i->types, i->n_types);
	free(i);
	return NULL;
}

static int fail(struct parser *ps, const char *what)
{
	int line = 1;

	for (const char *c = ps->s; c < ps->p; c++)
		line += *c == '\n';
	if (!ps->error && asprintf(&ps->error, "line %d: %s", line, what) < 0)
		ps->error = NULL;
	return -EBADMSG;
}

/* Skip whitespace and comments, remembering the comment block right before the next token. */
static void skip(struct parser *ps)
{
	free(ps->last_comment);
	ps->last_comment = NULL;
	for (;;) {
		while (*ps->p && isspace((unsigned char)*ps->p))
			ps->p++;
		if (*ps->p != '#')
			return;
		const char *end = ps->p + strcspn(ps->p, "\n");
		size_t old = ps->last_comment ? strlen(ps->last_comment) : 0;
		char *n = realloc(ps->last_comment, old + (size_t)(end - ps->p) + 2);

		if (n) {
			memcpy(n + old, ps->p, (size_t)(end - ps->p));
			n[old + (size_t)(end - ps->p)] = '\n';
			n[old + (size_t)(end - ps->p) + 1] = 0;
			ps->last_comment = n;
		}
		ps->p = end;
	}
}

static bool accept(struct parser *ps, const char *tok)
{
	size_t len = strlen(tok);

	skip(ps);
	if (strncmp(ps->p, tok, len) != 0)
		return false;
	/* A keyword must not run on into a name. */
	if (isalpha((unsigned char)tok[len - 1]) &&
	    (isalnum((unsigned char)ps->p[len]) || ps->p[len] == '_'))
		return false;
	ps->p += len;
	return true;
}

/* A word of letters, digits, '_', '-' and '.': names are checked by the caller's rule. */
static char *word(struct parser *ps)
{
	const char *start;

	skip(ps);
	start = ps->p;
	while (isalnum((unsigned char)*ps->p) || *ps->p == '_' || *ps->p == '-' || *ps->p == '.')
		ps->p++;
	if (ps->p == start)
		return NULL;
	return strndup(start, (size_t)(ps->p - start));
}

static bool field_name_valid(const char *s)
{
	/* [A-Za-z](_?[A-Za-z0-9])* */
	if (!isalpha((unsigned char)*s))
		return false;
	for (s++; *s; s++) {
		if (*s == '_') {
			s++;
			if (!isalnum((unsigned char)*s))
				return false;
		} else if (!isalnum((unsigned char)*s))
			return false;
	}
	return true;
}

static bool type_name_valid(const char *s)
{
	if (!isupper((unsigned char)*s))
		return false;
	for (s++; *s; s++)
		if (!isalnum((unsigned char)*s))
			return false;
	return true;
}

static bool interface_name_valid(const char *s)
{
	/* [A-Za-z]([-]*[A-Za-z0-9])*(\.[A-Za-z0-9]([-]*[A-Za-z0-9])*)+ */
	size_t labels = 0;

	if (!isalpha((unsigned char)*s))
		return false;
	while (*s) {
		if (!isalnum((unsigned char)*s))
			return false;
		while (isalnum((unsigned char)*s) || *s == '-') {
			if (*s == '-' && (!s[1] || s[1] == '.'))
				return false;
			s++;
		}
		labels++;
		if (*s == '.') {
			s++;
			if (!*s)
				return false; /* a trailing dot */
		} else if (*s)
			return false;
	}
	return labels >= 2;
}

static int parse_type(struct parser *ps, struct vl_type **ret);

/* "(" fields ")" after the "(" was seen: a struct, or an enum when no field has a type. */
static int parse_struct_or_enum(struct parser *ps, struct vl_type **ret)
{
	struct vl_type *t = calloc(1, sizeof(*t));
	int k;

	if (!t)
		return -ENOMEM;
	t->kind = VL_STRUCT;
	if (accept(ps, ")")) {
		*ret = t;
		return 0;
	}
	for (;;) {
		char *name = word(ps);

		if (!name || !field_name_valid(name)) {
			free(name);
			type_free(t);
			return fail(ps, "expected a field name");
		}
		if (accept(ps, ":")) {
			struct vl_field *nf;
			struct vl_type *ft;

			if (t->n_values) {
				free(name);
				type_free(t);
				return fail(ps, "an enum value cannot have a type");
			}
			k = parse_type(ps, &ft);
			if (k < 0) {
				free(name);
				type_free(t);
				return k;
			}
			nf = realloc(t->fields, (t->n_fields + 1) * sizeof(*nf));
			if (!nf) {
				free(name);
				type_free(ft);
				type_free(t);
				return -ENOMEM;
			}
			t->fields = nf;
			t->fields[t->n_fields++] = (struct vl_field){ name, ft };
		} else {
			char **nv;

			if (t->n_fields) {
				free(name);
				type_free(t);
				return fail(ps, "expected ':' after a struct field name");
			}
			t->kind = VL_ENUM;
			nv = realloc(t->values, (t->n_values + 1) * sizeof(char *));
			if (!nv) {
				free(name);
				type_free(t);
				return -ENOMEM;
			}
			t->values = nv;
			t->values[t->n_values++] = name;
		}
		if (accept(ps, ")"))
			break;
		if (!accept(ps, ",")) {
			type_free(t);
			return fail(ps, "expected ',' or ')'");
		}
	}
	*ret = t;
	return 0;
}

static int parse_type(struct parser *ps, struct vl_type **ret)
{
	static const struct {
		const char *word;
		enum vl_kind kind;
	} scalars[] = {
		{ "bool", VL_BOOL },	 { "int", VL_INT },	  { "float", VL_FLOAT },
		{ "string", VL_STRING }, { "object", VL_OBJECT }, { "any", VL_ANY },
	};
	bool nullable = accept(ps, "?");
	struct vl_type *t = NULL;
	int k;

	if (accept(ps, "[]") || accept(ps, "[string]")) {
		bool map = ps->p[-1] == ']' && ps->p[-2] == 'g';

		t = calloc(1, sizeof(*t));
		if (!t)
			return -ENOMEM;
		t->kind = map ? VL_MAP : VL_ARRAY;
		k = parse_type(ps, &t->elem);
		if (k < 0) {
			type_free(t);
			return k;
		}
	} else if (accept(ps, "(")) {
		k = parse_struct_or_enum(ps, &t);
		if (k < 0)
			return k;
	} else {
		char *w = word(ps);

		if (!w)
			return fail(ps, "expected a type");
		for (size_t i = 0; i < ELEMENTSOF(scalars) && !t; i++)
			if (streq(w, scalars[i].word)) {
				t = calloc(1, sizeof(*t));
				if (t)
					t->kind = scalars[i].kind;
			}
		if (!t && type_name_valid(w)) {
			t = calloc(1, sizeof(*t));
			if (t) {
				t->kind = VL_NAMED;
				t->name = TAKE_PTR(w);
			}
		} else if (!t) {
			free(w);
			return fail(ps, "unknown type");
		}
		free(w);
		if (!t)
			return -ENOMEM;
	}
	t->nullable = nullable;
	*ret = t;
	return 0;
}

static int add_member(struct vl_member **v, size_t *n, struct vl_member m)
{
	struct vl_member *nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	nv[(*n)++] = m;
	*v = nv;
	return 0;
}

static const struct vl_member *find(const struct vl_member *v, size_t n, const char *name);

/* Every named type defined; no field twice in a struct. */
static int type_consistent(struct parser *ps, const struct vl_interface *i, const struct vl_type *t)
{
	if (!t)
		return 0;
	if (t->kind == VL_NAMED && !find(i->types, i->n_types, t->name))
		return fail(ps, "a type that is not defined is used");
	for (size_t a = 0; a < t->n_fields; a++) {
		for (size_t b = a + 1; b < t->n_fields; b++)
			if (streq(t->fields[a].name, t->fields[b].name))
				return fail(ps, "a field appears twice");
		if (type_consistent(ps, i, t->fields[a].type) < 0)
			return -EBADMSG;
	}
	for (size_t a = 0; a < t->n_values; a++)
		for (size_t b = a + 1; b < t->n_values; b++)
			if (streq(t->values[a], t->values[b]))
				return fail(ps, "an enum value appears twice");
	return type_consistent(ps, i, t->elem);
}

/* As systemd's varlink_idl_consistent(): names unique across members, every type defined. */
static int check_consistent(struct parser *ps, const struct vl_interface *i)
{
	const struct vl_member *sets[] = { i->methods, i->errors, i->types };
	const size_t ns[] = { i->n_methods, i->n_errors, i->n_types };

	for (size_t a = 0; a < 3; a++)
		for (size_t x = 0; x < ns[a]; x++) {
			for (size_t b = a; b < 3; b++)
				for (size_t y = a == b ? x + 1 : 0; y < ns[b]; y++)
					if (streq(sets[a][x].name, sets[b][y].name))
						return fail(ps, "a member name is defined twice");
			if (type_consistent(ps, i, sets[a][x].in) < 0 ||
			    type_consistent(ps, i, sets[a][x].out) < 0)
				return -EBADMSG;
		}
	return 0;
}

int vl_interface_parse(const char *text, struct vl_interface **ret, char **ret_error)
{
	struct parser ps = { .s = text, .p = text };
	struct vl_interface *i = calloc(1, sizeof(*i));
	int k = 0;

	if (!i)
		return -ENOMEM;
	i->text = strdup(text);
	if (!i->text) {
		k = -ENOMEM;
		goto out;
	}
	if (!accept(&ps, "interface")) {
		k = fail(&ps, "expected 'interface'");
		goto out;
	}
	i->name = word(&ps);
	if (!i->name || !interface_name_valid(i->name)) {
		k = fail(&ps, "invalid interface name");
		goto out;
	}
	for (;;) {
		struct vl_member m = { 0 };
		bool is_method = false, is_error = false;

		skip(&ps);
		if (!*ps.p)
			break;
		m.requires_more =
			ps.last_comment && strstr(ps.last_comment, "[Requires 'more' flag]");
		if (accept(&ps, "method"))
			is_method = true;
		else if (accept(&ps, "error"))
			is_error = true;
		else if (!accept(&ps, "type")) {
			k = fail(&ps, "expected 'type', 'method' or 'error'");
			goto out;
		}
		m.name = word(&ps);
		if (!m.name || !type_name_valid(m.name)) {
			free(m.name);
			k = fail(&ps, "invalid member name");
			goto out;
		}
		if (!accept(&ps, "(")) {
			free(m.name);
			k = fail(&ps, "expected '('");
			goto out;
		}
		k = parse_struct_or_enum(&ps, &m.in);
		if (k >= 0 && (is_method || is_error) && m.in->kind != VL_STRUCT)
			k = fail(&ps, "expected a struct");
		if (k >= 0 && is_method) {
			if (!accept(&ps, "->") || !accept(&ps, "("))
				k = fail(&ps, "expected '-> ('");
			else
				k = parse_struct_or_enum(&ps, &m.out);
			if (k >= 0 && m.out->kind != VL_STRUCT)
				k = fail(&ps, "expected a struct");
		}
		if (k >= 0)
			k = add_member(is_method  ? &i->methods
				       : is_error ? &i->errors
						  : &i->types,
				       is_method  ? &i->n_methods
				       : is_error ? &i->n_errors
						  : &i->n_types,
				       m);
		if (k < 0) {
			free(m.name);
			type_free(m.in);
			type_free(m.out);
			goto out;
		}
	}
	if (i->n_methods == 0 && i->n_errors == 0 && i->n_types == 0)
		k = fail(&ps, "an interface needs at least one member");
	if (k >= 0)
		k = check_consistent(&ps, i);
out:
	free(ps.last_comment);
	if (k < 0) {
		if (ret_error)
			*ret_error = ps.error;
		else
			free(ps.error);
		vl_interface_free(i);
		return k;
	}
	free(ps.error);
	*ret = i;
	return 0;
}

static const struct vl_member *find(const struct vl_member *v, size_t n, const char *name)
{
	for (size_t k = 0; k < n; k++)
		if (streq(v[k].name, name))
			return &v[k];
	return NULL;
}

const struct vl_member *vl_interface_method(const struct vl_interface *i, const char *name)
{
	return find(i->methods, i->n_methods, name);
}

const struct vl_member *vl_interface_error(const struct vl_interface *i, const char *name)
{
	return find(i->errors, i->n_errors, name);
}

static bool int_ok(json_t *v)
{
	if (json_is_integer(v))
		return true;
	/* An integral real (1e3) and a decimal string (for 64-bit values), as systemd accepts. */
	if (json_is_real(v)) {
		double d = json_real_value(v);

		return isfinite(d) && d == floor(d) && fabs(d) <= 18446744073709551616.0;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *end;

		if (*s == '-')
			s++;
		if (!isdigit((unsigned char)*s))
			return false;
		errno = 0;
		(void)strtoull(s, &end, 10);
		return !errno && !*end;
	}
	return false;
}

static bool struct_matches(const struct vl_interface *i, const struct vl_type *t, json_t *obj,
			   const char **ret_field, unsigned depth);

static bool matches(const struct vl_interface *i, const struct vl_type *t, json_t *v,
		    unsigned depth)
{
	const struct vl_member *alias;
	const char *key;
	json_t *e;
	size_t idx;

	if (depth > 64)
		return false;
	if (!v || json_is_null(v))
		return t->nullable;
	switch (t->kind) {
	case VL_BOOL:
		return json_is_boolean(v);
	case VL_INT:
		return int_ok(v);
	case VL_FLOAT:
		return json_is_number(v);
	case VL_STRING:
		return json_is_string(v);
	case VL_OBJECT:
		return json_is_object(v);
	case VL_ANY:
		return true;
	case VL_ENUM:
		if (!json_is_string(v))
			return false;
		for (size_t k = 0; k < t->n_values; k++)
			if (streq(t->values[k], json_string_value(v)))
				return true;
		return false;
	case VL_STRUCT:
		return json_is_object(v) && struct_matches(i, t, v, NULL, depth + 1);
	case VL_NAMED:
		alias = find(i->types, i->n_types, t->name);
		return alias && matches(i, alias->in, v, depth + 1);
	case VL_ARRAY:
		if (!json_is_array(v))
			return false;
		json_array_foreach (v, idx, e) {
			if (!matches(i, t->elem, e, depth + 1))
				return false;
		}
		return true;
	case VL_MAP:
		if (!json_is_object(v))
			return false;
		json_object_foreach (v, key, e) {
			if (!matches(i, t->elem, e, depth + 1))
				return false;
		}
		return true;
	}
	return false;
}

static bool struct_matches(const struct vl_interface *i, const struct vl_type *t, json_t *obj,
			   const char **ret_field, unsigned depth)
{
	const char *key;
	json_t *v;

	/* Declared fields in order: missing, null where not nullable, or of the wrong type. */
	for (size_t k = 0; k < t->n_fields; k++) {
		if (!matches(i, t->fields[k].type,
			     obj ? json_object_get(obj, t->fields[k].name) : NULL, depth)) {
			if (ret_field)
				*ret_field = t->fields[k].name;
			return false;
		}
	}
	/* Then fields the interface does not declare. */
	json_object_foreach (obj, key, v) {
		bool known = false;

		for (size_t k = 0; k < t->n_fields && !known; k++)
			known = streq(t->fields[k].name, key);
		if (!known) {
			if (ret_field)
				*ret_field = key;
			return false;
		}
	}
	return true;
}

int vl_validate_parameters(const struct vl_interface *i, const struct vl_type *in, json_t *params,
			   const char **ret_field)
{
	if (params && json_is_null(params))
		params = NULL;
	return struct_matches(i, in, params, ret_field, 0) ? 0 : -EINVAL;
}

bool vl_value_matches(const struct vl_interface *i, const struct vl_type *t, json_t *v)
{
	return matches(i, t, v, 0);
}
