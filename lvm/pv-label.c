/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The LVM2 physical-volume label (FORMATS.md section 1): the 32-byte
 * label_header, the pv_header with its data-area and metadata-area lists,
 * and the pv_header_extension with the bootloader-area list, all inside one
 * 512-byte sector among sectors 0-3 of a device. Decoding validates what
 * lvm2 validates before it trusts a label; encoding produces lvm2's exact
 * byte map, so stock tools and `pvck --dump headers` accept what we write.
 * The I/O functions only move sectors through struct blockdev.
 */
#include <inttypes.h>
#include <string.h>

#include "crc.h"
#include "endian-le.h"
#include "pv-label.h"

/* Byte offsets inside the label sector (label_header, then pv_header). */
#define LABEL_ID_OFFSET 0
#define LABEL_SECTOR_OFFSET 8
#define LABEL_CRC_OFFSET 16
#define LABEL_PV_HEADER_POS_OFFSET 20 /* the CRC covers this field to the end of the sector */
#define LABEL_TYPE_OFFSET 24
#define LABEL_HEADER_BYTES 32
#define PV_UUID_OFFSET 32
#define PV_DEVICE_SIZE_OFFSET 64
#define PV_LISTS_OFFSET 72
#define DISK_LOCN_BYTES 16
#define PV_EXT_HEADER_BYTES 8 /* version u32, flags u32 */

#define LABEL_ID "LABELONE"
#define LABEL_TYPE "LVM2 001"
#define LABEL_FIELD_BYTES 8

static uint32_t label_crc(const uint8_t sector[PV_LABEL_SECTOR_BYTES])
{
	return crc_lvm(LVM_CRC_INITIAL, sector + LABEL_PV_HEADER_POS_OFFSET,
		       PV_LABEL_SECTOR_BYTES - LABEL_PV_HEADER_POS_OFFSET);
}

static bool sector_has_label_id(const uint8_t *sector)
{
	return memcmp(sector + LABEL_ID_OFFSET, LABEL_ID, LABEL_FIELD_BYTES) == 0;
}

/*
 * Read one zero-terminated disk_locn list starting at *pos. The terminator
 * is the first entry whose offset is 0 (its size is not looked at, as in
 * lvm2); the terminator itself must lie inside the sector, or the list
 * "runs off the sector" and the label is refused as lvm2 refuses it.
 */
static int decode_locn_list(const uint8_t *sector, uint64_t sector_number, size_t *pos, const char *what,
			    struct disk_locn *out, size_t *ret_n, struct vg_error *err)
{
	size_t n = 0;

	for (;;) {
		uint64_t offset;

		if (*pos + DISK_LOCN_BYTES > PV_LABEL_SECTOR_BYTES)
			return vg_error_set(
				err, -EBADMSG,
				"label in sector %" PRIu64
				": the %s list runs off the end of the sector (no terminator before byte 512)",
				sector_number, what);
		offset = get_le64(sector + *pos);
		if (offset == 0)
			break;
		/* Cannot happen while entries and terminator must fit, but keep the array safe. */
		if (n >= PV_LABEL_MAX_LOCNS)
			return vg_error_set(err, -EBADMSG, "label in sector %" PRIu64 ": too many %s entries",
					    sector_number, what);
		out[n].offset_bytes = offset;
		out[n].size_bytes = get_le64(sector + *pos + 8);
		n++;
		*pos += DISK_LOCN_BYTES;
	}
	*pos += DISK_LOCN_BYTES; /* the terminator */
	*ret_n = n;
	return 0;
}

int pv_label_decode(const uint8_t sector[PV_LABEL_SECTOR_BYTES], uint64_t sector_number,
		    struct pv_label *ret_label, struct vg_error *err)
{
	struct pv_label label = { .sector = sector_number };
	uint64_t stored_sector;
	uint32_t stored_crc, computed_crc, pv_header_pos;
	size_t pos;
	int r;

	if (!sector_has_label_id(sector))
		return vg_error_set(err, -ENODATA, "sector %" PRIu64 ": no LABELONE signature",
				    sector_number);

	/* lvm2 ignores a label copied to another sector: it names where it belongs. */
	stored_sector = get_le64(sector + LABEL_SECTOR_OFFSET);
	if (stored_sector != sector_number)
		return vg_error_set(err, -EBADMSG,
				    "label in sector %" PRIu64 ": its sector field says %" PRIu64
				    " (a label copied from elsewhere?)",
				    sector_number, stored_sector);

	stored_crc = get_le32(sector + LABEL_CRC_OFFSET);
	computed_crc = label_crc(sector);
	if (stored_crc != computed_crc)
		return vg_error_set(err, -EBADMSG,
				    "label in sector %" PRIu64 ": CRC 0x%08" PRIx32
				    " does not match computed 0x%08" PRIx32,
				    sector_number, stored_crc, computed_crc);

	pv_header_pos = get_le32(sector + LABEL_PV_HEADER_POS_OFFSET);
	if (pv_header_pos != LABEL_HEADER_BYTES)
		return vg_error_set(err, -EBADMSG,
				    "label in sector %" PRIu64 ": pv_header offset is %" PRIu32
				    ", expected %d",
				    sector_number, pv_header_pos, LABEL_HEADER_BYTES);

	if (memcmp(sector + LABEL_TYPE_OFFSET, LABEL_TYPE, LABEL_FIELD_BYTES) != 0) {
		char type[LABEL_FIELD_BYTES + 1];

		for (size_t i = 0; i < LABEL_FIELD_BYTES; i++) {
			char c = (char)sector[LABEL_TYPE_OFFSET + i];

			type[i] = (c >= 0x20 && c < 0x7f) ? c : '?';
		}
		type[LABEL_FIELD_BYTES] = '\0';
		return vg_error_set(err, -EPROTONOSUPPORT,
				    "label in sector %" PRIu64 ": type \"%s\" is not \"" LABEL_TYPE "\"",
				    sector_number, type);
	}

	for (size_t i = 0; i < LVM_UUID_LEN; i++) {
		char c = (char)sector[PV_UUID_OFFSET + i];

		if (!lvm_uuid_char_valid(c))
			return vg_error_set(err, -EBADMSG,
					    "label in sector %" PRIu64
					    ": PV uuid has an invalid character 0x%02x at position %zu",
					    sector_number, (unsigned char)c, i);
		label.pv_uuid[i] = c;
	}
	label.pv_uuid[LVM_UUID_LEN] = '\0';
	label.device_size_bytes = get_le64(sector + PV_DEVICE_SIZE_OFFSET);

	pos = PV_LISTS_OFFSET;
	r = decode_locn_list(sector, sector_number, &pos, "data area", label.data_areas, &label.n_data_areas,
			     err);
	if (r < 0)
		return r;
	if (label.n_data_areas == 0)
		return vg_error_set(err, -EBADMSG, "label in sector %" PRIu64 ": the data area list is empty",
				    sector_number);
	r = decode_locn_list(sector, sector_number, &pos, "metadata area", label.metadata_areas,
			     &label.n_metadata_areas, err);
	if (r < 0)
		return r;

	/*
	 * Labels written before the extension existed have zeros (or no room)
	 * here; lvm2 reads them as version 0, and so do we.
	 */
	if (pos + PV_EXT_HEADER_BYTES <= PV_LABEL_SECTOR_BYTES) {
		label.ext_version = get_le32(sector + pos);
		if (label.ext_version > 0) {
			label.ext_flags = get_le32(sector + pos + 4);
			pos += PV_EXT_HEADER_BYTES;
			r = decode_locn_list(sector, sector_number, &pos, "bootloader area",
					     label.bootloader_areas, &label.n_bootloader_areas, err);
			if (r < 0)
				return r;
		}
	}

	*ret_label = label;
	return 0;
}

static int check_locn_list(const struct disk_locn *list, size_t n, const char *what, struct vg_error *err)
{
	if (n > PV_LABEL_MAX_LOCNS)
		return vg_error_set(err, -EINVAL, "%zu %s entries, at most %d fit in a label", n, what,
				    PV_LABEL_MAX_LOCNS);
	for (size_t i = 0; i < n; i++)
		if (list[i].offset_bytes == 0)
			return vg_error_set(err, -EINVAL,
					    "%s %zu has offset 0, which would read as the end of the list",
					    what, i);
	return 0;
}

static size_t encode_locn_list(uint8_t *sector, size_t pos, const struct disk_locn *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		put_le64(sector + pos, list[i].offset_bytes);
		put_le64(sector + pos + 8, list[i].size_bytes);
		pos += DISK_LOCN_BYTES;
	}
	return pos + DISK_LOCN_BYTES; /* the all-zero terminator is already there */
}

int pv_label_encode(const struct pv_label *label, uint8_t sector[PV_LABEL_SECTOR_BYTES], struct vg_error *err)
{
	size_t needed, pos;
	int r;

	if (label->n_data_areas == 0)
		return vg_error_set(err, -EINVAL, "a PV label needs at least one data area");
	r = check_locn_list(label->data_areas, label->n_data_areas, "data area", err);
	if (r < 0)
		return r;
	r = check_locn_list(label->metadata_areas, label->n_metadata_areas, "metadata area", err);
	if (r < 0)
		return r;
	r = check_locn_list(label->bootloader_areas, label->n_bootloader_areas, "bootloader area", err);
	if (r < 0)
		return r;
	if (label->ext_version == 0 && label->n_bootloader_areas > 0)
		return vg_error_set(err, -EINVAL,
				    "bootloader areas need a pv_header extension (version >= 1)");
	if (strnlen(label->pv_uuid, LVM_UUID_LEN + 1) != LVM_UUID_LEN)
		return vg_error_set(err, -EINVAL, "PV uuid \"%.40s\" is not %d characters without dashes",
				    label->pv_uuid, LVM_UUID_LEN);
	for (size_t i = 0; i < LVM_UUID_LEN; i++)
		if (!lvm_uuid_char_valid(label->pv_uuid[i]))
			return vg_error_set(err, -EINVAL,
					    "PV uuid \"%s\" has an invalid character at position %zu",
					    label->pv_uuid, i);

	needed = PV_LISTS_OFFSET + DISK_LOCN_BYTES * (label->n_data_areas + 1 + label->n_metadata_areas + 1);
	if (label->ext_version > 0)
		needed += PV_EXT_HEADER_BYTES + DISK_LOCN_BYTES * (label->n_bootloader_areas + 1);
	if (needed > PV_LABEL_SECTOR_BYTES)
		return vg_error_set(err, -EINVAL,
				    "the area lists need %zu bytes, more than one %d-byte sector", needed,
				    PV_LABEL_SECTOR_BYTES);

	memset(sector, 0, PV_LABEL_SECTOR_BYTES);
	memcpy(sector + LABEL_ID_OFFSET, LABEL_ID, LABEL_FIELD_BYTES);
	put_le64(sector + LABEL_SECTOR_OFFSET, label->sector);
	put_le32(sector + LABEL_PV_HEADER_POS_OFFSET, LABEL_HEADER_BYTES);
	memcpy(sector + LABEL_TYPE_OFFSET, LABEL_TYPE, LABEL_FIELD_BYTES);
	memcpy(sector + PV_UUID_OFFSET, label->pv_uuid, LVM_UUID_LEN);
	put_le64(sector + PV_DEVICE_SIZE_OFFSET, label->device_size_bytes);

	pos = encode_locn_list(sector, PV_LISTS_OFFSET, label->data_areas, label->n_data_areas);
	pos = encode_locn_list(sector, pos, label->metadata_areas, label->n_metadata_areas);
	if (label->ext_version > 0) {
		put_le32(sector + pos, label->ext_version);
		put_le32(sector + pos + 4, label->ext_flags);
		encode_locn_list(sector, pos + PV_EXT_HEADER_BYTES, label->bootloader_areas,
				 label->n_bootloader_areas);
	}

	/* Last: the CRC covers everything from byte 20 on, lists included. */
	put_le32(sector + LABEL_CRC_OFFSET, label_crc(sector));
	return 0;
}

/* How many of sectors 0-3 the device has (a tiny image may have fewer). */
static unsigned scan_sector_count(const struct blockdev *dev)
{
	return (unsigned)MIN((uint64_t)PV_LABEL_SCAN_SECTORS, dev->size_bytes / PV_LABEL_SECTOR_BYTES);
}

int pv_label_read(struct blockdev *dev, struct pv_label *ret_label, struct vg_error *err)
{
	uint8_t sectors[PV_LABEL_SCAN_SECTORS * PV_LABEL_SECTOR_BYTES];
	struct vg_error first_invalid = { 0 };
	unsigned n = scan_sector_count(dev);
	int r;

	if (n == 0)
		return vg_error_set(err, -ENODATA, "%s: too small (%" PRIu64 " bytes) to hold an LVM label",
				    dev->path, dev->size_bytes);
	r = blockdev_read(dev, 0, sectors, (size_t)n * PV_LABEL_SECTOR_BYTES, err);
	if (r < 0)
		return r;

	for (unsigned i = 0; i < n; i++) {
		struct vg_error candidate = { 0 };
		struct pv_label label;

		r = pv_label_decode(sectors + (size_t)i * PV_LABEL_SECTOR_BYTES, i, &label, &candidate);
		if (r == 0) {
			*ret_label = label;
			return 0;
		}
		/* Keep the first broken label: it is what a person needs to hear about. */
		if (r != -ENODATA && first_invalid.code == 0)
			first_invalid = candidate;
	}

	if (first_invalid.code != 0)
		return vg_error_set(err, -ENODATA, "%s: no valid LVM label in sectors 0-%u: %s", dev->path,
				    n - 1, first_invalid.message);
	return vg_error_set(err, -ENODATA, "%s: no LVM label in sectors 0-%u", dev->path, n - 1);
}

/*
 * Make lvm2 (and blkid) stop seeing a label in @sector_number: clear the
 * label_header. Sectors 1-3 are lvm2's own and are zeroed whole; sector 0
 * may hold a partition table after the label_header, so only the 32 bytes
 * that make it a label are cleared there.
 */
static int clear_label_sector(struct blockdev *dev, unsigned sector_number, struct vg_error *err)
{
	uint64_t offset = (uint64_t)sector_number * PV_LABEL_SECTOR_BYTES;
	int r;

	if (sector_number == 0)
		r = blockdev_zero(dev, offset, LABEL_HEADER_BYTES, err);
	else
		r = blockdev_zero(dev, offset, PV_LABEL_SECTOR_BYTES, err);
	if (r < 0)
		return vg_error_prefix(err, r, "%s: clearing the LVM label in sector %u: ", dev->path,
				       sector_number);
	return 0;
}

/* Clear every LABELONE sector among 0-3 except @keep_sector (pass a value >= 4 to keep none). */
static int clear_labels_except(struct blockdev *dev, uint64_t keep_sector, struct vg_error *err)
{
	uint8_t sectors[PV_LABEL_SCAN_SECTORS * PV_LABEL_SECTOR_BYTES];
	unsigned n = scan_sector_count(dev);
	int r;

	if (n == 0)
		return 0;
	r = blockdev_read(dev, 0, sectors, (size_t)n * PV_LABEL_SECTOR_BYTES, err);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < n; i++) {
		if (i == keep_sector || !sector_has_label_id(sectors + (size_t)i * PV_LABEL_SECTOR_BYTES))
			continue;
		r = clear_label_sector(dev, i, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int pv_label_write(struct blockdev *dev, const struct pv_label *label, struct vg_error *err)
{
	uint8_t sector[PV_LABEL_SECTOR_BYTES];
	int r;

	if (label->sector >= PV_LABEL_SCAN_SECTORS)
		return vg_error_set(err, -EINVAL, "%s: label sector %" PRIu64 " is not among sectors 0-%d",
				    dev->path, label->sector, PV_LABEL_SCAN_SECTORS - 1);
	r = pv_label_encode(label, sector, err);
	if (r < 0)
		return vg_error_prefix(err, r, "%s: ", dev->path);

	/*
	 * The new label goes first, stale ones are cleared after: a crash in
	 * between leaves two valid labels, and lvm2 takes the lower sector, an
	 * old or new state either way. Clearing first could leave none.
	 */
	r = blockdev_write(dev, label->sector * PV_LABEL_SECTOR_BYTES, sector, sizeof(sector), err);
	if (r < 0)
		return r;
	return clear_labels_except(dev, label->sector, err);
}

int pv_label_wipe(struct blockdev *dev, struct vg_error *err)
{
	return clear_labels_except(dev, PV_LABEL_SCAN_SECTORS, err);
}
