/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Background jobs of vgtoold: work too long for one request (a mirror leg's
 * copy today; a PV move or a recovery the md driver runs, later) done in
 * bounded steps from the event loop, so every other request is answered
 * while it runs. There are no threads: a step runs alone over the host
 * model, like a handler, and returns within its budget.
 *
 * A kind of job is a struct job_ops. Its step does at most budget_bytes of
 * work (or stops at the deadline) and says whether more is left; its stop
 * leaves the work where a later job can resume it (a checkpoint on disk),
 * for a cancel or a daemon shutdown. The table numbers jobs from 1 up,
 * never reusing a number within a run, keeps finished jobs for a while so
 * a client that comes late sees how they ended, limits the bandwidth of all
 * steps together (copy_rate), and reports through a publish callback:
 * "job.progress" (at most twice a second per job), then one of "job.done",
 * "job.failed", "job.cancelled".
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "macro.h"

struct host;
struct job;
struct jobs;

enum job_state {
	JOB_RUNNING,
	JOB_DONE,
	JOB_FAILED,
	JOB_CANCELLED,
};

enum {
	JOB_STEP_MORE = 0, /* call the step again */
	JOB_STEP_DONE = 1, /* the work is finished */
};

struct job_ops {
	/*
	 * Do the next piece of the work: at most @budget_bytes of I/O (whole
	 * 64 KiB pieces), and no new piece after @deadline_ms (job_clock_ms). Report
	 * progress with job_set_progress. Returns JOB_STEP_MORE, JOB_STEP_DONE
	 * or a negative errno with the reason in @err (the job failed; what is
	 * on disk must still be consistent).
	 */
	int (*step)(struct job *job, struct host *host, uint64_t budget_bytes, uint64_t deadline_ms,
		    struct vg_error *err);
	/* Leave the work at a point it resumes from (cancel, shutdown). NULL: nothing to record. */
	int (*stop)(struct job *job, struct host *host, struct vg_error *err);
	/* Free job->data. */
	void (*free_data)(void *data);
};

struct job {
	uint64_t id;
	const struct job_ops *ops;
	struct jobs *jobs;
	char *kind;   /* "mirror.add_leg", ... */
	char *target; /* what it works on: a mirror's name, a VG's name */
	enum job_state state;
	uint64_t done_bytes;
	uint64_t total_bytes;
	uint64_t started;  /* seconds since the epoch */
	uint64_t finished; /* 0 while running */
	int error;         /* negative errno of a failed job */
	char message[VG_ERROR_MESSAGE_MAX];
	uint64_t progress_published_ms;
	/*
	 * A step may set this (job_clock_ms) to be left alone until then: a job
	 * waiting on something else (md's own rebuild, a bandwidth limit)
	 * does not spin the loop. 0: step it whenever the loop runs jobs.
	 */
	uint64_t wake_ms;
	struct json_object *result; /* what a finished job found (a scrub's counts), owned; NULL: nothing */
	void *data; /* the kind's own state, owned */
};

/* How a table reports: @type and @fields (taken) as for server_publish_event. */
typedef void (*job_publish_fn)(void *userdata, const char *type, struct json_object *fields);

/* @rate_bytes: what all steps together may copy per second; 0 for no limit. */
struct jobs *jobs_new(struct host *host, uint64_t rate_bytes, job_publish_fn publish, void *userdata);
/* Frees every job, running or not, without stopping it (see jobs_stop_all). Accepts NULL. */
struct jobs *jobs_free(struct jobs *jobs);
DEFINE_CLEANUP_FUNC(struct jobs, jobs_free)

/*
 * Start a job of @ops on @target; it takes @data (freed by ops->free_data
 * also when this fails). Returns 0 and the job (owned by the table) in
 * *ret_job (may be NULL), or -ENOMEM.
 */
int jobs_start(struct jobs *jobs, const struct job_ops *ops, const char *kind, const char *target,
	       uint64_t total_bytes, void *data, struct job **ret_job);

struct job *jobs_find(struct jobs *jobs, uint64_t id);
/* The running job working on @target, or NULL. */
struct job *jobs_running_on(struct jobs *jobs, const char *target);
size_t jobs_count_running(const struct jobs *jobs);

/*
 * Cancel a running job: its stop runs now, then it is cancelled. A stop
 * that fails makes the job failed instead (returned, with @err). A job
 * that is not running is left as it is (0).
 */
int jobs_cancel(struct jobs *jobs, struct job *job, struct vg_error *err);

/*
 * Give every running job one step. Returns how many milliseconds the loop
 * may sleep before the next call is useful: 0 when work is waiting, more
 * when the rate limit holds it back, -1 when no job runs.
 */
int jobs_run(struct jobs *jobs);

/* Shutdown: stop every running job at a point it resumes from; they stay "running" for nobody. */
void jobs_stop_all(struct jobs *jobs);

/* A step's progress: @done of @total bytes; publishes job.progress when it is time. */
void job_set_progress(struct job *job, uint64_t done, uint64_t total);
/* Publish an event of the job's own kind (e.g. "mirror.recovered") through its table. Takes @fields. */
void job_publish(struct job *job, const char *type, struct json_object *fields);

/* CLOCK_MONOTONIC in milliseconds: the clock of deadlines and rates. */
uint64_t job_clock_ms(void);

const char *job_state_name(enum job_state state);
/* {id, kind, target, state, progress, done_bytes, total_bytes, started, finished?, error?, result?} */
struct json_object *job_json(const struct job *job);
/* Every job the table remembers, oldest first. */
struct json_object *jobs_json(const struct jobs *jobs);
