# TAP helpers shared by the shell tests: source it, call t/skip/diag, end with tap_end.
# t STATUS NAME: "ok"/"not ok" from an exit status (returns it); skip REASON; diag FILE [LINES].
n=0
fail=0
t() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		fail=$((fail + 1))
		echo "not ok $n - $2"
	fi
	[ "$1" = 0 ]
}
skip() {
	n=$((n + 1))
	echo "ok $n # SKIP $1"
}
diag() {
	sed 's/^/# /' "$1" | head -n "${2:-20}"
}
