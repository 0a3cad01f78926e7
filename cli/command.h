/* iommuctl's commands as data: one row each drives dispatch, "--help" and "COMMAND --help". */
#pragma once

/* kmod's struct kmod_cmd (tools/kmod.h), with what argp needs for a command's own help. */
struct iommuctl_command {
	const char *name;
	int (*run)(void);
	const char *args;    /* its arguments, as its usage line shows them: "[UNIT...]" */
	const char *summary; /* its line under "Commands:" in "iommuctl --help" (one short line) */
	const char *doc;     /* "iommuctl NAME --help": what it does, "\v", then its exit status */
	const int *options;  /* the keys of the options it takes, 0-terminated */
};

/* The keys of the long options without a short one (iommuctl.c's option table). */
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

#define SOURCE_OPTIONS OPT_ADDRESS, OPT_OFFLINE, OPT_SYSROOT
#define TABLE_OPTIONS  'J', 'r', 'o', 'n', OPT_LIST_COLUMNS

#define EXIT_STATUS_COMMON                                                                         \
	"Exit status: 0 success, 1 failure, 64 usage error, 69 daemon unreachable."

/* One file per command family: cmd-list.c, cmd-dump.c, cmd-monitor.c, cmd-check.c,
 * cmd-suggest.c, cmd-fleet.c. iommuctl.c lists them in the order "--help" shows them. */
extern const struct iommuctl_command iommuctl_cmd_show;
extern const struct iommuctl_command iommuctl_cmd_devices;
extern const struct iommuctl_command iommuctl_cmd_groups;
extern const struct iommuctl_command iommuctl_cmd_tree;
extern const struct iommuctl_command iommuctl_cmd_dump;
extern const struct iommuctl_command iommuctl_cmd_monitor;
extern const struct iommuctl_command iommuctl_cmd_check;
extern const struct iommuctl_command iommuctl_cmd_suggest;
extern const struct iommuctl_command iommuctl_cmd_compare;
extern const struct iommuctl_command iommuctl_cmd_baseline;
