/* Enumeration: IOMMU units, groups and PCI devices, and the probe that ties them together. */
#include "config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

#include "model.h"
#include "parse.h"
#include "regs-pci.h"
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

static int probe_unit(struct iommucap_root *r, struct iommucap_host *h, struct iommucap_unit *u)
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

	struct stat st;
	if (sysfs_stat(r, dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
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
		k = vtd_host_pass(h);
	return k < 0 ? k : 0;
}

static int parse_resv(struct iommucap_group *g, char *text)
{
	char *save = NULL;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct iommucap_resv_region *nr;
		uint64_t start, end;
		char *type;
		int k = parse_resv_region(line, &start, &end, &type);

		if (k == -ENOMEM)
			return k;
		if (k < 0) {
			_cleanup_free_ char *ex = value_excerpt(line);

			if (asprintf(&g->resv_reason, "reserved_regions has a malformed line: %s",
				     ex ? ex : "?") < 0)
				return -ENOMEM;
			return -EINVAL;
		}
		nr = realloc(g->resv, (g->n_resv + 1) * sizeof(*nr));
		if (!nr) {
			free(type);
			return -ENOMEM;
		}
		g->resv = nr;
		g->resv[g->n_resv++] = (struct iommucap_resv_region){ start, end, type };
	}
	return 0;
}

static int probe_group(struct iommucap_root *r, struct iommucap_host *h, struct iommucap_group *g,
		       const char *dir)
{
	_cleanup_free_ char *resv = NULL, *resv_path = path_join(dir, "reserved_regions");
	_cleanup_free_ char *devdir = path_join(dir, "devices");
	char *reason = NULL;
	size_t len = 0;
	int k;

	if (!devdir || !resv_path)
		return -ENOMEM;
	k = attr_read(r, dir, "type", &g->type, &reason);
	if (k == -ENOMEM)
		return k;
	if (k < 0) {
		g->type = NULL;
		g->type_reason = reason;
		if (host_warn(h, "group %d: %s", g->id, reason ? reason : "type unreadable") < 0)
			return -ENOMEM;
	}

	k = sysfs_read(r, resv_path, 64 * 1024, &resv, &len);
	if (k == -ENOMEM)
		return k;
	if (k >= 0 && memchr(resv, 0, len))
		k = -EBADMSG;
	if (k >= 0)
		k = parse_resv(g, resv);
	else if (asprintf(&g->resv_reason, "cannot read reserved_regions: %s", strerror(-k)) < 0)
		return -ENOMEM;
	if (k == -ENOMEM)
		return k;
	if (k < 0 && host_warn(h, "group %d: %s", g->id, g->resv_reason) < 0)
		return -ENOMEM;

	k = sysfs_list(r, devdir, &g->devices, &g->n_devices);
	strv_sort(g->devices, g->n_devices);
	if (k == -ENOMEM)
		return k;
	if (k < 0 && host_warn(h, "group %d: cannot list devices: %s", g->id, strerror(-k)) < 0)
		return -ENOMEM;
	return 0;
}

int probe_groups(struct iommucap_root *r, struct iommucap_host *h)
{
	char **names = NULL;
	size_t n = 0;
	int k = sysfs_list(r, "sys/kernel/iommu_groups", &names, &n);

	if (k == -ENOENT)
		return 0;
	if (k < 0)
		return k == -ENOMEM ? k
				    : host_warn(h, "cannot list sys/kernel/iommu_groups: %s",
						strerror(-k));
	h->groups = calloc(n ? n : 1, sizeof(*h->groups));
	if (!h->groups) {
		strv_free(names, n);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *dir = path_join("sys/kernel/iommu_groups", names[i]);
		struct iommucap_group *g;
		uint64_t id;

		if (!dir) {
			k = -ENOMEM;
			break;
		}
		if (parse_dec_u64(names[i], &id) < 0 || id > INT32_MAX) {
			k = host_warn(h,
				      "sys/kernel/iommu_groups/%s is not a group number; ignored",
				      names[i]);
			if (k < 0)
				break;
			continue;
		}
		g = &h->groups[h->n_groups++];
		g->id = (int)id;
		k = probe_group(r, h, g, dir);
		if (k < 0)
			break;
	}
	strv_free(names, n);
	return k < 0 ? k : 0;
}

/* The last path component of a resolved link (unit name, driver name, group number). */
static int link_name(struct iommucap_root *r, const char *dir, const char *name, char **ret)
{
	_cleanup_free_ char *target = NULL;
	int k = sysfs_resolve_link(r, dir, name, &target);

	if (k < 0)
		return k;
	*ret = strdup(path_basename(target));
	return *ret ? 0 : -ENOMEM;
}

/*
 * On a live system every dword of "config" is a configuration-space access (about a
 * millisecond for 4 KiB under a hypervisor): read the header, then only the extended
 * capabilities' headers and the registers pci_parse_config() looks at.
 */
static int read_config_sparse(int fd, uint8_t *cfg, size_t *ret_len)
{
	unsigned ttl = (PCI_CFG_SPACE_EXP_SIZE - PCI_CFG_SPACE_SIZE) / 8;
	size_t off = PCI_CFG_SPACE_SIZE;
	ssize_t n = pread(fd, cfg, PCI_CFG_HEADER_SIZE, 0);

	if (n < 0)
		return -errno;
	if (n < PCI_CFG_HEADER_SIZE) {
		*ret_len = (size_t)n;
		return 0;
	}
	/* Without CAP_SYS_ADMIN the kernel serves 64 bytes; a conventional function has 256. */
	n = pread(fd, cfg + off, 12, (off_t)off);
	if (n < 0)
		return -errno;
	if (n == 0) {
		n = pread(fd, cfg + PCI_CFG_HEADER_SIZE, 1, PCI_CFG_HEADER_SIZE);
		*ret_len = n == 1 ? PCI_CFG_SPACE_SIZE : PCI_CFG_HEADER_SIZE;
		return 0;
	}
	*ret_len = PCI_CFG_SPACE_EXP_SIZE;
	while (ttl-- > 0) {
		uint32_t h = (uint32_t)cfg[off] | (uint32_t)cfg[off + 1] << 8 |
			     (uint32_t)cfg[off + 2] << 16 | (uint32_t)cfg[off + 3] << 24;

		if (h == 0 || h == 0xffffffff)
			break;
		off = PCI_EXT_CAP_NEXT(h);
		if (off < PCI_CFG_SPACE_SIZE || off + 12 > PCI_CFG_SPACE_EXP_SIZE)
			break;
		/* The header and the registers after it (ATS/PASID/ACS at +4, PRI at +8). */
		if (pread(fd, cfg + off, 12, (off_t)off) != 12)
			break;
	}
	return 0;
}

static int probe_config(struct iommucap_root *r, struct iommucap_device *d, const char *dir)
{
	_cleanup_free_ char *path = path_join(dir, "config"), *cfg = NULL;
	size_t len = 0;
	int k;

	if (!path)
		return -ENOMEM;
	if (r->confined) {
		/* A captured tree: a plain file, cheapest read whole. */
		k = sysfs_read(r, path, SYSFS_CONFIG_MAX, &cfg, &len);
	} else {
		_cleanup_close_ int fd = sysfs_open(r, path, O_RDONLY);

		k = fd;
		if (fd >= 0) {
			cfg = calloc(1, PCI_CFG_SPACE_EXP_SIZE);
			k = cfg ? read_config_sparse(fd, (uint8_t *)cfg, &len) : -ENOMEM;
		}
	}
	if (k == -ENOMEM)
		return k;
	if (k < 0) {
		if (k == -ENOENT)
			k = asprintf(&d->config_reason, "no config file");
		else
			k = asprintf(&d->config_reason, "cannot read config: %s", strerror(-k));
		return k < 0 ? -ENOMEM : 0;
	}
	return pci_parse_config(d, (const uint8_t *)cfg, len);
}

/*
 * What the units' and groups' devices/ listings already say about a device: the kernel makes
 * the device's "iommu" link together with the unit's devices/<dev> link (iommu_device_link(),
 * drivers/iommu/iommu-sysfs.c, since 3.17) and its "iommu_group" link together with the
 * group's devices/<dev> link (iommu_group_add_device(), later iommu_group_alloc_device(),
 * drivers/iommu/iommu.c, since 3.5). A device listed by exactly one unit (one group) needs
 * that link read no more; otherwise, or when it is listed by none, the link is read.
 */
struct listed {
	const char *unit;
	int group;
	unsigned n_units, n_groups;
};

static int probe_device(struct iommucap_root *r, struct iommucap_host *h, struct iommucap_device *d,
			const struct listed *l)
{
	_cleanup_free_ char *dir = NULL, *reason = NULL, *group = NULL;
	uint64_t v;
	int k;

	/* The bus link itself is the device's directory; a flattened link file is resolved. */
	dir = path_join("sys/bus/pci/devices", d->address);
	if (!dir)
		return -ENOMEM;
	d->group = -1;
	if (!sysfs_dir_ok(r, dir)) {
		_cleanup_free_ char *target = NULL;

		k = sysfs_resolve_link(r, "sys/bus/pci/devices", d->address, &target);
		if (k == -ENOMEM)
			return k;
		if (k >= 0) {
			free(dir);
			dir = TAKE_PTR(target);
		}
	}
	if (!sysfs_dir_ok(r, dir)) {
		if (host_warn(h, "%s: the device's sysfs directory /%s does not exist", d->address,
			      dir) < 0 ||
		    asprintf(&d->config_reason, "the device's sysfs directory does not exist") < 0)
			return -ENOMEM;
		d->missing = true;
		return 0;
	}

	if (l->n_units == 1) {
		d->unit = strdup(l->unit);
		if (!d->unit)
			return -ENOMEM;
	} else if ((k = link_name(r, dir, "iommu", &d->unit)) == -ENOMEM)
		return k;
	if (l->n_groups == 1)
		d->group = l->group;
	else if ((k = link_name(r, dir, "iommu_group", &group)) == -ENOMEM)
		return k;
	else if (k >= 0) {
		if (parse_dec_u64(group, &v) >= 0 && v <= INT32_MAX)
			d->group = (int)v;
		else if (host_warn(h, "%s: iommu_group link does not name a group", d->address) < 0)
			return -ENOMEM;
	}
	k = link_name(r, dir, "driver", &d->driver);
	if (k == -ENOMEM)
		return k;

	/* Identity: vendor, device and class are world-readable attributes. */
	d->have_ids = true;
	if (attr_read_hex(r, dir, "vendor", &v, &reason) >= 0)
		d->vendor = (uint32_t)v;
	else
		d->have_ids = false;
	free(reason);
	reason = NULL;
	if (attr_read_hex(r, dir, "device", &v, &reason) >= 0)
		d->device_id = (uint32_t)v;
	else
		d->have_ids = false;
	free(reason);
	reason = NULL;
	if (attr_read_hex(r, dir, "class", &v, &reason) >= 0)
		d->class_code = (uint32_t)v;
	else
		d->have_ids = false;

	return probe_config(r, d, dir);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The members of a unit (unit set) or of a group, counted against the sorted device names. */
static void mark_listed(struct listed *listed, char **names, size_t n, char **members, size_t m,
			const char *unit, int group)
{
	for (size_t j = 0; n > 0 && j < m; j++) {
		char **p = bsearch(&members[j], names, n, sizeof(char *), cmp_name);
		struct listed *l = p ? &listed[p - names] : NULL;

		if (l && unit) {
			l->unit = unit;
			l->n_units++;
		} else if (l) {
			l->group = group;
			l->n_groups++;
		}
	}
}

int probe_devices(struct iommucap_root *r, struct iommucap_host *h)
{
	_cleanup_free_ struct listed *listed = NULL;
	char **names = NULL;
	size_t n = 0;
	int k = sysfs_list(r, "sys/bus/pci/devices", &names, &n);

	strv_sort(names, n);

	if (k == -ENOENT)
		return 0; /* no PCI bus */
	if (k < 0)
		return k == -ENOMEM
			       ? k
			       : host_warn(h, "cannot list sys/bus/pci/devices: %s", strerror(-k));
	h->devices = calloc(n ? n : 1, sizeof(*h->devices));
	listed = calloc(n ? n : 1, sizeof(*listed));
	if (!h->devices || !listed) {
		strv_free(names, n);
		return -ENOMEM;
	}
	for (size_t i = 0; i < h->n_units; i++)
		mark_listed(listed, names, n, h->units[i].devices, h->units[i].n_devices,
			    h->units[i].name, -1);
	for (size_t i = 0; i < h->n_groups; i++)
		mark_listed(listed, names, n, h->groups[i].devices, h->groups[i].n_devices, NULL,
			    h->groups[i].id);
	for (size_t i = 0; i < n; i++) {
		struct iommucap_device *d = &h->devices[h->n_devices++];

		d->address = names[i];
		k = probe_device(r, h, d, &listed[i]);
		if (k < 0)
			break;
	}
	/* The names are now the devices' addresses; only the rest (after an error) are freed. */
	for (size_t i = h->n_devices; i < n; i++)
		free(names[i]);
	free(names);
	return k < 0 ? k : 0;
}

/* Effective PASID width: the smaller of the device's and its unit's; 0 on either side wins. */
static int device_effective_pasid(const struct iommucap_host *h, struct iommucap_device *d)
{
	const struct iommucap_unit *u = d->unit ? iommucap_host_find_unit(h, d->unit) : NULL;

	if (d->missing)
		return tri_unknown(&d->effective_pasid_bits, d->config_reason);
	const struct iommucap_capval *ssid = u ? &u->caps[IOMMUCAP_SSID_BITS] : NULL;
	bool unit_known = ssid && ssid->source != IOMMUCAP_SRC_UNKNOWN;
	bool dev_known = d->pasid.known && (!d->pasid.value || d->pasid_width.known);
	int64_t dev_bits = d->pasid.value ? d->pasid_width.value : 0;

	if (!d->unit)
		return tri_set(&d->effective_pasid_bits, 0); /* no IOMMU translates it */
	/* The kernel's own answer (iommufd out_max_pasid_log2, 6.15):
	 * ilog2(dev->iommu->max_pasids), the width the IOMMU driver enabled for this device, 0 when
	 * it enabled none. */
	if (d->hw_info.read && d->hw_info.max_pasid_known)
		return tri_set(&d->effective_pasid_bits, d->hw_info.max_pasid_log2);
	if (!u)
		return tri_unknown(&d->effective_pasid_bits, "its IOMMU unit is not listed");
	if ((unit_known && ssid->num == 0) || (dev_known && dev_bits == 0))
		return tri_set(&d->effective_pasid_bits, 0);
	if (!unit_known)
		return tri_unknown(&d->effective_pasid_bits, "the unit's ssid_bits is unknown");
	if (!dev_known)
		return tri_unknown(&d->effective_pasid_bits,
				   d->pasid.reason ? d->pasid.reason
						   : "the device's PASID capability is unknown");
	return tri_set(&d->effective_pasid_bits, dev_bits < ssid->num ? dev_bits : ssid->num);
}

static const char *domain_mode(const char *type)
{
	static const struct {
		const char *type, *mode;
	} map[] = {
		{ "identity", "passthrough" }, { "DMA", "strict" },
		{ "DMA-FQ", "lazy" },	       { "blocked", "blocked" },
		{ "unmanaged", "unmanaged" },  { "unknown", "platform" },
	};

	for (size_t i = 0; i < ELEMENTSOF(map); i++)
		if (streq(map[i].type, type))
			return map[i].mode;
	return "unknown";
}

/* The effective default-domain mode, from the groups' types rather than the command line. */
static int derive_domain_mode(struct iommucap_host *h)
{
	struct iommucap_hostinfo *hi = &h->info;
	const char *type = NULL;
	bool mixed = false;

	for (size_t i = 0; i < h->n_groups; i++) {
		if (!h->groups[i].type)
			continue;
		if (!type)
			type = h->groups[i].type;
		else if (!streq(type, h->groups[i].type))
			mixed = true;
	}
	if (!type)
		return asprintf(&hi->domain_reason, "%s",
				h->n_groups ? "no group's type is readable"
					    : "there are no IOMMU groups") < 0
			       ? -ENOMEM
			       : 0;
	hi->domain_type = strdup(mixed ? "mixed" : type);
	hi->domain_mode = strdup(mixed ? "mixed" : domain_mode(type));
	return hi->domain_type && hi->domain_mode ? 0 : -ENOMEM;
}

static int cmp_group(const void *a, const void *b)
{
	const struct iommucap_group *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

static const struct iommucap_group *find_group(const struct iommucap_host *h, int id)
{
	struct iommucap_group key = { .id = id };

	/* No groups (an empty list is a NULL array, which bsearch() must not be given). */
	if (h->n_groups == 0)
		return NULL;
	return bsearch(&key, h->groups, h->n_groups, sizeof(*h->groups), cmp_group);
}

static int cmp_device(const void *a, const void *b)
{
	return strcmp(((const struct iommucap_device *)a)->address,
		      ((const struct iommucap_device *)b)->address);
}

static bool is_pci_device(const struct iommucap_host *h, const char *name)
{
	struct iommucap_device key = { .address = (char *)name };

	/* No PCI bus (a platform host): an empty list is a NULL array. */
	if (h->n_devices == 0)
		return false;
	return bsearch(&key, h->devices, h->n_devices, sizeof(*h->devices), cmp_device);
}

/* Links that name what is not there: a device's unit or group, a group's member. */
static int cross_check(struct iommucap_root *r, struct iommucap_host *h)
{
	for (size_t i = 0; i < h->n_devices; i++) {
		const struct iommucap_device *d = &h->devices[i];

		if (d->unit && !iommucap_host_find_unit(h, d->unit) &&
		    host_warn(h, "%s: its iommu link names %s, which is not an IOMMU unit",
			      d->address, d->unit) < 0)
			return -ENOMEM;
		if (d->group >= 0 && !find_group(h, d->group) &&
		    host_warn(h, "%s: its iommu_group link names group %d, which does not exist",
			      d->address, d->group) < 0)
			return -ENOMEM;
	}
	for (size_t i = 0; i < h->n_groups; i++) {
		const struct iommucap_group *g = &h->groups[i];
		char dir[64];

		snprintf(dir, sizeof(dir), "sys/kernel/iommu_groups/%d/devices", g->id);
		for (size_t j = 0; j < g->n_devices; j++) {
			_cleanup_free_ char *target = NULL;
			struct stat st;
			int k;

			/* Non-PCI members (platform devices) are fine if their link leads
			 * somewhere. */
			if (is_pci_device(h, g->devices[j]))
				continue;
			k = sysfs_resolve_link(r, dir, g->devices[j], &target);
			if (k == -ENOMEM)
				return k;
			if ((k < 0 || sysfs_stat(r, target, &st) < 0) &&
			    host_warn(h, "group %d: member %s does not exist", g->id,
				      g->devices[j]) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

/* Now, or SOURCE_DATE_EPOCH when set: reproducible documents for tests and builds. */
int64_t iommucap_now(void)
{
	const char *e = getenv("SOURCE_DATE_EPOCH");
	uint64_t v;

	if (e && parse_dec_u64(e, &v) == 0 && v <= INT64_MAX)
		return (int64_t)v;
	return (int64_t)time(NULL);
}

int iommucap_probe(struct iommucap_root *root, struct iommucap_host **ret)
{
	struct iommucap_host *h = calloc(1, sizeof(*h));
	bool escaped = false;
	int k;

	if (!h)
		return -ENOMEM;
	h->generated_at = iommucap_now();
	k = probe_hostinfo(root, h);
	if (k >= 0)
		k = probe_units(root, h);
	if (k >= 0)
		k = probe_groups(root, h);
	if (k >= 0)
		k = probe_devices(root, h);
	if (k >= 0)
		k = probe_iommufd(root, h);
	if (k >= 0 && h->n_groups > 1)
		qsort(h->groups, h->n_groups, sizeof(*h->groups), cmp_group);
	for (size_t i = 0; k >= 0 && i < h->n_devices; i++)
		k = device_effective_pasid(h, &h->devices[i]);
	if (k >= 0)
		k = cross_check(root, h);
	if (k >= 0)
		k = derive_domain_mode(h);
	/* Last, so that every lookup above saw the names as the kernel spells them. */
	if (k >= 0)
		k = host_escape_bytes(h, &escaped);
	if (k >= 0 && escaped) {
		host_sort_units(h);
		if (h->n_devices > 1)
			qsort(h->devices, h->n_devices, sizeof(*h->devices), cmp_device);
	}
	if (k < 0) {
		iommucap_host_free(h);
		return k;
	}
	*ret = h;
	return 0;
}
