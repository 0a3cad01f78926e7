/* Monitor subscribers and the events that tell them what changed between two host documents. */
#include "config.h"

#include "lib/iommucap.h"
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

/*
 * An entry's identity: a unit's name, a device's address, a group's id (an integer). Kept as
 * is, so that comparing two costs no formatting; integers sort before strings.
 */
struct entry {
	json_t *e;
	const char *s; /* NULL for an integer key */
	json_int_t i;
};

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (!x->s != !y->s)
		return x->s ? 1 : -1;
	if (!x->s)
		return (x->i > y->i) - (x->i < y->i);
	return strcmp(x->s, y->s);
}

static struct entry entry_of(json_t *e, const char *key)
{
	json_t *k = json_object_get(e, key);

	if (json_is_integer(k))
		return (struct entry){ .e = e, .i = json_integer_value(k) };
	return (struct entry){ .e = e, .s = json_string_value(k) ?: "" };
}

/* The array's entries keyed and sorted, so that each lookup is a binary search. */
static struct entry *entries_sorted(json_t *array, const char *key, size_t *ret_n)
{
	size_t n = json_array_size(array), i;
	struct entry *v = calloc(n ? n : 1, sizeof(*v));
	json_t *e;

	if (!v)
		return NULL;
	json_array_foreach (array, i, e)
		v[i] = entry_of(e, key);
	if (n > 1)
		qsort_safe(v, n, sizeof(*v), cmp_entry);
	*ret_n = n;
	return v;
}

static json_t *find(const struct entry *sorted, size_t n, const struct entry *key)
{
	const struct entry *hit = bsearch_safe(key, sorted, n, sizeof(*sorted), cmp_entry);

	return hit ? hit->e : NULL;
}

static int add_event(json_t *out, const char *kind, const char *action, const struct entry *key,
		     json_t *state)
{
	char buf[32];
	json_t *ev;

	if (!key->s)
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, key->i);
	ev = json_pack("{s:s, s:s, s:s}", "kind", kind, "action", action, "name",
		       key->s ? key->s : buf);
	if (!ev)
		return -ENOMEM;
	if (state && json_object_set(ev, kind, state) < 0) {
		json_decref(ev);
		return -ENOMEM;
	}
	return json_array_append_new(out, ev) < 0 ? -ENOMEM : 0;
}

/* O(n log n): both sides sorted once, each entry looked up by binary search. */
static int diff_array(json_t *out, const char *kind, const char *key, json_t *old, json_t *new)
{
	_cleanup_free_ struct entry *olds = NULL, *news = NULL;
	size_t n_old = 0, n_new = 0, i;
	json_t *e;
	int k = 0;

	olds = entries_sorted(old, key, &n_old);
	news = entries_sorted(new, key, &n_new);
	if (!olds || !news)
		return -ENOMEM;
	json_array_foreach (old, i, e) {
		struct entry me = entry_of(e, key);
		json_t *now = find(news, n_new, &me);

		if (!now)
			k = add_event(out, kind, "removed", &me, NULL);
		else if (!json_equal(e, now))
			k = add_event(out, kind, "changed", &me, now);
		if (k < 0)
			return k;
	}
	json_array_foreach (new, i, e) {
		struct entry me = entry_of(e, key);

		if (!find(olds, n_old, &me) && (k = add_event(out, kind, "added", &me, e)) < 0)
			return k;
	}
	return 0;
}

json_t *monitor_diff(json_t *old_doc, json_t *new_doc)
{
	/* The Event kind of each array of the document (the interface's), in the order sent. */
	static const struct {
		enum iommucap_host_array array;
		const char *kind;
	} sets[] = {
		{ IOMMUCAP_HOST_UNITS, "unit" },
		{ IOMMUCAP_HOST_DEVICES, "device" },
		{ IOMMUCAP_HOST_GROUPS, "group" },
	};
	json_t *out = json_array();

	for (size_t i = 0; out && i < ELEMENTSOF(sets); i++) {
		const char *member = iommucap_host_array_key(sets[i].array);

		if (diff_array(out, sets[i].kind, iommucap_host_array_identity(sets[i].array),
			       json_object_get(old_doc, member),
			       json_object_get(new_doc, member)) < 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

void monitor_emit_changes(struct monitor *m, json_t *old_doc, json_t *new_doc)
{
	_cleanup_free_ struct vl_call **calls = NULL;
	size_t n = m->n, i;
	json_t *events, *ev;

	if (!n)
		return;
	/*
	 * The subscribers as they are now, each held: writing to one may close others (a write
	 * error, or the memory budget shedding the largest connection), which leave the list.
	 */
	calls = calloc(n, sizeof(*calls));
	if (!calls)
		return;
	for (size_t s = 0; s < n; s++)
		calls[s] = vl_call_ref(m->calls[s]);
	events = monitor_diff(old_doc, new_doc);
	json_array_foreach (events, i, ev)
		for (size_t s = 0; s < n; s++)
			if (!vl_call_answered(calls[s]))
				(void)vl_call_notify(calls[s], json_pack("{s:O}", "event", ev));
	json_decref(events);
	for (size_t s = 0; s < n; s++)
		vl_call_unref(calls[s]);
}
