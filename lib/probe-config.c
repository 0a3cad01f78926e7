/* PCI configuration space read from sysfs, as cheaply as a live system allows. */
#include "config.h"

#include <fcntl.h>

#include "model.h"
#include "probe.h"
#include "regs-pci.h"
#include "sysfs.h"

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

int probe_config(struct iommucap_root *r, struct iommucap_device *d, const char *dir)
{
	_cleanup_free_ char *path = path_join(dir, "config"), *cfg = NULL;
	size_t len = 0;
	int k;

	if (!path)
		return -ENOMEM;
	if (r->confined) {
		/* A captured tree: a plain file, cheapest read whole. A function's configuration
		 * space is 4 KiB at most (PCI Express Base 6.0, 7.2.2: the extended space ends at
		 * 0xFFF), and the kernel's config attribute never gives more (pci_read_config(),
		 * drivers/pci/pci-sysfs.c, stops at dev->cfg_size): a full 4 KiB is the end, with
		 * no read of nothing after it. */
		k = sysfs_read_head(r, path, SYSFS_CONFIG_MAX, &cfg, &len);
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
