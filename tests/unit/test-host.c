/* Unit tests of lib/parse.c parsers: the kernel command line and /proc/cpuinfo. */
#include "config.h"

#include "parse.h"
#include "unit.h"

static void hostinfo_from_cmdline(struct iommucap_hostinfo *hi, const char *cmdline)
{
	*hi = (struct iommucap_hostinfo){ .kernel_major = -1, .kernel_minor = -1 };
	assert_int_equal(parse_cmdline(cmdline, &hi->cmdline, &hi->n_cmdline), 0);
	hi->cmdline_known = true;
}

static void assert_kv(const struct iommucap_kv *kv, const char *key, const char *value)
{
	assert_string_equal(kv->key, key);
	if (value) {
		assert_non_null(kv->value);
		assert_string_equal(kv->value, value);
	} else
		assert_null(kv->value);
}

/* parse_cmdline */

static void test_cmdline_fixture_amd_dump_flag(void **state)
{
	struct iommucap_hostinfo hi;

	/* The AMD fixture's /proc/cmdline. */
	hostinfo_from_cmdline(&hi, "console=ttyS0 panic=-1 vfiobind=8086:10d3 amd_iommu_dump\n");
	assert_int_equal(hi.n_cmdline, 1);
	assert_kv(&hi.cmdline[0], "amd_iommu_dump", NULL);
	hostinfo_done(&hi);
}

static void test_cmdline_fixture_intel_sm_on(void **state)
{
	struct iommucap_hostinfo hi;

	hostinfo_from_cmdline(&hi,
			      "console=ttyS0 panic=-1 vfiobind=8086:10d3 intel_iommu=on,sm_on");
	assert_int_equal(hi.n_cmdline, 1);
	assert_kv(&hi.cmdline[0], "intel_iommu", "on,sm_on");
	hostinfo_done(&hi);
}

static void test_cmdline_iommu_keys_in_order(void **state)
{
	struct iommucap_hostinfo hi;

	hostinfo_from_cmdline(&hi, "iommu.strict=1 quiet iommu=pt amd_iommu=pgtbl_v2 "
				   "iommufd.allow_unsafe_interrupts=1 nointremap");
	assert_int_equal(hi.n_cmdline, 5);
	assert_kv(&hi.cmdline[0], "iommu.strict", "1");
	assert_kv(&hi.cmdline[1], "iommu", "pt");
	assert_kv(&hi.cmdline[2], "amd_iommu", "pgtbl_v2");
	assert_kv(&hi.cmdline[3], "iommufd.allow_unsafe_interrupts", "1");
	assert_kv(&hi.cmdline[4], "nointremap", NULL);
	hostinfo_done(&hi);
}

static void test_cmdline_unrelated_keys_dropped(void **state)
{
	struct iommucap_hostinfo hi;

	/* Names that merely contain or resemble an IOMMU key are not IOMMU keys. */
	hostinfo_from_cmdline(&hi, "vfiobind=8086:10d3 iommufoo=1 my_iommu=on iommu_x=1 "
				   "xiommu.strict=1 console=ttyS0 root=/dev/sda1 vfio=1");
	assert_int_equal(hi.n_cmdline, 0);
	hostinfo_done(&hi);
}

static void test_cmdline_module_parameters_kept(void **state)
{
	struct iommucap_hostinfo hi;

	hostinfo_from_cmdline(&hi, "vfio_iommu_type1.allow_unsafe_interrupts=1 "
				   "vfio_pci.ids=8086:10d3 arm_smmu_v3.disable_msipolling=1");
	assert_int_equal(hi.n_cmdline, 3);
	assert_kv(&hi.cmdline[0], "vfio_iommu_type1.allow_unsafe_interrupts", "1");
	assert_kv(&hi.cmdline[1], "vfio_pci.ids", "8086:10d3");
	assert_kv(&hi.cmdline[2], "arm_smmu_v3.disable_msipolling", "1");
	hostinfo_done(&hi);
}

static void test_cmdline_quoted_value(void **state)
{
	struct iommucap_hostinfo hi;

	hostinfo_from_cmdline(&hi, "intel_iommu=\"on,sm_on\" iommu.strict=\"1\"");
	assert_int_equal(hi.n_cmdline, 2);
	assert_kv(&hi.cmdline[0], "intel_iommu", "on,sm_on");
	assert_kv(&hi.cmdline[1], "iommu.strict", "1");
	hostinfo_done(&hi);
}

static void test_cmdline_quoted_space_does_not_split(void **state)
{
	struct iommucap_hostinfo hi;

	/* One parameter "dyndbg" whose value holds a space and text that looks like iommu=pt. */
	hostinfo_from_cmdline(&hi, "dyndbg=\"file x.c iommu=pt\" iommu.passthrough=1");
	assert_int_equal(hi.n_cmdline, 1);
	assert_kv(&hi.cmdline[0], "iommu.passthrough", "1");
	hostinfo_done(&hi);
}

static void test_cmdline_quoted_value_with_space_kept_whole(void **state)
{
	struct iommucap_hostinfo hi;

	hostinfo_from_cmdline(&hi, "iommu.foo=\"a b\" iommu=pt");
	assert_int_equal(hi.n_cmdline, 2);
	assert_kv(&hi.cmdline[0], "iommu.foo", "a b");
	assert_kv(&hi.cmdline[1], "iommu", "pt");
	hostinfo_done(&hi);
}

static void test_cmdline_double_dash_stops(void **state)
{
	struct iommucap_hostinfo hi;

	/* What follows "--" is for init, not the kernel. */
	hostinfo_from_cmdline(&hi, "iommu=pt -- intel_iommu=off amd_iommu_dump");
	assert_int_equal(hi.n_cmdline, 1);
	assert_kv(&hi.cmdline[0], "iommu", "pt");
	hostinfo_done(&hi);
}

static void test_cmdline_empty_value_is_not_a_flag(void **state)
{
	struct iommucap_hostinfo hi;

	hostinfo_from_cmdline(&hi, "iommu= amd_iommu_dump");
	assert_int_equal(hi.n_cmdline, 2);
	assert_kv(&hi.cmdline[0], "iommu", "");
	assert_kv(&hi.cmdline[1], "amd_iommu_dump", NULL);
	hostinfo_done(&hi);
}

static void test_cmdline_value_with_equals(void **state)
{
	struct iommucap_hostinfo hi;

	hostinfo_from_cmdline(&hi, "iommu.foo=a=b");
	assert_int_equal(hi.n_cmdline, 1);
	assert_kv(&hi.cmdline[0], "iommu.foo", "a=b");
	hostinfo_done(&hi);
}

static void test_cmdline_whitespace(void **state)
{
	struct iommucap_hostinfo hi;

	hostinfo_from_cmdline(&hi, "  \t iommu=pt\t\tintel_iommu=on \n");
	assert_int_equal(hi.n_cmdline, 2);
	assert_kv(&hi.cmdline[0], "iommu", "pt");
	assert_kv(&hi.cmdline[1], "intel_iommu", "on");
	hostinfo_done(&hi);
}

static void test_cmdline_empty(void **state)
{
	struct iommucap_hostinfo hi;

	hostinfo_from_cmdline(&hi, "");
	assert_int_equal(hi.n_cmdline, 0);
	hostinfo_done(&hi);
	hostinfo_from_cmdline(&hi, " \n");
	assert_int_equal(hi.n_cmdline, 0);
	hostinfo_done(&hi);
}

static void test_cmdline_dash_spelling_kept(void **state)
{
	struct iommucap_hostinfo hi;

	/* init/main.c obsolete_checksetup() matches __setup names with parameqn(): '-' == '_'. */
	hostinfo_from_cmdline(&hi, "intel-iommu=sp_off");
	assert_int_equal(hi.n_cmdline, 1);
	assert_true(hostinfo_cmdline_has_option(&hi, "intel_iommu", "sp_off"));
	hostinfo_done(&hi);
}

/* hostinfo_cmdline_get: the last occurrence wins. */

static void test_cmdline_get_last_wins(void **state)
{
	struct iommucap_hostinfo hi;

	hostinfo_from_cmdline(&hi, "intel_iommu=on iommu=pt intel_iommu=sm_off");
	assert_string_equal(hostinfo_cmdline_get(&hi, "intel_iommu"), "sm_off");
	assert_string_equal(hostinfo_cmdline_get(&hi, "iommu"), "pt");
	hostinfo_done(&hi);
}

static void test_cmdline_get_flag_and_absent(void **state)
{
	struct iommucap_hostinfo hi;

	hostinfo_from_cmdline(&hi, "amd_iommu_dump");
	assert_string_equal(hostinfo_cmdline_get(&hi, "amd_iommu_dump"), "");
	assert_null(hostinfo_cmdline_get(&hi, "amd_iommu"));
	hostinfo_done(&hi);
}

/* hostinfo_cmdline_has_option: one element of a comma-separated list. */

static void test_option_in_list(void **state)
{
	struct iommucap_hostinfo hi;

	hostinfo_from_cmdline(&hi, "intel_iommu=on,sm_on");
	assert_true(hostinfo_cmdline_has_option(&hi, "intel_iommu", "on"));
	assert_true(hostinfo_cmdline_has_option(&hi, "intel_iommu", "sm_on"));
	assert_false(hostinfo_cmdline_has_option(&hi, "intel_iommu", "sm_off"));
	hostinfo_done(&hi);
}

static void test_option_whole_elements_only(void **state)
{
	struct iommucap_hostinfo hi;

	hostinfo_from_cmdline(&hi, "intel_iommu=on,sm_on");
	assert_false(hostinfo_cmdline_has_option(&hi, "intel_iommu", "sm"));
	assert_false(hostinfo_cmdline_has_option(&hi, "intel_iommu", "o"));
	assert_false(hostinfo_cmdline_has_option(&hi, "intel_iommu", "on,sm_on"));
	hostinfo_done(&hi);
}

static void test_option_other_key(void **state)
{
	struct iommucap_hostinfo hi;

	hostinfo_from_cmdline(&hi, "intel_iommu=sp_off amd_iommu=nohugepages");
	assert_true(hostinfo_cmdline_has_option(&hi, "intel_iommu", "sp_off"));
	assert_false(hostinfo_cmdline_has_option(&hi, "amd_iommu", "sp_off"));
	assert_true(hostinfo_cmdline_has_option(&hi, "amd_iommu", "nohugepages"));
	assert_false(hostinfo_cmdline_has_option(&hi, "iommu", "nohugepages"));
	hostinfo_done(&hi);
}

static void test_option_any_occurrence(void **state)
{
	struct iommucap_hostinfo hi;

	/* The kernel runs the handler for every occurrence: options accumulate. */
	hostinfo_from_cmdline(&hi, "intel_iommu=on intel_iommu=sp_off");
	assert_true(hostinfo_cmdline_has_option(&hi, "intel_iommu", "on"));
	assert_true(hostinfo_cmdline_has_option(&hi, "intel_iommu", "sp_off"));
	hostinfo_done(&hi);
}

static void test_option_empty_elements(void **state)
{
	struct iommucap_hostinfo hi;

	hostinfo_from_cmdline(&hi, "intel_iommu=,,sp_off,");
	assert_true(hostinfo_cmdline_has_option(&hi, "intel_iommu", "sp_off"));
	assert_false(hostinfo_cmdline_has_option(&hi, "intel_iommu", "sp"));
	hostinfo_done(&hi);
}

static void test_option_bare_flag_has_none(void **state)
{
	struct iommucap_hostinfo hi;

	hostinfo_from_cmdline(&hi, "intel_iommu");
	assert_false(hostinfo_cmdline_has_option(&hi, "intel_iommu", "on"));
	hostinfo_done(&hi);
}

/* parse_cpuinfo: the first CPU's x86 "flags" or arm64 "Features". */

static void cpuinfo_ok(struct iommucap_hostinfo *hi, const char *s)
{
	*hi = (struct iommucap_hostinfo){ .kernel_major = -1, .kernel_minor = -1 };
	assert_int_equal(parse_cpuinfo(s, hi), 0);
	assert_true(hi->cpu_flags_known);
}

static void assert_flags(const struct iommucap_hostinfo *hi, bool lam, bool enqcmd, bool la57,
			 bool pdpe1gb)
{
	assert_int_equal(hi->cpu_flags[IOMMUCAP_CPU_LAM], lam);
	assert_int_equal(hi->cpu_flags[IOMMUCAP_CPU_ENQCMD], enqcmd);
	assert_int_equal(hi->cpu_flags[IOMMUCAP_CPU_LA57], la57);
	assert_int_equal(hi->cpu_flags[IOMMUCAP_CPU_PDPE1GB], pdpe1gb);
}

static void test_cpuinfo_fixture_amd(void **state)
{
	struct iommucap_hostinfo hi;

	/* The x86 fixtures (QEMU -cpu max under TCG) keep the flags and vendor lines only. */
	cpuinfo_ok(&hi, "flags\t\t: fpu de pse tsc msr pae pdpe1gb rdtscp lm svm npt vgif umip pku "
			"ospke vaes la57\n"
			"vendor_id\t: AuthenticAMD\n");
	assert_flags(&hi, false, false, true, true);
	assert_string_equal(hi.cpu_vendor, "AuthenticAMD");
	hostinfo_done(&hi);
}

static void test_cpuinfo_all_four_present(void **state)
{
	struct iommucap_hostinfo hi;

	cpuinfo_ok(&hi, "processor\t: 0\n"
			"vendor_id\t: GenuineIntel\n"
			"flags\t\t: fpu vme pdpe1gb la57 movdiri movdir64b enqcmd lam lass\n"
			"bugs\t\t: spectre_v1\n");
	assert_flags(&hi, true, true, true, true);
	assert_string_equal(hi.cpu_vendor, "GenuineIntel");
	hostinfo_done(&hi);
}

static void test_cpuinfo_all_four_absent(void **state)
{
	struct iommucap_hostinfo hi;

	cpuinfo_ok(&hi, "flags\t\t: fpu vme de pse tsc msr\n");
	assert_flags(&hi, false, false, false, false);
	hostinfo_done(&hi);
}

static void test_cpuinfo_word_boundaries(void **state)
{
	struct iommucap_hostinfo hi;

	/* "lam" is neither "clam" nor "lamx"; likewise for the others. */
	cpuinfo_ok(&hi,
		   "flags\t\t: clam lamx xenqcmd enqcmds la57x xla57 pdpe1gbx apdpe1gb lam_u57\n");
	assert_flags(&hi, false, false, false, false);
	hostinfo_done(&hi);
}

static void test_cpuinfo_flag_at_start_and_end(void **state)
{
	struct iommucap_hostinfo hi;

	cpuinfo_ok(&hi, "flags\t\t: lam fpu enqcmd");
	assert_flags(&hi, true, true, false, false);
	hostinfo_done(&hi);
}

static void test_cpuinfo_later_match_after_false_hit(void **state)
{
	struct iommucap_hostinfo hi;

	/* The first "lam" inside "clam" must not stop the search for the real one. */
	cpuinfo_ok(&hi, "flags\t\t: clam fpu lam\n");
	assert_flags(&hi, true, false, false, false);
	hostinfo_done(&hi);
}

static void test_cpuinfo_arm64_features(void **state)
{
	struct iommucap_hostinfo hi;

	cpuinfo_ok(&hi, "processor\t: 0\n"
			"BogoMIPS\t: 125.00\n"
			"Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics sve\n"
			"CPU implementer\t: 0x41\n"
			"CPU architecture: 8\n"
			"\n"
			"processor\t: 1\n"
			"Features\t: fp asimd\n");
	assert_flags(&hi, false, false, false, false);
	assert_string_equal(hi.cpu_vendor, "0x41");
	hostinfo_done(&hi);
}

static void test_cpuinfo_no_flags_is_enodata(void **state)
{
	struct iommucap_hostinfo hi = { .kernel_major = -1 };

	assert_int_equal(parse_cpuinfo("processor\t: 0\nmodel name\t: some cpu\n", &hi), -ENODATA);
	assert_false(hi.cpu_flags_known);
	hostinfo_done(&hi);
}

static void test_cpuinfo_empty_is_enodata(void **state)
{
	struct iommucap_hostinfo hi = { .kernel_major = -1 };

	assert_int_equal(parse_cpuinfo("", &hi), -ENODATA);
	assert_false(hi.cpu_flags_known);
	hostinfo_done(&hi);
}

static void test_cpuinfo_first_cpu_only(void **state)
{
	struct iommucap_hostinfo hi;

	cpuinfo_ok(&hi, "processor\t: 0\n"
			"vendor_id\t: GenuineIntel\n"
			"flags\t\t: fpu pdpe1gb\n"
			"\n"
			"processor\t: 1\n"
			"vendor_id\t: OtherVendor\n"
			"flags\t\t: fpu lam enqcmd la57\n");
	assert_flags(&hi, false, false, false, true);
	assert_string_equal(hi.cpu_vendor, "GenuineIntel");
	hostinfo_done(&hi);
}

static void test_cpuinfo_vmx_flags_line_is_not_flags(void **state)
{
	struct iommucap_hostinfo hi;

	cpuinfo_ok(&hi, "vmx flags\t: lam enqcmd\n"
			"flags\t\t: fpu la57\n");
	assert_flags(&hi, false, false, true, false);
	hostinfo_done(&hi);
}

static void test_cpuinfo_flags_key_must_be_whole(void **state)
{
	struct iommucap_hostinfo hi = { .kernel_major = -1 };

	assert_int_equal(parse_cpuinfo("flagsx\t: lam\n", &hi), -ENODATA);
	assert_false(hi.cpu_flags_known);
	hostinfo_done(&hi);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmdline_fixture_amd_dump_flag),
		cmocka_unit_test(test_cmdline_fixture_intel_sm_on),
		cmocka_unit_test(test_cmdline_iommu_keys_in_order),
		cmocka_unit_test(test_cmdline_unrelated_keys_dropped),
		cmocka_unit_test(test_cmdline_module_parameters_kept),
		cmocka_unit_test(test_cmdline_quoted_value),
		cmocka_unit_test(test_cmdline_quoted_space_does_not_split),
		cmocka_unit_test(test_cmdline_quoted_value_with_space_kept_whole),
		cmocka_unit_test(test_cmdline_double_dash_stops),
		cmocka_unit_test(test_cmdline_empty_value_is_not_a_flag),
		cmocka_unit_test(test_cmdline_value_with_equals),
		cmocka_unit_test(test_cmdline_whitespace),
		cmocka_unit_test(test_cmdline_empty),
		cmocka_unit_test(test_cmdline_dash_spelling_kept),
		cmocka_unit_test(test_cmdline_get_last_wins),
		cmocka_unit_test(test_cmdline_get_flag_and_absent),
		cmocka_unit_test(test_option_in_list),
		cmocka_unit_test(test_option_whole_elements_only),
		cmocka_unit_test(test_option_other_key),
		cmocka_unit_test(test_option_any_occurrence),
		cmocka_unit_test(test_option_empty_elements),
		cmocka_unit_test(test_option_bare_flag_has_none),
		cmocka_unit_test(test_cpuinfo_fixture_amd),
		cmocka_unit_test(test_cpuinfo_all_four_present),
		cmocka_unit_test(test_cpuinfo_all_four_absent),
		cmocka_unit_test(test_cpuinfo_word_boundaries),
		cmocka_unit_test(test_cpuinfo_flag_at_start_and_end),
		cmocka_unit_test(test_cpuinfo_later_match_after_false_hit),
		cmocka_unit_test(test_cpuinfo_arm64_features),
		cmocka_unit_test(test_cpuinfo_no_flags_is_enodata),
		cmocka_unit_test(test_cpuinfo_empty_is_enodata),
		cmocka_unit_test(test_cpuinfo_first_cpu_only),
		cmocka_unit_test(test_cpuinfo_vmx_flags_line_is_not_flags),
		cmocka_unit_test(test_cpuinfo_flags_key_must_be_whole),
	};

	return cmocka_run_group_tests_name("host", tests, NULL, NULL);
}
