/* iommu-capd: answers what the host's IOMMUs can do over varlink, from memory, kept current. */
#include "config.h"

#include <argp.h>
#include <fcntl.h>
#include <libudev.h>
#include <malloc.h>
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
#include "lib/suggest.h"
#include "monitor.h"
#include "varlink/server.h"

#define DEFAULT_ADDRESS	  "unix:/run/iommu-capd/io.iommucapd"
#define RESCAN_DELAY_USEC (50 * 1000) /* events come in bursts: re-probe once per burst */

static const char *arg_sysroot = "/";
static const char *arg_listen;
static bool arg_exit_on_idle;

static const char *const REPLY_KEYS[] = {
	"host",
	"units",
	"devices",
	"groups",
	"unit_summaries",
	"unit_rows",
	"device_summaries",
	"warnings",
	"unit_rows_devices",
};

struct daemon {
	sd_event *event;
	struct vl_server *server;
	struct iommucap_root *root;
	/*
	 * The model is all the daemon keeps: replies are written from it member by member when
	 * asked, so a 1024-unit host (a 4 MB document, 50 MB as a jansson tree) costs only its
	 * model.
	 */
	struct iommucap_host *host;
	/*
	 * The replies of the methods without parameters, each written from the model when first
	 * asked and then kept until the model changes (REPLY_KEYS: GetHost, ListUnits, ListDevices,
	 * ListGroups, ListUnitSummaries, ListUnitRows, ListDeviceUnits, ListWarnings, and
	 * ListUnitRows with devices, what "iommuctl tree" asks for). Writing
	 * GetHost costs 0.3 ms on a small host and 140 ms on 1024 units: rewritten for every call,
	 * 64 clients asking over and over would keep a new client waiting for 64 of them; kept,
	 * each is a copy. ListUnitRows is written with each probe (what every "iommuctl show" asks
	 * for). A text is kept only up to TEXT_KEEP_MAX, and all of them up to TEXTS_KEEP_MAX:
	 * beyond, it is written again for each call. The 1024-unit host's first five are 8.6 MB;
	 * keeping all eight took the daemon from 12.8 to 21.9 MiB, 2 MiB in all keeps it at
	 * 14.7 MiB (bench/README.md, "Scale"), while GetHost there is written for each call.
	 */
	char *texts[ELEMENTSOF(REPLY_KEYS)];
	size_t texts_len;
	char *overlong; /* a reply text not kept, while it is answered */
	struct monitor *monitor;
	struct udev *udev;
	struct udev_monitor *udev_monitor;
	sd_event_source *udev_source, *inotify_source, *rescan_timer;
	int inotify_fd;
	int pci_watch, groups_watch, units_watch; /* sys/bus/pci/devices, sys/kernel/iommu_groups,
						      sys/class/iommu (--sysroot) */
	bool socket_activated;
	unsigned long long probes, updates;
	/* What changed since the last probe: these PCI devices, units and groups, or (full)
	 * anything else. */
	char **changed;
	size_t n_changed;
	char **changed_units;
	size_t n_changed_units;
	int *changed_groups;
	size_t n_changed_groups;
	bool full;
};

#define TEXT_KEEP_MAX  (2U * 1024 * 1024)
#define TEXTS_KEEP_MAX (2U * 1024 * 1024)

/* Devices, units or groups followed one by one; beyond, probe everything. */
#define CHANGED_MAX 64

#define REPLY_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII)

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

/*
 * Blocks of 64 KiB and more (a client's message, a reply's text, a probe's arrays) are mmap()ed
 * and go back to the system when freed, and the heap's top is returned at once: the resident
 * size follows what is held, not the peak of a GetHost, a probe or an attack (glibc's threshold
 * otherwise rises to 32 MiB as big blocks are freed, and they then stay in the heap). One
 * arena: the daemon has one thread.
 */
static void malloc_setup(void)
{
	(void)mallopt(M_MMAP_THRESHOLD, 64 * 1024);
	(void)mallopt(M_TRIM_THRESHOLD, 64 * 1024);
	(void)mallopt(M_ARENA_MAX, 1);
}

static void notify_status(struct daemon *d)
{
	(void)sd_notifyf(false, "STATUS=Serving %zu IOMMU units, %zu PCI devices, %zu groups",
			 d->host->n_units, d->host->n_devices, d->host->n_groups);
}

/* The probe's warnings as a JSON array. */
static int write_warnings(const struct iommucap_host *h, FILE *f)
{
	json_t *w = json_array();
	int k = w ? 0 : -ENOMEM;

	for (size_t i = 0; k >= 0 && i < h->n_warnings; i++)
		if (json_array_append_new(w, json_string(h->warnings[i])) < 0)
			k = -ENOMEM;
	if (k >= 0 && json_dumpf(w, f, REPLY_FLAGS) < 0)
		k = -ENOMEM;
	json_decref(w);
	return k;
}

/*
 * {"KEY": the host document or one of its arrays}, written from the model; for the unit
 * summaries, {"units": [...], "warnings": [...]}; for the unit rows, {"capability_sets": [...],
 * "units": [...], "warnings": [...]} (with each unit's "devices" for unit_rows_devices); for
 * the device summaries, {"devices": [...]}; for the
 * warnings, {"warnings": [...]}.
 */
static int write_reply(const struct iommucap_host *h, const char *key, char **ret)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	bool devices = streq(key, "unit_rows_devices"), rows = devices || streq(key, "unit_rows"),
	     warnings = streq(key, "warnings"),
	     with_warnings = rows || streq(key, "unit_summaries");
	const char *name = streq(key, "unit_summaries")	    ? "units"
			   : streq(key, "device_summaries") ? "devices"
							    : key;
	int k;

	if (!f)
		return -ENOMEM;
	k = fputc('{', f) == EOF || (!rows && !warnings && fprintf(f, "\"%s\":", name) < 0)
		    ? -ENOMEM
		    : 0;
	if (k >= 0 && !warnings)
		k = rows		 ? iommucap_host_write_unit_rows(h, devices, f, REPLY_FLAGS)
		    : streq(key, "host") ? iommucap_host_write_json(h, f, REPLY_FLAGS)
					 : iommucap_host_write_array(h, key, f, REPLY_FLAGS);
	if (k >= 0 && (with_warnings || warnings) &&
	    fputs(with_warnings ? ",\"warnings\":" : "\"warnings\":", f) == EOF)
		k = -ENOMEM;
	if (k >= 0 && (with_warnings || warnings))
		k = write_warnings(h, f);
	if (k >= 0 && fputc('}', f) == EOF)
		k = -ENOMEM;
	if (fclose(f) != 0 && k >= 0)
		k = -ENOMEM;
	if (k < 0)
		return k;
	*ret = TAKE_PTR(text);
	return 0;
}

/*
 * Both documents only while they are compared, and only when somebody listens: the diff is the
 * one place that needs trees.
 */
static void emit_changes(struct daemon *d, const struct iommucap_host *old,
			 const struct iommucap_host *new)
{
	json_t *old_doc = NULL, *new_doc = NULL;

	if (monitor_subscribers(d->monitor) == 0)
		return;
	if (iommucap_host_to_json(old, &old_doc) < 0 || iommucap_host_to_json(new, &new_doc) < 0)
		log_msg(LOG_ERR, "Cannot tell monitors what changed: %s", strerror(ENOMEM));
	else
		monitor_emit_changes(d->monitor, old_doc, new_doc);
	json_decref(old_doc);
	json_decref(new_doc);
}

static void forget_texts(struct daemon *d)
{
	for (size_t i = 0; i < ELEMENTSOF(d->texts); i++) {
		free(d->texts[i]);
		d->texts[i] = NULL;
	}
	d->texts_len = 0;
}

/* The reply of a method without parameters (REPLY_KEYS), written when first needed. */
static const char *reply_text(struct daemon *d, const char *key)
{
	for (size_t i = 0; i < ELEMENTSOF(REPLY_KEYS); i++) {
		char *text = NULL;

		if (!streq(REPLY_KEYS[i], key))
			continue;
		if (d->texts[i])
			return d->texts[i];
		if (write_reply(d->host, key, &text) < 0)
			return NULL;
		if (strlen(text) <= TEXT_KEEP_MAX &&
		    d->texts_len + strlen(text) <= TEXTS_KEEP_MAX) {
			d->texts_len += strlen(text);
			return d->texts[i] = text;
		}
		d->overlong = text; /* freed after the reply */
		return text;
	}
	return NULL;
}

static void forget_changes(struct daemon *d)
{
	for (size_t i = 0; i < d->n_changed; i++)
		free(d->changed[i]);
	free(d->changed);
	d->changed = NULL;
	for (size_t i = 0; i < d->n_changed_units; i++)
		free(d->changed_units[i]);
	free(d->changed_units);
	d->changed_units = NULL;
	d->n_changed_units = 0;
	free(d->changed_groups);
	d->changed_groups = NULL;
	d->n_changed_groups = 0;
	d->n_changed = 0;
	d->full = false;
}

/* Add name to the list (once); too many, or no memory: probe everything. */
static void note_name(struct daemon *d, char ***list, size_t *n, const char *name)
{
	char *copy, **v;

	if (d->full)
		return;
	if (*n >= CHANGED_MAX) {
		d->full = true;
		return;
	}
	for (size_t i = 0; i < *n; i++)
		if (streq((*list)[i], name))
			return;
	copy = strdup(name);
	v = copy ? realloc(*list, (*n + 1) * sizeof(*v)) : NULL;
	if (!v) {
		free(copy);
		d->full = true;
		return;
	}
	*list = v;
	v[(*n)++] = copy;
}

/* A uevent or inotify event about one PCI device; NULL: about anything else. */
static void note_change(struct daemon *d, const char *device)
{
	if (!device)
		d->full = true;
	else
		note_name(d, &d->changed, &d->n_changed, device);
}

/* An IOMMU unit's class device came, went or changed ("iommu" uevent, sys/class/iommu entry). */
static void note_unit_change(struct daemon *d, const char *name)
{
	if (!name)
		d->full = true;
	else
		note_name(d, &d->changed_units, &d->n_changed_units, name);
}

/* A group directory came or went (--sysroot). */
static void note_group_change(struct daemon *d, const char *name)
{
	char *end;
	long id;
	int *v;

	errno = 0;
	id = strtol(name, &end, 10);
	if (d->full || errno || *end || end == name || id < 0 || id > INT32_MAX ||
	    d->n_changed_groups >= CHANGED_MAX) {
		d->full = true;
		return;
	}
	for (size_t i = 0; i < d->n_changed_groups; i++)
		if (d->changed_groups[i] == (int)id)
			return;
	v = realloc(d->changed_groups, (d->n_changed_groups + 1) * sizeof(*v));
	if (!v) {
		d->full = true;
		return;
	}
	d->changed_groups = v;
	v[d->n_changed_groups++] = (int)id;
}

static int full_probe(struct daemon *d);

/*
 * Testing aid (IOMMU_CAPD_VERIFY_UPDATES=1): after each update, probe everything and compare. A
 * difference is a bug, logged, and the full probe's model is kept.
 */
static void verify_update(struct daemon *d)
{
	struct iommucap_host *h = NULL;
	json_t *a = NULL, *b = NULL;

	if (iommucap_probe(d->root, &h) < 0 || iommucap_host_to_json(d->host, &a) < 0 ||
	    iommucap_host_to_json(h, &b) < 0) {
		log_msg(LOG_ERR, "Cannot verify the update: %s", strerror(ENOMEM));
	} else {
		json_object_del(a, "generated_at");
		json_object_del(b, "generated_at");
		if (!json_equal(a, b)) {
			log_msg(LOG_ERR, "BUG: the updated model differs from a full probe");
			iommucap_host_free(d->host);
			d->host = TAKE_PTR(h);
		} else
			log_msg(LOG_DEBUG,
				"Update %llu of %zu devices, %zu units, %zu groups: the same as a "
				"full probe",
				d->updates, d->n_changed, d->n_changed_units, d->n_changed_groups);
	}
	json_decref(a);
	json_decref(b);
	iommucap_host_free(h);
}

/*
 * Only some PCI devices, units or groups changed: read them (and what they list or are in)
 * again and patch the model (iommucap_host_update); the events come from what it touched, not
 * from two whole documents. -EAGAIN when the change is not one it can follow.
 */
static int update(struct daemon *d)
{
	json_t *before = NULL, *after = NULL;
	bool listening = monitor_subscribers(d->monitor) > 0;
	const struct iommucap_change c = {
		.devices = d->changed,
		.n_devices = d->n_changed,
		.units = d->changed_units,
		.n_units = d->n_changed_units,
		.groups = d->changed_groups,
		.n_groups = d->n_changed_groups,
	};
	int k = iommucap_host_update(d->root, d->host, &c, listening ? &before : NULL,
				     listening ? &after : NULL);

	if (k < 0)
		return k;
	d->updates++;
	/* Before the events: a test that waits for them then finds the comparison made. */
	if (secure_getenv("IOMMU_CAPD_VERIFY_UPDATES"))
		verify_update(d);
	if (listening)
		monitor_emit_changes(d->monitor, before, after);
	json_decref(before);
	json_decref(after);
	/* Written again when next asked for: a change costs no walk of every unit. */
	forget_texts(d);
	notify_status(d);
	return 0;
}

/* Follow what changed: those entries alone when that is all, else probe everything. */
static int reprobe(struct daemon *d)
{
	int k = -EAGAIN;

	if (d->host && !d->full && d->n_changed + d->n_changed_units + d->n_changed_groups > 0)
		k = update(d);
	if (k < 0 && k != -EAGAIN)
		log_msg(LOG_WARNING,
			"Following the change of %zu devices, %zu units and %zu groups failed: %s; "
			"probing all",
			d->n_changed, d->n_changed_units, d->n_changed_groups, strerror(-k));
	forget_changes(d);
	return k < 0 ? full_probe(d) : 0;
}

/* Probe again and tell subscribers what changed. The old model serves until the new one is made. */
static int full_probe(struct daemon *d)
{
	struct iommucap_host *h;
	int k = iommucap_probe(d->root, &h);

	if (k < 0) {
		log_msg(LOG_ERR, "Probing %s failed: %s", arg_sysroot, strerror(-k));
		return k;
	}
	d->probes++;
	if (d->host)
		emit_changes(d, d->host, h);
	for (size_t i = 0; i < h->n_warnings && !d->host; i++)
		log_msg(LOG_WARNING, "%s", h->warnings[i]);
	iommucap_host_free(d->host);
	d->host = h;
	forget_texts(d);
	/* Written now rather than on the first "iommuctl show" (100 ms on 1024 units); if this
	 * fails, the first ListUnitRows tries again. */
	(void)reply_text(d, "unit_rows");
	(void)malloc_trim(0); /* the probe's transient blocks */
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

static int reply_written(struct vl_call *call, struct daemon *d, const char *key)
{
	const char *text = reply_text(d, key);
	int k = text ? vl_call_reply_text(call, text) : -ENOMEM;

	free(d->overlong);
	d->overlong = NULL;
	return k;
}

static int vl_method_list_unit_summaries(struct vl_call *call, json_t *params, void *userdata)
{
	return reply_written(call, userdata, "unit_summaries");
}

static int vl_method_list_unit_rows(struct vl_call *call, json_t *params, void *userdata)
{
	return reply_written(call, userdata,
			     json_is_true(json_object_get(params, "devices")) ? "unit_rows_devices"
									      : "unit_rows");
}

static int vl_method_list_device_units(struct vl_call *call, json_t *params, void *userdata)
{
	return reply_written(call, userdata, "device_summaries");
}

static int vl_method_list_warnings(struct vl_call *call, json_t *params, void *userdata)
{
	return reply_written(call, userdata, "warnings");
}

static int vl_method_get_host(struct vl_call *call, json_t *params, void *userdata)
{
	return reply_written(call, userdata, "host");
}

/*
 * ListUnits, ListDevices and ListGroups with "more": one element a reply, in the model's order,
 * the last one final (an empty list: one final reply without an element). A list over the
 * message limit is so had in parts. The stream goes on as the client reads (no more than
 * VL_BACKLOG_MAX unsent at a time), and follows the model as it changes meanwhile: the next
 * element is the first after the last one sent, by its identity (then the final reply may come
 * without an element).
 */
struct stream {
	struct daemon *d;
	struct vl_call *call;
	enum iommucap_host_array array;
	char *last; /* the last unit's name or device's address sent */
	int last_group;
	bool started, busy, gone;
	bool host;	/* StreamHost: the head, then every array in turn, an element a piece */
	bool head_sent; /* (StreamHost) */
};

static void stream_free(struct stream *s)
{
	vl_call_set_gone_callback(s->call, NULL, NULL);
	vl_call_set_drain_callback(s->call, NULL, NULL);
	vl_call_unref(s->call);
	free(s->last);
	free(s);
}

/* The index of the first element after the last one sent (h's arrays are sorted). */
static size_t stream_next(const struct stream *s, const struct iommucap_host *h, size_t *ret_n)
{
	size_t lo = 0, hi;

	*ret_n = hi = s->array == IOMMUCAP_HOST_UNITS	  ? h->n_units
		      : s->array == IOMMUCAP_HOST_DEVICES ? h->n_devices
							  : h->n_groups;
	if (!s->started)
		return 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		bool after = s->array == IOMMUCAP_HOST_UNITS
				     ? strverscmp(h->units[mid].name, s->last) > 0
			     : s->array == IOMMUCAP_HOST_DEVICES
				     ? strcmp(h->devices[mid].address, s->last) > 0
				     : h->groups[mid].id > s->last_group;

		if (after)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* Element i as JSON, remembered as the last one sent. */
static int stream_element(struct stream *s, const struct iommucap_host *h, size_t i, json_t **ret)
{
	const char *name = NULL;
	int k;

	if (s->array == IOMMUCAP_HOST_UNITS) {
		name = h->units[i].name;
		k = iommucap_unit_to_json(&h->units[i], ret);
	} else if (s->array == IOMMUCAP_HOST_DEVICES) {
		name = h->devices[i].address;
		k = iommucap_device_to_json(&h->devices[i], ret);
	} else {
		s->last_group = h->groups[i].id;
		k = iommucap_group_to_json(&h->groups[i], ret);
	}
	if (k >= 0 && name) {
		free(s->last);
		s->last = strdup(name);
		if (!s->last)
			k = -ENOMEM;
	}
	s->started = true;
	return k;
}

/* The number of elements of an array. */
static size_t array_size(const struct iommucap_host *h, enum iommucap_host_array a)
{
	return a == IOMMUCAP_HOST_UNITS	    ? h->n_units
	       : a == IOMMUCAP_HOST_DEVICES ? h->n_devices
					    : h->n_groups;
}

/* StreamHost's first piece: the head and the warnings. */
static int host_head_piece(const struct iommucap_host *h, json_t **ret)
{
	json_t *head = NULL, *w = json_array();
	int k = w ? iommucap_host_head_to_json(h, &head) : -ENOMEM;

	for (size_t i = 0; k >= 0 && i < h->n_warnings; i++)
		if (json_array_append_new(w, json_string(h->warnings[i])) < 0)
			k = -ENOMEM;
	*ret = k >= 0 ? json_pack("{s:o, s:o}", "head", head, "warnings", w) : NULL;
	if (k < 0) {
		json_decref(head);
		json_decref(w);
	}
	return *ret ? 0 : -ENOMEM;
}

/*
 * The next piece: (StreamHost) the head, else the element after the last one sent, as
 * {"units":[e]} for a list or {"unit":e} for StreamHost; *ret_last when nothing follows it in the
 * model as it is now. Past the end, the final reply without an element ({"units":[]}, or {}).
 */
static int stream_piece(struct stream *s, json_t **ret, bool *ret_last)
{
	static const char *const piece_keys[_IOMMUCAP_HOST_ARRAY_MAX] = {
		[IOMMUCAP_HOST_UNITS] = "unit",
		[IOMMUCAP_HOST_GROUPS] = "group",
		[IOMMUCAP_HOST_DEVICES] = "device",
	};
	const struct iommucap_host *h = s->d->host;
	size_t n, i;
	json_t *e = NULL;
	bool rest_empty = true;

	if (s->host && !s->head_sent) {
		s->head_sent = true;
		for (int a = 0; a < _IOMMUCAP_HOST_ARRAY_MAX; a++)
			rest_empty = rest_empty && array_size(h, (enum iommucap_host_array)a) == 0;
		*ret_last = rest_empty;
		return host_head_piece(h, ret);
	}
	/* StreamHost: an array sent in full is followed by the next one. */
	while ((i = stream_next(s, h, &n)) >= n && s->host &&
	       s->array + 1 < _IOMMUCAP_HOST_ARRAY_MAX) {
		s->array++;
		s->started = false;
	}
	for (int a = s->array + 1; s->host && a < _IOMMUCAP_HOST_ARRAY_MAX; a++)
		rest_empty = rest_empty && array_size(h, (enum iommucap_host_array)a) == 0;
	*ret_last = i + 1 >= n && rest_empty;
	if (i >= n) {
		*ret = s->host ? json_object()
			       : json_pack("{s:[]}", iommucap_host_array_key(s->array));
		return *ret ? 0 : -ENOMEM;
	}
	if (stream_element(s, h, i, &e) < 0) {
		json_decref(e);
		return -ENOMEM;
	}
	*ret = s->host ? json_pack("{s:o}", piece_keys[s->array], e)
		       : json_pack("{s:[o]}", iommucap_host_array_key(s->array), e);
	return *ret ? 0 : -ENOMEM;
}

/* The next piece sent; false once the stream has ended. */
static bool stream_one(struct stream *s)
{
	json_t *piece = NULL;
	bool last = false;
	int k = stream_piece(s, &piece, &last);

	if (k < 0) {
		(void)vl_call_error(s->call, "io.systemd.System", json_pack("{s:i}", "errno", -k));
		return false;
	}
	if (last) {
		(void)vl_call_reply(s->call, piece);
		return false;
	}
	/* A failure: the connection is closed, gone. */
	return vl_call_notify(s->call, piece) >= 0;
}

/*
 * Send what the client has room for; the final reply ends the stream. The pieces are written a
 * batch at a time (up to VL_BACKLOG_MAX), not a write and a wake-up of the client for each:
 * "iommuctl tree" reads 8 000 of them on 1024 units. When the client has taken a whole batch, no
 * EPOLLOUT comes to call stream_drain() again: the next batch is made here.
 */
static void stream_more(struct stream *s)
{
	bool more = true;

	s->busy = true;
	while (!s->gone && more && vl_call_unsent(s->call) <= VL_BACKLOG_MAX) {
		vl_call_cork(s->call, true);
		while (!s->gone && more && vl_call_unsent(s->call) <= VL_BACKLOG_MAX)
			more = stream_one(s);
		if (vl_call_cork(s->call, false) < 0)
			more = false; /* the connection is closed: gone */
	}
	s->busy = false;
	if (!more || s->gone)
		stream_free(s);
}

static void stream_drain(struct vl_call *call, void *userdata)
{
	stream_more(userdata);
}

static void stream_gone(struct vl_call *call, void *userdata)
{
	struct stream *s = userdata;

	s->gone = true;
	if (!s->busy)
		stream_free(s);
}

static int stream_start(struct vl_call *call, struct daemon *d, enum iommucap_host_array array,
			bool host)
{
	struct stream *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	*s = (struct stream){ .d = d, .call = vl_call_ref(call), .array = array, .host = host };
	vl_call_set_gone_callback(call, stream_gone, s);
	vl_call_set_drain_callback(call, stream_drain, s);
	stream_more(s);
	return 0;
}

static int list_method(struct vl_call *call, struct daemon *d, enum iommucap_host_array array)
{
	if (!vl_call_more(call) || vl_call_oneway(call))
		return reply_written(call, d, iommucap_host_array_key(array));
	return stream_start(call, d, array, false);
}

static int vl_method_list_units(struct vl_call *call, json_t *params, void *userdata)
{
	return list_method(call, userdata, IOMMUCAP_HOST_UNITS);
}

static int vl_method_list_devices(struct vl_call *call, json_t *params, void *userdata)
{
	return list_method(call, userdata, IOMMUCAP_HOST_DEVICES);
}

static int vl_method_list_groups(struct vl_call *call, json_t *params, void *userdata)
{
	return list_method(call, userdata, IOMMUCAP_HOST_GROUPS);
}

/* {"KEY": one element} (a tree of one unit or device is small). */
static int reply_one(struct vl_call *call, const char *key, json_t *v)
{
	return v ? vl_call_reply(call, json_pack("{s:o}", key, v)) : -ENOMEM;
}

static int vl_method_get_unit(struct vl_call *call, json_t *params, void *userdata)
{
	struct daemon *d = userdata;
	const char *name = json_string_value(json_object_get(params, "name"));
	const struct iommucap_unit *u = name ? iommucap_host_find_unit(d->host, name) : NULL;
	json_t *v = NULL;

	if (!u)
		return vl_call_error(call, "io.iommucapd.NoSuchUnit",
				     json_pack("{s:s}", "name", name));
	return reply_one(call, "unit", iommucap_unit_to_json(u, &v) < 0 ? NULL : v);
}

static int vl_method_get_device(struct vl_call *call, json_t *params, void *userdata)
{
	struct daemon *d = userdata;
	const char *address = json_string_value(json_object_get(params, "address"));
	json_t *v = NULL;

	for (size_t i = 0; address && i < d->host->n_devices; i++)
		if (streq(d->host->devices[i].address, address))
			return reply_one(
				call, "device",
				iommucap_device_to_json(&d->host->devices[i], &v) < 0 ? NULL : v);
	return vl_call_error(call, "io.iommucapd.NoSuchDevice",
			     json_pack("{s:s}", "address", address));
}

/*
 * The head and the warnings, then each unit, group and device, one reply each, in the
 * document's order: never more than one element is a tree, and no reply nears the message limit
 * however large the host. Sent as the client reads, following the model as it changes meanwhile
 * (as ListUnits with more): the final reply may then hold nothing.
 */
static int vl_method_stream_host(struct vl_call *call, json_t *params, void *userdata)
{
	return stream_start(call, userdata, IOMMUCAP_HOST_UNITS, true);
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
	note_change(d, NULL); /* asked for: everything */
	if (reprobe(d) < 0)
		return -EIO;
	return vl_call_reply(call, NULL);
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
		k = iommucap_compat_values_wire(result, true);
	iommucap_compat_free(c);
	iommucap_requirement_free(req);
	if (k < 0) {
		json_decref(result);
		return k;
	}
	return vl_call_reply(call, result);
}

static int vl_method_suggest(struct vl_call *call, json_t *params, void *userdata)
{
	struct daemon *d = userdata;
	_cleanup_free_ char *error = NULL;
	json_t *device = json_object_get(params, "device"),
	       *model = json_object_get(params, "model");
	json_t *result = NULL;
	int k = iommucap_suggest(d->host, json_string_value(device), json_string_value(model),
				 json_is_true(json_object_get(params, "migratable")), &result,
				 &error);

	if (k == -EINVAL)
		return vl_call_error(call, "org.varlink.service.InvalidParameter",
				     json_pack("{s:s}", "parameter", "model"));
	if (k == -ENOENT)
		return vl_call_error(
			call, "io.iommucapd.NoSuggestion",
			json_pack("{s:s}", "message", error ?: "nothing is compatible"));
	if (k < 0)
		return k;
	return vl_call_reply(call, result);
}

static const struct vl_method methods[] = {
	{ "GetHost", vl_method_get_host },
	{ "ListUnits", vl_method_list_units },
	{ "GetUnit", vl_method_get_unit },
	{ "ListUnitSummaries", vl_method_list_unit_summaries },
	{ "ListUnitRows", vl_method_list_unit_rows },
	{ "ListDeviceUnits", vl_method_list_device_units },
	{ "ListWarnings", vl_method_list_warnings },
	{ "StreamHost", vl_method_stream_host },
	{ "ListDevices", vl_method_list_devices },
	{ "GetDevice", vl_method_get_device },
	{ "ListGroups", vl_method_list_groups },
	{ "Monitor", vl_method_monitor },
	{ "Rescan", vl_method_rescan },
	{ "Check", vl_method_check },
	{ "Suggest", vl_method_suggest },
};

/* ---- change sources ---------------------------------------------------------------------- */

static int udev_handler(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct daemon *d = userdata;
	struct udev_device *dev;

	/*
	 * Drain; a PCI device's event is followed for that device, an IOMMU unit's ("iommu": its
	 * class device, iommu_device_sysfs_add()) for that unit, any other by a full probe.
	 */
	while ((dev = udev_monitor_receive_device(d->udev_monitor))) {
		const char *action = udev_device_get_action(dev);
		const char *subsystem = udev_device_get_subsystem(dev);

		if (action &&
		    (streq(action, "add") || streq(action, "remove") || streq(action, "change") ||
		     streq(action, "bind") || streq(action, "unbind"))) {
			if (subsystem && streq(subsystem, "pci"))
				note_change(d, udev_device_get_sysname(dev));
			else if (subsystem && streq(subsystem, "iommu"))
				note_unit_change(d, udev_device_get_sysname(dev));
			else
				note_change(d, NULL);
			schedule_rescan(d);
		}
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
	ssize_t n;

	/* An entry of sys/bus/pci/devices, sys/class/iommu or sys/kernel/iommu_groups is that
	 * device, unit or group; anything else (or an overflow): all. */
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			bool entry = ev->len > 0 &&
				     !(ev->mask & (IN_Q_OVERFLOW | IN_DELETE_SELF | IN_IGNORED));

			if (entry && ev->wd == d->pci_watch && !(ev->mask & IN_ISDIR))
				note_change(d, ev->name);
			else if (entry && ev->wd == d->groups_watch)
				note_group_change(d, ev->name);
			else if (entry && ev->wd == d->units_watch)
				note_unit_change(d, ev->name);
			else
				note_change(d, NULL);
			p += sizeof(*ev) + ev->len;
		}
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

		int wd;

		snprintf(path, sizeof(path), "%s/%s", arg_sysroot, dirs[i]);
		wd = inotify_add_watch(d->inotify_fd, path, mask);
		if (wd < 0 && errno != ENOENT)
			log_msg(LOG_WARNING, "Cannot watch %s: %s", path, strerror(errno));
		if (streq(dirs[i], "sys/bus/pci/devices"))
			d->pci_watch = wd;
		else if (streq(dirs[i], "sys/kernel/iommu_groups"))
			d->groups_watch = wd;
		else
			d->units_watch = wd;
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

/*
 * Testing aid (IOMMU_CAPD_REPLY_MAX=BYTES): a reply longer than BYTES, not 16 MiB, is
 * ReplyTooLarge, so that a small host shows how clients get a list in parts.
 */
static int set_reply_max(struct vl_server *server)
{
	const char *v = secure_getenv("IOMMU_CAPD_REPLY_MAX");
	unsigned long long max;
	char *end;

	if (!v)
		return 0;
	errno = 0;
	max = strtoull(v, &end, 10);
	if (errno || end == v || *end || max == 0 || v[0] == '-') {
		log_msg(LOG_ERR, "IOMMU_CAPD_REPLY_MAX=%s is not a number of bytes", v);
		return -EINVAL;
	}
	vl_server_set_reply_max(server, max > SIZE_MAX ? SIZE_MAX : (size_t)max);
	return 0;
}

static int run(void)
{
	struct daemon d = {
		.inotify_fd = -1, .pci_watch = -1, .groups_watch = -1, .units_watch = -1
	};
	int k, taken;

	raise_fd_limit();
	malloc_setup();
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
					 &d)) < 0 ||
	    (k = vl_server_set_reply_too_large_error(d.server, "io.iommucapd.ReplyTooLarge")) < 0) {
		log_msg(LOG_ERR, "Cannot set up the varlink server: %s", strerror(-k));
		goto out;
	}
	k = set_reply_max(d.server);
	if (k < 0)
		goto out;
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
	forget_changes(&d);
	iommucap_host_free(d.host);
	forget_texts(&d);
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
