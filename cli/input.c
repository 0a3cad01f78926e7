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

/* One call to the daemon and its one reply; an error reply is reported and fails. */
int daemon_call_error(const char *method, json_t *params, json_t **ret, char **ret_error)
{
	struct vl_client *c;
	_cleanup_free_ char *error = NULL;
	bool continues;
	int k = vl_client_connect(arg_address, &c);

	if (k < 0) {
		json_decref(params);
		return daemon_unreachable(k);
	}
	k = vl_client_call(c, method, params, false);
	if (k >= 0)
		k = vl_client_read(c, ret, &error, &continues);
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

/* The host document, from the daemon or from a direct probe. */
int host_document(json_t **ret)
{
	_cleanup_(iommucap_root_freep) struct iommucap_root *root = NULL;
	_cleanup_(iommucap_host_freep) struct iommucap_host *h = NULL;
	json_t *reply;
	int k, r;

	if (!offline()) {
		r = daemon_call("io.iommucapd.GetHost", NULL, &reply);
		if (r != EXIT_SUCCESS)
			return r;
		*ret = json_incref(json_object_get(reply, "host"));
		json_decref(reply);
		if (!json_is_object(*ret)) {
			json_decref(*ret);
			return fail(EXIT_FAILURE, "iommu-capd sent no host document");
		}
		return EXIT_SUCCESS;
	}
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
