/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PV creation and the two-phase VG commit (see vg-write.h). */
#include <stdio.h>
#include <string.h>

#include "mda.h"
#include "vg-write.h"

uint64_t pv_data_start_bytes(const struct pv_label *label)
{
	return label->n_data_areas ? label->data_areas[0].offset_bytes : 0;
}

uint64_t pv_data_end_bytes(const struct pv_label *label, uint64_t device_size_bytes)
{
	uint64_t end = device_size_bytes;

	/* a metadata area after the data (the second copy) bounds it */
	for (size_t i = 0; i < label->n_metadata_areas; i++)
		if (label->metadata_areas[i].offset_bytes > pv_data_start_bytes(label) &&
		    label->metadata_areas[i].offset_bytes < end)
			end = label->metadata_areas[i].offset_bytes;
	return end;
}

int pv_create(struct blockdev *dev, const struct pv_create_params *params, struct pv_label *ret_label,
	      struct vg_error *err)
{
	uint64_t alignment = params->data_alignment_bytes ? params->data_alignment_bytes
							  : PV_DEFAULT_DATA_ALIGNMENT_BYTES;
	uint64_t mda_size = params->mda_size_bytes ? params->mda_size_bytes : MDA_DEFAULT_SIZE_BYTES;
	unsigned copies = params->mda_copies ? params->mda_copies : 1;
	struct pv_label label = { .sector = PV_LABEL_DEFAULT_SECTOR };
	uint64_t pe_start, mda2_start = 0;
	int r;

	if (alignment % 4096 != 0)
		return vg_error_set(err, -EINVAL, "data alignment %" PRIu64 " is not a multiple of 4 KiB",
				    alignment);
	if (mda_size < MDA_MIN_SIZE_BYTES || mda_size % 512 != 0)
		return vg_error_set(err, -EINVAL,
				    "metadata area size %" PRIu64 " must be a multiple of 512 and at least %d bytes",
				    mda_size, MDA_MIN_SIZE_BYTES);
	if (copies > 2)
		return vg_error_set(err, -EINVAL, "at most 2 metadata copies per PV, not %u", copies);

	/* The first area starts at 4 KiB; data starts at its end rounded up to the alignment. */
	pe_start = ROUND_UP(MDA_DEFAULT_START_BYTES + mda_size, alignment);
	if (copies == 2) {
		if (dev->size_bytes < mda_size)
			return vg_error_set(err, -ENOSPC, "%s: too small for a second metadata area", dev->path);
		mda2_start = ROUND_DOWN(dev->size_bytes - mda_size, alignment);
	}
	if (pe_start >= dev->size_bytes || (copies == 2 && mda2_start <= pe_start))
		return vg_error_set(err, -ENOSPC,
				    "%s: %" PRIu64 " bytes is too small for a PV with %u metadata area(s) of %" PRIu64
				    " bytes",
				    dev->path, dev->size_bytes, copies, mda_size);

	if (params->pv_uuid) {
		r = lvm_uuid_parse(params->pv_uuid, label.pv_uuid, err);
		if (r < 0)
			return r;
	} else {
		r = lvm_uuid_generate(label.pv_uuid);
		if (r < 0)
			return vg_error_set(err, r, "cannot generate a PV id: %s", strerror(-r));
	}
	label.device_size_bytes = dev->size_bytes;
	label.data_areas[0] = (struct disk_locn){ .offset_bytes = pe_start, .size_bytes = 0 };
	label.n_data_areas = 1;
	label.metadata_areas[0] = (struct disk_locn){ .offset_bytes = MDA_DEFAULT_START_BYTES,
						      .size_bytes = mda_size };
	label.n_metadata_areas = 1;
	if (copies == 2)
		label.metadata_areas[label.n_metadata_areas++] =
			(struct disk_locn){ .offset_bytes = mda2_start, .size_bytes = dev->size_bytes - mda2_start };
	label.ext_version = PV_EXT_VERSION;
	label.ext_flags = 0;

	/* Areas first, label last: a crash in between leaves no half-made PV visible. */
	for (size_t i = 0; i < label.n_metadata_areas; i++) {
		r = mda_init(dev, label.metadata_areas[i].offset_bytes, label.metadata_areas[i].size_bytes, err);
		if (r < 0)
			return r;
	}
	r = blockdev_flush(dev, err);
	if (r < 0)
		return r;
	r = pv_label_write(dev, &label, err);
	if (r < 0)
		return r;
	r = blockdev_flush(dev, err);
	if (r < 0)
		return r;
	*ret_label = label;
	return 0;
}


/* Per metadata area state during a commit. */
struct commit_area {
	struct vg_commit_target *target;
	struct mda_header header;
	struct raw_locn new_slot;
};

/* What round 1 of a commit writes to each PV: its areas (those of one PV are adjacent in @areas). */
struct precommit {
	const char *vg_name;
	const struct mda_text *text;
	struct vg_commit_target *targets;
	struct commit_area *areas;
	size_t n_areas;
};

/* Round 1 on PV @t: the text into each of its areas, then their headers with it precommitted. */
static int precommit_pv(void *ctx, size_t t, struct vg_error *err)
{
	struct precommit *pc = ctx;
	int r;

	for (size_t a = 0; a < pc->n_areas; a++) {
		struct commit_area *area = &pc->areas[a];

		if (area->target != &pc->targets[t])
			continue;
		r = mda_write_prepared(area->target->dev, &area->header, pc->text, &area->new_slot, err);
		if (r < 0)
			return vg_error_prefix(err, r, "VG %s: ", pc->vg_name);
		area->header.slots[MDA_SLOT_PRECOMMITTED] = area->new_slot;
		r = mda_header_write(area->target->dev, &area->header, err);
		if (r < 0)
			return vg_error_prefix(err, r, "VG %s: precommit: ", pc->vg_name);
	}
	return 0;
}

/* Run @fn for each PV of @targets, at the same time where the devices allow it (blockdev_run_all). */
static int each_target(struct vg_commit_target *targets, size_t n_targets, blockdev_job_fn *fn, void *ctx,
		       struct vg_error *err)
{
	_cleanup_free_ struct blockdev **devs = calloc(n_targets + 1, sizeof(*devs));

	if (!devs)
		return vg_error_set(err, -ENOMEM, "out of memory");
	for (size_t t = 0; t < n_targets; t++)
		devs[t] = targets[t].dev;
	return blockdev_run_all(devs, n_targets, fn, ctx, err);
}

static int flush_target(void *ctx, size_t t, struct vg_error *err)
{
	struct vg_commit_target *targets = ctx;

	return blockdev_flush(targets[t].dev, err);
}

/* Flush every PV of @targets at once: a sync round costs one flush of wall time, not one per PV. */
static int flush_all(struct vg_commit_target *targets, size_t n_targets, struct vg_error *err)
{
	return each_target(targets, n_targets, flush_target, targets, err);
}

int vg_commit(const struct vg *vg, const struct vg_text_header *header, struct vg_commit_target *targets,
	      size_t n_targets, struct vg_error *err)
{
	return vg_commit_cached(vg, header, NULL, targets, n_targets, err);
}

int vg_commit_cached(const struct vg *vg, const struct vg_text_header *header, struct vg_text_cache *cache,
		     struct vg_commit_target *targets, size_t n_targets, struct vg_error *err)
{
	_cleanup_free_ struct commit_area *areas = NULL;
	_cleanup_(strbuf_done) struct strbuf sb;
	struct mda_text text;
	size_t n_areas = 0, text_len;
	int r;

	/* Rendered, padded and checksummed once for every area of every PV. */
	strbuf_init(&sb);
	r = vg_text_render_raw_cached(vg, header, cache, &sb);
	if (r == 0 && !strbuf_reserve(&sb, MDA_TEXT_PAD_BYTES))
		r = -ENOMEM;
	if (r == 0)
		r = strbuf_status(&sb);
	if (r < 0)
		return vg_error_set(err, r, "VG %s: cannot render its metadata: %s", vg->name, strerror(-r));
	memset(sb.data + sb.len, 0, MDA_TEXT_PAD_BYTES);
	text_len = sb.len;
	text = (struct mda_text){
		.padded = sb.data,
		.len = text_len,
		.checksum = mda_text_checksum(sb.data, text_len),
	};

	areas = calloc(n_targets * PV_LABEL_MAX_LOCNS + 1, sizeof(*areas));
	if (!areas)
		return vg_error_set(err, -ENOMEM, "out of memory");

	/* Every area's header first: a refusal writes nothing. */
	for (size_t t = 0; t < n_targets; t++) {
		struct vg_commit_target *target = &targets[t];

		for (size_t m = 0; m < target->label.n_metadata_areas; m++) {
			struct commit_area *area = &areas[n_areas];

			area->target = target;
			r = mda_header_read(target->dev, target->label.metadata_areas[m].offset_bytes, &area->header,
					    err);
			if (r == -EBADMSG) {
				/* a damaged header is repaired by this commit: start its ring afresh */
				area->header = (struct mda_header){
					.start_bytes = target->label.metadata_areas[m].offset_bytes,
					.size_bytes = target->label.metadata_areas[m].size_bytes,
					.version = MDA_VERSION,
				};
				vg_error_clear(err);
				r = 0;
			}
			if (r < 0)
				return vg_error_prefix(err, r, "VG %s: ", vg->name);
			if (area->header.slots[MDA_SLOT_COMMITTED].flags & RAW_LOCN_IGNORED)
				continue; /* a metadata area the administrator told us to ignore */
			/* every area must take the text before any is written: a refusal writes nothing */
			if ((uint64_t)text_len + 1 > mda_max_text_bytes(area->header.size_bytes))
				return vg_error_set(err, -ENOSPC,
						    "VG %s: its metadata (%zu bytes) does not fit the %" PRIu64
						    "-byte metadata area of %s (at most %" PRIu64 " bytes of text)",
						    vg->name, text_len + 1, area->header.size_bytes, target->dev->path,
						    mda_max_text_bytes(area->header.size_bytes));
			n_areas++;
		}
	}
	if (n_areas == 0)
		return vg_error_set(err, -EINVAL, "VG %s: none of its PVs has a usable metadata area", vg->name);

	/*
	 * Two sync rounds, each over all PVs at once; what each one buys:
	 *
	 * Round 1: the text into every ring, after the committed copy, and the
	 * header with the new copy as precommitted (slot 0 still the old VG).
	 * Both may land in any order, or partly: readers (ours and lvm2's) use
	 * only slot 0, whose copy this round never overwrites, so every PV
	 * still reads as the old VG. The flush makes the new text durable
	 * before any header points slot 0 at it: without it, a header could
	 * reach the disk before its text and leave a PV whose committed slot
	 * fails its checksum.
	 *
	 * Round 2: each header switches slot 0 to the new copy (one atomic
	 * sector). PVs need no order among themselves: after a crash in this
	 * round some read old and some new, and a scan picks the highest seqno
	 * and repairs the rest on the next commit. The flush makes the VG
	 * durable before the caller reports success.
	 *
	 * A third round between precommit and commit (lvm2's vg_write then
	 * vg_commit) would add nothing to this: the precommitted slot is read
	 * by no one while we hold the VG.
	 */
	struct precommit pc = { .vg_name = vg->name, .text = &text, .targets = targets, .areas = areas,
				.n_areas = n_areas };
	/* the PVs' copies of the text are written at the same time: copying megabytes is not free */
	r = each_target(targets, n_targets, precommit_pv, &pc, err);
	if (r < 0)
		return r;
	r = flush_all(targets, n_targets, err);
	if (r < 0)
		return r;

	for (size_t a = 0; a < n_areas; a++) {
		areas[a].header.slots[MDA_SLOT_COMMITTED] = areas[a].new_slot;
		memset(&areas[a].header.slots[MDA_SLOT_PRECOMMITTED], 0, sizeof(struct raw_locn));
		r = mda_header_write(areas[a].target->dev, &areas[a].header, err);
		if (r < 0)
			return vg_error_prefix(err, r, "VG %s: commit: ", vg->name);
	}
	r = flush_all(targets, n_targets, err);
	if (r < 0)
		return r;

	/* The in-use flag only after the VG is durable: a PV flagged but in no VG is worse than the reverse. */
	for (size_t t = 0; t < n_targets; t++) {
		struct pv_label *label = &targets[t].label;

		if (label->ext_version >= PV_EXT_VERSION && (label->ext_flags & PV_EXT_USED))
			continue;
		label->ext_version = PV_EXT_VERSION;
		label->ext_flags |= PV_EXT_USED;
		r = pv_label_write(targets[t].dev, label, err);
		if (r < 0)
			return vg_error_prefix(err, r, "VG %s: ", vg->name);
		r = blockdev_flush(targets[t].dev, err);
		if (r < 0)
			return r;
	}
	return 0;
}
