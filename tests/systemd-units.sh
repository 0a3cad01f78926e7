#!/bin/bash
# The systemd units of iommu-capd (TAP): "systemd-analyze verify" on both units, the exposure
# level from "systemd-analyze security --offline=true" (at most 2.0, with and without the opt-in
# config-space drop-in), and the daemon under socket activation without systemd as PID 1
# (systemd-socket-activate): a listening fd and, with -a, a connected one; READY=1 and STATUS=
# over NOTIFY_SOCKET; exit on idle; exit status 0 after SIGTERM.
# Requires: python3
set -u

srcdir=${srcdir:-$(dirname "$0")/..}
builddir=${builddir:-.}
DAEMON=${IOMMU_CAPD:-$builddir/daemon/iommu-capd}
# The system python: only the standard library is used.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=${PYTHON3:-python3}
fx="$srcdir/tests/fixtures/x86-q72-k612-c-amd"
units="$srcdir/systemd"
max_exposure=2.0

tmp=$(mktemp -d)
pids=()
cleanup() {
	local p
	# Only what this test started (a PID may have been reused since).
	for p in "${pids[@]}"; do
		grep -qsaE 'iommu-capd|helper\.py|systemd-socket-activate' "/proc/$p/cmdline" &&
			kill "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

# shellcheck source=tests/tap.sh
. "$srcdir/tests/tap.sh"
# wait_for CMD...: retry for up to 10 seconds.
wait_for() {
	for _ in $(seq 100); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# ExecStart= must name an existing absolute binary for "systemd-analyze verify".
DAEMON=$(cd "$(dirname "$DAEMON")" && pwd)/$(basename "$DAEMON")

# A varlink client and a sd_notify receiver, standard library only.
cat >"$tmp/helper.py" <<'EOF'
import json, os, socket, sys, time

def call(path, method, parameters=None):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    msg = {"method": method}
    if parameters is not None:
        msg["parameters"] = parameters
    s.sendall(json.dumps(msg).encode() + b"\0")
    buf = b""
    while b"\0" not in buf:
        d = s.recv(65536)
        if not d:
            raise SystemExit("connection closed before the reply")
        buf += d
    return s, json.loads(buf.split(b"\0", 1)[0])

cmd = sys.argv[1]
if cmd == "call":        # call SOCKET METHOD [JSON]: print the reply
    s, r = call(sys.argv[2], sys.argv[3], json.loads(sys.argv[4]) if len(sys.argv) > 4 else None)
    print(json.dumps(r, sort_keys=True))
elif cmd == "hold":      # hold SOCKET OUT GO: GetInfo into OUT, keep the connection until GO exists
    s, r = call(sys.argv[2], "org.varlink.service.GetInfo")
    with open(sys.argv[3] + ".tmp", "w") as f:
        print(json.dumps(r, sort_keys=True), file=f)
    os.rename(sys.argv[3] + ".tmp", sys.argv[3])
    deadline = time.time() + 10
    while not os.path.exists(sys.argv[4]) and time.time() < deadline:
        time.sleep(0.05)
    s.close()
elif cmd == "notify":    # notify SOCKET OUT: one line per datagram until STOPPING=1 (or 30 s)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(sys.argv[2])
    s.settimeout(30)
    with open(sys.argv[3], "w") as f:
        try:
            while True:
                d = s.recv(4096).decode()
                for line in d.split("\n"):
                    print(line, file=f, flush=True)
                if "STOPPING=1" in d.split("\n"):
                    break
        except socket.timeout:
            pass
EOF

# ---- the unit files ------------------------------------------------------------------------

grep -qx 'ExecStart=@sbindir@/iommu-capd' "$units/iommu-capd.service.in" &&
	! grep -v '^ExecStart=@sbindir@/iommu-capd$' "$units/iommu-capd.service.in" | grep -q '@[a-z_]*@'
t $? "the service template's only placeholder is @sbindir@ in ExecStart="

gen="$builddir/systemd/iommu-capd.service"
if [ -f "$gen" ]; then
	grep -Eqx 'ExecStart=/[^@ ]*/iommu-capd' "$gen" && ! grep -q '@[a-z_]*@' "$gen"
	t $? "the generated service unit has an absolute ExecStart= and no placeholders"
else
	skip "$gen has not been generated"
fi

sock_ok=0
for kv in 'ListenStream=/run/iommu-capd/io.iommucapd' 'FileDescriptorName=varlink' \
	'SocketMode=0666' 'Accept=no' 'RemoveOnStop=yes' \
	'Symlinks=/run/varlink/registry/io.iommucapd' 'WantedBy=sockets.target'; do
	grep -qx -- "$kv" "$units/iommu-capd.socket" || {
		echo "# iommu-capd.socket lacks $kv"
		sock_ok=1
	}
done
t $sock_ok "the socket unit declares the varlink socket as documented"

# The decisions docs/service.md explains, kept by the unit.
dec_ok=0
svc="$units/iommu-capd.service.in"
for kv in 'Type=notify' 'WatchdogSec=30s' 'DynamicUser=yes' 'CapabilityBoundingSet=' \
	'PrivateNetwork=yes' 'PrivateDevices=no' 'DevicePolicy=closed' 'ProtectHostname=no' \
	'RestrictAddressFamilies=AF_UNIX AF_NETLINK' 'LimitNOFILE=8192'; do
	grep -qx -- "$kv" "$svc" || {
		echo "# iommu-capd.service.in lacks $kv"
		dec_ok=1
	}
done
# PrivateUsers= would cost hotplug; RuntimeDirectory= would remove the socket's directory.
for k in PrivateUsers RuntimeDirectory; do
	grep -q "^$k=" "$svc" && {
		echo "# iommu-capd.service.in sets $k="
		dec_ok=1
	}
done
t $dec_ok "the service unit keeps the documented hardening decisions"

# The man page follows the program and the interface.
man="$srcdir/man/iommu-capd.8"
man_ok=0
for opt in $("$DAEMON" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
	grep -q -- "$(sed 's/-/\\\\-/g' <<<"$opt")" "$man" || {
		echo "# man page lacks $opt"
		man_ok=1
	}
done
t $man_ok "man/iommu-capd.8 documents every option of iommu-capd --help"
man_ok=0
for m in $(sed -n 's/^\(method\|error\) \([A-Za-z]*\).*/\2/p' "$builddir/schema/io.iommucapd.varlink"); do
	grep -q "^\.B \(io\.iommucapd\.\)\?$m\b" "$man" || {
		echo "# man page lacks $m"
		man_ok=1
	}
done
t $man_ok "man/iommu-capd.8 documents every method and error of io.iommucapd"

# ---- systemd-analyze -----------------------------------------------------------------------

# Copies of the units whose ExecStart= is the binary just built; the drop-in in its own tree.
mkdir -p "$tmp/units" "$tmp/units-cs/iommu-capd.service.d"
sed "s|^ExecStart=@sbindir@/iommu-capd|ExecStart=$DAEMON|" "$svc" >"$tmp/units/iommu-capd.service"
cp "$units/iommu-capd.socket" "$tmp/units/"
cp "$tmp/units/iommu-capd.service" "$tmp/units/iommu-capd.socket" "$tmp/units-cs/"
cp "$units/iommu-capd-config-space.conf" "$tmp/units-cs/iommu-capd.service.d/config-space.conf"
# The same settings as one file (a drop-in is read as if appended to the unit).
cat "$tmp/units/iommu-capd.service" "$units/iommu-capd-config-space.conf" \
	>"$tmp/iommu-capd.service"

# "security --offline" appeared in systemd 250 (bookworm has 252).
if ! systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
	for what in verify "verify (config-space drop-in)" "verify (iommufd drop-in)" exposure "exposure (config-space drop-in)" \
		"exposure recorded in docs/service.md"; do
		skip "systemd-analyze (250 or later) not installed (Debian package systemd): $what"
	done
else
	# verify: no PID 1 needed. Unknown keys are only warnings, so any message naming a unit fails.
	verify() {
		(cd "$1" && systemd-analyze verify --man=no iommu-capd.socket iommu-capd.service) \
			>"$tmp/verify.out" 2>&1
		local st=$?
		[ $st = 0 ] && ! grep -q 'iommu-capd' "$tmp/verify.out"
	}
	verify "$tmp/units"
	t $? "systemd-analyze verify accepts both units" || diag "$tmp/verify.out"
	verify "$tmp/units-cs"
	t $? "systemd-analyze verify accepts them with the config-space drop-in" ||
		diag "$tmp/verify.out"
	mkdir -p "$tmp/units-fd/iommu-capd.service.d"
	cp "$tmp/units/iommu-capd.service" "$tmp/units/iommu-capd.socket" "$tmp/units-fd/"
	cp "$units/iommu-capd-iommufd.conf" "$tmp/units-fd/iommu-capd.service.d/iommufd.conf"
	verify "$tmp/units-fd"
	t $? "systemd-analyze verify accepts them with the iommufd drop-in" || diag "$tmp/verify.out"

	# exposure FILE: the "Overall exposure level" figure.
	exposure() {
		systemd-analyze security --offline=true "$1" >"$tmp/security.out" 2>&1
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9][0-9.]*\).*/\1/p' "$tmp/security.out"
	}
	below() {
		[ -n "$1" ] && awk -v x="$1" -v m="$max_exposure" 'BEGIN { exit !(x + 0 <= m + 0) }'
	}
	e=$(exposure "$tmp/units/iommu-capd.service")
	below "$e"
	t $? "exposure level of iommu-capd.service is ${e:-?} (at most $max_exposure)"
	[ -n "$e" ] || diag "$tmp/security.out"
	e_cs=$(exposure "$tmp/iommu-capd.service")
	below "$e_cs"
	t $? "exposure level with the config-space drop-in is ${e_cs:-?} (at most $max_exposure)"

	# The figures docs/service.md quotes were measured with systemd 252; other versions weigh
	# the settings differently.
	if systemd-analyze --version | grep -q '^systemd 252 '; then
		grep -q "Overall exposure level for iommu-capd.service: $e " "$srcdir/docs/service.md" &&
			grep -q "with the drop-in: $e_cs\b" "$srcdir/docs/service.md"
		t $? "docs/service.md quotes the measured exposure levels ($e, $e_cs)"
	else
		skip "docs/service.md figures are from systemd 252"
	fi
fi

# ---- socket activation without systemd -----------------------------------------------------

if ! command -v systemd-socket-activate >/dev/null; then
	for _ in $(seq 11); do
		skip "systemd-socket-activate not installed (Debian package systemd)"
	done
	echo "1..$n"
	[ "$fail" = 0 ]
	exit
fi

# notify_start NAME: a sd_notify receiver; NOTIFY_SOCKET path in $tmp/NAME.sock.
notify_start() {
	"$PY" "$tmp/helper.py" notify "$tmp/$1.sock" "$tmp/$1.out" &
	pids+=("$!")
	wait_for test -S "$tmp/$1.sock"
}
has_line() {
	[ -f "$2" ] && grep -q "$1" "$2"
}

# Listening fd: systemd-socket-activate waits for the first connection, then execs the daemon
# with the listening socket as fd 3 named "varlink" (the same PID).
notify_start n1
systemd-socket-activate -l "$tmp/s.sock" --fdname=varlink -E NOTIFY_SOCKET="$tmp/n1.sock" \
	"$DAEMON" --sysroot "$fx" 2>"$tmp/sa1.err" &
sa=$!
pids+=("$sa")
wait_for test -S "$tmp/s.sock"
"$PY" "$tmp/helper.py" call "$tmp/s.sock" org.varlink.service.GetInfo >"$tmp/info.json" 2>&1
grep -q '"interfaces": \[.*"io.iommucapd"' "$tmp/info.json" &&
	grep -q '"product": "iommu-capd"' "$tmp/info.json"
t $? "listening fd: GetInfo answers with the io.iommucapd interface" || diag "$tmp/info.json" 5
"$PY" "$tmp/helper.py" call "$tmp/s.sock" io.iommucapd.ListUnits >"$tmp/units.json" 2>&1
grep -q '"name": "ivhd0"' "$tmp/units.json"
t $? "listening fd: ListUnits serves the --sysroot tree (ivhd0)"
wait_for has_line '^READY=1$' "$tmp/n1.out"
t $? "READY=1 arrives on NOTIFY_SOCKET"
wait_for has_line '^STATUS=Serving 1 IOMMU units' "$tmp/n1.out"
t $? "STATUS= arrives on NOTIFY_SOCKET ($(grep -m1 '^STATUS=' "$tmp/n1.out" 2>/dev/null))"
# A second client while the first has gone: the listening socket stays served.
"$PY" "$tmp/helper.py" call "$tmp/s.sock" org.varlink.service.GetInfo >/dev/null 2>&1
t $? "listening fd: a later connection is served too"
kill -TERM "$sa"
wait "$sa"
st=$?
t "$([ $st = 0 ]; echo $?)" "SIGTERM ends the daemon with exit status 0 (got $st)"
[ $st = 0 ] || diag "$tmp/sa1.err"
wait_for has_line '^STOPPING=1$' "$tmp/n1.out"
t $? "STOPPING=1 arrives on NOTIFY_SOCKET after SIGTERM"

# Connected fd (-a: one daemon per connection, fd 3 already connected) with --exit-on-idle.
notify_start n2
systemd-socket-activate -a -l "$tmp/a.sock" --fdname=varlink -E NOTIFY_SOCKET="$tmp/n2.sock" \
	"$DAEMON" --sysroot "$fx" --exit-on-idle 2>"$tmp/sa2.err" &
sa=$!
pids+=("$sa")
wait_for test -S "$tmp/a.sock"
"$PY" "$tmp/helper.py" hold "$tmp/a.sock" "$tmp/held.json" "$tmp/go" 2>"$tmp/hold.err" &
holder=$!
pids+=("$holder")
wait_for test -s "$tmp/held.json"
child=$(sed -n 's/^Spawned .* as PID \([0-9]*\)\.$/\1/p' "$tmp/sa2.err" | head -1)
[ -n "$child" ] && pids+=("$child")
grep -q '"io.iommucapd"' "$tmp/held.json" 2>/dev/null && [ -n "$child" ] &&
	kill -0 "$child" 2>/dev/null
t $? "connected fd: GetInfo answers, and the daemon (PID ${child:-?}) serves while the client stays"
[ -s "$tmp/held.json" ] || diag "$tmp/sa2.err"
wait_for has_line '^READY=1$' "$tmp/n2.out"
t $? "connected fd: READY=1 arrives on NOTIFY_SOCKET"
touch "$tmp/go"
wait "$holder"
wait_for grep -q "^Child ${child:-none} died with code 0$" "$tmp/sa2.err"
t $? "connected fd: with --exit-on-idle the daemon exits with status 0 when the client leaves" ||
	diag "$tmp/sa2.err" 10
kill -TERM "$sa" 2>/dev/null
wait "$sa" 2>/dev/null

# systemd 252 as PID 1 names an Accept=yes connection "connection", whatever FileDescriptorName=.
systemd-socket-activate -a -l "$tmp/c.sock" --fdname=connection "$DAEMON" --sysroot "$fx" \
	--exit-on-idle 2>"$tmp/sa3.err" &
sa=$!
pids+=("$sa")
wait_for test -S "$tmp/c.sock"
"$PY" "$tmp/helper.py" call "$tmp/c.sock" org.varlink.service.GetInfo >"$tmp/info3.json" 2>&1
grep -q '"io.iommucapd"' "$tmp/info3.json"
t $? "connected fd named \"connection\" (Accept=yes under systemd 252) is served"
kill -TERM "$sa" 2>/dev/null
wait "$sa" 2>/dev/null

echo "1..$n"
[ "$fail" = 0 ]
