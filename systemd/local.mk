# systemd units for iommu-capd.
# The service's ExecStart= carries the configured $(sbindir), substituted at build time (a make
# rule rather than AC_CONFIG_FILES, so that "make prefix=..." and "make sbindir=..." still work).
# Installing the units and the man page is in Makefile.am (systemdsystemunitdir from configure).
systemd/iommu-capd.service: $(top_srcdir)/systemd/iommu-capd.service.in Makefile
	@mkdir -p systemd
	$(AM_V_GEN)sed -e 's|@sbindir[@]|$(sbindir)|g' $(top_srcdir)/systemd/iommu-capd.service.in \
		> $@.tmp && mv $@.tmp $@

# Built for "make check" too, so the test can look at the generated unit.
check_DATA = systemd/iommu-capd.service
CLEANFILES += systemd/iommu-capd.service systemd/iommu-capd.service.tmp

TESTS += tests/systemd-units.sh
EXTRA_DIST += systemd/iommu-capd.socket systemd/iommu-capd.service.in \
	systemd/iommu-capd-config-space.conf systemd/iommu-capd-iommufd.conf tests/systemd-units.sh \
	docs/service.md

# The node_exporter textfile export: the wrapper, and a service (from a template, like the
# daemon's) and timer installed next to the daemon's units.
pkglibexec_SCRIPTS = contrib/prometheus/iommu-capd-textfile
systemd/iommu-capd-textfile.service: $(top_srcdir)/systemd/iommu-capd-textfile.service.in Makefile
	@mkdir -p systemd
	$(AM_V_GEN)sed -e 's|@bindir[@]|$(bindir)|g' -e 's|@pkglibexecdir[@]|$(pkglibexecdir)|g' \
		$(top_srcdir)/systemd/iommu-capd-textfile.service.in > $@.tmp && mv $@.tmp $@
check_DATA += systemd/iommu-capd-textfile.service
CLEANFILES += systemd/iommu-capd-textfile.service systemd/iommu-capd-textfile.service.tmp

# The Ansible fact and sample playbooks, for the fleet's own roles to deploy.
ansibledir = $(pkgdatadir)/ansible
dist_ansible_SCRIPTS = contrib/ansible/iommu.fact
dist_ansible_DATA = contrib/ansible/group-by-capability.yml \
	contrib/ansible/collect-host-documents.yml

# The Kubernetes Node Feature Discovery export: the wrapper, and a service and timer like the
# textfile ones.
pkglibexec_SCRIPTS += contrib/nfd/iommu-capd-nfd
systemd/iommu-capd-nfd.service: $(top_srcdir)/systemd/iommu-capd-nfd.service.in Makefile
	@mkdir -p systemd
	$(AM_V_GEN)sed -e 's|@bindir[@]|$(bindir)|g' -e 's|@pkglibexecdir[@]|$(pkglibexecdir)|g' \
		$(top_srcdir)/systemd/iommu-capd-nfd.service.in > $@.tmp && mv $@.tmp $@
check_DATA += systemd/iommu-capd-nfd.service
CLEANFILES += systemd/iommu-capd-nfd.service systemd/iommu-capd-nfd.service.tmp
EXTRA_DIST += systemd/iommu-capd-nfd.service.in systemd/iommu-capd-nfd.timer contrib/nfd/iommu-capd-nfd
