/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `vgrescue layout [--json] [--vg NAME] [--backup-dir DIR] DEV...`: the
 * volume groups rebuilt from whatever survived — the best copy among
 * committed slots, older copies still in the ring buffers (found by search,
 * so a destroyed area header does not lose them) and backup/archive files —
 * printed as LVM text in the backup form, which `vgcfgrestore -f` accepts.
 * Comment lines in front say where the text came from and what else was
 * seen, so the operator can judge it before using it.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "rescue-model.h"
#include "rescue.h"
#include "vg-text.h"

/* Comment lines: the source, the other versions seen, and where each PV lives now. */
static void print_notes(const struct rescue_model *model, const struct rescue_vg *rvg)
{
	const struct rescue_copy *best = &model->copies[rvg->best];
	char where[512];

	rescue_copy_where(model, best, where, sizeof(where));
	printf("# vgrescue layout: VG %s seqno %" PRIu64 " from %s%s\n", rvg->name, best->seqno, where,
	       rvg->best_committed ? "" : " (no committed copy survives: this is the newest copy found)");
	for (size_t c = 0; c < model->n_copies; c++) {
		const struct rescue_copy *copy = &model->copies[c];

		if (copy == best || !streq(copy->vg_id, rvg->vg_id))
			continue;
		rescue_copy_where(model, copy, where, sizeof(where));
		printf("#   also seen: seqno %" PRIu64 " at %s%s\n", copy->seqno, where,
		       copy->seqno == best->seqno && copy->checksum != best->checksum && copy->source == RESCUE_COPY_MDA
			       ? " (same seqno, DIFFERENT text)"
			       : "");
	}
	for (size_t p = 0; p < rvg->vg->n_pvs; p++) {
		const struct rescue_home *h = &rvg->homes[p];

		if (!h->found)
			printf("#   %s: MISSING (on none of the devices given)\n", rvg->vg->pvs[p]->key);
		else if (h->mirror >= 0)
			printf("#   %s: mirror %s, read from %s%s\n", rvg->vg->pvs[p]->key,
			       rescue_mirror_name(&model->mirrors[h->mirror]), model->devices[h->readers[0]].path,
			       h->stale_only ? " (STALE leg: no fresh leg given)" : "");
		else
			printf("#   %s: %s\n", rvg->vg->pvs[p]->key, model->devices[h->device].path);
		if (h->problem && h->problem != -ENOENT)
			printf("#   %s: %s\n", rvg->vg->pvs[p]->key, h->problem_error.message);
	}
}

static int print_vg(const struct rescue_model *model, const struct rescue_vg *rvg, bool json)
{
	const struct vg *vg = rvg->vg;
	struct vg_text_header header = {
		.generator = PACKAGE_NAME " " PACKAGE_VERSION " (vgrescue layout)",
		.description = "Rebuilt by vgrescue layout from the surviving metadata.",
		.creation_host = vg->creation_host ? vg->creation_host : "",
		.uname_line = "",
		.creation_time = vg->creation_time ? vg->creation_time : (int64_t)time(NULL),
	};
	struct strbuf sb;
	int r;

	strbuf_init(&sb);
	r = vg_text_render_backup(vg, &header, &sb);
	if (r == 0)
		r = strbuf_status(&sb);
	if (r == 0) {
		if (json) {
			struct json_object *o = json_object_new_object();
			char where[512];

			rescue_copy_where(model, &model->copies[rvg->best], where, sizeof(where));
			json_object_object_add(o, "name", json_object_new_string(vg->name));
			json_object_object_add(o, "id", json_object_new_string(vg->id));
			json_object_object_add(o, "seqno", rescue_json_u64(vg->seqno));
			json_object_object_add(o, "source", json_object_new_string(where));
			json_object_object_add(o, "committed", json_object_new_boolean(rvg->best_committed));
			json_object_object_add(o, "missing_pvs", rescue_json_u64(rvg->n_missing));
			json_object_object_add(o, "error", rvg->result < 0 ? json_object_new_string(rvg->error.message)
									 : NULL);
			json_object_object_add(o, "text", json_object_new_string_len(sb.data, (int)sb.len));
			rescue_print_json(o);
		} else {
			print_notes(model, rvg);
			fwrite(sb.data, 1, sb.len, stdout);
		}
	}
	strbuf_done(&sb);
	return r;
}

static void usage(FILE *out)
{
	fputs("Usage: vgrescue layout [--json] [--vg NAME] [--backup-dir DIR] DEVICE...\n"
	      "Rebuild the volume groups from the metadata left on DEVICE... (and backup/archive files\n"
	      "in DIR) and print them as LVM text that vgcfgrestore -f accepts. Read-only.\n",
	      out);
}

int rescue_layout(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "vg", required_argument, NULL, 'v' },
		{ "backup-dir", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	_cleanup_(rescue_model_freep) struct rescue_model *model = NULL;
	struct rescue_model_options opts = { 0 };
	struct vg_error err = { 0 };
	const char *only = NULL;
	bool json = false;
	size_t shown = 0;
	int c, status = RESCUE_EXIT_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", options, NULL)) >= 0) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'v':
			only = optarg;
			break;
		case 'b':
			opts.backup_dir = optarg;
			break;
		case 'h':
			usage(stdout);
			return RESCUE_EXIT_OK;
		default:
			usage(stderr);
			return RESCUE_EXIT_USAGE;
		}
	}
	if (rescue_model_build(argv + optind, (size_t)(argc - optind), &opts, &model, &err) < 0) {
		rescue_error("%s", err.message);
		return RESCUE_EXIT_PROBLEM;
	}
	for (size_t v = 0; v < model->n_vgs; v++) {
		const struct rescue_vg *rvg = &model->vgs[v];

		if (only && !streq(rvg->name, only))
			continue;
		shown++;
		if (rvg->result < 0) {
			rescue_error("%s", rvg->error.message);
			status = RESCUE_EXIT_PROBLEM;
		}
		if (!rvg->vg)
			continue;
		if (!json && shown > 1)
			printf("\n");
		if (print_vg(model, rvg, json) < 0) {
			rescue_error("VG %s: cannot render the text", rvg->name);
			status = RESCUE_EXIT_PROBLEM;
		}
	}
	if (shown == 0) {
		rescue_error(only ? "no metadata of VG %s on the devices given" : "no VG metadata on the devices given%s",
			     only ? only : "");
		status = RESCUE_EXIT_PROBLEM;
	}
	return status;
}
