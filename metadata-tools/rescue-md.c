/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `vgrescue md examine [--json] DEV...`: the md superblock of each device,
 * read-only, with no md driver. The human report uses mdadm --examine's
 * field names so an operator can hold the two side by side; --json gives the
 * same facts as typed fields for scripts. A damaged superblock is still
 * shown, field by field, with the reason it would be refused.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "blockdev.h"
#include "md-super.h"
#include "rescue.h"

/* md keeps times as 40 bits of seconds and 24 bits of microseconds. */
static uint64_t md_time_seconds(uint64_t raw)
{
	return raw & ((UINT64_C(1) << 40) - 1);
}

static const char *md_level_name(int32_t level)
{
	switch (level) {
	case -5:
		return "faulty";
	case -4:
		return "multipath";
	case -1:
		return "linear";
	case 0:
		return "raid0";
	case 1:
		return "raid1";
	case 4:
		return "raid4";
	case 5:
		return "raid5";
	case 6:
		return "raid6";
	case 10:
		return "raid10";
	}
	return "-unknown-";
}

/* The array's size as the level spreads the per-device component size; mdadm's "Array Size". */
static uint64_t md_array_size_sectors(const struct md_super *sb)
{
	uint64_t size = sb->size_sectors, disks = sb->raid_disks;

	switch (sb->level) {
	case 1:
	case -4:
		return size;
	case 0:
	case -1:
		return size * disks;
	case 4:
	case 5:
		return disks > 1 ? size * (disks - 1) : 0;
	case 6:
		return disks > 2 ? size * (disks - 2) : 0;
	case 10: {
		/* Layout: near copies in the low byte, far copies in the next. */
		uint64_t copies = (uint64_t)(sb->layout & 0xff) * ((sb->layout >> 8) & 0xff);

		return copies ? size * disks / copies : 0;
	}
	}
	return size;
}

/* " (69.98 MiB 73.38 MB)" for sizes a person reads in those units; nothing for tiny ones. */
static void human_size(uint64_t bytes, char *buf, size_t len)
{
	uint64_t bin_unit, dec_unit, bin_centi, dec_centi;
	const char *bin_name, *dec_name;

	if (bytes < 5000 * 1024) {
		buf[0] = '\0';
		return;
	}
	if (bytes < (UINT64_C(2) << 30)) {
		bin_unit = UINT64_C(1) << 20, dec_unit = 1000000, bin_name = "MiB", dec_name = "MB";
	} else {
		bin_unit = UINT64_C(1) << 30, dec_unit = 1000000000, bin_name = "GiB", dec_name = "GB";
	}
	/* Hundredths, rounded half up, without overflowing for big devices. */
	bin_centi = bytes / bin_unit * 100 + ((bytes % bin_unit) * 100 + bin_unit / 2) / bin_unit;
	dec_centi = bytes / dec_unit * 100 + ((bytes % dec_unit) * 100 + dec_unit / 2) / dec_unit;
	snprintf(buf, len, " (%" PRIu64 ".%02" PRIu64 " %s %" PRIu64 ".%02" PRIu64 " %s)", bin_centi / 100,
		 bin_centi % 100, bin_name, dec_centi / 100, dec_centi % 100, dec_name);
}

static void format_time(uint64_t raw, char *buf, size_t len)
{
	time_t t = (time_t)md_time_seconds(raw);
	struct tm tm;

	if (!localtime_r(&t, &tm) || strftime(buf, len, "%a %b %e %H:%M:%S %Y", &tm) == 0)
		snprintf(buf, len, "%" PRIu64, md_time_seconds(raw));
}

/* "active", "spare", "faulty", "journal": what this device is to the array. */
static const char *md_role_kind(uint16_t role)
{
	if (role == MD_ROLE_SPARE)
		return "spare";
	if (role == MD_ROLE_FAULTY)
		return "faulty";
	if (role == MD_ROLE_JOURNAL)
		return "journal";
	return "active";
}

/*
 * One character per slot, counting the dev_roles entries that name it: 'A'
 * one device, '.' none, 'R' two (a replacement in progress), '?' more.
 */
static void md_array_state(const struct md_super *sb, char *buf, size_t len)
{
	uint32_t slots = MIN(sb->raid_disks, (uint32_t)(len - 1));
	uint32_t roles = MIN(sb->max_dev, (uint32_t)MD_SB_1_MAX_DEVS);

	for (uint32_t slot = 0; slot < slots; slot++) {
		unsigned count = 0;

		for (uint32_t i = 0; i < roles; i++)
			if (sb->dev_roles[i] == slot)
				count++;
		buf[slot] = count == 0 ? '.' : count == 1 ? 'A' : (count == 2 && sb->level > 0) ? 'R' : '?';
	}
	buf[slots] = '\0';
}

/* The checksum the superblock should carry: encode what was read and sum it again. */
static bool md_expected_checksum(const struct md_super *sb, uint32_t *ret_csum)
{
	uint8_t buf[MD_SB_1_MAX_BYTES];

	if (md_super_encode_1(sb, buf, sizeof(buf), NULL) < 0)
		return false;
	*ret_csum = md_super_1_checksum(buf, sb->max_dev);
	return true;
}

static void print_0_90(const char *path, const struct md_super *sb)
{
	char uuid[36], ctime_text[64], utime_text[64];

	md_uuid_format(sb->set_uuid, uuid);
	format_time(sb->ctime, ctime_text, sizeof(ctime_text));
	format_time(sb->utime, utime_text, sizeof(utime_text));
	printf("%s:\n", path);
	printf("          Magic : %08x\n", MD_SB_MAGIC);
	printf("        Version : 0.90 (recognised only: vgtool does not manage 0.90 arrays)\n");
	printf("           UUID : %s\n", uuid);
	printf("  Creation Time : %s\n", ctime_text);
	printf("     Raid Level : %s\n", md_level_name(sb->level));
	printf("   Raid Devices : %" PRIu32 "\n", sb->raid_disks);
	printf("   Super Offset : %" PRIu64 " sectors\n", sb->super_offset_sectors);
	printf("    Update Time : %s\n", utime_text);
	printf("          State : %s\n", md_super_is_clean(sb) ? "clean" : "active");
	printf("         Events : %" PRIu64 "\n", sb->events);
	printf("\n");
}

static void print_1(const char *path, const struct md_super *sb)
{
	char uuid[36], dev_uuid[36], ctime_text[64], utime_text[64], human[64];
	char state[MD_SB_1_MAX_DEVS + 1];
	uint16_t role = md_super_role(sb);
	uint32_t expected;

	md_uuid_format(sb->set_uuid, uuid);
	md_uuid_format(sb->device_uuid, dev_uuid);
	format_time(sb->ctime, ctime_text, sizeof(ctime_text));
	format_time(sb->utime, utime_text, sizeof(utime_text));

	printf("%s:\n", path);
	printf("          Magic : %08x\n", MD_SB_MAGIC);
	printf("        Version : %s\n", md_super_version_name(sb->version));
	printf("    Feature Map : 0x%" PRIx32 "\n", sb->feature_map);
	printf("     Array UUID : %s\n", uuid);
	printf("           Name : %s\n", sb->set_name);
	printf("  Creation Time : %s\n", ctime_text);
	printf("     Raid Level : %s\n", md_level_name(sb->level));
	printf("   Raid Devices : %" PRIu32 "\n", sb->raid_disks);
	printf("\n");
	human_size(sb->data_size_sectors * 512, human, sizeof(human));
	printf(" Avail Dev Size : %" PRIu64 " sectors%s\n", sb->data_size_sectors, human);
	human_size(md_array_size_sectors(sb) * 512, human, sizeof(human));
	printf("     Array Size : %" PRIu64 " KiB%s\n", md_array_size_sectors(sb) / 2, human);
	human_size(sb->size_sectors * 512, human, sizeof(human));
	printf("  Used Dev Size : %" PRIu64 " sectors%s\n", sb->size_sectors, human);
	printf("    Data Offset : %" PRIu64 " sectors\n", sb->data_offset_sectors);
	printf("   Super Offset : %" PRIu64 " sectors\n", sb->super_offset_sectors);
	if (sb->feature_map & MD_FEATURE_RECOVERY_OFFSET)
		printf("Recovery Offset : %" PRIu64 " sectors\n", sb->recovery_offset_sectors);
	printf("          State : %s\n", md_super_is_clean(sb) ? "clean" : "active");
	printf("    Device UUID : %s\n", dev_uuid);
	printf("\n");
	if (sb->feature_map & MD_FEATURE_BITMAP_OFFSET)
		printf("Internal Bitmap : %" PRId32 " sectors from superblock\n", sb->bitmap_offset_sectors);
	if (sb->devflags & 3)
		printf("          Flags :%s%s\n", (sb->devflags & 1) ? " write-mostly" : "",
		       (sb->devflags & 2) ? " failfast" : "");
	printf("    Update Time : %s\n", utime_text);
	if (sb->bblog_size && sb->bblog_offset)
		printf("  Bad Block Log : %u entries available at offset %" PRId32 " sectors%s\n",
		       (unsigned)sb->bblog_size * 512 / 8, sb->bblog_offset,
		       (sb->feature_map & MD_FEATURE_BAD_BLOCKS) ? " - bad blocks present." : "");
	if (md_expected_checksum(sb, &expected) && expected != sb->sb_csum)
		printf("       Checksum : %" PRIx32 " - expected %" PRIx32 "\n", sb->sb_csum, expected);
	else
		printf("       Checksum : %" PRIx32 " - correct\n", sb->sb_csum);
	printf("         Events : %" PRIu64 "\n", sb->events);
	printf("\n");
	if (role < MD_ROLE_MAX)
		printf("    Device Role : %s device %" PRIu16 "\n",
		       (sb->feature_map & MD_FEATURE_REPLACEMENT) ? "Replacement" : "Active", role);
	else
		printf("    Device Role : %s\n", md_role_kind(role));
	md_array_state(sb, state, sizeof(state));
	printf("    Array State : %s ('A' == active, '.' == missing, 'R' == replacing)\n", state);
	printf("\n");
}

static struct json_object *json_uuid(const uint8_t uuid[16])
{
	char text[36];

	md_uuid_format(uuid, text);
	return json_object_new_string(text);
}

static struct json_object *json_super(const struct md_super *sb)
{
	struct json_object *obj = json_object_new_object();
	char state[MD_SB_1_MAX_DEVS + 1];
	uint16_t role = md_super_role(sb);
	uint32_t expected;

	json_object_object_add(obj, "version", json_object_new_string(md_super_version_name(sb->version)));
	json_object_object_add(obj, "array_uuid", json_uuid(sb->set_uuid));
	json_object_object_add(obj, "creation_time", rescue_json_u64(md_time_seconds(sb->ctime)));
	json_object_object_add(obj, "raid_level", json_object_new_string(md_level_name(sb->level)));
	json_object_object_add(obj, "level", json_object_new_int(sb->level));
	json_object_object_add(obj, "raid_devices", rescue_json_u64(sb->raid_disks));
	json_object_object_add(obj, "super_offset_sectors", rescue_json_u64(sb->super_offset_sectors));
	json_object_object_add(obj, "update_time", rescue_json_u64(md_time_seconds(sb->utime)));
	json_object_object_add(obj, "state", json_object_new_string(md_super_is_clean(sb) ? "clean" : "active"));
	json_object_object_add(obj, "clean", json_object_new_boolean(md_super_is_clean(sb)));
	json_object_object_add(obj, "events", rescue_json_u64(sb->events));
	if (sb->version == MD_SUPER_0_90)
		return obj;

	json_object_object_add(obj, "feature_map", rescue_json_u64(sb->feature_map));
	json_object_object_add(obj, "name", json_object_new_string(sb->set_name));
	json_object_object_add(obj, "avail_dev_size_sectors", rescue_json_u64(sb->data_size_sectors));
	json_object_object_add(obj, "array_size_sectors", rescue_json_u64(md_array_size_sectors(sb)));
	json_object_object_add(obj, "used_dev_size_sectors", rescue_json_u64(sb->size_sectors));
	json_object_object_add(obj, "data_offset_sectors", rescue_json_u64(sb->data_offset_sectors));
	json_object_object_add(obj, "resync_offset_sectors", rescue_json_u64(sb->resync_offset));
	json_object_object_add(obj, "device_uuid", json_uuid(sb->device_uuid));
	json_object_object_add(obj, "dev_number", rescue_json_u64(sb->dev_number));
	json_object_object_add(obj, "role", json_object_new_string(md_role_kind(role)));
	json_object_object_add(obj, "slot", role < MD_ROLE_MAX ? json_object_new_int(role) : NULL);
	md_array_state(sb, state, sizeof(state));
	json_object_object_add(obj, "array_state", json_object_new_string(state));
	json_object_object_add(obj, "max_dev", rescue_json_u64(sb->max_dev));
	json_object_object_add(obj, "bad_block_log_sectors", rescue_json_u64(sb->bblog_size));
	json_object_object_add(obj, "bad_block_log_offset_sectors", json_object_new_int(sb->bblog_offset));
	if (sb->feature_map & MD_FEATURE_BITMAP_OFFSET)
		json_object_object_add(obj, "bitmap_offset_sectors", json_object_new_int(sb->bitmap_offset_sectors));
	json_object_object_add(obj, "checksum", rescue_json_u64(sb->sb_csum));
	if (md_expected_checksum(sb, &expected)) {
		json_object_object_add(obj, "checksum_expected", rescue_json_u64(expected));
		json_object_object_add(obj, "checksum_correct", json_object_new_boolean(expected == sb->sb_csum));
	}
	return obj;
}

static void usage(FILE *out)
{
	fputs("Usage: vgrescue md examine [--json] DEVICE...\n"
	      "Show the md superblock of each device (block device or image file), read-only.\n\n"
	      "  --json    print JSON instead of mdadm --examine style text\n"
	      "  --help    show this help\n",
	      out);
}

/*
 * Examine one device. Returns true when it carries a valid superblock. The
 * JSON entry (or the text report) is produced either way; problems go to
 * stderr through rescue_error.
 */
static bool examine_one(const char *path, bool json, struct json_object *jdevices)
{
	_cleanup_(blockdev_closep) struct blockdev *dev = NULL;
	struct vg_error err = { 0 };
	struct md_super sb;
	struct json_object *jdev = NULL;
	bool have_sb = false;
	int r;

	if (json) {
		jdev = json_object_new_object();
		json_object_object_add(jdev, "path", json_object_new_string(path));
		json_object_array_add(jdevices, jdev);
	}

	r = blockdev_open(path, BLOCKDEV_READ_ONLY, &dev, &err);
	if (r >= 0) {
		memset(&sb, 0, sizeof(sb));
		r = md_super_probe(dev, &sb, &err);
		/* A damaged superblock is still decoded, so it can be shown. */
		have_sb = r >= 0 || (r == -EBADMSG && sb.version != MD_SUPER_NONE);
	}
	if (r < 0)
		rescue_error("%s", err.message);

	if (json) {
		json_object_object_add(jdev, "found", json_object_new_boolean(have_sb));
		json_object_object_add(jdev, "valid", json_object_new_boolean(r >= 0));
		json_object_object_add(jdev, "error", r < 0 ? json_object_new_string(err.message) : NULL);
		json_object_object_add(jdev, "error_code", r < 0 ? json_object_new_string(vg_errno_name(r)) : NULL);
		json_object_object_add(jdev, "superblock", have_sb ? json_super(&sb) : NULL);
	} else if (have_sb) {
		if (sb.version == MD_SUPER_0_90)
			print_0_90(path, &sb);
		else
			print_1(path, &sb);
	}
	return r >= 0;
}

int rescue_md_examine(int argc, char **argv)
{
	return rescue_examine_devices(argc, argv, "md examine", usage, examine_one);
}
