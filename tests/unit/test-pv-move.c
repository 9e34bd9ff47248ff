/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The pv move engine on memory PVs. Every LV extent holds a pattern that
 * names its LV and logical extent; after any sequence of steps, crashes,
 * resumes and aborts, every LV read through the committed metadata must
 * hold exactly its patterns. The crash test replays a whole move from the
 * same starting bytes with each of its writes failed, torn (at several
 * sector boundaries, then a power cut) or power-cut in turn, resumes what
 * the disks say, and checks the data at the crash and after completion.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "alloc.h"
#include "pv-move.h"
#include "vg-ops.h"
#include "vg-scan.h"
#include "vg-store.h"

#define N_PVS 3
#define PV_BYTES (UINT64_C(4) << 20)
#define EXTENT_SECTORS 128 /* 64 KiB */
#define EXTENT_BYTES (EXTENT_SECTORS * 512)

static const struct vg_text_header header = {
	.generator = "vgtool test",
	.description = "Write from test-pv-move.",
	.creation_host = "testhost",
	.uname_line = "Linux testhost",
	.creation_time = 1795628460,
};

struct bench {
	struct blockdev_faults faults;
	struct blockdev *devs[N_PVS];
	char ids[N_PVS][LVM_UUID_LEN + 1];
	uint8_t *snapshot[N_PVS];
	struct vg_scan_result *scan;
	struct vg_store *store;
};

static void bench_load(struct bench *b)
{
	struct vg_error err = { 0 };

	b->store = vg_store_free(b->store);
	b->scan = vg_scan_result_free(b->scan);
	assert_int_equal(vg_scan(b->devs, N_PVS, &b->scan, &err), 0);
	assert_int_equal(b->scan->n_vgs, 1);
	if (vg_store_from_scan(b->scan, &b->scan->vgs[0], &b->store, &err) < 0)
		fail_msg("load: %s", err.message);
}

static void pattern(const char *lv, uint64_t le, uint8_t *buf)
{
	uint32_t seed = 2166136261u;

	for (const char *p = lv; *p; p++)
		seed = (seed ^ (uint8_t)*p) * 16777619u;
	seed ^= (uint32_t)le * 2654435761u;
	for (size_t i = 0; i < EXTENT_BYTES; i += 4) {
		seed = seed * 1103515245u + 12345u;
		memcpy(buf + i, &seed, 4);
	}
}

/* Write (or, with @check, verify) the pattern of every extent of every visible LV, through the metadata. */
static void lv_patterns(struct bench *b, bool check, const char *when)
{
	const struct vg *vg = b->store->vg;
	_cleanup_free_ uint8_t *want = malloc(EXTENT_BYTES), *got = malloc(EXTENT_BYTES);
	struct vg_error err = { 0 };

	for (size_t l = 0; l < vg->n_lvs; l++) {
		const struct vg_lv *lv = vg->lvs[l];

		if (!(lv->status & LV_STATUS_VISIBLE))
			continue;
		for (uint64_t le = 0; le < vg_lv_extents(lv); le++) {
			size_t pv;
			uint64_t pe, off;

			if (pv_move_map_extent(vg, lv, le, &pv, &pe, &err) < 0)
				fail_msg("%s: mapping %s:%" PRIu64 ": %s", when, lv->name, le, err.message);
			off = (vg->pvs[pv]->pe_start_sectors + pe * EXTENT_SECTORS) * 512;
			pattern(lv->name, le, want);
			if (!check) {
				assert_int_equal(blockdev_write(b->store->targets[pv].dev, off, want, EXTENT_BYTES, &err), 0);
				continue;
			}
			assert_int_equal(blockdev_read(b->store->targets[pv].dev, off, got, EXTENT_BYTES, &err), 0);
			if (memcmp(want, got, EXTENT_BYTES) != 0)
				fail_msg("%s: LV %s extent %" PRIu64 " (pv%zu:%" PRIu64 ") does not hold its data", when,
					 lv->name, le, pv, pe);
		}
	}
}

static uint64_t extents_on(const struct vg *vg, const char *lv_name, size_t pv_index)
{
	const struct vg_lv *lv = vg_find_lv(vg, lv_name);
	uint64_t n = 0;

	for (size_t s = 0; lv && s < lv->n_segments; s++)
		if (lv->segments[s]->is_striped)
			for (uint32_t k = 0; k < lv->segments[s]->stripe_count; k++)
				if (lv->segments[s]->stripes[k].pv_index == pv_index)
					n += lv->segments[s]->extent_count / lv->segments[s]->stripe_count;
	return n;
}

static void create_lv(struct vg **vg, const char *name, uint64_t extents, const char *pv_id, uint32_t stripes)
{
	struct vg_error err = { 0 };
	struct vg *next = NULL;
	const char *ids[] = { pv_id };
	struct lv_create_request req = {
		.name = name,
		.size = { .extents = extents },
		.stripes = stripes,
		.pv_ids = pv_id ? ids : NULL,
		.n_pv_ids = pv_id ? 1 : 0,
		.creation_host = "h",
	};

	if (lv_op_create(*vg, &req, &next, &err) < 0)
		fail_msg("lvcreate %s: %s", name, err.message);
	vg_free(*vg);
	*vg = next;
}

/*
 * pv0: a (0-9), b (10-13); pv1: b continues (0-5), c (6-9); pv2: empty.
 * 60 extents of 64 KiB on each PV.
 */
static void bench_open(struct bench *b)
{
	struct vg_error err = { 0 };
	struct vg_commit_target joining[N_PVS];
	struct pv_join joins[N_PVS];
	static const char *const names[N_PVS] = { "mem0", "mem1", "mem2" };
	struct vg *vg = NULL;

	memset(b, 0, sizeof(*b));
	for (int i = 0; i < N_PVS; i++) {
		struct pv_create_params params = { .mda_size_bytes = 65536, .data_alignment_bytes = 131072 };

		assert_int_equal(blockdev_open_memory(names[i], PV_BYTES, 512, &b->faults, &b->devs[i]), 0);
		joining[i].dev = b->devs[i];
		assert_int_equal(pv_create(b->devs[i], &params, &joining[i].label, &err), 0);
		memcpy(b->ids[i], joining[i].label.pv_uuid, LVM_UUID_LEN + 1);
		joins[i] = (struct pv_join){
			.id = b->ids[i],
			.device_hint = names[i],
			.dev_size_sectors = PV_BYTES / 512,
			.pe_start_sectors = pv_data_start_bytes(&joining[i].label) / 512,
			.data_end_sectors = pv_data_end_bytes(&joining[i].label, PV_BYTES) / 512,
		};
	}
	assert_int_equal(vg_op_create("movevg", EXTENT_SECTORS, joins, N_PVS, NULL, &vg, &err), 0);
	assert_int_equal(vg->pvs[0]->pe_count, 62);
	create_lv(&vg, "a", 10, b->ids[0], 1);
	/* b: fill pv0 to 14 extents, then 6 on pv1 */
	create_lv(&vg, "b", 4, b->ids[0], 1);
	{
		struct vg *next = NULL;
		const char *ids[] = { b->ids[1] };
		struct lv_resize_request grow = {
			.name = "b", .size = { .extents = 6, .extents_sign = SIZE_SIGN_PLUS }, .pv_ids = ids, .n_pv_ids = 1,
		};
		assert_int_equal(lv_op_resize(vg, &grow, &next, &err), 0);
		vg_free(vg);
		vg = next;
	}
	create_lv(&vg, "c", 4, b->ids[1], 1);
	assert_int_equal(vg_store_new(vg, &b->store, &err), 0);
	if (vg_store_commit(b->store, vg, joining, N_PVS, &header, &err) < 0)
		fail_msg("first commit: %s", err.message);
	bench_load(b);
	lv_patterns(b, false, "setup");
	for (int i = 0; i < N_PVS; i++) {
		b->snapshot[i] = malloc(PV_BYTES);
		memcpy(b->snapshot[i], blockdev_memory_bytes(b->devs[i]), PV_BYTES);
	}
}

static void bench_restore(struct bench *b)
{
	for (int i = 0; i < N_PVS; i++)
		memcpy(blockdev_memory_bytes(b->devs[i]), b->snapshot[i], PV_BYTES);
	memset(&b->faults, 0, sizeof(b->faults));
	bench_load(b);
}

static void bench_close(struct bench *b)
{
	vg_store_free(b->store);
	vg_scan_result_free(b->scan);
	for (int i = 0; i < N_PVS; i++) {
		blockdev_close(b->devs[i]);
		free(b->snapshot[i]);
	}
}

static char *render(const struct vg *vg)
{
	struct strbuf sb;

	strbuf_init(&sb);
	assert_int_equal(vg_text_render_raw(vg, &header, &sb), 0);
	return strbuf_steal(&sb, NULL);
}

static const struct pv_move_options options = { .header = &header, .step_bytes = 3 * EXTENT_BYTES };

/* Plan, start and step a move off pv0; -errno of the first failure, 0 when finished. */
static int run_move(struct bench *b, const struct pv_move_request *req, struct vg_error *err)
{
	_cleanup_(pv_move_plan_freep) struct pv_move_plan *plan = NULL;
	_cleanup_(pv_move_freep) struct pv_move *move = NULL;
	struct pv_move_progress progress = { 0 };
	int r;

	r = pv_move_plan(b->store->vg, req, &plan, err);
	if (r < 0)
		return r;
	r = pv_move_start(b->store, plan, &options, &move, err);
	while (r >= 0 && !progress.copy_done)
		r = pv_move_step(move, &progress, err);
	if (r >= 0)
		r = pv_move_finish(move, err);
	return r;
}

static void check_all_off_pv0(const struct vg *vg)
{
	assert_false(pv_move_in_progress(vg));
	assert_int_equal(extents_on(vg, "a", 0), 0);
	assert_int_equal(extents_on(vg, "b", 0), 0);
	assert_int_equal(vg_lv_extents(vg_find_lv(vg, "a")), 10);
	assert_int_equal(vg_lv_extents(vg_find_lv(vg, "b")), 10);
	assert_int_equal(vg_lv_extents(vg_find_lv(vg, "c")), 4);
	assert_int_equal(vg_pv_used_extents(vg, 0), 0);
}

static void test_move_whole_pv(void **state)
{
	struct bench b;
	struct vg_error err = { 0 };
	const char *dest[] = { NULL };
	_cleanup_(pv_move_plan_freep) struct pv_move_plan *plan = NULL;
	_cleanup_(pv_move_freep) struct pv_move *move = NULL;
	_cleanup_(vg_freep) struct vg *started = NULL;
	_cleanup_free_ char *text = NULL;
	struct pv_move_progress progress = { 0 };
	unsigned steps = 0, checkpoints = 0;

	bench_open(&b);
	dest[0] = b.ids[2];
	struct pv_move_request req = { .source_pv = b.ids[0], .dest_pvs = dest, .n_dest_pvs = 1, .max_chunk_extents = 4 };

	assert_int_equal(pv_move_plan(b.store->vg, &req, &plan, &err), 0);
	/* a: 4+4+2, b: 4 */
	assert_int_equal(plan->n_chunks, 4);
	assert_int_equal(plan->total_extents, 14);
	assert_string_equal(plan->chunks[0].lv_name, "a");
	assert_int_equal(plan->chunks[2].extent_count, 2);
	assert_string_equal(plan->chunks[3].lv_name, "b");
	assert_int_equal(plan->chunks[3].src_pe, 10);
	assert_int_equal(plan->chunks[3].dst_pv_index, 2);
	assert_int_equal(plan->chunks[3].dst_pe, 10);

	/* the metadata mid-move, as lvm2's pvmove writes it */
	assert_int_equal(pv_move_op_start(b.store->vg, plan, &started, &err), 0);
	text = render(started);
	assert_non_null(strstr(text, "pvmove0 {\nid = "));
	assert_non_null(strstr(text, "status = [\"READ\", \"WRITE\", \"PVMOVE\", \"LOCKED\"]"));
	assert_non_null(strstr(text, "segment4 {\nstart_extent = 10\nextent_count = 4\n\ntype = \"mirror\"\nmirror_count = 2\nextents_moved = 0\nregion_size = 512\n\nmirrors = [\n\"pv0\", 10,\n\"pv2\", 10\n]\n"));
	assert_non_null(strstr(text, "type = \"striped\"\nstripe_count = 1\n\nstripes = [\n\"pvmove0\", 10\n]\n"));

	assert_int_equal(pv_move_start(b.store, plan, &options, &move, &err), 0);
	assert_true(pv_move_in_progress(b.store->vg));
	lv_patterns(&b, true, "started");
	while (!progress.copy_done) {
		if (pv_move_step(move, &progress, &err) < 0)
			fail_msg("step: %s", err.message);
		steps++;
		checkpoints += progress.checkpoint;
		lv_patterns(&b, true, "step");
		if (!progress.checkpoint)
			continue;
		/* at a checkpoint, what the disks say matches what the move says */
		pv_move_free(move);
		move = NULL;
		bench_load(&b);
		assert_int_equal(pv_move_resume(b.store, &options, &move, &err), 0);
		pv_move_get_progress(move, &progress);
		assert_int_equal(progress.chunks_moved, checkpoints);
	}
	assert_int_equal(checkpoints, 4);
	assert_int_equal(progress.extents_moved, 14);
	assert_true(steps >= 6); /* 3 extents a step: a chunk of 4 takes two */
	assert_int_equal(pv_move_finish(move, &err), 0);
	check_all_off_pv0(b.store->vg);
	assert_int_equal(extents_on(b.store->vg, "a", 2), 10);
	assert_int_equal(vg_find_lv(b.store->vg, "a")->n_segments, 1); /* chunks merged back */
	assert_int_equal(vg_find_lv(b.store->vg, "a")->status & LV_STATUS_LOCKED, 0);
	lv_patterns(&b, true, "finished");
	bench_load(&b);
	check_all_off_pv0(b.store->vg);
	lv_patterns(&b, true, "reloaded");
	bench_close(&b);
}

static void test_refusals_write_nothing(void **state)
{
	struct bench b;
	struct vg_error err = { 0 };
	struct pv_move_plan *plan = NULL;
	const char *stranger = "AAAAAAbbbbCCCCddddEEEEffffGGGGGG";
	const char *dest[2];
	uint64_t writes;

	bench_open(&b);
	writes = b.faults.writes_done;

	struct pv_move_request no_source = { .source_pv = stranger };
	assert_int_equal(pv_move_plan(b.store->vg, &no_source, &plan, &err), -ENOENT);
	assert_non_null(strstr(err.message, "source PV AAAAAA-bbbb-CCCC-dddd-EEEE-ffff-GGGGGG is not in VG movevg"));

	dest[0] = stranger;
	struct pv_move_request no_dest = { .source_pv = b.ids[0], .dest_pvs = dest, .n_dest_pvs = 1 };
	assert_int_equal(pv_move_plan(b.store->vg, &no_dest, &plan, &err), -ENOENT);
	assert_non_null(strstr(err.message, "destination PV AAAAAA-bbbb-CCCC-dddd-EEEE-ffff-GGGGGG is not in VG movevg"));

	dest[0] = b.ids[0];
	struct pv_move_request self = { .source_pv = b.ids[0], .dest_pvs = dest, .n_dest_pvs = 1 };
	assert_int_equal(pv_move_plan(b.store->vg, &self, &plan, &err), -EINVAL);
	assert_non_null(strstr(err.message, "destination PV mem0 is the source"));

	struct pv_move_request not_on = { .source_pv = b.ids[0], .lv_name = "c" };
	assert_int_equal(pv_move_plan(b.store->vg, &not_on, &plan, &err), -EINVAL);
	assert_string_equal(err.message, "LV c has no extents on PV mem0");

	struct pv_move_request no_lv = { .source_pv = b.ids[0], .lv_name = "zz" };
	assert_int_equal(pv_move_plan(b.store->vg, &no_lv, &plan, &err), -ENOENT);

	const char *busy[] = { "c", "b" };
	struct pv_move_request in_use = { .source_pv = b.ids[0], .busy_lvs = busy, .n_busy_lvs = 2 };
	assert_int_equal(pv_move_plan(b.store->vg, &in_use, &plan, &err), -EBUSY);
	assert_string_equal(err.message, "LV b is in use; it must be inactive for its extents on PV mem0 to be moved");
	/* c is busy but not on mem0: moving only a is fine */
	in_use.n_busy_lvs = 1;
	in_use.lv_name = "a";
	assert_int_equal(pv_move_plan(b.store->vg, &in_use, &plan, &err), 0);
	pv_move_plan_free(plan);
	plan = NULL;

	struct pv_move_request empty = { .source_pv = b.ids[2] };
	assert_int_equal(pv_move_plan(b.store->vg, &empty, &plan, &err), -ENODATA);
	assert_string_equal(err.message, "PV mem2 holds no extents to move");

	/* pv1 holds 10 extents; pv2 gets 7 free, pv0 2 */
	{
		struct vg *vg = vg_clone(b.store->vg);
		struct pv_move_request tight = { .source_pv = b.ids[1], .dest_pvs = dest, .n_dest_pvs = 1 };

		create_lv(&vg, "filler", 55, b.ids[2], 1);
		create_lv(&vg, "filler2", 46, b.ids[0], 1);
		dest[0] = b.ids[2];
		assert_int_equal(pv_move_plan(vg, &tight, &plan, &err), -ENOSPC);
		assert_string_equal(err.message, "moving the 10 extents off PV mem1 needs 10 free extents on the "
						 "destinations; they have 7");
		dest[1] = b.ids[0];
		tight.n_dest_pvs = 2;
		assert_int_equal(pv_move_plan(vg, &tight, &plan, &err), -ENOSPC);
		assert_non_null(strstr(err.message, "they have 9"));
		/* any destination: the same two */
		tight.n_dest_pvs = 0;
		assert_int_equal(pv_move_plan(vg, &tight, &plan, &err), -ENOSPC);
		vg_free(vg);
	}

	/* striped LVs are not moved by this engine */
	{
		struct vg *vg = vg_clone(b.store->vg);
		struct pv_move_request req = { .source_pv = b.ids[2] };
		create_lv(&vg, "wide", 4, NULL, 2);
		assert_int_equal(pv_move_plan(vg, &req, &plan, &err), -EOPNOTSUPP);
		assert_non_null(strstr(err.message, "LV wide is striped over 2 PVs"));
		vg_free(vg);
	}

	/* a PV marked missing: partial VG */
	{
		struct vg *vg = vg_clone(b.store->vg);
		struct pv_move_request req = { .source_pv = b.ids[0] };
		vg->pvs[1]->status |= PV_STATUS_MISSING;
		assert_int_equal(pv_move_plan(vg, &req, &plan, &err), -EROFS);
		vg_free(vg);
	}

	/* a plan made before the VG changed: its destination was taken, or its LV moved */
	{
		struct pv_move_request req = { .source_pv = b.ids[0], .dest_pvs = dest, .n_dest_pvs = 1 };
		_cleanup_(pv_move_freep) struct pv_move *move = NULL;
		struct vg *vg = vg_clone(b.store->vg);

		dest[0] = b.ids[2];
		assert_int_equal(pv_move_plan(b.store->vg, &req, &plan, &err), 0);
		create_lv(&vg, "late", 2, b.ids[2], 1);
		assert_int_equal(vg_store_commit(b.store, vg, NULL, 0, &header, &err), 0);
		writes = b.faults.writes_done;
		assert_int_equal(pv_move_start(b.store, plan, &options, &move, &err), -ESTALE);
		assert_string_equal(err.message, "the destination of chunk 1 (pv2 extents 0-9) is not free any more; plan again");
		plan->chunks[0].dst_pe = 40;
		plan->chunks[0].src_pe = 1;
		assert_int_equal(pv_move_start(b.store, plan, &options, &move, &err), -ESTALE);
		assert_string_equal(err.message, "the move plan does not match LV a of VG movevg any more; plan again");
		assert_int_equal(b.faults.writes_done, writes);
		pv_move_plan_free(plan);
		plan = NULL;
		bench_load(&b);
	}

	/* a move in progress refuses another; a store missing a device refuses to start */
	{
		struct pv_move_request req = { .source_pv = b.ids[0], .max_chunk_extents = 4 };
		_cleanup_(pv_move_freep) struct pv_move *move = NULL;
		struct pv_move_plan *second = NULL;

		assert_int_equal(pv_move_plan(b.store->vg, &req, &plan, &err), 0);
		b.store->targets[1].dev = NULL;
		b.store->n_missing = 1;
		assert_int_equal(pv_move_start(b.store, plan, &options, &move, &err), -EROFS);
		assert_int_equal(b.faults.writes_done, writes);
		bench_load(&b);
		assert_int_equal(pv_move_start(b.store, plan, &options, &move, &err), 0);
		assert_int_equal(pv_move_plan(b.store->vg, &req, &second, &err), -EBUSY);
		assert_non_null(strstr(err.message, "has a move in progress (LV pvmove0)"));
		/* and a stale plan cannot be started again */
		assert_int_equal(pv_move_start(b.store, plan, &options, &move, &err), -EBUSY);
		pv_move_plan_free(plan);
		plan = NULL;
	}
	bench_close(&b);
}

/* Abort after each number of chunks: moved chunks stay moved, the rest stays, the data stays. */
static void test_abort_at_every_chunk(void **state)
{
	struct bench b;
	struct vg_error err = { 0 };

	bench_open(&b);
	for (size_t stop = 0; stop <= 4; stop++) {
		_cleanup_(pv_move_plan_freep) struct pv_move_plan *plan = NULL;
		_cleanup_(pv_move_freep) struct pv_move *move = NULL;
		struct pv_move_progress progress = { 0 };
		struct pv_move_request req = { .source_pv = b.ids[0], .max_chunk_extents = 4 };
		uint64_t moved = 0;

		bench_restore(&b);
		assert_int_equal(pv_move_plan(b.store->vg, &req, &plan, &err), 0);
		assert_int_equal(plan->n_chunks, 4);
		assert_int_equal(pv_move_start(b.store, plan, &options, &move, &err), 0);
		while (progress.chunks_moved < stop)
			assert_int_equal(pv_move_step(move, &progress, &err), 0);
		for (size_t i = 0; i < stop; i++)
			moved += plan->chunks[i].extent_count;
		/* a step into the next chunk that is not finished is lost by the abort, harmlessly */
		assert_int_equal(pv_move_step(move, &progress, &err), 0);
		if (progress.checkpoint)
			moved += plan->chunks[stop].extent_count;
		assert_int_equal(pv_move_abort(move, &err), 0);
		assert_false(pv_move_in_progress(b.store->vg));
		assert_int_equal(vg_pv_used_extents(b.store->vg, 0), 14 - moved);
		lv_patterns(&b, true, "aborted");
		bench_load(&b);
		assert_false(pv_move_in_progress(b.store->vg));
		assert_int_equal(vg_pv_used_extents(b.store->vg, 0), 14 - moved);
		lv_patterns(&b, true, "aborted and reloaded");
	}
	bench_close(&b);
}

/*
 * Chunks copied by someone else (the kernel's dm mirror): copied here by
 * hand, then pv_move_commit_copied marks each moved; the LVs read their
 * data through the metadata at each checkpoint and after the finish.
 */
static void test_commit_copied(void **state)
{
	struct bench b;
	struct vg_error err = { 0 };
	_cleanup_(pv_move_plan_freep) struct pv_move_plan *plan = NULL;
	_cleanup_(pv_move_freep) struct pv_move *move = NULL;
	_cleanup_free_ uint8_t *buf = malloc(EXTENT_BYTES);
	struct pv_move_progress progress = { 0 };
	struct pv_move_request req = { .source_pv = NULL, .max_chunk_extents = 4 };
	uint64_t bytes = 0;

	(void)state;
	bench_open(&b);
	req.source_pv = b.ids[0];
	assert_int_equal(pv_move_plan(b.store->vg, &req, &plan, &err), 0);
	assert_int_equal(plan->n_chunks, 4);
	assert_int_equal(pv_move_start(b.store, plan, &options, &move, &err), 0);
	for (size_t c = 0; c < plan->n_chunks; c++) {
		const struct pv_move_chunk *chunk = &plan->chunks[c];
		const struct vg *vg = b.store->vg;
		size_t pv;
		uint64_t pe;

		assert_int_equal(pv_move_current_chunk(move), c);
		for (uint64_t e = 0; e < chunk->extent_count; e++) {
			uint64_t from = (vg->pvs[chunk->src_pv_index]->pe_start_sectors + (chunk->src_pe + e) * EXTENT_SECTORS) * 512;
			uint64_t to = (vg->pvs[chunk->dst_pv_index]->pe_start_sectors + (chunk->dst_pe + e) * EXTENT_SECTORS) * 512;

			assert_int_equal(blockdev_read(b.store->targets[chunk->src_pv_index].dev, from, buf, EXTENT_BYTES, &err), 0);
			assert_int_equal(blockdev_write(b.store->targets[chunk->dst_pv_index].dev, to, buf, EXTENT_BYTES, &err), 0);
		}
		assert_int_equal(pv_move_commit_copied(move, &progress, &err), 0);
		bytes += chunk->extent_count * EXTENT_BYTES;
		assert_true(progress.checkpoint);
		assert_int_equal(progress.chunks_moved, c + 1);
		assert_int_equal(progress.bytes_copied, bytes);
		assert_int_equal(progress.copy_done, c + 1 == plan->n_chunks);
		/* the committed metadata reads the chunk from its destination now */
		assert_int_equal(pv_move_map_extent(b.store->vg, vg_find_lv(b.store->vg, chunk->lv_name),
						    chunk->lv_start_extent, &pv, &pe, &err), 0);
		assert_int_equal(pv, chunk->dst_pv_index);
		assert_int_equal(pe, chunk->dst_pe);
		lv_patterns(&b, true, "after a chunk copied elsewhere");
	}
	assert_int_equal(pv_move_current_chunk(move), plan->n_chunks);
	assert_int_equal(pv_move_commit_copied(move, &progress, &err), -EBUSY);
	assert_int_equal(pv_move_finish(move, &err), 0);
	check_all_off_pv0(b.store->vg);
	bench_load(&b);
	check_all_off_pv0(b.store->vg);
	lv_patterns(&b, true, "finished from chunks copied elsewhere");
	bench_close(&b);
}

/* A crash at each write of an abort's commit: the move is either still there (abort again) or gone; data intact. */
static void test_crash_during_abort(void **state)
{
	struct bench b;
	struct vg_error err = { 0 };
	uint64_t before, writes_in_abort = 0;
	unsigned still_moving = 0, aborted = 0;

	bench_open(&b);
	for (uint64_t n = 0; n == 0 || n <= writes_in_abort; n++) {
		_cleanup_(pv_move_plan_freep) struct pv_move_plan *plan = NULL;
		_cleanup_(pv_move_freep) struct pv_move *move = NULL;
		struct pv_move_progress progress = { 0 };
		struct pv_move_request req = { .source_pv = b.ids[0], .max_chunk_extents = 4 };
		char when[64];

		bench_restore(&b);
		assert_int_equal(pv_move_plan(b.store->vg, &req, &plan, &err), 0);
		assert_int_equal(pv_move_start(b.store, plan, &options, &move, &err), 0);
		while (progress.chunks_moved < 2)
			assert_int_equal(pv_move_step(move, &progress, &err), 0);
		before = b.faults.writes_done;
		b.faults.fail_write_at = n ? before + n : 0;
		b.faults.power_cut = true;
		if (n == 0) {
			/* the clean abort, to count its writes */
			assert_int_equal(pv_move_abort(move, &err), 0);
			writes_in_abort = b.faults.writes_done - before;
			assert_true(writes_in_abort >= 3 * N_PVS);
			continue;
		}
		assert_true(pv_move_abort(move, &err) < 0);
		memset(&b.faults, 0, sizeof(b.faults));
		bench_load(&b);
		snprintf(when, sizeof(when), "abort crashed at its write %" PRIu64, n);
		lv_patterns(&b, true, when);
		if (pv_move_in_progress(b.store->vg)) {
			pv_move_free(move);
			move = NULL;
			assert_int_equal(pv_move_resume(b.store, &options, &move, &err), 0);
			assert_int_equal(pv_move_abort(move, &err), 0);
			still_moving++;
		} else {
			aborted++;
		}
		assert_false(pv_move_in_progress(b.store->vg));
		assert_int_equal(vg_pv_used_extents(b.store->vg, 0), 6);
		bench_load(&b);
		lv_patterns(&b, true, when);
	}
	assert_true(still_moving > 0 && aborted > 0);
	bench_close(&b);
}

static void test_one_lv_and_evacuate(void **state)
{
	struct bench b;
	struct vg_error err = { 0 };

	bench_open(&b);
	struct pv_move_request only_b = { .source_pv = b.ids[0], .lv_name = "b" };
	if (run_move(&b, &only_b, &err) < 0)
		fail_msg("move of b: %s", err.message);
	assert_int_equal(extents_on(b.store->vg, "b", 0), 0);
	assert_int_equal(extents_on(b.store->vg, "a", 0), 10);
	lv_patterns(&b, true, "b moved");

	struct pv_move_request evacuate = { .source_pv = b.ids[0], .evacuate = true, .max_chunk_extents = 3 };
	if (run_move(&b, &evacuate, &err) < 0)
		fail_msg("evacuation: %s", err.message);
	assert_int_equal(b.store->vg->n_pvs, 2);
	assert_true(vg_find_pv_by_id(b.store->vg, b.ids[0]) < 0);
	lv_patterns(&b, true, "evacuated");
	{
		struct vg_scan_result *scan = NULL;
		assert_int_equal(vg_scan(b.devs, N_PVS, &scan, &err), 0);
		assert_int_equal(scan->n_vgs, 1);
		assert_int_equal(scan->vgs[0].vg->n_pvs, 2);
		assert_int_equal(scan->pvs[0].vg_index, -1); /* the PV that left is an orphan */
		vg_scan_result_free(scan);
	}
	bench_close(&b);
}

static void test_evacuate_empty_pv_and_bandwidth(void **state)
{
	struct bench b;
	struct vg_error err = { 0 };
	_cleanup_(pv_move_plan_freep) struct pv_move_plan *plan = NULL;
	_cleanup_(pv_move_freep) struct pv_move *move = NULL;
	struct pv_move_progress progress = { 0 };
	struct pv_move_options slow = options;
	uint64_t writes;

	bench_open(&b);
	struct pv_move_request req = { .source_pv = b.ids[2], .evacuate = true };
	assert_int_equal(pv_move_plan(b.store->vg, &req, &plan, &err), 0);
	assert_int_equal(plan->n_chunks, 0);
	writes = b.faults.writes_done;
	assert_int_equal(pv_move_start(b.store, plan, &options, &move, &err), 0);
	assert_int_equal(b.faults.writes_done, writes); /* nothing to record */
	assert_int_equal(pv_move_step(move, &progress, &err), 0);
	assert_true(progress.copy_done);
	assert_int_equal(pv_move_finish(move, &err), 0);
	assert_int_equal(b.store->vg->n_pvs, 2);
	pv_move_free(move);
	move = NULL;
	pv_move_plan_free(plan);
	plan = NULL;

	/* 1 MiB/s: three extents (192 KiB) copied ask for a wait of up to 187.5 ms */
	slow.bandwidth_bytes_per_second = 1 << 20;
	struct pv_move_request mv = { .source_pv = b.ids[0] };
	assert_int_equal(pv_move_plan(b.store->vg, &mv, &plan, &err), 0);
	assert_int_equal(pv_move_start(b.store, plan, &slow, &move, &err), 0);
	assert_int_equal(pv_move_step(move, &progress, &err), 0);
	assert_int_equal(progress.bytes_copied, 3 * EXTENT_BYTES);
	assert_true(progress.wait_ns > 0);
	assert_true(progress.wait_ns <= UINT64_C(187500000));
	assert_int_equal(pv_move_abort(move, &err), 0);
	lv_patterns(&b, true, "slow move aborted");
	bench_close(&b);
}

/*
 * A pvmove0 as lvm2 writes it: the LV's segments on pvmove0 merged into one
 * spanning several mirror segments, and a segment half copied
 * (extents_moved between 0 and its count, which lvm2 writes from the
 * kernel's progress). Resume reads it, copies the half-copied chunk again,
 * and finishes.
 */
static void test_resume_lvm2_form(void **state)
{
	struct bench b;
	struct vg_error err = { 0 };
	_cleanup_(pv_move_plan_freep) struct pv_move_plan *plan = NULL, *seen = NULL;
	_cleanup_(pv_move_freep) struct pv_move *move = NULL;
	struct pv_move_progress progress = { 0 };
	struct vg *started = NULL, *next = NULL;
	struct vg_lv *a, *pvmove;
	_cleanup_free_ char *text = NULL;

	bench_open(&b);
	struct pv_move_request req = { .source_pv = b.ids[0], .lv_name = "a", .max_chunk_extents = 4 };
	assert_int_equal(pv_move_plan(b.store->vg, &req, &plan, &err), 0);
	assert_int_equal(plan->n_chunks, 3);
	/* the first chunk really copied, as lvm2's kernel mirror would have done */
	for (uint64_t e = 0; e < 4; e++) {
		_cleanup_free_ uint8_t *buf = malloc(EXTENT_BYTES);
		uint64_t from = (b.store->vg->pvs[0]->pe_start_sectors + (plan->chunks[0].src_pe + e) * EXTENT_SECTORS) * 512;
		uint64_t to = (b.store->vg->pvs[plan->chunks[0].dst_pv_index]->pe_start_sectors +
			       (plan->chunks[0].dst_pe + e) * EXTENT_SECTORS) * 512;

		assert_int_equal(blockdev_read(b.devs[0], from, buf, EXTENT_BYTES, &err), 0);
		assert_int_equal(blockdev_write(b.devs[plan->chunks[0].dst_pv_index], to, buf, EXTENT_BYTES, &err), 0);
	}
	assert_int_equal(pv_move_op_start(b.store->vg, plan, &started, &err), 0);
	/* lvm2's form: a's three segments on pvmove0 as one; chunk 1 done, chunk 2 half done */
	a = vg_find_lv(started, "a");
	assert_int_equal(a->n_segments, 3);
	a->segments[0]->extent_count = 10;
	vg_segment_destroy(a->segments[1]);
	vg_segment_destroy(a->segments[2]);
	a->n_segments = 1;
	pvmove = vg_find_lv(started, "pvmove0");
	for (struct cfg_node *n = pvmove->segments[0]->extra; n; n = n->next)
		if (streq(n->key, "extents_moved"))
			n->value.integer = 4;
	for (struct cfg_node *n = pvmove->segments[1]->extra; n; n = n->next)
		if (streq(n->key, "extents_moved"))
			n->value.integer = 2;
	/* through the text, as a scan would read it */
	text = render(started);
	vg_free(started);
	assert_int_equal(vg_text_parse(text, strlen(text), &next, &err), 0);
	if (vg_store_commit(b.store, next, NULL, 0, &header, &err) < 0)
		fail_msg("commit: %s", err.message);
	bench_load(&b);
	lv_patterns(&b, true, "lvm2 form");
	assert_int_equal(pv_move_plan_from_vg(b.store->vg, &seen, &err), 0);
	assert_int_equal(seen->n_chunks, 3);
	assert_true(seen->chunks[0].moved);
	assert_false(seen->chunks[1].moved);
	assert_string_equal(seen->chunks[1].lv_name, "a");
	assert_int_equal(seen->chunks[1].lv_start_extent, 4);
	assert_string_equal(seen->chunks[2].lv_name, "a");
	assert_int_equal(seen->chunks[2].lv_start_extent, 8);
	assert_int_equal(pv_move_resume(b.store, &options, &move, &err), 0);
	pv_move_get_progress(move, &progress);
	assert_int_equal(progress.chunks_moved, 1);
	while (!progress.copy_done)
		assert_int_equal(pv_move_step(move, &progress, &err), 0);
	assert_int_equal(pv_move_finish(move, &err), 0);
	assert_int_equal(extents_on(b.store->vg, "a", 0), 0);
	assert_int_equal(extents_on(b.store->vg, "b", 0), 4);
	lv_patterns(&b, true, "lvm2 form finished");
	bench_close(&b);
}

/*
 * Crash at write N of a whole move (start, every chunk's copy and
 * checkpoint, the final commit): the write fails (the machine goes on),
 * is torn then the power goes, or the power goes at it. Then the disks
 * are read again: the data is intact; resume (or nothing, if the move had
 * not started or had finished) completes; the data is intact.
 */
static void test_crash_at_every_write(void **state)
{
	struct bench b;
	struct vg_error err = { 0 };
	uint64_t writes_in_move;
	unsigned cases = 0, resumed = 0, before = 0, after = 0;

	bench_open(&b);
	struct pv_move_request req = { .source_pv = b.ids[0], .max_chunk_extents = 4 };
	b.faults = (struct blockdev_faults){ 0 };
	if (run_move(&b, &req, &err) < 0)
		fail_msg("clean move: %s", err.message);
	writes_in_move = b.faults.writes_done;
	assert_true(writes_in_move > 40);

	for (uint64_t n = 1; n <= writes_in_move; n++) {
		for (int mode = 0; mode < 5; mode++) {
			_cleanup_(pv_move_freep) struct pv_move *move = NULL;
			char when[96];
			int r;

			bench_restore(&b);
			switch (mode) {
			case 0: /* the write fails, later ones land */
				b.faults.fail_write_at = n;
				break;
			case 1: /* power cut at the write */
				b.faults.fail_write_at = n;
				b.faults.power_cut = true;
				break;
			default: /* torn after one sector, half way, all but one sector; then the power goes */
				b.faults.tear_write_at = n;
				b.faults.power_cut = true;
				b.faults.tear_keep_bytes = mode == 2 ? 512 : mode == 3 ? 16384 : 65024;
				break;
			}
			r = run_move(&b, &req, &err);
			assert_true(r < 0);
			if (mode >= 2 && b.faults.torn_write_bytes <= b.faults.tear_keep_bytes)
				continue; /* a write too short to tear there: same as another case */

			memset(&b.faults, 0, sizeof(b.faults));
			bench_load(&b);
			snprintf(when, sizeof(when), "write %" PRIu64 " mode %d, after the crash", n, mode);
			lv_patterns(&b, true, when);
			if (pv_move_in_progress(b.store->vg)) {
				struct pv_move_progress progress = { 0 };

				if (pv_move_resume(b.store, &options, &move, &err) < 0)
					fail_msg("%s: resume: %s", when, err.message);
				while (!progress.copy_done)
					if (pv_move_step(move, &progress, &err) < 0)
						fail_msg("%s: step: %s", when, err.message);
				if (pv_move_finish(move, &err) < 0)
					fail_msg("%s: finish: %s", when, err.message);
				resumed++;
			} else if (vg_pv_used_extents(b.store->vg, 0) == 14) {
				before++; /* the start was never committed */
			} else {
				after++; /* the final commit had landed */
			}
			snprintf(when, sizeof(when), "write %" PRIu64 " mode %d, completed", n, mode);
			if (vg_pv_used_extents(b.store->vg, 0) != 14)
				check_all_off_pv0(b.store->vg);
			bench_load(&b);
			lv_patterns(&b, true, when);
			cases++;
		}
	}
	assert_true(resumed > 0 && before > 0 && after > 0);
	print_message("%u crash points: %u resumed, %u before the start, %u after the end\n", cases, resumed,
		      before, after);
	bench_close(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_move_whole_pv),
		cmocka_unit_test(test_refusals_write_nothing),
		cmocka_unit_test(test_abort_at_every_chunk),
		cmocka_unit_test(test_crash_during_abort),
		cmocka_unit_test(test_one_lv_and_evacuate),
		cmocka_unit_test(test_evacuate_empty_pv_and_bandwidth),
		cmocka_unit_test(test_resume_lvm2_form),
		cmocka_unit_test(test_crash_at_every_write),
		cmocka_unit_test(test_commit_copied),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
