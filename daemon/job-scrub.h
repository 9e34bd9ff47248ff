/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Scrubbing a mirror as a job with the `none` backend: md's check (count
 * the sectors where a leg differs from the source leg) or repair (rewrite
 * them), done a budget at a time between requests while the mirror keeps
 * serving. A VG commit on the mirror writes every leg alike and never falls
 * inside a step, so it cannot make a false mismatch. When it ends, the job's
 * result and the "mirror.scrubbed" event carry {action, checked_sectors,
 * mismatch_cnt, repaired_sectors}.
 */
#pragma once

#include <stdbool.h>

#include "host.h"
#include "job.h"

int job_scrub_start(struct jobs *jobs, struct host *host, const char *mirror_name, bool repair, struct job **ret_job,
		    struct vg_error *err);

/* The result object of a scrub (also what the kernel backend's follow job reports). */
struct json_object *job_scrub_result_json(bool repair, uint64_t checked, uint64_t mismatches, uint64_t repaired);
