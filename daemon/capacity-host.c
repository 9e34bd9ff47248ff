/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* capacity.plan and capacity.apply: the planner's model of the host, the plan as JSON, and its job (see capacity-host.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "capacity-host.h"
#include "log.h"
#include "md-mirror.h"
#include "server.h"

DEFINE_CLEANUP_FUNC(struct json_object, json_object_put)

/* Where extents start on a device that is a PV in no VG: lvm2's default data alignment. */
#define ORPHAN_PE_START_BYTES (UINT64_C(1) << 20)

void cap_host_model_done(struct cap_host_model *m)
{
	free(m->mirrors);
	free(m->pvs);
	free(m->vgs);
	*m = (struct cap_host_model){ 0 };
}

/* The VG @pv_id belongs to and its index there, or NULL. */
static const struct vg *vg_with_pv(const struct host *host, const char *pv_id, size_t *ret_index)
{
	for (size_t v = 0; v < host->n_vgs; v++) {
		const struct vg *vg = host->vgs[v]->store->vg;
		ssize_t p = vg_find_pv_by_id(vg, pv_id);

		if (p >= 0) {
			*ret_index = (size_t)p;
			return vg;
		}
	}
	return NULL;
}

/* A PV's extent bytes and used bytes: in its VG, or (in no VG) what the device leaves after the label. */
static const char *pv_sizes(const struct host *host, const struct host_device *device, uint64_t device_bytes,
			    uint64_t *ret_size, uint64_t *ret_used)
{
	size_t p = 0;
	const struct vg *vg = vg_with_pv(host, device->label.pv_uuid, &p);

	if (!vg) {
		*ret_size = device_bytes > ORPHAN_PE_START_BYTES ? device_bytes - ORPHAN_PE_START_BYTES : 0;
		*ret_used = 0;
		return NULL;
	}
	*ret_size = vg->pvs[p]->pe_count * vg->extent_size_sectors * 512;
	*ret_used = vg_pv_used_extents(vg, p) * vg->extent_size_sectors * 512;
	return vg->name;
}

static bool pv_is_mirror(const struct host *host, const char *pv_id)
{
	for (size_t i = 0; i < host->n_devices; i++)
		if (host->devices[i]->is_mirror && host->devices[i]->is_pv &&
		    streq(host->devices[i]->label.pv_uuid, pv_id))
			return true;
	return false;
}

int cap_host_model_build(struct host *host, struct json_object *redundancy, struct cap_host_model *ret,
			 struct vg_error *err)
{
	struct cap_host_model m = { 0 };

	m.mirrors = calloc(host->n_devices + 1, sizeof(*m.mirrors));
	m.pvs = calloc(host->n_devices + 1, sizeof(*m.pvs));
	m.vgs = calloc(host->n_vgs + 1, sizeof(*m.vgs));
	if (!m.mirrors || !m.pvs || !m.vgs) {
		cap_host_model_done(&m);
		return vg_error_set(err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < host->n_devices; i++) {
		const struct host_device *d = host->devices[i];
		uint64_t size, used;

		/* only PVs: a device holding anything else is not ours to give to a group */
		if (!d->is_pv || d->is_md_leg || !d->dev)
			continue;
		if (d->is_mirror) {
			struct cap_mirror *cm = &m.mirrors[m.model.n_mirrors++];

			cm->name = d->path;
			cm->vg = pv_sizes(host, d, d->view ? d->view->size_sectors * 512 : d->dev->size_bytes, &size, &used);
			cm->leg_bytes[0] = cm->leg_bytes[1] = size;
			cm->used_bytes = used;
		} else {
			struct cap_pv *cp = &m.pvs[m.model.n_pvs++];

			cp->name = d->path;
			cp->vg = pv_sizes(host, d, d->dev->size_bytes, &cp->size_bytes, &cp->used_bytes);
		}
	}
	for (size_t v = 0; v < host->n_vgs; v++) {
		const struct vg *vg = host->vgs[v]->store->vg;
		struct cap_vg *cv = &m.vgs[m.model.n_vgs++];
		bool all_mirrors = vg->n_pvs > 0;

		for (size_t p = 0; p < vg->n_pvs; p++)
			all_mirrors = all_mirrors && pv_is_mirror(host, vg->pvs[p]->id);
		cv->name = vg->name;
		cv->free_bytes = vg_free_extents(vg, NULL) * vg->extent_size_sectors * 512;
		cv->requires_redundancy = all_mirrors;
	}
	if (redundancy) {
		json_object_object_foreach(redundancy, name, value) {
			struct cap_vg *cv = NULL;

			for (size_t v = 0; v < m.model.n_vgs && !cv; v++)
				if (streq(m.vgs[v].name, name))
					cv = &m.vgs[v];
			if (!cv || !json_object_is_type(value, json_type_boolean)) {
				cap_host_model_done(&m);
				return vg_error_set(err, -EINVAL,
						    cv ? "requires_redundancy of %s must be true or false"
						       : "requires_redundancy names %s, which is not a VG here",
						    name);
			}
			cv->requires_redundancy = json_object_get_boolean(value);
		}
	}
	m.model.mirrors = m.mirrors;
	m.model.pvs = m.pvs;
	m.model.vgs = m.vgs;
	*ret = m;
	return 0;
}

static struct json_object *string_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

struct json_object *cap_plan_json(const struct cap_plan *plan)
{
	struct json_object *obj = json_object_new_object(), *steps = json_object_new_array(),
			   *groups = json_object_new_array();

	json_object_object_add(obj, "possible", json_object_new_boolean(plan->possible));
	if (!plan->possible)
		json_object_object_add(obj, "reason", json_object_new_string(plan->reason));
	json_object_object_add(obj, "bytes_copied", json_object_new_uint64(plan->bytes_copied));
	for (size_t i = 0; i < plan->n_steps; i++) {
		const struct cap_step *st = &plan->steps[i];
		struct json_object *js = json_object_new_object();

		json_object_object_add(js, "kind", json_object_new_string(cap_step_kind_name(st->kind)));
		json_object_object_add(js, "device", json_object_new_string(st->device));
		json_object_object_add(js, "is_mirror", json_object_new_boolean(st->is_mirror));
		json_object_object_add(js, "from_vg", string_or_null(st->from_vg));
		json_object_object_add(js, "to_vg", string_or_null(st->to_vg));
		if (st->kind == CAP_STEP_DISSOLVE)
			json_object_object_add(js, "leg0_vg", string_or_null(st->leg0_vg));
		json_object_object_add(js, "bytes_copied", json_object_new_uint64(st->bytes_copied));
		json_object_object_add(js, "bytes_gained", json_object_new_uint64(st->bytes_gained));
		json_object_array_add(steps, js);
	}
	for (size_t i = 0; i < plan->n_groups; i++) {
		const struct cap_group *g = &plan->groups[i];
		struct json_object *jg = json_object_new_object();

		json_object_object_add(jg, "vg", json_object_new_string(g->vg));
		json_object_object_add(jg, "free_before", json_object_new_uint64(g->free_before));
		json_object_object_add(jg, "free_after", json_object_new_uint64(g->free_after));
		json_object_object_add(jg, "requires_redundancy", json_object_new_boolean(g->requires_redundancy));
		json_object_object_add(jg, "redundant_before", json_object_new_boolean(g->redundant_before));
		json_object_object_add(jg, "redundant_after", json_object_new_boolean(g->redundant_after));
		json_object_array_add(groups, jg);
	}
	json_object_object_add(obj, "steps", steps);
	json_object_object_add(obj, "groups", groups);
	return obj;
}

/* ---- capacity.apply: the steps as one job ---- */

enum apply_phase {
	PHASE_CHECK,       /* the device is where the plan found it? */
	PHASE_EVACUATE,    /* start pv.evacuate */
	PHASE_WAIT,        /* until that job ends */
	PHASE_DISSOLVE,    /* mirror.dissolve */
	PHASE_JOIN,        /* vg.move_pv / vg.extend into the receiving VG */
};

struct apply_step {
	enum cap_step_kind kind;
	char *device;
	bool is_mirror;
	char *from_vg; /* NULL: in no VG */
	char *to_vg;
	char *leg0_vg; /* dissolve: where leg 0 ends up */
	uint64_t bytes_copied;
};

struct apply_job {
	struct server *server;
	struct apply_step *steps;
	size_t n_steps;
	size_t current;
	enum apply_phase phase;
	uint64_t waiting_job;     /* the evacuation's job */
	uint64_t done_bytes;      /* of the steps finished */
	bool evacuated;           /* the current step's device left its VG */
};

static void apply_job_free(void *data)
{
	struct apply_job *aj = data;

	if (!aj)
		return;
	for (size_t i = 0; i < aj->n_steps; i++) {
		free(aj->steps[i].device);
		free(aj->steps[i].from_vg);
		free(aj->steps[i].to_vg);
		free(aj->steps[i].leg0_vg);
	}
	free(aj->steps);
	free(aj);
}

static int reason_errno(const char *reason)
{
	for (int code = 1; code < 134; code++)
		if (reason && streq(vg_errno_name(-code), reason))
			return -code;
	return -EIO;
}

/*
 * Call @method of the daemon with @params (taken) as a client with write
 * rights would. Returns 0 and the result (a reference the caller drops), or
 * the error's errno with its message in @err.
 */
static int call(struct apply_job *aj, const char *method, struct json_object *params, struct json_object **ret_result,
		struct vg_error *err)
{
	_cleanup_(json_object_putp) struct json_object *request = json_object_new_object();
	_cleanup_(json_object_putp) struct json_object *reply = NULL;
	struct json_object *error, *result;
	const char *line;
	char *out, *nl;

	json_object_object_add(request, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(request, "id", json_object_new_int(1));
	json_object_object_add(request, "method", json_object_new_string(method));
	json_object_object_add(request, "params", params);
	line = json_object_to_json_string_ext(request, JSON_C_TO_STRING_PLAIN);
	out = server_dispatch_line(aj->server, line, strlen(line), true);
	if (!out)
		return vg_error_set(err, -ENOMEM, "out of memory");
	nl = strchr(out, '\n');
	if (nl)
		*nl = '\0';
	reply = json_tokener_parse(out);
	free(out);
	if (!reply)
		return vg_error_set(err, -EIO, "%s gave no reply", method);
	if (json_object_object_get_ex(reply, "error", &error)) {
		struct json_object *message = NULL, *data = NULL, *reason = NULL;

		json_object_object_get_ex(error, "message", &message);
		if (json_object_object_get_ex(error, "data", &data))
			json_object_object_get_ex(data, "reason", &reason);
		return vg_error_set(err, reason_errno(reason ? json_object_get_string(reason) : NULL), "%s: %s", method,
				    message ? json_object_get_string(message) : "failed");
	}
	if (!json_object_object_get_ex(reply, "result", &result))
		return vg_error_set(err, -EIO, "%s gave no result", method);
	*ret_result = json_object_get(result);
	return 0;
}

/* The VG @device is a PV of now (NULL: none), and whether it is a PV at all. */
static const char *device_vg(struct host *host, const char *device, bool *ret_is_pv)
{
	struct host_device *d = host_find_device(host, device);
	size_t p;
	const struct vg *vg;

	*ret_is_pv = d && d->is_pv;
	if (!d || !d->is_pv)
		return NULL;
	vg = vg_with_pv(host, d->label.pv_uuid, &p);
	return vg ? vg->name : NULL;
}

static int check_step(struct host *host, const struct apply_step *st, struct vg_error *err)
{
	bool is_pv;
	const char *vg = device_vg(host, st->device, &is_pv);

	if (!is_pv)
		return vg_error_set(err, -ENOENT, "%s is no longer a PV here", st->device);
	if (st->is_mirror && !host_find_mirror(host, st->device))
		return vg_error_set(err, -ENOENT, "%s is no longer a mirror", st->device);
	if (!(vg == st->from_vg || (vg && st->from_vg && streq(vg, st->from_vg))))
		return vg_error_set(err, -ESTALE, "%s is in %s now, not in %s as the plan found it", st->device,
				    vg ? "VG " : "no VG", vg ? vg : "");
	if (!host_find_vg(host, st->to_vg))
		return vg_error_set(err, -ENOENT, "there is no VG called %s any more", st->to_vg);
	return 0;
}

static struct json_object *strings_json(const char *const *list, size_t n)
{
	struct json_object *array = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(array, json_object_new_string(list[i]));
	return array;
}

static int extend(struct apply_job *aj, const char *vg, const char *const *devices, size_t n, struct vg_error *err)
{
	struct json_object *params = json_object_new_object(), *result = NULL;
	int r;

	json_object_object_add(params, "name", json_object_new_string(vg));
	json_object_object_add(params, "pvs", strings_json(devices, n));
	r = call(aj, "vg.extend", params, &result, err);
	json_object_put(result);
	return r;
}

/* A step's device joins its receiving VG: moved between VGs, or added from no VG. */
static int join(struct apply_job *aj, const struct apply_step *st, struct vg_error *err)
{
	struct json_object *params, *result = NULL;
	int r;

	if (!st->from_vg || aj->evacuated)
		return extend(aj, st->to_vg, (const char *const[]){ st->device }, 1, err);
	params = json_object_new_object();
	json_object_object_add(params, "pv", json_object_new_string(st->device));
	json_object_object_add(params, "from", json_object_new_string(st->from_vg));
	json_object_object_add(params, "to", json_object_new_string(st->to_vg));
	r = call(aj, "vg.move_pv", params, &result, err);
	json_object_put(result);
	return r;
}

/*
 * The mirror is gone: its legs are plain devices. The leg that kept the PV
 * label stays in its VG (dissolved in place) or joins leg0_vg; the blank
 * ones join to_vg.
 */
static int join_legs(struct apply_job *aj, struct host *host, const struct apply_step *st, struct json_object *legs,
		     struct vg_error *err)
{
	size_t n = json_object_array_length(legs), n_blank = 0;
	_cleanup_free_ const char **blank = calloc(n + 1, sizeof(*blank));
	int r;

	if (!blank)
		return vg_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const char *leg = json_object_get_string(json_object_array_get_idx(legs, i));
		bool is_pv;
		const char *vg = device_vg(host, leg, &is_pv);

		if (!is_pv) {
			blank[n_blank++] = leg;
		} else if (!vg && st->leg0_vg) {
			r = extend(aj, st->leg0_vg, (const char *const[]){ leg }, 1, err);
			if (r < 0)
				return r;
		}
	}
	return n_blank ? extend(aj, st->to_vg, blank, n_blank, err) : 0;
}

static int dissolve(struct apply_job *aj, struct host *host, const struct apply_step *st, struct vg_error *err)
{
	struct json_object *params = json_object_new_object(), *legs;
	_cleanup_(json_object_putp) struct json_object *result = NULL;
	int r;

	json_object_object_add(params, "name", json_object_new_string(st->device));
	r = call(aj, "mirror.dissolve", params, &result, err);
	if (r < 0)
		return r;
	if (!json_object_object_get_ex(result, "devices", &legs) || !json_object_is_type(legs, json_type_array))
		return vg_error_set(err, -EIO, "mirror.dissolve did not say which devices the legs are");
	return join_legs(aj, host, st, legs, err);
}

static int start_evacuation(struct apply_job *aj, const struct apply_step *st, struct vg_error *err)
{
	struct json_object *params = json_object_new_object(), *job, *id;
	_cleanup_(json_object_putp) struct json_object *result = NULL;
	int r;

	json_object_object_add(params, "pv", json_object_new_string(st->device));
	r = call(aj, "pv.evacuate", params, &result, err);
	if (r < 0)
		return r;
	if (!json_object_object_get_ex(result, "job", &job) || !json_object_object_get_ex(job, "id", &id))
		return vg_error_set(err, -EIO, "pv.evacuate did not answer its job");
	aj->waiting_job = (uint64_t)json_object_get_uint64(id);
	return 0;
}

/* 1 when the evacuation ended well, 0 while it runs, or its error. */
static int evacuation_done(struct job *job, struct apply_job *aj, struct vg_error *err)
{
	struct job *evac = jobs_find(job->jobs, aj->waiting_job);

	if (!evac)
		return vg_error_set(err, -ENOENT, "the evacuation (job %" PRIu64 ") is gone", aj->waiting_job);
	job_set_progress(job, aj->done_bytes + evac->done_bytes, job->total_bytes);
	switch (evac->state) {
	case JOB_RUNNING:
		/* the evacuation's own steps do the work: look again in a while */
		job->wake_ms = job_clock_ms() + 100;
		return 0;
	case JOB_DONE:
		return 1;
	case JOB_CANCELLED:
		return vg_error_set(err, -ECANCELED, "the evacuation (job %" PRIu64 ") was cancelled", aj->waiting_job);
	default:
		return vg_error_set(err, evac->error ? evac->error : -EIO, "the evacuation (job %" PRIu64 ") failed: %s",
				    aj->waiting_job, evac->message);
	}
}

static int apply_step(struct job *job, struct host *host, uint64_t budget_bytes, uint64_t deadline_ms,
		      struct vg_error *err)
{
	struct apply_job *aj = job->data;
	struct apply_step *st;
	int r = 0;

	if (aj->current >= aj->n_steps)
		return JOB_STEP_DONE;
	st = &aj->steps[aj->current];
	switch (aj->phase) {
	case PHASE_CHECK:
		r = check_step(host, st, err);
		aj->evacuated = false;
		if (r < 0)
			break;
		if (st->kind == CAP_STEP_EVACUATE_MOVE ||
		    (st->kind == CAP_STEP_DISSOLVE && st->from_vg && !(st->leg0_vg && streq(st->leg0_vg, st->from_vg))))
			aj->phase = PHASE_EVACUATE;
		else
			aj->phase = st->kind == CAP_STEP_DISSOLVE ? PHASE_DISSOLVE : PHASE_JOIN;
		return JOB_STEP_MORE;
	case PHASE_EVACUATE:
		r = start_evacuation(aj, st, err);
		if (r == 0)
			aj->phase = PHASE_WAIT;
		break;
	case PHASE_WAIT:
		r = evacuation_done(job, aj, err);
		if (r == 1) {
			aj->evacuated = true;
			aj->phase = st->kind == CAP_STEP_DISSOLVE ? PHASE_DISSOLVE : PHASE_JOIN;
			r = 0;
		}
		return r < 0 ? r : JOB_STEP_MORE;
	case PHASE_DISSOLVE:
	case PHASE_JOIN:
		r = aj->phase == PHASE_DISSOLVE ? dissolve(aj, host, st, err) : join(aj, st, err);
		if (r < 0)
			break;
		vg_log(LOG_INFO, "capacity.apply: step %zu of %zu done (%s %s)", aj->current + 1, aj->n_steps,
		       cap_step_kind_name(st->kind), st->device);
		aj->done_bytes += st->bytes_copied;
		aj->current++;
		aj->phase = PHASE_CHECK;
		job_set_progress(job, aj->done_bytes, job->total_bytes);
		break;
	}
	if (r < 0)
		return vg_error_prefix(err, r, "step %zu of %zu (%s %s): ", aj->current + 1, aj->n_steps,
				       cap_step_kind_name(st->kind), st->device);
	(void)budget_bytes;
	(void)deadline_ms;
	return aj->current >= aj->n_steps ? JOB_STEP_DONE : JOB_STEP_MORE;
}

static const struct job_ops apply_job_ops = {
	.step = apply_step,
	/* an evacuation under way is a job of its own, cancelled on its own; the steps done stay done */
	.stop = NULL,
	.free_data = apply_job_free,
};

static char *strdup_or_null(const char *s, bool *failed)
{
	char *copy = s ? strdup(s) : NULL;

	if (s && !copy)
		*failed = true;
	return copy;
}

int job_capacity_apply_start(struct jobs *jobs, struct server *server, const char *kind, const char *target,
			     const struct cap_plan *plan, struct job **ret_job, struct vg_error *err)
{
	struct apply_job *aj = calloc(1, sizeof(*aj));
	bool failed = !aj;
	int r;

	if (aj) {
		aj->server = server;
		aj->steps = calloc(plan->n_steps + 1, sizeof(*aj->steps));
		failed = !aj->steps;
	}
	for (size_t i = 0; !failed && i < plan->n_steps; i++) {
		const struct cap_step *src = &plan->steps[i];
		struct apply_step *st = &aj->steps[aj->n_steps++];

		st->kind = src->kind;
		st->is_mirror = src->is_mirror;
		st->bytes_copied = src->bytes_copied;
		st->device = strdup_or_null(src->device, &failed);
		st->from_vg = strdup_or_null(src->from_vg, &failed);
		st->to_vg = strdup_or_null(src->to_vg, &failed);
		st->leg0_vg = strdup_or_null(src->leg0_vg, &failed);
	}
	if (failed) {
		apply_job_free(aj);
		return vg_error_set(err, -ENOMEM, "out of memory");
	}
	r = jobs_start(jobs, &apply_job_ops, kind, target, plan->bytes_copied, aj, ret_job);
	if (r < 0)
		return vg_error_set(err, r, "out of memory");
	return 0;
}
