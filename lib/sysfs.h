/* Bounded reads, link resolution and directory listing under one root directory fd. */
#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>

#include "iommucap.h"

/* Largest sysfs attribute we accept (a page, as the kernel's sysfs_emit). */
#define SYSFS_ATTR_MAX 4096
/* PCI configuration space: 4 KiB of extended space. */
#define SYSFS_CONFIG_MAX 4096
/* /proc/cpuinfo can be long on big machines; we read the first CPU's block only. */
#define SYSFS_CPUINFO_MAX (256 * 1024)

/* Returned for a path that is a FIFO, socket or device node where a file belongs. */
#define EFTYPE_NOTREG ENOSTR

#define SYSFS_DIR_CACHE 4

/*
 * The root, and the few directories read last: a unit's or a device's attributes are read one
 * after the other, so each directory is opened once. Every file is opened by its last name
 * relative to such a directory fd, which was itself opened without leaving the root.
 */
struct iommucap_root {
	int fd;
	char *path;
	bool confined; /* a --sysroot other than "/": links must not lead out of it */
	bool have_openat2;
	struct {
		char *path;
		int fd;		    /* O_PATH */
		unsigned long used; /* when last asked for: the least recent one goes first */
	} dirs[SYSFS_DIR_CACHE];
	unsigned long clock;
};

/* Close the directories kept open: between two reads of a tree that may have changed, a kept
 * directory that moved would be read where it went. */
void sysfs_forget_dirs(struct iommucap_root *r);

/* Open a path relative to the root, never leaving it. */
int sysfs_open(struct iommucap_root *r, const char *path, int flags);

/* stat() a path relative to the root without following a final link. */
int sysfs_stat(struct iommucap_root *r, const char *path, struct stat *ret);

/* Can the directory be opened (inside the root)? Cheap: it is then cached for what follows. */
bool sysfs_dir_ok(struct iommucap_root *r, const char *path);

/* Sort names in plain byte order (fixed-width hexadecimal PCI addresses sort correctly). */
void strv_sort(char **v, size_t n);

/* Is dir/name a directory (not a link to one)? */
bool sysfs_is_dir(struct iommucap_root *r, const char *dir, const char *name);

/* Read a whole file of at most max bytes, NUL-terminated. -EFBIG when longer. */
int sysfs_read(struct iommucap_root *r, const char *path, size_t max, char **ret, size_t *ret_len);
/* Its first max bytes at most: a file that cannot be longer (a PCI function's configuration
 * space) is not read once more to see its end. */
int sysfs_read_head(struct iommucap_root *r, const char *path, size_t max, char **ret,
		    size_t *ret_len);

/* Read a one-line attribute with trailing whitespace stripped. */
int sysfs_read_line(struct iommucap_root *r, const char *path, char **ret);

/*
 * Resolve the link dir/name to a normalised path relative to the root. Accepts a real symbolic
 * link or a "link file": a small regular file holding the link's target, which is what capture
 * tools that cannot store links leave behind. -EINVAL when it is neither.
 */
int sysfs_resolve_link(struct iommucap_root *r, const char *dir, const char *name, char **ret);

/* Join dir and a (relative or absolute) link target and normalise it, clamped at the root. */
int sysfs_path_join(const char *dir, const char *target, char **ret);

/* The names in a directory, sorted in version order, without "." and "..". */
int sysfs_list(struct iommucap_root *r, const char *path, char ***ret, size_t *ret_n);
/* The same of dir/name. */
int sysfs_list_in(struct iommucap_root *r, const char *dir, const char *name, char ***ret,
		  size_t *ret_n);

/* The same, keeping only subdirectories (by d_type; entries of unknown type are kept). */
int sysfs_list_dirs(struct iommucap_root *r, const char *path, char ***ret, size_t *ret_n);

bool sysfs_exists(struct iommucap_root *r, const char *path);

char *path_join(const char *a, const char *b);
const char *path_basename(const char *p);

void strv_free(char **v, size_t n);
int strv_push(char ***v, size_t *n, char *s);
/* strv_push() of a formatted string. */
int strv_pushf(char ***v, size_t *n, const char *fmt, ...) _printf_(3, 4);
int strv_vpushf(char ***v, size_t *n, const char *fmt, va_list ap) _printf_(3, 0);

/*
 * Read dir/name as one line. On failure *ret_reason says why, in words ("cannot read cap:
 * Permission denied", "cap is empty", ...), and a negative errno is returned.
 */
int attr_read(struct iommucap_root *r, const char *dir, const char *name, char **ret,
	      char **ret_reason);

/* Read dir/name as a hexadecimal number, with the same reasons. */
int attr_read_hex(struct iommucap_root *r, const char *dir, const char *name, uint64_t *ret,
		  char **ret_reason);

/* Read dir/name as a decimal number, with the same reasons. */
int attr_read_dec(struct iommucap_root *r, const char *dir, const char *name, uint64_t *ret,
		  char **ret_reason);

/* Short quoted excerpt of a bad value for messages (at most 32 characters, escaped). */
char *value_excerpt(const char *s);
