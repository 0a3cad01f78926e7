#!/bin/bash
# iommuctl's handling of bad usage and bad input: one clear line, a documented exit code (TAP).
set -u

srcdir=${srcdir:-$(dirname "$0")/..}
builddir=${builddir:-.}
IOMMUCTL=${IOMMUCTL:-$builddir/cli/iommuctl}
WRAP=${IOMMUCTL_WRAPPER:-}
fx="$srcdir/tests/fixtures"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

n=0
fail=0

# match FILE REGEX: '' matches anything, '^$' only an empty file.
match() {
	case "$2" in
	'') return 0 ;;
	'^$') [ ! -s "$1" ] ;;
	*) grep -Eq -- "$2" "$1" ;;
	esac
}

# expect NAME STATUS STDERR-REGEX STDOUT-REGEX -- ARGS...
expect() {
	local name=$1 want=$2 errre=$3 outre=$4 st
	shift 5
	$WRAP "$IOMMUCTL" "$@" >"$tmp/out" 2>"$tmp/err"
	st=$?
	sed -i '/^==[0-9]*==/d; /^--[0-9]*--/d' "$tmp/err"
	n=$((n + 1))
	if [ "$st" = "$want" ] && match "$tmp/err" "$errre" && match "$tmp/out" "$outre"; then
		echo "ok $n - $name"
	else
		fail=$((fail + 1))
		echo "not ok $n - $name (exit $st, want $want)"
		sed 's/^/# stderr: /' "$tmp/err" | head -5
		sed 's/^/# stdout: /' "$tmp/out" | head -5
	fi
}

intel="$fx/x86-q72-k612-b-intel-sm"

expect "unknown command is a usage error" 64 '^iommuctl: unknown command: frobnicate' '' -- \
	--sysroot "$intel" frobnicate
expect "unknown option is a usage error" 64 'unrecognized option' '' -- --frobnicate
expect "unknown column is a usage error naming it" 64 '^iommuctl: unknown column: BOGUS' '' -- \
	--sysroot "$intel" show -o NAME,BOGUS
expect "missing sysroot fails in one line" 1 '^iommuctl: cannot open /nonexistent-root: No such file' \
	'' -- --sysroot /nonexistent-root show
expect "unknown unit filter fails" 1 '^iommuctl: dmar9: no such unit$' '' -- \
	--sysroot "$intel" show dmar9
expect "unit filter selects the unit" 0 '^$' '^dmar0 ' -- --sysroot "$intel" show -n dmar0
expect "device filter selects one device" 0 '^$' '^0000:00:1f\.2 ' -- \
	--sysroot "$intel" devices -n 0000:00:1f.2
expect "group filter with an unknown group fails" 1 '^iommuctl: 99: no such group$' '' -- \
	--sysroot "$intel" groups 99
expect "dump takes no arguments" 64 '^iommuctl: dump takes no arguments' '' -- \
	--sysroot "$intel" dump extra
expect "--help exits 0 and lists the commands" 0 '^$' 'devices \[ADDRESS' -- --help
expect "--version names the package" 0 '^$' '^iommu-capd [0-9]' -- --version
expect "+LIST adds columns to the default" 0 '^$' '^NAME +MODEL .*PATH$' -- \
	--sysroot "$intel" show -o +PATH
expect "columns are case-insensitive" 0 '^$' '^NAME +PASID$' -- --sysroot "$intel" show -o name,pasid
expect "a host without IOMMUs shows nothing" 0 '^$' '^$' -- \
	--sysroot "$fx/x86-q72-k61-d-virtio-iommu" show
expect "--list-columns -J is JSON" 0 '^$' '"columns"' -- show --list-columns -J
expect "an empty sysroot is a host with nothing, and says what is missing" 0 \
	'warning: host: proc/sys/kernel/osrelease is missing' '"units":\[\],"groups":\[\]' -- \
	--sysroot "$tmp" dump --compact

# A tree with an unreadable file, a FIFO and a directory where attributes belong. Root reads
# anything, so that run drops to nobody when we are root.
if [ -x "$srcdir/tests/make-unreadable-tree" ]; then
	as_nobody=()
	if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
		as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
		chmod o+rx "$tmp"
	fi
	"$srcdir/tests/make-unreadable-tree" "$tmp/unreadable" >/dev/null
	# The build tree may sit in a directory nobody cannot enter: run a copy from $tmp.
	cp "$IOMMUCTL" "$tmp/iommuctl" && chmod 0755 "$tmp/iommuctl"
	n=$((n + 1))
	"${as_nobody[@]}" timeout 20 "$tmp/iommuctl" --sysroot "$tmp/unreadable" --offline dump \
		>"$tmp/out" 2>"$tmp/err"
	st=$?
	if [ $st = 0 ] && grep -q 'cannot read cap: Permission denied' "$tmp/err" &&
		grep -q 'ecap is not a regular file' "$tmp/err" &&
		grep -q '"cap": "cannot read cap: Permission denied"' "$tmp/out"; then
		echo "ok $n - unreadable, FIFO and directory attributes give reasons, not a hang or crash"
	else
		fail=$((fail + 1))
		echo "not ok $n - unreadable tree (exit $st)"
		sed 's/^/# /' "$tmp/err" | head -10
	fi
fi

echo "1..$n"
[ $fail = 0 ]
