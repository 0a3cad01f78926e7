/* The check result as people read it, in the manner of findmnt --verify. */
#include "config.h"

#include "lib/macro.h"
#include "check-report.h"

static const char *mark(const char *result)
{
	if (streq(result, "fail"))
		return "[E]";
	if (streq(result, "warn"))
		return "[W]";
	return "[?]";
}

/*
 * One block per unit (and one for the host) with a line per rule that did not pass, then a
 * summary line. Rendered from the result's JSON, so the daemon's answer prints the same.
 */
int check_report_print(json_t *result, FILE *f)
{
	json_t *checks = json_object_get(result, "checks"), *c, *cands;
	const char *last = NULL;
	unsigned fails = 0, warns = 0, unknowns = 0;
	size_t i;

	json_array_foreach (checks, i, c) {
		const char *res = json_string_value(json_object_get(c, "result")) ?: "";
		const char *unit = json_string_value(json_object_get(c, "unit")) ?: "host";

		if (streq(res, "pass") || streq(res, "not-applicable"))
			continue;
		fails += streq(res, "fail");
		warns += streq(res, "warn");
		unknowns += streq(res, "unknown");
		if (!last || !streq(last, unit))
			fprintf(f, "%s\n", unit);
		last = unit;
		fprintf(f, "   %s %s: %s\n", mark(res),
			json_string_value(json_object_get(c, "id")) ?: "?",
			json_string_value(json_object_get(c, "message")) ?: "");
	}
	fprintf(f, "%s: %u failed, %u warning%s, %u unknown; candidates: ",
		json_string_value(json_object_get(result, "verdict")) ?: "?", fails, warns,
		warns == 1 ? "" : "s", unknowns);
	cands = json_object_get(result, "candidates");
	if (json_array_size(cands) == 0)
		fputs("none", f);
	json_array_foreach (cands, i, c) {
		fprintf(f, "%s%s", i ? ", " : "", json_string_value(c));
	}
	fputc('\n', f);
	return 0;
}

/* The result's exit status: 0 compatible, 1 incompatible, 2 indeterminate. */
int check_report_exit_status(json_t *result)
{
	const char *v = json_string_value(json_object_get(result, "verdict")) ?: "";

	return streq(v, "compatible") ? 0 : streq(v, "incompatible") ? 1 : 2;
}
