/* PCI extended capabilities (PASID, ATS, PRI, ACS) from a device's configuration-space image. */
#include "config.h"

#include "model.h"
#include "regs-pci.h"

static uint16_t rd16(const uint8_t *c, size_t off)
{
	return (uint16_t)(c[off] | c[off + 1] << 8);
}

static uint32_t rd32(const uint8_t *c, size_t off)
{
	return (uint32_t)c[off] | (uint32_t)c[off + 1] << 8 | (uint32_t)c[off + 2] << 16 |
	       (uint32_t)c[off + 3] << 24;
}

static int all_unknown(struct iommucap_device *d, const char *reason)
{
	struct iommucap_tri *t[] = { &d->pasid,	     &d->pasid_width,
				     &d->pasid_exec, &d->pasid_priv,
				     &d->ats,	     &d->ats_queue_depth,
				     &d->pri,	     &d->pri_max_requests,
				     &d->acs,	     &d->acs_caps };

	for (size_t i = 0; i < ELEMENTSOF(t); i++)
		if (tri_unknown(t[i], reason) < 0)
			return -ENOMEM;
	return 0;
}

int pci_parse_config(struct iommucap_device *d, const uint8_t *cfg, size_t len)
{
	size_t off = PCI_CFG_SPACE_SIZE;
	/* As the kernel's pci_find_next_ext_capability(): the list need not be ordered, so any
	 * pointer at or above 0x100 is followed, at most as many times as capabilities fit. */
	unsigned ttl = (PCI_CFG_SPACE_EXP_SIZE - PCI_CFG_SPACE_SIZE) / 8;
	int k = 0;

	d->config_ext = false;
	if (len < PCI_CFG_HEADER_SIZE)
		return all_unknown(d, "config is shorter than the 64-byte header");
	if (len == PCI_CFG_HEADER_SIZE)
		return all_unknown(
			d, "extended configuration space not readable (needs CAP_SYS_ADMIN)");

	/* Below 4 KiB there is no extended space at all: a conventional PCI function. */
	d->config_ext = len > PCI_CFG_SPACE_SIZE;
	k |= tri_set(&d->pasid, 0);
	k |= tri_set(&d->ats, 0);
	k |= tri_set(&d->pri, 0);
	k |= tri_set(&d->acs, 0);
	k |= tri_unknown(&d->pasid_width, "no PASID capability");
	k |= tri_unknown(&d->pasid_exec, "no PASID capability");
	k |= tri_unknown(&d->pasid_priv, "no PASID capability");
	k |= tri_unknown(&d->ats_queue_depth, "no ATS capability");
	k |= tri_unknown(&d->pri_max_requests, "no PRI capability");
	k |= tri_unknown(&d->acs_caps, "no ACS capability");
	if (k < 0)
		return -ENOMEM;

	while (d->config_ext && off >= PCI_CFG_SPACE_SIZE && off + 8 <= len && ttl-- > 0) {
		uint32_t h = rd32(cfg, off);

		if (h == 0 || h == 0xffffffff)
			break;
		switch (PCI_EXT_CAP_ID(h)) {
		case PCI_EXT_CAP_ID_PASID: {
			uint16_t cap = rd16(cfg, off + PCI_PASID_CAP);

			k |= tri_set(&d->pasid, 1);
			k |= tri_set(&d->pasid_width, PCI_PASID_CAP_WIDTH(cap));
			k |= tri_set(&d->pasid_exec, !!(cap & PCI_PASID_CAP_EXEC));
			k |= tri_set(&d->pasid_priv, !!(cap & PCI_PASID_CAP_PRIV));
			break;
		}
		case PCI_EXT_CAP_ID_ATS: {
			unsigned q = PCI_ATS_CAP_QDEP(rd16(cfg, off + PCI_ATS_CAP));

			k |= tri_set(&d->ats, 1);
			k |= tri_set(&d->ats_queue_depth, q ? q : PCI_ATS_MAX_QDEP);
			break;
		}
		case PCI_EXT_CAP_ID_PRI:
			k |= tri_set(&d->pri, 1);
			if (off + PCI_PRI_MAX_REQ + 4 <= len)
				k |= tri_set(&d->pri_max_requests,
					     rd32(cfg, off + PCI_PRI_MAX_REQ));
			break;
		case PCI_EXT_CAP_ID_ACS:
			k |= tri_set(&d->acs, 1);
			k |= tri_set(&d->acs_caps, rd16(cfg, off + PCI_ACS_CAP) & 0x7f);
			break;
		default:
			break;
		}
		off = PCI_EXT_CAP_NEXT(h);
	}
	return k < 0 ? -ENOMEM : 0;
}
