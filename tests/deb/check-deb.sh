#!/bin/bash
# make check-deb (TAP): build the Debian packages from the distribution tree with
# "dpkg-buildpackage -us -uc -b", check them with lintian, install them into a fresh Debian 12
# minbase chroot, use them there, then remove and purge them and check that nothing they made is
# left. Needs root (chroot) and the packages on its "Requires:" line (tools/setup test installs
# them); without either it is skipped, saying why.
#
# The minbase tree is made once per set of runtime dependencies and kept as a debootstrap tarball
# in the tests/deps/fetch cache directory (debian-bookworm-minbase-HASH.tgz), so later runs only
# unpack it; the mirror is the one tests/deps/fetch uses.
#
# Requires: debhelper dpkg-dev fakeroot lintian debootstrap
set -u

srcdir=${srcdir:-$(dirname "$0")/../..}
builddir=${builddir:-.}
. "$srcdir/tests/tap.sh"
finish() {
	echo "1..$n"
	exit $((fail > 0))
}
SAMPLE=x86-q72-k612-b3-intel-sm-devtlb-config # a fixture with an ATS device

if [ "$(id -u)" != 0 ]; then
	skip "make check-deb needs root (debootstrap, chroot)"
	finish
fi
if ! missing=$("$srcdir/tests/deps/have" debhelper dpkg-dev fakeroot lintian debootstrap); then
	skip "make check-deb needs $missing (tools/setup test installs it)"
	finish
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/check-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
log=$work/log
mkdir -p "$log"

version=$(sed -n 's/^PACKAGE_VERSION = //p' "$builddir/Makefile")
src=$work/iommu-capd-$version
make -s -C "$builddir" distdir distdir="$src" >"$log/distdir" 2>&1
t $? "make distdir" || {
	diag "$log/distdir"
	finish
}

# 1. Build.
(cd "$src" && DEB_BUILD_OPTIONS="parallel=$(nproc) ${DEB_BUILD_OPTIONS:-}" \
	dpkg-buildpackage -us -uc -b) >"$log/build" 2>&1
t $? "dpkg-buildpackage -us -uc -b builds" || diag "$log/build" 40
arch=$(dpkg --print-architecture)
daemon_deb=$work/iommu-capd_${version}_$arch.deb
ctl_deb=$work/iommuctl_${version}_$arch.deb
changes=$work/iommu-capd_${version}_$arch.changes
[ -f "$daemon_deb" ] && [ -f "$ctl_deb" ] && [ -f "$changes" ]
t $? "iommu-capd and iommuctl binary packages and the .changes" || {
	ls -l "$work" | sed 's/^/# /'
	finish
}

# 2. lintian at its default level (errors and warnings); overrides are in debian/*.lintian-overrides.
lintian --fail-on error,warning "$changes" >"$log/lintian" 2>&1
t $? "lintian: no error or warning" || diag "$log/lintian" 40

# 3. What each package holds (dh_missing fails the build on a file no package takes).
contents() { dpkg-deb -c "$1" | awk '{print substr($6, 2)}'; }
has_all() {
	local deb=$1 f
	shift
	for f; do
		contents "$deb" | grep -qx "$f" || {
			echo "# $(basename "$deb") lacks $f"
			return 1
		}
	done
}
has_all "$daemon_deb" /usr/sbin/iommu-capd /lib/systemd/system/iommu-capd.service \
	/lib/systemd/system/iommu-capd.socket /usr/share/man/man8/iommu-capd.8.gz
t $? "iommu-capd holds the daemon, its units and its man page"
has_all "$ctl_deb" /usr/bin/iommuctl /usr/share/man/man1/iommuctl.1.gz \
	/usr/share/bash-completion/completions/iommuctl /usr/libexec/iommu-capd/iommu-capd-nfd \
	/lib/systemd/system/iommu-capd-nfd.timer /lib/systemd/system/iommu-capd-textfile.timer
t $? "iommuctl holds the tool, its man page, completion and exporters"

# 4. A fresh minbase chroot with the packages' runtime dependencies, from the cached tarball.
deps=$("$srcdir/tests/deps/fetch" --print-dir)
mirror=$("$srcdir/tests/deps/fetch" --print-mirror)
include=$(for d in "$daemon_deb" "$ctl_deb"; do dpkg-deb -f "$d" Depends; done |
	tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/[[:space:]]//g' | grep -v '^$' | sort -u |
	paste -sd, -)
key=$(echo "bookworm minbase $arch $include" | sha256sum | cut -c1-16)
tarball=$deps/debian-bookworm-minbase-$key.tgz
root=$work/root
mkdir -p "$deps" "$root"
if [ ! -s "$tarball" ]; then
	debootstrap --variant=minbase --arch="$arch" --include="$include" \
		--make-tarball="$tarball.tmp" bookworm "$work/mk" "$mirror" >"$log/tarball" 2>&1 &&
		mv "$tarball.tmp" "$tarball"
	rm -rf "$work/mk" "$tarball.tmp"
fi
debootstrap --variant=minbase --arch="$arch" --include="$include" \
	--unpack-tarball="$tarball" bookworm "$root" "$mirror" >"$log/chroot" 2>&1
t $? "fresh bookworm minbase chroot (with $include)" || {
	diag "$log/tarball" 10
	diag "$log/chroot" 30
	finish
}
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 "$@"; }

# Everything on the file system, to compare after the purge; the two exporters' directories
# belong to node_exporter and node-feature-discovery, made here as those would.
mkdir -p "$root/var/lib/prometheus/node-exporter" \
	"$root/etc/kubernetes/node-feature-discovery/features.d"
snapshot() {
	(cd "$root" && find . -path ./proc -prune -o -path ./var/lib/dpkg -prune -o \
		-path ./var/log -prune -o -path ./var/cache -prune -o -path ./tmp -prune -o \
		-path ./sample -prune -o -print) | sort
}
snapshot >"$work/before"

# 5. Install, use.
cp "$daemon_deb" "$ctl_deb" "$root/tmp/"
in_root dpkg -i "/tmp/$(basename "$daemon_deb")" "/tmp/$(basename "$ctl_deb")" >"$log/install" 2>&1
t $? "dpkg -i installs both into the chroot" || diag "$log/install" 30

[ "$(in_root iommuctl --version 2>&1)" = "iommu-capd $version" ]
t $? "iommuctl --version prints iommu-capd $version"

cp -a "$srcdir/tests/fixtures/$SAMPLE" "$root/sample"
# The expected outputs of this fixture (tests/golden.sh and tests/tree.py check them against it).
for cmd in show tree; do
	in_root iommuctl --sysroot /sample $cmd >"$work/$cmd.out" 2>"$log/$cmd"
	diff -u "$srcdir/tests/expected/$SAMPLE/$cmd.out" "$work/$cmd.out" >"$log/$cmd.diff" &&
		[ ! -s "$log/$cmd" ]
	t $? "iommuctl --sysroot SAMPLE $cmd prints the sample's expected $cmd" || {
		diag "$log/$cmd.diff"
		diag "$log/$cmd"
	}
done

# libxml2 is loaded only for --libvirt (lib/libxml-dl.h): the package's Depends brings it.
cp "$srcdir/tests/requirements/libvirt-intel.xml" "$root/tmp/"
in_root iommuctl check --libvirt /tmp/libvirt-intel.xml --print-requirement \
	>"$work/libvirt.out" 2>"$log/libvirt"
diff -u "$srcdir/tests/requirements/libvirt-intel.json" "$work/libvirt.out" >"$log/libvirt.diff"
t $? "iommuctl check --libvirt reads a domain XML (libxml2 installed as a dependency)" || {
	diag "$log/libvirt.diff"
	diag "$log/libvirt"
}

# 6. The units where systemd looks, naming programs that are there.
units_ok=0
for u in iommu-capd.socket iommu-capd.service iommu-capd-textfile.service \
	iommu-capd-textfile.timer iommu-capd-nfd.service iommu-capd-nfd.timer; do
	f=$root/lib/systemd/system/$u
	[ -f "$f" ] || {
		echo "# no /lib/systemd/system/$u"
		units_ok=1
		continue
	}
	for exe in $(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p; s/^Environment=IOMMUCTL=//p' "$f"); do
		[ -x "$root$exe" ] || {
			echo "# $u names $exe, which is not installed"
			units_ok=1
		}
	done
done
t $units_ok "units in /lib/systemd/system, their programs installed"

# dh_installsystemd's enablement, as "systemctl enable" makes it (deb-systemd-helper).
[ "$(readlink "$root/etc/systemd/system/sockets.target.wants/iommu-capd.socket")" = \
	/lib/systemd/system/iommu-capd.socket ]
t $? "the socket is enabled on install (sockets.target.wants)"
! ls "$root"/etc/systemd/system/*.wants/iommu-capd-*.timer >/dev/null 2>&1 &&
	! ls "$root"/etc/systemd/system/*.wants/iommu-capd.service >/dev/null 2>&1
t $? "the service and the exporters' timers are not enabled"

# The exporters, run as their services would (from the sample, no daemon here).
in_root env IOMMUCTL_ARGS="--sysroot /sample" /usr/libexec/iommu-capd/iommu-capd-textfile \
	/var/lib/prometheus/node-exporter >"$log/textfile" 2>&1 &&
	in_root env IOMMUCTL_ARGS="--sysroot /sample" /usr/libexec/iommu-capd/iommu-capd-nfd \
		/etc/kubernetes/node-feature-discovery/features.d >>"$log/textfile" 2>&1 &&
	[ -s "$root/var/lib/prometheus/node-exporter/iommu-capd.prom" ] &&
	[ -s "$root/etc/kubernetes/node-feature-discovery/features.d/iommu-capd" ]
t $? "the textfile and NFD exporters write their files" || diag "$log/textfile"

# 7. Remove, then purge.
in_root dpkg -r iommuctl iommu-capd >"$log/remove" 2>&1 && ! [ -e "$root/usr/bin/iommuctl" ] &&
	! [ -e "$root/usr/sbin/iommu-capd" ]
t $? "dpkg -r removes both" || diag "$log/remove"
in_root dpkg -P iommuctl iommu-capd >"$log/purge" 2>&1
t $? "dpkg -P purges both" || diag "$log/purge"
[ -z "$(in_root dpkg-query -W -f='${db:Status-Abbrev}' iommuctl iommu-capd 2>/dev/null)" ]
t $? "dpkg no longer knows either package"
snapshot >"$work/after"
diff "$work/before" "$work/after" >"$log/left"
t $? "after the purge the file system is as before the install" || diag "$log/left" 30

finish
