/*
 * Kubernetes Node Feature Discovery labels: what this node's IOMMUs can give a guest, for a
 * scheduler (KubeVirt nodeSelector/affinity) to select on.
 *
 * The format is NFD's local feature file (node-feature-discovery docs/usage/
 * customization-guide.md, "Local feature source" and "Input format"): "<namespace>/<name>=<value>"
 * lines, "#" comments, a "# +expiry-time=" directive in RFC 3339, at most 64 kB. Names and values
 * follow Kubernetes' label syntax (kubernetes/website, concepts/overview/working-with-objects/
 * labels.md, "Syntax and character set"): every value written here is "true", "false", a decimal
 * number or a model name, so all are at most 63 characters of [a-z0-9-] that begin and end
 * alphanumeric.
 *
 * The node's values are its strongest unit's (iommucap_offers_best(), the host's own offer that
 * "iommuctl compare" and "baseline" use): the largest requirement some unit of the node satisfies.
 * SVA is the library's verdict on a requirement asking only for SVA (lib/compat.c, as the kernel
 * decides it), and the vIOMMU labels are "iommuctl suggest"'s model, so no rule is repeated here.
 */
#include "config.h"

#include <inttypes.h>
#include <time.h>

#include "lib/compat.h"
#include "lib/fleet.h"
#include "lib/macro.h"
#include "lib/requirement.h"
#include "lib/suggest.h"
#include "nfd.h"

static void label(FILE *f, const char *name, const char *value)
{
	fprintf(f, NFD_PREFIX "/%s=%s\n", name, value);
}

static void label_int(FILE *f, const char *name, int64_t v)
{
	fprintf(f, NFD_PREFIX "/%s=%" PRId64 "\n", name, v);
}

/* An offer's field: the number, or nothing when it is not known. */
static void label_offer(FILE *f, const struct iommucap_offer *o, const char *name,
			enum iommucap_offer_field field, bool boolean)
{
	const struct iommucap_offer_value *v = &o->f[field];

	if (!v->known)
		return;
	if (boolean)
		label(f, name, v->num ? "true" : "false");
	else
		label_int(f, name, v->num);
}

/* 1: some unit can do SVA, 0: none can, -1: not known; or -ENOMEM. */
static int sva_possible(const struct iommucap_host *h)
{
	struct iommucap_requirement req = { .sva = IOMMUCAP_WANT_TRUE };
	struct iommucap_compat *c = NULL;
	int k = iommucap_check(h, &req, &c), r;

	if (k < 0)
		return k;
	r = c->verdict == IOMMUCAP_COMPATIBLE ? 1 : c->verdict == IOMMUCAP_INCOMPATIBLE ? 0 : -1;
	iommucap_compat_free(c);
	return r;
}

int nfd_write(const struct iommucap_host *h, int64_t now, FILE *f)
{
	_cleanup_(iommucap_offers_freep) struct iommucap_offers *offers = NULL;
	const struct iommucap_offer *best = NULL;
	time_t expiry = (time_t)(now + NFD_EXPIRY_SECONDS);
	struct tm tm;
	char when[32];
	const char *viommu = NULL, *viommu_migratable = NULL;
	int k, sva = -1;

	if (!gmtime_r(&expiry, &tm) || !strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm))
		return -EINVAL;
	k = iommucap_host_offers(h, 0, &offers);
	if (k < 0)
		return k;
	if (offers->n > 0) {
		k = iommucap_offers_best(offers, &best);
		if (k < 0)
			return k;
		sva = sva_possible(h);
		if (sva == -ENOMEM)
			return sva;
		/* "iommuctl suggest"'s model without and with --migratable (lib/suggest.c: the
		 * strongest vIOMMU the check rules let this host back). */
		k = iommucap_suggest_models(h, &viommu, &viommu_migratable);
		if (k < 0)
			return k;
	}

	errno = 0;
	fputs("# IOMMU labels for node-feature-discovery's local source, written by\n"
	      "# \"iommuctl dump --format=nfd\" (see iommuctl(1)); values are the node's "
	      "strongest\n"
	      "# IOMMU unit's, and a value that is not known has no label.\n",
	      f);
	fprintf(f, "# +expiry-time=%s\n", when);
	label_int(f, "units", (int64_t)h->n_units);
	label(f, "iommufd", h->info.dev_iommu ? "true" : "false");
	if (best) {
		const struct iommucap_offer_value *m = &best->f[IOMMUCAP_OF_MODEL];

		if (m->known && m->num > IOMMUCAP_MODEL_UNKNOWN && m->num < _IOMMUCAP_MODEL_MAX)
			label(f, "model", iommucap_model_name((enum iommucap_model)m->num));
		label_offer(f, best, "pasid-bits", IOMMUCAP_OF_SSID_BITS, false);
		label_offer(f, best, "input-bits", IOMMUCAP_OF_INPUT_BITS, false);
		label_offer(f, best, "nesting", IOMMUCAP_OF_NESTING, true);
		label_offer(f, best, "dirty-tracking", IOMMUCAP_OF_DIRTY_TRACKING, true);
		label_offer(f, best, "ats", IOMMUCAP_OF_ATS, true);
		label_offer(f, best, "pri", IOMMUCAP_OF_PRI, true);
		if (sva >= 0)
			label(f, "sva", sva ? "true" : "false");
		if (viommu)
			label(f, "viommu", viommu);
		if (viommu_migratable)
			label(f, "viommu-migratable", viommu_migratable);
	}
	if (fflush(f) != 0 || ferror(f))
		return errno > 0 ? -errno : -EIO;
	return 0;
}
