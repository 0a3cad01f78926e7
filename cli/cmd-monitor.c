/* monitor: follow the daemon's Monitor stream, a line per change. */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "command.h"
#include "iommuctl.h"
#include "varlink/client.h"

/* Follow Monitor: a line per change, until interrupted or the daemon goes away. */
static int do_monitor(void)
{
	struct vl_client *c;
	int k;

	if (arg_n_filters > 0)
		return fail(EX_USAGE, "monitor takes no arguments");
	if (offline())
		return fail(EX_USAGE, "monitor needs the daemon (it watches for changes)");
	k = vl_client_connect(arg_address, &c);
	if (k < 0)
		return daemon_unreachable(k);
	k = vl_client_call(c, "io.iommucapd.Monitor", NULL, true);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (bool continues = true; k >= 0 && continues;) {
		_cleanup_free_ char *error = NULL;
		json_t *params, *ev;

		k = vl_client_read(c, &params, &error, &continues);
		if (k < 0)
			break;
		if (error) {
			warnx("Monitor failed: %s", error);
			json_decref(params);
			vl_client_free(c);
			return EXIT_FAILURE;
		}
		ev = json_object_get(params, "event");
		if (arg_table.json)
			json_dumpf(ev, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		else
			printf("%-7s %-6s %s", json_string_value(json_object_get(ev, "action")),
			       json_string_value(json_object_get(ev, "kind")),
			       json_string_value(json_object_get(ev, "name")));
		putchar('\n');
		json_decref(params);
	}
	vl_client_free(c);
	if (k < 0)
		return fail_errno(EX_UNAVAILABLE, k, "lost iommu-capd");
	return EXIT_SUCCESS;
}

const struct iommuctl_command iommuctl_cmd_monitor = {
	.name = "monitor",
	.run = do_monitor,
	.args = "",
	.summary = "follow units, devices and groups as they change",
	.doc = "Follow the daemon's Monitor stream: one line per unit, PCI device or group added, "
	       "removed or changed (action, kind, name), until interrupted; -J prints one JSON "
	       "object per line. It needs the daemon.\v" EXIT_STATUS_COMMON,
	.options = (const int[]){ OPT_ADDRESS, 'J', 0 },
};
