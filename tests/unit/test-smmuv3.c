/* Unit tests of Arm SMMUv3 decoding: the IDR0-5/IIDR/AIDR tables and smmuv3_caps_from_regs(). */
#include "config.h"

#include "regcheck.h"
#include "unit.h"
#include "compat.h"
#include "regs-smmuv3.h"
#include "requirement.h"

/*
 * The fields as QEMU's hw/arm/smmuv3-internal.h lists them (REG32/FIELD, taken from Arm IHI 0070),
 * cross-checked with the kernel's arm-smmu-v3.h masks where it has one; written out here
 * independently of lib/regs-smmuv3.h.
 */
static const struct want_field want_idr0[] = {
	{ "s2p", 0, 1 },	  /* IDR0_S2P (1 << 0) */
	{ "s1p", 1, 1 },	  /* IDR0_S1P (1 << 1) */
	{ "ttf", 2, 2 },	  /* IDR0_TTF GENMASK(3, 2) */
	{ "cohacc", 4, 1 },	  /* IDR0_COHACC (1 << 4) */
	{ "btm", 5, 1 },	  /* FIELD(IDR0, BTM, 5, 1) */
	{ "httu", 6, 2 },	  /* IDR0_HTTU GENMASK(7, 6) */
	{ "dormhint", 8, 1 },	  /* FIELD(IDR0, DORMHINT, 8, 1) */
	{ "hyp", 9, 1 },	  /* IDR0_HYP (1 << 9) */
	{ "ats", 10, 1 },	  /* IDR0_ATS (1 << 10) */
	{ "ns1ats", 11, 1 },	  /* FIELD(IDR0, NS1ATS, 11, 1) */
	{ "asid16", 12, 1 },	  /* IDR0_ASID16 (1 << 12) */
	{ "msi", 13, 1 },	  /* IDR0_MSI (1 << 13) */
	{ "sev", 14, 1 },	  /* IDR0_SEV (1 << 14) */
	{ "atos", 15, 1 },	  /* FIELD(IDR0, ATOS, 15, 1) */
	{ "pri", 16, 1 },	  /* IDR0_PRI (1 << 16) */
	{ "vmw", 17, 1 },	  /* FIELD(IDR0, VMW, 17, 1) */
	{ "vmid16", 18, 1 },	  /* IDR0_VMID16 (1 << 18) */
	{ "cd2l", 19, 1 },	  /* IDR0_CD2L (1 << 19) */
	{ "vatos", 20, 1 },	  /* FIELD(IDR0, VATOS, 20, 1) */
	{ "ttendian", 21, 2 },	  /* IDR0_TTENDIAN GENMASK(22, 21) */
	{ "atsrecerr", 23, 1 },	  /* FIELD(IDR0, ATSRECERR, 23, 1) */
	{ "stall_model", 24, 2 }, /* IDR0_STALL_MODEL GENMASK(25, 24) */
	{ "term_model", 26, 1 },  /* FIELD(IDR0, TERM_MODEL, 26, 1) */
	{ "st_level", 27, 2 },	  /* IDR0_ST_LVL GENMASK(28, 27) */
	{ "rme_impl", 30, 1 },	  /* FIELD(IDR0, RME_IMPL, 30, 1) */
};

static const struct want_field want_idr1[] = {
	{ "sidsize", 0, 6 },	     /* IDR1_SIDSIZE GENMASK(5, 0) */
	{ "ssidsize", 6, 5 },	     /* IDR1_SSIDSIZE GENMASK(10, 6) */
	{ "priqs", 11, 5 },	     /* IDR1_PRIQS GENMASK(15, 11) */
	{ "eventqs", 16, 5 },	     /* IDR1_EVTQS GENMASK(20, 16) */
	{ "cmdqs", 21, 5 },	     /* IDR1_CMDQS GENMASK(25, 21) */
	{ "attr_perms_ovr", 26, 1 }, /* FIELD(IDR1, ATTR_PERMS_OVR, 26, 1) */
	{ "attr_types_ovr", 27, 1 }, /* IDR1_ATTR_TYPES_OVR (1 << 27) */
	{ "rel", 28, 1 },	     /* IDR1_REL (1 << 28) */
	{ "queues_preset", 29, 1 },  /* IDR1_QUEUES_PRESET (1 << 29) */
	{ "tables_preset", 30, 1 },  /* IDR1_TABLES_PRESET (1 << 30) */
	{ "ecmdq", 31, 1 },	     /* FIELD(IDR1, ECMDQ, 31, 1) */
};

static const struct want_field want_idr2[] = {
	{ "ba_vatos", 0, 10 }, /* FIELD(IDR2, BA_VATOS, 0, 10) */
};

static const struct want_field want_idr3[] = {
	{ "had", 2, 1 },     /* FIELD(IDR3, HAD, 2, 1) */
	{ "pbha", 3, 1 },    /* FIELD(IDR3, PBHA, 3, 1) */
	{ "xnx", 4, 1 },     /* FIELD(IDR3, XNX, 4, 1) */
	{ "pps", 5, 1 },     /* FIELD(IDR3, PPS, 5, 1) */
	{ "mpam", 7, 1 },    /* FIELD(IDR3, MPAM, 7, 1) */
	{ "fwb", 8, 1 },     /* IDR3_FWB (1 << 8) */
	{ "stt", 9, 1 },     /* FIELD(IDR3, STT, 9, 1) */
	{ "ril", 10, 1 },    /* IDR3_RIL (1 << 10) */
	{ "bbml", 11, 2 },   /* IDR3_BBM GENMASK(12, 11) */
	{ "e0pd", 13, 1 },   /* FIELD(IDR3, E0PD, 13, 1) */
	{ "ptwnnc", 14, 1 }, /* FIELD(IDR3, PTWNNC, 14, 1) */
	{ "dpt", 15, 1 },    /* FIELD(IDR3, DPT, 15, 1) */
};

static const struct want_field want_idr4[] = {
	{ "impdef", 0, 32 }, /* SMMU_IDR4 is IMPLEMENTATION DEFINED */
};

static const struct want_field want_idr5[] = {
	{ "oas", 0, 3 },	 /* IDR5_OAS GENMASK(2, 0) */
	{ "gran4k", 4, 1 },	 /* IDR5_GRAN4K (1 << 4) */
	{ "gran16k", 5, 1 },	 /* IDR5_GRAN16K (1 << 5) */
	{ "gran64k", 6, 1 },	 /* IDR5_GRAN64K (1 << 6) */
	{ "ds", 7, 1 },		 /* IDR5_DS (1 << 7), Linux 7.3 */
	{ "vax", 10, 2 },	 /* IDR5_VAX GENMASK(11, 10) */
	{ "stall_max", 16, 16 }, /* IDR5_STALL_MAX GENMASK(31, 16) */
};

static const struct want_field want_iidr[] = {
	{ "implementer", 0, 12 }, /* IIDR_IMPLEMENTER GENMASK(11, 0) */
	{ "revision", 12, 4 },	  /* IIDR_REVISION GENMASK(15, 12) */
	{ "variant", 16, 4 },	  /* IIDR_VARIANT GENMASK(19, 16) */
	{ "productid", 20, 12 },  /* IIDR_PRODUCTID GENMASK(31, 20) */
};

static const struct want_field want_aidr[] = {
	{ "archminorrev", 0, 4 }, /* SMMU_AIDR.ArchMinorRev */
	{ "archmajorrev", 4, 4 }, /* SMMU_AIDR.ArchMajorRev */
};

static void test_each_field_alone(void **state)
{
	check_each_field_alone(&smmuv3_idr_regs[0], want_idr0, ELEMENTSOF(want_idr0));
	check_each_field_alone(&smmuv3_idr_regs[1], want_idr1, ELEMENTSOF(want_idr1));
	check_each_field_alone(&smmuv3_idr_regs[2], want_idr2, ELEMENTSOF(want_idr2));
	check_each_field_alone(&smmuv3_idr_regs[3], want_idr3, ELEMENTSOF(want_idr3));
	check_each_field_alone(&smmuv3_idr_regs[4], want_idr4, ELEMENTSOF(want_idr4));
	check_each_field_alone(&smmuv3_idr_regs[5], want_idr5, ELEMENTSOF(want_idr5));
	check_each_field_alone(&smmuv3_iidr_reg, want_iidr, ELEMENTSOF(want_iidr));
	check_each_field_alone(&smmuv3_aidr_reg, want_aidr, ELEMENTSOF(want_aidr));
}

static void test_unknown_bits(void **state)
{
	/* Reserved: IDR0 29 and 31; IDR2 31:10; IDR3 1:0, 6 and 31:16; IDR5 3, 9:8 and 15:12. */
	assert_int_equal(reg_unknown_bits(&smmuv3_idr_regs[0], 0xffffffff), 0xa0000000);
	assert_int_equal(reg_unknown_bits(&smmuv3_idr_regs[1], 0xffffffff), 0);
	assert_int_equal(reg_unknown_bits(&smmuv3_idr_regs[2], 0xffffffff), 0xfffffc00);
	assert_int_equal(reg_unknown_bits(&smmuv3_idr_regs[3], 0xffffffff), 0xffff0043);
	assert_int_equal(reg_unknown_bits(&smmuv3_idr_regs[4], 0xffffffff), 0);
	assert_int_equal(reg_unknown_bits(&smmuv3_idr_regs[5], 0xffffffff), 0xf308);
	assert_int_equal(reg_unknown_bits(&smmuv3_aidr_reg, 0xffffffff), 0xffffff00);
}

/*
 * QEMU's emulated SMMUv3: smmuv3_init_id_regs() (hw/arm/smmuv3.c) and, with accel=on,
 * smmuv3_accel_idr_override() (hw/arm/smmuv3-accel.c), per property. FIELD_DP32(reg, R, F, v)
 * is written as dp(): the values below are QEMU's statements, not this project's output.
 */
struct qemu_props {
	const char *stage; /* NULL (stage 1), "2" or "nested" */
	bool ril_off;	   /* accel=on,ril=off */
	bool ats;	   /* accel=on,ats=on */
	int oas;	   /* accel=on,oas=48; 0: default 44 */
	int ssidsize;	   /* accel=on,ssidsize=N; 0: none (QEMU's default) */
};

static uint32_t dp(uint32_t reg, unsigned shift, unsigned width, uint32_t v)
{
	uint32_t m = (uint32_t)mask_of(shift, width);

	return (reg & ~m) | ((v << shift) & m);
}

static void qemu_regs(const struct qemu_props *p, uint32_t idr[6], uint32_t *aidr)
{
	memset(idr, 0, 6 * sizeof(uint32_t));
	if (p->stage && streq(p->stage, "2"))
		idr[0] = dp(idr[0], 0, 1, 1); /* S2P */
	else if (p->stage && streq(p->stage, "nested")) {
		idr[0] = dp(idr[0], 1, 1, 1); /* S1P */
		idr[0] = dp(idr[0], 0, 1, 1); /* S2P */
	} else
		idr[0] = dp(idr[0], 1, 1, 1); /* S1P */
	idr[0] = dp(idr[0], 2, 2, 2);	      /* TTF: AArch64 PTW only */
	idr[0] = dp(idr[0], 4, 1, 1);	      /* COHACC: IO coherent */
	idr[0] = dp(idr[0], 12, 1, 1);	      /* ASID16 */
	idr[0] = dp(idr[0], 18, 1, 1);	      /* VMID16 */
	idr[0] = dp(idr[0], 21, 2, 2);	      /* TTENDIAN: little endian */
	idr[0] = dp(idr[0], 24, 2, 1);	      /* STALL_MODEL: no stall */
	idr[0] = dp(idr[0], 26, 1, 1);	      /* TERM_MODEL */
	idr[0] = dp(idr[0], 27, 2, 1);	      /* STLEVEL: 2-level stream table */
	idr[1] = dp(idr[1], 0, 6, 16);	      /* SIDSIZE: SMMU_IDR1_SIDSIZE */
	idr[1] = dp(idr[1], 16, 5, 19);	      /* EVENTQS: SMMU_EVENTQS */
	idr[1] = dp(idr[1], 21, 5, 19);	      /* CMDQS: SMMU_CMDQS */
	idr[3] = dp(idr[3], 2, 1, 1);	      /* HAD */
	if (idr[0] & 1)
		idr[3] = dp(idr[3], 4, 1, 1); /* XNX, stage 2 only */
	idr[3] = dp(idr[3], 10, 1, 1);	      /* RIL */
	idr[3] = dp(idr[3], 11, 2, 2);	      /* BBML 2 */
	idr[5] = dp(idr[5], 0, 3, 4);	      /* OAS: SMMU_IDR5_OAS_44 */
	idr[5] = dp(idr[5], 4, 1, 1);	      /* GRAN4K */
	idr[5] = dp(idr[5], 5, 1, 1);	      /* GRAN16K */
	idr[5] = dp(idr[5], 6, 1, 1);	      /* GRAN64K */
	*aidr = 0x1;
	/* smmuv3_accel_idr_override() */
	if (p->ril_off)
		idr[3] = dp(idr[3], 10, 1, 0);
	if (p->ats)
		idr[0] = dp(idr[0], 10, 1, 1);
	if (p->oas == 48)
		idr[5] = dp(idr[5], 0, 3, 5); /* SMMU_IDR5_OAS_48 */
	if (p->ssidsize > 0)
		idr[1] = dp(idr[1], 6, 5, (uint32_t)p->ssidsize);
}

static void decode(struct iommucap_unit *u, const uint32_t idr[6], uint32_t iidr, uint32_t aidr)
{
	*u = (struct iommucap_unit){ 0 };
	assert_int_equal(smmuv3_decode_regs(u, idr, iidr, aidr, IOMMUCAP_SRC_REGISTER), 0);
}

static uint64_t field_of(const struct iommucap_unit *u, const char *group, const char *name)
{
	for (size_t i = 0; i < u->n_fields; i++)
		if (streq(u->fields[i].group, group) && streq(u->fields[i].name, name))
			return u->fields[i].num;
	fail_msg("no field %s.%s", group, name);
	return 0;
}

static void test_qemu_default_registers(void **state)
{
	const struct qemu_props p = { 0 };
	uint32_t idr[6], aidr;

	/* The same statements summed by hand, so a slip in dp() cannot hide. */
	qemu_regs(&p, idr, &aidr);
	assert_int_equal(idr[0], 0x0d44101a);
	assert_int_equal(idr[1], 0x02730010);
	assert_int_equal(idr[2], 0);
	assert_int_equal(idr[3], 0x00001404);
	assert_int_equal(idr[4], 0);
	assert_int_equal(idr[5], 0x00000074);
	assert_int_equal(aidr, 1);
}

static void test_qemu_default(void **state)
{
	const enum iommucap_source R = IOMMUCAP_SRC_REGISTER, M = IOMMUCAP_SRC_MODEL;
	const struct qemu_props p = { 0 };
	struct iommucap_unit u;
	uint32_t idr[6], aidr;

	qemu_regs(&p, idr, &aidr);
	decode(&u, idr, 0, aidr);
	assert_cap_num(&u, IOMMUCAP_SSID_BITS, R, 0); /* no SubstreamID unless ssidsize */
	assert_cap_num(&u, IOMMUCAP_ASID_BITS, R, 16);
	assert_cap_num(&u, IOMMUCAP_OUTPUT_BITS, R, 44);
	assert_cap_num(&u, IOMMUCAP_INPUT_BITS, R, 48); /* VAX 0 */
	assert_cap_str(&u, IOMMUCAP_STALL, R, "disabled");
	assert_cap_str(&u, IOMMUCAP_HTTU, R, "none");
	assert_cap_bool(&u, IOMMUCAP_BTM, R, false);
	assert_cap_bool(&u, IOMMUCAP_NESTING, R, false); /* stage 1 only */
	assert_cap_bool(&u, IOMMUCAP_PRI, R, false);
	assert_cap_bool(&u, IOMMUCAP_ATS, R, false);
	assert_cap_bool(&u, IOMMUCAP_DIRTY_TRACKING, R, false);
	assert_cap_bool(&u, IOMMUCAP_COHERENT, R, true);
	assert_cap_nums(&u, IOMMUCAP_PAGE_SIZES, R, SZ_4K, SZ_16K, SZ_64K, SZ_2M, SZ_32M, SZ_512M,
			SZ_1G);
	assert_cap_strs(&u, IOMMUCAP_PGTABLE_FORMATS, R, "lpae-64");
	assert_cap_empty(&u, IOMMUCAP_PASID_TABLE_FORMATS, R);
	assert_cap_num(&u, IOMMUCAP_PASID_TABLE_ALIGN, M, 64);
	assert_cap_bool(&u, IOMMUCAP_SCALABLE_MODE, M, false);
	assert_cap_bool(&u, IOMMUCAP_CACHING_MODE, M, false);

	/* The raw registers and the fields QEMU's accel checks compare. */
	assert_int_equal(u.n_raw, 8);
	assert_string_equal(u.raw[0].name, "idr0");
	assert_int_equal(u.raw[0].value, idr[0]);
	assert_string_equal(u.raw[7].name, "aidr");
	assert_int_equal(u.raw[7].value, 1);
	assert_int_equal(field_of(&u, "idr0", "st_level"), 1);
	assert_int_equal(field_of(&u, "idr0", "ttendian"), 2);
	assert_int_equal(field_of(&u, "idr0", "ttf"), 2);
	assert_int_equal(field_of(&u, "idr0", "term_model"), 1);
	assert_int_equal(field_of(&u, "idr1", "sidsize"), 16);
	assert_int_equal(field_of(&u, "idr1", "eventqs"), 19);
	assert_int_equal(field_of(&u, "idr1", "cmdqs"), 19);
	assert_int_equal(field_of(&u, "idr3", "ril"), 1);
	assert_int_equal(field_of(&u, "idr3", "bbml"), 2);
	assert_int_equal(field_of(&u, "idr3", "xnx"), 0);
	assert_int_equal(field_of(&u, "idr5", "oas"), 4);
	assert_int_equal(field_of(&u, "aidr", "archminorrev"), 1); /* SMMUv3.1 */
	assert_int_equal(field_of(&u, "idr0", "unknown_bits"), 0);
	assert_int_equal(field_of(&u, "idr3", "unknown_bits"), 0);
	unit_done(&u);
}

static void test_qemu_stage_nested(void **state)
{
	const struct qemu_props p = { .stage = "nested" };
	struct iommucap_unit u;
	uint32_t idr[6], aidr;

	qemu_regs(&p, idr, &aidr);
	decode(&u, idr, 0, aidr);
	/* FEAT_NESTING = TRANS_S1 && TRANS_S2. */
	assert_cap_bool(&u, IOMMUCAP_NESTING, IOMMUCAP_SRC_REGISTER, true);
	assert_int_equal(field_of(&u, "idr3", "xnx"), 1);
	unit_done(&u);
}

static void test_qemu_stage_2(void **state)
{
	const struct qemu_props p = { .stage = "2" };
	struct iommucap_unit u;
	uint32_t idr[6], aidr;

	qemu_regs(&p, idr, &aidr);
	decode(&u, idr, 0, aidr);
	assert_cap_bool(&u, IOMMUCAP_NESTING, IOMMUCAP_SRC_REGISTER, false);
	/* No stage 1: no stage-1 tables, no CD tables; the input is the IPA, ias = oas. */
	assert_cap_empty(&u, IOMMUCAP_PGTABLE_FORMATS, IOMMUCAP_SRC_REGISTER);
	assert_cap_empty(&u, IOMMUCAP_PASID_TABLE_FORMATS, IOMMUCAP_SRC_REGISTER);
	assert_cap_num(&u, IOMMUCAP_INPUT_BITS, IOMMUCAP_SRC_REGISTER, 44);
	unit_done(&u);
}

static void test_qemu_accel_properties(void **state)
{
	const struct qemu_props p = { .ats = true, .oas = 48, .ssidsize = 20, .ril_off = true };
	struct iommucap_unit u;
	uint32_t idr[6], aidr;

	qemu_regs(&p, idr, &aidr);
	decode(&u, idr, 0, aidr);
	assert_cap_bool(&u, IOMMUCAP_ATS, IOMMUCAP_SRC_REGISTER, true);
	assert_cap_num(&u, IOMMUCAP_OUTPUT_BITS, IOMMUCAP_SRC_REGISTER, 48);
	assert_cap_num(&u, IOMMUCAP_SSID_BITS, IOMMUCAP_SRC_REGISTER, 20);
	/* QEMU sets no CD2L: linear context-descriptor tables only. */
	assert_cap_strs(&u, IOMMUCAP_PASID_TABLE_FORMATS, IOMMUCAP_SRC_REGISTER, "arm-1lvl");
	assert_int_equal(field_of(&u, "idr3", "ril"), 0);
	assert_int_equal(field_of(&u, "idr1", "ssidsize"), 20);
	unit_done(&u);
}

static uint32_t bit(unsigned n)
{
	return UINT32_C(1) << n;
}

static void caps(struct iommucap_unit *u, uint32_t idr0, uint32_t idr1, uint32_t idr5,
		 uint32_t iidr)
{
	const uint32_t idr[6] = { idr0, idr1, 0, 0, 0, idr5 };

	*u = (struct iommucap_unit){ 0 };
	assert_int_equal(smmuv3_caps_from_regs(u, idr, iidr, IOMMUCAP_SRC_REGISTER), 0);
}

/* IDR0 with stage 1, AArch64 tables: what every case below adds to. */
#define S1_AA64 (bit(1) | (2u << 2))

static void test_oas_encodings(void **state)
{
	/* IDR5_OAS_32_BIT .. IDR5_OAS_52_BIT; 7 is reserved: "Truncating to 48-bit". */
	static const int want[8] = { 32, 36, 40, 42, 44, 48, 52, 48 };
	struct iommucap_unit u;

	for (uint32_t oas = 0; oas < 8; oas++) {
		caps(&u, S1_AA64, 0, oas | bit(4), 0);
		assert_cap_num(&u, IOMMUCAP_OUTPUT_BITS, IOMMUCAP_SRC_REGISTER, want[oas]);
		if (oas == 6)
			assert_cap_nums(&u, IOMMUCAP_PAGE_SIZES, IOMMUCAP_SRC_REGISTER, SZ_4K,
					SZ_2M, SZ_1G, SZ_4T);
		else
			assert_cap_nums(&u, IOMMUCAP_PAGE_SIZES, IOMMUCAP_SRC_REGISTER, SZ_4K,
					SZ_2M, SZ_1G);
		unit_done(&u);
	}
}

static void test_vax_input_bits(void **state)
{
	struct iommucap_unit u;

	caps(&u, S1_AA64, 0, 5 | (1u << 10), 0); /* IDR5_VAX_52_BIT */
	assert_cap_num(&u, IOMMUCAP_INPUT_BITS, IOMMUCAP_SRC_REGISTER, 52);
	unit_done(&u);
	/* Stage 2 only with AArch32 tables too: ias = max(40, oas 32). */
	caps(&u, bit(0) | (3u << 2), 0, 0, 0);
	assert_cap_num(&u, IOMMUCAP_INPUT_BITS, IOMMUCAP_SRC_REGISTER, 40);
	unit_done(&u);
}

static void test_stall_model(void **state)
{
	/* IDR0_STALL_MODEL_STALL 0 gives FEAT_STALLS, FORCE 2 also STALL_FORCE, 1 and 3 neither. */
	static const char *const want[4] = { "enabled", "disabled", "force", "disabled" };
	struct iommucap_unit u;

	for (uint32_t m = 0; m < 4; m++) {
		caps(&u, S1_AA64 | (m << 24), 0, 0, 0);
		assert_cap_str(&u, IOMMUCAP_STALL, IOMMUCAP_SRC_REGISTER, want[m]);
		unit_done(&u);
	}
}

static void test_httu_and_dirty_tracking(void **state)
{
	static const char *const want[4] = { "none", "access", "access+dirty", "access+dirty" };
	struct iommucap_unit u;

	for (uint32_t h = 0; h < 4; h++) {
		caps(&u, S1_AA64 | (h << 6) | bit(4), 0, 0, 0);
		assert_cap_str(&u, IOMMUCAP_HTTU, IOMMUCAP_SRC_REGISTER, want[h]);
		/* IOMMU_CAP_DIRTY_TRACKING: FEAT_HD && coherent. */
		assert_cap_bool(&u, IOMMUCAP_DIRTY_TRACKING, IOMMUCAP_SRC_REGISTER, h >= 2);
		unit_done(&u);
	}
	caps(&u, S1_AA64 | (2u << 6), 0, 0, 0); /* HD without COHACC */
	assert_cap_bool(&u, IOMMUCAP_DIRTY_TRACKING, IOMMUCAP_SRC_REGISTER, false);
	assert_cap_bool(&u, IOMMUCAP_COHERENT, IOMMUCAP_SRC_REGISTER, false);
	unit_done(&u);
}

static void test_cd_tables_and_asid(void **state)
{
	struct iommucap_unit u;

	caps(&u, S1_AA64 | bit(19), 16u << 6, 0, 0); /* CD2L, SSIDSIZE 16 */
	assert_cap_num(&u, IOMMUCAP_SSID_BITS, IOMMUCAP_SRC_REGISTER, 16);
	assert_cap_strs(&u, IOMMUCAP_PASID_TABLE_FORMATS, IOMMUCAP_SRC_REGISTER, "arm-1lvl",
			"arm-2lvl");
	assert_cap_num(&u, IOMMUCAP_ASID_BITS, IOMMUCAP_SRC_REGISTER, 8); /* no ASID16 */
	unit_done(&u);
}

static void test_pri_ats_btm(void **state)
{
	struct iommucap_unit u;

	caps(&u, S1_AA64 | bit(16) | bit(10) | bit(5), 0, 0, 0);
	assert_cap_bool(&u, IOMMUCAP_PRI, IOMMUCAP_SRC_REGISTER, true);
	assert_cap_bool(&u, IOMMUCAP_ATS, IOMMUCAP_SRC_REGISTER, true);
	assert_cap_bool(&u, IOMMUCAP_BTM, IOMMUCAP_SRC_REGISTER, true);
	unit_done(&u);
}

/* arm_smmu_sva_supported() (arm-smmu-v3-sva.c, 6.1 to 7.3): feat_mask always holds
 * ARM_SMMU_FEAT_COHERENCY (IDR0.COHACC, bit 4), and the kernel's PAGE_SIZE must be in
 * pgsize_bitmap (IDR5.GRAN4K bit 4, GRAN16K bit 5, GRAN64K bit 6); the rest compares the CPU's
 * ID_AA64MMFR0_EL1, which is not read: unknown. */
static void test_sva(void **state)
{
	const struct {
		uint32_t idr0, idr5;
		int want;
	} cases[] = {
		{ S1_AA64, bit(4), 0 },		  /* not coherent */
		{ S1_AA64 | bit(4), bit(4), -1 }, /* coherent, 4K: the CPU decides */
		{ S1_AA64 | bit(4), bit(6), -1 }, /* coherent, 64K only */
		{ S1_AA64, bit(4) | bit(6), 0 },  /* not coherent, whatever the granules */
	};
	struct iommucap_host h = { 0 };
	struct iommucap_unit u;
	const char *why;
	char buf[256];

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		caps(&u, cases[i].idr0, 0, cases[i].idr5, 0);
		assert_int_equal(smmuv3_sva(&h, &u, buf, sizeof(buf), &why), cases[i].want);
		assert_non_null(strstr(why, "arm_smmu_sva_supported()"));
		unit_done(&u);
	}
}

static void test_aarch32_tables(void **state)
{
	struct iommucap_unit u;

	caps(&u, bit(1) | (3u << 2), 0, 0, 0); /* IDR0_TTF_AARCH32_64 */
	assert_cap_strs(&u, IOMMUCAP_PGTABLE_FORMATS, IOMMUCAP_SRC_REGISTER, "lpae-64", "lpae-32");
	unit_done(&u);
}

static void test_errata_by_iidr(void **state)
{
	/* arm_smmu_device_iidr_probe(): IIDR_IMPLEMENTER_ARM 0x43b, MMU-600 0x483, MMU-700 0x487.
	 */
	static const struct {
		uint32_t iidr;
		bool nesting, btm;
	} cases[] = {
		{ 0x4830043b, false, true },  /* MMU-600 r0p0: erratum 1209401 */
		{ 0x4831043b, false, true },  /* MMU-600 r1 */
		{ 0x4832043b, true, true },   /* MMU-600 r2: fixed */
		{ 0x4870043b, false, false }, /* MMU-700: errata 2268618, 2812531 */
		{ 0x4870043c, true, true },   /* another implementer */
	};
	struct iommucap_unit u;

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		caps(&u, S1_AA64 | bit(0) | bit(5), 0, 0, cases[i].iidr);
		assert_cap_bool(&u, IOMMUCAP_NESTING, IOMMUCAP_SRC_REGISTER, cases[i].nesting);
		assert_cap_bool(&u, IOMMUCAP_BTM, IOMMUCAP_SRC_REGISTER, cases[i].btm);
		unit_done(&u);
	}
}

/*
 * The accelerated vSMMU against a host SMMUv3 whose ID registers are known:
 * smmuv3_accel_check_hw_compatible() (hw/arm/smmuv3-accel.c, QEMU 11.1) compares each one with
 * the vSMMU's own (smmuv3_init_id_regs()), in this order and with these words. A host with
 * QEMU's registers passes; each change QEMU refuses fails with QEMU's message.
 */
static char *accel_check(const char *qemu_arg, const uint32_t idr[6], enum iommucap_result *ret,
			 const char *rule)
{
	struct iommucap_host h = { 0 };
	struct iommucap_requirement *r = NULL;
	struct iommucap_compat *c = NULL;
	struct iommucap_unit u;
	char *msg = NULL, *err = NULL;

	decode(&u, idr, 0, 0x1);
	u.model = IOMMUCAP_MODEL_ARM_SMMU_V3;
	u.name = strdup("smmu3.0x0000000009050000");
	h.units = &u;
	h.n_units = 1;
	assert_int_equal(iommucap_requirement_from_qemu(qemu_arg, &r, &err), 0);
	assert_int_equal(iommucap_check(&h, r, &c), 0);
	*ret = IOMMUCAP_NOT_APPLICABLE;
	for (size_t i = 0; i < c->n_checks; i++)
		if (streq(c->checks[i].rule->id, rule) &&
		    (!msg || c->checks[i].result == IOMMUCAP_FAIL)) {
			free(msg);
			msg = strdup(c->checks[i].message);
			*ret = c->checks[i].result;
		}
	iommucap_compat_free(c);
	iommucap_requirement_free(r);
	unit_done(&u);
	return msg;
}

static void assert_accel(const char *arg, const uint32_t idr[6], const char *rule,
			 enum iommucap_result want, const char *want_msg)
{
	enum iommucap_result got;
	char *msg = accel_check(arg, idr, &got, rule);

	if (got != want)
		fail_msg("%s: %s: result %d, want %d (%s)", arg, rule, got, want, msg ?: "-");
	if (want_msg)
		assert_string_equal(msg, want_msg);
	free(msg);
}

static void test_qemu_accel_checks(void **state)
{
	uint32_t idr[6], aidr, bad[6];

	qemu_regs(&(struct qemu_props){ .ats = true, .oas = 48, .ssidsize = 16 }, idr, &aidr);
	static const char *const rules[] = {
		"qemu.arm-smmuv3.stlevel", "qemu.arm-smmuv3.ttendian", "qemu.arm-smmuv3.ttf",
		"qemu.arm-smmuv3.sidsize", "qemu.arm-smmuv3.ssidsize", "qemu.arm-smmuv3.ril",
		"qemu.arm-smmuv3.oas",	   "qemu.arm-smmuv3.granule"
	};
	for (size_t i = 0; i < ELEMENTSOF(rules); i++)
		assert_accel("arm-smmuv3,accel=on,ssidsize=16,oas=48", idr, rules[i], IOMMUCAP_PASS,
			     NULL);

	memcpy(bad, idr, sizeof(bad));
	bad[0] = dp(bad[0], 27, 2, 0); /* linear stream table */
	assert_accel("arm-smmuv3,accel=on", bad, "qemu.arm-smmuv3.stlevel", IOMMUCAP_FAIL,
		     "Host SMMUv3 Stream Table format mismatch (host STLEVEL=0, QEMU STLEVEL=1)");
	memcpy(bad, idr, sizeof(bad));
	bad[0] = dp(bad[0], 21, 2, 3); /* big-endian only */
	assert_accel("arm-smmuv3,accel=on", bad, "qemu.arm-smmuv3.ttendian", IOMMUCAP_FAIL,
		     "Host SMMUv3 doesn't support Little-endian translation table");
	memcpy(bad, idr, sizeof(bad));
	bad[0] = dp(bad[0], 2, 2, 1); /* AArch32 LPAE only */
	assert_accel("arm-smmuv3,accel=on", bad, "qemu.arm-smmuv3.ttf", IOMMUCAP_FAIL,
		     "Host SMMUv3 doesn't support AArch64 translation table format");
	memcpy(bad, idr, sizeof(bad));
	bad[1] = dp(bad[1], 0, 6, 8);
	assert_accel("arm-smmuv3,accel=on", bad, "qemu.arm-smmuv3.sidsize", IOMMUCAP_FAIL,
		     "Host SMMUv3 SIDSIZE not compatible (host=8, QEMU=16)");
	memcpy(bad, idr, sizeof(bad));
	bad[1] = dp(bad[1], 6, 5, 8);
	assert_accel("arm-smmuv3,accel=on,ssidsize=16", bad, "qemu.arm-smmuv3.ssidsize",
		     IOMMUCAP_FAIL, "Host SMMUv3 SSIDSIZE not compatible (host=8, QEMU=16)");
	memcpy(bad, idr, sizeof(bad));
	bad[3] = dp(bad[3], 10, 1, 0);
	assert_accel("arm-smmuv3,accel=on", bad, "qemu.arm-smmuv3.ril", IOMMUCAP_FAIL,
		     "Host SMMUv3 doesn't support Range Invalidation");
	/* ril=off: QEMU's RIL is 0, so the host's cannot be less. */
	assert_accel("arm-smmuv3,accel=on,ril=off", bad, "qemu.arm-smmuv3.ril",
		     IOMMUCAP_NOT_APPLICABLE, NULL);
	memcpy(bad, idr, sizeof(bad));
	bad[5] = dp(bad[5], 0, 3, 4); /* OAS 44 */
	assert_accel("arm-smmuv3,accel=on,oas=48", bad, "qemu.arm-smmuv3.oas", IOMMUCAP_FAIL,
		     "Host SMMUv3 supports only 44-bit IPA, but the vSMMU OAS implies 48-bit IPA");
	memcpy(bad, idr, sizeof(bad));
	bad[5] = dp(bad[5], 5, 1, 0);
	assert_accel("arm-smmuv3,accel=on", bad, "qemu.arm-smmuv3.granule", IOMMUCAP_FAIL,
		     "Host SMMUv3 doesn't support 16K translation granule");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_field_alone),
		cmocka_unit_test(test_qemu_accel_checks),
		cmocka_unit_test(test_unknown_bits),
		cmocka_unit_test(test_qemu_default_registers),
		cmocka_unit_test(test_qemu_default),
		cmocka_unit_test(test_qemu_stage_nested),
		cmocka_unit_test(test_qemu_stage_2),
		cmocka_unit_test(test_qemu_accel_properties),
		cmocka_unit_test(test_oas_encodings),
		cmocka_unit_test(test_vax_input_bits),
		cmocka_unit_test(test_stall_model),
		cmocka_unit_test(test_httu_and_dirty_tracking),
		cmocka_unit_test(test_cd_tables_and_asid),
		cmocka_unit_test(test_pri_ats_btm),
		cmocka_unit_test(test_sva),
		cmocka_unit_test(test_aarch32_tables),
		cmocka_unit_test(test_errata_by_iidr),
	};

	return cmocka_run_group_tests_name("smmuv3", tests, NULL, NULL);
}
