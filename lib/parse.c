/* Parsers for the value formats sysfs and procfs print. */
#include "config.h"

#include <ctype.h>

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
