/* Bounded reads, link resolution and directory listing under one root directory fd. */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <limits.h>
#include <sys/syscall.h>

#include "macro.h"
#include "parse.h"
#include "sysfs.h"

int iommucap_root_open(const char *sysroot, struct iommucap_root **ret)
{
	_cleanup_free_ struct iommucap_root *r = NULL;
	_cleanup_close_ int fd = -1;

	if (!sysroot || !*sysroot)
		sysroot = "/";
	fd = open(sysroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->path = strdup(sysroot);
	if (!r->path)
		return -ENOMEM;
	/* On "/" there is nothing to escape from; under a captured tree, links must not leave it.
	 */
	r->confined = !streq(sysroot, "/");
	r->have_openat2 = true;
	for (unsigned i = 0; i < SYSFS_DIR_CACHE; i++)
		r->dirs[i].fd = -1;
	r->fd = TAKE_FD(fd);
	*ret = TAKE_PTR(r);
	return 0;
}

struct iommucap_root *iommucap_root_free(struct iommucap_root *r)
{
	if (!r)
		return NULL;
	for (unsigned i = 0; i < SYSFS_DIR_CACHE; i++) {
		if (r->dirs[i].fd >= 0)
			close(r->dirs[i].fd);
		free(r->dirs[i].path);
	}
	if (r->fd >= 0)
		close(r->fd);
	free(r->path);
	free(r);
	return NULL;
}

/*
 * One walk of a normalised path, a name at a time with O_NOFOLLOW. At a link, the rest of the
 * walk is the link's target spliced in lexically (so neither an absolute target nor ".." climbs
 * above the root): *ret_next gets that path and 0 is returned. Otherwise the final fd.
 */
static int walk(struct iommucap_root *r, const char *path, char **ret_next)
{
	_cleanup_free_ char *done = strdup("");
	const char *p = path;
	int fd, k;

	*ret_next = NULL;
	if (!done)
		return -ENOMEM;
	fd = openat(r->fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (*p) {
		size_t len = strcspn(p, "/");
		char name[NAME_MAX + 1], target[PATH_MAX];
		struct stat st;
		ssize_t n;
		char *nd;
		int nfd;

		if (len > NAME_MAX) {
			close(fd);
			return -ENAMETOOLONG;
		}
		memcpy(name, p, len);
		name[len] = 0;
		p += len + (p[len] == '/');
		nfd = openat(fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		if (nfd < 0)
			return -errno;
		if (fstat(nfd, &st) < 0) {
			k = -errno;
			close(nfd);
			return k;
		}
		if (!S_ISLNK(st.st_mode)) {
			fd = nfd;
			nd = path_join(done, name);
			if (!nd) {
				close(fd);
				return -ENOMEM;
			}
			free(done);
			done = nd;
			continue;
		}
		n = readlinkat(nfd, "", target, sizeof(target) - 1);
		k = n < 0 ? -errno : 0;
		close(nfd);
		if (k < 0)
			return k;
		target[n] = 0;
		_cleanup_free_ char *base = NULL, *rest = NULL;
		k = sysfs_path_join(done, target, &base);
		if (k < 0)
			return k;
		rest = *p ? path_join(base, p) : strdup(base);
		if (!rest)
			return -ENOMEM;
		k = sysfs_path_join("", rest, ret_next);
		return k < 0 ? k : 0;
	}
	return fd;
}

/* Without openat2(): walk the path ourselves, following at most 40 links. */
static int chase(struct iommucap_root *r, const char *path)
{
	_cleanup_free_ char *todo = NULL;
	int k = sysfs_path_join("", path, &todo);

	if (k < 0)
		return k;
	for (unsigned hops = 0; hops <= 40; hops++) {
		char *next;
		int fd = walk(r, todo, &next);

		if (!next)
			return fd;
		free(todo);
		todo = next;
	}
	return -ELOOP;
}

/* Open a directory (O_PATH) relative to the root, confined to it when the root is not "/". */
static int open_dir_uncached(struct iommucap_root *r, const char *path)
{
	int fd;

	if (!r->confined) {
		fd = openat(r->fd, path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		return fd < 0 ? -errno : fd;
	}
	if (r->have_openat2) {
		struct open_how how = {
			.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
			.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
		};
		/* EAGAIN: a rename or mount anywhere raced the resolution of a ".." (the links of
		 * sysfs are full of them); openat2(2) says to try again. */
		for (unsigned tries = 0; tries < 16; tries++) {
			fd = (int)syscall(SYS_openat2, r->fd, path, &how, sizeof(how));
			if (fd >= 0 || errno != EAGAIN)
				break;
		}
		if (fd >= 0)
			return fd;
		if (errno != ENOSYS && errno != EPERM)
			return -errno;
		r->have_openat2 = false; /* old kernel, seccomp or valgrind: walk it ourselves */
	}
	fd = chase(r, path);
	if (fd >= 0) {
		struct stat st;
		int k = fstat(fd, &st) < 0 ? -errno : S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;

		if (k < 0) {
			close(fd);
			return k;
		}
	}
	return fd;
}

/*
 * A cached directory fd (owned by the cache: callers never close it). The least recently asked
 * for goes first: a unit's class directory and its parent, asked for with every unit, stay
 * (round robin closed and opened them again every other unit).
 */
static int open_dir(struct iommucap_root *r, const char *path)
{
	unsigned slot = 0;
	int fd;

	if (!*path)
		return r->fd;
	for (unsigned i = 0; i < SYSFS_DIR_CACHE; i++)
		if (r->dirs[i].path && streq(r->dirs[i].path, path)) {
			r->dirs[i].used = ++r->clock;
			return r->dirs[i].fd;
		}
	fd = open_dir_uncached(r, path);
	if (fd < 0)
		return fd;
	for (unsigned i = 1; i < SYSFS_DIR_CACHE; i++)
		if (r->dirs[i].used < r->dirs[slot].used)
			slot = i;
	r->dirs[slot].used = ++r->clock;
	if (r->dirs[slot].fd >= 0)
		close(r->dirs[slot].fd);
	free(r->dirs[slot].path);
	r->dirs[slot].path = strdup(path);
	r->dirs[slot].fd = fd;
	if (!r->dirs[slot].path) {
		close(fd);
		r->dirs[slot].fd = -1;
		return -ENOMEM;
	}
	return fd;
}

/* Split path into its directory (opened through the cache) and its last name. */
static int split(struct iommucap_root *r, const char *path, const char **ret_name)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];

	if (!slash) {
		*ret_name = path;
		return r->fd;
	}
	if ((size_t)(slash - path) >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = 0;
	*ret_name = slash + 1;
	return open_dir(r, dir);
}

static int open_depth(struct iommucap_root *r, const char *path, int flags, unsigned depth)
{
	_cleanup_free_ char *target = NULL;
	const char *name;
	char dir[PATH_MAX];
	int dfd = split(r, path, &name), fd, k;

	if (dfd < 0)
		return dfd;
	fd = openat(dfd, name, flags | O_CLOEXEC | O_NOCTTY | (r->confined ? O_NOFOLLOW : 0));
	if (fd >= 0)
		return fd;
	if (errno != ELOOP || !r->confined)
		return -errno;
	/* The last name is a link: follow it inside the root. */
	if (depth >= 40)
		return -ELOOP;
	snprintf(dir, sizeof(dir), "%.*s", (int)(name > path ? name - path - 1 : 0), path);
	k = sysfs_resolve_link(r, dir, name, &target);
	if (k < 0)
		return k;
	return open_depth(r, target, flags, depth + 1);
}

void sysfs_forget_dirs(struct iommucap_root *r)
{
	for (size_t i = 0; i < SYSFS_DIR_CACHE; i++) {
		if (r->dirs[i].fd >= 0)
			close(r->dirs[i].fd);
		free(r->dirs[i].path);
		r->dirs[i].path = NULL;
		r->dirs[i].fd = -1;
		r->dirs[i].used = 0;
	}
}

int sysfs_open(struct iommucap_root *r, const char *path, int flags)
{
	return open_depth(r, path, flags, 0);
}

int sysfs_stat(struct iommucap_root *r, const char *path, struct stat *ret)
{
	const char *name;
	int dfd = split(r, path, &name);

	if (dfd < 0)
		return dfd;
	return fstatat(dfd, name, ret, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

bool sysfs_dir_ok(struct iommucap_root *r, const char *path)
{
	return open_dir(r, path) >= 0;
}

static int cmp_bytes(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void strv_sort(char **v, size_t n)
{
	if (n > 1)
		qsort_safe(v, n, sizeof(char *), cmp_bytes);
}

bool sysfs_is_dir(struct iommucap_root *r, const char *dir, const char *name)
{
	int dfd = open_dir(r, dir);
	struct stat st;

	return dfd >= 0 && fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

/*
 * A sysfs attribute gives its whole value to the first read that has room for it: a text
 * attribute's show() writes at most a page, which seq_read_iter() copies out at once, and a
 * binary one gives up to a page per read (Linux 6.12 fs/kernfs/file.c, kernfs_fop_read_iter()
 * and kernfs_file_read_iter()). A read shorter than asked and than a page is its end, with no
 * read of nothing to say so; files in a captured tree are regular files, whose reads are short
 * only at their end. Not so /proc (cpuinfo comes a page at a time) and FIFOs.
 */
#define SYSFS_PAGE 4096

static int read_fd_bounded(int fd, size_t max, bool short_is_end, bool max_is_end, char **ret,
			   size_t *ret_len)
{
	/* Attributes fit a page: read into the stack and copy out what was read, once. */
	char stack[SYSFS_ATTR_MAX + 1];
	_cleanup_free_ char *heap = NULL;
	char *buf = stack;
	size_t cap = sizeof(stack), len = 0;

	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *nb;

			if (len > max)
				return -EFBIG;
			cap = cap * 4 > max + 1 ? max + 1 : cap * 4;
			nb = realloc(heap, cap);
			if (!nb)
				return -ENOMEM;
			if (!heap)
				memcpy(nb, stack, len);
			heap = buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max)
			return -EFBIG;
		if (short_is_end && (size_t)n < cap - (len - (size_t)n) && n < SYSFS_PAGE)
			break;
		if (max_is_end && len == max)
			break;
	}
	*ret = malloc(len + 1);
	if (!*ret)
		return -ENOMEM;
	memcpy(*ret, buf, len);
	(*ret)[len] = 0;
	if (ret_len)
		*ret_len = len;
	return 0;
}

static int read_impl(struct iommucap_root *r, const char *path, size_t max, bool max_is_end,
		     char **ret, size_t *ret_len)
{
	/* O_NONBLOCK: a FIFO planted in a captured tree must not hang us. */
	_cleanup_close_ int fd = sysfs_open(r, path, O_RDONLY | O_NONBLOCK);

	if (fd < 0)
		return fd;
	size_t len;
	struct stat st;
	int k;

	/*
	 * No fstat() up front (it costs a tenth of a probe): a directory fails the read with
	 * EISDIR, a socket fails the open, a device is cut at max; only an empty read asks whether
	 * it was a FIFO or a device rather than an empty file.
	 */
	k = read_fd_bounded(fd, max, startswith(path, "sys/"), max_is_end, ret, &len);
	if (k < 0)
		return k == -EAGAIN ? -EFTYPE_NOTREG : k;
	if (len == 0 && fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
		free(*ret);
		*ret = NULL;
		return -EFTYPE_NOTREG;
	}
	if (ret_len)
		*ret_len = len;
	return 0;
}

int sysfs_read(struct iommucap_root *r, const char *path, size_t max, char **ret, size_t *ret_len)
{
	return read_impl(r, path, max, false, ret, ret_len);
}

int sysfs_read_head(struct iommucap_root *r, const char *path, size_t max, char **ret,
		    size_t *ret_len)
{
	return read_impl(r, path, max, true, ret, ret_len);
}

int sysfs_read_line(struct iommucap_root *r, const char *path, char **ret)
{
	char *s;
	size_t len;
	int k = sysfs_read(r, path, SYSFS_ATTR_MAX, &s, &len);

	if (k < 0)
		return k;
	if (memchr(s, 0, len)) {
		free(s);
		return -EBADMSG;
	}
	while (len > 0 && strchr(" \t\r\n", s[len - 1]))
		s[--len] = 0;
	*ret = s;
	return 0;
}

char *path_join(const char *a, const char *b)
{
	char *s;

	if (!a || !*a)
		return strdup(b);
	if (asprintf(&s, "%s/%s", a, b) < 0)
		return NULL;
	return s;
}

const char *path_basename(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

int sysfs_path_join(const char *dir, const char *target, char **ret)
{
	_cleanup_free_ char *joined = NULL;
	_cleanup_free_ char *out = NULL;
	size_t o = 0;
	char *save = NULL, *tok;

	if (target[0] == '/')
		joined = strdup(target);
	else
		joined = path_join(dir, target);
	if (!joined)
		return -ENOMEM;
	out = malloc(strlen(joined) + 1);
	if (!out)
		return -ENOMEM;
	for (tok = strtok_r(joined, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (streq(tok, "."))
			continue;
		if (streq(tok, "..")) {
			/* Like a chroot: ".." at the root stays at the root. */
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
			continue;
		}
		if (o > 0)
			out[o++] = '/';
		memcpy(out + o, tok, strlen(tok));
		o += strlen(tok);
	}
	out[o] = 0;
	*ret = TAKE_PTR(out);
	return 0;
}

static bool looks_like_link_target(const char *s)
{
	if (!*s || strchr(s, '\n'))
		return false;
	return s[0] == '/' || startswith(s, "../") || startswith(s, "./");
}

int sysfs_resolve_link(struct iommucap_root *r, const char *dir, const char *name, char **ret)
{
	_cleanup_free_ char *path = path_join(dir, name);
	char target[4096];
	ssize_t n;
	int dfd = open_dir(r, dir);

	if (!path)
		return -ENOMEM;
	if (dfd < 0)
		return dfd;
	n = readlinkat(dfd, name, target, sizeof(target) - 1);
	if (n >= 0) {
		target[n] = 0;
		return sysfs_path_join(dir, target, ret);
	}
	if (errno == EINVAL && r->confined) {
		/* Not a symbolic link: maybe a link file from a capture that flattened links. */
		_cleanup_free_ char *s = NULL;
		size_t len;
		int k = sysfs_read(r, path, sizeof(target) - 1, &s, &len);

		if (k < 0)
			return k == -EISDIR ? -EINVAL : k;
		if (memchr(s, 0, len) || !looks_like_link_target(s))
			return -EINVAL;
		return sysfs_path_join(dir, s, ret);
	}
	return -errno;
}

void strv_free(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int strv_push(char ***v, size_t *n, char *s)
{
	char **nv;

	if (!s)
		return -ENOMEM;
	nv = realloc(*v, (*n + 1) * sizeof(char *));
	if (!nv) {
		free(s);
		return -ENOMEM;
	}
	nv[(*n)++] = s;
	*v = nv;
	return 0;
}

int strv_vpushf(char ***v, size_t *n, const char *fmt, va_list ap)
{
	char *s;

	return vasprintf(&s, fmt, ap) < 0 ? -ENOMEM : strv_push(v, n, s);
}

int strv_pushf(char ***v, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = strv_vpushf(v, n, fmt, ap);
	va_end(ap);
	return k;
}

static int cmp_version(const void *a, const void *b)
{
	return strverscmp(*(char *const *)a, *(char *const *)b);
}

/* A directory to list: from its own cached fd when it has one (a unit's directory, whose
 * attributes were just read), not through its parent, which would be opened again. */
static int open_to_list(struct iommucap_root *r, const char *path)
{
	for (unsigned i = 0; i < SYSFS_DIR_CACHE; i++)
		if (r->dirs[i].path && streq(r->dirs[i].path, path)) {
			int fd = openat(r->dirs[i].fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

			return fd < 0 ? -errno : fd;
		}
	return sysfs_open(r, path, O_RDONLY | O_DIRECTORY);
}

/*
 * The names in a directory, read with getdents64() itself: libc's fdopendir() and readdir()
 * add an fstat and two fcntl calls to each listing (glibc 2.36; strace -c of a probe of 64
 * generated units: 387 listings, 774 fcntl), a tenth of the probe's system calls.
 */
static int list_impl(struct iommucap_root *r, const char *path, bool dirs_only, char ***ret,
		     size_t *ret_n)
{
	_cleanup_close_ int fd = open_to_list(r, path);
	char buf[8192] __attribute__((aligned(8)));
	char **v = NULL;
	size_t n = 0;

	if (fd < 0)
		return fd;
	for (;;) {
		ssize_t len = getdents64(fd, buf, sizeof(buf));

		if (len < 0 && errno == EINTR)
			continue;
		if (len < 0) {
			int k = -errno;

			strv_free(v, n);
			return k;
		}
		if (len == 0)
			break;
		for (size_t off = 0; off < (size_t)len;) {
			const struct dirent64 *de = (const struct dirent64 *)(buf + off);

			off += de->d_reclen;
			if (streq(de->d_name, ".") || streq(de->d_name, ".."))
				continue;
			if (dirs_only && de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
				continue;
			if (strv_push(&v, &n, strdup(de->d_name)) < 0) {
				strv_free(v, n);
				return -ENOMEM;
			}
		}
	}
	if (n > 1)
		qsort_safe(v, n, sizeof(char *), cmp_version);
	*ret = v;
	*ret_n = n;
	return 0;
}

int sysfs_list(struct iommucap_root *r, const char *path, char ***ret, size_t *ret_n)
{
	return list_impl(r, path, false, ret, ret_n);
}

int sysfs_list_in(struct iommucap_root *r, const char *dir, const char *name, char ***ret,
		  size_t *ret_n)
{
	_cleanup_free_ char *path = path_join(dir, name);

	return path ? list_impl(r, path, false, ret, ret_n) : -ENOMEM;
}

int sysfs_list_dirs(struct iommucap_root *r, const char *path, char ***ret, size_t *ret_n)
{
	return list_impl(r, path, true, ret, ret_n);
}

bool sysfs_exists(struct iommucap_root *r, const char *path)
{
	struct stat st;

	return sysfs_stat(r, path, &st) == 0;
}

char *value_excerpt(const char *s)
{
	char buf[32 * 4 + 8];
	size_t o = 0, i;

	buf[o++] = '"';
	for (i = 0; s[i] && i < 32; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\\x%02x", c);
	}
	if (s[i]) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '"';
	buf[o] = 0;
	return strdup(buf);
}

static char *read_error_reason(const char *name, int err)
{
	char *s = NULL;
	int k;

	if (err == -EFTYPE_NOTREG)
		k = asprintf(&s, "%s is not a regular file", name);
	else if (err == -EFBIG)
		k = asprintf(&s, "%s is larger than %d bytes", name, SYSFS_ATTR_MAX);
	else if (err == -EBADMSG)
		k = asprintf(&s, "%s holds binary data", name);
	else if (err == -ENOENT)
		k = asprintf(&s, "%s is missing", name);
	else
		k = asprintf(&s, "cannot read %s: %s", name, strerror(-err));
	return k < 0 ? NULL : s;
}

int attr_read(struct iommucap_root *r, const char *dir, const char *name, char **ret,
	      char **ret_reason)
{
	_cleanup_free_ char *path = path_join(dir, name);
	char *s;
	int k;

	if (!path)
		return -ENOMEM;
	k = sysfs_read_line(r, path, &s);
	if (k < 0) {
		*ret_reason = read_error_reason(name, k);
		return k;
	}
	*ret = s;
	return 0;
}

static int attr_read_num(struct iommucap_root *r, const char *dir, const char *name, bool hex,
			 uint64_t *ret, char **ret_reason)
{
	_cleanup_free_ char *s = NULL;
	int k = attr_read(r, dir, name, &s, ret_reason);

	if (k < 0)
		return k;
	if (!*s) {
		if (asprintf(ret_reason, "%s is empty", name) < 0)
			*ret_reason = NULL;
		return -ENODATA;
	}
	k = hex ? parse_hex_u64(s, ret) : parse_dec_u64(s, ret);
	if (k < 0) {
		_cleanup_free_ char *ex = value_excerpt(s);

		if (asprintf(ret_reason, "%s is not a %s number: %s", name,
			     hex ? "hexadecimal" : "decimal", ex ? ex : "?") < 0)
			*ret_reason = NULL;
		return k;
	}
	return 0;
}

int attr_read_hex(struct iommucap_root *r, const char *dir, const char *name, uint64_t *ret,
		  char **ret_reason)
{
	return attr_read_num(r, dir, name, true, ret, ret_reason);
}

int attr_read_dec(struct iommucap_root *r, const char *dir, const char *name, uint64_t *ret,
		  char **ret_reason)
{
	return attr_read_num(r, dir, name, false, ret, ret_reason);
}
