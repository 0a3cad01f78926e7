#!/bin/bash
# tests/capture-sysfs: a tree captured from a tree reads exactly like the original (TAP).
set -u

srcdir=${srcdir:-$(dirname "$0")/..}
builddir=${builddir:-.}
IOMMUCTL=${IOMMUCTL:-$builddir/cli/iommuctl}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
fail=0

for fx in x86-q72-k612-b-intel-sm x86-q72-k61-c-amd arm64-q72-k612-e-smmuv3 \
	x86-q72-k612-d-virtio-iommu smmuv3-props-full large-host; do
	src="$srcdir/tests/fixtures/$fx"
	out="$tmp/$fx"
	n=$((n + 1))
	if ! "$srcdir/tests/capture-sysfs" --root "$src" "$out" >/dev/null 2>"$tmp/err"; then
		fail=$((fail + 1))
		echo "not ok $n - capture-sysfs of $fx"
		sed 's/^/# /' "$tmp/err" | head -5
		continue
	fi
	"$IOMMUCTL" -q --sysroot "$src" dump >"$tmp/a.json"
	"$IOMMUCTL" -q --sysroot "$out" dump >"$tmp/b.json"
	if [ -s "$tmp/a.json" ] && diff -u "$tmp/a.json" "$tmp/b.json" >"$tmp/diff"; then
		echo "ok $n - capture-sysfs of $fx reads the same"
	else
		fail=$((fail + 1))
		echo "not ok $n - capture-sysfs of $fx reads the same"
		sed 's/^/# /' "$tmp/diff" | head -20
	fi
	# The capture holds real symbolic links, whatever form the source had.
	n=$((n + 1))
	if [ -L "$out/sys/class/iommu/$(ls "$src/sys/class/iommu" 2>/dev/null | head -1)" ] ||
		[ -z "$(ls "$src/sys/class/iommu" 2>/dev/null)" ]; then
		echo "ok $n - capture of $fx keeps links as links"
	else
		fail=$((fail + 1))
		echo "not ok $n - capture of $fx keeps links as links"
	fi
done

echo "1..$n"
[ $fail = 0 ]
