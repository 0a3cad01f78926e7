# Third-party varlink clients (python3-varlink, varlinkctl, varlink-go certification) and hotplug.
# The clients are fetched (no install) by tests/deps/fetch into a cache; without them (no
# network on first use) these tests are skipped, not failed.

TESTS += tests/clients/python-varlink.py tests/clients/varlinkctl.sh tests/clients/hotplug.py \
	tests/clients/certification.sh

EXTRA_DIST += tests/clients/README.md tests/clients/common.sh tests/clients/common.py \
	tests/clients/python-varlink.py tests/clients/varlinkctl.sh tests/clients/hotplug.py \
	tests/clients/certification.sh tests/clients/certification-client.py \
	tests/clients/org.varlink.certification.varlink

# A test-only org.varlink.certification server on the daemon's varlink layer.
check_PROGRAMS += tests/clients/vl-certification
tests_clients_vl_certification_SOURCES = tests/clients/vl-certification.c
nodist_tests_clients_vl_certification_SOURCES = tests/clients/vl-certification-idl.h
tests_clients_vl_certification_CFLAGS = $(AM_CFLAGS) $(LIBSYSTEMD_CFLAGS)
tests_clients_vl_certification_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_builddir)/tests/clients
tests_clients_vl_certification_LDADD = varlink/libvarlink.a $(JANSSON_LIBS) $(LIBSYSTEMD_LIBS) -lm
# The object needs the generated header before it is compiled the first time.
tests/clients/vl_certification-vl-certification.$(OBJEXT): tests/clients/vl-certification-idl.h

# The upstream certification interface, verbatim: a copy of
# cmd/varlink-go-certification/orgvarlinkcertification/org.varlink.certification.varlink of
# Debian's golang-github-varlink-go-dev 0.4.0-2 (varlink/go 0.4.0), compiled in as a C string.
tests/clients/vl-certification-idl.h: $(top_srcdir)/tests/clients/org.varlink.certification.varlink
	@mkdir -p tests/clients
	$(AM_V_GEN)$(AWK) 'BEGIN { print "/* Generated from tests/clients/org.varlink.certification.varlink. */"; \
		print "static const char org_varlink_certification_idl[] =" } \
		{ gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); print "\t\"" $$0 "\\n\"" } \
		END { print ";" }' $< > $@.tmp && mv $@.tmp $@
CLEANFILES += tests/clients/vl-certification-idl.h
