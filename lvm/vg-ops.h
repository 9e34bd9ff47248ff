/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Operations on volume groups as pure functions: the old model plus a
 * request gives a new model (a fresh copy, which may share the LV objects
 * it did not change with the input as vg.h describes; the input reads the
 * same as before) or a precise error. Nothing here does I/O: committing the result is
 * vg-write.c's job, so a refusal can never leave a disk half written.
 *
 * The seqno is not changed here; the commit increments it.
 */
#pragma once

#include <stdint.h>

#include "alloc.h"
#include "size.h"
#include "vg.h"

/* What a PV brings to a VG, from its label and its device. */
struct pv_join {
	const char *id;              /* 32 characters, no dashes */
	const char *device_hint;     /* path, informational */
	uint64_t dev_size_sectors;
	uint64_t pe_start_sectors;
	uint64_t data_end_sectors;   /* device end, or where a second metadata area starts */
};

#define VG_DEFAULT_EXTENT_SECTORS 8192 /* 4 MiB, as lvm2 */
#define LV_DEFAULT_STRIPE_SECTORS 128  /* 64 KiB, as lvm2 */

/* A new VG on @pvs. @vg_id NULL: a random id. @extent_size_sectors 0: 4 MiB. */
int vg_op_create(const char *name, uint64_t extent_size_sectors, const struct pv_join *pvs, size_t n_pvs,
		 const char *vg_id, struct vg **ret_vg, struct vg_error *err);
int vg_op_extend(const struct vg *vg, const struct pv_join *pvs, size_t n_pvs, struct vg **ret_vg,
		 struct vg_error *err);
/* Take PVs out; each must be empty (no extent in use). */
int vg_op_reduce(const struct vg *vg, const char *const *pv_ids, size_t n_pv_ids, struct vg **ret_vg,
		 struct vg_error *err);
int vg_op_rename(const struct vg *vg, const char *new_name, struct vg **ret_vg, struct vg_error *err);

/*
 * Move PVs, with the LVs wholly on them, from @from into @into (an existing
 * VG) or into a new VG called @new_name (when @into is NULL). Refuses with
 * -EBUSY, naming them, when LVs straddle moved and kept PVs; -EINVAL when
 * the extent sizes differ or names would collide.
 */
int vg_op_split(const struct vg *from, const char *const *pv_ids, size_t n_pv_ids, const struct vg *into,
		const char *new_name, struct vg **ret_from, struct vg **ret_into, struct vg_error *err);
/* Everything of @from joins @into; @from ceases to exist. */
int vg_op_merge(const struct vg *into, const struct vg *from, struct vg **ret_vg, struct vg_error *err);

int vg_op_tag(const struct vg *vg, const char *const *add, size_t n_add, const char *const *del, size_t n_del,
	      struct vg **ret_vg, struct vg_error *err);

/* Sizes in requests: a size spec, or an exact extent count when extents != 0. */
struct lv_size {
	struct size_spec spec;
	uint64_t extents;
	enum size_sign extents_sign;
};

struct lv_create_request {
	const char *name;
	struct lv_size size;
	uint32_t stripes;               /* 0 or 1: linear */
	uint64_t stripe_size_sectors;   /* 0: 64 KiB */
	enum alloc_policy policy;
	const char *const *pv_ids;      /* allocate only on these PVs; NULL: anywhere in the VG */
	size_t n_pv_ids;
	const char *const *tags;
	size_t n_tags;
	const char *lv_id;              /* NULL: a random id */
	int64_t creation_time;
	const char *creation_host;
};
int lv_op_create(const struct vg *vg, const struct lv_create_request *req, struct vg **ret_vg,
		 struct vg_error *err);

struct lv_resize_request {
	const char *name;
	struct lv_size size;   /* absolute, +N or -N */
	bool allow_reduce;     /* shrinking destroys data: an explicit yes is required */
	enum alloc_policy policy;
	const char *const *pv_ids;
	size_t n_pv_ids;
};
int lv_op_resize(const struct vg *vg, const struct lv_resize_request *req, struct vg **ret_vg,
		 struct vg_error *err);
int lv_op_rename(const struct vg *vg, const char *name, const char *new_name, struct vg **ret_vg,
		 struct vg_error *err);
int lv_op_remove(const struct vg *vg, const char *name, struct vg **ret_vg, struct vg_error *err);
int lv_op_tag(const struct vg *vg, const char *name, const char *const *add, size_t n_add,
	      const char *const *del, size_t n_del, struct vg **ret_vg, struct vg_error *err);

/* Extents a size resolves to for @vg (rounded up to whole extents, down for percentages). */
int lv_size_to_extents(const struct vg *vg, const struct lv_size *size, uint64_t current_extents,
		       const bool *allowed_pvs, uint64_t *ret_extents, struct vg_error *err);
