#!/bin/bash
# The README's examples run as written: each "$ build/cli/iommuctl ..." in a code block, run
# from the top of the source tree, prints the lines the README shows under it ("..." ends the
# comparison) and no usage error (TAP).
set -u

srcdir=${srcdir:-$(dirname "$0")/..}
builddir=${builddir:-.}
IOMMUCTL=${IOMMUCTL:-$builddir/cli/iommuctl}
WRAP=${IOMMUCTL_WRAPPER:-}
. "$srcdir/tests/tap.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One file per example: its command line (continuations joined), then the lines it shows.
awk -v dir="$tmp" '
	/^```/ { inblock = !inblock; f = ""; next }
	!inblock { next }
	cont { cmd = cmd " " $0; sub(/\\$/, "", cmd); cont = /\\$/; if (!cont) print cmd > (f ".cmd"); next }
	/^\$ build\/cli\/iommuctl / {
		f = dir "/" ++k; cmd = substr($0, 3); sub(/\\$/, "", cmd); cont = /\\$/
		if (!cont) print cmd > (f ".cmd")
		printf "" > (f ".out"); next
	}
	/^\$ / || /^$/ { f = ""; next }
	f != "" { print > (f ".out") }
' "$srcdir/README.md"

for c in "$tmp"/*.cmd; do
	[ -e "$c" ] || break
	ex=${c%.cmd}
	read -r -a argv <"$c"
	(cd "$srcdir" && $WRAP "$IOMMUCTL" "${argv[@]:1}") >"$ex.got" 2>"$ex.err"
	st=$?
	# The shown lines, up to a "..." line, are the first lines printed.
	want=$(awk '/^\.\.\.$/ { exit } { print }' "$ex.out")
	got=$(head -n "$(wc -l <<<"$want")" "$ex.got")
	[ -n "$want" ] && [ "$st" -lt 64 ] && [ "$want" = "$got" ]
	if ! t $? "README: ${argv[*]} (exit $st)"; then
		diff <(echo "$want") <(echo "$got") >"$ex.diff"
		diag "$ex.diff"
		diag "$ex.err" 5
	fi
done
[ "$n" -gt 0 ]
t $? "the README has examples to run"

echo "1..$n"
[ $fail = 0 ]
