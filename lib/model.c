/* The host model: names, capability setters, and freeing. */
#include "config.h"

#include <stdarg.h>

#include "acpi.h"
#include "model.h"
#include "sysfs.h"

static const char *const model_names[_IOMMUCAP_MODEL_MAX] = {
	[IOMMUCAP_MODEL_UNKNOWN] = "unknown",
	[IOMMUCAP_MODEL_INTEL_VTD] = "intel-vtd",
	[IOMMUCAP_MODEL_ARM_SMMU_V3] = "arm-smmu-v3",
	[IOMMUCAP_MODEL_AMD_VI] = "amd-vi",
	[IOMMUCAP_MODEL_ARM_SMMU] = "arm-smmu",
	[IOMMUCAP_MODEL_VIRTIO_IOMMU] = "virtio-iommu",
	[IOMMUCAP_MODEL_APPLE_DART] = "apple-dart",
	[IOMMUCAP_MODEL_RISCV] = "riscv-iommu",
	[IOMMUCAP_MODEL_S390] = "s390-iommu",
	[IOMMUCAP_MODEL_SPAPR_TCE] = "spapr-tce",
};

const char *iommucap_model_name(enum iommucap_model m)
{
	if ((unsigned)m >= _IOMMUCAP_MODEL_MAX)
		return "unknown";
	return model_names[m];
}

static const char *const source_names[_IOMMUCAP_SRC_MAX] = {
	[IOMMUCAP_SRC_UNKNOWN] = "unknown",   [IOMMUCAP_SRC_REGISTER] = "register",
	[IOMMUCAP_SRC_PROPERTY] = "property", [IOMMUCAP_SRC_DEFAULT] = "default",
	[IOMMUCAP_SRC_MODEL] = "model",	      [IOMMUCAP_SRC_DRIVER] = "driver",
	[IOMMUCAP_SRC_FIRMWARE] = "firmware", [IOMMUCAP_SRC_CMDLINE] = "cmdline",
	[IOMMUCAP_SRC_IOMMUFD] = "iommufd",
};

const char *iommucap_source_name(enum iommucap_source s)
{
	if ((unsigned)s >= _IOMMUCAP_SRC_MAX)
		return "unknown";
	return source_names[s];
}

/* Where a requirement names each kind of capability. */
#define REQ_PATH_NONE(key)    NULL
#define REQ_PATH_MIN(key)     "min." key
#define REQ_PATH_FEATURE(key) "features." key
#define REQ_PATH_ENUM(key)    "features." key
#define REQ_PATH_SET(key)     key
#define REQ_PATH_PASID(key)   "pasid_table.model"

/* An ENUM row's names: its enum's table in lib/vocab.h. */
#define NAMES_INT(id)	   NULL
#define NAMES_BOOL(id)	   NULL
#define NAMES_INT_LIST(id) NULL
#define NAMES_STR_LIST(id) NULL
#define NAMES_ENUM(id)	   ENUM_NAMES_##id
#define ENUM_NAMES_STALL   iommucap_stall_names
#define ENUM_NAMES_HTTU	   iommucap_httu_names

static const struct iommucap_cap_info cap_infos[_IOMMUCAP_CAP_MAX] = {
#define CAP(kind, id, key, type, doc, req_max, guest, migratable, metric, label, metric_help,      \
	    column, column_help, unit)                                                             \
	[IOMMUCAP_##id] = { key,                                                                   \
			    IOMMUCAP_T_##type,                                                     \
			    NAMES_##type(id),                                                      \
			    IOMMUCAP_REQ_##kind,                                                   \
			    REQ_PATH_##kind(key),                                                  \
			    req_max,                                                               \
			    IOMMUCAP_##guest,                                                      \
			    migratable,                                                            \
			    metric,                                                                \
			    label,                                                                 \
			    metric_help,                                                           \
			    column,                                                                \
			    column_help,                                                           \
			    unit },
#include "capabilities.def"
#undef CAP
};

const enum iommucap_cap iommucap_caps_in_order[_IOMMUCAP_CAP_MAX] = {
#define CAP(kind, id, ...) IOMMUCAP_##id,
#include "capabilities.def"
#undef CAP
};

const char *const iommucap_stall_names[_IOMMUCAP_STALL_MAX + 1] = {
	[IOMMUCAP_STALL_ENABLED] = "enabled",
	[IOMMUCAP_STALL_DISABLED] = "disabled",
	[IOMMUCAP_STALL_FORCE] = "force",
};

const char *const iommucap_httu_names[_IOMMUCAP_HTTU_MAX + 1] = {
	[IOMMUCAP_HTTU_NONE] = "none",
	[IOMMUCAP_HTTU_ACCESS] = "access",
	[IOMMUCAP_HTTU_ACCESS_DIRTY] = "access+dirty",
};

const char *const iommucap_pasid_table_models[] = { "host", "arm-1lvl", "arm-2lvl",
						    "amd",  "intel",	NULL };

const char *const iommucap_cpu_flag_names[_IOMMUCAP_CPU_FLAG_MAX] = {
	[IOMMUCAP_CPU_LAM] = "lam",
	[IOMMUCAP_CPU_ENQCMD] = "enqcmd",
	[IOMMUCAP_CPU_LA57] = "la57",
	[IOMMUCAP_CPU_PDPE1GB] = "pdpe1gb",
};

const char *const iommucap_acs_names[IOMMUCAP_ACS_BITS] = {
	"sv", "tb", "rr", "cr", "uf", "ec", "dt"
};

static int name_index(const char *const *names, const char *s)
{
	for (int i = 0; s && names[i]; i++)
		if (streq(names[i], s))
			return i;
	return -1;
}

int iommucap_stall_from_name(const char *s)
{
	return name_index(iommucap_stall_names, s);
}

int iommucap_httu_from_name(const char *s)
{
	return name_index(iommucap_httu_names, s);
}

bool iommucap_format_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > IOMMUCAP_FORMAT_LEN_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alnum =
			(c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

		if (!alnum && (i == 0 || !strchr("._+-", c)))
			return false;
	}
	return true;
}

const struct iommucap_cap_info *iommucap_cap_info(enum iommucap_cap c)
{
	if ((unsigned)c >= _IOMMUCAP_CAP_MAX)
		return NULL;
	return &cap_infos[c];
}

void capval_clear(struct iommucap_capval *v)
{
	free(v->reason);
	free(v->list.nums);
	strv_free(v->list.strs, v->list.strs ? v->list.n : 0);
	memset(v, 0, sizeof(*v));
}

static struct iommucap_capval *cap_reset(struct iommucap_unit *u, enum iommucap_cap c,
					 enum iommucap_source s)
{
	struct iommucap_capval *v = &u->caps[c];

	capval_clear(v);
	v->source = s;
	return v;
}

int cap_set_num(struct iommucap_unit *u, enum iommucap_cap c, int64_t n, enum iommucap_source s)
{
	cap_reset(u, c, s)->num = n;
	return 0;
}

int cap_set_bool(struct iommucap_unit *u, enum iommucap_cap c, bool b, enum iommucap_source s)
{
	cap_reset(u, c, s)->num = b;
	return 0;
}

int cap_set_enum(struct iommucap_unit *u, enum iommucap_cap c, int v, enum iommucap_source s)
{
	cap_reset(u, c, s)->num = v;
	return 0;
}

int cap_set_nums(struct iommucap_unit *u, enum iommucap_cap c, const uint64_t *nums, size_t n,
		 enum iommucap_source s)
{
	struct iommucap_capval *v = cap_reset(u, c, s);

	v->list.nums = calloc(n ? n : 1, sizeof(uint64_t));
	if (!v->list.nums) {
		v->source = IOMMUCAP_SRC_UNKNOWN;
		return -ENOMEM;
	}
	if (n)
		memcpy(v->list.nums, nums, n * sizeof(uint64_t));
	v->list.n = n;
	return 0;
}

int cap_set_strs(struct iommucap_unit *u, enum iommucap_cap c, const char *const *strs, size_t n,
		 enum iommucap_source s)
{
	struct iommucap_capval *v = cap_reset(u, c, s);

	v->list.strs = calloc(n ? n : 1, sizeof(char *));
	if (!v->list.strs) {
		v->source = IOMMUCAP_SRC_UNKNOWN;
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		v->list.strs[i] = strdup(strs[i]);
		v->list.n = i + 1;
		if (!v->list.strs[i])
			return -ENOMEM;
	}
	return 0;
}

int cap_set_unknown(struct iommucap_unit *u, enum iommucap_cap c, const char *fmt, ...)
{
	struct iommucap_capval *v = cap_reset(u, c, IOMMUCAP_SRC_UNKNOWN);
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vasprintf(&v->reason, fmt, ap);
	va_end(ap);
	if (k < 0) {
		v->reason = NULL;
		return -ENOMEM;
	}
	return 0;
}

int caps_unknown_rest(struct iommucap_unit *u, const char *reason)
{
	for (int c = 0; c < _IOMMUCAP_CAP_MAX; c++) {
		if (u->caps[c].source != IOMMUCAP_SRC_UNKNOWN || u->caps[c].reason)
			continue;
		if (cap_set_unknown(u, (enum iommucap_cap)c, "%s", reason) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int add_field(struct iommucap_unit *u, const char *group, const char *name, bool dup,
		     enum iommucap_field_kind kind, uint64_t num, const char *str)
{
	struct iommucap_field *f;

	if (u->n_fields == u->n_fields_alloc) {
		size_t n = u->n_fields_alloc ? u->n_fields_alloc * 2 : 64;
		struct iommucap_field *nf = realloc(u->fields, n * sizeof(*nf));

		if (!nf)
			return -ENOMEM;
		u->fields = nf;
		u->n_fields_alloc = n;
	}
	f = &u->fields[u->n_fields];
	*f = (struct iommucap_field){ .group = group, .name = name, .kind = kind, .num = num };
	if (dup) {
		f->name = f->name_owned = strdup(name);
		if (!f->name_owned)
			return -ENOMEM;
	}
	if (str) {
		f->str = strdup(str);
		if (!f->str) {
			free(f->name_owned);
			return -ENOMEM;
		}
	}
	u->n_fields++;
	return 0;
}

int unit_add_field_owned(struct iommucap_unit *u, const char *group, const char *name,
			 enum iommucap_field_kind kind, uint64_t num, const char *str)
{
	char *g = strdup(group);
	int k;

	if (!g)
		return -ENOMEM;
	k = add_field(u, g, name, true, kind, num, str);
	if (k < 0)
		free(g);
	else
		u->fields[u->n_fields - 1].group_owned = g;
	return k;
}

int unit_add_field(struct iommucap_unit *u, const char *group, const char *name,
		   enum iommucap_field_kind kind, uint64_t num, const char *str)
{
	return add_field(u, group, name, false, kind, num, str);
}

int unit_add_field_dup(struct iommucap_unit *u, const char *group, const char *name,
		       enum iommucap_field_kind kind, uint64_t num, const char *str)
{
	return add_field(u, group, name, true, kind, num, str);
}

int unit_add_raw(struct iommucap_unit *u, const char *name, bool known, uint64_t value,
		 const char *reason)
{
	struct iommucap_raw *r;

	if (u->n_raw >= IOMMUCAP_MAX_RAW)
		return -E2BIG;
	r = &u->raw[u->n_raw];
	*r = (struct iommucap_raw){ .name = name, .known = known, .value = value };
	if (!known) {
		r->reason = strdup(reason ? reason : "not available");
		if (!r->reason)
			return -ENOMEM;
	}
	u->n_raw++;
	return 0;
}

int host_warn(struct iommucap_host *h, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = strv_vpushf(&h->warnings, &h->n_warnings, fmt, ap);
	va_end(ap);
	return k;
}

int tri_set(struct iommucap_tri *t, int64_t v)
{
	free(t->reason);
	t->reason = NULL;
	t->known = true;
	t->value = v;
	return 0;
}

int tri_unknown(struct iommucap_tri *t, const char *reason)
{
	free(t->reason);
	t->known = false;
	t->value = 0;
	t->reason = strdup(reason);
	return t->reason ? 0 : -ENOMEM;
}

void unit_done(struct iommucap_unit *u)
{
	free(u->name);
	free(u->path);
	free(u->property_dir);
	for (size_t i = 0; i < u->n_raw; i++)
		free(u->raw[i].reason);
	for (size_t i = 0; i < u->n_fields; i++) {
		free(u->fields[i].name_owned);
		free(u->fields[i].group_owned);
		free(u->fields[i].str);
	}
	free(u->fields);
	for (int c = 0; c < _IOMMUCAP_CAP_MAX; c++)
		capval_clear(&u->caps[c]);
	strv_free(u->devices, u->n_devices);
	free(u->hw_info_from);
}

void group_done(struct iommucap_group *g)
{
	free(g->type);
	free(g->type_reason);
	for (size_t i = 0; i < g->n_resv; i++)
		free(g->resv[i].type);
	free(g->resv);
	free(g->resv_reason);
	strv_free(g->devices, g->n_devices);
}

static void tri_done(struct iommucap_tri *t)
{
	free(t->reason);
}

size_t device_tris(struct iommucap_device *d, struct iommucap_tri *tris[DEVICE_N_TRIS])
{
	struct iommucap_tri *all[DEVICE_N_TRIS] = { &d->pasid,
						    &d->pasid_width,
						    &d->pasid_exec,
						    &d->pasid_priv,
						    &d->ats,
						    &d->ats_queue_depth,
						    &d->pri,
						    &d->pri_max_requests,
						    &d->acs,
						    &d->acs_caps,
						    &d->effective_pasid_bits };

	memcpy(tris, all, sizeof(all));
	return DEVICE_N_TRIS;
}

void device_done(struct iommucap_device *d)
{
	free(d->address);
	free(d->unit);
	free(d->driver);
	free(d->config_reason);
	free(d->hw_info.reason);
	struct iommucap_tri *tris[DEVICE_N_TRIS];
	size_t n = device_tris(d, tris);
	for (size_t i = 0; i < n; i++)
		tri_done(tris[i]);
}

void hostinfo_done(struct iommucap_hostinfo *i)
{
	free(i->hostname);
	free(i->machine_id);
	free(i->kernel_release);
	for (size_t k = 0; k < i->n_cmdline; k++) {
		free(i->cmdline[k].key);
		free(i->cmdline[k].value);
	}
	free(i->cmdline);
	free(i->cpu_vendor);
	free(i->cpu_flags_reason);
	acpi_firmware_free(i->firmware);
	free(i->domain_type);
	free(i->domain_mode);
	free(i->domain_reason);
}

struct iommucap_host *iommucap_host_free(struct iommucap_host *h)
{
	if (!h)
		return NULL;
	free(h->generator);
	hostinfo_done(&h->info);
	for (size_t i = 0; i < h->n_units; i++)
		unit_done(&h->units[i]);
	free(h->units);
	for (size_t i = 0; i < h->n_groups; i++)
		group_done(&h->groups[i]);
	free(h->groups);
	for (size_t i = 0; i < h->n_devices; i++)
		device_done(&h->devices[i]);
	free(h->devices);
	strv_free(h->warnings, h->n_warnings);
	free(h);
	return NULL;
}

int unit_cmp(const void *a, const void *b)
{
	return strverscmp(((const struct iommucap_unit *)a)->name,
			  ((const struct iommucap_unit *)b)->name);
}

void host_sort_units(struct iommucap_host *h)
{
	if (h->n_units > 1)
		qsort_safe(h->units, h->n_units, sizeof(*h->units), unit_cmp);
}

/* Units are kept in version order (sysfs_list), so a lookup is a binary search. */
const struct iommucap_unit *iommucap_host_find_unit(const struct iommucap_host *h, const char *name)
{
	struct iommucap_unit key = { .name = (char *)name };

	return bsearch_safe(&key, h->units, h->n_units, sizeof(*h->units), unit_cmp);
}

void unit_drop_fields(struct iommucap_unit *u, const char *group)
{
	size_t j = 0;

	for (size_t i = 0; i < u->n_fields; i++) {
		struct iommucap_field *f = &u->fields[i];

		if (!streq(f->group, group)) {
			u->fields[j++] = *f;
			continue;
		}
		free(f->name_owned);
		free(f->group_owned);
		free(f->str);
	}
	u->n_fields = j;
}
