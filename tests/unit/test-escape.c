/* Unit tests of lib/escape.c: which bytes are well-formed UTF-8, and how the others are shown. */
#include "config.h"

#include "unit.h"

/* s as bytes_escape() shows it (want NULL: unchanged) and whether a byte was not UTF-8. */
static void shown(const char *s, const char *want, bool want_invalid)
{
	char *got = (char *)"poison";
	bool invalid = !want_invalid;

	assert_int_equal(bytes_escape(s, &got, &invalid), 0);
	if (want)
		assert_string_equal(got, want);
	else
		assert_null(got);
	assert_int_equal(invalid, want_invalid);
	free(got);
}

static void test_ascii_and_empty_unchanged(void **state)
{
	shown("", NULL, false);
	shown("0000:00:1f.2", NULL, false);
	shown("a\\b", NULL, false); /* a backslash not before x is kept */
}

/* Well-formed sequences at each boundary of Unicode 15's Table 3-7 (RFC 3629 section 4). */
static void test_well_formed_boundaries_unchanged(void **state)
{
	shown("\xc2\x80", NULL, false);		/* U+0080 */
	shown("\xdf\xbf", NULL, false);		/* U+07FF */
	shown("\xe0\xa0\x80", NULL, false);	/* U+0800 */
	shown("\xed\x9f\xbf", NULL, false);	/* U+D7FF, the last before the surrogates */
	shown("\xee\x80\x80", NULL, false);	/* U+E000, the first after them */
	shown("\xef\xbf\xbf", NULL, false);	/* U+FFFF */
	shown("\xf0\x90\x80\x80", NULL, false); /* U+10000 */
	shown("\xf4\x8f\xbf\xbf", NULL, false); /* U+10FFFF, the last code point */
	shown("caf\xc3\xa9 \xe2\x82\xac", NULL, false);
}

/* Each byte that is not part of a well-formed sequence is \xHH; the bytes after it are read anew.
 */
static void test_ill_formed_escaped_byte_by_byte(void **state)
{
	shown("\xff", "\\xff", true);
	shown("iommu=pt\xff", "iommu=pt\\xff", true);
	shown("\x80", "\\x80", true);				 /* a continuation byte alone */
	shown("\xc0\x80", "\\xc0\\x80", true);			 /* overlong U+0000 */
	shown("\xc1\xbf", "\\xc1\\xbf", true);			 /* overlong U+007F */
	shown("\xe0\x9f\xbf", "\\xe0\\x9f\\xbf", true);		 /* overlong U+07FF */
	shown("\xed\xa0\x80", "\\xed\\xa0\\x80", true);		 /* U+D800, a surrogate */
	shown("\xf0\x8f\xbf\xbf", "\\xf0\\x8f\\xbf\\xbf", true); /* overlong U+FFFF */
	shown("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80", true); /* U+110000 */
	shown("\xf5\x80", "\\xf5\\x80", true);
	shown("\xc3(", "\\xc3(", true);	       /* a lead byte without its continuation */
	shown("\xe2\x82", "\\xe2\\x82", true); /* cut short at the end */
	shown("\xe2\x82\xc3\xa9", "\\xe2\\x82\xc3\xa9", true); /* ...and a valid one after */
}

/* A backslash before x is \x5c, valid or not, so that "\xff" in a name is not taken for a byte. */
static void test_backslash_x_escaped(void **state)
{
	shown("a\\xff", "a\\x5cxff", false);
	shown("\\x\xff", "\\x5cx\\xff", true);
	shown("\\", NULL, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ascii_and_empty_unchanged),
		cmocka_unit_test(test_well_formed_boundaries_unchanged),
		cmocka_unit_test(test_ill_formed_escaped_byte_by_byte),
		cmocka_unit_test(test_backslash_x_escaped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
