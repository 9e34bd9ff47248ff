/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * From an LV of the VG model to the device-mapper table that makes it a
 * block device, and the names LVM2 gives that device (FORMATS.md 5.2, 5.4):
 * one `linear` row per single-stripe segment, one `striped` row per
 * multi-stripe segment, dm name "<vg>-<lv>" with every '-' doubled and dm
 * uuid "LVM-<vg id><lv id>", so stock lvm2 and its udev rules recognise
 * what we activate. Pure: no I/O; where a PV lives is asked of the caller.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "vg.h"

#define LV_DM_NAME_MAX 127 /* DM_NAME_LEN - 1 */
#define LV_DM_UUID_MAX 128 /* DM_UUID_LEN - 1 */

/* One table line: <start> <length> <target> <params>. */
struct lv_table_row {
	uint64_t start_sectors;
	uint64_t length_sectors;
	const char *target; /* "linear", "striped" or "mirror" (static strings) */
	char *params;       /* "7:2 34816", "2 128 7:2 2048 7:3 2048" */
};

struct lv_table {
	struct lv_table_row *rows;
	size_t n_rows;
	uint64_t size_sectors; /* sum of the rows' lengths */
};

/*
 * Where PV @pv_index of the VG is: "MAJ:MIN" or a device path, as the
 * kernel takes it in a table (borrowed; must stay valid until the build
 * returns). NULL when that PV is not available.
 */
typedef const char *(*lv_table_device_fn)(size_t pv_index, void *userdata);

/*
 * The pv_index asked of a device_of callback for the dm device of pvmove0
 * (a VG with a move in progress): given, an LV's segments on pvmove0 map
 * linear onto it, as lvm2 maps them; NULL, they map straight to where
 * each run of extents reads from now (source, or destination once its chunk
 * is committed as moved), which is only safe while pvmove0 is not active.
 */
#define LV_TABLE_MOVE_DEVICE SIZE_MAX

/*
 * The dm table of @lv (a member of @vg): rows in segment order, each start
 * the sum of the previous lengths; linear offset = pe_start +
 * first_pe * extent_size on the PV, striped chunk = stripe_size, all in
 * sectors. Returns 0 and *ret_table (free with lv_table_free);
 * -ENOTSUP for a segment type other than striped (raid, thin, ... made by
 * stock lvm2); -ENODEV when @device_of gives NULL for a PV the LV uses;
 * -EBADMSG for a stripe naming a PV index out of range, an LV without
 * segments or sizes that overflow; -ENOMEM.
 */
int lv_table_build(const struct vg *vg, const struct vg_lv *lv, lv_table_device_fn device_of, void *userdata,
		   struct lv_table **ret_table, struct vg_error *err);
struct lv_table *lv_table_free(struct lv_table *table);

/* Whether @lv has a segment on pvmove0 (its table then needs the pvmove0 device). */
bool lv_table_uses_move(const struct vg *vg, const struct vg_lv *lv);

/*
 * The table of pvmove0 of @vg, as lvm2 builds it for a move: one row per
 * pvmove0 segment (chunk), `linear` to the destination for a chunk
 * committed as moved; for the first chunk not moved, when @mirror_next, a
 * dm `mirror` with a core log ("core 1 <region> 2 <source> <offset>
 * <destination> <offset>": the source is the default mirror, so the kernel
 * resyncs the destination from it while writes go to both); `linear` to the
 * source for the chunks after it (and for the first one without
 * @mirror_next). -ENOENT when no move is in progress; -ENODEV / -EBADMSG as
 * lv_table_build.
 */
int lv_table_build_move(const struct vg *vg, bool mirror_next, lv_table_device_fn device_of, void *userdata,
			struct lv_table **ret_table, struct vg_error *err);

/*
 * The status line of a dm `mirror` target (the params of one row of
 * DM_DEVICE_STATUS), as drivers/md/dm-raid1.c prints it:
 * "<#legs> <dev>... <in-sync>/<regions> 1 <health char per leg> <#log words>
 * <log words>", e.g. "2 254:1 254:2 3/8 1 AA 1 core". Health: 'A' alive,
 * 'D' a write failed, 'S' a resync failed, 'R' a read failed, 'U' unknown.
 */
#define LV_MIRROR_LEGS_MAX 9 /* the kernel's MAX_NR_MIRRORS */
struct lv_mirror_status {
	uint32_t n_legs;
	char health[LV_MIRROR_LEGS_MAX + 1];
	uint64_t in_sync_regions;
	uint64_t total_regions;
};
/* Strict: anything but that exact form is -EBADMSG naming what was wrong. */
int lv_mirror_status_parse(const char *params, struct lv_mirror_status *ret_status, struct vg_error *err);
/* Whether every leg of @status is 'A' (alive). */
bool lv_mirror_status_healthy(const struct lv_mirror_status *status);
DEFINE_CLEANUP_FUNC(struct lv_table, lv_table_free)

/*
 * The table as `dmsetup table` prints it: one "<start> <len> <target>
 * <params>\n" per row. Returns 0 and a malloc'd string, or -ENOMEM.
 */
int lv_table_format(const struct lv_table *table, char **ret_text);

/*
 * LVM2's dm name of @lv_name in @vg_name: "<vg>-<lv>" with each '-' inside
 * either doubled (libdm's dm_build_dm_name), so "my-vg"/"lv-1" becomes
 * "my--vg-lv--1". -ENAMETOOLONG past LV_DM_NAME_MAX; -EINVAL for an empty
 * name.
 */
int lv_dm_name(const char *vg_name, const char *lv_name, char ret_name[LV_DM_NAME_MAX + 1],
	       struct vg_error *err);

/*
 * LVM2's dm uuid: "LVM-" + the 32-character VG id + the 32-character LV id
 * (no dashes; dashed ids are accepted and their dashes dropped). -EINVAL
 * when an id is not 32 valid characters.
 */
int lv_dm_uuid(const char *vg_id, const char *lv_id, char ret_uuid[LV_DM_UUID_MAX + 1], struct vg_error *err);
