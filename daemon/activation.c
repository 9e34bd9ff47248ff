/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel activation backend as the daemon drives it (see activation.h). */
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "activation.h"
#include "fanout.h"
#include "lv-table.h"
#include "macro.h"
#include "pv-move.h"

int activation_new(struct activation **ret, struct vg_error *err)
{
	_cleanup_(activation_freep) struct activation *act = calloc(1, sizeof(*act));
	bool udev_running;
	int r;

	if (!act || !(act->dev_dir = strdup("/dev")))
		return vg_error_set(err, -ENOMEM, "out of memory");
	act->md = &md_kernel_linux;
	/* With udev, its rules and ours agree on nodes (cookies); without it libdm makes them. */
	udev_running = access("/run/udev/control", F_OK) == 0 && !getenv("DM_DISABLE_UDEV");
	r = dmctl_libdm_new(udev_running, &act->dm, err);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(act);
	return 0;
}

struct activation *activation_free(struct activation *act)
{
	if (!act)
		return NULL;
	dmctl_free(act->dm);
	free(act->dev_dir);
	free(act);
	return NULL;
}

int activation_md_name(const char *mirror_name, char ret_name[32], struct vg_error *err)
{
	const char *digits = strncmp(mirror_name, "md", 2) == 0 ? mirror_name + 2 : NULL;
	int n;

	if (digits && *digits && strspn(digits, "0123456789") == strlen(digits))
		n = snprintf(ret_name, 32, "%s", mirror_name);
	else
		n = snprintf(ret_name, 32, "md_%s", mirror_name);
	if (n < 0 || n >= 32)
		return vg_error_set(err, -ENAMETOOLONG, "mirror name %s is too long for an md array name", mirror_name);
	return 0;
}

struct lv_names {
	char name[LV_DM_NAME_MAX + 1];
	char uuid[LV_DM_UUID_MAX + 1];
};

static int lv_names(const struct vg *vg, const struct vg_lv *lv, struct lv_names *ret, struct vg_error *err)
{
	int r = lv_dm_name(vg->name, lv->name, ret->name, err);

	if (r < 0)
		return r;
	return lv_dm_uuid(vg->id, lv->id, ret->uuid, err);
}

int activation_lv_info(struct activation *act, const struct vg *vg, const struct vg_lv *lv,
		       struct dmctl_info *ret_info, struct vg_error *err)
{
	struct lv_names names;
	int r = lv_names(vg, lv, &names, err);

	if (r < 0)
		return r;
	return act->dm->ops->info(act->dm, names.name, ret_info, err);
}

/* What a table may name: the VG's PVs, and the pvmove0 device once it is active ("" until then). */
struct table_devices {
	const char *const *pv_devices;
	char move[24];
};

static const char *device_of(size_t pv_index, void *userdata)
{
	const struct table_devices *devices = userdata;

	if (pv_index == LV_TABLE_MOVE_DEVICE)
		return devices->move[0] ? devices->move : NULL;
	return devices->pv_devices[pv_index];
}

static int move_names(const struct vg *vg, struct lv_names *ret, struct vg_error *err)
{
	const struct vg_lv *move_lv = pv_move_lv(vg);

	if (!move_lv)
		return vg_error_set(err, -ENOENT, "VG %s has no move in progress", vg->name);
	return lv_names(vg, move_lv, ret, err);
}

int activation_move_info(struct activation *act, const struct vg *vg, struct dmctl_info *ret_info,
			 struct vg_error *err)
{
	struct lv_names names;
	int r = move_names(vg, &names, err);

	return r < 0 ? r : act->dm->ops->info(act->dm, names.name, ret_info, err);
}

int activation_move_load(struct activation *act, const struct vg *vg, const char *const *pv_devices, bool mirror_next,
			 struct vg_error *err)
{
	_cleanup_(lv_table_freep) struct lv_table *table = NULL;
	struct table_devices devices = { .pv_devices = pv_devices };
	struct dmctl_info info;
	struct lv_names names;
	int r;

	if ((r = move_names(vg, &names, err)) < 0 || (r = act->dm->ops->info(act->dm, names.name, &info, err)) < 0)
		return r;
	r = lv_table_build_move(vg, mirror_next, device_of, &devices, &table, err);
	if (r < 0)
		return vg_error_prefix(err, r, "LV %s/%s: ", vg->name, PV_MOVE_LV_NAME);
	/* pvmove0 stays out of /dev/VG (hidden, as lvm2 keeps it): only /dev/mapper/VG-pvmove0 */
	if (!info.exists)
		return act->dm->ops->create(act->dm, names.name, names.uuid, table, false, err);
	return act->dm->ops->reload(act->dm, names.name, table, err);
}

int activation_move_status(struct activation *act, const struct vg *vg, struct activation_move_status *ret_status,
			   struct vg_error *err)
{
	struct dmctl_status status = { 0 };
	struct activation_move_status st = { 0 };
	struct lv_names names;
	int r;

	if ((r = move_names(vg, &names, err)) < 0 || (r = act->dm->ops->status(act->dm, names.name, &status, err)) < 0)
		return r;
	for (size_t i = 0; i < status.n_rows; i++) {
		const struct dmctl_target_status *row = &status.rows[i];

		if (!streq(row->target, "mirror"))
			continue;
		if (st.mirroring) {
			r = vg_error_set(err, -EBADMSG, "%s has more than one mirror row", names.name);
			break;
		}
		r = lv_mirror_status_parse(row->params, &st.mirror, err);
		if (r < 0) {
			vg_error_prefix(err, r, "%s at sector %" PRIu64 ": ", names.name, row->start_sectors);
			break;
		}
		st.mirroring = true;
		st.start_sectors = row->start_sectors;
		st.length_sectors = row->length_sectors;
	}
	dmctl_status_done(&status);
	if (r < 0)
		return r;
	*ret_status = st;
	return 0;
}

/* pvmove0 of @vg (which still has it) taken away, once no LV maps onto it any more. */
static int move_remove(struct activation *act, const struct vg *vg, struct vg_error *err)
{
	struct dmctl_info info;
	struct lv_names names;
	int r;

	if ((r = move_names(vg, &names, err)) < 0 || (r = act->dm->ops->info(act->dm, names.name, &info, err)) < 0)
		return r;
	if (!info.exists)
		return 0;
	r = act->dm->ops->remove(act->dm, names.name, err);
	return r < 0 ? vg_error_prefix(err, r, "LV %s/%s: ", vg->name, PV_MOVE_LV_NAME) : 0;
}

/*
 * The table of @lv. One on pvmove0 maps onto pvmove0's device, which is
 * made first when it is not active yet (its mirror copies the next chunk).
 */
static int build_table(struct activation *act, const struct vg *vg, const struct vg_lv *lv,
		       const char *const *pv_devices, struct lv_table **ret_table, struct vg_error *err)
{
	struct table_devices devices = { .pv_devices = pv_devices };
	int r = 0;

	if (lv_table_uses_move(vg, lv)) {
		struct dmctl_info info;

		r = activation_move_info(act, vg, &info, err);
		if (r == 0 && !info.exists && (r = activation_move_load(act, vg, pv_devices, true, err)) == 0)
			r = activation_move_info(act, vg, &info, err);
		if (r == 0 && !info.exists)
			r = vg_error_set(err, -ENODEV, "%s was made but is not there", PV_MOVE_LV_NAME);
		if (r == 0)
			snprintf(devices.move, sizeof(devices.move), "%u:%u", info.major, info.minor);
	}
	if (r == 0)
		r = lv_table_build(vg, lv, device_of, &devices, ret_table, err);
	if (r < 0)
		vg_error_prefix(err, r, "LV %s/%s: ", vg->name, lv->name);
	return r;
}

int activation_lv_suspend(struct activation *act, const struct vg *vg, const struct vg_lv *lv, struct vg_error *err)
{
	struct lv_names names;
	int r = lv_names(vg, lv, &names, err);

	return r < 0 ? r : act->dm->ops->suspend(act->dm, names.name, err);
}

int activation_lv_resume(struct activation *act, const struct vg *vg, const struct vg_lv *lv, struct vg_error *err)
{
	struct lv_names names;
	int r = lv_names(vg, lv, &names, err);

	return r < 0 ? r : act->dm->ops->resume(act->dm, names.name, err);
}

int activation_lv_reload(struct activation *act, const struct vg *vg, const struct vg_lv *lv,
			 const char *const *pv_devices, struct vg_error *err)
{
	_cleanup_(lv_table_freep) struct lv_table *table = NULL;
	struct lv_names names;
	int r = lv_names(vg, lv, &names, err);

	if (r == 0)
		r = build_table(act, vg, lv, pv_devices, &table, err);
	return r < 0 ? r : act->dm->ops->reload(act->dm, names.name, table, err);
}

int activation_list(struct activation *act, struct dmctl_names *ret_names, struct vg_error *err)
{
	return act->dm->ops->list(act->dm, ret_names, err);
}

/*
 * /dev/VG/LV: with udev, lvm2's rules make it (the cookie was waited for), so
 * one already there is udev's and stays; without udev, or without those
 * rules, it is made here.
 */
static int make_link(struct activation *act, const struct vg *vg, const struct vg_lv *lv, const char *dm_name,
		     struct vg_error *err)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s/%s", act->dev_dir, vg->name, lv->name);
	if (act->dm->udev_sync && lstat(path, &st) == 0)
		return 0;
	return lv_link_create(act->dev_dir, vg->name, lv->name, dm_name, err);
}

int activation_lv_activate(struct activation *act, const struct vg *vg, const struct vg_lv *lv,
			   const char *const *pv_devices, bool read_only, const struct dmctl_names *active,
			   struct vg_error *err)
{
	_cleanup_(lv_table_freep) struct lv_table *table = NULL;
	struct dmctl_info info = { 0 };
	struct lv_names names;
	int r;

	if ((r = lv_names(vg, lv, &names, err)) < 0 || (r = build_table(act, vg, lv, pv_devices, &table, err)) < 0)
		return r;
	if (active)
		info.exists = dmctl_names_has(active, names.name);
	else if ((r = act->dm->ops->info(act->dm, names.name, &info, err)) < 0)
		return r;
	/* active already (a daemon restart): the table was made from this metadata; a VM's disk is not suspended for nothing */
	if (!info.exists) {
		r = act->dm->ops->create(act->dm, names.name, names.uuid, table, read_only, err);
		if (r < 0)
			return r;
	}
	return make_link(act, vg, lv, names.name, err);
}

/* A table of the same size that fails every I/O: what a forced removal leaves to the openers. */
static int error_table(uint64_t size_sectors, struct lv_table *ret_table, struct lv_table_row *ret_row)
{
	*ret_row = (struct lv_table_row){ .start_sectors = 0, .length_sectors = size_sectors, .target = "error",
					  .params = (char *)"" };
	*ret_table = (struct lv_table){ .rows = ret_row, .n_rows = 1, .size_sectors = size_sectors };
	return 0;
}

int activation_lv_deactivate(struct activation *act, const struct vg *vg, const struct vg_lv *lv, bool force,
			     struct vg_error *err)
{
	struct dmctl_info info;
	struct lv_names names;
	int r;

	if ((r = lv_names(vg, lv, &names, err)) < 0 || (r = act->dm->ops->info(act->dm, names.name, &info, err)) < 0)
		return r;
	if (info.exists && info.open_count > 0) {
		struct lv_table table;
		struct lv_table_row row;

		if (!force)
			return vg_error_set(err, -EBUSY,
					    "LV %s/%s is open (%d users: mounted, or a VM's disk); close it first, or force",
					    vg->name, lv->name, info.open_count);
		error_table(vg_lv_extents(lv) * vg->extent_size_sectors, &table, &row);
		r = act->dm->ops->reload(act->dm, names.name, &table, err);
		if (r < 0)
			return r;
		r = act->dm->ops->remove_deferred(act->dm, names.name, err);
	} else if (info.exists) {
		r = act->dm->ops->remove(act->dm, names.name, err);
	}
	if (r < 0)
		return r;
	/* udev's rules take their link away with the device */
	if (act->dm->udev_sync)
		return 0;
	return lv_link_remove(act->dev_dir, vg->name, lv->name, err);
}

static const struct vg_lv *find_lv_by_id(const struct vg *vg, const char *id)
{
	for (size_t l = 0; vg && l < vg->n_lvs; l++)
		if (streq(vg->lvs[l]->id, id))
			return vg->lvs[l];
	return NULL;
}

/* Keep the first error, count the rest. */
static void note_failure(struct vg_error *first, int *first_r, size_t *n_failed, int r, const struct vg_error *e)
{
	if ((*n_failed)++ == 0) {
		*first = *e;
		*first_r = r;
	}
}

/* Whether @a of @va and @b of @vb map the same extents of the same PVs (by PV id: indexes move). */
static bool same_segments(const struct vg *va, const struct vg_lv *a, const struct vg *vb, const struct vg_lv *b)
{
	if (va->extent_size_sectors != vb->extent_size_sectors || a->n_segments != b->n_segments)
		return false;
	for (size_t g = 0; g < a->n_segments; g++) {
		const struct vg_segment *sa = a->segments[g], *sb = b->segments[g];

		if (sa->start_extent != sb->start_extent || sa->extent_count != sb->extent_count ||
		    sa->is_striped != sb->is_striped || !sa->is_striped || sa->stripe_count != sb->stripe_count ||
		    sa->stripe_size_sectors != sb->stripe_size_sectors)
			return false;
		for (uint32_t k = 0; k < sa->stripe_count; k++)
			if (sa->stripes[k].first_pe != sb->stripes[k].first_pe ||
			    !streq(va->pvs[sa->stripes[k].pv_index]->id, vb->pvs[sb->stripes[k].pv_index]->id) ||
			    va->pvs[sa->stripes[k].pv_index]->pe_start_sectors !=
				    vb->pvs[sb->stripes[k].pv_index]->pe_start_sectors)
				return false;
	}
	return true;
}

/* @lv of @new, which was @old_lv of @old (NULL: it is new): make the kernel match. */
static int sync_lv(struct activation *act, const struct vg *old, const struct vg_lv *old_lv, const struct vg *new,
		   const struct vg_lv *lv, const char *const *pv_devices, const struct dmctl_names *active,
		   struct vg_error *err)
{
	_cleanup_(lv_table_freep) struct lv_table *table = NULL;
	struct lv_names old_names, names;
	struct dmctl_info info;
	int r;

	if (!old_lv || !old)
		return activation_lv_activate(act, new, lv, pv_devices, false, active, err);
	if ((r = lv_names(old, old_lv, &old_names, err)) < 0 || (r = lv_names(new, lv, &names, err)) < 0 ||
	    (r = act->dm->ops->info(act->dm, old_names.name, &info, err)) < 0)
		return r;
	if (!info.exists)
		return 0; /* deactivated: it stays so */
	if (!streq(old_names.name, names.name)) {
		r = act->dm->ops->rename(act->dm, old_names.name, names.name, err);
		if (r < 0)
			return r;
		if (!act->dm->udev_sync)
			(void)lv_link_remove(act->dev_dir, old->name, old_lv->name, NULL);
		r = make_link(act, new, lv, names.name, err);
		if (r < 0)
			return r;
	}
	if (!same_segments(old, old_lv, new, lv)) {
		r = build_table(act, new, lv, pv_devices, &table, err);
		if (r < 0)
			return r;
		return act->dm->ops->reload(act->dm, names.name, table, err);
	}
	return 0;
}

/*
 * A VG-pvmove0 device that the metadata no longer explains: a move ended
 * (its last commit made) but vgtoold stopped before the device went. Its
 * active LVs are reloaded off it, then it is removed, so that a later move
 * does not find it with an old table.
 */
static int drop_stale_move(struct activation *act, const struct vg *vg, const char *const *pv_devices,
			   const struct dmctl_names *active, struct vg_error *err)
{
	char name[LV_DM_NAME_MAX + 1];
	int r = lv_dm_name(vg->name, PV_MOVE_LV_NAME, name, err);

	if (r < 0 || !dmctl_names_has(active, name))
		return r;
	for (size_t l = 0; l < vg->n_lvs; l++) {
		struct lv_names names;

		if (!(vg->lvs[l]->status & LV_STATUS_VISIBLE) || lv_names(vg, vg->lvs[l], &names, err) < 0 ||
		    !dmctl_names_has(active, names.name))
			continue;
		r = activation_lv_reload(act, vg, vg->lvs[l], pv_devices, err);
		if (r < 0)
			return r;
	}
	return act->dm->ops->remove(act->dm, name, err);
}

/* One vg activate / deactivate: what each LV needs, and the tally of what happened. */
struct vg_set {
	struct activation *act;
	const struct vg *vg;
	const char *const *pv_devices;
	bool activate, read_only, force;
	const struct dmctl_names *active;
	const struct vg_lv **lvs; /* the visible LVs */
	size_t n_done, n_failed;
	struct vg_error first;
	int first_r;
};

/* Runs in a worker process when there are several (common/fanout.h). */
static int vg_set_one(size_t i, void *userdata, struct vg_error *err)
{
	struct vg_set *set = userdata;
	const struct vg_lv *lv = set->lvs[i];
	struct lv_names names;
	int r;

	if (set->activate)
		return activation_lv_activate(set->act, set->vg, lv, set->pv_devices, set->read_only, set->active, err);
	if ((r = lv_names(set->vg, lv, &names, err)) == 0 && dmctl_names_has(set->active, names.name))
		r = activation_lv_deactivate(set->act, set->vg, lv, set->force, err);
	return r;
}

static void vg_set_tally(size_t i, int r, const struct vg_error *err, void *userdata)
{
	struct vg_set *set = userdata;

	(void)i;
	if (r < 0)
		note_failure(&set->first, &set->first_r, &set->n_failed, r, err);
	else
		set->n_done++;
}

/* Below this many LVs per worker process, forking costs more than it saves. */
#define VG_SET_LVS_PER_WORKER 32

/*
 * Every visible LV of set->vg activated or deactivated, tallied in @set.
 * Each LV is the kernel's work (create, load, resume; or remove), which it
 * does side by side on several CPUs. While a move is in progress the first
 * LV on pvmove0 makes its device, so the LVs go one by one.
 */
static int vg_set_run(struct vg_set *set, struct vg_error *err)
{
	const struct vg *vg = set->vg;
	size_t n = 0;
	unsigned workers;
	int r;

	set->lvs = calloc(vg->n_lvs + 1, sizeof(*set->lvs));
	if (!set->lvs)
		return vg_error_set(err, -ENOMEM, "out of memory");
	for (size_t l = 0; l < vg->n_lvs; l++)
		if (vg->lvs[l]->status & LV_STATUS_VISIBLE)
			set->lvs[n++] = vg->lvs[l];
	workers = pv_move_in_progress(vg) ? 1 : fanout_workers(n, VG_SET_LVS_PER_WORKER);
	r = fanout_run(n, workers, vg_set_one, vg_set_tally, set, err);
	free(set->lvs);
	set->lvs = NULL;
	return r;
}

int activation_sync_vg(struct activation *act, const struct vg *old, const struct vg *new,
		       const char *const *new_pv_devices, struct vg_error *err)
{
	struct vg_error first = { 0 }, e;
	struct dmctl_names active = { 0 };
	size_t n_failed = 0;
	int first_r = 0, r;

	/* activating a whole VG: one list of what exists instead of a look per LV */
	if (!old && new && (r = activation_list(act, &active, err)) < 0)
		return r;
	if (!old && new && !pv_move_in_progress(new)) {
		e = (struct vg_error){ 0 };
		r = drop_stale_move(act, new, new_pv_devices, &active, &e);
		if (r < 0)
			note_failure(&first, &first_r, &n_failed, r, &e);
	}
	/* a move starts: a pvmove0 device found there is from an earlier one, its table is made anew */
	if (old && new && !pv_move_in_progress(old) && pv_move_in_progress(new)) {
		struct dmctl_info info;

		e = (struct vg_error){ 0 };
		r = activation_move_info(act, new, &info, &e);
		if (r == 0 && info.exists)
			r = activation_move_load(act, new, new_pv_devices, true, &e);
		if (r < 0)
			note_failure(&first, &first_r, &n_failed, r, &e);
	}
	if (!old && new) {
		/* the whole VG (at start, or a VG that appeared): as vg activate does it */
		struct vg_set set = { .act = act, .vg = new, .pv_devices = new_pv_devices, .activate = true,
				      .active = &active };

		e = (struct vg_error){ 0 };
		r = vg_set_run(&set, &e);
		if (set.n_failed) {
			note_failure(&first, &first_r, &n_failed, set.first_r, &set.first);
			n_failed += set.n_failed - 1;
		} else if (r < 0) {
			note_failure(&first, &first_r, &n_failed, r, &e);
		}
	}
	for (size_t l = 0; old && new && l < new->n_lvs; l++) {
		const struct vg_lv *lv = new->lvs[l];

		if (!(lv->status & LV_STATUS_VISIBLE))
			continue;
		e = (struct vg_error){ 0 };
		r = sync_lv(act, old, find_lv_by_id(old, lv->id), new, lv, new_pv_devices, NULL, &e);
		if (r < 0)
			note_failure(&first, &first_r, &n_failed, r, &e);
	}
	for (size_t l = 0; old && l < old->n_lvs; l++) {
		const struct vg_lv *old_lv = old->lvs[l];

		if (!(old_lv->status & LV_STATUS_VISIBLE) || find_lv_by_id(new, old_lv->id))
			continue;
		e = (struct vg_error){ 0 };
		r = activation_lv_deactivate(act, old, old_lv, true, &e);
		if (r < 0)
			note_failure(&first, &first_r, &n_failed, r, &e);
	}
	/* the move ended (finished or cancelled): its LVs map their extents directly now, pvmove0 goes */
	if (old && pv_move_in_progress(old) && (!new || !pv_move_in_progress(new))) {
		e = (struct vg_error){ 0 };
		r = move_remove(act, old, &e);
		if (r < 0)
			note_failure(&first, &first_r, &n_failed, r, &e);
	}
	dmctl_names_done(&active);
	if (n_failed == 0)
		return 0;
	*err = first;
	if (n_failed > 1)
		vg_error_prefix(err, first_r, "%zu LVs of VG %s could not be brought in step with the kernel; the first",
				n_failed, (new ? new : old)->name);
	return first_r;
}

int activation_vg_open_lvs(struct activation *act, const struct vg *vg, size_t *ret_open, struct vg_error *err)
{
	size_t n_open = 0;

	for (size_t l = 0; l < vg->n_lvs; l++) {
		struct dmctl_info info;
		int r;

		if (!(vg->lvs[l]->status & LV_STATUS_VISIBLE))
			continue;
		r = activation_lv_info(act, vg, vg->lvs[l], &info, err);
		if (r < 0)
			return r;
		n_open += info.exists && info.open_count > 0;
	}
	*ret_open = n_open;
	return 0;
}

int activation_vg_set(struct activation *act, const struct vg *vg, const char *const *pv_devices, bool activate,
		      bool read_only, bool force, size_t *ret_changed, struct vg_error *err)
{
	struct dmctl_names active = { 0 };
	struct vg_set set = { .act = act, .vg = vg, .pv_devices = pv_devices, .activate = activate,
			      .read_only = read_only, .force = force, .active = &active };
	int r;

	/* one list of the devices that exist, not a look per LV: a VG may have thousands */
	r = activation_list(act, &active, err);
	if (r < 0)
		return r;
	r = vg_set_run(&set, err);
	dmctl_names_done(&active);
	*ret_changed = set.n_done;
	if (r < 0 && set.n_failed == 0)
		return r;
	if (set.n_failed == 0)
		return 0;
	*err = set.first;
	if (set.n_failed > 1)
		vg_error_prefix(err, set.first_r, "%zu of %zu LVs failed; the first", set.n_failed, set.n_done + set.n_failed);
	return set.first_r;
}
