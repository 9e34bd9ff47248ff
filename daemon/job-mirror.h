/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Mirror jobs, done in steps while the mirror keeps serving as a PV: the
 * copy that brings a joining (recovering or replacement) leg in sync, and
 * the resync that makes a dirty mirror's legs equal (job_mirror_resync_start).
 *
 * Why the mirror stays correct meanwhile: the mirror's device writes to
 * every fresh leg holding a slot, the recovering one included, over its
 * whole size. Below the copy's position those writes keep the new leg
 * equal to the others; above it they land early and the copy, which reads
 * the in-sync leg, copies the same bytes again. A step copies whole chunks
 * between two requests (no thread), so no write falls between a chunk's
 * read and its write.
 *
 * Progress is recorded in the leg's own superblock (recovery_offset, as md
 * does) every second or 64 MiB, on cancel and at shutdown; events stay as
 * they are, so the mirror's generation does not move. The mirror's device
 * keeps the superblocks it last wrote, so a commit on the mirror may write
 * the recovery offset it was opened with over a later checkpoint: that only
 * makes a resumed copy start earlier, and the next checkpoint puts it right.
 * The last megabyte and the new generation (the leg in sync, a replaced leg
 * retired) are left to md_mirror_recover, after which the host is read
 * again so the mirror's device starts from the new superblocks.
 */
#pragma once

#include <stdint.h>

#include "error.h"
#include "host.h"
#include "job.h"

/*
 * Start a job of @kind ("mirror.add_leg", "mirror.replace_leg",
 * "mirror.recover") copying every recovering leg of @mirror_name. Once in
 * sync, the leg numbered @retire_dev_number (UINT32_MAX: none) is removed
 * if it is faulty then: a replaced leg that was no longer serving.
 */
int job_mirror_start(struct jobs *jobs, struct host *host, const char *kind, const char *mirror_name,
		     uint32_t retire_dev_number, struct job **ret_job, struct vg_error *err);

/*
 * Start a "mirror.resync" job making a dirty mirror's in-sync legs equal
 * from its resync_offset, as md does on a first start, then marking it
 * clean. Its position goes into every leg's resync_offset (mdadm shows
 * Resync Offset) every second and when it stops.
 */
int job_mirror_resync_start(struct jobs *jobs, struct host *host, const char *mirror_name, struct job **ret_job,
			    struct vg_error *err);

/* Whether @mirror is dirty, whole (not degraded) and has a leg to copy from. */
bool job_mirror_needs_resync(const struct host_device *mirror);

/* Whether @mirror has a present, fresh leg still being rebuilt. */
bool job_mirror_has_recovering_leg(const struct host_device *mirror);

/*
 * At start, with the `none` backend: a recovery job for every mirror a
 * previous run left with a recovering leg (a crash or a shutdown mid-copy),
 * else a resync job for every dirty one. Returns how many started.
 */
int job_mirror_resume_all(struct jobs *jobs, struct host *host);
