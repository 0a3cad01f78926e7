/* libFuzzer target: every sysfs/procfs value parser and the PCI config-space walker. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/model.h"
#include "lib/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct iommucap_device dev = { 0 };
	struct iommucap_hostinfo hi = { 0 };
	struct iommucap_kv *kv = NULL;
	uint64_t a, b, efr, efr2;
	bool efr2_known, guessed;
	enum amd_features_format fmt;
	size_t n = 0;
	int maj, min;
	char *type = NULL;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;

	(void)parse_hex_u64(s, &a);
	(void)parse_dec_u64(s, &a);
	(void)parse_kernel_release(s, &maj, &min);
	/* The AMD layout depends on the kernel release: try each era. */
	(void)parse_amd_features(s, -1, -1, &efr, &efr2, &efr2_known, &fmt, &guessed);
	(void)parse_amd_features(s, 6, 1, &efr, &efr2, &efr2_known, &fmt, &guessed);
	(void)parse_amd_features(s, 6, 12, &efr, &efr2, &efr2_known, &fmt, &guessed);
	if (parse_resv_region(s, &a, &b, &type) == 0)
		free(type);
	if (parse_cmdline(s, &kv, &n) == 0) {
		hi.cmdline = kv;
		hi.n_cmdline = n;
		(void)hostinfo_cmdline_has_option(&hi, "intel_iommu", "sp_off");
	}
	(void)parse_cpuinfo(s, &hi);
	hostinfo_done(&hi);

	(void)pci_parse_config(&dev, data, size);
	device_done(&dev);
	free(s);
	return 0;
}
