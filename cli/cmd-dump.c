/* dump: the host document as JSON, Prometheus textfile metrics or NFD labels. */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "command.h"
#include "iommuctl.h"
#include "nfd.h"
#include "prometheus.h"

static int do_dump(void)
{
	json_t *doc = NULL, *w;
	size_t i;
	int r, k;

	if (arg_n_filters > 0)
		return fail(EX_USAGE, "dump takes no arguments");
	if (arg_format != FORMAT_JSON) {
		_cleanup_(iommucap_host_freep) struct iommucap_host *h = NULL;

		r = probe(&h); /* the model, from the daemon or a probe; prints the warnings */
		if (r != EXIT_SUCCESS)
			return r;
		/* The expiry counts from now, not from generated_at: the daemon's document may be
		 * days old and still current. */
		k = arg_format == FORMAT_NFD ? nfd_write(h, iommucap_now(), stdout)
					     : prometheus_write(h, stdout);
		if (k < 0)
			return fail_errno(EXIT_FAILURE, k, "cannot print");
		return EXIT_SUCCESS;
	}
	r = host_document(&doc);
	if (r != EXIT_SUCCESS)
		return r;
	json_array_foreach (json_object_get(doc, "warnings"), i, w) {
		if (!arg_quiet)
			warnx("warning: %s", json_string_value(w));
	}
	k = json_dumpf(doc, stdout,
		       (arg_compact ? JSON_COMPACT : JSON_INDENT(2)) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(doc);
	return k < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

const struct iommuctl_command iommuctl_cmd_dump = {
	.name = "dump",
	.run = do_dump,
	.args = "",
	.summary = "the host document as JSON (schema/host.schema.json)",
	.doc = "The whole host document as JSON (schema/host.schema.json): every unit with its "
	       "capabilities and the reasons for unknown values, the devices, the groups and the "
	       "host context; or, with --format=prometheus, node_exporter textfile metrics, with "
	       "--format=nfd, Kubernetes node-feature-discovery labels.\v" EXIT_STATUS_COMMON,
	.options = (const int[]){ SOURCE_OPTIONS, OPT_COMPACT, OPT_FORMAT, 'q', 0 },
};
