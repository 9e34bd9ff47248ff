/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * LV -> device-mapper table rows and LVM2's dm names (FORMATS.md 5.2, 5.4).
 * Pure code: the VG model in, strings out; the kernel is dmctl-libdm.c's.
 * Rows follow lvm2's dev_manager.c: a one-stripe segment is `linear`, more
 * stripes are `striped` with the chunk in sectors, and every area's offset
 * is the PV's pe_start plus its first extent times the extent size.
 *
 * A VG with a move in progress has LV segments on the hidden LV pvmove0
 * (docs/pv-move.md). As lvm2 does, pvmove0 is a dm device of its own
 * (lv_table_build_move: moved chunks linear to the destination, the chunk
 * being copied a dm mirror of source and destination, the rest linear to
 * the source) and those LV segments map linear onto it, so the LVs' tables
 * stay the same while the move goes on. Without the pvmove0 device (a
 * reader of the metadata that copies nothing), they map straight to where
 * each run of extents reads from now, as pv_move_map_extent says.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lv-table.h"
#include "pv-move.h"
#include "strbuf.h"
#include "uuid.h"

struct lv_table *lv_table_free(struct lv_table *table)
{
	if (!table)
		return NULL;
	for (size_t i = 0; i < table->n_rows; i++)
		free(table->rows[i].params);
	free(table->rows);
	free(table);
	return NULL;
}

/* " <dev> <offset>" of one stripe into @sb; -ENODEV / -EBADMSG as lv_table_build. */
static int put_area(struct strbuf *sb, const struct vg *vg, const struct vg_lv *lv, size_t seg_no,
		    const struct vg_stripe *stripe, lv_table_device_fn device_of, void *userdata,
		    struct vg_error *err)
{
	const struct vg_pv *pv;
	const char *dev;
	uint64_t offset;

	if (stripe->pv_index >= vg->n_pvs)
		return vg_error_set(err, -EBADMSG, "LV %s segment %zu: stripe on PV index %zu of %zu", lv->name,
				    seg_no + 1, stripe->pv_index, vg->n_pvs);
	pv = vg->pvs[stripe->pv_index];
	if (MUL_OVERFLOWS(stripe->first_pe, vg->extent_size_sectors, &offset) ||
	    ADD_OVERFLOWS(offset, pv->pe_start_sectors, &offset))
		return vg_error_set(err, -EBADMSG, "LV %s segment %zu: offset on %s overflows", lv->name,
				    seg_no + 1, pv->key);
	dev = device_of(stripe->pv_index, userdata);
	if (!dev || !*dev)
		return vg_error_set(err, -ENODEV, "LV %s segment %zu: PV %s (%s) is not available", lv->name,
				    seg_no + 1, pv->key, pv->device_hint ? pv->device_hint : "no device hint");
	strbuf_printf(sb, "%s%s %" PRIu64, sb->len ? " " : "", dev, offset);
	return 0;
}

/* One more row at the end of @table, grown as needed (@cap rows allocated). NULL on ENOMEM. */
static struct lv_table_row *new_row(struct lv_table *table, size_t *cap)
{
	if (table->n_rows == *cap) {
		size_t n = *cap ? *cap * 2 : 4;
		struct lv_table_row *grown = realloc(table->rows, n * sizeof(*grown));

		if (!grown)
			return NULL;
		table->rows = grown;
		*cap = n;
	}
	memset(&table->rows[table->n_rows], 0, sizeof(table->rows[0]));
	return &table->rows[table->n_rows];
}

/* The run of extents from @le (at most @max) that lie one after another on one PV: its first PE and length. */
static int mapped_run(const struct vg *vg, const struct vg_lv *lv, uint64_t le, uint64_t max, struct vg_stripe *ret_area,
		      uint64_t *ret_extents, struct vg_error *err)
{
	uint64_t n = 1;
	int r = pv_move_map_extent(vg, lv, le, &ret_area->pv_index, &ret_area->first_pe, err);

	if (r < 0)
		return r;
	for (; n < max; n++) {
		struct vg_stripe next;

		r = pv_move_map_extent(vg, lv, le + n, &next.pv_index, &next.first_pe, err);
		if (r < 0)
			return r;
		if (next.pv_index != ret_area->pv_index || next.first_pe != ret_area->first_pe + n)
			break;
	}
	*ret_extents = n;
	return 0;
}

/* A segment on pvmove0: one linear row per run of its extents on one PV, where they read from now. */
static int put_moving_segment(struct lv_table *table, size_t *cap, const struct vg *vg, const struct vg_lv *lv,
			      size_t seg_no, lv_table_device_fn device_of, void *userdata, uint64_t *start,
			      struct vg_error *err)
{
	const struct vg_segment *seg = lv->segments[seg_no];

	for (uint64_t done = 0; done < seg->extent_count;) {
		struct lv_table_row *row = new_row(table, cap);
		struct vg_stripe area;
		struct strbuf sb;
		uint64_t extents;
		int r;

		if (!row)
			return -ENOMEM;
		r = mapped_run(vg, lv, seg->start_extent + done, seg->extent_count - done, &area, &extents, err);
		if (r < 0)
			return r;
		strbuf_init(&sb);
		r = put_area(&sb, vg, lv, seg_no, &area, device_of, userdata, err);
		if (r == 0 && strbuf_status(&sb) < 0)
			r = -ENOMEM;
		if (r < 0) {
			strbuf_done(&sb);
			return r;
		}
		row->start_sectors = *start;
		row->length_sectors = extents * vg->extent_size_sectors;
		row->target = "linear";
		row->params = strbuf_steal(&sb, NULL);
		table->n_rows++;
		*start += row->length_sectors;
		done += extents;
	}
	return 0;
}

/* A segment on pvmove0, with its device: one linear row onto it at the segment's first extent there. */
static int put_on_move_device(struct lv_table_row *row, const struct vg *vg, const struct vg_lv *lv, size_t seg_no,
			      const char *move_device, uint64_t *start, struct vg_error *err)
{
	const struct vg_segment *seg = lv->segments[seg_no];
	uint64_t move_le, offset, length;

	if (!pv_move_segment_on_move(vg, seg, &move_le))
		return vg_error_set(err, -ENOTSUP, "LV %s segment %zu: kept striped segment not on %s", lv->name,
				    seg_no + 1, PV_MOVE_LV_NAME);
	if (MUL_OVERFLOWS(move_le, vg->extent_size_sectors, &offset) ||
	    MUL_OVERFLOWS(seg->extent_count, vg->extent_size_sectors, &length) || length == 0)
		return vg_error_set(err, -EBADMSG, "LV %s segment %zu: bad extent on %s", lv->name, seg_no + 1,
				    PV_MOVE_LV_NAME);
	if (asprintf(&row->params, "%s %" PRIu64, move_device, offset) < 0) {
		row->params = NULL;
		return -ENOMEM;
	}
	row->start_sectors = *start;
	row->length_sectors = length;
	row->target = "linear";
	*start += length;
	return 0;
}

bool lv_table_uses_move(const struct vg *vg, const struct vg_lv *lv)
{
	uint64_t le;

	for (size_t i = 0; i < lv->n_segments; i++)
		if (pv_move_segment_on_move(vg, lv->segments[i], &le))
			return true;
	return false;
}

int lv_table_build(const struct vg *vg, const struct vg_lv *lv, lv_table_device_fn device_of, void *userdata,
		   struct lv_table **ret_table, struct vg_error *err)
{
	const char *move_device = pv_move_in_progress(vg) ? device_of(LV_TABLE_MOVE_DEVICE, userdata) : NULL;

	_cleanup_(lv_table_freep) struct lv_table *table = NULL;
	uint64_t start = 0;
	size_t cap = 0;
	int r;

	if (lv->n_segments == 0)
		return vg_error_set(err, -EBADMSG, "LV %s has no segments", lv->name);
	table = calloc(1, sizeof(*table));
	if (!table)
		return -ENOMEM;
	for (size_t i = 0; i < lv->n_segments; i++) {
		const struct vg_segment *seg = lv->segments[i];
		struct lv_table_row *row = new_row(table, &cap);
		struct strbuf sb;
		uint64_t length;

		if (!row)
			return -ENOMEM;
		if (!seg->is_striped && seg->type && streq(seg->type, "striped") && move_device) {
			r = put_on_move_device(row, vg, lv, i, move_device, &start, err);
			if (r < 0)
				return r;
			table->n_rows++;
			continue;
		}
		if (!seg->is_striped && seg->type && streq(seg->type, "striped") && pv_move_in_progress(vg)) {
			r = put_moving_segment(table, &cap, vg, lv, i, device_of, userdata, &start, err);
			if (r < 0)
				return r;
			continue;
		}
		if (!seg->is_striped)
			return vg_error_set(err, -ENOTSUP,
					    "LV %s segment %zu: segment type \"%s\" cannot be activated (only striped)",
					    lv->name, i + 1, seg->type ? seg->type : "?");
		if (seg->stripe_count == 0 || !seg->stripes)
			return vg_error_set(err, -EBADMSG, "LV %s segment %zu has no stripes", lv->name, i + 1);
		if (MUL_OVERFLOWS(seg->extent_count, vg->extent_size_sectors, &length) || length == 0)
			return vg_error_set(err, -EBADMSG, "LV %s segment %zu: bad length", lv->name, i + 1);
		if (seg->stripe_count > 1 && seg->stripe_size_sectors == 0)
			return vg_error_set(err, -EBADMSG, "LV %s segment %zu: %u stripes without a stripe size",
					    lv->name, i + 1, seg->stripe_count);

		strbuf_init(&sb);
		if (seg->stripe_count > 1)
			strbuf_printf(&sb, "%u %" PRIu64, seg->stripe_count, seg->stripe_size_sectors);
		for (uint32_t s = 0; s < seg->stripe_count; s++) {
			r = put_area(&sb, vg, lv, i, &seg->stripes[s], device_of, userdata, err);
			if (r < 0) {
				strbuf_done(&sb);
				return r;
			}
		}
		if (strbuf_status(&sb) < 0) {
			strbuf_done(&sb);
			return -ENOMEM;
		}
		row->start_sectors = start;
		row->length_sectors = length;
		row->target = seg->stripe_count > 1 ? "striped" : "linear";
		row->params = strbuf_steal(&sb, NULL);
		table->n_rows++;
		if (ADD_OVERFLOWS(start, length, &start))
			return vg_error_set(err, -EBADMSG, "LV %s is too large", lv->name);
	}
	table->size_sectors = start;
	*ret_table = TAKE_PTR(table);
	return 0;
}

/* One row of pvmove0: chunk @c at @start, a mirror or linear to one of its areas. */
static int put_move_row(struct lv_table_row *row, const struct vg *vg, const struct vg_lv *move_lv, size_t c,
			const struct pv_move_chunk *chunk, bool mirror, lv_table_device_fn device_of, void *userdata,
			uint64_t start, struct vg_error *err)
{
	const struct vg_stripe src = { .pv_index = chunk->src_pv_index, .first_pe = chunk->src_pe };
	const struct vg_stripe dst = { .pv_index = chunk->dst_pv_index, .first_pe = chunk->dst_pe };
	struct strbuf sb;
	int r = 0;

	strbuf_init(&sb);
	if (mirror) {
		strbuf_printf(&sb, "core 1 %" PRIu64 " 2", pv_move_region_sectors(vg, chunk->extent_count));
		r = put_area(&sb, vg, move_lv, c, &src, device_of, userdata, err);
		if (r == 0)
			r = put_area(&sb, vg, move_lv, c, &dst, device_of, userdata, err);
	} else {
		r = put_area(&sb, vg, move_lv, c, chunk->moved ? &dst : &src, device_of, userdata, err);
	}
	if (r == 0 && strbuf_status(&sb) < 0)
		r = -ENOMEM;
	if (r < 0) {
		strbuf_done(&sb);
		return r;
	}
	row->start_sectors = start;
	row->length_sectors = chunk->extent_count * vg->extent_size_sectors;
	row->target = mirror ? "mirror" : "linear";
	row->params = strbuf_steal(&sb, NULL);
	return 0;
}

int lv_table_build_move(const struct vg *vg, bool mirror_next, lv_table_device_fn device_of, void *userdata,
			struct lv_table **ret_table, struct vg_error *err)
{
	_cleanup_(pv_move_plan_freep) struct pv_move_plan *plan = NULL;
	_cleanup_(lv_table_freep) struct lv_table *table = NULL;
	const struct vg_lv *move_lv = pv_move_lv(vg);
	bool mirror_left = mirror_next; /* the mirror row is still to place */
	uint64_t start = 0;
	size_t cap = 0;
	int r;

	if (!move_lv)
		return vg_error_set(err, -ENOENT, "VG %s has no move in progress", vg->name);
	r = pv_move_plan_from_vg(vg, &plan, err);
	if (r < 0)
		return r;
	if (plan->n_chunks == 0)
		return vg_error_set(err, -EBADMSG, "LV %s has no segments", move_lv->name);
	table = calloc(1, sizeof(*table));
	if (!table)
		return -ENOMEM;
	for (size_t c = 0; c < plan->n_chunks; c++) {
		const struct pv_move_chunk *chunk = &plan->chunks[c];
		struct lv_table_row *row = new_row(table, &cap);
		bool mirror = !chunk->moved && mirror_left;

		if (!row)
			return -ENOMEM;
		if (move_lv->segments[c]->start_extent * vg->extent_size_sectors != start ||
		    chunk->extent_count > UINT64_MAX / vg->extent_size_sectors)
			return vg_error_set(err, -EBADMSG, "LV %s segment %zu does not follow the one before",
					    move_lv->name, c + 1);
		r = put_move_row(row, vg, move_lv, c, chunk, mirror, device_of, userdata, start, err);
		if (r < 0)
			return r;
		mirror_left = mirror_left && !mirror;
		table->n_rows++;
		start += row->length_sectors;
	}
	table->size_sectors = start;
	*ret_table = TAKE_PTR(table);
	return 0;
}

/* One unsigned decimal at *p (digits only), *p moved past it; false when there is none or it overflows. */
static bool take_u64(const char **p, uint64_t *ret)
{
	const char *s = *p;
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*p = s;
	*ret = v;
	return true;
}

static bool take_char(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

int lv_mirror_status_parse(const char *params, struct lv_mirror_status *ret_status, struct vg_error *err)
{
	struct lv_mirror_status st = { 0 };
	const char *p = params;
	uint64_t n, major, minor, one, log_words;

	if (!take_u64(&p, &n) || !take_char(&p, ' ') || n < 1 || n > LV_MIRROR_LEGS_MAX)
		goto bad_legs;
	st.n_legs = (uint32_t)n;
	for (uint64_t i = 0; i < n; i++)
		if (!take_u64(&p, &major) || !take_char(&p, ':') || !take_u64(&p, &minor) || !take_char(&p, ' '))
			return vg_error_set(err, -EBADMSG, "mirror status \"%s\": leg %" PRIu64 " is not MAJ:MIN",
					    params, i + 1);
	if (!take_u64(&p, &st.in_sync_regions) || !take_char(&p, '/') || !take_u64(&p, &st.total_regions) ||
	    !take_char(&p, ' ') || st.total_regions == 0 || st.in_sync_regions > st.total_regions)
		return vg_error_set(err, -EBADMSG, "mirror status \"%s\": no <in-sync>/<regions> count", params);
	if (!take_u64(&p, &one) || one != 1 || !take_char(&p, ' '))
		return vg_error_set(err, -EBADMSG, "mirror status \"%s\": health is not one word", params);
	for (uint32_t i = 0; i < st.n_legs; i++, p++) {
		if (!*p || !strchr("ADSRU", *p))
			return vg_error_set(err, -EBADMSG, "mirror status \"%s\": no health letter for leg %u", params,
					    i + 1);
		st.health[i] = *p;
	}
	if (!take_char(&p, ' ') || !take_u64(&p, &log_words) || log_words == 0)
		return vg_error_set(err, -EBADMSG, "mirror status \"%s\": no log status after the health", params);
	for (uint64_t i = 0; i < log_words; i++) {
		size_t len;

		if (!take_char(&p, ' ') || (len = strcspn(p, " ")) == 0)
			return vg_error_set(err, -EBADMSG, "mirror status \"%s\": log status has fewer than %" PRIu64
					    " words", params, log_words);
		p += len;
	}
	if (*p)
		return vg_error_set(err, -EBADMSG, "mirror status \"%s\": unexpected \"%s\" at the end", params, p);
	*ret_status = st;
	return 0;
bad_legs:
	return vg_error_set(err, -EBADMSG, "mirror status \"%s\": no leg count (1 to %d) at the start", params,
			    LV_MIRROR_LEGS_MAX);
}

bool lv_mirror_status_healthy(const struct lv_mirror_status *status)
{
	for (uint32_t i = 0; i < status->n_legs; i++)
		if (status->health[i] != 'A')
			return false;
	return status->n_legs > 0;
}

int lv_table_format(const struct lv_table *table, char **ret_text)
{
	struct strbuf sb;
	char *text;

	strbuf_init(&sb);
	for (size_t i = 0; i < table->n_rows; i++)
		strbuf_printf(&sb, "%" PRIu64 " %" PRIu64 " %s %s\n", table->rows[i].start_sectors,
			      table->rows[i].length_sectors, table->rows[i].target, table->rows[i].params);
	if (strbuf_status(&sb) < 0) {
		strbuf_done(&sb);
		return -ENOMEM;
	}
	text = strbuf_steal(&sb, NULL);
	if (!text)
		text = strdup("");
	if (!text)
		return -ENOMEM;
	*ret_text = text;
	return 0;
}

/* Append @s with '-' doubled at @p; false when it would pass @end. */
static bool put_doubled(char **p, const char *end, const char *s)
{
	for (; *s; s++) {
		if (*p + (*s == '-' ? 2 : 1) > end)
			return false;
		if (*s == '-')
			*(*p)++ = '-';
		*(*p)++ = *s;
	}
	return true;
}

int lv_dm_name(const char *vg_name, const char *lv_name, char ret_name[LV_DM_NAME_MAX + 1],
	       struct vg_error *err)
{
	char buf[LV_DM_NAME_MAX + 1];
	const char *end = buf + LV_DM_NAME_MAX;
	char *p = buf;

	if (!vg_name || !*vg_name || !lv_name || !*lv_name)
		return vg_error_set(err, -EINVAL, "dm name: empty VG or LV name");
	if (!put_doubled(&p, end, vg_name) || p + 1 > end)
		goto too_long;
	*p++ = '-';
	if (!put_doubled(&p, end, lv_name))
		goto too_long;
	*p = '\0';
	memcpy(ret_name, buf, (size_t)(p - buf) + 1);
	return 0;
too_long:
	return vg_error_set(err, -ENAMETOOLONG, "dm name of %s/%s is longer than %d characters", vg_name,
			    lv_name, LV_DM_NAME_MAX);
}

int lv_dm_uuid(const char *vg_id, const char *lv_id, char ret_uuid[LV_DM_UUID_MAX + 1], struct vg_error *err)
{
	char vg[LVM_UUID_LEN + 1], lv[LVM_UUID_LEN + 1];
	int r;

	r = lvm_uuid_parse(vg_id, vg, err);
	if (r < 0)
		return r;
	r = lvm_uuid_parse(lv_id, lv, err);
	if (r < 0)
		return r;
	snprintf(ret_uuid, LV_DM_UUID_MAX + 1, "LVM-%s%s", vg, lv);
	return 0;
}
