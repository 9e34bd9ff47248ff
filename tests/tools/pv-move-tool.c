/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Test front end of the pv move engine (lvm/pv-move.c) on image files or
 * block devices, so shell tests can move data, stop a move as a crash
 * would, resume or abort it, and let stock lvm2 read every checkpoint.
 *
 *   pv-move-tool --devices DEV[,DEV...] VERB ARGS...
 *
 *   move VG SRC [DST...] [--lv LV] [--evacuate] [--chunk-extents N]
 *        [--bandwidth BYTES_PER_S] [--stop-after-chunks N] [--busy LV]...
 *   resume VG [--stop-after-chunks N]
 *   abort VG
 *   status VG               "no move" or "moving LV: M of N chunks, E of T extents"
 *   lv-read VG LV           the LV's bytes, read through the metadata, to stdout
 *   lv-write VG LV          stdin written into the LV through the metadata
 *
 * SRC and DST are device paths. --busy names an LV in use (the daemon knows
 * which are active); its extents are not moved. --stop-after-chunks leaves the move where a
 * crash after that many checkpoints would (exit 0, "stopped after N chunks").
 * Every failure prints the library's message and exits 1; usage errors exit 2.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pv-move.h"
#include "vg-scan.h"
#include "vg-store.h"

#define TOOL "pv-move-tool"

static const struct vg_text_header tool_header = {
	.generator = "vgtool pv-move-tool",
	.description = "Write from pv-move-tool.",
	.creation_host = "pv-move-tool",
	.uname_line = "Linux",
	.creation_time = 0,
};

struct tool {
	struct blockdev **devs;
	char **paths;
	size_t n_devs;
	struct vg_scan_result *scan;
	struct vg_store *store;
	struct vg_error err;
};

static void tool_done(struct tool *t)
{
	vg_store_free(t->store);
	vg_scan_result_free(t->scan);
	for (size_t i = 0; i < t->n_devs; i++) {
		blockdev_close(t->devs[i]);
		free(t->paths[i]);
	}
	free(t->devs);
	free(t->paths);
}

static int open_devices(struct tool *t, const char *list)
{
	_cleanup_free_ char *copy = strdup(list);
	char *save = NULL;
	int r;

	if (!copy)
		return vg_error_set(&t->err, -ENOMEM, "out of memory");
	for (char *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		struct blockdev **devs = realloc(t->devs, (t->n_devs + 1) * sizeof(*devs));
		char **paths = realloc(t->paths, (t->n_devs + 1) * sizeof(*paths));

		if (devs)
			t->devs = devs;
		if (paths)
			t->paths = paths;
		if (!devs || !paths)
			return vg_error_set(&t->err, -ENOMEM, "out of memory");
		r = blockdev_open(p, 0, &t->devs[t->n_devs], &t->err);
		if (r < 0)
			return vg_error_prefix(&t->err, r, "%s: ", p);
		t->paths[t->n_devs] = strdup(p);
		t->n_devs++;
		if (!t->paths[t->n_devs - 1])
			return vg_error_set(&t->err, -ENOMEM, "out of memory");
	}
	return vg_scan(t->devs, t->n_devs, &t->scan, &t->err);
}

static int load_vg(struct tool *t, const char *name)
{
	struct vg_scan_vg *svg = vg_scan_find(t->scan, name);

	if (!svg)
		return vg_error_set(&t->err, -ENOENT, "no VG called %s on the devices", name);
	return vg_store_from_scan(t->scan, svg, &t->store, &t->err);
}

static bool same_file(const char *a, const char *b)
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

/* The PV id on device @path (which must be among --devices and carry a PV label). */
static int pv_id_of(struct tool *t, const char *path, const char **ret_id)
{
	for (size_t i = 0; i < t->scan->n_pvs; i++)
		if (same_file(t->paths[i], path)) {
			if (!t->scan->pvs[i].has_label)
				return vg_error_set(&t->err, -EINVAL, "%s is not a PV", path);
			*ret_id = t->scan->pvs[i].label.pv_uuid;
			return 0;
		}
	return vg_error_set(&t->err, -ENOENT, "%s is not among --devices", path);
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000u), .tv_nsec = (long)(ns % 1000000000u) };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Step @move to the end (or to @stop_after checkpoints), then finish it. */
static int drive(struct tool *t, struct pv_move *move, long stop_after)
{
	struct pv_move_progress progress = { 0 };
	long checkpoints = 0;
	int r;

	pv_move_get_progress(move, &progress);
	while (!progress.copy_done) {
		if (stop_after >= 0 && checkpoints >= stop_after) {
			printf("stopped after %ld chunks: %zu of %zu moved\n", checkpoints, progress.chunks_moved,
			       progress.chunks_total);
			return 0;
		}
		r = pv_move_step(move, &progress, &t->err);
		if (r < 0)
			return r;
		checkpoints += progress.checkpoint;
		if (progress.wait_ns)
			sleep_ns(progress.wait_ns);
	}
	r = pv_move_finish(move, &t->err);
	if (r < 0)
		return r;
	printf("moved %" PRIu64 " extents in %zu chunks\n", progress.extents_total, progress.chunks_total);
	return 0;
}

static int parse_u64(const char *s, const char *what, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end) {
		fprintf(stderr, TOOL ": %s must be a number, not '%s'\n", what, s);
		return -EDOM;
	}
	*ret = v;
	return 0;
}

static int lv_io(struct tool *t, const char *lv_name, bool write)
{
	const struct vg *vg = t->store->vg;
	const struct vg_lv *lv = vg_find_lv(vg, lv_name);
	uint64_t extent_bytes = vg->extent_size_sectors * 512;
	_cleanup_free_ uint8_t *buf = NULL;
	int r;

	if (!lv)
		return vg_error_set(&t->err, -ENOENT, "VG %s has no LV called %s", vg->name, lv_name);
	buf = calloc(1, extent_bytes);
	if (!buf)
		return vg_error_set(&t->err, -ENOMEM, "out of memory");
	for (uint64_t le = 0; le < vg_lv_extents(lv); le++) {
		size_t pv;
		uint64_t pe, off;

		r = pv_move_map_extent(vg, lv, le, &pv, &pe, &t->err);
		if (r < 0)
			return r;
		off = (vg->pvs[pv]->pe_start_sectors + pe * vg->extent_size_sectors) * 512;
		if (write) {
			size_t got = fread(buf, 1, extent_bytes, stdin);

			if (got == 0)
				break;
			memset(buf + got, 0, extent_bytes - got);
			r = blockdev_write(t->store->targets[pv].dev, off, buf, extent_bytes, &t->err);
		} else {
			r = blockdev_read(t->store->targets[pv].dev, off, buf, extent_bytes, &t->err);
			if (r >= 0 && fwrite(buf, 1, extent_bytes, stdout) != extent_bytes)
				r = vg_error_set(&t->err, -EIO, "writing to stdout failed");
		}
		if (r < 0)
			return r;
	}
	for (size_t p = 0; write && p < vg->n_pvs; p++) {
		r = blockdev_flush(t->store->targets[p].dev, &t->err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int run(struct tool *t, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "lv", required_argument, NULL, 'l' },
		{ "evacuate", no_argument, NULL, 'e' },
		{ "chunk-extents", required_argument, NULL, 'c' },
		{ "bandwidth", required_argument, NULL, 'b' },
		{ "stop-after-chunks", required_argument, NULL, 's' },
		{ "busy", required_argument, NULL, 'B' },
		{},
	};
	struct pv_move_request req = { 0 };
	struct pv_move_options opts = { .header = &tool_header };
	_cleanup_(pv_move_plan_freep) struct pv_move_plan *plan = NULL;
	_cleanup_(pv_move_freep) struct pv_move *move = NULL;
	_cleanup_free_ const char **dests = NULL;
	_cleanup_free_ const char **busy = NULL;
	const char *verb, *vg_name;
	uint64_t stop_after = UINT64_MAX;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			req.lv_name = optarg;
			break;
		case 'e':
			req.evacuate = true;
			break;
		case 'c':
			if (parse_u64(optarg, "--chunk-extents", &req.max_chunk_extents) < 0)
				return -EDOM;
			break;
		case 'b':
			if (parse_u64(optarg, "--bandwidth", &opts.bandwidth_bytes_per_second) < 0)
				return -EDOM;
			break;
		case 's':
			if (parse_u64(optarg, "--stop-after-chunks", &stop_after) < 0)
				return -EDOM;
			break;
		case 'B': {
			const char **grown = realloc(busy, (req.n_busy_lvs + 1) * sizeof(*grown));

			if (!grown)
				return vg_error_set(&t->err, -ENOMEM, "out of memory");
			busy = grown;
			busy[req.n_busy_lvs++] = optarg;
			req.busy_lvs = busy;
			break;
		}
		default:
			return -EDOM;
		}
	}
	if (argc - optind < 2) {
		fprintf(stderr, TOOL ": a verb and a VG name are needed\n");
		return -EDOM;
	}
	verb = argv[optind];
	vg_name = argv[optind + 1];
	r = load_vg(t, vg_name);
	if (r < 0)
		return r;

	if (streq(verb, "move")) {
		int n_dests = argc - optind - 3;

		if (n_dests < 0) {
			fprintf(stderr, TOOL ": move needs a source device\n");
			return -EDOM;
		}
		r = pv_id_of(t, argv[optind + 2], &req.source_pv);
		if (r < 0)
			return vg_error_prefix(&t->err, r, "source: ");
		dests = calloc((size_t)n_dests + 1, sizeof(*dests));
		if (!dests)
			return vg_error_set(&t->err, -ENOMEM, "out of memory");
		for (int d = 0; d < n_dests; d++) {
			r = pv_id_of(t, argv[optind + 3 + d], &dests[d]);
			if (r < 0)
				return vg_error_prefix(&t->err, r, "destination: ");
		}
		req.dest_pvs = dests;
		req.n_dest_pvs = (size_t)n_dests;
		r = pv_move_plan(t->store->vg, &req, &plan, &t->err);
		if (r < 0)
			return r;
		r = pv_move_start(t->store, plan, &opts, &move, &t->err);
		if (r < 0)
			return r;
		return drive(t, move, stop_after == UINT64_MAX ? -1 : (long)stop_after);
	}
	if (streq(verb, "resume")) {
		r = pv_move_resume(t->store, &opts, &move, &t->err);
		if (r < 0)
			return r;
		return drive(t, move, stop_after == UINT64_MAX ? -1 : (long)stop_after);
	}
	if (streq(verb, "abort")) {
		r = pv_move_resume(t->store, &opts, &move, &t->err);
		if (r < 0)
			return r;
		r = pv_move_abort(move, &t->err);
		if (r >= 0)
			printf("aborted\n");
		return r;
	}
	if (streq(verb, "status")) {
		struct pv_move_progress progress;

		if (!pv_move_in_progress(t->store->vg)) {
			printf("no move\n");
			return 0;
		}
		r = pv_move_resume(t->store, &opts, &move, &t->err);
		if (r < 0)
			return r;
		pv_move_get_progress(move, &progress);
		printf("moving: %zu of %zu chunks, %" PRIu64 " of %" PRIu64 " extents\n", progress.chunks_moved,
		       progress.chunks_total, progress.extents_moved, progress.extents_total);
		return 0;
	}
	if ((streq(verb, "lv-read") || streq(verb, "lv-write")) && argc - optind == 3)
		return lv_io(t, argv[optind + 2], streq(verb, "lv-write"));
	fprintf(stderr, TOOL ": unknown verb or wrong arguments: %s\n", verb);
	return -EDOM;
}

int main(int argc, char **argv)
{
	struct tool t = { 0 };
	int r;

	if (argc < 3 || !streq(argv[1], "--devices")) {
		fprintf(stderr, "usage: " TOOL " --devices DEV[,DEV...] VERB VG ARGS...\n");
		return 2;
	}
	r = open_devices(&t, argv[2]);
	if (r >= 0)
		r = run(&t, argc - 2, argv + 2);
	if (r == -EDOM) {
		tool_done(&t);
		return 2;
	}
	if (r < 0)
		fprintf(stderr, TOOL ": %s\n", t.err.message[0] ? t.err.message : strerror(-r));
	tool_done(&t);
	return r < 0 ? 1 : 0;
}
