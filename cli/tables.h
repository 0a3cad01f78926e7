/* The column tables of "show", "devices" and "groups". */
#pragma once

#include "lib/iommucap.h"
#include "table.h"

extern const struct table_spec units_table;
extern const struct table_spec devices_table;
extern const struct table_spec groups_table;

json_t *unit_cell(const void *row, size_t col);
json_t *device_cell(const void *row, size_t col);
json_t *group_cell(const void *row, size_t col);

/* The host the getters look things up in (device counts, units of devices). */
void tables_set_host(const struct iommucap_host *h);
