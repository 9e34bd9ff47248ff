/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Independent items of work spread over worker processes. Activating or
 * removing thousands of device-mapper devices is one ioctl sequence per
 * device whose cost is mostly the kernel's, and the kernel does them side by
 * side on several CPUs; libdevmapper keeps process-wide state (its queue of
 * /dev nodes to make, its log function) and is not safe to call from threads,
 * so the workers are forked processes, each with its own copy.
 *
 * A worker runs fn for its share of the items (item i goes to worker
 * i % n_workers, so the work interleaves) and reports each item's result
 * back through a pipe; the caller's on_result sees every item once, in the
 * calling process. fn runs in a child: what it changes in memory is lost,
 * only what it does to the system (and its result) counts.
 */
#pragma once

#include <stddef.h>

#include "error.h"

/* Do item @i; return 0 or -errno with @err filled. Runs in a worker process. */
typedef int (*fanout_item_fn)(size_t i, void *userdata, struct vg_error *err);
/* Item @i's result, in the calling process. */
typedef void (*fanout_result_fn)(size_t i, int r, const struct vg_error *err, void *userdata);

/* Worker processes worth forking for @n_items on this machine: 1 (no fork) up to one per CPU, at most 8. */
unsigned fanout_workers(size_t n_items, size_t min_items_per_worker);

/*
 * Run @fn for items 0..@n_items-1 in @n_workers processes (1: in this
 * process, no fork). Returns 0 once every item has reported, or -errno when
 * the workers could not be started or one died (err names it; the items it
 * had not reported are reported as failed with that error, so every item is
 * still seen once).
 */
int fanout_run(size_t n_items, unsigned n_workers, fanout_item_fn fn, fanout_result_fn on_result, void *userdata,
	       struct vg_error *err);
