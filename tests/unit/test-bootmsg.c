/* The kernel's boot messages predicted from the registers (iommucap_boot_messages), checked
 * against the real boot log of every fixture that has one (CAPTURE/dmesg-iommu.txt). */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "unit.h"
#include "ksem.h"
#include "sysfs.h"

static const char *srcdir(void)
{
	const char *s = getenv("srcdir");

	return s ? s : ".";
}

/* The lines of the kinds we predict, without the "[ time] " prefix. */
static bool predicted_kind(const char *l)
{
	return strstr(l, "IOMMU feature ") || strstr(l, " SVM disabled, ") ||
	       strstr(l, "IOMMU batching disallowed") || strstr(l, "IOMMU batching is disabled") ||
	       strstr(l, "AMD-Vi: Extended features (");
}

static void check_fixture(const char *dir, const char *name, unsigned *n_checked)
{
	char *log = NULL, *root = NULL, line[512];
	struct iommucap_root *r = NULL;
	struct iommucap_host *h = NULL;
	char **msgs = NULL;
	size_t n = 0;
	FILE *f;

	assert_true(asprintf(&log, "%s/%s/CAPTURE/dmesg-iommu.txt", dir, name) > 0);
	f = fopen(log, "re");
	if (!f) {
		free(log);
		return;
	}
	assert_true(asprintf(&root, "%s/%s", dir, name) > 0);
	assert_int_equal(iommucap_root_open(root, &r), 0);
	assert_int_equal(iommucap_probe(r, &h), 0);
	assert_int_equal(iommucap_boot_messages(h, &msgs, &n), 0);

	/* Every line of those kinds in the log is predicted ... */
	while (fgets(line, sizeof(line), f)) {
		char *l = strchr(line, ']');
		bool found = false;

		l = l ? l + 1 : line;
		l += strspn(l, " ");
		l[strcspn(l, "\n")] = 0;
		if (!predicted_kind(l))
			continue;
		for (size_t i = 0; i < n; i++)
			found |= streq(msgs[i], l);
		if (!found)
			fail_msg("%s: the kernel printed \"%s\", not predicted", name, l);
	}
	/* ... and every prediction is in the log. */
	for (size_t i = 0; i < n; i++) {
		bool found = false;

		rewind(f);
		while (fgets(line, sizeof(line), f))
			found |= strstr(line, msgs[i]) != NULL;
		if (!found)
			fail_msg("%s: predicted \"%s\", not in the boot log", name, msgs[i]);
	}
	(*n_checked)++;
	fclose(f);
	strv_free(msgs, n);
	iommucap_host_free(h);
	iommucap_root_free(r);
	free(root);
	free(log);
}

static void test_boot_messages_match_fixture_logs(void **state)
{
	char *dir = NULL;
	struct dirent *de;
	unsigned checked = 0;
	DIR *d;

	assert_true(asprintf(&dir, "%s/tests/fixtures", srcdir()) > 0);
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			check_fixture(dir, de->d_name, &checked);
	closedir(d);
	free(dir);
	/* The x86 and arm64 captures each have a boot log. */
	assert_true(checked >= 20);
}

static struct iommucap_unit vtd_unit(const char *name, uint64_t pasid, uint64_t prs)
{
	struct iommucap_unit u = { .model = IOMMUCAP_MODEL_INTEL_VTD };

	u.name = strdup(name);
	assert_int_equal(unit_add_field(&u, "ecap", "pasid", IOMMUCAP_FIELD_NUM, pasid, NULL), 0);
	assert_int_equal(unit_add_field(&u, "ecap", "prs", IOMMUCAP_FIELD_NUM, prs, NULL), 0);
	return u;
}

static void assert_audit(const char *release, size_t want_n)
{
	struct iommucap_host h = { 0 };
	const char **m = NULL;
	size_t n = 0;

	h.info.kernel_release = (char *)release;
	sscanf(release, "%d.%d", &h.info.kernel_major, &h.info.kernel_minor);
	h.units = calloc(3, sizeof(*h.units));
	h.units[0] = vtd_unit("dmar0", 1, 1);
	h.units[1] = vtd_unit("dmar1", 0, 1);
	h.units[2] = vtd_unit("dmar2", 1, 1);
	h.n_units = 3;
	assert_int_equal(vtd_cap_audit_mismatches(&h, &m, &n), 0);
	assert_int_equal(n, want_n);
	if (want_n)
		assert_string_equal(m[0], "pasid"); /* cap_audit.c prints #feature: "pasid" */
	free(m);
	for (size_t i = 0; i < h.n_units; i++)
		unit_done(&h.units[i]);
	free(h.units);
}

static void test_cap_audit_by_release(void **state)
{
	/* ad3d19029979 (5.13) to c2206299401b (6.14). */
	assert_audit("5.12.19", 0);
	assert_audit("5.13.0", 1);
	assert_audit("6.13.12", 1);
	assert_audit("6.14.0", 0);
}

/* A VT-d unit with caching mode, in scalable mode with FLTS (first-stage DMA domains) or not. */
static struct iommucap_unit cm_unit(const char *name, bool cm, bool first_stage)
{
	struct iommucap_unit u = { .model = IOMMUCAP_MODEL_INTEL_VTD };

	u.name = strdup(name);
	assert_int_equal(unit_add_field(&u, "cap", "cm", IOMMUCAP_FIELD_NUM, cm, NULL), 0);
	assert_int_equal(unit_add_field(&u, "ecap", "flts", IOMMUCAP_FIELD_NUM, first_stage, NULL),
			 0);
	assert_int_equal(
		cap_set_bool(&u, IOMMUCAP_SCALABLE_MODE, first_stage, IOMMUCAP_SRC_REGISTER), 0);
	return u;
}

/* The caching-mode line predicted for the second unit (caching mode, first-stage tables) beside
 * a first unit without caching mode, first-stage or not; NULL when none. */
static void assert_cm_line(const char *release, bool first_unit_first_stage, bool second_cm,
			   const char *strict, const char *want)
{
	struct iommucap_kv kv = { (char *)"intel_iommu", (char *)strict };
	struct iommucap_host h = { 0 };
	bool found = false;
	char **m = NULL;
	size_t n = 0;

	h.info.kernel_release = (char *)release;
	sscanf(release, "%d.%d", &h.info.kernel_major, &h.info.kernel_minor);
	if (strict) {
		h.info.cmdline = &kv;
		h.info.n_cmdline = 1;
	}
	h.units = calloc(2, sizeof(*h.units));
	h.units[0] = cm_unit("dmar0", false, first_unit_first_stage);
	h.units[1] = cm_unit("dmar1", second_cm, true);
	h.n_units = 2;
	assert_int_equal(iommucap_unit_boot_messages(&h, &h.units[1], &m, &n), 0);
	/* The units differ in cm and flts: up to 6.13 cap_audit's "inconsistent" lines come too. */
	for (size_t i = 0; i < n; i++)
		if (strstr(m[i], "IOMMU batching")) {
			if (!want || found)
				fail_msg("%s: \"%s\" not expected", release, m[i]);
			assert_string_equal(m[i], want);
			found = true;
		}
	if (want && !found)
		fail_msg("%s: no batching line", release);
	strv_free(m, n);
	for (size_t i = 0; i < h.n_units; i++)
		unit_done(&h.units[i]);
	free(h.units);
}

static void test_caching_mode_line_by_release(void **state)
{
	static const char old[] = "DMAR: IOMMU batching is disabled due to virtualization",
			  once[] = "DMAR: IOMMU batching disallowed due to virtualization";

	/* intel_iommu_init(): before d0e108b8e962 (5.15) pr_warn("IOMMU batching is disabled due
	 * to virtualization") unless intel_iommu=strict set intel_iommu_strict already. */
	assert_cm_line("5.14.21", true, true, NULL, old);
	assert_cm_line("5.14.21", true, true, "strict", NULL);
	assert_cm_line("5.14.21", true, false, NULL, NULL);
	/* From 5.15 pr_info_once("IOMMU batching disallowed due to virtualization\n") for any
	 * unit with cap.CM, whatever its tables ... */
	assert_cm_line("5.15.0", true, true, "strict", once);
	assert_cm_line("6.2.16", true, true, NULL, once);
	assert_cm_line("6.1.15", true, true, NULL, once);
	/* ... and from 257ec2907419 (6.3; stable 6.1.16, 5.15.99) only when its DMA domains are
	 * not first-stage: "cap_caching_mode(iommu->cap) && !first_level_by_default(...)" in
	 * Debian's 6.1.192, 6.12.118 and 7.3 sources. */
	assert_cm_line("6.3.0", true, true, NULL, NULL);
	assert_cm_line("6.1.16", true, true, NULL, NULL);
	assert_cm_line("5.15.99", true, true, NULL, NULL);
	assert_cm_line("5.15.98", true, true, NULL, once);
	assert_cm_line("6.1.0-56-amd64", true, true, NULL, NULL);
	/* first_level_by_default(): host-wide up to 6.12 (another unit without first-stage
	 * tables makes every unit's DMA domains second-stage), the unit's own from ed56de8a9e90
	 * (6.13). */
	assert_cm_line("6.12.118", false, true, NULL, once);
	assert_cm_line("6.13.0", false, true, NULL, NULL);
	assert_cm_line("7.3.4", false, true, NULL, NULL);
	assert_cm_line("7.3.4", true, false, NULL, NULL);
}

static void assert_amd_line(const char *release, uint64_t cap, uint64_t efr, uint64_t efr2,
			    const char *want)
{
	struct iommucap_host h = { 0 };
	struct iommucap_unit u = { .model = IOMMUCAP_MODEL_AMD_VI };
	char **m = NULL;
	size_t n = 0;

	h.info.kernel_release = (char *)release;
	sscanf(release, "%d.%d", &h.info.kernel_major, &h.info.kernel_minor);
	u.name = strdup("ivhd0");
	assert_int_equal(unit_add_raw(&u, "cap", true, cap, NULL), 0);
	assert_int_equal(unit_add_raw(&u, "efr", true, efr, NULL), 0);
	assert_int_equal(unit_add_raw(&u, "efr2", true, efr2, NULL), 0);
	assert_int_equal(iommucap_unit_boot_messages(&h, &u, &m, &n), 0);
	if (!want)
		assert_int_equal(n, 0);
	else {
		assert_int_equal(n, 1);
		assert_string_equal(m[0], want);
	}
	strv_free(m, n);
	unit_done(&u);
}

static void test_amd_feature_line_by_release(void **state)
{
	/* print_iommu_info(): the x86-*-c-amd fixtures' value (cap 0x1f03000f has CAP.EFR) and
	 * every named bit, GA_vAPIC (21) and SNP (63). */
	const char *fixture = "AMD-Vi: Extended features (0x29d3, 0x0): PreF PPR GT IA GA HE";

	assert_amd_line("5.19.17", 0x1f03000f, 0x29d3, 0, NULL); /* before EFR2: not modelled */
	assert_amd_line("6.0.0", 0x1f03000f, 0x29d3, 0, fixture);
	assert_amd_line("6.12.95", 0x1f03000f, 0x29d3, 0, fixture);
	assert_amd_line("6.12.95", 0x1f03000f, UINT64_C(0x80000000002003ff), 0x5,
			"AMD-Vi: Extended features (0x80000000002003ff, 0x5): PreF PPR X2APIC NX "
			"GT [5] IA GA HE PC GA_vAPIC SNP");
	/* Up to 6.6 only units with CAP.EFR (bit 27) print; from 6.7 a nonzero global EFR. */
	assert_amd_line("6.6.30", 0x0, 0x29d3, 0, NULL);
	assert_amd_line("6.7.0", 0x0, 0x29d3, 0, fixture);
	assert_amd_line("6.7.0", 0x1f03000f, 0, 0, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boot_messages_match_fixture_logs),
		cmocka_unit_test(test_cap_audit_by_release),
		cmocka_unit_test(test_amd_feature_line_by_release),
		cmocka_unit_test(test_caching_mode_line_by_release),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
