/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The typed model of an LVM2 volume group, as its text metadata describes it
 * (FORMATS.md section 3). Everything we do not understand — unknown keys,
 * unknown sections such as historical_logical_volumes, segments of types
 * other than "striped" (thin pools, raid, cache made by stock lvm2) — is kept
 * as cloned config nodes in `extra` and written back unchanged, so rewriting
 * a VG never drops what another tool put there.
 *
 * Ownership: a struct vg owns every PV, LV, segment, string and extra node
 * reachable from it; vg_free() releases all of it. The one exception is an
 * LV object shared between a VG and its copies made by vg_clone_sharing_lvs():
 * each VG holding it counts as an owner (`other_owners` counts all but one),
 * the last vg_lv_free() releases it, and nobody changes a shared LV: a VG
 * that must change one takes its own copy first with vg_lv_own(). An LV
 * once shared stays frozen (`frozen`): see struct vg_lv.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfg.h"
#include "error.h"
#include "uuid.h"

/* VG status words (a word unknown to us is a parse error, as in lvm2). */
enum {
	VG_STATUS_RESIZEABLE = 1u << 0,
	VG_STATUS_READ = 1u << 1,
	VG_STATUS_WRITE = 1u << 2,
	VG_STATUS_EXPORTED = 1u << 3,
	VG_STATUS_CLUSTERED = 1u << 4,
	VG_STATUS_SHARED = 1u << 5,
	VG_STATUS_PVMOVE = 1u << 6,
};

enum {
	PV_STATUS_ALLOCATABLE = 1u << 0,
	PV_STATUS_EXPORTED = 1u << 1,
	PV_STATUS_MISSING = 1u << 2,
};

enum {
	LV_STATUS_READ = 1u << 0,
	LV_STATUS_WRITE = 1u << 1,
	LV_STATUS_VISIBLE = 1u << 2,
	LV_STATUS_FIXED_MINOR = 1u << 3,
	LV_STATUS_LOCKED = 1u << 4,
	LV_STATUS_PVMOVE = 1u << 5,
	LV_STATUS_NOTSYNCED = 1u << 6,
	LV_STATUS_REBUILD = 1u << 7,
	LV_STATUS_WRITEMOSTLY = 1u << 8,
};

/* A list of words: `flags` and `tags` (unknown flag words are kept, not refused). */
struct vg_words {
	char **words;
	size_t n;
};

struct vg_stripe {
	size_t pv_index;    /* index into vg->pvs */
	uint64_t first_pe;  /* first physical extent on that PV */
};

struct vg_segment {
	uint64_t start_extent;
	uint64_t extent_count;
	char *type; /* "striped", or another type kept verbatim in extra */
	bool is_striped;
	uint32_t stripe_count;
	uint64_t stripe_size_sectors; /* 0 when stripe_count == 1 */
	struct vg_stripe *stripes;    /* stripe_count entries when is_striped */
	/* Keys other than the above; for a non-striped type, every key but start/count/type. */
	struct cfg_node *extra;
};

struct vg_lv {
	char *name;
	char id[LVM_UUID_LEN + 1];
	uint32_t status;
	struct vg_words flags;
	struct vg_words tags;
	bool has_creation;        /* creation_time and creation_host come together */
	int64_t creation_time;
	char *creation_host;
	struct vg_segment **segments; /* sorted by start_extent, gap- and overlap-free */
	size_t n_segments;
	struct cfg_node *extra;
	unsigned int other_owners; /* VGs holding this object besides one; 0: private, may be changed */
	/*
	 * Set when the object is first shared (vg_clone_sharing_lvs) and never
	 * cleared: a frozen LV is not changed again, even once its other owners
	 * have let go (vg_lv_own copies it all the same), so `serial`, unique
	 * among the frozen LVs of the process, stands for its content for good.
	 * A renderer may reuse what it made of an LV of the same serial.
	 */
	bool frozen;
	uint64_t serial; /* 0 until frozen */
};

struct vg_pv {
	char *key; /* "pv0", "pv1", ...: the reference name inside this text */
	char id[LVM_UUID_LEN + 1];
	char *device_hint; /* NULL when absent */
	uint32_t status;
	struct vg_words flags;
	struct vg_words tags;
	bool has_dev_size;
	uint64_t dev_size_sectors;
	uint64_t pe_start_sectors;
	uint64_t pe_count;
	struct cfg_node *extra; /* ba_start/ba_size, device_id, ... */
};

struct vg {
	char *name;
	char id[LVM_UUID_LEN + 1];
	uint64_t seqno;
	char *format; /* "lvm2" when present, NULL otherwise */
	uint32_t status;
	struct vg_words flags;
	struct vg_words tags;
	uint64_t extent_size_sectors;
	uint64_t max_lv;
	uint64_t max_pv;
	bool has_metadata_copies;
	uint64_t metadata_copies;
	struct vg_pv **pvs;
	size_t n_pvs;
	struct vg_lv **lvs; /* in text order: visible LVs first, as lvm2 writes them */
	size_t n_lvs;
	struct cfg_node *extra; /* unknown VG-level keys and sections */
	/*
	 * Passed vg_validate() as it is now: set by vg_store on the VG it keeps
	 * as committed (never changed in place), for vg_validate_change().
	 * Copies start without it.
	 */
	bool validated;

	/* Header keys outside the VG section: informational, re-rendered on write. */
	char *description;
	char *creation_host;
	int64_t creation_time;
};

struct vg *vg_new(void);
struct vg *vg_free(struct vg *vg);
DEFINE_CLEANUP_FUNC(struct vg, vg_free)
struct vg *vg_clone(const struct vg *vg); /* deep copy; NULL on ENOMEM */
/*
 * A copy whose LV list holds @vg's LV objects themselves, each gaining an
 * owner (everything else is copied): O(LVs) pointers instead of a deep copy
 * of every LV, for a change that touches a few LVs. Its LVs are changed
 * only through vg_lv_own(). NULL on ENOMEM.
 */
struct vg *vg_clone_sharing_lvs(const struct vg *vg);
/*
 * @vg->lvs[@index], made changeable first (copied if frozen, i.e. shared now
 * or once); NULL on ENOMEM, leaving it as it was.
 */
struct vg_lv *vg_lv_own(struct vg *vg, size_t index);
/* Whether @lv may be changed in place: neither shared nor ever frozen. Mutators assert it. */
static inline bool vg_lv_changeable(const struct vg_lv *lv)
{
	return lv->other_owners == 0 && !lv->frozen;
}

/* Destructors of single model objects (for operations that add or drop them). Accept NULL.
 * vg_lv_free() of a shared LV only drops one owner. */
struct vg_lv *vg_lv_free(struct vg_lv *lv);
DEFINE_CLEANUP_FUNC(struct vg_lv, vg_lv_free)
struct vg_pv *vg_pv_free(struct vg_pv *pv);
DEFINE_CLEANUP_FUNC(struct vg_pv, vg_pv_free)

/* Look-ups; NULL / -1 when absent. */
struct vg_lv *vg_find_lv(const struct vg *vg, const char *name);
/* vg_find_lv() from the end: finds an LV just created at once (new LVs follow the other visible ones). */
struct vg_lv *vg_find_lv_from_end(const struct vg *vg, const char *name);
ssize_t vg_find_pv_by_id(const struct vg *vg, const char *id);

/* Total extents of an LV (sum of its segments). */
uint64_t vg_lv_extents(const struct vg_lv *lv);

/* A bit per physical extent of every PV of a VG, each PV starting on a word of its own. */
struct vg_extent_bitmap {
	uint64_t *map;
	uint64_t *base; /* per PV, the index of its extent 0 in map */
};

/* A clear bitmap for @vg; false when it would be too large (tens of MiB) or memory is short. */
bool vg_extent_bitmap_init(const struct vg *vg, struct vg_extent_bitmap *bits);
void vg_extent_bitmap_done(struct vg_extent_bitmap *bits);
/* Set extents [first, first + count) of PV @pv_index (in range); false when one was set already. */
bool vg_extent_bitmap_claim(struct vg_extent_bitmap *bits, size_t pv_index, uint64_t first, uint64_t count);

/*
 * Structural validation, as lvm2 does on import and more: names, ids,
 * extent size, segments sorted and contiguous from 0, stripes in bounds of
 * their PV, no physical extent used twice, segment_count consistency.
 * Returns 0 or -EBADMSG naming the LV/segment/PV at fault.
 */
int vg_validate(const struct vg *vg, struct vg_error *err);
/*
 * vg_validate(@vg) for a VG made from @old, which passed vg_validate() and
 * was not changed since: the same verdict and message, but only the LVs
 * @vg does not share with @old (struct vg_lv's `frozen` objects) are
 * checked whole, each against every other LV. For a change of a few LVs
 * in a large VG; anything else (another PV list, many changed LVs, a
 * fault to name) takes the whole check.
 */
int vg_validate_change(const struct vg *old, const struct vg *vg, struct vg_error *err);

/* LV names: vg_name_check's rules plus lvm2's reserved names and substrings. */
int lv_name_check(const char *name, struct vg_error *err);

/*
 * Name rules of lvm2 for VG and LV names: 1..127 of [A-Za-z0-9+_.-], no leading '-', not "." or "..".
 * @what ("VG", "LV") starts the message. Returns 0 or -EINVAL.
 */
int vg_name_check(const char *what, const char *name, struct vg_error *err);
