/* Compatibility: a requirement against the host model, rule by rule, with reasons. No I/O. */
#pragma once

#include <jansson.h>

#include "iommucap.h"
#include "requirement.h"

enum iommucap_result {
	IOMMUCAP_PASS,
	IOMMUCAP_FAIL,
	IOMMUCAP_WARN,
	IOMMUCAP_UNKNOWN,
	IOMMUCAP_NOT_APPLICABLE,
	_IOMMUCAP_RESULT_MAX,
};

enum iommucap_verdict {
	IOMMUCAP_COMPATIBLE,
	IOMMUCAP_INCOMPATIBLE,
	IOMMUCAP_INDETERMINATE,
};

/* A rule: an id, what it is for, what it compares, and what a person can do about a failure. */
struct iommucap_rule {
	const char *id;
	const char *summary;
	const char *compares;
	const char *resolution;
};

const struct iommucap_rule *iommucap_rules(size_t *ret_n);

struct iommucap_check {
	const struct iommucap_rule *rule;
	char *unit;	   /* the unit evaluated, NULL for host-wide checks */
	const char *field; /* what was compared */
	json_t *required;  /* the requirement's value, or NULL */
	json_t *available; /* the host's value (null when unknown), or NULL */
	enum iommucap_result result;
	char *message;
};

struct iommucap_compat {
	enum iommucap_verdict verdict;
	struct iommucap_check *checks;
	size_t n_checks;
	char **candidates;
	size_t n_candidates;
};

const char *iommucap_result_name(enum iommucap_result r);
const char *iommucap_verdict_name(enum iommucap_verdict v);

/* Evaluate. Fails only for lack of memory: a target that does not exist is a failed check. */
int iommucap_check(const struct iommucap_host *h, const struct iommucap_requirement *req,
		   struct iommucap_compat **ret);
struct iommucap_compat *iommucap_compat_free(struct iommucap_compat *c);

/* {verdict, checks[], candidates[]} (schema/check-result.schema.json). */
int iommucap_compat_to_json(const struct iommucap_compat *c, json_t **ret);

/*
 * io.iommucapd's CheckResult: the interface has no "any" type, so each check's required and
 * available value travels as the object {"value": V}, null when the result has none (no
 * required value, or the host's is unknown). to_wire: from check-result.schema.json's form to
 * the interface's (the daemon); otherwise back (iommuctl), -EBADMSG when a value is neither
 * null nor such an object. 0, -ENOMEM or -EBADMSG.
 */
int iommucap_compat_values_wire(json_t *result, bool to_wire);
