/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The pure VG/LV operations and the allocator: results checked segment by
 * segment, refusals checked for their errno and message, inputs checked to
 * be untouched, and a seeded random walk validated after every step.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "vg-ops.h"
#include "vg-text.h"

#define PV_EXTENTS 100

static const char *pv_ids[] = {
	"pv0000pv0000pv0000pv0000pv0000p0",
	"pv1111pv1111pv1111pv1111pv1111p1",
	"pv2222pv2222pv2222pv2222pv2222p2",
	"pv3333pv3333pv3333pv3333pv3333p3",
};

static struct pv_join join_of(size_t i, uint64_t extents)
{
	return (struct pv_join){
		.id = pv_ids[i],
		.device_hint = "/dev/test",
		.dev_size_sectors = 2048 + extents * 8192,
		.pe_start_sectors = 2048,
		.data_end_sectors = 2048 + extents * 8192,
	};
}

static struct vg *make_vg(size_t n_pvs)
{
	struct pv_join joins[4];
	struct vg *vg = NULL;
	struct vg_error err = { 0 };

	for (size_t i = 0; i < n_pvs; i++)
		joins[i] = join_of(i, PV_EXTENTS);
	assert_int_equal(vg_op_create("vg_test", 0, joins, n_pvs, NULL, &vg, &err), 0);
	return vg;
}

static char *render(const struct vg *vg)
{
	struct vg_text_header header = { .generator = "t", .description = "", .creation_host = "h", .uname_line = "" };
	struct strbuf sb;

	strbuf_init(&sb);
	assert_int_equal(vg_text_render_raw(vg, &header, &sb), 0);
	return strbuf_steal(&sb, NULL);
}

/* Create @name of @extents (linear) on @vg, replacing it; asserts success. */
static void create_lv(struct vg **vg, const char *name, uint64_t extents, uint32_t stripes, enum alloc_policy policy)
{
	struct lv_create_request req = {
		.name = name,
		.size = { .extents = extents },
		.stripes = stripes,
		.policy = policy,
		.creation_host = "h",
	};
	struct vg *next = NULL;
	struct vg_error err = { 0 };
	int r = lv_op_create(*vg, &req, &next, &err);

	if (r < 0)
		fail_msg("lv create %s: %s", name, err.message);
	assert_int_equal(vg_validate(next, &err), 0);
	vg_free(*vg);
	*vg = next;
}

static void assert_segment(const struct vg *vg, const char *lv_name, size_t index, uint64_t start, uint64_t count,
			   size_t pv, uint64_t first_pe)
{
	const struct vg_lv *lv = vg_find_lv(vg, lv_name);

	assert_non_null(lv);
	assert_true(index < lv->n_segments);
	assert_int_equal(lv->segments[index]->start_extent, start);
	assert_int_equal(lv->segments[index]->extent_count, count);
	assert_int_equal(lv->segments[index]->stripes[0].pv_index, pv);
	assert_int_equal(lv->segments[index]->stripes[0].first_pe, first_pe);
}

static void test_create_and_fill(void **state)
{
	_cleanup_(vg_freep) struct vg *vg = make_vg(3);
	struct vg_error err = { 0 };

	assert_int_equal(vg->n_pvs, 3);
	assert_int_equal(vg->pvs[0]->pe_count, PV_EXTENTS);
	assert_string_equal(vg->pvs[2]->key, "pv2");

	create_lv(&vg, "small", 10, 1, ALLOC_NORMAL);
	assert_int_equal(vg_find_lv(vg, "small")->n_segments, 1);
	assert_segment(vg, "small", 0, 0, 10, 0, 0);

	/* 50%FREE of 290 = 145: no run holds it, so the largest runs fill it */
	struct lv_create_request req = {
		.name = "half", .size = { .spec = { .percent_of = SIZE_PERCENT_FREE, .percent = 50 } },
	};
	struct vg *next = NULL;
	assert_int_equal(lv_op_create(vg, &req, &next, &err), 0);
	vg_free(vg);
	vg = next;
	assert_int_equal(vg_lv_extents(vg_find_lv(vg, "half")), 145);
	assert_int_equal(vg_find_lv(vg, "half")->n_segments, 2);
	assert_segment(vg, "half", 0, 0, 100, 1, 0);
	assert_segment(vg, "half", 1, 100, 45, 2, 0);
	assert_int_equal(vg_free_extents(vg, NULL), 300 - 155);
}

static void test_extend_continues_last_segment(void **state)
{
	_cleanup_(vg_freep) struct vg *vg = make_vg(2);
	struct lv_resize_request grow = { .name = "a", .size = { .extents = 5, .extents_sign = SIZE_SIGN_PLUS } };
	struct vg *next = NULL;
	struct vg_error err = { 0 };

	create_lv(&vg, "a", 10, 1, ALLOC_NORMAL);
	assert_int_equal(lv_op_resize(vg, &grow, &next, &err), 0);
	vg_free(vg);
	vg = next;
	/* merged, not a second segment */
	assert_int_equal(vg_find_lv(vg, "a")->n_segments, 1);
	assert_segment(vg, "a", 0, 0, 15, 0, 0);
}

static void test_contiguous_refuses_fragments(void **state)
{
	_cleanup_(vg_freep) struct vg *vg = make_vg(2);
	struct lv_create_request req = { .name = "big", .size = { .extents = 95 }, .policy = ALLOC_CONTIGUOUS };
	struct vg *next = NULL;
	struct vg_error err = { 0 };

	create_lv(&vg, "a", 10, 1, ALLOC_NORMAL);
	create_lv(&vg, "b", 10, 1, ALLOC_NORMAL);
	/* runs of 80 and 100: 95 fits only in the second */
	assert_int_equal(lv_op_create(vg, &req, &next, &err), 0);
	assert_segment(next, "big", 0, 0, 95, 1, 0);
	vg_free(next);
	next = NULL;
	req.size.extents = 101;
	assert_int_equal(lv_op_create(vg, &req, &next, &err), -ENOSPC);
	assert_null(next);
	assert_non_null(strstr(err.message, "contiguous"));
	/* the normal policy fills it from two runs */
	req.policy = ALLOC_NORMAL;
	assert_int_equal(lv_op_create(vg, &req, &next, &err), 0);
	assert_int_equal(vg_find_lv(next, "big")->n_segments, 2);
	vg_free(next);
}

static void test_no_space_names_amounts(void **state)
{
	_cleanup_(vg_freep) struct vg *vg = make_vg(1);
	struct lv_create_request req = { .name = "huge", .size = { .extents = 101 } };
	struct vg *next = NULL;
	struct vg_error err = { 0 };

	assert_int_equal(lv_op_create(vg, &req, &next, &err), -ENOSPC);
	assert_non_null(strstr(err.message, "101 extents needed, only 100 free"));
}

static void test_stripes_on_distinct_pvs(void **state)
{
	_cleanup_(vg_freep) struct vg *vg = make_vg(3);
	const struct vg_segment *seg;

	create_lv(&vg, "filler", 30, 1, ALLOC_NORMAL);
	create_lv(&vg, "wide", 20, 2, ALLOC_NORMAL);
	seg = vg_find_lv(vg, "wide")->segments[0];
	assert_int_equal(seg->stripe_count, 2);
	assert_int_equal(seg->extent_count, 20);
	assert_int_equal(seg->stripe_size_sectors, LV_DEFAULT_STRIPE_SECTORS);
	assert_int_not_equal(seg->stripes[0].pv_index, seg->stripes[1].pv_index);
	/* 3 stripes over 3 PVs, odd size rounded up to a multiple of 3 */
	create_lv(&vg, "wider", 7, 3, ALLOC_NORMAL);
	assert_int_equal(vg_lv_extents(vg_find_lv(vg, "wider")), 9);
}

static void test_reduce_needs_force(void **state)
{
	_cleanup_(vg_freep) struct vg *vg = make_vg(1);
	struct lv_resize_request shrink = { .name = "a", .size = { .spec = { .bytes = UINT64_C(8) << 20 } } };
	struct vg *next = NULL;
	struct vg_error err = { 0 };

	create_lv(&vg, "a", 10, 1, ALLOC_NORMAL);
	assert_int_equal(lv_op_resize(vg, &shrink, &next, &err), -EPERM);
	assert_non_null(strstr(err.message, "destroys"));
	shrink.allow_reduce = true;
	assert_int_equal(lv_op_resize(vg, &shrink, &next, &err), 0);
	assert_int_equal(vg_lv_extents(vg_find_lv(next, "a")), 2);
	vg_free(next);
	/* same size: nothing to do, said as such */
	shrink.size.spec.bytes = UINT64_C(40) << 20;
	assert_int_equal(lv_op_resize(vg, &shrink, &next, &err), -EALREADY);
}

static void test_names_and_duplicates(void **state)
{
	_cleanup_(vg_freep) struct vg *vg = make_vg(1);
	struct lv_create_request req = { .name = "-bad", .size = { .extents = 1 } };
	struct vg *next = NULL;
	struct vg_error err = { 0 };

	assert_int_equal(lv_op_create(vg, &req, &next, &err), -EINVAL);
	create_lv(&vg, "ok.name+1_x-y", 1, 1, ALLOC_NORMAL);
	req.name = "ok.name+1_x-y";
	assert_int_equal(lv_op_create(vg, &req, &next, &err), -EEXIST);
	assert_int_equal(lv_op_rename(vg, "ok.name+1_x-y", "..", &next, &err), -EINVAL);
	assert_int_equal(lv_op_rename(vg, "nope", "x", &next, &err), -ENOENT);
	assert_int_equal(vg_op_rename(vg, "a/b", &next, &err), -EINVAL);
}

static void test_inputs_are_untouched(void **state)
{
	_cleanup_(vg_freep) struct vg *vg = make_vg(2);
	_cleanup_free_ char *before = NULL, *after = NULL;
	struct lv_resize_request grow = { .name = "a", .size = { .extents = 50, .extents_sign = SIZE_SIGN_PLUS } };
	struct vg *next = NULL;
	struct vg_error err = { 0 };

	create_lv(&vg, "a", 10, 1, ALLOC_NORMAL);
	before = render(vg);
	assert_int_equal(lv_op_resize(vg, &grow, &next, &err), 0);
	vg_free(next);
	assert_int_equal(lv_op_remove(vg, "a", &next, &err), 0);
	assert_int_equal(next->n_lvs, 0);
	vg_free(next);
	after = render(vg);
	assert_string_equal(before, after);
}

/*
 * LV changes share the LVs they leave alone with their input: the input
 * reads the same after each, the changed LV is a copy, and either VG can
 * be freed first (the sanitizer build checks the owner counts).
 */
static void test_changes_share_untouched_lvs(void **state)
{
	_cleanup_(vg_freep) struct vg *vg = make_vg(2);
	_cleanup_free_ char *before = NULL, *after = NULL;
	struct lv_resize_request grow = { .name = "a", .size = { .extents = 5, .extents_sign = SIZE_SIGN_PLUS } };
	const char *tags[] = { "t1" };
	struct vg *resized = NULL, *renamed = NULL, *tagged = NULL, *removed = NULL, *deep = NULL;
	struct vg_error err = { 0 };

	create_lv(&vg, "a", 10, 1, ALLOC_NORMAL);
	create_lv(&vg, "b", 10, 1, ALLOC_NORMAL);
	create_lv(&vg, "c", 10, 1, ALLOC_NORMAL);
	before = render(vg);

	assert_int_equal(lv_op_resize(vg, &grow, &resized, &err), 0);
	assert_ptr_not_equal(vg_find_lv(resized, "a"), vg_find_lv(vg, "a"));
	assert_ptr_equal(vg_find_lv(resized, "b"), vg_find_lv(vg, "b"));
	assert_ptr_equal(vg_find_lv(resized, "c"), vg_find_lv(vg, "c"));
	assert_int_equal(vg_lv_extents(vg_find_lv(resized, "a")), 15);
	assert_int_equal(vg_lv_extents(vg_find_lv(vg, "a")), 10);

	assert_int_equal(lv_op_rename(resized, "b", "b2", &renamed, &err), 0);
	assert_null(vg_find_lv(renamed, "b"));
	assert_non_null(vg_find_lv(resized, "b"));
	assert_ptr_equal(vg_find_lv(renamed, "a"), vg_find_lv(resized, "a"));
	assert_ptr_equal(vg_find_lv(renamed, "c"), vg_find_lv(vg, "c"));
	assert_int_equal(vg_find_lv(vg, "c")->other_owners, 2);

	assert_int_equal(lv_op_tag(renamed, "c", tags, 1, NULL, 0, &tagged, &err), 0);
	assert_int_equal(vg_find_lv(tagged, "c")->tags.n, 1);
	assert_int_equal(vg_find_lv(vg, "c")->tags.n, 0);
	assert_int_equal(vg_find_lv(renamed, "c")->tags.n, 0);

	assert_int_equal(lv_op_remove(tagged, "a", &removed, &err), 0);
	assert_int_equal(removed->n_lvs, 2);
	assert_int_equal(tagged->n_lvs, 3);

	/* a deep copy owns all its LVs, whatever its source shares */
	deep = vg_clone(renamed);
	assert_non_null(deep);
	for (size_t l = 0; l < deep->n_lvs; l++) {
		assert_int_equal(deep->lvs[l]->other_owners, 0);
		assert_ptr_not_equal(deep->lvs[l], renamed->lvs[l]);
	}

	/* freed in an order unlike the one they were made in */
	vg_free(renamed);
	vg_free(removed);
	after = render(vg);
	assert_string_equal(before, after);
	vg_free(resized);
	assert_int_equal(vg_find_lv(tagged, "a")->other_owners, 0);
	assert_int_equal(vg_validate(tagged, &err), 0);
	vg_free(tagged);
	assert_int_equal(vg_find_lv(vg, "c")->other_owners, 0);
	assert_int_equal(vg_find_lv(deep, "b2")->other_owners, 0);
	assert_int_equal(vg_validate(deep, &err), 0);
	vg_free(deep);
}

static void test_split_refuses_straddlers_and_moves_the_rest(void **state)
{
	_cleanup_(vg_freep) struct vg *vg = make_vg(3);
	_cleanup_(vg_freep) struct vg *bulk = NULL;
	struct vg *from = NULL, *into = NULL;
	struct vg_error err = { 0 };
	struct pv_join bulk_join = join_of(3, PV_EXTENTS);
	const char *move_pv1[] = { pv_ids[1] };
	const char *move_pv2[] = { pv_ids[2] };

	create_lv(&vg, "on0", 10, 1, ALLOC_NORMAL);     /* pv0 */
	create_lv(&vg, "span", 150, 1, ALLOC_NORMAL);   /* pv1 + pv2 */
	assert_int_equal(vg_op_create("vg_bulk", 0, &bulk_join, 1, NULL, &bulk, &err), 0);

	assert_int_equal(vg_op_split(vg, move_pv2, 1, bulk, NULL, &from, &into, &err), -EBUSY);
	assert_non_null(strstr(err.message, "span"));
	assert_null(from);

	/* without the straddler, pv2 moves with the LV wholly on it */
	struct vg *smaller = NULL;
	assert_int_equal(lv_op_remove(vg, "span", &smaller, &err), 0);
	vg_free(vg);
	vg = smaller;
	create_lv(&vg, "on1", 100, 1, ALLOC_CONTIGUOUS); /* pv1: pv0 has only 90 left */
	create_lv(&vg, "on2", 100, 1, ALLOC_CONTIGUOUS); /* pv2 */
	assert_int_equal(vg_op_split(vg, move_pv2, 1, bulk, NULL, &from, &into, &err), 0);
	assert_int_equal(from->n_pvs, 2);
	assert_int_equal(into->n_pvs, 2);
	assert_null(vg_find_lv(from, "on2"));
	assert_non_null(vg_find_lv(into, "on2"));
	assert_int_equal(vg_find_lv(into, "on2")->segments[0]->stripes[0].pv_index, 1);
	assert_string_equal(into->pvs[1]->id, pv_ids[2]);
	assert_string_equal(into->pvs[1]->key, "pv1");
	assert_int_equal(vg_validate(from, &err), 0);
	assert_int_equal(vg_validate(into, &err), 0);
	vg_free(from);
	vg_free(into);

	/* a new VG */
	assert_int_equal(vg_op_split(vg, move_pv1, 1, NULL, "vg_new", &from, &into, &err), 0);
	assert_string_equal(into->name, "vg_new");
	assert_non_null(vg_find_lv(into, "on1"));
	assert_null(vg_find_lv(into, "on0"));
	vg_free(from);
	vg_free(into);
}

static void test_merge_checks(void **state)
{
	_cleanup_(vg_freep) struct vg *a = make_vg(1);
	_cleanup_(vg_freep) struct vg *b = NULL;
	_cleanup_(vg_freep) struct vg *c = NULL;
	struct pv_join join = join_of(1, PV_EXTENTS);
	struct vg *merged = NULL;
	struct vg_error err = { 0 };

	create_lv(&a, "x", 5, 1, ALLOC_NORMAL);
	assert_int_equal(vg_op_create("vg_b", 0, &join, 1, NULL, &b, &err), 0);
	create_lv(&b, "x", 5, 1, ALLOC_NORMAL);
	assert_int_equal(vg_op_merge(a, b, &merged, &err), -EEXIST);
	join = join_of(2, PV_EXTENTS);
	assert_int_equal(vg_op_create("vg_c", 16384, &join, 1, NULL, &c, &err), 0);
	assert_int_equal(vg_op_merge(a, c, &merged, &err), -EINVAL);
	assert_non_null(strstr(err.message, "extents"));
	create_lv(&c, "y", 2, 1, ALLOC_NORMAL);
	struct vg *renamed = NULL;
	assert_int_equal(lv_op_rename(b, "x", "z", &renamed, &err), 0);
	assert_int_equal(vg_op_merge(a, renamed, &merged, &err), 0);
	assert_int_equal(merged->n_pvs, 2);
	assert_int_equal(merged->n_lvs, 2);
	assert_int_equal(vg_find_lv(merged, "z")->segments[0]->stripes[0].pv_index, 1);
	assert_int_equal(vg_validate(merged, &err), 0);
	vg_free(merged);
	vg_free(renamed);
}

static void test_reduce_only_empty_pvs(void **state)
{
	_cleanup_(vg_freep) struct vg *vg = make_vg(2);
	const char *ids[] = { pv_ids[0] };
	struct vg *next = NULL;
	struct vg_error err = { 0 };

	create_lv(&vg, "a", 10, 1, ALLOC_NORMAL);
	assert_int_equal(vg_op_reduce(vg, ids, 1, &next, &err), -EBUSY);
	assert_non_null(strstr(err.message, "LV a"));
	ids[0] = pv_ids[1];
	assert_int_equal(vg_op_reduce(vg, ids, 1, &next, &err), 0);
	assert_int_equal(next->n_pvs, 1);
	vg_free(next);
	ids[0] = pv_ids[3];
	assert_int_equal(vg_op_reduce(vg, ids, 1, &next, &err), -ENOENT);
}

/* xorshift, so the walk is the same on every machine */
static uint64_t rng_state;
static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void test_random_walk_stays_valid(void **state)
{
	_cleanup_(vg_freep) struct vg *vg = make_vg(4);
	unsigned created = 0;

	rng_state = 0x5eed1234abcdULL;
	for (int step = 0; step < 3000; step++) {
		struct vg *next = NULL;
		struct vg_error err = { 0 };
		char name[32];
		int r = 0;

		switch (rng() % 4) {
		case 0: {
			snprintf(name, sizeof(name), "lv%u", created++);
			struct lv_create_request req = {
				.name = name,
				.size = { .extents = 1 + rng() % 40 },
				.stripes = (uint32_t)(1 + rng() % 3),
				.policy = (enum alloc_policy)(rng() % 3),
			};
			r = lv_op_create(vg, &req, &next, &err);
			break;
		}
		case 1:
			if (vg->n_lvs == 0)
				continue;
			r = lv_op_remove(vg, vg->lvs[rng() % vg->n_lvs]->name, &next, &err);
			break;
		case 2: {
			if (vg->n_lvs == 0)
				continue;
			struct lv_resize_request req = {
				.name = vg->lvs[rng() % vg->n_lvs]->name,
				.size = { .extents = 1 + rng() % 20,
					  .extents_sign = rng() % 2 ? SIZE_SIGN_PLUS : SIZE_SIGN_MINUS },
				.allow_reduce = true,
			};
			r = lv_op_resize(vg, &req, &next, &err);
			break;
		}
		default: {
			if (vg->n_lvs == 0)
				continue;
			snprintf(name, sizeof(name), "renamed%u", created++);
			r = lv_op_rename(vg, vg->lvs[rng() % vg->n_lvs]->name, name, &next, &err);
			break;
		}
		}
		if (r < 0) {
			/* refusals are fine, but only the expected kinds */
			assert_true(r == -ENOSPC || r == -EINVAL || r == -EALREADY);
			assert_null(next);
			continue;
		}
		if (vg_validate(next, &err) < 0)
			fail_msg("step %d: %s", step, err.message);
		vg_free(vg);
		vg = next;
	}
}

/* Break one LV of @vg (taken private first) in a way vg_validate() refuses, chosen by @how. */
static void break_one_lv(struct vg *vg, unsigned how)
{
	size_t victim = rng() % vg->n_lvs, other = (victim + 1 + rng() % vg->n_lvs) % vg->n_lvs;
	struct vg_lv *lv = vg_lv_own(vg, victim);
	const struct vg_lv *model = vg->lvs[other];
	struct vg_segment *seg;

	assert_non_null(lv);
	assert_true(vg_lv_changeable(lv));
	seg = lv->segments[0];
	if (other == victim)
		how = 3; /* a single LV: no other to clash with */
	switch (how % 6) {
	case 0: /* another LV's name */
		free(lv->name);
		assert_non_null(lv->name = strdup(model->name));
		break;
	case 1: /* another LV's id */
		memcpy(lv->id, model->id, sizeof(lv->id));
		break;
	case 2: /* another LV's first extents */
		seg->stripes[0] = model->segments[0]->stripes[0];
		break;
	case 3: /* beyond the end of its PV */
		seg->stripes[0].first_pe = PV_EXTENTS - seg->extent_count / seg->stripe_count + 1;
		break;
	case 4: /* a gap before its first segment */
		seg->start_extent = 1;
		break;
	default: /* its own stripes on the same extents */
		if (seg->stripe_count > 1)
			seg->stripes[1] = seg->stripes[0];
		else
			lv->has_creation = true, free(lv->creation_host), lv->creation_host = NULL;
		break;
	}
}

/*
 * vg_validate_change() gives vg_validate()'s verdict and message for VGs
 * made by one or two changes from a valid one (as a daemon stages changes
 * before a commit), sound or with one LV broken in every way the checks
 * across LVs know (names, ids, extents) and the per-LV ones.
 */
static void test_change_validation_matches_whole(void **state)
{
	_cleanup_(vg_freep) struct vg *vg = make_vg(4);
	unsigned created = 0, broken = 0, refused = 0;

	rng_state = 0xc4a11e5ULL;
	for (int step = 0; step < 2000; step++) {
		_cleanup_(vg_freep) struct vg *mid = NULL;
		struct vg *next = NULL;
		struct vg_error whole = { 0 }, change = { 0 };
		int r = 0, r_whole, r_change;

		for (int op = 0; op < 1 + (int)(rng() % 2); op++) {
			const struct vg *from = next ? next : vg;
			struct vg *made = NULL;
			char name[32];

			if (from->n_lvs < 20 || rng() % 2) {
				snprintf(name, sizeof(name), "lv%u", created++);
				struct lv_create_request req = {
					.name = name,
					.size = { .extents = 1 + rng() % 6 },
					.stripes = (uint32_t)(1 + rng() % 2),
				};
				r = lv_op_create(from, &req, &made, &change);
			} else if (rng() % 2) {
				r = lv_op_remove(from, from->lvs[rng() % from->n_lvs]->name, &made, &change);
			} else {
				snprintf(name, sizeof(name), "renamed%u", created++);
				r = lv_op_rename(from, from->lvs[rng() % from->n_lvs]->name, name, &made, &change);
			}
			if (r < 0)
				break;
			vg_free(mid);
			mid = next;
			next = made;
		}
		if (!next)
			continue;
		if (next->n_lvs > 0 && rng() % 3 == 0) {
			break_one_lv(next, (unsigned)rng());
			broken++;
		}
		r_whole = vg_validate(next, &whole);
		r_change = vg_validate_change(vg, next, &change);
		assert_int_equal(r_change, r_whole);
		if (r_whole < 0) {
			assert_string_equal(change.message, whole.message);
			refused++;
			vg_free(next);
			continue;
		}
		vg_free(vg);
		vg = next;
		/* a VG with more LVs than the PVs have room for stops growing */
		while (vg->n_lvs > 60) {
			struct vg *smaller = NULL;

			assert_int_equal(lv_op_remove(vg, vg->lvs[rng() % vg->n_lvs]->name, &smaller, &change), 0);
			vg_free(vg);
			vg = smaller;
		}
	}
	/* the walk went where it should: many broken VGs, and the checks refused them */
	assert_true(broken > 400);
	assert_true(refused > 300);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_and_fill),
		cmocka_unit_test(test_extend_continues_last_segment),
		cmocka_unit_test(test_contiguous_refuses_fragments),
		cmocka_unit_test(test_no_space_names_amounts),
		cmocka_unit_test(test_stripes_on_distinct_pvs),
		cmocka_unit_test(test_reduce_needs_force),
		cmocka_unit_test(test_names_and_duplicates),
		cmocka_unit_test(test_inputs_are_untouched),
		cmocka_unit_test(test_changes_share_untouched_lvs),
		cmocka_unit_test(test_split_refuses_straddlers_and_moves_the_rest),
		cmocka_unit_test(test_merge_checks),
		cmocka_unit_test(test_reduce_only_empty_pvs),
		cmocka_unit_test(test_random_walk_stays_valid),
		cmocka_unit_test(test_change_validation_matches_whole),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
