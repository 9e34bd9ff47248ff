/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The two blockdev backends: a file descriptor (block devices and image
 * files) and memory with fault injection. Bounds and read-only checks live in
 * the generic wrappers so the backends only move bytes.
 */
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "blockdev.h"

/* ---- file-descriptor backend ---- */

static int fd_read_at(struct blockdev *dev, void *buf, size_t len, uint64_t offset)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = pread(dev->fd, p, len, (off_t)offset);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO; /* the file shrank under us */
		p += n;
		len -= (size_t)n;
		offset += (uint64_t)n;
	}
	return 0;
}

static int fd_write_at(struct blockdev *dev, const void *buf, size_t len, uint64_t offset)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = pwrite(dev->fd, p, len, (off_t)offset);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
		offset += (uint64_t)n;
	}
	return 0;
}

static int fd_flush(struct blockdev *dev)
{
	if (fdatasync(dev->fd) < 0)
		return -errno;
	return 0;
}

static void fd_release(struct blockdev *dev)
{
	if (dev->fd >= 0)
		close(dev->fd);
	dev->fd = -1;
}

static const struct blockdev_ops fd_ops = {
	.read_at = fd_read_at,
	.write_at = fd_write_at,
	.flush = fd_flush,
	.release = fd_release,
};

int blockdev_open(const char *path, unsigned flags, struct blockdev **ret_dev, struct vg_error *err)
{
	_cleanup_(blockdev_closep) struct blockdev *dev = NULL;
	bool read_only = flags & BLOCKDEV_READ_ONLY;
	struct stat st;
	int open_flags = (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC;

	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return vg_error_set(err, -ENOMEM, "%s: out of memory", path);
	dev->fd = -1;
	dev->ops = &fd_ops;
	dev->read_only = read_only;
	dev->path = strdup(path);
	if (!dev->path)
		return vg_error_set(err, -ENOMEM, "%s: out of memory", path);

	if (stat(path, &st) < 0)
		return vg_error_set(err, -errno, "%s: %m", path);
	if (S_ISBLK(st.st_mode)) {
		dev->is_block_device = true;
		dev->rdev = st.st_rdev;
		if (flags & BLOCKDEV_EXCLUSIVE)
			open_flags |= O_EXCL;
	} else if (!S_ISREG(st.st_mode)) {
		return vg_error_set(err, -ENOTBLK, "%s: neither a block device nor a regular file", path);
	}

	dev->fd = open(path, open_flags);
	if (dev->fd < 0) {
		if (errno == EBUSY)
			return vg_error_set(err, -EBUSY,
					    "%s: in use (mounted, part of an md array or device-mapper device, or open exclusively elsewhere)",
					    path);
		return vg_error_set(err, -errno, "%s: cannot open: %m", path);
	}

	if (dev->is_block_device) {
		uint64_t size = 0;
		int block = 0;

		if (ioctl(dev->fd, BLKGETSIZE64, &size) < 0)
			return vg_error_set(err, -errno, "%s: cannot read the device size: %m", path);
		if (ioctl(dev->fd, BLKSSZGET, &block) < 0)
			return vg_error_set(err, -errno, "%s: cannot read the logical block size: %m", path);
		dev->size_bytes = size;
		dev->logical_block_bytes = (uint32_t)block;
	} else {
		if (flags & BLOCKDEV_EXCLUSIVE) {
			if (flock(dev->fd, LOCK_EX | LOCK_NB) < 0) {
				if (errno == EWOULDBLOCK)
					return vg_error_set(err, -EBUSY, "%s: in use by another program", path);
				return vg_error_set(err, -errno, "%s: cannot lock: %m", path);
			}
		}
		if (fstat(dev->fd, &st) < 0)
			return vg_error_set(err, -errno, "%s: %m", path);
		dev->size_bytes = (uint64_t)st.st_size;
		dev->logical_block_bytes = 512;
	}

	*ret_dev = TAKE_PTR(dev);
	return 0;
}

/* ---- memory backend ---- */

static int fault_errno(int e)
{
	return -(e > 0 ? e : EIO);
}

static int mem_read_at(struct blockdev *dev, void *buf, size_t len, uint64_t offset)
{
	struct blockdev_faults *f = dev->faults;

	if (f) {
		f->reads_done++;
		if (f->fail_read_at && f->reads_done == f->fail_read_at)
			return fault_errno(f->fail_read_errno);
	}
	memcpy(buf, dev->memory + offset, len);
	return 0;
}

static int mem_write_at(struct blockdev *dev, const void *buf, size_t len, uint64_t offset)
{
	struct blockdev_faults *f = dev->faults;

	if (f) {
		if (f->power_cut && f->tripped)
			return -EIO;
		f->writes_done++;
		if (f->fail_write_at && f->writes_done == f->fail_write_at) {
			f->tripped = true;
			return fault_errno(f->fail_write_errno);
		}
		if (f->tear_write_at && f->writes_done == f->tear_write_at) {
			f->tripped = true;
			f->torn_write_bytes = len;
			memcpy(dev->memory + offset, buf, MIN(len, f->tear_keep_bytes));
			return -EIO;
		}
	}
	memcpy(dev->memory + offset, buf, len);
	return 0;
}

static int mem_flush(struct blockdev *dev)
{
	struct blockdev_faults *f = dev->faults;

	if (f) {
		if (f->power_cut && f->tripped)
			return -EIO;
		f->flushes_done++;
	}
	return 0;
}

static void mem_release(struct blockdev *dev)
{
	free(dev->memory);
	dev->memory = NULL;
}

static const struct blockdev_ops memory_ops = {
	.read_at = mem_read_at,
	.write_at = mem_write_at,
	.flush = mem_flush,
	.release = mem_release,
};

int blockdev_open_memory(const char *name, uint64_t size_bytes, uint32_t logical_block_bytes,
			 struct blockdev_faults *faults, struct blockdev **ret_dev)
{
	_cleanup_(blockdev_closep) struct blockdev *dev = NULL;

	if (size_bytes > SIZE_MAX || logical_block_bytes == 0)
		return -EINVAL;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	dev->fd = -1;
	dev->ops = &memory_ops;
	dev->path = strdup(name);
	dev->memory = calloc(1, size_bytes ? (size_t)size_bytes : 1);
	if (!dev->path || !dev->memory)
		return -ENOMEM;
	dev->size_bytes = size_bytes;
	dev->logical_block_bytes = logical_block_bytes;
	dev->faults = faults;
	*ret_dev = TAKE_PTR(dev);
	return 0;
}

int blockdev_refresh_size(struct blockdev *dev, struct vg_error *err)
{
	struct stat st;
	uint64_t size = 0;

	if (dev->fd < 0)
		return 0;
	if (dev->is_block_device) {
		if (ioctl(dev->fd, BLKGETSIZE64, &size) < 0)
			return vg_error_set(err, -errno, "%s: cannot read the device size: %m", dev->path);
	} else {
		if (fstat(dev->fd, &st) < 0)
			return vg_error_set(err, -errno, "%s: %m", dev->path);
		size = (uint64_t)st.st_size;
	}
	dev->size_bytes = size;
	return 0;
}

uint8_t *blockdev_memory_bytes(struct blockdev *dev)
{
	return dev->ops == &memory_ops ? dev->memory : NULL;
}

/* ---- generic wrappers ---- */

struct blockdev *blockdev_close(struct blockdev *dev)
{
	if (!dev)
		return NULL;
	if (dev->ops && dev->ops->release)
		dev->ops->release(dev);
	free(dev->path);
	free(dev);
	return NULL;
}

static int check_range(struct blockdev *dev, uint64_t offset, uint64_t len, const char *what,
		       struct vg_error *err)
{
	uint64_t end;

	if (ADD_OVERFLOWS(offset, len, &end) || end > dev->size_bytes)
		return vg_error_set(err, -ENXIO,
				    "%s: %s of %" PRIu64 " bytes at offset %" PRIu64
				    " lies beyond the end of the device (%" PRIu64 " bytes)",
				    dev->path, what, len, offset, dev->size_bytes);
	return 0;
}

int blockdev_read(struct blockdev *dev, uint64_t offset, void *buf, size_t len, struct vg_error *err)
{
	int r;

	r = check_range(dev, offset, len, "read", err);
	if (r < 0)
		return r;
	r = dev->ops->read_at(dev, buf, len, offset);
	if (r < 0)
		return vg_error_set(err, r, "%s: read of %zu bytes at offset %" PRIu64 " failed: %s",
				    dev->path, len, offset, strerror(-r));
	return 0;
}

int blockdev_write(struct blockdev *dev, uint64_t offset, const void *buf, size_t len,
		   struct vg_error *err)
{
	int r;

	if (dev->read_only)
		return vg_error_set(err, -EROFS, "%s: opened read-only, refusing to write", dev->path);
	r = check_range(dev, offset, len, "write", err);
	if (r < 0)
		return r;
	r = dev->ops->write_at(dev, buf, len, offset);
	if (r < 0)
		return vg_error_set(err, r, "%s: write of %zu bytes at offset %" PRIu64 " failed: %s",
				    dev->path, len, offset, strerror(-r));
	return 0;
}

int blockdev_read_alloc(struct blockdev *dev, uint64_t offset, size_t len, void **ret_buf,
			struct vg_error *err)
{
	_cleanup_free_ void *buf = NULL;
	int r;

	r = check_range(dev, offset, len, "read", err);
	if (r < 0)
		return r;
	buf = malloc(len ? len : 1);
	if (!buf)
		return vg_error_set(err, -ENOMEM, "%s: out of memory reading %zu bytes", dev->path, len);
	r = blockdev_read(dev, offset, buf, len, err);
	if (r < 0)
		return r;
	*ret_buf = TAKE_PTR(buf);
	return 0;
}

int blockdev_zero(struct blockdev *dev, uint64_t offset, uint64_t len, struct vg_error *err)
{
	static const uint8_t zeros[65536];
	int r;

	r = check_range(dev, offset, len, "zeroing", err);
	if (r < 0)
		return r;
	while (len > 0) {
		size_t chunk = (size_t)MIN(len, (uint64_t)sizeof(zeros));

		r = blockdev_write(dev, offset, zeros, chunk, err);
		if (r < 0)
			return r;
		offset += chunk;
		len -= chunk;
	}
	return 0;
}

int blockdev_flush(struct blockdev *dev, struct vg_error *err)
{
	int r;

	if (dev->read_only)
		return 0;
	r = dev->ops->flush(dev);
	if (r < 0)
		return vg_error_set(err, r, "%s: flush failed: %s", dev->path, strerror(-r));
	return 0;
}

struct device_job {
	struct device_job *next; /* in the pool's queue */
	blockdev_job_fn *fn;
	void *ctx;
	size_t index;
	struct vg_error err;
	int result;
	bool done;      /* set under the pool's lock for a queued job */
	bool by_caller; /* run by the calling thread itself */
};

/*
 * Threads that run the jobs of blockdev_run_all(), started on first need
 * and kept: starting a thread per device and round cost more than a fast
 * flush. Every queued job has a free thread promised to it (`free_threads`
 * counts those not promised yet), so a job never waits for another's.
 */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t work; /* a job was queued */
	pthread_cond_t done; /* a job finished */
	struct device_job *queue;
	size_t free_threads;
} job_pool = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0 };

static int device_job_run(struct device_job *job)
{
	return job->fn(job->ctx, job->index, &job->err);
}

static void *job_thread_run(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&job_pool.lock);
	for (;;) {
		struct device_job *job;

		while (!job_pool.queue)
			pthread_cond_wait(&job_pool.work, &job_pool.lock);
		job = job_pool.queue;
		job_pool.queue = job->next;
		pthread_mutex_unlock(&job_pool.lock);
		int result = device_job_run(job);
		pthread_mutex_lock(&job_pool.lock);
		job->result = result;
		job->done = true;
		job_pool.free_threads++;
		pthread_cond_broadcast(&job_pool.done);
	}
	return NULL;
}

/* A child of fork() has none of the pool's threads. */
static void job_pool_forget(void)
{
	pthread_mutex_init(&job_pool.lock, NULL);
	pthread_cond_init(&job_pool.work, NULL);
	pthread_cond_init(&job_pool.done, NULL);
	job_pool.queue = NULL;
	job_pool.free_threads = 0;
}

static void job_pool_register_fork(void)
{
	pthread_atfork(NULL, NULL, job_pool_forget);
}

/* Queue @job for a pool thread (the lock held); false when no thread is free and none can be started. */
static bool job_pool_queue(struct device_job *job)
{
	static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

	pthread_once(&fork_once, job_pool_register_fork);
	if (job_pool.free_threads == 0) {
		pthread_attr_t attr;
		pthread_t thread;
		bool started;

		if (pthread_attr_init(&attr) != 0)
			return false;
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		started = pthread_create(&thread, &attr, job_thread_run, NULL) == 0;
		pthread_attr_destroy(&attr);
		if (!started)
			return false;
		job_pool.free_threads++;
	}
	job_pool.free_threads--;
	job->next = job_pool.queue;
	job_pool.queue = job;
	pthread_cond_signal(&job_pool.work);
	return true;
}

int blockdev_run_all(struct blockdev *const *devs, size_t n, blockdev_job_fn *fn, void *ctx, struct vg_error *err)
{
	_cleanup_free_ struct device_job *jobs = NULL;
	bool parallel = n > 1;
	int r = 0;

	/*
	 * Memory devices share one fault counter and gain nothing from
	 * threads; their jobs in turn keep their fault order exact.
	 */
	for (size_t i = 0; i < n && parallel; i++)
		if (devs[i]->ops != &fd_ops)
			parallel = false;
	if (parallel)
		jobs = calloc(n, sizeof(*jobs));
	if (!jobs) {
		for (size_t i = 0; i < n; i++) {
			r = fn(ctx, i, err);
			if (r < 0)
				return r;
		}
		return 0;
	}

	/* The caller's thread takes the first device (and any no pool thread could take). */
	pthread_mutex_lock(&job_pool.lock);
	for (size_t i = 0; i < n; i++) {
		jobs[i] = (struct device_job){ .fn = fn, .ctx = ctx, .index = i };
		jobs[i].by_caller = i == 0 || !job_pool_queue(&jobs[i]);
	}
	pthread_mutex_unlock(&job_pool.lock);
	for (size_t i = 0; i < n; i++)
		if (jobs[i].by_caller)
			jobs[i].result = device_job_run(&jobs[i]);
	pthread_mutex_lock(&job_pool.lock);
	for (size_t i = 0; i < n; i++)
		if (jobs[i].by_caller)
			jobs[i].done = true;
	for (size_t i = 0; i < n; i++)
		while (!jobs[i].done)
			pthread_cond_wait(&job_pool.done, &job_pool.lock);
	pthread_mutex_unlock(&job_pool.lock);
	for (size_t i = 0; i < n; i++)
		if (jobs[i].result < 0) {
			if (err)
				*err = jobs[i].err;
			return jobs[i].result;
		}
	return 0;
}

static int flush_one(void *ctx, size_t i, struct vg_error *err)
{
	struct blockdev *const *devs = ctx;

	return blockdev_flush(devs[i], err);
}

int blockdev_flush_all(struct blockdev *const *devs, size_t n, struct vg_error *err)
{
	return blockdev_run_all(devs, n, flush_one, (void *)devs, err);
}
