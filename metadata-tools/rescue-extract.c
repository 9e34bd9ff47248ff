/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `vgrescue extract VG/LV --to FILE|- DEV...`: copy an LV's bytes out of raw
 * devices or mirror legs with no device-mapper: every segment in order,
 * striped ones chunk by chunk round-robin over their stripes (stripe_size
 * chunks, as dm-stripe lays them out). When a mirror has two fresh legs
 * present, each chunk is read from both and compared, so a silent
 * divergence is reported (the first leg's bytes are written). The output is
 * refused when it is one of the input devices. With --json the report (every
 * piece read: segment, stripe, device, byte range, the legs it was compared
 * with and how many chunks differed) goes to standard output, so it needs a
 * FILE, not "-".
 */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "rescue-model.h"
#include "rescue.h"

#define EXTRACT_CHUNK_BYTES (1u << 20)

struct extract_state {
	const struct rescue_model *model;
	int out_fd;
	const char *out_name;
	uint8_t *buf, *cmp;
	uint64_t mismatches;
	uint64_t compare_read_errors;
	uint64_t compared_bytes; /* bytes read from a second fresh leg and compared */
	uint64_t written;
	struct json_object *jreads; /* NULL without --json */
};

static int write_all(struct extract_state *st, const uint8_t *buf, size_t len, struct vg_error *err)
{
	while (len) {
		ssize_t n = write(st->out_fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return vg_error_set(err, -errno, "%s: write at byte %" PRIu64 ": %m", st->out_name, st->written);
		}
		buf += n;
		len -= (size_t)n;
		st->written += (uint64_t)n;
	}
	return 0;
}

/* Copy @len bytes at @offset of the PV held by @h to the output, comparing fresh legs. */
static int copy_range(struct extract_state *st, const struct rescue_home *h, uint64_t offset, uint64_t len,
		      struct vg_error *err)
{
	while (len) {
		size_t n = (size_t)MIN(len, (uint64_t)EXTRACT_CHUNK_BYTES);
		const struct rescue_device *first = &st->model->devices[h->readers[0]];
		int r;

		r = blockdev_read(first->dev, offset, st->buf, n, err);
		if (r < 0)
			return vg_error_prefix(err, r, "%s: reading %zu bytes at %" PRIu64, first->path, n, offset);
		for (size_t k = 1; k < h->n_readers; k++) {
			const struct rescue_device *other = &st->model->devices[h->readers[k]];

			r = blockdev_read(other->dev, offset, st->cmp, n, err);
			if (r < 0) {
				rescue_error("%s: reading %zu bytes at %" PRIu64 " for comparison: %s", other->path, n,
					     offset, err->message);
				st->compare_read_errors++;
				continue;
			}
			st->compared_bytes += n;
			if (memcmp(st->buf, st->cmp, n)) {
				size_t at = 0;

				while (at < n && st->buf[at] == st->cmp[at])
					at++;
				st->mismatches++;
				rescue_error("mirror legs differ: %s and %s at byte %" PRIu64
					     " (in the chunk %" PRIu64 "+%zu); %s's bytes are used",
					     first->path, other->path, offset + at, offset, n, first->path);
			}
		}
		r = write_all(st, st->buf, n, err);
		if (r < 0)
			return r;
		offset += n;
		len -= n;
	}
	return 0;
}

/* The report of one stripe of one segment: where it was read and how it compared. */
static struct json_object *piece_json(const struct extract_state *st, const struct vg *vg,
				      const struct vg_segment *seg, size_t s, uint32_t k,
				      const struct rescue_home *h, uint64_t offset, uint64_t length,
				      uint64_t mismatches)
{
	struct json_object *o = json_object_new_object(), *compared = json_object_new_array();

	json_object_object_add(o, "segment", rescue_json_u64(s + 1));
	json_object_object_add(o, "stripe", rescue_json_u64(k));
	json_object_object_add(o, "pv", json_object_new_string(vg->pvs[seg->stripes[k].pv_index]->key));
	json_object_object_add(o, "device", json_object_new_string(st->model->devices[h->readers[0]].path));
	json_object_object_add(o, "mirror", h->mirror >= 0
		? json_object_new_string(rescue_mirror_name(&st->model->mirrors[h->mirror])) : NULL);
	json_object_object_add(o, "stale_only", json_object_new_boolean(h->stale_only));
	json_object_object_add(o, "offset_bytes", rescue_json_u64(offset));
	json_object_object_add(o, "length_bytes", rescue_json_u64(length));
	json_object_object_add(o, "chunk_bytes", rescue_json_u64(seg->stripe_count > 1
		? seg->stripe_size_sectors * 512 : length));
	for (size_t r = 1; r < h->n_readers; r++)
		json_object_array_add(compared, json_object_new_string(st->model->devices[h->readers[r]].path));
	json_object_object_add(o, "compared_with", compared);
	json_object_object_add(o, "mismatched_chunks", rescue_json_u64(mismatches));
	return o;
}

static int extract_lv(struct extract_state *st, const struct rescue_vg *rvg, const struct vg_lv *lv,
		      struct vg_error *err)
{
	const struct vg *vg = rvg->vg;
	uint64_t ext_bytes = vg->extent_size_sectors * 512;

	for (size_t s = 0; s < lv->n_segments; s++) {
		const struct vg_segment *seg = lv->segments[s];
		uint64_t area_bytes = seg->extent_count / seg->stripe_count * ext_bytes;
		uint64_t chunk = seg->stripe_count > 1 ? seg->stripe_size_sectors * 512 : area_bytes;
		uint64_t rows = area_bytes / chunk; /* rescue_lv_check: chunk divides area_bytes */
		uint64_t base[seg->stripe_count], mismatches[seg->stripe_count];
		int r;

		for (uint32_t k = 0; k < seg->stripe_count; k++) {
			r = rescue_pe_offset(vg, vg->pvs[seg->stripes[k].pv_index], seg->stripes[k].first_pe,
					     &base[k], err);
			if (r < 0)
				return r;
			mismatches[k] = 0;
		}
		for (uint64_t row = 0; row < rows; row++)
			for (uint32_t k = 0; k < seg->stripe_count; k++) {
				uint64_t before = st->mismatches;

				r = copy_range(st, &rvg->homes[seg->stripes[k].pv_index], base[k] + row * chunk,
					       chunk, err);
				if (r < 0)
					return vg_error_prefix(err, r, "LV %s/%s segment %zu stripe %u", vg->name,
							       lv->name, s + 1, k);
				mismatches[k] += st->mismatches - before;
			}
		for (uint32_t k = 0; st->jreads && k < seg->stripe_count; k++)
			json_object_array_add(st->jreads,
					      piece_json(st, vg, seg, s, k, &rvg->homes[seg->stripes[k].pv_index],
							 base[k], area_bytes, mismatches[k]));
	}
	return 0;
}

/* The output must not be one of the inputs: same inode, or the same block device. */
static int check_output(const struct rescue_model *model, const struct stat *out, const char *name,
			struct vg_error *err)
{
	for (size_t i = 0; i < model->n_devices; i++) {
		struct stat in;

		if (stat(model->devices[i].path, &in) < 0)
			continue;
		if ((in.st_dev == out->st_dev && in.st_ino == out->st_ino) ||
		    (S_ISBLK(in.st_mode) && S_ISBLK(out->st_mode) && in.st_rdev == out->st_rdev))
			return vg_error_set(err, -EINVAL, "%s: refusing to write the output onto input device %s",
					    name, model->devices[i].path);
	}
	return 0;
}

/*
 * How far the bytes written are vouched for: "legs-agree" when every byte
 * was read from two fresh legs and they matched, "single-copy" when there
 * was only one place to read from, "partly-compared" in between,
 * "legs-differ" when a comparison failed, "read-failed" when the copy
 * stopped.
 */
static const char *verification_status(const struct extract_state *st, uint64_t lv_bytes, const char *error)
{
	if (error)
		return "read-failed";
	if (st->mismatches)
		return "legs-differ";
	if (st->compared_bytes == lv_bytes && !st->compare_read_errors)
		return "legs-agree";
	return st->compared_bytes ? "partly-compared" : "single-copy";
}

/* The report of --json: the LV, the output, every piece read and how the legs compared. */
static struct json_object *report_json(const struct extract_state *st, const struct rescue_vg *rvg,
				       const struct vg_lv *lv, struct json_object *jreads, const char *error)
{
	struct json_object *o = json_object_new_object(), *verification = json_object_new_object();
	uint64_t lv_bytes = vg_lv_extents(lv) * rvg->vg->extent_size_sectors * 512;

	json_object_object_add(o, "vg", json_object_new_string(rvg->vg->name));
	json_object_object_add(o, "lv", json_object_new_string(lv->name));
	json_object_object_add(o, "seqno", rescue_json_u64(rvg->vg->seqno));
	json_object_object_add(o, "to", json_object_new_string(st->out_name));
	json_object_object_add(o, "size_bytes", rescue_json_u64(lv_bytes));
	json_object_object_add(o, "bytes_written", rescue_json_u64(st->written));
	json_object_object_add(o, "reads", json_object_get(jreads));
	json_object_object_add(verification, "compared_bytes", rescue_json_u64(st->compared_bytes));
	json_object_object_add(verification, "mismatched_chunks", rescue_json_u64(st->mismatches));
	json_object_object_add(verification, "compare_read_errors", rescue_json_u64(st->compare_read_errors));
	json_object_object_add(verification, "status", json_object_new_string(verification_status(st, lv_bytes, error)));
	json_object_object_add(o, "verification", verification);
	json_object_object_add(o, "error", error ? json_object_new_string(error) : NULL);
	return o;
}

/* Open the output for writing, refusing any of the input devices (before O_TRUNC could destroy one). */
static int open_output(const struct rescue_model *model, const char *to, int *ret_fd, struct vg_error *err)
{
	_cleanup_close_ int fd = -1;
	struct stat out = { 0 };
	int r;

	if (streq(to, "-")) {
		fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
		if (fd < 0)
			return vg_error_set(err, -errno, "standard output: %m");
	} else {
		if (stat(to, &out) == 0 && (r = check_output(model, &out, to, err)) < 0)
			return r;
		fd = open(to, O_WRONLY | O_CREAT | O_CLOEXEC | (S_ISBLK(out.st_mode) ? 0 : O_TRUNC), 0644);
		if (fd < 0)
			return vg_error_set(err, -errno, "%s: cannot open for writing: %m", to);
	}
	/* Again on what was opened: a path swapped in between, or stdout redirected onto an input. */
	if (fstat(fd, &out) < 0)
		return vg_error_set(err, -errno, "%s: %m", to);
	r = check_output(model, &out, to, err);
	if (r < 0)
		return r;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int rescue_extract(int argc, char **argv)
{
	static const struct option options[] = {
		{ "to", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	_cleanup_(rescue_model_freep) struct rescue_model *model = NULL;
	_cleanup_(json_object_putp) struct json_object *jreads = NULL;
	_cleanup_free_ uint8_t *buf = NULL, *cmp = NULL;
	_cleanup_close_ int fd = -1;
	struct extract_state st = { 0 };
	struct vg_error err = { 0 };
	const char *to = NULL;
	struct rescue_vg *rvg;
	struct vg_lv *lv;
	bool json = false;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
		switch (c) {
		case 't':
			to = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			printf("Usage: vgrescue extract [--json] VG/LV --to FILE|- DEVICE...\n");
			return RESCUE_EXIT_OK;
		default:
			return RESCUE_EXIT_USAGE;
		}
	}
	if (!to || argc - optind < 1) {
		rescue_error("extract: usage: vgrescue extract [--json] VG/LV --to FILE|- [DEVICE...]");
		return RESCUE_EXIT_USAGE;
	}
	if (json && streq(to, "-")) {
		rescue_error("extract: --json prints the report on standard output: give --to FILE, not -");
		return RESCUE_EXIT_USAGE;
	}
	if (rescue_model_build(argv + optind + 1, (size_t)(argc - optind - 1), NULL, &model, &err) < 0 ||
	    rescue_model_lv(model, argv[optind], &rvg, &lv, &err) < 0) {
		rescue_error("%s", err.message);
		return RESCUE_EXIT_PROBLEM;
	}
	for (size_t p = 0; p < rvg->vg->n_pvs; p++)
		if (rvg->homes[p].stale_only)
			rescue_error("warning: %s is read from a STALE leg of mirror %s", rvg->vg->pvs[p]->key,
				     rescue_mirror_name(&model->mirrors[rvg->homes[p].mirror]));

	if (open_output(model, to, &fd, &err) < 0) {
		rescue_error("%s", err.message);
		return RESCUE_EXIT_PROBLEM;
	}
	buf = malloc(EXTRACT_CHUNK_BYTES);
	cmp = malloc(EXTRACT_CHUNK_BYTES);
	jreads = json ? json_object_new_array() : NULL;
	if (!buf || !cmp || (json && !jreads)) {
		rescue_error("out of memory");
		return RESCUE_EXIT_PROBLEM;
	}
	st = (struct extract_state){ .model = model, .out_fd = fd, .out_name = streq(to, "-") ? "standard output" : to,
				     .buf = buf, .cmp = cmp, .jreads = jreads };
	r = extract_lv(&st, rvg, lv, &err);
	if (r == 0 && fsync(fd) < 0 && errno != EINVAL && errno != EROFS)
		r = vg_error_set(&err, -errno, "%s: %m", st.out_name);
	if (r < 0)
		rescue_error("%s", err.message);
	else
		fprintf(stderr, "vgrescue: %s/%s: %" PRIu64 " bytes written to %s\n", rvg->vg->name, lv->name,
			st.written, st.out_name);
	if (r == 0 && st.mismatches)
		rescue_error("%" PRIu64 " chunk(s) differ between fresh mirror legs", st.mismatches);
	if (json)
		rescue_print_json(report_json(&st, rvg, lv, jreads, r < 0 ? err.message : NULL));
	return r < 0 || st.mismatches ? RESCUE_EXIT_PROBLEM : RESCUE_EXIT_OK;
}
