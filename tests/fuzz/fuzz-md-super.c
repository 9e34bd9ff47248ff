/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer harness for the md superblock reader. Every input is tried two
 * ways: as the bytes of one v1 superblock (md_super_decode_1) and as a whole
 * small device (md_super_probe on a memory blockdev, so the 1.0, 1.1, 1.2
 * and 0.90 locations are all looked at). Whatever decodes cleanly must
 * survive encode -> decode unchanged, field for field; anything else is a
 * bug and aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "endian-le.h"
#include "md-super.h"

/* Probing reads near both ends; a megabyte covers every layout without slowing the fuzzer. */
#define FUZZ_MAX_DEVICE_BYTES (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Field by field: struct assignment need not copy padding, so memcmp could lie. */
static bool md_super_equal(const struct md_super *a, const struct md_super *b)
{
#define SAME(field) (a->field == b->field)
#define SAME_BYTES(field) (memcmp(a->field, b->field, sizeof(a->field)) == 0)
	if (!(SAME(version) && SAME(feature_map) && SAME_BYTES(set_uuid) && SAME_BYTES(set_name) &&
	      SAME(ctime) && SAME(level) && SAME(layout) && SAME(size_sectors) && SAME(chunk_sectors) &&
	      SAME(raid_disks) && SAME(bitmap_offset_sectors) && SAME(new_level) && SAME(reshape_position) &&
	      SAME(delta_disks) && SAME(new_layout) && SAME(new_chunk) && SAME(new_offset) &&
	      SAME(data_offset_sectors) && SAME(data_size_sectors) && SAME(super_offset_sectors) &&
	      SAME(recovery_offset_sectors) && SAME(dev_number) && SAME(cnt_corrected_read) &&
	      SAME_BYTES(device_uuid) && SAME(devflags) && SAME(bblog_shift) && SAME(bblog_size) &&
	      SAME(bblog_offset) && SAME(utime) && SAME(events) && SAME(resync_offset) && SAME(sb_csum) &&
	      SAME(max_dev) && SAME_BYTES(pad3)))
		return false;
	return memcmp(a->dev_roles, b->dev_roles, sizeof(a->dev_roles)) == 0;
#undef SAME
#undef SAME_BYTES
}

static void check_round_trip(const struct md_super *sb, uint64_t sector, uint64_t device_sectors)
{
	uint8_t buf[MD_SB_1_MAX_BYTES];
	struct md_super again;
	struct vg_error err = { 0 };

	/* A valid superblock always re-encodes and re-validates, to the same fields. */
	if (md_super_encode_1(sb, buf, sizeof(buf), &err) < 0) {
		fprintf(stderr, "encode failed: %s\n", err.message);
		abort();
	}
	if (md_super_decode_1(buf, sizeof(buf), sector, device_sectors, &again, &err) != 0) {
		fprintf(stderr, "re-decode failed: %s\n", err.message);
		abort();
	}
	if (!md_super_equal(sb, &again)) {
		fprintf(stderr, "decode(encode(x)) != x\n");
		abort();
	}
	/* The helpers must cope with anything that validated. */
	(void)md_super_role(sb);
	(void)md_super_is_clean(sb);
	(void)md_super_version_name(sb->version);
}

static void fuzz_decode(const uint8_t *data, size_t size, uint64_t sector, uint64_t device_sectors)
{
	struct md_super sb;
	struct vg_error err = { 0 };
	int r;

	r = md_super_decode_1(data, size, sector, device_sectors, &sb, &err);
	if (r == 0)
		check_round_trip(&sb, sector, device_sectors);
	else if (err.code != r || err.message[0] == '\0')
		abort(); /* every failure must say why */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(blockdev_closep) struct blockdev *dev = NULL;
	struct vg_error err = { 0 };
	struct md_super sb;
	uint64_t sector = 0;
	size_t device_bytes = size < FUZZ_MAX_DEVICE_BYTES ? size : FUZZ_MAX_DEVICE_BYTES;
	int r;

	/* Take the location from the superblock itself so the checks past super_offset get reached. */
	if (size >= 152)
		sector = get_le64(data + 144);
	fuzz_decode(data, size, sector, sector + 16);
	fuzz_decode(data, size, sector, UINT64_MAX);

	/*
	 * Again with a correct checksum, or the fuzzer rarely gets past it to
	 * the checks that follow.
	 */
	if (size >= 256 && size <= MD_SB_1_MAX_BYTES && get_le32(data + 220) <= MD_SB_1_MAX_DEVS &&
	    256 + 2 * (size_t)get_le32(data + 220) <= size) {
		uint8_t sealed[MD_SB_1_MAX_BYTES];

		memcpy(sealed, data, size);
		put_le32(sealed + 216, md_super_1_checksum(sealed, get_le32(sealed + 220)));
		fuzz_decode(sealed, size, sector, sector + 16);
		fuzz_decode(sealed, size, sector, UINT64_MAX);
	}

	if (blockdev_open_memory("fuzz", device_bytes, 512, NULL, &dev) < 0)
		return 0;
	if (device_bytes)
		memcpy(blockdev_memory_bytes(dev), data, device_bytes);
	r = md_super_probe(dev, &sb, &err);
	if (r < 0 && (err.code != r || err.message[0] == '\0'))
		abort();
	if (r == 0 && sb.version != MD_SUPER_0_90)
		check_round_trip(&sb, sb.super_offset_sectors, dev->size_bytes / 512);
	return 0;
}
