/* The register-table engine: a register is data (fields with bit positions), decoded by one walk.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "iommucap.h"
#include "macro.h"

/* How a field's bits become the value shown, following the kernel's accessor macro. */
enum regfield_xform {
	XF_RAW,	    /* the bits as they are */
	XF_PLUS1,   /* bits + 1 (e.g. cap_mgaw, cap_num_fault_regs) */
	XF_TIMES16, /* bits * 16, a register offset in bytes (cap_fault_reg_offset) */
	XF_NDOMS,   /* 1 << (4 + 2 * bits), the number of domain ids (cap_ndoms) */
	XF_HEX,	    /* the bits, shown as a hex string (bitmaps) */
};

struct regfield {
	const char *name; /* lower-case mnemonic; the JSON key */
	uint8_t shift;
	uint8_t width;
	enum regfield_xform xform;
	const char *meaning;
};

struct regdef {
	const char *name; /* the register's name in "raw" and "fields" */
	unsigned bits;	  /* 32 or 64 */
	const struct regfield *fields;
	size_t n_fields;
};

#define REGDEF(n, b, f)                                                                            \
	{                                                                                          \
		.name = (n), .bits = (b), .fields = (f), .n_fields = ELEMENTSOF(f)                 \
	}

/* Value of a named field of a register as the table's transform gives it; -ENOENT if unnamed. */
int reg_field(const struct regdef *def, uint64_t value, const char *name, uint64_t *ret);

/*
 * Raw bits of field idx, an index of the register table's enum (VTD_ECAP_SMTS): a misspelt field
 * does not compile.
 */
static inline uint64_t reg_get(const struct regdef *def, uint64_t value, unsigned idx)
{
	return bits_get(value, def->fields[idx].shift, def->fields[idx].width);
}

/*
 * The value of field idx of register def in the unit's field view (what a host document read back
 * keeps of its registers); false when the view does not have it.
 */
bool reg_unit_get(const struct iommucap_unit *u, const struct regdef *def, unsigned idx,
		  uint64_t *ret);

/* Raw bits of a field by name, for the tests that check tables against the spec; aborts on a
 * name not in the table. */
uint64_t reg_bits(const struct regdef *def, uint64_t value, const char *name);

/* Append every field of the register to the unit's field view, and its unknown bits. */
int reg_decode(const struct regdef *def, uint64_t value, struct iommucap_unit *u);

/* Bits set in value that no field of the table names. */
uint64_t reg_unknown_bits(const struct regdef *def, uint64_t value);
