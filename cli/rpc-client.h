/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The client side of vgtoold's socket (docs/api.md, Transport): a Unix stream
 * connection carrying one JSON object per line. A call sends one request
 * line and reads lines until the reply with the same id arrives; lines
 * without an id are notifications (events) and go to a callback, so a
 * subscription can be read on the same connection. Every failure to get an
 * answer is a negative errno with err->message saying what happened; the
 * front end turns those into exit code 3.
 */
#pragma once

#include <json-c/json.h>
#include <signal.h>
#include <stdint.h>

#include "error.h"
#include "macro.h"

/* json-c's reference drop as a cleanup: _cleanup_(json_object_putp) struct json_object *o = ... */
DEFINE_CLEANUP_FUNC(struct json_object, json_object_put)

/* Replies may be far longer than the daemon's 1 MiB request limit (a VG with 10 000 LVs). */
#define RPC_CLIENT_MAX_LINE_BYTES (256u << 20)

struct rpc_client;

/* Called for each notification read while waiting; @msg is borrowed. */
typedef void (*rpc_notify_fn)(struct json_object *msg, void *userdata);

/*
 * Connect to the socket at @path. Returns 0 and *ret_client, or a negative
 * errno from socket/connect (-ENOENT: no socket there, -ECONNREFUSED: nobody
 * listening, -EACCES: no permission, -ENAMETOOLONG: path longer than a Unix
 * socket address holds).
 */
int rpc_client_connect(const char *path, struct rpc_client **ret_client, struct vg_error *err);
struct rpc_client *rpc_client_free(struct rpc_client *client);
DEFINE_CLEANUP_FUNC(struct rpc_client, rpc_client_free)

/*
 * A signal interrupts a wait (-EINTR) only when it has set *@flag; other
 * signals (SIGWINCH from a resized terminal) are waited through.
 */
void rpc_client_set_interrupt(struct rpc_client *client, volatile sig_atomic_t *flag);

/*
 * Send a request for @method with @params (borrowed; NULL sends {}) and wait
 * at most @timeout_ms (-1: forever) for its reply. Returns 0 and
 * *ret_result when the daemon answered with a result, 1 and *ret_error (the
 * JSON-RPC error object) when it answered with an error; both owned by the
 * caller, the other one left NULL. Negative errno when there was no usable
 * answer: -ETIMEDOUT, -ECONNRESET (closed), -EBADMSG (not JSON-RPC), -EMSGSIZE,
 * -EINTR (a signal; the caller decides whether to go on), or an I/O errno.
 */
int rpc_client_call(struct rpc_client *client, const char *method, struct json_object *params,
		    int timeout_ms, rpc_notify_fn notify, void *userdata, struct json_object **ret_result,
		    struct json_object **ret_error, struct vg_error *err);

/*
 * Read the next message (a notification, or a reply nobody waits for) within
 * @timeout_ms. Returns 0 and *ret_msg (owned), or a negative errno as above.
 */
int rpc_client_read(struct rpc_client *client, int timeout_ms, struct json_object **ret_msg,
		    struct vg_error *err);

/* The request line (no newline) for @id, @method and @params (borrowed, NULL: {}); malloc'ed, NULL on ENOMEM. */
char *rpc_request_line(uint64_t id, const char *method, struct json_object *params);
