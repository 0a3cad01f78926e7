#!/bin/bash
# The export units (TAP): systemd/iommu-capd-textfile.service.in and .timer (node_exporter's
# textfile collector) and iommu-capd-nfd.* (node-feature-discovery's features.d) keep their
# placeholders, directory and hardening; "systemd-analyze verify" accepts them (with the
# daemon's units beside them) and "systemd-analyze security --offline=true" rates each service at
# most 1.5.
set -u

srcdir=${srcdir:-$(dirname "$0")/../..}
builddir=${builddir:-.}
IOMMUCTL=${IOMMUCTL:-$builddir/cli/iommuctl}
DAEMON=${DAEMON:-$builddir/daemon/iommu-capd}
srcdir=$(cd "$srcdir" && pwd)
units="$srcdir/systemd"
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

# export NAME CONTRIB DIR: the units NAME.service.in and NAME.timer, the wrapper CONTRIB/NAME,
# writing into DIR (node_exporter's textfile directory on Debian; NFD's features.d).
export_units() {
	local name=$1 contrib=$2 textdir=$3
	local svc="$units/$name.service.in" timer="$units/$name.timer"
	local wrapper="$srcdir/$contrib/$name" gen="$builddir/systemd/$name.service" st e

	# ---- the unit files ------------------------------------------------------------------------

	grep -o '@[a-z_]*@' "$svc" | sort -u | tr '\n' ' ' >"$tmp/placeholders"
	[ "$(cat "$tmp/placeholders")" = "@bindir@ @pkglibexecdir@ " ] &&
		has "$svc" 'Environment=IOMMUCTL=@bindir@/iommuctl' \
			"ExecStart=@pkglibexecdir@/$name $textdir" &&
		! grep -q '@' "$timer"
	t $? "the placeholders are @bindir@ (IOMMUCTL=) and @pkglibexecdir@ (ExecStart=) only"

	if [ -f "$gen" ]; then
		grep -Eqx "ExecStart=/[^@ ]*/$name $textdir" "$gen" &&
			grep -Eqx 'Environment=IOMMUCTL=/[^@ ]*/iommuctl' "$gen" && ! grep -q '@[a-z_]*@' "$gen"
		t $? "the generated service has absolute paths and no placeholders"
	else
		skip "$gen has not been generated (no build rule yet)"
	fi

	has "$svc" 'Type=oneshot' "ConditionPathIsDirectory=$textdir" "ReadWritePaths=$textdir" \
		'Wants=iommu-capd.socket' 'After=iommu-capd.socket'
	t $? "the service runs once, into $textdir only, after the socket"

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
	mkdir -p "$tmp/$name-units"
	sed -e "s|@bindir@/iommuctl|$(abs "$IOMMUCTL")|" \
		-e "s|@pkglibexecdir@|$srcdir/$contrib|" "$svc" >"$tmp/$name-units/$name.service"
	cp "$timer" "$units/iommu-capd.socket" "$tmp/$name-units/"
	sed "s|^ExecStart=@sbindir@/iommu-capd|ExecStart=$(abs "$DAEMON")|" "$units/iommu-capd.service.in" \
		>"$tmp/$name-units/iommu-capd.service"

	if ! systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
		skip "systemd-analyze (250 or later) not installed (Debian package systemd): verify"
		skip "systemd-analyze (250 or later) not installed (Debian package systemd): verify (control)"
		skip "systemd-analyze (250 or later) not installed (Debian package systemd): exposure"
	else
		# Unknown keys are only warnings, so any message naming a unit fails.
		(cd "$tmp/$name-units" && systemd-analyze verify --man=no $name.service \
			$name.timer) >"$tmp/verify.out" 2>&1
		st=$?
		[ $st = 0 ] && ! grep -q 'iommu-capd' "$tmp/verify.out"
		t $? "systemd-analyze verify accepts $name.service and .timer" ||
			diag "$tmp/verify.out"

		# Control: the same copies with a wrapper that does not exist.
		mkdir -p "$tmp/$name-bad"
		cp "$tmp/$name-units/"* "$tmp/$name-bad/"
		sed -i 's|^ExecStart=[^ ]*|ExecStart=/nonexistent/$name|' \
			"$tmp/$name-bad/$name.service"
		(cd "$tmp/$name-bad" && systemd-analyze verify --man=no $name.service \
			$name.timer) >"$tmp/verify-bad.out" 2>&1
		st=$?
		[ $st != 0 ] && grep -q 'is not executable' "$tmp/verify-bad.out"
		t $? "control: systemd-analyze verify rejects them when ExecStart= does not exist" ||
			diag "$tmp/verify-bad.out"

		systemd-analyze security --offline=true "$tmp/$name-units/$name.service" \
			>"$tmp/security.out" 2>&1
		e=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9][0-9.]*\).*/\1/p' "$tmp/security.out")
		[ -n "$e" ] && awk -v x="$e" -v m="$max_exposure" 'BEGIN { exit !(x + 0 <= m + 0) }'
		t $? "exposure level of $name.service is ${e:-?} (at most $max_exposure)" ||
			diag "$tmp/security.out" 60
	fi
}

export_units iommu-capd-textfile contrib/prometheus /var/lib/prometheus/node-exporter
export_units iommu-capd-nfd contrib/nfd /etc/kubernetes/node-feature-discovery/features.d

echo "1..$n"
[ "$fail" = 0 ]
