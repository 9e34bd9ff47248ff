/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The job table of vgtoold: numbering, stepping under a bandwidth limit, events (see job.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "job.h"
#include "log.h"

/* One step: this much I/O at most, and no new piece after this long, so requests wait little. */
#define STEP_BYTES ((uint64_t)8 << 20)
#define STEP_MS 20
/* Without a rate limit steps follow each other at once; with one, never less than this. */
#define MIN_STEP_BYTES ((uint64_t)64 << 10)
#define PROGRESS_EVERY_MS 500
/* Finished jobs remembered for job.list/job.show. */
#define FINISHED_KEPT 64

struct jobs {
	struct host *host;
	uint64_t rate_bytes; /* 0: no limit */
	uint64_t allowance;  /* bytes the rate limit lets through now */
	uint64_t refilled_ms;
	job_publish_fn publish;
	void *userdata;
	uint64_t next_id;
	struct job **list; /* oldest first */
	size_t n;
};

uint64_t job_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

const char *job_state_name(enum job_state state)
{
	switch (state) {
	case JOB_RUNNING:
		return "running";
	case JOB_DONE:
		return "done";
	case JOB_FAILED:
		return "failed";
	case JOB_CANCELLED:
		return "cancelled";
	}
	return "unknown";
}

static struct job *job_free(struct job *job)
{
	if (!job)
		return NULL;
	if (job->ops->free_data)
		job->ops->free_data(job->data);
	json_object_put(job->result);
	free(job->kind);
	free(job->target);
	free(job);
	return NULL;
}

struct jobs *jobs_new(struct host *host, uint64_t rate_bytes, job_publish_fn publish, void *userdata)
{
	struct jobs *jobs = calloc(1, sizeof(*jobs));

	if (!jobs)
		return NULL;
	jobs->host = host;
	jobs->rate_bytes = rate_bytes;
	jobs->publish = publish;
	jobs->userdata = userdata;
	jobs->next_id = 1;
	jobs->refilled_ms = job_clock_ms();
	return jobs;
}

struct jobs *jobs_free(struct jobs *jobs)
{
	if (!jobs)
		return NULL;
	for (size_t i = 0; i < jobs->n; i++)
		job_free(jobs->list[i]);
	free(jobs->list);
	free(jobs);
	return NULL;
}

/* Forget the oldest finished jobs beyond FINISHED_KEPT. */
static void forget_finished(struct jobs *jobs)
{
	size_t finished = 0;

	for (size_t i = 0; i < jobs->n; i++)
		finished += jobs->list[i]->state != JOB_RUNNING;
	for (size_t i = 0; i < jobs->n && finished > FINISHED_KEPT;) {
		if (jobs->list[i]->state == JOB_RUNNING) {
			i++;
			continue;
		}
		job_free(jobs->list[i]);
		memmove(&jobs->list[i], &jobs->list[i + 1], (jobs->n - i - 1) * sizeof(*jobs->list));
		jobs->n--;
		finished--;
	}
}

static struct json_object *event_fields(const struct job *job)
{
	struct json_object *fields = json_object_new_object();

	json_object_object_add(fields, "job", json_object_new_uint64(job->id));
	json_object_object_add(fields, "kind", json_object_new_string(job->kind));
	json_object_object_add(fields, "target", json_object_new_string(job->target));
	return fields;
}

void job_publish(struct job *job, const char *type, struct json_object *fields)
{
	if (job->jobs->publish)
		job->jobs->publish(job->jobs->userdata, type, fields);
	else
		json_object_put(fields);
}

static double fraction(const struct job *job)
{
	if (job->state == JOB_DONE)
		return 1.0;
	if (job->total_bytes == 0)
		return 0.0;
	return (double)MIN(job->done_bytes, job->total_bytes) / (double)job->total_bytes;
}

static void publish_progress(struct job *job)
{
	struct json_object *fields = event_fields(job);

	json_object_object_add(fields, "done_bytes", json_object_new_uint64(job->done_bytes));
	json_object_object_add(fields, "total_bytes", json_object_new_uint64(job->total_bytes));
	json_object_object_add(fields, "progress", json_object_new_double(fraction(job)));
	job->progress_published_ms = job_clock_ms();
	job_publish(job, "job.progress", fields);
}

void job_set_progress(struct job *job, uint64_t done, uint64_t total)
{
	job->done_bytes = done;
	job->total_bytes = total;
	if (job_clock_ms() - job->progress_published_ms >= PROGRESS_EVERY_MS)
		publish_progress(job);
}

/* The job ended (@state): record when and why, and say so. */
static void job_finish(struct job *job, enum job_state state, const struct vg_error *err)
{
	struct json_object *fields;

	job->state = state;
	job->finished = (uint64_t)time(NULL);
	if (state == JOB_FAILED) {
		job->error = err->code ? err->code : -EIO;
		snprintf(job->message, sizeof(job->message), "%s", err->message);
		vg_log(LOG_ERR, "job %" PRIu64 " (%s of %s) failed: %s", job->id, job->kind, job->target, job->message);
	} else {
		vg_log(LOG_INFO, "job %" PRIu64 " (%s of %s) %s", job->id, job->kind, job->target, job_state_name(state));
	}
	fields = event_fields(job);
	if (state == JOB_FAILED) {
		json_object_object_add(fields, "reason", json_object_new_string(vg_errno_name(job->error)));
		json_object_object_add(fields, "message", json_object_new_string(job->message));
	}
	job_publish(job, state == JOB_DONE ? "job.done" : state == JOB_FAILED ? "job.failed" : "job.cancelled", fields);
	forget_finished(job->jobs);
}

int jobs_start(struct jobs *jobs, const struct job_ops *ops, const char *kind, const char *target,
	       uint64_t total_bytes, void *data, struct job **ret_job)
{
	struct job *job = calloc(1, sizeof(*job)), **grown;

	if (!job) {
		if (ops->free_data)
			ops->free_data(data);
		return -ENOMEM;
	}
	job->ops = ops;
	job->data = data;
	job->jobs = jobs;
	job->kind = strdup(kind);
	job->target = strdup(target);
	grown = realloc(jobs->list, (jobs->n + 1) * sizeof(*grown));
	if (!job->kind || !job->target || !grown) {
		if (grown)
			jobs->list = grown;
		job_free(job);
		return -ENOMEM;
	}
	jobs->list = grown;
	job->id = jobs->next_id++;
	job->state = JOB_RUNNING;
	job->total_bytes = total_bytes;
	job->started = (uint64_t)time(NULL);
	jobs->list[jobs->n++] = job;
	vg_log(LOG_INFO, "job %" PRIu64 " (%s of %s) started", job->id, kind, target);
	publish_progress(job);
	if (ret_job)
		*ret_job = job;
	return 0;
}

struct job *jobs_find(struct jobs *jobs, uint64_t id)
{
	for (size_t i = 0; i < jobs->n; i++)
		if (jobs->list[i]->id == id)
			return jobs->list[i];
	return NULL;
}

struct job *jobs_running_on(struct jobs *jobs, const char *target)
{
	for (size_t i = 0; i < jobs->n; i++)
		if (jobs->list[i]->state == JOB_RUNNING && streq(jobs->list[i]->target, target))
			return jobs->list[i];
	return NULL;
}

size_t jobs_count_running(const struct jobs *jobs)
{
	size_t n = 0;

	for (size_t i = 0; i < jobs->n; i++)
		n += jobs->list[i]->state == JOB_RUNNING;
	return n;
}

int jobs_cancel(struct jobs *jobs, struct job *job, struct vg_error *err)
{
	int r = 0;

	if (job->state != JOB_RUNNING)
		return 0;
	if (job->ops->stop)
		r = job->ops->stop(job, jobs->host, err);
	if (r < 0) {
		job_finish(job, JOB_FAILED, err);
		return r;
	}
	job_finish(job, JOB_CANCELLED, NULL);
	return 0;
}

/* What the rate limit lets through now; refilled with time, capped at one step's worth. */
static uint64_t allowance(struct jobs *jobs, uint64_t now)
{
	uint64_t elapsed = now - jobs->refilled_ms;

	if (jobs->rate_bytes == 0)
		return STEP_BYTES;
	if (elapsed > 0) {
		uint64_t cap = MAX(MIN(STEP_BYTES, jobs->rate_bytes / 5), MIN_STEP_BYTES);
		uint64_t gained = elapsed >= 1000 ? cap : jobs->rate_bytes * elapsed / 1000;

		jobs->allowance = MIN(jobs->allowance + gained, cap);
		jobs->refilled_ms = now;
	}
	return jobs->allowance;
}

/* 0 when a running job may step now, the milliseconds until the first wakes (at most 1000), -1 with none. */
static int wait_for_next(const struct jobs *jobs)
{
	uint64_t now = job_clock_ms(), first = UINT64_MAX;

	for (size_t i = 0; i < jobs->n; i++)
		if (jobs->list[i]->state == JOB_RUNNING)
			first = MIN(first, jobs->list[i]->wake_ms);
	if (first == UINT64_MAX)
		return -1;
	return first <= now ? 0 : (int)MIN(first - now, (uint64_t)1000);
}

int jobs_run(struct jobs *jobs)
{
	size_t running = jobs_count_running(jobs);
	uint64_t now = job_clock_ms(), budget;
	_cleanup_free_ uint64_t *ids = NULL;
	size_t n_ids = 0;

	if (running == 0) {
		jobs->allowance = 0;
		jobs->refilled_ms = now;
		return -1;
	}
	budget = allowance(jobs, now);
	if (budget < MIN_STEP_BYTES) {
		uint64_t wait = (MIN_STEP_BYTES - budget) * 1000 / jobs->rate_bytes + 1;

		return (int)MIN(wait, (uint64_t)1000);
	}
	/* whole 64 KiB pieces: offsets stay aligned for any device */
	budget = MAX(ROUND_DOWN(budget / running, MIN_STEP_BYTES), MIN_STEP_BYTES);
	/* the list may change while steps run (a finished job is forgotten): step the ones running now */
	ids = calloc(running, sizeof(*ids));
	if (!ids)
		return 0;
	for (size_t i = 0; i < jobs->n; i++)
		if (jobs->list[i]->state == JOB_RUNNING && jobs->list[i]->wake_ms <= now)
			ids[n_ids++] = jobs->list[i]->id;
	for (size_t i = 0; i < n_ids; i++) {
		struct job *job = jobs_find(jobs, ids[i]);
		struct vg_error err = { 0 };
		uint64_t before;
		int r;

		if (!job || job->state != JOB_RUNNING)
			continue;
		before = job->done_bytes;
		r = job->ops->step(job, jobs->host, budget, job_clock_ms() + STEP_MS, &err);
		if (jobs->rate_bytes) {
			uint64_t spent = job->done_bytes > before ? job->done_bytes - before : budget;

			jobs->allowance -= MIN(spent, jobs->allowance);
		}
		if (r < 0)
			job_finish(job, JOB_FAILED, &err);
		else if (r == JOB_STEP_DONE)
			job_finish(job, JOB_DONE, NULL);
	}
	return wait_for_next(jobs);
}

void jobs_stop_all(struct jobs *jobs)
{
	for (size_t i = 0; i < jobs->n; i++) {
		struct job *job = jobs->list[i];
		struct vg_error err = { 0 };

		if (job->state != JOB_RUNNING || !job->ops->stop)
			continue;
		if (job->ops->stop(job, jobs->host, &err) < 0)
			vg_log(LOG_ERR, "job %" PRIu64 " (%s of %s) could not record where it stopped: %s", job->id,
			       job->kind, job->target, err.message);
		else
			vg_log(LOG_INFO, "job %" PRIu64 " (%s of %s) stopped for shutdown at %" PRIu64 " of %" PRIu64
			       " bytes; it resumes at the next start", job->id, job->kind, job->target, job->done_bytes,
			       job->total_bytes);
	}
}

struct json_object *job_json(const struct job *job)
{
	struct json_object *obj = json_object_new_object();

	json_object_object_add(obj, "id", json_object_new_uint64(job->id));
	json_object_object_add(obj, "kind", json_object_new_string(job->kind));
	json_object_object_add(obj, "target", json_object_new_string(job->target));
	json_object_object_add(obj, "state", json_object_new_string(job_state_name(job->state)));
	json_object_object_add(obj, "progress", json_object_new_double(fraction(job)));
	json_object_object_add(obj, "done_bytes", json_object_new_uint64(job->done_bytes));
	json_object_object_add(obj, "total_bytes", json_object_new_uint64(job->total_bytes));
	json_object_object_add(obj, "started", json_object_new_uint64(job->started));
	if (job->state != JOB_RUNNING)
		json_object_object_add(obj, "finished", json_object_new_uint64(job->finished));
	if (job->state == JOB_FAILED) {
		struct json_object *error = json_object_new_object();

		json_object_object_add(error, "reason", json_object_new_string(vg_errno_name(job->error)));
		json_object_object_add(error, "message", json_object_new_string(job->message));
		json_object_object_add(obj, "error", error);
	}
	if (job->result)
		json_object_object_add(obj, "result", json_object_get(job->result));
	return obj;
}

struct json_object *jobs_json(const struct jobs *jobs)
{
	struct json_object *list = json_object_new_array();

	for (size_t i = 0; i < jobs->n; i++)
		json_object_array_add(list, job_json(jobs->list[i]));
	return list;
}
