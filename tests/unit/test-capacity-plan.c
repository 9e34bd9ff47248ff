/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The capacity planner: the design's worked example by hand, the wants'
 * syntax, bad models, and seeded generated layouts where every plan is
 * replayed step by step on the test's own copy of the model (sizes add up,
 * each evacuation has room, no step drops a group's required redundancy,
 * the wants hold at the end) and its cost is compared with the cheapest of
 * all the alternatives the test enumerates itself, every destination
 * included.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "capacity-plan.h"

#define G (UINT64_C(1) << 30)

static struct cap_plan *plan_for(const struct cap_model *m, const struct cap_want *wants, size_t n)
{
	struct cap_plan *plan = NULL;
	struct vg_error err = { 0 };

	if (cap_plan_make(m, wants, n, &plan, &err) < 0)
		fail_msg("cap_plan_make: %s", err.message);
	return plan;
}

/* The design's workstation: vg_raid on three mirrors, vg_bulk on two plain disks. */
static const struct cap_mirror ws_mirrors[] = {
	{ .name = "md0", .leg_bytes = { 100 * G, 100 * G }, .vg = "vg_raid", .used_bytes = 80 * G },
	{ .name = "md1", .leg_bytes = { 100 * G, 100 * G }, .vg = "vg_raid", .used_bytes = 60 * G },
	{ .name = "md2", .leg_bytes = { 100 * G, 100 * G }, .vg = "vg_raid", .used_bytes = 0 },
};
static const struct cap_pv ws_pvs[] = {
	{ .name = "sdb", .size_bytes = 500 * G, .vg = "vg_bulk", .used_bytes = 450 * G },
	{ .name = "sdd", .size_bytes = 500 * G, .vg = "vg_bulk", .used_bytes = 450 * G },
};
static const struct cap_vg ws_vgs[] = {
	{ .name = "vg_raid", .free_bytes = 160 * G, .requires_redundancy = true },
	{ .name = "vg_bulk", .free_bytes = 100 * G },
};
static const struct cap_model workstation = {
	.mirrors = ws_mirrors, .n_mirrors = 3, .pvs = ws_pvs, .n_pvs = 2, .vgs = ws_vgs, .n_vgs = 2,
};

static void test_seed_layout(void **state)
{
	struct cap_want want = { .vg = "vg_bulk", .kind = CAP_WANT_GAIN, .bytes = 200 * G };
	_cleanup_(cap_plan_freep) struct cap_plan *plan = plan_for(&workstation, &want, 1);

	/* md2 is empty: dissolved into two plain PVs for vg_bulk, nothing copied */
	assert_true(plan->possible);
	assert_int_equal(plan->n_steps, 1);
	assert_int_equal(plan->steps[0].kind, CAP_STEP_DISSOLVE);
	assert_string_equal(cap_step_kind_name(plan->steps[0].kind), "dissolve_mirror");
	assert_string_equal(plan->steps[0].device, "md2");
	assert_string_equal(plan->steps[0].from_vg, "vg_raid");
	assert_string_equal(plan->steps[0].to_vg, "vg_bulk");
	assert_string_equal(plan->steps[0].leg0_vg, "vg_bulk");
	assert_int_equal(plan->steps[0].bytes_copied, 0);
	assert_int_equal(plan->steps[0].bytes_gained, 200 * G);
	assert_int_equal(plan->bytes_copied, 0);
	assert_int_equal(plan->n_groups, 2);
	assert_string_equal(plan->groups[0].vg, "vg_raid");
	assert_int_equal(plan->groups[0].free_after, 60 * G);
	assert_true(plan->groups[0].requires_redundancy);
	assert_true(plan->groups[0].redundant_after);
	assert_int_equal(plan->groups[1].free_after, 300 * G);
	assert_false(plan->groups[1].redundant_after);

	/* +100G: moving md2 whole is enough and keeps it a mirror; one step either way, none copies */
	want.bytes = 100 * G;
	cap_plan_free(plan);
	plan = plan_for(&workstation, &want, 1);
	assert_true(plan->possible);
	assert_int_equal(plan->n_steps, 1);
	assert_string_equal(plan->steps[0].device, "md2");
	assert_int_equal(plan->bytes_copied, 0);

	/* +300G: vg_raid cannot give up two mirrors, its 140G in use would not fit on the third */
	want.bytes = 300 * G;
	cap_plan_free(plan);
	plan = plan_for(&workstation, &want, 1);
	assert_false(plan->possible);
	assert_int_equal(plan->n_steps, 0);
	assert_non_null(strstr(plan->reason, "no sequence of steps meets every want"));
	assert_int_equal(plan->groups[1].free_after, 100 * G);

	/* vg_raid must keep 100G free: md2 cannot leave, md1 can't either (it would leave 0 free) */
	struct cap_want two[] = {
		{ .vg = "vg_bulk", .kind = CAP_WANT_GAIN, .bytes = 50 * G },
		{ .vg = "vg_raid", .kind = CAP_WANT_FREE, .bytes = 100 * G },
	};
	cap_plan_free(plan);
	plan = plan_for(&workstation, two, 2);
	assert_false(plan->possible);
	two[1].bytes = 60 * G;
	cap_plan_free(plan);
	plan = plan_for(&workstation, two, 2);
	assert_true(plan->possible);
	assert_int_equal(plan->groups[0].free_after, 60 * G);
}

static void test_redundancy_and_in_place(void **state)
{
	/* a new plain disk cannot help a group that requires redundancy */
	const struct cap_pv disk[] = { { .name = "sde", .size_bytes = 500 * G } };
	const struct cap_vg vgs[] = {
		{ .name = "vg_raid", .free_bytes = 10 * G, .requires_redundancy = true },
		{ .name = "vg_bulk", .free_bytes = 0 },
	};
	struct cap_model m = { .pvs = disk, .n_pvs = 1, .vgs = vgs, .n_vgs = 2 };
	struct cap_want want = { .vg = "vg_raid", .kind = CAP_WANT_GAIN, .bytes = 100 * G };
	_cleanup_(cap_plan_freep) struct cap_plan *plan = plan_for(&m, &want, 1);

	assert_false(plan->possible);
	assert_string_equal(plan->reason, "vg_raid can gain at most 0 of free space (it wants 100 GiB more) without "
					  "dropping the redundancy a group requires");
	/* the same disk joins vg_bulk */
	want.vg = "vg_bulk";
	cap_plan_free(plan);
	plan = plan_for(&m, &want, 1);
	assert_true(plan->possible);
	assert_int_equal(plan->steps[0].kind, CAP_STEP_MOVE_PV);
	assert_null(plan->steps[0].from_vg);

	/* a mirror inside vg_bulk, which needs no redundancy: dissolved in place, leg 1 joins, nothing copied */
	const struct cap_mirror md3[] = { { .name = "md3", .leg_bytes = { 50 * G, 60 * G }, .vg = "vg_bulk",
					    .used_bytes = 40 * G } };
	const struct cap_vg bulk[] = { { .name = "vg_bulk", .free_bytes = 10 * G } };
	struct cap_model m2 = { .mirrors = md3, .n_mirrors = 1, .vgs = bulk, .n_vgs = 1 };
	want = (struct cap_want){ .vg = "vg_bulk", .kind = CAP_WANT_FREE, .bytes = 70 * G };
	cap_plan_free(plan);
	plan = plan_for(&m2, &want, 1);
	assert_true(plan->possible);
	assert_int_equal(plan->steps[0].kind, CAP_STEP_DISSOLVE);
	assert_string_equal(plan->steps[0].leg0_vg, "vg_bulk");
	assert_int_equal(plan->steps[0].bytes_copied, 0);
	assert_int_equal(plan->steps[0].bytes_gained, 60 * G);
	assert_int_equal(plan->groups[0].free_after, 70 * G);
	assert_true(plan->groups[0].redundant_before);
	assert_false(plan->groups[0].redundant_after);
}

static void test_wants_and_bad_models(void **state)
{
	struct cap_want want;
	struct vg_error err = { 0 };
	struct cap_plan *plan = NULL;
	char name[64];

	assert_int_equal(cap_want_parse("vg_bulk=+200G", name, sizeof(name), &want, &err), 0);
	assert_string_equal(want.vg, "vg_bulk");
	assert_int_equal(want.kind, CAP_WANT_GAIN);
	assert_int_equal(want.bytes, 200 * G);
	assert_int_equal(cap_want_parse("vg_raid>=50G", name, sizeof(name), &want, &err), 0);
	assert_string_equal(want.vg, "vg_raid");
	assert_int_equal(want.kind, CAP_WANT_FREE);
	assert_int_equal(want.bytes, 50 * G);
	assert_int_equal(cap_want_parse("vg_bulk=200G", name, sizeof(name), &want, &err), -EINVAL);
	assert_string_equal(err.message, "want \"vg_bulk=200G\": after the group name comes =+SIZE or >=SIZE");
	assert_int_equal(cap_want_parse("=+1G", name, sizeof(name), &want, &err), -EINVAL);
	assert_int_equal(cap_want_parse("vg>=lots", name, sizeof(name), &want, &err), -EINVAL);
	assert_non_null(strstr(err.message, "want \"vg>=lots\": "));

	want = (struct cap_want){ .vg = "vg_none", .kind = CAP_WANT_GAIN, .bytes = G };
	assert_int_equal(cap_plan_make(&workstation, &want, 1, &plan, &err), -EINVAL);
	assert_string_equal(err.message, "want for group vg_none, which the model does not have");

	const struct cap_pv over[] = { { .name = "sdx", .size_bytes = G, .vg = "vg_bulk", .used_bytes = 2 * G } };
	struct cap_model m = workstation;
	m.pvs = over;
	m.n_pvs = 1;
	assert_int_equal(cap_plan_make(&m, NULL, 0, &plan, &err), -EINVAL);
	assert_string_equal(err.message, "device sdx: 2147483648 bytes used of 1073741824");
	const struct cap_pv twice[] = { { .name = "md0", .size_bytes = G, .vg = "vg_bulk" } };
	m.pvs = twice;
	assert_int_equal(cap_plan_make(&m, NULL, 0, &plan, &err), -EINVAL);
	assert_string_equal(err.message, "device md0 is named twice");
	/* more devices than the planner compares exhaustively */
	{
		struct cap_pv many[CAP_MAX_DEVICES + 1];
		char names[CAP_MAX_DEVICES + 1][8];

		for (size_t i = 0; i < ARRAY_SIZE(many); i++) {
			snprintf(names[i], sizeof(names[i]), "sd%zu", i);
			many[i] = (struct cap_pv){ .name = names[i], .size_bytes = G };
		}
		m.pvs = many;
		m.n_pvs = ARRAY_SIZE(many);
		assert_int_equal(cap_plan_make(&m, NULL, 0, &plan, &err), -E2BIG);
		assert_string_equal(err.message, "more than 16 devices: too many to plan for");
	}
	const struct cap_pv stray[] = { { .name = "sdz", .size_bytes = G, .vg = "vg_other" } };
	m.pvs = stray;
	assert_int_equal(cap_plan_make(&m, NULL, 0, &plan, &err), -EINVAL);
	assert_null(plan);
}

/* ---- generated layouts ---- */

#define MAX_DEV 5
#define MAX_GRP 3

struct layout {
	struct cap_mirror mirrors[MAX_DEV];
	struct cap_pv pvs[MAX_DEV];
	struct cap_vg vgs[MAX_GRP];
	struct cap_want wants[2];
	size_t n_wants;
	struct cap_model model;
	char names[MAX_DEV + MAX_GRP][16];
};

/* One device as the test sees it. */
struct tdev {
	const char *name;
	bool mirror;
	uint64_t size, legs[2], used;
	int group;
};

static uint32_t rng_next(uint32_t *s)
{
	*s = *s * 1664525u + 1013904223u;
	return *s >> 8;
}

static void layout_make(struct layout *l, uint32_t seed)
{
	uint32_t s = seed;
	size_t n_groups = 1 + rng_next(&s) % MAX_GRP, n_dev = 1 + rng_next(&s) % MAX_DEV;
	uint64_t free_of[MAX_GRP] = { 0 };

	memset(l, 0, sizeof(*l));
	for (size_t g = 0; g < n_groups; g++) {
		snprintf(l->names[MAX_DEV + g], 16, "vg%zu", g);
		l->vgs[g] = (struct cap_vg){ .name = l->names[MAX_DEV + g], .requires_redundancy = rng_next(&s) % 3 == 0 };
	}
	for (size_t i = 0; i < n_dev; i++) {
		bool mirror = rng_next(&s) % 2;
		int group = rng_next(&s) % 5 == 0 ? -1 : (int)(rng_next(&s) % n_groups);
		uint64_t size = (1 + rng_next(&s) % 10) * 10 * G;
		uint64_t used = group < 0 || rng_next(&s) % 3 == 0 ? 0 : (rng_next(&s) % (size / (10 * G) + 1)) * 10 * G;

		/* a group requiring redundancy holds mirrors only, as the host keeps it */
		if (group >= 0 && l->vgs[group].requires_redundancy)
			mirror = true;
		snprintf(l->names[i], 16, "%s%zu", mirror ? "md" : "sd", i);
		if (mirror) {
			uint64_t leg1 = size + (rng_next(&s) % 3) * 10 * G;
			l->mirrors[l->model.n_mirrors++] = (struct cap_mirror){
				.name = l->names[i], .leg_bytes = { size, leg1 }, .used_bytes = used,
				.vg = group >= 0 ? l->vgs[group].name : NULL,
			};
		} else {
			l->pvs[l->model.n_pvs++] = (struct cap_pv){
				.name = l->names[i], .size_bytes = size, .used_bytes = used,
				.vg = group >= 0 ? l->vgs[group].name : NULL,
			};
		}
		if (group >= 0)
			free_of[group] += size - used;
	}
	for (size_t g = 0; g < n_groups; g++)
		l->vgs[g].free_bytes = free_of[g];
	l->n_wants = 1 + rng_next(&s) % 2;
	for (size_t w = 0; w < l->n_wants; w++) {
		size_t g = rng_next(&s) % n_groups;
		bool gain = rng_next(&s) % 2;

		l->wants[w] = (struct cap_want){
			.vg = l->vgs[g].name,
			.kind = gain ? CAP_WANT_GAIN : CAP_WANT_FREE,
			.bytes = (gain ? 1 + rng_next(&s) % 20 : rng_next(&s) % 30) * 10 * G,
		};
	}
	l->model.mirrors = l->mirrors;
	l->model.pvs = l->pvs;
	l->model.vgs = l->vgs;
	l->model.n_vgs = n_groups;
}

static int tgroup(const struct layout *l, const char *name)
{
	for (size_t g = 0; name && g < l->model.n_vgs; g++)
		if (streq(l->vgs[g].name, name))
			return (int)g;
	return -1;
}

static size_t tdevs(const struct layout *l, struct tdev *d)
{
	size_t n = 0;

	for (size_t i = 0; i < l->model.n_mirrors; i++)
		d[n++] = (struct tdev){ l->mirrors[i].name, true, MIN(l->mirrors[i].leg_bytes[0], l->mirrors[i].leg_bytes[1]),
					{ l->mirrors[i].leg_bytes[0], l->mirrors[i].leg_bytes[1] }, l->mirrors[i].used_bytes,
					tgroup(l, l->mirrors[i].vg) };
	for (size_t i = 0; i < l->model.n_pvs; i++)
		d[n++] = (struct tdev){ l->pvs[i].name, false, l->pvs[i].size_bytes, { l->pvs[i].size_bytes, 0 },
					l->pvs[i].used_bytes, tgroup(l, l->pvs[i].vg) };
	return n;
}

static bool twants_met(const struct layout *l, const uint64_t *free)
{
	for (size_t w = 0; w < l->n_wants; w++) {
		int g = tgroup(l, l->wants[w].vg);
		uint64_t need = l->wants[w].kind == CAP_WANT_GAIN ? l->vgs[g].free_bytes + l->wants[w].bytes
								  : l->wants[w].bytes;
		if (free[g] < need)
			return false;
	}
	return true;
}

/* Replay @plan on the test's own model; fail on anything wrong. */
static void replay(const struct layout *l, const struct cap_plan *plan, uint32_t seed)
{
	struct tdev d[2 * MAX_DEV];
	size_t n = tdevs(l, d);
	uint64_t free[MAX_GRP], copied = 0;
	bool used_once[2 * MAX_DEV] = { false };
	bool plain_in[MAX_GRP] = { false };

	for (size_t g = 0; g < l->model.n_vgs; g++)
		free[g] = l->vgs[g].free_bytes;
	for (size_t s = 0; s < plan->n_steps; s++) {
		const struct cap_step *st = &plan->steps[s];
		int from = tgroup(l, st->from_vg), to = tgroup(l, st->to_vg), leg0 = tgroup(l, st->leg0_vg);
		size_t i;

		for (i = 0; i < n && !streq(d[i].name, st->device); i++)
			;
		if (i == n || used_once[i] || from != d[i].group || to < 0 || st->is_mirror != d[i].mirror)
			fail_msg("seed %u step %zu: %s is not where or what the step says", seed, s, st->device);
		used_once[i] = true;
		if (st->kind == CAP_STEP_DISSOLVE) {
			assert_true(d[i].mirror);
			if (l->vgs[to].requires_redundancy || l->vgs[leg0].requires_redundancy)
				fail_msg("seed %u: %s dissolved into a group that requires redundancy", seed, st->device);
			plain_in[to] = plain_in[leg0] = true;
			if (leg0 == from && from >= 0) {
				assert_int_equal(st->bytes_copied, 0);
				free[from] += d[i].legs[0] - d[i].size;
				free[to] += d[i].legs[1];
				continue;
			}
			assert_int_equal(leg0, to);
			assert_int_equal(st->bytes_gained, d[i].legs[0] + d[i].legs[1]);
		} else {
			assert_true(to != from);
			if (!d[i].mirror && l->vgs[to].requires_redundancy)
				fail_msg("seed %u: plain %s moved into %s, which requires redundancy", seed, st->device,
					 st->to_vg);
			plain_in[to] |= !d[i].mirror;
			assert_int_equal(st->kind == CAP_STEP_EVACUATE_MOVE, from >= 0 && d[i].used > 0);
			assert_int_equal(st->bytes_gained, d[i].size);
		}
		if (from >= 0) {
			if (free[from] < d[i].size)
				fail_msg("seed %u step %zu: %s has no room to evacuate %s", seed, s, st->from_vg, st->device);
			free[from] -= d[i].size;
			assert_int_equal(st->bytes_copied, d[i].used);
		} else {
			assert_int_equal(st->bytes_copied, 0);
		}
		free[to] += st->kind == CAP_STEP_DISSOLVE ? d[i].legs[0] + d[i].legs[1] : d[i].size;
		copied += st->bytes_copied;
	}
	assert_int_equal(copied, plan->bytes_copied);
	assert_true(twants_met(l, free));
	for (size_t g = 0; g < l->model.n_vgs; g++) {
		assert_int_equal(plan->groups[g].free_after, free[g]);
		if (l->vgs[g].requires_redundancy) {
			assert_false(plain_in[g]);
			assert_true(plan->groups[g].redundant_after);
		}
	}
}

/* The test's own enumeration: each device stays, moves, or dissolves (in place or away), to every group. */
struct choice {
	int kind; /* 0 stay, 1 move, 2 dissolve in place (leg 1 to `to`), 3 dissolve away */
	int to;
};

static bool tfeasible(const struct layout *l, const struct tdev *d, size_t n, const struct choice *c,
		      uint64_t *ret_cost)
{
	uint64_t free[MAX_GRP], cost = 0;
	bool done[2 * MAX_DEV];
	bool progress = true;
	size_t left = 0;

	for (size_t g = 0; g < l->model.n_vgs; g++)
		free[g] = l->vgs[g].free_bytes;
	for (size_t i = 0; i < n; i++) {
		done[i] = c[i].kind == 0 || c[i].kind == 2;
		if (c[i].kind == 2) {
			free[d[i].group] += d[i].legs[0] - d[i].size;
			free[c[i].to] += d[i].legs[1];
		}
		left += !done[i];
	}
	while (left && progress) {
		progress = false;
		for (size_t i = 0; i < n; i++) {
			if (done[i] || (d[i].group >= 0 && free[d[i].group] < d[i].size))
				continue;
			if (d[i].group >= 0) {
				free[d[i].group] -= d[i].size;
				cost += d[i].used;
			}
			free[c[i].to] += c[i].kind == 3 ? d[i].legs[0] + d[i].legs[1] : d[i].size;
			done[i] = true;
			left--;
			progress = true;
		}
	}
	*ret_cost = cost;
	return left == 0 && twants_met(l, free);
}

static void enumerate(const struct layout *l, const struct tdev *d, size_t n, size_t i, struct choice *c,
		      bool *found, uint64_t *best)
{
	uint64_t cost;

	if (i == n) {
		if (tfeasible(l, d, n, c, &cost) && (!*found || cost < *best)) {
			*found = true;
			*best = cost;
		}
		return;
	}
	c[i] = (struct choice){ 0, -1 };
	enumerate(l, d, n, i + 1, c, found, best);
	for (int g = 0; g < (int)l->model.n_vgs; g++) {
		bool plain_ok = !l->vgs[g].requires_redundancy;

		if (g != d[i].group && (d[i].mirror || plain_ok)) {
			c[i] = (struct choice){ 1, g };
			enumerate(l, d, n, i + 1, c, found, best);
		}
		if (d[i].mirror && plain_ok && d[i].group >= 0 && !l->vgs[d[i].group].requires_redundancy) {
			c[i] = (struct choice){ 2, g };
			enumerate(l, d, n, i + 1, c, found, best);
		}
		if (d[i].mirror && plain_ok && g != d[i].group) {
			c[i] = (struct choice){ 3, g };
			enumerate(l, d, n, i + 1, c, found, best);
		}
	}
}

/* The layout behind a failure, so it can be turned into a hand-written case. */
static void print_layout(const struct layout *l, const struct tdev *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		print_message("%s: %s of %" PRIu64 " GiB (legs %" PRIu64 "/%" PRIu64 "), %" PRIu64 " used, group %d\n",
			      d[i].name, d[i].mirror ? "mirror" : "PV", d[i].size / G, d[i].legs[0] / G, d[i].legs[1] / G,
			      d[i].used / G, d[i].group);
	for (size_t g = 0; g < l->model.n_vgs; g++)
		print_message("vg%zu: %" PRIu64 " GiB free%s\n", g, l->vgs[g].free_bytes / G,
			      l->vgs[g].requires_redundancy ? ", requires redundancy" : "");
	for (size_t w = 0; w < l->n_wants; w++)
		print_message("want: %s %s %" PRIu64 " GiB\n", l->wants[w].vg,
			      l->wants[w].kind == CAP_WANT_GAIN ? "gains" : "keeps free", l->wants[w].bytes / G);
}

static void test_generated_layouts(void **state)
{
	unsigned possible = 0, impossible = 0, copying = 0;

	for (uint32_t seed = 1; seed <= 2000; seed++) {
		struct layout l;
		struct tdev d[2 * MAX_DEV];
		struct choice c[2 * MAX_DEV];
		_cleanup_(cap_plan_freep) struct cap_plan *plan = NULL;
		bool found = false;
		uint64_t best = 0;
		size_t n;

		layout_make(&l, seed);
		plan = plan_for(&l.model, l.wants, l.n_wants);
		n = tdevs(&l, d);
		enumerate(&l, d, n, 0, c, &found, &best);
		if (plan->possible != found)
			print_layout(&l, d, n);
		if (plan->possible != found)
			fail_msg("seed %u: the planner says %s, the enumeration %s", seed,
				 plan->possible ? "possible" : "impossible", found ? "possible" : "impossible");
		if (!plan->possible) {
			assert_int_equal(plan->n_steps, 0);
			assert_true(plan->reason[0] != '\0');
			impossible++;
			continue;
		}
		replay(&l, plan, seed);
		if (plan->bytes_copied != best)
			fail_msg("seed %u: the plan copies %" PRIu64 " bytes, the cheapest alternative %" PRIu64, seed,
				 plan->bytes_copied, best);
		possible++;
		copying += plan->bytes_copied > 0;
	}
	print_message("%u possible (%u copying data), %u impossible\n", possible, copying, impossible);
	assert_true(possible > 300 && impossible > 300 && copying > 30);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_layout),
		cmocka_unit_test(test_redundancy_and_in_place),
		cmocka_unit_test(test_wants_and_bad_models),
		cmocka_unit_test(test_generated_layouts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
