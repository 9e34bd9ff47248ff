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
 * every PV — for a PV on a mirror, to every fresh leg given alike, so the
 * legs stay identical. Refused when the devices do not match the text's PVs
 * (ids, sizes), and without --write, where it prints what would be written.
 * With --json the report says which version was chosen (seqno, where it was
 * found), the devices written or that would be written, and every reason
 * for a refusal.
 *
 * A mirror of which only some members were given (the rescue case: one
 * surviving leg) must not keep the others looking in sync: their data
 * areas still hold the old metadata, and md would assemble them beside the
 * written legs and serve either version. Once the commit succeeded, the
 * written legs' md superblocks mark every member left behind faulty, with
 * events beyond mdadm's margin (md_mirror_outdate_absent), so md and
 * vgtoold take the written legs as the mirror and rebuild the others from
 * them in full. The report names, per mirror, the legs written and those
 * marked for a full rebuild.
 */
#include <getopt.h>
#include <stdarg.h>
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

/* The version restore starts from, and where it was found. */
struct restore_choice {
	struct vg *vg;
	uint64_t seqno;
	const char *source;  /* "metadata-area", "backup", "archive" or "file" */
	char where[512];
};

static const char *copy_source_name(enum rescue_copy_source source)
{
	switch (source) {
	case RESCUE_COPY_MDA:
		return "metadata-area";
	case RESCUE_COPY_BACKUP:
		return "backup";
	case RESCUE_COPY_ARCHIVE:
		return "archive";
	}
	return "unknown";
}

/* A metadata file named on the command line: read, parse, validate, and check it is VG @name's. */
static int read_version_file(const char *name, const char *from, struct vg **ret_vg, struct vg_error *err)
{
	_cleanup_(fclosep) FILE *f = fopen(from, "re");
	_cleanup_free_ char *text = NULL;
	_cleanup_(vg_freep) struct vg *vg = NULL;
	size_t len;
	int r;

	if (!f)
		return vg_error_set(err, -errno, "%s: %m", from);
	text = malloc(RESCUE_MAX_FILE_TEXT_BYTES + 1);
	if (!text)
		return vg_error_set(err, -ENOMEM, "out of memory");
	len = fread(text, 1, RESCUE_MAX_FILE_TEXT_BYTES + 1, f);
	if (len > RESCUE_MAX_FILE_TEXT_BYTES)
		return vg_error_set(err, -EFBIG, "%s: larger than %u bytes: not a metadata file", from,
				    RESCUE_MAX_FILE_TEXT_BYTES);
	text[len] = '\0';
	r = vg_text_parse(text, len, &vg, err);
	if (r == 0)
		r = rescue_vg_validate(vg, err);
	if (r < 0)
		return vg_error_prefix(err, r, "%s", from);
	if (!streq(vg->name, name))
		return vg_error_set(err, -EINVAL, "%s describes VG %s, not %s", from, vg->name, name);
	*ret_vg = TAKE_PTR(vg);
	return 0;
}

/*
 * The version to restore: a copy with that seqno (a device copy before a
 * backup or archive file), or a metadata file. Fills *ret with a clone the
 * caller owns.
 */
static int choose_version(struct rescue_model *model, const char *name, const char *from,
			  struct restore_choice *ret, struct vg_error *err)
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
		ret->vg = vg_clone(found->vg);
		if (!ret->vg)
			return vg_error_set(err, -ENOMEM, "out of memory");
		ret->seqno = found->seqno;
		ret->source = copy_source_name(found->source);
		rescue_copy_where(model, found, ret->where, sizeof(ret->where));
		return 0;
	}
	int r = read_version_file(name, from, &ret->vg, err);
	if (r < 0)
		return r;
	ret->seqno = ret->vg->seqno;
	ret->source = "file";
	snprintf(ret->where, sizeof(ret->where), "file %s", from);
	return 0;
}

/* A mirror restore writes to: the legs written, and the members left behind. */
struct restore_mirror {
	size_t mirror; /* index into model->mirrors */
	struct blockdev *written[ARRAY_SIZE(((struct rescue_home *)NULL)->readers)];
	size_t n_written;
	/* The mirror as its written legs alone see it: what md_mirror_outdate_absent changes. */
	struct md_mirror_view *written_view;
	size_t n_left_behind; /* members marked (or to be marked) for a full rebuild */
	bool marked;          /* the written legs now record it */
	uint64_t events;      /* the written legs' events afterwards */
};

/* What restore did or would do, for the text and --json reports. */
struct restore_report {
	struct json_object *refusals; /* strings; NULL without --json */
	size_t n_refusals;
	struct restore_choice choice;
	struct rescue_model *model;
	struct rescue_home *homes;
	struct vg_commit_target *targets;
	size_t n_targets;
	struct restore_mirror *mirrors;
	size_t n_mirrors;
	struct strbuf text; /* the text written, or that would be */
	bool written;
};

static void restore_report_done(struct restore_report *report)
{
	json_object_put(report->refusals);
	vg_free(report->choice.vg);
	rescue_model_free(report->model);
	free(report->homes);
	free(report->targets);
	for (size_t i = 0; i < report->n_mirrors; i++)
		md_mirror_view_free(report->mirrors[i].written_view);
	free(report->mirrors);
	strbuf_done(&report->text);
}

static void refuse(struct restore_report *report, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void refuse(struct restore_report *report, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = rescue_vformat(fmt, ap);
	va_end(ap);
	report->n_refusals++;
	if (!msg) {
		rescue_error("refusing (out of memory describing why)");
		return;
	}
	rescue_error("%s", msg);
	if (report->refusals)
		json_object_array_add(report->refusals, json_object_new_string(msg));
}

/* The path of a member left behind, legs[k] of rm->written_view, when it was given (a stale leg); else NULL. */
static const char *left_behind_path(const struct restore_report *report, const struct restore_mirror *rm, size_t k)
{
	const struct md_mirror_leg *leg = &rm->written_view->legs[k];
	const struct rescue_mirror *m = &report->model->mirrors[rm->mirror];

	for (size_t l = 0; l < m->view->n_legs; l++)
		if (m->view->legs[l].dev_number == leg->dev_number && m->leg_device[l] >= 0)
			return report->model->devices[m->leg_device[l]].path;
	return NULL;
}

/*
 * Each mirror the commit writes to: the legs written (the home's readers)
 * and, from the view of those legs alone, the members left behind. Read
 * before anything is written, so a mirror that cannot be read this way is
 * a refusal.
 */
static void plan_mirrors(const struct vg *vg, struct restore_report *report)
{
	struct vg_error err = { 0 };

	report->mirrors = calloc(vg->n_pvs + 1, sizeof(*report->mirrors));
	if (!report->mirrors) {
		refuse(report, "out of memory");
		return;
	}
	for (size_t p = 0; p < vg->n_pvs; p++) {
		const struct rescue_home *h = &report->homes[p];
		const struct rescue_mirror *m;
		struct restore_mirror *rm;
		bool seen = false;

		if (h->mirror < 0)
			continue;
		for (size_t i = 0; i < report->n_mirrors; i++)
			seen |= report->mirrors[i].mirror == (size_t)h->mirror;
		if (seen)
			continue;
		m = &report->model->mirrors[h->mirror];
		rm = &report->mirrors[report->n_mirrors++];
		rm->mirror = (size_t)h->mirror;
		for (size_t k = 0; k < h->n_readers; k++)
			rm->written[rm->n_written++] = report->model->devices[h->readers[k]].dev;
		if (md_mirror_view_read(rm->written, rm->n_written, m->view->uuid, &rm->written_view, &err) < 0) {
			refuse(report, "refusing: mirror %s read from the legs to write: %s", rescue_mirror_name(m),
			       err.message);
			return;
		}
		for (size_t k = 0; k < rm->written_view->n_legs; k++)
			if (md_mirror_leg_left_behind(rm->written_view, k))
				rm->n_left_behind++;
		rm->events = rm->written_view->events;
	}
}

/*
 * After the commit: on each mirror with members left behind, the written
 * legs record them faulty (md_mirror_outdate_absent). A failure here is
 * reported with what it means: the legs now differ and md does not know.
 */
static void mark_mirrors(const char *name, struct restore_report *report)
{
	for (size_t i = 0; i < report->n_mirrors; i++) {
		struct restore_mirror *rm = &report->mirrors[i];
		const char *mirror = rescue_mirror_name(&report->model->mirrors[rm->mirror]);
		struct vg_error err = { 0 };
		int r;

		if (rm->n_left_behind == 0)
			continue;
		r = md_mirror_outdate_absent(rm->written_view, NULL, &err);
		if (r < 0) {
			refuse(report,
			       "VG %s was written, but marking the legs of mirror %s that were not written as out of "
			       "date failed: %s; its legs now differ, and md does not know which one is current",
			       name, mirror, err.message);
			continue;
		}
		rm->marked = r > 0;
		if (rm->marked)
			rm->events = rm->written_view->events + MD_MIRROR_OUTDATE_EVENTS;
	}
}

static struct json_object *mirrors_json(const struct restore_report *report)
{
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; i < report->n_mirrors; i++) {
		const struct restore_mirror *rm = &report->mirrors[i];
		const struct rescue_mirror *m = &report->model->mirrors[rm->mirror];
		struct json_object *o = json_object_new_object(), *written = json_object_new_array(),
				   *rebuild = json_object_new_array();

		json_object_object_add(o, "mirror", json_object_new_string(rescue_mirror_name(m)));
		json_object_object_add(o, "uuid", json_object_new_string(m->uuid_text));
		for (size_t k = 0; k < rm->n_written; k++)
			json_object_array_add(written, json_object_new_string(rm->written[k]->path));
		json_object_object_add(o, "written_legs", written);
		for (size_t k = 0; rm->written_view && k < rm->written_view->n_legs; k++) {
			const struct md_mirror_leg *leg = &rm->written_view->legs[k];
			const char *path = left_behind_path(report, rm, k);
			struct json_object *l;

			if (!md_mirror_leg_left_behind(rm->written_view, k))
				continue;
			l = json_object_new_object();
			json_object_object_add(l, "device", path ? json_object_new_string(path) : NULL);
			json_object_object_add(l, "dev_number", json_object_new_int64(leg->dev_number));
			json_object_object_add(l, "slot", json_object_new_int64(leg->role));
			json_object_array_add(rebuild, l);
		}
		json_object_object_add(o, "rebuild_legs", rebuild);
		json_object_object_add(o, "marked", json_object_new_boolean(rm->marked));
		json_object_object_add(o, "events", rescue_json_u64(rm->events));
		json_object_array_add(arr, o);
	}
	return arr;
}

/* One line per mirror: the legs written and those marked (or to be marked) for a full rebuild. */
static void print_mirrors(const struct restore_report *report, const char *prefix)
{
	for (size_t i = 0; i < report->n_mirrors; i++) {
		const struct restore_mirror *rm = &report->mirrors[i];
		const char *verb = report->written ? "" : "would be ";

		printf("%smirror %s: legs %swritten:", prefix, rescue_mirror_name(&report->model->mirrors[rm->mirror]),
		       verb);
		for (size_t k = 0; k < rm->n_written; k++)
			printf(" %s", rm->written[k]->path);
		if (rm->n_left_behind == 0) {
			printf("; every in-sync leg, nothing to rebuild\n");
			continue;
		}
		if (!report->written)
			printf("; would be marked faulty for a full rebuild from them:");
		else if (rm->marked)
			printf("; marked faulty for a full rebuild from them:");
		else
			printf("; NOT marked (see the error above), out of date:");
		for (size_t k = 0; k < rm->written_view->n_legs; k++) {
			const struct md_mirror_leg *leg = &rm->written_view->legs[k];
			const char *path = left_behind_path(report, rm, k);

			if (!md_mirror_leg_left_behind(rm->written_view, k))
				continue;
			if (path)
				printf(" %s", path);
			else
				printf(" device %" PRIu32 " (slot %" PRIu16 ", not given)", leg->dev_number, leg->role);
		}
		if (rm->marked)
			printf("; the written legs' md events are now %" PRIu64, rm->events);
		printf("\n");
	}
}

static struct json_object *restore_json(const char *name, bool write, const struct restore_report *report)
{
	struct json_object *o = json_object_new_object(), *devs = json_object_new_array();
	const struct restore_choice *choice = &report->choice;

	json_object_object_add(o, "vg", json_object_new_string(name));
	if (choice->vg) {
		struct json_object *v = json_object_new_object();

		json_object_object_add(v, "seqno", rescue_json_u64(choice->seqno));
		json_object_object_add(v, "source", json_object_new_string(choice->source));
		json_object_object_add(v, "where", json_object_new_string(choice->where));
		json_object_object_add(o, "version", v);
		json_object_object_add(o, "new_seqno", rescue_json_u64(choice->vg->seqno));
	} else {
		json_object_object_add(o, "version", NULL);
		json_object_object_add(o, "new_seqno", NULL);
	}
	for (size_t t = 0; t < report->n_targets; t++)
		json_object_array_add(devs, json_object_new_string(report->targets[t].dev->path));
	json_object_object_add(o, "devices", devs);
	json_object_object_add(o, "mirrors", mirrors_json(report));
	json_object_object_add(o, "write", json_object_new_boolean(write));
	json_object_object_add(o, "written", json_object_new_boolean(report->written));
	json_object_object_add(o, "refusals", json_object_get(report->refusals));
	json_object_object_add(o, "text", report->text.len
		? json_object_new_string_len(report->text.data, (int)report->text.len) : NULL);
	return o;
}

/*
 * Choose the version, check the devices are its VG's, and commit it (with
 * @write) or render it. Every refusal is recorded in @report; returns
 * without writing at the first check that fails.
 */
static void restore_vg(const char *name, const char *from, char *const *paths, size_t n_paths,
		       const struct rescue_model_options *opts, bool write, struct restore_report *report)
{
	struct vg_error err = { 0 };
	struct rescue_vg *current;
	size_t n_missing = 0;
	struct utsname uts;
	char uname_line[512] = "";
	struct vg *vg;
	int r;

	if (rescue_model_build(paths, n_paths, opts, &report->model, &err) < 0) {
		refuse(report, "%s", err.message);
		return;
	}
	for (size_t i = 0; i < report->model->n_devices; i++)
		if (!report->model->devices[i].dev)
			refuse(report, "%s", report->model->devices[i].open_error.message);
	if (report->n_refusals)
		return;
	if (choose_version(report->model, name, from, &report->choice, &err) < 0) {
		refuse(report, "%s", err.message);
		return;
	}
	vg = report->choice.vg;

	/* The devices must be this VG's: same VG id as on disk, every PV present and large enough. */
	current = rescue_model_find_vg(report->model, name);
	if (current) {
		char id[LVM_UUID_LEN + 1] = "";

		for (size_t i = 0, n = 0; vg->id[i] && n < LVM_UUID_LEN; i++)
			if (vg->id[i] != '-')
				id[n++] = vg->id[i];
		if (!streq(id, current->vg_id)) {
			refuse(report, "the devices hold VG %s with id %s, the text has id %s: refusing", name,
			       current->vg_id, vg->id);
			return;
		}
		vg->seqno = MAX(current->max_seqno, vg->seqno) + 1;
	} else {
		vg->seqno++;
	}
	r = rescue_model_place(report->model, NULL, vg, &report->homes, &n_missing, &err);
	if (r < 0 && !report->homes) {
		refuse(report, "refusing: %s", err.message);
		return;
	}
	for (size_t p = 0; p < vg->n_pvs; p++) {
		const struct vg_pv *pv = vg->pvs[p];
		const struct rescue_home *h = &report->homes[p];

		if (h->problem)
			refuse(report, "refusing: %s", h->problem_error.message);
		else if (pv->has_dev_size && pv->dev_size_sectors > h->size_bytes / 512)
			refuse(report,
			       "refusing: PV %s (%s) has dev_size %" PRIu64 " sectors in the text, but %s holds only %" PRIu64,
			       pv->key, pv->id, pv->dev_size_sectors, report->model->devices[h->readers[0]].path,
			       h->size_bytes / 512);
		else if (h->stale_only)
			refuse(report, "refusing: PV %s is on mirror %s, of which only stale legs were given", pv->key,
			       rescue_mirror_name(&report->model->mirrors[h->mirror]));
	}
	if (report->n_refusals)
		return;

	report->targets = calloc(vg->n_pvs * ARRAY_SIZE(report->homes[0].readers) + 1, sizeof(*report->targets));
	if (!report->targets) {
		refuse(report, "out of memory");
		return;
	}
	for (size_t p = 0; p < vg->n_pvs; p++)
		for (size_t k = 0; k < report->homes[p].n_readers; k++) {
			const struct rescue_device *d = &report->model->devices[report->homes[p].readers[k]];

			report->targets[report->n_targets].dev = d->dev;
			report->targets[report->n_targets++].label = d->label;
		}
	plan_mirrors(vg, report);
	if (report->n_refusals)
		return;

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

	if (vg_text_render_raw(vg, &header, &report->text) < 0 || strbuf_status(&report->text) < 0) {
		refuse(report, "out of memory rendering VG %s", name);
		return;
	}
	if (!write) {
		rescue_error("nothing written: add --write to commit VG %s seqno %" PRIu64, name, vg->seqno);
		return;
	}
	r = vg_commit(vg, &header, report->targets, report->n_targets, &err);
	if (r < 0) {
		refuse(report, "restore of VG %s failed: %s", name, err.message);
		return;
	}
	report->written = true;
	mark_mirrors(name, report);
}

int rescue_restore(int argc, char **argv)
{
	static const struct option options[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "write", no_argument, NULL, 'w' },
		{ "backup-dir", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	_cleanup_(restore_report_done) struct restore_report report = { 0 };
	struct rescue_model_options opts = { 0 };
	const char *name, *from = NULL;
	bool write = false, json = false;
	int c;

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
		case 'j':
			json = true;
			break;
		case 'h':
			printf("Usage: vgrescue restore [--json] VG --from FILE|SEQNO [--write] [--backup-dir DIR] DEVICE...\n");
			return RESCUE_EXIT_OK;
		default:
			return RESCUE_EXIT_USAGE;
		}
	}
	if (!from || argc - optind < 1) {
		rescue_error("restore: usage: vgrescue restore [--json] VG --from FILE|SEQNO [--write] [DEVICE...]");
		return RESCUE_EXIT_USAGE;
	}
	name = argv[optind];
	opts.writable = write;
	strbuf_init(&report.text);
	report.refusals = json ? json_object_new_array() : NULL;

	restore_vg(name, from, argv + optind + 1, (size_t)(argc - optind - 1), &opts, write, &report);

	if (json) {
		rescue_print_json(restore_json(name, write, &report));
	} else if (report.written) {
		printf("VG %s restored as seqno %" PRIu64 " on %zu device(s)\n", name, report.choice.vg->seqno,
		       report.n_targets);
		print_mirrors(&report, "");
	} else if (!report.n_refusals) {
		printf("# vgrescue restore (dry run): would commit VG %s seqno %" PRIu64 " (from seqno %" PRIu64
		       ", %s) to:\n", name, report.choice.vg->seqno, report.choice.seqno, report.choice.where);
		for (size_t t = 0; t < report.n_targets; t++)
			printf("#   %s\n", report.targets[t].dev->path);
		print_mirrors(&report, "# ");
		fwrite(report.text.data, 1, report.text.len, stdout);
	}
	return report.written && !report.n_refusals ? RESCUE_EXIT_OK : RESCUE_EXIT_PROBLEM;
}
