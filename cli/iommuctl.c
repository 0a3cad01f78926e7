/* iommuctl: show the host's IOMMUs, their devices and groups, or dump the host document. */
#include "config.h"

#include <argp.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "lib/compat.h"
#include "lib/fleet.h"
#include "lib/iommucap.h"
#include "lib/macro.h"
#include "lib/requirement.h"
#include "lib/suggest.h"
#include "check-report.h"
#include "command.h"
#include "nfd.h"
#include "prometheus.h"
#include "columns.h"
#include "tree.h"
#include "varlink-client.h"

#define DEFAULT_ADDRESS "unix:/run/iommu-capd/io.iommucapd"

static const char *arg_sysroot; /* given: probe this tree directly */
static const char *arg_address = DEFAULT_ADDRESS;
static bool arg_offline;
static bool arg_quiet;
static bool arg_compact;
static enum { FORMAT_JSON, FORMAT_PROMETHEUS, FORMAT_NFD } arg_format;
static bool arg_list_columns;
static const char *arg_unit, *arg_device, *arg_qemu, *arg_libvirt, *arg_model;
static bool arg_qemu_given, arg_libvirt_given; /* check: with a value; suggest: without */
static bool arg_print_requirement;
static bool arg_list_rules;
static bool arg_migratable;
static struct table_opts arg_table;
static const char *arg_command;
static bool arg_help, arg_usage, arg_version;
static char **arg_filters;
static size_t arg_n_filters;

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
	OPT_MODEL,
	OPT_USAGE,
};

static const struct argp_option options[] = {
	{ NULL, 0, NULL, 0, "Where to read from:", 1 },
	{ "address", OPT_ADDRESS, "ADDRESS", 0,
	  "the daemon's address (default " DEFAULT_ADDRESS ")", 1 },
	{ "offline", OPT_OFFLINE, NULL, 0, "probe directly, without the daemon", 1 },
	{ "sysroot", OPT_SYSROOT, "DIR", 0,
	  "probe sys/, proc/ and dev/ under DIR directly (implies --offline)", 1 },
	{ NULL, 0, NULL, 0, "Output (show, devices, groups, tree, monitor):", 2 },
	{ "json", 'J', NULL, 0, "use JSON output format", 2 },
	{ "raw", 'r', NULL, 0, "use raw output format", 2 },
	{ "output", 'o', "LIST", 0, "columns to show (+LIST adds to the default)", 2 },
	{ "noheadings", 'n', NULL, 0, "don't print headings", 2 },
	{ "list-columns", OPT_LIST_COLUMNS, NULL, 0, "list the command's columns and exit", 2 },
	{ NULL, 0, NULL, 0, "Check:", 3 },
	{ "unit", OPT_UNIT, "NAME", 0, "check against this unit only", 3 },
	{ "device", OPT_DEVICE, "ADDRESS", 0, "check for this PCI device (and its unit)", 3 },
	{ "qemu", OPT_QEMU, "DEVICE", OPTION_ARG_OPTIONAL,
	  "check: the requirement of a QEMU -device argument (intel-iommu,..., arm-smmuv3,...); "
	  "suggest: print the QEMU -device argument",
	  3 },
	{ "libvirt", OPT_LIBVIRT, "FILE", OPTION_ARG_OPTIONAL,
	  "check: the requirement of a libvirt domain's <iommu>; suggest: print the <iommu> "
	  "element",
	  3 },
	{ "model", OPT_MODEL, "MODEL", 0,
	  "suggest: this vIOMMU (intel-iommu, amd-iommu, arm-smmuv3, virtio-iommu-pci) instead "
	  "of the one matching the host",
	  3 },
	{ "print-requirement", OPT_PRINT_REQUIREMENT, NULL, 0,
	  "print the requirement document, do not check", 3 },
	{ "list-rules", OPT_LIST_RULES, NULL, 0, "list the rules a check applies and exit", 3 },
	{ NULL, 0, NULL, 0, "Output (dump, baseline):", 4 },
	{ "compact", OPT_COMPACT, NULL, 0, "print the document on one line", 4 },
	{ "format", OPT_FORMAT, "FORMAT", 0,
	  "dump: json (the host document), prometheus (node_exporter textfile metrics) or nfd "
	  "(Kubernetes Node Feature Discovery labels)",
	  4 },
	{ NULL, 0, NULL, 0, "Fleet (compare, baseline):", 5 },
	{ "migratable", OPT_MIGRATABLE, NULL, 0,
	  "leave out what blocks migration (see the man page for each field; suggest: and say "
	  "what is lost)",
	  5 },
	{ NULL, 0, NULL, 0, "Other:", 6 },
	{ "quiet", 'q', NULL, 0, "don't print warnings about unreadable values", 6 },
	{ "help", 'h', NULL, 0, "give this help list (after a command: the command's)", -1 },
	{ NULL, '?', NULL, OPTION_ALIAS, NULL, -1 },
	{ "usage", OPT_USAGE, NULL, 0, "give a short usage message", -1 },
	{ "version", 'V', NULL, 0, "print the program version", -1 },
	{ 0 }
};

static const struct iommuctl_command *find_command(const char *name);

/* "iommuctl: MESSAGE", then the help of the command given so far (argp's own "Try" line names
 * state->name, which becomes "iommuctl COMMAND" once the command is seen). */
_printf_(2, 3) __attribute__((noreturn)) static void usage_error(const struct argp_state *state,
								 const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	argp_state_help(state, stderr, ARGP_HELP_STD_ERR);
	exit(EX_USAGE); /* not reached: ARGP_HELP_EXIT_ERR exits */
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	static char name[64];

	switch (key) {
	case OPT_SYSROOT:
		arg_sysroot = arg;
		break;
	case OPT_ADDRESS:
		if (!startswith(arg, "unix:") || !arg[5])
			usage_error(state, "--address takes unix:PATH, not '%s'", arg);
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
			usage_error(state, "--format takes json, prometheus or nfd, not '%s'", arg);
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
		arg_qemu_given = true;
		arg_qemu = arg;
		break;
	case OPT_LIBVIRT:
		arg_libvirt_given = true;
		arg_libvirt = arg;
		break;
	case OPT_MODEL:
		arg_model = arg;
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
	case 'h':
	case '?':
		arg_help = true;
		break;
	case OPT_USAGE:
		arg_usage = true;
		break;
	case 'V':
		arg_version = true;
		break;
	case ARGP_KEY_ARG:
		if (!arg_command) {
			arg_command = arg;
			/* Options are taken in order (ARGP_IN_ORDER): one after the command that
			 * is wrong is answered with "Try `iommuctl COMMAND --help'". */
			if (find_command(arg) &&
			    snprintf(name, sizeof(name), "%s %s", program_invocation_short_name,
				     arg) < (int)sizeof(name))
				state->name = name;
		} else {
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

static void print_warnings(const struct iommucap_host *h)
{
	if (arg_quiet)
		return;
	for (size_t i = 0; i < h->n_warnings; i++)
		warnx("warning: %s", h->warnings[i]);
}

static bool offline(void)
{
	return arg_offline || arg_sysroot;
}

static int daemon_unreachable(int err)
{
	warnx("cannot reach iommu-capd at %s: %s (use --offline to probe directly)",
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
		warnx("%s failed: %s", method, error);
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
			warnx("iommu-capd sent no host document");
			return EXIT_FAILURE;
		}
		return EXIT_SUCCESS;
	}
	k = iommucap_root_open(arg_sysroot ?: "/", &root);
	if (k < 0) {
		warnx("cannot open %s: %s", arg_sysroot ?: "/", strerror(-k));
		return EXIT_FAILURE;
	}
	k = iommucap_probe(root, &h);
	if (k >= 0)
		k = iommucap_host_to_json(h, ret);
	if (k < 0) {
		warnx("cannot probe %s: %s", arg_sysroot ?: "/", strerror(-k));
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
		warnx("the host document is not valid: %s", error ?: "?");
		return EXIT_FAILURE;
	}
	print_warnings(*ret);
	return EXIT_SUCCESS;
}

/*
 * The units for "show" from the daemon: their summaries and the warnings (ListUnitSummaries),
 * or, for "show UNIT...", each named unit alone (GetUnit), on one connection.
 */
static int daemon_units(struct iommucap_host **ret)
{
	_cleanup_free_ char *error = NULL, *bad = NULL;
	json_t *reply = NULL, *units = NULL, *warnings = NULL;
	struct vl_client *c;
	bool continues;
	int k = vl_client_connect(arg_address, &c), r = EXIT_SUCCESS;

	if (k < 0)
		return daemon_unreachable(k);
	if (arg_n_filters == 0) {
		k = vl_client_call(c, "io.iommucapd.ListUnitSummaries", NULL, false);
		if (k >= 0)
			k = vl_client_read(c, &reply, &error, &continues);
		if (k >= 0 && !error) {
			units = json_incref(json_object_get(reply, "units"));
			warnings = json_incref(json_object_get(reply, "warnings"));
		}
	} else
		units = json_array();
	for (size_t i = 0; k >= 0 && !error && units && i < arg_n_filters; i++) {
		k = vl_client_call(c, "io.iommucapd.GetUnit",
				   json_pack("{s:s}", "name", arg_filters[i]), false);
		if (k >= 0)
			k = vl_client_read(c, &reply, &error, &continues);
		if (k >= 0 && error && streq(error, "io.iommucapd.NoSuchUnit")) {
			warnx("%s: no such unit", arg_filters[i]);
			r = EXIT_FAILURE;
		} else if (k >= 0 && !error &&
			   json_array_append(units, json_object_get(reply, "unit")) < 0)
			k = -ENOMEM;
		json_decref(reply);
		reply = NULL;
	}
	vl_client_free(c);
	json_decref(reply);
	if (k < 0)
		r = daemon_unreachable(k);
	else if (r == EXIT_SUCCESS && error) {
		warnx("%s failed: %s", arg_n_filters ? "GetUnit" : "ListUnitSummaries", error);
		r = EXIT_FAILURE;
	} else if (r == EXIT_SUCCESS) {
		k = iommucap_host_from_units(units, warnings, arg_n_filters == 0, ret, &bad);
		if (k < 0) {
			warnx("iommu-capd sent units that are not valid: %s", bad ?: "?");
			r = EXIT_FAILURE;
		} else
			print_warnings(*ret);
	}
	json_decref(units);
	json_decref(warnings);
	return r;
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
			warnx("%s: no such %s", arg_filters[f], what);
			return EXIT_FAILURE;
		}
	}
	return EXIT_SUCCESS;
}

/*
 * A unit is in /sys/class/iommu once its driver calls iommu_device_sysfs_add(); the usual
 * reasons none did: the firmware did not describe one (no ACPI DMAR/IVRS/IORT table: VT-d or
 * AMD-Vi disabled in the set-up), the kernel command line turned it off (intel_iommu=on is
 * needed when the kernel is built without CONFIG_INTEL_IOMMU_DEFAULT_ON, intel/iommu.c
 * intel_iommu_setup(); amd_iommu=off, amd/init.c parse_amd_iommu_options(); iommu=off sets
 * no_iommu, which intel_iommu_init() and amd_iommu_detect() honour), or the kernel has no
 * driver for it (Debian 6.1 builds none for virtio-iommu).
 */
static void no_iommu(void)
{
	const char *root = offline() && arg_sysroot ? arg_sysroot : "";
	size_t root_len = strlen(root);

	while (root_len > 0 && root[root_len - 1] == '/')
		root_len--;
	warnx("no IOMMU in %.*s/sys/class/iommu: is it enabled in the firmware (VT-d, AMD-Vi, "
	      "SMMU), on the kernel command line (intel_iommu=on without "
	      "CONFIG_INTEL_IOMMU_DEFAULT_ON; not amd_iommu=off or iommu=off) and in the kernel "
	      "configuration (CONFIG_INTEL_IOMMU, CONFIG_AMD_IOMMU, CONFIG_ARM_SMMU_V3, "
	      "CONFIG_VIRTIO_IOMMU)?",
	      (int)root_len, root);
}

/* A table command's columns (-o) and the host; EXIT_SUCCESS, or the exit status. */
static int columns_and_host(const struct table_spec *spec, size_t **ret_cols, size_t *ret_n,
			    struct iommucap_host **ret_host)
{
	_cleanup_free_ char *bad = NULL;
	int k = table_parse_columns(spec, arg_table.output, arg_table.json, ret_cols, ret_n, &bad),
	    r;

	if (k == -ENOMEM) {
		warnx("out of memory");
		return EXIT_FAILURE;
	}
	if (k < 0) {
		warnx("unknown column: %s (see --list-columns)", bad);
		return EX_USAGE;
	}
	/* Most tables of units need no device list, register or group: the daemon sends less. */
	r = spec == &units_table && !offline() && units_columns_summary_only(*ret_cols, *ret_n)
		    ? daemon_units(ret_host)
		    : probe(ret_host);
	if (r != EXIT_SUCCESS)
		return r;
	tables_set_host(*ret_host);
	if ((spec == &units_table || spec == &tree_table) && (*ret_host)->n_units == 0 &&
	    arg_n_filters == 0 && !arg_quiet)
		no_iommu();
	return EXIT_SUCCESS;
}

static int list_command(const struct table_spec *spec)
{
	_cleanup_(iommucap_host_freep) struct iommucap_host *h = NULL;
	_cleanup_free_ size_t *cols = NULL;
	_cleanup_free_ const void **rows = NULL;
	_cleanup_free_ const char **names = NULL;
	char numbuf[4096];
	size_t n_cols, n_rows = 0, n_all, numoff = 0;
	cell_getter get;
	int k, r;

	if (arg_list_columns) {
		table_list_columns(spec, arg_table.json);
		return EXIT_SUCCESS;
	}
	r = columns_and_host(spec, &cols, &n_cols, &h);
	if (r != EXIT_SUCCESS)
		return r;

	n_all = spec == &units_table	 ? h->n_units
		: spec == &devices_table ? h->n_devices
					 : h->n_groups;
	rows = calloc(n_all + 1, sizeof(void *));
	names = calloc(n_all + 1, sizeof(char *));
	if (!rows || !names) {
		warnx("out of memory");
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
		warnx("cannot print: %s", strerror(-k));
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
		warnx("dump takes no arguments");
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
					     : prometheus_write(h, stdout);
		if (k < 0) {
			warnx("cannot print: %s", strerror(-k));
			return EXIT_FAILURE;
		}
		return EXIT_SUCCESS;
	}
	r = host_document(&doc);
	if (r != EXIT_SUCCESS)
		return r;
	json_array_foreach (json_object_get(doc, "warnings"), i, w) {
		if (!arg_quiet)
			warnx("warning: %s", json_string_value(w));
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
		warnx("monitor takes no arguments");
		return EX_USAGE;
	}
	if (offline()) {
		warnx("monitor needs the daemon (it watches for changes)");
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
			warnx("Monitor failed: %s", error);
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
		warnx("lost iommu-capd: %s", strerror(-k));
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
	struct stat st;

	if (!f)
		return -errno;
	/* fopen() opens a directory, whose reads fail: say what it is, not "not JSON". */
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		if (f != stdin)
			fclose(f);
		return -EISDIR;
	}
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
		if (n == 0 && ferror(f)) {
			int k = errno ? -errno : -EIO;

			free(buf);
			if (f != stdin)
				fclose(f);
			return k;
		}
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
	const char *what;
	size_t len = 0;
	int k;

	/* "--qemu VALUE" (the value is optional, for suggest): the value is the next argument. */
	if ((arg_qemu_given && !arg_qemu) || (arg_libvirt_given && !arg_libvirt)) {
		if (arg_n_filters == 0 || (arg_qemu_given && arg_libvirt_given)) {
			warnx("check takes one requirement: FILE, -, --qemu or --libvirt");
			return EX_USAGE;
		}
		if (arg_qemu_given && !arg_qemu)
			arg_qemu = arg_filters[0];
		else
			arg_libvirt = arg_filters[0];
		memmove(arg_filters, arg_filters + 1, --arg_n_filters * sizeof(char *));
	}
	what = arg_qemu ? "--qemu" : arg_libvirt ? arg_libvirt : NULL;
	if ((arg_qemu != NULL) + (arg_libvirt != NULL) + (arg_n_filters > 0) != 1 ||
	    arg_n_filters > 1) {
		warnx("check takes one requirement: FILE, -, --qemu or --libvirt");
		return EX_USAGE;
	}
	if (arg_unit && arg_device) {
		warnx("--unit and --device exclude each other");
		return EX_USAGE;
	}
	if (arg_qemu)
		k = iommucap_requirement_from_qemu(arg_qemu, ret, &error);
	else {
		const char *path = arg_libvirt ?: arg_filters[0];

		what = streq(path, "-") ? "standard input" : path;
		k = read_file(path, &text, &len);
		if (k < 0) {
			warnx("cannot read %s: %s", what, strerror(-k));
			return EX_USAGE;
		}
		if (arg_libvirt)
			k = iommucap_requirement_from_libvirt(text, len, ret, &error);
		else {
			json_error_t jerr;
			/* Duplicate keys refused, as the daemon's varlink reader refuses them. */
			json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);

			if (!doc) {
				warnx("%s: not JSON: line %d: %s", what, jerr.line, jerr.text);
				return EX_INVALID_REQUIREMENT;
			}
			k = iommucap_requirement_from_json(doc, ret, &error);
			json_decref(doc);
		}
	}
	if (k == -ENOMEM) {
		warnx("out of memory");
		return EXIT_FAILURE;
	}
	if (k < 0) {
		warnx("invalid requirement (%s): %s", what, error ?: "?");
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

/* The daemon's CheckResult carries each value as {"value": V} (or null); unwrap them. */
static int unwrap_values(json_t *result)
{
	static const char *const keys[] = { "required", "available" };
	json_t *c;
	size_t i;

	json_array_foreach (json_object_get(result, "checks"), i, c)
		for (size_t k = 0; k < ELEMENTSOF(keys); k++) {
			json_t *v = json_object_get(c, keys[k]);
			json_t *val = json_is_object(v) ? json_object_get(v, "value") : NULL;

			if (v && !json_is_null(v) && !val)
				return -EBADMSG;
			if (json_object_set_new(c, keys[k], json_incref(val ?: json_null())) < 0)
				return -ENOMEM;
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
		if (r == EXIT_SUCCESS && unwrap_values(result) < 0) {
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

/* ---- suggest: the strongest vIOMMU the host can back ------------------------------------- */

#define EX_NO_SUGGESTION 1

static int bad_model(void)
{
	warnx("--model: unknown vIOMMU model '%s': known are intel-iommu, amd-iommu, arm-smmuv3 "
	      "and virtio-iommu-pci",
	      arg_model);
	return EX_USAGE;
}

static int cmd_suggest(void)
{
	_cleanup_(iommucap_host_freep) struct iommucap_host *h = NULL;
	_cleanup_free_ char *error = NULL;
	json_t *sg = NULL;
	int r, k;

	if (arg_n_filters > 0 || (arg_qemu && *arg_qemu) || (arg_libvirt && *arg_libvirt)) {
		warnx("suggest takes no arguments (--qemu and --libvirt choose what it prints)");
		return EX_USAGE;
	}
	if (arg_qemu_given + arg_libvirt_given + arg_table.json + arg_print_requirement > 1) {
		warnx("--qemu, --libvirt, --json and --print-requirement exclude each other");
		return EX_USAGE;
	}
	if (offline()) {
		r = probe(&h);
		if (r != EXIT_SUCCESS)
			return r;
		k = iommucap_suggest(h, arg_device, arg_model, arg_migratable, &sg, &error);
		if (k == -EINVAL)
			return bad_model();
		if (k == -ENOENT) {
			warnx("no vIOMMU configuration is compatible: %s", error ?: "?");
			return EX_NO_SUGGESTION;
		}
		if (k < 0) {
			warnx("cannot suggest: %s", strerror(-k));
			return EX_SOFTWARE;
		}
	} else {
		_cleanup_free_ char *derror = NULL;
		json_t *params = json_object();
		struct vl_client *c;
		bool continues;

		if (arg_device)
			json_object_set_new(params, "device", json_string(arg_device));
		if (arg_model)
			json_object_set_new(params, "model", json_string(arg_model));
		if (arg_migratable)
			json_object_set_new(params, "migratable", json_true());
		k = vl_client_connect(arg_address, &c);
		if (k < 0) {
			json_decref(params);
			return daemon_unreachable(k);
		}
		k = vl_client_call(c, "io.iommucapd.Suggest", params, false);
		if (k >= 0)
			k = vl_client_read(c, &sg, &derror, &continues);
		vl_client_free(c);
		if (k < 0)
			return daemon_unreachable(k);
		if (derror) {
			const char *msg = json_string_value(json_object_get(sg, "message"));

			if (streq(derror, "io.iommucapd.NoSuggestion")) {
				warnx("no vIOMMU configuration is compatible: %s", msg ?: "?");
				json_decref(sg);
				return EX_NO_SUGGESTION;
			}
			json_decref(sg);
			if (streq(derror, "org.varlink.service.InvalidParameter"))
				return bad_model();
			warnx("io.iommucapd.Suggest failed: %s", derror);
			return EX_SOFTWARE;
		}
	}
	if (arg_qemu_given)
		puts(json_string_value(json_object_get(sg, "qemu")));
	else if (arg_libvirt_given)
		fputs(json_string_value(json_object_get(sg, "libvirt")), stdout);
	else if (arg_table.json || arg_print_requirement) {
		json_dumpf(arg_print_requirement ? json_object_get(sg, "requirement") : sg, stdout,
			   JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
	} else
		iommucap_suggest_print(sg, stdout);
	json_decref(sg);
	return EXIT_SUCCESS;
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
		warnx("out of memory");
		return EXIT_FAILURE;
	}
	if (k < 0) {
		warnx("invalid host document (%s): %s", what, error ?: "?");
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
		warnx("cannot read %s: %s", input_name(path), strerror(-k));
		return EX_NOINPUT;
	}
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc) {
		warnx("%s: not JSON: line %d: %s", input_name(path), jerr.line, jerr.text);
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
		warnx("out of memory");
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
		warnx("standard input (-) can be named once");
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
		warnx("compare takes two host documents or more: A B [B...]");
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
			warnx("out of memory");
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
		warnx("%s has no IOMMU unit: no requirement is satisfied on every "
		      "host",
		      what);
		return EXIT_FAILURE;
	}
	if (k < 0) {
		warnx("out of memory");
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
		doc = json_loadf(stdin, JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES, &jerr);
		if (!doc) {
			warnx("%s: not JSON: line %d: %s", what, jerr.line, jerr.text);
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
		warnx("standard input holds no host document");
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
		warnx("baseline takes one host document or more (- for a "
		      "stream on standard input)");
		return EX_USAGE;
	}
	r = only_one_stdin();
	if (r != EXIT_SUCCESS)
		return r;
	if (iommucap_baseline_new(arg_migratable ? IOMMUCAP_FLEET_MIGRATABLE : 0, &b) < 0) {
		warnx("out of memory");
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
		warnx("out of memory");
		return EXIT_FAILURE;
	}
	json_dumpf(doc, stdout,
		   (arg_compact ? JSON_COMPACT : JSON_INDENT(2)) | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(doc);
	return EXIT_SUCCESS;
}

/* Units, the groups of the devices each serves, and the groups' members, as lsblk draws. */
static int cmd_tree(void)
{
	_cleanup_(iommucap_host_freep) struct iommucap_host *h = NULL;
	_cleanup_(tree_rows_freep) struct tree_rows *t = NULL;
	_cleanup_free_ size_t *cols = NULL;
	_cleanup_free_ const void **rows = NULL;
	_cleanup_free_ const char **names = NULL;
	size_t n_cols;
	int k, r;

	if (arg_list_columns) {
		table_list_columns(&tree_table, arg_table.json);
		return EXIT_SUCCESS;
	}
	r = columns_and_host(&tree_table, &cols, &n_cols, &h);
	if (r != EXIT_SUCCESS)
		return r;
	names = calloc(h->n_units + 1, sizeof(char *));
	if (!names) {
		warnx("out of memory");
		return EXIT_FAILURE;
	}
	for (size_t i = 0; i < h->n_units; i++)
		names[i] = h->units[i].name;
	r = check_filters("unit", names, h->n_units);
	if (r != EXIT_SUCCESS)
		return r;
	k = tree_rows_build(h, arg_filters, arg_n_filters, &t);
	if (k >= 0) {
		rows = calloc(t->n + 1, sizeof(void *));
		k = rows ? 0 : -ENOMEM;
	}
	for (size_t i = 0; k >= 0 && i < t->n; i++)
		rows[i] = &t->rows[i];
	if (k >= 0)
		k = table_print_tree(&tree_table, &arg_table, cols, n_cols, rows, t->parents, t->n,
				     tree_cell);
	if (k < 0) {
		warnx(k == -ENOMEM ? "out of memory" : "cannot print: %s", strerror(-k));
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}

static int cmd_show(void)
{
	return list_command(&units_table);
}

static int cmd_devices(void)
{
	return list_command(&devices_table);
}

static int cmd_groups(void)
{
	return list_command(&groups_table);
}

/* ---- the commands, their help, and main ----------------------------------------------------- */

#define SOURCE_OPTIONS OPT_ADDRESS, OPT_OFFLINE, OPT_SYSROOT
#define TABLE_OPTIONS  'J', 'r', 'o', 'n', OPT_LIST_COLUMNS

#define EXIT_STATUS_COMMON                                                                         \
	"Exit status: 0 success, 1 failure, 64 usage error, 69 daemon unreachable."

static const struct iommuctl_command commands[] = {
	{ "show", cmd_show, "[UNIT...]", "one line per IOMMU unit (the default)",
	  "One line per IOMMU unit: model, PASID width, address widths, features and the number "
	  "of devices behind it; UNIT... selects units by name. A host without an IOMMU prints "
	  "no line and says so on standard error.\v" EXIT_STATUS_COMMON,
	  (const int[]){ SOURCE_OPTIONS, TABLE_OPTIONS, 'q', 0 } },
	{ "devices", cmd_devices, "[ADDRESS...]", "PCI devices: unit, group, PASID, ATS, PRI, ACS",
	  "One line per PCI device: its unit, group, driver, PCI capabilities and the effective "
	  "PASID width; ADDRESS... (0000:00:1f.2) selects devices. PASID, ATS, PRI and ACS are in "
	  "the extended configuration space, which only CAP_SYS_ADMIN can "
	  "read.\v" EXIT_STATUS_COMMON,
	  (const int[]){ SOURCE_OPTIONS, TABLE_OPTIONS, 'q', 0 } },
	{ "groups", cmd_groups, "[GROUP...]", "IOMMU groups: default domain type and members",
	  "One line per IOMMU group: its default domain type, its devices and their unit; "
	  "GROUP... selects groups by number.\v" EXIT_STATUS_COMMON,
	  (const int[]){ SOURCE_OPTIONS, TABLE_OPTIONS, 'q', 0 } },
	{ "tree", cmd_tree, "[UNIT...]", "units, their groups and devices as a tree",
	  "Units, the IOMMU groups of the devices each serves, and the groups' devices, as a tree "
	  "(as lsblk draws disks): each group's default domain type, each device's driver and PCI "
	  "PASID width, ATS and PRI; UNIT... selects units by name. Groups no unit serves follow "
	  "the units. -J nests each row's children in a \"children\" array; the first -o column "
	  "draws the tree.\v" EXIT_STATUS_COMMON,
	  (const int[]){ SOURCE_OPTIONS, TABLE_OPTIONS, 'q', 0 } },
	{ "dump", cmd_dump, "", "the host document as JSON (schema/host.schema.json)",
	  "The whole host document as JSON (schema/host.schema.json): every unit with its "
	  "capabilities and the reasons for unknown values, the devices, the groups and the host "
	  "context; or, with --format=prometheus, node_exporter textfile metrics, with "
	  "--format=nfd, Kubernetes node-feature-discovery labels.\v" EXIT_STATUS_COMMON,
	  (const int[]){ SOURCE_OPTIONS, OPT_COMPACT, OPT_FORMAT, 'q', 0 } },
	{ "monitor", cmd_monitor, "", "follow units, devices and groups as they change",
	  "Follow the daemon's Monitor stream: one line per unit, PCI device or group added, "
	  "removed or changed (action, kind, name), until interrupted; -J prints one JSON object "
	  "per line. It needs the daemon.\v" EXIT_STATUS_COMMON,
	  (const int[]){ OPT_ADDRESS, 'J', 0 } },
	{ "check", cmd_check, "[FILE|-]", "can this host give a VMM what it requires?",
	  "Can this host give a VMM what a requirement document (schema/requirement.schema.json, "
	  "FILE or - for standard input) asks, or what a QEMU -device argument (--qemu) or a "
	  "libvirt domain's <iommu> (--libvirt) implies? One verdict per unit, with a reason for "
	  "each failed rule; -J prints the full result (schema/check-result.schema.json).\v"
	  "Exit status: 0 compatible, 1 incompatible, 2 indeterminate (something the host does "
	  "not say), 64 usage error, 65 invalid requirement, 69 daemon unreachable, 70 failure.",
	  (const int[]){ SOURCE_OPTIONS, OPT_UNIT, OPT_DEVICE, OPT_QEMU, OPT_LIBVIRT,
			 OPT_PRINT_REQUIREMENT, OPT_LIST_RULES, 'J', 'q', 0 } },
	{ "suggest", cmd_suggest, "", "the strongest vIOMMU this host (and device) can back",
	  "The strongest vIOMMU this host (and with --device, this PCI device) can back, as "
	  "'check' decides it: the QEMU 11.1 -device argument (--qemu), the libvirt <iommu> "
	  "element (--libvirt), the requirement document (--print-requirement) or all of it with "
	  "each option's reason and what refused the next stronger value (-J); by default a text "
	  "for people. --migratable leaves out what blocks migration and says what is lost.\v"
	  "Exit status: 0 success, 1 no vIOMMU configuration is compatible, 64 usage error, 69 "
	  "daemon unreachable, 70 failure.",
	  (const int[]){ SOURCE_OPTIONS, OPT_DEVICE, OPT_QEMU, OPT_LIBVIRT, OPT_MODEL,
			 OPT_PRINT_REQUIREMENT, OPT_MIGRATABLE, 'J', 'q', 0 } },
	{ "compare", cmd_compare, "A B [B...]", "can host B take every guest host A can?",
	  "Compare host documents (as dump prints them; - for standard input): can host B take "
	  "every guest host A can? identical, superset, subset or incompatible, with the fields "
	  "that differ.\v"
	  "Exit status: 0 B can take A's guests (identical, superset), 1 it cannot, 64 usage "
	  "error, 65 invalid host document, 66 unreadable file.",
	  (const int[]){ 'J', OPT_COMPACT, OPT_MIGRATABLE, 0 } },
	{ "baseline", cmd_baseline, "HOST...", "the largest requirement every host satisfies",
	  "The largest requirement document every host satisfies, from host documents (as dump "
	  "prints them; - reads a stream of them), one at a time.\v"
	  "Exit status: 0 success, 1 no requirement is common (a host without units), 64 usage "
	  "error, 65 invalid host document, 66 unreadable file.",
	  (const int[]){ OPT_COMPACT, OPT_MIGRATABLE, 0 } },
};

static const char program_doc[] =
	"Show what the host's IOMMUs can do.\v"
	"Run 'iommuctl COMMAND --help' for a command's arguments and options.\n"
	"Commands ask the iommu-capd daemon unless --offline or --sysroot is given.\n"
	"\n" EXIT_STATUS_COMMON "\n"
	"check: 0 compatible, 1 incompatible, 2 indeterminate, 65 bad requirement.\n"
	"compare: 0 B can take A's guests (identical, superset), 1 it cannot.\n"
	"baseline: 0, or 1 when no requirement is common (a host without units).\n"
	"compare, baseline: 65 invalid host document, 66 unreadable file.\n"
	"Unreadable values are warnings (see --quiet) and leave the status at 0.";

/* "iommuctl --help" lists the commands from the table, before the rest of the text. */
static char *help_filter(int key, const char *text, void *input)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f;

	if (key != ARGP_KEY_HELP_POST_DOC || !text)
		return (char *)text;
	f = open_memstream(&s, &len);
	if (!f)
		return (char *)text;
	fputs("Commands:\n", f);
	for (size_t i = 0; i < ELEMENTSOF(commands); i++) {
		char name[64];

		snprintf(name, sizeof(name), "%s %s", commands[i].name, commands[i].args);
		fprintf(f, "  %-21s %s\n", name, commands[i].summary);
	}
	fprintf(f, "\n%s", text);
	if (fclose(f) != 0) {
		free(s);
		return (char *)text;
	}
	return s;
}

static const struct argp argp = { options,     parse_opt, "[COMMAND [ARG...]]", program_doc, NULL,
				  help_filter, NULL };

static const struct iommuctl_command *find_command(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(commands); i++)
		if (streq(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static bool takes_option(const struct iommuctl_command *cmd, int key)
{
	if (key == 'h' || key == '?' || key == OPT_USAGE)
		return true;
	for (const int *k = cmd->options; *k; k++)
		if (*k == key)
			return true;
	return false;
}

/* "iommuctl COMMAND --help": argp's own layout, over the options the command takes. */
static int command_help(const struct iommuctl_command *cmd, unsigned flags)
{
	_cleanup_free_ struct argp_option *opts = calloc(ELEMENTSOF(options), sizeof(*opts));
	_cleanup_free_ char *name = NULL;
	size_t n = 0;
	bool taken = false;

	if (!opts || asprintf(&name, "%s %s", program_invocation_short_name, cmd->name) < 0) {
		warnx("out of memory");
		return EXIT_FAILURE;
	}
	/* An alias belongs to the option before it; headers have neither name nor key. */
	for (size_t i = 0; i + 1 < ELEMENTSOF(options); i++) {
		if (!options[i].name && !options[i].key)
			continue;
		if (!(options[i].flags & OPTION_ALIAS))
			taken = takes_option(cmd, options[i].key);
		if (taken) {
			opts[n] = options[i];
			opts[n++].group = 0;
		}
	}
	argp_help(&(const struct argp){ opts, NULL, cmd->args, cmd->doc, NULL, NULL, NULL }, stdout,
		  flags, name);
	return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
	const struct iommuctl_command *cmd;
	int r;

	/* getopt names the program by argv[0]; every other message by its short name. */
	if (argc > 0)
		argv[0] = program_invocation_short_name;
	argp_err_exit_status = EX_USAGE;
	if (argp_parse(&argp, argc, argv, ARGP_NO_HELP | ARGP_IN_ORDER, NULL, NULL) != 0)
		return EX_USAGE;

	if (arg_version) {
		puts(PACKAGE_NAME " " PACKAGE_VERSION);
		return EXIT_SUCCESS;
	}
	cmd = arg_command ? find_command(arg_command) : &commands[0];
	if (!cmd) {
		warnx("unknown command: %s (see --help)", arg_command);
		free(arg_filters);
		return EX_USAGE;
	}
	if (arg_help || arg_usage) {
		unsigned flags = arg_help ? ARGP_HELP_STD_HELP : ARGP_HELP_USAGE;

		free(arg_filters);
		if (arg_command)
			return command_help(cmd, flags);
		argp_help(&argp, stdout, flags, program_invocation_short_name);
		return EXIT_SUCCESS;
	}
	r = cmd->run();
	free(arg_filters);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		warnx("write error: %s", strerror(errno));
		return EXIT_FAILURE;
	}
	return r;
}
