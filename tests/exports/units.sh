#!/bin/bash
# The node_exporter textfile units (TAP): systemd/iommu-capd-textfile.service.in and .timer keep
# their placeholders, directory and hardening; "systemd-analyze verify" accepts them (with the
# daemon's units beside them) and "systemd-analyze security --offline=true" rates the service at
# most 1.5.
set -u

srcdir=${srcdir:-$(dirname "$0")/../..}
builddir=${builddir:-.}
IOMMUCTL=${IOMMUCTL:-$builddir/cli/iommuctl}
DAEMON=${DAEMON:-$builddir/daemon/iommu-capd}
srcdir=$(cd "$srcdir" && pwd)
units="$srcdir/systemd"
svc="$units/iommu-capd-textfile.service.in"
timer="$units/iommu-capd-textfile.timer"
wrapper="$srcdir/contrib/prometheus/iommu-capd-textfile"
textdir=/var/lib/prometheus/node-exporter
max_exposure=1.5

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# shellcheck source=tests/tap.sh
. "$srcdir/tests/tap.sh"
# has FILE KEY=VALUE...: every line is in FILE; names the missing ones.
has() {
	local f=$1 kv st=0
	shift
	for kv; do
		grep -qxF -- "$kv" "$f" || {
			echo "# $(basename "$f") lacks $kv"
			st=1
		}
	done
	return $st
}

# ---- the unit files ------------------------------------------------------------------------

grep -o '@[a-z_]*@' "$svc" | sort -u | tr '\n' ' ' >"$tmp/placeholders"
[ "$(cat "$tmp/placeholders")" = "@bindir@ @pkglibexecdir@ " ] &&
	has "$svc" 'Environment=IOMMUCTL=@bindir@/iommuctl' \
		"ExecStart=@pkglibexecdir@/iommu-capd-textfile $textdir" &&
	! grep -q '@' "$timer"
t $? "the placeholders are @bindir@ (IOMMUCTL=) and @pkglibexecdir@ (ExecStart=) only"

gen="$builddir/systemd/iommu-capd-textfile.service"
if [ -f "$gen" ]; then
	grep -Eqx 'ExecStart=/[^@ ]*/iommu-capd-textfile /var/lib/prometheus/node-exporter' "$gen" &&
		grep -Eqx 'Environment=IOMMUCTL=/[^@ ]*/iommuctl' "$gen" && ! grep -q '@[a-z_]*@' "$gen"
	t $? "the generated service has absolute paths and no placeholders"
else
	skip "$gen has not been generated (no build rule yet)"
fi

has "$svc" 'Type=oneshot' "ConditionPathIsDirectory=$textdir" "ReadWritePaths=$textdir" \
	'Wants=iommu-capd.socket' 'After=iommu-capd.socket'
t $? "the service runs once, into Debian's textfile directory $textdir only, after the socket"

# Debian's prometheus-node-exporter reads $textdir by default.
grep -q "$textdir" "$wrapper" && [ -x "$wrapper" ]
t $? "the wrapper is executable and defaults to the same directory"

has "$svc" 'CapabilityBoundingSet=' 'AmbientCapabilities=' 'NoNewPrivileges=yes' 'UMask=0022' \
	'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes' 'PrivateNetwork=yes' \
	'IPAddressDeny=any' 'RestrictAddressFamilies=AF_UNIX' 'PrivateDevices=no' \
	'DevicePolicy=closed' 'SystemCallFilter=@system-service' \
	'SystemCallFilter=~@privileged @resources' 'MemoryDenyWriteExecute=yes'
t $? "the service keeps its hardening (no capabilities, read-only system, no network)"

! grep -Eq '^(User|DynamicUser|RuntimeDirectory|StateDirectory)=' "$svc"
t $? "the service runs as root without capabilities (the directory is root's) and owns no directory"

has "$timer" 'OnBootSec=1min' 'OnUnitActiveSec=15min' 'WantedBy=timers.target' &&
	! grep -q '^Unit=' "$timer"
t $? "the timer starts the service of its name at boot and every 15 minutes"

# ---- systemd-analyze -----------------------------------------------------------------------

# Copies with the built iommuctl and the source tree's wrapper, beside the daemon's units.
abs() { (cd "$(dirname "$1")" && printf '%s/%s\n' "$(pwd)" "$(basename "$1")"); }
mkdir -p "$tmp/units"
sed -e "s|@bindir@/iommuctl|$(abs "$IOMMUCTL")|" \
	-e "s|@pkglibexecdir@|$srcdir/contrib/prometheus|" "$svc" >"$tmp/units/iommu-capd-textfile.service"
cp "$timer" "$units/iommu-capd.socket" "$tmp/units/"
sed "s|^ExecStart=@sbindir@/iommu-capd|ExecStart=$(abs "$DAEMON")|" "$units/iommu-capd.service.in" \
	>"$tmp/units/iommu-capd.service"

if ! systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
	skip "systemd-analyze (250 or later) not installed: verify"
	skip "systemd-analyze (250 or later) not installed: verify (control)"
	skip "systemd-analyze (250 or later) not installed: exposure"
else
	# Unknown keys are only warnings, so any message naming a unit fails.
	(cd "$tmp/units" && systemd-analyze verify --man=no iommu-capd-textfile.service \
		iommu-capd-textfile.timer) >"$tmp/verify.out" 2>&1
	st=$?
	[ $st = 0 ] && ! grep -q 'iommu-capd' "$tmp/verify.out"
	t $? "systemd-analyze verify accepts iommu-capd-textfile.service and .timer" ||
		diag "$tmp/verify.out"

	# Control: the same copies with a wrapper that does not exist.
	mkdir -p "$tmp/bad"
	cp "$tmp/units/"* "$tmp/bad/"
	sed -i 's|^ExecStart=[^ ]*|ExecStart=/nonexistent/iommu-capd-textfile|' \
		"$tmp/bad/iommu-capd-textfile.service"
	(cd "$tmp/bad" && systemd-analyze verify --man=no iommu-capd-textfile.service \
		iommu-capd-textfile.timer) >"$tmp/verify-bad.out" 2>&1
	st=$?
	[ $st != 0 ] && grep -q 'is not executable' "$tmp/verify-bad.out"
	t $? "control: systemd-analyze verify rejects them when ExecStart= does not exist" ||
		diag "$tmp/verify-bad.out"

	systemd-analyze security --offline=true "$tmp/units/iommu-capd-textfile.service" \
		>"$tmp/security.out" 2>&1
	e=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9][0-9.]*\).*/\1/p' "$tmp/security.out")
	[ -n "$e" ] && awk -v x="$e" -v m="$max_exposure" 'BEGIN { exit !(x + 0 <= m + 0) }'
	t $? "exposure level of iommu-capd-textfile.service is ${e:-?} (at most $max_exposure)" ||
		diag "$tmp/security.out" 60
fi

echo "1..$n"
[ "$fail" = 0 ]
