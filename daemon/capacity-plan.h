/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The capacity planner behind capacity.plan: given the mirrors, plain PVs
 * and volume groups of a host and what some groups should gain or keep
 * free, the cheapest sequence of steps that gets there without ever
 * dropping the redundancy a group requires. Pure: a small model in, a plan
 * out; no I/O. Costs are the bytes a plan copies (evacuating a PV moves its
 * used extents to the other PVs of its group); among plans that copy as
 * little, the one with the fewest steps wins, then the earliest devices.
 *
 * The steps, per device:
 *  - move a PV (plain or a mirror) to another group: free when it is
 *    empty, otherwise evacuate it first (its used bytes are copied to the
 *    rest of its group, which must have room for them);
 *  - dissolve a mirror into its two legs as plain PVs of a group that does
 *    not require redundancy: in place (leg 0 keeps the data, leg 1 joins the
 *    same group, nothing copied), or for another group (evacuated first,
 *    both legs join it);
 *  - a device in no group (a new disk, a mirror not used yet) joins a group
 *    as it is, or dissolved into two plain PVs.
 * A group that requires redundancy only ever receives mirrors. Sizes are the
 * bytes usable for extents; metadata areas are the caller's to subtract.
 *
 * Strings in the model are borrowed; the plan borrows them from the model.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct cap_mirror {
	const char *name;
	uint64_t leg_bytes[2];
	const char *vg;       /* the group using the mirror as a PV; NULL: none */
	uint64_t used_bytes;  /* of the mirror as a PV */
};

struct cap_pv {
	const char *name;
	uint64_t size_bytes;
	const char *vg;       /* NULL: in no group */
	uint64_t used_bytes;
};

struct cap_vg {
	const char *name;
	uint64_t free_bytes;
	bool requires_redundancy; /* every PV must be a mirror */
};

enum cap_want_kind {
	CAP_WANT_GAIN,     /* "vg=+200G": at least this much more free space than now */
	CAP_WANT_FREE,     /* "vg>=50G": at least this much free space */
};

struct cap_want {
	const char *vg;
	enum cap_want_kind kind;
	uint64_t bytes;
};

struct cap_model {
	const struct cap_mirror *mirrors;
	size_t n_mirrors;
	const struct cap_pv *pvs;
	size_t n_pvs;
	const struct cap_vg *vgs;
	size_t n_vgs;
};

/*
 * Parse a want as `capacity plan --want` takes it: "NAME=+SIZE" or
 * "NAME>=SIZE" (binary units, "200G"; a bare number is MiB). The group name
 * is copied into @name_buf, which ret->vg then points at. -EINVAL naming
 * what is wrong.
 */
int cap_want_parse(const char *text, char *name_buf, size_t name_size, struct cap_want *ret,
		   struct vg_error *err);

enum cap_step_kind {
	CAP_STEP_MOVE_PV,        /* an empty PV or mirror changes group (or joins one) */
	CAP_STEP_EVACUATE_MOVE,  /* evacuate it within its group, then move it */
	CAP_STEP_DISSOLVE,       /* a mirror becomes two plain PVs */
};

/* "move_pv", "evacuate_and_move_pv", "dissolve_mirror": stable names for JSON. */
const char *cap_step_kind_name(enum cap_step_kind kind);

struct cap_step {
	enum cap_step_kind kind;
	const char *device;       /* mirror or PV name */
	bool is_mirror;
	const char *from_vg;      /* NULL: the device was in no group */
	const char *to_vg;        /* the group receiving the device (or, dissolved, leg 1 at least) */
	const char *leg0_vg;      /* dissolve: where leg 0 goes (to_vg, or from_vg in place) */
	uint64_t bytes_copied;
	uint64_t bytes_gained;    /* free space to_vg gains (both legs when both go there) */
};

struct cap_group {
	const char *vg;
	uint64_t free_before;
	uint64_t free_after;
	bool requires_redundancy;
	bool redundant_before;    /* every PV a mirror */
	bool redundant_after;
};

struct cap_plan {
	bool possible;
	char reason[512];         /* when impossible: why, naming the group */
	struct cap_step *steps;   /* in the order to run them */
	size_t n_steps;
	uint64_t bytes_copied;    /* sum of the steps */
	struct cap_group *groups; /* one per model VG, in model order */
	size_t n_groups;
};

struct cap_plan *cap_plan_free(struct cap_plan *plan);
DEFINE_CLEANUP_FUNC(struct cap_plan, cap_plan_free)

/* Devices the planner searches exhaustively; a larger model is refused with -E2BIG. */
#define CAP_MAX_DEVICES 16

/*
 * Plan for @wants on @model. Returns 0 and a plan, possible or not (an
 * impossible plan carries the reason and no steps); -EINVAL for a bad model
 * or want (unknown group, a device named twice, used bigger than size ...);
 * -E2BIG for more than CAP_MAX_DEVICES devices, or when the layout has too
 * many alternatives to compare them all.
 */
int cap_plan_make(const struct cap_model *model, const struct cap_want *wants, size_t n_wants,
		  struct cap_plan **ret_plan, struct vg_error *err);
