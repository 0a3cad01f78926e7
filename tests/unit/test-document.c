/* The host document's reader and writer (lib/json-parse.c, lib/json.c over lib/document.c). */
#include "config.h"

#include "unit.h"

/*
 * tests/unit/host-document.json: a document written by hand from schema/host.schema.json (it
 * validates against it), with a null value of every kind and its reason, a foreign generator,
 * and every member the schema allows once.
 */
static json_t *load_doc(void)
{
	const char *s = getenv("srcdir");
	_cleanup_free_ char *path = NULL;
	json_t *doc;

	assert_true(asprintf(&path, "%s/tests/unit/host-document.json", s && *s ? s : ".") > 0);
	doc = json_load_file(path, 0, NULL);
	assert_non_null(doc);
	return doc;
}

static char *read_error(json_t *doc)
{
	struct iommucap_host *h = NULL;
	char *err = NULL;

	assert_int_equal(iommucap_host_from_json(doc, &h, &err), -EINVAL);
	assert_null(h);
	assert_non_null(err);
	return err;
}

static void test_document_reads(void **state)
{
	json_t *doc = load_doc();
	_cleanup_(iommucap_host_freep) struct iommucap_host *h = NULL;
	char *err = NULL;

	assert_int_equal(iommucap_host_from_json(doc, &h, &err), 0);
	assert_null(err);
	assert_int_equal(h->generated_at, 1767323045); /* 2026-01-02T03:04:05Z */
	assert_string_equal(h->generator, "other-tool 7");
	assert_string_equal(h->info.hostname, "h1");
	assert_null(h->info.machine_id);
	assert_int_equal(h->info.kernel_major, 6);
	assert_int_equal(h->info.kernel_minor, 12);
	assert_true(h->info.cmdline_known);
	assert_int_equal(h->info.n_cmdline, 3);
	for (size_t i = 0; i < h->info.n_cmdline; i++)
		if (streq(h->info.cmdline[i].key, "iommu_dump"))
			assert_null(h->info.cmdline[i].value); /* true: a bare flag */
		else
			assert_non_null(h->info.cmdline[i].value);
	assert_null(h->info.domain_type);
	assert_string_equal(h->info.domain_reason, "no groups");
	assert_false(h->info.cpu_flags_known);
	assert_string_equal(h->info.cpu_flags_reason, "proc/cpuinfo has no flags line");
	assert_true(h->info.dev_iommu);

	const struct iommucap_unit *u = &h->units[0];
	assert_string_equal(u->path, "devices/virtual/iommu/dmar0");
	assert_int_equal(u->model, IOMMUCAP_MODEL_INTEL_VTD);
	assert_int_equal(u->n_raw, 3);
	assert_false(u->raw[2].known);
	assert_string_equal(u->raw[2].reason, "not hexadecimal");
	assert_int_equal(u->n_fields, 3);
	assert_cap_num(u, IOMMUCAP_SSID_BITS, IOMMUCAP_SRC_REGISTER, 20);
	assert_cap_num(u, IOMMUCAP_ASID_BITS, IOMMUCAP_SRC_DRIVER, 16);
	assert_int_equal(u->caps[IOMMUCAP_OUTPUT_BITS].source, IOMMUCAP_SRC_UNKNOWN);
	assert_string_equal(u->caps[IOMMUCAP_OUTPUT_BITS].reason, "no DMAR table");

	assert_null(h->groups[0].type);
	assert_string_equal(h->groups[0].type_reason, "permission denied");
	assert_string_equal(h->groups[0].resv_reason, "line 2: expected three fields");
	assert_int_equal(h->groups[1].n_resv, 1);
	assert_int_equal(h->groups[1].resv[0].start, 0xfee00000);
	assert_int_equal(h->groups[1].resv[0].end, 0xfeefffff);

	const struct iommucap_device *d = &h->devices[0];
	assert_false(d->have_ids);
	assert_int_equal(d->group, 7);
	assert_false(d->pasid.known);
	assert_string_equal(d->pasid.reason, "config space: permission denied");
	assert_false(d->pasid_width.known);
	assert_null(d->pasid_width.reason);
	assert_true(d->ats.known);
	assert_int_equal(d->ats_queue_depth.value, 32);
	assert_int_equal(d->acs_caps.value, 0x1 | 0x4 | 0x8 | 0x10); /* SV RR CR UF */
	assert_string_equal(d->effective_pasid_bits.reason, "no PASID capability");
	assert_false(d->hw_info.tried);
	json_decref(doc);
}

/* What was read writes the same document, as a tree and streamed; only the generator is ours. */
static void test_document_writes_back(void **state)
{
	json_t *doc = load_doc(), *tree = NULL, *streamed;
	_cleanup_(iommucap_host_freep) struct iommucap_host *h = NULL;
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	FILE *f;

	assert_int_equal(iommucap_host_from_json(doc, &h, NULL), 0);
	assert_int_equal(json_object_set_new(doc, "generator",
					     json_pack("{s:s, s:s}", "name", PACKAGE_NAME,
						       "version", PACKAGE_VERSION)),
			 0);
	assert_int_equal(iommucap_host_to_json(h, &tree), 0);
	assert_true(json_equal(tree, doc));
	f = open_memstream(&text, &len);
	assert_non_null(f);
	assert_int_equal(iommucap_host_write_json(h, f, JSON_COMPACT), 0);
	assert_int_equal(fclose(f), 0);
	streamed = json_loads(text, 0, NULL);
	assert_true(json_equal(streamed, doc));
	json_decref(streamed);
	json_decref(tree);
	json_decref(doc);
}

/* Set (or with v NULL delete) the member at a "a/0/b" path of the document. */
static void edit(json_t *doc, const char *path, json_t *v)
{
	_cleanup_free_ char *p = strdup(path);
	char *save = NULL, *tok = strtok_r(p, "/", &save), *next;
	json_t *o = doc;

	for (; (next = strtok_r(NULL, "/", &save)); tok = next)
		o = json_is_array(o) ? json_array_get(o, strtoul(tok, NULL, 10))
				     : json_object_get(o, tok);
	assert_non_null(o);
	if (v)
		assert_int_equal(json_object_set_new(o, tok, v), 0);
	else
		assert_int_equal(json_object_del(o, tok), 0);
}

/* A member of the wrong type (as the schema has it), or missing: refused, naming its path. */
static void test_document_refusals(void **state)
{
	const struct {
		const char *path;
		json_t *v;
		const char *error;
	} cases[] = {
		{ "schema_version", json_integer(2),
		  "schema_version: version 2 is not supported (this is 1)" },
		{ "units", NULL, "units: missing" },
		{ "units", json_object(), "units: expected an array" },
		{ "warnings", NULL, "warnings: missing" },
		{ "generated_at", json_string("2026-01-02 03:04:05"),
		  "generated_at: expected a UTC time \"YYYY-MM-DDTHH:MM:SSZ\"" },
		{ "units/0/name", NULL, "units/0/name: missing" },
		{ "units/0/capabilities/ssid_bits", json_string("20"),
		  "units/0/capabilities/ssid_bits: expected an integer or null" },
		{ "units/0/capabilities/unknown", NULL, "units/0/capabilities/unknown: missing" },
		{ "units/0/raw_unknown", json_array(), "units/0/raw_unknown: expected an object" },
		{ "units/0/hw_info_from", json_null(), "units/0/hw_info_from: expected a string" },
		{ "host/dev_iommu", json_null(), "host/dev_iommu: expected true or false" },
		{ "host/cpu/flags", json_pack("{s:b}", "lam", 1),
		  "host/cpu/flags/enqcmd: missing" },
		{ "host/unknown/cpu_flags", json_integer(1), "host/unknown: expected strings" },
		{ "host/default_domain", json_string("x"),
		  "host/default_domain: expected an object or null" },
		{ "host/cmdline/iommu_dump", json_false(),
		  "host/cmdline: expected strings or true" },
		{ "groups/0/id", json_integer(-1), "groups/0/id: out of range" },
		{ "groups/1/reserved_regions/0/end", json_string("feefffff"),
		  "groups/1/reserved_regions/0/end: expected a \"0x...\" hexadecimal string" },
		{ "devices/0/group", json_string("7"),
		  "devices/0/group: expected an integer or null" },
		{ "devices/0/pasid/supported", json_string("yes"),
		  "devices/0/pasid/supported: expected true, false or null" },
		{ "devices/0/ats", json_null(), "devices/0/ats: expected an object" },
		{ "devices/0/acs/capabilities", json_string("sv"),
		  "devices/0/acs/capabilities: expected an array or null" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		json_t *doc = load_doc();
		char *err;

		edit(doc, cases[i].path, cases[i].v);
		err = read_error(doc);
		if (!streq(err, cases[i].error))
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].path, err, cases[i].error);
		free(err);
		json_decref(doc);
	}
}

/* Without the inventory record's time and generator (another tool's document) it still reads. */
static void test_document_optional(void **state)
{
	json_t *doc = load_doc();
	_cleanup_(iommucap_host_freep) struct iommucap_host *h = NULL;

	edit(doc, "generated_at", NULL);
	edit(doc, "generator", NULL);
	edit(doc, "units/0/raw/efr9", json_string("0x1")); /* not a register we know: ignored */
	assert_int_equal(iommucap_host_from_json(doc, &h, NULL), 0);
	assert_int_equal(h->generated_at, 0);
	assert_null(h->generator);
	assert_int_equal(h->units[0].n_raw, 3);
	json_decref(doc);
}

/* A document written before a capability was catalogued lacks its member: it reads as unknown,
 * "not in this document" (docs/hacking.md), and is written back as null with that reason. */
static void test_document_older_capabilities(void **state)
{
	json_t *doc = load_doc(), *back = NULL;
	_cleanup_(iommucap_host_freep) struct iommucap_host *h = NULL;
	const struct iommucap_capval *v;

	edit(doc, "units/0/capabilities/pri", NULL);
	edit(doc, "units/0/capabilities/sources/pri", NULL);
	assert_int_equal(iommucap_host_from_json(doc, &h, NULL), 0);
	v = &h->units[0].caps[IOMMUCAP_PRI];
	assert_int_equal(v->source, IOMMUCAP_SRC_UNKNOWN);
	assert_string_equal(v->reason, "not in this document");
	assert_int_equal(iommucap_host_to_json(h, &back), 0);
	assert_true(json_is_null(json_object_get(
		json_object_get(json_array_get(json_object_get(back, "units"), 0), "capabilities"),
		"pri")));
	json_decref(back);
	json_decref(doc);
}

/* A unit summary has its number of devices for their names, and values without reasons. */
static void test_document_summaries(void **state)
{
	json_t *doc = load_doc(), *units;
	_cleanup_(iommucap_host_freep) struct iommucap_host *h = NULL, *back = NULL;
	_cleanup_free_ char *text = NULL;
	char *err = NULL;
	size_t len = 0;
	FILE *f;

	assert_int_equal(iommucap_host_from_json(doc, &h, NULL), 0);
	f = open_memstream(&text, &len);
	assert_non_null(f);
	assert_int_equal(iommucap_host_write_array(h, "unit_summaries", f, JSON_COMPACT), 0);
	assert_int_equal(fclose(f), 0);
	units = json_loads(text, 0, NULL);
	assert_non_null(units);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(units, 0), "n_devices")),
			 1);
	assert_null(json_object_get(json_array_get(units, 0), "devices"));
	assert_int_equal(iommucap_host_from_units(units, NULL, true, &back, &err), 0);
	assert_int_equal(back->units[0].n_devices, 1);
	assert_null(back->units[0].devices);
	assert_cap_num(&back->units[0], IOMMUCAP_ASID_BITS, IOMMUCAP_SRC_REGISTER, 16);
	assert_int_equal(back->units[0].caps[IOMMUCAP_OUTPUT_BITS].source, IOMMUCAP_SRC_UNKNOWN);

	json_object_set_new(json_array_get(units, 0), "n_devices", json_integer(-1));
	assert_int_equal(iommucap_host_from_units(units, NULL, true, &back, &err), -EINVAL);
	assert_string_equal(err, "units/0/n_devices: expected a count");
	free(err);
	json_decref(units);
	json_decref(doc);
}

/* Unit rows (a ListUnitRows reply, taken) with units[i].key set to value are refused with err. */
static void expect_rows_refused(json_t *reply, size_t i, const char *key, json_t *value,
				const char *want)
{
	struct iommucap_host_parts p = { .capability_sets =
						 json_object_get(reply, "capability_sets"),
					 .units = json_object_get(reply, "units") };
	struct iommucap_host *back = NULL;
	char *err = NULL;

	assert_non_null(reply);
	json_object_set_new(json_array_get(p.units, i), key, value);
	assert_int_equal(iommucap_host_from_parts(&p, &back, &err), -EINVAL);
	assert_null(back);
	assert_string_equal(err, want);
	free(err);
	json_decref(reply);
}

/*
 * ListUnitRows: each distinct capability set once, and the units read back from the rows are
 * the units read back from their summaries.
 */
static void test_document_unit_rows(void **state)
{
	struct iommucap_host_parts p = { 0 };
	json_t *doc = load_doc(), *reply, *units;
	_cleanup_(iommucap_host_freep) struct iommucap_host *h = NULL, *back = NULL;
	_cleanup_free_ char *text = NULL;
	char *err = NULL;
	size_t len = 0;
	FILE *f;

	/* Three units: the second as the first, the third with another ASID width. */
	units = json_object_get(doc, "units");
	assert_int_equal(json_array_size(units), 1);
	json_array_append_new(units, json_deep_copy(json_array_get(units, 0)));
	json_array_append_new(units, json_deep_copy(json_array_get(units, 0)));
	edit(doc, "units/1/name", json_string("dmar1"));
	edit(doc, "units/2/name", json_string("dmar2"));
	edit(doc, "units/2/capabilities/asid_bits", json_integer(8));
	assert_int_equal(iommucap_host_from_json(doc, &h, NULL), 0);
	f = open_memstream(&text, &len);
	assert_non_null(f);
	fputc('{', f);
	assert_int_equal(iommucap_host_write_unit_rows(h, false, f, JSON_COMPACT), 0);
	fputc('}', f);
	assert_int_equal(fclose(f), 0);
	reply = json_loads(text, 0, NULL);
	assert_non_null(reply);
	units = json_object_get(reply, "units");
	assert_int_equal(json_array_size(units), 3);
	assert_int_equal(json_array_size(json_object_get(reply, "capability_sets")), 2);
	assert_int_equal(
		json_integer_value(json_object_get(json_array_get(units, 1), "capability_set")), 0);
	assert_int_equal(
		json_integer_value(json_object_get(json_array_get(units, 2), "capability_set")), 1);
	assert_null(json_object_get(json_array_get(units, 0), "capabilities"));
	p.capability_sets = json_object_get(reply, "capability_sets");
	p.units = units;
	assert_int_equal(iommucap_host_from_parts(&p, &back, &err), 0);
	assert_int_equal(back->n_units, h->n_units);
	for (size_t i = 0; i < h->n_units; i++) {
		json_t *a = NULL, *b = NULL;

		assert_int_equal(iommucap_unit_summary_to_json(&h->units[i], &a), 0);
		assert_int_equal(iommucap_unit_summary_to_json(&back->units[i], &b), 0);
		assert_true(json_equal(a, b));
		json_decref(a);
		json_decref(b);
	}
	json_decref(reply);

	/* A set that is not there. */
	reply = json_loads(text, 0, NULL);
	expect_rows_refused(reply, 1, "capability_set",
			    json_integer((json_int_t)json_array_size(
				    json_object_get(reply, "capability_sets"))),
			    "units/1/capability_set: expected an index of capability_sets");
	json_decref(doc);
}

/* ListUnitRows with devices: each row has the unit's device names, and they are read back. */
static void test_document_unit_rows_devices(void **state)
{
	struct iommucap_host_parts p = { 0 };
	json_t *doc = load_doc(), *reply, *units;
	_cleanup_(iommucap_host_freep) struct iommucap_host *h = NULL, *back = NULL;
	_cleanup_free_ char *text = NULL;
	char *err = NULL;
	size_t len = 0;
	FILE *f;

	edit(doc, "units/0/devices", json_pack("[ss]", "0000:00:02.0", "platform-thing"));
	assert_int_equal(iommucap_host_from_json(doc, &h, NULL), 0);
	f = open_memstream(&text, &len);
	assert_non_null(f);
	fputc('{', f);
	assert_int_equal(iommucap_host_write_unit_rows(h, true, f, JSON_COMPACT), 0);
	fputc('}', f);
	assert_int_equal(fclose(f), 0);
	reply = json_loads(text, 0, NULL);
	assert_non_null(reply);
	units = json_object_get(reply, "units");
	assert_true(json_equal(
		json_object_get(json_array_get(units, 0), "devices"),
		json_object_get(json_array_get(json_object_get(doc, "units"), 0), "devices")));
	p.capability_sets = json_object_get(reply, "capability_sets");
	p.units = units;
	assert_int_equal(iommucap_host_from_parts(&p, &back, &err), 0);
	assert_int_equal(back->units[0].n_devices, 2);
	assert_non_null(back->units[0].devices);
	assert_string_equal(back->units[0].devices[0], "0000:00:02.0");
	assert_string_equal(back->units[0].devices[1], "platform-thing");
	json_decref(reply);

	/* Names that are not n_devices of them. */
	expect_rows_refused(json_loads(text, 0, NULL), 0, "n_devices", json_integer(3),
			    "units/0/devices: not n_devices names");
	json_decref(doc);
}

/* A list read an element a reply (iommucap_host_add_parts) is the list read whole. */
static void test_document_add_parts(void **state)
{
	json_t *doc = load_doc(), *groups = json_object_get(doc, "groups"),
	       *devices = json_object_get(doc, "devices"), *e, *a = NULL, *b = NULL;
	struct iommucap_host_parts whole = { .groups = groups, .devices = devices };
	_cleanup_(iommucap_host_freep) struct iommucap_host *h = NULL, *one = NULL;
	size_t i;

	assert_int_equal(json_array_size(groups), 2);
	assert_int_equal(iommucap_host_from_parts(&whole, &h, NULL), 0);
	one = calloc(1, sizeof(*one));
	assert_non_null(one);
	json_array_foreach (groups, i, e) {
		struct iommucap_host_parts p = { .groups = json_pack("[O]", e) };

		assert_int_equal(iommucap_host_add_parts(one, &p, NULL), 0);
		json_decref(p.groups);
	}
	json_array_foreach (devices, i, e) {
		struct iommucap_host_parts p = { .devices = json_pack("[O]", e) };

		assert_int_equal(iommucap_host_add_parts(one, &p, NULL), 0);
		json_decref(p.devices);
	}
	assert_int_equal(one->n_groups, 2);
	assert_int_equal(one->n_devices, json_array_size(devices));
	for (i = 0; i < one->n_groups; i++) {
		assert_int_equal(iommucap_group_to_json(&h->groups[i], &a), 0);
		assert_int_equal(iommucap_group_to_json(&one->groups[i], &b), 0);
		assert_true(json_equal(a, b));
		json_decref(a);
		json_decref(b);
	}
	for (i = 0; i < one->n_devices; i++) {
		assert_int_equal(iommucap_device_to_json(&h->devices[i], &a), 0);
		assert_int_equal(iommucap_device_to_json(&one->devices[i], &b), 0);
		assert_true(json_equal(a, b));
		json_decref(a);
		json_decref(b);
	}
	json_decref(doc);
}

/* ListDeviceUnits: each device's address, unit and group, and nothing else. */
static void test_document_device_units(void **state)
{
	struct iommucap_host_parts p = { .device_summaries = true };
	json_t *doc = load_doc(), *devices;
	_cleanup_(iommucap_host_freep) struct iommucap_host *h = NULL, *back = NULL;
	_cleanup_free_ char *text = NULL;
	char *err = NULL;
	size_t len = 0;
	FILE *f;

	assert_int_equal(iommucap_host_from_json(doc, &h, NULL), 0);
	assert_true(h->n_devices > 0);
	f = open_memstream(&text, &len);
	assert_non_null(f);
	assert_int_equal(iommucap_host_write_array(h, "device_summaries", f, JSON_COMPACT), 0);
	assert_int_equal(fclose(f), 0);
	devices = json_loads(text, 0, NULL);
	assert_int_equal(json_array_size(devices), h->n_devices);
	for (size_t i = 0; i < h->n_devices; i++) {
		json_t *d = json_array_get(devices, i);

		assert_int_equal(json_object_size(d), 3);
		assert_string_equal(json_string_value(json_object_get(d, "address")),
				    h->devices[i].address);
	}
	p.devices = devices;
	assert_int_equal(iommucap_host_from_parts(&p, &back, &err), 0);
	assert_int_equal(back->n_devices, h->n_devices);
	for (size_t i = 0; i < h->n_devices; i++) {
		assert_string_equal(back->devices[i].address, h->devices[i].address);
		assert_int_equal(back->devices[i].group, h->devices[i].group);
		if (h->devices[i].unit)
			assert_string_equal(back->devices[i].unit, h->devices[i].unit);
		else
			assert_null(back->devices[i].unit);
	}
	/* A device summary is not a device: the whole array read as devices misses the rest. */
	iommucap_host_free(back);
	back = NULL;
	p.device_summaries = false;
	assert_int_equal(iommucap_host_from_parts(&p, &back, &err), -EINVAL);
	assert_string_equal(err, "devices/0/unknown: missing");
	free(err);
	json_decref(devices);
	json_decref(doc);
}

/* What Monitor's events name each element by (the interface's Event: unit name, PCI address,
 * group number), under the arrays the schema has. */
static void test_document_arrays(void **state)
{
	assert_string_equal(iommucap_host_array_key(IOMMUCAP_HOST_UNITS), "units");
	assert_string_equal(iommucap_host_array_identity(IOMMUCAP_HOST_UNITS), "name");
	assert_string_equal(iommucap_host_array_key(IOMMUCAP_HOST_GROUPS), "groups");
	assert_string_equal(iommucap_host_array_identity(IOMMUCAP_HOST_GROUPS), "id");
	assert_string_equal(iommucap_host_array_key(IOMMUCAP_HOST_DEVICES), "devices");
	assert_string_equal(iommucap_host_array_identity(IOMMUCAP_HOST_DEVICES), "address");
	assert_null(iommucap_host_array_key(_IOMMUCAP_HOST_ARRAY_MAX));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_document_reads),
		cmocka_unit_test(test_document_writes_back),
		cmocka_unit_test(test_document_refusals),
		cmocka_unit_test(test_document_optional),
		cmocka_unit_test(test_document_older_capabilities),
		cmocka_unit_test(test_document_summaries),
		cmocka_unit_test(test_document_unit_rows),
		cmocka_unit_test(test_document_unit_rows_devices),
		cmocka_unit_test(test_document_add_parts),
		cmocka_unit_test(test_document_device_units),
		cmocka_unit_test(test_document_arrays),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
