/* libiommucap: what the host's IOMMUs can do, read from sysfs under one root. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "vocab.h"

#define IOMMUCAP_SCHEMA_VERSION 1

/* The vendor-neutral model names; the number is the model_id of the host document. */
enum iommucap_model {
	IOMMUCAP_MODEL_UNKNOWN = 0,
	IOMMUCAP_MODEL_INTEL_VTD = 1, /* the 2018 proposal's numbering */
	IOMMUCAP_MODEL_ARM_SMMU_V3 = 2,
	IOMMUCAP_MODEL_AMD_VI = 3, /* 3 and up: assigned by this project */
	IOMMUCAP_MODEL_ARM_SMMU = 4,
	IOMMUCAP_MODEL_VIRTIO_IOMMU = 5,
	IOMMUCAP_MODEL_APPLE_DART = 6,
	IOMMUCAP_MODEL_RISCV = 7,
	IOMMUCAP_MODEL_S390 = 8,
	IOMMUCAP_MODEL_SPAPR_TCE = 9,
	_IOMMUCAP_MODEL_MAX,
};

const char *iommucap_model_name(enum iommucap_model m);

/* Where a capability value came from; UNKNOWN means the value is not known. */
enum iommucap_source {
	IOMMUCAP_SRC_UNKNOWN = 0,
	IOMMUCAP_SRC_REGISTER, /* decoded from a vendor register */
	IOMMUCAP_SRC_PROPERTY, /* a proposal property file */
	IOMMUCAP_SRC_DEFAULT,  /* the proposal's default for an absent property file */
	IOMMUCAP_SRC_MODEL,    /* a fact of the IOMMU architecture */
	IOMMUCAP_SRC_DRIVER,   /* a fact of the Linux driver for this model */
	IOMMUCAP_SRC_FIRMWARE, /* an ACPI table */
	IOMMUCAP_SRC_CMDLINE,  /* narrowed by a kernel command-line option */
	IOMMUCAP_SRC_IOMMUFD,  /* the kernel's own answer: iommufd IOMMU_GET_HW_INFO */
	_IOMMUCAP_SRC_MAX,
};

const char *iommucap_source_name(enum iommucap_source s);

enum iommucap_cap_type {
	IOMMUCAP_T_INT,
	IOMMUCAP_T_BOOL,
	IOMMUCAP_T_ENUM, /* one of the capability's names (iommucap_cap_info()->names) */
	IOMMUCAP_T_INT_LIST,
	IOMMUCAP_T_STR_LIST,
};

/* The capabilities block, in the order the host document prints it (lib/capabilities.def). */
enum iommucap_cap {
#define CAP(kind, id, key, type, doc, ...) IOMMUCAP_##id = (doc),
#include "capabilities.def"
#undef CAP
#define CAP(...) +1
	_IOMMUCAP_CAP_MAX = 0
#include "capabilities.def"
#undef CAP
};

/* What a requirement asks of a capability (the catalogue's kind). */
enum iommucap_req_kind {
	IOMMUCAP_REQ_NONE,
	IOMMUCAP_REQ_MIN,     /* min.KEY: at least this wide */
	IOMMUCAP_REQ_FEATURE, /* features.KEY: present or absent */
	IOMMUCAP_REQ_ENUM,    /* features.KEY: one of the capability's names */
	IOMMUCAP_REQ_SET,     /* KEY: a subset of the unit's list */
	IOMMUCAP_REQ_PASID,   /* pasid_table.model: one of the unit's PASID-table formats */
};

/* Whether a guest sees the capability, for fleet compare and baseline (lib/fleet.c). */
enum iommucap_guest {
	IOMMUCAP_GUEST_NO,     /* host-internal: never compared */
	IOMMUCAP_GUEST_ALL,    /* compared whatever the model */
	IOMMUCAP_GUEST_SMMUV3, /* compared on arm-smmu-v3 units (and units of unknown model) */
};

/* A row of the catalogue. */
struct iommucap_cap_info {
	const char *name; /* JSON key */
	enum iommucap_cap_type type;
	const char *const *names; /* ENUM: the value's names, NULL-terminated (lib/vocab.h) */
	enum iommucap_req_kind req;
	const char *req_path; /* "min.ssid_bits", "features.ats", "page_sizes"; NULL for none */
	int64_t req_max;      /* the widest a minimum may ask */
	enum iommucap_guest guest;
	bool migratable; /* a guest that can still migrate relies on it (fleet --migratable) */
	const char *metric, *metric_label, *metric_help; /* Prometheus */
	const char *column, *column_help;		 /* iommuctl show */
	const char *unit;				 /* "bits", "bytes" or NULL */
};

const struct iommucap_cap_info *iommucap_cap_info(enum iommucap_cap c);
/* The capabilities in the catalogue's (the requirement document's) order. */
extern const enum iommucap_cap iommucap_caps_in_order[_IOMMUCAP_CAP_MAX];

/* A list of strings or numbers, owned. */
struct iommucap_list {
	size_t n;
	uint64_t *nums;
	char **strs;
};

/* One capability: known (source != UNKNOWN) with a value, or unknown with a reason. */
struct iommucap_capval {
	enum iommucap_source source;
	char *reason;
	int64_t num; /* INT, BOOL, and ENUM (an index of the capability's names) */
	struct iommucap_list list;
};

/* One decoded register field or property in the unit's per-register view. */
enum iommucap_field_kind {
	IOMMUCAP_FIELD_NUM, /* a number printed in decimal */
	IOMMUCAP_FIELD_HEX, /* a number printed as a "0x…" string */
	IOMMUCAP_FIELD_STR, /* a string kept as read */
};

struct iommucap_field {
	const char *group; /* register or property-directory name, static or group_owned */
	char *group_owned;
	const char *name; /* static, or name_owned */
	char *name_owned;
	enum iommucap_field_kind kind;
	uint64_t num;
	char *str;
};

/* A raw register value kept verbatim; unknown when it could not be read or parsed. */
struct iommucap_raw {
	const char *name; /* static */
	bool known;
	uint64_t value;
	char *reason; /* when !known */
};

#define IOMMUCAP_MAX_RAW 8 /* SMMUv3: IDR0-IDR5, IIDR, AIDR */

struct iommucap_unit {
	char *name;
	enum iommucap_model model;
	int model_id;	    /* usually == model; a property file may carry an unknown number */
	char *path;	    /* sysfs path of the class device, relative to the root */
	char *property_dir; /* the proposal property directory, when there is one */
	struct iommucap_raw raw[IOMMUCAP_MAX_RAW];
	size_t n_raw;
	struct iommucap_field *fields;
	size_t n_fields, n_fields_alloc;
	struct iommucap_capval caps[_IOMMUCAP_CAP_MAX];
	char **devices; /* names of the devices/ links; NULL in a summary (n_devices is set) */
	size_t n_devices;
	char *hw_info_from; /* the device whose IOMMU_GET_HW_INFO gave the registers, or NULL */
};

struct iommucap_resv_region {
	uint64_t start, end; /* end inclusive, as the kernel prints it */
	char *type;
};

struct iommucap_group {
	int id;
	char *type; /* NULL when unreadable */
	char *type_reason;
	struct iommucap_resv_region *resv;
	size_t n_resv;
	char *resv_reason; /* set when reserved_regions could not be read or parsed */
	char **devices;
	size_t n_devices;
};

/* A three-valued small integer or flag, with the reason when unknown. */
struct iommucap_tri {
	bool known;
	int64_t value;
	char *reason;
};

/* What iommufd's IOMMU_GET_HW_INFO said for one device, or why it was not asked. */
struct iommucap_hwinfo {
	bool tried; /* the device has a VFIO cdev (or the capture a hw_info file) */
	bool read;  /* the kernel answered; otherwise reason says why not */
	char *reason;
	uint32_t data_type;			  /* enum iommu_hw_info_type */
	bool capabilities_known, max_pasid_known; /* what this kernel reports (6.7, 6.15) */
	uint64_t capabilities;			  /* enum iommufd_hw_capabilities */
	int max_pasid_log2;
	uint8_t data[64]; /* the type's structure as the kernel wrote it (little-endian) */
	size_t data_len;
};

struct iommucap_device {
	char *address;
	char *unit; /* name of the IOMMU unit, NULL when none */
	int group;  /* -1 when none */
	char *driver;
	uint32_t vendor, device_id, class_code;
	bool have_ids;
	bool missing;	 /* its sysfs directory does not exist (a dangling link) */
	bool config_ext; /* extended configuration space was readable */
	char *config_reason;
	struct iommucap_tri pasid, pasid_width, pasid_exec, pasid_priv;
	struct iommucap_tri ats, ats_queue_depth;
	struct iommucap_tri pri, pri_max_requests;
	struct iommucap_tri acs, acs_caps;
	struct iommucap_tri effective_pasid_bits;
	struct iommucap_hwinfo hw_info;
};

struct iommucap_firmware;

struct iommucap_kv {
	char *key;
	char *value; /* NULL for a bare flag */
};

struct iommucap_hostinfo {
	char *hostname;
	char *machine_id;
	char *kernel_release;
	int kernel_major, kernel_minor; /* -1 when unknown */
	struct iommucap_kv *cmdline;
	size_t n_cmdline;
	bool cmdline_known;
	char *cpu_vendor;
	bool cpu_flags_known;
	char *cpu_flags_reason;
	bool cpu_flags[_IOMMUCAP_CPU_FLAG_MAX];
	bool dev_iommu, dev_vfio;
	struct iommucap_firmware *firmware; /* what the ACPI tables say (lib/acpi.h), or NULL */
	char *domain_type; /* the groups' default-domain type, "mixed", or NULL (no groups) */
	char *domain_mode; /* passthrough, strict, lazy, ... derived from domain_type */
	char *domain_reason;
};

struct iommucap_host {
	int64_t generated_at; /* seconds since the epoch: when probed (SOURCE_DATE_EPOCH if set) */
	char *generator;      /* "iommu-capd VERSION" of a document read back, NULL when probed */
	struct iommucap_hostinfo info;
	struct iommucap_unit *units;
	size_t n_units;
	struct iommucap_group *groups;
	size_t n_groups;
	struct iommucap_device *devices;
	size_t n_devices;
	char **warnings; /* one line each: what could not be read and why */
	size_t n_warnings;
};

/* The root every path is read under. */
struct iommucap_root;

int iommucap_root_open(const char *sysroot, struct iommucap_root **ret);
struct iommucap_root *iommucap_root_free(struct iommucap_root *r);

/* Probe everything; the host is complete even when parts could not be read (see warnings). */
int iommucap_probe(struct iommucap_root *root, struct iommucap_host **ret);

/* What changed in the tree since the model was made: the entries seen to come, go or change. */
struct iommucap_change {
	char *const *devices; /* PCI bus addresses (sys/bus/pci/devices) */
	size_t n_devices;
	char *const *units; /* IOMMU unit names (sys/class/iommu) */
	size_t n_units;
	const int *groups; /* IOMMU group numbers (sys/kernel/iommu_groups) */
	size_t n_groups;
};

/*
 * Follow a change without probing everything: each device is read again with the units and
 * groups it was and is in; each unit whole (or dropped), each group, and the PCI devices either
 * listed before or lists now; then h is patched. -EAGAIN when the change is not one this
 * follows (a warning before or after, iommufd hw_info, bytes to escape, more than 256 devices
 * in all, a link naming what is not re-read): then probe everything. ret_before and ret_after
 * (when not NULL) get {"units", "devices", "groups"} of what it touched, before and after, as
 * the host document has them.
 */
int iommucap_host_update(struct iommucap_root *r, struct iommucap_host *h,
			 const struct iommucap_change *c, json_t **ret_before, json_t **ret_after);

/* Now in seconds since the epoch, or SOURCE_DATE_EPOCH when set (reproducible tests, builds). */
int64_t iommucap_now(void);

struct iommucap_host *iommucap_host_free(struct iommucap_host *h);

const struct iommucap_unit *iommucap_host_find_unit(const struct iommucap_host *h,
						    const char *name);

/* The host document (schema/host.schema.json). */
int iommucap_host_to_json(const struct iommucap_host *h, json_t **ret);
int iommucap_unit_to_json(const struct iommucap_unit *u, json_t **ret);
/*
 * A unit without its registers, field view and device names, with "n_devices" instead, and
 * its capabilities without reasons and sources (the interface's UnitSummary): what a table of
 * units prints.
 */
int iommucap_unit_summary_to_json(const struct iommucap_unit *u, json_t **ret);
int iommucap_group_to_json(const struct iommucap_group *g, json_t **ret);
int iommucap_device_to_json(const struct iommucap_device *d, json_t **ret);

/*
 * The document's members before its arrays (schema_version, generated_at, generator, host): the
 * interface's HostHead.
 */
int iommucap_host_head_to_json(const struct iommucap_host *h, json_t **ret);

/*
 * The same document written to f member by member, with jansson's flags (compact only: no
 * JSON_INDENT): one unit, group or device is a tree at a time, never the whole host.
 */
int iommucap_host_write_json(const struct iommucap_host *h, FILE *f, size_t flags);
/*
 * Only its "units", "groups" or "devices" array, the same way; "unit_summaries" is the units
 * array of iommucap_unit_summary_to_json, "device_summaries" the devices with only their
 * address, unit and group (the interface's DeviceUnit).
 */
int iommucap_host_write_array(const struct iommucap_host *h, const char *key, FILE *f,
			      size_t flags);

/*
 * The units as the interface's ListUnitRows has them: "capability_sets":[...],"units":[...] (two
 * members of an object, without its braces). Each distinct set of capability values (as a
 * summary has them) is written once, and each unit's summary has "capability_set", the index
 * of its set, for its capabilities; with devices, also "devices", the unit's device names.
 */
int iommucap_host_write_unit_rows(const struct iommucap_host *h, bool devices, FILE *f,
				  size_t flags);

/* The host document's arrays. */
enum iommucap_host_array {
	IOMMUCAP_HOST_UNITS,
	IOMMUCAP_HOST_GROUPS,
	IOMMUCAP_HOST_DEVICES,
	_IOMMUCAP_HOST_ARRAY_MAX,
};

/* The array's key in the document ("units"), and the member that names each of its elements
 * ("name"): what tells a changed element from an added one. */
const char *iommucap_host_array_key(enum iommucap_host_array a);
const char *iommucap_host_array_identity(enum iommucap_host_array a);

/*
 * Read a host document back (one printed by iommucap_host_to_json, or stored): -EINVAL with a
 * message naming the path of the first bad field ("units/0/capabilities/ssid_bits: ...").
 */
int iommucap_host_from_json(json_t *doc, struct iommucap_host **ret, char **ret_error);

/*
 * A host of only units (and warnings, when not NULL): an array of units as the document has
 * them, or of their summaries (iommucap_unit_summary_to_json: devices NULL, n_devices their
 * number, no reasons, every known capability's source "register"). Enough for a table of
 * units, not for checks.
 */
int iommucap_host_from_units(json_t *units, json_t *warnings, bool summaries,
			     struct iommucap_host **ret, char **ret_error);

/*
 * A host of the parts a table needs, as the daemon's methods send them; each may be NULL (not
 * asked for). units: whole units (ListUnits), their summaries (unit_summaries), or, with
 * capability_sets, the rows of iommucap_host_write_unit_rows (each row's capabilities are the
 * set its "capability_set" names; the rows are changed in place; a row's "devices", when it has
 * them, are the unit's device names); devices: whole, or with device_summaries only their
 * address, unit and group; groups; warnings.
 */
struct iommucap_host_parts {
	json_t *units, *capability_sets, *devices, *groups, *warnings;
	bool unit_summaries, device_summaries;
};

int iommucap_host_from_parts(const struct iommucap_host_parts *p, struct iommucap_host **ret,
			     char **ret_error);
/*
 * Add the parts of one more reply to h, read as iommucap_host_from_parts reads them, after what
 * h has: a list asked for with 'more' comes an element a reply, and each is read into the model
 * as it arrives, never the whole list as one JSON tree.
 */
int iommucap_host_add_parts(struct iommucap_host *h, const struct iommucap_host_parts *p,
			    char **ret_error);

/* One capability's value as the document prints it: null when unknown, NULL on no memory. */
json_t *iommucap_capval_to_json(const struct iommucap_unit *u, enum iommucap_cap c);

/* Cleanup helpers. */
static inline void iommucap_root_freep(struct iommucap_root **r)
{
	iommucap_root_free(*r);
}
static inline void iommucap_host_freep(struct iommucap_host **h)
{
	iommucap_host_free(*h);
}
