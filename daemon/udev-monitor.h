/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What tells the daemon that its inventory is out of date: a libudev
 * monitor on the "block" subsystem (disks, partitions, loop, md and dm
 * devices coming, going, changing) and inotify on the scan directories
 * (image files created, deleted, renamed, written), behind one descriptor
 * the daemon puts in its epoll set.
 *
 * The descriptor is itself an epoll fd over the netlink socket and the
 * inotify fd, so it is readable while either has something. After it polls
 * readable, call udev_monitor_watch_read until it returns -EAGAIN: events
 * read from the kernel in one batch are handed out one at a time, and the
 * descriptor does not signal the ones already buffered.
 *
 * libudev's own struct udev_monitor keeps its name; ours is
 * struct udev_monitor_watch, and libudev's conventions (NULL with errno,
 * action strings) end in this file.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "device-filter.h"
#include "error.h"
#include "macro.h"

enum udev_monitor_source {
	/* udev's processed events when udevd runs (/run/udev/control exists), else the kernel's. */
	UDEV_MONITOR_SOURCE_AUTO,
	/* After udev rules ran: device nodes and /dev/disk links exist. Silent without udevd. */
	UDEV_MONITOR_SOURCE_UDEV,
	/* Straight from the kernel: a node may not exist yet (hosts and containers without udevd). */
	UDEV_MONITOR_SOURCE_KERNEL,
	/* No block device events (files only: the `none` backend, unit tests). */
	UDEV_MONITOR_SOURCE_NONE,
};

struct udev_monitor_config {
	enum udev_monitor_source block_source;
	const char *const *scan_dirs; /* watched with inotify, not recursively */
	size_t n_scan_dirs;
	/* Optional, borrowed: file events for paths it rejects are dropped. Block events never are. */
	const struct device_filter *filter;
};

enum udev_monitor_action {
	UDEV_MONITOR_ADD,    /* a device appeared; a file was created or moved in */
	UDEV_MONITOR_REMOVE, /* a device went away; a file was deleted or moved out */
	UDEV_MONITOR_CHANGE, /* content or size may have changed (udev "change", "move", ...; a
			      * file closed after writing) */
	UDEV_MONITOR_RESCAN, /* events were lost (queue overflow) or a scan directory itself was
			      * deleted or moved: the daemon should rebuild the whole inventory */
};

enum udev_monitor_origin {
	UDEV_MONITOR_BLOCK, /* a block device event */
	UDEV_MONITOR_FILE,  /* an inotify event in a scan directory */
};

struct udev_monitor_event {
	enum udev_monitor_action action;
	enum udev_monitor_origin origin;
	/*
	 * Block: the device node ("/dev/loop3"; "" if the event carries none).
	 * File: SCANDIR/NAME, the name inventory_scan lists it under.
	 * RESCAN: "" or the scan directory concerned.
	 */
	char path[PATH_MAX];
	char sys_name[NAME_MAX + 1]; /* block: "loop3", "sda5"; "" for files */
	dev_t devnum;                /* block: major:minor; 0 for files */
	bool is_partition;
};

struct udev_monitor_watch;

/*
 * Start watching. Returns 0 and *ret_watch; a negative errno naming what
 * failed (the netlink socket, a scan directory: -ENOENT/-ENOTDIR/-EACCES)
 * otherwise. Events are not missed from the moment this returns, so the
 * daemon starts the watch first and then takes its inventory.
 */
int udev_monitor_watch_new(const struct udev_monitor_config *config,
			   struct udev_monitor_watch **ret_watch, struct vg_error *err);

struct udev_monitor_watch *udev_monitor_watch_free(struct udev_monitor_watch *watch);
DEFINE_CLEANUP_FUNC(struct udev_monitor_watch, udev_monitor_watch_free)

/* The descriptor to poll for input (owned by the watch; O_CLOEXEC). */
int udev_monitor_watch_fd(const struct udev_monitor_watch *watch);

/*
 * Take one event without blocking. Returns 0 and fills *ret_event; -EAGAIN
 * when nothing is pending; another negative errno for a failed read.
 */
int udev_monitor_watch_read(struct udev_monitor_watch *watch, struct udev_monitor_event *ret_event,
			    struct vg_error *err);

/* "add", "remove", "change", "rescan". */
const char *udev_monitor_action_name(enum udev_monitor_action action);
