/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The methods of docs/api.md (see handlers.h). Each checks its parameters,
 * computes the new model with the pure operations of lvm/vg-ops.c and either
 * stages it for the group commit (LV changes) or commits it at once (changes
 * to the VG's membership, which touch devices beyond its PVs).
 */
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "activation.h"
#include "capacity-host.h"
#include "handlers.h"
#include "host.h"
#include "inventory.h"
#include "log.h"
#include "job-md-follow.h"
#include "job-mirror.h"
#include "job-scrub.h"
#include "job-pv-move.h"
#include "job.h"
#include "md-mirror.h"
#include "md-scrub.h"
#include "vg-ops.h"
#include "vg-text.h"

#define PARAMS(...) ((const char *const[]){ __VA_ARGS__, "dry_run", "idempotency_key", NULL })

static int refuse(struct rpc_error *e, const struct vg_error *err, int r)
{
	return rpc_error_from(e, err, r);
}

static struct host_vg *vg_param(struct handler_ctx *ctx, struct json_object *params, const char *field,
				struct rpc_error *e)
{
	const char *name;
	struct host_vg *hvg;

	if (rpc_param_string(params, field, true, &name, e) < 0)
		return NULL;
	hvg = host_find_vg(ctx->host, name);
	if (!hvg)
		rpc_error_set(e, RPC_REFUSED, -ENOENT, field, "there is no VG called %s", name);
	return hvg;
}

/* A PV named by device path (mirror names come with the mirror layer). */
static struct host_device *device_param(struct handler_ctx *ctx, const char *path, const char *field,
					struct rpc_error *e)
{
	struct host_device *device = host_find_device(ctx->host, path);

	if (!device)
		rpc_error_set(e, RPC_REFUSED, -ENOENT, field,
			      "%s is not a device vgtoold manages (not found, in use elsewhere, or outside devices/filter)",
			      path);
	return device;
}

static const char *vg_of_pv(struct host *host, const char *pv_id)
{
	for (size_t v = 0; v < host->n_vgs; v++)
		if (vg_find_pv_by_id(host->vgs[v]->store->vg, pv_id) >= 0)
			return host->vgs[v]->store->vg->name;
	return NULL;
}

/* Whether @hvg's LVs may be activated: all its PVs here (a move in progress maps them through pvmove0). */
static int ensure_pvs_here(struct host_vg *hvg, struct rpc_error *e)
{
	struct vg_error err = { 0 };
	int r = vg_store_check_complete(hvg->store, &err);

	return r < 0 ? refuse(e, &err, r) : 0;
}

/*
 * Whether @hvg may change: all its PVs here, and no move in progress (the
 * allocator does not count the extents a move holds in pvmove0, so any
 * other change waits until the move ends).
 */
static int ensure_complete(struct host_vg *hvg, struct rpc_error *e)
{
	struct vg_error err = { 0 };
	int r = vg_store_check_complete(hvg->store, &err);

	if (r < 0)
		return refuse(e, &err, r);
	if (pv_move_in_progress(hvg->store->vg))
		return rpc_error_set(e, RPC_REFUSED, -EBUSY, NULL,
				     "VG %s has a PV move in progress: other changes wait until it ends (vgtool job list "
				     "shows the %s or %s job on %s; vgtool job cancel stops it)",
				     hvg->store->vg->name, JOB_PV_MOVE_KIND, JOB_PV_EVACUATE_KIND, hvg->store->vg->name);
	return 0;
}

/* ---- host, disks ---- */

static int host_status(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
		       struct rpc_error *e)
{
	struct json_object *obj = json_object_new_object();
	uint64_t lvs = 0;

	for (size_t v = 0; v < ctx->host->n_vgs; v++)
		lvs += ctx->host->vgs[v]->store->vg->n_lvs;
	json_object_object_add(obj, "version", json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(obj, "activation",
			       json_object_new_string(ctx->host->config->activation == ACTIVATION_KERNEL ? "kernel" : "none"));
	json_object_object_add(obj, "state_dir", json_object_new_string(ctx->host->config->state_dir));
	json_object_object_add(obj, "devices", json_object_new_uint64(ctx->host->n_devices));
	json_object_object_add(obj, "vgs", json_object_new_uint64(ctx->host->n_vgs));
	json_object_object_add(obj, "lvs", json_object_new_uint64(lvs));
	json_object_object_add(obj, "commits", json_object_new_uint64(server_commit_count(ctx->server)));
	json_object_object_add(obj, "jobs", json_object_new_uint64(jobs_count_running(server_jobs(ctx->server))));
	*ret = obj;
	return 0;
}

static int disk_list(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
		     struct rpc_error *e)
{
	struct json_object *obj = json_object_new_object(), *disks = json_object_new_array();
	const struct inventory *inv = ctx->host->inventory;

	for (size_t i = 0; inv && i < inv->n_devices; i++) {
		const struct inventory_device *d = &inv->devices[i];
		const struct host_device *hd = host_find_device(ctx->host, d->path);
		struct json_object *jd = json_object_new_object();
		const char *class = inventory_class_name(d->class), *vg = NULL;

		/* what we opened is reported as it is now, not as it was at the scan */
		if (hd) {
			class = hd->is_md_leg ? "md_leg" : hd->is_pv ? "pv" : class;
			vg = hd->is_pv ? vg_of_pv(ctx->host, hd->label.pv_uuid) : NULL;
		}
		json_object_object_add(jd, "path", json_object_new_string(d->path));
		json_object_object_add(jd, "size_bytes", json_object_new_uint64(d->size_bytes));
		json_object_object_add(jd, "kind", json_object_new_string(inventory_kind_name(d->kind)));
		json_object_object_add(jd, "class", json_object_new_string(class));
		json_object_object_add(jd, "mirror", hd && hd->mirror_name ? json_object_new_string(hd->mirror_name) : NULL);
		json_object_object_add(jd, "vg", vg ? json_object_new_string(vg) : NULL);
		json_object_object_add(jd, "fs_type", d->fs_type ? json_object_new_string(d->fs_type) : NULL);
		json_object_object_add(jd, "reason", d->reason ? json_object_new_string(d->reason) : NULL);
		json_object_object_add(jd, "managed", json_object_new_boolean(hd != NULL));
		json_object_array_add(disks, jd);
	}
	json_object_object_add(obj, "disks", disks);
	*ret = obj;
	return 0;
}

/* ---- PVs ---- */

static int do_pv_create(struct handler_ctx *ctx, struct host_device *device, uint64_t mda_size, unsigned copies,
			struct rpc_error *e)
{
	struct pv_create_params p = { .mda_size_bytes = mda_size, .mda_copies = copies };
	struct vg_error err = { 0 };
	int r;

	if (device->is_md_leg)
		return rpc_error_set(e, RPC_REFUSED, -EBUSY, "device",
				     "%s is a mirror leg: use the mirror, or dissolve it first", device->path);
	r = pv_create(device->dev, &p, &device->label, &err);
	if (r < 0)
		return refuse(e, &err, r);
	device->is_pv = true;
	return 0;
}

static int pv_create_method(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
			    struct rpc_error *e)
{
	const char *path;
	uint64_t mda_size = 0, copies = 1;
	struct host_device *device;
	int r;

	if ((r = rpc_params_only(params, PARAMS("device", "metadata_size", "metadata_copies"), e)) < 0 ||
	    (r = rpc_param_string(params, "device", true, &path, e)) < 0)
		return r;
	if ((r = rpc_param_u64(params, "metadata_size", false, &mda_size, e)) < 0 && r != -ENOENT)
		return r;
	if ((r = rpc_param_u64(params, "metadata_copies", false, &copies, e)) < 0 && r != -ENOENT)
		return r;
	if (copies < 1 || copies > 2)
		return rpc_error_set(e, RPC_INVALID_PARAMS, -EINVAL, "metadata_copies", "metadata_copies must be 1 or 2");
	device = device_param(ctx, path, "device", e);
	if (!device)
		return e->errno_code;
	if (device->is_pv) {
		const char *vg = vg_of_pv(ctx->host, device->label.pv_uuid);

		if (vg)
			return rpc_error_set(e, RPC_REFUSED, -EBUSY, "device", "%s is a PV of VG %s", path, vg);
		/* an orphan PV already: nothing to do */
		*ret = host_pv_json(ctx->host, device);
		return 0;
	}
	if (ctx->dry_run) {
		struct json_object *plan = json_object_new_object();

		json_object_object_add(plan, "dry_run", json_object_new_boolean(true));
		json_object_object_add(plan, "would_write", json_object_new_string(path));
		*ret = plan;
		return 0;
	}
	r = do_pv_create(ctx, device, mda_size, (unsigned)copies, e);
	if (r < 0)
		return r;
	*ret = json_object_new_object();
	json_object_object_add(*ret, "pv", host_pv_json(ctx->host, device));
	return 0;
}

static int pv_list(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
		   struct rpc_error *e)
{
	struct json_object *obj = json_object_new_object(), *pvs = json_object_new_array();

	for (size_t i = 0; i < ctx->host->n_devices; i++)
		if (ctx->host->devices[i]->is_pv)
			json_object_array_add(pvs, host_pv_json(ctx->host, ctx->host->devices[i]));
	json_object_object_add(obj, "pvs", pvs);
	*ret = obj;
	return 0;
}

static int pv_remove(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
		     struct rpc_error *e)
{
	const char *path, *vg;
	struct host_device *device;
	struct vg_error err = { 0 };
	int r;

	if ((r = rpc_params_only(params, PARAMS("device"), e)) < 0 || (r = rpc_param_string(params, "device", true, &path, e)) < 0)
		return r;
	device = device_param(ctx, path, "device", e);
	if (!device)
		return e->errno_code;
	if (!device->is_pv) {
		*ret = json_object_new_object(); /* gone already: nothing to do */
		return 0;
	}
	vg = vg_of_pv(ctx->host, device->label.pv_uuid);
	if (vg)
		return rpc_error_set(e, RPC_REFUSED, -EBUSY, "device", "%s is a PV of VG %s: take it out of the VG first (vg reduce)",
				     path, vg);
	if (!ctx->dry_run) {
		r = pv_label_wipe(device->dev, &err);
		if (r == 0)
			r = blockdev_flush(device->dev, &err);
		if (r < 0)
			return refuse(e, &err, r);
		device->is_pv = false;
	}
	*ret = json_object_new_object();
	return 0;
}

/* ---- VGs ---- */

/*
 * Resolve @paths to commit targets for PVs joining a VG: each must be a
 * managed device that is no mirror leg and in no VG; devices that are not
 * PVs yet become PVs (as vgcreate does) unless this is a dry run.
 */
static int joining_pvs(struct handler_ctx *ctx, const char *const *paths, size_t n, const char *field,
		       struct vg_commit_target **ret_targets, struct pv_join **ret_joins, struct rpc_error *e)
{
	_cleanup_free_ struct vg_commit_target *targets = calloc(n + 1, sizeof(*targets));
	_cleanup_free_ struct pv_join *joins = calloc(n + 1, sizeof(*joins));
	int r;

	if (!targets || !joins)
		return rpc_error_set(e, RPC_INTERNAL_ERROR, -ENOMEM, NULL, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct host_device *device = device_param(ctx, paths[i], field, e);
		const char *vg;

		if (!device)
			return e->errno_code;
		for (size_t k = 0; k < i; k++)
			if (targets[k].dev == device->dev)
				return rpc_error_set(e, RPC_INVALID_PARAMS, -EINVAL, field, "%s is named twice", paths[i]);
		if (device->is_md_leg)
			return rpc_error_set(e, RPC_REFUSED, -EBUSY, field, "%s is a mirror leg: use the mirror instead",
					     paths[i]);
		if (device->is_pv && (vg = vg_of_pv(ctx->host, device->label.pv_uuid)))
			return rpc_error_set(e, RPC_REFUSED, -EBUSY, field, "%s is already a PV of VG %s", paths[i], vg);
		if (!device->is_pv && !ctx->dry_run) {
			r = do_pv_create(ctx, device, 0, 1, e);
			if (r < 0)
				return r;
		}
		targets[i].dev = device->dev;
		targets[i].label = device->label;
		if (!device->is_pv) {
			/* dry run on a device that is no PV yet: what pvcreate would give it */
			targets[i].label.data_areas[0].offset_bytes = 1 << 20;
			targets[i].label.n_data_areas = 1;
			memcpy(targets[i].label.pv_uuid, "DRYRUNDRYRUNDRYRUNDRYRUNDRYRUN00", LVM_UUID_LEN + 1);
		}
		joins[i] = (struct pv_join){
			.id = targets[i].label.pv_uuid,
			.device_hint = device->path,
			.dev_size_sectors = device->dev->size_bytes / 512,
			.pe_start_sectors = pv_data_start_bytes(&targets[i].label) / 512,
			.data_end_sectors = pv_data_end_bytes(&targets[i].label, device->dev->size_bytes) / 512,
		};
	}
	*ret_targets = TAKE_PTR(targets);
	*ret_joins = TAKE_PTR(joins);
	return 0;
}

static int commit_now(struct handler_ctx *ctx, struct host_vg *hvg, struct vg *next, const struct vg_commit_target *joining,
		      size_t n_joining, const char *command, struct rpc_error *e)
{
	struct vg_text_header header;
	char description[128];
	struct vg_error err = { 0 };
	int r;

	host_text_header(ctx->host, command, &header, description, sizeof(description));
	_cleanup_free_ char *note = host_rescue_note(ctx->host, next);
	header.rescue_note = note;
	r = host_vg_commit(ctx->host, hvg, next, joining, n_joining, &header, &err);
	if (r < 0) {
		struct vg_error rescan_err = { 0 };

		host_rescan(ctx->host, &rescan_err);
		return refuse(e, &err, r);
	}
	return 0;
}

static struct json_object *plan_json(const struct host *host, const struct vg *vg, const char *what)
{
	struct json_object *plan = json_object_new_object(), *devices = json_object_new_array();

	json_object_object_add(plan, "dry_run", json_object_new_boolean(true));
	json_object_object_add(plan, "plan", json_object_new_string(what));
	for (size_t p = 0; p < vg->n_pvs; p++)
		if (vg->pvs[p]->device_hint)
			json_object_array_add(devices, json_object_new_string(vg->pvs[p]->device_hint));
	json_object_object_add(plan, "would_write", devices);
	return plan;
}

static int vg_create_method(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
			    struct rpc_error *e)
{
	const char *name, **paths = NULL;
	size_t n = 0;
	uint64_t extent_size = 0;
	_cleanup_free_ struct vg_commit_target *targets = NULL;
	_cleanup_free_ struct pv_join *joins = NULL;
	_cleanup_(vg_freep) struct vg *vg = NULL;
	struct vg_store *store = NULL;
	struct vg_error err = { 0 };
	struct size_spec size;
	int r;

	if ((r = rpc_params_only(params, PARAMS("name", "pvs", "extent_size"), e)) < 0 ||
	    (r = rpc_param_string(params, "name", true, &name, e)) < 0)
		return r;
	r = rpc_param_size(params, "extent_size", false, &size, e);
	if (r < 0 && r != -ENOENT)
		return r;
	if (r == 0) {
		if (size.sign != SIZE_SIGN_NONE || size.percent_of != SIZE_PERCENT_NONE || size.bytes % 512)
			return rpc_error_set(e, RPC_INVALID_PARAMS, -EINVAL, "extent_size", "extent_size must be a plain size such as \"4M\"");
		extent_size = size.bytes / 512;
	}
	if (host_find_vg(ctx->host, name)) {
		return rpc_error_set(e, RPC_REFUSED, -EEXIST, "name", "there is already a VG called %s", name);
	}
	if ((r = rpc_param_strings(params, "pvs", true, &paths, &n, e)) < 0)
		return r;
	r = joining_pvs(ctx, paths, n, "pvs", &targets, &joins, e);
	free(paths);
	if (r < 0)
		return r;
	r = vg_op_create(name, extent_size, joins, n, NULL, &vg, &err);
	if (r < 0)
		return refuse(e, &err, r);
	if (ctx->dry_run) {
		*ret = plan_json(ctx->host, vg, "create the VG");
		return 0;
	}
	r = vg_store_new(vg, &store, &err);
	if (r < 0)
		return refuse(e, &err, r);
	store->state_dir = ctx->host->config->state_dir;
	struct vg_text_header header;
	char description[128];
	host_text_header(ctx->host, "vgtool vg create", &header, description, sizeof(description));
	_cleanup_free_ char *note = host_rescue_note(ctx->host, vg);
	header.rescue_note = note;
	r = vg_store_commit(store, vg, targets, n, &header, &err);
	if (r < 0) {
		vg_store_free(store);
		return refuse(e, &err, r);
	}
	vg = NULL; /* the store owns it now */
	r = host_add_vg(ctx->host, store);
	if (r < 0) {
		vg_store_free(store);
		return rpc_error_set(e, RPC_INTERNAL_ERROR, r, NULL, "out of memory");
	}
	ctx->host->commits++;
	*ret = json_object_new_object();
	json_object_object_add(*ret, "vg", host_vg_json(ctx->host, host_find_vg(ctx->host, name), true));
	return 0;
}

static int vg_list(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
		   struct rpc_error *e)
{
	struct json_object *obj = json_object_new_object(), *vgs = json_object_new_array();

	for (size_t v = 0; v < ctx->host->n_vgs; v++)
		json_object_array_add(vgs, host_vg_json(ctx->host, ctx->host->vgs[v], false));
	json_object_object_add(obj, "vgs", vgs);
	*ret = obj;
	return 0;
}

static int vg_show(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
		   struct rpc_error *e)
{
	struct host_vg *hvg = vg_param(ctx, params, "name", e);

	if (!hvg)
		return e->errno_code;
	*ret = json_object_new_object();
	json_object_object_add(*ret, "vg", host_vg_json(ctx->host, hvg, true));
	return 0;
}

/* Commit what the group commit has staged for @name, so a membership change starts from disk. */
static int settle(struct handler_ctx *ctx, const char *name, struct rpc_error *e)
{
	struct vg_error err = { 0 };
	int r = server_commit_vg(ctx->server, name, &err);

	return r < 0 ? refuse(e, &err, r) : 0;
}

static int vg_extend_or_reduce(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
			       struct rpc_error *e, bool extend)
{
	struct host_vg *hvg;
	const char **paths = NULL;
	size_t n = 0;
	_cleanup_free_ struct vg_commit_target *targets = NULL;
	_cleanup_free_ struct pv_join *joins = NULL;
	_cleanup_free_ const char **ids = NULL;
	struct vg *next = NULL;
	struct vg_error err = { 0 };
	char name[256];
	int r;

	if ((r = rpc_params_only(params, PARAMS("name", "pvs"), e)) < 0)
		return r;
	hvg = vg_param(ctx, params, "name", e);
	if (!hvg)
		return e->errno_code;
	snprintf(name, sizeof(name), "%s", hvg->store->vg->name);
	if ((r = ensure_complete(hvg, e)) < 0 || (r = settle(ctx, name, e)) < 0)
		return r;
	hvg = host_find_vg(ctx->host, name);
	if (!hvg)
		return rpc_error_set(e, RPC_REFUSED, -ENOENT, "name", "VG %s went away", name);
	if ((r = rpc_param_strings(params, "pvs", true, &paths, &n, e)) < 0)
		return r;
	if (extend) {
		r = joining_pvs(ctx, paths, n, "pvs", &targets, &joins, e);
		if (r == 0) {
			r = vg_op_extend(hvg->store->vg, joins, n, &next, &err);
			if (r < 0)
				r = refuse(e, &err, r);
		}
	} else {
		ids = calloc(n + 1, sizeof(*ids));
		r = ids ? 0 : rpc_error_set(e, RPC_INTERNAL_ERROR, -ENOMEM, NULL, "out of memory");
		for (size_t i = 0; i < n && r == 0; i++) {
			struct host_device *device = device_param(ctx, paths[i], "pvs", e);

			if (!device)
				r = e->errno_code;
			else if (!device->is_pv || vg_find_pv_by_id(hvg->store->vg, device->label.pv_uuid) < 0)
				r = rpc_error_set(e, RPC_REFUSED, -ENOENT, "pvs", "%s is not a PV of VG %s", paths[i], name);
			else
				ids[i] = device->label.pv_uuid;
		}
		if (r == 0) {
			r = vg_op_reduce(hvg->store->vg, ids, n, &next, &err);
			if (r < 0)
				r = refuse(e, &err, r);
		}
	}
	free(paths);
	if (r < 0)
		return r;
	if (ctx->dry_run) {
		*ret = plan_json(ctx->host, next, extend ? "extend the VG" : "reduce the VG");
		vg_free(next);
		return 0;
	}
	r = commit_now(ctx, hvg, next, targets, extend ? n : 0, extend ? "vgtool vg extend" : "vgtool vg reduce", e);
	if (r < 0)
		return r;
	/* PVs that left are orphans now: refresh their labels */
	for (size_t i = 0; i < ctx->host->n_devices; i++) {
		struct vg_error label_err = { 0 };

		if (ctx->host->devices[i]->is_pv)
			pv_label_read(ctx->host->devices[i]->dev, &ctx->host->devices[i]->label, &label_err);
	}
	*ret = json_object_new_object();
	json_object_object_add(*ret, "vg", host_vg_json(ctx->host, host_find_vg(ctx->host, name), true));
	return 0;
}

static int vg_extend(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret, struct rpc_error *e)
{
	return vg_extend_or_reduce(ctx, params, ret, e, true);
}

static int vg_reduce(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret, struct rpc_error *e)
{
	return vg_extend_or_reduce(ctx, params, ret, e, false);
}

static int vg_rename(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
		     struct rpc_error *e)
{
	struct host_vg *hvg;
	const char *new_name;
	struct vg *next = NULL;
	struct vg_error err = { 0 };
	char old_name[256];
	int r;

	if ((r = rpc_params_only(params, PARAMS("name", "new_name"), e)) < 0)
		return r;
	hvg = vg_param(ctx, params, "name", e);
	if (!hvg)
		return e->errno_code;
	if ((r = rpc_param_string(params, "new_name", true, &new_name, e)) < 0)
		return r;
	snprintf(old_name, sizeof(old_name), "%s", hvg->store->vg->name);
	if (host_find_vg(ctx->host, new_name) && !streq(new_name, old_name))
		return rpc_error_set(e, RPC_REFUSED, -EEXIST, "new_name", "there is already a VG called %s", new_name);
	if ((r = ensure_complete(hvg, e)) < 0 || (r = settle(ctx, old_name, e)) < 0)
		return r;
	hvg = host_find_vg(ctx->host, old_name);
	r = vg_op_rename(hvg->store->vg, new_name, &next, &err);
	if (r == -EALREADY) {
		*ret = json_object_new_object();
		json_object_object_add(*ret, "vg", host_vg_json(ctx->host, hvg, true));
		return 0;
	}
	if (r < 0)
		return refuse(e, &err, r);
	if (ctx->dry_run) {
		*ret = plan_json(ctx->host, next, "rename the VG");
		vg_free(next);
		return 0;
	}
	r = commit_now(ctx, hvg, next, NULL, 0, "vgtool vg rename", e);
	if (r < 0)
		return r;
	*ret = json_object_new_object();
	json_object_object_add(*ret, "vg", host_vg_json(ctx->host, host_find_vg(ctx->host, new_name), true));
	return 0;
}

static int vg_remove(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
		     struct rpc_error *e)
{
	struct host_vg *hvg;
	const char *name;
	bool force = false;
	struct vg_error err = { 0 };
	int r;

	if ((r = rpc_params_only(params, PARAMS("name", "force"), e)) < 0 || (r = rpc_param_string(params, "name", true, &name, e)) < 0)
		return r;
	if ((r = rpc_param_bool(params, "force", &force, e)) < 0 && r != -ENOENT)
		return r;
	hvg = host_find_vg(ctx->host, name);
	if (!hvg) {
		*ret = json_object_new_object(); /* gone already: nothing to do */
		return 0;
	}
	if ((r = ensure_complete(hvg, e)) < 0 || (r = settle(ctx, name, e)) < 0)
		return r;
	hvg = host_find_vg(ctx->host, name);
	if (hvg->store->vg->n_lvs && !force)
		return rpc_error_set(e, RPC_REFUSED, -EBUSY, "name",
				     "VG %s still has %zu LV(s), first %s: remove them, or say force to remove them with the VG",
				     name, hvg->store->vg->n_lvs, hvg->store->vg->lvs[0]->name);
	if (ctx->dry_run) {
		*ret = plan_json(ctx->host, hvg->store->vg, "remove the VG");
		return 0;
	}
	/* the LVs' devices go first; an open one keeps the whole VG */
	for (size_t l = 0; ctx->host->activation && l < hvg->store->vg->n_lvs; l++) {
		const struct vg_lv *lv = hvg->store->vg->lvs[l];

		if ((lv->status & LV_STATUS_VISIBLE) &&
		    (r = activation_lv_deactivate(ctx->host->activation, hvg->store->vg, lv, false, &err)) < 0)
			return refuse(e, &err, r);
	}
	r = vg_store_remove(hvg->store, &err);
	if (r < 0)
		return refuse(e, &err, r);
	host_remove_vg(ctx->host, hvg);
	for (size_t i = 0; i < ctx->host->n_devices; i++) {
		struct vg_error label_err = { 0 };

		if (ctx->host->devices[i]->is_pv)
			pv_label_read(ctx->host->devices[i]->dev, &ctx->host->devices[i]->label, &label_err);
	}
	*ret = json_object_new_object();
	return 0;
}

/*
 * Move PVs from one VG into another (existing or new). The receiving VG is
 * committed first: a crash in between leaves the moved LVs described in
 * both VGs, never in none.
 */
static int move_pvs(struct handler_ctx *ctx, const char *from_name, const char *into_name, bool into_exists,
		    const char *const *paths, size_t n, const char *field, struct json_object **ret, struct rpc_error *e)
{
	struct host_vg *from, *into = NULL;
	_cleanup_free_ const char **ids = calloc(n + 1, sizeof(*ids));
	_cleanup_free_ struct vg_commit_target *moved = calloc(n + 1, sizeof(*moved));
	struct vg *new_from = NULL, *new_into = NULL;
	struct vg_error err = { 0 };
	int r;

	if (!ids || !moved)
		return rpc_error_set(e, RPC_INTERNAL_ERROR, -ENOMEM, NULL, "out of memory");
	if ((r = settle(ctx, from_name, e)) < 0 || (into_exists && (r = settle(ctx, into_name, e)) < 0))
		return r;
	from = host_find_vg(ctx->host, from_name);
	if (!from)
		return rpc_error_set(e, RPC_REFUSED, -ENOENT, "from", "there is no VG called %s", from_name);
	if (into_exists) {
		into = host_find_vg(ctx->host, into_name);
		if (!into)
			return rpc_error_set(e, RPC_REFUSED, -ENOENT, "to", "there is no VG called %s", into_name);
		if ((r = ensure_complete(into, e)) < 0)
			return r;
	} else if (host_find_vg(ctx->host, into_name)) {
		return rpc_error_set(e, RPC_REFUSED, -EEXIST, "new_name", "there is already a VG called %s", into_name);
	}
	if ((r = ensure_complete(from, e)) < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		struct host_device *device = device_param(ctx, paths[i], field, e);

		if (!device)
			return e->errno_code;
		if (!device->is_pv || vg_find_pv_by_id(from->store->vg, device->label.pv_uuid) < 0)
			return rpc_error_set(e, RPC_REFUSED, -ENOENT, field, "%s is not a PV of VG %s", paths[i], from_name);
		ids[i] = device->label.pv_uuid;
		moved[i].dev = device->dev;
		moved[i].label = device->label;
	}
	r = vg_op_split(from->store->vg, ids, n, into ? into->store->vg : NULL, into_name, &new_from, &new_into, &err);
	if (r < 0)
		return refuse(e, &err, r);
	/* an LV changing VG changes its device's uuid: it cannot be in use meanwhile */
	for (size_t l = 0; ctx->host->activation && l < from->store->vg->n_lvs; l++) {
		const struct vg_lv *lv = from->store->vg->lvs[l];
		struct dmctl_info info;

		if (vg_find_lv(new_from, lv->name) ||
		    activation_lv_info(ctx->host->activation, from->store->vg, lv, &info, &err) < 0 ||
		    !info.exists || info.open_count == 0)
			continue;
		vg_free(new_from);
		vg_free(new_into);
		return rpc_error_set(e, RPC_REFUSED, -EBUSY, field,
				     "LV %s/%s would move to VG %s but is open (%d users): close it first", from_name,
				     lv->name, into_name, info.open_count);
	}
	if (ctx->dry_run) {
		struct json_object *plan = plan_json(ctx->host, new_into, "move PVs between VGs");

		vg_free(new_from);
		vg_free(new_into);
		*ret = plan;
		return 0;
	}
	/* the receiving VG first */
	if (into) {
		r = commit_now(ctx, into, new_into, moved, n, "vgtool vg move-pv", e);
		new_into = NULL;
	} else {
		struct vg_store *store = NULL;
		struct vg_text_header header;
		char description[128];

		r = vg_store_new(new_into, &store, &err);
		if (r == 0) {
			store->state_dir = ctx->host->config->state_dir;
			host_text_header(ctx->host, "vgtool vg split", &header, description, sizeof(description));
			char *note = host_rescue_note(ctx->host, new_into);
			header.rescue_note = note;
			r = vg_store_commit(store, new_into, moved, n, &header, &err);
			free(note);
			if (r == 0) {
				new_into = NULL;
				r = host_add_vg(ctx->host, store);
				if (r == 0)
					host_vg_activate_all(ctx->host, ctx->host->vgs[ctx->host->n_vgs - 1]);
				store = NULL;
			}
		}
		vg_store_free(store);
		if (r < 0)
			r = refuse(e, &err, r);
	}
	vg_free(new_into);
	if (r < 0) {
		vg_free(new_from);
		return r;
	}
	/* from: the moved PVs are members of the other VG now, so they are not orphaned */
	from = host_find_vg(ctx->host, from_name);
	for (size_t p = 0; p < from->store->vg->n_pvs; p++)
		for (size_t i = 0; i < n; i++)
			if (streq(from->store->vg->pvs[p]->id, ids[i]))
				from->store->targets[p].dev = NULL;
	from->store->n_missing = 0;
	r = commit_now(ctx, from, new_from, NULL, 0, "vgtool vg move-pv", e);
	if (r < 0)
		return r;
	*ret = json_object_new_object();
	struct json_object *vgs = json_object_new_array();
	json_object_array_add(vgs, host_vg_json(ctx->host, host_find_vg(ctx->host, from_name), true));
	json_object_array_add(vgs, host_vg_json(ctx->host, host_find_vg(ctx->host, into_name), true));
	json_object_object_add(*ret, "vgs", vgs);
	return 0;
}

static struct json_object *move_plan_json(const struct vg *vg, const struct pv_move_plan *plan);

/*
 * vg.move_pv with evacuate: the PV's extents go to the other PVs of @from
 * (pv.evacuate, which takes it out of @from), then it joins @to, as one job;
 * the evacuation's refusals come now.
 */
static int move_pv_evacuated(struct handler_ctx *ctx, const char *pv, const char *from, const char *to,
			     struct json_object **ret, struct rpc_error *e)
{
	struct host_device *device = device_param(ctx, pv, "pv", e);
	struct host_vg *src = host_find_vg(ctx->host, from), *dst = host_find_vg(ctx->host, to);
	_cleanup_(pv_move_plan_freep) struct pv_move_plan *plan = NULL;
	struct pv_move_request req = { .evacuate = true };
	struct vg_error err = { 0 };
	struct cap_step step;
	struct cap_plan one;
	struct job *job;
	int r;

	if (!device)
		return e->errno_code;
	if (!src || !dst)
		return rpc_error_set(e, RPC_REFUSED, -ENOENT, !src ? "from" : "to", "there is no VG called %s",
				     !src ? from : to);
	if (!device->is_pv || vg_find_pv_by_id(src->store->vg, device->label.pv_uuid) < 0)
		return rpc_error_set(e, RPC_REFUSED, -ENOENT, "pv", "%s is not a PV of VG %s", pv, from);
	if ((r = ensure_complete(src, e)) < 0 || (r = ensure_complete(dst, e)) < 0)
		return r;
	req.source_pv = device->label.pv_uuid;
	req.max_chunk_extents = job_pv_move_chunk_extents(ctx->host, src->store->vg);
	r = pv_move_plan(src->store->vg, &req, &plan, &err);
	if (r < 0)
		return refuse(e, &err, r);
	step = (struct cap_step){ .kind = CAP_STEP_EVACUATE_MOVE, .device = pv, .is_mirror = device->is_mirror,
				  .from_vg = from, .to_vg = to, .bytes_copied = plan->total_extents * plan->extent_bytes };
	one = (struct cap_plan){ .possible = true, .steps = &step, .n_steps = 1, .bytes_copied = step.bytes_copied };
	*ret = json_object_new_object();
	json_object_object_add(*ret, "move", move_plan_json(src->store->vg, plan));
	if (ctx->dry_run) {
		json_object_object_add(*ret, "dry_run", json_object_new_boolean(true));
		return 0;
	}
	r = job_capacity_apply_start(server_jobs(ctx->server), ctx->server, "vg.move_pv", pv, &one, &job, &err);
	if (r < 0) {
		json_object_put(TAKE_PTR(*ret));
		return refuse(e, &err, r);
	}
	json_object_object_add(*ret, "job", job_json(job));
	return 0;
}

static int vg_move_pv(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
		      struct rpc_error *e)
{
	const char *pv, *from, *to;
	bool evacuate = false;
	int r;

	if ((r = rpc_params_only(params, PARAMS("pv", "from", "to", "evacuate"), e)) < 0 ||
	    (r = rpc_param_string(params, "pv", true, &pv, e)) < 0 ||
	    (r = rpc_param_string(params, "from", true, &from, e)) < 0 ||
	    (r = rpc_param_string(params, "to", true, &to, e)) < 0)
		return r;
	if ((r = rpc_param_bool(params, "evacuate", &evacuate, e)) < 0 && r != -ENOENT)
		return r;
	if (evacuate)
		return move_pv_evacuated(ctx, pv, from, to, ret, e);
	r = move_pvs(ctx, from, to, true, (const char *const[]){ pv }, 1, "pv", ret, e);
	if (r == -EBUSY && strstr(e->message, "both on the PVs being moved")) {
		/* LVs straddle the PV: an evacuation empties it, then it moves alone */
		size_t used = strlen(e->message);

		snprintf(e->message + used, sizeof(e->message) - used,
			 "; vgtool pv evacuate %s empties the PV (its extents go to the other PVs of VG %s), then it can "
			 "move; or move it with evacuate (vgtool vg move-pv --evacuate) to do both as one job",
			 pv, from);
	}
	return r;
}

static int vg_split(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
		    struct rpc_error *e)
{
	const char *name, *new_name, **paths = NULL;
	size_t n = 0;
	int r;

	if ((r = rpc_params_only(params, PARAMS("name", "new_name", "pvs"), e)) < 0 ||
	    (r = rpc_param_string(params, "name", true, &name, e)) < 0 ||
	    (r = rpc_param_string(params, "new_name", true, &new_name, e)) < 0 ||
	    (r = rpc_param_strings(params, "pvs", true, &paths, &n, e)) < 0)
		return r;
	r = move_pvs(ctx, name, new_name, host_find_vg(ctx->host, new_name) != NULL, paths, n, "pvs", ret, e);
	free(paths);
	return r;
}

static int vg_merge(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
		    struct rpc_error *e)
{
	struct host_vg *into, *from;
	const char *into_name, *from_name;
	_cleanup_free_ struct vg_commit_target *joining = NULL;
	struct vg *merged = NULL;
	struct vg_error err = { 0 };
	int r;

	if ((r = rpc_params_only(params, PARAMS("name", "from"), e)) < 0 ||
	    (r = rpc_param_string(params, "name", true, &into_name, e)) < 0 ||
	    (r = rpc_param_string(params, "from", true, &from_name, e)) < 0)
		return r;
	if ((r = settle(ctx, into_name, e)) < 0 || (r = settle(ctx, from_name, e)) < 0)
		return r;
	into = host_find_vg(ctx->host, into_name);
	from = host_find_vg(ctx->host, from_name);
	if (!into || !from)
		return rpc_error_set(e, RPC_REFUSED, -ENOENT, !into ? "name" : "from", "there is no VG called %s",
				     !into ? into_name : from_name);
	if ((r = ensure_complete(into, e)) < 0 || (r = ensure_complete(from, e)) < 0)
		return r;
	r = vg_op_merge(into->store->vg, from->store->vg, &merged, &err);
	if (r < 0)
		return refuse(e, &err, r);
	if (ctx->dry_run) {
		*ret = plan_json(ctx->host, merged, "merge the VGs");
		vg_free(merged);
		return 0;
	}
	joining = calloc(from->store->vg->n_pvs + 1, sizeof(*joining));
	if (!joining) {
		vg_free(merged);
		return rpc_error_set(e, RPC_INTERNAL_ERROR, -ENOMEM, NULL, "out of memory");
	}
	memcpy(joining, from->store->targets, from->store->vg->n_pvs * sizeof(*joining));
	r = commit_now(ctx, into, merged, joining, from->store->vg->n_pvs, "vgtool vg merge", e);
	if (r < 0)
		return r;
	/* @from's PVs carry @into's metadata now; the old VG simply ceases to exist */
	from = host_find_vg(ctx->host, from_name);
	if (from) {
		vg_backup_retire(ctx->host->config->state_dir, from_name, &err);
		host_remove_vg(ctx->host, from);
	}
	*ret = json_object_new_object();
	json_object_object_add(*ret, "vg", host_vg_json(ctx->host, host_find_vg(ctx->host, into_name), true));
	return 0;
}

/* ---- LVs: staged for the group commit ---- */

/* "VG/LV" in name, or vg + name. */
static int lv_params(struct handler_ctx *ctx, struct json_object *params, struct host_vg **ret_hvg,
		     const char **ret_name, struct rpc_error *e)
{
	const char *vg_name = NULL, *name;
	static __thread char split_vg[256];
	int r;

	if ((r = rpc_param_string(params, "name", true, &name, e)) < 0)
		return r;
	r = rpc_param_string(params, "vg", false, &vg_name, e);
	if (r < 0 && r != -ENOENT)
		return r;
	if (!vg_name) {
		const char *slash = strchr(name, '/');

		if (!slash || (size_t)(slash - name) >= sizeof(split_vg))
			return rpc_error_set(e, RPC_INVALID_PARAMS, -EINVAL, "vg", "name the VG: \"vg\" or name as VG/LV");
		memcpy(split_vg, name, (size_t)(slash - name));
		split_vg[slash - name] = '\0';
		vg_name = split_vg;
		name = slash + 1;
	}
	*ret_hvg = host_find_vg(ctx->host, vg_name);
	if (!*ret_hvg)
		return rpc_error_set(e, RPC_REFUSED, -ENOENT, "vg", "there is no VG called %s", vg_name);
	*ret_name = name;
	return 0;
}

static int lv_size_param(struct json_object *params, struct lv_size *ret, bool required, struct rpc_error *e)
{
	uint64_t extents = 0;
	int r;

	memset(ret, 0, sizeof(*ret));
	r = rpc_param_u64(params, "extents", false, &extents, e);
	if (r == 0) {
		if (extents == 0)
			return rpc_error_set(e, RPC_INVALID_PARAMS, -EINVAL, "extents", "extents must be at least 1");
		ret->extents = extents;
		return 0;
	}
	if (r != -ENOENT)
		return r;
	r = rpc_param_size(params, "size", required, &ret->spec, e);
	if (r == -ENOENT && required)
		return rpc_error_set(e, RPC_INVALID_PARAMS, -EINVAL, "size", "give a size or extents");
	return r;
}

static int pv_ids_param(struct handler_ctx *ctx, const struct vg *vg, struct json_object *params,
			const char ***ret_ids, size_t *ret_n, struct rpc_error *e)
{
	const char **paths = NULL;
	size_t n = 0;
	int r = rpc_param_strings(params, "pvs", false, &paths, &n, e);

	*ret_ids = NULL;
	*ret_n = 0;
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		struct host_device *device = device_param(ctx, paths[i], "pvs", e);

		if (!device) {
			free(paths);
			return e->errno_code;
		}
		if (!device->is_pv || vg_find_pv_by_id(vg, device->label.pv_uuid) < 0) {
			rpc_error_set(e, RPC_REFUSED, -ENOENT, "pvs", "%s is not a PV of VG %s", paths[i], vg->name);
			free(paths);
			return e->errno_code;
		}
		paths[i] = device->label.pv_uuid; /* reuse the array for ids */
	}
	*ret_ids = paths;
	*ret_n = n;
	return 0;
}

static int parse_policy(struct json_object *params, enum alloc_policy *ret, struct rpc_error *e)
{
	const char *policy = NULL;
	int r = rpc_param_string(params, "policy", false, &policy, e);

	*ret = ALLOC_NORMAL;
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (streq(policy, "normal"))
		*ret = ALLOC_NORMAL;
	else if (streq(policy, "contiguous"))
		*ret = ALLOC_CONTIGUOUS;
	else if (streq(policy, "anywhere"))
		*ret = ALLOC_ANYWHERE;
	else
		return rpc_error_set(e, RPC_INVALID_PARAMS, -EINVAL, "policy",
				     "policy must be normal, contiguous or anywhere, not \"%s\"", policy);
	return 0;
}

/* Stage @next for @hvg and defer the reply (or answer a dry run now). */
static int stage_or_plan(struct handler_ctx *ctx, struct host_vg *hvg, struct vg *next, const char *lv_name,
			 bool removed, struct json_object **ret)
{
	struct json_object *result = json_object_new_object();
	/* after a create, the LV is the last visible one: the search ends at once */
	const struct vg_lv *lv = lv_name ? vg_find_lv_from_end(next, lv_name) : NULL;

	if (lv && !removed)
		json_object_object_add(result, "lv", host_lv_json(ctx->host, next, lv));
	if (ctx->dry_run) {
		json_object_object_add(result, "dry_run", json_object_new_boolean(true));
		json_object_object_add(result, "would_write", plan_json(ctx->host, next, "commit the VG"));
		vg_free(next);
		*ret = result;
		return 0;
	}
	host_vg_stage(hvg, next);
	return server_defer_reply(ctx, hvg->store->vg->name, result);
}

static int lv_create(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
		     struct rpc_error *e)
{
	struct host_vg *hvg;
	const char *name, **tags = NULL;
	_cleanup_free_ const char **pv_ids = NULL;
	size_t n_pv_ids = 0, n_tags = 0;
	uint64_t stripes = 1, stripe_size = 0;
	struct lv_create_request req = { 0 };
	struct size_spec stripe_spec;
	struct vg *next = NULL;
	struct vg_error err = { 0 };
	const struct vg *current;
	int r;

	if ((r = rpc_params_only(params, PARAMS("vg", "name", "size", "extents", "stripes", "stripe_size", "policy",
						 "pvs", "tags"), e)) < 0 ||
	    (r = lv_params(ctx, params, &hvg, &name, e)) < 0 || (r = ensure_complete(hvg, e)) < 0)
		return r;
	current = host_vg_current(hvg);
	if ((r = lv_size_param(params, &req.size, true, e)) < 0 || (r = parse_policy(params, &req.policy, e)) < 0)
		return r;
	if ((r = rpc_param_u64(params, "stripes", false, &stripes, e)) < 0 && r != -ENOENT)
		return r;
	if ((r = rpc_param_size(params, "stripe_size", false, &stripe_spec, e)) == 0)
		stripe_size = stripe_spec.bytes / 512;
	else if (r != -ENOENT)
		return r;
	if (stripes == 0 || stripes > 128)
		return rpc_error_set(e, RPC_INVALID_PARAMS, -EINVAL, "stripes", "stripes must be 1 to 128");

	/* creating what exists identically is a success */
	const struct vg_lv *existing = vg_find_lv(current, name);
	if (existing) {
		uint64_t wanted = 0;

		if (lv_size_to_extents(current, &req.size, vg_lv_extents(existing), NULL, &wanted, &err) == 0 &&
		    req.size.spec.percent_of == SIZE_PERCENT_NONE && wanted == vg_lv_extents(existing)) {
			*ret = json_object_new_object();
			json_object_object_add(*ret, "lv", host_lv_json(ctx->host, current, existing));
			json_object_object_add(*ret, "unchanged", json_object_new_boolean(true));
			return 0;
		}
		return rpc_error_set(e, RPC_REFUSED, -EEXIST, "name", "VG %s already has an LV called %s (of another size)",
				     current->name, name);
	}
	if ((r = pv_ids_param(ctx, current, params, &pv_ids, &n_pv_ids, e)) < 0)
		return r;
	r = rpc_param_strings(params, "tags", false, &tags, &n_tags, e);
	if (r < 0 && r != -ENOENT)
		return r;
	req.name = name;
	req.stripes = (uint32_t)stripes;
	req.stripe_size_sectors = stripe_size;
	req.pv_ids = pv_ids;
	req.n_pv_ids = n_pv_ids;
	req.tags = tags;
	req.n_tags = n_tags;
	req.creation_time = (int64_t)time(NULL);
	req.creation_host = ctx->host->hostname;
	r = lv_op_create(current, &req, &next, &err);
	free(tags);
	if (r < 0)
		return refuse(e, &err, r);
	return stage_or_plan(ctx, hvg, next, name, false, ret);
}

static int lv_resize(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
		     struct rpc_error *e)
{
	struct host_vg *hvg;
	const char *name;
	_cleanup_free_ const char **pv_ids = NULL;
	size_t n_pv_ids = 0;
	bool force = false;
	struct lv_resize_request req = { 0 };
	struct vg *next = NULL;
	struct vg_error err = { 0 };
	const struct vg *current;
	int r;

	if ((r = rpc_params_only(params, PARAMS("vg", "name", "size", "extents", "force", "policy", "pvs"), e)) < 0 ||
	    (r = lv_params(ctx, params, &hvg, &name, e)) < 0 || (r = ensure_complete(hvg, e)) < 0)
		return r;
	current = host_vg_current(hvg);
	if ((r = lv_size_param(params, &req.size, true, e)) < 0 || (r = parse_policy(params, &req.policy, e)) < 0)
		return r;
	if ((r = rpc_param_bool(params, "force", &force, e)) < 0 && r != -ENOENT)
		return r;
	if ((r = pv_ids_param(ctx, current, params, &pv_ids, &n_pv_ids, e)) < 0)
		return r;
	req.name = name;
	req.allow_reduce = force;
	req.pv_ids = pv_ids;
	req.n_pv_ids = n_pv_ids;
	r = lv_op_resize(current, &req, &next, &err);
	if (r == -EALREADY) {
		*ret = json_object_new_object();
		json_object_object_add(*ret, "lv", host_lv_json(ctx->host, current, vg_find_lv(current, name)));
		json_object_object_add(*ret, "unchanged", json_object_new_boolean(true));
		return 0;
	}
	if (r < 0)
		return refuse(e, &err, r);
	return stage_or_plan(ctx, hvg, next, name, false, ret);
}

static int lv_rename(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
		     struct rpc_error *e)
{
	struct host_vg *hvg;
	const char *name, *new_name;
	struct vg *next = NULL;
	struct vg_error err = { 0 };
	int r;

	if ((r = rpc_params_only(params, PARAMS("vg", "name", "new_name"), e)) < 0 ||
	    (r = lv_params(ctx, params, &hvg, &name, e)) < 0 || (r = ensure_complete(hvg, e)) < 0 ||
	    (r = rpc_param_string(params, "new_name", true, &new_name, e)) < 0)
		return r;
	r = lv_op_rename(host_vg_current(hvg), name, new_name, &next, &err);
	if (r == -EALREADY) {
		*ret = json_object_new_object();
		json_object_object_add(*ret, "lv", host_lv_json(ctx->host, host_vg_current(hvg), vg_find_lv(host_vg_current(hvg), name)));
		return 0;
	}
	if (r < 0)
		return refuse(e, &err, r);
	return stage_or_plan(ctx, hvg, next, new_name, false, ret);
}

static int lv_remove(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
		     struct rpc_error *e)
{
	struct host_vg *hvg;
	const char *name, *key = NULL;
	bool force = false;
	struct vg *next = NULL;
	struct vg_error err = { 0 };
	int r;

	if ((r = rpc_params_only(params, PARAMS("vg", "name", "force"), e)) < 0 ||
	    (r = lv_params(ctx, params, &hvg, &name, e)) < 0 || (r = ensure_complete(hvg, e)) < 0)
		return r;
	if ((r = rpc_param_bool(params, "force", &force, e)) < 0 && r != -ENOENT)
		return r;
	rpc_param_string(params, "idempotency_key", false, &key, e);
	if (!vg_find_lv(host_vg_current(hvg), name) && key) {
		/* removing what is gone, on a retry: nothing to do */
		*ret = json_object_new_object();
		return 0;
	}
	r = lv_op_remove(host_vg_current(hvg), name, &next, &err);
	if (r < 0)
		return refuse(e, &err, r);
	/* the kernel follows the commit, which must not find the LV in use: decided here, before staging */
	if (ctx->host->activation && !ctx->dry_run) {
		const struct vg_lv *lv = vg_find_lv(host_vg_current(hvg), name);

		r = activation_lv_deactivate(ctx->host->activation, host_vg_current(hvg), lv, force, &err);
		if (r < 0) {
			vg_free(next);
			return refuse(e, &err, r);
		}
	}
	return stage_or_plan(ctx, hvg, next, NULL, true, ret);
}

/* A result whose JSON text is already written: json-c prints the text as it is (see lv_list). */
static int print_prepared(struct json_object *obj, struct printbuf *pb, int level, int flags)
{
	const char *text = json_object_get_userdata(obj);

	(void)level;
	(void)flags;
	return printbuf_memappend(pb, text, (int)strlen(text));
}

static void free_prepared(struct json_object *obj, void *userdata)
{
	(void)obj;
	free(userdata);
}

/*
 * Every LV as JSON text written at once, not a tree of objects per LV that
 * is serialised and freed again: on a host of thousands of LVs that was
 * most of the time to answer.
 */
static int lv_list(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
		   struct rpc_error *e)
{
	const char *vg_name = NULL;
	_cleanup_(strbuf_done) struct strbuf text;
	struct dmctl_names active = { 0 };
	struct vg_error err = { 0 };
	bool first = true;
	int r = rpc_param_string(params, "vg", false, &vg_name, e);

	if (r < 0 && r != -ENOENT)
		return r;
	if (vg_name && !host_find_vg(ctx->host, vg_name))
		return rpc_error_set(e, RPC_REFUSED, -ENOENT, "vg", "there is no VG called %s", vg_name);
	if (ctx->host->activation && (r = activation_list(ctx->host->activation, &active, &err)) < 0)
		return refuse(e, &err, r);
	strbuf_init(&text);
	strbuf_puts(&text, "{\"lvs\":[");
	for (size_t v = 0; v < ctx->host->n_vgs; v++) {
		const struct vg *vg = ctx->host->vgs[v]->store->vg;

		if (vg_name && !streq(vg->name, vg_name))
			continue;
		for (size_t l = 0; l < vg->n_lvs; l++) {
			if (!(vg->lvs[l]->status & LV_STATUS_VISIBLE))
				continue;
			if (!first)
				strbuf_putc(&text, ',');
			first = false;
			host_lv_json_text(ctx->host, vg, vg->lvs[l], ctx->host->activation ? &active : NULL, &text);
		}
	}
	strbuf_puts(&text, "]}");
	dmctl_names_done(&active);
	if (strbuf_status(&text) < 0)
		return rpc_error_set(e, RPC_INTERNAL_ERROR, -ENOMEM, NULL, "out of memory");
	*ret = json_object_new_object();
	json_object_set_serializer(*ret, print_prepared, strbuf_steal(&text, NULL), free_prepared);
	return 0;
}

static int lv_show(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
		   struct rpc_error *e)
{
	struct host_vg *hvg;
	const char *name;
	const struct vg_lv *lv;
	int r;

	if ((r = lv_params(ctx, params, &hvg, &name, e)) < 0)
		return r;
	lv = vg_find_lv(hvg->store->vg, name);
	if (!lv)
		return rpc_error_set(e, RPC_REFUSED, -ENOENT, "name", "VG %s has no LV called %s", hvg->store->vg->name, name);
	*ret = json_object_new_object();
	json_object_object_add(*ret, "lv", host_lv_json(ctx->host, hvg->store->vg, lv));
	return 0;
}


/* ---- mirrors ---- */

/* Commit every staged VG, so a mirror change starts from what is on disk. */
static int settle_all(struct handler_ctx *ctx, struct rpc_error *e)
{
	for (size_t v = 0; v < ctx->host->n_vgs; v++) {
		if (!ctx->host->vgs[v]->staged)
			continue;
		char name[256];
		snprintf(name, sizeof(name), "%s", ctx->host->vgs[v]->store->vg->name);
		int r = settle(ctx, name, e);
		if (r < 0)
			return r;
		v = (size_t)-1;
	}
	return 0;
}

static struct host_device *mirror_param(struct handler_ctx *ctx, struct json_object *params, struct rpc_error *e)
{
	const char *name;
	struct host_device *mirror;

	if (rpc_param_string(params, "name", true, &name, e) < 0)
		return NULL;
	mirror = host_find_mirror(ctx->host, name);
	if (!mirror)
		rpc_error_set(e, RPC_REFUSED, -ENOENT, "name", "there is no mirror called %s", name);
	return mirror;
}

/* Changes to a mirror's legs wait for the job copying one of them. */
static int refuse_if_busy(struct handler_ctx *ctx, const char *mirror_name, struct rpc_error *e)
{
	struct job *job = jobs_running_on(server_jobs(ctx->server), mirror_name);

	if (!job)
		return 0;
	return rpc_error_set(e, RPC_REFUSED, -EBUSY, "name",
			     "mirror %s is busy with job %" PRIu64 " (%s, %" PRIu64 " of %" PRIu64
			     " bytes copied): wait for it (vgtool job wait %" PRIu64 ") or cancel it (vgtool job cancel %" PRIu64 ")",
			     mirror_name, job->id, job->kind, job->done_bytes, job->total_bytes, job->id, job->id);
}

/* A device that may become a leg: managed, not a leg already, no PV in a VG. */
static struct host_device *free_device_param(struct handler_ctx *ctx, const char *path, const char *field,
					     struct rpc_error *e)
{
	struct host_device *device = device_param(ctx, path, field, e);
	const char *vg;

	if (!device)
		return NULL;
	if (device->is_mirror) {
		rpc_error_set(e, RPC_REFUSED, -EINVAL, field, "%s is a mirror, not a device", path);
		return NULL;
	}
	if (device->is_md_leg) {
		rpc_error_set(e, RPC_REFUSED, -EBUSY, field, "%s is already a leg of mirror %s", path, device->mirror_name);
		return NULL;
	}
	if (device->is_pv && (vg = vg_of_pv(ctx->host, device->label.pv_uuid))) {
		rpc_error_set(e, RPC_REFUSED, -EBUSY, field, "%s is a PV of VG %s", path, vg);
		return NULL;
	}
	return device;
}

static int rescan_and_show(struct handler_ctx *ctx, const char *name, struct json_object **ret, struct rpc_error *e)
{
	struct vg_error err = { 0 };
	struct host_device *mirror;
	int r = host_rescan(ctx->host, &err);

	if (r < 0)
		return refuse(e, &err, r);
	*ret = json_object_new_object();
	mirror = name ? host_find_mirror(ctx->host, name) : NULL;
	if (mirror)
		json_object_object_add(*ret, "mirror", host_mirror_json(ctx->host, mirror));
	return 0;
}

static int mirror_create(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
			 struct rpc_error *e)
{
	const char *name, **leg_paths = NULL, **spare_paths = NULL;
	size_t n_legs = 0, n_spares = 0;
	bool bitmap = false, assume_clean = false;
	_cleanup_free_ struct blockdev **legs = NULL, **spares = NULL;
	struct md_mirror_create_params p = { 0 };
	struct md_mirror_options opts = { 0 };
	struct md_mirror_created created;
	struct vg_error err = { 0 };
	int r;

	if ((r = rpc_params_only(params, PARAMS("name", "legs", "spares", "bitmap", "assume_clean"), e)) < 0 ||
	    (r = rpc_param_string(params, "name", true, &name, e)) < 0)
		return r;
	if (strlen(name) > 31 || strpbrk(name, "/: \t"))
		return rpc_error_set(e, RPC_INVALID_PARAMS, -EINVAL, "name", "mirror name \"%s\": up to 31 characters, no '/', ':' or spaces", name);
	if ((r = rpc_param_bool(params, "bitmap", &bitmap, e)) < 0 && r != -ENOENT)
		return r;
	if ((r = rpc_param_bool(params, "assume_clean", &assume_clean, e)) < 0 && r != -ENOENT)
		return r;
	if (host_find_mirror(ctx->host, name) || host_find_vg(ctx->host, name))
		return rpc_error_set(e, RPC_REFUSED, -EEXIST, "name", "the name %s is taken", name);
	if ((r = rpc_param_strings(params, "legs", true, &leg_paths, &n_legs, e)) < 0)
		return r;
	r = rpc_param_strings(params, "spares", false, &spare_paths, &n_spares, e);
	if (r < 0 && r != -ENOENT) {
		free(leg_paths);
		return r;
	}
	legs = calloc(n_legs + 1, sizeof(*legs));
	spares = calloc(n_spares + 1, sizeof(*spares));
	r = legs && spares ? 0 : rpc_error_set(e, RPC_INTERNAL_ERROR, -ENOMEM, NULL, "out of memory");
	for (size_t i = 0; i < n_legs && r == 0; i++) {
		struct host_device *d = free_device_param(ctx, leg_paths[i], "legs", e);
		r = d ? 0 : e->errno_code;
		if (d)
			legs[i] = d->dev;
	}
	for (size_t i = 0; i < n_spares && r == 0; i++) {
		struct host_device *d = free_device_param(ctx, spare_paths[i], "spares", e);
		r = d ? 0 : e->errno_code;
		if (d)
			spares[i] = d->dev;
	}
	free(leg_paths);
	free(spare_paths);
	if (r < 0)
		return r;
	if (ctx->dry_run) {
		*ret = json_object_new_object();
		json_object_object_add(*ret, "dry_run", json_object_new_boolean(true));
		json_object_object_add(*ret, "plan", json_object_new_string("write md 1.0 superblocks on the legs"));
		return 0;
	}
	p = (struct md_mirror_create_params){
		.name = name, .homehost = ctx->host->hostname, .legs = legs, .n_legs = n_legs,
		.spares = spares, .n_spares = n_spares, .bitmap = bitmap,
	};
	opts.assume_clean = assume_clean;
	r = md_mirror_create(&p, &opts, &created, &err);
	if (r < 0)
		return refuse(e, &err, r);
	if (!assume_clean) {
		/* a job brings the legs in sync: md's own resync followed, or without md our copy */
		struct job *job;

		r = rescan_and_show(ctx, name, ret, e);
		if (r < 0)
			return r;
		if (ctx->host->activation)
			r = job_md_follow_start(server_jobs(ctx->server), ctx->host, "mirror.resync", name, NULL, &job, &err);
		else
			r = job_mirror_resync_start(server_jobs(ctx->server), ctx->host, name, &job, &err);
		if (r < 0) {
			json_object_put(*ret);
			*ret = NULL;
			return refuse(e, &err, r);
		}
		json_object_object_add(*ret, "job", job_json(job));
		return 0;
	}
	return rescan_and_show(ctx, name, ret, e);
}

/* A mirror as replies show it, with the number of the job working on it while one runs. */
static struct json_object *mirror_json(struct handler_ctx *ctx, const struct host_device *mirror)
{
	struct json_object *obj = host_mirror_json(ctx->host, mirror);
	struct job *job = jobs_running_on(server_jobs(ctx->server), mirror->path);

	if (job)
		json_object_object_add(obj, "job", json_object_new_uint64(job->id));
	return obj;
}

static int mirror_list(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
		       struct rpc_error *e)
{
	struct json_object *obj = json_object_new_object(), *mirrors = json_object_new_array();

	for (size_t i = 0; i < ctx->host->n_devices; i++)
		if (ctx->host->devices[i]->is_mirror)
			json_object_array_add(mirrors, mirror_json(ctx, ctx->host->devices[i]));
	json_object_object_add(obj, "mirrors", mirrors);
	*ret = obj;
	return 0;
}

static int mirror_show(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
		       struct rpc_error *e)
{
	struct host_device *mirror = mirror_param(ctx, params, e);

	if (!mirror)
		return e->errno_code;
	*ret = json_object_new_object();
	json_object_object_add(*ret, "mirror", mirror_json(ctx, mirror));
	return 0;
}

/* The leg of @mirror on device @path. */
static ssize_t leg_param(struct handler_ctx *ctx, struct host_device *mirror, const char *path, const char *field,
			 struct rpc_error *e)
{
	struct host_device *device = device_param(ctx, path, field, e);
	ssize_t leg;

	if (!device)
		return -1;
	leg = md_mirror_view_find(mirror->view, device->dev);
	if (leg < 0)
		rpc_error_set(e, RPC_REFUSED, -ENOENT, field, "%s is not a leg of mirror %s", path, mirror->path);
	return leg;
}


/*
 * Stop the mirror's device (its last flush bumps the legs' events) and read
 * the legs' superblocks again, so a plan starts from what is on them now.
 */
static int quiesce_mirror(struct host_device *mirror, struct rpc_error *e)
{
	_cleanup_free_ struct blockdev **legs = calloc(mirror->view->n_legs + 1, sizeof(*legs));
	struct md_mirror_view *view = NULL;
	struct vg_error err = { 0 };
	size_t n = 0;
	int r;

	if (!legs)
		return rpc_error_set(e, RPC_INTERNAL_ERROR, -ENOMEM, NULL, "out of memory");
	if (mirror->dev) {
		r = blockdev_flush(mirror->dev, &err);
		blockdev_close(mirror->dev);
		mirror->dev = NULL;
		if (r < 0)
			return refuse(e, &err, r);
	}
	for (size_t l = 0; l < mirror->view->n_legs; l++)
		if (mirror->view->legs[l].dev)
			legs[n++] = mirror->view->legs[l].dev;
	r = md_mirror_view_read(legs, n, mirror->view->uuid, &view, &err);
	if (r < 0)
		return refuse(e, &err, r);
	md_mirror_view_free(mirror->view);
	mirror->view = view;
	return 0;
}

enum leg_op { LEG_FAIL, LEG_REMOVE, LEG_ADD, LEG_REPLACE };

/* A change failed half way: report it, after reading again what the devices now say. */
static int refuse_after_rescan(struct handler_ctx *ctx, struct rpc_error *e, const struct vg_error *err, int r)
{
	struct rpc_error ignored;
	struct json_object *unused = NULL;

	refuse(e, err, r);
	rescan_and_show(ctx, NULL, &unused, &ignored);
	json_object_put(unused);
	return r;
}

/*
 * A mirror md runs: md makes the change and writes the running legs'
 * superblocks; an added leg is rebuilt by md (mirror.show follows
 * sync_action and sync_completed).
 */
static int kernel_leg_op(struct handler_ctx *ctx, struct host_device *mirror, enum leg_op op, ssize_t leg,
			 struct host_device *fresh, struct json_object **ret, struct rpc_error *e)
{
	_cleanup_free_ char *retire = NULL;
	struct md_mirror_options opts = { 0 };
	struct vg_error err = { 0 };
	char name[64], *event = NULL;
	int r;

	snprintf(name, sizeof(name), "%s", mirror->path);
	if (!mirror->md_array)
		return rpc_error_set(e, RPC_REFUSED, -ENODEV, "name",
				     "mirror %s is not running in md (no fresh leg, or it did not start: see the daemon's log)",
				     name);
	switch (op) {
	case LEG_FAIL:
		r = host_mirror_kernel_fail(ctx->host, mirror, (size_t)leg, &err);
		event = "mirror.degraded";
		break;
	case LEG_REMOVE:
		r = host_mirror_kernel_remove(ctx->host, mirror, (size_t)leg, &err);
		event = "mirror.leg_removed";
		break;
	case LEG_ADD:
		r = host_mirror_kernel_add(ctx->host, mirror, fresh, &opts, &err);
		event = "mirror.leg_added";
		break;
	case LEG_REPLACE:
		if (!(retire = strdup(host_mirror_leg_path(ctx->host, mirror, (size_t)leg) ?: "")))
			return rpc_error_set(e, RPC_INTERNAL_ERROR, -ENOMEM, NULL, "out of memory");
		r = host_mirror_kernel_replace(ctx->host, mirror, (size_t)leg, fresh, &opts, &err);
		event = "mirror.leg_added";
		break;
	default:
		return rpc_error_set(e, RPC_INTERNAL_ERROR, -EINVAL, NULL, "unknown leg operation");
	}
	if (r < 0)
		return refuse_after_rescan(ctx, e, &err, r);
	struct json_object *fields = json_object_new_object();
	json_object_object_add(fields, "mirror", json_object_new_string(name));
	server_publish_event(ctx->server, event, fields);
	r = rescan_and_show(ctx, name, ret, e);
	if (r < 0 || (op != LEG_ADD && op != LEG_REPLACE))
		return r;
	/* md rebuilds the new leg (a spare stays a spare until a slot is free): followed as a job */
	struct job *job;

	if (job_md_follow_start(server_jobs(ctx->server), ctx->host,
				op == LEG_ADD ? "mirror.add_leg" : "mirror.replace_leg", name, retire, &job, &err) < 0) {
		json_object_put(*ret);
		*ret = NULL;
		return refuse(e, &err, -EIO);
	}
	json_object_object_add(*ret, "job", job_json(job));
	return 0;
}

/*
 * md_mirror_add and md_mirror_replace write the new roles, then copy: a
 * progress callback that says stop at the first chunk leaves them right
 * after the metadata part, the leg recovering from offset 0, and the copy
 * goes on as a job.
 */
static int stop_after_metadata(uint64_t done_bytes, uint64_t total_bytes, void *userdata)
{
	bool *stopped = userdata;

	*stopped = true;
	return -EINPROGRESS;
}

/* Answer {mirror, job} once the host is read again, the copy running as a job of @kind. */
static int start_copy(struct handler_ctx *ctx, const char *name, const char *kind, uint32_t retire_dev_number,
		      struct json_object **ret, struct rpc_error *e)
{
	struct vg_error err = { 0 };
	struct job *job;
	int r = rescan_and_show(ctx, name, ret, e);

	if (r < 0)
		return r;
	r = job_mirror_start(server_jobs(ctx->server), ctx->host, kind, name, retire_dev_number, &job, &err);
	if (r < 0) {
		json_object_put(*ret);
		*ret = NULL;
		return refuse(e, &err, r);
	}
	json_object_object_add(*ret, "job", job_json(job));
	return 0;
}

/* A leg of @mirror at @path that a stopped copy left recovering: adding it again resumes the copy. */
static bool resumable_leg(struct handler_ctx *ctx, struct host_device *mirror, const char *path)
{
	struct host_device *device = host_find_device(ctx->host, path);
	ssize_t k = device && !device->is_mirror ? md_mirror_view_find(mirror->view, device->dev) : -1;
	const struct md_mirror_leg *leg = k >= 0 ? &mirror->view->legs[k] : NULL;

	return leg && leg->present && leg->fresh &&
	       (leg->state == MD_LEG_RECOVERING || leg->state == MD_LEG_REPLACEMENT);
}

/* A leg whose device is gone (a disk pulled): md still lists it, faulty, and it goes by its kernel name. */
static int kernel_remove_vanished(struct handler_ctx *ctx, struct host_device *mirror, const char *path,
				  struct json_object **ret, struct rpc_error *e)
{
	struct vg_error err = { 0 };
	char name[64];
	int r;

	snprintf(name, sizeof(name), "%s", mirror->path);
	if (ctx->dry_run) {
		*ret = json_object_new_object();
		json_object_object_add(*ret, "dry_run", json_object_new_boolean(true));
		json_object_object_add(*ret, "mirror", host_mirror_json(ctx->host, mirror));
		return 0;
	}
	r = host_mirror_kernel_retire(ctx->host, mirror->md_array, path, &err);
	if (r < 0)
		return rpc_error_set(e, RPC_REFUSED, r, "device", "%s is not a leg of mirror %s: %s", path, name,
				     err.message);
	struct json_object *fields = json_object_new_object();
	json_object_object_add(fields, "mirror", json_object_new_string(name));
	server_publish_event(ctx->server, "mirror.leg_removed", fields);
	return rescan_and_show(ctx, name, ret, e);
}

static int mirror_leg_op(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
			 struct rpc_error *e, enum leg_op op)
{
	struct host_device *mirror, *fresh = NULL;
	const char *path = NULL, *new_path = NULL;
	struct md_mirror_options opts = { .zero_bytes = 1 << 20 };
	struct vg_error err = { 0 };
	bool spare = false, force = false, stopped = false;
	uint32_t retire_dev_number = UINT32_MAX;
	char name[64];
	ssize_t leg = -1;
	int r;

	if ((r = rpc_params_only(params, PARAMS("name", "device", "old", "new", "spare", "force"), e)) < 0)
		return r;
	if ((r = settle_all(ctx, e)) < 0)
		return r;
	mirror = mirror_param(ctx, params, e);
	if (!mirror)
		return e->errno_code;
	snprintf(name, sizeof(name), "%s", mirror->path);
	if ((r = refuse_if_busy(ctx, name, e)) < 0)
		return r;
	if ((r = rpc_param_bool(params, "spare", &spare, e)) < 0 && r != -ENOENT)
		return r;
	if ((r = rpc_param_bool(params, "force", &force, e)) < 0 && r != -ENOENT)
		return r;
	opts.force = force;
	if (op == LEG_REPLACE) {
		if ((r = rpc_param_string(params, "old", true, &path, e)) < 0 ||
		    (r = rpc_param_string(params, "new", true, &new_path, e)) < 0)
			return r;
	} else if ((r = rpc_param_string(params, "device", true, op == LEG_ADD ? &new_path : &path, e)) < 0) {
		return r;
	}
	if (op == LEG_ADD && !spare && ctx->host->config->activation == ACTIVATION_NONE &&
	    resumable_leg(ctx, mirror, new_path)) {
		if (ctx->dry_run) {
			*ret = json_object_new_object();
			json_object_object_add(*ret, "dry_run", json_object_new_boolean(true));
			json_object_object_add(*ret, "mirror", host_mirror_json(ctx->host, mirror));
			return 0;
		}
		return start_copy(ctx, name, "mirror.recover", UINT32_MAX, ret, e);
	}
	if (ctx->host->activation && op == LEG_REMOVE && mirror->md_array && access(path, F_OK) < 0)
		return kernel_remove_vanished(ctx, mirror, path, ret, e);
	if (path && (leg = leg_param(ctx, mirror, path, op == LEG_REPLACE ? "old" : "device", e)) < 0)
		return e->errno_code;
	if (new_path && !(fresh = free_device_param(ctx, new_path, op == LEG_ADD ? "device" : "new", e)))
		return e->errno_code;
	if (ctx->dry_run) {
		*ret = json_object_new_object();
		json_object_object_add(*ret, "dry_run", json_object_new_boolean(true));
		json_object_object_add(*ret, "mirror", host_mirror_json(ctx->host, mirror));
		return 0;
	}
	if (ctx->host->activation)
		return kernel_leg_op(ctx, mirror, op, leg, fresh, ret, e);
	/* the mirror device must not write while legs change under it */
	r = quiesce_mirror(mirror, e);
	if (r < 0)
		return r;
	if (op == LEG_ADD || op == LEG_REPLACE) {
		opts.progress = stop_after_metadata;
		opts.userdata = &stopped;
		opts.copy_chunk_bytes = 4096;
	}
	/* a replaced leg that no longer serves is failed at once and taken out once the copy is done */
	if (op == LEG_REPLACE && !(mirror->view->legs[leg].present && mirror->view->legs[leg].fresh &&
				   mirror->view->legs[leg].state == MD_LEG_IN_SYNC))
		retire_dev_number = mirror->view->legs[leg].dev_number;
	switch (op) {
	case LEG_FAIL:
		r = md_mirror_fail(mirror->view, (size_t)leg, &opts, &err);
		break;
	case LEG_REMOVE:
		r = md_mirror_remove(mirror->view, (size_t)leg, &opts, &err);
		break;
	case LEG_ADD:
		r = md_mirror_add(mirror->view, fresh->dev, spare ? MD_ADD_SPARE : MD_ADD_AUTO, &opts, NULL, &err);
		break;
	case LEG_REPLACE:
		r = md_mirror_replace(mirror->view, (size_t)leg, fresh->dev, &opts, &err);
		break;
	}
	if (r == -EINPROGRESS && stopped)
		return start_copy(ctx, name, op == LEG_ADD ? "mirror.add_leg" : "mirror.replace_leg", retire_dev_number,
				  ret, e);
	if (r < 0) {
		struct rpc_error ignored;
		struct json_object *unused = NULL;

		refuse(e, &err, r);
		rescan_and_show(ctx, NULL, &unused, &ignored);
		json_object_put(unused);
		return r;
	}
	struct json_object *fields = json_object_new_object();
	json_object_object_add(fields, "mirror", json_object_new_string(name));
	server_publish_event(ctx->server, op == LEG_FAIL ? "mirror.degraded" : op == LEG_REMOVE ? "mirror.leg_removed"
					  : "mirror.spare_added", fields);
	return rescan_and_show(ctx, name, ret, e);
}

static int mirror_fail_leg(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret, struct rpc_error *e)
{
	return mirror_leg_op(ctx, params, ret, e, LEG_FAIL);
}

static int mirror_remove_leg(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret, struct rpc_error *e)
{
	return mirror_leg_op(ctx, params, ret, e, LEG_REMOVE);
}

static int mirror_add_leg(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret, struct rpc_error *e)
{
	return mirror_leg_op(ctx, params, ret, e, LEG_ADD);
}

static int mirror_replace_leg(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret, struct rpc_error *e)
{
	return mirror_leg_op(ctx, params, ret, e, LEG_REPLACE);
}

/*
 * Dissolve: the mirror's legs become plain devices. The first fresh leg
 * keeps the data, so a PV on the mirror is now that leg; the others have
 * their start zeroed so no duplicate PV appears.
 */
static int mirror_dissolve(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
			   struct rpc_error *e)
{
	struct host_device *mirror;
	struct md_mirror_options opts = { .zero_bytes = 1 << 20 };
	struct vg_error err = { 0 };
	struct json_object *devices;
	int r;

	if ((r = rpc_params_only(params, PARAMS("name"), e)) < 0 || (r = settle_all(ctx, e)) < 0)
		return r;
	mirror = mirror_param(ctx, params, e);
	if (!mirror)
		return e->errno_code;
	if ((r = refuse_if_busy(ctx, mirror->path, e)) < 0)
		return r;
	devices = json_object_new_array();
	for (size_t l = 0; l < mirror->view->n_legs; l++)
		for (size_t i = 0; i < ctx->host->n_devices; i++)
			if (mirror->view->legs[l].dev && ctx->host->devices[i]->dev == mirror->view->legs[l].dev)
				json_object_array_add(devices, json_object_new_string(ctx->host->devices[i]->path));
	if (ctx->dry_run) {
		*ret = json_object_new_object();
		json_object_object_add(*ret, "dry_run", json_object_new_boolean(true));
		json_object_object_add(*ret, "devices", devices);
		return 0;
	}
	r = quiesce_mirror(mirror, e);
	if (r < 0) {
		json_object_put(devices);
		return r;
	}
	if (ctx->host->activation && mirror->md_array)
		r = host_mirror_kernel_dissolve(ctx->host, mirror, &opts, &err);
	else
		r = md_mirror_dissolve(mirror->view, -1, &opts, &err);
	if (r < 0) {
		json_object_put(devices);
		return refuse_after_rescan(ctx, e, &err, r);
	}
	r = rescan_and_show(ctx, NULL, ret, e);
	if (r < 0) {
		json_object_put(devices);
		return r;
	}
	json_object_object_add(*ret, "devices", devices);
	return 0;
}



/* md scrubs in the background: started here, followed in mirror.show (kernel.sync_action, kernel.mismatch_cnt). */
static int kernel_scrub(struct handler_ctx *ctx, struct host_device *mirror, const char *action,
			struct json_object **ret, struct rpc_error *e)
{
	bool repair = streq(action, "repair");
	struct vg_error err = { 0 };
	struct job *job = NULL;
	char name[64];
	int r;

	snprintf(name, sizeof(name), "%s", mirror->path);
	if (!mirror->md_array)
		return rpc_error_set(e, RPC_REFUSED, -ENODEV, "name", "mirror %s is not running in md", name);
	if (!ctx->dry_run) {
		r = ctx->host->activation->md->scrub(mirror->md_array, repair ? MD_SCRUB_REPAIR : MD_SCRUB_CHECK, &err);
		if (r == 0)
			r = job_md_follow_start(server_jobs(ctx->server), ctx->host,
						repair ? "mirror.scrub.repair" : "mirror.scrub", name, NULL, &job, &err);
		if (r < 0)
			return refuse(e, &err, r);
	}
	*ret = json_object_new_object();
	json_object_object_add(*ret, "mirror", host_mirror_json(ctx->host, mirror));
	json_object_object_add(*ret, "action", json_object_new_string(action));
	if (job)
		json_object_object_add(*ret, "job", job_json(job));
	else
		json_object_object_add(*ret, "dry_run", json_object_new_boolean(true));
	return 0;
}

static void publish_md_change(void *userdata, const char *event, const char *mirror, const char *md_array,
			      uint32_t degraded, const char *faulty)
{
	struct json_object *fields = json_object_new_object();

	json_object_object_add(fields, "mirror", json_object_new_string(mirror));
	json_object_object_add(fields, "md_array", json_object_new_string(md_array));
	json_object_object_add(fields, "degraded_slots", json_object_new_uint64(degraded));
	json_object_object_add(fields, "faulty", json_object_new_string(faulty));
	server_publish_event(userdata, event, fields);
}

void handlers_watch_kernel(struct server *server, struct host *host)
{
	if (host_watch_md(host, publish_md_change, server) < 0)
		vg_log(LOG_ERR, "watching md arrays: out of memory");
}

/*
 * Compare the legs (check), or make them equal to the source leg (repair),
 * as md's sync_action does: a job, whose result has the counts.
 */
static int mirror_scrub(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
			struct rpc_error *e)
{
	struct host_device *mirror;
	const char *action = "check";
	struct vg_error err = { 0 };
	struct job *job;
	char name[64];
	int r;

	if ((r = rpc_params_only(params, PARAMS("name", "action"), e)) < 0 || (r = settle_all(ctx, e)) < 0)
		return r;
	mirror = mirror_param(ctx, params, e);
	if (!mirror)
		return e->errno_code;
	if ((r = refuse_if_busy(ctx, mirror->path, e)) < 0)
		return r;
	r = rpc_param_string(params, "action", false, &action, e);
	if (r < 0 && r != -ENOENT)
		return r;
	if (!streq(action, "check") && !streq(action, "repair"))
		return rpc_error_set(e, RPC_INVALID_PARAMS, -EINVAL, "action", "action must be check or repair, not \"%s\"", action);
	if (ctx->dry_run && streq(action, "repair"))
		action = "check";
	snprintf(name, sizeof(name), "%s", mirror->path);
	if (ctx->host->activation)
		return kernel_scrub(ctx, mirror, action, ret, e);
	/* a dry run compares (reads only) and reports what a repair would rewrite */
	r = job_scrub_start(server_jobs(ctx->server), ctx->host, name, streq(action, "repair"), &job, &err);
	if (r < 0)
		return refuse(e, &err, r);
	*ret = json_object_new_object();
	json_object_object_add(*ret, "mirror", host_mirror_json(ctx->host, mirror));
	json_object_object_add(*ret, "action", json_object_new_string(action));
	json_object_object_add(*ret, "job", job_json(job));
	return 0;
}

/* The mirror goes away; its legs become free devices. Refused while a VG uses it. */
static int mirror_remove(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
			 struct rpc_error *e)
{
	struct host_device *mirror;
	const char *name, *vg;
	int r;

	if ((r = rpc_params_only(params, PARAMS("name"), e)) < 0 || (r = rpc_param_string(params, "name", true, &name, e)) < 0)
		return r;
	mirror = host_find_mirror(ctx->host, name);
	if (!mirror) {
		*ret = json_object_new_object(); /* gone already: nothing to do */
		return 0;
	}
	if (mirror->is_pv && (vg = vg_of_pv(ctx->host, mirror->label.pv_uuid)))
		return rpc_error_set(e, RPC_REFUSED, -EBUSY, "name",
				     "mirror %s is a PV of VG %s: take it out of the VG first (vg reduce), or dissolve it", name, vg);
	return mirror_dissolve(ctx, params, ret, e);
}

/* ---- moving data: pv.move, pv.evacuate ---- */

static struct json_object *pv_ref_json(const struct vg *vg, size_t pv, uint64_t pe)
{
	struct json_object *obj = json_object_new_object();
	const char *device = vg->pvs[pv]->device_hint;

	json_object_object_add(obj, "pv", json_object_new_string(device ? device : vg->pvs[pv]->id));
	json_object_object_add(obj, "pe", json_object_new_uint64(pe));
	return obj;
}

/* What a move would do: {source, evacuate, extents, bytes, chunks: [{lv, lv_start_extent, extents, from, to}]}. */
static struct json_object *move_plan_json(const struct vg *vg, const struct pv_move_plan *plan)
{
	struct json_object *obj = json_object_new_object(), *chunks = json_object_new_array();
	const char *source = vg->pvs[plan->source_pv_index]->device_hint;

	json_object_object_add(obj, "vg", json_object_new_string(vg->name));
	json_object_object_add(obj, "source", json_object_new_string(source ? source : vg->pvs[plan->source_pv_index]->id));
	json_object_object_add(obj, "evacuate", json_object_new_boolean(plan->evacuate));
	json_object_object_add(obj, "extents", json_object_new_uint64(plan->total_extents));
	json_object_object_add(obj, "bytes", json_object_new_uint64(plan->total_extents * plan->extent_bytes));
	for (size_t i = 0; i < plan->n_chunks; i++) {
		const struct pv_move_chunk *c = &plan->chunks[i];
		struct json_object *jc = json_object_new_object();

		json_object_object_add(jc, "lv", c->lv_name ? json_object_new_string(c->lv_name) : NULL);
		json_object_object_add(jc, "lv_start_extent", json_object_new_uint64(c->lv_start_extent));
		json_object_object_add(jc, "extents", json_object_new_uint64(c->extent_count));
		json_object_object_add(jc, "from", pv_ref_json(vg, c->src_pv_index, c->src_pe));
		json_object_object_add(jc, "to", pv_ref_json(vg, c->dst_pv_index, c->dst_pe));
		json_object_array_add(chunks, jc);
	}
	json_object_object_add(obj, "chunks", chunks);
	return obj;
}

/* The destinations named in "to", as PV ids of VG @vg_name. */
static int move_destinations(struct handler_ctx *ctx, struct json_object *params, const char *vg_name,
			     const char ***ret_ids, size_t *ret_n, struct rpc_error *e)
{
	_cleanup_free_ const char **paths = NULL;
	_cleanup_free_ const char **ids = NULL;
	size_t n = 0;
	int r = rpc_param_strings(params, "to", false, &paths, &n, e);

	*ret_ids = NULL;
	*ret_n = 0;
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	ids = calloc(n + 1, sizeof(*ids));
	if (!ids)
		return rpc_error_set(e, RPC_INTERNAL_ERROR, -ENOMEM, NULL, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct host_device *device = device_param(ctx, paths[i], "to", e);
		const char *owner;

		if (!device)
			return e->errno_code;
		owner = device->is_pv ? vg_of_pv(ctx->host, device->label.pv_uuid) : NULL;
		if (!owner)
			return rpc_error_set(e, RPC_REFUSED, -ENOENT, "to",
					     "%s is not a PV of VG %s: add it first (vgtool vg extend %s %s)", paths[i],
					     vg_name, vg_name, paths[i]);
		if (!streq(owner, vg_name))
			return rpc_error_set(e, RPC_REFUSED, -ENOENT, "to",
					     "%s is a PV of VG %s, not of VG %s: data moves only between PVs of one VG",
					     paths[i], owner, vg_name);
		ids[i] = device->label.pv_uuid;
	}
	*ret_ids = TAKE_PTR(ids);
	*ret_n = n;
	return 0;
}

/*
 * pv.move and pv.evacuate: every refusal now, before anything is written;
 * then the start of the move is committed and the copy runs as a job.
 */
static int start_move(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
		      struct rpc_error *e, bool evacuate)
{
	const char *path, *vg_name = NULL, *lv_name = NULL, *owner;
	_cleanup_free_ const char **dest_ids = NULL;
	_cleanup_(pv_move_plan_freep) struct pv_move_plan *plan = NULL;
	size_t n_dest = 0;
	struct size_spec bandwidth = { 0 };
	struct pv_move_request req = { 0 };
	struct host_device *source;
	struct host_vg *hvg;
	struct vg_error err = { 0 };
	struct job *job;
	char name[256], lv_vg[256];
	int r;

	if ((r = rpc_params_only(params, PARAMS("vg", "pv", "to", "lv", "bandwidth"), e)) < 0 ||
	    (r = rpc_param_string(params, "pv", true, &path, e)) < 0)
		return r;
	if ((r = rpc_param_string(params, "vg", false, &vg_name, e)) < 0 && r != -ENOENT)
		return r;
	if ((r = rpc_param_string(params, "lv", false, &lv_name, e)) < 0 && r != -ENOENT)
		return r;
	if (evacuate && lv_name)
		return rpc_error_set(e, RPC_INVALID_PARAMS, -EINVAL, "lv",
				     "an evacuation moves every LV off the PV: leave lv out, or use pv.move");
	if (lv_name && strchr(lv_name, '/')) {
		/* "VG/LV", as the command line names LVs */
		const char *slash = strchr(lv_name, '/');

		if (vg_name && (strlen(vg_name) != (size_t)(slash - lv_name) || strncmp(vg_name, lv_name, slash - lv_name)))
			return rpc_error_set(e, RPC_INVALID_PARAMS, -EINVAL, "lv", "LV %s is not in VG %s", lv_name, vg_name);
		snprintf(lv_vg, sizeof(lv_vg), "%.*s", (int)(slash - lv_name), lv_name);
		vg_name = lv_vg;
		lv_name = slash + 1;
	}
	if ((r = rpc_param_size(params, "bandwidth", false, &bandwidth, e)) < 0 && r != -ENOENT)
		return r;
	if (r == 0 && (bandwidth.sign != SIZE_SIGN_NONE || bandwidth.percent_of != SIZE_PERCENT_NONE || !bandwidth.bytes))
		return rpc_error_set(e, RPC_INVALID_PARAMS, -EINVAL, "bandwidth",
				     "bandwidth is bytes per second, such as \"20M\" or 20971520");
	source = device_param(ctx, path, "pv", e);
	if (!source)
		return e->errno_code;
	owner = source->is_pv ? vg_of_pv(ctx->host, source->label.pv_uuid) : NULL;
	if (!owner)
		return rpc_error_set(e, RPC_REFUSED, -ENOENT, "pv", "%s is not a PV of any VG: it holds no extents to move",
				     path);
	if (vg_name && !streq(vg_name, owner))
		return rpc_error_set(e, RPC_REFUSED, -ENOENT, "pv", "%s is a PV of VG %s, not of VG %s", path, owner,
				     vg_name);
	snprintf(name, sizeof(name), "%s", owner);
	hvg = host_find_vg(ctx->host, name);
	if ((r = ensure_complete(hvg, e)) < 0 || (r = settle(ctx, name, e)) < 0)
		return r;
	hvg = host_find_vg(ctx->host, name);
	if (!hvg)
		return rpc_error_set(e, RPC_REFUSED, -ENOENT, "pv", "VG %s went away", name);
	if ((r = move_destinations(ctx, params, name, &dest_ids, &n_dest, e)) < 0)
		return r;
	req = (struct pv_move_request){
		.source_pv = source->label.pv_uuid,
		.dest_pvs = n_dest ? dest_ids : NULL,
		.n_dest_pvs = n_dest,
		.lv_name = lv_name,
		.evacuate = evacuate,
		.max_chunk_extents = job_pv_move_chunk_extents(ctx->host, hvg->store->vg),
	};
	r = pv_move_plan(hvg->store->vg, &req, &plan, &err);
	if (r < 0)
		return refuse(e, &err, r);
	*ret = json_object_new_object();
	json_object_object_add(*ret, "move", move_plan_json(hvg->store->vg, plan));
	if (ctx->dry_run) {
		json_object_object_add(*ret, "dry_run", json_object_new_boolean(true));
		return 0;
	}
	r = job_pv_move_start(server_jobs(ctx->server), ctx->host, name, plan, bandwidth.bytes, &job, &err);
	if (r < 0) {
		struct vg_error rescan_err = { 0 };

		json_object_put(TAKE_PTR(*ret));
		host_rescan(ctx->host, &rescan_err);
		return refuse(e, &err, r);
	}
	json_object_object_add(*ret, "job", job_json(job));
	return 0;
}

static int pv_move_method(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
			  struct rpc_error *e)
{
	return start_move(ctx, params, ret, e, false);
}

static int pv_evacuate(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
		       struct rpc_error *e)
{
	return start_move(ctx, params, ret, e, true);
}

/* ---- capacity: plans across VGs, and their application as one job ---- */

/* Plan for params.wants on the host as it is; then answer it, or (apply) run it as a job. */
static int capacity(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
		    struct rpc_error *e, bool apply)
{
	_cleanup_free_ const char **texts = NULL;
	_cleanup_free_ struct cap_want *wants = NULL;
	_cleanup_free_ char(*names)[256] = NULL;
	_cleanup_(cap_plan_freep) struct cap_plan *plan = NULL;
	struct cap_host_model model = { 0 };
	struct json_object *redundancy = NULL;
	struct vg_error err = { 0 };
	struct job *job;
	size_t n = 0;
	int r;

	if ((r = rpc_params_only(params, PARAMS("wants", "requires_redundancy"), e)) < 0 ||
	    (r = rpc_param_strings(params, "wants", true, &texts, &n, e)) < 0)
		return r;
	if (json_object_object_get_ex(params, "requires_redundancy", &redundancy) &&
	    !json_object_is_type(redundancy, json_type_object))
		return rpc_error_set(e, RPC_INVALID_PARAMS, -EINVAL, "requires_redundancy",
				     "requires_redundancy is an object of VG names and booleans: {\"vg_bulk\": false}");
	if (apply && jobs_running_on(server_jobs(ctx->server), "capacity"))
		return rpc_error_set(e, RPC_REFUSED, -EBUSY, NULL,
				     "job %" PRIu64 " is applying a capacity plan already: wait for it (vgtool job wait)",
				     jobs_running_on(server_jobs(ctx->server), "capacity")->id);
	if ((r = settle_all(ctx, e)) < 0)
		return r;
	wants = calloc(n + 1, sizeof(*wants));
	names = calloc(n + 1, sizeof(*names));
	if (!wants || !names)
		return rpc_error_set(e, RPC_INTERNAL_ERROR, -ENOMEM, NULL, "out of memory");
	for (size_t i = 0; i < n; i++)
		if ((r = cap_want_parse(texts[i], names[i], sizeof(names[i]), &wants[i], &err)) < 0)
			return rpc_error_set(e, RPC_INVALID_PARAMS, r, "wants", "%s", err.message);
	r = cap_host_model_build(ctx->host, redundancy, &model, &err);
	if (r == 0)
		r = cap_plan_make(&model.model, wants, n, &plan, &err);
	if (r < 0) {
		cap_host_model_done(&model);
		return r == -EINVAL ? rpc_error_set(e, RPC_INVALID_PARAMS, r, "wants", "%s", err.message) : refuse(e, &err, r);
	}
	*ret = json_object_new_object();
	json_object_object_add(*ret, "plan", cap_plan_json(plan));
	if (apply && !plan->possible)
		r = rpc_error_set(e, RPC_REFUSED, -ENOSPC, "wants", "no plan reaches what is wanted: %s", plan->reason);
	else if (apply && ctx->dry_run)
		json_object_object_add(*ret, "dry_run", json_object_new_boolean(true));
	else if (apply && plan->n_steps > 0 &&
		 (r = job_capacity_apply_start(server_jobs(ctx->server), ctx->server, JOB_CAPACITY_APPLY_KIND,
						  "capacity", plan, &job, &err)) < 0)
		r = refuse(e, &err, r);
	else if (apply && plan->n_steps > 0)
		json_object_object_add(*ret, "job", job_json(job));
	cap_host_model_done(&model);
	if (r < 0)
		json_object_put(TAKE_PTR(*ret));
	return r;
}

static int capacity_plan(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
			 struct rpc_error *e)
{
	return capacity(ctx, params, ret, e, false);
}

static int capacity_apply(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
			  struct rpc_error *e)
{
	return capacity(ctx, params, ret, e, true);
}

/* ---- activation, metadata, jobs ---- */

static int refuse_no_activation(struct rpc_error *e)
{
	return rpc_error_set(e, RPC_REFUSED, -ENOTSUP, NULL,
			     "vgtoold runs with activation = \"none\": LVs are metadata only here; set daemon/activation = "
			     "\"kernel\" on a host with device-mapper to activate them");
}

/* Kernel backend only: make an LV a block device, or take its device away. */
static int lv_activation(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
			 struct rpc_error *e, bool activate)
{
	struct host_vg *hvg;
	const struct vg_lv *lv;
	const char *name;
	bool force = false, read_only = false;
	struct vg_error err = { 0 };
	int r;

	if ((r = rpc_params_only(params, activate ? PARAMS("vg", "name", "read_only") : PARAMS("vg", "name", "force"), e)) < 0 ||
	    (r = lv_params(ctx, params, &hvg, &name, e)) < 0)
		return r;
	if ((r = rpc_param_bool(params, activate ? "read_only" : "force", activate ? &read_only : &force, e)) < 0 &&
	    r != -ENOENT)
		return r;
	if ((r = settle(ctx, hvg->store->vg->name, e)) < 0)
		return r;
	lv = vg_find_lv(hvg->store->vg, name);
	if (!lv)
		return rpc_error_set(e, RPC_REFUSED, -ENOENT, "name", "VG %s has no LV called %s", hvg->store->vg->name, name);
	if (!ctx->host->activation)
		return refuse_no_activation(e);
	if (!ctx->dry_run) {
		if (activate) {
			if ((r = ensure_pvs_here(hvg, e)) < 0)
				return r;
			r = host_lv_activate(ctx->host, hvg, lv, read_only, NULL, &err);
		} else {
			r = activation_lv_deactivate(ctx->host->activation, hvg->store->vg, lv, force, &err);
		}
		if (r < 0)
			return refuse(e, &err, r);
	}
	*ret = json_object_new_object();
	if (ctx->dry_run)
		json_object_object_add(*ret, "dry_run", json_object_new_boolean(true));
	json_object_object_add(*ret, "lv", host_lv_json(ctx->host, hvg->store->vg, lv));
	return 0;
}

/* Every visible LV of a VG at once (vgchange -ay / -an); each LV is attempted, the first failure reported. */
static int vg_activation(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
			 struct rpc_error *e, bool activate)
{
	struct host_vg *hvg;
	bool force = false, read_only = false;
	struct vg_error err = { 0 };
	size_t n_done = 0;
	int r;

	if ((r = rpc_params_only(params, activate ? PARAMS("name", "read_only") : PARAMS("name", "force"), e)) < 0)
		return r;
	hvg = vg_param(ctx, params, "name", e);
	if (!hvg)
		return e->errno_code;
	if ((r = rpc_param_bool(params, activate ? "read_only" : "force", activate ? &read_only : &force, e)) < 0 &&
	    r != -ENOENT)
		return r;
	if ((r = settle(ctx, hvg->store->vg->name, e)) < 0)
		return r;
	if (!ctx->host->activation)
		return refuse_no_activation(e);
	if (activate && (r = ensure_pvs_here(hvg, e)) < 0)
		return r;
	if (!ctx->dry_run && (r = host_vg_set_active(ctx->host, hvg, activate, read_only, force, &n_done, &err)) < 0)
		return refuse(e, &err, r);
	*ret = json_object_new_object();
	json_object_object_add(*ret, "vg", json_object_new_string(hvg->store->vg->name));
	json_object_object_add(*ret, activate ? "active_lvs" : "inactive_lvs", json_object_new_uint64(n_done));
	if (ctx->dry_run)
		json_object_object_add(*ret, "dry_run", json_object_new_boolean(true));
	return 0;
}

static int vg_activate(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
		       struct rpc_error *e)
{
	return vg_activation(ctx, params, ret, e, true);
}

static int vg_deactivate(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
			 struct rpc_error *e)
{
	return vg_activation(ctx, params, ret, e, false);
}

static int lv_activate(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
		       struct rpc_error *e)
{
	return lv_activation(ctx, params, ret, e, true);
}

static int lv_deactivate(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
			 struct rpc_error *e)
{
	return lv_activation(ctx, params, ret, e, false);
}

static int metadata_backup(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
			   struct rpc_error *e)
{
	struct host_vg *hvg;
	struct vg_text_header header;
	char description[128], path[4096];
	struct vg_error err = { 0 };
	int r;

	if ((r = rpc_params_only(params, PARAMS("vg"), e)) < 0)
		return r;
	hvg = vg_param(ctx, params, "vg", e);
	if (!hvg)
		return e->errno_code;
	/* a backup the last commits left due goes first, so the archive keeps every version */
	host_flush_backups(ctx->host);
	if (!ctx->dry_run) {
		host_text_header(ctx->host, "vgtool metadata backup", &header, description, sizeof(description));
		r = vg_backup_write(ctx->host->config->state_dir, hvg->store->vg, &header, &hvg->store->backup_policy, &err);
		if (r < 0)
			return refuse(e, &err, r);
	}
	snprintf(path, sizeof(path), "%s/backup/%s", ctx->host->config->state_dir, hvg->store->vg->name);
	*ret = json_object_new_object();
	json_object_object_add(*ret, "path", json_object_new_string(path));
	return 0;
}

static int metadata_history(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
			    struct rpc_error *e)
{
	const char *name;
	struct vg_archive_entry *entries = NULL;
	struct vg_error err = { 0 };
	struct json_object *versions;
	size_t n = 0;
	int r;

	if ((r = rpc_param_string(params, "vg", true, &name, e)) < 0)
		return r;
	host_flush_backups(ctx->host);
	r = vg_archive_list(ctx->host->config->state_dir, name, &entries, &n, &err);
	if (r < 0)
		return refuse(e, &err, r);
	versions = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct json_object *v = json_object_new_object();

		json_object_object_add(v, "seqno", json_object_new_uint64(entries[i].seqno));
		json_object_object_add(v, "time", json_object_new_int64(entries[i].mtime));
		json_object_object_add(v, "file", json_object_new_string(entries[i].path));
		json_object_array_add(versions, v);
	}
	vg_archive_list_free(entries, n);
	*ret = json_object_new_object();
	json_object_object_add(*ret, "versions", versions);
	return 0;
}

/*
 * Bring back an archived version as the next seqno, as vgcfgrestore does:
 * refused unless it describes exactly the PVs the VG has now.
 */
static int metadata_restore(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
			    struct rpc_error *e)
{
	struct host_vg *hvg;
	const char *file = NULL;
	char name[256];
	uint64_t seqno = 0;
	struct vg_archive_entry *entries = NULL;
	size_t n = 0;
	_cleanup_free_ char *text = NULL, *chosen = NULL;
	struct vg *old = NULL;
	struct vg_error err = { 0 };
	FILE *f;
	long size;
	int r;

	if ((r = rpc_params_only(params, PARAMS("vg", "seqno", "file"), e)) < 0)
		return r;
	hvg = vg_param(ctx, params, "vg", e);
	if (!hvg)
		return e->errno_code;
	/* a copy: settling the VG below replaces the model the name lives in */
	snprintf(name, sizeof(name), "%s", hvg->store->vg->name);
	r = rpc_param_string(params, "file", false, &file, e);
	if (r < 0 && r != -ENOENT)
		return r;
	if (!file) {
		if ((r = rpc_param_u64(params, "seqno", true, &seqno, e)) < 0)
			return r;
		host_flush_backups(ctx->host);
		r = vg_archive_list(ctx->host->config->state_dir, name, &entries, &n, &err);
		if (r < 0)
			return refuse(e, &err, r);
		for (size_t i = 0; i < n && !chosen; i++)
			if (entries[i].seqno == seqno)
				chosen = strdup(entries[i].path);
		vg_archive_list_free(entries, n);
		if (!chosen)
			return rpc_error_set(e, RPC_REFUSED, -ENOENT, "seqno", "no archived version %" PRIu64 " of VG %s", seqno, name);
		file = chosen;
	}
	if ((r = ensure_complete(hvg, e)) < 0 || (r = settle(ctx, name, e)) < 0)
		return r;
	hvg = host_find_vg(ctx->host, name);
	f = fopen(file, "re");
	if (!f)
		return rpc_error_set(e, RPC_REFUSED, -errno, "file", "cannot read %s: %s", file, strerror(errno));
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 0, SEEK_SET);
	text = size > 0 && size < (64 << 20) ? malloc((size_t)size + 1) : NULL;
	if (!text || fread(text, 1, (size_t)size, f) != (size_t)size) {
		fclose(f);
		return rpc_error_set(e, RPC_REFUSED, -EIO, "file", "cannot read %s", file);
	}
	fclose(f);
	text[size] = '\0';
	r = vg_text_parse(text, (size_t)size, &old, &err);
	if (r < 0)
		return refuse(e, &err, r);
	r = vg_validate(old, &err);
	if (r < 0 || !streq(old->id, hvg->store->vg->id) || old->n_pvs != hvg->store->vg->n_pvs) {
		vg_free(old);
		if (r < 0)
			return refuse(e, &err, r);
		return rpc_error_set(e, RPC_REFUSED, -EINVAL, "file",
				     "%s describes another VG or other PVs than VG %s has now; refusing to restore it", file, name);
	}
	for (size_t p = 0; p < old->n_pvs; p++)
		if (vg_find_pv_by_id(hvg->store->vg, old->pvs[p]->id) < 0) {
			vg_free(old);
			return rpc_error_set(e, RPC_REFUSED, -EINVAL, "file", "%s names PV %s, which VG %s does not have", file,
					     old->pvs[p]->id, name);
		}
	if (ctx->dry_run) {
		*ret = plan_json(ctx->host, old, "restore an archived version");
		vg_free(old);
		return 0;
	}
	r = commit_now(ctx, hvg, old, NULL, 0, "vgtool metadata restore", e);
	if (r < 0)
		return r;
	*ret = json_object_new_object();
	json_object_object_add(*ret, "vg", host_vg_json(ctx->host, host_find_vg(ctx->host, name), true));
	return 0;
}

/* Long work (a mirror leg's copy) runs as a job, stepped by the server between requests. */
static int job_list(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
		    struct rpc_error *e)
{
	*ret = json_object_new_object();
	json_object_object_add(*ret, "jobs", jobs_json(server_jobs(ctx->server)));
	return 0;
}

static struct job *job_param(struct handler_ctx *ctx, struct json_object *params, struct rpc_error *e)
{
	uint64_t id = 0;
	struct job *job;

	if (rpc_params_only(params, PARAMS("id"), e) < 0 || rpc_param_u64(params, "id", true, &id, e) < 0)
		return NULL;
	job = jobs_find(server_jobs(ctx->server), id);
	if (!job)
		rpc_error_set(e, RPC_REFUSED, -ENOENT, "id", "there is no job %" PRIu64 " (vgtool job list shows them)", id);
	return job;
}

static int job_show(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
		    struct rpc_error *e)
{
	struct job *job = job_param(ctx, params, e);

	if (!job)
		return e->errno_code;
	*ret = json_object_new_object();
	json_object_object_add(*ret, "job", job_json(job));
	return 0;
}

/*
 * Stop a job where it can resume, then read the host again so a mirror's
 * device starts from the superblocks the stop wrote. A job that ended
 * already is left as it is: nothing to do.
 */
static int job_cancel(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
		      struct rpc_error *e)
{
	struct job *job = job_param(ctx, params, e), *running;
	struct json_object *unused = NULL;
	struct vg_error err = { 0 };
	bool stuck_move;
	int r;

	if (!job)
		return e->errno_code;
	/* a move whose job failed is still in the metadata: cancelling the job aborts it */
	stuck_move = job->state == JOB_FAILED && job_is_pv_move(job);
	if (stuck_move && (running = jobs_running_on(server_jobs(ctx->server), job->target)))
		return rpc_error_set(e, RPC_REFUSED, -EBUSY, "id",
				     "job %" PRIu64 " failed; VG %s is job %" PRIu64 "'s (%s) now: cancel that one", job->id,
				     job->target, running->id, running->kind);
	if ((job->state == JOB_RUNNING || stuck_move) && !ctx->dry_run) {
		if ((r = settle_all(ctx, e)) < 0)
			return r;
		/* a move's cancel is its abort: one commit, the chunks moved so far stay moved */
		r = job_is_pv_move(job) ? job_pv_move_abort(job, ctx->host, &err) : 0;
		if (r >= 0)
			r = jobs_cancel(server_jobs(ctx->server), job, &err);
		if (r < 0)
			return refuse(e, &err, r);
		r = rescan_and_show(ctx, NULL, &unused, e);
		json_object_put(unused);
		if (r < 0)
			return r;
	}
	*ret = json_object_new_object();
	json_object_object_add(*ret, "job", job_json(job));
	return 0;
}

/* ---- events ---- */

static int events_subscribe(struct handler_ctx *ctx, struct json_object *params, struct json_object **ret,
			    struct rpc_error *e)
{
	uint64_t since = 0;
	int r = rpc_param_u64(params, "since", false, &since, e);

	if (r < 0 && r != -ENOENT)
		return r;
	if (r == -ENOENT)
		since = UINT64_MAX; /* from now on: no backlog */
	if (!ctx->id)
		return rpc_error_set(e, RPC_INVALID_REQUEST, -EINVAL, "id", "events.subscribe needs an id");
	return server_subscribe(ctx, since, ret, e);
}

static const struct handler_entry handlers[] = {
	{ "host.status", false, host_status },
	{ "disk.list", false, disk_list },
	{ "mirror.create", true, mirror_create },
	{ "mirror.list", false, mirror_list },
	{ "mirror.show", false, mirror_show },
	{ "mirror.add_leg", true, mirror_add_leg },
	{ "mirror.replace_leg", true, mirror_replace_leg },
	{ "mirror.fail_leg", true, mirror_fail_leg },
	{ "mirror.remove_leg", true, mirror_remove_leg },
	{ "mirror.dissolve", true, mirror_dissolve },
	{ "mirror.scrub", true, mirror_scrub },
	{ "mirror.remove", true, mirror_remove },
	{ "pv.create", true, pv_create_method },
	{ "pv.list", false, pv_list },
	{ "pv.remove", true, pv_remove },
	{ "pv.move", true, pv_move_method },
	{ "pv.evacuate", true, pv_evacuate },
	{ "capacity.plan", false, capacity_plan },
	{ "capacity.apply", true, capacity_apply },
	{ "vg.create", true, vg_create_method },
	{ "vg.list", false, vg_list },
	{ "vg.show", false, vg_show },
	{ "vg.extend", true, vg_extend },
	{ "vg.reduce", true, vg_reduce },
	{ "vg.rename", true, vg_rename },
	{ "vg.remove", true, vg_remove },
	{ "vg.split", true, vg_split },
	{ "vg.merge", true, vg_merge },
	{ "vg.move_pv", true, vg_move_pv },
	{ "lv.create", true, lv_create },
	{ "lv.list", false, lv_list },
	{ "lv.show", false, lv_show },
	{ "lv.resize", true, lv_resize },
	{ "lv.rename", true, lv_rename },
	{ "lv.remove", true, lv_remove },
	{ "vg.activate", true, vg_activate },
	{ "vg.deactivate", true, vg_deactivate },
	{ "lv.activate", true, lv_activate },
	{ "lv.deactivate", true, lv_deactivate },
	{ "metadata.backup", true, metadata_backup },
	{ "metadata.history", false, metadata_history },
	{ "metadata.restore", true, metadata_restore },
	{ "job.list", false, job_list },
	{ "job.show", false, job_show },
	{ "job.cancel", true, job_cancel },
	{ "events.subscribe", false, events_subscribe },
};

const struct handler_entry *handler_find(const char *method)
{
	for (size_t i = 0; i < ARRAY_SIZE(handlers); i++)
		if (streq(handlers[i].method, method))
			return &handlers[i];
	return NULL;
}
