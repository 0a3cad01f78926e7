/* Errors that name the JSON path of the bad member ("units/0/capabilities/ssid_bits: ..."). */
#pragma once

#include <stddef.h>

#include "macro.h"

struct jsonpath {
	char path[256];
	char *error; /* the first error, owned */
};

/* Record the first error as "path/field: message" (field may be NULL); returns -EINVAL. */
int jsonpath_bad(struct jsonpath *x, const char *field, const char *fmt, ...) _printf_(3, 4);

/* Descend into a member; jsonpath_pop() restores with the returned length. */
size_t jsonpath_push(struct jsonpath *x, const char *fmt, ...) _printf_(2, 3);

static inline void jsonpath_pop(struct jsonpath *x, size_t len)
{
	x->path[len] = 0;
}
