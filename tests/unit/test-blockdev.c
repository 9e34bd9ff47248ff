/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* struct blockdev on image files and on memory with injected faults. */
#include <stdarg.h>
#include <stddef.h>
#include <pthread.h>
#include <setjmp.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "blockdev.h"

static char image_path[64];

static int make_image(void **state)
{
	int fd;

	snprintf(image_path, sizeof(image_path), "/tmp/vgtool-test-blockdev-XXXXXX");
	fd = mkstemp(image_path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1 << 20), 0);
	close(fd);
	return 0;
}

static int remove_image(void **state)
{
	unlink(image_path);
	return 0;
}

static void test_file_read_write_flush(void **state)
{
	_cleanup_(blockdev_closep) struct blockdev *dev = NULL;
	struct vg_error err = { 0 };
	char out[6] = { 0 };
	_cleanup_free_ void *alloc = NULL;

	assert_int_equal(blockdev_open(image_path, 0, &dev, &err), 0);
	assert_int_equal(dev->size_bytes, 1 << 20);
	assert_int_equal(dev->logical_block_bytes, 512);
	assert_false(dev->is_block_device);
	assert_int_equal(blockdev_write(dev, 4090, "hello", 5, &err), 0);
	assert_int_equal(blockdev_flush(dev, &err), 0);
	assert_int_equal(blockdev_read(dev, 4090, out, 5, &err), 0);
	assert_string_equal(out, "hello");
	assert_int_equal(blockdev_read_alloc(dev, 4090, 5, &alloc, &err), 0);
	assert_memory_equal(alloc, "hello", 5);
	assert_int_equal(blockdev_zero(dev, 4091, 3, &err), 0);
	assert_int_equal(blockdev_read(dev, 4090, out, 5, &err), 0);
	assert_memory_equal(out, "h\0\0\0o", 5);
}

static void test_file_bounds_are_refused(void **state)
{
	_cleanup_(blockdev_closep) struct blockdev *dev = NULL;
	struct vg_error err = { 0 };
	char buf[16];

	assert_int_equal(blockdev_open(image_path, 0, &dev, &err), 0);
	assert_int_equal(blockdev_read(dev, (1 << 20) - 8, buf, 16, &err), -ENXIO);
	assert_non_null(strstr(err.message, "beyond the end"));
	assert_non_null(strstr(err.message, image_path));
	assert_int_equal(blockdev_write(dev, UINT64_MAX - 4, buf, 16, &err), -ENXIO);
}

static void test_read_only_refuses_writes(void **state)
{
	_cleanup_(blockdev_closep) struct blockdev *dev = NULL;
	struct vg_error err = { 0 };

	assert_int_equal(blockdev_open(image_path, BLOCKDEV_READ_ONLY, &dev, &err), 0);
	assert_int_equal(blockdev_write(dev, 0, "x", 1, &err), -EROFS);
	assert_non_null(strstr(err.message, "read-only"));
}

static void test_exclusive_file_open_conflicts(void **state)
{
	_cleanup_(blockdev_closep) struct blockdev *first = NULL;
	_cleanup_(blockdev_closep) struct blockdev *second = NULL;
	struct vg_error err = { 0 };

	assert_int_equal(blockdev_open(image_path, BLOCKDEV_EXCLUSIVE, &first, &err), 0);
	assert_int_equal(blockdev_open(image_path, BLOCKDEV_EXCLUSIVE, &second, &err), -EBUSY);
	assert_null(second);
	assert_non_null(strstr(err.message, "in use"));
}

static void test_open_errors(void **state)
{
	struct blockdev *dev = NULL;
	struct vg_error err = { 0 };

	assert_int_equal(blockdev_open("/nonexistent/vgtool", 0, &dev, &err), -ENOENT);
	assert_non_null(strstr(err.message, "/nonexistent/vgtool"));
	assert_int_equal(blockdev_open("/tmp", 0, &dev, &err), -ENOTBLK);
	assert_int_equal(blockdev_open("/dev/null", 0, &dev, &err), -ENOTBLK);
	assert_null(dev);
}

static void test_memory_write_fault_and_power_cut(void **state)
{
	struct blockdev_faults faults = { .fail_write_at = 2, .fail_write_errno = ENOSPC, .power_cut = true };
	_cleanup_(blockdev_closep) struct blockdev *a = NULL;
	_cleanup_(blockdev_closep) struct blockdev *b = NULL;
	struct vg_error err = { 0 };

	assert_int_equal(blockdev_open_memory("a", 4096, 512, &faults, &a), 0);
	assert_int_equal(blockdev_open_memory("b", 4096, 512, &faults, &b), 0);
	assert_int_equal(blockdev_write(a, 0, "1", 1, &err), 0);
	/* the second write overall, on the other device, fails */
	assert_int_equal(blockdev_write(b, 0, "2", 1, &err), -ENOSPC);
	assert_int_equal(blockdev_memory_bytes(b)[0], 0);
	/* after a power cut nothing lands any more */
	assert_int_equal(blockdev_write(a, 1, "3", 1, &err), -EIO);
	assert_int_equal(blockdev_flush(a, &err), -EIO);
	assert_int_equal(blockdev_memory_bytes(a)[1], 0);
	assert_int_equal(blockdev_memory_bytes(a)[0], '1');
}

static void test_flush_all_files(void **state)
{
	struct blockdev *devs[3] = { NULL };
	struct vg_error err = { 0 };
	char out[3] = { 0 };

	/* three descriptors on one image, one of them read-only (nothing to flush there) */
	assert_int_equal(blockdev_open(image_path, 0, &devs[0], &err), 0);
	assert_int_equal(blockdev_open(image_path, 0, &devs[1], &err), 0);
	assert_int_equal(blockdev_open(image_path, BLOCKDEV_READ_ONLY, &devs[2], &err), 0);
	assert_int_equal(blockdev_write(devs[0], 0, "a", 1, &err), 0);
	assert_int_equal(blockdev_write(devs[1], 1, "b", 1, &err), 0);
	assert_int_equal(blockdev_flush_all(devs, 3, &err), 0);
	assert_int_equal(blockdev_read(devs[2], 0, out, 2, &err), 0);
	assert_string_equal(out, "ab");
	assert_int_equal(blockdev_flush_all(devs, 0, &err), 0);
	for (size_t i = 0; i < 3; i++)
		blockdev_close(devs[i]);
}

struct flush_all_worker {
	struct blockdev *devs[3];
	int failures;
};

static void *flush_all_repeatedly(void *arg)
{
	struct flush_all_worker *w = arg;

	for (int round = 0; round < 50; round++) {
		struct vg_error err = { 0 };

		if (blockdev_flush_all(w->devs, 3, &err) != 0)
			w->failures++;
	}
	return NULL;
}

/* Callers on several threads at once, round after round: the flushing threads are shared and reused. */
static void test_flush_all_from_threads(void **state)
{
	struct flush_all_worker workers[4];
	pthread_t threads[4];
	struct vg_error err = { 0 };

	for (size_t t = 0; t < 4; t++) {
		workers[t].failures = 0;
		for (size_t i = 0; i < 3; i++)
			assert_int_equal(blockdev_open(image_path, 0, &workers[t].devs[i], &err), 0);
		assert_int_equal(blockdev_write(workers[t].devs[0], t, "w", 1, &err), 0);
	}
	for (size_t t = 0; t < 4; t++)
		assert_int_equal(pthread_create(&threads[t], NULL, flush_all_repeatedly, &workers[t]), 0);
	for (size_t t = 0; t < 4; t++) {
		char out[5] = { 0 };

		assert_int_equal(pthread_join(threads[t], NULL), 0);
		assert_int_equal(workers[t].failures, 0);
		assert_int_equal(blockdev_read(workers[t].devs[1], 0, out, 4, &err), 0);
		assert_string_equal(out, "wwww");
	}
	for (size_t t = 0; t < 4; t++)
		for (size_t i = 0; i < 3; i++)
			blockdev_close(workers[t].devs[i]);
}

struct run_all_ctx {
	struct blockdev *devs[3];
	int ran[3];
};

/* Writes its own byte; devices 1 and 2 then fail, each with its own message. */
static int write_then_fail(void *arg, size_t i, struct vg_error *err)
{
	struct run_all_ctx *ctx = arg;
	int r = blockdev_write(ctx->devs[i], 8 + i, "xyz" + i, 1, err);

	ctx->ran[i]++;
	if (r == 0 && i > 0)
		r = vg_error_set(err, i == 1 ? -EIO : -ENOSPC, "job %zu failed", i);
	return r;
}

/* On files every job runs, at once, and the first failure in device order is the one reported. */
static void test_run_all_reports_the_first_failure(void **state)
{
	struct run_all_ctx ctx = { { NULL } };
	struct vg_error err = { 0 };
	char out[4] = { 0 };

	for (size_t i = 0; i < 3; i++)
		assert_int_equal(blockdev_open(image_path, 0, &ctx.devs[i], &err), 0);
	assert_int_equal(blockdev_run_all(ctx.devs, 3, write_then_fail, &ctx, &err), -EIO);
	assert_string_equal(err.message, "job 1 failed");
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(ctx.ran[i], 1);
	assert_int_equal(blockdev_read(ctx.devs[0], 8, out, 3, &err), 0);
	assert_string_equal(out, "xyz");
	for (size_t i = 0; i < 3; i++)
		blockdev_close(ctx.devs[i]);
}

static void test_flush_all_reports_the_failing_device(void **state)
{
	struct blockdev_faults faults = { 0 };
	struct blockdev *devs[2] = { NULL };
	struct vg_error err = { 0 };

	assert_int_equal(blockdev_open_memory("first", 4096, 512, &faults, &devs[0]), 0);
	assert_int_equal(blockdev_open_memory("second", 4096, 512, &faults, &devs[1]), 0);
	assert_int_equal(blockdev_flush_all(devs, 2, &err), 0);
	assert_int_equal(faults.flushes_done, 2);
	faults.power_cut = true;
	faults.tripped = true;
	assert_int_equal(blockdev_flush_all(devs, 2, &err), -EIO);
	assert_string_equal(err.message, "first: flush failed: Input/output error");
	for (size_t i = 0; i < 2; i++)
		blockdev_close(devs[i]);
}

static void test_memory_torn_write(void **state)
{
	struct blockdev_faults faults = { .tear_write_at = 1, .tear_keep_bytes = 3 };
	_cleanup_(blockdev_closep) struct blockdev *dev = NULL;
	struct vg_error err = { 0 };

	assert_int_equal(blockdev_open_memory("m", 4096, 512, &faults, &dev), 0);
	assert_int_equal(blockdev_write(dev, 10, "abcdef", 6, &err), -EIO);
	assert_memory_equal(blockdev_memory_bytes(dev) + 10, "abc\0\0\0", 6);
	/* without power_cut the device keeps working */
	assert_int_equal(blockdev_write(dev, 10, "abcdef", 6, &err), 0);
	assert_memory_equal(blockdev_memory_bytes(dev) + 10, "abcdef", 6);
}

static void test_memory_read_fault(void **state)
{
	struct blockdev_faults faults = { .fail_read_at = 2 };
	_cleanup_(blockdev_closep) struct blockdev *dev = NULL;
	struct vg_error err = { 0 };
	char buf[4];

	assert_int_equal(blockdev_open_memory("m", 4096, 512, &faults, &dev), 0);
	assert_int_equal(blockdev_read(dev, 0, buf, 4, &err), 0);
	assert_int_equal(blockdev_read(dev, 0, buf, 4, &err), -EIO);
	assert_non_null(strstr(err.message, "read of 4 bytes at offset 0 failed"));
	assert_int_equal(blockdev_read(dev, 0, buf, 4, &err), 0);
	assert_int_equal(faults.reads_done, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_file_read_write_flush, make_image, remove_image),
		cmocka_unit_test_setup_teardown(test_file_bounds_are_refused, make_image, remove_image),
		cmocka_unit_test_setup_teardown(test_read_only_refuses_writes, make_image, remove_image),
		cmocka_unit_test_setup_teardown(test_exclusive_file_open_conflicts, make_image, remove_image),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_memory_write_fault_and_power_cut),
		cmocka_unit_test(test_memory_torn_write),
		cmocka_unit_test_setup_teardown(test_flush_all_files, make_image, remove_image),
		cmocka_unit_test_setup_teardown(test_flush_all_from_threads, make_image, remove_image),
		cmocka_unit_test_setup_teardown(test_run_all_reports_the_first_failure, make_image, remove_image),
		cmocka_unit_test(test_flush_all_reports_the_failing_device),
		cmocka_unit_test(test_memory_read_fault),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
