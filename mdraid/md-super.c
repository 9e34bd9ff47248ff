/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Linux md superblocks on disk (FORMATS.md section 4): the v1.x superblock
 * decoded into struct md_super and encoded back, its checksum, the checks the
 * kernel makes before it trusts one, where each version lives on a device,
 * recognition of the old 0.90 format, and a fresh raid1 leg superblock built
 * the way mdadm --create --metadata=1.0 builds one.
 *
 * Decoding and encoding are pure byte work; only md_super_probe and
 * md_super_write_1_0 touch a device, and only through struct blockdev, so all
 * of it runs on memory devices and image files in the tests.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "endian-le.h"
#include "md-super.h"
#include "uuid.h"

#define SECTOR_BYTES 512u

/* Byte offsets of struct mdp_superblock_1 (FORMATS.md 4.2). */
enum {
	SB1_MAGIC = 0,
	SB1_MAJOR_VERSION = 4,
	SB1_FEATURE_MAP = 8,
	SB1_PAD0 = 12,
	SB1_SET_UUID = 16,
	SB1_SET_NAME = 32,
	SB1_CTIME = 64,
	SB1_LEVEL = 72,
	SB1_LAYOUT = 76,
	SB1_SIZE = 80,
	SB1_CHUNKSIZE = 88,
	SB1_RAID_DISKS = 92,
	SB1_BITMAP_OFFSET = 96,
	SB1_NEW_LEVEL = 100,
	SB1_RESHAPE_POSITION = 104,
	SB1_DELTA_DISKS = 112,
	SB1_NEW_LAYOUT = 116,
	SB1_NEW_CHUNK = 120,
	SB1_NEW_OFFSET = 124,
	SB1_DATA_OFFSET = 128,
	SB1_DATA_SIZE = 136,
	SB1_SUPER_OFFSET = 144,
	SB1_RECOVERY_OFFSET = 152,
	SB1_DEV_NUMBER = 160,
	SB1_CNT_CORRECTED_READ = 164,
	SB1_DEVICE_UUID = 168,
	SB1_DEVFLAGS = 184,
	SB1_BBLOG_SHIFT = 185,
	SB1_BBLOG_SIZE = 186,
	SB1_BBLOG_OFFSET = 188,
	SB1_UTIME = 192,
	SB1_EVENTS = 200,
	SB1_RESYNC_OFFSET = 208,
	SB1_SB_CSUM = 216,
	SB1_MAX_DEV = 220,
	SB1_PAD3 = 224,
	SB1_DEV_ROLES = 256, /* also the size of the fixed part */
};

_Static_assert(SB1_PAD3 + sizeof(((struct md_super *)0)->pad3) == SB1_DEV_ROLES,
	       "pad3 must end where dev_roles begins");
_Static_assert(MD_SB_1_MAX_BYTES >= SB1_DEV_ROLES + 2 * MD_SB_1_MAX_DEVS,
	       "the largest superblock must fit MD_SB_1_MAX_BYTES");

/*
 * The 0.90 superblock: 4 KiB in the last 64 KiB-aligned 64 KiB of the
 * device, in the byte order of the host that wrote it. Only the words needed
 * to recognise and name it are read.
 */
#define MD_SB_0_90_BYTES 4096u
#define MD_SB_0_90_RESERVED_BYTES 65536u
enum {
	SB0_MAGIC = 0,
	SB0_MAJOR_VERSION = 4,
	SB0_MINOR_VERSION = 8,
	SB0_SET_UUID0 = 20,
	SB0_CTIME = 24,
	SB0_LEVEL = 28,
	SB0_SIZE_KIB = 32,
	SB0_RAID_DISKS = 40,
	SB0_SET_UUID1 = 52, /* then uuid2 at 56, uuid3 at 60 */
	SB0_UTIME = 128,
	SB0_STATE = 132,
	SB0_EVENTS = 156, /* events_lo then events_hi on little-endian hosts */
};
#define SB0_STATE_CLEAN 1u

uint64_t md_super_1_0_sector(uint64_t device_sectors)
{
	/* Meaningless below the minimum; 0 keeps the subtraction from wrapping. */
	if (device_sectors < MD_SB_1_MIN_DEVICE_SECTORS)
		return 0;
	/* 8 KiB back from the end, rounded down to a 4 KiB boundary. */
	return (device_sectors - 16) & ~(uint64_t)7;
}

size_t md_super_1_bytes(uint32_t max_dev)
{
	return ROUND_UP((size_t)SB1_DEV_ROLES + 2 * (size_t)max_dev, (size_t)SECTOR_BYTES);
}

uint32_t md_super_1_checksum(const uint8_t *buf, uint32_t max_dev)
{
	size_t len = (size_t)SB1_DEV_ROLES + 2 * (size_t)max_dev;
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i + 4 <= len; i += 4) {
		/* The stored checksum does not checksum itself: it counts as 0. */
		if (i == SB1_SB_CSUM)
			continue;
		sum += get_le32(buf + i);
	}
	/* An odd max_dev leaves one 16-bit role over. */
	if (i + 2 <= len)
		sum += get_le16(buf + i);
	return (uint32_t)((sum & 0xffffffffu) + (sum >> 32));
}

/* mdadm --examine names the version by where the superblock sits. */
static enum md_super_version version_from_sector(uint64_t sector)
{
	if (sector <= 4)
		return MD_SUPER_1_1;
	if (sector <= 8)
		return MD_SUPER_1_2;
	return MD_SUPER_1_0;
}

static void decode_fields_1(const uint8_t *buf, size_t len, uint64_t sector, struct md_super *sb)
{
	size_t roles;

	memset(sb, 0, sizeof(*sb));
	sb->version = version_from_sector(sector);
	sb->feature_map = get_le32(buf + SB1_FEATURE_MAP);
	memcpy(sb->set_uuid, buf + SB1_SET_UUID, sizeof(sb->set_uuid));
	/* Kept byte for byte, NUL padding included, so re-encoding gives the same bytes. */
	memcpy(sb->set_name, buf + SB1_SET_NAME, 32);
	sb->set_name[32] = '\0';
	sb->ctime = get_le64(buf + SB1_CTIME);
	sb->level = (int32_t)get_le32(buf + SB1_LEVEL);
	sb->layout = get_le32(buf + SB1_LAYOUT);
	sb->size_sectors = get_le64(buf + SB1_SIZE);
	sb->chunk_sectors = get_le32(buf + SB1_CHUNKSIZE);
	sb->raid_disks = get_le32(buf + SB1_RAID_DISKS);
	sb->bitmap_offset_sectors = (int32_t)get_le32(buf + SB1_BITMAP_OFFSET);
	sb->new_level = get_le32(buf + SB1_NEW_LEVEL);
	sb->reshape_position = get_le64(buf + SB1_RESHAPE_POSITION);
	sb->delta_disks = get_le32(buf + SB1_DELTA_DISKS);
	sb->new_layout = get_le32(buf + SB1_NEW_LAYOUT);
	sb->new_chunk = get_le32(buf + SB1_NEW_CHUNK);
	sb->new_offset = (int32_t)get_le32(buf + SB1_NEW_OFFSET);
	sb->data_offset_sectors = get_le64(buf + SB1_DATA_OFFSET);
	sb->data_size_sectors = get_le64(buf + SB1_DATA_SIZE);
	sb->super_offset_sectors = get_le64(buf + SB1_SUPER_OFFSET);
	sb->recovery_offset_sectors = get_le64(buf + SB1_RECOVERY_OFFSET);
	sb->dev_number = get_le32(buf + SB1_DEV_NUMBER);
	sb->cnt_corrected_read = get_le32(buf + SB1_CNT_CORRECTED_READ);
	memcpy(sb->device_uuid, buf + SB1_DEVICE_UUID, sizeof(sb->device_uuid));
	sb->devflags = buf[SB1_DEVFLAGS];
	sb->bblog_shift = buf[SB1_BBLOG_SHIFT];
	sb->bblog_size = get_le16(buf + SB1_BBLOG_SIZE);
	sb->bblog_offset = (int32_t)get_le32(buf + SB1_BBLOG_OFFSET);
	sb->utime = get_le64(buf + SB1_UTIME);
	sb->events = get_le64(buf + SB1_EVENTS);
	sb->resync_offset = get_le64(buf + SB1_RESYNC_OFFSET);
	sb->sb_csum = get_le32(buf + SB1_SB_CSUM);
	sb->max_dev = get_le32(buf + SB1_MAX_DEV);
	memcpy(sb->pad3, buf + SB1_PAD3, sizeof(sb->pad3));

	/* As many roles as max_dev names and the buffer holds; validation says if that is short. */
	roles = MIN((size_t)sb->max_dev, (size_t)MD_SB_1_MAX_DEVS);
	roles = MIN(roles, (len - SB1_DEV_ROLES) / 2);
	for (size_t i = 0; i < roles; i++)
		sb->dev_roles[i] = get_le16(buf + SB1_DEV_ROLES + 2 * i);
}

/* The kernel's super_1_load checks, in its order, so the first complaint is the one it would make. */
static int validate_1(const uint8_t *buf, size_t len, uint64_t sector, uint64_t device_sectors,
		      const struct md_super *sb, struct vg_error *err)
{
	uint64_t sb_end_sector, data_end;
	uint32_t computed;

	if (sb->max_dev > MD_SB_1_MAX_DEVS)
		return vg_error_set(err, -EBADMSG,
				    "md superblock at sector %" PRIu64 ": max_dev %" PRIu32
				    " exceeds the limit of %u devices",
				    sector, sb->max_dev, MD_SB_1_MAX_DEVS);
	if (len < (size_t)SB1_DEV_ROLES + 2 * (size_t)sb->max_dev)
		return vg_error_set(err, -EBADMSG,
				    "md superblock at sector %" PRIu64 ": max_dev %" PRIu32
				    " needs %zu bytes but only %zu are there",
				    sector, sb->max_dev, (size_t)SB1_DEV_ROLES + 2 * (size_t)sb->max_dev, len);
	if (sb->super_offset_sectors != sector)
		return vg_error_set(err, -EBADMSG,
				    "md superblock at sector %" PRIu64 ": super_offset %" PRIu64
				    " does not match its location",
				    sector, sb->super_offset_sectors);
	if (sb->feature_map & ~(uint32_t)MD_FEATURE_ALL)
		return vg_error_set(err, -EBADMSG,
				    "md superblock at sector %" PRIu64 ": feature_map 0x%" PRIx32
				    " has unknown bits 0x%" PRIx32,
				    sector, sb->feature_map, sb->feature_map & ~(uint32_t)MD_FEATURE_ALL);
	computed = md_super_1_checksum(buf, sb->max_dev);
	if (computed != sb->sb_csum)
		return vg_error_set(err, -EBADMSG,
				    "md superblock at sector %" PRIu64 ": checksum 0x%08" PRIx32
				    " does not match computed 0x%08" PRIx32,
				    sector, sb->sb_csum, computed);
	if (sb->data_size_sectors < 10)
		return vg_error_set(err, -EBADMSG,
				    "md superblock at sector %" PRIu64 ": data_size %" PRIu64
				    " is below the minimum of 10 sectors",
				    sector, sb->data_size_sectors);
	if (get_le32(buf + SB1_PAD0) != 0)
		return vg_error_set(err, -EBADMSG,
				    "md superblock at sector %" PRIu64 ": pad0 is 0x%08" PRIx32 ", must be 0",
				    sector, get_le32(buf + SB1_PAD0));
	/*
	 * pad3 is deliberately not checked: newer kernels store the logical
	 * block size there, and refusing it would lock us out of their arrays.
	 */

	sb_end_sector = sector + md_super_1_bytes(sb->max_dev) / SECTOR_BYTES;
	if (sb->version != MD_SUPER_1_0) {
		/* 1.1 and 1.2 keep their data after the superblock. */
		if (sb->data_offset_sectors < sb_end_sector)
			return vg_error_set(err, -EBADMSG,
					    "md superblock at sector %" PRIu64 ": data_offset %" PRIu64
					    " overlaps the superblock (sectors %" PRIu64 "-%" PRIu64 ")",
					    sector, sb->data_offset_sectors, sector, sb_end_sector - 1);
		if ((sb->feature_map & MD_FEATURE_RESHAPE_ACTIVE) &&
		    (sb->feature_map & MD_FEATURE_NEW_OFFSET)) {
			/* In unsigned arithmetic: data_offset comes from disk and may be anything. */
			uint64_t shift = sb->new_offset < 0 ? (uint64_t)-(int64_t)sb->new_offset : (uint64_t)sb->new_offset;
			uint64_t new_data_offset;
			bool fits;

			if (sb->new_offset < 0)
				fits = sb->data_offset_sectors >= shift &&
				       sb->data_offset_sectors - shift >= sb_end_sector;
			else
				fits = !ADD_OVERFLOWS(sb->data_offset_sectors, shift, &new_data_offset);
			if (!fits)
				return vg_error_set(err, -EBADMSG,
						    "md superblock at sector %" PRIu64 ": new_offset %" PRId32
						    " with data_offset %" PRIu64
						    " puts the reshaped data over the superblock or past 2^64 sectors",
						    sector, sb->new_offset, sb->data_offset_sectors);
		}
	}
	if (sb->feature_map & MD_FEATURE_BAD_BLOCKS) {
		/* The kernel reads the log into one 4 KiB page and needs to know where it is. */
		if (sb->bblog_size > 8)
			return vg_error_set(err, -EBADMSG,
					    "md superblock at sector %" PRIu64 ": bblog_size %" PRIu16
					    " exceeds 8 sectors",
					    sector, sb->bblog_size);
		if (sb->bblog_offset == 0)
			return vg_error_set(err, -EBADMSG,
					    "md superblock at sector %" PRIu64
					    ": feature_map has BAD_BLOCKS but bblog_offset is 0",
					    sector);
	}
	if ((sb->feature_map & MD_FEATURE_RAID0_LAYOUT) && sb->level != 0)
		return vg_error_set(err, -EBADMSG,
				    "md superblock at sector %" PRIu64
				    ": feature_map has RAID0_LAYOUT but level is %" PRId32,
				    sector, sb->level);

	if (ADD_OVERFLOWS(sb->data_offset_sectors, sb->data_size_sectors, &data_end))
		return vg_error_set(err, -EBADMSG,
				    "md superblock at sector %" PRIu64 ": data_offset %" PRIu64
				    " + data_size %" PRIu64 " overflows",
				    sector, sb->data_offset_sectors, sb->data_size_sectors);
	if (sb->version == MD_SUPER_1_0) {
		/* 1.0 keeps its data below the superblock. */
		if (data_end > sector)
			return vg_error_set(err, -EBADMSG,
					    "md superblock at sector %" PRIu64 ": data area (data_offset %" PRIu64
					    " + data_size %" PRIu64 " = %" PRIu64
					    " sectors) runs into the superblock",
					    sector, sb->data_offset_sectors, sb->data_size_sectors, data_end);
	} else if (data_end > device_sectors) {
		return vg_error_set(err, -EBADMSG,
				    "md superblock at sector %" PRIu64 ": device of %" PRIu64
				    " sectors is too small for data_offset %" PRIu64 " + data_size %" PRIu64
				    " = %" PRIu64 " sectors (truncated device?)",
				    sector, device_sectors, sb->data_offset_sectors, sb->data_size_sectors,
				    data_end);
	}
	return 0;
}

int md_super_decode_1(const uint8_t *buf, size_t len, uint64_t sector, uint64_t device_sectors,
		      struct md_super *ret_sb, struct vg_error *err)
{
	struct md_super sb;
	uint32_t magic, major;
	int r;

	magic = len >= 4 ? get_le32(buf + SB1_MAGIC) : 0;
	if (magic != MD_SB_MAGIC)
		return vg_error_set(err, -ENODATA,
				    "no md superblock at sector %" PRIu64 " (magic 0x%08" PRIx32
				    ", expected 0x%08x)",
				    sector, magic, MD_SB_MAGIC);
	if (len < SB1_DEV_ROLES)
		return vg_error_set(err, -EBADMSG,
				    "md superblock at sector %" PRIu64
				    ": only %zu bytes, a v1 superblock has at least %u",
				    sector, len, SB1_DEV_ROLES);
	major = get_le32(buf + SB1_MAJOR_VERSION);
	if (major != 1)
		return vg_error_set(err, -EPROTONOSUPPORT,
				    "md superblock at sector %" PRIu64 ": major_version %" PRIu32
				    " is not supported here (expected 1)",
				    sector, major);

	decode_fields_1(buf, len, sector, &sb);
	r = validate_1(buf, len, sector, device_sectors, &sb, err);
	/* Invalid but recognisable: hand it out anyway so examine can show what is there. */
	*ret_sb = sb;
	return r;
}

int md_super_encode_1(const struct md_super *sb, uint8_t *buf, size_t len, struct vg_error *err)
{
	size_t need;

	if (sb->max_dev > MD_SB_1_MAX_DEVS)
		return vg_error_set(err, -EINVAL, "max_dev %" PRIu32 " exceeds the limit of %u devices",
				    sb->max_dev, MD_SB_1_MAX_DEVS);
	need = md_super_1_bytes(sb->max_dev);
	if (len < need)
		return vg_error_set(err, -EINVAL,
				    "a superblock with max_dev %" PRIu32 " needs %zu bytes, the buffer has %zu",
				    sb->max_dev, need, len);

	memset(buf, 0, len);
	put_le32(buf + SB1_MAGIC, MD_SB_MAGIC);
	put_le32(buf + SB1_MAJOR_VERSION, 1);
	put_le32(buf + SB1_FEATURE_MAP, sb->feature_map);
	memcpy(buf + SB1_SET_UUID, sb->set_uuid, sizeof(sb->set_uuid));
	memcpy(buf + SB1_SET_NAME, sb->set_name, 32);
	put_le64(buf + SB1_CTIME, sb->ctime);
	put_le32(buf + SB1_LEVEL, (uint32_t)sb->level);
	put_le32(buf + SB1_LAYOUT, sb->layout);
	put_le64(buf + SB1_SIZE, sb->size_sectors);
	put_le32(buf + SB1_CHUNKSIZE, sb->chunk_sectors);
	put_le32(buf + SB1_RAID_DISKS, sb->raid_disks);
	put_le32(buf + SB1_BITMAP_OFFSET, (uint32_t)sb->bitmap_offset_sectors);
	put_le32(buf + SB1_NEW_LEVEL, sb->new_level);
	put_le64(buf + SB1_RESHAPE_POSITION, sb->reshape_position);
	put_le32(buf + SB1_DELTA_DISKS, sb->delta_disks);
	put_le32(buf + SB1_NEW_LAYOUT, sb->new_layout);
	put_le32(buf + SB1_NEW_CHUNK, sb->new_chunk);
	put_le32(buf + SB1_NEW_OFFSET, (uint32_t)sb->new_offset);
	put_le64(buf + SB1_DATA_OFFSET, sb->data_offset_sectors);
	put_le64(buf + SB1_DATA_SIZE, sb->data_size_sectors);
	put_le64(buf + SB1_SUPER_OFFSET, sb->super_offset_sectors);
	put_le64(buf + SB1_RECOVERY_OFFSET, sb->recovery_offset_sectors);
	put_le32(buf + SB1_DEV_NUMBER, sb->dev_number);
	put_le32(buf + SB1_CNT_CORRECTED_READ, sb->cnt_corrected_read);
	memcpy(buf + SB1_DEVICE_UUID, sb->device_uuid, sizeof(sb->device_uuid));
	buf[SB1_DEVFLAGS] = sb->devflags;
	buf[SB1_BBLOG_SHIFT] = sb->bblog_shift;
	put_le16(buf + SB1_BBLOG_SIZE, sb->bblog_size);
	put_le32(buf + SB1_BBLOG_OFFSET, (uint32_t)sb->bblog_offset);
	put_le64(buf + SB1_UTIME, sb->utime);
	put_le64(buf + SB1_EVENTS, sb->events);
	put_le64(buf + SB1_RESYNC_OFFSET, sb->resync_offset);
	put_le32(buf + SB1_MAX_DEV, sb->max_dev);
	memcpy(buf + SB1_PAD3, sb->pad3, sizeof(sb->pad3));
	for (uint32_t i = 0; i < sb->max_dev; i++)
		put_le16(buf + SB1_DEV_ROLES + 2 * (size_t)i, sb->dev_roles[i]);
	/* Last, over everything above with the checksum field still zero. */
	put_le32(buf + SB1_SB_CSUM, md_super_1_checksum(buf, sb->max_dev));
	return 0;
}

/* ---- probing ---- */

/*
 * Read and decode a v1 superblock at @sector. -ENODATA when the device is
 * too short to hold one there or there is no magic.
 */
static int probe_1_at(struct blockdev *dev, uint64_t sector, struct md_super *ret_sb,
		      struct vg_error *err)
{
	uint8_t buf[MD_SB_1_MAX_BYTES];
	uint64_t offset = sector * SECTOR_BYTES;
	size_t len;
	int r;

	if (offset >= dev->size_bytes)
		return -ENODATA;
	len = (size_t)MIN((uint64_t)sizeof(buf), dev->size_bytes - offset);
	r = blockdev_read(dev, offset, buf, len, err);
	if (r < 0)
		return r; /* blockdev's message names the device already */
	r = md_super_decode_1(buf, len, sector, dev->size_bytes / SECTOR_BYTES, ret_sb, err);
	if (r < 0 && r != -ENODATA)
		return vg_error_prefix(err, r, "%s: ", dev->path);
	return r;
}

static uint32_t get_u32_order(const uint8_t *p, bool big_endian)
{
	uint32_t v = get_le32(p);

	return big_endian ? __builtin_bswap32(v) : v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Where a 0.90 superblock lives on a device of @size_bytes; false when it cannot have one. */
static bool md_super_0_90_offset(uint64_t size_bytes, uint64_t *ret_offset)
{
	uint64_t aligned = size_bytes & ~(uint64_t)(MD_SB_0_90_RESERVED_BYTES - 1);

	if (aligned < MD_SB_0_90_RESERVED_BYTES)
		return false;
	*ret_offset = aligned - MD_SB_0_90_RESERVED_BYTES;
	return true;
}

/*
 * Recognise a 0.90 superblock. It is written in the byte order of the host
 * that made it, so the magic tells which order to read it in. Only what is
 * needed to name the array and compare freshness is filled in.
 */
static int probe_0_90(struct blockdev *dev, struct md_super *ret_sb, struct vg_error *err)
{
	uint8_t buf[MD_SB_0_90_BYTES];
	struct md_super sb;
	uint64_t offset, sector;
	bool big_endian;
	uint32_t major, uuid_word[4];
	int r;

	if (!md_super_0_90_offset(dev->size_bytes, &offset))
		return -ENODATA;
	sector = offset / SECTOR_BYTES;
	r = blockdev_read(dev, offset, buf, sizeof(buf), err);
	if (r < 0)
		return r;
	if (get_le32(buf + SB0_MAGIC) == MD_SB_MAGIC)
		big_endian = false;
	else if (get_le32(buf + SB0_MAGIC) == __builtin_bswap32(MD_SB_MAGIC))
		big_endian = true;
	else
		return -ENODATA;
	major = get_u32_order(buf + SB0_MAJOR_VERSION, big_endian);
	if (major != 0)
		return vg_error_set(err, -EPROTONOSUPPORT,
				    "%s: md superblock at sector %" PRIu64 " (the 0.90 location): major_version %" PRIu32
				    " is not 0",
				    dev->path, sector, major);

	memset(&sb, 0, sizeof(sb));
	sb.version = MD_SUPER_0_90;
	uuid_word[0] = get_u32_order(buf + SB0_SET_UUID0, big_endian);
	for (size_t i = 1; i < 4; i++)
		uuid_word[i] = get_u32_order(buf + SB0_SET_UUID1 + 4 * (i - 1), big_endian);
	/* mdadm prints 0.90 uuids as four host-order words; big-endian bytes print the same. */
	for (size_t i = 0; i < 4; i++)
		put_be32(sb.set_uuid + 4 * i, uuid_word[i]);
	sb.level = (int32_t)get_u32_order(buf + SB0_LEVEL, big_endian);
	sb.raid_disks = get_u32_order(buf + SB0_RAID_DISKS, big_endian);
	sb.size_sectors = (uint64_t)get_u32_order(buf + SB0_SIZE_KIB, big_endian) * 2;
	sb.ctime = get_u32_order(buf + SB0_CTIME, big_endian);
	sb.utime = get_u32_order(buf + SB0_UTIME, big_endian);
	/* events_lo/events_hi swap places with the host's order, so the pair reads as one u64. */
	sb.events = big_endian ? __builtin_bswap64(get_le64(buf + SB0_EVENTS)) : get_le64(buf + SB0_EVENTS);
	sb.resync_offset = (get_u32_order(buf + SB0_STATE, big_endian) & SB0_STATE_CLEAN) ? UINT64_MAX : 0;
	sb.super_offset_sectors = sector;
	*ret_sb = sb;
	return 0;
}

int md_super_probe(struct blockdev *dev, struct md_super *ret_sb, struct vg_error *err)
{
	uint64_t locations[3]; /* sectors to look at for v1; decoding names the version by place */
	size_t n_locations = 0;
	uint64_t device_sectors = dev->size_bytes / SECTOR_BYTES;
	uint64_t sector_0_90 = 0;
	struct md_super best, failed_sb, sb;
	bool have_best = false, failed_has_sb = false;
	struct vg_error failed_err = { 0 }, err_here = { 0 };
	int failed = 0, r;

	if (device_sectors < MD_SB_1_MIN_DEVICE_SECTORS)
		return vg_error_set(err, -ENODATA,
				    "%s: no md superblock found: the device has %" PRIu64
				    " sectors, an md superblock needs at least %u",
				    dev->path, device_sectors, MD_SB_1_MIN_DEVICE_SECTORS);

	/* On a 24..31-sector device 1.0 falls on sector 8; mdadm calls that 1.2, and so do we. */
	if (md_super_1_0_sector(device_sectors) > 8)
		locations[n_locations++] = md_super_1_0_sector(device_sectors);
	locations[n_locations++] = 0; /* 1.1 */
	locations[n_locations++] = 8; /* 1.2 */

	for (size_t i = 0; i < n_locations; i++) {
		vg_error_clear(&err_here);
		memset(&sb, 0, sizeof(sb)); /* so "decoded" below means version != MD_SUPER_NONE */
		r = probe_1_at(dev, locations[i], &sb, &err_here);
		if (r == 0) {
			/* Leftovers of an older array may linger elsewhere: the newest wins, as in mdadm. */
			if (!have_best || sb.ctime > best.ctime)
				best = sb;
			have_best = true;
		} else if (r != -ENODATA) {
			/* Keep the first complaint; a damaged superblock says more than an odd version. */
			if (!failed || (r == -EBADMSG && failed != -EBADMSG)) {
				failed = r;
				failed_err = err_here;
				failed_has_sb = r == -EBADMSG && sb.version != MD_SUPER_NONE;
				if (failed_has_sb)
					failed_sb = sb;
			}
		}
	}
	if (have_best) {
		*ret_sb = best;
		return 0;
	}

	vg_error_clear(&err_here);
	r = probe_0_90(dev, &sb, &err_here);
	if (r == 0) {
		*ret_sb = sb;
		return 0;
	}
	if (r != -ENODATA && !failed) {
		failed = r;
		failed_err = err_here;
	}

	if (failed) {
		if (failed_has_sb)
			*ret_sb = failed_sb;
		return vg_error_set(err, failed, "%s", failed_err.message);
	}

	if (!md_super_0_90_offset(dev->size_bytes, &sector_0_90))
		return vg_error_set(err, -ENODATA,
				    "%s: no md superblock found (looked for 1.0 at sector %" PRIu64
				    ", 1.1 at sector 0, 1.2 at sector 8; too small for 0.90)",
				    dev->path, md_super_1_0_sector(device_sectors));
	return vg_error_set(err, -ENODATA,
			    "%s: no md superblock found (looked for 1.0 at sector %" PRIu64
			    ", 1.1 at sector 0, 1.2 at sector 8, 0.90 at sector %" PRIu64 ")",
			    dev->path, md_super_1_0_sector(device_sectors), sector_0_90 / SECTOR_BYTES);
}

int md_super_write_1_0(struct blockdev *dev, const struct md_super *sb, struct vg_error *err)
{
	uint8_t buf[MD_SB_1_MAX_BYTES];
	uint64_t device_sectors = dev->size_bytes / SECTOR_BYTES;
	uint64_t sector;
	struct md_super check;
	int r;

	if (device_sectors < MD_SB_1_MIN_DEVICE_SECTORS)
		return vg_error_set(err, -ENOSPC,
				    "%s: the device has %" PRIu64 " sectors, an md superblock needs at least %u",
				    dev->path, device_sectors, MD_SB_1_MIN_DEVICE_SECTORS);
	sector = md_super_1_0_sector(device_sectors);
	if (sb->super_offset_sectors != sector)
		return vg_error_set(err, -EINVAL,
				    "%s: super_offset %" PRIu64 " is not where a 1.0 superblock lives on a device of %" PRIu64
				    " sectors (sector %" PRIu64 ")",
				    dev->path, sb->super_offset_sectors, device_sectors, sector);
	r = md_super_encode_1(sb, buf, sizeof(buf), err);
	if (r < 0)
		return vg_error_prefix(err, r, "%s: ", dev->path);
	/* Never put on disk what the kernel would refuse to read back. */
	r = md_super_decode_1(buf, sizeof(buf), sector, device_sectors, &check, err);
	if (r < 0) {
		/* The caller handed us a bad superblock: that is -EINVAL, whatever decoding calls it. */
		vg_error_prefix(err, r, "%s: refusing to write an invalid superblock: ", dev->path);
		if (err)
			err->code = -EINVAL;
		return -EINVAL;
	}
	if (check.version != MD_SUPER_1_0)
		return vg_error_set(err, -ENOSPC, "%s: the device of %" PRIu64 " sectors is too small for md 1.0",
				    dev->path, device_sectors);
	return blockdev_write(dev, sector * SECTOR_BYTES, buf, md_super_1_bytes(sb->max_dev), err);
}

/* ---- a fresh raid1 leg ---- */

/*
 * Sectors mdadm leaves for a write-intent bitmap it might add later: none on
 * tiny devices, 4 KiB normally, 64 KiB above 8 GiB, 128 KiB from 200 GiB.
 * Kept to 4 KiB multiples so 4K-sector devices stay aligned.
 */
static uint64_t md_bitmap_room_sectors(uint64_t sectors)
{
	const uint64_t gib = 2 * 1024 * 1024;

	if (sectors < 128)
		return 0;
	if (sectors - 128 >= 200 * gib)
		return 256;
	if (sectors - 8 > 8 * gib)
		return 128;
	return 8;
}

#define MD_BBLOG_SECTORS 8
/* mdadm rounds a raid1 component size down to 64 KiB so a later reshape to raid5 has whole chunks. */
#define MD_RAID1_SIZE_ALIGN_SECTORS 128

static int build_set_name(char ret_name[33], const char *name, const char *homehost, struct vg_error *err)
{
	char set_name[33] = { 0 };
	size_t name_len;

	if (!name || !*name)
		return vg_error_set(err, -EINVAL, "the array needs a name");
	name_len = strlen(name);
	/* "homehost:name" when it fits the 32-byte field with room for its NUL, as mdadm does. */
	if (homehost && *homehost && !strchr(name, ':') && strlen(homehost) + 1 + name_len < 32) {
		size_t host_len = strlen(homehost);

		memcpy(set_name, homehost, host_len);
		set_name[host_len] = ':';
		memcpy(set_name + host_len + 1, name, name_len);
	} else if (name_len <= 32)
		memcpy(set_name, name, name_len);
	else
		return vg_error_set(err, -EINVAL, "array name \"%s\" is longer than 32 bytes", name);
	memcpy(ret_name, set_name, sizeof(set_name));
	return 0;
}

static bool role_valid(uint16_t role, uint32_t raid_disks)
{
	return role < raid_disks || role == MD_ROLE_SPARE || role == MD_ROLE_FAULTY;
}

int md_super_init_raid1_leg(struct md_super *ret_sb, const struct md_raid1_leg_params *p,
			    struct vg_error *err)
{
	struct md_super sb;
	uint64_t n = p->device_sectors, sb_sector, size, reserved;
	uint32_t devices;
	int r;

	memset(&sb, 0, sizeof(sb));
	if (p->raid_disks < 1 || p->raid_disks > MD_SB_1_MAX_DEVS)
		return vg_error_set(err, -EINVAL, "raid_disks %" PRIu32 " is outside 1..%u", p->raid_disks,
				    MD_SB_1_MAX_DEVS);
	if (!role_valid(p->role, p->raid_disks))
		return vg_error_set(err, -EINVAL,
				    "role %" PRIu16 " is neither a slot below raid_disks %" PRIu32 " nor spare or faulty",
				    p->role, p->raid_disks);
	if (p->dev_roles_count > MD_SB_1_MAX_DEVS || (p->dev_roles_count && !p->dev_roles))
		return vg_error_set(err, -EINVAL, "dev_roles: %" PRIu32 " roles given, at most %u fit",
				    p->dev_roles_count, MD_SB_1_MAX_DEVS);
	if (p->dev_number >= MD_SB_1_MAX_DEVS)
		return vg_error_set(err, -EINVAL, "dev_number %" PRIu32 " is not below %u", p->dev_number,
				    MD_SB_1_MAX_DEVS);
	r = build_set_name(sb.set_name, p->name, p->homehost, err);
	if (r < 0)
		return r;

	/* Room for every device of the set, never less than mdadm's 128 slots. */
	devices = MAX(p->raid_disks, MAX(p->dev_roles_count, p->dev_number + 1));
	sb.max_dev = (uint32_t)((md_super_1_bytes(devices) - SB1_DEV_ROLES) / 2);
	if (sb.max_dev > MD_SB_1_MAX_DEVS)
		sb.max_dev = MD_SB_1_MAX_DEVS;
	/* Only the slots on disk: past max_dev the struct stays zero, as decoding leaves it. */
	for (uint32_t i = 0; i < sb.max_dev; i++)
		sb.dev_roles[i] = MD_ROLE_SPARE;
	if (p->dev_roles) {
		for (uint32_t i = 0; i < p->dev_roles_count; i++) {
			if (!role_valid(p->dev_roles[i], p->raid_disks))
				return vg_error_set(err, -EINVAL,
						    "dev_roles[%" PRIu32 "] = %" PRIu16
						    " is neither a slot below raid_disks %" PRIu32 " nor spare or faulty",
						    i, p->dev_roles[i], p->raid_disks);
			sb.dev_roles[i] = p->dev_roles[i];
		}
	} else {
		for (uint32_t i = 0; i < p->raid_disks; i++)
			sb.dev_roles[i] = (uint16_t)i;
	}
	sb.dev_roles[p->dev_number] = p->role;

	if (n < MD_SB_1_MIN_DEVICE_SECTORS)
		return vg_error_set(err, -ENOSPC,
				    "the device has %" PRIu64 " sectors, an md superblock needs at least %u", n,
				    MD_SB_1_MIN_DEVICE_SECTORS);
	sb_sector = md_super_1_0_sector(n);

	size = p->array_size_sectors;
	if (size == 0) {
		/* mdadm's default: what is left below superblock, log and bitmap room, in 64 KiB steps. */
		uint64_t overhead = 16 + MD_BBLOG_SECTORS + md_bitmap_room_sectors(n);
		uint64_t whole = n & ~(uint64_t)7;

		size = whole > overhead ? ROUND_DOWN(whole - overhead, MD_RAID1_SIZE_ALIGN_SECTORS) : 0;
		if (size == 0)
			return vg_error_set(err, -ENOSPC,
					    "the device has %" PRIu64
					    " sectors, too few for a raid1 leg of at least 64 KiB",
					    n);
	}
	if (size > sb_sector)
		return vg_error_set(err, -ENOSPC,
				    "array size %" PRIu64 " sectors does not fit below the superblock at sector %" PRIu64
				    " of a %" PRIu64 "-sector device",
				    size, sb_sector, n);
	/* Bitmap room and bad-block log below the superblock, shrunk if the size leaves less. */
	reserved = md_bitmap_room_sectors(size) + MD_BBLOG_SECTORS;
	if (sb_sector - size < reserved)
		reserved = sb_sector - size;

	sb.version = MD_SUPER_1_0;
	memcpy(sb.set_uuid, p->set_uuid, sizeof(sb.set_uuid));
	sb.ctime = p->ctime ? p->ctime : (uint64_t)time(NULL) & ((UINT64_C(1) << 40) - 1);
	sb.utime = sb.ctime;
	sb.level = 1;
	sb.size_sectors = size;
	sb.raid_disks = p->raid_disks;
	sb.data_offset_sectors = 0;
	sb.data_size_sectors = sb_sector - reserved;
	sb.super_offset_sectors = sb_sector;
	sb.dev_number = p->dev_number;
	if (reserved >= MD_BBLOG_SECTORS) {
		sb.bblog_size = MD_BBLOG_SECTORS;
		sb.bblog_offset = -MD_BBLOG_SECTORS;
	}
	sb.events = p->events;
	sb.resync_offset = p->clean ? UINT64_MAX : 0;
	if (sb.data_size_sectors < 10)
		return vg_error_set(err, -ENOSPC,
				    "data_size %" PRIu64 " sectors is below md's minimum of 10 (device of %" PRIu64
				    " sectors)",
				    sb.data_size_sectors, n);

	if (p->device_uuid) {
		memcpy(sb.device_uuid, p->device_uuid, sizeof(sb.device_uuid));
	} else {
		r = random_bytes(sb.device_uuid, sizeof(sb.device_uuid));
		if (r < 0)
			return vg_error_set(err, r, "cannot get random bytes for the device uuid: %s",
					    strerror(-r));
	}

	*ret_sb = sb;
	return 0;
}

/* ---- small helpers ---- */

void md_uuid_format(const uint8_t uuid[16], char ret_text[36])
{
	static const char hex[] = "0123456789abcdef";
	char *out = ret_text;

	for (size_t i = 0; i < 16; i++) {
		if (i > 0 && i % 4 == 0)
			*out++ = ':';
		*out++ = hex[uuid[i] >> 4];
		*out++ = hex[uuid[i] & 0xf];
	}
	*out = '\0';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int md_uuid_parse(const char *text, uint8_t ret_uuid[16], struct vg_error *err)
{
	uint8_t uuid[16] = { 0 };
	size_t digits = 0;

	/* mdadm's separators are ':', but people paste '-', '.' and spaces too. */
	for (const char *p = text; *p; p++) {
		int v;

		if (*p == ':' || *p == '-' || *p == '.' || *p == ' ')
			continue;
		v = hex_value(*p);
		if (v < 0)
			return vg_error_set(err, -EINVAL, "invalid character '%c' in md uuid \"%.64s\"", *p, text);
		if (digits == 32)
			return vg_error_set(err, -EINVAL, "md uuid \"%.64s\" has more than 32 hex digits", text);
		uuid[digits / 2] |= (uint8_t)(v << (digits % 2 ? 0 : 4));
		digits++;
	}
	if (digits != 32)
		return vg_error_set(err, -EINVAL, "md uuid \"%.64s\" has %zu hex digits, not 32", text, digits);
	memcpy(ret_uuid, uuid, sizeof(uuid));
	return 0;
}

bool md_super_is_clean(const struct md_super *sb)
{
	return sb->resync_offset == UINT64_MAX;
}

uint16_t md_super_role(const struct md_super *sb)
{
	if (sb->dev_number >= sb->max_dev || sb->dev_number >= MD_SB_1_MAX_DEVS)
		return MD_ROLE_SPARE;
	return sb->dev_roles[sb->dev_number];
}

const char *md_super_version_name(enum md_super_version version)
{
	switch (version) {
	case MD_SUPER_NONE:
		return "none";
	case MD_SUPER_0_90:
		return "0.90";
	case MD_SUPER_1_0:
		return "1.0";
	case MD_SUPER_1_1:
		return "1.1";
	case MD_SUPER_1_2:
		return "1.2";
	}
	return "unknown";
}
