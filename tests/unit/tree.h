/* Temporary directory trees for the unit tests that read files through a root. */
#pragma once

#include <stddef.h>

#include "iommucap.h"

struct tree {
	char dir[64];		    /* absolute path of the temporary directory */
	struct iommucap_root *root; /* opened on dir */
};

/* cmocka setup/teardown: *state becomes a struct tree on a new empty directory. */
int tree_setup(void **state);
int tree_teardown(void **state);

/* Create path (relative to the tree, parents made as needed) holding len bytes of data. */
void tree_write(struct tree *t, const char *path, const void *data, size_t len);
void tree_write_str(struct tree *t, const char *path, const char *s);
void tree_mkdir(struct tree *t, const char *path);
void tree_symlink(struct tree *t, const char *path, const char *target);
void tree_mkfifo(struct tree *t, const char *path);
/* A listening unix socket bound at path; the returned fd must be closed by the caller. */
int tree_socket(struct tree *t, const char *path);

/* Guard a call that must not block: the test binary dies of SIGALRM after secs seconds. */
void hang_guard_start(unsigned secs);
void hang_guard_stop(void);
