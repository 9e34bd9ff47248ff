/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * struct blockdev: the one door to bytes on a disk. The same code runs on a
 * block device, a regular (image) file, or memory; the memory backend can
 * fail or tear chosen reads and writes so crash safety is testable without
 * pulling a plug.
 *
 * All offsets and lengths are in bytes. Reads and writes are "full": they
 * either transfer every byte or fail with a negative errno (never a short
 * count). Access beyond the end of the device is refused with -ENXIO.
 */
#pragma once

#include <stdbool.h>
#include <inttypes.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "macro.h"

struct blockdev;

struct blockdev_ops {
	int (*read_at)(struct blockdev *dev, void *buf, size_t len, uint64_t offset);
	int (*write_at)(struct blockdev *dev, const void *buf, size_t len, uint64_t offset);
	int (*flush)(struct blockdev *dev);
	void (*release)(struct blockdev *dev);
};

/*
 * Faults for memory devices. Several devices may share one struct, so "the
 * Nth write" counts across all of them: that is how a commit touching many
 * PVs is broken at each of its writes in turn. Numbers are 1-based; 0 means
 * never.
 */
struct blockdev_faults {
	uint64_t reads_done;
	uint64_t writes_done;
	uint64_t flushes_done;

	uint64_t fail_read_at;
	int fail_read_errno; /* positive errno, EIO when 0 */

	uint64_t fail_write_at;
	int fail_write_errno; /* positive errno, EIO when 0 */

	/* The tear_write_at-th write lands only its first tear_keep_bytes, then fails with EIO. */
	uint64_t tear_write_at;
	size_t tear_keep_bytes;
	size_t torn_write_bytes; /* set when the tear fires: the full length of that write */

	/*
	 * Power cut: once a write fault has fired, every later write and flush
	 * fails with EIO and lands nothing, as if the machine had stopped.
	 */
	bool power_cut;
	bool tripped;
};

struct blockdev {
	const struct blockdev_ops *ops;
	char *path; /* as given to open; the name of a memory device */
	uint64_t size_bytes;
	uint32_t logical_block_bytes;
	bool read_only;
	bool is_block_device;
	dev_t rdev; /* major:minor of a block device, 0 otherwise */

	int fd; /* fd backend; -1 otherwise */

	uint8_t *memory; /* memory backend */
	struct blockdev_faults *faults;
};

enum {
	BLOCKDEV_READ_ONLY = 1u << 0,
	/* Block devices: O_EXCL (no mounted fs, no md/dm holder). Files: an exclusive flock. */
	BLOCKDEV_EXCLUSIVE = 1u << 1,
};

/*
 * Open @path (a block device or a regular file). Returns 0 and *ret_dev;
 * -ENOENT/-EACCES/... from open(2); -EBUSY when an exclusive open is refused;
 * -ENOTBLK for anything that is neither a block device nor a regular file.
 */
int blockdev_open(const char *path, unsigned flags, struct blockdev **ret_dev, struct vg_error *err);

/*
 * A zero-filled memory device of @size_bytes. @faults may be NULL; when given
 * it is borrowed and must outlive the device.
 */
int blockdev_open_memory(const char *name, uint64_t size_bytes, uint32_t logical_block_bytes,
			 struct blockdev_faults *faults, struct blockdev **ret_dev);

/* Release everything; accepts NULL; returns NULL. */
struct blockdev *blockdev_close(struct blockdev *dev);
DEFINE_CLEANUP_FUNC(struct blockdev, blockdev_close)

int blockdev_read(struct blockdev *dev, uint64_t offset, void *buf, size_t len, struct vg_error *err);
int blockdev_write(struct blockdev *dev, uint64_t offset, const void *buf, size_t len,
		   struct vg_error *err);
/* Read into a new buffer the caller frees. */
int blockdev_read_alloc(struct blockdev *dev, uint64_t offset, size_t len, void **ret_buf,
			struct vg_error *err);
/* Write zeros over [offset, offset + len). */
int blockdev_zero(struct blockdev *dev, uint64_t offset, uint64_t len, struct vg_error *err);
/* Make written data durable (fdatasync). */
int blockdev_flush(struct blockdev *dev, struct vg_error *err);
/*
 * Run @fn(@ctx, i, err) for each device devs[i]: when every device is a
 * file or disk, all at the same time (one thread each, threads kept
 * between calls), so that n devices cost about one device's writes and
 * flush of wall time, not n; every job is waited for and the first
 * failure in device order is returned with its message. Otherwise
 * (memory devices) in order on the caller's thread, up to the first
 * failure. Jobs of different devices must not share anything they change.
 */
typedef int blockdev_job_fn(void *ctx, size_t index, struct vg_error *err);
int blockdev_run_all(struct blockdev *const *devs, size_t n, blockdev_job_fn *fn, void *ctx, struct vg_error *err);
/* blockdev_flush() of every device of @devs, through blockdev_run_all(). */
int blockdev_flush_all(struct blockdev *const *devs, size_t n, struct vg_error *err);

/* Read the size again (an image file grew, a disk was resized). Memory devices keep theirs. */
int blockdev_refresh_size(struct blockdev *dev, struct vg_error *err);

/* The bytes of a memory device (NULL for other backends), for tests to inspect or save. */
uint8_t *blockdev_memory_bytes(struct blockdev *dev);
