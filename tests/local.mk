# CLI golden tests, schema validation, kernel cross-checks, valgrind and sanitizer runs.

TEST_EXTENSIONS = .sh .py
TAP_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
SH_LOG_DRIVER = $(TAP_DRIVER)
# tests/run-test reports a test skipped, naming the Debian package, when what it needs is missing.
SH_LOG_COMPILER = $(BASH) $(top_srcdir)/tests/run-test $(BASH)
PY_LOG_DRIVER = $(TAP_DRIVER)
PY_LOG_COMPILER = $(BASH) $(top_srcdir)/tests/run-test $(PYTHON3)
AM_TESTS_ENVIRONMENT = SOURCE_DATE_EPOCH=1767225600 DAEMON='$(abs_top_builddir)/daemon/iommu-capd' srcdir='$(abs_top_srcdir)' builddir='$(abs_top_builddir)' \
	PYTHON3='$(PYTHON3)' IOMMUCTL='$(abs_top_builddir)/cli/iommuctl' \
	IOMMUCTL_WRAPPER='$(IOMMUCTL_WRAPPER)'; \
	export SOURCE_DATE_EPOCH DAEMON srcdir builddir PYTHON3 IOMMUCTL IOMMUCTL_WRAPPER;
LOG_COMPILER = $(CMOCKA_WRAPPER)

TESTS += tests/golden.sh tests/kernel-decode.py tests/cli-errors.sh tests/docs-sync.sh \
	tests/capture.sh tests/format.sh tests/daemon-cli.sh tests/schema-sync.py \
	tests/varlink-idl.sh tests/readme-examples.sh tests/tree.py

EXTRA_DIST += tests/golden.sh tests/kernel-decode.py tests/cli-errors.sh tests/docs-sync.sh \
	tests/capture.sh tests/format.sh tests/daemon-cli.sh tests/schema-sync.py \
	tests/varlink-idl.sh tests/readme-examples.sh tests/tree.py tests/taplib.py tests/deps/fetch tests/deps/README.md tests/tap.sh \
	tests/run-test tests/deps/have \
	tests/validate-json tests/capture-sysfs tests/make-unreadable-tree tests/gen-large-host \
	tests/gen-broken-huge-file tests/gen-synthetic-fixtures tests/fixlib.py \
	tests/fixtures tests/expected

# The suite with every run of our programs under valgrind (leaks and invalid accesses fail it):
# the C test programs (CMOCKA_WRAPPER) and the scripts that run iommuctl, the daemon or a test
# server through IOMMUCTL_WRAPPER (themselves or through tests/clients/common.*). The other
# scripts would only run again unchanged, so they are left out. Run it with -j.
# Its cost is valgrind's start-up times the runs: 1346 runs under valgrind (golden.sh 387,
# fleet.py 224, qemu-judge.py 217, nfd.py 172, prometheus.sh 91, tree.py 82, the rest under 60
# each), ~0.55 s user+sys each before any work (a program linking only jansson and smartcols).
# iommuctl loads libxml2 (and ICU) only for --libvirt: 0.73-0.76 s per "show" of a fixture, was
# 0.84-0.89 s (2026-12, loaded 2-core machine), ~170 s of CPU less over the stage.
VALGRIND_FLAGS = -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect
check-valgrind: all
	@if test "$(VALGRIND)" = no; then \
		echo "check-valgrind: valgrind is not installed (Debian package valgrind; tools/setup test installs it)" >&2; \
		exit 1; \
	fi; \
	tests=; \
	for t in $(TESTS); do \
		case $$t in \
		*.sh | *.py) grep -qE 'IOMMUCTL_WRAPPER|clients/common|^import common' "$(srcdir)/$$t" || continue ;; \
		esac; \
		tests="$$tests $$t"; \
	done; \
	echo "check-valgrind:$$tests"; \
	$(MAKE) $(AM_MAKEFLAGS) check TESTS="$$tests" \
		IOMMUCTL_WRAPPER='$(VALGRIND) $(VALGRIND_FLAGS)' CMOCKA_WRAPPER='$(VALGRIND) $(VALGRIND_FLAGS)'
.PHONY: check-valgrind

TESTS += tests/requirement-schema.py tests/check-cases.py tests/suggest.py tests/qemu-judge.py
EXTRA_DIST += tests/suggest.py tests/qemu-judge.py schema/suggestion.schema.json
EXTRA_DIST += tests/requirement-schema.py tests/check-cases.py schema/check-result.schema.json

# Odd but real trees: no PCI bus, no groups, no units; bytes that are not UTF-8.
TESTS += tests/odd-trees.sh
EXTRA_DIST += tests/odd-trees.sh
TESTS += tests/non-utf8.py
EXTRA_DIST += tests/non-utf8.py

# Captures iommufd hw_info on a live host for tests/capture-sysfs (docs/hw-info.md).
noinst_PROGRAMS += tests/hwinfo-capture
tests_hwinfo_capture_SOURCES = tests/hwinfo-capture.c
tests_hwinfo_capture_LDADD = lib/libiommucap.a $(JANSSON_LIBS)

# The capability catalogue against the schemas and the varlink interface.
TESTS += tests/catalogue.py
EXTRA_DIST += tests/catalogue.py
