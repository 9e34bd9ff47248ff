/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lv-table: the dm rows of LVs parsed from text metadata — FORMATS.md 5.2's
 * two-segment linear example, striped segments, refusal of a raid1 segment
 * and of a missing PV — LVM2's dm names and uuids, the tables of a move in
 * progress (pvmove0's mirror and the LVs on it), and the dm mirror status.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "lv-table.h"
#include "vg-text.h"

/* vg1: its header and two PVs of 15 extents of 4 MiB; the text after its LVs */
#define VG1_HEAD \
	"vg1 {\n" \
	"id = \"vgidvg-idvg-idvg-idvg-idvg-idvg-id0001\"\n" \
	"seqno = 3\n" \
	"format = \"lvm2\"\n" \
	"status = [\"RESIZEABLE\", \"READ\", \"WRITE\"]\n" \
	"flags = []\n" \
	"extent_size = 8192\n" \
	"max_lv = 0\n" \
	"max_pv = 0\n" \
	"metadata_copies = 0\n" \
	"physical_volumes {\n" \
	"pv0 {\n" \
	"id = \"AAAAAA-bbbb-CCCC-dddd-EEEE-ffff-GGGGGG\"\n" \
	"device = \"/dev/loop2\"\n" \
	"status = [\"ALLOCATABLE\"]\n" \
	"flags = []\n" \
	"dev_size = 131072\n" \
	"pe_start = 2048\n" \
	"pe_count = 15\n" \
	"}\n" \
	"pv1 {\n" \
	"id = \"HHHHHH-iiii-JJJJ-kkkk-LLLL-mmmm-NNNNNN\"\n" \
	"device = \"/dev/loop3\"\n" \
	"status = [\"ALLOCATABLE\"]\n" \
	"flags = []\n" \
	"dev_size = 131072\n" \
	"pe_start = 2048\n" \
	"pe_count = 15\n" \
	"}\n" \
	"}\n"
#define VG1_TAIL \
	"contents = \"Text Format Volume Group\"\n" \
	"version = 1\n" \
	"description = \"\"\n" \
	"creation_host = \"h\"\n" \
	"creation_time = 1\n"

/* The VG of FORMATS.md 3.3 (4 MiB extents, pe_start 2048) plus a striped and a raid1 LV. */
static const char vg_text[] =
	VG1_HEAD
	"logical_volumes {\n"
	"data {\n"
	"id = \"lvtwo0-lvtw-olvt-wolv-twol-vtwo-lvtwo2\"\n"
	"status = [\"READ\", \"WRITE\", \"VISIBLE\"]\n"
	"flags = []\n"
	"segment_count = 2\n"
	"segment1 {\n"
	"start_extent = 0\n"
	"extent_count = 3\n"
	"type = \"striped\"\n"
	"stripe_count = 1\n"
	"stripes = [\n\"pv0\", 4\n]\n"
	"}\n"
	"segment2 {\n"
	"start_extent = 3\n"
	"extent_count = 5\n"
	"type = \"striped\"\n"
	"stripe_count = 1\n"
	"stripes = [\n\"pv1\", 2\n]\n"
	"}\n"
	"}\n"
	"wide {\n"
	"id = \"wide00-wide-wide-wide-wide-wide-wide01\"\n"
	"status = [\"READ\", \"WRITE\", \"VISIBLE\"]\n"
	"flags = []\n"
	"segment_count = 2\n"
	"segment1 {\n"
	"start_extent = 0\n"
	"extent_count = 4\n"
	"type = \"striped\"\n"
	"stripe_count = 2\n"
	"stripe_size = 128\n"
	"stripes = [\n\"pv0\", 8,\n\"pv1\", 8\n]\n"
	"}\n"
	"segment2 {\n"
	"start_extent = 4\n"
	"extent_count = 1\n"
	"type = \"striped\"\n"
	"stripe_count = 1\n"
	"stripes = [\n\"pv1\", 0\n]\n"
	"}\n"
	"}\n"
	"mirrored {\n"
	"id = \"mirror-mirr-ormi-rror-mirr-ormi-rror01\"\n"
	"status = [\"READ\", \"WRITE\", \"VISIBLE\"]\n"
	"flags = []\n"
	"segment_count = 1\n"
	"segment1 {\n"
	"start_extent = 0\n"
	"extent_count = 1\n"
	"type = \"raid1\"\n"
	"device_count = 2\n"
	"region_size = 4096\n"
	"raids = [\n\"mirrored_rmeta_0\", \"mirrored_rimage_0\",\n\"mirrored_rmeta_1\", \"mirrored_rimage_1\"\n]\n"
	"}\n"
	"}\n"
	"}\n"
	"}\n"
	VG1_TAIL;

/*
 * vg1 with a move of data's first segment (pv0:4-6) in progress, in three
 * one-extent chunks to pv1:1, pv1:7 and pv1:12, the first committed as moved.
 */
static const char moving_vg_text[] =
	VG1_HEAD
	"logical_volumes {\n"
	"data {\n"
	"id = \"lvtwo0-lvtw-olvt-wolv-twol-vtwo-lvtwo2\"\n"
	"status = [\"READ\", \"WRITE\", \"VISIBLE\", \"LOCKED\"]\n"
	"flags = []\n"
	"segment_count = 2\n"
	"segment1 {\n"
	"start_extent = 0\n"
	"extent_count = 3\n"
	"type = \"striped\"\n"
	"stripe_count = 1\n"
	"stripes = [\n\"pvmove0\", 0\n]\n"
	"}\n"
	"segment2 {\n"
	"start_extent = 3\n"
	"extent_count = 5\n"
	"type = \"striped\"\n"
	"stripe_count = 1\n"
	"stripes = [\n\"pv1\", 2\n]\n"
	"}\n"
	"}\n"
	"pvmove0 {\n"
	"id = \"pvmove-pvmo-vepv-move-pvmo-vepv-move00\"\n"
	"status = [\"READ\", \"WRITE\", \"PVMOVE\", \"LOCKED\"]\n"
	"flags = []\n"
	"segment_count = 3\n"
	"segment1 {\nstart_extent = 0\nextent_count = 1\ntype = \"mirror\"\nmirror_count = 2\n"
	"extents_moved = 1\nregion_size = 8192\nmirrors = [\n\"pv0\", 4,\n\"pv1\", 1\n]\n}\n"
	"segment2 {\nstart_extent = 1\nextent_count = 1\ntype = \"mirror\"\nmirror_count = 2\n"
	"extents_moved = 0\nregion_size = 8192\nmirrors = [\n\"pv0\", 5,\n\"pv1\", 7\n]\n}\n"
	"segment3 {\nstart_extent = 2\nextent_count = 1\ntype = \"mirror\"\nmirror_count = 2\n"
	"extents_moved = 0\nregion_size = 8192\nmirrors = [\n\"pv0\", 6,\n\"pv1\", 12\n]\n}\n"
	"}\n"
	"}\n"
	"}\n"
	VG1_TAIL;

static const char *majmin_of(size_t pv_index, void *userdata)
{
	static const char *const devs[] = { "7:2", "7:3" };
	(void)userdata;
	return pv_index < ARRAY_SIZE(devs) ? devs[pv_index] : NULL;
}

static const char *only_pv0(size_t pv_index, void *userdata)
{
	(void)userdata;
	return pv_index == 0 ? "/dev/loop2" : NULL;
}

static struct vg *parse_vg(void)
{
	struct vg_error err = { 0 };
	struct vg *vg = NULL;
	int r = vg_text_parse(vg_text, sizeof(vg_text) - 1, &vg, &err);

	if (r < 0)
		fail_msg("parse: %s", err.message);
	return vg;
}

static char *table_text(const char *lv_name, lv_table_device_fn fn, int *ret_r, struct vg_error *err)
{
	_cleanup_(vg_freep) struct vg *vg = parse_vg();
	_cleanup_(lv_table_freep) struct lv_table *table = NULL;
	char *text = NULL;

	assert_non_null(vg_find_lv(vg, lv_name));
	*ret_r = lv_table_build(vg, vg_find_lv(vg, lv_name), fn, NULL, &table, err);
	if (*ret_r < 0) {
		assert_null(table);
		return NULL;
	}
	assert_int_equal(lv_table_format(table, &text), 0);
	return text;
}

static void test_formats_example(void **state)
{
	struct vg_error err = { 0 };
	_cleanup_free_ char *text = NULL;
	int r;

	(void)state;
	text = table_text("data", majmin_of, &r, &err);
	assert_int_equal(r, 0);
	assert_string_equal(text, "0 24576 linear 7:2 34816\n"
				  "24576 40960 linear 7:3 18432\n");
}

static void test_table_rows(void **state)
{
	_cleanup_(vg_freep) struct vg *vg = parse_vg();
	_cleanup_(lv_table_freep) struct lv_table *table = NULL;
	struct vg_error err = { 0 };

	(void)state;
	assert_int_equal(lv_table_build(vg, vg_find_lv(vg, "data"), majmin_of, NULL, &table, &err), 0);
	assert_int_equal(table->n_rows, 2);
	assert_int_equal(table->size_sectors, 65536);
	assert_int_equal(table->rows[1].start_sectors, 24576);
	assert_int_equal(table->rows[1].length_sectors, 40960);
	assert_string_equal(table->rows[1].target, "linear");
	assert_string_equal(table->rows[1].params, "7:3 18432");
}

static void test_striped(void **state)
{
	struct vg_error err = { 0 };
	_cleanup_free_ char *text = NULL;
	int r;

	(void)state;
	/* 4 extents over 2 stripes: each area starts at pe 8 = 2048 + 8 * 8192 = 67584, chunk 128 sectors */
	text = table_text("wide", majmin_of, &r, &err);
	assert_int_equal(r, 0);
	assert_string_equal(text, "0 32768 striped 2 128 7:2 67584 7:3 67584\n"
				  "32768 8192 linear 7:3 2048\n");
}

static void test_refuses_raid1(void **state)
{
	struct vg_error err = { 0 };
	int r;

	(void)state;
	assert_null(table_text("mirrored", majmin_of, &r, &err));
	assert_int_equal(r, -ENOTSUP);
	assert_int_equal(err.code, -ENOTSUP);
	assert_non_null(strstr(err.message, "raid1"));
}

static void test_missing_pv(void **state)
{
	struct vg_error err = { 0 };
	_cleanup_free_ char *text = NULL;
	int r;

	(void)state;
	assert_null(table_text("data", only_pv0, &r, &err));
	assert_int_equal(r, -ENODEV);
	assert_non_null(strstr(err.message, "pv1"));
	/* a path is as good as MAJ:MIN */
	vg_error_clear(&err);
	text = NULL;
	{
		_cleanup_(vg_freep) struct vg *vg = parse_vg();
		_cleanup_(lv_table_freep) struct lv_table *table = NULL;
		struct vg_lv *lv = vg_find_lv(vg, "data");

		/* drop the second segment: all on pv0 now */
		lv->n_segments = 1;
		assert_int_equal(lv_table_build(vg, lv, only_pv0, NULL, &table, &err), 0);
		lv->n_segments = 2;
		assert_int_equal(lv_table_format(table, &text), 0);
		assert_string_equal(text, "0 24576 linear /dev/loop2 34816\n");
	}
}

static void test_dm_name(void **state)
{
	char name[LV_DM_NAME_MAX + 1];
	char long_vg[128], lv[128];
	struct vg_error err = { 0 };

	(void)state;
	assert_int_equal(lv_dm_name("vg_raid", "lv_files", name, &err), 0);
	assert_string_equal(name, "vg_raid-lv_files");
	assert_int_equal(lv_dm_name("my-vg", "lv-1", name, &err), 0);
	assert_string_equal(name, "my--vg-lv--1");
	assert_int_equal(lv_dm_name("a--b", "-", name, &err), 0);
	assert_string_equal(name, "a----b---");

	/* 63 + 1 + 63 = 127 fits exactly; one '-' more does not */
	memset(long_vg, 'v', 63);
	long_vg[63] = '\0';
	assert_int_equal(lv_dm_name(long_vg, long_vg, name, &err), 0);
	assert_int_equal(strlen(name), 127);
	/* "-vvv…" doubles to 64: with a 63-character LV that is 128 */
	memcpy(lv, long_vg, sizeof(lv));
	long_vg[0] = '-';
	assert_int_equal(lv_dm_name(long_vg, lv, name, &err), -ENAMETOOLONG);
	assert_int_equal(lv_dm_name(long_vg, lv + 1, name, &err), 0);
	assert_string_equal(name + 124, "vvv");
	assert_int_equal(lv_dm_name("", "lv", name, &err), -EINVAL);
}

/* Mid-move, a segment on pvmove0 reads each extent where the move says it is: moved chunk on pv1, the rest on pv0. */
static void test_move_in_progress(void **state)
{
	_cleanup_(vg_freep) struct vg *vg = NULL;
	_cleanup_(lv_table_freep) struct lv_table *table = NULL;
	_cleanup_free_ char *text = NULL;
	struct vg_error err = { 0 };

	(void)state;
	if (vg_text_parse(moving_vg_text, sizeof(moving_vg_text) - 1, &vg, &err) < 0)
		fail_msg("parse: %s", err.message);
	assert_int_equal(lv_table_build(vg, vg_find_lv(vg, "data"), majmin_of, NULL, &table, &err), 0);
	assert_int_equal(lv_table_format(table, &text), 0);
	/* extent 0 on pv1:1; extents 1-2 on pv0:5-6, one row; then the segment on pv1 as before */
	assert_string_equal(text, "0 8192 linear 7:3 10240\n"
				  "8192 16384 linear 7:2 43008\n"
				  "24576 40960 linear 7:3 18432\n");
	assert_int_equal(table->size_sectors, 65536);
	lv_table_free(TAKE_PTR(table));
	/* a PV the current mapping needs is missing: refused naming it */
	assert_int_equal(lv_table_build(vg, vg_find_lv(vg, "data"), only_pv0, NULL, &table, &err), -ENODEV);
	assert_non_null(strstr(err.message, "pv1"));
}

/* pvmove0 and the LVs on it: linear onto pvmove0's device when it is given (as lvm2 maps them) */
static const char *majmin_and_move(size_t pv_index, void *userdata)
{
	(void)userdata;
	return pv_index == LV_TABLE_MOVE_DEVICE ? "253:7" : majmin_of(pv_index, NULL);
}

static struct vg *parse_moving_vg(void)
{
	struct vg_error err = { 0 };
	struct vg *vg = NULL;

	if (vg_text_parse(moving_vg_text, sizeof(moving_vg_text) - 1, &vg, &err) < 0)
		fail_msg("parse: %s", err.message);
	return vg;
}

static void test_move_device_tables(void **state)
{
	_cleanup_(vg_freep) struct vg *vg = parse_moving_vg();
	_cleanup_(lv_table_freep) struct lv_table *table = NULL;
	_cleanup_free_ char *text = NULL;
	struct vg_error err = { 0 };

	(void)state;
	assert_true(lv_table_uses_move(vg, vg_find_lv(vg, "data")));
	/* data: its first segment is pvmove0's extents 0-2, the second stays on pv1 */
	assert_int_equal(lv_table_build(vg, vg_find_lv(vg, "data"), majmin_and_move, NULL, &table, &err), 0);
	assert_int_equal(lv_table_format(table, &text), 0);
	assert_string_equal(text, "0 24576 linear 253:7 0\n"
				  "24576 40960 linear 7:3 18432\n");
	lv_table_free(TAKE_PTR(table));
	free(TAKE_PTR(text));

	/*
	 * pvmove0: chunk 1 moved (pv1:1 = 2048 + 8192), chunk 2 mirrored source first (pv0:5 = 43008,
	 * pv1:7 = 59392) with lvm2's region of one 4 MiB extent capped at 2 MiB, chunk 3 on its source (pv0:6)
	 */
	assert_int_equal(lv_table_build_move(vg, true, majmin_of, NULL, &table, &err), 0);
	assert_int_equal(lv_table_format(table, &text), 0);
	assert_string_equal(text, "0 8192 linear 7:3 10240\n"
				  "8192 8192 mirror core 1 4096 2 7:2 43008 7:3 59392\n"
				  "16384 8192 linear 7:2 51200\n");
	assert_int_equal(table->size_sectors, 24576);
	lv_table_free(TAKE_PTR(table));
	free(TAKE_PTR(text));

	/* no mirror (the bandwidth limit holds the next chunk back): every chunk not moved on its source */
	assert_int_equal(lv_table_build_move(vg, false, majmin_of, NULL, &table, &err), 0);
	assert_int_equal(lv_table_format(table, &text), 0);
	assert_string_equal(text, "0 8192 linear 7:3 10240\n"
				  "8192 8192 linear 7:2 43008\n"
				  "16384 8192 linear 7:2 51200\n");
	lv_table_free(TAKE_PTR(table));

	/* the mirror needs both PVs: one missing is refused naming it */
	assert_int_equal(lv_table_build_move(vg, true, only_pv0, NULL, &table, &err), -ENODEV);
	assert_non_null(strstr(err.message, "pv1"));
	assert_null(table);
}

static void test_move_device_none(void **state)
{
	_cleanup_(vg_freep) struct vg *vg = parse_vg();
	_cleanup_(lv_table_freep) struct lv_table *table = NULL;
	struct vg_error err = { 0 };

	(void)state;
	assert_false(lv_table_uses_move(vg, vg_find_lv(vg, "data")));
	assert_int_equal(lv_table_build_move(vg, true, majmin_of, NULL, &table, &err), -ENOENT);
	assert_null(table);
	/* a VG without a move never asks for the pvmove0 device */
	assert_int_equal(lv_table_build(vg, vg_find_lv(vg, "data"), majmin_and_move, NULL, &table, &err), 0);
	assert_string_equal(table->rows[0].params, "7:2 34816");
}

/* Status lines as the kernel prints them for a pvmove0 mirror (dmsetup status vg-pvmove0) */
static void test_mirror_status(void **state)
{
	struct lv_mirror_status st;
	struct vg_error err = { 0 };
	static const char *const bad[] = {
		"",
		"0 3/8 1 1 core",                          /* no leg */
		"10 254:1 254:2 3/8 1 AA 1 core",          /* more legs than the kernel allows */
		"2 254:1 3/8 1 AA 1 core",                 /* one device for two legs */
		"2 254:1 254:x 3/8 1 AA 1 core",
		"2 254:1 254:2 9/8 1 AA 1 core",           /* more in sync than there are */
		"2 254:1 254:2 3/0 1 AA 1 core",
		"2 254:1 254:2 3-8 1 AA 1 core",
		"2 254:1 254:2 3/8 2 AA 1 core",
		"2 254:1 254:2 3/8 1 A 1 core",            /* one health letter for two legs */
		"2 254:1 254:2 3/8 1 AX 1 core",
		"2 254:1 254:2 3/8 1 AA",                  /* no log status */
		"2 254:1 254:2 3/8 1 AA 2 core",           /* fewer log words than said */
		"2 254:1 254:2 3/8 1 AA 1 core extra",
		"2 254:1 254:2 3/8 1 AA 1 core ",
		"2 254:1 254:2 18446744073709551616/8 1 AA 1 core",
		" 2 254:1 254:2 3/8 1 AA 1 core",
	};

	(void)state;
	/* seen in the VM test: chunk 6 of a move from vda (254:0) to vdb (254:16), one region of two in sync */
	assert_int_equal(lv_mirror_status_parse("2 254:0 254:16 1/2 1 AA 1 core", &st, &err), 0);
	assert_int_equal(st.n_legs, 2);
	assert_int_equal(st.in_sync_regions, 1);
	assert_int_equal(st.total_regions, 2);
	assert_string_equal(st.health, "AA");
	assert_true(lv_mirror_status_healthy(&st));
	assert_int_equal(lv_mirror_status_parse("2 254:1 254:2 0/2 1 AA 1 core", &st, &err), 0);
	assert_int_equal(st.in_sync_regions, 0);

	assert_int_equal(lv_mirror_status_parse("2 8:0 8:16 2/2 1 AA 1 core", &st, &err), 0);
	assert_int_equal(st.in_sync_regions, 2);
	assert_int_equal(st.total_regions, 2);

	/* a disk log, and a leg whose write failed */
	assert_int_equal(lv_mirror_status_parse("2 253:3 253:4 1017/1024 1 AD 3 disk 253:2 A", &st, &err), 0);
	assert_int_equal(st.in_sync_regions, 1017);
	assert_int_equal(st.total_regions, 1024);
	assert_string_equal(st.health, "AD");
	assert_false(lv_mirror_status_healthy(&st));

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct lv_mirror_status untouched = { .n_legs = 77 };

		vg_error_clear(&err);
		if (lv_mirror_status_parse(bad[i], &untouched, &err) != -EBADMSG)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_int_equal(untouched.n_legs, 77);
		assert_non_null(strstr(err.message, "mirror status"));
	}
}

static void test_dm_uuid(void **state)
{
	char uuid[LV_DM_UUID_MAX + 1];
	struct vg_error err = { 0 };

	(void)state;
	assert_int_equal(lv_dm_uuid("vgidvg-idvg-idvg-idvg-idvg-idvg-id0001", "lvtwo0-lvtw-olvt-wolv-twol-vtwo-lvtwo2",
				    uuid, &err),
			 0);
	assert_string_equal(uuid, "LVM-vgidvgidvgidvgidvgidvgidvgid0001lvtwo0lvtwolvtwolvtwolvtwolvtwo2");
	assert_int_equal(strlen(uuid), 4 + 64);
	assert_int_equal(lv_dm_uuid("short", "lvtwo0lvtwolvtwolvtwolvtwolvtwo2", uuid, &err), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_formats_example), cmocka_unit_test(test_table_rows),
		cmocka_unit_test(test_striped),	     cmocka_unit_test(test_refuses_raid1),
		cmocka_unit_test(test_missing_pv),     cmocka_unit_test(test_dm_name),
		cmocka_unit_test(test_dm_uuid),      cmocka_unit_test(test_move_in_progress),
		cmocka_unit_test(test_move_device_tables), cmocka_unit_test(test_move_device_none),
		cmocka_unit_test(test_mirror_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
