/* check: can this host give a VMM what a requirement asks? */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "lib/compat.h"
#include "lib/requirement.h"
#include "check-report.h"
#include "command.h"
#include "iommuctl.h"

#define EX_INVALID_REQUIREMENT 65

/* The requirement: a document (FILE or -), or imported from QEMU or libvirt terms. */
static int load_requirement(struct iommucap_requirement **ret)
{
	_cleanup_free_ char *text = NULL, *error = NULL;
	const char *what;
	size_t len = 0;
	int k;

	/* "--qemu VALUE" (the value is optional, for suggest): the value is the next argument. */
	if ((arg_qemu_given && !arg_qemu) || (arg_libvirt_given && !arg_libvirt)) {
		if (arg_n_filters == 0 || (arg_qemu_given && arg_libvirt_given))
			return fail(EX_USAGE,
				    "check takes one requirement: FILE, -, --qemu or --libvirt");
		if (arg_qemu_given && !arg_qemu)
			arg_qemu = arg_filters[0];
		else
			arg_libvirt = arg_filters[0];
		memmove(arg_filters, arg_filters + 1, --arg_n_filters * sizeof(char *));
	}
	what = arg_qemu ? "--qemu" : arg_libvirt ? arg_libvirt : NULL;
	if ((arg_qemu != NULL) + (arg_libvirt != NULL) + (arg_n_filters > 0) != 1 ||
	    arg_n_filters > 1) {
		return fail(EX_USAGE, "check takes one requirement: FILE, -, --qemu or --libvirt");
	}
	if (arg_unit && arg_device)
		return fail(EX_USAGE, "--unit and --device exclude each other");
	if (arg_qemu)
		k = iommucap_requirement_from_qemu(arg_qemu, ret, &error);
	else {
		const char *path = arg_libvirt ?: arg_filters[0];

		what = streq(path, "-") ? "standard input" : path;
		k = read_file(path, &text, &len);
		if (k < 0)
			return fail_errno(EX_USAGE, k, "cannot read %s", what);
		if (arg_libvirt)
			k = iommucap_requirement_from_libvirt(text, len, ret, &error);
		else {
			json_error_t jerr;
			/* Duplicate keys refused, as the daemon's varlink reader refuses them. */
			json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);

			if (!doc)
				return fail(EX_INVALID_REQUIREMENT, "%s: not JSON: line %d: %s",
					    what, jerr.line, jerr.text);
			k = iommucap_requirement_from_json(doc, ret, &error);
			json_decref(doc);
		}
	}
	if (k == -ENOMEM)
		return fail(EXIT_FAILURE, "out of memory");
	if (k == -ELIBACC)
		return fail(EXIT_FAILURE, "%s", error ?: "cannot load libxml2");
	if (k < 0)
		return fail(EX_INVALID_REQUIREMENT, "invalid requirement (%s): %s", what,
			    error ?: "?");
	/* The command line's target replaces the document's. */
	if (arg_unit || arg_device) {
		free((*ret)->unit);
		free((*ret)->device);
		(*ret)->unit = arg_unit ? strdup(arg_unit) : NULL;
		(*ret)->device = arg_device ? strdup(arg_device) : NULL;
	}
	return EXIT_SUCCESS;
}

/* The rule records, as the man page's RULES section lists them (a test compares the two). */
static int list_rules(void)
{
	size_t n;
	const struct iommucap_rule *rules = iommucap_rules(&n);

	if (arg_table.json) {
		json_t *a = json_array();

		for (size_t i = 0; a && i < n; i++)
			json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s}", "id",
							   rules[i].id, "summary", rules[i].summary,
							   "compares", rules[i].compares,
							   "resolution", rules[i].resolution));
		json_dumpf(a, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(a);
		return EXIT_SUCCESS;
	}
	for (size_t i = 0; i < n; i++)
		printf("%s\n    %s\n    compares: %s\n    resolution: %s\n", rules[i].id,
		       rules[i].summary, rules[i].compares, rules[i].resolution);
	return EXIT_SUCCESS;
}

static int do_check(void)
{
	_cleanup_(iommucap_host_freep) struct iommucap_host *h = NULL;
	struct iommucap_requirement *req = NULL;
	json_t *reqdoc = NULL, *result = NULL;
	int r, k;

	if (arg_list_rules)
		return list_rules();
	r = load_requirement(&req);
	if (r != EXIT_SUCCESS)
		return r;
	k = iommucap_requirement_to_json(req, &reqdoc);
	if (k < 0) {
		iommucap_requirement_free(req);
		return EXIT_FAILURE;
	}
	if (arg_print_requirement) {
		json_dumpf(reqdoc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(reqdoc);
		iommucap_requirement_free(req);
		return EXIT_SUCCESS;
	}
	if (offline()) {
		struct iommucap_compat *c = NULL;

		r = probe(&h);
		if (r == EXIT_SUCCESS) {
			k = iommucap_check(h, req, &c);
			if (k >= 0)
				k = iommucap_compat_to_json(c, &result);
			iommucap_compat_free(c);
			if (k < 0)
				r = EXIT_FAILURE;
		}
	} else {
		r = daemon_call("io.iommucapd.Check", json_pack("{s:O}", "requirement", reqdoc),
				&result);
		if (r == EXIT_SUCCESS && iommucap_compat_values_wire(result, false) < 0) {
			warnx("iommu-capd sent a malformed result");
			r = EXIT_FAILURE;
		}
	}
	json_decref(reqdoc);
	iommucap_requirement_free(req);
	if (r != EXIT_SUCCESS)
		return r == EXIT_FAILURE ? EX_SOFTWARE : r;
	if (arg_table.json) {
		json_dumpf(result, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
	} else
		check_report_print(result, stdout);
	r = check_report_exit_status(result);
	json_decref(result);
	return r;
}

const struct iommuctl_command iommuctl_cmd_check = {
	.name = "check",
	.run = do_check,
	.args = "[FILE|-]",
	.summary = "can this host give a VMM what it requires?",
	.doc = "Can this host give a VMM what a requirement document "
	       "(schema/requirement.schema.json, FILE or - for standard input) asks, or what a "
	       "QEMU -device argument (--qemu) or a libvirt domain's <iommu> (--libvirt) implies? "
	       "One verdict per unit, with a reason for each failed rule; -J prints the full "
	       "result (schema/check-result.schema.json).\v"
	       "Exit status: 0 compatible, 1 incompatible, 2 indeterminate (something the host "
	       "does not say), 64 usage error, 65 invalid requirement, 69 daemon unreachable, 70 "
	       "failure.",
	.options = (const int[]){ SOURCE_OPTIONS, OPT_UNIT, OPT_DEVICE, OPT_QEMU, OPT_LIBVIRT,
				  OPT_PRINT_REQUIREMENT, OPT_LIST_RULES, 'J', 'q', 0 },
};
