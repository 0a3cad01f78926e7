/* Errors that name the JSON path of the bad member ("units/0/capabilities/ssid_bits: ..."). */
#include "config.h"

#include <stdarg.h>

#include "jsonpath.h"

int jsonpath_bad(struct jsonpath *x, const char *field, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;

	if (x->error)
		return -EINVAL;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (!*x->path && !field)
		x->error = msg ? strdup(msg) : NULL;
	else if (asprintf(&x->error, "%s%s%s: %s", x->path, *x->path && field ? "/" : "",
			  field ? field : "", msg ? msg : "invalid") < 0)
		x->error = NULL;
	free(msg);
	return -EINVAL;
}

size_t jsonpath_push(struct jsonpath *x, const char *fmt, ...)
{
	size_t len = strlen(x->path);
	va_list ap;

	if (len && len + 1 < sizeof(x->path))
		strcat(x->path, "/");
	va_start(ap, fmt);
	vsnprintf(x->path + strlen(x->path), sizeof(x->path) - strlen(x->path), fmt, ap);
	va_end(ap);
	return len;
}
