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
