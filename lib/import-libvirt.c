/* Importer: the <iommu> element of a libvirt domain as a requirement document. */
#include "config.h"

#include "requirement.h"
