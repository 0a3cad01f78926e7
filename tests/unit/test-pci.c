/* Unit tests of lib/pci.c: PASID, ATS, PRI and ACS from configuration-space images. */
#include "config.h"

#include "unit.h"

/* include/uapi/linux/pci_regs.h, written out independently of lib/regs-pci.h. */
#define ID_ACS	 0x0d
#define ID_ATS	 0x0f
#define ID_PRI	 0x13
#define ID_PASID 0x1b
#define ID_AER	 0x01
#define ID_DVSEC 0x23

/* An image of exactly len bytes on the heap, so that valgrind sees any read past its end. */
static uint8_t *image(size_t len)
{
	uint8_t *c = calloc(1, len);

	assert_non_null(c);
	if (len >= 4) {
		c[0] = 0x86, c[1] = 0x80; /* vendor 8086 */
		c[2] = 0xd3, c[3] = 0x10; /* device 10d3 */
	}
	return c;
}

static void put16(uint8_t *c, size_t off, uint16_t v)
{
	c[off] = v & 0xff;
	c[off + 1] = v >> 8;
}

static void put32(uint8_t *c, size_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		c[off + i] = (v >> (8 * i)) & 0xff;
}

/* PCI_EXT_CAP(id, ver, next) */
static void put_ext(uint8_t *c, size_t off, uint16_t id, uint16_t next)
{
	put32(c, off, (uint32_t)id | 1u << 16 | (uint32_t)next << 20);
}

static void parse(struct iommucap_device *d, const uint8_t *cfg, size_t len)
{
	*d = (struct iommucap_device){ .group = -1 };
	assert_int_equal(pci_parse_config(d, cfg, len), 0);
}

static void assert_all_unknown(const struct iommucap_device *d, const char *words)
{
	const struct iommucap_tri *t[] = { &d->pasid,	   &d->pasid_width,
					   &d->pasid_exec, &d->pasid_priv,
					   &d->ats,	   &d->ats_queue_depth,
					   &d->pri,	   &d->pri_max_requests,
					   &d->acs,	   &d->acs_caps };

	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		assert_tri_unknown(*t[i]);
		assert_non_null(strstr(t[i]->reason, words));
	}
}

/* PASID, ATS, PRI, ACS known absent; their details unknown. */
static void assert_none_present(const struct iommucap_device *d)
{
	assert_tri_value(d->pasid, 0);
	assert_tri_value(d->ats, 0);
	assert_tri_value(d->pri, 0);
	assert_tri_value(d->acs, 0);
	assert_tri_unknown(d->pasid_width);
	assert_tri_unknown(d->pasid_exec);
	assert_tri_unknown(d->pasid_priv);
	assert_tri_unknown(d->ats_queue_depth);
	assert_tri_unknown(d->pri_max_requests);
	assert_tri_unknown(d->acs_caps);
}

static void test_pci_unprivileged_64_bytes(void **state)
{
	struct iommucap_device d;
	uint8_t *c = image(64);

	parse(&d, c, 64);
	assert_false(d.config_ext);
	assert_all_unknown(&d, "CAP_SYS_ADMIN");
	device_done(&d);
	free(c);
}

static void test_pci_shorter_than_header(void **state)
{
	struct iommucap_device d;
	uint8_t *c = image(32);

	parse(&d, c, 32);
	assert_false(d.config_ext);
	assert_all_unknown(&d, "shorter");
	device_done(&d);
	free(c);
}

static void test_pci_empty_image(void **state)
{
	struct iommucap_device d;

	parse(&d, NULL, 0);
	assert_false(d.config_ext);
	assert_all_unknown(&d, "shorter");
	device_done(&d);
}

static void test_pci_conventional_256_bytes(void **state)
{
	struct iommucap_device d;
	uint8_t *c = image(256);

	/* No extended space: the capabilities cannot exist, so they are known absent. */
	parse(&d, c, 256);
	assert_false(d.config_ext);
	assert_none_present(&d);
	device_done(&d);
	free(c);
}

static void test_pci_extended_no_capabilities(void **state)
{
	struct iommucap_device d;
	uint8_t *c = image(4096);

	/* Header 0 at 0x100: "no capabilities" (ID, version and next all 0). */
	parse(&d, c, 4096);
	assert_true(d.config_ext);
	assert_none_present(&d);
	device_done(&d);
	free(c);
}

static void test_pci_extended_header_all_ones(void **state)
{
	struct iommucap_device d;
	uint8_t *c = image(4096);

	put32(c, 0x100, 0xffffffff);
	parse(&d, c, 4096);
	assert_none_present(&d);
	device_done(&d);
	free(c);
}

static void test_pci_ats_queue_depth_zero_means_32(void **state)
{
	struct iommucap_device d;
	uint8_t *c = image(4096);

	/* pci_ats_queue_depth(): QDEP 0 stands for PCI_ATS_MAX_QDEP (32). Page-aligned bit set. */
	put_ext(c, 0x100, ID_ATS, 0);
	put16(c, 0x104, 0x0020);
	parse(&d, c, 4096);
	assert_tri_value(d.ats, 1);
	assert_tri_value(d.ats_queue_depth, 32);
	device_done(&d);
	free(c);
}

static void test_pci_ats_queue_depth(void **state)
{
	struct iommucap_device d;
	uint8_t *c = image(4096);

	put_ext(c, 0x100, ID_ATS, 0);
	put16(c, 0x104, 0xffe5); /* QDEP is bits 4:0 only: 5 */
	parse(&d, c, 4096);
	assert_tri_value(d.ats_queue_depth, 5);
	device_done(&d);
	put16(c, 0x104, 0x001f);
	parse(&d, c, 4096);
	assert_tri_value(d.ats_queue_depth, 31);
	device_done(&d);
	free(c);
}

static void test_pci_pri_max_requests(void **state)
{
	struct iommucap_device d;
	uint8_t *c = image(4096);

	put_ext(c, 0x100, ID_PRI, 0);
	put32(c, 0x108, 0x200); /* PCI_PRI_MAX_REQ */
	put32(c, 0x10c, 0x20);	/* PCI_PRI_ALLOC_REQ: not the capacity */
	parse(&d, c, 4096);
	assert_tri_value(d.pri, 1);
	assert_tri_value(d.pri_max_requests, 0x200);
	assert_tri_value(d.ats, 0);
	device_done(&d);
	free(c);
}

static void test_pci_pasid_width_exec_priv(void **state)
{
	struct iommucap_device d;
	uint8_t *c = image(4096);

	put_ext(c, 0x100, ID_PASID, 0);
	put16(c, 0x104, 20 << 8 | 0x0002 | 0x0004);
	parse(&d, c, 4096);
	assert_tri_value(d.pasid, 1);
	assert_tri_value(d.pasid_width, 20);
	assert_tri_value(d.pasid_exec, 1);
	assert_tri_value(d.pasid_priv, 1);
	device_done(&d);
	free(c);
}

static void test_pci_pasid_width_only(void **state)
{
	struct iommucap_device d;
	uint8_t *c = image(4096);

	/* Bits outside 12:8, 2 and 1 (here 15:13 and 0) must not leak into the fields. */
	put_ext(c, 0x100, ID_PASID, 0);
	put16(c, 0x104, 0xe000 | 16 << 8 | 0x0001);
	put16(c, 0x106, 0x0006); /* PCI_PASID_CTRL: enables, not capabilities */
	parse(&d, c, 4096);
	assert_tri_value(d.pasid_width, 16);
	assert_tri_value(d.pasid_exec, 0);
	assert_tri_value(d.pasid_priv, 0);
	device_done(&d);
	free(c);
}

static void test_pci_acs_caps(void **state)
{
	struct iommucap_device d;
	uint8_t *c = image(4096);

	put_ext(c, 0x100, ID_ACS, 0);
	put16(c, 0x104, 0x0815); /* SV, RR, UF, egress vector size 8 */
	parse(&d, c, 4096);
	assert_tri_value(d.acs, 1);
	assert_tri_value(d.acs_caps, 0x15);
	device_done(&d);
	put16(c, 0x104, 0x007f); /* all of SV TB RR CR UF EC DT */
	parse(&d, c, 4096);
	assert_tri_value(d.acs_caps, 0x7f);
	device_done(&d);
	free(c);
}

static void test_pci_full_chain_with_unknown_capability(void **state)
{
	struct iommucap_device d;
	uint8_t *c = image(4096);

	put_ext(c, 0x100, ID_AER, 0x148);
	put_ext(c, 0x148, ID_ATS, 0x150);
	put16(c, 0x14c, 0x0004);
	put_ext(c, 0x150, ID_DVSEC, 0x1c0); /* unknown to us: skipped */
	put16(c, 0x154, 0xffff);
	put_ext(c, 0x1c0, ID_PRI, 0x200);
	put32(c, 0x1c8, 0x40);
	put_ext(c, 0x200, ID_PASID, 0x300);
	put16(c, 0x204, 20 << 8 | 0x0002);
	put_ext(c, 0x300, ID_ACS, 0);
	put16(c, 0x304, 0x005f);
	parse(&d, c, 4096);
	assert_true(d.config_ext);
	assert_tri_value(d.ats, 1);
	assert_tri_value(d.ats_queue_depth, 4);
	assert_tri_value(d.pri, 1);
	assert_tri_value(d.pri_max_requests, 0x40);
	assert_tri_value(d.pasid, 1);
	assert_tri_value(d.pasid_width, 20);
	assert_tri_value(d.pasid_exec, 1);
	assert_tri_value(d.pasid_priv, 0);
	assert_tri_value(d.acs, 1);
	assert_tri_value(d.acs_caps, 0x5f);
	device_done(&d);
	free(c);
}

static void test_pci_cap_id_uses_all_16_bits(void **state)
{
	struct iommucap_device d;
	uint8_t *c = image(4096);

	/* ID 0x011b is not PASID (0x001b): PCI_EXT_CAP_ID(h) = h & 0xffff. */
	put_ext(c, 0x100, 0x011b, 0);
	put16(c, 0x104, 20 << 8);
	parse(&d, c, 4096);
	assert_tri_value(d.pasid, 0);
	device_done(&d);
	free(c);
}

static void test_pci_loop_terminates(void **state)
{
	struct iommucap_device d;
	uint8_t *c = image(4096);

	put_ext(c, 0x100, ID_ATS, 0x200);
	put_ext(c, 0x200, ID_PASID, 0x100); /* back to the first: a loop */
	put16(c, 0x204, 8 << 8);
	parse(&d, c, 4096);
	assert_tri_value(d.ats, 1);
	assert_tri_value(d.pasid, 1);
	assert_tri_value(d.pasid_width, 8);
	device_done(&d);
	free(c);
}

static void test_pci_self_loop_terminates(void **state)
{
	struct iommucap_device d;
	uint8_t *c = image(4096);

	put_ext(c, 0x100, ID_PRI, 0x100);
	put32(c, 0x108, 7);
	parse(&d, c, 4096);
	assert_tri_value(d.pri, 1);
	assert_tri_value(d.pri_max_requests, 7);
	device_done(&d);
	free(c);
}

static void test_pci_backward_chain_followed(void **state)
{
	struct iommucap_device d;
	uint8_t *c;

	c = image(4096);
	/* 0x100 -> 0x300 -> 0x200 -> end: the spec does not order the list. */
	put_ext(c, 0x100, ID_AER, 0x300);
	put_ext(c, 0x300, ID_ATS, 0x200);
	put_ext(c, 0x200, ID_PASID, 0);
	put16(c, 0x204, 20 << 8);
	parse(&d, c, 4096);
	assert_tri_value(d.ats, 1);
	assert_tri_value(d.pasid, 1);
	assert_tri_value(d.pasid_width, 20);
	device_done(&d);
	free(c);
}

static void test_pci_next_below_extended_space_ends(void **state)
{
	struct iommucap_device d;
	uint8_t *c = image(4096);

	/* A next pointer into the 256-byte header space ends the list (pos < 0x100). */
	put_ext(c, 0x100, ID_ATS, 0x40);
	put_ext(c, 0x40, ID_PASID, 0);
	parse(&d, c, 4096);
	assert_tri_value(d.ats, 1);
	assert_tri_value(d.pasid, 0);
	device_done(&d);
	free(c);
}

static void test_pci_next_beyond_buffer(void **state)
{
	struct iommucap_device d;
	uint8_t *c = image(0x180);

	/* A truncated image: the next capability would lie past its end. */
	put_ext(c, 0x100, ID_ATS, 0x800);
	parse(&d, c, 0x180);
	assert_true(d.config_ext);
	assert_tri_value(d.ats, 1);
	assert_tri_value(d.pasid, 0);
	device_done(&d);
	free(c);
}

static void test_pci_capability_at_last_dword(void **state)
{
	struct iommucap_device d;
	uint8_t *c = image(4096);

	/* 0xffc holds a header but no room for the body: it is not read past the end. */
	put_ext(c, 0x100, ID_ATS, 0xffc);
	put32(c, 0xffc, ID_PASID);
	parse(&d, c, 4096);
	assert_tri_value(d.ats, 1);
	assert_tri_value(d.pasid, 0);
	device_done(&d);
	free(c);
}

static void test_pci_pri_cut_short(void **state)
{
	struct iommucap_device d;
	uint8_t *c = image(0x108);

	/* The PRI header fits, PCI_PRI_MAX_REQ (0x08..0x0b) does not. */
	put_ext(c, 0x100, ID_PRI, 0);
	parse(&d, c, 0x108);
	assert_tri_value(d.pri, 1);
	assert_tri_unknown(d.pri_max_requests);
	device_done(&d);
	free(c);
}

static void test_pci_reparse_replaces_values(void **state)
{
	struct iommucap_device d;
	uint8_t *full = image(4096), *hdr = image(64);

	put_ext(full, 0x100, ID_PASID, 0);
	put16(full, 0x104, 20 << 8);
	parse(&d, full, 4096);
	assert_tri_value(d.pasid_width, 20);
	/* Parsing again into the same device replaces everything (and frees the reasons). */
	assert_int_equal(pci_parse_config(&d, hdr, 64), 0);
	assert_false(d.config_ext);
	assert_all_unknown(&d, "CAP_SYS_ADMIN");
	assert_int_equal(pci_parse_config(&d, full, 4096), 0);
	assert_tri_value(d.pasid_width, 20);
	assert_null(d.pasid_width.reason);
	device_done(&d);
	free(full);
	free(hdr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pci_unprivileged_64_bytes),
		cmocka_unit_test(test_pci_shorter_than_header),
		cmocka_unit_test(test_pci_empty_image),
		cmocka_unit_test(test_pci_conventional_256_bytes),
		cmocka_unit_test(test_pci_extended_no_capabilities),
		cmocka_unit_test(test_pci_extended_header_all_ones),
		cmocka_unit_test(test_pci_ats_queue_depth_zero_means_32),
		cmocka_unit_test(test_pci_ats_queue_depth),
		cmocka_unit_test(test_pci_pri_max_requests),
		cmocka_unit_test(test_pci_pasid_width_exec_priv),
		cmocka_unit_test(test_pci_pasid_width_only),
		cmocka_unit_test(test_pci_acs_caps),
		cmocka_unit_test(test_pci_full_chain_with_unknown_capability),
		cmocka_unit_test(test_pci_cap_id_uses_all_16_bits),
		cmocka_unit_test(test_pci_loop_terminates),
		cmocka_unit_test(test_pci_self_loop_terminates),
		cmocka_unit_test(test_pci_backward_chain_followed),
		cmocka_unit_test(test_pci_next_below_extended_space_ends),
		cmocka_unit_test(test_pci_next_beyond_buffer),
		cmocka_unit_test(test_pci_capability_at_last_dword),
		cmocka_unit_test(test_pci_pri_cut_short),
		cmocka_unit_test(test_pci_reparse_replaces_values),
	};

	return cmocka_run_group_tests_name("pci", tests, NULL, NULL);
}
