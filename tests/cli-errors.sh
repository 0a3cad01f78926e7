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
# getopt names the program by argv[0], our messages by its short name: the same one here, however
# it was started ($IOMMUCTL is a path).
expect "unknown option is a usage error naming the program as every message does" 64 \
	"^iommuctl: unrecognized option '--frobnicate'\$" '' -- --frobnicate
expect "a bad option value is a usage error naming the program once" 64 \
	"^iommuctl: --format takes json, prometheus or nfd, not .xml.$" '' -- dump --format=xml
# After a command, a wrong option points at that command's help (as "git COMMAND -h" does);
# before it, at the program's.
expect "an unknown option after a command points at the command's help" 64 \
	"^Try .iommuctl groups --help' or .iommuctl groups --usage'" '' -- groups --bogus
expect "a bad value after a command points at the command's help" 64 \
	"^Try .iommuctl dump --help' or .iommuctl dump --usage'" '' -- dump --format=xml
expect "an unknown option before any command points at the program's help" 64 \
	"^Try .iommuctl --help' or .iommuctl --usage' for more information" '' -- --bogus groups
expect "the help pointed at is the command's" 0 '^$' '^Usage: iommuctl groups ' -- groups --help
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
expect "-h is --help" 0 '^$' '^Usage: iommuctl \[OPTION\.\.\.\] \[COMMAND' -- -h

# COMMAND --help: that command's usage line (its arguments), its text and only its options.
expect "show --help is show's usage" 0 '^$' '^Usage: iommuctl show \[OPTION\.\.\.\] \[UNIT\.\.\.\]$' -- \
	show --help
expect "show --help lists show's options" 0 '^$' '--list-columns' -- show --help
n=$((n + 1))
if $WRAP "$IOMMUCTL" show --help 2>&1 | grep -q -e --qemu -e --migratable; then
	fail=$((fail + 1))
	echo "not ok $n - show --help lists options show does not take"
else
	echo "ok $n - show --help leaves out the options of check and compare"
fi
expect "check --help names its arguments and options" 0 '^$' \
	'^Usage: iommuctl check \[OPTION\.\.\.\] \[FILE\|-\]$' -- check --help
expect "check --help lists --qemu" 0 '^$' '--qemu\[=DEVICE\]' -- check --help
expect "check --help gives check's exit status" 0 '^$' '2 indeterminate' -- check --help
expect "options before the command: still the command's help" 0 '^$' \
	'^Usage: iommuctl compare \[OPTION\.\.\.\] A B \[B\.\.\.\]$' -- --help compare
expect "--usage after a command is the command's usage" 0 '^$' '^Usage: iommuctl baseline .*--migratable' -- \
	baseline --usage
expect "help for an unknown command is a usage error" 64 '^iommuctl: unknown command: nope' '^$' -- \
	nope --help
for cmd in $($WRAP "$IOMMUCTL" --help | awk '/^Commands:/{on=1; next} on && /^  [a-z]/{print $1}'); do
	expect "$cmd --help prints its own usage" 0 '^$' "^Usage: iommuctl $cmd " -- "$cmd" --help
done
expect "+LIST adds columns to the default" 0 '^$' '^NAME +MODEL .*PATH$' -- \
	--sysroot "$intel" show -o +PATH
expect "columns are case-insensitive" 0 '^$' '^NAME +PASID$' -- --sysroot "$intel" show -o name,pasid
# No unit in sys/class/iommu: one line naming where we looked and the causes the kernel has for
# registering none (firmware tables; intel_iommu=on without CONFIG_INTEL_IOMMU_DEFAULT_ON,
# amd_iommu=off, iommu=off; the drivers' Kconfig symbols), and success: the answer is "none".
expect "a host without IOMMUs says so with the likely causes" 0 \
	'^iommuctl: no IOMMU in .*/x86-q72-k61-d-virtio-iommu/sys/class/iommu: .*firmware.*intel_iommu=on.*amd_iommu=off.*CONFIG_INTEL_IOMMU' \
	'^$' -- --sysroot "$fx/x86-q72-k61-d-virtio-iommu" show
n=$((n + 1))
if [ "$(wc -l <"$tmp/err")" = 1 ]; then
	echo "ok $n - the no-IOMMU message is one line"
else
	fail=$((fail + 1))
	echo "not ok $n - the no-IOMMU message is $(wc -l <"$tmp/err") lines"
fi
expect "--quiet leaves the no-IOMMU message out" 0 '^$' '^$' -- \
	--sysroot "$fx/x86-q72-k61-d-virtio-iommu" show -q
expect "a host without IOMMUs is no message for devices" 0 '^$' '' -- \
	--sysroot "$fx/x86-q72-k61-d-virtio-iommu" devices
expect "JSON for a host without IOMMUs is an empty list" 0 'no IOMMU' '"units": \[\]' -- \
	--sysroot "$fx/x86-q72-k61-d-virtio-iommu" show -J
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

# A directory where a file is expected: said as such (strerror(EISDIR)), not "not JSON".
mkdir -p "$tmp/adir"
expect "check DIR: is a directory" 64 "^iommuctl: cannot read $tmp/adir: Is a directory\$" '^$' -- \
	--sysroot "$intel" check "$tmp/adir"
expect "compare DIR: is a directory" 66 "^iommuctl: cannot read $tmp/adir: Is a directory\$" '^$' -- \
	compare "$tmp/adir" "$tmp/adir"
# Duplicate keys: refused by the requirement reader as the daemon's varlink reader refuses them
# (jansson's JSON_REJECT_DUPLICATES message).
printf '{"schema_version": 1, "features": {"ats": true}, "features": {}}\n' >"$tmp/dup.json"
expect "check FILE with a duplicate key: not JSON, naming it" 65 \
	"^iommuctl: $tmp/dup.json: not JSON: line 1: duplicate object key near '\"features\"'\$" '^$' -- \
	--sysroot "$intel" check "$tmp/dup.json"
"$IOMMUCTL" --sysroot "$intel" dump | sed '0,/"schema_version": 1,/s//"schema_version": 1, "schema_version": 1,/' \
	>"$tmp/duphost.json"
expect "compare with a duplicate key in a host document: not JSON" 65 \
	"^iommuctl: $tmp/duphost.json: not JSON: line 2: duplicate object key" '^$' -- \
	compare "$tmp/duphost.json" "$tmp/duphost.json"

# --libvirt: a start tag with more attributes than any libvirt element has is refused before
# libxml2 2.9.14 spends seconds on it (quadratic in the attributes of one tag); 200 are read.
# (caching_mode on: QEMU 11.1 refuses an assigned device behind intel-iommu without it.)
/usr/bin/python3 -c '
import sys
for path, n in ((sys.argv[1], 40000), (sys.argv[2], 200)):
    attrs = " ".join(f"a{i}=\"x\"" for i in range(n))
    open(path, "w").write(f"<domain><devices><!-- a=b --><iommu model=\"intel\" {attrs}>"
                          "<driver caching_mode=\"on\"/></iommu></devices></domain>")
' "$tmp/attrs.xml" "$tmp/attrs-ok.xml"
expect "--libvirt with 40000 attributes on one element: refused at once" 65 \
	'^iommuctl: invalid requirement \(.*/attrs.xml\): an element has more than 256 attributes$' '' -- \
	--sysroot "$intel" check --libvirt "$tmp/attrs.xml"
expect "--libvirt with 200 attributes on one element: read" 0 '^$' '' -- \
	--sysroot "$intel" check --libvirt "$tmp/attrs-ok.xml"

echo "1..$n"
[ $fail = 0 ]
