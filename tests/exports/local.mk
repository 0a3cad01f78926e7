# Exports: node_exporter textfile metrics, the Ansible fact.

# prom-dump: prometheus_write() on a --sysroot tree, a document, a hostile host.
check_PROGRAMS += tests/exports/prom-dump
tests_exports_prom_dump_SOURCES = tests/exports/prom-dump.c cli/prometheus.c cli/prometheus.h
tests_exports_prom_dump_LDADD = lib/libiommucap.a $(JANSSON_LIBS)

TESTS += tests/exports/prometheus.sh tests/exports/units.sh tests/exports/ansible.sh \
	tests/exports/nfd.py
EXTRA_DIST += tests/exports/local.mk tests/exports/prometheus.sh tests/exports/units.sh \
	tests/exports/ansible.sh tests/exports/metrics-vs-document.py tests/exports/nfd.py \
	contrib/prometheus/iommu-capd-textfile contrib/ansible/iommu.fact \
	contrib/ansible/group-by-capability.yml contrib/ansible/collect-host-documents.yml \
	systemd/iommu-capd-textfile.service.in systemd/iommu-capd-textfile.timer docs/fleet.md
