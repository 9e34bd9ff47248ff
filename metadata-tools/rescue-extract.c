/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `vgrescue extract VG/LV --to FILE|- DEV...`: copy an LV's bytes out of raw
 * devices or mirror legs with no device-mapper: every segment in order,
 * striped ones chunk by chunk round-robin over their stripes (stripe_size
 * chunks, as dm-stripe lays them out). When a mirror has two fresh legs
 * present, each chunk is read from both and compared, so a silent
 * divergence is reported (the first leg's bytes are written). The output is
 * refused when it is one of the input devices.
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
	uint64_t written;
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
				continue;
			}
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
		uint64_t base[seg->stripe_count];
		int r;

		for (uint32_t k = 0; k < seg->stripe_count; k++) {
			r = rescue_pe_offset(vg, vg->pvs[seg->stripes[k].pv_index], seg->stripes[k].first_pe,
					     &base[k], err);
			if (r < 0)
				return r;
		}
		for (uint64_t row = 0; row < rows; row++)
			for (uint32_t k = 0; k < seg->stripe_count; k++) {
				r = copy_range(st, &rvg->homes[seg->stripes[k].pv_index], base[k] + row * chunk,
					       chunk, err);
				if (r < 0)
					return vg_error_prefix(err, r, "LV %s/%s segment %zu stripe %u", vg->name,
							       lv->name, s + 1, k);
			}
	}
	return 0;
}

/* The output must not be one of the inputs: same inode, or the same block device. */
static int check_output(const struct rescue_model *model, int fd, const char *name, struct vg_error *err)
{
	struct stat out;

	if (fstat(fd, &out) < 0)
		return vg_error_set(err, -errno, "%s: %m", name);
	for (size_t i = 0; i < model->n_devices; i++) {
		struct stat in;

		if (stat(model->devices[i].path, &in) < 0)
			continue;
		if ((in.st_dev == out.st_dev && in.st_ino == out.st_ino) ||
		    (S_ISBLK(in.st_mode) && S_ISBLK(out.st_mode) && in.st_rdev == out.st_rdev))
			return vg_error_set(err, -EINVAL, "refusing to write the output onto input device %s",
					    model->devices[i].path);
	}
	return 0;
}

int rescue_extract(int argc, char **argv)
{
	static const struct option options[] = {
		{ "to", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	_cleanup_(rescue_model_freep) struct rescue_model *model = NULL;
	_cleanup_free_ uint8_t *buf = NULL, *cmp = NULL;
	_cleanup_close_ int fd = -1;
	struct extract_state st = { 0 };
	struct vg_error err = { 0 };
	const char *to = NULL;
	struct rescue_vg *rvg;
	struct vg_lv *lv;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
		switch (c) {
		case 't':
			to = optarg;
			break;
		case 'h':
			printf("Usage: vgrescue extract VG/LV --to FILE|- DEVICE...\n");
			return RESCUE_EXIT_OK;
		default:
			return RESCUE_EXIT_USAGE;
		}
	}
	if (!to || argc - optind < 1) {
		rescue_error("extract: usage: vgrescue extract VG/LV --to FILE|- [DEVICE...]");
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

	if (streq(to, "-")) {
		fd = dup(STDOUT_FILENO);
		to = "standard output";
		if (fd >= 0 && fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
			fd = -1;
	} else {
		/* Check before opening: O_TRUNC on an input image would destroy what we came to save. */
		struct stat out = { 0 };

		if (stat(to, &out) == 0) {
			for (size_t i = 0; i < model->n_devices; i++) {
				struct stat in;

				if (stat(model->devices[i].path, &in) == 0 &&
				    ((in.st_dev == out.st_dev && in.st_ino == out.st_ino) ||
				     (S_ISBLK(in.st_mode) && S_ISBLK(out.st_mode) && in.st_rdev == out.st_rdev))) {
					rescue_error("refusing to write the output onto input device %s",
						     model->devices[i].path);
					return RESCUE_EXIT_PROBLEM;
				}
			}
		}
		fd = open(to, O_WRONLY | O_CREAT | O_CLOEXEC | (S_ISBLK(out.st_mode) ? 0 : O_TRUNC), 0644);
	}
	if (fd < 0) {
		rescue_error("%s: cannot open for writing: %m", to);
		return RESCUE_EXIT_PROBLEM;
	}
	if (check_output(model, fd, to, &err) < 0) {
		rescue_error("%s", err.message);
		return RESCUE_EXIT_PROBLEM;
	}
	buf = malloc(EXTRACT_CHUNK_BYTES);
	cmp = malloc(EXTRACT_CHUNK_BYTES);
	if (!buf || !cmp) {
		rescue_error("out of memory");
		return RESCUE_EXIT_PROBLEM;
	}
	st = (struct extract_state){ .model = model, .out_fd = fd, .out_name = to, .buf = buf, .cmp = cmp };
	r = extract_lv(&st, rvg, lv, &err);
	if (r < 0) {
		rescue_error("%s", err.message);
		return RESCUE_EXIT_PROBLEM;
	}
	if (fd >= 0 && fsync(fd) < 0 && errno != EINVAL && errno != EROFS) {
		rescue_error("%s: %m", to);
		return RESCUE_EXIT_PROBLEM;
	}
	fprintf(stderr, "vgrescue: %s/%s: %" PRIu64 " bytes written to %s%s\n", rvg->vg->name, lv->name, st.written,
		to, st.mismatches ? "" : "");
	if (st.mismatches) {
		rescue_error("%" PRIu64 " chunk(s) differ between fresh mirror legs", st.mismatches);
		return RESCUE_EXIT_PROBLEM;
	}
	return RESCUE_EXIT_OK;
}
