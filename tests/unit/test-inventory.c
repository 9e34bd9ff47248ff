/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of daemon/inventory and the file half of daemon/udev-monitor:
 * the pure classifier (every rule and their order), the mountinfo parser,
 * then inventory_scan and inventory_probe on image files in a temporary
 * scan directory (an md 1.0 leg that also carries a PV label, a damaged
 * leg, an orphan PV, a PV of a VG, an ext4 filesystem when mkfs.ext4 is
 * installed, a zeroed free file; files the filter rejects, symbolic links
 * and subdirectories left out), and inotify events for files coming,
 * changing and going. No privileges, no block devices.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "inventory.h"
#include "md-super.h"
#include "udev-monitor.h"
#include "vg-ops.h"
#include "vg-store.h"
#include "vg-write.h"

#define MIB (UINT64_C(1) << 20)

static const uint8_t leg_uuid[16] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
				      0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10 };

#define assert_contains(haystack, needle)                                                        \
	do {                                                                                     \
		const char *h_ = (haystack);                                                     \
		if (!h_ || !strstr(h_, (needle)))                                                \
			fail_msg("\"%s\" does not contain \"%s\"", h_ ? h_ : "(null)", (needle)); \
	} while (0)

/* ---- the pure classifier ---- */

/* Facts of a readable device with nothing on it. */
static struct inventory_facts blank(enum inventory_kind kind)
{
	return (struct inventory_facts){ .kind = kind, .md_result = -ENODATA, .pv_result = -ENODATA };
}

static void expect_class(const struct inventory_facts *facts, enum inventory_class expected, bool expected_busy,
			 const char *reason_part)
{
	enum inventory_class class = INVENTORY_CLASS_FREE;
	_cleanup_free_ char *reason = NULL;
	bool busy = false;

	assert_int_equal(inventory_classify(facts, &class, &busy, &reason), 0);
	if (class != expected)
		fail_msg("expected class %s, got %s (%s)", inventory_class_name(expected),
			 inventory_class_name(class), reason ? reason : "no reason");
	assert_int_equal(busy, expected_busy);
	if (reason_part)
		assert_contains(reason, reason_part);
	else if (reason)
		fail_msg("expected no reason, got \"%s\"", reason);
	if (class == INVENTORY_CLASS_IN_USE)
		assert_non_null(reason);
}

static void test_classify_content(void **state)
{
	struct inventory_facts f = blank(INVENTORY_KIND_DISK);

	expect_class(&f, INVENTORY_CLASS_FREE, false, NULL);

	f.signature_type = "ext4";
	expect_class(&f, INVENTORY_CLASS_FILESYSTEM, false, NULL);
	f.signature_ambivalent = true;
	expect_class(&f, INVENTORY_CLASS_FILESYSTEM, false, "several signatures");

	/* PV before filesystem, md before PV (an md 1.0 leg shows its array's PV label). */
	f = blank(INVENTORY_KIND_PART);
	f.signature_type = "LVM2_member";
	f.pv_result = 0;
	expect_class(&f, INVENTORY_CLASS_PV, false, NULL);
	f.md_result = 0;
	expect_class(&f, INVENTORY_CLASS_MD_LEG, false, NULL);
	f.md_result = -EBADMSG;
	f.md_error = "bad checksum";
	expect_class(&f, INVENTORY_CLASS_MD_LEG, false, "damaged md superblock: bad checksum");
	f.md_result = -EPROTONOSUPPORT;
	expect_class(&f, INVENTORY_CLASS_MD_LEG, false, "unknown version");

	/* A partition table is an "other signature"; kernel partitions without one are not ours to judge. */
	f = blank(INVENTORY_KIND_DISK);
	f.partition_table = "gpt";
	f.n_partitions = 3;
	expect_class(&f, INVENTORY_CLASS_FILESYSTEM, false, "partition table with 3 partitions");
	f.partition_table = NULL;
	expect_class(&f, INVENTORY_CLASS_IN_USE, true, "has 3 partitions");
}

static void test_classify_in_use(void **state)
{
	static const char *const md_holder[] = { "md0" };
	static const char *const dm_holders[] = { "dm-3 (vg_raid-lv_files)", "dm-4 (vg_raid-lv_vm1)" };
	static const char *const mixed_holders[] = { "dm-3 (x)", "md1" };
	struct inventory_facts f = blank(INVENTORY_KIND_PART);

	f.md_result = 0;
	f.mounted_on = "/mnt/data";
	expect_class(&f, INVENTORY_CLASS_IN_USE, true, "mounted on /mnt/data"); /* mounted beats everything */
	f.mounted_on = NULL;
	f.active_swap = true;
	expect_class(&f, INVENTORY_CLASS_IN_USE, true, "active swap");
	f.active_swap = false;

	/* Held by its own md array: still a leg, but busy. */
	f.holders = md_holder;
	f.n_holders = 1;
	expect_class(&f, INVENTORY_CLASS_MD_LEG, true, "active in md0");
	/* Held by md but no superblock of ours: someone else's business. */
	f.md_result = -ENODATA;
	expect_class(&f, INVENTORY_CLASS_IN_USE, true, "held by md0");

	/* A PV with active LVs stays a PV. */
	f.pv_result = 0;
	f.holders = dm_holders;
	f.n_holders = 2;
	expect_class(&f, INVENTORY_CLASS_PV, true, "active LVs: dm-3 (vg_raid-lv_files), dm-4 (vg_raid-lv_vm1)");
	/* dm holding an md leg (dm-raid, multipath...) is not ours. */
	f.md_result = 0;
	expect_class(&f, INVENTORY_CLASS_IN_USE, true, "held by dm-3");
	f.md_result = -ENODATA;
	f.holders = mixed_holders;
	expect_class(&f, INVENTORY_CLASS_IN_USE, true, "held by dm-3 (x), md1");
	/* dm holding something without a PV label (crypt, a partition mapper). */
	f.holders = dm_holders;
	f.pv_result = -ENODATA;
	expect_class(&f, INVENTORY_CLASS_IN_USE, true, "held by dm-3");
	/* Unreadable and held: the holder is the better explanation. */
	f.pv_result = 0;
	f.read_error = -EACCES;
	expect_class(&f, INVENTORY_CLASS_IN_USE, true, "held by dm-3");
	f.holders = NULL;
	f.n_holders = 0;
	expect_class(&f, INVENTORY_CLASS_IN_USE, true, "cannot be read: Permission denied");
	f.read_error_text = "/dev/x: cannot open: Permission denied";
	expect_class(&f, INVENTORY_CLASS_IN_USE, true, "cannot be read: /dev/x: cannot open");
	f.read_error = 0;

	f.exclusive_busy = true;
	expect_class(&f, INVENTORY_CLASS_IN_USE, true, "open exclusively by another program");
	f.exclusive_busy = false;

	f = blank(INVENTORY_KIND_DISK);
	f.busy_partition = "sda5";
	f.busy_partition_reason = "held by md0";
	f.n_partitions = 3;
	f.partition_table = "gpt";
	expect_class(&f, INVENTORY_CLASS_IN_USE, true, "partition sda5 is in use: held by md0");

	f = blank(INVENTORY_KIND_FILE);
	f.pv_result = 0;
	f.loop_device = "/dev/loop3";
	expect_class(&f, INVENTORY_CLASS_IN_USE, true, "attached to loop device /dev/loop3");
}

static void test_names(void **state)
{
	assert_string_equal(inventory_class_name(INVENTORY_CLASS_MD_LEG), "md_leg");
	assert_string_equal(inventory_class_name(INVENTORY_CLASS_IN_USE), "in_use");
	assert_string_equal(inventory_class_name(INVENTORY_CLASS_FILESYSTEM), "filesystem");
	assert_string_equal(inventory_class_name(INVENTORY_CLASS_PV), "pv");
	assert_string_equal(inventory_class_name(INVENTORY_CLASS_FREE), "free");
	assert_string_equal(inventory_kind_name(INVENTORY_KIND_PART), "part");
	assert_string_equal(inventory_kind_name(INVENTORY_KIND_FILE), "file");
	assert_string_equal(inventory_kind_name(INVENTORY_KIND_DM), "dm");
}

/* ---- mountinfo ---- */

static void test_mountinfo(void **state)
{
	static const char text[] =
		"22 27 0:21 / /proc rw,relatime - proc proc rw\n"
		"36 35 98:0 /mnt1 /mnt/with\\040space rw,noatime master:1 shared:7 - ext3 /dev/root rw,errors=continue\n"
		"\n"
		"40 27 8:5 / /boot rw - ext4 /dev/sda5 rw";
	_cleanup_(inventory_mounts_freep) struct inventory_mounts *m = NULL;
	struct vg_error err = { 0 };

	assert_int_equal(inventory_mounts_parse(text, strlen(text), &m, &err), 0);
	assert_int_equal(m->n_mounts, 3);
	assert_int_equal(m->mounts[0].devnum, makedev(0, 21));
	assert_string_equal(m->mounts[0].mount_point, "/proc");
	assert_string_equal(m->mounts[1].mount_point, "/mnt/with space");
	assert_int_equal(m->mounts[1].devnum, makedev(98, 0));
	assert_string_equal(m->mounts[1].fs_type, "ext3");
	assert_string_equal(m->mounts[1].source, "/dev/root");
	assert_int_equal(m->mounts[2].devnum, makedev(8, 5));
	assert_string_equal(m->mounts[2].source, "/dev/sda5");
}

static void test_mountinfo_bad(void **state)
{
	static const char *const bad[] = {
		"22 27 0:21 / /proc rw,relatime proc proc rw\n",  /* no separator */
		"22 27 0:21 / /proc rw - proc\n",                   /* no source */
		"22 27 zero / /proc rw,relatime - proc proc rw\n", /* bad device number */
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct inventory_mounts *m = NULL;
		struct vg_error err = { 0 };
		char text[256];

		snprintf(text, sizeof(text), "1 2 8:1 / / rw - ext4 /dev/sda1 rw\n%s", bad[i]);
		assert_int_equal(inventory_mounts_parse(text, strlen(text), &m, &err), -EBADMSG);
		assert_null(m);
		assert_contains(err.message, "mountinfo line 2: ");
	}
}

/* ---- image files ---- */

struct images {
	char dir[64];
	char other_dir[64];
	bool have_ext4;
	char vg_pv_uuid[LVM_UUID_LEN + 1];
	char orphan_pv_uuid[LVM_UUID_LEN + 1];
};

static void path_in(char *buf, size_t size, const char *dir, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

static struct blockdev *make_image(const char *dir, const char *name, uint64_t size_bytes)
{
	struct blockdev *dev = NULL;
	struct vg_error err = { 0 };
	char path[256];
	int fd;

	path_in(path, sizeof(path), dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size_bytes), 0);
	close(fd);
	if (blockdev_open(path, 0, &dev, &err) < 0)
		fail_msg("%s", err.message);
	return dev;
}

static void write_leg(struct blockdev *dev)
{
	struct md_raid1_leg_params p = {
		.name = "md0",
		.homehost = "host",
		.raid_disks = 2,
		.dev_number = 0,
		.role = 0,
		.device_sectors = dev->size_bytes / 512,
		.clean = true,
		.events = 7,
		.ctime = 1700000000,
	};
	struct vg_error err = { 0 };
	struct md_super sb;

	memcpy(p.set_uuid, leg_uuid, sizeof(leg_uuid));
	if (md_super_init_raid1_leg(&sb, &p, &err) < 0 || md_super_write_1_0(dev, &sb, &err) < 0)
		fail_msg("%s", err.message);
}

static void make_pv(struct blockdev *dev, struct pv_label *ret_label)
{
	struct pv_create_params params = { 0 };
	struct vg_error err = { 0 };

	if (pv_create(dev, &params, ret_label, &err) < 0)
		fail_msg("pv_create: %s", err.message);
}

static void make_vg(struct blockdev *dev, const struct pv_label *label, const char *vg_name)
{
	static const struct vg_text_header header = {
		.generator = "vgtool test",
		.description = "Write from test-inventory.",
		.creation_host = "testhost",
		.uname_line = "Linux testhost",
		.creation_time = 1795628460,
	};
	struct vg_commit_target target = { .dev = dev, .label = *label };
	struct pv_join join = {
		.id = label->pv_uuid,
		.dev_size_sectors = dev->size_bytes / 512,
		.pe_start_sectors = pv_data_start_bytes(label) / 512,
		.data_end_sectors = pv_data_end_bytes(label, dev->size_bytes) / 512,
	};
	_cleanup_(vg_store_freep) struct vg_store *store = NULL;
	struct vg_error err = { 0 };
	struct vg *vg = NULL;

	if (vg_op_create(vg_name, 2048, &join, 1, NULL, &vg, &err) < 0)
		fail_msg("vg_op_create: %s", err.message);
	assert_int_equal(vg_store_new(vg, &store, &err), 0);
	if (vg_store_commit(store, vg, &target, 1, &header, &err) < 0) {
		vg_free(vg);
		fail_msg("vg_store_commit: %s", err.message);
	}
}

static bool run_mkfs_ext4(const char *path)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

		if (null_fd >= 0) {
			dup2(null_fd, STDOUT_FILENO);
			dup2(null_fd, STDERR_FILENO);
		}
		execlp("mkfs.ext4", "mkfs.ext4", "-q", "-F", path, (char *)NULL);
		/* not in PATH: the sbin directories are often missing for ordinary users */
		execl("/sbin/mkfs.ext4", "mkfs.ext4", "-q", "-F", path, (char *)NULL);
		execl("/usr/sbin/mkfs.ext4", "mkfs.ext4", "-q", "-F", path, (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static int images_setup(void **state)
{
	struct images *im = calloc(1, sizeof(*im));
	struct blockdev *dev;
	struct pv_label label;
	char path[256], target[256];
	int fd;

	assert_non_null(im);
	snprintf(im->dir, sizeof(im->dir), "/tmp/vgtool-test-inventory.XXXXXX");
	assert_non_null(mkdtemp(im->dir));
	snprintf(im->other_dir, sizeof(im->other_dir), "/tmp/vgtool-test-inventory-other.XXXXXX");
	assert_non_null(mkdtemp(im->other_dir));

	/* A leg whose data area carries a PV: leg detection must win. */
	dev = make_image(im->dir, "leg.img", 64 * MIB);
	make_pv(dev, &label);
	write_leg(dev);
	blockdev_close(dev);

	/* A leg with a damaged superblock: still a leg, flagged invalid. */
	dev = make_image(im->dir, "badleg.img", 32 * MIB);
	write_leg(dev);
	{
		uint64_t sb_offset = md_super_1_0_sector(dev->size_bytes / 512) * 512;
		uint8_t byte;

		assert_int_equal(blockdev_read(dev, sb_offset + 32, &byte, 1, NULL), 0);
		byte ^= 0xff; /* the array name: only the checksum can tell */
		assert_int_equal(blockdev_write(dev, sb_offset + 32, &byte, 1, NULL), 0);
	}
	blockdev_close(dev);

	dev = make_image(im->dir, "orphan.img", 16 * MIB);
	make_pv(dev, &label);
	memcpy(im->orphan_pv_uuid, label.pv_uuid, sizeof(im->orphan_pv_uuid));
	blockdev_close(dev);

	dev = make_image(im->dir, "vgpv.img", 16 * MIB);
	make_pv(dev, &label);
	memcpy(im->vg_pv_uuid, label.pv_uuid, sizeof(im->vg_pv_uuid));
	make_vg(dev, &label, "vg_inventory");
	blockdev_close(dev);

	blockdev_close(make_image(im->dir, "zero.img", 8 * MIB));
	blockdev_close(make_image(im->dir, "empty.img", 0));

	dev = make_image(im->dir, "ext4.img", 16 * MIB);
	blockdev_close(dev);
	path_in(path, sizeof(path), im->dir, "ext4.img");
	im->have_ext4 = run_mkfs_ext4(path);
	if (!im->have_ext4)
		unlink(path);

	/* Left out: the filter rejects it, names it does not match, links, directories. */
	blockdev_close(make_image(im->dir, "skip-me.img", 8 * MIB));
	blockdev_close(make_image(im->dir, "notes.txt", 4096));
	path_in(path, sizeof(path), im->dir, "link.img");
	path_in(target, sizeof(target), im->dir, "zero.img");
	assert_int_equal(symlink(target, path), 0);
	path_in(path, sizeof(path), im->dir, "sub.img");
	assert_int_equal(mkdir(path, 0755), 0);

	/* A file outside any scan directory. */
	path_in(path, sizeof(path), im->other_dir, "outside.img");
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)(8 * MIB)), 0);
	close(fd);

	*state = im;
	return 0;
}

static void remove_dir(const char *dir)
{
	char command[256];

	snprintf(command, sizeof(command), "rm -rf '%s'", dir);
	if (system(command) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

static int images_teardown(void **state)
{
	struct images *im = *state;

	remove_dir(im->dir);
	remove_dir(im->other_dir);
	free(im);
	return 0;
}

static struct device_filter *image_filter(void)
{
	const char *patterns[] = { "r|skip|", "a|\\.img$|" }; /* notes.txt: matched by nothing */
	struct device_filter *filter = NULL;

	assert_int_equal(device_filter_parse(patterns, 2, NULL, &filter, NULL), 0);
	return filter;
}

static const struct inventory_device *find(const struct inventory *inv, const char *dir, const char *name)
{
	char path[256];

	path_in(path, sizeof(path), dir, name);
	return inventory_find_path(inv, path);
}

static void test_scan_images(void **state)
{
	struct images *im = *state;
	_cleanup_(device_filter_freep) struct device_filter *filter = image_filter();
	_cleanup_(inventory_freep) struct inventory *inv = NULL;
	const char *dirs[] = { im->dir };
	struct inventory_config config = { .filter = filter, .scan_dirs = dirs, .n_scan_dirs = 1 };
	const struct inventory_device *d;
	struct vg_error err = { 0 };
	char uuid[36];

	if (inventory_scan(&config, &inv, &err) < 0)
		fail_msg("%s", err.message);

	d = find(inv, im->dir, "leg.img");
	assert_non_null(d);
	assert_int_equal(d->kind, INVENTORY_KIND_FILE);
	assert_int_equal(d->class, INVENTORY_CLASS_MD_LEG);
	assert_false(d->busy);
	assert_null(d->reason);
	assert_true(d->md_valid);
	assert_int_equal(d->md_version, MD_SUPER_1_0);
	md_uuid_format(leg_uuid, uuid);
	assert_string_equal(d->md_uuid, uuid);
	assert_string_equal(d->md_name, "host:md0");
	assert_null(d->md_array);
	assert_int_equal(d->size_bytes, 64 * MIB);
	assert_int_equal(d->devnum, 0);
	assert_null(d->sys_name);
	assert_false(d->read_only);

	d = find(inv, im->dir, "badleg.img");
	assert_non_null(d);
	assert_int_equal(d->class, INVENTORY_CLASS_MD_LEG);
	assert_false(d->md_valid);
	assert_contains(d->reason, "damaged md superblock");

	d = find(inv, im->dir, "orphan.img");
	assert_non_null(d);
	assert_int_equal(d->class, INVENTORY_CLASS_PV);
	assert_string_equal(d->pv_uuid, im->orphan_pv_uuid);
	assert_string_equal(d->vg_name, "");

	d = find(inv, im->dir, "vgpv.img");
	assert_non_null(d);
	assert_int_equal(d->class, INVENTORY_CLASS_PV);
	assert_string_equal(d->pv_uuid, im->vg_pv_uuid);
	assert_string_equal(d->vg_name, "vg_inventory");

	d = find(inv, im->dir, "zero.img");
	assert_non_null(d);
	assert_int_equal(d->class, INVENTORY_CLASS_FREE);
	assert_false(d->busy);
	assert_null(d->fs_type);

	d = find(inv, im->dir, "empty.img");
	assert_non_null(d);
	assert_int_equal(d->class, INVENTORY_CLASS_FREE);
	assert_int_equal(d->size_bytes, 0);

	d = find(inv, im->dir, "ext4.img");
	if (im->have_ext4) {
		assert_non_null(d);
		assert_int_equal(d->class, INVENTORY_CLASS_FILESYSTEM);
		assert_string_equal(d->fs_type, "ext4");
	} else {
		assert_null(d);
		print_message("mkfs.ext4 is not installed: the filesystem case was not checked\n");
	}

	assert_null(find(inv, im->dir, "skip-me.img"));
	assert_null(find(inv, im->dir, "notes.txt"));
	assert_null(find(inv, im->dir, "link.img"));
	assert_null(find(inv, im->dir, "sub.img"));
	/* skip-me.img and notes.txt (the link and the directory are not counted: not files) */
	assert_int_equal(inv->n_rejected, 2);
	assert_int_equal(inv->n_devices, im->have_ext4 ? 7 : 6);

	/* Sorted by name within the directory. */
	for (size_t i = 1; i < inv->n_devices; i++)
		assert_true(strcmp(inv->devices[i - 1].path, inv->devices[i].path) < 0);
}

static void test_scan_trailing_slash_and_missing_dir(void **state)
{
	struct images *im = *state;
	_cleanup_(device_filter_freep) struct device_filter *filter = image_filter();
	_cleanup_(inventory_freep) struct inventory *inv = NULL;
	char with_slash[80], missing[80];
	const char *dirs[] = { with_slash };
	const char *bad_dirs[] = { missing };
	struct inventory_config config = { .filter = filter, .scan_dirs = dirs, .n_scan_dirs = 1 };
	struct inventory *none = NULL;
	struct vg_error err = { 0 };

	snprintf(with_slash, sizeof(with_slash), "%s/", im->dir);
	assert_int_equal(inventory_scan(&config, &inv, &err), 0);
	assert_non_null(find(inv, im->dir, "zero.img")); /* no "//" in the path */

	snprintf(missing, sizeof(missing), "%s/nonexistent", im->dir);
	config.scan_dirs = bad_dirs;
	assert_int_equal(inventory_scan(&config, &none, &err), -ENOENT);
	assert_null(none);
	assert_contains(err.message, "scan directory");
	assert_contains(err.message, missing);
}

static void test_probe_one(void **state)
{
	struct images *im = *state;
	_cleanup_(device_filter_freep) struct device_filter *filter = image_filter();
	const char *dirs[] = { im->dir };
	struct inventory_config config = { .filter = filter, .scan_dirs = dirs, .n_scan_dirs = 1 };
	struct vg_error err = { 0 };
	char path[256], expected[256];

	{
		_cleanup_(inventory_device_freep) struct inventory_device *d = NULL;

		/* Any spelling of the directory; reported under the scan directory's name. */
		snprintf(path, sizeof(path), "%s/./vgpv.img", im->dir);
		if (inventory_probe(&config, path, &d, &err) < 0)
			fail_msg("%s", err.message);
		path_in(expected, sizeof(expected), im->dir, "vgpv.img");
		assert_string_equal(d->path, expected);
		assert_int_equal(d->class, INVENTORY_CLASS_PV);
		assert_string_equal(d->vg_name, "vg_inventory");
	}
	{
		struct inventory_device *d = NULL;

		path_in(path, sizeof(path), im->dir, "skip-me.img");
		assert_int_equal(inventory_probe(&config, path, &d, &err), -EPERM);
		assert_null(d);
		assert_contains(err.message, "rejected by devices/filter entry 1 (\"r|skip|\")");

		path_in(path, sizeof(path), im->dir, "notes.txt");
		assert_int_equal(inventory_probe(&config, path, &d, &err), -EPERM);
		assert_contains(err.message, "matched by no devices/filter entry");

		path_in(path, sizeof(path), im->other_dir, "outside.img");
		assert_int_equal(inventory_probe(&config, path, &d, &err), -EPERM);
		assert_contains(err.message, "not directly inside a scan directory");

		path_in(path, sizeof(path), im->dir, "link.img");
		assert_int_equal(inventory_probe(&config, path, &d, &err), -ENOTBLK);
		assert_contains(err.message, "symbolic links");

		path_in(path, sizeof(path), im->dir, "gone.img");
		assert_int_equal(inventory_probe(&config, path, &d, &err), -ENOENT);

		path_in(path, sizeof(path), im->dir, "sub.img");
		assert_int_equal(inventory_probe(&config, path, &d, &err), -ENOTBLK);

		/* Block devices are out of bounds when the configuration lists only files. */
		assert_int_equal(inventory_probe(&config, "/dev/null", &d, &err), -ENOTBLK);
		assert_null(d);
	}
}

/* ---- inotify half of udev-monitor ---- */

/* The next event within 5 s, failing the test otherwise. */
static void next_event(struct udev_monitor_watch *w, struct udev_monitor_event *ev)
{
	struct vg_error err = { 0 };

	for (int tries = 0; tries < 50; tries++) {
		struct pollfd pfd = { .fd = udev_monitor_watch_fd(w), .events = POLLIN };
		int r = udev_monitor_watch_read(w, ev, &err);

		if (r == 0)
			return;
		if (r != -EAGAIN)
			fail_msg("read: %s", err.message);
		poll(&pfd, 1, 100);
	}
	fail_msg("no event within 5 s");
}

static void expect_event(struct udev_monitor_watch *w, enum udev_monitor_action action, const char *path)
{
	struct udev_monitor_event ev;

	next_event(w, &ev);
	if (ev.action != action || !streq(ev.path, path))
		fail_msg("expected %s %s, got %s %s", udev_monitor_action_name(action), path,
			 udev_monitor_action_name(ev.action), ev.path);
	assert_int_equal(ev.origin, UDEV_MONITOR_FILE);
	assert_int_equal(ev.devnum, 0);
}

static void test_watch_files(void **state)
{
	struct images *im = *state;
	_cleanup_(device_filter_freep) struct device_filter *filter = image_filter();
	_cleanup_(udev_monitor_watch_freep) struct udev_monitor_watch *w = NULL;
	char watched[96], path[256], moved[256], ignored[256];
	const char *dirs[] = { watched };
	struct udev_monitor_config config = {
		.block_source = UDEV_MONITOR_SOURCE_NONE,
		.scan_dirs = dirs,
		.n_scan_dirs = 1,
		.filter = filter,
	};
	struct udev_monitor_event ev;
	struct vg_error err = { 0 };
	int fd;

	snprintf(watched, sizeof(watched), "%s/sub.img", im->dir); /* a directory the scan tests ignore */
	if (udev_monitor_watch_new(&config, &w, &err) < 0)
		fail_msg("%s", err.message);
	assert_true(udev_monitor_watch_fd(w) >= 0);
	assert_int_equal(udev_monitor_watch_read(w, &ev, &err), -EAGAIN);

	/* Rejected names make no events: the first event seen must be the accepted file's. */
	path_in(ignored, sizeof(ignored), watched, "skip-this.img");
	fd = open(ignored, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);

	path_in(path, sizeof(path), watched, "new.img");
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	expect_event(w, UDEV_MONITOR_ADD, path);
	assert_int_equal(ftruncate(fd, (off_t)MIB), 0);
	close(fd);
	expect_event(w, UDEV_MONITOR_CHANGE, path);

	path_in(moved, sizeof(moved), watched, "renamed.img");
	assert_int_equal(rename(path, moved), 0);
	expect_event(w, UDEV_MONITOR_REMOVE, path);
	expect_event(w, UDEV_MONITOR_ADD, moved);
	assert_int_equal(unlink(moved), 0);
	expect_event(w, UDEV_MONITOR_REMOVE, moved);
	assert_int_equal(unlink(ignored), 0);

	/* The directory itself going away asks for a full rescan. */
	assert_int_equal(rmdir(watched), 0);
	next_event(w, &ev);
	assert_int_equal(ev.action, UDEV_MONITOR_RESCAN);
	assert_string_equal(ev.path, watched);
	assert_int_equal(mkdir(watched, 0755), 0); /* for the other tests */
}

static void test_watch_missing_dir(void **state)
{
	const char *dirs[] = { "/nonexistent/vgtool-test" };
	struct udev_monitor_config config = {
		.block_source = UDEV_MONITOR_SOURCE_NONE,
		.scan_dirs = dirs,
		.n_scan_dirs = 1,
	};
	struct udev_monitor_watch *w = NULL;
	struct vg_error err = { 0 };

	assert_int_equal(udev_monitor_watch_new(&config, &w, &err), -ENOENT);
	assert_null(w);
	assert_contains(err.message, "scan directory /nonexistent/vgtool-test");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify_content),
		cmocka_unit_test(test_classify_in_use),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_mountinfo),
		cmocka_unit_test(test_mountinfo_bad),
		cmocka_unit_test(test_scan_images),
		cmocka_unit_test(test_scan_trailing_slash_and_missing_dir),
		cmocka_unit_test(test_probe_one),
		cmocka_unit_test(test_watch_files),
		cmocka_unit_test(test_watch_missing_dir),
	};

	return cmocka_run_group_tests(tests, images_setup, images_teardown);
}
