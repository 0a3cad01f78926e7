/* The ACPI DMAR and IORT tables: parsed as the kernel walks them, and the unit facts they give. */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>

#include "acpi.h"
#include "ksem.h"
#include "model.h"
#include "sysfs.h"

/* The common header (ACPI 6.5, 5.2.6): signature, length, ...; 36 bytes. */
#define HDR_LEN 36

static uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

static int fail(char **ret_error, const char *fmt, ...) _printf_(2, 3);
static int fail(char **ret_error, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vasprintf(ret_error, fmt, ap);
	va_end(ap);
	if (k < 0) {
		*ret_error = NULL;
		return -ENOMEM;
	}
	return -EINVAL;
}

/* The header's signature and length against the file; the table's own length, or <0. */
static int64_t table_len(const uint8_t *p, size_t len, const char *sig, size_t fixed,
			 char **ret_error)
{
	uint32_t n;

	if (len < HDR_LEN + fixed)
		return fail(ret_error, "truncated: %zu bytes, the %s header needs %zu", len, sig,
			    HDR_LEN + fixed);
	if (memcmp(p, sig, 4) != 0)
		return fail(ret_error, "the signature is not %s", sig);
	n = (uint32_t)le(p + 4, 4);
	if (n > len)
		return fail(ret_error, "truncated: %zu bytes of the %" PRIu32 " its header gives",
			    len, n);
	if (n < HDR_LEN + fixed)
		return fail(ret_error, "its header gives a length of %" PRIu32 ", below %zu", n,
			    HDR_LEN + fixed);
	return n;
}

static int push(void *arr, size_t *n, size_t size, const void *v)
{
	void **a = arr;
	void *m = realloc(*a, (*n + 1) * size);

	if (!m)
		return -ENOMEM;
	memcpy((char *)m + *n * size, v, size);
	*a = m;
	(*n)++;
	return 0;
}

int acpi_dmar_parse(const uint8_t *p, size_t len, struct iommucap_firmware *fw, char **ret_error)
{
	/* struct acpi_table_dmar: width, flags, reserved[10] after the header. */
	int64_t end;

	*ret_error = NULL;
	end = table_len(p, len, "DMAR", 12, ret_error);
	if (end < 0)
		return (int)end;
	/* parse_dmar_table() (drivers/iommu/intel/dmar.c, Linux 7.3, and since 2.6): "Invalid
	 * DMAR haw" below PAGE_SHIFT - 1, and VT-d is not used at all. */
	if (p[HDR_LEN] < 11)
		return fail(ret_error,
			    "the host address width is %d bits, which the kernel refuses "
			    "(\"Invalid DMAR haw\")",
			    p[HDR_LEN] + 1);
	/* dmar_walk_remapping_entries(): a 0-length structure or one past the end stops it. */
	for (int64_t off = HDR_LEN + 12; off < end;) {
		unsigned type, n;

		if (end - off < 4)
			return fail(ret_error, "truncated: a structure header at %" PRId64, off);
		type = (unsigned)le(p + off, 2);
		n = (unsigned)le(p + off + 2, 2);
		if (n < 4)
			return fail(ret_error, "a structure of length %u at %" PRId64, n, off);
		if (n > end - off)
			return fail(ret_error,
				    "truncated: the structure at %" PRId64 " passes the table end",
				    off);
		/* Type 0, DRHD: flags, size, segment, then the Register Base Address. */
		if (type == 0) {
			uint64_t base;

			if (n < 16)
				return fail(ret_error, "a DRHD of length %u at %" PRId64, n, off);
			base = le(p + off + 8, 8);
			if (push(&fw->drhd, &fw->n_drhd, sizeof(base), &base) < 0)
				return -ENOMEM;
		}
		off += n;
	}
	fw->dmar_width = p[HDR_LEN] + 1;
	return 0;
}

int acpi_iort_parse(const uint8_t *p, size_t len, struct iommucap_firmware *fw, char **ret_error)
{
	/* struct acpi_table_iort: node_count, node_offset, reserved. */
	int64_t end;
	uint32_t count, off;

	*ret_error = NULL;
	end = table_len(p, len, "IORT", 12, ret_error);
	if (end < 0)
		return (int)end;
	count = (uint32_t)le(p + HDR_LEN, 4);
	off = (uint32_t)le(p + HDR_LEN + 4, 4);
	/* iort_scan_node() (drivers/acpi/arm64/iort.c): "IORT node pointer overflows, bad table!"
	 * for a node at or past the end; each node is as long as its length says. */
	for (uint32_t i = 0; i < count; i++) {
		unsigned type, n;

		if (off >= end || end - off < 16)
			return fail(ret_error,
				    "truncated: node %" PRIu32 " of %" PRIu32 " at %" PRIu32
				    " passes the table end",
				    i, count, off);
		type = p[off];
		n = (unsigned)le(p + off + 1, 2);
		if (n < 16 || n > end - off)
			return fail(ret_error, "node %" PRIu32 " at %" PRIu32 " has length %u", i,
				    off, n);
		/* Type 4, SMMUv3: the node data starts at 16 with the base address and flags. */
		if (type == 4) {
			struct acpi_smmuv3 s;

			if (n < 28)
				return fail(ret_error,
					    "the SMMUv3 node at %" PRIu32 " has length %u", off, n);
			s.base = le(p + off + 16, 8);
			s.flags = (uint32_t)le(p + off + 24, 4);
			if (push(&fw->smmuv3, &fw->n_smmuv3, sizeof(s), &s) < 0)
				return -ENOMEM;
		}
		off += n;
	}
	fw->iort = true;
	return 0;
}

void acpi_firmware_free(struct iommucap_firmware *fw)
{
	if (!fw)
		return;
	free(fw->drhd);
	free(fw->dmar_reason);
	free(fw->smmuv3);
	free(fw);
}

/* One table: 1 with its bytes, or 0 and why not (no reason when absent). */
static int read_table(struct iommucap_root *r, struct iommucap_host *h, const char *name,
		      char **ret, size_t *ret_len, char **ret_reason)
{
	_cleanup_free_ char *path = path_join(ACPI_TABLES_DIR, name);
	bool root_only;
	int k;

	*ret = *ret_reason = NULL;
	*ret_len = 0;
	if (!path)
		return -ENOMEM;
	k = sysfs_read(r, path, ACPI_TABLE_MAX, ret, ret_len);
	if (k >= 0)
		return 1;
	if (k == -ENOENT)
		return 0;
	if (k == -ENOMEM)
		return k;
	/* Readable by root only: the usual case for others, not worth a warning. */
	root_only = k == -EACCES || k == -EPERM;
	if (asprintf(ret_reason, "cannot read /%s: %s%s", path, strerror(-k),
		     root_only ? " (root only)" : "") < 0)
		return -ENOMEM;
	return root_only ? 0 : host_warn(h, "%s", *ret_reason);
}

/* A table the parser refused: a warning naming the file, and the reason for its facts. */
static int refused(struct iommucap_host *h, const char *name, const char *error, const char *what,
		   char **ret_reason)
{
	if (host_warn(h, "/%s/%s is malformed: %s; %s", ACPI_TABLES_DIR, name, error, what) < 0)
		return -ENOMEM;
	if (ret_reason &&
	    asprintf(ret_reason, "the ACPI %s table is malformed: %s", name, error) < 0)
		return -ENOMEM;
	return 0;
}

int acpi_probe(struct iommucap_root *r, struct iommucap_host *h)
{
	struct iommucap_firmware *fw = calloc(1, sizeof(*fw));
	_cleanup_free_ char *tbl = NULL, *why = NULL, *error = NULL;
	size_t len;
	int k;

	if (!fw)
		return -ENOMEM;
	h->info.firmware = fw;

	k = read_table(r, h, "DMAR", &tbl, &len, &why);
	if (k < 0)
		return k;
	if (k > 0) {
		k = acpi_dmar_parse((const uint8_t *)tbl, len, fw, &error);
		if (k == -ENOMEM)
			return k;
		if (k < 0) {
			fw->n_drhd = 0;
			k = refused(h, "DMAR", error, "VT-d output widths are unknown",
				    &fw->dmar_reason);
		}
	} else if (why)
		k = asprintf(&fw->dmar_reason,
			     "the host address width is in the ACPI DMAR table: %s", why);
	else
		k = asprintf(&fw->dmar_reason,
			     "the host address width is in the ACPI DMAR table, which is absent");
	if (k < 0)
		return -ENOMEM;

	free(tbl);
	free(why);
	free(error);
	error = NULL;
	k = read_table(r, h, "IORT", &tbl, &len, &why);
	if (k <= 0)
		return k;
	k = acpi_iort_parse((const uint8_t *)tbl, len, fw, &error);
	if (k == -EINVAL) {
		fw->n_smmuv3 = 0;
		k = refused(h, "IORT", error, "its SMMUv3 overrides are not applied", NULL);
	}
	return k;
}

/* A fact the firmware sets: a different known value is the kernel's "overridden" warning. */
static int set_fw(struct iommucap_host *h, struct iommucap_unit *u, enum iommucap_cap c, int64_t v,
		  const char *what, const char *(*name)(int64_t))
{
	const struct iommucap_capval *old = &u->caps[c];
	bool read = old->source == IOMMUCAP_SRC_REGISTER || old->source == IOMMUCAP_SRC_PROPERTY ||
		    old->source == IOMMUCAP_SRC_IOMMUFD;

	if (read && old->num != v &&
	    host_warn(h,
		      "%s: %s is %s from %s, but the ACPI IORT overrides it with %s; the kernel "
		      "uses the firmware's (\"%s\")",
		      u->name, iommucap_cap_info(c)->name, name(old->num),
		      iommucap_source_name(old->source), name(v), what) < 0)
		return -ENOMEM;
	if (c == IOMMUCAP_HTTU)
		return cap_set_enum(u, c, (int)v, IOMMUCAP_SRC_FIRMWARE);
	return cap_set_bool(u, c, v, IOMMUCAP_SRC_FIRMWARE);
}

static const char *bool_name(int64_t v)
{
	return v ? "true" : "false";
}

static const char *httu_name(int64_t v)
{
	return iommucap_httu_names[v];
}

static int smmuv3_pass(struct iommucap_host *h, struct iommucap_unit *u,
		       const struct iommucap_firmware *fw)
{
	static const enum iommucap_httu httus[] = { IOMMUCAP_HTTU_NONE, IOMMUCAP_HTTU_ACCESS,
						    IOMMUCAP_HTTU_ACCESS_DIRTY,
						    IOMMUCAP_HTTU_ACCESS_DIRTY };
	const struct acpi_smmuv3 *s = NULL;
	const struct iommucap_capval *ht;
	uint64_t base;
	bool coherent;
	int k;

	/* The unit is named "smmu3.%pa" (arm_smmu_device_probe()): its base address. */
	if (sscanf(u->name, "smmu3.0x%" SCNx64, &base) != 1)
		return 0;
	for (size_t i = 0; i < fw->n_smmuv3 && !s; i++)
		if (fw->smmuv3[i].base == base)
			s = &fw->smmuv3[i];
	if (!s)
		return 0;
	/*
	 * arm_smmu_device_acpi_probe() (arm-smmu-v3.c, Linux 7.3): COHACC_OVERRIDE sets
	 * ARM_SMMU_FEAT_COHERENCY, and arm_smmu_device_hw_probe() prefers it to IDR0.COHACC,
	 * warning when they differ; from 6.11 the HTTU override field sets HA (1) and HD (2, 3),
	 * and arm_smmu_get_httu() takes IDR0.HTTU only without ACPI (an of_node).
	 */
	coherent = s->flags & IORT_SMMU_V3_COHACC_OVERRIDE;
	k = set_fw(h, u, IOMMUCAP_COHERENT, coherent, "IDR0.COHACC overridden by FW configuration",
		   bool_name);
	if (k >= 0 && kernel_has(&h->info, &kc_smmuv3_httu))
		k = set_fw(h, u, IOMMUCAP_HTTU, httus[(s->flags & IORT_SMMU_V3_HTTU_OVERRIDE) >> 1],
			   "IDR0.HTTU features(...) overridden by FW configuration", httu_name);
	if (k < 0)
		return k;
	/* arm_smmu_dbm_capable(): FEAT_HD && FEAT_COHERENCY, both now the firmware's. */
	ht = &u->caps[IOMMUCAP_HTTU];
	if (ht->source == IOMMUCAP_SRC_UNKNOWN)
		return 0;
	return cap_set_bool(u, IOMMUCAP_DIRTY_TRACKING,
			    coherent && ht->num == IOMMUCAP_HTTU_ACCESS_DIRTY,
			    IOMMUCAP_SRC_FIRMWARE);
}

/* The unit's DRHD by its register base address (intel-iommu/address), when sysfs gave it. */
static bool vtd_described(const struct iommucap_firmware *fw, const struct iommucap_unit *u,
			  uint64_t *ret_addr)
{
	for (size_t i = 0; i < u->n_raw; i++) {
		if (!streq(u->raw[i].name, "address") || !u->raw[i].known)
			continue;
		*ret_addr = u->raw[i].value;
		for (size_t j = 0; j < fw->n_drhd; j++)
			if (fw->drhd[j] == u->raw[i].value)
				return true;
		return false;
	}
	return true;
}

int acpi_unit_pass(struct iommucap_host *h, struct iommucap_unit *u)
{
	const struct iommucap_firmware *fw = h->info.firmware;
	uint64_t addr = 0;

	if (!fw)
		return 0;
	if (u->model == IOMMUCAP_MODEL_ARM_SMMU_V3)
		return smmuv3_pass(h, u, fw);
	if (u->model != IOMMUCAP_MODEL_INTEL_VTD)
		return 0;
	/*
	 * The Host Address Width is the platform's DMA physical addressability (VT-d 8.1), one
	 * for every DRHD. Linux reads it only in parse_dmar_table(): it refuses a width below
	 * 12 bits and prints "DMAR: Host address width N"; the domains' widths come from each
	 * unit's MGAW/SAGAW (iommu_calculate_agaw(), intel/iommu.c, 7.3), not from it.
	 */
	if (fw->dmar_width == 0)
		return cap_set_unknown(u, IOMMUCAP_OUTPUT_BITS, "%s",
				       fw->dmar_reason ?: "the ACPI DMAR table was not read");
	if (!vtd_described(fw, u, &addr))
		return cap_set_unknown(
			u, IOMMUCAP_OUTPUT_BITS,
			"the ACPI DMAR table has no DRHD at the unit's address 0x%" PRIx64, addr);
	return cap_set_num(u, IOMMUCAP_OUTPUT_BITS, fw->dmar_width, IOMMUCAP_SRC_FIRMWARE);
}
