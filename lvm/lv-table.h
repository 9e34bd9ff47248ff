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
	const char *target; /* "linear" or "striped" (static strings) */
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
