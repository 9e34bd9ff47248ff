/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of daemon/job: the job table with a job kind of the test's own
 * (it counts the bytes it is given until it has a set amount): numbers from
 * 1 that are never reused, steps within 64 KiB-aligned budgets under the
 * rate limit, done/failed/cancelled with their events, progress events at
 * most twice a second, finished jobs forgotten beyond the last 64.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "job.h"

struct counter {
	uint64_t goal;
	uint64_t done;
	uint64_t max_budget, min_budget;
	unsigned steps, stops;
	int fail_step; /* the step that fails with -EIO (1-based); 0: none */
	int stop_result;
};

static int counter_step(struct job *job, struct host *host, uint64_t budget_bytes, uint64_t deadline_ms,
			struct vg_error *err)
{
	struct counter *c = job->data;
	uint64_t n = MIN(budget_bytes, c->goal - c->done);

	c->steps++;
	c->max_budget = MAX(c->max_budget, budget_bytes);
	c->min_budget = c->min_budget ? MIN(c->min_budget, budget_bytes) : budget_bytes;
	if (c->fail_step && (int)c->steps == c->fail_step)
		return vg_error_set(err, -EIO, "reading leg 2 at byte %" PRIu64 ": Input/output error", c->done);
	c->done += n;
	job_set_progress(job, c->done, c->goal);
	return c->done == c->goal ? JOB_STEP_DONE : JOB_STEP_MORE;
}

static int counter_stop(struct job *job, struct host *host, struct vg_error *err)
{
	struct counter *c = job->data;

	c->stops++;
	if (c->stop_result < 0)
		return vg_error_set(err, c->stop_result, "cannot record the position");
	return 0;
}

/* The test keeps the counters: the table must not free them. */
static const struct job_ops counter_ops = { .step = counter_step, .stop = counter_stop };

/* Every event published, as "type job" lines. */
struct recorder {
	char lines[4096][64];
	size_t n;
};

static void record(void *userdata, const char *type, struct json_object *fields)
{
	struct recorder *rec = userdata;
	struct json_object *job;

	if (rec->n < 4096) {
		json_object_object_get_ex(fields, "job", &job);
		snprintf(rec->lines[rec->n++], sizeof(rec->lines[0]), "%s %" PRIu64, type,
			 (uint64_t)json_object_get_int64(job));
	}
	json_object_put(fields);
}

static size_t count(const struct recorder *rec, const char *line)
{
	size_t n = 0;

	for (size_t i = 0; i < rec->n; i++)
		n += strcmp(rec->lines[i], line) == 0;
	return n;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Step until no job runs; returns the number of rounds. */
static unsigned run_all(struct jobs *jobs)
{
	unsigned rounds = 0;
	int wait;

	while ((wait = jobs_run(jobs)) >= 0) {
		rounds++;
		if (wait > 0)
			sleep_ms((unsigned)wait);
		assert_true(rounds < 100000);
	}
	return rounds;
}

static void test_numbers_and_done(void **state)
{
	static struct recorder rec;
	struct counter a = { .goal = 20 << 20 }, b = { .goal = 1 << 20 };
	_cleanup_(jobs_freep) struct jobs *jobs = jobs_new(NULL, 0, record, &rec);
	struct job *ja, *jb;
	struct json_object *json, *v;

	memset(&rec, 0, sizeof(rec));
	assert_non_null(jobs);
	assert_int_equal(jobs_run(jobs), -1); /* nothing to do: the loop may sleep */
	assert_int_equal(jobs_start(jobs, &counter_ops, "test.count", "md0", a.goal, &a, &ja), 0);
	assert_int_equal(jobs_start(jobs, &counter_ops, "test.count", "md1", b.goal, &b, &jb), 0);
	assert_int_equal(ja->id, 1);
	assert_int_equal(jb->id, 2);
	assert_ptr_equal(jobs_find(jobs, 2), jb);
	assert_null(jobs_find(jobs, 3));
	assert_ptr_equal(jobs_running_on(jobs, "md0"), ja);
	assert_null(jobs_running_on(jobs, "md7"));
	assert_int_equal(jobs_count_running(jobs), 2);
	assert_int_equal(count(&rec, "job.progress 1"), 1); /* the start says so */

	run_all(jobs);
	assert_int_equal(a.done, a.goal);
	assert_int_equal(b.done, b.goal);
	/* without a limit, each round gives every running job up to 8 MiB, in 64 KiB pieces */
	assert_int_equal(a.max_budget, 8 << 20);
	assert_int_equal(a.min_budget % (64 << 10), 0);
	assert_int_equal(a.steps, 3);
	assert_int_equal(ja->state, JOB_DONE);
	assert_int_equal(count(&rec, "job.done 1"), 1);
	assert_int_equal(count(&rec, "job.done 2"), 1);
	assert_null(jobs_running_on(jobs, "md0"));

	json = job_json(ja);
	assert_true(json_object_object_get_ex(json, "state", &v));
	assert_string_equal(json_object_get_string(v), "done");
	assert_true(json_object_object_get_ex(json, "progress", &v));
	assert_true(json_object_get_double(v) == 1.0);
	assert_true(json_object_object_get_ex(json, "done_bytes", &v));
	assert_int_equal(json_object_get_int64(v), 20 << 20);
	assert_true(json_object_object_get_ex(json, "kind", &v));
	assert_string_equal(json_object_get_string(v), "test.count");
	assert_true(json_object_object_get_ex(json, "target", &v));
	assert_string_equal(json_object_get_string(v), "md0");
	assert_true(json_object_object_get_ex(json, "finished", &v));
	assert_false(json_object_object_get_ex(json, "error", &v));
	json_object_put(json);

	/* a new job after those ended still gets a new number */
	struct counter c = { .goal = 1 << 16 };
	struct job *jc;
	assert_int_equal(jobs_start(jobs, &counter_ops, "test.count", "md0", c.goal, &c, &jc), 0);
	assert_int_equal(jc->id, 3);
}

static void test_rate_limit(void **state)
{
	struct counter a = { .goal = 1 << 20 };
	/* 2 MiB/s: never more than a fifth of a second's worth in one step */
	_cleanup_(jobs_freep) struct jobs *jobs = jobs_new(NULL, 2 << 20, NULL, NULL);
	struct timespec t0, t1;
	double seconds;
	int wait;

	assert_int_equal(jobs_start(jobs, &counter_ops, "test.count", "md0", a.goal, &a, NULL), 0);
	/* nothing earned yet (unless this machine stalled): the loop is told how long to sleep */
	wait = jobs_run(jobs);
	assert_true(a.steps > 0 || (wait > 0 && wait <= 1000));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	run_all(jobs);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_int_equal(a.done, a.goal);
	assert_true(a.max_budget <= (2 << 20) / 5);
	assert_int_equal(a.min_budget % (64 << 10), 0);
	/* 1 MiB at 2 MiB/s: about half a second (a fifth of it may come at once), not at once */
	if (seconds < 0.25)
		fail_msg("1 MiB at 2 MiB/s took %.3f s", seconds);
}

static void test_fail_and_cancel(void **state)
{
	static struct recorder rec;
	struct counter bad = { .goal = 64 << 20, .fail_step = 2 };
	struct counter stopped = { .goal = 64 << 20 };
	struct counter stuck = { .goal = 64 << 20, .stop_result = -EROFS };
	_cleanup_(jobs_freep) struct jobs *jobs = jobs_new(NULL, 0, record, &rec);
	struct job *jbad, *jstopped, *jstuck;
	struct vg_error err = { 0 };
	struct json_object *json, *error, *v;

	memset(&rec, 0, sizeof(rec));
	assert_int_equal(jobs_start(jobs, &counter_ops, "test.count", "md0", bad.goal, &bad, &jbad), 0);
	assert_int_equal(jobs_start(jobs, &counter_ops, "test.count", "md1", stopped.goal, &stopped, &jstopped), 0);
	assert_int_equal(jobs_start(jobs, &counter_ops, "test.count", "md2", stuck.goal, &stuck, &jstuck), 0);
	assert_int_equal(jobs_run(jobs), 0);
	assert_int_equal(jobs_run(jobs), 0);
	assert_int_equal(jbad->state, JOB_FAILED);
	assert_int_equal(count(&rec, "job.failed 1"), 1);
	json = job_json(jbad);
	assert_true(json_object_object_get_ex(json, "error", &error));
	assert_true(json_object_object_get_ex(error, "reason", &v));
	assert_string_equal(json_object_get_string(v), "EIO");
	assert_true(json_object_object_get_ex(error, "message", &v));
	/* three jobs share a round's 8 MiB in whole 64 KiB pieces: 42 pieces each */
	assert_string_equal(json_object_get_string(v), "reading leg 2 at byte 2752512: Input/output error");
	json_object_put(json);

	assert_int_equal(jobs_cancel(jobs, jstopped, &err), 0);
	assert_int_equal(jstopped->state, JOB_CANCELLED);
	assert_int_equal(stopped.stops, 1);
	assert_int_equal(stopped.done, 2 * 2752512); /* two steps, then no more */
	assert_int_equal(count(&rec, "job.cancelled 2"), 1);
	/* cancelling what ended is nothing to do */
	assert_int_equal(jobs_cancel(jobs, jstopped, &err), 0);
	assert_int_equal(stopped.stops, 1);
	assert_int_equal(count(&rec, "job.cancelled 2"), 1);

	/* a stop that cannot record where it is fails the job */
	assert_int_equal(jobs_cancel(jobs, jstuck, &err), -EROFS);
	assert_int_equal(jstuck->state, JOB_FAILED);
	assert_string_equal(jstuck->message, "cannot record the position");
	assert_int_equal(jobs_run(jobs), -1);
	assert_int_equal(stopped.steps, 2);
}

static void test_progress_events_throttled(void **state)
{
	static struct recorder rec;
	struct counter a = { .goal = 1 << 30 };
	_cleanup_(jobs_freep) struct jobs *jobs = jobs_new(NULL, 0, record, &rec);
	struct job *job;

	memset(&rec, 0, sizeof(rec));
	assert_int_equal(jobs_start(jobs, &counter_ops, "test.count", "md0", a.goal, &a, &job), 0);
	for (int i = 1; i <= 1000; i++)
		job_set_progress(job, (uint64_t)i << 10, a.goal);
	assert_int_equal(job->done_bytes, 1000 << 10);
	assert_int_equal(count(&rec, "job.progress 1"), 1); /* only the start's, within half a second */
	sleep_ms(550);
	job_set_progress(job, 2000 << 10, a.goal);
	job_set_progress(job, 2001 << 10, a.goal);
	assert_int_equal(count(&rec, "job.progress 1"), 2);
}

static void test_shutdown_and_forgetting(void **state)
{
	struct counter running = { .goal = 1 << 30 };
	struct counter quick[70];
	_cleanup_(jobs_freep) struct jobs *jobs = jobs_new(NULL, 0, NULL, NULL);
	struct json_object *list;

	assert_int_equal(jobs_start(jobs, &counter_ops, "test.count", "md0", running.goal, &running, NULL), 0);
	for (size_t i = 0; i < 70; i++) {
		quick[i] = (struct counter){ .goal = 64 << 10 };
		assert_int_equal(jobs_start(jobs, &counter_ops, "test.count", "md1", quick[i].goal, &quick[i], NULL), 0);
	}
	assert_int_equal(jobs_run(jobs), 0);
	/* the running job and the last 64 finished ones are kept */
	list = jobs_json(jobs);
	assert_int_equal(json_object_array_length(list), 65);
	json_object_put(list);
	assert_non_null(jobs_find(jobs, 1));
	assert_null(jobs_find(jobs, 7));
	assert_non_null(jobs_find(jobs, 8));
	assert_non_null(jobs_find(jobs, 71));

	jobs_stop_all(jobs);
	assert_int_equal(running.stops, 1);
	assert_int_equal(quick[69].stops, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers_and_done),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_fail_and_cancel),
		cmocka_unit_test(test_progress_events_throttled),
		cmocka_unit_test(test_shutdown_and_forgetting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
