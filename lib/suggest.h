/* Suggest: the strongest vIOMMU this host (and device) can back, as the check rules decide. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "iommucap.h"

struct iommucap_requirement;

/*
 * The suggestion document: the vIOMMU (QEMU 11.1 -device argument, libvirt <iommu> element,
 * requirement document), each option with why it has this value and what refused the next
 * stronger one, and with migratable the options left out so the guest stays migratable.
 * device (a PCI address) narrows it to the device's unit and PCI capabilities; model
 * ("intel-iommu", "amd-iommu", "arm-smmuv3", "virtio-iommu-pci") overrides the one that
 * matches the host. -EINVAL with *ret_error for an unknown model; -ENOENT with *ret_error
 * when nothing is compatible (no unit, no such device).
 */
int iommucap_suggest(const struct iommucap_host *h, const char *device, const char *model,
		     bool migratable, json_t **ret, char **ret_error);

/*
 * The models of iommucap_suggest(h, NULL, NULL, false) and of iommucap_suggest(h, NULL, NULL,
 * true) (static strings, NULL when it finds nothing compatible), for labels: each search made
 * once, without the explanations. Only a failure to allocate is an error.
 */
int iommucap_suggest_models(const struct iommucap_host *h, const char **ret_model,
			    const char **ret_migratable);

/* The text for people: the QEMU and libvirt forms, then each option and why. */
int iommucap_suggest_print(json_t *suggestion, FILE *f);

/*
 * For tests: every <iommu> element the libvirt form of a suggestion can take (each model, each
 * value of each <driver> attribute), with the requirement the search checks for it (it builds
 * libvirt's QEMU argument itself, without parsing XML), or the importer's error. f's negative
 * return stops the walk and is returned.
 */
typedef int (*suggest_libvirt_form_fn)(const char *xml, const struct iommucap_requirement *r,
				       const char *error, void *userdata);
int suggest_libvirt_forms(suggest_libvirt_form_fn f, void *userdata);
