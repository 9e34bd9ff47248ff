/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Crash safety of the two-phase commit. A VG on three memory PVs is changed
 * once; the change is replayed from the same starting bytes with each of
 * its writes failed in turn (a power cut: nothing after it lands) and with
 * each write torn at every 512-byte boundary (sector writes are atomic, as
 * on disks). After each crash a fresh scan must find exactly the old or
 * exactly the new VG — never a mix, never nothing.
 *
 * With VG_CRASH_IMAGE_DIR set, the devices after every crash are saved there
 * as <case>-pv<N>.img so that stock lvm2 can judge them too
 * (tests/integration/crash-commit.sh).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "vg-ops.h"
#include "vg-scan.h"
#include "vg-store.h"

#define N_PVS 3
#define PV_BYTES (UINT64_C(8) << 20)

static const struct vg_text_header header = {
	.generator = "vgtool test",
	.description = "Write from test-vg-commit.",
	.creation_host = "testhost",
	.uname_line = "Linux testhost",
	.creation_time = 1795628460,
};

static char *render(const struct vg *vg)
{
	struct strbuf sb;

	strbuf_init(&sb);
	assert_int_equal(vg_text_render_raw(vg, &header, &sb), 0);
	return strbuf_steal(&sb, NULL);
}

struct bench {
	struct blockdev_faults faults;
	struct blockdev *devs[N_PVS];
	uint8_t *snapshot[N_PVS];
};

static void bench_open(struct bench *b)
{
	memset(b, 0, sizeof(*b));
	for (int i = 0; i < N_PVS; i++) {
		char name[16];

		snprintf(name, sizeof(name), "mem%d", i);
		assert_int_equal(blockdev_open_memory(name, PV_BYTES, 512, &b->faults, &b->devs[i]), 0);
	}
}

static void bench_close(struct bench *b)
{
	for (int i = 0; i < N_PVS; i++) {
		blockdev_close(b->devs[i]);
		free(b->snapshot[i]);
	}
}

static void bench_snapshot(struct bench *b)
{
	for (int i = 0; i < N_PVS; i++) {
		free(b->snapshot[i]);
		b->snapshot[i] = malloc(PV_BYTES);
		memcpy(b->snapshot[i], blockdev_memory_bytes(b->devs[i]), PV_BYTES);
	}
}

static void bench_restore(struct bench *b)
{
	for (int i = 0; i < N_PVS; i++)
		memcpy(blockdev_memory_bytes(b->devs[i]), b->snapshot[i], PV_BYTES);
	memset(&b->faults, 0, sizeof(b->faults));
}

static struct vg_store *load(struct bench *b, struct vg_scan_result **ret_scan)
{
	struct vg_scan_result *scan = NULL;
	struct vg_store *store = NULL;
	struct vg_error err = { 0 };

	assert_int_equal(vg_scan(b->devs, N_PVS, &scan, &err), 0);
	if (scan->n_vgs != 1) {
		vg_scan_result_free(scan);
		*ret_scan = NULL;
		return NULL;
	}
	assert_int_equal(vg_store_from_scan(scan, &scan->vgs[0], &store, &err), 0);
	*ret_scan = scan;
	return store;
}

/* The change under test: a new LV, an extended one, a removed one, in one commit. */
static struct vg *change(const struct vg *vg)
{
	struct vg *a = NULL, *b2 = NULL, *c = NULL;
	struct vg_error err = { 0 };
	struct lv_create_request create = {
		.name = "fresh", .size = { .extents = 3 }, .creation_host = "h", .lv_id = "fresh0fresh0fresh0fresh0fresh0fr",
	};
	struct lv_resize_request grow = { .name = "keep", .size = { .extents = 2, .extents_sign = SIZE_SIGN_PLUS } };

	assert_int_equal(lv_op_create(vg, &create, &a, &err), 0);
	assert_int_equal(lv_op_resize(a, &grow, &b2, &err), 0);
	assert_int_equal(lv_op_remove(b2, "gone", &c, &err), 0);
	vg_free(a);
	vg_free(b2);
	return c;
}

static void save_images(struct bench *b, const char *case_name)
{
	const char *dir = getenv("VG_CRASH_IMAGE_DIR");

	if (!dir)
		return;
	for (int i = 0; i < N_PVS; i++) {
		char path[4096];
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s-pv%d.img", dir, case_name, i);
		f = fopen(path, "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(blockdev_memory_bytes(b->devs[i]), 1, PV_BYTES, f), PV_BYTES);
		fclose(f);
	}
}

static void test_every_write_of_a_commit(void **state)
{
	struct bench b;
	struct vg_error err = { 0 };
	struct vg_commit_target joining[N_PVS];
	struct pv_join joins[N_PVS];
	_cleanup_(vg_store_freep) struct vg_store *store = NULL;
	_cleanup_free_ char *old_text = NULL, *new_text = NULL;
	struct vg *vg = NULL, *next = NULL;
	uint64_t writes_in_commit;
	unsigned cases = 0, saw_old = 0, saw_new = 0;

	bench_open(&b);
	for (int i = 0; i < N_PVS; i++) {
		struct pv_create_params params = { .mda_size_bytes = 65536 };

		joining[i].dev = b.devs[i];
		assert_int_equal(pv_create(b.devs[i], &params, &joining[i].label, &err), 0);
		joins[i] = (struct pv_join){
			.id = joining[i].label.pv_uuid,
			.dev_size_sectors = PV_BYTES / 512,
			.pe_start_sectors = pv_data_start_bytes(&joining[i].label) / 512,
			.data_end_sectors = pv_data_end_bytes(&joining[i].label, PV_BYTES) / 512,
		};
	}
	/* 1 MiB extents: 7 per PV */
	assert_int_equal(vg_op_create("crashvg", 2048, joins, N_PVS, NULL, &vg, &err), 0);
	struct lv_create_request keep = { .name = "keep", .size = { .extents = 4 }, .creation_host = "h" };
	struct lv_create_request gone = { .name = "gone", .size = { .extents = 5 }, .creation_host = "h" };
	assert_int_equal(lv_op_create(vg, &keep, &next, &err), 0);
	vg_free(vg);
	assert_int_equal(lv_op_create(next, &gone, &vg, &err), 0);
	vg_free(next);
	assert_int_equal(vg_store_new(vg, &store, &err), 0);
	if (vg_store_commit(store, vg, joining, N_PVS, &header, &err) < 0)
		fail_msg("first commit: %s", err.message);
	old_text = render(store->vg);
	bench_snapshot(&b);

	/* the change once without faults: how many writes, and the text it leads to */
	next = change(store->vg);
	b.faults = (struct blockdev_faults){ 0 };
	if (vg_store_commit(store, next, NULL, 0, &header, &err) < 0)
		fail_msg("clean commit: %s", err.message);
	writes_in_commit = b.faults.writes_done;
	new_text = render(store->vg);
	assert_true(writes_in_commit >= 3 * N_PVS); /* text, precommit, commit on each */
	assert_string_not_equal(old_text, new_text);

	for (uint64_t n = 1; n <= writes_in_commit; n++) {
		/* each write failed, and each write torn at every sector boundary (0 = nothing landed) */
		for (size_t keep_bytes = 0;; keep_bytes += 512) {
			struct vg_scan_result *scan = NULL;
			struct vg_store *crashed_store = NULL, *reloaded = NULL;
			_cleanup_free_ char *seen = NULL;
			char case_name[64];
			int r;

			bench_restore(&b);
			crashed_store = load(&b, &scan);
			assert_non_null(crashed_store);
			b.faults.power_cut = true;
			b.faults.tear_write_at = n;
			b.faults.tear_keep_bytes = keep_bytes;
			next = change(crashed_store->vg);
			r = vg_store_commit(crashed_store, next, NULL, 0, &header, &err);
			assert_true(r < 0);
			assert_true(b.faults.tripped);
			size_t torn_write_bytes = b.faults.torn_write_bytes;
			vg_free(next);
			vg_store_free(crashed_store);
			vg_scan_result_free(scan);

			/* power back: read what is on the disks */
			memset(&b.faults, 0, sizeof(b.faults));
			reloaded = load(&b, &scan);
			if (!reloaded)
				fail_msg("write %" PRIu64 " torn after %zu bytes: no VG found after the crash", n, keep_bytes);
			seen = render(reloaded->vg);
			if (streq(seen, old_text))
				saw_old++;
			else if (streq(seen, new_text))
				saw_new++;
			else
				fail_msg("write %" PRIu64 " torn after %zu bytes: the VG read back is neither old nor new:\n%s", n,
					 keep_bytes, seen);
			snprintf(case_name, sizeof(case_name), "w%02" PRIu64 "-k%06zu", n, keep_bytes);
			save_images(&b, case_name);
			cases++;

			/* the next commit repairs whatever is stale */
			struct vg *again = NULL;
			if (vg_find_lv(reloaded->vg, "gone")) {
				again = change(reloaded->vg);
			} else {
				/* the new VG won: change it differently so the commit has work */
				struct lv_resize_request grow = { .name = "keep", .size = { .extents = 1, .extents_sign = SIZE_SIGN_PLUS } };
				assert_int_equal(lv_op_resize(reloaded->vg, &grow, &again, &err), 0);
			}
			if (vg_store_commit(reloaded, again, NULL, 0, &header, &err) < 0)
				fail_msg("repairing commit after write %" PRIu64 ": %s", n, err.message);
			vg_store_free(reloaded);
			vg_scan_result_free(scan);
			reloaded = load(&b, &scan);
			assert_non_null(reloaded);
			assert_int_equal(scan->n_vgs, 1);
			assert_int_equal(scan->vgs[0].n_stale, 0);
			assert_false(scan->vgs[0].inconsistent);
			vg_store_free(reloaded);
			vg_scan_result_free(scan);
			if (keep_bytes + 512 >= torn_write_bytes)
				break;
		}
	}
	assert_true(saw_old > 0);
	assert_true(saw_new > 0);
	print_message("%u crash points, %u read back the old VG, %u the new one\n", cases, saw_old, saw_new);
	bench_close(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_write_of_a_commit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
