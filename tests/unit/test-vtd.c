/* Unit tests of Intel VT-d decoding: the cap/ecap/version tables and vtd_caps_from_regs(). */
#include "config.h"

#include "regcheck.h"
#include "parse.h"
#include "unit.h"
#include "tree.h"
#include "regs-vtd.h"
#include "ksem.h"
#include "compat.h"
#include "requirement.h"

#define BIT(n) (UINT64_C(1) << (n))

/*
 * The fields as drivers/iommu/intel/iommu.h names them (cap_*(), ecap_*(); the kernel reference,
 * sections 3.1 and 3.2), written out here independently of lib/regs-vtd.h.
 */
static const struct want_field want_cap[] = {
	{ "esrtps", 63, 1 },  /* cap_esrtps */
	{ "esirtps", 62, 1 }, /* cap_esirtps */
	{ "ecmds", 61, 1 },   /* cap_ecmds */
	{ "fl5lp", 60, 1 },   /* cap_fl5lp_support */
	{ "pi", 59, 1 },      /* cap_pi_support */
	{ "fl1gp", 56, 1 },   /* cap_fl1gp_support */
	{ "drd", 55, 1 },     /* cap_read_drain */
	{ "dwd", 54, 1 },     /* cap_write_drain */
	{ "mamv", 48, 6 },    /* cap_max_amask_val */
	{ "nfr", 40, 8 },     /* cap_num_fault_regs */
	{ "psi", 39, 1 },     /* cap_pgsel_inv */
	{ "sllps", 34, 4 },   /* cap_super_page_val */
	{ "fro", 24, 10 },    /* cap_fault_reg_offset */
	{ "isoch", 23, 1 },   /* cap_isoch */
	{ "zlr", 22, 1 },     /* cap_zlr */
	{ "mgaw", 16, 6 },    /* cap_mgaw */
	{ "sagaw", 8, 5 },    /* cap_sagaw */
	{ "cm", 7, 1 },	      /* cap_caching_mode */
	{ "phmr", 6, 1 },     /* cap_phmr */
	{ "plmr", 5, 1 },     /* cap_plmr */
	{ "rwbf", 4, 1 },     /* cap_rwbf */
	{ "afl", 3, 1 },      /* cap_afl */
	{ "nd", 0, 3 },	      /* cap_ndoms */
};

/* CAP_REG bits no kernel macro reads: 58:57, 38, 15:13. */
#define CAP_UNNAMED (mask_of(57, 2) | BIT(38) | mask_of(13, 3))

static const struct want_field want_ecap[] = {
	{ "pms", 51, 1 },	   /* ecap_pms */
	{ "rps", 49, 1 },	   /* ecap_rps */
	{ "smpwc", 48, 1 },	   /* ecap_smpwc */
	{ "flts", 47, 1 },	   /* ecap_flts */
	{ "slts", 46, 1 },	   /* ecap_slts */
	{ "slads", 45, 1 },	   /* ecap_slads */
	{ "vcs", 44, 1 },	   /* ecap_vcs (6.1) */
	{ "smts", 43, 1 },	   /* ecap_smts */
	{ "pds", 42, 1 },	   /* ecap_pds */
	{ "dit", 41, 1 },	   /* ecap_dit */
	{ "pasid", 40, 1 },	   /* ecap_pasid */
	{ "pss", 35, 5 },	   /* ecap_pss */
	{ "eafs", 34, 1 },	   /* ecap_eafs */
	{ "nwfs", 33, 1 },	   /* ecap_nwfs */
	{ "srs", 31, 1 },	   /* ecap_srs */
	{ "ers", 30, 1 },	   /* ecap_ers */
	{ "prs", 29, 1 },	   /* ecap_prs */
	{ "broken_pasid", 28, 1 }, /* ecap_broken_pasid */
	{ "dis", 27, 1 },	   /* ecap_dis */
	{ "nest", 26, 1 },	   /* ecap_nest */
	{ "mts", 25, 1 },	   /* ecap_mts */
	{ "mhmv", 20, 4 },	   /* ecap_max_handle_mask */
	{ "iro", 8, 10 },	   /* ecap_iotlb_offset */
	{ "sc", 7, 1 },		   /* ecap_sc_support */
	{ "pt", 6, 1 },		   /* ecap_pass_through */
	{ "eim", 4, 1 },	   /* ecap_eim_support */
	{ "ir", 3, 1 },		   /* ecap_ir_support */
	{ "dt", 2, 1 },		   /* ecap_dev_iotlb_support */
	{ "qi", 1, 1 },		   /* ecap_qis */
	{ "c", 0, 1 },		   /* ecap_coherent */
};

/* ECAP_REG bits no kernel macro reads: 63:52, 50, 32, 24, 19:18, 5. */
#define ECAP_UNNAMED (mask_of(52, 12) | BIT(50) | BIT(32) | BIT(24) | mask_of(18, 2) | BIT(5))

static const struct want_field want_version[] = {
	{ "major", 4, 4 }, /* DMAR_VER_MAJOR */
	{ "minor", 0, 4 }, /* DMAR_VER_MINOR */
};

static void test_cap_each_field_alone(void **state)
{
	check_each_field_alone(&vtd_cap_reg, want_cap, ELEMENTSOF(want_cap));
}

static void test_ecap_each_field_alone(void **state)
{
	check_each_field_alone(&vtd_ecap_reg, want_ecap, ELEMENTSOF(want_ecap));
}

static void test_version_each_field_alone(void **state)
{
	check_each_field_alone(&vtd_version_reg, want_version, ELEMENTSOF(want_version));
}

static void test_cap_unknown_bits(void **state)
{
	assert_int_equal(reg_unknown_bits(&vtd_cap_reg, ~UINT64_C(0)), CAP_UNNAMED);
	assert_int_equal(reg_unknown_bits(&vtd_cap_reg, BIT(57)), BIT(57));
	assert_int_equal(reg_unknown_bits(&vtd_cap_reg, BIT(58)), BIT(58));
	assert_int_equal(reg_unknown_bits(&vtd_cap_reg, BIT(38)), BIT(38));
	assert_int_equal(reg_unknown_bits(&vtd_cap_reg, BIT(13) | BIT(15)), BIT(13) | BIT(15));
	assert_int_equal(reg_unknown_bits(&vtd_cap_reg, ~CAP_UNNAMED), 0);
}

static void test_ecap_unknown_bits(void **state)
{
	assert_int_equal(reg_unknown_bits(&vtd_ecap_reg, ~UINT64_C(0)), ECAP_UNNAMED);
	assert_int_equal(reg_unknown_bits(&vtd_ecap_reg, BIT(5)), BIT(5));
	assert_int_equal(reg_unknown_bits(&vtd_ecap_reg, BIT(18) | BIT(19)), BIT(18) | BIT(19));
	assert_int_equal(reg_unknown_bits(&vtd_ecap_reg, BIT(24)), BIT(24));
	assert_int_equal(reg_unknown_bits(&vtd_ecap_reg, BIT(32)), BIT(32));
	assert_int_equal(reg_unknown_bits(&vtd_ecap_reg, BIT(50)), BIT(50));
	assert_int_equal(reg_unknown_bits(&vtd_ecap_reg, BIT(52) | BIT(63)), BIT(52) | BIT(63));
	assert_int_equal(reg_unknown_bits(&vtd_ecap_reg, ~ECAP_UNNAMED), 0);
}

static uint64_t field(const struct regdef *def, uint64_t value, const char *name)
{
	uint64_t v = UINT64_C(0xdeadbeef);

	assert_int_equal(reg_field(def, value, name, &v), 0);
	return v;
}

static void test_cap_mgaw_is_bits_plus_one(void **state)
{
	/* cap_mgaw(c) = ((c >> 16) & 0x3f) + 1 */
	assert_int_equal(field(&vtd_cap_reg, 0, "mgaw"), 1);
	assert_int_equal(field(&vtd_cap_reg, UINT64_C(0x26) << 16, "mgaw"), 39);
	assert_int_equal(field(&vtd_cap_reg, UINT64_C(0x2f) << 16, "mgaw"), 48);
	assert_int_equal(field(&vtd_cap_reg, UINT64_C(0x3f) << 16, "mgaw"), 64);
}

static void test_cap_nfr_is_bits_plus_one(void **state)
{
	/* cap_num_fault_regs(c) = ((c >> 40) & 0xff) + 1 */
	assert_int_equal(field(&vtd_cap_reg, 0, "nfr"), 1);
	assert_int_equal(field(&vtd_cap_reg, UINT64_C(7) << 40, "nfr"), 8);
	assert_int_equal(field(&vtd_cap_reg, UINT64_C(0xff) << 40, "nfr"), 256);
}

static void test_cap_fro_is_bits_times_16(void **state)
{
	/* cap_fault_reg_offset(c) = ((c >> 24) & 0x3ff) * 16 */
	assert_int_equal(field(&vtd_cap_reg, UINT64_C(0x22) << 24, "fro"), 0x220);
	assert_int_equal(field(&vtd_cap_reg, UINT64_C(0x3ff) << 24, "fro"), 0x3ff0);
}

static void test_ecap_iro_is_bits_times_16(void **state)
{
	/* ecap_iotlb_offset(e) = ((e >> 8) & 0x3ff) * 16 */
	assert_int_equal(field(&vtd_ecap_reg, UINT64_C(0xf) << 8, "iro"), 0xf0);
	assert_int_equal(field(&vtd_ecap_reg, UINT64_C(0x3ff) << 8, "iro"), 0x3ff0);
}

static void test_cap_nd_is_number_of_domains(void **state)
{
	/* cap_ndoms(c) = 1UL << (4 + 2 * (c & 7)) */
	assert_int_equal(field(&vtd_cap_reg, 0, "nd"), 16);
	assert_int_equal(field(&vtd_cap_reg, 2, "nd"), 256);
	assert_int_equal(field(&vtd_cap_reg, 6, "nd"), 65536);
	assert_int_equal(field(&vtd_cap_reg, 7, "nd"), 262144);
}

static void test_cap_qemu_default_fields(void **state)
{
	const uint64_t cap = UINT64_C(0xd2008c22260206);

	/* By hand: 55:48 = 0xd2, 39:32 = 0x8c, 31:24 = 0x22, 23:16 = 0x26, 15:8 = 0x02, 7:0 = 6. */
	assert_int_equal(field(&vtd_cap_reg, cap, "drd"), 1);
	assert_int_equal(field(&vtd_cap_reg, cap, "dwd"), 1);
	assert_int_equal(field(&vtd_cap_reg, cap, "mamv"), 0x12);
	assert_int_equal(field(&vtd_cap_reg, cap, "fl1gp"), 0);
	assert_int_equal(field(&vtd_cap_reg, cap, "nfr"), 1);
	assert_int_equal(field(&vtd_cap_reg, cap, "psi"), 1);
	assert_int_equal(field(&vtd_cap_reg, cap, "sllps"), 3);
	assert_int_equal(field(&vtd_cap_reg, cap, "fro"), 0x220);
	assert_int_equal(field(&vtd_cap_reg, cap, "zlr"), 0);
	assert_int_equal(field(&vtd_cap_reg, cap, "mgaw"), 39);
	assert_int_equal(field(&vtd_cap_reg, cap, "sagaw"), 2);
	assert_int_equal(field(&vtd_cap_reg, cap, "cm"), 0);
	assert_int_equal(field(&vtd_cap_reg, cap, "nd"), 65536);
	assert_int_equal(reg_unknown_bits(&vtd_cap_reg, cap), 0);
}

static void test_ecap_qemu_default_fields(void **state)
{
	const uint64_t ecap = 0xf00f4a;

	/* 23:20 = 0xf (MHMV), 17:8 = 0x00f (IRO), 7:0 = 0x4a = PT | IR | QI. */
	assert_int_equal(field(&vtd_ecap_reg, ecap, "mhmv"), 15);
	assert_int_equal(field(&vtd_ecap_reg, ecap, "iro"), 0xf0);
	assert_int_equal(field(&vtd_ecap_reg, ecap, "pt"), 1);
	assert_int_equal(field(&vtd_ecap_reg, ecap, "ir"), 1);
	assert_int_equal(field(&vtd_ecap_reg, ecap, "qi"), 1);
	assert_int_equal(field(&vtd_ecap_reg, ecap, "dt"), 0);
	assert_int_equal(field(&vtd_ecap_reg, ecap, "c"), 0);
	assert_int_equal(field(&vtd_ecap_reg, ecap, "sc"), 0);
	assert_int_equal(field(&vtd_ecap_reg, ecap, "smts"), 0);
	assert_int_equal(reg_unknown_bits(&vtd_ecap_reg, ecap), 0);
}

static void test_ecap_qemu_scalable_fields(void **state)
{
	const uint64_t ecap = UINT64_C(0x490080f00f4a);

	/* 47:40 = 0x49 = SLTS | SMTS | PASID, 39:32 = 0 (PSS 0), 31:24 = 0x80 = SRS. */
	assert_int_equal(field(&vtd_ecap_reg, ecap, "slts"), 1);
	assert_int_equal(field(&vtd_ecap_reg, ecap, "smts"), 1);
	assert_int_equal(field(&vtd_ecap_reg, ecap, "pasid"), 1);
	assert_int_equal(field(&vtd_ecap_reg, ecap, "pss"), 0);
	assert_int_equal(field(&vtd_ecap_reg, ecap, "srs"), 1);
	assert_int_equal(field(&vtd_ecap_reg, ecap, "flts"), 0);
	assert_int_equal(field(&vtd_ecap_reg, ecap, "slads"), 0);
	assert_int_equal(field(&vtd_ecap_reg, ecap, "nest"), 0);
	assert_int_equal(field(&vtd_ecap_reg, ecap, "prs"), 0);
	assert_int_equal(reg_unknown_bits(&vtd_ecap_reg, ecap), 0);
}

/* vtd_caps_from_regs */

static void decode(struct iommucap_unit *u, bool have_cap, uint64_t cap, bool have_ecap,
		   uint64_t ecap, const struct iommucap_hostinfo *hi)
{
	*u = (struct iommucap_unit){ 0 };
	assert_int_equal(vtd_caps_from_regs(u, have_cap, cap, have_ecap, ecap, hi), 0);
}

static void assert_model_facts(const struct iommucap_unit *u)
{
	assert_cap_str(u, IOMMUCAP_STALL, IOMMUCAP_SRC_MODEL, "disabled");
	assert_cap_bool(u, IOMMUCAP_BTM, IOMMUCAP_SRC_MODEL, false);
	assert_cap_num(u, IOMMUCAP_PASID_TABLE_ALIGN, IOMMUCAP_SRC_MODEL, 4096);
	assert_cap_unknown_because(u, IOMMUCAP_ASID_BITS, "domain id");
}

static void test_vtd_qemu72_default(void **state)
{
	const enum iommucap_source R = IOMMUCAP_SRC_REGISTER;
	struct iommucap_unit u;

	/* QEMU 7.2 default: legacy mode, 39-bit MGAW, SAGAW 39-bit only, 2M and 1G pages. */
	decode(&u, true, UINT64_C(0xd2008c22260206), true, 0xf00f4a, NULL);
	assert_cap_num(&u, IOMMUCAP_SSID_BITS, R, 0);
	assert_cap_num(&u, IOMMUCAP_INPUT_BITS, R, 39);
	assert_cap_bool(&u, IOMMUCAP_NESTING, R, false);
	assert_cap_bool(&u, IOMMUCAP_PRI, R, false);
	assert_cap_bool(&u, IOMMUCAP_ATS, R, false);
	assert_cap_bool(&u, IOMMUCAP_CACHING_MODE, R, false);
	assert_cap_bool(&u, IOMMUCAP_SCALABLE_MODE, R, false);
	assert_cap_bool(&u, IOMMUCAP_DIRTY_TRACKING, R, false);
	assert_cap_bool(&u, IOMMUCAP_COHERENT, R, false);
	assert_cap_str(&u, IOMMUCAP_HTTU, R, "none");
	assert_cap_nums(&u, IOMMUCAP_PAGE_SIZES, R, SZ_4K, SZ_2M, SZ_1G);
	assert_cap_strs(&u, IOMMUCAP_PGTABLE_FORMATS, R, "vtd-ss-3level");
	assert_cap_empty(&u, IOMMUCAP_PASID_TABLE_FORMATS, R);
	assert_model_facts(&u);
	/* The output width is the ACPI DMAR's (lib/acpi.c, test-acpi.c), never the registers'. */
	assert_cap_unknown(&u, IOMMUCAP_OUTPUT_BITS);
	assert_null(u.caps[IOMMUCAP_OUTPUT_BITS].reason);
	unit_done(&u);
}

static void test_vtd_qemu_scalable_pasid_caching(void **state)
{
	const enum iommucap_source R = IOMMUCAP_SRC_REGISTER;
	struct iommucap_unit u;

	/* x-scalable-mode=on,x-pasid-mode=on,caching-mode=on,aw-bits=48: PSS 0 gives 1 bit. */
	decode(&u, true, UINT64_C(0xd2008c222f0686), true, UINT64_C(0x490080f00f4a), NULL);
	assert_cap_num(&u, IOMMUCAP_SSID_BITS, R, 1);
	assert_cap_num(&u, IOMMUCAP_INPUT_BITS, R, 48);
	assert_cap_bool(&u, IOMMUCAP_NESTING, R, false);
	assert_cap_bool(&u, IOMMUCAP_PRI, R, false);
	assert_cap_bool(&u, IOMMUCAP_ATS, R, false);
	assert_cap_bool(&u, IOMMUCAP_CACHING_MODE, R, true);
	assert_cap_bool(&u, IOMMUCAP_SCALABLE_MODE, R, true);
	assert_cap_bool(&u, IOMMUCAP_DIRTY_TRACKING, R, false);
	assert_cap_bool(&u, IOMMUCAP_COHERENT, R, false); /* SMPWC 0 */
	assert_cap_str(&u, IOMMUCAP_HTTU, R, "none");
	assert_cap_nums(&u, IOMMUCAP_PAGE_SIZES, R, SZ_4K, SZ_2M, SZ_1G);
	assert_cap_strs(&u, IOMMUCAP_PGTABLE_FORMATS, R, "vtd-ss-3level", "vtd-ss-4level");
	assert_cap_strs(&u, IOMMUCAP_PASID_TABLE_FORMATS, R, "intel");
	assert_model_facts(&u);
	unit_done(&u);
}

static void test_vtd_qemu_scalable_device_iotlb(void **state)
{
	const enum iommucap_source R = IOMMUCAP_SRC_REGISTER;
	struct iommucap_unit u;

	/* device-iotlb=on: DT set, PASID clear, so no PASID even in scalable mode. */
	decode(&u, true, UINT64_C(0xd2008c222f0686), true, UINT64_C(0x480080f00f4e), NULL);
	assert_cap_num(&u, IOMMUCAP_SSID_BITS, R, 0);
	assert_cap_num(&u, IOMMUCAP_INPUT_BITS, R, 48);
	assert_cap_bool(&u, IOMMUCAP_ATS, R, true);
	assert_cap_bool(&u, IOMMUCAP_CACHING_MODE, R, true);
	assert_cap_bool(&u, IOMMUCAP_SCALABLE_MODE, R, true);
	assert_cap_bool(&u, IOMMUCAP_NESTING, R, false);
	assert_cap_bool(&u, IOMMUCAP_PRI, R, false);
	assert_cap_bool(&u, IOMMUCAP_DIRTY_TRACKING, R, false);
	assert_cap_nums(&u, IOMMUCAP_PAGE_SIZES, R, SZ_4K, SZ_2M, SZ_1G);
	assert_cap_empty(&u, IOMMUCAP_PASID_TABLE_FORMATS, R);
	unit_done(&u);
}

/*
 * QEMU 11.1's vtd_check_hiod_accel() (hw/i386/intel_iommu_accel.c; the message is in the
 * 11.1.3 binary): under fsts an assigned device the guest's topology places downstream of a PCI
 * bridge (pci_device_get_iommu_bus_devfn() returns true: its requester ID is aliased) is refused
 * with "Host device downstream to a PCI bridge is unsupported when fsts=on". Without fsts QEMU
 * does not look. The unit is QEMU's scalable-mode VT-d (test_vtd_qemu_scalable_pasid_caching);
 * the rule reads the requirement only.
 */
static enum iommucap_result pci_bridge_rule(const char *qemu, char **ret_msg)
{
	struct iommucap_host h = { 0 };
	struct iommucap_requirement *r = NULL;
	struct iommucap_compat *c = NULL;
	enum iommucap_result res = IOMMUCAP_NOT_APPLICABLE;
	struct iommucap_unit u;
	char *doc, *err = NULL;
	json_t *j;

	decode(&u, true, UINT64_C(0xd2008c222f0686), true, UINT64_C(0x490080f00f4a), NULL);
	u.model = IOMMUCAP_MODEL_INTEL_VTD;
	u.name = strdup("dmar0");
	h.units = &u;
	h.n_units = 1;
	assert_true(asprintf(&doc,
			     "{\"schema_version\": 1, \"qemu\": {\"device\": \"intel-iommu\", %s}}",
			     qemu) > 0);
	assert_non_null(j = json_loads(doc, 0, NULL));
	if (iommucap_requirement_from_json(j, &r, &err) < 0)
		fail_msg("%s: %s", doc, err);
	assert_int_equal(iommucap_check(&h, r, &c), 0);
	*ret_msg = NULL;
	for (size_t i = 0; i < c->n_checks; i++)
		if (streq(c->checks[i].rule->id, "qemu.intel-iommu.pci-bridge")) {
			assert_null(*ret_msg);
			*ret_msg = strdup(c->checks[i].message);
			res = c->checks[i].result;
		}
	iommucap_compat_free(c);
	iommucap_requirement_free(r);
	json_decref(j);
	free(doc);
	unit_done(&u);
	return res;
}

static void test_vtd_qemu_fsts_pci_bridge(void **state)
{
	char *msg;

	assert_int_equal(pci_bridge_rule("\"flts\": true, \"pci_bridge\": true", &msg),
			 IOMMUCAP_FAIL);
	assert_string_equal(msg,
			    "Host device downstream to a PCI bridge is unsupported when fsts=on");
	free(msg);
	assert_int_equal(pci_bridge_rule("\"flts\": true, \"pci_bridge\": false", &msg),
			 IOMMUCAP_PASS);
	free(msg);
	/* QEMU checks the topology only under fsts; unsaid, there is nothing to check. */
	assert_int_equal(pci_bridge_rule("\"flts\": false, \"pci_bridge\": true", &msg),
			 IOMMUCAP_NOT_APPLICABLE);
	assert_null(msg);
	assert_int_equal(pci_bridge_rule("\"flts\": true", &msg), IOMMUCAP_NOT_APPLICABLE);
	assert_null(msg);
}

static void test_vtd_qemu10_default_48bit(void **state)
{
	const enum iommucap_source R = IOMMUCAP_SRC_REGISTER;
	struct iommucap_unit u;

	/* QEMU 10 default aw-bits=48: legacy mode, no caching mode, SAGAW 39 and 48 bits. */
	decode(&u, true, UINT64_C(0xd2008c222f0606), true, 0xf00f4a, NULL);
	assert_cap_num(&u, IOMMUCAP_SSID_BITS, R, 0);
	assert_cap_num(&u, IOMMUCAP_INPUT_BITS, R, 48);
	assert_cap_bool(&u, IOMMUCAP_CACHING_MODE, R, false);
	assert_cap_bool(&u, IOMMUCAP_SCALABLE_MODE, R, false);
	assert_cap_bool(&u, IOMMUCAP_ATS, R, false);
	assert_cap_nums(&u, IOMMUCAP_PAGE_SIZES, R, SZ_4K, SZ_2M, SZ_1G);
	assert_cap_strs(&u, IOMMUCAP_PGTABLE_FORMATS, R, "vtd-ss-3level", "vtd-ss-4level");
	unit_done(&u);
}

static void test_vtd_every_documented_bit(void **state)
{
	const enum iommucap_source R = IOMMUCAP_SRC_REGISTER;
	struct iommucap_unit u;

	decode(&u, true, ~CAP_UNNAMED, true, ~ECAP_UNNAMED, NULL);
	assert_cap_num(&u, IOMMUCAP_SSID_BITS, R, 32);	/* PSS 31 */
	assert_cap_num(&u, IOMMUCAP_INPUT_BITS, R, 64); /* MGAW 63 */
	assert_cap_bool(&u, IOMMUCAP_NESTING, R, true);
	assert_cap_bool(&u, IOMMUCAP_PRI, R, true);
	assert_cap_bool(&u, IOMMUCAP_ATS, R, true);
	assert_cap_bool(&u, IOMMUCAP_CACHING_MODE, R, true);
	assert_cap_bool(&u, IOMMUCAP_SCALABLE_MODE, R, true);
	assert_cap_bool(&u, IOMMUCAP_DIRTY_TRACKING, R, true);
	assert_cap_bool(&u, IOMMUCAP_COHERENT, R, true);
	assert_cap_str(&u, IOMMUCAP_HTTU, R, "access+dirty");
	assert_cap_nums(&u, IOMMUCAP_PAGE_SIZES, R, SZ_4K, SZ_2M, SZ_1G);
	assert_cap_strs(&u, IOMMUCAP_PGTABLE_FORMATS, R, "vtd-ss-2level", "vtd-ss-3level",
			"vtd-ss-4level", "vtd-ss-5level", "vtd-ss-6level", "vtd-fs-4level",
			"vtd-fs-5level");
	assert_cap_strs(&u, IOMMUCAP_PASID_TABLE_FORMATS, R, "intel");
	assert_model_facts(&u);
	unit_done(&u);
}

static void test_vtd_pasid_without_scalable_mode(void **state)
{
	const enum iommucap_source R = IOMMUCAP_SRC_REGISTER;
	struct iommucap_unit u;
	/* PASID, PSS 19, NEST, PRS, SLADS, SMPWC, DT and C, but no SMTS. */
	uint64_t ecap = BIT(40) | UINT64_C(19) << 35 | BIT(26) | BIT(29) | BIT(45) | BIT(48) |
			BIT(2) | BIT(0);

	decode(&u, true, UINT64_C(0xd2008c22260206), true, ecap, NULL);
	assert_cap_num(&u, IOMMUCAP_SSID_BITS, R, 0);
	assert_cap_bool(&u, IOMMUCAP_SCALABLE_MODE, R, false);
	assert_cap_bool(&u, IOMMUCAP_NESTING, R, false);
	assert_cap_bool(&u, IOMMUCAP_PRI, R, false);
	assert_cap_bool(&u, IOMMUCAP_DIRTY_TRACKING, R, false);
	assert_cap_str(&u, IOMMUCAP_HTTU, R, "none");
	assert_cap_empty(&u, IOMMUCAP_PASID_TABLE_FORMATS, R);
	assert_cap_bool(&u, IOMMUCAP_ATS, R, true);	 /* DT needs no scalable mode */
	assert_cap_bool(&u, IOMMUCAP_COHERENT, R, true); /* legacy mode: ecap.C */
	unit_done(&u);
}

static void test_vtd_ssid_is_pss_plus_one(void **state)
{
	struct iommucap_unit u;

	decode(&u, false, 0, true, BIT(43) | BIT(40) | UINT64_C(19) << 35, NULL);
	assert_cap_num(&u, IOMMUCAP_SSID_BITS, IOMMUCAP_SRC_REGISTER, 20);
	assert_cap_strs(&u, IOMMUCAP_PASID_TABLE_FORMATS, IOMMUCAP_SRC_REGISTER, "intel");
	unit_done(&u);
}

static void test_vtd_ssid_needs_pasid_bit(void **state)
{
	struct iommucap_unit u;

	decode(&u, false, 0, true, BIT(43) | UINT64_C(19) << 35, NULL);
	assert_cap_num(&u, IOMMUCAP_SSID_BITS, IOMMUCAP_SRC_REGISTER, 0);
	unit_done(&u);
}

static void test_vtd_nesting_needs_scalable_mode(void **state)
{
	struct iommucap_unit u;

	decode(&u, false, 0, true, BIT(26), NULL);
	assert_cap_bool(&u, IOMMUCAP_NESTING, IOMMUCAP_SRC_REGISTER, false);
	unit_done(&u);
	decode(&u, false, 0, true, BIT(26) | BIT(43), NULL);
	assert_cap_bool(&u, IOMMUCAP_NESTING, IOMMUCAP_SRC_REGISTER, true);
	unit_done(&u);
}

/* A host of one release, as proc/sys/kernel/osrelease gives it. */
static struct iommucap_hostinfo release(const char *r)
{
	struct iommucap_hostinfo hi = { .kernel_major = -1, .kernel_minor = -1 };

	hi.kernel_release = (char *)r;
	sscanf(r, "%d.%d", &hi.kernel_major, &hi.kernel_minor);
	return hi;
}

static void assert_unit_bool(uint64_t ecap, const char *rel, enum iommucap_cap c, bool want)
{
	struct iommucap_hostinfo hi = release(rel);
	struct iommucap_unit u;

	decode(&u, false, 0, true, ecap, &hi);
	assert_cap_bool(&u, c, IOMMUCAP_SRC_REGISTER, want);
	unit_done(&u);
}

static void test_vtd_pri_needs_scalable_mode(void **state)
{
	/* info->pri_supported = sm && ats_supported (ecap.dt) && ecap.prs (&& the device's ATS
	 * and PRI, checked against the device). */
	assert_unit_bool(BIT(29) | BIT(2) | BIT(42), "6.12.0", IOMMUCAP_PRI, false); /* no SMTS */
	assert_unit_bool(BIT(29) | BIT(43), "6.12.0", IOMMUCAP_PRI, false);	     /* no DT */
	assert_unit_bool(BIT(29) | BIT(43) | BIT(2), "6.12.0", IOMMUCAP_PRI, true);
}

static void test_vtd_pri_needs_pds_from_6_18(void **state)
{
	/* 5ef7e24c7420 "iommu/vt-d: PRS isn't usable if PDS isn't supported": 6.18 (Greg's
	 * FAILED mail for 5.10 of 16 Oct 2025 names the mainline commit); Debian's changelogs list
	 * the backports under 6.12.54 and 6.1.157 (linux 6.12.57-1 and 6.1.158-1); the
	 * linux-6.17.y stable-rc push of 17 Oct 2025 (after 6.17.3) has it: 6.17.4. Debian's
	 * "6.1.0-56-amd64" hides its sublevel (6.1.192): it has the backport. */
	const uint64_t prs = BIT(29) | BIT(43) | BIT(2), pds = BIT(42);

	assert_unit_bool(prs, "6.12.53", IOMMUCAP_PRI, true);
	assert_unit_bool(prs, "6.12.54", IOMMUCAP_PRI, false);
	assert_unit_bool(prs, "6.1.156", IOMMUCAP_PRI, true);
	assert_unit_bool(prs, "6.1.157", IOMMUCAP_PRI, false);
	assert_unit_bool(prs, "6.16.12", IOMMUCAP_PRI, true);
	assert_unit_bool(prs, "6.17.3", IOMMUCAP_PRI, true);
	assert_unit_bool(prs, "6.17.4", IOMMUCAP_PRI, false);
	assert_unit_bool(prs | pds, "6.17.4", IOMMUCAP_PRI, true);
	assert_unit_bool(prs, "6.18.0", IOMMUCAP_PRI, false);
	assert_unit_bool(prs | pds, "6.18.0", IOMMUCAP_PRI, true);
	assert_unit_bool(prs, "6.1.0-56-amd64", IOMMUCAP_PRI, false);
	assert_unit_bool(prs | pds, "6.1.0-56-amd64", IOMMUCAP_PRI, true);
}

/* capabilities.sva as intel_svm_check() (drivers/iommu/intel/svm.c) decides it for a unit with
 * scalable mode and PASID, on a CPU with or without 1 GiB pages and a unit without FL1GP. */
static void assert_sva(uint64_t ecap, const char *rel, bool gbpages, int want, const char *why)
{
	struct iommucap_host h = { .info = release(rel) };
	struct iommucap_unit u;
	char buf[256];
	const char *reason;
	int v;

	decode(&u, true, 0, true, ecap, &h.info);
	assert_int_equal(reg_decode(&vtd_cap_reg, 0, &u), 0);
	assert_int_equal(reg_decode(&vtd_ecap_reg, ecap, &u), 0);
	u.name = (char *)"dmar0";
	u.model = IOMMUCAP_MODEL_INTEL_VTD;
	h.info.cpu_flags_known = true;
	h.info.cpu_flags[IOMMUCAP_CPU_PDPE1GB] = gbpages;
	h.units = &u;
	h.n_units = 1;
	v = iommucap_unit_sva(&h, &u, buf, sizeof(buf), &reason);
	if (v != want)
		fail_msg("%s: %d, %s", rel, v, reason);
	if (why)
		assert_non_null(strstr(reason, why));
	u.name = NULL;
	unit_done(&u);
}

static void test_vtd_sva_needs_smpwc_from_7_2(void **state)
{
	/* intel_svm_check(): "if (!pasid_supported(iommu) || !ecap_smpwc(iommu->ecap)) return;" in
	 * Debian's 7.3, 6.12.118 and 6.1.192 sources; 780dfed68862 "iommu/vt-d: Disallow SVA if
	 * page walk is not coherent" came through iommu-fixes-v7.2-rc5, and Debian's changelogs
	 * list it under 6.12.101 and 6.1.183. */
	const uint64_t sm_pasid = BIT(43) | BIT(40), smpwc = BIT(48);

	assert_sva(sm_pasid, "7.1.9", false, 1, NULL);
	assert_sva(sm_pasid, "7.2.0", false, 0, "smpwc 0");
	assert_sva(sm_pasid | smpwc, "7.2.0", false, 1, NULL);
	assert_sva(sm_pasid, "6.12.100", false, 1, NULL);
	assert_sva(sm_pasid, "6.12.101", false, 0, "smpwc 0");
	assert_sva(sm_pasid, "6.1.182", false, 1, NULL);
	assert_sva(sm_pasid, "6.1.183", false, 0, "smpwc 0");
	assert_sva(sm_pasid, "6.1.0-56-amd64", false, 0, "smpwc 0");
	/* The check comes first: without SMPWC no "SVM disabled" line (the x86-q72-k612-b boot
	 * log of 6.12.95 has "dmar0 SVM disabled, incompatible 1GB page capability" for ecap
	 * 490080f00f4a, SMPWC 0; the 6.1.192 log of the same registers has none). */
	assert_sva(sm_pasid, "6.12.95+deb12-amd64", true, 0,
		   "dmar0 SVM disabled, incompatible 1GB page capability");
	assert_sva(sm_pasid, "6.1.0-56-amd64", true, 0, "smpwc 0");
	assert_sva(sm_pasid | smpwc, "7.3.4", true, 0, "SVM disabled, incompatible 1GB page");
}

static void test_vtd_dirty_tracking_by_release(void **state)
{
	const uint64_t sm_slads = BIT(43) | BIT(45), smpwc = BIT(48);

	/* f35f22cc760e (6.7): no dirty tracking before. */
	assert_unit_bool(sm_slads | smpwc, "6.6.30", IOMMUCAP_DIRTY_TRACKING, false);
	assert_unit_bool(sm_slads | smpwc, "6.7.0", IOMMUCAP_DIRTY_TRACKING, true);
	/* 57f55048e564 (6.18, stable 6.17.3 and 6.12.53): SMPWC too. */
	assert_unit_bool(sm_slads, "6.7.0", IOMMUCAP_DIRTY_TRACKING, true);
	assert_unit_bool(sm_slads, "6.12.52", IOMMUCAP_DIRTY_TRACKING, true);
	assert_unit_bool(sm_slads, "6.12.95+deb12-amd64", IOMMUCAP_DIRTY_TRACKING, false);
	assert_unit_bool(sm_slads, "6.17.2", IOMMUCAP_DIRTY_TRACKING, true);
	assert_unit_bool(sm_slads, "6.17.3", IOMMUCAP_DIRTY_TRACKING, false);
	assert_unit_bool(sm_slads, "6.18.0", IOMMUCAP_DIRTY_TRACKING, false);
	assert_unit_bool(sm_slads | smpwc, "6.18.0", IOMMUCAP_DIRTY_TRACKING, true);
}

static void test_vtd_dirty_tracking_needs_sm_slads_smpwc(void **state)
{
	static const struct {
		uint64_t ecap;
		bool dirty;
		const char *httu;
	} cases[] = {
		{ BIT(43) | BIT(45) | BIT(48), true, "access+dirty" },
		{ BIT(43) | BIT(45), false, "access+dirty" }, /* no SMPWC */
		{ BIT(43) | BIT(48), false, "none" },	      /* no SLADS */
		{ BIT(45) | BIT(48), false, "none" },	      /* no SMTS */
	};
	struct iommucap_unit u;

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		decode(&u, false, 0, true, cases[i].ecap, NULL);
		assert_cap_bool(&u, IOMMUCAP_DIRTY_TRACKING, IOMMUCAP_SRC_REGISTER, cases[i].dirty);
		assert_cap_str(&u, IOMMUCAP_HTTU, IOMMUCAP_SRC_REGISTER, cases[i].httu);
		unit_done(&u);
	}
}

static void test_vtd_ats_is_dt(void **state)
{
	struct iommucap_unit u;

	decode(&u, false, 0, true, BIT(2), NULL);
	assert_cap_bool(&u, IOMMUCAP_ATS, IOMMUCAP_SRC_REGISTER, true);
	unit_done(&u);
	decode(&u, false, 0, true, ~BIT(2), NULL);
	assert_cap_bool(&u, IOMMUCAP_ATS, IOMMUCAP_SRC_REGISTER, false);
	unit_done(&u);
}

static void test_vtd_caching_mode_is_cm(void **state)
{
	struct iommucap_unit u;

	decode(&u, true, BIT(7), false, 0, NULL);
	assert_cap_bool(&u, IOMMUCAP_CACHING_MODE, IOMMUCAP_SRC_REGISTER, true);
	unit_done(&u);
	decode(&u, true, ~BIT(7), false, 0, NULL);
	assert_cap_bool(&u, IOMMUCAP_CACHING_MODE, IOMMUCAP_SRC_REGISTER, false);
	unit_done(&u);
}

static void test_vtd_input_bits_is_mgaw(void **state)
{
	static const struct {
		uint64_t mgaw;
		int64_t bits;
	} cases[] = { { 0, 1 }, { 0x26, 39 }, { 0x2f, 48 }, { 0x38, 57 }, { 0x3f, 64 } };
	struct iommucap_unit u;

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		decode(&u, true, cases[i].mgaw << 16, false, 0, NULL);
		assert_cap_num(&u, IOMMUCAP_INPUT_BITS, IOMMUCAP_SRC_REGISTER, cases[i].bits);
		unit_done(&u);
	}
}

static void test_vtd_page_sizes_from_sllps(void **state)
{
	const enum iommucap_source R = IOMMUCAP_SRC_REGISTER;
	struct iommucap_unit u;

	decode(&u, true, 0, false, 0, NULL);
	assert_cap_nums(&u, IOMMUCAP_PAGE_SIZES, R, SZ_4K);
	unit_done(&u);
	decode(&u, true, BIT(34), false, 0, NULL);
	assert_cap_nums(&u, IOMMUCAP_PAGE_SIZES, R, SZ_4K, SZ_2M);
	unit_done(&u);
	decode(&u, true, BIT(35), false, 0, NULL);
	assert_cap_nums(&u, IOMMUCAP_PAGE_SIZES, R, SZ_4K, SZ_1G);
	unit_done(&u);
	/* SLLPS bits 2 and 3 (cap bits 36, 37) are not tested by the kernel. */
	decode(&u, true, BIT(36) | BIT(37), false, 0, NULL);
	assert_cap_nums(&u, IOMMUCAP_PAGE_SIZES, R, SZ_4K);
	unit_done(&u);
}

/*
 * The page sizes of a unit's DMA domains follow the table stage first_level_by_default() picks:
 * first-stage (4K, 2M, and 1G with cap.FL1GP) when scalable mode and ecap.FLTS hold, up to 6.12
 * for every VT-d unit of the host (cap_audit's intel_cap_smts_sanity()/intel_cap_flts_sanity(),
 * ad3d19029979; Debian's 6.12.118 source), from 6.13 for the unit itself (ed56de8a9e90
 * "iommu/vt-d: Refactor first_level_by_default()", in the v6.13 IOMMU pull; 7.3's
 * first_level_by_default(iommu)); otherwise SLLPS.
 */
static void assert_host_page_sizes(const char *rel, uint64_t ecap_b, size_t n_want,
				   const uint64_t *want)
{
	const uint64_t smts = BIT(43), flts = BIT(47), fl1gp = BIT(56);
	struct iommucap_unit units[2];
	struct iommucap_host h = { .info = release(rel), .units = units, .n_units = 2 };
	const struct iommucap_capval *v;

	decode(&units[0], true, fl1gp, true, smts | flts, &h.info); /* SLLPS 0: 4K second stage */
	decode(&units[1], true, 0, true, ecap_b, &h.info);
	/* The register view, as the probe fills it from sysfs. */
	assert_int_equal(reg_decode(&vtd_cap_reg, fl1gp, &units[0]), 0);
	assert_int_equal(reg_decode(&vtd_ecap_reg, smts | flts, &units[0]), 0);
	assert_int_equal(reg_decode(&vtd_cap_reg, 0, &units[1]), 0);
	assert_int_equal(reg_decode(&vtd_ecap_reg, ecap_b, &units[1]), 0);
	units[0].model = units[1].model = IOMMUCAP_MODEL_INTEL_VTD;
	assert_int_equal(vtd_host_pass(&h), 0);
	v = &units[0].caps[IOMMUCAP_PAGE_SIZES];
	assert_int_equal(v->source, IOMMUCAP_SRC_REGISTER);
	assert_int_equal(v->list.n, n_want);
	for (size_t i = 0; i < n_want; i++)
		assert_int_equal(v->list.nums[i], want[i]);
	unit_done(&units[0]);
	unit_done(&units[1]);
}

static void test_vtd_dma_domain_stage_by_release(void **state)
{
	const uint64_t smts = BIT(43), flts = BIT(47);
	const uint64_t second[] = { SZ_4K }, first[] = { SZ_4K, SZ_2M, SZ_1G };

	/* The other unit lacks FLTS: host-wide second stage up to 6.12, per unit from 6.13. */
	assert_host_page_sizes("5.12.19", smts, 1, second);
	assert_host_page_sizes("5.13.0", smts, 1, second);
	assert_host_page_sizes("6.12.118", smts, 1, second);
	assert_host_page_sizes("6.13.0", smts, 3, first);
	assert_host_page_sizes("6.14.0", smts, 3, first);
	/* Both units in scalable mode with FLTS: first stage on every release. */
	assert_host_page_sizes("6.1.0-56-amd64", smts | flts, 3, first);
	assert_host_page_sizes("6.12.118", smts | flts, 3, first);
	assert_host_page_sizes("6.13.0", smts | flts, 3, first);
	/* The other unit in legacy mode. */
	assert_host_page_sizes("6.12.118", flts, 1, second);
	assert_host_page_sizes("6.13.0", flts, 3, first);
}

static void test_vtd_sp_off_gives_4k_only(void **state)
{
	struct iommucap_hostinfo hi = { .kernel_major = 6, .kernel_minor = 12 };
	struct iommucap_unit u;

	assert_int_equal(parse_cmdline("intel_iommu=on,sp_off", &hi.cmdline, &hi.n_cmdline), 0);
	decode(&u, true, UINT64_C(0xd2008c22260206), true, 0xf00f4a, &hi);
	assert_cap_nums(&u, IOMMUCAP_PAGE_SIZES, IOMMUCAP_SRC_CMDLINE, SZ_4K);
	unit_done(&u);
	hostinfo_done(&hi);
}

static void test_vtd_sm_off_disables_scalable_caps(void **state)
{
	struct iommucap_hostinfo hi = { .kernel_major = 6, .kernel_minor = 12 };
	struct iommucap_unit u;

	assert_int_equal(parse_cmdline("intel_iommu=on,sm_off", &hi.cmdline, &hi.n_cmdline), 0);
	decode(&u, true, UINT64_C(0xd2008c222f0686), true, UINT64_C(0x490080f00f4a), &hi);
	/* Legacy mode in use: no PASID (pasid_supported = sm_supported && ecap_pasid). */
	assert_int_not_equal(u.caps[IOMMUCAP_SCALABLE_MODE].source, IOMMUCAP_SRC_UNKNOWN);
	assert_int_equal(u.caps[IOMMUCAP_SCALABLE_MODE].num, 0);
	assert_int_not_equal(u.caps[IOMMUCAP_SSID_BITS].source, IOMMUCAP_SRC_UNKNOWN);
	assert_int_equal(u.caps[IOMMUCAP_SSID_BITS].num, 0);
	unit_done(&u);
	hostinfo_done(&hi);
}

static void test_vtd_coherency_source_bit(void **state)
{
	struct iommucap_unit u;

	/* Legacy mode: ecap.C; scalable mode: ecap.SMPWC. */
	decode(&u, false, 0, true, BIT(0), NULL);
	assert_cap_bool(&u, IOMMUCAP_COHERENT, IOMMUCAP_SRC_REGISTER, true);
	unit_done(&u);
	decode(&u, false, 0, true, BIT(0) | BIT(43), NULL);
	assert_cap_bool(&u, IOMMUCAP_COHERENT, IOMMUCAP_SRC_REGISTER, false);
	unit_done(&u);
	decode(&u, false, 0, true, BIT(48) | BIT(43), NULL);
	assert_cap_bool(&u, IOMMUCAP_COHERENT, IOMMUCAP_SRC_REGISTER, true);
	unit_done(&u);
}

static void test_vtd_first_level_only(void **state)
{
	struct iommucap_unit u;

	/* Scalable mode with FLTS and no SLTS: first-stage tables only. */
	decode(&u, true, UINT64_C(4) << 8, true, BIT(43) | BIT(47), NULL);
	assert_cap_strs(&u, IOMMUCAP_PGTABLE_FORMATS, IOMMUCAP_SRC_REGISTER, "vtd-fs-4level");
	unit_done(&u);
	decode(&u, true, UINT64_C(4) << 8 | BIT(60), true, BIT(43) | BIT(47), NULL);
	assert_cap_strs(&u, IOMMUCAP_PGTABLE_FORMATS, IOMMUCAP_SRC_REGISTER, "vtd-fs-4level",
			"vtd-fs-5level");
	unit_done(&u);
}

static void test_vtd_legacy_ignores_flts(void **state)
{
	struct iommucap_unit u;

	decode(&u, true, UINT64_C(4) << 8 | BIT(60), true, BIT(47), NULL);
	assert_cap_strs(&u, IOMMUCAP_PGTABLE_FORMATS, IOMMUCAP_SRC_REGISTER, "vtd-ss-4level");
	unit_done(&u);
}

static void test_vtd_without_cap(void **state)
{
	struct iommucap_unit u;

	decode(&u, false, 0, true, UINT64_C(0x490080f00f4a), NULL);
	assert_cap_unknown(&u, IOMMUCAP_INPUT_BITS);
	assert_cap_unknown(&u, IOMMUCAP_CACHING_MODE);
	assert_cap_unknown(&u, IOMMUCAP_PAGE_SIZES);
	assert_cap_unknown(&u, IOMMUCAP_PGTABLE_FORMATS);
	/* What ecap says is still known. */
	assert_cap_num(&u, IOMMUCAP_SSID_BITS, IOMMUCAP_SRC_REGISTER, 1);
	assert_cap_bool(&u, IOMMUCAP_SCALABLE_MODE, IOMMUCAP_SRC_REGISTER, true);
	assert_model_facts(&u);
	unit_done(&u);
}

static void test_vtd_without_ecap(void **state)
{
	struct iommucap_unit u;

	decode(&u, true, UINT64_C(0xd2008c222f0686), false, 0, NULL);
	assert_cap_unknown(&u, IOMMUCAP_SSID_BITS);
	assert_cap_unknown(&u, IOMMUCAP_NESTING);
	assert_cap_unknown(&u, IOMMUCAP_PRI);
	assert_cap_unknown(&u, IOMMUCAP_ATS);
	assert_cap_unknown(&u, IOMMUCAP_SCALABLE_MODE);
	assert_cap_unknown(&u, IOMMUCAP_DIRTY_TRACKING);
	assert_cap_unknown(&u, IOMMUCAP_HTTU);
	assert_cap_unknown(&u, IOMMUCAP_COHERENT);
	assert_cap_unknown(&u, IOMMUCAP_PASID_TABLE_FORMATS);
	assert_cap_unknown(&u, IOMMUCAP_PGTABLE_FORMATS);
	/* What cap says is still known. */
	assert_cap_num(&u, IOMMUCAP_INPUT_BITS, IOMMUCAP_SRC_REGISTER, 48);
	assert_cap_bool(&u, IOMMUCAP_CACHING_MODE, IOMMUCAP_SRC_REGISTER, true);
	assert_model_facts(&u);
	unit_done(&u);
}

static void test_vtd_decode_twice_replaces(void **state)
{
	struct iommucap_unit u;

	/* The second call must replace (and free) what the first one set. */
	decode(&u, true, ~CAP_UNNAMED, true, ~ECAP_UNNAMED, NULL);
	assert_int_equal(
		vtd_caps_from_regs(&u, true, UINT64_C(0xd2008c22260206), true, 0xf00f4a, NULL), 0);
	assert_cap_strs(&u, IOMMUCAP_PGTABLE_FORMATS, IOMMUCAP_SRC_REGISTER, "vtd-ss-3level");
	assert_cap_num(&u, IOMMUCAP_SSID_BITS, IOMMUCAP_SRC_REGISTER, 0);
	unit_done(&u);
}

/* decode_vtd over a temporary intel-iommu/ directory. */

#define DMAR "sys/devices/virtual/iommu/dmar0"

static void write_regs(struct tree *t, const char *version, const char *cap, const char *ecap)
{
	tree_write_str(t, DMAR "/intel-iommu/address", "fed90000\n");
	if (version)
		tree_write_str(t, DMAR "/intel-iommu/version", version);
	if (cap)
		tree_write_str(t, DMAR "/intel-iommu/cap", cap);
	if (ecap)
		tree_write_str(t, DMAR "/intel-iommu/ecap", ecap);
}

static const struct iommucap_raw *raw(const struct iommucap_unit *u, const char *name)
{
	for (size_t i = 0; i < u->n_raw; i++)
		if (strcmp(u->raw[i].name, name) == 0)
			return &u->raw[i];
	fail_msg("no raw register %s", name);
	return NULL;
}

static const struct iommucap_field *fieldv(const struct iommucap_unit *u, const char *group,
					   const char *name)
{
	for (size_t i = 0; i < u->n_fields; i++)
		if (strcmp(u->fields[i].group, group) == 0 && strcmp(u->fields[i].name, name) == 0)
			return &u->fields[i];
	fail_msg("no field %s.%s", group, name);
	return NULL;
}

static void host_done(struct iommucap_host *h)
{
	hostinfo_done(&h->info);
	strv_free(h->warnings, h->n_warnings);
}

static void test_decode_vtd_reads_registers(void **state)
{
	struct tree *t = *state;
	struct iommucap_host h = { .info = { .kernel_major = 6, .kernel_minor = 12 } };
	struct iommucap_unit u = { .name = strdup("dmar0") };

	write_regs(t, "1:0\n", "d2008c22260206\n", "f00f4a\n");
	assert_int_equal(decode_vtd(t->root, &h, &u, DMAR, &h), 0);
	assert_int_equal(h.n_warnings, 0);
	assert_true(raw(&u, "version")->known);
	assert_int_equal(raw(&u, "version")->value, 0x10);
	assert_int_equal(raw(&u, "address")->value, 0xfed90000);
	assert_int_equal(raw(&u, "cap")->value, UINT64_C(0xd2008c22260206));
	assert_int_equal(raw(&u, "ecap")->value, 0xf00f4a);
	assert_int_equal(fieldv(&u, "cap", "mgaw")->num, 39);
	assert_int_equal(fieldv(&u, "ecap", "iro")->num, 0xf0);
	assert_int_equal(fieldv(&u, "version", "major")->num, 1);
	assert_int_equal(fieldv(&u, "cap", "unknown_bits")->num, 0);
	assert_cap_num(&u, IOMMUCAP_INPUT_BITS, IOMMUCAP_SRC_REGISTER, 39);
	unit_done(&u);
	host_done(&h);
}

/*
 * The IOVA width an assigned device gets: with first-stage DMA domains the lower canonical half
 * of the first-stage table (Linux 7.3 compute_vasz_lg2_fs(): min(48, MGAW), or min(57, MGAW) with
 * FL5LP and MGAW > 48, and PT_FEAT_SIGN_EXTEND's lower range: one bit less), else MGAW. QEMU
 * 11.1's registers (monitor xp, tests/vm/configs.ini): cap 0x80d2008c222f0606 (MGAW 48) with
 * FS1GP (bit 56) and ecap 0x899800f00f4a (SMTS, FSTS, no SLTS) for fsts=on, whose assigned
 * device QEMU reports as "host aw-bits 47" (the nested judge); ecap 0x490080f00f4a (SMTS, SLTS)
 * for scalable-mode=on.
 */
static void test_vtd_input_bits_first_stage(void **state)
{
	static const struct {
		const char *cap, *ecap;
		int64_t bits;
	} cases[] = {
		{ "81d2008c222f0606\n", "899800f00f4a\n", 47 }, /* first stage only, MGAW 48 */
		{ "80d2008c222f0606\n", "490080f00f4a\n", 48 }, /* second stage only */
		{ "80d2008c222f0606\n", "f00f4a\n", 48 },	/* legacy mode */
		/* MGAW 57 with FL5LP (bit 60): 5-level first stage, 56 bits */
		{ "90d2008c22380606\n", "899800f00f4a\n", 56 },
		/* MGAW 57 without FL5LP: 4-level, 47 bits */
		{ "80d2008c22380606\n", "899800f00f4a\n", 47 },
		/* MGAW 39: min(48, 39) - 1 */
		{ "80d2008c22260606\n", "899800f00f4a\n", 38 },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct tree *t = *state;
		struct iommucap_host h = { .info = { .kernel_major = 7, .kernel_minor = 3 } };
		struct iommucap_unit u = { .name = strdup("dmar0"),
					   .model = IOMMUCAP_MODEL_INTEL_VTD };

		/* The iommufd guests' command line (tests/vm/configs.ini). */
		assert_int_equal(
			parse_cmdline("intel_iommu=on,sm_on", &h.info.cmdline, &h.info.n_cmdline),
			0);
		h.info.cmdline_known = true;
		write_regs(t, "1:0\n", cases[i].cap, cases[i].ecap);
		assert_int_equal(decode_vtd(t->root, &h, &u, DMAR, &h), 0);
		h.units = &u;
		h.n_units = 1;
		assert_int_equal(vtd_host_pass(&h), 0);
		assert_cap_num(&u, IOMMUCAP_INPUT_BITS, IOMMUCAP_SRC_REGISTER, cases[i].bits);
		/* Twice is the same: the width comes from the register view, not the last value. */
		assert_int_equal(vtd_host_pass(&h), 0);
		assert_cap_num(&u, IOMMUCAP_INPUT_BITS, IOMMUCAP_SRC_REGISTER, cases[i].bits);
		unit_done(&u);
		host_done(&h);
	}
}

static void test_decode_vtd_missing_ecap(void **state)
{
	struct tree *t = *state;
	struct iommucap_host h = { .info = { .kernel_major = 6, .kernel_minor = 12 } };
	struct iommucap_unit u = { .name = strdup("dmar0") };

	write_regs(t, "1:0\n", "d2008c22260206\n", NULL);
	assert_int_equal(decode_vtd(t->root, &h, &u, DMAR, &h), 0);
	assert_false(raw(&u, "ecap")->known);
	assert_string_equal(raw(&u, "ecap")->reason, "ecap is missing");
	assert_cap_unknown_because(&u, IOMMUCAP_SSID_BITS, "ecap is missing");
	assert_cap_unknown_because(&u, IOMMUCAP_PGTABLE_FORMATS, "ecap is missing");
	assert_cap_num(&u, IOMMUCAP_INPUT_BITS, IOMMUCAP_SRC_REGISTER, 39);
	assert_int_equal(h.n_warnings, 1);
	assert_string_equal(h.warnings[0], "dmar0: ecap is missing");
	unit_done(&u);
	host_done(&h);
}

static void test_decode_vtd_bad_cap_and_version(void **state)
{
	struct tree *t = *state;
	struct iommucap_host h = { .info = { .kernel_major = 6, .kernel_minor = 12 } };
	struct iommucap_unit u = { .name = strdup("dmar0") };

	write_regs(t, "1.0\n", "0xzz\n", "f00f4a\n");
	assert_int_equal(decode_vtd(t->root, &h, &u, DMAR, &h), 0);
	assert_false(raw(&u, "version")->known);
	assert_non_null(strstr(raw(&u, "version")->reason, "major:minor"));
	assert_false(raw(&u, "cap")->known);
	assert_non_null(strstr(raw(&u, "cap")->reason, "not a hexadecimal number"));
	assert_cap_unknown_because(&u, IOMMUCAP_INPUT_BITS, "cap is not a hexadecimal number");
	assert_cap_bool(&u, IOMMUCAP_SCALABLE_MODE, IOMMUCAP_SRC_REGISTER, false);
	assert_int_equal(h.n_warnings, 2);
	unit_done(&u);
	host_done(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cap_each_field_alone),
		cmocka_unit_test(test_ecap_each_field_alone),
		cmocka_unit_test(test_version_each_field_alone),
		cmocka_unit_test(test_cap_unknown_bits),
		cmocka_unit_test(test_ecap_unknown_bits),
		cmocka_unit_test(test_cap_mgaw_is_bits_plus_one),
		cmocka_unit_test(test_cap_nfr_is_bits_plus_one),
		cmocka_unit_test(test_cap_fro_is_bits_times_16),
		cmocka_unit_test(test_ecap_iro_is_bits_times_16),
		cmocka_unit_test(test_cap_nd_is_number_of_domains),
		cmocka_unit_test(test_cap_qemu_default_fields),
		cmocka_unit_test(test_ecap_qemu_default_fields),
		cmocka_unit_test(test_ecap_qemu_scalable_fields),
		cmocka_unit_test(test_vtd_qemu72_default),
		cmocka_unit_test(test_vtd_qemu_scalable_pasid_caching),
		cmocka_unit_test(test_vtd_qemu_scalable_device_iotlb),
		cmocka_unit_test(test_vtd_qemu10_default_48bit),
		cmocka_unit_test(test_vtd_qemu_fsts_pci_bridge),
		cmocka_unit_test(test_vtd_every_documented_bit),
		cmocka_unit_test(test_vtd_pasid_without_scalable_mode),
		cmocka_unit_test(test_vtd_ssid_is_pss_plus_one),
		cmocka_unit_test(test_vtd_ssid_needs_pasid_bit),
		cmocka_unit_test(test_vtd_nesting_needs_scalable_mode),
		cmocka_unit_test(test_vtd_pri_needs_scalable_mode),
		cmocka_unit_test(test_vtd_dirty_tracking_needs_sm_slads_smpwc),
		cmocka_unit_test(test_vtd_pri_needs_pds_from_6_18),
		cmocka_unit_test(test_vtd_dirty_tracking_by_release),
		cmocka_unit_test(test_vtd_ats_is_dt),
		cmocka_unit_test(test_vtd_caching_mode_is_cm),
		cmocka_unit_test(test_vtd_input_bits_is_mgaw),
		cmocka_unit_test(test_vtd_page_sizes_from_sllps),
		cmocka_unit_test(test_vtd_dma_domain_stage_by_release),
		cmocka_unit_test(test_vtd_sva_needs_smpwc_from_7_2),
		cmocka_unit_test(test_vtd_sp_off_gives_4k_only),
		cmocka_unit_test(test_vtd_sm_off_disables_scalable_caps),
		cmocka_unit_test(test_vtd_coherency_source_bit),
		cmocka_unit_test(test_vtd_first_level_only),
		cmocka_unit_test(test_vtd_legacy_ignores_flts),
		cmocka_unit_test(test_vtd_without_cap),
		cmocka_unit_test(test_vtd_without_ecap),
		cmocka_unit_test(test_vtd_decode_twice_replaces),
		cmocka_unit_test_setup_teardown(test_decode_vtd_reads_registers, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_decode_vtd_missing_ecap, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_vtd_input_bits_first_stage, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_decode_vtd_bad_cap_and_version, tree_setup,
						tree_teardown),
	};

	return cmocka_run_group_tests_name("vtd", tests, NULL, NULL);
}
