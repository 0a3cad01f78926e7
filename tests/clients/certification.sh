#!/bin/bash
# The varlink certification against the project's varlink layer: tests/clients/vl-certification
# serves org.varlink.certification (the upstream IDL verbatim) on varlink/server.[ch], and the
# reference client of Debian's varlink-go (varlink-go-certification -client) must get through
# Start, Test01 ... Test11, End. Then python3-varlink's client does the same, and raw calls
# that break the rules must be refused (tests/clients/certification-client.py) (TAP output).
# Requires: python3
set -u
# shellcheck source=tests/clients/common.sh
. "$(dirname "$0")/common.sh"

CERT_SERVER=$builddir/tests/clients/vl-certification
if [ ! -x "$CERT_SERVER" ]; then
	echo "Bail out! $CERT_SERVER is not built (make check builds it)"
	exit 1
fi
deps_dir
sock=$tmp/c.sock
addr=unix:$sock
idl=$srcdir/tests/clients/org.varlink.certification.varlink

# The IDL our parser must take: the same text the fetched varlink-go package ships.
if [ -f "$deps/share/org.varlink.certification.varlink" ]; then
	cmp -s "$idl" "$deps/share/org.varlink.certification.varlink"
	ok $? "tests/clients/org.varlink.certification.varlink is varlink-go's IDL, byte for byte"
fi

start_server "$tmp/server.log" "$CERT_SERVER" --verbose --listen "$addr"

# The Go client prints one line per call and "End: 'true'" at the end; on a failure it prints
# "<Method>() failed" and stops, still with exit status 0: both are checked.
for run in 1 2; do
	timeout 60 "$deps/bin/varlink-go-certification" -client -varlink="$addr" >"$tmp/go.out" 2>&1
	st=$?
	[ "$st" = 0 ] && grep -qx "End: 'true'" "$tmp/go.out" && ! grep -q 'failed' "$tmp/go.out" &&
		grep -qx "Test10: '\[Reply number 1 .* Reply number 10\]'" "$tmp/go.out"
	ok $? "varlink-go-certification -client passes (run $run, exit $st)" "$tmp/go.out" "$tmp/server.log"
done

# python3-varlink's client, and raw calls the server must refuse; renumbered here.
(
	# shellcheck disable=SC1091 # written by tests/deps/fetch
	. "$deps/env.sh"
	"$PYTHON3" "$srcdir/tests/clients/certification-client.py" "$addr" "$idl" 2>&1
	echo "exit $?"
) >"$tmp/py.out"
while IFS= read -r line; do
	case $line in
	"ok - "*) n=$((n + 1)) && echo "ok $n ${line#ok }" ;;
	"not ok - "*) n=$((n + 1)) fail=$((fail + 1)) && echo "not ok $n ${line#not ok }" ;;
	"exit 0") ;;
	"exit "*) n=$((n + 1)) fail=$((fail + 1)) && echo "not ok $n - certification-client.py: $line" ;;
	"#"*) echo "$line" ;;
	*) echo "# $line" ;;
	esac
done <"$tmp/py.out"

# Nothing the clients did may have made the server fail: it still answers and stops cleanly.
"$PYTHON3" -c '
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])
s.sendall(b"{\"method\":\"org.varlink.service.GetInfo\"}\0")
buf = b""
while not buf.endswith(b"\0"):
    c = s.recv(65536)
    if not c: sys.exit(1)
    buf += c
sys.exit(0 if "org.varlink.certification" in json.loads(buf[:-1])["parameters"]["interfaces"] else 1)' \
	"$sock"
ok $? "the server still answers GetInfo"
stop_server "vl-certification"
finish
