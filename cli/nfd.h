/* The host as a Kubernetes Node Feature Discovery local feature file. */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "lib/iommucap.h"

/* Every label's domain prefix: the project's own (its GitHub organisation's pages domain). */
#define NFD_PREFIX "iommu-capd.github.io"

/* How long after it is written the file stays valid: four of the timer's 15-minute periods. */
#define NFD_EXPIRY_SECONDS 3600

/*
 * Write the feature file of node-feature-discovery's "local" source (docs/usage/
 * customization-guide.md, "Local feature source"): comments, a "# +expiry-time=" line (RFC 3339,
 * UTC) at now + NFD_EXPIRY_SECONDS, then one NFD_PREFIX/NAME=VALUE line per label. A value that
 * is not known is left out (no label), never guessed. now is seconds since the epoch.
 * Returns 0, -ENOMEM, or a negative errno when writing to f failed.
 */
int nfd_write(const struct iommucap_host *h, int64_t now, FILE *f);
