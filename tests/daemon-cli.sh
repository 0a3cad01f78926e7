#!/bin/bash
# iommuctl through the daemon: the same output as offline, monitor, and exit 69 without it (TAP).
# Requires: python3
set -u

srcdir=${srcdir:-$(dirname "$0")/..}
builddir=${builddir:-.}
IOMMUCTL=${IOMMUCTL:-$builddir/cli/iommuctl}
DAEMON=${DAEMON:-$builddir/daemon/iommu-capd}
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
n=0
fail=0
t() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else fail=$((fail + 1)); echo "not ok $n - $2"; fi
}

start_daemon() { # TREE SOCKET
	"$DAEMON" --sysroot "$1" --listen "unix:$2" 2>>"$tmp/daemon.log" &
	pids+=($!)
	for _ in $(seq 100); do [ -S "$2" ] && return 0; sleep 0.05; done
	return 1
}

# tree: every column (ListDevices), and without a device's PCI facts (ListDeviceUnits).
tree_all=$("$IOMMUCTL" tree --list-columns | awk '{print $1}' | paste -sd, -)
for fx in x86-q72-k612-b-intel-sm x86-q72-k61-c-amd arm64-q72-k612-e-smmuv3 smmuv3-props-full \
	large-host broken-garbage-groups broken-dangling-links; do
	tree="$srcdir/tests/fixtures/$fx"
	sock="$tmp/$fx.sock"
	start_daemon "$tree" "$sock"
	t $? "daemon serves $fx"
	for args in "show" "show -J" "devices -o DEVICE,UNIT,GROUP,PASID,EFF-PASID,ATS" "groups -r" \
		"tree" "tree -J -o $tree_all" "tree -o NAME,TYPE,DOMAIN,DEVICES" "dump" "suggest -q -J" "suggest -q --libvirt" "suggest -q --migratable" \
		"suggest -q --device 0000:ff:1f.7" "suggest -q --model bogus"; do
		# (suggest: -q, as the daemon sends no probe warnings with a suggestion)
		# shellcheck disable=SC2086
		"$IOMMUCTL" --address "unix:$sock" $args >"$tmp/d.out" 2>"$tmp/d.err"
		a=$?
		# shellcheck disable=SC2086
		"$IOMMUCTL" --sysroot "$tree" $args >"$tmp/o.out" 2>"$tmp/o.err"
		b=$?
		[ $a = $b ] && cmp -s "$tmp/d.out" "$tmp/o.out" && cmp -s "$tmp/d.err" "$tmp/o.err"
		t $? "$fx: 'iommuctl $args' through the daemon equals the offline probe"
	done
	# show UNIT asks for that unit alone (GetUnit): the same table (the probe's warnings, -q
	# here, are those of "show" without arguments; -J's boot messages need the GetHost). A missing unit: the same one line and exit status.
	unit=$("$IOMMUCTL" --sysroot "$tree" -q show -n -o NAME | tail -n 1)
	for args in "show $unit -o NAME,MODEL,DEVICES,FEATURES,PATH,PAGE-SIZES,PGTABLES" \
		"show -J $unit" "show $unit nosuch0"; do
		# shellcheck disable=SC2086
		"$IOMMUCTL" --address "unix:$sock" -q $args >"$tmp/d.out" 2>"$tmp/d.err"
		a=$?
		# shellcheck disable=SC2086
		"$IOMMUCTL" --sysroot "$tree" -q $args >"$tmp/o.out" 2>"$tmp/o.err"
		b=$?
		[ $a = $b ] && cmp -s "$tmp/d.out" "$tmp/o.out" && cmp -s "$tmp/d.err" "$tmp/o.err"
		t $? "$fx: 'iommuctl $args' through the daemon (GetUnit) equals the offline probe"
	done
done

# A daemon whose replies are limited to 12 KiB (IOMMU_CAPD_REPLY_MAX): on large-host GetHost,
# ListUnits, ListDevices and ListGroups are over it (ReplyTooLarge), the unit rows and the devices'
# units are not. iommuctl gets the lists in parts (more) and the host from StreamHost: the same
# output as from a daemon without the limit.
fx="$srcdir/tests/fixtures/large-host"
start_daemon "$fx" "$tmp/full.sock"
IOMMU_CAPD_REPLY_MAX=12288 start_daemon "$fx" "$tmp/small.sock"
t $? "a daemon with IOMMU_CAPD_REPLY_MAX=12288 serves large-host"
/usr/bin/python3 -c '
import json, socket, sys
for method in ("GetHost", "ListUnits", "ListDevices", "ListGroups"):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    s.sendall(json.dumps({"method": "io.iommucapd." + method}).encode() + b"\0")
    buf = b""
    while b"\0" not in buf:
        data = s.recv(65536)
        assert data, method
        buf += data
    r = json.loads(buf.partition(b"\0")[0])
    p = r.get("parameters", {})
    assert r.get("error") == "io.iommucapd.ReplyTooLarge" and p.get("limit") == 12288 \
        and p.get("size") > 12288, (method, r)
' "$tmp/small.sock"
t $? "with it, GetHost, ListUnits, ListDevices and ListGroups are ReplyTooLarge (limit 12288)"
for args in "show" "show -J" "devices" "devices -J" "devices -o DEVICE,UNIT,GROUP,PASID,EFF-PASID,ATS" \
	"groups" "groups -J" "tree" "tree -J" "dump" "dump --format=prometheus" "suggest -q -J"; do
	# shellcheck disable=SC2086
	"$IOMMUCTL" --address "unix:$tmp/full.sock" $args >"$tmp/f.out" 2>"$tmp/f.err"
	a=$?
	# shellcheck disable=SC2086
	"$IOMMUCTL" --address "unix:$tmp/small.sock" $args >"$tmp/s.out" 2>"$tmp/s.err"
	b=$?
	[ $a = 0 ] && [ $b = 0 ] && cmp -s "$tmp/f.out" "$tmp/s.out" && cmp -s "$tmp/f.err" "$tmp/s.err"
	t $? "large-host: 'iommuctl $args' from the daemon with 12 KiB replies equals the one without"
done
kill "${pids[-1]}" "${pids[-2]}"

# Without a daemon: one line, exit 69; --offline still works.
"$IOMMUCTL" --address "unix:$tmp/nothing.sock" show >"$tmp/out" 2>"$tmp/err"
[ $? = 69 ] && [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q "cannot reach iommu-capd" "$tmp/err"
t $? "an unreachable daemon: one line and exit 69"
"$IOMMUCTL" --address "unix:$tmp/nothing.sock" --offline --sysroot "$srcdir/tests/fixtures/x86-q72-k61-c-amd" show -n >"$tmp/out" 2>&1
[ $? = 0 ] && grep -q '^ivhd0 ' "$tmp/out"
t $? "--offline does not need the daemon"

# monitor: a device and a unit going away in a copy of a tree with real links.
cp -a "$srcdir/tests/fixtures/smmuv3-props-full" "$tmp/tree"
start_daemon "$tmp/tree" "$tmp/m.sock"
"$IOMMUCTL" --address "unix:$tmp/m.sock" monitor >"$tmp/mon.txt" 2>&1 &
pids+=($!)
"$IOMMUCTL" --address "unix:$tmp/m.sock" monitor -J >"$tmp/mon.json" 2>&1 &
pids+=($!)
sleep 0.5
rm "$tmp/tree/sys/bus/pci/devices/0000:00:03.0"
for _ in $(seq 60); do grep -q . "$tmp/mon.txt" && grep -q . "$tmp/mon.json" && break; sleep 0.05; done
sleep 0.2
grep -Eq '^removed +device +0000:00:03\.0$' "$tmp/mon.txt"
t $? "monitor prints the removed device"
/usr/bin/python3 -c '
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert any(e["kind"] == "device" and e["action"] == "removed" and e["name"] == "0000:00:03.0"
           for e in evs), evs
' "$tmp/mon.json"
t $? "monitor -J prints the event as a JSON line"
"$IOMMUCTL" --address "unix:$tmp/m.sock" devices -n -o DEVICE >"$tmp/out"
! grep -q '0000:00:03.0' "$tmp/out"
t $? "devices through the daemon no longer lists it"
kill "${pids[-3]}" 2>/dev/null
wait "${pids[-2]}" 2>/dev/null
st1=$?
wait "${pids[-1]}" 2>/dev/null
st2=$?
[ $st1 = 69 ] && [ $st2 = 69 ] && grep -q "lost iommu-capd" "$tmp/mon.txt"
t $? "monitor exits 69 when the daemon goes away"

# --listen replaces only a stale socket: a file is refused and kept, as is a live server's socket;
# the daemon removes its socket when it exits.
fx="$srcdir/tests/fixtures/x86-q72-k612-c-amd"
echo keep >"$tmp/afile"
"$DAEMON" --sysroot "$fx" --listen "unix:$tmp/afile" 2>"$tmp/l.err"
[ $? = 1 ] && grep -q 'Cannot listen on unix:.*/afile: File exists' "$tmp/l.err" &&
	[ "$(cat "$tmp/afile")" = keep ]
t $? "--listen on a regular file: refused (File exists), the file kept"
start_daemon "$fx" "$tmp/live.sock"
"$DAEMON" --sysroot "$fx" --listen "unix:$tmp/live.sock" 2>"$tmp/l.err"
[ $? = 1 ] && grep -q 'Address already in use' "$tmp/l.err" &&
	"$IOMMUCTL" --address "unix:$tmp/live.sock" show -n >/dev/null
t $? "--listen on a live server's socket: refused (Address already in use), that server still answers"
kill "${pids[-1]}"
wait "${pids[-1]}" 2>/dev/null
[ ! -e "$tmp/live.sock" ]
t $? "the daemon removes its socket when it exits"
/usr/bin/python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$tmp/stale.sock"
start_daemon "$fx" "$tmp/stale.sock"
for _ in $(seq 100); do # the stale file is there from the start: wait until it is replaced
	"$IOMMUCTL" --address "unix:$tmp/stale.sock" show -n >/dev/null 2>&1 && break
	sleep 0.05
done
"$IOMMUCTL" --address "unix:$tmp/stale.sock" show -n >/dev/null
t $? "--listen on a stale socket file: replaced and served"

echo "1..$n"
[ $fail = 0 ]
