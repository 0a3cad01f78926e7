/* The host model as Prometheus text metrics, for node_exporter's textfile collector. */
#pragma once

#include <stdio.h>

#include "lib/iommucap.h"

/*
 * Write the host as the Prometheus text exposition format 0.0.4: gauges named iommu_capd_*, each
 * family with its HELP and TYPE lines, in a stable order. A value that is not known is left out
 * (iommu_capd_unit_capability_known says which); a family with no sample is left out whole.
 * Returns 0, or a negative errno when writing to f failed.
 */
int prometheus_write(const struct iommucap_host *h, FILE *f);
