/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The device inventory behind `disk.list`: every block device (libudev,
 * subsystem "block": disks, partitions, bound loop devices, md and dm
 * devices) and every regular file directly inside a configured scan
 * directory that the device filter accepts, with its size, kind and class:
 *
 *   md_leg      carries an md superblock (any version; md_super_probe)
 *   pv          carries an LVM2 label (pv_label_read), with PV uuid and VG name
 *   filesystem  libblkid finds another signature: fs_type is its TYPE (ext4,
 *               swap, crypto_LUKS, ...) or, for a partition table, its PTTYPE
 *   in_use      busy for a reason vgtool's own layers do not explain: mounted,
 *               active swap, held by another device, open O_EXCL elsewhere,
 *               a partition of it in use, a file backing a loop device, or
 *               it could not be read; `reason` says which
 *   free        none of the above
 *
 * Leg detection comes before PV detection, as in lvm2: an md 1.0 leg also
 * shows the PV label of the array's contents. A leg held only by md devices
 * stays md_leg (md_array names the array), and a PV held only by dm devices
 * (its active LVs) stays pv; both are then `busy`. Mounted and swap beat
 * every signature.
 *
 * Devices the filter rejects are not listed at all, nor probed: nothing
 * outside the accept patterns is opened. Block devices of size 0 (no
 * medium, an unbound loop device) are not listed either. Symbolic links in
 * scan directories are skipped, so one file never appears under two names.
 *
 * Probing only reads: devices are opened O_RDONLY (a close after writing
 * would make udev send a change event, and the daemon would probe again,
 * forever). The O_EXCL test on block devices is an open and a close, which
 * for that instant can make another program's exclusive open fail; lvm2 and
 * blkid have the same window.
 *
 * Mounts are read from /proc/self/mountinfo, so the daemon must share the
 * host's mount namespace (no PrivateMounts=) to see them. A disk's
 * partitions are checked (sysfs, mounts, swaps only) even when the filter
 * rejects them: a disk with a mounted partition is never free. Image files
 * get no exclusive-open test (the O_EXCL test means nothing for files);
 * they are in_use only when backing a loop device or active as swap.
 *
 * inventory_classify and inventory_mounts_parse are pure, for unit tests;
 * the rest gathers facts from sysfs, /proc and the devices.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "device-filter.h"
#include "error.h"
#include "macro.h"
#include "md-super.h"
#include "uuid.h"

enum inventory_kind {
	INVENTORY_KIND_DISK,
	INVENTORY_KIND_PART,
	INVENTORY_KIND_LOOP,
	INVENTORY_KIND_MD,
	INVENTORY_KIND_DM,
	INVENTORY_KIND_FILE,
};

enum inventory_class {
	INVENTORY_CLASS_FREE,
	INVENTORY_CLASS_MD_LEG,
	INVENTORY_CLASS_PV,
	INVENTORY_CLASS_FILESYSTEM,
	INVENTORY_CLASS_IN_USE,
};

/* "disk", "part", "loop", "md", "dm", "file". */
const char *inventory_kind_name(enum inventory_kind kind);
/* "free", "md_leg", "pv", "filesystem", "in_use": the class strings of docs/api.md. */
const char *inventory_class_name(enum inventory_class class);

#define INVENTORY_VG_NAME_MAX 128 /* as MDA_VG_NAME_MAX + 1 */

struct inventory_device {
	char *path;     /* the name the filter accepted: devnode, a /dev link, or DIR/NAME */
	char *sys_name; /* "sda5", "loop3"; NULL for files */
	char *parent;   /* partitions: the sys name of their disk; NULL otherwise */
	enum inventory_kind kind;
	dev_t devnum;   /* major:minor; 0 for files */
	uint64_t size_bytes;
	bool read_only; /* the kernel's ro flag, or a file we cannot write */

	enum inventory_class class;
	/*
	 * In use right now: always for in_use, and for an md_leg or pv that
	 * its own md array or its active LVs hold.
	 */
	bool busy;
	/*
	 * Always set for in_use ("mounted on /mnt", "held by dm-3 (vg-lv)",
	 * "open exclusively by another program", ...). Otherwise a note or
	 * NULL: "active in md0", "active LVs: ...", "damaged md superblock: ...",
	 * "several signatures: ...".
	 */
	char *reason;
	char *fs_type;      /* filesystem (and in_use when known): libblkid TYPE or PTTYPE */
	char *backing_file; /* loop devices: the file behind them */

	/* md_leg */
	enum md_super_version md_version;
	bool md_valid;       /* false: the superblock is there but invalid (see reason) */
	char md_uuid[36];    /* array uuid as mdadm prints it; "" when unknown */
	char md_name[33];    /* set_name ("host:md0"); "" for 0.90 */
	char *md_array;      /* sys name of the md device using this leg, NULL when none */

	/* pv */
	char pv_uuid[LVM_UUID_LEN + 1];
	char vg_name[INVENTORY_VG_NAME_MAX]; /* "" for an orphan PV or unreadable metadata */
};

struct inventory {
	struct inventory_device *devices; /* block devices in udev's order, then files by directory and name */
	size_t n_devices;
	size_t n_rejected; /* how many the filter left out */
};

struct inventory_config {
	const struct device_filter *filter; /* borrowed, required */
	bool block_devices;                 /* enumerate block devices with libudev */
	const char *const *scan_dirs;       /* directories whose regular files are listed */
	size_t n_scan_dirs;
};

/*
 * Build the inventory. Returns 0 and *ret_inventory (caller frees); a device
 * that cannot be probed is listed as in_use with the reason, it does not
 * fail the scan. Fails with -ENOENT/-ENOTDIR/-EACCES naming a scan directory
 * that cannot be listed, with an errno from libudev when the block devices
 * cannot be enumerated, or -ENOMEM.
 */
int inventory_scan(const struct inventory_config *config, struct inventory **ret_inventory,
		   struct vg_error *err);

struct inventory *inventory_free(struct inventory *inventory);
DEFINE_CLEANUP_FUNC(struct inventory, inventory_free)

/*
 * Probe one device, e.g. after a udev or inotify event, or for a path a
 * request names. @path may be any name of a block device (a /dev/disk/by-*
 * link) or a file directly inside a scan directory (given by any path; it is
 * reported as SCANDIR/NAME). Returns 0 and *ret_device (free with
 * inventory_device_free); -EPERM when the filter rejects it or a file is not
 * directly in a scan directory (err says which entry or why); -ENOENT;
 * -ENOTBLK for anything that is neither a block device nor a regular file
 * (a symbolic link inside a scan directory included); -ENXIO for a block
 * device of size 0 or an unbound loop device; -ENODEV for a block device
 * without a device node.
 */
int inventory_probe(const struct inventory_config *config, const char *path,
		    struct inventory_device **ret_device, struct vg_error *err);

struct inventory_device *inventory_device_free(struct inventory_device *device);
DEFINE_CLEANUP_FUNC(struct inventory_device, inventory_device_free)

/* Look-ups in a scan's result; NULL when absent. */
const struct inventory_device *inventory_find_path(const struct inventory *inventory, const char *path);
const struct inventory_device *inventory_find_devnum(const struct inventory *inventory, dev_t devnum);

/* ---- pure parts, exposed for unit tests ---- */

/*
 * Everything probing learned about a device: the input of inventory_classify.
 * Strings and arrays are borrowed.
 */
struct inventory_facts {
	enum inventory_kind kind;
	int read_error;         /* negative errno when the device could not be opened or read, else 0 */
	const char *read_error_text; /* what failed, for the reason (may be NULL) */
	const char *mounted_on; /* a mount point of the device, or NULL */
	bool active_swap;
	const char *const *holders; /* sysfs names of the holders, optionally followed by
				     * " (dm name)": "md0", "dm-3 (vg-lv)" */
	size_t n_holders;
	const char *busy_partition;        /* disks: sys name of a partition in use, or NULL */
	const char *busy_partition_reason; /* ... and why ("mounted on /boot") */
	size_t n_partitions;               /* disks: partitions the kernel knows */
	const char *loop_device;  /* files: a loop device this file backs, or NULL */
	bool exclusive_busy;      /* block devices: open(O_EXCL) failed with EBUSY */
	int md_result;            /* md_super_probe: 0, -ENODATA, -EBADMSG, -EPROTONOSUPPORT */
	const char *md_error;     /* its message when not 0 and not -ENODATA */
	int pv_result;            /* pv_label_read: 0 or -ENODATA */
	const char *signature_type;  /* libblkid TYPE, or NULL */
	const char *partition_table; /* libblkid PTTYPE, or NULL */
	bool signature_ambivalent;   /* libblkid found several signatures */
};

/*
 * Decide the class; the first rule that applies wins: mounted, active
 * swap, a partition in use, held (md holders only + md superblock ->
 * md_leg, busy; dm holders only + PV label -> pv, busy; else in_use),
 * backing a loop device, open exclusively elsewhere, unreadable (all
 * in_use), md superblock (valid or not), PV label, libblkid signature or
 * partition table, kernel partitions without a table libblkid knows
 * (in_use: not ours to judge), free. Busy reasons come before read errors
 * because an unprivileged daemon cannot open a mounted disk, and "mounted
 * on /" says more than "Permission denied".
 * Returns 0 and fills the out-parameters (*ret_reason malloc'ed or NULL);
 * -ENOMEM.
 */
int inventory_classify(const struct inventory_facts *facts, enum inventory_class *ret_class,
		       bool *ret_busy, char **ret_reason);

/* One line of /proc/self/mountinfo. */
struct inventory_mount {
	dev_t devnum;      /* field 3 (major:minor); for btrfs and the like not the device's */
	char *mount_point; /* unescaped (\040 -> space) */
	char *fs_type;
	char *source;      /* unescaped; "none", "/dev/sda1", ... */
};

struct inventory_mounts {
	struct inventory_mount *mounts;
	size_t n_mounts;
};

/*
 * Parse mountinfo text (@len bytes). Returns 0 and *ret_mounts; -EBADMSG
 * with "mountinfo line N: ..." for a line without the fields the kernel
 * always writes; -ENOMEM.
 */
int inventory_mounts_parse(const char *text, size_t len, struct inventory_mounts **ret_mounts,
			   struct vg_error *err);
struct inventory_mounts *inventory_mounts_free(struct inventory_mounts *mounts);
DEFINE_CLEANUP_FUNC(struct inventory_mounts, inventory_mounts_free)
