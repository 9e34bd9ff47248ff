/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The userspace mirror: a struct blockdev backend over the legs of an md
 * RAID-1 (1.0) mirror, for hosts without the md driver (the `none`
 * activation backend) and for bringing a joining leg in sync. Writes go to
 * every leg holding a slot, reads come from one fresh in-sync leg; the
 * superblocks are kept honest the way md keeps them: dirty (resync_offset 0)
 * before the first write, the written chunks' bitmap bits set before the
 * data, clean again on flush. A mirror left dirty is exactly what md expects
 * after a crash: it resyncs.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "md-bitmap.h"
#include "md-mirror.h"

#define SECTOR_BYTES 512u
#define DEFAULT_COPY_CHUNK_BYTES ((size_t)1 << 20)

struct mirror_dev {
	struct blockdev dev;    /* first: blockdev_close() frees the whole struct through it */
	size_t n_legs;          /* legs whose superblocks follow the mirror's state */
	size_t n_data_legs;     /* the first ones, which hold a slot and get the data */
	struct blockdev **legs; /* borrowed: the read leg first, then the other slot holders, then spares */
	struct md_super *sbs;   /* each leg's superblock as last written */
	uint64_t events;
	bool was_clean; /* clean when opened: a flush may mark it clean again */
	bool dirty;     /* marked dirty by us and not clean again yet */
	bool has_bitmap;
	struct md_bitmap_super bm;
	uint8_t *marked; /* one bit per bitmap chunk: already set on every leg */
};

static struct mirror_dev *mirror_of(struct blockdev *dev)
{
	return (struct mirror_dev *)dev;
}

static uint64_t md_now(void)
{
	return (uint64_t)time(NULL) & ((UINT64_C(1) << 40) - 1);
}

/* Write every leg's superblock with @resync_offset and events + 1. */
static int set_resync_state(struct mirror_dev *m, uint64_t resync_offset)
{
	uint64_t utime = md_now();
	int r;

	m->events++;
	for (size_t i = 0; i < m->n_legs; i++) {
		struct md_super sb = m->sbs[i];

		sb.resync_offset = resync_offset;
		sb.events = m->events;
		sb.utime = utime;
		r = md_mirror_write_leg_super(m->legs[i], &sb, NULL);
		if (r < 0)
			return r;
		m->sbs[i] = sb;
	}
	return 0;
}

/* Set, on every leg, the bitmap bits of the chunks [offset, offset + len) touches that are not set yet. */
static int mark_chunks(struct mirror_dev *m, uint64_t offset, size_t len)
{
	uint64_t chunk_bytes = m->bm.chunk_bytes, first = offset / chunk_bytes;
	uint64_t last = (offset + len - 1) / chunk_bytes;
	bool all_marked = true;
	int r;

	for (uint64_t c = first; c <= last && all_marked; c++)
		all_marked = m->marked[c / 8] & (1u << (c % 8));
	if (all_marked)
		return 0;
	for (size_t i = 0; i < m->n_data_legs; i++) {
		r = md_bitmap_mark_dirty(m->legs[i], &m->sbs[i], &m->bm, offset / SECTOR_BYTES,
					 DIV_ROUND_UP(offset + len, SECTOR_BYTES) - offset / SECTOR_BYTES,
					 NULL);
		if (r >= 0)
			r = blockdev_flush(m->legs[i], NULL);
		if (r < 0)
			return r;
	}
	for (uint64_t c = first; c <= last; c++)
		m->marked[c / 8] |= (uint8_t)(1u << (c % 8));
	return 0;
}

static int mirror_read_at(struct blockdev *dev, void *buf, size_t len, uint64_t offset)
{
	struct mirror_dev *m = mirror_of(dev);

	return blockdev_read(m->legs[0], offset, buf, len, NULL);
}

static int mirror_write_at(struct blockdev *dev, const void *buf, size_t len, uint64_t offset)
{
	struct mirror_dev *m = mirror_of(dev);
	int r;

	if (len == 0)
		return 0;
	/* md's order: the superblock says dirty, the bitmap says where, then the data lands. */
	if (m->was_clean && !m->dirty) {
		r = set_resync_state(m, 0);
		if (r < 0)
			return r;
		m->dirty = true;
	}
	if (m->has_bitmap) {
		r = mark_chunks(m, offset, len);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < m->n_data_legs; i++) {
		r = blockdev_write(m->legs[i], offset, buf, len, NULL);
		if (r < 0)
			return r;
	}
	return 0;
}

static int mirror_flush(struct blockdev *dev)
{
	struct mirror_dev *m = mirror_of(dev);
	int r;

	for (size_t i = 0; i < m->n_data_legs; i++) {
		r = blockdev_flush(m->legs[i], NULL);
		if (r < 0)
			return r;
	}
	/* Every leg holds the same data and it is durable: the mirror is clean again. */
	if (m->dirty) {
		r = set_resync_state(m, UINT64_MAX);
		if (r < 0)
			return r;
		m->dirty = false;
	}
	return 0;
}

static void mirror_release(struct blockdev *dev)
{
	struct mirror_dev *m = mirror_of(dev);

	free(m->legs);
	free(m->sbs);
	free(m->marked);
	m->legs = NULL;
	m->sbs = NULL;
	m->marked = NULL;
}

static const struct blockdev_ops mirror_ops = {
	.read_at = mirror_read_at,
	.write_at = mirror_write_at,
	.flush = mirror_flush,
	.release = mirror_release,
};

int md_mirror_dev_open(const struct md_mirror_view *view, unsigned flags, struct blockdev **ret_dev,
		       struct vg_error *err)
{
	_cleanup_(blockdev_closep) struct blockdev *dev = NULL;
	struct mirror_dev *m;
	ssize_t src = md_mirror_view_source(view);
	char uuid[36];
	int r;

	if (src < 0)
		return vg_error_set(err, -ENODEV,
				    "the mirror has no present, fresh, in-sync leg to read from");
	/* Array sector k is leg sector k only with 1.0 superblocks (data_offset 0). */
	if (view->version != MD_SUPER_1_0)
		return vg_error_set(err, -EPROTONOSUPPORT,
				    "the mirror has md %s superblocks; only 1.0 legs map 1:1",
				    md_super_version_name(view->version));
	m = calloc(1, sizeof(*m));
	if (!m)
		return vg_error_set(err, -ENOMEM, "out of memory opening the mirror");
	dev = &m->dev;
	dev->fd = -1;
	dev->ops = &mirror_ops;
	md_uuid_format(view->uuid, uuid);
	dev->path = malloc(64);
	m->legs = calloc(view->n_legs, sizeof(*m->legs));
	m->sbs = calloc(view->n_legs, sizeof(*m->sbs));
	if (!dev->path || !m->legs || !m->sbs)
		return vg_error_set(err, -ENOMEM, "out of memory opening the mirror");
	snprintf(dev->path, 64, "mirror %s", uuid);
	dev->size_bytes = view->size_sectors * SECTOR_BYTES;
	dev->logical_block_bytes = SECTOR_BYTES;
	dev->read_only = flags & BLOCKDEV_READ_ONLY;
	m->events = view->events;
	m->was_clean = view->clean;
	m->has_bitmap = view->has_bitmap;

	/*
	 * The read leg first, then every other leg that holds a slot and is to
	 * be trusted with writes; then the spares, which get no data but
	 * follow the superblock's state so the legs keep agreeing.
	 */
	for (size_t pass = 0; pass < 3; pass++) {
		for (size_t k = 0; k < view->n_legs; k++) {
			const struct md_mirror_leg *leg = &view->legs[k];
			bool slot = leg->role < view->raid_disks;

			if (pass == 0 && (ssize_t)k != src)
				continue;
			if (pass == 1 && ((ssize_t)k == src || !slot))
				continue;
			if (pass == 2 &&
			    (slot || leg->state != MD_LEG_SPARE || leg->own_role < view->raid_disks))
				continue;
			if (!leg->present || (slot && !leg->fresh))
				continue;
			if (!dev->read_only && leg->dev->read_only)
				return vg_error_set(err, -EROFS,
						    "%s: opened read-only, the mirror cannot write it",
						    leg->dev->path);
			r = md_mirror_leg_super(view, k, view->events, leg->sb.utime, &m->sbs[m->n_legs],
						err);
			if (r < 0)
				return r;
			m->legs[m->n_legs++] = leg->dev;
			if (slot)
				dev->logical_block_bytes =
					MAX(dev->logical_block_bytes, leg->dev->logical_block_bytes);
		}
		if (pass == 1)
			m->n_data_legs = m->n_legs;
	}

	if (m->has_bitmap && !dev->read_only) {
		uint64_t bits;

		r = md_bitmap_read(m->legs[0], &m->sbs[0], &m->bm, err);
		if (r < 0)
			return r;
		if (m->bm.sync_size_sectors < view->size_sectors)
			return vg_error_set(err, -EBADMSG,
					    "%s: the bitmap covers %" PRIu64
					    " sectors, the mirror has %" PRIu64,
					    m->legs[0]->path, m->bm.sync_size_sectors, view->size_sectors);
		bits = md_bitmap_bits(m->bm.sync_size_sectors, m->bm.chunk_bytes);
		m->marked = calloc(DIV_ROUND_UP(bits, 8) + 1, 1);
		if (!m->marked)
			return vg_error_set(err, -ENOMEM, "out of memory opening the mirror");
	}
	*ret_dev = TAKE_PTR(dev);
	return 0;
}

int md_mirror_copy_data(struct blockdev *from, struct blockdev *to, uint64_t offset, uint64_t length,
			size_t chunk_bytes, md_mirror_progress_fn progress, void *userdata,
			uint64_t progress_base, uint64_t progress_total, struct vg_error *err)
{
	_cleanup_free_ uint8_t *buf = NULL;
	uint64_t done = 0;
	int r;

	if (chunk_bytes == 0)
		chunk_bytes = DEFAULT_COPY_CHUNK_BYTES;
	/* Bounded memory, whatever the size of the mirror. */
	buf = malloc(chunk_bytes);
	if (!buf)
		return vg_error_set(err, -ENOMEM, "out of memory for a %zu-byte copy buffer", chunk_bytes);
	while (done < length) {
		size_t n = (size_t)MIN((uint64_t)chunk_bytes, length - done);

		r = blockdev_read(from, offset + done, buf, n, err);
		if (r >= 0)
			r = blockdev_write(to, offset + done, buf, n, err);
		if (r < 0)
			return r;
		done += n;
		if (progress) {
			r = progress(progress_base + done, progress_total, userdata);
			if (r < 0)
				return vg_error_set(err, r, "copy to %s stopped at byte %" PRIu64 ": %s",
						    to->path, offset + done, strerror(-r));
		}
	}
	return 0;
}
