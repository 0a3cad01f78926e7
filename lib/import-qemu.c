/* Importer: a QEMU -device argument (intel-iommu, arm-smmuv3, ...) as a requirement document. */
#include "config.h"

#include "requirement.h"
