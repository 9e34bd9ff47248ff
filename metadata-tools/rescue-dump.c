/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `vgrescue dump DEV...`: the volume groups found on the given devices,
 * re-emitted from our model as LVM2 backup-form text (which vgcfgrestore -f
 * accepts), or as JSON objects for scripts. Devices carrying an md
 * superblock are read too — a single mirror leg is exactly what a rescue
 * hands us — and are marked as legs.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "md-super.h"
#include "rescue.h"
#include "vg-scan.h"
#include "vg-text.h"

static const char *const vg_status_words[] = { "RESIZEABLE", "READ", "WRITE", "EXPORTED", "CLUSTERED", "SHARED", "PVMOVE" };
static const char *const pv_status_words[] = { "ALLOCATABLE", "EXPORTED", "MISSING" };
static const char *const lv_status_words[] = { "READ", "WRITE", "VISIBLE", "FIXED_MINOR", "LOCKED", "PVMOVE",
					       "NOTSYNCED", "REBUILD", "WRITEMOSTLY" };

static struct json_object *json_status(uint32_t status, const char *const *words, size_t n_words)
{
	struct json_object *array = json_object_new_array();

	for (size_t i = 0; i < n_words; i++)
		if (status & (1u << i))
			json_object_array_add(array, json_object_new_string(words[i]));
	return array;
}

static struct json_object *json_words(const struct vg_words *words)
{
	struct json_object *array = json_object_new_array();

	for (size_t i = 0; i < words->n; i++)
		json_object_array_add(array, json_object_new_string(words->words[i]));
	return array;
}

static struct json_object *json_segment(const struct vg *vg, const struct vg_segment *seg)
{
	struct json_object *obj = json_object_new_object();

	json_object_object_add(obj, "start_extent", rescue_json_u64(seg->start_extent));
	json_object_object_add(obj, "extent_count", rescue_json_u64(seg->extent_count));
	json_object_object_add(obj, "type", json_object_new_string(seg->type));
	if (seg->is_striped) {
		struct json_object *stripes = json_object_new_array();

		json_object_object_add(obj, "stripe_count", rescue_json_u64(seg->stripe_count));
		json_object_object_add(obj, "stripe_size_sectors", rescue_json_u64(seg->stripe_size_sectors));
		for (uint32_t s = 0; s < seg->stripe_count; s++) {
			struct json_object *stripe = json_object_new_object();
			const struct vg_pv *pv = vg->pvs[seg->stripes[s].pv_index];

			json_object_object_add(stripe, "pv", json_object_new_string(pv->key));
			json_object_object_add(stripe, "pv_id", json_object_new_string(pv->id));
			json_object_object_add(stripe, "first_pe", rescue_json_u64(seg->stripes[s].first_pe));
			json_object_array_add(stripes, stripe);
		}
		json_object_object_add(obj, "stripes", stripes);
	}
	return obj;
}

static struct json_object *json_vg(const struct vg_scan_result *result, const struct vg_scan_vg *svg)
{
	const struct vg *vg = svg->vg;
	struct json_object *obj = json_object_new_object();
	struct json_object *pvs = json_object_new_array(), *lvs = json_object_new_array();
	struct json_object *stale = json_object_new_array();

	json_object_object_add(obj, "name", json_object_new_string(vg->name));
	json_object_object_add(obj, "id", json_object_new_string(vg->id));
	json_object_object_add(obj, "seqno", rescue_json_u64(vg->seqno));
	json_object_object_add(obj, "extent_size_sectors", rescue_json_u64(vg->extent_size_sectors));
	json_object_object_add(obj, "status", json_status(vg->status, vg_status_words, ARRAY_SIZE(vg_status_words)));
	json_object_object_add(obj, "flags", json_words(&vg->flags));
	json_object_object_add(obj, "tags", json_words(&vg->tags));
	json_object_object_add(obj, "source", json_object_new_string(result->pvs[svg->source_scan_index].dev->path));
	json_object_object_add(obj, "inconsistent", json_object_new_boolean(svg->inconsistent));
	json_object_object_add(obj, "missing_pvs", rescue_json_u64(svg->n_missing));
	for (size_t i = 0; i < svg->n_stale; i++)
		json_object_array_add(stale, json_object_new_string(result->pvs[svg->stale[i]].dev->path));
	json_object_object_add(obj, "stale_devices", stale);

	for (size_t p = 0; p < vg->n_pvs; p++) {
		const struct vg_pv *pv = vg->pvs[p];
		struct json_object *jpv = json_object_new_object();
		ssize_t scan = svg->members[p].scan_index;

		json_object_object_add(jpv, "key", json_object_new_string(pv->key));
		json_object_object_add(jpv, "id", json_object_new_string(pv->id));
		json_object_object_add(jpv, "device",
				       scan >= 0 ? json_object_new_string(result->pvs[scan].dev->path) : NULL);
		json_object_object_add(jpv, "status", json_status(pv->status, pv_status_words, ARRAY_SIZE(pv_status_words)));
		json_object_object_add(jpv, "tags", json_words(&pv->tags));
		if (pv->has_dev_size)
			json_object_object_add(jpv, "dev_size_sectors", rescue_json_u64(pv->dev_size_sectors));
		json_object_object_add(jpv, "pe_start_sectors", rescue_json_u64(pv->pe_start_sectors));
		json_object_object_add(jpv, "pe_count", rescue_json_u64(pv->pe_count));
		json_object_array_add(pvs, jpv);
	}
	json_object_object_add(obj, "pvs", pvs);

	for (size_t l = 0; l < vg->n_lvs; l++) {
		const struct vg_lv *lv = vg->lvs[l];
		struct json_object *jlv = json_object_new_object(), *segs = json_object_new_array();
		uint64_t extents = vg_lv_extents(lv);

		json_object_object_add(jlv, "name", json_object_new_string(lv->name));
		json_object_object_add(jlv, "id", json_object_new_string(lv->id));
		json_object_object_add(jlv, "status", json_status(lv->status, lv_status_words, ARRAY_SIZE(lv_status_words)));
		json_object_object_add(jlv, "flags", json_words(&lv->flags));
		json_object_object_add(jlv, "tags", json_words(&lv->tags));
		json_object_object_add(jlv, "extents", rescue_json_u64(extents));
		json_object_object_add(jlv, "size_bytes", rescue_json_u64(extents * vg->extent_size_sectors * 512));
		for (size_t s = 0; s < lv->n_segments; s++)
			json_object_array_add(segs, json_segment(vg, lv->segments[s]));
		json_object_object_add(jlv, "segments", segs);
		json_object_array_add(lvs, jlv);
	}
	json_object_object_add(obj, "lvs", lvs);
	return obj;
}

static int print_text(const struct vg_scan_result *result, const struct vg_scan_vg *svg)
{
	const struct vg *vg = svg->vg;
	struct vg_text_header header = {
		.generator = PACKAGE_NAME " " PACKAGE_VERSION " (vgrescue dump)",
		.description = "Dumped by vgrescue from the devices' metadata areas.",
		.creation_host = vg->creation_host ? vg->creation_host : "",
		.uname_line = "",
		.creation_time = (int64_t)time(NULL),
	};
	struct strbuf sb;
	int r;

	printf("# VG %s seqno %" PRIu64 " read from %s", vg->name, vg->seqno,
	       result->pvs[svg->source_scan_index].dev->path);
	if (svg->n_missing)
		printf("; %zu PV(s) missing", svg->n_missing);
	for (size_t i = 0; i < svg->n_stale; i++)
		printf("; %s holds an older copy", result->pvs[svg->stale[i]].dev->path);
	if (svg->inconsistent)
		printf("; copies with the same seqno differ");
	printf("\n");

	strbuf_init(&sb);
	r = vg_text_render_backup(vg, &header, &sb);
	if (r == 0)
		r = strbuf_status(&sb);
	if (r == 0)
		fwrite(sb.data, 1, sb.len, stdout);
	strbuf_done(&sb);
	return r;
}

/* Scan @devs and print what was found; returns the exit status. */
static int dump_devices(struct blockdev **devs, size_t n_devs, bool json, const char *only_vg)
{
	_cleanup_(vg_scan_result_freep) struct vg_scan_result *result = NULL;
	struct vg_error err = { 0 };
	size_t shown = 0;
	int r, status = RESCUE_EXIT_OK;

	r = vg_scan_every_copy(devs, n_devs, &result, &err);
	if (r < 0) {
		rescue_error("%s", err.message);
		status = RESCUE_EXIT_PROBLEM;
		return RESCUE_EXIT_PROBLEM;
	}

	for (size_t i = 0; i < result->n_pvs; i++) {
		const struct pv_scan *pv = &result->pvs[i];

		if (pv->label_error.code)
			rescue_error("%s", pv->label_error.message);
		for (size_t m = 0; m < pv->n_mdas; m++)
			if (pv->mdas[m].error.code)
				rescue_error("%s", pv->mdas[m].error.message);
	}

	if (json) {
		struct json_object *root = json_object_new_object();
		struct json_object *vgs = json_object_new_array(), *jdevs = json_object_new_array();

		for (size_t v = 0; v < result->n_vgs; v++) {
			if (only_vg && !streq(result->vgs[v].vg->name, only_vg))
				continue;
			json_object_array_add(vgs, json_vg(result, &result->vgs[v]));
			shown++;
		}
		for (size_t i = 0; i < result->n_pvs; i++) {
			const struct pv_scan *pv = &result->pvs[i];
			struct json_object *jdev = json_object_new_object();
			struct md_super sb;
			struct vg_error md_err = { 0 };

			json_object_object_add(jdev, "path", json_object_new_string(pv->dev->path));
			json_object_object_add(jdev, "pv_id", pv->has_label ? json_object_new_string(pv->label.pv_uuid) : NULL);
			json_object_object_add(jdev, "vg",
					       pv->vg_index >= 0 ? json_object_new_string(result->vgs[pv->vg_index].vg->name)
								 : NULL);
			json_object_object_add(jdev, "md_leg",
					       json_object_new_boolean(md_super_probe(pv->dev, &sb, &md_err) == 0));
			json_object_array_add(jdevs, jdev);
		}
		json_object_object_add(root, "vgs", vgs);
		json_object_object_add(root, "devices", jdevs);
		rescue_print_json(root);
	} else {
		for (size_t v = 0; v < result->n_vgs; v++) {
			if (only_vg && !streq(result->vgs[v].vg->name, only_vg))
				continue;
			if (shown++)
				printf("\n");
			r = print_text(result, &result->vgs[v]);
			if (r < 0) {
				rescue_error("VG %s: cannot render: %s", result->vgs[v].vg->name, strerror(-r));
				status = RESCUE_EXIT_PROBLEM;
			}
		}
	}
	if (shown == 0) {
		if (only_vg)
			rescue_error("no VG named %s on the given devices", only_vg);
		else
			rescue_error("no volume group metadata found on the given devices");
		status = RESCUE_EXIT_PROBLEM;
	}
	return status;
}

static void usage(FILE *out)
{
	fputs("Usage: vgrescue dump [--json] [--vg NAME] DEVICE...\n"
	      "Show the volume groups whose metadata is on DEVICE... (block devices or image files),\n"
	      "as LVM2 text (accepted by vgcfgrestore -f) or as JSON. Read-only.\n",
	      out);
}

int rescue_dump(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "vg", required_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct blockdev **devs = NULL;
	const char *only_vg = NULL;
	bool json = false;
	size_t n_devs = 0;
	struct vg_error err = { 0 };
	int c, r, status = RESCUE_EXIT_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", options, NULL)) >= 0) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'v':
			only_vg = optarg;
			break;
		case 'h':
			usage(stdout);
			return RESCUE_EXIT_OK;
		default:
			usage(stderr);
			return RESCUE_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		rescue_error("dump: name the devices or image files to read");
		return RESCUE_EXIT_USAGE;
	}

	devs = calloc((size_t)(argc - optind), sizeof(*devs));
	if (!devs)
		return RESCUE_EXIT_PROBLEM;
	for (int i = optind; i < argc; i++) {
		struct blockdev *dev = NULL;

		r = blockdev_open(argv[i], BLOCKDEV_READ_ONLY, &dev, &err);
		if (r < 0) {
			rescue_error("%s", err.message);
			status = RESCUE_EXIT_PROBLEM;
			continue;
		}
		devs[n_devs++] = dev;
	}

	r = dump_devices(devs, n_devs, json, only_vg);
	if (r != RESCUE_EXIT_OK)
		status = r;
	for (size_t i = 0; i < n_devs; i++)
		blockdev_close(devs[i]);
	free(devs);
	return status;
}
