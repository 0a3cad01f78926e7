/* The host context: kernel release, IOMMU command-line options, CPU flags, device nodes. */
#include "config.h"

#include <ctype.h>
#include <fcntl.h>

#include "model.h"
#include "parse.h"
#include "sysfs.h"

static bool is_iommu_param(const char *key)
{
	static const char *const keys[] = {
		"iommu",	  "intel_iommu",  "amd_iommu",	"amd_iommu_intr",
		"amd_iommu_dump", "nointremap",	  "intremap",	"ivrs_ioapic",
		"ivrs_hpet",	  "ivrs_acpihid", "s390_iommu", "s390_iommu_aperture",
	};
	static const char *const prefixes[] = {
		"iommu.",    "iommufd.",     "vfio.",	     "vfio_iommu_type1.", "vfio_pci.",
		"arm_smmu.", "arm_smmu_v3.", "intel_iommu.", "amd_iommu.",	  "virtio_iommu.",
	};

	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		if (streq(key, keys[i]))
			return true;
	for (size_t i = 0; i < ELEMENTSOF(prefixes); i++)
		if (startswith(key, prefixes[i]))
			return true;
	return false;
}

int parse_cmdline(const char *s, struct iommucap_kv **ret, size_t *ret_n)
{
	struct iommucap_kv *kv = NULL;
	size_t n = 0;

	while (*s) {
		char word[4096];
		size_t w = 0;
		bool quoted = false;

		while (*s && isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		for (; *s && (quoted || !isspace((unsigned char)*s)); s++) {
			if (*s == '"') {
				quoted = !quoted;
				continue;
			}
			if (w < sizeof(word) - 1)
				word[w++] = *s;
		}
		word[w] = 0;
		if (streq(word, "--"))
			break; /* the rest is for init */

		char *eq = strchr(word, '=');
		if (eq)
			*eq = 0;
		/* The kernel treats '-' and '_' in parameter names alike (parameqn). */
		for (char *p = word; *p; p++)
			if (*p == '-')
				*p = '_';
		if (!is_iommu_param(word))
			continue;
		struct iommucap_kv *nkv = realloc(kv, (n + 1) * sizeof(*kv));
		if (!nkv)
			goto oom;
		kv = nkv;
		kv[n].key = strdup(word);
		kv[n].value = eq ? strdup(eq + 1) : NULL;
		n++;
		if (!kv[n - 1].key || (eq && !kv[n - 1].value))
			goto oom;
	}
	*ret = kv;
	*ret_n = n;
	return 0;
oom:
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
	return -ENOMEM;
}

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

static bool has_word(const char *list, const char *word)
{
	size_t len = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += len) {
		bool start = p == list || isspace((unsigned char)p[-1]);
		bool end = !p[len] || isspace((unsigned char)p[len]);

		if (start && end)
			return true;
	}
	return false;
}

static char *line_value(const char *line)
{
	const char *colon = strchr(line, ':');
	const char *end;

	if (!colon)
		return strdup("");
	colon++;
	while (*colon == ' ' || *colon == '\t')
		colon++;
	end = colon + strcspn(colon, "\n");
	return strndup(colon, (size_t)(end - colon));
}

/* The first CPU's block of /proc/cpuinfo: x86 "flags" and "vendor_id", or arm64 "Features". */
int parse_cpuinfo(const char *s, struct iommucap_hostinfo *hi)
{
	static const char *const names[_IOMMUCAP_CPU_FLAG_MAX] = {
		[IOMMUCAP_CPU_LAM] = "lam",
		[IOMMUCAP_CPU_ENQCMD] = "enqcmd",
		[IOMMUCAP_CPU_LA57] = "la57",
		[IOMMUCAP_CPU_PDPE1GB] = "pdpe1gb",
	};
	_cleanup_free_ char *flags = NULL;
	bool other_arch = false;

	for (const char *line = s; *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);

		if (len == 0 && (flags || other_arch))
			break; /* end of the first CPU's block */
		if (!flags && startswith(line, "flags") && strchr(" \t:", line[5])) {
			flags = line_value(line);
			if (!flags)
				return -ENOMEM;
		} else if (!hi->cpu_vendor &&
			   (startswith(line, "vendor_id") || startswith(line, "CPU implementer"))) {
			hi->cpu_vendor = line_value(line);
			if (!hi->cpu_vendor)
				return -ENOMEM;
		} else if (startswith(line, "Features") && strchr(" \t:", line[8]))
			other_arch = true;
		if (!nl)
			break;
		line = nl + 1;
	}
	if (!flags && !other_arch)
		return -ENODATA;
	/* On a CPU that is not x86 these x86 features are simply absent. */
	for (int i = 0; i < _IOMMUCAP_CPU_FLAG_MAX; i++)
		hi->cpu_flags[i] = flags && has_word(flags, names[i]);
	hi->cpu_flags_known = true;
	return 0;
}

static int read_dmar_haw(struct iommucap_root *r, struct iommucap_hostinfo *hi)
{
	_cleanup_free_ char *tbl = NULL;
	size_t len;
	int k = sysfs_read(r, "sys/firmware/acpi/tables/DMAR", 64 * 1024, &tbl, &len);

	/* Byte 36 of the DMAR table: Host Address Width minus one. Readable by root only. */
	if (k >= 0 && len >= 38 && memcmp(tbl, "DMAR", 4) == 0) {
		hi->dmar_haw = (unsigned char)tbl[36] + 1;
		return 0;
	}
	if (k >= 0)
		k = asprintf(&hi->dmar_reason, "the ACPI DMAR table is malformed");
	else if (k == -ENOENT)
		k = asprintf(&hi->dmar_reason,
			     "the host address width is in the ACPI DMAR table, which is absent");
	else
		k = asprintf(&hi->dmar_reason,
			     "the host address width is in the ACPI DMAR table: cannot read it: %s",
			     strerror(-k));
	return k < 0 ? -ENOMEM : 0;
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
	return read_dmar_haw(r, hi);
}
