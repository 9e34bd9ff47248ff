/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Linux md superblocks (FORMATS.md section 4). vgtool writes only version
 * 1.0 (at the end of the device, data from sector 0, so a single leg is a
 * readable PV); it recognises 1.1, 1.2 and 0.90 to report them and to keep
 * its hands off them.
 *
 * md_super_decode_1 / md_super_encode_1 are pure (bytes <-> struct);
 * md_super_probe / md_super_write_1_0 do the I/O through struct blockdev.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "blockdev.h"
#include "error.h"

#define MD_SB_MAGIC 0xa92b4efcu
#define MD_SB_1_MAX_BYTES 4096 /* 256 + 2 * 1920 rounded up to 512 */
#define MD_SB_1_MAX_DEVS 1920
#define MD_SB_1_MIN_DEVICE_SECTORS 24

#define MD_ROLE_SPARE 0xffffu
#define MD_ROLE_FAULTY 0xfffeu
#define MD_ROLE_JOURNAL 0xfffdu
#define MD_ROLE_MAX 0xff00u

enum {
	MD_FEATURE_BITMAP_OFFSET = 1u << 0,
	MD_FEATURE_RECOVERY_OFFSET = 1u << 1,
	MD_FEATURE_RESHAPE_ACTIVE = 1u << 2,
	MD_FEATURE_BAD_BLOCKS = 1u << 3,
	MD_FEATURE_REPLACEMENT = 1u << 4,
	MD_FEATURE_RESHAPE_BACKWARDS = 1u << 5,
	MD_FEATURE_NEW_OFFSET = 1u << 6,
	MD_FEATURE_RECOVERY_BITMAP = 1u << 7,
	MD_FEATURE_CLUSTERED = 1u << 8,
	MD_FEATURE_JOURNAL = 1u << 9,
	MD_FEATURE_PPL = 1u << 10,
	MD_FEATURE_MULTIPLE_PPLS = 1u << 11,
	MD_FEATURE_RAID0_LAYOUT = 1u << 12,
	MD_FEATURE_ALL = (1u << 13) - 1,
};

enum md_super_version {
	MD_SUPER_NONE = 0,
	MD_SUPER_0_90,
	MD_SUPER_1_0,
	MD_SUPER_1_1,
	MD_SUPER_1_2,
};

/* Every field of struct mdp_superblock_1, host-endian. */
struct md_super {
	enum md_super_version version;
	uint32_t feature_map;
	uint8_t set_uuid[16];
	char set_name[33]; /* NUL-terminated copy of the 32-byte field */
	uint64_t ctime;    /* raw: low 40 bits seconds, high 24 bits microseconds */
	int32_t level;
	uint32_t layout;
	uint64_t size_sectors; /* used component size */
	uint32_t chunk_sectors;
	uint32_t raid_disks;
	int32_t bitmap_offset_sectors; /* signed, relative to the superblock */
	uint32_t new_level;
	uint64_t reshape_position;
	uint32_t delta_disks;
	uint32_t new_layout;
	uint32_t new_chunk;
	int32_t new_offset;
	uint64_t data_offset_sectors;
	uint64_t data_size_sectors;
	uint64_t super_offset_sectors;
	uint64_t recovery_offset_sectors;
	uint32_t dev_number;
	uint32_t cnt_corrected_read;
	uint8_t device_uuid[16];
	uint8_t devflags;
	uint8_t bblog_shift;
	uint16_t bblog_size;
	int32_t bblog_offset;
	uint64_t utime;
	uint64_t events;
	uint64_t resync_offset; /* UINT64_MAX = clean */
	uint32_t sb_csum;       /* as read; recomputed on encode */
	uint32_t max_dev;
	uint8_t pad3[32];       /* tolerated non-zero on read (newer kernels use it), written as read */
	uint16_t dev_roles[MD_SB_1_MAX_DEVS];
};

/* Sector of the 1.0 superblock on a device of @device_sectors: (N - 16) & ~7. */
uint64_t md_super_1_0_sector(uint64_t device_sectors);

/* Bytes the superblock occupies on disk: round_up(256 + 2 * max_dev, 512). */
size_t md_super_1_bytes(uint32_t max_dev);

/* The v1 checksum over the first 256 + 2 * max_dev bytes of @buf, sb_csum taken as 0. */
uint32_t md_super_1_checksum(const uint8_t *buf, uint32_t max_dev);

/*
 * Decode and validate a v1 superblock found at @sector (the kernel's checks:
 * magic, major version 1, max_dev <= 1920, super_offset == @sector, known
 * feature bits, checksum, pad0, data_size >= 10, data area inside
 * @device_sectors). Returns 0; -ENODATA without the magic; -EBADMSG naming the
 * field that is wrong (the decoded struct is still filled where possible so
 * an examine can show it); -EPROTONOSUPPORT for major version != 1.
 */
int md_super_decode_1(const uint8_t *buf, size_t len, uint64_t sector, uint64_t device_sectors,
		      struct md_super *ret_sb, struct vg_error *err);

/* Encode with a fresh checksum into @buf (zeroed first, at least md_super_1_bytes()). */
int md_super_encode_1(const struct md_super *sb, uint8_t *buf, size_t len, struct vg_error *err);

/*
 * Look for a superblock of any version on @dev: 1.0 at the end, 1.1 at 0,
 * 1.2 at 4 KiB, 0.90 in the last 64 KiB-aligned 64 KiB. For 0.90 only the
 * version, set_uuid (its four words stored big-endian, so md_uuid_format
 * prints what mdadm prints), level, raid_disks, events, size, ctime, utime,
 * clean state and super_offset are filled. -ENODATA when
 * none; -EBADMSG when one is there but invalid (err says which and why).
 * Like md_super_decode_1, an invalid superblock (-EBADMSG) is still decoded
 * into *ret_sb so an examine can show it. A valid superblock wins over an
 * invalid one elsewhere; among valid v1 ones the newest ctime wins, as in
 * mdadm. -EPROTONOSUPPORT when only an unknown major version was seen;
 * I/O errors pass through.
 */
int md_super_probe(struct blockdev *dev, struct md_super *ret_sb, struct vg_error *err);

/* Write a 1.0 superblock at md_super_1_0_sector(dev). sb->super_offset_sectors must match. No flush. */
int md_super_write_1_0(struct blockdev *dev, const struct md_super *sb, struct vg_error *err);

/* "xxxxxxxx:xxxxxxxx:xxxxxxxx:xxxxxxxx" as mdadm prints array and device UUIDs. */
void md_uuid_format(const uint8_t uuid[16], char ret_text[36]);
int md_uuid_parse(const char *text, uint8_t ret_uuid[16], struct vg_error *err);

bool md_super_is_clean(const struct md_super *sb);
/* This device's role: dev_roles[dev_number], or MD_ROLE_SPARE when dev_number is past max_dev. */
uint16_t md_super_role(const struct md_super *sb);
const char *md_super_version_name(enum md_super_version version); /* "1.0", "0.90", ... */

/*
 * What md_super_init_raid1_leg needs to build one leg's 1.0 superblock.
 * dev_roles may be NULL: then slot i holds role i for i < raid_disks and
 * every other slot is unused (0xffff), which is how mdadm --create lays out a
 * fresh array. This device's own slot always gets @role.
 */
struct md_raid1_leg_params {
	uint8_t set_uuid[16];
	const char *name;     /* array name, e.g. "md0" */
	const char *homehost; /* NULL or "": set_name is just the name */
	uint32_t raid_disks;  /* >= 1 */
	uint32_t dev_number;  /* this device's slot into dev_roles */
	uint16_t role;        /* 0..raid_disks-1, MD_ROLE_SPARE or MD_ROLE_FAULTY */
	const uint16_t *dev_roles; /* dev_roles_count roles of the whole set, or NULL */
	uint32_t dev_roles_count;
	const uint8_t *device_uuid; /* 16 bytes, or NULL for a random one */
	uint64_t device_sectors;    /* size of this leg */
	uint64_t array_size_sectors; /* component size; 0 = what mdadm --create picks */
	bool clean;                 /* resync_offset all-ones, else 0 (kernel resyncs) */
	uint64_t events;
	uint64_t ctime; /* raw md time (seconds in the low 40 bits); 0 = now */
};

/*
 * Fill *ret_sb with a raid1 1.0 superblock for one leg, with the values
 * mdadm --create --metadata=1.0 --level=1 writes (FORMATS.md 4.3):
 * data_offset 0, bitmap room below the superblock as mdadm's
 * choose_bm_space, an 8-sector bad-block log just below the superblock,
 * data_size = super_offset - reserved, max_dev 128 (more for big sets),
 * utime = ctime. The default component size is mdadm's: the space left
 * after the superblock, bad-block log and bitmap room, rounded down to
 * 64 KiB. Returns 0; -EINVAL for inconsistent parameters; -ENOSPC when the
 * device is too small. *ret_sb is untouched on failure.
 */
int md_super_init_raid1_leg(struct md_super *ret_sb, const struct md_raid1_leg_params *params,
			    struct vg_error *err);
