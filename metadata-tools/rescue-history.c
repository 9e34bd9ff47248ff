/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `vgrescue history VG DEV... [--backup-dir DIR]` and
 * `vgrescue restore VG --from FILE|SEQNO [--write] DEV...`.
 *
 * history: the older versions of a VG's metadata that survive in the ring
 * buffers (a commit does not erase the previous copies) and in backup and
 * archive files, with seqno, creation time and where each one is — the way
 * back after a wrong lv.remove.
 *
 * restore: write a chosen version back as the next seqno, as vgcfgrestore
 * does, through the same two-phase commit vgtoold uses (vg_commit), to
 * every PV — for a PV on a mirror, to every fresh leg alike, so the legs
 * stay identical. Refused when the devices do not match the text's PVs (ids,
 * sizes), and without --write, where it prints what would be written.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "rescue-model.h"
#include "rescue.h"
#include "vg-text.h"
#include "vg-write.h"

static int copy_cmp_desc(const void *a, const void *b, void *userdata)
{
	const struct rescue_model *model = userdata;
	const struct rescue_copy *x = &model->copies[*(const size_t *)a], *y = &model->copies[*(const size_t *)b];

	if (x->seqno != y->seqno)
		return x->seqno < y->seqno ? 1 : -1;
	return (int)x->source - (int)y->source;
}

static void format_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || !localtime_r(&tt, &tm) || strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, len, "unknown");
}

int rescue_history(int argc, char **argv)
{
	static const struct option options[] = {
		{ "backup-dir", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	_cleanup_(rescue_model_freep) struct rescue_model *model = NULL;
	_cleanup_free_ size_t *order = NULL;
	struct rescue_model_options opts = { 0 };
	struct json_object *jarr = NULL;
	struct vg_error err = { 0 };
	const char *name;
	bool json = false;
	size_t n = 0;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", options, NULL)) >= 0) {
		switch (c) {
		case 'b':
			opts.backup_dir = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			printf("Usage: vgrescue history [--json] [--backup-dir DIR] VG DEVICE...\n");
			return RESCUE_EXIT_OK;
		default:
			return RESCUE_EXIT_USAGE;
		}
	}
	if (argc - optind < 1) {
		rescue_error("history: usage: vgrescue history [--backup-dir DIR] VG [DEVICE...]");
		return RESCUE_EXIT_USAGE;
	}
	name = argv[optind];
	if (rescue_model_build(argv + optind + 1, (size_t)(argc - optind - 1), &opts, &model, &err) < 0) {
		rescue_error("%s", err.message);
		return RESCUE_EXIT_PROBLEM;
	}
	order = calloc(model->n_copies ? model->n_copies : 1, sizeof(*order));
	if (!order)
		return RESCUE_EXIT_PROBLEM;
	for (size_t i = 0; i < model->n_copies; i++)
		if (streq(model->copies[i].vg_name, name))
			order[n++] = i;
	if (n == 0) {
		rescue_error("no metadata of VG %s on the devices given%s", name,
			     opts.backup_dir ? " nor in the backup directory" : "");
		return RESCUE_EXIT_PROBLEM;
	}
	qsort_r(order, n, sizeof(*order), copy_cmp_desc, model);
	if (json)
		jarr = json_object_new_array();
	else
		printf("# versions of VG %s, newest first (restore one with: vgrescue restore %s --from SEQNO|FILE)\n",
		       name, name);
	for (size_t i = 0; i < n; i++) {
		struct rescue_copy *copy = &model->copies[order[i]];
		char where[512], when[64];

		rescue_copy_where(model, copy, where, sizeof(where));
		rescue_copy_parse(copy);
		format_time(copy->vg ? copy->vg->creation_time : 0, when, sizeof(when));
		if (json) {
			struct json_object *o = json_object_new_object(), *lvs = json_object_new_array();

			json_object_object_add(o, "seqno", rescue_json_u64(copy->seqno));
			json_object_object_add(o, "creation_time",
					       copy->vg ? json_object_new_int64(copy->vg->creation_time) : NULL);
			json_object_object_add(o, "where", json_object_new_string(where));
			json_object_object_add(o, "device", copy->device >= 0
				? json_object_new_string(model->devices[copy->device].path) : NULL);
			json_object_object_add(o, "file", copy->file ? json_object_new_string(copy->file) : NULL);
			json_object_object_add(o, "committed", json_object_new_boolean(copy->committed));
			json_object_object_add(o, "error", copy->parse_result < 0
				? json_object_new_string(copy->parse_error.message) : NULL);
			for (size_t l = 0; copy->vg && l < copy->vg->n_lvs; l++)
				json_object_array_add(lvs, json_object_new_string(copy->vg->lvs[l]->name));
			json_object_object_add(o, "lvs", lvs);
			json_object_array_add(jarr, o);
			continue;
		}
		printf("seqno %-6" PRIu64 " %s  %s", copy->seqno, when, where);
		if (copy->parse_result < 0)
			printf("  UNUSABLE: %s", copy->parse_error.message);
		else {
			printf("  LVs:");
			for (size_t l = 0; l < copy->vg->n_lvs; l++)
				printf(" %s", copy->vg->lvs[l]->name);
		}
		printf("\n");
	}
	if (json)
		rescue_print_json(jarr);
	return RESCUE_EXIT_OK;
}

/* The version to restore: a copy with that seqno (a device copy first), or a file. */
static int choose_version(struct rescue_model *model, const char *name, const char *from, struct vg **ret_vg,
			  struct vg_error *err)
{
	char *end;
	unsigned long long seqno;

	errno = 0;
	seqno = strtoull(from, &end, 10);
	if (from[0] >= '0' && from[0] <= '9' && *end == '\0' && errno == 0) {
		struct rescue_copy *found = NULL, *broken = NULL;

		for (size_t i = 0; i < model->n_copies; i++) {
			struct rescue_copy *copy = &model->copies[i];

			if (!streq(copy->vg_name, name) || copy->seqno != seqno)
				continue;
			if (rescue_copy_parse(copy) < 0) {
				broken = copy;
				continue;
			}
			if (!found || (copy->source == RESCUE_COPY_MDA && found->source != RESCUE_COPY_MDA))
				found = copy;
		}
		if (!found && broken) {
			char where[512];

			rescue_copy_where(model, broken, where, sizeof(where));
			return vg_error_set(err, broken->parse_result, "VG %s seqno %llu (%s): %s", name, seqno,
					    where, broken->parse_error.message);
		}
		if (!found)
			return vg_error_set(err, -ENOENT,
					    "no usable copy of VG %s with seqno %llu (see vgrescue history)", name,
					    seqno);
		*ret_vg = vg_clone(found->vg);
		return *ret_vg ? 0 : vg_error_set(err, -ENOMEM, "out of memory");
	}

	/* A file: read it like a backup file, parse and validate it. */
	FILE *f = fopen(from, "re");
	_cleanup_free_ char *text = NULL;
	size_t len;
	struct vg *vg = NULL;
	int r;

	if (!f)
		return vg_error_set(err, -errno, "%s: %m", from);
	text = malloc(RESCUE_MAX_FILE_TEXT_BYTES + 1);
	if (!text) {
		fclose(f);
		return vg_error_set(err, -ENOMEM, "out of memory");
	}
	len = fread(text, 1, RESCUE_MAX_FILE_TEXT_BYTES + 1, f);
	fclose(f);
	if (len > RESCUE_MAX_FILE_TEXT_BYTES)
		return vg_error_set(err, -EFBIG, "%s: larger than %u bytes: not a metadata file", from,
				    RESCUE_MAX_FILE_TEXT_BYTES);
	text[len] = '\0';
	r = vg_text_parse(text, len, &vg, err);
	if (r == 0)
		r = vg_validate(vg, err);
	if (r < 0) {
		vg_free(vg);
		return vg_error_prefix(err, r, "%s", from);
	}
	if (!streq(vg->name, name)) {
		vg_error_set(err, -EINVAL, "%s describes VG %s, not %s", from, vg->name, name);
		vg_free(vg);
		return -EINVAL;
	}
	*ret_vg = vg;
	return 0;
}

int rescue_restore(int argc, char **argv)
{
	static const struct option options[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "write", no_argument, NULL, 'w' },
		{ "backup-dir", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	_cleanup_(rescue_model_freep) struct rescue_model *model = NULL;
	_cleanup_(vg_freep) struct vg *vg = NULL;
	_cleanup_free_ struct rescue_home *homes = NULL;
	_cleanup_free_ struct vg_commit_target *targets = NULL;
	struct rescue_model_options opts = { 0 };
	struct vg_error err = { 0 };
	const char *name, *from = NULL;
	struct rescue_vg *current;
	size_t n_missing = 0, n_targets = 0;
	bool write = false;
	struct utsname uts;
	char uname_line[512] = "";
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
		switch (c) {
		case 'f':
			from = optarg;
			break;
		case 'w':
			write = true;
			break;
		case 'b':
			opts.backup_dir = optarg;
			break;
		case 'h':
			printf("Usage: vgrescue restore VG --from FILE|SEQNO [--write] [--backup-dir DIR] DEVICE...\n");
			return RESCUE_EXIT_OK;
		default:
			return RESCUE_EXIT_USAGE;
		}
	}
	if (!from || argc - optind < 1) {
		rescue_error("restore: usage: vgrescue restore VG --from FILE|SEQNO [--write] [DEVICE...]");
		return RESCUE_EXIT_USAGE;
	}
	name = argv[optind];
	opts.writable = write;
	if (rescue_model_build(argv + optind + 1, (size_t)(argc - optind - 1), &opts, &model, &err) < 0) {
		rescue_error("%s", err.message);
		return RESCUE_EXIT_PROBLEM;
	}
	for (size_t i = 0; i < model->n_devices; i++)
		if (!model->devices[i].dev) {
			rescue_error("%s", model->devices[i].open_error.message);
			return RESCUE_EXIT_PROBLEM;
		}
	if (choose_version(model, name, from, &vg, &err) < 0) {
		rescue_error("%s", err.message);
		return RESCUE_EXIT_PROBLEM;
	}

	/* The devices must be this VG's: same VG id as on disk, every PV present and large enough. */
	current = rescue_model_find_vg(model, name);
	if (current) {
		char id[LVM_UUID_LEN + 1] = "";

		for (size_t i = 0, n = 0; vg->id[i] && n < LVM_UUID_LEN; i++)
			if (vg->id[i] != '-')
				id[n++] = vg->id[i];
		if (!streq(id, current->vg_id)) {
			rescue_error("the devices hold VG %s with id %s, the text has id %s: refusing", name,
				     current->vg_id, vg->id);
			return RESCUE_EXIT_PROBLEM;
		}
		vg->seqno = MAX(current->max_seqno, vg->seqno) + 1;
	} else {
		vg->seqno++;
	}
	r = rescue_model_place(model, NULL, vg, &homes, &n_missing, &err);
	for (size_t p = 0; p < vg->n_pvs; p++) {
		const struct vg_pv *pv = vg->pvs[p];
		const struct rescue_home *h = &homes[p];

		if (h->problem) {
			rescue_error("refusing: %s", h->problem_error.message);
			r = -EINVAL;
		} else if (pv->has_dev_size && pv->dev_size_sectors > h->size_bytes / 512) {
			rescue_error("refusing: PV %s (%s) has dev_size %" PRIu64 " sectors in the text, but %s holds only %" PRIu64,
				     pv->key, pv->id, pv->dev_size_sectors,
				     model->devices[h->readers[0]].path, h->size_bytes / 512);
			r = -EINVAL;
		} else if (h->stale_only) {
			rescue_error("refusing: PV %s is on mirror %s, of which only stale legs were given", pv->key,
				     rescue_mirror_name(&model->mirrors[h->mirror]));
			r = -EINVAL;
		}
	}
	if (r < 0)
		return RESCUE_EXIT_PROBLEM;

	targets = calloc(vg->n_pvs * ARRAY_SIZE(homes[0].readers) + 1, sizeof(*targets));
	if (!targets)
		return RESCUE_EXIT_PROBLEM;
	for (size_t p = 0; p < vg->n_pvs; p++)
		for (size_t k = 0; k < homes[p].n_readers; k++) {
			const struct rescue_device *d = &model->devices[homes[p].readers[k]];

			targets[n_targets].dev = d->dev;
			targets[n_targets++].label = d->label;
		}

	if (uname(&uts) == 0)
		snprintf(uname_line, sizeof(uname_line), "%s %s %s %s %s", uts.sysname, uts.nodename, uts.release,
			 uts.version, uts.machine);
	struct vg_text_header header = {
		.generator = PACKAGE_NAME " " PACKAGE_VERSION " (vgrescue restore)",
		.description = "Write from vgrescue restore.",
		.creation_host = uts.nodename,
		.uname_line = uname_line,
		.creation_time = (int64_t)time(NULL),
	};

	if (!write) {
		struct strbuf sb;

		strbuf_init(&sb);
		if (vg_text_render_raw(vg, &header, &sb) == 0 && strbuf_status(&sb) == 0) {
			printf("# vgrescue restore (dry run): would commit VG %s seqno %" PRIu64 " to:\n", name,
			       vg->seqno);
			for (size_t t = 0; t < n_targets; t++)
				printf("#   %s\n", targets[t].dev->path);
			fwrite(sb.data, 1, sb.len, stdout);
		}
		strbuf_done(&sb);
		rescue_error("nothing written: add --write to commit VG %s seqno %" PRIu64, name, vg->seqno);
		return RESCUE_EXIT_PROBLEM;
	}
	r = vg_commit(vg, &header, targets, n_targets, &err);
	if (r < 0) {
		rescue_error("restore of VG %s failed: %s", name, err.message);
		return RESCUE_EXIT_PROBLEM;
	}
	printf("VG %s restored as seqno %" PRIu64 " on %zu device(s)\n", name, vg->seqno, n_targets);
	return RESCUE_EXIT_OK;
}
