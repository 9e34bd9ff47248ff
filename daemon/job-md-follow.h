/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * With the kernel backend md rebuilds an added leg and resyncs a new mirror
 * itself; these jobs follow that work so clients see it as they see the
 * `none` backend's copies: progress from /sys/block/mdX/md/sync_completed
 * (polled twice a second, the loop sleeping in between), then
 * "mirror.recovered" (or "mirror.resynced") when md is done and no slot is
 * missing, or a failure when md stops with the mirror still degraded (the
 * new leg failed too). Cancelling one only stops following: md goes on,
 * and a daemon that starts follows whatever md is rebuilding.
 */
#pragma once

#include "host.h"
#include "job.h"

/*
 * Follow md's work on @mirror_name as a job of @kind ("mirror.add_leg",
 * "mirror.resync", ...). @retire_path: a leg md is replacing
 * (want_replacement); the job ends when md has marked it faulty, and takes
 * it out of the array (host_mirror_kernel_retire).
 */
int job_md_follow_start(struct jobs *jobs, struct host *host, const char *kind, const char *mirror_name,
			const char *retire_path, struct job **ret_job, struct vg_error *err);

/* At start: a job for every running array md is rebuilding or resyncing. Returns how many started. */
int job_md_follow_all(struct jobs *jobs, struct host *host);
