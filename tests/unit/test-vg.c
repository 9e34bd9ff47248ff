/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of lvm/vg.c: the VG model built by hand the way operations
 * build it, look-ups, deep copies, lvm2's name rules, and vg_validate()
 * catching every structural fault before anything reaches a disk.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "alloc.h"
#include "vg.h"
#include "vg-text.h"

static char *xstrdup(const char *s)
{
	char *copy = strdup(s);

	assert_non_null(copy);
	return copy;
}

/* A 32-character id unique per (@prefix, @n). */
static void make_id(char id[LVM_UUID_LEN + 1], char prefix, unsigned n)
{
	snprintf(id, LVM_UUID_LEN + 1, "%c%031u", prefix, n);
}

/* VG "vg0" with @n_pvs PVs of @pe_count extents each, 4 MiB extents. */
static struct vg *make_vg(size_t n_pvs, uint64_t pe_count)
{
	struct vg *vg = vg_new();

	assert_non_null(vg);
	vg->name = xstrdup("vg0");
	make_id(vg->id, 'V', 0);
	vg->seqno = 1;
	vg->format = xstrdup("lvm2");
	vg->status = VG_STATUS_RESIZEABLE | VG_STATUS_READ | VG_STATUS_WRITE;
	vg->extent_size_sectors = 8192;
	vg->has_metadata_copies = true;
	vg->pvs = calloc(n_pvs, sizeof(*vg->pvs));
	for (size_t i = 0; i < n_pvs; i++) {
		struct vg_pv *pv = calloc(1, sizeof(*pv));
		char key[32];

		assert_non_null(pv);
		snprintf(key, sizeof(key), "pv%zu", i);
		pv->key = xstrdup(key);
		make_id(pv->id, 'P', (unsigned)i);
		pv->status = PV_STATUS_ALLOCATABLE;
		pv->pe_start_sectors = 2048;
		pv->pe_count = pe_count;
		pv->has_dev_size = true;
		pv->dev_size_sectors = 2048 + pe_count * 8192;
		vg->pvs[vg->n_pvs++] = pv;
	}
	return vg;
}

static struct vg_lv *add_lv(struct vg *vg, const char *name)
{
	struct vg_lv *lv = calloc(1, sizeof(*lv));
	struct vg_lv **bigger = realloc(vg->lvs, (vg->n_lvs + 1) * sizeof(*vg->lvs));

	assert_non_null(lv);
	assert_non_null(bigger);
	vg->lvs = bigger;
	lv->name = xstrdup(name);
	make_id(lv->id, 'L', (unsigned)vg->n_lvs);
	lv->status = LV_STATUS_READ | LV_STATUS_WRITE | LV_STATUS_VISIBLE;
	lv->has_creation = true;
	lv->creation_time = 1795628460;
	lv->creation_host = xstrdup("host");
	vg->lvs[vg->n_lvs++] = lv;
	return lv;
}

/* A striped segment; varargs are (pv_index, first_pe) pairs, one per stripe. */
static struct vg_segment *add_seg(struct vg_lv *lv, uint64_t start, uint64_t count,
				  uint32_t stripe_count, uint64_t stripe_size, ...)
{
	struct vg_segment *seg = calloc(1, sizeof(*seg));
	struct vg_segment **bigger =
		realloc(lv->segments, (lv->n_segments + 1) * sizeof(*lv->segments));
	va_list ap;

	assert_non_null(seg);
	assert_non_null(bigger);
	lv->segments = bigger;
	seg->start_extent = start;
	seg->extent_count = count;
	seg->type = xstrdup("striped");
	seg->is_striped = true;
	seg->stripe_count = stripe_count;
	seg->stripe_size_sectors = stripe_size;
	seg->stripes = calloc(stripe_count, sizeof(*seg->stripes));
	va_start(ap, stripe_size);
	for (uint32_t s = 0; s < stripe_count; s++) {
		seg->stripes[s].pv_index = va_arg(ap, size_t);
		seg->stripes[s].first_pe = va_arg(ap, uint64_t);
	}
	va_end(ap);
	lv->segments[lv->n_segments++] = seg;
	return seg;
}

#define PV(i, pe) (size_t)(i), (uint64_t)(pe)

/* The worked example: root on pv0, data on pv0 and pv1, a 2-stripe LV. */
static struct vg *make_good_vg(void)
{
	struct vg *vg = make_vg(2, 15);
	struct vg_lv *lv;

	lv = add_lv(vg, "root");
	add_seg(lv, 0, 4, 1, 0, PV(0, 0));
	lv = add_lv(vg, "data");
	add_seg(lv, 0, 3, 1, 0, PV(0, 4));
	add_seg(lv, 3, 5, 1, 0, PV(1, 2));
	lv = add_lv(vg, "fast");
	add_seg(lv, 0, 4, 2, 128, PV(0, 8), PV(1, 8));
	return vg;
}

static void validate_fails(const struct vg *vg, const char *what)
{
	struct vg_error err = { 0 };

	assert_int_equal(vg_validate(vg, &err), -EBADMSG);
	assert_int_equal(err.code, -EBADMSG);
	if (!strstr(err.message, what))
		fail_msg("expected \"%s\" in \"%s\"", what, err.message);
}

static void test_good_vg(void **state)
{
	_cleanup_(vg_freep) struct vg *vg = make_good_vg();
	struct vg_error err = { 0 };

	if (vg_validate(vg, &err) < 0)
		fail_msg("%s", err.message);
	assert_int_equal(vg_lv_extents(vg_find_lv(vg, "data")), 8);
	assert_int_equal(vg_lv_extents(vg_find_lv(vg, "fast")), 4);
	assert_null(vg_find_lv(vg, "nothing"));
	assert_null(vg_find_lv(vg, NULL));
	for (size_t l = 0; l < vg->n_lvs; l++)
		assert_ptr_equal(vg_find_lv_from_end(vg, vg->lvs[l]->name), vg->lvs[l]);
	assert_null(vg_find_lv_from_end(vg, "nothing"));
	assert_null(vg_find_lv_from_end(vg, NULL));
	assert_int_equal(vg_find_pv_by_id(vg, vg->pvs[1]->id), 1);
	/* dashes anywhere are ignored, as lvm2 does */
	assert_int_equal(vg_find_pv_by_id(vg, "P00000-0000-0000-0000-0000-0000-000001"), 1);
	assert_int_equal(vg_find_pv_by_id(vg, "P0000000000000000000000000000009"), -1);
	assert_int_equal(vg_find_pv_by_id(vg, "short"), -1);
	assert_int_equal(vg_find_pv_by_id(vg, "P000000000000000000000000000000000000001"), -1);
}

static void test_overlapping_extents(void **state)
{
	_cleanup_(vg_freep) struct vg *vg = make_good_vg();
	struct vg_lv *lv = add_lv(vg, "thief");

	/* pv1 extents 2..6 belong to data; 6 is taken again */
	add_seg(lv, 0, 2, 1, 0, PV(1, 6));
	validate_fails(vg, "both use extent 6 of pv1");
	validate_fails(vg, "\"thief\"");
}

/* Runs that meet at a 64-extent word boundary of the extent bitmap are fine; one across it is not. */
static void test_extent_runs_at_word_boundaries(void **state)
{
	_cleanup_(vg_freep) struct vg *vg = make_good_vg();
	struct vg_error err = { 0 };
	struct vg_lv *lv;

	vg->pvs[1]->pe_count = 300;
	add_seg(add_lv(vg, "low"), 0, 51, 1, 0, PV(1, 13)); /* extents 13..63 */
	add_seg(add_lv(vg, "high"), 0, 128, 1, 0, PV(1, 64)); /* 64..191 */
	add_seg(add_lv(vg, "tail"), 0, 108, 1, 0, PV(1, 192)); /* 192..299, the last */
	if (vg_validate(vg, &err) < 0)
		fail_msg("%s", err.message);
	lv = add_lv(vg, "across");
	add_seg(lv, 0, 1, 1, 0, PV(1, 127));
	validate_fails(vg, "both use extent 127 of pv1");
}

/* The free map: every gap of every allocatable PV in order, gaps and runs across 64-extent words. */
static void test_free_map(void **state)
{
	_cleanup_(vg_freep) struct vg *vg = make_good_vg();
	struct vg_free_map map = { 0 };
	struct vg_error err = { 0 };
	const struct pe_range expected[] = {
		{ 0, 7, 1 }, { 0, 10, 190 },
		{ 1, 0, 2 }, { 1, 7, 1 }, { 1, 10, 3 }, { 1, 300, 20 },
	};

	vg->pvs[0]->pe_count = 200;
	vg->pvs[1]->pe_count = 320;
	add_seg(add_lv(vg, "low"), 0, 51, 1, 0, PV(1, 13)); /* extents 13..63 */
	add_seg(add_lv(vg, "high"), 0, 236, 1, 0, PV(1, 64)); /* 64..299 */
	assert_int_equal(vg_free_map_build(vg, &map, &err), 0);
	assert_int_equal(map.n, ARRAY_SIZE(expected));
	for (size_t i = 0; i < map.n; i++) {
		assert_int_equal(map.ranges[i].pv_index, expected[i].pv_index);
		assert_int_equal(map.ranges[i].start, expected[i].start);
		assert_int_equal(map.ranges[i].count, expected[i].count);
	}
	vg_free_map_done(&map);

	/* a PV that takes no allocations has no free ranges; a full one neither */
	vg->pvs[0]->status &= ~PV_STATUS_ALLOCATABLE;
	add_seg(add_lv(vg, "rest"), 0, 20, 1, 0, PV(1, 300));
	assert_int_equal(vg_free_map_build(vg, &map, &err), 0);
	assert_int_equal(map.n, 3);
	assert_int_equal(map.ranges[2].start, 10);
	vg_free_map_done(&map);

	/* an extent used twice is named */
	add_seg(add_lv(vg, "twice"), 0, 1, 1, 0, PV(1, 64));
	assert_int_equal(vg_free_map_build(vg, &map, &err), -EBADMSG);
	assert_non_null(strstr(err.message, "physical extent 64 of pv1 is used twice"));
}

static void test_overlap_within_striped(void **state)
{
	_cleanup_(vg_freep) struct vg *vg = make_good_vg();
	struct vg_lv *lv = add_lv(vg, "thief");

	/* fast uses pv0 8..9 and pv1 8..9 */
	add_seg(lv, 0, 1, 1, 0, PV(0, 9));
	validate_fails(vg, "extent 9 of pv0");
}

static void test_stripe_out_of_bounds(void **state)
{
	_cleanup_(vg_freep) struct vg *vg = make_good_vg();
	struct vg_lv *lv = add_lv(vg, "big");

	add_seg(lv, 0, 4, 1, 0, PV(1, 12)); /* 12..15 but pe_count is 15 */
	validate_fails(vg, "beyond the 15 extents of pv1");
}

static void test_stripe_bad_pv(void **state)
{
	_cleanup_(vg_freep) struct vg *vg = make_good_vg();
	struct vg_lv *lv = add_lv(vg, "ghost");

	add_seg(lv, 0, 1, 1, 0, PV(7, 0));
	validate_fails(vg, "does not exist");
}

static void test_segment_gaps(void **state)
{
	_cleanup_(vg_freep) struct vg *gap = make_vg(1, 100);
	_cleanup_(vg_freep) struct vg *late = make_vg(1, 100);
	_cleanup_(vg_freep) struct vg *overlap = make_vg(1, 100);
	_cleanup_(vg_freep) struct vg *empty = make_vg(1, 100);
	_cleanup_(vg_freep) struct vg *zero = make_vg(1, 100);
	struct vg_lv *lv;

	lv = add_lv(gap, "gappy");
	add_seg(lv, 0, 2, 1, 0, PV(0, 0));
	add_seg(lv, 3, 2, 1, 0, PV(0, 10));
	validate_fails(gap, "segment 2 starts at extent 3, expected 2");

	lv = add_lv(late, "late");
	add_seg(lv, 1, 2, 1, 0, PV(0, 0));
	validate_fails(late, "starts at extent 1, expected 0");

	lv = add_lv(overlap, "over");
	add_seg(overlap->lvs[0], 0, 4, 1, 0, PV(0, 0));
	add_seg(overlap->lvs[0], 2, 4, 1, 0, PV(0, 20));
	validate_fails(overlap, "starts at extent 2, expected 4");

	add_lv(empty, "nothing");
	validate_fails(empty, "has no segments");

	lv = add_lv(zero, "zero");
	add_seg(lv, 0, 0, 1, 0, PV(0, 0));
	validate_fails(zero, "out of range");
}

static void test_stripe_rules(void **state)
{
	_cleanup_(vg_freep) struct vg *indivisible = make_vg(2, 100);
	_cleanup_(vg_freep) struct vg *bad_size = make_vg(2, 100);
	_cleanup_(vg_freep) struct vg *no_size = make_vg(2, 100);
	_cleanup_(vg_freep) struct vg *no_stripes = make_vg(2, 100);
	struct vg_segment *seg;

	add_seg(add_lv(indivisible, "odd"), 0, 5, 2, 128, PV(0, 0), PV(1, 0));
	validate_fails(indivisible, "5 extents do not divide into 2 stripes");

	add_seg(add_lv(bad_size, "odd"), 0, 4, 2, 96, PV(0, 0), PV(1, 0));
	validate_fails(bad_size, "stripe_size 96 is not a power of two");

	add_seg(add_lv(no_size, "odd"), 0, 4, 2, 0, PV(0, 0), PV(1, 0));
	validate_fails(no_size, "stripe_size 0");

	seg = add_seg(add_lv(no_stripes, "odd"), 0, 4, 1, 0, PV(0, 0));
	seg->stripe_count = 0;
	validate_fails(no_stripes, "has no stripes");
}

static void test_extent_size_rules(void **state)
{
	_cleanup_(vg_freep) struct vg *vg = make_good_vg();

	vg->extent_size_sectors = 0;
	validate_fails(vg, "extent_size 0");
	vg->extent_size_sectors = 1000;
	validate_fails(vg, "extent_size 1000");
	vg->extent_size_sectors = 768; /* 3 x 128 KiB: allowed though not a power of two */
	assert_int_equal(vg_validate(vg, NULL), 0);
	vg->extent_size_sectors = 8;
	assert_int_equal(vg_validate(vg, NULL), 0);
	vg->extent_size_sectors = UINT64_C(1) << 33;
	validate_fails(vg, "extent_size");
}

static void test_names_and_ids(void **state)
{
	_cleanup_(vg_freep) struct vg *vg = make_good_vg();

	free(vg->lvs[1]->name);
	vg->lvs[1]->name = xstrdup("root");
	validate_fails(vg, "two LVs are named \"root\"");
	free(vg->lvs[1]->name);
	vg->lvs[1]->name = xstrdup("bad name");
	validate_fails(vg, "LV name \"bad name\"");
	free(vg->lvs[1]->name);
	vg->lvs[1]->name = xstrdup("data_rimage_0"); /* hidden sub-LV names are fine here */
	assert_int_equal(vg_validate(vg, NULL), 0);

	memcpy(vg->lvs[2]->id, vg->lvs[0]->id, sizeof(vg->lvs[0]->id));
	validate_fails(vg, "two LVs have the id");
	make_id(vg->lvs[2]->id, 'L', 2);
	vg->lvs[2]->id[5] = '/';
	validate_fails(vg, "invalid id");
	make_id(vg->lvs[2]->id, 'L', 2);

	memcpy(vg->pvs[1]->id, vg->pvs[0]->id, sizeof(vg->pvs[0]->id));
	validate_fails(vg, "two PVs have the id");
	make_id(vg->pvs[1]->id, 'P', 1);
	free(vg->pvs[1]->key);
	vg->pvs[1]->key = xstrdup("pv0");
	validate_fails(vg, "two PVs are named \"pv0\"");
	free(vg->pvs[1]->key);
	vg->pvs[1]->key = NULL; /* a new PV not yet named */
	assert_int_equal(vg_validate(vg, NULL), 0);

	free(vg->name);
	vg->name = xstrdup("-vg");
	validate_fails(vg, "must not start with '-'");
	free(vg->name);
	vg->name = xstrdup("vg0");
	vg->id[0] = '\0';
	validate_fails(vg, "VG has an invalid id");
}

static void test_limits(void **state)
{
	_cleanup_(vg_freep) struct vg *vg = make_good_vg();

	vg->max_pv = 1;
	validate_fails(vg, "max_pv is 1");
	vg->max_pv = 2;
	vg->max_lv = 2;
	validate_fails(vg, "3 visible LVs but max_lv is 2");
	vg->lvs[2]->status &= ~LV_STATUS_VISIBLE; /* hidden LVs do not count */
	assert_int_equal(vg_validate(vg, NULL), 0);
	vg->seqno = UINT64_C(1) << 32;
	validate_fails(vg, "seqno");
}

static void test_creation_pair(void **state)
{
	_cleanup_(vg_freep) struct vg *vg = make_good_vg();

	free(vg->lvs[0]->creation_host);
	vg->lvs[0]->creation_host = NULL;
	validate_fails(vg, "creation time but no host");
}

static void test_vg_name_check(void **state)
{
	struct vg_error err = { 0 };
	char long_name[200];

	assert_int_equal(vg_name_check("VG", "vg_raid", &err), 0);
	assert_int_equal(vg_name_check("VG", "a+b.c_d-e", &err), 0);
	assert_int_equal(vg_name_check("VG", "...", &err), 0);
	assert_int_equal(vg_name_check("VG", "0", &err), 0);
	assert_int_equal(vg_name_check("LV", "x-", &err), 0);

	assert_int_equal(vg_name_check("VG", "", &err), -EINVAL);
	assert_string_equal(err.message, "VG name is empty");
	assert_int_equal(vg_name_check("VG", NULL, &err), -EINVAL);
	assert_int_equal(vg_name_check("LV", "-x", &err), -EINVAL);
	assert_non_null(strstr(err.message, "must not start with '-'"));
	assert_int_equal(vg_name_check("VG", ".", &err), -EINVAL);
	assert_int_equal(vg_name_check("VG", "..", &err), -EINVAL);
	assert_int_equal(vg_name_check("VG", "a/b", &err), -EINVAL);
	assert_int_equal(vg_name_check("VG", "a b", &err), -EINVAL);
	assert_int_equal(vg_name_check("VG", "caf\xc3\xa9", &err), -EINVAL);
	assert_non_null(strstr(err.message, "caf??")); /* no raw bytes in messages */
	assert_int_equal(vg_name_check("VG", "a\"b", &err), -EINVAL);

	memset(long_name, 'n', sizeof(long_name));
	long_name[127] = '\0';
	assert_int_equal(vg_name_check("VG", long_name, &err), 0);
	long_name[127] = 'n';
	long_name[128] = '\0';
	assert_int_equal(vg_name_check("VG", long_name, &err), -EINVAL);
	assert_non_null(strstr(err.message, "longer than 127"));
}

static void test_lv_name_check(void **state)
{
	static const char *const refused[] = {
		"pvmove0",	  "snapshot",	  "snapshot1",	 "a_cdata",  "a_cmeta",  "a_corig",
		"a_mimage_0",	  "a_mlog",	  "a_rimage_1", "a_rmeta_1", "a_tdata",  "a_tmeta",
		"a_vdata",	  "lvol0_pmspare", "a_vorigin", "a_cvol",   "a_cpool",  "a_wcorig",
		"a_imeta",	  "a_iorig",	  "x_rimagey",
	};
	static const char *const allowed[] = {
		"lv_files", "vm1-disk0", "my_pvmove", "a_vpool",
		"a_tpool",  "a_real",	 "a_cow",     "rimage",
	};
	struct vg_error err = { 0 };

	for (size_t i = 0; i < ARRAY_SIZE(refused); i++) {
		if (lv_name_check(refused[i], &err) != -EINVAL)
			fail_msg("%s should be refused", refused[i]);
		assert_non_null(strstr(err.message, "reserved"));
	}
	for (size_t i = 0; i < ARRAY_SIZE(allowed); i++)
		if (lv_name_check(allowed[i], &err) != 0)
			fail_msg("%s should be allowed: %s", allowed[i], err.message);
	assert_int_equal(lv_name_check("-lv", &err), -EINVAL);
}

static char *render(const struct vg *vg)
{
	struct vg_text_header h = { "test", "test", "host", NULL, 1795628460 };
	struct strbuf sb;

	strbuf_init(&sb);
	assert_int_equal(vg_text_render_backup(vg, &h, &sb), 0);
	return strbuf_steal(&sb, NULL);
}

static void test_clone(void **state)
{
	_cleanup_(vg_freep) struct vg *vg = make_good_vg();
	_cleanup_(vg_freep) struct vg *copy = NULL;
	_cleanup_free_ char *before = NULL, *after = NULL, *changed = NULL;
	static const char extra_text[] = "system_id = \"host1\"\nfuture { k = [1, \"v\"] }\n";
	struct cfg_tree *tree = NULL;

	/* give it words and extra nodes so the copy has everything to copy */
	vg->tags.words = calloc(1, sizeof(char *));
	vg->tags.words[0] = xstrdup("site_a");
	vg->tags.n = 1;
	assert_int_equal(cfg_parse(extra_text, sizeof(extra_text) - 1, &tree, NULL), 0);
	vg->extra = cfg_node_list_clone(tree->root.children);
	vg->lvs[0]->segments[0]->extra = cfg_node_clone(tree->root.children);
	cfg_tree_free(tree);
	vg->description = xstrdup("desc");

	before = render(vg);
	copy = vg_clone(vg);
	assert_non_null(copy);
	after = render(copy);
	assert_string_equal(before, after);

	/* deep: changing the copy leaves the original alone */
	copy->lvs[0]->segments[0]->stripes[0].first_pe = 11;
	free(copy->lvs[1]->name);
	copy->lvs[1]->name = xstrdup("renamed");
	changed = render(vg);
	assert_string_equal(before, changed);
	assert_null(vg_clone(NULL));
}

static void test_free_accepts_null(void **state)
{
	struct vg *vg;

	assert_null(vg_free(NULL));
	assert_null(vg_lv_free(NULL));
	assert_null(vg_pv_free(NULL));
	/* and half-built objects */
	vg = vg_new();
	vg->lvs = calloc(2, sizeof(*vg->lvs));
	vg->lvs[0] = calloc(1, sizeof(struct vg_lv));
	vg->n_lvs = 1;
	assert_null(vg_free(vg));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_vg),
		cmocka_unit_test(test_overlapping_extents),
		cmocka_unit_test(test_extent_runs_at_word_boundaries),
		cmocka_unit_test(test_free_map),
		cmocka_unit_test(test_overlap_within_striped),
		cmocka_unit_test(test_stripe_out_of_bounds),
		cmocka_unit_test(test_stripe_bad_pv),
		cmocka_unit_test(test_segment_gaps),
		cmocka_unit_test(test_stripe_rules),
		cmocka_unit_test(test_extent_size_rules),
		cmocka_unit_test(test_names_and_ids),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_creation_pair),
		cmocka_unit_test(test_vg_name_check),
		cmocka_unit_test(test_lv_name_check),
		cmocka_unit_test(test_clone),
		cmocka_unit_test(test_free_accepts_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
