/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A volume group bound to the devices of its PVs: what the daemon, the
 * tools and the tests hold to change a VG. It is loaded from a scan, and
 * every change goes through vg_store_commit: the next seqno written to every
 * PV in two phases, stale copies repaired on the way, PVs that left emptied,
 * and the text backup refreshed (then, or later when the owner defers it).
 *
 * A VG with a PV missing is partial: it can be read, and every change is
 * refused (every commit must reach every PV) until the device returns.
 */
#pragma once

#include "vg-backup.h"
#include "vg-scan.h"
#include "vg-write.h"

struct vg_store {
	struct vg *vg;                    /* as last committed */
	struct vg_commit_target *targets; /* one per vg->pvs entry; dev NULL when the PV is missing */
	size_t n_missing;
	const char *state_dir;            /* borrowed; NULL: no backups */
	struct vg_backup_policy backup_policy;
	/*
	 * Set by the owner: a commit only marks the backup due, and
	 * vg_store_flush_backup() writes it (when the owner is idle, and
	 * before it frees the store). Commits in between write no
	 * archive copy of their own: the backup is a convenience copy,
	 * the metadata areas are the truth.
	 */
	bool defer_backup;
	bool backup_due;
	struct vg_text_header backup_header; /* of the commit whose backup is due */
	char *backup_header_strings;         /* owns backup_header's strings */
	struct vg_backup_cache backup_cache;
	struct vg_text_cache *text_cache; /* the LVs' raw text from the last commits */
};

/* Bind @svg of @scan to its devices (borrowed from the scan's caller). */
int vg_store_from_scan(const struct vg_scan_result *scan, const struct vg_scan_vg *svg, struct vg_store **ret_store,
		       struct vg_error *err);
/*
 * A store for a VG not on disk yet (vg create): the first vg_store_commit,
 * with the PVs' devices as @joining, writes it as seqno 1.
 */
int vg_store_new(const struct vg *vg, struct vg_store **ret_store, struct vg_error *err);
struct vg_store *vg_store_free(struct vg_store *store);
DEFINE_CLEANUP_FUNC(struct vg_store, vg_store_free)

/* -EROFS naming the missing PVs when the VG is partial; 0 otherwise. */
int vg_store_check_complete(const struct vg_store *store, struct vg_error *err);

/*
 * Make @new_vg (taken over on success, left to the caller on failure) the
 * committed VG: seqno = old + 1; written to every PV of @new_vg, where PVs
 * not yet bound are found among @joining (labelled devices, e.g. fresh PVs
 * of a vg extend); then PVs no longer in the VG are emptied (orphans); then
 * the backup is written. Refuses a partial VG.
 */
int vg_store_commit(struct vg_store *store, struct vg *new_vg, const struct vg_commit_target *joining,
		    size_t n_joining, const struct vg_text_header *header, struct vg_error *err);

/*
 * Write the backup a commit left due (defer_backup), with that commit's
 * header; 0 when none is due or there is no state directory. On failure it
 * stays due, and the next commit or flush tries again.
 */
int vg_store_flush_backup(struct vg_store *store, struct vg_error *err);

/* Remove the VG: every PV's metadata emptied and marked unused; the backup retired to the archive. */
int vg_store_remove(struct vg_store *store, struct vg_error *err);

/* Make a labelled device an orphan PV: empty metadata slots, in-use flag cleared. */
int pv_make_orphan(struct vg_commit_target *target, struct vg_error *err);
