/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of mdraid/md-bitmap: mdadm's room and chunk choices worked out
 * by hand, the 1.0 layout (-16 sectors for small arrays, larger areas for
 * multi-terabyte ones), the header's byte map and the kernel's checks, and
 * the I/O on memory devices: a fresh all-ones bitmap, header rewrites that
 * keep the bits, copies, dirty marking and counting.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "endian-le.h"
#include "md-bitmap.h"

#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)
#define TIB (UINT64_C(1) << 40)

static const uint8_t test_uuid[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

static void test_space_and_bits(void **state)
{
	/* choose_bm_space: nothing under 64 sectors of room, then 4 KiB, 64 KiB above 8 GiB, 128 KiB from 200 GiB. */
	assert_int_equal(md_bitmap_space_sectors(127), 0);
	assert_int_equal(md_bitmap_space_sectors(128), 8);
	assert_int_equal(md_bitmap_space_sectors(8 * GIB / 512 + 8), 8);
	assert_int_equal(md_bitmap_space_sectors(8 * GIB / 512 + 9), 128);
	assert_int_equal(md_bitmap_space_sectors(200 * GIB / 512 + 127), 128);
	assert_int_equal(md_bitmap_space_sectors(200 * GIB / 512 + 128), 256);

	assert_int_equal(md_bitmap_bits(130944, 64 * MIB), 1);
	assert_int_equal(md_bitmap_bits(131072, 64 * MIB), 1);
	assert_int_equal(md_bitmap_bits(131073, 64 * MIB), 2);
	assert_int_equal(md_bitmap_bits(0, 64 * MIB), 0);
	assert_int_equal(md_bitmap_bits(100, 100), 0); /* nonsense chunk */
	/* 256-byte header + 1 bit, rounded to 4 KiB; 32768 bits = 4096 bytes spill into a second block. */
	assert_int_equal(md_bitmap_area_bytes(130944, 64 * MIB), 4096);
	assert_int_equal(md_bitmap_area_bytes(32768 * 8, 4096), 8192);
}

static void test_choose_chunk(void **state)
{
	struct vg_error err = { 0 };
	uint32_t chunk = 0;

	/* Small arrays: the bits would fit 4 KiB chunks, but mdadm never goes below 64 MiB. */
	assert_int_equal(md_bitmap_choose_chunk(130944, 8, &chunk, &err), 0);
	assert_int_equal(chunk, 64 * MIB);

	/*
	 * 128 TiB = 2^38 sectors in 128 KiB of room: max_bits = (131072 - 256) * 8
	 * = 1046528; bits start at 2^35 + 1 and halve to 2^19 + 1 after 16
	 * doublings, so the chunk is 4 KiB << 16 = 256 MiB.
	 */
	assert_int_equal(md_bitmap_choose_chunk(UINT64_C(1) << 38, 256, &chunk, &err), 0);
	assert_int_equal(chunk, 256 * MIB);
	/* More room than 128 KiB is not used when mdadm picks the chunk itself. */
	assert_int_equal(md_bitmap_choose_chunk(UINT64_C(1) << 38, 4096, &chunk, &err), 0);
	assert_int_equal(chunk, 256 * MIB);

	chunk = 1;
	assert_int_equal(md_bitmap_choose_chunk(130944, 0, &chunk, &err), -ENOSPC);
	assert_int_equal(chunk, 1); /* untouched on failure */
	assert_non_null(strstr(err.message, "no room"));
	/* A chunk beyond 2 GiB does not fit the 32-bit field. */
	assert_int_equal(md_bitmap_choose_chunk(UINT64_MAX / 1024, 1, &chunk, &err), -EOVERFLOW);
}

static void test_layout_1_0(void **state)
{
	struct vg_error err = { 0 };
	uint64_t area = 0;
	uint32_t chunk = 0;
	int32_t offset = 0;

	/* FORMATS 6.3: a small 1.0 array shows "Internal Bitmap : -16 sectors from superblock". */
	assert_int_equal(md_bitmap_layout_1_0(130944, &chunk, &area, &offset, &err), 0);
	assert_int_equal(chunk, 64 * MIB);
	assert_int_equal(area, 8);
	assert_int_equal(offset, -16);

	/* 20 GiB: 128 sectors reserved, but 321 bits still fit one 4 KiB block. */
	assert_int_equal(md_bitmap_layout_1_0(20 * GIB / 512, &chunk, &area, &offset, &err), 0);
	assert_int_equal(chunk, 64 * MIB);
	assert_int_equal(offset, -16);

	/*
	 * 4 TiB = 2^33 sectors: 64 MiB chunks, 2^33 / 2^17 + 1 = 65537 bits =
	 * 8193 bytes + 256 header = three 4 KiB blocks, so 24 sectors and the
	 * bitmap starts 32 sectors below the superblock.
	 */
	assert_int_equal(md_bitmap_layout_1_0(4 * TIB / 512, &chunk, &area, &offset, &err), 0);
	assert_int_equal(chunk, 64 * MIB);
	assert_int_equal(area, 24);
	assert_int_equal(offset, -32);
}

static void test_encode_decode(void **state)
{
	uint8_t buf[MD_BITMAP_HEADER_BYTES];
	struct md_bitmap_super bm, back;
	struct vg_error err = { 0 };

	md_bitmap_init(&bm, test_uuid, 130944, 64 * MIB);
	assert_int_equal(bm.version, 4);
	assert_int_equal(bm.daemon_sleep_seconds, 5);
	assert_int_equal(bm.events, 0);
	bm.events = 0x1122334455667788;
	bm.events_cleared = 7;
	bm.state = MD_BITMAP_STATE_STALE;
	bm.write_behind = 3;
	bm.sectors_reserved = 9;
	bm.nodes = 0;
	strcpy(bm.cluster_name, "c");
	md_bitmap_encode(&bm, buf);

	/* The byte map of bitmap_super_t, little-endian. */
	assert_int_equal(get_le32(buf + 0), MD_BITMAP_MAGIC);
	assert_memory_equal(buf + 0, "bitm", 4);
	assert_int_equal(get_le32(buf + 4), 4);
	assert_memory_equal(buf + 8, test_uuid, 16);
	assert_true(get_le64(buf + 24) == 0x1122334455667788);
	assert_int_equal(get_le64(buf + 32), 7);
	assert_int_equal(get_le64(buf + 40), 130944);
	assert_int_equal(get_le32(buf + 48), MD_BITMAP_STATE_STALE);
	assert_int_equal(get_le32(buf + 52), 64 * MIB);
	assert_int_equal(get_le32(buf + 56), 5);
	assert_int_equal(get_le32(buf + 60), 3);
	assert_int_equal(get_le32(buf + 64), 9);
	assert_int_equal(buf[72], 'c');
	for (size_t i = 136; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);

	assert_int_equal(md_bitmap_decode(buf, sizeof(buf), &back, &err), 0);
	assert_memory_equal(&back, &bm, sizeof(bm));

	/* The kernel's refusals. */
	put_le32(buf + 4, 5);
	assert_int_equal(md_bitmap_decode(buf, sizeof(buf), &back, &err), -EPROTONOSUPPORT);
	put_le32(buf + 4, 3);
	assert_int_equal(md_bitmap_decode(buf, sizeof(buf), &back, &err), 0);
	put_le32(buf + 52, 3 * MIB);
	assert_int_equal(md_bitmap_decode(buf, sizeof(buf), &back, &err), -EBADMSG);
	assert_non_null(strstr(err.message, "power of two"));
	put_le32(buf + 52, 256);
	assert_int_equal(md_bitmap_decode(buf, sizeof(buf), &back, &err), -EBADMSG);
	put_le32(buf + 52, 64 * MIB);
	put_le32(buf + 56, 0);
	assert_int_equal(md_bitmap_decode(buf, sizeof(buf), &back, &err), -EBADMSG);
	assert_non_null(strstr(err.message, "daemon"));
	put_le32(buf + 0, 0);
	assert_int_equal(md_bitmap_decode(buf, sizeof(buf), &back, &err), -ENODATA);
	put_le32(buf + 0, MD_BITMAP_MAGIC);
	assert_int_equal(md_bitmap_decode(buf, 100, &back, &err), -EBADMSG);
}

/* A 4 MiB memory leg with a 1.0 superblock that has a bitmap 16 sectors below it. */
static struct blockdev *leg_with_bitmap(struct md_super *sb, uint64_t bytes)
{
	struct md_raid1_leg_params p = {
		.name = "md0",
		.raid_disks = 2,
		.device_sectors = bytes / 512,
		.clean = true,
		.ctime = 1700000000,
	};
	struct vg_error err = { 0 };
	struct blockdev *dev = NULL;

	memcpy(p.set_uuid, test_uuid, 16);
	assert_int_equal(blockdev_open_memory("leg", bytes, 512, NULL, &dev), 0);
	assert_int_equal(md_super_init_raid1_leg(sb, &p, &err), 0);
	sb->feature_map |= MD_FEATURE_BITMAP_OFFSET;
	sb->bitmap_offset_sectors = -16;
	return dev;
}

static void test_io(void **state)
{
	struct md_super sb, other_sb;
	struct md_bitmap_super bm, back;
	struct vg_error err = { 0 };
	struct blockdev *dev = leg_with_bitmap(&sb, 4 * MIB);
	struct blockdev *other = leg_with_bitmap(&other_sb, 4 * MIB);
	uint8_t *mem = blockdev_memory_bytes(dev);
	uint64_t offset = 0, dirty = 0;

	assert_int_equal(md_bitmap_offset_bytes(&sb, dev->size_bytes, &offset, &err), 0);
	assert_int_equal(offset, (sb.super_offset_sectors - 16) * 512);

	/* A fresh bitmap: header, then 0xff up to the 4 KiB boundary, nothing outside. */
	md_bitmap_init(&bm, test_uuid, 8064, 4096); /* 4 KiB chunks: 1008 bits */
	assert_int_equal(md_bitmap_write_new(dev, &sb, &bm, &err), 0);
	assert_int_equal(md_bitmap_read(dev, &sb, &back, &err), 0);
	assert_memory_equal(&back, &bm, sizeof(bm));
	for (size_t i = 256; i < 4096; i++)
		assert_int_equal(mem[offset + i], 0xff);
	assert_int_equal(mem[offset - 1], 0);
	assert_int_equal(mem[offset + 4096], 0);
	assert_int_equal(md_bitmap_count_dirty(dev, &sb, &bm, &dirty, &err), 0);
	assert_int_equal(dirty, 1008);

	/* Header rewrites keep the bits. */
	bm.events = 42;
	assert_int_equal(md_bitmap_write_header(dev, &sb, &bm, &err), 0);
	assert_int_equal(md_bitmap_read(dev, &sb, &back, &err), 0);
	assert_int_equal(back.events, 42);
	assert_int_equal(md_bitmap_count_dirty(dev, &sb, &bm, &dirty, &err), 0);
	assert_int_equal(dirty, 1008);

	/* Marking: clear the bits, then sectors 8..15 (chunk 1) and 100..200 (chunks 12..25). */
	memset(mem + offset + 256, 0, 4096 - 256);
	assert_int_equal(md_bitmap_mark_dirty(dev, &sb, &bm, 8, 8, &err), 0);
	assert_int_equal(md_bitmap_count_dirty(dev, &sb, &bm, &dirty, &err), 0);
	assert_int_equal(dirty, 1);
	assert_int_equal(mem[offset + 256], 0x02); /* bit 1, little-endian order */
	assert_int_equal(md_bitmap_mark_dirty(dev, &sb, &bm, 100, 101, &err), 0);
	assert_int_equal(md_bitmap_count_dirty(dev, &sb, &bm, &dirty, &err), 0);
	assert_int_equal(dirty, 1 + 14);
	assert_int_equal(md_bitmap_mark_dirty(dev, &sb, &bm, 8, 0, &err), 0);
	assert_int_equal(md_bitmap_mark_dirty(dev, &sb, &bm, 8064, 8, &err), -EINVAL);

	/* A copy carries the bits and takes the new events. */
	assert_int_equal(md_bitmap_copy(dev, &sb, other, &other_sb, 77, &err), 0);
	assert_int_equal(md_bitmap_read(other, &other_sb, &back, &err), 0);
	assert_int_equal(back.events, 77);
	assert_int_equal(md_bitmap_count_dirty(other, &other_sb, &back, &dirty, &err), 0);
	assert_int_equal(dirty, 15);

	/* Another array's bitmap is not ours. */
	other_sb.set_uuid[0] ^= 1;
	assert_int_equal(md_bitmap_read(other, &other_sb, &back, &err), -EBADMSG);
	assert_non_null(strstr(err.message, "another array"));
	/* No bitmap named; a bitmap offset outside the device; a bitmap running into the superblock. */
	sb.feature_map &= ~(uint32_t)MD_FEATURE_BITMAP_OFFSET;
	assert_int_equal(md_bitmap_read(dev, &sb, &back, &err), -ENODATA);
	sb.feature_map |= MD_FEATURE_BITMAP_OFFSET;
	sb.bitmap_offset_sectors = -(int32_t)sb.super_offset_sectors - 8;
	assert_int_equal(md_bitmap_read(dev, &sb, &back, &err), -EBADMSG);
	sb.bitmap_offset_sectors = -4;
	assert_int_equal(md_bitmap_write_new(dev, &sb, &bm, &err), -EINVAL);
	assert_non_null(strstr(err.message, "run into"));

	blockdev_close(dev);
	blockdev_close(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_space_and_bits),
		cmocka_unit_test(test_choose_chunk),
		cmocka_unit_test(test_layout_1_0),
		cmocka_unit_test(test_encode_decode),
		cmocka_unit_test(test_io),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
