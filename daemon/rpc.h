/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * JSON-RPC 2.0 framing and errors (docs/api.md): one request per line in,
 * one reply object out. Parameter accessors check types and name the field
 * at fault, so every handler reports bad input the same way.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>

#include "error.h"
#include "size.h"

#define RPC_MAX_LINE_BYTES (1u << 20)

enum {
	RPC_PARSE_ERROR = -32700,
	RPC_INVALID_REQUEST = -32600,
	RPC_METHOD_NOT_FOUND = -32601,
	RPC_INVALID_PARAMS = -32602,
	RPC_INTERNAL_ERROR = -32603,
	RPC_REFUSED = -32001,
	RPC_PERMISSION_DENIED = -32002,
	RPC_IO_ERROR = -32003,
};

/* An error a handler returns: JSON-RPC code, symbolic reason, message, field. */
struct rpc_error {
	int code;
	int errno_code; /* negative errno behind it, 0 when none */
	const char *field;
	char message[VG_ERROR_MESSAGE_MAX];
};

int rpc_error_set(struct rpc_error *e, int code, int errno_code, const char *field, const char *fmt, ...)
	_printf_(5, 6);
/* From a storage layer's error: code RPC_REFUSED (or RPC_IO_ERROR for EIO), reason from errno. */
int rpc_error_from(struct rpc_error *e, const struct vg_error *err, int r);

struct rpc_request {
	struct json_object *root; /* owns everything below */
	struct json_object *id;   /* NULL for a notification */
	const char *method;
	struct json_object *params; /* an object; an empty one when absent */
};

/*
 * Parse one line. Returns 0 and *ret_request (caller frees with
 * rpc_request_done); on failure fills @e with a parse/invalid-request error
 * and *ret_id with the id when one could be read (a reference the caller
 * releases), or NULL.
 */
int rpc_request_parse(const char *line, size_t len, struct rpc_request *ret_request, struct json_object **ret_id,
		      struct rpc_error *e);
void rpc_request_done(struct rpc_request *request);

/* Reply objects; they take a reference to @id and ownership of @result. */
struct json_object *rpc_reply_result(struct json_object *id, struct json_object *result);
struct json_object *rpc_reply_error(struct json_object *id, const struct rpc_error *e);
struct json_object *rpc_notification(const char *method, struct json_object *params);

/* Parameter accessors: 0, -ENOENT when optional and absent, or -EINVAL with @e filled (field named). */
int rpc_param_string(struct json_object *params, const char *name, bool required, const char **ret,
		     struct rpc_error *e);
int rpc_param_bool(struct json_object *params, const char *name, bool *ret, struct rpc_error *e);
int rpc_param_u64(struct json_object *params, const char *name, bool required, uint64_t *ret, struct rpc_error *e);
/* An array of strings; *ret is a malloc'ed array of borrowed strings (free the array only). */
int rpc_param_strings(struct json_object *params, const char *name, bool required, const char ***ret,
		      size_t *ret_n, struct rpc_error *e);
/* A size: a string such as "20G", "+10G", "100%FREE", or an integer of bytes. */
int rpc_param_size(struct json_object *params, const char *name, bool required, struct size_spec *ret,
		   struct rpc_error *e);
/* Refuse parameters not in @known (NULL-terminated), naming the first stranger. */
int rpc_params_only(struct json_object *params, const char *const *known, struct rpc_error *e);
