/* suggest: the strongest vIOMMU the host (and a device) can back. */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "lib/suggest.h"
#include "command.h"
#include "iommuctl.h"

#define EX_NO_SUGGESTION 1

static int bad_model(void)
{
	return fail(
		EX_USAGE,
		"--model: unknown vIOMMU model '%s': known are intel-iommu, amd-iommu, arm-smmuv3 "
		"and virtio-iommu-pci",
		arg_model);
}

static int do_suggest(void)
{
	_cleanup_(iommucap_host_freep) struct iommucap_host *h = NULL;
	_cleanup_free_ char *error = NULL;
	json_t *sg = NULL;
	int r, k;

	if (arg_n_filters > 0 || (arg_qemu && *arg_qemu) || (arg_libvirt && *arg_libvirt))
		return fail(
			EX_USAGE,
			"suggest takes no arguments (--qemu and --libvirt choose what it prints)");
	if (arg_qemu_given + arg_libvirt_given + arg_table.json + arg_print_requirement > 1)
		return fail(EX_USAGE,
			    "--qemu, --libvirt, --json and --print-requirement exclude each other");
	if (offline()) {
		r = probe(&h);
		if (r != EXIT_SUCCESS)
			return r;
		k = iommucap_suggest(h, arg_device, arg_model, arg_migratable, &sg, &error);
		if (k == -EINVAL)
			return bad_model();
		if (k == -ENOENT)
			return fail(EX_NO_SUGGESTION, "no vIOMMU configuration is compatible: %s",
				    error ?: "?");
		if (k < 0)
			return fail_errno(EX_SOFTWARE, k, "cannot suggest");
	} else {
		_cleanup_free_ char *derror = NULL;
		json_t *params = json_object();

		if (arg_device)
			json_object_set_new(params, "device", json_string(arg_device));
		if (arg_model)
			json_object_set_new(params, "model", json_string(arg_model));
		if (arg_migratable)
			json_object_set_new(params, "migratable", json_true());
		r = daemon_call_error("io.iommucapd.Suggest", params, &sg, &derror);
		if (r != EXIT_SUCCESS)
			return r;
		if (derror) {
			const char *msg = json_string_value(json_object_get(sg, "message"));

			if (streq(derror, "io.iommucapd.NoSuggestion")) {
				warnx("no vIOMMU configuration is compatible: %s", msg ?: "?");
				json_decref(sg);
				return EX_NO_SUGGESTION;
			}
			json_decref(sg);
			if (streq(derror, "org.varlink.service.InvalidParameter"))
				return bad_model();
			return fail(EX_SOFTWARE, "io.iommucapd.Suggest failed: %s", derror);
		}
	}
	if (arg_qemu_given)
		puts(json_string_value(json_object_get(sg, "qemu")));
	else if (arg_libvirt_given)
		fputs(json_string_value(json_object_get(sg, "libvirt")), stdout);
	else if (arg_table.json || arg_print_requirement) {
		json_dumpf(arg_print_requirement ? json_object_get(sg, "requirement") : sg, stdout,
			   JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
	} else
		iommucap_suggest_print(sg, stdout);
	json_decref(sg);
	return EXIT_SUCCESS;
}

const struct iommuctl_command iommuctl_cmd_suggest = {
	.name = "suggest",
	.run = do_suggest,
	.args = "",
	.summary = "the strongest vIOMMU this host (and device) can back",
	.doc = "The strongest vIOMMU this host (and with --device, this PCI device) can back, as "
	       "'check' decides it: the QEMU 11.1 -device argument (--qemu), the libvirt <iommu> "
	       "element (--libvirt), the requirement document (--print-requirement) or all of it "
	       "with each option's reason and what refused the next stronger value (-J); by "
	       "default a text for people. --migratable leaves out what blocks migration and says "
	       "what is lost.\v"
	       "Exit status: 0 success, 1 no vIOMMU configuration is compatible, 64 usage error, "
	       "69 daemon unreachable, 70 failure.",
	.options = (const int[]){ SOURCE_OPTIONS, OPT_DEVICE, OPT_QEMU, OPT_LIBVIRT, OPT_MODEL,
				  OPT_PRINT_REQUIREMENT, OPT_MIGRATABLE, 'J', 'q', 0 },
};
