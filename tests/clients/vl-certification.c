/*
 * vl-certification: a test-only server of org.varlink.certification on the project's varlink
 * layer (varlink/server.h), for the reference certification clients (varlink-go-certification
 * -client, python3-varlink's test_certification.py --client).
 *
 * The interface text is served verbatim: tests/clients/org.varlink.certification.varlink is a
 * copy of cmd/varlink-go-certification/orgvarlinkcertification/org.varlink.certification.varlink
 * from Debian's golang-github-varlink-go-dev 0.4.0-2 (varlink/go 0.4.0), compiled in as a string.
 *
 * The checks are those of the two reference servers together: the Go server's value checks
 * (cmd/varlink-go-certification/main.go) and the python server's (varlink/python
 * varlink/tests/test_certification.py): every call is compared whole with the call the server
 * wants (method, parameters, and "more"/"oneway"), the calls of one client_id must come in the
 * order Start, Test01 ... Test11, End, Test10 must be called with "more" and Test11 "oneway".
 * A failed check answers org.varlink.certification.CertificationError{wants, got} and forgets
 * the client, so a failure in the oneway Test11 still shows, as End's error.
 * An unknown client_id is org.varlink.certification.ClientIdError.
 *
 * Usage: vl-certification --listen unix:PATH   (runs until SIGTERM or SIGINT)
 */
#include "config.h"

#include <math.h>
#include <signal.h>
#include <sys/random.h>
#include <systemd/sd-event.h>
#include <time.h>

#include "varlink/server.h"
#include "lib/macro.h"
#include "vl-certification-idl.h"

#define IFACE	     "org.varlink.certification"
#define MAX_CLIENTS  100
#define CLIENT_ID_SZ 33

static const char *const sequence[] = { "Start",  "Test01", "Test02", "Test03", "Test04",
					"Test05", "Test06", "Test07", "Test08", "Test09",
					"Test10", "Test11", "End" };

struct client {
	char id[CLIENT_ID_SZ];
	size_t next; /* index into sequence[] of the call this client must make next */
	uint64_t serial;
};

static struct client clients[MAX_CLIENTS];
static size_t n_clients;
static uint64_t serial;
static bool verbose;

static struct client *client_find(const char *id)
{
	for (size_t i = 0; id && i < n_clients; i++)
		if (streq(clients[i].id, id))
			return &clients[i];
	return NULL;
}

static void client_forget(struct client *c)
{
	*c = clients[--n_clients];
}

static struct client *client_new(void)
{
	unsigned char raw[16];
	struct client *c;

	if (getrandom(raw, sizeof(raw), 0) != sizeof(raw))
		return NULL;
	if (n_clients == MAX_CLIENTS) {
		/* Forget the oldest, as the reference servers garbage-collect old clients. */
		size_t oldest = 0;

		for (size_t i = 1; i < n_clients; i++)
			if (clients[i].serial < clients[oldest].serial)
				oldest = i;
		client_forget(&clients[oldest]);
	}
	c = &clients[n_clients++];
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(c->id + 2 * i, 3, "%02x", raw[i]);
	c->next = 0;
	c->serial = ++serial;
	return c;
}

/*
 * JSON equality as the reference servers see it: numbers by value (the Go client sends the float
 * 1.0 as "1"), objects by their key sets, arrays in order; no other type mixing.
 */
static bool json_same(json_t *a, json_t *b)
{
	const char *key;
	json_t *v;
	size_t i;

	if (!a || !b)
		return a == b;
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b) &&
		       (json_is_real(a) || json_is_real(b) ||
			json_integer_value(a) == json_integer_value(b));
	if (json_typeof(a) != json_typeof(b))
		return false;
	switch (json_typeof(a)) {
	case JSON_OBJECT:
		if (json_object_size(a) != json_object_size(b))
			return false;
		json_object_foreach (a, key, v) {
			if (!json_same(v, json_object_get(b, key)))
				return false;
		}
		return true;
	case JSON_ARRAY:
		if (json_array_size(a) != json_array_size(b))
			return false;
		json_array_foreach (a, i, v) {
			if (!json_same(v, json_array_get(b, i)))
				return false;
		}
		return true;
	case JSON_STRING:
		return streq(json_string_value(a), json_string_value(b));
	default:
		return json_equal(a, b);
	}
}

/* The call as it came, rebuilt: {"method", "parameters" (when not empty), "more"/"oneway"}. */
static json_t *call_message(struct vl_call *call, json_t *params)
{
	json_t *m = json_pack("{s:s}", "method", vl_call_method(call));

	if (params && json_is_object(params) && json_object_size(params) > 0)
		json_object_set(m, "parameters", params);
	if (vl_call_more(call))
		json_object_set_new(m, "more", json_true());
	if (vl_call_oneway(call))
		json_object_set_new(m, "oneway", json_true());
	return m;
}

static int cert_error(struct vl_call *call, json_t *wants, json_t *got)
{
	if (verbose) {
		char *w = json_dumps(wants, JSON_COMPACT | JSON_SORT_KEYS);
		char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);

		fprintf(stderr, "vl-certification: %s: wants %s, got %s\n", vl_call_method(call),
			w ? w : "?", g ? g : "?");
		free(w);
		free(g);
	}
	return vl_call_error(call, IFACE ".CertificationError",
			     json_pack("{s:o, s:o}", "wants", wants, "got", got));
}

/*
 * The checks every method makes: a known client_id, whose next call is this one, and the call
 * exactly as wanted (wants_params: the parameters it must carry; more, oneway: the flags). On
 * success the client moves on to the next method and *ret is set; otherwise the error is sent.
 */
static int check_call(struct vl_call *call, json_t *params, const char *member,
		      json_t *wants_params, bool more, bool oneway, struct client **ret)
{
	const char *id = json_string_value(json_object_get(params, "client_id"));
	struct client *c = client_find(id);
	json_t *wants, *got;
	size_t idx = 0;

	*ret = NULL;
	while (idx < ELEMENTSOF(sequence) && !streq(sequence[idx], member))
		idx++;
	if (!c) {
		json_decref(wants_params);
		return vl_call_error(call, IFACE ".ClientIdError", NULL);
	}
	if (c->next != idx) {
		json_decref(wants_params);
		return cert_error(call, json_pack("{s:s+}", "method", IFACE ".", sequence[c->next]),
				  json_pack("{s:s}", "method", vl_call_method(call)));
	}
	wants = json_pack("{s:s+, s:o}", "method", IFACE ".", member, "parameters", wants_params);
	if (more)
		json_object_set_new(wants, "more", json_true());
	if (oneway)
		json_object_set_new(wants, "oneway", json_true());
	got = call_message(call, params);
	if (!json_same(wants, got)) {
		client_forget(c);
		return cert_error(call, wants, got);
	}
	json_decref(wants);
	json_decref(got);
	c->next = idx + 1 < ELEMENTSOF(sequence) ? idx + 1 : 0;
	*ret = c;
	return 0;
}

/* The parameters of a call by this client: {"client_id": id} plus the given members. */
static json_t *with_id(json_t *params, json_t *rest)
{
	json_t *id = json_object_get(params, "client_id");

	if (!rest)
		rest = json_object();
	json_object_set(rest, "client_id", id ? id : json_null());
	return rest;
}

static json_t *test06_struct(void)
{
	return json_pack("{s:b, s:i, s:f, s:s}", "bool", 0, "int", 2, "float", M_PI, "string",
			 "a lot of string");
}

static json_t *mytype(void)
{
	return json_pack(
		"{s:{s:s, s:{s:{s:s, s:s}}}, s:s, s:{s:i, s:s}, s:[s,s,s], s:{s:s, s:s},"
		" s:{s:{}, s:{}, s:{}}, s:{s:[n, {s:s, s:s}, n, {s:s, s:s}], s:{s:b, s:b}}}",
		"object", "method", IFACE ".Test09", "parameters", "map", "foo", "Foo", "bar",
		"Bar", "enum", "two", "struct", "first", 1, "second", "2", "array", "one", "two",
		"three", "dictionary", "foo", "Foo", "bar", "Bar", "stringset", "one", "two",
		"three", "interface", "foo", "foo", "foo", "bar", "bar", "one", "foo", "two", "bar",
		"anon", "foo", 1, "bar", 0);
}

static int m_start(struct vl_call *call, json_t *params, void *userdata)
{
	struct client *c;
	json_t *got = call_message(call, params);
	json_t *wants = json_pack("{s:s}", "method", IFACE ".Start");

	if (!json_same(wants, got))
		return cert_error(call, wants, got);
	json_decref(wants);
	json_decref(got);
	c = client_new();
	if (!c)
		return -EIO;
	c->next = 1;
	return vl_call_reply(call, json_pack("{s:s}", "client_id", c->id));
}

static int m_test01(struct vl_call *call, json_t *params, void *userdata)
{
	struct client *c;
	int k = check_call(call, params, "Test01", with_id(params, NULL), false, false, &c);

	return c ? vl_call_reply(call, json_pack("{s:b}", "bool", 1)) : k;
}

static int m_test02(struct vl_call *call, json_t *params, void *userdata)
{
	struct client *c;
	int k = check_call(call, params, "Test02", with_id(params, json_pack("{s:b}", "bool", 1)),
			   false, false, &c);

	return c ? vl_call_reply(call, json_pack("{s:i}", "int", 1)) : k;
}

static int m_test03(struct vl_call *call, json_t *params, void *userdata)
{
	struct client *c;
	int k = check_call(call, params, "Test03", with_id(params, json_pack("{s:i}", "int", 1)),
			   false, false, &c);

	return c ? vl_call_reply(call, json_pack("{s:f}", "float", 1.0)) : k;
}

static int m_test04(struct vl_call *call, json_t *params, void *userdata)
{
	struct client *c;
	int k = check_call(call, params, "Test04",
			   with_id(params, json_pack("{s:f}", "float", 1.0)), false, false, &c);

	return c ? vl_call_reply(call, json_pack("{s:s}", "string", "ping")) : k;
}

static int m_test05(struct vl_call *call, json_t *params, void *userdata)
{
	struct client *c;
	int k = check_call(call, params, "Test05",
			   with_id(params, json_pack("{s:s}", "string", "ping")), false, false, &c);

	return c ? vl_call_reply(call, json_pack("{s:b, s:i, s:f, s:s}", "bool", 0, "int", 2,
						 "float", M_PI, "string", "a lot of string"))
		 : k;
}

static int m_test06(struct vl_call *call, json_t *params, void *userdata)
{
	struct client *c;
	int k = check_call(call, params, "Test06", with_id(params, test06_struct()), false, false,
			   &c);

	return c ? vl_call_reply(call, json_pack("{s:o}", "struct", test06_struct())) : k;
}

static int m_test07(struct vl_call *call, json_t *params, void *userdata)
{
	struct client *c;
	int k = check_call(call, params, "Test07",
			   with_id(params, json_pack("{s:o}", "struct", test06_struct())), false,
			   false, &c);

	return c ? vl_call_reply(call,
				 json_pack("{s:{s:s, s:s}}", "map", "bar", "Bar", "foo", "Foo"))
		 : k;
}

static int m_test08(struct vl_call *call, json_t *params, void *userdata)
{
	struct client *c;
	int k = check_call(
		call, params, "Test08",
		with_id(params, json_pack("{s:{s:s, s:s}}", "map", "foo", "Foo", "bar", "Bar")),
		false, false, &c);

	return c ? vl_call_reply(call,
				 json_pack("{s:{s:{}, s:{}, s:{}}}", "set", "one", "two", "three"))
		 : k;
}

static int m_test09(struct vl_call *call, json_t *params, void *userdata)
{
	struct client *c;
	int k = check_call(
		call, params, "Test09",
		with_id(params, json_pack("{s:{s:{}, s:{}, s:{}}}", "set", "one", "two", "three")),
		false, false, &c);

	/* "nullable" and "nullable_array_struct" are null: left out, as the Go server does. */
	return c ? vl_call_reply(call, json_pack("{s:o}", "mytype", mytype())) : k;
}

static int m_test10(struct vl_call *call, json_t *params, void *userdata)
{
	json_t *copy = json_deep_copy(params);
	json_t *mt = json_object_get(copy, "mytype");
	struct client *c;
	char text[32];
	int k;

	/* The nullable members may come as null (python) or not at all (Go); nothing else. */
	if (json_is_null(json_object_get(mt, "nullable")))
		json_object_del(mt, "nullable");
	if (json_is_null(json_object_get(mt, "nullable_array_struct")))
		json_object_del(mt, "nullable_array_struct");
	k = check_call(call, copy, "Test10",
		       with_id(params, json_pack("{s:o}", "mytype", mytype())), true, false, &c);
	json_decref(copy);
	if (!c)
		return k;
	for (int i = 1; i <= 10; i++) {
		snprintf(text, sizeof(text), "Reply number %d", i);
		k = i < 10 ? vl_call_notify(call, json_pack("{s:s}", "string", text))
			   : vl_call_reply(call, json_pack("{s:s}", "string", text));
		if (k < 0)
			return k;
	}
	return 0;
}

static int m_test11(struct vl_call *call, json_t *params, void *userdata)
{
	json_t *replies = json_array();
	struct client *c;
	char text[32];
	int k;

	for (int i = 1; i <= 10; i++) {
		snprintf(text, sizeof(text), "Reply number %d", i);
		json_array_append_new(replies, json_string(text));
	}
	k = check_call(call, params, "Test11",
		       with_id(params, json_pack("{s:o}", "last_more_replies", replies)), false,
		       true, &c);
	/* A oneway call: the reply (or the error) is never sent. */
	return c ? vl_call_reply(call, NULL) : k;
}

static int m_end(struct vl_call *call, json_t *params, void *userdata)
{
	struct client *c;
	int k = check_call(call, params, "End", with_id(params, NULL), false, false, &c);

	if (!c)
		return k;
	client_forget(c);
	return vl_call_reply(call, json_pack("{s:b}", "all_ok", 1));
}

static const struct vl_method methods[] = {
	{ "Start", m_start },	{ "Test01", m_test01 }, { "Test02", m_test02 },
	{ "Test03", m_test03 }, { "Test04", m_test04 }, { "Test05", m_test05 },
	{ "Test06", m_test06 }, { "Test07", m_test07 }, { "Test08", m_test08 },
	{ "Test09", m_test09 }, { "Test10", m_test10 }, { "Test11", m_test11 },
	{ "End", m_end },
};

static int usage(void)
{
	fprintf(stderr, "usage: vl-certification [--verbose] --listen unix:PATH\n");
	return 64;
}

int main(int argc, char **argv)
{
	const char *listen = NULL;
	struct vl_interface *idl = NULL;
	struct vl_server *server = NULL;
	sd_event *event = NULL;
	char *error = NULL;
	sigset_t ss;
	int k;

	for (int i = 1; i < argc; i++) {
		if (streq(argv[i], "--listen") && i + 1 < argc)
			listen = argv[++i];
		else if (strncmp(argv[i], "--listen=", 9) == 0)
			listen = argv[i] + 9;
		else if (streq(argv[i], "--verbose"))
			verbose = true;
		else
			return usage();
	}
	if (!listen || strncmp(listen, "unix:", 5) != 0 || !listen[5])
		return usage();

	/* Our IDL parser must take the upstream text as it is: say where it does not. */
	k = vl_interface_parse(org_varlink_certification_idl, &idl, &error);
	if (k < 0) {
		fprintf(stderr, "vl-certification: varlink/idl.c rejects %s: %s\n", IFACE,
			error ? error : strerror(-k));
		free(error);
		return 1;
	}
	vl_interface_free(idl);

	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((k = sd_event_default(&event)) < 0 ||
	    (k = sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL)) < 0 ||
	    (k = sd_event_add_signal(event, NULL, SIGINT, NULL, NULL)) < 0 ||
	    (k = vl_server_new(event, &server)) < 0 ||
	    (k = vl_server_set_info(server, "iommu-capd project", "vl-certification", "1",
				    "https://varlink.org/")) < 0 ||
	    (k = vl_server_add_interface(server, org_varlink_certification_idl, methods,
					 ELEMENTSOF(methods), NULL)) < 0 ||
	    (k = vl_server_listen_unix(server, listen + 5, 0600)) < 0) {
		fprintf(stderr, "vl-certification: cannot serve on %s: %s\n", listen, strerror(-k));
		vl_server_free(server);
		sd_event_unref(event);
		return 1;
	}
	k = sd_event_loop(event);
	vl_server_free(server);
	sd_event_unref(event);
	return k < 0 ? 1 : 0;
}
