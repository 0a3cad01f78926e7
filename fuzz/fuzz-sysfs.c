/* libFuzzer target: the whole probe over a small sysfs/procfs tree decoded from each input. */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/iommucap.h"
#include "lib/macro.h"

/*
 * An input is a list of records, each made under a fresh temporary root:
 *   kind (1 byte, % 3): 0 directory, 1 file bytes, 2 symbolic link
 *   path length (1 byte), path (relative; "." and ".." components drop the record)
 *   file:  offset (2 bytes LE, % 8192), length (2 bytes LE), the bytes (what is left if fewer)
 *   link:  target length (1 byte), target (anything: absolute, "..", dangling, a loop)
 * Parents are made as directories; a record whose parent is not a directory is dropped, and no
 * record is ever made through a link, so nothing is written outside the root. The probe must
 * return 0 whatever the tree holds, the document it gives must read back, and following a
 * change of devices that did not change must leave it as it is.
 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FILE 8192

struct input {
	const uint8_t *p;
	size_t left;
};

static bool take(struct input *in, size_t n, const uint8_t **ret)
{
	if (in->left < n)
		return false;
	*ret = in->p;
	in->p += n;
	in->left -= n;
	return true;
}

static unsigned take_u16(struct input *in, bool *ok)
{
	const uint8_t *b;

	*ok = take(in, 2, &b);
	return *ok ? (unsigned)b[0] | (unsigned)b[1] << 8 : 0;
}

/* The directory fd that holds the path's last component, made on the way; -1 to drop it. */
static int parent_dir(int root, char *path, const char **ret_name)
{
	int fd = dup(root);
	char *save = NULL, *name = strtok_r(path, "/", &save);

	while (fd >= 0 && name) {
		char *next = strtok_r(NULL, "/", &save);
		int nfd;

		if (streq(name, ".") || streq(name, "..")) {
			close(fd);
			return -1;
		}
		if (!next) {
			*ret_name = name;
			return fd;
		}
		(void)mkdirat(fd, name, 0755);
		nfd = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = nfd;
		name = next;
	}
	if (fd >= 0)
		close(fd);
	return -1;
}

static void make_record(int root, struct input *in)
{
	const uint8_t *kind, *plen, *pbytes, *bytes;
	char path[256];
	const char *name = NULL;
	bool ok;
	int dfd;

	if (!take(in, 1, &kind) || !take(in, 1, &plen) || !take(in, *plen, &pbytes))
		return (void)(in->left = 0);
	memcpy(path, pbytes, *plen);
	path[*plen] = 0; /* a NUL inside ends the path */
	dfd = parent_dir(root, path, &name);

	switch (*kind % 3) {
	case 0:
		if (dfd >= 0)
			(void)mkdirat(dfd, name, 0755);
		break;
	case 1: {
		unsigned off = take_u16(in, &ok) % MAX_FILE, len = ok ? take_u16(in, &ok) : 0;

		if (!ok)
			break;
		if (len > in->left)
			len = (unsigned)in->left;
		(void)take(in, len, &bytes);
		if (dfd >= 0) {
			int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
					0644);

			if (fd >= 0) {
				(void)!pwrite(fd, bytes, len, off);
				close(fd);
			}
		}
		break;
	}
	default: {
		const uint8_t *tlen, *tbytes;
		char target[256];

		if (!take(in, 1, &tlen) || !take(in, *tlen, &tbytes))
			break;
		memcpy(target, tbytes, *tlen);
		target[*tlen] = 0;
		if (dfd >= 0 && target[0])
			(void)symlinkat(target, dfd, name);
		break;
	}
	}
	if (dfd >= 0)
		close(dfd);
}

static void remove_tree(int dfd)
{
	DIR *d = fdopendir(dfd);
	struct dirent *e;

	if (!d) {
		close(dfd);
		return;
	}
	while ((e = readdir(d))) {
		if (streq(e->d_name, ".") || streq(e->d_name, ".."))
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) == 0)
			continue;
		int sub = openat(dirfd(d), e->d_name,
				 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (sub >= 0) {
			remove_tree(sub);
			(void)unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR);
		}
	}
	closedir(d);
}

static char *temp_root(void)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
	char *t = NULL;

	if (asprintf(&t, "%s/fuzz-sysfs.XXXXXX", base ? base : "/tmp") < 0)
		abort();
	if (!mkdtemp(t))
		abort();
	return t;
}

/* The document as one string, for comparing a document with the one read back from it. */
static char *dump(const struct iommucap_host *h)
{
	json_t *doc = NULL;
	char *s;

	if (iommucap_host_to_json(h, &doc) < 0)
		abort();
	s = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(doc);
	if (!s)
		abort();
	return s;
}

static char *rootpath;

/* Each input's tree is removed after it; the empty root goes when the fuzzer exits. */
static void remove_root(void)
{
	(void)rmdir(rootpath);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct iommucap_root *r = NULL;
	struct iommucap_host *h = NULL, *back = NULL;
	int root, k;

	if (!rootpath) {
		rootpath = temp_root();
		atexit(remove_root);
		setenv("SOURCE_DATE_EPOCH", "0", 1);
	}
	root = open(rootpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		abort();
	while (in.left > 0)
		make_record(root, &in);

	if (iommucap_root_open(rootpath, &r) < 0)
		abort();
	k = iommucap_probe(r, &h);
	if (k < 0) {
		fprintf(stderr, "probe failed: %s\n", strerror(-k));
		abort(); /* whatever the tree holds, the host is complete (with warnings) */
	}

	/* The document must read back to itself. */
	_cleanup_free_ char *text = dump(h), *again = NULL, *error = NULL;
	json_t *doc = json_loads(text, 0, NULL);

	if (!doc)
		abort();
	k = iommucap_host_from_json(doc, &back, &error);
	json_decref(doc);
	if (k < 0) {
		fprintf(stderr, "the probed document does not read back: %s\n",
			error ? error : "?");
		abort();
	}
	again = dump(back);
	if (!streq(text, again)) {
		fprintf(stderr, "read back differs:\n%s\n%s\n", text, again);
		abort();
	}

	/* Following a "change" of devices, a unit or a group that did not change must leave the
	 * document as it was (iommucap_host_update reads them, their units, groups and members
	 * again). */
	for (size_t i = 0; i < h->n_devices && i < 3; i++) {
		char *addr[1] = { h->devices[i * h->n_devices / 3].address };
		_cleanup_free_ char *was = dump(h), *now = NULL;

		addr[0] = strdup(addr[0]);
		if (!addr[0])
			abort();
		k = iommucap_host_update(
			r, h, &(struct iommucap_change){ .devices = addr, .n_devices = 1 }, NULL,
			NULL);
		if (k < 0 && k != -EAGAIN) {
			fprintf(stderr, "update of %s failed: %s\n", addr[0], strerror(-k));
			abort();
		}
		now = dump(h);
		if (k == 0 && !streq(was, now)) {
			fprintf(stderr, "update of %s changed the document:\n%s\n%s\n", addr[0],
				was, now);
			abort();
		}
		free(addr[0]);
	}
	if (h->n_units > 0 || h->n_groups > 0) {
		char *unit[1] = { h->n_units > 0 ? strdup(h->units[h->n_units / 2].name) : NULL };
		int group[1] = { h->n_groups > 0 ? h->groups[h->n_groups / 2].id : -1 };
		struct iommucap_change c = { .units = unit,
					     .n_units = h->n_units > 0,
					     .groups = group,
					     .n_groups = h->n_groups > 0 };
		_cleanup_free_ char *was = dump(h), *now = NULL;

		if (h->n_units > 0 && !unit[0])
			abort();
		k = iommucap_host_update(r, h, &c, NULL, NULL);
		if (k < 0 && k != -EAGAIN) {
			fprintf(stderr, "update of a unit and a group failed: %s\n", strerror(-k));
			abort();
		}
		now = dump(h);
		if (k == 0 && !streq(was, now)) {
			fprintf(stderr,
				"update of unit %s and group %d changed the document:\n%s\n%s\n",
				unit[0] ? unit[0] : "-", group[0], was, now);
			abort();
		}
		free(unit[0]);
	}

	iommucap_host_free(back);
	iommucap_host_free(h);
	iommucap_root_free(r);
	remove_tree(root);
	return 0;
}
