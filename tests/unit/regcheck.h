/* Register-table checks shared by the VT-d and AMD-Vi unit tests. */
#pragma once

#include <inttypes.h>
#include <stdint.h>

#include "lib/regs.h"
#include "unit.h"

static inline uint64_t mask_of(unsigned shift, unsigned width)
{
	return (width >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << width) - 1) << shift;
}

struct want_field {
	const char *name;
	unsigned shift, width;
};

/* Set one field to all ones: it reads all ones, every other field reads 0, nothing is unknown. */
static inline void check_each_field_alone(const struct regdef *def, const struct want_field *want,
					  size_t n)
{
	uint64_t v;

	assert_int_equal(def->n_fields, n); /* and no field the kernel does not name */
	for (size_t i = 0; i < n; i++) {
		uint64_t value = mask_of(want[i].shift, want[i].width);

		if (reg_field(def, 0, want[i].name, &v) < 0)
			fail_msg("%s: no field \"%s\"", def->name, want[i].name);
		v = reg_bits(def, value, want[i].name);
		if (v != mask_of(0, want[i].width))
			fail_msg("%s.%s: bits %u+%u set read as 0x%" PRIx64, def->name,
				 want[i].name, want[i].shift, want[i].width, v);
		for (size_t j = 0; j < n; j++) {
			if (j == i)
				continue;
			v = reg_bits(def, value, want[j].name);
			if (v != 0)
				fail_msg("%s.%s set: %s reads 0x%" PRIx64, def->name, want[i].name,
					 want[j].name, v);
		}
		v = reg_unknown_bits(def, value);
		if (v != 0)
			fail_msg("%s.%s set: unknown_bits 0x%" PRIx64, def->name, want[i].name, v);
	}
}
