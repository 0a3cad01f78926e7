/* A small varlink server on sd-event and jansson, held to systemd 257's sd-varlink behaviour. */
#include "config.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "lib/macro.h"
#include "server.h"

/* org.varlink.service as varlink.org publishes it, with the six standard errors. */
static const char service_idl[] =
	"# The Varlink Service Interface is provided by every varlink service. It\n"
	"# describes the service and the interfaces it implements.\n"
	"interface org.varlink.service\n"
	"\n"
	"# Get a list of all the interfaces a service provides and information\n"
	"# about the implementation.\n"
	"method GetInfo() -> (\n"
	"  vendor: string,\n"
	"  product: string,\n"
	"  version: string,\n"
	"  url: string,\n"
	"  interfaces: []string\n"
	")\n"
	"\n"
	"# Get the description of an interface that is implemented by this service.\n"
	"method GetInterfaceDescription(interface: string) -> (description: string)\n"
	"\n"
	"# The requested interface was not found.\n"
	"error InterfaceNotFound (interface: string)\n"
	"\n"
	"# The requested method was not found\n"
	"error MethodNotFound (method: string)\n"
	"\n"
	"# The interface defines the requested method, but the service does not\n"
	"# implement it.\n"
	"error MethodNotImplemented (method: string)\n"
	"\n"
	"# One of the passed parameters is invalid.\n"
	"error InvalidParameter (parameter: string)\n"
	"\n"
	"# Client is denied access\n"
	"error PermissionDenied ()\n"
	"\n"
	"# Method is expected to be called with 'more' set to true, but wasn't\n"
	"error ExpectedMore ()\n";

#define SERVICE "org.varlink.service"

/*
 * The one error the layer sends on its own: systemd's io.systemd.System (src/libsystemd/
 * sd-varlink/varlink-io.systemd.c, 257), for a handler that failed without answering. It is
 * declared here, not served: systemd does not describe io.systemd to its clients either.
 */
static const char systemd_idl[] = "interface io.systemd\n"
				  "\n"
				  "# A method failed with this errno.\n"
				  "error System (errno: int)\n";

struct vl_iface {
	struct vl_interface *idl;
	const struct vl_method *methods;
	size_t n_methods;
	void *userdata;
};

struct vl_conn {
	struct vl_server *s;
	struct vl_conn *prev, *next;
	int fd;
	sd_event_source *io, *defer;
	uid_t uid;
	bool have_uid;
	bool read_eof;
	bool test;
	bool dispatching;     /* inside handle_message(): its loop goes on by itself */
	bool corked;	      /* replies are queued, not written, until vl_call_cork(false) */
	bool close_requested; /* closed while dispatching: freed once the handler returns */
	char *in;
	size_t in_len, in_cap, in_scanned;
	char *out;
	size_t out_len, out_off, out_cap;
	size_t mem;		/* in_cap + out_cap, as counted in the server's budget */
	sd_event_source *timer; /* the deadline of a message begun and not finished */
	bool long_message;	/* io at SD_EVENT_PRIORITY_IDLE: in a message longer than a read */
	struct vl_call
		*pending; /* the call that keeps the connection busy, until its final reply */
};

struct vl_call {
	unsigned ref;
	struct vl_conn *conn; /* NULL once the connection has gone */
	char *method;
	bool more, oneway, answered;
	void (*gone)(struct vl_call *, void *);
	void *gone_userdata;
	void (*drain)(struct vl_call *, void *);
	void *drain_userdata;
};

struct vl_listener {
	int fd;
	sd_event_source *io, *retry;
	char *path; /* the socket file we made (vl_server_listen_unix), removed at the end */
	dev_t dev;
	ino_t ino;
};

struct vl_server {
	sd_event *event;
	struct vl_iface *ifaces;
	size_t n_ifaces;
	struct vl_listener *listeners;
	size_t n_listeners;
	struct vl_conn *conns;
	unsigned n_conns;
	unsigned connections_max, per_uid_max;
	size_t mem, memory_max, uid_memory_max;
	size_t reply_max; /* a final reply longer than this becomes too_large_error */
	uint64_t message_usec;
	struct vl_uid_use {
		uid_t uid;
		size_t mem;
	} * uids; /* per peer UID (few): their connections' buffers together */
	size_t n_uids;
	char read_buf[VL_READ_SIZE]; /* every read lands here first: idle connections hold none */
	char *vendor, *product, *version, *url;
	char *info_text;       /* GetInfo's parameters, once made */
	char *too_large_error; /* the error for a reply over VL_BUFFER_MAX (limit, size) */
	struct vl_interface *systemd_idl;
	void (*idle)(struct vl_server *, void *);
	void *idle_userdata;
};

static void conn_close(struct vl_conn *c);
static void conn_process(struct vl_conn *c);
static int conn_update_events(struct vl_conn *c);
static const struct vl_iface *find_iface(const struct vl_server *s, const char *name, size_t len);

/*
 * Does an interface the server knows declare this error, with parameters of its type? Only
 * those are sent: a name the client cannot look up in GetInterfaceDescription is a bug.
 */
static bool error_declared(const struct vl_server *s, const char *error, json_t *parameters)
{
	const char *dot = strrchr(error, '.');
	const struct vl_iface *iface = dot ? find_iface(s, error, (size_t)(dot - error)) : NULL;
	const struct vl_interface *idl = iface ? iface->idl : NULL;
	const struct vl_member *m;

	if (!idl && dot && strlen(s->systemd_idl->name) == (size_t)(dot - error) &&
	    strncmp(s->systemd_idl->name, error, (size_t)(dot - error)) == 0)
		idl = s->systemd_idl;
	m = idl ? vl_interface_error(idl, dot + 1) : NULL;
	return m && vl_value_matches(idl, m->in, parameters);
}

/* ---- server ------------------------------------------------------------------------------ */

int vl_server_new(sd_event *event, struct vl_server **ret)
{
	struct vl_server *s = calloc(1, sizeof(*s));
	struct rlimit rl;
	int k;

	if (!s)
		return -ENOMEM;
	s->event = event ? sd_event_ref(event) : NULL;
	s->connections_max = VL_CONNECTIONS_MAX;
	/* As sd-varlink: never more than 3/4 of the descriptors we may open. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur / 4 * 3 < s->connections_max)
		s->connections_max = (unsigned)(rl.rlim_cur / 4 * 3);
	s->per_uid_max = VL_PER_UID_MAX;
	s->memory_max = VL_MEMORY_MAX;
	s->uid_memory_max = VL_UID_MEMORY_MAX;
	s->message_usec = VL_MESSAGE_USEC;
	s->reply_max = VL_BUFFER_MAX;
	if (s->per_uid_max > s->connections_max)
		s->per_uid_max = s->connections_max / 4 * 3;
	k = vl_server_add_interface(s, service_idl, NULL, 0, NULL);
	if (k >= 0)
		k = vl_interface_parse(systemd_idl, &s->systemd_idl, NULL);
	if (k < 0) {
		vl_server_free(s);
		return k;
	}
	*ret = s;
	return 0;
}

struct vl_server *vl_server_free(struct vl_server *s)
{
	if (!s)
		return NULL;
	while (s->conns)
		conn_close(s->conns);
	for (size_t i = 0; i < s->n_listeners; i++) {
		sd_event_source_disable_unref(s->listeners[i].io);
		sd_event_source_disable_unref(s->listeners[i].retry);
		close(s->listeners[i].fd);
		if (s->listeners[i].path) {
			struct stat st;

			/* Ours still (not replaced by another server since): remove it. */
			if (lstat(s->listeners[i].path, &st) == 0 && S_ISSOCK(st.st_mode) &&
			    st.st_dev == s->listeners[i].dev && st.st_ino == s->listeners[i].ino)
				(void)unlink(s->listeners[i].path);
			free(s->listeners[i].path);
		}
	}
	free(s->listeners);
	for (size_t i = 0; i < s->n_ifaces; i++)
		vl_interface_free(s->ifaces[i].idl);
	free(s->ifaces);
	free(s->vendor);
	free(s->product);
	free(s->version);
	free(s->url);
	free(s->info_text);
	free(s->too_large_error);
	vl_interface_free(s->systemd_idl);
	free(s->uids);
	sd_event_unref(s->event);
	free(s);
	return NULL;
}

int vl_server_set_info(struct vl_server *s, const char *vendor, const char *product,
		       const char *version, const char *url)
{
	free(s->info_text);
	s->info_text = NULL;
	free(s->vendor);
	free(s->product);
	free(s->version);
	free(s->url);
	s->vendor = strdup(vendor);
	s->product = strdup(product);
	s->version = strdup(version);
	s->url = strdup(url);
	return s->vendor && s->product && s->version && s->url ? 0 : -ENOMEM;
}

int vl_server_add_interface(struct vl_server *s, const char *description,
			    const struct vl_method *methods, size_t n_methods, void *userdata)
{
	struct vl_interface *idl;
	struct vl_iface *n;
	int k = vl_interface_parse(description, &idl, NULL);

	if (k < 0)
		return k;
	/* Every handler must name a method the interface declares. */
	for (size_t i = 0; i < n_methods; i++)
		if (!vl_interface_method(idl, methods[i].name)) {
			vl_interface_free(idl);
			return -EINVAL;
		}
	n = realloc(s->ifaces, (s->n_ifaces + 1) * sizeof(*n));
	if (!n) {
		vl_interface_free(idl);
		return -ENOMEM;
	}
	s->ifaces = n;
	s->ifaces[s->n_ifaces++] = (struct vl_iface){ idl, methods, n_methods, userdata };
	free(s->info_text);
	s->info_text = NULL;
	return 0;
}

void vl_server_set_limits(struct vl_server *s, unsigned connections_max, unsigned per_uid_max)
{
	s->connections_max = connections_max;
	s->per_uid_max = per_uid_max;
}

void vl_server_set_memory_limits(struct vl_server *s, size_t total, size_t per_uid,
				 uint64_t message_usec)
{
	s->memory_max = total;
	s->uid_memory_max = per_uid;
	s->message_usec = message_usec;
}

int vl_server_set_reply_too_large_error(struct vl_server *s, const char *error)
{
	json_t *example = json_pack("{s:I, s:I}", "limit", (json_int_t)VL_BUFFER_MAX, "size",
				    (json_int_t)VL_BUFFER_MAX + 1);
	bool declared = example && error_declared(s, error, example);
	char *e;

	json_decref(example);
	if (!example)
		return -ENOMEM;
	if (!declared)
		return -EINVAL;
	e = strdup(error);
	if (!e)
		return -ENOMEM;
	free(s->too_large_error);
	s->too_large_error = e;
	return 0;
}

void vl_server_set_reply_max(struct vl_server *s, size_t max)
{
	s->reply_max = max < VL_BUFFER_MAX ? max : VL_BUFFER_MAX;
}

size_t vl_server_memory(const struct vl_server *s)
{
	return s->mem;
}

void vl_server_set_idle_callback(struct vl_server *s, void (*cb)(struct vl_server *, void *),
				 void *userdata)
{
	s->idle = cb;
	s->idle_userdata = userdata;
}

unsigned vl_server_connections(const struct vl_server *s)
{
	return s->n_conns;
}

/* ---- connections ------------------------------------------------------------------------- */

static unsigned conns_of_uid(struct vl_server *s, uid_t uid)
{
	unsigned n = 0;

	for (struct vl_conn *c = s->conns; c; c = c->next)
		n += c->have_uid && c->uid == uid;
	return n;
}

static struct vl_uid_use *uid_use(struct vl_server *s, uid_t uid)
{
	struct vl_uid_use *n;

	for (size_t i = 0; i < s->n_uids; i++)
		if (s->uids[i].uid == uid)
			return &s->uids[i];
	n = realloc(s->uids, (s->n_uids + 1) * sizeof(*n));
	if (!n)
		return NULL;
	s->uids = n;
	n[s->n_uids] = (struct vl_uid_use){ .uid = uid };
	return &n[s->n_uids++];
}

/* Count the connection's buffers (after any change to them) in the server's and its UID's. */
static void conn_account(struct vl_conn *c)
{
	size_t now = c->in_cap + c->out_cap;
	struct vl_uid_use *u = c->have_uid ? uid_use(c->s, c->uid) : NULL;

	c->s->mem = c->s->mem - c->mem + now;
	if (u)
		u->mem = u->mem - c->mem + now;
	c->mem = now;
}

static size_t out_pending(const struct vl_conn *c)
{
	return c->out_len - c->out_off;
}

/*
 * Over the budget (the server's, or c's UID's unless it is root): close the connection holding
 * the most (of that UID, when only its budget is exceeded), until under it. True when that is c
 * itself, which the caller must close.
 */
static bool conn_over_budget(struct vl_conn *c)
{
	struct vl_server *s = c->s;

	for (;;) {
		struct vl_uid_use *u = c->have_uid && c->uid != 0 ? uid_use(s, c->uid) : NULL;
		bool uid_over = u && u->mem > s->uid_memory_max, all_over = s->mem > s->memory_max;
		struct vl_conn *victim = NULL;

		if (!uid_over && !all_over)
			return false;
		for (struct vl_conn *x = s->conns; x; x = x->next) {
			if (x->close_requested || x->test != c->test)
				continue;
			if (!all_over && !(x->have_uid && x->uid == c->uid))
				continue;
			if (!victim || x->mem > victim->mem)
				victim = x;
		}
		if (!victim || victim == c)
			return true;
		conn_close(victim);
	}
}

static int io_handler(sd_event_source *src, int fd, uint32_t revents, void *userdata);

static int conn_new(struct vl_server *s, int fd, bool test, struct vl_conn **ret)
{
	struct vl_conn *c = calloc(1, sizeof(*c));
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int k;

	if (!c)
		return -ENOMEM;
	c->s = s;
	c->fd = fd;
	c->test = test;
	if (fd >= 0 && getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
		c->uid = cred.uid;
		c->have_uid = true;
	}
	/* Over a limit: accepted, then closed at once with no message, as sd-varlink does. */
	if (s->n_conns >= s->connections_max ||
	    (c->have_uid && conns_of_uid(s, c->uid) >= s->per_uid_max)) {
		free(c);
		return -EUSERS;
	}
	if (fd >= 0 && s->event) {
		k = sd_event_add_io(s->event, &c->io, fd, EPOLLIN, io_handler, c);
		if (k < 0) {
			free(c);
			return k;
		}
	}
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->n_conns++;
	*ret = c;
	return 0;
}

static void call_detach(struct vl_call *call)
{
	call->conn = NULL;
	if (!call->answered && call->gone)
		call->gone(call, call->gone_userdata);
}

static void conn_close(struct vl_conn *c)
{
	struct vl_server *s = c->s;
	struct vl_call *p = c->pending;

	/* A handler is still running with this connection on its stack: finish it first. */
	if (c->dispatching) {
		c->close_requested = true;
		return;
	}
	c->pending = NULL;
	sd_event_source_disable_unref(c->io);
	sd_event_source_disable_unref(c->defer);
	sd_event_source_disable_unref(c->timer);
	if (c->fd >= 0)
		close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->n_conns--;
	free(c->in);
	free(c->out);
	c->in_cap = c->out_cap = 0;
	conn_account(c);
	free(c);
	if (p) {
		call_detach(p);
		vl_call_unref(p);
	}
	if (s->n_conns == 0 && s->idle)
		s->idle(s, s->idle_userdata);
}

/* Queue bytes for the peer; a peer that leaves more than VL_BUFFER_MAX unread is dropped. */
static int conn_write(struct vl_conn *c, const char *data, size_t len)
{
	size_t pending = c->out_len - c->out_off;

	if (pending + len > VL_BUFFER_MAX && !c->test)
		return -ENOBUFS;
	if (c->out_off > 0 && (c->out_off >= c->out_len / 2 || c->out_len + len > c->out_cap)) {
		memmove(c->out, c->out + c->out_off, pending);
		c->out_len = pending;
		c->out_off = 0;
	}
	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		char *n;

		while (cap < c->out_len + len)
			cap *= 2;
		n = realloc(c->out, cap);
		if (!n)
			return -ENOMEM;
		c->out = n;
		c->out_cap = cap;
		conn_account(c);
		if (conn_over_budget(c))
			return -ENOBUFS;
	}
	memcpy(c->out + c->out_len, data, len);
	c->out_len += len;
	return 0;
}

static int conn_flush(struct vl_conn *c)
{
	while (c->out_off < c->out_len && !c->test) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			return -errno;
		}
		c->out_off += (size_t)n;
	}
	if (c->out_off == c->out_len) {
		c->out_off = c->out_len = 0;
		/* A big reply has gone: its buffer goes too, not kept for an idle connection. */
		if (c->out_cap > 4096 && !c->test) {
			free(c->out);
			c->out = NULL;
			c->out_cap = 0;
			conn_account(c);
		}
	}
	return 0;
}

static int conn_update_events(struct vl_conn *c)
{
	uint32_t ev = 0;

	if (!c->io)
		return 0;
	/*
	 * As sd-varlink: no reading while a call is being answered, so a client cannot queue
	 * without limit behind a stream. A peer that goes away still shows as EPOLLHUP.
	 */
	if (!c->read_eof && (!c->pending || c->dispatching) && out_pending(c) <= VL_BACKLOG_MAX &&
	    !c->defer)	       /* calls read and not yet answered: no more until they are */
		ev |= EPOLLIN; /* a call answered from its handler never turns reading off and on */
	if (c->out_off < c->out_len)
		ev |= EPOLLOUT;
	/*
	 * In the middle of a message longer than a read, a connection is served after the others:
	 * a peer sending megabytes (or never finishing) makes the daemon copy them, and that must
	 * not hold up the clients making ordinary calls, nor new ones being accepted.
	 */
	if (c->long_message != (c->in_len > VL_READ_SIZE)) {
		int k = sd_event_source_set_priority(c->io, c->in_len > VL_READ_SIZE
								    ? SD_EVENT_PRIORITY_IDLE
								    : SD_EVENT_PRIORITY_NORMAL);

		if (k < 0)
			return k;
		c->long_message = !c->long_message;
	}
	return sd_event_source_set_io_events(c->io, ev);
}

/* Queue message text in pieces (with the NUL) and try to write it out right away. */
static int conn_send_parts(struct vl_conn *c, const char *const *parts, const size_t *lens,
			   size_t n)
{
	int k;

	for (size_t i = 0; i < n; i++) {
		k = conn_write(c, parts[i], lens[i]);
		if (k < 0)
			return k;
	}
	if (c->corked)
		return 0;
	k = conn_flush(c);
	if (k < 0)
		return k;
	return conn_update_events(c);
}

/* ---- calls ------------------------------------------------------------------------------- */

struct vl_call *vl_call_ref(struct vl_call *c)
{
	c->ref++;
	return c;
}

struct vl_call *vl_call_unref(struct vl_call *c)
{
	if (!c || --c->ref > 0)
		return NULL;
	free(c->method);
	free(c);
	return NULL;
}

void vl_call_set_gone_callback(struct vl_call *c, void (*cb)(struct vl_call *, void *),
			       void *userdata)
{
	c->gone = cb;
	c->gone_userdata = userdata;
}

bool vl_call_more(const struct vl_call *c)
{
	return c->more;
}

bool vl_call_oneway(const struct vl_call *c)
{
	return c->oneway;
}

void vl_call_set_drain_callback(struct vl_call *c, void (*cb)(struct vl_call *, void *),
				void *userdata)
{
	c->drain = cb;
	c->drain_userdata = userdata;
}

size_t vl_call_unsent(const struct vl_call *c)
{
	return c->conn && !c->conn->test ? out_pending(c->conn) : 0;
}

int vl_call_cork(struct vl_call *c, bool cork)
{
	struct vl_conn *conn = c->conn;
	int k;

	if (!conn)
		return 0;
	conn->corked = cork;
	if (cork)
		return 0;
	/* A write that fails closes the connection at the next event (EPOLLOUT or EPOLLHUP). */
	k = conn_flush(conn);
	return k < 0 ? k : conn_update_events(conn);
}

bool vl_call_answered(const struct vl_call *c)
{
	return c->answered;
}

const char *vl_call_method(const struct vl_call *c)
{
	return c->method;
}

int vl_call_peer_uid(const struct vl_call *c, uid_t *ret)
{
	if (!c->conn || !c->conn->have_uid)
		return -ENODATA;
	*ret = c->conn->uid;
	return 0;
}

static int defer_handler(sd_event_source *src, void *userdata)
{
	struct vl_conn *c = userdata;

	c->defer = sd_event_source_disable_unref(c->defer);
	conn_process(c);
	return 0;
}

/* The final answer: the connection may go on with the calls that queued behind this one. */
static void call_finished(struct vl_call *call)
{
	struct vl_conn *c = call->conn;

	call->answered = true;
	if (!c || c->pending != call)
		return;
	c->pending = NULL;
	call->conn = NULL;
	vl_call_unref(call);
	if (c->dispatching)
		return; /* answered from its handler: conn_process() continues with the next call */
	/* Answered later (a stream's end): resume reading and the calls queued behind it. */
	if (c->s->event && !c->test) {
		if (!c->defer && sd_event_add_defer(c->s->event, &c->defer, defer_handler, c) < 0)
			conn_close(c);
	} else
		conn_process(c);
}

/*
 * Write a message (msg, taken) or the final reply around ready parameters text. A final reply
 * longer than the reply limit (VL_BUFFER_MAX, which the peer could never be sent, unless set
 * lower) becomes the server's "too large" error naming the limit and the size (when it has one),
 * not a closed connection.
 */
static int call_write(struct vl_call *call, json_t *msg, const char *params_text, bool final)
{
	struct vl_conn *c = call->conn;
	_cleanup_free_ char *text = NULL;
	const char *parts[3];
	size_t lens[3], n, size;

	if (msg) {
		text = json_dumps(msg, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
		json_decref(msg);
		if (!text)
			return -ENOMEM;
		parts[0] = text;
		lens[0] = size = strlen(text) + 1; /* with the NUL */
		n = 1;
	} else {
		parts[0] = "{\"parameters\":";
		parts[1] = params_text;
		parts[2] = "}";
		lens[0] = 14;
		lens[1] = strlen(params_text);
		lens[2] = 2; /* with the NUL */
		size = lens[0] + lens[1] + lens[2];
		n = 3;
	}
	if (size > c->s->reply_max && final && c->s->too_large_error) {
		json_t *e = json_pack("{s:s, s:{s:I, s:I}}", "error", c->s->too_large_error,
				      "parameters", "limit", (json_int_t)c->s->reply_max, "size",
				      (json_int_t)size);

		free(text);
		text = e ? json_dumps(e, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		json_decref(e);
		if (!text)
			return -ENOMEM;
		parts[0] = text;
		lens[0] = strlen(text) + 1;
		n = 1;
	}
	return conn_send_parts(c, parts, lens, n);
}

/* Send a reply: a JSON message, or (msg NULL) the final reply around ready parameters text. */
static int call_send_any(struct vl_call *call, json_t *msg, const char *params_text, bool final)
{
	struct vl_conn *c = call->conn;
	int k = 0;

	if (call->answered) {
		json_decref(msg);
		return -EALREADY;
	}
	if (!c || call->oneway) {
		/* The peer is gone, or asked for no reply: nothing is written, ever. */
		json_decref(msg);
		if (final)
			call->answered = true;
		return c ? 0 : -ENOTCONN;
	}
	if (final)
		c->corked = false; /* the call ends: its last reply goes out with what is queued */
	k = call_write(call, msg, params_text, final);
	if (k < 0) {
		/*
		 * Closed before the call counts as answered, so that conn_close() tells its owner
		 * (a Monitor subscriber leaves the list; otherwise it stays registered forever and
		 * keeps --exit-on-idle from firing).
		 */
		vl_call_ref(call);
		conn_close(c);
		call->answered = true;
		vl_call_unref(call);
		return k;
	}
	if (final) {
		if (c->pending == call)
			call_finished(call);
		else
			call->answered = true;
	}
	return 0;
}

static int call_send(struct vl_call *call, json_t *msg, bool final)
{
	return call_send_any(call, msg, NULL, final);
}

int vl_call_reply_text(struct vl_call *call, const char *parameters_json)
{
	return call_send_any(call, NULL, parameters_json, true);
}

static json_t *params_or_empty(json_t *p)
{
	return p ? p : json_object();
}

int vl_call_reply(struct vl_call *call, json_t *parameters)
{
	json_t *msg = json_pack("{s:o}", "parameters", params_or_empty(parameters));

	return msg ? call_send(call, msg, true) : -ENOMEM;
}

int vl_call_notify(struct vl_call *call, json_t *parameters)
{
	json_t *msg;

	if (!call->more) {
		json_decref(parameters);
		return -EINVAL;
	}
	msg = json_pack("{s:o, s:b}", "parameters", params_or_empty(parameters), "continues", 1);
	return msg ? call_send(call, msg, false) : -ENOMEM;
}

int vl_call_error(struct vl_call *call, const char *error, json_t *parameters)
{
	json_t *msg;

	parameters = params_or_empty(parameters);
	/* Refused, not sent: the handler's failure becomes io.systemd.System (EINVAL). */
	if (parameters && call->conn && !error_declared(call->conn->s, error, parameters)) {
		json_decref(parameters);
		return -EINVAL;
	}
	msg = json_pack("{s:s, s:o}", "error", error, "parameters", parameters);
	return msg ? call_send(call, msg, true) : -ENOMEM;
}

int vl_call_error_invalid_parameter(struct vl_call *call, const char *parameter)
{
	return vl_call_error(call, SERVICE ".InvalidParameter",
			     json_pack("{s:s}", "parameter", parameter));
}

/* ---- org.varlink.service ----------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The answer never changes once the server is set up: serialised once. */
static int service_get_info(struct vl_server *s, struct vl_call *call)
{
	const char **names;
	json_t *list, *info;

	if (s->info_text)
		return vl_call_reply_text(call, s->info_text);
	names = calloc(s->n_ifaces, sizeof(char *));
	list = json_array();

	if (!names || !list) {
		free(names);
		json_decref(list);
		return -ENOMEM;
	}
	for (size_t i = 0; i < s->n_ifaces; i++)
		names[i] = s->ifaces[i].idl->name;
	qsort(names, s->n_ifaces, sizeof(char *), cmp_str);
	for (size_t i = 0; i < s->n_ifaces; i++)
		json_array_append_new(list, json_string(names[i]));
	free(names);
	info = json_pack("{s:s, s:s, s:s, s:s, s:o}", "vendor", s->vendor ? s->vendor : "",
			 "product", s->product ? s->product : "", "version",
			 s->version ? s->version : "", "url", s->url ? s->url : "", "interfaces",
			 list);
	if (!info)
		return -ENOMEM;
	s->info_text = json_dumps(info, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	json_decref(info);
	if (!s->info_text)
		return -ENOMEM;
	return vl_call_reply_text(call, s->info_text);
}

static const struct vl_iface *find_iface(const struct vl_server *s, const char *name, size_t len)
{
	for (size_t i = 0; i < s->n_ifaces; i++)
		if (strlen(s->ifaces[i].idl->name) == len &&
		    strncmp(s->ifaces[i].idl->name, name, len) == 0)
			return &s->ifaces[i];
	return NULL;
}

static int service_get_description(struct vl_server *s, struct vl_call *call, json_t *params)
{
	const char *name = json_string_value(json_object_get(params, "interface"));
	const struct vl_iface *iface = find_iface(s, name, strlen(name));

	if (!iface)
		return vl_call_error(call, SERVICE ".InterfaceNotFound",
				     json_pack("{s:s}", "interface", name));
	return vl_call_reply(call, json_pack("{s:s}", "description", iface->idl->text));
}

/* ---- dispatch ---------------------------------------------------------------------------- */

static int dispatch(struct vl_server *s, struct vl_call *call, json_t *params)
{
	const char *dot = strrchr(call->method, '.');
	const struct vl_iface *iface =
		dot ? find_iface(s, call->method, (size_t)(dot - call->method)) : NULL;
	const struct vl_member *m = iface ? vl_interface_method(iface->idl, dot + 1) : NULL;
	const char *bad = NULL;
	int k;

	if (!m)
		return vl_call_error(call, SERVICE ".MethodNotFound",
				     json_pack("{s:s}", "method", call->method));
	/* As systemd: a method that needs "more" says so before looking at parameters. */
	if (m->requires_more && !call->more)
		return vl_call_error(call, SERVICE ".ExpectedMore", NULL);
	if (vl_validate_parameters(iface->idl, m->in, params, &bad) < 0)
		return vl_call_error_invalid_parameter(call, bad);

	if (streq(iface->idl->name, SERVICE)) {
		if (streq(m->name, "GetInfo"))
			return service_get_info(s, call);
		if (streq(m->name, "GetInterfaceDescription"))
			return service_get_description(s, call, params);
	}
	for (size_t i = 0; i < iface->n_methods; i++) {
		if (!streq(iface->methods[i].name, m->name))
			continue;
		k = iface->methods[i].fn(call, params, iface->userdata);
		if (k < 0 && !call->answered)
			/* A handler that failed without answering: the errno, as systemd does. */
			return vl_call_error(call, "io.systemd.System",
					     json_pack("{s:i}", "errno", -k));
		return 0;
	}
	return vl_call_error(call, SERVICE ".MethodNotImplemented",
			     json_pack("{s:s}", "method", call->method));
}

/*
 * Parse and check one message. Anything malformed — not JSON, not an object, a missing or
 * non-string method, parameters that are not an object, flags that are not booleans, both
 * oneway and more, or any other key (upgrade included) — closes the connection with no reply.
 */
static bool method_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '.' || ch == '_' || ch == '-';
}

/*
 * The common call, exactly {"method":"NAME"} or {"method":"NAME","parameters":VALUE} in compact
 * form: split it without building the envelope in jansson (most of a call's cost); VALUE is
 * still parsed by jansson. Anything else goes through the full, strict path.
 */
static bool split_simple_call(const char *buf, size_t len, const char **ret_name,
			      size_t *ret_name_len, const char **ret_params, size_t *ret_params_len)
{
	static const char head[] = "{\"method\":\"", mid[] = ",\"parameters\":";
	const char *p = buf + sizeof(head) - 1, *end = buf + len, *name = p;

	if (len < sizeof(head) + 2 || memcmp(buf, head, sizeof(head) - 1) != 0)
		return false;
	while (p < end && method_char(*p))
		p++;
	if (p == name || p >= end || *p != '"')
		return false;
	*ret_name = name;
	*ret_name_len = (size_t)(p - name);
	p++;
	if (end - p == 1 && *p == '}') {
		*ret_params = NULL;
		*ret_params_len = 0;
		return true;
	}
	if ((size_t)(end - p) < sizeof(mid) || memcmp(p, mid, sizeof(mid) - 1) != 0 ||
	    end[-1] != '}')
		return false;
	p += sizeof(mid) - 1;
	*ret_params = p;
	*ret_params_len = (size_t)(end - 1 - p);
	return true;
}

static int handle_call(struct vl_conn *c, json_t *msg, const char *method, json_t *params,
		       bool more, bool oneway);
static int handle_message_full(struct vl_conn *c, const char *buf, size_t len);

/*
 * More than VL_VALUES_MAX JSON values (counted by their separators outside strings)? jansson
 * spends tens of bytes on each, so 16 MiB of "[0,0,..." would take hundreds of MiB.
 */
static bool too_many_values(const char *buf, size_t len)
{
	size_t n = 1;
	bool in_string = false;

	if (len < 2 * (size_t)VL_VALUES_MAX) /* each value takes a byte and a separator */
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = buf[i];

		if (in_string) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_string = false;
		} else if (ch == '"')
			in_string = true;
		else if ((ch == ',' || ch == ':' || ch == '[' || ch == '{') && ++n > VL_VALUES_MAX)
			return true;
	}
	return false;
}

static int handle_message(struct vl_conn *c, const char *buf, size_t len)
{
	const char *name, *pv;
	size_t name_len, pv_len;

	if (too_many_values(buf, len))
		return -EBADMSG;

	if (split_simple_call(buf, len, &name, &name_len, &pv, &pv_len)) {
		char method[256];
		json_t *params = NULL;

		if (name_len < sizeof(method)) {
			memcpy(method, name, name_len);
			method[name_len] = 0;
			if (pv) {
				params = json_loadb(pv, pv_len, JSON_REJECT_DUPLICATES, NULL);
				if (params && !json_is_object(params) && !json_is_null(params)) {
					json_decref(params);
					return -EBADMSG;
				}
			}
			if (!pv || params)
				return handle_call(c, params, method, params, false, false);
		}
		/* Too long a name, or parameters jansson refuses as such: the full path decides. */
	}
	return handle_message_full(c, buf, len);
}

static int handle_message_full(struct vl_conn *c, const char *buf, size_t len)
{
	json_error_t err;
	json_t *msg = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err);
	json_t *method, *params = NULL, *v;
	bool more = false, oneway = false;
	const char *key;

	/* Integers beyond int64 (an int may go up to 2^64-1): read numbers as doubles then. */
	if (!msg && strstr(err.text, "too big"))
		msg = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, NULL);
	if (!msg || !json_is_object(msg)) {
		json_decref(msg);
		return -EBADMSG;
	}
	json_object_foreach (msg, key, v) {
		if (streq(key, "method") || streq(key, "parameters"))
			continue;
		if (!streq(key, "more") && !streq(key, "oneway"))
			goto bad;
		if (!json_is_boolean(v))
			goto bad;
		if (streq(key, "more"))
			more = json_is_true(v);
		else
			oneway = json_is_true(v);
	}
	method = json_object_get(msg, "method");
	params = json_object_get(msg, "parameters");
	if (!json_is_string(method) ||
	    (params && !json_is_object(params) && !json_is_null(params)) || (more && oneway))
		goto bad;
	return handle_call(c, msg, json_string_value(method), params, more, oneway);
bad:
	json_decref(msg);
	return -EBADMSG;
}

/* Dispatch one checked call; msg (the parsed message, which owns params) is released here. */
static int handle_call(struct vl_conn *c, json_t *msg, const char *method, json_t *params,
		       bool more, bool oneway)
{
	static json_t *shared_empty;
	struct vl_call *call;
	int k;

	call = calloc(1, sizeof(*call));
	if (!call || !(call->method = strdup(method))) {
		free(call);
		json_decref(msg);
		return -ENOMEM;
	}
	call->ref = 1;
	call->conn = c;
	call->more = more;
	call->oneway = oneway;
	/* The connection is busy with this call until its final reply. */
	c->pending = vl_call_ref(call);
	/* Absent, null and {} are the same; handlers always see an object (never to be changed). */
	if (!params || json_is_null(params)) {
		if (!shared_empty)
			shared_empty = json_object();
		params = shared_empty;
	}
	c->dispatching = true;
	k = params ? dispatch(c->s, call, params) : -ENOMEM;
	c->dispatching = false;
	json_decref(msg);
	if (call->oneway)
		call->answered = true;
	if (call->answered && call->conn && c->pending == call) {
		/* Answered at once: drop the connection's reference (ours keeps it alive here). */
		c->pending = NULL;
		call->conn = NULL;
		call->ref--;
	}
	vl_call_unref(call);
	if (c->close_requested)
		return -ECONNRESET;
	return k == -ENOMEM ? k : 0;
}

/*
 * Answer the complete messages in the input buffer, in order, until one keeps the connection
 * busy. The connection may be closed (and freed) on the way: then return without touching it.
 */
static int deadline_handler(sd_event_source *src, uint64_t usec, void *userdata)
{
	struct vl_conn *c = userdata;

	/* A message begun VL_MESSAGE_USEC ago and still not finished: a peer holding memory. */
	c->timer = sd_event_source_disable_unref(c->timer);
	if (c->in_len > 0 && !c->pending)
		conn_close(c);
	return 0;
}

/* Input left over (a message not finished): the peer has s->message_usec to finish it. */
static void conn_arm_deadline(struct vl_conn *c, bool progressed)
{
	bool waiting = c->in_len > 0 && !c->pending && c->s->event && !c->test;

	if (c->timer && (progressed || !waiting))
		c->timer = sd_event_source_disable_unref(c->timer);
	if (waiting && !c->timer &&
	    sd_event_add_time_relative(c->s->event, &c->timer, CLOCK_MONOTONIC, c->s->message_usec,
				       0, deadline_handler, c) < 0)
		c->timer = NULL;
}

static void conn_process(struct vl_conn *c)
{
	bool progressed = false;
	unsigned calls = 0;

	/* Behind a backlog of unsent output, the next call waits until the peer reads. */
	while (!c->pending && (c->test || out_pending(c) <= VL_BACKLOG_MAX)) {
		char *nul = c->in_len > c->in_scanned
				    ? memchr(c->in + c->in_scanned, 0, c->in_len - c->in_scanned)
				    : NULL;
		size_t mlen;
		int k;

		if (!nul) {
			c->in_scanned = c->in_len;
			break;
		}
		/*
		 * A few calls per turn, then the other connections' turn: one client's pipeline of
		 * expensive calls (GetHost) must not keep everyone else waiting.
		 */
		if (++calls > VL_CALLS_PER_TURN && c->s->event && !c->test) {
			if (!c->defer &&
			    sd_event_add_defer(c->s->event, &c->defer, defer_handler, c) < 0) {
				conn_close(c);
				return;
			}
			break;
		}
		mlen = (size_t)(nul - c->in);
		k = handle_message(c, c->in, mlen);
		if (k < 0) {
			conn_close(c);
			return;
		}
		memmove(c->in, c->in + mlen + 1, c->in_len - mlen - 1);
		c->in_len -= mlen + 1;
		c->in_scanned = 0;
		progressed = true;
	}
	if (c->in_len == 0 && c->in_cap > 0) {
		/* All answered: an idle connection holds no buffer. */
		free(c->in);
		c->in = NULL;
		c->in_cap = c->in_scanned = 0;
		conn_account(c);
	}
	conn_arm_deadline(c, progressed);
	/* Closing: the peer stopped sending and nothing more is owed. */
	if (c->read_eof && !c->pending && c->out_off == c->out_len && !c->test) {
		conn_close(c);
		return;
	}
	/* A peer that only shut its sending side still gets a stream's replies (as sd-varlink);
	 * one that has gone shows as EPOLLHUP or a failed write. */
	if (conn_update_events(c) < 0)
		conn_close(c);
}

static int conn_append(struct vl_conn *c, const void *data, size_t len)
{
	if (len == 0)
		return 0;
	if (c->in_len + len > c->in_cap) {
		size_t cap = c->in_cap ? c->in_cap : 1024;
		char *n;

		while (cap < c->in_len + len)
			cap *= 2;
		n = realloc(c->in, cap);
		if (!n)
			return -ENOMEM;
		c->in = n;
		c->in_cap = cap;
		conn_account(c);
	}
	memcpy(c->in + c->in_len, data, len);
	c->in_len += len;
	return 0;
}

/* A message that reached VL_BUFFER_MAX without its NUL ends the connection (systemd: ENOBUFS). */
static bool conn_over_limit(struct vl_conn *c)
{
	return c->in_len > VL_BUFFER_MAX;
}

/*
 * Read what is there into the server's buffer, then keep only that in the connection's; or
 * straight into the connection's, when a message begun there has room for a whole read (a long
 * one is not copied twice).
 */
static int conn_read(struct vl_conn *c)
{
	bool direct = c->in_len > 0 && c->in_cap - c->in_len >= VL_READ_SIZE;
	char *buf = direct ? c->in + c->in_len : c->s->read_buf;
	ssize_t n;

	do
		n = recv(c->fd, buf, VL_READ_SIZE, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (n == 0) {
		c->read_eof = true;
		return 1;
	}
	if (direct) {
		c->in_len += (size_t)n;
		return 1;
	}
	return conn_append(c, buf, (size_t)n) < 0 ? -ENOMEM : 1;
}

static int io_handler(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
	struct vl_conn *c = userdata;
	int k;

	if (revents & EPOLLOUT) {
		k = conn_flush(c);
		if (k < 0) {
			conn_close(c);
			return 0;
		}
		/* A stream waiting for its peer to read: room again, so it goes on. */
		if (c->pending && c->pending->drain && !c->pending->answered &&
		    out_pending(c) <= VL_BACKLOG_MAX) {
			struct vl_call *call = vl_call_ref(c->pending);

			c->dispatching = true;
			call->drain(call, call->drain_userdata);
			c->dispatching = false;
			vl_call_unref(call);
			if (c->close_requested) {
				conn_close(c);
				return 0;
			}
		}
	}
	if (revents & EPOLLIN) {
		k = conn_read(c);
		if (k < 0 || conn_over_limit(c) || conn_over_budget(c)) {
			conn_close(c);
			return 0;
		}
	} else if (revents & (EPOLLHUP | EPOLLERR)) {
		/* Not reading (a call is being answered, or EOF was seen): the peer is gone. */
		conn_close(c);
		return 0;
	}
	conn_process(c);
	return 0;
}

/* ---- listening --------------------------------------------------------------------------- */

static int retry_handler(sd_event_source *src, uint64_t usec, void *userdata)
{
	struct vl_listener *l = userdata;

	l->retry = sd_event_source_disable_unref(l->retry);
	return sd_event_source_set_enabled(l->io, SD_EVENT_ON);
}

static int accept_handler(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
	struct vl_server *s = userdata;
	struct vl_listener *l = NULL;

	for (size_t i = 0; i < s->n_listeners; i++)
		if (s->listeners[i].fd == fd)
			l = &s->listeners[i];
	for (unsigned burst = 0; burst < 64; burst++) {
		struct vl_conn *c;
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd < 0) {
			if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
				return 0;
			if ((errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			     errno == ENOMEM) &&
			    l) {
				/* Out of descriptors: pause accepting for a moment, not a busy
				 * loop. */
				sd_event_source_set_enabled(l->io, SD_EVENT_OFF);
				if (!l->retry)
					sd_event_add_time_relative(s->event, &l->retry,
								   CLOCK_MONOTONIC, 100 * 1000, 0,
								   retry_handler, l);
			}
			return 0;
		}
		if (conn_new(s, cfd, false, &c) < 0) {
			close(cfd);
			continue;
		}
		/* A client sends its call right after connecting: answer it now, not a turn of
		 * every other connection later. */
		if (conn_read(c) < 0 || conn_over_limit(c) || conn_over_budget(c))
			conn_close(c);
		else
			conn_process(c);
	}
	return 0;
}

static int add_listener(struct vl_server *s, int fd)
{
	struct vl_listener *n = realloc(s->listeners, (s->n_listeners + 1) * sizeof(*n));
	int k;

	if (!n)
		return -ENOMEM;
	s->listeners = n;
	/* Listeners are all added before the loop runs, so no retry timer points into the array. */
	n = &s->listeners[s->n_listeners];
	*n = (struct vl_listener){ .fd = fd };
	k = sd_event_add_io(s->event, &n->io, fd, EPOLLIN, accept_handler, s);
	if (k < 0)
		return k;
	s->n_listeners++;
	return 0;
}

/* Does a server answer on the socket at path? (No: a stale socket file, which may go.) */
static bool socket_in_use(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0 || strlen(path) >= sizeof(sa.sun_path))
		return true;
	strcpy(sa.sun_path, path);
	return connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == EAGAIN ||
	       errno == EINPROGRESS;
}

int vl_server_listen_unix(struct vl_server *s, const char *path, mode_t mode)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;
	char tmp[sizeof(sa.sun_path)];
	struct stat st;
	mode_t old;
	int k;

	/* Only a stale socket is replaced: not a file, and not a socket a server answers on. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		if (socket_in_use(path))
			return -EADDRINUSE;
	} else if (errno != ENOENT)
		return -errno;
	/* Bound and listening under a temporary name, then renamed: whoever sees the socket can
	 * connect to it. */
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid()) >= sizeof(tmp))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, tmp);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	(void)unlink(tmp);
	old = umask(~mode & 0777);
	k = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (k < 0)
		return -errno;
	if (listen(fd, SOMAXCONN) < 0 || rename(tmp, path) < 0) {
		k = -errno;
		(void)unlink(tmp);
		return k;
	}
	k = lstat(path, &st) < 0 ? -errno : add_listener(s, fd);
	if (k < 0) {
		(void)unlink(path);
		return k;
	}
	s->listeners[s->n_listeners - 1].path = strdup(path);
	s->listeners[s->n_listeners - 1].dev = st.st_dev;
	s->listeners[s->n_listeners - 1].ino = st.st_ino;
	TAKE_FD(fd);
	return 0;
}

int vl_server_add_fd(struct vl_server *s, int fd)
{
	int listening = 0;
	socklen_t len = sizeof(listening);
	struct vl_conn *c;
	int k;

	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0)
		return -errno;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return -errno;
	if (listening)
		return add_listener(s, fd);
	k = conn_new(s, fd, false, &c);
	return k;
}

/* ---- connections fed by hand (fuzzer, tests) --------------------------------------------- */

struct vl_test_conn {
	struct vl_server *s;
	struct vl_conn *c;
};

int vl_test_conn_new(struct vl_server *s, struct vl_test_conn **ret)
{
	struct vl_test_conn *t = calloc(1, sizeof(*t));
	int k;

	if (!t)
		return -ENOMEM;
	k = conn_new(s, -1, true, &t->c);
	if (k < 0) {
		free(t);
		return k;
	}
	t->s = s;
	*ret = t;
	return 0;
}

static bool test_conn_alive(struct vl_test_conn *t)
{
	for (struct vl_conn *c = t->s->conns; c; c = c->next)
		if (c == t->c)
			return true;
	t->c = NULL;
	return false;
}

bool vl_test_conn_feed(struct vl_test_conn *t, const void *data, size_t len)
{
	if (!t->c || !test_conn_alive(t))
		return false;
	if (conn_append(t->c, data, len) < 0 || conn_over_limit(t->c) || conn_over_budget(t->c)) {
		conn_close(t->c);
		t->c = NULL;
		return false;
	}
	conn_process(t->c);
	return test_conn_alive(t);
}

size_t vl_test_conn_output(struct vl_test_conn *t, const char **ret)
{
	if (!t->c || !test_conn_alive(t)) {
		*ret = "";
		return 0;
	}
	*ret = t->c->out ? t->c->out + t->c->out_off : "";
	return t->c->out_len - t->c->out_off;
}

void vl_test_conn_free(struct vl_test_conn *t)
{
	if (!t)
		return;
	if (t->c && test_conn_alive(t))
		conn_close(t->c);
	free(t);
}
