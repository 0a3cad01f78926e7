#!/bin/bash
# iommu-capd through systemd 257's varlinkctl (Debian trixie's, run by tests/deps/fetch's
# wrapper): the strictest client, which parses our IDL with systemd's grammar (TAP output).
# Requires: python3
set -u
# shellcheck source=tests/clients/common.sh
. "$(dirname "$0")/common.sh"

deps_dir
VARLINKCTL=$deps/bin/varlinkctl
export SYSTEMD_COLORS=0 SYSTEMD_PAGER='' SYSTEMD_LOG_LEVEL=notice

cp -a "$fx/smmuv3-props-full" "$tmp/tree"
sock=$tmp/s.sock
addr=unix:$sock
unit=smmu3.0x0000000009050000
"$IOMMUCTL" -q --offline --sysroot "$tmp/tree" dump >"$tmp/dump.json" 2>"$tmp/dump.err" ||
	"$IOMMUCTL" -q --sysroot "$tmp/tree" dump >"$tmp/dump.json"
start_server "$tmp/server.log" "$DAEMON" --sysroot "$tmp/tree" --listen "$addr"

# vc NAME ARGS...: run varlinkctl, keeping its exit status, stdout and stderr.
vc() {
	"$VARLINKCTL" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# json_check FILE EXPRESSION: a python expression over o (FILE's JSON) and d (the offline dump).
json_check() {
	"$PYTHON3" -c '
import json, sys
o = json.load(open(sys.argv[1]))
d = json.load(open(sys.argv[2]))
sys.exit(0 if eval(sys.argv[3]) else 1)' "$1" "$tmp/dump.json" "$2" 2>>"$tmp/err"
}

vc info "$addr"
grep -q '^ *Product: iommu-capd$' "$tmp/out" && grep -q '^Interfaces: io.iommucapd$' "$tmp/out" &&
	grep -q '^ *org.varlink.service$' "$tmp/out"
ok $((rc + $?)) "info names the product and both interfaces" "$tmp/out" "$tmp/err"

vc list-interfaces "$addr"
printf 'io.iommucapd\norg.varlink.service\n' | cmp -s - "$tmp/out"
ok $((rc + $?)) "list-interfaces" "$tmp/out" "$tmp/err"

# list-methods parses every interface's description with systemd's IDL parser: exit 1 if not.
vc list-methods "$addr"
printf '%s\n' io.iommucapd.{Check,GetDevice,GetHost,GetUnit,ListDeviceUnits,ListDevices,ListGroups,ListUnitRows,ListUnitSummaries,ListUnits,ListWarnings,Monitor,Rescan,StreamHost,Suggest} \
	org.varlink.service.{GetInfo,GetInterfaceDescription} | cmp -s - "$tmp/out"
ok $((rc + $?)) "list-methods parses our IDL and lists the seventeen methods" "$tmp/out" "$tmp/err"

vc list-methods "$addr" io.iommucapd
[ "$(wc -l <"$tmp/out")" = 15 ]
ok $((rc + $?)) "list-methods ADDRESS io.iommucapd" "$tmp/out" "$tmp/err"

# introspect prints the raw text with a warning when systemd cannot parse it: no warning here.
vc introspect "$addr"
[ ! -s "$tmp/err" ] && grep -q '^interface io.iommucapd$' "$tmp/out" &&
	grep -q '^interface org.varlink.service$' "$tmp/out" && grep -q '^method Monitor() -> ($' "$tmp/out"
ok $((rc + $?)) "introspect parses and re-formats both interfaces, without a warning" "$tmp/err" "$tmp/out"

vc validate-idl "$builddir/schema/io.iommucapd.varlink"
[ ! -s "$tmp/err" ]
ok $((rc + $?)) "validate-idl schema/io.iommucapd.varlink: no error, no warning" "$tmp/err"

vc call "$addr" io.iommucapd.GetUnit "{\"name\":\"$unit\"}"
json_check "$tmp/out" 'o == {"unit": d["units"][0]} and d["units"][0]["name"] == "'$unit'"'
ok $((rc + $?)) "call GetUnit: the dump's unit" "$tmp/out" "$tmp/err"

vc call "$addr" io.iommucapd.GetHost '{}'
json_check "$tmp/out" 'o == {"host": d}'
ok $((rc + $?)) "call GetHost: exactly the offline dump" "$tmp/err"

vc call "$addr" io.iommucapd.ListDevices
json_check "$tmp/out" 'o == {"devices": d["devices"]} and len(o["devices"]) == 4'
ok $((rc + $?)) "call ListDevices, parameters left out" "$tmp/out" "$tmp/err"

vc call "$addr" io.iommucapd.GetUnit '{"name":"nosuch0"}'
[ "$rc" = 1 ] && grep -qx 'Method call io.iommucapd.GetUnit() failed: io.iommucapd.NoSuchUnit' "$tmp/err" &&
	json_check "$tmp/out" 'o == {"name": "nosuch0"}'
ok $? "call GetUnit of a missing unit: exit 1, NoSuchUnit on stderr, its name on stdout" "$tmp/out" "$tmp/err"

vc call "$addr" io.iommucapd.GetDevice '{"address":"0000:ff:00.0"}'
[ "$rc" = 1 ] && grep -q 'failed: io.iommucapd.NoSuchDevice$' "$tmp/err" &&
	json_check "$tmp/out" 'o == {"address": "0000:ff:00.0"}'
ok $? "call GetDevice of a missing device: exit 1, NoSuchDevice" "$tmp/out" "$tmp/err"

vc call "$addr" io.iommucapd.GetUnit '{"name":7}'
[ "$rc" = 1 ] && grep -q 'failed: org.varlink.service.InvalidParameter$' "$tmp/err" &&
	json_check "$tmp/out" 'o == {"parameter": "name"}'
ok $? "call GetUnit with a number for the name: InvalidParameter naming it" "$tmp/out" "$tmp/err"

vc call "$addr" io.iommucapd.GetUnit '{"name":"x","extra":1}'
[ "$rc" = 1 ] && grep -q 'failed: org.varlink.service.InvalidParameter$' "$tmp/err" &&
	json_check "$tmp/out" 'o == {"parameter": "extra"}'
ok $? "call GetUnit with an unknown parameter: InvalidParameter naming it" "$tmp/out" "$tmp/err"

vc call "$addr" io.iommucapd.Frobnicate '{}'
[ "$rc" = 1 ] && grep -q 'failed: org.varlink.service.MethodNotFound$' "$tmp/err" &&
	json_check "$tmp/out" 'o == {"method": "io.iommucapd.Frobnicate"}'
ok $? "call of an unknown method: MethodNotFound with the full name" "$tmp/out" "$tmp/err"

vc call "$addr" io.iommucapd.Monitor '{}'
[ "$rc" = 1 ] && grep -qx 'Method call io.iommucapd.Monitor() failed: org.varlink.service.ExpectedMore' "$tmp/err"
ok $? "call Monitor without --more: exit 1, ExpectedMore" "$tmp/out" "$tmp/err"

# --more on a method that does not stream: one record, no "continues", exit 0.
vc call --more "$addr" io.iommucapd.GetUnit "{\"name\":\"$unit\"}"
[ "$(head -c1 "$tmp/out" | od -An -tx1 | tr -d ' ')" = 1e ] && [ "$(grep -c . "$tmp/out")" = 1 ] &&
	tr -d '\036' <"$tmp/out" >"$tmp/rec" && json_check "$tmp/rec" 'o == {"unit": d["units"][0]}'
ok $((rc + $?)) "call --more of a method that does not stream: one JSON-SEQ record" "$tmp/out" "$tmp/err"

# --more on ListGroups: one record a group (JSON-SEQ, RFC 7464: RS, the text, LF), the dump's.
vc call --more "$addr" io.iommucapd.ListGroups '{}'
tr '\036' '\n' <"$tmp/out" | grep . >"$tmp/recs" &&
	"$PYTHON3" -c '
import json, sys
d = json.load(open(sys.argv[2]))
recs = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(0 if len(recs) == len(d["groups"]) > 1 and [g for r in recs for g in r["groups"]] == d["groups"] else 1)' "$tmp/recs" "$tmp/dump.json" 2>>"$tmp/err"
ok $((rc + $?)) "call --more ListGroups: one JSON-SEQ record a group, the dump's groups" "$tmp/out" "$tmp/err"

vc call --oneway "$addr" io.iommucapd.GetHost '{}'
[ ! -s "$tmp/out" ]
ok $((rc + $?)) "call --oneway: no output" "$tmp/out" "$tmp/err"

# Monitor with --more while a device goes away and comes back (the daemon re-probes after
# inotify events in sys/bus/pci/devices). varlinkctl stops at its timeout: io.systemd.TimedOut.
dev=0000:00:03.0
# Under make check-valgrind the daemon re-probes ~20 times slower: the device stays away until its
# removal has been reported (else both moves fall into one re-probe and there is no change to
# report; at most $gap s) and varlinkctl waits longer. On a machine loaded by other jobs (load 15)
# a re-probe took over a second and 4 s did not always see both events: the gap ends as soon as
# the removal is seen, so only varlinkctl's wait costs time.
gap=10 wait_s=10
[ -z "$WRAP" ] || gap=10 wait_s=30
fds() { find "/proc/$server_pid/fd" -mindepth 1 -maxdepth 1 | wc -l; }
base=$(fds)
(
	# Once the daemon has accepted varlinkctl's connection (one more fd), and a moment more.
	for ((i = 0; i < 250; i++)); do
		[ "$(fds)" -gt "$base" ] && break
		sleep 0.02
	done
	sleep 0.3
	mv "$tmp/tree/sys/bus/pci/devices/$dev" "$tmp/devlink"
	for ((i = 0; i < gap * 10; i++)); do
		grep -q '"removed"' "$tmp/out" 2>/dev/null && break
		sleep 0.1
	done
	mv "$tmp/devlink" "$tmp/tree/sys/bus/pci/devices/$dev"
) &
changer=$!
vc call --more --timeout=$wait_s "$addr" io.iommucapd.Monitor '{}'
wait $changer
grep -q 'io.systemd.TimedOut' "$tmp/err"
ok $((1 - rc + $?)) "call --more Monitor runs until --timeout (exit 1, io.systemd.TimedOut)" "$tmp/err"
"$PYTHON3" -c '
import json, sys
data = open(sys.argv[1], "rb").read()
d = json.load(open(sys.argv[2]))
recs = data.split(b"\x1e")
assert recs[0] == b"", "output does not start with RS"
evs = []
for r in recs[1:]:
    assert r.endswith(b"\n"), "record not ended by a newline: %r" % r[-20:]
    evs.append(json.loads(r)["event"])
dev = [x for x in d["devices"] if x["address"] == sys.argv[3]][0]
want = [{"kind": "device", "action": "removed", "name": sys.argv[3]},
        {"kind": "device", "action": "added", "name": sys.argv[3], "device": dev}]
if evs != want:
    print("got:", json.dumps(evs)[:1500], file=sys.stderr)
    sys.exit(1)' "$tmp/out" "$tmp/dump.json" "$dev" 2>"$tmp/seq.err"
ok $? "the JSON-SEQ records: device $dev removed, then added with its state" "$tmp/seq.err" "$tmp/out"

vc call "$addr" io.iommucapd.GetHost '{}'
json_check "$tmp/out" 'o == {"host": d}'
ok $((rc + $?)) "after the change and back, GetHost is the dump again" "$tmp/err"

stop_server "iommu-capd"
finish
