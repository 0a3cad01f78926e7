/* compare and baseline: host documents as dump prints them, across a fleet. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "lib/fleet.h"
#include "lib/requirement.h"
#include "command.h"
#include "iommuctl.h"

#define EX_INVALID_HOST 65

/* A host document parsed and read back; an exit status and a message on failure. */
static int host_from_doc(json_t *doc, const char *what, struct iommucap_host **ret)
{
	_cleanup_free_ char *error = NULL;
	int k = iommucap_host_from_json(doc, ret, &error);

	if (k == -ENOMEM)
		return fail(EXIT_FAILURE, "out of memory");
	if (k < 0)
		return fail(EX_INVALID_HOST, "invalid host document (%s): %s", what, error ?: "?");
	return EXIT_SUCCESS;
}

static int load_host(const char *path, struct iommucap_host **ret)
{
	_cleanup_free_ char *text = NULL;
	json_error_t jerr;
	size_t len = 0;
	json_t *doc;
	int k = read_file(path, &text, &len), r;

	if (k < 0)
		return fail_errno(EX_NOINPUT, k, "cannot read %s", input_name(path));
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		return fail(EX_INVALID_HOST, "%s: not JSON: line %d: %s", input_name(path),
			    jerr.line, jerr.text);
	r = host_from_doc(doc, input_name(path), ret);
	json_decref(doc);
	return r;
}

static int load_offers(const char *path, struct iommucap_offers **ret)
{
	_cleanup_(iommucap_host_freep) struct iommucap_host *h = NULL;
	int r = load_host(path, &h);

	if (r != EXIT_SUCCESS)
		return r;
	if (iommucap_host_offers(h, arg_migratable ? IOMMUCAP_FLEET_MIGRATABLE : 0, ret) < 0)
		return fail(EXIT_FAILURE, "out of memory");
	return EXIT_SUCCESS;
}

static int only_one_stdin(void)
{
	size_t n = 0;

	for (size_t i = 0; i < arg_n_filters; i++)
		n += streq(arg_filters[i], "-");
	if (n > 1)
		return fail(EX_USAGE, "standard input (-) can be named once");
	return EXIT_SUCCESS;
}

/* A difference's value for people: strings bare, null as "unknown", the rest as JSON. */
static char *value_text(json_t *v)
{
	if (json_is_null(v))
		return strdup("unknown");
	if (json_is_string(v))
		return strdup(json_string_value(v));
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

static void print_comparison(const struct iommucap_comparison *c, const char *a, const char *b,
			     bool units)
{
	static const char *const phrases[] = {
		[IOMMUCAP_CMP_IDENTICAL] = "is identical to %s: each can take every guest the "
					   "other can",
		[IOMMUCAP_CMP_SUPERSET] = "is a superset of %s: it can take every guest that host "
					  "can, and offers more",
		[IOMMUCAP_CMP_SUBSET] =
			"is a subset of %s: it cannot take every guest that host can",
		[IOMMUCAP_CMP_INCOMPATIBLE] = "is incompatible with %s: it cannot take every guest "
					      "that host can",
	};

	printf("%s ", b);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	printf(phrases[c->result], a);
#pragma GCC diagnostic pop
	putchar('\n');
	for (size_t i = 0; i < c->n_diffs; i++) {
		const struct iommucap_difference *d = &c->diffs[i];
		_cleanup_free_ char *va = value_text(d->a), *vb = value_text(d->b);

		printf("  %-8s %s: A %s, B %s", iommucap_relation_name(d->relation), d->field,
		       va ?: "?", vb ?: "?");
		if (units && d->a_unit && d->b_unit)
			printf(" (A %s, B %s)", d->a_unit, d->b_unit);
		putchar('\n');
	}
}

static int do_compare(void)
{
	_cleanup_(iommucap_offers_freep) struct iommucap_offers *a = NULL;
	const char *aname;
	int r, worst = EXIT_SUCCESS;

	if (arg_n_filters < 2)
		return fail(EX_USAGE, "compare takes two host documents or more: A B [B...]");
	r = only_one_stdin();
	if (r != EXIT_SUCCESS)
		return r;
	r = load_offers(arg_filters[0], &a);
	if (r != EXIT_SUCCESS)
		return r;
	aname = input_name(arg_filters[0]);
	for (size_t i = 1; i < arg_n_filters; i++) {
		_cleanup_(iommucap_offers_freep) struct iommucap_offers *b = NULL;
		struct iommucap_comparison *c = NULL;
		const char *bname = input_name(arg_filters[i]);
		json_t *j = NULL;
		int k;

		r = load_offers(arg_filters[i], &b);
		if (r != EXIT_SUCCESS)
			return r;
		k = iommucap_compare(a, b, &c);
		if (k >= 0 && arg_table.json) {
			k = iommucap_comparison_to_json(c, &j);
			if (k >= 0 && (json_object_set_new(j, "a", json_string(aname)) < 0 ||
				       json_object_set_new(j, "b", json_string(bname)) < 0))
				k = -ENOMEM;
		}
		if (k < 0) {
			json_decref(j);
			iommucap_comparison_free(c);
			return fail(EXIT_FAILURE, "out of memory");
		}
		if (j) {
			/* One B: the object; several: one object per line. */
			json_dumpf(j, stdout,
				   arg_n_filters == 2 && !arg_compact
					   ? JSON_INDENT(2) | JSON_PRESERVE_ORDER
					   : JSON_COMPACT | JSON_PRESERVE_ORDER);
			putchar('\n');
			json_decref(j);
		} else
			print_comparison(c, aname, bname, a->n > 1 || b->n > 1);
		if (c->result != IOMMUCAP_CMP_IDENTICAL && c->result != IOMMUCAP_CMP_SUPERSET)
			worst = EXIT_FAILURE;
		iommucap_comparison_free(c);
	}
	return worst;
}

static int baseline_fold(struct iommucap_baseline *b, struct iommucap_host *h, const char *what)
{
	int k = iommucap_baseline_add(b, h);

	iommucap_host_free(h);
	if (k == -ENODEV)
		return fail(EXIT_FAILURE,
			    "%s has no IOMMU unit: no requirement is satisfied on every "
			    "host",
			    what);
	if (k < 0)
		return fail(EXIT_FAILURE, "out of memory");
	return EXIT_SUCCESS;
}

/* Standard input: one host document after another (concatenated or one per line). */
static int baseline_stdin(struct iommucap_baseline *b)
{
	size_t n = 0;

	for (;;) {
		struct iommucap_host *h = NULL;
		char what[64];
		json_error_t jerr;
		json_t *doc;
		int c, r;

		while ((c = getc(stdin)) == ' ' || c == '\t' || c == '\n' || c == '\r')
			;
		if (c == EOF)
			break;
		ungetc(c, stdin);
		snprintf(what, sizeof(what), "standard input, document %zu", ++n);
		doc = json_loadf(stdin, JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES, &jerr);
		if (!doc)
			return fail(EX_INVALID_HOST, "%s: not JSON: line %d: %s", what, jerr.line,
				    jerr.text);
		r = host_from_doc(doc, what, &h);
		json_decref(doc);
		if (r == EXIT_SUCCESS)
			r = baseline_fold(b, h, what);
		if (r != EXIT_SUCCESS)
			return r;
	}
	if (n == 0)
		return fail(EX_INVALID_HOST, "standard input holds no host document");
	return EXIT_SUCCESS;
}

/* The fold: one document at a time, so memory does not grow with the number of hosts. */
static int do_baseline(void)
{
	_cleanup_(iommucap_baseline_freep) struct iommucap_baseline *b = NULL;
	struct iommucap_requirement *req = NULL;
	json_t *doc = NULL;
	int r, k;

	if (arg_n_filters < 1)
		return fail(EX_USAGE, "baseline takes one host document or more (- for a "
				      "stream on standard input)");
	r = only_one_stdin();
	if (r != EXIT_SUCCESS)
		return r;
	if (iommucap_baseline_new(arg_migratable ? IOMMUCAP_FLEET_MIGRATABLE : 0, &b) < 0)
		return fail(EXIT_FAILURE, "out of memory");
	for (size_t i = 0; i < arg_n_filters; i++) {
		struct iommucap_host *h = NULL;

		if (streq(arg_filters[i], "-"))
			r = baseline_stdin(b);
		else {
			r = load_host(arg_filters[i], &h);
			if (r == EXIT_SUCCESS)
				r = baseline_fold(b, h, arg_filters[i]);
		}
		if (r != EXIT_SUCCESS)
			return r;
	}
	k = iommucap_baseline_requirement(b, &req);
	if (k >= 0)
		k = iommucap_requirement_to_json(req, &doc);
	iommucap_requirement_free(req);
	if (k < 0)
		return fail(EXIT_FAILURE, "out of memory");
	json_dumpf(doc, stdout,
		   (arg_compact ? JSON_COMPACT : JSON_INDENT(2)) | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(doc);
	return EXIT_SUCCESS;
}

const struct iommuctl_command iommuctl_cmd_compare = {
	.name = "compare",
	.run = do_compare,
	.args = "A B [B...]",
	.summary = "can host B take every guest host A can?",
	.doc = "Compare host documents (as dump prints them; - for standard input): can host B "
	       "take every guest host A can? identical, superset, subset or incompatible, with "
	       "the fields that differ.\v"
	       "Exit status: 0 B can take A's guests (identical, superset), 1 it cannot, 64 usage "
	       "error, 65 invalid host document, 66 unreadable file.",
	.options = (const int[]){ 'J', OPT_COMPACT, OPT_MIGRATABLE, 0 },
};

const struct iommuctl_command iommuctl_cmd_baseline = {
	.name = "baseline",
	.run = do_baseline,
	.args = "HOST...",
	.summary = "the largest requirement every host satisfies",
	.doc = "The largest requirement document every host satisfies, from host documents (as "
	       "dump prints them; - reads a stream of them), one at a time.\v"
	       "Exit status: 0 success, 1 no requirement is common (a host without units), 64 "
	       "usage error, 65 invalid host document, 66 unreadable file.",
	.options = (const int[]){ OPT_COMPACT, OPT_MIGRATABLE, 0 },
};
