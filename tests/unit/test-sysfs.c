/* Unit tests of lib/sysfs.c: path joining, link resolution and bounded reads under a root. */
#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

#include "unit.h"
#include "tree.h"

/* sysfs_path_join */

static void join_is(const char *dir, const char *target, const char *want)
{
	char *s = NULL;

	assert_int_equal(sysfs_path_join(dir, target, &s), 0);
	assert_non_null(s);
	assert_string_equal(s, want);
	free(s);
}

static void test_join_class_link(void **state)
{
	join_is("sys/class/iommu", "../../devices/virtual/iommu/dmar0",
		"sys/devices/virtual/iommu/dmar0");
}

static void test_join_group_device_link(void **state)
{
	join_is("sys/kernel/iommu_groups/3/devices", "../../../../devices/pci0000:00/0000:00:04.0",
		"sys/devices/pci0000:00/0000:00:04.0");
}

static void test_join_dotdot_clamped_at_root(void **state)
{
	join_is("sys/class/iommu", "../../../../../../etc/passwd", "etc/passwd");
	join_is("a/b", "../../..", "");
	join_is("a", "..", "");
}

static void test_join_absolute_target(void **state)
{
	/* Absolute means from the root the tree is read under, not from "/". */
	join_is("sys/class/iommu", "/sys/devices/virtual/iommu/dmar0",
		"sys/devices/virtual/iommu/dmar0");
	join_is("sys/class/iommu", "/../../x", "x");
}

static void test_join_dot_components(void **state)
{
	join_is("sys/bus/pci/devices", "./0000:00:01.0", "sys/bus/pci/devices/0000:00:01.0");
	join_is("a/b", "c/./d/../e", "a/b/c/e");
	join_is("a/./b", ".", "a/b");
}

static void test_join_repeated_slashes(void **state)
{
	join_is("a//b/", "c//d/", "a/b/c/d");
}

static void test_join_empty_dir(void **state)
{
	join_is("", "x/y", "x/y");
	join_is("", "../x", "x");
}

static void test_join_names_that_look_like_dots(void **state)
{
	join_is("sys", "...", "sys/...");
	join_is("sys", "..foo/.bar", "sys/..foo/.bar");
}

/* path_join, path_basename */

static void test_path_join_and_basename(void **state)
{
	char *s = path_join("sys/class", "iommu");

	assert_string_equal(s, "sys/class/iommu");
	free(s);
	s = path_join("", "iommu");
	assert_string_equal(s, "iommu");
	free(s);
	s = path_join(NULL, "iommu");
	assert_string_equal(s, "iommu");
	free(s);
	assert_string_equal(path_basename("sys/class/iommu/dmar0"), "dmar0");
	assert_string_equal(path_basename("dmar0"), "dmar0");
	assert_string_equal(path_basename("sys/"), "");
}

/* sysfs_resolve_link */

static void resolve_is(struct tree *t, const char *dir, const char *name, const char *want)
{
	char *s = NULL;

	assert_int_equal(sysfs_resolve_link(t->root, dir, name, &s), 0);
	assert_non_null(s);
	assert_string_equal(s, want);
	free(s);
}

static void resolve_fails(struct tree *t, const char *dir, const char *name, int err)
{
	char *s = NULL;

	assert_int_equal(sysfs_resolve_link(t->root, dir, name, &s), err);
	assert_null(s);
}

static void test_resolve_real_symlink(void **state)
{
	struct tree *t = *state;

	tree_symlink(t, "sys/class/iommu/dmar0", "../../devices/virtual/iommu/dmar0");
	resolve_is(t, "sys/class/iommu", "dmar0", "sys/devices/virtual/iommu/dmar0");
}

static void test_resolve_dangling_symlink(void **state)
{
	struct tree *t = *state;

	/* Only the link is read, not its target: a capture may hold links to what it left out. */
	tree_symlink(t, "sys/devices/pci0000:00/0000:00:01.0/driver",
		     "../../../bus/pci/drivers/e1000e");
	resolve_is(t, "sys/devices/pci0000:00/0000:00:01.0", "driver",
		   "sys/bus/pci/drivers/e1000e");
}

static void test_resolve_link_file(void **state)
{
	struct tree *t = *state;

	/* How the captured fixtures store links: a regular file holding the target, no newline. */
	tree_write_str(t, "sys/class/iommu/ivhd0",
		       "../../devices/pci0000:00/0000:00:01.0/iommu/ivhd0");
	resolve_is(t, "sys/class/iommu", "ivhd0",
		   "sys/devices/pci0000:00/0000:00:01.0/iommu/ivhd0");
}

static void test_resolve_link_file_absolute(void **state)
{
	struct tree *t = *state;

	tree_write_str(t, "sys/class/iommu/dmar0", "/sys/devices/virtual/iommu/dmar0");
	resolve_is(t, "sys/class/iommu", "dmar0", "sys/devices/virtual/iommu/dmar0");
}

static void test_resolve_link_file_dot_slash(void **state)
{
	struct tree *t = *state;

	tree_write_str(t, "sys/kernel/iommu_groups/0/devices/x", "./y");
	resolve_is(t, "sys/kernel/iommu_groups/0/devices", "x",
		   "sys/kernel/iommu_groups/0/devices/y");
}

static void test_resolve_regular_file_other_content(void **state)
{
	struct tree *t = *state;

	tree_write_str(t, "sys/class/iommu/dmar0/intel-iommu/cap", "d2008c22260206\n");
	resolve_fails(t, "sys/class/iommu/dmar0/intel-iommu", "cap", -EINVAL);
	tree_write_str(t, "a/b", "devices/virtual/iommu/dmar0");
	resolve_fails(t, "a", "b", -EINVAL);
}

static void test_resolve_link_file_with_newline(void **state)
{
	struct tree *t = *state;

	tree_write_str(t, "a/b", "../x\n../y");
	resolve_fails(t, "a", "b", -EINVAL);
}

static void test_resolve_empty_file(void **state)
{
	struct tree *t = *state;

	tree_write_str(t, "a/b", "");
	resolve_fails(t, "a", "b", -EINVAL);
}

static void test_resolve_missing(void **state)
{
	struct tree *t = *state;

	tree_mkdir(t, "a");
	resolve_fails(t, "a", "nope", -ENOENT);
	resolve_fails(t, "nodir", "nope", -ENOENT);
}

static void test_resolve_directory(void **state)
{
	struct tree *t = *state;

	tree_mkdir(t, "a/b");
	resolve_fails(t, "a", "b", -EINVAL);
}

static void test_resolve_fifo_does_not_hang(void **state)
{
	struct tree *t = *state;
	char *s = NULL;
	int k;

	tree_mkfifo(t, "a/b");
	hang_guard_start(10);
	k = sysfs_resolve_link(t->root, "a", "b", &s);
	hang_guard_stop();
	assert_int_equal(k, -EFTYPE_NOTREG);
	assert_null(s);
}

static void test_resolve_link_file_with_nul(void **state)
{
	struct tree *t = *state;

	tree_write(t, "a/b", "../x\0../y", 9);
	resolve_fails(t, "a", "b", -EINVAL);
}

static void test_resolve_link_file_too_large(void **state)
{
	struct tree *t = *state;
	char big[5000];

	memset(big, 'a', sizeof(big));
	memcpy(big, "../", 3);
	tree_write(t, "a/b", big, sizeof(big));
	resolve_fails(t, "a", "b", -EFBIG);
}

/* sysfs_read, sysfs_read_line */

static void test_read_regular_file(void **state)
{
	struct tree *t = *state;
	char *s = NULL;
	size_t len = 0;

	tree_write_str(t, "f", "d2008c22260206\n");
	assert_int_equal(sysfs_read(t->root, "f", 4096, &s, &len), 0);
	assert_int_equal(len, 15);
	assert_string_equal(s, "d2008c22260206\n");
	free(s);
	/* ret_len may be NULL. */
	assert_int_equal(sysfs_read(t->root, "f", 4096, &s, NULL), 0);
	assert_string_equal(s, "d2008c22260206\n");
	free(s);
}

static void test_read_missing(void **state)
{
	struct tree *t = *state;
	char *s = NULL;

	assert_int_equal(sysfs_read(t->root, "nope", 4096, &s, NULL), -ENOENT);
	assert_null(s);
}

static void test_read_exactly_max(void **state)
{
	struct tree *t = *state;
	char buf[4096], *s = NULL;
	size_t len = 0;

	memset(buf, 'x', sizeof(buf));
	tree_write(t, "f", buf, sizeof(buf));
	assert_int_equal(sysfs_read(t->root, "f", 4096, &s, &len), 0);
	assert_int_equal(len, 4096);
	assert_int_equal(s[4096], 0);
	free(s);
}

static void test_read_larger_than_max(void **state)
{
	struct tree *t = *state;
	char buf[4097], *s = NULL;

	memset(buf, 'x', sizeof(buf));
	tree_write(t, "f", buf, sizeof(buf));
	assert_int_equal(sysfs_read(t->root, "f", 4096, &s, NULL), -EFBIG);
	assert_null(s);
	/* A small bound below the first buffer size is honoured too. */
	tree_write_str(t, "g", "0123456789abcdef");
	assert_int_equal(sysfs_read(t->root, "g", 10, &s, NULL), -EFBIG);
	assert_null(s);
}

static void test_read_empty_file(void **state)
{
	struct tree *t = *state;
	char *s = NULL;
	size_t len = 99;

	tree_write_str(t, "f", "");
	assert_int_equal(sysfs_read(t->root, "f", 4096, &s, &len), 0);
	assert_int_equal(len, 0);
	assert_string_equal(s, "");
	free(s);
}

static void test_read_directory(void **state)
{
	struct tree *t = *state;
	char *s = NULL;

	tree_mkdir(t, "d");
	assert_int_equal(sysfs_read(t->root, "d", 4096, &s, NULL), -EISDIR);
	assert_null(s);
}

static void test_read_fifo_does_not_hang(void **state)
{
	struct tree *t = *state;
	char *s = NULL;
	int k;

	tree_mkfifo(t, "sys/class/iommu/dmar0/intel-iommu/cap");
	hang_guard_start(10);
	k = sysfs_read(t->root, "sys/class/iommu/dmar0/intel-iommu/cap", 4096, &s, NULL);
	hang_guard_stop();
	assert_int_equal(k, -EFTYPE_NOTREG);
	assert_null(s);
}

static void test_read_socket_does_not_hang(void **state)
{
	struct tree *t = *state;
	char *s = NULL;
	int fd, k;

	fd = tree_socket(t, "sock");
	hang_guard_start(10);
	k = sysfs_read(t->root, "sock", 4096, &s, NULL);
	hang_guard_stop();
	close(fd);
	assert_int_equal(k, -ENXIO); /* open(2) of a socket */
	assert_null(s);
}

static void test_read_binary_file(void **state)
{
	struct tree *t = *state;
	char *s = NULL;
	size_t len = 0;

	/* sysfs_read returns bytes as they are; sysfs_read_line refuses a NUL. */
	tree_write(t, "f", "ab\0cd\n", 6);
	assert_int_equal(sysfs_read(t->root, "f", 4096, &s, &len), 0);
	assert_int_equal(len, 6);
	assert_memory_equal(s, "ab\0cd\n", 6);
	free(s);
	s = NULL;
	assert_int_equal(sysfs_read_line(t->root, "f", &s), -EBADMSG);
	assert_null(s);
}

static void test_read_follows_symlink_inside_root(void **state)
{
	struct tree *t = *state;
	char *s = NULL;

	tree_write_str(t, "sys/devices/virtual/iommu/dmar0/intel-iommu/cap", "d2008c22260206\n");
	tree_symlink(t, "sys/class/iommu/dmar0", "../../devices/virtual/iommu/dmar0");
	assert_int_equal(sysfs_read_line(t->root, "sys/class/iommu/dmar0/intel-iommu/cap", &s), 0);
	assert_string_equal(s, "d2008c22260206");
	free(s);
}

/* A file next to the tree, with content the tree must never show. */
#define OUTSIDE_MAX 128

static void make_outside(struct tree *t, char *outside, size_t size)
{
	FILE *f;

	snprintf(outside, size, "%s-outside", t->dir);
	assert_true(mkdir(outside, 0755) == 0 || errno == EEXIST);
	snprintf(outside, size, "%s-outside/secret", t->dir);
	f = fopen(outside, "we");
	assert_non_null(f);
	fputs("secret\n", f);
	assert_int_equal(fclose(f), 0);
	snprintf(outside, size, "%s-outside", t->dir);
}

static void remove_outside(const char *outside)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/secret", outside);
	unlink(path);
	snprintf(path, sizeof(path), "%s/link", outside);
	unlink(path);
	rmdir(outside);
}

static void test_read_symlink_cannot_leave_root(void **state)
{
	struct tree *t = *state;
	char outside[OUTSIDE_MAX], rel[PATH_MAX], *s = NULL;
	int k1, k2, k3;

	make_outside(t, outside, sizeof(outside));
	/* An absolute link, a relative link with too many "..", and ".." in the path itself. */
	tree_symlink(t, "abs", outside);
	tree_symlink(t, "sys/rel", "../../../../../../../../../../..");
	k1 = sysfs_read(t->root, "abs/secret", 4096, &s, NULL);
	if (k1 == 0)
		free(s);
	snprintf(rel, sizeof(rel), "sys/rel%s/secret", outside);
	k2 = sysfs_read(t->root, rel, 4096, &s, NULL);
	if (k2 == 0)
		free(s);
	snprintf(rel, sizeof(rel), "../%s/secret", path_basename(outside));
	k3 = sysfs_read(t->root, rel, 4096, &s, NULL);
	if (k3 == 0)
		free(s);
	assert_int_equal(k1, -ENOENT);
	assert_int_equal(k2, -ENOENT);
	assert_int_equal(k3, -ENOENT);

	/* The same without openat2() (old kernels, seccomp, valgrind): the library's own walk. */
	struct iommucap_root *r2;
	assert_int_equal(iommucap_root_open(t->dir, &r2), 0);
	r2->have_openat2 = false;
	k1 = sysfs_read(r2, "abs/secret", 4096, &s, NULL);
	if (k1 == 0)
		free(s);
	snprintf(rel, sizeof(rel), "sys/rel%s/secret", outside);
	k2 = sysfs_read(r2, rel, 4096, &s, NULL);
	if (k2 == 0)
		free(s);
	iommucap_root_free(r2);
	remove_outside(outside);
	assert_int_equal(k1, -ENOENT);
	assert_int_equal(k2, -ENOENT);
}

static void test_resolve_link_cannot_leave_root(void **state)
{
	struct tree *t = *state;
	char outside[OUTSIDE_MAX], link[PATH_MAX], *s = NULL;
	int k;

	make_outside(t, outside, sizeof(outside));
	snprintf(link, sizeof(link), "%s/link", outside);
	assert_int_equal(symlink("../../devices/virtual/iommu/dmar0", link), 0);
	tree_symlink(t, "sys/class", outside);
	k = sysfs_resolve_link(t->root, "sys/class", "link", &s);
	free(s);
	remove_outside(outside);
	/* Inside the root, sys/class leads to <root>/tmp/...-outside, which does not exist. */
	assert_int_equal(k, -ENOENT);
}

static void test_exists_cannot_leave_root(void **state)
{
	struct tree *t = *state;
	char outside[OUTSIDE_MAX];
	bool b;

	make_outside(t, outside, sizeof(outside));
	tree_symlink(t, "dev", outside);
	b = sysfs_exists(t->root, "dev/secret");
	remove_outside(outside);
	assert_false(b);
}

static void test_read_line_strips_trailing_whitespace_only(void **state)
{
	struct tree *t = *state;
	char *s = NULL;

	tree_write_str(t, "f", "  DMA-FQ \t\r\n\n");
	assert_int_equal(sysfs_read_line(t->root, "f", &s), 0);
	assert_string_equal(s, "  DMA-FQ");
	free(s);
}

/* attr_read, attr_read_hex, attr_read_dec: the values and the reasons in words. */

static void attr_fails(struct tree *t, const char *name, int err, const char *reason)
{
	char *s = NULL, *why = NULL;

	assert_int_equal(attr_read(t->root, "d", name, &s, &why), err);
	assert_null(s);
	assert_non_null(why);
	assert_string_equal(why, reason);
	free(why);
}

static void test_attr_read_ok(void **state)
{
	struct tree *t = *state;
	char *s = NULL, *why = NULL;

	tree_write_str(t, "d/type", "identity\n");
	assert_int_equal(attr_read(t->root, "d", "type", &s, &why), 0);
	assert_string_equal(s, "identity");
	assert_null(why);
	free(s);
}

static void test_attr_read_reasons(void **state)
{
	struct tree *t = *state;
	char big[4097];

	memset(big, '1', sizeof(big));
	tree_write(t, "d/big", big, sizeof(big));
	tree_write(t, "d/bin", "1\0002", 3);
	tree_mkdir(t, "d/dir");
	tree_mkfifo(t, "d/fifo");
	attr_fails(t, "missing", -ENOENT, "missing is missing");
	attr_fails(t, "big", -EFBIG, "big is larger than 4096 bytes");
	attr_fails(t, "bin", -EBADMSG, "bin holds binary data");
	attr_fails(t, "dir", -EISDIR, "cannot read dir: Is a directory");
	attr_fails(t, "fifo", -EFTYPE_NOTREG, "fifo is not a regular file");
}

static void hex_fails(struct tree *t, const char *content, int err, const char *reason)
{
	uint64_t v = 42;
	char *why = NULL;

	tree_write_str(t, "d/cap", content);
	assert_int_equal(attr_read_hex(t->root, "d", "cap", &v, &why), err);
	assert_int_equal(v, 42);
	assert_non_null(why);
	assert_string_equal(why, reason);
	free(why);
}

static void test_attr_read_hex_ok(void **state)
{
	struct tree *t = *state;
	uint64_t v = 0;
	char *why = NULL;

	tree_write_str(t, "d/cap", "d2008c22260206\n");
	assert_int_equal(attr_read_hex(t->root, "d", "cap", &v, &why), 0);
	assert_int_equal(v, UINT64_C(0xd2008c22260206));
	assert_null(why);
}

static void test_attr_read_hex_empty(void **state)
{
	hex_fails(*state, "", -ENODATA, "cap is empty");
}

static void test_attr_read_hex_newline_only(void **state)
{
	hex_fails(*state, "\n", -ENODATA, "cap is empty");
}

static void test_attr_read_hex_garbage(void **state)
{
	hex_fails(*state, "zz\n", -EINVAL, "cap is not a hexadecimal number: \"zz\"");
}

static void test_attr_read_hex_overflow(void **state)
{
	hex_fails(*state, "10000000000000000\n", -ERANGE,
		  "cap is not a hexadecimal number: \"10000000000000000\"");
}

static void test_attr_read_hex_missing(void **state)
{
	struct tree *t = *state;
	uint64_t v = 42;
	char *why = NULL;

	tree_mkdir(t, "d");
	assert_int_equal(attr_read_hex(t->root, "d", "cap", &v, &why), -ENOENT);
	assert_string_equal(why, "cap is missing");
	assert_int_equal(v, 42);
	free(why);
}

static void test_attr_read_dec(void **state)
{
	struct tree *t = *state;
	uint64_t v = 0;
	char *why = NULL;

	tree_write_str(t, "d/domains_supported", "65536\n");
	assert_int_equal(attr_read_dec(t->root, "d", "domains_supported", &v, &why), 0);
	assert_int_equal(v, 65536);
	tree_write_str(t, "d/model", "0x2\n");
	assert_int_equal(attr_read_dec(t->root, "d", "model", &v, &why), -EINVAL);
	assert_string_equal(why, "model is not a decimal number: \"0x2\"");
	free(why);
}

/* sysfs_list, sysfs_exists */

static void test_list_version_order(void **state)
{
	struct tree *t = *state;
	char **v = NULL;
	size_t n = 0;

	tree_mkdir(t, "g/10");
	tree_mkdir(t, "g/2");
	tree_mkdir(t, "g/1");
	tree_write_str(t, "g/dmar10", "");
	tree_write_str(t, "g/dmar9", "");
	assert_int_equal(sysfs_list(t->root, "g", &v, &n), 0);
	assert_int_equal(n, 5);
	assert_string_equal(v[0], "1");
	assert_string_equal(v[1], "2");
	assert_string_equal(v[2], "10");
	assert_string_equal(v[3], "dmar9");
	assert_string_equal(v[4], "dmar10");
	strv_free(v, n);
}

static void test_list_empty_missing_and_file(void **state)
{
	struct tree *t = *state;
	char **v = NULL;
	size_t n = 7;

	tree_mkdir(t, "empty");
	tree_write_str(t, "file", "x");
	assert_int_equal(sysfs_list(t->root, "empty", &v, &n), 0);
	assert_int_equal(n, 0);
	strv_free(v, n);
	assert_int_equal(sysfs_list(t->root, "missing", &v, &n), -ENOENT);
	assert_int_equal(sysfs_list(t->root, "file", &v, &n), -ENOTDIR);
}

static void test_exists(void **state)
{
	struct tree *t = *state;

	tree_write_str(t, "dev/vfio/vfio", "");
	tree_symlink(t, "dangling", "nowhere");
	assert_true(sysfs_exists(t->root, "dev/vfio/vfio"));
	assert_true(sysfs_exists(t->root, "dangling"));
	assert_false(sysfs_exists(t->root, "dev/iommu"));
}

static void test_root_open_errors(void **state)
{
	struct tree *t = *state;
	struct iommucap_root *r = NULL;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/nope", t->dir);
	assert_int_equal(iommucap_root_open(path, &r), -ENOENT);
	assert_null(r);
	tree_write_str(t, "file", "");
	snprintf(path, sizeof(path), "%s/file", t->dir);
	assert_int_equal(iommucap_root_open(path, &r), -ENOTDIR);
	assert_null(r);
}

/* value_excerpt */

static void excerpt_is(const char *in, const char *want)
{
	char *s = value_excerpt(in);

	assert_non_null(s);
	assert_string_equal(s, want);
	free(s);
}

static void test_excerpt_plain(void **state)
{
	excerpt_is("0xzz", "\"0xzz\"");
	excerpt_is("", "\"\"");
}

static void test_excerpt_escapes(void **state)
{
	excerpt_is("a\"b\\c\n\t\xff", "\"a\\x22b\\x5cc\\x0a\\x09\\xff\"");
}

static void test_excerpt_truncates_at_32(void **state)
{
	excerpt_is("0123456789abcdef0123456789abcdef", "\"0123456789abcdef0123456789abcdef\"");
	excerpt_is("0123456789abcdef0123456789abcdefX", "\"0123456789abcdef0123456789abcdef...\"");
}

static void test_excerpt_worst_case_length(void **state)
{
	char in[41];

	memset(in, 0x01, 40);
	in[40] = 0;
	char *s = value_excerpt(in);
	assert_non_null(s);
	assert_int_equal(strlen(s), 1 + 32 * 4 + 3 + 1);
	assert_memory_equal(s + 1 + 32 * 4, "...\"", 4);
	free(s);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tree_setup, tree_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_join_class_link),
		cmocka_unit_test(test_join_group_device_link),
		cmocka_unit_test(test_join_dotdot_clamped_at_root),
		cmocka_unit_test(test_join_absolute_target),
		cmocka_unit_test(test_join_dot_components),
		cmocka_unit_test(test_join_repeated_slashes),
		cmocka_unit_test(test_join_empty_dir),
		cmocka_unit_test(test_join_names_that_look_like_dots),
		cmocka_unit_test(test_path_join_and_basename),
		T(test_resolve_real_symlink),
		T(test_resolve_dangling_symlink),
		T(test_resolve_link_file),
		T(test_resolve_link_file_absolute),
		T(test_resolve_link_file_dot_slash),
		T(test_resolve_regular_file_other_content),
		T(test_resolve_link_file_with_newline),
		T(test_resolve_empty_file),
		T(test_resolve_missing),
		T(test_resolve_directory),
		T(test_resolve_fifo_does_not_hang),
		T(test_resolve_link_file_with_nul),
		T(test_resolve_link_file_too_large),
		T(test_read_regular_file),
		T(test_read_missing),
		T(test_read_exactly_max),
		T(test_read_larger_than_max),
		T(test_read_empty_file),
		T(test_read_directory),
		T(test_read_fifo_does_not_hang),
		T(test_read_socket_does_not_hang),
		T(test_read_binary_file),
		T(test_read_follows_symlink_inside_root),
		T(test_read_symlink_cannot_leave_root),
		T(test_resolve_link_cannot_leave_root),
		T(test_exists_cannot_leave_root),
		T(test_read_line_strips_trailing_whitespace_only),
		T(test_attr_read_ok),
		T(test_attr_read_reasons),
		T(test_attr_read_hex_ok),
		T(test_attr_read_hex_empty),
		T(test_attr_read_hex_newline_only),
		T(test_attr_read_hex_garbage),
		T(test_attr_read_hex_overflow),
		T(test_attr_read_hex_missing),
		T(test_attr_read_dec),
		T(test_list_version_order),
		T(test_list_empty_missing_and_file),
		T(test_exists),
		T(test_root_open_errors),
		cmocka_unit_test(test_excerpt_plain),
		cmocka_unit_test(test_excerpt_escapes),
		cmocka_unit_test(test_excerpt_truncates_at_32),
		cmocka_unit_test(test_excerpt_worst_case_length),
	};

	return cmocka_run_group_tests_name("sysfs", tests, NULL, NULL);
}
