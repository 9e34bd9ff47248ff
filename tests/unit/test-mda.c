/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The metadata area (lvm/mda.c): the header's byte map and validation,
 * headers and texts that stock lvm2 2.03.16 wrote (tests/data/lvm2-pv-*.bin,
 * one of them with a committed copy that wraps), lvm2's placement rule for
 * the next copy, writing around the end of a small area with the chained
 * CRC, the size limit, failed and torn writes on memory devices with
 * injected faults, and the search for older copies.
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
#include "mda.h"

#define AREA_START 4096
#define SMALL_AREA (64 * 1024)

/* ---- helpers ---- */

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

static struct blockdev *memory_dev_from_file(const char *name, struct blockdev_faults *faults)
{
	_cleanup_free_ uint8_t *data = NULL;
	struct blockdev *dev = NULL;
	size_t len;

	data = load_data(name, &len);
	assert_int_equal(blockdev_open_memory(name, len, 512, faults, &dev), 0);
	memcpy(blockdev_memory_bytes(dev), data, len);
	return dev;
}

static void assert_contains(const char *message, const char *fragment)
{
	if (!strstr(message, fragment)) {
		print_error("message \"%s\" lacks \"%s\"\n", message, fragment);
		fail();
	}
}

/* A VG text as lvm2 starts it, padded with comment lines to about @len bytes. */
static char *make_text(const char *vg, uint64_t seqno, size_t len)
{
	char *text = malloc(len + 1);
	int n;

	assert_non_null(text);
	n = snprintf(text, len + 1,
		     "%s {\nid = \"AAAAAA-bbbb-cccc-dddd-eeee-ffff-gggggg\"\nseqno = %" PRIu64 "\n", vg,
		     seqno);
	assert_true(n > 0 && (size_t)n < len);
	for (size_t i = (size_t)n; i < len; i++)
		text[i] = (i % 64 == 63) ? '\n' : (char)('a' + (seqno + i) % 26);
	text[len] = '\0';
	return text;
}

/* A fresh area of SMALL_AREA bytes at AREA_START on a memory device. */
static struct blockdev *small_area_dev(struct blockdev_faults *faults, struct mda_header *ret_header)
{
	struct blockdev *dev = NULL;

	assert_int_equal(blockdev_open_memory("ring", AREA_START + SMALL_AREA + 4096, 512, faults, &dev), 0);
	assert_int_equal(mda_init(dev, AREA_START, SMALL_AREA, NULL), 0);
	assert_int_equal(mda_header_read(dev, AREA_START, ret_header, NULL), 0);
	return dev;
}

/* Write @text and commit it the way a caller does: precommit, then commit. */
static struct raw_locn write_and_commit(struct blockdev *dev, struct mda_header *header, const char *text)
{
	struct vg_error err = { 0 };
	struct raw_locn slot;

	assert_int_equal(mda_write_text(dev, header, text, strlen(text), &slot, &err), 0);
	header->slots[MDA_SLOT_PRECOMMITTED] = slot;
	assert_int_equal(mda_header_write(dev, header, &err), 0);
	header->slots[MDA_SLOT_COMMITTED] = slot;
	header->slots[MDA_SLOT_PRECOMMITTED] = (struct raw_locn){ 0 };
	assert_int_equal(mda_header_write(dev, header, &err), 0);
	return slot;
}

static void assert_reads_back(struct blockdev *dev, const struct mda_header *header,
			      const struct raw_locn *slot, const char *expected)
{
	_cleanup_free_ char *text = NULL;
	struct vg_error err = { 0 };
	size_t len;

	assert_int_equal(mda_read_text(dev, header, slot, &text, &len, &err), 0);
	assert_int_equal(len, strlen(expected));
	assert_string_equal(text, expected);
}

/* ---- the header ---- */

static void test_header_golden_byte_map(void **state)
{
	struct mda_header header = {
		.start_bytes = 4096,
		.size_bytes = 1044480,
		.slots = { { 512, 1000, 0x12345678, 0 }, { 1536, 999, 0x9abcdef0, RAW_LOCN_IGNORED } },
	};
	uint8_t buf[MDA_HEADER_BYTES];

	memset(buf, 0xaa, sizeof(buf));
	mda_header_encode(&header, buf);
	assert_int_equal(get_le32(buf), crc_lvm(LVM_CRC_INITIAL, buf + 4, 508));
	assert_memory_equal(buf + 4, "\x20\x4c\x56\x4d\x32\x20\x78\x5b\x35\x41\x25\x72\x30\x4e\x2a\x3e", 16);
	assert_int_equal(get_le32(buf + 20), 1);
	assert_int_equal(get_le64(buf + 24), 4096);
	assert_int_equal(get_le64(buf + 32), 1044480);
	assert_int_equal(get_le64(buf + 40), 512);
	assert_int_equal(get_le64(buf + 48), 1000);
	assert_int_equal(get_le32(buf + 56), 0x12345678);
	assert_int_equal(get_le32(buf + 60), 0);
	assert_int_equal(get_le64(buf + 64), 1536);
	assert_int_equal(get_le64(buf + 72), 999);
	assert_int_equal(get_le32(buf + 80), 0x9abcdef0);
	assert_int_equal(get_le32(buf + 84), RAW_LOCN_IGNORED);
	for (size_t i = 88; i < MDA_HEADER_BYTES; i++) /* raw_locn[2] terminator and the rest */
		assert_int_equal(buf[i], 0);
}

static void test_header_from_lvm2(void **state)
{
	_cleanup_free_ uint8_t *data = NULL, *mda2 = NULL;
	struct vg_error err = { 0 };
	struct mda_header header;
	uint8_t again[MDA_HEADER_BYTES];
	size_t len;

	data = load_data("lvm2-pv-head.bin", &len);
	assert_int_equal(mda_header_decode(data + 4096, 4096, &header, &err), 0);
	assert_int_equal(header.version, 1);
	assert_int_equal(header.start_bytes, 4096);
	assert_int_equal(header.size_bytes, 1044480);
	assert_int_equal(header.slots[0].offset_bytes, 1536);
	assert_int_equal(header.slots[0].size_bytes, 1012);
	assert_int_equal(header.slots[0].checksum, 0x80fb4233);
	assert_int_equal(header.slots[0].flags, 0);
	assert_int_equal(header.slots[1].offset_bytes, 0);
	assert_int_equal(header.slots[1].size_bytes, 0);
	mda_header_encode(&header, again);
	assert_memory_equal(again, data + 4096, MDA_HEADER_BYTES); /* byte for byte what lvm2 wrote */

	/* The second area of a --pvmetadatacopies 2 PV, at the end of a 16 MiB device. */
	mda2 = load_data("lvm2-pv-2mda-mda2.bin", &len);
	assert_int_equal(len, MDA_HEADER_BYTES);
	assert_int_equal(mda_header_decode(mda2, 15728640, &header, &err), 0);
	assert_int_equal(header.size_bytes, 1048576);
	assert_int_equal(header.slots[0].offset_bytes, 0);
	mda_header_encode(&header, again);
	assert_memory_equal(again, mda2, MDA_HEADER_BYTES);
	/* Read where the label did not say it is, the header is refused. */
	assert_int_equal(mda_header_decode(mda2, 4096, &header, &err), -EBADMSG);
	assert_string_equal(err.message, "metadata area header at 4096: its start field says 15728640");
}

static void assert_header_refused(const uint8_t *buf, int code, const char *message)
{
	struct vg_error err = { 0 };
	struct mda_header header;

	memset(&header, 0x5a, sizeof(header));
	assert_int_equal(mda_header_decode(buf, 4096, &header, &err), code);
	assert_int_equal(err.code, code);
	assert_string_equal(err.message, message);
	assert_int_equal(header.start_bytes, 0x5a5a5a5a5a5a5a5aull); /* untouched */
}

static void test_header_validation(void **state)
{
	struct mda_header header = { .start_bytes = 4096, .size_bytes = 65536 };
	uint8_t buf[MDA_HEADER_BYTES];
	char expected[200];
	uint32_t stored;

	memset(buf, 0, sizeof(buf));
	assert_header_refused(buf, -EBADMSG, "metadata area header at 4096: magic not found");

	mda_header_encode(&header, buf);
	stored = get_le32(buf);
	buf[300] = 1;
	snprintf(expected, sizeof(expected),
		 "metadata area header at 4096: checksum 0x%08x does not match computed 0x%08x", stored,
		 crc_lvm(LVM_CRC_INITIAL, buf + 4, 508));
	assert_header_refused(buf, -EBADMSG, expected);

	mda_header_encode(&header, buf);
	put_le32(buf + 20, 2);
	put_le32(buf, crc_lvm(LVM_CRC_INITIAL, buf + 4, 508));
	assert_header_refused(buf, -EPROTONOSUPPORT,
			      "metadata area header at 4096: version 2, only 1 is known");

	header.start_bytes = 8192;
	mda_header_encode(&header, buf);
	assert_header_refused(buf, -EBADMSG, "metadata area header at 4096: its start field says 8192");
	header.start_bytes = 4096;

	header.size_bytes = 511;
	mda_header_encode(&header, buf);
	assert_header_refused(
		buf, -EBADMSG,
		"metadata area header at 4096: area size 511 is smaller than its own 512-byte header");
	header.size_bytes = 65536;

	header.slots[0] = (struct raw_locn){ 65536, 100, 0, 0 };
	mda_header_encode(&header, buf);
	assert_header_refused(
		buf, -EBADMSG,
		"metadata area at 4096: committed slot offset 65536 lies outside the area of 65536 bytes");
	header.slots[0] = (struct raw_locn){ 0 };

	header.slots[1] = (struct raw_locn){ 512, 65025, 0, 0 };
	mda_header_encode(&header, buf);
	assert_header_refused(
		buf, -EBADMSG,
		"metadata area at 4096: precommitted slot size 65025 exceeds the 65024-byte ring buffer");

	/* The limits themselves are fine. */
	header.slots[0] = (struct raw_locn){ 65535, 65024, 0, 0 };
	header.slots[1] = (struct raw_locn){ 0 };
	mda_header_encode(&header, buf);
	assert_int_equal(mda_header_decode(buf, 4096, &header, NULL), 0);
}

static void test_header_write_refuses_invalid(void **state)
{
	_cleanup_(blockdev_closep) struct blockdev *dev = NULL;
	struct mda_header header, bad;
	struct vg_error err = { 0 };
	uint8_t before[MDA_HEADER_BYTES];

	dev = small_area_dev(NULL, &header);
	memcpy(before, blockdev_memory_bytes(dev) + AREA_START, sizeof(before));
	bad = header;
	bad.slots[0] = (struct raw_locn){ SMALL_AREA + 512, 10, 0, 0 };
	assert_int_equal(mda_header_write(dev, &bad, &err), -EINVAL);
	assert_contains(err.message,
			"ring: refusing to write an invalid header: metadata area at 4096: committed slot");
	assert_memory_equal(blockdev_memory_bytes(dev) + AREA_START, before, sizeof(before));
}

static void test_init(void **state)
{
	_cleanup_(blockdev_closep) struct blockdev *dev = NULL;
	struct vg_error err = { 0 };
	struct mda_header header;
	uint8_t *mem;

	assert_int_equal(blockdev_open_memory("init", 128 * 1024, 512, NULL, &dev), 0);
	mem = blockdev_memory_bytes(dev);
	memset(mem, 0xff, 128 * 1024);
	assert_int_equal(mda_init(dev, 4096, 65536, &err), 0);
	assert_int_equal(mda_header_read(dev, 4096, &header, &err), 0);
	assert_int_equal(header.size_bytes, 65536);
	assert_int_equal(header.slots[0].offset_bytes, 0);
	assert_int_equal(header.slots[1].offset_bytes, 0);
	for (size_t i = 4096 + 88; i < 8192; i++)
		assert_int_equal(mem[i], 0);
	assert_int_equal(mem[8192], 0xff); /* only the first 4 KiB are zeroed */
	assert_int_equal(mem[4095], 0xff);

	assert_int_equal(mda_init(dev, 0, 65536, &err), -EINVAL);
	assert_int_equal(mda_init(dev, 4097, 65536, &err), -EINVAL);
	assert_int_equal(mda_init(dev, 4096, 1536, &err), -EINVAL);
	assert_int_equal(mda_init(dev, 4096, 65537, &err), -EINVAL);
	assert_int_equal(mda_init(dev, 65536, 65536 + 512, &err), -ENXIO);
	assert_string_equal(
		err.message,
		"init: metadata area at 65536 of 66048 bytes runs past the end of the device (131072 bytes)");
}

/* ---- placement ---- */

static void test_max_text_bytes(void **state)
{
	assert_int_equal(mda_max_text_bytes(MDA_DEFAULT_SIZE_BYTES), 521472);
	assert_int_equal(mda_max_text_bytes(61440), 29952);
	assert_int_equal(mda_max_text_bytes(SMALL_AREA), 32000);
	assert_int_equal(mda_max_text_bytes(2048), 256);
	assert_int_equal(mda_max_text_bytes(1536), 0);
	assert_int_equal(mda_max_text_bytes(100), 0);
}

static void test_next_offset_rule(void **state)
{
	struct mda_header h = { .start_bytes = 4096, .size_bytes = SMALL_AREA };
	const struct {
		struct raw_locn current;
		uint64_t next;
	} cases[] = {
		{ { 0, 0, 0, 0 }, 512 }, /* nothing written yet */
		{ { 512, 100, 0, 0 }, 1024 }, /* after the copy, rounded up */
		{ { 512, 1, 0, 0 }, 1024 },
		{ { 512, 512, 0, 0 }, 1024 }, /* ends on a boundary: no gap (lvm2 2.03.16 checked) */
		{ { 512, 513, 0, 0 }, 1536 },
		{ { 1024, 3000, 0, RAW_LOCN_IGNORED }, 512 }, /* an ignored area starts over */
		{ { 64000, 1024, 0, 0 }, 65024 }, /* exactly 512 left: still used */
		{ { 64000, 1025, 0, 0 }, 512 }, /* 511 left after the last byte */
		{ { 64000, 1100, 0, 0 }, 512 },
		{ { 65024, 1000, 0, 0 }, 1024 }, /* wrapped: 488 bytes at 512 */
		{ { 65024, 1024, 0, 0 }, 1024 }, /* wrapped, ends on a boundary */
		{ { 65024, 1025, 0, 0 }, 1536 },
		{ { 65535, 65024, 0, 0 }, 512 }, /* a full ring ends 1 byte before the area end */
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t next = mda_next_text_offset(&h, &cases[i].current);

		if (next != cases[i].next) {
			print_error("case %zu: after {%" PRIu64 ", %" PRIu64 "} got %" PRIu64
				    ", expected %" PRIu64 "\n",
				    i, cases[i].current.offset_bytes, cases[i].current.size_bytes, next,
				    cases[i].next);
			fail();
		}
	}

	/* The lvm2-written wrapped copy of tests/data: its successor goes where seqno 4 sits. */
	h.size_bytes = 32768;
	assert_int_equal(mda_next_text_offset(&h, &(struct raw_locn){ 32256, 4298, 0, 0 }), 4608);
}

/* ---- texts lvm2 wrote ---- */

static void test_read_lvm2_text(void **state)
{
	_cleanup_(blockdev_closep) struct blockdev *dev = NULL;
	_cleanup_free_ char *text = NULL;
	struct vg_error err = { 0 };
	struct mda_header header;
	struct mda_text_id id;
	size_t len;

	/* The area claims 1 MiB and the image holds only its first 4 KiB: enough for the text. */
	dev = memory_dev_from_file("lvm2-pv-head.bin", NULL);
	assert_int_equal(mda_header_read(dev, 4096, &header, &err), 0);
	assert_int_equal(mda_read_text(dev, &header, &header.slots[0], &text, &len, &err), 0);
	assert_int_equal(len, 1011);
	assert_int_equal(strlen(text), 1011);
	assert_int_equal(mda_text_peek(text, len, &id, &err), 0);
	assert_string_equal(id.vg_name, "vg_test");
	assert_string_equal(id.vg_id, "8WgEM5-STDz-vCIQ-mmfY-gS1w-xcU3-vtx4MD");
	assert_int_equal(id.seqno, 2);
	/* lvm2 ends the text with a blank line before the NUL. */
	assert_memory_equal(text + len - 2, "\n\n", 2);
}

static void test_read_lvm2_wrapped_text(void **state)
{
	_cleanup_(blockdev_closep) struct blockdev *dev = NULL;
	_cleanup_free_ char *text = NULL;
	struct vg_error err = { 0 };
	struct mda_header header;
	struct mda_text_id id;
	size_t len;

	dev = memory_dev_from_file("lvm2-pv-wrapped-head.bin", NULL);
	assert_int_equal(mda_header_read(dev, 4096, &header, &err), 0);
	assert_int_equal(header.size_bytes, 32768);
	/* pvck: "raw_locn[0] ... # commit wrapped", offset 32256, size 4298, checksum 0x99bc72d8. */
	assert_int_equal(header.slots[0].offset_bytes, 32256);
	assert_int_equal(header.slots[0].size_bytes, 4298);
	assert_int_equal(header.slots[0].checksum, 0x99bc72d8);
	assert_int_equal(mda_read_text(dev, &header, &header.slots[0], &text, &len, &err), 0);
	assert_int_equal(len, 4297);
	assert_int_equal(mda_text_peek(text, len, &id, &err), 0);
	assert_string_equal(id.vg_name, "vg_wrap");
	assert_int_equal(id.seqno, 13);

	/* The chained CRC: first the 512 bytes at the area end, then the 3786 at offset 512. */
	{
		const uint8_t *area = blockdev_memory_bytes(dev) + 4096;
		uint32_t crc = crc_lvm(LVM_CRC_INITIAL, area + 32256, 512);

		assert_int_equal(crc_lvm(crc, area + 512, 3786), 0x99bc72d8);
		assert_memory_equal(text, area + 32256, 512);
		assert_memory_equal(text + 512, area + 512, 3785);
	}
}

static void test_find_copies_in_lvm2_ring(void **state)
{
	_cleanup_(blockdev_closep) struct blockdev *dev = NULL;
	_cleanup_free_ struct mda_text_copy *copies = NULL;
	struct vg_error err = { 0 };
	struct mda_header header;
	size_t n;
	/* What `pvck --dump metadata_search` printed for this area (offsets there are absolute). */
	static const struct {
		uint64_t offset, size, seqno;
		uint32_t crc;
	} expected[] = {
		{ 8704 - 4096, 1636, 4, 0x4885e4ec },	{ 10752 - 4096, 1931, 5, 0xb86d0d34 },
		{ 12800 - 4096, 2226, 6, 0x598e4764 },	{ 15360 - 4096, 2521, 7, 0x88ac28fb },
		{ 17920 - 4096, 2816, 8, 0x90a97d1c },	{ 20992 - 4096, 3111, 9, 0x827d6d9f },
		{ 24576 - 4096, 3407, 10, 0x5db93b49 }, { 28160 - 4096, 3704, 11, 0x4550a00b },
		{ 32256 - 4096, 4001, 12, 0xfd7017ca }, { 36352 - 4096, 4298, 13, 0x99bc72d8 },
	};

	dev = memory_dev_from_file("lvm2-pv-wrapped-head.bin", NULL);
	assert_int_equal(mda_header_read(dev, 4096, &header, &err), 0);
	assert_int_equal(mda_find_text_copies(dev, &header, &copies, &n, &err), 0);
	assert_int_equal(n, ARRAY_SIZE(expected));
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(copies[i].offset_bytes, expected[i].offset);
		assert_int_equal(copies[i].size_bytes, expected[i].size);
		assert_int_equal(copies[i].checksum, expected[i].crc);
		assert_int_equal(copies[i].id.seqno, expected[i].seqno);
		assert_string_equal(copies[i].id.vg_name, "vg_wrap");
		assert_string_equal(copies[i].id.vg_id, "tpEiZY-eYMW-Bx5a-p4Gg-jtY1-xULU-bEzWOS");
		assert_int_equal(copies[i].wrapped, i == n - 1);
		assert_int_equal(copies[i].in_slot[0], i == n - 1);
		assert_false(copies[i].in_slot[1]);
	}
}

static void test_find_copies_on_a_truncated_image(void **state)
{
	_cleanup_(blockdev_closep) struct blockdev *dev = NULL;
	_cleanup_free_ struct mda_text_copy *copies = NULL;
	struct vg_error err = { 0 };
	struct mda_header header;
	size_t n;

	/* 8 KiB of a device whose area claims 1 MiB: the present part is searched. */
	dev = memory_dev_from_file("lvm2-pv-head.bin", NULL);
	assert_int_equal(mda_header_read(dev, 4096, &header, &err), 0);
	assert_int_equal(mda_find_text_copies(dev, &header, &copies, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(copies[0].offset_bytes, 512);
	assert_int_equal(copies[0].size_bytes, 705);
	assert_int_equal(copies[0].checksum, 0x9db4d764);
	assert_int_equal(copies[0].id.seqno, 1);
	assert_false(copies[0].in_slot[0]);
	assert_int_equal(copies[1].offset_bytes, 1536);
	assert_int_equal(copies[1].size_bytes, 1012);
	assert_int_equal(copies[1].id.seqno, 2);
	assert_true(copies[1].in_slot[0]);
	free(TAKE_PTR(copies));

	/* An area that starts beyond the device has nothing to search. */
	header.start_bytes = 1 << 20;
	assert_int_equal(mda_find_text_copies(dev, &header, &copies, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_null(copies);
}

/* ---- writing around the ring ---- */

static void test_write_wraps_with_chained_crc(void **state)
{
	_cleanup_(blockdev_closep) struct blockdev *dev = NULL;
	_cleanup_free_ char *previous_text = NULL;
	struct raw_locn previous = { 0 };
	struct mda_header header;
	const uint8_t *area;
	bool wrapped = false;

	dev = small_area_dev(NULL, &header);
	area = blockdev_memory_bytes(dev) + AREA_START;
	for (uint64_t seqno = 1; seqno < 40 && !wrapped; seqno++) {
		_cleanup_free_ char *text = make_text("vg_ring", seqno, 5000 + 37 * seqno);
		uint64_t expected_offset = mda_next_text_offset(&header, &previous);
		struct raw_locn slot = write_and_commit(dev, &header, text);
		size_t size = strlen(text) + 1;

		assert_int_equal(slot.offset_bytes, expected_offset);
		assert_int_equal(slot.size_bytes, size);
		assert_int_equal(slot.checksum, crc_lvm(LVM_CRC_INITIAL, text, size));
		assert_reads_back(dev, &header, &slot, text);
		/* The copy before it is intact: the two always coexist. */
		if (previous_text)
			assert_reads_back(dev, &header, &previous, previous_text);

		if (slot.offset_bytes + size > SMALL_AREA) {
			uint64_t first = SMALL_AREA - slot.offset_bytes, wrap = size - first;
			uint32_t crc = crc_lvm(LVM_CRC_INITIAL, area + slot.offset_bytes, (size_t)first);

			wrapped = true;
			assert_memory_equal(area + slot.offset_bytes, text, (size_t)first);
			assert_memory_equal(area + 512, text + first, (size_t)(wrap - 1));
			assert_int_equal(area[512 + wrap - 1], 0); /* the NUL */
			assert_int_equal(crc_lvm(crc, area + 512, (size_t)wrap), slot.checksum);
			/* Zeros up to the next 512-byte boundary after the wrapped part. */
			for (uint64_t i = 512 + wrap; i < ROUND_UP(512 + wrap, 512); i++)
				assert_int_equal(area[i], 0);
			/* The next copy follows the wrapped part. */
			assert_int_equal(mda_next_text_offset(&header, &slot), ROUND_UP(512 + wrap, 512));
		} else {
			for (uint64_t i = slot.offset_bytes + size;
			     i < ROUND_UP(slot.offset_bytes + size, 512); i++)
				assert_int_equal(area[i], 0);
		}
		previous = slot;
		free(previous_text);
		previous_text = TAKE_PTR(text);
	}
	assert_true(wrapped);
}

/* The identifying lines of every copy, wrapped or not, from its first 512 bytes. */
static void test_peek_slot(void **state)
{
	_cleanup_(blockdev_closep) struct blockdev *dev = NULL;
	struct mda_header header;
	struct mda_text_id id;
	struct vg_error err = { 0 };
	bool wrapped = false;

	dev = small_area_dev(NULL, &header);
	assert_int_equal(mda_peek_slot(dev, &header, &header.slots[MDA_SLOT_COMMITTED], &id, &err), -ENODATA);
	/* growing copies around the ring until one wraps */
	for (uint64_t seqno = 1; seqno < 60 && !wrapped; seqno++) {
		_cleanup_free_ char *text = make_text("vg_peek", seqno, 5000 + 37 * seqno);
		struct raw_locn slot = write_and_commit(dev, &header, text);

		memset(&id, 0, sizeof(id));
		assert_int_equal(mda_peek_slot(dev, &header, &slot, &id, &err), 0);
		assert_string_equal(id.vg_name, "vg_peek");
		assert_string_equal(id.vg_id, "AAAAAA-bbbb-cccc-dddd-eeee-ffff-gggggg");
		assert_int_equal(id.seqno, seqno);
		wrapped = slot.offset_bytes + slot.size_bytes > SMALL_AREA;
	}
	assert_true(wrapped);
}

static void test_write_padding_overwrites_garbage(void **state)
{
	_cleanup_(blockdev_closep) struct blockdev *dev = NULL;
	struct mda_header header;
	struct raw_locn slot;
	uint8_t *area;

	dev = small_area_dev(NULL, &header);
	area = blockdev_memory_bytes(dev) + AREA_START;
	memset(area + 512, 0xee, SMALL_AREA - 512);
	assert_int_equal(mda_write_text(dev, &header, "vg {\n}\n", 7, &slot, NULL), 0);
	assert_int_equal(slot.offset_bytes, 512);
	assert_memory_equal(area + 512, "vg {\n}\n", 8);
	for (size_t i = 512 + 8; i < 1024; i++)
		assert_int_equal(area[i], 0);
	assert_int_equal(area[1024], 0xee); /* nothing beyond the boundary */
}

static void test_write_size_limit(void **state)
{
	_cleanup_(blockdev_closep) struct blockdev *dev = NULL;
	_cleanup_free_ char *largest = NULL, *too_large = NULL;
	_cleanup_free_ uint8_t *before = NULL;
	struct vg_error err = { 0 };
	struct mda_header header;
	struct raw_locn slot = { 0 }, untouched;
	uint64_t max = mda_max_text_bytes(SMALL_AREA);
	size_t dev_bytes;

	dev = small_area_dev(NULL, &header);
	dev_bytes = (size_t)dev->size_bytes;
	largest = make_text("vg_big", 1, (size_t)max - 1); /* with its NUL exactly max bytes */
	too_large = make_text("vg_big", 2, (size_t)max);

	before = malloc(dev_bytes);
	assert_non_null(before);
	memcpy(before, blockdev_memory_bytes(dev), dev_bytes);
	memset(&untouched, 0x5a, sizeof(untouched));
	slot = untouched;
	assert_int_equal(mda_write_text(dev, &header, too_large, strlen(too_large), &slot, &err), -ENOSPC);
	assert_string_equal(err.message,
			    "ring: metadata text of 32001 bytes (with its NUL) exceeds the maximum of 32000 "
			    "bytes for the metadata area at 4096 of 65536 bytes");
	assert_memory_equal(&slot, &untouched, sizeof(slot));
	assert_memory_equal(blockdev_memory_bytes(dev), before, dev_bytes);

	/* At the limit it fits, and keeps fitting while copies alternate around the ring. */
	for (int i = 0; i < 6; i++) {
		slot = write_and_commit(dev, &header, largest);
		assert_reads_back(dev, &header, &slot, largest);
	}
}

static void test_write_refuses_to_overwrite_committed(void **state)
{
	_cleanup_(blockdev_closep) struct blockdev *dev = NULL;
	_cleanup_free_ char *text = make_text("vg", 2, 30000);
	struct vg_error err = { 0 };
	struct mda_header header;
	struct raw_locn slot;

	/* A committed copy larger than our limit (someone else's rules): the new one would wrap into it. */
	dev = small_area_dev(NULL, &header);
	header.slots[0] = (struct raw_locn){ 512, 40000, 0, 0 };
	assert_int_equal(mda_write_text(dev, &header, text, strlen(text), &slot, &err), -ENOSPC);
	assert_string_equal(err.message,
			    "ring: metadata text of 30001 bytes at area offset 40960 would overwrite the "
			    "committed copy (offset 512, 40000 bytes) in the metadata area at 4096");

	/* A committed slot out of bounds is a caller's mistake. */
	header.slots[0] = (struct raw_locn){ SMALL_AREA, 10, 0, 0 };
	assert_int_equal(mda_write_text(dev, &header, "x", 1, &slot, &err), -EINVAL);

	/* An ignored committed slot: lvm2 starts over at 512. */
	header.slots[0] = (struct raw_locn){ 8192, 1000, 0, RAW_LOCN_IGNORED };
	assert_int_equal(mda_write_text(dev, &header, "x", 1, &slot, &err), 0);
	assert_int_equal(slot.offset_bytes, 512);
}

/* ---- failures while writing ---- */

static void test_failed_text_writes_leave_header_and_committed_copy(void **state)
{
	struct blockdev_faults faults = { 0 };
	_cleanup_(blockdev_closep) struct blockdev *dev = NULL;
	_cleanup_free_ char *committed_text = make_text("vg_safe", 1, 20000);
	_cleanup_free_ char *next_text = make_text("vg_safe", 2, 20000);
	uint8_t header_before[MDA_HEADER_BYTES];
	struct mda_header header, reread;
	struct raw_locn committed, slot;
	struct vg_error err = { 0 };

	dev = small_area_dev(&faults, &header);
	/* Place the committed copy so that the next one wraps, which takes two writes. */
	committed = write_and_commit(dev, &header, committed_text);
	committed = write_and_commit(dev, &header, next_text);
	committed = write_and_commit(dev, &header, committed_text);
	assert_true(committed.offset_bytes + committed.size_bytes < SMALL_AREA);
	assert_true(mda_next_text_offset(&header, &committed) + strlen(next_text) + 1 > SMALL_AREA);
	memcpy(header_before, blockdev_memory_bytes(dev) + AREA_START, sizeof(header_before));

	/* The first part fails, the second part fails, the first is torn, the second is torn. */
	const struct {
		uint64_t fail_at, tear_at;
	} faults_to_try[] = { { 1, 0 }, { 2, 0 }, { 0, 1 }, { 0, 2 } };
	for (size_t i = 0; i < ARRAY_SIZE(faults_to_try); i++) {
		faults.writes_done = 0;
		faults.fail_write_at = faults_to_try[i].fail_at;
		faults.tear_write_at = faults_to_try[i].tear_at;
		faults.tear_keep_bytes = 700;
		faults.tripped = false;
		assert_int_equal(mda_write_text(dev, &header, next_text, strlen(next_text), &slot, &err),
				 -EIO);
		assert_contains(err.message, "ring: write of");
		assert_memory_equal(blockdev_memory_bytes(dev) + AREA_START, header_before,
				    sizeof(header_before));
		assert_int_equal(mda_header_read(dev, AREA_START, &reread, &err), 0);
		assert_int_equal(reread.slots[0].offset_bytes, committed.offset_bytes);
		assert_reads_back(dev, &reread, &reread.slots[0], committed_text);
	}

	/* Without faults the same write succeeds and wraps. */
	faults.fail_write_at = faults.tear_write_at = 0;
	assert_int_equal(mda_write_text(dev, &header, next_text, strlen(next_text), &slot, &err), 0);
	assert_true(slot.offset_bytes + slot.size_bytes > SMALL_AREA);
	assert_reads_back(dev, &header, &slot, next_text);
	assert_reads_back(dev, &header, &committed, committed_text);
}

static void test_torn_header_write_is_detected(void **state)
{
	struct blockdev_faults faults = { 0 };
	_cleanup_(blockdev_closep) struct blockdev *dev = NULL;
	struct mda_header header, reread;
	struct vg_error err = { 0 };

	dev = small_area_dev(&faults, &header);
	write_and_commit(dev, &header, "vg_t {\nid = \"x\"\nseqno = 1\n}\n");
	header.slots[MDA_SLOT_PRECOMMITTED] = (struct raw_locn){ 1024, 99, 0x1234, 0 };
	faults.tear_write_at = faults.writes_done + 1;
	faults.tear_keep_bytes = 50; /* checksum, magic, start... but not the slots */
	assert_int_equal(mda_header_write(dev, &header, &err), -EIO);
	assert_int_equal(mda_header_read(dev, AREA_START, &reread, &err), -EBADMSG);
	assert_contains(err.message, "ring: metadata area header at 4096: checksum 0x");
}

/* ---- reading failures ---- */

static void test_read_text_failures(void **state)
{
	_cleanup_(blockdev_closep) struct blockdev *dev = NULL;
	_cleanup_free_ char *text = NULL;
	struct vg_error err = { 0 };
	struct mda_header header;
	struct raw_locn slot, bad;
	size_t len = 12345;

	dev = small_area_dev(NULL, &header);
	assert_int_equal(mda_read_text(dev, &header, &header.slots[0], &text, &len, &err), -ENODATA);
	assert_string_equal(err.message, "ring: metadata area at 4096: the slot is empty");

	slot = write_and_commit(dev, &header, "vg_r {\n}\n");
	bad = slot;
	bad.checksum ^= 1;
	assert_int_equal(mda_read_text(dev, &header, &bad, &text, &len, &err), -EBADMSG);
	assert_contains(err.message, "ring: metadata text at 4608 (area offset 512, 10 bytes): checksum 0x");
	assert_contains(err.message, "recorded in the header");
	assert_null(text);
	assert_int_equal(len, 12345);

	bad = slot;
	bad.size_bytes = SMALL_AREA;
	assert_int_equal(mda_read_text(dev, &header, &bad, &text, &len, &err), -EBADMSG);
	assert_contains(err.message, "exceeds the 65024-byte ring buffer");
	bad = slot;
	bad.size_bytes = 0;
	assert_int_equal(mda_read_text(dev, &header, &bad, &text, &len, &err), -EBADMSG);

	/* A slot whose bytes lie beyond the device end. */
	header.size_bytes = 1 << 30;
	bad = (struct raw_locn){ 1 << 20, 100, 0, 0 };
	assert_int_equal(mda_read_text(dev, &header, &bad, &text, &len, &err), -ENXIO);
	assert_contains(err.message, "lies beyond the end of the device");
}

/* ---- the first lines of a text ---- */

static void test_text_peek(void **state)
{
	struct mda_text_id id;
	struct vg_error err = { 0 };
	char long_name[200];
	static const struct {
		const char *text, *message;
	} bad[] = {
		{ "", "metadata text does not start with \"<vg name> {\"" },
		{ "{\n", "metadata text does not start with \"<vg name> {\"" },
		{ "vg\nid = \"a\"\n", "metadata text does not start with \"<vg name> {\"" },
		{ "vg {\nseqno = 1\n", "metadata text of VG vg: second line is not id = \"...\"" },
		{ "vg {\nid = \"a b\"\nseqno = 1\n", "metadata text of VG vg: the id is not a VG uuid" },
		{ "vg {\nid = \"aaaaaa-aaaa-aaaa-aaaa-aaaa-aaaa-aaaaaaa\"\n",
		  "metadata text of VG vg: the id is not a VG uuid" },
		{ "vg {\nid = \"a", "metadata text of VG vg: the id line is not terminated" },
		{ "vg {\nid = \"a\"\nstatus = 1\n", "metadata text of VG vg: third line is not seqno = N" },
		{ "vg {\nid = \"a\"\nseqno = x\n", "metadata text of VG vg: seqno has no digits" },
		{ "vg {\nid = \"a\"\nseqno = 18446744073709551616\n",
		  "metadata text of VG vg: seqno out of range" },
	};

	assert_int_equal(
		mda_text_peek("vg_x {\nid = \"abc-DEF\"\nseqno = 18446744073709551615\n", 60, &id, &err), 0);
	assert_string_equal(id.vg_name, "vg_x");
	assert_string_equal(id.vg_id, "abc-DEF");
	assert_int_equal(id.seqno, UINT64_MAX);
	/* Blanks around the tokens are tolerated. */
	assert_int_equal(mda_text_peek("a.b+c-d  {\n\tid=\"x\"\n  seqno=7", 30, &id, &err), 0);
	assert_string_equal(id.vg_name, "a.b+c-d");
	assert_int_equal(id.seqno, 7);
	/* The length bounds the text: no NUL is needed. */
	assert_int_equal(mda_text_peek("vg {\nid = \"a\"\nseqno = 42", 23, &id, &err), 0);
	assert_int_equal(id.seqno, 4);

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(mda_text_peek(bad[i].text, strlen(bad[i].text), &id, &err), -EBADMSG);
		assert_string_equal(err.message, bad[i].message);
	}
	memset(long_name, 'n', sizeof(long_name));
	assert_int_equal(mda_text_peek(long_name, sizeof(long_name), &id, &err), -EBADMSG);
	assert_string_equal(err.message, "metadata text: VG name longer than 127 characters");
}

/* ---- the copy search on our own ring ---- */

static void test_find_copies_after_our_writes(void **state)
{
	_cleanup_(blockdev_closep) struct blockdev *dev = NULL;
	_cleanup_free_ struct mda_text_copy *copies = NULL;
	struct vg_error err = { 0 };
	struct mda_header header;
	struct raw_locn slots[30];
	size_t n, wrapped_index = SIZE_MAX;
	uint64_t seqno;

	dev = small_area_dev(NULL, &header);
	for (seqno = 1; seqno <= ARRAY_SIZE(slots); seqno++) {
		_cleanup_free_ char *text = make_text("vg_find", seqno, 4000 + 100 * seqno);

		slots[seqno - 1] = write_and_commit(dev, &header, text);
		if (slots[seqno - 1].offset_bytes + slots[seqno - 1].size_bytes > SMALL_AREA) {
			wrapped_index = seqno - 1;
			break;
		}
	}
	assert_true(wrapped_index != SIZE_MAX);
	/* Leave a precommitted copy after the committed one, as a crash between the two phases does. */
	{
		_cleanup_free_ char *text = make_text("vg_find", seqno + 1, 3000);
		struct raw_locn pre;

		assert_int_equal(mda_write_text(dev, &header, text, strlen(text), &pre, &err), 0);
		header.slots[MDA_SLOT_PRECOMMITTED] = pre;
		assert_int_equal(mda_header_write(dev, &header, &err), 0);
	}

	assert_int_equal(mda_find_text_copies(dev, &header, &copies, &n, &err), 0);
	assert_true(n >= 3);
	/* Sorted by offset; the precommitted copy comes first (right after the wrapped part). */
	for (size_t i = 1; i < n; i++)
		assert_true(copies[i - 1].offset_bytes < copies[i].offset_bytes);
	assert_true(copies[0].in_slot[MDA_SLOT_PRECOMMITTED]);
	assert_int_equal(copies[0].id.seqno, seqno + 1);
	assert_true(copies[n - 1].in_slot[MDA_SLOT_COMMITTED]);
	assert_true(copies[n - 1].wrapped);
	assert_int_equal(copies[n - 1].id.seqno, wrapped_index + 1);
	assert_int_equal(copies[n - 1].checksum, slots[wrapped_index].checksum);
	/* Every copy in between is an intact older one with the checksum it was written with. */
	for (size_t i = 1; i + 1 < n; i++) {
		const struct raw_locn *written = &slots[copies[i].id.seqno - 1];

		assert_int_equal(copies[i].offset_bytes, written->offset_bytes);
		assert_int_equal(copies[i].size_bytes, written->size_bytes);
		assert_int_equal(copies[i].checksum, written->checksum);
		assert_false(copies[i].in_slot[0] || copies[i].in_slot[1]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_golden_byte_map),
		cmocka_unit_test(test_header_from_lvm2),
		cmocka_unit_test(test_header_validation),
		cmocka_unit_test(test_header_write_refuses_invalid),
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_max_text_bytes),
		cmocka_unit_test(test_next_offset_rule),
		cmocka_unit_test(test_read_lvm2_text),
		cmocka_unit_test(test_read_lvm2_wrapped_text),
		cmocka_unit_test(test_find_copies_in_lvm2_ring),
		cmocka_unit_test(test_find_copies_on_a_truncated_image),
		cmocka_unit_test(test_write_wraps_with_chained_crc),
		cmocka_unit_test(test_peek_slot),
		cmocka_unit_test(test_write_padding_overwrites_garbage),
		cmocka_unit_test(test_write_size_limit),
		cmocka_unit_test(test_write_refuses_to_overwrite_committed),
		cmocka_unit_test(test_failed_text_writes_leave_header_and_committed_copy),
		cmocka_unit_test(test_torn_header_write_is_detected),
		cmocka_unit_test(test_read_text_failures),
		cmocka_unit_test(test_text_peek),
		cmocka_unit_test(test_find_copies_after_our_writes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
