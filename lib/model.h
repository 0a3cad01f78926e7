/* Internal helpers that build and free the host model. */
#pragma once

#include "iommucap.h"
#include "macro.h"

/* Append a field to the unit's per-register view; name must be static, str is copied. */
int unit_add_field(struct iommucap_unit *u, const char *group, const char *name,
		   enum iommucap_field_kind kind, uint64_t num, const char *str);

/* The same with group and name copied (a document read back). */
int unit_add_field_owned(struct iommucap_unit *u, const char *group, const char *name,
			 enum iommucap_field_kind kind, uint64_t num, const char *str);

/* Remove every field of one group (a register decoded again from another source). */
void unit_drop_fields(struct iommucap_unit *u, const char *group);

/* Units in the order lookups expect (version order of their names): unit_cmp. */
void host_sort_units(struct iommucap_host *h);
int unit_cmp(const void *a, const void *b);

/* The same for a name that is not static (a property file's name): it is copied. */
int unit_add_field_dup(struct iommucap_unit *u, const char *group, const char *name,
		       enum iommucap_field_kind kind, uint64_t num, const char *str);

/* Capability setters; each replaces what was there. */
int cap_set_num(struct iommucap_unit *u, enum iommucap_cap c, int64_t v, enum iommucap_source s);
int cap_set_bool(struct iommucap_unit *u, enum iommucap_cap c, bool v, enum iommucap_source s);
/* An ENUM capability: v indexes its names (enum iommucap_stall, enum iommucap_httu). */
int cap_set_enum(struct iommucap_unit *u, enum iommucap_cap c, int v, enum iommucap_source s);
int cap_set_nums(struct iommucap_unit *u, enum iommucap_cap c, const uint64_t *v, size_t n,
		 enum iommucap_source s);
int cap_set_strs(struct iommucap_unit *u, enum iommucap_cap c, const char *const *v, size_t n,
		 enum iommucap_source s);
int cap_set_unknown(struct iommucap_unit *u, enum iommucap_cap c, const char *fmt, ...)
	_printf_(3, 4);
void capval_clear(struct iommucap_capval *v);

/* Mark every capability not yet set as unknown, with one reason. */
int caps_unknown_rest(struct iommucap_unit *u, const char *reason);

int unit_add_raw(struct iommucap_unit *u, const char *name, bool known, uint64_t value,
		 const char *reason);

int host_warn(struct iommucap_host *h, const char *fmt, ...) _printf_(2, 3);

/* escape.c: the length of the well-formed UTF-8 sequence at p, 0 if none. */
size_t utf8_sequence_len(const unsigned char *p);
/* s with bytes that are not UTF-8 as \xHH (and "\x" as \x5c); *ret NULL when s needs none. */
int bytes_escape(const char *s, char **ret, bool *ret_invalid);
/* Every string of the model as bytes_escape() has it, with one warning per file that was not
 * UTF-8; *ret_changed when a string changed (names included: sort again what is looked up). */
int host_escape_bytes(struct iommucap_host *h, bool *ret_changed);

int tri_set(struct iommucap_tri *t, int64_t v);
int tri_unknown(struct iommucap_tri *t, const char *reason);

void unit_done(struct iommucap_unit *u);
void group_done(struct iommucap_group *g);
/* The device's capability values (struct iommucap_tri members), for walks over all of them. */
#define DEVICE_N_TRIS 11
size_t device_tris(struct iommucap_device *d, struct iommucap_tri *tris[DEVICE_N_TRIS]);
void device_done(struct iommucap_device *d);
void hostinfo_done(struct iommucap_hostinfo *i);

/* Why an SMMUv3 unit's capabilities are unknown without iommufd (decode_generic, hwinfo.c). */
#define SMMUV3_NO_SYSFS "the kernel exposes no SMMUv3 register in sysfs"

/* Decoders: fill a unit from what its sysfs directory holds. */
int decode_vtd(struct iommucap_root *r, const struct iommucap_host *h, struct iommucap_unit *u,
	       const char *dir, struct iommucap_host *warn);
int decode_amdvi(struct iommucap_root *r, const struct iommucap_host *h, struct iommucap_unit *u,
		 const char *dir, struct iommucap_host *warn);
int decode_properties(struct iommucap_root *r, struct iommucap_unit *u, const char *dir,
		      const char *propdir, struct iommucap_host *warn);
int decode_generic(struct iommucap_unit *u);

/* Pure decoders used by the ones above and by the unit tests. */
int vtd_caps_from_regs(struct iommucap_unit *u, bool have_cap, uint64_t cap, bool have_ecap,
		       uint64_t ecap, const struct iommucap_hostinfo *hi);
/* What needs every unit first: the page sizes of VT-d DMA domains on first-stage tables. */
int vtd_host_pass(struct iommucap_host *h);
/* The same for one unit of h (the others as they are). */
int vtd_unit_pass(const struct iommucap_host *h, struct iommucap_unit *u);
int amdvi_caps_from_regs(struct iommucap_unit *u, bool have_cap, uint64_t cap, bool have_efr,
			 uint64_t efr, bool have_efr2, uint64_t efr2,
			 const struct iommucap_hostinfo *hi);

/*
 * Shared virtual addressing as the kernel decides it for a VT-d unit (intel_svm_check), an AMD-Vi
 * unit (amd_iommu_pasid_supported) or an SMMUv3 (arm_smmu_sva_supported), from the unit's register
 * view: 1 yes, 0 no, -1 unknown; *ret_reason says why (static or in buf). iommucap_unit_sva()
 * (ksem.h) is the model-neutral one.
 */
int vtd_sva(const struct iommucap_host *h, const struct iommucap_unit *u, char *buf, size_t n,
	    const char **ret_reason);
int amdvi_sva(const struct iommucap_host *h, const struct iommucap_unit *u, char *buf, size_t n,
	      const char **ret_reason);
/* SMMUv3 (arm_smmu_sva_supported): no when the SMMU is not coherent or maps none of the page
 * sizes a kernel can have; otherwise unknown, the CPU's ID registers being not read. */
int smmuv3_sva(const struct iommucap_host *h, const struct iommucap_unit *u, char *buf, size_t n,
	       const char **ret_reason);

/*
 * What QEMU's host checks compare of a unit's vendor registers, read from its register view by the
 * decoder that owns them; a field is -1 when not known.
 */
struct iommucap_vendor_facts {
	int64_t fs1gp;			 /* VT-d CAP.FL1GP: first-stage 1 GiB pages */
	int64_t pasid_bits;		 /* VT-d ECAP.PSS + 1: the PASID width the unit supports */
	int64_t st_level, ttendian, ttf; /* SMMUv3 IDR0.ST_LEVEL, TTENDIAN, TTF */
	int64_t sidsize, ssidsize;	 /* SMMUv3 IDR1 */
	int64_t ril;			 /* SMMUv3 IDR3.RIL */
	int64_t gran[3];		 /* SMMUv3 IDR5.GRAN4K, GRAN16K, GRAN64K */
};

void vtd_vendor_facts(const struct iommucap_unit *u, struct iommucap_vendor_facts *f);
void smmuv3_vendor_facts(const struct iommucap_unit *u, struct iommucap_vendor_facts *f);

/*
 * SMMUv3 ID registers (IDR0-IDR5, IIDR, AIDR) as IOMMU_GET_HW_INFO returns them: the first only
 * derives the capabilities, the second also keeps the raw registers and their field view.
 */
int smmuv3_caps_from_regs(struct iommucap_unit *u, const uint32_t idr[6], uint32_t iidr,
			  enum iommucap_source src);
int smmuv3_decode_regs(struct iommucap_unit *u, const uint32_t idr[6], uint32_t iidr, uint32_t aidr,
		       enum iommucap_source src);

/* PCI configuration space: fill the device's PASID/ATS/PRI/ACS from a config-space image. */
int pci_parse_config(struct iommucap_device *d, const uint8_t *cfg, size_t len);

/* The kernel command line's IOMMU options (probe-host.c). */
const char *hostinfo_cmdline_get(const struct iommucap_hostinfo *hi, const char *key);
bool hostinfo_cmdline_has_option(const struct iommucap_hostinfo *hi, const char *key,
				 const char *option);
