# Hostile varlink clients against the daemon, and the varlink layer's unit tests.
#
# Tests that show a known varlink bug are reported as TAP "# TODO" (daemon-hostile.py) or skipped
# (test-varlink; IOMMUCAP_RUN_KNOWN_BUGS=1 runs them), so the suite passes until they are fixed.

TESTS += tests/hostile/daemon-hostile.py
EXTRA_DIST += tests/hostile/daemon-hostile.py tests/hostile/local.mk

if HAVE_CMOCKA
TESTS += tests/hostile/test-varlink
check_PROGRAMS += tests/hostile/test-varlink

tests_hostile_test_varlink_SOURCES = tests/hostile/test-varlink.c
tests_hostile_test_varlink_CPPFLAGS = $(AM_CPPFLAGS) -DBUILDDIR='"$(abs_top_builddir)"'
tests_hostile_test_varlink_CFLAGS = $(AM_CFLAGS) $(LIBSYSTEMD_CFLAGS) $(CMOCKA_CFLAGS)
tests_hostile_test_varlink_LDADD = varlink/libvarlink.a $(JANSSON_LIBS) $(LIBSYSTEMD_LIBS) \
	$(CMOCKA_LIBS) -lm
endif
