/* show, devices, groups and tree: the host as column tables (and a tree), as lsblk draws. */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "columns.h"
#include "command.h"
#include "iommuctl.h"
#include "tree.h"
#include "varlink/client.h"

/* A member of a reply; null when it is missing, which reading it then reports. */
static json_t *member(json_t *reply, const char *key)
{
	json_t *v = json_object_get(reply, key);

	return v ? v : json_null();
}

/*
 * The host for a table from the daemon, with only what the table prints, on one connection:
 * show, the unit rows and warnings (ListUnitRows), or for "show UNIT..." each named unit alone
 * (GetUnit); devices, the devices (ListDevices), the unit rows for MODEL, and the warnings
 * (ListWarnings); groups, the groups (ListGroups), where each device sits for UNIT
 * (ListDeviceUnits), and the warnings; a list over the daemon's message limit comes in parts.
 * -ENOSYS: the daemon has not one of these methods, or one of the others' replies is over the
 * limit (then the host document does).
 */
static int daemon_host(const struct table_spec *spec, const size_t *cols, size_t n_cols,
		       struct iommucap_host **ret)
{
	_cleanup_free_ char *error = NULL, *bad = NULL;
	struct iommucap_host_parts p = { 0 };
	const char *methods[3], *failed = NULL;
	json_t *replies[ELEMENTSOF(methods)] = { NULL }, *units = NULL, *reply = NULL;
	size_t n = 0;
	struct vl_client *c;
	int k = vl_client_connect(arg_address, &c), r = EXIT_SUCCESS;

	if (k < 0)
		return daemon_unreachable(k);
	if (spec == &devices_table)
		methods[n++] = "ListDevices";
	else if (spec == &groups_table)
		methods[n++] = "ListGroups";
	if ((spec == &units_table && arg_n_filters == 0) ||
	    (spec == &devices_table && devices_columns_need_units(cols, n_cols)))
		methods[n++] = "ListUnitRows"; /* with the warnings */
	else if (spec != &units_table)
		methods[n++] = "ListWarnings";
	if (spec == &groups_table && groups_columns_need_devices(cols, n_cols))
		methods[n++] = "ListDeviceUnits";
	for (size_t i = 0; k >= 0 && !error && i < n; i++) {
		_cleanup_free_ char *name = NULL;

		failed = methods[i];
		if (asprintf(&name, "io.iommucapd.%s", methods[i]) < 0)
			k = -ENOMEM;
		else if (streq(methods[i], "ListDevices") || streq(methods[i], "ListGroups"))
			k = daemon_ask_list(c, name,
					    streq(methods[i], "ListDevices") ? "devices" : "groups",
					    &replies[i], &error);
		else
			k = daemon_ask(c, name, NULL, &replies[i], &error);
		if (k < 0 || error)
			continue;
		if (streq(methods[i], "ListUnitRows")) {
			p.units = member(replies[i], "units");
			p.capability_sets = member(replies[i], "capability_sets");
			p.warnings = member(replies[i], "warnings");
		} else if (streq(methods[i], "ListWarnings"))
			p.warnings = member(replies[i], "warnings");
		else if (streq(methods[i], "ListGroups"))
			p.groups = member(replies[i], "groups");
		else {
			p.devices = member(replies[i], "devices");
			p.device_summaries = streq(methods[i], "ListDeviceUnits");
		}
	}
	if (spec == &units_table && arg_n_filters > 0)
		p.units = units = json_array();
	for (size_t i = 0; k >= 0 && !error && units && i < arg_n_filters; i++) {
		failed = "GetUnit";
		k = daemon_ask(c, "io.iommucapd.GetUnit",
			       json_pack("{s:s}", "name", arg_filters[i]), &reply, &error);
		if (k >= 0 && error && streq(error, "io.iommucapd.NoSuchUnit")) {
			warnx("%s: no such unit", arg_filters[i]);
			r = EXIT_FAILURE;
		} else if (k >= 0 && !error &&
			   json_array_append(units, json_object_get(reply, "unit")) < 0)
			k = -ENOMEM;
		json_decref(reply);
		reply = NULL;
	}
	vl_client_free(c);
	if (k < 0)
		r = daemon_unreachable(k);
	else if (r == EXIT_SUCCESS && error && streq(error, "org.varlink.service.MethodNotFound"))
		r = -ENOSYS; /* a daemon older than the method: the host document, as before */
	else if (r == EXIT_SUCCESS && reply_too_large(error))
		r = -ENOSYS; /* a reply that has no parts over the message limit: the same */
	else if (r == EXIT_SUCCESS && error) {
		warnx("%s failed: %s", failed, error);
		r = EXIT_FAILURE;
	} else if (r == EXIT_SUCCESS) {
		k = iommucap_host_from_parts(&p, ret, &bad);
		if (k < 0) {
			warnx("iommu-capd sent a host that is not valid: %s", bad ?: "?");
			r = EXIT_FAILURE;
		} else
			print_warnings(*ret);
	}
	for (size_t i = 0; i < n; i++)
		json_decref(replies[i]);
	json_decref(units);
	return r;
}

/* The method's error, as daemon_host() reports it (-ENOSYS: not known to this daemon). */
static int daemon_failed(const char *method, const char *error)
{
	if (streq(error, "org.varlink.service.MethodNotFound") ||
	    streq(error, "org.varlink.service.InvalidParameter"))
		return -ENOSYS; /* a daemon older than the method or its parameter */
	if (reply_too_large(error))
		return -ENOSYS; /* over the message limit: the host document, in parts */
	warnx("%s failed: %s", method, error);
	return EXIT_FAILURE;
}

/*
 * A list asked for with 'more' (ListGroups, ListDevices), each reply's element read into h as it
 * arrives: never the whole list as one JSON tree (ListDevices on 1024 units is 1.6 MB of text and
 * three times that as a tree).
 */
static int ask_each(struct vl_client *c, const char *method, const char *key,
		    struct iommucap_host *h, char **ret_error, char **ret_bad)
{
	bool continues = true;
	int k = vl_client_call(c, method, NULL, true);

	while (k >= 0 && continues) {
		json_t *reply = NULL;
		struct iommucap_host_parts p = { 0 };

		k = vl_client_read(c, &reply, ret_error, &continues);
		if (k < 0 || *ret_error) {
			json_decref(reply);
			break;
		}
		if (streq(key, "groups"))
			p.groups = member(reply, key);
		else
			p.devices = member(reply, key);
		k = iommucap_host_add_parts(h, &p, ret_bad);
		json_decref(reply);
		if (k < 0 && k != -ENOMEM)
			return -EBADMSG;
	}
	return k;
}

/*
 * The host for "tree" from the daemon, with only what the tree prints: the unit rows with each
 * unit's device names (which say which groups hang under it) and the warnings
 * (ListUnitRows(devices: true)), the groups (ListGroups), and the devices (ListDevices), or when
 * the tree prints no device column but the name, only where each sits (ListDeviceUnits). The
 * groups and devices come an element a reply. -ENOSYS: the daemon has not these methods.
 */
static int daemon_tree_host(const size_t *cols, size_t n_cols, struct iommucap_host **ret)
{
	_cleanup_free_ char *error = NULL, *bad = NULL;
	_cleanup_(iommucap_host_freep) struct iommucap_host *h = NULL;
	bool facts = tree_columns_need_devices(cols, n_cols);
	const char *failed = "ListUnitRows";
	json_t *rows = NULL, *units = NULL;
	struct vl_client *c;
	int k = vl_client_connect(arg_address, &c);

	if (k < 0)
		return daemon_unreachable(k);
	k = daemon_ask(c, "io.iommucapd.ListUnitRows", json_pack("{s:b}", "devices", 1), &rows,
		       &error);
	if (k >= 0 && !error) {
		struct iommucap_host_parts p = { .units = member(rows, "units"),
						 .capability_sets = member(rows, "capability_sets"),
						 .warnings = member(rows, "warnings") };

		k = iommucap_host_from_parts(&p, &h, &bad);
		k = k == -ENOMEM ? k : k < 0 ? -EBADMSG : 0;
	}
	json_decref(rows);
	if (k >= 0 && !error) {
		failed = "ListGroups";
		k = ask_each(c, "io.iommucapd.ListGroups", "groups", h, &error, &bad);
	}
	if (k >= 0 && !error && facts) {
		failed = "ListDevices";
		k = ask_each(c, "io.iommucapd.ListDevices", "devices", h, &error, &bad);
	} else if (k >= 0 && !error) {
		failed = "ListDeviceUnits";
		k = daemon_ask(c, "io.iommucapd.ListDeviceUnits", NULL, &units, &error);
		if (k >= 0 && !error) {
			struct iommucap_host_parts p = { .devices = member(units, "devices"),
							 .device_summaries = true };

			k = iommucap_host_add_parts(h, &p, &bad);
			k = k == -ENOMEM ? k : k < 0 ? -EBADMSG : 0;
		}
		json_decref(units);
	}
	vl_client_free(c);
	if (k == -EBADMSG) {
		warnx("iommu-capd sent a host that is not valid: %s", bad ?: "?");
		return EXIT_FAILURE;
	}
	if (k < 0)
		return daemon_unreachable(k);
	if (error)
		return daemon_failed(failed, error);
	print_warnings(h);
	*ret = TAKE_PTR(h);
	return EXIT_SUCCESS;
}

static bool wanted(const char *name)
{
	if (arg_n_filters == 0)
		return true;
	for (size_t i = 0; i < arg_n_filters; i++)
		if (streq(arg_filters[i], name))
			return true;
	return false;
}

/* Every filter must name something that exists, as "lsblk /dev/nope" complains. */
static int check_filters(const char *what, const char *const *names, size_t n)
{
	for (size_t f = 0; f < arg_n_filters; f++) {
		bool found = false;

		for (size_t i = 0; i < n && !found; i++)
			found = streq(arg_filters[f], names[i]);
		if (!found)
			return fail(EXIT_FAILURE, "%s: no such %s", arg_filters[f], what);
	}
	return EXIT_SUCCESS;
}

/*
 * A unit is in /sys/class/iommu once its driver calls iommu_device_sysfs_add(); the usual
 * reasons none did: the firmware did not describe one (no ACPI DMAR/IVRS/IORT table: VT-d or
 * AMD-Vi disabled in the set-up), the kernel command line turned it off (intel_iommu=on is
 * needed when the kernel is built without CONFIG_INTEL_IOMMU_DEFAULT_ON, intel/iommu.c
 * intel_iommu_setup(); amd_iommu=off, amd/init.c parse_amd_iommu_options(); iommu=off sets
 * no_iommu, which intel_iommu_init() and amd_iommu_detect() honour), or the kernel has no
 * driver for it (Debian 6.1 builds none for virtio-iommu).
 */
static void no_iommu(void)
{
	const char *root = offline() && arg_sysroot ? arg_sysroot : "";
	size_t root_len = strlen(root);

	while (root_len > 0 && root[root_len - 1] == '/')
		root_len--;
	warnx("no IOMMU in %.*s/sys/class/iommu: is it enabled in the firmware (VT-d, AMD-Vi, "
	      "SMMU), on the kernel command line (intel_iommu=on without "
	      "CONFIG_INTEL_IOMMU_DEFAULT_ON; not amd_iommu=off or iommu=off) and in the kernel "
	      "configuration (CONFIG_INTEL_IOMMU, CONFIG_AMD_IOMMU, CONFIG_ARM_SMMU_V3, "
	      "CONFIG_VIRTIO_IOMMU)?",
	      (int)root_len, root);
}

/* A table command's columns (-o) and the host; EXIT_SUCCESS, or the exit status. */
static int columns_and_host(const struct table_spec *spec, size_t **ret_cols, size_t *ret_n,
			    struct iommucap_host **ret_host)
{
	_cleanup_free_ char *bad = NULL;
	int k = table_parse_columns(spec, arg_table.output, arg_table.json, ret_cols, ret_n, &bad),
	    r;

	if (k == -ENOMEM)
		return fail(EXIT_FAILURE, "out of memory");
	if (k < 0)
		return fail(EX_USAGE, "unknown column: %s (see --list-columns)", bad);
	/* A table needs only its own array (most tables of units, not even the device names and
	 * registers): the daemon sends less. */
	r = offline()		  ? probe(ret_host)
	    : spec == &tree_table ? daemon_tree_host(*ret_cols, *ret_n, ret_host)
	    : spec != &units_table || units_columns_summary_only(*ret_cols, *ret_n)
		    ? daemon_host(spec, *ret_cols, *ret_n, ret_host)
		    : probe(ret_host);
	if (r == -ENOSYS)
		r = probe(ret_host);
	if (r != EXIT_SUCCESS)
		return r;
	tables_set_host(*ret_host);
	if ((spec == &units_table || spec == &tree_table) && (*ret_host)->n_units == 0 &&
	    arg_n_filters == 0 && !arg_quiet)
		no_iommu();
	return EXIT_SUCCESS;
}

static int list_command(const struct table_spec *spec)
{
	_cleanup_(iommucap_host_freep) struct iommucap_host *h = NULL;
	_cleanup_free_ size_t *cols = NULL;
	_cleanup_free_ const void **rows = NULL;
	_cleanup_free_ const char **names = NULL;
	char numbuf[4096];
	size_t n_cols, n_rows = 0, n_all, numoff = 0;
	cell_getter get;
	int k, r;

	if (arg_list_columns) {
		table_list_columns(spec, arg_table.json);
		return EXIT_SUCCESS;
	}
	r = columns_and_host(spec, &cols, &n_cols, &h);
	if (r != EXIT_SUCCESS)
		return r;

	n_all = spec == &units_table	 ? h->n_units
		: spec == &devices_table ? h->n_devices
					 : h->n_groups;
	rows = calloc(n_all + 1, sizeof(void *));
	names = calloc(n_all + 1, sizeof(char *));
	if (!rows || !names)
		return fail(EXIT_FAILURE, "out of memory");
	for (size_t i = 0; i < n_all; i++) {
		const void *row;
		const char *name;

		if (spec == &units_table) {
			row = &h->units[i];
			name = h->units[i].name;
			get = unit_cell;
		} else if (spec == &devices_table) {
			row = &h->devices[i];
			name = h->devices[i].address;
		} else {
			int len;

			row = &h->groups[i];
			len = snprintf(numbuf + numoff, sizeof(numbuf) - numoff, "%d",
				       h->groups[i].id);
			if (len < 0 || (size_t)len >= sizeof(numbuf) - numoff)
				name = "";
			else {
				name = numbuf + numoff;
				numoff += (size_t)len + 1;
			}
		}
		names[i] = name;
		if (wanted(name))
			rows[n_rows++] = row;
	}
	get = spec == &units_table ? unit_cell : spec == &devices_table ? device_cell : group_cell;
	r = check_filters(spec == &units_table	   ? "unit"
			  : spec == &devices_table ? "device"
						   : "group",
			  names, n_all);
	if (r != EXIT_SUCCESS)
		return r;
	k = table_print(spec, &arg_table, cols, n_cols, rows, n_rows, get);
	if (k < 0)
		return fail_errno(EXIT_FAILURE, k, "cannot print");
	return EXIT_SUCCESS;
}

static int do_show(void)
{
	return list_command(&units_table);
}

static int do_devices(void)
{
	return list_command(&devices_table);
}

static int do_groups(void)
{
	return list_command(&groups_table);
}

/* Units, the groups of the devices each serves, and the groups' members, as lsblk draws. */
static int do_tree(void)
{
	_cleanup_(iommucap_host_freep) struct iommucap_host *h = NULL;
	_cleanup_(tree_rows_freep) struct tree_rows *t = NULL;
	_cleanup_free_ size_t *cols = NULL;
	_cleanup_free_ const void **rows = NULL;
	_cleanup_free_ const char **names = NULL;
	size_t n_cols;
	int k, r;

	if (arg_list_columns) {
		table_list_columns(&tree_table, arg_table.json);
		return EXIT_SUCCESS;
	}
	r = columns_and_host(&tree_table, &cols, &n_cols, &h);
	if (r != EXIT_SUCCESS)
		return r;
	names = calloc(h->n_units + 1, sizeof(char *));
	if (!names)
		return fail(EXIT_FAILURE, "out of memory");
	for (size_t i = 0; i < h->n_units; i++)
		names[i] = h->units[i].name;
	r = check_filters("unit", names, h->n_units);
	if (r != EXIT_SUCCESS)
		return r;
	k = tree_rows_build(h, arg_filters, arg_n_filters, &t);
	if (k >= 0) {
		rows = calloc(t->n + 1, sizeof(void *));
		k = rows ? 0 : -ENOMEM;
	}
	for (size_t i = 0; k >= 0 && i < t->n; i++)
		rows[i] = &t->rows[i];
	if (k >= 0)
		k = table_print_tree(&tree_table, &arg_table, cols, n_cols, rows, t->parents, t->n,
				     tree_cell);
	if (k < 0)
		return fail(EXIT_FAILURE, k == -ENOMEM ? "out of memory" : "cannot print: %s",
			    strerror(-k));
	return EXIT_SUCCESS;
}

const struct iommuctl_command iommuctl_cmd_show = {
	.name = "show",
	.run = do_show,
	.args = "[UNIT...]",
	.summary = "one line per IOMMU unit (the default)",
	.doc = "One line per IOMMU unit: model, PASID width, address widths, features and the "
	       "number of devices behind it; UNIT... selects units by name. A host without an "
	       "IOMMU prints no line and says so on standard error.\v" EXIT_STATUS_COMMON,
	.options = (const int[]){ SOURCE_OPTIONS, TABLE_OPTIONS, 'q', 0 },
};

const struct iommuctl_command iommuctl_cmd_devices = {
	.name = "devices",
	.run = do_devices,
	.args = "[ADDRESS...]",
	.summary = "PCI devices: unit, group, PASID, ATS, PRI, ACS",
	.doc = "One line per PCI device: its unit, group, driver, PCI capabilities and the "
	       "effective PASID width; ADDRESS... (0000:00:1f.2) selects devices. PASID, ATS, PRI "
	       "and ACS are in the extended configuration space, which only CAP_SYS_ADMIN can "
	       "read.\v" EXIT_STATUS_COMMON,
	.options = (const int[]){ SOURCE_OPTIONS, TABLE_OPTIONS, 'q', 0 },
};

const struct iommuctl_command iommuctl_cmd_groups = {
	.name = "groups",
	.run = do_groups,
	.args = "[GROUP...]",
	.summary = "IOMMU groups: default domain type and members",
	.doc = "One line per IOMMU group: its default domain type, its devices and their unit; "
	       "GROUP... selects groups by number.\v" EXIT_STATUS_COMMON,
	.options = (const int[]){ SOURCE_OPTIONS, TABLE_OPTIONS, 'q', 0 },
};

const struct iommuctl_command iommuctl_cmd_tree = {
	.name = "tree",
	.run = do_tree,
	.args = "[UNIT...]",
	.summary = "units, their groups and devices as a tree",
	.doc = "Units, the IOMMU groups of the devices each serves, and the groups' devices, as a "
	       "tree (as lsblk draws disks): each group's default domain type, each device's "
	       "driver and PCI PASID width, ATS and PRI; UNIT... selects units by name. Groups no "
	       "unit serves follow the units. -J nests each row's children in a \"children\" "
	       "array; the first -o column draws the tree.\v" EXIT_STATUS_COMMON,
	.options = (const int[]){ SOURCE_OPTIONS, TABLE_OPTIONS, 'q', 0 },
};
