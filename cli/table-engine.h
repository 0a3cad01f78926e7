/* One column table drives -o, --json, --raw, --list-columns, completion and the man page. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum col_format {
	COLF_PLAIN,
	COLF_SIZE, /* numbers printed as 4K, 2M, 1G in text output */
};

struct column {
	const char *name; /* header; JSON key is its lower-case snake_case form */
	double whint;
	int scols_flags;
	enum col_format format;
	bool dflt; /* shown without -o */
	const char *help;
	bool json_dflt; /* also shown without -o in JSON output */
};

/*
 * A cell's value is a jansson value: null when the value is unknown (text "?"); a NULL pointer
 * when there is nothing to show (text "-"). Strings, integers, booleans and arrays of them.
 */
typedef json_t *(*cell_getter)(const void *row, size_t col);

struct table_opts {
	bool json, raw, noheadings;
	const char *output; /* -o argument, or NULL */
};

struct table_spec {
	const char *name; /* the JSON array's key: "units", "devices", "groups" */
	const struct column *cols;
	size_t n_cols;
};

/* Parse "-o" into column indexes ("+LIST" appends to the defaults, the JSON ones for json).
 * -EINVAL names the column. */
int table_parse_columns(const struct table_spec *spec, const char *arg, bool json, size_t **ret,
			size_t *ret_n, char **ret_bad);

void table_list_columns(const struct table_spec *spec, bool json);

/* Print rows (an array of pointers) with the chosen columns. Returns 0 or -errno. */
int table_print(const struct table_spec *spec, const struct table_opts *o, const size_t *cols,
		size_t n_cols, const void *const *rows, size_t n_rows, cell_getter get);

/*
 * Print rows as a tree (lsblk's layout): parents[r] is the index of row r's parent, always before
 * it, or -1 for a root. The first column draws the tree; JSON nests each row's children in a
 * "children" array, as lsblk --json does. Returns 0 or -errno.
 */
int table_print_tree(const struct table_spec *spec, const struct table_opts *o, const size_t *cols,
		     size_t n_cols, const void *const *rows, const ssize_t *parents, size_t n_rows,
		     cell_getter get);
