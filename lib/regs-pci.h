/* PCI extended capabilities that matter to an IOMMU user; include/uapi/linux/pci_regs.h. */
#pragma once

#define PCI_CFG_SPACE_SIZE     256
#define PCI_CFG_SPACE_EXP_SIZE 4096
#define PCI_CFG_HEADER_SIZE    64 /* what an unprivileged reader of "config" gets */

#define PCI_VENDOR_ID	   0x00
#define PCI_DEVICE_ID	   0x02
#define PCI_CLASS_REVISION 0x08

#define PCI_EXT_CAP_ID(h)   ((h)&0xffff)
#define PCI_EXT_CAP_VER(h)  (((h) >> 16) & 0xf)
#define PCI_EXT_CAP_NEXT(h) (((h) >> 20) & 0xffc)

#define PCI_EXT_CAP_ID_ACS   0x0d
#define PCI_EXT_CAP_ID_ATS   0x0f
#define PCI_EXT_CAP_ID_PRI   0x13
#define PCI_EXT_CAP_ID_PASID 0x1b

/* ATS */
#define PCI_ATS_CAP		 0x04 /* u16 */
#define PCI_ATS_CAP_QDEP(x)	 ((x)&0x1f)
#define PCI_ATS_MAX_QDEP	 32
#define PCI_ATS_CAP_PAGE_ALIGNED 0x0020

/* PRI */
#define PCI_PRI_MAX_REQ 0x08 /* u32 */

/* PASID */
#define PCI_PASID_CAP	       0x04 /* u16 */
#define PCI_PASID_CAP_EXEC     0x0002
#define PCI_PASID_CAP_PRIV     0x0004
#define PCI_PASID_CAP_WIDTH(x) (((x) >> 8) & 0x1f)

/* ACS */
#define PCI_ACS_CAP 0x04 /* u16 */
