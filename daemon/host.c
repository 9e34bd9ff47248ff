/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host's devices, mirrors and VGs (see host.h). */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <syslog.h>
#include <time.h>

#include "activation.h"
#include "device-filter.h"
#include "host.h"
#include "inventory.h"
#include "log.h"
#include "md-mirror.h"
#include "md-super.h"
#include "vg-ops.h"

/* ---- which devices the configuration allows ---- */

/*
 * @md_array: the running array holding the device (kernel backend); the
 * device is then only read, and without O_EXCL, which md holds.
 */
static int add_device(struct host *host, const char *path, unsigned open_flags, const char *md_array,
		      struct vg_error *err)
{
	struct host_device *device, **grown;
	int r;

	device = calloc(1, sizeof(*device));
	if (!device || !(device->path = strdup(path)) || (md_array && !(device->md_array = strdup(md_array)))) {
		if (device)
			free(device->path);
		free(device);
		return vg_error_set(err, -ENOMEM, "out of memory");
	}
	r = blockdev_open(path, open_flags, &device->dev, err);
	if (r < 0) {
		free(device->md_array);
		free(device->path);
		free(device);
		return r;
	}
	/* md writes its superblocks around the page cache: what an earlier read cached may be stale */
	if (md_array && device->dev->fd >= 0)
		(void)posix_fadvise(device->dev->fd, 0, 0, POSIX_FADV_DONTNEED);
	grown = realloc(host->devices, (host->n_devices + 1) * sizeof(*grown));
	if (!grown) {
		blockdev_close(device->dev);
		free(device->path);
		free(device);
		return vg_error_set(err, -ENOMEM, "out of memory");
	}
	host->devices = grown;
	host->devices[host->n_devices++] = device;
	return 0;
}

static void free_device(struct host_device *device)
{
	blockdev_close(device->dev);
	md_mirror_view_free(device->view);
	free(device->path);
	free(device->mirror_name);
	free(device->md_array);
	free(device);
}

static void free_devices(struct host *host)
{
	for (size_t i = 0; i < host->n_devices; i++)
		free_device(host->devices[i]);
	free(host->devices);
	host->devices = NULL;
	host->n_devices = 0;
}

static void forget_device(struct host *host, struct host_device *device)
{
	for (size_t i = 0; i < host->n_devices; i++)
		if (host->devices[i] == device) {
			memmove(&host->devices[i], &host->devices[i + 1], (host->n_devices - i - 1) * sizeof(*host->devices));
			host->n_devices--;
			free_device(device);
			return;
		}
}

/* Mirrors are rebuilt from their legs on every rescan. */
static void drop_mirrors(struct host *host)
{
	size_t kept = 0;

	for (size_t i = 0; i < host->n_devices; i++) {
		if (host->devices[i]->is_mirror) {
			free_device(host->devices[i]);
			continue;
		}
		host->devices[kept++] = host->devices[i];
	}
	host->n_devices = kept;
}

/* What a device carries: leg detection first, as an md 1.0 leg also shows the PV label of its data. */
static void probe_device(struct host_device *device)
{
	struct md_super sb;
	struct vg_error probe_err = { 0 };

	free(device->mirror_name);
	device->mirror_name = NULL;
	device->is_pv = false;
	if (!device->is_mirror)
		blockdev_refresh_size(device->dev, &probe_err); /* an image file may have grown since it was opened */
	device->is_md_leg = !device->is_mirror && md_super_probe(device->dev, &sb, &probe_err) == 0;
	if (device->is_md_leg) {
		const char *colon = strchr(sb.set_name, ':');

		device->mirror_name = strdup(colon ? colon + 1 : sb.set_name);
		return;
	}
	device->is_pv = pv_label_read(device->dev, &device->label, &probe_err) == 0;
}

/* The node of running array @md_array as @mirror's blockdev (dm holds it with active LVs: no O_EXCL). */
static int add_kernel_node(struct host_device *mirror, const char *md_array, struct vg_error *err)
{
	char node[64];

	if (!(mirror->md_array = strdup(md_array)))
		return -ENOMEM;
	snprintf(node, sizeof(node), "/dev/%s", md_array);
	return blockdev_open(node, 0, &mirror->dev, err);
}

/* One mirror device per array whose legs are among the devices. */
static int assemble_mirrors(struct host *host, struct vg_error *err)
{
	size_t n_physical = host->n_devices;

	for (size_t i = 0; i < n_physical; i++) {
		struct host_device *leg = host->devices[i], *mirror, **grown;
		_cleanup_free_ struct blockdev **legs = NULL;
		struct md_mirror_view *view = NULL;
		struct vg_error view_err = { 0 };
		struct md_super sb;
		size_t n_legs = 0;
		int r;

		const char *running = NULL;

		if (!leg->is_md_leg || host_find_mirror(host, leg->mirror_name))
			continue;
		if (md_super_probe(leg->dev, &sb, &view_err) < 0)
			continue;
		legs = calloc(n_physical, sizeof(*legs));
		if (!legs)
			return vg_error_set(err, -ENOMEM, "out of memory");
		for (size_t k = 0; k < n_physical; k++)
			if (host->devices[k]->is_md_leg && streq(host->devices[k]->mirror_name, leg->mirror_name)) {
				legs[n_legs++] = host->devices[k]->dev;
				if (host->devices[k]->md_array)
					running = host->devices[k]->md_array;
			}
		r = md_mirror_view_read(legs, n_legs, sb.set_uuid, &view, &view_err);
		if (r < 0)
			continue; /* reported by mirror.list through the legs; nothing to serve */
		mirror = calloc(1, sizeof(*mirror));
		if (!mirror || !(mirror->path = strdup(leg->mirror_name))) {
			free(mirror);
			md_mirror_view_free(view);
			return vg_error_set(err, -ENOMEM, "out of memory");
		}
		mirror->is_mirror = true;
		mirror->view = view;
		if (host->activation) {
			/* the kernel's array is the data path; a mirror it does not run cannot serve data */
			r = running ? add_kernel_node(mirror, running, &view_err) : -ENODEV;
			if (r == -ENOMEM) {
				free_device(mirror);
				return vg_error_set(err, -ENOMEM, "out of memory");
			}
		} else {
			r = md_mirror_dev_open(view, 0, &mirror->dev, &view_err);
		}
		if (r < 0) {
			/* no fresh leg to read from: the mirror exists but cannot serve data */
			mirror->dev = NULL;
		}
		grown = realloc(host->devices, (host->n_devices + 1) * sizeof(*grown));
		if (!grown) {
			free_device(mirror);
			return vg_error_set(err, -ENOMEM, "out of memory");
		}
		host->devices = grown;
		host->devices[host->n_devices++] = mirror;
		if (mirror->dev)
			probe_device(mirror);
	}
	return 0;
}

struct host_device *host_find_mirror(struct host *host, const char *name)
{
	for (size_t i = 0; i < host->n_devices; i++)
		if (host->devices[i]->is_mirror && streq(host->devices[i]->path, name))
			return host->devices[i];
	return NULL;
}

/* A partitioned disk is used through its partitions; holding it open exclusively would lock them out. */
static bool has_partitions(const struct inventory_device *disk)
{
	char path[PATH_MAX];
	struct dirent *de;
	bool found = false;
	DIR *dir;

	if (!disk->sys_name || disk->parent)
		return false;
	snprintf(path, sizeof(path), "/sys/class/block/%s", disk->sys_name);
	dir = opendir(path);
	if (!dir)
		return false;
	while (!found && (de = readdir(dir))) {
		char partition[NAME_MAX + 16];
		struct stat st;

		if (strncmp(de->d_name, disk->sys_name, strlen(disk->sys_name)) != 0)
			continue;
		snprintf(partition, sizeof(partition), "%s/partition", de->d_name);
		found = fstatat(dirfd(dir), partition, &st, 0) == 0;
	}
	closedir(dir);
	return found;
}

/*
 * Take the inventory (every device the filter accepts, block devices when
 * "/dev" is a scan directory, image files in the others) and open those not
 * in use elsewhere: mounted, held, or open exclusively by someone else are
 * listed by disk.list but never touched.
 */
static int discover_devices(struct host *host, struct vg_error *err)
{
	_cleanup_free_ const char **dirs = calloc(host->config->n_scan_dirs + 1, sizeof(*dirs));
	struct inventory_config inv = { .filter = host->filter };
	struct inventory *inventory = NULL;
	int r;

	if (!dirs)
		return vg_error_set(err, -ENOMEM, "out of memory");
	for (size_t d = 0; d < host->config->n_scan_dirs; d++) {
		if (streq(host->config->scan_dirs[d], "/dev"))
			inv.block_devices = true;
		else
			dirs[inv.n_scan_dirs++] = host->config->scan_dirs[d];
	}
	inv.scan_dirs = dirs;
	r = inventory_scan(&inv, &inventory, err);
	if (r < 0)
		return r;
	inventory_free(host->inventory);
	host->inventory = inventory;
	for (size_t i = 0; i < inventory->n_devices; i++) {
		const struct inventory_device *d = &inventory->devices[i];
		struct vg_error open_err = { 0 };

		unsigned open_flags = BLOCKDEV_EXCLUSIVE;
		const char *md_array = NULL;

		struct host_device *known = host_find_device(host, d->path);

		if (known) {
			bool held = host->activation && d->busy && d->class == INVENTORY_CLASS_MD_LEG && d->md_array;

			/* md took it or let it go: opened again, writable only when md does not hold it */
			if (held == !!known->md_array && (!held || streq(known->md_array, d->md_array)))
				continue;
			vg_log(LOG_INFO, "%s: %s md array %s", d->path, held ? "now held by" : "let go by",
			       held ? d->md_array : known->md_array);
			forget_device(host, known);
		}
		if (d->class == INVENTORY_CLASS_IN_USE || has_partitions(d))
			continue;
		if (host->activation && d->busy && d->class == INVENTORY_CLASS_MD_LEG && d->md_array) {
			md_array = d->md_array;
			open_flags = BLOCKDEV_READ_ONLY;
		} else if (host->activation) {
			/*
			 * md and device-mapper claim the devices they use exclusively, and
			 * an O_EXCL open of ours would refuse them: with the kernel
			 * backend, what is not in use elsewhere (checked just now) is
			 * opened shared.
			 */
			open_flags = 0;
		}
		r = add_device(host, d->path, open_flags, md_array, &open_err);
		if (r == -ENOMEM) {
			*err = open_err;
			return r;
		}
	}
	return 0;
}

/* ---- VGs ---- */

static void free_vgs(struct host *host)
{
	host_flush_backups(host);
	for (size_t v = 0; v < host->n_vgs; v++) {
		vg_store_free(host->vgs[v]->store);
		vg_free(host->vgs[v]->staged);
		free(host->vgs[v]);
	}
	free(host->vgs);
	host->vgs = NULL;
	host->n_vgs = 0;
}

int host_add_vg(struct host *host, struct vg_store *store)
{
	struct host_vg *hvg = calloc(1, sizeof(*hvg)), **grown;

	if (!hvg)
		return -ENOMEM;
	grown = realloc(host->vgs, (host->n_vgs + 1) * sizeof(*grown));
	if (!grown) {
		free(hvg);
		return -ENOMEM;
	}
	store->state_dir = host->config->state_dir;
	/* the backup is a convenience copy: written when the loop is idle, not before each reply */
	store->defer_backup = true;
	hvg->store = store;
	host->vgs = grown;
	host->vgs[host->n_vgs++] = hvg;
	return 0;
}

bool host_backups_due(const struct host *host)
{
	for (size_t v = 0; v < host->n_vgs; v++)
		if (host->vgs[v]->store->backup_due)
			return true;
	return false;
}

void host_flush_backups(struct host *host)
{
	for (size_t v = 0; v < host->n_vgs; v++) {
		struct vg_error backup_err = { 0 };

		if (host->vgs[v]->store->backup_due && vg_store_flush_backup(host->vgs[v]->store, &backup_err) < 0)
			vg_log(LOG_ERR, "VG %s: the backup file was not written: %s", host->vgs[v]->store->vg->name,
			       backup_err.message);
	}
}

void host_remove_vg(struct host *host, struct host_vg *hvg)
{
	for (size_t v = 0; v < host->n_vgs; v++)
		if (host->vgs[v] == hvg) {
			vg_store_free(hvg->store);
			vg_free(hvg->staged);
			free(hvg);
			memmove(&host->vgs[v], &host->vgs[v + 1], (host->n_vgs - v - 1) * sizeof(*host->vgs));
			host->n_vgs--;
			return;
		}
}

static int scan_vgs(struct host *host, struct vg_error *err)
{
	_cleanup_free_ struct blockdev **devs = calloc(host->n_devices + 1, sizeof(*devs));
	_cleanup_(vg_scan_result_freep) struct vg_scan_result *scan = NULL;
	size_t n = 0;
	int r;

	if (!devs)
		return vg_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < host->n_devices; i++)
		if (!host->devices[i]->is_md_leg && host->devices[i]->dev)
			devs[n++] = host->devices[i]->dev;
	r = vg_scan(devs, n, &scan, err);
	if (r < 0)
		return r;
	for (size_t v = 0; v < scan->n_vgs; v++) {
		struct vg_store *store = NULL;

		r = vg_store_from_scan(scan, &scan->vgs[v], &store, err);
		if (r < 0)
			return r;
		r = host_add_vg(host, store);
		if (r < 0) {
			vg_store_free(store);
			return vg_error_set(err, r, "out of memory");
		}
	}
	return 0;
}

static bool mirror_running(const struct host *host, const char *mirror_name)
{
	for (size_t i = 0; i < host->n_devices; i++)
		if (host->devices[i]->md_array && host->devices[i]->mirror_name &&
		    streq(host->devices[i]->mirror_name, mirror_name))
			return true;
	return false;
}

/* A stopped array to start: its kernel name and the paths of its legs. */
struct array_start {
	char md_name[32];
	char *mirror_name;
	char **legs;
	size_t n_legs;
	unsigned flags;
};

static void array_start_done(struct array_start *start)
{
	for (size_t l = 0; l < start->n_legs; l++)
		free(start->legs[l]);
	free(start->legs);
	free(start->mirror_name);
}

/*
 * The legs of the mirror of devices[first] that md does not run yet; none
 * (n_legs 0, mirror_name set) when it cannot start from them.
 */
static int plan_array_start(struct host *host, size_t first, struct array_start *ret_start, struct vg_error *err)
{
	const struct host_device *leg = host->devices[first];
	_cleanup_free_ struct blockdev **devs = calloc(host->n_devices, sizeof(*devs));
	_cleanup_(md_mirror_view_freep) struct md_mirror_view *view = NULL;
	struct vg_error view_err = { 0 };
	struct md_super sb;
	size_t n = 0;

	*ret_start = (struct array_start){ 0 };
	if (!devs || !(ret_start->legs = calloc(host->n_devices, sizeof(char *))) ||
	    !(ret_start->mirror_name = strdup(leg->mirror_name)))
		return vg_error_set(err, -ENOMEM, "out of memory");
	if (md_super_probe(leg->dev, &sb, &view_err) < 0)
		return 0;
	/* every leg of it, wherever it is in the list: a subset could start the mirror from a stale leg alone */
	for (size_t k = 0; k < host->n_devices; k++) {
		const struct host_device *d = host->devices[k];

		if (!d->is_md_leg || d->md_array || !streq(d->mirror_name, leg->mirror_name))
			continue;
		devs[n++] = d->dev;
		if (!(ret_start->legs[ret_start->n_legs++] = strdup(d->path)))
			return vg_error_set(err, -ENOMEM, "out of memory");
	}
	if (md_mirror_view_read(devs, n, sb.set_uuid, &view, &view_err) < 0 || md_mirror_view_source(view) < 0) {
		vg_log(LOG_WARNING, "mirror %s is not started: %s", leg->mirror_name,
		       view_err.message[0] ? view_err.message : "no fresh leg to start it from");
		for (size_t l = 0; l < ret_start->n_legs; l++)
			free(ret_start->legs[l]);
		ret_start->n_legs = 0;
		return 0;
	}
	/* a leg that is missing must not keep the data away (mdadm --run) */
	ret_start->flags = view->degraded > 0 ? MD_KERNEL_RUN_DEGRADED : 0;
	return activation_md_name(leg->mirror_name, ret_start->md_name, err);
}

/*
 * Kernel backend: start every mirror whose legs are here but that md does
 * not run (as `mdadm --assemble --scan`, degraded when a leg is missing).
 * The legs were opened exclusively to read them: every device is closed
 * first, and *ret_started tells the caller to discover them again, now as
 * md holds them. A mirror that does not start is logged and left stopped.
 */
static int start_stopped_mirrors(struct host *host, bool *ret_started, struct vg_error *err)
{
	struct array_start *starts = NULL;
	size_t n_starts = 0;
	int r = 0;

	*ret_started = false;
	for (size_t i = 0; i < host->n_devices && r == 0; i++) {
		const struct host_device *leg = host->devices[i];
		struct array_start start;
		bool seen = false;

		if (!leg->is_md_leg || leg->md_array || !leg->mirror_name)
			continue;
		if (mirror_running(host, leg->mirror_name)) {
			/* md runs the mirror without it: a leg that dropped out and came back */
			vg_log(LOG_NOTICE, "%s: a leg of mirror %s that md runs without it; mirror remove-leg, then add-leg "
			       "takes it back", leg->path, leg->mirror_name);
			continue;
		}
		for (size_t k = 0; k < n_starts && !seen; k++)
			seen = streq(starts[k].mirror_name, leg->mirror_name);
		if (seen)
			continue;
		r = plan_array_start(host, i, &start, err);
		/* started or not, this mirror is decided: its other legs must not be tried alone */
		if (r == 0 && start.mirror_name) {
			struct array_start *grown = realloc(starts, (n_starts + 1) * sizeof(*grown));

			if (!grown) {
				array_start_done(&start);
				r = vg_error_set(err, -ENOMEM, "out of memory");
				break;
			}
			starts = grown;
			starts[n_starts++] = start;
		} else {
			array_start_done(&start);
		}
	}
	for (size_t k = 0; r == 0 && k < n_starts && !*ret_started; k++)
		*ret_started = starts[k].n_legs > 0;
	if (*ret_started) {
		free_devices(host);
		for (size_t k = 0; k < n_starts; k++) {
			struct vg_error start_err = { 0 };

			if (starts[k].n_legs == 0)
				continue;
			if (host->activation->md->assemble(starts[k].md_name, (const char *const *)starts[k].legs,
							   starts[k].n_legs, starts[k].flags, &start_err) < 0)
				vg_log(LOG_WARNING, "mirror %s: md array %s not started: %s", starts[k].mirror_name,
				       starts[k].md_name, start_err.message);
			else
				vg_log(LOG_NOTICE, "mirror %s: md array %s started%s", starts[k].mirror_name,
				       starts[k].md_name, starts[k].flags ? " degraded" : "");
		}
	}
	for (size_t k = 0; k < n_starts; k++)
		array_start_done(&starts[k]);
	free(starts);
	return r;
}

static int discover_and_probe(struct host *host, struct vg_error *err)
{
	int r = discover_devices(host, err);

	if (r < 0)
		return r;
	for (size_t i = 0; i < host->n_devices; i++)
		probe_device(host->devices[i]);
	return 0;
}

int host_rescan(struct host *host, struct vg_error *err)
{
	int r;

	free_vgs(host);
	drop_mirrors(host);
	r = discover_and_probe(host, err);
	if (r < 0)
		return r;
	if (host->activation) {
		bool started;

		r = start_stopped_mirrors(host, &started, err);
		if (r == 0 && started)
			r = discover_and_probe(host, err);
		if (r < 0)
			return r;
	}
	r = assemble_mirrors(host, err);
	if (r < 0)
		return r;
	return scan_vgs(host, err);
}

int host_open(const struct daemon_config *config, struct host **ret_host, struct vg_error *err)
{
	_cleanup_(host_freep) struct host *host = calloc(1, sizeof(*host));
	struct utsname uts;
	int r;

	if (!host)
		return vg_error_set(err, -ENOMEM, "out of memory");
	host->config = config;
	r = device_filter_parse((const char *const *)config->filter, config->n_filter, "devices/filter", &host->filter,
				err);
	if (r < 0)
		return r;
	if (uname(&uts) == 0) {
		snprintf(host->hostname, sizeof(host->hostname), "%s", uts.nodename);
		snprintf(host->uname_line, sizeof(host->uname_line), "%s %s %s %s %s", uts.sysname, uts.nodename,
			 uts.release, uts.version, uts.machine);
	}
	if (config->activation == ACTIVATION_KERNEL) {
		r = activation_new(&host->activation, err);
		if (r < 0)
			return r;
	}
	r = host_rescan(host, err);
	if (r < 0)
		return r;
	for (size_t v = 0; host->activation && v < host->n_vgs; v++)
		host_vg_activate_all(host, host->vgs[v]);
	*ret_host = TAKE_PTR(host);
	return 0;
}

struct host *host_free(struct host *host)
{
	if (!host)
		return NULL;
	free_vgs(host);
	free_devices(host);
	inventory_free(host->inventory);
	device_filter_free(host->filter);
	activation_free(host->activation);
	free(host->md_watch);
	free(host);
	return NULL;
}

struct host_vg *host_find_vg(struct host *host, const char *name)
{
	for (size_t v = 0; v < host->n_vgs; v++)
		if (streq(host->vgs[v]->store->vg->name, name))
			return host->vgs[v];
	return NULL;
}

struct host_device *host_find_device(struct host *host, const char *path)
{
	struct stat want, have;
	bool can_stat = stat(path, &want) == 0;

	for (size_t i = 0; i < host->n_devices; i++) {
		if (streq(host->devices[i]->path, path))
			return host->devices[i];
		if (can_stat && !host->devices[i]->is_mirror && stat(host->devices[i]->path, &have) == 0 &&
		    want.st_dev == have.st_dev && want.st_ino == have.st_ino)
			return host->devices[i];
	}
	return NULL;
}

const struct vg *host_vg_current(const struct host_vg *hvg)
{
	return hvg->staged ? hvg->staged : hvg->store->vg;
}

void host_vg_stage(struct host_vg *hvg, struct vg *next)
{
	vg_free(hvg->staged);
	hvg->staged = next;
}

void host_text_header(const struct host *host, const char *command, struct vg_text_header *ret_header,
		      char *description, size_t description_len)
{
	snprintf(description, description_len, "Write from %s.", command);
	*ret_header = (struct vg_text_header){
		.generator = PACKAGE_NAME " " PACKAGE_VERSION,
		.description = description,
		.creation_host = host->hostname,
		.uname_line = host->uname_line,
		.creation_time = (int64_t)time(NULL),
	};
}

/* At most this many LVs are listed one by one; a larger VG's note says how to list them. */
#define RESCUE_NOTE_MAX_LVS 256

char *host_rescue_note(const struct host *host, const struct vg *vg)
{
	uint64_t extent_bytes = vg->extent_size_sectors * 512;
	struct strbuf sb;

	strbuf_init(&sb);
	strbuf_printf(&sb, "vgtool rescue note for VG %s (comments: lvm2 ignores them; vgrescue map prints the same)\n",
		      vg->name);
	for (size_t p = 0; p < vg->n_pvs; p++) {
		const struct vg_pv *pv = vg->pvs[p];
		const struct host_device *device = NULL;

		for (size_t i = 0; i < host->n_devices && !device; i++)
			if (host->devices[i]->is_pv && streq(host->devices[i]->label.pv_uuid, pv->id))
				device = host->devices[i];
		strbuf_printf(&sb, "pv%zu %s: ", p, pv->id);
		if (device && device->is_mirror) {
			strbuf_printf(&sb, "mirror %s, md 1.0 raid1, data from sector 0 of each leg:", device->path);
			for (size_t l = 0; l < device->view->n_legs; l++)
				for (size_t i = 0; i < host->n_devices; i++)
					if (device->view->legs[l].dev && host->devices[i]->dev == device->view->legs[l].dev)
						strbuf_printf(&sb, " %s", host->devices[i]->path);
			strbuf_putc(&sb, '\n');
		} else {
			strbuf_printf(&sb, "%s\n", device ? device->path : pv->device_hint ? pv->device_hint : "?");
		}
	}
	strbuf_printf(&sb, "extent %" PRIu64 " bytes; byte ranges are on the PV's device, on every leg of a mirror\n",
		      extent_bytes);
	for (size_t l = 0; l < vg->n_lvs && l < RESCUE_NOTE_MAX_LVS; l++) {
		const struct vg_lv *lv = vg->lvs[l];

		strbuf_printf(&sb, "%s:", lv->name);
		for (size_t g = 0; g < lv->n_segments; g++) {
			const struct vg_segment *seg = lv->segments[g];

			if (!seg->is_striped) {
				strbuf_printf(&sb, " (%s segment)", seg->type);
				continue;
			}
			for (uint32_t k = 0; k < seg->stripe_count; k++) {
				const struct vg_pv *pv = vg->pvs[seg->stripes[k].pv_index];
				uint64_t start = pv->pe_start_sectors * 512 + seg->stripes[k].first_pe * extent_bytes;
				uint64_t len = seg->extent_count / seg->stripe_count * extent_bytes;

				strbuf_printf(&sb, " pv%zu bytes %" PRIu64 "-%" PRIu64 "%s", seg->stripes[k].pv_index, start,
					      start + len - 1, seg->stripe_count > 1 ? " (striped)" : "");
			}
		}
		strbuf_putc(&sb, '\n');
	}
	if (vg->n_lvs > RESCUE_NOTE_MAX_LVS)
		strbuf_printf(&sb, "... and %zu more LVs: vgrescue map VG/LV prints each\n", vg->n_lvs - RESCUE_NOTE_MAX_LVS);
	if (strbuf_status(&sb) < 0) {
		strbuf_done(&sb);
		return NULL;
	}
	return strbuf_steal(&sb, NULL);
}

/* "MAJ:MIN" of every PV of @store's VG, as dm tables name devices; NULL for a missing PV or a file. */
struct pv_devnums {
	char (*text)[24];
	const char **of_pv;
};

static int pv_devnums_fill(const struct vg_store *store, struct pv_devnums *ret)
{
	size_t n = store->vg->n_pvs;

	ret->text = calloc(n + 1, sizeof(*ret->text));
	ret->of_pv = calloc(n + 1, sizeof(*ret->of_pv));
	if (!ret->text || !ret->of_pv)
		return -ENOMEM;
	for (size_t p = 0; p < n; p++) {
		const struct blockdev *dev = store->targets[p].dev;

		if (!dev || !dev->is_block_device)
			continue;
		snprintf(ret->text[p], sizeof(ret->text[p]), "%u:%u", major(dev->rdev), minor(dev->rdev));
		ret->of_pv[p] = ret->text[p];
	}
	return 0;
}

static void pv_devnums_done(struct pv_devnums *devnums)
{
	free(devnums->text);
	free(devnums->of_pv);
}

/* Kernel backend: bring @hvg's LVs from @old (NULL: activate all) to what is committed; failures are logged. */
static void sync_activation(struct host *host, struct host_vg *hvg, const struct vg *old)
{
	struct pv_devnums devnums = { 0 };
	struct vg_error sync_err = { 0 };
	int r;

	if (!host->activation)
		return;
	r = pv_devnums_fill(hvg->store, &devnums);
	if (r == 0)
		r = activation_sync_vg(host->activation, old, hvg->store->vg, devnums.of_pv, &sync_err);
	else
		vg_error_set(&sync_err, r, "out of memory");
	if (r < 0)
		vg_log(LOG_WARNING, "VG %s: %s", hvg->store->vg->name, sync_err.message);
	pv_devnums_done(&devnums);
}

int host_lv_activate(struct host *host, struct host_vg *hvg, const struct vg_lv *lv, bool read_only,
		     const struct dmctl_names *active, struct vg_error *err)
{
	struct pv_devnums devnums = { 0 };
	int r = pv_devnums_fill(hvg->store, &devnums);

	if (r == 0)
		r = activation_lv_activate(host->activation, hvg->store->vg, lv, devnums.of_pv, read_only, active, err);
	else
		vg_error_set(err, r, "out of memory");
	pv_devnums_done(&devnums);
	return r;
}

int host_lv_reload(struct host *host, struct host_vg *hvg, const struct vg_lv *lv, struct vg_error *err)
{
	struct pv_devnums devnums = { 0 };
	int r = pv_devnums_fill(hvg->store, &devnums);

	if (r == 0)
		r = activation_lv_reload(host->activation, hvg->store->vg, lv, devnums.of_pv, err);
	else
		vg_error_set(err, r, "out of memory");
	pv_devnums_done(&devnums);
	return r;
}

int host_vg_move_load(struct host *host, struct host_vg *hvg, bool mirror_next, struct vg_error *err)
{
	struct pv_devnums devnums = { 0 };
	int r = pv_devnums_fill(hvg->store, &devnums);

	if (r == 0)
		r = activation_move_load(host->activation, hvg->store->vg, devnums.of_pv, mirror_next, err);
	else
		vg_error_set(err, r, "out of memory");
	pv_devnums_done(&devnums);
	return r;
}

void host_vg_sync_activation(struct host *host, struct host_vg *hvg, const struct vg *old)
{
	sync_activation(host, hvg, old);
}

int host_vg_set_active(struct host *host, struct host_vg *hvg, bool activate, bool read_only, bool force,
		       size_t *ret_changed, struct vg_error *err)
{
	struct pv_devnums devnums = { 0 };
	int r = pv_devnums_fill(hvg->store, &devnums);

	if (r == 0)
		r = activation_vg_set(host->activation, hvg->store->vg, devnums.of_pv, activate, read_only, force,
				      ret_changed, err);
	else
		vg_error_set(err, r, "out of memory");
	pv_devnums_done(&devnums);
	return r;
}

void host_vg_activate_all(struct host *host, struct host_vg *hvg)
{
	if (hvg->store->n_missing == 0)
		sync_activation(host, hvg, NULL);
}

int host_vg_commit(struct host *host, struct host_vg *hvg, struct vg *next, const struct vg_commit_target *joining,
		   size_t n_joining, const struct vg_text_header *header, struct vg_error *err)
{
	_cleanup_(vg_freep) struct vg *before = NULL;
	int r;

	if (host->activation && !(before = vg_clone(hvg->store->vg))) {
		vg_free(next);
		return vg_error_set(err, -ENOMEM, "out of memory");
	}
	r = vg_store_commit(hvg->store, next, joining, n_joining, header, err);
	if (r < 0) {
		vg_free(next);
		return r;
	}
	host->commits++;
	sync_activation(host, hvg, before);
	return 0;
}

int host_vg_commit_staged(struct host *host, struct host_vg *hvg, struct vg_error *err)
{
	struct vg_text_header header;
	char description[128];
	struct vg *staged = hvg->staged;
	int r;

	if (!staged)
		return 0;
	host_text_header(host, "vgtoold", &header, description, sizeof(description));
	_cleanup_free_ char *note = host_rescue_note(host, staged);
	header.rescue_note = note;
	hvg->staged = NULL;
	r = host_vg_commit(host, hvg, staged, NULL, 0, &header, err);
	if (r < 0) {
		struct vg_error rescan_err = { 0 };

		/* what is on disk is the truth now: read it again */
		host_rescan(host, &rescan_err);
		return r;
	}
	return 0;
}

/* ---- JSON views ---- */

static struct json_object *words_json(const struct vg_words *words)
{
	struct json_object *array = json_object_new_array();

	for (size_t i = 0; i < words->n; i++)
		json_object_array_add(array, json_object_new_string(words->words[i]));
	return array;
}

static const char *pv_device_path(const struct host *host, const struct vg_store *store, size_t pv_index)
{
	if (pv_index < store->vg->n_pvs && store->targets[pv_index].dev)
		return store->targets[pv_index].dev->path;
	return NULL;
}

struct json_object *host_lv_json(const struct host *host, const struct vg *vg, const struct vg_lv *lv)
{
	struct json_object *obj = json_object_new_object(), *segs = json_object_new_array();
	uint64_t extents = vg_lv_extents(lv);
	char path[512];

	snprintf(path, sizeof(path), "/dev/%s/%s", vg->name, lv->name);
	json_object_object_add(obj, "vg", json_object_new_string(vg->name));
	json_object_object_add(obj, "name", json_object_new_string(lv->name));
	json_object_object_add(obj, "id", json_object_new_string(lv->id));
	json_object_object_add(obj, "extents", json_object_new_uint64(extents));
	json_object_object_add(obj, "size_bytes", json_object_new_uint64(extents * vg->extent_size_sectors * 512));
	json_object_object_add(obj, "path", json_object_new_string(path));
	json_object_object_add(obj, "active", json_object_new_boolean(false));
	if (host->activation) {
		struct dmctl_info info;

		if (activation_lv_info(host->activation, vg, lv, &info, NULL) == 0 && info.exists) {
			json_object_object_add(obj, "active", json_object_new_boolean(true));
			json_object_object_add(obj, "open_count", json_object_new_int(info.open_count));
		}
	}
	json_object_object_add(obj, "tags", words_json(&lv->tags));
	for (size_t s = 0; s < lv->n_segments; s++) {
		const struct vg_segment *seg = lv->segments[s];
		struct json_object *js = json_object_new_object(), *stripes = json_object_new_array();

		json_object_object_add(js, "start_extent", json_object_new_uint64(seg->start_extent));
		json_object_object_add(js, "extents", json_object_new_uint64(seg->extent_count));
		json_object_object_add(js, "type", json_object_new_string(seg->type));
		for (uint32_t k = 0; seg->is_striped && k < seg->stripe_count; k++) {
			struct json_object *st = json_object_new_object();
			const struct vg_pv *pv = vg->pvs[seg->stripes[k].pv_index];

			json_object_object_add(st, "pv", json_object_new_string(pv->id));
			json_object_object_add(st, "device", pv->device_hint ? json_object_new_string(pv->device_hint) : NULL);
			json_object_object_add(st, "first_pe", json_object_new_uint64(seg->stripes[k].first_pe));
			json_object_array_add(stripes, st);
		}
		json_object_object_add(js, "stripes", stripes);
		json_object_array_add(segs, js);
	}
	json_object_object_add(obj, "segments", segs);
	return obj;
}

/* A JSON string: quotes, backslashes and control characters escaped. */
static void json_text_string(struct strbuf *out, const char *text)
{
	strbuf_putc(out, '"');
	for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
		if (*c == '"' || *c == '\\') {
			strbuf_putc(out, '\\');
			strbuf_putc(out, (char)*c);
		} else if (*c < 0x20) {
			strbuf_printf(out, "\\u%04x", *c);
		} else {
			strbuf_putc(out, (char)*c);
		}
	}
	strbuf_putc(out, '"');
}

static void json_text_u64(struct strbuf *out, const char *key, uint64_t value)
{
	strbuf_printf(out, "\"%s\":%" PRIu64, key, value);
}

static void json_text_key_string(struct strbuf *out, const char *key, const char *value)
{
	strbuf_printf(out, "\"%s\":", key);
	if (value)
		json_text_string(out, value);
	else
		strbuf_puts(out, "null");
}

void host_lv_json_text(const struct host *host, const struct vg *vg, const struct vg_lv *lv,
		       const struct dmctl_names *active, struct strbuf *out)
{
	uint64_t extents = vg_lv_extents(lv);
	struct dmctl_info info = { 0 };
	char path[512], dm_name[LV_DM_NAME_MAX + 1];

	snprintf(path, sizeof(path), "/dev/%s/%s", vg->name, lv->name);
	strbuf_putc(out, '{');
	json_text_key_string(out, "vg", vg->name);
	strbuf_putc(out, ',');
	json_text_key_string(out, "name", lv->name);
	strbuf_putc(out, ',');
	json_text_key_string(out, "id", lv->id);
	strbuf_putc(out, ',');
	json_text_u64(out, "extents", extents);
	strbuf_putc(out, ',');
	json_text_u64(out, "size_bytes", extents * vg->extent_size_sectors * 512);
	strbuf_putc(out, ',');
	json_text_key_string(out, "path", path);
	/* only an LV that is active is looked at for its openers */
	if (host->activation && (!active || (lv_dm_name(vg->name, lv->name, dm_name, NULL) == 0 &&
					     dmctl_names_has(active, dm_name))))
		(void)activation_lv_info(host->activation, vg, lv, &info, NULL);
	strbuf_puts(out, info.exists ? ",\"active\":true" : ",\"active\":false");
	if (info.exists)
		strbuf_printf(out, ",\"open_count\":%d", info.open_count);
	strbuf_puts(out, ",\"tags\":[");
	for (size_t t = 0; t < lv->tags.n; t++) {
		if (t)
			strbuf_putc(out, ',');
		json_text_string(out, lv->tags.words[t]);
	}
	strbuf_puts(out, "],\"segments\":[");
	for (size_t g = 0; g < lv->n_segments; g++) {
		const struct vg_segment *seg = lv->segments[g];

		strbuf_puts(out, g ? ",{" : "{");
		json_text_u64(out, "start_extent", seg->start_extent);
		strbuf_putc(out, ',');
		json_text_u64(out, "extents", seg->extent_count);
		strbuf_putc(out, ',');
		json_text_key_string(out, "type", seg->type);
		strbuf_puts(out, ",\"stripes\":[");
		for (uint32_t k = 0; seg->is_striped && k < seg->stripe_count; k++) {
			const struct vg_pv *pv = vg->pvs[seg->stripes[k].pv_index];

			strbuf_puts(out, k ? ",{" : "{");
			json_text_key_string(out, "pv", pv->id);
			strbuf_putc(out, ',');
			json_text_key_string(out, "device", pv->device_hint);
			strbuf_putc(out, ',');
			json_text_u64(out, "first_pe", seg->stripes[k].first_pe);
			strbuf_putc(out, '}');
		}
		strbuf_puts(out, "]}");
	}
	strbuf_puts(out, "]}");
}

struct json_object *host_vg_json(const struct host *host, const struct host_vg *hvg, bool with_members)
{
	const struct vg *vg = hvg->store->vg;
	struct json_object *obj = json_object_new_object();
	uint64_t total = 0, free_extents = vg_free_extents(vg, NULL);
	uint64_t extent_bytes = vg->extent_size_sectors * 512;

	for (size_t p = 0; p < vg->n_pvs; p++)
		total += vg->pvs[p]->pe_count;
	json_object_object_add(obj, "name", json_object_new_string(vg->name));
	json_object_object_add(obj, "id", json_object_new_string(vg->id));
	json_object_object_add(obj, "seqno", json_object_new_uint64(vg->seqno));
	json_object_object_add(obj, "extent_size_bytes", json_object_new_uint64(extent_bytes));
	json_object_object_add(obj, "size_bytes", json_object_new_uint64(total * extent_bytes));
	json_object_object_add(obj, "free_bytes", json_object_new_uint64(free_extents * extent_bytes));
	json_object_object_add(obj, "pv_count", json_object_new_uint64(vg->n_pvs));
	json_object_object_add(obj, "lv_count", json_object_new_uint64(vg->n_lvs));
	json_object_object_add(obj, "partial", json_object_new_boolean(hvg->store->n_missing > 0));
	json_object_object_add(obj, "tags", words_json(&vg->tags));
	if (with_members) {
		struct json_object *pvs = json_object_new_array(), *lvs = json_object_new_array();

		for (size_t p = 0; p < vg->n_pvs; p++) {
			struct json_object *jpv = json_object_new_object();
			const char *device = pv_device_path(host, hvg->store, p);

			json_object_object_add(jpv, "device", device ? json_object_new_string(device) : NULL);
			json_object_object_add(jpv, "id", json_object_new_string(vg->pvs[p]->id));
			json_object_object_add(jpv, "vg", json_object_new_string(vg->name));
			json_object_object_add(jpv, "size_bytes", json_object_new_uint64(vg->pvs[p]->pe_count * extent_bytes));
			json_object_object_add(jpv, "pe_start_bytes", json_object_new_uint64(vg->pvs[p]->pe_start_sectors * 512));
			json_object_object_add(jpv, "pe_count", json_object_new_uint64(vg->pvs[p]->pe_count));
			json_object_object_add(jpv, "pe_used", json_object_new_uint64(vg_pv_used_extents(vg, p)));
			json_object_object_add(jpv, "missing", json_object_new_boolean(device == NULL));
			json_object_array_add(pvs, jpv);
		}
		for (size_t l = 0; l < vg->n_lvs; l++)
			if (vg->lvs[l]->status & LV_STATUS_VISIBLE)
				json_object_array_add(lvs, host_lv_json(host, vg, vg->lvs[l]));
		json_object_object_add(obj, "pvs", pvs);
		json_object_object_add(obj, "lvs", lvs);
	}
	return obj;
}

struct json_object *host_pv_json(const struct host *host, const struct host_device *device)
{
	struct json_object *obj = json_object_new_object();
	const char *vg_name = NULL;

	for (size_t v = 0; v < host->n_vgs && !vg_name; v++)
		if (vg_find_pv_by_id(host->vgs[v]->store->vg, device->label.pv_uuid) >= 0)
			vg_name = host->vgs[v]->store->vg->name;
	json_object_object_add(obj, "device", json_object_new_string(device->path));
	json_object_object_add(obj, "id", json_object_new_string(device->label.pv_uuid));
	json_object_object_add(obj, "vg", vg_name ? json_object_new_string(vg_name) : NULL);
	json_object_object_add(obj, "size_bytes", json_object_new_uint64(device->dev->size_bytes));
	json_object_object_add(obj, "pe_start_bytes", json_object_new_uint64(pv_data_start_bytes(&device->label)));
	return obj;
}

/* The member of @state that is the device at @path, or NULL. */
static const struct md_kernel_member *kernel_member(const struct md_kernel_state *state, const char *path)
{
	struct stat st;

	if (!path || stat(path, &st) < 0 || !S_ISBLK(st.st_mode))
		return NULL;
	for (size_t m = 0; m < state->n_members; m++)
		if (state->members[m].major == major(st.st_rdev) && state->members[m].minor == minor(st.st_rdev))
			return &state->members[m];
	return NULL;
}

/*
 * A mirror md runs: what the kernel says is the truth (its superblocks on
 * the legs may lag), so it overrides the state read from them.
 */
static void add_kernel_state(const struct host *host, const struct host_device *mirror, struct json_object *obj)
{
	_cleanup_(md_kernel_state_freep) struct md_kernel_state *state = NULL;
	struct json_object *legs, *kernel;
	const char *mirror_state;

	if (!host->activation)
		return;
	if (!mirror->md_array || host_mirror_kernel_state(host, mirror, &state, NULL) < 0) {
		json_object_object_add(obj, "md_array", NULL);
		json_object_object_add(obj, "state", json_object_new_string("stopped"));
		return;
	}
	kernel = json_object_new_object();
	json_object_object_add(kernel, "array_state", json_object_new_string(state->array_state));
	json_object_object_add(kernel, "degraded", json_object_new_uint64(state->degraded));
	json_object_object_add(kernel, "sync_action", json_object_new_string(state->sync_action));
	json_object_object_add(kernel, "sync_completed", json_object_new_string(state->sync_completed));
	json_object_object_add(kernel, "mismatch_cnt", json_object_new_uint64(state->mismatch_cnt));
	json_object_object_add(obj, "md_array", json_object_new_string(mirror->md_array));
	json_object_object_add(obj, "kernel", kernel);
	json_object_object_add(obj, "degraded_slots", json_object_new_uint64(state->degraded));
	if (streq(state->sync_action, "recover") || streq(state->sync_action, "resync"))
		mirror_state = "recovering";
	else if (state->degraded > 0)
		mirror_state = "degraded";
	else if (streq(state->sync_action, "check") || streq(state->sync_action, "repair"))
		mirror_state = "checking";
	else
		mirror_state = "clean";
	json_object_object_add(obj, "state", json_object_new_string(mirror_state));
	if (!json_object_object_get_ex(obj, "legs", &legs))
		return;
	for (size_t l = 0; l < json_object_array_length(legs); l++) {
		struct json_object *jl = json_object_array_get_idx(legs, l), *device;
		const struct md_kernel_member *member = NULL;

		if (json_object_object_get_ex(jl, "device", &device) && device)
			member = kernel_member(state, json_object_get_string(device));
		json_object_object_add(jl, "kernel_state", member ? json_object_new_string(member->state) : NULL);
		if (member && strstr(member->state, "faulty"))
			json_object_object_add(jl, "state", json_object_new_string("faulty"));
		else if (member && strstr(member->state, "spare"))
			json_object_object_add(jl, "state", json_object_new_string(member->slot >= 0 ? "recovering" : "spare"));
		else if (member && strstr(member->state, "in_sync"))
			json_object_object_add(jl, "state", json_object_new_string("in_sync"));
		else if (!member)
			json_object_object_add(jl, "state", json_object_new_string("not in the array"));
	}
}

struct json_object *host_mirror_json(const struct host *host, const struct host_device *mirror)
{
	const struct md_mirror_view *view = mirror->view;
	struct json_object *obj = json_object_new_object(), *legs = json_object_new_array();
	char uuid[36];
	bool recovering = false;

	md_uuid_format(view->uuid, uuid);
	for (size_t l = 0; l < view->n_legs; l++) {
		const struct md_mirror_leg *leg = &view->legs[l];
		struct json_object *jl = json_object_new_object();
		const char *device = NULL;

		for (size_t i = 0; i < host->n_devices && leg->dev; i++)
			if (host->devices[i]->dev == leg->dev)
				device = host->devices[i]->path;
		recovering |= leg->state == MD_LEG_RECOVERING || leg->state == MD_LEG_REPLACEMENT;
		json_object_object_add(jl, "device", device ? json_object_new_string(device) : NULL);
		json_object_object_add(jl, "role", leg->role < MD_ROLE_MAX ? json_object_new_int(leg->role)
									 : json_object_new_string(leg->role == MD_ROLE_SPARE ? "spare" : "faulty"));
		json_object_object_add(jl, "state", json_object_new_string(leg->present ? md_leg_state_name(leg->state) : "missing"));
		json_object_object_add(jl, "fresh", json_object_new_boolean(leg->fresh));
		json_object_object_add(jl, "events", json_object_new_uint64(leg->events));
		json_object_array_add(legs, jl);
	}
	json_object_object_add(obj, "name", json_object_new_string(mirror->path));
	json_object_object_add(obj, "uuid", json_object_new_string(uuid));
	json_object_object_add(obj, "size_bytes", json_object_new_uint64(view->size_sectors * 512));
	json_object_object_add(obj, "state", json_object_new_string(view->degraded ? "degraded" : recovering ? "recovering" : "clean"));
	json_object_object_add(obj, "degraded_slots", json_object_new_uint64(view->degraded));
	json_object_object_add(obj, "events", json_object_new_uint64(view->events));
	json_object_object_add(obj, "bitmap", json_object_new_boolean(view->has_bitmap));
	json_object_object_add(obj, "in_sync", json_object_new_boolean(view->clean));
	json_object_object_add(obj, "legs", legs);
	add_kernel_state(host, mirror, obj);
	return obj;
}

/* ---- mirrors that md runs ---- */

const char *host_mirror_leg_path(const struct host *host, const struct host_device *mirror, size_t leg)
{
	const struct blockdev *dev = leg < mirror->view->n_legs ? mirror->view->legs[leg].dev : NULL;

	for (size_t i = 0; i < host->n_devices && dev; i++)
		if (host->devices[i]->dev == dev)
			return host->devices[i]->path;
	return NULL;
}

int host_mirror_kernel_fail(struct host *host, struct host_device *mirror, size_t leg, struct vg_error *err)
{
	const char *path = host_mirror_leg_path(host, mirror, leg);

	if (!path)
		return vg_error_set(err, -ENODEV, "leg %zu of mirror %s is not present", leg, mirror->path);
	return host->activation->md->fail_leg(mirror->md_array, path, err);
}

int host_mirror_kernel_remove(struct host *host, struct host_device *mirror, size_t leg, struct vg_error *err)
{
	const char *held = host_mirror_leg_path(host, mirror, leg);

	if (!held)
		return vg_error_set(err, -ENODEV, "leg %zu of mirror %s is not present", leg, mirror->path);
	return host_mirror_kernel_retire(host, mirror->md_array, held, err);
}

int host_mirror_kernel_retire(struct host *host, const char *md_array, const char *leg_path, struct vg_error *err)
{
	_cleanup_(blockdev_closep) struct blockdev *dev = NULL;
	_cleanup_free_ char *path = strdup(leg_path);
	int r;

	if (!path)
		return vg_error_set(err, -ENOMEM, "out of memory");
	r = host->activation->md->remove_leg(md_array, path, err);
	if (r == -ENOENT || r == -ENXIO || r == -ENODEV) {
		/* gone (a disk pulled), or back as another device: md still lists the old one, faulty, by name */
		const char *slash = strrchr(path, '/');
		struct vg_error member_err = { 0 };

		int m = host->activation->md->remove_member(md_array, slash ? slash + 1 : path, &member_err);

		/* no such member either: a stale leg md does not hold, whose superblock is all there is to take */
		if (m == 0 || (m == -ENODEV && access(path, F_OK) == 0)) {
			r = 0;
			*err = (struct vg_error){ 0 };
		}
	}
	if (r < 0)
		return r;
	if (access(path, F_OK) < 0)
		return 0; /* nothing left to wipe */
	/*
	 * Left with its superblock it would look like a stopped copy of the
	 * mirror to start; left with its data, the PV label at its start would
	 * be a duplicate of the mirror's PV.
	 */
	r = blockdev_open(path, BLOCKDEV_EXCLUSIVE, &dev, err);
	if (r == 0)
		r = md_mirror_wipe_super(dev, err);
	if (r == 0)
		r = blockdev_zero(dev, 0, MIN(dev->size_bytes, (uint64_t)1 << 20), err);
	if (r == 0)
		r = blockdev_flush(dev, err);
	if (r < 0)
		return vg_error_prefix(err, r, "%s left md array %s, but its superblock stays", path, md_array);
	return 0;
}

int host_mirror_kernel_add(struct host *host, struct host_device *mirror, struct host_device *fresh,
			   const struct md_mirror_options *opts, struct vg_error *err)
{
	_cleanup_free_ char *path = strdup(fresh->path);
	int r;

	if (!path)
		return vg_error_set(err, -ENOMEM, "out of memory");
	r = md_mirror_prepare_hot_add(mirror->view, fresh->dev, opts, err);
	if (r < 0)
		return r;
	/* md opens it exclusively: let go of it first */
	forget_device(host, fresh);
	r = host->activation->md->add_leg(mirror->md_array, path, err);
	if (r < 0) {
		struct blockdev *dev = NULL;

		/* not taken: wipe what was written, so the device is as free as it came */
		if (blockdev_open(path, BLOCKDEV_EXCLUSIVE, &dev, NULL) == 0) {
			(void)md_mirror_wipe_super(dev, NULL);
			blockdev_close(dev);
		}
	}
	return r;
}

int host_mirror_kernel_replace(struct host *host, struct host_device *mirror, size_t leg, struct host_device *fresh,
			       const struct md_mirror_options *opts, struct vg_error *err)
{
	const char *old = host_mirror_leg_path(host, mirror, leg);
	_cleanup_free_ char *old_path = old ? strdup(old) : NULL;
	int r;

	if (!old)
		return vg_error_set(err, -ENODEV, "leg %zu of mirror %s is not present", leg, mirror->path);
	if (!old_path)
		return vg_error_set(err, -ENOMEM, "out of memory");
	/* the newcomer joins as a spare, then md rebuilds the old leg onto it while the old one serves */
	r = host_mirror_kernel_add(host, mirror, fresh, opts, err);
	if (r < 0)
		return r;
	return host->activation->md->want_replacement(mirror->md_array, old_path, err);
}

int host_mirror_kernel_state(const struct host *host, const struct host_device *mirror,
			     struct md_kernel_state **ret_state, struct vg_error *err)
{
	if (!host->activation || !mirror->md_array)
		return vg_error_set(err, -ENODEV, "mirror %s is not running in md", mirror->path);
	return host->activation->md->state(mirror->md_array, ret_state, err);
}

/* ---- watching md ---- */

/* What was last seen of one running array, to report changes once. */
struct md_watch_entry {
	char md_array[32];
	uint32_t degraded;
	char faulty[256]; /* kernel names of faulty members, comma-separated */
};

static void faulty_members(const struct md_kernel_state *state, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t m = 0; m < state->n_members; m++)
		if (strstr(state->members[m].state, "faulty")) {
			int n = snprintf(buf + used, size - used, "%s%s", used ? "," : "", state->members[m].name);

			if (n < 0 || (size_t)n >= size - used)
				break;
			used += (size_t)n;
		}
}

int host_watch_md(struct host *host, host_md_report_fn report, void *userdata)
{
	struct timespec now;
	uint64_t now_ms;
	int n_reports = 0;

	if (!host->activation)
		return 0;
	/* sysfs reads per array: once a second is what mdadm --monitor's polling amounts to */
	clock_gettime(CLOCK_MONOTONIC, &now);
	now_ms = (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
	if (host->md_watch_last_ms && now_ms - host->md_watch_last_ms < 1000)
		return 0;
	host->md_watch_last_ms = now_ms;
	for (size_t i = 0; i < host->n_devices; i++) {
		const struct host_device *mirror = host->devices[i];
		_cleanup_(md_kernel_state_freep) struct md_kernel_state *state = NULL;
		struct md_watch_entry *seen = NULL;
		char faulty[256];
		bool first = false;

		if (!mirror->is_mirror || !mirror->md_array ||
		    host->activation->md->state(mirror->md_array, &state, NULL) < 0)
			continue;
		for (size_t w = 0; w < host->n_md_watch && !seen; w++)
			if (streq(host->md_watch[w].md_array, mirror->md_array))
				seen = &host->md_watch[w];
		if (!seen) {
			struct md_watch_entry *grown = realloc(host->md_watch, (host->n_md_watch + 1) * sizeof(*grown));

			if (!grown)
				return -ENOMEM;
			host->md_watch = grown;
			seen = &host->md_watch[host->n_md_watch++];
			*seen = (struct md_watch_entry){ 0 };
			snprintf(seen->md_array, sizeof(seen->md_array), "%s", mirror->md_array);
			first = true;
		}
		faulty_members(state, faulty, sizeof(faulty));
		if (state->degraded > 0 && (first || state->degraded > seen->degraded || !streq(faulty, seen->faulty))) {
			report(userdata, "mirror.degraded", mirror->path, mirror->md_array, state->degraded, faulty);
			n_reports++;
		} else if (state->degraded == 0 && !first && seen->degraded > 0) {
			report(userdata, "mirror.recovered", mirror->path, mirror->md_array, 0, faulty);
			n_reports++;
		}
		seen->degraded = state->degraded;
		snprintf(seen->faulty, sizeof(seen->faulty), "%s", faulty);
	}
	return n_reports;
}

int host_mirror_kernel_dissolve(struct host *host, struct host_device *mirror, const struct md_mirror_options *opts,
				struct vg_error *err)
{
	_cleanup_(md_mirror_view_freep) struct md_mirror_view *view = NULL;
	struct blockdev **legs = NULL;
	char **paths = NULL;
	size_t n = 0;
	int r;

	legs = calloc(host->n_devices + 1, sizeof(*legs));
	paths = calloc(host->n_devices + 1, sizeof(*paths));
	if (!legs || !paths) {
		r = vg_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < host->n_devices; i++) {
		const struct host_device *d = host->devices[i];

		if (d->is_md_leg && d->md_array && streq(d->md_array, mirror->md_array) &&
		    !(paths[n++] = strdup(d->path))) {
			r = vg_error_set(err, -ENOMEM, "out of memory");
			goto out;
		}
	}
	/* md lets the legs go only when nothing holds the array (no active LV on it) */
	r = host->activation->md->stop(mirror->md_array, err);
	if (r < 0)
		goto out;
	/* the legs are plain devices again: read them afresh, exclusively, and take the mirror apart */
	for (size_t k = 0; k < n; k++) {
		r = blockdev_open(paths[k], BLOCKDEV_EXCLUSIVE, &legs[k], err);
		if (r < 0)
			goto out;
	}
	r = md_mirror_view_read(legs, n, NULL, &view, err);
	if (r == 0)
		r = md_mirror_dissolve(view, -1, opts, err);
	if (r < 0)
		vg_error_prefix(err, r, "md array %s was stopped, but its legs were not taken apart", mirror->md_array);
out:
	for (size_t k = 0; k < n; k++) {
		blockdev_close(legs ? legs[k] : NULL);
		free(paths[k]);
	}
	free(legs);
	free(paths);
	return r;
}
