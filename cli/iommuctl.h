/* What iommuctl's commands share: the parsed options, where the host comes from, and how a
 * failure is reported. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/iommucap.h"
#include "lib/macro.h"
#include "table-engine.h"

/* The options as parsed (iommuctl.c); each command reads those it takes. */
extern const char *arg_sysroot; /* given: probe this tree directly */
extern const char *arg_address; /* unix:PATH */
extern bool arg_offline;
extern bool arg_quiet;
extern bool arg_compact;
extern enum output_format { FORMAT_JSON, FORMAT_PROMETHEUS, FORMAT_NFD } arg_format;
extern bool arg_list_columns;
extern const char *arg_unit, *arg_device, *arg_qemu, *arg_libvirt, *arg_model;
extern bool arg_qemu_given, arg_libvirt_given; /* check: with a value; suggest: without */
extern bool arg_print_requirement;
extern bool arg_list_rules;
extern bool arg_migratable;
extern struct table_opts arg_table;
extern char **arg_filters; /* the command's arguments */
extern size_t arg_n_filters;

/*
 * util-linux's errx() and err(), returning the exit status instead of exiting, so that the
 * command's cleanup runs: "iommuctl: MESSAGE" on standard error (warnx(3): the one program
 * name), with fail_errno() ": strerror(-negative_errno)" after it.
 */
_printf_(2, 3) int fail(int status, const char *fmt, ...);
_printf_(3, 4) int fail_errno(int status, int negative_errno, const char *fmt, ...);

/* ---- where the input comes from (input.c) ---------------------------------------------- */

/* Probe directly (--offline, --sysroot) instead of asking the daemon. */
bool offline(void);
/* The host's warnings on standard error, unless --quiet. */
void print_warnings(const struct iommucap_host *h);
/* Say that the daemon cannot be reached (err is a negative errno); returns EX_UNAVAILABLE. */
int daemon_unreachable(int err);
/* One call to the daemon and its one reply; an error reply is reported and fails. */
int daemon_call(const char *method, json_t *params, json_t **ret);
struct vl_client;
/* One call on an open connection (parameters stolen) and its reply: 0 or -errno; an error
 * reply's name in *ret_error (else NULL), its parameters in *ret. */
int daemon_ask(struct vl_client *c, const char *method, json_t *params, json_t **ret,
	       char **ret_error);
/* Is this error the daemon's io.iommucapd.ReplyTooLarge? */
bool reply_too_large(const char *error);
/*
 * A list method (ListUnits, ListDevices, ListGroups), as daemon_ask(); when its reply would be
 * over the daemon's message limit (ReplyTooLarge), the same list had with 'more', one element a
 * reply, and joined: *ret is {KEY: [...]} either way.
 */
int daemon_ask_list(struct vl_client *c, const char *method, const char *key, json_t **ret,
		    char **ret_error);
/*
 * StreamHost on an open connection: the first piece (head and warnings) to head(), then each
 * unit, group and device to element(). 0, or -errno (the connection's, a callback's, -EBADMSG
 * for a piece that is none of these); the daemon's error in *ret_error.
 */
int daemon_stream_host(struct vl_client *c, int (*head)(json_t *reply, void *userdata),
		       int (*element)(enum iommucap_host_array a, json_t *v, void *userdata),
		       void *userdata, char **ret_error);
/* The same, but an error reply is the caller's: its name in *ret_error (else NULL), its
 * parameters in *ret. */
int daemon_call_error(const char *method, json_t *params, json_t **ret, char **ret_error);
/* The host document, from the daemon or from a direct probe; an exit status. */
int host_document(json_t **ret);
/* The model, read back from the document whichever way it came; prints the warnings. */
int probe(struct iommucap_host **ret);
/* A file's name for messages: "standard input" for "-". */
const char *input_name(const char *path);
/* A whole file (or standard input for "-"), NUL-terminated, at most 16 MiB; 0 or -errno. */
int read_file(const char *path, char **ret, size_t *ret_len);
