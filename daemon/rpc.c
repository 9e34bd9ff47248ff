/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* JSON-RPC 2.0 framing, errors and parameter accessors (see rpc.h). */
#include <stdio.h>
#include <string.h>

#include "rpc.h"

int rpc_error_set(struct rpc_error *e, int code, int errno_code, const char *field, const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	e->errno_code = errno_code;
	e->field = field;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	return errno_code ? errno_code : -EINVAL;
}

int rpc_error_from(struct rpc_error *e, const struct vg_error *err, int r)
{
	int code = r == -EIO ? RPC_IO_ERROR : RPC_REFUSED;

	return rpc_error_set(e, code, r, NULL, "%s", err && err->message[0] ? err->message : strerror(-r));
}

int rpc_request_parse(const char *line, size_t len, struct rpc_request *ret_request, struct json_object **ret_id,
		      struct rpc_error *e)
{
	struct json_tokener *tok;
	struct json_object *root, *version, *method, *id = NULL, *params = NULL;
	enum json_tokener_error jerr;

	*ret_id = NULL;
	tok = json_tokener_new_ex(64);
	if (!tok)
		return rpc_error_set(e, RPC_INTERNAL_ERROR, -ENOMEM, NULL, "out of memory");
	root = json_tokener_parse_ex(tok, line, (int)len);
	jerr = json_tokener_get_error(tok);
	if (root && jerr == json_tokener_success && (size_t)json_tokener_get_parse_end(tok) < len) {
		/* trailing bytes after the object: only whitespace is allowed */
		for (size_t i = json_tokener_get_parse_end(tok); i < len; i++)
			if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r') {
				json_object_put(root);
				root = NULL;
				jerr = json_tokener_error_parse_unexpected;
				break;
			}
	}
	json_tokener_free(tok);
	if (!root || jerr != json_tokener_success) {
		json_object_put(root);
		return rpc_error_set(e, RPC_PARSE_ERROR, -EINVAL, NULL, "not valid JSON: %s",
				     json_tokener_error_desc(jerr == json_tokener_success ? json_tokener_continue : jerr));
	}
	if (!json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return rpc_error_set(e, RPC_INVALID_REQUEST, -EINVAL, NULL, "a request must be a JSON object");
	}
	if (json_object_object_get_ex(root, "id", &id)) {
		if (!json_object_is_type(id, json_type_int) && !json_object_is_type(id, json_type_string) &&
		    !json_object_is_type(id, json_type_null)) {
			json_object_put(root);
			return rpc_error_set(e, RPC_INVALID_REQUEST, -EINVAL, "id", "id must be a number, a string or null");
		}
		*ret_id = json_object_get(id);
	}
	if (!json_object_object_get_ex(root, "jsonrpc", &version) || !json_object_is_type(version, json_type_string) ||
	    strcmp(json_object_get_string(version), "2.0") != 0) {
		json_object_put(root);
		return rpc_error_set(e, RPC_INVALID_REQUEST, -EINVAL, "jsonrpc", "\"jsonrpc\": \"2.0\" is required");
	}
	if (!json_object_object_get_ex(root, "method", &method) || !json_object_is_type(method, json_type_string)) {
		json_object_put(root);
		return rpc_error_set(e, RPC_INVALID_REQUEST, -EINVAL, "method", "\"method\" must be a string");
	}
	if (json_object_object_get_ex(root, "params", &params) && !json_object_is_type(params, json_type_object)) {
		json_object_put(root);
		return rpc_error_set(e, RPC_INVALID_PARAMS, -EINVAL, "params", "\"params\" must be an object of named parameters");
	}
	if (!params) {
		params = json_object_new_object();
		json_object_object_add(root, "params", params);
	}
	/* the request holds the id from here on */
	json_object_put(*ret_id);
	*ret_id = NULL;
	*ret_request = (struct rpc_request){
		.root = root,
		.id = id,
		.method = json_object_get_string(method),
		.params = params,
	};
	return 0;
}

void rpc_request_done(struct rpc_request *request)
{
	json_object_put(request->root);
	request->root = NULL;
}

static struct json_object *reply_base(struct json_object *id)
{
	struct json_object *reply = json_object_new_object();

	json_object_object_add(reply, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(reply, "id", id ? json_object_get(id) : NULL);
	return reply;
}

struct json_object *rpc_reply_result(struct json_object *id, struct json_object *result)
{
	struct json_object *reply = reply_base(id);

	json_object_object_add(reply, "result", result ? result : json_object_new_object());
	return reply;
}

struct json_object *rpc_reply_error(struct json_object *id, const struct rpc_error *e)
{
	struct json_object *reply = reply_base(id), *error = json_object_new_object(), *data = json_object_new_object();

	json_object_object_add(error, "code", json_object_new_int(e->code));
	json_object_object_add(error, "message", json_object_new_string(e->message));
	json_object_object_add(data, "reason", json_object_new_string(e->errno_code ? vg_errno_name(e->errno_code) : "EINVAL"));
	if (e->field)
		json_object_object_add(data, "field", json_object_new_string(e->field));
	json_object_object_add(error, "data", data);
	json_object_object_add(reply, "error", error);
	return reply;
}

struct json_object *rpc_notification(const char *method, struct json_object *params)
{
	struct json_object *n = json_object_new_object();

	json_object_object_add(n, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(n, "method", json_object_new_string(method));
	json_object_object_add(n, "params", params);
	return n;
}

static int param_get(struct json_object *params, const char *name, bool required, struct json_object **ret,
		     struct rpc_error *e)
{
	if (!json_object_object_get_ex(params, name, ret) || json_object_is_type(*ret, json_type_null)) {
		if (required)
			return rpc_error_set(e, RPC_INVALID_PARAMS, -EINVAL, name, "parameter \"%s\" is required", name);
		return -ENOENT;
	}
	return 0;
}

int rpc_param_string(struct json_object *params, const char *name, bool required, const char **ret,
		     struct rpc_error *e)
{
	struct json_object *v;
	int r = param_get(params, name, required, &v, e);

	if (r < 0)
		return r;
	if (!json_object_is_type(v, json_type_string))
		return rpc_error_set(e, RPC_INVALID_PARAMS, -EINVAL, name, "parameter \"%s\" must be a string", name);
	if (json_object_get_string_len(v) == 0)
		return rpc_error_set(e, RPC_INVALID_PARAMS, -EINVAL, name, "parameter \"%s\" must not be empty", name);
	if (strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
		return rpc_error_set(e, RPC_INVALID_PARAMS, -EINVAL, name, "parameter \"%s\" contains a NUL byte", name);
	*ret = json_object_get_string(v);
	return 0;
}

int rpc_param_bool(struct json_object *params, const char *name, bool *ret, struct rpc_error *e)
{
	struct json_object *v;
	int r = param_get(params, name, false, &v, e);

	if (r < 0)
		return r;
	if (!json_object_is_type(v, json_type_boolean))
		return rpc_error_set(e, RPC_INVALID_PARAMS, -EINVAL, name, "parameter \"%s\" must be true or false", name);
	*ret = json_object_get_boolean(v);
	return 0;
}

int rpc_param_u64(struct json_object *params, const char *name, bool required, uint64_t *ret, struct rpc_error *e)
{
	struct json_object *v;
	int r = param_get(params, name, required, &v, e);

	if (r < 0)
		return r;
	if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
		return rpc_error_set(e, RPC_INVALID_PARAMS, -EINVAL, name,
				     "parameter \"%s\" must be a non-negative integer", name);
	*ret = json_object_get_uint64(v);
	return 0;
}

int rpc_param_strings(struct json_object *params, const char *name, bool required, const char ***ret,
		      size_t *ret_n, struct rpc_error *e)
{
	struct json_object *v;
	const char **list;
	size_t n;
	int r = param_get(params, name, required, &v, e);

	if (r < 0)
		return r;
	if (!json_object_is_type(v, json_type_array))
		return rpc_error_set(e, RPC_INVALID_PARAMS, -EINVAL, name, "parameter \"%s\" must be a list of strings", name);
	n = json_object_array_length(v);
	if (n == 0 && required)
		return rpc_error_set(e, RPC_INVALID_PARAMS, -EINVAL, name, "parameter \"%s\" must not be empty", name);
	if (n > 4096)
		return rpc_error_set(e, RPC_INVALID_PARAMS, -E2BIG, name, "parameter \"%s\" has too many entries", name);
	list = calloc(n + 1, sizeof(*list));
	if (!list)
		return rpc_error_set(e, RPC_INTERNAL_ERROR, -ENOMEM, NULL, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct json_object *item = json_object_array_get_idx(v, i);

		if (!json_object_is_type(item, json_type_string) || json_object_get_string_len(item) == 0) {
			free(list);
			return rpc_error_set(e, RPC_INVALID_PARAMS, -EINVAL, name,
					     "parameter \"%s\": entry %zu must be a non-empty string", name, i + 1);
		}
		list[i] = json_object_get_string(item);
	}
	*ret = list;
	*ret_n = n;
	return 0;
}

int rpc_param_size(struct json_object *params, const char *name, bool required, struct size_spec *ret,
		   struct rpc_error *e)
{
	struct json_object *v;
	struct vg_error err = { 0 };
	int r = param_get(params, name, required, &v, e);

	if (r < 0)
		return r;
	if (json_object_is_type(v, json_type_int)) {
		if (json_object_get_int64(v) <= 0)
			return rpc_error_set(e, RPC_INVALID_PARAMS, -EINVAL, name, "parameter \"%s\" must be a positive size", name);
		*ret = (struct size_spec){ .bytes = json_object_get_uint64(v) };
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return rpc_error_set(e, RPC_INVALID_PARAMS, -EINVAL, name,
				     "parameter \"%s\" must be a size such as \"20G\" or a number of bytes", name);
	r = size_spec_parse(json_object_get_string(v), 'm', ret, &err);
	if (r < 0)
		return rpc_error_set(e, RPC_INVALID_PARAMS, -EINVAL, name, "parameter \"%s\": %s", name, err.message);
	return 0;
}

int rpc_params_only(struct json_object *params, const char *const *known, struct rpc_error *e)
{
	json_object_object_foreach(params, key, value) {
		bool ok = false;

		(void)value;
		for (const char *const *k = known; *k && !ok; k++)
			ok = streq(*k, key);
		if (!ok)
			return rpc_error_set(e, RPC_INVALID_PARAMS, -EINVAL, key, "unknown parameter \"%s\"", key);
	}
	return 0;
}
