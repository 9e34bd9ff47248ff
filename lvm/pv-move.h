/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Moving the extents of one PV to other PVs of the same VG, offline (the LVs
 * are not active: we copy the bytes ourselves), with the progress kept in the
 * VG metadata the way lvm2's pvmove keeps it, so that stock lvm2 reads the
 * metadata at every checkpoint and a crash at any write resumes without
 * losing or duplicating data (docs/pv-move.md):
 *
 *  - a hidden LV "pvmove0" (status READ, WRITE, PVMOVE, LOCKED) holds one
 *    "mirror" segment per chunk: area 0 the source extents, area 1 the
 *    destination, and `extents_moved` saying whether the chunk was copied;
 *  - each moved part of an LV is a segment pointing at pvmove0
 *    (`stripes = [ "pvmove0", N ]`), and the LV is LOCKED;
 *  - a chunk is copied and synced first, then one commit marks it moved: an
 *    LV read through the metadata reads the source of a chunk not yet marked
 *    and the destination of a marked one, so it always reads its original
 *    content;
 *  - the last commit puts the LVs straight on their new extents and drops
 *    pvmove0 (for an evacuation, the same commit takes the source PV out).
 *
 * The steps are small and separate so an event loop can drive a move:
 * pv_move_plan (pure), pv_move_start or pv_move_resume, pv_move_step until it
 * says the copy is done, then pv_move_finish; pv_move_abort at any time.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "vg-store.h"
#include "vg.h"

#define PV_MOVE_LV_NAME "pvmove0"
/* Extents per chunk, the granularity of checkpoints, when the request says 0. */
#define PV_MOVE_DEFAULT_CHUNK_EXTENTS 16
/* Bytes copied by one pv_move_step, when the options say 0. */
#define PV_MOVE_DEFAULT_STEP_BYTES (UINT64_C(4) << 20)
/* Tag of pvmove0 when the source PV leaves the VG at the end (an evacuation). */
#define PV_MOVE_EVACUATE_TAG "vgtool_evacuate"
/*
 * Tag of pvmove0 carrying the move's bandwidth limit, "vgtool_bandwidth_"
 * then bytes per second: the limit lives with the move, so a move resumed
 * after a restart (or on another host) keeps it.
 */
#define PV_MOVE_BANDWIDTH_TAG_PREFIX "vgtool_bandwidth_"

struct pv_move_request {
	const char *source_pv;         /* PV id, dashes optional */
	const char *const *dest_pvs;   /* PV ids; NULL: any other allocatable PV of the VG */
	size_t n_dest_pvs;
	const char *lv_name;           /* only this LV's extents on the source; NULL: every LV */
	uint64_t max_chunk_extents;    /* 0: PV_MOVE_DEFAULT_CHUNK_EXTENTS */
	bool evacuate;                 /* the final commit also takes the source PV out of the VG */
	/*
	 * LVs the caller knows to be in use (active, open): the offline copy
	 * must not move their extents under a reader or writer.
	 */
	const char *const *busy_lvs;
	size_t n_busy_lvs;
};

/* One checkpointed piece of a move: a run of an LV's extents going from one PV run to another. */
struct pv_move_chunk {
	char *lv_name;                 /* the LV whose extents these are; NULL if no LV maps them */
	uint64_t lv_start_extent;
	uint64_t extent_count;
	size_t src_pv_index;
	uint64_t src_pe;
	size_t dst_pv_index;
	uint64_t dst_pe;
	bool moved;                    /* copied and committed as moved */
};

struct pv_move_plan {
	size_t source_pv_index;
	bool evacuate;
	struct pv_move_chunk *chunks;  /* in copy order; chunk i is segment i+1 of pvmove0 */
	size_t n_chunks;
	uint64_t total_extents;
	uint64_t extent_bytes;
	uint64_t bandwidth_bytes_per_second; /* 0: no limit; kept in pvmove0's tags */
};

struct pv_move_plan *pv_move_plan_free(struct pv_move_plan *plan);
DEFINE_CLEANUP_FUNC(struct pv_move_plan, pv_move_plan_free)

/*
 * What would move where, without touching anything. Refusals, each naming
 * what was wrong: -EBUSY a move is already in progress (pvmove0 exists) or
 * the LV is locked; -EROFS a PV of the VG is missing (partial VG); -ENOENT
 * the source or a destination PV is not in the VG, or the LV does not exist;
 * -EINVAL a destination is the source or not allocatable, the LV has no
 * extent on the source; -ENODATA nothing to move (and no evacuation);
 * -ENOSPC the destinations have fewer free extents than the move needs;
 * -EBUSY an LV with extents to move is among req->busy_lvs;
 * -EOPNOTSUPP an LV on the source is striped over several PVs or is of a
 * kind kept verbatim (raid, thin, ...).
 */
int pv_move_plan(const struct vg *vg, const struct pv_move_request *req, struct pv_move_plan **ret_plan,
		 struct vg_error *err);

/* True when @vg's metadata holds a move in progress (an LV with PVMOVE status). */
bool pv_move_in_progress(const struct vg *vg);

/*
 * The move recorded in @vg's metadata (chunks with their moved state), for
 * progress reports and resume. -ENOENT when there is none; -EOPNOTSUPP /
 * -EBADMSG when pvmove0 has a form we cannot continue.
 */
int pv_move_plan_from_vg(const struct vg *vg, struct pv_move_plan **ret_plan, struct vg_error *err);

/*
 * Pure model operations behind the steps, exposed for checks and tests:
 * pv_move_op_start gives @vg with the plan's pvmove0 added and the LVs
 * pointing at it; pv_move_op_collapse gives @vg with every LV put straight
 * on the area its chunks currently read from (destination for moved chunks,
 * source for the rest) and pvmove0 dropped.
 */
int pv_move_op_start(const struct vg *vg, const struct pv_move_plan *plan, struct vg **ret_vg,
		     struct vg_error *err);
int pv_move_op_collapse(const struct vg *vg, struct vg **ret_vg, struct vg_error *err);

/*
 * Where logical extent @le of @lv lives, following pvmove0 as a reader of
 * the metadata must: a chunk not yet moved reads from its source, a moved
 * one from its destination. -ERANGE beyond the LV; -EOPNOTSUPP for
 * multi-stripe or other kept segments.
 */
int pv_move_map_extent(const struct vg *vg, const struct vg_lv *lv, uint64_t le, size_t *ret_pv_index,
		       uint64_t *ret_pe, struct vg_error *err);

/* pvmove0 of @vg, or NULL when no move is in progress. */
const struct vg_lv *pv_move_lv(const struct vg *vg);

/*
 * Whether segment @seg of an LV of @vg lies on pvmove0
 * (`stripes = [ "pvmove0", N ]`): then *ret_le = N, its first extent there.
 */
bool pv_move_segment_on_move(const struct vg *vg, const struct vg_segment *seg, uint64_t *ret_le);

/*
 * The dm mirror region (sectors) of a pvmove0 segment of @extent_count
 * extents, as lvm2 picks it: 2 MiB, or the largest power-of-two number of
 * extents dividing the segment when that is smaller.
 */
uint64_t pv_move_region_sectors(const struct vg *vg, uint64_t extent_count);

struct pv_move_options {
	uint64_t bandwidth_bytes_per_second;  /* 0: no limit */
	uint64_t step_bytes;                  /* at most this many bytes copied per step; 0: default */
	const struct vg_text_header *header;  /* rendered by every commit of the move; borrowed */
};

struct pv_move_progress {
	size_t chunks_total;
	size_t chunks_moved;
	uint64_t extents_total;
	uint64_t extents_moved;
	uint64_t bytes_copied;  /* by this struct pv_move, since it was started or resumed */
	uint64_t wait_ns;       /* wait this long before the next step to keep under the bandwidth limit */
	bool checkpoint;        /* this step committed a chunk as moved */
	bool copy_done;         /* every chunk is moved: pv_move_finish is next */
};

/* A move in progress on a VG store (borrowed: it must outlive the move). */
struct pv_move;
struct pv_move *pv_move_free(struct pv_move *move);
DEFINE_CLEANUP_FUNC(struct pv_move, pv_move_free)

/*
 * Commit the start of @plan (made by pv_move_plan from store->vg): pvmove0
 * with every chunk still on its source. The plan is checked again against
 * the store's VG; a refusal writes nothing. An evacuation with nothing to
 * move commits nothing here; pv_move_finish takes the PV out.
 */
int pv_move_start(struct vg_store *store, const struct pv_move_plan *plan, const struct pv_move_options *opts,
		  struct pv_move **ret_move, struct vg_error *err);

/*
 * Continue the move recorded in store->vg from its last checkpoint (a chunk
 * half copied before a crash is copied again from its start). -ENOENT when
 * no move is in progress.
 */
int pv_move_resume(struct vg_store *store, const struct pv_move_options *opts, struct pv_move **ret_move,
		   struct vg_error *err);

/*
 * Copy up to opts->step_bytes of the current chunk; when the chunk is
 * complete, flush the destination and commit it as moved (a checkpoint).
 * Returns 0 and the progress; an I/O or commit failure returns its errno,
 * and the move can be retried or resumed later from the last checkpoint.
 */
int pv_move_step(struct pv_move *move, struct pv_move_progress *ret_progress, struct vg_error *err);

/*
 * The chunk was copied by someone else (device-mapper's mirror, in sync):
 * flush its destination and commit it as moved, as pv_move_step does after
 * its own copy; its bytes count as copied (for the bandwidth limit). -EBUSY
 * when every chunk is moved already.
 */
int pv_move_commit_copied(struct pv_move *move, struct pv_move_progress *ret_progress, struct vg_error *err);

/* Index (in the plan, = pvmove0's segment) of the first chunk not moved; n_chunks when all are. */
size_t pv_move_current_chunk(const struct pv_move *move);

/* Progress without doing anything. */
void pv_move_get_progress(const struct pv_move *move, struct pv_move_progress *ret_progress);

/*
 * After the last chunk: one commit puts the LVs on their new extents, drops
 * pvmove0 and, for an evacuation, takes the source PV out of the VG. -EBUSY
 * while chunks remain to copy.
 */
int pv_move_finish(struct pv_move *move, struct vg_error *err);

/*
 * Cancel: one commit leaves moved chunks on their destination, the rest on
 * their source, and drops pvmove0. The source PV stays in the VG.
 */
int pv_move_abort(struct pv_move *move, struct vg_error *err);
