/* bench-probe: probe time on synthetic trees of 1 to 1024 IOMMU units against a bare read loop. */
#include "config.h"

#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>

#include "iommucap.h"
#include "macro.h"
#include "gen-tree.h"

/*
 * What does the probe do to the file system? The program is linked with -Wl,--wrap for the calls
 * the library makes (see local.mk), so while recording, every open (openat2 through syscall(),
 * openat, open), dup, read, fstat, fstatat, readlinkat, getdents64 and close made by the
 * library is logged in order, with its file descriptors. From the log:
 *   - the bare loop reads the regular files the probe opened (their paths resolved through
 *     /proc/self/fd, as the library may open them relative to directory descriptors);
 *   - the replay makes the same calls again, on the same descriptors, without the library's
 *     user-space work, which shows how much of the probe's time is system calls.
 * The timed code calls the __real_ functions directly.
 */
enum op_kind {
	OP_OPEN, /* openat2, openat or open; ret is the fd or -errno */
	OP_DUP,
	OP_READ, /* size: the bytes asked for */
	OP_FSTAT,
	OP_FSTATAT,
	OP_READLINK,
	OP_GETDENTS, /* a directory's entries; size: the bytes asked for */
	OP_CLOSE,
	_OP_MAX,
};

/* What an open was, for the counts. */
enum open_class {
	OPEN_FILE,  /* a regular file: what the bare loop reads */
	OPEN_DIR,   /* a directory, or an O_PATH descriptor */
	OPEN_OTHER, /* something else opened as a file (a directory tried as a link file) */
	OPEN_MISS,  /* failed (an optional file that is absent) */
	_OPEN_MAX,
};

/* Time accounting of the replay and bare loop: opens by class, then the other kinds. */
#define N_CAT (_OPEN_MAX + _OP_MAX - 1)

static unsigned op_cat(enum op_kind kind, enum open_class cls)
{
	return kind == OP_OPEN ? (unsigned)cls : _OPEN_MAX + (unsigned)kind - 1;
}

struct op {
	enum op_kind kind;
	enum open_class cls;
	enum { VIA_OPENAT, VIA_OPENAT2, VIA_OPEN } via;
	int fd;	 /* the directory fd of *at calls, or the fd operated on */
	int ret; /* returned fd, or -errno */
	uint64_t flags, resolve;
	size_t size;
	char *path;  /* as passed */
	char *rpath; /* opens: the object opened, relative to the tree */
};

#define REC_FD_MAX 4096

static struct {
	bool on;
	bool oom;
	char root[PATH_MAX]; /* the tree, as /proc/self/fd shows it */
	struct op *ops;
	size_t n;
} rec;

long __real_syscall(long nr, ...);
long __wrap_syscall(long nr, ...);
int __real_open(const char *path, int flags, ...);
int __wrap_open(const char *path, int flags, ...);
int __real_openat(int dfd, const char *path, int flags, ...);
int __wrap_openat(int dfd, const char *path, int flags, ...);
int __real_dup(int fd);
int __wrap_dup(int fd);
ssize_t __real_read(int fd, void *buf, size_t size);
ssize_t __wrap_read(int fd, void *buf, size_t size);
int __real_fstat(int fd, struct stat *st);
int __wrap_fstat(int fd, struct stat *st);
int __real_fstatat(int dfd, const char *path, struct stat *st, int flags);
int __wrap_fstatat(int dfd, const char *path, struct stat *st, int flags);
ssize_t __real_readlinkat(int dfd, const char *path, char *buf, size_t size);
ssize_t __wrap_readlinkat(int dfd, const char *path, char *buf, size_t size);
ssize_t __real_getdents64(int fd, void *buf, size_t size);
ssize_t __wrap_getdents64(int fd, void *buf, size_t size);
int __real_close(int fd);
int __wrap_close(int fd);
/* With _FORTIFY_SOURCE (Debian's hardening flags), the library calls these instead. */
int __wrap___open_2(const char *path, int flags);
int __wrap___openat_2(int dfd, const char *path, int flags);
ssize_t __wrap___read_chk(int fd, void *buf, size_t size, size_t buflen);
ssize_t __wrap___readlinkat_chk(int dfd, const char *path, char *buf, size_t size, size_t buflen);

/* The path of an open descriptor relative to the tree, or as the kernel shows it. */
static char *fd_rpath(int fd)
{
	char proc[64], buf[PATH_MAX];
	size_t rl = strlen(rec.root);
	ssize_t n;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = __real_readlinkat(AT_FDCWD, proc, buf, sizeof(buf) - 1);
	if (n < 0)
		return NULL;
	buf[n] = 0;
	if (rl == 1) /* the root is "/" */
		return strdup(buf[1] ? buf + 1 : ".");
	if (strncmp(buf, rec.root, rl) == 0 && (buf[rl] == '/' || buf[rl] == 0))
		return strdup(buf[rl] ? buf + rl + 1 : ".");
	return strdup(buf);
}

static struct op *record(enum op_kind kind, int fd, int ret, const char *path)
{
	struct op *nv;
	char *s = NULL;

	if (!rec.on)
		return NULL;
	if (path && !(s = strdup(path))) {
		rec.oom = true;
		return NULL;
	}
	nv = realloc(rec.ops, (rec.n + 1) * sizeof(*nv));
	if (!nv) {
		free(s);
		rec.oom = true;
		return NULL;
	}
	rec.ops = nv;
	nv[rec.n] = (struct op){ .kind = kind, .fd = fd, .ret = ret, .path = s };
	return &nv[rec.n++];
}

static void record_open(int via, int dfd, const char *path, uint64_t flags, uint64_t resolve,
			int ret)
{
	struct op *op = record(OP_OPEN, dfd, ret, path);
	struct stat st;

	if (!op)
		return;
	op->via = via;
	op->flags = flags;
	op->resolve = resolve;
	if (ret < 0)
		op->cls = OPEN_MISS;
	else if (flags & (O_DIRECTORY | O_PATH))
		op->cls = OPEN_DIR;
	else if (__real_fstat(ret, &st) == 0 && S_ISREG(st.st_mode))
		op->cls = OPEN_FILE;
	else
		op->cls = OPEN_OTHER;
	if (ret >= 0) {
		op->rpath = fd_rpath(ret);
		if (!op->rpath)
			rec.oom = true;
	}
}

long __wrap_syscall(long nr, ...)
{
	struct open_how *how;
	const char *path;
	va_list ap;
	size_t size;
	long ret;
	int dfd, saved;

	/* The library's only syscall() is openat2(dfd, path, &how, sizeof(how)). */
	if (nr != SYS_openat2) {
		fprintf(stderr,
			"bench-probe: the library made syscall(%ld), unknown to the "
			"recorder; teach __wrap_syscall its arguments\n",
			nr);
		abort();
	}
	va_start(ap, nr);
	dfd = va_arg(ap, int);
	path = va_arg(ap, const char *);
	how = va_arg(ap, struct open_how *);
	size = va_arg(ap, size_t);
	va_end(ap);
	ret = __real_syscall(nr, dfd, path, how, size);
	saved = errno;
	/* An openat2 refused as unknown is the library finding out it must walk paths itself. */
	if (ret >= 0 || errno != ENOSYS)
		record_open(VIA_OPENAT2, dfd, path, how->flags, how->resolve,
			    ret >= 0 ? (int)ret : -errno);
	errno = saved;
	return ret;
}

static mode_t open_mode(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(ap, mode_t) : 0;
}

int __wrap_open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;
	int fd, saved;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	fd = __real_open(path, flags, mode);
	saved = errno;
	record_open(VIA_OPEN, AT_FDCWD, path, (uint64_t)flags, 0, fd >= 0 ? fd : -errno);
	errno = saved;
	return fd;
}

int __wrap_openat(int dfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;
	int fd, saved;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	fd = __real_openat(dfd, path, flags, mode);
	saved = errno;
	record_open(VIA_OPENAT, dfd, path, (uint64_t)flags, 0, fd >= 0 ? fd : -errno);
	errno = saved;
	return fd;
}

int __wrap_dup(int fd)
{
	int ret = __real_dup(fd);

	record(OP_DUP, fd, ret, NULL);
	return ret;
}

ssize_t __wrap_read(int fd, void *buf, size_t size)
{
	struct op *op = record(OP_READ, fd, 0, NULL);

	if (op)
		op->size = size;
	return __real_read(fd, buf, size);
}

int __wrap_fstat(int fd, struct stat *st)
{
	record(OP_FSTAT, fd, 0, NULL);
	return __real_fstat(fd, st);
}

int __wrap_fstatat(int dfd, const char *path, struct stat *st, int flags)
{
	struct op *op = record(OP_FSTATAT, dfd, 0, path);

	if (op)
		op->flags = (uint64_t)flags;
	return __real_fstatat(dfd, path, st, flags);
}

ssize_t __wrap_readlinkat(int dfd, const char *path, char *buf, size_t size)
{
	struct op *op = record(OP_READLINK, dfd, 0, path);

	if (op)
		op->size = size;
	return __real_readlinkat(dfd, path, buf, size);
}

ssize_t __wrap_getdents64(int fd, void *buf, size_t size)
{
	struct op *op = record(OP_GETDENTS, fd, 0, NULL);

	if (op)
		op->size = size;
	return __real_getdents64(fd, buf, size);
}

int __wrap_close(int fd)
{
	record(OP_CLOSE, fd, 0, NULL);
	return __real_close(fd);
}

/*
 * The fortified entry points (glibc debug/read_chk.c, readlinkat_chk.c, io/open_2.c): the same
 * calls after a bounds check, so the same records; the check aborts as glibc's does.
 */
int __wrap___open_2(const char *path, int flags)
{
	if (flags & O_CREAT)
		abort(); /* __open_2 is only for calls without a mode */
	return __wrap_open(path, flags);
}

int __wrap___openat_2(int dfd, const char *path, int flags)
{
	if (flags & O_CREAT)
		abort();
	return __wrap_openat(dfd, path, flags);
}

ssize_t __wrap___read_chk(int fd, void *buf, size_t size, size_t buflen)
{
	if (size > buflen)
		abort();
	return __wrap_read(fd, buf, size);
}

ssize_t __wrap___readlinkat_chk(int dfd, const char *path, char *buf, size_t size, size_t buflen)
{
	if (size > buflen)
		abort();
	return __wrap_readlinkat(dfd, path, buf, size);
}

static void rec_reset(void)
{
	for (size_t i = 0; i < rec.n; i++) {
		free(rec.ops[i].path);
		free(rec.ops[i].rpath);
	}
	free(rec.ops);
	rec.ops = NULL;
	rec.n = 0;
	rec.oom = false;
	rec.on = false;
}

/* Set by SIGINT/SIGTERM: the current size is abandoned and its tree removed. */
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = sig;
}

/* Wall time; with --cpu, this process's CPU time (user and system), which other processes
 * sharing the CPUs do not lengthen. */
static clockid_t bench_clock = CLOCK_MONOTONIC;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(bench_clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int open_root(const char *root)
{
	int fd = __real_openat(AT_FDCWD, root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/*
 * The baseline: open, read into a 4 KiB buffer until EOF, close; each file the probe read. With
 * prof, the calls' times are added to it by category.
 */
static int bare_loop(const char *root, size_t *ret_calls, uint64_t *prof)
{
	char buf[4096];
	size_t calls = 2;
	uint64_t t0 = 0, t1 = 0, t2 = 0;
	int rfd = open_root(root);

	if (rfd < 0)
		return rfd;
	for (size_t i = 0; i < rec.n; i++) {
		const struct op *op = &rec.ops[i];
		ssize_t r;
		int fd;

		if (op->kind != OP_OPEN || op->cls != OPEN_FILE)
			continue;
		if (prof)
			t0 = now_ns();
		fd = __real_openat(rfd, op->rpath, O_RDONLY | O_CLOEXEC);
		if (prof)
			t1 = now_ns();
		if (fd < 0) {
			int k = -errno;

			fprintf(stderr, "bench-probe: %s: %s\n", op->rpath, strerror(-k));
			__real_close(rfd);
			return k;
		}
		calls += 2;
		while ((r = __real_read(fd, buf, sizeof(buf))) > 0)
			calls++;
		calls++;
		if (prof)
			t2 = now_ns();
		__real_close(fd);
		if (prof) {
			prof[op_cat(OP_OPEN, OPEN_FILE)] += t1 - t0;
			prof[op_cat(OP_READ, 0)] += t2 - t1;
			prof[op_cat(OP_CLOSE, 0)] += now_ns() - t2;
		}
		if (r < 0) {
			__real_close(rfd);
			return -EIO;
		}
	}
	__real_close(rfd);
	if (ret_calls)
		*ret_calls = calls;
	return 0;
}

/* EAGAIN: a rename anywhere on the machine raced the resolution of a ".."; tried again, as the
 * library does (on a busy machine a 1024-unit replay met one every time). */
static int replay_openat2(int dfd, const char *path, struct open_how *how)
{
	int fd = -1;

	for (unsigned tries = 0; tries < 16; tries++) {
		fd = (int)__real_syscall(SYS_openat2, dfd, path, how, sizeof(*how));
		if (fd >= 0 || errno != EAGAIN)
			break;
	}
	return fd;
}

/*
 * The probe's calls again, on the same descriptors (mapped), without its user-space work. With
 * prof, the calls' times are added to it by category.
 */
static int replay(const char *root, uint64_t *prof)
{
	static char buf[1 << 20] __attribute__((aligned(8)));
	static int fds[REC_FD_MAX];
	int k = 0;

	for (size_t i = 0; i < REC_FD_MAX; i++)
		fds[i] = -1;
#define MAPPED(f) ((f) >= 0 && (f) < REC_FD_MAX ? fds[f] : (f))
	for (size_t i = 0; k >= 0 && i < rec.n; i++) {
		const struct op *op = &rec.ops[i];
		struct open_how how = { .flags = op->flags, .resolve = op->resolve };
		size_t size = op->size < sizeof(buf) ? op->size : sizeof(buf);
		struct stat st;
		int fd = MAPPED(op->fd), ret = -1;
		uint64_t t0 = prof ? now_ns() : 0;

		switch (op->kind) {
		case OP_OPEN:
			if (op->via == VIA_OPENAT2)
				ret = replay_openat2(fd, op->path, &how);
			else if (op->via == VIA_OPEN)
				ret = __real_openat(AT_FDCWD, root, (int)op->flags);
			else
				ret = __real_openat(fd, op->path, (int)op->flags);
			break;
		case OP_DUP:
			ret = __real_dup(fd);
			break;
		case OP_READ:
			(void)!__real_read(fd, buf, size);
			break;
		case OP_FSTAT:
			__real_fstat(fd, &st);
			break;
		case OP_FSTATAT:
			__real_fstatat(fd, op->path, &st, (int)op->flags);
			break;
		case OP_READLINK:
			(void)!__real_readlinkat(fd, op->path, buf, size);
			break;
		case OP_GETDENTS:
			(void)!__real_getdents64(fd, buf, size);
			break;
		case OP_CLOSE:
			if (fd >= 0)
				__real_close(fd);
			if (op->fd >= 0 && op->fd < REC_FD_MAX)
				fds[op->fd] = -1;
			break;
		default:
			break;
		}
		if (prof)
			prof[op_cat(op->kind, op->cls)] += now_ns() - t0;
		if (op->kind == OP_OPEN || op->kind == OP_DUP) {
			if ((ret >= 0) != (op->ret >= 0)) {
				fprintf(stderr, "bench-probe: replay: call %zu (%s) differs\n", i,
					op->path ?: "dup");
				k = -EIO;
			}
			if (op->ret >= 0 && op->ret < REC_FD_MAX)
				fds[op->ret] = ret;
			else if (ret >= 0)
				__real_close(ret);
		}
	}
#undef MAPPED
	/* Whatever the library left open (its root) is closed by the replay too. */
	for (size_t i = 0; i < REC_FD_MAX; i++)
		if (fds[i] >= 0)
			__real_close(fds[i]);
	return k;
}

/* What is timed: the whole API sequence a caller runs. */
static int probe_once(const char *root, struct iommucap_host **ret)
{
	struct iommucap_root *r = NULL;
	struct iommucap_host *h = NULL;
	int k = iommucap_root_open(root, &r);

	if (k < 0)
		return k;
	k = iommucap_probe(r, &h);
	iommucap_root_free(r);
	if (k < 0)
		return k;
	if (ret)
		*ret = h;
	else
		iommucap_host_free(h);
	return 0;
}

/* Record one probe (the host is returned for checking). */
static int record_probe(const char *root, struct iommucap_host **ret)
{
	char proc[64];
	ssize_t n;
	int rfd = open_root(root), k;

	rec_reset();
	if (rfd < 0)
		return rfd;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", rfd);
	n = __real_readlinkat(AT_FDCWD, proc, rec.root, sizeof(rec.root) - 1);
	k = n < 0 ? -errno : 0;
	__real_close(rfd);
	if (k < 0)
		return k;
	rec.root[n] = 0;
	rec.on = true;
	k = probe_once(root, ret);
	rec.on = false;
	if (k >= 0 && rec.oom)
		k = -ENOMEM;
	return k;
}

static int _printf_(1, 2) fail(const char *fmt, ...)
{
	va_list ap;

	fputs("bench-probe: check failed: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

/* Does the model match the generated tree? Everything must be found and nothing warned about. */
static int check_host(const struct iommucap_host *h, const struct gen_opts *o,
		      const struct gen_stats *st)
{
	unsigned intel = 0, amd = 0, behind = 0;
	int k = 0;

	for (size_t i = 0; i < h->n_warnings; i++)
		k = fail("warning: %s", h->warnings[i]);
	if (h->n_units != st->units)
		return fail("%zu units found, %u generated", h->n_units, st->units);
	if (h->n_devices != st->devices)
		return fail("%zu PCI devices found, %u generated", h->n_devices, st->devices);
	if (h->n_groups != st->groups)
		return fail("%zu groups found, %u generated", h->n_groups, st->groups);
	for (size_t i = 0; i < h->n_units; i++) {
		const struct iommucap_unit *u = &h->units[i];

		if (u->model == IOMMUCAP_MODEL_INTEL_VTD)
			intel++;
		else if (u->model == IOMMUCAP_MODEL_AMD_VI)
			amd++;
		else
			k = fail("%s: model %d", u->name, u->model);
		if (u->n_devices != o->devs_per_unit)
			k = fail("%s: %zu devices, %u generated", u->name, u->n_devices,
				 o->devs_per_unit);
		if (u->n_raw < 2)
			k = fail("%s: only %zu raw registers", u->name, u->n_raw);
		for (size_t j = 0; j < u->n_raw; j++)
			if (!u->raw[j].known)
				k = fail("%s: %s unknown: %s", u->name, u->raw[j].name,
					 u->raw[j].reason ?: "?");
	}
	if (intel != st->intel || amd != st->amd)
		k = fail("%u VT-d and %u AMD-Vi units found, %u and %u generated", intel, amd,
			 st->intel, st->amd);
	for (size_t i = 0; i < h->n_devices; i++) {
		const struct iommucap_device *d = &h->devices[i];

		if (!d->have_ids || !d->config_ext)
			k = fail("%s: identity or config space not read", d->address);
		if (!d->unit)
			continue;
		behind++;
		if (d->group < 0 || !d->driver || !iommucap_host_find_unit(h, d->unit))
			k = fail("%s: group, driver or unit missing", d->address);
	}
	if (behind != st->behind)
		k = fail("%u devices behind a unit, %u generated", behind, st->behind);
	for (size_t i = 0; i < h->n_groups; i++) {
		const struct iommucap_group *g = &h->groups[i];

		if (!g->type || g->n_devices != 1 || g->n_resv < 1)
			k = fail("group %d: type, device or reserved regions missing", g->id);
	}
	return k;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The timed variants. */
enum variant {
	V_BARE,	  /* open/read/close of the regular files the probe read */
	V_REPLAY, /* every call of the probe, without its user-space work */
	V_PROBE,  /* the probe itself */
	_V_MAX,
};

struct result {
	unsigned units;
	struct gen_stats st;
	size_t opens[_OPEN_MAX]; /* the probe's opens by class */
	size_t calls[_OP_MAX];	 /* the probe's calls by kind */
	size_t probe_calls, bare_calls;
	double min[_V_MAX], med[_V_MAX];	     /* milliseconds */
	double prof_replay[N_CAT], prof_bare[N_CAT]; /* milliseconds, by category */
	double gen_s;
};

static const char *fs_name(const char *dir)
{
	struct statfs sf;

	if (statfs(dir, &sf) < 0)
		return "?";
	switch ((unsigned long)sf.f_type) {
	case EXT4_SUPER_MAGIC:
		return "ext4";
	case TMPFS_MAGIC:
		return "tmpfs";
	case BTRFS_SUPER_MAGIC:
		return "btrfs";
	case XFS_SUPER_MAGIC:
		return "xfs";
	case OVERLAYFS_SUPER_MAGIC:
		return "overlayfs";
	default:
		return "other";
	}
}

static unsigned default_reps(unsigned units)
{
	return units <= 16 ? 31 : units <= 256 ? 15 : 7;
}

static int run_variant(enum variant v, const char *dir)
{
	switch (v) {
	case V_BARE:
		return bare_loop(dir, NULL, NULL);
	case V_REPLAY:
		return replay(dir, NULL);
	default:
		return probe_once(dir, NULL);
	}
}

/*
 * Every descriptor the library used must have been opened under the recorder's eyes: otherwise
 * it opened files by some call that is not wrapped, and the bare loop and replay would miss them.
 */
static int check_recording(void)
{
	static bool open_fds[REC_FD_MAX];

	memset(open_fds, 0, sizeof(open_fds));
	for (size_t i = 0; i < rec.n; i++) {
		const struct op *op = &rec.ops[i];

		if (op->kind != OP_OPEN && op->fd != AT_FDCWD &&
		    (op->fd < 0 || op->fd >= REC_FD_MAX || !open_fds[op->fd])) {
			fprintf(stderr,
				"bench-probe: the library used fd %d, which it did not open by "
				"any call the recorder wraps (see bench/local.mk)\n",
				op->fd);
			return -EBADF;
		}
		if ((op->kind == OP_OPEN || op->kind == OP_DUP) && op->ret >= 0 &&
		    op->ret < REC_FD_MAX)
			open_fds[op->ret] = true;
		else if (op->kind == OP_CLOSE)
			open_fds[op->fd] = false;
	}
	return 0;
}

/* Record the probe's calls, check its model against the generator's (o: unless NULL), count. */
static int analyse_probe(const char *dir, const struct gen_opts *o, struct result *res)
{
	struct iommucap_host *h = NULL;
	int k = record_probe(dir, &h);

	if (k < 0) {
		fprintf(stderr, "bench-probe: probe of %s: %s\n", dir, strerror(-k));
		return k;
	}
	k = o ? check_host(h, o, &res->st) : 0;
	iommucap_host_free(h);
	if (k < 0)
		return k;
	k = check_recording();
	if (k < 0)
		return k;
	for (size_t i = 0; i < rec.n; i++) {
		res->calls[rec.ops[i].kind]++;
		if (rec.ops[i].kind == OP_OPEN)
			res->opens[rec.ops[i].cls]++;
		res->probe_calls++;
	}
	if (res->opens[OPEN_FILE] == 0) {
		fprintf(stderr, "bench-probe: recorded no opens (is the link-time wrapping on?)\n");
		return -EINVAL;
	}
	return bare_loop(dir, &res->bare_calls, NULL);
}

/* Time the recorded probe's variants on dir; reps 0 means one run of each (a check). */
static int measure(const char *dir, unsigned reps, struct result *res)
{
	uint64_t *t[_V_MAX] = {}, t0;
	unsigned n = reps ? reps : 1;
	int k = 0;

	for (int v = 0; k >= 0 && v < _V_MAX; v++) {
		t[v] = calloc(n, sizeof(uint64_t));
		if (!t[v])
			k = -ENOMEM;
	}
	/* A warm-up run of each, then interleaved runs, rotating which goes first. */
	for (int v = 0; k >= 0 && v < _V_MAX; v++)
		k = run_variant((enum variant)v, dir);
	for (unsigned i = 0; k >= 0 && i < n; i++) {
		if (stop)
			k = -EINTR;
		for (unsigned j = 0; k >= 0 && j < _V_MAX; j++) {
			enum variant v = (enum variant)((i + j) % _V_MAX);

			t0 = now_ns();
			k = run_variant(v, dir);
			t[v][i] = now_ns() - t0;
		}
	}
	/* Time by call category: the minimum over a few accounted runs of each. */
	for (int v = 0; k >= 0 && reps && v < N_CAT; v++)
		res->prof_replay[v] = res->prof_bare[v] = 1e300;
	for (unsigned i = 0; k >= 0 && reps && i < 3; i++) {
		uint64_t pr[N_CAT] = {}, pb[N_CAT] = {};

		k = replay(dir, pr);
		if (k >= 0)
			k = bare_loop(dir, NULL, pb);
		for (int v = 0; v < N_CAT; v++) {
			if ((double)pr[v] / 1e6 < res->prof_replay[v])
				res->prof_replay[v] = (double)pr[v] / 1e6;
			if ((double)pb[v] / 1e6 < res->prof_bare[v])
				res->prof_bare[v] = (double)pb[v] / 1e6;
		}
	}
	for (int v = 0; k >= 0 && v < _V_MAX; v++) {
		qsort(t[v], n, sizeof(uint64_t), cmp_u64);
		res->min[v] = (double)t[v][0] / 1e6;
		res->med[v] = (double)t[v][n / 2] / 1e6;
	}
	for (int v = 0; v < _V_MAX; v++)
		free(t[v]);
	return k;
}

/* Generate, record, check and time one size; reps 0 means check only (one run of each). */
static int run_size(const char *base, const struct gen_opts *o, unsigned reps, struct result *res)
{
	char dir[PATH_MAX];
	uint64_t t0;
	int k, rfd;

	memset(res, 0, sizeof(*res));
	res->units = o->units;
	if (snprintf(dir, sizeof(dir), "%s/iommucap-bench.XXXXXX", base) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	if (!mkdtemp(dir)) {
		fprintf(stderr, "bench-probe: cannot make a directory in %s: %m\n", base);
		return -errno;
	}

	t0 = now_ns();
	k = gen_tree(dir, o, &res->st);
	if (k < 0) {
		fprintf(stderr, "bench-probe: generating %u units in %s: %s\n", o->units, dir,
			strerror(-k));
		goto out;
	}
	/* Written back before timing, so that writeback does not run during the measurements. */
	rfd = open_root(dir);
	if (rfd >= 0) {
		syncfs(rfd);
		__real_close(rfd);
	}
	res->gen_s = (double)(now_ns() - t0) / 1e9;

	k = stop ? -EINTR : analyse_probe(dir, o, res);
	if (k >= 0)
		k = measure(dir, reps, res);
out:
	rec_reset();
	if (gen_rm_tree(dir) < 0)
		fprintf(stderr, "bench-probe: cannot remove %s: %m\n", dir);
	return k;
}

/* The same measurements on an existing tree, or on the live system ("/"). */
static int run_tree(const char *dir, unsigned reps)
{
	struct result r = {};
	int k = analyse_probe(dir, NULL, &r);

	if (k >= 0)
		k = measure(dir, reps, &r);
	rec_reset();
	if (k < 0)
		return k;
	printf("%s: the probe read %zu files (and made %zu calls; the bare loop %zu)\n"
	       "bare %.3f ms, probe %.3f ms (replay %.3f ms): ratio %.2f (medians: %.2f); "
	       "minimum of %u runs\n",
	       dir, r.opens[OPEN_FILE], r.probe_calls, r.bare_calls, r.min[V_BARE], r.min[V_PROBE],
	       r.min[V_REPLAY], r.min[V_PROBE] / r.min[V_BARE], r.med[V_PROBE] / r.med[V_BARE],
	       reps);
	return 0;
}

static void print_header(const char *base, unsigned reps)
{
	struct utsname un;
	char date[64];
	time_t t = time(NULL);

	strftime(date, sizeof(date), "%Y-%m-%d %H:%M %Z", localtime(&t));
	if (uname(&un) < 0)
		memset(&un, 0, sizeof(un));
	printf("# bench-probe, %s, Linux %s, %ld CPUs online, trees under %s (%s)\n", date,
	       un.release, sysconf(_SC_NPROCESSORS_ONLN), base, fs_name(base));
	if (bench_clock == CLOCK_PROCESS_CPUTIME_ID)
		printf("# times are this process's CPU time (user + system), not wall time\n");
	if (reps)
		printf("# minimum of %u runs of each variant, interleaved\n", reps);
	else
		printf("# minimum of 31 (up to 16 units), 15 (up to 256) or 7 runs of each "
		       "variant, interleaved\n");
	printf("# bare: open/read/close of the files the probe read; probe: iommucap_root_open,\n"
	       "# iommucap_probe, iommucap_host_free, iommucap_root_free. ratio: probe/bare "
	       "(min), med-rt: of medians\n\n");
	printf("%6s %8s %6s %6s %9s %9s %6s %6s %10s %9s\n", "units", "devices", "groups", "files",
	       "bare-ms", "probe-ms", "ratio", "med-rt", "probe-us/u", "bare-us/u");
}

static void print_row(const struct result *r)
{
	printf("%6u %8u %6u %6zu %9.3f %9.3f %6.2f %6.2f %10.1f %9.1f\n", r->units, r->st.devices,
	       r->st.groups, r->opens[OPEN_FILE], r->min[V_BARE], r->min[V_PROBE],
	       r->min[V_PROBE] / r->min[V_BARE], r->med[V_PROBE] / r->med[V_BARE],
	       r->min[V_PROBE] * 1000 / r->units, r->min[V_BARE] * 1000 / r->units);
	fflush(stdout);
}

/* Where the time goes: the probe's calls by kind, and the replay between bare and probe. */
static void print_breakdown(const struct result *res, unsigned n)
{
	static const char *const cat_names[N_CAT] = {
		"o-file", "o-dir", "o-othr", "o-miss", "dup",	"read",
		"fstat",  "stat",  "rdlink", "getdnt", "close",
	};

	printf("\n# Where the time goes. replay: the probe's calls made again on the same\n"
	       "# descriptors, without its user-space work; user = probe - replay. calls: made by\n"
	       "# the library (every one: it lists directories with getdents64, not through "
	       "libc's\n"
	       "# readdir); bare: the loop's own.\n\n");
	printf("%6s %9s %9s %9s %9s %9s %9s %6s\n", "units", "bare-ms", "replay-ms", "probe-ms",
	       "user-ms", "bare-calls", "probe-calls", "ratio");
	for (unsigned i = 0; i < n; i++) {
		const struct result *r = &res[i];

		printf("%6u %9.3f %9.3f %9.3f %9.3f %9zu %9zu %6.2f\n", r->units, r->min[V_BARE],
		       r->min[V_REPLAY], r->min[V_PROBE], r->min[V_PROBE] - r->min[V_REPLAY],
		       r->bare_calls, r->probe_calls,
		       (double)r->probe_calls / (double)r->bare_calls);
	}
	printf("\n# The calls per unit by kind, and the microseconds per unit they took (replay\n"
	       "# and bare loop, each call timed; minimum of 3 runs). Opens: of regular files, of\n"
	       "# directories or O_PATH, of other things, failed. getdnt: getdents64 (a listing\n"
	       "# takes two).\n\n%6s %-8s",
	       "units", "");
	for (int k = 0; k < N_CAT; k++)
		printf(" %6s", cat_names[k]);
	printf(" %7s\n", "sum");
	for (unsigned i = 0; i < n; i++) {
		const struct result *r = &res[i];
		double sum_r = 0, sum_b = 0;

		printf("%6u %-8s", r->units, "calls");
		for (int k = 0; k < N_CAT; k++) {
			size_t c = k < _OPEN_MAX ? r->opens[k] : r->calls[k - _OPEN_MAX + 1];

			printf(" %6.1f", (double)c / r->units);
		}
		printf("\n%6s %-8s", "", "probe-us");
		for (int k = 0; k < N_CAT; k++) {
			printf(" %6.1f", r->prof_replay[k] * 1000 / r->units);
			sum_r += r->prof_replay[k];
		}
		printf(" %7.1f\n%6s %-8s", sum_r * 1000 / r->units, "", "bare-us");
		for (int k = 0; k < N_CAT; k++) {
			printf(" %6.1f", r->prof_bare[k] * 1000 / r->units);
			sum_b += r->prof_bare[k];
		}
		printf(" %7.1f\n", sum_b * 1000 / r->units);
	}
}

/* The recorded calls, one per line: fd, call, path, and for opens what was opened. */
static void print_calls(void)
{
	static const char *const kinds[_OP_MAX] = {
		[OP_OPEN] = "open",	      [OP_DUP] = "dup",
		[OP_READ] = "read",	      [OP_FSTAT] = "fstat",
		[OP_FSTATAT] = "fstatat",     [OP_READLINK] = "readlinkat",
		[OP_GETDENTS] = "getdents64", [OP_CLOSE] = "close",
	};
	static const char *const vias[] = { "openat", "openat2", "open" };
	static const char *const classes[_OPEN_MAX] = { "file", "dir", "other", "miss" };

	for (size_t i = 0; i < rec.n; i++) {
		const struct op *op = &rec.ops[i];

		if (op->kind == OP_OPEN)
			printf("%4d %-10s %s -> %d %s%s%s\n", op->fd, vias[op->via], op->path,
			       op->ret, classes[op->cls], op->rpath ? " " : "", op->rpath ?: "");
		else if (op->kind == OP_READ || op->kind == OP_READLINK || op->kind == OP_GETDENTS)
			printf("%4d %-10s %s%s%zu\n", op->fd, kinds[op->kind], op->path ?: "",
			       op->path ? " " : "", op->size);
		else
			printf("%4d %-10s %s\n", op->fd, kinds[op->kind], op->path ?: "");
	}
}

static int parse_uint(const char *s, unsigned max, unsigned *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v == 0 || v > max)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

static void usage(FILE *f)
{
	fputs("Usage: bench-probe [OPTION]...\n"
	      "Time iommucap_probe on synthetic sysfs trees against a bare open/read/close loop\n"
	      "over the same files, and print a table.\n\n"
	      "  --units LIST      unit counts, comma-separated (default 1,16,256,1024)\n"
	      "  --reps N          runs of each per size (default 31, 15, 7 by size)\n"
	      "  --devices N       PCI devices per unit (default 4)\n"
	      "  --intel-only      no AMD-Vi units (default: every 4th unit is one)\n"
	      "  --dir DIR         where to make the trees (default $TMPDIR or /tmp)\n"
	      "  --smoke           check 1 and 16 units once, print no timings; exit 1 on a\n"
	      "                    mismatch\n"
	      "  --generate N DIR  write the tree for N units into the new directory DIR, keep it\n"
	      "  --probe DIR       probe DIR --loop times (for strace or perf), print the time\n"
	      "  --loop K          repetitions for --probe (default 1)\n"
	      "  --calls           with --probe: list the probe's file-system calls instead\n"
	      "  --cpu             time CPU use (user + system) instead of wall time: on a\n"
	      "                    loaded machine, other processes do not lengthen it\n"
	      "  --tree DIR        measure on an existing tree (\"/\": this system's own sysfs)\n",
	      f);
}

enum {
	OPT_UNITS = 0x100,
	OPT_REPS,
	OPT_DEVICES,
	OPT_INTEL_ONLY,
	OPT_DIR,
	OPT_SMOKE,
	OPT_GENERATE,
	OPT_PROBE,
	OPT_LOOP,
	OPT_CALLS,
	OPT_TREE,
	OPT_CPU,
};

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "units", required_argument, NULL, OPT_UNITS },
		{ "reps", required_argument, NULL, OPT_REPS },
		{ "devices", required_argument, NULL, OPT_DEVICES },
		{ "intel-only", no_argument, NULL, OPT_INTEL_ONLY },
		{ "dir", required_argument, NULL, OPT_DIR },
		{ "smoke", no_argument, NULL, OPT_SMOKE },
		{ "generate", required_argument, NULL, OPT_GENERATE },
		{ "probe", required_argument, NULL, OPT_PROBE },
		{ "loop", required_argument, NULL, OPT_LOOP },
		{ "calls", no_argument, NULL, OPT_CALLS },
		{ "tree", required_argument, NULL, OPT_TREE },
		{ "cpu", no_argument, NULL, OPT_CPU },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	unsigned sizes[16] = { 1, 16, 256, 1024 }, n_sizes = 4, reps = 0, loop = 1, gen_n = 0;
	struct gen_opts o = { .devs_per_unit = 4, .amd_every = 4 };
	const char *base = getenv("TMPDIR"), *probe_dir = NULL, *tree_dir = NULL;
#ifdef BENCH_SMOKE
	bool smoke = true;
#else
	bool smoke = false;
#endif
	bool calls = false;
	struct result results[ELEMENTSOF(sizes)];
	unsigned n_results = 0;
	int c, k, ret = 0;

	if (!base || !*base)
		base = "/tmp";
	o.stop = &stop;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) >= 0) {
		k = 0;
		switch (c) {
		case OPT_UNITS: {
			char *s = optarg, *tok, *save = NULL;

			n_sizes = 0;
			for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
				if (n_sizes == ELEMENTSOF(sizes) ||
				    parse_uint(tok, 65536, &sizes[n_sizes]) < 0) {
					fprintf(stderr, "bench-probe: bad --units\n");
					return 2;
				}
				n_sizes++;
			}
			break;
		}
		case OPT_REPS:
			k = parse_uint(optarg, 100000, &reps);
			break;
		case OPT_DEVICES:
			k = parse_uint(optarg, 31, &o.devs_per_unit);
			break;
		case OPT_INTEL_ONLY:
			o.amd_every = 0;
			break;
		case OPT_DIR:
			base = optarg;
			break;
		case OPT_SMOKE:
			smoke = true;
			break;
		case OPT_GENERATE:
			k = parse_uint(optarg, 65536, &gen_n);
			break;
		case OPT_PROBE:
			probe_dir = optarg;
			break;
		case OPT_LOOP:
			k = parse_uint(optarg, 1000000, &loop);
			break;
		case OPT_CALLS:
			calls = true;
			break;
		case OPT_TREE:
			tree_dir = optarg;
			break;
		case OPT_CPU:
			bench_clock = CLOCK_PROCESS_CPUTIME_ID;
			break;
		default: /* 'h' asks for the usage; anything else is a usage error */
			usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 2;
		}
		if (k < 0) {
			fprintf(stderr, "bench-probe: bad value for %s\n", argv[optind - 1]);
			return 2;
		}
	}
	if (n_sizes == 0 || (optind != argc && !gen_n) || (gen_n && optind != argc - 1)) {
		usage(stderr);
		return 2;
	}

	if (gen_n) {
		struct gen_stats st;

		o.units = gen_n;
		if (mkdir(argv[optind], 0755) < 0) {
			fprintf(stderr, "bench-probe: %s: %m\n", argv[optind]);
			return 1;
		}
		k = gen_tree(argv[optind], &o, &st);
		if (k < 0) {
			fprintf(stderr, "bench-probe: %s: %s\n", argv[optind], strerror(-k));
			return 1;
		}
		printf("%s: %u units (%u VT-d, %u AMD-Vi), %u PCI devices, %u groups; %zu files, "
		       "%zu links, %zu directories\n",
		       argv[optind], st.units, st.intel, st.amd, st.devices, st.groups, st.files,
		       st.links, st.dirs);
		return 0;
	}

	if (probe_dir) {
		uint64_t t0;

		if (calls) {
			/* One recorded probe, its calls listed (what bare loop and replay use). */
			k = record_probe(probe_dir, NULL);
			if (k >= 0)
				print_calls();
			rec_reset();
			if (k < 0) {
				fprintf(stderr, "bench-probe: %s: %s\n", probe_dir, strerror(-k));
				return 1;
			}
			return 0;
		}
		t0 = now_ns();

		for (unsigned i = 0; i < loop; i++) {
			k = probe_once(probe_dir, NULL);
			if (k < 0) {
				fprintf(stderr, "bench-probe: %s: %s\n", probe_dir, strerror(-k));
				return 1;
			}
		}
		printf("%u probes of %s: %.3f ms each\n", loop, probe_dir,
		       (double)(now_ns() - t0) / 1e6 / loop);
		return 0;
	}

	if (tree_dir) {
		k = run_tree(tree_dir, reps ? reps : 31);
		return k < 0 ? 1 : 0;
	}

	if (smoke) {
		static const unsigned smoke_sizes[] = { 1, 16 };

		for (size_t i = 0; i < ELEMENTSOF(smoke_sizes); i++) {
			struct result r;

			o.units = smoke_sizes[i];
			k = run_size(base, &o, 0, &r);
			printf("%s: %u units (%u VT-d, %u AMD-Vi), %u devices, %u groups; the "
			       "probe read %zu files\n",
			       k < 0 ? "FAIL" : "ok", o.units, r.st.intel, r.st.amd, r.st.devices,
			       r.st.groups, r.opens[OPEN_FILE]);
			if (k < 0)
				ret = 1;
		}
		return ret;
	}

	print_header(base, reps);
	for (unsigned i = 0; i < n_sizes; i++) {
		struct result *r = &results[n_results];

		o.units = sizes[i];
		if (isatty(STDERR_FILENO))
			fprintf(stderr, "bench-probe: %u units...\n", o.units);
		k = run_size(base, &o, reps ? reps : default_reps(o.units), r);
		if (stop)
			return 128 + stop;
		if (k < 0) {
			ret = 1;
			continue;
		}
		n_results++;
		print_row(r);
	}
	if (n_results > 0)
		print_breakdown(results, n_results);
	printf("\n# The trees: units, then files, symbolic links, directories, MiB, seconds to "
	       "make.\n");
	for (unsigned i = 0; i < n_results; i++)
		printf("# %6u %8zu %8zu %8zu %8.1f %8.1f\n", results[i].units, results[i].st.files,
		       results[i].st.links, results[i].st.dirs,
		       (double)results[i].st.bytes / (1024 * 1024), results[i].gen_s);
	return ret;
}
