/* A small varlink server on sd-event and jansson, held to systemd 257's sd-varlink behaviour. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "idl.h"

#define VL_BUFFER_MAX (16U * 1024 * 1024) /* input and unsent output, per connection */
#define VL_READ_SIZE  (64U * 1024)
/*
 * Beyond sd-varlink's per-connection limits, a budget for the whole server: the buffers of all
 * connections together, and of one non-root UID's connections together. Over it, the connection
 * holding the most is closed first. Reading stops while a connection's unsent output exceeds
 * VL_BACKLOG_MAX; a message must be complete within VL_MESSAGE_USEC of its first byte and hold
 * at most VL_VALUES_MAX JSON values.
 */
#define VL_MEMORY_MAX	   (48U * 1024 * 1024)
#define VL_UID_MEMORY_MAX  (24U * 1024 * 1024)
#define VL_BACKLOG_MAX	   (256U * 1024)
#define VL_MESSAGE_USEC	   (10ULL * 1000 * 1000)
#define VL_VALUES_MAX	   65536U
#define VL_CALLS_PER_TURN  1U /* calls answered before other connections get their turn */
#define VL_CONNECTIONS_MAX 4096U
#define VL_PER_UID_MAX	   1024U

struct vl_server;
struct vl_call;

/*
 * A method handler. It validated nothing itself: parameters already conform to the interface.
 * It answers with vl_call_reply()/vl_call_error() now, or keeps the call (vl_call_ref()) and
 * answers later; a "more" call may vl_call_notify() any number of times before its final reply.
 */
typedef int (*vl_method_fn)(struct vl_call *call, json_t *parameters, void *userdata);

struct vl_method {
	const char *name; /* the member name, e.g. "GetUnit" */
	vl_method_fn fn;
};

int vl_server_new(sd_event *event, struct vl_server **ret);
struct vl_server *vl_server_free(struct vl_server *s);

int vl_server_set_info(struct vl_server *s, const char *vendor, const char *product,
		       const char *version, const char *url);

/* Serve an interface: its description text (parsed and kept) and its methods' handlers. */
int vl_server_add_interface(struct vl_server *s, const char *description,
			    const struct vl_method *methods, size_t n_methods, void *userdata);

/* Limits (defaults: 4096 connections, capped at 3/4 of RLIMIT_NOFILE; 1024 per UID). */
void vl_server_set_limits(struct vl_server *s, unsigned connections_max, unsigned per_uid_max);

/* The memory budget (defaults VL_MEMORY_MAX, VL_UID_MEMORY_MAX), and the message deadline. */
void vl_server_set_memory_limits(struct vl_server *s, size_t total, size_t per_uid,
				 uint64_t message_usec);
size_t vl_server_memory(const struct vl_server *s);

/* The error (with parameters limit and size) that replaces a reply over VL_BUFFER_MAX; without
 * one, such a reply closes the connection as sd-varlink does. */
int vl_server_set_reply_too_large_error(struct vl_server *s, const char *error);
/* A lower limit for the final replies that error replaces (for tests: a small host's lists
 * become too large); "continues" replies are not limited by it. */
void vl_server_set_reply_max(struct vl_server *s, size_t max);

/* Listen on a unix socket path: a stale socket file is replaced, anything else refused (-EEXIST,
 * or -EADDRINUSE for a socket a server answers on); the socket file goes with the server. */
int vl_server_listen_unix(struct vl_server *s, const char *path, mode_t mode);

/* Take a passed fd: a listening socket is listened on, a connected one becomes a connection. */
int vl_server_add_fd(struct vl_server *s, int fd);

/* Called whenever the last connection has closed (for exit-on-idle). */
void vl_server_set_idle_callback(struct vl_server *s, void (*cb)(struct vl_server *, void *),
				 void *userdata);

unsigned vl_server_connections(const struct vl_server *s);

/* Answer a call. parameters is stolen (NULL means {}). */
int vl_call_reply(struct vl_call *c, json_t *parameters);
int vl_call_notify(struct vl_call *c, json_t *parameters); /* a "continues" reply */
/* The final reply with parameters already serialised (a JSON object's text, kept by the caller). */
int vl_call_reply_text(struct vl_call *c, const char *parameters_json);
int vl_call_error(struct vl_call *c, const char *error, json_t *parameters);
/* org.varlink.service.InvalidParameter naming the parameter. */
int vl_call_error_invalid_parameter(struct vl_call *c, const char *parameter);

bool vl_call_more(const struct vl_call *c);
bool vl_call_oneway(const struct vl_call *c);
const char *vl_call_method(const struct vl_call *c);
int vl_call_peer_uid(const struct vl_call *c, uid_t *ret);

/* Keep a call past its handler (streams); the callback runs if the peer goes away first. */
struct vl_call *vl_call_ref(struct vl_call *c);
struct vl_call *vl_call_unref(struct vl_call *c);
void vl_call_set_gone_callback(struct vl_call *c, void (*cb)(struct vl_call *, void *),
			       void *userdata);
bool vl_call_answered(const struct vl_call *c);
/*
 * A stream too big to queue at once (a list sent one element a reply): the bytes of the call's
 * connection not yet sent, and a callback run once they are down to VL_BACKLOG_MAX again, after
 * a write (only while the call is unanswered; it may notify and reply).
 */
size_t vl_call_unsent(const struct vl_call *c);
void vl_call_set_drain_callback(struct vl_call *c, void (*cb)(struct vl_call *, void *),
				void *userdata);
/*
 * Queue the replies of the call's connection without writing them (cork true), then write all
 * that is queued at once (false; the call's final reply also does): a stream's batch of small
 * replies then reaches its peer in a few reads, not in one wake-up of the peer per reply.
 * Returns 0, or -errno when the write failed.
 */
int vl_call_cork(struct vl_call *c, bool cork);

/*
 * Feed one connection's bytes straight in, as if read from a socket, and collect what the
 * server would write (for the fuzzer and the unit tests). Returns false once the server has
 * closed that connection.
 */
struct vl_test_conn;
int vl_test_conn_new(struct vl_server *s, struct vl_test_conn **ret);
bool vl_test_conn_feed(struct vl_test_conn *t, const void *data, size_t len);
size_t vl_test_conn_output(struct vl_test_conn *t, const char **ret);
void vl_test_conn_free(struct vl_test_conn *t);
