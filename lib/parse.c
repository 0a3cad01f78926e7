/* Parsers for the value formats sysfs and procfs print. */
#include "config.h"

#include <ctype.h>

#include "iommucap.h"
#include "macro.h"
#include "parse.h"

static const char *skip_space(const char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	return s;
}

static int parse_u64_base(const char *s, unsigned base, uint64_t *ret)
{
	uint64_t v = 0;
	size_t digits = 0;

	s = skip_space(s);
	if (base == 16 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (; *s; s++, digits++) {
		unsigned d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	if (digits == 0)
		return -EINVAL;
	if (*skip_space(s))
		return -EINVAL;
	*ret = v;
	return 0;
}

int parse_hex_u64(const char *s, uint64_t *ret)
{
	return parse_u64_base(s, 16, ret);
}

int parse_dec_u64(const char *s, uint64_t *ret)
{
	return parse_u64_base(s, 10, ret);
}

int parse_kernel_release(const char *s, int *ret_major, int *ret_minor)
{
	char *end;
	long maj, min;

	s = skip_space(s);
	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	maj = strtol(s, &end, 10);
	if (errno || *end != '.' || !isdigit((unsigned char)end[1]) || maj > 1000)
		return -EINVAL;
	min = strtol(end + 1, &end, 10);
	if (errno || min > 1000)
		return -EINVAL;
	*ret_major = (int)maj;
	*ret_minor = (int)min;
	return 0;
}

const char *amd_features_format_name(enum amd_features_format f)
{
	switch (f) {
	case AMD_FEATURES_EFR:
		return "efr";
	case AMD_FEATURES_EFR2_EFR:
		return "efr2:efr";
	case AMD_FEATURES_EFR_EFR2:
		return "efr:efr2";
	}
	return "unknown";
}

int parse_amd_features(const char *s, int kmajor, int kminor, uint64_t *ret_efr, uint64_t *ret_efr2,
		       bool *ret_efr2_known, enum amd_features_format *ret_fmt, bool *ret_guessed)
{
	_cleanup_free_ char *copy = strdup(s);
	char *colon;
	uint64_t a, b;
	bool guessed = false;
	enum amd_features_format fmt;
	int k;

	if (!copy)
		return -ENOMEM;
	colon = strchr(copy, ':');
	if (!colon) {
		k = parse_hex_u64(copy, &a);
		if (k < 0)
			return k;
		*ret_efr = a;
		*ret_efr2 = 0;
		*ret_efr2_known = false;
		*ret_fmt = AMD_FEATURES_EFR;
		*ret_guessed = false;
		return 0;
	}
	*colon = 0;
	if (strchr(colon + 1, ':'))
		return -EINVAL;
	k = parse_hex_u64(copy, &a);
	if (k < 0)
		return k;
	k = parse_hex_u64(colon + 1, &b);
	if (k < 0)
		return k;
	if (kmajor < 0) {
		/* No kernel release: assume the current order and say so. */
		fmt = AMD_FEATURES_EFR_EFR2;
		guessed = true;
	} else if (kmajor < 6 || (kmajor == 6 && kminor <= 6))
		fmt = AMD_FEATURES_EFR2_EFR;
	else
		fmt = AMD_FEATURES_EFR_EFR2;
	if (fmt == AMD_FEATURES_EFR2_EFR) {
		*ret_efr2 = a;
		*ret_efr = b;
	} else {
		*ret_efr = a;
		*ret_efr2 = b;
	}
	*ret_efr2_known = true;
	*ret_fmt = fmt;
	*ret_guessed = guessed;
	return 0;
}

int parse_resv_region(const char *line, uint64_t *ret_start, uint64_t *ret_end, char **ret_type)
{
	_cleanup_free_ char *copy = strdup(line);
	char *tok[4], *save = NULL;
	size_t n = 0;
	uint64_t start, end;

	if (!copy)
		return -ENOMEM;
	/* Exactly three words: "0x%016llx 0x%016llx %s". */
	for (char *t = strtok_r(copy, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save)) {
		if (n == ELEMENTSOF(tok))
			return -EINVAL;
		tok[n++] = t;
	}
	if (n != 3)
		return -EINVAL;
	if (parse_hex_u64(tok[0], &start) < 0 || parse_hex_u64(tok[1], &end) < 0 || end < start)
		return -EINVAL;
	*ret_type = strdup(tok[2]);
	if (!*ret_type)
		return -ENOMEM;
	*ret_start = start;
	*ret_end = end;
	return 0;
}

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
		hi->cpu_flags[i] = flags && has_word(flags, iommucap_cpu_flag_names[i]);
	hi->cpu_flags_known = true;
	return 0;
}
