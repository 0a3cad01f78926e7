/* The probe: the steps in the order each needs the one before, and the model's lookups after it. */
#include "config.h"

#include <time.h>

#include "acpi.h"
#include "model.h"
#include "parse.h"
#include "probe.h"
#include "sysfs.h"

int group_cmp(const void *a, const void *b)
{
	const struct iommucap_group *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

const struct iommucap_group *host_find_group(const struct iommucap_host *h, int id)
{
	struct iommucap_group key = { .id = id };

	return bsearch_safe(&key, h->groups, h->n_groups, sizeof(*h->groups), group_cmp);
}

int device_cmp(const void *a, const void *b)
{
	return strcmp(((const struct iommucap_device *)a)->address,
		      ((const struct iommucap_device *)b)->address);
}

bool host_has_pci_device(const struct iommucap_host *h, const char *name)
{
	struct iommucap_device key = { .address = (char *)name };

	return bsearch_safe(&key, h->devices, h->n_devices, sizeof(*h->devices), device_cmp);
}

/* Now, or SOURCE_DATE_EPOCH when set: reproducible documents for tests and builds. */
int64_t iommucap_now(void)
{
	const char *e = getenv("SOURCE_DATE_EPOCH");
	uint64_t v;

	if (e && parse_dec_u64(e, &v) == 0 && v <= INT64_MAX)
		return (int64_t)v;
	return (int64_t)time(NULL);
}

int iommucap_probe(struct iommucap_root *root, struct iommucap_host **ret)
{
	struct iommucap_host *h = calloc(1, sizeof(*h));
	bool escaped = false;
	int k;

	if (!h)
		return -ENOMEM;
	h->generated_at = iommucap_now();
	sysfs_forget_dirs(root);
	k = probe_hostinfo(root, h);
	if (k >= 0)
		k = acpi_probe(root, h);
	if (k >= 0)
		k = probe_units(root, h);
	if (k >= 0)
		k = probe_groups(root, h);
	if (k >= 0)
		k = probe_devices(root, h);
	if (k >= 0)
		k = probe_iommufd(root, h);
	if (k >= 0 && h->n_groups > 1)
		qsort_safe(h->groups, h->n_groups, sizeof(*h->groups), group_cmp);
	for (size_t i = 0; k >= 0 && i < h->n_devices; i++)
		k = device_effective_pasid(h, &h->devices[i]);
	if (k >= 0)
		k = cross_check(root, h);
	if (k >= 0)
		k = derive_domain_mode(h);
	/* Last, so that every lookup above saw the names as the kernel spells them. */
	if (k >= 0)
		k = host_escape_bytes(h, &escaped);
	if (k >= 0 && escaped) {
		host_sort_units(h);
		if (h->n_devices > 1)
			qsort_safe(h->devices, h->n_devices, sizeof(*h->devices), device_cmp);
	}
	if (k < 0) {
		iommucap_host_free(h);
		return k;
	}
	*ret = h;
	return 0;
}
