# Fuzz targets (libFuzzer, clang): built and run by "make check-fuzz", not by "make check".

FUZZ_TARGETS = fuzz/fuzz-parsers
FUZZ_SECONDS = 20
FUZZ_CC = clang
FUZZ_LIBSRC = $(top_srcdir)/lib/model.c $(top_srcdir)/lib/parse.c $(top_srcdir)/lib/pci.c \
	$(top_srcdir)/lib/probe-host.c $(top_srcdir)/lib/sysfs.c $(top_srcdir)/lib/regs.c

EXTRA_DIST += fuzz/fuzz-parsers.c fuzz/local.mk fuzz/corpus

fuzz/fuzz-parsers: $(top_srcdir)/fuzz/fuzz-parsers.c $(FUZZ_LIBSRC)
	@mkdir -p fuzz
	$(AM_V_CC)$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-I$(top_srcdir) -I$(top_srcdir)/lib -I$(top_builddir) -include $(top_builddir)/config.h \
		$(JANSSON_CFLAGS) -o $@ $^ $(JANSSON_LIBS)

# Each target for FUZZ_SECONDS from the seed corpus; a crash, leak or UB report fails.
check-fuzz: $(FUZZ_TARGETS)
	@for t in $(FUZZ_TARGETS); do \
		name=$$(basename $$t); work=$$(mktemp -d); \
		cp $(top_srcdir)/fuzz/corpus/$${name#fuzz-}/* $$work/ 2>/dev/null; \
		echo "  FUZZ     $$t ($(FUZZ_SECONDS) s)"; \
		./$$t -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -print_final_stats=1 \
			-artifact_prefix=$$work/ $$work >$$work/log 2>&1 || \
			{ tail -40 $$work/log; echo "FAIL: $$t (artifacts in $$work)"; exit 1; }; \
		grep -E 'stat::number_of_executed_units|stat::peak_rss' $$work/log; \
		echo "PASS: $$t"; rm -rf $$work; \
	done
CLEANFILES += $(FUZZ_TARGETS)
.PHONY: check-fuzz
