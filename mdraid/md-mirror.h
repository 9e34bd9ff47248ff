/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * md RAID-1 mirrors (superblock 1.0) managed without the md kernel driver:
 * the view of a mirror from its legs' superblocks (which legs are fresh,
 * which slots are degraded, which legs are missing), and the operations that
 * change it — create, add, fail, remove, replace, recover, resync, grow,
 * dissolve — each
 * planned from the freshest superblock and written leg by leg in an order
 * after which a crash leaves a state md (and this view) reads as either the
 * old or the new mirror. Data moves through a userspace mirror block device
 * (md-mirror-dev.c): writes go to every in-sync leg, reads come from a fresh
 * one. That is the `none` activation backend's data path and how a joining
 * leg is brought in sync.
 *
 * Every function returns 0 (or a count) on success and a negative errno with
 * a message in *err naming the device and the reason otherwise. A refusal
 * (anything detected before the first write) leaves every device
 * byte-identical. The blockdevs given are borrowed: the caller opens and
 * closes them. Nothing here is safe to run concurrently with another writer
 * of the same legs (the daemon is the single writer).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "blockdev.h"
#include "error.h"
#include "md-super.h"

/* What a leg is to the mirror: its role in the reference superblock, refined by its own feature bits. */
enum md_leg_state {
	MD_LEG_IN_SYNC,     /* holds a slot, data complete */
	MD_LEG_RECOVERING,  /* holds a slot, rebuilt only up to recovery_offset */
	MD_LEG_REPLACEMENT, /* being rebuilt to take over a slot from the leg holding it */
	MD_LEG_SPARE,       /* no slot */
	MD_LEG_FAULTY,      /* marked failed */
};

struct md_mirror_leg {
	struct blockdev *dev; /* borrowed; NULL for a leg the reference has in a slot that was not given */
	struct md_super sb;   /* its own superblock (zeroed when missing) */
	uint32_t dev_number;  /* index into dev_roles */
	uint16_t role;        /* dev_roles[dev_number] of the reference: slot, MD_ROLE_SPARE or _FAULTY */
	uint16_t own_role;    /* the role its own superblock gives it (MD_ROLE_SPARE when missing) */
	enum md_leg_state state;
	uint64_t events;
	uint64_t recovery_offset_sectors; /* RECOVERING/REPLACEMENT: rebuilt below this; else 0 */
	bool present;
	/*
	 * Up to date, mdadm's rule: most_recent.events - 1 <= events <=
	 * most_recent.events, and not rejected. A stale leg's data may be
	 * older than the mirror's.
	 */
	bool fresh;
	/*
	 * Its own superblock calls the reference leg failed, or has nobody in
	 * the reference leg's slot (mdadm's test): it ran apart from the
	 * reference (split brain) and must not be trusted, whatever its events.
	 */
	bool rejected;
	bool is_reference;
};

/* A device given to md_mirror_view_read that is not a usable leg of the mirror, and why. */
struct md_mirror_other {
	struct blockdev *dev;
	/* -ENODATA no md superblock, -EBADMSG damaged, -EPROTONOSUPPORT not a 1.x raid1, -EXDEV another array */
	int error;
	char message[256];
};

struct md_mirror_view {
	uint8_t uuid[16];
	char name[33]; /* set_name as stored, mdadm's "homehost:name" */
	enum md_super_version version;
	uint32_t raid_disks;
	uint64_t size_sectors; /* the array: used component size, the same on every leg */
	uint64_t events;       /* of the reference */
	uint64_t resync_offset_sectors;
	bool clean;
	bool has_bitmap;
	uint32_t degraded; /* slots without a present, fresh, in-sync leg */
	size_t reference;  /* index into legs: the freshest superblock, which every plan starts from */
	size_t n_legs;     /* present legs in the order given, then the missing ones */
	struct md_mirror_leg *legs;
	size_t n_others;
	struct md_mirror_other *others;
};

/*
 * Read every device's superblock and build the view of one mirror. With
 * @uuid, that array's legs are taken; without, the valid superblocks must
 * all name the same array (-EINVAL listing them otherwise). Devices that are
 * not legs of it (no, damaged or foreign superblock) land in view->others:
 * a leg whose superblock write was torn shows there, and as missing among
 * the legs. The reference is the leg with the highest events among those
 * whose own role is an active slot (mdadm's most_recent; ties go to an
 * in-sync leg, then the lower slot). -ENODATA when no device carries a
 * valid superblock (of @uuid); -EINVAL when two devices claim one device
 * number.
 */
int md_mirror_view_read(struct blockdev *const *devs, size_t n_devs, const uint8_t *uuid,
			struct md_mirror_view **ret_view, struct vg_error *err);
struct md_mirror_view *md_mirror_view_free(struct md_mirror_view *view);
DEFINE_CLEANUP_FUNC(struct md_mirror_view, md_mirror_view_free)

/* Index of @dev among view->legs, or -ENOENT. */
ssize_t md_mirror_view_find(const struct md_mirror_view *view, const struct blockdev *dev);
/* Index of the leg holding @slot (in sync first, then any), or -ENOENT. */
ssize_t md_mirror_view_find_slot(const struct md_mirror_view *view, uint32_t slot);
/*
 * The leg reads come from and copies are made from: the reference when it
 * is in sync, else the first present, fresh, in-sync leg by slot. -ENODEV
 * when there is none.
 */
ssize_t md_mirror_view_source(const struct md_mirror_view *view);

const char *md_leg_state_name(enum md_leg_state state); /* "in_sync", "recovering", ... */

/* ---- operations ---- */

/* Called after every copied chunk; a negative return stops the copy (resumable) with that error. */
typedef int (*md_mirror_progress_fn)(uint64_t done_bytes, uint64_t total_bytes, void *userdata);

struct md_mirror_options {
	/*
	 * create: accept legs that carry an md superblock or differ in size by
	 * more than 1%. Other operations: go on although a leg the reference
	 * has in a slot was not given (it is marked faulty).
	 */
	bool force;
	bool assume_clean;    /* create: resync_offset all-ones; grow: the new space needs no resync */
	bool keep_superblock; /* remove/replace: leave the md superblock on the leg that leaves */
	uint64_t zero_bytes; /* remove/replace/dissolve: zero this many bytes at the start of legs that leave */
	size_t copy_chunk_bytes;   /* data copies: 0 = 1 MiB */
	uint64_t checkpoint_bytes; /* recovery_offset is recorded this often: 0 = 64 MiB */
	uint64_t search_bytes; /* grow: how far below the new end to look for the old superblock; 0 = 1 GiB */
	uint64_t time;         /* raw md time for ctime/utime; 0 = now (tests pin it) */
	md_mirror_progress_fn progress;
	void *userdata;
};

struct md_mirror_create_params {
	const char *name;             /* array name, e.g. "md0" */
	const char *homehost;         /* NULL or "": set_name is just the name */
	const uint8_t *uuid;          /* 16 bytes, or NULL for a random one */
	struct blockdev *const *legs; /* the slots, in order; at least 2 */
	size_t n_legs;
	struct blockdev *const *spares;
	size_t n_spares;
	bool bitmap; /* internal write-intent bitmap, as mdadm --bitmap=internal */
};

struct md_mirror_created {
	uint8_t uuid[16];
	uint64_t size_sectors;       /* the array size: the smallest leg's usable size, 64 KiB aligned */
	uint32_t bitmap_chunk_bytes; /* 0 without a bitmap */
};

/*
 * Write a new mirror's superblocks (and bitmaps) as mdadm --create
 * --metadata=1.0 --level=1 does: events 0, device numbers in the order
 * given (legs, then spares), the same ctime on every leg, resync_offset
 * all-ones with opts->assume_clean (else 0: md resyncs on first start).
 * Refuses: fewer than 2 legs (-EINVAL), a device given twice (-EINVAL), a
 * device carrying any md superblock (-EBUSY) or legs whose usable sizes
 * differ by more than 1% (-EINVAL) unless opts->force, a spare too small
 * for the array (-ENOSPC).
 */
int md_mirror_create(const struct md_mirror_create_params *params, const struct md_mirror_options *opts,
		     struct md_mirror_created *ret, struct vg_error *err);

enum md_add_mode {
	MD_ADD_AUTO,  /* into the lowest degraded slot, else as a spare */
	MD_ADD_SPARE, /* as a spare in any case */
};

/*
 * Add @new_dev to the mirror. The staying legs learn the new roles first,
 * then @new_dev gets its superblock (and a copy of the bitmap). Into a slot
 * it joins as a recovering member (MD_FEATURE_RECOVERY_OFFSET,
 * recovery_offset 0): the array data is copied to it from
 * md_mirror_view_source() with recovery_offset checkpoints (each rewrites
 * only that leg's superblock and keeps events: only its own progress
 * changed), then it is marked in sync (written first this time, events
 * bumped again). A crash or a cancelled copy leaves a recovering leg that
 * md_mirror_recover resumes.
 * With MD_ADD_AUTO a fresh spare of the mirror may be given: it takes the
 * degraded slot. The new device must not carry an md superblock (-EBUSY
 * without opts->force) unless it is a faulty or stale leg of this very
 * mirror (re-added, fully copied); a working member is refused with
 * -EEXIST; one too small with -ENOSPC. *ret_dev_number (may be NULL) gets
 * the device number it was given.
 */
int md_mirror_add(const struct md_mirror_view *view, struct blockdev *new_dev, enum md_add_mode mode,
		  const struct md_mirror_options *opts, uint32_t *ret_dev_number, struct vg_error *err);

/*
 * For a mirror that md runs: write only @new_dev's superblock (and a copy of
 * the bitmap), as a spare of the array at its current events, for the
 * kernel to take with ADD_NEW_DISK and rebuild into a free slot (what
 * `mdadm --add` writes for 1.x). The running legs are not touched: their
 * superblocks are md's. Refuses as md_mirror_add does (a working member,
 * a foreign superblock without opts->force, too small).
 */
int md_mirror_prepare_hot_add(const struct md_mirror_view *view, struct blockdev *new_dev,
			      const struct md_mirror_options *opts, struct vg_error *err);

/* Zero the 1.0 metadata region (superblock, bitmap, bad-block log) of a leg md has let go. */
int md_mirror_wipe_super(struct blockdev *dev, struct vg_error *err);

/*
 * Mark legs[leg] faulty on every staying leg (the failed leg itself is not
 * written, as md never writes a failed device). Failing the last fresh
 * in-sync leg is refused with -EBUSY; failing a faulty leg does nothing.
 */
int md_mirror_fail(const struct md_mirror_view *view, size_t leg, const struct md_mirror_options *opts,
		   struct vg_error *err);

/*
 * How far md_mirror_outdate_absent raises events past the reference: a leg
 * not given may stand one event ahead of the given ones (which still count
 * as fresh beside it, mdadm's margin of one), and must end up beyond that
 * margin too.
 */
#define MD_MIRROR_OUTDATE_EVENTS 3

/*
 * The present legs of @view were written outside md (vgrescue restore
 * --write given only some legs): record on them that every other member
 * the reference has in a slot — a leg not given, or a stale one — is out of
 * date, so that md, mdadm and md_mirror_view_read take the present legs as
 * the mirror and rebuild the others from them in full, never the other way
 * round. Like md_mirror_fail for all of those legs at once (missing ones
 * are marked faulty as with opts->force), with events raised by
 * MD_MIRROR_OUTDATE_EVENTS past the reference's instead of one, so the
 * legs left behind fall outside mdadm's margin whatever their roles say.
 * With a bitmap, its events and events_cleared are raised to the new count
 * first, so md takes a leg re-added later for a full recovery, not a
 * bitmap-based one. Build @view from the written legs only (with the
 * mirror's uuid). Returns the number of legs marked; 0 (nothing written)
 * when every member was present and fresh.
 */
int md_mirror_outdate_absent(const struct md_mirror_view *view, const struct md_mirror_options *opts,
			     struct vg_error *err);
/* Does md_mirror_outdate_absent mark legs[k]? A member in a slot that is missing or stale. */
bool md_mirror_leg_left_behind(const struct md_mirror_view *view, size_t k);

/*
 * Remove a faulty, spare or stale leg (-EBUSY for a working one: fail it
 * first): its dev_roles entry becomes unused on every staying leg; then,
 * when present, its first opts->zero_bytes are zeroed and its superblock
 * and bitmap wiped (unless opts->keep_superblock).
 */
int md_mirror_remove(const struct md_mirror_view *view, size_t leg, const struct md_mirror_options *opts,
		     struct vg_error *err);

/*
 * Replace legs[leg] by @new_dev. An in-sync, present old leg stays in
 * service while @new_dev is rebuilt as its replacement (MD_FEATURE_REPLACEMENT,
 * mdadm shows 'R'); then @new_dev takes the slot, the old leg is marked
 * faulty, then removed as md_mirror_remove does. Any other old leg is failed
 * and @new_dev added into its slot.
 */
int md_mirror_replace(const struct md_mirror_view *view, size_t leg, struct blockdev *new_dev,
		      const struct md_mirror_options *opts, struct vg_error *err);

/*
 * Finish what an interrupted add or replace left: copy the rest of every
 * recovering or replacement leg from its recovery_offset, then mark it in
 * sync (and retire the leg it replaced). Returns the number of legs
 * finished (0: nothing to do).
 */
int md_mirror_recover(const struct md_mirror_view *view, const struct md_mirror_options *opts,
		      struct vg_error *err);

/*
 * Bring a dirty mirror (resync_offset not all-ones, e.g. created without
 * assume_clean) in sync without md: copy [resync_offset, size) from the
 * source leg to every other fresh in-sync leg, then mark it clean.
 */
int md_mirror_resync(const struct md_mirror_view *view, const struct md_mirror_options *opts,
		     struct vg_error *err);

/*
 * After every leg of a mirror grew (partition or image enlarged), move each
 * 1.0 superblock (and bitmap) to the new end, raise data_size and the array
 * size (the smallest leg's room, 64 KiB aligned; the bitmap keeps its room,
 * with a larger chunk when needed), then wipe the old superblocks. The old
 * superblock is found by looking back from the new end over at most
 * opts->search_bytes. The new space is marked for resync (resync_offset =
 * old size, all bitmap bits set) unless opts->assume_clean. Refuses with
 * -EINVAL when a leg did not grow (its superblock is still at its end),
 * -ENODATA when no old superblock is found. *ret_size_sectors (may be NULL)
 * gets the new array size.
 */
int md_mirror_grow(struct blockdev *const *devs, size_t n_devs, const struct md_mirror_options *opts,
		   uint64_t *ret_size_sectors, struct vg_error *err);

/*
 * Take the mirror apart into plain devices. @keep_leg (or, when negative,
 * md_mirror_view_source()) keeps its data untouched, so a PV on the mirror
 * stays a valid PV on that leg. The keeper's superblock first marks every
 * other leg faulty; then each other present leg gets its first
 * opts->zero_bytes zeroed (no duplicate signatures) and its superblock and
 * bitmap wiped; the keeper's superblock and bitmap go last. Refuses a keeper
 * that is not a present, fresh, in-sync leg with -EINVAL.
 */
int md_mirror_dissolve(const struct md_mirror_view *view, ssize_t keep_leg,
		       const struct md_mirror_options *opts, struct vg_error *err);

/*
 * Write one leg's superblock after updating its bitmap header's event count
 * (when it has a bitmap), then flush: the unit every operation is made of.
 */
int md_mirror_write_leg_super(struct blockdev *dev, const struct md_super *sb, struct vg_error *err);

/*
 * The superblock legs[leg] carries in the mirror's next generation when
 * only the array state changes (the userspace mirror marking itself dirty or
 * clean): its own per-device fields, the reference's roles, size and resync
 * state, and @events and @utime.
 */
int md_mirror_leg_super(const struct md_mirror_view *view, size_t leg, uint64_t events, uint64_t utime,
			struct md_super *ret_sb, struct vg_error *err);

/* ---- the userspace mirror device (md-mirror-dev.c) ---- */

/*
 * A struct blockdev of the array's size over the legs of @view: writes go
 * to every present, fresh leg holding a slot (in sync, recovering or
 * replacing), reads come from md_mirror_view_source(). Before its first
 * write it marks a clean mirror dirty (resync_offset 0, events + 1, on the
 * spares' superblocks too) and, with a bitmap, sets the bits of the chunks
 * it writes before writing them; blockdev_flush() flushes every leg and
 * marks the mirror clean again (events + 1). A
 * mirror closed without a flush after writes stays dirty, so md resyncs it.
 * A write error on any leg fails the write (no leg is failed
 * automatically). flags: BLOCKDEV_READ_ONLY. The legs' blockdevs must
 * outlive the mirror device; close it with blockdev_close(). -ENODEV when
 * no fresh in-sync leg is present.
 */
int md_mirror_dev_open(const struct md_mirror_view *view, unsigned flags, struct blockdev **ret_dev,
		       struct vg_error *err);

/*
 * Copy @length bytes at @offset from @from to @to through one buffer of
 * @chunk_bytes (0 = 1 MiB), calling @progress (may be NULL) after each chunk
 * with progress_base + the bytes copied so far, out of progress_total (so a
 * copy done in pieces reports one progression). No flush. Used to bring legs
 * in sync.
 */
int md_mirror_copy_data(struct blockdev *from, struct blockdev *to, uint64_t offset, uint64_t length,
			size_t chunk_bytes, md_mirror_progress_fn progress, void *userdata,
			uint64_t progress_base, uint64_t progress_total, struct vg_error *err);
