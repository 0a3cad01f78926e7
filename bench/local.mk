# Benchmarks: probe time against a bare open/read/close loop.
#
# bench-probe records what the library does to the file system by wrapping, at link time, the
# calls it makes (openat2 goes through syscall()). bench-smoke is the same program defaulting to
# --smoke, run by "make check" so that the tree generator and the program cannot rot. Timings
# are never asserted in tests: "make bench" prints them.

bench_sources = bench/bench-probe.c bench/gen-tree.c bench/gen-tree.h
bench_ldadd = lib/libiommucap.a $(JANSSON_LIBS)
bench_ldflags = $(AM_LDFLAGS) -Wl,--wrap=syscall -Wl,--wrap=open -Wl,--wrap=openat \
	-Wl,--wrap=dup -Wl,--wrap=read -Wl,--wrap=fstat -Wl,--wrap=fstatat \
	-Wl,--wrap=readlinkat -Wl,--wrap=fdopendir -Wl,--wrap=closedir -Wl,--wrap=close

noinst_PROGRAMS += bench/bench-probe
bench_bench_probe_SOURCES = $(bench_sources)
bench_bench_probe_LDADD = $(bench_ldadd)
bench_bench_probe_LDFLAGS = $(bench_ldflags)

check_PROGRAMS += bench/bench-smoke
bench_bench_smoke_SOURCES = $(bench_sources)
bench_bench_smoke_CPPFLAGS = $(AM_CPPFLAGS) -DBENCH_SMOKE
bench_bench_smoke_LDADD = $(bench_ldadd)
bench_bench_smoke_LDFLAGS = $(bench_ldflags)

TESTS += bench/bench-smoke

EXTRA_DIST += bench/README.md

# Build and run the benchmark (BENCH_FLAGS: e.g. --units 1,16 --reps 9 --dir /dev/shm).
bench: bench/bench-probe$(EXEEXT)
	./bench/bench-probe$(EXEEXT) $(BENCH_FLAGS)
.PHONY: bench
