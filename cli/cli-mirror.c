/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vgtool mirror ...: RAID-1 mirrors (md, metadata 1.0). The verb table maps
 * each verb to mirror.* (add-leg -> mirror.add_leg, ...); adding or replacing
 * a leg starts a job copying it, which vgtool follows. Also the
 * mirror table and block. A mirror is named by its NAME wherever a PV is
 * expected (vgtool vg create vg_raid md0 md1).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "table.h"

#define NAME_ARG                                                                                         \
	{                                                                                                \
		.name = "NAME", .param = "name", .type = CLI_STRING, .kind = CLI_KIND_MIRROR,            \
		.help = "the mirror (md0)",                                                              \
	}

static const struct cli_arg create_args[] = {
	{ .name = "NAME", .param = "name", .type = CLI_STRING, .help = "the new mirror's name (md0)" },
	{ .name = "LEG", .param = "legs", .type = CLI_STRING, .kind = CLI_KIND_DEVICE, .flags = CLI_ARG_LIST,
	  .min = 2, .help = "a device or image file; the data starts at its sector 0 (md 1.0)" },
	{ 0 },
};

static const struct cli_arg create_opts[] = {
	{ .name = "spare", .param = "spares", .type = CLI_STRING, .kind = CLI_KIND_DEVICE, .flags = CLI_ARG_LIST,
	  .metavar = "DEVICE", .help = "a hot spare, taken when a leg fails" },
	{ .name = "bitmap", .param = "bitmap", .type = CLI_FLAG,
	  .help = "keep a write-intent bitmap, so a leg that was away resyncs only what changed" },
	{ .name = "no-bitmap", .param = "bitmap", .type = CLI_FLAG_FALSE, .help = "no write-intent bitmap" },
	{ .name = "assume-clean", .param = "assume_clean", .type = CLI_FLAG,
	  .help = "skip the initial resync (only when the legs are known to hold the same bytes)" },
	{ 0 },
};

static const struct cli_arg name_only[] = { NAME_ARG, { 0 } };

static const struct cli_arg leg_args[] = {
	NAME_ARG,
	{ .name = "DEVICE", .param = "device", .type = CLI_STRING, .kind = CLI_KIND_DEVICE,
	  .help = "the leg's device or image file" },
	{ 0 },
};

static const struct cli_arg add_leg_opts[] = {
	{ .name = "spare", .param = "spare", .type = CLI_FLAG, .help = "add it as a hot spare, not as a leg" },
	{ 0 },
};

static const struct cli_arg replace_args[] = {
	NAME_ARG,
	{ .name = "OLD", .param = "old", .type = CLI_STRING, .kind = CLI_KIND_DEVICE,
	  .help = "the leg to replace" },
	{ .name = "NEW", .param = "new", .type = CLI_STRING, .kind = CLI_KIND_DEVICE,
	  .help = "the device that takes its place (it is synced first)" },
	{ 0 },
};

static const struct cli_arg dissolve_opts[] = {
	{ .name = "wipe-other-legs", .param = "wipe_other_legs", .type = CLI_FLAG,
	  .help = "also wipe the md superblocks so every leg is a plain device" },
	{ 0 },
};

static const char *const scrub_actions[] = { "check", "repair", NULL };

static const struct cli_arg scrub_args[] = {
	NAME_ARG,
	{ .name = "ACTION", .param = "action", .type = CLI_CHOICE, .flags = CLI_ARG_OPTIONAL,
	  .choices = scrub_actions, .def = "check",
	  .help = "check counts mismatches; repair also rewrites them from the first leg" },
	{ 0 },
};

static void render_dissolve(const struct cli_format *fmt, struct json_object *params, struct json_object *result,
			    struct strbuf *out)
{
	struct json_object *devices = cli_array(result, "devices");
	size_t n = devices ? json_object_array_length(devices) : 0;
	char buf[512];

	if (n == 0) {
		cli_render_keys(fmt, params, result, false, out);
		return;
	}
	strbuf_printf(out, "mirror %s dissolved; plain devices now:\n", cli_strd(params, "name", "?"));
	for (size_t i = 0; i < n; i++)
		strbuf_printf(out, "  %s\n", cli_text_at_index(devices, i, buf, sizeof(buf)));
	/* the next step of DESIGN's example: the legs join a VG as plain PVs */
	strbuf_puts(out, "Add them to a VG with: vgtool vg extend VG");
	for (size_t i = 0; i < n; i++)
		strbuf_printf(out, " %s", cli_text_at_index(devices, i, buf, sizeof(buf)));
	strbuf_putc(out, '\n');
}

static const struct cli_verb mirror_verbs[] = {
	{ .noun = "mirror", .verb = "create", .method = "mirror.create",
	  .summary = "Make a RAID-1 mirror of two or more devices", .args = create_args, .opts = create_opts,
	  .flags = CLI_VERB_CHANGES | CLI_VERB_CREATES,
	  .example = "vgtool mirror create md0 /dev/sda5 /dev/sdc5" },
	{ .noun = "mirror", .verb = "list", .method = "mirror.list", .summary = "List mirrors",
	  .example = "vgtool mirror list" },
	{ .noun = "mirror", .verb = "show", .method = "mirror.show", .summary = "Show a mirror and its legs",
	  .args = name_only, .example = "vgtool mirror show md0" },
	{ .noun = "mirror", .verb = "add-leg", .method = "mirror.add_leg",
	  .summary = "Add a leg (or a spare) to a mirror; it is synced", .args = leg_args, .opts = add_leg_opts,
	  .flags = CLI_VERB_CHANGES | CLI_VERB_JOB, .example = "vgtool mirror add-leg md0 /dev/sdd5" },
	{ .noun = "mirror", .verb = "replace-leg", .method = "mirror.replace_leg",
	  .summary = "Sync a new device, then let it take an old leg's place", .args = replace_args,
	  .flags = CLI_VERB_CHANGES | CLI_VERB_JOB,
	  .example = "vgtool mirror replace-leg md0 /dev/sdc5 /dev/sdd5" },
	{ .noun = "mirror", .verb = "fail-leg", .method = "mirror.fail_leg",
	  .summary = "Mark a leg failed; the mirror goes on with the others", .args = leg_args,
	  .flags = CLI_VERB_CHANGES, .example = "vgtool mirror fail-leg md0 /dev/sdc5" },
	{ .noun = "mirror", .verb = "remove-leg", .method = "mirror.remove_leg",
	  .summary = "Take a leg (failed or spare) out of a mirror", .args = leg_args, .flags = CLI_VERB_CHANGES,
	  .example = "vgtool mirror remove-leg md0 /dev/sdc5" },
	{ .noun = "mirror", .verb = "dissolve", .method = "mirror.dissolve",
	  .summary = "End a mirror, leaving its legs as plain devices", .args = name_only, .opts = dissolve_opts,
	  .flags = CLI_VERB_CHANGES, .render = render_dissolve, .example = "vgtool mirror dissolve md2" },
	{ .noun = "mirror", .verb = "scrub", .method = "mirror.scrub",
	  .summary = "Read every leg and compare (check) or fix (repair)", .args = scrub_args,
	  .flags = CLI_VERB_CHANGES | CLI_VERB_JOB, .example = "vgtool mirror scrub md0 check" },
	{ .noun = "mirror", .verb = "remove", .method = "mirror.remove",
	  .summary = "Stop a mirror and wipe its superblocks", .args = name_only, .flags = CLI_VERB_CHANGES,
	  .done = "removed", .example = "vgtool mirror remove md0" },
	{ 0 },
};

const struct cli_noun cli_noun_mirror = { .name = "mirror", .summary = "RAID-1 mirrors (Linux md, metadata 1.0)",
					  .verbs = mirror_verbs };

/* Legs that are not simply in sync say what they are: "/dev/sdc5(faulty)". */
static void legs_text(struct json_object *mirror, struct strbuf *out)
{
	struct json_object *legs = cli_array(mirror, "legs");
	size_t n = legs ? json_object_array_length(legs) : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *leg = json_object_array_get_idx(legs, i);
		const char *state = cli_str(leg, "state");

		strbuf_printf(out, "%s%s", i ? "," : "", cli_strd(leg, "device", "?"));
		if (state && !streq(state, "in_sync") && !streq(state, "active"))
			strbuf_printf(out, "(%s)", state);
	}
	if (n == 0)
		strbuf_puts(out, "-");
}

void cli_mirror_table(const struct cli_format *fmt, struct json_object *mirrors, struct strbuf *out)
{
	static const char *const headers[] = { "NAME", "SIZE", "STATE", "LEGS" };
	_cleanup_(table_freep) struct table *t = NULL;
	size_t n = cli_array_length(mirrors);

	if (n == 0) {
		strbuf_puts(out, "No mirrors. Create one with: vgtool mirror create NAME LEG LEG...\n");
		return;
	}
	t = table_new(headers, ARRAY_SIZE(headers));
	table_align_right(t, 1);
	for (size_t i = 0; i < n; i++) {
		struct json_object *m = json_object_array_get_idx(mirrors, i);
		char size[64];
		struct strbuf legs;

		table_cell(t, cli_str(m, "name"));
		table_cell(t, cli_size_at(fmt, m, "size_bytes", size, sizeof(size)));
		table_cell(t, cli_str(m, "state"));
		strbuf_init(&legs);
		legs_text(m, &legs);
		table_cell(t, strbuf_status(&legs) < 0 ? NULL : legs.data);
		strbuf_done(&legs);
	}
	if (table_render(t, out) < 0)
		out->failed = true;
}

void cli_mirror_block(const struct cli_format *fmt, struct json_object *mirror, struct strbuf *out)
{
	static const char *const headers[] = { "LEG", "ROLE", "STATE", "EVENTS" };
	struct json_object *legs = cli_array(mirror, "legs");
	struct json_object *bitmap = cli_get(mirror, "bitmap");
	size_t n = legs ? json_object_array_length(legs) : 0;
	char buf[256];

	strbuf_printf(out, "mirror %s\n", cli_strd(mirror, "name", "?"));
	cli_block_line(out, "size", "%s", cli_size_at(fmt, mirror, "size_bytes", buf, sizeof(buf)));
	cli_block_line(out, "state", "%s", cli_strd(mirror, "state", "-"));
	cli_block_line(out, "events", "%s", cli_scalar_text(cli_get(mirror, "events"), buf, sizeof(buf)));
	if (bitmap)
		cli_block_line(out, "bitmap", "%s", cli_scalar_text(bitmap, buf, sizeof(buf)));
	cli_block_line(out, "uuid", "%s", cli_strd(mirror, "uuid", "-"));
	if (streq(cli_str(mirror, "state"), "degraded"))
		strbuf_printf(out, "  (degraded: add a leg with vgtool mirror add-leg %s DEVICE)\n",
			      cli_strd(mirror, "name", "NAME"));
	if (n > 0) {
		_cleanup_(table_freep) struct table *t = table_new(headers, ARRAY_SIZE(headers));

		table_align_right(t, 3);
		for (size_t i = 0; i < n; i++) {
			struct json_object *leg = json_object_array_get_idx(legs, i);

			table_cell(t, cli_str(leg, "device"));
			table_cell(t, cli_text_at(leg, "role", buf, sizeof(buf)));
			table_cell(t, cli_str(leg, "state"));
			table_cell(t, cli_text_at(leg, "events", buf, sizeof(buf)));
		}
		strbuf_putc(out, '\n');
		if (table_render(t, out) < 0)
			out->failed = true;
	}
}
