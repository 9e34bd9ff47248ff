/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PV moves and evacuations as jobs: the pv-move engine stepped from the event loop (see job-pv-move.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "activation.h"
#include "job-pv-move.h"
#include "log.h"
#include "vg-ops.h"

/* Bytes one call of pv_move_step copies: small enough that a step stays within the loop's budget. */
#define MOVE_STEP_BYTES (UINT64_C(1) << 20)

struct move_job {
	char *vg_name;
	char *source_pv_id;
	bool evacuate;
	struct pv_move *move;    /* NULL until (re)made on the host's current store */
	struct vg_store *store;  /* the store @move was made on */
	uint64_t bandwidth_bytes;
	uint64_t extent_bytes;
	uint64_t base_done_bytes; /* extents already moved when @move was made, in bytes */
	bool resumed_after_rescan; /* said once in the log; then at debug level */
	struct vg_text_header header;
	char description[128];
	char *rescue_note; /* header.rescue_note, owned */
};

static void move_job_free(void *data)
{
	struct move_job *mj = data;

	if (!mj)
		return;
	pv_move_free(mj->move);
	free(mj->rescue_note);
	free(mj->vg_name);
	free(mj->source_pv_id);
	free(mj);
}

uint64_t job_pv_move_chunk_extents(const struct host *host, const struct vg *vg)
{
	uint64_t extent_bytes = vg->extent_size_sectors * 512;

	if (!host->activation || !extent_bytes)
		return 0;
	return MAX(JOB_PV_MOVE_ONLINE_CHUNK_BYTES / extent_bytes, UINT64_C(1));
}

bool job_is_pv_move(const struct job *job)
{
	return streq(job->kind, JOB_PV_MOVE_KIND) || streq(job->kind, JOB_PV_EVACUATE_KIND);
}

static struct pv_move_options move_options(struct move_job *mj)
{
	return (struct pv_move_options){
		.bandwidth_bytes_per_second = mj->bandwidth_bytes,
		.step_bytes = MOVE_STEP_BYTES,
		.header = &mj->header,
	};
}

static struct move_job *move_job_new(struct host *host, const char *vg_name, const char *source_pv_id,
				     bool evacuate, uint64_t bandwidth_bytes, struct vg_error *err)
{
	struct move_job *mj = calloc(1, sizeof(*mj));

	if (!mj || !(mj->vg_name = strdup(vg_name)) || !(mj->source_pv_id = strdup(source_pv_id))) {
		move_job_free(mj);
		vg_error_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	mj->evacuate = evacuate;
	mj->bandwidth_bytes = bandwidth_bytes;
	host_text_header(host, evacuate ? "vgtool pv evacuate" : "vgtool pv move", &mj->header, mj->description,
			 sizeof(mj->description));
	return mj;
}

/*
 * The rescue note the move's commits carry: where each LV's bytes can be
 * read. The source of a chunk keeps its data until the move ends, so a note
 * of @vg with every chunk on its source or (collapsed, as pv_move_finish will
 * make it) on where it reads now holds for every commit until the next note.
 */
static void set_rescue_note(struct move_job *mj, const struct host *host, const struct vg *vg)
{
	_cleanup_(vg_freep) struct vg *collapsed = NULL;
	struct vg_error err = { 0 };
	char *note;

	if (pv_move_in_progress(vg) && pv_move_op_collapse(vg, &collapsed, &err) < 0)
		return; /* the previous note stays: a note is a help, not the metadata */
	note = host_rescue_note(host, collapsed ? collapsed : vg);
	if (!note)
		return;
	free(mj->rescue_note);
	mj->rescue_note = note;
	mj->header.rescue_note = note;
}

/* The bytes a move has copied for good, and its whole size, from the engine's progress. */
static void report_progress(struct job *job, struct move_job *mj, const struct pv_move_progress *p)
{
	uint64_t total = p->extents_total * mj->extent_bytes;
	uint64_t done = mj->base_done_bytes + p->bytes_copied;

	if (p->copy_done)
		done = total;
	job_set_progress(job, MIN(done, total), total);
}

static void adopt_move(struct move_job *mj, struct vg_store *store, struct pv_move *move, uint64_t extent_bytes)
{
	struct pv_move_progress p;

	pv_move_free(mj->move);
	mj->move = move;
	mj->store = store;
	mj->extent_bytes = extent_bytes;
	pv_move_get_progress(move, &p);
	mj->base_done_bytes = p.extents_moved * extent_bytes;
}

/*
 * The move on the host's store of the VG now: the one made before when the
 * store is the same, else resumed from the last checkpoint (the host read
 * its VGs again since). NULL with no error when the metadata holds no move
 * any more (finished or aborted by a previous run).
 */
static int current_move(struct move_job *mj, struct host *host, struct pv_move **ret_move, struct vg_error *err)
{
	struct host_vg *hvg = host_find_vg(host, mj->vg_name);
	struct pv_move_options opts = move_options(mj);
	struct pv_move *move = NULL;
	int r;

	if (!hvg)
		return vg_error_set(err, -ENODEV, "VG %s is gone: its PVs are no longer all here", mj->vg_name);
	if (mj->move && mj->store == hvg->store) {
		*ret_move = mj->move;
		return 0;
	}
	pv_move_free(TAKE_PTR(mj->move));
	if (!pv_move_in_progress(hvg->store->vg)) {
		*ret_move = NULL;
		return 0;
	}
	r = pv_move_resume(hvg->store, &opts, &move, err);
	if (r < 0)
		return vg_error_prefix(err, r, "VG %s: resuming the move: ", mj->vg_name);
	set_rescue_note(mj, host, hvg->store->vg);
	vg_log(mj->resumed_after_rescan ? LOG_DEBUG : LOG_INFO,
	       "VG %s was read again: its move goes on from the last checkpoint", mj->vg_name);
	mj->resumed_after_rescan = true;
	adopt_move(mj, hvg->store, move, hvg->store->vg->extent_size_sectors * 512);
	*ret_move = move;
	return 0;
}

/* A PV that left its VG is an orphan now: its label says so. */
static void refresh_label(struct host *host, const char *pv_id)
{
	for (size_t i = 0; i < host->n_devices; i++) {
		struct host_device *device = host->devices[i];
		struct vg_error label_err = { 0 };

		if (device->is_pv && streq(device->label.pv_uuid, pv_id))
			pv_label_read(device->dev, &device->label, &label_err);
	}
}

/*
 * Kernel backend: active LVs follow a commit of the move that changed their
 * segments (the start, the end, an abort); reading the same data, the
 * reload only changes how their table says it.
 */
static int commit_and_follow(struct host *host, struct move_job *mj, struct pv_move *move,
			     int (*commit)(struct pv_move *move, struct vg_error *err), struct vg_error *err)
{
	struct host_vg *hvg = host_find_vg(host, mj->vg_name);
	_cleanup_(vg_freep) struct vg *before = NULL;
	int r;

	if (host->activation && hvg && !(before = vg_clone(hvg->store->vg)))
		return vg_error_set(err, -ENOMEM, "out of memory");
	if (hvg)
		set_rescue_note(mj, host, hvg->store->vg);
	mj->header.creation_time = (int64_t)time(NULL);
	r = commit(move, err);
	if (r == 0 && before)
		host_vg_sync_activation(host, hvg, before);
	return r;
}

static int finish(struct job *job, struct host *host, struct move_job *mj, struct pv_move *move, struct vg_error *err)
{
	struct json_object *fields;
	int r;

	r = commit_and_follow(host, mj, move, pv_move_finish, err);
	if (r < 0)
		return vg_error_prefix(err, r, "VG %s: the move's last commit: ", mj->vg_name);
	if (mj->evacuate)
		refresh_label(host, mj->source_pv_id);
	fields = json_object_new_object();
	json_object_object_add(fields, "vg", json_object_new_string(mj->vg_name));
	json_object_object_add(fields, "pv", json_object_new_string(mj->source_pv_id));
	json_object_object_add(fields, "job", json_object_new_uint64(job->id));
	job_publish(job, mj->evacuate ? "pv.evacuated" : "pv.moved", fields);
	return JOB_STEP_DONE;
}

/* The chunk the move copies next, as the committed metadata says (0 and NULL when none is left). */
static int next_chunk(const struct vg *vg, struct pv_move_plan **ret_plan, const struct pv_move_chunk **ret_chunk,
		      struct vg_error *err)
{
	int r = pv_move_plan_from_vg(vg, ret_plan, err);

	*ret_chunk = NULL;
	if (r < 0)
		return r;
	for (size_t i = 0; i < (*ret_plan)->n_chunks; i++)
		if (!(*ret_plan)->chunks[i].moved) {
			*ret_chunk = &(*ret_plan)->chunks[i];
			break;
		}
	return 0;
}

/*
 * The daemon reads PVs through the page cache, and device-mapper writes
 * past it: forget what is cached of the chunk's source, so the copy reads
 * what the LV wrote.
 */
static void forget_cached_source(const struct vg_store *store, const struct pv_move_chunk *chunk)
{
	const struct vg *vg = store->vg;
	const struct blockdev *src = store->targets[chunk->src_pv_index].dev;
	uint64_t extent_bytes = vg->extent_size_sectors * 512;
	uint64_t from = vg->pvs[chunk->src_pv_index]->pe_start_sectors * 512 + chunk->src_pe * extent_bytes;

	if (src && src->fd >= 0)
		(void)posix_fadvise(src->fd, (off_t)from, (off_t)(chunk->extent_count * extent_bytes), POSIX_FADV_DONTNEED);
}

/*
 * Kernel backend: copy the next chunk whole while the LV mapping it is
 * suspended (device-mapper holds its I/O, what was in flight is on the
 * disk), commit it as moved, then reload the LV's table so it reads the
 * destination and resume it. I/O to that LV pauses for one chunk's copy and
 * commit. *ret_done is false when there was no active LV to hold: the
 * ordinary steps then copy the chunk.
 */
static int step_online(struct host *host, struct move_job *mj, struct pv_move *move, struct pv_move_progress *p,
		       bool *ret_done, struct vg_error *err)
{
	struct host_vg *hvg = host_find_vg(host, mj->vg_name);
	_cleanup_(pv_move_plan_freep) struct pv_move_plan *plan = NULL;
	const struct pv_move_chunk *chunk;
	const struct vg_lv *lv;
	struct dmctl_info info;
	char lv_name[256];
	int r;

	*ret_done = false;
	r = next_chunk(hvg->store->vg, &plan, &chunk, err);
	if (r < 0 || !chunk)
		return r;
	forget_cached_source(hvg->store, chunk);
	lv = chunk->lv_name ? vg_find_lv(hvg->store->vg, chunk->lv_name) : NULL;
	if (!lv || activation_lv_info(host->activation, hvg->store->vg, lv, &info, err) < 0 || !info.exists)
		return 0;
	snprintf(lv_name, sizeof(lv_name), "%s", lv->name);
	r = activation_lv_suspend(host->activation, hvg->store->vg, lv, err);
	if (r < 0)
		return vg_error_prefix(err, r, "holding the I/O of LV %s/%s: ", mj->vg_name, lv_name);
	/* what the LV wrote before the suspend is on the disk now, past our cache */
	forget_cached_source(hvg->store, chunk);
	do {
		mj->header.creation_time = (int64_t)time(NULL);
		r = pv_move_step(move, p, err);
	} while (r == 0 && !p->checkpoint);
	/* the commit replaced the VG model: the LV as the metadata says now */
	lv = vg_find_lv(hvg->store->vg, lv_name);
	if (r < 0) {
		/* not committed: the chunk still reads from its source, where the LV's table points */
		struct vg_error resume_err = { 0 };

		if (lv && activation_lv_resume(host->activation, hvg->store->vg, lv, &resume_err) < 0)
			vg_log(LOG_ERR, "LV %s/%s stays suspended: %s", mj->vg_name, lv_name, resume_err.message);
		return r;
	}
	r = lv ? host_lv_reload(host, hvg, lv, err) : vg_error_set(err, -ENOENT, "LV %s is gone", lv_name);
	if (r < 0) {
		vg_log(LOG_CRIT, "LV %s/%s: chunk committed as moved but its table not reloaded; it stays suspended "
		       "so no write goes to the old place: %s", mj->vg_name, lv_name, err->message);
		return vg_error_prefix(err, r, "LV %s/%s: ", mj->vg_name, lv_name);
	}
	*ret_done = true;
	return 0;
}

static int move_step(struct job *job, struct host *host, uint64_t budget_bytes, uint64_t deadline_ms,
		     struct vg_error *err)
{
	struct move_job *mj = job->data;
	struct pv_move_progress p = { 0 };
	struct pv_move *move;
	uint64_t before;
	int r;

	r = current_move(mj, host, &move, err);
	if (r < 0)
		return r;
	if (!move)
		return JOB_STEP_DONE; /* the metadata holds no move any more */
	pv_move_get_progress(move, &p);
	before = p.bytes_copied;
	if (host->activation && !p.copy_done) {
		bool done;

		r = step_online(host, mj, move, &p, &done, err);
		if (r < 0)
			return vg_error_prefix(err, r, "VG %s: ", mj->vg_name);
		if (done) {
			if (p.wait_ns)
				job->wake_ms = job_clock_ms() + (p.wait_ns + 999999) / 1000000;
			report_progress(job, mj, &p);
			return p.copy_done ? finish(job, host, mj, move, err) : JOB_STEP_MORE;
		}
	}
	while (!p.copy_done) {
		mj->header.creation_time = (int64_t)time(NULL);
		r = pv_move_step(move, &p, err);
		if (r < 0)
			return vg_error_prefix(err, r, "VG %s: ", mj->vg_name);
		if (p.wait_ns) {
			/* over the bandwidth limit: the loop leaves this job alone until it may go on */
			job->wake_ms = job_clock_ms() + (p.wait_ns + 999999) / 1000000;
			break;
		}
		/* the kernel backend looks at each chunk's LV before copying it (step_online) */
		if (p.bytes_copied - before >= budget_bytes || job_clock_ms() >= deadline_ms ||
		    (host->activation && p.checkpoint))
			break;
	}
	report_progress(job, mj, &p);
	if (p.copy_done)
		return finish(job, host, mj, move, err);
	return JOB_STEP_MORE;
}

static const struct job_ops move_job_ops = {
	.step = move_step,
	/* every checkpoint is a commit: a stop has nothing to record */
	.stop = NULL,
	.free_data = move_job_free,
};

static int start_job(struct jobs *jobs, struct move_job *mj, struct host_vg *hvg, struct pv_move *move,
		     struct job **ret_job, struct vg_error *err)
{
	struct pv_move_progress p;
	struct job *job;
	int r;

	adopt_move(mj, hvg->store, move, hvg->store->vg->extent_size_sectors * 512);
	pv_move_get_progress(move, &p);
	r = jobs_start(jobs, &move_job_ops, mj->evacuate ? JOB_PV_EVACUATE_KIND : JOB_PV_MOVE_KIND, mj->vg_name,
		       p.extents_total * mj->extent_bytes, mj, &job);
	if (r < 0)
		return vg_error_set(err, r, "out of memory");
	job->done_bytes = mj->base_done_bytes;
	if (ret_job)
		*ret_job = job;
	return 0;
}

int job_pv_move_start(struct jobs *jobs, struct host *host, const char *vg_name, const struct pv_move_plan *plan,
		      uint64_t bandwidth_bytes, struct job **ret_job, struct vg_error *err)
{
	struct host_vg *hvg = host_find_vg(host, vg_name);
	_cleanup_(vg_freep) struct vg *before = NULL;
	struct move_job *mj;
	struct pv_move_options opts;
	struct pv_move *move = NULL;
	int r;

	if (!hvg)
		return vg_error_set(err, -ENOENT, "there is no VG called %s", vg_name);
	if (plan->source_pv_index >= hvg->store->vg->n_pvs)
		return vg_error_set(err, -EINVAL, "the move's source PV is not in VG %s", vg_name);
	mj = move_job_new(host, vg_name, hvg->store->vg->pvs[plan->source_pv_index]->id, plan->evacuate,
			  bandwidth_bytes, err);
	if (!mj)
		return -ENOMEM;
	opts = move_options(mj);
	set_rescue_note(mj, host, hvg->store->vg);
	if (host->activation && !(before = vg_clone(hvg->store->vg))) {
		move_job_free(mj);
		return vg_error_set(err, -ENOMEM, "out of memory");
	}
	r = pv_move_start(hvg->store, plan, &opts, &move, err);
	if (r < 0) {
		move_job_free(mj);
		return r;
	}
	if (before)
		host_vg_sync_activation(host, hvg, before);
	return start_job(jobs, mj, hvg, move, ret_job, err);
}

int job_pv_move_abort(struct job *job, struct host *host, struct vg_error *err)
{
	struct move_job *mj = job->data;
	struct pv_move *move;
	int r;

	if (job->state != JOB_RUNNING || !job_is_pv_move(job))
		return 0;
	r = current_move(mj, host, &move, err);
	if (r < 0 || !move)
		return r;
	snprintf(mj->description, sizeof(mj->description), "Write from vgtool job cancel (%s).", job->kind);
	r = commit_and_follow(host, mj, move, pv_move_abort, err);
	if (r < 0)
		return vg_error_prefix(err, r, "VG %s: cancelling the move: ", mj->vg_name);
	return 0;
}

int job_pv_move_resume_all(struct jobs *jobs, struct host *host)
{
	int started = 0;

	for (size_t v = 0; v < host->n_vgs; v++) {
		struct host_vg *hvg = host->vgs[v];
		const struct vg *vg = hvg->store->vg;
		_cleanup_(pv_move_plan_freep) struct pv_move_plan *plan = NULL;
		struct pv_move_options opts;
		struct pv_move *move = NULL;
		struct move_job *mj;
		struct vg_error err = { 0 };
		int r;

		if (!pv_move_in_progress(vg) || jobs_running_on(jobs, vg->name))
			continue;
		r = pv_move_plan_from_vg(vg, &plan, &err);
		mj = r < 0 ? NULL : move_job_new(host, vg->name, vg->pvs[plan->source_pv_index]->id, plan->evacuate, 0, &err);
		if (mj) {
			opts = move_options(mj);
			set_rescue_note(mj, host, vg);
			r = pv_move_resume(hvg->store, &opts, &move, &err);
			if (r < 0)
				move_job_free(mj);
			else
				r = start_job(jobs, mj, hvg, move, NULL, &err);
		} else if (r == 0) {
			r = -ENOMEM;
		}
		if (r < 0) {
			vg_log(LOG_ERR, "VG %s has a move in progress that cannot resume: %s", vg->name, err.message);
			continue;
		}
		vg_log(LOG_INFO, "VG %s has a move in progress: resuming it from its last checkpoint", vg->name);
		started++;
	}
	return started;
}
