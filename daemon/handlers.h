/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The JSON-RPC methods of docs/api.md: request parameters in, a result
 * object or an rpc_error out. Handlers know nothing of sockets; they work on
 * the host and, for changes to a VG, stage the new model and defer their
 * reply to the group commit.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>

#include "rpc.h"
#include "server.h"

/* The handler already queued its reply itself (events.subscribe). */
#define HANDLER_SENT 2

struct handler_entry {
	const char *method;
	bool writes;
	int (*run)(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret_result,
		   struct rpc_error *e);
};

const struct handler_entry *handler_find(const char *method);

/* Kernel backend, from the event loop: publish md arrays degrading or recovering (at most once a second). */
struct host;
void handlers_watch_kernel(struct server *server, struct host *host);

/* events.subscribe, which needs the server's event backlog; @since UINT64_MAX: from now on. */
int server_subscribe(struct handler_ctx *ctx, uint64_t since, struct json_object **ret_result, struct rpc_error *e);
