/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A mirror's scrub as a job (see job-scrub.h). */
#include <string.h>

#include "job-scrub.h"
#include "md-mirror.h"
#include "md-scrub.h"

struct scrub_job {
	bool repair;
	uint64_t offset; /* bytes of the array scrubbed so far */
	struct md_scrub_result counts;
};

struct json_object *job_scrub_result_json(bool repair, uint64_t checked, uint64_t mismatches, uint64_t repaired)
{
	struct json_object *result = json_object_new_object();

	json_object_object_add(result, "action", json_object_new_string(repair ? "repair" : "check"));
	json_object_object_add(result, "checked_sectors", json_object_new_uint64(checked));
	json_object_object_add(result, "mismatch_cnt", json_object_new_uint64(mismatches));
	json_object_object_add(result, "repaired_sectors", json_object_new_uint64(repaired));
	return result;
}

static int scrub_step(struct job *job, struct host *host, uint64_t budget_bytes, uint64_t deadline_ms,
		      struct vg_error *err)
{
	struct scrub_job *sj = job->data;
	struct host_device *mirror = host_find_mirror(host, job->target);
	uint64_t total;
	int r;

	if (!mirror || !mirror->view)
		return vg_error_set(err, -ENODEV, "mirror %s is gone", job->target);
	total = mirror->view->size_sectors * 512;
	/* whole chunks between requests: a VG commit on the mirror writes every leg alike, never inside one */
	while (sj->offset < total && budget_bytes > 0 && job_clock_ms() < deadline_ms) {
		uint64_t len = MIN(budget_bytes, total - sj->offset);

		r = md_mirror_scrub_range(mirror->view, sj->repair, sj->offset, len, &sj->counts, err);
		if (r < 0)
			return r;
		sj->offset += len;
		budget_bytes -= len;
	}
	job_set_progress(job, sj->offset, total);
	if (sj->offset < total)
		return JOB_STEP_MORE;
	if (sj->repair && (r = md_mirror_scrub_flush(mirror->view, err)) < 0)
		return r;
	job->result = job_scrub_result_json(sj->repair, sj->counts.checked_sectors, sj->counts.mismatched_sectors,
					    sj->counts.repaired_sectors);
	struct json_object *fields = job_scrub_result_json(sj->repair, sj->counts.checked_sectors,
							  sj->counts.mismatched_sectors, sj->counts.repaired_sectors);
	json_object_object_add(fields, "mirror", json_object_new_string(job->target));
	json_object_object_add(fields, "job", json_object_new_uint64(job->id));
	job_publish(job, "mirror.scrubbed", fields);
	return JOB_STEP_DONE;
}

static const struct job_ops scrub_ops = {
	.step = scrub_step,
	.stop = NULL, /* nothing is recorded: a scrub cancelled is started again from the beginning */
	.free_data = free,
};

int job_scrub_start(struct jobs *jobs, struct host *host, const char *mirror_name, bool repair, struct job **ret_job,
		    struct vg_error *err)
{
	struct host_device *mirror = host_find_mirror(host, mirror_name);
	struct scrub_job *sj;
	int r;

	if (!mirror || !mirror->view)
		return vg_error_set(err, -ENODEV, "there is no mirror called %s", mirror_name);
	if (md_mirror_view_source(mirror->view) < 0)
		return vg_error_set(err, -ENODEV, "mirror %s: no fresh in-sync leg to compare with", mirror_name);
	sj = calloc(1, sizeof(*sj));
	if (!sj)
		return vg_error_set(err, -ENOMEM, "out of memory");
	sj->repair = repair;
	r = jobs_start(jobs, &scrub_ops, "mirror.scrub", mirror_name, mirror->view->size_sectors * 512, sj, ret_job);
	if (r < 0)
		return vg_error_set(err, r, "out of memory");
	return 0;
}
