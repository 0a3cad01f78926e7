/* Unit tests of iommufd hw_info: the capture format, and what it adds to units and devices. */
#include "config.h"

#include "unit.h"
#include "tree.h"
#include "hwinfo.h"

/*
 * QEMU's emulated SMMUv3 with default properties, as smmuv3_init_id_regs() (hw/arm/smmuv3.c)
 * sets IDR0-5 and AIDR (summed in test-smmuv3.c from its FIELD_DP32 statements), laid out as
 * struct iommu_hw_info_arm_smmuv3 (include/uapi/linux/iommufd.h): flags, __reserved, idr[6],
 * iidr, aidr, little-endian.
 */
#define QEMU_SMMUV3_DATA_IDR1(idr1)                                                                \
	"00000000"                                                                                 \
	"00000000"                                                                                 \
	"1a10440d" idr1 "00000000"                                                                 \
	"04140000"                                                                                 \
	"00000000"                                                                                 \
	"74000000"                                                                                 \
	"00000000"                                                                                 \
	"01000000"
#define QEMU_SMMUV3_DATA QEMU_SMMUV3_DATA_IDR1("10007302")
/* The same with accel=on,ssidsize=20 (smmuv3_accel_idr_override: IDR1.SSIDSIZE = 20). */
#define QEMU_SMMUV3_SSID20_DATA QEMU_SMMUV3_DATA_IDR1("10057302")

static void test_parse_read(void **state)
{
	struct iommucap_hwinfo hw = { 0 };
	char *err = NULL;

	assert_int_equal(
		hwinfo_parse("# comment\n\ndata_type 2\ncapabilities 0x5\n"
			     "max_pasid_log2 20\nnewer_key whatever\ndata " QEMU_SMMUV3_DATA "\n",
			     &hw, &err),
		0);
	assert_null(err);
	assert_true(hw.tried);
	assert_true(hw.read);
	assert_int_equal(hw.data_type, 2);
	assert_true(hw.capabilities_known);
	assert_int_equal(hw.capabilities, 5);
	assert_true(hw.max_pasid_known);
	assert_int_equal(hw.max_pasid_log2, 20);
	assert_int_equal(hw.data_len, 40);
	assert_int_equal(hw.data[8], 0x1a);
	assert_int_equal(hw.data[39], 0);
	assert_int_equal(hw.data[36], 1);
	hwinfo_done(&hw);

	/* A 6.6 kernel reports neither capabilities nor the PASID width: they stay unknown. */
	assert_int_equal(hwinfo_parse("data_type 1\ndata 00\n", &hw, &err), 0);
	assert_false(hw.capabilities_known);
	assert_false(hw.max_pasid_known);
	hwinfo_done(&hw);

	assert_int_equal(hwinfo_parse("skipped the device is in use\n", &hw, &err), 0);
	assert_true(hw.tried);
	assert_false(hw.read);
	assert_string_equal(hw.reason, "the device is in use");
	hwinfo_done(&hw);
}

static void test_parse_bad(void **state)
{
	static const struct {
		const char *text, *error;
	} cases[] = {
		{ "", "line 1: neither data_type nor skipped" },
		{ "data_type\n", "line 1: expected \"KEY VALUE\"" },
		{ "data_type two\n", "line 1: data_type is not one decimal number" },
		{ "data_type 1\ndata_type 1\n", "line 2: data_type is not one decimal number" },
		{ "data_type 1\ncapabilities 5\n",
		  "line 2: capabilities is not one 0x-prefixed hex number" },
		{ "data_type 1\nmax_pasid_log2 33\n",
		  "line 2: max_pasid_log2 is not a number from 0 to 32" },
		{ "data_type 1\ndata 0\n",
		  "line 2: data is not at most 64 bytes in hex digit pairs" },
		{ "data_type 1\ndata 0g\n", "line 2: data has a non-hex digit" },
		{ "data_type 1\ndata "
		  "00000000000000000000000000000000000000000000000000000000000000000000000000000000"
		  "0000000000000000000000000000000000000000000000000000\n",
		  "line 2: data is not at most 64 bytes in hex digit pairs" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct iommucap_hwinfo hw = { 0 };
		char *err = NULL;

		assert_int_equal(hwinfo_parse(cases[i].text, &hw, &err), -EINVAL);
		assert_non_null(err);
		assert_string_equal(err, cases[i].error);
		assert_false(hw.tried);
		free(err);
	}
}

static void test_format_round_trip(void **state)
{
	struct iommucap_hwinfo hw = { .tried = true,
				      .read = true,
				      .data_type = 1,
				      .capabilities_known = true,
				      .capabilities = 1,
				      .max_pasid_known = false,
				      .data_len = 3,
				      .data = { 0xab, 0x00, 0x7f } },
			       back = { 0 };
	_cleanup_free_ char *text = NULL, *err = NULL;

	assert_int_equal(hwinfo_format(&hw, "0000:00:03.0", &text), 0);
	assert_string_equal(text,
			    "# IOMMU_GET_HW_INFO of 0000:00:03.0 (iommu-capd, docs/hw-info.md)\n"
			    "data_type 1\ncapabilities 0x1\ndata ab007f\n");
	assert_int_equal(hwinfo_parse(text, &back, &err), 0);
	assert_int_equal(back.data_type, 1);
	assert_true(back.capabilities_known);
	assert_false(back.max_pasid_known);
	assert_int_equal(back.data_len, 3);
	assert_memory_equal(back.data, hw.data, 3);
}

/* A SMMUv3 host with one PCI device bound to vfio-pci, as sysfs and a capture show it. */
static void smmuv3_tree(struct tree *t, const char *hwinfo)
{
	tree_write_str(t, "proc/sys/kernel/osrelease", "7.3.4\n");
	tree_write_str(t, "proc/cmdline", "console=ttyS0\n");
	tree_mkdir(t, "sys/devices/platform/9050000.smmuv3/iommu/smmu3.0x0000000009050000/devices");
	tree_symlink(t, "sys/class/iommu/smmu3.0x0000000009050000",
		     "../../devices/platform/9050000.smmuv3/iommu/smmu3.0x0000000009050000");
	tree_write_str(t, "sys/devices/pci0000:00/0000:00:01.0/vendor", "0x8086\n");
	tree_write_str(t, "sys/devices/pci0000:00/0000:00:01.0/device", "0x10d3\n");
	tree_write_str(t, "sys/devices/pci0000:00/0000:00:01.0/class", "0x020000\n");
	tree_symlink(t, "sys/devices/pci0000:00/0000:00:01.0/iommu",
		     "../../platform/9050000.smmuv3/iommu/smmu3.0x0000000009050000");
	tree_mkdir(t, "sys/bus/pci/drivers/vfio-pci");
	tree_symlink(t, "sys/devices/pci0000:00/0000:00:01.0/driver",
		     "../../../bus/pci/drivers/vfio-pci");
	tree_symlink(t, "sys/bus/pci/devices/0000:00:01.0",
		     "../../../devices/pci0000:00/0000:00:01.0");
	if (hwinfo)
		tree_write_str(t, "iommufd/hw_info/0000:00:01.0", hwinfo);
}

static struct iommucap_host *probe(struct tree *t)
{
	struct iommucap_host *h = NULL;

	assert_int_equal(iommucap_probe(t->root, &h), 0);
	assert_int_equal(h->n_units, 1);
	assert_int_equal(h->n_devices, 1);
	for (size_t i = 0; i < h->n_warnings; i++)
		print_message("warning: %s\n", h->warnings[i]);
	return h;
}

static void test_probe_smmuv3(void **state)
{
	struct tree *t = *state;
	const enum iommucap_source F = IOMMUCAP_SRC_IOMMUFD;
	_cleanup_(iommucap_host_freep) struct iommucap_host *h = NULL;
	json_t *j = NULL;

	smmuv3_tree(t,
		    "data_type 2\ncapabilities 0x0\nmax_pasid_log2 0\ndata " QEMU_SMMUV3_SSID20_DATA
		    "\n");
	h = probe(t);
	const struct iommucap_unit *u = &h->units[0];
	const struct iommucap_device *d = &h->devices[0];

	assert_int_equal(u->model, IOMMUCAP_MODEL_ARM_SMMU_V3);
	assert_non_null(u->hw_info_from);
	assert_string_equal(u->hw_info_from, "0000:00:01.0");
	assert_int_equal(u->n_raw, 8);
	assert_string_equal(u->raw[1].name, "idr1");
	assert_int_equal(u->raw[1].value, 0x02730510);
	/* QEMU: SSIDSIZE 20 only with accel=on,ssidsize=20; OAS 44 bits; ASID16; no stage 2. */
	assert_cap_num(u, IOMMUCAP_SSID_BITS, F, 20);
	assert_cap_num(u, IOMMUCAP_OUTPUT_BITS, F, 44);
	assert_cap_num(u, IOMMUCAP_ASID_BITS, F, 16);
	assert_cap_bool(u, IOMMUCAP_NESTING, F, false);
	assert_cap_bool(u, IOMMUCAP_COHERENT, F, true);
	assert_int_equal(u->caps[IOMMUCAP_PASID_TABLE_ALIGN].source, IOMMUCAP_SRC_MODEL);
	assert_true(d->hw_info.read);
	assert_int_equal(h->n_warnings, 0);
	/* The kernel enabled no PASID for the device: max_pasid_log2 0 is its effective width,
	 * though the unit offers 20 bits. */
	assert_true(d->effective_pasid_bits.known);
	assert_int_equal(d->effective_pasid_bits.value, 0);

	/* The document says it, validates its own shape and reads back. */
	assert_int_equal(iommucap_device_to_json(d, &j), 0);
	json_t *o = json_object_get(j, "iommufd");
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "data_type")), "arm-smmuv3");
	assert_int_equal(json_array_size(json_object_get(o, "capabilities")), 0);
	assert_int_equal(json_integer_value(json_object_get(o, "max_pasid_log2")), 0);
	json_decref(j);

	assert_int_equal(iommucap_host_to_json(h, &j), 0);
	struct iommucap_host *back = NULL;
	char *err = NULL;
	assert_int_equal(iommucap_host_from_json(j, &back, &err), 0);
	assert_string_equal(back->units[0].hw_info_from, "0000:00:01.0");
	assert_true(back->devices[0].hw_info.read);
	assert_int_equal(back->devices[0].hw_info.data_type, 2);
	assert_true(back->devices[0].hw_info.max_pasid_known);
	assert_int_equal(back->units[0].caps[IOMMUCAP_SSID_BITS].source, F);
	iommucap_host_free(back);
	json_decref(j);
}

static void test_probe_smmuv3_absent(void **state)
{
	struct tree *t = *state;
	_cleanup_(iommucap_host_freep) struct iommucap_host *h = NULL;

	/* No capture file: the capabilities stay unknown and say why. */
	smmuv3_tree(t, NULL);
	h = probe(t);
	assert_null(h->units[0].hw_info_from);
	assert_false(h->devices[0].hw_info.tried);
	assert_int_equal(h->units[0].caps[IOMMUCAP_SSID_BITS].source, IOMMUCAP_SRC_UNKNOWN);
	assert_non_null(
		strstr(h->units[0].caps[IOMMUCAP_SSID_BITS].reason,
		       "iommufd hw_info was not read: the capture holds no iommufd/hw_info file"));
}

static void test_probe_smmuv3_skipped(void **state)
{
	struct tree *t = *state;
	_cleanup_(iommucap_host_freep) struct iommucap_host *h = NULL;

	smmuv3_tree(t, "skipped the device is in use (VFIO_DEVICE_BIND_IOMMUFD: Device or resource "
		       "busy)\n");
	h = probe(t);
	assert_true(h->devices[0].hw_info.tried);
	assert_false(h->devices[0].hw_info.read);
	assert_non_null(strstr(h->units[0].caps[IOMMUCAP_SSID_BITS].reason,
			       "iommufd hw_info was not read: the device is in use"));
}

/* A malformed file, and VT-d data for a SMMUv3 unit: one warning each, nothing learned. */
static void test_probe_bad_capture(void **state)
{
	static const struct {
		const char *capture, *warning;
	} cases[] = {
		{ "data_type 2\ndata 1\n",
		  "0000:00:01.0: /iommufd/hw_info/0000:00:01.0 is malformed: line 2: "
		  "data is not at most 64 bytes in hex digit pairs" },
		{ "data_type 1\ndata 000000000000000000000000000000000000000000000000\n",
		  "smmu3.0x0000000009050000: iommufd hw_info through 0000:00:01.0 is of "
		  "type intel-vtd, but the unit is arm-smmu-v3" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct tree *t = *state;
		_cleanup_(iommucap_host_freep) struct iommucap_host *h = NULL;

		if (i == 0)
			smmuv3_tree(t, cases[i].capture);
		else
			tree_write_str(t, "iommufd/hw_info/0000:00:01.0", cases[i].capture);
		h = probe(t);
		assert_int_equal(h->n_warnings, 1);
		assert_string_equal(h->warnings[0], cases[i].warning);
		assert_null(h->units[0].hw_info_from);
		assert_int_equal(h->units[0].caps[IOMMUCAP_SSID_BITS].source, IOMMUCAP_SRC_UNKNOWN);
	}
}

/*
 * VT-d: QEMU 7.2's intel-iommu default registers as a 6.1 guest printed them in sysfs (fixture
 * x86-q72-k61-a-intel-default: cap d2008c22260206, ecap f00f4a). iommufd agreeing relabels the
 * facts; iommufd disagreeing (here CM, cap bit 7, set) wins with a warning.
 */
static void vtd_tree(struct tree *t, const char *cap_le)
{
	char buf[512];

	tree_write_str(t, "proc/sys/kernel/osrelease", "7.3.4\n");
	tree_write_str(t, "proc/cmdline", "console=ttyS0\n");
	tree_write_str(t, "sys/devices/virtual/iommu/dmar0/intel-iommu/cap", "d2008c22260206\n");
	tree_write_str(t, "sys/devices/virtual/iommu/dmar0/intel-iommu/ecap", "f00f4a\n");
	tree_write_str(t, "sys/devices/virtual/iommu/dmar0/intel-iommu/version", "1:0\n");
	tree_write_str(t, "sys/devices/virtual/iommu/dmar0/intel-iommu/address", "fed90000\n");
	tree_mkdir(t, "sys/devices/virtual/iommu/dmar0/devices");
	tree_symlink(t, "sys/class/iommu/dmar0", "../../devices/virtual/iommu/dmar0");
	tree_write_str(t, "sys/devices/pci0000:00/0000:00:03.0/vendor", "0x8086\n");
	tree_write_str(t, "sys/devices/pci0000:00/0000:00:03.0/device", "0x10d3\n");
	tree_write_str(t, "sys/devices/pci0000:00/0000:00:03.0/class", "0x020000\n");
	tree_symlink(t, "sys/devices/pci0000:00/0000:00:03.0/iommu", "../../virtual/iommu/dmar0");
	tree_symlink(t, "sys/bus/pci/devices/0000:00:03.0",
		     "../../../devices/pci0000:00/0000:00:03.0");
	/* struct iommu_hw_info_vtd: flags, __reserved, cap_reg, ecap_reg (little-endian). */
	snprintf(buf, sizeof(buf),
		 "data_type 1\ncapabilities 0x0\nmax_pasid_log2 0\n"
		 "data 0000000000000000%s4a0ff00000000000\n",
		 cap_le);
	tree_write_str(t, "iommufd/hw_info/0000:00:03.0", buf);
}

static void test_vtd_agrees(void **state)
{
	struct tree *t = *state;
	_cleanup_(iommucap_host_freep) struct iommucap_host *h = NULL;

	vtd_tree(t, "060226228c00d200");
	h = probe(t);
	assert_int_equal(h->n_warnings, 0);
	assert_string_equal(h->units[0].hw_info_from, "0000:00:03.0");
	assert_cap_num(&h->units[0], IOMMUCAP_INPUT_BITS, IOMMUCAP_SRC_IOMMUFD,
		       39); /* MGAW 38 + 1 */
	assert_cap_bool(&h->units[0], IOMMUCAP_CACHING_MODE, IOMMUCAP_SRC_IOMMUFD, false);
	assert_int_equal(h->units[0].caps[IOMMUCAP_STALL].source, IOMMUCAP_SRC_MODEL);
}

static void test_vtd_disagrees(void **state)
{
	struct tree *t = *state;
	_cleanup_(iommucap_host_freep) struct iommucap_host *h = NULL;
	size_t n_cm = 0;

	vtd_tree(t, "860226228c00d200");
	h = probe(t);
	assert_int_equal(h->n_warnings, 1);
	assert_string_equal(
		h->warnings[0],
		"dmar0: cap is 0xd2008c22260206 in sysfs but 0xd2008c22260286 in iommufd "
		"hw_info (through 0000:00:03.0); the kernel's iommufd answer is used");
	assert_cap_bool(&h->units[0], IOMMUCAP_CACHING_MODE, IOMMUCAP_SRC_IOMMUFD, true);
	/* The field view is the new value's, once. */
	for (size_t i = 0; i < h->units[0].n_fields; i++)
		if (streq(h->units[0].fields[i].group, "cap") &&
		    streq(h->units[0].fields[i].name, "cm")) {
			assert_int_equal(h->units[0].fields[i].num, 1);
			n_cm++;
		}
	assert_int_equal(n_cm, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_read),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test_setup_teardown(test_probe_smmuv3, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_probe_smmuv3_absent, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_probe_smmuv3_skipped, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_probe_bad_capture, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_vtd_agrees, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_vtd_disagrees, tree_setup, tree_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
