/* iommufd IOMMU_GET_HW_INFO: read per VFIO cdev device, captured, and turned into unit facts. */
#include "config.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "acpi.h"
#include "hwinfo.h"
#include "iommufd-uapi.h"
#include "ksem.h"
#include "model.h"
#include "parse.h"
#include "probe.h"
#include "regs-amdvi.h"
#include "regs-smmuv3.h"
#include "regs-vtd.h"
#include "sysfs.h"

static const char *const type_names[] = {
	[IOMMU_HW_INFO_TYPE_NONE] = "none",
	[IOMMU_HW_INFO_TYPE_INTEL_VTD] = "intel-vtd",
	[IOMMU_HW_INFO_TYPE_ARM_SMMUV3] = "arm-smmuv3",
	[IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV] = "tegra241-cmdqv",
	[IOMMU_HW_INFO_TYPE_AMD] = "amd",
};

const char *hwinfo_type_name(uint32_t type)
{
	return type < ELEMENTSOF(type_names) ? type_names[type] : NULL;
}

/* enum iommufd_hw_capabilities, bit by bit. */
static const char *const cap_names[] = {
	"dirty_tracking",
	"pci_pasid_exec",
	"pci_pasid_priv",
	"pci_ats_not_supported",
};

const char *hwinfo_cap_name(unsigned bit)
{
	return bit < ELEMENTSOF(cap_names) ? cap_names[bit] : NULL;
}

void hwinfo_done(struct iommucap_hwinfo *hw)
{
	free(hw->reason);
	*hw = (struct iommucap_hwinfo){ 0 };
}

static int hw_fail(struct iommucap_hwinfo *hw, const char *fmt, ...) _printf_(2, 3);
static int hw_fail(struct iommucap_hwinfo *hw, const char *fmt, ...)
{
	va_list ap;
	int k;

	free(hw->reason);
	va_start(ap, fmt);
	k = vasprintf(&hw->reason, fmt, ap);
	va_end(ap);
	if (k < 0) {
		hw->reason = NULL;
		return -ENOMEM;
	}
	hw->read = false;
	return 0;
}

/* Which output fields the running kernel fills (iommufd-uapi.h); an unknown release: all. */
static void fields_of_release(const struct iommucap_hostinfo *hi, struct iommucap_hwinfo *hw)
{
	int maj, min, sub;

	if (!hi || !kernel_release_of(hi, &maj, &min, &sub)) {
		hw->capabilities_known = hw->max_pasid_known = true;
		return;
	}
	hw->capabilities_known = maj > 6 || (maj == 6 && min >= 7);
	hw->max_pasid_known = maj > 6 || (maj == 6 && min >= 15);
}

/* The device's VFIO cdev name (vfioN) from dir/vfio-dev/; -ENOENT when it has none. */
static int cdev_name(struct iommucap_root *r, const char *dir, char **ret)
{
	char **names = NULL;
	size_t n = 0;
	int k = sysfs_list_in(r, dir, "vfio-dev", &names, &n);

	if (k < 0)
		return k == -ENOMEM ? k : -ENOENT;
	k = -ENOENT;
	for (size_t i = 0; i < n && k == -ENOENT; i++)
		if (startswith(names[i], "vfio")) {
			*ret = TAKE_PTR(names[i]);
			k = 0;
		}
	strv_free(names, n);
	return k;
}

/* The node under dev/ must be the character device sysfs names (its "dev" is MAJOR:MINOR). */
static int check_node(struct iommucap_root *r, const char *dir, const char *name, int fd,
		      struct iommucap_hwinfo *hw)
{
	_cleanup_free_ char *sdir = NULL, *want = NULL, *reason = NULL;
	unsigned maj, min;
	struct stat st;
	int k;

	if (asprintf(&sdir, "%s/vfio-dev/%s", dir, name) < 0)
		return -ENOMEM;
	k = attr_read(r, sdir, "dev", &want, &reason);
	if (k == -ENOMEM)
		return k;
	if (k < 0)
		return hw_fail(hw, "%s", reason) ?: 1;
	if (sscanf(want, "%u:%u", &maj, &min) != 2)
		return hw_fail(hw, "vfio-dev/%s/dev is not MAJOR:MINOR", name) ?: 1;
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) != maj ||
	    minor(st.st_rdev) != min)
		return hw_fail(hw, "/dev/vfio/devices/%s is not the character device %u:%u", name,
			       maj, min)
			       ?: 1;
	return 0;
}

int hwinfo_read_live(struct iommucap_root *r, const struct iommucap_hostinfo *hi, const char *dir,
		     struct iommucap_hwinfo *ret)
{
	_cleanup_free_ char *name = NULL, *node = NULL;
	_cleanup_close_ int iommufd = -1, devfd = -1;
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct iommu_hw_info info = { .size = sizeof(info) };
	uint8_t data[256];
	int k = cdev_name(r, dir, &name);

	if (k < 0)
		return k;
	hwinfo_done(ret);
	ret->tried = true;
	if (asprintf(&node, "dev/vfio/devices/%s", name) < 0)
		return -ENOMEM;

	iommufd = sysfs_open(r, "dev/iommu", O_RDWR);
	if (iommufd == -ENOENT)
		return hw_fail(ret, "/dev/iommu does not exist (a kernel without CONFIG_IOMMUFD)");
	if (iommufd < 0)
		return hw_fail(ret, "cannot open /dev/iommu: %s", strerror(-iommufd));
	devfd = sysfs_open(r, node, O_RDWR);
	if (devfd < 0)
		return hw_fail(ret, "cannot open /%s: %s", node, strerror(-devfd));
	k = check_node(r, dir, name, devfd, ret);
	if (k != 0)
		return k < 0 ? k : 0;

	/*
	 * vfio_df_open() refuses a second open of a device through its cdev (EINVAL) and
	 * vfio_device_block_group() one opened through its group (EBUSY): a device a VMM holds is
	 * never touched. Closing the fd unbinds (vfio_df_unbind_iommufd); no binding changes.
	 */
	bind.iommufd = iommufd;
	if (ioctl(devfd, VFIO_DEVICE_BIND_IOMMUFD, &bind) < 0) {
		if (errno == EBUSY || errno == EINVAL)
			return hw_fail(
				ret, "skipped: the device is in use (VFIO_DEVICE_BIND_IOMMUFD: %s)",
				strerror(errno));
		return hw_fail(ret, "VFIO_DEVICE_BIND_IOMMUFD: %s", strerror(errno));
	}
	memset(data, 0, sizeof(data));
	info.dev_id = bind.out_devid;
	info.data_len = sizeof(data);
	info.data_uptr = (uint64_t)(uintptr_t)data;
	if (ioctl(iommufd, IOMMU_GET_HW_INFO, &info) < 0)
		return hw_fail(ret, "IOMMU_GET_HW_INFO: %s", strerror(errno));

	ret->read = true;
	ret->data_type = info.out_data_type;
	fields_of_release(hi, ret);
	ret->capabilities = ret->capabilities_known ? info.out_capabilities : 0;
	ret->max_pasid_log2 = ret->max_pasid_known ? info.out_max_pasid_log2 : 0;
	/* data_len comes back as the length the kernel has, which may exceed our buffer. */
	ret->data_len = info.data_len < sizeof(ret->data) ? info.data_len : sizeof(ret->data);
	memcpy(ret->data, data, ret->data_len);
	return 0;
}

static int parse_error(char **ret_error, unsigned line, const char *what)
{
	if (asprintf(ret_error, "line %u: %s", line, what) < 0) {
		*ret_error = NULL;
		return -ENOMEM;
	}
	return -EINVAL;
}

static int hexdigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hwinfo_parse(const char *text, struct iommucap_hwinfo *ret, char **ret_error)
{
	_cleanup_free_ char *copy = strdup(text);
	struct iommucap_hwinfo hw = { .tried = true };
	bool have_type = false, have_data = false, skipped = false;
	unsigned line = 0;
	uint64_t v;
	int k = 0;

	*ret_error = NULL;
	if (!copy)
		return -ENOMEM;
	for (char *l = copy, *next; l && k >= 0; l = next) {
		char *val;

		next = strchr(l, '\n');
		if (next)
			*next++ = '\0';
		line++;
		if (!*l || *l == '#')
			continue;
		val = strchr(l, ' ');
		if (!val) {
			k = parse_error(ret_error, line, "expected \"KEY VALUE\"");
			break;
		}
		*val++ = '\0';
		if (streq(l, "skipped")) {
			skipped = true;
			free(hw.reason);
			hw.reason = strdup(val);
			if (!hw.reason)
				k = -ENOMEM;
		} else if (streq(l, "data_type")) {
			if (have_type || parse_dec_u64(val, &v) < 0 || v > UINT32_MAX)
				k = parse_error(ret_error, line,
						"data_type is not one decimal number");
			hw.data_type = (uint32_t)v;
			have_type = true;
		} else if (streq(l, "capabilities")) {
			if (hw.capabilities_known || !startswith(val, "0x") ||
			    parse_hex_u64(val + 2, &v) < 0)
				k = parse_error(ret_error, line,
						"capabilities is not one 0x-prefixed hex number");
			hw.capabilities = v;
			hw.capabilities_known = true;
		} else if (streq(l, "max_pasid_log2")) {
			if (hw.max_pasid_known || parse_dec_u64(val, &v) < 0 || v > 32)
				k = parse_error(ret_error, line,
						"max_pasid_log2 is not a number from 0 to 32");
			hw.max_pasid_log2 = (int)v;
			hw.max_pasid_known = true;
		} else if (streq(l, "data")) {
			size_t n = strlen(val);

			if (have_data || n % 2 || n / 2 > sizeof(hw.data)) {
				k = parse_error(ret_error, line,
						"data is not at most 64 bytes in hex digit pairs");
				break;
			}
			for (size_t i = 0; i < n / 2 && k >= 0; i++) {
				int hi = hexdigit(val[2 * i]), lo = hexdigit(val[2 * i + 1]);

				if (hi < 0 || lo < 0)
					k = parse_error(ret_error, line,
							"data has a non-hex digit");
				hw.data[i] = (uint8_t)(hi << 4 | lo);
			}
			hw.data_len = n / 2;
			have_data = true;
		}
		/* Other keys are from a newer writer: ignored. */
	}
	if (k >= 0 && !skipped && !have_type)
		k = parse_error(ret_error, line, "neither data_type nor skipped");
	if (k < 0) {
		hwinfo_done(&hw);
		return k;
	}
	hw.read = !skipped;
	hwinfo_done(ret);
	*ret = hw;
	return 0;
}

int hwinfo_format(const struct iommucap_hwinfo *hw, const char *address, char **ret)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		return -ENOMEM;
	fprintf(f, "# IOMMU_GET_HW_INFO of %s (iommu-capd, docs/hw-info.md)\n", address);
	if (!hw->read)
		fprintf(f, "skipped %s\n", hw->reason ? hw->reason : "not read");
	else {
		fprintf(f, "data_type %" PRIu32 "\n", hw->data_type);
		if (hw->capabilities_known)
			fprintf(f, "capabilities 0x%" PRIx64 "\n", hw->capabilities);
		if (hw->max_pasid_known)
			fprintf(f, "max_pasid_log2 %d\n", hw->max_pasid_log2);
		fputs("data ", f);
		for (size_t i = 0; i < hw->data_len; i++)
			fprintf(f, "%02x", hw->data[i]);
		fputc('\n', f);
	}
	if (fclose(f) != 0) {
		free(s);
		return -ENOMEM;
	}
	*ret = s;
	return 0;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* One register from iommufd: it replaces a sysfs value, which is a warning when it differs. */
static int set_reg(struct iommucap_host *h, struct iommucap_unit *u, const struct regdef *def,
		   uint64_t value, const char *address)
{
	for (size_t i = 0; i < u->n_raw; i++) {
		struct iommucap_raw *r = &u->raw[i];

		if (!streq(r->name, def->name))
			continue;
		if (r->known && r->value == value)
			return 0;
		if (r->known &&
		    host_warn(
			    h,
			    "%s: %s is 0x%" PRIx64 " in sysfs but 0x%" PRIx64
			    " in iommufd hw_info (through %s); the kernel's iommufd answer is used",
			    u->name, def->name, r->value, value, address) < 0)
			return -ENOMEM;
		free(r->reason);
		r->reason = NULL;
		r->known = true;
		r->value = value;
		unit_drop_fields(u, def->name);
		return reg_decode(def, value, u) < 0 ? -ENOMEM : 0;
	}
	if (unit_add_raw(u, def->name, true, value, NULL) < 0)
		return -ENOMEM;
	return reg_decode(def, value, u) < 0 ? -ENOMEM : 0;
}

static const struct iommucap_raw *find_raw(const struct iommucap_unit *u, const char *name)
{
	for (size_t i = 0; i < u->n_raw; i++)
		if (streq(u->raw[i].name, name))
			return &u->raw[i];
	return NULL;
}

static int mismatch(struct iommucap_host *h, const struct iommucap_unit *u,
		    const struct iommucap_hwinfo *hw, const char *address, size_t need)
{
	const char *t = hwinfo_type_name(hw->data_type);

	if (hw->data_len < need)
		return host_warn(h,
				 "%s: iommufd hw_info through %s has %zu bytes of %s data, not %zu",
				 u->name, address, hw->data_len, t, need) < 0
			       ? -ENOMEM
			       : -EMEDIUMTYPE;
	return host_warn(h, "%s: iommufd hw_info through %s is of type %s, but the unit is %s",
			 u->name, address, t ? t : "unknown", iommucap_model_name(u->model)) < 0
		       ? -ENOMEM
		       : -EMEDIUMTYPE;
}

int hwinfo_apply(struct iommucap_host *h, struct iommucap_unit *u, const struct iommucap_hwinfo *hw,
		 const char *address)
{
	const uint8_t *d = hw->data;
	int k = 0;

	switch (hw->data_type) {
	case IOMMU_HW_INFO_TYPE_INTEL_VTD: {
		/* struct iommu_hw_info_vtd: flags, __reserved, cap_reg, ecap_reg. */
		if (u->model != IOMMUCAP_MODEL_INTEL_VTD || hw->data_len < 24)
			return mismatch(h, u, hw, address, 24);
		uint64_t cap = le64(d + 8), ecap = le64(d + 16);

		if ((k = set_reg(h, u, &vtd_cap_reg, cap, address)) < 0 ||
		    (k = set_reg(h, u, &vtd_ecap_reg, ecap, address)) < 0)
			return k;
		k = vtd_caps_from_regs(u, true, cap, true, ecap, &h->info);
		break;
	}
	case IOMMU_HW_INFO_TYPE_ARM_SMMUV3: {
		/* struct iommu_hw_info_arm_smmuv3: flags, __reserved, idr[6], iidr, aidr. */
		uint32_t idr[6];

		if (u->model != IOMMUCAP_MODEL_ARM_SMMU_V3 || hw->data_len < 40)
			return mismatch(h, u, hw, address, 40);
		for (unsigned i = 0; i < 6 && k >= 0; i++) {
			idr[i] = le32(d + 8 + 4 * i);
			k = set_reg(h, u, &smmuv3_idr_regs[i], idr[i], address);
		}
		if (k >= 0)
			k = set_reg(h, u, &smmuv3_iidr_reg, le32(d + 32), address);
		if (k >= 0)
			k = set_reg(h, u, &smmuv3_aidr_reg, le32(d + 36), address);
		if (k >= 0)
			k = smmuv3_caps_from_regs(u, idr, le32(d + 32), IOMMUCAP_SRC_IOMMUFD);
		break;
	}
	case IOMMU_HW_INFO_TYPE_AMD: {
		/* struct iommu_hw_info_amd: efr, efr2; the cap register stays sysfs's. */
		const struct iommucap_raw *cap;

		if (u->model != IOMMUCAP_MODEL_AMD_VI || hw->data_len < 16)
			return mismatch(h, u, hw, address, 16);
		if ((k = set_reg(h, u, &amdvi_efr_reg, le64(d), address)) < 0 ||
		    (k = set_reg(h, u, &amdvi_efr2_reg, le64(d + 8), address)) < 0)
			return k;
		cap = find_raw(u, "cap");
		k = amdvi_caps_from_regs(u, cap && cap->known, cap ? cap->value : 0, true, le64(d),
					 true, le64(d + 8), &h->info);
		break;
	}
	default:
		return mismatch(h, u, hw, address, 0);
	}
	/* The firmware's overrides again, over what the registers said (an SMMUv3's IORT). */
	if (k >= 0)
		k = acpi_unit_pass(h, u);
	/*
	 * IOMMU_HW_CAP_DIRTY_TRACKING: iommufd_get_hw_info() sets it when the driver answers
	 * device_iommu_capable(IOMMU_CAP_DIRTY_TRACKING) (drivers/iommu/iommufd/device.c, 6.7 to
	 * 7.3): the kernel's own verdict, over what we derive from registers and firmware.
	 */
	if (k >= 0 && hw->capabilities_known)
		k = cap_set_bool(u, IOMMUCAP_DIRTY_TRACKING,
				 hw->capabilities & IOMMU_HW_CAP_DIRTY_TRACKING,
				 IOMMUCAP_SRC_IOMMUFD);
	if (k < 0)
		return k;
	free(u->hw_info_from);
	u->hw_info_from = strdup(address);
	return u->hw_info_from ? 0 : -ENOMEM;
}

/* A capture's iommufd/hw_info/ADDRESS; -ENOENT when the capture has none for the device. */
static int read_capture(struct iommucap_root *r, struct iommucap_host *h, struct iommucap_device *d)
{
	_cleanup_free_ char *path = path_join(HWINFO_CAPTURE_DIR, d->address), *text = NULL;
	_cleanup_free_ char *error = NULL;
	size_t len = 0;
	int k;

	if (!path)
		return -ENOMEM;
	k = sysfs_read(r, path, HWINFO_FILE_MAX, &text, &len);
	if (k == -ENOENT || k == -ENOMEM)
		return k;
	d->hw_info.tried = true;
	if (k < 0)
		return hw_fail(&d->hw_info, "cannot read /%s: %s", path, strerror(-k))
			       ?: host_warn(h, "%s: cannot read /%s: %s", d->address, path,
					    strerror(-k));
	if (memchr(text, 0, len))
		k = -EINVAL;
	else
		k = hwinfo_parse(text, &d->hw_info, &error);
	if (k == -ENOMEM)
		return k;
	if (k < 0) {
		d->hw_info.tried = true;
		return hw_fail(&d->hw_info, "/%s is malformed: %s", path,
			       error ? error : "it holds a NUL byte")
			       ?: host_warn(h, "%s: /%s is malformed: %s", d->address, path,
					    error ? error : "it holds a NUL byte");
	}
	return 0;
}

/* Why a unit has no registers from iommufd, for its unknown capabilities. */
static const char *why_absent(struct iommucap_root *r, const struct iommucap_host *h,
			      const struct iommucap_unit *u)
{
	for (size_t i = 0; i < h->n_devices; i++) {
		const struct iommucap_device *d = &h->devices[i];

		if (d->unit && streq(d->unit, u->name) && d->hw_info.tried && d->hw_info.reason)
			return d->hw_info.reason;
	}
	if (r->confined)
		return "the capture holds no iommufd/hw_info file for a device behind it";
	if (!h->info.dev_iommu)
		return "/dev/iommu does not exist (a kernel without CONFIG_IOMMUFD)";
	return "no device behind it is bound to a VFIO driver with a cdev "
	       "(CONFIG_VFIO_DEVICE_CDEV)";
}

static int note_absent(struct iommucap_root *r, const struct iommucap_host *h,
		       struct iommucap_unit *u)
{
	const char *why = why_absent(r, h, u);

	for (int c = 0; c < _IOMMUCAP_CAP_MAX; c++) {
		struct iommucap_capval *v = &u->caps[c];
		char *s;

		if (v->source != IOMMUCAP_SRC_UNKNOWN || !v->reason ||
		    !startswith(v->reason, SMMUV3_NO_SYSFS))
			continue;
		if (asprintf(&s, "%s, and iommufd hw_info was not read: %s", SMMUV3_NO_SYSFS, why) <
		    0)
			return -ENOMEM;
		free(v->reason);
		v->reason = s;
	}
	return 0;
}

int probe_iommufd_device(struct iommucap_root *r, struct iommucap_host *h,
			 struct iommucap_device *d)
{
	_cleanup_free_ char *dir = NULL;
	int k;

	if (d->missing)
		return 0;
	if (r->confined && !sysfs_dir_ok(r, HWINFO_CAPTURE_DIR))
		return 0;
	if (r->confined)
		k = read_capture(r, h, d);
	else {
		dir = path_join("sys/bus/pci/devices", d->address);
		k = dir ? hwinfo_read_live(r, &h->info, dir, &d->hw_info) : -ENOMEM;
	}
	return k == -ENOENT ? 0 : k;
}

int probe_iommufd(struct iommucap_root *r, struct iommucap_host *h)
{
	/* A tree captured without hw_info has no directory for it: one look, not one a device. */
	bool captured = r->confined && sysfs_dir_ok(r, HWINFO_CAPTURE_DIR);
	int k = 0;

	for (size_t i = 0; i < h->n_devices && k >= 0; i++) {
		struct iommucap_device *d = &h->devices[i];
		struct iommucap_unit *u;
		_cleanup_free_ char *dir = NULL;

		if (d->missing)
			continue;
		if (r->confined && !captured)
			k = -ENOENT;
		else if (r->confined)
			k = read_capture(r, h, d);
		else {
			dir = path_join("sys/bus/pci/devices", d->address);
			k = dir ? hwinfo_read_live(r, &h->info, dir, &d->hw_info) : -ENOMEM;
		}
		if (k == -ENOENT) {
			k = 0;
			continue;
		}
		if (k < 0 || !d->hw_info.read || !d->unit)
			continue;
		u = (struct iommucap_unit *)iommucap_host_find_unit(h, d->unit);
		/* The unit's registers are the same through every device behind it: learn once. */
		if (!u || u->hw_info_from)
			continue;
		k = hwinfo_apply(h, u, &d->hw_info, d->address);
		if (k == -EMEDIUMTYPE)
			k = 0;
	}
	if (k < 0)
		return k;
	/* What the decoders conclude from every unit (iommucap_host_pass); then say where facts
	 * came from. */
	k = iommucap_host_pass(h);
	for (size_t i = 0; i < h->n_units && k >= 0; i++)
		k = hwinfo_unit_pass(r, h, &h->units[i]);
	return k;
}

int hwinfo_unit_pass(struct iommucap_root *r, const struct iommucap_host *h,
		     struct iommucap_unit *u)
{
	if (u->hw_info_from) {
		for (int c = 0; c < _IOMMUCAP_CAP_MAX; c++)
			if (u->caps[c].source == IOMMUCAP_SRC_REGISTER)
				u->caps[c].source = IOMMUCAP_SRC_IOMMUFD;
	} else if (u->model == IOMMUCAP_MODEL_ARM_SMMU_V3 && !u->property_dir)
		return note_absent(r, h, u);
	return 0;
}
