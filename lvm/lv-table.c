/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * LV -> device-mapper table rows and LVM2's dm names (FORMATS.md 5.2, 5.4).
 * Pure code: the VG model in, strings out; the kernel is dmctl-libdm.c's.
 * Rows follow lvm2's dev_manager.c: a one-stripe segment is `linear`, more
 * stripes are `striped` with the chunk in sectors, and every area's offset
 * is the PV's pe_start plus its first extent times the extent size.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lv-table.h"
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

int lv_table_build(const struct vg *vg, const struct vg_lv *lv, lv_table_device_fn device_of, void *userdata,
		   struct lv_table **ret_table, struct vg_error *err)
{
	_cleanup_(lv_table_freep) struct lv_table *table = NULL;
	uint64_t start = 0;
	int r;

	if (lv->n_segments == 0)
		return vg_error_set(err, -EBADMSG, "LV %s has no segments", lv->name);
	table = calloc(1, sizeof(*table));
	if (!table)
		return -ENOMEM;
	table->rows = calloc(lv->n_segments, sizeof(*table->rows));
	if (!table->rows)
		return -ENOMEM;

	for (size_t i = 0; i < lv->n_segments; i++) {
		const struct vg_segment *seg = lv->segments[i];
		struct lv_table_row *row = &table->rows[table->n_rows];
		struct strbuf sb;
		uint64_t length;

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
