/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vgtool vg ...: volume groups. The verb table maps each verb to vg.* (move-pv
 * to vg.move_pv, the seed layout's "move md2 from vg_raid to vg_bulk"), and
 * the VG table and block (header, then its PVs and LVs) that replies carrying
 * VGs are printed with. A PV is named by device path, image file or mirror
 * name wherever one is expected.
 */
#include <stdio.h>

#include "cli.h"
#include "table.h"

#define VG_ARG(help_text)                                                                     \
	{                                                                                     \
		.name = "VG", .param = "name", .type = CLI_STRING, .kind = CLI_KIND_VG,       \
		.help = help_text,                                                            \
	}

#define PVS_ARG(help_text)                                                                                 \
	{                                                                                                  \
		.name = "PV", .param = "pvs", .type = CLI_STRING, .kind = CLI_KIND_PV, .flags = CLI_ARG_LIST, \
		.help = help_text,                                                                         \
	}

static const struct cli_arg create_args[] = {
	VG_ARG("the new VG's name"),
	PVS_ARG("a device, an image file or a mirror name (md0); made a PV if it is not one"),
	{ 0 },
};

static const struct cli_arg create_opts[] = {
	{ .name = "extent-size", .param = "extent_size", .type = CLI_SIZE, .metavar = "SIZE",
	  .help = "the allocation unit (default 4M, as lvm2)" },
	{ 0 },
};

static const struct cli_arg vg_only[] = { VG_ARG("the VG"), { 0 } };

static const struct cli_arg remove_opts[] = {
	{ .name = "force", .param = "force", .type = CLI_FLAG, .help = "also remove the LVs it still holds" },
	{ 0 },
};

static const struct cli_arg activate_opts[] = {
	{ .name = "read-only", .param = "read_only", .type = CLI_FLAG, .help = "read-only devices" },
	{ 0 },
};

static const struct cli_arg deactivate_opts[] = {
	{ .name = "force", .param = "force", .type = CLI_FLAG,
	  .help = "also LVs that are open: their users get I/O errors, the devices go when they close them" },
	{ 0 },
};

static const struct cli_arg extend_args[] = {
	VG_ARG("the VG"),
	PVS_ARG("a device, an image file or a mirror name to add"),
	{ 0 },
};

static const struct cli_arg reduce_args[] = {
	VG_ARG("the VG"),
	PVS_ARG("an unused PV to take out of the VG"),
	{ 0 },
};

static const struct cli_arg split_args[] = {
	VG_ARG("the VG to split"),
	{ .name = "NEW_VG", .param = "new_name", .type = CLI_STRING, .help = "the name of the VG split off" },
	PVS_ARG("a PV that moves to NEW_VG (with every LV wholly on the PVs given)"),
	{ 0 },
};

static const struct cli_arg merge_args[] = {
	VG_ARG("the VG that stays"),
	{ .name = "FROM", .param = "from", .type = CLI_STRING, .kind = CLI_KIND_VG,
	  .help = "the VG merged into it, which ceases to exist" },
	{ 0 },
};

static const struct cli_arg rename_args[] = {
	VG_ARG("the VG"),
	{ .name = "NEW_NAME", .param = "new_name", .type = CLI_STRING, .help = "its new name" },
	{ 0 },
};

static const struct cli_arg move_pv_args[] = {
	{ .name = "PV", .param = "pv", .type = CLI_STRING, .kind = CLI_KIND_PV,
	  .help = "the PV to move (a device, an image file or a mirror name) with the LVs wholly on it" },
	{ 0 },
};

static const struct cli_arg move_pv_opts[] = {
	{ .name = "from", .param = "from", .type = CLI_STRING, .kind = CLI_KIND_VG, .flags = CLI_ARG_REQUIRED,
	  .metavar = "VG", .help = "the VG the PV is in now" },
	{ .name = "to", .param = "to", .type = CLI_STRING, .kind = CLI_KIND_VG, .flags = CLI_ARG_REQUIRED,
	  .metavar = "VG", .help = "the VG it moves to" },
	{ .name = "evacuate", .param = "evacuate", .type = CLI_FLAG,
	  .help = "move the PV's extents to the rest of its VG first (pv evacuate), then the PV: one job" },
	{ 0 },
};

static void render_show(const struct cli_format *fmt, struct json_object *params, struct json_object *result,
			struct strbuf *out)
{
	struct json_object *vg = cli_get(result, "vg");

	if (vg)
		cli_vg_block(fmt, vg, out);
	else
		cli_render_keys(fmt, params, result, false, out);
}

static const struct cli_verb vg_verbs[] = {
	{ .noun = "vg", .verb = "create", .method = "vg.create", .summary = "Create a volume group on PVs",
	  .args = create_args, .opts = create_opts, .flags = CLI_VERB_CHANGES | CLI_VERB_CREATES,
	  .example = "vgtool vg create vg_raid md0 md1 md2" },
	{ .noun = "vg", .verb = "list", .method = "vg.list", .summary = "List volume groups",
	  .example = "vgtool vg list" },
	{ .noun = "vg", .verb = "show", .method = "vg.show", .summary = "Show a VG with its PVs and LVs",
	  .args = vg_only, .render = render_show, .example = "vgtool vg show vg_raid" },
	{ .noun = "vg", .verb = "extend", .method = "vg.extend", .summary = "Add PVs to a VG",
	  .args = extend_args, .flags = CLI_VERB_CHANGES, .example = "vgtool vg extend vg_bulk /dev/sde" },
	{ .noun = "vg", .verb = "reduce", .method = "vg.reduce", .summary = "Take unused PVs out of a VG",
	  .args = reduce_args, .flags = CLI_VERB_CHANGES, .example = "vgtool vg reduce vg_bulk /dev/sde" },
	{ .noun = "vg", .verb = "split", .method = "vg.split",
	  .summary = "Move PVs and the LVs on them into a new VG", .args = split_args, .flags = CLI_VERB_CHANGES,
	  .example = "vgtool vg split vg_raid vg_old md2" },
	{ .noun = "vg", .verb = "merge", .method = "vg.merge", .summary = "Merge a VG into another",
	  .args = merge_args, .flags = CLI_VERB_CHANGES, .example = "vgtool vg merge vg_bulk vg_old" },
	{ .noun = "vg", .verb = "rename", .method = "vg.rename", .summary = "Rename a VG", .args = rename_args,
	  .flags = CLI_VERB_CHANGES, .example = "vgtool vg rename vg_old vg_archive" },
	{ .noun = "vg", .verb = "remove", .method = "vg.remove",
	  .summary = "Remove a VG (with its LVs only when forced)",
	  .args = vg_only, .opts = remove_opts, .flags = CLI_VERB_CHANGES, .done = "removed",
	  .example = "vgtool vg remove vg_old" },
	{ .noun = "vg", .verb = "activate", .method = "vg.activate",
	  .summary = "Make the block devices of every LV of a VG appear", .args = vg_only, .opts = activate_opts,
	  .flags = CLI_VERB_CHANGES, .done = "activated", .example = "vgtool vg activate vg_raid" },
	{ .noun = "vg", .verb = "deactivate", .method = "vg.deactivate",
	  .summary = "Take the block devices of every LV of a VG away", .args = vg_only, .opts = deactivate_opts,
	  .flags = CLI_VERB_CHANGES, .done = "deactivated", .example = "vgtool vg deactivate vg_raid" },
	{ .noun = "vg", .verb = "move-pv", .method = "vg.move_pv",
	  .summary = "Move a PV, and the LVs wholly on it, from one VG to another", .args = move_pv_args,
	  .opts = move_pv_opts, .flags = CLI_VERB_CHANGES | CLI_VERB_JOB, .render = cli_render_move,
	  .example = "vgtool vg move-pv md2 --from vg_raid --to vg_bulk" },
	{ 0 },
};

const struct cli_noun cli_noun_vg = { .name = "vg", .summary = "Volume groups: PVs pooled into extents for LVs",
				      .verbs = vg_verbs };

static uint64_t count_of(struct json_object *vg, const char *count_key, const char *array_key)
{
	struct json_object *array = cli_array(vg, array_key);
	uint64_t n = 0;

	if (cli_u64(vg, count_key, &n))
		return n;
	return array ? json_object_array_length(array) : 0;
}

static bool is_partial(struct json_object *vg)
{
	struct json_object *partial = cli_get(vg, "partial");

	return partial && json_object_is_type(partial, json_type_boolean) && json_object_get_boolean(partial);
}

void cli_vg_table(const struct cli_format *fmt, struct json_object *vgs, struct strbuf *out)
{
	static const char *const headers[] = { "NAME", "PVS", "LVS", "SIZE", "FREE" };
	_cleanup_(table_freep) struct table *t = NULL;
	size_t n = cli_array_length(vgs);

	if (n == 0) {
		strbuf_puts(out, "No VGs. Create one with: vgtool vg create VG PV...\n");
		return;
	}
	t = table_new(headers, ARRAY_SIZE(headers));
	for (size_t c = 1; c < ARRAY_SIZE(headers); c++)
		table_align_right(t, c);
	for (size_t i = 0; i < n; i++) {
		struct json_object *vg = json_object_array_get_idx(vgs, i);
		char size[64], free_text[64];

		if (is_partial(vg))
			table_cellf(t, "%s (partial)", cli_strd(vg, "name", "?"));
		else
			table_cell(t, cli_str(vg, "name"));
		table_cellf(t, "%" PRIu64, count_of(vg, "pv_count", "pvs"));
		table_cellf(t, "%" PRIu64, count_of(vg, "lv_count", "lvs"));
		table_cell(t, cli_size_at(fmt, vg, "size_bytes", size, sizeof(size)));
		table_cell(t, cli_size_at(fmt, vg, "free_bytes", free_text, sizeof(free_text)));
	}
	if (table_render(t, out) < 0)
		out->failed = true;
}

void cli_vg_block(const struct cli_format *fmt, struct json_object *vg, struct strbuf *out)
{
	struct json_object *pvs = cli_array(vg, "pvs"), *lvs = cli_array(vg, "lvs");
	struct json_object *tags = cli_array(vg, "tags");
	char buf[256], buf2[64];

	strbuf_printf(out, "VG %s\n", cli_strd(vg, "name", "?"));
	cli_block_line(out, "size", "%s", cli_size_at(fmt, vg, "size_bytes", buf, sizeof(buf)));
	cli_block_line(out, "free", "%s", cli_size_at(fmt, vg, "free_bytes", buf, sizeof(buf)));
	cli_block_line(out, "extent size", "%s", cli_size_at(fmt, vg, "extent_size_bytes", buf, sizeof(buf)));
	cli_block_line(out, "PVs", "%" PRIu64, count_of(vg, "pv_count", "pvs"));
	cli_block_line(out, "LVs", "%" PRIu64, count_of(vg, "lv_count", "lvs"));
	cli_block_line(out, "seqno", "%s", cli_scalar_text(cli_get(vg, "seqno"), buf2, sizeof(buf2)));
	cli_block_line(out, "id", "%s", cli_strd(vg, "id", "-"));
	if (is_partial(vg))
		cli_block_line(out, "partial", "yes: PVs are missing; changes are refused until they are back");
	if (tags && json_object_array_length(tags) > 0) {
		struct strbuf list;

		strbuf_init(&list);
		for (size_t i = 0; i < json_object_array_length(tags); i++)
			strbuf_printf(&list, "%s%s", i ? ", " : "",
				      cli_scalar_text(json_object_array_get_idx(tags, i), buf, sizeof(buf)));
		cli_block_line(out, "tags", "%s", list.data);
		strbuf_done(&list);
	}
	if (pvs) {
		strbuf_putc(out, '\n');
		cli_pv_table(fmt, pvs, out);
	}
	if (lvs) {
		strbuf_putc(out, '\n');
		cli_lv_table(fmt, lvs, out);
	}
}
