/* Column tables: text through libsmartcols, JSON through jansson, from one column table. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <libsmartcols.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/macro.h"
#include "table-engine.h"

static char *json_key(const char *name)
{
	char *s = strdup(name);

	for (char *p = s; p && *p; p++)
		*p = *p == '-' ? '_' : (char)tolower((unsigned char)*p);
	return s;
}

static int find_col(const struct table_spec *spec, const char *name, size_t len)
{
	for (size_t i = 0; i < spec->n_cols; i++)
		if (strlen(spec->cols[i].name) == len &&
		    strncasecmp(spec->cols[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

int table_parse_columns(const struct table_spec *spec, const char *arg, bool json, size_t **ret,
			size_t *ret_n, char **ret_bad)
{
	size_t *v = calloc(spec->n_cols * 2 + 64, sizeof(size_t)), n = 0,
	       cap = spec->n_cols * 2 + 64;

	if (!v)
		return -ENOMEM;
	if (!arg || *arg == '+') {
		for (size_t i = 0; i < spec->n_cols; i++)
			if (spec->cols[i].dflt || (json && spec->cols[i].json_dflt))
				v[n++] = i;
		if (arg)
			arg++;
	}
	while (arg && *arg) {
		size_t len = strcspn(arg, ",");
		int c = find_col(spec, arg, len);

		if (c < 0) {
			*ret_bad = strndup(arg, len);
			free(v);
			return -EINVAL;
		}
		if (n == cap) {
			free(v);
			*ret_bad = strdup("(too many columns)");
			return -E2BIG;
		}
		v[n++] = (size_t)c;
		arg += len;
		if (*arg == ',')
			arg++;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

void table_list_columns(const struct table_spec *spec, bool json)
{
	if (json) {
		json_t *a = json_array();

		for (size_t i = 0; a && i < spec->n_cols; i++)
			json_array_append_new(
				a, json_pack("{s:s, s:s, s:b}", "name", spec->cols[i].name, "help",
					     spec->cols[i].help, "default", spec->cols[i].dflt));
		json_t *o = json_pack("{s:o}", "columns", a);
		if (o) {
			json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
			fputc('\n', stdout);
		}
		json_decref(o);
		return;
	}
	for (size_t i = 0; i < spec->n_cols; i++)
		printf("%14s  %s%s\n", spec->cols[i].name, spec->cols[i].help,
		       spec->cols[i].dflt ? " (default)" : "");
}

static char *size_text(json_int_t v)
{
	static const char units[] = "KMGTPE";
	char *s;
	int u = -1;

	while (v >= 1024 && v % 1024 == 0 && u < (int)sizeof(units) - 2) {
		v /= 1024;
		u++;
	}
	if (asprintf(&s, u < 0 ? "%" JSON_INTEGER_FORMAT : "%" JSON_INTEGER_FORMAT "%c", v,
		     u < 0 ? 0 : units[u]) < 0)
		return NULL;
	return s;
}

static char *scalar_text(json_t *v, enum col_format f)
{
	char *s = NULL;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return strdup(json_string_value(v));
	case JSON_INTEGER:
		if (f == COLF_SIZE)
			return size_text(json_integer_value(v));
		if (asprintf(&s, "%" JSON_INTEGER_FORMAT, json_integer_value(v)) < 0)
			return NULL;
		return s;
	case JSON_TRUE:
		return strdup("yes");
	case JSON_FALSE:
		return strdup("no");
	case JSON_NULL:
		return strdup("?");
	default:
		return strdup("");
	}
}

/* Text form of a cell: "-" for nothing, "?" for unknown, lists joined by commas. */
static char *cell_text(json_t *v, enum col_format f)
{
	char *out = NULL;
	size_t len = 0;
	FILE *m;
	size_t i;
	json_t *e;

	if (!v)
		return strdup("-");
	if (!json_is_array(v))
		return scalar_text(v, f);
	if (json_array_size(v) == 0)
		return strdup("-");
	m = open_memstream(&out, &len);
	if (!m)
		return NULL;
	json_array_foreach (v, i, e) {
		_cleanup_free_ char *t = scalar_text(e, f);

		fprintf(m, "%s%s", i ? "," : "", t ? t : "");
	}
	fclose(m);
	return out;
}

/* One row as a JSON object: a key per chosen column, null for nothing or unknown. */
static json_t *row_object(const struct table_spec *spec, const size_t *cols, size_t n_cols,
			  const void *row, cell_getter get)
{
	json_t *o = json_object();

	for (size_t c = 0; o && c < n_cols; c++) {
		_cleanup_free_ char *key = json_key(spec->cols[cols[c]].name);
		json_t *v = get(row, cols[c]);

		if (!key || json_object_set_new(o, key, v ? v : json_null()) < 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

static int dump_json(const struct table_spec *spec, json_t *arr)
{
	json_t *top = json_object();
	int k = 0;

	if (!top || json_object_set_new(top, spec->name, arr) < 0) {
		json_decref(top);
		return -ENOMEM;
	}
	if (json_dumpf(top, stdout, JSON_INDENT(3) | JSON_PRESERVE_ORDER) < 0)
		k = -EIO;
	fputc('\n', stdout);
	json_decref(top);
	return k;
}

static int print_json(const struct table_spec *spec, const size_t *cols, size_t n_cols,
		      const void *const *rows, size_t n_rows, cell_getter get)
{
	json_t *arr = json_array();

	if (!arr)
		return -ENOMEM;
	for (size_t r = 0; r < n_rows; r++) {
		json_t *o = row_object(spec, cols, n_cols, rows[r], get);

		if (!o || json_array_append_new(arr, o) < 0) {
			json_decref(arr);
			return -ENOMEM;
		}
	}
	return dump_json(spec, arr);
}

/* lsblk --json's nesting: a row's children in its "children" array, made by its first child. */
static int print_json_tree(const struct table_spec *spec, const size_t *cols, size_t n_cols,
			   const void *const *rows, const ssize_t *parents, size_t n_rows,
			   cell_getter get)
{
	_cleanup_free_ json_t **objs = calloc(n_rows + 1, sizeof(json_t *));
	json_t *arr = json_array();

	if (!objs || !arr) {
		json_decref(arr);
		return -ENOMEM;
	}
	for (size_t r = 0; r < n_rows; r++) {
		json_t *o = row_object(spec, cols, n_cols, rows[r], get), *into = arr;

		if (o && parents[r] >= 0) {
			json_t *p = objs[parents[r]];

			into = json_object_get(p, "children");
			if (!into && json_object_set_new(p, "children", json_array()) == 0)
				into = json_object_get(p, "children");
		}
		if (!o || !into || json_array_append_new(into, o) < 0) {
			json_decref(arr);
			return -ENOMEM;
		}
		objs[r] = o; /* borrowed: the array holds it */
	}
	return dump_json(spec, arr);
}

/* The text table; parents NULL for a flat one. */
static int print_text(const struct table_spec *spec, const struct table_opts *o, const size_t *cols,
		      size_t n_cols, const void *const *rows, const ssize_t *parents, size_t n_rows,
		      cell_getter get)
{
	_cleanup_free_ struct libscols_line **lines = calloc(n_rows + 1, sizeof(*lines));
	struct libscols_table *tb;
	int k = 0;

	tb = scols_new_table();
	if (!tb || !lines) {
		scols_unref_table(tb);
		return -ENOMEM;
	}
	scols_table_enable_raw(tb, o->raw);
	scols_table_enable_noheadings(tb, o->noheadings);
	for (size_t c = 0; c < n_cols; c++) {
		const struct column *col = &spec->cols[cols[c]];
		int flags = col->scols_flags | (parents && c == 0 ? SCOLS_FL_TREE : 0);

		if (!scols_table_new_column(tb, col->name, col->whint, flags)) {
			k = -ENOMEM;
			goto out;
		}
	}
	for (size_t r = 0; r < n_rows; r++) {
		struct libscols_line *parent =
			parents && parents[r] >= 0 ? lines[parents[r]] : NULL;
		struct libscols_line *ln = scols_table_new_line(tb, parent);

		if (!ln) {
			k = -ENOMEM;
			goto out;
		}
		lines[r] = ln;
		for (size_t c = 0; c < n_cols; c++) {
			json_t *v = get(rows[r], cols[c]);
			char *t = cell_text(v, spec->cols[cols[c]].format);

			json_decref(v);
			if (!t || scols_line_refer_data(ln, c, t) < 0) {
				free(t);
				k = -ENOMEM;
				goto out;
			}
		}
	}
	if (scols_print_table(tb) < 0)
		k = -EIO;
out:
	scols_unref_table(tb);
	return k;
}

int table_print(const struct table_spec *spec, const struct table_opts *o, const size_t *cols,
		size_t n_cols, const void *const *rows, size_t n_rows, cell_getter get)
{
	if (o->json)
		return print_json(spec, cols, n_cols, rows, n_rows, get);
	return print_text(spec, o, cols, n_cols, rows, NULL, n_rows, get);
}

int table_print_tree(const struct table_spec *spec, const struct table_opts *o, const size_t *cols,
		     size_t n_cols, const void *const *rows, const ssize_t *parents, size_t n_rows,
		     cell_getter get)
{
	for (size_t r = 0; r < n_rows; r++)
		if (parents[r] >= (ssize_t)r)
			return -EINVAL;
	if (o->json)
		return print_json_tree(spec, cols, n_cols, rows, parents, n_rows, get);
	return print_text(spec, o, cols, n_cols, rows, parents, n_rows, get);
}
