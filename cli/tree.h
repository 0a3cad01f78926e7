/* "iommuctl tree": the rows of the unit -> group -> device tree, in the order they print. */
#pragma once

#include <sys/types.h>

#include "lib/iommucap.h"
#include "columns.h"

struct tree_rows {
	struct tree_row *rows;
	ssize_t *parents; /* the index of each row's parent, -1 for a root */
	size_t n;
};

/*
 * Every unit (or only those named in units[]), each with the groups of the devices it serves and
 * their members; then, when no unit is named, the groups no unit serves. Returns 0 or -ENOMEM.
 */
int tree_rows_build(const struct iommucap_host *h, char *const *units, size_t n_units,
		    struct tree_rows **ret);
void tree_rows_free(struct tree_rows *t);

static inline void tree_rows_freep(struct tree_rows **t)
{
	tree_rows_free(*t);
}
