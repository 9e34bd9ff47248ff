/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer harness for the metadata area (lvm/mda.c), which trusts nothing
 * it reads from a device. The input becomes a memory device (up to 1 MiB);
 * the header is read at 4096, or at 512 x the first little-endian u16 when
 * that is not zero; the third byte may ask for the checksums to be made
 * right first. Then both slots' texts are read, the next offsets are
 * computed, the ring is searched for copies, and a new text is written. The
 * properties checked (abort() when broken): headers survive encode/decode,
 * next offsets are 512-aligned inside the ring, a copy the search says a
 * slot points to reads back through that slot, and a successful write reads
 * back, leaves the committed copy intact, and can be precommitted.
 */
#include <stdlib.h>
#include <string.h>

#include "crc.h"
#include "endian-le.h"
#include "mda.h"

#define MAX_INPUT_BYTES (1024 * 1024)
#define MAX_NEW_TEXT_BYTES 8192

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool headers_equal(const struct mda_header *a, const struct mda_header *b)
{
	if (a->start_bytes != b->start_bytes || a->size_bytes != b->size_bytes || a->version != b->version)
		return false;
	for (size_t i = 0; i < 2; i++)
		if (a->slots[i].offset_bytes != b->slots[i].offset_bytes ||
		    a->slots[i].size_bytes != b->slots[i].size_bytes ||
		    a->slots[i].checksum != b->slots[i].checksum || a->slots[i].flags != b->slots[i].flags)
			return false;
	return true;
}

static void check_header_round_trip(const struct mda_header *header)
{
	uint8_t buf[MDA_HEADER_BYTES];
	struct mda_header back;

	mda_header_encode(header, buf);
	if (mda_header_decode(buf, header->start_bytes, &back, NULL) < 0 || !headers_equal(header, &back))
		abort();
}

static void check_next_offsets(const struct mda_header *header)
{
	for (size_t i = 0; i < 2; i++) {
		uint64_t next = mda_next_text_offset(header, &header->slots[i]);

		if (next < MDA_HEADER_BYTES || next % 512 != 0)
			abort();
		if (next != MDA_HEADER_BYTES && next > header->size_bytes - 512)
			abort();
	}
}

/* Read a slot; returns the text (caller frees) or NULL. */
static char *read_slot(struct blockdev *dev, const struct mda_header *header, const struct raw_locn *slot,
		       size_t *ret_len)
{
	struct vg_error err = { 0 };
	struct mda_text_id id;
	char *text = NULL;

	if (mda_read_text(dev, header, slot, &text, ret_len, &err) < 0) {
		if (err.message[0] == '\0')
			abort();
		return NULL;
	}
	if (text[*ret_len] != '\0')
		abort();
	(void)mda_text_peek(text, *ret_len, &id, NULL);
	return text;
}

static void check_copies(struct blockdev *dev, const struct mda_header *header)
{
	_cleanup_free_ struct mda_text_copy *copies = NULL;
	struct vg_error err = { 0 };
	size_t n = 0;

	if (mda_find_text_copies(dev, header, &copies, &n, &err) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct mda_text_copy *c = &copies[i];

		if (c->offset_bytes % 512 != 0 || c->offset_bytes < MDA_HEADER_BYTES || c->size_bytes == 0 ||
		    c->size_bytes > header->size_bytes - MDA_HEADER_BYTES)
			abort();
		if (i > 0 && copies[i - 1].offset_bytes >= c->offset_bytes)
			abort();
		for (size_t s = 0; s < 2; s++) {
			_cleanup_free_ char *text = NULL;
			size_t len;

			if (!c->in_slot[s])
				continue;
			text = read_slot(dev, header, &header->slots[s], &len);
			if (!text)
				abort(); /* the search verified this very checksum */
		}
	}
}

/* The two-phase commit's first step: the new text in the precommitted slot. */
static void check_precommit(struct blockdev *dev, const struct mda_header *header,
			    const struct raw_locn *slot)
{
	struct mda_header next = *header, back;
	struct vg_error err = { 0 };

	next.slots[MDA_SLOT_PRECOMMITTED] = *slot;
	if (mda_header_write(dev, &next, &err) < 0 ||
	    mda_header_read(dev, next.start_bytes, &back, &err) < 0 || !headers_equal(&next, &back))
		abort();
}

/* Write a new text after the committed copy; it must read back, and the committed copy must survive. */
static void check_write(struct blockdev *dev, const struct mda_header *header, const uint8_t *data,
			size_t size)
{
	_cleanup_free_ char *old_text = NULL, *new_text = NULL, *old_again = NULL, *back = NULL;
	size_t old_len = 0, new_len, len;
	struct vg_error err = { 0 };
	struct raw_locn slot;

	/* An ignored committed copy is not protected: lvm2 starts over at 512 then. */
	if (!(header->slots[MDA_SLOT_COMMITTED].flags & RAW_LOCN_IGNORED))
		old_text = read_slot(dev, header, &header->slots[MDA_SLOT_COMMITTED], &old_len);

	new_len = MIN(size, (size_t)MAX_NEW_TEXT_BYTES);
	new_text = malloc(new_len + 1);
	if (!new_text)
		return;
	memcpy(new_text, data + size - new_len, new_len);
	new_text[new_len] = '\0';

	if (mda_write_text(dev, header, new_text, new_len, &slot, &err) < 0) {
		if (err.message[0] == '\0')
			abort();
		return;
	}
	if (slot.offset_bytes != mda_next_text_offset(header, &header->slots[MDA_SLOT_COMMITTED]))
		abort();
	back = read_slot(dev, header, &slot, &len);
	if (!back || memcmp(back, new_text, new_len) != 0)
		abort();
	if (old_text) {
		old_again = read_slot(dev, header, &header->slots[MDA_SLOT_COMMITTED], &len);
		if (!old_again || len != old_len || memcmp(old_again, old_text, len) != 0)
			abort();
	}
	check_precommit(dev, header, &slot);
}

/*
 * Checksums stop a fuzzer cold. When the input's third byte says so, make
 * the slots' text checksums (bit 1) and then the header checksum (bit 0)
 * right, so the validation behind them is fuzzed too. The wrap arithmetic
 * is restated here on purpose: an independent second opinion.
 */
static void fix_checksums(uint8_t *mem, size_t size, uint64_t start, uint8_t how)
{
	uint8_t *h = mem + start;
	uint64_t area_size = get_le64(h + 32);

	if (how & 2) {
		for (size_t i = 0; i < 2; i++) {
			uint8_t *slot = h + 40 + 24 * i;
			uint64_t offset = get_le64(slot), len = get_le64(slot + 8), first = len, wrap = 0;
			uint32_t crc;

			if (offset == 0 || offset >= area_size || len > area_size - 512)
				continue;
			if (len > area_size - offset) {
				first = area_size - offset;
				wrap = len - first;
			}
			if (start + offset + first > size || start + 512 + wrap > size)
				continue;
			crc = crc_lvm(LVM_CRC_INITIAL, mem + start + offset, (size_t)first);
			crc = crc_lvm(crc, mem + start + 512, (size_t)wrap);
			put_le32(slot + 16, crc);
		}
	}
	if (how & 3)
		put_le32(h, crc_lvm(LVM_CRC_INITIAL, h + 4, MDA_HEADER_BYTES - 4));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(blockdev_closep) struct blockdev *dev = NULL;
	struct vg_error err = { 0 };
	struct mda_header header;
	uint64_t start = MDA_DEFAULT_START_BYTES;
	struct mda_text_id id;

	if (size > MAX_INPUT_BYTES)
		size = MAX_INPUT_BYTES;
	(void)mda_text_peek((const char *)data, size, &id, NULL);
	if (size >= 2 && get_le16(data) != 0)
		start = (uint64_t)get_le16(data) * 512;
	if (blockdev_open_memory("fuzz", size, 512, NULL, &dev) < 0)
		return 0;
	memcpy(blockdev_memory_bytes(dev), data, size);
	if (size >= 3 && start + MDA_HEADER_BYTES <= size)
		fix_checksums(blockdev_memory_bytes(dev), size, start, data[2]);

	if (mda_header_read(dev, start, &header, &err) < 0) {
		if (err.message[0] == '\0')
			abort();
		/* A rescue searches even when the header is gone, with the label's start and size. */
		header = (struct mda_header){ .start_bytes = start, .size_bytes = MDA_DEFAULT_SIZE_BYTES };
		check_copies(dev, &header);
		return 0;
	}
	check_header_round_trip(&header);
	check_next_offsets(&header);
	for (size_t i = 0; i < 2; i++) {
		size_t len;

		free(read_slot(dev, &header, &header.slots[i], &len));
	}
	check_copies(dev, &header);
	check_write(dev, &header, data, size);
	return 0;
}
