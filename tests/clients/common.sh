# shellcheck shell=bash
# shellcheck disable=SC2034 # variables for the scripts that source this file
# Shared helpers of the tests/clients shell tests (sourced): TAP output, the fetched varlink
# tools, a daemon (or another server) on a socket in a temp dir, stopped with SIGTERM.

srcdir=${srcdir:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
builddir=${builddir:-.}
PYTHON3=${PYTHON3:-/usr/bin/python3}
IOMMUCTL=${IOMMUCTL:-$builddir/cli/iommuctl}
DAEMON=$builddir/daemon/iommu-capd
fx=$srcdir/tests/fixtures
# make check-valgrind runs the servers under valgrind too (a leak or bad access: exit 99).
WRAP=${IOMMUCTL_WRAPPER:-}

n=0
fail=0
server_pid=
tmp=$(mktemp -d "${TMPDIR:-/tmp}/iommucapd-clients.XXXXXX")

cleanup() {
	if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
		kill -TERM "$server_pid" 2>/dev/null
		wait "$server_pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

# ok CONDITION-STATUS NAME [DETAIL-FILE...]: one TAP line; on failure the files, as comments.
ok() {
	local st=$1 name=$2 f
	shift 2
	n=$((n + 1))
	if [ "$st" = 0 ]; then
		echo "ok $n - $name"
	else
		fail=$((fail + 1))
		echo "not ok $n - $name"
		for f in "$@"; do
			[ -s "$f" ] && head -c 2000 "$f" | head -20 | sed "s|^|# $(basename "$f"): |"
		done
	fi
	return 0
}

# todo CONDITION-STATUS NAME REASON [DETAIL-FILE...]: a known failure (TAP "# TODO").
todo() {
	local st=$1 name=$2 why=$3 f
	shift 3
	n=$((n + 1))
	if [ "$st" = 0 ]; then
		echo "ok $n - $name # TODO $why"
	else
		echo "not ok $n - $name # TODO $why"
		for f in "$@"; do
			[ -s "$f" ] && head -c 2000 "$f" | head -20 | sed "s|^|# $(basename "$f"): |"
		done
	fi
	return 0
}

finish() {
	echo "1..$n"
	[ "$fail" = 0 ]
	exit
}

# The third-party tools, fetched once into a cache (no install); none: the whole test is skipped.
deps_dir() {
	local f=$srcdir/tests/deps/fetch
	if [ ! -x "$f" ]; then
		echo "1..0 # SKIP tests/deps/fetch is missing"
		exit 0
	fi
	if ! "$f" >"$tmp/fetch.log" 2>&1; then
		echo "1..0 # SKIP tests/deps/fetch failed: $(tail -n1 "$tmp/fetch.log")"
		exit 0
	fi
	deps=$("$f" --print-dir)
}

# wait_socket PATH PID: until something listens on PATH (60 s), or the process died.
wait_socket() {
	local i
	for ((i = 0; i < 1200; i++)); do
		kill -0 "$2" 2>/dev/null || return 1
		"$PYTHON3" -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' \
			"$1" 2>/dev/null && return 0
		sleep 0.02
	done
	return 1
}

# start_server LOG COMMAND...: run a server in the background (server_pid), wait for $sock
# (which the caller sets).
# shellcheck disable=SC2154
start_server() {
	local log=$1
	shift
	# shellcheck disable=SC2086 # the wrapper is a command line
	$WRAP "$@" >"$log" 2>&1 &
	server_pid=$!
	if ! wait_socket "$sock" "$server_pid"; then
		echo "Bail out! $1 did not listen on $sock"
		sed 's/^/# /' "$log"
		exit 1
	fi
}

# stop_server NAME: SIGTERM, and the exit status must be 0.
stop_server() {
	local st
	kill -TERM "$server_pid"
	wait "$server_pid"
	st=$?
	server_pid=
	ok "$st" "$1 exits 0 on SIGTERM (exit $st)" "$tmp/server.log"
}
