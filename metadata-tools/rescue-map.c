/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `vgrescue map VG/LV DEV...` and `vgrescue recipe VG/LV DEV...`.
 *
 * map: where every segment of an LV lies on the surviving devices — for a
 * PV on a mirror, the same offset on any fresh leg (md 1.0 keeps data from
 * sector 0) — as a dmsetup table and as losetup commands, and for a
 * single-segment linear LV one mount line that makes it readable with
 * nothing but util-linux. Offsets: pe_start*512 + first_pe*extent_size*512.
 *
 * recipe: the same rescue done with stock lvm2 only, with the settings the
 * md 1.0 surprises of FORMATS.md 7 (1-3, 13) require, as a shell script
 * that runs as printed (image files are attached to loop devices first);
 * with --json, the commands as an array and the lvm2 steps with their notes.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rescue-model.h"
#include "rescue.h"

static const char *reader_path(const struct rescue_model *model, const struct rescue_home *h)
{
	return model->devices[h->readers[0]].path;
}

static void print_text(const struct rescue_model *model, const struct rescue_vg *rvg, const struct vg_lv *lv)
{
	const struct vg *vg = rvg->vg;
	uint64_t ext = vg->extent_size_sectors;
	bool single_linear = lv->n_segments == 1 && lv->segments[0]->stripe_count == 1;

	printf("# %s/%s: %" PRIu64 " sectors in %zu segment(s), VG seqno %" PRIu64 "\n", vg->name, lv->name,
	       vg_lv_extents(lv) * ext, lv->n_segments, vg->seqno);
	printf("# dmsetup table (image files must first be attached with losetup --read-only --find --show):\n");
	for (size_t s = 0; s < lv->n_segments; s++) {
		const struct vg_segment *seg = lv->segments[s];

		printf("%" PRIu64 " %" PRIu64, seg->start_extent * ext, seg->extent_count * ext);
		if (seg->stripe_count == 1)
			printf(" linear");
		else
			printf(" striped %" PRIu32 " %" PRIu64, seg->stripe_count, seg->stripe_size_sectors);
		for (uint32_t k = 0; k < seg->stripe_count; k++) {
			const struct vg_pv *pv = vg->pvs[seg->stripes[k].pv_index];
			uint64_t off = 0;

			rescue_pe_offset(vg, pv, seg->stripes[k].first_pe, &off, NULL); /* checked before */
			printf(" %s %" PRIu64, reader_path(model, &rvg->homes[seg->stripes[k].pv_index]), off / 512);
		}
		printf("\n");
	}
	printf("# segment by segment:\n");
	for (size_t s = 0; s < lv->n_segments; s++) {
		const struct vg_segment *seg = lv->segments[s];
		uint64_t area_bytes = seg->extent_count / seg->stripe_count * ext * 512;

		for (uint32_t k = 0; k < seg->stripe_count; k++) {
			const struct rescue_home *h = &rvg->homes[seg->stripes[k].pv_index];
			const struct vg_pv *pv = vg->pvs[seg->stripes[k].pv_index];
			uint64_t off = 0;

			rescue_pe_offset(vg, pv, seg->stripes[k].first_pe, &off, NULL);
			printf("#   segment %zu", s + 1);
			if (seg->stripe_count > 1)
				printf(" stripe %" PRIu32 " (chunks of %" PRIu64 " bytes, round-robin)", k,
				       seg->stripe_size_sectors * 512);
			printf(": LV bytes %" PRIu64 "+%" PRIu64 " on %s (%s extents %" PRIu64 "-%" PRIu64 ")",
			       seg->start_extent * ext * 512, seg->extent_count * ext * 512, pv->key, pv->id,
			       seg->stripes[k].first_pe,
			       seg->stripes[k].first_pe + seg->extent_count / seg->stripe_count - 1);
			if (h->mirror >= 0)
				printf(", mirror %s", rescue_mirror_name(&model->mirrors[h->mirror]));
			printf("\n");
			for (size_t r = 0; r < h->n_readers; r++)
				printf("losetup --read-only --find --show --offset %" PRIu64 " --sizelimit %" PRIu64
				       " %s%s\n",
				       off, area_bytes, model->devices[h->readers[r]].path,
				       r ? "   # the same bytes on another fresh leg" : "");
			if (h->stale_only)
				printf("#   WARNING: only a STALE leg of this mirror was given; its data may be old\n");
		}
	}
	if (single_linear) {
		const struct vg_segment *seg = lv->segments[0];
		const struct vg_pv *pv = vg->pvs[seg->stripes[0].pv_index];
		uint64_t off = 0;

		rescue_pe_offset(vg, pv, seg->stripes[0].first_pe, &off, NULL);
		printf("# single linear segment: mount it read-only in one line:\n");
		printf("mount -o ro,loop,offset=%" PRIu64 ",sizelimit=%" PRIu64 " %s /mnt\n", off,
		       seg->extent_count * ext * 512, reader_path(model, &rvg->homes[seg->stripes[0].pv_index]));
	} else {
		printf("# several segments or stripes: use the dmsetup table above, or vgrescue extract\n");
	}
}

static void print_json(const struct rescue_model *model, const struct rescue_vg *rvg, const struct vg_lv *lv)
{
	const struct vg *vg = rvg->vg;
	uint64_t ext = vg->extent_size_sectors;
	struct json_object *o = json_object_new_object(), *segs = json_object_new_array();

	json_object_object_add(o, "vg", json_object_new_string(vg->name));
	json_object_object_add(o, "lv", json_object_new_string(lv->name));
	json_object_object_add(o, "seqno", rescue_json_u64(vg->seqno));
	json_object_object_add(o, "size_bytes", rescue_json_u64(vg_lv_extents(lv) * ext * 512));
	for (size_t s = 0; s < lv->n_segments; s++) {
		const struct vg_segment *seg = lv->segments[s];
		struct json_object *js = json_object_new_object(), *stripes = json_object_new_array();

		json_object_object_add(js, "start_sector", rescue_json_u64(seg->start_extent * ext));
		json_object_object_add(js, "length_sectors", rescue_json_u64(seg->extent_count * ext));
		json_object_object_add(js, "stripe_count", rescue_json_u64(seg->stripe_count));
		json_object_object_add(js, "stripe_size_sectors", rescue_json_u64(seg->stripe_size_sectors));
		for (uint32_t k = 0; k < seg->stripe_count; k++) {
			const struct rescue_home *h = &rvg->homes[seg->stripes[k].pv_index];
			const struct vg_pv *pv = vg->pvs[seg->stripes[k].pv_index];
			struct json_object *jk = json_object_new_object(), *devs = json_object_new_array();
			uint64_t off = 0;

			rescue_pe_offset(vg, pv, seg->stripes[k].first_pe, &off, NULL);
			json_object_object_add(jk, "pv", json_object_new_string(pv->key));
			json_object_object_add(jk, "pv_id", json_object_new_string(pv->id));
			json_object_object_add(jk, "first_pe", rescue_json_u64(seg->stripes[k].first_pe));
			json_object_object_add(jk, "offset_bytes", rescue_json_u64(off));
			json_object_object_add(jk, "length_bytes",
					       rescue_json_u64(seg->extent_count / seg->stripe_count * ext * 512));
			json_object_object_add(jk, "mirror", h->mirror >= 0
				? json_object_new_string(rescue_mirror_name(&model->mirrors[h->mirror])) : NULL);
			for (size_t r = 0; r < h->n_readers; r++)
				json_object_array_add(devs, json_object_new_string(model->devices[h->readers[r]].path));
			json_object_object_add(jk, "devices", devs);
			json_object_object_add(jk, "stale_only", json_object_new_boolean(h->stale_only));
			json_object_array_add(stripes, jk);
		}
		json_object_object_add(js, "stripes", stripes);
		json_object_array_add(segs, js);
	}
	json_object_object_add(o, "segments", segs);
	rescue_print_json(o);
}

/* The shared front of map and recipe: options, model, the LV. */
static int open_lv(int argc, char **argv, const char *verb, bool *ret_json,
		   struct rescue_model **ret_model, struct rescue_vg **ret_rvg, struct vg_lv **ret_lv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	_cleanup_(rescue_model_freep) struct rescue_model *model = NULL;
	struct vg_error err = { 0 };
	int c;

	*ret_json = false;
	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", options, NULL)) >= 0) {
		switch (c) {
		case 'j':
			*ret_json = true;
			break;
		case 'h':
			printf("Usage: vgrescue %s [--json] VG/LV DEVICE...\n", verb);
			return RESCUE_EXIT_OK;
		default:
			return RESCUE_EXIT_USAGE;
		}
	}
	if (argc - optind < 1) {
		rescue_error("%s: usage: vgrescue %s [--json] VG/LV [DEVICE...]", verb, verb);
		return RESCUE_EXIT_USAGE;
	}
	if (rescue_model_build(argv + optind + 1, (size_t)(argc - optind - 1), NULL, &model, &err) < 0 ||
	    rescue_model_lv(model, argv[optind], ret_rvg, ret_lv, &err) < 0) {
		rescue_error("%s", err.message);
		return RESCUE_EXIT_PROBLEM;
	}
	*ret_model = TAKE_PTR(model);
	return -1;
}

int rescue_map(int argc, char **argv)
{
	_cleanup_(rescue_model_freep) struct rescue_model *model = NULL;
	struct rescue_vg *rvg;
	struct vg_lv *lv;
	bool json;
	int r;

	r = open_lv(argc, argv, "map", &json, &model, &rvg, &lv);
	if (r >= 0)
		return r;
	if (json)
		print_json(model, rvg, lv);
	else
		print_text(model, rvg, lv);
	return RESCUE_EXIT_OK;
}

/*
 * The recipe as steps, each a title, commands and notes: printed as a
 * commented shell script, or with --json as {"steps": [...]} and the
 * commands also as one flat array that runs in order.
 */
struct recipe {
	struct json_object *steps;    /* NULL: print text */
	struct json_object *commands; /* every command of every step, in order */
	struct json_object *step;     /* the step being filled */
};

static void recipe_done(struct recipe *rc)
{
	json_object_put(rc->steps);
	json_object_put(rc->commands);
}

static void recipe_step(struct recipe *rc, const char *title)
{
	if (!rc->steps) {
		printf("# %s\n", title);
		return;
	}
	rc->step = json_object_new_object();
	json_object_object_add(rc->step, "step", json_object_new_string(title));
	json_object_object_add(rc->step, "commands", json_object_new_array());
	json_object_object_add(rc->step, "notes", json_object_new_array());
	json_object_array_add(rc->steps, rc->step);
}

static void recipe_add(struct recipe *rc, bool command, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void recipe_add(struct recipe *rc, bool command, const char *fmt, ...)
{
	_cleanup_free_ char *line = NULL;
	va_list ap;

	va_start(ap, fmt);
	line = rescue_vformat(fmt, ap);
	va_end(ap);
	if (!line)
		return;
	if (!rc->steps) {
		printf("%s%s\n", command ? "" : "#    ", line);
		return;
	}
	json_object_array_add(json_object_object_get(rc->step, command ? "commands" : "notes"),
			      json_object_new_string(line));
	if (command)
		json_object_array_add(rc->commands, json_object_new_string(line));
}

int rescue_recipe(int argc, char **argv)
{
	_cleanup_(rescue_model_freep) struct rescue_model *model = NULL;
	_cleanup_(json_object_putp) struct json_object *jdevices = NULL;
	_cleanup_free_ char *devs = NULL;
	_cleanup_(recipe_done) struct recipe rc = { 0 };
	struct rescue_vg *rvg;
	struct vg_lv *lv;
	bool json, any_mirror = false;
	size_t n_loops = 0;
	int r;

	r = open_lv(argc, argv, "recipe", &json, &model, &rvg, &lv);
	if (r >= 0)
		return r;
	const struct vg *vg = rvg->vg;

	if (json) {
		rc.steps = json_object_new_array();
		rc.commands = json_object_new_array();
		jdevices = json_object_new_array();
	} else {
		printf("# Rescue %s/%s with stock lvm2 only (no md, no vgtool).\n", vg->name, lv->name);
	}
	recipe_step(&rc, "1. Expose exactly ONE leg of each mirror: with both legs visible lvm2 sees the PV twice "
			 "and drops both as md components. Image files are attached read-only to loop devices.");
	for (size_t p = 0; p < vg->n_pvs; p++) {
		const struct rescue_home *h = &rvg->homes[p];
		const struct rescue_device *d = h->found ? &model->devices[h->readers[0]] : NULL;
		_cleanup_free_ char *use = NULL;

		if (jdevices) {
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "pv", json_object_new_string(vg->pvs[p]->key));
			json_object_object_add(o, "pv_id", json_object_new_string(vg->pvs[p]->id));
			json_object_object_add(o, "device", d ? json_object_new_string(d->path) : NULL);
			json_object_object_add(o, "mirror", h->mirror >= 0
				? json_object_new_string(rescue_mirror_name(&model->mirrors[h->mirror])) : NULL);
			json_object_object_add(o, "missing", json_object_new_boolean(!d));
			json_object_array_add(jdevices, o);
		}
		if (!d) {
			recipe_add(&rc, false, "%s (%s): MISSING: activation needs --activationmode partial",
				   vg->pvs[p]->key, vg->pvs[p]->id);
			continue;
		}
		any_mirror |= h->mirror >= 0;
		if (h->mirror >= 0)
			recipe_add(&rc, false, "%s: %s (one leg of mirror %s)", vg->pvs[p]->key, d->path,
				   rescue_mirror_name(&model->mirrors[h->mirror]));
		else
			recipe_add(&rc, false, "%s: %s", vg->pvs[p]->key, d->path);
		if (!d->dev->is_block_device) {
			recipe_add(&rc, true, "LOOP%zu=$(losetup --read-only --find --show '%s')", ++n_loops, d->path);
			if (asprintf(&use, "$LOOP%zu", n_loops) < 0)
				return RESCUE_EXIT_PROBLEM;
		} else {
			use = strdup(d->path);
		}
		if (!use)
			return RESCUE_EXIT_PROBLEM;
		char *joined = NULL;
		if (asprintf(&joined, "%s%s%s", devs ? devs : "", devs ? "," : "", use) < 0)
			return RESCUE_EXIT_PROBLEM;
		free(devs);
		devs = joined;
	}
	recipe_add(&rc, true, "DEVS=\"%s\"", devs ? devs : "");
	recipe_step(&rc, "2. Tell lvm2 to look only there, to ignore the devices file, and not to hide md legs "
			 "(a leg's size differs from the PV's dev_size, so md component detection drops it).");
	/* "--devicesfile=" (empty: no devices file) survives the unquoted $OPTS; '' would not. */
	recipe_add(&rc, true, "OPTS=\"--devicesfile= --devices $DEVS --config devices/md_component_detection=0\"");
	recipe_add(&rc, true, "lvm pvs $OPTS");
	recipe_add(&rc, true, "lvm vgs $OPTS %s", vg->name);
	recipe_step(&rc, "3. Activate READ-ONLY and mount read-only.");
	recipe_add(&rc, true, "lvm lvchange -ay --readonly $OPTS %s/%s", vg->name, lv->name);
	recipe_add(&rc, false, "or the whole VG: lvm vgchange -ay --readonly $OPTS %s", vg->name);
	recipe_add(&rc, true, "mount -o ro /dev/%s/%s /mnt", vg->name, lv->name);
	if (any_mirror)
		recipe_add(&rc, false,
			   "WARNING: writing to one leg outside md desynchronises the mirror: md's event count and "
			   "bitmap are not updated, so a later assemble may take both legs as in sync and serve old "
			   "data. Keep everything read-only (also no lvm metadata changes, which would bump seqno "
			   "on this leg only); if you must write, fail and re-add the other leg afterwards so md "
			   "does a full resync.");
	recipe_step(&rc, "4. When done.");
	recipe_add(&rc, true, "umount /mnt");
	recipe_add(&rc, true, "lvm vgchange -an $OPTS %s", vg->name);
	for (size_t k = 1; k <= n_loops; k++)
		recipe_add(&rc, true, "losetup -d $LOOP%zu", k);

	if (json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "vg", json_object_new_string(vg->name));
		json_object_object_add(o, "lv", json_object_new_string(lv->name));
		json_object_object_add(o, "seqno", rescue_json_u64(vg->seqno));
		json_object_object_add(o, "devices", TAKE_PTR(jdevices));
		json_object_object_add(o, "commands", TAKE_PTR(rc.commands));
		json_object_object_add(o, "lvm2_steps", TAKE_PTR(rc.steps));
		rescue_print_json(o);
	}
	return RESCUE_EXIT_OK;
}
