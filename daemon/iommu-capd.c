/* iommu-capd: answers what the host's IOMMUs can do over varlink, from memory, kept current. */
#include "config.h"

#include <argp.h>
#include <fcntl.h>
#include <libudev.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <syslog.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "io-iommucapd-idl.h"
#include "lib/compat.h"
#include "lib/iommucap.h"
#include "lib/requirement.h"
#include "lib/macro.h"
#include "monitor.h"
#include "varlink.h"

#define DEFAULT_ADDRESS	  "unix:/run/iommu-capd/io.iommucapd"
#define RESCAN_DELAY_USEC (50 * 1000) /* events come in bursts: re-probe once per burst */

static const char *arg_sysroot = "/";
static const char *arg_listen;
static bool arg_exit_on_idle;

struct daemon {
	sd_event *event;
	struct vl_server *server;
	struct iommucap_root *root;
	struct iommucap_host *host;
	json_t *doc; /* the host document, built once per probe */
	/* Per probe: name -> index maps, and replies serialised once, on first use. */
	json_t *unit_index, *device_index;
	char *host_text, *units_text, *devices_text, *groups_text;
	char **unit_texts, **device_texts;
	size_t n_unit_texts, n_device_texts;
	struct monitor *monitor;
	struct udev *udev;
	struct udev_monitor *udev_monitor;
	sd_event_source *udev_source, *inotify_source, *rescan_timer;
	int inotify_fd;
	bool socket_activated;
	unsigned long long probes;
};

_printf_(2, 3) static void log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	/* journald reads the <N> prefix as the priority when stderr is its stream. */
	fprintf(stderr, "<%d>", prio);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void texts_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

static void cache_clear(struct daemon *d)
{
	json_decref(d->unit_index);
	json_decref(d->device_index);
	free(d->host_text);
	free(d->units_text);
	free(d->devices_text);
	free(d->groups_text);
	texts_free(d->unit_texts, d->n_unit_texts);
	texts_free(d->device_texts, d->n_device_texts);
	d->unit_index = d->device_index = NULL;
	d->host_text = d->units_text = d->devices_text = d->groups_text = NULL;
	d->unit_texts = d->device_texts = NULL;
	d->n_unit_texts = d->n_device_texts = 0;
}

/* name -> position in the array, so a lookup is a hash, not a walk over 1024 units. */
static json_t *index_of(json_t *array, const char *key)
{
	json_t *idx = json_object(), *e;
	size_t i;

	json_array_foreach (array, i, e) {
		const char *name = json_string_value(json_object_get(e, key));

		if (idx && name &&
		    json_object_set_new(idx, name, json_integer((json_int_t)i)) < 0) {
			json_decref(idx);
			return NULL;
		}
	}
	return idx;
}

static int cache_build(struct daemon *d)
{
	d->unit_index = index_of(json_object_get(d->doc, "units"), "name");
	d->device_index = index_of(json_object_get(d->doc, "devices"), "address");
	d->n_unit_texts = json_array_size(json_object_get(d->doc, "units"));
	d->n_device_texts = json_array_size(json_object_get(d->doc, "devices"));
	d->unit_texts = calloc(d->n_unit_texts + 1, sizeof(char *));
	d->device_texts = calloc(d->n_device_texts + 1, sizeof(char *));
	return d->unit_index && d->device_index && d->unit_texts && d->device_texts ? 0 : -ENOMEM;
}

/* {"KEY":VALUE} serialised, kept in *slot until the next probe. */
static const char *cached(char **slot, const char *key, json_t *value)
{
	json_t *o;

	if (*slot)
		return *slot;
	o = json_pack("{s:O}", key, value);
	if (!o)
		return NULL;
	*slot = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	json_decref(o);
	return *slot;
}

static void notify_status(struct daemon *d)
{
	(void)sd_notifyf(false, "STATUS=Serving %zu IOMMU units, %zu PCI devices, %zu groups",
			 d->host->n_units, d->host->n_devices, d->host->n_groups);
}

/* Probe again and tell subscribers what changed. The old model serves until the new one is made. */
static int reprobe(struct daemon *d)
{
	struct iommucap_host *h;
	json_t *doc;
	int k = iommucap_probe(d->root, &h);

	if (k < 0) {
		log_msg(LOG_ERR, "Probing %s failed: %s", arg_sysroot, strerror(-k));
		return k;
	}
	k = iommucap_host_to_json(h, &doc);
	if (k < 0) {
		iommucap_host_free(h);
		log_msg(LOG_ERR, "Building the host document failed: %s", strerror(-k));
		return k;
	}
	d->probes++;
	if (d->doc)
		monitor_emit_changes(d->monitor, d->doc, doc);
	for (size_t i = 0; i < h->n_warnings && !d->doc; i++)
		log_msg(LOG_WARNING, "%s", h->warnings[i]);
	iommucap_host_free(d->host);
	json_decref(d->doc);
	cache_clear(d);
	d->host = h;
	d->doc = doc;
	k = cache_build(d);
	if (k < 0)
		return k;
	notify_status(d);
	return 0;
}

static int rescan_timer_handler(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct daemon *d = userdata;

	d->rescan_timer = sd_event_source_disable_unref(d->rescan_timer);
	(void)reprobe(d);
	return 0;
}

static void schedule_rescan(struct daemon *d)
{
	if (d->rescan_timer)
		return;
	if (sd_event_add_time_relative(d->event, &d->rescan_timer, CLOCK_MONOTONIC,
				       RESCAN_DELAY_USEC, 0, rescan_timer_handler, d) < 0)
		(void)reprobe(d);
}

/* ---- varlink methods --------------------------------------------------------------------- */

static int reply_cached(struct vl_call *call, char **slot, const char *key, json_t *value)
{
	const char *text = cached(slot, key, value);

	return text ? vl_call_reply_text(call, text) : -ENOMEM;
}

static int vl_method_get_host(struct vl_call *call, json_t *params, void *userdata)
{
	struct daemon *d = userdata;

	return reply_cached(call, &d->host_text, "host", d->doc);
}

static int vl_method_list_units(struct vl_call *call, json_t *params, void *userdata)
{
	struct daemon *d = userdata;

	return reply_cached(call, &d->units_text, "units", json_object_get(d->doc, "units"));
}

static int vl_method_list_devices(struct vl_call *call, json_t *params, void *userdata)
{
	struct daemon *d = userdata;

	return reply_cached(call, &d->devices_text, "devices", json_object_get(d->doc, "devices"));
}

static int vl_method_list_groups(struct vl_call *call, json_t *params, void *userdata)
{
	struct daemon *d = userdata;

	return reply_cached(call, &d->groups_text, "groups", json_object_get(d->doc, "groups"));
}

static int vl_method_get_unit(struct vl_call *call, json_t *params, void *userdata)
{
	struct daemon *d = userdata;
	const char *name = json_string_value(json_object_get(params, "name"));
	json_t *i = json_object_get(d->unit_index, name);
	size_t idx;

	if (!i)
		return vl_call_error(call, "io.iommucapd.NoSuchUnit",
				     json_pack("{s:s}", "name", name));
	idx = (size_t)json_integer_value(i);
	return reply_cached(call, &d->unit_texts[idx], "unit",
			    json_array_get(json_object_get(d->doc, "units"), idx));
}

static int vl_method_get_device(struct vl_call *call, json_t *params, void *userdata)
{
	struct daemon *d = userdata;
	const char *address = json_string_value(json_object_get(params, "address"));
	json_t *i = json_object_get(d->device_index, address);
	size_t idx;

	if (!i)
		return vl_call_error(call, "io.iommucapd.NoSuchDevice",
				     json_pack("{s:s}", "address", address));
	idx = (size_t)json_integer_value(i);
	return reply_cached(call, &d->device_texts[idx], "device",
			    json_array_get(json_object_get(d->doc, "devices"), idx));
}

static int vl_method_monitor(struct vl_call *call, json_t *params, void *userdata)
{
	struct daemon *d = userdata;

	/* No reply now: the call stays open, and each change is a "continues" reply. */
	return monitor_subscribe(d->monitor, call);
}

static int vl_method_rescan(struct vl_call *call, json_t *params, void *userdata)
{
	struct daemon *d = userdata;
	uid_t uid;

	if (vl_call_peer_uid(call, &uid) < 0 || uid != 0)
		return vl_call_error(call, "io.iommucapd.PermissionDenied", NULL);
	d->rescan_timer = sd_event_source_disable_unref(d->rescan_timer);
	if (reprobe(d) < 0)
		return -EIO;
	return vl_call_reply(call, NULL);
}

/* The result's values travel as JSON text (the interface has no "any" type). */
static int encode_values(json_t *result)
{
	json_t *c;
	size_t i;

	json_array_foreach (json_object_get(result, "checks"), i, c) {
		static const char *const keys[] = { "required", "available" };

		for (size_t k = 0; k < ELEMENTSOF(keys); k++) {
			json_t *v = json_object_get(c, keys[k]);
			char *text;

			if (!v || json_is_null(v)) {
				/* Absent and unknown differ: no value (null) vs an unknown one
				 * ("null"). */
				if (json_object_set_new(c, keys[k],
							v && !streq(keys[k], "required") &&
									json_is_null(v)
								? json_string("null")
								: json_null()) < 0)
					return -ENOMEM;
				continue;
			}
			text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
			if (!text || json_object_set_new(c, keys[k], json_string(text)) < 0) {
				free(text);
				return -ENOMEM;
			}
			free(text);
		}
	}
	return 0;
}

static int vl_method_check(struct vl_call *call, json_t *params, void *userdata)
{
	struct daemon *d = userdata;
	struct iommucap_requirement *req = NULL;
	struct iommucap_compat *c = NULL;
	_cleanup_free_ char *error = NULL;
	json_t *result = NULL;
	int k = iommucap_requirement_from_json(json_object_get(params, "requirement"), &req,
					       &error);

	if (k == -ENOMEM)
		return k;
	if (k < 0) {
		/* "features/nesting: expected true or false": the path, then the complaint. */
		const char *colon = error ? strstr(error, ": ") : NULL;
		_cleanup_free_ char *field =
			colon ? strndup(error, (size_t)(colon - error)) : strdup("requirement");

		return vl_call_error(call, "io.iommucapd.InvalidRequirement",
				     json_pack("{s:s, s:s}", "field", field ?: "requirement",
					       "message", error ?: "invalid"));
	}
	k = iommucap_check(d->host, req, &c);
	if (k >= 0)
		k = iommucap_compat_to_json(c, &result);
	if (k >= 0)
		k = encode_values(result);
	iommucap_compat_free(c);
	iommucap_requirement_free(req);
	if (k < 0) {
		json_decref(result);
		return k;
	}
	return vl_call_reply(call, result);
}

static const struct vl_method methods[] = {
	{ "GetHost", vl_method_get_host },     { "ListUnits", vl_method_list_units },
	{ "GetUnit", vl_method_get_unit },     { "ListDevices", vl_method_list_devices },
	{ "GetDevice", vl_method_get_device }, { "ListGroups", vl_method_list_groups },
	{ "Monitor", vl_method_monitor },      { "Rescan", vl_method_rescan },
	{ "Check", vl_method_check },
};

/* ---- change sources ---------------------------------------------------------------------- */

static int udev_handler(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct daemon *d = userdata;
	struct udev_device *dev;

	/* Drain; which device changed only matters to the diff, which sees the whole host. */
	while ((dev = udev_monitor_receive_device(d->udev_monitor))) {
		const char *action = udev_device_get_action(dev);

		if (action &&
		    (streq(action, "add") || streq(action, "remove") || streq(action, "change") ||
		     streq(action, "bind") || streq(action, "unbind")))
			schedule_rescan(d);
		udev_device_unref(dev);
	}
	return 0;
}

static int setup_udev(struct daemon *d)
{
	int k;

	d->udev = udev_new();
	if (!d->udev)
		return -ENOMEM;
	d->udev_monitor = udev_monitor_new_from_netlink(d->udev, "kernel");
	if (!d->udev_monitor)
		return -errno ?: -ENOMEM;
	/* /dev/iommu (iommufd) and /dev/vfio/vfio are misc devices that come with their modules. */
	static const char *const subsystems[] = { "iommu", "pci", "misc" };
	for (size_t i = 0; i < ELEMENTSOF(subsystems); i++) {
		k = udev_monitor_filter_add_match_subsystem_devtype(d->udev_monitor, subsystems[i],
								    NULL);
		if (k < 0)
			return k;
	}
	k = udev_monitor_enable_receiving(d->udev_monitor);
	if (k < 0)
		return k;
	return sd_event_add_io(d->event, &d->udev_source, udev_monitor_get_fd(d->udev_monitor),
			       EPOLLIN, udev_handler, d);
}

static int inotify_handler(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct daemon *d = userdata;
	char buf[16 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));

	while (read(fd, buf, sizeof(buf)) > 0)
		;
	schedule_rescan(d);
	return 0;
}

/*
 * Under --sysroot the tree is a fixture, not the kernel: watching the directories where units,
 * devices and groups appear drives the same re-probe as a uevent would.
 */
static int setup_inotify(struct daemon *d)
{
	static const char *const dirs[] = { "sys/class/iommu", "sys/bus/pci/devices",
					    "sys/kernel/iommu_groups" };
	const uint32_t mask = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE |
			      IN_ATTRIB | IN_DELETE_SELF | IN_ONLYDIR;

	d->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (d->inotify_fd < 0)
		return -errno;
	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/%s", arg_sysroot, dirs[i]);
		if (inotify_add_watch(d->inotify_fd, path, mask) < 0 && errno != ENOENT)
			log_msg(LOG_WARNING, "Cannot watch %s: %s", path, strerror(errno));
	}
	return sd_event_add_io(d->event, &d->inotify_source, d->inotify_fd, EPOLLIN,
			       inotify_handler, d);
}

/* ---- start ------------------------------------------------------------------------------- */

static void on_idle(struct vl_server *s, void *userdata)
{
	struct daemon *d = userdata;

	if (arg_exit_on_idle && d->socket_activated && monitor_subscribers(d->monitor) == 0)
		sd_event_exit(d->event, 0);
}

/* Socket activation: fds named "varlink" (or "connection", as systemd 252 names Accept=yes). */
static int take_passed_fds(struct daemon *d)
{
	char **names = NULL;
	int n = sd_listen_fds_with_names(true, &names), taken = 0;

	for (int i = 0; i < n; i++) {
		int fd = SD_LISTEN_FDS_START + i;
		const char *name = names && names[i] ? names[i] : "unknown";

		if (streq(name, "varlink") || streq(name, "connection") || n == 1) {
			int k = vl_server_add_fd(d->server, fd);

			if (k < 0)
				log_msg(LOG_ERR, "Cannot serve passed fd %d (%s): %s", fd, name,
					strerror(-k));
			else
				taken++;
		} else
			close(fd);
	}
	for (int i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
	return n < 0 ? n : taken;
}

static int listen_address(struct daemon *d, const char *address)
{
	char dir[PATH_MAX];
	const char *path;
	char *slash;

	if (!startswith(address, "unix:"))
		return -EPROTONOSUPPORT;
	path = address + 5;
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		(void)mkdir(dir, 0755);
	}
	return vl_server_listen_unix(d->server, path, 0666);
}

static void raise_fd_limit(void)
{
	struct rlimit rl;

	/* Room for 4096 connections, as systemd's services also raise the soft limit. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int run(void)
{
	struct daemon d = { .inotify_fd = -1 };
	int k, taken;

	raise_fd_limit();
	k = sd_event_default(&d.event);
	if (k < 0)
		goto out;
	(void)sd_event_set_watchdog(d.event, true);
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	if ((k = sd_event_add_signal(d.event, NULL, SIGTERM, NULL, NULL)) < 0 ||
	    (k = sd_event_add_signal(d.event, NULL, SIGINT, NULL, NULL)) < 0)
		goto out;
	signal(SIGPIPE, SIG_IGN);

	k = iommucap_root_open(arg_sysroot, &d.root);
	if (k < 0) {
		log_msg(LOG_ERR, "Cannot open %s: %s", arg_sysroot, strerror(-k));
		goto out;
	}
	k = monitor_new(&d.monitor);
	if (k < 0)
		goto out;
	k = reprobe(&d);
	if (k < 0)
		goto out;

	k = vl_server_new(d.event, &d.server);
	if (k < 0)
		goto out;
	if ((k = vl_server_set_info(d.server, "iommu-capd project", "iommu-capd", PACKAGE_VERSION,
				    PACKAGE_URL)) < 0 ||
	    (k = vl_server_add_interface(d.server, io_iommucapd_idl, methods, ELEMENTSOF(methods),
					 &d)) < 0) {
		log_msg(LOG_ERR, "Cannot set up the varlink server: %s", strerror(-k));
		goto out;
	}
	vl_server_set_idle_callback(d.server, on_idle, &d);

	taken = arg_listen ? 0 : take_passed_fds(&d);
	if (taken < 0) {
		k = taken;
		log_msg(LOG_ERR, "Cannot take the passed sockets: %s", strerror(-k));
		goto out;
	}
	d.socket_activated = taken > 0;
	if (!d.socket_activated) {
		k = listen_address(&d, arg_listen ? arg_listen : DEFAULT_ADDRESS);
		if (k < 0) {
			log_msg(LOG_ERR, "Cannot listen on %s: %s",
				arg_listen ? arg_listen : DEFAULT_ADDRESS, strerror(-k));
			goto out;
		}
	}

	k = streq(arg_sysroot, "/") ? setup_udev(&d) : setup_inotify(&d);
	if (k < 0)
		log_msg(LOG_WARNING, "Cannot watch for hotplug (changes need Rescan): %s",
			strerror(-k));

	(void)sd_notify(false, "READY=1");
	notify_status(&d);
	k = sd_event_loop(d.event);
	(void)sd_notify(false, "STOPPING=1");
out:
	monitor_free(d.monitor);
	vl_server_free(d.server);
	sd_event_source_disable_unref(d.udev_source);
	sd_event_source_disable_unref(d.inotify_source);
	sd_event_source_disable_unref(d.rescan_timer);
	if (d.inotify_fd >= 0)
		close(d.inotify_fd);
	udev_monitor_unref(d.udev_monitor);
	udev_unref(d.udev);
	iommucap_host_free(d.host);
	json_decref(d.doc);
	cache_clear(&d);
	iommucap_root_free(d.root);
	sd_event_unref(d.event);
	return k < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

const char *argp_program_version = PACKAGE_NAME " " PACKAGE_VERSION;
const char *argp_program_bug_address = PACKAGE_BUGREPORT;

enum {
	OPT_SYSROOT = 0x100,
	OPT_LISTEN,
	OPT_EXIT_ON_IDLE,
};

static const struct argp_option options[] = {
	{ "sysroot", OPT_SYSROOT, "DIR", 0, "read sys/, proc/ and dev/ under DIR instead of /", 0 },
	{ "listen", OPT_LISTEN, "ADDRESS", 0,
	  "listen on ADDRESS (unix:PATH) instead of the passed sockets or " DEFAULT_ADDRESS, 0 },
	{ "exit-on-idle", OPT_EXIT_ON_IDLE, NULL, 0,
	  "under socket activation, exit when the last client has gone", 0 },
	{ 0 }
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case OPT_SYSROOT:
		arg_sysroot = arg;
		break;
	case OPT_LISTEN:
		if (!startswith(arg, "unix:") || !arg[5])
			argp_error(state, "--listen takes unix:PATH, not '%s'", arg);
		arg_listen = arg;
		break;
	case OPT_EXIT_ON_IDLE:
		arg_exit_on_idle = true;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = {
	options,
	parse_opt,
	NULL,
	"Serve what the host's IOMMUs can do over varlink (interface io.iommucapd).\v"
	"Socket activation: the fd named \"varlink\" (listening or connected) is served. "
	"Exit status: 0 after SIGTERM, 1 on failure, 64 on usage errors.",
	NULL,
	NULL,
	NULL
};

int main(int argc, char **argv)
{
	argp_err_exit_status = 64;
	if (argp_parse(&argp, argc, argv, 0, NULL, NULL) != 0)
		return 64;
	return run();
}
