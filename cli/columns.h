/* The column tables of "show", "devices", "groups" and "tree". */
#pragma once

#include "lib/iommucap.h"
#include "table-engine.h"

extern const struct table_spec units_table;
extern const struct table_spec devices_table;
extern const struct table_spec groups_table;
extern const struct table_spec tree_table;

/* A row of "tree": a unit, a group, or a group member (PCI: with its device, else only a name). */
enum tree_kind {
	TREE_UNIT,
	TREE_GROUP,
	TREE_DEVICE,
};

struct tree_row {
	enum tree_kind kind;
	const struct iommucap_unit *unit;
	const struct iommucap_group *group;
	const struct iommucap_device *device; /* NULL for a member that is not a PCI device */
	const char *name;		      /* the member's name (its sysfs link) */
};

json_t *unit_cell(const void *row, size_t col);
json_t *device_cell(const void *row, size_t col);
json_t *group_cell(const void *row, size_t col);
json_t *tree_cell(const void *row, size_t col);

/*
 * Whether these columns of "show" print only what a unit summary has (ListUnitSummaries): the
 * predicted boot messages need the registers and the host's kernel and command line.
 */
bool units_columns_summary_only(const size_t *cols, size_t n);

/* Whether these columns of "devices" need the units (MODEL), and those of "groups" where each
 * device sits (UNIT). */
bool devices_columns_need_units(const size_t *cols, size_t n);
bool groups_columns_need_devices(const size_t *cols, size_t n);
/* Does a tree print more of a device than its name (its PCI facts: ListDevices)? */
bool tree_columns_need_devices(const size_t *cols, size_t n);

/* The host the getters look things up in (device counts, units of devices). */
void tables_set_host(const struct iommucap_host *h);
