#!/bin/bash
# Every C file follows .clang-format (kernel-like: tabs, 8 wide, 100 columns) (TAP).
# Requires: clang-format
set -u
srcdir=${srcdir:-$(dirname "$0")/..}
cd "$srcdir" || exit 1
if ! command -v clang-format >/dev/null; then
	echo "1..0 # SKIP clang-format is not installed"
	exit 0
fi
n=0
fail=0
for f in $(find lib cli daemon fuzz bench tests -name '*.[ch]' 2>/dev/null | sort); do
	# Generated files (the interface text compiled in) are not hand-formatted.
	head -1 "$f" | grep -q '^/\* Generated' && continue
	n=$((n + 1))
	if clang-format --dry-run --Werror "$f" 2>/dev/null; then
		echo "ok $n - $f is formatted"
	else
		fail=$((fail + 1))
		echo "not ok $n - $f is formatted (run: clang-format -i $f)"
	fi
done
echo "1..$n"
[ $fail = 0 ]
