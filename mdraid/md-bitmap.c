/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The md internal write-intent bitmap (FORMATS.md 4.7): its 256-byte
 * superblock, where it sits below a 1.0 md superblock, the chunk size and
 * room mdadm chooses on create, and the few ways vgtool touches the bits —
 * all set on create, copied to a joining leg, set for the chunks the
 * userspace mirror writes. Bits are never cleared here: clearing is the
 * kernel's business once it knows every leg holds the data.
 */
#include <inttypes.h>
#include <string.h>

#include "endian-le.h"
#include "md-bitmap.h"

#define SECTOR_BYTES 512u
#define AREA_ALIGN_BYTES 4096u

/* Byte offsets of bitmap_super_t. */
enum {
	BM_MAGIC = 0,
	BM_VERSION = 4,
	BM_UUID = 8,
	BM_EVENTS = 24,
	BM_EVENTS_CLEARED = 32,
	BM_SYNC_SIZE = 40,
	BM_STATE = 48,
	BM_CHUNKSIZE = 52,
	BM_DAEMON_SLEEP = 56,
	BM_WRITE_BEHIND = 60,
	BM_SECTORS_RESERVED = 64,
	BM_NODES = 68,
	BM_CLUSTER_NAME = 72, /* 64 bytes, then zero padding to 256 */
};

uint64_t md_bitmap_bits(uint64_t sync_size_sectors, uint32_t chunk_bytes)
{
	uint64_t chunk_sectors;

	if (chunk_bytes < SECTOR_BYTES)
		return 0;
	/* In sectors, so a huge sync size cannot overflow the multiplication by 512. */
	chunk_sectors = chunk_bytes / SECTOR_BYTES;
	return DIV_ROUND_UP(sync_size_sectors, chunk_sectors);
}

uint64_t md_bitmap_area_bytes(uint64_t sync_size_sectors, uint32_t chunk_bytes)
{
	uint64_t bits = md_bitmap_bits(sync_size_sectors, chunk_bytes);

	return ROUND_UP(MD_BITMAP_HEADER_BYTES + DIV_ROUND_UP(bits, 8), (uint64_t)AREA_ALIGN_BYTES);
}

uint64_t md_bitmap_space_sectors(uint64_t size_sectors)
{
	const uint64_t gib = 2 * 1024 * 1024;

	if (size_sectors < 128)
		return 0;
	if (size_sectors - 128 >= 200 * gib)
		return 256;
	if (size_sectors - 8 > 8 * gib)
		return 128;
	return 8;
}

int md_bitmap_choose_chunk(uint64_t size_sectors, uint64_t room_sectors, uint32_t *ret_chunk_bytes,
			   struct vg_error *err)
{
	uint64_t max_bits, bits, chunk = MD_BITMAP_MIN_CHUNK_BYTES;

	room_sectors = MIN(room_sectors, (uint64_t)MD_BITMAP_MAX_ROOM_SECTORS);
	if (room_sectors * SECTOR_BYTES <= MD_BITMAP_HEADER_BYTES)
		return vg_error_set(err, -ENOSPC,
				    "no room for a write-intent bitmap: %" PRIu64 " sectors reserved",
				    room_sectors);
	max_bits = (room_sectors * SECTOR_BYTES - MD_BITMAP_HEADER_BYTES) * 8;
	/* mdadm counts one bit more than the chunks need and halves it (rounding up) per doubling. */
	bits = size_sectors / (MD_BITMAP_MIN_CHUNK_BYTES / SECTOR_BYTES) + 1;
	while (bits > max_bits) {
		chunk *= 2;
		bits = (bits + 1) / 2;
	}
	chunk = MAX(chunk, (uint64_t)MD_BITMAP_DEFAULT_CHUNK_BYTES);
	if (chunk > UINT32_MAX / 2 + 1)
		return vg_error_set(err, -EOVERFLOW,
				    "an array of %" PRIu64 " sectors needs a bitmap chunk above 2 GiB",
				    size_sectors);
	*ret_chunk_bytes = (uint32_t)chunk;
	return 0;
}

int md_bitmap_layout_1_0(uint64_t size_sectors, uint32_t *ret_chunk_bytes, uint64_t *ret_area_sectors,
			 int32_t *ret_bitmap_offset, struct vg_error *err)
{
	/* The bad-block log takes the 8 sectors right under the superblock; the bitmap goes below it. */
	const uint64_t bblog_sectors = 8;
	uint64_t bits, area_sectors;
	uint32_t chunk;
	int r;

	r = md_bitmap_choose_chunk(size_sectors, md_bitmap_space_sectors(size_sectors), &chunk, err);
	if (r < 0)
		return r;
	/* mdadm sizes the area from floor(bytes / chunk) + 1 bits, in whole 4 KiB blocks. */
	bits = size_sectors / (chunk / SECTOR_BYTES) + 1;
	area_sectors =
		DIV_ROUND_UP(DIV_ROUND_UP(bits, 8) + MD_BITMAP_HEADER_BYTES, (uint64_t)AREA_ALIGN_BYTES) *
		(AREA_ALIGN_BYTES / SECTOR_BYTES);
	/* And the room it keeps below the superblock from the exact bit count; take the larger. */
	area_sectors = MAX(area_sectors, md_bitmap_area_bytes(size_sectors, chunk) / SECTOR_BYTES);

	*ret_chunk_bytes = chunk;
	*ret_area_sectors = area_sectors;
	*ret_bitmap_offset = -(int32_t)(area_sectors + bblog_sectors);
	return 0;
}

void md_bitmap_init(struct md_bitmap_super *ret_bm, const uint8_t uuid[16], uint64_t sync_size_sectors,
		    uint32_t chunk_bytes)
{
	memset(ret_bm, 0, sizeof(*ret_bm));
	ret_bm->version = MD_BITMAP_VERSION_HI;
	memcpy(ret_bm->uuid, uuid, sizeof(ret_bm->uuid));
	ret_bm->sync_size_sectors = sync_size_sectors;
	ret_bm->chunk_bytes = chunk_bytes;
	ret_bm->daemon_sleep_seconds = MD_BITMAP_DEFAULT_DAEMON_SLEEP;
}

int md_bitmap_decode(const uint8_t *buf, size_t len, struct md_bitmap_super *ret_bm, struct vg_error *err)
{
	struct md_bitmap_super bm;
	uint32_t magic;

	magic = len >= 4 ? get_le32(buf + BM_MAGIC) : 0;
	if (magic != MD_BITMAP_MAGIC)
		return vg_error_set(err, -ENODATA,
				    "no bitmap superblock (magic 0x%08" PRIx32 ", expected 0x%08x)", magic,
				    MD_BITMAP_MAGIC);
	if (len < MD_BITMAP_HEADER_BYTES)
		return vg_error_set(err, -EBADMSG, "bitmap superblock: only %zu bytes, it has %u", len,
				    MD_BITMAP_HEADER_BYTES);

	memset(&bm, 0, sizeof(bm));
	bm.version = get_le32(buf + BM_VERSION);
	memcpy(bm.uuid, buf + BM_UUID, sizeof(bm.uuid));
	bm.events = get_le64(buf + BM_EVENTS);
	bm.events_cleared = get_le64(buf + BM_EVENTS_CLEARED);
	bm.sync_size_sectors = get_le64(buf + BM_SYNC_SIZE);
	bm.state = get_le32(buf + BM_STATE);
	bm.chunk_bytes = get_le32(buf + BM_CHUNKSIZE);
	bm.daemon_sleep_seconds = get_le32(buf + BM_DAEMON_SLEEP);
	bm.write_behind = get_le32(buf + BM_WRITE_BEHIND);
	bm.sectors_reserved = get_le32(buf + BM_SECTORS_RESERVED);
	bm.nodes = get_le32(buf + BM_NODES);
	memcpy(bm.cluster_name, buf + BM_CLUSTER_NAME, 64);
	bm.cluster_name[64] = '\0';
	*ret_bm = bm;

	if (bm.version != MD_BITMAP_VERSION_LO && bm.version != MD_BITMAP_VERSION_HI)
		return vg_error_set(err, -EPROTONOSUPPORT,
				    "bitmap superblock version %" PRIu32 " is not supported (3 and 4 are)",
				    bm.version);
	if (bm.chunk_bytes < SECTOR_BYTES || (bm.chunk_bytes & (bm.chunk_bytes - 1)))
		return vg_error_set(err, -EBADMSG,
				    "bitmap superblock: chunk size %" PRIu32
				    " bytes is not a power of two >= 512",
				    bm.chunk_bytes);
	if (bm.daemon_sleep_seconds == 0)
		return vg_error_set(err, -EBADMSG, "bitmap superblock: daemon sleep period is 0");
	return 0;
}

void md_bitmap_encode(const struct md_bitmap_super *bm, uint8_t buf[MD_BITMAP_HEADER_BYTES])
{
	memset(buf, 0, MD_BITMAP_HEADER_BYTES);
	put_le32(buf + BM_MAGIC, MD_BITMAP_MAGIC);
	put_le32(buf + BM_VERSION, bm->version);
	memcpy(buf + BM_UUID, bm->uuid, sizeof(bm->uuid));
	put_le64(buf + BM_EVENTS, bm->events);
	put_le64(buf + BM_EVENTS_CLEARED, bm->events_cleared);
	put_le64(buf + BM_SYNC_SIZE, bm->sync_size_sectors);
	put_le32(buf + BM_STATE, bm->state);
	put_le32(buf + BM_CHUNKSIZE, bm->chunk_bytes);
	put_le32(buf + BM_DAEMON_SLEEP, bm->daemon_sleep_seconds);
	put_le32(buf + BM_WRITE_BEHIND, bm->write_behind);
	put_le32(buf + BM_SECTORS_RESERVED, bm->sectors_reserved);
	put_le32(buf + BM_NODES, bm->nodes);
	memcpy(buf + BM_CLUSTER_NAME, bm->cluster_name, strnlen(bm->cluster_name, 64));
}

int md_bitmap_offset_bytes(const struct md_super *sb, uint64_t device_bytes, uint64_t *ret_offset,
			   struct vg_error *err)
{
	int64_t sector;

	if (!(sb->feature_map & MD_FEATURE_BITMAP_OFFSET))
		return vg_error_set(err, -ENODATA, "the md superblock names no internal bitmap");
	if (sb->super_offset_sectors > (uint64_t)INT64_MAX / SECTOR_BYTES)
		return vg_error_set(err, -EBADMSG, "super_offset %" PRIu64 " is out of range",
				    sb->super_offset_sectors);
	sector = (int64_t)sb->super_offset_sectors + sb->bitmap_offset_sectors;
	if (sector < 0 || (uint64_t)sector * SECTOR_BYTES + MD_BITMAP_HEADER_BYTES > device_bytes)
		return vg_error_set(err, -EBADMSG,
				    "bitmap_offset %" PRId32 " from the superblock at sector %" PRIu64
				    " lies outside the device",
				    sb->bitmap_offset_sectors, sb->super_offset_sectors);
	*ret_offset = (uint64_t)sector * SECTOR_BYTES;
	return 0;
}

int md_bitmap_read(struct blockdev *dev, const struct md_super *sb, struct md_bitmap_super *ret_bm,
		   struct vg_error *err)
{
	uint8_t buf[MD_BITMAP_HEADER_BYTES];
	struct md_bitmap_super bm;
	uint64_t offset;
	int r;

	r = md_bitmap_offset_bytes(sb, dev->size_bytes, &offset, err);
	if (r < 0)
		return vg_error_prefix(err, r, "%s: ", dev->path);
	r = blockdev_read(dev, offset, buf, sizeof(buf), err);
	if (r < 0)
		return r;
	r = md_bitmap_decode(buf, sizeof(buf), &bm, err);
	if (r < 0)
		return vg_error_prefix(err, r, "%s: at byte %" PRIu64 ": ", dev->path, offset);
	/* mdadm ignores a bitmap whose uuid is not the array's: it belongs to something else. */
	if (memcmp(bm.uuid, sb->set_uuid, sizeof(bm.uuid)) != 0)
		return vg_error_set(err, -EBADMSG,
				    "%s: the bitmap at byte %" PRIu64 " carries another array's uuid",
				    dev->path, offset);
	*ret_bm = bm;
	return 0;
}

/* The area must lie below the superblock of @sb: never let a bitmap overwrite it. */
static int check_area(struct blockdev *dev, const struct md_super *sb, uint64_t offset, uint64_t len,
		      struct vg_error *err)
{
	if (offset + len > sb->super_offset_sectors * SECTOR_BYTES)
		return vg_error_set(err, -EINVAL,
				    "%s: a bitmap of %" PRIu64 " bytes at byte %" PRIu64
				    " would run into the md superblock at sector %" PRIu64,
				    dev->path, len, offset, sb->super_offset_sectors);
	return 0;
}

int md_bitmap_write_new(struct blockdev *dev, const struct md_super *sb, const struct md_bitmap_super *bm,
			struct vg_error *err)
{
	_cleanup_free_ uint8_t *buf = NULL;
	uint64_t offset, len = md_bitmap_area_bytes(bm->sync_size_sectors, bm->chunk_bytes);
	int r;

	r = md_bitmap_offset_bytes(sb, dev->size_bytes, &offset, err);
	if (r < 0)
		return vg_error_prefix(err, r, "%s: ", dev->path);
	r = check_area(dev, sb, offset, len, err);
	if (r < 0)
		return r;
	if (len > SIZE_MAX)
		return vg_error_set(err, -ENOMEM, "%s: bitmap of %" PRIu64 " bytes", dev->path, len);
	buf = malloc((size_t)len);
	if (!buf)
		return vg_error_set(err, -ENOMEM, "%s: out of memory for a bitmap of %" PRIu64 " bytes",
				    dev->path, len);
	/* Every bit set: the first assembly must resync whatever it does not know to be in sync. */
	memset(buf, 0xff, (size_t)len);
	md_bitmap_encode(bm, buf);
	return blockdev_write(dev, offset, buf, (size_t)len, err);
}

int md_bitmap_write_header(struct blockdev *dev, const struct md_super *sb, const struct md_bitmap_super *bm,
			   struct vg_error *err)
{
	uint8_t sector[SECTOR_BYTES];
	uint64_t offset;
	int r;

	r = md_bitmap_offset_bytes(sb, dev->size_bytes, &offset, err);
	if (r < 0)
		return vg_error_prefix(err, r, "%s: ", dev->path);
	r = check_area(dev, sb, offset, sizeof(sector), err);
	if (r < 0)
		return r;
	/* The header shares its sector with the first bits: keep them, rewrite the sector whole. */
	r = blockdev_read(dev, offset, sector, sizeof(sector), err);
	if (r < 0)
		return r;
	md_bitmap_encode(bm, sector);
	return blockdev_write(dev, offset, sector, sizeof(sector), err);
}

int md_bitmap_copy(struct blockdev *from, const struct md_super *from_sb, struct blockdev *to,
		   const struct md_super *to_sb, uint64_t events, struct vg_error *err)
{
	_cleanup_free_ void *buf = NULL;
	struct md_bitmap_super bm;
	uint64_t from_offset, to_offset, len;
	int r;

	r = md_bitmap_read(from, from_sb, &bm, err);
	if (r < 0)
		return r;
	len = md_bitmap_area_bytes(bm.sync_size_sectors, bm.chunk_bytes);
	r = md_bitmap_offset_bytes(from_sb, from->size_bytes, &from_offset, err);
	if (r >= 0)
		r = md_bitmap_offset_bytes(to_sb, to->size_bytes, &to_offset, err);
	if (r < 0)
		return r;
	r = check_area(to, to_sb, to_offset, len, err);
	if (r < 0)
		return r;
	if (len > SIZE_MAX)
		return vg_error_set(err, -ENOMEM, "%s: bitmap of %" PRIu64 " bytes", from->path, len);
	r = blockdev_read_alloc(from, from_offset, (size_t)len, &buf, err);
	if (r < 0)
		return r;
	bm.events = events;
	md_bitmap_encode(&bm, buf);
	return blockdev_write(to, to_offset, buf, (size_t)len, err);
}

int md_bitmap_mark_dirty(struct blockdev *dev, const struct md_super *sb, const struct md_bitmap_super *bm,
			 uint64_t first_sector, uint64_t sectors, struct vg_error *err)
{
	_cleanup_free_ uint8_t *buf = NULL;
	uint64_t offset, chunk_sectors, first_chunk, last_chunk, span_start, span_end, nbits;
	int r;

	if (sectors == 0)
		return 0;
	r = md_bitmap_offset_bytes(sb, dev->size_bytes, &offset, err);
	if (r < 0)
		return vg_error_prefix(err, r, "%s: ", dev->path);
	chunk_sectors = bm->chunk_bytes / SECTOR_BYTES;
	nbits = md_bitmap_bits(bm->sync_size_sectors, bm->chunk_bytes);
	if (chunk_sectors == 0 || nbits == 0)
		return vg_error_set(err, -EBADMSG, "%s: bitmap with chunk %" PRIu32 " bytes covers nothing",
				    dev->path, bm->chunk_bytes);
	first_chunk = first_sector / chunk_sectors;
	last_chunk = (first_sector + sectors - 1) / chunk_sectors;
	if (last_chunk >= nbits)
		return vg_error_set(err, -EINVAL,
				    "%s: sectors %" PRIu64 "+%" PRIu64 " lie beyond the %" PRIu64
				    " sectors the bitmap covers",
				    dev->path, first_sector, sectors, bm->sync_size_sectors);

	/* Whole sectors around the bytes holding the bits, so each write replaces full sectors. */
	span_start = ROUND_DOWN(MD_BITMAP_HEADER_BYTES + first_chunk / 8, (uint64_t)SECTOR_BYTES);
	span_end = ROUND_UP(MD_BITMAP_HEADER_BYTES + last_chunk / 8 + 1, (uint64_t)SECTOR_BYTES);
	r = check_area(dev, sb, offset, span_end, err);
	if (r < 0)
		return r;
	r = blockdev_read_alloc(dev, offset + span_start, (size_t)(span_end - span_start), (void **)&buf,
				err);
	if (r < 0)
		return r;
	for (uint64_t chunk = first_chunk; chunk <= last_chunk; chunk++) {
		uint64_t byte = MD_BITMAP_HEADER_BYTES + chunk / 8 - span_start;

		/* Version 4 numbers bits little-endian within each byte. */
		buf[byte] |= (uint8_t)(1u << (chunk % 8));
	}
	return blockdev_write(dev, offset + span_start, buf, (size_t)(span_end - span_start), err);
}

int md_bitmap_count_dirty(struct blockdev *dev, const struct md_super *sb, const struct md_bitmap_super *bm,
			  uint64_t *ret_dirty, struct vg_error *err)
{
	_cleanup_free_ uint8_t *buf = NULL;
	uint64_t offset, nbits = md_bitmap_bits(bm->sync_size_sectors, bm->chunk_bytes), dirty = 0;
	size_t len = (size_t)DIV_ROUND_UP(nbits, 8);
	int r;

	r = md_bitmap_offset_bytes(sb, dev->size_bytes, &offset, err);
	if (r < 0)
		return vg_error_prefix(err, r, "%s: ", dev->path);
	r = blockdev_read_alloc(dev, offset + MD_BITMAP_HEADER_BYTES, len, (void **)&buf, err);
	if (r < 0)
		return r;
	for (uint64_t bit = 0; bit < nbits; bit++)
		if (buf[bit / 8] & (1u << (bit % 8)))
			dirty++;
	*ret_dirty = dirty;
	return 0;
}
