/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel activation backend as the daemon drives it: LVs of a VG made
 * device-mapper devices (names, uuids and /dev/VG/LV links as lvm2 makes
 * them, so stock tools recognise them), and mirrors named the way md names
 * their arrays. The daemon keeps the kernel in step with the committed
 * metadata: after every commit, activation_sync_vg compares the VG before
 * and after and creates, reloads, renames or removes exactly the devices of
 * the LVs that changed. Everything is keyed by the LV's id, which never
 * changes, so a rename is a rename and not a remove plus a create.
 *
 * Where each PV is comes from the caller, as "MAJ:MIN" per PV index of the
 * VG (NULL for a missing PV); an LV needing a missing PV stays inactive.
 */
#pragma once

#include <stdbool.h>

#include "dmctl-libdm.h"
#include "error.h"
#include "md-kernel.h"
#include "vg.h"

struct activation {
	const struct md_kernel_ops *md;
	struct dmctl *dm;
	char *dev_dir; /* "/dev": where the VG directories of links go */
};

/* The Linux backend: md ioctls and libdevmapper, synchronised with udev when it runs. */
int activation_new(struct activation **ret, struct vg_error *err);
struct activation *activation_free(struct activation *act);
DEFINE_CLEANUP_FUNC(struct activation, activation_free)

/*
 * The kernel name of the array of mirror @mirror_name: "md<N>" stays as it
 * is, any other name becomes "md_<name>" (as mdadm names arrays by name).
 * -ENAMETOOLONG when it does not fit md's 32-byte names.
 */
int activation_md_name(const char *mirror_name, char ret_name[32], struct vg_error *err);

/* The device of @lv as it is now: ret_info->exists false when inactive. */
int activation_lv_info(struct activation *act, const struct vg *vg, const struct vg_lv *lv,
		       struct dmctl_info *ret_info, struct vg_error *err);

/*
 * Make @lv a dm device with its /dev/VG/LV link; an active LV keeps its
 * device (only the link is made again). @active, when given, says which
 * devices exist (from activation_list), saving a look at each. -ENODEV naming the PV when one it uses is
 * missing, -ENOTSUP for segment types device-mapper tables are not built
 * for here.
 */
int activation_lv_activate(struct activation *act, const struct vg *vg, const struct vg_lv *lv,
			   const char *const *pv_devices, bool read_only, const struct dmctl_names *active,
			   struct vg_error *err);

/*
 * An active LV's I/O held (suspend: what is in flight completes first) and
 * let go again (resume); reload puts @lv's table as @vg says into its device
 * and resumes it, suspended before or not.
 */
int activation_lv_suspend(struct activation *act, const struct vg *vg, const struct vg_lv *lv, struct vg_error *err);
int activation_lv_resume(struct activation *act, const struct vg *vg, const struct vg_lv *lv, struct vg_error *err);
int activation_lv_reload(struct activation *act, const struct vg *vg, const struct vg_lv *lv,
			 const char *const *pv_devices, struct vg_error *err);
/* Every dm device that exists now (for @active above, when activating many LVs). */
int activation_list(struct activation *act, struct dmctl_names *ret_names, struct vg_error *err);

/*
 * Remove @lv's dm device and link. An open device is refused with -EBUSY
 * naming its openers' count, unless @force: then its table is replaced by
 * one that fails every I/O and the device is removed as soon as the last
 * opener closes it (deferred remove).
 */
int activation_lv_deactivate(struct activation *act, const struct vg *vg, const struct vg_lv *lv, bool force,
			     struct vg_error *err);

/*
 * Bring the kernel from @old to @new, two versions of one VG (either may be
 * NULL: a VG that appeared, at start-up, or was removed). With @old NULL
 * every visible LV of @new is activated (what is active already is kept); otherwise LVs new in @new are activated, active ones
 * renamed or reloaded when their name or table changed, and LVs gone from
 * @new deactivated (forced: the caller refused busy removals before
 * committing); when @old has a move in progress and @new not, pvmove0's
 * device is removed last. Every LV is attempted; the first error is returned, the
 * others are counted in its message.
 */
int activation_sync_vg(struct activation *act, const struct vg *old, const struct vg *new,
		       const char *const *new_pv_devices, struct vg_error *err);

/*
 * The dm device of pvmove0 while @vg has a move in progress
 * (docs/pv-move.md), named and identified as lvm2 does (VG-pvmove0,
 * LVM-<vg id><pvmove0 id>), made when the first LV on it is activated
 * (before that LV) and removed by activation_sync_vg after the commit that
 * ends the move (after the LVs were reloaded off it). -ENOENT when @vg has
 * no move in progress.
 */
int activation_move_info(struct activation *act, const struct vg *vg, struct dmctl_info *ret_info,
			 struct vg_error *err);
/*
 * Make pvmove0's device, or reload it, with the table of the committed
 * metadata: moved chunks on their destination, the first chunk not moved a
 * dm mirror when @mirror_next (else on its source), the rest on their
 * source. A reload of a mirror starts its resync again from the source.
 */
int activation_move_load(struct activation *act, const struct vg *vg, const char *const *pv_devices, bool mirror_next,
			 struct vg_error *err);

struct activation_move_status {
	bool mirroring;          /* the live table has a mirror row */
	uint64_t start_sectors;  /* where it starts in pvmove0 */
	uint64_t length_sectors;
	struct lv_mirror_status mirror;
};
/* The resync of pvmove0's mirror row, if it has one; -ENXIO when pvmove0 is not active. */
int activation_move_status(struct activation *act, const struct vg *vg, struct activation_move_status *ret_status,
			   struct vg_error *err);

/* Count of @vg's LVs that are active and open (mounted, used by a VM): a VG or PV change may refuse on it. */
int activation_vg_open_lvs(struct activation *act, const struct vg *vg, size_t *ret_open, struct vg_error *err);

/*
 * Every visible LV of @vg at once, as vgchange -ay / -an do: activated (an
 * active one kept) or deactivated (an open one only with @force). Each LV
 * is attempted; *ret_changed counts those done; the first failure is
 * returned, the others counted in its message.
 */
int activation_vg_set(struct activation *act, const struct vg *vg, const char *const *pv_devices, bool activate,
		      bool read_only, bool force, size_t *ret_changed, struct vg_error *err);
