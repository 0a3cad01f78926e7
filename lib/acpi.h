/* The ACPI tables IOMMU drivers read: DMAR (VT-d) and IORT (SMMUv3), under sys/firmware/acpi. */
#pragma once

#include "iommucap.h"

/* Where the kernel exposes the tables (drivers/acpi/sysfs.c, mode 0400: root only). */
#define ACPI_TABLES_DIR "sys/firmware/acpi/tables"
/* Larger than any DMAR or IORT a machine has; a bigger file is refused. */
#define ACPI_TABLE_MAX (1024 * 1024)

/* IORT SMMUv3 node flags (IORT E.f, Table 14; include/acpi/actbl2.h). */
#define IORT_SMMU_V3_COHACC_OVERRIDE 0x1
#define IORT_SMMU_V3_HTTU_OVERRIDE   0x6 /* 0: none, 1: access flag, 2 (3: and HAFT): + dirty */

struct acpi_smmuv3 {
	uint64_t base; /* Base Address: the unit's registers, as its name smmu3.0x%016llx has it */
	uint32_t flags;
};

/* What the tables say; a table not read or refused has its reason (whole sentences). */
struct iommucap_firmware {
	int dmar_width; /* Host Address Width + 1; 0 when unknown */
	uint64_t *drhd; /* each DRHD's Register Base Address, in table order */
	size_t n_drhd;
	char *dmar_reason; /* why dmar_width is unknown */
	bool iort;	   /* the IORT was read */
	struct acpi_smmuv3 *smmuv3;
	size_t n_smmuv3;
};

/*
 * Parse a DMAR or an IORT as the file holds it. -EINVAL with a one-line *ret_error ("truncated:
 * ...") when the kernel would refuse the table or a structure runs past its end; -ENOMEM.
 */
int acpi_dmar_parse(const uint8_t *p, size_t len, struct iommucap_firmware *fw, char **ret_error);
int acpi_iort_parse(const uint8_t *p, size_t len, struct iommucap_firmware *fw, char **ret_error);

/* Read both tables under the root into h->info.firmware; a bad table is a warning naming it. */
int acpi_probe(struct iommucap_root *r, struct iommucap_host *h);

/*
 * The unit's facts from the tables: a VT-d unit's output_bits (the DMAR's host address width),
 * an SMMUv3's coherent, httu and dirty_tracking (its IORT node's overrides, which the kernel
 * prefers to IDR0: a known value that differs is a warning on h). After the unit's registers,
 * again after iommufd's.
 */
int acpi_unit_pass(struct iommucap_host *h, struct iommucap_unit *u);

void acpi_firmware_free(struct iommucap_firmware *fw);
