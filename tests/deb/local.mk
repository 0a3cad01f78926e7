# make check-deb: the Debian packages built with dpkg-buildpackage, checked with lintian, installed
# into a fresh Debian 12 minbase chroot, used, removed and purged (tests/deb/check-deb.sh). Not
# part of "make check": it needs root; "tools/setup test" runs it.

EXTRA_DIST += tests/deb/local.mk tests/deb/check-deb.sh debian/changelog debian/control \
	debian/copyright debian/rules debian/source/format debian/iommu-capd.install \
	debian/iommu-capd.docs debian/iommu-capd.examples debian/iommuctl.install \
	debian/iommuctl.docs debian/iommuctl.postrm

check-deb: all
	srcdir='$(abs_top_srcdir)' builddir='$(abs_top_builddir)' \
	$(BASH) '$(abs_top_srcdir)/tests/deb/check-deb.sh'
.PHONY: check-deb
