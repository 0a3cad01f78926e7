#!/bin/bash
# CLI golden tests: iommuctl on every fixture tree, output diffed with tests/expected/ (TAP).
#
#   tests/golden.sh            run (as "make check" does)
#   tests/golden.sh --update   rewrite the expected files (review the diff before committing)
# Requires: python3 python3-jsonschema
set -u

srcdir=${srcdir:-$(dirname "$0")/..}
builddir=${builddir:-.}
IOMMUCTL=${IOMMUCTL:-$builddir/cli/iommuctl}
WRAP=${IOMMUCTL_WRAPPER:-}
PYTHON3=${PYTHON3:-/usr/bin/python3}
# Documents carry their generation time: a fixed one, as in "make check".
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1767225600}
update=0
[ "${1:-}" = --update ] && update=1

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $*"; }

columns() { "$IOMMUCTL" "$1" --list-columns | awk '{print $1}' | paste -sd, -; }
show_all=$(columns show)
devices_all=$(columns devices)
groups_all=$(columns groups)
tree_all=$(columns tree)

# name|arguments
cases=(
	"show|show"
	"show-all|show -J -o $show_all"
	"show-raw|show -r -o $show_all"
	"devices|devices -o $devices_all"
	"devices-json|devices -J"
	"groups|groups -o $groups_all"
	"tree|tree"
	"tree-all|tree -J -o $tree_all"
	"dump|dump"
)

for dir in "$srcdir"/tests/fixtures/*/; do
	fx=$(basename "$dir")
	[ -d "$dir/sys" ] || [ -d "$dir/proc" ] || continue
	exp="$srcdir/tests/expected/$fx"
	for c in "${cases[@]}"; do
		name=${c%%|*}
		args=${c#*|}
		# shellcheck disable=SC2086
		$WRAP "$IOMMUCTL" --sysroot "$dir" $args >"$out/$name.out" 2>"$out/$name.err"
		echo "exit $?" >>"$out/$name.err"
		# Valgrind's own messages are not part of the expected output, nor where the tree is.
		sed -i '/^==[0-9]*==/d; /^--[0-9]*--/d' "$out/$name.err"
		sed -i "s|${dir%/}/|SYSROOT/|g" "$out/$name.err"
		if [ $update = 1 ]; then
			mkdir -p "$exp"
			cp "$out/$name.out" "$exp/$name.out"
			cp "$out/$name.err" "$exp/$name.err"
			continue
		fi
		if diff -u "$exp/$name.out" "$out/$name.out" >"$out/diff" 2>&1 &&
			diff -u "$exp/$name.err" "$out/$name.err" >>"$out/diff" 2>&1; then
			ok "$fx: iommuctl $name"
		else
			notok "$fx: iommuctl $name"
			sed 's/^/# /' "$out/diff" | head -40
		fi
	done
	[ $update = 1 ] && continue
	# Every printed document validates against the published schema.
	if "$PYTHON3" "$srcdir/tests/validate-json" "$builddir/schema/host.schema.json" \
		"$out/dump.out" 2>"$out/schema.err"; then
		ok "$fx: dump validates against host.schema.json"
	else
		notok "$fx: dump validates against host.schema.json"
		sed 's/^/# /' "$out/schema.err" | head -20
	fi
done

[ $update = 1 ] && exit 0
echo "1..$n"
[ $fail = 0 ]
