/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vgtool lv ...: logical volumes. The verb table maps each verb to lv.* (lv
 * extend and lv reduce are spellings of lv.resize that only let the size go
 * one way, so a sign typed by mistake is caught before anything is sent;
 * reduce passes force only when --force is given), and the LV table and
 * block that every reply carrying LVs is printed with.
 */
#include <stdio.h>

#include "cli.h"
#include "table.h"

/* An LV is named VG/LV, /dev/VG/LV, or as the two words VG LV. */
#define LV_ARG                                                                                 \
	{                                                                                      \
		.name = "VG/LV", .type = CLI_LVREF, .kind = CLI_KIND_LV,                       \
		.help = "the LV: VG/LV, /dev/VG/LV, or the two words VG LV",                  \
	}

#define EXTENTS_OPT(text)                                                                          \
	{                                                                                          \
		.name = "extents", .param = "extents", .type = CLI_INT, .flags = CLI_ARG_ONE_OF,    \
		.metavar = "N", .help = text,                                                      \
	}

#define FORCE_OPT(text)                                                                 \
	{                                                                               \
		.name = "force", .param = "force", .type = CLI_FLAG, .help = text,      \
	}

static const struct cli_arg lv_only[] = { LV_ARG, { 0 } };

static const struct cli_arg create_opts[] = {
	{ .name = "size", .param = "size", .type = CLI_SIZE_NEW, .flags = CLI_ARG_ONE_OF, .metavar = "SIZE",
	  .help = "the LV's size: 20G, 512M, 1.5T, or a share: 100%FREE, 50%VG, 10%PVS" },
	EXTENTS_OPT("the LV's size in extents, instead of --size"),
	{ .name = "stripes", .param = "stripes", .type = CLI_INT, .metavar = "N",
	  .help = "stripe over N PVs (default 1: linear)" },
	{ .name = "stripe-size", .param = "stripe_size", .type = CLI_SIZE, .metavar = "SIZE",
	  .help = "bytes written to one PV before the next (with --stripes)" },
	{ .name = "policy", .param = "policy", .type = CLI_STRING, .metavar = "POLICY",
	  .help = "allocation policy (as lvm2's --alloc)" },
	{ .name = "pv", .param = "pvs", .type = CLI_STRING, .kind = CLI_KIND_PV, .flags = CLI_ARG_LIST,
	  .metavar = "PV", .help = "allocate only on this PV" },
	{ .name = "tag", .param = "tags", .type = CLI_STRING, .flags = CLI_ARG_LIST, .metavar = "TAG",
	  .help = "give the LV this tag" },
	{ 0 },
};

static const struct cli_arg list_args[] = {
	{ .name = "VG", .param = "vg", .type = CLI_STRING, .kind = CLI_KIND_VG, .flags = CLI_ARG_OPTIONAL,
	  .help = "only the LVs of this VG" },
	{ 0 },
};

static const struct cli_arg resize_opts[] = {
	{ .name = "size", .param = "size", .type = CLI_SIZE_ANY, .flags = CLI_ARG_ONE_OF, .metavar = "SIZE",
	  .help = "the new size (20G, 100%FREE) or a change (+10G, -5G)" },
	EXTENTS_OPT("the new size in extents"),
	FORCE_OPT("allow shrinking, which loses the data beyond the new end"),
	{ 0 },
};

static const struct cli_arg extend_opts[] = {
	{ .name = "size", .param = "size", .type = CLI_SIZE_GROW, .flags = CLI_ARG_ONE_OF, .metavar = "SIZE",
	  .help = "the growth (+100G, +100%FREE) or the new, larger size (500G)" },
	EXTENTS_OPT("the new, larger size in extents"),
	{ 0 },
};

static const struct cli_arg reduce_opts[] = {
	{ .name = "size", .param = "size", .type = CLI_SIZE_SHRINK, .flags = CLI_ARG_ONE_OF, .metavar = "SIZE",
	  .help = "the shrinkage (-5G) or the new, smaller size (20G)" },
	EXTENTS_OPT("the new, smaller size in extents"),
	FORCE_OPT("confirm that the data beyond the new end is given up (without it vgtoold refuses)"),
	{ 0 },
};

static const struct cli_arg rename_args[] = {
	LV_ARG,
	{ .name = "NEW_NAME", .param = "new_name", .type = CLI_STRING, .help = "the LV's new name" },
	{ 0 },
};

static const struct cli_arg remove_opts[] = {
	FORCE_OPT("remove it even though it is open: its users get I/O errors, the device goes when they close it"),
	{ 0 },
};

static const struct cli_arg activate_opts[] = {
	{ .name = "read-only", .param = "read_only", .type = CLI_FLAG, .help = "a read-only device" },
	{ 0 },
};

static const struct cli_arg deactivate_opts[] = {
	FORCE_OPT("even when it is open: its users get I/O errors, the device goes when they close it"),
	{ 0 },
};

static void render_show(const struct cli_format *fmt, struct json_object *params, struct json_object *result,
			struct strbuf *out)
{
	struct json_object *lv = cli_get(result, "lv");

	if (lv)
		cli_lv_block(fmt, lv, out);
	else
		cli_render_keys(fmt, params, result, false, out);
}

static const struct cli_verb lv_verbs[] = {
	{ .noun = "lv", .verb = "create", .method = "lv.create", .summary = "Create a logical volume in a VG",
	  .args = lv_only, .opts = create_opts, .flags = CLI_VERB_CHANGES | CLI_VERB_CREATES,
	  .example = "vgtool lv create vg_raid lv_files --size 50G" },
	{ .noun = "lv", .verb = "list", .method = "lv.list", .summary = "List logical volumes (of one VG)",
	  .args = list_args, .example = "vgtool lv list vg_raid" },
	{ .noun = "lv", .verb = "show", .method = "lv.show", .summary = "Show an LV and where its extents lie",
	  .args = lv_only, .render = render_show, .example = "vgtool lv show vg_raid/lv_files" },
	{ .noun = "lv", .verb = "resize", .method = "lv.resize", .summary = "Give an LV a new size",
	  .args = lv_only, .opts = resize_opts, .flags = CLI_VERB_CHANGES,
	  .example = "vgtool lv resize vg_raid/lv_files --size 60G" },
	{ .noun = "lv", .verb = "extend", .method = "lv.resize", .summary = "Grow an LV",
	  .args = lv_only, .opts = extend_opts, .flags = CLI_VERB_CHANGES,
	  .example = "vgtool lv extend vg_bulk/lv_rushes --size +100G" },
	{ .noun = "lv", .verb = "reduce", .method = "lv.resize",
	  .summary = "Shrink an LV (shrink its filesystem first)", .args = lv_only, .opts = reduce_opts,
	  .flags = CLI_VERB_CHANGES, .example = "vgtool lv reduce vg_bulk/lv_rushes --size -50G --force" },
	{ .noun = "lv", .verb = "rename", .method = "lv.rename", .summary = "Rename an LV", .args = rename_args,
	  .flags = CLI_VERB_CHANGES, .example = "vgtool lv rename vg_raid/vm1-disk0 vm1-root" },
	{ .noun = "lv", .verb = "remove", .method = "lv.remove", .summary = "Remove an LV and free its extents",
	  .args = lv_only, .opts = remove_opts, .flags = CLI_VERB_CHANGES, .done = "removed",
	  .example = "vgtool lv remove vg_raid/vm1-disk0" },
	{ .noun = "lv", .verb = "activate", .method = "lv.activate",
	  .summary = "Make an LV's block device appear (/dev/VG/LV)", .args = lv_only, .opts = activate_opts,
	  .flags = CLI_VERB_CHANGES, .done = "activated", .example = "vgtool lv activate vg_raid/lv_files" },
	{ .noun = "lv", .verb = "deactivate", .method = "lv.deactivate",
	  .summary = "Take an LV's block device away", .args = lv_only, .opts = deactivate_opts,
	  .flags = CLI_VERB_CHANGES,
	  .done = "deactivated", .example = "vgtool lv deactivate vg_raid/lv_files" },
	{ 0 },
};

const struct cli_noun cli_noun_lv = { .name = "lv", .summary = "Logical volumes: block devices carved from a VG",
				      .verbs = lv_verbs };

void cli_lv_table(const struct cli_format *fmt, struct json_object *lvs, struct strbuf *out)
{
	static const char *const headers[] = { "NAME", "VG", "SIZE", "PATH" };
	_cleanup_(table_freep) struct table *t = NULL;
	size_t n = cli_array_length(lvs);

	if (n == 0) {
		strbuf_puts(out, "No LVs. Create one with: vgtool lv create VG LV --size SIZE\n");
		return;
	}
	t = table_new(headers, ARRAY_SIZE(headers));
	table_align_right(t, 2);
	for (size_t i = 0; i < n; i++) {
		struct json_object *lv = json_object_array_get_idx(lvs, i);
		char size[64];

		table_cell(t, cli_str(lv, "name"));
		table_cell(t, cli_str(lv, "vg"));
		table_cell(t, cli_size_at(fmt, lv, "size_bytes", size, sizeof(size)));
		table_cell(t, cli_str(lv, "path"));
	}
	if (table_render(t, out) < 0)
		out->failed = true;
}

static void stripes_text(struct json_object *segment, struct strbuf *out)
{
	struct json_object *stripes = cli_array(segment, "stripes");
	size_t n = stripes ? json_object_array_length(stripes) : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *s = json_object_array_get_idx(stripes, i);
		const char *pv = cli_str(s, "pv"), *device = cli_str(s, "device");
		uint64_t first_pe = 0;

		strbuf_printf(out, "%s%s", i ? ", " : "", device ? device : pv ? pv : "?");
		if (pv && device && !streq(pv, device))
			strbuf_printf(out, " (%s)", pv);
		if (cli_u64(s, "first_pe", &first_pe))
			strbuf_printf(out, " from extent %" PRIu64, first_pe);
	}
	if (n == 0)
		strbuf_puts(out, "-");
}

void cli_lv_block(const struct cli_format *fmt, struct json_object *lv, struct strbuf *out)
{
	struct json_object *segments = cli_array(lv, "segments"), *tags = cli_array(lv, "tags");
	struct json_object *active = cli_get(lv, "active");
	uint64_t extents;
	char size[64], buf[256];

	strbuf_printf(out, "LV %s/%s\n", cli_strd(lv, "vg", "?"), cli_strd(lv, "name", "?"));
	cli_block_line(out, "path", "%s", cli_strd(lv, "path", "-"));
	cli_size_at(fmt, lv, "size_bytes", size, sizeof(size));
	if (cli_u64(lv, "extents", &extents))
		cli_block_line(out, "size", "%s (%" PRIu64 " extents)", size, extents);
	else
		cli_block_line(out, "size", "%s", size);
	if (active)
		cli_block_line(out, "active", "%s", cli_scalar_text(active, buf, sizeof(buf)));
	cli_block_line(out, "id", "%s", cli_strd(lv, "id", "-"));
	if (tags && json_object_array_length(tags) > 0) {
		struct strbuf list;

		strbuf_init(&list);
		for (size_t i = 0; i < json_object_array_length(tags); i++)
			strbuf_printf(&list, "%s%s", i ? ", " : "",
				      cli_scalar_text(json_object_array_get_idx(tags, i), buf, sizeof(buf)));
		cli_block_line(out, "tags", "%s", list.data);
		strbuf_done(&list);
	}

	if (segments && json_object_array_length(segments) > 0) {
		static const char *const headers[] = { "START", "EXTENTS", "TYPE", "ON" };
		_cleanup_(table_freep) struct table *t = table_new(headers, ARRAY_SIZE(headers));

		table_align_right(t, 0);
		table_align_right(t, 1);
		for (size_t i = 0; i < json_object_array_length(segments); i++) {
			struct json_object *seg = json_object_array_get_idx(segments, i);
			struct strbuf on;

			table_cell(t, cli_scalar_text(cli_get(seg, "start_extent"), buf, sizeof(buf)));
			table_cell(t, cli_scalar_text(cli_get(seg, "extents"), buf, sizeof(buf)));
			table_cell(t, cli_str(seg, "type"));
			strbuf_init(&on);
			stripes_text(seg, &on);
			table_cell(t, on.data);
			strbuf_done(&on);
		}
		strbuf_putc(out, '\n');
		if (table_render(t, out) < 0)
			out->failed = true;
	}
}
