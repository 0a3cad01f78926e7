/* Unit tests of the register-table engine (lib/regs.c) on a table made for the test. */
#include "config.h"

#include <signal.h>
#include <sys/wait.h>

#include "unit.h"
#include "regs.h"

/* One field of each transform, with gaps between them: bits 31:28, 62:48 are named by none. */
static const struct regfield demo_fields[] = {
	{ "raw", 0, 4, XF_RAW, "four raw bits" },
	{ "plus1", 4, 6, XF_PLUS1, "bits + 1" },
	{ "times16", 10, 10, XF_TIMES16, "bits * 16" },
	{ "ndoms", 20, 3, XF_NDOMS, "1 << (4 + 2 * bits)" },
	{ "hex", 23, 5, XF_HEX, "a bitmap" },
	{ "wide", 32, 16, XF_RAW, "sixteen bits" },
	{ "top", 63, 1, XF_RAW, "the top bit" },
};

static const struct regdef demo_reg = REGDEF("demo", 64, demo_fields);

/* A single field covering the whole register: the 64-bit shift edge of the bit helpers. */
static const struct regfield whole_fields[] = {
	{ "all", 0, 64, XF_RAW, "every bit" },
};

static const struct regdef whole_reg = REGDEF("whole", 64, whole_fields);

#define DEMO_UNNAMED (UINT64_C(0xf) << 28 | UINT64_C(0x7fff) << 48)

static uint64_t field(const struct regdef *def, uint64_t value, const char *name)
{
	uint64_t v = UINT64_C(0xdeadbeef);

	assert_int_equal(reg_field(def, value, name, &v), 0);
	return v;
}

static void test_xform_raw(void **state)
{
	assert_int_equal(field(&demo_reg, 0x9, "raw"), 9);
	assert_int_equal(field(&demo_reg, 0xf, "raw"), 15);
}

static void test_xform_plus1(void **state)
{
	assert_int_equal(field(&demo_reg, 0, "plus1"), 1);
	assert_int_equal(field(&demo_reg, UINT64_C(0x26) << 4, "plus1"), 39);
	assert_int_equal(field(&demo_reg, UINT64_C(0x3f) << 4, "plus1"), 64);
}

static void test_xform_times16(void **state)
{
	assert_int_equal(field(&demo_reg, 0, "times16"), 0);
	assert_int_equal(field(&demo_reg, UINT64_C(0x22) << 10, "times16"), 0x220);
	assert_int_equal(field(&demo_reg, UINT64_C(0x3ff) << 10, "times16"), 0x3ff0);
}

static void test_xform_ndoms(void **state)
{
	assert_int_equal(field(&demo_reg, 0, "ndoms"), 16);
	assert_int_equal(field(&demo_reg, UINT64_C(6) << 20, "ndoms"), 65536);
	assert_int_equal(field(&demo_reg, UINT64_C(7) << 20, "ndoms"), 1 << 18);
}

static void test_xform_hex_is_raw_value(void **state)
{
	assert_int_equal(field(&demo_reg, UINT64_C(0x16) << 23, "hex"), 0x16);
}

static void test_field_wide_and_top_bit(void **state)
{
	assert_int_equal(field(&demo_reg, UINT64_C(0xbeef) << 32, "wide"), 0xbeef);
	assert_int_equal(field(&demo_reg, UINT64_C(1) << 63, "top"), 1);
	assert_int_equal(field(&demo_reg, ~(UINT64_C(1) << 63), "top"), 0);
}

static void test_field_ignores_neighbours(void **state)
{
	/* Every bit set except those of "plus1": the neighbours must not leak in. */
	uint64_t v = ~(UINT64_C(0x3f) << 4);

	assert_int_equal(field(&demo_reg, v, "plus1"), 1);
	assert_int_equal(field(&demo_reg, v, "raw"), 15);
	assert_int_equal(field(&demo_reg, v, "times16"), 0x3ff0);
}

static void test_field_unknown_name(void **state)
{
	uint64_t v = 77;

	assert_int_equal(reg_field(&demo_reg, ~UINT64_C(0), "nope", &v), -ENOENT);
	assert_int_equal(v, 77);
	assert_int_equal(reg_field(&demo_reg, ~UINT64_C(0), "", &v), -ENOENT);
	assert_int_equal(reg_field(&demo_reg, ~UINT64_C(0), "RAW", &v), -ENOENT);
}

static void test_bits_are_untransformed(void **state)
{
	uint64_t v = UINT64_C(0x26) << 4 | UINT64_C(0x22) << 10 | UINT64_C(6) << 20;

	assert_int_equal(reg_bits(&demo_reg, v, "plus1"), 0x26);
	assert_int_equal(reg_bits(&demo_reg, v, "times16"), 0x22);
	assert_int_equal(reg_bits(&demo_reg, v, "ndoms"), 6);
}

static void test_bits_aborts_on_unknown_name(void **state)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGABRT, SIG_DFL);
		(void)reg_bits(&demo_reg, 0, "nope");
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
}

static void test_unknown_bits(void **state)
{
	assert_int_equal(reg_unknown_bits(&demo_reg, 0), 0);
	assert_int_equal(reg_unknown_bits(&demo_reg, ~UINT64_C(0)), DEMO_UNNAMED);
	assert_int_equal(reg_unknown_bits(&demo_reg, UINT64_C(1) << 28 | 1), UINT64_C(1) << 28);
	assert_int_equal(reg_unknown_bits(&demo_reg, UINT64_C(1) << 62), UINT64_C(1) << 62);
	assert_int_equal(reg_unknown_bits(&demo_reg, ~DEMO_UNNAMED), 0);
}

static void test_whole_register_field(void **state)
{
	assert_int_equal(reg_bits(&whole_reg, ~UINT64_C(0), "all"), UINT64_MAX);
	assert_int_equal(field(&whole_reg, UINT64_C(0x8000000000000001), "all"),
			 UINT64_C(0x8000000000000001));
	assert_int_equal(reg_unknown_bits(&whole_reg, ~UINT64_C(0)), 0);
}

static const struct iommucap_field *find(const struct iommucap_unit *u, const char *name)
{
	for (size_t i = 0; i < u->n_fields; i++)
		if (strcmp(u->fields[i].name, name) == 0)
			return &u->fields[i];
	return NULL;
}

static void test_decode_appends_every_field(void **state)
{
	struct iommucap_unit u = { 0 };
	uint64_t v = 0x5 | UINT64_C(0x26) << 4 | UINT64_C(0x22) << 10 | UINT64_C(6) << 20 |
		     UINT64_C(0x16) << 23 | UINT64_C(0xbeef) << 32 | UINT64_C(1) << 63 |
		     UINT64_C(1) << 30;
	static const struct {
		const char *name;
		enum iommucap_field_kind kind;
		uint64_t num;
	} want[] = {
		{ "raw", IOMMUCAP_FIELD_NUM, 5 },
		{ "plus1", IOMMUCAP_FIELD_NUM, 39 },
		{ "times16", IOMMUCAP_FIELD_NUM, 0x220 },
		{ "ndoms", IOMMUCAP_FIELD_NUM, 65536 },
		{ "hex", IOMMUCAP_FIELD_HEX, 0x16 },
		{ "wide", IOMMUCAP_FIELD_NUM, 0xbeef },
		{ "top", IOMMUCAP_FIELD_NUM, 1 },
		{ "unknown_bits", IOMMUCAP_FIELD_HEX, UINT64_C(1) << 30 },
	};

	assert_int_equal(reg_decode(&demo_reg, v, &u), 0);
	assert_int_equal(u.n_fields, ELEMENTSOF(want));
	for (size_t i = 0; i < ELEMENTSOF(want); i++) {
		/* In table order, grouped under the register's name. */
		assert_string_equal(u.fields[i].name, want[i].name);
		assert_string_equal(u.fields[i].group, "demo");
		assert_int_equal(u.fields[i].kind, want[i].kind);
		assert_int_equal(u.fields[i].num, want[i].num);
		assert_null(u.fields[i].str);
	}
	unit_done(&u);
}

static void test_decode_appends_after_existing_fields(void **state)
{
	struct iommucap_unit u = { 0 };

	assert_int_equal(reg_decode(&whole_reg, 1, &u), 0);
	assert_int_equal(reg_decode(&demo_reg, UINT64_C(1) << 29, &u), 0);
	assert_int_equal(u.n_fields, 2 + ELEMENTSOF(demo_fields) + 1);
	assert_string_equal(u.fields[0].group, "whole");
	assert_string_equal(u.fields[2].group, "demo");
	assert_int_equal(find(&u, "all")->num, 1);
	/* The last unknown_bits is the demo register's. */
	assert_int_equal(u.fields[u.n_fields - 1].num, UINT64_C(1) << 29);
	unit_done(&u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xform_raw),
		cmocka_unit_test(test_xform_plus1),
		cmocka_unit_test(test_xform_times16),
		cmocka_unit_test(test_xform_ndoms),
		cmocka_unit_test(test_xform_hex_is_raw_value),
		cmocka_unit_test(test_field_wide_and_top_bit),
		cmocka_unit_test(test_field_ignores_neighbours),
		cmocka_unit_test(test_field_unknown_name),
		cmocka_unit_test(test_bits_are_untransformed),
		cmocka_unit_test(test_bits_aborts_on_unknown_name),
		cmocka_unit_test(test_unknown_bits),
		cmocka_unit_test(test_whole_register_field),
		cmocka_unit_test(test_decode_appends_every_field),
		cmocka_unit_test(test_decode_appends_after_existing_fields),
	};

	return cmocka_run_group_tests_name("regs", tests, NULL, NULL);
}
