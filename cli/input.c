/* Where iommuctl's input comes from: the daemon, a direct probe, or a file. */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

#include "iommuctl.h"
#include "varlink/client.h"

void print_warnings(const struct iommucap_host *h)
{
	if (arg_quiet)
		return;
	for (size_t i = 0; i < h->n_warnings; i++)
		warnx("warning: %s", h->warnings[i]);
}

bool offline(void)
{
	return arg_offline || arg_sysroot;
}

int daemon_unreachable(int err)
{
	return fail(EX_UNAVAILABLE,
		    "cannot reach iommu-capd at %s: %s (use --offline to probe directly)",
		    arg_address + 5, strerror(-err));
}

/* One call on an open connection and its one reply (its error name in *ret_error). */
int daemon_ask(struct vl_client *c, const char *method, json_t *params, json_t **ret,
	       char **ret_error)
{
	bool continues;
	int k = vl_client_call(c, method, params, false);

	return k < 0 ? k : vl_client_read(c, ret, ret_error, &continues);
}

bool reply_too_large(const char *error)
{
	return error && streq(error, "io.iommucapd.ReplyTooLarge");
}

int daemon_ask_list(struct vl_client *c, const char *method, const char *key, json_t **ret,
		    char **ret_error)
{
	bool continues = true;
	json_t *all, *reply;
	int k = daemon_ask(c, method, NULL, ret, ret_error);

	if (k < 0 || !reply_too_large(*ret_error))
		return k;
	json_decref(*ret);
	free(*ret_error);
	*ret = NULL;
	*ret_error = NULL;
	/* Over the daemon's message limit: one element a reply, the last without continues. */
	all = json_array();
	k = all ? vl_client_call(c, method, NULL, true) : -ENOMEM;
	while (k >= 0 && continues) {
		k = vl_client_read(c, &reply, ret_error, &continues);
		if (k < 0)
			break;
		if (*ret_error) {
			*ret = reply;
			json_decref(all);
			return 0;
		}
		if (!json_is_array(json_object_get(reply, key)))
			k = -EBADMSG;
		else if (json_array_extend(all, json_object_get(reply, key)) < 0)
			k = -ENOMEM;
		json_decref(reply);
	}
	if (k >= 0 && !(*ret = json_pack("{s:o}", key, all)))
		k = -ENOMEM;
	else if (k < 0)
		json_decref(all);
	return k;
}

int daemon_stream_host(struct vl_client *c, int (*head)(json_t *reply, void *userdata),
		       int (*element)(enum iommucap_host_array a, json_t *v, void *userdata),
		       void *userdata, char **ret_error)
{
	static const char *const keys[_IOMMUCAP_HOST_ARRAY_MAX] = {
		[IOMMUCAP_HOST_UNITS] = "unit",
		[IOMMUCAP_HOST_GROUPS] = "group",
		[IOMMUCAP_HOST_DEVICES] = "device",
	};
	bool continues = true, first = true;
	int k = vl_client_call(c, "io.iommucapd.StreamHost", NULL, true);

	while (k >= 0 && continues) {
		json_t *reply = NULL, *v = NULL;
		size_t a = 0;

		k = vl_client_read(c, &reply, ret_error, &continues);
		if (k < 0 || *ret_error) {
			json_decref(reply);
			break;
		}
		if (first)
			k = head(reply, userdata);
		else {
			for (; a < ELEMENTSOF(keys) && !(v = json_object_get(reply, keys[a])); a++)
				;
			/* The final piece may hold nothing (the host changed while it streamed). */
			k = v ? element((enum iommucap_host_array)a, v, userdata)
			    : !continues && json_object_size(reply) == 0 ? 0
									 : -EBADMSG;
		}
		first = false;
		json_decref(reply);
	}
	return k;
}

/* One call to the daemon and its one reply; an error reply is reported and fails. */
int daemon_call_error(const char *method, json_t *params, json_t **ret, char **ret_error)
{
	struct vl_client *c;
	_cleanup_free_ char *error = NULL;
	int k = vl_client_connect(arg_address, &c);

	if (k < 0) {
		json_decref(params);
		return daemon_unreachable(k);
	}
	k = daemon_ask(c, method, params, ret, &error);
	vl_client_free(c);
	if (k < 0)
		return daemon_unreachable(k);
	if (error && ret_error)
		*ret_error = TAKE_PTR(error);
	else if (error) {
		warnx("%s failed: %s", method, error);
		json_decref(*ret);
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}

int daemon_call(const char *method, json_t *params, json_t **ret)
{
	return daemon_call_error(method, params, ret, NULL);
}

/* The host document joined from StreamHost's pieces: the head's members, the arrays, warnings. */
struct joined_host {
	json_t *doc, *arrays[_IOMMUCAP_HOST_ARRAY_MAX], *warnings;
};

static int join_head(json_t *reply, void *userdata)
{
	struct joined_host *j = userdata;

	if (!json_is_object(json_object_get(reply, "head")) ||
	    !json_is_array(json_object_get(reply, "warnings")))
		return -EBADMSG;
	j->doc = json_copy(json_object_get(reply, "head"));
	j->warnings = json_incref(json_object_get(reply, "warnings"));
	return j->doc ? 0 : -ENOMEM;
}

static int join_element(enum iommucap_host_array a, json_t *v, void *userdata)
{
	struct joined_host *j = userdata;

	return json_array_append(j->arrays[a], v) < 0 ? -ENOMEM : 0;
}

static int host_from_stream(struct vl_client *c, json_t **ret, char **ret_error)
{
	struct joined_host j = { 0 };
	int k = 0;

	for (size_t a = 0; a < _IOMMUCAP_HOST_ARRAY_MAX; a++)
		if (!(j.arrays[a] = json_array()))
			k = -ENOMEM;
	if (k >= 0)
		k = daemon_stream_host(c, join_head, join_element, &j, ret_error);
	if (k >= 0 && !*ret_error && !j.doc)
		k = -EBADMSG;
	for (size_t a = 0; a < _IOMMUCAP_HOST_ARRAY_MAX; a++)
		if (k >= 0 && !*ret_error &&
		    json_object_set(j.doc, iommucap_host_array_key((enum iommucap_host_array)a),
				    j.arrays[a]) < 0)
			k = -ENOMEM;
	if (k >= 0 && !*ret_error && json_object_set(j.doc, "warnings", j.warnings) < 0)
		k = -ENOMEM;
	for (size_t a = 0; a < _IOMMUCAP_HOST_ARRAY_MAX; a++)
		json_decref(j.arrays[a]);
	json_decref(j.warnings);
	if (k < 0 || *ret_error)
		json_decref(j.doc);
	else
		*ret = j.doc;
	return k;
}

/*
 * The host document from the daemon: GetHost, or when that is over the daemon's message limit
 * (ReplyTooLarge), StreamHost's pieces joined.
 */
static int daemon_host_document(json_t **ret)
{
	_cleanup_free_ char *error = NULL;
	const char *method = "io.iommucapd.GetHost";
	struct vl_client *c;
	json_t *reply = NULL;
	int k = vl_client_connect(arg_address, &c);

	if (k < 0)
		return daemon_unreachable(k);
	k = daemon_ask(c, method, NULL, &reply, &error);
	if (k >= 0 && !error) {
		*ret = json_incref(json_object_get(reply, "host"));
		k = json_is_object(*ret) ? 0 : -EBADMSG;
		if (k < 0)
			json_decref(*ret);
	} else if (k >= 0 && reply_too_large(error)) {
		free(TAKE_PTR(error));
		method = "io.iommucapd.StreamHost";
		k = host_from_stream(c, ret, &error);
	}
	vl_client_free(c);
	json_decref(reply);
	if (k == -EBADMSG)
		return fail(EXIT_FAILURE, "iommu-capd sent a host document that is not valid");
	if (k < 0)
		return daemon_unreachable(k);
	if (error)
		return fail(EXIT_FAILURE, "%s failed: %s", method, error);
	return EXIT_SUCCESS;
}

/* The host document, from the daemon or from a direct probe. */
int host_document(json_t **ret)
{
	_cleanup_(iommucap_root_freep) struct iommucap_root *root = NULL;
	_cleanup_(iommucap_host_freep) struct iommucap_host *h = NULL;
	int k;

	if (!offline())
		return daemon_host_document(ret);
	k = iommucap_root_open(arg_sysroot ?: "/", &root);
	if (k < 0)
		return fail_errno(EXIT_FAILURE, k, "cannot open %s", arg_sysroot ?: "/");
	k = iommucap_probe(root, &h);
	if (k >= 0)
		k = iommucap_host_to_json(h, ret);
	if (k < 0)
		return fail_errno(EXIT_FAILURE, k, "cannot probe %s", arg_sysroot ?: "/");
	return EXIT_SUCCESS;
}

/* The model for the tables: read back from the document, whichever way it came. */
int probe(struct iommucap_host **ret)
{
	_cleanup_free_ char *error = NULL;
	json_t *doc;
	int r = host_document(&doc), k;

	if (r != EXIT_SUCCESS)
		return r;
	k = iommucap_host_from_json(doc, ret, &error);
	json_decref(doc);
	if (k < 0)
		return fail(EXIT_FAILURE, "the host document is not valid: %s", error ?: "?");
	print_warnings(*ret);
	return EXIT_SUCCESS;
}

const char *input_name(const char *path)
{
	return streq(path, "-") ? "standard input" : path;
}

int read_file(const char *path, char **ret, size_t *ret_len)
{
	FILE *f = streq(path, "-") ? stdin : fopen(path, "re");
	size_t cap = 0, len = 0;
	char *buf = NULL;
	struct stat st;

	if (!f)
		return -errno;
	/* fopen() opens a directory, whose reads fail: say what it is, not "not JSON". */
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		if (f != stdin)
			fclose(f);
		return -EISDIR;
	}
	for (;;) {
		size_t n;

		if (len == cap) {
			char *nb;

			if (cap >= 16 * 1024 * 1024) {
				free(buf);
				if (f != stdin)
					fclose(f);
				return -EFBIG;
			}
			cap = cap ? cap * 2 : 64 * 1024;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				if (f != stdin)
					fclose(f);
				return -ENOMEM;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0 && ferror(f)) {
			int k = errno ? -errno : -EIO;

			free(buf);
			if (f != stdin)
				fclose(f);
			return k;
		}
		if (n == 0)
			break;
	}
	if (f != stdin)
		fclose(f);
	buf[len] = 0;
	*ret = buf;
	*ret_len = len;
	return 0;
}
