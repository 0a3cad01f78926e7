/* iommuctl: show the host's IOMMUs, their devices and groups, or dump the host document. */
#include "config.h"

#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "lib/compat.h"
#include "lib/export-prometheus.h"
#include "lib/fleet.h"
#include "lib/iommucap.h"
#include "lib/macro.h"
#include "lib/requirement.h"
#include "nfd.h"
#include "tables.h"
#include "varlink-client.h"

#define DEFAULT_ADDRESS "unix:/run/iommu-capd/io.iommucapd"

static const char *arg_sysroot; /* given: probe this tree directly */
static const char *arg_address = DEFAULT_ADDRESS;
static bool arg_offline;
static bool arg_quiet;
static bool arg_compact;
static enum { FORMAT_JSON, FORMAT_PROMETHEUS, FORMAT_NFD } arg_format;
static bool arg_list_columns;
static const char *arg_unit, *arg_device, *arg_qemu, *arg_libvirt;
static bool arg_print_requirement;
static bool arg_list_rules;
static bool arg_migratable;
static struct table_opts arg_table;
static const char *arg_command;
static char **arg_filters;
static size_t arg_n_filters;

const char *argp_program_version = PACKAGE_NAME " " PACKAGE_VERSION;
const char *argp_program_bug_address = PACKAGE_BUGREPORT;

enum {
	OPT_SYSROOT = 0x100,
	OPT_OFFLINE,
	OPT_ADDRESS,
	OPT_UNIT,
	OPT_DEVICE,
	OPT_QEMU,
	OPT_LIBVIRT,
	OPT_PRINT_REQUIREMENT,
	OPT_LIST_RULES,
	OPT_LIST_COLUMNS,
	OPT_COMPACT,
	OPT_FORMAT,
	OPT_MIGRATABLE,
};

static const struct argp_option options[] = {
	{ NULL, 0, NULL, 0, "Where to read from:", 1 },
	{ "address", OPT_ADDRESS, "ADDRESS", 0,
	  "the daemon's address (default " DEFAULT_ADDRESS ")", 1 },
	{ "offline", OPT_OFFLINE, NULL, 0, "probe directly, without the daemon", 1 },
	{ "sysroot", OPT_SYSROOT, "DIR", 0,
	  "probe sys/, proc/ and dev/ under DIR directly (implies --offline)", 1 },
	{ NULL, 0, NULL, 0, "Output (show, devices, groups, monitor):", 2 },
	{ "json", 'J', NULL, 0, "use JSON output format", 2 },
	{ "raw", 'r', NULL, 0, "use raw output format", 2 },
	{ "output", 'o', "LIST", 0, "columns to show (+LIST adds to the default)", 2 },
	{ "noheadings", 'n', NULL, 0, "don't print headings", 2 },
	{ "list-columns", OPT_LIST_COLUMNS, NULL, 0, "list the command's columns and exit", 2 },
	{ NULL, 0, NULL, 0, "Check:", 3 },
	{ "unit", OPT_UNIT, "NAME", 0, "check against this unit only", 3 },
	{ "device", OPT_DEVICE, "ADDRESS", 0, "check for this PCI device (and its unit)", 3 },
	{ "qemu", OPT_QEMU, "DEVICE", 0,
	  "the requirement of a QEMU -device argument (intel-iommu,..., arm-smmuv3,...)", 3 },
	{ "libvirt", OPT_LIBVIRT, "FILE", 0, "the requirement of a libvirt domain's <iommu>", 3 },
	{ "print-requirement", OPT_PRINT_REQUIREMENT, NULL, 0,
	  "print the requirement document instead of checking", 3 },
	{ "list-rules", OPT_LIST_RULES, NULL, 0, "list the rules a check applies and exit", 3 },
	{ NULL, 0, NULL, 0, "Output (dump, baseline):", 4 },
	{ "compact", OPT_COMPACT, NULL, 0, "print the document on one line", 4 },
	{ "format", OPT_FORMAT, "FORMAT", 0,
	  "dump: json (the host document), prometheus (node_exporter textfile metrics) or nfd "
	  "(Kubernetes Node Feature Discovery labels)",
	  4 },
	{ NULL, 0, NULL, 0, "Fleet (compare, baseline):", 5 },
	{ "migratable", OPT_MIGRATABLE, NULL, 0,
	  "leave out what blocks migration (see the man page for each field)", 5 },
	{ NULL, 0, NULL, 0, "Other:", 6 },
	{ "quiet", 'q', NULL, 0, "don't print warnings about unreadable values", 6 },
	{ 0 }
};

static const char program_doc[] =
	"Show what the host's IOMMUs can do.\v"
	"Commands:\n"
	"  show [UNIT...]        one line per IOMMU unit (the default)\n"
	"  devices [ADDRESS...]  PCI devices: unit, group, PASID, ATS, PRI, ACS\n"
	"  groups [GROUP...]     IOMMU groups: default domain type and members\n"
	"  dump                  the host document as JSON (schema/host.schema.json);\n"
	"                        --format=prometheus or nfd: metrics, Kubernetes labels\n"
	"  monitor               follow units, devices and groups being added, removed,\n"
	"                        changed (one line each; -J for JSON lines)\n"
	"  check [FILE|-]        can this host give a VMM what a requirement document\n"
	"                        (or --qemu, --libvirt) asks? -J for the full result\n"
	"  compare A B [B...]    can host B take every guest host A can? identical,\n"
	"                        superset, subset or incompatible, with the fields\n"
	"                        that differ (host documents; - for standard input)\n"
	"  baseline HOST...      the largest requirement document every host satisfies\n"
	"                        (host documents; - reads a stream of them)\n"
	"\n"
	"Commands ask the iommu-capd daemon unless --offline or --sysroot is given.\n"
	"\n"
	"Exit status: 0 success, 1 failure, 64 usage error, 69 daemon unreachable.\n"
	"check: 0 compatible, 1 incompatible, 2 indeterminate, 65 bad requirement.\n"
	"compare: 0 B can take A's guests (identical, superset), 1 it cannot.\n"
	"baseline: 0, or 1 when no requirement is common (a host without units).\n"
	"compare, baseline: 65 invalid host document, 66 unreadable file.\n"
	"Unreadable values are warnings (see --quiet) and leave the status at 0.";

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case OPT_SYSROOT:
		arg_sysroot = arg;
		break;
	case OPT_ADDRESS:
		if (!startswith(arg, "unix:") || !arg[5])
			argp_error(state, "--address takes unix:PATH, not '%s'", arg);
		arg_address = arg;
		break;
	case OPT_OFFLINE:
		arg_offline = true;
		break;
	case 'J':
		arg_table.json = true;
		break;
	case 'r':
		arg_table.raw = true;
		break;
	case 'o':
		arg_table.output = arg;
		break;
	case 'n':
		arg_table.noheadings = true;
		break;
	case OPT_LIST_COLUMNS:
		arg_list_columns = true;
		break;
	case OPT_COMPACT:
		arg_compact = true;
		break;
	case OPT_FORMAT:
		if (streq(arg, "json"))
			arg_format = FORMAT_JSON;
		else if (streq(arg, "prometheus"))
			arg_format = FORMAT_PROMETHEUS;
		else if (streq(arg, "nfd"))
			arg_format = FORMAT_NFD;
		else
			argp_error(state, "--format takes json, prometheus or nfd, not '%s'", arg);
		break;
	case 'q':
		arg_quiet = true;
		break;
	case OPT_UNIT:
		arg_unit = arg;
		break;
	case OPT_DEVICE:
		arg_device = arg;
		break;
	case OPT_QEMU:
		arg_qemu = arg;
		break;
	case OPT_LIBVIRT:
		arg_libvirt = arg;
		break;
	case OPT_PRINT_REQUIREMENT:
		arg_print_requirement = true;
		break;
	case OPT_LIST_RULES:
		arg_list_rules = true;
		break;
	case OPT_MIGRATABLE:
		arg_migratable = true;
		break;
	case ARGP_KEY_ARG:
		if (!arg_command)
			arg_command = arg;
		else {
			char **nv = realloc(arg_filters, (arg_n_filters + 1) * sizeof(char *));

			if (!nv)
				argp_failure(state, EXIT_FAILURE, ENOMEM, "out of memory");
			arg_filters = nv;
			arg_filters[arg_n_filters++] = arg;
		}
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = { options, parse_opt, "[COMMAND [ARG...]]", program_doc, NULL,
				  NULL,	   NULL };

static void print_warnings(const struct iommucap_host *h)
{
	if (arg_quiet)
		return;
	for (size_t i = 0; i < h->n_warnings; i++)
		fprintf(stderr, "iommuctl: warning: %s\n", h->warnings[i]);
}

static bool offline(void)
{
	return arg_offline || arg_sysroot;
}

static int daemon_unreachable(int err)
{
	fprintf(stderr,
		"iommuctl: cannot reach iommu-capd at %s: %s (use --offline to probe directly)\n",
		arg_address + 5, strerror(-err));
	return EX_UNAVAILABLE;
}

/* One call to the daemon and its one reply; an error reply is reported and fails. */
static int daemon_call(const char *method, json_t *params, json_t **ret)
{
	struct vl_client *c;
	_cleanup_free_ char *error = NULL;
	bool continues;
	int k = vl_client_connect(arg_address, &c);

	if (k < 0) {
		json_decref(params);
		return daemon_unreachable(k);
	}
	k = vl_client_call(c, method, params, false);
	if (k >= 0)
		k = vl_client_read(c, ret, &error, &continues);
	vl_client_free(c);
	if (k < 0)
		return daemon_unreachable(k);
	if (error) {
		fprintf(stderr, "iommuctl: %s failed: %s\n", method, error);
		json_decref(*ret);
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}

/* The host document, from the daemon or from a direct probe. */
static int host_document(json_t **ret)
{
	_cleanup_(iommucap_root_freep) struct iommucap_root *root = NULL;
	_cleanup_(iommucap_host_freep) struct iommucap_host *h = NULL;
	json_t *reply;
	int k, r;

	if (!offline()) {
		r = daemon_call("io.iommucapd.GetHost", NULL, &reply);
		if (r != EXIT_SUCCESS)
			return r;
		*ret = json_incref(json_object_get(reply, "host"));
		json_decref(reply);
		if (!json_is_object(*ret)) {
			json_decref(*ret);
			fprintf(stderr, "iommuctl: iommu-capd sent no host document\n");
			return EXIT_FAILURE;
		}
		return EXIT_SUCCESS;
	}
	k = iommucap_root_open(arg_sysroot ?: "/", &root);
	if (k < 0) {
		fprintf(stderr, "iommuctl: cannot open %s: %s\n", arg_sysroot ?: "/", strerror(-k));
		return EXIT_FAILURE;
	}
	k = iommucap_probe(root, &h);
	if (k >= 0)
		k = iommucap_host_to_json(h, ret);
	if (k < 0) {
		fprintf(stderr, "iommuctl: cannot probe %s: %s\n", arg_sysroot ?: "/",
			strerror(-k));
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}

/* The model for the tables: read back from the document, whichever way it came. */
static int probe(struct iommucap_host **ret)
{
	_cleanup_free_ char *error = NULL;
	json_t *doc;
	int r = host_document(&doc), k;

	if (r != EXIT_SUCCESS)
		return r;
	k = iommucap_host_from_json(doc, ret, &error);
	json_decref(doc);
	if (k < 0) {
		fprintf(stderr, "iommuctl: the host document is not valid: %s\n", error ?: "?");
		return EXIT_FAILURE;
	}
	print_warnings(*ret);
	return EXIT_SUCCESS;
}

static bool wanted(const char *name)
{
	if (arg_n_filters == 0)
		return true;
	for (size_t i = 0; i < arg_n_filters; i++)
		if (streq(arg_filters[i], name))
			return true;
	return false;
}

/* Every filter must name something that exists, as "lsblk /dev/nope" complains. */
static int check_filters(const char *what, const char *const *names, size_t n)
{
	for (size_t f = 0; f < arg_n_filters; f++) {
		bool found = false;

		for (size_t i = 0; i < n && !found; i++)
			found = streq(arg_filters[f], names[i]);
		if (!found) {
			fprintf(stderr, "iommuctl: %s: no such %s\n", arg_filters[f], what);
			return EXIT_FAILURE;
		}
	}
	return EXIT_SUCCESS;
}

static int list_command(const struct table_spec *spec)
{
	_cleanup_(iommucap_host_freep) struct iommucap_host *h = NULL;
	_cleanup_free_ size_t *cols = NULL;
	_cleanup_free_ const void **rows = NULL;
	_cleanup_free_ const char **names = NULL;
	_cleanup_free_ char *bad = NULL;
	char numbuf[4096];
	size_t n_cols, n_rows = 0, n_all, numoff = 0;
	cell_getter get;
	int k, r;

	if (arg_list_columns) {
		table_list_columns(spec, arg_table.json);
		return EXIT_SUCCESS;
	}
	k = table_parse_columns(spec, arg_table.output, &cols, &n_cols, &bad);
	if (k == -ENOMEM) {
		fprintf(stderr, "iommuctl: out of memory\n");
		return EXIT_FAILURE;
	}
	if (k < 0) {
		fprintf(stderr, "iommuctl: unknown column: %s (see --list-columns)\n", bad);
		return EX_USAGE;
	}
	r = probe(&h);
	if (r != EXIT_SUCCESS)
		return r;
	tables_set_host(h);

	n_all = spec == &units_table	 ? h->n_units
		: spec == &devices_table ? h->n_devices
					 : h->n_groups;
	rows = calloc(n_all + 1, sizeof(void *));
	names = calloc(n_all + 1, sizeof(char *));
	if (!rows || !names) {
		fprintf(stderr, "iommuctl: out of memory\n");
		return EXIT_FAILURE;
	}
	for (size_t i = 0; i < n_all; i++) {
		const void *row;
		const char *name;

		if (spec == &units_table) {
			row = &h->units[i];
			name = h->units[i].name;
			get = unit_cell;
		} else if (spec == &devices_table) {
			row = &h->devices[i];
			name = h->devices[i].address;
		} else {
			int len;

			row = &h->groups[i];
			len = snprintf(numbuf + numoff, sizeof(numbuf) - numoff, "%d",
				       h->groups[i].id);
			if (len < 0 || (size_t)len >= sizeof(numbuf) - numoff)
				name = "";
			else {
				name = numbuf + numoff;
				numoff += (size_t)len + 1;
			}
		}
		names[i] = name;
		if (wanted(name))
			rows[n_rows++] = row;
	}
	get = spec == &units_table ? unit_cell : spec == &devices_table ? device_cell : group_cell;
	r = check_filters(spec == &units_table	   ? "unit"
			  : spec == &devices_table ? "device"
						   : "group",
			  names, n_all);
	if (r != EXIT_SUCCESS)
		return r;
	k = table_print(spec, &arg_table, cols, n_cols, rows, n_rows, get);
	if (k < 0) {
		fprintf(stderr, "iommuctl: cannot print: %s\n", strerror(-k));
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}

static int cmd_dump(void)
{
	json_t *doc = NULL, *w;
	size_t i;
	int r, k;

	if (arg_n_filters > 0) {
		fprintf(stderr, "iommuctl: dump takes no arguments\n");
		return EX_USAGE;
	}
	if (arg_format != FORMAT_JSON) {
		_cleanup_(iommucap_host_freep) struct iommucap_host *h = NULL;

		r = probe(&h); /* the model, from the daemon or a probe; prints the warnings */
		if (r != EXIT_SUCCESS)
			return r;
		/* The expiry counts from now, not from generated_at: the daemon's document may be
		 * days old and still current. */
		k = arg_format == FORMAT_NFD ? nfd_write(h, iommucap_now(), stdout)
					     : iommucap_host_to_prometheus(h, stdout);
		if (k < 0) {
			fprintf(stderr, "iommuctl: cannot print: %s\n", strerror(-k));
			return EXIT_FAILURE;
		}
		return EXIT_SUCCESS;
	}
	r = host_document(&doc);
	if (r != EXIT_SUCCESS)
		return r;
	json_array_foreach (json_object_get(doc, "warnings"), i, w) {
		if (!arg_quiet)
			fprintf(stderr, "iommuctl: warning: %s\n", json_string_value(w));
	}
	k = json_dumpf(doc, stdout,
		       (arg_compact ? JSON_COMPACT : JSON_INDENT(2)) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(doc);
	return k < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Follow Monitor: a line per change, until interrupted or the daemon goes away. */
static int cmd_monitor(void)
{
	struct vl_client *c;
	int k;

	if (arg_n_filters > 0) {
		fprintf(stderr, "iommuctl: monitor takes no arguments\n");
		return EX_USAGE;
	}
	if (offline()) {
		fprintf(stderr, "iommuctl: monitor needs the daemon (it watches for changes)\n");
		return EX_USAGE;
	}
	k = vl_client_connect(arg_address, &c);
	if (k < 0)
		return daemon_unreachable(k);
	k = vl_client_call(c, "io.iommucapd.Monitor", NULL, true);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (bool continues = true; k >= 0 && continues;) {
		_cleanup_free_ char *error = NULL;
		json_t *params, *ev;

		k = vl_client_read(c, &params, &error, &continues);
		if (k < 0)
			break;
		if (error) {
			fprintf(stderr, "iommuctl: Monitor failed: %s\n", error);
			json_decref(params);
			vl_client_free(c);
			return EXIT_FAILURE;
		}
		ev = json_object_get(params, "event");
		if (arg_table.json)
			json_dumpf(ev, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		else
			printf("%-7s %-6s %s", json_string_value(json_object_get(ev, "action")),
			       json_string_value(json_object_get(ev, "kind")),
			       json_string_value(json_object_get(ev, "name")));
		putchar('\n');
		json_decref(params);
	}
	vl_client_free(c);
	if (k < 0) {
		fprintf(stderr, "iommuctl: lost iommu-capd: %s\n", strerror(-k));
		return EX_UNAVAILABLE;
	}
	return EXIT_SUCCESS;
}

#define EX_INVALID_REQUIREMENT 65

static int read_file(const char *path, char **ret, size_t *ret_len)
{
	FILE *f = streq(path, "-") ? stdin : fopen(path, "re");
	size_t cap = 0, len = 0;
	char *buf = NULL;

	if (!f)
		return -errno;
	for (;;) {
		size_t n;

		if (len == cap) {
			char *nb;

			if (cap >= 16 * 1024 * 1024) {
				free(buf);
				if (f != stdin)
					fclose(f);
				return -EFBIG;
			}
			cap = cap ? cap * 2 : 64 * 1024;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				if (f != stdin)
					fclose(f);
				return -ENOMEM;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (f != stdin)
		fclose(f);
	buf[len] = 0;
	*ret = buf;
	*ret_len = len;
	return 0;
}

/* The requirement: a document (FILE or -), or imported from QEMU or libvirt terms. */
static int load_requirement(struct iommucap_requirement **ret)
{
	_cleanup_free_ char *text = NULL, *error = NULL;
	const char *what = arg_qemu ? "--qemu" : arg_libvirt ? arg_libvirt : NULL;
	size_t len = 0;
	int k;

	if ((arg_qemu != NULL) + (arg_libvirt != NULL) + (arg_n_filters > 0) != 1 ||
	    arg_n_filters > 1) {
		fprintf(stderr,
			"iommuctl: check takes one requirement: FILE, -, --qemu or --libvirt\n");
		return EX_USAGE;
	}
	if (arg_unit && arg_device) {
		fprintf(stderr, "iommuctl: --unit and --device exclude each other\n");
		return EX_USAGE;
	}
	if (arg_qemu)
		k = iommucap_requirement_from_qemu(arg_qemu, ret, &error);
	else {
		const char *path = arg_libvirt ?: arg_filters[0];

		what = streq(path, "-") ? "standard input" : path;
		k = read_file(path, &text, &len);
		if (k < 0) {
			fprintf(stderr, "iommuctl: cannot read %s: %s\n", what, strerror(-k));
			return EX_USAGE;
		}
		if (arg_libvirt)
			k = iommucap_requirement_from_libvirt(text, len, ret, &error);
		else {
			json_error_t jerr;
			json_t *doc = json_loadb(text, len, 0, &jerr);

			if (!doc) {
				fprintf(stderr, "iommuctl: %s: not JSON: line %d: %s\n", what,
					jerr.line, jerr.text);
				return EX_INVALID_REQUIREMENT;
			}
			k = iommucap_requirement_from_json(doc, ret, &error);
			json_decref(doc);
		}
	}
	if (k == -ENOMEM) {
		fprintf(stderr, "iommuctl: out of memory\n");
		return EXIT_FAILURE;
	}
	if (k < 0) {
		fprintf(stderr, "iommuctl: invalid requirement (%s): %s\n", what, error ?: "?");
		return EX_INVALID_REQUIREMENT;
	}
	/* The command line's target replaces the document's. */
	if (arg_unit || arg_device) {
		free((*ret)->unit);
		free((*ret)->device);
		(*ret)->unit = arg_unit ? strdup(arg_unit) : NULL;
		(*ret)->device = arg_device ? strdup(arg_device) : NULL;
	}
	return EXIT_SUCCESS;
}

/* The daemon's CheckResult carries values as JSON text; make them values again. */
static int decode_values(json_t *result)
{
	json_t *c;
	size_t i;

	json_array_foreach (json_object_get(result, "checks"), i, c) {
		static const char *const keys[] = { "required", "available" };

		for (size_t k = 0; k < ELEMENTSOF(keys); k++) {
			json_t *v = json_object_get(c, keys[k]);
			json_t *val = json_is_string(v) ? json_loads(json_string_value(v),
								     JSON_DECODE_ANY, NULL)
							: json_null();

			if (!val || json_object_set_new(c, keys[k], val) < 0)
				return -EBADMSG;
		}
	}
	return 0;
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

static int cmd_check(void)
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
		if (r == EXIT_SUCCESS && decode_values(result) < 0) {
			fprintf(stderr, "iommuctl: iommu-capd sent a malformed result\n");
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
		iommucap_compat_print(result, stdout);
	r = iommucap_compat_exit_status(result);
	json_decref(result);
	return r;
}

/* ---- compare and baseline: host documents as dump prints them ---------------------------- */

#define EX_INVALID_HOST 65

static const char *input_name(const char *path)
{
	return streq(path, "-") ? "standard input" : path;
}

/* A host document parsed and read back; an exit status and a message on failure. */
static int host_from_doc(json_t *doc, const char *what, struct iommucap_host **ret)
{
	_cleanup_free_ char *error = NULL;
	int k = iommucap_host_from_json(doc, ret, &error);

	if (k == -ENOMEM) {
		fprintf(stderr, "iommuctl: out of memory\n");
		return EXIT_FAILURE;
	}
	if (k < 0) {
		fprintf(stderr, "iommuctl: invalid host document (%s): %s\n", what, error ?: "?");
		return EX_INVALID_HOST;
	}
	return EXIT_SUCCESS;
}

static int load_host(const char *path, struct iommucap_host **ret)
{
	_cleanup_free_ char *text = NULL;
	json_error_t jerr;
	size_t len = 0;
	json_t *doc;
	int k = read_file(path, &text, &len), r;

	if (k < 0) {
		fprintf(stderr, "iommuctl: cannot read %s: %s\n", input_name(path), strerror(-k));
		return EX_NOINPUT;
	}
	doc = json_loadb(text, len, 0, &jerr);
	if (!doc) {
		fprintf(stderr, "iommuctl: %s: not JSON: line %d: %s\n", input_name(path),
			jerr.line, jerr.text);
		return EX_INVALID_HOST;
	}
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
	if (iommucap_host_offers(h, arg_migratable ? IOMMUCAP_FLEET_MIGRATABLE : 0, ret) < 0) {
		fprintf(stderr, "iommuctl: out of memory\n");
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}

static int only_one_stdin(void)
{
	size_t n = 0;

	for (size_t i = 0; i < arg_n_filters; i++)
		n += streq(arg_filters[i], "-");
	if (n > 1) {
		fprintf(stderr, "iommuctl: standard input (-) can be named once\n");
		return EX_USAGE;
	}
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

static int cmd_compare(void)
{
	_cleanup_(iommucap_offers_freep) struct iommucap_offers *a = NULL;
	const char *aname;
	int r, worst = EXIT_SUCCESS;

	if (arg_n_filters < 2) {
		fprintf(stderr, "iommuctl: compare takes two host documents or more: A B [B...]\n");
		return EX_USAGE;
	}
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
			fprintf(stderr, "iommuctl: out of memory\n");
			return EXIT_FAILURE;
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
	if (k == -ENODEV) {
		fprintf(stderr,
			"iommuctl: %s has no IOMMU unit: no requirement is satisfied on every "
			"host\n",
			what);
		return EXIT_FAILURE;
	}
	if (k < 0) {
		fprintf(stderr, "iommuctl: out of memory\n");
		return EXIT_FAILURE;
	}
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
		doc = json_loadf(stdin, JSON_DISABLE_EOF_CHECK, &jerr);
		if (!doc) {
			fprintf(stderr, "iommuctl: %s: not JSON: line %d: %s\n", what, jerr.line,
				jerr.text);
			return EX_INVALID_HOST;
		}
		r = host_from_doc(doc, what, &h);
		json_decref(doc);
		if (r == EXIT_SUCCESS)
			r = baseline_fold(b, h, what);
		if (r != EXIT_SUCCESS)
			return r;
	}
	if (n == 0) {
		fprintf(stderr, "iommuctl: standard input holds no host document\n");
		return EX_INVALID_HOST;
	}
	return EXIT_SUCCESS;
}

/* The fold: one document at a time, so memory does not grow with the number of hosts. */
static int cmd_baseline(void)
{
	_cleanup_(iommucap_baseline_freep) struct iommucap_baseline *b = NULL;
	struct iommucap_requirement *req = NULL;
	json_t *doc = NULL;
	int r, k;

	if (arg_n_filters < 1) {
		fprintf(stderr, "iommuctl: baseline takes one host document or more (- for a "
				"stream on standard input)\n");
		return EX_USAGE;
	}
	r = only_one_stdin();
	if (r != EXIT_SUCCESS)
		return r;
	if (iommucap_baseline_new(arg_migratable ? IOMMUCAP_FLEET_MIGRATABLE : 0, &b) < 0) {
		fprintf(stderr, "iommuctl: out of memory\n");
		return EXIT_FAILURE;
	}
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
	if (k < 0) {
		fprintf(stderr, "iommuctl: out of memory\n");
		return EXIT_FAILURE;
	}
	json_dumpf(doc, stdout,
		   (arg_compact ? JSON_COMPACT : JSON_INDENT(2)) | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(doc);
	return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
	int r;

	argp_err_exit_status = EX_USAGE;
	if (argp_parse(&argp, argc, argv, 0, NULL, NULL) != 0)
		return EX_USAGE;

	if (!arg_command || streq(arg_command, "show"))
		r = list_command(&units_table);
	else if (streq(arg_command, "devices"))
		r = list_command(&devices_table);
	else if (streq(arg_command, "groups"))
		r = list_command(&groups_table);
	else if (streq(arg_command, "dump"))
		r = cmd_dump();
	else if (streq(arg_command, "monitor"))
		r = cmd_monitor();
	else if (streq(arg_command, "check"))
		r = cmd_check();
	else if (streq(arg_command, "compare"))
		r = cmd_compare();
	else if (streq(arg_command, "baseline"))
		r = cmd_baseline();
	else {
		fprintf(stderr, "iommuctl: unknown command: %s (see --help)\n", arg_command);
		r = EX_USAGE;
	}
	free(arg_filters);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "iommuctl: write error: %s\n", strerror(errno));
		return EXIT_FAILURE;
	}
	return r;
}
