/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * md RAID-1 (superblock 1.0) mirrors without the md driver: the view of a
 * mirror from its legs' superblocks, and the operations that change it.
 *
 * Every operation has the same shape. The view names the reference (the
 * freshest superblock, FORMATS.md 4.6); a plan is computed from it without
 * I/O: the new role table, events + 1, and an ordered list of steps (write
 * this leg's superblock, zero this range, wipe that leg's metadata). Before
 * the first step every device the plan touches is read again and compared
 * with the view (-ESTALE if anything moved), so a refusal never writes.
 * Steps run one device at a time, each followed by a flush, in an order
 * chosen so that md's own rules read any prefix of them sensibly: legs that
 * hold the data are written first and a joining leg last (a leg claiming a
 * slot before the others list it would make mdadm reject them); a leg that
 * finished its rebuild goes first, as its data is complete; legs losing
 * trust are never written (md never writes a failed device) and are wiped
 * only after the others stopped listing them. Since every written leg carries events + 1, a crash leaves
 * some legs one event ahead; mdadm and the kernel accept a difference of one
 * and take the roles from the freshest, which is the new plan.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "endian-le.h"
#include "md-bitmap.h"
#include "md-mirror.h"
#include "uuid.h"

#define SECTOR_BYTES 512u
#define RAID1_SIZE_ALIGN_SECTORS 128 /* mdadm keeps raid1 component sizes in 64 KiB steps */
#define DEFAULT_SEARCH_BYTES (UINT64_C(1) << 30)
#define DEFAULT_CHECKPOINT_BYTES (UINT64_C(64) << 20)
#define MD_TIME_MASK ((UINT64_C(1) << 40) - 1)

const char *md_leg_state_name(enum md_leg_state state)
{
	switch (state) {
	case MD_LEG_IN_SYNC:
		return "in_sync";
	case MD_LEG_RECOVERING:
		return "recovering";
	case MD_LEG_REPLACEMENT:
		return "replacement";
	case MD_LEG_SPARE:
		return "spare";
	case MD_LEG_FAULTY:
		return "faulty";
	}
	return "unknown";
}

static uint64_t md_time(const struct md_mirror_options *opts)
{
	if (opts && opts->time)
		return opts->time;
	return (uint64_t)time(NULL) & MD_TIME_MASK;
}

static const struct md_mirror_options *options_or_default(const struct md_mirror_options *opts)
{
	static const struct md_mirror_options defaults = { 0 };

	return opts ? opts : &defaults;
}

/* Two blockdevs on the same bytes: the same object, memory, block device or file. */
static bool same_device(struct blockdev *a, struct blockdev *b)
{
	struct stat sa, sb;

	if (a == b)
		return true;
	if (a->memory || b->memory)
		return a->memory && a->memory == b->memory;
	if (a->is_block_device && b->is_block_device)
		return a->rdev == b->rdev;
	if (a->fd >= 0 && b->fd >= 0 && fstat(a->fd, &sa) == 0 && fstat(b->fd, &sb) == 0)
		return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	return streq(a->path, b->path);
}

static uint16_t role_of(const struct md_super *sb, uint32_t dev_number)
{
	if (dev_number >= sb->max_dev || dev_number >= MD_SB_1_MAX_DEVS)
		return MD_ROLE_SPARE;
	return sb->dev_roles[dev_number];
}

static bool recovering_super(const struct md_super *sb, uint64_t size_sectors)
{
	return (sb->feature_map & MD_FEATURE_RECOVERY_OFFSET) && sb->recovery_offset_sectors < size_sectors;
}

/* Copy @src into @dst of @size bytes, cut if longer (messages shown to people). */
static void copy_text(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* ---- the view ---- */

struct md_mirror_view *md_mirror_view_free(struct md_mirror_view *view)
{
	if (!view)
		return NULL;
	free(view->legs);
	free(view->others);
	free(view);
	return NULL;
}

static int add_other(struct md_mirror_view *view, struct blockdev *dev, int error, const char *message)
{
	struct md_mirror_other *others = reallocarray(view->others, view->n_others + 1, sizeof(*others));
	struct md_mirror_other *o;

	if (!others)
		return -ENOMEM;
	view->others = others;
	o = &others[view->n_others++];
	memset(o, 0, sizeof(*o));
	o->dev = dev;
	o->error = error;
	copy_text(o->message, sizeof(o->message), message);
	return 0;
}

/*
 * mdadm's test before it trusts a leg that is not the most recent: its own
 * role table must still have someone in the reference leg's slot, and must
 * not call the reference leg failed. A leg failing it ran on apart from the
 * reference (split brain) and its data cannot be trusted.
 */
static bool leg_rejects_reference(const struct md_super *own, const struct md_super *ref_own,
				  uint32_t raid_disks)
{
	uint16_t ref_slot = md_super_role(ref_own);
	bool slot_held = false;

	if (ref_slot >= raid_disks)
		return false;
	if (role_of(own, ref_own->dev_number) == MD_ROLE_FAULTY)
		return true;
	for (uint32_t d = 0; d < own->max_dev && d < MD_SB_1_MAX_DEVS; d++)
		if (own->dev_roles[d] == ref_slot)
			slot_held = true;
	return !slot_held;
}

/* Is @cand a better reference than @best? mdadm's most_recent, ties made deterministic. */
static bool better_reference(const struct md_mirror_leg *cand, const struct md_mirror_leg *best)
{
	bool cand_sync, best_sync;

	if (cand->events != best->events)
		return cand->events > best->events;
	cand_sync = !recovering_super(&cand->sb, cand->sb.size_sectors);
	best_sync = !recovering_super(&best->sb, best->sb.size_sectors);
	if (cand_sync != best_sync)
		return cand_sync;
	return cand->own_role < best->own_role;
}

/*
 * Build the view from superblocks already read: sbs[i]/status[i] are what
 * probing devs[i] gave (status 0 = valid, else the errno and message).
 */
static int view_build(struct blockdev *const *devs, size_t n_devs, const uint8_t *uuid,
		      const struct md_super *sbs, const int *status, char (*messages)[256],
		      struct md_mirror_view **ret_view, struct vg_error *err)
{
	_cleanup_(md_mirror_view_freep) struct md_mirror_view *view = NULL;
	_cleanup_free_ bool *member = NULL;
	const uint8_t *chosen = uuid;
	const struct md_super *ref;
	struct md_mirror_leg *best = NULL, *legs;
	size_t n_members = 0, n_missing = 0;

	view = calloc(1, sizeof(*view));
	member = calloc(n_devs ? n_devs : 1, sizeof(*member));
	if (!view || !member)
		return vg_error_set(err, -ENOMEM, "out of memory reading the mirror view");

	for (size_t i = 0; i < n_devs; i++)
		for (size_t j = 0; j < i; j++)
			if (same_device(devs[i], devs[j]))
				return vg_error_set(err, -EINVAL, "%s is given twice (also as %s)",
						    devs[i]->path, devs[j]->path);

	/* Sort the devices: legs of one raid1 1.x array, or others with the reason. */
	for (size_t i = 0; i < n_devs; i++) {
		char msg[256], a[36], b[36];
		int code = status[i];

		if (code == 0 && sbs[i].version == MD_SUPER_0_90) {
			code = -EPROTONOSUPPORT;
			snprintf(msg, sizeof(msg),
				 "%s: md 0.90 superblock; only 1.x mirrors are handled here", devs[i]->path);
		} else if (code == 0 && sbs[i].level != 1) {
			code = -EPROTONOSUPPORT;
			snprintf(msg, sizeof(msg), "%s: md raid level %" PRId32 ", not a raid1 mirror",
				 devs[i]->path, sbs[i].level);
		} else if (code == 0 && chosen && memcmp(sbs[i].set_uuid, chosen, 16) != 0) {
			md_uuid_format(sbs[i].set_uuid, a);
			md_uuid_format(chosen, b);
			if (uuid) {
				code = -EXDEV;
				snprintf(msg, sizeof(msg), "%s: belongs to array %s, not %s", devs[i]->path,
					 a, b);
			} else {
				return vg_error_set(
					err, -EINVAL,
					"the devices belong to more than one array: %s is in %s, others in %s",
					devs[i]->path, a, b);
			}
		} else if (code != 0) {
			copy_text(msg, sizeof(msg), messages[i]);
		}
		if (code != 0) {
			if (code == -ENOMEM)
				return vg_error_set(err, code, "%s", messages[i]);
			if (add_other(view, devs[i], code, msg) < 0)
				return vg_error_set(err, -ENOMEM, "out of memory reading the mirror view");
			continue;
		}
		if (!chosen)
			chosen = sbs[i].set_uuid;
		member[i] = true;
		n_members++;
	}
	if (n_members == 0) {
		if (view->n_others > 0)
			return vg_error_set(err, -ENODATA, "no leg of %s found: %s",
					    uuid ? "that mirror" : "a mirror", view->others[0].message);
		return vg_error_set(err, -ENODATA, "no devices given");
	}

	/* The present legs now; the missing ones are appended once the reference names them. */
	view->legs = calloc(n_members, sizeof(*view->legs));
	if (!view->legs)
		return vg_error_set(err, -ENOMEM, "out of memory reading the mirror view");
	for (size_t i = 0; i < n_devs; i++) {
		struct md_mirror_leg *leg, *holder = NULL;

		if (!member[i])
			continue;
		for (size_t k = 0; k < view->n_legs; k++)
			if (view->legs[k].dev_number == sbs[i].dev_number)
				holder = &view->legs[k];
		if (holder) {
			/*
			 * A number md gave again after its holder left: the newer
			 * superblock holds it, the older one is a leg that was
			 * pulled and came back (mdadm keeps the most recent too).
			 * Equal events cannot be told apart: a copied disk.
			 */
			bool incoming_stale = sbs[i].events < holder->events;
			struct blockdev *stale = incoming_stale ? devs[i] : holder->dev;
			char msg[256];

			if (holder->events == sbs[i].events)
				return vg_error_set(err, -EINVAL,
						    "%s and %s both claim device number %" PRIu32
						    " of the mirror (a copied disk?)",
						    holder->dev->path, devs[i]->path, sbs[i].dev_number);
			snprintf(msg, sizeof(msg), "%s: stale, device number %" PRIu32 " belongs to %s now (events %" PRIu64
				 " < %" PRIu64 ")", stale->path, sbs[i].dev_number,
				 incoming_stale ? holder->dev->path : devs[i]->path, MIN(holder->events, sbs[i].events),
				 MAX(holder->events, sbs[i].events));
			if (add_other(view, stale, -ESTALE, msg) < 0)
				return vg_error_set(err, -ENOMEM, "out of memory reading the mirror view");
			if (incoming_stale)
				continue;
			leg = holder;
			memset(leg, 0, sizeof(*leg));
		} else {
			leg = &view->legs[view->n_legs++];
		}
		leg->dev = devs[i];
		leg->sb = sbs[i];
		leg->dev_number = sbs[i].dev_number;
		leg->own_role = md_super_role(&sbs[i]);
		leg->events = sbs[i].events;
		leg->present = true;
	}

	/* The reference: mdadm's most_recent, among legs whose own role is an active slot. */
	for (size_t k = 0; k < view->n_legs; k++) {
		struct md_mirror_leg *leg = &view->legs[k];

		if (leg->own_role >= leg->sb.raid_disks || (leg->sb.feature_map & MD_FEATURE_REPLACEMENT))
			continue;
		if (!best || better_reference(leg, best))
			best = leg;
	}
	if (!best)
		for (size_t k = 0; k < view->n_legs; k++)
			if (!best || view->legs[k].events > best->events)
				best = &view->legs[k];
	best->is_reference = true;
	view->reference = (size_t)(best - view->legs);
	ref = &best->sb;

	memcpy(view->uuid, ref->set_uuid, sizeof(view->uuid));
	memcpy(view->name, ref->set_name, sizeof(view->name));
	view->version = ref->version;
	view->raid_disks = ref->raid_disks;
	view->size_sectors = ref->size_sectors;
	view->events = ref->events;
	view->resync_offset_sectors = ref->resync_offset;
	view->clean = md_super_is_clean(ref);
	view->has_bitmap = ref->feature_map & MD_FEATURE_BITMAP_OFFSET;

	for (size_t k = 0; k < view->n_legs; k++) {
		struct md_mirror_leg *leg = &view->legs[k];
		bool events_ok = leg->events <= ref->events && leg->events + 1 >= ref->events;

		leg->role = role_of(ref, leg->dev_number);
		leg->rejected = !leg->is_reference && leg_rejects_reference(&leg->sb, ref, ref->raid_disks);
		leg->fresh = events_ok && !leg->rejected;
		if (leg->role == MD_ROLE_FAULTY) {
			leg->state = MD_LEG_FAULTY;
		} else if (leg->role >= ref->raid_disks) {
			leg->state = MD_LEG_SPARE;
		} else if (leg->sb.feature_map & MD_FEATURE_REPLACEMENT) {
			leg->state = MD_LEG_REPLACEMENT;
			leg->recovery_offset_sectors = leg->sb.recovery_offset_sectors;
		} else if (recovering_super(&leg->sb, ref->size_sectors)) {
			leg->state = MD_LEG_RECOVERING;
			leg->recovery_offset_sectors = leg->sb.recovery_offset_sectors;
		} else {
			leg->state = MD_LEG_IN_SYNC;
		}
	}

	/*
	 * Legs the reference has in a slot that were not given. Absent spares
	 * and failed legs cannot be told from unused entries: unused ones are
	 * 0xffff (spare) from newer kernels and mdadm, 0xfffe (faulty) from
	 * older kernels.
	 */
	for (int pass = 0; pass < 2; pass++) {
		for (uint32_t d = 0; d < ref->max_dev && d < MD_SB_1_MAX_DEVS; d++) {
			uint16_t role = ref->dev_roles[d];
			struct md_mirror_leg *leg;
			bool seen = false;

			if (role >= ref->raid_disks)
				continue;
			for (size_t k = 0; k < n_members && !seen; k++)
				seen = view->legs[k].dev_number == d;
			if (seen)
				continue;
			if (pass == 0) {
				n_missing++;
				continue;
			}
			leg = &view->legs[view->n_legs++];
			memset(leg, 0, sizeof(*leg));
			leg->dev_number = d;
			leg->role = role;
			leg->own_role = MD_ROLE_SPARE;
			leg->state = MD_LEG_IN_SYNC;
		}
		if (pass == 0 && n_missing > 0) {
			/* ref points into the array being moved: keep hold of it by index. */
			size_t ref_index = view->reference;

			legs = reallocarray(view->legs, n_members + n_missing, sizeof(*legs));
			if (!legs)
				return vg_error_set(err, -ENOMEM, "out of memory reading the mirror view");
			view->legs = legs;
			ref = &view->legs[ref_index].sb;
		}
	}

	for (uint32_t slot = 0; slot < view->raid_disks; slot++) {
		bool served = false;

		for (size_t k = 0; k < view->n_legs && !served; k++) {
			const struct md_mirror_leg *leg = &view->legs[k];

			served = leg->present && leg->fresh && leg->role == slot &&
				 leg->state == MD_LEG_IN_SYNC;
		}
		if (!served)
			view->degraded++;
	}

	*ret_view = TAKE_PTR(view);
	return 0;
}

int md_mirror_view_read(struct blockdev *const *devs, size_t n_devs, const uint8_t *uuid,
			struct md_mirror_view **ret_view, struct vg_error *err)
{
	_cleanup_free_ struct md_super *sbs = NULL;
	_cleanup_free_ int *status = NULL;
	_cleanup_free_ char(*messages)[256] = NULL;

	sbs = calloc(n_devs ? n_devs : 1, sizeof(*sbs));
	status = calloc(n_devs ? n_devs : 1, sizeof(*status));
	messages = calloc(n_devs ? n_devs : 1, sizeof(*messages));
	if (!sbs || !status || !messages)
		return vg_error_set(err, -ENOMEM, "out of memory reading the mirror view");
	for (size_t i = 0; i < n_devs; i++) {
		struct vg_error e = { 0 };

		status[i] = md_super_probe(devs[i], &sbs[i], &e);
		if (status[i] < 0)
			copy_text(messages[i], sizeof(messages[i]), e.message);
	}
	return view_build(devs, n_devs, uuid, sbs, status, messages, ret_view, err);
}

ssize_t md_mirror_view_find(const struct md_mirror_view *view, const struct blockdev *dev)
{
	for (size_t k = 0; k < view->n_legs; k++)
		if (view->legs[k].dev && same_device(view->legs[k].dev, (struct blockdev *)dev))
			return (ssize_t)k;
	return -ENOENT;
}

ssize_t md_mirror_view_find_slot(const struct md_mirror_view *view, uint32_t slot)
{
	ssize_t any = -ENOENT;

	for (size_t k = 0; k < view->n_legs; k++) {
		if (view->legs[k].role != slot)
			continue;
		if (view->legs[k].state == MD_LEG_IN_SYNC)
			return (ssize_t)k;
		if (any < 0)
			any = (ssize_t)k;
	}
	return any;
}

static bool leg_serves(const struct md_mirror_leg *leg)
{
	return leg->present && leg->fresh && leg->state == MD_LEG_IN_SYNC;
}

ssize_t md_mirror_view_source(const struct md_mirror_view *view)
{
	ssize_t found = -ENODEV;

	if (leg_serves(&view->legs[view->reference]))
		return (ssize_t)view->reference;
	for (size_t k = 0; k < view->n_legs; k++)
		if (leg_serves(&view->legs[k]) && (found < 0 || view->legs[k].role < view->legs[found].role))
			found = (ssize_t)k;
	return found;
}

/* ---- plans ---- */

enum step_kind {
	STEP_SUPER, /* bitmap as .bitmap says, then the superblock, then flush */
	STEP_ZERO,  /* zero [offset, offset + length), flush */
	STEP_WIPE,  /* zero a leg's metadata region (bitmap, bad-block log, superblock), flush */
};

enum step_bitmap {
	BITMAP_KEEP,   /* no bitmap, or nothing to change in it */
	BITMAP_HEADER, /* the header's events follow the superblock's */
	BITMAP_NEW,    /* a fresh bitmap, every bit set */
	BITMAP_COPY,   /* the source leg's bitmap, events replaced */
};

struct step {
	enum step_kind kind;
	struct blockdev *dev;
	struct md_super sb;
	enum step_bitmap bitmap;
	struct md_bitmap_super bm; /* BITMAP_NEW */
	struct blockdev *bm_from;  /* BITMAP_COPY */
	const struct md_super *bm_from_sb;
	uint64_t offset, length; /* ZERO, WIPE: bytes */
};

struct plan {
	size_t n_steps;
	struct step *steps;
};

static void plan_done(struct plan *plan)
{
	free(plan->steps);
	plan->steps = NULL;
	plan->n_steps = 0;
}

static struct step *plan_add(struct plan *plan, enum step_kind kind, struct blockdev *dev)
{
	struct step *steps = reallocarray(plan->steps, plan->n_steps + 1, sizeof(*steps));
	struct step *s;

	if (!steps)
		return NULL;
	plan->steps = steps;
	s = &steps[plan->n_steps++];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->dev = dev;
	return s;
}

/* The new array-wide state every written superblock gets. */
struct roles_plan {
	uint16_t roles[MD_SB_1_MAX_DEVS];
	uint32_t max_dev;
	uint64_t events;
	uint64_t utime;
	uint64_t size_sectors;
	uint64_t resync_offset;
};

static uint16_t planned_role(const struct roles_plan *rp, uint32_t dev_number)
{
	return dev_number < rp->max_dev ? rp->roles[dev_number] : MD_ROLE_SPARE;
}

/* Make room in the role table for @dev_number, as md grows max_dev. */
static int roles_reserve(struct roles_plan *rp, uint32_t dev_number, struct vg_error *err)
{
	uint32_t max_dev;

	if (dev_number >= MD_SB_1_MAX_DEVS)
		return vg_error_set(err, -ENOSPC, "the mirror already has %u device numbers",
				    MD_SB_1_MAX_DEVS);
	if (dev_number < rp->max_dev)
		return 0;
	max_dev = (uint32_t)((md_super_1_bytes(dev_number + 1) - 256) / 2);
	max_dev = MIN(max_dev, (uint32_t)MD_SB_1_MAX_DEVS);
	for (uint32_t d = rp->max_dev; d < max_dev; d++)
		rp->roles[d] = MD_ROLE_SPARE;
	rp->max_dev = max_dev;
	return 0;
}

/*
 * Start a plan from the reference: its role table, events + 1, now. A
 * present leg the reference has in a slot but that is stale or rejected is
 * marked faulty (md would not take it back either). A missing one is marked
 * faulty when its slot is @fill_slot (it is being refilled) or with
 * opts->force; otherwise the plan is refused, so a forgotten device on the
 * command line never silently loses its slot. @target is the leg the
 * operation is about (left to the caller), or -1.
 */
static int plan_begin(const struct md_mirror_view *view, const struct md_mirror_options *opts, ssize_t target,
		      uint32_t fill_slot, struct roles_plan *rp, struct vg_error *err)
{
	const struct md_super *ref = &view->legs[view->reference].sb;

	memset(rp, 0, sizeof(*rp));
	rp->max_dev = MIN(ref->max_dev, (uint32_t)MD_SB_1_MAX_DEVS);
	memcpy(rp->roles, ref->dev_roles, sizeof(rp->roles[0]) * rp->max_dev);
	if (ref->events == UINT64_MAX)
		return vg_error_set(err, -EOVERFLOW, "the mirror's event counter cannot grow further");
	rp->events = ref->events + 1;
	rp->utime = md_time(opts);
	rp->size_sectors = ref->size_sectors;
	rp->resync_offset = ref->resync_offset;
	if (view->version != MD_SUPER_1_0)
		return vg_error_set(err, -EPROTONOSUPPORT,
				    "the mirror has md %s superblocks; vgtool changes only 1.0 mirrors",
				    md_super_version_name(view->version));

	for (size_t k = 0; k < view->n_legs; k++) {
		const struct md_mirror_leg *leg = &view->legs[k];

		if ((ssize_t)k == target || leg->role >= view->raid_disks)
			continue;
		if (!leg->present) {
			if (leg->role != fill_slot && !opts->force)
				return vg_error_set(err, -ENODEV,
						    "device %" PRIu32 " of the mirror (slot %" PRIu16
						    ") was not given; give it, or force to mark it failed",
						    leg->dev_number, leg->role);
			rp->roles[leg->dev_number] = MD_ROLE_FAULTY;
		} else if (!leg->fresh) {
			rp->roles[leg->dev_number] = MD_ROLE_FAULTY;
		}
	}
	return 0;
}

/* Does legs[k] get the new superblock? Present members that keep a role and can be trusted with it. */
static bool leg_stays(const struct md_mirror_view *view, size_t k, const struct roles_plan *rp)
{
	const struct md_mirror_leg *leg = &view->legs[k];
	uint16_t role;

	if (!leg->present || leg->role == MD_ROLE_FAULTY)
		return false;
	role = planned_role(rp, leg->dev_number);
	if (role == MD_ROLE_FAULTY)
		return false;
	if (role < view->raid_disks)
		return leg->fresh;
	/* A spare: fresh, or a spare by its own account (not a leftover of a removed member). */
	return leg->fresh || leg->own_role >= view->raid_disks;
}

/* Order of writing: the legs that hold the data first (the reference first of all), then the rest. */
static int stay_rank(const struct md_mirror_view *view, size_t k)
{
	const struct md_mirror_leg *leg = &view->legs[k];

	if (leg->is_reference)
		return 0;
	switch (leg->state) {
	case MD_LEG_IN_SYNC:
		return 1;
	case MD_LEG_RECOVERING:
	case MD_LEG_REPLACEMENT:
		return 2;
	default:
		return 3;
	}
}

/* @sb (a leg's own superblock) with the array-wide state of the plan. */
static void refresh_super(struct md_super *sb, const struct md_super *ref, const struct roles_plan *rp)
{
	uint32_t per_device = MD_FEATURE_RECOVERY_OFFSET | MD_FEATURE_REPLACEMENT | MD_FEATURE_BAD_BLOCKS;

	memcpy(sb->set_name, ref->set_name, sizeof(sb->set_name));
	sb->ctime = ref->ctime;
	sb->level = ref->level;
	sb->layout = ref->layout;
	sb->chunk_sectors = ref->chunk_sectors;
	sb->raid_disks = ref->raid_disks;
	sb->feature_map = (sb->feature_map & per_device) | (ref->feature_map & ~per_device);
	sb->size_sectors = rp->size_sectors;
	sb->resync_offset = rp->resync_offset;
	sb->max_dev = rp->max_dev;
	memset(sb->dev_roles, 0, sizeof(sb->dev_roles));
	memcpy(sb->dev_roles, rp->roles, sizeof(rp->roles[0]) * rp->max_dev);
	sb->events = rp->events;
	sb->utime = rp->utime;
}

/* Queue the new superblock of every staying leg except @skip, trusted legs first. */
static int plan_staying(struct plan *plan, const struct md_mirror_view *view, const struct roles_plan *rp,
			ssize_t skip, struct vg_error *err)
{
	const struct md_super *ref = &view->legs[view->reference].sb;

	for (int rank = 0; rank <= 3; rank++)
		for (size_t k = 0; k < view->n_legs; k++) {
			struct step *s;

			if ((ssize_t)k == skip || stay_rank(view, k) != rank || !leg_stays(view, k, rp))
				continue;
			s = plan_add(plan, STEP_SUPER, view->legs[k].dev);
			if (!s)
				return vg_error_set(err, -ENOMEM, "out of memory planning the mirror change");
			s->sb = view->legs[k].sb;
			refresh_super(&s->sb, ref, rp);
			s->bitmap =
				(s->sb.feature_map & MD_FEATURE_BITMAP_OFFSET) ? BITMAP_HEADER : BITMAP_KEEP;
		}
	return 0;
}

/*
 * Where a 1.0 leg keeps its metadata: from the lowest of bitmap, bad-block
 * log and superblock to the end of the largest superblock, never below the
 * array data.
 */
static void meta_region(const struct md_super *sb, uint64_t device_bytes, uint64_t *ret_offset,
			uint64_t *ret_length)
{
	int64_t start = (int64_t)sb->super_offset_sectors;
	int64_t data_end = (int64_t)(sb->data_offset_sectors + sb->size_sectors);
	uint64_t end;

	if ((sb->feature_map & MD_FEATURE_BITMAP_OFFSET) && sb->bitmap_offset_sectors < 0)
		start = MIN(start, (int64_t)sb->super_offset_sectors + sb->bitmap_offset_sectors);
	if (sb->bblog_size && sb->bblog_offset < 0)
		start = MIN(start, (int64_t)sb->super_offset_sectors + sb->bblog_offset);
	start = MAX(start, data_end);
	end = MIN(sb->super_offset_sectors * SECTOR_BYTES + MD_SB_1_MAX_BYTES, device_bytes);
	*ret_offset = (uint64_t)start * SECTOR_BYTES;
	*ret_length = end > *ret_offset ? end - *ret_offset : 0;
}

static int plan_wipe(struct plan *plan, struct blockdev *dev, const struct md_super *sb, struct vg_error *err)
{
	struct step *s = plan_add(plan, STEP_WIPE, dev);

	if (!s)
		return vg_error_set(err, -ENOMEM, "out of memory planning the mirror change");
	s->sb = *sb;
	meta_region(sb, dev->size_bytes, &s->offset, &s->length);
	return 0;
}

static int plan_zero_head(struct plan *plan, struct blockdev *dev, uint64_t bytes, struct vg_error *err)
{
	struct step *s;

	if (bytes == 0)
		return 0;
	s = plan_add(plan, STEP_ZERO, dev);
	if (!s)
		return vg_error_set(err, -ENOMEM, "out of memory planning the mirror change");
	s->offset = 0;
	s->length = MIN(bytes, dev->size_bytes);
	return 0;
}

/* The view's copy of @dev's superblock, or NULL for a device the view does not know. */
static const struct md_super *view_super_of(const struct md_mirror_view *view, struct blockdev *dev)
{
	for (size_t k = 0; k < view->n_legs; k++)
		if (view->legs[k].dev == dev)
			return &view->legs[k].sb;
	return NULL;
}

/*
 * Before the first write: every device the plan touches is writable, still
 * carries the superblock the view read, and every bitmap header the plan
 * updates is readable. Anything else is a refusal, so nothing is written.
 */
static int plan_check(const struct plan *plan, const struct md_mirror_view *view, struct vg_error *err)
{
	for (size_t i = 0; i < plan->n_steps; i++) {
		const struct step *s = &plan->steps[i];
		const struct md_super *known;
		struct md_super now;
		struct vg_error e = { 0 };
		int r;

		if (s->dev->read_only)
			return vg_error_set(err, -EROFS,
					    "%s: opened read-only, refusing to change the mirror",
					    s->dev->path);
		known = view ? view_super_of(view, s->dev) : NULL;
		if (known) {
			r = md_super_probe(s->dev, &now, &e);
			if (r < 0 || now.events != known->events || now.utime != known->utime ||
			    now.sb_csum != known->sb_csum || now.dev_number != known->dev_number ||
			    memcmp(now.set_uuid, known->set_uuid, 16) != 0)
				return vg_error_set(
					err, -ESTALE,
					"%s: its md superblock changed since the mirror was read; read it again",
					s->dev->path);
		}
		if (s->kind == STEP_SUPER && s->bitmap == BITMAP_HEADER) {
			struct md_bitmap_super bm;

			r = md_bitmap_read(s->dev, &s->sb, &bm, err);
			if (r < 0)
				return vg_error_prefix(err, r, "cannot update the bitmap: ");
		}
		if (s->kind == STEP_SUPER &&
		    s->sb.super_offset_sectors != md_super_1_0_sector(s->dev->size_bytes / SECTOR_BYTES))
			return vg_error_set(err, -EINVAL,
					    "%s: a 1.0 superblock for sector %" PRIu64
					    " does not fit a device of %" PRIu64 " bytes",
					    s->dev->path, s->sb.super_offset_sectors, s->dev->size_bytes);
	}
	return 0;
}

int md_mirror_write_leg_super(struct blockdev *dev, const struct md_super *sb, struct vg_error *err)
{
	int r;

	if (sb->feature_map & MD_FEATURE_BITMAP_OFFSET) {
		struct md_bitmap_super bm;

		r = md_bitmap_read(dev, sb, &bm, err);
		if (r < 0)
			return r;
		/* The bitmap may run ahead of the superblock, never behind: md takes an older one as stale. */
		bm.events = sb->events;
		r = md_bitmap_write_header(dev, sb, &bm, err);
		if (r < 0)
			return r;
	}
	r = md_super_write_1_0(dev, sb, err);
	if (r < 0)
		return r;
	return blockdev_flush(dev, err);
}

int md_mirror_leg_super(const struct md_mirror_view *view, size_t leg, uint64_t events, uint64_t utime,
			struct md_super *ret_sb, struct vg_error *err)
{
	const struct md_super *ref = &view->legs[view->reference].sb;
	struct roles_plan rp = {
		.max_dev = MIN(ref->max_dev, (uint32_t)MD_SB_1_MAX_DEVS),
		.events = events,
		.utime = utime,
		.size_sectors = ref->size_sectors,
		.resync_offset = ref->resync_offset,
	};
	struct md_super sb;

	if (leg >= view->n_legs || !view->legs[leg].present)
		return vg_error_set(err, -EINVAL, "leg %zu is not a present leg of the mirror", leg);
	memcpy(rp.roles, ref->dev_roles, sizeof(rp.roles[0]) * rp.max_dev);
	sb = view->legs[leg].sb;
	refresh_super(&sb, ref, &rp);
	*ret_sb = sb;
	return 0;
}

static int step_run(const struct step *s, struct vg_error *err)
{
	int r;

	switch (s->kind) {
	case STEP_SUPER:
		switch (s->bitmap) {
		case BITMAP_HEADER:
			return md_mirror_write_leg_super(s->dev, &s->sb, err);
		case BITMAP_NEW:
			r = md_bitmap_write_new(s->dev, &s->sb, &s->bm, err);
			break;
		case BITMAP_COPY:
			r = md_bitmap_copy(s->bm_from, s->bm_from_sb, s->dev, &s->sb, s->sb.events, err);
			break;
		case BITMAP_KEEP:
		default:
			r = 0;
			break;
		}
		if (r >= 0)
			r = md_super_write_1_0(s->dev, &s->sb, err);
		break;
	case STEP_ZERO:
	case STEP_WIPE:
		r = blockdev_zero(s->dev, s->offset, s->length, err);
		break;
	default:
		r = -EINVAL;
	}
	if (r < 0)
		return r;
	return blockdev_flush(s->dev, err);
}

static int plan_run(const struct plan *plan, const struct md_mirror_view *view, struct vg_error *err)
{
	int r;

	r = plan_check(plan, view, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < plan->n_steps; i++) {
		r = step_run(&plan->steps[i], err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- create ---- */

int md_mirror_create(const struct md_mirror_create_params *p, const struct md_mirror_options *opts,
		     struct md_mirror_created *ret, struct vg_error *err)
{
	_cleanup_free_ struct blockdev **devs = NULL;
	_cleanup_free_ struct md_super *sbs = NULL;
	_cleanup_free_ uint16_t *roles = NULL;
	struct md_mirror_created created = { 0 };
	struct md_bitmap_super bm;
	uint64_t ctime, min_size = UINT64_MAX, max_size = 0;
	size_t n, smallest = 0, largest = 0;
	uint32_t chunk = 0;
	uint64_t area = 0;
	int32_t bitmap_offset = 0;
	int r;

	opts = options_or_default(opts);
	if (p->n_legs < 2)
		return vg_error_set(err, -EINVAL, "a mirror needs at least 2 legs, %zu given", p->n_legs);
	n = p->n_legs + p->n_spares;
	if (n > MD_SB_1_MAX_DEVS)
		return vg_error_set(err, -EINVAL, "%zu devices: md allows at most %u", n, MD_SB_1_MAX_DEVS);
	devs = calloc(n, sizeof(*devs));
	sbs = calloc(n, sizeof(*sbs));
	roles = calloc(n, sizeof(*roles));
	if (!devs || !sbs || !roles)
		return vg_error_set(err, -ENOMEM, "out of memory creating the mirror");
	for (size_t i = 0; i < p->n_legs; i++) {
		devs[i] = p->legs[i];
		roles[i] = (uint16_t)i;
	}
	for (size_t i = 0; i < p->n_spares; i++) {
		devs[p->n_legs + i] = p->spares[i];
		roles[p->n_legs + i] = MD_ROLE_SPARE;
	}

	for (size_t i = 0; i < n; i++) {
		struct md_super found;
		struct vg_error e = { 0 };

		for (size_t j = 0; j < i; j++)
			if (same_device(devs[i], devs[j]))
				return vg_error_set(err, -EINVAL, "%s is given twice (also as %s)",
						    devs[i]->path, devs[j]->path);
		if (devs[i]->read_only)
			return vg_error_set(err, -EROFS, "%s: opened read-only", devs[i]->path);
		r = md_super_probe(devs[i], &found, &e);
		if (r == 0 || r == -EBADMSG || r == -EPROTONOSUPPORT) {
			char text[36] = "?";

			if (r == 0)
				md_uuid_format(found.set_uuid, text);
			if (!opts->force)
				return vg_error_set(
					err, -EBUSY,
					"%s already carries an md superblock (%s, array %s); force to overwrite it",
					devs[i]->path,
					r == 0 ? md_super_version_name(found.version) : "damaged", text);
		} else if (r != -ENODATA) {
			return vg_error_set(err, r, "%s", e.message);
		}
	}

	if (p->uuid) {
		memcpy(created.uuid, p->uuid, sizeof(created.uuid));
	} else {
		r = random_bytes(created.uuid, sizeof(created.uuid));
		if (r < 0)
			return vg_error_set(err, r, "cannot get random bytes for the array uuid: %s",
					    strerror(-r));
	}
	ctime = md_time(opts);

	/* What each leg could hold by itself, as mdadm --create sizes it; the smallest sets the array. */
	for (size_t i = 0; i < n; i++) {
		struct md_raid1_leg_params lp = {
			.name = p->name,
			.homehost = p->homehost,
			.raid_disks = (uint32_t)p->n_legs,
			.dev_number = (uint32_t)i,
			.role = roles[i],
			.dev_roles = roles,
			.dev_roles_count = (uint32_t)n,
			.device_sectors = devs[i]->size_bytes / SECTOR_BYTES,
			.clean = opts->assume_clean,
			.ctime = ctime,
		};

		memcpy(lp.set_uuid, created.uuid, sizeof(lp.set_uuid));
		r = md_super_init_raid1_leg(&sbs[i], &lp, err);
		if (r < 0)
			return vg_error_prefix(err, r, "%s: ", devs[i]->path);
		if (i >= p->n_legs)
			continue;
		if (sbs[i].size_sectors < min_size) {
			min_size = sbs[i].size_sectors;
			smallest = i;
		}
		if (sbs[i].size_sectors > max_size) {
			max_size = sbs[i].size_sectors;
			largest = i;
		}
	}
	/* mdadm warns when the largest leg exceeds the smallest by more than 1%: space would be wasted. */
	if (max_size > min_size + min_size / 100 && !opts->force)
		return vg_error_set(err, -EINVAL,
				    "%s (%" PRIu64
				    " usable sectors) is more than 1%% larger than %s (%" PRIu64
				    "); force to waste the difference",
				    devs[largest]->path, max_size, devs[smallest]->path, min_size);
	created.size_sectors = min_size;

	if (p->bitmap) {
		r = md_bitmap_layout_1_0(min_size, &chunk, &area, &bitmap_offset, err);
		if (r < 0)
			return r;
		md_bitmap_init(&bm, created.uuid, min_size, chunk);
		created.bitmap_chunk_bytes = chunk;
	}

	for (size_t i = 0; i < n; i++) {
		struct md_raid1_leg_params lp = {
			.name = p->name,
			.homehost = p->homehost,
			.raid_disks = (uint32_t)p->n_legs,
			.dev_number = (uint32_t)i,
			.role = roles[i],
			.dev_roles = roles,
			.dev_roles_count = (uint32_t)n,
			.device_uuid = sbs[i].device_uuid, /* keep the one drawn above */
			.device_sectors = devs[i]->size_bytes / SECTOR_BYTES,
			.array_size_sectors = min_size,
			.clean = opts->assume_clean,
			.ctime = ctime,
		};
		struct md_super sb;

		memcpy(lp.set_uuid, created.uuid, sizeof(lp.set_uuid));
		r = md_super_init_raid1_leg(&sb, &lp, err);
		if (r < 0)
			return vg_error_prefix(err, r, "%s: ", devs[i]->path);
		if (p->bitmap) {
			/* mdadm: the bitmap right under the bad-block log, the data right under the bitmap. */
			if (sb.super_offset_sectors < (uint64_t) - (int64_t)bitmap_offset ||
			    sb.super_offset_sectors + bitmap_offset < min_size)
				return vg_error_set(err, -ENOSPC,
						    "%s: no room for a %" PRIu64
						    "-sector bitmap below the superblock",
						    devs[i]->path, area);
			sb.feature_map |= MD_FEATURE_BITMAP_OFFSET;
			sb.bitmap_offset_sectors = bitmap_offset;
			sb.data_size_sectors = (uint64_t)((int64_t)sb.super_offset_sectors + bitmap_offset);
			sb.bblog_size = 8;
			sb.bblog_offset = -8;
		}
		sbs[i] = sb;
	}

	/* Nothing written until here. Bitmap before superblock: the superblock points at it. */
	for (size_t i = 0; i < n; i++) {
		if (p->bitmap) {
			r = md_bitmap_write_new(devs[i], &sbs[i], &bm, err);
			if (r < 0)
				return r;
		}
		r = md_super_write_1_0(devs[i], &sbs[i], err);
		if (r >= 0)
			r = blockdev_flush(devs[i], err);
		if (r < 0)
			return r;
	}
	if (ret)
		*ret = created;
	return 0;
}

/* ---- fail, remove ---- */

static int check_leg_index(const struct md_mirror_view *view, size_t leg, struct vg_error *err)
{
	if (leg >= view->n_legs)
		return vg_error_set(err, -EINVAL, "leg %zu does not exist (the mirror has %zu)", leg,
				    view->n_legs);
	return 0;
}

static const char *leg_name(const struct md_mirror_leg *leg, char buf[64])
{
	if (leg->dev)
		return leg->dev->path;
	snprintf(buf, 64, "missing device %" PRIu32, leg->dev_number);
	return buf;
}

int md_mirror_fail(const struct md_mirror_view *view, size_t leg, const struct md_mirror_options *opts,
		   struct vg_error *err)
{
	_cleanup_(plan_done) struct plan plan = { 0 };
	const struct md_mirror_leg *target;
	struct roles_plan rp;
	char name[64];
	size_t serving = 0;
	int r;

	opts = options_or_default(opts);
	r = check_leg_index(view, leg, err);
	if (r < 0)
		return r;
	target = &view->legs[leg];
	if (target->role == MD_ROLE_FAULTY)
		return 0;
	for (size_t k = 0; k < view->n_legs; k++)
		if (k != leg && leg_serves(&view->legs[k]))
			serving++;
	if (leg_serves(target) && serving == 0)
		return vg_error_set(err, -EBUSY,
				    "%s is the last in-sync leg of the mirror; it cannot be failed",
				    leg_name(target, name));

	r = plan_begin(view, opts, (ssize_t)leg, MD_ROLE_SPARE, &rp, err);
	if (r < 0)
		return r;
	rp.roles[target->dev_number] = MD_ROLE_FAULTY;
	r = plan_staying(&plan, view, &rp, (ssize_t)leg, err);
	if (r < 0)
		return r;
	if (plan.n_steps == 0)
		return vg_error_set(err, -ENODEV, "no leg is left to record that %s failed",
				    leg_name(target, name));
	return plan_run(&plan, view, err);
}

/* Is legs[k] out of service, so that taking it out of the mirror loses nothing? */
static bool leg_removable(const struct md_mirror_view *view, size_t k)
{
	const struct md_mirror_leg *leg = &view->legs[k];

	if (leg->role == MD_ROLE_FAULTY || leg->role >= view->raid_disks)
		return true;
	return leg->present && !leg->fresh;
}

/* The steps that take legs[leg] out: its entry unused everywhere, then its own metadata gone. */
static int plan_remove(struct plan *plan, const struct md_mirror_view *view, size_t leg,
		       const struct md_mirror_options *opts, struct vg_error *err)
{
	const struct md_mirror_leg *target = &view->legs[leg];
	struct roles_plan rp;
	int r;

	r = plan_begin(view, opts, (ssize_t)leg, MD_ROLE_SPARE, &rp, err);
	if (r < 0)
		return r;
	/* An unused entry, as the kernel leaves a removed device's. */
	rp.roles[target->dev_number] = MD_ROLE_SPARE;
	r = plan_staying(plan, view, &rp, (ssize_t)leg, err);
	if (r < 0)
		return r;
	if (!target->present)
		return 0;
	r = plan_zero_head(plan, target->dev, opts->zero_bytes, err);
	if (r < 0)
		return r;
	if (!opts->keep_superblock)
		r = plan_wipe(plan, target->dev, &target->sb, err);
	return r;
}

int md_mirror_remove(const struct md_mirror_view *view, size_t leg, const struct md_mirror_options *opts,
		     struct vg_error *err)
{
	_cleanup_(plan_done) struct plan plan = { 0 };
	char name[64];
	int r;

	opts = options_or_default(opts);
	r = check_leg_index(view, leg, err);
	if (r < 0)
		return r;
	if (!leg_removable(view, leg))
		return vg_error_set(err, -EBUSY, "%s is a working leg of the mirror: fail it first",
				    leg_name(&view->legs[leg], name));
	r = plan_remove(&plan, view, leg, opts, err);
	if (r < 0)
		return r;
	return plan_run(&plan, view, err);
}

/* ---- add, replace, recover ---- */

/* The present devices of @view (and @extra), to read the mirror again after a change. */
static int view_reread(const struct md_mirror_view *view, struct blockdev *extra, struct md_mirror_view **ret,
		       struct vg_error *err)
{
	_cleanup_free_ struct blockdev **devs = NULL;
	size_t n = 0;

	devs = calloc(view->n_legs + 1, sizeof(*devs));
	if (!devs)
		return vg_error_set(err, -ENOMEM, "out of memory reading the mirror again");
	for (size_t k = 0; k < view->n_legs; k++)
		if (view->legs[k].present)
			devs[n++] = view->legs[k].dev;
	if (extra) {
		bool known = false;

		for (size_t i = 0; i < n; i++)
			known = known || same_device(devs[i], extra);
		if (!known)
			devs[n++] = extra;
	}
	return md_mirror_view_read(devs, n, view->uuid, ret, err);
}

/*
 * The lowest device number no leg of the mirror uses, present or holding a
 * slot. Entries of failed devices that are gone are taken again, as the
 * kernel does (older kernels mark every unused entry failed).
 */
static uint32_t free_dev_number(const struct md_mirror_view *view)
{
	const struct md_super *ref = &view->legs[view->reference].sb;

	for (uint32_t d = 0; d < MD_SB_1_MAX_DEVS; d++) {
		bool used = role_of(ref, d) < view->raid_disks;

		for (size_t k = 0; k < view->n_legs && !used; k++)
			used = view->legs[k].dev_number == d;
		if (!used)
			return d;
	}
	return MD_SB_1_MAX_DEVS;
}

/*
 * May @dev join the mirror? It must not be a working member, nor carry
 * another md superblock (unless forced). A faulty or stale leg of this very
 * mirror may come back (it is fully copied). Always sets *known (its index
 * in the view, or -1) and *reuse_number (its old number when that is free
 * to reuse, else UINT32_MAX).
 */
static int check_joining(const struct md_mirror_view *view, struct blockdev *dev,
			 const struct md_mirror_options *opts, ssize_t *known, uint32_t *reuse_number,
			 struct vg_error *err)
{
	ssize_t k = md_mirror_view_find(view, dev);
	struct md_super found;
	struct vg_error e = { 0 };
	int r;

	*known = -1;
	*reuse_number = UINT32_MAX;
	if (dev->read_only)
		return vg_error_set(err, -EROFS, "%s: opened read-only", dev->path);
	if (k >= 0) {
		const struct md_mirror_leg *leg = &view->legs[k];

		/* A fresh spare may still be put into a slot; the caller decides. */
		if (leg->role != MD_ROLE_FAULTY && leg->fresh && leg->state != MD_LEG_SPARE)
			return vg_error_set(err, -EEXIST, "%s is already a %s leg of the mirror", dev->path,
					    md_leg_state_name(leg->state));
		*known = k;
		*reuse_number = leg->dev_number;
		return 0;
	}
	r = md_super_probe(dev, &found, &e);
	if (r == -ENODATA)
		return 0;
	if (r == 0 && memcmp(found.set_uuid, view->uuid, 16) == 0 && found.version == MD_SUPER_1_0) {
		/* A leg of this mirror that was not given with the others: reuse its number if unclaimed. */
		uint16_t role = role_of(&view->legs[view->reference].sb, found.dev_number);
		bool taken = false;

		for (size_t i = 0; i < view->n_legs; i++)
			taken = taken ||
				(view->legs[i].present && view->legs[i].dev_number == found.dev_number);
		if (role < view->raid_disks && !taken)
			return vg_error_set(err, -EEXIST,
					    "%s is leg %" PRIu32 " (slot %" PRIu16
					    ") of the mirror: give it with the other legs",
					    dev->path, found.dev_number, role);
		if (!taken && (role == MD_ROLE_FAULTY || role == MD_ROLE_SPARE))
			*reuse_number = found.dev_number;
		return 0;
	}
	if (r == 0 || r == -EBADMSG || r == -EPROTONOSUPPORT) {
		if (opts->force)
			return 0;
		return vg_error_set(err, -EBUSY, "%s already carries %s md superblock; force to overwrite it",
				    dev->path, r == 0 ? "another array's" : "a damaged or foreign");
	}
	return vg_error_set(err, r, "%s", e.message);
}

/* The lowest slot no present, fresh leg holds (a missing holder's slot counts as free), or MD_ROLE_SPARE. */
static uint16_t free_slot(const struct md_mirror_view *view)
{
	for (uint32_t slot = 0; slot < view->raid_disks && slot < MD_ROLE_MAX; slot++) {
		bool held = false;

		for (size_t k = 0; k < view->n_legs && !held; k++) {
			const struct md_mirror_leg *leg = &view->legs[k];

			held = leg->present && leg->fresh && leg->role == slot;
		}
		if (!held)
			return (uint16_t)slot;
	}
	return MD_ROLE_SPARE;
}

/*
 * The superblock of a device joining as @dev_number with @role: a fresh
 * leg superblock for its size, with the plan's array state, the bitmap at
 * the reference's offset (the data then ends where the bitmap begins) and
 * @features (recovery, replacement) with recovery_offset 0.
 */
static int joining_super(const struct md_mirror_view *view, struct blockdev *dev, uint32_t dev_number,
			 uint16_t role, uint32_t features, const uint8_t *device_uuid,
			 const struct roles_plan *rp, struct md_super *ret_sb, struct vg_error *err)
{
	const struct md_super *ref = &view->legs[view->reference].sb;
	struct md_raid1_leg_params lp = {
		.name = ref->set_name,
		.raid_disks = ref->raid_disks,
		.dev_number = dev_number,
		.role = role,
		.dev_roles = rp->roles,
		.dev_roles_count = rp->max_dev,
		.device_uuid = device_uuid,
		.device_sectors = dev->size_bytes / SECTOR_BYTES,
		.array_size_sectors = ref->size_sectors,
		.clean = md_super_is_clean(ref),
		.events = rp->events,
		.ctime = ref->ctime,
	};
	struct md_super sb;
	int r;

	memcpy(lp.set_uuid, ref->set_uuid, sizeof(lp.set_uuid));
	r = md_super_init_raid1_leg(&sb, &lp, err);
	if (r < 0)
		return vg_error_prefix(err, r, "%s: ", dev->path);
	refresh_super(&sb, ref, rp);
	if (ref->feature_map & MD_FEATURE_BITMAP_OFFSET) {
		int64_t data_end = (int64_t)sb.super_offset_sectors + ref->bitmap_offset_sectors;

		if (ref->bitmap_offset_sectors >= 0 || data_end < (int64_t)ref->size_sectors)
			return vg_error_set(err, -ENOSPC,
					    "%s: too small for the mirror's %" PRIu64
					    " sectors and its bitmap",
					    dev->path, ref->size_sectors);
		sb.bitmap_offset_sectors = ref->bitmap_offset_sectors;
		sb.data_size_sectors = (uint64_t)data_end;
		sb.bblog_size = 8;
		sb.bblog_offset = -8;
	}
	sb.feature_map |= features;
	sb.recovery_offset_sectors = 0;
	*ret_sb = sb;
	return 0;
}

/* Queue the joining device's superblock, its bitmap copied from the source leg. */
static int plan_joining(struct plan *plan, const struct md_mirror_view *view, struct blockdev *dev,
			const struct md_super *sb, struct vg_error *err)
{
	struct step *s = plan_add(plan, STEP_SUPER, dev);

	if (!s)
		return vg_error_set(err, -ENOMEM, "out of memory planning the mirror change");
	s->sb = *sb;
	if (sb->feature_map & MD_FEATURE_BITMAP_OFFSET) {
		ssize_t src = md_mirror_view_source(view);
		size_t from = src >= 0 ? (size_t)src : view->reference;

		s->bitmap = BITMAP_COPY;
		s->bm_from = view->legs[from].dev;
		s->bm_from_sb = &view->legs[from].sb;
		if (!s->bm_from)
			return vg_error_set(err, -ENODEV, "no leg to copy the bitmap from");
	}
	return 0;
}

/* Copy the array data a recovering or replacement leg still lacks, recording progress as md does. */
static int recover_copy(const struct md_mirror_view *view, size_t k, const struct md_mirror_options *opts,
			struct vg_error *err)
{
	const struct md_mirror_leg *leg = &view->legs[k];
	uint64_t total = view->size_sectors * SECTOR_BYTES;
	uint64_t checkpoint = opts->checkpoint_bytes ? opts->checkpoint_bytes : DEFAULT_CHECKPOINT_BYTES;
	uint64_t start, pos;
	ssize_t src = md_mirror_view_source(view);
	struct md_super sb = leg->sb;
	int r;

	if (src < 0 || (size_t)src == k)
		return vg_error_set(err, -ENODEV, "no present, fresh, in-sync leg to copy %s from",
				    leg->dev->path);
	checkpoint = ROUND_UP(checkpoint, (uint64_t)SECTOR_BYTES);
	start = MIN(leg->recovery_offset_sectors, view->size_sectors) * SECTOR_BYTES;
	for (pos = start; pos < total;) {
		uint64_t len = MIN(checkpoint, total - pos);

		r = md_mirror_copy_data(view->legs[src].dev, leg->dev, pos, len, opts->copy_chunk_bytes,
					opts->progress, opts->userdata, pos - start, total - start, err);
		if (r < 0)
			return r;
		/* The data must be on the disk before the superblock claims it. */
		r = blockdev_flush(leg->dev, err);
		if (r < 0)
			return r;
		pos += len;
		if (pos < total) {
			/* Only this leg's own progress changes: the mirror's events stay as they are. */
			sb.feature_map |= MD_FEATURE_RECOVERY_OFFSET;
			sb.recovery_offset_sectors = pos / SECTOR_BYTES;
			r = md_mirror_write_leg_super(leg->dev, &sb, err);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* The generation after a copy: the leg is in sync; a replacement takes its slot, the old holder fails. */
static int finish_recovery(const struct md_mirror_view *view, size_t k, const struct md_mirror_options *opts,
			   struct vg_error *err)
{
	_cleanup_(plan_done) struct plan plan = { 0 };
	const struct md_mirror_leg *leg = &view->legs[k];
	const struct md_super *ref = &view->legs[view->reference].sb;
	struct roles_plan rp;
	struct step *s;
	int r;

	r = plan_begin(view, opts, (ssize_t)k, leg->role, &rp, err);
	if (r < 0)
		return r;
	if (leg->state == MD_LEG_REPLACEMENT)
		for (size_t j = 0; j < view->n_legs; j++)
			if (j != k && view->legs[j].role == leg->role &&
			    view->legs[j].state == MD_LEG_IN_SYNC)
				rp.roles[view->legs[j].dev_number] = MD_ROLE_FAULTY;
	/*
	 * The rebuilt leg first: its data is complete and flushed, and the
	 * others still list it in its slot, so md accepts either prefix; and
	 * whichever single superblock write breaks, an in-sync leg with a
	 * valid superblock remains.
	 */
	s = plan_add(&plan, STEP_SUPER, leg->dev);
	if (!s)
		return vg_error_set(err, -ENOMEM, "out of memory planning the mirror change");
	s->sb = leg->sb;
	refresh_super(&s->sb, ref, &rp);
	s->sb.feature_map &= ~(uint32_t)(MD_FEATURE_RECOVERY_OFFSET | MD_FEATURE_REPLACEMENT);
	s->sb.recovery_offset_sectors = 0;
	s->bitmap = (s->sb.feature_map & MD_FEATURE_BITMAP_OFFSET) ? BITMAP_HEADER : BITMAP_KEEP;
	r = plan_staying(&plan, view, &rp, (ssize_t)k, err);
	if (r < 0)
		return r;
	return plan_run(&plan, view, err);
}

/* Take out, as md_mirror_remove does, the leg numbered @dev_number if it is faulty now. */
static int retire_dev_number(const struct md_mirror_view *view, uint32_t dev_number,
			     const struct md_mirror_options *opts, struct vg_error *err)
{
	_cleanup_(md_mirror_view_freep) struct md_mirror_view *now = NULL;
	_cleanup_(plan_done) struct plan plan = { 0 };
	int r;

	r = view_reread(view, NULL, &now, err);
	if (r < 0)
		return r;
	for (size_t k = 0; k < now->n_legs; k++) {
		if (now->legs[k].dev_number != dev_number || now->legs[k].role != MD_ROLE_FAULTY)
			continue;
		r = plan_remove(&plan, now, k, opts, err);
		if (r < 0)
			return r;
		return plan_run(&plan, now, err);
	}
	return 0;
}

int md_mirror_recover(const struct md_mirror_view *view, const struct md_mirror_options *opts,
		      struct vg_error *err)
{
	_cleanup_(md_mirror_view_freep) struct md_mirror_view *now = NULL;
	int finished = 0, r;

	opts = options_or_default(opts);
	/* Copies assume leg sector k is array sector k: true for 1.0 only. */
	if (view->version != MD_SUPER_1_0)
		return vg_error_set(err, -EPROTONOSUPPORT,
				    "the mirror has md %s superblocks; vgtool changes only 1.0 mirrors",
				    md_super_version_name(view->version));
	r = view_reread(view, NULL, &now, err);
	if (r < 0)
		return r;
	for (;;) {
		_cleanup_free_ uint32_t *retire = NULL;
		size_t n_retire = 0;
		struct blockdev *dev;
		ssize_t k = -1;
		ssize_t found;

		for (size_t j = 0; j < now->n_legs; j++) {
			const struct md_mirror_leg *leg = &now->legs[j];

			if (leg->present && leg->fresh &&
			    (leg->state == MD_LEG_RECOVERING || leg->state == MD_LEG_REPLACEMENT) &&
			    (k < 0 || leg->role < now->legs[k].role))
				k = (ssize_t)j;
		}
		if (k < 0)
			break;
		dev = now->legs[k].dev;
		r = recover_copy(now, (size_t)k, opts, err);
		if (r < 0)
			return r;

		/* The copy rewrote this leg's superblock: read the mirror again before the next generation. */
		now = md_mirror_view_free(now);
		r = view_reread(view, dev, &now, err);
		if (r < 0)
			return r;
		found = md_mirror_view_find(now, dev);
		if (found < 0)
			return vg_error_set(err, -ESTALE, "%s left the mirror while it was being copied",
					    dev->path);
		if (now->legs[found].state == MD_LEG_REPLACEMENT) {
			retire = calloc(now->n_legs, sizeof(*retire));
			if (!retire)
				return vg_error_set(err, -ENOMEM, "out of memory finishing the replacement");
			for (size_t j = 0; j < now->n_legs; j++)
				if ((ssize_t)j != found && now->legs[j].role == now->legs[found].role &&
				    now->legs[j].state == MD_LEG_IN_SYNC)
					retire[n_retire++] = now->legs[j].dev_number;
		}
		r = finish_recovery(now, (size_t)found, opts, err);
		if (r < 0)
			return r;
		for (size_t i = 0; i < n_retire; i++) {
			r = retire_dev_number(now, retire[i], opts, err);
			if (r < 0)
				return r;
		}
		finished++;
		now = md_mirror_view_free(now);
		r = view_reread(view, dev, &now, err);
		if (r < 0)
			return r;
	}
	return finished;
}

int md_mirror_add(const struct md_mirror_view *view, struct blockdev *new_dev, enum md_add_mode mode,
		  const struct md_mirror_options *opts, uint32_t *ret_dev_number, struct vg_error *err)
{
	_cleanup_(plan_done) struct plan plan = { 0 };
	_cleanup_(md_mirror_view_freep) struct md_mirror_view *after = NULL;
	struct roles_plan rp;
	struct md_super sb;
	uint16_t slot = MD_ROLE_SPARE;
	uint32_t dev_number;
	ssize_t known;
	int r;

	opts = options_or_default(opts);
	r = check_joining(view, new_dev, opts, &known, &dev_number, err);
	if (r < 0)
		return r;
	if (mode == MD_ADD_AUTO)
		slot = free_slot(view);
	if (known >= 0 && view->legs[known].fresh && view->legs[known].state == MD_LEG_SPARE &&
	    slot == MD_ROLE_SPARE)
		return vg_error_set(err, -EEXIST, "%s is already a spare of the mirror", new_dev->path);
	if (slot != MD_ROLE_SPARE && md_mirror_view_source(view) < 0)
		return vg_error_set(err, -ENODEV, "the mirror has no in-sync leg to copy %s from",
				    new_dev->path);
	if (dev_number == UINT32_MAX)
		dev_number = free_dev_number(view);

	r = plan_begin(view, opts, known, slot, &rp, err);
	if (r < 0)
		return r;
	r = roles_reserve(&rp, dev_number, err);
	if (r < 0)
		return r;
	rp.roles[dev_number] = slot;
	r = joining_super(view, new_dev, dev_number, slot,
			  slot == MD_ROLE_SPARE ? 0 : MD_FEATURE_RECOVERY_OFFSET,
			  known >= 0 ? view->legs[known].sb.device_uuid : NULL, &rp, &sb, err);
	if (r < 0)
		return r;
	/* The legs holding the data learn of the newcomer first; it is written last. */
	r = plan_staying(&plan, view, &rp, known, err);
	if (r >= 0)
		r = plan_joining(&plan, view, new_dev, &sb, err);
	if (r >= 0)
		r = plan_run(&plan, view, err);
	if (r < 0)
		return r;
	if (slot != MD_ROLE_SPARE) {
		r = view_reread(view, new_dev, &after, err);
		if (r < 0)
			return r;
		r = md_mirror_recover(after, opts, err);
		if (r < 0)
			return r;
	}
	if (ret_dev_number)
		*ret_dev_number = dev_number;
	return 0;
}

int md_mirror_replace(const struct md_mirror_view *view, size_t leg, struct blockdev *new_dev,
		      const struct md_mirror_options *opts, struct vg_error *err)
{
	_cleanup_(plan_done) struct plan plan = { 0 };
	_cleanup_(md_mirror_view_freep) struct md_mirror_view *after = NULL;
	const struct md_mirror_leg *old;
	struct roles_plan rp;
	struct md_super sb;
	uint32_t dev_number, old_number;
	uint16_t slot;
	ssize_t known;
	bool in_place;
	char name[64];
	int r;

	opts = options_or_default(opts);
	r = check_leg_index(view, leg, err);
	if (r < 0)
		return r;
	old = &view->legs[leg];
	if (old->role >= view->raid_disks)
		return vg_error_set(err, -EINVAL,
				    "%s holds no slot (it is %s): remove it and add the new device",
				    leg_name(old, name), md_leg_state_name(old->state));
	if (old->state == MD_LEG_REPLACEMENT)
		return vg_error_set(err, -EINVAL, "%s is itself a replacement in progress: remove it first",
				    leg_name(old, name));
	r = check_joining(view, new_dev, opts, &known, &dev_number, err);
	if (r < 0)
		return r;
	/* A fresh spare of the mirror may be the replacement; any other working member not. */
	if (known >= 0 && view->legs[known].fresh && view->legs[known].role != MD_ROLE_FAULTY &&
	    view->legs[known].state != MD_LEG_SPARE)
		return vg_error_set(err, -EEXIST, "%s is already a leg of the mirror", new_dev->path);
	if (md_mirror_view_source(view) < 0)
		return vg_error_set(err, -ENODEV, "the mirror has no in-sync leg to copy %s from",
				    new_dev->path);
	if (dev_number == UINT32_MAX)
		dev_number = free_dev_number(view);
	slot = old->role;
	old_number = old->dev_number;
	/* A working leg stays in service while its replacement is rebuilt; any other is failed at once. */
	in_place = leg_serves(old);

	r = plan_begin(view, opts, (ssize_t)leg, slot, &rp, err);
	if (r < 0)
		return r;
	if (!in_place)
		rp.roles[old_number] = MD_ROLE_FAULTY;
	r = roles_reserve(&rp, dev_number, err);
	if (r < 0)
		return r;
	rp.roles[dev_number] = slot;
	r = joining_super(view, new_dev, dev_number, slot,
			  in_place ? MD_FEATURE_RECOVERY_OFFSET | MD_FEATURE_REPLACEMENT
				   : MD_FEATURE_RECOVERY_OFFSET,
			  known >= 0 ? view->legs[known].sb.device_uuid : NULL, &rp, &sb, err);
	if (r < 0)
		return r;
	r = plan_staying(&plan, view, &rp, known, err);
	if (r >= 0)
		r = plan_joining(&plan, view, new_dev, &sb, err);
	if (r >= 0)
		r = plan_run(&plan, view, err);
	if (r < 0)
		return r;

	/* Rebuild the newcomer; a finished replacement fails and removes the leg it replaced. */
	r = view_reread(view, new_dev, &after, err);
	if (r < 0)
		return r;
	r = md_mirror_recover(after, opts, err);
	if (r < 0)
		return r;
	if (!in_place)
		return retire_dev_number(after, old_number, opts, err);
	return 0;
}

/* ---- resync ---- */

int md_mirror_resync(const struct md_mirror_view *view, const struct md_mirror_options *opts,
		     struct vg_error *err)
{
	_cleanup_(plan_done) struct plan plan = { 0 };
	struct roles_plan rp;
	ssize_t src = md_mirror_view_source(view);
	uint64_t start, total = view->size_sectors * SECTOR_BYTES;
	int r;

	opts = options_or_default(opts);
	if (view->clean)
		return 0;
	if (src < 0)
		return vg_error_set(err, -ENODEV, "the mirror has no in-sync leg to resync from");
	r = plan_begin(view, opts, -1, MD_ROLE_SPARE, &rp, err);
	if (r < 0)
		return r;
	rp.resync_offset = UINT64_MAX;
	r = plan_staying(&plan, view, &rp, -1, err);
	if (r < 0)
		return r;
	r = plan_check(&plan, view, err);
	if (r < 0)
		return r;

	start = MIN(view->resync_offset_sectors, view->size_sectors) * SECTOR_BYTES;
	for (size_t k = 0; k < view->n_legs; k++) {
		if ((ssize_t)k == src || !leg_serves(&view->legs[k]))
			continue;
		r = md_mirror_copy_data(view->legs[src].dev, view->legs[k].dev, start, total - start,
					opts->copy_chunk_bytes, opts->progress, opts->userdata, 0,
					total - start, err);
		if (r >= 0)
			r = blockdev_flush(view->legs[k].dev, err);
		if (r < 0)
			return r;
	}
	return plan_run(&plan, view, err);
}

/* ---- grow ---- */

/*
 * Look below the end of @dev, over at most @search_bytes, for the 1.0
 * superblock it carried before it grew: the highest 4 KiB-aligned valid v1
 * superblock whose super_offset names its own place.
 */
static int find_old_super(struct blockdev *dev, uint64_t search_bytes, struct md_super *ret_sb,
			  struct vg_error *err)
{
	const uint64_t window = UINT64_C(1) << 20, step = 4096;
	_cleanup_free_ uint8_t *buf = NULL;
	uint64_t device_sectors = dev->size_bytes / SECTOR_BYTES;
	uint64_t top, bottom, hi;
	int r;

	if (device_sectors < MD_SB_1_MIN_DEVICE_SECTORS)
		return -ENODATA;
	/* Candidates lie strictly below where a 1.0 superblock sits now. */
	top = md_super_1_0_sector(device_sectors) * SECTOR_BYTES;
	bottom = top > search_bytes ? ROUND_DOWN(top - search_bytes, step) : 0;
	buf = malloc(window + MD_SB_1_MAX_BYTES);
	if (!buf)
		return vg_error_set(err, -ENOMEM, "out of memory searching %s", dev->path);
	for (hi = top; hi > bottom;) {
		uint64_t lo = hi - MIN(window, hi - bottom);
		uint64_t end = MIN(hi + MD_SB_1_MAX_BYTES, dev->size_bytes);

		r = blockdev_read(dev, lo, buf, (size_t)(end - lo), err);
		if (r < 0)
			return r;
		for (uint64_t pos = hi - step;; pos -= step) {
			const uint8_t *p = buf + (pos - lo);
			struct md_super sb;
			struct vg_error e = { 0 };

			if (pos / SECTOR_BYTES > 8 && get_le32(p) == MD_SB_MAGIC &&
			    md_super_decode_1(p, (size_t)(end - pos), pos / SECTOR_BYTES, device_sectors, &sb,
					      &e) == 0 &&
			    sb.version == MD_SUPER_1_0) {
				*ret_sb = sb;
				return 0;
			}
			if (pos == lo)
				break;
		}
		hi = lo;
	}
	return -ENODATA;
}

int md_mirror_grow(struct blockdev *const *devs, size_t n_devs, const struct md_mirror_options *opts,
		   uint64_t *ret_size_sectors, struct vg_error *err)
{
	_cleanup_(md_mirror_view_freep) struct md_mirror_view *view = NULL;
	_cleanup_(plan_done) struct plan plan = { 0 };
	_cleanup_free_ struct md_super *olds = NULL;
	_cleanup_free_ int *status = NULL;
	_cleanup_free_ char(*messages)[256] = NULL;
	_cleanup_free_ uint64_t *new_data = NULL;
	struct md_bitmap_super bm;
	struct roles_plan rp;
	uint64_t search, new_size = UINT64_MAX, old_size;
	const struct md_super *ref;
	int r;

	opts = options_or_default(opts);
	search = opts->search_bytes ? opts->search_bytes : DEFAULT_SEARCH_BYTES;
	olds = calloc(n_devs ? n_devs : 1, sizeof(*olds));
	status = calloc(n_devs ? n_devs : 1, sizeof(*status));
	messages = calloc(n_devs ? n_devs : 1, sizeof(*messages));
	if (!olds || !status || !messages)
		return vg_error_set(err, -ENOMEM, "out of memory growing the mirror");
	for (size_t i = 0; i < n_devs; i++) {
		struct md_super at_end;
		struct vg_error e = { 0 };
		bool has_end = md_super_probe(devs[i], &at_end, &e) == 0;

		r = find_old_super(devs[i], search, &olds[i], err);
		if (r == -ENODATA) {
			if (has_end)
				return vg_error_set(
					err, -EINVAL,
					"%s did not grow: its md superblock is still at its end (sector %" PRIu64
					")",
					devs[i]->path, at_end.super_offset_sectors);
			return vg_error_set(err, -ENODATA,
					    "%s: no md superblock at its end nor within %" PRIu64
					    " bytes below it",
					    devs[i]->path, search);
		}
		if (r < 0)
			return r;
		/* An earlier, interrupted grow may have left the new superblock at the end already. */
		if (has_end && memcmp(at_end.set_uuid, olds[i].set_uuid, 16) != 0)
			return vg_error_set(err, -EINVAL, "%s carries superblocks of two different arrays",
					    devs[i]->path);
	}
	r = view_build(devs, n_devs, NULL, olds, status, messages, &view, err);
	if (r < 0)
		return r;
	ref = &view->legs[view->reference].sb;
	for (size_t k = 0; k < view->n_legs; k++) {
		const struct md_mirror_leg *leg = &view->legs[k];
		char name[64];

		if (leg->role < view->raid_disks && !leg_serves(leg))
			return vg_error_set(err, -ENODEV,
					    "%s (slot %" PRIu16
					    ") is %s: every slot needs a present, in-sync leg to grow",
					    leg_name(leg, name), leg->role,
					    !leg->present ? "missing"
					    : !leg->fresh ? "stale"
							  : md_leg_state_name(leg->state));
	}
	r = plan_begin(view, opts, -1, MD_ROLE_SPARE, &rp, err);
	if (r < 0)
		return r;

	/* Each leg keeps its room between data and superblock; the superblock moves to the new end. */
	new_data = calloc(view->n_legs, sizeof(*new_data));
	if (!new_data)
		return vg_error_set(err, -ENOMEM, "out of memory growing the mirror");
	old_size = ref->size_sectors;
	for (size_t k = 0; k < view->n_legs; k++) {
		const struct md_mirror_leg *leg = &view->legs[k];
		uint64_t reserved, new_sb, meta_start, below;

		if (!leg_stays(view, k, &rp))
			continue;
		reserved = leg->sb.super_offset_sectors - leg->sb.data_offset_sectors -
			   leg->sb.data_size_sectors;
		new_sb = md_super_1_0_sector(leg->dev->size_bytes / SECTOR_BYTES);
		below = reserved;
		if ((leg->sb.feature_map & MD_FEATURE_BITMAP_OFFSET) && leg->sb.bitmap_offset_sectors < 0)
			below = MAX(below, (uint64_t) - (int64_t)leg->sb.bitmap_offset_sectors);
		meta_start = new_sb - MIN(new_sb, below);
		if (meta_start < leg->sb.super_offset_sectors + MD_SB_1_MAX_BYTES / SECTOR_BYTES)
			return vg_error_set(err, -ENOSPC,
					    "%s grew by too little: the new metadata at sector %" PRIu64
					    " would overlap the old superblock at sector %" PRIu64,
					    leg->dev->path, meta_start, leg->sb.super_offset_sectors);
		new_data[k] = new_sb - reserved;
		if (leg->role < view->raid_disks)
			new_size = MIN(new_size, new_data[k]);
	}
	new_size = MAX(ROUND_DOWN(new_size, (uint64_t)RAID1_SIZE_ALIGN_SECTORS), old_size);
	for (size_t k = 0; k < view->n_legs; k++)
		if (leg_stays(view, k, &rp) && new_data[k] < new_size)
			return vg_error_set(err, -ENOSPC,
					    "%s is too small for the grown mirror of %" PRIu64 " sectors",
					    view->legs[k].dev->path, new_size);
	rp.size_sectors = new_size;
	if (new_size > old_size && !opts->assume_clean)
		rp.resync_offset = MIN(rp.resync_offset, old_size);

	if (view->has_bitmap) {
		const struct md_mirror_leg *src = &view->legs[view->reference];
		uint64_t area = (uint64_t) - (int64_t)ref->bitmap_offset_sectors - 8;
		uint32_t chunk;

		r = md_bitmap_read(src->dev, &src->sb, &bm, err);
		if (r < 0)
			return r;
		chunk = bm.chunk_bytes;
		if (md_bitmap_area_bytes(new_size, chunk) > area * SECTOR_BYTES) {
			r = md_bitmap_choose_chunk(new_size, area, &chunk, err);
			if (r < 0)
				return r;
			if (md_bitmap_area_bytes(new_size, chunk) > area * SECTOR_BYTES)
				return vg_error_set(err, -ENOSPC,
						    "the bitmap's %" PRIu64 " sectors cannot cover %" PRIu64
						    " sectors",
						    area, new_size);
		}
		bm.sync_size_sectors = new_size;
		bm.chunk_bytes = chunk;
		bm.events = rp.events;
	}

	for (int rank = 0; rank <= 3; rank++)
		for (size_t k = 0; k < view->n_legs; k++) {
			struct step *s;

			if (stay_rank(view, k) != rank || !leg_stays(view, k, &rp))
				continue;
			s = plan_add(&plan, STEP_SUPER, view->legs[k].dev);
			if (!s)
				return vg_error_set(err, -ENOMEM, "out of memory planning the grow");
			s->sb = view->legs[k].sb;
			refresh_super(&s->sb, ref, &rp);
			s->sb.super_offset_sectors = md_super_1_0_sector(s->dev->size_bytes / SECTOR_BYTES);
			s->sb.data_size_sectors = new_data[k];
			if (view->has_bitmap) {
				s->bitmap = BITMAP_NEW;
				s->bm = bm;
			}
		}
	/* Only when every leg has its new superblock: the old ones go. */
	for (size_t k = 0; k < view->n_legs; k++)
		if (leg_stays(view, k, &rp)) {
			r = plan_wipe(&plan, view->legs[k].dev, &view->legs[k].sb, err);
			if (r < 0)
				return r;
		}
	/* The superblocks were found below the end, not where a probe looks: no comparison with the view. */
	r = plan_run(&plan, NULL, err);
	if (r < 0)
		return r;
	if (ret_size_sectors)
		*ret_size_sectors = new_size;
	return 0;
}

/* ---- dissolve ---- */

int md_mirror_dissolve(const struct md_mirror_view *view, ssize_t keep_leg,
		       const struct md_mirror_options *opts, struct vg_error *err)
{
	_cleanup_(plan_done) struct plan plan = { 0 };
	struct md_mirror_options forced;
	const struct md_mirror_leg *keeper;
	struct roles_plan rp;
	struct step *s;
	size_t k;
	int r;

	opts = options_or_default(opts);
	if (keep_leg < 0) {
		keep_leg = md_mirror_view_source(view);
		if (keep_leg < 0)
			return vg_error_set(err, -ENODEV,
					    "the mirror has no present, fresh, in-sync leg to keep");
	}
	r = check_leg_index(view, (size_t)keep_leg, err);
	if (r < 0)
		return r;
	k = (size_t)keep_leg;
	keeper = &view->legs[k];
	if (!leg_serves(keeper))
		return vg_error_set(err, -EINVAL,
				    "%s cannot keep the data: it is not a present, fresh, in-sync leg",
				    keeper->dev ? keeper->dev->path : "a missing leg");

	/* Missing legs are about to be forgotten anyway. */
	forced = *opts;
	forced.force = true;
	r = plan_begin(view, &forced, (ssize_t)k, MD_ROLE_SPARE, &rp, err);
	if (r < 0)
		return r;
	for (size_t j = 0; j < view->n_legs; j++) {
		const struct md_mirror_leg *leg = &view->legs[j];

		if (j != k && (leg->present || leg->role < view->raid_disks) && leg->dev_number < rp.max_dev)
			rp.roles[leg->dev_number] = MD_ROLE_FAULTY;
	}
	/* First the keeper alone says the others are gone, so md never trusts a leg being wiped. */
	s = plan_add(&plan, STEP_SUPER, keeper->dev);
	if (!s)
		return vg_error_set(err, -ENOMEM, "out of memory planning the dissolve");
	s->sb = keeper->sb;
	refresh_super(&s->sb, &view->legs[view->reference].sb, &rp);
	s->bitmap = (s->sb.feature_map & MD_FEATURE_BITMAP_OFFSET) ? BITMAP_HEADER : BITMAP_KEEP;
	for (size_t j = 0; j < view->n_legs; j++) {
		const struct md_mirror_leg *leg = &view->legs[j];

		if (j == k || !leg->present)
			continue;
		r = plan_zero_head(&plan, leg->dev, opts->zero_bytes, err);
		if (r >= 0)
			r = plan_wipe(&plan, leg->dev, &leg->sb, err);
		if (r < 0)
			return r;
	}
	/* Last the keeper's own metadata; its data below the array size is never touched. */
	r = plan_wipe(&plan, keeper->dev, &keeper->sb, err);
	if (r < 0)
		return r;
	return plan_run(&plan, view, err);
}

int md_mirror_prepare_hot_add(const struct md_mirror_view *view, struct blockdev *new_dev,
			      const struct md_mirror_options *opts, struct vg_error *err)
{
	_cleanup_(plan_done) struct plan plan = { 0 };
	struct md_mirror_options forced;
	struct roles_plan rp;
	struct md_super sb;
	uint32_t dev_number;
	ssize_t known;
	int r;

	opts = options_or_default(opts);
	r = check_joining(view, new_dev, opts, &known, &dev_number, err);
	if (r < 0)
		return r;
	if (dev_number == UINT32_MAX)
		dev_number = free_dev_number(view);
	/* only the newcomer is written: the running array's state is md's, missing legs are its business */
	forced = *opts;
	forced.force = true;
	r = plan_begin(view, &forced, known, MD_ROLE_SPARE, &rp, err);
	if (r < 0)
		return r;
	/* not newer than the array: md then takes the device as a spare to rebuild, whatever its roles say */
	rp.events = view->legs[view->reference].sb.events;
	r = roles_reserve(&rp, dev_number, err);
	if (r < 0)
		return r;
	rp.roles[dev_number] = MD_ROLE_SPARE;
	r = joining_super(view, new_dev, dev_number, MD_ROLE_SPARE, 0,
			  known >= 0 ? view->legs[known].sb.device_uuid : NULL, &rp, &sb, err);
	if (r < 0)
		return r;
	r = plan_joining(&plan, view, new_dev, &sb, err);
	if (r < 0)
		return r;
	return plan_run(&plan, view, err);
}

int md_mirror_wipe_super(struct blockdev *dev, struct vg_error *err)
{
	_cleanup_(plan_done) struct plan plan = { 0 };
	struct md_super sb;
	int r;

	r = md_super_probe(dev, &sb, err);
	if (r < 0)
		return r;
	if (sb.version != MD_SUPER_1_0)
		return vg_error_set(err, -EPROTONOSUPPORT, "%s: md %s superblock; vgtool wipes only 1.0", dev->path,
				    md_super_version_name(sb.version));
	r = plan_wipe(&plan, dev, &sb, err);
	if (r < 0)
		return r;
	return step_run(&plan.steps[0], err);
}

/* ---- legs written outside md ---- */

bool md_mirror_leg_left_behind(const struct md_mirror_view *view, size_t k)
{
	const struct md_mirror_leg *leg = &view->legs[k];

	return leg->role < view->raid_disks && (!leg->present || !leg->fresh);
}

int md_mirror_outdate_absent(const struct md_mirror_view *view, const struct md_mirror_options *opts,
			     struct vg_error *err)
{
	_cleanup_(plan_done) struct plan plan = { 0 };
	struct md_mirror_options forced;
	struct roles_plan rp;
	uint64_t events = view->legs[view->reference].sb.events;
	int marked = 0, r;

	opts = options_or_default(opts);
	for (size_t k = 0; k < view->n_legs; k++)
		if (md_mirror_leg_left_behind(view, k))
			marked++;
	if (marked == 0)
		return 0;
	if (md_mirror_view_source(view) < 0)
		return vg_error_set(err, -ENODEV, "no present in-sync leg of the mirror is left to record the change");
	if (events > UINT64_MAX - MD_MIRROR_OUTDATE_EVENTS)
		return vg_error_set(err, -EOVERFLOW, "the mirror's event counter cannot grow further");
	/* The legs not given are the very ones to mark: that is what force does to them. */
	forced = *opts;
	forced.force = true;
	r = plan_begin(view, &forced, -1, MD_ROLE_SPARE, &rp, err);
	if (r < 0)
		return r;
	rp.events = events + MD_MIRROR_OUTDATE_EVENTS;
	r = plan_staying(&plan, view, &rp, -1, err);
	if (r < 0)
		return r;
	if (plan.n_steps == 0)
		return vg_error_set(err, -ENODEV, "no present leg of the mirror is left to record the change");
	r = plan_check(&plan, view, err);
	if (r < 0)
		return r;
	/*
	 * The bitmap does not know what was written outside md: raise
	 * events_cleared so md rebuilds a re-added leg in full rather than
	 * from the bitmap. Before the superblocks, as a bitmap may run ahead.
	 */
	for (size_t i = 0; i < plan.n_steps; i++) {
		const struct step *s = &plan.steps[i];
		struct md_bitmap_super bm;

		if (s->kind != STEP_SUPER || s->bitmap != BITMAP_HEADER)
			continue;
		r = md_bitmap_read(s->dev, &s->sb, &bm, err);
		if (r < 0)
			return r;
		bm.events = s->sb.events;
		bm.events_cleared = s->sb.events;
		r = md_bitmap_write_header(s->dev, &s->sb, &bm, err);
		if (r < 0)
			return r;
		r = blockdev_flush(s->dev, err);
		if (r < 0)
			return r;
	}
	r = plan_run(&plan, view, err);
	return r < 0 ? r : marked;
}
