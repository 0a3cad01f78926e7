/* Fleet: what each unit of a host offers a guest; compare two hosts; the baseline of many. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iommucap.h"
#include "requirement.h"

/*
 * --migratable: keep only what a guest that can still migrate relies on (min.input_bits,
 * features.dirty_tracking, features.httu); leave out what only a device assigned behind a
 * vIOMMU uses (QEMU blocks migration then). Fields no guest sees are never compared.
 */
#define IOMMUCAP_FLEET_MIGRATABLE (1u << 0)

/* The fields of an offer, in the order differences are reported: the model, then every
 * capability a requirement names, in the catalogue's order (lib/capabilities.def). */
enum iommucap_offer_field {
	IOMMUCAP_OF_MODEL,
#define CAP_NONE(...)
#define CAP(kind, id, ...) IOMMUCAP_OF_##id,
#include "capabilities.def"
#undef CAP
	_IOMMUCAP_OF_MAX,
};

/*
 * One field of an offer: unknown, or a number (model, width, 0/1, stall set, httu level 0-2),
 * or a sorted list without duplicates (page sizes ascending, names in strcmp order).
 */
struct iommucap_offer_value {
	bool known;
	int64_t num;
	size_t n;
	uint64_t *nums;
	char **strs;
};

/* What one unit can give a guest: the largest requirement it satisfies, field by field. */
struct iommucap_offer {
	char *unit; /* where it came from; NULL for a meet */
	struct iommucap_offer_value f[_IOMMUCAP_OF_MAX];
};

/* A host's offers, one per unit, in the host's unit order. */
struct iommucap_offers {
	struct iommucap_offer *units;
	size_t n;
};

/* "model", "min.ssid_bits", "features.ats", "features.stall", "page_sizes", "pasid_table"... */
const char *iommucap_offer_field_name(enum iommucap_offer_field f);

int iommucap_host_offers(const struct iommucap_host *h, unsigned flags,
			 struct iommucap_offers **ret);
struct iommucap_offers *iommucap_offers_free(struct iommucap_offers *o);

/*
 * The host's own offer: its strongest unit's (the most demands, then the widest, then a fixed
 * order of values, so that neither unit names nor their order matter). -ENODEV without units.
 */
int iommucap_offers_best(const struct iommucap_offers *o, const struct iommucap_offer **ret);

/* The requirement document an offer stands for; iommucap_check() passes it on that unit. */
int iommucap_offer_to_requirement(const struct iommucap_offer *o,
				  struct iommucap_requirement **ret);

/* An offer field as the differences print it: null when unknown; NULL for lack of memory. */
json_t *iommucap_offer_value_to_json(const struct iommucap_offer *o, enum iommucap_offer_field f);

/* ---- compare ------------------------------------------------------------------------------ */

enum iommucap_comparison_result {
	IOMMUCAP_CMP_IDENTICAL,	   /* the same requirements are satisfiable on both */
	IOMMUCAP_CMP_SUPERSET,	   /* B satisfies every requirement A does, and more */
	IOMMUCAP_CMP_SUBSET,	   /* A satisfies every requirement B does, and more */
	IOMMUCAP_CMP_INCOMPATIBLE, /* each satisfies one the other does not */
};

enum iommucap_relation {
	IOMMUCAP_REL_MORE,    /* B offers more in this field */
	IOMMUCAP_REL_LESS,    /* B offers less */
	IOMMUCAP_REL_UNKNOWN, /* A offers something; B's value is not known, so B cannot promise */
	IOMMUCAP_REL_DIFFERS, /* neither contains the other (model, lists, stall) */
};

struct iommucap_difference {
	const char *field; /* an offer field's name, or "units" */
	enum iommucap_relation relation;
	json_t *a, *b;	       /* the values (null when unknown) */
	char *a_unit, *b_unit; /* the units compared; NULL for "units" */
};

struct iommucap_comparison {
	enum iommucap_comparison_result result;
	struct iommucap_difference *diffs;
	size_t n_diffs;
};

const char *iommucap_comparison_result_name(enum iommucap_comparison_result r);
const char *iommucap_relation_name(enum iommucap_relation r);

/*
 * Can B take every guest A can? A guest sits on one unit (its device's), so B can when each unit
 * of A is dominated by some unit of B (equal model, every width at least A's, every feature A
 * has, list fields supersets, the stall and httu requirements A satisfies). Names are ignored.
 */
int iommucap_compare(const struct iommucap_offers *a, const struct iommucap_offers *b,
		     struct iommucap_comparison **ret);
struct iommucap_comparison *iommucap_comparison_free(struct iommucap_comparison *c);

/* {result, differences[{field, relation, a, b, a_unit, b_unit}]} */
int iommucap_comparison_to_json(const struct iommucap_comparison *c, json_t **ret);

/* ---- baseline ----------------------------------------------------------------------------- */

/*
 * The baseline is a fold over hosts, one at a time: the meet of each host's own offer (see
 * iommucap_offers_best()), so only the running meet is kept.
 */
struct iommucap_baseline;

int iommucap_baseline_new(unsigned flags, struct iommucap_baseline **ret);
struct iommucap_baseline *iommucap_baseline_free(struct iommucap_baseline *b);

/* Fold a host in. -ENODEV when it has no IOMMU unit: no requirement is satisfied there. */
int iommucap_baseline_add(struct iommucap_baseline *b, const struct iommucap_host *h);
int iommucap_baseline_add_offers(struct iommucap_baseline *b, const struct iommucap_offers *o);
size_t iommucap_baseline_n_hosts(const struct iommucap_baseline *b);

/* The requirement every host added satisfies; -ENODATA before the first host. */
int iommucap_baseline_requirement(const struct iommucap_baseline *b,
				  struct iommucap_requirement **ret);

static inline void iommucap_offers_freep(struct iommucap_offers **o)
{
	iommucap_offers_free(*o);
}
static inline void iommucap_baseline_freep(struct iommucap_baseline **b)
{
	iommucap_baseline_free(*b);
}
