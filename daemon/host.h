/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The host as vgtoold sees it: the devices its filter accepts (opened once,
 * shared by everything), the mirrors on them, and the volume groups bound to
 * their PVs. Every change goes through here, so this is where operations
 * that span the md and LVM layers are orchestrated.
 *
 * A VG may have a staged model: changes accepted in the current loop
 * iteration but not committed yet (group commit). Readers always see the
 * committed model.
 */
#pragma once

#include <json-c/json.h>

#include "daemon-config.h"
#include "vg-store.h"

struct md_mirror_view;

/*
 * A device as the LVM layer sees it: a disk, partition or image file, or a
 * mirror (named like "md0"), whose blockdev is then the userspace mirror
 * over its legs (the `none` backend) — so a mirror is a PV like any device.
 */
struct host_device {
	char *path;        /* a path, or the mirror's name */
	struct blockdev *dev;
	bool is_pv;
	struct pv_label label;
	bool is_md_leg;
	char *mirror_name; /* the mirror this leg belongs to */
	bool is_mirror;
	struct md_mirror_view *view; /* mirrors: the legs' superblocks */
	/*
	 * Kernel backend: for a leg, the md array running it ("md0"; the leg is
	 * then open read-only and never written here); for a mirror, its
	 * running array, whose node is the mirror's blockdev. NULL otherwise.
	 */
	char *md_array;
};

struct host_vg {
	struct vg_store *store; /* committed */
	struct vg *staged;      /* accepted, not yet committed; NULL when none */
};

struct activation;
struct md_watch_entry;
struct device_filter;
struct inventory;

struct host {
	const struct daemon_config *config;
	struct device_filter *filter;
	struct inventory *inventory; /* every accepted device as last seen, in use or not */
	struct activation *activation; /* the kernel backend; NULL with activation = "none" */
	struct host_device **devices;
	size_t n_devices;
	struct host_vg **vgs;
	size_t n_vgs;
	uint64_t commits;
	struct md_watch_entry *md_watch; /* host_watch_md: what was last seen of each array */
	size_t n_md_watch;
	uint64_t md_watch_last_ms;
	char hostname[256];
	char uname_line[512];
};

/* Find the devices the configuration allows, open them, and read every VG. */
int host_open(const struct daemon_config *config, struct host **ret_host, struct vg_error *err);
struct host *host_free(struct host *host);
DEFINE_CLEANUP_FUNC(struct host, host_free)

/* Re-read devices and VGs (after a failed commit, or when devices changed). */
int host_rescan(struct host *host, struct vg_error *err);

struct host_vg *host_find_vg(struct host *host, const char *name);
/* A device by path (also matching a path that resolves to the same file). */
struct host_device *host_find_device(struct host *host, const char *path);

/* The model changes see: the staged one if any, else the committed one. */
const struct vg *host_vg_current(const struct host_vg *hvg);
/* Stage @next (taken) as the VG's new model, to be committed by host_vg_commit_staged. */
void host_vg_stage(struct host_vg *hvg, struct vg *next);
/*
 * Commit the staged model. On failure the staged model is dropped and the VG
 * re-read from disk. With the kernel backend the LVs then follow the commit
 * (activation_sync_vg); what fails there is logged, the commit stands.
 */
int host_vg_commit_staged(struct host *host, struct host_vg *hvg, struct vg_error *err);

/*
 * Commit @next (taken, also on failure) as @hvg's VG at once (vg-level
 * changes that do not go through the group commit), the kernel following.
 */
int host_vg_commit(struct host *host, struct host_vg *hvg, struct vg *next, const struct vg_commit_target *joining,
		   size_t n_joining, const struct vg_text_header *header, struct vg_error *err);
/*
 * Kernel backend: make @lv of @hvg's committed VG a dm device (kept when it
 * is one already; @active: which devices exist, or NULL to look).
 */
struct dmctl_names;
int host_lv_activate(struct host *host, struct host_vg *hvg, const struct vg_lv *lv, bool read_only,
		     const struct dmctl_names *active, struct vg_error *err);
/*
 * Kernel backend: reload @lv's device with its table from @hvg's committed
 * VG (also resumes it when it was suspended).
 */
int host_lv_reload(struct host *host, struct host_vg *hvg, const struct vg_lv *lv, struct vg_error *err);
/* Kernel backend, a move in progress: pvmove0's device made or reloaded as committed (activation_move_load). */
int host_vg_move_load(struct host *host, struct host_vg *hvg, bool mirror_next, struct vg_error *err);
/* Kernel backend: the LVs follow a commit made around the host (from @old to what is committed now). */
void host_vg_sync_activation(struct host *host, struct host_vg *hvg, const struct vg *old);
/* Kernel backend: activation_vg_set over @hvg's committed VG, its PVs' devices found once. */
int host_vg_set_active(struct host *host, struct host_vg *hvg, bool activate, bool read_only, bool force,
		       size_t *ret_changed, struct vg_error *err);
/* Kernel backend: activate every LV of a complete VG (start-up, a VG that appeared). */
void host_vg_activate_all(struct host *host, struct host_vg *hvg);

/* Header values of the text written now, for @command ("vgtool lv create"). */
void host_text_header(const struct host *host, const char *command, struct vg_text_header *ret_header,
		      char *description, size_t description_len);

/* A mirror by name, or NULL. */
struct host_device *host_find_mirror(struct host *host, const char *name);

/*
 * The rescue note written with the VG's text (see vg_text_header): every PV
 * with its device or mirror legs, every LV with its byte ranges. Malloc'ed;
 * NULL on ENOMEM (then the text simply goes without).
 */
char *host_rescue_note(const struct host *host, const struct vg *vg);

/*
 * Kernel backend: leg changes of a mirror md runs (mirror->md_array), as
 * mdadm --fail / --remove / --add do them: md writes the superblocks of the
 * running legs. A removed leg's superblock is wiped; an added device gets a
 * spare's superblock first and md rebuilds it (follow sync_action).
 */
const char *host_mirror_leg_path(const struct host *host, const struct host_device *mirror, size_t leg);
int host_mirror_kernel_fail(struct host *host, struct host_device *mirror, size_t leg, struct vg_error *err);
int host_mirror_kernel_remove(struct host *host, struct host_device *mirror, size_t leg, struct vg_error *err);
/* Take @leg_path out of running array @md_array, wiping its superblock and first MiB. */
int host_mirror_kernel_retire(struct host *host, const char *md_array, const char *leg_path, struct vg_error *err);
struct md_mirror_options;
int host_mirror_kernel_add(struct host *host, struct host_device *mirror, struct host_device *fresh,
			   const struct md_mirror_options *opts, struct vg_error *err);
/*
 * Stop the array md runs @mirror as (refused while anything holds it, an
 * active LV on it), then take the mirror apart as md_mirror_dissolve does:
 * the source leg keeps the data (a PV on the mirror is then that leg), the
 * others are wiped. The caller reads the host again afterwards.
 */
int host_mirror_kernel_dissolve(struct host *host, struct host_device *mirror, const struct md_mirror_options *opts,
				struct vg_error *err);
/* Add @fresh as a spare and have md rebuild legs[leg] onto it while it serves (mdadm --replace). */
int host_mirror_kernel_replace(struct host *host, struct host_device *mirror, size_t leg, struct host_device *fresh,
			       const struct md_mirror_options *opts, struct vg_error *err);
struct md_kernel_state;
int host_mirror_kernel_state(const struct host *host, const struct host_device *mirror,
			     struct md_kernel_state **ret_state, struct vg_error *err);

/*
 * Kernel backend: compare every running array with what was seen last time
 * and report each change once: "mirror.degraded" (an array seen degraded
 * first, more slots missing, another leg faulty; @faulty lists the kernel
 * names of faulty legs) and "mirror.recovered" (no slot missing any more).
 * Returns the number of reports, or -ENOMEM.
 */
typedef void (*host_md_report_fn)(void *userdata, const char *event, const char *mirror, const char *md_array,
				  uint32_t degraded, const char *faulty);
int host_watch_md(struct host *host, host_md_report_fn report, void *userdata);

/* JSON views for replies. */
struct json_object *host_mirror_json(const struct host *host, const struct host_device *mirror);
struct json_object *host_vg_json(const struct host *host, const struct host_vg *hvg, bool with_members);
struct json_object *host_lv_json(const struct host *host, const struct vg *vg, const struct vg_lv *lv);
/*
 * The same object as host_lv_json, written straight as JSON text: what a
 * reply listing thousands of LVs uses instead of a tree of objects per LV.
 * @active (may be NULL): the dm devices that exist, so only active LVs are
 * asked for their openers.
 */
struct strbuf;
void host_lv_json_text(const struct host *host, const struct vg *vg, const struct vg_lv *lv,
		       const struct dmctl_names *active, struct strbuf *out);
struct json_object *host_pv_json(const struct host *host, const struct host_device *device);

/*
 * The VGs' backup files are written after the reply, when the loop is idle
 * (vg_store defer_backup): whether one is due, and writing every due one
 * (failures logged; the metadata on the PVs is the truth either way). VGs
 * are flushed before they are let go (rescans, removal, exit).
 */
bool host_backups_due(const struct host *host);
void host_flush_backups(struct host *host);

/* Add a VG that is now on disk (after vg create / split) to the host. Takes @store. */
int host_add_vg(struct host *host, struct vg_store *store);
void host_remove_vg(struct host *host, struct host_vg *hvg);
