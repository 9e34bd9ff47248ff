/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vgtoold's event loop: the listening socket, client connections (one JSON
 * object per line, 1 MiB at most, 30 s to finish a started line), peer
 * credentials checked before anything is parsed, signals through a signalfd.
 *
 * Group commit: changes to one VG that arrive together are applied to a
 * staged model one after the other (each answered with its own result or
 * refusal) and written in one commit at the end of the loop iteration; a
 * connection with a change waiting for its commit reads no further requests
 * until it is answered, so each client still sees its requests in order.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <sys/types.h>

#include "daemon-config.h"
#include "rpc.h"

struct server;
struct host;
struct connection;

/* What a handler knows of its caller. */
struct handler_ctx {
	struct server *server;
	struct host *host;
	struct connection *conn;
	struct json_object *id;
	bool dry_run;
	const char *idempotency; /* "key\nrequest" of an idempotent call, to remember its result */
};

enum {
	HANDLER_DONE = 0,
	/* the reply is sent after the VG's commit: see server_defer_reply */
	HANDLER_DEFERRED = 1,
};

int server_new(const struct daemon_config *config, struct host *host, struct server **ret_server,
	       struct vg_error *err);
struct server *server_free(struct server *server);
DEFINE_CLEANUP_FUNC(struct server, server_free)

/* Run until SIGTERM/SIGINT; a commit under way is finished first. */
int server_run(struct server *server, struct vg_error *err);

/*
 * Called by a handler that staged a change of @vg_name: @result is sent to
 * the caller once the staged model is committed (or the commit's error, if
 * it fails). Takes @result.
 */
int server_defer_reply(struct handler_ctx *ctx, const char *vg_name, struct json_object *result);

/* Publish an event to subscribers: {seq, time, type, ...@fields}. Takes @fields. */
void server_publish_event(struct server *server, const char *type, struct json_object *fields);

/*
 * Handle one request line as if a client with write rights (@may_write) had
 * sent it, commit what it staged, and return every line the client would
 * have received (malloc'ed; NULL on ENOMEM). For tests and the fuzz harness
 * of the dispatcher: the same code path as the socket, without one.
 */
char *server_dispatch_line(struct server *server, const char *line, size_t len, bool may_write);

/* The background jobs (job.h): long work, stepped from the event loop between requests. */
struct jobs *server_jobs(struct server *server);

/* The number of commits written since start (for tests and benchmarks of group commit). */
uint64_t server_commit_count(const struct server *server);

/*
 * Commit @vg_name's staged changes now and answer their callers (before an
 * operation that must see them on disk, such as a VG split). 0 when there
 * was nothing staged.
 */
int server_commit_vg(struct server *server, const char *vg_name, struct vg_error *err);
