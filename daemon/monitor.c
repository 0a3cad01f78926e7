/* Monitor subscribers and the events that tell them what changed between two host documents. */
#include "config.h"

#include "lib/macro.h"
#include "monitor.h"

struct monitor {
	struct vl_call **calls;
	size_t n, cap;
};

int monitor_new(struct monitor **ret)
{
	*ret = calloc(1, sizeof(**ret));
	return *ret ? 0 : -ENOMEM;
}

static void drop(struct monitor *m, size_t i)
{
	vl_call_set_gone_callback(m->calls[i], NULL, NULL);
	vl_call_unref(m->calls[i]);
	m->calls[i] = m->calls[--m->n];
}

void monitor_free(struct monitor *m)
{
	if (!m)
		return;
	while (m->n)
		drop(m, m->n - 1);
	free(m->calls);
	free(m);
}

static void gone(struct vl_call *call, void *userdata)
{
	struct monitor *m = userdata;

	for (size_t i = 0; i < m->n; i++)
		if (m->calls[i] == call) {
			drop(m, i);
			return;
		}
}

int monitor_subscribe(struct monitor *m, struct vl_call *call)
{
	if (vl_call_oneway(call))
		return 0; /* nobody to tell */
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 8;
		struct vl_call **n = realloc(m->calls, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		m->calls = n;
		m->cap = cap;
	}
	m->calls[m->n++] = vl_call_ref(call);
	vl_call_set_gone_callback(call, gone, m);
	return 0;
}

size_t monitor_subscribers(const struct monitor *m)
{
	return m ? m->n : 0;
}

static const char *key_of(json_t *e, const char *key, char *buf, size_t len)
{
	json_t *v = json_object_get(e, key);

	if (json_is_integer(v)) {
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return buf;
	}
	return json_string_value(v) ?: "";
}

static json_t *find(json_t *array, const char *key, const char *name)
{
	char buf[32];
	size_t i;
	json_t *e;

	json_array_foreach (array, i, e) {
		if (streq(key_of(e, key, buf, sizeof(buf)), name))
			return e;
	}
	return NULL;
}

static int add_event(json_t *out, const char *kind, const char *action, const char *name,
		     json_t *state)
{
	json_t *ev = json_pack("{s:s, s:s, s:s}", "kind", kind, "action", action, "name", name);

	if (!ev)
		return -ENOMEM;
	if (state && json_object_set(ev, kind, state) < 0) {
		json_decref(ev);
		return -ENOMEM;
	}
	return json_array_append_new(out, ev) < 0 ? -ENOMEM : 0;
}

static int diff_array(json_t *out, const char *kind, const char *key, json_t *old, json_t *new)
{
	char buf[32];
	size_t i;
	json_t *e;
	int k = 0;

	json_array_foreach (old, i, e) {
		const char *name = key_of(e, key, buf, sizeof(buf));
		json_t *now = find(new, key, name);

		if (!now)
			k = add_event(out, kind, "removed", name, NULL);
		else if (!json_equal(e, now))
			k = add_event(out, kind, "changed", name, now);
		if (k < 0)
			return k;
	}
	json_array_foreach (new, i, e) {
		const char *name = key_of(e, key, buf, sizeof(buf));

		if (!find(old, key, name) && (k = add_event(out, kind, "added", name, e)) < 0)
			return k;
	}
	return 0;
}

json_t *monitor_diff(json_t *old_doc, json_t *new_doc)
{
	static const struct {
		const char *member, *kind, *key;
	} sets[] = {
		{ "units", "unit", "name" },
		{ "devices", "device", "address" },
		{ "groups", "group", "id" },
	};
	json_t *out = json_array();

	for (size_t i = 0; out && i < ELEMENTSOF(sets); i++)
		if (diff_array(out, sets[i].kind, sets[i].key,
			       json_object_get(old_doc, sets[i].member),
			       json_object_get(new_doc, sets[i].member)) < 0) {
			json_decref(out);
			return NULL;
		}
	return out;
}

void monitor_emit_changes(struct monitor *m, json_t *old_doc, json_t *new_doc)
{
	json_t *events;
	size_t i;
	json_t *ev;

	if (!m->n)
		return;
	events = monitor_diff(old_doc, new_doc);
	json_array_foreach (events, i, ev) {
		/* A subscriber whose connection fails drops out of the list as we go. */
		for (size_t s = 0; s < m->n;) {
			struct vl_call *call = vl_call_ref(m->calls[s]);
			size_t before = m->n;

			(void)vl_call_notify(call, json_pack("{s:O}", "event", ev));
			vl_call_unref(call);
			if (m->n == before)
				s++;
		}
	}
	json_decref(events);
}
