/* The column tables of "show", "devices", "groups" and "tree", and how each cell is found in the
 * model. */
#include "config.h"

#include <inttypes.h>
#include <libsmartcols.h>

#include "lib/ksem.h"
#include "lib/macro.h"
#include "lib/sysfs.h"
#include "columns.h"

static const struct iommucap_host *host;
/* The unit of each of host's groups (by index), made when a group's unit is first asked. */
static const char **group_units;

void tables_set_host(const struct iommucap_host *h)
{
	host = h;
	free(group_units);
	group_units = NULL;
}

/*
 * The unit columns: the unit's own, and one per capability in the host document's order, its
 * header and help from the catalogue (lib/capabilities.def); FEATURES and DEVICES follow the
 * widths.
 */
enum {
	COL_U_NAME,
	COL_U_MODEL,
	COL_U_MODEL_ID,
	COL_U_CAPS, /* the capabilities up to asid_bits */
	COL_U_FEATURES = COL_U_CAPS + IOMMUCAP_ASID_BITS + 1,
	COL_U_DEVICES,
	COL_U_CAPS_REST, /* the capabilities after asid_bits */
	COL_U_PATH = COL_U_CAPS_REST + _IOMMUCAP_CAP_MAX - IOMMUCAP_ASID_BITS - 1,
	COL_U_BOOT_MESSAGES,
};

#define COL_U_CAP(c)                                                                               \
	((c) <= IOMMUCAP_ASID_BITS ? COL_U_CAPS + (c)                                              \
				   : COL_U_CAPS_REST + (c)-IOMMUCAP_ASID_BITS - 1)

/* How a capability's column is laid out: width hint, libsmartcols flags, format, and whether it
 * is shown without -o. Its TYPE gives the layout (LAYOUT_TYPE_<TYPE>); a LAYOUT_<ID> line, written
 * "~, (...)", overrides it for one capability. */
#define LAYOUT_TYPE_INT	       3, SCOLS_FL_RIGHT, COLF_PLAIN, false
#define LAYOUT_TYPE_BOOL       3, 0, COLF_PLAIN, false
#define LAYOUT_TYPE_ENUM       5, 0, COLF_PLAIN, false
#define LAYOUT_TYPE_INT_LIST   0.1, 0, COLF_PLAIN, false
#define LAYOUT_TYPE_STR_LIST   0.1, 0, COLF_PLAIN, false
#define LAYOUT_SSID_BITS       ~, (3, SCOLS_FL_RIGHT, COLF_PLAIN, true)
#define LAYOUT_INPUT_BITS      ~, (3, SCOLS_FL_RIGHT, COLF_PLAIN, true)
#define LAYOUT_OUTPUT_BITS     ~, (3, SCOLS_FL_RIGHT, COLF_PLAIN, true)
#define LAYOUT_PAGE_SIZES      ~, (0.1, 0, COLF_SIZE, false)
#define LAYOUT_PGTABLE_FORMATS ~, (0.2, SCOLS_FL_WRAP, COLF_PLAIN, false)
/* LAYOUT_<ID> when there is one (its "~," makes the override the second argument), else the
 * TYPE's: an undefined LAYOUT_<ID> stays one token, and the second argument is the default. */
#define LAYOUT_SECOND_(a, b, ...) b
#define LAYOUT_SECOND(...)	  LAYOUT_SECOND_(__VA_ARGS__)
#define LAYOUT_UNPAREN_(...)	  __VA_ARGS__
#define LAYOUT_UNPAREN(x)	  LAYOUT_UNPAREN_ x
#define LAYOUT(id, type)	  LAYOUT_UNPAREN(LAYOUT_SECOND(LAYOUT_##id, (LAYOUT_TYPE_##type), ~))

static const struct column unit_cols[] = {
	[COL_U_NAME] = { "NAME", 0.1, SCOLS_FL_NOEXTREMES, COLF_PLAIN, true, "unit name" },
	[COL_U_MODEL] = { "MODEL", 0.1, 0, COLF_PLAIN, true, "IOMMU model" },
	[COL_U_MODEL_ID] = { "MODEL-ID", 3, SCOLS_FL_RIGHT, COLF_PLAIN, false, "model number" },
#define CAP(kind, id, key, type, doc, req_max, guest, migratable, metric, label, metric_help,      \
	    column, column_help, unit)                                                             \
	[COL_U_CAP(IOMMUCAP_##id)] = { column, LAYOUT(id, type), column_help },
#include "lib/capabilities.def"
#undef CAP
	[COL_U_FEATURES] = { "FEATURES", 0.3, SCOLS_FL_WRAP, COLF_PLAIN, true,
			     "features present (name? when unknown)" },
	[COL_U_DEVICES] = { "DEVICES", 3, SCOLS_FL_RIGHT, COLF_PLAIN, true,
			    "number of devices behind the unit" },
	[COL_U_PATH] = { "PATH", 0.3, SCOLS_FL_TRUNC, COLF_PLAIN, false, "sysfs path" },
	[COL_U_BOOT_MESSAGES] = { "BOOT-MESSAGES", 0.3, SCOLS_FL_WRAP, COLF_PLAIN, false,
				  "the kernel's boot messages these registers cause (predicted for "
				  "the running release; shown by default with -J)",
				  true },
};

const struct table_spec units_table = { "units", unit_cols, ELEMENTSOF(unit_cols) };

static json_t *capval(const struct iommucap_unit *u, enum iommucap_cap c)
{
	return iommucap_capval_to_json(u, c);
}

/* The boolean features that matter most, in the order an operator scans for them. */
static json_t *features(const struct iommucap_unit *u)
{
	static const struct {
		enum iommucap_cap cap;
		const char *name;
	} feats[] = {
		{ IOMMUCAP_SCALABLE_MODE, "sm" },
		{ IOMMUCAP_NESTING, "nesting" },
		{ IOMMUCAP_PRI, "pri" },
		{ IOMMUCAP_ATS, "ats" },
		{ IOMMUCAP_DIRTY_TRACKING, "dirty" },
		{ IOMMUCAP_CACHING_MODE, "cm" },
		{ IOMMUCAP_BTM, "btm" },
		{ IOMMUCAP_COHERENT, "coherent" },
	};
	json_t *a = json_array();

	for (size_t i = 0; a && i < ELEMENTSOF(feats); i++) {
		const struct iommucap_capval *v = &u->caps[feats[i].cap];
		char buf[32];

		if (v->source == IOMMUCAP_SRC_UNKNOWN) {
			snprintf(buf, sizeof(buf), "%s?", feats[i].name);
			json_array_append_new(a, json_string(buf));
		} else if (v->num)
			json_array_append_new(a, json_string(feats[i].name));
	}
	return a;
}

static bool has_column(const size_t *cols, size_t n, size_t col)
{
	for (size_t i = 0; i < n; i++)
		if (cols[i] == col)
			return true;
	return false;
}

bool units_columns_summary_only(const size_t *cols, size_t n)
{
	return !has_column(cols, n, COL_U_BOOT_MESSAGES);
}

/* The predicted lines (iommucap_unit_boot_messages); unknown without a host. */
static json_t *boot_messages(const struct iommucap_unit *u)
{
	char **m = NULL;
	size_t n = 0;
	json_t *a;

	if (!host || iommucap_unit_boot_messages(host, u, &m, &n) < 0)
		return json_null();
	a = json_array();
	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_string(m[i])) < 0) {
			json_decref(a);
			a = NULL;
		}
	strv_free(m, n);
	return a;
}

json_t *unit_cell(const void *row, size_t col)
{
	const struct iommucap_unit *u = row;
	char *p;
	json_t *v;

	switch (col) {
	case COL_U_NAME:
		return json_string(u->name);
	case COL_U_MODEL:
		return json_string(iommucap_model_name(u->model));
	case COL_U_MODEL_ID:
		return json_integer(u->model_id);
	case COL_U_FEATURES:
		return features(u);
	case COL_U_DEVICES:
		return json_integer((json_int_t)u->n_devices);
	case COL_U_PATH:
		if (asprintf(&p, "/%s", u->path ? u->path : "") < 0)
			return NULL;
		v = json_string(p);
		free(p);
		return v;
	case COL_U_BOOT_MESSAGES:
		return boot_messages(u);
	}
	if (col >= COL_U_CAPS && col < COL_U_FEATURES)
		return capval(u, (enum iommucap_cap)(col - COL_U_CAPS));
	if (col >= COL_U_CAPS_REST && col < COL_U_PATH)
		return capval(u,
			      (enum iommucap_cap)(col - COL_U_CAPS_REST + IOMMUCAP_ASID_BITS + 1));
	return NULL;
}

enum {
	COL_D_DEVICE,
	COL_D_UNIT,
	COL_D_GROUP,
	COL_D_DRIVER,
	COL_D_PASID,
	COL_D_EFF_PASID,
	COL_D_ATS,
	COL_D_PRI,
	COL_D_ACS,
	COL_D_VENDOR,
	COL_D_PRODUCT,
	COL_D_CLASS,
	COL_D_PASID_EXEC,
	COL_D_PASID_PRIV,
	COL_D_ATS_QDEP,
	COL_D_PRI_REQS,
	COL_D_MODEL,
};

static const struct column device_cols[] = {
	[COL_D_DEVICE] = { "DEVICE", 12, 0, COLF_PLAIN, true, "PCI address" },
	[COL_D_UNIT] = { "UNIT", 0.1, 0, COLF_PLAIN, true, "IOMMU unit" },
	[COL_D_GROUP] = { "GROUP", 3, SCOLS_FL_RIGHT, COLF_PLAIN, true, "IOMMU group" },
	[COL_D_DRIVER] = { "DRIVER", 0.1, 0, COLF_PLAIN, true, "bound driver" },
	[COL_D_PASID] = { "PASID", 3, SCOLS_FL_RIGHT, COLF_PLAIN, true,
			  "PCI PASID width (0: no PASID capability)" },
	[COL_D_EFF_PASID] = { "EFF-PASID", 3, SCOLS_FL_RIGHT, COLF_PLAIN, true,
			      "effective PASID bits: min(device, unit)" },
	[COL_D_ATS] = { "ATS", 3, 0, COLF_PLAIN, true, "PCI ATS capability" },
	[COL_D_PRI] = { "PRI", 3, 0, COLF_PLAIN, true, "PCI PRI capability" },
	[COL_D_ACS] = { "ACS", 0.1, 0, COLF_PLAIN, true, "PCI ACS capabilities" },
	[COL_D_VENDOR] = { "VENDOR", 6, 0, COLF_PLAIN, false, "PCI vendor id" },
	[COL_D_PRODUCT] = { "PRODUCT", 6, 0, COLF_PLAIN, false, "PCI device id" },
	[COL_D_CLASS] = { "CLASS", 8, 0, COLF_PLAIN, false, "PCI class code" },
	[COL_D_PASID_EXEC] = { "PASID-EXEC", 3, 0, COLF_PLAIN, false, "PASID execute permission" },
	[COL_D_PASID_PRIV] = { "PASID-PRIV", 3, 0, COLF_PLAIN, false, "PASID privileged mode" },
	[COL_D_ATS_QDEP] = { "ATS-QDEP", 3, SCOLS_FL_RIGHT, COLF_PLAIN, false,
			     "ATS invalidate queue depth" },
	[COL_D_PRI_REQS] = { "PRI-REQS", 3, SCOLS_FL_RIGHT, COLF_PLAIN, false,
			     "PRI outstanding page request capacity" },
	[COL_D_MODEL] = { "MODEL", 0.1, 0, COLF_PLAIN, false, "model of the IOMMU unit" },
};

const struct table_spec devices_table = { "devices", device_cols, ELEMENTSOF(device_cols) };

bool devices_columns_need_units(const size_t *cols, size_t n)
{
	return has_column(cols, n, COL_D_MODEL);
}

static json_t *tri_int(const struct iommucap_tri *t)
{
	return t->known ? json_integer(t->value) : json_null();
}

static json_t *tri_bool(const struct iommucap_tri *t)
{
	return t->known ? json_boolean(t->value) : json_null();
}

/* A capability's detail: unknown if the capability is, nothing if it is absent. */
static json_t *detail(const struct iommucap_tri *present, json_t *value)
{
	if (!present->known) {
		json_decref(value);
		return json_null();
	}
	if (!present->value) {
		json_decref(value);
		return NULL;
	}
	return value;
}

static json_t *hexid(uint32_t v, int width, bool known)
{
	char buf[16];

	if (!known)
		return json_null();
	snprintf(buf, sizeof(buf), "0x%0*" PRIx32, width, v);
	return json_string(buf);
}

json_t *device_cell(const void *row, size_t col)
{
	const struct iommucap_device *d = row;
	const struct iommucap_unit *u;
	json_t *a;

	switch (col) {
	case COL_D_DEVICE:
		return json_string(d->address);
	case COL_D_UNIT:
		return d->unit ? json_string(d->unit) : NULL;
	case COL_D_GROUP:
		return d->group >= 0 ? json_integer(d->group) : NULL;
	case COL_D_DRIVER:
		return d->driver ? json_string(d->driver) : NULL;
	case COL_D_PASID:
		if (d->pasid.known && !d->pasid.value)
			return json_integer(0);
		return detail(&d->pasid, tri_int(&d->pasid_width));
	case COL_D_EFF_PASID:
		return tri_int(&d->effective_pasid_bits);
	case COL_D_ATS:
		return tri_bool(&d->ats);
	case COL_D_PRI:
		return tri_bool(&d->pri);
	case COL_D_ACS:
		if (!d->acs.known)
			return json_null();
		a = json_array();
		for (size_t i = 0; a && d->acs.value && i < IOMMUCAP_ACS_BITS; i++)
			if (d->acs_caps.value & (1 << i))
				json_array_append_new(a, json_string(iommucap_acs_names[i]));
		return a;
	case COL_D_VENDOR:
		return hexid(d->vendor, 4, d->have_ids);
	case COL_D_PRODUCT:
		return hexid(d->device_id, 4, d->have_ids);
	case COL_D_CLASS:
		return hexid(d->class_code, 6, d->have_ids);
	case COL_D_PASID_EXEC:
		return detail(&d->pasid, tri_bool(&d->pasid_exec));
	case COL_D_PASID_PRIV:
		return detail(&d->pasid, tri_bool(&d->pasid_priv));
	case COL_D_ATS_QDEP:
		return detail(&d->ats, tri_int(&d->ats_queue_depth));
	case COL_D_PRI_REQS:
		return detail(&d->pri, tri_int(&d->pri_max_requests));
	case COL_D_MODEL:
		u = d->unit && host ? iommucap_host_find_unit(host, d->unit) : NULL;
		return u ? json_string(iommucap_model_name(u->model)) : NULL;
	}
	return NULL;
}

enum {
	COL_G_GROUP,
	COL_G_TYPE,
	COL_G_NDEVS,
	COL_G_DEVICES,
	COL_G_UNIT,
	COL_G_RESV,
	COL_G_MSI,
};

static const struct column group_cols[] = {
	[COL_G_GROUP] = { "GROUP", 3, SCOLS_FL_RIGHT, COLF_PLAIN, true, "group number" },
	[COL_G_TYPE] = { "TYPE", 6, 0, COLF_PLAIN, true, "default domain type" },
	[COL_G_NDEVS] = { "NDEVS", 3, SCOLS_FL_RIGHT, COLF_PLAIN, true, "number of devices" },
	[COL_G_DEVICES] = { "DEVICES", 0.3, SCOLS_FL_WRAP, COLF_PLAIN, true, "member devices" },
	[COL_G_UNIT] = { "UNIT", 0.1, 0, COLF_PLAIN, true, "IOMMU unit of the members" },
	[COL_G_RESV] = { "RESV", 3, SCOLS_FL_RIGHT, COLF_PLAIN, false,
			 "number of reserved regions" },
	[COL_G_MSI] = { "MSI", 0.2, 0, COLF_PLAIN, false, "MSI reserved region start-end" },
};

const struct table_spec groups_table = { "groups", group_cols, ELEMENTSOF(group_cols) };

bool groups_columns_need_devices(const size_t *cols, size_t n)
{
	return has_column(cols, n, COL_G_UNIT);
}

struct group_pos {
	int id;
	size_t pos;
};

static int cmp_group_pos(const void *a, const void *b)
{
	const struct group_pos *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

/*
 * The unit of every group's PCI members (units of non-PCI members are not recorded), "mixed"
 * when they differ: one pass over the devices, not one per group (4096 groups and 4352 devices
 * on a 1024-unit host made 18 million comparisons).
 */
static int make_group_units(void)
{
	_cleanup_free_ struct group_pos *pos = calloc(host->n_groups + 1, sizeof(*pos));

	group_units = calloc(host->n_groups + 1, sizeof(*group_units));
	if (!pos || !group_units)
		return -ENOMEM;
	for (size_t i = 0; i < host->n_groups; i++)
		pos[i] = (struct group_pos){ host->groups[i].id, i };
	qsort_safe(pos, host->n_groups, sizeof(*pos), cmp_group_pos);
	for (size_t i = 0; i < host->n_devices; i++) {
		const struct iommucap_device *d = &host->devices[i];
		struct group_pos key = { d->group, 0 }, *p;

		if (!d->unit ||
		    !(p = bsearch_safe(&key, pos, host->n_groups, sizeof(*pos), cmp_group_pos)))
			continue;
		/* Every group of that number (a host document may repeat one). */
		while (p > pos && p[-1].id == d->group)
			p--;
		for (; p < pos + host->n_groups && p->id == d->group; p++) {
			const char **u = &group_units[p->pos];

			*u = *u && !streq(*u, d->unit) ? "mixed" : d->unit;
		}
	}
	return 0;
}

static const char *group_unit(const struct iommucap_group *g)
{
	if (!host || g < host->groups || g >= host->groups + host->n_groups)
		return NULL;
	if (!group_units && make_group_units() < 0) {
		free(group_units);
		group_units = NULL;
		return NULL;
	}
	return group_units[g - host->groups];
}

json_t *group_cell(const void *row, size_t col)
{
	const struct iommucap_group *g = row;
	const char *unit;
	json_t *a;
	char buf[64];

	switch (col) {
	case COL_G_GROUP:
		return json_integer(g->id);
	case COL_G_TYPE:
		return g->type ? json_string(g->type) : json_null();
	case COL_G_NDEVS:
		return json_integer((json_int_t)g->n_devices);
	case COL_G_DEVICES:
		a = json_array();
		for (size_t i = 0; a && i < g->n_devices; i++)
			json_array_append_new(a, json_string(g->devices[i]));
		return a;
	case COL_G_UNIT:
		unit = group_unit(g);
		return unit ? json_string(unit) : NULL;
	case COL_G_RESV:
		return g->resv_reason ? json_null() : json_integer((json_int_t)g->n_resv);
	case COL_G_MSI:
		if (g->resv_reason)
			return json_null();
		for (size_t i = 0; i < g->n_resv; i++)
			if (streq(g->resv[i].type, "msi")) {
				snprintf(buf, sizeof(buf), "0x%" PRIx64 "-0x%" PRIx64,
					 g->resv[i].start, g->resv[i].end);
				return json_string(buf);
			}
		return NULL;
	}
	return NULL;
}

/*
 * "tree": a unit's, a group's or a device's own value in each column, through the getters above;
 * -1 where the row has none ("-"). PASID, ATS and PRI are the devices' PCI capabilities.
 */
enum {
	COL_T_NAME,
	COL_T_TYPE,
	COL_T_MODEL,
	COL_T_DOMAIN,
	COL_T_DRIVER,
	COL_T_PASID,
	COL_T_ATS,
	COL_T_PRI,
	COL_T_EFF_PASID,
	COL_T_DEVICES,
	COL_T_VENDOR,
	COL_T_PRODUCT,
	COL_T_CLASS,
	COL_T_PATH,
};

static const struct column tree_cols[] = {
	[COL_T_NAME] = { "NAME", 0.2, SCOLS_FL_NOEXTREMES, COLF_PLAIN, true,
			 "unit name, group number or device address" },
	[COL_T_TYPE] = { "TYPE", 6, 0, COLF_PLAIN, true, "unit, group or device" },
	[COL_T_MODEL] = { "MODEL", 0.1, 0, COLF_PLAIN, true, "IOMMU model of a unit" },
	[COL_T_DOMAIN] = { "DOMAIN", 6, 0, COLF_PLAIN, true, "default domain type of a group" },
	[COL_T_DRIVER] = { "DRIVER", 0.1, 0, COLF_PLAIN, true, "bound driver of a device" },
	[COL_T_PASID] = { "PASID", 3, SCOLS_FL_RIGHT, COLF_PLAIN, true,
			  "PCI PASID width (0: no PASID capability)" },
	[COL_T_ATS] = { "ATS", 3, 0, COLF_PLAIN, true, "PCI ATS capability" },
	[COL_T_PRI] = { "PRI", 3, 0, COLF_PLAIN, true, "PCI PRI capability" },
	[COL_T_EFF_PASID] = { "EFF-PASID", 3, SCOLS_FL_RIGHT, COLF_PLAIN, false,
			      "effective PASID bits of a device: min(device, unit)" },
	[COL_T_DEVICES] = { "DEVICES", 3, SCOLS_FL_RIGHT, COLF_PLAIN, false,
			    "number of devices of a unit or group" },
	[COL_T_VENDOR] = { "VENDOR", 6, 0, COLF_PLAIN, false, "PCI vendor id" },
	[COL_T_PRODUCT] = { "PRODUCT", 6, 0, COLF_PLAIN, false, "PCI device id" },
	[COL_T_CLASS] = { "CLASS", 8, 0, COLF_PLAIN, false, "PCI class code" },
	[COL_T_PATH] = { "PATH", 0.3, SCOLS_FL_TRUNC, COLF_PLAIN, false, "sysfs path of a unit" },
};

const struct table_spec tree_table = { "tree", tree_cols, ELEMENTSOF(tree_cols) };

static const struct {
	int unit, group, device;
} tree_map[] = {
	[COL_T_NAME] = { COL_U_NAME, -1, COL_D_DEVICE },
	[COL_T_TYPE] = { -1, -1, -1 },
	[COL_T_MODEL] = { COL_U_MODEL, -1, -1 },
	[COL_T_DOMAIN] = { -1, COL_G_TYPE, -1 },
	[COL_T_DRIVER] = { -1, -1, COL_D_DRIVER },
	[COL_T_PASID] = { -1, -1, COL_D_PASID },
	[COL_T_ATS] = { -1, -1, COL_D_ATS },
	[COL_T_PRI] = { -1, -1, COL_D_PRI },
	[COL_T_EFF_PASID] = { -1, -1, COL_D_EFF_PASID },
	[COL_T_DEVICES] = { COL_U_DEVICES, COL_G_NDEVS, -1 },
	[COL_T_VENDOR] = { -1, -1, COL_D_VENDOR },
	[COL_T_PRODUCT] = { -1, -1, COL_D_PRODUCT },
	[COL_T_CLASS] = { -1, -1, COL_D_CLASS },
	[COL_T_PATH] = { COL_U_PATH, -1, -1 },
};

bool tree_columns_need_devices(const size_t *cols, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (cols[i] < ELEMENTSOF(tree_map) && cols[i] != COL_T_NAME &&
		    tree_map[cols[i]].device >= 0)
			return true;
	return false;
}

json_t *tree_cell(const void *row, size_t col)
{
	static const char *const kinds[] = {
		[TREE_UNIT] = "unit", [TREE_GROUP] = "group", [TREE_DEVICE] = "device"
	};
	const struct tree_row *t = row;
	char buf[32];

	if (col >= ELEMENTSOF(tree_map))
		return NULL;
	if (col == COL_T_TYPE)
		return json_string(kinds[t->kind]);
	switch (t->kind) {
	case TREE_UNIT:
		return tree_map[col].unit < 0 ? NULL
					      : unit_cell(t->unit, (size_t)tree_map[col].unit);
	case TREE_GROUP:
		if (col == COL_T_NAME) {
			/* A string, as every other row's name: JSON consumers read one type. */
			snprintf(buf, sizeof(buf), "%d", t->group->id);
			return json_string(buf);
		}
		return tree_map[col].group < 0 ? NULL
					       : group_cell(t->group, (size_t)tree_map[col].group);
	case TREE_DEVICE:
		if (!t->device)
			return col == COL_T_NAME ? json_string(t->name) : NULL;
		return tree_map[col].device < 0
			       ? NULL
			       : device_cell(t->device, (size_t)tree_map[col].device);
	}
	return NULL;
}
