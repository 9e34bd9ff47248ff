/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `vgrescue scan [--json] DEV...`: what is left on a set of devices after a
 * disaster, in one report: every md superblock grouped into mirrors (legs,
 * slots, events, fresh or stale), every PV label, and every VG by id with
 * the seqno each PV copy holds, the copies that disagree, and the PVs no
 * device holds. The first thing to run on a rescue boot; the other verbs
 * build on the same view (rescue-model.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "rescue-model.h"
#include "rescue.h"

static const char *leg_word(const struct md_mirror_leg *leg)
{
	if (!leg->present)
		return "missing";
	if (leg->rejected)
		return "rejected (ran apart from the others)";
	return leg->fresh ? "fresh" : "stale";
}

/* The committed copy of @rvg on device @dev, or NULL. */
static const struct rescue_copy *committed_on(const struct rescue_model *model, const struct rescue_vg *rvg,
					      size_t dev)
{
	const struct rescue_copy *best = NULL;

	for (size_t c = 0; c < model->n_copies; c++) {
		const struct rescue_copy *copy = &model->copies[c];

		if (copy->source == RESCUE_COPY_MDA && (size_t)copy->device == dev && copy->committed &&
		    streq(copy->vg_id, rvg->vg_id) && (!best || copy->seqno > best->seqno))
			best = copy;
	}
	return best;
}

/* Whether any copy of @rvg on a device is committed. */
static bool vg_on_device(const struct rescue_model *model, const struct rescue_vg *rvg, size_t dev)
{
	for (size_t c = 0; c < model->n_copies; c++)
		if (model->copies[c].source == RESCUE_COPY_MDA && (size_t)model->copies[c].device == dev &&
		    streq(model->copies[c].vg_id, rvg->vg_id))
			return true;
	return false;
}

/* Count problems a person must look at (exit status 1 when any). */
static size_t report_text(const struct rescue_model *model)
{
	size_t problems = 0;

	printf("Devices:\n");
	for (size_t i = 0; i < model->n_devices; i++) {
		const struct rescue_device *d = &model->devices[i];

		if (!d->dev) {
			printf("  %s: cannot open: %s\n", d->path, d->open_error.message);
			problems++;
			continue;
		}
		printf("  %s: %" PRIu64 " bytes", d->path, d->dev->size_bytes);
		if (d->mirror >= 0)
			printf(", leg of mirror %s", rescue_mirror_name(&model->mirrors[d->mirror]));
		else if (d->has_md)
			printf(", md superblock %s (not a usable raid1 leg)", md_super_version_name(d->sb.version));
		if (d->has_label) {
			char uuid[LVM_UUID_TEXT_LEN + 1];

			lvm_uuid_format(d->label.pv_uuid, uuid);
			printf(", PV %s", uuid);
		} else if (d->label_error.code) {
			printf(", damaged label: %s", d->label_error.message);
			problems++;
		} else {
			printf(", no PV label");
		}
		printf("\n");
		for (size_t a = 0; d->has_label && a < d->label.n_metadata_areas && a < 2; a++)
			if (!d->mda_valid[a]) {
				printf("    metadata area at %" PRIu64 " damaged: %s\n",
				       d->label.metadata_areas[a].offset_bytes, d->mda_error[a].message);
				problems++;
			}
	}

	printf("\nMirrors:\n");
	if (model->n_mirrors == 0)
		printf("  none\n");
	for (size_t m = 0; m < model->n_mirrors; m++) {
		const struct rescue_mirror *mi = &model->mirrors[m];
		const struct md_mirror_view *v = mi->view;

		printf("  %s (uuid %s): raid1, %" PRIu32 " slots, array %" PRIu64 " sectors, events %" PRIu64
		       ", %s%s\n",
		       rescue_mirror_name(mi), mi->uuid_text, v->raid_disks, v->size_sectors, v->events,
		       v->clean ? "clean" : "dirty", v->degraded ? ", DEGRADED" : "");
		if (v->degraded)
			problems++;
		for (size_t l = 0; l < v->n_legs; l++) {
			const struct md_mirror_leg *leg = &v->legs[l];
			char slot[32];

			if (leg->role < MD_ROLE_MAX)
				snprintf(slot, sizeof(slot), "slot %u", leg->role);
			else
				snprintf(slot, sizeof(slot), "%s", leg->role == MD_ROLE_SPARE ? "spare" : "faulty");
			printf("    %s: %s, %s, events %" PRIu64 ", %s\n",
			       mi->leg_device[l] >= 0 ? model->devices[mi->leg_device[l]].path : "(not given)", slot,
			       md_leg_state_name(leg->state), leg->events, leg_word(leg));
		}
	}

	printf("\nVolume groups:\n");
	if (model->n_vgs == 0)
		printf("  none\n");
	for (size_t v = 0; v < model->n_vgs; v++) {
		const struct rescue_vg *rvg = &model->vgs[v];
		char where[512] = "";
		uint64_t best_seqno = rvg->best >= 0 ? model->copies[rvg->best].seqno : 0;

		if (rvg->best >= 0)
			rescue_copy_where(model, &model->copies[rvg->best], where, sizeof(where));
		printf("  %s (id %s): ", rvg->name, rvg->vg_id);
		if (rvg->vg)
			printf("seqno %" PRIu64 " from %s%s\n", rvg->vg->seqno, where,
			       rvg->best_committed ? "" : " (no committed copy survives)");
		else
			printf("UNUSABLE\n");
		if (rvg->result < 0) {
			printf("    error: %s\n", rvg->error.message);
			problems++;
		}
		for (size_t i = 0; i < model->n_devices; i++) {
			const struct rescue_copy *c = committed_on(model, rvg, i);

			if (!c) {
				if (vg_on_device(model, rvg, i)) {
					printf("    %s: no committed copy (area header damaged?), ring copies remain\n",
					       model->devices[i].path);
					problems++;
				}
				continue;
			}
			printf("    %s: seqno %" PRIu64 "%s\n", model->devices[i].path, c->seqno,
			       c->seqno < best_seqno ? " STALE"
			       : (rvg->best >= 0 && c->seqno == best_seqno &&
				  c->checksum != model->copies[rvg->best].checksum)
				       ? " DISAGREES (same seqno, different text)"
				       : "");
			if (c->seqno < best_seqno || (rvg->best >= 0 && c->checksum != model->copies[rvg->best].checksum))
				problems++;
		}
		for (size_t p = 0; rvg->vg && p < rvg->vg->n_pvs; p++) {
			const struct vg_pv *pv = rvg->vg->pvs[p];
			const struct rescue_home *h = &rvg->homes[p];

			printf("    PV %s %s: ", pv->key, pv->id);
			if (!h->found)
				printf("MISSING");
			else if (h->mirror >= 0)
				printf("on mirror %s (%zu fresh leg(s) to read from%s)",
				       rescue_mirror_name(&model->mirrors[h->mirror]), h->stale_only ? 0 : h->n_readers,
				       h->stale_only ? ", only STALE legs" : "");
			else
				printf("on %s", model->devices[h->device].path);
			if (h->problem && h->problem != -ENOENT)
				printf(" — %s", h->problem_error.message);
			if (h->problem || h->stale_only)
				problems++;
			printf("\n");
		}
		if (rvg->n_missing)
			printf("    %zu PV(s) missing: the VG is partial\n", rvg->n_missing);
	}
	return problems;
}

static size_t report_json(const struct rescue_model *model)
{
	struct json_object *root = json_object_new_object();
	struct json_object *jdevs = json_object_new_array(), *jmirrors = json_object_new_array();
	struct json_object *jvgs = json_object_new_array();
	size_t problems = 0;

	for (size_t i = 0; i < model->n_devices; i++) {
		const struct rescue_device *d = &model->devices[i];
		struct json_object *o = json_object_new_object(), *areas = json_object_new_array();

		json_object_object_add(o, "path", json_object_new_string(d->path));
		json_object_object_add(o, "open_error", d->dev ? NULL : json_object_new_string(d->open_error.message));
		json_object_object_add(o, "size", d->dev ? rescue_json_u64(d->dev->size_bytes) : NULL);
		json_object_object_add(o, "md_superblock",
				       d->has_md ? json_object_new_string(md_super_version_name(d->sb.version)) : NULL);
		json_object_object_add(o, "mirror",
				       d->mirror >= 0 ? json_object_new_string(rescue_mirror_name(&model->mirrors[d->mirror]))
						      : NULL);
		json_object_object_add(o, "pv_id", d->has_label ? json_object_new_string(d->label.pv_uuid) : NULL);
		json_object_object_add(o, "label_error",
				       d->label_error.code ? json_object_new_string(d->label_error.message) : NULL);
		for (size_t a = 0; d->has_label && a < d->label.n_metadata_areas && a < 2; a++) {
			struct json_object *ja = json_object_new_object();

			json_object_object_add(ja, "start", rescue_json_u64(d->label.metadata_areas[a].offset_bytes));
			json_object_object_add(ja, "header_valid", json_object_new_boolean(d->mda_valid[a]));
			json_object_object_add(ja, "error", d->mda_valid[a] ? NULL
							    : json_object_new_string(d->mda_error[a].message));
			json_object_array_add(areas, ja);
			if (!d->mda_valid[a])
				problems++;
		}
		json_object_object_add(o, "metadata_areas", areas);
		if (!d->dev || d->label_error.code)
			problems++;
		json_object_array_add(jdevs, o);
	}
	for (size_t m = 0; m < model->n_mirrors; m++) {
		const struct rescue_mirror *mi = &model->mirrors[m];
		const struct md_mirror_view *v = mi->view;
		struct json_object *o = json_object_new_object(), *legs = json_object_new_array();

		json_object_object_add(o, "name", json_object_new_string(rescue_mirror_name(mi)));
		json_object_object_add(o, "uuid", json_object_new_string(mi->uuid_text));
		json_object_object_add(o, "raid_disks", rescue_json_u64(v->raid_disks));
		json_object_object_add(o, "size_sectors", rescue_json_u64(v->size_sectors));
		json_object_object_add(o, "events", rescue_json_u64(v->events));
		json_object_object_add(o, "clean", json_object_new_boolean(v->clean));
		json_object_object_add(o, "degraded", rescue_json_u64(v->degraded));
		for (size_t l = 0; l < v->n_legs; l++) {
			const struct md_mirror_leg *leg = &v->legs[l];
			struct json_object *jl = json_object_new_object();

			json_object_object_add(jl, "device", mi->leg_device[l] >= 0
				? json_object_new_string(model->devices[mi->leg_device[l]].path) : NULL);
			json_object_object_add(jl, "slot", leg->role < MD_ROLE_MAX ? json_object_new_int(leg->role) : NULL);
			json_object_object_add(jl, "state", json_object_new_string(md_leg_state_name(leg->state)));
			json_object_object_add(jl, "events", rescue_json_u64(leg->events));
			json_object_object_add(jl, "present", json_object_new_boolean(leg->present));
			json_object_object_add(jl, "fresh", json_object_new_boolean(leg->fresh));
			json_object_object_add(jl, "rejected", json_object_new_boolean(leg->rejected));
			json_object_array_add(legs, jl);
		}
		json_object_object_add(o, "legs", legs);
		if (v->degraded)
			problems++;
		json_object_array_add(jmirrors, o);
	}
	for (size_t v = 0; v < model->n_vgs; v++) {
		const struct rescue_vg *rvg = &model->vgs[v];
		struct json_object *o = json_object_new_object(), *copies = json_object_new_array();
		struct json_object *pvs = json_object_new_array();
		const struct rescue_copy *best = rvg->best >= 0 ? &model->copies[rvg->best] : NULL;
		char where[512] = "";

		if (best)
			rescue_copy_where(model, best, where, sizeof(where));
		json_object_object_add(o, "name", json_object_new_string(rvg->name));
		json_object_object_add(o, "id", json_object_new_string(rvg->vg_id));
		json_object_object_add(o, "seqno", rvg->vg ? rescue_json_u64(rvg->vg->seqno) : NULL);
		json_object_object_add(o, "source", best ? json_object_new_string(where) : NULL);
		json_object_object_add(o, "committed", json_object_new_boolean(rvg->best_committed));
		json_object_object_add(o, "error", rvg->result < 0 ? json_object_new_string(rvg->error.message) : NULL);
		if (rvg->result < 0)
			problems++;
		for (size_t i = 0; i < model->n_devices; i++) {
			const struct rescue_copy *c = committed_on(model, rvg, i);
			struct json_object *jc;

			if (!c)
				continue;
			jc = json_object_new_object();
			json_object_object_add(jc, "device", json_object_new_string(model->devices[i].path));
			json_object_object_add(jc, "seqno", rescue_json_u64(c->seqno));
			json_object_object_add(jc, "stale", json_object_new_boolean(best && c->seqno < best->seqno));
			json_object_object_add(jc, "disagrees", json_object_new_boolean(
				best && c->seqno == best->seqno && c->checksum != best->checksum));
			json_object_array_add(copies, jc);
			if (best && c->checksum != best->checksum)
				problems++;
		}
		json_object_object_add(o, "copies", copies);
		for (size_t p = 0; rvg->vg && p < rvg->vg->n_pvs; p++) {
			const struct rescue_home *h = &rvg->homes[p];
			struct json_object *jp = json_object_new_object(), *readers = json_object_new_array();

			json_object_object_add(jp, "key", json_object_new_string(rvg->vg->pvs[p]->key));
			json_object_object_add(jp, "id", json_object_new_string(rvg->vg->pvs[p]->id));
			json_object_object_add(jp, "missing", json_object_new_boolean(!h->found));
			json_object_object_add(jp, "mirror", h->mirror >= 0
				? json_object_new_string(rescue_mirror_name(&model->mirrors[h->mirror])) : NULL);
			json_object_object_add(jp, "device", h->device >= 0
				? json_object_new_string(model->devices[h->device].path) : NULL);
			for (size_t r = 0; r < h->n_readers; r++)
				json_object_array_add(readers, json_object_new_string(model->devices[h->readers[r]].path));
			json_object_object_add(jp, "read_from", readers);
			json_object_object_add(jp, "stale_only", json_object_new_boolean(h->stale_only));
			json_object_object_add(jp, "error", h->problem ? json_object_new_string(h->problem_error.message) : NULL);
			if (h->problem || h->stale_only)
				problems++;
			json_object_array_add(pvs, jp);
		}
		json_object_object_add(o, "pvs", pvs);
		json_object_object_add(o, "missing_pvs", rescue_json_u64(rvg->n_missing));
		json_object_array_add(jvgs, o);
	}
	json_object_object_add(root, "devices", jdevs);
	json_object_object_add(root, "mirrors", jmirrors);
	json_object_object_add(root, "vgs", jvgs);
	rescue_print_json(root);
	return problems;
}

static void usage(FILE *out)
{
	fputs("Usage: vgrescue scan [--json] DEVICE...\n"
	      "Show every md superblock and PV label on DEVICE... (block devices or image files),\n"
	      "grouped into mirrors and volume groups, with stale, disagreeing and missing parts. Read-only.\n",
	      out);
}

int rescue_scan(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	_cleanup_(rescue_model_freep) struct rescue_model *model = NULL;
	struct vg_error err = { 0 };
	bool json = false;
	size_t problems;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", options, NULL)) >= 0) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return RESCUE_EXIT_OK;
		default:
			usage(stderr);
			return RESCUE_EXIT_USAGE;
		}
	}
	if (rescue_model_build(argv + optind, (size_t)(argc - optind), NULL, &model, &err) < 0) {
		rescue_error("%s", err.message);
		return RESCUE_EXIT_PROBLEM;
	}
	problems = json ? report_json(model) : report_text(model);
	for (size_t v = 0; v < model->n_vgs; v++)
		if (model->vgs[v].result < 0)
			rescue_error("%s", model->vgs[v].error.message);
	if (model->n_vgs == 0 && model->n_mirrors == 0) {
		rescue_error("no md superblock and no VG metadata on the devices given");
		return RESCUE_EXIT_PROBLEM;
	}
	return problems ? RESCUE_EXIT_PROBLEM : RESCUE_EXIT_OK;
}
