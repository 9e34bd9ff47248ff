/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fanout: every item runs exactly once, in the worker its index deals it to,
 * side by side in separate processes; each result (and message) reaches the
 * caller once; a worker that dies has its unreported items reported as lost,
 * naming how it died; one worker means no fork at all.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "fanout.h"

struct run {
	char dir[64];
	size_t n_items;
	size_t kill_at; /* the item whose worker kills itself; SIZE_MAX: none */
	int *results;   /* per item: the r reported, or 1 when not yet reported */
	unsigned *reports;
	char (*messages)[64];
};

/* Writes the worker's pid into DIR/ITEM (the item's side effect), fails every 7th item from 3. */
static int do_item(size_t i, void *userdata, struct vg_error *err)
{
	struct run *run = userdata;
	char path[128], pid[32];
	int fd, len;

	if (i == run->kill_at)
		raise(SIGKILL);
	snprintf(path, sizeof(path), "%s/%zu", run->dir, i);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		return vg_error_set(err, -errno, "item %zu: %s: %m", i, path);
	len = snprintf(pid, sizeof(pid), "%d", (int)getpid());
	if (write(fd, pid, (size_t)len) != len) {
		close(fd);
		return vg_error_set(err, -EIO, "item %zu: short write", i);
	}
	close(fd);
	if (i % 7 == 3)
		return vg_error_set(err, -EIO, "item %zu failed on purpose", i);
	return 0;
}

static void on_result(size_t i, int r, const struct vg_error *err, void *userdata)
{
	struct run *run = userdata;

	assert_true(i < run->n_items);
	run->reports[i]++;
	run->results[i] = r;
	snprintf(run->messages[i], sizeof(run->messages[i]), "%s", r < 0 ? err->message : "");
}

static void run_init(struct run *run, size_t n_items)
{
	snprintf(run->dir, sizeof(run->dir), "/tmp/test-fanout.XXXXXX");
	assert_non_null(mkdtemp(run->dir));
	run->n_items = n_items;
	run->kill_at = SIZE_MAX;
	run->results = calloc(n_items, sizeof(*run->results));
	run->reports = calloc(n_items, sizeof(*run->reports));
	run->messages = calloc(n_items, sizeof(*run->messages));
	assert_non_null(run->results);
	assert_non_null(run->reports);
	assert_non_null(run->messages);
}

/* The pid item @i's side effect recorded, 0 when it did not happen. */
static long item_pid(const struct run *run, size_t i)
{
	char path[128], buf[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%s/%zu", run->dir, i);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return atol(buf);
}

static void run_done(struct run *run)
{
	char path[128];

	for (size_t i = 0; i < run->n_items; i++) {
		snprintf(path, sizeof(path), "%s/%zu", run->dir, i);
		(void)unlink(path);
	}
	(void)rmdir(run->dir);
	free(run->results);
	free(run->reports);
	free(run->messages);
}

static void test_every_item_once_in_its_worker(void **state)
{
	struct run run;
	struct vg_error err = { 0 };
	long pids[3] = { 0 };

	(void)state;
	/* enough items that the workers' pipes fill up while the caller reads */
	run_init(&run, 5000);
	assert_int_equal(fanout_run(run.n_items, 3, do_item, on_result, &run, &err), 0);
	for (size_t i = 0; i < run.n_items; i++) {
		long pid = item_pid(&run, i);

		assert_int_equal(run.reports[i], 1);
		assert_true(pid > 0);
		assert_true(pid != (long)getpid());
		/* item i runs in worker i % 3, and nowhere else */
		if (!pids[i % 3])
			pids[i % 3] = pid;
		assert_int_equal(pid, pids[i % 3]);
		if (i % 7 == 3) {
			char want[64];

			snprintf(want, sizeof(want), "item %zu failed on purpose", i);
			assert_int_equal(run.results[i], -EIO);
			assert_string_equal(run.messages[i], want);
		} else {
			assert_int_equal(run.results[i], 0);
		}
	}
	assert_true(pids[0] != pids[1] && pids[1] != pids[2] && pids[0] != pids[2]);
	run_done(&run);
}

static void test_one_worker_runs_here(void **state)
{
	struct run run;
	struct vg_error err = { 0 };

	(void)state;
	run_init(&run, 20);
	assert_int_equal(fanout_run(run.n_items, 1, do_item, on_result, &run, &err), 0);
	for (size_t i = 0; i < run.n_items; i++) {
		assert_int_equal(run.reports[i], 1);
		assert_int_equal(item_pid(&run, i), (long)getpid());
		assert_int_equal(run.results[i], i % 7 == 3 ? -EIO : 0);
	}
	run_done(&run);
}

static void test_dead_worker_reported(void **state)
{
	struct run run;
	struct vg_error err = { 0 };

	(void)state;
	run_init(&run, 40);
	/* item 9 is worker 1's (9 % 2): its items before 9 ran, 9 and after did not */
	run.kill_at = 9;
	assert_int_equal(fanout_run(run.n_items, 2, do_item, on_result, &run, &err), -ECHILD);
	assert_string_equal(err.message, "worker process 2 killed by signal 9 (Killed)");
	for (size_t i = 0; i < run.n_items; i++) {
		bool lost = i % 2 == 1 && i >= 9;

		assert_int_equal(run.reports[i], 1);
		if (lost) {
			assert_int_equal(run.results[i], -ECHILD);
			assert_int_equal(item_pid(&run, i), 0);
			assert_string_equal(run.messages[i], "worker process 2 killed by signal 9 (Killed)");
		} else {
			assert_true(item_pid(&run, i) > 0);
			assert_int_equal(run.results[i], i % 7 == 3 ? -EIO : 0);
		}
	}
	run_done(&run);
}

static void test_workers_for_items(void **state)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned most = cpus > 8 ? 8 : (unsigned)cpus;

	(void)state;
	assert_int_equal(fanout_workers(0, 32), 1);
	assert_int_equal(fanout_workers(31, 32), 1);
	assert_int_equal(fanout_workers(64, 32), most < 2 ? most : 2);
	assert_int_equal(fanout_workers(100000, 32), most);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_item_once_in_its_worker),
		cmocka_unit_test(test_one_worker_runs_here),
		cmocka_unit_test(test_dead_worker_reported),
		cmocka_unit_test(test_workers_for_items),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
