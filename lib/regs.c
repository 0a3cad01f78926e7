/* The register-table engine: one walk over a register's fields. */
#include "config.h"

#include "macro.h"
#include "model.h"
#include "regs.h"

static uint64_t xform(const struct regfield *f, uint64_t bits)
{
	switch (f->xform) {
	case XF_PLUS1:
		return bits + 1;
	case XF_TIMES16:
		return bits * 16;
	case XF_NDOMS:
		return UINT64_C(1) << (4 + 2 * bits);
	case XF_RAW:
	case XF_HEX:
		break;
	}
	return bits;
}

static const struct regfield *find_field(const struct regdef *def, const char *name)
{
	for (size_t i = 0; i < def->n_fields; i++)
		if (streq(def->fields[i].name, name))
			return &def->fields[i];
	return NULL;
}

int reg_field(const struct regdef *def, uint64_t value, const char *name, uint64_t *ret)
{
	const struct regfield *f = find_field(def, name);

	if (!f)
		return -ENOENT;
	*ret = xform(f, bits_get(value, f->shift, f->width));
	return 0;
}

uint64_t reg_bits(const struct regdef *def, uint64_t value, const char *name)
{
	const struct regfield *f = find_field(def, name);

	if (!f)
		abort();
	return bits_get(value, f->shift, f->width);
}

uint64_t reg_unknown_bits(const struct regdef *def, uint64_t value)
{
	uint64_t known = 0;

	for (size_t i = 0; i < def->n_fields; i++)
		known |= bits_mask(def->fields[i].shift, def->fields[i].width);
	return value & ~known;
}

int reg_decode(const struct regdef *def, uint64_t value, struct iommucap_unit *u)
{
	int k;

	for (size_t i = 0; i < def->n_fields; i++) {
		const struct regfield *f = &def->fields[i];
		uint64_t v = xform(f, bits_get(value, f->shift, f->width));

		k = unit_add_field(u, def->name, f->name,
				   f->xform == XF_HEX ? IOMMUCAP_FIELD_HEX : IOMMUCAP_FIELD_NUM, v,
				   NULL);
		if (k < 0)
			return k;
	}
	return unit_add_field(u, def->name, "unknown_bits", IOMMUCAP_FIELD_HEX,
			      reg_unknown_bits(def, value), NULL);
}

bool reg_unit_get(const struct iommucap_unit *u, const struct regdef *def, unsigned idx,
		  uint64_t *ret)
{
	const char *name = def->fields[idx].name;

	for (size_t i = 0; i < u->n_fields; i++)
		if (streq(u->fields[i].group, def->name) && streq(u->fields[i].name, name) &&
		    u->fields[i].kind != IOMMUCAP_FIELD_STR) {
			*ret = u->fields[i].num;
			return true;
		}
	return false;
}
