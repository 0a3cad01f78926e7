/* hwinfo-capture: write iommufd IOMMU_GET_HW_INFO of every VFIO cdev device as a capture. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hwinfo.h"
#include "model.h"

/*
 * Usage: hwinfo-capture OUTDIR
 *
 * Probes the running host (as iommuctl does, which binds each free device with a VFIO cdev to
 * a fresh iommufd, asks, and closes) and writes OUTDIR/iommufd/hw_info/ADDRESS for each device
 * asked, in the format of docs/hw-info.md, so that "iommuctl --sysroot OUTDIR" reads it back.
 * Run by tests/capture-sysfs as root. Exit status: 0 written (also when no device has a VFIO
 * cdev), 1 on an error, 64 on a usage error.
 */
int main(int argc, char **argv)
{
	_cleanup_(iommucap_root_freep) struct iommucap_root *root = NULL;
	_cleanup_(iommucap_host_freep) struct iommucap_host *h = NULL;
	_cleanup_free_ char *dir = NULL;
	int k, written = 0;

	if (argc != 2) {
		fprintf(stderr, "Usage: hwinfo-capture OUTDIR\n");
		return 64;
	}
	k = iommucap_root_open("/", &root);
	if (k >= 0)
		k = iommucap_probe(root, &h);
	if (k < 0) {
		fprintf(stderr, "hwinfo-capture: cannot probe the host: %s\n", strerror(-k));
		return 1;
	}
	if (asprintf(&dir, "%s/%s", argv[1], HWINFO_CAPTURE_DIR) < 0)
		return 1;
	for (size_t i = 0; i < h->n_devices; i++) {
		const struct iommucap_device *d = &h->devices[i];
		_cleanup_free_ char *text = NULL, *path = NULL;
		FILE *f;

		if (!d->hw_info.tried)
			continue;
		if (!written++) {
			_cleanup_free_ char *parent = NULL;

			if (asprintf(&parent, "%s/iommufd", argv[1]) < 0)
				return 1;
			if ((mkdir(argv[1], 0755) < 0 && errno != EEXIST) ||
			    (mkdir(parent, 0755) < 0 && errno != EEXIST) ||
			    (mkdir(dir, 0755) < 0 && errno != EEXIST)) {
				fprintf(stderr, "hwinfo-capture: %s: %m\n", dir);
				return 1;
			}
		}
		if (hwinfo_format(&d->hw_info, d->address, &text) < 0 ||
		    asprintf(&path, "%s/%s", dir, d->address) < 0)
			return 1;
		f = fopen(path, "we");
		if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
			fprintf(stderr, "hwinfo-capture: %s: %m\n", path);
			return 1;
		}
		if (!d->hw_info.read)
			fprintf(stderr, "hwinfo-capture: %s: %s\n", d->address, d->hw_info.reason);
	}
	return 0;
}
