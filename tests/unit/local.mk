# Unit tests (cmocka): decoders and parsers from raw values.
#
# Tests that show a known library bug are skipped; IOMMUCAP_RUN_KNOWN_BUGS=1 runs them.

if HAVE_CMOCKA
UNIT_TESTS = \
	tests/unit/test-parse \
	tests/unit/test-host \
	tests/unit/test-document \
	tests/unit/test-regs \
	tests/unit/test-vtd \
	tests/unit/test-amdvi \
	tests/unit/test-smmuv3 \
	tests/unit/test-hwinfo \
	tests/unit/test-acpi \
	tests/unit/test-pci \
	tests/unit/test-sysfs \
	tests/unit/test-props \
	tests/unit/test-requirement \
	tests/unit/test-bootmsg

TESTS += $(UNIT_TESTS)
check_PROGRAMS += $(UNIT_TESTS)

UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
UNIT_LDADD = lib/libiommucap.a $(JANSSON_LIBS) $(CMOCKA_LIBS)

tests_unit_test_parse_SOURCES = tests/unit/test-parse.c tests/unit/unit.h
tests_unit_test_parse_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_parse_LDADD = $(UNIT_LDADD)

tests_unit_test_host_SOURCES = tests/unit/test-host.c tests/unit/unit.h
tests_unit_test_host_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_host_LDADD = $(UNIT_LDADD)

tests_unit_test_document_SOURCES = tests/unit/test-document.c tests/unit/unit.h
tests_unit_test_document_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_document_LDADD = $(UNIT_LDADD)
EXTRA_DIST += tests/unit/host-document.json

tests_unit_test_regs_SOURCES = tests/unit/test-regs.c tests/unit/unit.h
tests_unit_test_regs_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_regs_LDADD = $(UNIT_LDADD)

tests_unit_test_vtd_SOURCES = tests/unit/test-vtd.c tests/unit/regcheck.h tests/unit/unit.h \
	tests/unit/tree.c tests/unit/tree.h
tests_unit_test_vtd_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_vtd_LDADD = $(UNIT_LDADD)

tests_unit_test_amdvi_SOURCES = tests/unit/test-amdvi.c tests/unit/regcheck.h tests/unit/unit.h \
	tests/unit/tree.c tests/unit/tree.h
tests_unit_test_amdvi_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_amdvi_LDADD = $(UNIT_LDADD)

tests_unit_test_smmuv3_SOURCES = tests/unit/test-smmuv3.c tests/unit/regcheck.h tests/unit/unit.h
tests_unit_test_smmuv3_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_smmuv3_LDADD = $(UNIT_LDADD)

tests_unit_test_acpi_SOURCES = tests/unit/test-acpi.c tests/unit/unit.h tests/unit/tree.c \
	tests/unit/tree.h
tests_unit_test_acpi_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_acpi_LDADD = $(UNIT_LDADD)

tests_unit_test_hwinfo_SOURCES = tests/unit/test-hwinfo.c tests/unit/unit.h \
	tests/unit/tree.c tests/unit/tree.h
tests_unit_test_hwinfo_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_hwinfo_LDADD = $(UNIT_LDADD)

tests_unit_test_pci_SOURCES = tests/unit/test-pci.c tests/unit/unit.h
tests_unit_test_pci_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_pci_LDADD = $(UNIT_LDADD)

tests_unit_test_sysfs_SOURCES = tests/unit/test-sysfs.c tests/unit/unit.h \
	tests/unit/tree.c tests/unit/tree.h
tests_unit_test_sysfs_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_sysfs_LDADD = $(UNIT_LDADD)

tests_unit_test_props_SOURCES = tests/unit/test-props.c tests/unit/unit.h \
	tests/unit/tree.c tests/unit/tree.h
tests_unit_test_props_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_props_LDADD = $(UNIT_LDADD)

# The importers pull in libxml2; the test reads the examples in tests/requirements.
tests_unit_test_requirement_SOURCES = tests/unit/test-requirement.c tests/unit/unit.h
tests_unit_test_requirement_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_requirement_LDADD = lib/libiommucap.a $(JANSSON_LIBS) $(CMOCKA_LIBS)
endif

EXTRA_DIST += tests/requirements

tests_unit_test_bootmsg_SOURCES = tests/unit/test-bootmsg.c tests/unit/unit.h
tests_unit_test_bootmsg_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_bootmsg_LDADD = $(UNIT_LDADD)

if HAVE_CMOCKA
TESTS += tests/unit/test-escape
check_PROGRAMS += tests/unit/test-escape
tests_unit_test_escape_SOURCES = tests/unit/test-escape.c tests/unit/unit.h
tests_unit_test_escape_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_escape_LDADD = $(UNIT_LDADD)
endif
