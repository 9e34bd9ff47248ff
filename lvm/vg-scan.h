/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Find the volume groups on a set of devices: read each device's PV label
 * and metadata areas, parse the committed text, group the copies by VG id,
 * and pick for every VG the copy with the highest sequence number — noting
 * the copies that are older (stale), that disagree at the same seqno
 * (inconsistent), that cannot be read (damaged), and the PVs the metadata
 * names that are not among the devices (missing, so the VG is partial).
 *
 * md component detection is the caller's business (lvm/ does not know md):
 * pass only devices that are not mirror legs, or one leg of a mirror on
 * purpose, as a rescue does.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "blockdev.h"
#include "mda.h"
#include "pv-label.h"
#include "vg.h"

/* One metadata area of one scanned device. */
struct pv_scan_mda {
	uint64_t start_bytes;
	bool header_valid;
	struct mda_header header;
	bool has_text;      /* committed slot present and its text readable */
	char *text;         /* committed text (NUL-terminated); may be another area's, see text_shared */
	size_t text_len;
	bool text_shared;   /* text belongs to an earlier area whose committed slot has the same size and CRC */
	uint64_t seqno;
	char vg_name[MDA_VG_NAME_MAX + 1];
	char vg_id[LVM_UUID_LEN + 1];
	struct vg_error error; /* why the header or text is unusable; code 0 when fine */
};

/* One scanned device. The blockdev is borrowed from the caller. */
struct pv_scan {
	struct blockdev *dev;
	bool has_label;
	struct pv_label label;
	struct vg_error label_error; /* set when a damaged label was found */
	struct pv_scan_mda mdas[2];
	size_t n_mdas;
	ssize_t vg_index; /* into vg_scan_result.vgs; -1 for an orphan or unusable PV */
};

/* Where one PV of a VG's metadata was found. */
struct vg_scan_member {
	size_t pv_index;   /* index into vg->pvs */
	ssize_t scan_index; /* index into vg_scan_result.pvs, -1 when missing */
};

struct vg_scan_vg {
	struct vg *vg;          /* parsed from the winning copy */
	char *text;             /* the winning raw text */
	size_t text_len;
	size_t source_scan_index; /* the device the winning copy was read from */
	struct vg_scan_member *members; /* one per vg->pvs entry */
	size_t n_members;
	size_t n_missing;      /* PVs of the metadata not among the devices */
	size_t *stale;         /* scan indexes of devices whose copies are older */
	size_t n_stale;
	bool inconsistent;     /* same seqno, different text somewhere */
	struct vg_error parse_error; /* set when an older copy had to be used */
};

struct vg_scan_result {
	struct pv_scan *pvs;
	size_t n_pvs;
	struct vg_scan_vg *vgs;
	size_t n_vgs;
};

/*
 * Scan @devs (borrowed; they must stay open while the result is used).
 * Returns 0 even when some devices carry nothing or damaged data: that is
 * recorded per device. Fails only on ENOMEM. A copy whose committed slot
 * has the size and CRC of a copy read before it is not read again (see
 * text_shared).
 */
int vg_scan(struct blockdev **devs, size_t n_devs, struct vg_scan_result **ret_result,
	    struct vg_error *err);

/*
 * vg_scan() reading and checking every copy on every device, for tools
 * that must report each damaged copy (a rescue) rather than start fast.
 */
int vg_scan_every_copy(struct blockdev **devs, size_t n_devs, struct vg_scan_result **ret_result,
		       struct vg_error *err);
struct vg_scan_result *vg_scan_result_free(struct vg_scan_result *result);
DEFINE_CLEANUP_FUNC(struct vg_scan_result, vg_scan_result_free)

/* The scanned VG called @name, or NULL. */
struct vg_scan_vg *vg_scan_find(struct vg_scan_result *result, const char *name);

