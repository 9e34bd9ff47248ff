/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vgtoold's event loop, connections and group commit (see server.h). */
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>

#include "handlers.h"
#include "host.h"
#include "job-md-follow.h"
#include "job-mirror.h"
#include "job-pv-move.h"
#include "job.h"
#include "udev-monitor.h"
#include "log.h"
#include "server.h"

#define OUTPUT_LIMIT_BYTES (64u << 20)
#define EVENT_BACKLOG 4096

struct connection {
	int fd;
	struct ucred cred;
	bool may_read;
	bool may_write;
	char *in;
	size_t in_len, in_cap;
	uint64_t line_started_ms; /* when the unfinished line in @in began; 0 when none */
	char *out;
	size_t out_len, out_off;
	bool waiting_for_commit;
	bool subscribed;
	bool closing;     /* we are done with it: close once the output is flushed */
	bool peer_closed; /* it sent EOF: answer what it sent, then close */
	bool refused;     /* may not use the daemon: told so; what it sends is discarded unread */
	struct connection *next;
};

struct deferred_reply {
	struct connection *conn;
	struct json_object *id;
	struct json_object *result;
	char *vg_name;
	char *idempotency; /* "key\nmethod\nparams" to remember once committed, or NULL */
	struct deferred_reply *next;
};

/*
 * Idempotency keys: a retried creating call with the same key and the same
 * parameters gets the first result again. The latest IDEMPOTENCY_SLOTS are
 * kept in memory; after a restart, "creating what exists identically"
 * answers retries instead.
 */
#define IDEMPOTENCY_SLOTS 4096
struct idempotent_result {
	char *key;     /* the client's key */
	char *request; /* method and parameters, to tell a retry from a reuse */
	char *result;  /* the result object, rendered */
};

struct server {
	const struct daemon_config *config;
	struct host *host;
	int epoll_fd;
	int listen_fd;
	int signal_fd;
	struct udev_monitor_watch *watch; /* devices and image files coming and going; NULL if unavailable */
	bool rescan_pending;
	uint64_t backups_due_ms; /* when a backup fell due that is not written yet; 0: none */
	bool stopping;
	struct connection *connections;
	struct deferred_reply *deferred;
	uint64_t commits;
	struct jobs *jobs;
	/* events: a ring of the latest, each a rendered notification line */
	uint64_t next_event_seq;
	char *event_lines[EVENT_BACKLOG];
	uint64_t event_seqs[EVENT_BACKLOG];
	struct idempotent_result idempotent[IDEMPOTENCY_SLOTS];
	size_t idempotent_next;
};

/* "method params-without-key": what a retry must repeat exactly. */
static char *idempotency_request(const char *method, struct json_object *params)
{
	struct json_object *copy = NULL;
	char *text = NULL;

	if (json_object_deep_copy(params, &copy, NULL) < 0)
		return NULL;
	json_object_object_del(copy, "idempotency_key");
	json_object_object_del(copy, "dry_run");
	if (asprintf(&text, "%s %s", method, json_object_to_json_string_ext(copy, JSON_C_TO_STRING_PLAIN)) < 0)
		text = NULL;
	json_object_put(copy);
	return text;
}

static const struct idempotent_result *idempotency_find(const struct server *server, const char *key)
{
	for (size_t i = 0; i < IDEMPOTENCY_SLOTS; i++)
		if (server->idempotent[i].key && streq(server->idempotent[i].key, key))
			return &server->idempotent[i];
	return NULL;
}

static void idempotency_remember(struct server *server, const char *key, const char *request,
				 struct json_object *result)
{
	struct idempotent_result *slot = &server->idempotent[server->idempotent_next];

	server->idempotent_next = (server->idempotent_next + 1) % IDEMPOTENCY_SLOTS;
	free(slot->key);
	free(slot->request);
	free(slot->result);
	slot->key = strdup(key);
	slot->request = strdup(request);
	slot->result = strdup(json_object_to_json_string_ext(result, JSON_C_TO_STRING_PLAIN));
	if (!slot->key || !slot->request || !slot->result) {
		free(slot->key);
		free(slot->request);
		free(slot->result);
		memset(slot, 0, sizeof(*slot));
	}
}

/*
 * A VG's backup file is written once the reply is out and no request came
 * for BACKUP_IDLE_MS: a client sending changes one after the other (each
 * waiting for its reply) is not made to wait for a backup between two of
 * them. Under a stream of requests, at least every BACKUP_MAX_DELAY_MS
 * (the changes between share the backup, and so the archive's versions).
 */
#define BACKUP_IDLE_MS 50
#define BACKUP_MAX_DELAY_MS 2000

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- output ---- */

static void conn_queue(struct connection *conn, const char *data, size_t len)
{
	if (conn->closing)
		return;
	if (conn->out_len + len + 1 > OUTPUT_LIMIT_BYTES) {
		/* a client that does not read its replies loses its connection, not our memory */
		conn->closing = true;
		conn->out_len = conn->out_off = 0;
		return;
	}
	char *grown = realloc(conn->out, conn->out_len + len + 1);
	if (!grown) {
		conn->closing = true;
		return;
	}
	conn->out = grown;
	memcpy(conn->out + conn->out_len, data, len);
	conn->out_len += len;
	conn->out[conn->out_len++] = '\n';
}

static void conn_send(struct connection *conn, struct json_object *reply)
{
	size_t len;
	const char *text = json_object_to_json_string_length(reply, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);

	conn_queue(conn, text, len);
	json_object_put(reply);
}

static void conn_flush(struct server *server, struct connection *conn)
{
	while (conn->out_off < conn->out_len) {
		ssize_t n = send(conn->fd, conn->out + conn->out_off, conn->out_len - conn->out_off, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN) {
				conn->closing = true;
				conn->out_len = conn->out_off = 0;
			}
			break;
		}
		conn->out_off += (size_t)n;
	}
	if (conn->out_off == conn->out_len)
		conn->out_off = conn->out_len = 0;
	struct epoll_event ev = {
		.events = (conn->peer_closed || conn->closing ? 0 : EPOLLIN | EPOLLRDHUP) | (conn->out_len ? EPOLLOUT : 0),
		.data.ptr = conn,
	};
	epoll_ctl(server->epoll_fd, EPOLL_CTL_MOD, conn->fd, &ev);
}

/* ---- connections ---- */

static bool peer_in_group(int fd, const struct ucred *cred, gid_t group)
{
	gid_t groups[256];
	socklen_t len = sizeof(groups);

	if (cred->gid == group)
		return true;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
		return false;
	for (size_t i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == group)
			return true;
	return false;
}

static void accept_connection(struct server *server)
{
	for (;;) {
		int fd = accept4(server->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct connection *conn;
		socklen_t len;

		if (fd < 0)
			return;
		conn = calloc(1, sizeof(*conn));
		if (!conn) {
			close(fd);
			return;
		}
		conn->fd = fd;
		len = sizeof(conn->cred);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &conn->cred, &len) == 0) {
			const struct daemon_config *c = server->config;

			conn->may_write = conn->cred.uid == 0 || conn->cred.uid == geteuid() ||
					  (c->has_write_group && peer_in_group(fd, &conn->cred, c->write_group));
			conn->may_read = conn->may_write ||
					 (c->has_read_group && peer_in_group(fd, &conn->cred, c->read_group));
		}
		conn->next = server->connections;
		server->connections = conn;
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = conn };
		epoll_ctl(server->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
		if (!conn->may_read) {
			/* refused before anything it sends is parsed */
			struct rpc_error e;

			rpc_error_set(&e, RPC_PERMISSION_DENIED, -EACCES, NULL,
				      "uid %u may not use vgtoold: it needs root or the daemon's read or write group",
				      (unsigned)conn->cred.uid);
			conn_send(conn, rpc_reply_error(NULL, &e));
			conn->refused = true;
			conn->line_started_ms = now_ms(); /* gone after the client timeout at the latest */
			conn_flush(server, conn);
			/*
			 * Half-close rather than close: closing with its request unread
			 * would reset the connection and could destroy the refusal
			 * before the client reads it.
			 */
			if (conn->out_len == 0)
				shutdown(conn->fd, SHUT_WR);
		}
	}
}

static void close_connection(struct server *server, struct connection *conn)
{
	struct connection **p;

	for (struct deferred_reply *d = server->deferred; d; d = d->next)
		if (d->conn == conn)
			d->conn = NULL; /* the commit still happens; nobody hears about it */
	for (p = &server->connections; *p; p = &(*p)->next)
		if (*p == conn) {
			*p = conn->next;
			break;
		}
	epoll_ctl(server->epoll_fd, EPOLL_CTL_DEL, conn->fd, NULL);
	close(conn->fd);
	free(conn->in);
	free(conn->out);
	free(conn);
}

/* ---- requests ---- */

static void handle_line(struct server *server, struct connection *conn, const char *line, size_t len)
{
	_cleanup_free_ char *idempotency = NULL, *key_and_request = NULL;
	struct rpc_request request;
	struct rpc_error e = { 0 };
	struct json_object *id = NULL, *result = NULL;
	const struct handler_entry *entry;
	struct handler_ctx ctx;
	const char *key = NULL;
	int r;

	if (len > RPC_MAX_LINE_BYTES) {
		rpc_error_set(&e, RPC_INVALID_REQUEST, -E2BIG, NULL, "a request line is longer than %u bytes",
			      RPC_MAX_LINE_BYTES);
		conn_send(conn, rpc_reply_error(NULL, &e));
		conn->closing = true;
		return;
	}
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (len == 0)
		return;
	r = rpc_request_parse(line, len, &request, &id, &e);
	if (r < 0) {
		conn_send(conn, rpc_reply_error(id, &e));
		json_object_put(id);
		return;
	}
	entry = handler_find(request.method);
	if (!entry) {
		rpc_error_set(&e, RPC_METHOD_NOT_FOUND, -ENOENT, "method", "unknown method \"%s\" (see vgtool --help)",
			      request.method);
		goto reply_error;
	}
	if (entry->writes && !conn->may_write) {
		rpc_error_set(&e, RPC_PERMISSION_DENIED, -EACCES, NULL,
			      "uid %u may only read: %s changes things and needs root or the write group",
			      (unsigned)conn->cred.uid, request.method);
		goto reply_error;
	}
	ctx = (struct handler_ctx){ .server = server, .host = server->host, .conn = conn, .id = request.id };
	if (entry->writes) {
		r = rpc_param_bool(request.params, "dry_run", &ctx.dry_run, &e);
		if (r < 0 && r != -ENOENT)
			goto reply_error;
		r = rpc_param_string(request.params, "idempotency_key", false, &key, &e);
		if (r < 0 && r != -ENOENT)
			goto reply_error;
	}
	if (key && !ctx.dry_run) {
		const struct idempotent_result *seen = idempotency_find(server, key);

		idempotency = idempotency_request(request.method, request.params);
		if (!idempotency) {
			rpc_error_set(&e, RPC_INTERNAL_ERROR, -ENOMEM, NULL, "out of memory");
			goto reply_error;
		}
		if (seen && !streq(seen->request, idempotency)) {
			rpc_error_set(&e, RPC_INVALID_PARAMS, -EEXIST, "idempotency_key",
				      "idempotency key \"%s\" was used for a different request", key);
			goto reply_error;
		}
		if (seen) {
			result = json_tokener_parse(seen->result);
			if (request.id)
				conn_send(conn, rpc_reply_result(request.id, result));
			else
				json_object_put(result);
			rpc_request_done(&request);
			return;
		}
		if (asprintf(&key_and_request, "%s\n%s", key, idempotency) < 0) {
			key_and_request = NULL;
			rpc_error_set(&e, RPC_INTERNAL_ERROR, -ENOMEM, NULL, "out of memory");
			goto reply_error;
		}
		ctx.idempotency = key_and_request;
	}
	r = entry->run(&ctx, request.params, &result, &e);
	if (r == HANDLER_SENT) {
		rpc_request_done(&request);
		return;
	}
	if (r == HANDLER_DEFERRED) {
		conn->waiting_for_commit = true;
		rpc_request_done(&request);
		return;
	}
	if (r < 0)
		goto reply_error;
	if (idempotency && result)
		idempotency_remember(server, key, idempotency, result);
	if (request.id)
		conn_send(conn, rpc_reply_result(request.id, result));
	else
		json_object_put(result);
	rpc_request_done(&request);
	return;
reply_error:
	json_object_put(result);
	if (request.id)
		conn_send(conn, rpc_reply_error(request.id, &e));
	rpc_request_done(&request);
}

/* Handle the complete lines in @conn's input, unless it waits for a commit. */
static void process_input(struct server *server, struct connection *conn)
{
	size_t start = 0;

	while (conn->in_len > 0 && !conn->waiting_for_commit && !conn->closing) {
		char *nl = memchr(conn->in + start, '\n', conn->in_len - start);

		if (!nl)
			break;
		handle_line(server, conn, conn->in + start, (size_t)(nl - (conn->in + start)));
		start = (size_t)(nl - conn->in) + 1;
		if (start == conn->in_len)
			break;
	}
	if (start > 0) {
		memmove(conn->in, conn->in + start, conn->in_len - start);
		conn->in_len -= start;
		conn->line_started_ms = conn->in_len ? now_ms() : 0;
	}
}

static void discard_input(struct server *server, struct connection *conn)
{
	char sink[4096];

	for (;;) {
		ssize_t n = recv(conn->fd, sink, sizeof(sink), 0);

		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || errno != EAGAIN)
			conn->closing = true;
		return;
	}
}

static void read_input(struct server *server, struct connection *conn)
{
	if (conn->refused) {
		discard_input(server, conn);
		return;
	}
	for (;;) {
		ssize_t n;

		if (conn->in_cap - conn->in_len < 65536) {
			size_t cap = conn->in_cap ? conn->in_cap * 2 : 65536;
			char *grown;

			if (cap > RPC_MAX_LINE_BYTES * 2 + 65536)
				cap = RPC_MAX_LINE_BYTES * 2 + 65536;
			if (cap <= conn->in_cap) {
				/* the buffer is full of one line longer than allowed */
				struct rpc_error e;

				rpc_error_set(&e, RPC_INVALID_REQUEST, -E2BIG, NULL, "a request line is longer than %u bytes",
					      RPC_MAX_LINE_BYTES);
				conn_send(conn, rpc_reply_error(NULL, &e));
				conn->closing = true;
				conn->in_len = 0;
				return;
			}
			grown = realloc(conn->in, cap);
			if (!grown) {
				conn->closing = true;
				return;
			}
			conn->in = grown;
			conn->in_cap = cap;
		}
		n = recv(conn->fd, conn->in + conn->in_len, conn->in_cap - conn->in_len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				conn->closing = true;
			break;
		}
		if (n == 0) {
			conn->peer_closed = true;
			conn_flush(server, conn); /* stop listening for input */
			break;
		}
		if (conn->in_len == 0)
			conn->line_started_ms = now_ms();
		conn->in_len += (size_t)n;
		/* a line over the limit without its newline: refuse it now, not after buffering more */
		if (!memchr(conn->in, '\n', conn->in_len) && conn->in_len > RPC_MAX_LINE_BYTES) {
			struct rpc_error e;

			rpc_error_set(&e, RPC_INVALID_REQUEST, -E2BIG, NULL, "a request line is longer than %u bytes",
				      RPC_MAX_LINE_BYTES);
			conn_send(conn, rpc_reply_error(NULL, &e));
			conn->closing = true;
			conn->in_len = 0;
			return;
		}
		process_input(server, conn);
	}
	process_input(server, conn);
}

/* ---- group commit ---- */

int server_defer_reply(struct handler_ctx *ctx, const char *vg_name, struct json_object *result)
{
	struct deferred_reply *d = calloc(1, sizeof(*d)), **tail;

	if (!d || !(d->vg_name = strdup(vg_name))) {
		free(d);
		json_object_put(result);
		return -ENOMEM;
	}
	d->conn = ctx->conn;
	d->id = ctx->id ? json_object_get(ctx->id) : NULL;
	d->result = result;
	if (ctx->idempotency && !(d->idempotency = strdup(ctx->idempotency))) {
		free(d->vg_name);
		free(d);
		json_object_put(result);
		return -ENOMEM;
	}
	for (tail = &ctx->server->deferred; *tail; tail = &(*tail)->next)
		;
	*tail = d;
	return HANDLER_DEFERRED;
}

static void answer_deferred(struct server *server, const char *vg_name, const struct rpc_error *failure)
{
	struct deferred_reply **p = &server->deferred;

	while (*p) {
		struct deferred_reply *d = *p;

		if (!streq(d->vg_name, vg_name)) {
			p = &d->next;
			continue;
		}
		*p = d->next;
		if (!failure && d->idempotency) {
			/* "key request" was stored as key, request: split it again */
			char *space = strchr(d->idempotency, '\n');

			if (space) {
				*space = '\0';
				idempotency_remember(server, d->idempotency, space + 1, d->result);
			}
		}
		if (d->conn) {
			d->conn->waiting_for_commit = false;
			if (d->id)
				conn_send(d->conn, failure ? rpc_reply_error(d->id, failure) : rpc_reply_result(d->id, json_object_get(d->result)));
		}
		json_object_put(d->id);
		json_object_put(d->result);
		free(d->vg_name);
		free(d->idempotency);
		free(d);
	}
}

/* Commit one VG's staged model and answer everyone waiting for it. */
static int commit_one(struct server *server, struct host_vg *hvg, struct vg_error *err)
{
	char name[256];
	int r;

	snprintf(name, sizeof(name), "%s", hvg->store->vg->name);
	r = host_vg_commit_staged(server->host, hvg, err);
	if (r < 0) {
		struct rpc_error e;

		vg_log(LOG_ERR, "commit of VG %s failed: %s", name, err->message);
		rpc_error_from(&e, err, r);
		answer_deferred(server, name, &e);
		return r;
	}
	server->commits++;
	struct json_object *fields = json_object_new_object();
	json_object_object_add(fields, "vg", json_object_new_string(name));
	json_object_object_add(fields, "seqno", json_object_new_uint64(hvg->store->vg->seqno));
	server_publish_event(server, "commit", fields);
	answer_deferred(server, name, NULL);
	return 0;
}

int server_commit_vg(struct server *server, const char *vg_name, struct vg_error *err)
{
	struct host_vg *hvg = host_find_vg(server->host, vg_name);

	if (!hvg || !hvg->staged)
		return 0;
	return commit_one(server, hvg, err);
}

static void commit_staged(struct server *server)
{
	struct host *host = server->host;

	for (size_t v = 0; v < host->n_vgs; v++) {
		struct vg_error err = { 0 };

		if (!host->vgs[v]->staged)
			continue;
		if (commit_one(server, host->vgs[v], &err) < 0)
			v = (size_t)-1; /* the host was re-read: start over */
	}
}

/* ---- events ---- */

static void publish_job_event(void *userdata, const char *type, struct json_object *fields)
{
	server_publish_event(userdata, type, fields);
}

struct jobs *server_jobs(struct server *server)
{
	return server->jobs;
}

void server_publish_event(struct server *server, const char *type, struct json_object *fields)
{
	struct json_object *params = fields ? fields : json_object_new_object();
	uint64_t seq = ++server->next_event_seq;
	size_t slot = seq % EVENT_BACKLOG;
	struct json_object *note;
	const char *text;

	json_object_object_add(params, "seq", json_object_new_uint64(seq));
	json_object_object_add(params, "time", json_object_new_int64((int64_t)time(NULL)));
	json_object_object_add(params, "type", json_object_new_string(type));
	note = rpc_notification("event", params);
	text = json_object_to_json_string_ext(note, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	free(server->event_lines[slot]);
	server->event_lines[slot] = strdup(text);
	server->event_seqs[slot] = seq;
	for (struct connection *c = server->connections; c; c = c->next)
		if (c->subscribed)
			conn_queue(c, text, strlen(text));
	json_object_put(note);
}

int server_subscribe(struct handler_ctx *ctx, uint64_t since, struct json_object **ret_result, struct rpc_error *e)
{
	struct server *server = ctx->server;
	uint64_t first = server->next_event_seq >= EVENT_BACKLOG ? server->next_event_seq - EVENT_BACKLOG + 1 : 1;
	struct json_object *result = json_object_new_object();

	if (since == UINT64_MAX)
		since = server->next_event_seq;
	if (since + 1 < first) {
		json_object_put(result);
		return rpc_error_set(e, RPC_REFUSED, -ESTALE, "since",
				     "events after %" PRIu64 " are gone: the oldest kept is %" PRIu64
				     "; re-read the state and subscribe from now",
				     since, first);
	}
	json_object_object_add(result, "subscribed", json_object_new_boolean(true));
	json_object_object_add(result, "seq", json_object_new_uint64(server->next_event_seq));
	/* the reply first, then the backlog, so the client can tell them apart by order */
	conn_send(ctx->conn, rpc_reply_result(ctx->id, result));
	for (uint64_t seq = MAX(since + 1, first); seq <= server->next_event_seq; seq++) {
		size_t slot = seq % EVENT_BACKLOG;

		if (server->event_seqs[slot] == seq && server->event_lines[slot])
			conn_queue(ctx->conn, server->event_lines[slot], strlen(server->event_lines[slot]));
	}
	ctx->conn->subscribed = true;
	*ret_result = NULL;
	return HANDLER_SENT;
}

char *server_dispatch_line(struct server *server, const char *line, size_t len, bool may_write)
{
	struct connection conn = { .fd = -1, .may_read = true, .may_write = may_write };
	char *replies;

	conn.next = server->connections;
	server->connections = &conn; /* so events and deferred replies find it */
	handle_line(server, &conn, line, len);
	commit_staged(server);
	server->connections = conn.next;
	for (struct deferred_reply *d = server->deferred; d; d = d->next)
		if (d->conn == &conn)
			d->conn = NULL;
	free(conn.in);
	if (!conn.out)
		return strdup("");
	replies = strndup(conn.out, conn.out_len);
	free(conn.out);
	return replies;
}

uint64_t server_commit_count(const struct server *server)
{
	return server->commits;
}

/* ---- set-up and the loop ---- */

static int listen_on(const struct daemon_config *config, struct vg_error *err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;

	if (strlen(config->socket_path) >= sizeof(addr.sun_path))
		return vg_error_set(err, -ENAMETOOLONG, "socket path %s is too long", config->socket_path);
	strcpy(addr.sun_path, config->socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return vg_error_set(err, -errno, "socket: %m");
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		if (errno != EADDRINUSE)
			return vg_error_set(err, -errno, "cannot bind %s: %m", config->socket_path);
		/* a socket left by a dead daemon may go; a live one may not */
		_cleanup_close_ int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&addr, sizeof(addr)) == 0)
			return vg_error_set(err, -EADDRINUSE, "another vgtoold is already serving %s", config->socket_path);
		unlink(config->socket_path);
		if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
			return vg_error_set(err, -errno, "cannot bind %s: %m", config->socket_path);
	}
	if (chmod(config->socket_path, config->socket_mode) < 0)
		return vg_error_set(err, -errno, "cannot set the mode of %s: %m", config->socket_path);
	if (config->has_write_group && chown(config->socket_path, (uid_t)-1, config->write_group) < 0)
		return vg_error_set(err, -errno, "cannot give %s to the write group: %m", config->socket_path);
	if (listen(fd, 128) < 0)
		return vg_error_set(err, -errno, "listen: %m");
	return TAKE_FD(fd);
}

int server_new(const struct daemon_config *config, struct host *host, struct server **ret_server,
	       struct vg_error *err)
{
	_cleanup_(server_freep) struct server *server = calloc(1, sizeof(*server));
	sigset_t mask;
	int r;

	if (!server)
		return vg_error_set(err, -ENOMEM, "out of memory");
	server->config = config;
	server->host = host;
	server->epoll_fd = server->listen_fd = server->signal_fd = -1;
	server->jobs = jobs_new(host, config->copy_rate_bytes, publish_job_event, server);
	if (!server->jobs)
		return vg_error_set(err, -ENOMEM, "out of memory");
	server->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (server->epoll_fd < 0)
		return vg_error_set(err, -errno, "epoll: %m");
	r = listen_on(config, err);
	if (r < 0)
		return r;
	server->listen_fd = r;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	server->signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (server->signal_fd < 0)
		return vg_error_set(err, -errno, "signalfd: %m");
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &server->listen_fd };
	epoll_ctl(server->epoll_fd, EPOLL_CTL_ADD, server->listen_fd, &ev);
	ev.data.ptr = &server->signal_fd;
	epoll_ctl(server->epoll_fd, EPOLL_CTL_ADD, server->signal_fd, &ev);

	/* device events are a convenience: without them the daemon still serves, it just learns later */
	_cleanup_free_ const char **dirs = calloc(config->n_scan_dirs + 1, sizeof(*dirs));
	struct udev_monitor_config watch_config = { .block_source = UDEV_MONITOR_SOURCE_NONE, .filter = host->filter };
	struct vg_error watch_err = { 0 };
	for (size_t d = 0; dirs && d < config->n_scan_dirs; d++) {
		if (streq(config->scan_dirs[d], "/dev"))
			watch_config.block_source = UDEV_MONITOR_SOURCE_AUTO;
		else
			dirs[watch_config.n_scan_dirs++] = config->scan_dirs[d];
	}
	watch_config.scan_dirs = dirs;
	if (dirs && udev_monitor_watch_new(&watch_config, &server->watch, &watch_err) == 0) {
		ev.data.ptr = &server->watch;
		epoll_ctl(server->epoll_fd, EPOLL_CTL_ADD, udev_monitor_watch_fd(server->watch), &ev);
	} else {
		vg_log(LOG_WARNING, "not watching for device changes: %s", watch_err.message);
	}
	*ret_server = TAKE_PTR(server);
	return 0;
}

struct server *server_free(struct server *server)
{
	if (!server)
		return NULL;
	while (server->connections)
		close_connection(server, server->connections);
	while (server->deferred) {
		struct deferred_reply *d = server->deferred;

		server->deferred = d->next;
		json_object_put(d->id);
		json_object_put(d->result);
		free(d->vg_name);
		free(d->idempotency);
		free(d);
	}
	for (size_t i = 0; i < EVENT_BACKLOG; i++)
		free(server->event_lines[i]);
	for (size_t i = 0; i < IDEMPOTENCY_SLOTS; i++) {
		free(server->idempotent[i].key);
		free(server->idempotent[i].request);
		free(server->idempotent[i].result);
	}
	if (server->listen_fd >= 0) {
		close(server->listen_fd);
		unlink(server->config->socket_path);
	}
	if (server->signal_fd >= 0)
		close(server->signal_fd);
	udev_monitor_watch_free(server->watch);
	jobs_free(server->jobs);
	if (server->epoll_fd >= 0)
		close(server->epoll_fd);
	free(server);
	return NULL;
}

static void drop_stalled_and_closed(struct server *server)
{
	uint64_t now = now_ms();
	struct connection *conn = server->connections;

	while (conn) {
		struct connection *next = conn->next;

		uint64_t limit_ms = (uint64_t)server->config->client_timeout_seconds * 1000;

		if (conn->refused && now - conn->line_started_ms > limit_ms)
			conn->closing = true;
		if (conn->line_started_ms && now - conn->line_started_ms > limit_ms && !conn->closing) {
			struct rpc_error e;

			rpc_error_set(&e, RPC_INVALID_REQUEST, -ETIMEDOUT, NULL,
				      "a request line was started but not finished within %u s",
				      server->config->client_timeout_seconds);
			conn_send(conn, rpc_reply_error(NULL, &e));
			conn->closing = true;
		}
		if (conn->out_len)
			conn_flush(server, conn);
		if (conn->out_len == 0 && (conn->closing || (conn->peer_closed && !conn->waiting_for_commit)))
			close_connection(server, conn);
		conn = next;
	}
}

/* Whether a device the host uses (a PV, a leg, a mirror) is @devnum. */
static bool managed_devnum(const struct host *host, dev_t devnum)
{
	for (size_t i = 0; i < host->n_devices; i++)
		if (host->devices[i]->dev && host->devices[i]->dev->is_block_device &&
		    host->devices[i]->dev->rdev == devnum)
			return true;
	return false;
}

/*
 * Devices and image files came or went: tell subscribers, and rescan once
 * the round's commits are done.
 */
static void read_device_events(struct server *server)
{
	struct udev_monitor_event ev;
	struct vg_error err = { 0 };

	while (udev_monitor_watch_read(server->watch, &ev, &err) == 0) {
		struct json_object *fields;

		/*
		 * A change of a device-mapper device that is none of ours is a table
		 * reload (LVs following a commit, each chunk of a PV move): nothing to
		 * re-read, and a rescan's exclusive-open test of every device would
		 * make a mount fail meanwhile.
		 */
		if (ev.action == UDEV_MONITOR_CHANGE && strncmp(ev.sys_name, "dm-", 3) == 0 &&
		    !managed_devnum(server->host, ev.devnum))
			continue;
		/* a change (a writer closed an image file, a disk was resized) is re-read, not announced */
		if (ev.action == UDEV_MONITOR_CHANGE) {
			server->rescan_pending = true;
			continue;
		}
		fields = json_object_new_object();
		json_object_object_add(fields, "device", json_object_new_string(ev.path));
		server_publish_event(server, ev.action == UDEV_MONITOR_ADD	  ? "device.added"
					     : ev.action == UDEV_MONITOR_REMOVE ? "device.removed"
										: "device.rescan",
				     fields);
		server->rescan_pending = true;
	}
}

int server_run(struct server *server, struct vg_error *err)
{
	struct epoll_event events[64];
	int job_wait_ms;

	/* copies a previous run left half done go on */
	job_mirror_resume_all(server->jobs, server->host);
	job_pv_move_resume_all(server->jobs, server->host);
	job_md_follow_all(server->jobs, server->host);
	job_wait_ms = jobs_count_running(server->jobs) ? 0 : -1;
	while (!server->stopping) {
		/* a due backup is written once the loop has been idle a while, or every 2 s under load */
		bool backups_due = host_backups_due(server->host);
		int wait_ms = backups_due ? BACKUP_IDLE_MS : 1000;
		int n;
		uint64_t now;

		if (!backups_due)
			server->backups_due_ms = 0;
		else if (!server->backups_due_ms)
			server->backups_due_ms = now_ms();
		n = epoll_wait(server->epoll_fd, events, ARRAY_SIZE(events),
			       job_wait_ms >= 0 ? MIN(job_wait_ms, wait_ms) : wait_ms);
		now = now_ms();
		if (backups_due && (n == 0 || now - server->backups_due_ms >= BACKUP_MAX_DELAY_MS)) {
			host_flush_backups(server->host);
			server->backups_due_ms = 0;
		}

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return vg_error_set(err, -errno, "epoll_wait: %m");
		}
		for (int i = 0; i < n; i++) {
			void *ptr = events[i].data.ptr;

			if (ptr == &server->listen_fd) {
				accept_connection(server);
			} else if (ptr == &server->watch) {
				read_device_events(server);
			} else if (ptr == &server->signal_fd) {
				struct signalfd_siginfo si;

				while (read(server->signal_fd, &si, sizeof(si)) == sizeof(si))
					server->stopping = true;
			} else {
				struct connection *conn = ptr;

				if (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
					read_input(server, conn);
				if (events[i].events & EPOLLOUT)
					conn_flush(server, conn);
			}
		}
		/* one commit per VG for everything accepted in this round */
		commit_staged(server);
		if (server->rescan_pending) {
			struct vg_error rescan_err = { 0 };

			server->rescan_pending = false;
			if (host_rescan(server->host, &rescan_err) < 0)
				vg_log(LOG_ERR, "rescanning devices failed: %s", rescan_err.message);
		}
		handlers_watch_kernel(server, server->host);
		for (struct connection *c = server->connections; c; c = c->next)
			process_input(server, c);
		commit_staged(server);
		drop_stalled_and_closed(server);
		/* nothing is staged now: a job's step may read the host again */
		job_wait_ms = jobs_run(server->jobs);
	}
	/* SIGTERM: whatever was accepted is committed and answered before we go */
	commit_staged(server);
	host_flush_backups(server->host);
	/* a job stops where the next start resumes it */
	jobs_stop_all(server->jobs);
	for (struct connection *c = server->connections; c; c = c->next)
		conn_flush(server, c);
	return 0;
}
