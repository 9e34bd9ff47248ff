/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Block device and scan-directory events for the daemon (udev-monitor.h):
 * a libudev netlink monitor filtered on the "block" subsystem and an
 * inotify descriptor on the scan directories, both non-blocking, joined
 * under one epoll descriptor. Reading alternates between the two sources
 * so a burst from one cannot starve the other.
 */
#include <fcntl.h>
#include <libudev.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "udev-monitor.h"

/* Enough for a burst of add events from a large enclosure; more needs CAP_NET_ADMIN, best effort. */
#define RECEIVE_BUFFER_BYTES (16 * 1024 * 1024)
#define INOTIFY_MASK                                                                            \
	(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE_SELF | \
	 IN_MOVE_SELF | IN_ONLYDIR)

struct watched_dir {
	int wd;
	char *path; /* as configured: event paths are built from it, as inventory_scan builds them */
};

struct udev_monitor_watch {
	int epoll_fd;
	struct udev *udev;
	struct udev_monitor *monitor; /* NULL without block events */
	int inotify_fd;               /* -1 without scan directories */
	struct watched_dir *dirs;
	size_t n_dirs;
	const struct device_filter *filter;

	/* inotify events read but not handed out yet */
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	size_t buf_len;
	size_t buf_pos;
	bool files_first; /* which source the next read tries first */
};

const char *udev_monitor_action_name(enum udev_monitor_action action)
{
	switch (action) {
	case UDEV_MONITOR_ADD:
		return "add";
	case UDEV_MONITOR_REMOVE:
		return "remove";
	case UDEV_MONITOR_CHANGE:
		return "change";
	case UDEV_MONITOR_RESCAN:
		return "rescan";
	}
	return "unknown";
}

struct udev_monitor_watch *udev_monitor_watch_free(struct udev_monitor_watch *watch)
{
	if (!watch)
		return NULL;
	if (watch->monitor)
		udev_monitor_unref(watch->monitor);
	if (watch->udev)
		udev_unref(watch->udev);
	if (watch->inotify_fd >= 0)
		close(watch->inotify_fd);
	if (watch->epoll_fd >= 0)
		close(watch->epoll_fd);
	for (size_t i = 0; i < watch->n_dirs; i++)
		free(watch->dirs[i].path);
	free(watch->dirs);
	free(watch);
	return NULL;
}

static int epoll_add(int epoll_fd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static int start_block_monitor(struct udev_monitor_watch *watch, enum udev_monitor_source source,
			       struct vg_error *err)
{
	const char *group;
	int r;

	if (source == UDEV_MONITOR_SOURCE_AUTO)
		/* libudev's "udev" group is silent when udevd is not running (containers, the test VM). */
		source = access("/run/udev/control", F_OK) == 0 ? UDEV_MONITOR_SOURCE_UDEV
								 : UDEV_MONITOR_SOURCE_KERNEL;
	group = source == UDEV_MONITOR_SOURCE_UDEV ? "udev" : "kernel";

	watch->udev = udev_new();
	if (!watch->udev)
		return vg_error_set(err, errno ? -errno : -ENOMEM, "libudev: cannot start: %m");
	watch->monitor = udev_monitor_new_from_netlink(watch->udev, group);
	if (!watch->monitor)
		return vg_error_set(err, errno ? -errno : -ENOMEM,
				    "libudev: cannot open the %s event socket: %m", group);
	r = udev_monitor_filter_add_match_subsystem_devtype(watch->monitor, "block", NULL);
	if (r < 0)
		return vg_error_set(err, r, "libudev: cannot filter block events: %s", strerror(-r));
	(void)udev_monitor_set_receive_buffer_size(watch->monitor, RECEIVE_BUFFER_BYTES);
	r = udev_monitor_enable_receiving(watch->monitor);
	if (r < 0)
		return vg_error_set(err, r, "libudev: cannot receive %s events: %s", group, strerror(-r));
	r = epoll_add(watch->epoll_fd, udev_monitor_get_fd(watch->monitor));
	if (r < 0)
		return vg_error_set(err, r, "epoll: cannot add the udev socket: %s", strerror(-r));
	return 0;
}

static int start_inotify(struct udev_monitor_watch *watch, const struct udev_monitor_config *config,
			 struct vg_error *err)
{
	int r;

	watch->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (watch->inotify_fd < 0)
		return vg_error_set(err, -errno, "inotify: %m");
	watch->dirs = calloc(config->n_scan_dirs, sizeof(*watch->dirs));
	if (!watch->dirs)
		return vg_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < config->n_scan_dirs; i++) {
		int wd = inotify_add_watch(watch->inotify_fd, config->scan_dirs[i], INOTIFY_MASK);

		if (wd < 0)
			return vg_error_set(err, -errno, "scan directory %s: cannot watch: %m",
					    config->scan_dirs[i]);
		watch->dirs[i].wd = wd;
		watch->dirs[i].path = strdup(config->scan_dirs[i]);
		if (!watch->dirs[i].path)
			return vg_error_set(err, -ENOMEM, "out of memory");
		watch->n_dirs = i + 1;
	}
	r = epoll_add(watch->epoll_fd, watch->inotify_fd);
	if (r < 0)
		return vg_error_set(err, r, "epoll: cannot add the inotify descriptor: %s", strerror(-r));
	return 0;
}

int udev_monitor_watch_new(const struct udev_monitor_config *config,
			   struct udev_monitor_watch **ret_watch, struct vg_error *err)
{
	_cleanup_(udev_monitor_watch_freep) struct udev_monitor_watch *watch = NULL;
	int r;

	watch = calloc(1, sizeof(*watch));
	if (!watch)
		return vg_error_set(err, -ENOMEM, "out of memory");
	watch->inotify_fd = -1;
	watch->filter = config->filter;
	watch->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (watch->epoll_fd < 0)
		return vg_error_set(err, -errno, "epoll: %m");
	if (config->block_source != UDEV_MONITOR_SOURCE_NONE) {
		r = start_block_monitor(watch, config->block_source, err);
		if (r < 0)
			return r;
	}
	if (config->n_scan_dirs > 0) {
		r = start_inotify(watch, config, err);
		if (r < 0)
			return r;
	}
	*ret_watch = TAKE_PTR(watch);
	return 0;
}

int udev_monitor_watch_fd(const struct udev_monitor_watch *watch)
{
	return watch->epoll_fd;
}

static const struct watched_dir *dir_of(const struct udev_monitor_watch *watch, int wd)
{
	for (size_t i = 0; i < watch->n_dirs; i++)
		if (watch->dirs[i].wd == wd)
			return &watch->dirs[i];
	return NULL;
}

static void set_rescan(struct udev_monitor_event *ev, enum udev_monitor_origin origin, const char *path)
{
	*ev = (struct udev_monitor_event){ .action = UDEV_MONITOR_RESCAN, .origin = origin };
	snprintf(ev->path, sizeof(ev->path), "%s", path ? path : "");
}

/* Turn one inotify event into ours. Returns true when it is worth reporting. */
static bool convert_inotify(const struct udev_monitor_watch *watch, const struct inotify_event *ie,
			    struct udev_monitor_event *ev)
{
	const struct watched_dir *dir;
	size_t dir_len;
	int n;

	if (ie->mask & IN_Q_OVERFLOW) {
		set_rescan(ev, UDEV_MONITOR_FILE, NULL);
		return true;
	}
	if (ie->mask & IN_IGNORED)
		return false; /* the watch is gone; DELETE_SELF/MOVE_SELF said why */
	dir = dir_of(watch, ie->wd);
	if (!dir)
		return false;
	if (ie->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
		set_rescan(ev, UDEV_MONITOR_FILE, dir->path);
		return true;
	}
	if ((ie->mask & IN_ISDIR) || ie->len == 0 || ie->name[0] == '\0')
		return false; /* scanning is not recursive */

	*ev = (struct udev_monitor_event){ .origin = UDEV_MONITOR_FILE };
	if (ie->mask & (IN_CREATE | IN_MOVED_TO))
		ev->action = UDEV_MONITOR_ADD;
	else if (ie->mask & (IN_DELETE | IN_MOVED_FROM))
		ev->action = UDEV_MONITOR_REMOVE;
	else if (ie->mask & IN_CLOSE_WRITE)
		ev->action = UDEV_MONITOR_CHANGE;
	else
		return false;
	dir_len = strlen(dir->path);
	n = snprintf(ev->path, sizeof(ev->path), "%s%s%s", dir->path,
		     dir_len > 0 && dir->path[dir_len - 1] == '/' ? "" : "/", ie->name);
	if (n < 0 || (size_t)n >= sizeof(ev->path)) {
		/* Too long to name: let the daemon look at everything rather than miss it. */
		set_rescan(ev, UDEV_MONITOR_FILE, dir->path);
		return true;
	}
	if (watch->filter && device_filter_match(watch->filter, ev->path, NULL) != DEVICE_FILTER_ACCEPT)
		return false;
	return true;
}

/* The next buffered inotify event worth reporting. Returns true when one was found. */
static bool next_buffered_file_event(struct udev_monitor_watch *watch, struct udev_monitor_event *ev)
{
	while (watch->buf_pos < watch->buf_len) {
		const struct inotify_event *ie = (const struct inotify_event *)(watch->buf + watch->buf_pos);

		watch->buf_pos += sizeof(*ie) + ie->len;
		if (convert_inotify(watch, ie, ev))
			return true;
	}
	watch->buf_pos = watch->buf_len = 0;
	return false;
}

static int read_file_event(struct udev_monitor_watch *watch, struct udev_monitor_event *ev,
			   struct vg_error *err)
{
	if (watch->inotify_fd < 0)
		return -EAGAIN;
	for (;;) {
		ssize_t n;

		if (next_buffered_file_event(watch, ev))
			return 0;
		n = read(watch->inotify_fd, watch->buf, sizeof(watch->buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return -EAGAIN;
			return vg_error_set(err, -errno, "inotify: read: %m");
		}
		if (n == 0)
			return -EAGAIN;
		watch->buf_len = (size_t)n;
		watch->buf_pos = 0;
	}
}

static int read_block_event(struct udev_monitor_watch *watch, struct udev_monitor_event *ev,
			    struct vg_error *err)
{
	if (!watch->monitor)
		return -EAGAIN;
	for (;;) {
		struct udev_device *dev;
		const char *action, *subsystem, *devnode, *sys_name;

		errno = 0;
		dev = udev_monitor_receive_device(watch->monitor);
		if (!dev) {
			/* NULL + errno is libudev's way; ENOBUFS means the kernel dropped events. */
			if (errno == ENOBUFS) {
				set_rescan(ev, UDEV_MONITOR_BLOCK, NULL);
				return 0;
			}
			if (errno == 0 || errno == EAGAIN || errno == EINTR)
				return -EAGAIN;
			return vg_error_set(err, -errno, "libudev: cannot receive an event: %m");
		}
		subsystem = udev_device_get_subsystem(dev);
		if (!streq(subsystem, "block")) {
			udev_device_unref(dev);
			continue;
		}
		action = udev_device_get_action(dev);
		devnode = udev_device_get_devnode(dev);
		sys_name = udev_device_get_sysname(dev);

		*ev = (struct udev_monitor_event){ .origin = UDEV_MONITOR_BLOCK };
		if (streq(action, "add"))
			ev->action = UDEV_MONITOR_ADD;
		else if (streq(action, "remove"))
			ev->action = UDEV_MONITOR_REMOVE;
		else
			ev->action = UDEV_MONITOR_CHANGE; /* change, move, online, offline: probe again */
		snprintf(ev->path, sizeof(ev->path), "%s", devnode ? devnode : "");
		snprintf(ev->sys_name, sizeof(ev->sys_name), "%s", sys_name ? sys_name : "");
		ev->devnum = udev_device_get_devnum(dev);
		ev->is_partition = streq(udev_device_get_devtype(dev), "partition");
		udev_device_unref(dev);
		return 0;
	}
}

int udev_monitor_watch_read(struct udev_monitor_watch *watch, struct udev_monitor_event *ret_event,
			    struct vg_error *err)
{
	struct udev_monitor_event ev;
	int r;

	watch->files_first = !watch->files_first;
	r = watch->files_first ? read_file_event(watch, &ev, err) : read_block_event(watch, &ev, err);
	if (r == -EAGAIN)
		r = watch->files_first ? read_block_event(watch, &ev, err) : read_file_event(watch, &ev, err);
	if (r < 0)
		return r;
	*ret_event = ev;
	return 0;
}
