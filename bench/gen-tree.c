/* Synthetic sysfs/procfs trees with many IOMMU units, laid out as Linux 6.12 exposes them. */
#include "config.h"

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "macro.h"
#include "gen-tree.h"

/*
 * Layout (the kernel's sysfs layout, as in the captured trees in tests/fixtures/). Unit i sits on
 * PCI segment i / 256, root bus i % 256, so every unit has a host bridge "pciSSSS:BB" of its own:
 *
 *   sys/class/iommu/dmarN -> ../../devices/virtual/iommu/dmarN
 *   sys/devices/virtual/iommu/dmarN/{intel-iommu/,devices/<bdf>,power/,subsystem,uevent}
 *   sys/class/iommu/ivhdN -> ../../devices/pciSSSS:BB/SSSS:BB:00.2/iommu/ivhdN     (AMD)
 *   sys/devices/pciSSSS:BB/SSSS:BB:00.2/iommu/ivhdN/{amd-iommu/,devices/<bdf>,device,...}
 *   sys/devices/pciSSSS:BB/<bdf>/{vendor,device,class,config,...,iommu,iommu_group,driver}
 *   sys/bus/pci/devices/<bdf> -> ../../../devices/pciSSSS:BB/<bdf>
 *   sys/bus/pci/drivers/<driver>/<bdf> -> ../../../../devices/pciSSSS:BB/<bdf>
 *   sys/kernel/iommu_groups/<n>/{type,reserved_regions,devices/<bdf>}
 *   proc/sys/kernel/{osrelease,hostname}, proc/cmdline, proc/cpuinfo, etc/machine-id, dev/vfio/vfio
 *
 * The endpoints behind unit i are SSSS:BB:01.0 ... SSSS:BB:<devs_per_unit>.0; an AMD unit's own
 * PCI function is SSSS:BB:00.2, which is in no group and behind no IOMMU, as on real hosts.
 * Register values are those of the captured trees (QEMU's, read through real kernels).
 */

#define VTD_CAP	       "d2008c222f0686"
#define VTD_ECAP       "490080f00f4a"
#define VTD_VERSION    "1:0"
#define VTD_ADDRESS    0xfed90000ULL
#define AMDVI_CAP      "1f03000f"
#define AMDVI_FEATURES "29d3:0" /* EFR:EFR2, the >= 6.7 order; the release below is 6.12 */
#define OSRELEASE      "6.12.95+deb12-amd64"
#define GROUP_TYPE     "DMA-FQ"
#define RESV_MSI       "0x00000000fee00000 0x00000000feefffff msi\n"
#define RESV_RMRR      "0x000000007e2b5000 0x000000007e2d4fff direct-relaxable\n"
#define RESV_AMD_HT    "0x000000fd00000000 0x000000ffffffffff reserved\n"
#define CONFIG_SIZE    4096 /* what root reads from a PCIe function's config */

/* Extended capabilities written into a function's configuration space. */
enum {
	X_AER = 1 << 0,
	X_ACS = 1 << 1,
	X_ATS = 1 << 2,
	X_PRI = 1 << 3,
	X_PASID = 1 << 4,
	X_DSN = 1 << 5,
};

struct devtype {
	const char *driver; /* NULL: no driver bound */
	uint16_t vendor, device, sub_vendor, sub_device;
	uint32_t class_code;
	uint8_t revision;
	unsigned ext;
	bool rmrr; /* firmware keeps a direct-mapped region (RMRR) for it, as for USB */
};

/* Behind every unit, cycled: an NVMe drive, two NICs and a USB controller. */
static const struct devtype endpoints[] = {
	{ "nvme", 0x144d, 0xa80a, 0x144d, 0xa801, 0x010802, 0x00,
	  X_AER | X_ATS | X_PRI | X_PASID | X_DSN, false },
	{ "e1000e", 0x8086, 0x10d3, 0x8086, 0xa01f, 0x020000, 0x00, X_AER | X_DSN, false },
	{ "e1000e", 0x8086, 0x10d3, 0x8086, 0xa01f, 0x020000, 0x00, X_AER | X_DSN, false },
	{ "xhci_hcd", 0x8086, 0x7ae0, 0x8086, 0x7270, 0x0c0330, 0x11, X_ACS, true },
};

/* The AMD IOMMU's own PCI function (class 0806: IOMMU). */
static const struct devtype amd_iommu_fn = { NULL,     0x1022, 0x1481, 0x1022, 0x1481,
					     0x080600, 0x00,   0,      false };

static const char *const unit_power[][2] = {
	{ "async", "disabled" },	   { "control", "auto" },
	{ "runtime_active_kids", "0" },	   { "runtime_active_time", "0" },
	{ "runtime_enabled", "disabled" }, { "runtime_status", "unsupported" },
	{ "runtime_suspended_time", "0" }, { "runtime_usage", "0" },
};

struct gen {
	int fd; /* the root */
	const struct gen_opts *o;
	struct gen_stats st;
	unsigned n_intel, n_amd, next_group;
};

bool gen_unit_is_amd(const struct gen_opts *o, unsigned i)
{
	return o->amd_every > 0 && i % o->amd_every == o->amd_every - 1;
}

static int _printf_(3, 4) pathf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n < 0 ? -EINVAL : (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Create path and its missing parents. */
static int mkdir_p(struct gen *g, const char *path)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != 0)
			continue;
		buf[i] = 0;
		if (mkdirat(g->fd, buf, 0755) == 0)
			g->st.dirs++;
		else if (errno != EEXIST)
			return -errno;
		if (i < len)
			buf[i] = '/';
	}
	return 0;
}

static int put(struct gen *g, const char *path, const void *data, size_t len)
{
	int fd = openat(g->fd, path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	const char *p = data;

	if (fd < 0)
		return -errno;
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			int k = errno == EINTR ? 0 : -errno;

			if (k < 0) {
				close(fd);
				return k;
			}
			continue;
		}
		p += n;
		len -= (size_t)n;
		g->st.bytes += (unsigned long long)n;
	}
	g->st.files++;
	return close(fd) < 0 ? -errno : 0;
}

/* path = dir/name and buf from a format: its length, or -ENAMETOOLONG. */
static int _printf_(6, 0)
	path_and_text(char path[static PATH_MAX], const char *dir, const char *name, char *buf,
		      size_t size, const char *fmt, va_list ap)
{
	int k = pathf(path, PATH_MAX, "%s/%s", dir, name), n;

	if (k < 0)
		return k;
	n = vsnprintf(buf, size, fmt, ap);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : n;
}

/* Write dir/name from a format; attribute values end in a newline, as sysfs_emit's do. */
static int _printf_(4, 5)
	putf(struct gen *g, const char *dir, const char *name, const char *fmt, ...)
{
	char path[PATH_MAX], buf[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = path_and_text(path, dir, name, buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return n < 0 ? n : put(g, path, buf, (size_t)n);
}

/* A real symbolic link dir/name -> target (relative, as the kernel makes them). */
static int _printf_(4, 5)
	linkf(struct gen *g, const char *dir, const char *name, const char *fmt, ...)
{
	char path[PATH_MAX], target[PATH_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = path_and_text(path, dir, name, target, sizeof(target), fmt, ap);
	va_end(ap);
	if (n < 0)
		return n;
	if (symlinkat(target, g->fd, path) < 0)
		return -errno;
	g->st.links++;
	return 0;
}

static void put16(uint8_t *c, size_t off, uint16_t v)
{
	c[off] = (uint8_t)v;
	c[off + 1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *c, size_t off, uint32_t v)
{
	put16(c, off, (uint16_t)v);
	put16(c, off + 2, (uint16_t)(v >> 16));
}

/* A type 0 header, a legacy capability list and the extended capabilities from t->ext. */
static void make_config(uint8_t *c, const struct devtype *t, uint32_t serial)
{
	static const struct {
		unsigned flag;
		uint16_t id;
		uint8_t version, size;
	} xcaps[] = {
		{ X_AER, 0x0001, 2, 0x48 },   { X_ACS, 0x000d, 1, 0x08 },
		{ X_ATS, 0x000f, 1, 0x08 },   { X_PRI, 0x0013, 1, 0x10 },
		{ X_PASID, 0x001b, 1, 0x08 }, { X_DSN, 0x0003, 1, 0x0c },
	};
	size_t off = 0x100, prev = 0;
	uint32_t prev_hdr = 0;

	memset(c, 0, CONFIG_SIZE);
	put16(c, 0x00, t->vendor);
	put16(c, 0x02, t->device);
	put16(c, 0x04, 0x0406); /* memory space, bus master, INTx disabled */
	put16(c, 0x06, 0x0010); /* capability list present */
	put32(c, 0x08, t->class_code << 8 | t->revision);
	put16(c, 0x2c, t->sub_vendor);
	put16(c, 0x2e, t->sub_device);
	c[0x34] = 0x40;
	if (t == &amd_iommu_fn) {
		put32(c, 0x40, 0x1f03000f); /* IOMMU capability header, as amd-iommu/cap shows */
		return;
	}
	put32(c, 0x40, 0x00035001); /* power management, next 0x50 */
	put32(c, 0x50, 0x00807005); /* MSI, next 0x70 */
	put32(c, 0x70, 0x0002b010); /* PCI Express v2 endpoint, next 0xb0 */
	put32(c, 0xb0, 0x00070011); /* MSI-X, 8 vectors, last */

	for (size_t i = 0; i < ELEMENTSOF(xcaps); i++) {
		if (!(t->ext & xcaps[i].flag))
			continue;
		if (prev)
			put32(c, prev, prev_hdr | (uint32_t)off << 20); /* chain: next pointer */
		prev_hdr = (uint32_t)xcaps[i].id | (uint32_t)xcaps[i].version << 16;
		put32(c, off, prev_hdr);
		switch (xcaps[i].id) {
		case 0x000d: /* ACS: SV TB RR CR UF DT */
			put16(c, off + 4, 0x005f);
			break;
		case 0x000f: /* ATS: queue depth 0 (= 32), page aligned */
			put16(c, off + 4, 0x0020);
			break;
		case 0x0013: /* PRI: 256 outstanding page requests */
			put32(c, off + 8, 256);
			break;
		case 0x001b: /* PASID: 20 bits, execute and privileged modes */
			put16(c, off + 4, 20 << 8 | 0x0006);
			break;
		case 0x0003:
			put32(c, off + 4, serial);
			put32(c, off + 8, 0x00a0c9ff);
			break;
		default:
			break;
		}
		prev = off;
		off = (off + xcaps[i].size + 0xf) & ~(size_t)0xf;
	}
}

/*
 * One PCI function under sys/devices/<host>/<bdf>, its bus and driver links; unit_target is the
 * iommu link's target (NULL: not behind an IOMMU), group its group (-1: none).
 */
static int gen_function(struct gen *g, const char *host, const char *bdf, const struct devtype *t,
			const char *unit_target, int group)
{
	char dir[PATH_MAX], pw[PATH_MAX], modalias[128];
	uint8_t cfg[CONFIG_SIZE];
	int k;

	k = pathf(dir, sizeof(dir), "sys/devices/%s/%s", host, bdf);
	if (k >= 0)
		k = pathf(pw, sizeof(pw), "%s/power", dir);
	if (k >= 0)
		k = mkdir_p(g, pw);
	if (k < 0)
		return k;
	snprintf(modalias, sizeof(modalias), "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X",
		 t->vendor, t->device, t->sub_vendor, t->sub_device, t->class_code >> 16,
		 (t->class_code >> 8) & 0xff, t->class_code & 0xff);
	make_config(cfg, t, 0x10000000u + g->st.devices);

	k = putf(g, dir, "vendor", "0x%04x\n", t->vendor);
	k = k < 0 ? k : putf(g, dir, "device", "0x%04x\n", t->device);
	k = k < 0 ? k : putf(g, dir, "class", "0x%06x\n", t->class_code);
	k = k < 0 ? k : putf(g, dir, "revision", "0x%02x\n", t->revision);
	k = k < 0 ? k : putf(g, dir, "subsystem_vendor", "0x%04x\n", t->sub_vendor);
	k = k < 0 ? k : putf(g, dir, "subsystem_device", "0x%04x\n", t->sub_device);
	k = k < 0 ? k : putf(g, dir, "modalias", "%s\n", modalias);
	k = k < 0 ? k : putf(g, dir, "numa_node", "%d\n", -1);
	k = k < 0 ? k : putf(g, dir, "enable", "1\n");
	k = k < 0 ? k : putf(g, dir, "irq", "%u\n", 16 + g->st.devices % 200);
	if (k >= 0)
		k = putf(g, dir, "uevent",
			 "%s%s%sPCI_CLASS=%X\nPCI_ID=%04X:%04X\nPCI_SUBSYS_ID=%04X:%04X\n"
			 "PCI_SLOT_NAME=%s\nMODALIAS=%s\n",
			 t->driver ? "DRIVER=" : "", t->driver ?: "", t->driver ? "\n" : "",
			 t->class_code, t->vendor, t->device, t->sub_vendor, t->sub_device, bdf,
			 modalias);
	k = k < 0 ? k : putf(g, pw, "control", "on\n");
	k = k < 0 ? k : putf(g, pw, "runtime_status", "active\n");
	if (k >= 0) {
		char path[PATH_MAX];

		k = pathf(path, sizeof(path), "%s/config", dir);
		if (k >= 0)
			k = put(g, path, cfg, sizeof(cfg));
	}
	k = k < 0 ? k : linkf(g, dir, "subsystem", "../../../bus/pci");
	if (k >= 0 && t->driver) {
		char drv[PATH_MAX];

		k = linkf(g, dir, "driver", "../../../bus/pci/drivers/%s", t->driver);
		if (k >= 0)
			k = pathf(drv, sizeof(drv), "sys/bus/pci/drivers/%s", t->driver);
		if (k >= 0)
			k = linkf(g, drv, bdf, "../../../../devices/%s/%s", host, bdf);
	}
	if (k >= 0 && unit_target)
		k = linkf(g, dir, "iommu", "%s", unit_target);
	if (k >= 0 && group >= 0)
		k = linkf(g, dir, "iommu_group", "../../../kernel/iommu_groups/%d", group);
	k = k < 0 ? k : linkf(g, "sys/bus/pci/devices", bdf, "../../../devices/%s/%s", host, bdf);
	if (k < 0)
		return k;
	g->st.devices++;
	return 0;
}

static int gen_group(struct gen *g, int group, const char *host, const char *bdf, bool amd,
		     bool rmrr)
{
	char dir[PATH_MAX], devs[PATH_MAX];
	int k;

	k = pathf(dir, sizeof(dir), "sys/kernel/iommu_groups/%d", group);
	if (k >= 0)
		k = pathf(devs, sizeof(devs), "%s/devices", dir);
	if (k >= 0)
		k = mkdir_p(g, devs);
	k = k < 0 ? k : putf(g, dir, "type", "%s\n", GROUP_TYPE);
	if (k >= 0)
		k = putf(g, dir, "reserved_regions", "%s%s%s", rmrr && !amd ? RESV_RMRR : "",
			 RESV_MSI, amd ? RESV_AMD_HT : "");
	k = k < 0 ? k : linkf(g, devs, bdf, "../../../../devices/%s/%s", host, bdf);
	if (k < 0)
		return k;
	g->st.groups++;
	return 0;
}

/* The class device's own files, common to all drivers. */
static int gen_class_dev(struct gen *g, const char *dir, const char *subsystem_target)
{
	char pw[PATH_MAX];
	int k;

	k = pathf(pw, sizeof(pw), "%s/power", dir);
	if (k >= 0)
		k = mkdir_p(g, pw);
	for (size_t i = 0; k >= 0 && i < ELEMENTSOF(unit_power); i++)
		k = putf(g, pw, unit_power[i][0], "%s\n", unit_power[i][1]);
	k = k < 0 ? k : putf(g, dir, "uevent", "%s", "");
	k = k < 0 ? k : linkf(g, dir, "subsystem", "%s", subsystem_target);
	return k;
}

static int gen_unit(struct gen *g, unsigned i)
{
	bool amd = gen_unit_is_amd(g->o, i);
	unsigned seg = i / 256, bus = i % 256;
	char host[32], name[32], udir[PATH_MAX], sub[PATH_MAX], devs[PATH_MAX];
	char iommu_target[PATH_MAX], fn[32];
	int k;

	snprintf(host, sizeof(host), "pci%04x:%02x", seg, bus);
	if (amd) {
		snprintf(name, sizeof(name), "ivhd%u", g->n_amd++);
		snprintf(fn, sizeof(fn), "%04x:%02x:00.2", seg, bus);
		k = gen_function(g, host, fn, &amd_iommu_fn, NULL, -1);
		if (k >= 0)
			k = pathf(udir, sizeof(udir), "sys/devices/%s/%s/iommu/%s", host, fn, name);
		if (k >= 0)
			k = pathf(iommu_target, sizeof(iommu_target), "../%s/iommu/%s", fn, name);
		if (k >= 0)
			k = linkf(g, "sys/class/iommu", name, "../../devices/%s/%s/iommu/%s", host,
				  fn, name);
	} else {
		snprintf(name, sizeof(name), "dmar%u", g->n_intel++);
		k = pathf(udir, sizeof(udir), "sys/devices/virtual/iommu/%s", name);
		if (k >= 0)
			k = pathf(iommu_target, sizeof(iommu_target), "../../virtual/iommu/%s",
				  name);
		if (k >= 0)
			k = linkf(g, "sys/class/iommu", name, "../../devices/virtual/iommu/%s",
				  name);
	}
	k = k < 0 ? k : pathf(sub, sizeof(sub), "%s/%s", udir, amd ? "amd-iommu" : "intel-iommu");
	k = k < 0 ? k : pathf(devs, sizeof(devs), "%s/devices", udir);
	k = k < 0 ? k : mkdir_p(g, sub);
	k = k < 0 ? k : mkdir_p(g, devs);
	if (k < 0)
		return k;

	if (amd) {
		k = putf(g, sub, "cap", "%s\n", AMDVI_CAP);
		k = k < 0 ? k : putf(g, sub, "features", "%s\n", AMDVI_FEATURES);
		k = k < 0 ? k : linkf(g, udir, "device", "../../../%s", fn);
		k = k < 0 ? k : gen_class_dev(g, udir, "../../../../../class/iommu");
	} else {
		k = putf(g, sub, "version", "%s\n", VTD_VERSION);
		k = k < 0 ? k : putf(g, sub, "address", "%llx\n", VTD_ADDRESS + 0x1000ULL * i);
		k = k < 0 ? k : putf(g, sub, "cap", "%s\n", VTD_CAP);
		k = k < 0 ? k : putf(g, sub, "ecap", "%s\n", VTD_ECAP);
		k = k < 0 ? k : putf(g, sub, "domains_supported", "%d\n", 65536);
		k = k < 0 ? k : putf(g, sub, "domains_used", "%u\n", g->o->devs_per_unit + 2);
		k = k < 0 ? k : gen_class_dev(g, udir, "../../../../class/iommu");
	}

	for (unsigned d = 0; k >= 0 && d < g->o->devs_per_unit; d++) {
		const struct devtype *t = &endpoints[d % ELEMENTSOF(endpoints)];
		int group = (int)g->next_group++;
		char bdf[32];

		snprintf(bdf, sizeof(bdf), "%04x:%02x:%02x.0", seg, bus, (d + 1) % 32);
		k = gen_function(g, host, bdf, t, iommu_target, group);
		if (k >= 0)
			k = gen_group(g, group, host, bdf, amd, t->rmrr);
		if (k >= 0 && amd)
			k = linkf(g, devs, bdf, "../../../../%s", bdf);
		else if (k >= 0)
			k = linkf(g, devs, bdf, "../../../../%s/%s", host, bdf);
		if (k >= 0)
			g->st.behind++;
	}
	if (k < 0)
		return k;
	g->st.units++;
	if (amd)
		g->st.amd++;
	else
		g->st.intel++;
	return 0;
}

static int gen_host(struct gen *g)
{
	static const char flags[] =
		"fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush "
		"dts acpi mmx fxsr sse sse2 ss ht tm pbe syscall nx pdpe1gb rdtscp lm "
		"constant_tsc art arch_perfmon pebs bts rep_good nopl xtopology nonstop_tsc cpuid "
		"aperfmperf tsc_known_freq pni pclmulqdq dtes64 monitor ds_cpl vmx smx est tm2 "
		"ssse3 sdbg fma cx16 xtpr pdcm pcid dca sse4_1 sse4_2 x2apic movbe popcnt "
		"tsc_deadline_timer aes xsave avx f16c rdrand lahf_lm abm 3dnowprefetch "
		"cpuid_fault epb cat_l3 cat_l2 cdp_l3 intel_ppin cdp_l2 ssbd mba ibrs ibpb stibp "
		"ibrs_enhanced tpr_shadow flexpriority ept vpid ept_ad fsgsbase tsc_adjust bmi1 "
		"avx2 smep bmi2 erms invpcid cqm rdt_a avx512f avx512dq rdseed adx smap "
		"avx512ifma clflushopt clwb intel_pt avx512cd sha_ni avx512bw avx512vl xsaveopt "
		"xsavec xgetbv1 xsaves cqm_llc cqm_occup_llc cqm_mbm_total cqm_mbm_local "
		"split_lock_detect avx_vnni avx512_bf16 wbnoinvd dtherm ida arat pln pts hfi vnmi "
		"avx512vbmi umip pku ospke waitpkg avx512_vbmi2 gfni vaes vpclmulqdq avx512_vnni "
		"avx512_bitalg tme avx512_vpopcntdq la57 rdpid bus_lock_detect cldemote movdiri "
		"movdir64b enqcmd fsrm md_clear serialize tsxldtrk pconfig arch_lbr ibt amx_bf16 "
		"avx512_fp16 amx_tile amx_int8 flush_l1d arch_capabilities";
	int k;

	k = mkdir_p(g, "proc/sys/kernel");
	k = k < 0 ? k : mkdir_p(g, "etc");
	k = k < 0 ? k : mkdir_p(g, "dev/vfio");
	k = k < 0 ? k : mkdir_p(g, "sys/class/iommu");
	k = k < 0 ? k : mkdir_p(g, "sys/devices/virtual/iommu");
	k = k < 0 ? k : mkdir_p(g, "sys/bus/pci/devices");
	k = k < 0 ? k : mkdir_p(g, "sys/kernel/iommu_groups");
	for (size_t i = 0; k >= 0 && i < ELEMENTSOF(endpoints); i++) {
		char drv[PATH_MAX];

		k = pathf(drv, sizeof(drv), "sys/bus/pci/drivers/%s", endpoints[i].driver);
		if (k >= 0)
			k = mkdir_p(g, drv);
	}
	k = k < 0 ? k : putf(g, "proc/sys/kernel", "osrelease", "%s\n", OSRELEASE);
	k = k < 0 ? k : putf(g, "proc/sys/kernel", "hostname", "bench-host\n");
	k = k < 0 ? k : putf(g, "etc", "machine-id", "5f0c8a2e9b7d4c1fa3e6b2d8c4f1a097\n");
	if (k >= 0)
		k = putf(g, "proc", "cmdline",
			 "BOOT_IMAGE=/boot/vmlinuz-%s "
			 "root=UUID=0f5c2a3e-8d1b-4c7e-9a55-3b1e2f6d7c90 "
			 "ro quiet intel_iommu=on iommu.strict=0\n",
			 OSRELEASE);
	/* Two CPUs, as on the machine the figures in README.md come from. */
	if (k >= 0) {
		char buf[8192];
		size_t o = 0;

		for (int cpu = 0; cpu < 2; cpu++)
			o += (size_t)snprintf(
				buf + o, sizeof(buf) - o,
				"processor\t: %d\nvendor_id\t: GenuineIntel\ncpu family\t: 6\n"
				"model\t\t: 143\nmodel name\t: Intel(R) Xeon(R) Platinum 8480+\n"
				"stepping\t: 8\nmicrocode\t: 0x2b000590\ncpu MHz\t\t: 2000.000\n"
				"cache size\t: 107520 KB\nphysical id\t: 0\nsiblings\t: 2\n"
				"core id\t\t: %d\ncpu cores\t: 2\napicid\t\t: %d\n"
				"fpu\t\t: yes\nfpu_exception\t: yes\ncpuid level\t: 31\n"
				"wp\t\t: yes\n"
				"flags\t\t: %s\nbogomips\t: 4000.00\nclflush size\t: 64\n"
				"cache_alignment\t: 64\naddress sizes\t: 52 bits physical, 57 bits "
				"virtual\npower management:\n\n",
				cpu, cpu, cpu * 2, flags);
		if (o >= sizeof(buf))
			return -ENOBUFS;
		k = put(g, "proc/cpuinfo", buf, o);
	}
	/* The fixtures' convention for a device node: only its existence is looked at. */
	k = k < 0 ? k : put(g, "dev/vfio/vfio", "", 0);
	return k;
}

int gen_tree(const char *root, const struct gen_opts *o, struct gen_stats *ret)
{
	struct gen g = { .o = o };
	int k;

	g.fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (g.fd < 0)
		return -errno;
	k = gen_host(&g);
	for (unsigned i = 0; k >= 0 && i < o->units; i++)
		k = o->stop && *o->stop ? -EINTR : gen_unit(&g, i);
	close(g.fd);
	if (k < 0)
		return k;
	*ret = g.st;
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	if (type == FTW_DP)
		return rmdir(path) < 0 ? -1 : 0;
	return unlink(path) < 0 ? -1 : 0;
}

int gen_rm_tree(const char *root)
{
	return nftw(root, rm_one, 64, FTW_DEPTH | FTW_PHYS) < 0 ? -errno : 0;
}
