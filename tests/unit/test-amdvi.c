/* Unit tests of AMD-Vi decoding: the cap/EFR/EFR2 tables and amdvi_caps_from_regs(). */
#include "config.h"

#include "regcheck.h"
#include "parse.h"
#include "unit.h"
#include "tree.h"
#include "regs-amdvi.h"
#include "ksem.h"

#define BIT(n) (UINT64_C(1) << (n))

/* QEMU's amd-iommu: the kernel prints "Extended features (0x29d3, 0x0): PreF PPR GT IA GA HE". */
#define QEMU_CAP 0x1f03000f
#define QEMU_EFR 0x29d3

/* EFR bits, as drivers/iommu/amd/amd_iommu_types.h names them (FEATURE_*). */
#define EFR_PPR		 BIT(1)
#define EFR_GT		 BIT(4)
#define EFR_HATS(n)	 ((uint64_t)(n) << 10)
#define EFR_GATS(n)	 ((uint64_t)(n) << 12)
#define EFR_PASMAX(n)	 ((uint64_t)(n) << 32)
#define EFR_GIOSUP	 BIT(48)
#define EFR_HASUP	 BIT(49)
#define EFR_HDSUP	 BIT(52)
#define EFR_SNP		 BIT(63)
#define EFR2_GCR3TRPMODE BIT(3)
#define CAP_IOTLB	 BIT(24)
#define CAP_NPCACHE	 BIT(26)

/* The IOMMU Capability Header; the kernel reads bits 24 (IOTLB), 26 (NPCACHE), 27 (EFR). */
static const struct want_field want_cap[] = {
	{ "cap_id", 0, 8 },   { "cap_ptr", 8, 8 },  { "cap_type", 16, 3 },
	{ "cap_rev", 19, 5 }, { "iotlb", 24, 1 },   { "ht_tunnel", 25, 1 },
	{ "npcache", 26, 1 }, { "efr_sup", 27, 1 }, { "cap_ext", 28, 1 },
};

static const struct want_field want_efr[] = {
	{ "prefetch", 0, 1 },	       /* FEATURE_PREFETCH */
	{ "ppr", 1, 1 },	       /* FEATURE_PPR */
	{ "x2apic", 2, 1 },	       /* FEATURE_X2APIC */
	{ "nx", 3, 1 },		       /* FEATURE_NX */
	{ "gt", 4, 1 },		       /* FEATURE_GT */
	{ "ia", 6, 1 },		       /* FEATURE_IA */
	{ "ga", 7, 1 },		       /* FEATURE_GA */
	{ "he", 8, 1 },		       /* FEATURE_HE */
	{ "pc", 9, 1 },		       /* FEATURE_PC */
	{ "hats", 10, 2 },	       /* FEATURE_HATS */
	{ "gats", 12, 2 },	       /* FEATURE_GATS */
	{ "glx", 14, 2 },	       /* FEATURE_GLX */
	{ "gam_vapic", 21, 1 },	       /* FEATURE_GAM_VAPIC */
	{ "pasmax", 32, 5 },	       /* FEATURE_PASMAX */
	{ "msi_cap_mmio_sup", 46, 1 }, /* IOMMU_EFR_MSICAPMMIOSUP_SHIFT */
	{ "giosup", 48, 1 },	       /* FEATURE_GIOSUP */
	{ "hasup", 49, 1 },	       /* FEATURE_HASUP */
	{ "ephsup", 50, 1 },	       /* FEATURE_EPHSUP */
	{ "hdsup", 52, 1 },	       /* FEATURE_HDSUP */
	{ "snp", 63, 1 },	       /* FEATURE_SNP */
};

/* EFR bits no macro names: 5, 20:16, 31:22, 45:37, 47, 51, 62:53. */
#define EFR_UNNAMED                                                                                \
	(BIT(5) | mask_of(16, 5) | mask_of(22, 10) | mask_of(37, 9) | BIT(47) | BIT(51) |          \
	 mask_of(53, 10))

static const struct want_field want_efr2[] = {
	{ "sevsnpio_sup", 1, 1 },	 /* FEATURE_SEVSNPIO_SUP */
	{ "gcr3trpmode", 3, 1 },	 /* FEATURE_GCR3TRPMODE */
	{ "snpavicsup", 5, 3 },		 /* FEATURE_SNPAVICSUP */
	{ "num_int_remap_sup", 8, 2 },	 /* FEATURE_NUM_INT_REMAP_SUP */
	{ "ht_range_ignore", 11, 1 },	 /* FEATURE_HT_RANGE_IGNORE */
	{ "snp_page_mode0_sup", 13, 1 }, /* FEATURE_SNP_PAGE_MODE0_SUP */
};

#define EFR2_UNNAMED (BIT(0) | BIT(2) | BIT(4) | BIT(10) | BIT(12) | mask_of(14, 50))

static void test_cap_each_field_alone(void **state)
{
	check_each_field_alone(&amdvi_cap_reg, want_cap, ELEMENTSOF(want_cap));
}

static void test_efr_each_field_alone(void **state)
{
	check_each_field_alone(&amdvi_efr_reg, want_efr, ELEMENTSOF(want_efr));
}

static void test_efr2_each_field_alone(void **state)
{
	check_each_field_alone(&amdvi_efr2_reg, want_efr2, ELEMENTSOF(want_efr2));
}

static void test_cap_unknown_bits(void **state)
{
	assert_int_equal(reg_unknown_bits(&amdvi_cap_reg, 0xffffffff), 0xe0000000);
	assert_int_equal(reg_unknown_bits(&amdvi_cap_reg, QEMU_CAP), 0);
}

static void test_efr_unknown_bits(void **state)
{
	/* Bit 5 has no macro; the kernel prints it as "[5]". */
	assert_int_equal(reg_unknown_bits(&amdvi_efr_reg, BIT(5)), BIT(5));
	assert_int_equal(reg_unknown_bits(&amdvi_efr_reg, ~UINT64_C(0)), EFR_UNNAMED);
	assert_int_equal(reg_unknown_bits(&amdvi_efr_reg, ~EFR_UNNAMED), 0);
	assert_int_equal(reg_unknown_bits(&amdvi_efr_reg, QEMU_EFR), 0);
}

static void test_efr2_unknown_bits(void **state)
{
	assert_int_equal(reg_unknown_bits(&amdvi_efr2_reg, ~UINT64_C(0)), EFR2_UNNAMED);
	assert_int_equal(reg_unknown_bits(&amdvi_efr2_reg, ~EFR2_UNNAMED), 0);
}

static uint64_t field(const struct regdef *def, uint64_t value, const char *name)
{
	uint64_t v = UINT64_C(0xdeadbeef);

	assert_int_equal(reg_field(def, value, name, &v), 0);
	return v;
}

static void test_efr_qemu_fields(void **state)
{
	/* 0x29d3 = bits 0, 1, 4, 6, 7, 8, 11, 13: PreF PPR GT IA GA HE, HATS 2, GATS 2. */
	assert_int_equal(field(&amdvi_efr_reg, QEMU_EFR, "prefetch"), 1);
	assert_int_equal(field(&amdvi_efr_reg, QEMU_EFR, "ppr"), 1);
	assert_int_equal(field(&amdvi_efr_reg, QEMU_EFR, "x2apic"), 0);
	assert_int_equal(field(&amdvi_efr_reg, QEMU_EFR, "nx"), 0);
	assert_int_equal(field(&amdvi_efr_reg, QEMU_EFR, "gt"), 1);
	assert_int_equal(field(&amdvi_efr_reg, QEMU_EFR, "ia"), 1);
	assert_int_equal(field(&amdvi_efr_reg, QEMU_EFR, "ga"), 1);
	assert_int_equal(field(&amdvi_efr_reg, QEMU_EFR, "he"), 1);
	assert_int_equal(field(&amdvi_efr_reg, QEMU_EFR, "pc"), 0);
	assert_int_equal(field(&amdvi_efr_reg, QEMU_EFR, "hats"), 2);
	assert_int_equal(field(&amdvi_efr_reg, QEMU_EFR, "gats"), 2);
	assert_int_equal(field(&amdvi_efr_reg, QEMU_EFR, "glx"), 0);
	assert_int_equal(field(&amdvi_efr_reg, QEMU_EFR, "pasmax"), 0);
}

static void test_cap_qemu_fields(void **state)
{
	/* 0x1f03000f: id 0x0f, pointer 0, type 3, revision 0, bits 24-28 all set. */
	assert_int_equal(field(&amdvi_cap_reg, QEMU_CAP, "cap_id"), 0x0f);
	assert_int_equal(field(&amdvi_cap_reg, QEMU_CAP, "cap_ptr"), 0);
	assert_int_equal(field(&amdvi_cap_reg, QEMU_CAP, "cap_type"), 3);
	assert_int_equal(field(&amdvi_cap_reg, QEMU_CAP, "cap_rev"), 0);
	assert_int_equal(field(&amdvi_cap_reg, QEMU_CAP, "iotlb"), 1);
	assert_int_equal(field(&amdvi_cap_reg, QEMU_CAP, "ht_tunnel"), 1);
	assert_int_equal(field(&amdvi_cap_reg, QEMU_CAP, "npcache"), 1);
	assert_int_equal(field(&amdvi_cap_reg, QEMU_CAP, "efr_sup"), 1);
	assert_int_equal(field(&amdvi_cap_reg, QEMU_CAP, "cap_ext"), 1);
}

/* amdvi_caps_from_regs */

static void decode(struct iommucap_unit *u, bool have_cap, uint64_t cap, bool have_efr,
		   uint64_t efr, bool have_efr2, uint64_t efr2, const struct iommucap_hostinfo *hi)
{
	*u = (struct iommucap_unit){ 0 };
	assert_int_equal(amdvi_caps_from_regs(u, have_cap, cap, have_efr, efr, have_efr2, efr2, hi),
			 0);
}

static void test_amdvi_qemu(void **state)
{
	const enum iommucap_source R = IOMMUCAP_SRC_REGISTER;
	struct iommucap_unit u;

	decode(&u, true, QEMU_CAP, true, QEMU_EFR, true, 0, NULL);
	assert_cap_num(&u, IOMMUCAP_SSID_BITS, R, 1); /* GT, PASmax 0 */
	assert_cap_bool(&u, IOMMUCAP_PRI, R, false);  /* no EPHSup, GIOSup (newest kernel) */
	assert_cap_bool(&u, IOMMUCAP_DIRTY_TRACKING, R, false);
	assert_cap_str(&u, IOMMUCAP_HTTU, R, "none");
	assert_cap_bool(&u, IOMMUCAP_NESTING, R, false); /* no GIOSup */
	assert_cap_bool(&u, IOMMUCAP_ATS, R, true);
	assert_cap_bool(&u, IOMMUCAP_CACHING_MODE, R, true);
	assert_cap_num(&u, IOMMUCAP_INPUT_BITS, R, 64); /* HATS 2: 66 bits, at most 64 */
	assert_cap_strs(&u, IOMMUCAP_PGTABLE_FORMATS, R, "amd-v1-6level");
	assert_cap_strs(&u, IOMMUCAP_PASID_TABLE_FORMATS, R, "amd");
	assert_cap_nums(&u, IOMMUCAP_PAGE_SIZES, IOMMUCAP_SRC_MODEL, SZ_4K, SZ_2M, SZ_1G);
	assert_cap_bool(&u, IOMMUCAP_SCALABLE_MODE, IOMMUCAP_SRC_MODEL, false);
	assert_cap_bool(&u, IOMMUCAP_COHERENT, IOMMUCAP_SRC_DRIVER, true);
	assert_cap_str(&u, IOMMUCAP_STALL, IOMMUCAP_SRC_MODEL, "disabled");
	assert_cap_bool(&u, IOMMUCAP_BTM, IOMMUCAP_SRC_MODEL, false);
	assert_cap_num(&u, IOMMUCAP_PASID_TABLE_ALIGN, IOMMUCAP_SRC_MODEL, 4096);
	assert_cap_unknown_because(&u, IOMMUCAP_ASID_BITS, "domain id");
	assert_cap_unknown_because(&u, IOMMUCAP_OUTPUT_BITS, "IVRS");
	unit_done(&u);
}

static void test_amdvi_pasmax_15_is_16_bits(void **state)
{
	struct iommucap_unit u;

	decode(&u, false, 0, true, EFR_GT | EFR_PASMAX(15), true, 0, NULL);
	assert_cap_num(&u, IOMMUCAP_SSID_BITS, IOMMUCAP_SRC_REGISTER, 16);
	assert_cap_strs(&u, IOMMUCAP_PASID_TABLE_FORMATS, IOMMUCAP_SRC_REGISTER, "amd");
	unit_done(&u);
}

static void test_amdvi_pasmax_without_gt_is_0(void **state)
{
	struct iommucap_unit u;

	decode(&u, false, 0, true, EFR_PASMAX(15), true, 0, NULL);
	assert_cap_num(&u, IOMMUCAP_SSID_BITS, IOMMUCAP_SRC_REGISTER, 0);
	assert_cap_empty(&u, IOMMUCAP_PASID_TABLE_FORMATS, IOMMUCAP_SRC_REGISTER);
	unit_done(&u);
}

#define EFR_EPHSUP BIT(50)

/* A host of one release, as proc/sys/kernel/osrelease gives it. */
static struct iommucap_hostinfo release(const char *r)
{
	struct iommucap_hostinfo hi = { .kernel_major = -1, .kernel_minor = -1 };

	hi.kernel_release = (char *)r;
	sscanf(r, "%d.%d", &hi.kernel_major, &hi.kernel_minor);
	return hi;
}

static void assert_pri(uint64_t efr, const char *rel, bool want)
{
	struct iommucap_hostinfo hi = release(rel);
	struct iommucap_unit u;

	decode(&u, false, 0, true, efr, true, 0, &hi);
	assert_cap_bool(&u, IOMMUCAP_PRI, IOMMUCAP_SRC_REGISTER, want);
	unit_done(&u);
}

static void test_amdvi_pri_is_gt_ppr_by_release(void **state)
{
	/* amd_iommu_gt_ppr_supported() (drivers/iommu/amd/amd_iommu.h): GT && PPR; && EPHSup from
	 * 48dc345a23b9 (6.10); && GIOSup through amd_iommu_v2_pgtbl_supported() from b0ffdb23e94f
	 * (6.13: Debian's 6.12.118 still reads "check_feature(FEATURE_GT) &&
	 * check_feature(FEATURE_PPR) && check_feature(FEATURE_EPHSUP)", 7.3 the helper). */
	assert_pri(EFR_PPR, "6.9.0", false); /* no GT */
	assert_pri(EFR_GT | EFR_PPR, "6.9.12", true);
	assert_pri(EFR_GT | EFR_PPR, "6.10.0", false);
	assert_pri(EFR_GT | EFR_PPR | EFR_EPHSUP, "6.10.0", true);
	assert_pri(EFR_GT | EFR_PPR | EFR_EPHSUP, "6.12.118", true);
	assert_pri(EFR_GT | EFR_PPR | EFR_EPHSUP, "6.13.0", false);
	assert_pri(EFR_GT | EFR_PPR | EFR_EPHSUP | EFR_GIOSUP, "6.13.0", true);
	assert_pri(EFR_GT | EFR_PPR | EFR_EPHSUP, "7.3.4", false);
	assert_pri(EFR_GT | EFR_PPR | EFR_EPHSUP | EFR_GIOSUP, "7.3.4", true);
	/* QEMU's amd-iommu (EFR 0x29d3: PPR, GT, no EPHSup): PRI on 6.1, not on 6.12. */
	assert_pri(QEMU_EFR, "6.1.0-56-amd64", true);
	assert_pri(QEMU_EFR, "6.12.95+deb12-amd64", false);
}

/* capabilities.sva, set by the decoders' host pass: amd_iommu_pasid_supported() of the release
 * (amd/init.c) = amd_iommu_gt_ppr_supported() (as for PRI above), an LA57 CPU only with 5-level
 * guest tables (EFR.GATS 1), and not with SEV-SNP enabled (EFR.SNP: its state is not read). */
static void assert_sva(uint64_t efr, const char *rel, bool la57, int want)
{
	struct iommucap_host h = { .info = release(rel) };
	struct iommucap_unit u;
	const struct iommucap_capval *v = &u.caps[IOMMUCAP_SVA];

	decode(&u, false, 0, true, efr, true, 0, &h.info);
	assert_int_equal(reg_decode(&amdvi_efr_reg, efr, &u), 0); /* the field view it reads */
	u.model = IOMMUCAP_MODEL_AMD_VI;
	u.name = (char *)"ivhd0";
	h.info.cpu_flags_known = true;
	h.info.cpu_flags[IOMMUCAP_CPU_LA57] = la57;
	h.units = &u;
	h.n_units = 1;
	assert_int_equal(iommucap_host_pass(&h), 0);
	if (want < 0) {
		assert_int_equal(v->source, IOMMUCAP_SRC_UNKNOWN);
		assert_non_null(strstr(v->reason, "SNP"));
	} else {
		assert_int_equal(v->source, IOMMUCAP_SRC_DRIVER);
		assert_int_equal(v->num, want);
	}
	u.name = NULL;
	unit_done(&u);
}

static void test_amdvi_sva_by_release(void **state)
{
	assert_sva(EFR_PPR, "6.9.0", false, 0); /* no GT */
	assert_sva(EFR_GT | EFR_PPR, "6.9.0", false, 1);
	assert_sva(EFR_GT | EFR_PPR, "6.10.0", false, 0); /* EPHSup from 48dc345a23b9 */
	assert_sva(EFR_GT | EFR_PPR | EFR_EPHSUP, "6.12.118", false, 1);
	assert_sva(EFR_GT | EFR_PPR | EFR_EPHSUP, "6.13.0", false, 0); /* GIOSup: b0ffdb23e94f */
	assert_sva(EFR_GT | EFR_PPR | EFR_EPHSUP | EFR_GIOSUP, "6.13.0", false, 1);
	assert_sva(QEMU_EFR, "6.1.0-56-amd64", false, 1);
	assert_sva(QEMU_EFR, "6.12.95+deb12-amd64", false, 0);
	assert_sva(EFR_GT | EFR_PPR | EFR_SNP, "6.9.0", false, -1);
}

static void assert_dirty(uint64_t efr, const char *rel, bool want)
{
	struct iommucap_hostinfo hi = release(rel);
	struct iommucap_unit u;

	decode(&u, false, 0, true, efr, true, 0, &hi);
	assert_cap_bool(&u, IOMMUCAP_DIRTY_TRACKING, IOMMUCAP_SRC_REGISTER, want);
	unit_done(&u);
}

static void test_amdvi_dirty_tracking_by_release(void **state)
{
	/* 421a511a293f (6.7): FEATURE_HDSUP per unit; HATS 3 disables v1 tables from 6.17
	 * (7e5516e60961). */
	assert_dirty(EFR_HDSUP, "6.6.50", false);
	assert_dirty(EFR_HDSUP, "6.7.0", true);
	assert_dirty(EFR_HDSUP | EFR_HATS(3), "6.16.12", true);
	assert_dirty(EFR_HDSUP | EFR_HATS(3), "6.17.0", false);
	assert_dirty(EFR_HDSUP | EFR_HATS(2), "6.17.0", true);
}

static void assert_nesting(uint64_t efr, uint64_t efr2, const char *rel, bool want,
			   enum iommucap_source src)
{
	struct iommucap_hostinfo hi = release(rel);
	struct iommucap_unit u;

	decode(&u, false, 0, true, efr, true, efr2, &hi);
	assert_cap_bool(&u, IOMMUCAP_NESTING, src, want);
	unit_done(&u);
}

static void test_amdvi_nesting_by_release(void **state)
{
	/* is_nest_parent_supported() (drivers/iommu/amd/iommu.c, 7.3): GT && GIOSup &&
	 * EFR2.GCR3TRPMode, from b43a29def24f, new in the iommu tree in January 2026: 7.0. */
	const uint64_t efr = EFR_GT | EFR_GIOSUP;

	assert_nesting(efr, EFR2_GCR3TRPMODE, "6.18.2", false, IOMMUCAP_SRC_DRIVER);
	assert_nesting(efr, EFR2_GCR3TRPMODE, "6.19.7", false, IOMMUCAP_SRC_DRIVER);
	assert_nesting(efr, EFR2_GCR3TRPMODE, "7.0.0", true, IOMMUCAP_SRC_REGISTER);
	assert_nesting(efr, 0, "7.0.0", false, IOMMUCAP_SRC_REGISTER);
	assert_nesting(EFR_GT, EFR2_GCR3TRPMODE, "7.3.4", false, IOMMUCAP_SRC_REGISTER);
}

static void test_amdvi_dirty_tracking_is_hdsup(void **state)
{
	struct iommucap_unit u;

	decode(&u, false, 0, true, EFR_HDSUP | EFR_HASUP, true, 0, NULL);
	assert_cap_bool(&u, IOMMUCAP_DIRTY_TRACKING, IOMMUCAP_SRC_REGISTER, true);
	assert_cap_str(&u, IOMMUCAP_HTTU, IOMMUCAP_SRC_REGISTER, "access+dirty");
	unit_done(&u);
	decode(&u, false, 0, true, EFR_HASUP, true, 0, NULL);
	assert_cap_bool(&u, IOMMUCAP_DIRTY_TRACKING, IOMMUCAP_SRC_REGISTER, false);
	assert_cap_str(&u, IOMMUCAP_HTTU, IOMMUCAP_SRC_REGISTER, "access");
	unit_done(&u);
}

static void test_amdvi_nesting_true(void **state)
{
	struct iommucap_unit u;

	/* is_nest_parent_supported(): GT && GIOSUP && EFR2.GCR3TRPMODE */
	decode(&u, false, 0, true, EFR_GT | EFR_GIOSUP, true, EFR2_GCR3TRPMODE, NULL);
	assert_cap_bool(&u, IOMMUCAP_NESTING, IOMMUCAP_SRC_REGISTER, true);
	unit_done(&u);
}

static void test_amdvi_nesting_false(void **state)
{
	static const struct {
		uint64_t efr, efr2;
	} cases[] = {
		{ EFR_GIOSUP, EFR2_GCR3TRPMODE }, /* no GT */
		{ EFR_GT, EFR2_GCR3TRPMODE },	  /* no GIOSup */
		{ EFR_GT | EFR_GIOSUP, ~EFR2_GCR3TRPMODE },
	};
	struct iommucap_unit u;

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		decode(&u, false, 0, true, cases[i].efr, true, cases[i].efr2, NULL);
		assert_cap_bool(&u, IOMMUCAP_NESTING, IOMMUCAP_SRC_REGISTER, false);
		unit_done(&u);
	}
}

static void test_amdvi_nesting_unknown_without_efr2(void **state)
{
	struct iommucap_unit u;

	decode(&u, false, 0, true, EFR_GT | EFR_GIOSUP, false, 0, NULL);
	assert_cap_unknown_because(&u, IOMMUCAP_NESTING, "EFR2");
	/* The rest of EFR is still known. */
	assert_cap_num(&u, IOMMUCAP_SSID_BITS, IOMMUCAP_SRC_REGISTER, 1);
	unit_done(&u);
}

static void test_amdvi_ats_and_caching_mode_from_cap(void **state)
{
	struct iommucap_unit u;

	decode(&u, true, CAP_IOTLB, true, 0, true, 0, NULL);
	assert_cap_bool(&u, IOMMUCAP_ATS, IOMMUCAP_SRC_REGISTER, true);
	assert_cap_bool(&u, IOMMUCAP_CACHING_MODE, IOMMUCAP_SRC_REGISTER, false);
	unit_done(&u);
	decode(&u, true, CAP_NPCACHE, true, 0, true, 0, NULL);
	assert_cap_bool(&u, IOMMUCAP_ATS, IOMMUCAP_SRC_REGISTER, false);
	assert_cap_bool(&u, IOMMUCAP_CACHING_MODE, IOMMUCAP_SRC_REGISTER, true);
	unit_done(&u);
}

static void test_amdvi_hats_input_bits(void **state)
{
	static const struct {
		unsigned hats;
		int64_t bits;
		const char *fmt;
	} cases[] = {
		/* (HATS + 4 - 1) * 9 + 21, at most 64 */
		{ 0, 48, "amd-v1-4level" },
		{ 1, 57, "amd-v1-5level" },
		{ 2, 64, "amd-v1-6level" },
	};
	struct iommucap_unit u;

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		decode(&u, false, 0, true, EFR_HATS(cases[i].hats), true, 0, NULL);
		assert_cap_num(&u, IOMMUCAP_INPUT_BITS, IOMMUCAP_SRC_REGISTER, cases[i].bits);
		assert_cap_strs(&u, IOMMUCAP_PGTABLE_FORMATS, IOMMUCAP_SRC_REGISTER, cases[i].fmt);
		unit_done(&u);
	}
}

static void test_amdvi_hats_3_disables_v1(void **state)
{
	struct iommucap_unit u;

	decode(&u, false, 0, true, EFR_HATS(3), true, 0, NULL);
	assert_cap_unknown_because(&u, IOMMUCAP_INPUT_BITS, "HATS is 3");
	assert_cap_empty(&u, IOMMUCAP_PGTABLE_FORMATS, IOMMUCAP_SRC_REGISTER);
	unit_done(&u);
	/* The v2 table stays when GT and GIOSup allow it. */
	decode(&u, false, 0, true, EFR_HATS(3) | EFR_GT | EFR_GIOSUP, true, 0, NULL);
	assert_cap_strs(&u, IOMMUCAP_PGTABLE_FORMATS, IOMMUCAP_SRC_REGISTER, "amd-v2-4level");
	unit_done(&u);
}

static void test_amdvi_hats_3_no_dirty_tracking(void **state)
{
	struct iommucap_hostinfo hi = { .kernel_major = 7, .kernel_minor = 3 };
	struct iommucap_unit u;

	decode(&u, false, 0, true, EFR_HATS(3) | EFR_HDSUP | EFR_GT | EFR_GIOSUP, true, 0, &hi);
	assert_cap_bool(&u, IOMMUCAP_DIRTY_TRACKING, IOMMUCAP_SRC_REGISTER, false);
	unit_done(&u);
}

static void test_amdvi_v2_formats(void **state)
{
	struct iommucap_unit u;

	decode(&u, false, 0, true, EFR_GT | EFR_GIOSUP, true, 0, NULL);
	assert_cap_strs(&u, IOMMUCAP_PGTABLE_FORMATS, IOMMUCAP_SRC_REGISTER, "amd-v1-4level",
			"amd-v2-4level");
	unit_done(&u);
	decode(&u, false, 0, true, EFR_GT | EFR_GIOSUP | EFR_GATS(1), true, 0, NULL);
	assert_cap_strs(&u, IOMMUCAP_PGTABLE_FORMATS, IOMMUCAP_SRC_REGISTER, "amd-v1-4level",
			"amd-v2-4level", "amd-v2-5level");
	unit_done(&u);
	/* GIOSup without GT: no v2 table. */
	decode(&u, false, 0, true, EFR_GIOSUP | EFR_GATS(1), true, 0, NULL);
	assert_cap_strs(&u, IOMMUCAP_PGTABLE_FORMATS, IOMMUCAP_SRC_REGISTER, "amd-v1-4level");
	unit_done(&u);
}

static void test_amdvi_without_efr(void **state)
{
	struct iommucap_unit u;

	decode(&u, true, QEMU_CAP, false, 0, false, 0, NULL);
	assert_cap_unknown(&u, IOMMUCAP_SSID_BITS);
	assert_cap_unknown(&u, IOMMUCAP_PRI);
	assert_cap_unknown(&u, IOMMUCAP_DIRTY_TRACKING);
	assert_cap_unknown(&u, IOMMUCAP_HTTU);
	assert_cap_unknown(&u, IOMMUCAP_NESTING);
	assert_cap_unknown(&u, IOMMUCAP_INPUT_BITS);
	assert_cap_unknown(&u, IOMMUCAP_PGTABLE_FORMATS);
	assert_cap_unknown(&u, IOMMUCAP_PASID_TABLE_FORMATS);
	assert_cap_bool(&u, IOMMUCAP_ATS, IOMMUCAP_SRC_REGISTER, true);
	assert_cap_bool(&u, IOMMUCAP_CACHING_MODE, IOMMUCAP_SRC_REGISTER, true);
	unit_done(&u);
}

static void test_amdvi_without_cap(void **state)
{
	struct iommucap_unit u;

	decode(&u, false, 0, true, QEMU_EFR, true, 0, NULL);
	assert_cap_unknown(&u, IOMMUCAP_ATS);
	assert_cap_unknown(&u, IOMMUCAP_CACHING_MODE);
	assert_cap_bool(&u, IOMMUCAP_PRI, IOMMUCAP_SRC_REGISTER, false); /* no EPHSup */
	unit_done(&u);
}

static void test_amdvi_nohugepages(void **state)
{
	struct iommucap_hostinfo hi = { .kernel_major = 6, .kernel_minor = 12 };
	struct iommucap_unit u;

	assert_int_equal(parse_cmdline("amd_iommu=nohugepages", &hi.cmdline, &hi.n_cmdline), 0);
	decode(&u, true, QEMU_CAP, true, QEMU_EFR, true, 0, &hi);
	assert_cap_nums(&u, IOMMUCAP_PAGE_SIZES, IOMMUCAP_SRC_CMDLINE, SZ_4K);
	unit_done(&u);
	hostinfo_done(&hi);
}

/* decode_amdvi over a temporary amd-iommu/ directory: the features layouts. */

#define IVHD "sys/devices/pci0000:00/0000:00:00.2/iommu/ivhd0"

struct amd_case {
	struct tree *t;
	struct iommucap_host h;
	struct iommucap_unit u;
};

static void amd_decode(struct amd_case *c, int kmajor, int kminor, const char *cap,
		       const char *features)
{
	if (cap)
		tree_write_str(c->t, IVHD "/amd-iommu/cap", cap);
	if (features)
		tree_write_str(c->t, IVHD "/amd-iommu/features", features);
	c->h = (struct iommucap_host){ .info = { .kernel_major = kmajor, .kernel_minor = kminor } };
	c->u = (struct iommucap_unit){ .name = strdup("ivhd0") };
	assert_int_equal(decode_amdvi(c->t->root, &c->h, &c->u, IVHD, &c->h), 0);
}

static void amd_done(struct amd_case *c)
{
	unit_done(&c->u);
	hostinfo_done(&c->h.info);
	strv_free(c->h.warnings, c->h.n_warnings);
}

static const struct iommucap_raw *raw(const struct iommucap_unit *u, const char *name)
{
	for (size_t i = 0; i < u->n_raw; i++)
		if (strcmp(u->raw[i].name, name) == 0)
			return &u->raw[i];
	fail_msg("no raw register %s", name);
	return NULL;
}

static const char *format_field(const struct iommucap_unit *u)
{
	for (size_t i = 0; i < u->n_fields; i++)
		if (strcmp(u->fields[i].group, "features") == 0 &&
		    strcmp(u->fields[i].name, "format") == 0)
			return u->fields[i].str;
	return NULL;
}

static void test_decode_amdvi_6_1_layout(void **state)
{
	struct amd_case c = { .t = *state };

	amd_decode(&c, 6, 1, "1f03000f\n", "0:29d3\n");
	assert_int_equal(raw(&c.u, "cap")->value, QEMU_CAP);
	assert_true(raw(&c.u, "efr")->known);
	assert_int_equal(raw(&c.u, "efr")->value, QEMU_EFR);
	assert_true(raw(&c.u, "efr2")->known);
	assert_int_equal(raw(&c.u, "efr2")->value, 0);
	assert_string_equal(format_field(&c.u), "efr2:efr");
	assert_cap_num(&c.u, IOMMUCAP_SSID_BITS, IOMMUCAP_SRC_REGISTER, 1);
	assert_cap_bool(&c.u, IOMMUCAP_NESTING, IOMMUCAP_SRC_DRIVER, false); /* 6.1: no nesting */
	assert_int_equal(c.h.n_warnings, 0);
	amd_done(&c);
}

static void test_decode_amdvi_6_12_layout(void **state)
{
	struct amd_case c = { .t = *state };

	amd_decode(&c, 6, 12, "1f03000f\n", "29d3:0\n");
	assert_int_equal(raw(&c.u, "efr")->value, QEMU_EFR);
	assert_int_equal(raw(&c.u, "efr2")->value, 0);
	assert_string_equal(format_field(&c.u), "efr:efr2");
	/* 6.12's amd_iommu_gt_ppr_supported() also needs EPHSup, which QEMU does not set. */
	assert_cap_bool(&c.u, IOMMUCAP_PRI, IOMMUCAP_SRC_REGISTER, false);
	assert_int_equal(c.h.n_warnings, 0);
	amd_done(&c);
}

static void test_decode_amdvi_efr_only_layout(void **state)
{
	struct amd_case c = { .t = *state };

	amd_decode(&c, 5, 19, "1f03000f\n", "29d3\n");
	assert_int_equal(raw(&c.u, "efr")->value, QEMU_EFR);
	assert_false(raw(&c.u, "efr2")->known);
	assert_string_equal(format_field(&c.u), "efr");
	/* Whatever EFR2 would say, 5.19 has no AMD nest parent (b43a29def24f came later). */
	assert_cap_bool(&c.u, IOMMUCAP_NESTING, IOMMUCAP_SRC_DRIVER, false);
	amd_done(&c);
}

static void test_decode_amdvi_unknown_release_warns(void **state)
{
	struct amd_case c = { .t = *state };

	amd_decode(&c, -1, -1, "1f03000f\n", "29d3:0\n");
	assert_int_equal(raw(&c.u, "efr")->value, QEMU_EFR);
	assert_int_equal(c.h.n_warnings, 1);
	assert_non_null(strstr(c.h.warnings[0], "kernel release unknown"));
	amd_done(&c);
}

static void test_decode_amdvi_bad_features(void **state)
{
	struct amd_case c = { .t = *state };

	amd_decode(&c, 6, 12, "1f03000f\n", "a:b:c\n");
	assert_false(raw(&c.u, "efr")->known);
	assert_false(raw(&c.u, "efr2")->known);
	assert_cap_unknown_because(&c.u, IOMMUCAP_SSID_BITS, "features is not");
	assert_cap_bool(&c.u, IOMMUCAP_ATS, IOMMUCAP_SRC_REGISTER, true);
	assert_int_equal(c.h.n_warnings, 1);
	amd_done(&c);
}

static void test_decode_amdvi_missing_cap(void **state)
{
	struct amd_case c = { .t = *state };

	amd_decode(&c, 6, 12, NULL, "29d3:0\n");
	assert_false(raw(&c.u, "cap")->known);
	assert_cap_unknown_because(&c.u, IOMMUCAP_ATS, "cap is missing");
	assert_cap_num(&c.u, IOMMUCAP_SSID_BITS, IOMMUCAP_SRC_REGISTER, 1);
	assert_int_equal(c.h.n_warnings, 1);
	amd_done(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cap_each_field_alone),
		cmocka_unit_test(test_efr_each_field_alone),
		cmocka_unit_test(test_efr2_each_field_alone),
		cmocka_unit_test(test_cap_unknown_bits),
		cmocka_unit_test(test_efr_unknown_bits),
		cmocka_unit_test(test_efr2_unknown_bits),
		cmocka_unit_test(test_efr_qemu_fields),
		cmocka_unit_test(test_cap_qemu_fields),
		cmocka_unit_test(test_amdvi_qemu),
		cmocka_unit_test(test_amdvi_pasmax_15_is_16_bits),
		cmocka_unit_test(test_amdvi_pasmax_without_gt_is_0),
		cmocka_unit_test(test_amdvi_pri_is_gt_ppr_by_release),
		cmocka_unit_test(test_amdvi_sva_by_release),
		cmocka_unit_test(test_amdvi_dirty_tracking_by_release),
		cmocka_unit_test(test_amdvi_nesting_by_release),
		cmocka_unit_test(test_amdvi_dirty_tracking_is_hdsup),
		cmocka_unit_test(test_amdvi_nesting_true),
		cmocka_unit_test(test_amdvi_nesting_false),
		cmocka_unit_test(test_amdvi_nesting_unknown_without_efr2),
		cmocka_unit_test(test_amdvi_ats_and_caching_mode_from_cap),
		cmocka_unit_test(test_amdvi_hats_input_bits),
		cmocka_unit_test(test_amdvi_hats_3_disables_v1),
		cmocka_unit_test(test_amdvi_hats_3_no_dirty_tracking),
		cmocka_unit_test(test_amdvi_v2_formats),
		cmocka_unit_test(test_amdvi_without_efr),
		cmocka_unit_test(test_amdvi_without_cap),
		cmocka_unit_test(test_amdvi_nohugepages),
		cmocka_unit_test_setup_teardown(test_decode_amdvi_6_1_layout, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_decode_amdvi_6_12_layout, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_decode_amdvi_efr_only_layout, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_decode_amdvi_unknown_release_warns, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_decode_amdvi_bad_features, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_decode_amdvi_missing_cap, tree_setup,
						tree_teardown),
	};

	return cmocka_run_group_tests_name("amdvi", tests, NULL, NULL);
}
