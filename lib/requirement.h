/* The requirement document (schema/requirement.schema.json): what a VMM needs from the host. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iommucap.h"

#define IOMMUCAP_REQUIREMENT_VERSION 1

/* A requested boolean: not asked, or asked to be true / false. */
enum iommucap_want {
	IOMMUCAP_WANT_ANY = 0,
	IOMMUCAP_WANT_TRUE,
	IOMMUCAP_WANT_FALSE,
};

struct iommucap_opt_int {
	bool set;
	int64_t value;
};

/* The minimums and the features a requirement names, in the catalogue's order. */
enum iommucap_req_min {
#define CAP(...)
#define CAP_MIN(id, ...) IOMMUCAP_MIN_##id,
#include "capabilities.def"
#undef CAP
	_IOMMUCAP_MIN_MAX,
};

enum iommucap_req_feature {
#define CAP(...)
#define CAP_FEATURE(id, ...) IOMMUCAP_FEAT_##id,
#include "capabilities.def"
#undef CAP
	_IOMMUCAP_FEAT_MAX,
};

/* The VMM configuration a requirement was imported from, for QEMU's own host checks. */
enum iommucap_vmm_kind {
	IOMMUCAP_VMM_NONE = 0,
	IOMMUCAP_VMM_QEMU_INTEL_IOMMU,
	IOMMUCAP_VMM_QEMU_ARM_SMMUV3,
	IOMMUCAP_VMM_QEMU_VIRTIO_IOMMU,
	IOMMUCAP_VMM_QEMU_AMD_IOMMU,
};

struct iommucap_vmm {
	enum iommucap_vmm_kind kind;
	/* intel-iommu */
	struct iommucap_opt_int aw_bits; /* aw-bits */
	enum iommucap_want flts;	 /* fsts (QEMU 10.x: x-flts): guest first-stage (nested) */
	enum iommucap_want fs1gp;	 /* first-stage 1 GiB pages */
	struct iommucap_opt_int pasid;	 /* PASID bits */
	enum iommucap_want caching_mode; /* caching-mode (QEMU's default: off) */
	/* Guest features QEMU emulates without asking the host (a warning when the host does not
	 * back them for the assigned device); device_iotlb also for amd-iommu. */
	enum iommucap_want scalable_mode, device_iotlb, svm;
	/* Where the VM puts the assigned device, not an intel-iommu property: downstream of a PCI
	 * bridge in the guest (a conventional PCI bus between it and the vIOMMU's root bus, so
	 * QEMU sees an aliased requester ID: pci_device_get_iommu_bus_devfn()). Only a
	 * requirement document says it; QEMU refuses it under fsts. */
	enum iommucap_want pci_bridge;
	/* arm-smmuv3 */
	enum iommucap_want accel;
	struct iommucap_opt_int ssidsize, oas, sidsize;
	enum iommucap_want ril, ats;
	char *granule; /* "4k", "16k", "64k" */
};

struct iommucap_requirement {
	char *unit;   /* target unit name, or NULL */
	char *device; /* target PCI address, or NULL */

	bool has_pasid_table;
	struct {
		struct iommucap_opt_int version, bytes, pasid_bits;
		char *model; /* host, arm-1lvl, arm-2lvl, amd, intel */
		bool has_base_ptr;
		uint64_t base_ptr;
	} pasid_table;

	struct iommucap_opt_int min[_IOMMUCAP_MIN_MAX];
	enum iommucap_want features[_IOMMUCAP_FEAT_MAX];
	/* features.stall and features.httu, when has_stall, has_httu: by the name tables of
	 * lib/vocab.h (httu IOMMUCAP_HTTU_ACCESS or IOMMUCAP_HTTU_ACCESS_DIRTY: none asks nothing).
	 */
	bool has_stall, has_httu;
	enum iommucap_stall stall;
	enum iommucap_httu httu;

	char **pgtable_formats;
	size_t n_pgtable_formats;
	bool has_pgtable_formats;
	uint64_t *page_sizes;
	size_t n_page_sizes;
	bool has_page_sizes;

	enum iommucap_want sva, lam;
	/* The VMM opens /dev/iommu: libvirt's <iommufd enabled='yes'/> (12.x), QEMU's
	 * -object iommufd. */
	enum iommucap_want iommufd;

	struct iommucap_vmm vmm;
};

/* Names, as the document spells them. */
const char *iommucap_req_min_name(enum iommucap_req_min m);
const char *iommucap_req_feature_name(enum iommucap_req_feature f);
/* The capability a minimum or a feature asks about. */
enum iommucap_cap iommucap_req_min_cap(enum iommucap_req_min m);
enum iommucap_cap iommucap_req_feature_cap(enum iommucap_req_feature f);

/*
 * Parse and check a requirement document. -EINVAL with *ret_error naming the bad field by its
 * path ("features/nesting: expected true or false", "min/bogus: unknown key").
 */
int iommucap_requirement_from_json(json_t *doc, struct iommucap_requirement **ret,
				   char **ret_error);
int iommucap_requirement_to_json(const struct iommucap_requirement *r, json_t **ret);
struct iommucap_requirement *iommucap_requirement_free(struct iommucap_requirement *r);

/*
 * Importers: what VMM users already write. "intel-iommu,aw-bits=48,scalable-mode=on,..." or
 * "arm-smmuv3,accel=on,ssidsize=20,..." (a QEMU -device argument); a libvirt domain XML (its
 * <iommu> element). -EINVAL with *ret_error naming an unknown property or a bad value.
 */
int iommucap_requirement_from_qemu(const char *device_arg, struct iommucap_requirement **ret,
				   char **ret_error);
/* libvirt 12.9.0's refusal of smmuv3's ats, ril, ssidsize, oas or cmdqv without accel='on'
 * (src/conf/domain_validate.c); %s is the model. Shared with lib/suggest.c, which builds
 * libvirt's forms without parsing XML. */
#define IOMMUCAP_LIBVIRT_NEEDS_ACCEL                                                               \
	"accel must be enabled for iommu model '%s' when setting ats, ril, ssidsize, oas, or "     \
	"cmdqv"

int iommucap_requirement_from_libvirt(const char *xml, size_t len,
				      struct iommucap_requirement **ret, char **ret_error);
