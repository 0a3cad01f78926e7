/* libFuzzer target: every sysfs/procfs value parser, the PCI config-space walker and the ACPI
 * DMAR and IORT parsers. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/acpi.h"
#include "lib/model.h"
#include "lib/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct iommucap_device dev = { 0 };
	struct iommucap_hostinfo hi = { 0 };
	struct iommucap_firmware fw = { 0 };
	struct iommucap_kv *kv = NULL;
	char *error = NULL;
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
	/* The input as a table under either signature (its first 4 bytes), so that the seeds of
	 * each (fuzz/corpus/parsers/dmar-q35, iort-virt-smmuv3) reach both walkers. */
	if (size >= 4) {
		memcpy(s, "DMAR", 4);
		(void)acpi_dmar_parse((const uint8_t *)s, size, &fw, &error);
		free(error);
		memcpy(s, "IORT", 4);
		(void)acpi_iort_parse((const uint8_t *)s, size, &fw, &error);
		free(error);
		free(fw.drhd);
		free(fw.smmuv3);
	}
	free(s);
	return 0;
}
