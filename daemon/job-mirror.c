/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The mirror recovery job: a joining leg's copy in steps (see job-mirror.h). */
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
	struct vg_error rescan_err = { 0 };
	int r = 0;

	if (mirror->dev) {
		r = blockdev_flush(mirror->dev, err);
		blockdev_close(mirror->dev);
		mirror->dev = NULL;
	}
	if (r >= 0)
		r = checkpoint_all(mj, err);
	if (r >= 0)
		r = md_mirror_recover(mirror->view, &opts, err);
	if (r >= 0 && mj->retire_dev_number != UINT32_MAX) {
		_cleanup_(md_mirror_view_freep) struct md_mirror_view *now = NULL;
		_cleanup_free_ struct blockdev **devs = calloc(mirror->view->n_legs + 1, sizeof(*devs));
		size_t n = 0;

		if (!devs)
			r = vg_error_set(err, -ENOMEM, "out of memory");
		for (size_t k = 0; devs && k < mirror->view->n_legs; k++)
			if (mirror->view->legs[k].present)
				devs[n++] = mirror->view->legs[k].dev;
		if (r >= 0)
			r = md_mirror_view_read(devs, n, mirror->view->uuid, &now, err);
		for (size_t k = 0; r >= 0 && k < now->n_legs; k++)
			if (now->legs[k].dev_number == mj->retire_dev_number && now->legs[k].role == MD_ROLE_FAULTY) {
				r = md_mirror_remove(now, k, &opts, err);
				break;
			}
	}
	/* the mirror's device was closed: whatever happened, the host must be read again */
	if (host_rescan(host, &rescan_err) < 0 && r >= 0)
		r = vg_error_set(err, rescan_err.code, "%s", rescan_err.message);
	if (r < 0)
		return r;
	for (size_t i = 0; i < mj->n_legs; i++)
		mj->legs[i].pos_bytes = total;
	report_progress(job, mj, total);
	struct json_object *fields = json_object_new_object();
	json_object_object_add(fields, "mirror", json_object_new_string(mj->mirror));
	json_object_object_add(fields, "job", json_object_new_uint64(job->id));
	job_publish(job, "mirror.recovered", fields);
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

int job_mirror_resume_all(struct jobs *jobs, struct host *host)
{
	int started = 0;

	/* with the kernel backend, md rebuilds what it runs */
	if (host->config->activation != ACTIVATION_NONE)
		return 0;
	for (size_t i = 0; i < host->n_devices; i++) {
		struct host_device *mirror = host->devices[i];
		struct vg_error err = { 0 };

		if (!job_mirror_has_recovering_leg(mirror) || jobs_running_on(jobs, mirror->path))
			continue;
		if (job_mirror_start(jobs, host, "mirror.recover", mirror->path, UINT32_MAX, NULL, &err) < 0) {
			vg_log(LOG_ERR, "mirror %s: cannot resume its recovery: %s", mirror->path, err.message);
			continue;
		}
		vg_log(LOG_INFO, "mirror %s has a leg still being rebuilt: resuming the copy", mirror->path);
		started++;
	}
	return started;
}
