/* iommuctl: its options, its command table and main; each command family is in cli/cmd-*.c. */
#include "config.h"

#include <argp.h>
#include <stdarg.h>
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "lib/macro.h"
#include "command.h"
#include "iommuctl.h"

#define DEFAULT_ADDRESS "unix:/run/iommu-capd/io.iommucapd"

const char *arg_sysroot;
const char *arg_address = DEFAULT_ADDRESS;
bool arg_offline;
bool arg_quiet;
bool arg_compact;
enum output_format arg_format;
bool arg_list_columns;
const char *arg_unit, *arg_device, *arg_qemu, *arg_libvirt, *arg_model;
bool arg_qemu_given, arg_libvirt_given;
bool arg_print_requirement;
bool arg_list_rules;
bool arg_migratable;
struct table_opts arg_table;
char **arg_filters;
size_t arg_n_filters;
static const char *arg_command;
static bool arg_help, arg_usage, arg_version;

const char *argp_program_bug_address = PACKAGE_BUGREPORT;

int fail(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
	return status;
}

int fail_errno(int status, int negative_errno, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errno = -negative_errno;
	vwarn(fmt, ap); /* "iommuctl: MESSAGE: strerror(errno)" */
	va_end(ap);
	return status;
}

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

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
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

/* ---- the commands, their help, and main ----------------------------------------------------- */

/* kmod's kmod_cmds[]: the commands in the order "iommuctl --help" lists them; the first is the
 * default. */
static const struct iommuctl_command *const commands[] = {
	&iommuctl_cmd_show,    &iommuctl_cmd_devices,  &iommuctl_cmd_groups, &iommuctl_cmd_tree,
	&iommuctl_cmd_dump,    &iommuctl_cmd_monitor,  &iommuctl_cmd_check,  &iommuctl_cmd_suggest,
	&iommuctl_cmd_compare, &iommuctl_cmd_baseline,
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

		snprintf(name, sizeof(name), "%s %s", commands[i]->name, commands[i]->args);
		fprintf(f, "  %-21s %s\n", name, commands[i]->summary);
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
		if (streq(commands[i]->name, name))
			return commands[i];
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

	if (!opts || asprintf(&name, "%s %s", program_invocation_short_name, cmd->name) < 0)
		return fail(EXIT_FAILURE, "out of memory");
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
	cmd = arg_command ? find_command(arg_command) : commands[0];
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
	if (fflush(stdout) != 0 || ferror(stdout))
		return fail_errno(EXIT_FAILURE, -errno, "write error");
	return r;
}
