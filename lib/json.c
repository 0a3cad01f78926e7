/* The host document: the model rendered as JSON (schema/host.schema.json). */
#include "config.h"

#include <inttypes.h>
#include <time.h>

#include "hwinfo.h"
#include "model.h"
#include "regs-pci.h"

static json_t *hex(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	return json_string(buf);
}

static json_t *hex_width(uint64_t v, int width)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%0*" PRIx64, width, v);
	return json_string(buf);
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* json_object_set_new that remembers a failure; every builder checks once at its end. */
static void set(json_t *o, const char *key, json_t *v, bool *oom)
{
	if (!v || json_object_set_new(o, key, v) < 0)
		*oom = true;
}

static void append(json_t *a, json_t *v, bool *oom)
{
	if (!v || json_array_append_new(a, v) < 0)
		*oom = true;
}

static json_t *strv_json(char **v, size_t n, bool *oom)
{
	json_t *a = json_array();

	if (!a) {
		*oom = true;
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		append(a, json_string(v[i]), oom);
	return a;
}

json_t *iommucap_capval_to_json(const struct iommucap_unit *u, enum iommucap_cap c)
{
	const struct iommucap_capval *v = &u->caps[c];
	bool oom = false;
	json_t *a;

	if (v->source == IOMMUCAP_SRC_UNKNOWN)
		return json_null();
	switch (iommucap_cap_info(c)->type) {
	case IOMMUCAP_T_INT:
		return json_integer(v->num);
	case IOMMUCAP_T_BOOL:
		return json_boolean(v->num);
	case IOMMUCAP_T_STR:
		return json_string(v->str);
	case IOMMUCAP_T_INT_LIST:
		a = json_array();
		for (size_t i = 0; a && i < v->list.n; i++)
			append(a, json_integer((json_int_t)v->list.nums[i]), &oom);
		break;
	case IOMMUCAP_T_STR_LIST:
		a = strv_json(v->list.strs, v->list.n, &oom);
		break;
	default:
		return NULL;
	}
	if (oom) {
		json_decref(a);
		return NULL;
	}
	return a;
}

/* The capabilities block; a summary's has only the values (null: unknown). */
static json_t *capabilities_json(const struct iommucap_unit *u, bool summary, bool *oom)
{
	json_t *o = json_object(), *unknown = json_object(), *sources = json_object();

	if (!o || !unknown || !sources) {
		json_decref(o);
		json_decref(unknown);
		json_decref(sources);
		*oom = true;
		return NULL;
	}
	for (int c = 0; c < _IOMMUCAP_CAP_MAX; c++) {
		const struct iommucap_cap_info *info = iommucap_cap_info((enum iommucap_cap)c);
		const struct iommucap_capval *v = &u->caps[c];

		set(o, info->name, iommucap_capval_to_json(u, (enum iommucap_cap)c), oom);
		if (summary)
			continue;
		if (v->source == IOMMUCAP_SRC_UNKNOWN)
			set(unknown, info->name, json_string(v->reason ? v->reason : "not known"),
			    oom);
		else
			set(sources, info->name, json_string(iommucap_source_name(v->source)), oom);
	}
	if (summary) {
		json_decref(unknown);
		json_decref(sources);
	} else {
		set(o, "unknown", unknown, oom);
		set(o, "sources", sources, oom);
	}
	return o;
}

static json_t *fields_json(const struct iommucap_unit *u, bool *oom)
{
	json_t *o = json_object();

	if (!o) {
		*oom = true;
		return NULL;
	}
	for (size_t i = 0; i < u->n_fields; i++) {
		const struct iommucap_field *f = &u->fields[i];
		json_t *g = json_object_get(o, f->group), *v;

		if (!g) {
			g = json_object();
			set(o, f->group, g, oom);
			if (!g)
				continue;
		}
		switch (f->kind) {
		case IOMMUCAP_FIELD_NUM:
			v = json_integer((json_int_t)f->num);
			break;
		case IOMMUCAP_FIELD_HEX:
			v = hex(f->num);
			break;
		default:
			v = json_string(f->str ? f->str : "");
			break;
		}
		set(g, f->name, v, oom);
	}
	return o;
}

/*
 * A unit, or its summary: no registers, field view or device names (only their number), and
 * the capabilities without their reasons and sources.
 */
static int unit_json(const struct iommucap_unit *u, bool summary, json_t **ret)
{
	json_t *o = json_object(), *raw = json_object(), *raw_unknown = json_object();
	bool oom = !o || !raw || !raw_unknown;
	_cleanup_free_ char *path = NULL;

	if (asprintf(&path, "/%s", u->path ? u->path : "") < 0)
		oom = true;
	if (!oom) {
		set(o, "name", json_string(u->name), &oom);
		set(o, "model", json_string(iommucap_model_name(u->model)), &oom);
		set(o, "model_id", json_integer(u->model_id), &oom);
		set(o, "path", json_string(path), &oom);
		set(o, "property_dir", str_or_null(u->property_dir), &oom);
	}
	if (!oom && !summary) {
		for (size_t i = 0; i < u->n_raw; i++) {
			const struct iommucap_raw *r = &u->raw[i];

			set(raw, r->name, r->known ? hex(r->value) : json_null(), &oom);
			if (!r->known)
				set(raw_unknown, r->name, json_string(r->reason), &oom);
		}
		set(o, "raw", json_incref(raw), &oom);
		set(o, "raw_unknown", json_incref(raw_unknown), &oom);
		set(o, "fields", fields_json(u, &oom), &oom);
	}
	if (!oom)
		set(o, "capabilities", capabilities_json(u, summary, &oom), &oom);
	if (!oom && summary)
		set(o, "n_devices", json_integer((json_int_t)u->n_devices), &oom);
	else if (!oom)
		set(o, "devices", strv_json(u->devices, u->n_devices, &oom), &oom);
	if (!oom && u->hw_info_from)
		set(o, "hw_info_from", json_string(u->hw_info_from), &oom);
	json_decref(raw);
	json_decref(raw_unknown);
	if (oom) {
		json_decref(o);
		return -ENOMEM;
	}
	*ret = o;
	return 0;
}

int iommucap_unit_to_json(const struct iommucap_unit *u, json_t **ret)
{
	return unit_json(u, false, ret);
}

int iommucap_unit_summary_to_json(const struct iommucap_unit *u, json_t **ret)
{
	return unit_json(u, true, ret);
}

int iommucap_group_to_json(const struct iommucap_group *g, json_t **ret)
{
	json_t *o = json_object(), *resv = json_array(), *unknown = json_object();
	bool oom = !o || !resv || !unknown;

	if (!oom) {
		set(o, "id", json_integer(g->id), &oom);
		set(o, "type", str_or_null(g->type), &oom);
		for (size_t i = 0; i < g->n_resv; i++) {
			json_t *r = json_object();

			if (r) {
				set(r, "start", hex_width(g->resv[i].start, 16), &oom);
				set(r, "end", hex_width(g->resv[i].end, 16), &oom);
				set(r, "type", json_string(g->resv[i].type), &oom);
			}
			append(resv, r, &oom);
		}
		set(o, "reserved_regions", g->resv_reason ? json_null() : json_incref(resv), &oom);
		set(o, "devices", strv_json(g->devices, g->n_devices, &oom), &oom);
		if (!g->type)
			set(unknown, "type",
			    json_string(g->type_reason ? g->type_reason : "unreadable"), &oom);
		if (g->resv_reason)
			set(unknown, "reserved_regions", json_string(g->resv_reason), &oom);
		set(o, "unknown", json_incref(unknown), &oom);
	}
	json_decref(resv);
	json_decref(unknown);
	if (oom) {
		json_decref(o);
		return -ENOMEM;
	}
	*ret = o;
	return 0;
}

static json_t *tri_int(const struct iommucap_tri *t)
{
	return t->known ? json_integer(t->value) : json_null();
}

static json_t *tri_bool(const struct iommucap_tri *t)
{
	return t->known ? json_boolean(t->value) : json_null();
}

static json_t *acs_json(const struct iommucap_tri *t, bool *oom)
{
	json_t *a;

	if (!t->known)
		return json_null();
	a = json_array();
	for (size_t i = 0; a && i < IOMMUCAP_ACS_BITS; i++)
		if (t->value & (1 << i))
			append(a, json_string(iommucap_acs_names[i]), oom);
	return a;
}

/* What IOMMU_GET_HW_INFO said for the device (docs/hw-info.md). */
static json_t *hwinfo_json(const struct iommucap_hwinfo *hw, bool *oom)
{
	json_t *o = json_object(), *caps = NULL;
	const char *t = hwinfo_type_name(hw->data_type);
	char buf[32];

	if (!o) {
		*oom = true;
		return NULL;
	}
	snprintf(buf, sizeof(buf), "unknown-%" PRIu32, hw->data_type);
	set(o, "read", json_boolean(hw->read), oom);
	set(o, "reason", hw->read ? json_null() : json_string(hw->reason ? hw->reason : "not read"),
	    oom);
	set(o, "data_type", hw->read ? json_string(t ? t : buf) : json_null(), oom);
	if (hw->read && hw->capabilities_known) {
		caps = json_array();
		for (unsigned b = 0; caps && b < 64; b++) {
			if (!(hw->capabilities & (UINT64_C(1) << b)))
				continue;
			snprintf(buf, sizeof(buf), "bit-%u", b);
			append(caps, json_string(hwinfo_cap_name(b) ? hwinfo_cap_name(b) : buf),
			       oom);
		}
	} else
		caps = json_null();
	set(o, "capabilities", caps, oom);
	set(o, "max_pasid_log2",
	    hw->read && hw->max_pasid_known ? json_integer(hw->max_pasid_log2) : json_null(), oom);
	return o;
}

int iommucap_device_to_json(const struct iommucap_device *d, json_t **ret)
{
	json_t *o = json_object(), *unknown = json_object();
	json_t *pasid = json_object(), *ats = json_object(), *pri = json_object(),
	       *acs = json_object();
	bool oom = !o || !unknown || !pasid || !ats || !pri || !acs;

	if (!oom) {
		set(o, "address", json_string(d->address), &oom);
		set(o, "unit", str_or_null(d->unit), &oom);
		set(o, "group", d->group >= 0 ? json_integer(d->group) : json_null(), &oom);
		set(o, "driver", str_or_null(d->driver), &oom);
		set(o, "vendor", d->have_ids ? hex_width(d->vendor, 4) : json_null(), &oom);
		set(o, "device", d->have_ids ? hex_width(d->device_id, 4) : json_null(), &oom);
		set(o, "class", d->have_ids ? hex_width(d->class_code, 6) : json_null(), &oom);

		set(pasid, "supported", tri_bool(&d->pasid), &oom);
		set(pasid, "width", tri_int(&d->pasid_width), &oom);
		set(pasid, "exec", tri_bool(&d->pasid_exec), &oom);
		set(pasid, "priv", tri_bool(&d->pasid_priv), &oom);
		set(ats, "supported", tri_bool(&d->ats), &oom);
		set(ats, "queue_depth", tri_int(&d->ats_queue_depth), &oom);
		set(pri, "supported", tri_bool(&d->pri), &oom);
		set(pri, "max_requests", tri_int(&d->pri_max_requests), &oom);
		set(acs, "supported", tri_bool(&d->acs), &oom);
		set(acs, "capabilities", acs_json(&d->acs_caps, &oom), &oom);
		set(o, "pasid", json_incref(pasid), &oom);
		set(o, "ats", json_incref(ats), &oom);
		set(o, "pri", json_incref(pri), &oom);
		set(o, "acs", json_incref(acs), &oom);
		set(o, "effective_pasid_bits", tri_int(&d->effective_pasid_bits), &oom);
		if (d->hw_info.tried)
			set(o, "iommufd", hwinfo_json(&d->hw_info, &oom), &oom);

		const struct {
			const char *name;
			const struct iommucap_tri *t;
		} tris[] = { { "pasid", &d->pasid },
			     { "ats", &d->ats },
			     { "pri", &d->pri },
			     { "acs", &d->acs },
			     { "effective_pasid_bits", &d->effective_pasid_bits } };
		for (size_t i = 0; i < ELEMENTSOF(tris); i++)
			if (!tris[i].t->known)
				set(unknown, tris[i].name,
				    json_string(tris[i].t->reason  ? tris[i].t->reason
						: d->config_reason ? d->config_reason
								   : "not known"),
				    &oom);
		set(o, "unknown", json_incref(unknown), &oom);
	}
	json_decref(unknown);
	json_decref(pasid);
	json_decref(ats);
	json_decref(pri);
	json_decref(acs);
	if (oom) {
		json_decref(o);
		return -ENOMEM;
	}
	*ret = o;
	return 0;
}

static json_t *hostinfo_json(const struct iommucap_hostinfo *hi, bool *oom)
{
	json_t *o = json_object(), *unknown = json_object(), *cmdline = json_object(),
	       *cpu = json_object(), *flags = json_object(), *dom = json_object();

	if (!o || !unknown || !cmdline || !cpu || !flags || !dom) {
		*oom = true;
		goto out;
	}
	set(o, "hostname", str_or_null(hi->hostname), oom);
	set(o, "machine_id", str_or_null(hi->machine_id), oom);
	set(o, "kernel_release", str_or_null(hi->kernel_release), oom);
	for (size_t i = 0; i < hi->n_cmdline; i++)
		set(cmdline, hi->cmdline[i].key,
		    hi->cmdline[i].value ? json_string(hi->cmdline[i].value) : json_true(), oom);
	set(o, "cmdline", hi->cmdline_known ? json_incref(cmdline) : json_null(), oom);
	if (!hi->cmdline_known)
		set(unknown, "cmdline", json_string("proc/cmdline is not readable"), oom);

	set(dom, "type", str_or_null(hi->domain_type), oom);
	set(dom, "mode", str_or_null(hi->domain_mode), oom);
	set(o, "default_domain", hi->domain_type ? json_incref(dom) : json_null(), oom);
	if (!hi->domain_type)
		set(unknown, "default_domain",
		    json_string(hi->domain_reason ? hi->domain_reason : "not known"), oom);

	set(cpu, "vendor", str_or_null(hi->cpu_vendor), oom);
	for (int i = 0; i < _IOMMUCAP_CPU_FLAG_MAX; i++)
		set(flags, iommucap_cpu_flag_names[i], json_boolean(hi->cpu_flags[i]), oom);
	set(cpu, "flags", hi->cpu_flags_known ? json_incref(flags) : json_null(), oom);
	set(o, "cpu", json_incref(cpu), oom);
	if (!hi->cpu_flags_known)
		set(unknown, "cpu_flags",
		    json_string(hi->cpu_flags_reason ? hi->cpu_flags_reason : "not known"), oom);

	set(o, "dev_iommu", json_boolean(hi->dev_iommu), oom);
	set(o, "dev_vfio", json_boolean(hi->dev_vfio), oom);
	set(o, "unknown", json_incref(unknown), oom);
out:
	json_decref(unknown);
	json_decref(cmdline);
	json_decref(cpu);
	json_decref(flags);
	json_decref(dom);
	if (*oom) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Everything but the units, groups, devices and warnings, in the document's order. */
static json_t *host_head_json(const struct iommucap_host *h, bool *oom)
{
	json_t *o = json_object();
	char when[32];
	time_t t = (time_t)h->generated_at;
	struct tm tm;

	if (!o) {
		*oom = true;
		return NULL;
	}
	if (!gmtime_r(&t, &tm) || !strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(when, sizeof(when), "1970-01-01T00:00:00Z");
	set(o, "schema_version", json_integer(IOMMUCAP_SCHEMA_VERSION), oom);
	/* The inventory record: when, and by what. */
	set(o, "generated_at", json_string(when), oom);
	set(o, "generator",
	    json_pack("{s:s, s:s}", "name", PACKAGE_NAME, "version", PACKAGE_VERSION), oom);
	set(o, "host", hostinfo_json(&h->info, oom), oom);
	return o;
}

/* The i-th unit, group or device of the host as a tree; which one is the key's. */
static int member_json(const struct iommucap_host *h, const char *key, size_t i, json_t **ret)
{
	if (streq(key, "units"))
		return iommucap_unit_to_json(&h->units[i], ret);
	if (streq(key, "unit_summaries"))
		return iommucap_unit_summary_to_json(&h->units[i], ret);
	if (streq(key, "groups"))
		return iommucap_group_to_json(&h->groups[i], ret);
	return iommucap_device_to_json(&h->devices[i], ret);
}

static const char *const member_keys[] = { "units", "groups", "devices" };

static size_t member_count(const struct iommucap_host *h, const char *key)
{
	return streq(key, "units") || streq(key, "unit_summaries") ? h->n_units
	       : streq(key, "groups")				   ? h->n_groups
								   : h->n_devices;
}

int iommucap_host_to_json(const struct iommucap_host *h, json_t **ret)
{
	bool oom = false;
	json_t *o = host_head_json(h, &oom), *v;

	for (size_t m = 0; !oom && m < ELEMENTSOF(member_keys); m++) {
		json_t *a = json_array();

		set(o, member_keys[m], a, &oom);
		for (size_t i = 0; !oom && i < member_count(h, member_keys[m]); i++) {
			if (member_json(h, member_keys[m], i, &v) < 0)
				oom = true;
			else
				append(a, v, &oom);
		}
	}
	if (!oom)
		set(o, "warnings", strv_json(h->warnings, h->n_warnings, &oom), &oom);
	if (oom) {
		json_decref(o);
		return -ENOMEM;
	}
	*ret = o;
	return 0;
}

static int dump_to(json_t *v, FILE *f, size_t flags)
{
	int k = v ? json_dumpf(v, f, flags) : -1;

	json_decref(v);
	return k < 0 ? -ENOMEM : 0;
}

int iommucap_host_write_array(const struct iommucap_host *h, const char *key, FILE *f, size_t flags)
{
	json_t *v;
	int k = fputc('[', f) == EOF ? -EIO : 0;

	if (!streq(key, "units") && !streq(key, "unit_summaries") && !streq(key, "groups") &&
	    !streq(key, "devices"))
		return -EINVAL;
	for (size_t i = 0; k >= 0 && i < member_count(h, key); i++) {
		if (i > 0 && fputc(',', f) == EOF)
			k = -EIO;
		if (k >= 0)
			k = member_json(h, key, i, &v);
		if (k >= 0)
			k = dump_to(v, f, flags);
	}
	if (k >= 0 && fputc(']', f) == EOF)
		k = -EIO;
	return k;
}

int iommucap_host_write_json(const struct iommucap_host *h, FILE *f, size_t flags)
{
	bool oom = false;
	json_t *head = host_head_json(h, &oom), *v;
	char *text;
	size_t len;
	int k;

	if (oom || (flags & JSON_MAX_INDENT)) {
		json_decref(head);
		return oom ? -ENOMEM : -EINVAL;
	}
	/* The head without its closing brace, then each array an element at a time. */
	text = json_dumps(head, flags);
	json_decref(head);
	if (!text)
		return -ENOMEM;
	len = strlen(text);
	k = len >= 2 && fwrite(text, 1, len - 1, f) == len - 1 ? 0 : -EIO;
	free(text);
	for (size_t m = 0; k >= 0 && m < ELEMENTSOF(member_keys); m++) {
		if (fprintf(f, ",\"%s\":", member_keys[m]) < 0)
			k = -EIO;
		if (k >= 0)
			k = iommucap_host_write_array(h, member_keys[m], f, flags);
	}
	if (k >= 0 && fputs(",\"warnings\":", f) == EOF)
		k = -EIO;
	if (k >= 0) {
		v = strv_json(h->warnings, h->n_warnings, &oom);
		k = oom ? -ENOMEM : dump_to(v, f, flags);
	}
	if (k >= 0 && fputc('}', f) == EOF)
		k = -EIO;
	return k;
}
