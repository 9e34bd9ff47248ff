/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A VG bound to its devices (lvm/vg-store.c), on memory PVs: loading from a
 * scan; every commit reaching every metadata area of every PV with seqno + 1;
 * PVs joining (vg extend) and leaving (they become orphans: empty slots, the
 * in-use flag cleared, their last text left in the ring for rescue); a
 * partial VG refusing every change without writing a byte; damaged headers
 * and texts, stale and inconsistent copies repaired by the next commit; an
 * inconsistent model refused; and removing the VG.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "mda.h"
#include "vg-ops.h"
#include "vg-scan.h"
#include "vg-store.h"

#define N_PVS 4
#define PV_BYTES (UINT64_C(8) << 20)
#define AREA_BYTES 65536
/* PV 3 has a second metadata area at the end of the device */
#define TWO_MDA_PV 3

static const struct vg_text_header header = {
	.generator = "vgtool test",
	.description = "Write from test-vg-store.",
	.creation_host = "testhost",
	.uname_line = "Linux testhost",
	.creation_time = 1795628460,
};

struct bench {
	struct blockdev_faults faults;
	struct blockdev *devs[N_PVS];
	struct vg_commit_target fresh[N_PVS]; /* as pv_create left them */
};

static void bench_open(struct bench *b)
{
	struct vg_error err = { 0 };

	memset(b, 0, sizeof(*b));
	for (int i = 0; i < N_PVS; i++) {
		struct pv_create_params params = { .mda_size_bytes = AREA_BYTES,
						   .mda_copies = i == TWO_MDA_PV ? 2 : 1 };
		char name[16];

		snprintf(name, sizeof(name), "mem%d", i);
		assert_int_equal(blockdev_open_memory(name, PV_BYTES, 512, &b->faults, &b->devs[i]), 0);
		b->fresh[i].dev = b->devs[i];
		assert_int_equal(pv_create(b->devs[i], &params, &b->fresh[i].label, &err), 0);
	}
}

static void bench_close(struct bench *b)
{
	for (int i = 0; i < N_PVS; i++)
		blockdev_close(b->devs[i]);
}

static struct pv_join join_of(const struct bench *b, int i)
{
	const struct pv_label *label = &b->fresh[i].label;

	return (struct pv_join){
		.id = label->pv_uuid,
		.device_hint = b->devs[i]->path,
		.dev_size_sectors = PV_BYTES / 512,
		.pe_start_sectors = pv_data_start_bytes(label) / 512,
		.data_end_sectors = pv_data_end_bytes(label, PV_BYTES) / 512,
	};
}

static void assert_contains(const char *message, const char *fragment)
{
	if (!strstr(message, fragment))
		fail_msg("message \"%s\" lacks \"%s\"", message, fragment);
}

static char *render(const struct vg *vg)
{
	struct strbuf sb;

	strbuf_init(&sb);
	assert_int_equal(vg_text_render_raw(vg, &header, &sb), 0);
	return strbuf_steal(&sb, NULL);
}

/* A new VG "vgs" of 1 MiB extents on PVs @first..@first+@n-1, with LV "base" of 2 extents on the first. */
static struct vg_store *create_vg(struct bench *b, int first, int n)
{
	struct pv_join joins[N_PVS];
	struct vg_store *store = NULL;
	struct vg *vg = NULL, *with_lv = NULL;
	struct vg_error err = { 0 };
	const char *on_first[] = { b->fresh[first].label.pv_uuid };
	struct lv_create_request req = {
		.name = "base", .size = { .extents = 2 }, .pv_ids = on_first, .n_pv_ids = 1, .creation_host = "h",
	};

	for (int i = 0; i < n; i++)
		joins[i] = join_of(b, first + i);
	assert_int_equal(vg_op_create("vgs", 2048, joins, (size_t)n, NULL, &vg, &err), 0);
	assert_int_equal(lv_op_create(vg, &req, &with_lv, &err), 0);
	vg_free(vg);
	assert_int_equal(vg_store_new(with_lv, &store, &err), 0);
	if (vg_store_commit(store, with_lv, &b->fresh[first], (size_t)n, &header, &err) < 0)
		fail_msg("first commit: %s", err.message);
	assert_int_equal(store->vg->seqno, 1);
	return store;
}

/* Scan the devices flagged in @present (all when NULL). */
static struct vg_scan_result *scan_some(struct bench *b, const bool *present)
{
	struct blockdev *devs[N_PVS];
	struct vg_scan_result *scan = NULL;
	struct vg_error err = { 0 };
	size_t n = 0;

	for (int i = 0; i < N_PVS; i++)
		if (!present || present[i])
			devs[n++] = b->devs[i];
	assert_int_equal(vg_scan(devs, n, &scan, &err), 0);
	return scan;
}

static struct vg_store *load(struct vg_scan_result *scan)
{
	struct vg_store *store = NULL;
	struct vg_error err = { 0 };

	assert_int_equal(scan->n_vgs, 1);
	assert_int_equal(vg_store_from_scan(scan, &scan->vgs[0], &store, &err), 0);
	return store;
}

/* A change with work in it: a new LV of 1 extent (named after the seqno it will have). */
static struct vg *change(const struct vg *vg)
{
	struct vg *next = NULL;
	struct vg_error err = { 0 };
	char name[32];
	struct lv_create_request req = { .size = { .extents = 1 }, .name = name, .creation_host = "h" };

	snprintf(name, sizeof(name), "lv%" PRIu64, vg->seqno + 1);
	if (lv_op_create(vg, &req, &next, &err) < 0)
		fail_msg("change: %s", err.message);
	return next;
}

static void commit_ok(struct vg_store *store, struct vg *next, const struct vg_commit_target *joining, size_t n)
{
	struct vg_error err = { 0 };

	if (vg_store_commit(store, next, joining, n, &header, &err) < 0)
		fail_msg("commit: %s", err.message);
}

/*
 * Every metadata area of the scanned devices flagged in @members holds VG
 * @vg_id at @seqno as its committed copy, with no precommitted slot left,
 * and the label carries the in-use flag.
 */
static void assert_all_at(const struct vg_scan_result *scan, const bool *members, const char *vg_id, uint64_t seqno)
{
	for (size_t i = 0; i < scan->n_pvs; i++) {
		const struct pv_scan *pv = &scan->pvs[i];

		if (!members[i])
			continue;
		assert_true(pv->has_label);
		assert_int_equal(pv->label.ext_version, PV_EXT_VERSION);
		assert_true(pv->label.ext_flags & PV_EXT_USED);
		assert_true(pv->n_mdas >= 1);
		for (size_t m = 0; m < pv->n_mdas; m++) {
			const struct pv_scan_mda *mda = &pv->mdas[m];

			if (mda->error.code)
				fail_msg("%s area %zu: %s", pv->dev->path, m, mda->error.message);
			assert_true(mda->header_valid);
			assert_true(mda->has_text);
			assert_string_equal(mda->vg_id, vg_id);
			if (mda->seqno != seqno)
				fail_msg("%s area %zu holds seqno %" PRIu64 ", not %" PRIu64, pv->dev->path,
					 m, mda->seqno, seqno);
			assert_int_equal(mda->header.slots[MDA_SLOT_PRECOMMITTED].offset_bytes, 0);
		}
	}
}

/* ---- tests ---- */

static void test_load_from_scan(void **state)
{
	struct bench b;
	_cleanup_(vg_store_freep) struct vg_store *created = NULL, *loaded = NULL;
	_cleanup_(vg_scan_result_freep) struct vg_scan_result *scan = NULL;
	_cleanup_free_ char *text_created = NULL, *text_loaded = NULL;
	struct vg_error err = { 0 };

	bench_open(&b);
	created = create_vg(&b, 0, 3);
	scan = scan_some(&b, NULL);
	loaded = load(scan);

	text_created = render(created->vg);
	text_loaded = render(loaded->vg);
	assert_string_equal(text_created, text_loaded);
	assert_int_equal(loaded->n_missing, 0);
	assert_int_equal(vg_store_check_complete(loaded, &err), 0);
	for (size_t p = 0; p < loaded->vg->n_pvs; p++) {
		assert_ptr_equal(loaded->targets[p].dev, b.devs[p]);
		assert_string_equal(loaded->targets[p].label.pv_uuid, loaded->vg->pvs[p]->id);
	}
	/* the fourth device is an orphan PV: labelled, in no VG */
	assert_true(scan->pvs[3].has_label);
	assert_int_equal(scan->pvs[3].vg_index, -1);
	assert_null(loaded->state_dir);
	bench_close(&b);
}

static void test_commit_increments_seqno_everywhere(void **state)
{
	struct bench b;
	_cleanup_(vg_store_freep) struct vg_store *store = NULL;
	const bool members[N_PVS] = { false, true, true, true }; /* PV 3 has two areas */
	char vg_id[LVM_UUID_LEN + 1];

	bench_open(&b);
	store = create_vg(&b, 1, 3);
	memcpy(vg_id, store->vg->id, sizeof(vg_id));
	for (uint64_t expected = 2; expected <= 12; expected++) {
		struct vg_scan_result *scan;
		struct vg_store *reloaded;
		struct vg *next = change(store->vg);

		/* the seqno is the store's business, whatever the model says */
		next->seqno = expected * 7;
		commit_ok(store, next, NULL, 0);
		assert_int_equal(store->vg->seqno, expected);

		scan = scan_some(&b, NULL);
		assert_all_at(scan, members, vg_id, expected);
		assert_int_equal(scan->vgs[0].n_stale, 0);
		assert_false(scan->vgs[0].inconsistent);
		reloaded = load(scan);
		assert_int_equal(reloaded->vg->seqno, expected);
		assert_int_equal(reloaded->vg->n_lvs, expected);
		vg_store_free(reloaded);
		vg_scan_result_free(scan);
	}
	bench_close(&b);
}

static void test_joining_pv(void **state)
{
	struct bench b;
	_cleanup_(vg_store_freep) struct vg_store *store = NULL;
	_cleanup_(vg_scan_result_freep) struct vg_scan_result *scan = NULL;
	const bool members[N_PVS] = { true, true, true, false };
	struct pv_join join;
	struct vg *next = NULL;
	struct vg_error err = { 0 };
	struct pv_label label;
	uint64_t writes;

	bench_open(&b);
	store = create_vg(&b, 0, 2);

	/* a PV of the new model that is neither bound nor joining: refused before any write */
	join = join_of(&b, 2);
	assert_int_equal(vg_op_extend(store->vg, &join, 1, &next, &err), 0);
	writes = b.faults.writes_done;
	assert_int_equal(vg_store_commit(store, next, NULL, 0, &header, &err), -ENODEV);
	assert_contains(err.message, "mem2");
	assert_int_equal(b.faults.writes_done, writes);
	assert_int_equal(store->vg->seqno, 1);

	/* the same model with the device joining (next is still ours after the refusal) */
	commit_ok(store, next, &b.fresh[2], 1);
	assert_int_equal(store->vg->seqno, 2);
	assert_int_equal(store->vg->n_pvs, 3);
	assert_int_equal(pv_label_read(b.devs[2], &label, &err), 0);
	assert_true(label.ext_flags & PV_EXT_USED);

	scan = scan_some(&b, NULL);
	assert_int_equal(scan->vgs[0].n_members, 3);
	assert_int_equal(scan->vgs[0].n_missing, 0);
	assert_int_equal(scan->pvs[2].vg_index, 0);
	assert_all_at(scan, members, store->vg->id, 2);

	/* the joined PV takes part in the next commit */
	commit_ok(store, change(store->vg), NULL, 0);
	vg_scan_result_free(scan);
	scan = scan_some(&b, NULL);
	assert_all_at(scan, members, store->vg->id, 3);
	bench_close(&b);
}

static void test_leaving_pv_becomes_orphan(void **state)
{
	struct bench b;
	_cleanup_(vg_store_freep) struct vg_store *store = NULL;
	_cleanup_(vg_scan_result_freep) struct vg_scan_result *scan = NULL;
	_cleanup_free_ struct mda_text_copy *copies = NULL;
	const bool members[N_PVS] = { true, true, false, false };
	struct vg *next = NULL;
	struct vg_error err = { 0 };
	struct mda_header area;
	struct pv_label label;
	size_t n_copies = 0;
	bool found_last = false;

	bench_open(&b);
	store = create_vg(&b, 0, 3);
	commit_ok(store, change(store->vg), NULL, 0); /* seqno 2 */

	/* PV 2 (empty: "base" is on PV 0, lv2 went to the smallest run that fits) leaves */
	const char *leaving[] = { b.fresh[2].label.pv_uuid };
	assert_int_equal(vg_pv_used_extents(store->vg, 2), 0);
	assert_int_equal(vg_op_reduce(store->vg, leaving, 1, &next, &err), 0);
	commit_ok(store, next, NULL, 0);
	assert_int_equal(store->vg->seqno, 3);
	assert_int_equal(store->vg->n_pvs, 2);

	/* an orphan: in-use flag cleared, both slots empty */
	assert_int_equal(pv_label_read(b.devs[2], &label, &err), 0);
	assert_int_equal(label.ext_version, PV_EXT_VERSION);
	assert_false(label.ext_flags & PV_EXT_USED);
	assert_int_equal(mda_header_read(b.devs[2], label.metadata_areas[0].offset_bytes, &area, &err), 0);
	assert_int_equal(area.slots[MDA_SLOT_COMMITTED].offset_bytes, 0);
	assert_int_equal(area.slots[MDA_SLOT_PRECOMMITTED].offset_bytes, 0);

	/* but the last text it held (seqno 2) stays in its ring, for a rescue */
	assert_int_equal(mda_find_text_copies(b.devs[2], &area, &copies, &n_copies, &err), 0);
	for (size_t c = 0; c < n_copies; c++) {
		assert_string_equal(copies[c].id.vg_name, "vgs");
		found_last |= copies[c].id.seqno == 2;
	}
	assert_true(found_last);

	scan = scan_some(&b, NULL);
	assert_int_equal(scan->n_vgs, 1);
	assert_int_equal(scan->pvs[2].vg_index, -1);
	assert_false(scan->pvs[2].mdas[0].has_text);
	assert_int_equal(scan->pvs[2].mdas[0].error.code, 0);
	assert_int_equal(scan->vgs[0].n_members, 2);
	assert_int_equal(scan->vgs[0].n_stale, 0);
	assert_all_at(scan, members, store->vg->id, 3);

	/* the orphan can join again, as a fresh PV would */
	struct pv_join join = join_of(&b, 2);
	struct vg_commit_target again = { .dev = b.devs[2], .label = label };
	next = NULL;
	assert_int_equal(vg_op_extend(store->vg, &join, 1, &next, &err), 0);
	commit_ok(store, next, &again, 1);
	assert_int_equal(pv_label_read(b.devs[2], &label, &err), 0);
	assert_true(label.ext_flags & PV_EXT_USED);
	bench_close(&b);
}

static void test_partial_vg_refuses_changes(void **state)
{
	struct bench b;
	_cleanup_(vg_store_freep) struct vg_store *created = NULL, *partial = NULL;
	_cleanup_(vg_scan_result_freep) struct vg_scan_result *scan = NULL;
	const bool present[N_PVS] = { true, false, true, true };
	char missing_text[LVM_UUID_TEXT_LEN + 1];
	struct vg_error err = { 0 };
	struct vg *next;
	uint64_t writes;

	bench_open(&b);
	created = create_vg(&b, 0, 3);
	lvm_uuid_format(b.fresh[1].label.pv_uuid, missing_text);

	scan = scan_some(&b, present);
	assert_int_equal(scan->vgs[0].n_missing, 1);
	partial = load(scan);
	assert_int_equal(partial->n_missing, 1);
	assert_null(partial->targets[1].dev);
	/* reads work: the model is whole */
	assert_int_equal(partial->vg->n_pvs, 3);
	assert_non_null(vg_find_lv(partial->vg, "base"));

	assert_int_equal(vg_store_check_complete(partial, &err), -EROFS);
	assert_contains(err.message, "partial");
	assert_contains(err.message, missing_text);
	assert_contains(err.message, "mem1");

	writes = b.faults.writes_done;
	next = change(partial->vg);
	memset(&err, 0, sizeof(err));
	assert_int_equal(vg_store_commit(partial, next, NULL, 0, &header, &err), -EROFS);
	assert_contains(err.message, missing_text);
	/* refused: nothing written, the model still the caller's, the store unchanged */
	assert_int_equal(b.faults.writes_done, writes);
	assert_int_equal(partial->vg->seqno, 1);
	assert_int_equal(vg_validate(next, &err), 0);
	vg_free(next);

	memset(&err, 0, sizeof(err));
	assert_int_equal(vg_store_remove(partial, &err), -EROFS);
	assert_contains(err.message, missing_text);
	assert_int_equal(b.faults.writes_done, writes);

	/* the device back: the same VG can change again */
	vg_store_free(partial);
	vg_scan_result_free(scan);
	scan = scan_some(&b, NULL);
	partial = load(scan);
	assert_int_equal(partial->n_missing, 0);
	commit_ok(partial, change(partial->vg), NULL, 0);
	assert_int_equal(partial->vg->seqno, 2);
	bench_close(&b);
}

/* Overwrite @len bytes at @offset of memory device @dev with garbage. */
static void scribble(struct blockdev *dev, uint64_t offset, size_t len)
{
	uint8_t *bytes = blockdev_memory_bytes(dev);

	for (size_t i = 0; i < len; i++)
		bytes[offset + i] ^= 0x5a;
}

static void test_damaged_header_repaired_by_commit(void **state)
{
	struct bench b;
	_cleanup_(vg_store_freep) struct vg_store *store = NULL, *loaded = NULL;
	_cleanup_(vg_scan_result_freep) struct vg_scan_result *scan = NULL;
	const bool members[N_PVS] = { true, true, true, false };

	bench_open(&b);
	store = create_vg(&b, 0, 3);
	commit_ok(store, change(store->vg), NULL, 0); /* seqno 2 */

	/* PV 1: the magic of its header */
	scribble(b.devs[1], MDA_DEFAULT_START_BYTES + 8, 4);
	scan = scan_some(&b, NULL);
	assert_false(scan->pvs[1].mdas[0].header_valid);
	assert_int_equal(scan->pvs[1].mdas[0].error.code, -EBADMSG);
	assert_int_equal(scan->n_vgs, 1);
	assert_int_equal(scan->vgs[0].n_missing, 0); /* its label still names it */
	assert_int_equal(scan->vgs[0].vg->seqno, 2);

	loaded = load(scan);
	commit_ok(loaded, change(loaded->vg), NULL, 0);
	vg_scan_result_free(scan);
	scan = scan_some(&b, NULL);
	assert_all_at(scan, members, loaded->vg->id, 3);
	bench_close(&b);
}

static void test_damaged_text_repaired_by_commit(void **state)
{
	struct bench b;
	_cleanup_(vg_store_freep) struct vg_store *store = NULL, *loaded = NULL;
	_cleanup_(vg_scan_result_freep) struct vg_scan_result *scan = NULL;
	const bool members[N_PVS] = { true, true, true, false };
	struct mda_header area;
	struct vg_error err = { 0 };

	bench_open(&b);
	store = create_vg(&b, 0, 3);
	commit_ok(store, change(store->vg), NULL, 0); /* seqno 2 */

	/* a clean scan reads the text once: PVs 1 and 2 share PV 0's copy (same size and CRC) */
	scan = scan_some(&b, NULL);
	assert_false(scan->pvs[0].mdas[0].text_shared);
	assert_true(scan->pvs[1].mdas[0].text_shared);
	assert_true(scan->pvs[2].mdas[0].text_shared);
	assert_ptr_equal(scan->pvs[2].mdas[0].text, scan->pvs[0].mdas[0].text);
	vg_scan_result_free(scan);

	/* PV 0, read first: a byte of its committed text; the checksum no longer matches */
	assert_int_equal(mda_header_read(b.devs[0], MDA_DEFAULT_START_BYTES, &area, &err), 0);
	scribble(b.devs[0], MDA_DEFAULT_START_BYTES + area.slots[MDA_SLOT_COMMITTED].offset_bytes + 40, 1);
	scan = scan_some(&b, NULL);
	assert_true(scan->pvs[0].mdas[0].header_valid);
	assert_false(scan->pvs[0].mdas[0].has_text);
	assert_int_equal(scan->pvs[0].mdas[0].error.code, -EBADMSG);
	/* the next PV's copy is read and checked in its place */
	assert_true(scan->pvs[1].mdas[0].has_text);
	assert_false(scan->pvs[1].mdas[0].text_shared);
	assert_int_equal(scan->vgs[0].vg->seqno, 2);

	/* PV 2 damaged too: the shared scan takes PV 1's copy for it, the every-copy scan finds it */
	assert_int_equal(mda_header_read(b.devs[2], MDA_DEFAULT_START_BYTES, &area, &err), 0);
	scribble(b.devs[2], MDA_DEFAULT_START_BYTES + area.slots[MDA_SLOT_COMMITTED].offset_bytes + 40, 1);
	vg_scan_result_free(scan);
	scan = scan_some(&b, NULL);
	assert_true(scan->pvs[2].mdas[0].has_text);
	vg_scan_result_free(scan);
	scan = NULL;
	assert_int_equal(vg_scan_every_copy(b.devs, N_PVS, &scan, &err), 0);
	assert_false(scan->pvs[0].mdas[0].has_text);
	assert_false(scan->pvs[2].mdas[0].has_text);
	assert_int_equal(scan->pvs[2].mdas[0].error.code, -EBADMSG);
	assert_false(scan->pvs[1].mdas[0].text_shared);
	assert_int_equal(scan->vgs[0].vg->seqno, 2);

	loaded = load(scan);
	commit_ok(loaded, change(loaded->vg), NULL, 0);
	vg_scan_result_free(scan);
	scan = scan_some(&b, NULL);
	assert_all_at(scan, members, loaded->vg->id, 3);
	bench_close(&b);
}

static void test_stale_copy_repaired_by_commit(void **state)
{
	struct bench b;
	_cleanup_(vg_store_freep) struct vg_store *store = NULL, *loaded = NULL;
	_cleanup_(vg_scan_result_freep) struct vg_scan_result *scan = NULL;
	_cleanup_free_ uint8_t *old = malloc(PV_BYTES);
	const bool members[N_PVS] = { true, true, true, false };

	bench_open(&b);
	store = create_vg(&b, 0, 3);
	assert_non_null(old);
	memcpy(old, blockdev_memory_bytes(b.devs[2]), PV_BYTES);
	commit_ok(store, change(store->vg), NULL, 0);
	commit_ok(store, change(store->vg), NULL, 0); /* seqno 3 */
	/* an earlier image of PV 2 comes back */
	memcpy(blockdev_memory_bytes(b.devs[2]), old, PV_BYTES);

	scan = scan_some(&b, NULL);
	assert_int_equal(scan->vgs[0].vg->seqno, 3); /* the freshest copy wins */
	assert_int_equal(scan->vgs[0].n_stale, 1);
	assert_int_equal(scan->vgs[0].stale[0], 2);
	assert_int_equal(scan->pvs[2].mdas[0].seqno, 1);

	loaded = load(scan);
	commit_ok(loaded, change(loaded->vg), NULL, 0);
	vg_scan_result_free(scan);
	scan = scan_some(&b, NULL);
	assert_int_equal(scan->vgs[0].n_stale, 0);
	assert_all_at(scan, members, loaded->vg->id, 4);
	bench_close(&b);
}

/*
 * A PV with two metadata areas whose second one missed the last commit (an
 * earlier image of the end of the device came back): that copy is stale as
 * much as a whole PV's would be, and lvm2 reports it.
 */
static void test_stale_second_area_reported(void **state)
{
	struct bench b;
	_cleanup_(vg_store_freep) struct vg_store *store = NULL, *loaded = NULL;
	_cleanup_(vg_scan_result_freep) struct vg_scan_result *scan = NULL;
	const bool members[N_PVS] = { false, true, true, true };
	const struct disk_locn *mda2 = &b.fresh[TWO_MDA_PV].label.metadata_areas[1];
	_cleanup_free_ uint8_t *old = NULL;

	bench_open(&b);
	assert_int_equal(b.fresh[TWO_MDA_PV].label.n_metadata_areas, 2);
	store = create_vg(&b, 1, 3);
	old = malloc(mda2->size_bytes);
	assert_non_null(old);
	memcpy(old, blockdev_memory_bytes(b.devs[TWO_MDA_PV]) + mda2->offset_bytes, mda2->size_bytes);
	commit_ok(store, change(store->vg), NULL, 0); /* seqno 2 */
	memcpy(blockdev_memory_bytes(b.devs[TWO_MDA_PV]) + mda2->offset_bytes, old, mda2->size_bytes);

	scan = scan_some(&b, NULL);
	assert_int_equal(scan->pvs[TWO_MDA_PV].mdas[0].seqno, 2);
	assert_int_equal(scan->pvs[TWO_MDA_PV].mdas[1].seqno, 1);
	assert_int_equal(scan->vgs[0].vg->seqno, 2);
	if (scan->vgs[0].n_stale != 1)
		fail_msg("the older copy in the second metadata area of mem%d is not reported stale (n_stale %zu)",
			 TWO_MDA_PV, scan->vgs[0].n_stale);
	assert_int_equal(scan->vgs[0].stale[0], TWO_MDA_PV);

	/* and the next commit repairs it */
	loaded = load(scan);
	commit_ok(loaded, change(loaded->vg), NULL, 0);
	vg_scan_result_free(scan);
	scan = scan_some(&b, NULL);
	assert_all_at(scan, members, loaded->vg->id, 3);
	bench_close(&b);
}

static void test_inconsistent_copies_repaired_by_commit(void **state)
{
	struct bench b;
	_cleanup_(vg_store_freep) struct vg_store *store = NULL, *loaded = NULL;
	_cleanup_(vg_scan_result_freep) struct vg_scan_result *scan = NULL;
	const bool members[N_PVS] = { true, true, true, false };
	struct vg_text_header other = header;
	struct vg_commit_target one;
	struct vg_error err = { 0 };

	bench_open(&b);
	store = create_vg(&b, 0, 3);
	/* PV 0 gets the same seqno with another description: same seqno, different text */
	one = store->targets[0];
	other.description = "Write from somewhere else.";
	assert_int_equal(vg_commit(store->vg, &other, &one, 1, &err), 0);

	scan = scan_some(&b, NULL);
	assert_true(scan->vgs[0].inconsistent);
	loaded = load(scan);
	commit_ok(loaded, change(loaded->vg), NULL, 0);
	vg_scan_result_free(scan);
	scan = scan_some(&b, NULL);
	assert_false(scan->vgs[0].inconsistent);
	assert_all_at(scan, members, loaded->vg->id, 2);
	bench_close(&b);
}

static void test_inconsistent_model_refused(void **state)
{
	struct bench b;
	_cleanup_(vg_store_freep) struct vg_store *store = NULL;
	struct vg_error err = { 0 };
	struct vg *next;
	uint64_t writes;

	bench_open(&b);
	store = create_vg(&b, 0, 2);
	next = vg_clone(store->vg);
	assert_non_null(next);
	/* "base" now runs past the end of its PV */
	next->lvs[0]->segments[0]->stripes[0].first_pe = next->pvs[0]->pe_count - 1;
	writes = b.faults.writes_done;
	assert_int_equal(vg_store_commit(store, next, NULL, 0, &header, &err), -EBADMSG);
	assert_contains(err.message, "inconsistent");
	assert_contains(err.message, "base");
	assert_int_equal(b.faults.writes_done, writes);
	assert_int_equal(store->vg->seqno, 1);
	vg_free(next);
	bench_close(&b);
}

static void rm_rf(const char *dir)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_remove(void **state)
{
	struct bench b;
	_cleanup_(vg_store_freep) struct vg_store *store = NULL;
	_cleanup_(vg_scan_result_freep) struct vg_scan_result *scan = NULL;
	char dir[] = "/tmp/test-vg-store.XXXXXX";
	char path[4200];
	struct vg_error err = { 0 };
	struct stat st;
	uint64_t seqno;

	bench_open(&b);
	assert_non_null(mkdtemp(dir));
	store = create_vg(&b, 1, 3);
	store->state_dir = dir;
	commit_ok(store, change(store->vg), NULL, 0);
	seqno = store->vg->seqno;
	snprintf(path, sizeof(path), "%s/backup/vgs", dir);
	assert_int_equal(stat(path, &st), 0);

	if (vg_store_remove(store, &err) < 0)
		fail_msg("remove: %s", err.message);
	for (int i = 1; i < N_PVS; i++) {
		struct pv_label label;
		struct mda_header area;

		assert_int_equal(pv_label_read(b.devs[i], &label, &err), 0);
		assert_false(label.ext_flags & PV_EXT_USED);
		for (size_t m = 0; m < label.n_metadata_areas; m++) {
			assert_int_equal(
				mda_header_read(b.devs[i], label.metadata_areas[m].offset_bytes, &area, &err),
				0);
			assert_int_equal(area.slots[MDA_SLOT_COMMITTED].offset_bytes, 0);
			assert_int_equal(area.slots[MDA_SLOT_PRECOMMITTED].offset_bytes, 0);
		}
	}
	scan = scan_some(&b, NULL);
	assert_int_equal(scan->n_vgs, 0);
	for (size_t i = 0; i < scan->n_pvs; i++) {
		assert_true(scan->pvs[i].has_label);
		assert_int_equal(scan->pvs[i].vg_index, -1);
	}

	/* the backup went to the archive */
	assert_true(stat(path, &st) < 0 && errno == ENOENT);
	struct vg_archive_entry *entries = NULL;
	size_t n = 0;
	bool retired = false;
	assert_int_equal(vg_archive_list(dir, "vgs", &entries, &n, &err), 0);
	for (size_t i = 0; i < n; i++)
		retired |= entries[i].seqno == seqno;
	assert_true(retired);
	vg_archive_list_free(entries, n);
	rm_rf(dir);
	bench_close(&b);
}

/*
 * A commit that renames the VG: the backup follows the new name, and no
 * backup under the old name is left looking current (it would describe a VG
 * that no longer exists by that name, with the same id as the renamed one).
 */
static void test_rename_moves_the_backup(void **state)
{
	struct bench b;
	_cleanup_(vg_store_freep) struct vg_store *store = NULL;
	char dir[] = "/tmp/test-vg-store.XXXXXX";
	char old_path[4200], new_path[4200];
	struct vg_error err = { 0 };
	struct vg *renamed = NULL;
	struct stat st;

	bench_open(&b);
	assert_non_null(mkdtemp(dir));
	store = create_vg(&b, 0, 2);
	store->state_dir = dir;
	commit_ok(store, change(store->vg), NULL, 0);
	snprintf(old_path, sizeof(old_path), "%s/backup/vgs", dir);
	snprintf(new_path, sizeof(new_path), "%s/backup/vg_renamed", dir);
	assert_int_equal(stat(old_path, &st), 0);

	assert_int_equal(vg_op_rename(store->vg, "vg_renamed", &renamed, &err), 0);
	commit_ok(store, renamed, NULL, 0);
	assert_int_equal(stat(new_path, &st), 0);
	if (stat(old_path, &st) == 0) {
		rm_rf(dir);
		bench_close(&b);
		fail_msg("after renaming VG vgs to vg_renamed, %s is still there as a current backup", old_path);
	}
	rm_rf(dir);
	bench_close(&b);
}

/* The seqno written in @path's VG section, 0 when the file is missing. */
static uint64_t backup_file_seqno(const char *path, char *description, size_t description_len)
{
	char text[65536];
	const char *at;
	size_t n;
	FILE *f = fopen(path, "re");

	if (!f)
		return 0;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	at = strstr(text, "description = \"");
	assert_non_null(at);
	snprintf(description, description_len, "%.*s", (int)strcspn(at + 15, "\""), at + 15);
	at = strstr(text, "\tseqno = ");
	assert_non_null(at);
	return strtoull(at + 9, NULL, 10);
}

/* The seqnos of the archive of VG vgs, newest first, as "4 3". */
static void archived_seqnos(const char *dir, char *out, size_t len)
{
	struct vg_archive_entry *entries = NULL;
	struct vg_error err = { 0 };
	size_t n = 0, used = 0;

	assert_int_equal(vg_archive_list(dir, "vgs", &entries, &n, &err), 0);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(out + used, len - used, "%s%" PRIu64, i ? " " : "", entries[i].seqno);
	vg_archive_list_free(entries, n);
}

/*
 * A store whose owner defers the backup: commits write none; the flush
 * writes the last commit's VG with that commit's header (copied, not
 * borrowed), archiving the previous backup once, and a flush with nothing
 * due writes nothing.
 */
static void test_deferred_backup(void **state)
{
	struct bench b;
	_cleanup_(vg_store_freep) struct vg_store *store = NULL;
	char dir[] = "/tmp/test-vg-store.XXXXXX";
	char path[4200], description[128], seqnos[256];
	struct vg_error err = { 0 };
	struct vg_text_header changing = header;
	char changing_description[64];
	uint64_t first;

	bench_open(&b);
	assert_non_null(mkdtemp(dir));
	store = create_vg(&b, 0, 2);
	store->state_dir = dir;
	store->defer_backup = true;
	snprintf(path, sizeof(path), "%s/backup/vgs", dir);

	snprintf(changing_description, sizeof(changing_description), "first deferred commit");
	changing.description = changing_description;
	if (vg_store_commit(store, change(store->vg), NULL, 0, &changing, &err) < 0)
		fail_msg("commit: %s", err.message);
	first = store->vg->seqno;
	assert_true(store->backup_due);
	assert_int_equal(backup_file_seqno(path, description, sizeof(description)), 0);
	/* the caller's header is gone by the time the backup is written */
	memset(changing_description, 'x', sizeof(changing_description) - 1);
	assert_int_equal(vg_store_flush_backup(store, &err), 0);
	assert_false(store->backup_due);
	assert_int_equal(backup_file_seqno(path, description, sizeof(description)), first);
	assert_string_equal(description, "first deferred commit");
	archived_seqnos(dir, seqnos, sizeof(seqnos));
	assert_string_equal(seqnos, "");

	/* two commits, one flush: one backup of the last, one archive copy of the flushed one */
	commit_ok(store, change(store->vg), NULL, 0);
	commit_ok(store, change(store->vg), NULL, 0);
	assert_int_equal(backup_file_seqno(path, description, sizeof(description)), first);
	assert_int_equal(vg_store_flush_backup(store, &err), 0);
	assert_int_equal(backup_file_seqno(path, description, sizeof(description)), first + 2);
	assert_string_equal(description, header.description);
	archived_seqnos(dir, seqnos, sizeof(seqnos));
	snprintf(description, sizeof(description), "%" PRIu64, first);
	assert_string_equal(seqnos, description);

	/* nothing due: nothing written */
	assert_int_equal(vg_store_flush_backup(store, &err), 0);
	archived_seqnos(dir, seqnos, sizeof(seqnos));
	assert_string_equal(seqnos, description);
	rm_rf(dir);
	bench_close(&b);
}

/*
 * Commits that write the backup at once keep the archive list in memory:
 * retention prunes from it exactly as from a listing of the directory.
 */
static void test_backup_archive_kept_in_memory(void **state)
{
	struct bench b;
	_cleanup_(vg_store_freep) struct vg_store *store = NULL;
	char dir[] = "/tmp/test-vg-store.XXXXXX";
	char path[4200], description[128], seqnos[256], expected[256];
	uint64_t last;

	bench_open(&b);
	assert_non_null(mkdtemp(dir));
	store = create_vg(&b, 0, 2);
	store->state_dir = dir;
	store->backup_policy = (struct vg_backup_policy){ .keep_count = 1, .keep_seconds = 3600, .max_count = 3 };
	for (int i = 0; i < 6; i++)
		commit_ok(store, change(store->vg), NULL, 0);
	last = store->vg->seqno;
	snprintf(path, sizeof(path), "%s/backup/vgs", dir);
	assert_int_equal(backup_file_seqno(path, description, sizeof(description)), last);
	archived_seqnos(dir, seqnos, sizeof(seqnos));
	snprintf(expected, sizeof(expected), "%" PRIu64 " %" PRIu64 " %" PRIu64, last - 1, last - 2, last - 3);
	assert_string_equal(seqnos, expected);
	assert_int_equal(store->backup_cache.n_entries, 3);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(store->backup_cache.entries[i].seqno, last - 1 - i);
	rm_rf(dir);
	bench_close(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_from_scan),
		cmocka_unit_test(test_commit_increments_seqno_everywhere),
		cmocka_unit_test(test_joining_pv),
		cmocka_unit_test(test_leaving_pv_becomes_orphan),
		cmocka_unit_test(test_partial_vg_refuses_changes),
		cmocka_unit_test(test_damaged_header_repaired_by_commit),
		cmocka_unit_test(test_damaged_text_repaired_by_commit),
		cmocka_unit_test(test_stale_copy_repaired_by_commit),
		cmocka_unit_test(test_stale_second_area_reported),
		cmocka_unit_test(test_inconsistent_copies_repaired_by_commit),
		cmocka_unit_test(test_inconsistent_model_refused),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_rename_moves_the_backup),
		cmocka_unit_test(test_deferred_backup),
		cmocka_unit_test(test_backup_archive_kept_in_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
