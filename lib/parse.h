/* Parsers for the value formats sysfs and procfs print. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A hexadecimal number as sysfs prints it ("%llx": no 0x, no padding), also accepting a 0x
 * prefix, surrounding whitespace and a trailing newline. -EINVAL for empty or non-hex input,
 * -ERANGE beyond 64 bits.
 */
int parse_hex_u64(const char *s, uint64_t *ret);

/* A decimal number, with the same tolerance for whitespace. */
int parse_dec_u64(const char *s, uint64_t *ret);

/* "major.minor[...]" of a kernel release. */
int parse_kernel_release(const char *s, int *ret_major, int *ret_minor);

/* The layout of the AMD "features" attribute, chosen by the kernel release (see below). */
enum amd_features_format {
	AMD_FEATURES_EFR,      /* "%llx": EFR only, kernels up to 5.19 */
	AMD_FEATURES_EFR2_EFR, /* "%llx:%llx" EFR2 first, kernels 6.0 to 6.6 */
	AMD_FEATURES_EFR_EFR2, /* "%llx:%llx" EFR first, kernels 6.7 and later */
};

/*
 * Parse the AMD "features" attribute. Without a colon the value is EFR alone; with one, the
 * order depends on the kernel (major/minor, -1 when unknown: then the newest order is assumed
 * and *ret_guessed is set). ret_efr2_known is false when the string holds EFR only.
 */
int parse_amd_features(const char *s, int kmajor, int kminor, uint64_t *ret_efr, uint64_t *ret_efr2,
		       bool *ret_efr2_known, enum amd_features_format *ret_fmt, bool *ret_guessed);

const char *amd_features_format_name(enum amd_features_format f);

/* A reserved_regions line: "0x%016llx 0x%016llx %s". */
int parse_resv_region(const char *line, uint64_t *ret_start, uint64_t *ret_end, char **ret_type);

struct iommucap_kv;
struct iommucap_hostinfo;

/* The kernel command line's IOMMU options, '-' in names read as '_', in order; up to "--". */
int parse_cmdline(const char *s, struct iommucap_kv **ret, size_t *ret_n);

/* The first CPU's block of /proc/cpuinfo; -ENODATA without a flags or Features line. */
int parse_cpuinfo(const char *s, struct iommucap_hostinfo *hi);
