/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The libdevmapper implementation of struct dmctl_ops, and the /dev/VG/LV
 * links. The only file that includes libdevmapper.h. libdm reports through
 * 1/0 returns, dm_task_get_errno() and a log callback; the callback keeps
 * the last error line (per thread) so a failure comes back as -errno with
 * libdm's own words in the struct vg_error, and nothing reaches stderr.
 */
#include <fcntl.h>
#include <libdevmapper.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "dmctl-libdm.h"

static _Thread_local char last_message[256];
static _Thread_local int last_errno;

static void capture_log(int level, const char *file, int line, int dm_errno_or_class, const char *f, ...)
{
	va_list ap;

	(void)file;
	(void)line;
	if (level > 3) /* _LOG_ERR is 3: warnings, notices and debug are dropped */
		return;
	va_start(ap, f);
	vsnprintf(last_message, sizeof(last_message), f, ap);
	va_end(ap);
	if (dm_errno_or_class > 0)
		last_errno = dm_errno_or_class;
}

static void capture_reset(void)
{
	last_message[0] = '\0';
	last_errno = 0;
}

/* libdm said 0: the errno of the ioctl when there was one, else @fallback. */
static int task_failed(struct dm_task *dmt, int fallback, struct vg_error *err, const char *what,
		       const char *name)
{
	int e = dmt ? dm_task_get_errno(dmt) : 0;

	if (e <= 0)
		e = last_errno > 0 ? last_errno : fallback;
	return vg_error_set(err, -e, "device-mapper %s of %s failed: %s", what, name,
			    last_message[0] ? last_message : strerror(e));
}

static void task_destroyp(struct dm_task **dmt)
{
	if (*dmt)
		dm_task_destroy(*dmt);
}
#define _cleanup_task_ _cleanup_(task_destroyp)

static struct dm_task *task_new(int type, const char *name, struct vg_error *err, int *ret_r)
{
	struct dm_task *dmt = dm_task_create(type);

	if (!dmt) {
		*ret_r = vg_error_set(err, -ENOMEM, "device-mapper: cannot create a task");
		return NULL;
	}
	if (name && !dm_task_set_name(dmt, name)) {
		*ret_r = task_failed(dmt, EINVAL, err, "naming", name);
		dm_task_destroy(dmt);
		return NULL;
	}
	*ret_r = 0;
	return dmt;
}

static int add_targets(struct dm_task *dmt, const struct lv_table *table, const char *name, struct vg_error *err)
{
	for (size_t i = 0; i < table->n_rows; i++) {
		const struct lv_table_row *row = &table->rows[i];

		if (!dm_task_add_target(dmt, row->start_sectors, row->length_sectors, row->target, row->params))
			return task_failed(dmt, ENOMEM, err, "table", name);
	}
	return 0;
}

/*
 * Run @dmt with a cookie when @with_cookie (CREATE, RESUME, REMOVE and
 * RENAME change nodes), then wait for udev or let libdm do the node work.
 * The udev rules of lvm2 are told nothing special: our names and uuids are
 * LVM's, so its rules do what they do for its own devices.
 */
static int task_run(struct dmctl *ctl, struct dm_task *dmt, bool with_cookie, const char *what, const char *name,
		    struct vg_error *err)
{
	uint32_t cookie = 0;
	int ok;

	(void)ctl;
	if (with_cookie && !dm_task_set_cookie(dmt, &cookie, 0))
		return task_failed(dmt, EIO, err, "cookie", name);
	ok = dm_task_run(dmt);
	if (with_cookie) {
		/* wait (or make the nodes) even after a failure: libdm may have undone a half-made device */
		if (!dm_udev_wait(cookie) && ok)
			return vg_error_set(err, -EIO, "device-mapper %s of %s: waiting for udev failed", what,
					    name);
	}
	if (!ok)
		return task_failed(dmt, EIO, err, what, name);
	return 0;
}

static int libdm_info(struct dmctl *ctl, const char *name, struct dmctl_info *ret_info, struct vg_error *err)
{
	_cleanup_task_ struct dm_task *dmt = NULL;
	struct dm_info info;
	int r;

	(void)ctl;
	capture_reset();
	dmt = task_new(DM_DEVICE_INFO, name, err, &r);
	if (!dmt)
		return r;
	if (!dm_task_run(dmt))
		return task_failed(dmt, EIO, err, "info", name);
	if (!dm_task_get_info(dmt, &info))
		return task_failed(dmt, EIO, err, "info", name);
	*ret_info = (struct dmctl_info){
		.exists = info.exists,
		.suspended = info.exists && info.suspended,
		.live_table = info.exists && info.live_table,
		.inactive_table = info.exists && info.inactive_table,
		.read_only = info.exists && info.read_only,
		.open_count = info.exists ? info.open_count : 0,
		.major = info.exists ? info.major : 0,
		.minor = info.exists ? info.minor : 0,
		.target_count = info.exists ? info.target_count : 0,
	};
	return 0;
}

static int libdm_create(struct dmctl *ctl, const char *name, const char *uuid, const struct lv_table *table,
			bool read_only, struct vg_error *err)
{
	_cleanup_task_ struct dm_task *dmt = NULL;
	struct dmctl_info info;
	int r;

	if (table->n_rows == 0)
		return vg_error_set(err, -EINVAL, "device-mapper create of %s: empty table", name);
	/* libdm reports an existing name only as a failed ioctl: say it plainly */
	r = libdm_info(ctl, name, &info, err);
	if (r < 0)
		return r;
	if (info.exists)
		return vg_error_set(err, -EEXIST, "device-mapper device %s exists already", name);

	capture_reset();
	dmt = task_new(DM_DEVICE_CREATE, name, err, &r);
	if (!dmt)
		return r;
	if (uuid && !dm_task_set_uuid(dmt, uuid))
		return task_failed(dmt, EINVAL, err, "uuid", name);
	if (read_only && !dm_task_set_ro(dmt))
		return task_failed(dmt, EINVAL, err, "read-only flag", name);
	r = add_targets(dmt, table, name, err);
	if (r < 0)
		return r;
	/* CREATE with targets: DEV_CREATE, TABLE_LOAD, resume; libdm removes the device if a step fails */
	return task_run(ctl, dmt, true, "create", name, err);
}

static int simple_task(struct dmctl *ctl, int type, const char *name, bool with_cookie, const char *what,
		       struct vg_error *err)
{
	_cleanup_task_ struct dm_task *dmt = NULL;
	int r;

	capture_reset();
	dmt = task_new(type, name, err, &r);
	if (!dmt)
		return r;
	return task_run(ctl, dmt, with_cookie, what, name, err);
}

static int libdm_reload(struct dmctl *ctl, const char *name, const struct lv_table *table, struct vg_error *err)
{
	_cleanup_task_ struct dm_task *dmt = NULL;
	int r;

	if (table->n_rows == 0)
		return vg_error_set(err, -EINVAL, "device-mapper reload of %s: empty table", name);
	capture_reset();
	dmt = task_new(DM_DEVICE_RELOAD, name, err, &r);
	if (!dmt)
		return r;
	r = add_targets(dmt, table, name, err);
	if (r < 0)
		return r;
	r = task_run(ctl, dmt, false, "table load", name, err);
	if (r < 0)
		return r;
	r = simple_task(ctl, DM_DEVICE_SUSPEND, name, false, "suspend", err);
	if (r < 0) {
		/* drop the loaded inactive table, so the device stays as it was */
		(void)simple_task(ctl, DM_DEVICE_CLEAR, name, false, "clear", NULL);
		return r;
	}
	return simple_task(ctl, DM_DEVICE_RESUME, name, true, "resume", err);
}

/*
 * Without lockfs: a filesystem on the device is not frozen (a frozen block
 * device makes a mount fail with EBUSY); its I/O is held all the same, and
 * what it has not written yet goes to the new table after the resume.
 */
static int libdm_suspend(struct dmctl *ctl, const char *name, struct vg_error *err)
{
	_cleanup_task_ struct dm_task *dmt = NULL;
	int r;

	capture_reset();
	dmt = task_new(DM_DEVICE_SUSPEND, name, err, &r);
	if (!dmt)
		return r;
	if (!dm_task_skip_lockfs(dmt))
		return task_failed(dmt, EINVAL, err, "suspend", name);
	return task_run(ctl, dmt, false, "suspend", name, err);
}

static int libdm_resume(struct dmctl *ctl, const char *name, struct vg_error *err)
{
	return simple_task(ctl, DM_DEVICE_RESUME, name, true, "resume", err);
}

static int libdm_rename(struct dmctl *ctl, const char *name, const char *new_name, struct vg_error *err)
{
	_cleanup_task_ struct dm_task *dmt = NULL;
	int r;

	capture_reset();
	dmt = task_new(DM_DEVICE_RENAME, name, err, &r);
	if (!dmt)
		return r;
	if (!dm_task_set_newname(dmt, new_name))
		return task_failed(dmt, EINVAL, err, "rename", name);
	return task_run(ctl, dmt, true, "rename", name, err);
}

static int libdm_remove(struct dmctl *ctl, const char *name, struct vg_error *err)
{
	struct dmctl_info info;
	int r;

	r = libdm_info(ctl, name, &info, err);
	if (r < 0)
		return r;
	if (!info.exists)
		return vg_error_set(err, -ENXIO, "device-mapper device %s does not exist", name);
	if (info.open_count > 0)
		return vg_error_set(err, -EBUSY, "device-mapper device %s is open (%d users)", name,
				    info.open_count);
	return simple_task(ctl, DM_DEVICE_REMOVE, name, true, "remove", err);
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int libdm_list(struct dmctl *ctl, struct dmctl_names *ret_names, struct vg_error *err)
{
	_cleanup_task_ struct dm_task *dmt = NULL;
	struct dmctl_names names = { 0 };
	struct dm_names *entry;
	unsigned next = 0;
	int r;

	(void)ctl;
	capture_reset();
	dmt = task_new(DM_DEVICE_LIST, NULL, err, &r);
	if (!dmt)
		return r;
	if (!dm_task_run(dmt) || !(entry = dm_task_get_names(dmt)))
		return task_failed(dmt, EIO, err, "list", "all devices");
	if (entry->dev) {
		do {
			char **grown;

			entry = (struct dm_names *)((char *)entry + next);
			grown = realloc(names.names, (names.n + 1) * sizeof(*grown));
			if (!grown || !(grown[names.n] = strdup(entry->name))) {
				if (grown)
					names.names = grown;
				dmctl_names_done(&names);
				return vg_error_set(err, -ENOMEM, "out of memory");
			}
			names.names = grown;
			names.n++;
			next = entry->next;
		} while (next);
	}
	if (names.n > 1)
		qsort(names.names, names.n, sizeof(*names.names), compare_names);
	*ret_names = names;
	return 0;
}

void dmctl_names_done(struct dmctl_names *names)
{
	for (size_t i = 0; i < names->n; i++)
		free(names->names[i]);
	free(names->names);
	*names = (struct dmctl_names){ 0 };
}

bool dmctl_names_has(const struct dmctl_names *names, const char *name)
{
	return names->n > 0 && bsearch(&name, names->names, names->n, sizeof(*names->names), compare_names);
}

static int libdm_remove_deferred(struct dmctl *ctl, const char *name, struct vg_error *err)
{
	_cleanup_task_ struct dm_task *dmt = NULL;
	int r;

	capture_reset();
	dmt = task_new(DM_DEVICE_REMOVE, name, err, &r);
	if (!dmt)
		return r;
	if (!dm_task_deferred_remove(dmt))
		return task_failed(dmt, EINVAL, err, "deferred remove", name);
	return task_run(ctl, dmt, true, "deferred remove", name, err);
}

void dmctl_status_done(struct dmctl_status *status)
{
	for (size_t i = 0; i < status->n_rows; i++) {
		free(status->rows[i].target);
		free(status->rows[i].params);
	}
	free(status->rows);
	*status = (struct dmctl_status){ 0 };
}

static int libdm_status(struct dmctl *ctl, const char *name, struct dmctl_status *ret_status, struct vg_error *err)
{
	_cleanup_task_ struct dm_task *dmt = NULL;
	struct dmctl_status status = { 0 };
	struct dm_info info;
	void *next = NULL;
	int r;

	(void)ctl;
	capture_reset();
	dmt = task_new(DM_DEVICE_STATUS, name, err, &r);
	if (!dmt)
		return r;
	if (!dm_task_run(dmt) || !dm_task_get_info(dmt, &info))
		return task_failed(dmt, EIO, err, "status", name);
	if (!info.exists)
		return vg_error_set(err, -ENXIO, "device-mapper device %s does not exist", name);
	do {
		uint64_t start, length;
		char *target = NULL, *params = NULL;
		struct dmctl_target_status *grown, *row;

		next = dm_get_next_target(dmt, next, &start, &length, &target, &params);
		if (!target)
			break;
		grown = realloc(status.rows, (status.n_rows + 1) * sizeof(*grown));
		if (!grown) {
			dmctl_status_done(&status);
			return vg_error_set(err, -ENOMEM, "out of memory");
		}
		status.rows = grown;
		row = &status.rows[status.n_rows];
		*row = (struct dmctl_target_status){ .start_sectors = start, .length_sectors = length,
						     .target = strdup(target), .params = strdup(params ? params : "") };
		status.n_rows++;
		if (!row->target || !row->params) {
			dmctl_status_done(&status);
			return vg_error_set(err, -ENOMEM, "out of memory");
		}
	} while (next);
	*ret_status = status;
	return 0;
}

static const struct dmctl_ops libdm_ops = {
	.create = libdm_create,
	.reload = libdm_reload,
	.suspend = libdm_suspend,
	.resume = libdm_resume,
	.rename = libdm_rename,
	.remove = libdm_remove,
	.remove_deferred = libdm_remove_deferred,
	.list = libdm_list,
	.info = libdm_info,
	.status = libdm_status,
};

int dmctl_libdm_new(bool udev_sync, struct dmctl **ret_ctl, struct vg_error *err)
{
	struct dmctl *ctl;

	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return vg_error_set(err, -ENOMEM, "out of memory");
	dm_log_with_errno_init(capture_log);
	dm_udev_set_sync_support(udev_sync ? 1 : 0);
	ctl->ops = &libdm_ops;
	ctl->udev_sync = udev_sync;
	*ret_ctl = ctl;
	return 0;
}

struct dmctl *dmctl_free(struct dmctl *ctl)
{
	free(ctl);
	return NULL;
}

int lv_link_create(const char *dev_dir, const char *vg_name, const char *lv_name, const char *dm_name,
		   struct vg_error *err)
{
	char dir[PATH_MAX], link[PATH_MAX], target[PATH_MAX], tmp[PATH_MAX];

	if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", dev_dir, vg_name) >= sizeof(dir) ||
	    (size_t)snprintf(link, sizeof(link), "%s/%s", dir, lv_name) >= sizeof(link) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.new", dir, lv_name) >= sizeof(tmp) ||
	    (size_t)snprintf(target, sizeof(target), "../mapper/%s", dm_name) >= sizeof(target))
		return vg_error_set(err, -ENAMETOOLONG, "link %s/%s/%s: path too long", dev_dir, vg_name, lv_name);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return vg_error_set(err, -errno, "cannot create %s: %m", dir);
	/* a new link beside the old one, renamed over it: never a moment without /dev/VG/LV */
	(void)unlink(tmp);
	if (symlink(target, tmp) < 0)
		return vg_error_set(err, -errno, "cannot create link %s: %m", tmp);
	if (rename(tmp, link) < 0) {
		int e = errno;

		(void)unlink(tmp);
		return vg_error_set(err, -e, "cannot create link %s: %s", link, strerror(e));
	}
	return 0;
}

int lv_link_remove(const char *dev_dir, const char *vg_name, const char *lv_name, struct vg_error *err)
{
	char dir[PATH_MAX], link[PATH_MAX];

	if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", dev_dir, vg_name) >= sizeof(dir) ||
	    (size_t)snprintf(link, sizeof(link), "%s/%s", dir, lv_name) >= sizeof(link))
		return vg_error_set(err, -ENAMETOOLONG, "link %s/%s/%s: path too long", dev_dir, vg_name, lv_name);
	if (unlink(link) < 0 && errno != ENOENT)
		return vg_error_set(err, -errno, "cannot remove %s: %m", link);
	if (rmdir(dir) < 0 && errno != ENOENT && errno != ENOTEMPTY && errno != EEXIST)
		return vg_error_set(err, -errno, "cannot remove %s: %m", dir);
	return 0;
}
