/* Fleet: unit offers, compare (identical, superset, subset, incompatible) and the baseline fold. */
#include "config.h"

#include <assert.h>
#include <inttypes.h>

#include "fleet.h"
#include "macro.h"

enum kind {
	K_MODEL, /* equal or not: the vIOMMUs that check the host check its type */
	K_WIDTH, /* at least */
	K_BOOL,	 /* true offers more than false */
	K_STALL, /* a set of stall_bits */
	K_HTTU,	 /* 0 none, 1 access, 2 access+dirty */
	K_NUMS,	 /* a set of numbers */
	K_STRS,	 /* a set of names */
};

/*
 * Only what a guest can observe counts (see iommuctl(1), COMPARE AND BASELINE, for the table).
 * A guest sees its vIOMMU, which QEMU emulates with its own values (intel-iommu's aw-bits, the
 * vSMMU's IDR registers); the host IOMMU shows through only where QEMU checks it against the
 * vIOMMU or where the host walks what the guest built:
 * - hw/i386/intel_iommu.c vtd_check_hiod() (QEMU 11.1): aw-bits against the host's (input
 *   bits), and under fsts the host type, FS1GP and the PASID width; the host then walks the
 *   guest's first-stage tables (nesting);
 * - hw/arm/smmuv3-accel.c smmuv3_accel_check_hw_compatible() (QEMU 11.1): STLEVEL, TTENDIAN,
 *   TTF, SIDSIZE, SSIDSIZE, RIL, OAS (output bits), ATS and the GRAN4K/16K/64K granules (page
 *   sizes); the host walks the guest's CD tables and stage-1 tables;
 * - AMD nesting (iommufd's IOMMU_HWPT_DATA_AMD_GUEST): the host walks the guest's GCR3 table
 *   and its v2 tables.
 * Second-stage (VT-d), v1 (AMD) tables and the VT-d PASID table are built by the host kernel
 * and never seen by a guest; VT-d's host address width (output bits) bounds host physical
 * memory; ASID size and BTM are not checked by the accelerated vSMMU, which reports its own;
 * caching mode says the host is itself a guest; scalable mode matters only through the
 * nesting and dirty tracking it enables, which count themselves.
 * The catalogue (lib/capabilities.def) holds the verdict per capability: GUEST and MIGRATABLE.
 *
 * The capability behind each field but the model: */
static const enum iommucap_cap of_caps[_IOMMUCAP_OF_MAX] = {
#define CAP_NONE(...)
#define CAP(kind, id, ...) [IOMMUCAP_OF_##id] = IOMMUCAP_##id,
#include "capabilities.def"
#undef CAP
};

static const struct iommucap_cap_info *info_of(enum iommucap_offer_field f)
{
	return iommucap_cap_info(of_caps[f]);
}

/* The field of a capability a requirement names. */
static enum iommucap_offer_field field_of(enum iommucap_cap c)
{
	int f = 1;

	while (f < _IOMMUCAP_OF_MAX && of_caps[f] != c)
		f++;
	assert(f < _IOMMUCAP_OF_MAX);
	return (enum iommucap_offer_field)f;
}

/* How a field compares: the model by equality, the rest as the catalogue's requirement kind. */
static enum kind kind_of(enum iommucap_offer_field f)
{
	if (f == IOMMUCAP_OF_MODEL)
		return K_MODEL;
	switch (info_of(f)->req) {
	case IOMMUCAP_REQ_MIN:
		return K_WIDTH;
	case IOMMUCAP_REQ_FEATURE:
		return K_BOOL;
	case IOMMUCAP_REQ_ENUM:
		return of_caps[f] == IOMMUCAP_STALL ? K_STALL : K_HTTU;
	default:
		return info_of(f)->type == IOMMUCAP_T_INT_LIST ? K_NUMS : K_STRS;
	}
}

/* Formats only the host walks: VT-d second-stage and AMD v1 page tables, the VT-d PASID table.
 * Every other name (VT-d first-stage, AMD v2, SMMUv3 stage-1, the CD and GCR3 tables, names
 * we do not know) may be a table the guest built. */
static bool host_only_format(enum iommucap_offer_field f, const char *s)
{
	if (f == IOMMUCAP_OF_PGTABLE_FORMATS)
		return startswith(s, "vtd-ss-") || startswith(s, "amd-v1-");
	return f == IOMMUCAP_OF_PASID_TABLE_FORMATS && streq(s, "intel");
}

/* The stall requirements (features.stall) a unit satisfies, as a set of these bits. */
static const int stall_bits[_IOMMUCAP_STALL_MAX] = {
	[IOMMUCAP_STALL_DISABLED] = 1 << 0, /* the unit never forces stalls */
	[IOMMUCAP_STALL_ENABLED] = 1 << 1,  /* stalls are possible */
	[IOMMUCAP_STALL_FORCE] = 1 << 2,    /* every fault stalls */
};

/* PASID-table models a requirement may name, in the proposal's order ("host" aside). */
static const char *const *const pasid_models = iommucap_pasid_table_models + 1;

const char *iommucap_offer_field_name(enum iommucap_offer_field f)
{
	if ((unsigned)f >= _IOMMUCAP_OF_MAX)
		return NULL;
	return f == IOMMUCAP_OF_MODEL ? "model" : info_of(f)->req_path;
}

/* ---- values ------------------------------------------------------------------------------- */

static void value_clear(struct iommucap_offer_value *v)
{
	for (size_t i = 0; v->strs && i < v->n; i++)
		free(v->strs[i]);
	free(v->strs);
	free(v->nums);
	*v = (struct iommucap_offer_value){};
}

static void offer_done(struct iommucap_offer *o)
{
	free(o->unit);
	o->unit = NULL;
	for (int f = 0; f < _IOMMUCAP_OF_MAX; f++)
		value_clear(&o->f[f]);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A sorted set of numbers from n of them. */
static int set_nums(struct iommucap_offer_value *v, const uint64_t *src, size_t n)
{
	size_t k = 0;

	v->nums = malloc((n ? n : 1) * sizeof(uint64_t));
	if (!v->nums)
		return -ENOMEM;
	if (n)
		memcpy(v->nums, src, n * sizeof(uint64_t));
	qsort_safe(v->nums, n, sizeof(uint64_t), cmp_u64);
	for (size_t i = 0; i < n; i++)
		if (k == 0 || v->nums[k - 1] != v->nums[i])
			v->nums[k++] = v->nums[i];
	v->n = k;
	v->known = true;
	return 0;
}

/* A sorted set of names, copied. */
static int set_strs(struct iommucap_offer_value *v, char *const *src, size_t n)
{
	size_t k = 0;

	v->strs = calloc(n ? n : 1, sizeof(char *));
	if (!v->strs)
		return -ENOMEM;
	v->known = true;
	for (size_t i = 0; i < n; i++) {
		v->strs[i] = strdup(src[i]);
		if (!v->strs[i]) {
			v->n = i;
			return -ENOMEM;
		}
	}
	qsort_safe(v->strs, n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (k > 0 && streq(v->strs[k - 1], v->strs[i]))
			free(v->strs[i]);
		else
			v->strs[k++] = v->strs[i];
	}
	v->n = k;
	return 0;
}

static int value_copy(struct iommucap_offer_value *dst, const struct iommucap_offer_value *src)
{
	*dst = (struct iommucap_offer_value){ .known = src->known, .num = src->num };
	if (src->nums)
		return set_nums(dst, src->nums, src->n);
	if (src->strs)
		return set_strs(dst, src->strs, src->n);
	return 0;
}

/* The stall requirements (features.stall) a unit with this stall model satisfies. */
static int stall_set(enum iommucap_stall s)
{
	switch (s) {
	case IOMMUCAP_STALL_DISABLED:
		return stall_bits[IOMMUCAP_STALL_DISABLED];
	case IOMMUCAP_STALL_ENABLED:
		return stall_bits[IOMMUCAP_STALL_ENABLED] | stall_bits[IOMMUCAP_STALL_DISABLED];
	case IOMMUCAP_STALL_FORCE:
		return stall_bits[IOMMUCAP_STALL_ENABLED] | stall_bits[IOMMUCAP_STALL_FORCE];
	case _IOMMUCAP_STALL_MAX:
		break;
	}
	return -1;
}

/* The one stall requirement a set stands for: the unit's own model, or what a meet keeps. */
static enum iommucap_stall stall_of(int64_t set)
{
	return set & stall_bits[IOMMUCAP_STALL_FORCE]	  ? IOMMUCAP_STALL_FORCE
	       : set & stall_bits[IOMMUCAP_STALL_ENABLED] ? IOMMUCAP_STALL_ENABLED
							  : IOMMUCAP_STALL_DISABLED;
}

static const char *stall_name(int64_t set)
{
	return iommucap_stall_names[stall_of(set)];
}

static int value_from_cap(struct iommucap_offer_value *v, enum kind k,
			  const struct iommucap_capval *c)
{
	int64_t n;

	if (c->source == IOMMUCAP_SRC_UNKNOWN)
		return 0;
	switch (k) {
	case K_MODEL:
		return 0;
	case K_WIDTH:
		if (c->num >= 0) { /* a negative width is nonsense: not known */
			v->known = true;
			v->num = c->num;
		}
		return 0;
	case K_BOOL:
		v->known = true;
		v->num = !!c->num;
		return 0;
	case K_STALL:
		n = stall_set((enum iommucap_stall)c->num);
		if (n >= 0) {
			v->known = true;
			v->num = n;
		}
		return 0;
	case K_HTTU:
		v->known = true;
		v->num = c->num;
		return 0;
	case K_NUMS:
		return set_nums(v, c->list.nums, c->list.n);
	case K_STRS:
		return set_strs(v, c->list.strs, c->list.n);
	}
	return 0;
}

/* Does the field ask anything of another unit? Zero widths, false and empty sets do not. */
static bool requires(const struct iommucap_offer_value *v, enum kind k)
{
	if (!v->known)
		return false;
	switch (k) {
	case K_MODEL:
		return true;
	case K_WIDTH:
	case K_BOOL:
	case K_STALL:
	case K_HTTU:
		return v->num > 0;
	case K_NUMS:
	case K_STRS:
		return v->n > 0;
	}
	return false;
}

static bool subset(const struct iommucap_offer_value *a, const struct iommucap_offer_value *b,
		   enum kind k)
{
	size_t j = 0;

	for (size_t i = 0; i < a->n; i++) {
		int c = 1;

		while (j < b->n && (c = k == K_NUMS ? cmp_u64(&b->nums[j], &a->nums[i])
						    : strcmp(b->strs[j], a->strs[i])) < 0)
			j++;
		if (j == b->n || c != 0)
			return false;
		j++;
	}
	return true;
}

enum cover {
	COVER_OK,
	COVER_FAIL,
	COVER_UNKNOWN,
};

/* Does b satisfy, in field f, every requirement a satisfies? */
static enum cover covers(const struct iommucap_offer *b, const struct iommucap_offer *a,
			 enum iommucap_offer_field f)
{
	const struct iommucap_offer_value *x = &a->f[f], *y = &b->f[f];
	enum kind k = kind_of(f);
	bool ok;

	if (!requires(x, k))
		return COVER_OK;
	if (!y->known)
		return COVER_UNKNOWN;
	switch (k) {
	case K_MODEL:
		ok = y->num == x->num;
		break;
	case K_STALL:
		ok = (x->num & ~y->num) == 0;
		break;
	case K_NUMS:
	case K_STRS:
		ok = subset(x, y, k);
		break;
	default:
		ok = y->num >= x->num;
	}
	return ok ? COVER_OK : COVER_FAIL;
}

static bool dominates(const struct iommucap_offer *b, const struct iommucap_offer *a)
{
	for (int f = 0; f < _IOMMUCAP_OF_MAX; f++)
		if (covers(b, a, (enum iommucap_offer_field)f) != COVER_OK)
			return false;
	return true;
}

json_t *iommucap_offer_value_to_json(const struct iommucap_offer *o, enum iommucap_offer_field f)
{
	const struct iommucap_offer_value *v = &o->f[f];
	json_t *a;

	if (!v->known)
		return json_null();
	switch (kind_of(f)) {
	case K_MODEL:
		return json_string(iommucap_model_name((enum iommucap_model)v->num));
	case K_WIDTH:
		return json_integer(v->num);
	case K_BOOL:
		return json_boolean(v->num);
	case K_STALL:
		return json_string(stall_name(v->num));
	case K_HTTU:
		return json_string(iommucap_httu_names[v->num]);
	case K_NUMS:
	case K_STRS:
		a = json_array();
		for (size_t i = 0; a && i < v->n; i++)
			if (json_array_append_new(a, v->nums ? json_integer((json_int_t)v->nums[i])
							     : json_string(v->strs[i])) < 0) {
				json_decref(a);
				return NULL;
			}
		return a;
	}
	return NULL;
}

/* ---- offers ------------------------------------------------------------------------------- */

static void drop_host_only(struct iommucap_offer_value *v, enum iommucap_offer_field f)
{
	size_t k = 0;

	for (size_t i = 0; i < v->n; i++) {
		if (host_only_format(f, v->strs[i]))
			free(v->strs[i]);
		else
			v->strs[k++] = v->strs[i];
	}
	v->n = k;
}

static int offer_from_unit(struct iommucap_offer *o, const struct iommucap_unit *u, unsigned flags)
{
	int k;

	o->unit = strdup(u->name);
	if (!o->unit)
		return -ENOMEM;
	for (int f = 0; f < _IOMMUCAP_OF_MAX; f++) {
		struct iommucap_offer_value *v = &o->f[f];

		if ((flags & IOMMUCAP_FLEET_MIGRATABLE) &&
		    (f == IOMMUCAP_OF_MODEL || !info_of(f)->migratable))
			continue;
		if (f == IOMMUCAP_OF_MODEL) {
			v->known = u->model != IOMMUCAP_MODEL_UNKNOWN;
			v->num = u->model;
			continue;
		}
		if (info_of(f)->guest == IOMMUCAP_GUEST_NO ||
		    (info_of(f)->guest == IOMMUCAP_GUEST_SMMUV3 &&
		     u->model != IOMMUCAP_MODEL_UNKNOWN && u->model != IOMMUCAP_MODEL_ARM_SMMU_V3))
			continue;
		k = value_from_cap(v, kind_of(f), &u->caps[of_caps[f]]);
		if (k < 0)
			return k;
		if (kind_of(f) == K_STRS)
			drop_host_only(v, (enum iommucap_offer_field)f);
	}
	return 0;
}

struct iommucap_offers *iommucap_offers_free(struct iommucap_offers *o)
{
	if (!o)
		return NULL;
	for (size_t i = 0; i < o->n; i++)
		offer_done(&o->units[i]);
	free(o->units);
	free(o);
	return NULL;
}

int iommucap_host_offers(const struct iommucap_host *h, unsigned flags,
			 struct iommucap_offers **ret)
{
	struct iommucap_offers *o = calloc(1, sizeof(*o));
	int k;

	if (!o)
		return -ENOMEM;
	o->units = calloc(h->n_units ? h->n_units : 1, sizeof(*o->units));
	if (!o->units) {
		free(o);
		return -ENOMEM;
	}
	for (size_t i = 0; i < h->n_units; i++) {
		o->n++;
		k = offer_from_unit(&o->units[i], &h->units[i], flags);
		if (k < 0) {
			iommucap_offers_free(o);
			return k;
		}
	}
	*ret = o;
	return 0;
}

/* How much an offer demands: each width, feature, stall model, httu level and list member. */
static void score(const struct iommucap_offer *o, int64_t *ret_atoms, int64_t *ret_bits)
{
	int64_t atoms = 0, bits = 0;

	for (int f = 0; f < _IOMMUCAP_OF_MAX; f++) {
		const struct iommucap_offer_value *v = &o->f[f];
		enum kind k = kind_of(f);

		if (k == K_MODEL || !requires(v, k))
			continue;
		if (k == K_WIDTH) {
			atoms++;
			bits += v->num;
		} else if (k == K_BOOL)
			atoms++;
		else if (k == K_STALL)
			atoms += __builtin_popcountll((unsigned long long)v->num);
		else if (k == K_HTTU)
			atoms += v->num;
		else
			atoms += (int64_t)v->n;
	}
	*ret_atoms = atoms;
	*ret_bits = bits;
}

/* A total order on offer values, names aside, so that choices do not depend on unit order. */
static int value_order(const struct iommucap_offer *x, const struct iommucap_offer *y)
{
	for (int f = 0; f < _IOMMUCAP_OF_MAX; f++) {
		const struct iommucap_offer_value *a = &x->f[f], *b = &y->f[f];
		int c;

		if (a->known != b->known)
			return a->known ? 1 : -1;
		if (a->num != b->num)
			return a->num < b->num ? -1 : 1;
		if (a->n != b->n)
			return a->n < b->n ? -1 : 1;
		for (size_t i = 0; i < a->n; i++) {
			c = a->nums ? cmp_u64(&a->nums[i], &b->nums[i])
				    : strcmp(a->strs[i], b->strs[i]);
			if (c)
				return c;
		}
	}
	return 0;
}

int iommucap_offers_best(const struct iommucap_offers *o, const struct iommucap_offer **ret)
{
	const struct iommucap_offer *best = NULL;
	int64_t best_atoms = 0, best_bits = 0;

	for (size_t i = 0; i < o->n; i++) {
		int64_t atoms, bits;

		score(&o->units[i], &atoms, &bits);
		if (!best || atoms > best_atoms || (atoms == best_atoms && bits > best_bits) ||
		    (atoms == best_atoms && bits == best_bits &&
		     value_order(&o->units[i], best) > 0)) {
			best = &o->units[i];
			best_atoms = atoms;
			best_bits = bits;
		}
	}
	if (!best)
		return -ENODEV;
	*ret = best;
	return 0;
}

static bool has_str(const struct iommucap_offer_value *v, const char *s)
{
	for (size_t i = 0; i < v->n; i++)
		if (streq(v->strs[i], s))
			return true;
	return false;
}

int iommucap_offer_to_requirement(const struct iommucap_offer *o, struct iommucap_requirement **ret)
{
	struct iommucap_requirement *r = calloc(1, sizeof(*r));
	const struct iommucap_offer_value *v;

	if (!r)
		return -ENOMEM;
	for (int m = 0; m < _IOMMUCAP_MIN_MAX; m++) {
		const struct iommucap_cap_info *c =
			iommucap_cap_info(iommucap_req_min_cap((enum iommucap_req_min)m));

		v = &o->f[field_of(iommucap_req_min_cap((enum iommucap_req_min)m))];
		if (!requires(v, K_WIDTH))
			continue;
		/* A wider host still satisfies the widest a requirement can ask. */
		r->min[m].set = true;
		r->min[m].value = v->num > c->req_max ? c->req_max : v->num;
	}
	for (int f = 0; f < _IOMMUCAP_FEAT_MAX; f++)
		if (requires(
			    &o->f[field_of(iommucap_req_feature_cap((enum iommucap_req_feature)f))],
			    K_BOOL))
			r->features[f] = IOMMUCAP_WANT_TRUE;
	v = &o->f[IOMMUCAP_OF_STALL];
	if (requires(v, K_STALL)) {
		r->has_stall = true;
		r->stall = stall_of(v->num);
	}
	v = &o->f[IOMMUCAP_OF_HTTU];
	if (requires(v, K_HTTU)) {
		r->has_httu = true;
		r->httu = (enum iommucap_httu)v->num;
	}

	/* Lists: only what the requirement schema can hold (format names, powers of two). */
	v = &o->f[IOMMUCAP_OF_PGTABLE_FORMATS];
	for (size_t i = 0; v->known && i < v->n && r->n_pgtable_formats < IOMMUCAP_LIST_MAX; i++) {
		if (!iommucap_format_name_ok(v->strs[i]))
			continue;
		char **n = realloc(r->pgtable_formats, (r->n_pgtable_formats + 1) * sizeof(char *));

		if (!n)
			goto oom;
		r->pgtable_formats = n;
		if (!(n[r->n_pgtable_formats] = strdup(v->strs[i])))
			goto oom;
		r->n_pgtable_formats++;
		r->has_pgtable_formats = true;
	}
	v = &o->f[IOMMUCAP_OF_PAGE_SIZES];
	for (size_t i = 0; v->known && i < v->n && r->n_page_sizes < IOMMUCAP_LIST_MAX; i++) {
		uint64_t s = v->nums[i];

		if (s < IOMMUCAP_PAGE_SIZE_MIN || s > IOMMUCAP_PAGE_SIZE_MAX || (s & (s - 1)))
			continue;
		uint64_t *n = realloc(r->page_sizes, (r->n_page_sizes + 1) * sizeof(uint64_t));

		if (!n)
			goto oom;
		r->page_sizes = n;
		n[r->n_page_sizes++] = s;
		r->has_page_sizes = true;
	}
	v = &o->f[IOMMUCAP_OF_PASID_TABLE_FORMATS];
	for (size_t i = 0; v->known && pasid_models[i]; i++)
		if (has_str(v, pasid_models[i])) {
			r->has_pasid_table = true;
			if (!(r->pasid_table.model = strdup(pasid_models[i])))
				goto oom;
			break;
		}
	*ret = r;
	return 0;
oom:
	iommucap_requirement_free(r);
	return -ENOMEM;
}

/* ---- compare ------------------------------------------------------------------------------ */

const char *iommucap_comparison_result_name(enum iommucap_comparison_result r)
{
	static const char *const names[] = { "identical", "superset", "subset", "incompatible" };

	return (unsigned)r < ELEMENTSOF(names) ? names[r] : "incompatible";
}

const char *iommucap_relation_name(enum iommucap_relation r)
{
	static const char *const names[] = { "more", "less", "unknown", "differs" };

	return (unsigned)r < ELEMENTSOF(names) ? names[r] : "differs";
}

/* How B relates to A in one field; -1 when it offers the same. */
static int relation(const struct iommucap_offer *a, const struct iommucap_offer *b,
		    enum iommucap_offer_field f)
{
	enum cover ge = covers(b, a, f), le = covers(a, b, f);

	if (ge == COVER_OK && le == COVER_OK)
		return -1;
	if (ge == COVER_OK)
		return IOMMUCAP_REL_MORE;
	if (le == COVER_OK)
		return ge == COVER_UNKNOWN ? IOMMUCAP_REL_UNKNOWN : IOMMUCAP_REL_LESS;
	return IOMMUCAP_REL_DIFFERS;
}

/* The unit of `in` closest to dominating x (or, reversed, to being dominated by x). */
static size_t closest(const struct iommucap_offers *in, const struct iommucap_offer *x,
		      bool reversed)
{
	size_t best = 0;
	int best_cost = -1;

	for (size_t i = 0; i < in->n; i++) {
		const struct iommucap_offer *y = &in->units[i];
		int cost = 0;

		for (int f = 0; f < _IOMMUCAP_OF_MAX; f++) {
			enum cover c = reversed ? covers(x, y, (enum iommucap_offer_field)f)
						: covers(y, x, (enum iommucap_offer_field)f);

			if (c != COVER_OK)
				cost += f == IOMMUCAP_OF_MODEL ? 100 : 1;
		}
		if (best_cost < 0 || cost < best_cost) {
			best = i;
			best_cost = cost;
		}
	}
	return best;
}

struct diffs {
	struct iommucap_comparison *c;
	size_t alloc;
	int *order; /* per difference: its pair's number * _IOMMUCAP_OF_MAX + its field */
	int pair;   /* the pair being reported */
};

/* Add a difference (taking a and b) unless the same one is already there. */
static int add_diff(struct diffs *d, int f, const char *field, enum iommucap_relation rel,
		    json_t *a, json_t *b, const char *a_unit, const char *b_unit)
{
	struct iommucap_comparison *c = d->c;
	struct iommucap_difference *n;
	int *o, k = 0;

	if (!a || !b) {
		k = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < c->n_diffs; i++)
		if (streq(c->diffs[i].field, field) && c->diffs[i].relation == rel &&
		    json_equal(c->diffs[i].a, a) && json_equal(c->diffs[i].b, b))
			goto out;
	if (c->n_diffs == d->alloc) {
		size_t alloc = d->alloc ? d->alloc * 2 : 8;

		n = realloc(c->diffs, alloc * sizeof(*n));
		if (n)
			c->diffs = n;
		o = realloc(d->order, alloc * sizeof(*o));
		if (o)
			d->order = o;
		if (!n || !o) {
			k = -ENOMEM;
			goto out;
		}
		d->alloc = alloc;
	}
	d->order[c->n_diffs] = d->pair * _IOMMUCAP_OF_MAX + f;
	n = &c->diffs[c->n_diffs];
	*n = (struct iommucap_difference){ .field = field, .relation = rel, .a = a, .b = b };
	a = b = NULL;
	c->n_diffs++;
	if ((a_unit && !(n->a_unit = strdup(a_unit))) || (b_unit && !(n->b_unit = strdup(b_unit))))
		k = -ENOMEM;
out:
	json_decref(a);
	json_decref(b);
	return k;
}

/* The fields in which unit a of A and unit b of B differ: where B has less, or where it has more.
 */
static int diff_pair(struct diffs *d, const struct iommucap_offer *a,
		     const struct iommucap_offer *b, bool more)
{
	for (int f = 0; f < _IOMMUCAP_OF_MAX; f++) {
		int rel = relation(a, b, (enum iommucap_offer_field)f);
		int k;

		if (rel < 0 || (more ? rel != IOMMUCAP_REL_MORE && rel != IOMMUCAP_REL_DIFFERS
				     : rel == IOMMUCAP_REL_MORE))
			continue;
		k = add_diff(d, f, iommucap_offer_field_name(f), (enum iommucap_relation)rel,
			     iommucap_offer_value_to_json(a, (enum iommucap_offer_field)f),
			     iommucap_offer_value_to_json(b, (enum iommucap_offer_field)f), a->unit,
			     b->unit);
		if (k < 0)
			return k;
	}
	return 0;
}

static int cmp_index(const void *x, const void *y, void *keys)
{
	int a = ((const int *)keys)[*(const size_t *)x],
	    b = ((const int *)keys)[*(const size_t *)y];

	return a < b ? -1 : a > b;
}

/* Group the differences by pair of units, each pair's in field order. */
static int sort_diffs(struct diffs *d)
{
	struct iommucap_comparison *c = d->c;
	_cleanup_free_ size_t *idx = calloc(c->n_diffs + 1, sizeof(size_t));
	_cleanup_free_ struct iommucap_difference *sorted = calloc(c->n_diffs + 1, sizeof(*sorted));

	if (!idx || !sorted)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_diffs; i++)
		idx[i] = i;
	/* No pair has one field twice, so the order is total. */
	qsort_r(idx, c->n_diffs, sizeof(size_t), cmp_index, d->order);
	for (size_t i = 0; i < c->n_diffs; i++)
		sorted[i] = c->diffs[idx[i]];
	if (c->n_diffs)
		memcpy(c->diffs, sorted, c->n_diffs * sizeof(*sorted));
	return 0;
}

int iommucap_compare(const struct iommucap_offers *a, const struct iommucap_offers *b,
		     struct iommucap_comparison **ret)
{
	struct iommucap_comparison *c = calloc(1, sizeof(*c));
	struct diffs d = { .c = c };
	_cleanup_free_ bool *a_dom = calloc(a->n + 1, sizeof(bool));
	_cleanup_free_ bool *b_dom = calloc(b->n + 1, sizeof(bool));
	_cleanup_free_ size_t *pair_of = calloc(a->n + 1, sizeof(size_t));
	bool fwd = true, bwd = true;
	int k = 0;

	if (!c || !a_dom || !b_dom || !pair_of) {
		free(c);
		return -ENOMEM;
	}
	for (size_t i = 0; i < a->n; i++)
		for (size_t j = 0; j < b->n && !a_dom[i]; j++)
			a_dom[i] = dominates(&b->units[j], &a->units[i]);
	for (size_t j = 0; j < b->n; j++)
		for (size_t i = 0; i < a->n && !b_dom[j]; i++)
			b_dom[j] = dominates(&a->units[i], &b->units[j]);
	for (size_t i = 0; i < a->n; i++)
		fwd &= a_dom[i];
	for (size_t j = 0; j < b->n; j++)
		bwd &= b_dom[j];
	c->result = fwd && bwd ? IOMMUCAP_CMP_IDENTICAL
		    : fwd      ? IOMMUCAP_CMP_SUPERSET
		    : bwd      ? IOMMUCAP_CMP_SUBSET
			       : IOMMUCAP_CMP_INCOMPATIBLE;

	if (a->n != b->n && (a->n == 0 || b->n == 0)) {
		d.pair = -1;
		k = add_diff(&d, 0, "units", a->n ? IOMMUCAP_REL_LESS : IOMMUCAP_REL_MORE,
			     json_integer((json_int_t)a->n), json_integer((json_int_t)b->n), NULL,
			     NULL);
	}
	/* What B lacks: each unit of A no unit of B dominates, against the closest unit of B. */
	for (size_t i = 0; i < a->n; i++) {
		pair_of[i] = SIZE_MAX;
		if (k < 0 || a_dom[i] || b->n == 0)
			continue;
		pair_of[i] = closest(b, &a->units[i], false);
		d.pair = (int)i;
		k = diff_pair(&d, &a->units[i], &b->units[pair_of[i]], false);
	}
	/* What B has more: each unit of B no unit of A dominates, against the closest of A. */
	for (size_t j = 0; k >= 0 && j < b->n; j++) {
		size_t i;

		if (b_dom[j] || a->n == 0)
			continue;
		i = closest(a, &b->units[j], true);
		d.pair = pair_of[i] == j ? (int)i : (int)(a->n + j);
		k = diff_pair(&d, &a->units[i], &b->units[j], true);
	}
	if (k >= 0)
		k = sort_diffs(&d);
	free(d.order);
	if (k < 0) {
		iommucap_comparison_free(c);
		return k;
	}
	*ret = c;
	return 0;
}

struct iommucap_comparison *iommucap_comparison_free(struct iommucap_comparison *c)
{
	if (!c)
		return NULL;
	for (size_t i = 0; i < c->n_diffs; i++) {
		json_decref(c->diffs[i].a);
		json_decref(c->diffs[i].b);
		free(c->diffs[i].a_unit);
		free(c->diffs[i].b_unit);
	}
	free(c->diffs);
	free(c);
	return NULL;
}

int iommucap_comparison_to_json(const struct iommucap_comparison *c, json_t **ret)
{
	json_t *o = json_object(), *a = json_array();
	bool oom = !o || !a;

	for (size_t i = 0; !oom && i < c->n_diffs; i++) {
		const struct iommucap_difference *d = &c->diffs[i];
		json_t *j = json_pack("{s:s, s:s, s:O, s:O, s:s?, s:s?}", "field", d->field,
				      "relation", iommucap_relation_name(d->relation), "a", d->a,
				      "b", d->b, "a_unit", d->a_unit, "b_unit", d->b_unit);

		oom = !j || json_array_append_new(a, j) < 0;
	}
	if (!oom)
		oom = json_object_set_new(o, "result",
					  json_string(iommucap_comparison_result_name(c->result))) <
			      0 ||
		      json_object_set(o, "differences", a) < 0;
	json_decref(a);
	if (oom) {
		json_decref(o);
		return -ENOMEM;
	}
	*ret = o;
	return 0;
}

/* ---- baseline ----------------------------------------------------------------------------- */

struct iommucap_baseline {
	unsigned flags;
	size_t n_hosts;
	struct iommucap_offer meet;
};

int iommucap_baseline_new(unsigned flags, struct iommucap_baseline **ret)
{
	struct iommucap_baseline *b = calloc(1, sizeof(*b));

	if (!b)
		return -ENOMEM;
	b->flags = flags;
	*ret = b;
	return 0;
}

struct iommucap_baseline *iommucap_baseline_free(struct iommucap_baseline *b)
{
	if (!b)
		return NULL;
	offer_done(&b->meet);
	free(b);
	return NULL;
}

size_t iommucap_baseline_n_hosts(const struct iommucap_baseline *b)
{
	return b->n_hosts;
}

/* x := the meet of x and y in one field: what both satisfy. */
static void value_meet(struct iommucap_offer_value *x, const struct iommucap_offer_value *y,
		       enum kind k)
{
	size_t n = 0, j = 0;

	if (!x->known || !y->known) {
		value_clear(x);
		return;
	}
	switch (k) {
	case K_MODEL:
		if (x->num != y->num)
			value_clear(x);
		return;
	case K_STALL:
		x->num &= y->num;
		return;
	case K_NUMS:
	case K_STRS:
		for (size_t i = 0; i < x->n; i++) {
			int c = 1;

			while (j < y->n && (c = k == K_NUMS ? cmp_u64(&y->nums[j], &x->nums[i])
							    : strcmp(y->strs[j], x->strs[i])) < 0)
				j++;
			if (j < y->n && c == 0) {
				if (k == K_NUMS)
					x->nums[n++] = x->nums[i];
				else
					x->strs[n++] = x->strs[i];
			} else if (k == K_STRS)
				free(x->strs[i]);
		}
		x->n = n;
		return;
	default:
		if (y->num < x->num)
			x->num = y->num;
	}
}

int iommucap_baseline_add_offers(struct iommucap_baseline *b, const struct iommucap_offers *o)
{
	const struct iommucap_offer *best;
	int k = iommucap_offers_best(o, &best);

	if (k < 0)
		return k;
	if (b->n_hosts == 0) {
		for (int f = 0; f < _IOMMUCAP_OF_MAX; f++) {
			k = value_copy(&b->meet.f[f], &best->f[f]);
			if (k < 0) {
				offer_done(&b->meet);
				return k;
			}
		}
	} else
		for (int f = 0; f < _IOMMUCAP_OF_MAX; f++)
			value_meet(&b->meet.f[f], &best->f[f], kind_of(f));
	b->n_hosts++;
	return 0;
}

int iommucap_baseline_add(struct iommucap_baseline *b, const struct iommucap_host *h)
{
	_cleanup_(iommucap_offers_freep) struct iommucap_offers *o = NULL;
	int k = iommucap_host_offers(h, b->flags, &o);

	if (k < 0)
		return k;
	return iommucap_baseline_add_offers(b, o);
}

int iommucap_baseline_requirement(const struct iommucap_baseline *b,
				  struct iommucap_requirement **ret)
{
	if (b->n_hosts == 0)
		return -ENODATA;
	return iommucap_offer_to_requirement(&b->meet, ret);
}
