/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An LVM2 metadata area (FORMATS.md section 2): the 512-byte mda_header with
 * its committed and precommitted slots, and the circular buffer behind it
 * where each new metadata text copy follows the committed one, rounded up to
 * 512 bytes and wrapping back to offset 512 at the end of the area, so that
 * the old and the new copy always coexist. This file places, writes, reads
 * and checks text copies exactly as lvm2 does, and can search the ring for
 * older copies for a rescue tool. It never writes a header on its own: the
 * two-phase commit (precommit, then commit) belongs to the caller.
 */
#include <inttypes.h>
#include <string.h>

#include "crc.h"
#include "endian-le.h"
#include "mda.h"

/* Byte offsets inside the 512-byte mda_header. */
#define MDA_CHECKSUM_OFFSET 0
#define MDA_MAGIC_OFFSET 4 /* the checksum covers this field to the end of the sector */
#define MDA_VERSION_OFFSET 20
#define MDA_START_OFFSET 24
#define MDA_SIZE_OFFSET 32
#define MDA_SLOTS_OFFSET 40
#define RAW_LOCN_BYTES 24

/* Texts are placed on 512-byte boundaries relative to the area start (lvm2's alignment). */
#define MDA_TEXT_ALIGN 512
/* What mda_init() zeroes at the start of a new area, as lvm2 does. */
#define MDA_INIT_ZERO_BYTES 4096
/* Smallest area mda_init() accepts: room for two tiny copies. */
#define MDA_INIT_MIN_BYTES 2048
/* The copy search holds the whole ring in memory; lvm2's default area is 1 MiB. */
#define MDA_SEARCH_MAX_BYTES (256ull << 20)
/* Enough text for the three identifying lines (name <= 127, id <= 38 + quoting, seqno <= 20). */
#define MDA_PEEK_BYTES 512

static const char *const slot_names[2] = { "committed", "precommitted" };

static uint32_t header_checksum(const uint8_t buf[MDA_HEADER_BYTES])
{
	return crc_lvm(LVM_CRC_INITIAL, buf + MDA_MAGIC_OFFSET, MDA_HEADER_BYTES - MDA_MAGIC_OFFSET);
}

static bool slot_is_empty(const struct raw_locn *slot)
{
	return slot->offset_bytes == 0;
}

/* lvm2's read-side bounds for a slot: it must start inside the area and fit in its ring. */
static int check_slot_bounds(const struct raw_locn *slot, uint64_t area_size_bytes, uint64_t area_start_bytes,
			     const char *slot_name, struct vg_error *err)
{
	if (slot->offset_bytes >= area_size_bytes)
		return vg_error_set(err, -EBADMSG,
				    "metadata area at %" PRIu64 ": %s slot offset %" PRIu64
				    " lies outside the area of %" PRIu64 " bytes",
				    area_start_bytes, slot_name, slot->offset_bytes, area_size_bytes);
	if (slot->size_bytes > area_size_bytes - MDA_HEADER_BYTES)
		return vg_error_set(err, -EBADMSG,
				    "metadata area at %" PRIu64 ": %s slot size %" PRIu64
				    " exceeds the %" PRIu64 "-byte ring buffer",
				    area_start_bytes, slot_name, slot->size_bytes,
				    area_size_bytes - MDA_HEADER_BYTES);
	return 0;
}

int mda_header_decode(const uint8_t buf[MDA_HEADER_BYTES], uint64_t expected_start_bytes,
		      struct mda_header *ret_header, struct vg_error *err)
{
	struct mda_header header = { 0 };
	uint32_t stored, computed;
	int r;

	/* The magic first: an area that was never initialised should say so, not "bad checksum". */
	if (memcmp(buf + MDA_MAGIC_OFFSET, MDA_MAGIC, MDA_MAGIC_BYTES) != 0)
		return vg_error_set(err, -EBADMSG, "metadata area header at %" PRIu64 ": magic not found",
				    expected_start_bytes);

	stored = get_le32(buf + MDA_CHECKSUM_OFFSET);
	computed = header_checksum(buf);
	if (stored != computed)
		return vg_error_set(err, -EBADMSG,
				    "metadata area header at %" PRIu64 ": checksum 0x%08" PRIx32
				    " does not match computed 0x%08" PRIx32,
				    expected_start_bytes, stored, computed);

	header.version = get_le32(buf + MDA_VERSION_OFFSET);
	if (header.version != MDA_VERSION)
		return vg_error_set(err, -EPROTONOSUPPORT,
				    "metadata area header at %" PRIu64 ": version %" PRIu32
				    ", only %d is known",
				    expected_start_bytes, header.version, MDA_VERSION);

	header.start_bytes = get_le64(buf + MDA_START_OFFSET);
	if (header.start_bytes != expected_start_bytes)
		return vg_error_set(err, -EBADMSG,
				    "metadata area header at %" PRIu64 ": its start field says %" PRIu64,
				    expected_start_bytes, header.start_bytes);

	header.size_bytes = get_le64(buf + MDA_SIZE_OFFSET);
	if (header.size_bytes < MDA_HEADER_BYTES)
		return vg_error_set(err, -EBADMSG,
				    "metadata area header at %" PRIu64 ": area size %" PRIu64
				    " is smaller than its own %d-byte header",
				    expected_start_bytes, header.size_bytes, MDA_HEADER_BYTES);

	for (size_t i = 0; i < ARRAY_SIZE(header.slots); i++) {
		const uint8_t *p = buf + MDA_SLOTS_OFFSET + i * RAW_LOCN_BYTES;
		struct raw_locn *slot = &header.slots[i];

		slot->offset_bytes = get_le64(p);
		slot->size_bytes = get_le64(p + 8);
		slot->checksum = get_le32(p + 16);
		slot->flags = get_le32(p + 20);
		r = check_slot_bounds(slot, header.size_bytes, expected_start_bytes, slot_names[i], err);
		if (r < 0)
			return r;
	}

	*ret_header = header;
	return 0;
}

void mda_header_encode(const struct mda_header *header, uint8_t buf[MDA_HEADER_BYTES])
{
	memset(buf, 0, MDA_HEADER_BYTES);
	memcpy(buf + MDA_MAGIC_OFFSET, MDA_MAGIC, MDA_MAGIC_BYTES);
	/* Only version 1 exists; writing anything else would make the area unreadable to lvm2. */
	put_le32(buf + MDA_VERSION_OFFSET, MDA_VERSION);
	put_le64(buf + MDA_START_OFFSET, header->start_bytes);
	put_le64(buf + MDA_SIZE_OFFSET, header->size_bytes);
	for (size_t i = 0; i < ARRAY_SIZE(header->slots); i++) {
		uint8_t *p = buf + MDA_SLOTS_OFFSET + i * RAW_LOCN_BYTES;

		put_le64(p, header->slots[i].offset_bytes);
		put_le64(p + 8, header->slots[i].size_bytes);
		put_le32(p + 16, header->slots[i].checksum);
		put_le32(p + 20, header->slots[i].flags);
	}
	/* raw_locn[2], the terminator, and the rest of the sector stay zero. */
	put_le32(buf + MDA_CHECKSUM_OFFSET, header_checksum(buf));
}

int mda_header_read(struct blockdev *dev, uint64_t start_bytes, struct mda_header *ret_header,
		    struct vg_error *err)
{
	uint8_t buf[MDA_HEADER_BYTES];
	int r;

	r = blockdev_read(dev, start_bytes, buf, sizeof(buf), err);
	if (r < 0)
		return r;
	r = mda_header_decode(buf, start_bytes, ret_header, err);
	if (r < 0)
		return vg_error_prefix(err, r, "%s: ", dev->path);
	return 0;
}

int mda_header_write(struct blockdev *dev, const struct mda_header *header, struct vg_error *err)
{
	uint8_t buf[MDA_HEADER_BYTES];
	struct vg_error why = { 0 };
	struct mda_header check;
	int r;

	mda_header_encode(header, buf);
	/* Never write a header that we (and lvm2) would refuse to read back. */
	r = mda_header_decode(buf, header->start_bytes, &check, &why);
	if (r < 0)
		return vg_error_set(err, -EINVAL, "%s: refusing to write an invalid header: %s", dev->path,
				    why.message);
	/* One 512-byte write: a sector is the unit the disk writes atomically. */
	return blockdev_write(dev, header->start_bytes, buf, sizeof(buf), err);
}

/* The area [start, start + size) must lie on the device before we touch or allocate for it. */
static int check_area_on_device(struct blockdev *dev, uint64_t start_bytes, uint64_t size_bytes,
				struct vg_error *err)
{
	uint64_t end;

	if (ADD_OVERFLOWS(start_bytes, size_bytes, &end) || end > dev->size_bytes)
		return vg_error_set(err, -ENXIO,
				    "%s: metadata area at %" PRIu64 " of %" PRIu64
				    " bytes runs past the end of the device (%" PRIu64 " bytes)",
				    dev->path, start_bytes, size_bytes, dev->size_bytes);
	return 0;
}

int mda_init(struct blockdev *dev, uint64_t start_bytes, uint64_t size_bytes, struct vg_error *err)
{
	uint8_t buf[MDA_INIT_ZERO_BYTES] = { 0 };
	struct mda_header header = {
		.start_bytes = start_bytes,
		.size_bytes = size_bytes,
		.version = MDA_VERSION,
	};
	int r;

	/* Offset 0 would read as the end of the PV label's metadata area list. */
	if (start_bytes == 0 || start_bytes % MDA_TEXT_ALIGN != 0)
		return vg_error_set(err, -EINVAL,
				    "%s: metadata area start %" PRIu64 " is not a non-zero multiple of %d",
				    dev->path, start_bytes, MDA_TEXT_ALIGN);
	if (size_bytes < MDA_INIT_MIN_BYTES || size_bytes % MDA_TEXT_ALIGN != 0)
		return vg_error_set(err, -EINVAL,
				    "%s: metadata area size %" PRIu64
				    " is not a multiple of %d of at least %d bytes",
				    dev->path, size_bytes, MDA_TEXT_ALIGN, MDA_INIT_MIN_BYTES);
	r = check_area_on_device(dev, start_bytes, size_bytes, err);
	if (r < 0)
		return r;

	/* Header and the zeroed rest of the first 4 KiB in one write. */
	mda_header_encode(&header, buf);
	return blockdev_write(dev, start_bytes, buf, (size_t)MIN(size_bytes, (uint64_t)sizeof(buf)), err);
}

uint64_t mda_max_text_bytes(uint64_t area_size_bytes)
{
	uint64_t half;

	if (area_size_bytes < MDA_HEADER_BYTES)
		return 0;
	/* Two copies share the ring, and each may lose up to 512 bytes to alignment. */
	half = (area_size_bytes - MDA_HEADER_BYTES) / 2;
	return half > MDA_TEXT_ALIGN ? half - MDA_TEXT_ALIGN : 0;
}

/* Bytes of a copy that run past the end of the area and continue at offset 512; 0 if none. */
static uint64_t text_wrap_bytes(uint64_t area_size_bytes, uint64_t offset_bytes, uint64_t size_bytes)
{
	/* Written without offset + size, which a damaged header could overflow. */
	if (offset_bytes >= area_size_bytes)
		return size_bytes;
	return size_bytes > area_size_bytes - offset_bytes ? size_bytes - (area_size_bytes - offset_bytes)
							   : 0;
}

/* The relative offset one past the last byte of a copy, following a wrap. */
static uint64_t text_end_offset(uint64_t area_size_bytes, const struct raw_locn *slot)
{
	uint64_t wrap = text_wrap_bytes(area_size_bytes, slot->offset_bytes, slot->size_bytes);

	return wrap ? MDA_HEADER_BYTES + wrap : slot->offset_bytes + slot->size_bytes;
}

uint64_t mda_next_text_offset(const struct mda_header *header, const struct raw_locn *current)
{
	uint64_t end, next;

	/* lvm2 places the first copy, and the one after an ignored area, at the ring's start. */
	if (slot_is_empty(current) || (current->flags & RAW_LOCN_IGNORED))
		return MDA_HEADER_BYTES;
	/* A slot the header check would refuse: nothing sensible to follow. */
	if (header->size_bytes < 2 * MDA_HEADER_BYTES || current->offset_bytes >= header->size_bytes ||
	    current->size_bytes > header->size_bytes - MDA_HEADER_BYTES)
		return MDA_HEADER_BYTES;

	end = text_end_offset(header->size_bytes, current);
	if (end > header->size_bytes || header->size_bytes - end + 1 < MDA_TEXT_ALIGN)
		return MDA_HEADER_BYTES; /* less than 512 bytes left after the last byte */
	next = ROUND_UP(end, (uint64_t)MDA_TEXT_ALIGN);
	if (next > header->size_bytes - MDA_TEXT_ALIGN)
		return MDA_HEADER_BYTES;
	return next;
}

/* Bounds of the byte ranges a slot occupies on the device; checked before any allocation. */
static int check_slot_readable(struct blockdev *dev, const struct mda_header *header,
			       const struct raw_locn *slot, const char *what, struct vg_error *err)
{
	uint64_t wrap, end;
	int r;

	if (slot->size_bytes == 0)
		return vg_error_set(err, -EBADMSG,
				    "%s: metadata area at %" PRIu64 ": %s text at offset %" PRIu64
				    " has size 0",
				    dev->path, header->start_bytes, what, slot->offset_bytes);
	r = check_slot_bounds(slot, header->size_bytes, header->start_bytes, what, err);
	if (r < 0)
		return vg_error_prefix(err, r, "%s: ", dev->path);

	/*
	 * Only the bytes of the copy must be on the device, not the whole
	 * area: a rescue image may hold just the start of a PV.
	 */
	wrap = text_wrap_bytes(header->size_bytes, slot->offset_bytes, slot->size_bytes);
	if (ADD_OVERFLOWS(header->start_bytes, slot->offset_bytes + (slot->size_bytes - wrap), &end) ||
	    end > dev->size_bytes ||
	    (wrap && header->start_bytes + MDA_HEADER_BYTES + wrap > dev->size_bytes))
		return vg_error_set(err, -ENXIO,
				    "%s: metadata text at area offset %" PRIu64 " (%" PRIu64
				    " bytes) of the area at %" PRIu64
				    " lies beyond the end of the device (%" PRIu64 " bytes)",
				    dev->path, slot->offset_bytes, slot->size_bytes, header->start_bytes,
				    dev->size_bytes);
	return 0;
}

/* Read @size bytes of a copy at relative @offset, the part past the area end from offset 512. */
static int read_ring(struct blockdev *dev, const struct mda_header *header, uint64_t offset, uint64_t size,
		     uint8_t *buf, struct vg_error *err)
{
	uint64_t wrap = text_wrap_bytes(header->size_bytes, offset, size);
	int r;

	r = blockdev_read(dev, header->start_bytes + offset, buf, (size_t)(size - wrap), err);
	if (r < 0 || wrap == 0)
		return r;
	return blockdev_read(dev, header->start_bytes + MDA_HEADER_BYTES, buf + (size - wrap), (size_t)wrap,
			     err);
}

/* -ENODATA for an empty slot, or check_slot_readable()'s verdict. */
static int check_slot_to_read(struct blockdev *dev, const struct mda_header *header, const struct raw_locn *slot,
			      struct vg_error *err)
{
	if (slot_is_empty(slot))
		return vg_error_set(err, -ENODATA, "%s: metadata area at %" PRIu64 ": the slot is empty",
				    dev->path, header->start_bytes);
	return check_slot_readable(dev, header, slot, "slot", err);
}

int mda_read_text(struct blockdev *dev, const struct mda_header *header, const struct raw_locn *slot,
		  char **ret_text, size_t *ret_len, struct vg_error *err)
{
	_cleanup_free_ uint8_t *buf = NULL;
	uint32_t computed;
	size_t len;
	int r;

	r = check_slot_to_read(dev, header, slot, err);
	if (r < 0)
		return r;
	if (slot->size_bytes >= SIZE_MAX)
		return vg_error_set(err, -EFBIG, "%s: metadata text of %" PRIu64 " bytes is too large",
				    dev->path, slot->size_bytes);

	buf = malloc((size_t)slot->size_bytes + 1);
	if (!buf)
		return vg_error_set(err, -ENOMEM, "%s: out of memory for %" PRIu64 " bytes of metadata text",
				    dev->path, slot->size_bytes);
	r = read_ring(dev, header, slot->offset_bytes, slot->size_bytes, buf, err);
	if (r < 0)
		return r;

	/* Same bytes in the same order as written, so the chained CRC is a plain CRC of the buffer. */
	computed = crc_lvm(LVM_CRC_INITIAL, buf, (size_t)slot->size_bytes);
	if (computed != slot->checksum)
		return vg_error_set(err, -EBADMSG,
				    "%s: metadata text at %" PRIu64 " (area offset %" PRIu64 ", %" PRIu64
				    " bytes%s): checksum 0x%08" PRIx32 " does not match 0x%08" PRIx32
				    " recorded in the header",
				    dev->path, header->start_bytes + slot->offset_bytes, slot->offset_bytes,
				    slot->size_bytes,
				    text_wrap_bytes(header->size_bytes, slot->offset_bytes, slot->size_bytes)
					    ? ", wrapped"
					    : "",
				    computed, slot->checksum);

	/* lvm2 writes the text and one NUL; do not count that NUL in the length. */
	len = (size_t)slot->size_bytes;
	if (buf[len - 1] == '\0')
		len--;
	buf[slot->size_bytes] = '\0';
	*ret_text = (char *)TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

/*
 * The ranges [start, end) of the ring a copy occupies, one or two of them.
 * Used to prove that a new copy (with its zero padding) leaves the committed
 * one intact before anything is written.
 */
struct ring_ranges {
	uint64_t start[2], end[2];
	size_t n;
};

static void copy_ranges(uint64_t area_size_bytes, uint64_t offset, uint64_t size, struct ring_ranges *ret)
{
	uint64_t wrap = text_wrap_bytes(area_size_bytes, offset, size);

	ret->start[0] = offset;
	ret->end[0] = wrap ? area_size_bytes : offset + size;
	ret->n = 1;
	if (wrap) {
		ret->start[1] = MDA_HEADER_BYTES;
		ret->end[1] = MDA_HEADER_BYTES + wrap;
		ret->n = 2;
	}
}

static bool ranges_overlap(const struct ring_ranges *a, const struct ring_ranges *b)
{
	for (size_t i = 0; i < a->n; i++)
		for (size_t j = 0; j < b->n; j++)
			if (a->start[i] < b->end[j] && b->start[j] < a->end[i])
				return true;
	return false;
}

_Static_assert(MDA_TEXT_PAD_BYTES >= MDA_TEXT_ALIGN, "a prepared text's zeros must cover its last block");

int mda_text_prepare(const char *text, size_t len, struct mda_text *ret_text)
{
	char *padded;

	if (len >= SIZE_MAX - MDA_TEXT_PAD_BYTES)
		return -EFBIG;
	padded = calloc(1, len + MDA_TEXT_PAD_BYTES);
	if (!padded)
		return -ENOMEM;
	memcpy(padded, text, len);
	*ret_text = (struct mda_text){
		.padded = padded,
		.len = len,
		.checksum = mda_text_checksum(padded, len),
	};
	return 0;
}

uint32_t mda_text_checksum(const char *padded, size_t len)
{
	/* the text and its NUL, as written and as the header records it */
	return crc_lvm(LVM_CRC_INITIAL, padded, len + 1);
}

int mda_write_text(struct blockdev *dev, const struct mda_header *header, const char *text, size_t len,
		   struct raw_locn *ret_slot, struct vg_error *err)
{
	struct mda_text prepared;
	int r;

	r = mda_text_prepare(text, len, &prepared);
	if (r < 0)
		return vg_error_set(err, r, "%s: no memory for %zu bytes of metadata text", dev->path, len);
	r = mda_write_prepared(dev, header, &prepared, ret_slot, err);
	free(prepared.padded);
	return r;
}

int mda_write_prepared(struct blockdev *dev, const struct mda_header *header, const struct mda_text *text,
		       struct raw_locn *ret_slot, struct vg_error *err)
{
	const struct raw_locn *committed = &header->slots[MDA_SLOT_COMMITTED];
	const uint8_t *buf = (const uint8_t *)text->padded;
	size_t len = text->len;
	uint64_t max = mda_max_text_bytes(header->size_bytes);
	uint64_t size, start, wrap, first_bytes, second_bytes = 0;
	struct ring_ranges new_ranges, old_ranges;
	struct vg_error why = { 0 };
	struct raw_locn slot;
	int r;

	if (len >= SIZE_MAX - 2 * MDA_TEXT_ALIGN || (uint64_t)len + 1 > max)
		return vg_error_set(
			err, -ENOSPC,
			"%s: metadata text of %zu bytes (with its NUL) exceeds the maximum of %" PRIu64
			" bytes for the metadata area at %" PRIu64 " of %" PRIu64 " bytes",
			dev->path, len + 1, max, header->start_bytes, header->size_bytes);
	r = check_slot_bounds(committed, header->size_bytes, header->start_bytes,
			      slot_names[MDA_SLOT_COMMITTED], &why);
	if (r < 0)
		return vg_error_set(err, -EINVAL, "%s: %s", dev->path, why.message);
	r = check_area_on_device(dev, header->start_bytes, header->size_bytes, err);
	if (r < 0)
		return r;

	size = (uint64_t)len + 1;
	start = mda_next_text_offset(header, committed);
	wrap = text_wrap_bytes(header->size_bytes, start, size);
	first_bytes = size - wrap;
	/* Zeros up to the next 512-byte boundary after the text, never past the area end. */
	if (wrap)
		second_bytes =
			MIN(ROUND_UP(wrap, (uint64_t)MDA_TEXT_ALIGN), header->size_bytes - MDA_HEADER_BYTES);
	else
		first_bytes = MIN(ROUND_UP(size, (uint64_t)MDA_TEXT_ALIGN), header->size_bytes - start);

	/*
	 * The size limit keeps two copies apart already; like lvm2 we still
	 * check, since the committed copy may be larger than our limit (written
	 * by someone with other rules) and must survive until the commit.
	 */
	if (!slot_is_empty(committed) && !(committed->flags & RAW_LOCN_IGNORED)) {
		copy_ranges(header->size_bytes, start, wrap ? size : first_bytes, &new_ranges);
		if (wrap)
			new_ranges.end[1] = MDA_HEADER_BYTES + second_bytes;
		copy_ranges(header->size_bytes, committed->offset_bytes, committed->size_bytes, &old_ranges);
		if (ranges_overlap(&new_ranges, &old_ranges))
			return vg_error_set(err, -ENOSPC,
					    "%s: metadata text of %" PRIu64 " bytes at area offset %" PRIu64
					    " would overwrite the committed copy (offset %" PRIu64
					    ", %" PRIu64 " bytes) in the metadata area at %" PRIu64,
					    dev->path, size, start, committed->offset_bytes,
					    committed->size_bytes, header->start_bytes);
	}

	/*
	 * Both pieces end at most 511 bytes past the NUL, inside the zeros
	 * that follow a prepared text: the padding needs no copy.
	 */
	slot = (struct raw_locn){
		.offset_bytes = start,
		.size_bytes = size,
		.checksum = text->checksum,
	};

	r = blockdev_write(dev, header->start_bytes + start, buf, (size_t)first_bytes, err);
	if (r < 0)
		return r;
	if (wrap) {
		r = blockdev_write(dev, header->start_bytes + MDA_HEADER_BYTES, buf + first_bytes,
				   (size_t)second_bytes, err);
		if (r < 0)
			return r;
	}
	*ret_slot = slot;
	return 0;
}

/* ---- reading the first lines of a text, and the rescue search ---- */

static bool vg_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
		c == '_' || c == '.' || c == '-';
}

struct peek_cursor {
	const char *p, *end;
};

static void peek_skip_blanks(struct peek_cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
}

/* Blanks, then exactly @word. */
static bool peek_expect(struct peek_cursor *c, const char *word)
{
	size_t n = strlen(word);

	peek_skip_blanks(c);
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
		return false;
	c->p += n;
	return true;
}

int mda_text_peek(const char *text, size_t len, struct mda_text_id *ret_id, struct vg_error *err)
{
	struct peek_cursor c = { .p = text, .end = text + len };
	struct mda_text_id id = { 0 };
	size_t n = 0;
	bool digits = false;

	while (c.p < c.end && vg_name_char(*c.p)) {
		if (n == MDA_VG_NAME_MAX)
			return vg_error_set(err, -EBADMSG, "metadata text: VG name longer than %d characters",
					    MDA_VG_NAME_MAX);
		id.vg_name[n++] = *c.p++;
	}
	if (n == 0 || !peek_expect(&c, "{") || !peek_expect(&c, "\n"))
		return vg_error_set(err, -EBADMSG, "metadata text does not start with \"<vg name> {\"");

	if (!peek_expect(&c, "id") || !peek_expect(&c, "=") || !peek_expect(&c, "\""))
		return vg_error_set(err, -EBADMSG, "metadata text of VG %s: second line is not id = \"...\"",
				    id.vg_name);
	for (n = 0; c.p < c.end && *c.p != '"'; n++, c.p++) {
		if (n == LVM_UUID_TEXT_LEN || !(lvm_uuid_char_valid(*c.p) || *c.p == '-'))
			return vg_error_set(err, -EBADMSG, "metadata text of VG %s: the id is not a VG uuid",
					    id.vg_name);
		id.vg_id[n] = *c.p;
	}
	if (!peek_expect(&c, "\"") || !peek_expect(&c, "\n"))
		return vg_error_set(err, -EBADMSG, "metadata text of VG %s: the id line is not terminated",
				    id.vg_name);

	if (!peek_expect(&c, "seqno") || !peek_expect(&c, "="))
		return vg_error_set(err, -EBADMSG, "metadata text of VG %s: third line is not seqno = N",
				    id.vg_name);
	peek_skip_blanks(&c);
	for (; c.p < c.end && *c.p >= '0' && *c.p <= '9'; c.p++) {
		if (MUL_OVERFLOWS(id.seqno, 10, &id.seqno) ||
		    ADD_OVERFLOWS(id.seqno, (uint64_t)(*c.p - '0'), &id.seqno))
			return vg_error_set(err, -EBADMSG, "metadata text of VG %s: seqno out of range",
					    id.vg_name);
		digits = true;
	}
	if (!digits)
		return vg_error_set(err, -EBADMSG, "metadata text of VG %s: seqno has no digits", id.vg_name);

	*ret_id = id;
	return 0;
}

int mda_peek_slot(struct blockdev *dev, const struct mda_header *header, const struct raw_locn *slot,
		  struct mda_text_id *ret_id, struct vg_error *err)
{
	char head[MDA_PEEK_BYTES];
	size_t len;
	int r;

	r = check_slot_to_read(dev, header, slot, err);
	if (r < 0)
		return r;
	len = (size_t)MIN(slot->size_bytes, (uint64_t)sizeof(head));
	r = read_ring(dev, header, slot->offset_bytes, len, (uint8_t *)head, err);
	if (r < 0)
		return r;
	r = mda_text_peek(head, len, ret_id, err);
	if (r < 0)
		return vg_error_prefix(err, r, "%s: ", dev->path);
	return 0;
}

/*
 * The ring as it sits in memory for the search: ring[i] is the byte at
 * relative offset i of the area, for i < avail. When the whole area is
 * present, reading past its end continues at offset 512, as lvm2 writes.
 */
struct ring_view {
	const uint8_t *area;
	uint64_t size; /* the area size from the header */
	uint64_t avail; /* bytes of the area present on the device */
};

static bool ring_complete(const struct ring_view *v)
{
	return v->avail == v->size;
}

/* Copy up to @max bytes starting at relative @offset, following a wrap; returns how many. */
static size_t ring_copy(const struct ring_view *v, uint64_t offset, char *out, size_t max)
{
	size_t n = 0;

	while (n < max && n < v->size - MDA_HEADER_BYTES) {
		if (offset >= v->avail) {
			if (!ring_complete(v))
				break;
			offset = MDA_HEADER_BYTES;
		}
		out[n++] = (char)v->area[offset++];
	}
	return n;
}

/*
 * Length up to and including the first NUL at or after @offset, following a
 * wrap; 0 if there is none within half the ring. Two copies always share the
 * ring, so no copy lvm2 wrote is longer, and the bound keeps the search linear
 * in the copies found rather than quadratic in the area size.
 */
static uint64_t ring_text_size(const struct ring_view *v, uint64_t offset, uint32_t *ret_checksum)
{
	uint64_t ring_bytes = (v->size - MDA_HEADER_BYTES) / 2;
	uint64_t pos = offset, n = 0;
	uint32_t crc = LVM_CRC_INITIAL;

	while (n < ring_bytes) {
		uint64_t run_end = v->avail;
		const uint8_t *nul;

		if (pos >= v->avail) {
			if (!ring_complete(v))
				return 0;
			pos = MDA_HEADER_BYTES;
			continue;
		}
		run_end = MIN(run_end, pos + (ring_bytes - n));
		nul = memchr(v->area + pos, '\0', (size_t)(run_end - pos));
		if (nul) {
			uint64_t part = (uint64_t)(nul - (v->area + pos)) + 1;

			*ret_checksum = crc_lvm(crc, v->area + pos, (size_t)part);
			return n + part;
		}
		crc = crc_lvm(crc, v->area + pos, (size_t)(run_end - pos));
		n += run_end - pos;
		pos = run_end;
	}
	return 0;
}

int mda_find_text_copies(struct blockdev *dev, const struct mda_header *header,
			 struct mda_text_copy **ret_copies, size_t *ret_n, struct vg_error *err)
{
	_cleanup_free_ uint8_t *area = NULL;
	_cleanup_free_ struct mda_text_copy *copies = NULL;
	size_t n = 0, cap = 0;
	struct ring_view view;
	int r;

	if (header->size_bytes <= MDA_HEADER_BYTES || header->start_bytes >= dev->size_bytes) {
		*ret_copies = NULL;
		*ret_n = 0;
		return 0;
	}
	view.size = header->size_bytes;
	view.avail = MIN(header->size_bytes, dev->size_bytes - header->start_bytes);
	if (view.avail > MDA_SEARCH_MAX_BYTES)
		return vg_error_set(err, -EFBIG,
				    "%s: metadata area at %" PRIu64 " of %" PRIu64
				    " bytes is too large to search for metadata copies",
				    dev->path, header->start_bytes, header->size_bytes);

	r = blockdev_read_alloc(dev, header->start_bytes, (size_t)view.avail, (void **)&area, err);
	if (r < 0)
		return r;
	view.area = area;

	for (uint64_t offset = MDA_HEADER_BYTES; offset < view.avail; offset += MDA_TEXT_ALIGN) {
		char head[MDA_PEEK_BYTES];
		struct mda_text_copy copy = { .offset_bytes = offset };
		size_t head_len;

		head_len = ring_copy(&view, offset, head, sizeof(head));
		if (mda_text_peek(head, head_len, &copy.id, NULL) < 0)
			continue;
		copy.size_bytes = ring_text_size(&view, offset, &copy.checksum);
		if (copy.size_bytes == 0)
			continue; /* no end within the ring: not a copy we can delimit */
		copy.wrapped = text_wrap_bytes(view.size, offset, copy.size_bytes) > 0;
		for (size_t i = 0; i < ARRAY_SIZE(copy.in_slot); i++) {
			const struct raw_locn *slot = &header->slots[i];

			copy.in_slot[i] = !slot_is_empty(slot) && slot->offset_bytes == offset &&
				slot->size_bytes == copy.size_bytes && slot->checksum == copy.checksum;
		}

		if (n == cap) {
			size_t new_cap = cap ? cap * 2 : 16;
			struct mda_text_copy *bigger = reallocarray(copies, new_cap, sizeof(*copies));

			if (!bigger)
				return vg_error_set(err, -ENOMEM, "%s: out of memory listing metadata copies",
						    dev->path);
			copies = bigger;
			cap = new_cap;
		}
		copies[n++] = copy;
	}

	*ret_copies = TAKE_PTR(copies);
	*ret_n = n;
	return 0;
}
