/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The LVM2 physical-volume label: label_header + pv_header + the data-area,
 * metadata-area and bootloader-area lists + pv_header_extension, all inside
 * one 512-byte sector among sectors 0-3 (FORMATS.md section 1).
 */
#pragma once

#include <stdint.h>

#include "blockdev.h"
#include "error.h"
#include "uuid.h"

#define PV_LABEL_SECTOR_BYTES 512
#define PV_LABEL_DEFAULT_SECTOR 1
#define PV_LABEL_SCAN_SECTORS 4
#define PV_LABEL_MAX_LOCNS 27 /* more entries cannot fit in one sector */
#define PV_EXT_VERSION 2
#define PV_EXT_USED 1u

struct disk_locn {
	uint64_t offset_bytes;
	uint64_t size_bytes; /* 0 for a data area means "to the end of the device" */
};

struct pv_label {
	uint64_t sector;   /* where the label is (0..3) */
	char pv_uuid[LVM_UUID_LEN + 1];
	uint64_t device_size_bytes;
	struct disk_locn data_areas[PV_LABEL_MAX_LOCNS];
	size_t n_data_areas;
	struct disk_locn metadata_areas[PV_LABEL_MAX_LOCNS];
	size_t n_metadata_areas;
	uint32_t ext_version; /* 0 when the header has no extension */
	uint32_t ext_flags;
	struct disk_locn bootloader_areas[PV_LABEL_MAX_LOCNS];
	size_t n_bootloader_areas;
};

/*
 * Decode the label in one 512-byte sector found at @sector_number.
 * Returns 0; -ENODATA when the sector holds no "LABELONE"; -EBADMSG for a
 * wrong sector number, CRC, offset or an area list running off the sector;
 * -EPROTONOSUPPORT when the type is not "LVM2 001". @err names the field.
 */
int pv_label_decode(const uint8_t sector[PV_LABEL_SECTOR_BYTES], uint64_t sector_number,
		    struct pv_label *ret_label, struct vg_error *err);

/* Encode into a zeroed 512-byte sector, CRC included. -EINVAL if the lists do not fit or have no data area. */
int pv_label_encode(const struct pv_label *label, uint8_t sector[PV_LABEL_SECTOR_BYTES], struct vg_error *err);

/*
 * Find the label in sectors 0-3 of @dev (first valid wins, as lvm2).
 * -ENODATA when there is none; invalid candidates are described in @err only
 * when no valid label exists.
 */
int pv_label_read(struct blockdev *dev, struct pv_label *ret_label, struct vg_error *err);

/* Write the label at label->sector and clear any other LABELONE sector among 0-3. No flush. */
int pv_label_write(struct blockdev *dev, const struct pv_label *label, struct vg_error *err);

/* Remove every LVM label from sectors 0-3 (pvremove). No flush. */
int pv_label_wipe(struct blockdev *dev, struct vg_error *err);
