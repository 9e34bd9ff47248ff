/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vgtool job ...: the long operations vgtoold runs in the background (a
 * mirror leg's copy). job wait is vgtool's own verb: it asks job.show and then
 * follows the job as a changing verb would have, which is how a script that
 * used --no-wait catches up later. Also the job table and block.
 */
#include <math.h>
#include <stdio.h>

#include "cli.h"
#include "table.h"

static const struct cli_arg id_only[] = {
	{ .name = "ID", .param = "id", .type = CLI_INT, .kind = CLI_KIND_JOB, .help = "the job's number" },
	{ 0 },
};

static const struct cli_verb job_verbs[] = {
	{ .noun = "job", .verb = "list", .method = "job.list", .summary = "List jobs, running and finished",
	  .example = "vgtool job list" },
	{ .noun = "job", .verb = "show", .method = "job.show", .summary = "Show one job", .args = id_only,
	  .example = "vgtool job show 3" },
	{ .noun = "job", .verb = "wait", .method = "job.show",
	  .summary = "Follow a job until it ends (exit 1 if it fails)", .args = id_only,
	  .flags = CLI_VERB_FOLLOW, .example = "vgtool job wait 3" },
	{ .noun = "job", .verb = "cancel", .method = "job.cancel",
	  .summary = "Stop a running job where it can resume",
	  .args = id_only, .example = "vgtool job cancel 3" },
	{ 0 },
};

const struct cli_noun cli_noun_job = { .name = "job", .summary = "Background jobs: mirror copies, PV moves, capacity plans",
				       .verbs = job_verbs };

static const char *progress_text(struct json_object *job, char *buf, size_t len)
{
	struct json_object *p = cli_get(job, "progress");

	if (!p || !(json_object_is_type(p, json_type_double) || json_object_is_type(p, json_type_int))) {
		snprintf(buf, len, "-");
		return buf;
	}
	snprintf(buf, len, "%u%%", (unsigned)floor(fmin(fmax(json_object_get_double(p), 0), 1) * 100));
	return buf;
}

static const char *error_text(struct json_object *job, char *buf, size_t len)
{
	struct json_object *error = cli_get(job, "error");

	/* an error may be a sentence or a JSON-RPC-like object with a message */
	if (error && json_object_is_type(error, json_type_object) && cli_str(error, "message"))
		snprintf(buf, len, "%s", cli_str(error, "message"));
	else
		cli_scalar_text(error, buf, len);
	return buf;
}

void cli_job_table(struct json_object *jobs, struct strbuf *out)
{
	static const char *const headers[] = { "ID", "KIND", "TARGET", "STATE", "PROGRESS", "STARTED" };
	_cleanup_(table_freep) struct table *t = NULL;
	size_t n = cli_array_length(jobs);

	if (n == 0) {
		strbuf_puts(out, "No jobs.\n");
		return;
	}
	t = table_new(headers, ARRAY_SIZE(headers));
	table_align_right(t, 0);
	table_align_right(t, 4);
	for (size_t i = 0; i < n; i++) {
		struct json_object *job = json_object_array_get_idx(jobs, i);
		char buf[256];

		table_cell(t, cli_scalar_text(cli_get(job, "id"), buf, sizeof(buf)));
		table_cell(t, cli_str(job, "kind"));
		table_cell(t, cli_strd(job, "target", "-"));
		table_cell(t, cli_str(job, "state"));
		table_cell(t, progress_text(job, buf, sizeof(buf)));
		table_cell(t, cli_time_text(cli_get(job, "started"), buf, sizeof(buf)));
	}
	if (table_render(t, out) < 0)
		out->failed = true;
}

void cli_job_block(struct json_object *job, struct strbuf *out)
{
	char buf[1024];

	strbuf_printf(out, "job %s\n", cli_scalar_text(cli_get(job, "id"), buf, sizeof(buf)));
	cli_block_line(out, "kind", "%s", cli_strd(job, "kind", "-"));
	if (cli_get(job, "target"))
		cli_block_line(out, "target", "%s", cli_strd(job, "target", "-"));
	cli_block_line(out, "state", "%s", cli_strd(job, "state", "-"));
	cli_block_line(out, "progress", "%s", progress_text(job, buf, sizeof(buf)));
	cli_block_line(out, "started", "%s", cli_time_text(cli_get(job, "started"), buf, sizeof(buf)));
	if (cli_get(job, "finished"))
		cli_block_line(out, "finished", "%s", cli_time_text(cli_get(job, "finished"), buf, sizeof(buf)));
	if (cli_get(job, "error"))
		cli_block_line(out, "error", "%s", error_text(job, buf, sizeof(buf)));
}
