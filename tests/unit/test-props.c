/* Unit tests of lib/decode-props.c: the 2018 proposal's property directories, and model facts. */
#include "config.h"

#include "unit.h"
#include "tree.h"

#define UNIT "sys/devices/platform/arm-smmu-v3.0.auto/iommu/smmu3.0x0000000009050000"
#define PDIR UNIT "/arm-smmu-v3"

struct props_case {
	struct tree *t;
	struct iommucap_host warn;
	struct iommucap_unit u;
};

static void props_decode(struct props_case *c)
{
	c->warn = (struct iommucap_host){ 0 };
	c->u = (struct iommucap_unit){ .name = strdup("smmu3.0x0000000009050000") };
	assert_int_equal(decode_properties(c->t->root, &c->u, UNIT, "arm-smmu-v3", &c->warn), 0);
}

static void props_done(struct props_case *c)
{
	unit_done(&c->u);
	strv_free(c->warn.warnings, c->warn.n_warnings);
}

static const char *property(const struct iommucap_unit *u, const char *name)
{
	for (size_t i = 0; i < u->n_fields; i++)
		if (strcmp(u->fields[i].group, "properties") == 0 &&
		    strcmp(u->fields[i].name, name) == 0) {
			assert_int_equal(u->fields[i].kind, IOMMUCAP_FIELD_STR);
			return u->fields[i].str;
		}
	return NULL;
}

static bool warned(const struct iommucap_host *h, const char *words)
{
	for (size_t i = 0; i < h->n_warnings; i++)
		if (strstr(h->warnings[i], words))
			return true;
	return false;
}

static void test_props_full_set(void **state)
{
	const enum iommucap_source P = IOMMUCAP_SRC_PROPERTY;
	struct props_case c = { .t = *state };

	/* Jean-Philippe Brucker's example: model 2, the feature files, pgtable_format/<fmt>. */
	tree_write_str(c.t, PDIR "/model", "2\n");
	tree_write_str(c.t, PDIR "/ssid_bits", "20\n");
	tree_write_str(c.t, PDIR "/asid_bits", "16\n");
	tree_write_str(c.t, PDIR "/input_bits", "48\n");
	tree_write_str(c.t, PDIR "/output_bits", "44\n");
	tree_write_str(c.t, PDIR "/btm", "enabled\n");
	tree_write_str(c.t, PDIR "/httu", "access+dirty\n");
	tree_write_str(c.t, PDIR "/stall", "force\n");
	tree_write_str(c.t, PDIR "/pgtable_format/v7s", "");
	tree_write_str(c.t, PDIR "/pgtable_format/lpae-64", "");
	props_decode(&c);
	assert_int_equal(c.warn.n_warnings, 0);
	assert_int_equal(c.u.model, IOMMUCAP_MODEL_ARM_SMMU_V3);
	assert_int_equal(c.u.model_id, 2);
	assert_string_equal(c.u.property_dir, "arm-smmu-v3");
	assert_cap_num(&c.u, IOMMUCAP_SSID_BITS, P, 20);
	assert_cap_num(&c.u, IOMMUCAP_ASID_BITS, P, 16);
	assert_cap_num(&c.u, IOMMUCAP_INPUT_BITS, P, 48);
	assert_cap_num(&c.u, IOMMUCAP_OUTPUT_BITS, P, 44);
	assert_cap_bool(&c.u, IOMMUCAP_BTM, P, true);
	assert_cap_str(&c.u, IOMMUCAP_HTTU, P, "access+dirty");
	assert_cap_str(&c.u, IOMMUCAP_STALL, P, "force");
	assert_cap_strs(&c.u, IOMMUCAP_PGTABLE_FORMATS, P, "lpae-64", "v7s");
	/* Every file is shown as read, the model too; pgtable_format is a directory. */
	assert_int_equal(c.u.n_fields, 8);
	assert_string_equal(property(&c.u, "model"), "2");
	assert_string_equal(property(&c.u, "httu"), "access+dirty");
	assert_null(property(&c.u, "pgtable_format"));
	props_done(&c);
}

static void test_props_other_enum_values(void **state)
{
	const enum iommucap_source P = IOMMUCAP_SRC_PROPERTY;
	struct props_case c = { .t = *state };

	tree_write_str(c.t, PDIR "/model", "2\n");
	tree_write_str(c.t, PDIR "/btm", "disabled\n");
	tree_write_str(c.t, PDIR "/httu", "access\n");
	tree_write_str(c.t, PDIR "/stall", "enabled\n");
	props_decode(&c);
	assert_cap_bool(&c.u, IOMMUCAP_BTM, P, false);
	assert_cap_str(&c.u, IOMMUCAP_HTTU, P, "access");
	assert_cap_str(&c.u, IOMMUCAP_STALL, P, "enabled");
	props_done(&c);
}

static void test_props_absent_files_take_defaults(void **state)
{
	const enum iommucap_source D = IOMMUCAP_SRC_DEFAULT;
	struct props_case c = { .t = *state };

	/* "No ssid_bits file means 0: no PASID"; btm, httu, stall likewise have defaults. */
	tree_write_str(c.t, PDIR "/model", "2\n");
	props_decode(&c);
	assert_int_equal(c.warn.n_warnings, 0);
	assert_cap_num(&c.u, IOMMUCAP_SSID_BITS, D, 0);
	assert_cap_bool(&c.u, IOMMUCAP_BTM, D, false);
	assert_cap_str(&c.u, IOMMUCAP_HTTU, D, "none");
	assert_cap_str(&c.u, IOMMUCAP_STALL, D, "disabled");
	assert_cap_empty(&c.u, IOMMUCAP_PGTABLE_FORMATS, D);
	/* The widths have no default: unknown, with the reason. */
	assert_cap_unknown_because(&c.u, IOMMUCAP_ASID_BITS, "no asid_bits property file");
	assert_cap_unknown_because(&c.u, IOMMUCAP_INPUT_BITS, "no input_bits property file");
	assert_cap_unknown_because(&c.u, IOMMUCAP_OUTPUT_BITS, "no output_bits property file");
	props_done(&c);
}

static void test_props_invalid_values(void **state)
{
	struct props_case c = { .t = *state };

	tree_write_str(c.t, PDIR "/model", "2\n");
	tree_write_str(c.t, PDIR "/ssid_bits", "65\n");
	tree_write_str(c.t, PDIR "/asid_bits", "abc\n");
	tree_write_str(c.t, PDIR "/input_bits", "-1\n");
	tree_write_str(c.t, PDIR "/btm", "yes\n");
	tree_write_str(c.t, PDIR "/httu", "dirty\n");
	tree_write_str(c.t, PDIR "/stall", "Enabled\n");
	props_decode(&c);
	assert_cap_unknown_because(&c.u, IOMMUCAP_SSID_BITS,
				   "property ssid_bits has an invalid value: \"65\"");
	assert_cap_unknown_because(&c.u, IOMMUCAP_ASID_BITS, "invalid value: \"abc\"");
	assert_cap_unknown_because(&c.u, IOMMUCAP_INPUT_BITS, "invalid value: \"-1\"");
	assert_cap_unknown_because(&c.u, IOMMUCAP_BTM, "invalid value: \"yes\"");
	assert_cap_unknown_because(&c.u, IOMMUCAP_HTTU, "invalid value: \"dirty\"");
	assert_cap_unknown_because(&c.u, IOMMUCAP_STALL, "invalid value: \"Enabled\"");
	/* An invalid file is not an absent one: no default replaces it. */
	assert_int_equal(c.warn.n_warnings, 6);
	assert_string_equal(property(&c.u, "ssid_bits"), "65");
	props_done(&c);
}

static void test_props_int_bounds(void **state)
{
	const enum iommucap_source P = IOMMUCAP_SRC_PROPERTY;
	struct props_case c = { .t = *state };

	tree_write_str(c.t, PDIR "/model", "2\n");
	tree_write_str(c.t, PDIR "/ssid_bits", "0\n");
	tree_write_str(c.t, PDIR "/input_bits", "64\n");
	props_decode(&c);
	assert_cap_num(&c.u, IOMMUCAP_SSID_BITS, P, 0);
	assert_cap_num(&c.u, IOMMUCAP_INPUT_BITS, P, 64);
	props_done(&c);
}

static void test_props_unknown_model_number(void **state)
{
	struct props_case c = { .t = *state };

	tree_write_str(c.t, PDIR "/model", "42\n");
	props_decode(&c);
	assert_int_equal(c.u.model, IOMMUCAP_MODEL_UNKNOWN);
	assert_int_equal(c.u.model_id, 42);
	assert_int_equal(c.warn.n_warnings, 0);
	props_done(&c);
}

static void test_props_model_too_large(void **state)
{
	struct props_case c = { .t = *state };

	tree_write_str(c.t, PDIR "/model", "4294967296\n");
	props_decode(&c);
	assert_int_equal(c.u.model, IOMMUCAP_MODEL_UNKNOWN);
	assert_int_equal(c.u.model_id, -1);
	props_done(&c);
}

static void test_props_model_missing(void **state)
{
	struct props_case c = { .t = *state };

	tree_write_str(c.t, PDIR "/ssid_bits", "5\n");
	props_decode(&c);
	assert_true(warned(&c.warn, "arm-smmu-v3/model is missing"));
	assert_cap_num(&c.u, IOMMUCAP_SSID_BITS, IOMMUCAP_SRC_PROPERTY, 5);
	props_done(&c);
}

static void test_props_extra_file_is_shown(void **state)
{
	struct props_case c = { .t = *state };

	tree_write_str(c.t, PDIR "/model", "2\n");
	tree_write_str(c.t, PDIR "/sid_bits", "16\n");
	props_decode(&c);
	assert_string_equal(property(&c.u, "sid_bits"), "16");
	assert_int_equal(c.warn.n_warnings, 0);
	props_done(&c);
}

static void test_props_unreadable_property(void **state)
{
	struct props_case c = { .t = *state };

	tree_write_str(c.t, PDIR "/model", "2\n");
	tree_mkdir(c.t, PDIR "/ssid_bits");
	props_decode(&c);
	assert_cap_unknown_because(&c.u, IOMMUCAP_SSID_BITS, "cannot read ssid_bits");
	assert_true(warned(&c.warn, "cannot read ssid_bits"));
	assert_null(property(&c.u, "ssid_bits"));
	props_done(&c);
}

static void test_props_directory_missing(void **state)
{
	struct props_case c = { .t = *state };

	tree_mkdir(c.t, UNIT);
	props_decode(&c);
	assert_true(warned(&c.warn, "cannot list arm-smmu-v3"));
	assert_cap_unknown(&c.u, IOMMUCAP_SSID_BITS);
	props_done(&c);
}

/* decode_generic: what the model alone says, after the properties. */

static void test_generic_smmuv3_after_properties(void **state)
{
	struct props_case c = { .t = *state };

	tree_write_str(c.t, PDIR "/model", "2\n");
	tree_write_str(c.t, PDIR "/ssid_bits", "20\n");
	props_decode(&c);
	assert_int_equal(decode_generic(&c.u), 0);
	assert_cap_num(&c.u, IOMMUCAP_SSID_BITS, IOMMUCAP_SRC_PROPERTY, 20);
	/* The context-descriptor table: arm-1lvl, 64-byte aligned. */
	assert_cap_strs(&c.u, IOMMUCAP_PASID_TABLE_FORMATS, IOMMUCAP_SRC_PROPERTY, "arm-1lvl");
	assert_cap_num(&c.u, IOMMUCAP_PASID_TABLE_ALIGN, IOMMUCAP_SRC_MODEL, 64);
	assert_cap_bool(&c.u, IOMMUCAP_SCALABLE_MODE, IOMMUCAP_SRC_MODEL, false);
	assert_cap_bool(&c.u, IOMMUCAP_CACHING_MODE, IOMMUCAP_SRC_MODEL, false);
	/* With a property directory the reason is the proposal's silence, not missing registers. */
	assert_cap_unknown_because(&c.u, IOMMUCAP_NESTING, "property files do not describe it");
	assert_cap_unknown_because(&c.u, IOMMUCAP_ATS, "property files do not describe it");
	/* What the properties set stays. */
	assert_cap_str(&c.u, IOMMUCAP_HTTU, IOMMUCAP_SRC_DEFAULT, "none");
	props_done(&c);
}

static void test_generic_smmuv3_no_pasid(void **state)
{
	struct props_case c = { .t = *state };

	tree_write_str(c.t, PDIR "/model", "2\n");
	props_decode(&c);
	assert_int_equal(decode_generic(&c.u), 0);
	assert_cap_empty(&c.u, IOMMUCAP_PASID_TABLE_FORMATS, IOMMUCAP_SRC_DEFAULT);
	props_done(&c);
}

static void test_generic_smmuv3_without_properties(void **state)
{
	struct iommucap_unit u = { .model = IOMMUCAP_MODEL_ARM_SMMU_V3 };

	assert_int_equal(decode_generic(&u), 0);
	assert_cap_unknown_because(&u, IOMMUCAP_SSID_BITS, "SMMUv3");
	assert_cap_unknown_because(&u, IOMMUCAP_PASID_TABLE_FORMATS, "depends on ssid_bits");
	assert_cap_num(&u, IOMMUCAP_PASID_TABLE_ALIGN, IOMMUCAP_SRC_MODEL, 64);
	unit_done(&u);
}

static void test_generic_virtio_iommu(void **state)
{
	const enum iommucap_source D = IOMMUCAP_SRC_DRIVER;
	struct iommucap_unit u = { .model = IOMMUCAP_MODEL_VIRTIO_IOMMU };

	assert_int_equal(decode_generic(&u), 0);
	assert_cap_num(&u, IOMMUCAP_SSID_BITS, D, 0);
	assert_cap_bool(&u, IOMMUCAP_NESTING, D, false);
	assert_cap_bool(&u, IOMMUCAP_PRI, D, false);
	assert_cap_bool(&u, IOMMUCAP_DIRTY_TRACKING, D, false);
	assert_cap_bool(&u, IOMMUCAP_COHERENT, D, true);
	assert_cap_bool(&u, IOMMUCAP_SCALABLE_MODE, IOMMUCAP_SRC_MODEL, false);
	assert_cap_empty(&u, IOMMUCAP_PASID_TABLE_FORMATS, D);
	assert_cap_unknown_because(&u, IOMMUCAP_INPUT_BITS, "virtio-iommu");
	assert_cap_unknown_because(&u, IOMMUCAP_PASID_TABLE_ALIGN, "virtio-iommu");
	unit_done(&u);
}

static void test_generic_arm_smmu_v2(void **state)
{
	struct iommucap_unit u = { .model = IOMMUCAP_MODEL_ARM_SMMU };

	assert_int_equal(decode_generic(&u), 0);
	assert_cap_num(&u, IOMMUCAP_SSID_BITS, IOMMUCAP_SRC_MODEL, 0);
	assert_cap_bool(&u, IOMMUCAP_SCALABLE_MODE, IOMMUCAP_SRC_MODEL, false);
	assert_cap_unknown_because(&u, IOMMUCAP_ATS, "SMMU");
	unit_done(&u);
}

static void test_generic_unknown_model(void **state)
{
	struct iommucap_unit u = { .model = IOMMUCAP_MODEL_UNKNOWN };

	assert_int_equal(decode_generic(&u), 0);
	for (int i = 0; i < _IOMMUCAP_CAP_MAX; i++)
		assert_cap_unknown_because(&u, i, "exposes no capability");
	unit_done(&u);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tree_setup, tree_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_props_full_set),
		T(test_props_other_enum_values),
		T(test_props_absent_files_take_defaults),
		T(test_props_invalid_values),
		T(test_props_int_bounds),
		T(test_props_unknown_model_number),
		T(test_props_model_too_large),
		T(test_props_model_missing),
		T(test_props_extra_file_is_shown),
		T(test_props_unreadable_property),
		T(test_props_directory_missing),
		T(test_generic_smmuv3_after_properties),
		T(test_generic_smmuv3_no_pasid),
		cmocka_unit_test(test_generic_smmuv3_without_properties),
		cmocka_unit_test(test_generic_virtio_iommu),
		cmocka_unit_test(test_generic_arm_smmu_v2),
		cmocka_unit_test(test_generic_unknown_model),
	};

	return cmocka_run_group_tests_name("props", tests, NULL, NULL);
}
