/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The capacity planner (see capacity-plan.h): an exhaustive search over
 * what each device does, pruned by cost and by how much each wanted group
 * could still gain, with each candidate checked by running its steps in an
 * order where every evacuation has room.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "capacity-plan.h"
#include "size.h"

/* Partial plans looked at before giving up: about a second of work. */
#define CAP_SEARCH_BUDGET UINT64_C(20000000)

enum action_kind {
	ACT_STAY,
	ACT_MOVE,           /* the whole device to group `to` */
	ACT_DISSOLVE_HERE,  /* mirror: leg 0 stays in its group, leg 1 to `to` */
	ACT_DISSOLVE_AWAY,  /* mirror: both legs to `to` (evacuated first when in a group) */
};

struct action {
	enum action_kind kind;
	int to;
};

struct device {
	const char *name;
	bool is_mirror;
	uint64_t size;     /* as a PV: a mirror's smaller leg */
	uint64_t legs[2];
	uint64_t used;
	int group;         /* -1: none */
};

struct effect {
	int leave_group;   /* -1: the device does not leave a group */
	uint64_t leave_bytes;
	uint64_t copy_bytes;
	int gain_group[2];
	uint64_t gain_bytes[2];
};

struct search {
	const struct cap_model *model;
	const struct cap_want *wants;
	size_t n_wants;
	struct device devs[CAP_MAX_DEVICES];
	size_t n_devs;
	size_t n_groups;
	uint64_t *free0;      /* per group, at the start */

	struct action current[CAP_MAX_DEVICES];
	struct action best[CAP_MAX_DEVICES];
	size_t best_order[CAP_MAX_DEVICES];
	size_t n_best_steps;
	bool found;
	uint64_t best_cost;
	uint64_t *max_gain;   /* [device * groups + g]: the most a device can give group g */
	uint64_t *scratch;    /* per group */
	uint64_t nodes;       /* partial plans looked at, against CAP_SEARCH_BUDGET */
};

const char *cap_step_kind_name(enum cap_step_kind kind)
{
	switch (kind) {
	case CAP_STEP_MOVE_PV:
		return "move_pv";
	case CAP_STEP_EVACUATE_MOVE:
		return "evacuate_and_move_pv";
	case CAP_STEP_DISSOLVE:
		return "dissolve_mirror";
	}
	return "unknown";
}

struct cap_plan *cap_plan_free(struct cap_plan *plan)
{
	if (!plan)
		return NULL;
	free(plan->steps);
	free(plan->groups);
	free(plan);
	return NULL;
}

int cap_want_parse(const char *text, char *name_buf, size_t name_size, struct cap_want *ret, struct vg_error *err)
{
	const char *op = text ? strpbrk(text, "=>") : NULL;
	struct cap_want want = { 0 };
	size_t name_len;
	int r;

	if (!op || op == text)
		return vg_error_set(err, -EINVAL, "want \"%s\" is not NAME=+SIZE or NAME>=SIZE", text ? text : "");
	name_len = (size_t)(op - text);
	if (name_len >= name_size)
		return vg_error_set(err, -EINVAL, "want \"%s\": the group name is too long", text);
	if (op[0] == '=' && op[1] == '+')
		want.kind = CAP_WANT_GAIN;
	else if (op[0] == '>' && op[1] == '=')
		want.kind = CAP_WANT_FREE;
	else
		return vg_error_set(err, -EINVAL, "want \"%s\": after the group name comes =+SIZE or >=SIZE", text);
	r = size_parse(op + 2, 'm', &want.bytes, err);
	if (r < 0)
		return vg_error_prefix(err, -EINVAL, "want \"%s\": ", text);
	memcpy(name_buf, text, name_len);
	name_buf[name_len] = '\0';
	want.vg = name_buf;
	*ret = want;
	return 0;
}

static int find_group(const struct cap_model *m, const char *name)
{
	for (size_t g = 0; name && g < m->n_vgs; g++)
		if (streq(m->vgs[g].name, name))
			return (int)g;
	return -1;
}

/* What @a does to the groups when @d runs it. */
static struct effect effect_of(const struct device *d, const struct action *a)
{
	struct effect e = { .leave_group = -1, .gain_group = { -1, -1 } };

	if (a->kind == ACT_MOVE || a->kind == ACT_DISSOLVE_AWAY) {
		/* the whole device leaves its group: evacuated first when it holds data */
		e.leave_group = d->group;
		e.leave_bytes = d->group >= 0 ? d->size : 0;
		e.copy_bytes = d->group >= 0 ? d->used : 0;
		e.gain_group[0] = a->to;
		e.gain_bytes[0] = a->kind == ACT_MOVE ? d->size : d->legs[0] + d->legs[1];
	} else if (a->kind == ACT_DISSOLVE_HERE) {
		/* leg 0 carries the data on as a plain PV: its group gains what leg 0 had beyond the mirror */
		e.gain_group[0] = d->group;
		e.gain_bytes[0] = d->legs[0] - d->size;
		e.gain_group[1] = a->to;
		e.gain_bytes[1] = d->legs[1];
	}
	return e;
}

/*
 * Run the non-stay actions in passes, each when its group has room to
 * evacuate it, until all ran or none can. Fills @order with device indexes
 * in the order run and @free with the groups' free space at the end.
 * Returns the number of steps run, or -1 when some could never run.
 */
static int run_actions(const struct search *s, const struct action *acts, size_t *order, uint64_t *free)
{
	bool done[CAP_MAX_DEVICES] = { false };
	size_t n_done = 0, n_pending = 0;
	bool progress = true;

	memcpy(free, s->free0, s->n_groups * sizeof(*free));
	for (size_t i = 0; i < s->n_devs; i++) {
		done[i] = acts[i].kind == ACT_STAY;
		n_pending += !done[i];
	}
	while (n_done < n_pending && progress) {
		progress = false;
		for (size_t i = 0; i < s->n_devs; i++) {
			struct effect e;

			if (done[i])
				continue;
			e = effect_of(&s->devs[i], &acts[i]);
			if (e.leave_group >= 0 && free[e.leave_group] < e.leave_bytes)
				continue;
			if (e.leave_group >= 0)
				free[e.leave_group] -= e.leave_bytes;
			for (int k = 0; k < 2; k++)
				if (e.gain_group[k] >= 0)
					free[e.gain_group[k]] += e.gain_bytes[k];
			done[i] = true;
			order[n_done++] = i;
			progress = true;
		}
	}
	return n_done == n_pending ? (int)n_done : -1;
}

static bool wants_met(const struct search *s, const uint64_t *free)
{
	for (size_t w = 0; w < s->n_wants; w++) {
		int g = find_group(s->model, s->wants[w].vg);
		uint64_t need = s->wants[w].kind == CAP_WANT_GAIN ? s->free0[g] + s->wants[w].bytes : s->wants[w].bytes;

		if (free[g] < need)
			return false;
	}
	return true;
}

/* Could the devices from @next on still give every wanted group what it lacks (ignoring order and costs)? */
static bool wants_reachable(const struct search *s, size_t next)
{
	uint64_t *gained = s->scratch;

	memset(gained, 0, s->n_groups * sizeof(*gained));
	for (size_t i = 0; i < next; i++) {
		struct effect e = effect_of(&s->devs[i], &s->current[i]);

		for (int k = 0; k < 2; k++)
			if (e.gain_group[k] >= 0)
				gained[e.gain_group[k]] += e.gain_bytes[k];
	}
	for (size_t w = 0; w < s->n_wants; w++) {
		int g = find_group(s->model, s->wants[w].vg);
		uint64_t have = s->free0[g] + gained[g];
		uint64_t need = s->wants[w].kind == CAP_WANT_GAIN ? s->free0[g] + s->wants[w].bytes : s->wants[w].bytes;

		for (size_t i = next; i < s->n_devs; i++)
			have += s->max_gain[i * s->n_groups + (size_t)g];
		if (have < need)
			return false;
	}
	return true;
}

/* The actions open to device @d, in the order tried (cheapest kinds first). */
static size_t actions_of(const struct search *s, const struct device *d, struct action *out)
{
	const struct cap_vg *vgs = s->model->vgs;
	size_t n = 0;

	out[n++] = (struct action){ ACT_STAY, -1 };
	/*
	 * Every group is a destination, not only the wanted ones: a PV moved
	 * into a third group can make the room another group needs to
	 * evacuate a bigger one.
	 */
	for (size_t g = 0; g < s->n_groups; g++) {
		/* in place: only the group's own free space grows, and only a group that may hold plain PVs */
		if (d->is_mirror && d->group >= 0 && !vgs[d->group].requires_redundancy &&
		    !vgs[g].requires_redundancy)
			out[n++] = (struct action){ ACT_DISSOLVE_HERE, (int)g };
		if ((int)g == d->group)
			continue;
		if (d->is_mirror || !vgs[g].requires_redundancy)
			out[n++] = (struct action){ ACT_MOVE, (int)g };
		if (d->is_mirror && !vgs[g].requires_redundancy)
			out[n++] = (struct action){ ACT_DISSOLVE_AWAY, (int)g };
	}
	return n;
}

static void search_at(struct search *s, size_t i, uint64_t cost, size_t steps)
{
	struct action acts[1 + 3 * 64];
	size_t n;

	if (s->nodes++ >= CAP_SEARCH_BUDGET)
		return;
	if (s->found && (cost > s->best_cost || (cost == s->best_cost && steps >= s->n_best_steps)))
		return;
	if (!wants_reachable(s, i))
		return;
	if (i == s->n_devs) {
		size_t order[CAP_MAX_DEVICES];
		int ran = run_actions(s, s->current, order, s->scratch);

		if (ran < 0 || !wants_met(s, s->scratch))
			return;
		s->found = true;
		s->best_cost = cost;
		s->n_best_steps = (size_t)ran;
		memcpy(s->best, s->current, sizeof(s->best));
		memcpy(s->best_order, order, sizeof(order));
		return;
	}
	n = actions_of(s, &s->devs[i], acts);
	for (size_t k = 0; k < n; k++) {
		struct effect e = effect_of(&s->devs[i], &acts[k]);

		s->current[i] = acts[k];
		search_at(s, i + 1, cost + e.copy_bytes, steps + (acts[k].kind != ACT_STAY));
	}
	s->current[i] = (struct action){ ACT_STAY, -1 };
}

static int add_device(struct search *s, const char *name, bool is_mirror, uint64_t size, const uint64_t legs[2],
		      uint64_t used, const char *vg, struct vg_error *err)
{
	struct device *d;

	if (!name || !*name)
		return vg_error_set(err, -EINVAL, "a device has no name");
	for (size_t i = 0; i < s->n_devs; i++)
		if (streq(s->devs[i].name, name))
			return vg_error_set(err, -EINVAL, "device %s is named twice", name);
	if (s->n_devs == CAP_MAX_DEVICES)
		return vg_error_set(err, -E2BIG, "more than %d devices: too many to plan for", CAP_MAX_DEVICES);
	if (used > size)
		return vg_error_set(err, -EINVAL, "device %s: %" PRIu64 " bytes used of %" PRIu64, name, used, size);
	if (vg && find_group(s->model, vg) < 0)
		return vg_error_set(err, -EINVAL, "device %s is in group %s, which the model does not have", name, vg);
	if (!vg && used)
		return vg_error_set(err, -EINVAL, "device %s is in no group but has bytes in use", name);
	d = &s->devs[s->n_devs++];
	*d = (struct device){ .name = name, .is_mirror = is_mirror, .size = size, .used = used,
			      .group = find_group(s->model, vg) };
	d->legs[0] = legs ? legs[0] : size;
	d->legs[1] = legs ? legs[1] : 0;
	return 0;
}

static bool group_redundant(const struct search *s, const struct action *acts, size_t g)
{
	for (size_t i = 0; i < s->n_devs; i++) {
		const struct device *d = &s->devs[i];
		struct action a = acts ? acts[i] : (struct action){ ACT_STAY, -1 };
		bool plain_here;

		switch (a.kind) {
		case ACT_STAY:
			plain_here = !d->is_mirror && d->group == (int)g;
			break;
		case ACT_MOVE:
			plain_here = !d->is_mirror && a.to == (int)g;
			break;
		case ACT_DISSOLVE_HERE:
			plain_here = d->group == (int)g || a.to == (int)g;
			break;
		default:
			plain_here = a.to == (int)g;
			break;
		}
		if (plain_here)
			return false;
	}
	return true;
}

static void explain_impossible(const struct search *s, struct cap_plan *plan)
{
	char need_buf[32], have_buf[32];

	for (size_t w = 0; w < s->n_wants; w++) {
		int g = find_group(s->model, s->wants[w].vg);
		uint64_t most = s->free0[g];

		for (size_t i = 0; i < s->n_devs; i++)
			most += s->max_gain[i * s->n_groups + (size_t)g];
		if (s->wants[w].kind == CAP_WANT_GAIN && most - s->free0[g] < s->wants[w].bytes) {
			snprintf(plan->reason, sizeof(plan->reason),
				 "%s can gain at most %s of free space (it wants %s more) without dropping the redundancy "
				 "a group requires",
				 s->model->vgs[g].name, size_format(most - s->free0[g], have_buf, sizeof(have_buf)),
				 size_format(s->wants[w].bytes, need_buf, sizeof(need_buf)));
			return;
		}
		if (s->wants[w].kind == CAP_WANT_FREE && most < s->wants[w].bytes) {
			snprintf(plan->reason, sizeof(plan->reason),
				 "%s can reach at most %s free (it wants %s) without dropping the redundancy a group requires",
				 s->model->vgs[g].name, size_format(most, have_buf, sizeof(have_buf)),
				 size_format(s->wants[w].bytes, need_buf, sizeof(need_buf)));
			return;
		}
	}
	snprintf(plan->reason, sizeof(plan->reason),
		 "no sequence of steps meets every want at once: the wants compete for the same devices, or the "
		 "groups that would give a PV have no room to evacuate it");
}

static int fill_plan(const struct search *s, struct cap_plan *plan)
{
	const struct action *acts = s->found ? s->best : NULL;
	uint64_t *free_after = s->scratch;

	plan->groups = calloc(s->n_groups ? s->n_groups : 1, sizeof(*plan->groups));
	plan->steps = calloc(s->n_devs ? s->n_devs : 1, sizeof(*plan->steps));
	if (!plan->groups || !plan->steps)
		return -ENOMEM;
	if (acts) {
		size_t order[CAP_MAX_DEVICES];
		int ran = run_actions(s, acts, order, free_after);

		plan->possible = ran >= 0;
		for (int k = 0; k < ran; k++) {
			const struct device *d = &s->devs[order[k]];
			const struct action *a = &acts[order[k]];
			struct effect e = effect_of(d, a);
			struct cap_step *step = &plan->steps[plan->n_steps++];

			*step = (struct cap_step){
				.kind = a->kind == ACT_MOVE ? (e.copy_bytes ? CAP_STEP_EVACUATE_MOVE : CAP_STEP_MOVE_PV)
							    : CAP_STEP_DISSOLVE,
				.device = d->name,
				.is_mirror = d->is_mirror,
				.from_vg = d->group >= 0 ? s->model->vgs[d->group].name : NULL,
				.to_vg = s->model->vgs[a->to].name,
				.leg0_vg = a->kind == ACT_DISSOLVE_HERE ? s->model->vgs[d->group].name
					   : a->kind == ACT_DISSOLVE_AWAY ? s->model->vgs[a->to].name : NULL,
				.bytes_copied = e.copy_bytes,
				.bytes_gained = e.gain_group[0] == a->to ? e.gain_bytes[0] : e.gain_bytes[1],
			};
			if (a->kind == ACT_DISSOLVE_HERE && d->group == a->to)
				step->bytes_gained = e.gain_bytes[0] + e.gain_bytes[1];
			plan->bytes_copied += e.copy_bytes;
		}
	} else {
		memcpy(free_after, s->free0, s->n_groups * sizeof(*free_after));
	}
	for (size_t g = 0; g < s->n_groups; g++)
		plan->groups[g] = (struct cap_group){
			.vg = s->model->vgs[g].name,
			.free_before = s->free0[g],
			.free_after = free_after[g],
			.requires_redundancy = s->model->vgs[g].requires_redundancy,
			.redundant_before = group_redundant(s, NULL, g),
			.redundant_after = group_redundant(s, acts, g),
		};
	plan->n_groups = s->n_groups;
	if (!acts)
		explain_impossible(s, plan);
	return 0;
}

int cap_plan_make(const struct cap_model *model, const struct cap_want *wants, size_t n_wants,
		  struct cap_plan **ret_plan, struct vg_error *err)
{
	_cleanup_(cap_plan_freep) struct cap_plan *plan = NULL;
	_cleanup_free_ uint64_t *free0 = NULL, *max_gain = NULL, *scratch = NULL;
	struct search s = { .model = model, .wants = wants, .n_wants = n_wants, .n_groups = model->n_vgs };
	struct action acts[1 + 3 * 64];
	int r;

	if (model->n_vgs > 64)
		return vg_error_set(err, -E2BIG, "more than 64 groups: too many to plan for");
	for (size_t g = 0; g < model->n_vgs; g++) {
		if (!model->vgs[g].name || !*model->vgs[g].name)
			return vg_error_set(err, -EINVAL, "a group has no name");
		if (find_group(model, model->vgs[g].name) != (int)g)
			return vg_error_set(err, -EINVAL, "group %s is named twice", model->vgs[g].name);
	}
	free0 = calloc(model->n_vgs + 1, sizeof(*free0));
	scratch = calloc(model->n_vgs + 1, sizeof(*scratch));
	plan = calloc(1, sizeof(*plan));
	if (!free0 || !scratch || !plan)
		return vg_error_set(err, -ENOMEM, "out of memory");
	for (size_t g = 0; g < model->n_vgs; g++)
		free0[g] = model->vgs[g].free_bytes;
	for (size_t w = 0; w < n_wants; w++) {
		int g = find_group(model, wants[w].vg);

		if (g < 0)
			return vg_error_set(err, -EINVAL, "want for group %s, which the model does not have",
					    wants[w].vg ? wants[w].vg : "(none)");
	}
	s.free0 = free0;
	s.scratch = scratch;
	for (size_t i = 0; i < model->n_mirrors; i++) {
		const struct cap_mirror *m = &model->mirrors[i];

		if (!m->leg_bytes[0] || !m->leg_bytes[1])
			return vg_error_set(err, -EINVAL, "mirror %s has a leg of size 0", m->name ? m->name : "?");
		r = add_device(&s, m->name, true, MIN(m->leg_bytes[0], m->leg_bytes[1]), m->leg_bytes, m->used_bytes,
			       m->vg, err);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < model->n_pvs; i++) {
		r = add_device(&s, model->pvs[i].name, false, model->pvs[i].size_bytes, NULL, model->pvs[i].used_bytes,
			       model->pvs[i].vg, err);
		if (r < 0)
			return r;
	}
	max_gain = calloc(s.n_devs * s.n_groups + 1, sizeof(*max_gain));
	if (!max_gain)
		return vg_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < s.n_devs; i++) {
		size_t n = actions_of(&s, &s.devs[i], acts);

		for (size_t k = 0; k < n; k++) {
			struct effect e = effect_of(&s.devs[i], &acts[k]);

			for (int j = 0; j < 2; j++) {
				uint64_t *slot;

				if (e.gain_group[j] < 0)
					continue;
				slot = &max_gain[i * s.n_groups + (size_t)e.gain_group[j]];
				*slot = MAX(*slot, e.gain_bytes[j] + (j == 0 && e.gain_group[1] == e.gain_group[0]
								      ? e.gain_bytes[1] : 0));
			}
		}
	}
	s.max_gain = max_gain;
	for (size_t i = 0; i < s.n_devs; i++)
		s.current[i] = (struct action){ ACT_STAY, -1 };
	search_at(&s, 0, 0, 0);
	if (s.nodes > CAP_SEARCH_BUDGET)
		return vg_error_set(err, -E2BIG,
				    "%zu devices and %zu groups give too many alternatives to compare; plan for fewer devices",
				    s.n_devs, s.n_groups);
	r = fill_plan(&s, plan);
	if (r < 0)
		return vg_error_set(err, r, "out of memory");
	*ret_plan = TAKE_PTR(plan);
	return 0;
}
