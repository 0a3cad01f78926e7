/* A blocking varlink client: iommuctl asks the daemon and follows Monitor; the bench times calls.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include "lib/macro.h"
#include "client.h"

#define REPLY_MAX (16U * 1024 * 1024)

struct vl_client {
	int fd;
	char *buf;
	size_t start, len, cap; /* the unread bytes are buf[start..len) */
};

int vl_connect_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

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
	return fd;
}

int vl_send_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

ssize_t vl_recv_some(int fd, void *buf, size_t cap)
{
	for (;;) {
		ssize_t n = recv(fd, buf, cap, 0);

		if (n > 0)
			return n;
		if (n == 0)
			return -ECONNRESET;
		if (errno != EINTR)
			return -errno;
	}
}

int vl_client_connect(const char *address, struct vl_client **ret)
{
	struct vl_client *c;
	int fd;

	if (!startswith(address, "unix:"))
		return -EPROTONOSUPPORT;
	fd = vl_connect_unix(address + 5);
	if (fd < 0)
		return fd;
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
	int k;

	if (!msg)
		return -ENOMEM;
	if (more)
		json_object_set_new(msg, "more", json_true());
	text = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (!text)
		return -ENOMEM;
	k = vl_send_all(c->fd, text, strlen(text) + 1); /* the NUL ends the message */
	free(text);
	return k;
}

int vl_client_read(struct vl_client *c, json_t **ret_parameters, char **ret_error,
		   bool *ret_continues)
{
	char *nul;
	json_t *msg, *err;
	size_t scanned = c->start; /* a megabyte reply comes in many reads: look for its NUL once */

	while (!(nul = c->len > scanned ? memchr(c->buf + scanned, 0, c->len - scanned) : NULL)) {
		ssize_t n;

		scanned = c->len;
		/* The bytes read are moved to the front only when the buffer is full, not after
		 * each message: a stream of 8 000 small replies ('more') came in 64 KiB reads, and
		 * moving the rest of a read after each of them cost more than parsing it. */
		if (c->len == c->cap && c->start > 0) {
			memmove(c->buf, c->buf + c->start, c->len - c->start);
			c->len -= c->start;
			scanned -= c->start;
			c->start = 0;
		}
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
		n = vl_recv_some(c->fd, c->buf + c->len, c->cap - c->len);
		if (n < 0)
			return (int)n;
		c->len += (size_t)n;
	}
	msg = json_loadb(c->buf + c->start, (size_t)(nul - c->buf) - c->start, 0, NULL);
	c->start = (size_t)(nul - c->buf) + 1;
	if (c->start == c->len)
		c->start = c->len = 0;
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
