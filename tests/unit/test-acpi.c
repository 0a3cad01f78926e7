/*
 * Unit tests of the ACPI DMAR and IORT parsers (lib/acpi.c) on tables captured from real QEMU
 * guests (tests/fixtures/acpi/README.md), and of the facts they give units.
 *
 * What QEMU writes, read in its source: build_dmar_q35() (hw/i386/acpi-build.c) puts the Host
 * Address Width as intel_iommu->aw_bits - 1, then one DRHD (INCLUDE_PCI_ALL) at
 * Q35_HOST_BRIDGE_IOMMU_ADDR, 0xfed90000 (include/hw/i386/intel_iommu.h); build_iort()
 * (hw/arm/virt-acpi-build.c) writes an SMMUv3 node (type 4) whose base address is
 * vms->memmap[VIRT_SMMU].base, 0x09050000 (hw/arm/virt.c), and whose flags are
 * 1, the COHACC Override, and no HTTU override. The guest kernels agree: "DMAR: Host address
 * width 39" (48), "reg_base_addr fed90000", and an SMMUv3 probed through the IORT without
 * "IDR0.COHACC overridden" (QEMU's IDR0.COHACC is 1) or "IDR0.HTTU features ... overridden".
 */
#include "config.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "unit.h"
#include "tree.h"
#include "acpi.h"
#include "hwinfo.h"

static const char *srcdir(void)
{
	const char *s = getenv("srcdir");

	return s && *s ? s : ".";
}

/* A fixture file's bytes (tests/fixtures/PATH). */
static uint8_t *fixture(const char *path, size_t *ret_len)
{
	_cleanup_free_ char *p = NULL;
	_cleanup_close_ int fd = -1;
	struct stat st;
	uint8_t *buf;

	assert_true(asprintf(&p, "%s/tests/fixtures/%s", srcdir(), path) > 0);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc(st.st_size);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, st.st_size), st.st_size);
	*ret_len = st.st_size;
	return buf;
}

static void test_dmar_qemu(void **state)
{
	static const struct {
		const char *path;
		int width;
	} cases[] = {
		/* QEMU 11.1.3, -device intel-iommu,aw-bits=39 and aw-bits=48. */
		{ "acpi/q111-q35-intel-iommu-aw39.DMAR", 39 },
		{ "acpi/q111-q35-intel-iommu-aw48.DMAR", 48 },
		/* QEMU 7.2.22 (check-vm's captures): its default aw-bits 39, and aw-bits=48. */
		{ "x86-q72-k61-a-intel-default-config/sys/firmware/acpi/tables/DMAR", 39 },
		{ "x86-q72-k612-b-intel-sm-config/sys/firmware/acpi/tables/DMAR", 48 },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct iommucap_firmware fw = { 0 };
		_cleanup_free_ uint8_t *p = NULL;
		char *err = NULL;
		size_t len;

		p = fixture(cases[i].path, &len);
		assert_int_equal(acpi_dmar_parse(p, len, &fw, &err), 0);
		assert_null(err);
		assert_int_equal(fw.dmar_width, cases[i].width);
		assert_int_equal(fw.n_drhd, 1);
		assert_int_equal(fw.drhd[0], 0xfed90000);
		free(fw.drhd);
	}
}

static void test_iort_qemu(void **state)
{
	struct iommucap_firmware fw = { 0 };
	_cleanup_free_ uint8_t *p = NULL;
	char *err = NULL;
	size_t len;

	/* QEMU 11.1.3, -machine virt,iommu=smmuv3 booted by UEFI (AAVMF). */
	p = fixture("acpi/q111-virt-smmuv3-uefi.IORT", &len);
	assert_int_equal(acpi_iort_parse(p, len, &fw, &err), 0);
	assert_null(err);
	assert_true(fw.iort);
	assert_int_equal(fw.n_smmuv3, 1);
	assert_int_equal(fw.smmuv3[0].base, 0x09050000);
	assert_int_equal(fw.smmuv3[0].flags, IORT_SMMU_V3_COHACC_OVERRIDE);
	free(fw.smmuv3);
}

/* Every prefix of a real table is refused as truncated, as is a wrong signature. */
static void test_truncated(void **state)
{
	static const char *const paths[] = { "acpi/q111-q35-intel-iommu-aw39.DMAR",
					     "acpi/q111-virt-smmuv3-uefi.IORT" };

	for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
		_cleanup_free_ uint8_t *p = NULL;
		bool dmar = i == 0;
		size_t len;

		p = fixture(paths[i], &len);
		for (size_t n = 0; n < len; n++) {
			struct iommucap_firmware fw = { 0 };
			char *err = NULL;
			int k = dmar ? acpi_dmar_parse(p, n, &fw, &err)
				     : acpi_iort_parse(p, n, &fw, &err);

			assert_int_equal(k, -EINVAL);
			assert_non_null(strstr(err, "truncated"));
			assert_int_equal(fw.dmar_width, 0);
			assert_false(fw.iort);
			free(err);
			free(fw.drhd);
			free(fw.smmuv3);
		}
		p[0] = 'X';
		{
			struct iommucap_firmware fw = { 0 };
			char *err = NULL;

			assert_int_equal(dmar ? acpi_dmar_parse(p, len, &fw, &err)
					      : acpi_iort_parse(p, len, &fw, &err),
					 -EINVAL);
			assert_string_equal(err, dmar ? "the signature is not DMAR"
						      : "the signature is not IORT");
			free(err);
		}
	}
}

/* What the kernel refuses in a table that is whole (dmar.c, iort.c). */
static void test_refused(void **state)
{
	_cleanup_free_ uint8_t *d = NULL, *io = NULL;
	struct iommucap_firmware fw = { 0 };
	size_t dlen, ilen;
	char *err = NULL;

	d = fixture("acpi/q111-q35-intel-iommu-aw48.DMAR", &dlen);
	/* parse_dmar_table(): "Invalid DMAR haw" below PAGE_SHIFT - 1 = 11. */
	d[36] = 10;
	assert_int_equal(acpi_dmar_parse(d, dlen, &fw, &err), -EINVAL);
	assert_string_equal(err, "the host address width is 11 bits, which the kernel refuses "
				 "(\"Invalid DMAR haw\")");
	free(err);
	/* dmar_walk_remapping_entries(): "Invalid 0-length structure". */
	d[36] = 47;
	d[50] = d[51] = 0;
	assert_int_equal(acpi_dmar_parse(d, dlen, &fw, &err), -EINVAL);
	assert_string_equal(err, "a structure of length 0 at 48");
	free(err);
	free(fw.drhd);

	io = fixture("acpi/q111-virt-smmuv3-uefi.IORT", &ilen);
	/* One node more than the table holds: iort_scan_node()'s "node pointer overflows". */
	io[36]++;
	assert_int_equal(acpi_iort_parse(io, ilen, &fw, &err), -EINVAL);
	assert_non_null(strstr(err, "truncated: node 2 of 3"));
	free(err);
	free(fw.smmuv3);
}

static void vtd_unit(struct iommucap_unit *u, bool have_address, uint64_t address)
{
	*u = (struct iommucap_unit){ .name = (char *)"dmar0", .model = IOMMUCAP_MODEL_INTEL_VTD };
	if (have_address)
		assert_int_equal(unit_add_raw(u, "address", true, address, NULL), 0);
}

static void test_vtd_output_bits(void **state)
{
	struct iommucap_host h = { 0 };
	struct iommucap_firmware fw = { 0 };
	_cleanup_free_ uint8_t *p = NULL;
	struct iommucap_unit u;
	char *err = NULL;
	size_t len;

	h.info.firmware = &fw;
	p = fixture("acpi/q111-q35-intel-iommu-aw48.DMAR", &len);
	assert_int_equal(acpi_dmar_parse(p, len, &fw, &err), 0);

	/* The unit at the DRHD's address, and a unit whose address sysfs did not give. */
	vtd_unit(&u, true, 0xfed90000);
	assert_int_equal(acpi_unit_pass(&h, &u), 0);
	assert_cap_num(&u, IOMMUCAP_OUTPUT_BITS, IOMMUCAP_SRC_FIRMWARE, 48);
	u.name = NULL;
	unit_done(&u);
	vtd_unit(&u, false, 0);
	assert_int_equal(acpi_unit_pass(&h, &u), 0);
	assert_cap_num(&u, IOMMUCAP_OUTPUT_BITS, IOMMUCAP_SRC_FIRMWARE, 48);
	u.name = NULL;
	unit_done(&u);

	/* A unit the table does not describe. */
	vtd_unit(&u, true, 0xfed91000);
	assert_int_equal(acpi_unit_pass(&h, &u), 0);
	assert_cap_unknown_because(
		&u, IOMMUCAP_OUTPUT_BITS,
		"the ACPI DMAR table has no DRHD at the unit's address 0xfed91000");
	u.name = NULL;
	unit_done(&u);

	/* No table read: its reason. */
	fw.dmar_width = 0;
	fw.dmar_reason =
		(char *)"the host address width is in the ACPI DMAR table, which is absent";
	vtd_unit(&u, true, 0xfed90000);
	assert_int_equal(acpi_unit_pass(&h, &u), 0);
	assert_cap_unknown_because(&u, IOMMUCAP_OUTPUT_BITS, "which is absent");
	u.name = NULL;
	unit_done(&u);
	free(fw.drhd);
	assert_int_equal(h.n_warnings, 0);
}

/* An SMMUv3 unit whose IDR0 said COHACC 0 and HTTU 2 (access and dirty), behind QEMU's IORT. */
static void smmuv3_pass(struct iommucap_host *h, struct iommucap_unit *u, const char *release)
{
	*u = (struct iommucap_unit){ .name = (char *)"smmu3.0x0000000009050000",
				     .model = IOMMUCAP_MODEL_ARM_SMMU_V3 };
	h->info.kernel_release = (char *)release;
	assert_int_equal(cap_set_bool(u, IOMMUCAP_COHERENT, false, IOMMUCAP_SRC_IOMMUFD), 0);
	assert_int_equal(
		cap_set_enum(u, IOMMUCAP_HTTU, IOMMUCAP_HTTU_ACCESS_DIRTY, IOMMUCAP_SRC_IOMMUFD),
		0);
	assert_int_equal(cap_set_bool(u, IOMMUCAP_DIRTY_TRACKING, false, IOMMUCAP_SRC_IOMMUFD), 0);
	assert_int_equal(acpi_unit_pass(h, u), 0);
}

static void test_smmuv3_overrides(void **state)
{
	struct iommucap_firmware fw = { 0 };
	_cleanup_free_ uint8_t *p = NULL;
	struct iommucap_unit u;
	char *err = NULL;
	size_t len;

	p = fixture("acpi/q111-virt-smmuv3-uefi.IORT", &len);
	assert_int_equal(acpi_iort_parse(p, len, &fw, &err), 0);

	/* 6.12: COHACC from the IORT (true), HTTU from the IORT (none): both warned, as the kernel
	 * warns; dirty tracking needs HD, which the firmware did not give. */
	{
		struct iommucap_host h = { .info.firmware = &fw };

		smmuv3_pass(&h, &u, "6.12.95+deb12-arm64");
		assert_cap_bool(&u, IOMMUCAP_COHERENT, IOMMUCAP_SRC_FIRMWARE, true);
		assert_cap_str(&u, IOMMUCAP_HTTU, IOMMUCAP_SRC_FIRMWARE, "none");
		assert_cap_bool(&u, IOMMUCAP_DIRTY_TRACKING, IOMMUCAP_SRC_FIRMWARE, false);
		assert_int_equal(h.n_warnings, 2);
		assert_string_equal(
			h.warnings[0],
			"smmu3.0x0000000009050000: coherent is false from iommufd, but the "
			"ACPI IORT overrides it with true; the kernel uses the firmware's "
			"(\"IDR0.COHACC overridden by FW configuration\")");
		assert_string_equal(
			h.warnings[1],
			"smmu3.0x0000000009050000: httu is access+dirty from iommufd, but "
			"the ACPI IORT overrides it with none; the kernel uses the "
			"firmware's (\"IDR0.HTTU features(...) overridden by FW "
			"configuration\")");
		strv_free(h.warnings, h.n_warnings);
		u.name = NULL;
		unit_done(&u);
	}
	/* 6.10 has no HTTU support (2f8d6178b4fe is 6.11): only the coherency is the IORT's. */
	{
		struct iommucap_host h = { .info.firmware = &fw };

		smmuv3_pass(&h, &u, "6.10.0");
		assert_cap_bool(&u, IOMMUCAP_COHERENT, IOMMUCAP_SRC_FIRMWARE, true);
		assert_cap_str(&u, IOMMUCAP_HTTU, IOMMUCAP_SRC_IOMMUFD, "access+dirty");
		assert_cap_bool(&u, IOMMUCAP_DIRTY_TRACKING, IOMMUCAP_SRC_FIRMWARE, true);
		assert_int_equal(h.n_warnings, 1);
		strv_free(h.warnings, h.n_warnings);
		u.name = NULL;
		unit_done(&u);
	}
	/* A unit at another address: its node is not this one. */
	{
		struct iommucap_host h = { .info.firmware = &fw };

		u = (struct iommucap_unit){ .name = (char *)"smmu3.0x000000000c000000",
					    .model = IOMMUCAP_MODEL_ARM_SMMU_V3 };
		assert_int_equal(acpi_unit_pass(&h, &u), 0);
		assert_int_equal(u.caps[IOMMUCAP_COHERENT].source, IOMMUCAP_SRC_UNKNOWN);
		u.name = NULL;
		unit_done(&u);
	}
	free(fw.smmuv3);
}

/* Through the probe: a bad table is one warning naming the file; the rest is unaffected. */
static void test_probe_bad_table(void **state)
{
	struct tree *t = *state;
	_cleanup_(iommucap_host_freep) struct iommucap_host *h = NULL;
	_cleanup_free_ uint8_t *p = NULL;
	size_t len;

	p = fixture("acpi/q111-q35-intel-iommu-aw39.DMAR", &len);
	tree_write_str(t, "proc/sys/kernel/osrelease", "6.12.95+deb12-amd64\n");
	tree_write_str(t, "proc/cmdline", "console=ttyS0\n");
	tree_write_str(t, "sys/devices/virtual/iommu/dmar0/intel-iommu/cap", "80d2008c22260206\n");
	tree_write_str(t, "sys/devices/virtual/iommu/dmar0/intel-iommu/ecap", "f00f4a\n");
	tree_write_str(t, "sys/devices/virtual/iommu/dmar0/intel-iommu/version", "1:0\n");
	tree_write_str(t, "sys/devices/virtual/iommu/dmar0/intel-iommu/address", "fed90000\n");
	tree_symlink(t, "sys/class/iommu/dmar0", "../../devices/virtual/iommu/dmar0");
	tree_write(t, "sys/firmware/acpi/tables/DMAR", p, len - 1);
	assert_int_equal(iommucap_probe(t->root, &h), 0);
	assert_int_equal(h->n_warnings, 1);
	assert_string_equal(h->warnings[0],
			    "/sys/firmware/acpi/tables/DMAR is malformed: "
			    "truncated: 103 bytes of the 104 its header gives; VT-d "
			    "output widths are unknown");
	assert_cap_unknown_because(&h->units[0], IOMMUCAP_OUTPUT_BITS,
				   "the ACPI DMAR table is malformed: truncated");
	/* The registers are read as ever: MGAW 38 -> 39 bits (cap 0x80d2008c22260206). */
	assert_cap_num(&h->units[0], IOMMUCAP_INPUT_BITS, IOMMUCAP_SRC_REGISTER, 39);
	iommucap_host_free(TAKE_PTR(h));

	/* Whole, it gives the width; a bad IORT beside it changes nothing of the VT-d unit. */
	tree_write(t, "sys/firmware/acpi/tables/DMAR", p, len);
	tree_write_str(t, "sys/firmware/acpi/tables/IORT", "IORT");
	assert_int_equal(iommucap_probe(t->root, &h), 0);
	assert_int_equal(h->n_warnings, 1);
	assert_string_equal(h->warnings[0], "/sys/firmware/acpi/tables/IORT is malformed: "
					    "truncated: 4 bytes, the IORT header needs 48; its "
					    "SMMUv3 overrides are not applied");
	assert_cap_num(&h->units[0], IOMMUCAP_OUTPUT_BITS, IOMMUCAP_SRC_FIRMWARE, 39);
}

/*
 * iommufd's out_capabilities is the kernel's own dirty-tracking verdict
 * (IOMMU_HW_CAP_DIRTY_TRACKING, include/uapi/linux/iommufd.h; set by iommufd_get_hw_info() from
 * device_iommu_capable(IOMMU_CAP_DIRTY_TRACKING)): it outranks the registers and the IORT.
 */
static void smmuv3_iommufd_tree(struct tree *t)
{
	tree_write_str(t, "proc/sys/kernel/osrelease", "7.3.4\n");
	tree_write_str(t, "proc/cmdline", "console=ttyS0\n");
	tree_mkdir(
		t,
		"sys/devices/platform/arm-smmu-v3.0.auto/iommu/smmu3.0x0000000009050000/devices");
	tree_symlink(t, "sys/class/iommu/smmu3.0x0000000009050000",
		     "../../devices/platform/arm-smmu-v3.0.auto/iommu/smmu3.0x0000000009050000");
	tree_write_str(t, "sys/devices/pci0000:00/0000:00:01.0/vendor", "0x8086\n");
	tree_write_str(t, "sys/devices/pci0000:00/0000:00:01.0/device", "0x10d3\n");
	tree_write_str(t, "sys/devices/pci0000:00/0000:00:01.0/class", "0x020000\n");
	tree_symlink(t, "sys/devices/pci0000:00/0000:00:01.0/iommu",
		     "../../platform/arm-smmu-v3.0.auto/iommu/smmu3.0x0000000009050000");
	tree_symlink(t, "sys/bus/pci/devices/0000:00:01.0",
		     "../../../devices/pci0000:00/0000:00:01.0");
}

/* QEMU's SMMUv3 IDRs (test-hwinfo.c: IDR0 0x0d44101a, COHACC set, HTTU 0) with caps. */
static void smmuv3_hwinfo(struct tree *t, const char *caps)
{
	char buf[512];

	snprintf(buf, sizeof(buf),
		 "data_type 2\ncapabilities %s\nmax_pasid_log2 0\n"
		 "data 00000000000000001a10440d1000730200000000041400000000000074000000"
		 "0000000001000000\n",
		 caps);
	tree_write_str(t, "iommufd/hw_info/0000:00:01.0", buf);
}

static void test_iommufd_dirty_tracking(void **state)
{
	struct tree *t = *state;
	_cleanup_free_ uint8_t *p = NULL;
	size_t len;

	p = fixture("acpi/q111-virt-smmuv3-uefi.IORT", &len);
	smmuv3_iommufd_tree(t);
	for (int with_iort = 0; with_iort < 2; with_iort++)
		for (int bit = 0; bit < 2; bit++) {
			_cleanup_(iommucap_host_freep) struct iommucap_host *h = NULL;
			const struct iommucap_unit *u;

			smmuv3_hwinfo(t, bit ? "0x1" : "0x0");
			if (with_iort)
				tree_write(t, "sys/firmware/acpi/tables/IORT", p, len);
			assert_int_equal(iommucap_probe(t->root, &h), 0);
			u = &h->units[0];
			assert_string_equal(u->hw_info_from, "0000:00:01.0");
			assert_cap_bool(u, IOMMUCAP_DIRTY_TRACKING, IOMMUCAP_SRC_IOMMUFD, bit);
			/* IDR0.COHACC and the IORT's override agree (both 1): no warning. */
			assert_cap_bool(u, IOMMUCAP_COHERENT,
					with_iort ? IOMMUCAP_SRC_FIRMWARE : IOMMUCAP_SRC_IOMMUFD,
					true);
			assert_cap_str(u, IOMMUCAP_HTTU,
				       with_iort ? IOMMUCAP_SRC_FIRMWARE : IOMMUCAP_SRC_IOMMUFD,
				       "none");
			assert_int_equal(h->n_warnings, 0);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dmar_qemu),
		cmocka_unit_test(test_iort_qemu),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_vtd_output_bits),
		cmocka_unit_test(test_smmuv3_overrides),
		cmocka_unit_test_setup_teardown(test_probe_bad_table, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_iommufd_dirty_tracking, tree_setup,
						tree_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
