/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * md through the kernel's own interfaces: the ioctls of <linux/raid/md_u.h>
 * on /dev/mdX for assembling, stopping and changing legs (as mdadm does for
 * native superblocks), and the attributes under /sys/block/mdX/md for state
 * and scrubbing. The only file that talks to the md driver; tested for real
 * by tests/vm/kernel-backend.sh (this machine's kernel has no md).
 *
 * <linux/raid/md_p.h> is not included: its MD_FEATURE_* and MD_SB_* macros
 * clash with md-super.h's names; the three disk-state bits used here are
 * spelled out instead.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/major.h>
#include <linux/raid/md_u.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "blockdev.h"
#include "md-kernel.h"
#include "md-mirror.h"
#include "md-super.h"

#define KDISK_ACTIVE 1 /* MD_DISK_ACTIVE */
#define KDISK_SYNC 2   /* MD_DISK_SYNC */

#define NEW_ARRAY_PARAM "/sys/module/md_mod/parameters/new_array"

/* "md0", "md127", "md_data": what new_array accepts and /sys/block shows. */
static int check_name(const char *name, struct vg_error *err)
{
	size_t len = name ? strlen(name) : 0;

	if (len < 3 || len > 31 || strncmp(name, "md", 2) != 0)
		goto bad;
	if (name[2] == '_') {
		for (const char *p = name + 3; *p; p++)
			if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') || ('0' <= *p && *p <= '9') ||
			      *p == '_' || *p == '-' || *p == '.'))
				goto bad;
		return len > 3 ? 0 : vg_error_set(err, -EINVAL, "md array name \"%s\" is empty after md_", name);
	}
	for (const char *p = name + 2; *p; p++)
		if (*p < '0' || *p > '9')
			goto bad;
	return 0;
bad:
	return vg_error_set(err, -EINVAL, "md array name \"%s\" is not mdN or md_NAME", name ? name : "");
}

/* Read a sysfs attribute, without the trailing newline. -errno (ENOENT when absent). */
static int read_attr(const char *path, char *buf, size_t len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

static int write_attr(const char *path, const char *value)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(value);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, value, len);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

static int md_attr_path(char *buf, size_t len, const char *name, const char *attr)
{
	if ((size_t)snprintf(buf, len, "/sys/block/%s/md/%s", name, attr) >= len)
		return -ENAMETOOLONG;
	return 0;
}

static int read_md_attr(const char *name, const char *attr, char *buf, size_t len)
{
	char path[PATH_MAX];
	int r = md_attr_path(path, sizeof(path), name, attr);

	return r < 0 ? r : read_attr(path, buf, len);
}

static int read_md_u64(const char *name, const char *attr, uint64_t *ret)
{
	char buf[64], *end = NULL;
	int r = read_md_attr(name, attr, buf, sizeof(buf));

	if (r < 0)
		return r;
	errno = 0;
	*ret = strtoull(buf, &end, 10);
	return (errno || end == buf) ? -EBADMSG : 0;
}

/* The block device behind @path: -ENOTBLK when it is not one. */
static int leg_rdev(const char *path, dev_t *ret, struct vg_error *err)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return vg_error_set(err, -errno, "leg %s: %m", path);
	if (!S_ISBLK(st.st_mode))
		return vg_error_set(err, -ENOTBLK, "leg %s is not a block device", path);
	*ret = st.st_rdev;
	return 0;
}

/*
 * Open /dev/<name> for ioctls, making the node from /sys/block/<name>/dev
 * when devtmpfs has not (yet) made it.
 */
static int open_md(const char *name, struct vg_error *err)
{
	char path[PATH_MAX], sys[PATH_MAX], devno[32];
	unsigned maj, min;
	int fd, r;

	snprintf(path, sizeof(path), "/dev/%s", name);
	fd = open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0)
		return fd;
	if (errno != ENOENT)
		return vg_error_set(err, -errno, "cannot open %s: %m", path);
	snprintf(sys, sizeof(sys), "/sys/block/%s/dev", name);
	r = read_attr(sys, devno, sizeof(devno));
	if (r < 0)
		return vg_error_set(err, r == -ENOENT ? -ENOENT : r, "md array %s does not exist", name);
	if (sscanf(devno, "%u:%u", &maj, &min) != 2)
		return vg_error_set(err, -EBADMSG, "%s: cannot parse \"%s\"", sys, devno);
	if (mknod(path, S_IFBLK | 0660, makedev(maj, min)) < 0 && errno != EEXIST)
		return vg_error_set(err, -errno, "cannot create %s: %m", path);
	fd = open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return vg_error_set(err, -errno, "cannot open %s: %m", path);
	return fd;
}

/* Make the (inactive) md device @name exist: new_array, unless it is there already. -EBUSY when active. */
static int new_array(const char *name, struct vg_error *err)
{
	char state[32];
	int r;

	r = read_md_attr(name, "array_state", state, sizeof(state));
	if (r == 0) {
		if (streq(state, "clear") || streq(state, "inactive"))
			return 0;
		return vg_error_set(err, -EBUSY, "md array %s is active already (%s)", name, state);
	}
	r = write_attr(NEW_ARRAY_PARAM, name);
	if (r < 0 && r != -EEXIST)
		return vg_error_set(err, r, "cannot create md array %s through " NEW_ARRAY_PARAM ": %s", name,
				    strerror(-r));
	return 0;
}

struct assembly_leg {
	const char *path;
	dev_t rdev;
	uint32_t dev_number;
	uint16_t role;
	bool in_sync;
};

static void blockdevs_close(struct blockdev **devs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		devs[i] = blockdev_close(devs[i]);
}

/*
 * Decide which legs go in, in which order, from their superblocks: the
 * reference (freshest) first, then the other present, fresh, not rejected
 * legs; the rest are left out, as mdadm leaves out stale devices.
 * Returns the number of legs in @ret_legs (sized n_paths).
 */
static int plan_assembly(const char *name, const char *const *paths, size_t n_paths, unsigned flags,
			 struct assembly_leg *ret_legs, struct vg_error *err)
{
	_cleanup_free_ struct blockdev **devs = calloc(n_paths, sizeof(*devs));
	_cleanup_(md_mirror_view_freep) struct md_mirror_view *view = NULL;
	size_t n = 0;
	int r;

	if (!devs)
		return -ENOMEM;
	for (size_t i = 0; i < n_paths; i++) {
		dev_t rdev;

		r = leg_rdev(paths[i], &rdev, err);
		if (r < 0)
			goto out;
		r = blockdev_open(paths[i], BLOCKDEV_READ_ONLY, &devs[i], err);
		if (r < 0)
			goto out;
	}
	r = md_mirror_view_read(devs, n_paths, NULL, &view, err);
	if (r < 0)
		goto out;
	if (view->version != MD_SUPER_1_0) {
		r = vg_error_set(err, -EPROTONOSUPPORT, "md array %s: superblock %s, only 1.0 is assembled",
				 name, md_super_version_name(view->version));
		goto out;
	}
	if (view->degraded > 0 && !(flags & MD_KERNEL_RUN_DEGRADED)) {
		r = vg_error_set(err, -ENODEV,
				 "md array %s: %u of %u slots have no fresh leg among the devices given; not "
				 "starting degraded",
				 name, view->degraded, view->raid_disks);
		goto out;
	}
	/* the reference first: the kernel takes the first device's superblock as the array's */
	for (size_t pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < view->n_legs; i++) {
			const struct md_mirror_leg *leg = &view->legs[i];
			size_t k;

			if ((pass == 0) != (i == view->reference))
				continue;
			if (!leg->present || !leg->fresh || leg->rejected || leg->state == MD_LEG_FAULTY)
				continue;
			for (k = 0; k < n_paths && devs[k] != leg->dev; k++)
				;
			if (k == n_paths)
				continue;
			ret_legs[n] = (struct assembly_leg){
				.path = paths[k],
				.dev_number = leg->dev_number,
				.role = leg->role,
				.in_sync = leg->state == MD_LEG_IN_SYNC,
			};
			n++;
		}
	if (n == 0)
		r = vg_error_set(err, -ENODEV, "md array %s: no usable leg among the devices given", name);
	else
		r = (int)n;
out:
	blockdevs_close(devs, n_paths);
	return r;
}

static int linux_assemble(const char *name, const char *const *legs, size_t n_legs, unsigned flags,
			  struct vg_error *err)
{
	_cleanup_free_ struct assembly_leg *plan = NULL;
	_cleanup_close_ int fd = -1;
	mdu_array_info_t array = { 0 };
	int n, r;

	r = check_name(name, err);
	if (r < 0)
		return r;
	if (n_legs == 0)
		return vg_error_set(err, -EINVAL, "md array %s: no legs given", name);
	plan = calloc(n_legs, sizeof(*plan));
	if (!plan)
		return -ENOMEM;
	n = plan_assembly(name, legs, n_legs, flags, plan, err);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		r = leg_rdev(plan[i].path, &plan[i].rdev, err);
		if (r < 0)
			return r;
	}

	r = new_array(name, err);
	if (r < 0)
		return r;
	fd = open_md(name, err);
	if (fd < 0)
		return fd;

	array.major_version = 1;
	array.minor_version = 0;
	if (ioctl(fd, SET_ARRAY_INFO, &array) < 0)
		return vg_error_set(err, -errno, "md array %s: SET_ARRAY_INFO 1.0: %m", name);
	for (int i = 0; i < n; i++) {
		mdu_disk_info_t disk = {
			.number = (int)plan[i].dev_number,
			.major = (int)major(plan[i].rdev),
			.minor = (int)minor(plan[i].rdev),
			.raid_disk = plan[i].role < MD_ROLE_MAX ? plan[i].role : -1,
			.state = plan[i].in_sync ? (1 << KDISK_SYNC) | (1 << KDISK_ACTIVE) : 0,
		};

		if (ioctl(fd, ADD_NEW_DISK, &disk) < 0) {
			r = vg_error_set(err, -errno, "md array %s: ADD_NEW_DISK %s (%d:%d): %m", name,
					 plan[i].path, disk.major, disk.minor);
			goto undo;
		}
	}
	if (ioctl(fd, RUN_ARRAY, NULL) < 0) {
		r = vg_error_set(err, -errno, "md array %s: RUN_ARRAY: %m", name);
		goto undo;
	}
	return 0;
undo:
	/* release the legs bound so far; the array goes back to inactive */
	(void)ioctl(fd, STOP_ARRAY, NULL);
	return r;
}

/* Kernel device names are short; a longer one is cut, never overflows. */
static void copy_name(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

/*
 * What holds @name open, for a refused stop: the device-mapper devices
 * listed under /sys/block/NAME/holders by their dm names ("vg_raid-lv_files"),
 * others by their kernel names. Empty when nothing holds it (a mount or an
 * open file descriptor does not show there).
 */
static void list_holders(const char *name, char *buf, size_t len)
{
	char path[PATH_MAX];
	_cleanup_(closedirp) DIR *dir = NULL;
	struct dirent *de;
	size_t used = 0;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/sys/block/%s/holders", name);
	dir = opendir(path);
	while (dir && (de = readdir(dir)) && used < len) {
		char holder[256];

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/dm/name", de->d_name);
		if (read_attr(path, holder, sizeof(holder)) < 0)
			copy_name(holder, sizeof(holder), de->d_name);
		used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "", holder);
	}
}

static int linux_stop(const char *name, struct vg_error *err)
{
	_cleanup_close_ int fd = -1;
	char holders[512];
	int r;

	r = check_name(name, err);
	if (r < 0)
		return r;
	fd = open_md(name, err);
	if (fd < 0)
		return fd;
	if (ioctl(fd, STOP_ARRAY, NULL) == 0)
		return 0;
	r = -errno;
	if (r != -EBUSY)
		return vg_error_set(err, r, "md array %s: STOP_ARRAY: %s", name, strerror(-r));
	list_holders(name, holders, sizeof(holders));
	if (holders[0])
		return vg_error_set(err, r, "md array %s is in use by device-mapper devices %s: deactivate those LVs first",
				    name, holders);
	return vg_error_set(err, r, "md array %s is in use (mounted, or open by a program): it was left running", name);
}

struct md_kernel_state *md_kernel_state_free(struct md_kernel_state *state)
{
	if (!state)
		return NULL;
	free(state->members);
	free(state);
	return NULL;
}


static int read_member(const char *name, const char *entry, struct md_kernel_member *m)
{
	char attr[300], buf[64], link[PATH_MAX], target[PATH_MAX];
	unsigned maj = 0, min = 0;
	ssize_t n;

	*m = (struct md_kernel_member){ .slot = -1 };
	snprintf(attr, sizeof(attr), "%s/state", entry);
	(void)read_md_attr(name, attr, m->state, sizeof(m->state));
	snprintf(attr, sizeof(attr), "%s/slot", entry);
	if (read_md_attr(name, attr, buf, sizeof(buf)) == 0 && !streq(buf, "none"))
		m->slot = (int32_t)strtol(buf, NULL, 10);
	snprintf(attr, sizeof(attr), "%s/errors", entry);
	if (read_md_attr(name, attr, buf, sizeof(buf)) == 0)
		m->errors = strtoull(buf, NULL, 10);
	snprintf(attr, sizeof(attr), "%s/block/dev", entry);
	if (read_md_attr(name, attr, buf, sizeof(buf)) == 0 && sscanf(buf, "%u:%u", &maj, &min) == 2) {
		m->major = maj;
		m->minor = min;
	}
	snprintf(link, sizeof(link), "/sys/block/%s/md/%s/block", name, entry);
	n = readlink(link, target, sizeof(target) - 1);
	if (n > 0) {
		const char *base;

		target[n] = '\0';
		base = strrchr(target, '/');
		copy_name(m->name, sizeof(m->name), base ? base + 1 : target);
	} else {
		copy_name(m->name, sizeof(m->name), entry + 4);
	}
	return 0;
}


static int linux_state(const char *name, struct md_kernel_state **ret_state, struct vg_error *err)
{
	_cleanup_(md_kernel_state_freep) struct md_kernel_state *st = NULL;
	_cleanup_(closedirp) DIR *dir = NULL;
	char path[PATH_MAX], buf[64];
	struct dirent *de;
	int r;

	r = check_name(name, err);
	if (r < 0)
		return r;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	r = read_md_attr(name, "array_state", st->array_state, sizeof(st->array_state));
	if (r < 0)
		return vg_error_set(err, r == -ENOENT ? -ENOENT : r, "md array %s does not exist", name);
	(void)read_md_attr(name, "level", st->level, sizeof(st->level));
	(void)read_md_attr(name, "metadata_version", st->metadata_version, sizeof(st->metadata_version));
	(void)read_md_attr(name, "sync_action", st->sync_action, sizeof(st->sync_action));
	(void)read_md_attr(name, "sync_completed", st->sync_completed, sizeof(st->sync_completed));
	if (read_md_attr(name, "raid_disks", buf, sizeof(buf)) == 0)
		st->raid_disks = (uint32_t)strtoul(buf, NULL, 10);
	{
		uint64_t v;

		if (read_md_u64(name, "degraded", &v) == 0)
			st->degraded = (uint32_t)v;
		if (read_md_u64(name, "mismatch_cnt", &v) == 0)
			st->mismatch_cnt = v;
	}
	snprintf(path, sizeof(path), "/sys/block/%s/size", name);
	if (read_attr(path, buf, sizeof(buf)) == 0)
		st->size_sectors = strtoull(buf, NULL, 10);

	snprintf(path, sizeof(path), "/sys/block/%s/md", name);
	dir = opendir(path);
	if (!dir)
		return vg_error_set(err, -errno, "cannot list %s: %m", path);
	while ((errno = 0, de = readdir(dir))) {
		struct md_kernel_member *members;

		if (strncmp(de->d_name, "dev-", 4) != 0)
			continue;
		members = realloc(st->members, (st->n_members + 1) * sizeof(*members));
		if (!members)
			return -ENOMEM;
		st->members = members;
		read_member(name, de->d_name, &st->members[st->n_members++]);
	}
	*ret_state = TAKE_PTR(st);
	return 0;
}

static int leg_ioctl(const char *name, const char *leg_path, unsigned long request, const char *what,
		     struct vg_error *err)
{
	_cleanup_close_ int fd = -1;
	dev_t rdev;
	int r;

	r = check_name(name, err);
	if (r < 0)
		return r;
	r = leg_rdev(leg_path, &rdev, err);
	if (r < 0)
		return r;
	fd = open_md(name, err);
	if (fd < 0)
		return fd;
	/* the argument is the dev_t itself, in the kernel's new encoding (glibc's makedev) */
	if (ioctl(fd, request, (unsigned long)makedev(major(rdev), minor(rdev))) < 0)
		return vg_error_set(err, -errno, "md array %s: %s %s: %m", name, what, leg_path);
	return 0;
}

static int linux_fail_leg(const char *name, const char *leg_path, struct vg_error *err)
{
	return leg_ioctl(name, leg_path, SET_DISK_FAULTY, "SET_DISK_FAULTY", err);
}

static int linux_remove_leg(const char *name, const char *leg_path, struct vg_error *err)
{
	struct timespec nap = { .tv_nsec = 100 * 1000 * 1000 };
	int r;

	/*
	 * Right after SET_DISK_FAULTY the personality may still hold the
	 * leg (pending I/O, md thread not yet run): EBUSY for a moment, so
	 * retry for up to 5 s as mdadm does, before calling it in use.
	 */
	for (int tries = 0;; tries++) {
		r = leg_ioctl(name, leg_path, HOT_REMOVE_DISK, "HOT_REMOVE_DISK", err);
		if (r != -EBUSY || tries >= 50)
			return r;
		nanosleep(&nap, NULL);
	}
}

/* The member directory of @leg_path in @name ("dev-vda"), found by device number. */
static int member_entry(const char *name, const char *leg_path, char *ret_entry, size_t len, struct vg_error *err)
{
	_cleanup_(closedirp) DIR *dir = NULL;
	char path[PATH_MAX];
	struct dirent *de;
	dev_t rdev;
	int r;

	r = leg_rdev(leg_path, &rdev, err);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "/sys/block/%s/md", name);
	dir = opendir(path);
	if (!dir)
		return vg_error_set(err, -errno, "md array %s: %m", name);
	while ((de = readdir(dir))) {
		char buf[64];
		unsigned maj, min;

		if (strncmp(de->d_name, "dev-", 4) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/block/dev", de->d_name);
		if (read_md_attr(name, path, buf, sizeof(buf)) == 0 && sscanf(buf, "%u:%u", &maj, &min) == 2 &&
		    maj == major(rdev) && min == minor(rdev)) {
			snprintf(ret_entry, len, "%s", de->d_name);
			return 0;
		}
	}
	return vg_error_set(err, -ENODEV, "md array %s: %s is not a member", name, leg_path);
}

static int linux_want_replacement(const char *name, const char *leg_path, struct vg_error *err)
{
	char entry[NAME_MAX + 1], path[PATH_MAX];
	int r;

	if ((r = check_name(name, err)) < 0 || (r = member_entry(name, leg_path, entry, sizeof(entry), err)) < 0)
		return r;
	snprintf(path, sizeof(path), "/sys/block/%s/md/%s/state", name, entry);
	r = write_attr(path, "want_replacement");
	if (r < 0)
		return vg_error_set(err, r, "md array %s: asking for a replacement of %s: %s", name, leg_path,
				    strerror(-r));
	return 0;
}

static int linux_remove_member(const char *name, const char *member, struct vg_error *err)
{
	char path[PATH_MAX], state[64] = "";
	int r;

	if ((r = check_name(name, err)) < 0)
		return r;
	if (strchr(member, '/') || strlen(member) > NAME_MAX - 4)
		return vg_error_set(err, -EINVAL, "md array %s: \"%s\" is not a member name", name, member);
	snprintf(path, sizeof(path), "dev-%s/state", member);
	if (read_md_attr(name, path, state, sizeof(state)) < 0)
		return vg_error_set(err, -ENODEV, "md array %s has no member %s", name, member);
	if (!strstr(state, "faulty"))
		return vg_error_set(err, -EBUSY, "md array %s: member %s is %s, not faulty: fail it first", name, member,
				    state);
	snprintf(path, sizeof(path), "/sys/block/%s/md/dev-%s/state", name, member);
	r = write_attr(path, "remove");
	if (r < 0)
		return vg_error_set(err, r, "md array %s: removing member %s: %s", name, member, strerror(-r));
	return 0;
}

/* The set uuid of a running member of @name, read from its superblock. */
static int array_uuid(const char *name, uint8_t ret_uuid[16], struct vg_error *err)
{
	_cleanup_(md_kernel_state_freep) struct md_kernel_state *st = NULL;
	int r;

	r = linux_state(name, &st, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < st->n_members; i++) {
		struct blockdev *dev = NULL;
		struct md_super sb;
		char path[PATH_MAX];

		if (strstr(st->members[i].state, "faulty"))
			continue;
		snprintf(path, sizeof(path), "/dev/%s", st->members[i].name);
		if (blockdev_open(path, BLOCKDEV_READ_ONLY, &dev, NULL) < 0)
			continue;
		r = md_super_probe(dev, &sb, NULL);
		blockdev_close(dev);
		if (r == 0) {
			memcpy(ret_uuid, sb.set_uuid, 16);
			return 0;
		}
	}
	return vg_error_set(err, -ENODEV, "md array %s: no member superblock readable", name);
}

static int linux_add_leg(const char *name, const char *leg_path, struct vg_error *err)
{
	_cleanup_close_ int fd = -1;
	struct blockdev *dev = NULL;
	struct md_super sb;
	uint8_t uuid[16];
	dev_t rdev;
	int r;

	r = check_name(name, err);
	if (r < 0)
		return r;
	r = leg_rdev(leg_path, &rdev, err);
	if (r < 0)
		return r;
	r = blockdev_open(leg_path, BLOCKDEV_READ_ONLY, &dev, err);
	if (r < 0)
		return r;
	r = md_super_probe(dev, &sb, err);
	blockdev_close(dev);
	if (r < 0)
		return vg_error_prefix(err, r, "leg %s: ", leg_path);
	if (sb.version != MD_SUPER_1_0)
		return vg_error_set(err, -EPROTONOSUPPORT, "leg %s carries a %s superblock, not 1.0", leg_path,
				    md_super_version_name(sb.version));
	r = array_uuid(name, uuid, err);
	if (r < 0)
		return r;
	if (memcmp(uuid, sb.set_uuid, 16) != 0)
		return vg_error_set(err, -EXDEV, "leg %s belongs to another array than %s", leg_path, name);

	fd = open_md(name, err);
	if (fd < 0)
		return fd;
	{
		/* as a spare: md decides whether it can re-enter its old slot or must be rebuilt */
		mdu_disk_info_t disk = {
			.number = (int)sb.dev_number,
			.major = (int)major(rdev),
			.minor = (int)minor(rdev),
			.raid_disk = -1,
			.state = 0,
		};

		if (ioctl(fd, ADD_NEW_DISK, &disk) < 0)
			return vg_error_set(err, -errno, "md array %s: ADD_NEW_DISK %s: %m", name, leg_path);
	}
	return 0;
}

static int linux_scrub(const char *name, enum md_scrub_action action, struct vg_error *err)
{
	static const char *const words[] = {
		[MD_SCRUB_CHECK] = "check",
		[MD_SCRUB_REPAIR] = "repair",
		[MD_SCRUB_IDLE] = "idle",
	};
	char path[PATH_MAX];
	int r;

	r = check_name(name, err);
	if (r < 0)
		return r;
	if ((unsigned)action >= ARRAY_SIZE(words))
		return vg_error_set(err, -EINVAL, "unknown scrub action %d", (int)action);
	md_attr_path(path, sizeof(path), name, "sync_action");
	r = write_attr(path, words[action]);
	if (r < 0)
		return vg_error_set(err, r, "md array %s: writing %s to sync_action: %s", name, words[action],
				    strerror(-r));
	return 0;
}

int md_kernel_wait_idle(const char *name, unsigned timeout_ms, struct vg_error *err)
{
	struct timespec nap = { .tv_nsec = 100 * 1000 * 1000 };
	char action[32] = "";
	int r;

	r = check_name(name, err);
	if (r < 0)
		return r;
	for (unsigned waited = 0;; waited += 100) {
		r = read_md_attr(name, "sync_action", action, sizeof(action));
		if (r < 0)
			return vg_error_set(err, r, "md array %s: cannot read sync_action: %s", name, strerror(-r));
		if (streq(action, "idle"))
			return 0;
		if (waited >= timeout_ms)
			return vg_error_set(err, -ETIMEDOUT, "md array %s: still %s after %u ms", name, action,
					    timeout_ms);
		nanosleep(&nap, NULL);
	}
}

const struct md_kernel_ops md_kernel_linux = {
	.assemble = linux_assemble,
	.stop = linux_stop,
	.state = linux_state,
	.fail_leg = linux_fail_leg,
	.remove_leg = linux_remove_leg,
	.add_leg = linux_add_leg,
	.scrub = linux_scrub,
	.want_replacement = linux_want_replacement,
	.remove_member = linux_remove_member,
};
