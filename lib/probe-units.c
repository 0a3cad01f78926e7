/* IOMMU units: the entries of sys/class/iommu, their model and their decoder. */
#include "config.h"

#include <sys/stat.h>

#include "acpi.h"
#include "ksem.h"
#include "model.h"
#include "probe.h"
#include "sysfs.h"

#define VIRTIO_ID_IOMMU 23

static const struct {
	const char *prefix;
	enum iommucap_model model;
} name_prefixes[] = {
	{ "smmu3.", IOMMUCAP_MODEL_ARM_SMMU_V3 },
	{ "smmu.", IOMMUCAP_MODEL_ARM_SMMU },
	{ "apple-dart.", IOMMUCAP_MODEL_APPLE_DART },
	{ "riscv-iommu@", IOMMUCAP_MODEL_RISCV },
	{ "s390-iommu.", IOMMUCAP_MODEL_S390 },
	{ "iommu-phb", IOMMUCAP_MODEL_SPAPR_TCE },
	/* The drivers' own names, for units whose attribute directory is missing. */
	{ "dmar", IOMMUCAP_MODEL_INTEL_VTD },
	{ "ivhd", IOMMUCAP_MODEL_AMD_VI },
};

/* A unit whose parent device is a virtio device with device id 23 is a virtio-iommu. */
static bool is_virtio_iommu(struct iommucap_root *r, const char *dir)
{
	_cleanup_free_ char *parent = NULL, *reason = NULL;
	uint64_t id;

	if (sysfs_resolve_link(r, dir, "device", &parent) < 0)
		return false;
	if (attr_read_hex(r, parent, "device", &id, &reason) < 0)
		return false;
	return id == VIRTIO_ID_IOMMU && strstr(parent, "/virtio");
}

/* The proposal's property directory: a subdirectory holding a "model" file. */
static int find_property_dir(struct iommucap_root *r, const char *dir, char **ret)
{
	char **names = NULL;
	size_t n = 0;
	int k = sysfs_list_dirs(r, dir, &names, &n);

	*ret = NULL;
	if (k < 0)
		return k == -ENOMEM ? k : 0;
	for (size_t i = 0; i < n && !*ret; i++) {
		_cleanup_free_ char *sub = path_join(dir, names[i]);
		_cleanup_free_ char *m = sub ? path_join(sub, "model") : NULL;
		struct stat st;

		if (!m) {
			k = -ENOMEM;
			break;
		}
		/* The class device's own and the vendor drivers' directories hold no model file. */
		if (streq(names[i], "devices") || streq(names[i], "power") ||
		    streq(names[i], "subsystem") || streq(names[i], "device") ||
		    streq(names[i], "intel-iommu") || streq(names[i], "amd-iommu"))
			continue;
		if (sysfs_stat(r, m, &st) == 0 && S_ISREG(st.st_mode)) {
			*ret = strdup(names[i]);
			if (!*ret)
				k = -ENOMEM;
		}
	}
	strv_free(names, n);
	return k < 0 ? k : 0;
}

int probe_unit(struct iommucap_root *r, struct iommucap_host *h, struct iommucap_unit *u)
{
	_cleanup_free_ char *propdir = NULL, *devdir = NULL;
	const char *dir;
	int k;

	k = sysfs_resolve_link(r, "sys/class/iommu", u->name, &u->path);
	if (k == -ENOMEM)
		return k;
	if (k < 0) {
		/* A real directory (not a link) is fine too; anything else is reported. */
		u->path = path_join("sys/class/iommu", u->name);
		if (!u->path)
			return -ENOMEM;
		if (!sysfs_is_dir(r, "sys/class/iommu", u->name) &&
		    host_warn(h, "%s: class entry is neither a link nor a directory: %s", u->name,
			      strerror(-k)) < 0)
			return -ENOMEM;
	}
	dir = u->path;

	/* Opened (and kept in the directory cache) rather than stat()ed from its parent: the
	 * attributes below are read from it next. */
	if (!sysfs_dir_ok(r, dir)) {
		for (size_t i = 0; i < ELEMENTSOF(name_prefixes); i++)
			if (startswith(u->name, name_prefixes[i].prefix)) {
				u->model = name_prefixes[i].model;
				break;
			}
		u->model_id = (int)u->model;
		if (host_warn(h, "%s: class entry points to /%s, which does not exist", u->name,
			      dir) < 0)
			return -ENOMEM;
		return caps_unknown_rest(u, "the unit's sysfs directory does not exist");
	}

	bool has_intel = sysfs_is_dir(r, dir, "intel-iommu");
	bool has_amd = !has_intel && sysfs_is_dir(r, dir, "amd-iommu");
	const char *attrs = NULL;

	if (has_intel)
		u->model = IOMMUCAP_MODEL_INTEL_VTD;
	else if (has_amd)
		u->model = IOMMUCAP_MODEL_AMD_VI;
	else if (sysfs_is_dir(r, dir, "spapr-tce-iommu"))
		u->model = IOMMUCAP_MODEL_SPAPR_TCE;
	else {
		for (size_t i = 0; i < ELEMENTSOF(name_prefixes); i++)
			if (startswith(u->name, name_prefixes[i].prefix)) {
				u->model = name_prefixes[i].model;
				break;
			}
		if (u->model == IOMMUCAP_MODEL_UNKNOWN && is_virtio_iommu(r, dir))
			u->model = IOMMUCAP_MODEL_VIRTIO_IOMMU;
	}
	u->model_id = (int)u->model;

	if (has_intel)
		k = decode_vtd(r, h, u, dir, h);
	else if (has_amd)
		k = decode_amdvi(r, h, u, dir, h);
	else if (u->model == IOMMUCAP_MODEL_INTEL_VTD)
		attrs = "intel-iommu";
	else if (u->model == IOMMUCAP_MODEL_AMD_VI)
		attrs = "amd-iommu";
	if (k < 0 && k != -ENOENT && k != -ENOTDIR && k != -EINVAL)
		return k;
	if (attrs) {
		/* Named like a VT-d or AMD-Vi unit, but the driver's attributes are not there. */
		_cleanup_free_ char *why = NULL;

		if (asprintf(&why, "%s/ is missing: the registers are unknown", attrs) < 0 ||
		    host_warn(h, "%s: %s", u->name, why) < 0 || caps_unknown_rest(u, why) < 0)
			return -ENOMEM;
	}

	k = find_property_dir(r, dir, &propdir);
	if (k < 0)
		return k;
	if (propdir) {
		k = decode_properties(r, u, dir, propdir, h);
		if (k < 0)
			return k;
	}
	k = decode_generic(u);
	if (k >= 0)
		k = acpi_unit_pass(h, u);
	if (k < 0)
		return k;

	devdir = path_join(dir, "devices");
	if (!devdir)
		return -ENOMEM;
	k = sysfs_list(r, devdir, &u->devices, &u->n_devices);
	strv_sort(u->devices, u->n_devices);
	if (k == -ENOMEM)
		return k;
	if (k < 0 && k != -ENOENT &&
	    host_warn(h, "%s: cannot list devices: %s", u->name, strerror(-k)) < 0)
		return -ENOMEM;
	return 0;
}

int probe_units(struct iommucap_root *r, struct iommucap_host *h)
{
	char **names = NULL;
	size_t n = 0;
	int k = sysfs_list(r, "sys/class/iommu", &names, &n);

	if (k == -ENOENT)
		return 0; /* no IOMMU class: no IOMMU driver registered anything */
	if (k < 0)
		return k == -ENOMEM ? k
				    : host_warn(h, "cannot list sys/class/iommu: %s", strerror(-k));
	h->units = calloc(n ? n : 1, sizeof(*h->units));
	if (!h->units) {
		strv_free(names, n);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct iommucap_unit *u = &h->units[h->n_units++];

		u->name = TAKE_PTR(names[i]);
		k = probe_unit(r, h, u);
		if (k < 0)
			break;
	}
	strv_free(names, n);
	if (k >= 0)
		k = iommucap_host_pass(h);
	return k < 0 ? k : 0;
}
