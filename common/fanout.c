/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Independent items of work spread over forked worker processes (see fanout.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fanout.h"

#define FANOUT_MAX_WORKERS 8

/* What a worker writes per item: this header, then @message_len bytes of message. */
struct report_header {
	uint64_t item;
	int32_t r;
	uint32_t message_len;
};

struct worker {
	pid_t pid;
	int fd;        /* read end of the worker's pipe; -1 once at its end */
	uint8_t *buf;  /* what it wrote, parsed after it ends */
	size_t len, cap;
};

unsigned fanout_workers(size_t n_items, size_t min_items_per_worker)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n = cpus > 0 ? (size_t)cpus : 1;

	if (n > FANOUT_MAX_WORKERS)
		n = FANOUT_MAX_WORKERS;
	if (min_items_per_worker && n > n_items / min_items_per_worker)
		n = n_items / min_items_per_worker;
	return n ? (unsigned)n : 1;
}

static bool write_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

_Noreturn static void worker_main(int fd, unsigned index, unsigned n_workers, size_t n_items, fanout_item_fn fn,
				   void *userdata)
{
	for (size_t i = index; i < n_items; i += n_workers) {
		struct vg_error err = { 0 };
		struct report_header h = { .item = i };

		h.r = fn(i, userdata, &err);
		h.message_len = h.r < 0 ? (uint32_t)strnlen(err.message, sizeof(err.message) - 1) : 0;
		if (!write_all(fd, &h, sizeof(h)) || !write_all(fd, err.message, h.message_len))
			_exit(3);
	}
	/* _exit: the parent's atexit handlers and stdio buffers are the parent's */
	_exit(0);
}

static int read_some(struct worker *w)
{
	ssize_t n;

	if (w->cap - w->len < 4096) {
		size_t cap = w->cap ? w->cap * 2 : 16384;
		uint8_t *grown = realloc(w->buf, cap);

		if (!grown)
			return -ENOMEM;
		w->buf = grown;
		w->cap = cap;
	}
	n = read(w->fd, w->buf + w->len, w->cap - w->len);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -errno;
	if (n == 0) {
		close(w->fd);
		w->fd = -1;
		return 0;
	}
	w->len += (size_t)n;
	return 0;
}

/* Every worker's reports, read until each closes its pipe (a worker blocks when its pipe is full). */
static int collect(struct worker *workers, unsigned n_workers)
{
	for (;;) {
		struct pollfd pfds[FANOUT_MAX_WORKERS];
		unsigned map[FANOUT_MAX_WORKERS], n = 0;

		for (unsigned k = 0; k < n_workers; k++)
			if (workers[k].fd >= 0) {
				pfds[n] = (struct pollfd){ .fd = workers[k].fd, .events = POLLIN };
				map[n++] = k;
			}
		if (n == 0)
			return 0;
		if (poll(pfds, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (unsigned j = 0; j < n; j++) {
			int r;

			if (!pfds[j].revents)
				continue;
			r = read_some(&workers[map[j]]);
			if (r < 0)
				return r;
		}
	}
}

/* Hand @w's reports to @on_result, marking each item in @seen. */
static void deliver(const struct worker *w, size_t n_items, bool *seen, fanout_result_fn on_result, void *userdata)
{
	size_t at = 0;

	while (w->len - at >= sizeof(struct report_header)) {
		struct report_header h;
		struct vg_error err = { 0 };

		memcpy(&h, w->buf + at, sizeof(h));
		if (h.item >= n_items || h.message_len >= sizeof(err.message) ||
		    w->len - at - sizeof(h) < h.message_len)
			return; /* cut short: the items left are reported as lost */
		memcpy(err.message, w->buf + at + sizeof(h), h.message_len);
		err.code = h.r;
		at += sizeof(h) + h.message_len;
		seen[h.item] = true;
		on_result((size_t)h.item, h.r, &err, userdata);
	}
}

static void describe_status(int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
	else
		snprintf(buf, len, "ended without reporting every item");
}

int fanout_run(size_t n_items, unsigned n_workers, fanout_item_fn fn, fanout_result_fn on_result, void *userdata,
	       struct vg_error *err)
{
	struct worker workers[FANOUT_MAX_WORKERS];
	_cleanup_free_ bool *seen = NULL;
	unsigned started = 0;
	int r;

	if (n_workers > FANOUT_MAX_WORKERS)
		n_workers = FANOUT_MAX_WORKERS;
	if (n_workers <= 1 || n_items <= 1) {
		for (size_t i = 0; i < n_items; i++) {
			struct vg_error item_err = { 0 };
			int item_r = fn(i, userdata, &item_err);

			on_result(i, item_r, &item_err, userdata);
		}
		return 0;
	}
	seen = calloc(n_items, sizeof(*seen));
	if (!seen)
		return vg_error_set(err, -ENOMEM, "out of memory");
	for (; started < n_workers; started++) {
		int fds[2];
		pid_t pid;

		if (pipe2(fds, O_CLOEXEC) < 0)
			break;
		pid = fork();
		if (pid < 0) {
			close(fds[0]);
			close(fds[1]);
			break;
		}
		if (pid == 0) {
			close(fds[0]);
			for (unsigned k = 0; k < started; k++)
				close(workers[k].fd);
			worker_main(fds[1], started, n_workers, n_items, fn, userdata);
		}
		close(fds[1]);
		workers[started] = (struct worker){ .pid = pid, .fd = fds[0] };
	}
	r = collect(workers, started);
	if (r < 0) {
		vg_error_set(err, r, "reading the worker processes' results: %s", strerror(-r));
		for (unsigned k = 0; k < started; k++)
			kill(workers[k].pid, SIGKILL);
	}
	/* a worker that could not be started: its share is done here */
	for (unsigned k = started; k < n_workers; k++)
		for (size_t i = k; i < n_items; i += n_workers) {
			struct vg_error item_err = { 0 };
			int item_r = fn(i, userdata, &item_err);

			on_result(i, item_r, &item_err, userdata);
		}
	for (unsigned k = 0; k < started; k++) {
		struct worker *w = &workers[k];
		int status = 0;
		char how[96];

		if (w->fd >= 0)
			close(w->fd);
		while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
			;
		deliver(w, n_items, seen, on_result, userdata);
		describe_status(status, how, sizeof(how));
		for (size_t i = k; i < n_items; i += n_workers) {
			struct vg_error lost = { 0 };

			if (seen[i])
				continue;
			vg_error_set(&lost, -ECHILD, "worker process %u %s", k + 1, how);
			if (r == 0)
				r = vg_error_set(err, -ECHILD, "worker process %u %s", k + 1, how);
			on_result(i, lost.code, &lost, userdata);
		}
		free(w->buf);
	}
	return r;
}
