/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vgtool disk list: the devices vgtoold's configuration lets it see, and what
 * each one is to it (md leg, PV, filesystem, free, in use), which is the first
 * thing to look at before making a mirror or a VG.
 */
#include <stdio.h>

#include "cli.h"
#include "table.h"

static const struct cli_verb disk_verbs[] = {
	{ .noun = "disk", .verb = "list", .method = "disk.list",
	  .summary = "List the devices vgtoold may use and what each one holds", .example = "vgtool disk list" },
	{ 0 },
};

const struct cli_noun cli_noun_disk = { .name = "disk", .summary = "Devices as vgtoold sees them",
					.verbs = disk_verbs };

/* "partition, mirror md0": the details that explain the class. */
static void detail(struct json_object *disk, struct strbuf *out)
{
	const char *kind = cli_str(disk, "kind"), *mirror = cli_str(disk, "mirror"), *vg = cli_str(disk, "vg");
	const char *fs = cli_str(disk, "fs_type"), *reason = cli_str(disk, "reason");
	const char *sep = "";

	if (kind) {
		strbuf_printf(out, "%s%s", sep, kind);
		sep = ", ";
	}
	if (mirror) {
		strbuf_printf(out, "%smirror %s", sep, mirror);
		sep = ", ";
	}
	if (vg) {
		strbuf_printf(out, "%sVG %s", sep, vg);
		sep = ", ";
	}
	if (fs) {
		strbuf_printf(out, "%s%s", sep, fs);
		sep = ", ";
	}
	if (reason)
		strbuf_printf(out, "%s%s", sep, reason);
}

void cli_disk_table(const struct cli_format *fmt, struct json_object *disks, struct strbuf *out)
{
	static const char *const headers[] = { "PATH", "SIZE", "CLASS", "DETAIL" };
	_cleanup_(table_freep) struct table *t = NULL;
	size_t n = cli_array_length(disks);

	if (n == 0) {
		strbuf_puts(out, "No devices. vgtoold sees only the devices its configuration allows "
				 "(devices { filter = ... } in its configuration file).\n");
		return;
	}
	t = table_new(headers, ARRAY_SIZE(headers));
	table_align_right(t, 1);
	for (size_t i = 0; i < n; i++) {
		struct json_object *disk = json_object_array_get_idx(disks, i);
		char size[64];
		struct strbuf d;

		table_cell(t, cli_str(disk, "path"));
		table_cell(t, cli_size_at(fmt, disk, "size_bytes", size, sizeof(size)));
		table_cell(t, cli_str(disk, "class"));
		strbuf_init(&d);
		detail(disk, &d);
		table_cell(t, strbuf_status(&d) < 0 || d.len == 0 ? NULL : d.data);
		strbuf_done(&d);
	}
	if (table_render(t, out) < 0)
		out->failed = true;
}
