/* The host model as Prometheus text metrics (exposition format 0.0.4): plain fprintf. */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>

#include "lib/macro.h"
#include "prometheus.h"

#define _sentinel_ __attribute__((sentinel))

/* A metric family: its HELP and TYPE lines are written before its first sample. */
struct family {
	const char *name;
	const char *help; /* no backslash, no newline */
	bool started;
};

/* The length of the valid UTF-8 sequence at s, or 0 (Go's utf8.ValidString rules). */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0; /* also stops at the terminating NUL */
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* A label value: backslash, double quote and newline escaped; invalid UTF-8 becomes U+FFFD. */
static void put_label_value(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = utf8_len(p);

		if (n == 0) {
			fputs("\xef\xbf\xbd", f);
			p++;
			continue;
		}
		if (*p == '\\')
			fputs("\\\\", f);
		else if (*p == '"')
			fputs("\\\"", f);
		else if (*p == '\n')
			fputs("\\n", f);
		else
			fwrite(p, 1, n, f);
		p += n;
	}
}

/* One sample: the labels are name, value pairs (a NULL value is written as ""), then NULL. */
static _sentinel_ void sample(FILE *f, struct family *fam, int64_t value, ...)
{
	const char *sep = "{", *k;
	va_list ap;

	if (!fam->started) {
		fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", fam->name, fam->help, fam->name);
		fam->started = true;
	}
	fputs(fam->name, f);
	va_start(ap, value);
	while ((k = va_arg(ap, const char *))) {
		const char *v = va_arg(ap, const char *);

		fprintf(f, "%s%s=\"", sep, k);
		put_label_value(f, v ? v : "");
		fputc('"', f);
		sep = ",";
	}
	va_end(ap);
	fprintf(f, "%s %" PRId64 "\n", *sep == ',' ? "}" : "", value);
}

static bool known(const struct iommucap_unit *u, enum iommucap_cap c)
{
	return u->caps[c].source != IOMMUCAP_SRC_UNKNOWN;
}

static void host_metrics(const struct iommucap_host *h, FILE *f)
{
	const struct iommucap_hostinfo *hi = &h->info;
	struct family
		info = { "iommu_capd_host_info",
			 "The host: kernel release, the default domain of the IOMMU groups "
			 "(empty when not known), CPU vendor, host document schema version." },
		dev_iommu = { "iommu_capd_host_dev_iommu",
			      "Whether /dev/iommu (iommufd) exists (host.dev_iommu)." },
		dev_vfio = { "iommu_capd_host_dev_vfio",
			     "Whether /dev/vfio/vfio exists (host.dev_vfio)." },
		cpu_flag = { "iommu_capd_host_cpu_flag",
			     "Whether the CPU has the flag (host.cpu.flags); absent when the "
			     "flags are not known." },
		units = { "iommu_capd_units", "Number of IOMMU units." },
		groups = { "iommu_capd_groups", "Number of IOMMU groups." },
		devices = { "iommu_capd_devices", "Number of PCI devices." },
		warnings = { "iommu_capd_warnings",
			     "Number of warnings of the probe: values that could not be read "
			     "(iommuctl dump lists them)." },
		probed = { "iommu_capd_probe_timestamp_seconds",
			   "When the host was probed, in seconds since the epoch "
			   "(generated_at)." };
	char schema[16];

	snprintf(schema, sizeof(schema), "%d", IOMMUCAP_SCHEMA_VERSION);
	sample(f, &info, 1, "kernel_release", hi->kernel_release, "default_domain_type",
	       hi->domain_type, "default_domain_mode", hi->domain_mode, "cpu_vendor",
	       hi->cpu_vendor, "schema_version", schema, NULL);
	sample(f, &dev_iommu, hi->dev_iommu, NULL);
	sample(f, &dev_vfio, hi->dev_vfio, NULL);
	for (int i = 0; hi->cpu_flags_known && i < _IOMMUCAP_CPU_FLAG_MAX; i++)
		sample(f, &cpu_flag, hi->cpu_flags[i], "flag", iommucap_cpu_flag_names[i], NULL);
	sample(f, &units, (int64_t)h->n_units, NULL);
	sample(f, &groups, (int64_t)h->n_groups, NULL);
	sample(f, &devices, (int64_t)h->n_devices, NULL);
	sample(f, &warnings, (int64_t)h->n_warnings, NULL);
	/* A document read back without generated_at has none. */
	if (h->generated_at > 0)
		sample(f, &probed, h->generated_at, NULL);
}

static void unit_metrics(const struct iommucap_host *h, FILE *f)
{
	struct family info = { "iommu_capd_unit_info",
			       "An IOMMU unit: its model name and model id (the property-file "
			       "numbering)." },
		      devices = { "iommu_capd_unit_devices",
				  "Number of devices the unit translates." },
		      cap_known = { "iommu_capd_unit_capability_known",
				    "Whether the capability's value is known: an unknown value has "
				    "no sample in its own metric." };
	char num[32];

	for (size_t i = 0; i < h->n_units; i++) {
		const struct iommucap_unit *u = &h->units[i];

		snprintf(num, sizeof(num), "%d", u->model_id);
		sample(f, &info, 1, "unit", u->name, "model", iommucap_model_name(u->model),
		       "model_id", num, NULL);
	}
	for (size_t i = 0; i < h->n_units; i++)
		sample(f, &devices, (int64_t)h->units[i].n_devices, "unit", h->units[i].name, NULL);
	for (size_t i = 0; i < h->n_units; i++)
		for (int c = 0; c < _IOMMUCAP_CAP_MAX; c++)
			sample(f, &cap_known, known(&h->units[i], (enum iommucap_cap)c), "unit",
			       h->units[i].name, "capability",
			       iommucap_cap_info((enum iommucap_cap)c)->name, NULL);

	/*
	 * A family per capability, in the host document's order, named by the catalogue
	 * (lib/capabilities.def): a gauge for a number (a flag as 0 or 1), and for a name or a list
	 * one sample of value 1 per value, labelled.
	 */
	for (int c = 0; c < _IOMMUCAP_CAP_MAX; c++) {
		const struct iommucap_cap_info *ci = iommucap_cap_info((enum iommucap_cap)c);
		struct family fam = { ci->metric, ci->metric_help };

		for (size_t i = 0; i < h->n_units; i++) {
			const struct iommucap_unit *u = &h->units[i];
			const struct iommucap_capval *cv = &u->caps[c];

			if (!known(u, (enum iommucap_cap)c))
				continue;
			switch (ci->type) {
			case IOMMUCAP_T_INT:
				sample(f, &fam, cv->num, "unit", u->name, NULL);
				break;
			case IOMMUCAP_T_BOOL:
				sample(f, &fam, cv->num ? 1 : 0, "unit", u->name, NULL);
				break;
			case IOMMUCAP_T_ENUM:
				sample(f, &fam, 1, "unit", u->name, ci->metric_label,
				       ci->names[cv->num], NULL);
				break;
			case IOMMUCAP_T_INT_LIST:
				for (size_t k = 0; k < cv->list.n; k++) {
					snprintf(num, sizeof(num), "%" PRIu64, cv->list.nums[k]);
					sample(f, &fam, 1, "unit", u->name, ci->metric_label, num,
					       NULL);
				}
				break;
			case IOMMUCAP_T_STR_LIST:
				for (size_t k = 0; k < cv->list.n; k++)
					sample(f, &fam, 1, "unit", u->name, ci->metric_label,
					       cv->list.strs[k], NULL);
				break;
			}
		}
	}
}

static void group_metrics(const struct iommucap_host *h, FILE *f)
{
	struct family info = { "iommu_capd_group_info",
			       "An IOMMU group and its default domain type (empty when not "
			       "known)." },
		      devices = { "iommu_capd_group_devices", "Number of devices in the group." };
	char id[16];

	for (size_t i = 0; i < h->n_groups; i++) {
		snprintf(id, sizeof(id), "%d", h->groups[i].id);
		sample(f, &info, 1, "group", id, "type", h->groups[i].type, NULL);
	}
	for (size_t i = 0; i < h->n_groups; i++) {
		snprintf(id, sizeof(id), "%d", h->groups[i].id);
		sample(f, &devices, (int64_t)h->groups[i].n_devices, "group", id, NULL);
	}
}

static void device_metrics(const struct iommucap_host *h, FILE *f)
{
	struct family
		info = { "iommu_capd_device_info",
			 "A PCI device: the unit that translates it and its group (empty when "
			 "none), driver, PCI ids." },
		width = { "iommu_capd_device_pasid_width",
			  "Width in bits of the device's PCI PASID capability (pasid.width)." },
		effective = { "iommu_capd_device_effective_pasid_width",
			      "Width in bits of the PASIDs the device can use behind its unit: "
			      "min(pasid.width, unit ssid_bits) (effective_pasid_bits)." };
	char group[16], vendor[8], device[8], class[12];

	for (size_t i = 0; i < h->n_devices; i++) {
		const struct iommucap_device *d = &h->devices[i];

		if (d->group >= 0)
			snprintf(group, sizeof(group), "%d", d->group);
		else
			group[0] = '\0';
		vendor[0] = device[0] = class[0] = '\0';
		if (d->have_ids) {
			snprintf(vendor, sizeof(vendor), "0x%04" PRIx32, d->vendor & 0xffff);
			snprintf(device, sizeof(device), "0x%04" PRIx32, d->device_id & 0xffff);
			snprintf(class, sizeof(class), "0x%06" PRIx32, d->class_code & 0xffffff);
		}
		sample(f, &info, 1, "device", d->address, "unit", d->unit, "group", group, "driver",
		       d->driver, "vendor", vendor, "device_id", device, "class", class, NULL);
	}
	for (size_t i = 0; i < h->n_devices; i++) {
		const struct iommucap_device *d = &h->devices[i];

		if (d->pasid_width.known)
			sample(f, &width, d->pasid_width.value, "device", d->address, "unit",
			       d->unit, NULL);
	}
	for (size_t i = 0; i < h->n_devices; i++) {
		const struct iommucap_device *d = &h->devices[i];

		if (d->effective_pasid_bits.known)
			sample(f, &effective, d->effective_pasid_bits.value, "device", d->address,
			       "unit", d->unit, NULL);
	}
}

int prometheus_write(const struct iommucap_host *h, FILE *f)
{
	errno = 0;
	host_metrics(h, f);
	unit_metrics(h, f);
	group_metrics(h, f);
	device_metrics(h, f);
	if (fflush(f) != 0 || ferror(f))
		return errno > 0 ? -errno : -EIO;
	return 0;
}
