/* libxml2 loaded on first use (lib/libxml-dl.h says why). */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>

#define IOMMUCAP_LIBXML_LOADER
#include "libxml-dl.h"

struct iommucap_libxml iommucap_libxml;

int iommucap_libxml_load(char **ret_error)
{
	static void *handle;
	void *h;
	const char *what;

	if (handle)
		return 0;
	h = dlopen(LIBXML_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		what = dlerror();
		goto fail;
	}
#define IOMMUCAP_LIBXML_RESOLVE(f)                                                                 \
	if (!(iommucap_libxml.f = (__typeof__(iommucap_libxml.f))dlsym(h, #f))) {                  \
		what = dlerror();                                                                  \
		goto fail_close;                                                                   \
	}
	IOMMUCAP_LIBXML_FUNCTIONS(IOMMUCAP_LIBXML_RESOLVE)
#ifdef LIBXML_THREAD_ALLOC_ENABLED
	IOMMUCAP_LIBXML_RESOLVE(__xmlFree)
#else
	if (!(iommucap_libxml.free_var = dlsym(h, "xmlFree"))) {
		what = dlerror();
		goto fail_close;
	}
#endif
#undef IOMMUCAP_LIBXML_RESOLVE
	handle = h;
	return 0;
fail_close:
	iommucap_libxml = (struct iommucap_libxml){ 0 };
	dlclose(h);
fail:
	if (ret_error &&
	    asprintf(ret_error, "reading XML needs libxml2 (Debian package libxml2): %s",
		     what ?: LIBXML_SONAME) < 0)
		*ret_error = NULL;
	return -ELIBACC;
}
