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
 * An input is a list of records, which make a tree under a temporary root:
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

/*
 * The tree an input describes is decoded in memory first, with the semantics of making it on
 * disk (mkdirat, openat with O_CREAT | O_NOFOLLOW, pwrite, symlinkat): then only what differs
 * from the previous input's tree is changed on disk. Inputs mutated from one seed share most of
 * their tree, so most executions write a few entries, not ~170 (and remove as many).
 */
enum node_kind { NODE_DIR, NODE_FILE, NODE_LINK };

struct node {
	char *name;
	enum node_kind kind;
	struct node **children; /* a directory's, in the order made */
	size_t n_children;
	uint8_t *bytes; /* a file's */
	size_t len;
	char *target; /* a link's */
};

static void node_free(struct node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n_children; i++)
		node_free(n->children[i]);
	free(n->children);
	free(n->name);
	free(n->bytes);
	free(n->target);
	free(n);
}

static struct node *node_child(const struct node *dir, const char *name)
{
	for (size_t i = 0; i < dir->n_children; i++)
		if (streq(dir->children[i]->name, name))
			return dir->children[i];
	return NULL;
}

static struct node *node_add(struct node *dir, const char *name, enum node_kind kind)
{
	struct node *n = calloc(1, sizeof(*n)), **v;

	v = realloc(dir->children, (dir->n_children + 1) * sizeof(*v));
	if (!n || !v || !(n->name = strdup(name)))
		abort();
	n->kind = kind;
	dir->children = v;
	v[dir->n_children++] = n;
	return n;
}

/* The directory that holds the path's last component, made on the way; NULL to drop it. */
static struct node *parent_dir(struct node *root, char *path, const char **ret_name)
{
	struct node *dir = root;
	char *save = NULL, *name = strtok_r(path, "/", &save);

	while (name) {
		char *next = strtok_r(NULL, "/", &save);
		struct node *c;

		if (streq(name, ".") || streq(name, ".."))
			return NULL;
		if (!next) {
			*ret_name = name;
			return dir;
		}
		/* mkdirat(), then openat(O_DIRECTORY | O_NOFOLLOW): a file or a link is no way on.
		 */
		c = node_child(dir, name) ?: node_add(dir, name, NODE_DIR);
		if (c->kind != NODE_DIR)
			return NULL;
		dir = c;
		name = next;
	}
	return NULL;
}

static void make_record(struct node *root, struct input *in)
{
	const uint8_t *kind, *plen, *pbytes, *bytes;
	char path[256];
	const char *name = NULL;
	struct node *dir, *n;
	bool ok;

	if (!take(in, 1, &kind) || !take(in, 1, &plen) || !take(in, *plen, &pbytes))
		return (void)(in->left = 0);
	memcpy(path, pbytes, *plen);
	path[*plen] = 0; /* a NUL inside ends the path */
	dir = parent_dir(root, path, &name);
	n = dir ? node_child(dir, name) : NULL;

	switch (*kind % 3) {
	case 0:
		if (dir && !n)
			node_add(dir, name, NODE_DIR);
		break;
	case 1: {
		unsigned off = take_u16(in, &ok) % MAX_FILE, len = ok ? take_u16(in, &ok) : 0;

		if (!ok)
			break;
		if (len > in->left)
			len = (unsigned)in->left;
		(void)take(in, len, &bytes);
		/* openat(O_WRONLY | O_CREAT | O_NOFOLLOW) fails on a directory or a link. */
		if (!dir || (n && n->kind != NODE_FILE))
			break;
		if (!n)
			n = node_add(dir, name, NODE_FILE);
		if (len > 0 && off + len > n->len) { /* pwrite() past the end: zeros between */
			uint8_t *b = realloc(n->bytes, off + len);

			if (!b)
				abort();
			if (off > n->len)
				memset(b + n->len, 0, off - n->len);
			n->bytes = b;
			n->len = off + len;
		}
		if (len > 0)
			memcpy(n->bytes + off, bytes, len);
		break;
	}
	default: {
		const uint8_t *tlen, *tbytes;
		char target[256];

		if (!take(in, 1, &tlen) || !take(in, *tlen, &tbytes))
			break;
		memcpy(target, tbytes, *tlen);
		target[*tlen] = 0;
		if (dir && !n && target[0] &&
		    !(node_add(dir, name, NODE_LINK)->target = strdup(target)))
			abort();
		break;
	}
	}
}

/* ---- the tree on disk: what differs from the last one made ---------------------------------- */

/*
 * What is on disk is the last input's tree, kept as that input (in static memory: libFuzzer
 * takes memory allocated in one execution and freed in another for a leak, and runs the input
 * again to look for it) and decoded again beside each new one.
 */
#define LAST_MAX (1U << 20)
static int disk_root = -1;
static uint8_t last_input[LAST_MAX];
static size_t last_size;
static bool last_known; /* false: what is on disk is not known; remove it all */

static void path_join(char *buf, size_t size, const char *dir, const char *name)
{
	if ((size_t)snprintf(buf, size, "%s%s%s", dir, dir[0] ? "/" : "", name) >= size)
		abort(); /* paths are at most 255 bytes long */
}

static int disk_remove(const char *dir, const struct node *n)
{
	char path[PATH_MAX];
	int k = 0;

	path_join(path, sizeof(path), dir, n->name);
	for (size_t i = 0; i < n->n_children; i++)
		k |= disk_remove(path, n->children[i]);
	return k | unlinkat(disk_root, path, n->kind == NODE_DIR ? AT_REMOVEDIR : 0);
}

static int disk_write(const char *path, const struct node *n)
{
	int fd = openat(disk_root, path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
			0644);
	bool ok = fd >= 0 && write(fd, n->bytes, n->len) == (ssize_t)n->len;

	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

static bool same_entry(const struct node *a, const struct node *b)
{
	return a && a->kind == b->kind && (a->kind != NODE_LINK || streq(a->target, b->target));
}

/* Make the directory at dir (was: what is on disk there, or NULL for nothing) as want is. */
static int disk_sync(const char *dir, const struct node *was, const struct node *want)
{
	char path[PATH_MAX];
	int k = 0;

	for (size_t i = 0; was && i < was->n_children; i++) {
		const struct node *o = was->children[i];

		if (!same_entry(node_child(want, o->name), o))
			k |= disk_remove(dir, o);
	}
	for (size_t i = 0; i < want->n_children; i++) {
		const struct node *n = want->children[i];
		const struct node *o = was ? node_child(was, n->name) : NULL;

		if (!same_entry(o, n))
			o = NULL; /* removed above */
		path_join(path, sizeof(path), dir, n->name);
		if (n->kind == NODE_DIR) {
			if (!o)
				k |= mkdirat(disk_root, path, 0755);
			k |= disk_sync(path, o, n);
		} else if (n->kind == NODE_FILE) {
			if (!o || o->len != n->len ||
			    (n->len && memcmp(o->bytes, n->bytes, n->len)))
				k |= disk_write(path, n);
		} else if (!o)
			k |= symlinkat(n->target, disk_root, path);
	}
	return k;
}

/*
 * Everything under the directory, whatever it is (when what is on disk is not known); dfd is
 * its own open file (a dup() would share disk_root's directory offset, at the end after once).
 */
static void remove_all(int dfd)
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
			remove_all(sub);
			(void)unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR);
		}
	}
	closedir(d);
}

static struct node *decode(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct node *tree = calloc(1, sizeof(*tree));

	if (!tree)
		abort();
	while (in.left > 0)
		make_record(tree, &in);
	return tree;
}

/* The tree on disk as the input describes it; a failure makes it again from nothing. */
static void disk_make(const uint8_t *data, size_t size)
{
	struct node *want = decode(data, size),
		    *was = last_known ? decode(last_input, last_size) : NULL;

	bool made = was && disk_sync("", was, want) == 0;

	if (!made) {
		remove_all(openat(disk_root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
		made = disk_sync("", NULL, want) == 0;
	}
	node_free(was);
	node_free(want);
	last_known = made && size <= LAST_MAX;
	if (last_known) {
		memcpy(last_input, data, size);
		last_size = size;
	}
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

/* The last input's tree stays between inputs; it and the root go when the fuzzer exits. */
static void remove_root(void)
{
	remove_all(openat(disk_root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	(void)rmdir(rootpath);
}

/*
 * Following a "change" (iommucap_host_update reads them, their units, groups and members
 * again) of what did not change must leave the document as it was (text; declined, -EAGAIN,
 * the document is taken as it is then).
 */
static void check_update(struct iommucap_root *r, struct iommucap_host *h,
			 const struct iommucap_change *c, const char *what, char **text)
{
	int k = iommucap_host_update(r, h, c, NULL, NULL);
	char *now;

	if (k < 0 && k != -EAGAIN) {
		fprintf(stderr, "update of %s failed: %s\n", what, strerror(-k));
		abort();
	}
	now = dump(h);
	if (k == 0 && !streq(*text, now)) {
		fprintf(stderr, "update of %s changed the document:\n%s\n%s\n", what, *text, now);
		abort();
	}
	free(*text);
	*text = now;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct iommucap_root *r = NULL;
	struct iommucap_host *h = NULL, *back = NULL;
	int k;

	if (!rootpath) {
		rootpath = temp_root();
		disk_root = open(rootpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (disk_root < 0)
			abort();
		atexit(remove_root);
		setenv("SOURCE_DATE_EPOCH", "0", 1);
	}
	disk_make(data, size);

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

	/* Up to three devices, then a unit and a group, that did not change. */
	for (size_t i = 0; i < h->n_devices && i < 3; i++) {
		char *addr[1] = { strdup(h->devices[i * h->n_devices / 3].address) };

		if (!addr[0])
			abort();
		check_update(r, h, &(struct iommucap_change){ .devices = addr, .n_devices = 1 },
			     addr[0], &text);
		free(addr[0]);
	}
	if (h->n_units > 0 || h->n_groups > 0) {
		char *unit[1] = { h->n_units > 0 ? strdup(h->units[h->n_units / 2].name) : NULL };
		int group[1] = { h->n_groups > 0 ? h->groups[h->n_groups / 2].id : -1 };
		_cleanup_free_ char *what = NULL;

		if ((h->n_units > 0 && !unit[0]) ||
		    asprintf(&what, "unit %s and group %d", unit[0] ?: "-", group[0]) < 0)
			abort();
		check_update(r, h,
			     &(struct iommucap_change){ .units = unit,
							.n_units = h->n_units > 0,
							.groups = group,
							.n_groups = h->n_groups > 0 },
			     what, &text);
		free(unit[0]);
	}

	iommucap_host_free(back);
	iommucap_host_free(h);
	iommucap_root_free(r);
	return 0;
}
