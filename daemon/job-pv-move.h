/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PV moves as jobs of vgtoold (kinds "pv.move" and "pv.evacuate"): the
 * engine of lvm/pv-move.h stepped from the event loop. The request commits
 * the start of the move (every refusal comes before that, and writes
 * nothing); the job copies chunk after chunk, each made durable and then
 * committed as moved, and ends with the commit that puts the LVs on their
 * new extents (and, for an evacuation, takes the PV out of its VG).
 *
 * Every checkpoint is a commit of the VG, so there is nothing to record when
 * the daemon stops: the next start finds pvmove0 in the metadata and resumes
 * the move from its last checkpoint (job_pv_move_resume_all). A cancel is
 * the engine's abort: chunks committed as moved stay on their destination,
 * the rest on their source, pvmove0 goes.
 *
 * With the kernel backend the LVs stay in use, as with lvm2's pvmove:
 * pvmove0 is a dm device (made when the first LV on it is activated, before
 * that LV), the LVs' moved segments map onto it, and the chunk being moved
 * is a dm mirror in its table (source first), so the kernel copies it while
 * writes go to both sides. The job polls the mirror's status from the loop
 * (never blocking it); once the chunk is in sync it flushes the
 * destination, commits the chunk as moved and reloads pvmove0 with that
 * chunk on its destination and the next one mirrored. Nothing is suspended
 * for longer than a table swap. The last commit (or a cancel's) reloads the
 * LVs straight onto their extents, then pvmove0's device goes. While no LV
 * on pvmove0 is active, the daemon copies the chunks itself, as with the
 * `none` backend (an LV of the move found active off pvmove0 is put on it
 * first: nothing is copied under an LV that writes its old place).
 *
 * The host may read its VGs again at any time between two steps (a rescan
 * frees the VG stores): a step that finds another store than the one its
 * move was made on resumes the move on the new one, from the last
 * checkpoint.
 */
#pragma once

#include <stdint.h>

#include "error.h"
#include "host.h"
#include "job.h"
#include "pv-move.h"

#define JOB_PV_MOVE_KIND "pv.move"
#define JOB_PV_EVACUATE_KIND "pv.evacuate"

/*
 * Commit the start of @plan (made by pv_move_plan from @vg_name's committed
 * VG) and run the rest as a job on the VG. @bandwidth_bytes: the copy's
 * average rate limit, 0 for none (the daemon's copy_rate applies as well).
 * A refusal or a failed commit leaves no job and returns its errno.
 */
int job_pv_move_start(struct jobs *jobs, struct host *host, const char *vg_name, const struct pv_move_plan *plan,
		      uint64_t bandwidth_bytes, struct job **ret_job, struct vg_error *err);

/*
 * With the kernel backend, chunks of at most this many bytes (one extent
 * when extents are larger): each is one mirror resync, one commit and one
 * table swap of pvmove0, and what a crash makes the kernel copy again.
 */
#define JOB_PV_MOVE_ONLINE_CHUNK_BYTES (UINT64_C(4) << 20)

/* The request's max_chunk_extents for a move of @vg on @host (0: the engine's default). */
uint64_t job_pv_move_chunk_extents(const struct host *host, const struct vg *vg);

/* Whether @job is a PV move (pv.move or pv.evacuate). */
bool job_is_pv_move(const struct job *job);

/*
 * Cancel the move of @job: the engine's abort, one commit. A running job is
 * then cancelled by jobs_cancel (a move has nothing more to record); a
 * failed one (an I/O error stopped it) leaves its move in the metadata
 * until this aborts it, and stays failed.
 */
int job_pv_move_abort(struct job *job, struct host *host, struct vg_error *err);

/*
 * At start: a job for every VG whose metadata holds a move in progress,
 * resumed from its last checkpoint. Returns how many started.
 */
int job_pv_move_resume_all(struct jobs *jobs, struct host *host);
