/* Shared helpers of the cmocka unit tests: known-bug skips and capability assertions. */
#pragma once

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model.h"
#include "sysfs.h"

/*
 * A test that shows a library bug not fixed yet. It is skipped, so the suite passes, unless
 * IOMMUCAP_RUN_KNOWN_BUGS=1 is set in the environment: then it runs, and fails until the
 * library is fixed. Remove the KNOWN_BUG() line together with the fix.
 */
#define KNOWN_BUG(why)                                                                             \
	do {                                                                                       \
		const char *_e = getenv("IOMMUCAP_RUN_KNOWN_BUGS");                                \
                                                                                                   \
		if (!_e || strcmp(_e, "1") != 0) {                                                 \
			print_message("[  KNOWN BUG ] %s (IOMMUCAP_RUN_KNOWN_BUGS=1 runs it)\n",   \
				      (why));                                                      \
			skip();                                                                    \
		}                                                                                  \
	} while (0)

/* The capability has the source and the number (INT or BOOL). */
#define assert_cap_num(u, c, src, v)                                                               \
	do {                                                                                       \
		assert_int_equal((u)->caps[(c)].source, (src));                                    \
		assert_int_equal((u)->caps[(c)].num, (v));                                         \
	} while (0)

#define assert_cap_bool(u, c, src, v) assert_cap_num(u, c, src, (v) ? 1 : 0)

/* An ENUM capability holding the value of this name. */
#define assert_cap_str(u, c, src, v)                                                               \
	do {                                                                                       \
		assert_int_equal((u)->caps[(c)].source, (src));                                    \
		assert_string_equal(iommucap_cap_info(c)->names[(u)->caps[(c)].num], (v));         \
	} while (0)

/* An INT_LIST capability holding exactly the numbers given. */
#define assert_cap_nums(u, c, src, ...)                                                            \
	do {                                                                                       \
		const uint64_t _want[] = { __VA_ARGS__ };                                          \
		const struct iommucap_capval *_v = &(u)->caps[(c)];                                \
                                                                                                   \
		assert_int_equal(_v->source, (src));                                               \
		assert_int_equal(_v->list.n, ELEMENTSOF(_want));                                   \
		for (size_t _i = 0; _i < ELEMENTSOF(_want); _i++)                                  \
			assert_int_equal(_v->list.nums[_i], _want[_i]);                            \
	} while (0)

/* A STR_LIST capability holding exactly the strings given, in order. */
#define assert_cap_strs(u, c, src, ...)                                                            \
	do {                                                                                       \
		const char *const _want[] = { __VA_ARGS__ };                                       \
		const struct iommucap_capval *_v = &(u)->caps[(c)];                                \
                                                                                                   \
		assert_int_equal(_v->source, (src));                                               \
		assert_int_equal(_v->list.n, ELEMENTSOF(_want));                                   \
		for (size_t _i = 0; _i < ELEMENTSOF(_want); _i++)                                  \
			assert_string_equal(_v->list.strs[_i], _want[_i]);                         \
	} while (0)

/* A list capability that is known and empty. */
#define assert_cap_empty(u, c, src)                                                                \
	do {                                                                                       \
		assert_int_equal((u)->caps[(c)].source, (src));                                    \
		assert_int_equal((u)->caps[(c)].list.n, 0);                                        \
	} while (0)

/* Not known: the decoder left it alone or marked it unknown. */
#define assert_cap_unknown(u, c) assert_int_equal((u)->caps[(c)].source, IOMMUCAP_SRC_UNKNOWN)

/* Not known, with a reason that contains the given words. */
#define assert_cap_unknown_because(u, c, words)                                                    \
	do {                                                                                       \
		assert_cap_unknown(u, c);                                                          \
		assert_non_null((u)->caps[(c)].reason);                                            \
		assert_non_null(strstr((u)->caps[(c)].reason, (words)));                           \
	} while (0)

/* A three-valued device field. */
#define assert_tri_value(t, v)                                                                     \
	do {                                                                                       \
		assert_true((t).known);                                                            \
		assert_int_equal((t).value, (v));                                                  \
	} while (0)

#define assert_tri_unknown(t)                                                                      \
	do {                                                                                       \
		assert_false((t).known);                                                           \
		assert_non_null((t).reason);                                                       \
	} while (0)
