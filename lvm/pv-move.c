/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The pv move engine (see pv-move.h and docs/pv-move.md): plans, the
 * metadata of a move in progress as lvm2's pvmove writes it, and the offline
 * copy with a commit after every chunk.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "pv-move.h"
#include "uuid.h"
#include "vg-ops.h"

/* lvm2's default mirror region: 2 MiB. */
#define PV_MOVE_REGION_SECTORS UINT64_C(4096)
/* The largest single read/write of the copy. */
#define PV_MOVE_IO_BYTES (UINT64_C(1) << 20)

/* ---- small helpers ---------------------------------------------------- */

static const char *pv_name(const struct vg *vg, size_t index, char buf[static LVM_UUID_TEXT_LEN + 1])
{
	const struct vg_pv *pv = vg->pvs[index];

	if (pv->device_hint)
		return pv->device_hint;
	lvm_uuid_format(pv->id, buf);
	return buf;
}

static const struct cfg_node *extra_find(const struct cfg_node *first, const char *key)
{
	for (const struct cfg_node *n = first; n; n = n->next)
		if (!n->is_section && streq(n->key, key))
			return n;
	return NULL;
}

/* A segment of @type kept verbatim, its keys parsed from @keys (config syntax). */
static struct vg_segment *segment_new_kept(const char *type, uint64_t start, uint64_t count, const char *keys)
{
	_cleanup_(cfg_tree_freep) struct cfg_tree *tree = NULL;
	struct vg_segment *seg;

	if (cfg_parse(keys, strlen(keys), &tree, NULL) < 0)
		return NULL;
	seg = calloc(1, sizeof(*seg));
	if (!seg)
		return NULL;
	seg->start_extent = start;
	seg->extent_count = count;
	seg->type = strdup(type);
	seg->extra = cfg_node_list_clone(tree->root.children);
	if (!seg->type || !seg->extra) {
		vg_segment_destroy(seg);
		return NULL;
	}
	return seg;
}

static struct vg_segment *segment_clone(const struct vg_segment *seg)
{
	struct vg_segment *copy = calloc(1, sizeof(*copy));

	if (!copy)
		return NULL;
	*copy = *seg;
	copy->type = seg->type ? strdup(seg->type) : NULL;
	copy->stripes = NULL;
	copy->extra = seg->extra ? cfg_node_list_clone(seg->extra) : NULL;
	if (seg->stripes && seg->stripe_count) {
		copy->stripes = calloc(seg->stripe_count, sizeof(*copy->stripes));
		if (copy->stripes)
			memcpy(copy->stripes, seg->stripes, seg->stripe_count * sizeof(*copy->stripes));
	}
	if ((seg->type && !copy->type) || (seg->extra && !copy->extra) ||
	    (seg->stripes && seg->stripe_count && !copy->stripes)) {
		vg_segment_destroy(copy);
		return NULL;
	}
	return copy;
}

static struct vg_segment *segment_new_linear(uint64_t start, uint64_t count, size_t pv_index, uint64_t pe)
{
	struct vg_segment *seg = calloc(1, sizeof(*seg));

	if (!seg)
		return NULL;
	seg->start_extent = start;
	seg->extent_count = count;
	seg->type = strdup("striped");
	seg->is_striped = true;
	seg->stripe_count = 1;
	seg->stripes = calloc(1, sizeof(*seg->stripes));
	if (!seg->type || !seg->stripes) {
		vg_segment_destroy(seg);
		return NULL;
	}
	seg->stripes[0] = (struct vg_stripe){ .pv_index = pv_index, .first_pe = pe };
	return seg;
}

/* Segments being built for one LV. */
struct seg_list {
	struct vg_segment **segs;
	size_t n, cap;
};

static int seg_list_push(struct seg_list *list, struct vg_segment *seg)
{
	if (!seg)
		return -ENOMEM;
	if (list->n == list->cap) {
		size_t cap = list->cap ? 2 * list->cap : 8;
		struct vg_segment **grown = realloc(list->segs, cap * sizeof(*grown));

		if (!grown) {
			vg_segment_destroy(seg);
			return -ENOMEM;
		}
		list->segs = grown;
		list->cap = cap;
	}
	list->segs[list->n++] = seg;
	return 0;
}

static void seg_list_done(struct seg_list *list)
{
	for (size_t i = 0; i < list->n; i++)
		vg_segment_destroy(list->segs[i]);
	free(list->segs);
	*list = (struct seg_list){ 0 };
}

/* Hand the built segments to @lv, freeing its old ones. */
static void lv_take_segments(struct vg_lv *lv, struct seg_list *list)
{
	for (size_t i = 0; i < lv->n_segments; i++)
		vg_segment_destroy(lv->segments[i]);
	free(lv->segments);
	lv->segments = list->segs;
	lv->n_segments = list->n;
	*list = (struct seg_list){ 0 };
}

static struct vg_lv *find_move_lv(const struct vg *vg)
{
	for (size_t i = 0; i < vg->n_lvs; i++)
		if (vg->lvs[i]->status & LV_STATUS_PVMOVE)
			return vg->lvs[i];
	return NULL;
}

bool pv_move_in_progress(const struct vg *vg)
{
	return find_move_lv(vg) != NULL;
}

const struct vg_lv *pv_move_lv(const struct vg *vg)
{
	return find_move_lv(vg);
}

/* Does a kept segment name @pv_key in one of its area lists? */
static bool kept_segment_uses_pv(const struct vg_segment *seg, const char *pv_key)
{
	for (const struct cfg_node *n = seg->extra; n; n = n->next) {
		if (n->is_section || n->value.type != CFG_LIST)
			continue;
		for (size_t i = 0; i < n->value.n_items; i++)
			if (n->value.items[i].type == CFG_STRING && streq(n->value.items[i].text, pv_key))
				return true;
	}
	return false;
}

/*
 * A kept striped segment of one area on the move LV: `stripes = [ "pvmove0", N ]`.
 * Returns true and *ret_le = N.
 */
static bool segment_points_at(const struct vg_segment *seg, const char *lv_name, uint64_t *ret_le)
{
	const struct cfg_node *stripes, *count;

	if (seg->is_striped || !streq(seg->type, "striped"))
		return false;
	stripes = extra_find(seg->extra, "stripes");
	count = extra_find(seg->extra, "stripe_count");
	if (!stripes || stripes->value.type != CFG_LIST || stripes->value.n_items != 2 ||
	    stripes->value.items[0].type != CFG_STRING || !streq(stripes->value.items[0].text, lv_name) ||
	    stripes->value.items[1].type != CFG_INT || stripes->value.items[1].integer < 0)
		return false;
	if (count && (count->value.type != CFG_INT || count->value.integer != 1))
		return false;
	*ret_le = (uint64_t)stripes->value.items[1].integer;
	return true;
}

bool pv_move_segment_on_move(const struct vg *vg, const struct vg_segment *seg, uint64_t *ret_le)
{
	const struct vg_lv *move_lv = find_move_lv(vg);

	return move_lv && segment_points_at(seg, move_lv->name, ret_le);
}

static bool segment_refers_to(const struct vg_segment *seg, const char *lv_name)
{
	return !seg->is_striped && kept_segment_uses_pv(seg, lv_name);
}

/* ---- plans ------------------------------------------------------------ */

struct pv_move_plan *pv_move_plan_free(struct pv_move_plan *plan)
{
	if (!plan)
		return NULL;
	for (size_t i = 0; i < plan->n_chunks; i++)
		free(plan->chunks[i].lv_name);
	free(plan->chunks);
	free(plan);
	return NULL;
}

static int plan_push(struct pv_move_plan *plan, size_t *cap, const struct pv_move_chunk *chunk)
{
	if (plan->n_chunks == *cap) {
		size_t grown_cap = *cap ? 2 * *cap : 16;
		struct pv_move_chunk *grown = realloc(plan->chunks, grown_cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		plan->chunks = grown;
		*cap = grown_cap;
	}
	plan->chunks[plan->n_chunks] = *chunk;
	if (chunk->lv_name) {
		plan->chunks[plan->n_chunks].lv_name = strdup(chunk->lv_name);
		if (!plan->chunks[plan->n_chunks].lv_name)
			return -ENOMEM;
	}
	plan->n_chunks++;
	return 0;
}

/* Refusals of the LV @lv for a move off @src: locked, multi-stripe or kept segments on the PV. */
static int check_lv_movable(const struct vg *vg, const struct vg_lv *lv, size_t src, bool *ret_on_src,
			    struct vg_error *err)
{
	char buf[LVM_UUID_TEXT_LEN + 1];
	bool on_src = false;

	for (size_t s = 0; s < lv->n_segments; s++) {
		const struct vg_segment *seg = lv->segments[s];

		if (!seg->is_striped) {
			if (kept_segment_uses_pv(seg, vg->pvs[src]->key))
				return vg_error_set(err, -EOPNOTSUPP,
						    "LV %s has a %s segment on PV %s; vgtool moves only linear extents",
						    lv->name, seg->type ? seg->type : "?", pv_name(vg, src, buf));
			continue;
		}
		for (uint32_t k = 0; k < seg->stripe_count; k++) {
			if (seg->stripes[k].pv_index != src)
				continue;
			if (seg->stripe_count > 1)
				return vg_error_set(err, -EOPNOTSUPP,
						    "LV %s is striped over %u PVs at extent %" PRIu64
						    " and has a stripe on PV %s; vgtool moves only linear extents",
						    lv->name, seg->stripe_count, seg->start_extent, pv_name(vg, src, buf));
			on_src = true;
		}
	}
	if (on_src && (lv->status & LV_STATUS_LOCKED))
		return vg_error_set(err, -EBUSY, "LV %s is locked by another operation", lv->name);
	*ret_on_src = on_src;
	return 0;
}

static int resolve_pv(const struct vg *vg, const char *id, const char *what, size_t *ret_index,
		      struct vg_error *err)
{
	ssize_t index = vg_find_pv_by_id(vg, id);
	char text[LVM_UUID_TEXT_LEN + 1];

	if (index < 0) {
		if (id && strlen(id) == LVM_UUID_LEN) {
			lvm_uuid_format(id, text);
			id = text;
		}
		return vg_error_set(err, -ENOENT, "%s PV %s is not in VG %s", what, id ? id : "(none)", vg->name);
	}
	*ret_index = (size_t)index;
	return 0;
}

/* Destinations allowed for @req: flags per PV. */
static int allowed_destinations(const struct vg *vg, const struct pv_move_request *req, size_t src,
				bool *allowed, struct vg_error *err)
{
	char buf[LVM_UUID_TEXT_LEN + 1];
	int r;

	if (req->n_dest_pvs == 0) {
		for (size_t p = 0; p < vg->n_pvs; p++)
			allowed[p] = p != src && (vg->pvs[p]->status & PV_STATUS_ALLOCATABLE);
		return 0;
	}
	for (size_t d = 0; d < req->n_dest_pvs; d++) {
		size_t index;

		r = resolve_pv(vg, req->dest_pvs[d], "destination", &index, err);
		if (r < 0)
			return r;
		if (index == src)
			return vg_error_set(err, -EINVAL, "destination PV %s is the source of the move",
					    pv_name(vg, index, buf));
		if (!(vg->pvs[index]->status & PV_STATUS_ALLOCATABLE))
			return vg_error_set(err, -EINVAL, "destination PV %s is not allocatable",
					    pv_name(vg, index, buf));
		allowed[index] = true;
	}
	return 0;
}

int pv_move_plan(const struct vg *vg, const struct pv_move_request *req, struct pv_move_plan **ret_plan,
		 struct vg_error *err)
{
	_cleanup_(pv_move_plan_freep) struct pv_move_plan *plan = NULL;
	_cleanup_free_ bool *allowed = NULL;
	struct vg_free_map map = { 0 };
	char buf[LVM_UUID_TEXT_LEN + 1];
	uint64_t chunk_max = req->max_chunk_extents ? req->max_chunk_extents : PV_MOVE_DEFAULT_CHUNK_EXTENTS;
	uint64_t needed = 0, free_extents = 0;
	size_t src, cap = 0, range = 0, selected_lvs = 0;
	uint64_t range_used = 0;
	int r;

	if (pv_move_in_progress(vg))
		return vg_error_set(err, -EBUSY, "VG %s has a move in progress (LV %s); finish or abort it first",
				    vg->name, find_move_lv(vg)->name);
	for (size_t p = 0; p < vg->n_pvs; p++)
		if (vg->pvs[p]->status & PV_STATUS_MISSING)
			return vg_error_set(err, -EROFS, "VG %s is partial: PV %s is missing", vg->name,
					    pv_name(vg, p, buf));
	r = resolve_pv(vg, req->source_pv, "source", &src, err);
	if (r < 0)
		return r;
	allowed = calloc(vg->n_pvs ? vg->n_pvs : 1, sizeof(*allowed));
	plan = calloc(1, sizeof(*plan));
	if (!allowed || !plan)
		return vg_error_set(err, -ENOMEM, "out of memory");
	r = allowed_destinations(vg, req, src, allowed, err);
	if (r < 0)
		return r;
	if (req->lv_name) {
		const struct vg_lv *lv = vg_find_lv(vg, req->lv_name);

		if (!lv)
			return vg_error_set(err, -ENOENT, "VG %s has no LV called %s", vg->name, req->lv_name);
	}

	/* the extents to move, and the refusals of LVs that cannot move */
	for (size_t l = 0; l < vg->n_lvs; l++) {
		const struct vg_lv *lv = vg->lvs[l];
		bool on_src = false;

		if (req->lv_name && !streq(lv->name, req->lv_name))
			continue;
		r = check_lv_movable(vg, lv, src, &on_src, err);
		if (r < 0)
			return r;
		if (!on_src)
			continue;
		for (size_t b = 0; b < req->n_busy_lvs; b++)
			if (streq(req->busy_lvs[b], lv->name))
				return vg_error_set(err, -EBUSY,
						    "LV %s is in use; it must be inactive for its extents on PV %s to be moved",
						    lv->name, pv_name(vg, src, buf));
		selected_lvs++;
		for (size_t s = 0; s < lv->n_segments; s++)
			if (lv->segments[s]->is_striped && lv->segments[s]->stripes[0].pv_index == src)
				needed += lv->segments[s]->extent_count;
	}
	if (req->lv_name && selected_lvs == 0)
		return vg_error_set(err, -EINVAL, "LV %s has no extents on PV %s", req->lv_name, pv_name(vg, src, buf));
	if (needed == 0 && !req->evacuate)
		return vg_error_set(err, -ENODATA, "PV %s holds no extents to move", pv_name(vg, src, buf));

	r = vg_free_map_build(vg, &map, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < map.n; i++)
		if (allowed[map.ranges[i].pv_index])
			free_extents += map.ranges[i].count;
	if (free_extents < needed) {
		vg_free_map_done(&map);
		return vg_error_set(err, -ENOSPC,
				    "moving the %" PRIu64 " extents%s%s off PV %s needs %" PRIu64
				    " free extents on the destinations; they have %" PRIu64,
				    needed, req->lv_name ? " of LV " : "", req->lv_name ? req->lv_name : "",
				    pv_name(vg, src, buf), needed, free_extents);
	}

	/* destinations: the allowed free runs in PV order, each source run cut to fit them and to chunk_max */
	for (size_t l = 0; l < vg->n_lvs; l++) {
		const struct vg_lv *lv = vg->lvs[l];

		if (req->lv_name && !streq(lv->name, req->lv_name))
			continue;
		for (size_t s = 0; s < lv->n_segments; s++) {
			const struct vg_segment *seg = lv->segments[s];
			uint64_t done = 0;

			if (!seg->is_striped || seg->stripes[0].pv_index != src)
				continue;
			while (done < seg->extent_count) {
				struct pv_move_chunk chunk;
				uint64_t n;

				while (range < map.n && (!allowed[map.ranges[range].pv_index] ||
							 range_used == map.ranges[range].count)) {
					range++;
					range_used = 0;
				}
				assert(range < map.n); /* enough free extents was checked above */
				n = MIN(seg->extent_count - done, map.ranges[range].count - range_used);
				n = MIN(n, chunk_max);
				chunk = (struct pv_move_chunk){
					.lv_name = lv->name,
					.lv_start_extent = seg->start_extent + done,
					.extent_count = n,
					.src_pv_index = src,
					.src_pe = seg->stripes[0].first_pe + done,
					.dst_pv_index = map.ranges[range].pv_index,
					.dst_pe = map.ranges[range].start + range_used,
				};
				r = plan_push(plan, &cap, &chunk);
				if (r < 0) {
					vg_free_map_done(&map);
					return vg_error_set(err, r, "out of memory");
				}
				done += n;
				range_used += n;
			}
		}
	}
	vg_free_map_done(&map);
	plan->source_pv_index = src;
	plan->evacuate = req->evacuate;
	plan->total_extents = needed;
	plan->extent_bytes = vg->extent_size_sectors * 512;
	*ret_plan = TAKE_PTR(plan);
	return 0;
}

/* ---- the metadata of a move ------------------------------------------- */

/*
 * lvm2 refuses a mirror segment without a region size. Like lvm2's pvmove:
 * the default 2 MiB, but never more than the largest power-of-two number of
 * extents that divides the segment.
 */
uint64_t pv_move_region_sectors(const struct vg *vg, uint64_t extent_count)
{
	uint64_t largest = extent_count & -extent_count;

	return MIN(PV_MOVE_REGION_SECTORS, largest * vg->extent_size_sectors);
}

static int chunk_keys(const struct vg *vg, const struct pv_move_chunk *c, bool moved, char *buf, size_t size)
{
	int n = snprintf(buf, size,
			 "mirror_count = 2\nextents_moved = %" PRIu64 "\nregion_size = %" PRIu64
			 "\nmirrors = [ \"%s\", %" PRIu64 ", \"%s\", %" PRIu64 " ]\n",
			 moved ? c->extent_count : 0, pv_move_region_sectors(vg, c->extent_count),
			 vg->pvs[c->src_pv_index]->key, c->src_pe, vg->pvs[c->dst_pv_index]->key, c->dst_pe);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static struct vg_lv *move_lv_new(const struct vg *vg, const struct pv_move_plan *plan, struct vg_error *err)
{
	_cleanup_(vg_lv_freep) struct vg_lv *lv = calloc(1, sizeof(*lv));
	struct seg_list segs = { 0 };
	uint64_t le = 0;
	char keys[512];

	if (!lv)
		goto nomem;
	lv->name = strdup(PV_MOVE_LV_NAME);
	if (!lv->name || lvm_uuid_generate(lv->id) < 0)
		goto nomem;
	lv->status = LV_STATUS_READ | LV_STATUS_WRITE | LV_STATUS_PVMOVE | LV_STATUS_LOCKED;
	lv->tags.words = calloc(2, sizeof(char *));
	if (!lv->tags.words)
		goto nomem;
	if (plan->evacuate && !(lv->tags.words[lv->tags.n++] = strdup(PV_MOVE_EVACUATE_TAG)))
		goto nomem;
	if (plan->bandwidth_bytes_per_second &&
	    asprintf(&lv->tags.words[lv->tags.n++], PV_MOVE_BANDWIDTH_TAG_PREFIX "%" PRIu64,
		     plan->bandwidth_bytes_per_second) < 0) {
		lv->tags.words[--lv->tags.n] = NULL;
		goto nomem;
	}
	for (size_t i = 0; i < plan->n_chunks; i++) {
		const struct pv_move_chunk *c = &plan->chunks[i];

		if (chunk_keys(vg, c, c->moved, keys, sizeof(keys)) < 0 ||
		    seg_list_push(&segs, segment_new_kept("mirror", le, c->extent_count, keys)) < 0) {
			seg_list_done(&segs);
			goto nomem;
		}
		le += c->extent_count;
	}
	lv_take_segments(lv, &segs);
	return TAKE_PTR(lv);
nomem:
	vg_error_set(err, -ENOMEM, "out of memory");
	return NULL;
}

/* A chunk of the plan with its first extent inside pvmove0, sortable by LV and extent. */
struct chunk_ref {
	const struct pv_move_chunk *chunk;
	uint64_t move_le;
};

static int chunk_ref_cmp(const void *a, const void *b)
{
	const struct chunk_ref *x = a, *y = b;
	int c = strcmp(x->chunk->lv_name ? x->chunk->lv_name : "", y->chunk->lv_name ? y->chunk->lv_name : "");

	if (c)
		return c;
	return x->chunk->lv_start_extent < y->chunk->lv_start_extent ? -1
	       : x->chunk->lv_start_extent > y->chunk->lv_start_extent;
}

/* The first of @refs (sorted) belonging to LV @name. */
static size_t chunk_refs_lower_bound(const struct chunk_ref *refs, size_t n, const char *name)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(refs[mid].chunk->lv_name ? refs[mid].chunk->lv_name : "", name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool chunk_fits_segment(const struct vg_segment *seg, const struct pv_move_chunk *c)
{
	return seg->is_striped && seg->stripe_count == 1 && seg->stripes[0].pv_index == c->src_pv_index &&
	       c->lv_start_extent >= seg->start_extent &&
	       c->lv_start_extent + c->extent_count <= seg->start_extent + seg->extent_count &&
	       seg->stripes[0].first_pe + (c->lv_start_extent - seg->start_extent) == c->src_pe;
}

/*
 * Re-point @lv's extents that the plan moves at pvmove0 (one segment per
 * chunk). @refs are the plan's chunks sorted by LV and extent; *used counts
 * the chunks consumed. -ESTALE when the chunks do not match the LV.
 */
static int lv_point_at_move(struct vg_lv *lv, const struct chunk_ref *refs, size_t n_refs, size_t *used)
{
	struct seg_list segs = { 0 };
	size_t i = chunk_refs_lower_bound(refs, n_refs, lv->name);
	char keys[128];
	bool touched = false;
	int r = 0;

	for (size_t s = 0; s < lv->n_segments && r >= 0; s++) {
		const struct vg_segment *seg = lv->segments[s];
		uint64_t covered = 0;

		for (; i < n_refs && streq(refs[i].chunk->lv_name, lv->name) &&
		       refs[i].chunk->lv_start_extent < seg->start_extent + seg->extent_count && r >= 0;
		     i++) {
			const struct pv_move_chunk *c = refs[i].chunk;

			if (!chunk_fits_segment(seg, c)) {
				r = -ESTALE;
				break;
			}
			snprintf(keys, sizeof(keys), "stripe_count = 1\nstripes = [ \"%s\", %" PRIu64 " ]\n",
				 PV_MOVE_LV_NAME, refs[i].move_le);
			r = seg_list_push(&segs, segment_new_kept("striped", c->lv_start_extent, c->extent_count, keys));
			covered += c->extent_count;
			(*used)++;
		}
		if (r >= 0 && covered == 0)
			r = seg_list_push(&segs, segment_clone(seg));
		else if (r >= 0 && covered != seg->extent_count)
			r = -ESTALE; /* the plan moves part of a segment: it was made for another state of the VG */
		touched |= covered > 0;
	}
	if (r >= 0 && i < n_refs && streq(refs[i].chunk->lv_name, lv->name))
		r = -ESTALE; /* a chunk beyond the LV's end */
	if (r < 0 || !touched) {
		seg_list_done(&segs);
		return r;
	}
	lv_take_segments(lv, &segs);
	lv->status |= LV_STATUS_LOCKED;
	return 0;
}

static int pe_range_cmp(const void *a, const void *b)
{
	const struct pe_range *x = a, *y = b;

	if (x->pv_index != y->pv_index)
		return x->pv_index < y->pv_index ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* Every chunk's destination is free in @vg, on another PV than its source, and no two chunks share one. */
static int check_destinations(const struct vg *vg, const struct pv_move_plan *plan, struct vg_error *err)
{
	_cleanup_free_ struct pe_range *dests = calloc(plan->n_chunks + 1, sizeof(*dests));
	struct vg_free_map map = { 0 };
	int r = 0;

	if (!dests)
		return vg_error_set(err, -ENOMEM, "out of memory");
	r = vg_free_map_build(vg, &map, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < plan->n_chunks && r >= 0; i++) {
		const struct pv_move_chunk *c = &plan->chunks[i];
		bool is_free = false;

		if (c->src_pv_index >= vg->n_pvs || c->dst_pv_index >= vg->n_pvs || c->src_pv_index == c->dst_pv_index) {
			r = vg_error_set(err, -EINVAL, "chunk %zu of the move plan names wrong PVs", i + 1);
			break;
		}
		for (size_t k = 0; k < map.n && !is_free; k++)
			is_free = map.ranges[k].pv_index == c->dst_pv_index && map.ranges[k].start <= c->dst_pe &&
				  c->dst_pe + c->extent_count <= map.ranges[k].start + map.ranges[k].count;
		if (!is_free)
			r = vg_error_set(err, -ESTALE,
					 "the destination of chunk %zu (pv%zu extents %" PRIu64 "-%" PRIu64
					 ") is not free any more; plan again",
					 i + 1, c->dst_pv_index, c->dst_pe, c->dst_pe + c->extent_count - 1);
		dests[i] = (struct pe_range){ .pv_index = c->dst_pv_index, .start = c->dst_pe, .count = c->extent_count };
	}
	vg_free_map_done(&map);
	if (r < 0)
		return r;
	qsort(dests, plan->n_chunks, sizeof(*dests), pe_range_cmp);
	for (size_t i = 1; i < plan->n_chunks; i++)
		if (dests[i].pv_index == dests[i - 1].pv_index && dests[i - 1].start + dests[i - 1].count > dests[i].start)
			return vg_error_set(err, -EINVAL, "two chunks of the move plan share extent %" PRIu64 " of pv%zu",
					    dests[i].start, dests[i].pv_index);
	return 0;
}

int pv_move_op_start(const struct vg *vg, const struct pv_move_plan *plan, struct vg **ret_vg,
		     struct vg_error *err)
{
	_cleanup_(vg_freep) struct vg *copy = NULL;
	_cleanup_free_ struct chunk_ref *refs = NULL;
	struct vg_lv *move_lv, **grown;
	uint64_t move_le = 0;
	size_t used = 0;
	int r;

	if (pv_move_in_progress(vg))
		return vg_error_set(err, -EBUSY, "VG %s has a move in progress already", vg->name);
	r = check_destinations(vg, plan, err);
	if (r < 0)
		return r;
	copy = vg_clone(vg);
	refs = calloc(plan->n_chunks + 1, sizeof(*refs));
	if (!copy || !refs)
		return vg_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < plan->n_chunks; i++) {
		refs[i] = (struct chunk_ref){ .chunk = &plan->chunks[i], .move_le = move_le };
		move_le += plan->chunks[i].extent_count;
	}
	qsort(refs, plan->n_chunks, sizeof(*refs), chunk_ref_cmp);
	for (size_t l = 0; l < copy->n_lvs; l++) {
		/* only linear segments can be re-pointed: pv_move_plan refused the rest */
		r = lv_point_at_move(copy->lvs[l], refs, plan->n_chunks, &used);
		if (r == -ESTALE)
			return vg_error_set(err, r, "the move plan does not match LV %s of VG %s any more; plan again",
					    copy->lvs[l]->name, vg->name);
		if (r < 0)
			return vg_error_set(err, r, "out of memory");
	}
	if (used != plan->n_chunks)
		return vg_error_set(err, -ESTALE, "%zu chunks of the move plan belong to no LV of VG %s; plan again",
				    plan->n_chunks - used, vg->name);
	move_lv = move_lv_new(copy, plan, err);
	if (!move_lv)
		return -ENOMEM;
	grown = realloc(copy->lvs, (copy->n_lvs + 1) * sizeof(*grown));
	if (!grown) {
		vg_lv_free(move_lv);
		return vg_error_set(err, -ENOMEM, "out of memory");
	}
	copy->lvs = grown;
	copy->lvs[copy->n_lvs++] = move_lv; /* hidden LVs come after the visible ones */
	r = vg_validate(copy, err);
	if (r < 0)
		return vg_error_prefix(err, r, "the move plan does not fit VG %s: ", vg->name);
	*ret_vg = TAKE_PTR(copy);
	return 0;
}

static ssize_t pv_index_by_key(const struct vg *vg, const char *key)
{
	for (size_t p = 0; p < vg->n_pvs; p++)
		if (streq(vg->pvs[p]->key, key))
			return (ssize_t)p;
	return -1;
}

/* One mirror segment of pvmove0 as a chunk (lv_name left NULL). */
static int chunk_from_segment(const struct vg *vg, const struct vg_lv *move_lv, size_t s,
			      struct pv_move_chunk *ret, struct vg_error *err)
{
	const struct vg_segment *seg = move_lv->segments[s];
	const struct cfg_node *mirrors = extra_find(seg->extra, "mirrors");
	const struct cfg_node *moved = extra_find(seg->extra, "extents_moved");
	const struct cfg_value *items;
	ssize_t src, dst;

	if (!streq(seg->type, "mirror") || !mirrors || mirrors->value.type != CFG_LIST ||
	    mirrors->value.n_items != 4)
		return vg_error_set(err, -EOPNOTSUPP,
				    "LV %s segment %zu is not a two-way mirror; vgtool cannot continue this move",
				    move_lv->name, s + 1);
	items = mirrors->value.items;
	if (items[0].type != CFG_STRING || items[1].type != CFG_INT || items[1].integer < 0 ||
	    items[2].type != CFG_STRING || items[3].type != CFG_INT || items[3].integer < 0)
		return vg_error_set(err, -EBADMSG, "LV %s segment %zu: mirrors must be two PVs with their extents",
				    move_lv->name, s + 1);
	src = pv_index_by_key(vg, items[0].text);
	dst = pv_index_by_key(vg, items[2].text);
	if (src < 0 || dst < 0)
		return vg_error_set(err, -EOPNOTSUPP,
				    "LV %s segment %zu mirrors LVs, not PVs; vgtool cannot continue this move",
				    move_lv->name, s + 1);
	if ((uint64_t)items[1].integer + seg->extent_count > vg->pvs[src]->pe_count ||
	    (uint64_t)items[3].integer + seg->extent_count > vg->pvs[dst]->pe_count)
		return vg_error_set(err, -EBADMSG, "LV %s segment %zu: an area lies beyond its PV", move_lv->name,
				    s + 1);
	if (moved && (moved->value.type != CFG_INT || moved->value.integer < 0))
		return vg_error_set(err, -EBADMSG, "LV %s segment %zu: extents_moved must be a count",
				    move_lv->name, s + 1);
	*ret = (struct pv_move_chunk){
		.extent_count = seg->extent_count,
		.src_pv_index = (size_t)src,
		.src_pe = (uint64_t)items[1].integer,
		.dst_pv_index = (size_t)dst,
		.dst_pe = (uint64_t)items[3].integer,
		.moved = moved && (uint64_t)moved->value.integer >= seg->extent_count,
	};
	return 0;
}

static bool lv_has_tag(const struct vg_lv *lv, const char *tag)
{
	for (size_t i = 0; i < lv->tags.n; i++)
		if (streq(lv->tags.words[i], tag))
			return true;
	return false;
}

/* The limit a vgtool_bandwidth_N tag records; 0 when there is none (or it is not a number). */
static uint64_t bandwidth_from_tags(const struct vg_lv *lv)
{
	size_t prefix = strlen(PV_MOVE_BANDWIDTH_TAG_PREFIX);

	for (size_t i = 0; i < lv->tags.n; i++) {
		const char *digits = lv->tags.words[i] + prefix;
		uint64_t v = 0;
		bool ok;

		if (strncmp(lv->tags.words[i], PV_MOVE_BANDWIDTH_TAG_PREFIX, prefix) != 0)
			continue;
		ok = *digits != '\0';
		for (const char *p = digits; ok && *p; p++)
			ok = *p >= '0' && *p <= '9' && !MUL_OVERFLOWS(v, 10, &v) && !ADD_OVERFLOWS(v, (uint64_t)(*p - '0'), &v);
		if (ok)
			return v;
	}
	return 0;
}

int pv_move_plan_from_vg(const struct vg *vg, struct pv_move_plan **ret_plan, struct vg_error *err)
{
	_cleanup_(pv_move_plan_freep) struct pv_move_plan *plan = NULL;
	const struct vg_lv *move_lv = find_move_lv(vg);
	int r;

	if (!move_lv)
		return vg_error_set(err, -ENOENT, "VG %s has no move in progress", vg->name);
	plan = calloc(1, sizeof(*plan));
	if (!plan || (move_lv->n_segments && !(plan->chunks = calloc(move_lv->n_segments, sizeof(*plan->chunks)))))
		return vg_error_set(err, -ENOMEM, "out of memory");
	for (size_t s = 0; s < move_lv->n_segments; s++) {
		r = chunk_from_segment(vg, move_lv, s, &plan->chunks[s], err);
		if (r < 0)
			return r;
		plan->n_chunks++;
		if (s > 0 && plan->chunks[s].src_pv_index != plan->chunks[0].src_pv_index)
			return vg_error_set(err, -EOPNOTSUPP,
					    "LV %s moves extents off more than one PV; vgtool cannot continue this move",
					    move_lv->name);
		plan->total_extents += plan->chunks[s].extent_count;
	}
	/* which LV each chunk belongs to, for progress reports (chunk c is pvmove0's segment c) */
	for (size_t l = 0; l < vg->n_lvs; l++)
		for (size_t s = 0; s < vg->lvs[l]->n_segments; s++) {
			const struct vg_segment *seg = vg->lvs[l]->segments[s];
			size_t lo = 0, hi = plan->n_chunks;
			uint64_t le;

			if (!segment_points_at(seg, move_lv->name, &le))
				continue;
			/* the first chunk starting at or after le */
			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;

				if (move_lv->segments[mid]->start_extent < le)
					lo = mid + 1;
				else
					hi = mid;
			}
			for (size_t c = lo; c < plan->n_chunks && move_lv->segments[c]->start_extent < le + seg->extent_count;
			     c++) {
				struct pv_move_chunk *chunk = &plan->chunks[c];

				if (chunk->lv_name)
					continue;
				chunk->lv_name = strdup(vg->lvs[l]->name);
				if (!chunk->lv_name)
					return vg_error_set(err, -ENOMEM, "out of memory");
				chunk->lv_start_extent = seg->start_extent + (move_lv->segments[c]->start_extent - le);
			}
		}
	plan->source_pv_index = plan->n_chunks ? plan->chunks[0].src_pv_index : 0;
	plan->evacuate = lv_has_tag(move_lv, PV_MOVE_EVACUATE_TAG);
	plan->bandwidth_bytes_per_second = bandwidth_from_tags(move_lv);
	plan->extent_bytes = vg->extent_size_sectors * 512;
	*ret_plan = TAKE_PTR(plan);
	return 0;
}

/*
 * Where pvmove0's extent @move_le reads from now, and how many extents from
 * there stay in the same chunk.
 */
static int move_lv_resolve(const struct vg *vg, const struct vg_lv *move_lv, uint64_t move_le, size_t *ret_pv,
			   uint64_t *ret_pe, uint64_t *ret_run, struct vg_error *err)
{
	size_t lo = 0, hi = move_lv->n_segments;

	/* segments are sorted and contiguous: the last one starting at or before move_le */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (move_lv->segments[mid]->start_extent <= move_le)
			lo = mid;
		else
			hi = mid;
	}
	for (size_t s = lo; s < MIN(lo + 1, move_lv->n_segments); s++) {
		const struct vg_segment *seg = move_lv->segments[s];
		struct pv_move_chunk chunk;
		uint64_t offset;
		int r;

		if (move_le < seg->start_extent || move_le >= seg->start_extent + seg->extent_count)
			continue;
		r = chunk_from_segment(vg, move_lv, s, &chunk, err);
		if (r < 0)
			return r;
		offset = move_le - seg->start_extent;
		*ret_pv = chunk.moved ? chunk.dst_pv_index : chunk.src_pv_index;
		*ret_pe = (chunk.moved ? chunk.dst_pe : chunk.src_pe) + offset;
		*ret_run = seg->extent_count - offset;
		return 0;
	}
	return vg_error_set(err, -EBADMSG, "extent %" PRIu64 " of LV %s does not exist", move_le, move_lv->name);
}

int pv_move_map_extent(const struct vg *vg, const struct vg_lv *lv, uint64_t le, size_t *ret_pv_index,
		       uint64_t *ret_pe, struct vg_error *err)
{
	const struct vg_lv *move_lv = find_move_lv(vg);

	for (size_t s = 0; s < lv->n_segments; s++) {
		const struct vg_segment *seg = lv->segments[s];
		uint64_t offset, move_le, run;

		if (le < seg->start_extent || le >= seg->start_extent + seg->extent_count)
			continue;
		offset = le - seg->start_extent;
		if (seg->is_striped && seg->stripe_count == 1) {
			*ret_pv_index = seg->stripes[0].pv_index;
			*ret_pe = seg->stripes[0].first_pe + offset;
			return 0;
		}
		if (move_lv && segment_points_at(seg, move_lv->name, &move_le))
			return move_lv_resolve(vg, move_lv, move_le + offset, ret_pv_index, ret_pe, &run, err);
		return vg_error_set(err, -EOPNOTSUPP, "LV %s extent %" PRIu64 " is not on one PV", lv->name, le);
	}
	return vg_error_set(err, -ERANGE, "LV %s has no extent %" PRIu64, lv->name, le);
}

/* @lv with every segment on pvmove0 replaced by linear segments where its chunks read now. */
static int lv_collapse(const struct vg *vg, const struct vg_lv *move_lv, struct vg_lv *lv, struct vg_error *err)
{
	struct seg_list segs = { 0 };
	bool touched = false;
	int r = 0;

	for (size_t s = 0; s < lv->n_segments && r >= 0; s++) {
		const struct vg_segment *seg = lv->segments[s];
		uint64_t move_le, done = 0;

		if (!segment_points_at(seg, move_lv->name, &move_le)) {
			if (segment_refers_to(seg, move_lv->name)) {
				seg_list_done(&segs);
				return vg_error_set(err, -EOPNOTSUPP,
						    "LV %s segment %zu uses %s in a way vgtool cannot undo",
						    lv->name, s + 1, move_lv->name);
			}
			r = seg_list_push(&segs, segment_clone(seg));
			if (r < 0)
				vg_error_set(err, r, "out of memory");
			continue;
		}
		touched = true;
		while (done < seg->extent_count && r >= 0) {
			size_t pv;
			uint64_t pe, run;

			r = move_lv_resolve(vg, move_lv, move_le + done, &pv, &pe, &run, err);
			if (r < 0)
				break;
			run = MIN(run, seg->extent_count - done);
			r = seg_list_push(&segs, segment_new_linear(seg->start_extent + done, run, pv, pe));
			if (r < 0)
				vg_error_set(err, r, "out of memory");
			done += run;
		}
	}
	if (r < 0) {
		seg_list_done(&segs);
		return r;
	}
	lv_take_segments(lv, &segs);
	if (touched) {
		vg_lv_merge_segments(lv);
		lv->status &= ~LV_STATUS_LOCKED;
	}
	return 0;
}

int pv_move_op_collapse(const struct vg *vg, struct vg **ret_vg, struct vg_error *err)
{
	_cleanup_(vg_freep) struct vg *copy = NULL;
	const struct vg_lv *move_lv = find_move_lv(vg);
	size_t move_index = 0;
	int r;

	if (!move_lv)
		return vg_error_set(err, -ENOENT, "VG %s has no move in progress", vg->name);
	copy = vg_clone(vg);
	if (!copy)
		return vg_error_set(err, -ENOMEM, "out of memory");
	move_lv = find_move_lv(copy);
	for (size_t l = 0; l < copy->n_lvs; l++) {
		if (copy->lvs[l] == move_lv) {
			move_index = l;
			continue;
		}
		/* resolve against the unchanged input: pvmove0's chunks are read there */
		r = lv_collapse(vg, find_move_lv(vg), copy->lvs[l], err);
		if (r < 0)
			return r;
	}
	vg_lv_free(copy->lvs[move_index]);
	memmove(&copy->lvs[move_index], &copy->lvs[move_index + 1],
		(copy->n_lvs - move_index - 1) * sizeof(*copy->lvs));
	copy->n_lvs--;
	r = vg_validate(copy, err);
	if (r < 0)
		return vg_error_prefix(err, r, "the VG after the move would be inconsistent: ");
	*ret_vg = TAKE_PTR(copy);
	return 0;
}

/* @vg with chunk @index of pvmove0 marked moved. */
static int op_mark_moved(const struct vg *vg, size_t index, struct vg **ret_vg, struct vg_error *err)
{
	_cleanup_(vg_freep) struct vg *copy = vg_clone(vg);
	struct vg_lv *move_lv;
	struct vg_segment *seg;
	struct cfg_node *n;

	if (!copy)
		return vg_error_set(err, -ENOMEM, "out of memory");
	move_lv = find_move_lv(copy);
	if (!move_lv || index >= move_lv->n_segments)
		return vg_error_set(err, -EINVAL, "VG %s has no chunk %zu in a move", vg->name, index + 1);
	seg = move_lv->segments[index];
	n = (struct cfg_node *)extra_find(seg->extra, "extents_moved");
	if (!n) {
		/* a segment written without the key: add it in front, where lvm2 writes it */
		struct vg_segment *keyed = segment_new_kept("mirror", 0, 0, "extents_moved = 0\n");

		if (!keyed)
			return vg_error_set(err, -ENOMEM, "out of memory");
		n = keyed->extra;
		keyed->extra = NULL;
		vg_segment_destroy(keyed);
		n->next = seg->extra;
		seg->extra = n;
	}
	n->value.integer = (int64_t)seg->extent_count;
	*ret_vg = TAKE_PTR(copy);
	return 0;
}

/* ---- the copy --------------------------------------------------------- */

struct pv_move {
	struct vg_store *store; /* borrowed */
	struct pv_move_options opts;
	struct pv_move_plan *plan;
	size_t current;            /* first chunk not moved */
	uint64_t copied_in_chunk;  /* bytes of the current chunk copied since the last checkpoint */
	uint64_t bytes_copied;
	uint64_t started_ns;
	void *buffer;
};

struct pv_move *pv_move_free(struct pv_move *move)
{
	if (!move)
		return NULL;
	pv_move_plan_free(move->plan);
	free(move->buffer);
	free(move);
	return NULL;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void skip_moved(struct pv_move *move)
{
	while (move->current < move->plan->n_chunks && move->plan->chunks[move->current].moved)
		move->current++;
}

static int move_new(struct vg_store *store, const struct pv_move_options *opts, struct pv_move_plan *plan,
		    struct pv_move **ret_move, struct vg_error *err)
{
	struct pv_move *move = calloc(1, sizeof(*move));

	if (!move) {
		pv_move_plan_free(plan);
		return vg_error_set(err, -ENOMEM, "out of memory");
	}
	move->store = store;
	move->opts = opts ? *opts : (struct pv_move_options){ 0 };
	if (!move->opts.step_bytes)
		move->opts.step_bytes = PV_MOVE_DEFAULT_STEP_BYTES;
	move->plan = plan;
	move->buffer = malloc(PV_MOVE_IO_BYTES);
	if (!move->buffer) {
		pv_move_free(move);
		return vg_error_set(err, -ENOMEM, "out of memory");
	}
	move->started_ns = now_ns();
	skip_moved(move);
	*ret_move = move;
	return 0;
}

static int check_devices(const struct vg_store *store, const struct pv_move_plan *plan, struct vg_error *err)
{
	for (size_t i = 0; i < plan->n_chunks; i++) {
		size_t pvs[2] = { plan->chunks[i].src_pv_index, plan->chunks[i].dst_pv_index };

		for (size_t k = 0; k < 2; k++)
			if (pvs[k] >= store->vg->n_pvs || !store->targets[pvs[k]].dev)
				return vg_error_set(err, -ENODEV, "VG %s: no device for PV %zu of the move",
						    store->vg->name, pvs[k]);
	}
	return 0;
}

/*
 * vg_store_commit, always taking @vg: the store keeps it when it became the
 * committed VG, which can happen even when an error is returned (the
 * backup after the commit failed); otherwise it is freed here.
 */
static int store_commit(struct vg_store *store, struct vg *vg, const struct vg_text_header *header,
			struct vg_error *err)
{
	int r = vg_store_commit(store, vg, NULL, 0, header, err);

	if (store->vg != vg)
		vg_free(vg);
	return r;
}

static struct pv_move_plan *plan_clone(const struct pv_move_plan *plan)
{
	struct pv_move_plan *copy = calloc(1, sizeof(*copy));

	if (!copy)
		return NULL;
	*copy = *plan;
	copy->chunks = calloc(plan->n_chunks ? plan->n_chunks : 1, sizeof(*copy->chunks));
	if (!copy->chunks) {
		free(copy);
		return NULL;
	}
	copy->n_chunks = 0;
	for (size_t i = 0; i < plan->n_chunks; i++) {
		copy->chunks[i] = plan->chunks[i];
		copy->chunks[i].lv_name = plan->chunks[i].lv_name ? strdup(plan->chunks[i].lv_name) : NULL;
		copy->n_chunks = i + 1;
		if (plan->chunks[i].lv_name && !copy->chunks[i].lv_name)
			return pv_move_plan_free(copy);
	}
	return copy;
}

int pv_move_start(struct vg_store *store, const struct pv_move_plan *plan, const struct pv_move_options *opts,
		  struct pv_move **ret_move, struct vg_error *err)
{
	_cleanup_(vg_freep) struct vg *started = NULL;
	struct pv_move_plan *copy;
	int r;

	r = vg_store_check_complete(store, err);
	if (r < 0)
		return r;
	r = check_devices(store, plan, err);
	if (r < 0)
		return r;
	if (plan->n_chunks == 0 && !plan->evacuate)
		return vg_error_set(err, -ENODATA, "the move has nothing to copy");
	if (plan->n_chunks > 0) {
		struct pv_move_plan recorded = *plan;

		recorded.bandwidth_bytes_per_second = opts ? opts->bandwidth_bytes_per_second : 0;
		r = pv_move_op_start(store->vg, &recorded, &started, err);
		if (r < 0)
			return r;
		/* a failure after the commit itself (the backup) leaves a move pv_move_resume continues */
		r = store_commit(store, TAKE_PTR(started), opts ? opts->header : NULL, err);
		if (r < 0)
			return r;
	}
	copy = plan_clone(plan);
	if (!copy)
		return vg_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < copy->n_chunks; i++)
		copy->chunks[i].moved = false;
	return move_new(store, opts, copy, ret_move, err);
}

int pv_move_resume(struct vg_store *store, const struct pv_move_options *opts, struct pv_move **ret_move,
		   struct vg_error *err)
{
	struct pv_move_plan *plan = NULL;
	int r;

	r = vg_store_check_complete(store, err);
	if (r < 0)
		return r;
	r = pv_move_plan_from_vg(store->vg, &plan, err);
	if (r < 0)
		return r;
	r = check_devices(store, plan, err);
	if (r < 0) {
		pv_move_plan_free(plan);
		return r;
	}
	return move_new(store, opts, plan, ret_move, err);
}

void pv_move_get_progress(const struct pv_move *move, struct pv_move_progress *ret)
{
	const struct pv_move_plan *plan = move->plan;

	*ret = (struct pv_move_progress){
		.chunks_total = plan->n_chunks,
		.extents_total = plan->total_extents,
		.bytes_copied = move->bytes_copied,
		.copy_done = move->current >= plan->n_chunks,
	};
	for (size_t i = 0; i < plan->n_chunks; i++)
		if (plan->chunks[i].moved) {
			ret->chunks_moved++;
			ret->extents_moved += plan->chunks[i].extent_count;
		}
	if (move->opts.bandwidth_bytes_per_second) {
		/* the copy may run ahead of the limit by at most the wait given here */
		uint64_t due_ns = (uint64_t)((long double)move->bytes_copied * 1e9L /
					     (long double)move->opts.bandwidth_bytes_per_second);
		uint64_t elapsed = now_ns() - move->started_ns;

		ret->wait_ns = due_ns > elapsed ? due_ns - elapsed : 0;
	}
}

static uint64_t pe_offset_bytes(const struct vg *vg, size_t pv, uint64_t pe)
{
	return (vg->pvs[pv]->pe_start_sectors + pe * vg->extent_size_sectors) * 512;
}

static int checkpoint(struct pv_move *move, struct vg_error *err)
{
	struct pv_move_chunk *chunk = &move->plan->chunks[move->current];
	struct blockdev *dst = move->store->targets[chunk->dst_pv_index].dev;
	_cleanup_(vg_freep) struct vg *next = NULL;
	const struct vg *committed;
	int r;

	/* the copy must be durable before the metadata says it is there */
	r = blockdev_flush(dst, err);
	if (r < 0)
		return vg_error_prefix(err, r, "syncing the copy of chunk %zu: ", move->current + 1);
	r = op_mark_moved(move->store->vg, move->current, &next, err);
	if (r < 0)
		return r;
	committed = next;
	r = store_commit(move->store, TAKE_PTR(next), move->opts.header, err);
	if (move->store->vg == committed) {
		chunk->moved = true;
		move->copied_in_chunk = 0;
		skip_moved(move);
	}
	if (r < 0)
		return vg_error_prefix(err, r, "checkpoint after chunk %zu: ", move->current + 1);
	return 0;
}

int pv_move_step(struct pv_move *move, struct pv_move_progress *ret_progress, struct vg_error *err)
{
	const struct vg *vg = move->store->vg;
	uint64_t budget = move->opts.step_bytes;
	bool checkpointed = false;
	int r;

	if (move->current < move->plan->n_chunks) {
		const struct pv_move_chunk *chunk = &move->plan->chunks[move->current];
		struct blockdev *src = move->store->targets[chunk->src_pv_index].dev;
		struct blockdev *dst = move->store->targets[chunk->dst_pv_index].dev;
		uint64_t chunk_bytes = chunk->extent_count * move->plan->extent_bytes;
		uint64_t from = pe_offset_bytes(vg, chunk->src_pv_index, chunk->src_pe);
		uint64_t to = pe_offset_bytes(vg, chunk->dst_pv_index, chunk->dst_pe);

		while (budget > 0 && move->copied_in_chunk < chunk_bytes) {
			size_t n = (size_t)MIN(MIN(budget, PV_MOVE_IO_BYTES), chunk_bytes - move->copied_in_chunk);

			r = blockdev_read(src, from + move->copied_in_chunk, move->buffer, n, err);
			if (r < 0)
				return vg_error_prefix(err, r, "reading chunk %zu of the move: ", move->current + 1);
			r = blockdev_write(dst, to + move->copied_in_chunk, move->buffer, n, err);
			if (r < 0)
				return vg_error_prefix(err, r, "writing chunk %zu of the move: ", move->current + 1);
			move->copied_in_chunk += n;
			move->bytes_copied += n;
			budget -= n;
		}
		if (move->copied_in_chunk == chunk_bytes) {
			r = checkpoint(move, err);
			if (r < 0)
				return r;
			checkpointed = true;
		}
	}
	if (ret_progress) {
		pv_move_get_progress(move, ret_progress);
		ret_progress->checkpoint = checkpointed;
	}
	return 0;
}

int pv_move_commit_copied(struct pv_move *move, struct pv_move_progress *ret_progress, struct vg_error *err)
{
	const struct pv_move_chunk *chunk;
	uint64_t chunk_bytes;
	int r;

	if (move->current >= move->plan->n_chunks)
		return vg_error_set(err, -EBUSY, "every chunk of the move is moved already");
	chunk = &move->plan->chunks[move->current];
	chunk_bytes = chunk->extent_count * move->plan->extent_bytes;
	r = checkpoint(move, err);
	if (r < 0)
		return r;
	move->bytes_copied += chunk_bytes;
	if (ret_progress) {
		pv_move_get_progress(move, ret_progress);
		ret_progress->checkpoint = true;
	}
	return 0;
}

size_t pv_move_current_chunk(const struct pv_move *move)
{
	return move->current;
}

static int commit_collapsed(struct pv_move *move, bool reduce, struct vg_error *err)
{
	_cleanup_(vg_freep) struct vg *collapsed = NULL, *reduced = NULL;
	struct vg *final;
	int r;

	if (pv_move_in_progress(move->store->vg)) {
		r = pv_move_op_collapse(move->store->vg, &collapsed, err);
		if (r < 0)
			return r;
	} else {
		collapsed = vg_clone(move->store->vg);
		if (!collapsed)
			return vg_error_set(err, -ENOMEM, "out of memory");
	}
	final = collapsed;
	if (reduce) {
		const char *id = move->store->vg->pvs[move->plan->source_pv_index]->id;

		r = vg_op_reduce(collapsed, &id, 1, &reduced, err);
		if (r < 0)
			return r;
		final = reduced;
	}
	if (final == reduced)
		reduced = NULL;
	else
		collapsed = NULL;
	return store_commit(move->store, final, move->opts.header, err);
}

int pv_move_finish(struct pv_move *move, struct vg_error *err)
{
	size_t left = 0;

	for (size_t i = 0; i < move->plan->n_chunks; i++)
		left += !move->plan->chunks[i].moved;
	if (left)
		return vg_error_set(err, -EBUSY, "%zu of %zu chunks of the move are still to copy", left,
				    move->plan->n_chunks);
	return commit_collapsed(move, move->plan->evacuate, err);
}

int pv_move_abort(struct pv_move *move, struct vg_error *err)
{
	if (!pv_move_in_progress(move->store->vg))
		return 0; /* an evacuation of an empty PV: nothing was written */
	return commit_collapsed(move, false, err);
}
