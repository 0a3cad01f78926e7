/* A blocking varlink client: iommuctl asks the daemon and follows Monitor; the bench times calls.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct vl_client;

/* A connected AF_UNIX stream socket (close-on-exec) to PATH, or -errno. */
int vl_connect_unix(const char *path);

/* Write all of data (a message with its NUL, or several), retrying on EINTR; 0 or -errno. */
int vl_send_all(int fd, const void *data, size_t len);

/* Read what has arrived, at most cap bytes, retrying on EINTR: > 0, -ECONNRESET when the peer
 * closed, or -errno. */
ssize_t vl_recv_some(int fd, void *buf, size_t cap);

/* Connect to "unix:PATH". */
int vl_client_connect(const char *address, struct vl_client **ret);
void vl_client_free(struct vl_client *c);

/* Send a call (parameters stolen; NULL means none). */
int vl_client_call(struct vl_client *c, const char *method, json_t *parameters, bool more);

/*
 * Read the next reply. *ret_error is the error name or NULL, *ret_continues whether more
 * replies follow; *ret_parameters is a new reference. -ECONNRESET when the peer closed.
 */
int vl_client_read(struct vl_client *c, json_t **ret_parameters, char **ret_error,
		   bool *ret_continues);
