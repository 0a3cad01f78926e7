/* Unit tests of the requirement document (lib/requirement.c) and its QEMU and libvirt importers. */
#include "config.h"

#include <glob.h>

#include "unit.h"
#include "requirement.h"
#include "suggest.h"

#define POISON ((struct iommucap_requirement *)0x5a5a5a5a)

/* ---- helpers ------------------------------------------------------------------------------ */

static const char *srcdir(void)
{
	const char *s = getenv("srcdir");

	return s && *s ? s : ".";
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;

	if (!f)
		fail_msg("cannot open %s", path);
	FILE *out = open_memstream(&buf, &len);
	assert_non_null(out);
	for (int c; (c = fgetc(f)) != EOF;)
		fputc(c, out);
	fclose(out);
	fclose(f);
	return buf;
}

static json_t *load_json(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &e);

	if (!j)
		fail_msg("bad JSON in the test: %s: %s", e.text, text);
	return j;
}

/* The printed requirement equals want (a JSON text), compared as JSON values. */
static void assert_printed(const struct iommucap_requirement *r, const char *want)
{
	json_t *got = NULL, *w = load_json(want);

	assert_int_equal(iommucap_requirement_to_json(r, &got), 0);
	if (!json_equal(got, w)) {
		char *g = json_dumps(got, JSON_COMPACT), *x = json_dumps(w, JSON_COMPACT);

		print_error("got  %s\nwant %s\n", g, x);
		free(g);
		free(x);
		json_decref(got);
		json_decref(w);
		fail();
	}
	json_decref(got);
	json_decref(w);
}

static struct iommucap_requirement *parse_ok(const char *text)
{
	struct iommucap_requirement *r = POISON;
	json_t *doc = load_json(text);
	char *err = NULL;
	int k = iommucap_requirement_from_json(doc, &r, &err);

	json_decref(doc);
	if (k < 0)
		fail_msg("refused: %s: %s", err, text);
	assert_ptr_not_equal(r, POISON);
	return r;
}

/* The document is accepted and prints back as want (NULL: as itself). */
static void assert_json_ok(const char *text, const char *want)
{
	struct iommucap_requirement *r = parse_ok(text);

	assert_printed(r, want ? want : text);
	iommucap_requirement_free(r);
}

static void assert_json_fails(const char *text, const char *want_err)
{
	struct iommucap_requirement *r = POISON;
	json_t *doc = load_json(text);
	char *err = NULL;

	assert_int_equal(iommucap_requirement_from_json(doc, &r, &err), -EINVAL);
	assert_ptr_equal(r, POISON); /* ret is written only on success */
	assert_non_null(err);
	assert_string_equal(err, want_err);
	free(err);
	/* Without a place for the message it is freed, not leaked. */
	assert_int_equal(iommucap_requirement_from_json(doc, &r, NULL), -EINVAL);
	json_decref(doc);
}

static void assert_qemu(const char *arg, const char *want)
{
	struct iommucap_requirement *r = POISON;
	char *err = NULL;

	if (iommucap_requirement_from_qemu(arg, &r, &err) < 0)
		fail_msg("refused: %s: %s", err, arg);
	assert_printed(r, want);
	iommucap_requirement_free(r);
}

static void assert_qemu_fails(const char *arg, const char *want_err)
{
	struct iommucap_requirement *r = POISON;
	char *err = NULL;

	assert_int_equal(iommucap_requirement_from_qemu(arg, &r, &err), -EINVAL);
	assert_ptr_equal(r, POISON);
	assert_non_null(err);
	assert_string_equal(err, want_err);
	free(err);
	assert_int_equal(iommucap_requirement_from_qemu(arg, &r, NULL), -EINVAL);
}

static void assert_libvirt(const char *xml, const char *want)
{
	struct iommucap_requirement *r = POISON;
	char *err = NULL;

	if (iommucap_requirement_from_libvirt(xml, strlen(xml), &r, &err) < 0)
		fail_msg("refused: %s: %s", err, xml);
	assert_printed(r, want);
	iommucap_requirement_free(r);
}

static void assert_libvirt_fails(const char *xml, const char *want_err)
{
	struct iommucap_requirement *r = POISON;
	char *err = NULL;

	assert_int_equal(iommucap_requirement_from_libvirt(xml, strlen(xml), &r, &err), -EINVAL);
	assert_ptr_equal(r, POISON);
	assert_non_null(err);
	assert_string_equal(err, want_err);
	free(err);
	assert_int_equal(iommucap_requirement_from_libvirt(xml, strlen(xml), &r, NULL), -EINVAL);
}

/* Call fn(path) for every file of tests/requirements matching pattern; how many. */
static size_t for_each_example(const char *pattern, void (*fn)(const char *path))
{
	char *pat = NULL;
	glob_t g;
	size_t n;

	assert_true(asprintf(&pat, "%s/tests/requirements/%s", srcdir(), pattern) > 0);
	assert_int_equal(glob(pat, 0, NULL, &g), 0);
	free(pat);
	for (size_t i = 0; i < g.gl_pathc; i++)
		fn(g.gl_pathv[i]);
	n = g.gl_pathc;
	globfree(&g);
	return n;
}

static bool is_invalid_example(const char *path)
{
	const char *base = strrchr(path, '/');

	return startswith(base ? base + 1 : path, "invalid-");
}

/* The file next to path with another extension. */
static char *sibling(const char *path, const char *ext)
{
	const char *dot = strrchr(path, '.');
	char *s = NULL;

	assert_true(asprintf(&s, "%.*s%s", (int)(dot - path), path, ext) > 0);
	return s;
}

/* ---- the examples (also validated against the schema by tests/requirement-schema.py) ---- */

static void check_valid_example(const char *path)
{
	char *text;

	if (is_invalid_example(path))
		return;
	text = read_text(path);
	/* The examples are written as the library prints them: a round trip changes nothing. */
	assert_json_ok(text, NULL);
	free(text);
}

static void check_invalid_example(const char *path)
{
	char *text = read_text(path), *errpath = sibling(path, ".err"), *want = read_text(errpath);

	want[strcspn(want, "\n")] = 0;
	assert_json_fails(text, want);
	free(text);
	free(errpath);
	free(want);
}

static void check_qemu_example(const char *path)
{
	char *arg = read_text(path), *jpath = sibling(path, ".json"), *want = read_text(jpath);

	arg[strcspn(arg, "\n")] = 0;
	assert_qemu(arg, want);
	free(arg);
	free(jpath);
	free(want);
}

static void check_libvirt_example(const char *path)
{
	char *xml = read_text(path), *jpath = sibling(path, ".json"), *want = read_text(jpath);

	assert_libvirt(xml, want);
	free(xml);
	free(jpath);
	free(want);
}

static void test_examples_valid(void **state)
{
	assert_true(for_each_example("*.json", check_valid_example) >= 10);
}

static void test_examples_invalid(void **state)
{
	assert_true(for_each_example("invalid-*.json", check_invalid_example) >= 15);
}

static void test_examples_qemu(void **state)
{
	assert_true(for_each_example("*.qemu", check_qemu_example) >= 3);
}

static void test_examples_libvirt(void **state)
{
	assert_true(for_each_example("*.xml", check_libvirt_example) >= 2);
}

/* ---- the document ------------------------------------------------------------------------- */

static void test_minimal(void **state)
{
	struct iommucap_requirement *r = parse_ok("{\"schema_version\": 1}");

	assert_null(r->unit);
	assert_null(r->device);
	assert_false(r->has_pasid_table);
	for (int m = 0; m < _IOMMUCAP_MIN_MAX; m++)
		assert_false(r->min[m].set);
	for (int f = 0; f < _IOMMUCAP_FEAT_MAX; f++)
		assert_int_equal(r->features[f], IOMMUCAP_WANT_ANY);
	assert_false(r->has_pgtable_formats);
	assert_false(r->has_page_sizes);
	assert_int_equal(r->sva, IOMMUCAP_WANT_ANY);
	assert_int_equal(r->vmm.kind, IOMMUCAP_VMM_NONE);
	iommucap_requirement_free(r);
}

static void test_full_model(void **state)
{
	struct iommucap_requirement *r = parse_ok(
		"{\"schema_version\": 1, \"device\": \"0000:3b:00.0\","
		" \"pasid_table\": {\"version\": 1, \"bytes\": 32, \"model\": \"arm-1lvl\","
		"  \"base_ptr\": \"0xffffffffffffffff\", \"pasid_bits\": 16},"
		" \"min\": {\"ssid_bits\": 20, \"input_bits\": 48, \"output_bits\": 52,"
		"  \"asid_bits\": 16},"
		" \"features\": {\"nesting\": true, \"pri\": false, \"stall\": \"force\","
		"  \"httu\": \"access\"},"
		" \"pgtable_formats\": [\"lpae-64\", \"v7s\"], \"page_sizes\": [65536],"
		" \"sva\": false, \"lam\": true, \"iommufd\": true}");

	assert_string_equal(r->device, "0000:3b:00.0");
	assert_true(r->has_pasid_table);
	assert_int_equal(r->pasid_table.version.value, 1);
	assert_int_equal(r->pasid_table.bytes.value, 32);
	assert_string_equal(r->pasid_table.model, "arm-1lvl");
	assert_true(r->pasid_table.has_base_ptr);
	assert_int_equal(r->pasid_table.base_ptr, UINT64_MAX);
	assert_int_equal(r->pasid_table.pasid_bits.value, 16);
	assert_int_equal(r->min[IOMMUCAP_MIN_SSID_BITS].value, 20);
	assert_int_equal(r->min[IOMMUCAP_MIN_OUTPUT_BITS].value, 52);
	assert_int_equal(r->features[IOMMUCAP_FEAT_NESTING], IOMMUCAP_WANT_TRUE);
	assert_int_equal(r->features[IOMMUCAP_FEAT_PRI], IOMMUCAP_WANT_FALSE);
	assert_int_equal(r->features[IOMMUCAP_FEAT_ATS], IOMMUCAP_WANT_ANY);
	assert_true(r->has_stall);
	assert_int_equal(r->stall, IOMMUCAP_STALL_FORCE);
	assert_true(r->has_httu);
	assert_int_equal(r->httu, IOMMUCAP_HTTU_ACCESS);
	assert_int_equal(r->n_pgtable_formats, 2);
	assert_string_equal(r->pgtable_formats[1], "v7s");
	assert_int_equal(r->n_page_sizes, 1);
	assert_int_equal(r->page_sizes[0], 65536);
	assert_int_equal(r->sva, IOMMUCAP_WANT_FALSE);
	assert_int_equal(r->lam, IOMMUCAP_WANT_TRUE);
	assert_int_equal(r->iommufd, IOMMUCAP_WANT_TRUE);
	iommucap_requirement_free(r);
}

/* Printed in the schema's order, whatever the order read. */
static void test_print_order_is_stable(void **state)
{
	struct iommucap_requirement *r =
		parse_ok("{\"iommufd\": false, \"lam\": true, \"features\": {\"httu\": \"access\", "
			 "\"ats\": true},"
			 " \"min\": {\"asid_bits\": 8, \"ssid_bits\": 4}, \"unit\": \"dmar1\","
			 " \"schema_version\": 1}");
	json_t *j = NULL;
	char *s;

	assert_int_equal(iommucap_requirement_to_json(r, &j), 0);
	s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(s, "{\"schema_version\":1,\"unit\":\"dmar1\",\"min\":{\"ssid_bits\":4,"
			       "\"asid_bits\":8},\"features\":{\"ats\":true,\"httu\":\"access\"},"
			       "\"lam\":true,\"iommufd\":false}");
	free(s);
	json_decref(j);
	iommucap_requirement_free(r);
}

static void test_empty_sections(void **state)
{
	/* An empty pasid_table still says a table will be bound; empty min and features say
	 * nothing; empty lists are kept. */
	assert_json_ok("{\"schema_version\": 1, \"pasid_table\": {}, \"min\": {}, \"features\": {},"
		       " \"pgtable_formats\": [], \"page_sizes\": []}",
		       "{\"schema_version\": 1, \"pasid_table\": {}, \"pgtable_formats\": [],"
		       " \"page_sizes\": []}");
}

static void test_integral_reals(void **state)
{
	/* JSON Schema counts 48.0 as an integer: so does the parser. */
	assert_json_ok(
		"{\"schema_version\": 1.0, \"min\": {\"input_bits\": 48.0},"
		" \"page_sizes\": [4096.0]}",
		"{\"schema_version\": 1, \"min\": {\"input_bits\": 48}, \"page_sizes\": [4096]}");
	assert_json_fails("{\"schema_version\": 1, \"min\": {\"input_bits\": 1e300}}",
			  "min/input_bits: expected an integer from 0 to 64");
	assert_json_fails("{\"schema_version\": 1.5}", "schema_version: expected an integer");
	assert_json_fails("{\"schema_version\": \"1\"}", "schema_version: expected an integer");
	assert_json_fails("{\"schema_version\": true}", "schema_version: expected an integer");
}

static void test_version_checked_first(void **state)
{
	/* A foreign version is refused before its keys are judged. */
	assert_json_fails("{\"schema_version\": 0, \"whatever\": 1}",
			  "schema_version: version 0 is not supported (this is 1)");
	assert_json_fails("{\"schema_version\": null}", "schema_version: expected an integer");
}

static void test_device_address_canonical(void **state)
{
	assert_json_ok("{\"schema_version\": 1, \"device\": \"0000:3B:1F.7\"}",
		       "{\"schema_version\": 1, \"device\": \"0000:3b:1f.7\"}");
	/* VMD and other large domains print with five digits; leading zeros beyond four go. */
	assert_json_ok("{\"schema_version\": 1, \"device\": \"10000:e1:00.0\"}", NULL);
	assert_json_ok("{\"schema_version\": 1, \"device\": \"00000000:00:02.0\"}",
		       "{\"schema_version\": 1, \"device\": \"0000:00:02.0\"}");
	static const char *const bad[] = { "0000:3b:20.0",	"0000:3b:00.8", "000:3b:00.0",
					   "000000000:3b:00.0", "0000:3b:00",	"0000:3b:00.0 ",
					   "0000-3b-00.0",	"0000:3g:00.0", "",
					   "0000:3b:0.0" };
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		char *doc = NULL;

		assert_true(asprintf(&doc, "{\"schema_version\": 1, \"device\": \"%s\"}", bad[i]) >
			    0);
		assert_json_fails(doc, "device: expected a PCI address like 0000:3b:00.0");
		free(doc);
	}
	assert_json_fails("{\"schema_version\": 1, \"device\": 59}",
			  "device: expected a PCI address like 0000:3b:00.0");
}

static void test_unit_names(void **state)
{
	assert_json_ok("{\"schema_version\": 1, \"unit\": \"smmu3.0x0000000009050000\"}", NULL);
	assert_json_ok("{\"schema_version\": 1, \"unit\": \"0000:00:03.0\"}", NULL);
	static const char *const bad[] = { "",	     ".",      "..",	   "dmar0/",
					   "dmar 0", "-dmar0", "dmar0\\n", "dm\\u00e4r0" };
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		char *doc = NULL;

		assert_true(asprintf(&doc, "{\"schema_version\": 1, \"unit\": \"%s\"}", bad[i]) >
			    0);
		assert_json_fails(doc, "unit: expected an IOMMU unit name (like dmar0)");
		free(doc);
	}
}

static void test_base_ptr(void **state)
{
	assert_json_ok(
		"{\"schema_version\": 1, \"pasid_table\": {\"base_ptr\": \"0x00ABCdef000\"}}",
		"{\"schema_version\": 1, \"pasid_table\": {\"base_ptr\": \"0xabcdef000\"}}");
	assert_json_ok("{\"schema_version\": 1, \"pasid_table\": {\"base_ptr\": \"0x0\"}}", NULL);
	static const char *const bad[] = { "0x",      "0X1000",	 "1000", "0x10000000000000000",
					   "0x1000 ", " 0x1000", "0x-1", "0x1g" };
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		char *doc = NULL;

		assert_true(
			asprintf(&doc,
				 "{\"schema_version\": 1, \"pasid_table\": {\"base_ptr\": \"%s\"}}",
				 bad[i]) > 0);
		assert_json_fails(doc,
				  "pasid_table/base_ptr: expected a \"0x...\" hexadecimal string");
		free(doc);
	}
}

static void test_pasid_table_ranges(void **state)
{
	/* Versions and sizes other than v1's are the check's to judge (pasid_table.version,
	 * pasid_table.bytes); only nonsense is refused here. */
	assert_json_ok("{\"schema_version\": 1, \"pasid_table\": {\"version\": 2, \"bytes\": 40}}",
		       NULL);
	assert_json_fails("{\"schema_version\": 1, \"pasid_table\": {\"version\": 0}}",
			  "pasid_table/version: expected an integer from 1 to 65535");
	assert_json_fails("{\"schema_version\": 1, \"pasid_table\": {\"bytes\": 0}}",
			  "pasid_table/bytes: expected an integer from 1 to 4096");
	assert_json_fails("{\"schema_version\": 1, \"pasid_table\": {\"pasid_bits\": -1}}",
			  "pasid_table/pasid_bits: expected an integer from 0 to 20");
	assert_json_fails(
		"{\"schema_version\": 1, \"pasid_table\": {\"model\": null}}",
		"pasid_table/model: expected one of host, arm-1lvl, arm-2lvl, amd, intel");
	assert_json_fails("{\"schema_version\": 1, \"pasid_table\": []}",
			  "pasid_table: expected an object");
	assert_json_fails("{\"schema_version\": 1, \"pasid_table\": {\"ptr\": \"0x0\"}}",
			  "pasid_table/ptr: unknown key");
}

static void test_min_ranges(void **state)
{
	assert_json_ok("{\"schema_version\": 1, \"min\": {\"ssid_bits\": 0, \"input_bits\": 64,"
		       " \"output_bits\": 0, \"asid_bits\": 64}}",
		       NULL);
	assert_json_fails("{\"schema_version\": 1, \"min\": {\"ssid_bits\": 21}}",
			  "min/ssid_bits: expected an integer from 0 to 20");
	assert_json_fails("{\"schema_version\": 1, \"min\": {\"asid_bits\": -1}}",
			  "min/asid_bits: expected an integer from 0 to 64");
	assert_json_fails("{\"schema_version\": 1, \"min\": {\"asid_bits\": \"16\"}}",
			  "min/asid_bits: expected an integer from 0 to 64");
	assert_json_fails("{\"schema_version\": 1, \"min\": 20}", "min: expected an object");
}

static void test_features(void **state)
{
	assert_json_ok("{\"schema_version\": 1, \"features\": {\"nesting\": false, \"pri\": true,"
		       " \"ats\": true, \"dirty_tracking\": false, \"caching_mode\": true,"
		       " \"btm\": false, \"scalable_mode\": true, \"stall\": \"disabled\","
		       " \"httu\": \"access+dirty\"}}",
		       NULL);
	assert_json_fails("{\"schema_version\": 1, \"features\": {\"dirty\": true}}",
			  "features/dirty: unknown key");
	assert_json_fails("{\"schema_version\": 1, \"features\": {\"pri\": null}}",
			  "features/pri: expected true or false");
	assert_json_fails("{\"schema_version\": 1, \"features\": {\"httu\": \"none\"}}",
			  "features/httu: expected one of access, access+dirty");
	assert_json_fails("{\"schema_version\": 1, \"lam\": \"yes\"}",
			  "lam: expected true or false");
}

static void test_lists(void **state)
{
	assert_json_ok("{\"schema_version\": 1, \"page_sizes\": [4503599627370496, 4096]}", NULL);
	assert_json_fails("{\"schema_version\": 1, \"page_sizes\": [9007199254740992]}",
			  "page_sizes/0: expected a power of two from 4096 to 2^52");
	assert_json_fails("{\"schema_version\": 1, \"page_sizes\": [2048]}",
			  "page_sizes/0: expected a power of two from 4096 to 2^52");
	assert_json_fails("{\"schema_version\": 1, \"page_sizes\": 4096}",
			  "page_sizes: expected an array of page sizes");
	assert_json_fails("{\"schema_version\": 1, \"pgtable_formats\": [\"lpae-64\", 1]}",
			  "pgtable_formats/1: expected a format name (letters, digits, . _ + -)");
	assert_json_fails("{\"schema_version\": 1, \"pgtable_formats\": [\"v7s\", \"v7s\"]}",
			  "pgtable_formats/1: v7s is listed twice");

	/* At most 64 entries. */
	char doc[4096] = "{\"schema_version\": 1, \"pgtable_formats\": [";
	for (int i = 0; i < 65; i++)
		snprintf(doc + strlen(doc), sizeof(doc) - strlen(doc), "%s\"f%d\"", i ? "," : "",
			 i);
	strcat(doc, "]}");
	assert_json_fails(doc, "pgtable_formats: expected an array of at most 64 page-table "
			       "format names");
}

static void test_qemu_member(void **state)
{
	struct iommucap_requirement *r =
		parse_ok("{\"schema_version\": 1, \"qemu\": {\"device\": \"arm-smmuv3\","
			 " \"accel\": true, \"ssidsize\": 20, \"oas\": 48, \"sidsize\": 16,"
			 " \"ril\": false, \"ats\": true, \"granule\": \"64k\"}}");

	assert_int_equal(r->vmm.kind, IOMMUCAP_VMM_QEMU_ARM_SMMUV3);
	assert_int_equal(r->vmm.accel, IOMMUCAP_WANT_TRUE);
	assert_int_equal(r->vmm.ssidsize.value, 20);
	assert_int_equal(r->vmm.oas.value, 48);
	assert_int_equal(r->vmm.sidsize.value, 16);
	assert_int_equal(r->vmm.ril, IOMMUCAP_WANT_FALSE);
	assert_string_equal(r->vmm.granule, "64k");
	iommucap_requirement_free(r);

	assert_json_ok("{\"schema_version\": 1, \"qemu\": {\"device\": \"intel-iommu\","
		       " \"aw_bits\": 48, \"flts\": true, \"fs1gp\": false, \"pasid\": 20}}",
		       NULL);
	assert_json_ok("{\"schema_version\": 1, \"qemu\": {\"device\": \"virtio-iommu-pci\","
		       " \"aw_bits\": 39, \"granule\": \"host\"}}",
		       NULL);
	assert_json_ok("{\"schema_version\": 1, \"qemu\": {\"device\": \"amd-iommu\"}}", NULL);
	assert_json_fails("{\"schema_version\": 1, \"qemu\": {\"device\": \"amd-iommu\","
			  " \"aw_bits\": 48}}",
			  "qemu/aw_bits: unknown key for amd-iommu");
	assert_json_fails("{\"schema_version\": 1, \"qemu\": {\"aw_bits\": 48}}",
			  "qemu/device: missing");
	/* Where the VM places the device (the guest's PCI topology): intel-iommu's fsts only. */
	assert_json_ok("{\"schema_version\": 1, \"qemu\": {\"device\": \"intel-iommu\","
		       " \"flts\": true, \"pci_bridge\": true}}",
		       NULL);
	assert_json_fails("{\"schema_version\": 1, \"qemu\": {\"device\": \"intel-iommu\","
			  " \"pci_bridge\": 1}}",
			  "qemu/pci_bridge: expected true or false");
	assert_json_fails("{\"schema_version\": 1, \"qemu\": {\"device\": \"arm-smmuv3\","
			  " \"pci_bridge\": true}}",
			  "qemu/pci_bridge: unknown key for arm-smmuv3");
	assert_json_fails("{\"schema_version\": 1, \"qemu\": {\"device\": \"virtio-iommu-pci\","
			  " \"granule\": \"2k\"}}",
			  "qemu/granule: expected one of 4k, 8k, 16k, 64k, host");
	assert_json_fails("{\"schema_version\": 1, \"qemu\": {\"device\": \"arm-smmuv3\","
			  " \"sidsize\": 33}}",
			  "qemu/sidsize: expected an integer from 0 to 32");
	assert_json_fails("{\"schema_version\": 1, \"qemu\": \"intel-iommu\"}",
			  "qemu: expected an object");
}

static void test_round_trip_is_stable(void **state)
{
	static const char *const docs[] = {
		"{\"schema_version\": 1, \"device\": \"0000:AB:00.1\", \"pasid_table\": "
		"{\"base_ptr\": \"0x0001000\"}, \"page_sizes\": [8192.0]}",
		"{\"qemu\": {\"granule\": \"16k\", \"device\": \"arm-smmuv3\"}, "
		"\"schema_version\": 1}",
	};

	for (size_t i = 0; i < ELEMENTSOF(docs); i++) {
		struct iommucap_requirement *r = parse_ok(docs[i]), *r2 = POISON;
		json_t *once = NULL, *twice = NULL;
		char *err = NULL;

		assert_int_equal(iommucap_requirement_to_json(r, &once), 0);
		assert_int_equal(iommucap_requirement_from_json(once, &r2, &err), 0);
		assert_int_equal(iommucap_requirement_to_json(r2, &twice), 0);
		assert_true(json_equal(once, twice));
		json_decref(once);
		json_decref(twice);
		iommucap_requirement_free(r);
		iommucap_requirement_free(r2);
	}
}

static void test_names(void **state)
{
	assert_string_equal(iommucap_req_min_name(IOMMUCAP_MIN_SSID_BITS), "ssid_bits");
	assert_string_equal(iommucap_req_min_name(IOMMUCAP_MIN_ASID_BITS), "asid_bits");
	assert_null(iommucap_req_min_name(_IOMMUCAP_MIN_MAX));
	assert_null(iommucap_req_min_name((enum iommucap_req_min) - 1));
	assert_string_equal(iommucap_req_feature_name(IOMMUCAP_FEAT_DIRTY_TRACKING),
			    "dirty_tracking");
	assert_string_equal(iommucap_req_feature_name(IOMMUCAP_FEAT_SCALABLE_MODE),
			    "scalable_mode");
	assert_null(iommucap_req_feature_name(_IOMMUCAP_FEAT_MAX));
	assert_null(iommucap_requirement_free(NULL));
}

/* ---- QEMU -------------------------------------------------------------------------------- */

static void test_qemu_intel_guest_only_knobs(void **state)
{
	/* intremap, eim, snoop-control ... shape the guest's view: no host need. caching-mode
	 * is spelt out either way: vtd_dev_set_iommu_device() refuses an assigned device without
	 * it; aw-bits takes QEMU 11.1's default, 48, which vtd_check_hiod() compares with the
	 * host's. */
	assert_qemu("intel-iommu,intremap=on,caching-mode=on,eim=on,snoop-control=on,"
		    "stale-tm=off,version=3,dma-translation=on,id=iommu0,bus=pcie.0",
		    "{\"schema_version\": 1, \"min\": {\"input_bits\": 48},"
		    " \"qemu\": {\"device\": \"intel-iommu\", \"aw_bits\": 48,"
		    " \"caching_mode\": true}}");
	assert_qemu("intel-iommu,caching-mode=off",
		    "{\"schema_version\": 1, \"min\": {\"input_bits\": 48},"
		    " \"qemu\": {\"device\": \"intel-iommu\", \"aw_bits\": 48,"
		    " \"caching_mode\": false}}");
	assert_qemu_fails("intel-iommu,caching-mode=maybe",
			  "intel-iommu: Parameter 'caching-mode' expects 'on' or 'off'");
}

static void test_qemu_intel_aw_bits(void **state)
{
	assert_qemu("intel-iommu,aw-bits=39",
		    "{\"schema_version\": 1, \"min\": {\"input_bits\": 39},"
		    " \"qemu\": {\"device\": \"intel-iommu\", \"aw_bits\": 39,"
		    " \"caching_mode\": false}}");
	/* QEMU reads numbers with base 0. */
	assert_qemu("intel-iommu,aw-bits=0x30",
		    "{\"schema_version\": 1, \"min\": {\"input_bits\": 48},"
		    " \"qemu\": {\"device\": \"intel-iommu\", \"aw_bits\": 48,"
		    " \"caching_mode\": false}}");
	assert_qemu("intel-iommu,aw-bits=060",
		    "{\"schema_version\": 1, \"min\": {\"input_bits\": 48},"
		    " \"qemu\": {\"device\": \"intel-iommu\", \"aw_bits\": 48,"
		    " \"caching_mode\": false}}");
	/* QEMU 11.1's words (its string input visitor; aw-bits is a uint8). */
	assert_qemu_fails("intel-iommu,aw-bits=256",
			  "intel-iommu: Parameter 'aw-bits' expects uint8_t");
	assert_qemu_fails("intel-iommu,aw-bits=-1",
			  "intel-iommu: Parameter 'aw-bits' expects uint8_t");
	assert_qemu_fails("intel-iommu,aw-bits=48bits",
			  "intel-iommu: Parameter 'aw-bits' expects integer");
	assert_qemu_fails("intel-iommu,aw-bits",
			  "intel-iommu: Parameter 'aw-bits' expects integer");
}

static void test_qemu_intel_flts(void **state)
{
	const char *want = "{\"schema_version\": 1, \"min\": {\"input_bits\": 48},"
			   " \"features\": {\"nesting\": true, \"scalable_mode\": true},"
			   " \"qemu\": {\"device\": \"intel-iommu\", \"aw_bits\": 48,"
			   " \"flts\": true, \"fs1gp\": true, \"caching_mode\": false,"
			   " \"scalable_mode\": true}}";

	/* QEMU 11.1's names; fs1gp takes QEMU's default, on. */
	assert_qemu("intel-iommu,scalable-mode=on,fsts=on", want);
	assert_qemu("intel-iommu,scalable-mode,fsts", want);
	assert_qemu("intel-iommu,scalable-mode=on,fsts=on,fs1gp=off",
		    "{\"schema_version\": 1, \"min\": {\"input_bits\": 48},"
		    " \"features\": {\"nesting\": true, \"scalable_mode\": true},"
		    " \"qemu\": {\"device\": \"intel-iommu\", \"aw_bits\": 48,"
		    " \"flts\": true, \"fs1gp\": false, \"caching_mode\": false,"
		    " \"scalable_mode\": true}}");
	/* The last value given wins, as in QEMU. */
	assert_qemu("intel-iommu,fsts=on,fsts=off",
		    "{\"schema_version\": 1, \"min\": {\"input_bits\": 48},"
		    " \"qemu\": {\"device\": \"intel-iommu\", \"aw_bits\": 48,"
		    " \"flts\": false, \"caching_mode\": false}}");
	/* Without fsts QEMU emulates scalable mode unasked: a QEMU fact, not a host need. */
	assert_qemu("intel-iommu,scalable-mode=yes",
		    "{\"schema_version\": 1, \"min\": {\"input_bits\": 48},"
		    " \"qemu\": {\"device\": \"intel-iommu\", \"aw_bits\": 48,"
		    " \"caching_mode\": false, \"scalable_mode\": true}}");
	assert_qemu_fails("intel-iommu,fsts=1",
			  "intel-iommu: Parameter 'fsts' expects 'on' or 'off'");
	/* QEMU 10.x's names are unknown to QEMU 11.1. */
	assert_qemu_fails("intel-iommu,x-scalable-mode=on",
			  "intel-iommu: Property 'intel-iommu.x-scalable-mode' not found");
	assert_qemu_fails("intel-iommu,scalable-mode=on,x-flts=on",
			  "intel-iommu: Property 'intel-iommu.x-flts' not found");
	assert_qemu_fails("intel-iommu,x-pasid-mode=on",
			  "intel-iommu: Property 'intel-iommu.x-pasid-mode' not found");
	assert_qemu_fails("intel-iommu,pasid=20",
			  "intel-iommu: Property 'intel-iommu.pasid' not found");
	assert_qemu_fails("intel-iommu,dma-drain=on",
			  "intel-iommu: Property 'intel-iommu.dma-drain' not found");
}

/* What QEMU itself refuses, with QEMU 11.1's words: vtd_decide_config() in hw/i386/intel_iommu.c.
 */
static void test_qemu_intel_refused(void **state)
{
	assert_qemu_fails("intel-iommu,fsts=on",
			  "intel-iommu: fsts is only available in scalable mode");
	assert_qemu_fails("intel-iommu,aw-bits=52",
			  "intel-iommu: Legacy mode: supported values for aw-bits are: 39, 48");
	assert_qemu_fails("intel-iommu,scalable-mode=on,aw-bits=57",
			  "intel-iommu: Scalable mode(fsts=off): supported values for aw-bits are: "
			  "39, 48");
	assert_qemu_fails(
		"intel-iommu,scalable-mode=on,fsts=on,aw-bits=39",
		"intel-iommu: Scalable mode(fsts=on): supported value for aw-bits is: 48");
	assert_qemu_fails("intel-iommu,eim=on,intremap=off",
			  "intel-iommu: eim=on cannot be selected without intremap=on");
	assert_qemu_fails(
		"intel-iommu,scalable-mode=on,pasid-bits=21",
		"intel-iommu: PASID width 21 exceeds Max PASID Width 20 allowed in PCI spec");
	assert_qemu_fails("intel-iommu,pasid-bits=20",
			  "intel-iommu: Need to set scalable mode for PASID");
	assert_qemu_fails("intel-iommu,svm=on,scalable-mode=on,fsts=on,pasid-bits=20",
			  "intel-iommu: Need to set device IOTLB for svm");
	assert_qemu_fails("intel-iommu,svm=on,device-iotlb=on,scalable-mode=on,pasid-bits=20",
			  "intel-iommu: Need to set fsts for svm");
	assert_qemu_fails("intel-iommu,svm=on,device-iotlb=on,scalable-mode=on,fsts=on,"
			  "pasid-bits=20,dma-translation=off",
			  "intel-iommu: Need to set dma-translation for svm");
	assert_qemu_fails("intel-iommu,svm=on,device-iotlb=on,scalable-mode=on,fsts=on",
			  "intel-iommu: Need to set PASID support for svm");
	/* The defaults pass: aw-bits 48 (QEMU 9.2 on), with or without first stage. */
	assert_qemu("intel-iommu,aw-bits=39",
		    "{\"schema_version\": 1, \"min\": {\"input_bits\": 39},"
		    " \"qemu\": {\"device\": \"intel-iommu\", \"aw_bits\": 39,"
		    " \"caching_mode\": false}}");
}

static void test_qemu_intel_pasid(void **state)
{
	assert_qemu("intel-iommu,scalable-mode=on,pasid-bits=20",
		    "{\"schema_version\": 1, \"min\": {\"input_bits\": 48},"
		    " \"qemu\": {\"device\": \"intel-iommu\", \"aw_bits\": 48, \"pasid\": 20,"
		    " \"caching_mode\": false, \"scalable_mode\": true}}");
	assert_qemu("intel-iommu,scalable-mode=on,pasid-bits=16",
		    "{\"schema_version\": 1, \"min\": {\"input_bits\": 48},"
		    " \"qemu\": {\"device\": \"intel-iommu\", \"aw_bits\": 48, \"pasid\": 16,"
		    " \"caching_mode\": false, \"scalable_mode\": true}}");
	assert_qemu("intel-iommu,pasid-bits=0",
		    "{\"schema_version\": 1, \"min\": {\"input_bits\": 48},"
		    " \"qemu\": {\"device\": \"intel-iommu\", \"aw_bits\": 48, \"pasid\": 0,"
		    " \"caching_mode\": false}}");
	assert_qemu_fails("intel-iommu,pasid-bits=256",
			  "intel-iommu: Parameter 'pasid-bits' expects uint8_t");
}

static void test_qemu_intel_iotlb_svm(void **state)
{
	/* QEMU does not check the host's ATS for device-iotlb: a QEMU fact (a warning). */
	assert_qemu("intel-iommu,device-iotlb=on",
		    "{\"schema_version\": 1, \"min\": {\"input_bits\": 48},"
		    " \"qemu\": {\"device\": \"intel-iommu\", \"aw_bits\": 48,"
		    " \"caching_mode\": false, \"device_iotlb\": true}}");
	/* Guest SVA: page requests come from the host through the IOMMUFD fault queue. */
	assert_qemu("intel-iommu,svm=on,device-iotlb=on,scalable-mode=on,fsts=on,pasid-bits=20",
		    "{\"schema_version\": 1, \"min\": {\"input_bits\": 48},"
		    " \"features\": {\"nesting\": true, \"scalable_mode\": true},"
		    " \"qemu\": {\"device\": \"intel-iommu\","
		    " \"aw_bits\": 48, \"flts\": true, \"fs1gp\": true, \"pasid\": 20,"
		    " \"caching_mode\": false, \"scalable_mode\": true, \"device_iotlb\": true,"
		    " \"svm\": true}}");
}

static void test_qemu_smmuv3_accel(void **state)
{
	/* oas takes QEMU's default, 44, which the host's IDR5.OAS must reach. */
	assert_qemu("arm-smmuv3,accel=on",
		    "{\"schema_version\": 1, \"min\": {\"output_bits\": 44},"
		    " \"features\": {\"nesting\": true},"
		    " \"qemu\": {\"device\": \"arm-smmuv3\", \"accel\": true, \"oas\": 44}}");
	/* "auto" takes the host's value: no minimum. */
	assert_qemu("arm-smmuv3,accel=on,ssidsize=auto,ats=auto,ril=auto,oas=auto",
		    "{\"schema_version\": 1, \"features\": {\"nesting\": true},"
		    " \"qemu\": {\"device\": \"arm-smmuv3\", \"accel\": true}}");
	assert_qemu("arm-smmuv3,accel=on,ats=off,ssidsize=0,stage=1,msi-gpa=0x8090000,bus_num=1",
		    "{\"schema_version\": 1, \"min\": {\"output_bits\": 44},"
		    " \"features\": {\"nesting\": true}, \"qemu\": {\"device\": \"arm-smmuv3\","
		    " \"accel\": true, \"ssidsize\": 0, \"oas\": 44, \"ats\": false}}");
	assert_qemu_fails("arm-smmuv3,accel=on,ssidsize=21",
			  "arm-smmuv3: Parameter 'ssidsize' does not accept value '21'");
	assert_qemu_fails("arm-smmuv3,accel=on,ats=maybe",
			  "arm-smmuv3: Parameter 'ats' does not accept value 'maybe'");
}

static void test_qemu_smmuv3_needs_accel(void **state)
{
	/* Without accel the vSMMU is emulated: the host is not asked, and QEMU refuses these. */
	assert_qemu("arm-smmuv3,primary-bus=pcie.0,ats=off,ril=on,oas=44,ssidsize=0",
		    "{\"schema_version\": 1, \"qemu\": {\"device\": \"arm-smmuv3\","
		    " \"ssidsize\": 0, \"oas\": 44, \"ril\": true, \"ats\": false}}");
	/* smmu_validate_property() in hw/arm/smmuv3.c, QEMU 11.1's words; auto is allowed. */
	assert_qemu_fails("arm-smmuv3,ats=on", "arm-smmuv3: ats can only be enabled if accel=on");
	assert_qemu_fails("arm-smmuv3,accel=off,ril=off",
			  "arm-smmuv3: ril can only be disabled if accel=on");
	assert_qemu_fails("arm-smmuv3,ssidsize=5",
			  "arm-smmuv3: ssidsize can only be greater than 0 bits if accel=on");
	assert_qemu_fails("arm-smmuv3,cmdqv=on",
			  "arm-smmuv3: cmdqv can only be enabled if accel=on");
	assert_qemu_fails("arm-smmuv3,oas=48", "arm-smmuv3: oas must be 44 bits when accel=off");
	assert_qemu_fails(
		"arm-smmuv3,oas=40",
		"arm-smmuv3: QEMU SMMUv3 model only implements auto, 44 bit, or 48 bit OAS. "
		"Other OasMode values are not supported.");
	assert_qemu("arm-smmuv3,ssidsize=auto,ril=auto,ats=auto,oas=auto",
		    "{\"schema_version\": 1, \"qemu\": {\"device\": \"arm-smmuv3\"}}");
	/* accel given after them counts. */
	assert_qemu("arm-smmuv3,ats=on,accel=on",
		    "{\"schema_version\": 1, \"min\": {\"output_bits\": 44},"
		    " \"features\": {\"nesting\": true, \"ats\": true},"
		    " \"qemu\": {\"device\": \"arm-smmuv3\", \"accel\": true, \"oas\": 44,"
		    " \"ats\": true}}");
}

static void test_qemu_virtio(void **state)
{
	assert_qemu("virtio-iommu,granule=4k,boot-bypass=off,disable-legacy=on,iommu_platform=on",
		    "{\"schema_version\": 1,"
		    " \"qemu\": {\"device\": \"virtio-iommu-pci\", \"granule\": \"4k\"}}");
	assert_qemu("virtio-iommu-pci,aw-bits=32",
		    "{\"schema_version\": 1,"
		    " \"qemu\": {\"device\": \"virtio-iommu-pci\", \"aw_bits\": 32}}");
	assert_qemu_fails("virtio-iommu-pci,aw-bits=0",
			  "virtio-iommu-pci: aw-bits must be within [32,64]");
	assert_qemu_fails("virtio-iommu-pci,granule=2M",
			  "virtio-iommu-pci: Parameter 'granule' does not accept value '2M'");
	assert_qemu_fails("virtio-iommu-pci,fsts=on",
			  "virtio-iommu-pci: Property 'virtio-iommu-pci.fsts' not found");
}

static void test_qemu_amd(void **state)
{
	assert_qemu("amd-iommu,intremap=on,xtsup=on,device-iotlb=on,dma-remap=on,pci-id=iommu",
		    "{\"schema_version\": 1,"
		    " \"qemu\": {\"device\": \"amd-iommu\", \"device_iotlb\": true}}");
	assert_qemu_fails("amd-iommu,aw-bits=48",
			  "amd-iommu: Property 'amd-iommu.aw-bits' not found");
	assert_qemu_fails("amd-iommu,addr=3", "amd-iommu: Property 'amd-iommu.addr' not found");
}

static void test_qemu_syntax(void **state)
{
	const char *plain = "{\"schema_version\": 1, \"min\": {\"input_bits\": 48},"
			    " \"qemu\": {\"device\": \"intel-iommu\", \"aw_bits\": 48,"
			    " \"caching_mode\": false}}";

	/* ",," is a comma in a value: here an id, not a property "b". */
	assert_qemu("intel-iommu,id=a,,b", plain);
	assert_qemu("intel-iommu,", plain);
	assert_qemu("driver=intel-iommu,id=x", plain);
	assert_qemu("id=x,driver=intel-iommu", plain);
	assert_qemu("  -device intel-iommu,id=x", plain);
	assert_qemu("--device=intel-iommu", plain);
	/* The JSON form. */
	assert_qemu("-device {\"driver\": \"intel-iommu\", \"aw-bits\": 48, \"fsts\": true,"
		    " \"scalable-mode\": \"on\", \"id\": \"i0\"}",
		    "{\"schema_version\": 1, \"min\": {\"input_bits\": 48},"
		    " \"features\": {\"nesting\": true, \"scalable_mode\": true},"
		    " \"qemu\": {\"device\": \"intel-iommu\", \"aw_bits\": 48, \"flts\": true,"
		    " \"fs1gp\": true, \"caching_mode\": false, \"scalable_mode\": true}}");
	assert_qemu_fails("{\"aw-bits\": 48}", "the JSON form needs a \"driver\" string");
	assert_qemu_fails("{\"driver\": \"intel-iommu\", \"aw-bits\": [48]}",
			  "intel-iommu: aw-bits: expected a string, a number or a boolean");
	/* jansson words the syntax error. */
	struct iommucap_requirement *r = POISON;
	char *err = NULL;

	assert_int_equal(iommucap_requirement_from_qemu("{\"driver\": \"intel-iommu\",", &r, &err),
			 -EINVAL);
	assert_ptr_equal(r, POISON);
	assert_true(startswith(err, "not JSON: "));
	free(err);
}

static void test_qemu_errors(void **state)
{
	assert_qemu_fails("intel-iommu,aw-bits=48,bogus=1",
			  "intel-iommu: Property 'intel-iommu.bogus' not found");
	assert_qemu_fails("intel-iommu,accel=on",
			  "intel-iommu: Property 'intel-iommu.accel' not found");
	assert_qemu_fails("smmuv3,accel=on",
			  "unknown device \"smmuv3\": known are intel-iommu, arm-smmuv3, "
			  "virtio-iommu-pci and amd-iommu");
	assert_qemu_fails("", "no device: the argument must start with intel-iommu, arm-smmuv3, "
			      "virtio-iommu-pci or amd-iommu");
	assert_qemu_fails("aw-bits=48", "no device: the argument must start with intel-iommu, "
					"arm-smmuv3, virtio-iommu-pci or amd-iommu");
	assert_qemu_fails("driver=intel-iommu,driver=intel",
			  "unknown device \"intel\": known are intel-iommu, arm-smmuv3, "
			  "virtio-iommu-pci and amd-iommu");
	/* Property names are exact, as QOM's. */
	assert_qemu_fails("intel-iommu,aw_bits=48",
			  "intel-iommu: Property 'intel-iommu.aw_bits' not found");
}

/* Every imported document is one the parser accepts. */
static void test_qemu_output_parses(void **state)
{
	static const char *const args[] = {
		"intel-iommu,aw-bits=48,scalable-mode=on,fsts=on,pasid-bits=20,svm=on,device-iotlb="
		"on",
		"arm-smmuv3,accel=on,ssidsize=20,oas=48,ats=on,ril=off",
		"virtio-iommu-pci,granule=host,aw-bits=39",
		"amd-iommu,device-iotlb=on",
	};

	for (size_t i = 0; i < ELEMENTSOF(args); i++) {
		struct iommucap_requirement *r = NULL, *r2 = NULL;
		json_t *j = NULL;
		char *err = NULL;

		assert_int_equal(iommucap_requirement_from_qemu(args[i], &r, &err), 0);
		assert_int_equal(iommucap_requirement_to_json(r, &j), 0);
		if (iommucap_requirement_from_json(j, &r2, &err) < 0)
			fail_msg("%s: %s", args[i], err);
		json_decref(j);
		iommucap_requirement_free(r);
		iommucap_requirement_free(r2);
	}
}

/* ---- libvirt ------------------------------------------------------------------------------ */

/*
 * The expectations below are libvirt 12.9.0's: the QEMU properties are the keys of
 * qemuBuildIOMMUCommandLine() (src/qemu/qemu_command.c), the attributes and their types
 * src/conf/schemas/domaincommon.rng's, the models docs/formatdomain.rst's, and the refusals
 * libvirt's own messages (lib/import-libvirt.c); what follows from the QEMU argument is the QEMU
 * importer's, judged by QEMU 11.1 in tests/qemu-judge.py.
 */
static void test_libvirt_device_xml(void **state)
{
	/* A bare <iommu>, as "virsh attach-device" takes it. */
	assert_libvirt("<iommu model='intel'><driver iotlb='on' aw_bits='39'/></iommu>",
		       "{\"schema_version\": 1, \"min\": {\"input_bits\": 39},"
		       " \"qemu\": {\"device\": \"intel-iommu\", \"aw_bits\": 39,"
		       " \"caching_mode\": false, \"device_iotlb\": true}}");
	assert_libvirt("<iommu model='intel'/>",
		       "{\"schema_version\": 1, \"min\": {\"input_bits\": 48},"
		       " \"qemu\": {\"device\": \"intel-iommu\", \"aw_bits\": 48,"
		       " \"caching_mode\": false}}");
	assert_libvirt("<iommu model='amd'><driver intremap='on' iotlb='on' xtsup='on'/></iommu>",
		       "{\"schema_version\": 1,"
		       " \"qemu\": {\"device\": \"amd-iommu\", \"device_iotlb\": true}}");
	/* aw_bits='0' is libvirt's "not set" ("p:aw-bits"): QEMU's default, not aw-bits=0. */
	assert_libvirt("<iommu model='intel'><driver aw_bits='0' caching_mode='off'/></iommu>",
		       "{\"schema_version\": 1, \"min\": {\"input_bits\": 48},"
		       " \"qemu\": {\"device\": \"intel-iommu\", \"aw_bits\": 48,"
		       " \"caching_mode\": false}}");
	assert_libvirt("<iommu model='intel'><driver dma_translation='off' intremap='on'"
		       " eim='on'/></iommu>",
		       "{\"schema_version\": 1, \"min\": {\"input_bits\": 48},"
		       " \"qemu\": {\"device\": \"intel-iommu\", \"aw_bits\": 48,"
		       " \"caching_mode\": false}}");
}

static void test_libvirt_amd_passthrough(void **state)
{
	/* libvirt passes passthrough as "pt", which QEMU 11.1's amd-iommu no longer has. */
	assert_libvirt_fails("<iommu model='amd'><driver passthrough='on'/></iommu>",
			     "iommu: amd-iommu: Property 'amd-iommu.pt' not found");
	assert_libvirt_fails("<iommu model='amd'><driver passthrough='off'/></iommu>",
			     "iommu: amd-iommu: Property 'amd-iommu.pt' not found");
	/* amd model only. */
	assert_libvirt_fails("<iommu model='intel'><driver passthrough='on'/></iommu>",
			     "iommu/driver/@passthrough: not an attribute of model intel");
	assert_libvirt_fails("<iommu model='intel'><driver xtsup='on'/></iommu>",
			     "iommu/driver/@xtsup: not an attribute of model intel");
	assert_libvirt_fails("<iommu model='amd'><driver caching_mode='on'/></iommu>",
			     "iommu/driver/@caching_mode: not an attribute of model amd");
	assert_libvirt_fails("<iommu model='amd'><driver aw_bits='48'/></iommu>",
			     "iommu/driver/@aw_bits: not an attribute of model amd");
}

static void test_libvirt_smmuv3(void **state)
{
	const char *want =
		"{\"schema_version\": 1, \"min\": {\"ssid_bits\": 16, \"output_bits\": 44},"
		" \"features\": {\"nesting\": true}, \"qemu\": {\"device\": "
		"\"arm-smmuv3\", \"accel\": true, \"ssidsize\": 16, \"oas\": 44}}";

	assert_libvirt("<iommu model='smmuv3'><driver accel='on' ssidsize='16'/></iommu>", want);
	assert_libvirt("<iommu model='smmuv3'><driver pciBus='1' accel='on' ssidsize='16'"
		       " cmdqv='off'/></iommu>",
		       want);
	/* libvirt's spelling is ssidsize. */
	assert_libvirt_fails("<iommu model='smmuv3'><driver accel='on' ssidSize='16'/></iommu>",
			     "iommu/driver/@ssidSize: not an attribute of model smmuv3");
	/* libvirt refuses these without accel='on', before QEMU would. */
	for (size_t i = 0; i < 5; i++) {
		static const char *const a[] = { "ats='on'", "ril='off'", "ssidsize='0'",
						 "oas='44'", "cmdqv='off'" };
		char xml[128];

		snprintf(xml, sizeof(xml), "<iommu model='smmuv3'><driver %s/></iommu>", a[i]);
		assert_libvirt_fails(xml, "accel must be enabled for iommu model 'smmuv3' when "
					  "setting ats, ril, ssidsize, oas, or cmdqv");
		snprintf(xml, sizeof(xml), "<iommu model='smmuv3'><driver accel='off' %s/></iommu>",
			 a[i]);
		assert_libvirt_fails(xml, "accel must be enabled for iommu model 'smmuv3' when "
					  "setting ats, ril, ssidsize, oas, or cmdqv");
	}
	/* ints in libvirt's schema, judged by QEMU 11.1 (SsidSizeMode, smmu_validate_property()).
	 */
	assert_libvirt_fails("<iommu model='smmuv3'><driver accel='on' ssidsize='21'/></iommu>",
			     "iommu: arm-smmuv3: Parameter 'ssidsize' does not accept value '21'");
	assert_libvirt_fails(
		"<iommu model='smmuv3'><driver accel='on' oas='40'/></iommu>",
		"iommu: arm-smmuv3: QEMU SMMUv3 model only implements auto, 44 bit, or "
		"48 bit OAS. Other OasMode values are not supported.");
	assert_libvirt_fails("<iommu model='smmuv3'><driver pciBus='-1'/></iommu>",
			     "iommu/driver/@pciBus: expected an unsigned number, not \"-1\"");
}

static void test_libvirt_virtio(void **state)
{
	assert_libvirt("<iommu model='virtio'><driver aw_bits='48'><granule size='64'"
		       " unit='KiB'/></driver></iommu>",
		       "{\"schema_version\": 1,"
		       " \"qemu\": {\"device\": \"virtio-iommu-pci\", \"aw_bits\": 48,"
		       " \"granule\": \"64k\"}}");
	assert_libvirt("<iommu model='virtio'><driver><granule mode='host'/></driver></iommu>",
		       "{\"schema_version\": 1, \"qemu\": {\"device\": \"virtio-iommu-pci\","
		       " \"granule\": \"host\"}}");
	/* libvirt's units (virScaleInteger()); without one, KiB. */
	assert_libvirt("<iommu model='virtio'><driver><granule size='16384' unit='b'/></driver>"
		       "</iommu>",
		       "{\"schema_version\": 1, \"qemu\": {\"device\": \"virtio-iommu-pci\","
		       " \"granule\": \"16k\"}}");
	assert_libvirt("<iommu model='virtio'><driver><granule size='8'/></driver></iommu>",
		       "{\"schema_version\": 1, \"qemu\": {\"device\": \"virtio-iommu-pci\","
		       " \"granule\": \"8k\"}}");
	assert_libvirt_fails(
		"<iommu model='virtio'><driver><granule size='2' unit='MiB'/>"
		"</driver></iommu>",
		"iommu: unsupported granule size. Supported values are 4, 8, 16 and 64 "
		"KiB");
	assert_libvirt_fails(
		"<iommu model='virtio'><driver><granule size='4' unit='KB'/>"
		"</driver></iommu>",
		"iommu: unsupported granule size. Supported values are 4, 8, 16 and 64 "
		"KiB");
	assert_libvirt_fails("<iommu model='virtio'><driver><granule mode='host' size='4'/>"
			     "</driver></iommu>",
			     "'mode' and 'size' can't be specified at the same time for 'granule'");
	assert_libvirt_fails("<iommu model='virtio'><driver><granule mode='64k'/></driver></iommu>",
			     "iommu/driver/granule/@mode: expected host, not \"64k\"");
	assert_libvirt_fails("<iommu model='virtio'><driver><granule/></driver></iommu>",
			     "iommu/driver/granule: expected a mode or a size attribute");
	assert_libvirt_fails("<iommu model='intel'><driver><granule mode='host'/></driver>"
			     "</iommu>",
			     "iommu/driver/granule: not an element of model intel");
	/* aw_bits within libvirt's uint8, then QEMU's [32, 64]. */
	assert_libvirt_fails("<iommu model='virtio'><driver aw_bits='65'/></iommu>",
			     "iommu: virtio-iommu-pci: aw-bits must be within [32,64]");
}

static void test_libvirt_domain_rules(void **state)
{
	const char *head = "<domain type='kvm'>";
	const char *split = "<features><ioapic driver='qemu'/></features>";
	char xml[512];

	/* intremap needs the split I/O APIC of the domain (a bare <iommu> cannot say). */
	snprintf(xml, sizeof(xml),
		 "%s<devices><iommu model='intel'><driver intremap='on'/>"
		 "</iommu></devices></domain>",
		 head);
	assert_libvirt_fails(xml, "IOMMU interrupt remapping requires split I/O APIC "
				  "(ioapic driver='qemu')");
	snprintf(xml, sizeof(xml),
		 "%s%s<devices><iommu model='intel'><driver intremap='on'/>"
		 "</iommu></devices></domain>",
		 head, split);
	assert_libvirt(xml, "{\"schema_version\": 1, \"min\": {\"input_bits\": 48},"
			    " \"qemu\": {\"device\": \"intel-iommu\", \"aw_bits\": 48,"
			    " \"caching_mode\": false}}");
	/* eim needs intremap. */
	snprintf(xml, sizeof(xml),
		 "%s%s<devices><iommu model='intel'><driver eim='on'/>"
		 "</iommu></devices></domain>",
		 head, split);
	assert_libvirt_fails(xml, "IOMMU eim requires interrupt remapping to be enabled");
	/* <iommufd enabled='yes|no'/>, virYesNo. */
	snprintf(xml, sizeof(xml),
		 "%s<iommufd enabled='yes'/><devices><iommu model='virtio'/>"
		 "</devices></domain>",
		 head);
	assert_libvirt(xml, "{\"schema_version\": 1, \"iommufd\": true,"
			    " \"qemu\": {\"device\": \"virtio-iommu-pci\"}}");
	snprintf(xml, sizeof(xml),
		 "%s<iommufd enabled='no'/><devices><iommu model='virtio'/></devices></domain>",
		 head);
	assert_libvirt(xml,
		       "{\"schema_version\": 1, \"qemu\": {\"device\": \"virtio-iommu-pci\"}}");
	snprintf(xml, sizeof(xml),
		 "%s<iommufd enabled='on'/><devices><iommu model='virtio'/>"
		 "</devices></domain>",
		 head);
	assert_libvirt_fails(xml, "iommufd/@enabled: expected yes or no, not \"on\"");
	/* A PCI <hostdev> with <driver iommufd='yes'/> (libvirt's tests/qemuxmlconfdata/
	 * iommufd.xml: "-object iommufd", vfio-pci "iommufd":"iommufd0"). */
	snprintf(xml, sizeof(xml),
		 "%s<devices><iommu model='virtio'/><hostdev mode='subsystem' type='pci'"
		 " managed='yes'><driver iommufd='yes'/><source><address domain='0x0000'"
		 " bus='0x06' slot='0x12' function='0x5'/></source></hostdev></devices></domain>",
		 head);
	assert_libvirt(xml, "{\"schema_version\": 1, \"iommufd\": true,"
			    " \"qemu\": {\"device\": \"virtio-iommu-pci\"}}");
	snprintf(xml, sizeof(xml),
		 "%s<devices><iommu model='virtio'/><hostdev mode='subsystem' type='pci'>"
		 "<driver iommufd='no'/></hostdev><hostdev mode='subsystem' type='pci'/>"
		 "</devices></domain>",
		 head);
	assert_libvirt(xml,
		       "{\"schema_version\": 1, \"qemu\": {\"device\": \"virtio-iommu-pci\"}}");
	snprintf(xml, sizeof(xml),
		 "%s<devices><iommu model='virtio'/><hostdev mode='subsystem' type='pci'>"
		 "<driver iommufd='on'/></hostdev></devices></domain>",
		 head);
	assert_libvirt_fails(xml, "hostdev/driver/@iommufd: expected yes or no, not \"on\"");
}

static void test_libvirt_errors(void **state)
{
	assert_libvirt_fails("<domain type='kvm'><devices><disk/></devices></domain>",
			     "the domain has no <iommu> device");
	/* Only <devices> holds devices. */
	assert_libvirt_fails("<domain type='kvm'><iommu model='intel'/></domain>",
			     "the domain has no <iommu> device");
	assert_libvirt_fails("<domain type='kvm'/>", "the domain has no <iommu> device");
	assert_libvirt_fails("<domain xmlns='urn:x'><devices><iommu model='intel'/></devices>"
			     "</domain>",
			     "not a libvirt domain: the root element is <domain>");
	assert_libvirt_fails("<capabilities/>",
			     "not a libvirt domain: the root element is <capabilities>");
	assert_libvirt_fails("<iommu/>", "iommu: expected a model attribute");
	assert_libvirt_fails("<iommu model='auto'/>",
			     "iommu/@model: \"auto\" is not one of intel, smmuv3, virtio, amd");
	assert_libvirt_fails("<iommu model='intel'><driver accel='on'/></iommu>",
			     "iommu/driver/@accel: not an attribute of model intel");
	/* virOnOff: on or off, not libvirt's "default" nor yes. */
	assert_libvirt_fails("<iommu model='intel'><driver caching_mode='yes'/></iommu>",
			     "iommu/driver/@caching_mode: expected on or off, not \"yes\"");
	assert_libvirt_fails("<iommu model='intel'><driver iotlb='default'/></iommu>",
			     "iommu/driver/@iotlb: expected on or off, not \"default\"");
	assert_libvirt_fails("<iommu model='intel'><driver aw_bits='256'/></iommu>",
			     "iommu/driver/@aw_bits: expected a number from 0 to 255, not \"256\"");
	/* Within uint8, then QEMU 11.1's vtd_decide_config(). */
	assert_libvirt_fails("<iommu model='intel'><driver aw_bits='65'/></iommu>",
			     "iommu: intel-iommu: Legacy mode: supported values for aw-bits are: "
			     "39, 48");
	/* A value cannot smuggle QEMU options in. */
	assert_libvirt_fails("<iommu model='intel'><driver aw_bits='48,x-flts=on'/></iommu>",
			     "iommu/driver/@aw_bits: expected a number from 0 to 255, not "
			     "\"48,x-flts=on\"");
	/* Not in libvirt 12.9.0's schema (posted for 12.8.0, not merged): refused. */
	assert_libvirt_fails("<iommu model='intel'><driver scalable_mode='on'/></iommu>",
			     "iommu/driver/@scalable_mode: not an attribute of model intel");
	assert_libvirt_fails("<iommu model='intel'><driver fsts='on'/></iommu>",
			     "iommu/driver/@fsts: not an attribute of model intel");
	assert_libvirt_fails("<iommu model='intel'><driver pasid_bits='20'/></iommu>",
			     "iommu/driver/@pasid_bits: not an attribute of model intel");
	assert_libvirt_fails("<iommu model='intel'><driver pasid='20'/></iommu>",
			     "iommu/driver/@pasid: not an attribute of model intel");
	assert_libvirt_fails("<iommu model='intel'><driver svm='on'/></iommu>",
			     "iommu/driver/@svm: not an attribute of model intel");
	assert_libvirt_fails("", "not XML: line 1: Document is empty");
	assert_libvirt_fails("<domain>", "not XML: line 1: Premature end of data in tag domain "
					 "line 1");
}

static void test_libvirt_no_dtd_no_entities(void **state)
{
	struct iommucap_requirement *r = POISON;
	char *err = NULL;
	const char *attr_xxe = "<?xml version='1.0'?>\n"
			       "<!DOCTYPE domain [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>\n"
			       "<domain><devices><iommu model='intel'><driver aw_bits='&x;'/>"
			       "</iommu></devices></domain>";

	/* An external entity is never fetched: libxml2 refuses one in an attribute itself... */
	assert_int_equal(iommucap_requirement_from_libvirt(attr_xxe, strlen(attr_xxe), &r, &err),
			 -EINVAL);
	assert_ptr_equal(r, POISON);
	assert_null(strstr(err, "root:"));
	free(err);
	/* ... and any DTD is refused outright. */
	assert_libvirt_fails("<?xml version='1.0'?>\n"
			     "<!DOCTYPE domain [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>\n"
			     "<domain><devices><iommu model='intel'>&x;</iommu></devices></domain>",
			     "the domain XML has a DTD (<!DOCTYPE>), which libvirt never writes");
	assert_libvirt_fails("<!DOCTYPE domain SYSTEM 'http://example.invalid/domain.dtd'>"
			     "<domain/>",
			     "the domain XML has a DTD (<!DOCTYPE>), which libvirt never writes");
	assert_libvirt_fails("<?xml version='1.0'?>\n"
			     "<!DOCTYPE d [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;'>]>"
			     "<iommu model='intel'><driver aw_bits='&b;'/></iommu>",
			     "the domain XML has a DTD (<!DOCTYPE>), which libvirt never writes");
}

static void test_libvirt_length_is_honoured(void **state)
{
	const char *xml = "<iommu model='intel'/>garbage after the given length";
	struct iommucap_requirement *r = NULL;
	char *err = NULL;

	assert_int_equal(
		iommucap_requirement_from_libvirt(xml, strlen("<iommu model='intel'/>"), &r, &err),
		0);
	assert_int_equal(r->vmm.kind, IOMMUCAP_VMM_QEMU_INTEL_IOMMU);
	iommucap_requirement_free(r);
}

/* A library prints nothing, even where libxml2 would (its encoding errors). */
static void test_libvirt_prints_nothing(void **state)
{
	/* A UTF-16LE document ending in a lone surrogate: libxml2's own decoder (no iconv module)
	 * fails, and reports it through its generic handler. */
	static const char decl[] = "<?xml version='1.0' encoding='UTF-16LE'?><iommu/>";
	char xml[2 * sizeof(decl) + 4];
	size_t n = 0;
	struct iommucap_requirement *r = NULL;
	FILE *tmp = tmpfile();
	char *err = NULL;
	int saved, k;

	for (size_t i = 0; decl[i]; i++) {
		xml[n++] = decl[i];
		xml[n++] = 0;
	}
	memcpy(xml + n, "\x00\xd8\x41\x00", 4); /* U+D800 alone, then 'A' */
	n += 4;
	assert_non_null(tmp);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
	k = iommucap_requirement_from_libvirt(xml, n, &r, &err);
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	assert_int_equal(k, -EINVAL);
	free(err);
	assert_int_equal(fseek(tmp, 0, SEEK_END), 0);
	assert_int_equal(ftell(tmp), 0);
	fclose(tmp);
}

/*
 * lib/suggest.c checks the libvirt form of a suggestion without parsing XML (so the daemon links
 * no XML parser): it builds the QEMU argument libvirt generates itself. Every <iommu> element it
 * can print, through the libvirt importer, must give the same requirement, or the same error.
 */
struct forms {
	size_t n, refused;
};

static int one_libvirt_form(const char *xml, const struct iommucap_requirement *r,
			    const char *error, void *userdata)
{
	struct forms *st = userdata;
	struct iommucap_requirement *lr = NULL;
	char *lerror = NULL;
	int k = iommucap_requirement_from_libvirt(xml, strlen(xml), &lr, &lerror);

	st->n++;
	if (!r) {
		st->refused++;
		if (k != -EINVAL || !error || !lerror || strcmp(error, lerror) != 0)
			fail_msg("%s: the importer says \"%s\", the search \"%s\"", xml,
				 lerror ? lerror : "(accepted)", error ? error : "(nothing)");
	} else {
		json_t *a = NULL, *b = NULL;

		if (k < 0)
			fail_msg("%s: refused by the importer (%s), accepted by the search", xml,
				 lerror ? lerror : "");
		assert_int_equal(iommucap_requirement_to_json(r, &a), 0);
		assert_int_equal(iommucap_requirement_to_json(lr, &b), 0);
		if (!json_equal(a, b)) {
			char *sa = json_dumps(a, JSON_SORT_KEYS),
			     *sb = json_dumps(b, JSON_SORT_KEYS);

			fail_msg("%s:\n  importer %s\n  search   %s", xml, sb, sa);
		}
		json_decref(a);
		json_decref(b);
	}
	iommucap_requirement_free(lr);
	free(lerror);
	return 0;
}

static void test_suggest_libvirt_forms(void **state)
{
	struct forms st = { 0 };

	(void)state;
	assert_int_equal(suggest_libvirt_forms(one_libvirt_form, &st), 0);
	/* libvirt 12.9.0's: intel: aw_bits (2), iotlb; smmuv3: accel, oas (2), ssidsize (21), ats,
	 * ril; virtio: aw_bits (33 and unset), granule (5); amd: iotlb. */
	assert_int_equal(st.n, 2 * 2 + 2 * 2 * 21 * 2 * 2 + 34 * 5 + 2);
	/* oas, ssidsize, ats or ril without accel is one libvirt refuses. */
	assert_true(st.refused > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_examples_valid),
		cmocka_unit_test(test_examples_invalid),
		cmocka_unit_test(test_examples_qemu),
		cmocka_unit_test(test_examples_libvirt),
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_full_model),
		cmocka_unit_test(test_print_order_is_stable),
		cmocka_unit_test(test_empty_sections),
		cmocka_unit_test(test_integral_reals),
		cmocka_unit_test(test_version_checked_first),
		cmocka_unit_test(test_device_address_canonical),
		cmocka_unit_test(test_unit_names),
		cmocka_unit_test(test_base_ptr),
		cmocka_unit_test(test_pasid_table_ranges),
		cmocka_unit_test(test_min_ranges),
		cmocka_unit_test(test_features),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_qemu_member),
		cmocka_unit_test(test_round_trip_is_stable),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_qemu_intel_guest_only_knobs),
		cmocka_unit_test(test_qemu_intel_aw_bits),
		cmocka_unit_test(test_qemu_intel_flts),
		cmocka_unit_test(test_qemu_intel_refused),
		cmocka_unit_test(test_qemu_intel_pasid),
		cmocka_unit_test(test_qemu_intel_iotlb_svm),
		cmocka_unit_test(test_qemu_smmuv3_accel),
		cmocka_unit_test(test_qemu_smmuv3_needs_accel),
		cmocka_unit_test(test_qemu_virtio),
		cmocka_unit_test(test_qemu_amd),
		cmocka_unit_test(test_qemu_syntax),
		cmocka_unit_test(test_qemu_errors),
		cmocka_unit_test(test_qemu_output_parses),
		cmocka_unit_test(test_libvirt_device_xml),
		cmocka_unit_test(test_libvirt_amd_passthrough),
		cmocka_unit_test(test_libvirt_smmuv3),
		cmocka_unit_test(test_libvirt_virtio),
		cmocka_unit_test(test_libvirt_domain_rules),
		cmocka_unit_test(test_libvirt_errors),
		cmocka_unit_test(test_libvirt_no_dtd_no_entities),
		cmocka_unit_test(test_libvirt_length_is_honoured),
		cmocka_unit_test(test_libvirt_prints_nothing),
		cmocka_unit_test(test_suggest_libvirt_forms),
	};

	return cmocka_run_group_tests_name("requirement", tests, NULL, NULL);
}
