/* What follows from what was probed: a device's effective PASID width, the default-domain mode. */
#include "config.h"

#include "model.h"
#include "probe.h"

/* Effective PASID width: the smaller of the device's and its unit's; 0 on either side wins. */
int device_effective_pasid(const struct iommucap_host *h, struct iommucap_device *d)
{
	const struct iommucap_unit *u = d->unit ? iommucap_host_find_unit(h, d->unit) : NULL;

	if (d->missing)
		return tri_unknown(&d->effective_pasid_bits, d->config_reason);
	const struct iommucap_capval *ssid = u ? &u->caps[IOMMUCAP_SSID_BITS] : NULL;
	bool unit_known = ssid && ssid->source != IOMMUCAP_SRC_UNKNOWN;
	bool dev_known = d->pasid.known && (!d->pasid.value || d->pasid_width.known);
	int64_t dev_bits = d->pasid.value ? d->pasid_width.value : 0;

	if (!d->unit)
		return tri_set(&d->effective_pasid_bits, 0); /* no IOMMU translates it */
	/* The kernel's own answer (iommufd out_max_pasid_log2, 6.15):
	 * ilog2(dev->iommu->max_pasids), the width the IOMMU driver enabled for this device, 0 when
	 * it enabled none. */
	if (d->hw_info.read && d->hw_info.max_pasid_known)
		return tri_set(&d->effective_pasid_bits, d->hw_info.max_pasid_log2);
	if (!u)
		return tri_unknown(&d->effective_pasid_bits, "its IOMMU unit is not listed");
	if ((unit_known && ssid->num == 0) || (dev_known && dev_bits == 0))
		return tri_set(&d->effective_pasid_bits, 0);
	if (!unit_known)
		return tri_unknown(&d->effective_pasid_bits, "the unit's ssid_bits is unknown");
	if (!dev_known)
		return tri_unknown(&d->effective_pasid_bits,
				   d->pasid.reason ? d->pasid.reason
						   : "the device's PASID capability is unknown");
	return tri_set(&d->effective_pasid_bits, dev_bits < ssid->num ? dev_bits : ssid->num);
}

static const char *domain_mode(const char *type)
{
	static const struct {
		const char *type, *mode;
	} map[] = {
		{ "identity", "passthrough" }, { "DMA", "strict" },
		{ "DMA-FQ", "lazy" },	       { "blocked", "blocked" },
		{ "unmanaged", "unmanaged" },  { "unknown", "platform" },
	};

	for (size_t i = 0; i < ELEMENTSOF(map); i++)
		if (streq(map[i].type, type))
			return map[i].mode;
	return "unknown";
}

/* The effective default-domain mode, from the groups' types rather than the command line. */
int derive_domain_mode(struct iommucap_host *h)
{
	struct iommucap_hostinfo *hi = &h->info;
	const char *type = NULL;
	bool mixed = false;

	for (size_t i = 0; i < h->n_groups; i++) {
		if (!h->groups[i].type)
			continue;
		if (!type)
			type = h->groups[i].type;
		else if (!streq(type, h->groups[i].type))
			mixed = true;
	}
	if (!type)
		return asprintf(&hi->domain_reason, "%s",
				h->n_groups ? "no group's type is readable"
					    : "there are no IOMMU groups") < 0
			       ? -ENOMEM
			       : 0;
	hi->domain_type = strdup(mixed ? "mixed" : type);
	hi->domain_mode = strdup(mixed ? "mixed" : domain_mode(type));
	return hi->domain_type && hi->domain_mode ? 0 : -ENOMEM;
}
