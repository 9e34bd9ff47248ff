/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer harness for the PV label (lvm/pv-label.c), which reads the first
 * sectors of any device it is pointed at. Every 512-byte sector of the input
 * is decoded (at its own position, at the position it claims, and there
 * again with its CRC made right so the checks behind it are reached), and the
 * input as a memory device goes through pv_label_read. Whatever decodes must
 * survive encode -> decode unchanged, and writing it back to the device must
 * read back the same label; pv_label_wipe must leave no label. abort() on
 * any broken property, so the fuzzer reports it.
 */
#include <stdlib.h>
#include <string.h>

#include "crc.h"
#include "endian-le.h"
#include "pv-label.h"

#define MAX_INPUT_BYTES (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool locns_equal(const struct disk_locn *a, const struct disk_locn *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].offset_bytes != b[i].offset_bytes || a[i].size_bytes != b[i].size_bytes)
			return false;
	return true;
}

static bool labels_equal(const struct pv_label *a, const struct pv_label *b)
{
	return a->sector == b->sector && strcmp(a->pv_uuid, b->pv_uuid) == 0 &&
		a->device_size_bytes == b->device_size_bytes && a->n_data_areas == b->n_data_areas &&
		locns_equal(a->data_areas, b->data_areas, a->n_data_areas) &&
		a->n_metadata_areas == b->n_metadata_areas &&
		locns_equal(a->metadata_areas, b->metadata_areas, a->n_metadata_areas) &&
		a->ext_version == b->ext_version && a->ext_flags == b->ext_flags &&
		a->n_bootloader_areas == b->n_bootloader_areas &&
		locns_equal(a->bootloader_areas, b->bootloader_areas, a->n_bootloader_areas);
}

/* decode(encode(x)) == x for every label that decoded. */
static void check_round_trip(const struct pv_label *label)
{
	uint8_t sector[PV_LABEL_SECTOR_BYTES];
	struct vg_error err = { 0 };
	struct pv_label back;

	if (pv_label_encode(label, sector, &err) < 0)
		abort(); /* a decoded label is always encodable */
	if (pv_label_decode(sector, label->sector, &back, &err) < 0)
		abort();
	if (!labels_equal(label, &back))
		abort();
}

static void check_sector(const uint8_t *sector, uint64_t position)
{
	struct vg_error err = { 0 };
	struct pv_label label;

	if (pv_label_decode(sector, position, &label, &err) == 0)
		check_round_trip(&label);
	else if (err.message[0] == '\0')
		abort(); /* every failure explains itself */
}

static void check_device(const uint8_t *data, size_t size)
{
	_cleanup_(blockdev_closep) struct blockdev *dev = NULL;
	struct vg_error err = { 0 };
	struct pv_label label, back;

	if (blockdev_open_memory("fuzz", size, 512, NULL, &dev) < 0)
		return;
	memcpy(blockdev_memory_bytes(dev), data, size);
	if (pv_label_read(dev, &label, &err) < 0) {
		if (err.code != -ENODATA)
			abort(); /* the contract: no valid label is -ENODATA, nothing else */
		return;
	}
	check_round_trip(&label);

	/* Written back (stale labels in other sectors cleared), it reads back the same. */
	if (pv_label_write(dev, &label, &err) < 0)
		abort();
	if (pv_label_read(dev, &back, &err) < 0 || !labels_equal(&label, &back))
		abort();
	if (pv_label_wipe(dev, &err) < 0 || pv_label_read(dev, &back, &err) != -ENODATA)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MAX_INPUT_BYTES)
		size = MAX_INPUT_BYTES;

	for (size_t i = 0; i + PV_LABEL_SECTOR_BYTES <= size; i += PV_LABEL_SECTOR_BYTES) {
		const uint8_t *sector = data + i;

		check_sector(sector, i / PV_LABEL_SECTOR_BYTES);
		/* Also where it claims to be, so the fuzzer gets past the sector check at once. */
		check_sector(sector, get_le64(sector + 8));
		/* And with a correct CRC, so the checks behind the CRC get fuzzed too. */
		{
			uint8_t fixed[PV_LABEL_SECTOR_BYTES];

			memcpy(fixed, sector, sizeof(fixed));
			put_le32(fixed + 16, crc_lvm(LVM_CRC_INITIAL, fixed + 20, sizeof(fixed) - 20));
			check_sector(fixed, get_le64(fixed + 8));
		}
	}
	check_device(data, size);
	return 0;
}
