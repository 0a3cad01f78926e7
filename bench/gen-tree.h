/* Synthetic sysfs/procfs trees with many IOMMU units, laid out as Linux 6.12 exposes them. */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

struct gen_opts {
	unsigned units;		/* IOMMU units (class devices) */
	unsigned devs_per_unit; /* PCI endpoints behind each unit, one IOMMU group each */
	unsigned amd_every;	/* every amd_every-th unit is an AMD-Vi ivhdN; 0: Intel only */
	const volatile sig_atomic_t *stop; /* when set and non-zero: give up with -EINTR */
};

struct gen_stats {
	unsigned units, intel, amd;
	unsigned devices; /* PCI functions in sys/bus/pci/devices (AMD IOMMU functions included) */
	unsigned behind;  /* PCI functions behind an IOMMU unit, each in a group of its own */
	unsigned groups;
	size_t files, links, dirs;
	unsigned long long bytes;
};

/* Is unit i (0-based) an AMD-Vi unit under these options? */
bool gen_unit_is_amd(const struct gen_opts *o, unsigned i);

/*
 * Write the tree under root, an existing empty directory: sys/, proc/ and dev/ with real
 * symbolic links carrying the kernel's relative targets. Returns 0 or a negative errno.
 */
int gen_tree(const char *root, const struct gen_opts *o, struct gen_stats *ret);

/* Remove root and everything under it, without following links. */
int gen_rm_tree(const char *root);
