/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Mirror jobs: a joining leg's copy and a dirty mirror's resync, in steps (see job-mirror.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job-mirror.h"
#include "log.h"
#include "md-mirror.h"

#define SECTOR_BYTES 512u
#define CHUNK_BYTES ((uint64_t)1 << 20)
/* What md_mirror_recover copies itself when it finishes: the tail, bounded so a step stays short. */
#define TAIL_BYTES CHUNK_BYTES
#define CHECKPOINT_BYTES ((uint64_t)64 << 20)
#define CHECKPOINT_MS 1000
#define MAX_TRACKED_LEGS 8

/* One leg being rebuilt: where the copy is, and what its superblock last heard. */
struct leg_copy {
	struct blockdev *dev; /* borrowed from the host, which keeps physical devices open */
	uint64_t start_bytes; /* where this run's copy began */
	uint64_t pos_bytes;
	uint64_t checkpoint_bytes;
};

struct mirror_job {
	char *mirror;
	uint32_t retire_dev_number;
	struct leg_copy legs[MAX_TRACKED_LEGS];
	size_t n_legs;
	uint64_t checkpointed_ms;
};

static void mirror_job_free(void *data)
{
	struct mirror_job *mj = data;

	if (!mj)
		return;
	free(mj->mirror);
	free(mj);
}

static bool leg_recovering(const struct md_mirror_leg *leg)
{
	return leg->present && leg->fresh && (leg->state == MD_LEG_RECOVERING || leg->state == MD_LEG_REPLACEMENT);
}

bool job_mirror_has_recovering_leg(const struct host_device *mirror)
{
	if (!mirror->is_mirror || !mirror->view)
		return false;
	for (size_t k = 0; k < mirror->view->n_legs; k++)
		if (leg_recovering(&mirror->view->legs[k]))
			return true;
	return false;
}

static struct leg_copy *tracked(struct mirror_job *mj, const struct blockdev *dev)
{
	for (size_t i = 0; i < mj->n_legs; i++)
		if (mj->legs[i].dev == dev)
			return &mj->legs[i];
	return NULL;
}

/*
 * Start following every recovering leg of @view not followed yet, from the
 * recovery offset its own superblock holds now (the view may be older than
 * the last checkpoint).
 */
static int track_legs(struct mirror_job *mj, const struct md_mirror_view *view, struct vg_error *err)
{
	uint64_t total = view->size_sectors * SECTOR_BYTES;

	for (size_t k = 0; k < view->n_legs; k++) {
		const struct md_mirror_leg *leg = &view->legs[k];
		struct md_super sb;
		struct leg_copy *lc;
		int r;

		if (!leg_recovering(leg) || tracked(mj, leg->dev))
			continue;
		if (mj->n_legs == MAX_TRACKED_LEGS)
			return vg_error_set(err, -E2BIG, "mirror %s has more than %d legs to rebuild", mj->mirror,
					    MAX_TRACKED_LEGS);
		r = md_super_probe(leg->dev, &sb, err);
		if (r < 0)
			return vg_error_prefix(err, r, "%s: ", leg->dev->path);
		lc = &mj->legs[mj->n_legs++];
		lc->dev = leg->dev;
		lc->start_bytes = MIN(sb.recovery_offset_sectors * SECTOR_BYTES, total);
		lc->pos_bytes = lc->checkpoint_bytes = lc->start_bytes;
	}
	return 0;
}

/*
 * Record @lc's position in its superblock, as md does: the data first,
 * then the superblock as it is on the disk now with only the recovery
 * offset raised. A leg that is no longer recovering (finished, failed or
 * gone) is left alone.
 */
static int checkpoint(struct mirror_job *mj, struct leg_copy *lc, struct vg_error *err)
{
	struct md_super sb;
	int r;

	r = blockdev_flush(lc->dev, err);
	if (r < 0)
		return r;
	r = md_super_probe(lc->dev, &sb, err);
	if (r < 0)
		return vg_error_prefix(err, r, "%s: ", lc->dev->path);
	if (!(sb.feature_map & MD_FEATURE_RECOVERY_OFFSET) || sb.recovery_offset_sectors >= sb.size_sectors)
		return 0;
	lc->checkpoint_bytes = lc->pos_bytes;
	if (sb.recovery_offset_sectors == lc->pos_bytes / SECTOR_BYTES)
		return 0;
	sb.recovery_offset_sectors = lc->pos_bytes / SECTOR_BYTES;
	r = md_mirror_write_leg_super(lc->dev, &sb, err);
	if (r < 0)
		return vg_error_prefix(err, r, "recording the copy's progress on %s: ", lc->dev->path);
	mj->checkpointed_ms = job_clock_ms();
	return 0;
}

static int checkpoint_all(struct mirror_job *mj, struct vg_error *err)
{
	for (size_t i = 0; i < mj->n_legs; i++) {
		int r = checkpoint(mj, &mj->legs[i], err);

		if (r < 0)
			return r;
	}
	mj->checkpointed_ms = job_clock_ms();
	return 0;
}

static void report_progress(struct job *job, struct mirror_job *mj, uint64_t total)
{
	uint64_t done = 0, todo = 0;

	for (size_t i = 0; i < mj->n_legs; i++) {
		done += mj->legs[i].pos_bytes - mj->legs[i].start_bytes;
		todo += total - mj->legs[i].start_bytes;
	}
	job_set_progress(job, done, todo);
}

/* Flush and close the mirror's device: the superblocks change under it next, and a rescan opens it again. */
static int close_mirror_dev(struct host_device *mirror, struct vg_error *err)
{
	int r = 0;

	if (mirror->dev) {
		r = blockdev_flush(mirror->dev, err);
		blockdev_close(mirror->dev);
		mirror->dev = NULL;
	}
	return r;
}

/* The mirror as its legs' superblocks say now (the host's view is as of the last rescan). */
static int reread_view(const struct host_device *mirror, struct md_mirror_view **ret_view, struct vg_error *err)
{
	const struct md_mirror_view *view = mirror->view;
	_cleanup_free_ struct blockdev **devs = calloc(view->n_legs + 1, sizeof(*devs));
	size_t n = 0;

	if (!devs)
		return vg_error_set(err, -ENOMEM, "out of memory");
	for (size_t k = 0; k < view->n_legs; k++)
		if (view->legs[k].present)
			devs[n++] = view->legs[k].dev;
	return md_mirror_view_read(devs, n, view->uuid, ret_view, err);
}

/*
 * The end of a job that closed the mirror's device: read the host again
 * (whatever happened before, @r), then say @type of the mirror.
 */
static int rescan_and_publish(struct job *job, struct host *host, const char *mirror_name, int r,
			      const char *type, struct vg_error *err)
{
	struct vg_error rescan_err = { 0 };
	struct json_object *fields;

	if (host_rescan(host, &rescan_err) < 0 && r >= 0)
		r = vg_error_set(err, rescan_err.code, "%s", rescan_err.message);
	if (r < 0)
		return r;
	fields = json_object_new_object();
	json_object_object_add(fields, "mirror", json_object_new_string(mirror_name));
	json_object_object_add(fields, "job", json_object_new_uint64(job->id));
	job_publish(job, type, fields);
	return JOB_STEP_DONE;
}

/*
 * The copy reached the tails: let md_mirror_recover copy them and write the
 * new generation, retire a replaced leg, then read the host again so the
 * mirror's device follows the new superblocks.
 */
static int finish(struct job *job, struct host *host, struct host_device *mirror, struct vg_error *err)
{
	struct mirror_job *mj = job->data;
	struct md_mirror_options opts = { .zero_bytes = 1 << 20 };
	uint64_t total = mirror->view->size_sectors * SECTOR_BYTES;
	int r = close_mirror_dev(mirror, err);

	if (r >= 0)
		r = checkpoint_all(mj, err);
	if (r >= 0)
		r = md_mirror_recover(mirror->view, &opts, err);
	if (r >= 0 && mj->retire_dev_number != UINT32_MAX) {
		_cleanup_(md_mirror_view_freep) struct md_mirror_view *now = NULL;

		r = reread_view(mirror, &now, err);
		for (size_t k = 0; r >= 0 && k < now->n_legs; k++)
			if (now->legs[k].dev_number == mj->retire_dev_number && now->legs[k].role == MD_ROLE_FAULTY) {
				r = md_mirror_remove(now, k, &opts, err);
				break;
			}
	}
	r = rescan_and_publish(job, host, mj->mirror, r, "mirror.recovered", err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < mj->n_legs; i++)
		mj->legs[i].pos_bytes = total;
	report_progress(job, mj, total);
	return JOB_STEP_DONE;
}

static int mirror_step(struct job *job, struct host *host, uint64_t budget_bytes, uint64_t deadline_ms,
		       struct vg_error *err)
{
	struct mirror_job *mj = job->data;
	struct host_device *mirror = host_find_mirror(host, mj->mirror);
	const struct md_mirror_view *view;
	struct leg_copy *lc = NULL;
	uint32_t lc_role = UINT32_MAX;
	uint64_t total, limit, copied = 0;
	ssize_t src;
	int r;

	if (!mirror || !mirror->view)
		return vg_error_set(err, -ENODEV, "mirror %s is gone: its legs are no longer all here", mj->mirror);
	view = mirror->view;
	total = view->size_sectors * SECTOR_BYTES;
	limit = total > TAIL_BYTES ? total - TAIL_BYTES : 0;
	src = md_mirror_view_source(view);
	if (src < 0)
		return vg_error_set(err, -ENODEV, "mirror %s has no present, fresh, in-sync leg to copy from",
				    mj->mirror);
	r = track_legs(mj, view, err);
	if (r < 0)
		return r;
	/* the lowest slot first, as md_mirror_recover goes */
	for (size_t k = 0; k < view->n_legs; k++) {
		struct leg_copy *c = leg_recovering(&view->legs[k]) ? tracked(mj, view->legs[k].dev) : NULL;

		if (c && c->pos_bytes < limit && view->legs[k].role < lc_role) {
			lc = c;
			lc_role = view->legs[k].role;
		}
	}
	if (!lc) {
		if (!job_mirror_has_recovering_leg(mirror))
			return JOB_STEP_DONE; /* finished by someone else, e.g. a rescan found it in sync */
		return finish(job, host, mirror, err);
	}
	do {
		uint64_t n = MIN(MIN(CHUNK_BYTES, budget_bytes - copied), limit - lc->pos_bytes);

		r = md_mirror_copy_data(view->legs[src].dev, lc->dev, lc->pos_bytes, n, (size_t)n, NULL, NULL, 0, 0,
					err);
		if (r < 0)
			return r;
		lc->pos_bytes += n;
		copied += n;
	} while (copied < budget_bytes && lc->pos_bytes < limit && job_clock_ms() < deadline_ms);
	report_progress(job, mj, total);
	if (lc->pos_bytes - lc->checkpoint_bytes >= CHECKPOINT_BYTES ||
	    job_clock_ms() - mj->checkpointed_ms >= CHECKPOINT_MS)
		return checkpoint_all(mj, err);
	return JOB_STEP_MORE;
}

static int mirror_stop(struct job *job, struct host *host, struct vg_error *err)
{
	return checkpoint_all(job->data, err);
}

static const struct job_ops mirror_job_ops = {
	.step = mirror_step,
	.stop = mirror_stop,
	.free_data = mirror_job_free,
};

int job_mirror_start(struct jobs *jobs, struct host *host, const char *kind, const char *mirror_name,
		     uint32_t retire_dev_number, struct job **ret_job, struct vg_error *err)
{
	struct host_device *mirror = host_find_mirror(host, mirror_name);
	struct mirror_job *mj;
	uint64_t total = 0;
	int r;

	if (!mirror || !mirror->view)
		return vg_error_set(err, -ENOENT, "there is no mirror called %s", mirror_name);
	mj = calloc(1, sizeof(*mj));
	if (!mj || !(mj->mirror = strdup(mirror_name))) {
		free(mj);
		return vg_error_set(err, -ENOMEM, "out of memory");
	}
	mj->retire_dev_number = retire_dev_number;
	mj->checkpointed_ms = job_clock_ms();
	/* what is left to copy is known now, so the first view of the job says it */
	r = track_legs(mj, mirror->view, err);
	if (r < 0) {
		mirror_job_free(mj);
		return r;
	}
	for (size_t i = 0; i < mj->n_legs; i++)
		total += mirror->view->size_sectors * SECTOR_BYTES - mj->legs[i].start_bytes;
	r = jobs_start(jobs, &mirror_job_ops, kind, mirror_name, total, mj, ret_job);
	if (r < 0)
		return vg_error_set(err, r, "out of memory");
	return 0;
}

/* ---- resync: a dirty mirror's legs made equal again, as md does on its first start ---- */

struct resync_job {
	char *mirror;
	bool started;
	uint64_t start_bytes;
	uint64_t pos_bytes;
	uint64_t checkpointed_ms;
};

static void resync_job_free(void *data)
{
	struct resync_job *rj = data;

	if (!rj)
		return;
	free(rj->mirror);
	free(rj);
}

/* The legs a resync writes: every present, fresh, in-sync slot holder but the source. */
static bool resync_target(const struct md_mirror_view *view, size_t k, ssize_t src)
{
	const struct md_mirror_leg *leg = &view->legs[k];

	return (ssize_t)k != src && leg->present && leg->fresh && leg->state == MD_LEG_IN_SYNC &&
	       leg->role < view->raid_disks;
}

/*
 * Record the resync's position as md does: resync_offset on every leg's
 * superblock, the data flushed first. Events stay: the array's generation
 * does not change. The mirror's device of a dirty mirror writes no
 * superblock, so nothing writes an older offset over this one.
 */
static int resync_checkpoint(struct resync_job *rj, const struct md_mirror_view *view, ssize_t src,
			     struct vg_error *err)
{
	int r;

	for (size_t k = 0; k < view->n_legs; k++)
		if (resync_target(view, k, src) && (r = blockdev_flush(view->legs[k].dev, err)) < 0)
			return r;
	for (size_t k = 0; k < view->n_legs; k++) {
		struct blockdev *dev = view->legs[k].dev;
		struct md_super sb;

		if (!view->legs[k].present)
			continue;
		r = md_super_probe(dev, &sb, err);
		if (r < 0)
			return vg_error_prefix(err, r, "%s: ", dev->path);
		if (memcmp(sb.set_uuid, view->uuid, sizeof(sb.set_uuid)) != 0 || sb.resync_offset == UINT64_MAX ||
		    sb.resync_offset >= rj->pos_bytes / SECTOR_BYTES)
			continue;
		sb.resync_offset = rj->pos_bytes / SECTOR_BYTES;
		r = md_mirror_write_leg_super(dev, &sb, err);
		if (r < 0)
			return vg_error_prefix(err, r, "recording the resync's progress on %s: ", dev->path);
	}
	rj->checkpointed_ms = job_clock_ms();
	return 0;
}

/* The tail and the clean generation are md_mirror_resync's, from the superblocks as they are now. */
static int resync_finish(struct job *job, struct host *host, struct host_device *mirror, ssize_t src,
			 struct vg_error *err)
{
	struct resync_job *rj = job->data;
	_cleanup_(md_mirror_view_freep) struct md_mirror_view *now = NULL;
	struct md_mirror_options opts = { 0 };
	uint64_t total = mirror->view->size_sectors * SECTOR_BYTES;
	int r = close_mirror_dev(mirror, err);

	if (r >= 0)
		r = resync_checkpoint(rj, mirror->view, src, err);
	if (r >= 0)
		r = reread_view(mirror, &now, err);
	if (r >= 0)
		r = md_mirror_resync(now, &opts, err);
	r = rescan_and_publish(job, host, rj->mirror, r, "mirror.resynced", err);
	if (r < 0)
		return r;
	rj->pos_bytes = total;
	job_set_progress(job, total - rj->start_bytes, total - rj->start_bytes);
	return JOB_STEP_DONE;
}

static int resync_step(struct job *job, struct host *host, uint64_t budget_bytes, uint64_t deadline_ms,
		       struct vg_error *err)
{
	struct resync_job *rj = job->data;
	struct host_device *mirror = host_find_mirror(host, rj->mirror);
	const struct md_mirror_view *view;
	uint64_t total, limit, copied = 0;
	ssize_t src;
	int r;

	if (!mirror || !mirror->view)
		return vg_error_set(err, -ENODEV, "mirror %s is gone: its legs are no longer all here", rj->mirror);
	view = mirror->view;
	if (view->clean)
		return JOB_STEP_DONE; /* made clean by someone else */
	total = view->size_sectors * SECTOR_BYTES;
	limit = total > TAIL_BYTES ? total - TAIL_BYTES : 0;
	src = md_mirror_view_source(view);
	if (src < 0)
		return vg_error_set(err, -ENODEV, "mirror %s has no present, fresh, in-sync leg to copy from",
				    rj->mirror);
	if (!rj->started) {
		rj->start_bytes = rj->pos_bytes = MIN(view->resync_offset_sectors * SECTOR_BYTES, total);
		rj->started = true;
	}
	if (rj->pos_bytes >= limit)
		return resync_finish(job, host, mirror, src, err);
	do {
		uint64_t n = MIN(MIN(CHUNK_BYTES, budget_bytes - copied), limit - rj->pos_bytes);

		for (size_t k = 0; k < view->n_legs; k++) {
			if (!resync_target(view, k, src))
				continue;
			r = md_mirror_copy_data(view->legs[src].dev, view->legs[k].dev, rj->pos_bytes, n, (size_t)n,
						NULL, NULL, 0, 0, err);
			if (r < 0)
				return r;
		}
		rj->pos_bytes += n;
		copied += n;
	} while (copied < budget_bytes && rj->pos_bytes < limit && job_clock_ms() < deadline_ms);
	job_set_progress(job, rj->pos_bytes - rj->start_bytes, total - rj->start_bytes);
	if (job_clock_ms() - rj->checkpointed_ms >= CHECKPOINT_MS)
		return resync_checkpoint(rj, view, src, err);
	return JOB_STEP_MORE;
}

static int resync_stop(struct job *job, struct host *host, struct vg_error *err)
{
	struct resync_job *rj = job->data;
	struct host_device *mirror = host_find_mirror(host, rj->mirror);

	if (!mirror || !mirror->view || !rj->started)
		return 0;
	return resync_checkpoint(rj, mirror->view, md_mirror_view_source(mirror->view), err);
}

static const struct job_ops resync_job_ops = {
	.step = resync_step,
	.stop = resync_stop,
	.free_data = resync_job_free,
};

bool job_mirror_needs_resync(const struct host_device *mirror)
{
	return mirror->is_mirror && mirror->view && !mirror->view->clean && mirror->view->degraded == 0 &&
	       md_mirror_view_source(mirror->view) >= 0;
}

int job_mirror_resync_start(struct jobs *jobs, struct host *host, const char *mirror_name, struct job **ret_job,
			    struct vg_error *err)
{
	struct host_device *mirror = host_find_mirror(host, mirror_name);
	struct resync_job *rj;
	uint64_t total;
	int r;

	if (!mirror || !mirror->view)
		return vg_error_set(err, -ENOENT, "there is no mirror called %s", mirror_name);
	total = mirror->view->size_sectors * SECTOR_BYTES;
	rj = calloc(1, sizeof(*rj));
	if (!rj || !(rj->mirror = strdup(mirror_name))) {
		free(rj);
		return vg_error_set(err, -ENOMEM, "out of memory");
	}
	rj->checkpointed_ms = job_clock_ms();
	r = jobs_start(jobs, &resync_job_ops, "mirror.resync", mirror_name,
		       total - MIN(mirror->view->resync_offset_sectors * SECTOR_BYTES, total), rj, ret_job);
	if (r < 0)
		return vg_error_set(err, r, "out of memory");
	return 0;
}

int job_mirror_resume_all(struct jobs *jobs, struct host *host)
{
	int started = 0;

	/* with the kernel backend, md rebuilds what it runs */
	if (host->config->activation != ACTIVATION_NONE)
		return 0;
	for (size_t i = 0; i < host->n_devices; i++) {
		struct host_device *mirror = host->devices[i];
		struct vg_error err = { 0 };
		const char *what;
		int r;

		if (!mirror->is_mirror || jobs_running_on(jobs, mirror->path))
			continue;
		/* a leg to rebuild first; a dirty mirror's resync once it is whole */
		if (job_mirror_has_recovering_leg(mirror)) {
			r = job_mirror_start(jobs, host, "mirror.recover", mirror->path, UINT32_MAX, NULL, &err);
			what = "a leg still being rebuilt: resuming the copy";
		} else if (job_mirror_needs_resync(mirror)) {
			r = job_mirror_resync_start(jobs, host, mirror->path, NULL, &err);
			what = "not in sync (dirty): resyncing its legs";
		} else {
			continue;
		}
		if (r < 0) {
			vg_log(LOG_ERR, "mirror %s: cannot start its job: %s", mirror->path, err.message);
			continue;
		}
		vg_log(LOG_INFO, "mirror %s is %s", mirror->path, what);
		started++;
	}
	return started;
}
