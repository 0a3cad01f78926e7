/* Tests of lib/fleet.c on hand-made hosts (TAP); --check REQ HOST... runs iommuctl's check. */
#include "config.h"

#include <stdarg.h>

#include "lib/compat.h"
#include "lib/fleet.h"
#include "lib/macro.h"

static int n_tests, n_failed;

_printf_(2, 3) static bool ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	n_tests++;
	if (!cond)
		n_failed++;
	printf("%sok %d - ", cond ? "" : "not ", n_tests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	return cond;
}

/* Every capability unknown, then the members of caps (a JSON object's text) set. */
static json_t *unit_json(const char *name, const char *model, const char *caps)
{
	static const char *const names[] = { "ssid_bits",
					     "input_bits",
					     "output_bits",
					     "asid_bits",
					     "stall",
					     "httu",
					     "btm",
					     "nesting",
					     "pri",
					     "ats",
					     "dirty_tracking",
					     "caching_mode",
					     "coherent",
					     "scalable_mode",
					     "page_sizes",
					     "pgtable_formats",
					     "pasid_table_formats",
					     "pasid_table_align" };
	json_t *c = json_object(), *set = json_loads(caps, 0, NULL), *v;
	const char *key;

	if (!set) {
		fprintf(stderr, "bad test capabilities: %s\n", caps);
		abort();
	}
	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		json_object_set_new(c, names[i], json_null());
	json_object_foreach (set, key, v)
		json_object_set(c, key, v);
	json_decref(set);
	json_object_set_new(c, "unknown", json_object());
	json_object_set_new(c, "sources", json_object());
	return json_pack("{s:s, s:s, s:i, s:s, s:n, s:[], s:{}, s:{}, s:{}, s:o}", "name", name,
			 "model", model, "model_id", 1, "path", "sys/class/iommu/x", "property_dir",
			 "devices", "raw", "raw_unknown", "fields", "capabilities", c);
}

/* A host with n units: (name, model, capabilities) triples. */
static struct iommucap_host *host(size_t n, ...)
{
	json_t *units = json_array(), *doc;
	struct iommucap_host *h = NULL;
	char *error = NULL;
	va_list ap;

	va_start(ap, n);
	for (size_t i = 0; i < n; i++) {
		const char *name = va_arg(ap, const char *);
		const char *model = va_arg(ap, const char *);
		const char *caps = va_arg(ap, const char *);

		json_array_append_new(units, unit_json(name, model, caps));
	}
	va_end(ap);
	doc = json_pack(
		"{s:i, s:{s:n, s:n, s:n, s:n, s:n, s:{s:n, s:n}, s:b, s:b, s:{}}, s:o, s:[], "
		"s:[], s:[]}",
		"schema_version", 1, "host", "hostname", "machine_id", "kernel_release", "cmdline",
		"default_domain", "cpu", "vendor", "flags", "dev_iommu", 0, "dev_vfio", 0,
		"unknown", "units", units, "groups", "devices", "warnings");
	if (iommucap_host_from_json(doc, &h, &error) < 0) {
		fprintf(stderr, "bad test host: %s\n", error);
		abort();
	}
	json_decref(doc);
	return h;
}

static struct iommucap_offers *offers_of(struct iommucap_host *h, unsigned flags)
{
	struct iommucap_offers *o = NULL;

	if (iommucap_host_offers(h, flags, &o) < 0)
		abort();
	iommucap_host_free(h);
	return o;
}

/* compare(a, b) with its result name and the differences as "field:relation field:relation". */
static void cmp(struct iommucap_offers *a, struct iommucap_offers *b, const char *want,
		const char *want_diffs, const char *what)
{
	struct iommucap_comparison *c = NULL;
	char got[1024] = "";

	if (iommucap_compare(a, b, &c) < 0)
		abort();
	for (size_t i = 0; i < c->n_diffs; i++) {
		char one[128];

		snprintf(one, sizeof(one), "%s%s:%s", i ? " " : "", c->diffs[i].field,
			 iommucap_relation_name(c->diffs[i].relation));
		strncat(got, one, sizeof(got) - strlen(got) - 1);
	}
	if (!ok(streq(iommucap_comparison_result_name(c->result), want) &&
			(!want_diffs || streq(got, want_diffs)),
		"%s: %s", what, want))
		printf("# got %s [%s], want [%s]\n", iommucap_comparison_result_name(c->result),
		       got, want_diffs ?: "*");
	iommucap_comparison_free(c);
}

/* compare(a, b) and compare(b, a), then free both. */
static void cmp2(struct iommucap_host *ha, struct iommucap_host *hb, const char *want_ab,
		 const char *diffs_ab, const char *want_ba, const char *what)
{
	struct iommucap_offers *a = offers_of(ha, 0), *b = offers_of(hb, 0);

	cmp(a, b, want_ab, diffs_ab, what);
	cmp(b, a, want_ba, NULL, what);
	iommucap_offers_free(a);
	iommucap_offers_free(b);
}

static char *req_text(const struct iommucap_requirement *r)
{
	json_t *j = NULL;
	char *s;

	if (iommucap_requirement_to_json(r, &j) < 0)
		abort();
	s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	return s;
}

/* The baseline of the hosts (consumed) as compact JSON, or NULL with *ret_err. */
static char *baseline_of(unsigned flags, int *ret_err, size_t n, ...)
{
	struct iommucap_baseline *b = NULL;
	struct iommucap_requirement *r = NULL;
	char *s = NULL;
	va_list ap;
	int k = 0;

	if (iommucap_baseline_new(flags, &b) < 0)
		abort();
	va_start(ap, n);
	for (size_t i = 0; i < n; i++) {
		struct iommucap_host *h = va_arg(ap, struct iommucap_host *);

		if (k >= 0)
			k = iommucap_baseline_add(b, h);
		iommucap_host_free(h);
	}
	va_end(ap);
	if (k >= 0)
		k = iommucap_baseline_requirement(b, &r);
	if (k >= 0)
		s = req_text(r);
	iommucap_requirement_free(r);
	iommucap_baseline_free(b);
	*ret_err = k;
	return s;
}

static void want_text(char *got, const char *want, const char *what)
{
	if (!ok(got && streq(got, want), "%s", what))
		printf("# got  %s\n# want %s\n", got ?: "(null)", want);
	free(got);
}

#define VTD                                                                                        \
	"{\"ssid_bits\": 0, \"input_bits\": 48, \"output_bits\": 46, \"stall\": \"disabled\", "    \
	"\"httu\": \"none\", \"btm\": false, \"nesting\": false, \"pri\": false, \"ats\": true, "  \
	"\"dirty_tracking\": false, \"caching_mode\": false, \"scalable_mode\": false, "           \
	"\"page_sizes\": [4096, 2097152, 1073741824], \"pgtable_formats\": [\"vtd-ss-4level\"], "  \
	"\"pasid_table_formats\": []}"
#define VTD_SM                                                                                     \
	"{\"ssid_bits\": 20, \"input_bits\": 57, \"output_bits\": 46, \"stall\": \"disabled\", "   \
	"\"httu\": \"none\", \"nesting\": true, \"pri\": true, \"ats\": true, "                    \
	"\"dirty_tracking\": true, \"scalable_mode\": true, \"caching_mode\": false, "             \
	"\"page_sizes\": [4096, 2097152, 1073741824], "                                            \
	"\"pgtable_formats\": [\"vtd-ss-4level\", \"vtd-ss-5level\", \"vtd-fs-4level\", "          \
	"\"vtd-fs-5level\"], \"pasid_table_formats\": [\"intel\"]}"

static void test_offer(void)
{
	struct iommucap_offers *o = offers_of(host(1, "dmar0", "intel-vtd", VTD_SM), 0);
	struct iommucap_requirement *r = NULL;
	const struct iommucap_offer *best = NULL;

	ok(iommucap_offers_best(o, &best) == 0 && iommucap_offer_to_requirement(best, &r) == 0,
	   "the offer of a unit");
	want_text(req_text(r),
		  "{\"schema_version\":1,\"min\":{\"ssid_bits\":20,\"input_bits\":57},\"features\":"
		  "{\"nesting\":true,\"pri\":true,\"ats\":true,\"dirty_tracking\":true,\"stall\":"
		  "\"disabled\"},\"pgtable_formats\":[\"vtd-fs-4level\",\"vtd-fs-5level\"]}",
		  "the offer as a requirement: what a guest sees (no second-stage formats, VT-d "
		  "PASID "
		  "table, host address width, page sizes, scalable or caching mode)");
	iommucap_requirement_free(r);
	iommucap_offers_free(o);

	/* What a requirement cannot hold is left out or clamped (the unit still satisfies it). */
	o = offers_of(host(1, "smmu0", "arm-smmu-v3",
			   "{\"ssid_bits\": 24, \"input_bits\": 70, \"httu\": \"access\", "
			   "\"stall\": \"force\", \"page_sizes\": [1000, 4096, 65536, "
			   "18014398509481984], \"pgtable_formats\": [\"lpae-64\", \"bad name\"], "
			   "\"pasid_table_formats\": [\"host\"]}"),
		      0);
	r = NULL;
	ok(iommucap_offers_best(o, &best) == 0 && iommucap_offer_to_requirement(best, &r) == 0,
	   "an offer out of the requirement's ranges");
	want_text(
		req_text(r),
		"{\"schema_version\":1,\"min\":{\"ssid_bits\":20,\"input_bits\":64},\"features\":{"
		"\"stall\":\"force\",\"httu\":\"access\"},\"pgtable_formats\":[\"lpae-64\"],"
		"\"page_sizes\":[4096,65536]}",
		"clamped widths; page sizes and format names the schema refuses left out");
	iommucap_requirement_free(r);
	iommucap_offers_free(o);

	o = offers_of(host(0), 0);
	ok(iommucap_offers_best(o, &best) == -ENODEV, "a host without units has no offer");
	iommucap_offers_free(o);
}

static void test_compare(void)
{
	cmp2(host(1, "dmar0", "intel-vtd", VTD), host(1, "dmar9", "intel-vtd", VTD), "identical",
	     "", "identical", "reflexive, names ignored");
	cmp2(host(1, "a", "intel-vtd", VTD), host(1, "b", "intel-vtd", VTD_SM), "superset",
	     "min.ssid_bits:more min.input_bits:more features.nesting:more features.pri:more "
	     "features.dirty_tracking:more pgtable_formats:more",
	     "subset", "more of everything");
	cmp2(host(1, "a", "intel-vtd", "{\"ssid_bits\": 16, \"ats\": true}"),
	     host(1, "b", "intel-vtd", "{\"ssid_bits\": 20, \"ats\": false}"), "incompatible",
	     "min.ssid_bits:more features.ats:less", "incompatible", "more and less");
	cmp2(host(1, "a", "intel-vtd", "{\"input_bits\": 48}"),
	     host(1, "b", "intel-vtd", "{\"input_bits\": null}"), "subset",
	     "min.input_bits:unknown", "superset", "unknown on B: B cannot promise");
	cmp2(host(1, "a", "intel-vtd", "{\"ssid_bits\": 0, \"ats\": false, \"page_sizes\": []}"),
	     host(1, "b", "intel-vtd", "{}"), "identical", "", "identical",
	     "0, false and [] ask nothing, so unknown meets them");
	cmp2(host(1, "a", "intel-vtd", "{}"), host(1, "b", "amd-vi", "{}"), "incompatible",
	     "model:differs", "incompatible", "the model must match");
	cmp2(host(1, "a", "unknown", "{}"), host(1, "b", "amd-vi", "{}"), "superset", "model:more",
	     "subset", "an unknown model asks nothing");

	/* Stall: the requirements each model satisfies (disabled: {disabled}, enabled:
	 * {enabled, disabled}, force: {enabled, force}). */
	cmp2(host(1, "a", "arm-smmu-v3", "{\"stall\": \"disabled\"}"),
	     host(1, "b", "arm-smmu-v3", "{\"stall\": \"enabled\"}"), "superset",
	     "features.stall:more", "subset", "stall enabled offers more than disabled");
	cmp2(host(1, "a", "arm-smmu-v3", "{\"stall\": \"enabled\"}"),
	     host(1, "b", "arm-smmu-v3", "{\"stall\": \"force\"}"), "incompatible",
	     "features.stall:differs", "incompatible", "stall force and enabled differ");
	cmp2(host(1, "a", "arm-smmu-v3", "{\"httu\": \"access+dirty\"}"),
	     host(1, "b", "arm-smmu-v3", "{\"httu\": \"access\"}"), "subset", "features.httu:less",
	     "superset", "httu levels");
	cmp2(host(1, "a", "arm-smmu-v3", "{\"pgtable_formats\": [\"lpae-64\", \"v7s\"]}"),
	     host(1, "b", "arm-smmu-v3", "{\"pgtable_formats\": [\"lpae-64\", \"x\"]}"),
	     "incompatible", "pgtable_formats:differs", "incompatible", "lists neither way");

	/* Several units: a guest sits on one; B must dominate each unit of A with one of its. */
	cmp2(host(2, "a0", "intel-vtd", VTD_SM, "a1", "intel-vtd", "{\"input_bits\": 64}"),
	     host(1, "b0", "intel-vtd", VTD_SM), "subset", "min.input_bits:less", "superset",
	     "a unit B has nothing for");
	cmp2(host(2, "a0", "intel-vtd", VTD_SM, "a1", "intel-vtd", "{\"input_bits\": 39}"),
	     host(1, "b0", "intel-vtd", VTD_SM), "identical", "", "identical",
	     "a unit another one dominates changes nothing");
	cmp2(host(2, "a0", "intel-vtd", VTD, "a1", "intel-vtd", VTD_SM),
	     host(2, "b0", "intel-vtd", VTD_SM, "b1", "intel-vtd", VTD), "identical", "",
	     "identical", "unit order and names ignored");
	cmp2(host(2, "a0", "intel-vtd", VTD, "a1", "amd-vi", "{\"input_bits\": 48}"),
	     host(2, "b0", "amd-vi", "{\"input_bits\": 64}", "b1", "intel-vtd", VTD), "superset",
	     "min.input_bits:more", "subset", "units matched by model");

	/* Only what a guest sees: the Xeon 6 (second- and first-stage 4/5-level) against a
	 * host with second-stage 3-level tables only: second-stage tables are the host kernel's. */
	cmp2(host(1, "a", "intel-vtd",
		  "{\"pgtable_formats\": [\"vtd-ss-4level\", \"vtd-ss-5level\", \"vtd-fs-4level\", "
		  "\"vtd-fs-5level\"]}"),
	     host(1, "b", "intel-vtd", "{\"pgtable_formats\": [\"vtd-ss-3level\"]}"), "subset",
	     "pgtable_formats:less", "superset",
	     "second-stage formats do not count, first-stage ones do");
	cmp2(host(1, "a", "amd-vi",
		  "{\"pgtable_formats\": [\"amd-v1-6level\", \"amd-v2-4level\"]}"),
	     host(1, "b", "amd-vi",
		  "{\"pgtable_formats\": [\"amd-v1-4level\", \"amd-v2-4level\"]}"),
	     "identical", "", "identical", "AMD v1 tables do not count, v2 ones do");
	cmp2(host(1, "a", "intel-vtd",
		  "{\"caching_mode\": true, \"scalable_mode\": true, \"output_bits\": 52, "
		  "\"page_sizes\": [4096, 1073741824], \"pasid_table_formats\": [\"intel\"]}"),
	     host(1, "b", "intel-vtd",
		  "{\"caching_mode\": false, \"scalable_mode\": false, \"output_bits\": 39, "
		  "\"page_sizes\": [4096]}"),
	     "identical", "", "identical",
	     "VT-d caching and scalable mode, host address width, page sizes, PASID table: unseen");
	cmp2(host(1, "a", "arm-smmu-v3",
		  "{\"output_bits\": 48, \"page_sizes\": [4096, 65536], \"asid_bits\": 16, "
		  "\"btm\": true, \"pasid_table_formats\": [\"arm-2lvl\"]}"),
	     host(1, "b", "arm-smmu-v3",
		  "{\"output_bits\": 44, \"page_sizes\": [4096], \"asid_bits\": 8, "
		  "\"btm\": false, \"pasid_table_formats\": [\"arm-1lvl\"]}"),
	     "incompatible", "min.output_bits:less page_sizes:less pasid_table.model:differs",
	     "incompatible",
	     "SMMUv3: OAS, granules, CD tables count (smmuv3-accel.c); ASID size, BTM not");

	cmp2(host(0), host(0), "identical", "", "identical", "no units on either side");
	cmp2(host(1, "a", "intel-vtd", "{}"), host(0), "subset", "units:less", "superset",
	     "B without units takes no guest");

	/* --migratable: caching mode (a virtual host IOMMU) and PASIDs are left out. */
	struct iommucap_offers *a = offers_of(host(1, "a", "intel-vtd",
						   "{\"input_bits\": 48, \"caching_mode\": true, "
						   "\"ssid_bits\": 20, \"dirty_tracking\": true}"),
					      IOMMUCAP_FLEET_MIGRATABLE),
			       *b = offers_of(host(1, "b", "amd-vi",
						   "{\"input_bits\": 48, \"caching_mode\": false, "
						   "\"dirty_tracking\": true}"),
					      IOMMUCAP_FLEET_MIGRATABLE);
	cmp(a, b, "identical", "", "--migratable: model, caching mode and PASIDs do not count");
	iommucap_offers_free(a);
	iommucap_offers_free(b);

	struct iommucap_comparison *c = NULL;
	json_t *j = NULL;
	char *s = NULL;
	a = offers_of(host(1, "a", "intel-vtd", "{\"ssid_bits\": 1}"), 0);
	b = offers_of(host(1, "b", "intel-vtd", "{\"ssid_bits\": null}"), 0);
	if (iommucap_compare(a, b, &c) < 0 || iommucap_comparison_to_json(c, &j) < 0)
		abort();
	s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	want_text(
		s,
		"{\"result\":\"subset\",\"differences\":[{\"field\":\"min.ssid_bits\",\"relation\":"
		"\"unknown\",\"a\":1,\"b\":null,\"a_unit\":\"a\",\"b_unit\":\"b\"}]}",
		"the comparison as JSON");
	json_decref(j);
	iommucap_comparison_free(c);
	iommucap_offers_free(a);
	iommucap_offers_free(b);
}

static void test_baseline(void)
{
	int k;
	char *s;

	s = baseline_of(0, &k, 1, host(1, "dmar0", "intel-vtd", VTD));
	want_text(s,
		  "{\"schema_version\":1,\"min\":{\"input_bits\":48},\"features\":{\"ats\":true,"
		  "\"stall\":\"disabled\"}}",
		  "baseline of one host is its offer");
	s = baseline_of(0, &k, 2, host(1, "dmar0", "intel-vtd", VTD_SM),
			host(1, "dmar0", "intel-vtd", VTD));
	want_text(s,
		  "{\"schema_version\":1,\"min\":{\"input_bits\":48},\"features\":{\"ats\":true,"
		  "\"stall\":\"disabled\"}}",
		  "baseline: minimum widths, common features, intersections");
	s = baseline_of(0, &k, 2,
			host(2, "x", "intel-vtd", "{\"input_bits\": 39}", "y", "intel-vtd", VTD_SM),
			host(1, "z", "intel-vtd", VTD_SM));
	want_text(s,
		  "{\"schema_version\":1,\"min\":{\"ssid_bits\":20,\"input_bits\":57},\"features\":"
		  "{\"nesting\":true,\"pri\":true,\"ats\":true,\"dirty_tracking\":true,\"stall\":"
		  "\"disabled\"},\"pgtable_formats\":[\"vtd-fs-4level\",\"vtd-fs-5level\"]}",
		  "baseline: a host's strongest unit stands for it, not its weakest");
	s = baseline_of(0, &k, 2,
			host(2, "x", "intel-vtd", VTD_SM, "y", "intel-vtd", "{\"input_bits\": 39}"),
			host(1, "z", "intel-vtd", VTD_SM));
	want_text(s,
		  "{\"schema_version\":1,\"min\":{\"ssid_bits\":20,\"input_bits\":57},\"features\":"
		  "{\"nesting\":true,\"pri\":true,\"ats\":true,\"dirty_tracking\":true,\"stall\":"
		  "\"disabled\"},\"pgtable_formats\":[\"vtd-fs-4level\",\"vtd-fs-5level\"]}",
		  "baseline: the unit order does not matter");
	s = baseline_of(0, &k, 2, host(1, "a", "arm-smmu-v3", "{\"stall\": \"enabled\"}"),
			host(1, "b", "arm-smmu-v3", "{\"stall\": \"disabled\"}"));
	want_text(s, "{\"schema_version\":1,\"features\":{\"stall\":\"disabled\"}}",
		  "baseline stall: enabled and disabled give disabled");
	s = baseline_of(0, &k, 2, host(1, "a", "arm-smmu-v3", "{\"stall\": \"force\"}"),
			host(1, "b", "arm-smmu-v3", "{\"stall\": \"enabled\"}"));
	want_text(s, "{\"schema_version\":1,\"features\":{\"stall\":\"enabled\"}}",
		  "baseline stall: force and enabled give enabled");
	s = baseline_of(0, &k, 2, host(1, "a", "arm-smmu-v3", "{\"stall\": \"force\"}"),
			host(1, "b", "arm-smmu-v3", "{\"stall\": \"disabled\"}"));
	want_text(s, "{\"schema_version\":1}", "baseline stall: force and disabled give nothing");
	s = baseline_of(0, &k, 2, host(1, "a", "intel-vtd", VTD_SM),
			host(1, "b", "amd-vi",
			     "{\"ssid_bits\": 16, \"input_bits\": 64, \"pasid_table_formats\": "
			     "[\"amd\"], \"ats\": true}"));
	want_text(
		s,
		"{\"schema_version\":1,\"min\":{\"ssid_bits\":16,\"input_bits\":57},\"features\":{"
		"\"ats\":true}}",
		"baseline across models: PASID tables left out when the formats differ");
	s = baseline_of(IOMMUCAP_FLEET_MIGRATABLE, &k, 1, host(1, "a", "intel-vtd", VTD_SM));
	want_text(s,
		  "{\"schema_version\":1,\"min\":{\"input_bits\":57},\"features\":{\"dirty_"
		  "tracking\":true}}",
		  "baseline --migratable: input width, dirty tracking, httu only");
	s = baseline_of(0, &k, 2, host(1, "a", "intel-vtd", VTD), host(0));
	ok(!s && k == -ENODEV, "baseline with a host without units: -ENODEV");
	s = baseline_of(0, &k, 0);
	ok(!s && k == -ENODATA, "baseline of no host: -ENODATA");
}

static int stall_rank(const struct iommucap_requirement *r)
{
	return !r->has_stall			     ? -1
	       : r->stall == IOMMUCAP_STALL_DISABLED ? 0
	       : r->stall == IOMMUCAP_STALL_ENABLED  ? 1
						     : 2;
}

static int httu_rank(const struct iommucap_requirement *r)
{
	return !r->has_httu ? 0 : r->httu == IOMMUCAP_HTTU_ACCESS ? 1 : 2;
}

/* x asks no more than y, field by field (stall as a feature: disabled < enabled < force). */
static bool narrower(const struct iommucap_requirement *x, const struct iommucap_requirement *y)
{
	for (int m = 0; m < _IOMMUCAP_MIN_MAX; m++)
		if (x->min[m].set && (!y->min[m].set || x->min[m].value > y->min[m].value))
			return false;
	for (int f = 0; f < _IOMMUCAP_FEAT_MAX; f++)
		if (x->features[f] == IOMMUCAP_WANT_TRUE && y->features[f] != IOMMUCAP_WANT_TRUE)
			return false;
	if (stall_rank(x) > stall_rank(y) || httu_rank(x) > httu_rank(y))
		return false;
	if (x->has_pasid_table &&
	    (!y->has_pasid_table || !streq(x->pasid_table.model, y->pasid_table.model)))
		return false;
	for (size_t i = 0; i < x->n_pgtable_formats; i++) {
		bool found = false;

		for (size_t j = 0; j < y->n_pgtable_formats; j++)
			found |= streq(x->pgtable_formats[i], y->pgtable_formats[j]);
		if (!found)
			return false;
	}
	for (size_t i = 0; i < x->n_page_sizes; i++) {
		bool found = false;

		for (size_t j = 0; j < y->n_page_sizes; j++)
			found |= x->page_sizes[i] == y->page_sizes[j];
		if (!found)
			return false;
	}
	return true;
}

/* The baseline passes iommucap_check on every host, and adding a host never widens it. */
static void test_baseline_check(void)
{
	const char *caps[] = {
		VTD,
		VTD_SM,
		"{\"input_bits\": 39, \"ats\": true, \"stall\": \"disabled\", \"pgtable_formats\": "
		"[\"vtd-ss-4level\"], \"page_sizes\": [4096]}",
		"{\"ssid_bits\": 8, \"input_bits\": 48, \"stall\": \"enabled\", \"page_sizes\": "
		"[4096, 65536]}",
	};
	struct iommucap_host *hosts[ELEMENTSOF(caps)];
	struct iommucap_baseline *b = NULL;
	struct iommucap_requirement *prev = NULL;

	for (size_t i = 0; i < ELEMENTSOF(caps); i++)
		hosts[i] = host(2, "u0", "intel-vtd", caps[i], "u1", "intel-vtd",
				caps[(i + 1) % ELEMENTSOF(caps)]);
	if (iommucap_baseline_new(0, &b) < 0)
		abort();
	for (size_t i = 0; i < ELEMENTSOF(caps); i++) {
		struct iommucap_requirement *r = NULL;
		bool all = true;

		if (iommucap_baseline_add(b, hosts[i]) < 0 ||
		    iommucap_baseline_requirement(b, &r) < 0)
			abort();
		for (size_t j = 0; j <= i; j++) {
			struct iommucap_compat *c = NULL;

			if (iommucap_check(hosts[j], r, &c) < 0)
				abort();
			all &= c->verdict == IOMMUCAP_COMPATIBLE;
			iommucap_compat_free(c);
		}
		ok(all, "the baseline of %zu hosts passes the check on each", i + 1);
		ok(!prev || narrower(r, prev), "adding host %zu does not widen it", i + 1);
		iommucap_requirement_free(prev);
		prev = r;
	}
	iommucap_requirement_free(prev);
	iommucap_baseline_free(b);
	for (size_t i = 0; i < ELEMENTSOF(caps); i++)
		iommucap_host_free(hosts[i]);
}

static json_t *load(const char *path)
{
	json_error_t e;
	json_t *j = json_load_file(path, 0, &e);

	if (!j)
		fprintf(stderr, "%s: %s\n", path, e.text);
	return j;
}

/* test-fleet --check REQ HOST...: is REQ compatible with each host document? */
static int check(int argc, char **argv)
{
	struct iommucap_requirement *r = NULL;
	char *error = NULL;
	json_t *doc = load(argv[0]);
	int bad = 0;

	if (!doc || iommucap_requirement_from_json(doc, &r, &error) < 0) {
		fprintf(stderr, "%s: %s\n", argv[0], error ?: "not a requirement");
		free(error);
		json_decref(doc);
		return 2;
	}
	json_decref(doc);
	for (int i = 1; i < argc; i++) {
		struct iommucap_host *h = NULL;
		struct iommucap_compat *c = NULL;

		doc = load(argv[i]);
		if (!doc || iommucap_host_from_json(doc, &h, &error) < 0 ||
		    iommucap_check(h, r, &c) < 0) {
			fprintf(stderr, "%s: %s\n", argv[i], error ?: "cannot check");
			free(error);
			error = NULL;
			bad++;
		} else if (c->verdict != IOMMUCAP_COMPATIBLE) {
			fprintf(stderr, "%s: %s\n", argv[i], iommucap_verdict_name(c->verdict));
			bad++;
		}
		iommucap_compat_free(c);
		iommucap_host_free(h);
		json_decref(doc);
	}
	iommucap_requirement_free(r);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc > 2 && streq(argv[1], "--check"))
		return check(argc - 2, argv + 2);
	test_offer();
	test_compare();
	test_baseline();
	test_baseline_check();
	printf("1..%d\n", n_tests);
	return n_failed ? 1 : 0;
}
