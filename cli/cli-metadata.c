/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vgtool metadata ...: the text backups vgtoold keeps of every VG (one after
 * every commit, older ones in the archive), and restoring a VG's metadata
 * from one of them. Restore is a changing verb and takes --dry-run, which is
 * the way to see what a restore would bring back before doing it.
 */
#include <stdio.h>

#include "cli.h"
#include "table.h"

static const struct cli_arg vg_only[] = {
	{ .name = "VG", .param = "vg", .type = CLI_STRING, .kind = CLI_KIND_VG, .help = "the VG" },
	{ 0 },
};

static const struct cli_arg restore_opts[] = {
	{ .name = "seqno", .param = "seqno", .type = CLI_INT, .flags = CLI_ARG_ONE_OF, .metavar = "N",
	  .help = "the archived version with this sequence number (see metadata history)" },
	{ .name = "file", .param = "file", .type = CLI_STRING, .kind = CLI_KIND_FILE, .flags = CLI_ARG_ONE_OF,
	  .metavar = "FILE", .help = "a backup file (vgcfgbackup's format)" },
	{ 0 },
};

static void render_backup(const struct cli_format *fmt, struct json_object *params, struct json_object *result,
			  struct strbuf *out)
{
	const char *path = cli_str(result, "path");

	if (!path) {
		cli_render_keys(fmt, params, result, false, out);
		return;
	}
	strbuf_printf(out, "VG %s: backup written to %s\n", cli_strd(params, "vg", "?"), path);
}

static void render_history(const struct cli_format *fmt, struct json_object *params, struct json_object *result,
			   struct strbuf *out)
{
	struct json_object *versions = cli_array(result, "versions");
	char buf[1024];

	if (!versions) {
		cli_render_keys(fmt, params, result, false, out);
		return;
	}
	if (json_object_array_length(versions) == 0) {
		strbuf_printf(out, "VG %s: no archived versions.\n", cli_strd(params, "vg", "?"));
		return;
	}
	if (json_object_is_type(json_object_array_get_idx(versions, 0), json_type_object)) {
		cli_generic_table(fmt, versions, out);
		return;
	}
	for (size_t i = 0; i < json_object_array_length(versions); i++) {
		struct json_object *v = json_object_array_get_idx(versions, i);

		strbuf_printf(out, "%s\n", cli_scalar_text(v, buf, sizeof(buf)));
	}
}

static const struct cli_verb metadata_verbs[] = {
	{ .noun = "metadata", .verb = "backup", .method = "metadata.backup",
	  .summary = "Write a VG's metadata to its backup file now", .args = vg_only, .render = render_backup,
	  .example = "vgtool metadata backup vg_raid" },
	{ .noun = "metadata", .verb = "history", .method = "metadata.history",
	  .summary = "List the archived versions of a VG's metadata", .args = vg_only, .render = render_history,
	  .example = "vgtool metadata history vg_raid" },
	{ .noun = "metadata", .verb = "restore", .method = "metadata.restore",
	  .summary = "Write an archived version back as the VG's metadata", .args = vg_only, .opts = restore_opts,
	  .flags = CLI_VERB_CHANGES, .example = "vgtool metadata restore vg_raid --seqno 41 --dry-run" },
	{ 0 },
};

const struct cli_noun cli_noun_metadata = { .name = "metadata", .summary = "VG metadata backups and restore",
					    .verbs = metadata_verbs };
