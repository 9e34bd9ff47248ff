/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An LVM2 metadata area: a 512-byte header (magic, location, the committed
 * and precommitted slots) followed by a circular buffer of metadata text
 * copies (FORMATS.md section 2). Pure placement arithmetic and header
 * encoding are separate from the blockdev I/O so both can be tested alone.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "blockdev.h"
#include "error.h"
#include "uuid.h"

#define MDA_HEADER_BYTES 512
#define MDA_MAGIC " LVM2 x[5A%r0N*>"
#define MDA_MAGIC_BYTES 16
#define MDA_VERSION 1
#define MDA_SLOT_COMMITTED 0
#define MDA_SLOT_PRECOMMITTED 1
#define RAW_LOCN_IGNORED 1u
/* lvm2's defaults: the first area starts at 4 KiB and ends at 1 MiB. */
#define MDA_DEFAULT_START_BYTES 4096
#define MDA_DEFAULT_SIZE_BYTES (1048576 - 4096)
#define MDA_MIN_SIZE_BYTES (8 * 4096)

struct raw_locn {
	uint64_t offset_bytes; /* relative to the area start; 0 = empty slot */
	uint64_t size_bytes;   /* text length including the trailing NUL */
	uint32_t checksum;     /* LVM CRC of those bytes (chained across a wrap) */
	uint32_t flags;        /* RAW_LOCN_IGNORED */
};

struct mda_header {
	uint64_t start_bytes; /* absolute offset of the area (= of this header) on the device */
	uint64_t size_bytes;  /* whole area including the header */
	uint32_t version;
	struct raw_locn slots[2]; /* [MDA_SLOT_COMMITTED], [MDA_SLOT_PRECOMMITTED] */
};

/*
 * Decode and validate a header read at @expected_start_bytes: checksum,
 * magic, version, start, size >= 512, slots inside the area.
 * -EBADMSG with the failing field; -EPROTONOSUPPORT for another version.
 */
int mda_header_decode(const uint8_t buf[MDA_HEADER_BYTES], uint64_t expected_start_bytes,
		      struct mda_header *ret_header, struct vg_error *err);
void mda_header_encode(const struct mda_header *header, uint8_t buf[MDA_HEADER_BYTES]);

int mda_header_read(struct blockdev *dev, uint64_t start_bytes, struct mda_header *ret_header,
		    struct vg_error *err);
int mda_header_write(struct blockdev *dev, const struct mda_header *header, struct vg_error *err);

/* A fresh area: first 4 KiB zeroed, then an empty header (both slots zero). No flush. */
int mda_init(struct blockdev *dev, uint64_t start_bytes, uint64_t size_bytes, struct vg_error *err);

/* The largest text (NUL included) an area can take while two copies coexist: ((size-512)/2)-512. */
uint64_t mda_max_text_bytes(uint64_t area_size_bytes);

/*
 * Where lvm2 puts the copy that follows @current (relative offset): just
 * after it rounded up to 512, or back at 512 when too little room remains.
 * An empty @current (offset 0) gives 512.
 */
uint64_t mda_next_text_offset(const struct mda_header *header, const struct raw_locn *current);

/*
 * Read the text a slot points to, following a wrap, and verify its checksum.
 * Returns 0 and a NUL-terminated malloc'ed copy (*ret_len excludes the NUL);
 * -ENODATA for an empty slot; -EBADMSG for a checksum mismatch or a slot out
 * of bounds.
 */
int mda_read_text(struct blockdev *dev, const struct mda_header *header, const struct raw_locn *slot,
		  char **ret_text, size_t *ret_len, struct vg_error *err);

/*
 * Write @text (@len bytes, without NUL; the NUL is written too) into the ring
 * after the committed copy, wrapping as lvm2 does; zero the rest of the last
 * 512-byte block. Fills *ret_slot with the location. The header is not
 * touched (that is the caller's precommit/commit). -ENOSPC when the text is
 * larger than mda_max_text_bytes().
 */
int mda_write_text(struct blockdev *dev, const struct mda_header *header, const char *text, size_t len,
		   struct raw_locn *ret_slot, struct vg_error *err);

/*
 * A text to be written to many areas, prepared once: its bytes followed by
 * MDA_TEXT_PAD_BYTES zeros (its NUL and the padding of its last 512-byte
 * block, wherever the ring puts it) and its CRC, so a commit to n areas
 * neither copies nor checksums the text n times.
 */
#define MDA_TEXT_PAD_BYTES 512

struct mda_text {
	char *padded;      /* len bytes of text, then MDA_TEXT_PAD_BYTES zeros */
	size_t len;        /* without the NUL */
	uint32_t checksum; /* of the text and its NUL */
};

/* Copy @text into a new padded buffer (the caller frees ret_text->padded). -ENOMEM, -EFBIG. */
int mda_text_prepare(const char *text, size_t len, struct mda_text *ret_text);
/* The CRC recorded for @len bytes of text followed by their NUL at padded[len]. */
uint32_t mda_text_checksum(const char *padded, size_t len);
/* mda_write_text() of a prepared text. */
int mda_write_prepared(struct blockdev *dev, const struct mda_header *header, const struct mda_text *text,
		       struct raw_locn *ret_slot, struct vg_error *err);

/* The first lines of a metadata text copy: "<vg name> {\nid = \"<vg id>\"\nseqno = <n>". */
#define MDA_VG_NAME_MAX 127

struct mda_text_id {
	char vg_name[MDA_VG_NAME_MAX + 1];
	char vg_id[LVM_UUID_TEXT_LEN + 1]; /* as written: normally the dashed form */
	uint64_t seqno;
};

/*
 * Identify a metadata text from its first three lines, as pvck does, without
 * parsing the rest. Returns 0 and fills *ret_id; -EBADMSG when the text does
 * not start that way.
 */
int mda_text_peek(const char *text, size_t len, struct mda_text_id *ret_id, struct vg_error *err);

/*
 * mda_text_peek() of the copy a slot points to, reading only its first 512
 * bytes and checking no checksum: enough to tell which VG (and seqno) a PV
 * claims without reading its whole text. -ENODATA for an empty slot.
 */
int mda_peek_slot(struct blockdev *dev, const struct mda_header *header, const struct raw_locn *slot,
		  struct mda_text_id *ret_id, struct vg_error *err);

/* A metadata text copy found in the ring buffer by mda_find_text_copies(). */
struct mda_text_copy {
	uint64_t offset_bytes; /* relative to the area start; always a multiple of 512 */
	uint64_t size_bytes;   /* up to and including the first NUL */
	uint32_t checksum;     /* LVM CRC of those bytes, chained across a wrap */
	bool wrapped;          /* continues at offset 512 */
	bool in_slot[2];       /* slot [i] points here with this size and checksum */
	struct mda_text_id id;
};

/*
 * Search the ring buffer of the area described by @header (only its start
 * and size are used, so a header rebuilt from the PV label works too) for
 * every text copy lvm2 could have written: each 512-byte boundary where the
 * text starts as mda_text_peek() wants and a NUL follows within half the ring
 * (two copies always fit, so no real copy is longer), as pvck's
 * metadata_search finds them. The part of an area beyond the end of @dev is
 * not searched. Returns 0, a malloc'ed array the caller frees (NULL when
 * none) and its length, sorted by offset; -EFBIG for an area too large to
 * search in memory.
 */
int mda_find_text_copies(struct blockdev *dev, const struct mda_header *header,
			 struct mda_text_copy **ret_copies, size_t *ret_n, struct vg_error *err);
