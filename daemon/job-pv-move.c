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
#include "lv-table.h"
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

/*
 * Kernel backend, the daemon copying (no LV of the move active): LVs may
 * have written the source through device-mapper, past the page cache the
 * daemon reads PVs through; forget what is cached of the chunk's source.
 */
static void forget_cached_source(struct host *host, struct move_job *mj, struct pv_move *move)
{
	struct host_vg *hvg = host_find_vg(host, mj->vg_name);
	_cleanup_(pv_move_plan_freep) struct pv_move_plan *plan = NULL;
	const struct pv_move_chunk *chunk;
	const struct blockdev *src;
	uint64_t extent_bytes, from;
	size_t current = pv_move_current_chunk(move);

	if (!hvg || pv_move_plan_from_vg(hvg->store->vg, &plan, NULL) < 0 || current >= plan->n_chunks)
		return;
	chunk = &plan->chunks[current];
	src = hvg->store->targets[chunk->src_pv_index].dev;
	extent_bytes = hvg->store->vg->extent_size_sectors * 512;
	from = hvg->store->vg->pvs[chunk->src_pv_index]->pe_start_sectors * 512 + chunk->src_pe * extent_bytes;
	if (src && src->fd >= 0)
		(void)posix_fadvise(src->fd, (off_t)from, (off_t)(chunk->extent_count * extent_bytes),
				    POSIX_FADV_DONTNEED);
}

/* How often the job looks at the kernel's resync of the chunk being mirrored. */
#define MIRROR_POLL_MS 50

/*
 * Where pvmove0's chunk @index starts in its device, in sectors (chunks are
 * its segments, one after another from 0).
 */
static uint64_t chunk_start_sectors(const struct vg *vg, size_t index)
{
	const struct vg_lv *move_lv = pv_move_lv(vg);

	return move_lv && index < move_lv->n_segments ? move_lv->segments[index]->start_extent * vg->extent_size_sectors
						       : UINT64_MAX;
}

static void wake_in_ns(struct job *job, uint64_t ns)
{
	job->wake_ms = job_clock_ms() + (ns + 999999) / 1000000;
}

/*
 * Kernel backend with pvmove0 active: device-mapper copies. The first chunk
 * not moved is a dm mirror in pvmove0's table (source first: the kernel
 * resyncs the destination from it, and writes go to both); the LVs map onto
 * pvmove0 and their I/O flows on. The job only looks at the mirror's status
 * (no blocking: a poll again MIRROR_POLL_MS later), and when every region is
 * in sync flushes the destination, commits the chunk as moved (a
 * checkpoint) and reloads pvmove0: that chunk linear to its destination, the
 * next one the mirror, once the bandwidth limit lets it start. A mirror on
 * another chunk (or none) is made to match the metadata; after a restart a
 * mirror already on the current chunk is followed as it is.
 */
static int step_kernel(struct job *job, struct host *host, struct move_job *mj, struct pv_move *move,
		       struct vg_error *err)
{
	struct host_vg *hvg = host_find_vg(host, mj->vg_name);
	struct activation_move_status st;
	struct pv_move_progress p;
	uint64_t chunk_bytes, partial;
	int r;

	pv_move_get_progress(move, &p);
	r = activation_move_status(host->activation, hvg->store->vg, &st, err);
	if (r < 0)
		return vg_error_prefix(err, r, "reading the status of %s: ", PV_MOVE_LV_NAME);
	if (!st.mirroring || st.start_sectors != chunk_start_sectors(hvg->store->vg, pv_move_current_chunk(move))) {
		/* the next chunk's copy starts when the average rate stays under the limit */
		bool start_now = p.wait_ns == 0;

		if (start_now || st.mirroring) {
			r = host_vg_move_load(host, hvg, start_now, err);
			if (r < 0)
				return vg_error_prefix(err, r, "loading %s: ", PV_MOVE_LV_NAME);
		}
		wake_in_ns(job, start_now ? MIRROR_POLL_MS * UINT64_C(1000000) : p.wait_ns);
		report_progress(job, mj, &p);
		return JOB_STEP_MORE;
	}
	if (!lv_mirror_status_healthy(&st.mirror))
		return vg_error_set(err, -EIO,
				    "the mirror of %s failed on a leg (health %s, source first): the move stops here with "
				    "the chunk's data on its source, and goes on from its last checkpoint when vgtoold "
				    "starts again",
				    PV_MOVE_LV_NAME, st.mirror.health);
	if (st.mirror.in_sync_regions < st.mirror.total_regions) {
		chunk_bytes = st.length_sectors * 512;
		partial = chunk_bytes / st.mirror.total_regions * st.mirror.in_sync_regions;
		p.bytes_copied += partial;
		report_progress(job, mj, &p);
		job->wake_ms = job_clock_ms() + MIRROR_POLL_MS;
		return JOB_STEP_MORE;
	}
	mj->header.creation_time = (int64_t)time(NULL);
	r = pv_move_commit_copied(move, &p, err);
	if (r < 0)
		return r;
	report_progress(job, mj, &p);
	if (p.copy_done)
		return finish(job, host, mj, move, err);
	/* the committed chunk reads its destination now; the next one is mirrored (or waits for the limit) */
	r = host_vg_move_load(host, hvg, p.wait_ns == 0, err);
	if (r < 0)
		return vg_error_prefix(err, r, "loading %s after a checkpoint: ", PV_MOVE_LV_NAME);
	wake_in_ns(job, p.wait_ns ? p.wait_ns : MIRROR_POLL_MS * UINT64_C(1000000));
	return JOB_STEP_MORE;
}

/* Whether device-mapper does the copy: the kernel backend has pvmove0 active (an LV on it is). */
static bool kernel_copies(struct host *host, struct move_job *mj)
{
	struct host_vg *hvg = host_find_vg(host, mj->vg_name);
	struct dmctl_info info;

	return host->activation && hvg &&
	       activation_move_info(host->activation, hvg->store->vg, &info, NULL) == 0 && info.exists;
}

/*
 * Kernel backend without a pvmove0 device: an LV of the move that is active
 * all the same (its reload onto pvmove0 failed when the move started) would
 * write its old place while the daemon copies it. Such an LV is put on
 * pvmove0 now (the kernel copies from then on): 1 when one was, 0 when none
 * is active, or the error that keeps the daemon from copying under it.
 */
static int put_active_lvs_on_move(struct host *host, struct move_job *mj, struct vg_error *err)
{
	struct host_vg *hvg = host_find_vg(host, mj->vg_name);
	const struct vg *vg = hvg->store->vg;
	int moved = 0;

	for (size_t l = 0; l < vg->n_lvs; l++) {
		const struct vg_lv *lv = vg->lvs[l];
		struct dmctl_info info;
		int r;

		if (!(lv->status & LV_STATUS_VISIBLE) || !lv_table_uses_move(vg, lv))
			continue;
		r = activation_lv_info(host->activation, vg, lv, &info, err);
		if (r == 0 && info.exists)
			r = host_lv_reload(host, hvg, lv, err);
		if (r < 0)
			return vg_error_prefix(err, r, "LV %s/%s is active but not on %s, so nothing copies under it: ",
					       vg->name, lv->name, PV_MOVE_LV_NAME);
		moved |= info.exists;
	}
	return moved;
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
	if (!p.copy_done && kernel_copies(host, mj)) {
		r = step_kernel(job, host, mj, move, err);
		return r < 0 ? vg_error_prefix(err, r, "VG %s: ", mj->vg_name) : r;
	}
	if (host->activation && !p.copy_done) {
		r = put_active_lvs_on_move(host, mj, err);
		if (r != 0)
			return r < 0 ? vg_error_prefix(err, r, "VG %s: ", mj->vg_name) : JOB_STEP_MORE;
		forget_cached_source(host, mj, move);
	}
	while (!p.copy_done) {
		mj->header.creation_time = (int64_t)time(NULL);
		r = pv_move_step(move, &p, err);
		if (r < 0)
			return vg_error_prefix(err, r, "VG %s: ", mj->vg_name);
		if (p.wait_ns) {
			/* over the bandwidth limit: the loop leaves this job alone until it may go on */
			wake_in_ns(job, p.wait_ns);
			break;
		}
		/* the kernel backend looks again before each chunk: an LV activated meanwhile makes pvmove0 copy */
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

	if ((job->state != JOB_RUNNING && job->state != JOB_FAILED) || !job_is_pv_move(job))
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
		mj = r < 0 ? NULL : move_job_new(host, vg->name, vg->pvs[plan->source_pv_index]->id, plan->evacuate,
						   plan->bandwidth_bytes_per_second, &err);
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
