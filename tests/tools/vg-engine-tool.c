/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Test front end of the LVM storage engine (lvm/vg-ops, vg-store, vg-scan,
 * vg-backup): runs one engine operation on image files or block devices, the
 * way an lvm2 command would, so shell tests can drive the engine and let
 * stock lvm2 judge what it wrote.
 *
 *   vg-engine-tool --state-dir DIR [--json] [--devices DEV[,DEV...]]... VERB ARGS...
 *
 * Every invocation scans its devices (vg_scan) to learn the state, so a
 * sequence of invocations behaves like a sequence of lvm commands. The
 * devices scanned are those of --devices, else the ones listed in
 * DIR/devices (pvcreate adds to it, like lvm2's devices file), plus any
 * device named on the command line. Backups go to DIR/backup and
 * DIR/archive.
 *
 * Verbs: pvcreate, vgcreate, vgextend, vgreduce, vgrename, vgsplit,
 * vgmerge, vgremove, lvcreate, lvresize, lvrename, lvremove, tag, scan
 * (read-only report), check (our own consistency verdict), and random-walk
 * (a seeded sequence of all of the above with a checker after each step).
 * Every failure prints the library's message and exits 1; usage errors exit 2.
 */
#include <assert.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>

#include "alloc.h"
#include "size.h"
#include "vg-backup.h"
#include "vg-ops.h"
#include "vg-scan.h"
#include "vg-store.h"

#define TOOL "vg-engine-tool"
#define MAX_ARGS 64

struct tool {
	const char *state_dir;
	bool json;
	bool quiet; /* inside the random walk: no per-verb success lines */

	char **paths; /* the scan set */
	size_t n_paths;
	bool explicit_devices;

	struct blockdev **devs;
	size_t n_devs;
	struct vg_scan_result *scan;

	struct utsname uts;
	char uname_line[512];
	char description[512];
	struct vg_text_header header;

	struct vg_error err;
	struct json_object *out;       /* what --json prints on success */
	struct json_object *committed; /* borrowed from out: the VGs committed */
};

/* ---- small helpers ---- */

static int usage_error(const char *fmt, ...) _printf_(1, 2);
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, TOOL ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return -EDOM; /* the caller's "usage" code: exit 2 */
}

static bool same_path(const char *a, const char *b)
{
	struct stat sa, sb;

	if (streq(a, b))
		return true;
	if (stat(a, &sa) < 0 || stat(b, &sb) < 0)
		return false;
	if (S_ISBLK(sa.st_mode) && S_ISBLK(sb.st_mode))
		return sa.st_rdev == sb.st_rdev;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int add_path(struct tool *t, const char *path)
{
	char **grown, *copy;

	for (size_t i = 0; i < t->n_paths; i++)
		if (streq(t->paths[i], path))
			return 0;
	copy = strdup(path);
	grown = realloc(t->paths, (t->n_paths + 1) * sizeof(*grown));
	if (!copy || !grown) {
		free(copy);
		if (grown)
			t->paths = grown;
		return vg_error_set(&t->err, -ENOMEM, "out of memory");
	}
	t->paths = grown;
	t->paths[t->n_paths++] = copy;
	return 0;
}

static int add_path_list(struct tool *t, const char *list)
{
	_cleanup_free_ char *copy = strdup(list);
	char *save = NULL;

	if (!copy)
		return vg_error_set(&t->err, -ENOMEM, "out of memory");
	for (char *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		int r = add_path(t, p);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The devices file: one path a line, as pvcreate leaves it. */
static int read_devices_file(struct tool *t)
{
	char path[4096], line[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/devices", t->state_dir);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : vg_error_set(&t->err, -errno, "cannot read %s: %m", path);
	while (fgets(line, sizeof(line), f)) {
		struct stat st;
		int r;

		line[strcspn(line, "\n")] = '\0';
		/* a device that went away is simply not scanned, as lvm2 does with its devices file */
		if (!line[0] || stat(line, &st) < 0)
			continue;
		r = add_path(t, line);
		if (r < 0) {
			fclose(f);
			return r;
		}
	}
	fclose(f);
	return 0;
}

static int remember_device(struct tool *t, const char *dev_path)
{
	char path[4096], line[4096];
	FILE *f;

	if (mkdir(t->state_dir, 0700) < 0 && errno != EEXIST)
		return vg_error_set(&t->err, -errno, "cannot create %s: %m", t->state_dir);
	snprintf(path, sizeof(path), "%s/devices", t->state_dir);
	f = fopen(path, "a+e");
	if (!f)
		return vg_error_set(&t->err, -errno, "cannot open %s: %m", path);
	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (streq(line, dev_path)) {
			fclose(f);
			return 0;
		}
	}
	fprintf(f, "%s\n", dev_path);
	if (fclose(f) != 0)
		return vg_error_set(&t->err, -errno, "cannot write %s: %m", path);
	return 0;
}

static void tool_close_devices(struct tool *t)
{
	t->scan = vg_scan_result_free(t->scan);
	for (size_t i = 0; i < t->n_devs; i++)
		blockdev_close(t->devs[i]);
	free(t->devs);
	t->devs = NULL;
	t->n_devs = 0;
}

static void tool_init(struct tool *t, const char *state_dir, bool json)
{
	memset(t, 0, sizeof(*t));
	t->state_dir = state_dir;
	t->json = json;
	uname(&t->uts);
	snprintf(t->uname_line, sizeof(t->uname_line), "%s %s %s %s %s", t->uts.sysname, t->uts.nodename,
		 t->uts.release, t->uts.version, t->uts.machine);
	t->header = (struct vg_text_header){
		.generator = PACKAGE_NAME " " PACKAGE_VERSION " (" TOOL ")",
		.description = t->description,
		.creation_host = t->uts.nodename,
		.uname_line = t->uname_line,
		.creation_time = (int64_t)time(NULL),
	};
}

static void tool_done(struct tool *t)
{
	tool_close_devices(t);
	for (size_t i = 0; i < t->n_paths; i++)
		free(t->paths[i]);
	free(t->paths);
	t->paths = NULL;
	t->n_paths = 0;
	if (t->out)
		json_object_put(t->out);
	t->out = NULL;
	t->committed = NULL;
}

/* Open the scan set and scan it. Devices named by the verb must be added before. */
static int tool_scan(struct tool *t)
{
	int r;

	tool_close_devices(t);
	if (!t->explicit_devices) {
		r = read_devices_file(t);
		if (r < 0)
			return r;
	}
	t->devs = calloc(t->n_paths + 1, sizeof(*t->devs));
	if (!t->devs)
		return vg_error_set(&t->err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < t->n_paths; i++) {
		r = blockdev_open(t->paths[i], 0, &t->devs[i], &t->err);
		if (r < 0)
			return r;
		t->n_devs++;
	}
	return vg_scan(t->devs, t->n_devs, &t->scan, &t->err);
}

static ssize_t scan_index_of(const struct tool *t, const char *path)
{
	for (size_t i = 0; i < t->scan->n_pvs; i++)
		if (streq(t->scan->pvs[i].dev->path, path))
			return (ssize_t)i;
	for (size_t i = 0; i < t->scan->n_pvs; i++)
		if (same_path(t->scan->pvs[i].dev->path, path))
			return (ssize_t)i;
	return -1;
}

static struct vg_scan_vg *find_vg(struct tool *t, const char *name)
{
	return vg_scan_find(t->scan, name);
}

static int vg_not_found(struct tool *t, const char *name)
{
	return vg_error_set(&t->err, -ENOENT, "VG %s was not found on the %zu scanned device(s)", name, t->n_devs);
}

/* A store for VG @name; for a change, refuse a partial VG before anything else. */
static int load_store(struct tool *t, const char *name, bool for_change, struct vg_store **ret_store)
{
	_cleanup_(vg_store_freep) struct vg_store *store = NULL;
	struct vg_scan_vg *svg = find_vg(t, name);
	int r;

	if (!svg)
		return vg_not_found(t, name);
	r = vg_store_from_scan(t->scan, svg, &store, &t->err);
	if (r < 0)
		return r;
	store->state_dir = t->state_dir;
	if (for_change) {
		r = vg_store_check_complete(store, &t->err);
		if (r < 0)
			return r;
	}
	*ret_store = TAKE_PTR(store);
	return 0;
}

/* The PV id of device @path within VG @vg, or an error naming what is wrong. */
static int pv_id_of_device(struct tool *t, const struct vg *vg, const char *path, const char **ret_id)
{
	ssize_t i = scan_index_of(t, path);

	if (i < 0 || !t->scan->pvs[i].has_label)
		return vg_error_set(&t->err, -ENOENT, "%s is not a PV", path);
	if (vg_find_pv_by_id(vg, t->scan->pvs[i].label.pv_uuid) < 0)
		return vg_error_set(&t->err, -ENOENT, "%s is not a PV of VG %s", path, vg->name);
	*ret_id = t->scan->pvs[i].label.pv_uuid;
	return 0;
}

/*
 * Device @path as a PV that may join a VG: labelled, in no VG, and holding no
 * metadata some VG could still claim. Fills @join and @target.
 */
static int joinable_pv(struct tool *t, const char *path, struct pv_join *join, struct vg_commit_target *target)
{
	ssize_t i = scan_index_of(t, path);
	const struct pv_scan *pv;

	if (i < 0)
		return vg_error_set(&t->err, -ENOENT, "%s was not scanned", path);
	pv = &t->scan->pvs[i];
	if (!pv->has_label) {
		if (pv->label_error.code)
			return vg_error_set(&t->err, -EINVAL, "%s has a damaged PV label (%s): pvcreate it first",
					    path, pv->label_error.message);
		return vg_error_set(&t->err, -EINVAL, "%s is not a PV: pvcreate it first", path);
	}
	if (pv->vg_index >= 0)
		return vg_error_set(&t->err, -EBUSY, "%s is already a PV of VG %s", path,
				    t->scan->vgs[pv->vg_index].vg->name);
	for (size_t m = 0; m < pv->n_mdas; m++)
		if (pv->mdas[m].has_text)
			return vg_error_set(&t->err, -EBUSY,
					    "%s holds metadata of VG %s (seqno %" PRIu64 ") that no VG on the "
					    "scanned devices lists it in: pvcreate it to reuse it",
					    path, pv->mdas[m].vg_name, pv->mdas[m].seqno);
	*join = (struct pv_join){
		.id = pv->label.pv_uuid,
		.device_hint = pv->dev->path,
		.dev_size_sectors = pv->dev->size_bytes / 512,
		.pe_start_sectors = pv_data_start_bytes(&pv->label) / 512,
		.data_end_sectors = pv_data_end_bytes(&pv->label, pv->dev->size_bytes) / 512,
	};
	target->dev = pv->dev;
	target->label = pv->label;
	return 0;
}

static void note_commit(struct tool *t, const struct vg *vg)
{
	struct json_object *entry = json_object_new_object();

	if (!t->out) {
		t->out = json_object_new_object();
		t->committed = json_object_new_array();
		json_object_object_add(t->out, "committed", t->committed);
	}
	json_object_object_add(entry, "vg", json_object_new_string(vg->name));
	json_object_object_add(entry, "seqno", json_object_new_uint64(vg->seqno));
	json_object_array_add(t->committed, entry);
	if (!t->json && !t->quiet)
		printf("VG %s committed at seqno %" PRIu64 "\n", vg->name, vg->seqno);
}

/* Commit @new_vg (always consumed) through @store. */
static int commit(struct tool *t, struct vg_store *store, struct vg *new_vg, const struct vg_commit_target *joining,
		  size_t n_joining)
{
	int r = vg_store_commit(store, new_vg, joining, n_joining, &t->header, &t->err);

	if (r < 0) {
		vg_free(new_vg);
		return r;
	}
	note_commit(t, store->vg);
	return 0;
}

/* Re-read the labels of devices whose PVs were just emptied, so they can join another VG. */
static int fresh_targets(struct tool *t, const char *const *paths, size_t n, struct vg_commit_target *targets)
{
	for (size_t k = 0; k < n; k++) {
		ssize_t i = scan_index_of(t, paths[k]);
		int r;

		if (i < 0)
			return vg_error_set(&t->err, -ENOENT, "%s was not scanned", paths[k]);
		targets[k].dev = t->scan->pvs[i].dev;
		r = pv_label_read(targets[k].dev, &targets[k].label, &t->err);
		if (r < 0)
			return vg_error_prefix(&t->err, r, "%s: ", paths[k]);
	}
	return 0;
}

static int parse_u64(const char *text, const char *what, uint64_t *ret)
{
	char *end = NULL;
	unsigned long long v;

	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || !end || *end || !*text || text[0] == '-')
		return usage_error("%s: \"%s\" is not a number", what, text);
	*ret = v;
	return 0;
}

/* ---- verbs ---- */

static int verb_pvcreate(struct tool *t, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "metadatasize", required_argument, NULL, 'm' },
		{ "pvmetadatacopies", required_argument, NULL, 'c' },
		{ "dataalignment", required_argument, NULL, 'a' },
		{}
	};
	struct pv_create_params params = { 0 };
	uint64_t v;
	int c, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
		switch (c) {
		case 'm':
			r = size_parse(optarg, 'b', &params.mda_size_bytes, &t->err);
			if (r < 0)
				return r;
			break;
		case 'c':
			r = parse_u64(optarg, "--pvmetadatacopies", &v);
			if (r < 0)
				return r;
			params.mda_copies = (unsigned)v;
			break;
		case 'a':
			r = size_parse(optarg, 'k', &params.data_alignment_bytes, &t->err);
			if (r < 0)
				return r;
			break;
		default:
			return -EDOM;
		}
	}
	if (optind >= argc)
		return usage_error("pvcreate: name the devices");
	for (int a = optind; a < argc; a++) {
		r = add_path(t, argv[a]);
		if (r < 0)
			return r;
	}
	r = tool_scan(t);
	if (r < 0)
		return r;
	/* refuse everything before writing anything */
	for (int a = optind; a < argc; a++) {
		ssize_t i = scan_index_of(t, argv[a]);

		if (i < 0)
			return vg_error_set(&t->err, -ENOENT, "%s was not scanned", argv[a]);
		if (t->scan->pvs[i].vg_index >= 0)
			return vg_error_set(&t->err, -EBUSY, "%s is a PV of VG %s: remove it from the VG first",
					    argv[a], t->scan->vgs[t->scan->pvs[i].vg_index].vg->name);
	}
	for (int a = optind; a < argc; a++) {
		struct pv_label label;
		struct json_object *entry;

		r = pv_create(t->scan->pvs[scan_index_of(t, argv[a])].dev, &params, &label, &t->err);
		if (r < 0)
			return r;
		r = remember_device(t, argv[a]);
		if (r < 0)
			return r;
		if (!t->out)
			t->out = json_object_new_array();
		entry = json_object_new_object();
		json_object_object_add(entry, "device", json_object_new_string(argv[a]));
		json_object_object_add(entry, "pv_id", json_object_new_string(label.pv_uuid));
		json_object_array_add(t->out, entry);
		if (!t->json && !t->quiet)
			printf("%s: PV %s created\n", argv[a], label.pv_uuid);
	}
	return 0;
}

static int parse_extent_size(struct tool *t, const char *text, uint64_t *ret_sectors)
{
	uint64_t bytes;
	int r = size_parse(text, 'm', &bytes, &t->err);

	if (r < 0)
		return vg_error_prefix(&t->err, r, "extent size: ");
	if (bytes % 512)
		return vg_error_set(&t->err, -EINVAL,
				    "extent size %s is not a whole number of 512-byte sectors", text);
	if (bytes == 0)
		return vg_error_set(&t->err, -EINVAL, "extent size %s: an extent cannot be empty", text);
	*ret_sectors = bytes / 512;
	return 0;
}

static int verb_vgcreate(struct tool *t, int argc, char **argv)
{
	static const struct option opts[] = { { "extent-size", required_argument, NULL, 's' }, {} };
	_cleanup_free_ struct pv_join *joins = NULL;
	_cleanup_free_ struct vg_commit_target *targets = NULL;
	_cleanup_(vg_store_freep) struct vg_store *store = NULL;
	const char *extent_text = NULL;
	struct vg *vg = NULL;
	uint64_t extent = 0;
	size_t n;
	int c, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
		if (c != 's')
			return -EDOM;
		extent_text = optarg;
	}
	if (argc - optind < 2)
		return usage_error("vgcreate VG [--extent-size S] DEV...");
	if (extent_text) {
		r = parse_extent_size(t, extent_text, &extent);
		if (r < 0)
			return r;
	}
	for (int a = optind + 1; a < argc; a++) {
		r = add_path(t, argv[a]);
		if (r < 0)
			return r;
	}
	r = tool_scan(t);
	if (r < 0)
		return r;
	if (find_vg(t, argv[optind]))
		return vg_error_set(&t->err, -EEXIST, "VG %s already exists", argv[optind]);
	n = (size_t)(argc - optind - 1);
	joins = calloc(n, sizeof(*joins));
	targets = calloc(n, sizeof(*targets));
	if (!joins || !targets)
		return vg_error_set(&t->err, -ENOMEM, "out of memory");
	for (size_t k = 0; k < n; k++) {
		r = joinable_pv(t, argv[optind + 1 + (int)k], &joins[k], &targets[k]);
		if (r < 0)
			return r;
	}
	r = vg_op_create(argv[optind], extent, joins, n, NULL, &vg, &t->err);
	if (r < 0)
		return r;
	r = vg_store_new(vg, &store, &t->err);
	if (r < 0) {
		vg_free(vg);
		return r;
	}
	store->state_dir = t->state_dir;
	return commit(t, store, vg, targets, n);
}

static int verb_vgextend(struct tool *t, int argc, char **argv)
{
	_cleanup_free_ struct pv_join *joins = NULL;
	_cleanup_free_ struct vg_commit_target *targets = NULL;
	_cleanup_(vg_store_freep) struct vg_store *store = NULL;
	struct vg *vg = NULL;
	size_t n;
	int r;

	if (argc < 3)
		return usage_error("vgextend VG DEV...");
	for (int a = 2; a < argc; a++) {
		r = add_path(t, argv[a]);
		if (r < 0)
			return r;
	}
	r = tool_scan(t);
	if (r < 0)
		return r;
	r = load_store(t, argv[1], true, &store);
	if (r < 0)
		return r;
	n = (size_t)argc - 2;
	joins = calloc(n, sizeof(*joins));
	targets = calloc(n, sizeof(*targets));
	if (!joins || !targets)
		return vg_error_set(&t->err, -ENOMEM, "out of memory");
	for (size_t k = 0; k < n; k++) {
		ssize_t i = scan_index_of(t, argv[2 + k]);

		/* a PV of this very VG is the library's refusal to make (EEXIST) */
		if (i >= 0 && t->scan->pvs[i].has_label &&
		    vg_find_pv_by_id(store->vg, t->scan->pvs[i].label.pv_uuid) >= 0) {
			joins[k] = (struct pv_join){
				.id = t->scan->pvs[i].label.pv_uuid,
				.device_hint = argv[2 + k],
			};
			continue;
		}
		r = joinable_pv(t, argv[2 + k], &joins[k], &targets[k]);
		if (r < 0)
			return r;
	}
	r = vg_op_extend(store->vg, joins, n, &vg, &t->err);
	if (r < 0)
		return r;
	return commit(t, store, vg, targets, n);
}

static int verb_vgreduce(struct tool *t, int argc, char **argv)
{
	_cleanup_free_ const char **ids = NULL;
	_cleanup_(vg_store_freep) struct vg_store *store = NULL;
	struct vg *vg = NULL;
	int r;

	if (argc < 3)
		return usage_error("vgreduce VG DEV...");
	r = tool_scan(t);
	if (r < 0)
		return r;
	r = load_store(t, argv[1], true, &store);
	if (r < 0)
		return r;
	ids = calloc((size_t)argc, sizeof(*ids));
	if (!ids)
		return vg_error_set(&t->err, -ENOMEM, "out of memory");
	for (int a = 2; a < argc; a++) {
		r = pv_id_of_device(t, store->vg, argv[a], &ids[a - 2]);
		if (r < 0)
			return r;
	}
	r = vg_op_reduce(store->vg, ids, (size_t)argc - 2, &vg, &t->err);
	if (r < 0)
		return r;
	return commit(t, store, vg, NULL, 0);
}

static int verb_vgrename(struct tool *t, int argc, char **argv)
{
	_cleanup_(vg_store_freep) struct vg_store *store = NULL;
	struct vg *vg = NULL;
	int r;

	if (argc != 3)
		return usage_error("vgrename VG NEW");
	r = tool_scan(t);
	if (r < 0)
		return r;
	r = load_store(t, argv[1], true, &store);
	if (r < 0)
		return r;
	if (!streq(argv[1], argv[2]) && find_vg(t, argv[2]))
		return vg_error_set(&t->err, -EEXIST, "VG %s already exists", argv[2]);
	r = vg_op_rename(store->vg, argv[2], &vg, &t->err);
	if (r < 0)
		return r;
	/* the backup follows the name, so the new name's archive continues the VG's history */
	r = vg_backup_rename(t->state_dir, argv[1], argv[2], &t->err);
	if (r < 0) {
		vg_free(vg);
		return r;
	}
	return commit(t, store, vg, NULL, 0);
}

/*
 * vgsplit VG NEWVG DEV... or vgsplit VG --into VG2 DEV... (as lvm2, a NEWVG
 * that exists is taken as --into). The VG that gives PVs is committed first,
 * which empties them; then the receiving VG is committed with them.
 */
static int verb_vgsplit(struct tool *t, int argc, char **argv)
{
	static const struct option opts[] = { { "into", required_argument, NULL, 'i' }, {} };
	_cleanup_(vg_store_freep) struct vg_store *from = NULL;
	_cleanup_(vg_store_freep) struct vg_store *into = NULL;
	_cleanup_free_ const char **ids = NULL;
	_cleanup_free_ struct vg_commit_target *targets = NULL;
	struct vg *new_from = NULL, *new_into = NULL;
	const char *into_name = NULL, *new_name = NULL;
	char *const *devs;
	size_t n;
	int c, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
		if (c != 'i')
			return -EDOM;
		into_name = optarg;
	}
	if (argc - optind < (into_name ? 2 : 3))
		return usage_error("vgsplit VG NEWVG DEV... | vgsplit VG --into VG DEV...");
	if (!into_name)
		new_name = argv[optind + 1];
	devs = &argv[optind + (into_name ? 1 : 2)];
	n = (size_t)(argc - optind - (into_name ? 1 : 2));

	r = tool_scan(t);
	if (r < 0)
		return r;
	r = load_store(t, argv[optind], true, &from);
	if (r < 0)
		return r;
	if (new_name && find_vg(t, new_name))
		into_name = new_name;
	if (into_name) {
		r = load_store(t, into_name, true, &into);
		if (r < 0)
			return r;
	}
	ids = calloc(n + 1, sizeof(*ids));
	targets = calloc(n + 1, sizeof(*targets));
	if (!ids || !targets)
		return vg_error_set(&t->err, -ENOMEM, "out of memory");
	for (size_t k = 0; k < n; k++) {
		r = pv_id_of_device(t, from->vg, devs[k], &ids[k]);
		if (r < 0)
			return r;
	}
	r = vg_op_split(from->vg, ids, n, into ? into->vg : NULL, into ? NULL : new_name, &new_from, &new_into,
			&t->err);
	if (r < 0)
		return r;
	r = commit(t, from, new_from, NULL, 0);
	if (r < 0) {
		vg_free(new_into);
		return r;
	}
	r = fresh_targets(t, (const char *const *)devs, n, targets);
	if (r < 0) {
		vg_free(new_into);
		return vg_error_prefix(&t->err, r, "VG %s gave up its PVs, but they cannot be read back: ",
				       from->vg->name);
	}
	if (!into) {
		r = vg_store_new(new_into, &into, &t->err);
		if (r < 0) {
			vg_free(new_into);
			return r;
		}
		into->state_dir = t->state_dir;
	}
	return commit(t, into, new_into, targets, n);
}

/* vgmerge INTO FROM: FROM is removed (its PVs emptied), then INTO is committed with them. */
static int verb_vgmerge(struct tool *t, int argc, char **argv)
{
	_cleanup_(vg_store_freep) struct vg_store *into = NULL;
	_cleanup_(vg_store_freep) struct vg_store *from = NULL;
	_cleanup_free_ struct vg_commit_target *targets = NULL;
	_cleanup_free_ const char **paths = NULL;
	struct vg *merged = NULL;
	size_t n;
	int r;

	if (argc != 3)
		return usage_error("vgmerge INTO FROM");
	r = tool_scan(t);
	if (r < 0)
		return r;
	r = load_store(t, argv[1], true, &into);
	if (r < 0)
		return r;
	r = load_store(t, argv[2], true, &from);
	if (r < 0)
		return r;
	r = vg_op_merge(into->vg, from->vg, &merged, &t->err);
	if (r < 0)
		return r;
	n = from->vg->n_pvs;
	paths = calloc(n + 1, sizeof(*paths));
	targets = calloc(n + 1, sizeof(*targets));
	if (!paths || !targets) {
		vg_free(merged);
		return vg_error_set(&t->err, -ENOMEM, "out of memory");
	}
	for (size_t p = 0; p < n; p++)
		paths[p] = from->targets[p].dev->path;
	r = vg_store_remove(from, &t->err);
	if (r < 0) {
		vg_free(merged);
		return r;
	}
	r = fresh_targets(t, paths, n, targets);
	if (r < 0) {
		vg_free(merged);
		return vg_error_prefix(&t->err, r, "VG %s was removed, but its PVs cannot be read back: ", argv[2]);
	}
	return commit(t, into, merged, targets, n);
}

static int verb_vgremove(struct tool *t, int argc, char **argv)
{
	static const struct option opts[] = { { "force", no_argument, NULL, 'f' }, {} };
	_cleanup_(vg_store_freep) struct vg_store *store = NULL;
	bool force = false;
	int c, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
		if (c != 'f')
			return -EDOM;
		force = true;
	}
	if (argc - optind != 1)
		return usage_error("vgremove VG [--force]");
	r = tool_scan(t);
	if (r < 0)
		return r;
	r = load_store(t, argv[optind], true, &store);
	if (r < 0)
		return r;
	if (store->vg->n_lvs && !force)
		return vg_error_set(&t->err, -EBUSY,
				    "VG %s still has %zu LV(s), the first being %s: remove them or use --force",
				    store->vg->name, store->vg->n_lvs, store->vg->lvs[0]->name);
	r = vg_store_remove(store, &t->err);
	if (r < 0)
		return r;
	if (!t->json && !t->quiet)
		printf("VG %s removed\n", argv[optind]);
	t->out = json_object_new_object();
	json_object_object_add(t->out, "removed", json_object_new_string(argv[optind]));
	return 0;
}

static int parse_policy(struct tool *t, const char *text, enum alloc_policy *ret)
{
	if (streq(text, "normal"))
		*ret = ALLOC_NORMAL;
	else if (streq(text, "contiguous"))
		*ret = ALLOC_CONTIGUOUS;
	else if (streq(text, "anywhere"))
		*ret = ALLOC_ANYWHERE;
	else
		return vg_error_set(&t->err, -EINVAL, "allocation policy \"%s\": use normal, contiguous or anywhere",
				    text);
	return 0;
}

/* "[+-]N" extents */
static int parse_extents(struct tool *t, const char *text, struct lv_size *size)
{
	const char *p = text;
	uint64_t v;
	char *end = NULL;

	size->extents_sign = SIZE_SIGN_NONE;
	if (*p == '+' || *p == '-') {
		size->extents_sign = *p == '+' ? SIZE_SIGN_PLUS : SIZE_SIGN_MINUS;
		p++;
	}
	errno = 0;
	v = strtoull(p, &end, 10);
	if (errno || !*p || *end || *p == '-' || *p == '+')
		return vg_error_set(&t->err, -EINVAL, "extent count \"%s\" is not a number", text);
	if (v == 0)
		return vg_error_set(&t->err, -EINVAL, "extent count \"%s\": 0 extents is no size", text);
	size->extents = v;
	return 0;
}

static int pv_ids_of_paths(struct tool *t, const struct vg *vg, char **paths, size_t n, const char ***ret_ids)
{
	_cleanup_free_ const char **ids = calloc(n + 1, sizeof(*ids));

	if (!ids)
		return vg_error_set(&t->err, -ENOMEM, "out of memory");
	for (size_t k = 0; k < n; k++) {
		int r = pv_id_of_device(t, vg, paths[k], &ids[k]);
		if (r < 0)
			return r;
	}
	*ret_ids = TAKE_PTR(ids);
	return 0;
}

static int verb_lvcreate(struct tool *t, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 'L' },      { "extents", required_argument, NULL, 'l' },
		{ "stripes", required_argument, NULL, 'i' },   { "stripe-size", required_argument, NULL, 'I' },
		{ "policy", required_argument, NULL, 'p' },    { "pv", required_argument, NULL, 'P' },
		{ "tag", required_argument, NULL, 't' },       {}
	};
	_cleanup_(vg_store_freep) struct vg_store *store = NULL;
	_cleanup_free_ char **pv_paths = NULL;
	_cleanup_free_ const char **tags = NULL;
	_cleanup_free_ const char **pv_ids = NULL;
	struct lv_create_request req = { 0 };
	const char *size_text = NULL, *extents_text = NULL;
	size_t n_pvs = 0;
	struct vg *vg = NULL;
	uint64_t v;
	int c, r;

	pv_paths = calloc((size_t)argc + 1, sizeof(*pv_paths));
	tags = calloc((size_t)argc + 1, sizeof(*tags));
	if (!pv_paths || !tags)
		return vg_error_set(&t->err, -ENOMEM, "out of memory");
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
		switch (c) {
		case 'L':
			size_text = optarg;
			break;
		case 'l':
			extents_text = optarg;
			break;
		case 'i':
			r = parse_u64(optarg, "--stripes", &v);
			if (r < 0)
				return r;
			if (v > UINT32_MAX)
				return vg_error_set(&t->err, -EINVAL, "%s stripes is too many", optarg);
			req.stripes = (uint32_t)v;
			break;
		case 'I':
			r = size_parse(optarg, 'k', &v, &t->err);
			if (r < 0)
				return vg_error_prefix(&t->err, r, "stripe size: ");
			if (v % 512)
				return vg_error_set(&t->err, -EINVAL,
						    "stripe size %s is not a whole number of sectors",
						    optarg);
			req.stripe_size_sectors = v / 512;
			break;
		case 'p':
			r = parse_policy(t, optarg, &req.policy);
			if (r < 0)
				return r;
			break;
		case 'P':
			pv_paths[n_pvs++] = optarg;
			break;
		case 't':
			tags[req.n_tags++] = optarg;
			break;
		default:
			return -EDOM;
		}
	}
	if (argc - optind != 2 || !!size_text == !!extents_text)
		return usage_error("lvcreate VG LV --size SIZE|--extents N [--stripes N] [--policy P] [--pv DEV]...");
	if (size_text) {
		r = size_spec_parse(size_text, 'm', &req.size.spec, &t->err);
		if (r < 0)
			return r;
	} else {
		r = parse_extents(t, extents_text, &req.size);
		if (r < 0)
			return r;
	}
	r = tool_scan(t);
	if (r < 0)
		return r;
	r = load_store(t, argv[optind], true, &store);
	if (r < 0)
		return r;
	if (n_pvs) {
		r = pv_ids_of_paths(t, store->vg, pv_paths, n_pvs, &pv_ids);
		if (r < 0)
			return r;
	}
	req.name = argv[optind + 1];
	req.pv_ids = pv_ids;
	req.n_pv_ids = n_pvs;
	req.tags = tags;
	req.creation_time = t->header.creation_time;
	req.creation_host = t->uts.nodename;
	r = lv_op_create(store->vg, &req, &vg, &t->err);
	if (r < 0)
		return r;
	return commit(t, store, vg, NULL, 0);
}

/* "VG/LV" -> @vg_buf, *ret_lv */
static int split_lv_path(struct tool *t, const char *text, char *vg_buf, size_t len, const char **ret_lv)
{
	const char *slash = strchr(text, '/');

	if (!slash || slash == text || !slash[1])
		return vg_error_set(&t->err, -EINVAL, "\"%s\": name an LV as VG/LV", text);
	if ((size_t)(slash - text) >= len)
		return vg_error_set(&t->err, -EINVAL, "\"%s\": VG name too long", text);
	memcpy(vg_buf, text, (size_t)(slash - text));
	vg_buf[slash - text] = '\0';
	*ret_lv = slash + 1;
	return 0;
}

static int verb_lvresize(struct tool *t, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },       { "extents", required_argument, NULL, 'l' },
		{ "size", required_argument, NULL, 'L' },  { "policy", required_argument, NULL, 'p' },
		{ "pv", required_argument, NULL, 'P' },    {}
	};
	_cleanup_(vg_store_freep) struct vg_store *store = NULL;
	_cleanup_free_ char **pv_paths = NULL;
	_cleanup_free_ const char **pv_ids = NULL;
	struct lv_resize_request req = { 0 };
	const char *size_text = NULL, *extents_text = NULL, *lv_name;
	char vg_name[256];
	size_t n_pvs = 0;
	struct vg *vg = NULL;
	int c, r;

	pv_paths = calloc((size_t)argc + 1, sizeof(*pv_paths));
	if (!pv_paths)
		return vg_error_set(&t->err, -ENOMEM, "out of memory");
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
		switch (c) {
		case 'f':
			req.allow_reduce = true;
			break;
		case 'l':
			extents_text = optarg;
			break;
		case 'L':
			size_text = optarg;
			break;
		case 'p':
			r = parse_policy(t, optarg, &req.policy);
			if (r < 0)
				return r;
			break;
		case 'P':
			pv_paths[n_pvs++] = optarg;
			break;
		default:
			return -EDOM;
		}
	}
	/* lvresize VG/LV SIZE, or with --size / --extents */
	if (argc - optind == 2 && !size_text && !extents_text)
		size_text = argv[optind + 1];
	else if (argc - optind != 1 || !!size_text == !!extents_text)
		return usage_error("lvresize VG/LV SIZE|--size SIZE|--extents [+-]N [--force]");
	r = split_lv_path(t, argv[optind], vg_name, sizeof(vg_name), &lv_name);
	if (r < 0)
		return r;
	if (size_text) {
		r = size_spec_parse(size_text, 'm', &req.size.spec, &t->err);
		if (r < 0)
			return r;
	} else {
		r = parse_extents(t, extents_text, &req.size);
		if (r < 0)
			return r;
	}
	r = tool_scan(t);
	if (r < 0)
		return r;
	r = load_store(t, vg_name, true, &store);
	if (r < 0)
		return r;
	if (n_pvs) {
		r = pv_ids_of_paths(t, store->vg, pv_paths, n_pvs, &pv_ids);
		if (r < 0)
			return r;
	}
	req.name = lv_name;
	req.pv_ids = pv_ids;
	req.n_pv_ids = n_pvs;
	r = lv_op_resize(store->vg, &req, &vg, &t->err);
	if (r < 0)
		return r;
	return commit(t, store, vg, NULL, 0);
}

/* lvrename VG/LV NEW or lvrename VG LV NEW */
static int verb_lvrename(struct tool *t, int argc, char **argv)
{
	_cleanup_(vg_store_freep) struct vg_store *store = NULL;
	const char *lv_name, *new_name;
	char vg_name[256];
	struct vg *vg = NULL;
	int r;

	if (argc == 3) {
		r = split_lv_path(t, argv[1], vg_name, sizeof(vg_name), &lv_name);
		if (r < 0)
			return r;
		new_name = argv[2];
	} else if (argc == 4) {
		snprintf(vg_name, sizeof(vg_name), "%s", argv[1]);
		lv_name = argv[2];
		new_name = argv[3];
	} else {
		return usage_error("lvrename VG/LV NEW | lvrename VG LV NEW");
	}
	r = tool_scan(t);
	if (r < 0)
		return r;
	r = load_store(t, vg_name, true, &store);
	if (r < 0)
		return r;
	r = lv_op_rename(store->vg, lv_name, new_name, &vg, &t->err);
	if (r < 0)
		return r;
	return commit(t, store, vg, NULL, 0);
}

static int verb_lvremove(struct tool *t, int argc, char **argv)
{
	_cleanup_(vg_store_freep) struct vg_store *store = NULL;
	const char *lv_name;
	char vg_name[256];
	struct vg *vg = NULL;
	int r;

	if (argc != 2)
		return usage_error("lvremove VG/LV");
	r = split_lv_path(t, argv[1], vg_name, sizeof(vg_name), &lv_name);
	if (r < 0)
		return r;
	r = tool_scan(t);
	if (r < 0)
		return r;
	r = load_store(t, vg_name, true, &store);
	if (r < 0)
		return r;
	r = lv_op_remove(store->vg, lv_name, &vg, &t->err);
	if (r < 0)
		return r;
	return commit(t, store, vg, NULL, 0);
}

/* tag VG[/LV] [--add TAG]... [--del TAG]... */
static int verb_tag(struct tool *t, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "add", required_argument, NULL, 'a' },
		{ "del", required_argument, NULL, 'd' },
		{}
	};
	_cleanup_(vg_store_freep) struct vg_store *store = NULL;
	_cleanup_free_ const char **add = calloc((size_t)argc + 1, sizeof(*add));
	_cleanup_free_ const char **del = calloc((size_t)argc + 1, sizeof(*del));
	size_t n_add = 0, n_del = 0;
	const char *lv_name = NULL;
	char vg_name[256];
	struct vg *vg = NULL;
	int c, r;

	if (!add || !del)
		return vg_error_set(&t->err, -ENOMEM, "out of memory");
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
		if (c == 'a')
			add[n_add++] = optarg;
		else if (c == 'd')
			del[n_del++] = optarg;
		else
			return -EDOM;
	}
	if (argc - optind != 1 || n_add + n_del == 0)
		return usage_error("tag VG[/LV] [--add TAG]... [--del TAG]...");
	if (strchr(argv[optind], '/')) {
		r = split_lv_path(t, argv[optind], vg_name, sizeof(vg_name), &lv_name);
		if (r < 0)
			return r;
	} else {
		snprintf(vg_name, sizeof(vg_name), "%s", argv[optind]);
	}
	r = tool_scan(t);
	if (r < 0)
		return r;
	r = load_store(t, vg_name, true, &store);
	if (r < 0)
		return r;
	if (lv_name)
		r = lv_op_tag(store->vg, lv_name, add, n_add, del, n_del, &vg, &t->err);
	else
		r = vg_op_tag(store->vg, add, n_add, del, n_del, &vg, &t->err);
	if (r < 0)
		return r;
	return commit(t, store, vg, NULL, 0);
}

/* ---- scan and check: reading the state ---- */

static struct json_object *json_vg_state(const struct tool *t, const struct vg_scan_vg *svg)
{
	const struct vg *vg = svg->vg;
	struct json_object *obj = json_object_new_object();
	struct json_object *pvs = json_object_new_array(), *lvs = json_object_new_array();
	struct json_object *missing = json_object_new_array(), *stale = json_object_new_array();
	struct json_object *tags = json_object_new_array();

	json_object_object_add(obj, "name", json_object_new_string(vg->name));
	json_object_object_add(obj, "id", json_object_new_string(vg->id));
	json_object_object_add(obj, "seqno", json_object_new_uint64(vg->seqno));
	json_object_object_add(obj, "extent_size_sectors", json_object_new_uint64(vg->extent_size_sectors));
	json_object_object_add(obj, "free_extents", json_object_new_uint64(vg_free_extents(vg, NULL)));
	json_object_object_add(obj, "partial", json_object_new_boolean(svg->n_missing > 0));
	json_object_object_add(obj, "inconsistent", json_object_new_boolean(svg->inconsistent));
	for (size_t k = 0; k < vg->tags.n; k++)
		json_object_array_add(tags, json_object_new_string(vg->tags.words[k]));
	json_object_object_add(obj, "tags", tags);
	for (size_t p = 0; p < vg->n_pvs; p++) {
		const struct vg_pv *pv = vg->pvs[p];
		ssize_t scan = svg->members[p].scan_index;
		struct json_object *jpv = json_object_new_object();
		char text[LVM_UUID_TEXT_LEN + 1];

		lvm_uuid_format(pv->id, text);
		json_object_object_add(jpv, "id", json_object_new_string(text));
		json_object_object_add(jpv, "device",
				       scan >= 0 ? json_object_new_string(t->scan->pvs[scan].dev->path) : NULL);
		json_object_object_add(jpv, "device_hint",
				       pv->device_hint ? json_object_new_string(pv->device_hint) : NULL);
		json_object_object_add(jpv, "pe_count", json_object_new_uint64(pv->pe_count));
		json_object_object_add(jpv, "used_extents", json_object_new_uint64(vg_pv_used_extents(vg, p)));
		json_object_array_add(pvs, jpv);
		if (scan < 0) {
			struct json_object *m = json_object_new_object();
			json_object_object_add(m, "id", json_object_new_string(text));
			json_object_object_add(m, "device_hint",
					       pv->device_hint ? json_object_new_string(pv->device_hint) : NULL);
			json_object_array_add(missing, m);
		}
	}
	for (size_t s = 0; s < svg->n_stale; s++)
		json_object_array_add(stale, json_object_new_string(t->scan->pvs[svg->stale[s]].dev->path));
	json_object_object_add(obj, "pvs", pvs);
	json_object_object_add(obj, "missing_pvs", missing);
	json_object_object_add(obj, "stale_devices", stale);
	for (size_t l = 0; l < vg->n_lvs; l++) {
		const struct vg_lv *lv = vg->lvs[l];
		struct json_object *jlv = json_object_new_object(), *ltags = json_object_new_array();

		json_object_object_add(jlv, "name", json_object_new_string(lv->name));
		json_object_object_add(jlv, "extents", json_object_new_uint64(vg_lv_extents(lv)));
		json_object_object_add(jlv, "segments", json_object_new_uint64(lv->n_segments));
		json_object_object_add(jlv, "stripes",
				       json_object_new_uint64(lv->n_segments && lv->segments[0]->is_striped
								      ? lv->segments[0]->stripe_count
								      : 0));
		for (size_t k = 0; k < lv->tags.n; k++)
			json_object_array_add(ltags, json_object_new_string(lv->tags.words[k]));
		json_object_object_add(jlv, "tags", ltags);
		json_object_array_add(lvs, jlv);
	}
	json_object_object_add(obj, "lvs", lvs);
	return obj;
}

static void print_vg_state(const struct tool *t, const struct vg_scan_vg *svg)
{
	const struct vg *vg = svg->vg;

	printf("VG %s seqno %" PRIu64 " extent_size %" PRIu64 " pvs %zu lvs %zu free_extents %" PRIu64 "%s\n",
	       vg->name, vg->seqno, vg->extent_size_sectors, vg->n_pvs, vg->n_lvs, vg_free_extents(vg, NULL),
	       svg->n_missing ? " PARTIAL" : "");
	for (size_t p = 0; p < vg->n_pvs; p++) {
		const struct vg_pv *pv = vg->pvs[p];
		ssize_t scan = svg->members[p].scan_index;
		char text[LVM_UUID_TEXT_LEN + 1];

		lvm_uuid_format(pv->id, text);
		if (scan >= 0)
			printf("  pv %s %s pe_count %" PRIu64 " used %" PRIu64 "\n",
			       t->scan->pvs[scan].dev->path, text, pv->pe_count, vg_pv_used_extents(vg, p));
		else
			printf("  pv MISSING %s (last seen as %s) pe_count %" PRIu64 "\n", text,
			       pv->device_hint ? pv->device_hint : "?", pv->pe_count);
	}
	for (size_t l = 0; l < vg->n_lvs; l++)
		printf("  lv %s extents %" PRIu64 " segments %zu\n", vg->lvs[l]->name, vg_lv_extents(vg->lvs[l]),
		       vg->lvs[l]->n_segments);
	if (svg->n_missing)
		printf("  partial: %zu PV(s) missing\n", svg->n_missing);
	for (size_t s = 0; s < svg->n_stale; s++)
		printf("  stale: %s holds an older copy of the metadata\n", t->scan->pvs[svg->stale[s]].dev->path);
	if (svg->inconsistent)
		printf("  inconsistent: copies with the same seqno differ\n");
}

static int verb_scan(struct tool *t, int argc, char **argv)
{
	struct json_object *vgs, *orphans;
	int r;

	if (argc != 1)
		return usage_error("scan takes no arguments");
	r = tool_scan(t);
	if (r < 0)
		return r;
	t->out = json_object_new_object();
	vgs = json_object_new_array();
	orphans = json_object_new_array();
	for (size_t v = 0; v < t->scan->n_vgs; v++) {
		json_object_array_add(vgs, json_vg_state(t, &t->scan->vgs[v]));
		if (!t->json)
			print_vg_state(t, &t->scan->vgs[v]);
	}
	for (size_t i = 0; i < t->scan->n_pvs; i++) {
		const struct pv_scan *pv = &t->scan->pvs[i];

		if (!pv->has_label || pv->vg_index >= 0)
			continue;
		json_object_array_add(orphans, json_object_new_string(pv->dev->path));
		if (!t->json)
			printf("orphan PV %s %s\n", pv->dev->path, pv->label.pv_uuid);
	}
	json_object_object_add(t->out, "vgs", vgs);
	json_object_object_add(t->out, "orphans", orphans);
	return 0;
}

/*
 * Everything our own scan can find wrong with the devices: damaged labels
 * or areas, VGs that fail validation, partial, stale or inconsistent VGs,
 * metadata copies not at the VG's seqno, PV in-use flags that disagree with
 * membership, metadata text on PVs that no VG lists. Each problem is one line
 * appended to @out; returns how many.
 */
static size_t collect_problems(struct tool *t, struct strbuf *out)
{
	size_t n = 0;

	for (size_t i = 0; i < t->scan->n_pvs; i++) {
		const struct pv_scan *pv = &t->scan->pvs[i];
		const char *path = pv->dev->path;

		if (pv->label_error.code) {
			strbuf_printf(out, "%s: damaged label: %s\n", path, pv->label_error.message);
			n++;
		}
		if (!pv->has_label)
			continue;
		for (size_t m = 0; m < pv->n_mdas; m++) {
			const struct pv_scan_mda *mda = &pv->mdas[m];

			if (mda->error.code) {
				strbuf_printf(out, "%s: metadata area at %" PRIu64 ": %s\n", path, mda->start_bytes,
					      mda->error.message);
				n++;
			}
			if (!mda->header_valid)
				continue;
			if (pv->vg_index < 0 && mda->has_text) {
				strbuf_printf(out, "%s: metadata area at %" PRIu64 " holds VG %s seqno %" PRIu64
					      " but no VG lists this PV\n",
					      path, mda->start_bytes, mda->vg_name, mda->seqno);
				n++;
			}
			if (pv->vg_index >= 0) {
				const struct vg *vg = t->scan->vgs[pv->vg_index].vg;

				if (!mda->has_text || !streq(mda->vg_id, vg->id) || mda->seqno != vg->seqno) {
					strbuf_printf(out,
						      "%s: metadata area at %" PRIu64
						      " holds %s seqno %" PRIu64 ", not VG %s seqno %" PRIu64
						      "\n",
						      path, mda->start_bytes,
						      mda->has_text ? mda->vg_name : "nothing", mda->seqno,
						      vg->name, vg->seqno);
					n++;
				}
				if (mda->header.slots[MDA_SLOT_PRECOMMITTED].offset_bytes) {
					strbuf_printf(out,
						      "%s: metadata area at %" PRIu64
						      " has a precommitted slot left\n",
						      path, mda->start_bytes);
					n++;
				}
			}
		}
		if (pv->vg_index >= 0 &&
		    (pv->label.ext_version < PV_EXT_VERSION || !(pv->label.ext_flags & PV_EXT_USED))) {
			strbuf_printf(out,
				      "%s: PV of VG %s lacks the in-use flag (ext version %u flags %#x)\n",
				      path, t->scan->vgs[pv->vg_index].vg->name, pv->label.ext_version,
				      pv->label.ext_flags);
			n++;
		}
		if (pv->vg_index < 0 && (pv->label.ext_flags & PV_EXT_USED)) {
			strbuf_printf(out, "%s: orphan PV still carries the in-use flag\n", path);
			n++;
		}
	}
	for (size_t v = 0; v < t->scan->n_vgs; v++) {
		const struct vg_scan_vg *svg = &t->scan->vgs[v];
		const struct vg *vg = svg->vg;
		struct vg_error err = { 0 };

		if (vg_validate(vg, &err) < 0) {
			strbuf_printf(out, "VG %s: does not validate: %s\n", vg->name, err.message);
			n++;
		}
		if (svg->parse_error.code) {
			strbuf_printf(out, "VG %s: a fresher copy did not parse: %s\n", vg->name,
				      svg->parse_error.message);
			n++;
		}
		if (svg->n_missing) {
			strbuf_printf(out, "VG %s: partial, %zu PV(s) missing\n", vg->name, svg->n_missing);
			n++;
		}
		for (size_t s = 0; s < svg->n_stale; s++) {
			strbuf_printf(out, "VG %s: %s holds a stale copy\n", vg->name,
				      t->scan->pvs[svg->stale[s]].dev->path);
			n++;
		}
		if (svg->inconsistent) {
			strbuf_printf(out, "VG %s: copies with the same seqno differ\n", vg->name);
			n++;
		}
		for (size_t w = 0; w < v; w++)
			if (streq(t->scan->vgs[w].vg->name, vg->name)) {
				strbuf_printf(out, "VG name %s is used by two VGs\n", vg->name);
				n++;
			}
		for (size_t p = 0; p < vg->n_pvs; p++) {
			ssize_t scan = svg->members[p].scan_index;
			const struct pv_scan *pv;

			if (scan < 0)
				continue;
			pv = &t->scan->pvs[scan];
			if (pv->vg_index != (ssize_t)v) {
				strbuf_printf(out, "VG %s: its PV %s is claimed by another VG\n", vg->name,
					      pv->dev->path);
				n++;
			}
			if (vg->pvs[p]->pe_start_sectors * 512 != pv_data_start_bytes(&pv->label) ||
			    (vg->pvs[p]->pe_start_sectors + vg->pvs[p]->pe_count * vg->extent_size_sectors) * 512 >
				    pv_data_end_bytes(&pv->label, pv->dev->size_bytes)) {
				strbuf_printf(
					out,
					"VG %s: PV %s: pe_start/pe_count do not match the device's label\n",
					vg->name, pv->dev->path);
				n++;
			}
		}
	}
	return n;
}

static int verb_check(struct tool *t, int argc, char **argv)
{
	struct strbuf problems;
	size_t n;
	int r;

	if (argc != 1)
		return usage_error("check takes no arguments");
	r = tool_scan(t);
	if (r < 0)
		return r;
	strbuf_init(&problems);
	n = collect_problems(t, &problems);
	if (n) {
		fputs(problems.data, stderr);
		r = vg_error_set(&t->err, -EBADMSG, "%zu problem(s) found on the scanned devices", n);
	} else {
		t->out = json_object_new_object();
		json_object_object_add(t->out, "vgs", json_object_new_uint64(t->scan->n_vgs));
		if (!t->json && !t->quiet)
			printf("%zu VG(s), no problems\n", t->scan->n_vgs);
	}
	strbuf_done(&problems);
	return r;
}

/* ---- dispatch ---- */

struct verb {
	const char *name;
	int (*run)(struct tool *t, int argc, char **argv);
};

static const struct verb verbs[] = {
	{ "pvcreate", verb_pvcreate }, { "vgcreate", verb_vgcreate }, { "vgextend", verb_vgextend },
	{ "vgreduce", verb_vgreduce }, { "vgrename", verb_vgrename }, { "vgsplit", verb_vgsplit },
	{ "vgmerge", verb_vgmerge },   { "vgremove", verb_vgremove }, { "lvcreate", verb_lvcreate },
	{ "lvresize", verb_lvresize }, { "lvrename", verb_lvrename }, { "lvremove", verb_lvremove },
	{ "tag", verb_tag },           { "scan", verb_scan },         { "check", verb_check },
};

static void set_description(struct tool *t, int argc, char **argv)
{
	size_t used = (size_t)snprintf(t->description, sizeof(t->description), "Write from " TOOL);

	for (int a = 0; a < argc && used < sizeof(t->description); a++)
		used += (size_t)snprintf(t->description + used, sizeof(t->description) - used, " %s", argv[a]);
	if (used + 2 < sizeof(t->description))
		strcat(t->description, ".");
}

/* Run one verb on @t (its scan set prepared). Returns 0, -EDOM for a usage error, or -errno with t->err set. */
static int run_verb(struct tool *t, int argc, char **argv)
{
	set_description(t, argc, argv);
	for (size_t v = 0; v < ARRAY_SIZE(verbs); v++)
		if (streq(verbs[v].name, argv[0])) {
			int r = verbs[v].run(t, argc, argv);
			if (r < 0 && r != -EDOM && t->err.code == 0)
				vg_error_set(&t->err, r, "%s", strerror(-r));
			return r;
		}
	return usage_error("unknown verb \"%s\"", argv[0]);
}

/* ---- the random walk ---- */

static uint64_t rng_state;

/* splitmix64: the same sequence on every machine, so a seed replays a walk exactly */
static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static uint64_t rng_below(uint64_t n)
{
	return n ? rng_next() % n : 0;
}

static bool rng_percent(unsigned p)
{
	return rng_below(100) < p;
}

/* A command line being built. */
struct walk_cmd {
	char buf[4096];
	size_t used;
	char *argv[MAX_ARGS];
	int argc;
	int expect; /* 0: either; 1: must succeed; -1: must be refused */
	const char *why; /* why the expectation */
};

static void cmd_push(struct walk_cmd *cmd, const char *fmt, ...) _printf_(2, 3);
static void cmd_push(struct walk_cmd *cmd, const char *fmt, ...)
{
	va_list ap;
	int len;

	assert(cmd->argc < MAX_ARGS - 1);
	va_start(ap, fmt);
	len = vsnprintf(cmd->buf + cmd->used, sizeof(cmd->buf) - cmd->used, fmt, ap);
	va_end(ap);
	assert(len >= 0 && cmd->used + (size_t)len + 1 < sizeof(cmd->buf));
	cmd->argv[cmd->argc++] = cmd->buf + cmd->used;
	cmd->argv[cmd->argc] = NULL;
	cmd->used += (size_t)len + 1;
}

static void cmd_format(const struct walk_cmd *cmd, char *out, size_t len)
{
	size_t used = 0;

	out[0] = '\0';
	for (int a = 0; a < cmd->argc && used < len; a++) {
		bool quote = strpbrk(cmd->argv[a], " \t'\"$") || !cmd->argv[a][0];
		used += (size_t)snprintf(out + used, len - used, quote ? "%s'%s'" : "%s%s", a ? " " : "",
					 cmd->argv[a]);
	}
}

/* What the walk knows of a VG, taken from the scan. */
struct walk_lv {
	const char *name;
	uint64_t extents;
	uint32_t stripes;
	uint64_t pv_mask; /* bit p: uses vg->pvs[p] */
};

struct walk_vg {
	const struct vg *vg;
	const char *pv_path[64]; /* device of vg->pvs[p] */
	struct walk_lv lvs[128];
	size_t n_lvs;
	uint64_t free;
};

struct walk_state {
	struct walk_vg vgs[16];
	size_t n_vgs;
	const char *orphans[64];
	size_t n_orphans;
	const char *blanks[64];
	size_t n_blanks;
	const char *in_vg[64]; /* devices that are PVs of some VG */
	size_t n_in_vg;
};

static void walk_state_build(const struct tool *t, struct walk_state *ws)
{
	memset(ws, 0, sizeof(*ws));
	for (size_t v = 0; v < t->scan->n_vgs && ws->n_vgs < ARRAY_SIZE(ws->vgs); v++) {
		const struct vg_scan_vg *svg = &t->scan->vgs[v];
		struct walk_vg *wv = &ws->vgs[ws->n_vgs++];

		wv->vg = svg->vg;
		for (size_t p = 0; p < svg->vg->n_pvs && p < ARRAY_SIZE(wv->pv_path); p++)
			wv->pv_path[p] = svg->members[p].scan_index >= 0
						 ? t->scan->pvs[svg->members[p].scan_index].dev->path
						 : NULL;
		wv->free = vg_free_extents(svg->vg, NULL);
		for (size_t l = 0; l < svg->vg->n_lvs && wv->n_lvs < ARRAY_SIZE(wv->lvs); l++) {
			const struct vg_lv *lv = svg->vg->lvs[l];
			struct walk_lv *wl = &wv->lvs[wv->n_lvs++];

			wl->name = lv->name;
			wl->extents = vg_lv_extents(lv);
			wl->stripes = lv->n_segments ? lv->segments[lv->n_segments - 1]->stripe_count : 1;
			for (size_t s = 0; s < lv->n_segments; s++)
				for (uint32_t k = 0; k < lv->segments[s]->stripe_count; k++)
					if (lv->segments[s]->stripes[k].pv_index < 64)
						wl->pv_mask |= UINT64_C(1) << lv->segments[s]->stripes[k].pv_index;
		}
	}
	for (size_t i = 0; i < t->scan->n_pvs; i++) {
		const struct pv_scan *pv = &t->scan->pvs[i];

		if (pv->vg_index >= 0)
			ws->in_vg[ws->n_in_vg++] = pv->dev->path;
		else if (pv->has_label)
			ws->orphans[ws->n_orphans++] = pv->dev->path;
		else
			ws->blanks[ws->n_blanks++] = pv->dev->path;
	}
}

static const char *const vg_names[] = { "vg0", "vg1", "vg2", "vg_raid", "vg+x.1-y", "Bulk-2" };
static const char *const lv_names[] = { "lv0", "lv1", "lv2", "lv3", "lv4", "data.v_1+x", "a-b", "lv_files", "root" };
static const char *const bad_lv_names[] = { "snapshot1", "pvmove0", "x_mlog", "a_rimage_0", ".", "..", "a b",
					    "tab\tname", "x_tdata", "lv%1" };
static const char *const bad_vg_names[] = { "a b", "..", "vg/x", "vg%", "" };

static bool vg_name_taken(const struct walk_state *ws, const char *name)
{
	for (size_t v = 0; v < ws->n_vgs; v++)
		if (streq(ws->vgs[v].vg->name, name))
			return true;
	return false;
}

static const char *fresh_vg_name(const struct walk_state *ws)
{
	size_t start = rng_below(ARRAY_SIZE(vg_names));

	for (size_t k = 0; k < ARRAY_SIZE(vg_names); k++) {
		const char *name = vg_names[(start + k) % ARRAY_SIZE(vg_names)];
		if (!vg_name_taken(ws, name))
			return name;
	}
	return NULL;
}

static const char *fresh_lv_name(const struct walk_vg *wv)
{
	size_t start = rng_below(ARRAY_SIZE(lv_names));

	for (size_t k = 0; k < ARRAY_SIZE(lv_names); k++) {
		const char *name = lv_names[(start + k) % ARRAY_SIZE(lv_names)];
		if (!vg_find_lv(wv->vg, name))
			return name;
	}
	return NULL;
}

static size_t n_present_pvs(const struct walk_vg *wv)
{
	size_t n = 0;

	for (size_t p = 0; p < wv->vg->n_pvs; p++)
		n += wv->pv_path[p] != NULL;
	return n;
}

static const char *extent_size_word(void)
{
	/* mostly one size, so that merges and moves mostly can happen */
	static const char *const sizes[] = { "2m", "2m", "2m", "2m", "2m", "2m", "2m", "1m", "4m" };
	return sizes[rng_below(ARRAY_SIZE(sizes))];
}

/* Choose the next operation for state @ws. Returns false when the dice chose something impossible here. */
static bool walk_choose(const struct walk_state *ws, struct walk_cmd *cmd)
{
	unsigned dice = (unsigned)rng_below(100);
	const struct walk_vg *wv = ws->n_vgs ? &ws->vgs[rng_below(ws->n_vgs)] : NULL;

	memset(cmd, 0, sizeof(*cmd));
	if (dice < 6) {
		/* pvcreate a blank device (or refuse one in a VG) */
		if (ws->n_blanks == 0 && ws->n_in_vg == 0)
			return false;
		if (ws->n_blanks == 0 && !rng_percent(15))
			return false;
		cmd_push(cmd, "pvcreate");
		if (ws->n_blanks && !rng_percent(10)) {
			switch (rng_below(4)) {
			case 0:
				cmd_push(cmd, "--metadatasize");
				cmd_push(cmd, "65536");
				break;
			case 1:
				cmd_push(cmd, "--metadatasize");
				cmd_push(cmd, "131072");
				cmd_push(cmd, "--pvmetadatacopies");
				cmd_push(cmd, "2");
				break;
			default:
				break;
			}
			cmd_push(cmd, "%s", ws->blanks[rng_below(ws->n_blanks)]);
			cmd->expect = 1;
		} else {
			if (!ws->n_in_vg)
				return false;
			cmd_push(cmd, "%s", ws->in_vg[rng_below(ws->n_in_vg)]);
			cmd->expect = -1;
			cmd->why = "the device is a PV of a VG";
		}
		return true;
	}
	if (dice < 14) {
		/* vgcreate */
		const char *name = fresh_vg_name(ws);
		unsigned kind = (unsigned)rng_below(100);

		if (ws->n_orphans == 0)
			return false;
		cmd_push(cmd, "vgcreate");
		if (kind < 8 || !name) {
			if (kind < 4 || ws->n_vgs == 0) {
				cmd_push(cmd, "%s", bad_vg_names[rng_below(ARRAY_SIZE(bad_vg_names))]);
				cmd->why = "a bad VG name";
			} else {
				cmd_push(cmd, "%s", ws->vgs[rng_below(ws->n_vgs)].vg->name);
				cmd->why = "the VG name is taken";
			}
			cmd->expect = -1;
		} else {
			cmd_push(cmd, "%s", name);
			cmd->expect = 1;
		}
		if (rng_percent(80)) {
			cmd_push(cmd, "--extent-size");
			cmd_push(cmd, "%s", extent_size_word());
		}
		size_t first = rng_below(ws->n_orphans);
		cmd_push(cmd, "%s", ws->orphans[first]);
		if (ws->n_orphans > 1 && rng_percent(40))
			cmd_push(cmd, "%s", ws->orphans[(first + 1) % ws->n_orphans]);
		if (ws->n_in_vg && rng_percent(8)) {
			cmd_push(cmd, "%s", ws->in_vg[rng_below(ws->n_in_vg)]);
			cmd->expect = -1;
			cmd->why = "a device is a PV of a VG";
		}
		return true;
	}
	if (!wv)
		return false;
	if (dice < 20) {
		/* vgextend */
		if (ws->n_orphans == 0 && !rng_percent(20))
			return false;
		cmd_push(cmd, "vgextend");
		cmd_push(cmd, "%s", wv->vg->name);
		if (ws->n_orphans && rng_percent(85)) {
			cmd_push(cmd, "%s", ws->orphans[rng_below(ws->n_orphans)]);
			cmd->expect = 1;
		} else {
			if (!ws->n_in_vg)
				return false;
			cmd_push(cmd, "%s", ws->in_vg[rng_below(ws->n_in_vg)]);
			cmd->expect = -1;
			cmd->why = "the device is a PV of a VG already";
		}
		return true;
	}
	if (dice < 27) {
		/* vgreduce one PV (mostly an empty one): refused while an LV uses it or when it is the last */
		size_t p = rng_below(wv->vg->n_pvs);
		bool used = false;

		bool prefer_empty = rng_percent(60);

		for (size_t k = 0; prefer_empty && k < wv->vg->n_pvs; k++) {
			size_t q = (p + k) % wv->vg->n_pvs;
			bool q_used = false;

			for (size_t l = 0; l < wv->n_lvs; l++)
				q_used |= (wv->lvs[l].pv_mask >> q) & 1;
			if (!q_used) {
				p = q;
				break;
			}
		}
		if (!wv->pv_path[p])
			return false;
		for (size_t l = 0; l < wv->n_lvs; l++)
			used |= (wv->lvs[l].pv_mask >> p) & 1;
		cmd_push(cmd, "vgreduce");
		cmd_push(cmd, "%s", wv->vg->name);
		cmd_push(cmd, "%s", wv->pv_path[p]);
		cmd->expect = used || wv->vg->n_pvs == 1 ? -1 : 1;
		cmd->why = used ? "an LV uses the PV" : wv->vg->n_pvs == 1 ? "the last PV" : "an empty PV";
		return true;
	}
	if (dice < 31) {
		/* vgrename */
		const char *name = fresh_vg_name(ws);

		cmd_push(cmd, "vgrename");
		cmd_push(cmd, "%s", wv->vg->name);
		if (!name || rng_percent(15)) {
			const char *other = rng_percent(50) ? bad_vg_names[rng_below(ARRAY_SIZE(bad_vg_names))]
							    : ws->vgs[rng_below(ws->n_vgs)].vg->name;
			cmd_push(cmd, "%s", other);
			cmd->expect = -1;
			cmd->why = "a bad, taken or unchanged VG name";
		} else {
			cmd_push(cmd, "%s", name);
			cmd->expect = 1;
		}
		return true;
	}
	if (dice < 38) {
		/* vgsplit some PVs into a new or an existing VG */
		const struct walk_vg *into = NULL;
		const char *name = NULL;
		uint64_t move = 0;
		bool straddle = false, collide = false;

		if (wv->vg->n_pvs < 2 || n_present_pvs(wv) != wv->vg->n_pvs)
			return false;
		/* half the time the PVs of one LV, so that the split has a chance */
		if (wv->n_lvs && rng_percent(50))
			move = wv->lvs[rng_below(wv->n_lvs)].pv_mask;
		while (move == 0 || move == (UINT64_C(1) << wv->vg->n_pvs) - 1)
			move = rng_below(UINT64_C(1) << wv->vg->n_pvs);
		if (ws->n_vgs > 1 && rng_percent(50)) {
			into = &ws->vgs[rng_below(ws->n_vgs)];
			if (into == wv)
				return false;
		} else {
			name = fresh_vg_name(ws);
			if (!name)
				return false;
		}
		cmd_push(cmd, "vgsplit");
		cmd_push(cmd, "%s", wv->vg->name);
		if (into) {
			cmd_push(cmd, "--into");
			cmd_push(cmd, "%s", into->vg->name);
		} else {
			cmd_push(cmd, "%s", name);
		}
		for (size_t p = 0; p < wv->vg->n_pvs; p++)
			if ((move >> p) & 1)
				cmd_push(cmd, "%s", wv->pv_path[p]);
		for (size_t l = 0; l < wv->n_lvs; l++) {
			bool on_moved = wv->lvs[l].pv_mask & move, on_kept = wv->lvs[l].pv_mask & ~move;

			straddle |= on_moved && on_kept;
			if (on_moved && into && vg_find_lv(into->vg, wv->lvs[l].name))
				collide = true;
		}
		if (straddle) {
			cmd->expect = -1;
			cmd->why = "an LV straddles moved and kept PVs";
		} else if (into && into->vg->extent_size_sectors != wv->vg->extent_size_sectors) {
			cmd->expect = -1;
			cmd->why = "the extent sizes differ";
		} else if (collide) {
			cmd->expect = -1;
			cmd->why = "an LV name exists in both VGs";
		} else {
			cmd->expect = into && n_present_pvs(into) != into->vg->n_pvs ? -1 : 1;
		}
		return true;
	}
	if (dice < 42) {
		/* vgmerge */
		const struct walk_vg *from;
		bool collide = false;

		if (ws->n_vgs < 2)
			return false;
		from = &ws->vgs[rng_below(ws->n_vgs)];
		if (from == wv)
			return false;
		for (size_t l = 0; l < from->n_lvs; l++)
			collide |= vg_find_lv(wv->vg, from->lvs[l].name) != NULL;
		cmd_push(cmd, "vgmerge");
		cmd_push(cmd, "%s", wv->vg->name);
		cmd_push(cmd, "%s", from->vg->name);
		if (from->vg->extent_size_sectors != wv->vg->extent_size_sectors) {
			cmd->expect = -1;
			cmd->why = "the extent sizes differ";
		} else if (collide) {
			cmd->expect = -1;
			cmd->why = "an LV name exists in both VGs";
		} else {
			cmd->expect = 1;
		}
		return true;
	}
	if (dice < 44) {
		/* vgremove, rarely: it empties a lot */
		cmd_push(cmd, "vgremove");
		cmd_push(cmd, "%s", wv->vg->name);
		if (wv->n_lvs && rng_percent(70))
			cmd_push(cmd, "--force");
		cmd->expect = wv->n_lvs && cmd->argc == 2 ? -1 : 1;
		cmd->why = "the VG still has LVs";
		return true;
	}
	if (dice < 68) {
		/* lvcreate: sizes that sometimes do not fit */
		const char *name = fresh_lv_name(wv);
		/* mostly a modest part of what is free, sometimes more than there is */
		uint64_t extents = rng_percent(70) ? 1 + rng_below(wv->free / 3 + 1)
						   : 1 + rng_below(wv->free + wv->free / 3 + 3);
		unsigned stripes = rng_percent(75) ? 1 : 2 + (unsigned)rng_below(2);
		unsigned policy = (unsigned)rng_below(10);
		bool by_size = rng_percent(30), restricted = rng_percent(15), taken = false;
		bool bad = rng_percent(4);

		if (!name || (wv->n_lvs && rng_percent(5))) {
			if (!wv->n_lvs)
				return false;
			name = wv->lvs[rng_below(wv->n_lvs)].name;
			taken = true;
		}
		if (bad)
			name = bad_lv_names[rng_below(ARRAY_SIZE(bad_lv_names))];
		cmd_push(cmd, "lvcreate");
		cmd_push(cmd, "%s", wv->vg->name);
		cmd_push(cmd, "%s", name);
		if (by_size) {
			uint64_t extent_kib = wv->vg->extent_size_sectors / 2;
			/* a size in KiB, not a whole number of extents: it rounds up */
			uint64_t kib = extents * extent_kib - rng_below(extent_kib);
			cmd_push(cmd, "--size");
			cmd_push(cmd, "%" PRIu64 "k", kib);
		} else if (rng_percent(10)) {
			cmd_push(cmd, "--size");
			cmd_push(cmd, "%s", rng_percent(50) ? "100%FREE" : "50%FREE");
			extents = 0;
		} else {
			cmd_push(cmd, "--extents");
			cmd_push(cmd, "%" PRIu64, extents);
		}
		if (stripes > 1) {
			cmd_push(cmd, "--stripes");
			cmd_push(cmd, "%u", stripes);
		}
		if (policy >= 6) {
			cmd_push(cmd, "--policy");
			cmd_push(cmd, "%s", policy >= 8 ? "contiguous" : "anywhere");
		}
		if (restricted) {
			size_t p = rng_below(wv->vg->n_pvs);
			if (!wv->pv_path[p])
				return false;
			cmd_push(cmd, "--pv");
			cmd_push(cmd, "%s", wv->pv_path[p]);
		}
		bool bad_tag = false;
		if (rng_percent(10)) {
			bad_tag = rng_percent(20);
			cmd_push(cmd, "--tag");
			cmd_push(cmd, "%s", bad_tag ? "bad tag" : "vm_disk");
		}
		/* a linear normal LV anywhere in the VG fits exactly when the VG has that much free */
		if (bad) {
			cmd->expect = -1;
			cmd->why = "a bad LV name";
		} else if (taken) {
			cmd->expect = -1;
			cmd->why = "the LV name is taken";
		} else if (bad_tag) {
			cmd->expect = -1;
			cmd->why = "a bad tag";
		} else if (extents && stripes == 1 && policy < 6 && !restricted) {
			cmd->expect = extents <= wv->free ? 1 : -1;
			cmd->why = "more extents than free";
		}
		return true;
	}
	if (wv->n_lvs == 0)
		return false;
	const struct walk_lv *wl = &wv->lvs[rng_below(wv->n_lvs)];
	char path[300];

	snprintf(path, sizeof(path), "%s/%s", wv->vg->name, wl->name);
	if (dice < 84) {
		/* lvresize: grow (sometimes too far), shrink with or without --force, or set */
		unsigned kind = (unsigned)rng_below(10);
		uint64_t n;

		cmd_push(cmd, "lvresize");
		cmd_push(cmd, "%s", path);
		cmd_push(cmd, "--extents");
		if (kind < 6) {
			n = 1 + rng_below(wv->free + wv->free / 3 + 2);
			cmd_push(cmd, "+%" PRIu64, n);
			if (wl->stripes == 1) {
				cmd->expect = n <= wv->free ? 1 : -1;
				cmd->why = "more extents than free";
			}
		} else if (kind < 9) {
			bool force = rng_percent(75);

			/* mostly leaving something, sometimes all of it */
			n = rng_percent(80) && wl->extents > 1 ? 1 + rng_below(wl->extents - 1)
							       : 1 + rng_below(wl->extents + 1);
			cmd_push(cmd, "-%" PRIu64, n);
			if (force)
				cmd_push(cmd, "--force");
			if (!force) {
				cmd->expect = -1;
				cmd->why = "shrinking without --force";
			} else if (n >= wl->extents) {
				cmd->expect = -1;
				cmd->why = "shrinking to nothing";
			} else if (wl->stripes == 1) {
				cmd->expect = 1;
			}
		} else {
			n = 1 + rng_below(wl->extents * 2 + 1);
			cmd_push(cmd, "%" PRIu64, n);
			cmd_push(cmd, "--force");
		}
		return true;
	}
	if (dice < 88) {
		/* lvrename */
		const char *name = fresh_lv_name(wv);

		cmd_push(cmd, "lvrename");
		cmd_push(cmd, "%s", path);
		if (!name || rng_percent(20)) {
			cmd_push(cmd, "%s", rng_percent(50) ? bad_lv_names[rng_below(ARRAY_SIZE(bad_lv_names))]
							    : wv->lvs[rng_below(wv->n_lvs)].name);
			cmd->expect = -1;
			cmd->why = "a bad, taken or unchanged LV name";
		} else {
			cmd_push(cmd, "%s", name);
			cmd->expect = 1;
		}
		return true;
	}
	if (dice < 96) {
		cmd_push(cmd, "lvremove");
		cmd_push(cmd, "%s", path);
		cmd->expect = 1;
		return true;
	}
	/* tags on the VG or an LV */
	cmd_push(cmd, "tag");
	cmd_push(cmd, "%s", rng_percent(50) ? wv->vg->name : path);
	cmd_push(cmd, rng_percent(70) ? "--add" : "--del");
	cmd_push(cmd, "%s", rng_percent(90) ? (rng_percent(50) ? "backup_daily" : "owner=ops") : "-bad");
	return true;
}

/* The metadata regions of every device: the first and the last 2 MiB (labels and areas live there). */
struct walk_snapshot {
	uint8_t *bytes[64];
	size_t len[64];
	size_t n;
};

#define SNAP_BYTES (UINT64_C(2) << 20)

static int walk_snapshot(char **paths, size_t n, struct walk_snapshot *snap, struct vg_error *err)
{
	memset(snap, 0, sizeof(*snap));
	for (size_t i = 0; i < n && i < ARRAY_SIZE(snap->bytes); i++) {
		_cleanup_(blockdev_closep) struct blockdev *dev = NULL;
		uint64_t head, tail;
		int r;

		r = blockdev_open(paths[i], BLOCKDEV_READ_ONLY, &dev, err);
		if (r < 0)
			return r;
		head = MIN(SNAP_BYTES, dev->size_bytes);
		tail = MIN(SNAP_BYTES, dev->size_bytes - head);
		snap->len[i] = head + tail;
		snap->bytes[i] = malloc(snap->len[i] + 1);
		if (!snap->bytes[i])
			return vg_error_set(err, -ENOMEM, "out of memory");
		snap->n = i + 1;
		r = blockdev_read(dev, 0, snap->bytes[i], head, err);
		if (r == 0 && tail)
			r = blockdev_read(dev, dev->size_bytes - tail, snap->bytes[i] + head, tail, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static void walk_snapshot_done(struct walk_snapshot *snap)
{
	for (size_t i = 0; i < snap->n; i++)
		free(snap->bytes[i]);
	snap->n = 0;
}

/* Run @check_cmd with VG_WALK_STEP set; returns its exit status (or -1). */
static int run_check(const char *check_cmd, unsigned step)
{
	char value[32];
	int status;

	fflush(stdout);
	fflush(stderr);
	snprintf(value, sizeof(value), "%u", step);
	setenv("VG_WALK_STEP", value, 1);
	status = system(check_cmd);
	if (status == -1)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static int walk_fail(uint64_t seed, unsigned step, const char *op, const char *fmt, ...) _printf_(4, 5);
static int walk_fail(uint64_t seed, unsigned step, const char *op, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "random-walk FAILED: seed %" PRIu64 ", step %u", seed, step);
	if (op)
		fprintf(stderr, ", operation: " TOOL " %s", op);
	fprintf(stderr, ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return 1;
}

/*
 * Our own verdict on the devices: scan them as a fresh invocation would and
 * collect every problem. Returns the number of problems (their text in
 * @out), or -1 when the scan itself failed.
 */
static ssize_t walk_problems(const char *state_dir, char **paths, size_t n, struct strbuf *out)
{
	struct tool t;
	ssize_t problems;

	tool_init(&t, state_dir, false);
	t.explicit_devices = true;
	for (size_t i = 0; i < n; i++)
		add_path(&t, paths[i]);
	if (tool_scan(&t) < 0) {
		strbuf_printf(out, "scan failed: %s\n", t.err.message);
		tool_done(&t);
		return -1;
	}
	problems = (ssize_t)collect_problems(&t, out);
	tool_done(&t);
	return problems;
}

static int verb_random_walk(const char *state_dir, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "steps", required_argument, NULL, 'n' },
		{ "check", required_argument, NULL, 'c' },
		{ "check-every", required_argument, NULL, 'e' },
		{}
	};
	uint64_t seed = 1, steps = 100, every = 1, v;
	const char *check_cmd = NULL;
	unsigned successes = 0, refusals = 0, checks = 0;
	char last_op[4096] = "(start)";
	char **paths;
	size_t n_paths;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
		switch (c) {
		case 's':
		case 'n':
		case 'e':
			if (parse_u64(optarg, "random-walk", &v) < 0)
				return 2;
			if (c == 's')
				seed = v;
			else if (c == 'n')
				steps = v;
			else
				every = v ? v : 1;
			break;
		case 'c':
			check_cmd = optarg;
			break;
		default:
			return 2;
		}
	}
	if (optind >= argc) {
		usage_error("random-walk --seed N --steps K [--check CMD] [--check-every M] DEV...");
		return 2;
	}
	paths = &argv[optind];
	n_paths = (size_t)(argc - optind);
	if (n_paths > 64) {
		usage_error("random-walk: at most 64 devices");
		return 2;
	}
	rng_state = seed;
	printf("random-walk: seed %" PRIu64 ", %" PRIu64 " steps on %zu devices\n", seed, steps, n_paths);

	for (unsigned step = 1; step <= steps; step++) {
		struct walk_snapshot before, after;
		struct walk_state ws;
		struct walk_cmd cmd;
		struct strbuf problems;
		struct tool t, run;
		char line[4096];
		ssize_t n_problems;
		bool chosen = false;
		int r;

		/* the state as a fresh invocation sees it, and our own verdict on it */
		strbuf_init(&problems);
		n_problems = walk_problems(state_dir, paths, n_paths, &problems);
		if (n_problems != 0) {
			int rc = walk_fail(seed, step, last_op, "our own scan finds the devices wrong after it:\n%s",
					   problems.data);
			strbuf_done(&problems);
			return rc;
		}
		strbuf_done(&problems);

		tool_init(&t, state_dir, false);
		t.explicit_devices = true;
		for (size_t i = 0; i < n_paths; i++)
			add_path(&t, paths[i]);
		if (tool_scan(&t) < 0) {
			int rc = walk_fail(seed, step, NULL, "scan: %s", t.err.message);
			tool_done(&t);
			return rc;
		}
		walk_state_build(&t, &ws);
		for (int tries = 0; tries < 1000 && !chosen; tries++)
			chosen = walk_choose(&ws, &cmd);
		tool_done(&t);
		if (!chosen)
			return walk_fail(seed, step, NULL, "no operation is possible in this state");
		cmd_format(&cmd, line, sizeof(line));

		if (walk_snapshot(paths, n_paths, &before, &t.err) < 0) {
			walk_snapshot_done(&before);
			return walk_fail(seed, step, line, "cannot read the devices: %s", t.err.message);
		}

		tool_init(&run, state_dir, false);
		run.quiet = true;
		run.explicit_devices = true;
		for (size_t i = 0; i < n_paths; i++)
			add_path(&run, paths[i]);
		r = run_verb(&run, cmd.argc, cmd.argv);
		snprintf(last_op, sizeof(last_op), "%s", line);

		if (r < 0) {
			bool changed = false;

			refusals++;
			printf("step %u: %s\n  refused: %s\n", step, line,
			       r == -EDOM ? "usage error" : run.err.message);
			if (r == -EDOM || !run.err.message[0] || cmd.expect > 0) {
				int rc = walk_fail(seed, step, line, "%s (%s)",
						   cmd.expect > 0 ? "refused, but it must succeed"
								  : "refused without a message",
						   run.err.message);
				tool_done(&run);
				walk_snapshot_done(&before);
				return rc;
			}
			tool_done(&run);
			if (walk_snapshot(paths, n_paths, &after, &t.err) < 0) {
				walk_snapshot_done(&before);
				walk_snapshot_done(&after);
				return walk_fail(seed, step, line, "cannot read the devices: %s", t.err.message);
			}
			for (size_t i = 0; i < n_paths; i++)
				if (before.len[i] != after.len[i] ||
				    memcmp(before.bytes[i], after.bytes[i], before.len[i])) {
					walk_fail(seed, step, line, "the refusal changed %s", paths[i]);
					changed = true;
				}
			walk_snapshot_done(&before);
			walk_snapshot_done(&after);
			if (changed)
				return 1;
			continue;
		}
		walk_snapshot_done(&before);
		tool_done(&run);
		successes++;
		printf("step %u: %s\n  ok\n", step, line);
		if (cmd.expect < 0)
			return walk_fail(seed, step, line, "succeeded, but it must be refused: %s", cmd.why);
		if (check_cmd && successes % every == 0) {
			int status = run_check(check_cmd, step);

			checks++;
			if (status != 0)
				return walk_fail(seed, step, line, "the check \"%s\" failed (exit %d)",
						 check_cmd, status);
		}
	}

	/* the last state, judged by both */
	struct strbuf problems;
	strbuf_init(&problems);
	if (walk_problems(state_dir, paths, n_paths, &problems) != 0) {
		int rc = walk_fail(seed, (unsigned)steps, last_op,
				   "our own scan finds the devices wrong after it:\n%s", problems.data);
		strbuf_done(&problems);
		return rc;
	}
	strbuf_done(&problems);
	if (check_cmd && run_check(check_cmd, (unsigned)steps) != 0)
		return walk_fail(seed, (unsigned)steps, last_op, "the final check \"%s\" failed", check_cmd);
	printf("random-walk: seed %" PRIu64 ": %" PRIu64 " steps, %u done, %u refused, %u checks passed\n", seed,
	       steps, successes, refusals, checks + (check_cmd ? 1 : 0));
	return 0;
}

/* ---- main ---- */

static void usage(FILE *out)
{
	fputs("Usage: " TOOL " --state-dir DIR [--json] [--devices DEV[,DEV...]]... VERB ARGS...\n"
	      "  pvcreate [--metadatasize B] [--pvmetadatacopies N] DEV...\n"
	      "  vgcreate VG [--extent-size S] DEV...      vgextend VG DEV...      vgreduce VG DEV...\n"
	      "  vgrename VG NEW      vgsplit VG NEWVG|--into VG DEV...      vgmerge INTO FROM\n"
	      "  vgremove VG [--force]\n"
	      "  lvcreate VG LV --size SIZE|--extents N [--stripes N] [--stripe-size S] [--policy P] [--pv "
	      "DEV]... [--tag T]...\n"
	      "  lvresize VG/LV SIZE|--extents [+-]N [--force]      lvrename VG/LV NEW      lvremove VG/LV\n"
	      "  tag VG[/LV] [--add T]... [--del T]...\n"
	      "  scan      check\n"
	      "  random-walk --seed N --steps K [--check CMD] [--check-every M] DEV...\n",
	      out);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "devices", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *state_dir = NULL, *verb;
	bool json = false;
	struct tool t;
	char **device_lists;
	size_t n_lists = 0;
	int c, r, status;

	device_lists = calloc((size_t)argc + 1, sizeof(*device_lists));
	if (!device_lists)
		return 1;
	/* "+": options of the tool stop at the verb; the verb parses its own */
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) >= 0) {
		switch (c) {
		case 'S':
			state_dir = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'd':
			device_lists[n_lists++] = optarg;
			break;
		case 'h':
			usage(stdout);
			free(device_lists);
			return 0;
		default:
			usage(stderr);
			free(device_lists);
			return 2;
		}
	}
	if (!state_dir || optind >= argc) {
		usage(stderr);
		free(device_lists);
		return 2;
	}
	if (streq(argv[optind], "random-walk")) {
		free(device_lists);
		return verb_random_walk(state_dir, argc - optind, argv + optind);
	}

	tool_init(&t, state_dir, json);
	for (size_t k = 0; k < n_lists; k++) {
		t.explicit_devices = true;
		if (add_path_list(&t, device_lists[k]) < 0) {
			fprintf(stderr, TOOL ": %s\n", t.err.message);
			free(device_lists);
			tool_done(&t);
			return 1;
		}
	}
	free(device_lists);

	verb = argv[optind];
	r = run_verb(&t, argc - optind, argv + optind);
	if (r == -EDOM) {
		status = 2;
	} else if (r < 0) {
		fprintf(stderr, TOOL ": %s: %s\n", verb, t.err.message);
		if (json) {
			struct json_object *obj = json_object_new_object(), *e = json_object_new_object();

			json_object_object_add(e, "code", json_object_new_string(vg_errno_name(t.err.code)));
			json_object_object_add(e, "message", json_object_new_string(t.err.message));
			json_object_object_add(obj, "error", e);
			puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
									 JSON_C_TO_STRING_NOSLASHESCAPE));
			json_object_put(obj);
		}
		status = 1;
	} else {
		if (json) {
			if (!t.out)
				t.out = json_object_new_object();
			puts(json_object_to_json_string_ext(t.out, JSON_C_TO_STRING_PRETTY |
									   JSON_C_TO_STRING_NOSLASHESCAPE));
		}
		status = 0;
	}
	tool_done(&t);
	return status;
}
