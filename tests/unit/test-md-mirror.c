/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of mdraid/md-mirror and the userspace mirror device, on memory
 * blockdevs and sparse image files: the superblocks each operation leaves
 * (roles, events, sizes, feature bits, bitmaps), freshest-leg selection
 * (the +-1 rule, legs ahead of the reference, split brain, missing and
 * foreign devices), degraded counting, refusals that leave every byte as it
 * was, data written through the mirror landing on every leg, add/replace
 * copying and resuming, grow moving the superblock, dissolve keeping the
 * data, and a write failed or torn at every step of an operation leaving a
 * state the view reads sensibly and the next operation can finish.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "md-bitmap.h"
#include "md-mirror.h"

#define KIB (UINT64_C(1) << 10)
#define MIB (UINT64_C(1) << 20)
#define LEG_BYTES (4 * MIB)
#define LEG_SIZE_SECTORS 8064 /* mdadm's size for a 4 MiB leg: (8192 - 32) rounded down to 64 KiB */
#define LEG_SB_SECTOR 8176    /* (8192 - 16) & ~7 */
#define TEST_TIME 1700000000

static const uint8_t test_uuid[16] = { 0xa0, 0xa1, 0xa2, 0xa3, 0xb0, 0xb1, 0xb2, 0xb3,
				       0xc0, 0xc1, 0xc2, 0xc3, 0xd0, 0xd1, 0xd2, 0xd3 };

#define assert_message_contains(err, text)                                                          \
	do {                                                                                        \
		if (!strstr((err)->message, (text)))                                                \
			fail_msg("message \"%s\" does not mention \"%s\"", (err)->message, (text)); \
	} while (0)

/* ---- helpers ---- */

static struct blockdev *mem_dev(const char *name, uint64_t bytes, struct blockdev_faults *faults)
{
	struct blockdev *dev = NULL;

	assert_int_equal(blockdev_open_memory(name, bytes, 512, faults, &dev), 0);
	return dev;
}

static void open_legs(struct blockdev **devs, size_t n, uint64_t bytes, struct blockdev_faults *faults)
{
	for (size_t i = 0; i < n; i++) {
		char name[16];

		snprintf(name, sizeof(name), "leg%zu", i);
		devs[i] = mem_dev(name, bytes, faults);
	}
}

static void close_legs(struct blockdev **devs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		devs[i] = blockdev_close(devs[i]);
}

static struct md_mirror_options test_opts(void)
{
	struct md_mirror_options o = { .time = TEST_TIME,
				       .copy_chunk_bytes = 64 * KIB,
				       .checkpoint_bytes = 512 * KIB };

	return o;
}

static void create(struct blockdev **legs, size_t n_legs, struct blockdev **spares, size_t n_spares,
		   bool bitmap, bool clean)
{
	struct md_mirror_create_params p = {
		.name = "md0",
		.homehost = "host",
		.uuid = test_uuid,
		.legs = legs,
		.n_legs = n_legs,
		.spares = spares,
		.n_spares = n_spares,
		.bitmap = bitmap,
	};
	struct md_mirror_options o = test_opts();
	struct md_mirror_created made;
	struct vg_error err = { 0 };

	o.assume_clean = clean;
	if (md_mirror_create(&p, &o, &made, &err) < 0)
		fail_msg("create: %s", err.message);
	assert_int_equal(made.size_sectors,
			 legs[0]->size_bytes == LEG_BYTES ? LEG_SIZE_SECTORS : made.size_sectors);
}

static struct md_super read_sb(struct blockdev *dev)
{
	struct md_super sb;
	struct vg_error err = { 0 };

	if (md_super_probe(dev, &sb, &err) < 0)
		fail_msg("probe %s: %s", dev->path, err.message);
	return sb;
}

static bool has_sb(struct blockdev *dev)
{
	struct md_super sb;

	return md_super_probe(dev, &sb, NULL) == 0;
}

static struct md_mirror_view *view_of(struct blockdev **devs, size_t n)
{
	struct md_mirror_view *view = NULL;
	struct vg_error err = { 0 };

	if (md_mirror_view_read(devs, n, NULL, &view, &err) < 0)
		fail_msg("view: %s", err.message);
	return view;
}

static const struct md_mirror_leg *leg_of(const struct md_mirror_view *view, struct blockdev *dev)
{
	ssize_t k = md_mirror_view_find(view, dev);

	assert_true(k >= 0);
	return &view->legs[k];
}

/* Copies of the devices' bytes, to prove a refusal wrote nothing. */
struct snapshot {
	size_t n;
	uint8_t *bytes[8];
};

static void snap(struct snapshot *s, struct blockdev **devs, size_t n)
{
	s->n = n;
	for (size_t i = 0; i < n; i++) {
		s->bytes[i] = malloc(devs[i]->size_bytes);
		assert_non_null(s->bytes[i]);
		assert_int_equal(blockdev_read(devs[i], 0, s->bytes[i], devs[i]->size_bytes, NULL), 0);
	}
}

static void assert_unchanged(struct snapshot *s, struct blockdev **devs)
{
	for (size_t i = 0; i < s->n; i++) {
		uint8_t *now = malloc(devs[i]->size_bytes);

		assert_non_null(now);
		assert_int_equal(blockdev_read(devs[i], 0, now, devs[i]->size_bytes, NULL), 0);
		if (memcmp(now, s->bytes[i], devs[i]->size_bytes) != 0)
			fail_msg("%s changed although the operation was refused", devs[i]->path);
		free(now);
		free(s->bytes[i]);
		s->bytes[i] = NULL;
	}
}

static uint8_t pattern_byte(uint64_t pos, uint8_t seed)
{
	return (uint8_t)(pos * 31 + (pos >> 9) * 7 + seed);
}

static void fill(uint8_t *buf, size_t len, uint64_t offset, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = pattern_byte(offset + i, seed);
}

/* Write @len bytes of pattern @seed at @offset through the userspace mirror, then flush it. */
static void write_through_mirror(struct blockdev **devs, size_t n, uint64_t offset, size_t len, uint8_t seed)
{
	struct md_mirror_view *view = view_of(devs, n);
	struct blockdev *mirror = NULL;
	struct vg_error err = { 0 };
	uint8_t *buf = malloc(len);

	assert_non_null(buf);
	fill(buf, len, offset, seed);
	if (md_mirror_dev_open(view, 0, &mirror, &err) < 0)
		fail_msg("mirror open: %s", err.message);
	assert_int_equal(blockdev_write(mirror, offset, buf, len, &err), 0);
	assert_int_equal(blockdev_flush(mirror, &err), 0);
	blockdev_close(mirror);
	md_mirror_view_free(view);
	free(buf);
}

static void assert_pattern(struct blockdev *dev, uint64_t offset, size_t len, uint8_t seed)
{
	uint8_t *buf = malloc(len), *want = malloc(len);

	assert_non_null(buf);
	assert_non_null(want);
	assert_int_equal(blockdev_read(dev, offset, buf, len, NULL), 0);
	fill(want, len, offset, seed);
	if (memcmp(buf, want, len) != 0)
		fail_msg("%s: pattern %u is not at %" PRIu64 "+%zu", dev->path, seed, offset, len);
	free(buf);
	free(want);
}

static bool all_zero(struct blockdev *dev, uint64_t offset, uint64_t len)
{
	uint8_t buf[4096];

	while (len > 0) {
		size_t n = (size_t)MIN(len, sizeof(buf));

		assert_int_equal(blockdev_read(dev, offset, buf, n, NULL), 0);
		for (size_t i = 0; i < n; i++)
			if (buf[i])
				return false;
		offset += n;
		len -= n;
	}
	return true;
}

/* ---- create ---- */

static void test_create(void **state)
{
	struct blockdev *devs[3];
	struct md_super sb[3];
	struct md_bitmap_super bm;
	uint64_t dirty = 0;

	open_legs(devs, 3, LEG_BYTES, NULL);
	create(devs, 2, devs + 2, 1, false, false);
	for (size_t i = 0; i < 3; i++) {
		sb[i] = read_sb(devs[i]);
		assert_int_equal(sb[i].version, MD_SUPER_1_0);
		assert_memory_equal(sb[i].set_uuid, test_uuid, 16);
		assert_string_equal(sb[i].set_name, "host:md0");
		assert_int_equal(sb[i].level, 1);
		assert_int_equal(sb[i].raid_disks, 2);
		assert_int_equal(sb[i].size_sectors, LEG_SIZE_SECTORS);
		assert_int_equal(sb[i].super_offset_sectors, LEG_SB_SECTOR);
		assert_int_equal(sb[i].data_size_sectors, LEG_SB_SECTOR - 16);
		assert_int_equal(sb[i].events, 0);
		assert_int_equal(sb[i].resync_offset, 0); /* not --assume-clean: md resyncs */
		assert_int_equal(sb[i].ctime, TEST_TIME);
		assert_int_equal(sb[i].dev_number, i);
		assert_int_equal(sb[i].max_dev, 128);
		assert_int_equal(sb[i].dev_roles[0], 0);
		assert_int_equal(sb[i].dev_roles[1], 1);
		assert_int_equal(sb[i].dev_roles[2], MD_ROLE_SPARE);
		assert_int_equal(sb[i].feature_map, 0);
	}
	assert_int_equal(md_super_role(&sb[2]), MD_ROLE_SPARE);
	assert_memory_not_equal(sb[0].device_uuid, sb[1].device_uuid, 16);
	close_legs(devs, 3);

	/* With a bitmap and --assume-clean. */
	open_legs(devs, 2, LEG_BYTES, NULL);
	create(devs, 2, NULL, 0, true, true);
	for (size_t i = 0; i < 2; i++) {
		sb[i] = read_sb(devs[i]);
		assert_int_equal(sb[i].resync_offset, UINT64_MAX);
		assert_int_equal(sb[i].feature_map, MD_FEATURE_BITMAP_OFFSET);
		assert_int_equal(sb[i].bitmap_offset_sectors, -16);
		assert_int_equal(sb[i].data_size_sectors, LEG_SB_SECTOR - 16);
		assert_int_equal(md_bitmap_read(devs[i], &sb[i], &bm, NULL), 0);
		assert_int_equal(bm.version, 4);
		assert_int_equal(bm.chunk_bytes, 64 * MIB);
		assert_int_equal(bm.sync_size_sectors, LEG_SIZE_SECTORS);
		assert_int_equal(bm.daemon_sleep_seconds, 5);
		assert_memory_equal(bm.uuid, test_uuid, 16);
		assert_int_equal(md_bitmap_count_dirty(devs[i], &sb[i], &bm, &dirty, NULL), 0);
		assert_int_equal(dirty, 1);
	}
	close_legs(devs, 2);
}

static void test_create_refusals(void **state)
{
	struct blockdev *devs[3], *small = NULL, *ro = NULL, *odd = NULL;
	struct md_mirror_create_params p = { .name = "md0", .uuid = test_uuid };
	struct md_mirror_options o = test_opts();
	struct md_mirror_created made = { .size_sectors = 12345 };
	struct vg_error err = { 0 };
	struct snapshot s;
	struct blockdev *twice[2];

	open_legs(devs, 3, LEG_BYTES, NULL);

	p.legs = devs;
	p.n_legs = 1;
	assert_int_equal(md_mirror_create(&p, &o, &made, &err), -EINVAL);
	assert_message_contains(&err, "at least 2");

	twice[0] = devs[0];
	twice[1] = devs[0];
	p.legs = twice;
	p.n_legs = 2;
	snap(&s, devs, 1);
	assert_int_equal(md_mirror_create(&p, &o, &made, &err), -EINVAL);
	assert_message_contains(&err, "given twice");
	assert_unchanged(&s, devs);

	/* A leg of another array: -EBUSY, nothing written on any device; force takes it. */
	create(devs + 1, 2, NULL, 0, false, true);
	p.legs = devs;
	p.n_legs = 2;
	snap(&s, devs, 3);
	assert_int_equal(md_mirror_create(&p, &o, &made, &err), -EBUSY);
	assert_message_contains(&err, "leg1");
	assert_message_contains(&err, "already carries an md superblock");
	assert_unchanged(&s, devs);
	assert_int_equal(made.size_sectors, 12345); /* untouched on failure */

	/* Legs more than 1% apart: refused; within 1%: the smaller one sets the size. */
	odd = mem_dev("big", LEG_BYTES + LEG_BYTES / 50, NULL);
	twice[0] = devs[0];
	twice[1] = odd;
	p.legs = twice;
	snap(&s, twice, 2);
	assert_int_equal(md_mirror_create(&p, &o, &made, &err), -EINVAL);
	assert_message_contains(&err, "1%");
	assert_unchanged(&s, twice);
	o.force = true;
	assert_int_equal(md_mirror_create(&p, &o, &made, &err), 0);
	assert_int_equal(made.size_sectors, LEG_SIZE_SECTORS);
	o.force = false;
	blockdev_close(odd);
	odd = mem_dev("close", LEG_BYTES + 32 * KIB, NULL);
	twice[1] = odd;
	assert_int_equal(md_mirror_create(&p, &o, &made, &err), -EBUSY); /* devs[0] is a leg now */
	o.force = true;
	assert_int_equal(md_mirror_create(&p, &o, &made, &err), 0);
	assert_int_equal(made.size_sectors, LEG_SIZE_SECTORS);
	o.force = false;

	/* A spare too small for the array. */
	close_legs(devs, 3);
	open_legs(devs, 2, LEG_BYTES, NULL);
	small = mem_dev("small", 2 * MIB, NULL);
	p.legs = devs;
	p.spares = &small;
	p.n_spares = 1;
	snap(&s, devs, 2);
	assert_int_equal(md_mirror_create(&p, &o, &made, &err), -ENOSPC);
	assert_message_contains(&err, "small");
	assert_unchanged(&s, devs);
	assert_false(has_sb(small));

	/* A read-only leg. */
	p.n_spares = 0;
	ro = mem_dev("ro", LEG_BYTES, NULL);
	ro->read_only = true;
	twice[0] = devs[0];
	twice[1] = ro;
	p.legs = twice;
	assert_int_equal(md_mirror_create(&p, &o, &made, &err), -EROFS);
	assert_false(has_sb(devs[0]));

	blockdev_close(small);
	blockdev_close(ro);
	blockdev_close(odd);
	close_legs(devs, 2);
}

/* ---- the view ---- */

/* Rewrite @dev's superblock with other events (and optionally roles), keeping it valid. */
static void set_events(struct blockdev *dev, uint64_t events)
{
	struct md_super sb = read_sb(dev);

	sb.events = events;
	assert_int_equal(md_super_write_1_0(dev, &sb, NULL), 0);
}

static void set_role(struct blockdev *dev, uint32_t dev_number, uint16_t role)
{
	struct md_super sb = read_sb(dev);

	sb.dev_roles[dev_number] = role;
	assert_int_equal(md_super_write_1_0(dev, &sb, NULL), 0);
}

static void test_view_freshness(void **state)
{
	struct blockdev *devs[3];
	struct md_mirror_view *v;

	open_legs(devs, 3, LEG_BYTES, NULL);
	create(devs, 2, devs + 2, 1, false, true);

	v = view_of(devs, 3);
	assert_memory_equal(v->uuid, test_uuid, 16);
	assert_string_equal(v->name, "host:md0");
	assert_int_equal(v->raid_disks, 2);
	assert_int_equal(v->size_sectors, LEG_SIZE_SECTORS);
	assert_true(v->clean);
	assert_int_equal(v->degraded, 0);
	assert_int_equal(v->n_legs, 3);
	assert_true(leg_of(v, devs[0])->is_reference);
	assert_int_equal(leg_of(v, devs[0])->state, MD_LEG_IN_SYNC);
	assert_int_equal(leg_of(v, devs[1])->state, MD_LEG_IN_SYNC);
	assert_int_equal(leg_of(v, devs[2])->state, MD_LEG_SPARE);
	assert_int_equal(md_mirror_view_source(v), 0);
	md_mirror_view_free(v);

	/* One event behind is still up to date; the freshest leg is the reference. */
	set_events(devs[0], 10);
	set_events(devs[1], 11);
	set_events(devs[2], 11);
	v = view_of(devs, 3);
	assert_true(leg_of(v, devs[1])->is_reference);
	assert_int_equal(v->events, 11);
	assert_true(leg_of(v, devs[0])->fresh);
	assert_int_equal(v->degraded, 0);
	md_mirror_view_free(v);

	/* Two behind is stale: its slot is degraded, the source is the other leg. */
	set_events(devs[0], 9);
	v = view_of(devs, 3);
	assert_false(leg_of(v, devs[0])->fresh);
	assert_int_equal(leg_of(v, devs[0])->state, MD_LEG_IN_SYNC); /* by role; only not fresh */
	assert_int_equal(v->degraded, 1);
	assert_int_equal(md_mirror_view_source(v), md_mirror_view_find(v, devs[1]));
	md_mirror_view_free(v);

	/*
	 * Events rolled back (md may lower them on a clean transition): a
	 * spare ahead of every active leg does not become the reference and,
	 * being ahead of it, is not up to date either.
	 */
	set_events(devs[0], 20);
	set_events(devs[1], 20);
	set_events(devs[2], 21);
	v = view_of(devs, 3);
	assert_true(leg_of(v, devs[0])->is_reference);
	assert_int_equal(v->events, 20);
	assert_false(leg_of(v, devs[2])->fresh);
	assert_true(leg_of(v, devs[1])->fresh);
	md_mirror_view_free(v);

	/* Equal events: the lower slot is the reference. */
	set_events(devs[2], 20);
	v = view_of(devs + 1, 2);
	assert_true(leg_of(v, devs[1])->is_reference);
	assert_int_equal(v->n_legs, 3); /* slot 0 listed as missing */
	assert_false(v->legs[2].present);
	assert_int_equal(v->legs[2].role, 0);
	assert_int_equal(v->degraded, 1);
	md_mirror_view_free(v);

	close_legs(devs, 3);
}

/*
 * A device number md gave again after its holder left (pulled, removed):
 * when the old holder comes back with its older superblock, the newer one
 * holds the number whatever the order given, the old one is stale; equal
 * events cannot be told apart (a copied disk) and are refused.
 */
static void test_view_number_given_again(void **state)
{
	struct blockdev *devs[3], *reversed[3];
	struct md_mirror_view *v = NULL;
	struct vg_error err = { 0 };

	(void)state;
	open_legs(devs, 3, LEG_BYTES, NULL);
	create(devs, 2, NULL, 0, false, true);
	/* devs[2] took over devs[1]'s number and slot, later */
	memcpy(blockdev_memory_bytes(devs[2]), blockdev_memory_bytes(devs[1]), LEG_BYTES);
	set_events(devs[0], 30);
	set_events(devs[2], 30);
	set_events(devs[1], 12);
	reversed[0] = devs[1];
	reversed[1] = devs[2];
	reversed[2] = devs[0];
	for (int order = 0; order < 2; order++) {
		v = view_of(order ? reversed : devs, 3);
		assert_int_equal(v->n_legs, 2);
		assert_int_equal(md_mirror_view_find(v, devs[1]), -ENOENT);
		assert_true(leg_of(v, devs[2])->fresh);
		assert_int_equal(leg_of(v, devs[2])->state, MD_LEG_IN_SYNC);
		assert_int_equal(v->degraded, 0);
		assert_int_equal(v->n_others, 1);
		assert_ptr_equal(v->others[0].dev, devs[1]);
		assert_int_equal(v->others[0].error, -ESTALE);
		assert_non_null(strstr(v->others[0].message, "stale, device number 1 belongs to"));
		md_mirror_view_free(v);
	}
	set_events(devs[1], 30);
	assert_int_equal(md_mirror_view_read(devs, 3, NULL, &v, &err), -EINVAL);
	assert_message_contains(&err, "both claim device number 1");
	close_legs(devs, 3);
}

static void test_view_split_brain(void **state)
{
	struct blockdev *devs[2];
	struct md_mirror_view *v;

	open_legs(devs, 2, LEG_BYTES, NULL);
	create(devs, 2, NULL, 0, false, true);

	/* Each leg ran alone and marked the other failed: leg0 is the reference, leg1 is rejected. */
	set_role(devs[0], 1, MD_ROLE_FAULTY);
	set_role(devs[1], 0, MD_ROLE_FAULTY);
	set_events(devs[0], 5);
	set_events(devs[1], 5);
	v = view_of(devs, 2);
	assert_true(leg_of(v, devs[0])->is_reference);
	assert_true(leg_of(v, devs[1])->rejected);
	assert_false(leg_of(v, devs[1])->fresh);
	assert_int_equal(leg_of(v, devs[1])->state, MD_LEG_FAULTY);
	assert_int_equal(v->degraded, 1);
	md_mirror_view_free(v);

	/* Even one event behind, a leg that calls the reference failed is not trusted. */
	set_role(devs[0], 1, 1);
	set_events(devs[0], 6);
	v = view_of(devs, 2);
	assert_true(leg_of(v, devs[0])->is_reference);
	assert_true(leg_of(v, devs[1])->rejected);
	assert_int_equal(leg_of(v, devs[1])->state, MD_LEG_IN_SYNC);
	assert_false(leg_of(v, devs[1])->fresh);
	assert_int_equal(v->degraded, 1);
	md_mirror_view_free(v);

	/* mdadm's own test: the other leg's role table has nobody in the reference's slot. */
	set_role(devs[1], 0, MD_ROLE_SPARE);
	v = view_of(devs, 2);
	assert_true(leg_of(v, devs[1])->rejected);
	md_mirror_view_free(v);

	close_legs(devs, 2);
}

static void test_view_others(void **state)
{
	struct blockdev *devs[4], *blank, *copy;
	struct md_mirror_view *v = NULL;
	struct vg_error err = { 0 };
	uint8_t other_uuid[16];

	open_legs(devs, 4, LEG_BYTES, NULL);
	create(devs, 2, NULL, 0, false, true);
	memcpy(other_uuid, test_uuid, 16);
	other_uuid[0] ^= 0xff;
	{
		struct md_mirror_create_params p = {
			.name = "md1", .uuid = other_uuid, .legs = devs + 2, .n_legs = 2
		};
		struct md_mirror_options o = test_opts();

		assert_int_equal(md_mirror_create(&p, &o, NULL, &err), 0);
	}
	blank = mem_dev("blank", LEG_BYTES, NULL);

	/* Two arrays without a uuid to choose: refused, naming them. */
	assert_int_equal(md_mirror_view_read(devs, 4, NULL, &v, &err), -EINVAL);
	assert_message_contains(&err, "more than one array");
	assert_null(v);

	/* With a uuid, the other array's legs and a blank device are reported, not taken. */
	{
		struct blockdev *mixed[] = { devs[0], devs[2], blank, devs[1] };

		assert_int_equal(md_mirror_view_read(mixed, 4, test_uuid, &v, &err), 0);
		assert_int_equal(v->n_legs, 2);
		assert_int_equal(v->n_others, 2);
		assert_int_equal(v->others[0].error, -EXDEV);
		assert_ptr_equal(v->others[0].dev, devs[2]);
		assert_int_equal(v->others[1].error, -ENODATA);
		assert_ptr_equal(v->others[1].dev, blank);
		md_mirror_view_free(v);
		v = NULL;
	}
	/* Nothing of the array at all. */
	assert_int_equal(md_mirror_view_read(&blank, 1, NULL, &v, &err), -ENODATA);
	assert_message_contains(&err, "blank");

	/* A byte copy of a leg claims the same device number. */
	copy = mem_dev("copy", LEG_BYTES, NULL);
	memcpy(blockdev_memory_bytes(copy), blockdev_memory_bytes(devs[1]), LEG_BYTES);
	{
		struct blockdev *dup[] = { devs[0], devs[1], copy };

		assert_int_equal(md_mirror_view_read(dup, 3, NULL, &v, &err), -EINVAL);
		assert_message_contains(&err, "device number 1");
	}
	/* The same device twice. */
	{
		struct blockdev *twice[] = { devs[0], devs[0] };

		assert_int_equal(md_mirror_view_read(twice, 2, NULL, &v, &err), -EINVAL);
		assert_message_contains(&err, "given twice");
	}
	blockdev_close(blank);
	blockdev_close(copy);
	close_legs(devs, 4);
}

/* Older kernels mark every unused role entry failed: no phantom legs, and the numbers are reused. */
static void test_view_old_kernel_roles(void **state)
{
	struct md_super sb;
	struct blockdev *devs[3];
	struct md_mirror_options o = test_opts();
	struct md_mirror_view *v;
	struct vg_error err = { 0 };
	uint32_t number = 99;

	open_legs(devs, 3, LEG_BYTES, NULL);
	create(devs, 2, NULL, 0, false, true);
	for (size_t i = 0; i < 2; i++) {
		sb = read_sb(devs[i]);
		for (uint32_t d = 2; d < sb.max_dev; d++)
			sb.dev_roles[d] = MD_ROLE_FAULTY;
		assert_int_equal(md_super_write_1_0(devs[i], &sb, NULL), 0);
	}
	v = view_of(devs, 2);
	assert_int_equal(v->n_legs, 2);
	assert_int_equal(v->degraded, 0);
	assert_int_equal(md_mirror_add(v, devs[2], MD_ADD_AUTO, &o, &number, &err), 0);
	md_mirror_view_free(v);
	assert_int_equal(number, 2); /* not 128: the role table does not grow */
	sb = read_sb(devs[2]);
	assert_int_equal(sb.max_dev, 128);
	assert_int_equal(md_super_role(&sb), MD_ROLE_SPARE); /* no slot free: it became a spare */
	close_legs(devs, 3);
}

/* A 1.2 mirror (data from 1 MiB) is shown, but neither changed nor mapped 1:1. */
static void test_view_1_2(void **state)
{
	struct md_raid1_leg_params p = {
		.name = "md12",
		.raid_disks = 2,
		.device_sectors = LEG_BYTES / 512,
		.clean = true,
		.ctime = TEST_TIME,
	};
	uint8_t buf[MD_SB_1_MAX_BYTES];
	struct blockdev *dev = mem_dev("leg12", LEG_BYTES, NULL), *mirror = NULL;
	struct md_mirror_options o = test_opts();
	struct md_mirror_view *v;
	struct vg_error err = { 0 };
	struct md_super sb;

	memcpy(p.set_uuid, test_uuid, 16);
	assert_int_equal(md_super_init_raid1_leg(&sb, &p, &err), 0);
	sb.version = MD_SUPER_1_2;
	sb.super_offset_sectors = 8;
	sb.data_offset_sectors = 2048;
	sb.data_size_sectors = LEG_BYTES / 512 - 2048;
	sb.size_sectors = sb.data_size_sectors;
	sb.bblog_offset = 8;
	assert_int_equal(md_super_encode_1(&sb, buf, sizeof(buf), &err), 0);
	assert_int_equal(blockdev_write(dev, 8 * 512, buf, 512, &err), 0);

	v = view_of(&dev, 1);
	assert_int_equal(v->version, MD_SUPER_1_2);
	assert_int_equal(v->degraded, 1);
	assert_int_equal(md_mirror_dev_open(v, BLOCKDEV_READ_ONLY, &mirror, &err), -EPROTONOSUPPORT);
	assert_int_equal(md_mirror_fail(v, 1, &o, &err), -EPROTONOSUPPORT);
	assert_message_contains(&err, "1.2");
	assert_int_equal(md_mirror_recover(v, &o, &err), -EPROTONOSUPPORT);
	md_mirror_view_free(v);
	blockdev_close(dev);
}

/* ---- the userspace mirror device ---- */

static void test_mirror_dev(void **state)
{
	struct blockdev *devs[3], *mirror = NULL;
	struct md_mirror_view *v;
	struct vg_error err = { 0 };
	uint8_t buf[8192], got[8192];
	struct md_super sb;

	open_legs(devs, 3, LEG_BYTES, NULL);
	create(devs, 2, devs + 2, 1, false, true);
	v = view_of(devs, 3);
	assert_int_equal(md_mirror_dev_open(v, 0, &mirror, &err), 0);
	assert_int_equal(mirror->size_bytes, LEG_SIZE_SECTORS * 512);

	/* Data lands at the same offset on both legs (1.0: leg sector k is array sector k), not on the spare. */
	fill(buf, sizeof(buf), 12345, 3);
	assert_int_equal(blockdev_write(mirror, 12345, buf, sizeof(buf), &err), 0);
	/* Before the flush the mirror says dirty, one event on, on every leg (the spare too). */
	for (size_t i = 0; i < 3; i++) {
		sb = read_sb(devs[i]);
		assert_int_equal(sb.resync_offset, 0);
		assert_int_equal(sb.events, 1);
	}
	assert_int_equal(blockdev_flush(mirror, &err), 0);
	for (size_t i = 0; i < 3; i++) {
		sb = read_sb(devs[i]);
		assert_int_equal(sb.resync_offset, UINT64_MAX);
		assert_int_equal(sb.events, 2);
		if (i < 2)
			assert_pattern(devs[i], 12345, sizeof(buf), 3);
	}
	assert_int_equal(md_super_role(&sb), MD_ROLE_SPARE);
	assert_true(all_zero(devs[2], 0, 64 * KIB));
	assert_int_equal(blockdev_read(mirror, 12345, got, sizeof(got), &err), 0);
	assert_memory_equal(got, buf, sizeof(buf));

	/* The array ends where the mirror does. */
	assert_int_equal(blockdev_write(mirror, LEG_SIZE_SECTORS * 512 - 100, buf, 200, &err), -ENXIO);
	blockdev_close(mirror);
	md_mirror_view_free(v);

	/* Read-only: reads work, writes are refused, nothing is marked. */
	v = view_of(devs, 3);
	assert_int_equal(md_mirror_dev_open(v, BLOCKDEV_READ_ONLY, &mirror, &err), 0);
	assert_int_equal(blockdev_read(mirror, 12345, got, sizeof(got), &err), 0);
	assert_memory_equal(got, buf, sizeof(buf));
	assert_int_equal(blockdev_write(mirror, 0, buf, 512, &err), -EROFS);
	blockdev_close(mirror);
	md_mirror_view_free(v);
	assert_int_equal(read_sb(devs[0]).events, 2);

	/* A mirror closed without a flush stays dirty: md will resync. */
	v = view_of(devs, 3);
	assert_int_equal(md_mirror_dev_open(v, 0, &mirror, &err), 0);
	assert_int_equal(blockdev_write(mirror, 0, buf, 512, &err), 0);
	blockdev_close(mirror);
	md_mirror_view_free(v);
	v = view_of(devs, 3);
	assert_false(v->clean);
	assert_int_equal(v->events, 3);
	md_mirror_view_free(v);

	/* A degraded mirror writes to the leg it has; no in-sync leg at all: no mirror. */
	v = view_of(devs, 1);
	assert_int_equal(md_mirror_dev_open(v, 0, &mirror, &err), 0);
	blockdev_close(mirror);
	md_mirror_view_free(v);
	v = view_of(devs + 2, 1);
	assert_int_equal(md_mirror_dev_open(v, 0, &mirror, &err), -ENODEV);
	md_mirror_view_free(v);
	close_legs(devs, 3);
}

/* Image files: the fd backend, and a mirror larger than one 64 MiB bitmap chunk. */
static void test_mirror_dev_files_bitmap(void **state)
{
	char paths[2][64];
	struct blockdev *devs[2], *mirror = NULL;
	struct md_mirror_view *v;
	struct md_bitmap_super bm;
	struct vg_error err = { 0 };
	uint8_t buf[4096];
	uint64_t dirty, bits_offset;
	struct md_super sb;

	for (size_t i = 0; i < 2; i++) {
		int fd;

		snprintf(paths[i], sizeof(paths[i]), "/tmp/test-md-mirror-XXXXXX");
		fd = mkstemp(paths[i]);
		assert_true(fd >= 0);
		assert_int_equal(ftruncate(fd, 200 * (off_t)MIB), 0);
		close(fd);
		assert_int_equal(blockdev_open(paths[i], 0, &devs[i], &err), 0);
	}
	create(devs, 2, NULL, 0, true, true);
	sb = read_sb(devs[0]);
	assert_int_equal(md_bitmap_read(devs[0], &sb, &bm, NULL), 0);
	assert_int_equal(md_bitmap_bits(bm.sync_size_sectors, bm.chunk_bytes), 4);
	/* mdadm sets every bit on create; clear them on both legs to see the mirror set its own. */
	assert_int_equal(md_bitmap_offset_bytes(&sb, devs[0]->size_bytes, &bits_offset, NULL), 0);
	for (size_t i = 0; i < 2; i++)
		assert_int_equal(blockdev_zero(devs[i], bits_offset + 256, 512 - 256, NULL), 0);

	v = view_of(devs, 2);
	assert_int_equal(md_mirror_dev_open(v, 0, &mirror, &err), 0);
	fill(buf, sizeof(buf), 65 * MIB, 9);
	assert_int_equal(blockdev_write(mirror, 65 * MIB, buf, sizeof(buf), &err), 0); /* chunk 1 */
	fill(buf, sizeof(buf), 128 * MIB - 2048, 9);
	/* Across chunks 1 and 2. */
	assert_int_equal(blockdev_write(mirror, 128 * MIB - 2048, buf, sizeof(buf), &err), 0);
	assert_int_equal(blockdev_flush(mirror, &err), 0);
	blockdev_close(mirror);
	md_mirror_view_free(v);
	for (size_t i = 0; i < 2; i++) {
		uint8_t bits;

		sb = read_sb(devs[i]);
		assert_int_equal(md_bitmap_count_dirty(devs[i], &sb, &bm, &dirty, NULL), 0);
		assert_int_equal(dirty, 2);
		assert_int_equal(blockdev_read(devs[i], bits_offset + 256, &bits, 1, NULL), 0);
		assert_int_equal(bits, 0x06);
		/* The bitmap's events follow the superblock's (dirty, then clean: 2). */
		assert_int_equal(md_bitmap_read(devs[i], &sb, &bm, NULL), 0);
		assert_int_equal(bm.events, 2);
		assert_int_equal(sb.events, 2);
		assert_pattern(devs[i], 65 * MIB, sizeof(buf), 9);
	}
	for (size_t i = 0; i < 2; i++) {
		blockdev_close(devs[i]);
		unlink(paths[i]);
	}
}

/* ---- fail, remove ---- */

static void test_fail_remove(void **state)
{
	struct blockdev *devs[3];
	struct md_mirror_view *v;
	struct md_mirror_options o = test_opts();
	struct vg_error err = { 0 };
	struct snapshot s;
	struct md_super before, sb;

	open_legs(devs, 3, LEG_BYTES, NULL);
	create(devs, 3, NULL, 0, true, true);
	write_through_mirror(devs, 3, 0, 64 * KIB, 1);

	/* A missing leg blocks changes unless forced. */
	v = view_of(devs, 2);
	snap(&s, devs, 2);
	assert_int_equal(md_mirror_fail(v, 1, &o, &err), -ENODEV);
	assert_message_contains(&err, "slot 2");
	assert_unchanged(&s, devs);
	md_mirror_view_free(v);

	/* Fail leg1: the others carry events + 1 and call it faulty; leg1 itself is not written. */
	v = view_of(devs, 3);
	before = read_sb(devs[1]);
	snap(&s, devs + 1, 1);
	assert_int_equal(md_mirror_fail(v, (size_t)md_mirror_view_find(v, devs[1]), &o, &err), 0);
	assert_unchanged(&s, devs + 1);
	md_mirror_view_free(v);
	for (size_t i = 0; i < 3; i += 2) {
		sb = read_sb(devs[i]);
		assert_int_equal(sb.events, before.events + 1);
		assert_int_equal(sb.dev_roles[1], MD_ROLE_FAULTY);
		assert_int_equal(sb.dev_roles[0], 0);
		assert_int_equal(sb.dev_roles[2], 2);
		assert_int_equal(sb.utime, TEST_TIME);
	}
	v = view_of(devs, 3);
	assert_int_equal(leg_of(v, devs[1])->state, MD_LEG_FAULTY);
	assert_int_equal(v->degraded, 1);

	/* Failing it again changes nothing. */
	snap(&s, devs, 3);
	assert_int_equal(md_mirror_fail(v, (size_t)md_mirror_view_find(v, devs[1]), &o, &err), 0);
	assert_unchanged(&s, devs);

	/* Removing a working leg is refused. */
	snap(&s, devs, 3);
	assert_int_equal(md_mirror_remove(v, (size_t)md_mirror_view_find(v, devs[0]), &o, &err), -EBUSY);
	assert_message_contains(&err, "fail it first");
	assert_unchanged(&s, devs);

	/* Remove the failed one: its entry becomes unused, its superblock goes, its data stays. */
	assert_int_equal(md_mirror_remove(v, (size_t)md_mirror_view_find(v, devs[1]), &o, &err), 0);
	md_mirror_view_free(v);
	assert_false(has_sb(devs[1]));
	assert_pattern(devs[1], 0, 64 * KIB, 1);
	sb = read_sb(devs[0]);
	assert_int_equal(sb.events, before.events + 2);
	assert_int_equal(sb.dev_roles[1], MD_ROLE_SPARE);
	v = view_of(devs, 3);
	assert_int_equal(v->n_legs, 2);
	assert_int_equal(v->n_others, 1);
	assert_int_equal(v->degraded, 1);

	/* Fail leg2; failing the last in-sync leg is then refused. */
	assert_int_equal(md_mirror_fail(v, (size_t)md_mirror_view_find(v, devs[2]), &o, &err), 0);
	md_mirror_view_free(v);
	v = view_of(devs, 3);
	snap(&s, devs, 3);
	assert_int_equal(md_mirror_fail(v, (size_t)md_mirror_view_find(v, devs[0]), &o, &err), -EBUSY);
	assert_message_contains(&err, "last in-sync");
	assert_unchanged(&s, devs);

	/* Remove leg2 keeping its superblock but zeroing its head. */
	o.keep_superblock = true;
	o.zero_bytes = 32 * KIB;
	assert_int_equal(md_mirror_remove(v, (size_t)md_mirror_view_find(v, devs[2]), &o, &err), 0);
	md_mirror_view_free(v);
	assert_true(has_sb(devs[2]));
	assert_true(all_zero(devs[2], 0, 32 * KIB));
	assert_pattern(devs[2], 32 * KIB, 32 * KIB, 1);
	assert_int_equal(read_sb(devs[0]).dev_roles[2], MD_ROLE_SPARE);
	close_legs(devs, 3);
}

static void test_fail_missing_forced(void **state)
{
	struct blockdev *devs[3];
	struct md_mirror_view *v;
	struct md_mirror_options o = test_opts();
	struct vg_error err = { 0 };
	struct md_super sb;
	ssize_t missing = -1;

	open_legs(devs, 3, LEG_BYTES, NULL);
	create(devs, 3, NULL, 0, false, true);
	v = view_of(devs, 2);
	for (size_t k = 0; k < v->n_legs; k++)
		if (!v->legs[k].present)
			missing = (ssize_t)k;
	assert_true(missing >= 0);
	/* The missing leg itself may be failed without force... */
	assert_int_equal(md_mirror_fail(v, (size_t)missing, &o, &err), 0);
	md_mirror_view_free(v);
	assert_int_equal(read_sb(devs[0]).dev_roles[2], MD_ROLE_FAULTY);
	assert_int_equal(read_sb(devs[2]).events, 0); /* never written */
	v = view_of(devs, 3);
	assert_int_equal(leg_of(v, devs[2])->state, MD_LEG_FAULTY);
	/* ...and so may a missing one be removed, its entry then unused. */
	assert_int_equal(md_mirror_remove(v, (size_t)md_mirror_view_find(v, devs[2]), &o, &err), 0);
	md_mirror_view_free(v);
	assert_int_equal(read_sb(devs[0]).dev_roles[2], MD_ROLE_SPARE);
	close_legs(devs, 3);

	/* Failing another leg while one is missing takes force, which fails the missing one too. */
	open_legs(devs, 3, LEG_BYTES, NULL);
	create(devs, 3, NULL, 0, false, true);
	v = view_of(devs, 2);
	assert_int_equal(md_mirror_fail(v, (size_t)md_mirror_view_find(v, devs[1]), &o, &err), -ENODEV);
	assert_int_equal(md_mirror_remove(v, (size_t)missing, &o, &err), -EBUSY); /* in sync, only missing */
	o.force = true;
	assert_int_equal(md_mirror_fail(v, (size_t)md_mirror_view_find(v, devs[1]), &o, &err), 0);
	md_mirror_view_free(v);
	sb = read_sb(devs[0]);
	assert_int_equal(sb.dev_roles[0], 0);
	assert_int_equal(sb.dev_roles[1], MD_ROLE_FAULTY);
	assert_int_equal(sb.dev_roles[2], MD_ROLE_FAULTY);
	close_legs(devs, 3);
}

/* ---- add, replace, recover ---- */

static int cancel_after(uint64_t done, uint64_t total, void *userdata)
{
	uint64_t *limit = userdata;

	return done >= *limit ? -ECANCELED : 0;
}

static void test_add(void **state)
{
	struct blockdev *devs[4], *small, *foreign;
	struct md_mirror_view *v;
	struct md_mirror_options o = test_opts();
	struct vg_error err = { 0 };
	struct snapshot s;
	struct md_bitmap_super bm;
	struct md_super sb;
	uint32_t number = 99;
	uint64_t limit = 1 * MIB;

	open_legs(devs, 4, LEG_BYTES, NULL);
	create(devs, 2, NULL, 0, true, true);
	write_through_mirror(devs, 2, 0, LEG_SIZE_SECTORS * 512, 5);

	/* Fail and remove leg1, then add a blank device into its slot: the data is copied. */
	v = view_of(devs, 2);
	assert_int_equal(md_mirror_fail(v, 1, &o, &err), 0);
	md_mirror_view_free(v);
	v = view_of(devs, 2);
	assert_int_equal(md_mirror_remove(v, 1, &o, &err), 0);
	md_mirror_view_free(v);
	v = view_of(devs, 1);
	assert_int_equal(v->degraded, 1);

	/* Refusals first: a member, a foreign array's leg, a device too small. */
	snap(&s, devs, 1);
	assert_int_equal(md_mirror_add(v, devs[0], MD_ADD_AUTO, &o, NULL, &err), -EEXIST);
	assert_unchanged(&s, devs);
	foreign = mem_dev("foreign", LEG_BYTES, NULL);
	{
		struct blockdev *pair[] = { foreign, devs[3] };
		struct md_mirror_create_params p = { .name = "other", .legs = pair, .n_legs = 2 };

		assert_int_equal(md_mirror_create(&p, &o, NULL, &err), 0);
	}
	snap(&s, devs, 1);
	assert_int_equal(md_mirror_add(v, foreign, MD_ADD_AUTO, &o, NULL, &err), -EBUSY);
	assert_message_contains(&err, "foreign");
	assert_unchanged(&s, devs);
	small = mem_dev("small", 2 * MIB, NULL);
	snap(&s, devs, 1);
	assert_int_equal(md_mirror_add(v, small, MD_ADD_AUTO, &o, NULL, &err), -ENOSPC);
	assert_unchanged(&s, devs);
	assert_false(has_sb(small));

	assert_int_equal(md_mirror_add(v, devs[2], MD_ADD_AUTO, &o, &number, &err), 0);
	md_mirror_view_free(v);
	assert_int_equal(number, 1); /* the removed leg's number was free again */
	assert_pattern(devs[2], 0, LEG_SIZE_SECTORS * 512, 5);
	sb = read_sb(devs[2]);
	assert_int_equal(md_super_role(&sb), 1);
	assert_int_equal(sb.feature_map, MD_FEATURE_BITMAP_OFFSET); /* recovery finished */
	/* 2 after the data went through the mirror (dirty, clean), then fail, remove, add, in sync. */
	assert_int_equal(sb.events, 6);
	assert_int_equal(sb.bitmap_offset_sectors, -16);
	assert_int_equal(md_bitmap_read(devs[2], &sb, &bm, NULL), 0);
	assert_int_equal(bm.events, 6);
	assert_int_equal(read_sb(devs[0]).events, 6);
	assert_int_equal(read_sb(devs[0]).dev_roles[1], 1);
	{
		struct blockdev *now[] = { devs[0], devs[2] };

		v = view_of(now, 2);
		assert_int_equal(v->degraded, 0);
		/* No slot left: the next device goes in as a spare. */
		assert_int_equal(md_mirror_add(v, devs[1], MD_ADD_AUTO, &o, &number, &err), 0);
		md_mirror_view_free(v);
		assert_int_equal(number, 2);
		sb = read_sb(devs[1]);
		assert_int_equal(md_super_role(&sb), MD_ROLE_SPARE);
		assert_int_equal(sb.feature_map, MD_FEATURE_BITMAP_OFFSET);
	}

	/* A cancelled copy leaves a recovering leg with its checkpoint; recover finishes it. */
	{
		struct blockdev *three[] = { devs[0], devs[2], devs[1] };

		v = view_of(three, 3);
		assert_int_equal(md_mirror_fail(v, 1, &o, &err), 0);
		md_mirror_view_free(v);
		v = view_of(three, 3);
		assert_int_equal(md_mirror_remove(v, 1, &o, &err), 0);
		md_mirror_view_free(v);
		/* The spare takes the degraded slot. */
		v = view_of(three, 3);
		o.progress = cancel_after;
		o.userdata = &limit;
		assert_int_equal(md_mirror_add(v, devs[1], MD_ADD_AUTO, &o, NULL, &err), -ECANCELED);
		md_mirror_view_free(v);
		o.progress = NULL;
		v = view_of(three, 3);
		assert_int_equal(leg_of(v, devs[1])->state, MD_LEG_RECOVERING);
		assert_int_equal(leg_of(v, devs[1])->role, 1);
		/* Cancelled at 1 MiB, before the checkpoint there: the one at 512 KiB stands. */
		assert_int_equal(leg_of(v, devs[1])->recovery_offset_sectors, 512 * KIB / 512);
		assert_int_equal(v->degraded, 1);
		sb = read_sb(devs[1]);
		assert_int_equal(sb.feature_map, MD_FEATURE_BITMAP_OFFSET | MD_FEATURE_RECOVERY_OFFSET);
		assert_int_equal(md_mirror_recover(v, &o, &err), 1);
		md_mirror_view_free(v);
		v = view_of(three, 3);
		assert_int_equal(leg_of(v, devs[1])->state, MD_LEG_IN_SYNC);
		assert_int_equal(v->degraded, 0);
		assert_int_equal(md_mirror_recover(v, &o, &err), 0);
		md_mirror_view_free(v);
		assert_pattern(devs[1], 0, LEG_SIZE_SECTORS * 512, 5);
	}
	blockdev_close(small);
	blockdev_close(foreign);
	close_legs(devs, 4);
}

static void test_replace(void **state)
{
	struct blockdev *devs[4];
	struct md_mirror_view *v;
	struct md_mirror_options o = test_opts();
	struct vg_error err = { 0 };
	struct md_super sb;
	uint64_t limit = 2 * MIB;

	open_legs(devs, 4, LEG_BYTES, NULL);
	create(devs, 2, NULL, 0, false, true);
	write_through_mirror(devs, 2, 0, LEG_SIZE_SECTORS * 512, 8);

	/* Replace the working leg0 by leg2, interrupted: leg0 stays in service, leg2 shows as 'R'. */
	v = view_of(devs, 2);
	o.progress = cancel_after;
	o.userdata = &limit;
	assert_int_equal(md_mirror_replace(v, 0, devs[2], &o, &err), -ECANCELED);
	o.progress = NULL;
	md_mirror_view_free(v);
	v = view_of(devs, 3);
	assert_int_equal(leg_of(v, devs[2])->state, MD_LEG_REPLACEMENT);
	assert_int_equal(leg_of(v, devs[2])->role, 0);
	assert_int_equal(leg_of(v, devs[0])->state, MD_LEG_IN_SYNC);
	assert_int_equal(v->degraded, 0);
	sb = read_sb(devs[2]);
	assert_true(sb.feature_map & MD_FEATURE_REPLACEMENT);
	assert_int_equal(md_mirror_view_source(v), md_mirror_view_find(v, devs[0]));

	/* Writes meanwhile reach the replacement too. */
	md_mirror_view_free(v);
	write_through_mirror(devs, 3, 3 * MIB, 4096, 9);
	assert_pattern(devs[2], 3 * MIB, 4096, 9);

	/* Resume: leg2 takes slot 0, leg0 is failed, then removed (superblock wiped). */
	v = view_of(devs, 3);
	assert_int_equal(md_mirror_recover(v, &o, &err), 1);
	md_mirror_view_free(v);
	assert_false(has_sb(devs[0]));
	sb = read_sb(devs[2]);
	assert_int_equal(md_super_role(&sb), 0);
	assert_int_equal(sb.feature_map, 0);
	assert_int_equal(sb.dev_roles[0], MD_ROLE_SPARE);
	assert_int_equal(sb.events, read_sb(devs[1]).events);
	assert_pattern(devs[2], 0, 3 * MIB, 8);
	assert_pattern(devs[2], 3 * MIB, 4096, 9);
	{
		struct blockdev *now[] = { devs[1], devs[2] };

		v = view_of(now, 2);
		assert_int_equal(v->degraded, 0);
		assert_int_equal(v->n_legs, 2);

		/* Replace a leg that is missing: the newcomer recovers into its slot, the old entry goes. */
		md_mirror_view_free(v);
		v = view_of(now, 1);
		assert_int_equal(v->n_legs, 2);
		assert_int_equal(md_mirror_replace(v, 1, devs[3], &o, &err), 0);
		md_mirror_view_free(v);
		now[1] = devs[3];
		v = view_of(now, 2);
		assert_int_equal(v->degraded, 0);
		assert_int_equal(v->n_legs, 2);
		assert_int_equal(leg_of(v, devs[3])->role, 0);
		md_mirror_view_free(v);
		assert_pattern(devs[3], 0, 3 * MIB, 8);
	}
	close_legs(devs, 4);
}

static void test_readd_and_spare(void **state)
{
	struct blockdev *devs[4];
	struct md_mirror_view *v;
	struct md_mirror_options o = test_opts();
	struct vg_error err = { 0 };
	struct md_super sb;
	uint32_t number = 99;

	open_legs(devs, 4, LEG_BYTES, NULL);
	create(devs, 2, devs + 2, 1, true, true);
	write_through_mirror(devs, 3, 0, LEG_SIZE_SECTORS * 512, 11);

	/* A failed leg comes back under its old number and is copied in full. */
	v = view_of(devs, 3);
	assert_int_equal(md_mirror_fail(v, 1, &o, &err), 0);
	md_mirror_view_free(v);
	memset(blockdev_memory_bytes(devs[1]), 0, 1 * MIB); /* what it holds no longer matters */
	v = view_of(devs, 3);
	/* Asked for a spare, it comes back as one (no copy)... */
	assert_int_equal(md_mirror_add(v, devs[1], MD_ADD_SPARE, &o, &number, &err), 0);
	md_mirror_view_free(v);
	assert_int_equal(number, 1);
	sb = read_sb(devs[1]);
	assert_int_equal(md_super_role(&sb), MD_ROLE_SPARE);
	assert_true(all_zero(devs[1], 0, 1 * MIB));
	/* ...then, as a spare of the mirror, it is put into the free slot and copied. */
	v = view_of(devs, 3);
	assert_int_equal(v->degraded, 1);
	assert_int_equal(md_mirror_add(v, devs[1], MD_ADD_SPARE, &o, NULL, &err), -EEXIST);
	assert_int_equal(md_mirror_add(v, devs[1], MD_ADD_AUTO, &o, &number, &err), 0);
	md_mirror_view_free(v);
	assert_int_equal(number, 1);
	assert_pattern(devs[1], 0, LEG_SIZE_SECTORS * 512, 11);
	v = view_of(devs, 3);
	assert_int_equal(v->degraded, 0);
	assert_int_equal(leg_of(v, devs[1])->state, MD_LEG_IN_SYNC);
	assert_int_equal(leg_of(v, devs[2])->state, MD_LEG_SPARE);

	/* The spare replaces leg0: it takes slot 0, leg0 leaves with its superblock wiped. */
	assert_int_equal(md_mirror_replace(v, (size_t)md_mirror_view_find(v, devs[0]), devs[2], &o, &err), 0);
	md_mirror_view_free(v);
	assert_false(has_sb(devs[0]));
	sb = read_sb(devs[2]);
	assert_int_equal(md_super_role(&sb), 0);
	assert_int_equal(sb.dev_number, 2);
	assert_pattern(devs[2], 0, LEG_SIZE_SECTORS * 512, 11);
	v = view_of(devs + 1, 2);
	assert_int_equal(v->degraded, 0);
	assert_int_equal(v->n_legs, 2);
	md_mirror_view_free(v);

	/*
	 * A leg two events behind still holds its slot in the reference; the
	 * next change marks it faulty instead of writing it as if in sync.
	 */
	{
		struct blockdev *three[] = { devs[1], devs[2], devs[3] };

		v = view_of(three, 2);
		assert_int_equal(md_mirror_add(v, devs[3], MD_ADD_SPARE, &o, NULL, &err), 0);
		md_mirror_view_free(v);
		set_events(devs[1], read_sb(devs[2]).events - 2);
		v = view_of(three, 3);
		assert_false(leg_of(v, devs[1])->fresh);
		assert_int_equal(v->degraded, 1);
		/* The new spare took the number leg0 left free. */
		assert_int_equal(leg_of(v, devs[3])->dev_number, 0);
		assert_int_equal(md_mirror_fail(v, (size_t)md_mirror_view_find(v, devs[3]), &o, &err), 0);
		md_mirror_view_free(v);
		sb = read_sb(devs[2]);
		assert_int_equal(sb.dev_roles[1], MD_ROLE_FAULTY);        /* the stale leg */
		assert_int_equal(sb.dev_roles[0], MD_ROLE_FAULTY);        /* the failed spare */
		assert_int_equal(read_sb(devs[1]).events, sb.events - 3); /* the stale leg was not written */
	}
	close_legs(devs, 4);
}

/* ---- grow ---- */

/* A bigger memory device holding @dev's bytes at the start: the leg as it is after it grew. */
static struct blockdev *grown(struct blockdev *dev, uint64_t bytes)
{
	struct blockdev *big = mem_dev(dev->path, bytes, NULL);

	memcpy(blockdev_memory_bytes(big), blockdev_memory_bytes(dev), dev->size_bytes);
	blockdev_close(dev);
	return big;
}

static void test_grow(void **state)
{
	struct blockdev *devs[3];
	struct md_mirror_options o = test_opts();
	struct vg_error err = { 0 };
	struct snapshot s;
	struct md_bitmap_super bm;
	struct md_super sb;
	uint64_t size = 0;
	struct md_mirror_view *v;

	open_legs(devs, 3, LEG_BYTES, NULL);
	create(devs, 2, devs + 2, 1, true, true);
	write_through_mirror(devs, 3, 0, LEG_SIZE_SECTORS * 512, 4);

	/* Nothing grew: refused. */
	snap(&s, devs, 3);
	assert_int_equal(md_mirror_grow(devs, 3, &o, &size, &err), -EINVAL);
	assert_message_contains(&err, "did not grow");
	assert_unchanged(&s, devs);

	/* Two of three grew: refused, nothing written. */
	devs[0] = grown(devs[0], 6 * MIB);
	devs[1] = grown(devs[1], 6 * MIB);
	snap(&s, devs, 3);
	assert_int_equal(md_mirror_grow(devs, 3, &o, &size, &err), -EINVAL);
	assert_message_contains(&err, "leg2");
	assert_unchanged(&s, devs);

	/* All grew: superblocks at the new end, the old ones wiped, the data where it was. */
	devs[2] = grown(devs[2], 6 * MIB);
	assert_int_equal(md_mirror_grow(devs, 3, &o, &size, &err), 0);
	assert_int_equal(size, 12160); /* (12288 - 32) rounded down to 64 KiB */
	for (size_t i = 0; i < 3; i++) {
		sb = read_sb(devs[i]);
		assert_int_equal(sb.super_offset_sectors, 12272);
		assert_int_equal(sb.size_sectors, 12160);
		assert_int_equal(sb.data_size_sectors, 12272 - 16);
		assert_int_equal(sb.events, 3);
		assert_int_equal(sb.resync_offset, LEG_SIZE_SECTORS); /* the new part is to be resynced */
		assert_int_equal(sb.bitmap_offset_sectors, -16);
		assert_int_equal(md_bitmap_read(devs[i], &sb, &bm, NULL), 0);
		assert_int_equal(bm.sync_size_sectors, 12160);
		assert_int_equal(bm.events, 3);
		assert_true(all_zero(devs[i], (LEG_SB_SECTOR - 16) * 512, 16 * 512 + 4096));
		if (i < 2)
			assert_pattern(devs[i], 0, LEG_SIZE_SECTORS * 512, 4);
	}
	v = view_of(devs, 3);
	assert_int_equal(v->size_sectors, 12160);
	assert_int_equal(v->degraded, 0);
	assert_false(v->clean);
	md_mirror_view_free(v);

	/* Again: nothing left to grow. */
	assert_int_equal(md_mirror_grow(devs, 3, &o, &size, &err), -EINVAL);

	/* Grown by too little to move the superblock clear of the old one. */
	for (size_t i = 0; i < 3; i++)
		devs[i] = grown(devs[i], 6 * MIB + 8 * KIB);
	snap(&s, devs, 3);
	assert_int_equal(md_mirror_grow(devs, 3, &o, &size, &err), -ENOSPC);
	assert_unchanged(&s, devs);

	/* With assume_clean the resync point stays where it was; a userspace resync then cleans up. */
	for (size_t i = 0; i < 3; i++)
		devs[i] = grown(devs[i], 8 * MIB);
	o.assume_clean = true;
	assert_int_equal(md_mirror_grow(devs, 3, &o, &size, &err), 0);
	assert_int_equal(size, 16256);
	assert_int_equal(read_sb(devs[0]).resync_offset, LEG_SIZE_SECTORS);
	v = view_of(devs, 3);
	assert_int_equal(md_mirror_resync(v, &o, &err), 0);
	md_mirror_view_free(v);
	v = view_of(devs, 3);
	assert_true(v->clean);
	assert_int_equal(v->events, 5);
	md_mirror_view_free(v);
	assert_int_equal(memcmp(blockdev_memory_bytes(devs[0]), blockdev_memory_bytes(devs[1]), 16256 * 512),
			 0);
	close_legs(devs, 3);
}

static void test_grow_clean(void **state)
{
	struct blockdev *devs[2];
	struct md_mirror_options o = test_opts();
	struct vg_error err = { 0 };
	uint64_t size = 0;

	open_legs(devs, 2, LEG_BYTES, NULL);
	create(devs, 2, NULL, 0, false, true);
	for (size_t i = 0; i < 2; i++)
		devs[i] = grown(devs[i], 5 * MIB);
	o.assume_clean = true;
	assert_int_equal(md_mirror_grow(devs, 2, &o, &size, &err), 0);
	assert_int_equal(size, 10112);
	assert_int_equal(read_sb(devs[0]).resync_offset, UINT64_MAX);
	assert_int_equal(read_sb(devs[1]).feature_map, 0);
	close_legs(devs, 2);
}

/* ---- dissolve, resync ---- */

static void test_dissolve(void **state)
{
	struct blockdev *devs[3];
	struct md_mirror_view *v;
	struct md_mirror_options o = test_opts();
	struct vg_error err = { 0 };
	struct snapshot s;

	open_legs(devs, 3, LEG_BYTES, NULL);
	create(devs, 2, devs + 2, 1, true, true);
	write_through_mirror(devs, 3, 0, LEG_SIZE_SECTORS * 512, 6);

	/* A spare cannot keep the data. */
	v = view_of(devs, 3);
	snap(&s, devs, 3);
	assert_int_equal(md_mirror_dissolve(v, md_mirror_view_find(v, devs[2]), &o, &err), -EINVAL);
	assert_unchanged(&s, devs);

	o.zero_bytes = 1 * MIB;
	assert_int_equal(md_mirror_dissolve(v, -1, &o, &err), 0);
	md_mirror_view_free(v);
	for (size_t i = 0; i < 3; i++) {
		assert_false(has_sb(devs[i]));
		/* Bitmap, bad-block log and superblock region all zero. */
		assert_true(all_zero(devs[i], (LEG_SB_SECTOR - 16) * 512,
				     LEG_BYTES - (LEG_SB_SECTOR - 16) * 512));
	}
	assert_pattern(devs[0], 0, LEG_SIZE_SECTORS * 512, 6);
	assert_true(all_zero(devs[1], 0, 1 * MIB));
	assert_pattern(devs[1], 1 * MIB, 64 * KIB, 6);
	close_legs(devs, 3);
}

static void test_resync(void **state)
{
	struct blockdev *devs[2];
	struct md_mirror_view *v;
	struct md_mirror_options o = test_opts();
	struct vg_error err = { 0 };
	uint8_t junk[4096];

	open_legs(devs, 2, LEG_BYTES, NULL);
	create(devs, 2, NULL, 0, false, false);
	write_through_mirror(devs, 2, 0, 64 * KIB, 2);
	memset(junk, 0x5a, sizeof(junk));
	assert_int_equal(blockdev_write(devs[1], 1 * MIB, junk, sizeof(junk), NULL), 0);
	fill(junk, sizeof(junk), 1 * MIB, 2);
	assert_int_equal(blockdev_write(devs[0], 1 * MIB, junk, sizeof(junk), NULL), 0);

	v = view_of(devs, 2);
	assert_false(v->clean);
	assert_int_equal(md_mirror_resync(v, &o, &err), 0);
	md_mirror_view_free(v);
	v = view_of(devs, 2);
	assert_true(v->clean);
	assert_int_equal(md_mirror_resync(v, &o, &err), 0);
	md_mirror_view_free(v);
	assert_pattern(devs[1], 1 * MIB, sizeof(junk), 2);
	close_legs(devs, 2);
}

/* ---- crashes at every write ---- */

/* Devices of 1 MiB: 1920 sectors of array, so an add copies it in a handful of chunks. */
#define SMALL_BYTES (1 * MIB)
#define SMALL_SIZE_SECTORS 1920

/*
 * Run @op on fresh legs once per write it makes, the i-th write failing
 * (@tear: landing only its first 210 bytes) and every later write lost as
 * after a power cut. After each crash the view must read, have a fresh
 * in-sync leg whose data is intact, and @finish must bring the mirror to
 * the state a clean run gives.
 */
typedef int (*crash_op)(struct blockdev **devs, struct vg_error *err);
typedef void (*crash_check)(struct blockdev **devs, bool completed);

/* A superblock write torn in the middle leaves neither the old nor the new one: md calls it invalid. */
static bool torn_leg(struct blockdev **devs, size_t n, struct md_mirror_view *view)
{
	bool torn = false;

	for (size_t i = 0; i < n; i++) {
		struct md_super sb;

		if (md_super_probe(devs[i], &sb, NULL) != -EBADMSG)
			continue;
		torn = true;
		/* The view shows the torn leg among the others, not as a leg. */
		assert_true(md_mirror_view_find(view, devs[i]) < 0);
		for (size_t j = 0; j < view->n_others; j++)
			if (view->others[j].dev == devs[i])
				assert_int_equal(view->others[j].error, -EBADMSG);
	}
	return torn;
}

static void crash_every_write(size_t n_devs, bool bitmap, crash_op op, crash_check check, bool tear)
{
	uint64_t total_writes = 0;

	for (uint64_t crash_at = 1;; crash_at++) {
		struct blockdev_faults faults = { 0 };
		struct blockdev *devs[4];
		struct md_mirror_view *v;
		struct vg_error err = { 0 };
		int r;

		open_legs(devs, n_devs, SMALL_BYTES, &faults);
		create(devs, 2, NULL, 0, bitmap, true);
		write_through_mirror(devs, 2, 0, SMALL_SIZE_SECTORS * 512, 7);
		faults.writes_done = 0;
		if (tear) {
			faults.tear_write_at = crash_at;
			/* Through utime and events but not the checksum: the superblock is broken. */
			faults.tear_keep_bytes = 210;
		} else {
			faults.fail_write_at = crash_at;
		}
		faults.power_cut = true;
		r = op(devs, &err);
		if (r == 0) {
			/* No write left to break: the operation is done and checked once more. */
			assert_false(faults.tripped);
			check(devs, true);
			close_legs(devs, n_devs);
			break;
		}
		assert_true(faults.tripped);
		total_writes = crash_at;

		/* The machine comes back: no more faults. */
		memset(&faults, 0, sizeof(faults));
		v = NULL;
		r = md_mirror_view_read(devs, n_devs, NULL, &v, &err);
		if (r < 0) {
			/*
			 * Only one leg was left with a superblock and its write
			 * was torn (real disks write a 512-byte superblock
			 * atomically; this backend tears anywhere): the view says
			 * so, naming the broken checksum, and leg0's data is intact.
			 */
			struct md_super sb;

			assert_true(tear);
			assert_int_equal(r, -ENODATA);
			assert_message_contains(&err, "checksum");
			assert_int_equal(md_super_probe(devs[0], &sb, NULL), -EBADMSG);
			assert_pattern(devs[0], 0, SMALL_SIZE_SECTORS * 512, 7);
			close_legs(devs, n_devs);
			continue;
		}
		if (md_mirror_view_source(v) < 0) {
			/* Likewise when the only in-sync leg's superblock is the torn one. */
			struct md_super sb;

			assert_true(tear);
			assert_int_equal(md_super_probe(devs[0], &sb, NULL), -EBADMSG);
			assert_pattern(devs[0], 0, SMALL_SIZE_SECTORS * 512, 7);
			md_mirror_view_free(v);
			close_legs(devs, n_devs);
			continue;
		}
		assert_false(v->legs[v->reference].rejected);
		assert_pattern(v->legs[md_mirror_view_source(v)].dev, 0, SMALL_SIZE_SECTORS * 512, 7);
		/* A leg whose superblock is torn needs a forced re-add; the rest of the mirror stands. */
		if (!torn_leg(devs, n_devs, v))
			check(devs, false);
		md_mirror_view_free(v);
		close_legs(devs, n_devs);
	}
	assert_true(total_writes > 0);
}

static int op_fail(struct blockdev **devs, struct vg_error *err)
{
	struct md_mirror_view *v = view_of(devs, 2);
	struct md_mirror_options o = test_opts();
	int r = md_mirror_fail(v, 1, &o, err);

	md_mirror_view_free(v);
	return r;
}

static void check_fail(struct blockdev **devs, bool completed)
{
	struct md_mirror_view *v = view_of(devs, 2);
	const struct md_mirror_leg *failed = leg_of(v, devs[1]);
	struct md_mirror_options o = test_opts();
	struct vg_error err = { 0 };

	/* Old state (leg1 in sync, events 2) or new (leg1 faulty, events 3); never anything else. */
	if (v->events == 2) {
		assert_false(completed);
		assert_int_equal(failed->state, MD_LEG_IN_SYNC);
		assert_int_equal(v->degraded, 0);
		/* Try again: now it works. */
		assert_int_equal(md_mirror_fail(v, (size_t)md_mirror_view_find(v, devs[1]), &o, &err), 0);
		md_mirror_view_free(v);
		v = view_of(devs, 2);
		failed = leg_of(v, devs[1]);
	}
	assert_int_equal(v->events, 3);
	assert_int_equal(failed->state, MD_LEG_FAULTY);
	assert_int_equal(v->degraded, 1);
	md_mirror_view_free(v);
}

static int op_add(struct blockdev **devs, struct vg_error *err)
{
	struct md_mirror_view *v = view_of(devs, 2);
	struct md_mirror_options o = test_opts();
	int r;

	o.copy_chunk_bytes = 128 * KIB;
	o.checkpoint_bytes = 256 * KIB;
	/* leg1 out, leg2 in. */
	r = md_mirror_fail(v, 1, &o, err);
	md_mirror_view_free(v);
	if (r < 0)
		return r;
	v = view_of(devs, 2);
	r = md_mirror_remove(v, 1, &o, err);
	md_mirror_view_free(v);
	if (r < 0)
		return r;
	v = view_of(devs, 1);
	r = md_mirror_add(v, devs[2], MD_ADD_AUTO, &o, NULL, err);
	md_mirror_view_free(v);
	return r;
}

static void check_add(struct blockdev **devs, bool completed)
{
	struct md_mirror_options o = test_opts();
	struct vg_error err = { 0 };
	struct blockdev *now[] = { devs[0], devs[2] };
	struct md_mirror_view *v;

	if (!completed) {
		/* Whatever step broke, doing the rest by hand finishes the job. */
		v = view_of(devs, 3);
		if (md_mirror_view_find(v, devs[1]) >= 0 && leg_of(v, devs[1])->state != MD_LEG_FAULTY)
			assert_int_equal(md_mirror_fail(v, (size_t)md_mirror_view_find(v, devs[1]), &o, &err),
					 0);
		md_mirror_view_free(v);
		v = view_of(devs, 3);
		if (md_mirror_view_find(v, devs[1]) >= 0)
			assert_int_equal(
				md_mirror_remove(v, (size_t)md_mirror_view_find(v, devs[1]), &o, &err), 0);
		md_mirror_view_free(v);
		v = view_of(devs, 3);
		if (md_mirror_view_find(v, devs[2]) < 0) {
			if (md_mirror_add(v, devs[2], MD_ADD_AUTO, &o, NULL, &err) < 0)
				fail_msg("add after a crash: %s", err.message);
		} else if (md_mirror_recover(v, &o, &err) < 0) {
			fail_msg("recover after a crash: %s", err.message);
		}
		md_mirror_view_free(v);
	}
	v = view_of(now, 2);
	assert_int_equal(v->degraded, 0);
	assert_int_equal(leg_of(v, devs[2])->state, MD_LEG_IN_SYNC);
	assert_true(leg_of(v, devs[2])->fresh);
	md_mirror_view_free(v);
	assert_false(has_sb(devs[1]));
	assert_pattern(devs[2], 0, SMALL_SIZE_SECTORS * 512, 7);
}

static int op_dissolve(struct blockdev **devs, struct vg_error *err)
{
	struct md_mirror_view *v = view_of(devs, 2);
	struct md_mirror_options o = test_opts();
	int r;

	o.zero_bytes = 64 * KIB;
	r = md_mirror_dissolve(v, 0, &o, err);
	md_mirror_view_free(v);
	return r;
}

static void check_dissolve(struct blockdev **devs, bool completed)
{
	/* The keeper's data never moves; leg1 is out of the mirror as soon as anything was written. */
	assert_pattern(devs[0], 0, SMALL_SIZE_SECTORS * 512, 7);
	if (has_sb(devs[0]) && has_sb(devs[1])) {
		struct md_mirror_view *v = view_of(devs, 2);

		if (v->events == 3)
			assert_int_equal(leg_of(v, devs[1])->state, MD_LEG_FAULTY);
		md_mirror_view_free(v);
	}
	if (completed) {
		assert_false(has_sb(devs[0]));
		assert_false(has_sb(devs[1]));
		assert_true(all_zero(devs[1], 0, 64 * KIB));
	}
}

static int op_grow(struct blockdev **devs, struct vg_error *err)
{
	struct md_mirror_options o = test_opts();

	return md_mirror_grow(devs, 2, &o, NULL, err);
}

static void grow_legs(struct blockdev **devs)
{
	for (size_t i = 0; i < 2; i++) {
		struct blockdev *big = NULL;

		assert_int_equal(
			blockdev_open_memory(devs[i]->path, 2 * SMALL_BYTES, 512, devs[i]->faults, &big), 0);
		memcpy(blockdev_memory_bytes(big), blockdev_memory_bytes(devs[i]), SMALL_BYTES);
		blockdev_close(devs[i]);
		devs[i] = big;
	}
}

static int op_grow_after_growing(struct blockdev **devs, struct vg_error *err)
{
	grow_legs(devs);
	return op_grow(devs, err);
}

static void check_grow(struct blockdev **devs, bool completed)
{
	struct md_mirror_options o = test_opts();
	struct vg_error err = { 0 };
	struct md_super sb;

	if (!completed) {
		/* An interrupted grow is finished by growing again, or has nothing left to do. */
		int r = md_mirror_grow(devs, 2, &o, NULL, &err);

		assert_true(r == 0 || r == -EINVAL);
	}
	for (size_t i = 0; i < 2; i++) {
		sb = read_sb(devs[i]);
		assert_int_equal(sb.super_offset_sectors, md_super_1_0_sector(2 * SMALL_BYTES / 512));
		assert_true(sb.size_sectors > SMALL_SIZE_SECTORS);
		assert_pattern(devs[i], 0, SMALL_SIZE_SECTORS * 512, 7);
	}
}

static void test_crash_fail(void **state)
{
	crash_every_write(2, true, op_fail, check_fail, false);
	crash_every_write(2, true, op_fail, check_fail, true);
	crash_every_write(2, false, op_fail, check_fail, true);
}

static void test_crash_add(void **state)
{
	crash_every_write(3, true, op_add, check_add, false);
	crash_every_write(3, false, op_add, check_add, true);
}

static void test_crash_dissolve(void **state)
{
	crash_every_write(2, true, op_dissolve, check_dissolve, false);
	crash_every_write(2, true, op_dissolve, check_dissolve, true);
}

/* The view after each step of a grow: the grow is re-run on the grown legs. */
static void test_crash_grow(void **state)
{
	for (uint64_t crash_at = 1;; crash_at++) {
		struct blockdev_faults faults = { 0 };
		struct blockdev *devs[2];
		struct vg_error err = { 0 };
		int r;

		open_legs(devs, 2, SMALL_BYTES, &faults);
		create(devs, 2, NULL, 0, crash_at % 2, true);
		write_through_mirror(devs, 2, 0, SMALL_SIZE_SECTORS * 512, 7);
		faults.writes_done = 0;
		faults.fail_write_at = crash_at;
		faults.power_cut = true;
		r = op_grow_after_growing(devs, &err);
		memset(&faults, 0, sizeof(faults));
		check_grow(devs, r == 0);
		close_legs(devs, 2);
		if (r == 0)
			break;
		assert_true(crash_at < 100);
	}
}

/* ---- legs written outside md ---- */

static uint64_t bitmap_events_cleared(struct blockdev *dev)
{
	struct md_super sb = read_sb(dev);
	struct md_bitmap_super bm;

	assert_int_equal(md_bitmap_read(dev, &sb, &bm, NULL), 0);
	assert_int_equal(bm.events, sb.events);
	return bm.events_cleared;
}

static void test_outdate_absent(void **state)
{
	struct blockdev *devs[3];
	struct md_mirror_view *v;
	struct md_mirror_options o = test_opts();
	struct vg_error err = { 0 };
	struct snapshot s;
	struct md_super sb;

	/* One leg of three written: the two others are marked on it, its events 3 past the old ones. */
	open_legs(devs, 3, LEG_BYTES, NULL);
	create(devs, 3, NULL, 0, true, true);
	assert_int_equal(read_sb(devs[0]).events, 0);
	assert_int_equal(bitmap_events_cleared(devs[0]), 0);
	snap(&s, devs + 1, 2);
	v = view_of(devs, 1);
	assert_true(md_mirror_leg_left_behind(v, (size_t)md_mirror_view_find_slot(v, 1)));
	assert_false(md_mirror_leg_left_behind(v, (size_t)md_mirror_view_find(v, devs[0])));
	assert_int_equal(md_mirror_outdate_absent(v, &o, &err), 2);
	md_mirror_view_free(v);
	assert_unchanged(&s, devs + 1);
	sb = read_sb(devs[0]);
	assert_int_equal(sb.events, MD_MIRROR_OUTDATE_EVENTS);
	assert_int_equal(sb.dev_roles[0], 0);
	assert_int_equal(sb.dev_roles[1], MD_ROLE_FAULTY);
	assert_int_equal(sb.dev_roles[2], MD_ROLE_FAULTY);
	assert_int_equal(sb.utime, TEST_TIME);
	assert_int_equal(bitmap_events_cleared(devs[0]), MD_MIRROR_OUTDATE_EVENTS);
	/* All three together: leg0 is the mirror, the others faulty and stale, never a source. */
	v = view_of(devs, 3);
	assert_ptr_equal(v->legs[v->reference].dev, devs[0]);
	assert_int_equal(md_mirror_view_source(v), md_mirror_view_find(v, devs[0]));
	assert_int_equal(v->degraded, 2);
	for (size_t i = 1; i < 3; i++) {
		assert_int_equal(leg_of(v, devs[i])->state, MD_LEG_FAULTY);
		assert_false(leg_of(v, devs[i])->fresh);
	}
	/* Once marked, nothing more to do: no write, events kept. */
	snap(&s, devs, 3);
	assert_int_equal(md_mirror_outdate_absent(v, &o, &err), 0);
	md_mirror_view_free(v);
	v = view_of(devs, 1);
	assert_int_equal(md_mirror_outdate_absent(v, &o, &err), 0);
	md_mirror_view_free(v);
	assert_unchanged(&s, devs);
	close_legs(devs, 3);

	/* Every leg written: nothing is marked, nothing written. */
	open_legs(devs, 2, LEG_BYTES, NULL);
	create(devs, 2, NULL, 0, false, true);
	snap(&s, devs, 2);
	v = view_of(devs, 2);
	assert_int_equal(md_mirror_outdate_absent(v, &o, &err), 0);
	md_mirror_view_free(v);
	assert_unchanged(&s, devs);

	/*
	 * The leg not given stood one event ahead (leg0 still counted as
	 * fresh beside it): after the marking it is beyond the margin too.
	 */
	set_events(devs[1], 1);
	v = view_of(devs, 1);
	assert_int_equal(md_mirror_outdate_absent(v, &o, &err), 1);
	md_mirror_view_free(v);
	assert_int_equal(read_sb(devs[0]).events, MD_MIRROR_OUTDATE_EVENTS);
	v = view_of(devs, 2);
	assert_ptr_equal(v->legs[v->reference].dev, devs[0]);
	assert_false(leg_of(v, devs[1])->fresh);
	assert_int_equal(leg_of(v, devs[1])->state, MD_LEG_FAULTY);
	md_mirror_view_free(v);
	/* Added back, it is copied in full from leg0 and the mirror is whole again. */
	write_through_mirror(devs, 1, 0, LEG_SIZE_SECTORS * 512, 9);
	v = view_of(devs, 2);
	assert_int_equal(md_mirror_remove(v, (size_t)md_mirror_view_find(v, devs[1]), &o, &err), 0);
	md_mirror_view_free(v);
	v = view_of(devs, 1);
	if (md_mirror_add(v, devs[1], MD_ADD_AUTO, &o, NULL, &err) < 0)
		fail_msg("add: %s", err.message);
	md_mirror_view_free(v);
	assert_pattern(devs[1], 0, LEG_SIZE_SECTORS * 512, 9);
	v = view_of(devs, 2);
	assert_int_equal(v->degraded, 0);
	md_mirror_view_free(v);
	close_legs(devs, 2);
}

static int op_outdate(struct blockdev **devs, struct vg_error *err)
{
	struct md_mirror_view *v = view_of(devs, 1);
	struct md_mirror_options o = test_opts();
	int r = md_mirror_outdate_absent(v, &o, err);

	md_mirror_view_free(v);
	return r < 0 ? r : 0;
}

static void check_outdate(struct blockdev **devs, bool completed)
{
	struct md_mirror_view *v = view_of(devs, 2);
	const struct md_mirror_leg *behind = leg_of(v, devs[1]);

	/* Old state (both in sync, events 2) or new (leg1 faulty, events 2 + margin); never anything else. */
	if (v->events == 2) {
		assert_false(completed);
		assert_int_equal(behind->state, MD_LEG_IN_SYNC);
		assert_int_equal(v->degraded, 0);
		md_mirror_view_free(v);
		assert_int_equal(op_outdate(devs, NULL), 0);
		v = view_of(devs, 2);
		behind = leg_of(v, devs[1]);
	}
	assert_int_equal(v->events, 2 + MD_MIRROR_OUTDATE_EVENTS);
	assert_ptr_equal(v->legs[v->reference].dev, devs[0]);
	assert_int_equal(behind->state, MD_LEG_FAULTY);
	assert_false(behind->fresh);
	assert_int_equal(v->degraded, 1);
	assert_int_equal(read_sb(devs[1]).events, 2);
	md_mirror_view_free(v);
}

static void test_crash_outdate(void **state)
{
	crash_every_write(2, true, op_outdate, check_outdate, false);
	crash_every_write(2, true, op_outdate, check_outdate, true);
	crash_every_write(2, false, op_outdate, check_outdate, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_create_refusals),
		cmocka_unit_test(test_view_freshness),
		cmocka_unit_test(test_view_split_brain),
		cmocka_unit_test(test_view_number_given_again),
		cmocka_unit_test(test_view_others),
		cmocka_unit_test(test_view_1_2),
		cmocka_unit_test(test_view_old_kernel_roles),
		cmocka_unit_test(test_mirror_dev),
		cmocka_unit_test(test_mirror_dev_files_bitmap),
		cmocka_unit_test(test_fail_remove),
		cmocka_unit_test(test_fail_missing_forced),
		cmocka_unit_test(test_add),
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_readd_and_spare),
		cmocka_unit_test(test_grow),
		cmocka_unit_test(test_grow_clean),
		cmocka_unit_test(test_dissolve),
		cmocka_unit_test(test_resync),
		cmocka_unit_test(test_crash_fail),
		cmocka_unit_test(test_crash_add),
		cmocka_unit_test(test_crash_dissolve),
		cmocka_unit_test(test_crash_grow),
		cmocka_unit_test(test_outdate_absent),
		cmocka_unit_test(test_crash_outdate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
