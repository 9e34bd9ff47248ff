/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of mdraid/md-super: the v1 checksum against values worked out
 * by hand, the byte map of every field, each check the kernel makes (right
 * errno, message naming the field), where each version lives, probing on
 * memory devices and an image file, and fresh raid1 legs as mdadm makes them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "endian-le.h"
#include "md-super.h"

#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)

static const uint8_t test_uuid[16] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
				       0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10 };
static const uint8_t test_dev_uuid[16] = { 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
					   0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf };

#define assert_message_contains(err, text)                                                       \
	do {                                                                                     \
		if (!strstr((err)->message, (text)))                                             \
			fail_msg("message \"%s\" does not mention \"%s\"", (err)->message, (text)); \
	} while (0)

/* A clean two-leg raid1 leg superblock for a device of @sectors. */
static void make_leg(struct md_super *sb, uint64_t sectors, uint32_t dev_number)
{
	struct md_raid1_leg_params p = {
		.name = "md0",
		.homehost = "host",
		.raid_disks = 2,
		.dev_number = dev_number,
		.role = (uint16_t)dev_number,
		.device_uuid = test_dev_uuid,
		.device_sectors = sectors,
		.clean = true,
		.events = 42,
		.ctime = 1700000000,
	};
	struct vg_error err = { 0 };

	memcpy(p.set_uuid, test_uuid, 16);
	assert_int_equal(md_super_init_raid1_leg(sb, &p, &err), 0);
}

/* Turn a 1.0 leg into a 1.2 one: superblock at 4 KiB, data from 1 MiB. */
static void make_1_2(struct md_super *sb, uint64_t sectors)
{
	make_leg(sb, sectors, 0);
	sb->version = MD_SUPER_1_2;
	sb->super_offset_sectors = 8;
	sb->data_offset_sectors = 2048;
	sb->data_size_sectors = sectors - 2048;
	sb->size_sectors = sb->data_size_sectors;
	sb->bblog_offset = 8;
}

/* Re-seal @buf after a test changed a field, so only that change is judged. */
static void reseal(uint8_t *buf)
{
	/* An oversized max_dev is refused before the checksum matters; sum what the buffer holds. */
	uint32_t max_dev = MIN(get_le32(buf + 220), (uint32_t)MD_SB_1_MAX_DEVS);

	put_le32(buf + 216, md_super_1_checksum(buf, max_dev));
}

/* ---- checksum and location arithmetic ---- */

static void test_checksum_by_hand(void **state)
{
	uint8_t buf[1024] = { 0 };

	/* magic + major 1, max_dev 0: the sum is just those two words. */
	put_le32(buf + 0, MD_SB_MAGIC);
	put_le32(buf + 4, 1);
	assert_int_equal(md_super_1_checksum(buf, 0), 0xa92b4efdu);

	/* The stored checksum word counts as zero. */
	put_le32(buf + 216, 0xdeadbeef);
	assert_int_equal(md_super_1_checksum(buf, 0), 0xa92b4efdu);

	/*
	 * Carries fold back in: + 0xffffffff twice gives 0x2a92b4efb in 64
	 * bits; low 0xa92b4efb + high 0x2 = 0xa92b4efd.
	 */
	put_le32(buf + 8, 0xffffffff);
	put_le32(buf + 12, 0xffffffff);
	assert_int_equal(md_super_1_checksum(buf, 0), 0xa92b4efdu);
	put_le32(buf + 8, 0);
	put_le32(buf + 12, 0);

	/*
	 * Odd max_dev: 256 + 2 bytes, the last role added as a 16-bit word;
	 * the other half of that 32-bit word is not part of the superblock.
	 * 0xa92b4efd + max_dev 1 + role 0x1234 = 0xa92b6132.
	 */
	put_le32(buf + 220, 1);
	put_le16(buf + 256, 0x1234);
	put_le16(buf + 258, 0xffff);
	assert_int_equal(md_super_1_checksum(buf, 1), 0xa92b6132u);

	/*
	 * Even max_dev 2 takes both roles as one word, 0xffff1234:
	 * 0xa92b4efd + 2 + 0xffff1234 = 0x1a92a6133, folded 0xa92a6133 + 1.
	 */
	put_le32(buf + 220, 2);
	assert_int_equal(md_super_1_checksum(buf, 2), 0xa92a6134u);
}

static void test_locations(void **state)
{
	/* FORMATS 4.1: 70 MiB = 143360 sectors puts the 1.0 superblock at 143344. */
	assert_int_equal(md_super_1_0_sector(143360), 143344);
	assert_int_equal(md_super_1_0_sector(143361), 143344);
	assert_int_equal(md_super_1_0_sector(143367), 143344);
	assert_int_equal(md_super_1_0_sector(143368), 143352);
	assert_int_equal(md_super_1_0_sector(24), 8);
	assert_int_equal(md_super_1_0_sector(32), 16);
	assert_int_equal(md_super_1_0_sector(23), 0);
	assert_int_equal(md_super_1_0_sector(0), 0);

	assert_int_equal(md_super_1_bytes(0), 512);
	assert_int_equal(md_super_1_bytes(128), 512);
	assert_int_equal(md_super_1_bytes(129), 1024);
	assert_int_equal(md_super_1_bytes(1920), 4096);
}

/* ---- encode / decode ---- */

static void fill_every_field(struct md_super *sb)
{
	memset(sb, 0, sizeof(*sb));
	sb->version = MD_SUPER_1_0;
	sb->feature_map = MD_FEATURE_BITMAP_OFFSET | MD_FEATURE_RECOVERY_OFFSET | MD_FEATURE_BAD_BLOCKS;
	memcpy(sb->set_uuid, test_uuid, 16);
	memcpy(sb->set_name, "somehost:some-array-name-31byte", 31);
	sb->ctime = (UINT64_C(123456) << 40) | 1700000001;
	sb->level = 1;
	sb->layout = 0x01020304;
	sb->size_sectors = 0x10000;
	sb->chunk_sectors = 0x11;
	sb->raid_disks = 3;
	sb->bitmap_offset_sectors = -24;
	sb->new_level = 0x21;
	sb->reshape_position = 0x2223242526272829;
	sb->delta_disks = 0x31;
	sb->new_layout = 0x32;
	sb->new_chunk = 0x33;
	sb->new_offset = -77;
	sb->data_offset_sectors = 0x40;
	sb->data_size_sectors = 0x20000;
	sb->super_offset_sectors = 0x30000;
	sb->recovery_offset_sectors = 0x5152535455565758;
	sb->dev_number = 5;
	sb->cnt_corrected_read = 0x61;
	memcpy(sb->device_uuid, test_dev_uuid, 16);
	sb->devflags = 3;
	sb->bblog_shift = 2;
	sb->bblog_size = 8;
	sb->bblog_offset = -8;
	sb->utime = (UINT64_C(654321) << 40) | 1700000002;
	sb->events = 0x7172737475767778;
	sb->resync_offset = 0x8182838485868788;
	sb->max_dev = 131; /* odd, and more than fits in 512 bytes */
	for (size_t i = 0; i < sizeof(sb->pad3); i++)
		sb->pad3[i] = (uint8_t)(0x90 + i);
	for (uint32_t i = 0; i < sb->max_dev; i++)
		sb->dev_roles[i] = (uint16_t)(i * 7 + 1);
}

static void test_encode_byte_map(void **state)
{
	static const struct {
		size_t offset;
		unsigned width;
		uint64_t value;
	} expect[] = {
		{ 0, 4, MD_SB_MAGIC }, { 4, 4, 1 }, { 8, 4, 0xb }, { 12, 4, 0 },
		{ 64, 8, (UINT64_C(123456) << 40) | 1700000001 }, { 72, 4, 1 }, { 76, 4, 0x01020304 },
		{ 80, 8, 0x10000 }, { 88, 4, 0x11 }, { 92, 4, 3 }, { 96, 4, (uint32_t)-24 },
		{ 100, 4, 0x21 }, { 104, 8, 0x2223242526272829 }, { 112, 4, 0x31 }, { 116, 4, 0x32 },
		{ 120, 4, 0x33 }, { 124, 4, (uint32_t)-77 }, { 128, 8, 0x40 }, { 136, 8, 0x20000 },
		{ 144, 8, 0x30000 }, { 152, 8, 0x5152535455565758 }, { 160, 4, 5 }, { 164, 4, 0x61 },
		{ 184, 1, 3 }, { 185, 1, 2 }, { 186, 2, 8 }, { 188, 4, (uint32_t)-8 },
		{ 192, 8, (UINT64_C(654321) << 40) | 1700000002 }, { 200, 8, 0x7172737475767778 },
		{ 208, 8, 0x8182838485868788 }, { 220, 4, 131 }, { 224, 1, 0x90 }, { 255, 1, 0x90 + 31 },
		{ 256, 2, 1 }, { 258, 2, 8 }, { 256 + 2 * 130, 2, 130 * 7 + 1 }, { 256 + 2 * 131, 2, 0 },
	};
	uint8_t buf[MD_SB_1_MAX_BYTES];
	struct md_super sb;

	fill_every_field(&sb);
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(md_super_encode_1(&sb, buf, sizeof(buf), NULL), 0);
	for (size_t i = 0; i < ARRAY_SIZE(expect); i++) {
		uint64_t got = expect[i].width == 1 ? buf[expect[i].offset] :
			       expect[i].width == 2 ? get_le16(buf + expect[i].offset) :
			       expect[i].width == 4 ? get_le32(buf + expect[i].offset) :
						      get_le64(buf + expect[i].offset);
		if (got != expect[i].value)
			fail_msg("byte %zu: got 0x%llx, expected 0x%llx", expect[i].offset,
				 (unsigned long long)got, (unsigned long long)expect[i].value);
	}
	assert_memory_equal(buf + 16, test_uuid, 16);
	assert_memory_equal(buf + 32, "somehost:some-array-name-31byte\0", 32);
	assert_memory_equal(buf + 168, test_dev_uuid, 16);
	assert_int_equal(get_le32(buf + 216), md_super_1_checksum(buf, 131));
	/* Zeroed past the roles: the buffer was filled with 0xee before. */
	assert_int_equal(buf[md_super_1_bytes(131) - 1], 0);
	assert_int_equal(buf[sizeof(buf) - 1], 0);
}

static void test_round_trip_every_field(void **state)
{
	uint8_t buf[MD_SB_1_MAX_BYTES], again[MD_SB_1_MAX_BYTES];
	struct md_super sb, back;
	struct vg_error err = { 0 };

	fill_every_field(&sb);
	assert_int_equal(md_super_encode_1(&sb, buf, sizeof(buf), &err), 0);
	memset(&back, 0x5a, sizeof(back));
	assert_int_equal(md_super_decode_1(buf, sizeof(buf), 0x30000, 0x40000, &back, &err), 0);
	sb.sb_csum = get_le32(buf + 216);
	assert_memory_equal(&back, &sb, sizeof(sb));

	/* And back to the same bytes. */
	assert_int_equal(md_super_encode_1(&back, again, sizeof(again), &err), 0);
	assert_memory_equal(again, buf, sizeof(buf));
}

static void test_pad3_tolerated(void **state)
{
	uint8_t buf[MD_SB_1_MAX_BYTES];
	struct md_super sb, back;
	struct vg_error err = { 0 };

	/* Newer kernels store the logical block size in pad3; older ones refuse that. We read it. */
	make_leg(&sb, 143360, 0);
	assert_int_equal(md_super_encode_1(&sb, buf, sizeof(buf), &err), 0);
	put_le32(buf + 224, 4096);
	buf[255] = 1;
	reseal(buf);
	assert_int_equal(md_super_decode_1(buf, sizeof(buf), 143344, 143360, &back, &err), 0);
	assert_int_equal(get_le32(back.pad3), 4096);
	assert_int_equal(back.pad3[31], 1);
}

static void test_short_buffers(void **state)
{
	uint8_t buf[MD_SB_1_MAX_BYTES];
	struct md_super sb, back;
	struct vg_error err = { 0 };

	make_leg(&sb, 143360, 0);
	assert_int_equal(md_super_encode_1(&sb, buf, sizeof(buf), &err), 0);

	assert_int_equal(md_super_decode_1(buf, 3, 143344, 143360, &back, &err), -ENODATA);
	assert_int_equal(md_super_decode_1(buf, 100, 143344, 143360, &back, &err), -EBADMSG);
	assert_message_contains(&err, "only 100 bytes");
	/* 128 roles need 512 bytes. */
	assert_int_equal(md_super_decode_1(buf, 300, 143344, 143360, &back, &err), -EBADMSG);
	assert_message_contains(&err, "max_dev 128 needs 512 bytes but only 300");

	/* Encoding refuses a buffer that cannot hold the roles. */
	assert_int_equal(md_super_encode_1(&sb, buf, 511, &err), -EINVAL);
	assert_message_contains(&err, "needs 512 bytes");
	sb.max_dev = MD_SB_1_MAX_DEVS + 1;
	assert_int_equal(md_super_encode_1(&sb, buf, sizeof(buf), &err), -EINVAL);
	assert_message_contains(&err, "max_dev");
}

/* ---- validation: one bad field at a time ---- */

enum { LEG_SECTORS = 143360, LEG_SB = 143344 };

static void encode_leg(uint8_t *buf)
{
	struct md_super sb;

	make_leg(&sb, LEG_SECTORS, 0);
	assert_int_equal(md_super_encode_1(&sb, buf, MD_SB_1_MAX_BYTES, NULL), 0);
}

static void expect_refused(uint8_t *buf, uint64_t sector, uint64_t sectors, int code, const char *text)
{
	struct md_super sb;
	struct vg_error err = { 0 };

	memset(&sb, 0, sizeof(sb));
	assert_int_equal(md_super_decode_1(buf, MD_SB_1_MAX_BYTES, sector, sectors, &sb, &err), code);
	assert_int_equal(err.code, code);
	assert_message_contains(&err, text);
	if (code == -EBADMSG) {
		/* Still decoded, so examine can show what is there. */
		assert_int_equal(sb.version, sector <= 8 ? (sector <= 4 ? MD_SUPER_1_1 : MD_SUPER_1_2) : MD_SUPER_1_0);
		assert_memory_equal(sb.set_uuid, test_uuid, 16);
	}
}

static void test_refuses_bad_magic_and_version(void **state)
{
	uint8_t buf[MD_SB_1_MAX_BYTES];
	struct md_super sb, untouched;
	struct vg_error err = { 0 };

	encode_leg(buf);
	put_le32(buf, 0xa92b4efd);
	memset(&sb, 0x33, sizeof(sb));
	memcpy(&untouched, &sb, sizeof(sb));
	assert_int_equal(md_super_decode_1(buf, sizeof(buf), LEG_SB, LEG_SECTORS, &sb, &err), -ENODATA);
	assert_message_contains(&err, "no md superblock at sector 143344");
	assert_memory_equal(&sb, &untouched, sizeof(sb));

	encode_leg(buf);
	put_le32(buf + 4, 2);
	reseal(buf);
	assert_int_equal(md_super_decode_1(buf, sizeof(buf), LEG_SB, LEG_SECTORS, &sb, &err),
			 -EPROTONOSUPPORT);
	assert_message_contains(&err, "major_version 2");
	assert_memory_equal(&sb, &untouched, sizeof(sb));
}

static void test_refuses_bad_checksum(void **state)
{
	uint8_t buf[MD_SB_1_MAX_BYTES];
	struct vg_error err = { 0 };
	struct md_super sb;
	char expected[256];
	uint32_t good;

	encode_leg(buf);
	good = get_le32(buf + 216);
	put_le32(buf + 216, good ^ 0x100);
	assert_int_equal(md_super_decode_1(buf, sizeof(buf), LEG_SB, LEG_SECTORS, &sb, &err), -EBADMSG);
	snprintf(expected, sizeof(expected),
		 "md superblock at sector 143344: checksum 0x%08x does not match computed 0x%08x",
		 good ^ 0x100, good);
	assert_string_equal(err.message, expected);
	assert_int_equal(sb.sb_csum, good ^ 0x100);
	assert_int_equal(sb.events, 42);

	/* A changed byte anywhere in the roles is caught too. */
	encode_leg(buf);
	buf[256 + 2 * 100] ^= 1;
	expect_refused(buf, LEG_SB, LEG_SECTORS, -EBADMSG, "checksum");
}

static void test_refuses_each_field(void **state)
{
	uint8_t buf[MD_SB_1_MAX_BYTES];
	struct md_super sb;

	encode_leg(buf);
	put_le32(buf + 220, MD_SB_1_MAX_DEVS + 1);
	reseal(buf);
	expect_refused(buf, LEG_SB, LEG_SECTORS, -EBADMSG, "max_dev 1921 exceeds");

	encode_leg(buf);
	expect_refused(buf, LEG_SB + 8, LEG_SECTORS + 8, -EBADMSG, "super_offset 143344 does not match");

	encode_leg(buf);
	put_le32(buf + 8, 1u << 13);
	reseal(buf);
	expect_refused(buf, LEG_SB, LEG_SECTORS, -EBADMSG, "feature_map 0x2000 has unknown bits 0x2000");

	encode_leg(buf);
	put_le64(buf + 136, 9);
	reseal(buf);
	expect_refused(buf, LEG_SB, LEG_SECTORS, -EBADMSG, "data_size 9 is below");

	encode_leg(buf);
	put_le32(buf + 12, 7);
	reseal(buf);
	expect_refused(buf, LEG_SB, LEG_SECTORS, -EBADMSG, "pad0");

	encode_leg(buf);
	put_le64(buf + 136, LEG_SB + 1);
	reseal(buf);
	expect_refused(buf, LEG_SB, LEG_SECTORS, -EBADMSG, "runs into the superblock");

	encode_leg(buf);
	put_le64(buf + 128, UINT64_MAX - 5);
	reseal(buf);
	expect_refused(buf, LEG_SB, LEG_SECTORS, -EBADMSG, "overflows");

	encode_leg(buf);
	put_le32(buf + 8, MD_FEATURE_RAID0_LAYOUT);
	reseal(buf);
	expect_refused(buf, LEG_SB, LEG_SECTORS, -EBADMSG, "RAID0_LAYOUT but level is 1");

	encode_leg(buf);
	put_le32(buf + 8, MD_FEATURE_BAD_BLOCKS);
	put_le16(buf + 186, 9);
	reseal(buf);
	expect_refused(buf, LEG_SB, LEG_SECTORS, -EBADMSG, "bblog_size 9");

	encode_leg(buf);
	put_le32(buf + 8, MD_FEATURE_BAD_BLOCKS);
	put_le32(buf + 188, 0);
	reseal(buf);
	expect_refused(buf, LEG_SB, LEG_SECTORS, -EBADMSG, "bblog_offset is 0");

	/* 1.2: data must start after the superblock and end inside the device. */
	make_1_2(&sb, 8192);
	sb.data_offset_sectors = 8;
	assert_int_equal(md_super_encode_1(&sb, buf, sizeof(buf), NULL), 0);
	expect_refused(buf, 8, 8192, -EBADMSG, "data_offset 8 overlaps the superblock (sectors 8-8)");

	make_1_2(&sb, 8192);
	assert_int_equal(md_super_encode_1(&sb, buf, sizeof(buf), NULL), 0);
	assert_int_equal(md_super_decode_1(buf, sizeof(buf), 8, 8192, &sb, NULL), 0);
	expect_refused(buf, 8, 8191, -EBADMSG,
		       "device of 8191 sectors is too small for data_offset 2048 + data_size 6144");

	make_1_2(&sb, 8192);
	sb.feature_map = MD_FEATURE_RESHAPE_ACTIVE | MD_FEATURE_NEW_OFFSET;
	sb.new_offset = -2047;
	assert_int_equal(md_super_encode_1(&sb, buf, sizeof(buf), NULL), 0);
	expect_refused(buf, 8, 8192, -EBADMSG, "new_offset -2047");
	sb.new_offset = -2039;
	assert_int_equal(md_super_encode_1(&sb, buf, sizeof(buf), NULL), 0);
	assert_int_equal(md_super_decode_1(buf, sizeof(buf), 8, 8192, &sb, NULL), 0);

	/* Found by fuzzing: a data_offset above INT64_MAX once overflowed signed arithmetic here. */
	make_1_2(&sb, 8192);
	sb.feature_map = MD_FEATURE_RESHAPE_ACTIVE | MD_FEATURE_NEW_OFFSET;
	sb.data_offset_sectors = UINT64_MAX - 66;
	sb.new_offset = -1435694166;
	assert_int_equal(md_super_encode_1(&sb, buf, sizeof(buf), NULL), 0);
	expect_refused(buf, 8, 8192, -EBADMSG, "data_offset");
	sb.new_offset = 100;
	assert_int_equal(md_super_encode_1(&sb, buf, sizeof(buf), NULL), 0);
	expect_refused(buf, 8, 8192, -EBADMSG, "new_offset 100");
}

/* ---- fresh raid1 legs ---- */

static void test_init_like_mdadm(void **state)
{
	struct md_super sb;

	/*
	 * 70 MiB: superblock at 143344; mdadm's size is (143360 - 24 - 8)
	 * rounded down to 64 KiB = 143232; 4 KiB bitmap room + 8 sectors of
	 * bad-block log leave data_size 143328.
	 */
	make_leg(&sb, 143360, 1);
	assert_int_equal(sb.version, MD_SUPER_1_0);
	assert_int_equal(sb.super_offset_sectors, 143344);
	assert_int_equal(sb.data_offset_sectors, 0);
	assert_int_equal(sb.data_size_sectors, 143328);
	assert_int_equal(sb.size_sectors, 143232);
	assert_int_equal(sb.bblog_size, 8);
	assert_int_equal(sb.bblog_offset, -8);
	assert_int_equal(sb.max_dev, 128);
	assert_int_equal(sb.level, 1);
	assert_int_equal(sb.raid_disks, 2);
	assert_int_equal(sb.dev_number, 1);
	assert_int_equal(sb.dev_roles[0], 0);
	assert_int_equal(sb.dev_roles[1], 1);
	assert_int_equal(sb.dev_roles[2], MD_ROLE_SPARE);
	assert_int_equal(sb.dev_roles[127], MD_ROLE_SPARE);
	assert_int_equal(md_super_role(&sb), 1);
	assert_string_equal(sb.set_name, "host:md0");
	assert_int_equal(sb.ctime, 1700000000);
	assert_int_equal(sb.utime, 1700000000);
	assert_int_equal(sb.events, 42);
	assert_true(md_super_is_clean(&sb));
	assert_int_equal(sb.feature_map, 0);
	assert_memory_equal(sb.device_uuid, test_dev_uuid, 16);
}

static void test_init_bitmap_room_steps(void **state)
{
	struct md_super sb;

	/* Just over 8 GiB: 64 KiB bitmap room. */
	make_leg(&sb, 9 * GIB / 512, 0);
	assert_int_equal(sb.data_size_sectors, md_super_1_0_sector(9 * GIB / 512) - 128 - 8);
	/* 300 GiB: 128 KiB. */
	make_leg(&sb, 300 * GIB / 512, 0);
	assert_int_equal(sb.data_size_sectors, md_super_1_0_sector(300 * GIB / 512) - 256 - 8);
	assert_int_equal(sb.size_sectors % 128, 0);
	assert_true(sb.size_sectors <= sb.data_size_sectors);
}

static void test_init_parameters(void **state)
{
	struct md_raid1_leg_params p = {
		.name = "data",
		.raid_disks = 3,
		.dev_number = 3,
		.role = MD_ROLE_SPARE,
		.device_sectors = 100,
		.array_size_sectors = 60,
		.events = 7,
		.ctime = 5,
	};
	uint16_t roles[200];
	struct vg_error err = { 0 };
	struct md_super sb, a, b;

	memcpy(p.set_uuid, test_uuid, 16);
	/* 100 sectors: superblock at 80, no bitmap room below 128 sectors, only the log. */
	assert_int_equal(md_super_init_raid1_leg(&sb, &p, &err), 0);
	assert_int_equal(sb.super_offset_sectors, 80);
	assert_int_equal(sb.data_size_sectors, 72);
	assert_int_equal(sb.size_sectors, 60);
	assert_int_equal(sb.resync_offset, 0);
	assert_false(md_super_is_clean(&sb));
	assert_string_equal(sb.set_name, "data");
	assert_int_equal(md_super_role(&sb), MD_ROLE_SPARE);
	assert_int_equal(sb.dev_roles[2], 2);

	/* A size that leaves less than the log's 8 sectors: the log goes, the data stays. */
	p.array_size_sectors = 76;
	assert_int_equal(md_super_init_raid1_leg(&sb, &p, &err), 0);
	assert_int_equal(sb.data_size_sectors, 76);
	assert_int_equal(sb.bblog_size, 0);
	assert_int_equal(sb.bblog_offset, 0);

	/* Too big for the device, and mdadm's default size has no 64 KiB here. */
	p.array_size_sectors = 81;
	assert_int_equal(md_super_init_raid1_leg(&sb, &p, &err), -ENOSPC);
	assert_message_contains(&err, "array size 81");
	p.array_size_sectors = 0;
	assert_int_equal(md_super_init_raid1_leg(&sb, &p, &err), -ENOSPC);
	p.device_sectors = 20;
	assert_int_equal(md_super_init_raid1_leg(&sb, &p, &err), -ENOSPC);
	assert_message_contains(&err, "at least 24");
	p.device_sectors = 100;
	p.array_size_sectors = 60;

	/* Bad roles and names. */
	p.role = 3;
	assert_int_equal(md_super_init_raid1_leg(&sb, &p, &err), -EINVAL);
	assert_message_contains(&err, "role 3");
	p.role = MD_ROLE_FAULTY;
	p.raid_disks = 0;
	assert_int_equal(md_super_init_raid1_leg(&sb, &p, &err), -EINVAL);
	assert_message_contains(&err, "raid_disks 0");
	p.raid_disks = 3;
	p.name = "a-name-that-is-much-longer-than-32-bytes";
	assert_int_equal(md_super_init_raid1_leg(&sb, &p, &err), -EINVAL);
	assert_message_contains(&err, "longer than 32 bytes");
	/* homehost:name only when it fits; else the bare name, like mdadm. */
	p.name = "exactly-thirty-two-bytes-long-xx";
	p.homehost = "host";
	assert_int_equal(md_super_init_raid1_leg(&sb, &p, &err), 0);
	assert_string_equal(sb.set_name, "exactly-thirty-two-bytes-long-xx");
	p.name = "md9";
	assert_int_equal(md_super_init_raid1_leg(&sb, &p, &err), 0);
	assert_string_equal(sb.set_name, "host:md9");

	/* A big set gets more role slots; given roles are kept, faulty ones too. */
	for (size_t i = 0; i < ARRAY_SIZE(roles); i++)
		roles[i] = i < 3 ? (uint16_t)i : MD_ROLE_SPARE;
	roles[150] = MD_ROLE_FAULTY;
	p.dev_roles = roles;
	p.dev_roles_count = ARRAY_SIZE(roles);
	p.role = 1;
	p.dev_number = 1;
	assert_int_equal(md_super_init_raid1_leg(&sb, &p, &err), 0);
	assert_int_equal(sb.max_dev, 384);
	assert_int_equal(sb.dev_roles[150], MD_ROLE_FAULTY);
	assert_int_equal(sb.dev_roles[199], MD_ROLE_SPARE);
	roles[5] = 9;
	assert_int_equal(md_super_init_raid1_leg(&sb, &p, &err), -EINVAL);
	assert_message_contains(&err, "dev_roles[5] = 9");
	p.dev_roles = NULL;
	p.dev_roles_count = 0;

	/* No device uuid given: a random one per leg. */
	assert_int_equal(md_super_init_raid1_leg(&a, &p, &err), 0);
	assert_int_equal(md_super_init_raid1_leg(&b, &p, &err), 0);
	assert_memory_not_equal(a.device_uuid, b.device_uuid, 16);
	/* ctime 0 means now. */
	p.ctime = 0;
	assert_int_equal(md_super_init_raid1_leg(&a, &p, &err), 0);
	assert_true(a.ctime > 1700000000);
	assert_int_equal(a.utime, a.ctime);
}

/* ---- probing and writing ---- */

static struct blockdev *memory_dev(uint64_t bytes, struct blockdev_faults *faults)
{
	struct blockdev *dev = NULL;

	assert_int_equal(blockdev_open_memory("mem", bytes, 512, faults, &dev), 0);
	return dev;
}

static void put_sb_at(struct blockdev *dev, const struct md_super *sb)
{
	uint8_t buf[MD_SB_1_MAX_BYTES];

	assert_int_equal(md_super_encode_1(sb, buf, sizeof(buf), NULL), 0);
	assert_int_equal(blockdev_write(dev, sb->super_offset_sectors * 512, buf, md_super_1_bytes(sb->max_dev),
					NULL),
			 0);
}

static void test_probe_1_0(void **state)
{
	_cleanup_(blockdev_closep) struct blockdev *dev = memory_dev(MIB, NULL);
	struct vg_error err = { 0 };
	struct md_super sb, found;

	make_leg(&sb, MIB / 512, 1);
	assert_int_equal(md_super_write_1_0(dev, &sb, &err), 0);
	/* Exactly where FORMATS says: the magic 8 KiB before the end. */
	assert_int_equal(get_le32(blockdev_memory_bytes(dev) + MIB - 8192), MD_SB_MAGIC);
	assert_int_equal(md_super_probe(dev, &found, &err), 0);
	assert_int_equal(found.version, MD_SUPER_1_0);
	assert_string_equal(md_super_version_name(found.version), "1.0");
	sb.sb_csum = found.sb_csum;
	assert_memory_equal(&found, &sb, sizeof(sb));
}

static void test_probe_1_1_and_1_2(void **state)
{
	_cleanup_(blockdev_closep) struct blockdev *dev = memory_dev(4 * MIB, NULL);
	_cleanup_(blockdev_closep) struct blockdev *dev2 = memory_dev(4 * MIB, NULL);
	struct vg_error err = { 0 };
	struct md_super sb, found;

	make_1_2(&sb, 4 * MIB / 512);
	put_sb_at(dev, &sb);
	assert_int_equal(md_super_probe(dev, &found, &err), 0);
	assert_int_equal(found.version, MD_SUPER_1_2);
	assert_int_equal(found.data_offset_sectors, 2048);

	sb.super_offset_sectors = 0;
	put_sb_at(dev2, &sb);
	assert_int_equal(md_super_probe(dev2, &found, &err), 0);
	assert_int_equal(found.version, MD_SUPER_1_1);
	assert_string_equal(md_super_version_name(found.version), "1.1");
}

static void test_probe_prefers_valid_and_newest(void **state)
{
	_cleanup_(blockdev_closep) struct blockdev *dev = memory_dev(4 * MIB, NULL);
	struct vg_error err = { 0 };
	struct md_super leg, head, found;
	uint8_t *bytes = blockdev_memory_bytes(dev);

	/* A 1.2 head left from an older array and a newer 1.0 leg: the newer wins. */
	make_1_2(&head, 4 * MIB / 512);
	head.ctime = 1600000000;
	put_sb_at(dev, &head);
	make_leg(&leg, 4 * MIB / 512, 0);
	assert_int_equal(md_super_write_1_0(dev, &leg, &err), 0);
	assert_int_equal(md_super_probe(dev, &found, &err), 0);
	assert_int_equal(found.version, MD_SUPER_1_0);

	head.ctime = 1800000000;
	put_sb_at(dev, &head);
	assert_int_equal(md_super_probe(dev, &found, &err), 0);
	assert_int_equal(found.version, MD_SUPER_1_2);

	/* A valid superblock beats a damaged one. */
	bytes[4 * MIB - 8192 + 300] ^= 0xff;
	assert_int_equal(md_super_probe(dev, &found, &err), 0);
	assert_int_equal(found.version, MD_SUPER_1_2);

	/* Only the damaged one left: -EBADMSG, named, and still decoded. */
	bytes[8 * 512] = 0;
	memset(&found, 0, sizeof(found));
	assert_int_equal(md_super_probe(dev, &found, &err), -EBADMSG);
	assert_message_contains(&err, "mem: md superblock at sector 8176: checksum");
	assert_int_equal(found.version, MD_SUPER_1_0);
	assert_int_equal(found.events, 42);
}

static void test_probe_nothing_and_too_small(void **state)
{
	_cleanup_(blockdev_closep) struct blockdev *dev = memory_dev(MIB, NULL);
	_cleanup_(blockdev_closep) struct blockdev *tiny = memory_dev(23 * 512, NULL);
	_cleanup_(blockdev_closep) struct blockdev *small = memory_dev(24 * 512, NULL);
	struct vg_error err = { 0 };
	struct md_super found, untouched;

	memset(&found, 0x77, sizeof(found));
	memcpy(&untouched, &found, sizeof(found));
	assert_int_equal(md_super_probe(dev, &found, &err), -ENODATA);
	assert_string_equal(err.message, "mem: no md superblock found (looked for 1.0 at sector 2032, "
					 "1.1 at sector 0, 1.2 at sector 8, 0.90 at sector 1920)");
	assert_memory_equal(&found, &untouched, sizeof(found));

	assert_int_equal(md_super_probe(tiny, &found, &err), -ENODATA);
	assert_string_equal(err.message, "mem: no md superblock found: the device has 23 sectors, "
					 "an md superblock needs at least 24");
	assert_int_equal(md_super_probe(small, &found, &err), -ENODATA);
	assert_message_contains(&err, "too small for 0.90");
	assert_memory_equal(&found, &untouched, sizeof(found));
}

static void test_probe_truncated_1_2(void **state)
{
	_cleanup_(blockdev_closep) struct blockdev *dev = memory_dev(2 * MIB, NULL);
	struct vg_error err = { 0 };
	struct md_super sb, found;

	/* The superblock says the data runs to 4 MiB; the device has only 2. */
	make_1_2(&sb, 4 * MIB / 512);
	put_sb_at(dev, &sb);
	assert_int_equal(md_super_probe(dev, &found, &err), -EBADMSG);
	assert_message_contains(&err, "device of 4096 sectors is too small for data_offset 2048 + data_size 6144");
	assert_message_contains(&err, "truncated");
}

static void test_probe_io_error(void **state)
{
	struct blockdev_faults faults = { .fail_read_at = 1, .fail_read_errno = EIO };
	_cleanup_(blockdev_closep) struct blockdev *dev = memory_dev(MIB, &faults);
	struct vg_error err = { 0 };
	struct md_super found;

	assert_int_equal(md_super_probe(dev, &found, &err), -EIO);
	assert_message_contains(&err, "failed");
}

/* A 0.90 superblock as a host of the given byte order writes it. */
static void put_0_90(uint8_t *p, bool big_endian, uint64_t events, bool clean)
{
	static const uint32_t uuid_words[4] = { 0x11223344, 0x55667788, 0x99aabbcc, 0xddeeff00 };
	const struct {
		size_t offset;
		uint32_t value;
	} words[] = {
		{ 0, MD_SB_MAGIC }, { 4, 0 }, { 8, 90 }, { 20, uuid_words[0] }, { 24, 1500000000 },
		{ 28, 1 }, { 32, 1000 }, { 40, 2 }, { 52, uuid_words[1] }, { 56, uuid_words[2] },
		{ 60, uuid_words[3] }, { 128, 1500000100 }, { 132, clean ? 1 : 0 },
		/* events: on little-endian hosts the low word comes first. */
		{ 156, big_endian ? (uint32_t)(events >> 32) : (uint32_t)events },
		{ 160, big_endian ? (uint32_t)events : (uint32_t)(events >> 32) },
	};

	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		put_le32(p + words[i].offset, big_endian ? __builtin_bswap32(words[i].value) : words[i].value);
}

static void test_probe_0_90(void **state)
{
	/* 1 MiB + 5 KiB: the 0.90 superblock sits 64 KiB below the last 64 KiB boundary. */
	uint64_t size = MIB + 5 * 1024;
	_cleanup_(blockdev_closep) struct blockdev *le = memory_dev(size, NULL);
	_cleanup_(blockdev_closep) struct blockdev *be = memory_dev(size, NULL);
	struct vg_error err = { 0 };
	struct md_super found;
	char uuid[36];

	put_0_90(blockdev_memory_bytes(le) + MIB - 65536, false, UINT64_C(0x100000007), true);
	assert_int_equal(md_super_probe(le, &found, &err), 0);
	assert_int_equal(found.version, MD_SUPER_0_90);
	assert_string_equal(md_super_version_name(found.version), "0.90");
	md_uuid_format(found.set_uuid, uuid);
	assert_string_equal(uuid, "11223344:55667788:99aabbcc:ddeeff00");
	assert_int_equal(found.level, 1);
	assert_int_equal(found.raid_disks, 2);
	assert_int_equal(found.events, UINT64_C(0x100000007));
	assert_int_equal(found.super_offset_sectors, (MIB - 65536) / 512);
	assert_true(md_super_is_clean(&found));

	put_0_90(blockdev_memory_bytes(be) + MIB - 65536, true, UINT64_C(0x300000004), false);
	assert_int_equal(md_super_probe(be, &found, &err), 0);
	assert_int_equal(found.version, MD_SUPER_0_90);
	md_uuid_format(found.set_uuid, uuid);
	assert_string_equal(uuid, "11223344:55667788:99aabbcc:ddeeff00");
	assert_int_equal(found.events, UINT64_C(0x300000004));
	assert_int_equal(found.raid_disks, 2);
	assert_false(md_super_is_clean(&found));

	/* The right magic with another major version is not 0.90. */
	put_le32(blockdev_memory_bytes(le) + MIB - 65536 + 4, 1);
	assert_int_equal(md_super_probe(le, &found, &err), -EPROTONOSUPPORT);
	assert_message_contains(&err, "major_version 1 is not 0");
}

static void test_probe_0_90_at_start_of_64k_device(void **state)
{
	/* A 64 KiB device keeps its 0.90 superblock at byte 0, where 1.1 is also looked for. */
	_cleanup_(blockdev_closep) struct blockdev *dev = memory_dev(65536, NULL);
	struct vg_error err = { 0 };
	struct md_super found;

	put_0_90(blockdev_memory_bytes(dev), false, 3, true);
	assert_int_equal(md_super_probe(dev, &found, &err), 0);
	assert_int_equal(found.version, MD_SUPER_0_90);
	assert_int_equal(found.events, 3);
}

static void test_write_refusals(void **state)
{
	_cleanup_(blockdev_closep) struct blockdev *dev = memory_dev(MIB, NULL);
	_cleanup_(blockdev_closep) struct blockdev *tiny = memory_dev(20 * 512, NULL);
	struct vg_error err = { 0 };
	struct md_super sb;
	uint8_t zeros[4096] = { 0 };

	make_leg(&sb, MIB / 512, 0);
	sb.super_offset_sectors -= 8;
	assert_int_equal(md_super_write_1_0(dev, &sb, &err), -EINVAL);
	assert_message_contains(&err, "super_offset 2024 is not where a 1.0 superblock lives");

	make_leg(&sb, MIB / 512, 0);
	sb.data_size_sectors = sb.super_offset_sectors + 1;
	assert_int_equal(md_super_write_1_0(dev, &sb, &err), -EINVAL);
	assert_message_contains(&err, "refusing to write an invalid superblock");
	assert_message_contains(&err, "data_size");
	assert_memory_equal(blockdev_memory_bytes(dev) + MIB - 8192, zeros, sizeof(zeros));

	assert_int_equal(md_super_write_1_0(tiny, &sb, &err), -ENOSPC);
	assert_message_contains(&err, "20 sectors");

	make_leg(&sb, MIB / 512, 0);
	dev->read_only = true;
	assert_int_equal(md_super_write_1_0(dev, &sb, &err), -EROFS);
}

static void test_image_file(void **state)
{
	char path[] = "/tmp/vgtool-test-md-super-XXXXXX";
	_cleanup_(blockdev_closep) struct blockdev *dev = NULL;
	struct vg_error err = { 0 };
	struct md_super sb, found;
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 70 * MIB), 0);
	close(fd);

	assert_int_equal(blockdev_open(path, 0, &dev, &err), 0);
	make_leg(&sb, dev->size_bytes / 512, 0);
	assert_int_equal(md_super_write_1_0(dev, &sb, &err), 0);
	assert_int_equal(blockdev_flush(dev, &err), 0);
	dev = blockdev_close(dev);

	assert_int_equal(blockdev_open(path, BLOCKDEV_READ_ONLY, &dev, &err), 0);
	assert_int_equal(md_super_probe(dev, &found, &err), 0);
	assert_int_equal(found.super_offset_sectors, 143344);
	assert_int_equal(found.data_size_sectors, 143328);
	assert_string_equal(found.set_name, "host:md0");
	dev = blockdev_close(dev);

	/* Cut 4 KiB off the end: the superblock is gone from where 1.0 looks. */
	assert_int_equal(truncate(path, 70 * MIB - 4096), 0);
	assert_int_equal(blockdev_open(path, BLOCKDEV_READ_ONLY, &dev, &err), 0);
	assert_int_equal(md_super_probe(dev, &found, &err), -ENODATA);
	assert_message_contains(&err, "no md superblock found (looked for 1.0 at sector 143336");
	unlink(path);
}

/* ---- small helpers ---- */

static void test_uuid_text(void **state)
{
	uint8_t uuid[16];
	char text[36];
	struct vg_error err = { 0 };

	md_uuid_format(test_uuid, text);
	assert_string_equal(text, "01234567:89abcdef:fedcba98:76543210");
	assert_int_equal(md_uuid_parse(text, uuid, &err), 0);
	assert_memory_equal(uuid, test_uuid, 16);
	assert_int_equal(md_uuid_parse("01234567-89ABCDEF-fedcba98-76543210", uuid, &err), 0);
	assert_memory_equal(uuid, test_uuid, 16);

	memset(uuid, 0x55, sizeof(uuid));
	assert_int_equal(md_uuid_parse("01234567:89abcdef:fedcba98:7654321", uuid, &err), -EINVAL);
	assert_message_contains(&err, "31 hex digits");
	assert_int_equal(md_uuid_parse("01234567:89abcdef:fedcba98:765432100", uuid, &err), -EINVAL);
	assert_message_contains(&err, "more than 32");
	assert_int_equal(md_uuid_parse("0123456g:89abcdef:fedcba98:76543210", uuid, &err), -EINVAL);
	assert_message_contains(&err, "invalid character 'g'");
	assert_int_equal(uuid[0], 0x55);
}

static void test_role_clean_and_names(void **state)
{
	struct md_super sb;

	memset(&sb, 0, sizeof(sb));
	sb.max_dev = 4;
	sb.dev_number = 2;
	sb.dev_roles[2] = MD_ROLE_FAULTY;
	assert_int_equal(md_super_role(&sb), MD_ROLE_FAULTY);
	sb.dev_number = 4;
	sb.dev_roles[4] = 1;
	assert_int_equal(md_super_role(&sb), MD_ROLE_SPARE);
	sb.dev_number = 100000;
	sb.max_dev = UINT32_MAX;
	assert_int_equal(md_super_role(&sb), MD_ROLE_SPARE);

	sb.resync_offset = UINT64_MAX - 1;
	assert_false(md_super_is_clean(&sb));
	sb.resync_offset = UINT64_MAX;
	assert_true(md_super_is_clean(&sb));

	assert_string_equal(md_super_version_name(MD_SUPER_NONE), "none");
	assert_string_equal(md_super_version_name(MD_SUPER_1_2), "1.2");
	assert_string_equal(md_super_version_name((enum md_super_version)99), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checksum_by_hand),
		cmocka_unit_test(test_locations),
		cmocka_unit_test(test_encode_byte_map),
		cmocka_unit_test(test_round_trip_every_field),
		cmocka_unit_test(test_pad3_tolerated),
		cmocka_unit_test(test_short_buffers),
		cmocka_unit_test(test_refuses_bad_magic_and_version),
		cmocka_unit_test(test_refuses_bad_checksum),
		cmocka_unit_test(test_refuses_each_field),
		cmocka_unit_test(test_init_like_mdadm),
		cmocka_unit_test(test_init_bitmap_room_steps),
		cmocka_unit_test(test_init_parameters),
		cmocka_unit_test(test_probe_1_0),
		cmocka_unit_test(test_probe_1_1_and_1_2),
		cmocka_unit_test(test_probe_prefers_valid_and_newest),
		cmocka_unit_test(test_probe_nothing_and_too_small),
		cmocka_unit_test(test_probe_truncated_1_2),
		cmocka_unit_test(test_probe_io_error),
		cmocka_unit_test(test_probe_0_90),
		cmocka_unit_test(test_probe_0_90_at_start_of_64k_device),
		cmocka_unit_test(test_write_refusals),
		cmocka_unit_test(test_image_file),
		cmocka_unit_test(test_uuid_text),
		cmocka_unit_test(test_role_clean_and_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
