/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Text backups of VG metadata in a state directory the caller names:
 * <state>/backup/<vg> holds the VG as last committed (backup form, which
 * vgcfgrestore -f and vgrescue accept); before it is replaced, the previous
 * one moves to <state>/archive/<vg>_<seqno>-<nonce>.vg. The archive keeps at
 * least keep_count files per VG and drops older files only once they are
 * older than keep_seconds, as lvm2's retain_min / retain_days do — but never
 * more than max_count: a daemon commits far more often than an administrator
 * types lvm commands, and the archive must not fill the state directory.
 *
 * Files are written to a temporary name, synced and renamed, so a crash
 * leaves either the old or the new backup, never a torn one.
 */
#pragma once

#include <stdint.h>

#include "vg-text.h"
#include "vg.h"

struct vg_backup_policy {
	unsigned keep_count;   /* 0: 10 */
	uint64_t keep_seconds; /* 0: 30 days */
	unsigned max_count;    /* 0: 200 */
};

int vg_backup_write(const char *state_dir, const struct vg *vg, const struct vg_text_header *header,
		    const struct vg_backup_policy *policy, struct vg_error *err);

/*
 * What vg_backup_write_cached() knows of one VG's files between two of its
 * calls: the archive list (newest first) and the seqno in the current
 * backup, so that a commit neither lists the archive directory nor reads
 * the old backup. Loaded from the directory on first use or when the VG
 * name changes; files others add to or age in the archive meanwhile are not
 * seen until then. Zero-initialised means empty.
 */
struct vg_backup_cache {
	char *vg_name; /* the VG described; NULL: nothing loaded */
	uint64_t current_seqno; /* of <state>/backup/<vg>, 0 when unknown or absent */
	struct vg_archive_entry *entries;
	size_t n_entries;
	struct vg_text_cache *text; /* the backup form of the LVs last written; NULL: none yet */
};

/* vg_backup_write() keeping what it learns in @cache for the next call. */
int vg_backup_write_cached(const char *state_dir, const struct vg *vg, const struct vg_text_header *header,
			   const struct vg_backup_policy *policy, struct vg_backup_cache *cache,
			   struct vg_error *err);
/* Free what @cache holds; it is empty afterwards. */
void vg_backup_cache_done(struct vg_backup_cache *cache);

/* Rename <state>/backup/<old> to <new>. Missing backups are fine; -EEXIST when <new> exists. */
int vg_backup_rename(const char *state_dir, const char *old_name, const char *new_name, struct vg_error *err);

/* After a VG is removed: its backup moves to the archive. */
int vg_backup_retire(const char *state_dir, const char *vg_name, struct vg_error *err);

struct vg_archive_entry {
	char *path;
	uint64_t seqno;
	int64_t mtime;    /* seconds */
	int64_t mtime_ns; /* for ordering */
};

/* Archived versions of @vg_name, newest first. */
int vg_archive_list(const char *state_dir, const char *vg_name, struct vg_archive_entry **ret_entries,
		    size_t *ret_n, struct vg_error *err);
void vg_archive_list_free(struct vg_archive_entry *entries, size_t n);
