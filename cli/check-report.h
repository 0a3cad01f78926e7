/* The check result (schema/check-result.schema.json) as people read it. */
#pragma once

#include <jansson.h>
#include <stdio.h>

/* A line per rule that did not pass, grouped by unit, and a summary line. Returns 0. */
int check_report_print(json_t *result, FILE *f);

/* The result's exit status: 0 compatible, 1 incompatible, 2 indeterminate. */
int check_report_exit_status(json_t *result);
