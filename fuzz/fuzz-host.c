/* libFuzzer target: the host document reader (lib/json-parse.c) and writer (lib/json.c). */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/iommucap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The document a host writes, or its units (as summaries or whole) as the daemon sends them. */
static json_t *write_doc(const struct iommucap_host *h, int mode)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	json_t *v = NULL;
	int k;

	if (!f)
		return NULL;
	k = mode == 0	? iommucap_host_write_json(h, f, JSON_COMPACT | JSON_PRESERVE_ORDER)
	    : mode == 1 ? iommucap_host_write_array(h, "units", f, JSON_COMPACT)
			: iommucap_host_write_array(h, "unit_summaries", f, JSON_COMPACT);
	if (fclose(f) == 0 && k == 0)
		v = json_loadb(text, len, 0, NULL);
	free(text);
	return v;
}

static int read_doc(json_t *doc, int mode, struct iommucap_host **ret, char **ret_error)
{
	return mode == 0 ? iommucap_host_from_json(doc, ret, ret_error)
			 : iommucap_host_from_units(doc, NULL, mode == 2, ret, ret_error);
}

/*
 * Whatever was accepted writes a document that reads back, and that writes the same again: the
 * reader and the writer walk the same tables. The streamed writer and the tree agree.
 */
static void round_trip(const struct iommucap_host *h, int mode)
{
	struct iommucap_host *again = NULL;
	json_t *once = write_doc(h, mode), *twice = NULL, *tree = NULL;
	char *err = NULL;

	if (!once)
		return; /* out of memory */
	if (read_doc(once, mode, &again, &err) < 0)
		abort();
	twice = write_doc(again, mode);
	if (twice && !json_equal(once, twice))
		abort();
	if (mode == 0 && iommucap_host_to_json(h, &tree) == 0 && !json_equal(once, tree))
		abort();
	json_decref(once);
	json_decref(twice);
	json_decref(tree);
	iommucap_host_free(again);
}

/* The first byte picks the reader: 0 a host document, 1 an array of units, 2 of summaries. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct iommucap_host *h = NULL;
	char *err = NULL;
	json_t *doc;
	int mode, k;

	if (size < 1)
		return 0;
	mode = data[0] % 3;
	doc = json_loadb((const char *)data + 1, size - 1, JSON_DECODE_ANY, NULL);
	if (!doc)
		return 0;
	k = read_doc(doc, mode, &h, &err);
	json_decref(doc);
	if (k == 0) {
		round_trip(h, mode);
		iommucap_host_free(h);
	} else if (!err)
		abort(); /* every refusal says why */
	free(err);
	return 0;
}
