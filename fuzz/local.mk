# Fuzz targets (libFuzzer, clang): built and run by "make check-fuzz", not by "make check".

FUZZ_TARGETS = fuzz/fuzz-parsers fuzz/fuzz-varlink fuzz/fuzz-requirement fuzz/fuzz-host \
	fuzz/fuzz-sysfs
FUZZ_SECONDS = 20
FUZZ_CC = clang
FUZZ_LIBSRC = $(top_srcdir)/lib/model.c $(top_srcdir)/lib/parse.c $(top_srcdir)/lib/pci.c \
	$(top_srcdir)/lib/probe-host.c $(top_srcdir)/lib/sysfs.c $(top_srcdir)/lib/regs.c \
	$(top_srcdir)/lib/acpi.c $(top_srcdir)/lib/ksem.c $(top_srcdir)/lib/decode-vtd.c \
	$(top_srcdir)/lib/decode-amdvi.c $(top_srcdir)/lib/decode-smmuv3.c

# fuzz-varlink's transport: memory (vl_test_conn) or socket (a socketpair on sd-event).
VL_FUZZ_TRANSPORT = memory
FUZZ_VARLINK_SRC = $(top_srcdir)/varlink/server.c $(top_srcdir)/varlink/idl.c

EXTRA_DIST += fuzz/fuzz-parsers.c fuzz/fuzz-varlink.c fuzz/local.mk fuzz/corpus fuzz/README.md

fuzz/fuzz-parsers: $(top_srcdir)/fuzz/fuzz-parsers.c $(FUZZ_LIBSRC)
	@mkdir -p fuzz
	$(AM_V_CC)$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-I$(top_srcdir) -I$(top_srcdir)/lib -I$(top_builddir) -include $(top_builddir)/config.h \
		$(JANSSON_CFLAGS) -o $@ $^ $(JANSSON_LIBS)

# The real interface text comes from the generated daemon/io-iommucapd-idl.h.
fuzz/fuzz-varlink: $(top_srcdir)/fuzz/fuzz-varlink.c $(FUZZ_VARLINK_SRC) daemon/io-iommucapd-idl.h
	@mkdir -p fuzz
	$(AM_V_CC)$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-I$(top_srcdir) -I$(top_srcdir)/lib -I$(top_builddir) -I$(top_builddir)/daemon \
		-include $(top_builddir)/config.h $(JANSSON_CFLAGS) $(LIBSYSTEMD_CFLAGS) -o $@ \
		$(top_srcdir)/fuzz/fuzz-varlink.c $(FUZZ_VARLINK_SRC) $(JANSSON_LIBS) $(LIBSYSTEMD_LIBS) -lm

# Each target for FUZZ_SECONDS from the seed corpus; a crash, leak or UB report fails.
check-fuzz: $(FUZZ_TARGETS)
	@for t in $(FUZZ_TARGETS); do \
		name=$$(basename $$t); work=$$(mktemp -d); \
		cp $(top_srcdir)/fuzz/corpus/$${name#fuzz-}/* $$work/ 2>/dev/null; \
		max_len=8192; \
		if test $$name = fuzz-sysfs; then \
			max_len=$(FUZZ_SYSFS_MAX_LEN); \
			$(top_srcdir)/fuzz/make-sysfs-seeds $(top_srcdir)/tests/fixtures $$work \
				$(FUZZ_SYSFS_SEEDS) || exit 1; \
		fi; \
		echo "  FUZZ     $$t ($(FUZZ_SECONDS) s)"; \
		VL_FUZZ_TRANSPORT=$(VL_FUZZ_TRANSPORT) ./$$t -max_total_time=$(FUZZ_SECONDS) \
			-max_len=$$max_len -print_final_stats=1 -artifact_prefix=$$work/ $$work >$$work/log 2>&1 || \
			{ tail -40 $$work/log; echo "FAIL: $$t (artifacts in $$work)"; exit 1; }; \
		grep -E 'stat::number_of_executed_units|stat::peak_rss' $$work/log; \
		echo "PASS: $$t"; rm -rf $$work; \
	done
CLEANFILES += $(FUZZ_TARGETS)
.PHONY: check-fuzz

# fuzz-requirement: the requirement parser and printer, and both importers (libxml2).
FUZZ_REQUIREMENT_SRC = $(top_srcdir)/lib/requirement.c $(top_srcdir)/lib/jsonpath.c \
	$(top_srcdir)/lib/import-qemu.c \
	$(top_srcdir)/lib/import-libvirt.c $(top_srcdir)/lib/libxml-dl.c $(FUZZ_LIBSRC)

EXTRA_DIST += fuzz/fuzz-requirement.c

fuzz/fuzz-requirement: $(top_srcdir)/fuzz/fuzz-requirement.c $(FUZZ_REQUIREMENT_SRC)
	@mkdir -p fuzz
	$(AM_V_CC)$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-I$(top_srcdir) -I$(top_srcdir)/lib -I$(top_builddir) -include $(top_builddir)/config.h \
		$(JANSSON_CFLAGS) $(LIBXML_CFLAGS) -o $@ $^ $(JANSSON_LIBS) $(LIBXML_LIBS)

# fuzz-host: the host document reader and writer (the tables of lib/document.c).
FUZZ_HOST_SRC = $(FUZZ_LIBSRC) $(top_srcdir)/lib/json.c $(top_srcdir)/lib/json-parse.c \
	$(top_srcdir)/lib/document.c $(top_srcdir)/lib/jsonpath.c $(top_srcdir)/lib/hwinfo.c

EXTRA_DIST += fuzz/fuzz-host.c

fuzz/fuzz-host: $(top_srcdir)/fuzz/fuzz-host.c $(FUZZ_HOST_SRC)
	@mkdir -p fuzz
	$(AM_V_CC)$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-I$(top_srcdir) -I$(top_srcdir)/lib -I$(top_builddir) -include $(top_builddir)/config.h \
		$(JANSSON_CFLAGS) -o $@ $^ $(JANSSON_LIBS)

# fuzz-sysfs: the whole probe (every lib/ file) over a tree decoded from each input, and the
# document read back. Its seeds are the fixture trees, encoded at run time by make-sysfs-seeds
# (large-host is left out: 300 KB as an input).
FUZZ_SYSFS_MAX_LEN = 20000
FUZZ_SYSFS_SEEDS = $$(cd $(top_srcdir)/tests/fixtures && ls | grep -v -e '^large-host$$' -e '\.md$$')

EXTRA_DIST += fuzz/fuzz-sysfs.c fuzz/make-sysfs-seeds

fuzz/fuzz-sysfs: $(top_srcdir)/fuzz/fuzz-sysfs.c $(lib_libiommucap_a_SOURCES)
	@mkdir -p fuzz
	$(AM_V_CC)srcs=; for f in $(lib_libiommucap_a_SOURCES); do \
		case $$f in *.c) srcs="$$srcs $(top_srcdir)/$$f" ;; esac; \
	done; \
	$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-I$(top_srcdir) -I$(top_srcdir)/lib -I$(top_builddir) -include $(top_builddir)/config.h \
		$(JANSSON_CFLAGS) $(LIBXML_CFLAGS) -o $@ $(top_srcdir)/fuzz/fuzz-sysfs.c $$srcs \
		$(JANSSON_LIBS) $(LIBXML_LIBS)
