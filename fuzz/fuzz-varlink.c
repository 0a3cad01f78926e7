/*
 * libFuzzer target: varlink message parsing and dispatch (varlink/server.c, varlink/idl.c)
 * with the real io.iommucapd interface, handlers like the daemon's over a fixed host document,
 * and a Monitor handler that keeps its calls and is notified between the chunks.
 *
 * The input, after two control bytes, is the byte stream of one client connection (any number of
 * NUL-terminated messages), fed in 1..3 chunks. Byte 0: the number of chunks (1 + b % 3); bit 6
 * set: the open Monitor streams are ended before the client hangs up, with an error if bit 7 is
 * set, else with a final reply. Byte 1: where the first cut falls (size * b / 256). Transport
 * (environment VL_FUZZ_TRANSPORT): memory (default)  vl_test_conn_feed()/vl_test_conn_output(), no
 * sockets; socket            a socketpair handed to vl_server_add_fd(), driven by sd-event, as the
 *                     daemon's connections are.
 * One server serves all inputs; each input must leave it with no connection and no stream.
 * Every reply is checked against the protocol: a JSON object with only parameters (an object),
 * continues (true, never with error) and error (a string), and no more final replies than calls.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "varlink/server.h"
#include "io-iommucapd-idl.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define IFACE	     "io.iommucapd"
#define MONITORS_MAX 64
#define OUTPUT_MAX   (64U * 1024 * 1024)

/* A host document as iommu-capd serves it (tests/fixtures/x86-q72-k612-c-amd, trimmed). */
/* clang-format off */
static const char host_text[] =
	"{\"schema_version\":1,\"host\":{\"hostname\":null,\"machine_id\":null,\"kernel_release"
	"\":\"6.12.95+deb12-amd64\",\"cmdline\":{\"amd_iommu_dump\":true},\"default_domain\":{"
	"\"type\":\"DMA\",\"mode\":\"strict\"},\"cpu\":{\"vendor\":\"AuthenticAMD\",\"flags\":{"
	"\"lam\":false,\"enqcmd\":false,\"la57\":true,\"pdpe1gb\":true}},\"dev_iommu\":false,\""
	"dev_vfio\":true,\"unknown\":{}},\"units\":[{\"name\":\"ivhd0\",\"model\":\"amd-vi\",\""
	"model_id\":3,\"path\":\"/sys/devices/pci0000:00/0000:00:01.0/iommu/ivhd0\",\"property_"
	"dir\":null,\"raw\":{\"cap\":\"0x1f03000f\",\"efr\":\"0x29d3\",\"efr2\":\"0x0\"},\"raw_"
	"unknown\":{},\"fields\":{\"cap\":{\"cap_id\":\"0xf\",\"cap_ptr\":\"0x0\",\"cap_type\":"
	"3,\"cap_rev\":0,\"iotlb\":1,\"ht_tunnel\":1,\"npcache\":1,\"efr_sup\":1,\"cap_ext\":1,"
	"\"unknown_bits\":\"0x0\"},\"features\":{\"format\":\"efr:efr2\"},\"efr\":{\"prefetch\""
	":1,\"ppr\":1,\"x2apic\":0,\"nx\":0,\"gt\":1,\"ia\":1,\"ga\":1,\"he\":1,\"pc\":0,\"hats"
	"\":2,\"gats\":2,\"glx\":0,\"gam_vapic\":0,\"pasmax\":0,\"msi_cap_mmio_sup\":0,\"giosup"
	"\":0,\"hasup\":0,\"ephsup\":0,\"hdsup\":0,\"snp\":0,\"unknown_bits\":\"0x0\"},\"efr2\""
	":{\"sevsnpio_sup\":0,\"gcr3trpmode\":0,\"snpavicsup\":0,\"num_int_remap_sup\":0,\"ht_r"
	"ange_ignore\":0,\"snp_page_mode0_sup\":0,\"unknown_bits\":\"0x0\"}},\"capabilities\":{"
	"\"ssid_bits\":1,\"input_bits\":64,\"output_bits\":null,\"asid_bits\":null,\"stall\":\""
	"disabled\",\"httu\":\"none\",\"btm\":false,\"nesting\":false,\"pri\":true,\"ats\":true"
	",\"dirty_tracking\":false,\"caching_mode\":true,\"coherent\":true,\"scalable_mode\":fa"
	"lse,\"page_sizes\":[4096,2097152,1073741824],\"pgtable_formats\":[\"amd-v1-6level\"],"
	"\"pasid_table_formats\":[\"amd\"],\"pasid_table_align\":4096,\"unknown\":{\"output_bit"
	"s\":\"the physical address size is in the ACPI IVRS table, not in sysfs\",\"asid_bits"
	"\":\"AMD-Vi has no ASIDs; it tags translations by domain id\"},\"sources\":{\"ssid_bit"
	"s\":\"register\",\"input_bits\":\"register\",\"stall\":\"model\",\"httu\":\"register\""
	",\"btm\":\"model\",\"nesting\":\"register\",\"pri\":\"register\",\"ats\":\"register\","
	"\"dirty_tracking\":\"register\",\"caching_mode\":\"register\",\"coherent\":\"driver\","
	"\"scalable_mode\":\"model\",\"page_sizes\":\"model\",\"pgtable_formats\":\"register\","
	"\"pasid_table_formats\":\"register\",\"pasid_table_align\":\"model\"}},\"devices\":[\""
	"0000:00:00.0\",\"0000:00:02.0\"]}],\"groups\":[{\"id\":0,\"type\":\"DMA\",\"reserved_r"
	"egions\":[{\"start\":\"0x00000000fee00000\",\"end\":\"0x00000000feefffff\",\"type\":\""
	"msi\"},{\"start\":\"0x000000fd00000000\",\"end\":\"0x000000ffffffffff\",\"type\":\"res"
	"erved\"}],\"devices\":[\"0000:00:00.0\"],\"unknown\":{}},{\"id\":1,\"type\":\"DMA\",\""
	"reserved_regions\":[{\"start\":\"0x00000000fee00000\",\"end\":\"0x00000000feefffff\","
	"\"type\":\"msi\"},{\"start\":\"0x000000fd00000000\",\"end\":\"0x000000ffffffffff\",\"t"
	"ype\":\"reserved\"}],\"devices\":[\"0000:00:02.0\"],\"unknown\":{}}],\"devices\":[{\"a"
	"ddress\":\"0000:00:00.0\",\"unit\":\"ivhd0\",\"group\":0,\"driver\":null,\"vendor\":\""
	"0x8086\",\"device\":\"0x29c0\",\"class\":\"0x060000\",\"pasid\":{\"supported\":null,\""
	"width\":null,\"exec\":null,\"priv\":null},\"ats\":{\"supported\":null,\"queue_depth\":"
	"null},\"pri\":{\"supported\":null,\"max_requests\":null},\"acs\":{\"supported\":null,"
	"\"capabilities\":null},\"effective_pasid_bits\":null,\"unknown\":{\"pasid\":\"no confi"
	"g file\",\"ats\":\"no config file\",\"pri\":\"no config file\",\"acs\":\"no config fil"
	"e\",\"effective_pasid_bits\":\"the device's PASID capability is unknown\"}},{\"address"
	"\":\"0000:00:01.0\",\"unit\":null,\"group\":null,\"driver\":null,\"vendor\":\"0x1022\""
	",\"device\":\"0x0008\",\"class\":\"0x080600\",\"pasid\":{\"supported\":null,\"width\":"
	"null,\"exec\":null,\"priv\":null},\"ats\":{\"supported\":null,\"queue_depth\":null},\""
	"pri\":{\"supported\":null,\"max_requests\":null},\"acs\":{\"supported\":null,\"capabil"
	"ities\":null},\"effective_pasid_bits\":0,\"unknown\":{\"pasid\":\"no config file\",\"a"
	"ts\":\"no config file\",\"pri\":\"no config file\",\"acs\":\"no config file\"}}],\"war"
	"nings\":[]}";
/* clang-format on */

static json_t *host;
static char *host_text_reply, *units_text_reply; /* made once, as the daemon caches them */
static bool use_socket;
static sd_event *event;
static struct vl_server *server; /* one for all inputs: every input leaves it without connections */

/* The Monitor calls kept open, as daemon/monitor.c keeps them. */
static struct vl_call *monitors[MONITORS_MAX];
static size_t n_monitors;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz-varlink: %s:%d: check failed: %s\n", __FILE__,       \
				__LINE__, #cond);                                                  \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static void monitor_drop(size_t i)
{
	vl_call_set_gone_callback(monitors[i], NULL, NULL);
	vl_call_unref(monitors[i]);
	monitors[i] = monitors[--n_monitors];
}

static void monitor_gone(struct vl_call *call, void *userdata)
{
	for (size_t i = 0; i < n_monitors; i++)
		if (monitors[i] == call) {
			monitor_drop(i);
			return;
		}
	CHECK(!"a gone callback for a call nobody keeps");
}

/* One event to every subscriber; a subscriber whose connection fails leaves the list. */
static void monitor_emit(const char *action)
{
	json_t *unit = json_array_get(json_object_get(host, "units"), 0);

	for (size_t i = 0; i < n_monitors;) {
		struct vl_call *call = vl_call_ref(monitors[i]);
		size_t before = n_monitors;
		json_t *ev = json_pack("{s:{s:s, s:s, s:s, s:O}}", "event", "kind", "unit",
				       "action", action, "name", "ivhd0", "unit", unit);

		CHECK(ev);
		(void)vl_call_notify(call, ev);
		vl_call_unref(call);
		if (n_monitors == before)
			i++;
	}
}

/* End every stream: with a final reply, or an error. */
static void monitor_finish(bool error)
{
	while (n_monitors) {
		struct vl_call *call = vl_call_ref(monitors[n_monitors - 1]);

		monitor_drop(n_monitors - 1);
		if (error)
			(void)vl_call_error(call, IFACE ".PermissionDenied", NULL);
		else
			(void)vl_call_reply(call,
					    json_pack("{s:{s:s, s:s, s:s}}", "event", "kind",
						      "group", "action", "removed", "name", "0"));
		vl_call_unref(call);
	}
}

/* ---- the daemon's methods over the fixed document ---------------------------------------- */

static json_t *find_by(json_t *array, const char *key, const char *value)
{
	size_t i;
	json_t *e;

	json_array_foreach (array, i, e) {
		const char *v = json_string_value(json_object_get(e, key));

		if (v && strcmp(v, value) == 0)
			return e;
	}
	return NULL;
}

/* GetHost and ListUnits answer with text serialised once, as the daemon does; the rest build JSON.
 */
static int m_get_host(struct vl_call *call, json_t *params, void *userdata)
{
	return vl_call_reply_text(call, host_text_reply);
}

static int reply_member(struct vl_call *call, const char *key)
{
	return vl_call_reply(call, json_pack("{s:O}", key, json_object_get(host, key)));
}

static int m_list_units(struct vl_call *call, json_t *params, void *userdata)
{
	return vl_call_reply_text(call, units_text_reply);
}

static int m_list_devices(struct vl_call *call, json_t *params, void *userdata)
{
	return reply_member(call, "devices");
}

static int m_list_groups(struct vl_call *call, json_t *params, void *userdata)
{
	return reply_member(call, "groups");
}

static int m_get_unit(struct vl_call *call, json_t *params, void *userdata)
{
	const char *name = json_string_value(json_object_get(params, "name"));
	json_t *u;

	CHECK(name); /* the layer checked it against the interface */
	u = find_by(json_object_get(host, "units"), "name", name);
	if (!u)
		return vl_call_error(call, IFACE ".NoSuchUnit", json_pack("{s:s}", "name", name));
	return vl_call_reply(call, json_pack("{s:O}", "unit", u));
}

static int m_get_device(struct vl_call *call, json_t *params, void *userdata)
{
	const char *address = json_string_value(json_object_get(params, "address"));
	json_t *dev;

	CHECK(address);
	dev = find_by(json_object_get(host, "devices"), "address", address);
	if (!dev)
		return vl_call_error(call, IFACE ".NoSuchDevice",
				     json_pack("{s:s}", "address", address));
	return vl_call_reply(call, json_pack("{s:O}", "device", dev));
}

static int m_monitor(struct vl_call *call, json_t *params, void *userdata)
{
	CHECK(vl_call_more(call) || vl_call_oneway(call)); /* requires more */
	if (vl_call_oneway(call))
		return 0;
	if (n_monitors == MONITORS_MAX)
		return -EBUSY; /* answered by the layer with io.systemd.System */
	monitors[n_monitors++] = vl_call_ref(call);
	vl_call_set_gone_callback(call, monitor_gone, NULL);
	return 0;
}

static int m_rescan(struct vl_call *call, json_t *params, void *userdata)
{
	uid_t uid;

	if (vl_call_peer_uid(call, &uid) < 0)
		return vl_call_error(call, IFACE ".PermissionDenied", NULL);
	monitor_emit("changed");
	return vl_call_reply(call, NULL);
}

static const struct vl_method methods[] = {
	{ "GetHost", m_get_host },     { "ListUnits", m_list_units },
	{ "GetUnit", m_get_unit },     { "ListDevices", m_list_devices },
	{ "GetDevice", m_get_device }, { "ListGroups", m_list_groups },
	{ "Monitor", m_monitor },      { "Rescan", m_rescan },
};

/* ---- the protocol check of everything the server wrote ----------------------------------- */

static void check_output(const char *out, size_t len, size_t calls)
{
	size_t finals = 0;

	while (len) {
		const char *nul = memchr(out, 0, len);
		json_t *m, *v;
		const char *key;

		CHECK(nul); /* whole messages only */
		m = json_loadb(out, (size_t)(nul - out), JSON_REJECT_DUPLICATES, NULL);
		CHECK(m && json_is_object(m));
		CHECK(json_is_object(json_object_get(m, "parameters")));
		json_object_foreach (m, key, v) {
			CHECK(strcmp(key, "parameters") == 0 || strcmp(key, "continues") == 0 ||
			      strcmp(key, "error") == 0);
			if (strcmp(key, "continues") == 0)
				CHECK(json_is_true(v) && !json_object_get(m, "error"));
			if (strcmp(key, "error") == 0)
				CHECK(json_is_string(v) && strchr(json_string_value(v), '.'));
		}
		finals += !json_object_get(m, "continues");
		json_decref(m);
		len -= (size_t)(nul - out) + 1;
		out = nul + 1;
	}
	/* Not more answers than calls (oneway ones and the unfinished get none). */
	CHECK(finals <= calls);
}

/* ---- transports -------------------------------------------------------------------------- */

struct client {
	struct vl_test_conn *t; /* memory */
	int fd;			/* socket: the client's end */
	bool closed;
	char *out;
	size_t out_len, seen;
};

static void out_append(struct client *c, const char *data, size_t len)
{
	char *n;

	if (c->out_len + len > OUTPUT_MAX)
		len = OUTPUT_MAX - c->out_len; /* check_output() then finds a torn message */
	n = realloc(c->out, c->out_len + len + 1);
	CHECK(n);
	memcpy(n + c->out_len, data, len);
	c->out = n;
	c->out_len += len;
}

static void collect(struct client *c)
{
	if (!use_socket) {
		const char *o;
		size_t n = vl_test_conn_output(c->t, &o);

		if (n > c->seen) {
			out_append(c, o + c->seen, n - c->seen);
			c->seen = n;
		}
		return;
	}
	for (;;) {
		char buf[65536];
		ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			c->closed = c->closed || n == 0 || errno != EAGAIN;
			return;
		}
		out_append(c, buf, (size_t)n);
	}
}

/* Socket: run the server until it has nothing left to do, reading what it writes. */
static void pump(struct client *c)
{
	if (!use_socket)
		return;
	for (unsigned quiet = 0; quiet < 2;) {
		int r = sd_event_run(event, 0);
		size_t before = c->out_len;

		CHECK(r >= 0);
		collect(c);
		quiet = r > 0 || c->out_len != before ? 0 : quiet + 1;
	}
}

static void feed(struct client *c, const uint8_t *data, size_t len)
{
	if (len == 0 || c->closed)
		return;
	if (!use_socket) {
		if (!vl_test_conn_feed(c->t, data, len))
			c->closed = true;
		collect(c);
		return;
	}
	while (len && !c->closed) {
		ssize_t n = send(c->fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			pump(c);
			continue;
		}
		if (n < 0)
			break; /* the server closed its end */
		data += n;
		len -= (size_t)n;
	}
	pump(c);
}

/* ---- the target -------------------------------------------------------------------------- */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *t = getenv("VL_FUZZ_TRANSPORT");
	json_t *o;

	use_socket = t && strcmp(t, "socket") == 0;
	host = json_loads(host_text, 0, NULL);
	CHECK(host);
	o = json_pack("{s:O}", "host", host);
	host_text_reply = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	o = json_pack("{s:O}", "units", json_object_get(host, "units"));
	units_text_reply = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	CHECK(host_text_reply && units_text_reply);
	if (use_socket)
		CHECK(sd_event_new(&event) >= 0);
	CHECK(vl_server_new(event, &server) >= 0);
	CHECK(vl_server_set_info(server, "iommu-capd project", "iommu-capd", "0.1.0",
				 "https://example.org/") >= 0);
	CHECK(vl_server_add_interface(server, io_iommucapd_idl, methods,
				      sizeof(methods) / sizeof(methods[0]), NULL) >= 0);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vl_server *s = server;
	struct client c = { .fd = -1 };
	size_t cuts[4], n_chunks, calls = 0;
	uint8_t mode;

	if (size < 2)
		return 0;
	/* Byte 0: how many chunks and how the streams end; byte 1: where the first cut falls. */
	mode = data[0];
	n_chunks = 1 + mode % 3;
	data += 2;
	size -= 2;
	cuts[0] = 0;
	cuts[n_chunks] = size;
	if (n_chunks >= 2)
		cuts[1] = size * data[-1] / 256;
	if (n_chunks == 3)
		cuts[2] = cuts[1] + (size - cuts[1]) / 2;
	for (size_t i = 0; i < size; i++)
		calls += data[i] == 0;

	if (use_socket) {
		int sv[2];

		CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
		CHECK(vl_server_add_fd(s, sv[0]) >= 0);
		c.fd = sv[1];
	} else
		CHECK(vl_test_conn_new(s, &c.t) >= 0);

	for (size_t k = 0; k < n_chunks; k++) {
		feed(&c, data + cuts[k], cuts[k + 1] - cuts[k]);
		/* A change between the chunks: every Monitor hears of it. */
		monitor_emit("changed");
		pump(&c);
		collect(&c);
	}
	/* Streams end by a final reply, an error, or the client going away. */
	if (mode & 0x40)
		monitor_finish(mode & 0x80);
	pump(&c);
	collect(&c);

	/* The client hangs up: the connection goes, and with it every stream still open. */
	if (use_socket) {
		close(c.fd);
		pump(&c);
	} else
		vl_test_conn_free(c.t);
	CHECK(vl_server_connections(s) == 0);
	CHECK(n_monitors == 0);
	check_output(c.out, c.out_len, calls);
	free(c.out);
	return 0;
}
