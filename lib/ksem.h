/* Kernel semantics: which release does what with the registers (docs/kernel-semantics.md). */
#pragma once

#include "iommucap.h"

/* A kernel change the derived facts depend on: the mainline release that first has it, and the
 * stable series it was backported to (from that sublevel on). */
struct kchange_stable {
	int major, minor, sublevel;
};

struct kchange {
	const char *commit; /* short hash, or NULL where only the title is cited */
	const char *title;
	int major, minor; /* first mainline release */
	struct kchange_stable stable[3];
};

/* The changes, one each; docs/kernel-semantics.md cites the same. */
extern const struct kchange kc_vtd_cap_audit;	      /* 5.13: cap_audit.c */
extern const struct kchange kc_vtd_cap_audit_removed; /* 6.14: c2206299401b */
extern const struct kchange kc_vtd_first_level_unit;  /* 6.13: ed56de8a9e90, per-unit stage */
extern const struct kchange kc_vtd_sva_smpwc;	      /* 7.2: 780dfed68862, SVA needs SMPWC */
extern const struct kchange kc_vtd_cm_once;	      /* 5.15: d0e108b8e962, "disallowed" once */
extern const struct kchange kc_vtd_cm_first_level;    /* 6.3: 257ec2907419, not first-stage */
extern const struct kchange kc_vtd_dirty;	      /* 6.7: second-stage A/D (iommufd dirty) */
extern const struct kchange kc_vtd_dirty_smpwc;	      /* 6.18: 57f55048e564 */
extern const struct kchange kc_vtd_pri_pds;	      /* 6.18: 5ef7e24c7420, PRS needs PDS */
extern const struct kchange kc_amd_dirty;	      /* 6.7: v1 IOPTE dirty bits */
extern const struct kchange kc_amd_ppr_ephsup;	      /* 6.10: 48dc345a23b9 */
extern const struct kchange kc_amd_ppr_giosup;	      /* gt_ppr needs the v2 table (GIOSup) */
extern const struct kchange kc_amd_hatdis;	      /* HATS 3 disables the v1 table */
extern const struct kchange kc_amd_nest_parent;	      /* b43a29def24f: nest parents */
extern const struct kchange kc_smmuv3_httu;	      /* 6.11: HTTU, the IORT's override */

/* The release as numbers; false when it is unknown or not "X.Y[.Z]...". A distribution's ABI
 * name "X.Y.0-N-flavour" (Debian's 6.1.0-56-amd64, Ubuntu's 6.8.0-45-generic) hides the stable
 * sublevel: *ret_sublevel is then -1. */
bool kernel_release_of(const struct iommucap_hostinfo *hi, int *ret_major, int *ret_minor,
		       int *ret_sublevel);

/* Whether the running kernel has the change. An unknown release counts as the newest kernel:
 * the host document then says "kernel release unknown" in its warnings. A release whose sublevel
 * is hidden (above) has the backports to its series: such names are those of maintained
 * distribution kernels (Debian's 6.1.0-56 is 6.1.192). */
bool kernel_has(const struct iommucap_hostinfo *hi, const struct kchange *c);

/* "since 6.18 (57f55048e564)" and the like, for reasons. */
const char *kchange_since(const struct kchange *c, char *buf, size_t n);

/* VT-d: whether the kernel's DMA domains on this unit use first-stage tables
 * (first_level_by_default): host-wide AND of SMTS and FLTS up to 6.12 (cap_audit's sanitised
 * values, and before 5.13 the global scalable/first-level checks), per unit from 6.13
 * (ed56de8a9e90). */
bool vtd_dma_first_stage(const struct iommucap_host *h, const struct iommucap_unit *u);
/* Not VT-d, or in scalable mode with first-stage tables: what the host-wide answer above (before
 * 6.13) asks of every unit. */
bool vtd_unit_first_stage_capable(const struct iommucap_unit *u);

/* Shared virtual addressing as the kernel decides it for the unit (intel_svm_check,
 * amd_iommu_pasid_supported, arm_smmu_sva_supported): 1 yes, 0 no, -1 unknown; *ret_reason says
 * why (static or in buf). */
int iommucap_unit_sva(const struct iommucap_host *h, const struct iommucap_unit *u, char *buf,
		      size_t n, const char **ret_reason);

/* What the decoders conclude once every unit and the host are read: after the probe, and again
 * after iommufd gave registers. The VT-d page sizes of first-stage DMA domains (vtd_host_pass). */
int iommucap_host_pass(struct iommucap_host *h);
/* The same for one unit of h, the others as they are (a unit probed again alone). */
int iommucap_unit_pass(const struct iommucap_host *h, struct iommucap_unit *u);

/* The kernel's own boot messages that this unit's registers cause (cap_audit's "IOMMU feature X
 * inconsistent", "dmarN SVM disabled, ...", "IOMMU batching disallowed due to virtualization",
 * AMD's "Extended features (...): ..." from 6.0), each as the kernel prints it without the
 * timestamp. A line the kernel prints once for several units is in each of theirs. */
int iommucap_unit_boot_messages(const struct iommucap_host *h, const struct iommucap_unit *u,
				char ***ret, size_t *ret_n);

/* The host's: its units' lines, each once, in unit order. */
int iommucap_boot_messages(const struct iommucap_host *h, char ***ret, size_t *ret_n);

/* The features cap_audit (5.13-6.13) prints as inconsistent for these units, kernel spelling. */
int vtd_cap_audit_mismatches(const struct iommucap_host *h, const char ***ret, size_t *ret_n);
