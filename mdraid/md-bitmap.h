/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The md internal write-intent bitmap of a 1.0 mirror leg (FORMATS.md 4.7):
 * a 256-byte bitmap superblock ("bitm", version 4) followed by one bit per
 * chunk of the array, stored below the md superblock at super_offset +
 * bitmap_offset. md-mirror.c lays it out on create the way mdadm
 * --create --bitmap=internal does, keeps its event counter in step with the
 * md superblock, copies it to legs that join, and the userspace mirror
 * device sets the bits of the chunks it writes, so a kernel that later
 * assembles the mirror knows what to resync.
 *
 * md_bitmap_decode / md_bitmap_encode and the layout arithmetic are pure;
 * the rest does its I/O through struct blockdev.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "blockdev.h"
#include "error.h"
#include "md-super.h"

#define MD_BITMAP_MAGIC 0x6d746962u /* "bitm" little-endian */
#define MD_BITMAP_VERSION_LO 3      /* host-endian bits */
#define MD_BITMAP_VERSION_HI 4      /* little-endian bits: what mdadm writes and we write */
#define MD_BITMAP_HEADER_BYTES 256
#define MD_BITMAP_MIN_CHUNK_BYTES 4096u
#define MD_BITMAP_DEFAULT_CHUNK_BYTES (64u << 20) /* mdadm's default for internal bitmaps */
#define MD_BITMAP_DEFAULT_DAEMON_SLEEP 5          /* seconds */
#define MD_BITMAP_MAX_ROOM_SECTORS 256            /* mdadm caps a default bitmap at 128 KiB */

enum {
	MD_BITMAP_STATE_STALE = 1u << 1,
	MD_BITMAP_STATE_WRITE_ERROR = 1u << 2,
};

/* Every field of bitmap_super_t, host-endian. */
struct md_bitmap_super {
	uint32_t version;
	uint8_t uuid[16]; /* the array's set_uuid */
	uint64_t events;
	uint64_t events_cleared;
	uint64_t sync_size_sectors; /* the component size the bits cover */
	uint32_t state;
	uint32_t chunk_bytes;
	uint32_t daemon_sleep_seconds;
	uint32_t write_behind;
	uint32_t sectors_reserved;
	uint32_t nodes;
	char cluster_name[65]; /* NUL-terminated copy of the 64-byte field */
};

/* Number of bits (chunks) covering @sync_size_sectors: ceil(size * 512 / chunk). */
uint64_t md_bitmap_bits(uint64_t sync_size_sectors, uint32_t chunk_bytes);

/* Bytes of header and bits, rounded up to 4 KiB as mdadm writes them. */
uint64_t md_bitmap_area_bytes(uint64_t sync_size_sectors, uint32_t chunk_bytes);

/*
 * Sectors mdadm reserves below a 1.0 superblock for a bitmap on an array of
 * @size_sectors (choose_bm_space): none under 64 sectors, 4 KiB normally,
 * 64 KiB above 8 GiB, 128 KiB from 200 GiB.
 */
uint64_t md_bitmap_space_sectors(uint64_t size_sectors);

/*
 * The chunk size mdadm picks for a bitmap of @size_sectors that must fit in
 * @room_sectors (header included): the smallest power of two from 4 KiB up
 * whose bits fit, but never below 64 MiB. -ENOSPC when @room_sectors cannot
 * hold a header; -EOVERFLOW when the chunk would not fit 32 bits.
 */
int md_bitmap_choose_chunk(uint64_t size_sectors, uint64_t room_sectors, uint32_t *ret_chunk_bytes,
			   struct vg_error *err);

/*
 * The internal bitmap of a new 1.0 array of @size_sectors, placed as
 * mdadm --create --metadata=1.0 --bitmap=internal places it: chunk from
 * md_bitmap_choose_chunk over the reserved space, the bits rounded up to
 * 4 KiB just below the 8-sector bad-block log, so
 * bitmap_offset = -(area sectors) - 8 and the leg's data ends where the
 * bitmap begins. Returns 0 with the chunk, the area in sectors and the
 * signed offset from the superblock.
 */
int md_bitmap_layout_1_0(uint64_t size_sectors, uint32_t *ret_chunk_bytes, uint64_t *ret_area_sectors,
			 int32_t *ret_bitmap_offset, struct vg_error *err);

/* A fresh bitmap superblock as mdadm fills it (events 0, daemon sleep 5 s). */
void md_bitmap_init(struct md_bitmap_super *ret_bm, const uint8_t uuid[16], uint64_t sync_size_sectors,
		    uint32_t chunk_bytes);

/*
 * Decode and check the first MD_BITMAP_HEADER_BYTES of @buf the way the
 * kernel does before trusting a bitmap: magic, version 3 or 4, chunk a power
 * of two of at least 512 bytes, daemon sleep not zero. -ENODATA without the
 * magic; -EPROTONOSUPPORT for other versions (clustered, lockless);
 * -EBADMSG naming the field otherwise. *ret_bm is filled in every case the
 * magic matched, so an examine can show it.
 */
int md_bitmap_decode(const uint8_t *buf, size_t len, struct md_bitmap_super *ret_bm, struct vg_error *err);

/* Encode into @buf (MD_BITMAP_HEADER_BYTES, zeroed first). */
void md_bitmap_encode(const struct md_bitmap_super *bm, uint8_t buf[MD_BITMAP_HEADER_BYTES]);

/*
 * Byte offset of the bitmap of @sb on its device. -ENODATA when @sb has no
 * bitmap (feature bit 0 clear); -EBADMSG when the offset points outside the
 * device of @device_bytes.
 */
int md_bitmap_offset_bytes(const struct md_super *sb, uint64_t device_bytes, uint64_t *ret_offset,
			   struct vg_error *err);

/*
 * Read and decode the bitmap superblock of the leg @dev whose md superblock
 * is @sb, and check it belongs to the same array (uuid). Errors name @dev.
 */
int md_bitmap_read(struct blockdev *dev, const struct md_super *sb, struct md_bitmap_super *ret_bm,
		   struct vg_error *err);

/*
 * Write the whole bitmap area of @dev: @bm as header, then every bit set
 * (and the 4 KiB padding after the last bit), as mdadm does on create so the
 * first assembly resyncs everything it is told to. No flush.
 */
int md_bitmap_write_new(struct blockdev *dev, const struct md_super *sb, const struct md_bitmap_super *bm,
			struct vg_error *err);

/* Rewrite only the header (read-modify-write of its sector, bits kept). No flush. */
int md_bitmap_write_header(struct blockdev *dev, const struct md_super *sb, const struct md_bitmap_super *bm,
			   struct vg_error *err);

/*
 * Copy the bitmap of @from (described by @from_sb) to @to at the place
 * @to_sb names, with the header's events set to @events. The areas must have
 * the same geometry. Used when a leg joins a mirror with a bitmap. No flush.
 */
int md_bitmap_copy(struct blockdev *from, const struct md_super *from_sb, struct blockdev *to,
		   const struct md_super *to_sb, uint64_t events, struct vg_error *err);

/*
 * Set the bits of every chunk that [first_sector, first_sector + sectors)
 * of the array touches (read-modify-write, bits only ever set). No flush.
 */
int md_bitmap_mark_dirty(struct blockdev *dev, const struct md_super *sb, const struct md_bitmap_super *bm,
			 uint64_t first_sector, uint64_t sectors, struct vg_error *err);

/* Count the set bits among the md_bitmap_bits() of @bm, as mdadm -X reports "dirty". */
int md_bitmap_count_dirty(struct blockdev *dev, const struct md_super *sb, const struct md_bitmap_super *bm,
			  uint64_t *ret_dirty, struct vg_error *err);
