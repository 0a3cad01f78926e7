#!/bin/bash
# Every varlink interface under schema/ must parse with three independent IDL parsers: systemd 257
# ("varlinkctl validate-idl"), python3-varlink (varlink.Interface) and varlink-go (idl.New), so
# that all their clients can use the daemon's GetInterfaceDescription text (TAP).
# The tools come from tests/deps/fetch (Debian packages unpacked into a cache, nothing installed).
# Requires: python3
set -u

srcdir=${srcdir:-$(dirname "$0")/..}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

n=0
fail=0
pass() {
	n=$((n + 1))
	echo "ok $n - $1"
}
flunk() {
	n=$((n + 1))
	fail=$((fail + 1))
	echo "not ok $n - $1"
}
diag() {
	sed 's/^/# /' "$@"
}

# The tools. A failed fetch (e.g. no network) is a failure, not a skip.
fetch=$srcdir/tests/deps/fetch
if "$fetch" >"$tmp/fetch" 2>&1; then
	pass "tests/deps/fetch provides the varlink tools"
	diag "$tmp/fetch"
else
	st=$?
	flunk "tests/deps/fetch provides the varlink tools: $(tail -n1 "$tmp/fetch") (exit $st)"
	diag "$tmp/fetch"
	echo "1..$n"
	exit 1
fi
deps=$("$fetch" --print-dir)

# The parsers: parse_NAME FILE prints its verdict and exits 0 if FILE parses, 1 if not.
parse_systemd() { SYSTEMD_COLORS=0 "$deps/bin/varlinkctl" validate-idl "$1"; }
parse_python() { "$deps/bin/varlink-idl-lint-python" "$1"; }
parse_go() { "$deps/bin/varlink-idl-lint-go" "$1"; }
parsers=(systemd python go)
declare -A title=(
	[systemd]="varlinkctl validate-idl (systemd 257)"
	[python]="python3-varlink varlink.Interface()"
	[go]="varlink-go idl.New()"
)

# accepts PARSER FILE NAME
accepts() {
	local st
	"parse_$1" "$2" >"$tmp/out" 2>&1
	st=$?
	if [ $st = 0 ]; then
		pass "$3: ${title[$1]} accepts it"
	else
		flunk "$3: ${title[$1]} rejects it (exit $st)"
		diag "$tmp/out" | tail -n 20
		# systemd names the place as FILE:LINE:COLUMN, but its LINE counts every line that has a
		# comment twice (257.13): show the line of the file it means.
		local at
		at=$(grep -Eo -m1 ':[0-9]+:[0-9]+: ' "$tmp/out" | cut -d: -f2)
		[ -z "$at" ] || awk -v at="$at" 's + 1 == at { print "# that is line " NR ": " $0; exit }
			{ s += 1 + (index($0, "#") > 0) }' "$2"
	fi
}

# rejects PARSER FILE WHAT MESSAGE-REGEX: a negative control; the parser must fail with exit 1
# and its own parse error, not because it could not run.
rejects() {
	local st
	"parse_$1" "$2" >"$tmp/out" 2>&1
	st=$?
	if [ $st = 1 ] && grep -Eq -- "$4" "$tmp/out"; then
		pass "${title[$1]} rejects $3 (negative control)"
	else
		flunk "${title[$1]} rejects $3 (negative control; exit $st, want 1 and /$4/)"
		diag "$tmp/out" | tail -n 20
	fi
}

# Controls: a minimal interface all three accept, and for each parser one change that only it
# refuses (known differences of systemd 257, python3-varlink 31 and varlink-go 0.4).
cat >"$tmp/control.varlink" <<'EOF'
# A minimal interface all three parsers accept.
interface org.example.lintcontrol

type Kind (alpha, beta)

method Ping(text: string) -> (text: string, kind: ?Kind)

error Failed(reason: string)
EOF
sed 's/^method Ping(text: string)/method Ping(text: string, tags: [string]())/' \
	"$tmp/control.varlink" >"$tmp/bad-systemd.varlink"
sed 's/^type Kind (alpha, beta)/type Kind (alpha)/' "$tmp/control.varlink" >"$tmp/bad-python.varlink"
sed 's/^interface org.example.lintcontrol/interface org.Example.lintcontrol/' \
	"$tmp/control.varlink" >"$tmp/bad-go.varlink"
for p in "${parsers[@]}"; do
	if cmp -s "$tmp/control.varlink" "$tmp/bad-$p.varlink"; then
		echo "# internal error: the $p negative control is unchanged" >&2
		exit 99
	fi
done

for p in "${parsers[@]}"; do
	accepts "$p" "$tmp/control.varlink" "a minimal valid interface (control)"
done
rejects systemd "$tmp/bad-systemd.varlink" "a [string]() field" ':[0-9]+:[0-9]+: '
rejects python "$tmp/bad-python.varlink" "a single-value enum" 'SyntaxError'
rejects go "$tmp/bad-go.varlink" "an uppercase interface name" 'interface name'

# The interfaces of the daemon.
mapfile -t files < <(find "$builddir/schema" -name '*.varlink' -type f | LC_ALL=C sort)
if [ ${#files[@]} = 0 ]; then
	flunk "schema/ has varlink interface files"
fi
for f in "${files[@]}"; do
	for p in "${parsers[@]}"; do
		accepts "$p" "$f" "schema/${f#"$builddir/schema/"}"
	done
done

echo "1..$n"
[ $fail = 0 ]
