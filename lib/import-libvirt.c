/* Importer: the <iommu> element of a libvirt domain as a requirement document. */
#include "config.h"

#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "macro.h"
#include "requirement.h"

/*
 * libvirt turns <iommu model='...'><driver .../></iommu> into a QEMU -device argument; this
 * importer does the same and hands the argument to the QEMU importer, so both map QEMU's
 * properties to host needs in one place. Each <driver> attribute, by model:
 *
 *   intel   intremap -> intremap, caching_mode -> caching-mode, eim -> eim,
 *           iotlb -> device-iotlb, aw_bits -> aw-bits, dma_translation -> dma-translation,
 *           passthrough -> pt; and from libvirt 12.8 (Zhenzhong Duan's series "Add
 *           scalable_mode/fsts/pasid_bits attribute to iommu", for QEMU 11.1's names)
 *           scalable_mode -> scalable-mode, fsts -> fsts, pasid_bits -> pasid-bits
 *   smmuv3  accel, ats, ril, ssidSize (also spelled ssidsize) -> ssidsize, oas;
 *           pciBus (which bus the vSMMU serves) and cmdqv (NVIDIA Tegra241 CMDQV, which no
 *           host document describes) are accepted and ask nothing checkable of the host
 *   virtio  aw_bits -> aw-bits, <granule mode='...'/> -> granule
 *   amd     intremap, iotlb -> device-iotlb, xtsup, pt and passthrough -> pt,
 *           dma_translation -> dma-translation
 * Attributes libvirt's schema does not have are refused, as libvirt refuses them.
 */

enum atype {
	A_SWITCH, /* on/off ("default" is as if absent) */
	A_UINT,	  /* an unsigned number in [0, max] */
	A_IGNORE, /* accepted, not passed on */
};

struct attr {
	const char *name;
	const char *qemu;
	enum atype type;
	unsigned max;
};

static const struct attr intel_attrs[] = {
	{ "intremap", "intremap", A_SWITCH, 0 },
	{ "caching_mode", "caching-mode", A_SWITCH, 0 },
	{ "eim", "eim", A_SWITCH, 0 },
	{ "iotlb", "device-iotlb", A_SWITCH, 0 },
	{ "aw_bits", "aw-bits", A_UINT, 64 },
	{ "dma_translation", "dma-translation", A_SWITCH, 0 },
	{ "passthrough", "pt", A_SWITCH, 0 },
	{ "scalable_mode", "scalable-mode", A_SWITCH, 0 },
	{ "fsts", "fsts", A_SWITCH, 0 },
	{ "pasid_bits", "pasid-bits", A_UINT, 20 },
};

static const struct attr smmuv3_attrs[] = {
	{ "pciBus", NULL, A_IGNORE, 0 },	{ "accel", "accel", A_SWITCH, 0 },
	{ "ats", "ats", A_SWITCH, 0 },		{ "ril", "ril", A_SWITCH, 0 },
	{ "ssidSize", "ssidsize", A_UINT, 20 }, { "ssidsize", "ssidsize", A_UINT, 20 },
	{ "oas", "oas", A_UINT, 64 },		{ "cmdqv", NULL, A_IGNORE, 0 },
};

static const struct attr virtio_attrs[] = {
	{ "aw_bits", "aw-bits", A_UINT, 64 },
};

static const struct attr amd_attrs[] = {
	{ "intremap", "intremap", A_SWITCH, 0 },
	{ "iotlb", "device-iotlb", A_SWITCH, 0 },
	{ "xtsup", "xtsup", A_SWITCH, 0 },
	{ "pt", "pt", A_SWITCH, 0 },
	{ "passthrough", "pt", A_SWITCH, 0 },
	{ "dma_translation", "dma-translation", A_SWITCH, 0 },
};

struct model {
	const char *name;
	const char *device;
	const struct attr *attrs;
	size_t n_attrs;
};

static const struct model models[] = {
	{ "intel", "intel-iommu", intel_attrs, ELEMENTSOF(intel_attrs) },
	{ "smmuv3", "arm-smmuv3", smmuv3_attrs, ELEMENTSOF(smmuv3_attrs) },
	{ "virtio", "virtio-iommu-pci", virtio_attrs, ELEMENTSOF(virtio_attrs) },
	{ "amd", "amd-iommu", amd_attrs, ELEMENTSOF(amd_attrs) },
};

static const char *const granule_modes[] = { "4k", "8k", "16k", "64k", "host", NULL };

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

static int driver_attr(const struct model *m, xmlNode *drv, const xmlAttr *a, char **arg,
		       char **error)
{
	const char *name = (const char *)a->name;
	const struct attr *at = NULL;
	char *value;
	int k = 0;

	for (size_t i = 0; i < m->n_attrs && !at; i++)
		if (streq(m->attrs[i].name, name))
			at = &m->attrs[i];
	if (!at || a->ns)
		return fail(error, "iommu/driver/@%s: not an attribute of model %s", name, m->name);
	if (at->type == A_IGNORE)
		return 0;
	value = attr_value(drv, a);
	if (!value)
		return -ENOMEM;
	if (at->type == A_SWITCH) {
		if (streq(value, "on") || streq(value, "off"))
			k = append(arg, at->qemu, value);
		else if (!streq(value, "default"))
			k = fail(error, "iommu/driver/@%s: expected on or off, not \"%s\"", name,
				 value);
	} else {
		char *end;
		unsigned long v;

		errno = 0;
		v = strtoul(value, &end, 10);
		if (*value < '0' || *value > '9' || *end || errno || v > at->max)
			k = fail(error,
				 "iommu/driver/@%s: expected a number from 0 to %u, not \"%s\"",
				 name, at->max, value);
		else {
			char num[24];

			snprintf(num, sizeof(num), "%lu", v);
			k = append(arg, at->qemu, num);
		}
	}
	xmlFree(value);
	return k;
}

/* virtio's <driver><granule mode='...'/></driver>. */
static int granule(xmlNode *drv, char **arg, char **error)
{
	xmlNode *g = first_child(drv, "granule");
	xmlChar *mode;
	int k = -EINVAL;

	if (!g)
		return 0;
	mode = xmlGetNoNsProp(g, (const xmlChar *)"mode");
	if (!mode)
		return fail(error, "iommu/driver/granule: expected a mode attribute");
	for (size_t i = 0; granule_modes[i]; i++)
		if (streq(granule_modes[i], (const char *)mode))
			k = append(arg, "granule", granule_modes[i]);
	if (k == -EINVAL)
		k = fail(
			error,
			"iommu/driver/granule/@mode: expected 4k, 8k, 16k, 64k or host, not \"%s\"",
			(const char *)mode);
	xmlFree(mode);
	return k;
}

/* The QEMU -device argument libvirt would generate for this <iommu>. */
static int iommu_to_qemu(xmlNode *iommu, char **ret, char **error)
{
	_cleanup_free_ char *arg = NULL;
	const struct model *m = NULL;
	xmlChar *model = xmlGetNoNsProp(iommu, (const xmlChar *)"model");
	xmlNode *drv;
	int k;

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
	arg = strdup(m->device);
	if (!arg)
		return -ENOMEM;
	drv = first_child(iommu, "driver");
	for (const xmlAttr *a = drv ? drv->properties : NULL; a; a = a->next)
		if ((k = driver_attr(m, drv, a, &arg, error)) < 0)
			return k;
	if (drv && streq(m->name, "virtio") && (k = granule(drv, &arg, error)) < 0)
		return k;
	*ret = TAKE_PTR(arg);
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
	xmlNode *root, *iommu = NULL;
	char *arg = NULL, *error = NULL, *qerror = NULL;
	int k;

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
	k = iommu_to_qemu(iommu, &arg, &error);
	if (k < 0)
		goto out;
	k = iommucap_requirement_from_qemu(arg, &r, &qerror);
	if (k == -EINVAL)
		k = fail(&error, "iommu: %s", qerror ? qerror : "invalid");
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
