/* libFuzzer target: the requirement parser and printer, and the QEMU and libvirt importers. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/requirement.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Whatever was accepted prints as a document the parser accepts again, and that prints the same:
 * the importers cannot produce a requirement the schema refuses, and a round trip is stable.
 */
static void round_trip(const struct iommucap_requirement *r)
{
	struct iommucap_requirement *again = NULL;
	json_t *once = NULL, *twice = NULL;
	char *err = NULL;

	if (iommucap_requirement_to_json(r, &once) < 0)
		return; /* out of memory */
	if (iommucap_requirement_from_json(once, &again, &err) < 0)
		abort();
	if (iommucap_requirement_to_json(again, &twice) == 0 && !json_equal(once, twice))
		abort();
	json_decref(once);
	json_decref(twice);
	iommucap_requirement_free(again);
}

/* The first byte picks the parser: 0 a JSON document, 1 a QEMU -device argument, 2 libvirt XML. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct iommucap_requirement *r = NULL;
	char *err = NULL, *s;
	json_t *doc;
	int k = -1;

	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		doc = json_loadb((const char *)data + 1, size - 1, JSON_DECODE_ANY, NULL);
		if (!doc)
			return 0;
		k = iommucap_requirement_from_json(doc, &r, &err);
		json_decref(doc);
		break;
	case 1:
		s = malloc(size);
		if (!s)
			return 0;
		memcpy(s, data + 1, size - 1);
		s[size - 1] = 0;
		k = iommucap_requirement_from_qemu(s, &r, &err);
		free(s);
		break;
	case 2:
		k = iommucap_requirement_from_libvirt((const char *)data + 1, size - 1, &r, &err);
		break;
	}
	if (k == 0) {
		round_trip(r);
		iommucap_requirement_free(r);
	} else if (!err)
		abort(); /* every refusal says why */
	free(err);
	return 0;
}
