/* A blocking varlink client: enough for iommuctl to ask the daemon and follow Monitor. */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include "lib/macro.h"
#include "varlink-client.h"

#define REPLY_MAX (16U * 1024 * 1024)

struct vl_client {
	int fd;
	char *buf;
	size_t len, cap;
};

int vl_client_connect(const char *address, struct vl_client **ret)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vl_client *c;
	const char *path;
	int fd;

	if (!startswith(address, "unix:"))
		return -EPROTONOSUPPORT;
	path = address + 5;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int k = -errno;

		close(fd);
		return k;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	c->fd = fd;
	*ret = c;
	return 0;
}

void vl_client_free(struct vl_client *c)
{
	if (!c)
		return;
	close(c->fd);
	free(c->buf);
	free(c);
}

int vl_client_call(struct vl_client *c, const char *method, json_t *parameters, bool more)
{
	json_t *msg = json_pack("{s:s, s:o}", "method", method, "parameters",
				parameters ? parameters : json_object());
	char *text;
	size_t len, off = 0;

	if (!msg)
		return -ENOMEM;
	if (more)
		json_object_set_new(msg, "more", json_true());
	text = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (!text)
		return -ENOMEM;
	len = strlen(text) + 1; /* the NUL ends the message */
	while (off < len) {
		ssize_t n = send(c->fd, text + off, len - off, MSG_NOSIGNAL);

		if (n < 0) {
			int k = -errno;

			if (errno == EINTR)
				continue;
			free(text);
			return k;
		}
		off += (size_t)n;
	}
	free(text);
	return 0;
}

int vl_client_read(struct vl_client *c, json_t **ret_parameters, char **ret_error,
		   bool *ret_continues)
{
	char *nul;
	json_t *msg, *err;
	size_t scanned = 0; /* a megabyte reply comes in many reads: look for its NUL once */

	while (!(nul = c->len > scanned ? memchr(c->buf + scanned, 0, c->len - scanned) : NULL)) {
		ssize_t n;

		scanned = c->len;
		if (c->len == c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 64 * 1024;
			char *b;

			if (cap > REPLY_MAX)
				return -EMSGSIZE;
			b = realloc(c->buf, cap);
			if (!b)
				return -ENOMEM;
			c->buf = b;
			c->cap = cap;
		}
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -ECONNRESET;
		c->len += (size_t)n;
	}
	msg = json_loadb(c->buf, (size_t)(nul - c->buf), 0, NULL);
	c->len -= (size_t)(nul - c->buf) + 1;
	memmove(c->buf, nul + 1, c->len);
	if (!json_is_object(msg)) {
		json_decref(msg);
		return -EBADMSG;
	}
	err = json_object_get(msg, "error");
	*ret_error = json_is_string(err) ? strdup(json_string_value(err)) : NULL;
	*ret_continues = json_is_true(json_object_get(msg, "continues"));
	*ret_parameters = json_incref(json_object_get(msg, "parameters"));
	if (!*ret_parameters)
		*ret_parameters = json_object();
	json_decref(msg);
	return 0;
}
