/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The PV label (lvm/pv-label.c): lvm2's exact byte map (FORMATS.md 1.6),
 * decoding of sectors that stock lvm2 2.03.16 wrote (tests/data/lvm2-pv-*.bin,
 * the first KiBs of loop devices after pvcreate/vgcreate), every validation
 * failure with its message, round trips, and the scan/write/wipe of sectors
 * 0-3 on memory devices.
 *
 * tests/data, made with stock lvm2 2.03.16 on 16 MiB loop devices:
 *   lvm2-pv-head.bin               first 8 KiB after pvcreate -u AAAAAA-bbbb-cccc-dddd-eeee-ffff-gggggg,
 *                                  vgcreate vg_test, lvcreate -an -Zn -n lv0 -L 4M (seqno 2)
 *   lvm2-pv-2mda-head.bin          first 8 KiB after pvcreate --pvmetadatacopies 2 (an orphan)
 *   lvm2-pv-2mda-mda2.bin          the 512 bytes at 15728640 of that device: the second header
 *   lvm2-pv-labelsector3-head.bin  first 8 KiB after pvcreate --labelsector 3 --metadatasize 32k
 *                                  --dataalignment 64k
 *   lvm2-pv-wrapped-head.bin       first 36 KiB (label and the whole 32 KiB area) after pvcreate
 *                                  --metadatasize 32k --dataalignment 4k, vgcreate -s 64k vg_wrap and
 *                                  12 x lvcreate -an -Zn -l 1: the committed copy (seqno 13) wraps
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "crc.h"
#include "endian-le.h"
#include "pv-label.h"

#define SECTOR PV_LABEL_SECTOR_BYTES

/* ---- helpers ---- */

/* Read tests/data/@name from the source tree (make check exports top_srcdir). */
static void *load_data(const char *name, size_t *ret_len)
{
	const char *top = getenv("top_srcdir");
	char path[4096];
	uint8_t *buf;
	long len;
	FILE *f;

	if (!top)
		top = ".";
	snprintf(path, sizeof(path), "%s/tests/data/%s", top, name);
	f = fopen(path, "rb");
	if (!f) {
		print_error("cannot open %s (is top_srcdir set?)\n", path);
		fail();
	}
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len > 0);
	rewind(f);
	buf = malloc((size_t)len);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	*ret_len = (size_t)len;
	return buf;
}

static struct blockdev *memory_dev_from(const void *bytes, size_t len, uint64_t size)
{
	struct blockdev *dev = NULL;

	assert_int_equal(blockdev_open_memory("mem", size, 512, NULL, &dev), 0);
	memcpy(blockdev_memory_bytes(dev), bytes, MIN(len, (size_t)size));
	return dev;
}

/* The label of a fresh PV in a VG, as in FORMATS.md 1.6. */
static struct pv_label default_label(void)
{
	struct pv_label label = {
		.sector = 1,
		.device_size_bytes = 16777216,
		.data_areas = { { 1048576, 0 } },
		.n_data_areas = 1,
		.metadata_areas = { { 4096, 1044480 } },
		.n_metadata_areas = 1,
		.ext_version = PV_EXT_VERSION,
		.ext_flags = PV_EXT_USED,
	};

	memcpy(label.pv_uuid, "AAAAAAbbbbccccddddeeeeffffgggggg", LVM_UUID_LEN + 1);
	return label;
}

static void assert_locns_equal(const struct disk_locn *a, const struct disk_locn *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(a[i].offset_bytes, b[i].offset_bytes);
		assert_int_equal(a[i].size_bytes, b[i].size_bytes);
	}
}

static void assert_labels_equal(const struct pv_label *a, const struct pv_label *b)
{
	assert_int_equal(a->sector, b->sector);
	assert_string_equal(a->pv_uuid, b->pv_uuid);
	assert_int_equal(a->device_size_bytes, b->device_size_bytes);
	assert_int_equal(a->n_data_areas, b->n_data_areas);
	assert_locns_equal(a->data_areas, b->data_areas, a->n_data_areas);
	assert_int_equal(a->n_metadata_areas, b->n_metadata_areas);
	assert_locns_equal(a->metadata_areas, b->metadata_areas, a->n_metadata_areas);
	assert_int_equal(a->ext_version, b->ext_version);
	assert_int_equal(a->ext_flags, b->ext_flags);
	assert_int_equal(a->n_bootloader_areas, b->n_bootloader_areas);
	assert_locns_equal(a->bootloader_areas, b->bootloader_areas, a->n_bootloader_areas);
}

/* After editing a sector by hand, make its CRC right again so only the edit is wrong. */
static void fix_crc(uint8_t *sector)
{
	put_le32(sector + 16, crc_lvm(LVM_CRC_INITIAL, sector + 20, SECTOR - 20));
}

static void assert_decode_fails(const uint8_t *sector, uint64_t sector_number, int code, const char *fragment)
{
	struct pv_label label;
	struct vg_error err = { 0 };

	assert_int_equal(pv_label_decode(sector, sector_number, &label, &err), code);
	assert_int_equal(err.code, code);
	if (!strstr(err.message, fragment)) {
		print_error("message \"%s\" lacks \"%s\"\n", err.message, fragment);
		fail();
	}
}

/* ---- the byte map ---- */

static void test_encode_golden_byte_map(void **state)
{
	struct pv_label label = default_label();
	struct vg_error err = { 0 };
	uint8_t sector[SECTOR];
	/* Offsets in the sector; on disk add 512 (label_header 512, pv_header 544, data locn 584, ...). */
	const size_t data_locn = 584 - 512, data_end = 600 - 512, mda_locn = 616 - 512, mda_end = 632 - 512,
		     ext = 648 - 512, boot_end = 656 - 512;

	memset(sector, 0xaa, sizeof(sector));
	assert_int_equal(pv_label_encode(&label, sector, &err), 0);

	assert_memory_equal(sector, "LABELONE", 8);
	assert_int_equal(get_le64(sector + 8), 1);
	assert_int_equal(get_le32(sector + 16), crc_lvm(LVM_CRC_INITIAL, sector + 20, SECTOR - 20));
	assert_int_equal(get_le32(sector + 20), 32);
	assert_memory_equal(sector + 24, "LVM2 001", 8);
	assert_memory_equal(sector + 32, "AAAAAAbbbbccccddddeeeeffffgggggg", 32);
	assert_int_equal(get_le64(sector + 64), 16777216);
	assert_int_equal(get_le64(sector + data_locn), 1048576);
	assert_int_equal(get_le64(sector + data_locn + 8), 0);
	assert_int_equal(get_le64(sector + data_end), 0);
	assert_int_equal(get_le64(sector + data_end + 8), 0);
	assert_int_equal(get_le64(sector + mda_locn), 4096);
	assert_int_equal(get_le64(sector + mda_locn + 8), 1044480);
	assert_int_equal(get_le64(sector + mda_end), 0);
	assert_int_equal(get_le64(sector + mda_end + 8), 0);
	assert_int_equal(get_le32(sector + ext), 2);
	assert_int_equal(get_le32(sector + ext + 4), 1);
	/* The bootloader terminator and everything after it is zero (the 0xaa fill is gone). */
	for (size_t i = boot_end; i < SECTOR; i++)
		assert_int_equal(sector[i], 0);
}

static void test_encode_reproduces_lvm2_sectors(void **state)
{
	static const struct {
		const char *file;
		uint64_t sector;
	} samples[] = {
		{ "lvm2-pv-head.bin", 1 },
		{ "lvm2-pv-2mda-head.bin", 1 },
		{ "lvm2-pv-labelsector3-head.bin", 3 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(samples); i++) {
		_cleanup_free_ uint8_t *data = NULL;
		struct vg_error err = { 0 };
		struct pv_label label;
		uint8_t sector[SECTOR];
		size_t len;

		data = load_data(samples[i].file, &len);
		assert_int_equal(
			pv_label_decode(data + samples[i].sector * SECTOR, samples[i].sector, &label, &err),
			0);
		assert_int_equal(pv_label_encode(&label, sector, &err), 0);
		/* Byte for byte what lvm2 wrote, CRC included. */
		assert_memory_equal(sector, data + samples[i].sector * SECTOR, SECTOR);
	}
}

/* ---- decoding what stock lvm2 wrote ---- */

static void test_decode_lvm2_pv_in_vg(void **state)
{
	_cleanup_free_ uint8_t *data = NULL;
	struct pv_label label, expected = default_label();
	struct vg_error err = { 0 };
	size_t len;

	data = load_data("lvm2-pv-head.bin", &len);
	assert_int_equal(pv_label_decode(data + SECTOR, 1, &label, &err), 0);
	assert_labels_equal(&label, &expected);
	assert_int_equal(get_le32(data + SECTOR + 16), 0xe0ebb235); /* as pvck --dump headers printed it */
}

static void test_decode_lvm2_orphan_with_two_mdas(void **state)
{
	_cleanup_free_ uint8_t *data = NULL;
	struct vg_error err = { 0 };
	struct pv_label label;
	size_t len;

	data = load_data("lvm2-pv-2mda-head.bin", &len);
	assert_int_equal(pv_label_decode(data + SECTOR, 1, &label, &err), 0);
	assert_string_equal(label.pv_uuid, "DOMrhD3PnD1oKZFRgkL2ZCAedpiY44uf");
	assert_int_equal(label.n_data_areas, 1);
	assert_int_equal(label.data_areas[0].offset_bytes, 1048576);
	assert_int_equal(label.n_metadata_areas, 2);
	assert_int_equal(label.metadata_areas[0].offset_bytes, 4096);
	assert_int_equal(label.metadata_areas[0].size_bytes, 1044480);
	assert_int_equal(label.metadata_areas[1].offset_bytes, 15728640);
	assert_int_equal(label.metadata_areas[1].size_bytes, 1048576);
	assert_int_equal(label.ext_version, 2);
	assert_int_equal(label.ext_flags, 0); /* an orphan: not used by a VG */
	assert_int_equal(label.n_bootloader_areas, 0);
}

static void test_read_lvm2_label_in_sector_3(void **state)
{
	_cleanup_(blockdev_closep) struct blockdev *dev = NULL;
	_cleanup_free_ uint8_t *data = NULL;
	struct vg_error err = { 0 };
	struct pv_label label;
	size_t len;

	data = load_data("lvm2-pv-labelsector3-head.bin", &len);
	dev = memory_dev_from(data, len, len);
	assert_int_equal(pv_label_read(dev, &label, &err), 0);
	assert_int_equal(label.sector, 3);
	assert_int_equal(label.data_areas[0].offset_bytes, 65536);
	assert_int_equal(label.metadata_areas[0].offset_bytes, 4096);
	assert_int_equal(label.metadata_areas[0].size_bytes, 61440);
	/* Found at sector 3, it is not a label of sector 2. */
	assert_decode_fails(data + 3 * SECTOR, 2, -EBADMSG, "label in sector 2: its sector field says 3");
}

/* ---- validation failures ---- */

static void encode_default(uint8_t sector[SECTOR])
{
	struct pv_label label = default_label();

	assert_int_equal(pv_label_encode(&label, sector, NULL), 0);
}

static void test_decode_no_signature(void **state)
{
	uint8_t sector[SECTOR] = { 0 };

	assert_decode_fails(sector, 0, -ENODATA, "sector 0: no LABELONE signature");
}

static void test_decode_crc_mismatch_names_values(void **state)
{
	uint8_t sector[SECTOR];
	uint32_t stored;
	char expected[128];

	encode_default(sector);
	stored = get_le32(sector + 16);
	sector[40] ^= 0x01; /* a flipped bit inside the PV uuid */
	snprintf(expected, sizeof(expected), "label in sector 1: CRC 0x%08x does not match computed 0x%08x",
		 stored, crc_lvm(LVM_CRC_INITIAL, sector + 20, SECTOR - 20));
	assert_decode_fails(sector, 1, -EBADMSG, expected);

	/* The CRC covers the last byte of the sector too. */
	encode_default(sector);
	sector[511] = 1;
	assert_decode_fails(sector, 1, -EBADMSG, "does not match computed");
	/* ... but not the bytes before byte 20 other than through the sector number check. */
	encode_default(sector);
	put_le32(sector + 16, 0);
	assert_decode_fails(sector, 1, -EBADMSG, "CRC 0x00000000");
}

static void test_decode_wrong_sector_number(void **state)
{
	uint8_t sector[SECTOR];

	encode_default(sector);
	assert_decode_fails(sector, 2, -EBADMSG, "label in sector 2: its sector field says 1");
}

static void test_decode_wrong_pv_header_offset(void **state)
{
	uint8_t sector[SECTOR];

	encode_default(sector);
	put_le32(sector + 20, 64);
	fix_crc(sector);
	assert_decode_fails(sector, 1, -EBADMSG, "pv_header offset is 64, expected 32");
}

static void test_decode_wrong_type(void **state)
{
	uint8_t sector[SECTOR];

	encode_default(sector);
	memcpy(sector + 24, "LVM1 001", 8);
	fix_crc(sector);
	assert_decode_fails(sector, 1, -EPROTONOSUPPORT, "type \"LVM1 001\" is not \"LVM2 001\"");
}

static void test_decode_invalid_uuid_character(void **state)
{
	uint8_t sector[SECTOR];

	encode_default(sector);
	sector[32 + 5] = '-';
	fix_crc(sector);
	assert_decode_fails(sector, 1, -EBADMSG, "invalid character 0x2d at position 5");
}

static void test_decode_needs_a_data_area(void **state)
{
	uint8_t sector[SECTOR];

	encode_default(sector);
	/* Remove the data area: the list now starts with its terminator. */
	memmove(sector + 72, sector + 88, SECTOR - 88);
	memset(sector + SECTOR - 16, 0, 16);
	fix_crc(sector);
	assert_decode_fails(sector, 1, -EBADMSG, "the data area list is empty");
}

static void test_decode_lists_must_end_inside_the_sector(void **state)
{
	uint8_t sector[SECTOR];

	/* A data area list without a terminator before byte 512. */
	encode_default(sector);
	for (size_t pos = 72; pos + 16 <= SECTOR; pos += 16) {
		put_le64(sector + pos, 1048576 + pos);
		put_le64(sector + pos + 8, 0);
	}
	fix_crc(sector);
	assert_decode_fails(sector, 1, -EBADMSG, "the data area list runs off the end of the sector");

	/* The same for the metadata area list, after one data area and its terminator. */
	encode_default(sector);
	for (size_t pos = 104; pos + 16 <= SECTOR; pos += 16) {
		put_le64(sector + pos, 4096 + pos);
		put_le64(sector + pos + 8, 512);
	}
	fix_crc(sector);
	assert_decode_fails(sector, 1, -EBADMSG, "the metadata area list runs off the end of the sector");

	/* And the bootloader list of a version-1 extension at byte 136. */
	encode_default(sector);
	for (size_t pos = 144; pos + 16 <= SECTOR; pos += 16)
		put_le64(sector + pos, 8192 + pos);
	fix_crc(sector);
	assert_decode_fails(sector, 1, -EBADMSG, "the bootloader area list runs off the end of the sector");
}

static void test_decode_without_extension(void **state)
{
	struct vg_error err = { 0 };
	struct pv_label label;
	uint8_t sector[SECTOR];

	/* A label from before the extension: zeros after the metadata area terminator. */
	encode_default(sector);
	memset(sector + 136, 0, 16);
	fix_crc(sector);
	assert_int_equal(pv_label_decode(sector, 1, &label, &err), 0);
	assert_int_equal(label.ext_version, 0);
	assert_int_equal(label.ext_flags, 0);
	assert_int_equal(label.n_bootloader_areas, 0);
	assert_int_equal(label.n_metadata_areas, 1);
}

static void test_decode_leaves_result_untouched_on_failure(void **state)
{
	struct pv_label label, before;
	uint8_t sector[SECTOR];

	memset(&label, 0x5a, sizeof(label));
	before = label;
	encode_default(sector);
	sector[100] ^= 0xff;
	assert_int_equal(pv_label_decode(sector, 1, &label, NULL), -EBADMSG);
	assert_memory_equal(&label, &before, sizeof(label));
}

/* ---- encoding refusals ---- */

static void assert_encode_fails(const struct pv_label *label, const char *fragment)
{
	struct vg_error err = { 0 };
	uint8_t sector[SECTOR];

	assert_int_equal(pv_label_encode(label, sector, &err), -EINVAL);
	if (!strstr(err.message, fragment)) {
		print_error("message \"%s\" lacks \"%s\"\n", err.message, fragment);
		fail();
	}
}

static void test_encode_refusals(void **state)
{
	struct pv_label label;

	label = default_label();
	label.n_data_areas = 0;
	assert_encode_fails(&label, "at least one data area");

	label = default_label();
	label.metadata_areas[0].offset_bytes = 0;
	assert_encode_fails(&label, "metadata area 0 has offset 0");

	label = default_label();
	label.pv_uuid[10] = '-';
	assert_encode_fails(&label, "invalid character at position 10");

	label = default_label();
	label.pv_uuid[31] = '\0';
	assert_encode_fails(&label, "is not 32 characters");

	label = default_label();
	label.ext_version = 0;
	label.bootloader_areas[0] = (struct disk_locn){ 8192, 4096 };
	label.n_bootloader_areas = 1;
	assert_encode_fails(&label, "bootloader areas need a pv_header extension");

	/* 72 + 16 * (20 + 1) + 16 * (5 + 1) + 8 + 16 = 528 bytes: one entry too many. */
	label = default_label();
	label.n_data_areas = 20;
	label.n_metadata_areas = 5;
	for (size_t i = 0; i < 20; i++)
		label.data_areas[i] = (struct disk_locn){ 1048576 * (i + 1), 0 };
	for (size_t i = 0; i < 5; i++)
		label.metadata_areas[i] = (struct disk_locn){ 4096 * (i + 1), 4096 };
	assert_encode_fails(&label, "more than one 512-byte sector");
	/* Without the extension's 24 bytes it fits: 72 + 16 * 27 = 504. */
	label.ext_version = 0;
	label.ext_flags = 0;
	{
		uint8_t sector[SECTOR];
		struct pv_label back;

		assert_int_equal(pv_label_encode(&label, sector, NULL), 0);
		assert_int_equal(pv_label_decode(sector, 1, &back, NULL), 0);
		assert_labels_equal(&back, &label);
	}
}

/* ---- round trips ---- */

static void test_round_trips(void **state)
{
	struct pv_label labels[4];

	labels[0] = default_label();

	labels[1] = default_label(); /* an orphan without metadata areas, label in sector 0 */
	labels[1].sector = 0;
	labels[1].n_metadata_areas = 0;
	labels[1].ext_flags = 0;

	labels[2] = default_label(); /* two mdas and bootloader areas, a newer extension version */
	labels[2].metadata_areas[1] = (struct disk_locn){ 15728640, 1048576 };
	labels[2].n_metadata_areas = 2;
	labels[2].ext_version = 3;
	labels[2].ext_flags = 0x80000001u;
	labels[2].bootloader_areas[0] = (struct disk_locn){ 1048576, 1048576 };
	labels[2].bootloader_areas[1] = (struct disk_locn){ 3 * 1048576, 512 };
	labels[2].n_bootloader_areas = 2;
	labels[2].data_areas[0] = (struct disk_locn){ 4 * 1048576, 0 };

	/* The most that fits with an extension: 72 + 16 * (24 + 1) + 16 + 8 + 16 = 512 bytes. */
	labels[3] = default_label();
	labels[3].sector = 3;
	labels[3].n_data_areas = 24;
	labels[3].n_metadata_areas = 0;
	for (size_t i = 0; i < 24; i++)
		labels[3].data_areas[i] = (struct disk_locn){ UINT64_MAX - i, i };

	for (size_t i = 0; i < ARRAY_SIZE(labels); i++) {
		struct vg_error err = { 0 };
		uint8_t sector[SECTOR];
		struct pv_label back;

		assert_int_equal(pv_label_encode(&labels[i], sector, &err), 0);
		assert_int_equal(pv_label_decode(sector, labels[i].sector, &back, &err), 0);
		assert_labels_equal(&back, &labels[i]);
	}
}

/* ---- scanning sectors 0-3 ---- */

static void put_label(struct blockdev *dev, uint64_t sector_number, const char *uuid)
{
	struct pv_label label = default_label();

	label.sector = sector_number;
	memcpy(label.pv_uuid, uuid, LVM_UUID_LEN);
	assert_int_equal(pv_label_encode(&label, blockdev_memory_bytes(dev) + sector_number * SECTOR, NULL),
			 0);
}

static void test_read_first_valid_label_wins(void **state)
{
	_cleanup_(blockdev_closep) struct blockdev *dev = NULL;
	struct vg_error err = { 0 };
	struct pv_label label;

	assert_int_equal(blockdev_open_memory("scan", 65536, 512, NULL, &dev), 0);
	put_label(dev, 1, "11111111111111111111111111111111");
	put_label(dev, 2, "22222222222222222222222222222222");
	assert_int_equal(pv_label_read(dev, &label, &err), 0);
	assert_int_equal(label.sector, 1);
	assert_string_equal(label.pv_uuid, "11111111111111111111111111111111");

	/* A damaged label in sector 1 is passed over for the valid one in sector 2. */
	blockdev_memory_bytes(dev)[SECTOR + 100] ^= 0xff;
	assert_int_equal(pv_label_read(dev, &label, &err), 0);
	assert_int_equal(label.sector, 2);
}

static void test_read_reports_why_nothing_was_found(void **state)
{
	_cleanup_(blockdev_closep) struct blockdev *dev = NULL;
	struct pv_label label;
	struct vg_error err = { 0 };

	assert_int_equal(blockdev_open_memory("blank", 65536, 512, NULL, &dev), 0);
	assert_int_equal(pv_label_read(dev, &label, &err), -ENODATA);
	assert_string_equal(err.message, "blank: no LVM label in sectors 0-3");

	put_label(dev, 1, "11111111111111111111111111111111");
	blockdev_memory_bytes(dev)[SECTOR + 100] ^= 0xff;
	assert_int_equal(pv_label_read(dev, &label, &err), -ENODATA);
	assert_non_null(
		strstr(err.message, "blank: no valid LVM label in sectors 0-3: label in sector 1: CRC 0x"));

	/* A label at sector 4 is beyond where lvm2 looks. */
	blockdev_memory_bytes(dev)[SECTOR + 100] ^= 0xff;
	memmove(blockdev_memory_bytes(dev) + 4 * SECTOR, blockdev_memory_bytes(dev) + SECTOR, SECTOR);
	memset(blockdev_memory_bytes(dev) + SECTOR, 0, SECTOR);
	assert_int_equal(pv_label_read(dev, &label, &err), -ENODATA);
}

static void test_read_small_devices(void **state)
{
	_cleanup_(blockdev_closep) struct blockdev *tiny = NULL, *two = NULL;
	struct vg_error err = { 0 };
	struct pv_label label;

	assert_int_equal(blockdev_open_memory("tiny", 511, 512, NULL, &tiny), 0);
	assert_int_equal(pv_label_read(tiny, &label, &err), -ENODATA);
	assert_non_null(strstr(err.message, "too small (511 bytes)"));

	assert_int_equal(blockdev_open_memory("two", 1024, 512, NULL, &two), 0);
	put_label(two, 1, "11111111111111111111111111111111");
	assert_int_equal(pv_label_read(two, &label, &err), 0);
	assert_int_equal(label.sector, 1);
	assert_int_equal(pv_label_wipe(two, &err), 0);
	assert_int_equal(pv_label_read(two, &label, &err), -ENODATA);
}

/* ---- writing and wiping ---- */

static void test_write_clears_other_labels_and_keeps_the_mbr(void **state)
{
	_cleanup_(blockdev_closep) struct blockdev *dev = NULL;
	struct pv_label label = default_label(), back;
	struct vg_error err = { 0 };
	uint8_t *mem;
	uint8_t mbr[SECTOR];

	assert_int_equal(blockdev_open_memory("w", 65536, 512, NULL, &dev), 0);
	mem = blockdev_memory_bytes(dev);

	/* Sector 0 holds a partition table and boot code, no label: it must stay byte-identical. */
	for (size_t i = 0; i < SECTOR; i++)
		mbr[i] = (uint8_t)(i * 13 + 1);
	mbr[510] = 0x55;
	mbr[511] = 0xaa;
	memcpy(mem, mbr, SECTOR);
	put_label(dev, 2, "22222222222222222222222222222222");
	put_label(dev, 3, "33333333333333333333333333333333");
	memset(mem + 3 * SECTOR + 100, 0x77, 8); /* a damaged label still carries LABELONE */

	assert_int_equal(pv_label_write(dev, &label, &err), 0);
	assert_memory_equal(mem, mbr, SECTOR);
	for (size_t i = 2; i < 4; i++)
		for (size_t j = 0; j < SECTOR; j++)
			assert_int_equal(mem[i * SECTOR + j], 0);
	assert_int_equal(pv_label_read(dev, &back, &err), 0);
	assert_labels_equal(&back, &label);

	/* Moving the label to sector 0 clears sector 1. */
	label.sector = 0;
	assert_int_equal(pv_label_write(dev, &label, &err), 0);
	assert_memory_equal(mem + SECTOR, (uint8_t[SECTOR]){ 0 }, SECTOR);
	assert_int_equal(pv_label_read(dev, &back, &err), 0);
	assert_int_equal(back.sector, 0);
}

static void test_write_refusals(void **state)
{
	_cleanup_(blockdev_closep) struct blockdev *dev = NULL;
	struct pv_label label = default_label();
	struct vg_error err = { 0 };

	assert_int_equal(blockdev_open_memory("w", 65536, 512, NULL, &dev), 0);
	label.sector = 4;
	assert_int_equal(pv_label_write(dev, &label, &err), -EINVAL);
	assert_string_equal(err.message, "w: label sector 4 is not among sectors 0-3");
	label.sector = 1;
	label.n_data_areas = 0;
	assert_int_equal(pv_label_write(dev, &label, &err), -EINVAL);
	assert_string_equal(err.message, "w: a PV label needs at least one data area");
	assert_memory_equal(blockdev_memory_bytes(dev), (uint8_t[4 * SECTOR]){ 0 }, 4 * SECTOR);

	dev->read_only = true;
	label = default_label();
	assert_int_equal(pv_label_write(dev, &label, &err), -EROFS);
}

static void test_write_failure_leaves_old_label(void **state)
{
	struct blockdev_faults faults = { .fail_write_at = 1 };
	_cleanup_(blockdev_closep) struct blockdev *dev = NULL;
	struct pv_label label = default_label(), back;
	struct vg_error err = { 0 };

	assert_int_equal(blockdev_open_memory("f", 65536, 512, &faults, &dev), 0);
	put_label(dev, 2, "22222222222222222222222222222222");
	assert_int_equal(pv_label_write(dev, &label, &err), -EIO);
	assert_int_equal(pv_label_read(dev, &back, &err), 0);
	assert_string_equal(back.pv_uuid, "22222222222222222222222222222222");
}

static void test_wipe(void **state)
{
	_cleanup_(blockdev_closep) struct blockdev *dev = NULL;
	struct vg_error err = { 0 };
	struct pv_label label;
	uint8_t *mem;

	assert_int_equal(blockdev_open_memory("wipe", 65536, 512, NULL, &dev), 0);
	mem = blockdev_memory_bytes(dev);
	put_label(dev, 0, "00000000000000000000000000000000");
	put_label(dev, 1, "11111111111111111111111111111111");
	mem[510] = 0x55; /* sector 0 beyond the label_header is left alone */
	mem[511] = 0xaa;
	assert_int_equal(pv_label_wipe(dev, &err), 0);
	assert_int_equal(pv_label_read(dev, &label, &err), -ENODATA);
	assert_memory_equal(mem, (uint8_t[32]){ 0 }, 32);
	assert_memory_equal(mem + 32, "00000000000000000000000000000000", 32);
	assert_int_equal(mem[511], 0xaa);
	assert_memory_equal(mem + SECTOR, (uint8_t[SECTOR]){ 0 }, SECTOR);
	/* Nothing to wipe is fine. */
	assert_int_equal(pv_label_wipe(dev, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_golden_byte_map),
		cmocka_unit_test(test_encode_reproduces_lvm2_sectors),
		cmocka_unit_test(test_decode_lvm2_pv_in_vg),
		cmocka_unit_test(test_decode_lvm2_orphan_with_two_mdas),
		cmocka_unit_test(test_read_lvm2_label_in_sector_3),
		cmocka_unit_test(test_decode_no_signature),
		cmocka_unit_test(test_decode_crc_mismatch_names_values),
		cmocka_unit_test(test_decode_wrong_sector_number),
		cmocka_unit_test(test_decode_wrong_pv_header_offset),
		cmocka_unit_test(test_decode_wrong_type),
		cmocka_unit_test(test_decode_invalid_uuid_character),
		cmocka_unit_test(test_decode_needs_a_data_area),
		cmocka_unit_test(test_decode_lists_must_end_inside_the_sector),
		cmocka_unit_test(test_decode_without_extension),
		cmocka_unit_test(test_decode_leaves_result_untouched_on_failure),
		cmocka_unit_test(test_encode_refusals),
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_read_first_valid_label_wins),
		cmocka_unit_test(test_read_reports_why_nothing_was_found),
		cmocka_unit_test(test_read_small_devices),
		cmocka_unit_test(test_write_clears_other_labels_and_keeps_the_mbr),
		cmocka_unit_test(test_write_refusals),
		cmocka_unit_test(test_write_failure_leaves_old_label),
		cmocka_unit_test(test_wipe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
