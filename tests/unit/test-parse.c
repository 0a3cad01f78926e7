/* Unit tests of lib/parse.c: sysfs numbers, kernel release, AMD features, reserved regions. */
#include "config.h"

#include "unit.h"
#include "parse.h"

#define POISON UINT64_C(0x5a5a5a5a5a5a5a5a)

/* parse_hex_u64: what sysfs prints with "%llx", and what it must refuse. */

static void hex_ok(const char *s, uint64_t want)
{
	uint64_t v = POISON;

	assert_int_equal(parse_hex_u64(s, &v), 0);
	assert_int_equal(v, want);
}

static void hex_fails(const char *s, int err)
{
	uint64_t v = POISON;

	assert_int_equal(parse_hex_u64(s, &v), err);
	assert_int_equal(v, POISON); /* ret_ is written only on success */
}

static void test_hex_no_prefix(void **state)
{
	hex_ok("d2008c22260206", UINT64_C(0xd2008c22260206));
	hex_ok("29d3", 0x29d3);
	hex_ok("0", 0);
}

static void test_hex_with_prefix(void **state)
{
	hex_ok("0xd2008c22260206", UINT64_C(0xd2008c22260206));
	hex_ok("0X1f03000f", 0x1f03000f);
}

static void test_hex_upper_and_mixed_case(void **state)
{
	hex_ok("ABCDEF", 0xabcdef);
	hex_ok("aBcDeF", 0xabcdef);
}

static void test_hex_trailing_newline(void **state)
{
	hex_ok("f00f4a\n", 0xf00f4a);
}

static void test_hex_surrounding_whitespace(void **state)
{
	hex_ok("  1f03000f \n", 0x1f03000f);
	hex_ok("\t29d3\t\n", 0x29d3);
	hex_ok(" 0x10 ", 0x10);
}

static void test_hex_empty(void **state)
{
	hex_fails("", -EINVAL);
}

static void test_hex_whitespace_only(void **state)
{
	hex_fails("  \n", -EINVAL);
	hex_fails("\t", -EINVAL);
}

static void test_hex_garbage(void **state)
{
	hex_fails("zz", -EINVAL);
	hex_fails("12g", -EINVAL);
	hex_fails("g12", -EINVAL);
	hex_fails("12 34", -EINVAL);
	hex_fails("0x0x12", -EINVAL);
	hex_fails("12:34", -EINVAL);
}

static void test_hex_prefix_without_digits(void **state)
{
	hex_fails("0x", -EINVAL);
	hex_fails("0x\n", -EINVAL);
	hex_fails("0x 12", -EINVAL);
}

static void test_hex_sixteen_f_is_max(void **state)
{
	hex_ok("ffffffffffffffff", UINT64_MAX);
	hex_ok("0xFFFFFFFFFFFFFFFF\n", UINT64_MAX);
}

static void test_hex_seventeen_digits_overflow(void **state)
{
	hex_fails("10000000000000000", -ERANGE);
	hex_fails("fffffffffffffffff", -ERANGE);
	hex_fails("0x1ffffffffffffffff", -ERANGE);
}

static void test_hex_leading_zeros_are_not_overflow(void **state)
{
	hex_ok("00000000000000000000001", 1);
	hex_ok("0x00000000fee00000", 0xfee00000);
}

static void test_hex_sign_refused(void **state)
{
	hex_fails("-1", -EINVAL);
	hex_fails("+1", -EINVAL);
	hex_fails("-0x1", -EINVAL);
}

/* parse_dec_u64 */

static void dec_ok(const char *s, uint64_t want)
{
	uint64_t v = POISON;

	assert_int_equal(parse_dec_u64(s, &v), 0);
	assert_int_equal(v, want);
}

static void dec_fails(const char *s, int err)
{
	uint64_t v = POISON;

	assert_int_equal(parse_dec_u64(s, &v), err);
	assert_int_equal(v, POISON);
}

static void test_dec_plain_and_whitespace(void **state)
{
	dec_ok("65536", 65536);
	dec_ok(" 42\n", 42);
	dec_ok("0", 0);
}

static void test_dec_max_and_overflow(void **state)
{
	dec_ok("18446744073709551615", UINT64_MAX);
	dec_fails("18446744073709551616", -ERANGE);
	dec_fails("99999999999999999999", -ERANGE);
}

static void test_dec_refuses_hex_and_garbage(void **state)
{
	dec_fails("0x10", -EINVAL);
	dec_fails("1f", -EINVAL);
	dec_fails("abc", -EINVAL);
	dec_fails("4 2", -EINVAL);
}

static void test_dec_empty_and_sign(void **state)
{
	dec_fails("", -EINVAL);
	dec_fails(" \n", -EINVAL);
	dec_fails("-5", -EINVAL);
	dec_fails("+5", -EINVAL);
}

/* parse_kernel_release */

static void release_ok(const char *s, int want_major, int want_minor)
{
	int major = -7, minor = -7;

	assert_int_equal(parse_kernel_release(s, &major, &minor), 0);
	assert_int_equal(major, want_major);
	assert_int_equal(minor, want_minor);
}

static void release_fails(const char *s)
{
	int major = -7, minor = -7;

	assert_int_equal(parse_kernel_release(s, &major, &minor), -EINVAL);
	assert_int_equal(major, -7);
	assert_int_equal(minor, -7);
}

static void test_release_debian_backports(void **state)
{
	release_ok("6.12.95+deb12-amd64", 6, 12);
}

static void test_release_upstream_three_part(void **state)
{
	release_ok("7.3.4", 7, 3);
}

static void test_release_debian_arm64(void **state)
{
	release_ok("6.1.0-56-arm64", 6, 1);
}

static void test_release_two_part_and_newline(void **state)
{
	release_ok("5.19", 5, 19);
	release_ok("6.7\n", 6, 7);
	release_ok("6.10-rc1", 6, 10);
}

static void test_release_garbage(void **state)
{
	release_fails("");
	release_fails("abc");
	release_fails("6");
	release_fails("6.");
	release_fails(".6");
	release_fails("v6.1");
	release_fails("6.x");
	release_fails("-6.1");
	release_fails("6-1");
}

static void test_release_absurd_numbers(void **state)
{
	release_fails("99999999999999999999.1");
	release_fails("6.99999999999999999999");
	release_fails("1001.1");
}

/* parse_amd_features: "EFR" up to 5.19, "EFR2:EFR" on 6.0-6.6, "EFR:EFR2" from 6.7. */

struct features {
	uint64_t efr, efr2;
	bool efr2_known, guessed;
	enum amd_features_format fmt;
};

static int features(const char *s, int kmajor, int kminor, struct features *f)
{
	*f = (struct features){ .efr = POISON, .efr2 = POISON, .fmt = -1 };
	return parse_amd_features(s, kmajor, kminor, &f->efr, &f->efr2, &f->efr2_known, &f->fmt,
				  &f->guessed);
}

static void test_features_efr_only(void **state)
{
	struct features f;

	assert_int_equal(features("29d3", 5, 19, &f), 0);
	assert_int_equal(f.efr, 0x29d3);
	assert_false(f.efr2_known);
	assert_int_equal(f.efr2, 0);
	assert_int_equal(f.fmt, AMD_FEATURES_EFR);
	assert_false(f.guessed);
}

static void test_features_efr_only_on_new_kernel(void **state)
{
	struct features f;

	/* Without a colon the release does not matter: it is EFR. */
	assert_int_equal(features("29d3\n", 6, 12, &f), 0);
	assert_int_equal(f.efr, 0x29d3);
	assert_false(f.efr2_known);
	assert_int_equal(f.fmt, AMD_FEATURES_EFR);
}

static void test_features_efr2_efr_on_6_1(void **state)
{
	struct features f;

	/* The Debian 6.1 fixture: "0:29d3", EFR2 first. */
	assert_int_equal(features("0:29d3", 6, 1, &f), 0);
	assert_int_equal(f.efr, 0x29d3);
	assert_int_equal(f.efr2, 0);
	assert_true(f.efr2_known);
	assert_int_equal(f.fmt, AMD_FEATURES_EFR2_EFR);
	assert_false(f.guessed);
}

static void test_features_efr_efr2_on_6_12(void **state)
{
	struct features f;

	/* The Debian 6.12 fixture: "29d3:0", EFR first. */
	assert_int_equal(features("29d3:0", 6, 12, &f), 0);
	assert_int_equal(f.efr, 0x29d3);
	assert_int_equal(f.efr2, 0);
	assert_true(f.efr2_known);
	assert_int_equal(f.fmt, AMD_FEATURES_EFR_EFR2);
	assert_false(f.guessed);
}

static void test_features_same_string_read_by_release(void **state)
{
	struct features f;

	/* 6.12 reading the 6.1 layout would swap the registers: the release decides. */
	assert_int_equal(features("0:29d3", 6, 12, &f), 0);
	assert_int_equal(f.efr, 0);
	assert_int_equal(f.efr2, 0x29d3);
}

static void test_features_boundary_6_6_is_efr2_first(void **state)
{
	struct features f;

	assert_int_equal(features("8:29d3", 6, 6, &f), 0);
	assert_int_equal(f.efr2, 8);
	assert_int_equal(f.efr, 0x29d3);
	assert_int_equal(f.fmt, AMD_FEATURES_EFR2_EFR);
}

static void test_features_boundary_6_7_is_efr_first(void **state)
{
	struct features f;

	assert_int_equal(features("8:29d3", 6, 7, &f), 0);
	assert_int_equal(f.efr, 8);
	assert_int_equal(f.efr2, 0x29d3);
	assert_int_equal(f.fmt, AMD_FEATURES_EFR_EFR2);
}

static void test_features_boundary_6_0_is_efr2_first(void **state)
{
	struct features f;

	assert_int_equal(features("8:29d3", 6, 0, &f), 0);
	assert_int_equal(f.efr2, 8);
	assert_int_equal(f.efr, 0x29d3);
	assert_int_equal(f.fmt, AMD_FEATURES_EFR2_EFR);
}

static void test_features_7_x_is_efr_first(void **state)
{
	struct features f;

	assert_int_equal(features("8:29d3", 7, 0, &f), 0);
	assert_int_equal(f.efr, 8);
	assert_int_equal(f.efr2, 0x29d3);
	assert_int_equal(f.fmt, AMD_FEATURES_EFR_EFR2);
}

static void test_features_unknown_release_guesses_newest(void **state)
{
	struct features f;

	assert_int_equal(features("29d3:8", -1, -1, &f), 0);
	assert_int_equal(f.efr, 0x29d3);
	assert_int_equal(f.efr2, 8);
	assert_true(f.efr2_known);
	assert_int_equal(f.fmt, AMD_FEATURES_EFR_EFR2);
	assert_true(f.guessed);
}

static void test_features_unknown_release_efr_only_is_no_guess(void **state)
{
	struct features f;

	assert_int_equal(features("29d3", -1, -1, &f), 0);
	assert_int_equal(f.efr, 0x29d3);
	assert_int_equal(f.fmt, AMD_FEATURES_EFR);
	assert_false(f.guessed);
}

static void test_features_trailing_newline(void **state)
{
	struct features f;

	assert_int_equal(features("29d3:0\n", 6, 12, &f), 0);
	assert_int_equal(f.efr, 0x29d3);
	assert_int_equal(f.efr2, 0);
}

static void test_features_64bit_values(void **state)
{
	struct features f;

	assert_int_equal(features("800000000000a000:2000", 7, 3, &f), 0);
	assert_int_equal(f.efr, UINT64_C(0x800000000000a000));
	assert_int_equal(f.efr2, 0x2000);
}

static void features_fail(const char *s, int err)
{
	struct features f;

	assert_int_equal(features(s, 6, 12, &f), err);
	assert_int_equal(f.efr, POISON);
	assert_int_equal(f.efr2, POISON);
}

static void test_features_garbage(void **state)
{
	features_fail("a:b:c", -EINVAL);
	features_fail(":", -EINVAL);
	features_fail("29d3:", -EINVAL);
	features_fail(":29d3", -EINVAL);
	features_fail("xyz", -EINVAL);
	features_fail("29d3:xyz", -EINVAL);
	features_fail("", -EINVAL);
	features_fail("\n", -EINVAL);
	features_fail("29d3 0", -EINVAL);
}

static void test_features_overflow(void **state)
{
	features_fail("10000000000000000:0", -ERANGE);
	features_fail("0:10000000000000000", -ERANGE);
}

static void test_features_format_names(void **state)
{
	assert_string_equal(amd_features_format_name(AMD_FEATURES_EFR), "efr");
	assert_string_equal(amd_features_format_name(AMD_FEATURES_EFR2_EFR), "efr2:efr");
	assert_string_equal(amd_features_format_name(AMD_FEATURES_EFR_EFR2), "efr:efr2");
	assert_string_equal(amd_features_format_name((enum amd_features_format)42), "unknown");
}

/* parse_resv_region: the kernel's "0x%016llx 0x%016llx %s\n" lines. */

static void test_resv_msi_line(void **state)
{
	uint64_t start = POISON, end = POISON;
	char *type = NULL;

	assert_int_equal(
		parse_resv_region("0x00000000fee00000 0x00000000feefffff msi", &start, &end, &type),
		0);
	assert_int_equal(start, 0xfee00000);
	assert_int_equal(end, 0xfeefffff);
	assert_string_equal(type, "msi");
	free(type);
}

static void test_resv_reserved_line_with_newline(void **state)
{
	uint64_t start, end;
	char *type = NULL;

	assert_int_equal(parse_resv_region("0x000000fd00000000 0x000000ffffffffff reserved\n",
					   &start, &end, &type),
			 0);
	assert_int_equal(start, UINT64_C(0xfd00000000));
	assert_int_equal(end, UINT64_C(0xffffffffff));
	assert_string_equal(type, "reserved");
	free(type);
}

static void test_resv_direct_relaxable(void **state)
{
	uint64_t start, end;
	char *type = NULL;

	assert_int_equal(parse_resv_region("0x0000000000000000 0x0000000000ffffff direct-relaxable",
					   &start, &end, &type),
			 0);
	assert_int_equal(start, 0);
	assert_int_equal(end, 0xffffff);
	assert_string_equal(type, "direct-relaxable");
	free(type);
}

static void test_resv_single_byte_region(void **state)
{
	uint64_t start, end;
	char *type = NULL;

	/* The end is inclusive: start == end is a one-byte region, not an error. */
	assert_int_equal(parse_resv_region("0x0000000000001000 0x0000000000001000 direct", &start,
					   &end, &type),
			 0);
	assert_int_equal(start, 0x1000);
	assert_int_equal(end, 0x1000);
	free(type);
}

static void resv_fails(const char *line)
{
	uint64_t start = POISON, end = POISON;
	char *type = NULL;
	int k = parse_resv_region(line, &start, &end, &type);

	free(type);
	assert_int_equal(k, -EINVAL);
	assert_null(type);
	assert_int_equal(start, POISON);
	assert_int_equal(end, POISON);
}

static void test_resv_end_before_start(void **state)
{
	resv_fails("0x00000000feefffff 0x00000000fee00000 msi");
}

static void test_resv_extra_token(void **state)
{
	resv_fails("0x00000000fee00000 0x00000000feefffff msi extra");
}

static void test_resv_missing_type(void **state)
{
	resv_fails("0x00000000fee00000 0x00000000feefffff");
	resv_fails("0x00000000fee00000 0x00000000feefffff \n");
}

static void test_resv_empty_and_garbage(void **state)
{
	resv_fails("");
	resv_fails("\n");
	resv_fails("0xzz 0x00000000feefffff msi");
	resv_fails("0x00000000fee00000 end msi");
}

static void test_resv_overlong_token_rejected(void **state)
{
	/* Two tokens only: a 42-character start and an end; there is no type. */
	resv_fails("0x0000000000000000000000000000000000001000 0x0000000000002000");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex_no_prefix),
		cmocka_unit_test(test_hex_with_prefix),
		cmocka_unit_test(test_hex_upper_and_mixed_case),
		cmocka_unit_test(test_hex_trailing_newline),
		cmocka_unit_test(test_hex_surrounding_whitespace),
		cmocka_unit_test(test_hex_empty),
		cmocka_unit_test(test_hex_whitespace_only),
		cmocka_unit_test(test_hex_garbage),
		cmocka_unit_test(test_hex_prefix_without_digits),
		cmocka_unit_test(test_hex_sixteen_f_is_max),
		cmocka_unit_test(test_hex_seventeen_digits_overflow),
		cmocka_unit_test(test_hex_leading_zeros_are_not_overflow),
		cmocka_unit_test(test_hex_sign_refused),
		cmocka_unit_test(test_dec_plain_and_whitespace),
		cmocka_unit_test(test_dec_max_and_overflow),
		cmocka_unit_test(test_dec_refuses_hex_and_garbage),
		cmocka_unit_test(test_dec_empty_and_sign),
		cmocka_unit_test(test_release_debian_backports),
		cmocka_unit_test(test_release_upstream_three_part),
		cmocka_unit_test(test_release_debian_arm64),
		cmocka_unit_test(test_release_two_part_and_newline),
		cmocka_unit_test(test_release_garbage),
		cmocka_unit_test(test_release_absurd_numbers),
		cmocka_unit_test(test_features_efr_only),
		cmocka_unit_test(test_features_efr_only_on_new_kernel),
		cmocka_unit_test(test_features_efr2_efr_on_6_1),
		cmocka_unit_test(test_features_efr_efr2_on_6_12),
		cmocka_unit_test(test_features_same_string_read_by_release),
		cmocka_unit_test(test_features_boundary_6_6_is_efr2_first),
		cmocka_unit_test(test_features_boundary_6_7_is_efr_first),
		cmocka_unit_test(test_features_boundary_6_0_is_efr2_first),
		cmocka_unit_test(test_features_7_x_is_efr_first),
		cmocka_unit_test(test_features_unknown_release_guesses_newest),
		cmocka_unit_test(test_features_unknown_release_efr_only_is_no_guess),
		cmocka_unit_test(test_features_trailing_newline),
		cmocka_unit_test(test_features_64bit_values),
		cmocka_unit_test(test_features_garbage),
		cmocka_unit_test(test_features_overflow),
		cmocka_unit_test(test_features_format_names),
		cmocka_unit_test(test_resv_msi_line),
		cmocka_unit_test(test_resv_reserved_line_with_newline),
		cmocka_unit_test(test_resv_direct_relaxable),
		cmocka_unit_test(test_resv_single_byte_region),
		cmocka_unit_test(test_resv_end_before_start),
		cmocka_unit_test(test_resv_extra_token),
		cmocka_unit_test(test_resv_missing_type),
		cmocka_unit_test(test_resv_empty_and_garbage),
		cmocka_unit_test(test_resv_overlong_token_rejected),
	};

	return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
