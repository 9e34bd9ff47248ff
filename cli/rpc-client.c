/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vgtoold's socket, client side (rpc-client.h). Requests are answered in
 * order per connection and vgtool has one request outstanding at a time, so a
 * reply is recognised by its id; an error reply with a null id (the daemon
 * could not read our id) is taken as the answer too, since nothing else can
 * be pending. Timeouts are deadlines on the monotonic clock over the whole
 * call, however the bytes trickle in.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include "rpc-client.h"

struct rpc_client {
	int fd;
	uint64_t next_id;
	char *buf; /* received bytes not yet consumed as lines */
	size_t len;
	size_t cap;
	size_t scanned; /* buf[0..scanned) holds no newline */
	int64_t deadline_start; /* when the current wait began, for the timeout message */
	volatile sig_atomic_t *interrupt;
};

void rpc_client_set_interrupt(struct rpc_client *client, volatile sig_atomic_t *flag)
{
	client->interrupt = flag;
}

struct rpc_client *rpc_client_free(struct rpc_client *client)
{
	if (!client)
		return NULL;
	if (client->fd >= 0)
		close(client->fd);
	free(client->buf);
	free(client);
	return NULL;
}

int rpc_client_connect(const char *path, struct rpc_client **ret_client, struct vg_error *err)
{
	_cleanup_(rpc_client_freep) struct rpc_client *client = NULL;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(addr.sun_path))
		return vg_error_set(err, -ENAMETOOLONG, "the socket path is longer than %zu bytes",
				    sizeof(addr.sun_path) - 1);
	memcpy(addr.sun_path, path, strlen(path) + 1);

	client = calloc(1, sizeof(*client));
	if (!client)
		return vg_error_set(err, -ENOMEM, "out of memory");
	client->next_id = 1;
	client->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (client->fd < 0)
		return vg_error_set(err, -errno, "socket: %s", strerror(errno));
	if (connect(client->fd, (const struct sockaddr *)&addr, sizeof(addr)) < 0)
		return vg_error_set(err, -errno, "%s", strerror(errno));
	*ret_client = TAKE_PTR(client);
	return 0;
}

char *rpc_request_line(uint64_t id, const char *method, struct json_object *params)
{
	_cleanup_(json_object_putp) struct json_object *req = json_object_new_object();
	const char *text;

	if (!req || json_object_object_add(req, "jsonrpc", json_object_new_string("2.0")) < 0 ||
	    json_object_object_add(req, "id", json_object_new_int64((int64_t)id)) < 0 ||
	    json_object_object_add(req, "method", json_object_new_string(method)) < 0 ||
	    json_object_object_add(req, "params",
				   params ? json_object_get(params) : json_object_new_object()) < 0)
		return NULL;
	/* Paths are full of '/'; json-c would escape each one as "\/" without NOSLASHESCAPE. */
	text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	return text ? strdup(text) : NULL;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until @deadline (-1: none), for poll(). */
static int remaining_ms(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - now_ms();
	return left < 0 ? 0 : (int)MIN(left, (int64_t)INT32_MAX);
}

static int send_all(struct rpc_client *client, const char *data, size_t len, struct vg_error *err)
{
	while (len > 0) {
		/* MSG_NOSIGNAL: a daemon that went away must give EPIPE, not kill vgtool with SIGPIPE. */
		ssize_t n = send(client->fd, data, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return vg_error_set(err, errno == EPIPE ? -ECONNRESET : -errno, "sending the request: %s",
					    strerror(errno));
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Parse one line into a JSON object. The whole line must be one value: a
 * daemon that sends two objects on a line, or trailing garbage, is broken,
 * and guessing would hide it.
 */
static int parse_line(const char *line, size_t len, struct json_object **ret_msg, struct vg_error *err)
{
	struct json_tokener *tok;
	struct json_object *msg;
	enum json_tokener_error jerr;
	size_t used;

	if (len > INT32_MAX)
		return vg_error_set(err, -EMSGSIZE, "a reply line is too long");
	tok = json_tokener_new();
	if (!tok)
		return vg_error_set(err, -ENOMEM, "out of memory");
	msg = json_tokener_parse_ex(tok, line, (int)len);
	jerr = json_tokener_get_error(tok);
	used = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!msg || jerr != json_tokener_success || used != len) {
		json_object_put(msg);
		return vg_error_set(err, -EBADMSG, "the reply is not JSON (%s)",
				    jerr != json_tokener_success ? json_tokener_error_desc(jerr)
								 : "text after the object");
	}
	if (!json_object_is_type(msg, json_type_object)) {
		json_object_put(msg);
		return vg_error_set(err, -EBADMSG, "the reply is not a JSON object");
	}
	*ret_msg = msg;
	return 0;
}

/* Take the next complete line out of the buffer, if there is one: 1 and *ret_msg, or 0. */
static int take_line(struct rpc_client *client, struct json_object **ret_msg, struct vg_error *err)
{
	for (;;) {
		char *nl;
		size_t line_len, rest;
		int r;

		/* nothing buffered yet: buf may still be NULL, which memchr must not see */
		nl = client->len > client->scanned
			     ? memchr(client->buf + client->scanned, '\n', client->len - client->scanned)
			     : NULL;
		if (!nl) {
			client->scanned = client->len;
			return 0;
		}
		line_len = (size_t)(nl - client->buf);
		while (line_len > 0 && strchr(" \t\r", client->buf[line_len - 1]))
			line_len--;
		r = line_len > 0 ? parse_line(client->buf, line_len, ret_msg, err) : 0;
		rest = client->len - (size_t)(nl + 1 - client->buf);
		memmove(client->buf, nl + 1, rest);
		client->len = rest;
		client->scanned = 0;
		if (r < 0)
			return r;
		if (line_len > 0)
			return 1;
		/* a blank line is noise, not a message: look further */
	}
}

static int read_message(struct rpc_client *client, int64_t deadline, struct json_object **ret_msg,
			struct vg_error *err)
{
	for (;;) {
		struct pollfd pfd = { .fd = client->fd, .events = POLLIN };
		ssize_t n;
		int r;

		r = take_line(client, ret_msg, err);
		if (r != 0)
			return r < 0 ? r : 0;
		if (client->len >= RPC_CLIENT_MAX_LINE_BYTES)
			return vg_error_set(err, -EMSGSIZE, "a reply line is longer than %u MiB",
					    RPC_CLIENT_MAX_LINE_BYTES >> 20);
		if (client->cap - client->len < 4096) {
			size_t cap = client->cap ? client->cap * 2 : 65536;
			char *bigger = realloc(client->buf, cap);

			if (!bigger)
				return vg_error_set(err, -ENOMEM, "out of memory");
			client->buf = bigger;
			client->cap = cap;
		}
		r = poll(&pfd, 1, remaining_ms(deadline));
		if (r < 0 && errno == EINTR && !(client->interrupt && *client->interrupt))
			continue;
		if (r < 0)
			return vg_error_set(err, -errno, "waiting for a reply: %s", strerror(errno));
		if (r == 0)
			return vg_error_set(err, -ETIMEDOUT, "no reply within %d s",
					    (int)((deadline - client->deadline_start + 999) / 1000));
		n = read(client->fd, client->buf + client->len, client->cap - client->len);
		if (n < 0) {
			if ((errno == EINTR && !(client->interrupt && *client->interrupt)) || errno == EAGAIN)
				continue;
			return vg_error_set(err, -errno, "reading the reply: %s", strerror(errno));
		}
		if (n == 0)
			return vg_error_set(err, -ECONNRESET, "vgtoold closed the connection%s",
					    client->len ? " in the middle of a reply" : "");
		client->len += (size_t)n;
	}
}

int rpc_client_read(struct rpc_client *client, int timeout_ms, struct json_object **ret_msg,
		    struct vg_error *err)
{
	client->deadline_start = now_ms();
	return read_message(client, timeout_ms < 0 ? -1 : client->deadline_start + timeout_ms, ret_msg, err);
}

static bool is_our_reply(struct json_object *msg, uint64_t id)
{
	struct json_object *jid, *error;

	if (!json_object_object_get_ex(msg, "id", &jid))
		return false;
	if (json_object_is_type(jid, json_type_int))
		return json_object_get_int64(jid) == (int64_t)id;
	/* the daemon could not read our request's id: with one request pending, this error is ours */
	return json_object_is_type(jid, json_type_null) && json_object_object_get_ex(msg, "error", &error);
}

int rpc_client_call(struct rpc_client *client, const char *method, struct json_object *params,
		    int timeout_ms, rpc_notify_fn notify, void *userdata, struct json_object **ret_result,
		    struct json_object **ret_error, struct vg_error *err)
{
	_cleanup_free_ char *line = NULL;
	uint64_t id = client->next_id++;
	int64_t deadline;
	int r;

	line = rpc_request_line(id, method, params);
	if (!line)
		return vg_error_set(err, -ENOMEM, "out of memory");
	client->deadline_start = now_ms();
	deadline = timeout_ms < 0 ? -1 : client->deadline_start + timeout_ms;
	r = send_all(client, line, strlen(line), err);
	if (r < 0)
		return r;
	r = send_all(client, "\n", 1, err);
	if (r < 0)
		return r;

	for (;;) {
		_cleanup_(json_object_putp) struct json_object *msg = NULL;
		struct json_object *version, *result, *error;

		r = read_message(client, deadline, &msg, err);
		if (r < 0)
			return r;
		if (!json_object_object_get_ex(msg, "id", NULL)) {
			if (notify)
				notify(msg, userdata);
			continue;
		}
		if (!is_our_reply(msg, id))
			continue; /* an answer to a request we gave up on */
		if (!json_object_object_get_ex(msg, "jsonrpc", &version) ||
		    !streq(json_object_get_string(version), "2.0"))
			return vg_error_set(err, -EBADMSG, "the reply is not JSON-RPC 2.0");
		if (json_object_object_get_ex(msg, "error", &error) &&
		    json_object_is_type(error, json_type_object)) {
			*ret_error = json_object_get(error);
			*ret_result = NULL;
			return 1;
		}
		if (json_object_object_get_ex(msg, "result", &result)) {
			*ret_result = json_object_get(result);
			*ret_error = NULL;
			return 0;
		}
		return vg_error_set(err, -EBADMSG, "the reply has neither a result nor an error");
	}
}
