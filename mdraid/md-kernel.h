/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The md driver, for the kernel activation backend: the only code that
 * talks to md (FORMATS.md 5.1). Assembling a native 1.0 mirror from its
 * legs is what mdadm --assemble does: a node from
 * /sys/module/md_mod/parameters/new_array, SET_ARRAY_INFO {1, 0},
 * ADD_NEW_DISK per leg (the kernel reads and checks each superblock),
 * RUN_ARRAY. Which legs go in is decided from their superblocks first
 * (md_mirror_view_read: fresh, not split off, freshest first), so a stale
 * leg is left out rather than handed to the kernel to kick. The running
 * array is then read and steered through sysfs and the leg ioctls.
 *
 * Arrays are named by their kernel name: "md0" .. "md<N>" or "md_<name>";
 * /dev/<name> is the node. Everything returns 0 or -errno with a message
 * in *err; nothing prints.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

enum {
	/* start although some slot has no fresh leg (mdadm --run) */
	MD_KERNEL_RUN_DEGRADED = 1u << 0,
};

/* One rdev of a running array: /sys/block/mdX/md/dev-<name>/. */
struct md_kernel_member {
	char name[32];   /* "vda": the kernel name of the leg */
	char state[64];  /* "in_sync", "faulty", "spare", "in_sync,write_mostly", ... */
	int32_t slot;    /* -1 for "none" */
	uint32_t major;
	uint32_t minor;
	uint64_t errors;
};

struct md_kernel_state {
	char array_state[32];   /* clean, active, inactive, readonly, ... */
	char level[16];         /* raid1 */
	char metadata_version[16];
	uint32_t raid_disks;
	uint32_t degraded;
	char sync_action[16];   /* idle, resync, recover, check, repair, frozen */
	char sync_completed[48]; /* "none" or "done / total" */
	uint64_t mismatch_cnt;
	uint64_t size_sectors;  /* /sys/block/mdX/size */
	struct md_kernel_member *members;
	size_t n_members;
};

struct md_kernel_state *md_kernel_state_free(struct md_kernel_state *state);
DEFINE_CLEANUP_FUNC(struct md_kernel_state, md_kernel_state_free)

enum md_scrub_action {
	MD_SCRUB_CHECK,  /* read every leg and count mismatches */
	MD_SCRUB_REPAIR, /* the same, rewriting the mismatched blocks */
	MD_SCRUB_IDLE,   /* stop a running scrub */
};

struct md_kernel_ops {
	/*
	 * Assemble and start @name from the devices @legs (paths of block
	 * devices carrying 1.0 superblocks of one raid1 array). Legs that are
	 * not fresh members are left out (and named in err->message only on
	 * failure). -EBUSY when @name is already active; -ENODEV when a slot
	 * would have no fresh leg and MD_KERNEL_RUN_DEGRADED is not given;
	 * -EPROTONOSUPPORT for a superblock other than 1.0; -ENOTBLK for a
	 * path that is not a block device; kernel refusals pass through, and
	 * a half-assembled array is stopped again.
	 */
	int (*assemble)(const char *name, const char *const *legs, size_t n_legs, unsigned flags,
			struct vg_error *err);
	/* STOP_ARRAY: -EBUSY while the array is open (mounted, a dm table on it). */
	int (*stop)(const char *name, struct vg_error *err);
	/* Read the array's sysfs state. -ENOENT when there is no such array. */
	int (*state)(const char *name, struct md_kernel_state **ret_state, struct vg_error *err);
	/* SET_DISK_FAULTY of the leg at @leg_path. */
	int (*fail_leg)(const char *name, const char *leg_path, struct vg_error *err);
	/* HOT_REMOVE_DISK: the leg must be faulty or a spare (-EBUSY otherwise). */
	int (*remove_leg)(const char *name, const char *leg_path, struct vg_error *err);
	/*
	 * ADD_NEW_DISK into the running array: @leg_path must carry a 1.0
	 * superblock of this array (a former leg, or a new one written by
	 * md_mirror_add); it joins as a spare and md rebuilds it into a
	 * degraded slot. -EXDEV when its superblock names another array.
	 */
	int (*add_leg)(const char *name, const char *leg_path, struct vg_error *err);
	/* Write check / repair / idle to sync_action. -EBUSY while a resync or recovery runs. */
	int (*scrub)(const char *name, enum md_scrub_action action, struct vg_error *err);
	/*
	 * Ask md to rebuild the running leg @leg_path onto a spare while it
	 * keeps serving ("want_replacement" in its state), as mdadm --replace
	 * does; md marks it faulty once the spare is in sync. -ENODEV when it is
	 * not a member.
	 */
	int (*want_replacement)(const char *name, const char *leg_path, struct vg_error *err);
	/*
	 * Remove the faulty member md knows as @member ("vdb1") by its sysfs
	 * state, for a leg whose device is gone (a disk pulled) and so has no
	 * node to name it by. -ENODEV without such a member, -EBUSY when it is
	 * not faulty.
	 */
	int (*remove_member)(const char *name, const char *member, struct vg_error *err);
};

/* The Linux implementation: ioctls on /dev/<name>, attributes under /sys/block/<name>/md. */
extern const struct md_kernel_ops md_kernel_linux;

/* Poll sync_action until "idle" (resync, recovery, check done), at most @timeout_ms. -ETIMEDOUT. */
int md_kernel_wait_idle(const char *name, unsigned timeout_ms, struct vg_error *err);
