#!/bin/bash
# The man page and the bash completion follow the program: every column, option and command
# iommuctl knows is documented and completed, and completion really completes (TAP).
set -u

srcdir=${srcdir:-$(dirname "$0")/..}
builddir=${builddir:-.}
IOMMUCTL=${IOMMUCTL:-$builddir/cli/iommuctl}
man="$srcdir/man/iommuctl.1"
comp="$srcdir/shell-completion/bash/iommuctl"
n=0
fail=0
t() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else fail=$((fail + 1)); echo "not ok $n - $2"; fi
}

# Columns: each one in its command's section of the man page.
for cmd in show devices groups tree; do
	section=$(awk -v s="$cmd" '/^\.SS /{on = ($2 == s)} on' "$man")
	for col in $("$IOMMUCTL" "$cmd" --list-columns | awk '{print $1}'); do
		grep -qx "\.B $col" <<<"$section"
		t $? "man page documents $cmd column $col"
	done
done

# Long options: in the man page and in the completion's option list.
for opt in $("$IOMMUCTL" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
	grep -q -- "$(sed 's/-/\\\\-/g' <<<"$opt")" "$man"
	t $? "man page documents $opt"
	grep -q -- "$opt" "$comp"
	t $? "completion offers $opt"
done

# Commands named in --help.
for cmd in $("$IOMMUCTL" --help | awk '/^Commands:/{on=1; next} on && /^  [a-z]/{print $1}'); do
	grep -q "^\.BR* $cmd" "$man"
	t $? "man page documents command $cmd"
done

# The RULES section is the rule records, word for word.
"$srcdir/tools/man-rules" --check "$IOMMUCTL" "$man"
t $? "man page RULES section matches 'iommuctl check --list-rules' (tools/man-rules)"

# Completion in a real bash: commands, columns (from --list-columns) and unit names.
bc=/usr/share/bash-completion/bash_completion
if [ -r "$bc" ]; then
	complete_words() {
		PATH="$(dirname "$IOMMUCTL"):$PATH" bash -c '
			source "$1"; source "$2"; shift 2
			COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
			COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
			_iommuctl_module iommuctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
			printf "%s\n" "${COMPREPLY[@]}"' _ "$bc" "$comp" "$@" 2>/dev/null
	}
	[ "$(complete_words iommuctl de)" = devices ]
	t $? "completion completes the command 'devices'"
	[ "$(complete_words iommuctl show -o PASID-)" = "PASID-TABLES
PASID-ALIGN" ] || [ "$(complete_words iommuctl show -o PASID-)" = "PASID-ALIGN
PASID-TABLES" ]
	t $? "completion completes show columns"
	[ "$(complete_words iommuctl devices -o DEVICE,EFF)" = "DEVICE,EFF-PASID" ]
	t $? "completion completes the second column of a list"
	[ "$(complete_words iommuctl check --qe)" = --qemu= ]
	t $? "completion completes an option of the command"
	[ "$(complete_words iommuctl show --q)" = --quiet ]
	t $? "completion offers show its --quiet, not check's --qemu"
	[ "$(complete_words iommuctl --sysroot "$srcdir/tests/fixtures/x86-q72-k612-c-amd" show i)" = ivhd0 ]
	t $? "completion completes unit names under --sysroot"
	[ "$(complete_words iommuctl --sysroot "$srcdir/tests/fixtures/x86-q72-k612-c-amd" tree i)" = ivhd0 ]
	t $? "completion completes tree's unit names"
	[ "$(complete_words iommuctl tree -o DOM)" = DOMAIN ]
	t $? "completion completes tree columns"
else
	for _ in $(seq 8); do
		skip "bash-completion is not installed (Debian package bash-completion): completion"
	done
fi

echo "1..$n"
[ $fail = 0 ]
