/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Extent allocation: which physical extents of which PVs a new or growing LV
 * gets. Works on a VG model the caller owns (a clone, in the pure
 * operations of vg-ops.c) and appends segments to the LV.
 *
 * Policies, as lvm2 names them:
 *  - contiguous: one free run holds the whole request (and, when extending,
 *    the run must start right after the LV's last extent);
 *  - normal: continue the last segment if its PV has room right after it,
 *    else one free run that holds everything (the smallest that fits), else
 *    fill from the largest runs down; stripes never share a PV;
 *  - anywhere: as normal, but stripes may share a PV.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "vg.h"

enum alloc_policy {
	ALLOC_NORMAL,
	ALLOC_CONTIGUOUS,
	ALLOC_ANYWHERE,
};

/* A run of physical extents on one PV. */
struct pe_range {
	size_t pv_index;
	uint64_t start;
	uint64_t count;
};

/* Free runs of every allocatable PV, ordered by PV then start. */
struct vg_free_map {
	struct pe_range *ranges;
	size_t n;
};

/*
 * Build the free map of @vg. -EBADMSG when an extent is used twice or lies
 * outside its PV (the model is inconsistent).
 */
int vg_free_map_build(const struct vg *vg, struct vg_free_map *ret_map, struct vg_error *err);
void vg_free_map_done(struct vg_free_map *map);

/* Free extents on allocatable PVs (all of them, or those flagged in @allowed). */
uint64_t vg_free_extents(const struct vg *vg, const bool *allowed);
/* Extents in use on PV @pv_index. */
uint64_t vg_pv_used_extents(const struct vg *vg, size_t pv_index);

struct alloc_request {
	uint64_t extents;             /* logical extents to add (a multiple of stripes) */
	uint32_t stripes;             /* 1 = linear */
	uint64_t stripe_size_sectors; /* stripes > 1 */
	enum alloc_policy policy;
	const bool *allowed_pvs;      /* vg->n_pvs flags; NULL = every allocatable PV */
};

/*
 * Append segments for @req to @lv (which belongs to @vg), merging with the
 * last segment where it simply continues. On failure @lv and @vg are
 * unchanged. -ENOSPC with a message saying how much was asked and how much
 * is free where it was allowed to look; -EINVAL for a bad request.
 */
int vg_alloc_extend_lv(struct vg *vg, struct vg_lv *lv, const struct alloc_request *req,
		       struct vg_error *err);

/* Merge adjacent segments of @lv that continue each other on the same PVs (as lvm2's import does). */
void vg_lv_merge_segments(struct vg_lv *lv);

/* Free one segment and everything it owns (for operations that rebuild an LV's segments). Accepts NULL. */
void vg_segment_destroy(struct vg_segment *seg);

/* Drop the last @extents logical extents of @lv (splitting a segment if needed). */
int vg_lv_truncate(struct vg_lv *lv, uint64_t extents, struct vg_error *err);
