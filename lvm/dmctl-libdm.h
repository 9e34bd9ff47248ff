/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Device-mapper control for the kernel activation backend, behind a small
 * ops struct so the callers (activation, the daemon) never see
 * libdevmapper and a test can put another implementation behind them.
 * dmctl-libdm.c is the libdevmapper implementation (FORMATS.md 5.4): create
 * = DEV_CREATE + TABLE_LOAD + resume as one libdm CREATE task; with udev
 * the cookie is waited for (dm_udev_wait), without udev libdm makes the
 * /dev/mapper nodes itself. libdm's 1/0 returns and its log lines become
 * -errno and a struct vg_error here, at the boundary; nothing is printed.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "lv-table.h"

struct dmctl;

/* Names of every dm device, sorted (one DM_LIST_DEVICES instead of an info per device). */
struct dmctl_names {
	char **names;
	size_t n;
};
void dmctl_names_done(struct dmctl_names *names);
bool dmctl_names_has(const struct dmctl_names *names, const char *name);

struct dmctl_info {
	bool exists;
	bool suspended;
	bool live_table;
	bool inactive_table;
	bool read_only;
	int32_t open_count;
	uint32_t major;
	uint32_t minor;
	int32_t target_count;
};

/* One row of a device's live table with its status (DM_DEVICE_STATUS), as the kernel prints it. */
struct dmctl_target_status {
	uint64_t start_sectors;
	uint64_t length_sectors;
	char *target; /* "mirror", "linear", ... */
	char *params; /* the target's status line, e.g. "2 254:1 254:2 3/8 1 AA 1 core" */
};

struct dmctl_status {
	struct dmctl_target_status *rows;
	size_t n_rows;
};
void dmctl_status_done(struct dmctl_status *status);

struct dmctl_ops {
	/*
	 * Make device @name with @uuid (may be NULL) and @table live. -EEXIST
	 * when a device of that name or uuid exists; other ioctl errors
	 * pass through as -errno. A half-made device is removed again.
	 */
	int (*create)(struct dmctl *ctl, const char *name, const char *uuid, const struct lv_table *table,
		      bool read_only, struct vg_error *err);
	/*
	 * Replace the live table of @name: load @table as the inactive table
	 * (nothing suspended yet, so a refused table changes nothing), suspend
	 * (flushing I/O), resume (the new table goes live).
	 */
	int (*reload)(struct dmctl *ctl, const char *name, const struct lv_table *table, struct vg_error *err);
	/*
	 * Hold the I/O of @name: what is in flight completes, new I/O waits
	 * until resume (or a reload, whose resume lets it go on the new table).
	 */
	int (*suspend)(struct dmctl *ctl, const char *name, struct vg_error *err);
	int (*resume)(struct dmctl *ctl, const char *name, struct vg_error *err);
	int (*rename)(struct dmctl *ctl, const char *name, const char *new_name, struct vg_error *err);
	/* Remove @name; -EBUSY while open, -ENXIO when there is no such device. */
	int (*remove)(struct dmctl *ctl, const char *name, struct vg_error *err);
	/* Remove @name now when it is closed, else as soon as its last opener closes it. */
	int (*remove_deferred)(struct dmctl *ctl, const char *name, struct vg_error *err);
	/* Every device's name; free with dmctl_names_done. */
	int (*list)(struct dmctl *ctl, struct dmctl_names *ret_names, struct vg_error *err);
	/* Fill *ret_info; a device that does not exist is not an error: exists = false. */
	int (*info)(struct dmctl *ctl, const char *name, struct dmctl_info *ret_info, struct vg_error *err);
	/*
	 * The status of every row of @name's live table (free with
	 * dmctl_status_done); -ENXIO when there is no such device. Asks the
	 * kernel only: nothing waits on I/O.
	 */
	int (*status)(struct dmctl *ctl, const char *name, struct dmctl_status *ret_status, struct vg_error *err);
};

struct dmctl {
	const struct dmctl_ops *ops;
	bool udev_sync; /* wait for udev (cookies); else libdm makes the nodes */
};

/*
 * A libdevmapper-backed dmctl. @udev_sync: synchronise with udev through
 * cookies (only when udev runs; libdm checks), or not at all
 * (dm_udev_set_sync_support(0): libdm creates and removes /dev/mapper
 * nodes itself). Process-wide libdm settings (its log function, sync
 * support) are set here. Free with dmctl_free.
 */
int dmctl_libdm_new(bool udev_sync, struct dmctl **ret_ctl, struct vg_error *err);
struct dmctl *dmctl_free(struct dmctl *ctl);
DEFINE_CLEANUP_FUNC(struct dmctl, dmctl_free)

/*
 * /dev/VG/LV -> ../mapper/NAME, as lvm2 makes it when udev does not: under
 * @dev_dir ("/dev"; tests pass a scratch directory), the VG directory is
 * created when missing; an existing link is replaced.
 */
int lv_link_create(const char *dev_dir, const char *vg_name, const char *lv_name, const char *dm_name,
		   struct vg_error *err);
/* Remove the link (and the VG directory once empty). A missing link is fine. */
int lv_link_remove(const char *dev_dir, const char *vg_name, const char *lv_name, struct vg_error *err);
