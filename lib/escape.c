/* Strings from the tree are bytes: what is not UTF-8 is kept, shown as \xHH (as util-linux). */
#include "config.h"

#include <stdarg.h>

#include "model.h"
#include "sysfs.h"

/*
 * The length of the well-formed UTF-8 sequence at p (RFC 3629, Table 3-7 of Unicode 15: no
 * overlong forms, no surrogates, nothing above U+10FFFF; what jansson accepts), 0 if there is none.
 */
size_t utf8_sequence_len(const unsigned char *p)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;
		else if (p[0] == 0xed)
			hi = 0x9f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

/*
 * s with each byte that is not part of well-formed UTF-8 written as \xHH, and a backslash that
 * comes before an "x" as \x5c, so that an escape can always be told from the bytes (util-linux's
 * mbs_safe_encode() does the same). *ret is NULL when nothing needs escaping; *ret_invalid says
 * whether a byte was not UTF-8.
 */
int bytes_escape(const char *s, char **ret, bool *ret_invalid)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t extra = 0, n;
	bool invalid = false;
	char *out, *o;

	for (size_t i = 0; p[i]; i += n) {
		n = utf8_sequence_len(p + i);
		if (n == 0) {
			invalid = true;
			extra += 3;
			n = 1;
		} else if (p[i] == '\\' && p[i + 1] == 'x')
			extra += 3;
	}
	*ret_invalid = invalid;
	*ret = NULL;
	if (extra == 0)
		return 0;
	out = o = malloc(strlen(s) + extra + 1);
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; p[i]; i += n) {
		n = utf8_sequence_len(p + i);
		if (n == 0 || (p[i] == '\\' && p[i + 1] == 'x')) {
			o += sprintf(o, "\\x%02x", p[i]);
			n = 1;
		} else {
			memcpy(o, p + i, n);
			o += n;
		}
	}
	*o = 0;
	*ret = out;
	return 0;
}

/* ---- the host model ---------------------------------------------------------------------- */

struct walk {
	struct iommucap_host *h;
	bool changed; /* a name changed: lists looked up by name need sorting again */
};

/*
 * Escape *s in place. A string read from a file names that file in one warning (format and
 * arguments; NULL: a derived string, such as a reason, whose file is named where it was read).
 */
_printf_(3, 4) static int fix(struct walk *w, char **s, const char *file_fmt, ...)
{
	_cleanup_free_ char *file = NULL, *line = NULL;
	char *escaped;
	bool invalid;
	va_list ap;
	int k;

	if (!*s)
		return 0;
	k = bytes_escape(*s, &escaped, &invalid);
	if (k < 0 || !escaped)
		return k;
	if (invalid && file_fmt) {
		/* Before *s goes: the file's name may be made of it (the warnings are escaped
		 * last). */
		_cleanup_free_ char *file_escaped = NULL;
		bool dummy;

		va_start(ap, file_fmt);
		k = vasprintf(&file, file_fmt, ap);
		va_end(ap);
		if (k >= 0)
			k = bytes_escape(file, &file_escaped, &dummy);
		if (k >= 0 && file_escaped) {
			free(file);
			file = TAKE_PTR(file_escaped);
		}
		if (k < 0 ||
		    asprintf(&line, "%s: bytes that are not UTF-8, shown as \\xHH", file) < 0) {
			free(escaped);
			return -ENOMEM;
		}
	}
	free(*s);
	*s = escaped;
	w->changed = true;
	if (!line)
		return 0;
	/* One warning per file, however many of its strings (a name appears in several lists). */
	for (size_t i = 0; i < w->h->n_warnings; i++)
		if (streq(w->h->warnings[i], line))
			return 0;
	k = strv_push(&w->h->warnings, &w->h->n_warnings, line);
	if (k >= 0)
		line = NULL;
	return k;
}

#define TRY(expr)                                                                                  \
	do {                                                                                       \
		int _k = (expr);                                                                   \
		if (_k < 0)                                                                        \
			return _k;                                                                 \
	} while (0)

static int fix_strv(struct walk *w, char **v, size_t n, const char *file)
{
	for (size_t i = 0; i < n; i++)
		TRY(file ? fix(w, &v[i], "%s", file) : fix(w, &v[i], NULL));
	return 0;
}

static int fix_hostinfo(struct walk *w, struct iommucap_hostinfo *i)
{
	TRY(fix(w, &i->hostname, "proc/sys/kernel/hostname"));
	TRY(fix(w, &i->machine_id, "etc/machine-id"));
	TRY(fix(w, &i->kernel_release, "proc/sys/kernel/osrelease"));
	for (size_t k = 0; k < i->n_cmdline; k++) {
		TRY(fix(w, &i->cmdline[k].key, "proc/cmdline"));
		TRY(fix(w, &i->cmdline[k].value, "proc/cmdline"));
	}
	TRY(fix(w, &i->cpu_vendor, "proc/cpuinfo"));
	TRY(fix(w, &i->cpu_flags_reason, NULL));
	TRY(fix(w, &i->domain_type, NULL)); /* a group's type: named with the group */
	TRY(fix(w, &i->domain_mode, NULL));
	TRY(fix(w, &i->domain_reason, NULL));
	return 0;
}

static int fix_unit(struct walk *w, struct iommucap_unit *u)
{
	TRY(fix(w, &u->name, "sys/class/iommu/%s", u->name)); /* the name as listed */
	TRY(fix(w, &u->path, NULL));
	TRY(fix(w, &u->property_dir, NULL));
	for (size_t i = 0; i < u->n_raw; i++)
		TRY(fix(w, &u->raw[i].reason, NULL));
	for (size_t i = 0; i < u->n_fields; i++) {
		struct iommucap_field *f = &u->fields[i];
		/* Property files are the fields with names of their own: the directory's entries.
		 */
		const char *dir = streq(f->group, "properties") && u->property_dir ? u->property_dir
										   : f->group;

		if (f->name_owned) {
			TRY(fix(w, &f->name_owned, "%s/%s", u->path ?: u->name, dir));
			f->name = f->name_owned;
		}
		if (f->group_owned) {
			TRY(fix(w, &f->group_owned, NULL));
			f->group = f->group_owned;
		}
		TRY(fix(w, &f->str, "%s/%s/%s", u->path ?: u->name, dir, f->name));
	}
	for (int c = 0; c < _IOMMUCAP_CAP_MAX; c++) {
		struct iommucap_capval *v = &u->caps[c];

		TRY(fix(w, &v->reason, NULL));
		if (v->list.strs)
			TRY(fix_strv(w, v->list.strs, v->list.n, NULL));
	}
	return fix_strv(w, u->devices, u->n_devices, NULL); /* named as devices */
}

static int fix_group(struct walk *w, struct iommucap_group *g)
{
	char dir[64];

	snprintf(dir, sizeof(dir), "sys/kernel/iommu_groups/%d", g->id);
	TRY(fix(w, &g->type, "%s/type", dir));
	TRY(fix(w, &g->type_reason, NULL));
	for (size_t i = 0; i < g->n_resv; i++)
		TRY(fix(w, &g->resv[i].type, "%s/reserved_regions", dir));
	TRY(fix(w, &g->resv_reason, NULL));
	for (size_t i = 0; i < g->n_devices; i++)
		TRY(fix(w, &g->devices[i], "%s/devices/%s", dir, g->devices[i]));
	return 0;
}

static int fix_device(struct walk *w, struct iommucap_device *d)
{
	struct iommucap_tri *tris[DEVICE_N_TRIS];
	size_t n = device_tris(d, tris);

	TRY(fix(w, &d->address, "sys/bus/pci/devices/%s", d->address));
	TRY(fix(w, &d->unit, NULL)); /* named with the unit, or where the link is checked */
	TRY(fix(w, &d->driver, "sys/bus/pci/devices/%s/driver", d->address));
	TRY(fix(w, &d->config_reason, NULL));
	for (size_t i = 0; i < n; i++)
		TRY(fix(w, &tris[i]->reason, NULL));
	return 0;
}

int host_escape_bytes(struct iommucap_host *h, bool *ret_changed)
{
	struct walk w = { .h = h };

	/* First the warnings so far, which may quote what they complain about; the ones added
	 * below name their file escaped already. */
	TRY(fix_strv(&w, h->warnings, h->n_warnings, NULL));
	TRY(fix_hostinfo(&w, &h->info));
	for (size_t i = 0; i < h->n_units; i++)
		TRY(fix_unit(&w, &h->units[i]));
	for (size_t i = 0; i < h->n_groups; i++)
		TRY(fix_group(&w, &h->groups[i]));
	for (size_t i = 0; i < h->n_devices; i++)
		TRY(fix_device(&w, &h->devices[i]));
	*ret_changed = w.changed;
	return 0;
}
