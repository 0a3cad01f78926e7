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
#include "varlink/client.h"

/*
 * The host document written as the daemon streams it (StreamHost), byte for byte what
 * json_dumpf() prints of the whole document: the head is dumped and left open, each element of
 * an array is dumped alone and indented to its depth (a dumped string holds no newline), and
 * the arrays are opened, closed or written empty as the pieces come.
 */
struct stream {
	FILE *f;
	size_t flags;
	int array; /* the host array open (enum iommucap_host_array), or -1 */
	size_t n;  /* elements written into it */
	json_t *warnings;
};

/* text, its newlines followed by depth levels of indentation more. */
static int put_indented(struct stream *s, const char *text, unsigned depth)
{
	unsigned indent = s->flags & JSON_MAX_INDENT ? 2 * depth : 0;

	for (const char *p = text; *p; p++)
		if (fputc(*p, s->f) == EOF || (*p == '\n' && fprintf(s->f, "%*s", indent, "") < 0))
			return -EIO;
	return 0;
}

/* The member separator and the key of the next member at depth 1: ,\n  "key": */
static int put_key(struct stream *s, const char *key)
{
	bool indent = s->flags & JSON_MAX_INDENT;

	return fprintf(s->f, indent ? ",\n  \"%s\": " : ",\"%s\":", key) < 0 ? -EIO : 0;
}

static int put_dump(struct stream *s, json_t *v, unsigned depth)
{
	_cleanup_free_ char *text = json_dumps(v, s->flags);

	return text ? put_indented(s, text, depth) : -ENOMEM;
}

/* Close the open array (if any) and write the ones before `upto` empty. */
static int close_arrays(struct stream *s, int upto)
{
	bool indent = s->flags & JSON_MAX_INDENT;
	int k = 0;

	if (s->array >= 0 && fputs(indent ? "\n  ]" : "]", s->f) == EOF)
		k = -EIO;
	for (int a = s->array + 1; k >= 0 && a < upto; a++) {
		k = put_key(s, iommucap_host_array_key((enum iommucap_host_array)a));
		if (k >= 0 && fputs("[]", s->f) == EOF)
			k = -EIO;
	}
	s->array = upto - 1;
	return k;
}

static int put_element(struct stream *s, enum iommucap_host_array a, json_t *v)
{
	bool indent = s->flags & JSON_MAX_INDENT;
	int k = 0;

	if ((int)a != s->array) {
		k = close_arrays(s, (int)a);
		if (k >= 0)
			k = put_key(s, iommucap_host_array_key(a));
		s->array = (int)a;
		s->n = 0;
		if (k >= 0 && fputc('[', s->f) == EOF)
			k = -EIO;
	}
	if (k >= 0 && fputs(s->n++ > 0 ? "," : "", s->f) == EOF)
		k = -EIO;
	if (k >= 0 && indent && fputs("\n    ", s->f) == EOF)
		k = -EIO;
	return k < 0 ? k : put_dump(s, v, 2);
}

/* The first piece: the warnings (printed now, as for the other commands), and the open head. */
static int put_head(json_t *reply, void *userdata)
{
	struct stream *s = userdata;
	_cleanup_free_ char *text = json_dumps(json_object_get(reply, "head"), s->flags);
	json_t *w;
	size_t i, len = text ? strlen(text) : 0;

	if (!json_is_object(json_object_get(reply, "head")) ||
	    !json_is_array(json_object_get(reply, "warnings")))
		return -EBADMSG;
	s->warnings = json_incref(json_object_get(reply, "warnings"));
	json_array_foreach (s->warnings, i, w)
		if (!arg_quiet)
			warnx("warning: %s", json_string_value(w));
	if (!text)
		return -ENOMEM;
	/* Without its closing brace (and the newline before it). */
	if (len > 0 && text[len - 1] == '}')
		len--;
	if (len > 0 && text[len - 1] == '\n')
		len--;
	return fwrite(text, 1, len, s->f) == len ? 0 : -EIO;
}

static int put_end(struct stream *s)
{
	bool indent = s->flags & JSON_MAX_INDENT;
	int k = close_arrays(s, _IOMMUCAP_HOST_ARRAY_MAX);

	if (k >= 0)
		k = put_key(s, "warnings");
	if (k >= 0)
		k = put_dump(s, s->warnings, 1);
	if (k >= 0 && fputs(indent ? "\n}\n" : "}\n", s->f) == EOF)
		k = -EIO;
	return k;
}

static int put_piece(enum iommucap_host_array a, json_t *v, void *userdata)
{
	return put_element(userdata, a, v);
}

/* The pieces of StreamHost to f; EXIT_SUCCESS, or the exit status. -ENOSYS: a daemon without it. */
static int stream_host(FILE *f, size_t flags)
{
	struct stream s = { .f = f, .flags = flags, .array = -1 };
	_cleanup_free_ char *error = NULL;
	struct vl_client *c;
	int k = vl_client_connect(arg_address, &c), r = EXIT_SUCCESS;

	if (k < 0)
		return daemon_unreachable(k);
	k = daemon_stream_host(c, put_head, put_piece, &s, &error);
	vl_client_free(c);
	if (k >= 0 && !error)
		k = put_end(&s);
	json_decref(s.warnings);
	if (error && !s.warnings && streq(error, "org.varlink.service.MethodNotFound"))
		r = -ENOSYS;
	else if (error)
		r = fail(EXIT_FAILURE, "StreamHost failed: %s", error);
	else if (k == -EBADMSG)
		r = fail(EXIT_FAILURE, "iommu-capd sent a piece of the host that is not valid");
	else if (k < 0 && k != -EIO && k != -ENOMEM)
		r = daemon_unreachable(k);
	else if (k < 0)
		r = fail_errno(EXIT_FAILURE, k, "cannot print");
	return r;
}

static int do_dump(void)
{
	json_t *doc = NULL, *w;
	size_t i, flags;
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
	flags = (arg_compact ? JSON_COMPACT : JSON_INDENT(2)) | JSON_PRESERVE_ORDER;
	/* Through the daemon, written as it comes (an older daemon: the whole document). */
	if (!offline() && (r = stream_host(stdout, flags)) != -ENOSYS)
		return r;
	r = host_document(&doc);
	if (r != EXIT_SUCCESS)
		return r;
	json_array_foreach (json_object_get(doc, "warnings"), i, w) {
		if (!arg_quiet)
			warnx("warning: %s", json_string_value(w));
	}
	k = json_dumpf(doc, stdout, flags);
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
