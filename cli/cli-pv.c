/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vgtool pv ...: physical volumes on their own (vg create and vg extend make
 * PVs as needed, so these are for preparing a device with particular
 * metadata settings, listing, and wiping a label). Also the PV table that
 * vg show and replies carrying PVs are printed with.
 */
#include <inttypes.h>
#include <stdio.h>

#include "cli.h"
#include "table.h"

static const struct cli_arg device_only[] = {
	{ .name = "DEVICE", .param = "device", .type = CLI_STRING, .kind = CLI_KIND_PV,
	  .help = "a block device, an image file or a mirror name" },
	{ 0 },
};

static const struct cli_arg create_opts[] = {
	{ .name = "metadata-size", .param = "metadata_size", .type = CLI_SIZE, .metavar = "SIZE",
	  .help = "room for metadata text (default 1M, as lvm2)" },
	{ .name = "metadata-copies", .param = "metadata_copies", .type = CLI_INT, .metavar = "N",
	  .help = "metadata areas on the PV: 1 (at the start) or 2 (also at the end)" },
	{ 0 },
};

#define DST_ARG                                                                                            \
	{                                                                                                  \
		.name = "DST", .param = "to", .type = CLI_STRING, .kind = CLI_KIND_PV,                     \
		.flags = CLI_ARG_OPTIONAL | CLI_ARG_LIST,                                                  \
		.help = "PVs of the same VG to move the extents to (default: any other PV of the VG)",     \
	}
#define BANDWIDTH_OPT                                                                                      \
	{                                                                                                  \
		.name = "bandwidth", .param = "bandwidth", .type = CLI_SIZE, .metavar = "RATE",            \
		.help = "copy at most RATE bytes per second on average (20M)",                             \
	}

static const struct cli_arg move_args[] = {
	{ .name = "SRC", .param = "pv", .type = CLI_STRING, .kind = CLI_KIND_PV, .help = "the PV whose extents move" },
	DST_ARG,
	{ 0 },
};

static const struct cli_arg move_opts[] = {
	{ .name = "lv", .param = "lv", .type = CLI_STRING, .kind = CLI_KIND_LV, .metavar = "VG/LV",
	  .help = "move only this LV's extents" },
	BANDWIDTH_OPT,
	{ 0 },
};

static const struct cli_arg evacuate_args[] = {
	{ .name = "PV", .param = "pv", .type = CLI_STRING, .kind = CLI_KIND_PV,
	  .help = "the PV to empty and take out of its VG" },
	DST_ARG,
	{ 0 },
};

static const struct cli_arg evacuate_opts[] = { BANDWIDTH_OPT, { 0 } };

/* A move's plan: what goes where, chunk by chunk; the job it runs as is followed by vgtool itself. */
void cli_render_move(const struct cli_format *fmt, struct json_object *params, struct json_object *result,
		     struct strbuf *out)
{
	struct json_object *move = cli_get(result, "move"), *chunks = cli_array(move, "chunks");
	size_t n = cli_array_length(chunks);
	char extents[32], bytes[64];

	if (!move) {
		cli_render_keys(fmt, params, result, false, out);
		return;
	}
	strbuf_printf(out, "%s %s of VG %s: %s extents (%s) in %zu chunk%s%s\n",
		      json_object_get_boolean(cli_get(move, "evacuate")) ? "Evacuating" : "Moving the extents of",
		      cli_strd(move, "source", "?"), cli_strd(move, "vg", "?"), cli_text_at(move, "extents", extents, sizeof(extents)),
		      cli_size_at(fmt, move, "bytes", bytes, sizeof(bytes)), n, n == 1 ? "" : "s",
		      json_object_get_boolean(cli_get(move, "evacuate")) ? "; then the PV leaves the VG" : "");
	for (size_t i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(chunks, i), *from = cli_get(c, "from"), *to = cli_get(c, "to");
		uint64_t start = 0, count = 0, from_pe = 0, to_pe = 0;

		cli_u64(c, "lv_start_extent", &start);
		cli_u64(c, "extents", &count);
		cli_u64(from, "pe", &from_pe);
		cli_u64(to, "pe", &to_pe);
		strbuf_printf(out, "  LV %s extents %" PRIu64 "-%" PRIu64 ": %s:%" PRIu64 " -> %s:%" PRIu64 "\n",
			      cli_strd(c, "lv", "-"), start, start + count - 1, cli_strd(from, "pv", "?"), from_pe,
			      cli_strd(to, "pv", "?"), to_pe);
	}
}

static const struct cli_verb pv_verbs[] = {
	{ .noun = "pv", .verb = "create", .method = "pv.create", .summary = "Write a PV label on a device",
	  .args = device_only, .opts = create_opts, .flags = CLI_VERB_CHANGES | CLI_VERB_CREATES,
	  .example = "vgtool pv create /dev/sdb" },
	{ .noun = "pv", .verb = "list", .method = "pv.list", .summary = "List PVs, in VGs or not",
	  .example = "vgtool pv list" },
	{ .noun = "pv", .verb = "remove", .method = "pv.remove", .summary = "Wipe the label of a PV in no VG",
	  .args = device_only, .flags = CLI_VERB_CHANGES, .done = "removed",
	  .example = "vgtool pv remove /dev/sdb" },
	{ .noun = "pv", .verb = "move", .method = "pv.move",
	  .summary = "Move a PV's extents (or one LV's) to other PVs of its VG", .args = move_args, .opts = move_opts,
	  .flags = CLI_VERB_CHANGES | CLI_VERB_JOB, .render = cli_render_move,
	  .example = "vgtool pv move /dev/sdb /dev/sdc --bandwidth 50M" },
	{ .noun = "pv", .verb = "evacuate", .method = "pv.evacuate",
	  .summary = "Move every extent off a PV and take it out of its VG", .args = evacuate_args,
	  .opts = evacuate_opts, .flags = CLI_VERB_CHANGES | CLI_VERB_JOB, .render = cli_render_move,
	  .example = "vgtool pv evacuate /dev/sdb" },
	{ 0 },
};

const struct cli_noun cli_noun_pv = { .name = "pv", .summary = "Physical volumes: devices labelled for LVM",
				      .verbs = pv_verbs };

void cli_pv_table(const struct cli_format *fmt, struct json_object *pvs, struct strbuf *out)
{
	static const char *const headers[] = { "PV", "VG", "SIZE", "EXTENTS", "USED", "MIRROR" };
	_cleanup_(table_freep) struct table *t = NULL;
	size_t n = cli_array_length(pvs);

	if (n == 0) {
		strbuf_puts(out, "No PVs. vgtool vg create VG DEVICE... makes them.\n");
		return;
	}
	t = table_new(headers, ARRAY_SIZE(headers));
	table_align_right(t, 2);
	table_align_right(t, 3);
	table_align_right(t, 4);
	for (size_t i = 0; i < n; i++) {
		struct json_object *pv = json_object_array_get_idx(pvs, i);
		char size[64], buf[64];

		table_cell(t, cli_str(pv, "device"));
		table_cell(t, cli_str(pv, "vg"));
		table_cell(t, cli_size_at(fmt, pv, "size_bytes", size, sizeof(size)));
		table_cell(t, cli_text_at(pv, "pe_count", buf, sizeof(buf)));
		table_cell(t, cli_text_at(pv, "pe_used", buf, sizeof(buf)));
		table_cell(t, cli_str(pv, "mirror"));
	}
	if (table_render(t, out) < 0)
		out->failed = true;
}
