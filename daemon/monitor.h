/* Monitor subscribers and the events that tell them what changed between two host documents. */
#pragma once

#include <jansson.h>

#include "varlink/server.h"

struct monitor;

int monitor_new(struct monitor **ret);
void monitor_free(struct monitor *m);

/* Keep a Monitor call open; it is dropped when its client goes away. */
int monitor_subscribe(struct monitor *m, struct vl_call *call);
size_t monitor_subscribers(const struct monitor *m);

/* Send one event per unit, device or group added, removed or changed from old to new. */
void monitor_emit_changes(struct monitor *m, json_t *old_doc, json_t *new_doc);

/*
 * The events between two documents, in order: units, devices, groups; within each, removals
 * and changes in the old order, then additions in the new order. An array of Event objects.
 */
json_t *monitor_diff(json_t *old_doc, json_t *new_doc);
