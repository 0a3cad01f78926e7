/* The host context: kernel release, IOMMU command-line options, CPU flags, device nodes. */
#include "config.h"

#include <fcntl.h>

#include "model.h"
#include "parse.h"
#include "probe.h"
#include "sysfs.h"

const char *hostinfo_cmdline_get(const struct iommucap_hostinfo *hi, const char *key)
{
	const char *v = NULL;

	/* The last occurrence wins, as with the kernel's parsers. */
	for (size_t i = 0; i < hi->n_cmdline; i++)
		if (streq(hi->cmdline[i].key, key))
			v = hi->cmdline[i].value ? hi->cmdline[i].value : "";
	return v;
}

bool hostinfo_cmdline_has_option(const struct iommucap_hostinfo *hi, const char *key,
				 const char *option)
{
	size_t len = strlen(option);

	for (size_t i = 0; i < hi->n_cmdline; i++) {
		const char *p = hi->cmdline[i].value;

		if (!p || !streq(hi->cmdline[i].key, key))
			continue;
		/* A comma-separated list, as intel_iommu= and amd_iommu= take. */
		while (*p) {
			size_t l = strcspn(p, ",");

			if (l == len && strncmp(p, option, len) == 0)
				return true;
			p += l;
			if (*p == ',')
				p++;
		}
	}
	return false;
}

int probe_hostinfo(struct iommucap_root *r, struct iommucap_host *h)
{
	struct iommucap_hostinfo *hi = &h->info;
	_cleanup_free_ char *s = NULL;
	char *reason = NULL;
	int k;

	hi->kernel_major = hi->kernel_minor = -1;
	if (attr_read(r, "", "proc/sys/kernel/osrelease", &hi->kernel_release, &reason) >= 0) {
		if (parse_kernel_release(hi->kernel_release, &hi->kernel_major, &hi->kernel_minor) <
			    0 &&
		    host_warn(h, "kernel release %s is not \"major.minor...\"",
			      hi->kernel_release) < 0)
			return -ENOMEM;
	} else if (host_warn(h, "host: %s", reason ? reason : "osrelease unreadable") < 0)
		return -ENOMEM;
	free(reason);
	reason = NULL;

	/* Optional identity: absent in captured trees, so no warning. */
	if (attr_read(r, "proc/sys/kernel", "hostname", &hi->hostname, &reason) < 0)
		hi->hostname = NULL;
	free(reason);
	reason = NULL;
	if (attr_read(r, "etc", "machine-id", &hi->machine_id, &reason) < 0)
		hi->machine_id = NULL;
	free(reason);
	reason = NULL;

	k = sysfs_read(r, "proc/cmdline", SYSFS_ATTR_MAX, &s, NULL);
	if (k >= 0) {
		k = parse_cmdline(s, &hi->cmdline, &hi->n_cmdline);
		if (k < 0)
			return k;
		hi->cmdline_known = true;
	} else if (host_warn(h, "host: cannot read proc/cmdline: %s", strerror(-k)) < 0)
		return -ENOMEM;
	free(s);
	s = NULL;

	k = sysfs_read(r, "proc/cpuinfo", SYSFS_CPUINFO_MAX, &s, NULL);
	if (k == -EFBIG) {
		/* Long on big machines: the first block is all we need. */
		_cleanup_close_ int fd = sysfs_open(r, "proc/cpuinfo", O_RDONLY);
		char *buf = fd >= 0 ? malloc(SYSFS_CPUINFO_MAX + 1) : NULL;
		ssize_t n = buf ? read(fd, buf, SYSFS_CPUINFO_MAX) : -1;

		if (n >= 0) {
			buf[n] = 0;
			s = buf;
			k = 0;
		} else
			free(buf);
	}
	if (k >= 0)
		k = parse_cpuinfo(s, hi);
	if (k == -ENOMEM)
		return k;
	if (k < 0 && asprintf(&hi->cpu_flags_reason, "%s",
			      k == -ENODATA ? "proc/cpuinfo has no flags line"
					    : "cannot read proc/cpuinfo") < 0)
		return -ENOMEM;

	hi->dev_iommu = sysfs_exists(r, "dev/iommu");
	hi->dev_vfio = sysfs_exists(r, "dev/vfio/vfio");
	return 0;
}
