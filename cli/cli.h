/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vgtool's command table and the front end around it. Every verb is one
 * entry in a table (noun, verb, JSON-RPC method, positional arguments,
 * options with the parameter each fills and its type); argument parsing,
 * --help, the man page's synopsis and bash completion are all derived from
 * that table, so they cannot drift apart. The tables live in one file per
 * noun (cli-lv.c, cli-vg.c, ...) next to the code that prints that noun's
 * objects for people.
 *
 * Layout of the library (cli/libvgcli.a), so tests link everything but main():
 *   cli-args.c     argv -> struct cli_invocation (request params), help, completion
 *   cli-output.c   reply -> text for people (dispatch on result keys), errors, progress
 *   cli-run.c      one run: connect, call, print, follow jobs, stream events
 *   rpc-client.c   the socket: one request line out, reply lines in
 *   table.c        aligned columns
 */
#pragma once

#include <json-c/json.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "macro.h"
#include "rpc-client.h" /* json_object_putp */
#include "strbuf.h"

#define VGTOOL_DEFAULT_SOCKET "/run/vgtool/vgtoold.sock"
#define VGTOOL_SOCKET_ENV "VGTOOL_SOCKET"
#define CLI_DEFAULT_TIMEOUT_S 120

/* Exit codes: scripts rely on them (docs/vgtool.8). */
enum cli_exit {
	CLI_EXIT_OK = 0,
	CLI_EXIT_REFUSED = 1,     /* vgtoold answered with an error, or a job failed */
	CLI_EXIT_USAGE = 2,       /* the command line was wrong; nothing was sent */
	CLI_EXIT_UNREACHABLE = 3, /* no answer from vgtoold (not running, no access, timeout, bad reply) */
	CLI_EXIT_INTERRUPTED = 130,
};

/* How a word on the command line becomes a request parameter. */
enum cli_type {
	CLI_STRING,      /* a JSON string as typed */
	CLI_INT,         /* a non-negative integer -> JSON integer */
	CLI_FLAG,        /* an option without value -> true */
	CLI_FLAG_FALSE,  /* an option without value -> false (--no-bitmap) */
	CLI_SIZE,        /* an absolute size ("4M"), sent as an integer of bytes */
	CLI_SIZE_NEW,    /* an absolute size or a percentage ("100%FREE"), sent as typed, as are: */
	CLI_SIZE_GROW,   /* as CLI_SIZE_NEW, or growth ("+10G") */
	CLI_SIZE_SHRINK, /* as CLI_SIZE_NEW, or shrinkage ("-5G") */
	CLI_SIZE_ANY,    /* any size spec */
	CLI_CHOICE,      /* one of arg->choices */
	CLI_LVREF,       /* positional only: "VG/LV", "/dev/VG/LV" or the two words "VG LV" -> vg, name */
	CLI_NAMED_BOOL,  /* option only: "NAME=yes|no"; repeated, the values make one object {NAME: bool} */
};

/* What a word names: for completion and for the wording of messages. */
enum cli_kind {
	CLI_KIND_NONE,
	CLI_KIND_VG,
	CLI_KIND_LV,
	CLI_KIND_PV,     /* a device, an image file or a mirror name */
	CLI_KIND_DEVICE, /* a block device or an image file */
	CLI_KIND_MIRROR,
	CLI_KIND_FILE,
	CLI_KIND_JOB,
};

#define CLI_ARG_OPTIONAL (1u << 0) /* positional: may be left out */
#define CLI_ARG_LIST (1u << 1)     /* positional: takes the rest; option: repeatable. Either way an array */
#define CLI_ARG_REQUIRED (1u << 2) /* option: must be given */
#define CLI_ARG_ONE_OF (1u << 3)   /* option: exactly one of the verb's ONE_OF options must be given */
#define CLI_ARG_LOCAL (1u << 4)    /* option: for vgtool itself, never sent */

/* A positional argument (name is its metavar, "VG") or an option (name without dashes, "size"). */
struct cli_arg {
	const char *name;
	const char *param; /* the request parameter it fills; for CLI_LVREF "vg" and "name" */
	enum cli_type type;
	enum cli_kind kind;
	unsigned flags;
	unsigned min;        /* CLI_ARG_LIST positional: at least this many words (0 means 1) */
	const char *metavar; /* an option's value ("SIZE"); NULL for flags */
	const char *help;
	const char *const *choices; /* CLI_CHOICE: NULL-terminated */
	const char *def;            /* optional positional: the value sent when left out */
};

struct cli_format;

/* Prints a result for people. @params is what was sent (for subjects like "VG vg_old"). */
typedef void (*cli_render_fn)(const struct cli_format *fmt, struct json_object *params,
			      struct json_object *result, struct strbuf *out);

#define CLI_VERB_CHANGES (1u << 0) /* takes --dry-run */
#define CLI_VERB_CREATES (1u << 1) /* takes --idempotency-key */
#define CLI_VERB_JOB (1u << 2)     /* may start a job, which vgtool follows unless --no-wait */
#define CLI_VERB_STREAM (1u << 3)  /* reads notifications after the reply (events subscribe) */
#define CLI_VERB_FOLLOW (1u << 4)  /* the reply's job is followed even though it is not new (job wait) */

struct cli_verb {
	const char *noun;
	const char *verb; /* NULL ends a noun's table */
	const char *method;
	const char *summary;
	const struct cli_arg *args; /* positionals, ended by .name == NULL; may be NULL */
	const struct cli_arg *opts; /* options, ended by .name == NULL; may be NULL */
	unsigned flags;
	const char *done;    /* for an empty reply: "removed" -> "VG vg_old removed" */
	const char *example; /* one command line, shown by --help and the man page */
	cli_render_fn render; /* NULL: cli_render_result's dispatch on the result's keys */
};

struct cli_noun {
	const char *name;
	const char *summary;
	const struct cli_verb *verbs;
};

extern const struct cli_noun cli_noun_host, cli_noun_disk, cli_noun_mirror, cli_noun_pv, cli_noun_vg,
	cli_noun_lv, cli_noun_job, cli_noun_events, cli_noun_metadata, cli_noun_capacity;
/* Every noun, in the order --help shows them; NULL-terminated. */
extern const struct cli_noun *const cli_nouns[];

const struct cli_noun *cli_find_noun(const char *name);
const struct cli_verb *cli_find_verb(const struct cli_noun *noun, const char *name);

/* ---- command line (cli-args.c) ---- */

enum cli_action {
	CLI_ACTION_CALL,
	CLI_ACTION_HELP,     /* noun/verb say which help; both NULL: the overview */
	CLI_ACTION_VERSION,
	CLI_ACTION_COMPLETE, /* hidden "__complete WORDS...": see cli_complete */
};

struct cli_invocation {
	enum cli_action action;
	const struct cli_noun *noun;
	const struct cli_verb *verb;
	struct json_object *params; /* owned: the request's params object */
	struct json_object *local;  /* owned: CLI_ARG_LOCAL options by name ("count") */
	const char *socket;         /* --socket, borrowed from argv; NULL when not given */
	bool json;
	bool no_wait;
	char units;     /* 'h' (human) or one of "bskmgtpe" */
	int timeout_ms; /* -1: wait forever */
	int complete_argc; /* CLI_ACTION_COMPLETE: the words, borrowed from argv */
	char **complete_argv;
};

void cli_invocation_done(struct cli_invocation *inv);

/*
 * Parse vgtool's command line (argv[0] is the program). Returns 0 and fills
 * *ret (release with cli_invocation_done), or -EINVAL with err->message
 * naming what was wrong ("lv create: --size needs a value (SIZE)"), or
 * -ENOMEM. Global options are accepted anywhere before "--"; an option's value
 * is always the next word, so "--size -5G" works.
 */
int cli_parse(int argc, char **argv, struct cli_invocation *ret, struct vg_error *err);

/* The socket to use: --socket, else $VGTOOL_SOCKET (@env, may be NULL or empty), else the default. */
const char *cli_socket_path(const struct cli_invocation *inv, const char *env);

/*
 * The request line for @method and @params (borrowed; NULL sends {}), as
 * docs/api.md writes it: {"jsonrpc":"2.0","id":N,"method":M,"params":{...}},
 * no newline. Returns a malloc'ed string or NULL on allocation failure.
 */
char *cli_request_line(const char *method, struct json_object *params, uint64_t id);

/* Help text: the overview (noun == NULL), a noun's verbs, or one verb. */
void cli_help(const struct cli_noun *noun, const struct cli_verb *verb, struct strbuf *out);
/* The synopsis of a verb, "vgtool lv create VG/LV (--size SIZE | --extents N) [OPTIONS]". */
void cli_synopsis(const struct cli_verb *verb, struct strbuf *out);

/*
 * Completion for the words after "vgtool" (the last one is being typed,
 * possibly empty). Writes one candidate a line, or a single directive line
 * the bash script resolves: "@vg", "@vg/" (VG names to go on from, for a new
 * LV), "@lv", "@lvin VG", "@mirror", "@pv", "@device", "@file", "@job", "@none".
 */
void cli_complete(int argc, char **argv, struct strbuf *out);

/* ---- output for people (cli-output.c and the noun files) ---- */

struct cli_format {
	char units;    /* 'h' or one of "bskmgtpe" */
};

/* @bytes in the chosen units: "20 GiB", "41943040s". */
const char *cli_size(const struct cli_format *fmt, uint64_t bytes, char *buf, size_t len);
/* The integer at @key of @obj formatted as a size, or "-" when absent. */
const char *cli_size_at(const struct cli_format *fmt, struct json_object *obj, const char *key, char *buf,
			size_t len);

/* JSON accessors that treat a missing or mistyped member as absent (replies are not trusted blindly). */
struct json_object *cli_get(struct json_object *obj, const char *key);
const char *cli_str(struct json_object *obj, const char *key);  /* NULL when not a string */
const char *cli_strd(struct json_object *obj, const char *key, const char *dflt);
bool cli_u64(struct json_object *obj, const char *key, uint64_t *ret);
struct json_object *cli_array(struct json_object *obj, const char *key); /* NULL when not an array */
size_t cli_array_length(struct json_object *array);                      /* 0 when not an array */
/* The member at @key as text (cli_scalar_text), or NULL when absent: a table shows NULL as "-". */
const char *cli_text_at(struct json_object *obj, const char *key, char *buf, size_t len);
/* Element @i of @array as text (cli_scalar_text). */
const char *cli_text_at_index(struct json_object *array, size_t i, char *buf, size_t len);
/* A scalar as text ("true", "12", "abc"); nested values as compact JSON. */
const char *cli_scalar_text(struct json_object *value, char *buf, size_t len);

/*
 * Print @result (the reply's "result") for people. Uses verb->render when
 * set; otherwise the keys decide: lv/lvs -> LV table, vg -> VG block with PV
 * and LV tables, vgs -> VG table, mirror(s), pv(s), disks, job(s), devices,
 * path, versions, plan; an empty result prints "<subject> <verb->done>".
 * @skip_job leaves out a "job" member that the caller follows itself.
 */
void cli_render_result(const struct cli_verb *verb, const struct cli_format *fmt, struct json_object *params,
		       struct json_object *result, bool dry_run, bool skip_job, struct strbuf *out);
/* The generic dispatch alone (what verbs without their own renderer get). */
void cli_render_keys(const struct cli_format *fmt, struct json_object *params, struct json_object *result,
		     bool skip_job, struct strbuf *out);

/*
 * A JSON-RPC error object as "vgtool: <message> (parameter <field>)\n", with
 * a hint for permission and unknown-method errors.
 */
void cli_render_error(struct json_object *error, struct strbuf *out);

/* The reply or value as --json prints it: pretty, two spaces, '/' unescaped, a final newline. */
void cli_render_json(struct json_object *value, struct strbuf *out);

/*
 * One progress report of @job: on a terminal a bar "\rjob 3 resync [####    ]  45%"
 * (no newline, @width columns), otherwise a line "job 3: 45%\n".
 */
void cli_render_progress(struct json_object *job, bool tty, unsigned width, struct strbuf *out);
/* One event notification's params as a line: "SEQ TIME TYPE key=value ...". */
void cli_render_event(struct json_object *event, struct strbuf *out);

/* The noun files' renderers, used by the dispatch and by verbs directly. */
void cli_lv_table(const struct cli_format *fmt, struct json_object *lvs, struct strbuf *out);
void cli_lv_block(const struct cli_format *fmt, struct json_object *lv, struct strbuf *out);
void cli_vg_table(const struct cli_format *fmt, struct json_object *vgs, struct strbuf *out);
void cli_vg_block(const struct cli_format *fmt, struct json_object *vg, struct strbuf *out);
void cli_pv_table(const struct cli_format *fmt, struct json_object *pvs, struct strbuf *out);
void cli_mirror_table(const struct cli_format *fmt, struct json_object *mirrors, struct strbuf *out);
void cli_mirror_block(const struct cli_format *fmt, struct json_object *mirror, struct strbuf *out);
void cli_disk_table(const struct cli_format *fmt, struct json_object *disks, struct strbuf *out);
void cli_job_table(struct json_object *jobs, struct strbuf *out);
void cli_job_block(struct json_object *job, struct strbuf *out);
/* A result carrying a PV move ("move": pv move, pv evacuate, vg move-pv --evacuate); others as cli_render_keys. */
void cli_render_move(const struct cli_format *fmt, struct json_object *params, struct json_object *result,
		     struct strbuf *out);
/* A table of an array of objects whose columns are not known in advance (metadata history). */
void cli_generic_table(const struct cli_format *fmt, struct json_object *rows, struct strbuf *out);

/* "  label:       value\n": the key/value lines of a block (vg show, mirror show, ...). */
void cli_block_line(struct strbuf *out, const char *label, const char *fmt, ...) _printf_(3, 4);
/* A time from a reply: seconds since the epoch as "2026-01-31 12:00:00 UTC"; strings as they are. */
const char *cli_time_text(struct json_object *value, char *buf, size_t len);

/* A job that is still going (not done, failed or cancelled). */
bool cli_job_running(struct json_object *job);

/* ---- one run (cli-run.c) ---- */

/* Set by vgtool's SIGINT handler; loops that wait check it. */
extern volatile sig_atomic_t cli_interrupted;

/*
 * Run vgtool: parse, talk to vgtoold, print to @out (results) and @errf
 * (messages, progress is on @out). Returns the exit code (enum cli_exit).
 * @env_socket is $VGTOOL_SOCKET (may be NULL).
 */
int cli_run(int argc, char **argv, const char *env_socket, FILE *out, FILE *errf);
