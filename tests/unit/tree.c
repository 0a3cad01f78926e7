/* Temporary directory trees for the unit tests that read files through a root. */
#include "config.h"

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "unit.h"
#include "tree.h"

static void tree_path(const struct tree *t, const char *path, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/%s", t->dir, path);

	assert_true(n > 0 && (size_t)n < size);
}

/* mkdir -p of the parent directories of path. */
static void make_parents(struct tree *t, const char *path)
{
	char full[PATH_MAX];

	tree_path(t, path, full, sizeof(full));
	for (char *p = full + strlen(t->dir) + 1; (p = strchr(p, '/')); p++) {
		*p = 0;
		if (mkdir(full, 0755) < 0)
			assert_int_equal(errno, EEXIST);
		*p = '/';
	}
}

int tree_setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	strcpy(t->dir, "/tmp/iommucap-unit-XXXXXX");
	if (!mkdtemp(t->dir) || iommucap_root_open(t->dir, &t->root) < 0) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

int tree_teardown(void **state)
{
	struct tree *t = *state;
	int k;

	iommucap_root_free(t->root);
	k = nftw(t->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	free(t);
	return k;
}

void tree_write(struct tree *t, const char *path, const void *data, size_t len)
{
	char full[PATH_MAX];
	FILE *f;

	make_parents(t, path);
	tree_path(t, path, full, sizeof(full));
	f = fopen(full, "we");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

void tree_write_str(struct tree *t, const char *path, const char *s)
{
	tree_write(t, path, s, strlen(s));
}

void tree_mkdir(struct tree *t, const char *path)
{
	char full[PATH_MAX];

	make_parents(t, path);
	tree_path(t, path, full, sizeof(full));
	assert_int_equal(mkdir(full, 0755), 0);
}

void tree_symlink(struct tree *t, const char *path, const char *target)
{
	char full[PATH_MAX];

	make_parents(t, path);
	tree_path(t, path, full, sizeof(full));
	assert_int_equal(symlink(target, full), 0);
}

void tree_mkfifo(struct tree *t, const char *path)
{
	char full[PATH_MAX];

	make_parents(t, path);
	tree_path(t, path, full, sizeof(full));
	assert_int_equal(mkfifo(full, 0644), 0);
}

int tree_socket(struct tree *t, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	make_parents(t, path);
	tree_path(t, path, sa.sun_path, sizeof(sa.sun_path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 1), 0);
	return fd;
}

void hang_guard_start(unsigned secs)
{
	signal(SIGALRM, SIG_DFL);
	alarm(secs);
}

void hang_guard_stop(void)
{
	alarm(0);
}
