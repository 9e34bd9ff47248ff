/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * kernel-tool: a test front end over the kernel activation backend, for
 * tests/vm/kernel-backend.sh inside the QEMU VM: md arrays through
 * mdraid/md-kernel.c, LVs through lvm/lv-table.c and lvm/dmctl-libdm.c,
 * with no daemon, mdadm or lvm2 involved. Not a product.
 *
 *   kernel-tool md-assemble [--run] NAME LEG...
 *   kernel-tool md-stop NAME
 *   kernel-tool md-state NAME          key=value lines, then one "member" line per leg
 *   kernel-tool md-fail|md-remove|md-add NAME LEG
 *   kernel-tool md-scrub NAME check|repair|idle
 *   kernel-tool md-wait NAME [SECONDS] until sync_action is idle
 *   kernel-tool lv-table VG/LV DEV...  the dm table lv-table computes (no kernel)
 *   kernel-tool lv-activate [--readonly] VG/LV DEV...
 *   kernel-tool lv-reload VG/LV DEV... the table recomputed from the metadata on DEV, swapped in
 *   kernel-tool lv-deactivate VG/LV
 *   kernel-tool lv-rename VG/LV NEWLV  the dm device and /dev/VG link only (metadata untouched)
 *   kernel-tool lv-info VG/LV
 *
 * DEV... are the PVs to scan for the VG's metadata. udev sync is used when
 * /run/udev/control exists and DM_DISABLE_UDEV is unset.
 * Exit status: 0 done, 1 failed (the reason on stderr), 2 usage.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "blockdev.h"
#include "dmctl-libdm.h"
#include "lv-table.h"
#include "md-kernel.h"
#include "vg-scan.h"

#define PROG "kernel-tool"

static int usage(void)
{
	fputs("Usage: " PROG " md-assemble [--run] NAME LEG... | md-stop NAME | md-state NAME\n"
	      "       " PROG " md-fail|md-remove|md-add NAME LEG | md-scrub NAME check|repair|idle\n"
	      "       " PROG " md-wait NAME [SECONDS]\n"
	      "       " PROG " lv-table|lv-activate [--readonly]|lv-reload VG/LV DEV...\n"
	      "       " PROG " lv-deactivate|lv-info VG/LV | lv-rename VG/LV NEWLV\n",
	      stderr);
	return 2;
}

static int failed(int r, const struct vg_error *err, const char *what)
{
	fprintf(stderr, PROG ": %s: %s\n", what, err->message[0] ? err->message : strerror(-r));
	return 1;
}

/* ---- LVs ---- */

struct scanned {
	struct blockdev **devs;
	size_t n_devs;
	struct vg_scan_result *result;
	struct vg_scan_vg *svg;
	struct vg_lv *lv;
	char majmin[64][32]; /* per pv_index */
};

static void scanned_done(struct scanned *s)
{
	s->result = vg_scan_result_free(s->result);
	for (size_t i = 0; i < s->n_devs; i++)
		blockdev_close(s->devs[i]);
	free(s->devs);
}

static int split_vg_lv(const char *arg, char *vg, char *lv, size_t len)
{
	const char *slash = strchr(arg, '/');

	if (!slash || slash == arg || !slash[1] || (size_t)(slash - arg) >= len || strlen(slash + 1) >= len)
		return -EINVAL;
	memcpy(vg, arg, (size_t)(slash - arg));
	vg[slash - arg] = '\0';
	strcpy(lv, slash + 1);
	return 0;
}

static const char *device_of(size_t pv_index, void *userdata)
{
	struct scanned *s = userdata;

	if (pv_index >= 64 || !s->majmin[pv_index][0])
		return NULL;
	return s->majmin[pv_index];
}

static int scan(const char *vg_name, const char *lv_name, char **paths, size_t n, struct scanned *s,
		struct vg_error *err)
{
	int r;

	s->devs = calloc(n, sizeof(*s->devs));
	if (!s->devs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		r = blockdev_open(paths[i], BLOCKDEV_READ_ONLY, &s->devs[i], err);
		if (r < 0)
			return r;
		s->n_devs++;
	}
	r = vg_scan(s->devs, n, &s->result, err);
	if (r < 0)
		return r;
	s->svg = vg_scan_find(s->result, vg_name);
	if (!s->svg)
		return vg_error_set(err, -ENOENT, "no VG %s on the devices given", vg_name);
	s->lv = vg_find_lv(s->svg->vg, lv_name);
	if (!s->lv)
		return vg_error_set(err, -ENOENT, "no LV %s in VG %s", lv_name, vg_name);
	for (size_t i = 0; i < s->svg->n_members && i < 64; i++) {
		const struct vg_scan_member *m = &s->svg->members[i];
		const struct blockdev *dev;

		if (m->scan_index < 0)
			continue;
		dev = s->result->pvs[m->scan_index].dev;
		if (dev->is_block_device)
			snprintf(s->majmin[m->pv_index], sizeof(s->majmin[0]), "%u:%u", major(dev->rdev),
				 minor(dev->rdev));
	}
	return 0;
}

static int lv_command(const char *verb, int argc, char **argv)
{
	_cleanup_(lv_table_freep) struct lv_table *table = NULL;
	_cleanup_(dmctl_freep) struct dmctl *ctl = NULL;
	_cleanup_free_ char *text = NULL;
	struct vg_error err = { 0 };
	struct scanned s = { 0 };
	char vg[128], lv[128], name[LV_DM_NAME_MAX + 1], uuid[LV_DM_UUID_MAX + 1];
	bool read_only = false, udev;
	int r, rc = 1;

	if (argc > 0 && streq(argv[0], "--readonly")) {
		read_only = true;
		argc--, argv++;
	}
	if (argc < 1 || split_vg_lv(argv[0], vg, lv, sizeof(vg)) < 0)
		return usage();
	r = lv_dm_name(vg, lv, name, &err);
	if (r < 0)
		return failed(r, &err, argv[0]);
	udev = access("/run/udev/control", F_OK) == 0 && !getenv("DM_DISABLE_UDEV");

	if (streq(verb, "lv-rename")) {
		char new_name[LV_DM_NAME_MAX + 1];

		if (argc != 2)
			return usage();
		r = lv_dm_name(vg, argv[1], new_name, &err);
		if (r >= 0)
			r = dmctl_libdm_new(udev, &ctl, &err);
		if (r >= 0)
			r = ctl->ops->rename(ctl, name, new_name, &err);
		if (r >= 0)
			r = lv_link_remove("/dev", vg, lv, &err);
		if (r >= 0)
			r = lv_link_create("/dev", vg, argv[1], new_name, &err);
		return r < 0 ? failed(r, &err, argv[0]) : 0;
	}
	if (streq(verb, "lv-deactivate") || streq(verb, "lv-info")) {
		struct dmctl_info info;

		if (argc != 1)
			return usage();
		r = dmctl_libdm_new(udev, &ctl, &err);
		if (r < 0)
			return failed(r, &err, "dmctl");
		if (streq(verb, "lv-info")) {
			r = ctl->ops->info(ctl, name, &info, &err);
			if (r < 0)
				return failed(r, &err, name);
			printf("name=%s exists=%d suspended=%d open=%d major=%u minor=%u targets=%d\n", name,
			       info.exists, info.suspended, info.open_count, info.major, info.minor,
			       info.target_count);
			return 0;
		}
		r = ctl->ops->remove(ctl, name, &err);
		if (r < 0)
			return failed(r, &err, name);
		r = lv_link_remove("/dev", vg, lv, &err);
		if (r < 0)
			return failed(r, &err, name);
		return 0;
	}

	if (argc < 2)
		return usage();
	r = scan(vg, lv, argv + 1, (size_t)argc - 1, &s, &err);
	if (r < 0) {
		rc = failed(r, &err, argv[0]);
		goto out;
	}
	r = lv_table_build(s.svg->vg, s.lv, device_of, &s, &table, &err);
	if (r < 0) {
		rc = failed(r, &err, argv[0]);
		goto out;
	}
	if (streq(verb, "lv-table")) {
		if (lv_table_format(table, &text) < 0)
			goto out;
		fputs(text, stdout);
		rc = 0;
		goto out;
	}
	r = dmctl_libdm_new(udev, &ctl, &err);
	if (r < 0) {
		rc = failed(r, &err, "dmctl");
		goto out;
	}
	if (streq(verb, "lv-activate")) {
		r = lv_dm_uuid(s.svg->vg->id, s.lv->id, uuid, &err);
		if (r >= 0)
			r = ctl->ops->create(ctl, name, uuid, table, read_only, &err);
		if (r >= 0)
			r = lv_link_create("/dev", vg, lv, name, &err);
	} else if (streq(verb, "lv-reload")) {
		r = ctl->ops->reload(ctl, name, table, &err);
	} else {
		rc = usage();
		goto out;
	}
	if (r < 0) {
		rc = failed(r, &err, argv[0]);
		goto out;
	}
	printf("%s %s: /dev/mapper/%s (%" PRIu64 " sectors)\n", verb, argv[0], name, table->size_sectors);
	rc = 0;
out:
	scanned_done(&s);
	return rc;
}

/* ---- md ---- */

static int md_command(const char *verb, int argc, char **argv)
{
	const struct md_kernel_ops *ops = &md_kernel_linux;
	struct vg_error err = { 0 };
	unsigned flags = 0;
	int r;

	if (streq(verb, "md-assemble") && argc > 0 && streq(argv[0], "--run")) {
		flags |= MD_KERNEL_RUN_DEGRADED;
		argc--, argv++;
	}
	if (argc < 1)
		return usage();
	if (streq(verb, "md-assemble")) {
		if (argc < 2)
			return usage();
		r = ops->assemble(argv[0], (const char *const *)argv + 1, (size_t)argc - 1, flags, &err);
	} else if (streq(verb, "md-stop") && argc == 1) {
		r = ops->stop(argv[0], &err);
	} else if (streq(verb, "md-state") && argc == 1) {
		_cleanup_(md_kernel_state_freep) struct md_kernel_state *st = NULL;

		r = ops->state(argv[0], &st, &err);
		if (r < 0)
			return failed(r, &err, argv[0]);
		printf("array_state=%s\nlevel=%s\nmetadata_version=%s\nraid_disks=%u\ndegraded=%u\n"
		       "sync_action=%s\nsync_completed=%s\nmismatch_cnt=%" PRIu64 "\nsize_sectors=%" PRIu64 "\n",
		       st->array_state, st->level, st->metadata_version, st->raid_disks, st->degraded,
		       st->sync_action, st->sync_completed, st->mismatch_cnt, st->size_sectors);
		for (size_t i = 0; i < st->n_members; i++)
			printf("member %s %u:%u slot=%d state=%s errors=%" PRIu64 "\n", st->members[i].name,
			       st->members[i].major, st->members[i].minor, st->members[i].slot,
			       st->members[i].state, st->members[i].errors);
		return 0;
	} else if (streq(verb, "md-fail") && argc == 2) {
		r = ops->fail_leg(argv[0], argv[1], &err);
	} else if (streq(verb, "md-remove") && argc == 2) {
		r = ops->remove_leg(argv[0], argv[1], &err);
	} else if (streq(verb, "md-add") && argc == 2) {
		r = ops->add_leg(argv[0], argv[1], &err);
	} else if (streq(verb, "md-scrub") && argc == 2) {
		enum md_scrub_action a;

		if (streq(argv[1], "check"))
			a = MD_SCRUB_CHECK;
		else if (streq(argv[1], "repair"))
			a = MD_SCRUB_REPAIR;
		else if (streq(argv[1], "idle"))
			a = MD_SCRUB_IDLE;
		else
			return usage();
		r = ops->scrub(argv[0], a, &err);
	} else if (streq(verb, "md-wait") && (argc == 1 || argc == 2)) {
		unsigned seconds = argc == 2 ? (unsigned)strtoul(argv[1], NULL, 10) : 120;

		r = md_kernel_wait_idle(argv[0], seconds * 1000, &err);
	} else {
		return usage();
	}
	if (r < 0)
		return failed(r, &err, argv[0]);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (!strncmp(argv[1], "md-", 3))
		return md_command(argv[1], argc - 2, argv + 2);
	if (!strncmp(argv[1], "lv-", 3))
		return lv_command(argv[1], argc - 2, argv + 2);
	return usage();
}
