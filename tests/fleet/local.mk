# Fleet: compare and baseline over host documents, and their bench.

# The library part (pure: functions over the host model and requirement documents).

# test-fleet: the library on hand-made hosts (TAP); with --check REQ HOST... it is also the
# iommucap_check() the script runs on generated host documents, which no sysroot backs.
check_PROGRAMS += tests/fleet/test-fleet
tests_fleet_test_fleet_SOURCES = tests/fleet/test-fleet.c
tests_fleet_test_fleet_LDADD = lib/libiommucap.a $(JANSSON_LIBS)

TESTS += tests/fleet/test-fleet tests/fleet/fleet.py
EXTRA_DIST += tests/fleet/fleet.py tests/fleet/fleet_oracle.py tests/fleet/gen-hosts

# The bench (bench/fleet/README.md): compare one reference with N hosts and the baseline of N
# hosts, N = 1,000 to 10,000 documents generated from the fixtures; time and peak RSS.
# bench-fleet-smoke runs it on 100 hosts in "make check" (results checked, nothing timed).
TESTS += bench/fleet/bench-fleet-smoke.py
EXTRA_DIST += bench/fleet/bench-fleet.py bench/fleet/bench-fleet-smoke.py bench/fleet/README.md

# BENCH_FLEET_FLAGS: e.g. --sizes 1000,10000 --reps 5 --dir /dev/shm
bench-fleet: cli/iommuctl$(EXEEXT)
	$(PYTHON3) $(srcdir)/bench/fleet/bench-fleet.py --iommuctl ./cli/iommuctl$(EXEEXT) \
		$(BENCH_FLEET_FLAGS)
.PHONY: bench-fleet
