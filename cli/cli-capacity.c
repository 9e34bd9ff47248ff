/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vgtool capacity ...: what each VG should gain or keep free, and the
 * cheapest sequence of moves, evacuations and mirror dissolutions that gets
 * there (capacity.plan); capacity apply runs it as one job, which vgtool
 * follows. The plan is printed as numbered steps, then each VG's free space
 * and redundancy before and after.
 */
#include <stdio.h>

#include "cli.h"
#include "table.h"

static const struct cli_arg want_opts[] = {
	{ .name = "want", .param = "wants", .type = CLI_STRING, .kind = CLI_KIND_NONE,
	  .flags = CLI_ARG_LIST | CLI_ARG_REQUIRED, .metavar = "WANT",
	  .help = "VG=+SIZE: the VG gains SIZE of free space; VG>=SIZE: it ends with at least SIZE free" },
	{ .name = "redundancy", .param = "requires_redundancy", .type = CLI_NAMED_BOOL, .kind = CLI_KIND_NONE,
	  .flags = CLI_ARG_LIST, .metavar = "VG=yes|no",
	  .help = "whether the VG must keep every PV a mirror (default: yes when all its PVs are mirrors now)" },
	{ 0 },
};

static void render_step(const struct cli_format *fmt, size_t i, struct json_object *step, struct strbuf *out)
{
	const char *kind = cli_strd(step, "kind", "?"), *device = cli_strd(step, "device", "?");
	const char *from = cli_str(step, "from_vg"), *to = cli_strd(step, "to_vg", "?");
	char copied[64];

	cli_size_at(fmt, step, "bytes_copied", copied, sizeof(copied));
	if (streq(kind, "move_pv"))
		strbuf_printf(out, "  %zu. move %s from %s to %s (copies %s)\n", i + 1, device, from ? from : "no VG", to,
			      copied);
	else if (streq(kind, "evacuate_and_move_pv"))
		strbuf_printf(out, "  %zu. evacuate %s within %s, then move it to %s (copies %s)\n", i + 1, device,
			      from ? from : "no VG", to, copied);
	else if (streq(kind, "dissolve_mirror"))
		strbuf_printf(out, "  %zu. dissolve mirror %s: leg 0 to %s, leg 1 to %s (copies %s)\n", i + 1, device,
			      cli_strd(step, "leg0_vg", "no VG"), to, copied);
	else
		strbuf_printf(out, "  %zu. %s %s (copies %s)\n", i + 1, kind, device, copied);
}

static void render_groups(const struct cli_format *fmt, struct json_object *groups, struct strbuf *out)
{
	static const char *const headers[] = { "VG", "FREE BEFORE", "FREE AFTER", "REDUNDANT", "REQUIRED" };
	_cleanup_(table_freep) struct table *t = table_new(headers, ARRAY_SIZE(headers));
	size_t n = cli_array_length(groups);

	table_align_right(t, 1);
	table_align_right(t, 2);
	for (size_t i = 0; i < n; i++) {
		struct json_object *g = json_object_array_get_idx(groups, i);
		struct json_object *before = cli_get(g, "redundant_before"), *after = cli_get(g, "redundant_after");
		char free_before[64], free_after[64], redundant[32];

		snprintf(redundant, sizeof(redundant), "%s -> %s", json_object_get_boolean(before) ? "yes" : "no",
			 json_object_get_boolean(after) ? "yes" : "no");
		table_cell(t, cli_strd(g, "vg", "?"));
		table_cell(t, cli_size_at(fmt, g, "free_before", free_before, sizeof(free_before)));
		table_cell(t, cli_size_at(fmt, g, "free_after", free_after, sizeof(free_after)));
		table_cell(t, redundant);
		table_cell(t, json_object_get_boolean(cli_get(g, "requires_redundancy")) ? "yes" : "no");
	}
	if (table_render(t, out) < 0)
		out->failed = true;
}

static void render_plan(const struct cli_format *fmt, struct json_object *params, struct json_object *result,
			struct strbuf *out)
{
	struct json_object *plan = cli_get(result, "plan"), *steps = cli_array(plan, "steps");
	struct json_object *job = cli_get(result, "job");
	size_t n = cli_array_length(steps);
	char copied[64];

	if (!plan) {
		cli_render_keys(fmt, params, result, false, out);
		return;
	}
	if (!json_object_get_boolean(cli_get(plan, "possible"))) {
		strbuf_printf(out, "No plan: %s\n", cli_strd(plan, "reason", "?"));
		return;
	}
	if (n == 0)
		strbuf_puts(out, "Nothing to do: every VG has what is wanted already.\n");
	else
		strbuf_printf(out, "Plan (%zu step%s, copies %s):\n", n, n > 1 ? "s" : "",
			      cli_size_at(fmt, plan, "bytes_copied", copied, sizeof(copied)));
	for (size_t i = 0; i < n; i++)
		render_step(fmt, i, json_object_array_get_idx(steps, i), out);
	strbuf_putc(out, '\n');
	render_groups(fmt, cli_array(plan, "groups"), out);
	if (job)
		strbuf_printf(out, "\nApplying it as job %s.\n", cli_text_at(job, "id", copied, sizeof(copied)));
}

static const struct cli_verb capacity_verbs[] = {
	{ .noun = "capacity", .verb = "plan", .method = "capacity.plan",
	  .summary = "Propose the cheapest steps giving VGs the free space wanted", .opts = want_opts,
	  .render = render_plan, .example = "vgtool capacity plan --want vg_bulk=+200G" },
	{ .noun = "capacity", .verb = "apply", .method = "capacity.apply",
	  .summary = "Carry out such a plan as one job, stopping at the first error", .opts = want_opts,
	  .flags = CLI_VERB_CHANGES | CLI_VERB_JOB, .render = render_plan,
	  .example = "vgtool capacity apply --want vg_bulk=+200G" },
	{ 0 },
};

const struct cli_noun cli_noun_capacity = { .name = "capacity",
					    .summary = "Capacity between VGs: plans of moves, evacuations, dissolutions",
					    .verbs = capacity_verbs };
