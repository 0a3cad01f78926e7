/*
 * libxml2, loaded (dlopen) when the libvirt importer first runs rather than at start-up: only
 * "iommuctl check --libvirt" parses XML, and libxml2 brings ICU (libicuuc, libicudata,
 * libstdc++) into every process that links it, which every other command would load for nothing
 * (a quarter of a second per run under valgrind). Include this after libxml2's own headers: the
 * names below then call through the loaded library. The Debian package names libxml2 in its
 * Depends (debian/control), as dpkg-shlibdeps cannot see a dlopen.
 */
#pragma once

#include <libxml/parser.h>
#include <libxml/tree.h>

/* The libxml2 functions the importer calls; __xmlGenericError* are what libxml2's own macros
 * xmlGenericError and xmlGenericErrorContext call (exported in every libxml2 configuration). */
/* clang-format off */
#define IOMMUCAP_LIBXML_FUNCTIONS(X) \
	X(xmlNewParserCtxt) X(xmlFreeParserCtxt) X(xmlCtxtReadMemory) X(xmlCtxtGetLastError) \
	X(xmlFreeDoc) X(xmlDocGetRootElement) X(xmlGetNoNsProp) X(xmlNodeListGetString) \
	X(xmlSetGenericErrorFunc) X(__xmlGenericError) X(__xmlGenericErrorContext)
/* clang-format on */

struct iommucap_libxml {
#define IOMMUCAP_LIBXML_MEMBER(f) __typeof__(f) *f;
	IOMMUCAP_LIBXML_FUNCTIONS(IOMMUCAP_LIBXML_MEMBER)
#undef IOMMUCAP_LIBXML_MEMBER
	/* xmlFree is a variable of libxml2 (a function pointer), or a per-thread one. */
#ifdef LIBXML_THREAD_ALLOC_ENABLED
	__typeof__(__xmlFree) *__xmlFree;
#else
	xmlFreeFunc *free_var;
#endif
};

extern struct iommucap_libxml iommucap_libxml;

/* Loads libxml2 once (the soname configure found); -ELIBACC and *ret_error naming the package
 * when it cannot be loaded. */
int iommucap_libxml_load(char **ret_error);

/* The loader itself (lib/libxml-dl.c) names the members as they are. */
#ifndef IOMMUCAP_LIBXML_LOADER
#define xmlNewParserCtxt       iommucap_libxml.xmlNewParserCtxt
#define xmlFreeParserCtxt      iommucap_libxml.xmlFreeParserCtxt
#define xmlCtxtReadMemory      iommucap_libxml.xmlCtxtReadMemory
#define xmlCtxtGetLastError    iommucap_libxml.xmlCtxtGetLastError
#define xmlFreeDoc	       iommucap_libxml.xmlFreeDoc
#define xmlDocGetRootElement   iommucap_libxml.xmlDocGetRootElement
#define xmlGetNoNsProp	       iommucap_libxml.xmlGetNoNsProp
#define xmlNodeListGetString   iommucap_libxml.xmlNodeListGetString
#define xmlSetGenericErrorFunc iommucap_libxml.xmlSetGenericErrorFunc
#undef xmlGenericError
#define xmlGenericError (*iommucap_libxml.__xmlGenericError())
#undef xmlGenericErrorContext
#define xmlGenericErrorContext (*iommucap_libxml.__xmlGenericErrorContext())
#undef xmlFree
#ifdef LIBXML_THREAD_ALLOC_ENABLED
#define xmlFree (*iommucap_libxml.__xmlFree())
#else
#define xmlFree (*iommucap_libxml.free_var)
#endif
#endif
