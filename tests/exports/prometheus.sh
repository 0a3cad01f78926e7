#!/bin/bash
# The Prometheus metrics of "iommuctl dump --format=prometheus" (TAP): for every fixture,
# "promtool check metrics" (Debian's prometheus 2.42, from tests/deps/fetch) accepts them and every
# sample agrees with the host document (tests/exports/metrics-vs-document.py); values of known
# fixtures; label escaping; node_exporter 1.5's textfile collector reads the file that
# contrib/prometheus/iommu-capd-textfile writes atomically.
#
# Until "dump --format" exists in iommuctl, the metrics come from tests/exports/prom-dump (the same
# library call on a --sysroot tree), and the wrapper runs a stand-in iommuctl built on it.
# Requires: python3
set -u

srcdir=${srcdir:-$(dirname "$0")/../..}
builddir=${builddir:-.}
IOMMUCTL=${IOMMUCTL:-$builddir/cli/iommuctl}
WRAP=${IOMMUCTL_WRAPPER:-}
PROMDUMP=$builddir/tests/exports/prom-dump
srcdir=$(cd "$srcdir" && pwd)
fx="$srcdir/tests/fixtures"
wrapper="$srcdir/contrib/prometheus/iommu-capd-textfile"
check="$srcdir/tests/exports/metrics-vs-document.py"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=${PYTHON3:-python3}
epoch=1700000000
export SOURCE_DATE_EPOCH=$epoch
unset IOMMUCTL_ARGS IOMMU_TEXTFILE_DIR

DAEMON=${DAEMON:-$builddir/daemon/iommu-capd}

tmp=$(mktemp -d)
ne_pid=
daemon_pid=
cleanup() {
	# Only what this test started (a PID may have been reused since).
	[ -n "$ne_pid" ] && grep -qsa 'prometheus-node-exporter' "/proc/$ne_pid/cmdline" &&
		kill "$ne_pid" 2>/dev/null
	[ -n "$daemon_pid" ] && grep -qsa 'iommu-capd' "/proc/$daemon_pid/cmdline" &&
		kill "$daemon_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# shellcheck source=tests/tap.sh
. "$srcdir/tests/tap.sh"

# The tools. A failed fetch (e.g. no network) is a failure, not a skip.
fetch=$srcdir/tests/deps/fetch
if "$fetch" >"$tmp/fetch" 2>&1; then
	t 0 "tests/deps/fetch provides promtool and prometheus-node-exporter"
	diag "$tmp/fetch"
else
	st=$?
	why="$(tail -n1 "$tmp/fetch") (exit $st)"
	t 1 "tests/deps/fetch provides promtool and prometheus-node-exporter: $why"
	diag "$tmp/fetch"
	echo "1..$n"
	exit 1
fi
deps=$("$fetch" --print-dir)
promtool=$deps/bin/promtool
node_exporter=$deps/bin/prometheus-node-exporter

# metrics DIR: the metrics of a fixture tree.
if "$IOMMUCTL" --help 2>/dev/null | grep -q -- '--format'; then
	wired=1
	echo "# metrics from: iommuctl --sysroot DIR dump --format=prometheus"
	metrics() { $WRAP "$IOMMUCTL" --quiet --sysroot "$1" dump --format=prometheus; }
else
	wired=
	echo "# metrics from: tests/exports/prom-dump DIR (iommuctl has no dump --format yet)"
	metrics() { $WRAP "$PROMDUMP" "$1"; }
fi
# promcheck FILE: promtool's verdict (lint included) on FILE.
promcheck() {
	"$promtool" check metrics <"$1" >"$1.promtool" 2>&1
}

# ---- controls: promtool lints ----------------------------------------------------------------

printf 'iommu_capd_x 1\n' >"$tmp/nohelp.prom"
printf '# HELP iommu_capd_x_bits A width.\n# TYPE iommu_capd_x_bits gauge\niommu_capd_x_bits 1\n' \
	>"$tmp/bits.prom"
! promcheck "$tmp/nohelp.prom" && grep -q 'no help text' "$tmp/nohelp.prom.promtool" &&
	! promcheck "$tmp/bits.prom" && grep -q 'use base unit "bytes" instead of "bits"' \
	"$tmp/bits.prom.promtool"
t $? "control: promtool rejects a metric without HELP and one named *_bits (its lints are on)"

# ---- every fixture ---------------------------------------------------------------------------

: >"$tmp/crosscheck.out"
: >"$tmp/roundtrip.out"
: >"$tmp/same.out"
for dir in "$fx"/*/; do
	name=$(basename "$dir")
	m="$tmp/$name.prom"
	metrics "$dir" >"$m" 2>"$m.err"
	st=$?
	sed -i '/^==[0-9]*==/d; /^--[0-9]*--/d' "$m.err"
	if [ $st != 0 ] || [ -s "$m.err" ]; then
		t 1 "$name: the metrics are made (exit $st)"
		diag "$m.err" 5
		continue
	fi
	promcheck "$m"
	t $? "$name: promtool check metrics accepts its $(grep -vc '^#' "$m") samples" ||
		diag "$m.promtool"

	# The same samples as the host document.
	if ! "$IOMMUCTL" --quiet --sysroot "$dir" dump >"$tmp/$name.json" 2>"$tmp/check.out" ||
		! "$PY" "$check" "$m" "$tmp/$name.json" >"$tmp/check.out" 2>&1; then
		sed "s|^|$name: |" "$tmp/check.out" >>"$tmp/crosscheck.out"
	fi
	# Through the host document and back, as iommuctl does with the daemon's reply.
	if ! $WRAP "$PROMDUMP" --roundtrip "$dir" >"$tmp/rt.prom" 2>/dev/null ||
		! cmp -s "$m" "$tmp/rt.prom"; then
		echo "$name: $(diff "$m" "$tmp/rt.prom" | grep -m1 '^[<>]')" >>"$tmp/roundtrip.out"
	fi
	if [ -n "$wired" ]; then
		if ! "$PROMDUMP" "$dir" >"$tmp/pd.prom" 2>/dev/null || ! cmp -s "$m" "$tmp/pd.prom"; then
			echo "$name: $(diff "$m" "$tmp/pd.prom" | grep -m1 '^[<>]')" >>"$tmp/same.out"
		fi
	fi
done
[ ! -s "$tmp/crosscheck.out" ]
t $? "every fixture: each sample says what the host document says, an unknown value has none" ||
	diag "$tmp/crosscheck.out"
[ ! -s "$tmp/roundtrip.out" ]
t $? "every fixture: the same metrics from the host document read back (the daemon's path)" ||
	diag "$tmp/roundtrip.out"
if [ -n "$wired" ]; then
	[ ! -s "$tmp/same.out" ]
	t $? "every fixture: iommuctl prints what prometheus_write() prints" ||
		diag "$tmp/same.out"
else
	skip "iommuctl has no dump --format yet"
fi

# ---- values of known fixtures ----------------------------------------------------------------

# lines FILE LINE...: every LINE is a line of FILE; names the missing ones.
lines() {
	local f=$1 l st=0
	shift
	for l; do
		grep -qxF -- "$l" "$f" || {
			echo "# missing: $l"
			st=1
		}
	done
	return $st
}
# none FILE REGEX: no line of FILE matches.
none() {
	! grep -E -- "$2" "$1" | sed 's/^/# unexpected: /' | grep .
}

m="$tmp/x86-q72-k612-b-intel-sm.prom"
lines "$m" 'iommu_capd_unit_info{unit="dmar0",model="intel-vtd",model_id="1"} 1' \
	'iommu_capd_unit_ssid_width{unit="dmar0"} 1' \
	'iommu_capd_unit_input_address_width{unit="dmar0"} 48' \
	'iommu_capd_unit_scalable_mode{unit="dmar0"} 1' 'iommu_capd_unit_caching_mode{unit="dmar0"} 1' \
	'iommu_capd_unit_nesting{unit="dmar0"} 0' \
	'iommu_capd_unit_page_size_info{unit="dmar0",page_size="1073741824"} 1' \
	'iommu_capd_unit_capability_known{unit="dmar0",capability="output_bits"} 0' \
	'iommu_capd_host_info{kernel_release="6.12.95+deb12-amd64",default_domain_type="DMA",default_domain_mode="strict",cpu_vendor="AuthenticAMD",schema_version="1"} 1' \
	"iommu_capd_probe_timestamp_seconds $epoch" &&
	none "$m" '^iommu_capd_unit_output_address_width'
t $? "intel-sm: unit_info, ssid_width 1, scalable mode, 1G pages; output_bits unknown and absent"

m="$tmp/arm64-q72-k612-e-smmuv3.prom"
u='unit="smmu3.0x0000000009050000"'
lines "$m" "iommu_capd_unit_info{$u,model=\"arm-smmu-v3\",model_id=\"2\"} 1" \
	"iommu_capd_unit_capability_known{$u,capability=\"ssid_bits\"} 0" \
	"iommu_capd_unit_capability_known{$u,capability=\"nesting\"} 0" \
	"iommu_capd_unit_capability_known{$u,capability=\"ats\"} 0" &&
	none "$m" '^iommu_capd_unit_(ssid_width|input_address_width|output_address_width|asid_width|nesting|pri|ats|dirty_tracking|coherent|btm|stall_info|httu_info|page_size_info|pgtable_format_info|pasid_table_format_info)\{'
t $? "SMMUv3 without properties: the unknown values are absent, not 0, and known says 0"

lines "$tmp/smmuv3-props-full.prom" \
	'iommu_capd_unit_ssid_width{unit="smmu3.0x0000000009050000"} 20' \
	'iommu_capd_host_dev_iommu 1'
t $? "SMMUv3 with the property files: ssid_width 20, /dev/iommu"

lines "$tmp/x86-q72-k612-c-amd.prom" \
	'iommu_capd_unit_info{unit="ivhd0",model="amd-vi",model_id="3"} 1' \
	'iommu_capd_unit_pri{unit="ivhd0"} 0' 'iommu_capd_unit_ats{unit="ivhd0"} 1'
# PRI 0: Linux 6.12's amd_iommu_gt_ppr_supported() needs EPHSup, which QEMU's amd-iommu lacks.
t $? "AMD-Vi: model_id 3, ATS, no PRI on 6.12"

lines "$tmp/broken-garbage-groups.prom" 'iommu_capd_group_info{group="2",type=""} 1' \
	'iommu_capd_warnings 4'
t $? "garbage groups: an unreadable group type is an empty label; 4 warnings"

lines "$tmp/x86-q72-k61-d-virtio-iommu.prom" 'iommu_capd_units 0' &&
	none "$tmp/x86-q72-k61-d-virtio-iommu.prom" '^iommu_capd_unit_'
t $? "no IOMMU: iommu_capd_units 0 and no per-unit family"

m="$tmp/x86-q72-k612-b-intel-sm.prom"
metrics "$fx/x86-q72-k612-b-intel-sm" >"$tmp/again.prom" 2>/dev/null &&
	cmp -s "$m" "$tmp/again.prom"
t $? "the output is stable from one run to the next"

# A stored document without generated_at (another tool's) has no probe time.
"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
del d["generated_at"]
json.dump(d, open(sys.argv[2], "w"))' "$tmp/x86-q72-k612-b-intel-sm.json" "$tmp/nogen.json" &&
	$WRAP "$PROMDUMP" --document "$tmp/nogen.json" >"$tmp/nogen.prom" 2>&1 &&
	none "$tmp/nogen.prom" 'probe_timestamp' && promcheck "$tmp/nogen.prom"
t $? "a document without generated_at: no iommu_capd_probe_timestamp_seconds"

# ---- label values ----------------------------------------------------------------------------

$WRAP "$PROMDUMP" --hostile >"$tmp/hostile.prom" 2>"$tmp/hostile.err"
st=$?
[ $st = 0 ] && promcheck "$tmp/hostile.prom"
t $? "hostile label values (quote, backslash, newline, bad UTF-8): promtool accepts them" ||
	diag "$tmp/hostile.prom.promtool"
lines "$tmp/hostile.prom" \
	'iommu_capd_unit_info{unit="evil\"unit\\0\n",model="unknown",model_id="4242"} 1' \
	'iommu_capd_group_info{group="7",type="DMA\"FQ\\\n"} 1' \
	'iommu_capd_unit_pgtable_format_info{unit="evil\"unit\\0\n",format="c\\d"} 1' \
	"iommu_capd_unit_pgtable_format_info{unit=\"evil\\\"unit\\\\0\\n\",format=\"$(printf '\357\277\275\357\277\275g')\"} 1" \
	"iommu_capd_device_info{device=\"0000:00:01.0\",unit=\"evil\\\"unit\\\\0\\n\",group=\"7\",driver=\"vfio$(printf '\357\277\275\357\277\275')pci\",vendor=\"0x8086\",device_id=\"0x1234\",class=\"0x020000\"} 1" &&
	"$PY" -c 'import sys; open(sys.argv[1], encoding="utf-8", errors="strict").read()' \
		"$tmp/hostile.prom"
t $? "label values are escaped (\\\\, \\\", \\n) and bytes that are not UTF-8 become U+FFFD"

if [ -w /dev/full ]; then
	$WRAP "$PROMDUMP" "$fx/large-host" >/dev/full 2>"$tmp/full.err"
	st=$?
	sed -i '/^==[0-9]*==/d; /^--[0-9]*--/d' "$tmp/full.err"
	[ $st = 1 ] && grep -q 'cannot write the metrics: No space left on device' "$tmp/full.err"
	t $? "a write error is reported (-ENOSPC on /dev/full)" || diag "$tmp/full.err"
else
	skip "/dev/full is not writable"
fi

# ---- the textfile wrapper and node_exporter --------------------------------------------------

# The iommuctl the wrapper runs: the real one, or a stand-in on prom-dump (--sysroot DIR only).
if [ -n "$wired" ]; then
	ctl=$IOMMUCTL
else
	ctl="$tmp/iommuctl-standin"
	cat >"$ctl" <<EOF
#!/bin/sh
# iommuctl --quiet --sysroot DIR dump --format=prometheus, until iommuctl has --format.
root=
while [ \$# -gt 0 ]; do
	case \$1 in
	--sysroot) root=\$2; shift ;;
	--sysroot=*) root=\${1#*=} ;;
	esac
	shift
done
[ -n "\$root" ] || { echo "iommuctl-standin: --sysroot only" >&2; exit 64; }
exec "$PROMDUMP" "\$root"
EOF
	chmod +x "$ctl"
fi
textdir="$tmp/textfile"
mkdir -p "$textdir"
# textfile FIXTURE: the wrapper's run for FIXTURE into $textdir.
textfile() {
	IOMMUCTL=$ctl IOMMUCTL_ARGS="--sysroot $fx/$1" "$wrapper" "$textdir" 2>"$tmp/wrapper.err"
}

textfile x86-q72-k612-b-intel-sm
st=$?
f="$textdir/iommu-capd.prom"
[ $st = 0 ] && cmp -s "$f" "$tmp/x86-q72-k612-b-intel-sm.prom" &&
	[ "$(stat -c %a "$f")" = 644 ] && [ "$(ls -A "$textdir")" = iommu-capd.prom ]
t $? "the wrapper writes DIR/iommu-capd.prom, mode 0644, and leaves no temporary file" ||
	diag "$tmp/wrapper.err"

cp "$f" "$tmp/before.prom"
touch -d @1 "$f"
IOMMUCTL=$ctl IOMMUCTL_ARGS="--sysroot $tmp/no-such-root" "$wrapper" "$textdir" \
	2>"$tmp/wrapper.err"
st=$?
[ $st != 0 ] && cmp -s "$f" "$tmp/before.prom" && [ "$(stat -c %Y "$f")" = 1 ] &&
	[ "$(ls -A "$textdir")" = iommu-capd.prom ] && grep -q 'is left as it was' "$tmp/wrapper.err"
t $? "when iommuctl fails, the previous file stays untouched and the status is not 0 ($st)" ||
	diag "$tmp/wrapper.err"

cat >"$tmp/fake-iommuctl" <<'EOF'
#!/bin/sh
for a; do
	[ "$a" = --offline ] || continue
	printf '# HELP iommu_capd_units N.\n# TYPE iommu_capd_units gauge\niommu_capd_units 7\n'
	exit 0
done
exit 69
EOF
chmod +x "$tmp/fake-iommuctl"
IOMMUCTL="$tmp/fake-iommuctl" "$wrapper" "$textdir" 2>"$tmp/wrapper.err"
st=$?
[ $st = 0 ] && grep -qx 'iommu_capd_units 7' "$f" && grep -q 'probing directly' "$tmp/wrapper.err"
t $? "when the daemon is unreachable (exit 69) the wrapper probes with --offline"

"$wrapper" "$tmp/no-such-dir" 2>"$tmp/wrapper.err"
st=$?
[ $st = 1 ] && grep -q 'cannot create a file in' "$tmp/wrapper.err"
t $? "a missing directory fails in one line"

# Through the daemon (the service's way): the model read back from the daemon's document.
if [ -z "$wired" ]; then
	skip "iommuctl has no dump --format yet: through the daemon"
	skip "iommuctl has no dump --format yet: the wrapper through the daemon"
else
	sock="$tmp/capd.sock"
	"$DAEMON" --sysroot "$fx/x86-q72-k612-b-intel-sm" --listen "unix:$sock" 2>"$tmp/daemon.log" &
	daemon_pid=$!
	for _ in $(seq 100); do
		[ -S "$sock" ] && break
		sleep 0.05
	done
	$WRAP "$IOMMUCTL" --quiet --address "unix:$sock" dump --format=prometheus \
		>"$tmp/daemon.prom" 2>"$tmp/daemon.err"
	st=$?
	[ $st = 0 ] && cmp -s "$tmp/daemon.prom" "$tmp/x86-q72-k612-b-intel-sm.prom"
	t $? "through iommu-capd: the same metrics as the offline probe (exit $st)" ||
		diag "$tmp/daemon.err"
	IOMMUCTL=$IOMMUCTL IOMMUCTL_ARGS="--address unix:$sock" "$wrapper" "$textdir" \
		2>"$tmp/wrapper.err"
	st=$?
	[ $st = 0 ] && cmp -s "$f" "$tmp/x86-q72-k612-b-intel-sm.prom" && [ ! -s "$tmp/wrapper.err" ]
	t $? "the wrapper through iommu-capd writes them, without falling back" ||
		diag "$tmp/wrapper.err"
	kill "$daemon_pid" 2>/dev/null
	wait "$daemon_pid" 2>/dev/null
	daemon_pid=
fi

# node_exporter on a free port, with the textfile collector only.
port=$("$PY" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
"$node_exporter" --collector.disable-defaults --collector.textfile \
	--collector.textfile.directory="$textdir" --web.listen-address="127.0.0.1:$port" \
	>"$tmp/ne.log" 2>&1 &
ne_pid=$!
# scrape OUT: node_exporter's /metrics into OUT (retried while it starts).
scrape() {
	for _ in $(seq 50); do
		"$PY" -c 'import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' \
			"http://127.0.0.1:$port/metrics" >"$1" 2>/dev/null && return 0
		kill -0 "$ne_pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

for fixture in x86-q72-k612-b-intel-sm arm64-q72-k612-e-smmuv3 large-host; do
	textfile "$fixture"
	scrape "$tmp/scrape.txt" && grep -qx 'node_textfile_scrape_error 0' "$tmp/scrape.txt"
	st=$?
	# node_exporter sorts the labels; compare the samples the way it prints them.
	want=$(grep -c '^iommu_capd_' "$f")
	got=$(grep -c '^iommu_capd_' "$tmp/scrape.txt")
	[ $st = 0 ] && [ "$want" = "$got" ] &&
		grep -q "^iommu_capd_probe_timestamp_seconds 1.7e+09$" "$tmp/scrape.txt"
	t $? "$fixture: node_exporter reads the file without error, all $want samples" || {
		diag "$tmp/ne.log" 5
		grep 'textfile\|^iommu_capd_units' "$tmp/scrape.txt" | diag /dev/stdin 5
	}
done

cp "$tmp/hostile.prom" "$f"
scrape "$tmp/scrape.txt" && grep -qx 'node_textfile_scrape_error 0' "$tmp/scrape.txt" &&
	grep -qF 'iommu_capd_unit_info{model="unknown",model_id="4242",unit="evil\"unit\\0\n"} 1' \
		"$tmp/scrape.txt"
t $? "hostile label values: node_exporter reads them back unchanged"

printf 'iommu_capd_units{ 1\n' >"$f"
scrape "$tmp/scrape.txt" && grep -qx 'node_textfile_scrape_error 1' "$tmp/scrape.txt"
t $? "control: node_exporter reports a malformed file (node_textfile_scrape_error 1)"

kill "$ne_pid" 2>/dev/null
wait "$ne_pid" 2>/dev/null
ne_pid=

echo "1..$n"
[ "$fail" = 0 ]
