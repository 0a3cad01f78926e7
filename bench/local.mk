# Benchmarks: probe time against a bare open/read/close loop.
#
# bench-probe records what the library does to the file system by wrapping, at link time, the
# calls it makes (openat2 goes through syscall()), and their fortified variants (__read_chk...)
# that _FORTIFY_SOURCE builds such as Debian's call instead. bench-smoke is the same program
# defaulting to --smoke, run by "make check" so that the tree generator and the program cannot
# rot. Timings are never asserted in tests: "make bench" prints them.

bench_sources = bench/bench-probe.c bench/gen-tree.c bench/gen-tree.h
bench_ldadd = lib/libiommucap.a $(JANSSON_LIBS)
bench_ldflags = $(AM_LDFLAGS) -Wl,--wrap=syscall -Wl,--wrap=open -Wl,--wrap=openat \
	-Wl,--wrap=dup -Wl,--wrap=read -Wl,--wrap=fstat -Wl,--wrap=fstatat \
	-Wl,--wrap=readlinkat -Wl,--wrap=getdents64 -Wl,--wrap=close \
	-Wl,--wrap=__open_2 -Wl,--wrap=__openat_2 -Wl,--wrap=__read_chk -Wl,--wrap=__readlinkat_chk

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

# Build and run the benchmarks (BENCH_FLAGS: e.g. --units 1,16 --reps 9 --dir /dev/shm), then
# bench-scale: the daemon's RSS, "iommuctl show" and "tree" through it (wall and peak RSS), a re-probe,
# the daemon's RSS across a million queries and a thousand re-probes on generated hosts, and its
# CPU for one device's hotplug on a 5,000-unit host (21,250 devices), each against its baseline of
# the same run (BENCH_SCALE_FLAGS: e.g. --units 64 --reps 5 --queries 100000 --churn 100
# --hotplug-units 0; bench/README.md, "Scale"), and bench-suggest: "iommuctl suggest" and
# "dump --format=nfd" against "show" on the same generated hosts (BENCH_SUGGEST_FLAGS; "Suggest").
bench: bench/bench-probe$(EXEEXT) bench-scale bench-suggest
	./bench/bench-probe$(EXEEXT) $(BENCH_FLAGS)
bench-scale: bench/bench-probe$(EXEEXT) daemon/iommu-capd$(EXEEXT) cli/iommuctl$(EXEEXT) \
		bench/varlink/bench-varlink$(EXEEXT)
	$(PYTHON3) $(top_srcdir)/bench/bench-scale --builddir . $(BENCH_SCALE_FLAGS)
bench-suggest: bench/bench-probe$(EXEEXT) cli/iommuctl$(EXEEXT)
	$(PYTHON3) $(top_srcdir)/bench/bench-suggest --builddir . $(BENCH_SUGGEST_FLAGS)
.PHONY: bench bench-scale bench-suggest

EXTRA_DIST += bench/bench-scale bench/bench-suggest

# ---- Varlink round trips, throughput and RSS (bench/varlink/README.md) --------------------------
#
# bench-varlink times iommu-capd's GetInfo and GetUnit against a raw AF_UNIX echo of the same bytes
# and against systemd 257's sd-varlink (systemd-creds from tests/deps/fetch), in one interleaved
# run. bench-varlink-smoke is the same program defaulting to --smoke (1000 checked round trips to
# the daemon on a fixture, each timed path once, no timing asserted), so that it cannot rot.

noinst_PROGRAMS += bench/varlink/bench-varlink
bench_varlink_bench_varlink_SOURCES = bench/varlink/bench-varlink.c
bench_varlink_bench_varlink_LDADD = varlink/libvarlink.a $(JANSSON_LIBS) -lpthread

check_PROGRAMS += bench/varlink/bench-varlink-smoke
bench_varlink_bench_varlink_smoke_SOURCES = bench/varlink/bench-varlink.c
bench_varlink_bench_varlink_smoke_CPPFLAGS = $(AM_CPPFLAGS) -DBENCH_SMOKE
bench_varlink_bench_varlink_smoke_LDADD = varlink/libvarlink.a $(JANSSON_LIBS) -lpthread

TESTS += bench/varlink/bench-varlink-smoke

EXTRA_DIST += bench/varlink/README.md

# Generate the 1024-unit tree (in BENCH_VARLINK_DIR, default $TMPDIR or /tmp), fetch systemd 257,
# run the measurements; the tree is removed and every server stopped, also on failure or ^C.
# BENCH_VARLINK_FLAGS: e.g. --reps 3 --duration 1 --rss-queries 200000 --no-extra.
BENCH_VARLINK_DIR = $${TMPDIR:-/tmp}
bench-varlink: bench/varlink/bench-varlink$(EXEEXT) bench/bench-probe$(EXEEXT) \
		daemon/iommu-capd$(EXEEXT)
	@set -e; \
	tmp=$$(mktemp -d "$(BENCH_VARLINK_DIR)/bench-varlink-tree.XXXXXX"); \
	trap 'rm -rf "$$tmp"' EXIT; trap 'exit 130' INT TERM HUP; \
	echo "bench-varlink: generating a 1024-unit tree in $$tmp"; \
	./bench/bench-probe$(EXEEXT) --generate 1024 "$$tmp/tree"; \
	$(top_srcdir)/tests/deps/fetch; \
	deps=$$($(top_srcdir)/tests/deps/fetch --print-dir); \
	./bench/varlink/bench-varlink$(EXEEXT) --tree "$$tmp/tree" \
		--daemon ./daemon/iommu-capd$(EXEEXT) --run-trixie "$$deps/bin/run-trixie" \
		$(BENCH_VARLINK_FLAGS)
.PHONY: bench-varlink

# ---- Monitor's diff (bench/monitor/README.md) ---------------------------------------------------
#
# bench-monitor times monitor_diff() between two host documents of 2,000 to 20,000 devices and
# groups (one device added) against json_equal() over the same document in the same run: a diff
# must at least compare every entry, so the ratio stays flat if the diff is O(n log n) and grows
# with n if it is quadratic. bench-monitor-smoke checks the events on a small host in "make check".

noinst_PROGRAMS += bench/monitor/bench-monitor
bench_monitor_bench_monitor_SOURCES = bench/monitor/bench-monitor.c daemon/monitor.c
bench_monitor_bench_monitor_CPPFLAGS = $(AM_CPPFLAGS) -DSRCDIR='"$(abs_top_srcdir)"'
bench_monitor_bench_monitor_LDADD = varlink/libvarlink.a lib/libiommucap.a $(JANSSON_LIBS) \
	$(LIBSYSTEMD_LIBS)

check_PROGRAMS += bench/monitor/bench-monitor-smoke
bench_monitor_bench_monitor_smoke_SOURCES = bench/monitor/bench-monitor.c daemon/monitor.c
bench_monitor_bench_monitor_smoke_CPPFLAGS = $(AM_CPPFLAGS) -DSRCDIR='"$(abs_top_srcdir)"' \
	-DBENCH_SMOKE
bench_monitor_bench_monitor_smoke_LDADD = $(bench_monitor_bench_monitor_LDADD)

TESTS += bench/monitor/bench-monitor-smoke
EXTRA_DIST += bench/monitor/README.md

bench-monitor: bench/monitor/bench-monitor$(EXEEXT)
	./bench/monitor/bench-monitor$(EXEEXT)
.PHONY: bench-monitor

# ---- One device's, unit's or group's change followed alone (bench/update/README.md) --------------
#
# bench-update removes and puts back one endpoint of a generated tree (5,000 units, 21,250 PCI
# devices by default), then its IOMMU unit, and changes its group's type and back; it times, in
# CPU time, the full probe and diff the daemon made for every change against
# iommucap_host_update() and the diff of what it touched; each update's model and events must
# equal the full probe's. bench-update-smoke (make check) does that on 8 units and asserts no
# timing.

noinst_PROGRAMS += bench/update/bench-update
bench_update_bench_update_SOURCES = bench/update/bench-update.c bench/gen-tree.c bench/gen-tree.h \
	daemon/monitor.c
bench_update_bench_update_LDADD = varlink/libvarlink.a lib/libiommucap.a $(JANSSON_LIBS) \
	$(LIBSYSTEMD_LIBS)

check_PROGRAMS += bench/update/bench-update-smoke
bench_update_bench_update_smoke_SOURCES = $(bench_update_bench_update_SOURCES)
bench_update_bench_update_smoke_CPPFLAGS = $(AM_CPPFLAGS) -DBENCH_SMOKE
bench_update_bench_update_smoke_LDADD = $(bench_update_bench_update_LDADD)

TESTS += bench/update/bench-update-smoke
EXTRA_DIST += bench/update/README.md

bench-update: bench/update/bench-update$(EXEEXT)
	./bench/update/bench-update$(EXEEXT) $(BENCH_UPDATE_FLAGS)
.PHONY: bench-update
