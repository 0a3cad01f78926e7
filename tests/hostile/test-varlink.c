/*
 * Unit tests of the varlink layer (varlink/server.c) and its IDL (varlink/idl.c), held to
 * systemd 257's sd-varlink behaviour.
 *
 * The connection tests run twice: over the in-memory connection (vl_test_conn_*) and over a real
 * socketpair driven by sd-event (vl_server_add_fd), the path the daemon takes.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <systemd/sd-event.h>

#include "varlink/idl.h"
#include "varlink/server.h"

/* ---- the test interface ------------------------------------------------------------------ */

static const char test_idl[] =
	"# A test interface: methods that reply, fail, stream and stay pending.\n"
	"interface org.example.test\n"
	"\n"
	"type Kind (one, two)\n"
	"\n"
	"type Inner (\n"
	"\ta: int,\n"
	"\tb: ?string\n"
	")\n"
	"\n"
	"# Replies with its text.\n"
	"method Echo(text: ?string) -> (text: ?string)\n"
	"\n"
	"# Always fails with Failed.\n"
	"method Fail(code: int) -> ()\n"
	"\n"
	"# With more: n replies, i = 0 .. n-1; without: one reply, i = n. n < 0 fails.\n"
	"# [Supports 'more' flag]\n"
	"method Count(n: int) -> (i: int)\n"
	"\n"
	"# With more: n replies of 64 KiB each, sent as the client reads (a drain callback).\n"
	"# [Supports 'more' flag]\n"
	"method Many(n: int) -> (i: int, pad: string)\n"
	"\n"
	"# Stays open; the test sends the ticks.\n"
	"# [Requires 'more' flag]\n"
	"method Watch() -> (tick: int)\n"
	"\n"
	"# Stays pending until the test answers it.\n"
	"method Hold() -> ()\n"
	"\n"
	"# Declared, but the server has no handler for it.\n"
	"method Declared() -> ()\n"
	"\n"
	"# Fails with -EIO without answering.\n"
	"method Broken() -> ()\n"
	"\n"
	"# Replies with text made beforehand (vl_call_reply_text).\n"
	"method Text() -> (text: string)\n"
	"\n"
	"# Reports the JSON type of the parameters its handler got.\n"
	"method Params(x: ?int) -> (type: string)\n"
	"\n"
	"method Types(\n"
	"\tb: ?bool,\n"
	"\ti: ?int,\n"
	"\tf: ?float,\n"
	"\ts: ?string,\n"
	"\to: ?object,\n"
	"\te: ?Kind,\n"
	"\tst: ?Inner,\n"
	"\tarr: ?[]int,\n"
	"\tmap: ?[string]int\n"
	") -> ()\n"
	"\n"
	"error Failed (code: int)\n";

static struct vl_call *held; /* the call Hold or Watch keeps */
static unsigned gone_calls;

static void on_gone(struct vl_call *call, void *userdata)
{
	gone_calls++;
}

static int m_echo(struct vl_call *call, json_t *params, void *userdata)
{
	json_t *text = json_object_get(params, "text");

	return vl_call_reply(call, text ? json_pack("{s:O}", "text", text) : json_object());
}

static int m_fail(struct vl_call *call, json_t *params, void *userdata)
{
	return vl_call_error(call, "org.example.test.Failed",
			     json_pack("{s:O}", "code", json_object_get(params, "code")));
}

static int m_count(struct vl_call *call, json_t *params, void *userdata)
{
	json_int_t n = json_integer_value(json_object_get(params, "n"));

	if (n < 0)
		return vl_call_error(call, "org.example.test.Failed",
				     json_pack("{s:I}", "code", n));
	if (!vl_call_more(call))
		return vl_call_reply(call, json_pack("{s:I}", "i", n));
	for (json_int_t i = 0; i + 1 < n; i++)
		assert_int_equal(vl_call_notify(call, json_pack("{s:I}", "i", i)), 0);
	return vl_call_reply(call, n > 0 ? json_pack("{s:I}", "i", n - 1) : NULL);
}

/* Many: the next replies while no more than VL_BACKLOG_MAX is unsent, then wait for a drain. */
struct many {
	struct vl_call *call;
	json_int_t i, n;
	size_t most_unsent;
};

static struct many many;

static void many_more(struct vl_call *call, void *userdata)
{
	static char pad[64 * 1024];
	struct many *m = userdata;

	memset(pad, 'p', sizeof(pad) - 1);
	while (m->call && vl_call_unsent(call) <= VL_BACKLOG_MAX) {
		json_t *p = json_pack("{s:I, s:s}", "i", m->i, "pad", pad);
		int k;

		k = ++m->i == m->n ? vl_call_reply(call, p) : vl_call_notify(call, p);
		assert_int_equal(k, 0);
		if (vl_call_unsent(call) > m->most_unsent)
			m->most_unsent = vl_call_unsent(call);
		if (m->i == m->n) {
			vl_call_set_drain_callback(call, NULL, NULL);
			m->call = vl_call_unref(m->call);
		}
	}
}

static int m_many(struct vl_call *call, json_t *params, void *userdata)
{
	many = (struct many){ .call = vl_call_ref(call),
			      .n = json_integer_value(json_object_get(params, "n")) };
	vl_call_set_drain_callback(call, many_more, &many);
	many_more(call, &many);
	return 0;
}

static int m_hold(struct vl_call *call, json_t *params, void *userdata)
{
	assert_null(held);
	held = vl_call_ref(call);
	vl_call_set_gone_callback(call, on_gone, NULL);
	return 0;
}

static int m_text(struct vl_call *call, json_t *params, void *userdata)
{
	return vl_call_reply_text(call, "{\"text\":\"pre\\u00e9\"}");
}

static int m_broken(struct vl_call *call, json_t *params, void *userdata)
{
	return -EIO;
}

static int m_params(struct vl_call *call, json_t *params, void *userdata)
{
	const char *type = !params		    ? "absent"
			   : json_is_null(params)   ? "null"
			   : json_is_object(params) ? "object"
						    : "other";

	return vl_call_reply(call, json_pack("{s:s}", "type", type));
}

static int m_types(struct vl_call *call, json_t *params, void *userdata)
{
	return vl_call_reply(call, NULL);
}

static const struct vl_method test_methods[] = {
	{ "Echo", m_echo }, { "Fail", m_fail },	    { "Count", m_count },   { "Watch", m_hold },
	{ "Hold", m_hold }, { "Broken", m_broken }, { "Params", m_params }, { "Types", m_types },
	{ "Text", m_text }, { "Many", m_many },
};

/* ---- a client connection, in memory or over a socketpair -------------------------------- */

enum mode { MEMORY, SOCKET };

struct peer {
	enum mode mode;
	sd_event *event; /* SOCKET */
	struct vl_server *server;
	struct vl_test_conn *t; /* MEMORY */
	int fd;			/* SOCKET: the client's end */
	bool closed;		/* the server closed the connection */
	bool fed;		/* MEMORY: something was fed (a 0-byte probe needs a buffer) */
	size_t seen;		/* MEMORY: output bytes already taken */
	char *in;		/* received, not yet taken */
	size_t in_len, in_cap;
};

static void in_append(struct peer *p, const char *data, size_t len)
{
	if (p->in_len + len + 1 > p->in_cap) {
		p->in_cap = (p->in_len + len + 1) * 2;
		p->in = realloc(p->in, p->in_cap);
		assert_non_null(p->in);
	}
	memcpy(p->in + p->in_len, data, len);
	p->in_len += len;
}

/* Read what the server wrote; true if anything came. */
static bool drain(struct peer *p)
{
	bool got = false;

	if (p->mode == MEMORY) {
		const char *out;
		size_t n;

		if (!p->t || p->closed || !p->fed)
			return false;
		if (!vl_test_conn_feed(p->t, "", 0)) {
			p->closed = true;
			return false;
		}
		n = vl_test_conn_output(p->t, &out);
		assert_true(n >= p->seen);
		if (n > p->seen) {
			in_append(p, out + p->seen, n - p->seen);
			p->seen = n;
			got = true;
		}
		return got;
	}
	for (;;) {
		char buf[65536];
		ssize_t n;

		if (p->closed)
			return got;
		n = recv(p->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return got;
		if (n <= 0) {
			p->closed = true;
			return got;
		}
		in_append(p, buf, (size_t)n);
		got = true;
	}
}

/* Run the server until it has nothing more to do; with read, also take what it wrote. */
static bool pump_ex(struct peer *p, bool read)
{
	bool any = false;

	if (p->mode == MEMORY)
		return read ? drain(p) : false;
	for (unsigned quiet = 0; quiet < 2;) {
		int r = sd_event_run(p->event, 0);
		bool got;

		assert_true(r >= 0);
		got = read && drain(p);
		any = any || r > 0 || got;
		quiet = r > 0 || got ? 0 : quiet + 1;
	}
	return any;
}

static bool pump(struct peer *p)
{
	return pump_ex(p, true);
}

/* Send bytes as the client; returns how many the server took before it closed or stalled. */
static size_t peer_send_ex(struct peer *p, const void *data, size_t len, bool read)
{
	size_t off = 0;

	if (p->mode == MEMORY) {
		if (p->closed)
			return 0;
		p->fed = p->fed || len > 0;
		if (!vl_test_conn_feed(p->t, data, len))
			p->closed = true;
		drain(p);
		return len;
	}
	while (off < len && !p->closed) {
		ssize_t n = send(p->fd, (const char *)data + off, len - off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			/* Let the server read; stop if it will not. */
			if (!pump_ex(p, read))
				break;
			continue;
		}
		if (n < 0) /* EPIPE, ECONNRESET: the server closed its end; read the rest */
			break;
		off += (size_t)n;
	}
	pump_ex(p, read);
	return off;
}

static void peer_send(struct peer *p, const void *data, size_t len)
{
	peer_send_ex(p, data, len, true);
}

/* One message with its NUL. */
static void peer_call(struct peer *p, const char *json)
{
	peer_send(p, json, strlen(json) + 1);
}

static void peer_init(struct peer *p, struct vl_server *server, sd_event *event, enum mode mode)
{
	*p = (struct peer){ .mode = mode, .server = server, .event = event, .fd = -1 };
	if (mode == MEMORY) {
		assert_int_equal(vl_test_conn_new(server, &p->t), 0);
	} else {
		int sv[2];

		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
		assert_int_equal(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
		assert_int_equal(vl_server_add_fd(server, sv[0]), 0);
		p->fd = sv[1];
	}
}

static void peer_done(struct peer *p)
{
	if (p->mode == MEMORY)
		vl_test_conn_free(p->t);
	else if (p->fd >= 0)
		close(p->fd);
	p->t = NULL;
	p->fd = -1;
	free(p->in);
	p->in = NULL;
	p->in_len = p->in_cap = 0;
}

/* The next complete message, parsed, or NULL. */
static json_t *next_message(struct peer *p)
{
	char *nul = p->in_len ? memchr(p->in, 0, p->in_len) : NULL;
	size_t len;
	json_error_t err;
	json_t *m;

	if (!nul)
		return NULL;
	len = (size_t)(nul - p->in);
	m = json_loadb(p->in, len, 0, &err);
	if (!m)
		fail_msg("reply is not JSON (%s): %.*s", err.text, (int)(len > 200 ? 200 : len),
			 p->in);
	memmove(p->in, nul + 1, p->in_len - len - 1);
	p->in_len -= len + 1;
	return m;
}

static void assert_json_eq(json_t *got, const char *want_text)
{
	json_t *want = json_loads(want_text, JSON_DECODE_ANY, NULL);

	assert_non_null(want);
	if (!json_equal(got, want)) {
		char *g = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);

		fail_msg("got %s, want %s", g ? g : "(null)", want_text);
	}
	json_decref(want);
}

/* The next message is exactly this reply object (keys and values, compact form given). */
static void expect_message(struct peer *p, const char *want)
{
	json_t *m = next_message(p);

	if (!m)
		fail_msg("no reply (connection %s), want %s", p->closed ? "closed" : "open", want);
	assert_json_eq(m, want);
	json_decref(m);
}

static void expect_reply(struct peer *p, const char *params)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "{\"parameters\":%s}", params);
	expect_message(p, buf);
}

static void expect_continues(struct peer *p, const char *params)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "{\"parameters\":%s,\"continues\":true}", params);
	expect_message(p, buf);
}

static void expect_error(struct peer *p, const char *error, const char *params)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "{\"error\":\"%s\",\"parameters\":%s}", error, params);
	expect_message(p, buf);
}

static void expect_invalid_parameter(struct peer *p, const char *name)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "{\"parameter\":\"%s\"}", name);
	expect_error(p, "org.varlink.service.InvalidParameter", buf);
}

static void expect_nothing(struct peer *p)
{
	pump(p);
	if (p->in_len)
		fail_msg("unexpected output: %.*s", (int)(p->in_len > 200 ? 200 : p->in_len),
			 p->in);
}

static void expect_open(struct peer *p)
{
	pump(p);
	if (p->closed)
		fail_msg("the server closed the connection");
}

static void expect_closed_silently(struct peer *p)
{
	pump(p);
	if (p->in_len)
		fail_msg("a reply before closing: %.*s", (int)(p->in_len > 200 ? 200 : p->in_len),
			 p->in);
	if (!p->closed)
		fail_msg("the connection is still open");
}

/* ---- fixtures ---------------------------------------------------------------------------- */

struct fixture {
	sd_event *event;
	struct vl_server *server;
	struct peer peer;
	enum mode mode;
	bool known_bug_recursion; /* MEMORY: the test needs a reply from the test conn */
};

static const enum mode mode_memory = MEMORY, mode_socket = SOCKET;

static struct vl_server *new_server(sd_event *event)
{
	struct vl_server *s;

	assert_int_equal(vl_server_new(event, &s), 0);
	assert_int_equal(
		vl_server_set_info(s, "Example vendor", "example", "1.2.3", "https://example.org/"),
		0);
	assert_int_equal(vl_server_add_interface(s, test_idl, test_methods,
						 sizeof(test_methods) / sizeof(test_methods[0]),
						 NULL),
			 0);
	/* Only test_message_deadline tests the deadline (with its own): a 16 MiB message read
	 * under valgrind on a loaded machine may take longer than the daemon's 10 s. */
	vl_server_set_memory_limits(s, VL_MEMORY_MAX, VL_UID_MEMORY_MAX, 600ULL * 1000 * 1000);
	return s;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->mode = *(const enum mode *)*state;
	if (f->mode == SOCKET && sd_event_new(&f->event) < 0) {
		free(f);
		return -1;
	}
	f->server = new_server(f->event);
	peer_init(&f->peer, f->server, f->event, f->mode);
	held = NULL;
	gone_calls = 0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	peer_done(&f->peer);
	if (f->event)
		while (sd_event_run(f->event, 0) > 0)
			;
	vl_server_free(f->server);
	held = vl_call_unref(held);
	sd_event_unref(f->event);
	free(f);
	return 0;
}

#define F(state) ((struct fixture *)*(state))

/* ---- framing ----------------------------------------------------------------------------- */

static void test_partial_feeds(void **state)
{
	struct fixture *f = F(state);
	const char msg[] =
		"{\"method\":\"org.example.test.Echo\",\"parameters\":{\"text\":\"hi\"}}";

	/* Byte by byte up to the NUL: nothing is answered before it. */
	for (size_t i = 0; i < sizeof(msg) - 1; i++) {
		peer_send(&f->peer, msg + i, 1);
		expect_nothing(&f->peer);
	}
	peer_send(&f->peer, "", 1);
	expect_reply(&f->peer, "{\"text\":\"hi\"}");
	expect_nothing(&f->peer);
	expect_open(&f->peer);
}

static void test_split_in_three(void **state)
{
	struct fixture *f = F(state);
	const char msg[] = "{\"method\":\"org.example.test.Echo\",\"parameters\":{\"text\":\"x\"}}";

	peer_send(&f->peer, msg, 10);
	peer_send(&f->peer, msg + 10, 20);
	expect_nothing(&f->peer);
	peer_send(&f->peer, msg + 30, sizeof(msg) - 30); /* the rest, with the NUL */
	expect_reply(&f->peer, "{\"text\":\"x\"}");
	expect_nothing(&f->peer);
}

static void test_whitespace_around(void **state)
{
	struct fixture *f = F(state);

	peer_call(&f->peer, " \n\t{ \"method\" : \"org.example.test.Echo\" ,\n"
			    " \"parameters\" : { \"text\" : \"w\" } }\r\n ");
	expect_reply(&f->peer, "{\"text\":\"w\"}");
}

static void test_pipelining_order(void **state)
{
	struct fixture *f = F(state);
	static const char three[] =
		"{\"method\":\"org.example.test.Echo\",\"parameters\":{\"text\":\"a\"}}\0"
		"{\"method\":\"org.example.test.Fail\",\"parameters\":{\"code\":7}}\0"
		"{\"method\":\"org.example.test.Echo\",\"parameters\":{\"text\":\"c\"}}";

	peer_send(&f->peer, three, sizeof(three)); /* three messages in one write */
	expect_reply(&f->peer, "{\"text\":\"a\"}");
	expect_error(&f->peer, "org.example.test.Failed", "{\"code\":7}");
	expect_reply(&f->peer, "{\"text\":\"c\"}");
	expect_nothing(&f->peer);
	expect_open(&f->peer);
}

static void test_pending_call_blocks_the_next(void **state)
{
	struct fixture *f = F(state);
	static const char two[] =
		"{\"method\":\"org.example.test.Hold\"}\0"
		"{\"method\":\"org.example.test.Echo\",\"parameters\":{\"text\":\"b\"}}";

	peer_send(&f->peer, two, sizeof(two));
	expect_nothing(&f->peer); /* Echo waits behind Hold */
	assert_non_null(held);
	assert_false(vl_call_answered(held));
	assert_int_equal(vl_call_reply(held, NULL), 0);
	pump(&f->peer);
	expect_reply(&f->peer, "{}");
	expect_reply(&f->peer, "{\"text\":\"b\"}");
	expect_nothing(&f->peer);
}

/* ---- oneway ------------------------------------------------------------------------------ */

/* Nothing at all comes back for oneway calls: not a reply, not an error. */
static void test_oneway_silence(void **state)
{
	struct fixture *f = F(state);
	static const char *const calls[] = {
		"{\"method\":\"org.example.test.Echo\",\"oneway\":true,\"parameters\":{\"text\":"
		"\"x\"}}",
		"{\"method\":\"org.example.test.Nope\",\"oneway\":true}",
		"{\"method\":\"org.example.nope.Foo\",\"oneway\":true}",
		"{\"method\":\"org.example.test.Fail\",\"oneway\":true,\"parameters\":{\"code\":1}"
		"}",
		"{\"method\":\"org.example.test.Echo\",\"oneway\":true,\"parameters\":{\"bad\":1}}",
		"{\"method\":\"org.example.test.Watch\",\"oneway\":true}",
		"{\"method\":\"org.example.test.Declared\",\"oneway\":true}",
		"{\"method\":\"org.example.test.Broken\",\"oneway\":true}",
		"{\"method\":\"org.varlink.service.GetInfo\",\"oneway\":true}",
		"{\"method\":\"org.example.test.Count\",\"oneway\":true,\"more\":false,"
		"\"parameters\":{\"n\":3}}",
	};

	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		peer_call(&f->peer, calls[i]);
		expect_nothing(&f->peer);
		expect_open(&f->peer);
		held = vl_call_unref(held); /* Watch may have kept its call */
	}
}

static void test_oneway_then_call(void **state)
{
	struct fixture *f = F(state);
	static const char two[] =
		"{\"method\":\"org.example.test.Nope\",\"oneway\":true}\0"
		"{\"method\":\"org.example.test.Echo\",\"parameters\":{\"text\":\"mine\"}}";

	peer_send(&f->peer, two, sizeof(two));
	expect_reply(&f->peer, "{\"text\":\"mine\"}");
	expect_nothing(&f->peer);
}

/* ---- more -------------------------------------------------------------------------------- */

static void test_more_continues(void **state)
{
	struct fixture *f = F(state);

	peer_call(&f->peer, "{\"method\":\"org.example.test.Count\",\"more\":true,"
			    "\"parameters\":{\"n\":3}}");
	expect_continues(&f->peer, "{\"i\":0}");
	expect_continues(&f->peer, "{\"i\":1}");
	expect_reply(&f->peer, "{\"i\":2}"); /* final: no "continues" key at all */
	expect_nothing(&f->peer);
	/* Without more, the same method answers once. */
	peer_call(&f->peer, "{\"method\":\"org.example.test.Count\",\"parameters\":{\"n\":3}}");
	expect_reply(&f->peer, "{\"i\":3}");
	expect_nothing(&f->peer);
}

static void test_more_on_plain_method(void **state)
{
	struct fixture *f = F(state);

	peer_call(&f->peer, "{\"method\":\"org.example.test.Echo\",\"more\":true,"
			    "\"parameters\":{\"text\":\"once\"}}");
	expect_reply(&f->peer, "{\"text\":\"once\"}");
	peer_call(&f->peer, "{\"method\":\"org.varlink.service.GetInfo\",\"more\":true}");
	json_t *m = next_message(&f->peer);
	assert_non_null(m);
	assert_null(json_object_get(m, "continues"));
	assert_null(json_object_get(m, "error"));
	json_decref(m);
	expect_nothing(&f->peer);
}

static void test_more_error_is_final(void **state)
{
	struct fixture *f = F(state);

	peer_call(&f->peer, "{\"method\":\"org.example.test.Count\",\"more\":true,"
			    "\"parameters\":{\"n\":-1}}");
	expect_error(&f->peer, "org.example.test.Failed", "{\"code\":-1}");
	peer_call(&f->peer, "{\"method\":\"org.example.test.Nope\",\"more\":true}");
	expect_error(&f->peer, "org.varlink.service.MethodNotFound",
		     "{\"method\":\"org.example.test.Nope\"}");
	peer_call(&f->peer, "{\"method\":\"org.example.test.Count\",\"more\":true,"
			    "\"parameters\":{\"n\":\"x\"}}");
	expect_invalid_parameter(&f->peer, "n");
	expect_nothing(&f->peer);
}

static void test_expected_more(void **state)
{
	struct fixture *f = F(state);

	peer_call(&f->peer, "{\"method\":\"org.example.test.Watch\"}");
	expect_error(&f->peer, "org.varlink.service.ExpectedMore", "{}");
	peer_call(&f->peer, "{\"method\":\"org.example.test.Watch\",\"more\":false}");
	expect_error(&f->peer, "org.varlink.service.ExpectedMore", "{}");
	assert_null(held); /* the handler never ran */
	expect_nothing(&f->peer);
}

/* systemd checks "requires more" before it validates the parameters
 * (varlink_idl_validate_method_call). */
static void test_expected_more_before_parameters(void **state)
{
	struct fixture *f = F(state);

	peer_call(&f->peer, "{\"method\":\"org.example.test.Watch\",\"parameters\":{\"bogus\":1}}");
	expect_error(&f->peer, "org.varlink.service.ExpectedMore", "{}");
}

static void test_stream_by_notify(void **state)
{
	struct fixture *f = F(state);

	peer_call(&f->peer, "{\"method\":\"org.example.test.Watch\",\"more\":true}");
	expect_nothing(&f->peer);
	assert_non_null(held);
	assert_true(vl_call_more(held));
	assert_false(vl_call_oneway(held));
	assert_string_equal(vl_call_method(held), "org.example.test.Watch");
	assert_int_equal(vl_call_notify(held, json_pack("{s:i}", "tick", 1)), 0);
	assert_int_equal(vl_call_notify(held, json_pack("{s:i}", "tick", 2)), 0);
	pump(&f->peer);
	expect_continues(&f->peer, "{\"tick\":1}");
	expect_continues(&f->peer, "{\"tick\":2}");
	expect_nothing(&f->peer);
	/* A call behind the stream waits for its end. */
	peer_call(&f->peer,
		  "{\"method\":\"org.example.test.Echo\",\"parameters\":{\"text\":\"n\"}}");
	expect_nothing(&f->peer);
	assert_int_equal(vl_call_reply(held, json_pack("{s:i}", "tick", 3)), 0);
	assert_true(vl_call_answered(held));
	pump(&f->peer);
	expect_reply(&f->peer, "{\"tick\":3}");
	expect_reply(&f->peer, "{\"text\":\"n\"}");
	/* Nothing more may be sent on an answered call. */
	assert_true(vl_call_notify(held, json_pack("{s:i}", "tick", 4)) < 0);
	assert_true(vl_call_reply(held, NULL) < 0);
	assert_true(vl_call_error(held, "org.example.test.Failed", json_pack("{s:i}", "code", 1)) <
		    0);
	expect_nothing(&f->peer);
}

/*
 * An error the interfaces do not declare, or with parameters its declaration does not have, is
 * refused and nothing is sent (UAPI.20: an error is "interface.ErrorName" declared with
 * "error"); the call can still be answered.
 */
static void test_undeclared_error(void **state)
{
	struct fixture *f = F(state);
	static const char *const names[] = {
		"org.example.test.Nope",      /* not declared */
		"org.example.test.Echo",      /* a method */
		"org.example.test.Kind",      /* a type */
		"org.example.nope.Failed",    /* no such interface */
		"org.varlink.service.Failed", /* another interface's error */
		"io.systemd.Nope",	      /* io.systemd has only System */
		"Failed",
		"",
	};

	peer_call(&f->peer, "{\"method\":\"org.example.test.Hold\"}");
	assert_non_null(held);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_int_equal(vl_call_error(held, names[i], json_pack("{s:i}", "code", 1)),
				 -EINVAL);
	/* Declared, with the wrong parameters: missing, mistyped, unknown. */
	assert_int_equal(vl_call_error(held, "org.example.test.Failed", NULL), -EINVAL);
	assert_int_equal(
		vl_call_error(held, "org.example.test.Failed", json_pack("{s:b}", "code", 1)),
		-EINVAL);
	assert_int_equal(vl_call_error(held, "org.example.test.Failed",
				       json_pack("{s:i, s:i}", "code", 1, "other", 2)),
			 -EINVAL);
	assert_int_equal(vl_call_error(held, "org.varlink.service.ExpectedMore",
				       json_pack("{s:i}", "code", 1)),
			 -EINVAL);
	expect_nothing(&f->peer);
	assert_false(vl_call_answered(held));
	assert_int_equal(vl_call_error(held, "io.systemd.System", json_pack("{s:i}", "errno", 5)),
			 0);
	pump(&f->peer);
	expect_error(&f->peer, "io.systemd.System", "{\"errno\":5}");
	expect_nothing(&f->peer);
	/* The reply-too-large error must be declared too (with limit and size). */
	assert_int_equal(vl_server_set_reply_too_large_error(f->server, "org.example.test.Nope"),
			 -EINVAL);
	assert_int_equal(vl_server_set_reply_too_large_error(f->server, "org.example.test.Failed"),
			 -EINVAL);
}

/*
 * 64 replies of 64 KiB (4 MiB: sixteen times VL_BACKLOG_MAX) sent as the client reads, through
 * the drain callback: all arrive, in order, the last final, and the server never holds much more
 * than VL_BACKLOG_MAX unsent for it. (The daemon's ListGroups case in daemon-hostile.py sends
 * 20 MiB, over the 16 MiB a client may leave unread.) Over a socket only: a memory connection
 * takes everything at once (nothing is ever "sent"), and so has nothing to drain.
 */
static void test_stream_by_drain(void **state)
{
	struct fixture *f = F(state);
	struct peer *p = &f->peer;
	json_int_t want = 0;
	bool last = false;

	peer_call(p,
		  "{\"method\":\"org.example.test.Many\",\"parameters\":{\"n\":64},\"more\":true}");
	while (!last) {
		size_t used = 0;
		char *nul;

		/* Every message read so far, then the buffer shifted once (not once a message). */
		while (!last && (nul = memchr(p->in + used, 0, p->in_len - used))) {
			json_t *m = json_loadb(p->in + used, (size_t)(nul - p->in) - used, 0, NULL);

			assert_non_null(m);
			assert_int_equal(json_integer_value(json_object_get(
						 json_object_get(m, "parameters"), "i")),
					 want++);
			last = !json_is_true(json_object_get(m, "continues"));
			json_decref(m);
			used = (size_t)(nul - p->in) + 1;
		}
		memmove(p->in, p->in + used, p->in_len - used);
		p->in_len -= used;
		if (!last) {
			assert_false(p->closed);
			if (!pump(p))
				fail_msg("the stream stopped after %lld replies", (long long)want);
		}
	}
	assert_int_equal(want, 64);
	assert_null(many.call);
	if (many.most_unsent > VL_BACKLOG_MAX + 80 * 1024)
		fail_msg("%zu KiB unsent at once", many.most_unsent >> 10);
}

static void test_notify_needs_more(void **state)
{
	struct fixture *f = F(state);

	peer_call(&f->peer, "{\"method\":\"org.example.test.Hold\"}");
	assert_non_null(held);
	assert_false(vl_call_more(held));
	assert_int_equal(vl_call_notify(held, json_pack("{s:i}", "tick", 1)), -EINVAL);
	expect_nothing(&f->peer);
	assert_int_equal(
		vl_call_error(held, "org.example.test.Failed", json_pack("{s:i}", "code", 3)), 0);
	pump(&f->peer);
	expect_error(&f->peer, "org.example.test.Failed", "{\"code\":3}");
	expect_nothing(&f->peer);
}

/* The client hangs up during a stream: the owner hears of it, later sends fail harmlessly. */
static void test_stream_peer_gone(void **state)
{
	struct fixture *f = F(state);

	peer_call(&f->peer, "{\"method\":\"org.example.test.Watch\",\"more\":true}");
	assert_non_null(held);
	assert_int_equal(vl_server_connections(f->server), 1);
	assert_int_equal(gone_calls, 0);
	peer_done(&f->peer); /* hang up */
	if (f->event)
		while (sd_event_run(f->event, 0) > 0)
			;
	assert_int_equal(gone_calls, 1);
	assert_int_equal(vl_server_connections(f->server), 0);
	assert_true(vl_call_notify(held, json_pack("{s:i}", "tick", 1)) < 0);
	assert_true(vl_call_reply(held, NULL) < 0);
	assert_int_equal(gone_calls, 1);
}

/* ---- errors ------------------------------------------------------------------------------ */

static void test_invalid_parameter_names(void **state)
{
	struct fixture *f = F(state);
	static const struct {
		const char *call, *name;
	} cases[] = {
		{ "{\"method\":\"org.example.test.Echo\",\"parameters\":{\"text\":1}}", "text" },
		{ "{\"method\":\"org.example.test.Echo\",\"parameters\":{\"bogus\":1}}", "bogus" },
		{ "{\"method\":\"org.example.test.Fail\"}", "code" },
		{ "{\"method\":\"org.example.test.Fail\",\"parameters\":{}}", "code" },
		{ "{\"method\":\"org.example.test.Fail\",\"parameters\":null}", "code" },
		{ "{\"method\":\"org.example.test.Fail\",\"parameters\":{\"code\":null}}", "code" },
		{ "{\"method\":\"org.example.test.Fail\",\"parameters\":{\"code\":1.5}}", "code" },
		{ "{\"method\":\"org.example.test.Fail\",\"parameters\":{\"code\":true}}", "code" },
		/* Declared fields first, in order; then unknown ones. */
		{ "{\"method\":\"org.example.test.Fail\",\"parameters\":{\"zzz\":1}}", "code" },
		{ "{\"method\":\"org.example.test.Fail\",\"parameters\":{\"code\":1,\"zzz\":1}}",
		  "zzz" },
		/* Nested trouble is reported by its top-level field. */
		{ "{\"method\":\"org.example.test.Types\",\"parameters\":{\"st\":{\"a\":\"x\"}}}",
		  "st" },
		{ "{\"method\":\"org.example.test.Types\",\"parameters\":{\"st\":{\"b\":\"x\"}}}",
		  "st" },
		{ "{\"method\":\"org.example.test.Types\",\"parameters\":{\"st\":{\"a\":1,\"c\":2}}"
		  "}",
		  "st" },
		{ "{\"method\":\"org.example.test.Types\",\"parameters\":{\"arr\":[1,\"2\",true]}}",
		  "arr" },
		{ "{\"method\":\"org.example.test.Types\",\"parameters\":{\"map\":{\"a\":[]}}}",
		  "map" },
		{ "{\"method\":\"org.example.test.Types\",\"parameters\":{\"e\":\"three\"}}", "e" },
		{ "{\"method\":\"org.varlink.service.GetInfo\",\"parameters\":{\"x\":1}}", "x" },
		{ "{\"method\":\"org.varlink.service.GetInterfaceDescription\"}", "interface" },
		{ "{\"method\":\"org.varlink.service.GetInterfaceDescription\","
		  "\"parameters\":{\"interface\":7}}",
		  "interface" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		peer_call(&f->peer, cases[i].call);
		expect_invalid_parameter(&f->peer, cases[i].name);
	}
	expect_nothing(&f->peer);
	expect_open(&f->peer);
}

static void test_method_not_found(void **state)
{
	struct fixture *f = F(state);
	static const char *const names[] = {
		"org.example.test.Nope",   /* unknown member of a known interface */
		"org.example.nope.Foo",	   /* unknown interface: systemd says MethodNotFound too */
		"org.example.test.Failed", /* an error, not a method */
		"org.example.test.Kind",   /* a type */
		"org.example.test.",	    "org.example.test", "NoDots", "",
		"org.varlink.service.Nope",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char call[256], params[256];

		snprintf(call, sizeof(call), "{\"method\":\"%s\"}", names[i]);
		snprintf(params, sizeof(params), "{\"method\":\"%s\"}", names[i]);
		peer_call(&f->peer, call);
		expect_error(&f->peer, "org.varlink.service.MethodNotFound", params);
	}
	expect_nothing(&f->peer);
}

static void test_method_not_implemented(void **state)
{
	struct fixture *f = F(state);

	peer_call(&f->peer, "{\"method\":\"org.example.test.Declared\"}");
	expect_error(&f->peer, "org.varlink.service.MethodNotImplemented",
		     "{\"method\":\"org.example.test.Declared\"}");
}

static void test_handler_errno(void **state)
{
	struct fixture *f = F(state);

	peer_call(&f->peer, "{\"method\":\"org.example.test.Broken\"}");
	expect_error(&f->peer, "io.systemd.System", "{\"errno\":5}");
}

static void test_service_interface(void **state)
{
	struct fixture *f = F(state);
	json_t *m;

	peer_call(&f->peer, "{\"method\":\"org.varlink.service.GetInfo\"}");
	expect_reply(&f->peer, "{\"vendor\":\"Example vendor\",\"product\":\"example\","
			       "\"version\":\"1.2.3\",\"url\":\"https://example.org/\","
			       "\"interfaces\":[\"org.example.test\",\"org.varlink.service\"]}");
	peer_call(&f->peer, "{\"method\":\"org.varlink.service.GetInterfaceDescription\","
			    "\"parameters\":{\"interface\":\"org.example.test\"}}");
	m = next_message(&f->peer);
	assert_non_null(m);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(m, "parameters"), "description")),
		test_idl);
	json_decref(m);
	peer_call(&f->peer, "{\"method\":\"org.varlink.service.GetInterfaceDescription\","
			    "\"parameters\":{\"interface\":\"org.varlink.service\"}}");
	m = next_message(&f->peer);
	assert_non_null(m);
	const char *d =
		json_string_value(json_object_get(json_object_get(m, "parameters"), "description"));
	assert_non_null(d);
	assert_non_null(strstr(d, "interface org.varlink.service\n"));
	assert_non_null(strstr(d, "error ExpectedMore ()"));
	json_decref(m);
	peer_call(&f->peer, "{\"method\":\"org.varlink.service.GetInterfaceDescription\","
			    "\"parameters\":{\"interface\":\"org.example.nope\"}}");
	expect_error(&f->peer, "org.varlink.service.InterfaceNotFound",
		     "{\"interface\":\"org.example.nope\"}");
	expect_nothing(&f->peer);
}

/* Absent, null and {} parameters are one thing, to the client and to the handler. */
static void test_reply_text(void **state)
{
	struct fixture *f = F(state);

	peer_call(&f->peer, "{\"method\":\"org.example.test.Text\"}");
	expect_reply(&f->peer, "{\"text\":\"pre\u00e9\"}");
	peer_call(&f->peer, "{\"method\":\"org.example.test.Text\",\"more\":true}");
	expect_reply(&f->peer, "{\"text\":\"pre\u00e9\"}");
	peer_call(&f->peer, "{\"method\":\"org.example.test.Text\",\"oneway\":true}");
	expect_nothing(&f->peer);
	peer_call(&f->peer, "{\"method\":\"org.example.test.Text\",\"parameters\":{\"x\":1}}");
	expect_invalid_parameter(&f->peer, "x");
	/* A held call answered with text; then nothing more may follow. */
	peer_call(&f->peer, "{\"method\":\"org.example.test.Hold\"}");
	assert_non_null(held);
	assert_int_equal(vl_call_reply_text(held, "{}"), 0);
	assert_true(vl_call_reply_text(held, "{}") < 0);
	pump(&f->peer);
	expect_reply(&f->peer, "{}");
	expect_nothing(&f->peer);
}

/* GetInfo's answer is made once: it must follow vl_server_set_info() and new interfaces. */
static void test_get_info_follows_changes(void **state)
{
	struct fixture *f = F(state);

	peer_call(&f->peer, "{\"method\":\"org.varlink.service.GetInfo\"}");
	expect_reply(&f->peer, "{\"vendor\":\"Example vendor\",\"product\":\"example\","
			       "\"version\":\"1.2.3\",\"url\":\"https://example.org/\","
			       "\"interfaces\":[\"org.example.test\",\"org.varlink.service\"]}");
	assert_int_equal(vl_server_set_info(f->server, "V2", "p2", "2", "u2"), 0);
	assert_int_equal(vl_server_add_interface(f->server, "interface a.b\nmethod F() -> ()\n",
						 NULL, 0, NULL),
			 0);
	peer_call(&f->peer, "{\"method\":\"org.varlink.service.GetInfo\"}");
	expect_reply(&f->peer, "{\"vendor\":\"V2\",\"product\":\"p2\",\"version\":\"2\","
			       "\"url\":\"u2\",\"interfaces\":[\"a.b\",\"org.example.test\","
			       "\"org.varlink.service\"]}");
	/* Declared there, implemented nowhere. */
	peer_call(&f->peer, "{\"method\":\"a.b.F\"}");
	expect_error(&f->peer, "org.varlink.service.MethodNotImplemented",
		     "{\"method\":\"a.b.F\"}");
}

static void test_parameters_null_absent_empty(void **state)
{
	struct fixture *f = F(state);

	peer_call(&f->peer, "{\"method\":\"org.example.test.Echo\"}");
	expect_reply(&f->peer, "{}");
	peer_call(&f->peer, "{\"method\":\"org.example.test.Echo\",\"parameters\":null}");
	expect_reply(&f->peer, "{}");
	peer_call(&f->peer, "{\"method\":\"org.example.test.Echo\",\"parameters\":{}}");
	expect_reply(&f->peer, "{}");
	peer_call(&f->peer, "{\"parameters\":null,\"method\":\"org.example.test.Echo\"}");
	expect_reply(&f->peer, "{}");
	peer_call(&f->peer, "{\"method\":\"org.varlink.service.GetInfo\",\"parameters\":null}");
	json_t *m = next_message(&f->peer);
	assert_non_null(m);
	assert_null(json_object_get(m, "error"));
	json_decref(m);
	expect_nothing(&f->peer);
}

static void test_handler_sees_an_object(void **state)
{
	struct fixture *f = F(state);

	peer_call(&f->peer, "{\"method\":\"org.example.test.Params\",\"parameters\":{}}");
	expect_reply(&f->peer, "{\"type\":\"object\"}");
	peer_call(&f->peer, "{\"method\":\"org.example.test.Params\"}");
	expect_reply(&f->peer, "{\"type\":\"object\"}");
	peer_call(&f->peer, "{\"method\":\"org.example.test.Params\",\"parameters\":null}");
	expect_reply(&f->peer, "{\"type\":\"object\"}");
}

/* int takes uint64 values too: systemd accepts integer, unsigned or string. */
static void test_int_uint64(void **state)
{
	struct fixture *f = F(state);

	peer_call(&f->peer, "{\"method\":\"org.example.test.Types\","
			    "\"parameters\":{\"i\":9223372036854775807}}");
	expect_reply(&f->peer, "{}");
	peer_call(&f->peer, "{\"method\":\"org.example.test.Types\","
			    "\"parameters\":{\"i\":-9223372036854775808}}");
	expect_reply(&f->peer, "{}");
	peer_call(&f->peer, "{\"method\":\"org.example.test.Types\","
			    "\"parameters\":{\"i\":\"18446744073709551615\"}}");
	expect_reply(&f->peer, "{}");
	peer_call(&f->peer, "{\"method\":\"org.example.test.Types\","
			    "\"parameters\":{\"i\":18446744073709551615}}");
	expect_reply(&f->peer, "{}");
	expect_open(&f->peer);
}

/* ---- malformed input: the connection closes without a reply ----------------------------- */

static const char *const malformed[] = {
	"garbage",
	"{",
	"{\"method\":",
	"[]",
	"\"x\"",
	"1",
	"null",
	"",
	" ",
	"{}",
	"{\"method\":1}",
	"{\"method\":null}",
	"{\"method\":\"org.example.test.Echo\",\"method\":\"org.example.test.Echo\"}",
	"{\"method\":\"org.example.test.Echo\",\"parameters\":\"s\"}",
	"{\"method\":\"org.example.test.Echo\",\"parameters\":[]}",
	"{\"method\":\"org.example.test.Echo\",\"parameters\":1}",
	"{\"method\":\"org.example.test.Echo\",\"parameters\":{},\"parameters\":{}}",
	"{\"method\":\"org.example.test.Echo\",\"more\":1}",
	"{\"method\":\"org.example.test.Echo\",\"more\":\"true\"}",
	"{\"method\":\"org.example.test.Echo\",\"oneway\":null}",
	"{\"method\":\"org.example.test.Echo\",\"more\":true,\"oneway\":true}",
	"{\"method\":\"org.example.test.Echo\",\"more\":true,\"more\":true}",
	"{\"method\":\"org.example.test.Echo\",\"upgrade\":true}",
	"{\"method\":\"org.example.test.Echo\",\"upgrade\":false}",
	"{\"method\":\"org.example.test.Echo\",\"foo\":1}",
	"{\"method\":\"org.example.test.Echo\",\"org.example.ext\":{}}",
	"{\"method\":\"org.example.test.Echo\"} x",
	"{\"method\":\"org.example.test.Echo\"}{\"method\":\"org.example.test.Echo\"}",
	"{\"method\":\"org.example.test.Echo\",\"parameters\":{\"text\":\"a\\u0000b\"}}",
	"{\"method\":\"org.example.test.Echo\",\"parameters\":{\"text\":\"\xff\xfe\"}}",
	"{\"method\":\"org.example.test.Echo\",\"parameters\":{\"text\":\"\xc0\x80\"}}",
	"{\"method\":\"org.example.test.Echo\",\"parameters\":{\"text\":NaN}}",
	"{'method':'org.example.test.Echo'}",
};

static void test_malformed_closes(void **state)
{
	struct fixture *f = F(state);

	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		struct peer p;

		peer_init(&p, f->server, f->event, f->mode);
		peer_call(&p, malformed[i]);
		if (p.in_len || !p.closed)
			print_message("malformed message %zu: %s\n", i, malformed[i]);
		expect_closed_silently(&p);
		peer_done(&p);
	}
	/* 5000 levels deep: past the parser's depth limit (systemd: 2048). */
	{
		struct peer p;
		char *deep = malloc(10001);

		assert_non_null(deep);
		memset(deep, '[', 5000);
		memset(deep + 5000, ']', 5000);
		deep[10000] = 0;
		peer_init(&p, f->server, f->event, f->mode);
		peer_call(&p, deep);
		expect_closed_silently(&p);
		peer_done(&p);
		free(deep);
	}
	/* The fixture's connection is the only one left. */
	expect_open(&f->peer);
	assert_int_equal(vl_server_connections(f->server), 1);
}

/* Bytes after a bad message are not looked at: the valid call behind it gets nothing. */
static void test_malformed_then_valid(void **state)
{
	struct fixture *f = F(state);
	static const char two[] = "{\"method\":1}\0{\"method\":\"org.example.test.Echo\"}";

	peer_send(&f->peer, two, sizeof(two));
	expect_closed_silently(&f->peer);
}

static void test_valid_then_garbage(void **state)
{
	struct fixture *f = F(state);

	peer_call(&f->peer,
		  "{\"method\":\"org.example.test.Echo\",\"parameters\":{\"text\":\"1\"}}");
	expect_reply(&f->peer, "{\"text\":\"1\"}");
	peer_call(&f->peer, "garbage");
	expect_closed_silently(&f->peer);
}

/* In one write (socket only: the in-memory connection drops its output when it closes). */
static void test_valid_then_garbage_one_write(void **state)
{
	struct fixture *f = F(state);
	static const char two[] =
		"{\"method\":\"org.example.test.Echo\",\"parameters\":{\"text\":\"1\"}}\0garbage";

	peer_send(&f->peer, two, sizeof(two));
	expect_reply(&f->peer, "{\"text\":\"1\"}");
	expect_closed_silently(&f->peer);
}

/* ---- limits ------------------------------------------------------------------------------ */

static char *filled(size_t len, char c)
{
	char *b = malloc(len);

	assert_non_null(b);
	memset(b, c, len);
	return b;
}

/* 16 MiB without a NUL ends the connection, silently. */
static void test_input_limit(void **state)
{
	struct fixture *f = F(state);
	size_t len = VL_BUFFER_MAX + 1024;
	char *b = filled(len, ' ');
	size_t sent;

	memcpy(b, "{\"method\":\"org.example.test.Echo\",\"parameters\":{\"text\":\"", 56);
	sent = peer_send_ex(&f->peer, b, len, true);
	expect_closed_silently(&f->peer);
	assert_true(sent <= len);
	assert_int_equal(vl_server_connections(f->server), 0);
	free(b);
}

/* The limit is on one message, not the connection: 20 messages of 1 MiB are fine. */
static void test_input_limit_is_per_message(void **state)
{
	struct fixture *f = F(state);
	const size_t big = 1024 * 1024;
	const char head[] =
		"{\"method\":\"org.example.test.Echo\",\"oneway\":true,\"parameters\":{\"text\":\"";
	char *b = filled(big, 'a');

	memcpy(b, head, sizeof(head) - 1);
	memcpy(b + big - 4, "\"}}", 4); /* with its NUL */
	for (int i = 0; i < 20; i++) {
		peer_send(&f->peer, b, big);
		expect_open(&f->peer);
	}
	expect_nothing(&f->peer);
	free(b);
}

/* A message just below the limit is still read. */
static void test_input_below_limit(void **state)
{
	struct fixture *f = F(state);
	const size_t big = VL_BUFFER_MAX - 64 * 1024;
	const char head[] =
		"{\"method\":\"org.example.test.Echo\",\"oneway\":true,\"parameters\":{\"text\":\"";
	char *b = filled(big, 'a');

	memcpy(b, head, sizeof(head) - 1);
	memcpy(b + big - 4, "\"}}", 4);
	peer_send(&f->peer, b, big);
	expect_open(&f->peer);
	expect_nothing(&f->peer);
	free(b);
}

/*
 * While a call is pending the server must not buffer the client's input without bound: systemd
 * stops reading (varlink_read() returns early while a method is pending). Socket only.
 */
static void test_input_bounded_while_pending(void **state)
{
	struct fixture *f = F(state);
	static const char one[] = "{\"method\":\"org.example.test.Echo\",\"oneway\":true}";
	const size_t chunk = 1024 * 1024, total = 3 * (size_t)VL_BUFFER_MAX;
	size_t off = 0, taken = 0;
	char *b;

	b = malloc(chunk);
	assert_non_null(b);
	while (off + sizeof(one) <= chunk) {
		memcpy(b + off, one, sizeof(one));
		off += sizeof(one);
	}
	memset(b + off, ' ', chunk - off);
	peer_call(&f->peer, "{\"method\":\"org.example.test.Watch\",\"more\":true}");
	assert_non_null(held);
	while (taken < total && !f->peer.closed) {
		size_t n = peer_send_ex(&f->peer, b, chunk, true);

		taken += n;
		if (n < chunk)
			break; /* the server stopped reading */
	}
	free(b);
	if (!f->peer.closed && taken > VL_BUFFER_MAX + 2 * chunk)
		fail_msg("the server took %zu MiB behind a pending call", taken >> 20);
}

/*
 * A client that never reads: once VL_BACKLOG_MAX of replies wait for it, the server stops reading
 * its calls (back-pressure) and holds no more than that, one reply and one read; when the client
 * reads, every call it sent is answered. (Before the budget it was dropped at 16 MiB queued, and
 * 64 such clients held 1 GiB.) Socket only.
 */
static void test_output_backlog(void **state)
{
	struct fixture *f = F(state);
	const size_t big = 512 * 1024;
	const char head[] = "{\"method\":\"org.example.test.Echo\",\"parameters\":{\"text\":\"";
	char *b = filled(big, 'a');
	size_t taken = 0, n = 0, k;
	json_t *m;

	memcpy(b, head, sizeof(head) - 1);
	memcpy(b + big - 4, "\"}}", 4);
	/* 64 calls whose replies are 512 KiB each: 32 MiB. Do not read any. */
	for (int i = 0; i < 64 && !f->peer.closed; i++) {
		taken += k = peer_send_ex(&f->peer, b, big, false);
		if (k < big)
			break;
	}
	free(b);
	pump_ex(&f->peer, false);
	assert_false(f->peer.closed);
	if (taken >= 64 * big)
		fail_msg("the server took all %zu MiB without the client reading", taken >> 20);
	if (vl_server_memory(f->server) > VL_BACKLOG_MAX + 4 * big)
		fail_msg("the server holds %zu KiB for a client that does not read",
			 vl_server_memory(f->server) >> 10);
	/* Now read: a reply for each call the client got to send whole. */
	while (pump(&f->peer) || (m = next_message(&f->peer))) {
		while ((m = next_message(&f->peer))) {
			json_decref(m);
			n++;
		}
	}
	assert_false(f->peer.closed);
	assert_int_equal(n, taken / big);
}

/*
 * Over the server's memory budget, the connection holding the most is closed first; the others
 * go on. Memory connections carry no UID: only the server's budget applies.
 */
static void test_memory_budget_sheds_largest(void **state)
{
	struct fixture *f = F(state);
	static const char head[] =
		"{\"method\":\"org.example.test.Echo\",\"parameters\":{\"text\":\"";
	const size_t mib = 1024 * 1024;
	struct peer small;
	char *b = filled(3 * mib, 'a');
	json_t *m;

	vl_server_set_memory_limits(f->server, 5 * mib, 5 * mib, VL_MESSAGE_USEC);
	peer_init(&small, f->server, f->event, f->mode);
	memcpy(b, head, sizeof(head) - 1);
	peer_send(&f->peer, b, 3 * mib); /* 3 MiB of a message (a 4 MiB buffer) */
	peer_send(&small, head, sizeof(head) - 1);
	peer_send(&small, b + sizeof(head) - 1, mib - 1024); /* a 1 MiB buffer: 5 MiB, not over */
	expect_open(&f->peer);
	expect_open(&small);
	/* 100 KiB more (a 2 MiB buffer): over 5 MiB, and the largest goes. */
	peer_send(&small, b + sizeof(head) - 1, 100 * 1024);
	expect_closed_silently(&f->peer);
	expect_open(&small);
	peer_send(&small, "\"}}", 4);
	pump(&small);
	m = next_message(&small);
	assert_non_null(m);
	assert_int_equal(
		strlen(json_string_value(json_object_get(json_object_get(m, "parameters"), "text"))
			       ?: ""),
		mib - 1024 + 100 * 1024);
	json_decref(m);
	if (f->mode == SOCKET) /* answered and sent: nothing is held (a memory peer keeps output) */
		assert_true(vl_server_memory(f->server) < mib);
	free(b);
	peer_done(&small);
}

/* A message must be finished within the deadline from its first byte. Socket only. */
static void test_message_deadline(void **state)
{
	struct fixture *f = F(state);
	static const char msg[] =
		"{\"method\":\"org.example.test.Echo\",\"parameters\":{\"text\":\"x\"}}";
	struct peer slow;
	uint64_t start, now;

	vl_server_set_memory_limits(f->server, VL_MEMORY_MAX, VL_UID_MEMORY_MAX, 200 * 1000);
	peer_init(&slow, f->server, f->event, f->mode);
	/* A message finished in time is answered, with a pause in the middle. */
	peer_send(&f->peer, msg, 10);
	usleep(100 * 1000);
	peer_send(&f->peer, msg + 10, sizeof(msg) - 10);
	expect_reply(&f->peer, "{\"text\":\"x\"}");
	/* One never finished is closed when its time is up, silently. */
	peer_send(&slow, msg, 10);
	assert_int_equal(sd_event_now(f->event, CLOCK_MONOTONIC, &start), 0);
	do {
		assert_true(sd_event_run(f->event, 50 * 1000) >= 0);
		pump(&slow);
		assert_int_equal(sd_event_now(f->event, CLOCK_MONOTONIC, &now), 0);
	} while (!slow.closed && now - start < 2 * 1000 * 1000);
	expect_closed_silently(&slow);
	assert_true(now - start >= 150 * 1000);
	expect_open(&f->peer);
	peer_done(&slow);
}

/* At most VL_VALUES_MAX JSON values in a message: more closes it, silently, before jansson. */
static void test_values_limit(void **state)
{
	struct fixture *f = F(state);
	static const char head[] = "{\"method\":\"org.example.test.Echo\",\"parameters\":{"
				   "\"text\":\"x\",\"pad\":[";
	size_t n_ok = VL_VALUES_MAX - 16, n_bad = VL_VALUES_MAX + 1;
	size_t len = sizeof(head) - 1 + 2 * n_bad + 4;
	char *b = malloc(len);
	size_t off;

	assert_non_null(b);
	/* Under the limit: parsed, and refused for its unknown parameter. */
	memcpy(b, head, sizeof(head) - 1);
	off = sizeof(head) - 1;
	for (size_t i = 0; i < n_ok; i++) {
		memcpy(b + off, "0,", 2);
		off += 2;
	}
	memcpy(b + off - 1, "]}}", 4);
	peer_send(&f->peer, b, off + 3);
	expect_invalid_parameter(&f->peer, "pad");
	/* Over it: closed without a reply. */
	off = sizeof(head) - 1;
	for (size_t i = 0; i < n_bad; i++) {
		memcpy(b + off, "0,", 2);
		off += 2;
	}
	memcpy(b + off - 1, "]}}", 4);
	peer_send(&f->peer, b, off + 3);
	expect_closed_silently(&f->peer);
	free(b);
}

static void test_connection_limits(void **state)
{
	struct fixture *f = F(state);
	struct peer p[3];

	/* The fixture has one connection; allow two (per UID: two too). */
	vl_server_set_limits(f->server, 2, 2);
	peer_init(&p[0], f->server, f->event, f->mode);
	assert_int_equal(vl_server_connections(f->server), 2);
	if (f->mode == MEMORY) {
		struct vl_test_conn *t = NULL;

		assert_true(vl_test_conn_new(f->server, &t) < 0);
		assert_null(t);
	} else {
		int sv[2];

		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
		assert_true(vl_server_add_fd(f->server, sv[0]) < 0);
		close(sv[0]);
		close(sv[1]);
		/* Per UID: a third is refused even under a higher total. */
		vl_server_set_limits(f->server, 10, 2);
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
		assert_true(vl_server_add_fd(f->server, sv[0]) < 0);
		close(sv[0]);
		close(sv[1]);
	}
	assert_int_equal(vl_server_connections(f->server), 2);
	peer_done(&p[0]);
	pump(&f->peer);
	assert_int_equal(vl_server_connections(f->server), 1);
	peer_init(&p[1], f->server, f->event, f->mode);
	assert_int_equal(vl_server_connections(f->server), 2);
	peer_done(&p[1]);
	pump(&f->peer);
}

static unsigned idle_calls;

static void on_idle(struct vl_server *s, void *userdata)
{
	idle_calls++;
}

static void test_idle_callback(void **state)
{
	struct fixture *f = F(state);

	idle_calls = 0;
	vl_server_set_idle_callback(f->server, on_idle, NULL);
	peer_call(&f->peer, "garbage");
	assert_true(f->peer.closed);
	if (f->event)
		while (sd_event_run(f->event, 0) > 0)
			;
	assert_int_equal(idle_calls, 1);
	assert_int_equal(vl_server_connections(f->server), 0);
}

/* ---- server setup ------------------------------------------------------------------------ */

static void test_add_interface_checks(void **state)
{
	struct vl_server *s;
	static const struct vl_method undeclared[] = { { "Nope", m_echo } };

	assert_int_equal(vl_server_new(NULL, &s), 0);
	assert_true(vl_server_add_interface(s, "interface bad\nmethod F() -> ()\n", NULL, 0, NULL) <
		    0);
	assert_true(vl_server_add_interface(s, "not an interface", NULL, 0, NULL) < 0);
	assert_int_equal(vl_server_add_interface(s, test_idl, undeclared, 1, NULL), -EINVAL);
	assert_int_equal(vl_server_add_interface(s, test_idl, test_methods, 2, NULL), 0);
	vl_server_free(s);
}

/* ---- the IDL parser ---------------------------------------------------------------------- */

/* A file of the build tree ("make" writes the interface from schema/io.iommucapd.varlink.in). */
static char *read_text(const char *rel)
{
	const char *dir = getenv("builddir");
	char path[4096];
	FILE *fp;
	char *buf;
	long len;

	snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : BUILDDIR, rel);
	fp = fopen(path, "re");
	if (!fp)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	len = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, fp), (size_t)len);
	buf[len] = 0;
	fclose(fp);
	return buf;
}

static struct vl_interface *parse_ok(const char *text)
{
	struct vl_interface *i = NULL;
	char *err = NULL;
	int k = vl_interface_parse(text, &i, &err);

	if (k < 0)
		fail_msg("parse failed (%d): %s", k, err ? err : "(no message)");
	free(err);
	assert_non_null(i);
	return i;
}

static const struct vl_field *field(const struct vl_type *t, const char *name)
{
	for (size_t k = 0; k < t->n_fields; k++)
		if (strcmp(t->fields[k].name, name) == 0)
			return &t->fields[k];
	fail_msg("no field %s", name);
	return NULL;
}

static const struct vl_member *member(const struct vl_member *v, size_t n, const char *name)
{
	for (size_t k = 0; k < n; k++)
		if (strcmp(v[k].name, name) == 0)
			return &v[k];
	fail_msg("no member %s", name);
	return NULL;
}

static void test_idl_project_schema(void **state)
{
	static const char *const original[] = { "GetHost",   "ListUnits",  "GetUnit", "ListDevices",
						"GetDevice", "ListGroups", "Monitor", "Rescan" };
	char *text = read_text("schema/io.iommucapd.varlink");
	struct vl_interface *i = parse_ok(text);
	const struct vl_member *m;

	assert_string_equal(i->name, "io.iommucapd");
	assert_string_equal(i->text, text);
	/* The interface grows; these members it has had from the start. */
	assert_true(i->n_methods >= 8);
	assert_true(i->n_errors >= 3);
	assert_true(i->n_types >= 10);
	for (size_t k = 0; k < sizeof(original) / sizeof(original[0]); k++)
		assert_non_null(vl_interface_method(i, original[k]));
	assert_non_null(member(i->errors, i->n_errors, "NoSuchUnit"));
	assert_non_null(member(i->errors, i->n_errors, "NoSuchDevice"));
	m = vl_interface_method(i, "Monitor");
	assert_non_null(m);
	assert_true(m->requires_more);
	m = vl_interface_method(i, "GetUnit");
	assert_non_null(m);
	assert_false(m->requires_more);
	assert_int_equal(m->in->n_fields, 1);
	assert_int_equal(field(m->in, "name")->type->kind, VL_STRING);
	assert_false(field(m->in, "name")->type->nullable);
	assert_int_equal(field(m->out, "unit")->type->kind, VL_NAMED);
	assert_string_equal(field(m->out, "unit")->type->name, "Unit");
	assert_null(vl_interface_method(i, "Unit")); /* a type, not a method */
	assert_null(vl_interface_method(i, "NoSuchUnit"));
	/* The inline enum of Event.kind. */
	const struct vl_type *ev = member(i->types, i->n_types, "Event")->in;
	const struct vl_type *kind = field(ev, "kind")->type;
	assert_int_equal(kind->kind, VL_ENUM);
	assert_int_equal(kind->n_values, 3);
	assert_string_equal(kind->values[2], "group");
	vl_interface_free(i);
	free(text);
}

/* org.varlink.certification, as varlink-go 0.4.0 (Debian bookworm) ships it. */
static const char certification_idl[] =
	"# Interface to test varlink implementations against.\n"
	"# First you write a varlink client calling:\n"
	"# Start, Test01, Test02, \xe2\x80\xa6, Test09, End\n"
	"# The return value of the previous call should be the argument of the next call.\n"
	"# Then you test this client against well known servers like python or rust from\n"
	"# https://github.com/varlink/\n"
	"#\n"
	"# Next you write a varlink server providing the same service as the well known ones.\n"
	"# Now run your client against it and run well known clients like python or rust\n"
	"# from https://github.com/varlink/ against your server. If all works out, then\n"
	"# your new language bindings should be varlink certified.\n"
	"interface org.varlink.certification\n"
	"\n"
	"type Interface (\n"
	"  foo: ?[]?[string](foo, bar, baz),\n"
	"  anon: (foo: bool, bar: bool)\n"
	")\n"
	"\n"
	"type MyType (\n"
	"  object: object,\n"
	"  enum: (one, two, three),\n"
	"  struct: (first: int, second: string),\n"
	"  array: []string,\n"
	"  dictionary: [string]string,\n"
	"  stringset: [string](),\n"
	"  nullable: ?string,\n"
	"  nullable_array_struct: ?[](first: int, second: string),\n"
	"  interface: Interface\n"
	")\n"
	"\n"
	"method Start() -> (client_id: string)\n"
	"\n"
	"method Test01(client_id: string) -> (bool: bool)\n"
	"\n"
	"method Test02(client_id: string, bool: bool) -> (int: int)\n"
	"\n"
	"method Test03(client_id: string, int: int) -> (float: float)\n"
	"\n"
	"method Test04(client_id: string, float: float) -> (string: string)\n"
	"\n"
	"method Test05(client_id: string, string: string) -> (\n"
	"  bool: bool,\n"
	"  int: int,\n"
	"  float: float,\n"
	"  string: string\n"
	")\n"
	"\n"
	"method Test06(\n"
	"  client_id: string,\n"
	"  bool: bool,\n"
	"  int: int,\n"
	"  float: float,\n"
	"  string: string\n"
	") -> (\n"
	"  struct: (\n"
	"    bool: bool,\n"
	"    int: int,\n"
	"    float: float,\n"
	"    string: string\n"
	"  )\n"
	")\n"
	"\n"
	"method Test07(\n"
	"  client_id: string,\n"
	"  struct: (\n"
	"    bool: bool,\n"
	"    int: int,\n"
	"    float: float,\n"
	"    string: string\n"
	"  )\n"
	") -> (map: [string]string)\n"
	"\n"
	"method Test08(client_id: string, map: [string]string) -> (set: [string]())\n"
	"\n"
	"method Test09(client_id: string, set: [string]()) -> (mytype: MyType)\n"
	"\n"
	"# returns more than one reply with \"continues\"\n"
	"method Test10(client_id: string, mytype: MyType) -> (string: string)\n"
	"\n"
	"method Test11(\n"
	"  client_id: string,\n"
	"  last_more_replies: []string\n"
	") -> ()\n"
	"\n"
	"method End(client_id: string) -> (all_ok: bool)\n"
	"\n"
	"error ClientIdError ()\n"
	"\n"
	"error CertificationError (wants: object, got: object)\n";

static void test_idl_certification(void **state)
{
	struct vl_interface *i = parse_ok(certification_idl);
	const struct vl_type *t, *foo;
	json_t *v;

	assert_string_equal(i->name, "org.varlink.certification");
	assert_int_equal(i->n_methods, 13);
	assert_int_equal(i->n_errors, 2);
	assert_int_equal(i->n_types, 2);
	assert_false(vl_interface_method(i, "Test10")->requires_more);
	/* ?[]?[string](foo, bar, baz) */
	foo = field(member(i->types, i->n_types, "Interface")->in, "foo")->type;
	assert_true(foo->nullable);
	assert_int_equal(foo->kind, VL_ARRAY);
	assert_true(foo->elem->nullable);
	assert_int_equal(foo->elem->kind, VL_MAP);
	assert_int_equal(foo->elem->elem->kind, VL_ENUM);
	assert_int_equal(foo->elem->elem->n_values, 3);
	/* [string]() is a set: a map of empty structs. */
	t = field(vl_interface_method(i, "Test08")->out, "set")->type;
	assert_int_equal(t->kind, VL_MAP);
	assert_int_equal(t->elem->kind, VL_STRUCT);
	assert_int_equal(t->elem->n_fields, 0);

	/* The value Test09 returns in the reference implementations. */
	v = json_loads(
		"{\"mytype\":{\"object\":{\"method\":\"org.varlink.certification.Test09\","
		"\"parameters\":{\"map\":{\"foo\":\"Foo\",\"bar\":\"Bar\"}}},"
		"\"enum\":\"two\",\"struct\":{\"first\":1,\"second\":\"2\"},"
		"\"array\":[\"one\",\"two\",\"three\"],"
		"\"dictionary\":{\"foo\":\"Foo\",\"bar\":\"Bar\"},"
		"\"stringset\":{\"one\":{},\"two\":{},\"three\":{}},\"nullable\":null,"
		"\"nullable_array_struct\":null,"
		"\"interface\":{\"foo\":[null,{\"foo\":\"foo\",\"bar\":\"bar\"},null,"
		"{\"one\":\"foo\",\"two\":\"bar\"}],\"anon\":{\"foo\":true,\"bar\":false}}}}",
		0, NULL);
	assert_non_null(v);
	assert_true(vl_value_matches(i, vl_interface_method(i, "Test09")->out, v));
	json_object_set_new(json_object_get(json_object_get(v, "mytype"), "stringset"), "four",
			    json_integer(4));
	assert_false(vl_value_matches(i, vl_interface_method(i, "Test09")->out, v));
	json_decref(v);
	vl_interface_free(i);
}

static void test_idl_service_and_comments(void **state)
{
	struct vl_interface *i = parse_ok("# doc\n"
					  "interface org.example.x\n"
					  "\n"
					  "# A type. # with a hash\n"
					  "type T (\n"
					  "\t# field doc\n"
					  "\ta: ?[]string, # trailing comment\n"
					  "\tb: ?[string]int\n"
					  ")\n"
					  "# [Requires 'more' flag]\n"
					  "method Watch() -> (t: T)\n"
					  "# [Supports 'more' flag]\n"
					  "method Maybe() -> ()\n"
					  "method Any(x: any, y: ?any) -> ()\n"
					  "error E (why: string)\n");

	assert_true(vl_interface_method(i, "Watch")->requires_more);
	assert_false(vl_interface_method(i, "Maybe")->requires_more);
	assert_int_equal(field(vl_interface_method(i, "Any")->in, "x")->type->kind, VL_ANY);
	vl_interface_free(i);
	/* CR LF line ends, a hyphen and a digit-led later label. */
	i = parse_ok("interface a-b.c--d.9e\r\nmethod F() -> ()\r\n");
	assert_string_equal(i->name, "a-b.c--d.9e");
	vl_interface_free(i);
}

/* Rejected, with the line of the trouble in the message. */
static void test_idl_rejects(void **state)
{
	static const struct {
		const char *text;
		int line;
	} bad[] = {
		{ "", 1 },
		{ "method F() -> ()\n", 1 },
		{ "interfacex a.b\nmethod F() -> ()\n", 1 },
		{ "interface a\nmethod F() -> ()\n", 1 }, /* one label */
		{ "interface a..b\nmethod F() -> ()\n", 1 },
		{ "interface 1a.b\nmethod F() -> ()\n", 1 },
		{ "interface a.b-\nmethod F() -> ()\n", 1 },
		{ "interface a.-b\nmethod F() -> ()\n", 1 },
		{ "interface a_b.c\nmethod F() -> ()\n", 1 },
		{ "interface a.b\n", 2 }, /* no members: at the end */
		{ "interface a.b\n\nmethod f() -> ()\n", 3 },
		{ "interface a.b\n\nmethod F_x() -> ()\n", 3 },
		{ "interface a.b\n\ntype bool (a: int)\n", 3 },
		{ "interface a.b\n\ntype T int\n", 3 },
		{ "interface a.b\n\nmethod F(_x: int) -> ()\n", 3 },
		{ "interface a.b\n\nmethod F(x__y: int) -> ()\n", 3 },
		{ "interface a.b\n\nmethod F(x_: int) -> ()\n", 3 },
		{ "interface a.b\n\nmethod F(1x: int) -> ()\n", 3 },
		{ "interface a.b\n\nmethod F(a: integer) -> ()\n", 3 },
		{ "interface a.b\n\nmethod F(a: lower) -> ()\n", 3 },
		{ "interface a.b\n\nmethod F(a: ??int) -> ()\n", 3 },
		{ "interface a.b\n\nmethod F(a: [int]int) -> ()\n", 3 },
		{ "interface a.b\n\nmethod F(a: int,) -> ()\n", 3 },
		{ "interface a.b\n\nmethod F(a: int -> ()\n", 3 },
		{ "interface a.b\n\nmethod F(a, b) -> ()\n", 3 },
		{ "interface a.b\n\nmethod F() -> (a, b)\n", 3 },
		{ "interface a.b\n\nmethod F() -> x\n", 3 },
		{ "interface a.b\n\nmethod F() ->\n", 4 }, /* at the end */
		{ "interface a.b\n\ntype E (a, b: int)\n", 3 },
		{ "interface a.b\n\ntype S (b: int, a)\n", 3 },
		{ "interface a.b\n\nerror E () -> ()\n", 3 },
		{ "interface a.b\n\nerror E (a)\n", 3 },
		{ "interface a.b\nmethod F() -> ()\n\n\n# comment\nbogus\n", 6 },
		{ "interface a.b\nmethod F() -> ()\ninterface c.d\n", 3 },
		{ "interface a.b\nmethod F() -> ()\n\x01\n", 3 },
	};

	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		struct vl_interface *i = NULL;
		char *err = NULL, want[32];
		int r = vl_interface_parse(bad[k].text, &i, &err);

		if (r >= 0)
			fail_msg("accepted: %s", bad[k].text);
		assert_int_equal(r, -EBADMSG);
		assert_null(i);
		assert_non_null(err);
		snprintf(want, sizeof(want), "line %d:", bad[k].line);
		if (strncmp(err, want, strlen(want)) != 0)
			fail_msg("'%s' for %s, want %s", err, bad[k].text, want);
		free(err);
		/* Without a place for the message, no leak either. */
		assert_int_equal(vl_interface_parse(bad[k].text, &i, NULL), -EBADMSG);
	}
}

static void test_idl_rejects_trailing_dot(void **state)
{
	struct vl_interface *i = NULL;

	if (vl_interface_parse("interface a.b.\nmethod F() -> ()\n", &i, NULL) >= 0) {
		vl_interface_free(i);
		fail_msg("accepted the interface name a.b.");
	}
}

/* What systemd's varlink_idl_consistent() refuses and the grammar alone lets through. */
static void test_idl_rejects_inconsistent(void **state)
{
	static const char *const bad[] = {
		"interface a.b\nmethod F() -> ()\nmethod F() -> ()\n",
		"interface a.b\ntype F (a: int)\nmethod F() -> ()\n",
		"interface a.b\nerror F ()\nmethod F() -> ()\n",
		"interface a.b\nmethod F(a: int, a: string) -> ()\n",
		"interface a.b\ntype T (x: int, x: int)\nmethod F(t: T) -> ()\n",
		"interface a.b\nmethod F(a: Nope) -> ()\n",
		"interface a.b\ntype T (n: ?Nope)\n",
		"interface a.b\nerror E ()\nmethod F(e: E) -> ()\n", /* an error is not a type */
	};

	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		struct vl_interface *i = NULL;

		if (vl_interface_parse(bad[k], &i, NULL) >= 0) {
			vl_interface_free(i);
			fail_msg("accepted: %s", bad[k]);
		}
	}
}

/* ---- parameter validation ---------------------------------------------------------------- */

static const char types_idl[] = "interface org.example.types\n"
				"type Kind (one, two)\n"
				"type Inner (a: int, b: ?string)\n"
				"type Outer (inner: Inner, list: ?[]Inner)\n"
				"method B(v: bool) -> ()\n"
				"method I(v: int) -> ()\n"
				"method Fl(v: float) -> ()\n"
				"method S(v: string) -> ()\n"
				"method O(v: object) -> ()\n"
				"method E(v: Kind) -> ()\n"
				"method Ei(v: (x, y)) -> ()\n"
				"method St(v: Inner) -> ()\n"
				"method Nest(v: Outer) -> ()\n"
				"method Anon(v: (p: int, q: ?(r: bool))) -> ()\n"
				"method A(v: []int) -> ()\n"
				"method M(v: [string]string) -> ()\n"
				"method Set(v: [string]()) -> ()\n"
				"method N(v: ?int) -> ()\n"
				"method NA(v: ?[]?string) -> ()\n"
				"method Any(v: any) -> ()\n"
				"method Two(a: int, b: string) -> ()\n"
				"method None() -> ()\n";

static struct vl_interface *types_iface;

static int types_setup(void **state)
{
	return vl_interface_parse(types_idl, &types_iface, NULL) < 0 ? -1 : 0;
}

static int types_teardown(void **state)
{
	types_iface = vl_interface_free(types_iface);
	return 0;
}

/* Validate {"v": value} (or the whole object when value starts with '!') for method m. */
static int check(const char *m, const char *value, const char **bad)
{
	const struct vl_member *meth = vl_interface_method(types_iface, m);
	char buf[4096];
	json_t *params;
	int r;

	assert_non_null(meth);
	if (value[0] == '!')
		snprintf(buf, sizeof(buf), "%s", value + 1);
	else
		snprintf(buf, sizeof(buf), "{\"v\":%s}", value);
	params = json_loads(buf, JSON_DECODE_ANY, NULL);
	if (!params)
		fail_msg("bad test JSON: %s", buf);
	*bad = NULL;
	r = vl_validate_parameters(types_iface, meth->in, params, bad);
	if (*bad) { /* it may point into params */
		static char name[256];

		snprintf(name, sizeof(name), "%s", *bad);
		*bad = name;
	}
	json_decref(params);
	return r;
}

#define ACCEPTS(m, value)                                                                          \
	do {                                                                                       \
		const char *_bad;                                                                  \
		if (check((m), (value), &_bad) != 0)                                               \
			fail_msg("%s refused %s (field %s)", (m), (value),                         \
				 _bad ? _bad : "(none)");                                          \
	} while (0)

#define REFUSES_AS(m, value, name)                                                                 \
	do {                                                                                       \
		const char *_bad;                                                                  \
		if (check((m), (value), &_bad) != -EINVAL)                                         \
			fail_msg("%s accepted %s", (m), (value));                                  \
		if (!_bad || strcmp(_bad, (name)) != 0)                                            \
			fail_msg("%s refused %s naming %s, want %s", (m), (value),                 \
				 _bad ? _bad : "(none)", (name));                                  \
	} while (0)

#define REFUSES(m, value) REFUSES_AS(m, value, "v")

static void test_validate_bool(void **state)
{
	ACCEPTS("B", "true");
	ACCEPTS("B", "false");
	REFUSES("B", "0");
	REFUSES("B", "\"true\"");
	REFUSES("B", "null");
	REFUSES("B", "[]");
	REFUSES("B", "!{}");
}

static void test_validate_int(void **state)
{
	ACCEPTS("I", "0");
	ACCEPTS("I", "-1");
	ACCEPTS("I", "9223372036854775807");
	ACCEPTS("I", "-9223372036854775808");
	ACCEPTS("I", "1e3"); /* an integral real, as systemd */
	ACCEPTS("I", "1.0"); /* likewise */
	ACCEPTS("I", "1E+2");
	ACCEPTS("I", "\"42\""); /* decimal strings, for values past 53 bits */
	ACCEPTS("I", "\"-42\"");
	ACCEPTS("I", "\"18446744073709551615\"");
	REFUSES("I", "1.5");
	REFUSES("I", "1e300"); /* past 2^64 */
	REFUSES("I", "true");
	REFUSES("I", "null");
	REFUSES("I", "{}");
	REFUSES("I", "[1]");
	REFUSES("I", "\"\"");
	REFUSES("I", "\"abc\"");
	REFUSES("I", "\"12a\"");
	REFUSES("I", "\"1.5\"");
	REFUSES("I", "\"18446744073709551616\""); /* past 2^64 */
}

static void test_validate_float(void **state)
{
	ACCEPTS("Fl", "1.5");
	ACCEPTS("Fl", "1"); /* Go sends 1 for 1.0 */
	ACCEPTS("Fl", "-0");
	ACCEPTS("Fl", "1e-300");
	REFUSES("Fl", "\"1.5\"");
	REFUSES("Fl", "true");
	REFUSES("Fl", "null");
}

static void test_validate_string_object_any(void **state)
{
	ACCEPTS("S", "\"\"");
	ACCEPTS("S", "\"x\"");
	REFUSES("S", "1");
	REFUSES("S", "null");
	REFUSES("S", "[\"x\"]");
	ACCEPTS("O", "{}");
	ACCEPTS("O", "{\"anything\":[1,{\"x\":null}]}");
	REFUSES("O", "[]");
	REFUSES("O", "\"{}\"");
	REFUSES("O", "null");
	ACCEPTS("Any", "1");
	ACCEPTS("Any", "\"x\"");
	ACCEPTS("Any", "[]");
	REFUSES("Any", "null"); /* any: any value but null */
}

static void test_validate_enum(void **state)
{
	ACCEPTS("E", "\"one\"");
	ACCEPTS("E", "\"two\"");
	REFUSES("E", "\"three\"");
	REFUSES("E", "\"One\"");
	REFUSES("E", "\"\"");
	REFUSES("E", "1");
	REFUSES("E", "null");
	ACCEPTS("Ei", "\"x\"");
	REFUSES("Ei", "\"z\"");
}

static void test_validate_struct(void **state)
{
	ACCEPTS("St", "{\"a\":1}");
	ACCEPTS("St", "{\"a\":1,\"b\":null}");
	ACCEPTS("St", "{\"a\":1,\"b\":\"x\"}");
	REFUSES("St", "{}");
	REFUSES("St", "{\"a\":null}");
	REFUSES("St", "{\"a\":1,\"c\":1}"); /* unknown nested field */
	REFUSES("St", "{\"a\":1,\"b\":2}");
	REFUSES("St", "[]");
	REFUSES("St", "null");
	ACCEPTS("Nest", "{\"inner\":{\"a\":1},\"list\":[{\"a\":2},{\"a\":3,\"b\":\"x\"}]}");
	ACCEPTS("Nest", "{\"inner\":{\"a\":1},\"list\":null}");
	REFUSES("Nest", "{\"inner\":{\"a\":1},\"list\":[{\"a\":2},{\"b\":\"x\"}]}");
	REFUSES("Nest", "{\"list\":[]}");
	ACCEPTS("Anon", "{\"p\":1}");
	ACCEPTS("Anon", "{\"p\":1,\"q\":{\"r\":true}}");
	REFUSES("Anon", "{\"p\":1,\"q\":{\"r\":1}}");
	REFUSES("Anon", "{\"p\":1,\"q\":{}}");
}

static void test_validate_array_map(void **state)
{
	ACCEPTS("A", "[]");
	ACCEPTS("A", "[1,2,\"3\"]");
	REFUSES("A", "[1,null]");
	REFUSES("A", "[1,1.5]");
	REFUSES("A", "{}");
	REFUSES("A", "1");
	REFUSES("A", "null");
	ACCEPTS("M", "{}");
	ACCEPTS("M", "{\"a\":\"b\",\"c\":\"d\"}");
	REFUSES("M", "{\"a\":1}");
	REFUSES("M", "{\"a\":null}");
	REFUSES("M", "[]");
	REFUSES("M", "[[\"a\",\"b\"]]");
	ACCEPTS("Set", "{}");
	ACCEPTS("Set", "{\"a\":{},\"b\":{}}");
	REFUSES("Set", "{\"a\":{\"x\":1}}");
	REFUSES("Set", "{\"a\":true}");
	REFUSES("Set", "[\"a\"]");
}

static void test_validate_nullable(void **state)
{
	ACCEPTS("N", "null");
	ACCEPTS("N", "!{}");
	ACCEPTS("N", "5");
	REFUSES("N", "\"five\"");
	ACCEPTS("NA", "null");
	ACCEPTS("NA", "[]"); /* an empty array is not null, and fine */
	ACCEPTS("NA", "[null,\"x\"]");
	REFUSES("NA", "[1]");
	REFUSES("NA", "\"x\"");
}

static void test_validate_fields(void **state)
{
	const struct vl_member *none = vl_interface_method(types_iface, "None");
	const char *bad = NULL;

	/* The parameters themselves: an object, null or absent. */
	assert_int_equal(vl_validate_parameters(types_iface, none->in, NULL, &bad), 0);
	json_t *null = json_null();
	assert_int_equal(vl_validate_parameters(types_iface, none->in, null, &bad), 0);
	json_decref(null);
	ACCEPTS("None", "!{}");
	REFUSES_AS("None", "!{\"x\":1}", "x");
	REFUSES_AS("None", "!{\"x\":null}", "x");
	/* Declared fields first, in IDL order; then unknown ones. */
	ACCEPTS("Two", "!{\"a\":1,\"b\":\"x\"}");
	ACCEPTS("Two", "!{\"b\":\"x\",\"a\":1}");
	REFUSES_AS("Two", "!{}", "a");
	REFUSES_AS("Two", "!{\"b\":1}", "a");
	REFUSES_AS("Two", "!{\"a\":1}", "b");
	REFUSES_AS("Two", "!{\"zz\":1,\"a\":1}", "b");
	REFUSES_AS("Two", "!{\"a\":1,\"b\":\"x\",\"zz\":1}", "zz");
	REFUSES_AS("Two", "!{\"a\":\"x\",\"b\":1}", "a");
}

/* ---- main -------------------------------------------------------------------------------- */

/* Each connection test over both transports, named after both. */
/* clang-format off */
#define CONN_TEST(f, m) { #f " (" #m ")", f, setup, teardown, (void *)&mode_##m }
#define BOTH(f) CONN_TEST(f, memory), CONN_TEST(f, socket)
#define SOCKET_ONLY(f) CONN_TEST(f, socket)
/* clang-format on */

int main(void)
{
	const struct CMUnitTest conn_tests[] = {
		BOTH(test_partial_feeds),
		BOTH(test_split_in_three),
		BOTH(test_whitespace_around),
		BOTH(test_pipelining_order),
		BOTH(test_pending_call_blocks_the_next),
		BOTH(test_oneway_silence),
		BOTH(test_oneway_then_call),
		BOTH(test_more_continues),
		BOTH(test_more_on_plain_method),
		BOTH(test_more_error_is_final),
		BOTH(test_expected_more),
		BOTH(test_expected_more_before_parameters),
		BOTH(test_stream_by_notify),
		SOCKET_ONLY(test_stream_by_drain),
		BOTH(test_notify_needs_more),
		BOTH(test_stream_peer_gone),
		BOTH(test_invalid_parameter_names),
		BOTH(test_method_not_found),
		BOTH(test_method_not_implemented),
		BOTH(test_handler_errno),
		BOTH(test_undeclared_error),
		BOTH(test_service_interface),
		BOTH(test_reply_text),
		BOTH(test_get_info_follows_changes),
		BOTH(test_parameters_null_absent_empty),
		BOTH(test_handler_sees_an_object),
		BOTH(test_int_uint64),
		BOTH(test_malformed_closes),
		BOTH(test_malformed_then_valid),
		BOTH(test_valid_then_garbage),
		SOCKET_ONLY(test_valid_then_garbage_one_write),
		BOTH(test_input_limit),
		BOTH(test_input_limit_is_per_message),
		BOTH(test_input_below_limit),
		SOCKET_ONLY(test_input_bounded_while_pending),
		SOCKET_ONLY(test_output_backlog),
		BOTH(test_memory_budget_sheds_largest),
		SOCKET_ONLY(test_message_deadline),
		BOTH(test_values_limit),
		BOTH(test_connection_limits),
		BOTH(test_idle_callback),
	};
	const struct CMUnitTest idl_tests[] = {
		cmocka_unit_test(test_add_interface_checks),
		cmocka_unit_test(test_idl_project_schema),
		cmocka_unit_test(test_idl_certification),
		cmocka_unit_test(test_idl_service_and_comments),
		cmocka_unit_test(test_idl_rejects),
		cmocka_unit_test(test_idl_rejects_trailing_dot),
		cmocka_unit_test(test_idl_rejects_inconsistent),
	};
	const struct CMUnitTest validate_tests[] = {
		cmocka_unit_test(test_validate_bool),
		cmocka_unit_test(test_validate_int),
		cmocka_unit_test(test_validate_float),
		cmocka_unit_test(test_validate_string_object_any),
		cmocka_unit_test(test_validate_enum),
		cmocka_unit_test(test_validate_struct),
		cmocka_unit_test(test_validate_array_map),
		cmocka_unit_test(test_validate_nullable),
		cmocka_unit_test(test_validate_fields),
	};
	const char *only = getenv("VL_TEST_FILTER"); /* e.g. "*(socket)" or "test_idl_*" */
	int failed = 0;

	if (only && *only)
		cmocka_set_test_filter(only);
	failed += cmocka_run_group_tests_name("varlink connections (memory, socket)", conn_tests,
					      NULL, NULL);
	failed += cmocka_run_group_tests_name("varlink IDL", idl_tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("varlink parameter validation", validate_tests,
					      types_setup, types_teardown);
	return failed ? 1 : 0;
}
