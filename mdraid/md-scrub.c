/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Userspace check and repair of a mirror's legs (see md-scrub.h). */
#include <inttypes.h>
#include <string.h>

#include "md-scrub.h"

#define SCRUB_CHUNK_BYTES (1u << 20)

int md_mirror_scrub_range(const struct md_mirror_view *view, bool repair, uint64_t offset, uint64_t length,
			  struct md_scrub_result *acc, struct vg_error *err)
{
	_cleanup_free_ uint8_t *want = malloc(SCRUB_CHUNK_BYTES), *have = malloc(SCRUB_CHUNK_BYTES);
	uint64_t total = view->size_sectors * 512, end;
	ssize_t source = md_mirror_view_source(view);
	int r;

	if (!want || !have)
		return vg_error_set(err, -ENOMEM, "out of memory");
	if (source < 0)
		return vg_error_set(err, -ENODEV, "mirror %s: no fresh in-sync leg to compare with", view->name);
	if (offset % 512 || offset > total)
		return vg_error_set(err, -EINVAL, "mirror %s: scrub offset %" PRIu64 " is not a sector of the array",
				    view->name, offset);
	end = MIN(total, offset + MIN(length, total - offset));
	for (uint64_t off = offset; off < end; off += SCRUB_CHUNK_BYTES) {
		size_t len = (size_t)MIN((uint64_t)SCRUB_CHUNK_BYTES, end - off);

		r = blockdev_read(view->legs[source].dev, off, want, len, err);
		if (r < 0)
			return r;
		for (size_t l = 0; l < view->n_legs; l++) {
			const struct md_mirror_leg *leg = &view->legs[l];

			if ((ssize_t)l == source || !leg->present || !leg->fresh || leg->state != MD_LEG_IN_SYNC)
				continue;
			r = blockdev_read(leg->dev, off, have, len, err);
			if (r < 0)
				return r;
			for (size_t s = 0; s < len; s += 512) {
				size_t n = MIN((size_t)512, len - s);

				if (memcmp(want + s, have + s, n) == 0)
					continue;
				acc->mismatched_sectors++;
				if (!repair)
					continue;
				r = blockdev_write(leg->dev, off + s, want + s, n, err);
				if (r < 0)
					return r;
				acc->repaired_sectors++;
			}
		}
		acc->checked_sectors += len / 512;
	}
	return 0;
}

int md_mirror_scrub_flush(const struct md_mirror_view *view, struct vg_error *err)
{
	for (size_t l = 0; l < view->n_legs; l++)
		if (view->legs[l].present && view->legs[l].fresh) {
			int r = blockdev_flush(view->legs[l].dev, err);

			if (r < 0)
				return r;
		}
	return 0;
}

int md_mirror_scrub(const struct md_mirror_view *view, bool repair, struct md_scrub_result *ret_result,
		    struct vg_error *err)
{
	struct md_scrub_result result = { 0 };
	int r;

	r = md_mirror_scrub_range(view, repair, 0, view->size_sectors * 512, &result, err);
	if (r == 0 && repair)
		r = md_mirror_scrub_flush(view, err);
	if (r < 0)
		return r;
	*ret_result = result;
	return 0;
}
