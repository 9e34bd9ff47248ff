/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Jobs that follow md's own rebuild or resync of a mirror it runs (see job-md-follow.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <syslog.h>

#include "job-md-follow.h"
#include "job-scrub.h"
#include "log.h"
#include "md-kernel.h"
#include "md-mirror.h"

/* md may take a moment to start the work after a leg is added: so long it is waited for. */
#define START_GRACE_MS 5000
#define POLL_MS 500

struct follow {
	uint64_t started_ms;
	bool seen_running; /* md was seen recovering or resyncing */
	char *retire_path; /* a replaced leg, taken out once md has marked it faulty */
};

static void follow_free(void *data)
{
	struct follow *f = data;

	if (f)
		free(f->retire_path);
	free(f);
}

/* md's state of the member at @path: "faulty", "in_sync,replacement", ...; NULL when it is no member. */
static const char *member_state(const struct md_kernel_state *state, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return NULL;
	for (size_t m = 0; m < state->n_members; m++)
		if (state->members[m].major == major(st.st_rdev) && state->members[m].minor == minor(st.st_rdev))
			return state->members[m].state;
	return NULL;
}

/* The replacement is in sync when md has marked the old leg faulty (or let it go): take it out. */
static int retire_replaced(struct job *job, struct host *host, const struct host_device *mirror,
			   const struct md_kernel_state *state, bool *ret_done, struct vg_error *err)
{
	struct follow *f = job->data;
	const char *old = member_state(state, f->retire_path);
	int r;

	*ret_done = false;
	if (old && !strstr(old, "faulty"))
		return 0;
	if (old) {
		r = host_mirror_kernel_retire(host, mirror->md_array, f->retire_path, err);
		if (r < 0)
			return r;
	}
	*ret_done = true;
	return 0;
}

/* "123 / 456" (sectors) from sync_completed; false for "none" or anything else. */
static bool parse_completed(const char *text, uint64_t *ret_done, uint64_t *ret_total)
{
	unsigned long long done, total;

	if (sscanf(text, "%llu / %llu", &done, &total) != 2 || total == 0)
		return false;
	*ret_done = done;
	*ret_total = total;
	return true;
}

static bool md_busy(const struct md_kernel_state *state)
{
	return streq(state->sync_action, "recover") || streq(state->sync_action, "resync") ||
	       streq(state->sync_action, "reshape");
}

static bool md_scrubbing(const struct md_kernel_state *state)
{
	return streq(state->sync_action, "check") || streq(state->sync_action, "repair");
}

/* A scrub md ran: its counts as the job's result and the "mirror.scrubbed" event. */
static int scrub_done(struct job *job, const struct md_kernel_state *state)
{
	bool repair = streq(job->kind, "mirror.scrub.repair");
	uint64_t sectors = job->total_bytes / 512;
	struct json_object *fields = job_scrub_result_json(repair, sectors, state->mismatch_cnt,
							   repair ? state->mismatch_cnt : 0);

	job->result = job_scrub_result_json(repair, sectors, state->mismatch_cnt, repair ? state->mismatch_cnt : 0);
	job_set_progress(job, job->total_bytes, job->total_bytes);
	json_object_object_add(fields, "mirror", json_object_new_string(job->target));
	json_object_object_add(fields, "job", json_object_new_uint64(job->id));
	job_publish(job, "mirror.scrubbed", fields);
	return JOB_STEP_DONE;
}

static int follow_step(struct job *job, struct host *host, uint64_t budget_bytes, uint64_t deadline_ms,
		       struct vg_error *err)
{
	_cleanup_(md_kernel_state_freep) struct md_kernel_state *state = NULL;
	struct follow *f = job->data;
	struct host_device *mirror = host_find_mirror(host, job->target);
	uint64_t now = job_clock_ms(), done, total;
	int r;

	(void)budget_bytes;
	(void)deadline_ms;
	if (!mirror)
		return vg_error_set(err, -ENODEV, "mirror %s is gone", job->target);
	r = host_mirror_kernel_state(host, mirror, &state, err);
	if (r < 0)
		return r;
	if (strncmp(job->kind, "mirror.scrub", 12) == 0) {
		if (!md_scrubbing(state) && (f->seen_running || now - f->started_ms >= START_GRACE_MS))
			return scrub_done(job, state);
		f->seen_running |= md_scrubbing(state);
		if (parse_completed(state->sync_completed, &done, &total))
			job_set_progress(job, done * 512, total * 512);
		job->wake_ms = now + POLL_MS;
		return JOB_STEP_MORE;
	}
	if (md_busy(state)) {
		f->seen_running = true;
		if (parse_completed(state->sync_completed, &done, &total))
			job_set_progress(job, done * 512, total * 512);
		job->wake_ms = now + POLL_MS;
		return JOB_STEP_MORE;
	}
	if (f->retire_path) {
		bool done_replacing;

		r = retire_replaced(job, host, mirror, state, &done_replacing, err);
		if (r < 0)
			return r;
		if (!done_replacing && (f->seen_running || now - f->started_ms >= START_GRACE_MS))
			return vg_error_set(err, -EIO, "md %s %s replacing %s: see mirror show", mirror->md_array,
					    f->seen_running ? "stopped" : "did not start", f->retire_path);
		if (!done_replacing) {
			job->wake_ms = now + POLL_MS / 2;
			return JOB_STEP_MORE;
		}
		/* the host saw the old leg in the array: read it again without it */
		r = host_rescan(host, err);
		if (r < 0)
			return r;
		mirror = host_find_mirror(host, job->target);
		if (!mirror)
			return vg_error_set(err, -ENODEV, "mirror %s is gone", job->target);
	}
	if (state->degraded == 0 && (f->seen_running || f->retire_path || now - f->started_ms >= POLL_MS)) {
		struct json_object *fields = json_object_new_object();

		job_set_progress(job, job->total_bytes, job->total_bytes);
		json_object_object_add(fields, "mirror", json_object_new_string(job->target));
		json_object_object_add(fields, "md_array", json_object_new_string(mirror->md_array));
		json_object_object_add(fields, "job", json_object_new_uint64(job->id));
		job_publish(job, streq(job->kind, "mirror.resync") ? "mirror.resynced" : "mirror.recovered", fields);
		return JOB_STEP_DONE;
	}
	if (!f->seen_running && now - f->started_ms < START_GRACE_MS) {
		job->wake_ms = now + POLL_MS / 2;
		return JOB_STEP_MORE;
	}
	return vg_error_set(err, -EIO, "md %s %s rebuilding mirror %s, which still misses %" PRIu32 " leg(s): see mirror show",
			    mirror->md_array, f->seen_running ? "stopped" : "did not start", job->target, state->degraded);
}

static const struct job_ops follow_ops = {
	.step = follow_step,
	.stop = NULL, /* md goes on by itself; a later start follows it again */
	.free_data = follow_free,
};

int job_md_follow_start(struct jobs *jobs, struct host *host, const char *kind, const char *mirror_name,
			const char *retire_path, struct job **ret_job, struct vg_error *err)
{
	struct host_device *mirror = host_find_mirror(host, mirror_name);
	struct follow *f;
	int r;

	if (!mirror || !mirror->md_array)
		return vg_error_set(err, -ENODEV, "mirror %s is not running in md", mirror_name);
	f = calloc(1, sizeof(*f));
	if (!f)
		return vg_error_set(err, -ENOMEM, "out of memory");
	f->started_ms = job_clock_ms();
	if (retire_path && !(f->retire_path = strdup(retire_path))) {
		free(f);
		return vg_error_set(err, -ENOMEM, "out of memory");
	}
	r = jobs_start(jobs, &follow_ops, kind, mirror_name, mirror->view ? mirror->view->size_sectors * 512 : 0, f,
		       ret_job);
	if (r < 0)
		return vg_error_set(err, r, "out of memory");
	return 0;
}

int job_md_follow_all(struct jobs *jobs, struct host *host)
{
	int started = 0;

	if (!host->activation)
		return 0;
	for (size_t i = 0; i < host->n_devices; i++) {
		const struct host_device *mirror = host->devices[i];
		_cleanup_(md_kernel_state_freep) struct md_kernel_state *state = NULL;
		struct vg_error err = { 0 };

		if (!mirror->is_mirror || !mirror->md_array || jobs_running_on(jobs, mirror->path) ||
		    host_mirror_kernel_state(host, mirror, &state, NULL) < 0 || !md_busy(state))
			continue;
		if (job_md_follow_start(jobs, host, streq(state->sync_action, "resync") ? "mirror.resync" : "mirror.recover",
					mirror->path, NULL, NULL, &err) < 0) {
			vg_log(LOG_ERR, "mirror %s: cannot follow md's %s: %s", mirror->path, state->sync_action, err.message);
			continue;
		}
		started++;
	}
	return started;
}
