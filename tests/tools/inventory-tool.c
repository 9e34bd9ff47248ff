/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * inventory-tool: the daemon's device inventory and event watch, driven
 * from the shell so tests/integration/inventory.sh can check them on real
 * loop devices (mounted, opened O_EXCL elsewhere, md legs, PVs) without a
 * daemon.
 *
 *   inventory-tool list    [OPTIONS]        one device per line:
 *                                           PATH KIND MAJ:MIN SIZE CLASS DETAILS (tab-separated)
 *   inventory-tool show    [OPTIONS] PATH   one KEY=VALUE per line (inventory_probe)
 *   inventory-tool monitor [OPTIONS]        print events as "ACTION ORIGIN PATH [SYSNAME MAJ:MIN]"
 *
 * OPTIONS: --filter PATTERN (repeatable, in order), --scan-dir DIR
 * (repeatable), --no-block (files only), and for monitor --kernel | --udev
 * (event source; automatic by default), --count N (stop after N events),
 * --timeout SECONDS (stop after this long; exit 1 if fewer than --count
 * events came), --ready FILE (created once the watch is in place).
 */
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "device-filter.h"
#include "inventory.h"
#include "udev-monitor.h"

struct options {
	const char *filters[64];
	size_t n_filters;
	const char *scan_dirs[64];
	size_t n_scan_dirs;
	bool no_block;
	enum udev_monitor_source source;
	unsigned long count;
	unsigned long timeout_seconds;
	const char *ready_file;
};

static void usage(FILE *out)
{
	fputs("Usage: inventory-tool list|show PATH|monitor [OPTIONS]\n"
	      "  --filter PATTERN   an lvm.conf filter entry (\"a|REGEX|\", \"r|REGEX|\"), repeatable\n"
	      "  --scan-dir DIR     list the image files in DIR, repeatable\n"
	      "  --no-block         no block devices (files only)\n"
	      "monitor only:\n"
	      "  --kernel | --udev  where block events come from (default: udev if running, else kernel)\n"
	      "  --count N          stop after N events\n"
	      "  --timeout SECONDS  stop after SECONDS (exit 1 if --count events did not come)\n"
	      "  --ready FILE       create FILE once watching\n",
	      out);
}

static void print_device_line(const struct inventory_device *d)
{
	printf("%s\t%s\t%u:%u\t%" PRIu64 "\t%s\t", d->path, inventory_kind_name(d->kind), major(d->devnum),
	       minor(d->devnum), d->size_bytes, inventory_class_name(d->class));
	if (d->busy)
		printf("busy ");
	if (d->class == INVENTORY_CLASS_MD_LEG)
		printf("md_uuid=%s md_name=%s md_array=%s ", d->md_uuid, d->md_name,
		       d->md_array ? d->md_array : "-");
	if (d->class == INVENTORY_CLASS_PV)
		printf("pv_uuid=%s vg=%s ", d->pv_uuid, d->vg_name[0] ? d->vg_name : "-");
	if (d->fs_type)
		printf("fs_type=%s ", d->fs_type);
	if (d->backing_file)
		printf("backing_file=%s ", d->backing_file);
	if (d->reason)
		printf("reason=%s", d->reason);
	printf("\n");
}

static void print_device_keys(const struct inventory_device *d)
{
	printf("path=%s\n", d->path);
	printf("kind=%s\n", inventory_kind_name(d->kind));
	printf("sys_name=%s\n", d->sys_name ? d->sys_name : "");
	printf("parent=%s\n", d->parent ? d->parent : "");
	printf("devnum=%u:%u\n", major(d->devnum), minor(d->devnum));
	printf("size_bytes=%" PRIu64 "\n", d->size_bytes);
	printf("read_only=%d\n", d->read_only);
	printf("class=%s\n", inventory_class_name(d->class));
	printf("busy=%d\n", d->busy);
	printf("reason=%s\n", d->reason ? d->reason : "");
	printf("fs_type=%s\n", d->fs_type ? d->fs_type : "");
	printf("backing_file=%s\n", d->backing_file ? d->backing_file : "");
	if (d->class == INVENTORY_CLASS_MD_LEG) {
		printf("md_version=%s\n", md_super_version_name(d->md_version));
		printf("md_valid=%d\n", d->md_valid);
		printf("md_uuid=%s\n", d->md_uuid);
		printf("md_name=%s\n", d->md_name);
		printf("md_array=%s\n", d->md_array ? d->md_array : "");
	}
	if (d->class == INVENTORY_CLASS_PV) {
		printf("pv_uuid=%s\n", d->pv_uuid);
		printf("vg=%s\n", d->vg_name);
	}
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int run_monitor(const struct options *o, const struct device_filter *filter)
{
	_cleanup_(udev_monitor_watch_freep) struct udev_monitor_watch *watch = NULL;
	struct udev_monitor_config config = {
		.block_source = o->no_block ? UDEV_MONITOR_SOURCE_NONE : o->source,
		.scan_dirs = o->scan_dirs,
		.n_scan_dirs = o->n_scan_dirs,
		.filter = filter,
	};
	struct vg_error err = { 0 };
	uint64_t deadline = o->timeout_seconds ? now_ms() + o->timeout_seconds * 1000 : 0;
	unsigned long seen = 0;
	int r;

	r = udev_monitor_watch_new(&config, &watch, &err);
	if (r < 0) {
		fprintf(stderr, "inventory-tool: %s\n", err.message);
		return 1;
	}
	if (o->ready_file) {
		_cleanup_close_ int fd = open(o->ready_file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

		if (fd < 0) {
			fprintf(stderr, "inventory-tool: %s: %m\n", o->ready_file);
			return 1;
		}
	}
	while (!o->count || seen < o->count) {
		struct pollfd pfd = { .fd = udev_monitor_watch_fd(watch), .events = POLLIN };
		int timeout = -1;

		if (deadline) {
			uint64_t now = now_ms();

			if (now >= deadline)
				break;
			timeout = (int)(deadline - now);
		}
		r = poll(&pfd, 1, timeout);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "inventory-tool: poll: %m\n");
			return 1;
		}
		if (r == 0)
			break;
		for (;;) {
			struct udev_monitor_event ev;

			r = udev_monitor_watch_read(watch, &ev, &err);
			if (r == -EAGAIN)
				break;
			if (r < 0) {
				fprintf(stderr, "inventory-tool: %s\n", err.message);
				return 1;
			}
			printf("%s %s %s", udev_monitor_action_name(ev.action),
			       ev.origin == UDEV_MONITOR_BLOCK ? "block" : "file", ev.path[0] ? ev.path : "-");
			if (ev.origin == UDEV_MONITOR_BLOCK)
				printf(" %s %u:%u%s", ev.sys_name[0] ? ev.sys_name : "-", major(ev.devnum),
				       minor(ev.devnum), ev.is_partition ? " partition" : "");
			printf("\n");
			fflush(stdout);
			seen++;
		}
	}
	return o->count && seen < o->count ? 1 : 0;
}

int main(int argc, char **argv)
{
	enum { OPT_FILTER = 0x100, OPT_SCAN_DIR, OPT_NO_BLOCK, OPT_KERNEL, OPT_UDEV, OPT_COUNT, OPT_TIMEOUT,
	       OPT_READY, OPT_HELP };
	static const struct option long_options[] = {
		{ "filter", required_argument, NULL, OPT_FILTER },
		{ "scan-dir", required_argument, NULL, OPT_SCAN_DIR },
		{ "no-block", no_argument, NULL, OPT_NO_BLOCK },
		{ "kernel", no_argument, NULL, OPT_KERNEL },
		{ "udev", no_argument, NULL, OPT_UDEV },
		{ "count", required_argument, NULL, OPT_COUNT },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "ready", required_argument, NULL, OPT_READY },
		{ "help", no_argument, NULL, OPT_HELP },
		{ 0 },
	};
	_cleanup_(device_filter_freep) struct device_filter *filter = NULL;
	struct options o = { .source = UDEV_MONITOR_SOURCE_AUTO };
	struct vg_error err = { 0 };
	const char *command;
	int c, r;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	command = argv[1];
	if (streq(command, "--help") || streq(command, "-h")) {
		usage(stdout);
		return 0;
	}
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
		switch (c) {
		case OPT_FILTER:
			if (o.n_filters == ARRAY_SIZE(o.filters)) {
				fprintf(stderr, "inventory-tool: too many --filter options\n");
				return 2;
			}
			o.filters[o.n_filters++] = optarg;
			break;
		case OPT_SCAN_DIR:
			if (o.n_scan_dirs == ARRAY_SIZE(o.scan_dirs)) {
				fprintf(stderr, "inventory-tool: too many --scan-dir options\n");
				return 2;
			}
			o.scan_dirs[o.n_scan_dirs++] = optarg;
			break;
		case OPT_NO_BLOCK:
			o.no_block = true;
			break;
		case OPT_KERNEL:
			o.source = UDEV_MONITOR_SOURCE_KERNEL;
			break;
		case OPT_UDEV:
			o.source = UDEV_MONITOR_SOURCE_UDEV;
			break;
		case OPT_COUNT:
			o.count = strtoul(optarg, NULL, 10);
			break;
		case OPT_TIMEOUT:
			o.timeout_seconds = strtoul(optarg, NULL, 10);
			break;
		case OPT_READY:
			o.ready_file = optarg;
			break;
		case 'h':
		case OPT_HELP:
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}

	r = device_filter_parse(o.filters, o.n_filters, NULL, &filter, &err);
	if (r < 0) {
		fprintf(stderr, "inventory-tool: %s\n", err.message);
		return 2;
	}

	if (streq(command, "monitor")) {
		if (optind != argc) {
			usage(stderr);
			return 2;
		}
		return run_monitor(&o, filter);
	}

	struct inventory_config config = {
		.filter = filter,
		.block_devices = !o.no_block,
		.scan_dirs = o.scan_dirs,
		.n_scan_dirs = o.n_scan_dirs,
	};

	if (streq(command, "list")) {
		_cleanup_(inventory_freep) struct inventory *inventory = NULL;

		if (optind != argc) {
			usage(stderr);
			return 2;
		}
		r = inventory_scan(&config, &inventory, &err);
		if (r < 0) {
			fprintf(stderr, "inventory-tool: %s\n", err.message);
			return 1;
		}
		for (size_t i = 0; i < inventory->n_devices; i++)
			print_device_line(&inventory->devices[i]);
		return 0;
	}
	if (streq(command, "show")) {
		_cleanup_(inventory_device_freep) struct inventory_device *device = NULL;

		if (optind != argc - 1) {
			usage(stderr);
			return 2;
		}
		r = inventory_probe(&config, argv[optind], &device, &err);
		if (r < 0) {
			fprintf(stderr, "inventory-tool: %s\n", err.message);
			return 1;
		}
		print_device_keys(device);
		return 0;
	}
	usage(stderr);
	return 2;
}
