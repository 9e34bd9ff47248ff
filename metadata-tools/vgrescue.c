/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vgrescue: offline metadata tool for a rescue boot. Works with no daemon, no
 * md and no device-mapper, on block devices and image files; read-only unless
 * a verb is told otherwise.
 */
#include <stdio.h>
#include <string.h>

#include "rescue.h"

static const struct {
	const char *noun;
	const char *verb; /* NULL: the noun is the verb */
	int (*run)(int argc, char **argv);
	const char *summary;
} verbs[] = {
	{ "md", "examine", rescue_md_examine, "show the md superblock of each device" },
	{ "pv", "examine", rescue_pv_examine, "show the PV label, header and metadata areas" },
	{ "dump", NULL, rescue_dump, "show the VGs found on the devices (LVM text or --json)" },
	{ "scan", NULL, rescue_scan, "mirrors, PVs and VGs found: fresh/stale legs, seqnos, missing PVs" },
	{ "layout", NULL, rescue_layout, "rebuild the VGs as LVM text from the best surviving copy" },
	{ "map", NULL, rescue_map, "where VG/LV lies: dmsetup table and losetup commands" },
	{ "extract", NULL, rescue_extract, "copy VG/LV's bytes out of raw devices or legs (--to FILE|-)" },
	{ "history", NULL, rescue_history, "older metadata versions of VG in ring buffers and backups" },
	{ "restore", NULL, rescue_restore, "write an older VG version back as the next seqno (--write)" },
	{ "recipe", NULL, rescue_recipe, "how to reach VG/LV with stock lvm2 on a rescue medium" },
};

static void usage(FILE *out)
{
	fputs("Usage: vgrescue COMMAND [OPTIONS] DEVICE...\n\nCommands:\n", out);
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		char name[64];

		snprintf(name, sizeof(name), "%s%s%s", verbs[i].noun, verbs[i].verb ? " " : "",
			 verbs[i].verb ? verbs[i].verb : "");
		fprintf(out, "  %-14s %s\n", name, verbs[i].summary);
	}
	fputs("\nEvery command takes --json and --help. Devices may be block devices or image files.\n", out);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return RESCUE_EXIT_USAGE;
	}
	if (streq(argv[1], "--help") || streq(argv[1], "-h") || streq(argv[1], "help")) {
		usage(stdout);
		return RESCUE_EXIT_OK;
	}
	if (streq(argv[1], "--version")) {
		puts(PACKAGE_STRING);
		return RESCUE_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (!streq(argv[1], verbs[i].noun))
			continue;
		if (!verbs[i].verb)
			return verbs[i].run(argc - 1, argv + 1);
		if (argc >= 3 && streq(argv[2], verbs[i].verb))
			return verbs[i].run(argc - 2, argv + 2);
		rescue_error("'%s' needs a verb: %s %s", argv[1], verbs[i].noun, verbs[i].verb);
		return RESCUE_EXIT_USAGE;
	}
	rescue_error("unknown command '%s' (see vgrescue --help)", argv[1]);
	return RESCUE_EXIT_USAGE;
}
