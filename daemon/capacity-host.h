/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The capacity planner (capacity-plan.h) on the host vgtoold manages:
 * capacity.plan builds the planner's model from the host and answers the
 * plan as JSON; capacity.apply runs a plan as one job.
 *
 * The model: every mirror (its legs' usable size, the VG using it as a PV
 * and the bytes its extents use there), every plain PV (its extent bytes,
 * its VG or none, its used bytes), every VG (free bytes; it requires
 * redundancy when all its PVs are mirrors, unless the caller says
 * otherwise). A device in no group is counted only when it is a mirror or
 * a PV already.
 *
 * The job runs the steps in order through the daemon's own methods, as a
 * client with write rights would call them, so each step gets every check
 * and refusal that method has: move an empty PV (vg.move_pv, or vg.extend
 * for a device in no group); evacuate then move (pv.evacuate, waited for,
 * then vg.extend of the receiving VG); dissolve a mirror (for another group:
 * pv.evacuate first; then mirror.dissolve, and vg.extend with the legs that
 * are in no VG then). Before each step the device must still be where the
 * plan found it. The first error stops the job: the steps before it stay
 * done, the failed one is left as its method leaves a refusal or error.
 */
#pragma once

#include <json-c/json.h>

#include "capacity-plan.h"
#include "host.h"
#include "job.h"

struct server;

#define JOB_CAPACITY_APPLY_KIND "capacity.apply"

/* The model of @host; strings borrowed from the host (valid until it changes). */
struct cap_host_model {
	struct cap_model model;
	struct cap_mirror *mirrors;
	struct cap_pv *pvs;
	struct cap_vg *vgs;
};

void cap_host_model_done(struct cap_host_model *m);

/*
 * Build the model. @redundancy: an object {VG: bool} overriding whether a
 * VG requires redundancy (NULL: the default rule). -EINVAL naming a VG in
 * @redundancy that does not exist.
 */
int cap_host_model_build(struct host *host, struct json_object *redundancy, struct cap_host_model *ret,
			 struct vg_error *err);

/*
 * {possible, reason?, bytes_copied, steps:[{kind, device, is_mirror, from_vg, to_vg, leg0_vg?,
 * bytes_copied, bytes_gained}], groups:[{vg, free_before, free_after, requires_redundancy,
 * redundant_before, redundant_after}]}
 */
struct json_object *cap_plan_json(const struct cap_plan *plan);

/*
 * Run @plan's steps as one job of @kind on @target (capacity.apply: kind
 * JOB_CAPACITY_APPLY_KIND, target "capacity"; vg.move_pv with evacuate: its
 * one step), calling @server's methods. The job copies what it needs of the
 * plan.
 */
int job_capacity_apply_start(struct jobs *jobs, struct server *server, const char *kind, const char *target,
			     const struct cap_plan *plan, struct job **ret_job, struct vg_error *err);
