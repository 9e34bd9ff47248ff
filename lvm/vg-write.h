/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Writing LVM2 metadata: making a device a PV (label and metadata areas laid
 * out as pvcreate does) and committing a VG's text to every metadata area of
 * its PVs in two phases, so that a crash at any point leaves either the old
 * or the new VG readable (FORMATS.md 2.4).
 *
 * Crash model: a single 512-byte sector write is atomic (as on real disks);
 * anything larger may land partially.
 */
#pragma once

#include <stdint.h>

#include "blockdev.h"
#include "pv-label.h"
#include "vg-text.h"
#include "vg.h"

#define PV_DEFAULT_DATA_ALIGNMENT_BYTES 1048576

struct pv_create_params {
	const char *pv_uuid;            /* NULL: a new random id */
	uint64_t mda_size_bytes;        /* 0: lvm2's default (the first area ends at 1 MiB) */
	unsigned mda_copies;            /* 0 or 1: one area at 4 KiB (as lvm2); 2: another at the end */
	uint64_t data_alignment_bytes;  /* 0: 1 MiB */
};

/*
 * Lay out a fresh, orphan PV on @dev: wipe labels in sectors 0-3, initialise
 * the metadata areas, write the label, flush. Returns 0 and the label
 * written; -ENOSPC when the device is too small for the areas and one extent
 * of data; -EINVAL for bad parameters.
 */
int pv_create(struct blockdev *dev, const struct pv_create_params *params, struct pv_label *ret_label,
	      struct vg_error *err);

/* First byte of data (pe_start) and the byte where data must end (start of a second area, or the device end). */
uint64_t pv_data_start_bytes(const struct pv_label *label);
uint64_t pv_data_end_bytes(const struct pv_label *label, uint64_t device_size_bytes);

/* One PV device of a VG being committed. */
struct vg_commit_target {
	struct blockdev *dev;
	struct pv_label label; /* as on disk; the in-use flag is set by the commit */
};

/*
 * Commit @vg to every metadata area of @targets: render the text once, write
 * it into each ring buffer and every header with the new copy as
 * precommitted, flush all PVs at once; switch every header to it as
 * committed, flush all PVs at once. Then mark the PVs in use in their labels
 * where needed.
 *
 * Returns 0, or a negative errno with @err naming the device and step. On
 * failure before the switch, every area still shows the old VG; during the
 * switch, some show the new one and a scan picks it (highest seqno).
 */
int vg_commit(const struct vg *vg, const struct vg_text_header *header, struct vg_commit_target *targets,
	      size_t n_targets, struct vg_error *err);
/* vg_commit() rendering through @cache (see vg_text_render_raw_cached). */
int vg_commit_cached(const struct vg *vg, const struct vg_text_header *header, struct vg_text_cache *cache,
		     struct vg_commit_target *targets, size_t n_targets, struct vg_error *err);
