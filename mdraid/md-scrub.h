/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Scrubbing a mirror without the md driver, as md's sync_action check and
 * repair do: compare every in-sync leg with the source leg over the array's
 * data, count the 512-byte sectors that differ (md's mismatch_cnt), and on
 * repair copy the source's sectors over the others'.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "md-mirror.h"

struct md_scrub_result {
	uint64_t checked_sectors;
	uint64_t mismatched_sectors; /* summed over the legs compared with the source */
	uint64_t repaired_sectors;
};

/*
 * Scrub @view's fresh in-sync legs against md_mirror_view_source(). The
 * mirror must not be written meanwhile (its userspace device closed).
 * Returns 0; -ENODEV without a source; -EIO with the leg and offset of a
 * failed read or write.
 */
int md_mirror_scrub(const struct md_mirror_view *view, bool repair, struct md_scrub_result *ret_result,
		    struct vg_error *err);

/*
 * The same over [@offset, @offset + @length) of the array only (clipped to
 * its size), the counts added to *@acc: a scrub done in steps. After a
 * repair's last step, md_mirror_scrub_flush makes the rewritten sectors
 * durable. -EINVAL for an offset that is not a sector inside the array.
 */
int md_mirror_scrub_range(const struct md_mirror_view *view, bool repair, uint64_t offset, uint64_t length,
			  struct md_scrub_result *acc, struct vg_error *err);
int md_mirror_scrub_flush(const struct md_mirror_view *view, struct vg_error *err);
