/* Importer: the <iommu> element of a libvirt domain as a requirement document. */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "libxml-dl.h"
#include "macro.h"
#include "requirement.h"

/*
 * libvirt turns <iommu model='...'><driver .../></iommu> into a QEMU -device argument; this
 * importer does the same and hands the argument to the QEMU importer, so both map QEMU's
 * properties to host needs in one place, and what QEMU 11.1 refuses comes back with QEMU's
 * words. What libvirt accepts and writes is libvirt 12.9.0's (Debian trixie-backports
 * 12.9.0-1~bpo13+1, the newest release Debian ships):
 *
 *   - which <driver> attributes exist and their types: src/conf/schemas/domaincommon.rng
 *     (<define name="iommu">): on/off switches (virOnOff: "on" or "off", nothing else), aw_bits
 *     a uint8, pciBus an unsignedInt, ssidsize and oas ints, and the <granule> element with
 *     either mode='host' or size= (and unit=);
 *   - which model takes which: docs/formatdomain.rst ("IOMMU devices": caching_mode, eim and
 *     dma_translation "intel model only", aw_bits "intel or virtio models only", passthrough and
 *     xtsup "amd model only", pciBus, accel, cmdqv, ats, ril, ssidsize and oas "smmuv3 model
 *     only", granule "virtio model only"; intremap and iotlb for the x86 models);
 *   - what each becomes on QEMU's command line: src/qemu/qemu_command.c qemuBuildIOMMUCommandLine()
 *     (its virJSONValueObjectAdd() keys): intel-iommu "S:intremap", "T:caching-mode", "S:eim",
 *     "T:device-iotlb", "p:aw-bits" (0: not passed), "T:dma-translation"; amd-iommu (with an
 *     AMDVI-PCI device and "s:pci-id") "S:intremap", "T:device-iotlb", "T:xtsup", "T:pt";
 *     arm-smmuv3 "s:primary-bus" (the bus of pciBus), "T:accel", "S:ats", "S:ril", "S:ssidsize",
 *     "S:oas", "S:cmdqv"; virtio-iommu-pci "p:aw-bits", "S:granule" ("host" or "%dk").
 *     libvirt passes passthrough as amd-iommu's pt, which QEMU 11.1 no longer has: QEMU refuses
 *     it ("Property 'amd-iommu.pt' not found"), and so does this importer;
 *   - what libvirt itself refuses, with its message (src/conf/domain_validate.c,
 *     virDomainIOMMUDefValidate() and virDomainDefIOMMUValidate(); src/qemu/qemu_validate.c):
 *     ats, ril, ssidsize, oas or cmdqv without accel='on'; eim='on' without intremap='on';
 *     intremap='on' in a domain without <ioapic driver='qemu'/>; a granule with both mode and
 *     size, or of a size QEMU lacks.
 *
 * Attributes libvirt 12.9.0 does not have for the model (the scalable_mode, fsts and pasid_bits
 * posted for 12.8.0 were not merged by 12.9.0; ssidSize is not libvirt's spelling) are refused.
 * <iommufd enabled='yes'/> (the domain's, libvirt 12.x: libvirt opens /dev/iommu and hands it
 * to QEMU) asks the host for iommufd: the requirement's "iommufd": true. So does a PCI
 * <hostdev> with <driver iommufd='yes'/>: libvirt's tests/qemuxmlconfdata/iommufd.xml gives
 * "-object iommufd" with the fd libvirt opened and "vfio-pci" with "iommufd":"iommufd0"
 * (iommufd.x86_64-latest.args).
 */

enum atype {
	A_SWITCH, /* virOnOff */
	A_UINT8,  /* libvirt's uint8; 0 is not passed ("p:") */
	A_INT,	  /* an int, passed as a string ("S:") for QEMU to judge */
	A_BUS,	  /* pciBus: an unsignedInt naming the bus, asks nothing of the host */
};

enum { M_INTEL = 1 << 0, M_SMMUV3 = 1 << 1, M_VIRTIO = 1 << 2, M_AMD = 1 << 3 };

struct attr {
	const char *name;
	const char *qemu;
	enum atype type;
	unsigned models;
};

/* domaincommon.rng's order. */
static const struct attr attrs[] = {
	{ "intremap", "intremap", A_SWITCH, M_INTEL | M_AMD },
	{ "caching_mode", "caching-mode", A_SWITCH, M_INTEL },
	{ "eim", "eim", A_SWITCH, M_INTEL },
	{ "iotlb", "device-iotlb", A_SWITCH, M_INTEL | M_AMD },
	{ "aw_bits", "aw-bits", A_UINT8, M_INTEL | M_VIRTIO },
	{ "dma_translation", "dma-translation", A_SWITCH, M_INTEL },
	{ "xtsup", "xtsup", A_SWITCH, M_AMD },
	{ "passthrough", "pt", A_SWITCH, M_AMD },
	{ "pciBus", NULL, A_BUS, M_SMMUV3 },
	{ "accel", "accel", A_SWITCH, M_SMMUV3 },
	{ "ats", "ats", A_SWITCH, M_SMMUV3 },
	{ "ril", "ril", A_SWITCH, M_SMMUV3 },
	{ "ssidsize", "ssidsize", A_INT, M_SMMUV3 },
	{ "oas", "oas", A_INT, M_SMMUV3 },
	{ "cmdqv", "cmdqv", A_SWITCH, M_SMMUV3 },
};

struct model {
	const char *name;
	const char *device;
	unsigned bit;
};

static const struct model models[] = {
	{ "intel", "intel-iommu", M_INTEL },
	{ "smmuv3", "arm-smmuv3", M_SMMUV3 },
	{ "virtio", "virtio-iommu-pci", M_VIRTIO },
	{ "amd", "amd-iommu", M_AMD },
};

_printf_(2, 3) static int fail(char **error, const char *fmt, ...)
{
	va_list ap;

	if (*error)
		return -EINVAL;
	va_start(ap, fmt);
	if (vasprintf(error, fmt, ap) < 0)
		*error = NULL;
	va_end(ap);
	return -EINVAL;
}

/* libxml2 reports encoding and I/O errors through its generic handler, not the context's. */
static void xml_silent(void *ctx, const char *msg, ...)
{
}

/* An element of no namespace (libvirt's own) named name. */
static bool is_element(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && !n->ns && streq((const char *)n->name, name);
}

static xmlNode *first_child(xmlNode *parent, const char *name)
{
	for (xmlNode *c = parent->children; c; c = c->next)
		if (is_element(c, name))
			return c;
	return NULL;
}

/* The attribute's value, owned by the caller (xmlFree), or NULL. */
static char *attr_value(xmlNode *n, const xmlAttr *a)
{
	return (char *)xmlNodeListGetString(n->doc, a->children, 1);
}

/* Append ",key=value" to the argument. */
static int append(char **arg, const char *key, const char *value)
{
	char *s;

	if (asprintf(&s, "%s,%s=%s", *arg, key, value) < 0)
		return -ENOMEM;
	free(*arg);
	*arg = s;
	return 0;
}

/* An XML Schema integer (optional sign, decimal digits) in [lo, hi]. */
static bool parse_xsd_int(const char *s, long long lo, long long hi, long long *ret)
{
	const char *d = s + (*s == '-' || *s == '+');
	char *end;
	long long v;

	if (*d < '0' || *d > '9')
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end || errno || v < lo || v > hi)
		return false;
	*ret = v;
	return true;
}

/* What the <driver> element says, once read: the switches the checks below need. */
struct driver {
	char *arg; /* the -device argument built so far */
	bool set[ELEMENTSOF(attrs)];
	bool on[ELEMENTSOF(attrs)];
};

static size_t attr_index(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(attrs); i++)
		if (streq(attrs[i].name, name))
			return i;
	return SIZE_MAX;
}

static int driver_attr(const struct model *m, xmlNode *drv, const xmlAttr *a, struct driver *d,
		       char **error)
{
	const char *name = (const char *)a->name;
	size_t i = attr_index(name);
	const struct attr *at = i == SIZE_MAX ? NULL : &attrs[i];
	char *value;
	long long v;
	int k = 0;

	if (!at || a->ns || !(at->models & m->bit))
		return fail(error, "iommu/driver/@%s: not an attribute of model %s", name, m->name);
	value = attr_value(drv, a);
	if (!value)
		return -ENOMEM;
	d->set[i] = true;
	switch (at->type) {
	case A_SWITCH:
		if (streq(value, "on") || streq(value, "off")) {
			d->on[i] = streq(value, "on");
			k = append(&d->arg, at->qemu, value);
		} else
			k = fail(error, "iommu/driver/@%s: expected on or off, not \"%s\"", name,
				 value);
		break;
	case A_UINT8:
		if (!parse_xsd_int(value, 0, 255, &v) || *value == '-')
			k = fail(error,
				 "iommu/driver/@%s: expected a number from 0 to 255, not \"%s\"",
				 name, value);
		else if (v > 0) {
			char num[24];

			snprintf(num, sizeof(num), "%lld", v);
			k = append(&d->arg, at->qemu, num);
		}
		break;
	case A_INT:
	case A_BUS:
		if (!parse_xsd_int(value, at->type == A_BUS ? 0 : INT_MIN,
				   at->type == A_BUS ? UINT_MAX : INT_MAX, &v))
			k = fail(error, "iommu/driver/@%s: expected %s, not \"%s\"", name,
				 at->type == A_BUS ? "an unsigned number" : "a number", value);
		else if (at->type == A_INT) {
			char num[24];

			snprintf(num, sizeof(num), "%lld", v);
			k = append(&d->arg, at->qemu, num);
		}
		break;
	}
	xmlFree(value);
	return k;
}

/*
 * A <granule size=N unit=U/> in bytes: libvirt's virScaleInteger() units (b, bytes; k, KiB,
 * KB; M, MiB, MB; G, GiB, GB; T ...; case-insensitive); without unit, KiB, the unit libvirt
 * writes it back in.
 */
static bool scaled_bytes(const char *size, const char *unit, unsigned long long *ret)
{
	static const char prefixes[] = "kmgtpe";
	unsigned long long base = 1024, scale = 1, v;
	const char *p;
	char *end;

	if (*size < '0' || *size > '9')
		return false;
	errno = 0;
	v = strtoull(size, &end, 10);
	if (*end || errno)
		return false;
	if (unit && (strcasecmp(unit, "b") == 0 || strcasecmp(unit, "byte") == 0 ||
		     strcasecmp(unit, "bytes") == 0))
		base = 1, scale = 1;
	else if (unit) {
		if (!*unit || !(p = strchr(prefixes, tolower((unsigned char)*unit))))
			return false;
		if (unit[1] && strcasecmp(unit + 1, "iB") != 0) {
			if (tolower((unsigned char)unit[1]) != 'b' || unit[2])
				return false;
			base = 1000;
		}
		for (const char *q = prefixes; q <= p; q++)
			scale *= base;
	} else
		scale = 1024;
	if (v > ULLONG_MAX / scale)
		return false;
	*ret = v * scale;
	return true;
}

/* virtio's <driver><granule mode='host'/> or <granule size='N' unit='KiB'/></driver>. */
static int granule(xmlNode *drv, struct driver *d, char **error)
{
	xmlNode *g = first_child(drv, "granule");
	xmlChar *mode, *size, *unit;
	unsigned long long bytes;
	int k = 0;

	if (!g)
		return 0;
	mode = xmlGetNoNsProp(g, (const xmlChar *)"mode");
	size = xmlGetNoNsProp(g, (const xmlChar *)"size");
	unit = xmlGetNoNsProp(g, (const xmlChar *)"unit");
	if (mode && size) /* virDomainIOMMUDefParseXML() */
		k = fail(error, "'mode' and 'size' can't be specified at the same time for "
				"'granule'");
	else if (mode && !streq((const char *)mode, "host"))
		k = fail(error, "iommu/driver/granule/@mode: expected host, not \"%s\"",
			 (const char *)mode);
	else if (mode)
		k = append(&d->arg, "granule", "host");
	else if (!size)
		k = fail(error, "iommu/driver/granule: expected a mode or a size attribute");
	else if (!scaled_bytes((const char *)size, (const char *)unit, &bytes))
		k = fail(error, "iommu/driver/granule: expected a size and a unit, not \"%s%s%s\"",
			 (const char *)size, unit ? " " : "", unit ? (const char *)unit : "");
	else if (bytes != 4096 && bytes != 8192 && bytes != 16384 && bytes != 65536)
		/* qemuValidateDomainDeviceDefIOMMU() */
		k = fail(error, "iommu: unsupported granule size. Supported values are 4, 8, 16 "
				"and 64 KiB");
	else {
		char val[24];

		snprintf(val, sizeof(val), "%lluk", bytes / 1024);
		k = append(&d->arg, "granule", val);
	}
	xmlFree(mode);
	xmlFree(size);
	xmlFree(unit);
	return k;
}

/* Whether the domain has <features><ioapic driver='qemu'/> (a split I/O APIC). */
static bool split_ioapic(xmlNode *domain)
{
	xmlNode *features = first_child(domain, "features");
	xmlNode *ioapic = features ? first_child(features, "ioapic") : NULL;
	xmlChar *drv = ioapic ? xmlGetNoNsProp(ioapic, (const xmlChar *)"driver") : NULL;
	bool split = drv && streq((const char *)drv, "qemu");

	xmlFree(drv);
	return split;
}

/* What libvirt refuses across attributes, with libvirt 12.9.0's words. domain is NULL for a
 * bare <iommu> element, whose domain is not known. */
static int libvirt_validate(const struct model *m, const struct driver *d, xmlNode *domain,
			    char **error)
{
	size_t intremap = attr_index("intremap"), eim = attr_index("eim"),
	       accel = attr_index("accel");
	static const char *const need_accel[] = { "ats", "ril", "ssidsize", "oas", "cmdqv" };

	if (m->bit == M_SMMUV3 && !d->on[accel])
		for (size_t i = 0; i < ELEMENTSOF(need_accel); i++)
			if (d->set[attr_index(need_accel[i])])
				return fail(error, IOMMUCAP_LIBVIRT_NEEDS_ACCEL, m->name);
	if (d->on[eim] && !d->on[intremap])
		return fail(error, "IOMMU eim requires interrupt remapping to be enabled");
	if (domain && d->on[intremap] && !split_ioapic(domain))
		return fail(error, "IOMMU interrupt remapping requires split I/O APIC "
				   "(ioapic driver='qemu')");
	return 0;
}

/* <iommufd enabled='yes|no' [fdgroup='...']/> of the domain (domaincommon.rng, virYesNo):
 * *ret_want is whether libvirt opens /dev/iommu for the domain. */
static int iommufd(xmlNode *domain, enum iommucap_want *ret_want, char **error)
{
	xmlNode *fd = domain ? first_child(domain, "iommufd") : NULL;
	xmlChar *enabled;
	int k = 0;

	if (!fd)
		return 0;
	enabled = xmlGetNoNsProp(fd, (const xmlChar *)"enabled");
	if (enabled && streq((const char *)enabled, "yes"))
		*ret_want = IOMMUCAP_WANT_TRUE;
	else if (!enabled || !streq((const char *)enabled, "no"))
		k = fail(error, "iommufd/@enabled: expected yes or no, not \"%s\"",
			 enabled ? (const char *)enabled : "");
	xmlFree(enabled);
	return k;
}

/* <hostdev mode='subsystem' type='pci'><driver iommufd='yes|no'/> (virTristateBool): a
 * device libvirt hands to QEMU on the iommufd backend, for which it opens /dev/iommu. */
static int hostdev_iommufd(xmlNode *domain, enum iommucap_want *ret_want, char **error)
{
	xmlNode *devs = domain ? first_child(domain, "devices") : NULL;
	int k = 0;

	for (xmlNode *h = devs ? devs->children : NULL; h && k == 0; h = h->next) {
		xmlNode *drv = is_element(h, "hostdev") ? first_child(h, "driver") : NULL;
		xmlChar *v = drv ? xmlGetNoNsProp(drv, (const xmlChar *)"iommufd") : NULL;

		if (v && streq((const char *)v, "yes"))
			*ret_want = IOMMUCAP_WANT_TRUE;
		else if (v && !streq((const char *)v, "no"))
			k = fail(error, "hostdev/driver/@iommufd: expected yes or no, not \"%s\"",
				 (const char *)v);
		xmlFree(v);
	}
	return k;
}

/* The QEMU -device argument libvirt would generate for this <iommu>. */
static int iommu_to_qemu(xmlNode *iommu, xmlNode *domain, char **ret, char **error)
{
	struct driver d = { 0 };
	const struct model *m = NULL;
	xmlChar *model = xmlGetNoNsProp(iommu, (const xmlChar *)"model");
	xmlNode *drv;
	int k = 0;

	if (!model)
		return fail(error, "iommu: expected a model attribute");
	for (size_t i = 0; i < ELEMENTSOF(models) && !m; i++)
		if (streq(models[i].name, (const char *)model))
			m = &models[i];
	if (!m) {
		k = fail(error, "iommu/@model: \"%s\" is not one of intel, smmuv3, virtio, amd",
			 (const char *)model);
		xmlFree(model);
		return k;
	}
	xmlFree(model);
	d.arg = strdup(m->device);
	if (!d.arg)
		return -ENOMEM;
	drv = first_child(iommu, "driver");
	for (const xmlAttr *a = drv ? drv->properties : NULL; a && k == 0; a = a->next)
		k = driver_attr(m, drv, a, &d, error);
	if (k == 0 && drv && first_child(drv, "granule")) {
		if (m->bit != M_VIRTIO)
			k = fail(error, "iommu/driver/granule: not an element of model %s",
				 m->name);
		else
			k = granule(drv, &d, error);
	}
	if (k == 0)
		k = libvirt_validate(m, &d, domain, error);
	if (k < 0) {
		free(d.arg);
		return k;
	}
	*ret = d.arg;
	return 0;
}

/*
 * The most attributes of any one start tag, counted without parsing. libxml2 2.9.14 (Debian 12)
 * checks each attribute of a tag against every earlier one, so 40,000 attributes took 6.7 s;
 * libvirt's domain elements have a handful.
 */
#define LIBVIRT_ATTRS_MAX 256

static size_t max_attributes(const char *xml, size_t len)
{
	size_t most = 0, n = 0;
	bool in_tag = false;
	char quote = 0;

	for (size_t i = 0; i < len; i++) {
		char ch = xml[i];

		if (quote) {
			if (ch == quote)
				quote = 0;
		} else if (!in_tag) {
			if (ch != '<')
				continue;
			if (i + 3 < len && memcmp(xml + i, "<!--", 4) == 0) {
				const char *end = memmem(xml + i + 4, len - i - 4, "-->", 3);

				if (!end)
					break;
				i = (size_t)(end - xml) + 2;
				continue;
			}
			in_tag = true;
			n = 0;
		} else if (ch == '"' || ch == '\'')
			quote = ch;
		else if (ch == '=')
			n++;
		else if (ch == '>') {
			in_tag = false;
			if (n > most)
				most = n;
		}
	}
	return n > most ? n : most;
}

int iommucap_requirement_from_libvirt(const char *xml, size_t len,
				      struct iommucap_requirement **ret, char **ret_error)
{
	/* No network, no DTD, no entity substitution: a domain XML needs none of them. */
	const int flags = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
	struct iommucap_requirement *r = NULL;
	xmlParserCtxt *ctxt = NULL;
	xmlDoc *doc = NULL;
	xmlNode *root, *iommu = NULL, *domain = NULL;
	char *arg = NULL, *error = NULL, *qerror = NULL;
	int k;

	k = iommucap_libxml_load(&error);
	if (k < 0) {
		if (ret_error)
			*ret_error = error;
		else
			free(error);
		return k;
	}
	if (len > INT_MAX) {
		k = fail(&error, "the domain XML is too large");
		goto out;
	}
	if (max_attributes(xml, len) > LIBVIRT_ATTRS_MAX) {
		k = fail(&error, "an element has more than %d attributes", LIBVIRT_ATTRS_MAX);
		goto out;
	}
	ctxt = xmlNewParserCtxt();
	if (!ctxt) {
		k = -ENOMEM;
		goto out;
	}
	/* A library prints nothing: silence the (per-thread) generic handler while parsing. */
	xmlGenericErrorFunc saved_func = xmlGenericError;
	void *saved_ctx = xmlGenericErrorContext;
	xmlSetGenericErrorFunc(NULL, xml_silent);
	doc = xmlCtxtReadMemory(ctxt, xml, (int)len, NULL, NULL, flags);
	xmlSetGenericErrorFunc(saved_ctx, saved_func);
	if (!doc) {
		const xmlError *e = xmlCtxtGetLastError(ctxt);

		k = fail(&error, "not XML: line %d: %.*s", e ? e->line : 0,
			 e && e->message ? (int)strcspn(e->message, "\n") : 7,
			 e && e->message ? e->message : "invalid");
		goto out;
	}
	/* Entities are where XML bombs and external fetches live; libvirt never writes a DTD. */
	if (doc->intSubset || doc->extSubset) {
		k = fail(&error,
			 "the domain XML has a DTD (<!DOCTYPE>), which libvirt never writes");
		goto out;
	}
	root = xmlDocGetRootElement(doc);
	if (root && is_element(root, "iommu"))
		iommu = root; /* a device XML, as "virsh attach-device" takes */
	else if (root && is_element(root, "domain")) {
		xmlNode *devs = first_child(root, "devices");

		domain = root;
		iommu = devs ? first_child(devs, "iommu") : NULL;
		if (!iommu) {
			k = fail(&error, "the domain has no <iommu> device");
			goto out;
		}
	} else {
		k = fail(&error, "not a libvirt domain: the root element is <%s>",
			 root ? (const char *)root->name : "");
		goto out;
	}
	k = iommu_to_qemu(iommu, domain, &arg, &error);
	if (k < 0)
		goto out;
	k = iommucap_requirement_from_qemu(arg, &r, &qerror);
	if (k == -EINVAL)
		k = fail(&error, "iommu: %s", qerror ? qerror : "invalid");
	if (k == 0)
		k = iommufd(domain, &r->iommufd, &error);
	if (k == 0)
		k = hostdev_iommufd(domain, &r->iommufd, &error);
out:
	free(arg);
	free(qerror);
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	if (k < 0) {
		iommucap_requirement_free(r);
		if (ret_error)
			*ret_error = error ? error : strdup(strerror(-k));
		else
			free(error);
		return k;
	}
	free(error);
	*ret = r;
	return 0;
}
