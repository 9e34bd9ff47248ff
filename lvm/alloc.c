/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Extent allocation (see alloc.h). The free map is rebuilt from the
 * segments on every call rather than kept alongside the model: the model is
 * the single source of truth, and building it is linear in the number of
 * segments.
 */
#include <stdio.h>
#include <string.h>

#include "alloc.h"

struct used_run {
	size_t pv_index;
	uint64_t start;
	uint64_t count;
	const char *lv_name;
};

static int cmp_used_run(const void *a, const void *b)
{
	const struct used_run *x = a, *y = b;

	if (x->pv_index != y->pv_index)
		return x->pv_index < y->pv_index ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return 0;
}

/* Every physical run in use, sorted by PV and start; *ret_runs is malloc'ed. */
static int collect_used_runs(const struct vg *vg, struct used_run **ret_runs, size_t *ret_n)
{
	struct used_run *runs = NULL;
	size_t n = 0, cap = 0;

	for (size_t l = 0; l < vg->n_lvs; l++) {
		const struct vg_lv *lv = vg->lvs[l];

		for (size_t s = 0; s < lv->n_segments; s++) {
			const struct vg_segment *seg = lv->segments[s];

			if (!seg->is_striped || seg->stripe_count == 0)
				continue;
			for (uint32_t k = 0; k < seg->stripe_count; k++) {
				if (n == cap) {
					struct used_run *grown;

					cap = cap ? cap * 2 : 64;
					grown = realloc(runs, cap * sizeof(*runs));
					if (!grown) {
						free(runs);
						return -ENOMEM;
					}
					runs = grown;
				}
				runs[n++] = (struct used_run){
					.pv_index = seg->stripes[k].pv_index,
					.start = seg->stripes[k].first_pe,
					.count = seg->extent_count / seg->stripe_count,
					.lv_name = lv->name,
				};
			}
		}
	}
	if (n)
		qsort(runs, n, sizeof(*runs), cmp_used_run);
	*ret_runs = runs;
	*ret_n = n;
	return 0;
}

static bool pv_allocatable(const struct vg_pv *pv)
{
	return (pv->status & PV_STATUS_ALLOCATABLE) && !(pv->status & PV_STATUS_MISSING);
}

/* The first clear bit of @map in [from, end), or end. */
static uint64_t next_clear_bit(const uint64_t *map, uint64_t from, uint64_t end)
{
	while (from < end) {
		uint64_t word = ~map[from / 64] >> (from % 64);

		if (word)
			return MIN(from + (uint64_t)__builtin_ctzll(word), end);
		from = ROUND_UP(from + 1, 64);
	}
	return end;
}

/* The first set bit of @map in [from, end), or end. */
static uint64_t next_set_bit(const uint64_t *map, uint64_t from, uint64_t end)
{
	while (from < end) {
		uint64_t word = map[from / 64] >> (from % 64);

		if (word)
			return MIN(from + (uint64_t)__builtin_ctzll(word), end);
		from = ROUND_UP(from + 1, 64);
	}
	return end;
}

/*
 * The free map from a bitmap of the VG's extents: linear in the runs and
 * in the extents / 64, where sorting the runs took most of an LV create in
 * a 10 000-LV VG. Returns false, with nothing allocated, when it cannot
 * say (the map would be too large, no memory) or the VG is wrong (a run
 * outside its PV, an extent used twice): the sorted path then decides,
 * and names what is wrong.
 */
static bool free_map_from_bitmap(const struct vg *vg, struct vg_free_map *ret_map)
{
	_cleanup_(vg_extent_bitmap_done) struct vg_extent_bitmap bits = { 0 };
	_cleanup_free_ struct pe_range *ranges = NULL;
	size_t n = 0, cap = 0;

	if (!vg_extent_bitmap_init(vg, &bits))
		return false;
	for (size_t l = 0; l < vg->n_lvs; l++)
		for (size_t s = 0; s < vg->lvs[l]->n_segments; s++) {
			const struct vg_segment *seg = vg->lvs[l]->segments[s];

			if (!seg->is_striped || seg->stripe_count == 0)
				continue;
			for (uint32_t k = 0; k < seg->stripe_count; k++) {
				const struct vg_stripe *stripe = &seg->stripes[k];
				uint64_t count = seg->extent_count / seg->stripe_count, end;

				if (stripe->pv_index >= vg->n_pvs || ADD_OVERFLOWS(stripe->first_pe, count, &end) ||
				    end > vg->pvs[stripe->pv_index]->pe_count ||
				    !vg_extent_bitmap_claim(&bits, stripe->pv_index, stripe->first_pe, count))
					return false;
			}
		}
	for (size_t p = 0; p < vg->n_pvs; p++) {
		uint64_t end = bits.base[p] + vg->pvs[p]->pe_count;

		if (!pv_allocatable(vg->pvs[p]))
			continue;
		for (uint64_t at = next_clear_bit(bits.map, bits.base[p], end); at < end;) {
			uint64_t used = next_set_bit(bits.map, at, end);

			if (n == cap) {
				struct pe_range *grown;

				cap = cap ? cap * 2 : 32;
				grown = realloc(ranges, cap * sizeof(*ranges));
				if (!grown)
					return false;
				ranges = grown;
			}
			ranges[n++] = (struct pe_range){ p, at - bits.base[p], used - at };
			at = next_clear_bit(bits.map, used, end);
		}
	}
	ret_map->ranges = TAKE_PTR(ranges);
	ret_map->n = n;
	return true;
}

int vg_free_map_build(const struct vg *vg, struct vg_free_map *ret_map, struct vg_error *err)
{
	if (free_map_from_bitmap(vg, ret_map))
		return 0;
	_cleanup_free_ struct used_run *runs = NULL;
	struct pe_range *ranges = NULL;
	size_t n_runs = 0, n = 0, cap = 0, r_i = 0;
	int r;

	r = collect_used_runs(vg, &runs, &n_runs);
	if (r < 0)
		return vg_error_set(err, r, "out of memory");

	for (size_t p = 0; p < vg->n_pvs; p++) {
		const struct vg_pv *pv = vg->pvs[p];
		uint64_t cursor = 0;

		for (; r_i < n_runs && runs[r_i].pv_index == p; r_i++) {
			const struct used_run *run = &runs[r_i];
			uint64_t end;

			if (run->start < cursor) {
				free(ranges);
				return vg_error_set(err, -EBADMSG,
						    "VG %s: physical extent %" PRIu64 " of %s is used twice (LV %s)",
						    vg->name, run->start, pv->key, run->lv_name);
			}
			if (ADD_OVERFLOWS(run->start, run->count, &end) || end > pv->pe_count) {
				free(ranges);
				return vg_error_set(err, -EBADMSG,
						    "VG %s: LV %s uses extents %" PRIu64 "-%" PRIu64
						    " of %s, which has only %" PRIu64,
						    vg->name, run->lv_name, run->start, end - 1, pv->key, pv->pe_count);
			}
			if (run->start > cursor && pv_allocatable(pv)) {
				if (n == cap) {
					struct pe_range *grown;

					cap = cap ? cap * 2 : 32;
					grown = realloc(ranges, cap * sizeof(*ranges));
					if (!grown) {
						free(ranges);
						return vg_error_set(err, -ENOMEM, "out of memory");
					}
					ranges = grown;
				}
				ranges[n++] = (struct pe_range){ p, cursor, run->start - cursor };
			}
			cursor = end;
		}
		if (cursor < pv->pe_count && pv_allocatable(pv)) {
			if (n == cap) {
				struct pe_range *grown;

				cap = cap ? cap * 2 : 32;
				grown = realloc(ranges, cap * sizeof(*ranges));
				if (!grown) {
					free(ranges);
					return vg_error_set(err, -ENOMEM, "out of memory");
				}
				ranges = grown;
			}
			ranges[n++] = (struct pe_range){ p, cursor, pv->pe_count - cursor };
		}
	}
	if (r_i < n_runs) {
		free(ranges);
		return vg_error_set(err, -EBADMSG, "VG %s: LV %s refers to a PV that is not in the VG", vg->name,
				    runs[r_i].lv_name);
	}
	ret_map->ranges = ranges;
	ret_map->n = n;
	return 0;
}

void vg_free_map_done(struct vg_free_map *map)
{
	free(map->ranges);
	map->ranges = NULL;
	map->n = 0;
}

uint64_t vg_free_extents(const struct vg *vg, const bool *allowed)
{
	struct vg_free_map map;
	uint64_t total = 0;

	if (vg_free_map_build(vg, &map, NULL) < 0)
		return 0;
	for (size_t i = 0; i < map.n; i++)
		if (!allowed || allowed[map.ranges[i].pv_index])
			total += map.ranges[i].count;
	vg_free_map_done(&map);
	return total;
}

uint64_t vg_pv_used_extents(const struct vg *vg, size_t pv_index)
{
	uint64_t used = 0;

	for (size_t l = 0; l < vg->n_lvs; l++)
		for (size_t s = 0; s < vg->lvs[l]->n_segments; s++) {
			const struct vg_segment *seg = vg->lvs[l]->segments[s];

			if (!seg->is_striped || seg->stripe_count == 0)
				continue;
			for (uint32_t k = 0; k < seg->stripe_count; k++)
				if (seg->stripes[k].pv_index == pv_index)
					used += seg->extent_count / seg->stripe_count;
		}
	return used;
}

static struct vg_segment *segment_new(uint64_t start_extent, uint64_t extent_count, uint32_t stripes,
				      uint64_t stripe_size_sectors)
{
	struct vg_segment *seg = calloc(1, sizeof(*seg));

	if (!seg)
		return NULL;
	seg->type = strdup("striped");
	seg->stripes = calloc(stripes, sizeof(*seg->stripes));
	if (!seg->type || !seg->stripes) {
		free(seg->type);
		free(seg->stripes);
		free(seg);
		return NULL;
	}
	seg->is_striped = true;
	seg->start_extent = start_extent;
	seg->extent_count = extent_count;
	seg->stripe_count = stripes;
	seg->stripe_size_sectors = stripes > 1 ? stripe_size_sectors : 0;
	return seg;
}

static void segment_free(struct vg_segment *seg)
{
	if (!seg)
		return;
	free(seg->type);
	free(seg->stripes);
	cfg_node_list_free(seg->extra);
	free(seg);
}

/* Take @count extents from the start of @range. */
static void range_take(struct pe_range *range, uint64_t count)
{
	range->start += count;
	range->count -= count;
}

/* A piece of a planned allocation: @count extents on each of the stripes' ranges. */
struct piece {
	uint64_t count; /* per stripe */
	struct vg_stripe stripes[];
};

struct plan {
	struct piece **pieces;
	size_t n;
	uint32_t stripes;
};

static void plan_done(struct plan *plan)
{
	for (size_t i = 0; i < plan->n; i++)
		free(plan->pieces[i]);
	free(plan->pieces);
}

static int plan_add(struct plan *plan, struct pe_range **ranges, uint64_t count)
{
	struct piece **grown, *piece;

	piece = malloc(sizeof(*piece) + plan->stripes * sizeof(struct vg_stripe));
	if (!piece)
		return -ENOMEM;
	grown = realloc(plan->pieces, (plan->n + 1) * sizeof(*grown));
	if (!grown) {
		free(piece);
		return -ENOMEM;
	}
	plan->pieces = grown;
	piece->count = count;
	for (uint32_t k = 0; k < plan->stripes; k++) {
		piece->stripes[k] = (struct vg_stripe){ ranges[k]->pv_index, ranges[k]->start };
		range_take(ranges[k], count);
	}
	plan->pieces[plan->n++] = piece;
	return 0;
}

static bool range_usable(const struct pe_range *range, const struct alloc_request *req)
{
	return range->count > 0 && (!req->allowed_pvs || req->allowed_pvs[range->pv_index]);
}

static int plan_linear(struct vg_free_map *map, const struct vg_lv *lv, const struct alloc_request *req,
		       struct plan *plan, uint64_t *remaining)
{
	const struct vg_segment *last = lv->n_segments ? lv->segments[lv->n_segments - 1] : NULL;
	struct pe_range *best = NULL;
	int r;

	/* 1. right after the last segment, on the same PV */
	if (last && last->is_striped && last->stripe_count == 1) {
		size_t pv = last->stripes[0].pv_index;
		uint64_t end = last->stripes[0].first_pe + last->extent_count;

		for (size_t i = 0; i < map->n; i++) {
			struct pe_range *range = &map->ranges[i];

			if (range->pv_index != pv || range->start != end || !range_usable(range, req))
				continue;
			if (req->policy == ALLOC_CONTIGUOUS && range->count < *remaining)
				break;
			uint64_t take = MIN(*remaining, range->count);
			r = plan_add(plan, &range, take);
			if (r < 0)
				return r;
			*remaining -= take;
			break;
		}
	}
	if (*remaining == 0)
		return 0;
	if (req->policy == ALLOC_CONTIGUOUS && last)
		return -ENOSPC;

	/* 2. one run that holds the rest: the smallest that fits */
	for (size_t i = 0; i < map->n; i++) {
		struct pe_range *range = &map->ranges[i];

		if (range_usable(range, req) && range->count >= *remaining && (!best || range->count < best->count))
			best = range;
	}
	if (best) {
		r = plan_add(plan, &best, *remaining);
		if (r < 0)
			return r;
		*remaining = 0;
		return 0;
	}
	if (req->policy == ALLOC_CONTIGUOUS)
		return -ENOSPC;

	/* 3. fill from the largest runs down, so the LV gets as few pieces as possible */
	while (*remaining > 0) {
		struct pe_range *largest = NULL;

		for (size_t i = 0; i < map->n; i++)
			if (range_usable(&map->ranges[i], req) && (!largest || map->ranges[i].count > largest->count))
				largest = &map->ranges[i];
		if (!largest)
			return -ENOSPC;
		uint64_t take = MIN(*remaining, largest->count);
		r = plan_add(plan, &largest, take);
		if (r < 0)
			return r;
		*remaining -= take;
	}
	return 0;
}

static int cmp_range_desc(const void *a, const void *b)
{
	const struct pe_range *x = *(const struct pe_range *const *)a, *y = *(const struct pe_range *const *)b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	if (x->pv_index != y->pv_index)
		return x->pv_index < y->pv_index ? -1 : 1;
	return x->start < y->start ? -1 : (x->start > y->start);
}

static int plan_striped(struct vg_free_map *map, const struct alloc_request *req, struct plan *plan,
			uint64_t *remaining)
{
	_cleanup_free_ struct pe_range **candidates = calloc(map->n + 1, sizeof(*candidates));
	uint64_t per_stripe = *remaining / req->stripes;
	int r;

	if (!candidates)
		return -ENOMEM;
	while (per_stripe > 0) {
		_cleanup_free_ struct pe_range **chosen = calloc(req->stripes, sizeof(*chosen));
		size_t n = 0, n_chosen = 0;

		if (!chosen)
			return -ENOMEM;
		for (size_t i = 0; i < map->n; i++)
			if (range_usable(&map->ranges[i], req))
				candidates[n++] = &map->ranges[i];
		qsort(candidates, n, sizeof(*candidates), cmp_range_desc);
		/* the largest runs, one per PV unless the policy allows sharing */
		for (size_t i = 0; i < n && n_chosen < req->stripes; i++) {
			bool pv_taken = false;

			for (size_t k = 0; k < n_chosen && req->policy != ALLOC_ANYWHERE; k++)
				pv_taken |= chosen[k]->pv_index == candidates[i]->pv_index;
			if (!pv_taken)
				chosen[n_chosen++] = candidates[i];
		}
		if (n_chosen < req->stripes)
			return -ENOSPC;
		uint64_t take = MIN(per_stripe, chosen[req->stripes - 1]->count);
		if (req->policy == ALLOC_CONTIGUOUS && take < per_stripe)
			return -ENOSPC;
		r = plan_add(plan, chosen, take);
		if (r < 0)
			return r;
		per_stripe -= take;
		*remaining -= take * req->stripes;
	}
	return 0;
}

int vg_alloc_extend_lv(struct vg *vg, struct vg_lv *lv, const struct alloc_request *req,
		       struct vg_error *err)
{
	struct vg_free_map map = { 0 };
	struct plan plan = { .stripes = req->stripes };
	struct vg_segment **segments = NULL;
	uint64_t remaining = req->extents, start;
	size_t n_added = 0;
	int r;

	if (req->stripes == 0 || req->extents == 0 || req->extents % req->stripes != 0)
		return vg_error_set(err, -EINVAL, "LV %s: %" PRIu64 " extents cannot be split over %u stripes",
				    lv->name, req->extents, req->stripes);
	if (req->stripes > vg->n_pvs && req->policy != ALLOC_ANYWHERE)
		return vg_error_set(err, -ENOSPC, "LV %s: %u stripes need %u PVs, the VG has %zu", lv->name,
				    req->stripes, req->stripes, vg->n_pvs);
	r = vg_free_map_build(vg, &map, err);
	if (r < 0)
		return r;

	r = req->stripes == 1 ? plan_linear(&map, lv, req, &plan, &remaining)
			      : plan_striped(&map, req, &plan, &remaining);
	vg_free_map_done(&map);
	if (r == -ENOSPC) {
		uint64_t free_extents = vg_free_extents(vg, req->allowed_pvs);

		plan_done(&plan);
		if (free_extents < req->extents)
			return vg_error_set(err, -ENOSPC,
					    "LV %s: %" PRIu64 " extents needed, only %" PRIu64 " free%s", lv->name,
					    req->extents, free_extents,
					    req->allowed_pvs ? " on the PVs named" : " in the VG");
		return vg_error_set(err, -ENOSPC,
				    "LV %s: %" PRIu64 " extents are free but not in a shape the %s policy%s accepts",
				    lv->name, free_extents,
				    req->policy == ALLOC_CONTIGUOUS ? "contiguous"
				    : req->policy == ALLOC_ANYWHERE ? "anywhere"
								    : "normal",
				    req->stripes > 1 ? " with these stripes" : "");
	}
	if (r < 0) {
		plan_done(&plan);
		return vg_error_set(err, r, "out of memory");
	}

	/* Turn the plan into segments; nothing touches the LV until all exist. */
	segments = calloc(plan.n, sizeof(*segments));
	if (!segments) {
		plan_done(&plan);
		return vg_error_set(err, -ENOMEM, "out of memory");
	}
	start = vg_lv_extents(lv);
	for (size_t i = 0; i < plan.n; i++) {
		struct vg_segment *seg = segment_new(start, plan.pieces[i]->count * req->stripes, req->stripes,
						     req->stripe_size_sectors);
		if (!seg)
			break;
		memcpy(seg->stripes, plan.pieces[i]->stripes, req->stripes * sizeof(struct vg_stripe));
		segments[n_added++] = seg;
		start += seg->extent_count;
	}
	if (n_added < plan.n) {
		for (size_t i = 0; i < n_added; i++)
			segment_free(segments[i]);
		free(segments);
		plan_done(&plan);
		return vg_error_set(err, -ENOMEM, "out of memory");
	}
	plan_done(&plan);

	struct vg_segment **grown = realloc(lv->segments, (lv->n_segments + n_added) * sizeof(*grown));
	if (!grown) {
		for (size_t i = 0; i < n_added; i++)
			segment_free(segments[i]);
		free(segments);
		return vg_error_set(err, -ENOMEM, "out of memory");
	}
	lv->segments = grown;
	memcpy(lv->segments + lv->n_segments, segments, n_added * sizeof(*segments));
	lv->n_segments += n_added;
	free(segments);
	vg_lv_merge_segments(lv);
	return 0;
}

static bool segments_continue(const struct vg_segment *a, const struct vg_segment *b)
{
	if (!a->is_striped || !b->is_striped || a->stripe_count != b->stripe_count ||
	    a->stripe_size_sectors != b->stripe_size_sectors || a->extra || b->extra ||
	    a->start_extent + a->extent_count != b->start_extent)
		return false;
	for (uint32_t k = 0; k < a->stripe_count; k++)
		if (a->stripes[k].pv_index != b->stripes[k].pv_index ||
		    a->stripes[k].first_pe + a->extent_count / a->stripe_count != b->stripes[k].first_pe)
			return false;
	return true;
}

void vg_lv_merge_segments(struct vg_lv *lv)
{
	size_t out = 0;

	for (size_t i = 0; i < lv->n_segments; i++) {
		if (out > 0 && segments_continue(lv->segments[out - 1], lv->segments[i])) {
			lv->segments[out - 1]->extent_count += lv->segments[i]->extent_count;
			segment_free(lv->segments[i]);
			continue;
		}
		lv->segments[out++] = lv->segments[i];
	}
	lv->n_segments = out;
}

int vg_lv_truncate(struct vg_lv *lv, uint64_t extents, struct vg_error *err)
{
	uint64_t total = vg_lv_extents(lv);

	if (extents >= total)
		return vg_error_set(err, -EINVAL, "LV %s: cannot drop %" PRIu64 " of its %" PRIu64 " extents",
				    lv->name, extents, total);
	/* check every cut first, so a refusal changes nothing */
	uint64_t left = extents;
	for (size_t i = lv->n_segments; i-- > 0 && left > 0;) {
		struct vg_segment *seg = lv->segments[i];
		uint64_t cut = MIN(left, seg->extent_count);

		if (cut < seg->extent_count && (!seg->is_striped || cut % seg->stripe_count != 0))
			return vg_error_set(err, -EINVAL,
					    "LV %s: segment at extent %" PRIu64
					    " cannot be cut by %" PRIu64 " extents (%s)",
					    lv->name, seg->start_extent, cut,
					    seg->is_striped ? "not a multiple of its stripes" : "not a striped segment");
		left -= cut;
	}
	while (extents > 0) {
		struct vg_segment *seg = lv->segments[lv->n_segments - 1];

		if (extents >= seg->extent_count) {
			extents -= seg->extent_count;
			segment_free(seg);
			lv->n_segments--;
		} else {
			seg->extent_count -= extents;
			extents = 0;
		}
	}
	return 0;
}

void vg_segment_destroy(struct vg_segment *seg)
{
	segment_free(seg);
}
