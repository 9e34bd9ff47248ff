/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vgtool events subscribe: the daemon's event stream (devices appearing, legs
 * failing, commits, job progress). The reply to events.subscribe is followed
 * by notifications on the same connection until vgtool is stopped; cli-run.c
 * reads them and prints each as a line (cli_render_event), or as one JSON
 * object a line with --json, which is what a script tails.
 */
#include "cli.h"

static const struct cli_arg subscribe_opts[] = {
	{ .name = "since", .param = "since", .type = CLI_INT, .metavar = "SEQ",
	  .help = "first replay the events after this sequence number that vgtoold still holds" },
	{ .name = "count", .type = CLI_INT, .flags = CLI_ARG_LOCAL, .metavar = "N",
	  .help = "stop after N events (default: run until interrupted)" },
	{ 0 },
};

static void render_subscribed(const struct cli_format *fmt, struct json_object *params,
			      struct json_object *result, struct strbuf *out)
{
	/* the reply itself carries nothing worth a line; the events follow */
	(void)fmt;
	(void)params;
	(void)result;
	(void)out;
}

static const struct cli_verb events_verbs[] = {
	{ .noun = "events", .verb = "subscribe", .method = "events.subscribe",
	  .summary = "Print vgtoold's events as they happen", .opts = subscribe_opts, .flags = CLI_VERB_STREAM,
	  .render = render_subscribed, .example = "vgtool --json events subscribe --count 10" },
	{ 0 },
};

const struct cli_noun cli_noun_events = { .name = "events", .summary = "The daemon's event stream",
					  .verbs = events_verbs };
