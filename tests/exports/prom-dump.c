/* prom-dump: prometheus_write() on a probed tree, a document, or a hostile host. */
#include "config.h"

#include "cli/prometheus.h"
#include "macro.h"

static const char usage[] =
	"usage: prom-dump SYSROOT             probe SYSROOT, print its metrics\n"
	"       prom-dump --roundtrip SYSROOT the same through the host document and back\n"
	"       prom-dump --document FILE     the metrics of a stored host document\n"
	"       prom-dump --hostile           a made-up host with hostile label values\n";

static int write_metrics(const struct iommucap_host *h)
{
	int k = prometheus_write(h, stdout);

	if (k < 0) {
		fprintf(stderr, "prom-dump: cannot write the metrics: %s\n", strerror(-k));
		return 1;
	}
	return 0;
}

/* The host read back from a document, as iommuctl does with the daemon's reply. */
static int from_document(json_t *doc, struct iommucap_host **ret)
{
	_cleanup_free_ char *error = NULL;
	int k = iommucap_host_from_json(doc, ret, &error);

	if (k < 0)
		fprintf(stderr, "prom-dump: the host document is not valid: %s\n",
			error ? error : strerror(-k));
	return k;
}

static int probe(const char *sysroot, bool roundtrip)
{
	_cleanup_(iommucap_root_freep) struct iommucap_root *root = NULL;
	_cleanup_(iommucap_host_freep) struct iommucap_host *h = NULL;
	_cleanup_(iommucap_host_freep) struct iommucap_host *back = NULL;
	json_t *doc;
	int k;

	k = iommucap_root_open(sysroot, &root);
	if (k >= 0)
		k = iommucap_probe(root, &h);
	if (k < 0) {
		fprintf(stderr, "prom-dump: cannot probe %s: %s\n", sysroot, strerror(-k));
		return 1;
	}
	if (!roundtrip)
		return write_metrics(h);
	k = iommucap_host_to_json(h, &doc);
	if (k < 0) {
		fprintf(stderr, "prom-dump: no host document: %s\n", strerror(-k));
		return 1;
	}
	k = from_document(doc, &back);
	json_decref(doc);
	return k < 0 ? 1 : write_metrics(back);
}

static int document(const char *path)
{
	_cleanup_(iommucap_host_freep) struct iommucap_host *h = NULL;
	json_error_t err;
	json_t *doc = json_load_file(path, 0, &err);
	int k;

	if (!doc) {
		fprintf(stderr, "prom-dump: %s:%d: %s\n", path, err.line, err.text);
		return 1;
	}
	k = from_document(doc, &h);
	json_decref(doc);
	return k < 0 ? 1 : write_metrics(h);
}

/* Quotes, backslashes, newlines and bytes that are not UTF-8 wherever a label takes a string. */
static int hostile(void)
{
	static char *strs[] = { "a\"b", "c\\d", "e\nf", "\xff\xfeg", "\xe2\x82\xac" };
	static uint64_t sizes[] = { 4096, 2097152 };
	static char *devs[] = { "0000:00:01.0" };
	struct iommucap_unit unit = {
		.name = "evil\"unit\\0\n",
		.model = IOMMUCAP_MODEL_UNKNOWN,
		.model_id = 4242,
	};
	struct iommucap_group group = {
		.id = 7, .type = "DMA\"FQ\\\n", .devices = devs, .n_devices = 1
	};
	struct iommucap_device dev = {
		.address = "0000:00:01.0",
		.unit = unit.name,
		.group = 7,
		.driver = "vfio\xc0\xafpci",
		.vendor = 0x8086,
		.device_id = 0x1234,
		.class_code = 0x020000,
		.have_ids = true,
		.pasid_width = { .known = true, .value = 20 },
		.effective_pasid_bits = { .known = true, .value = 0 },
	};
	struct iommucap_host h = {
		.generated_at = 1700000000,
		.info = {
			.kernel_release = "6.12\"\\\n\xed\xa0\x80-evil",
			.cpu_vendor = NULL,
			.domain_type = "DMA",
			.domain_mode = "strict",
			.cpu_flags_known = true,
			.cpu_flags = { [IOMMUCAP_CPU_LA57] = true },
		},
		.units = &unit,
		.n_units = 1,
		.groups = &group,
		.n_groups = 1,
		.devices = &dev,
		.n_devices = 1,
		.warnings = strs,
		.n_warnings = ELEMENTSOF(strs),
	};

	unit.devices = devs;
	unit.n_devices = 1;
	unit.caps[IOMMUCAP_SSID_BITS] =
		(struct iommucap_capval){ .source = IOMMUCAP_SRC_REGISTER, .num = 20 };
	unit.caps[IOMMUCAP_NESTING] =
		(struct iommucap_capval){ .source = IOMMUCAP_SRC_REGISTER, .num = 0 };
	unit.caps[IOMMUCAP_STALL] = (struct iommucap_capval){ .source = IOMMUCAP_SRC_PROPERTY,
							      .num = IOMMUCAP_STALL_FORCE };
	unit.caps[IOMMUCAP_PAGE_SIZES] =
		(struct iommucap_capval){ .source = IOMMUCAP_SRC_REGISTER,
					  .list = { .n = 2, .nums = sizes } };
	unit.caps[IOMMUCAP_PGTABLE_FORMATS] =
		(struct iommucap_capval){ .source = IOMMUCAP_SRC_PROPERTY,
					  .list = { .n = ELEMENTSOF(strs), .strs = strs } };
	return write_metrics(&h);
}

int main(int argc, char **argv)
{
	if (argc == 2 && streq(argv[1], "--hostile"))
		return hostile();
	if (argc == 3 && streq(argv[1], "--roundtrip"))
		return probe(argv[2], true);
	if (argc == 3 && streq(argv[1], "--document"))
		return document(argv[2]);
	if (argc == 2 && argv[1][0] != '-')
		return probe(argv[1], false);
	fputs(usage, stderr);
	return 64;
}
