#!/bin/bash
# Trees a real host can have that are odd for the code (TAP): no PCI bus (an Arm platform host), no
# IOMMU groups, no IOMMU units, none at all. Each must probe to a full document (exit 0, valid
# against the schema, the lists empty), through every command and through the daemon. Run under
# the sanitizer build, any undefined behaviour on an empty list aborts.
set -u
# Both sides stamp the same generated_at.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1767225600}

srcdir=${srcdir:-$(dirname "$0")/..}
builddir=${builddir:-.}
IOMMUCTL=${IOMMUCTL:-$builddir/cli/iommuctl}
DAEMON=${DAEMON:-$builddir/daemon/iommu-capd}
WRAP=${IOMMUCTL_WRAPPER:-}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=${PYTHON3:-python3}
tmp=$(mktemp -d)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		grep -qsa iommu-capd "/proc/$p/cmdline" && kill "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

# shellcheck source=tests/tap.sh
. "$srcdir/tests/tap.sh"

# The real capture of an Arm64 guest (SMMUv3, Linux 6.12): a PCI bus, groups and one unit.
base="$srcdir/tests/fixtures/arm64-q72-k612-e-smmuv3"

# odd_tree NAME WHAT...: a copy of the capture without WHAT (pci, groups, units). Without groups
# or units the devices' iommu_group or iommu links go too, as the kernel makes them only then.
odd_tree() {
	local name=$1 what
	shift
	cp -a "$base" "$tmp/$name"
	for what in "$@"; do
		case $what in
		pci) rm -rf "$tmp/$name/sys/bus/pci" ;;
		groups)
			rm -rf "$tmp/$name/sys/kernel/iommu_groups"
			find "$tmp/$name/sys/devices" -name iommu_group -type l -delete
			;;
		units)
			rm -rf "$tmp/$name/sys/class/iommu"
			find "$tmp/$name/sys/devices" -name iommu -type l -delete
			;;
		esac
	done
}

# count TREE DIR: the entries of DIR in the tree (what the document must list).
count() {
	if [ -d "$1/$2" ]; then
		find "$1/$2" -mindepth 1 -maxdepth 1 | wc -l
	else
		echo 0
	fi
}

start_daemon() { # TREE SOCKET
	"$DAEMON" --sysroot "$1" --listen "unix:$2" 2>>"$tmp/daemon.log" &
	pids+=($!)
	for _ in $(seq 100); do [ -S "$2" ] && return 0; sleep 0.05; done
	return 1
}

for variant in "no-pci pci" "no-groups groups" "no-units units" "no-iommu groups units" \
	"nothing pci groups units"; do
	# shellcheck disable=SC2086
	set -- $variant
	name=$1
	shift
	odd_tree "$name" "$@"
	tree="$tmp/$name"
	$WRAP "$IOMMUCTL" --sysroot "$tree" dump >"$tmp/$name.json" 2>"$tmp/$name.err"
	t $? "$name: dump exits 0" || diag "$tmp/$name.err" 5
	"$PY" "$srcdir/tests/validate-json" "$builddir/schema/host.schema.json" "$tmp/$name.json" \
		2>"$tmp/$name.val"
	t $? "$name: the document is valid against schema/host.schema.json" || diag "$tmp/$name.val" 5
	units=$(count "$tree" sys/class/iommu)
	groups=$(count "$tree" sys/kernel/iommu_groups)
	devices=$(count "$tree" sys/bus/pci/devices)
	"$PY" -c '
import json, sys
doc = json.load(open(sys.argv[1]))
got = [len(doc[k]) for k in ("units", "groups", "devices")]
want = [int(x) for x in sys.argv[2:5]]
assert got == want, f"units, groups, devices: {got}, want {want}"
' "$tmp/$name.json" "$units" "$groups" "$devices" 2>"$tmp/$name.cnt"
	t $? "$name: $units units, $groups groups, $devices devices, as in the tree" ||
		diag "$tmp/$name.cnt" 3
	# Under make check-valgrind, valgrind's own notes ("--PID-- WARNING: unhandled syscall: 437",
	# openat2, which lib/sysfs.c falls back from) are not ours.
	! grep -v 'warning:' "$tmp/$name.err" | grep -vE '^--[0-9]+-- ' | grep -q .
	t $? "$name: nothing on stderr but warnings" || diag "$tmp/$name.err" 5
	for cmd in show devices groups tree "dump --format=prometheus" "dump --format=nfd"; do
		# shellcheck disable=SC2086
		$WRAP "$IOMMUCTL" --sysroot "$tree" $cmd >"$tmp/out" 2>"$tmp/err"
		t $? "$name: $cmd exits 0" || diag "$tmp/err" 5
	done
	start_daemon "$tree" "$tmp/$name.sock"
	t $? "$name: the daemon starts" || diag "$tmp/daemon.log" 5
	"$IOMMUCTL" --address "unix:$tmp/$name.sock" dump >"$tmp/d.json" 2>/dev/null &&
		cmp -s "$tmp/d.json" "$tmp/$name.json"
	t $? "$name: GetHost through the daemon is the same document"
done

echo "1..$n"
[ "$fail" = 0 ]
