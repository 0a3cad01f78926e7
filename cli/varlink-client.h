/* A blocking varlink client: enough for iommuctl to ask the daemon and follow Monitor. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

struct vl_client;

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
