/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The combined view vgrescue's layout-aware verbs (scan, layout, map,
 * extract, history, restore, recipe) share: every device given, its md
 * superblock and PV label; the mirrors the legs form (grouped by array
 * uuid, fresh and stale legs told apart); every metadata text copy still
 * readable (committed slots, older copies in the ring buffers, backup and
 * archive files); and per VG the best copy, parsed and validated, with each
 * of its PVs tied to where it lives now — a plain device, or a mirror whose
 * fresh legs each hold the PV from sector 0.
 *
 * Built once per run, read-only on the devices unless the caller asks for
 * writable opens (restore --write). Nothing here prints: problems are
 * recorded with the device, offset or metadata line, and the verbs show
 * them.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "blockdev.h"
#include "error.h"
#include "md-mirror.h"
#include "md-super.h"
#include "mda.h"
#include "pv-label.h"
#include "vg.h"

/* Metadata texts larger than this in backup files are refused (a default mda holds 521472 bytes). */
#define RESCUE_MAX_FILE_TEXT_BYTES (16u << 20)

struct rescue_device {
	char *path;
	struct blockdev *dev; /* NULL when it could not be opened */
	struct vg_error open_error;
	bool has_md;        /* a valid md superblock */
	struct md_super sb;
	ssize_t mirror;     /* index into model->mirrors; -1 when not a usable leg */
	bool has_label;
	struct pv_label label;
	struct vg_error label_error; /* a damaged label, when no valid one */
	/* Per metadata area: whether its header decoded, and why not. */
	bool mda_valid[2];
	struct mda_header mda_header[2];
	struct vg_error mda_error[2];
};

struct rescue_mirror {
	char uuid_text[36];
	struct md_mirror_view *view;
	ssize_t *leg_device; /* per view->legs entry: index into model->devices, -1 when missing */
};

enum rescue_copy_source {
	RESCUE_COPY_MDA,     /* found in a metadata area's ring buffer */
	RESCUE_COPY_BACKUP,  /* a backup file (backup/<vg>) */
	RESCUE_COPY_ARCHIVE, /* an archive file (archive/<vg>_*.vg) or another file given */
};

/* One metadata text copy found somewhere. */
struct rescue_copy {
	enum rescue_copy_source source;
	ssize_t device;      /* MDA: index into model->devices; else -1 */
	uint64_t mda_start_bytes;
	uint64_t offset_bytes; /* relative to the area start */
	uint64_t size_bytes;
	uint32_t checksum;
	bool wrapped, committed, precommitted;
	char *file; /* BACKUP/ARCHIVE: the path */
	char vg_name[MDA_VG_NAME_MAX + 1];
	char vg_id[LVM_UUID_LEN + 1]; /* without dashes */
	uint64_t seqno;
	char *text;
	size_t text_len;
	/* Filled by rescue_copy_parse(). */
	bool parsed;
	int parse_result;
	struct vg_error parse_error;
	struct vg *vg;
};

/* Where one PV of a VG lives among the devices given. */
struct rescue_home {
	bool found;
	ssize_t device; /* a plain device holding it; -1 for a mirror or when missing */
	ssize_t mirror; /* a mirror whose legs hold it; -1 otherwise */
	uint64_t size_bytes; /* the device size, or the mirror's array size */
	size_t readers[8];   /* devices to read it from: fresh legs first (source first), or the device */
	size_t n_readers;
	bool stale_only;     /* a mirror with no fresh leg present: read from a stale one */
	int problem;         /* -ENOENT missing, -EEXIST on several unrelated devices, -ENXIO beyond the device */
	struct vg_error problem_error;
};

struct rescue_vg {
	char vg_id[LVM_UUID_LEN + 1];
	char name[MDA_VG_NAME_MAX + 1];
	ssize_t best;        /* index into model->copies; -1 when no copy parses */
	bool best_committed; /* from a committed slot (else: an older ring copy or a file) */
	uint64_t max_seqno;  /* the highest seqno seen anywhere for this VG */
	int result;          /* 0, or why the VG cannot be used (best copy fails parse/validation) */
	struct vg_error error;
	struct vg *vg;       /* borrowed from copies[best] */
	struct rescue_home *homes; /* one per vg->pvs */
	size_t n_missing;
};

struct rescue_model {
	struct rescue_device *devices;
	size_t n_devices;
	struct rescue_mirror *mirrors;
	size_t n_mirrors;
	struct rescue_copy *copies;
	size_t n_copies;
	struct rescue_vg *vgs;
	size_t n_vgs;
};

struct rescue_model_options {
	const char *backup_dir; /* NULL, or a state dir (backup/, archive/) or a dir of backup files */
	bool writable;          /* open the devices read-write and exclusively (restore --write) */
};

/*
 * Open @paths and build the model. Devices that cannot be opened are kept
 * with open_error set. Returns 0 (problems are recorded, not fatal), or
 * -ENOMEM.
 */
int rescue_model_build(char *const *paths, size_t n_paths, const struct rescue_model_options *opts,
		       struct rescue_model **ret_model, struct vg_error *err);
struct rescue_model *rescue_model_free(struct rescue_model *model);
DEFINE_CLEANUP_FUNC(struct rescue_model, rescue_model_free)

/*
 * vg_validate, and LVs whose segments stand on other LVs (mirror, raid,
 * thin...) must not loop back to themselves. Returns 0 or -EBADMSG naming
 * the LV.
 */
int rescue_vg_validate(const struct vg *vg, struct vg_error *err);

/* Parse (once) and validate a copy (rescue_vg_validate); returns parse_result. */
int rescue_copy_parse(struct rescue_copy *copy);
/* "dev /x offset 4608 (area at 4096)" or "file /y": where a copy is. */
void rescue_copy_where(const struct rescue_model *model, const struct rescue_copy *copy, char *buf,
		       size_t len);

/* The VG called @name (or NULL for the only one); NULL when absent. */
struct rescue_vg *rescue_model_find_vg(struct rescue_model *model, const char *name);

/*
 * Tie every PV of @vg to where it lives on the model's devices, checking
 * sizes (pe_start + pe_count extents inside the device or array). Fills
 * rvg->homes; rvg->n_missing counts PVs no device holds.
 */
int rescue_model_place(struct rescue_model *model, struct rescue_vg *rvg, const struct vg *vg,
		       struct rescue_home **ret_homes, size_t *ret_n_missing, struct vg_error *err);

/* The display name of a mirror: its md name ("md0") from set_name, else its uuid. */
const char *rescue_mirror_name(const struct rescue_mirror *mirror);

/* One piece of an LV: a byte range of the LV held contiguously on one PV. */
struct rescue_piece {
	size_t segment;        /* 0-based */
	uint32_t stripe;       /* stripe index within the segment */
	uint64_t lv_offset_bytes;
	uint64_t length_bytes;
	size_t pv_index;
	uint64_t pv_offset_bytes; /* from the start of the PV (device or array) */
};

/*
 * Parse "VG/LV" (also "/dev/VG/LV"). Returns 0 and the two parts written
 * into the buffers; -EINVAL otherwise.
 */
int rescue_parse_lv_path(const char *arg, char vg_name[MDA_VG_NAME_MAX + 1], char lv_name[128],
			 struct vg_error *err);

/*
 * Check every striped segment of @lv against the homes of its PVs: each
 * stripe's byte range must lie inside the device or array that holds it
 * and the PV must be present. Returns 0; -ENOENT for a missing PV,
 * -ENXIO for a range beyond the device, -EBADMSG for geometry that does not
 * add up (non-striped segment types, stripe sizes), naming LV, segment,
 * device and offsets.
 */
int rescue_lv_check(const struct vg *vg, const struct vg_lv *lv, const struct rescue_home *homes,
		    struct vg_error *err);

/* Byte offset on the PV of physical extent @pe: pe_start*512 + pe*extent_size*512 (no overflow: checked). */
int rescue_pe_offset(const struct vg *vg, const struct vg_pv *pv, uint64_t pe, uint64_t *ret_bytes,
		     struct vg_error *err);

/* Open the model for one LV: find the VG, check it is usable, place its PVs, find the LV, check it. */
int rescue_model_lv(struct rescue_model *model, const char *vg_lv, struct rescue_vg **ret_rvg,
		    struct vg_lv **ret_lv, struct vg_error *err);
