/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One run of vgtool: parse the command line, send the request, print the
 * reply, then follow a job the reply started or read the event stream. This
 * is front-end code: it prints, and it chooses the exit code (cli.h):
 *   0 done, 1 refused (an error reply or a failed job), 2 usage (nothing was
 *   sent), 3 vgtoold unreachable (no socket, no permission to connect, no
 *   answer in time, or an answer that is not JSON-RPC), 130 interrupted.
 * It lives in the library, taking its streams as arguments, so the unit tests
 * can run whole command lines against a socket path where nothing listens.
 *
 * Jobs are followed by polling job.show every half second on the same
 * connection: every job carries its progress, so no event stream is needed
 * and a job that finished before we asked is seen the same way.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"
#include "rpc-client.h"

#define JOB_POLL_MS 500

volatile sig_atomic_t cli_interrupted;

struct run {
	FILE *out;
	FILE *errf;
	const struct cli_invocation *inv;
	struct cli_format fmt;
	const char *socket;
	struct rpc_client *client;
};

static void emit(FILE *f, struct strbuf *sb)
{
	if (strbuf_status(sb) < 0)
		fputs("vgtool: out of memory while formatting the output\n", stderr);
	else
		fwrite(sb->data, 1, sb->len, f);
	fflush(f);
	strbuf_reset(sb);
}

/* Exit 3, with what to do about it. */
static int unreachable(struct run *run, int code, const struct vg_error *err)
{
	const char *hint;

	switch (-code) {
	case EACCES:
	case EPERM:
		hint = "is it running, and may you use it? (root, or vgtoold's read_group or write_group)";
		break;
	case ETIMEDOUT:
		hint = "is it running? (systemctl status vgtoold; --timeout SECONDS waits longer)";
		break;
	case ENAMETOOLONG:
		hint = "give a shorter --socket path (a Unix socket address holds 107 bytes)";
		break;
	case EBADMSG:
	case EMSGSIZE:
		hint = "is that vgtoold's socket? (--socket PATH or $" VGTOOL_SOCKET_ENV ")";
		break;
	default:
		hint = "is it running? (systemctl start vgtoold)";
		break;
	}
	fprintf(run->errf, "vgtool: cannot reach vgtoold at %s: %s \xe2\x80\x94 %s\n", run->socket,
		err->message[0] ? err->message : strerror(-code), hint);
	return CLI_EXIT_UNREACHABLE;
}

/* A call whose failure to get an answer ends the run; returns 0 result, 1 error reply, or an exit code < 0. */
static int call(struct run *run, const char *method, struct json_object *params, rpc_notify_fn notify,
		void *userdata, struct json_object **ret_result, struct json_object **ret_error, int *ret_exit)
{
	struct vg_error err = { 0 };
	int r;

	r = rpc_client_call(run->client, method, params, run->inv->timeout_ms, notify, userdata, ret_result,
			    ret_error, &err);
	if (r == -EINTR && cli_interrupted) {
		*ret_exit = CLI_EXIT_INTERRUPTED; /* the caller says what that means for its request */
		return -1;
	}
	if (r < 0) {
		*ret_exit = unreachable(run, r, &err);
		return -1;
	}
	return r;
}

static int error_reply(struct run *run, struct json_object *error)
{
	_cleanup_(strbuf_done) struct strbuf sb;

	strbuf_init(&sb);
	if (run->inv->json) {
		_cleanup_(json_object_putp) struct json_object *wrapper = json_object_new_object();

		if (wrapper && json_object_object_add(wrapper, "error", json_object_get(error)) == 0) {
			cli_render_json(wrapper, &sb);
			emit(run->out, &sb);
		}
	}
	cli_render_error(error, &sb);
	emit(run->errf, &sb);
	return CLI_EXIT_REFUSED;
}

static unsigned terminal_width(FILE *f)
{
	struct winsize ws;

	if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		return ws.ws_col;
	return 80;
}

static unsigned percent_of(struct json_object *job)
{
	struct json_object *p = cli_get(job, "progress");
	double v = p ? json_object_get_double(p) : 0;

	return v >= 1 ? 100 : v > 0 ? (unsigned)(v * 100) : 0;
}

/* How a job that is not running ended, for people; returns the exit code it means. */
static int report_end(struct run *run, struct json_object *job, const char *id)
{
	const char *state = cli_strd(job, "state", "?"), *kind = cli_str(job, "kind");
	struct json_object *e = cli_get(job, "error");
	const char *why = NULL;
	char what[160];

	snprintf(what, sizeof(what), "job %s%s%s%s", id, kind ? " (" : "", kind ? kind : "", kind ? ")" : "");
	if (streq(state, "done")) {
		struct json_object *result = cli_get(job, "result");

		if (run->inv->json)
			return CLI_EXIT_OK;
		fprintf(run->out, "%s: done\n", what);
		/* what the job found (a scrub's counts) */
		if (result && json_object_is_type(result, json_type_object)) {
			json_object_object_foreach(result, key, value)
				fprintf(run->out, "  %s: %s\n", key, json_object_get_string(value));
		}
		return CLI_EXIT_OK;
	}
	/* the error may be a sentence or an object with a message */
	if (e && json_object_is_type(e, json_type_object))
		why = cli_str(e, "message");
	else if (e && json_object_is_type(e, json_type_string))
		why = json_object_get_string(e);
	fprintf(run->errf, "vgtool: %s %s%s%s\n", what, streq(state, "cancelled") ? "was cancelled" : "failed",
		why ? ": " : "", why ? why : "");
	return CLI_EXIT_REFUSED;
}

/*
 * Follow @job (borrowed) until it ends, asking job.show every JOB_POLL_MS.
 * Returns the exit code; *ret_final gets the last job object seen (owned),
 * which --json prints in place of the first.
 */
static int follow_job(struct run *run, struct json_object *job, struct json_object **ret_final)
{
	_cleanup_(json_object_putp) struct json_object *current = json_object_get(job);
	_cleanup_(json_object_putp) struct json_object *params = json_object_new_object();
	_cleanup_(strbuf_done) struct strbuf sb;
	bool tty = !run->inv->json && isatty(fileno(run->out));
	unsigned width = tty ? terminal_width(run->out) : 80, last = 101;
	bool bar_open = false; /* a bar is on the line: end it before anything else is printed */
	int exit_code = CLI_EXIT_OK;
	char id[64];

	strbuf_init(&sb);
	cli_scalar_text(cli_get(job, "id"), id, sizeof(id));
	if (!params || json_object_object_add(params, "id", json_object_get(cli_get(job, "id"))) < 0) {
		fputs("vgtool: out of memory\n", run->errf);
		return CLI_EXIT_REFUSED;
	}
	for (;;) {
		_cleanup_(json_object_putp) struct json_object *result = NULL, *error = NULL;
		int r;

		if (!run->inv->json && (tty || percent_of(current) != last)) {
			cli_render_progress(current, tty, width, &sb);
			emit(run->out, &sb);
			last = percent_of(current);
			bar_open = tty;
		}
		if (!cli_job_running(current))
			break;
		if (poll(NULL, 0, JOB_POLL_MS) < 0 && cli_interrupted) {
			exit_code = CLI_EXIT_INTERRUPTED;
			break;
		}
		r = call(run, "job.show", params, NULL, NULL, &result, &error, &exit_code);
		if (r < 0)
			break;
		if (r == 1) {
			if (bar_open)
				fputc('\n', run->out);
			bar_open = false;
			exit_code = error_reply(run, error);
			break;
		}
		if (cli_get(result, "job")) {
			json_object_put(current);
			current = json_object_get(cli_get(result, "job"));
		}
	}
	if (bar_open)
		fputc('\n', run->out);
	fflush(run->out);
	if (exit_code == CLI_EXIT_INTERRUPTED)
		fprintf(run->errf,
			"vgtool: interrupted; job %s goes on in vgtoold: vgtool job wait %s follows it again, "
			"vgtool job cancel %s stops it\n", id, id, id);
	else if (exit_code == CLI_EXIT_OK && !cli_job_running(current))
		exit_code = report_end(run, current, id);
	fflush(run->out);
	*ret_final = TAKE_PTR(current);
	return exit_code;
}

struct stream {
	struct run *run;
	int64_t count; /* 0: no limit */
	int64_t seen;
};

static void on_event(struct json_object *msg, void *userdata)
{
	struct stream *s = userdata;
	struct json_object *params = cli_get(msg, "params");
	_cleanup_(strbuf_done) struct strbuf sb;

	if (!streq(cli_str(msg, "method"), "event") || !params)
		return;
	if (s->count && s->seen >= s->count)
		return;
	s->seen++;
	strbuf_init(&sb);
	if (s->run->inv->json) {
		/* one object a line: what a script tails */
		strbuf_puts(&sb, json_object_to_json_string_ext(params, JSON_C_TO_STRING_PLAIN |
									JSON_C_TO_STRING_NOSLASHESCAPE));
		strbuf_putc(&sb, '\n');
	} else {
		cli_render_event(params, &sb);
	}
	emit(s->run->out, &sb);
}

static int stream_events(struct run *run, struct stream *s)
{
	while (!s->count || s->seen < s->count) {
		_cleanup_(json_object_putp) struct json_object *msg = NULL;
		struct vg_error err = { 0 };
		int r = rpc_client_read(run->client, -1, &msg, &err);

		if (r == -EINTR && cli_interrupted)
			return CLI_EXIT_OK; /* ^C is how a stream is meant to end */
		if (r == -ECONNRESET) {
			fprintf(run->errf, "vgtool: vgtoold at %s closed the event stream (did it stop?)\n",
				run->socket);
			return CLI_EXIT_UNREACHABLE;
		}
		if (r < 0)
			return unreachable(run, r, &err);
		on_event(msg, s);
	}
	return CLI_EXIT_OK;
}

static int run_call(struct run *run)
{
	const struct cli_invocation *inv = run->inv;
	const struct cli_verb *verb = inv->verb;
	_cleanup_(json_object_putp) struct json_object *result = NULL, *error = NULL;
	_cleanup_(strbuf_done) struct strbuf sb;
	struct stream stream = { .run = run };
	struct vg_error err = { 0 };
	bool dry_run = cli_get(inv->params, "dry_run") != NULL, follow;
	struct json_object *job;
	int r, exit_code = CLI_EXIT_OK;

	strbuf_init(&sb);
	if (cli_get(inv->local, "count"))
		stream.count = json_object_get_int64(cli_get(inv->local, "count"));

	r = rpc_client_connect(run->socket, &run->client, &err);
	if (r < 0)
		return unreachable(run, r, &err);
	rpc_client_set_interrupt(run->client, &cli_interrupted);

	r = call(run, verb->method, inv->params, (verb->flags & CLI_VERB_STREAM) ? on_event : NULL, &stream,
		 &result, &error, &exit_code);
	if (r < 0) {
		if (exit_code == CLI_EXIT_INTERRUPTED)
			fprintf(run->errf, "\nvgtool: interrupted; vgtoold may still carry out the request: "
					   "look before repeating it\n");
		return exit_code;
	}
	if (r == 1)
		return error_reply(run, error);
	if (verb->flags & CLI_VERB_STREAM)
		return stream_events(run, &stream);

	job = cli_get(result, "job");
	follow = job && json_object_is_type(job, json_type_object) && !dry_run &&
		 ((verb->flags & CLI_VERB_FOLLOW) || (!inv->no_wait && cli_job_running(job)));

	if (!inv->json) {
		cli_render_result(verb, &run->fmt, inv->params, result, dry_run, follow, &sb);
		if (job && !follow && !dry_run && cli_job_running(job)) {
			char id[64];

			cli_scalar_text(cli_get(job, "id"), id, sizeof(id));
			strbuf_printf(&sb, "(follow it with: vgtool job wait %s)\n", id);
		}
		emit(run->out, &sb);
	}
	if (follow) {
		struct json_object *final = NULL;

		exit_code = follow_job(run, job, &final);
		/* --json shows how the job ended; the reply's first view of it is dropped here */
		if (json_object_object_add(result, "job", final) < 0)
			json_object_put(final);
	}
	if (inv->json && exit_code != CLI_EXIT_INTERRUPTED) {
		if (result)
			cli_render_json(result, &sb);
		else
			strbuf_puts(&sb, "{}\n");
		emit(run->out, &sb);
	}
	return exit_code;
}

static void run_done(struct run *run)
{
	run->client = rpc_client_free(run->client);
}

int cli_run(int argc, char **argv, const char *env_socket, FILE *out, FILE *errf)
{
	_cleanup_(cli_invocation_done) struct cli_invocation inv = { 0 };
	_cleanup_(run_done) struct run run = { .out = out, .errf = errf, .inv = &inv };
	_cleanup_(strbuf_done) struct strbuf sb;
	struct vg_error err = { 0 };
	int r;

	strbuf_init(&sb);
	r = cli_parse(argc, argv, &inv, &err);
	if (r < 0) {
		fprintf(errf, "vgtool: %s\n", err.message);
		return r == -ENOMEM ? CLI_EXIT_REFUSED : CLI_EXIT_USAGE;
	}
	run.fmt.units = inv.units;
	run.socket = cli_socket_path(&inv, env_socket);

	switch (inv.action) {
	case CLI_ACTION_HELP:
		cli_help(inv.noun, inv.verb, &sb);
		emit(out, &sb);
		return CLI_EXIT_OK;
	case CLI_ACTION_VERSION:
		fprintf(out, "vgtool %s\n", PACKAGE_VERSION);
		return CLI_EXIT_OK;
	case CLI_ACTION_COMPLETE:
		cli_complete(inv.complete_argc, inv.complete_argv, &sb);
		emit(out, &sb);
		return CLI_EXIT_OK;
	case CLI_ACTION_CALL:
	default:
		return run_call(&run);
	}
}
