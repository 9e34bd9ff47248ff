/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * md-write-leg: a test tool that writes one raid1 leg's md 1.0 superblock to
 * an image file (or device) through the library, so the integration tests
 * can build whole mirrors — several legs sharing one array uuid, spares,
 * failed slots, dirty arrays, odd sizes — and hold them against
 * `mdadm --examine`. It writes only the superblock; the data area is left
 * as it is.
 *
 *   md-write-leg [--uuid U] [--name N] [--homehost H] [--raid-disks N]
 *                [--dev-number N] [--role R|spare|faulty] [--roles LIST]
 *                [--faulty-slot N]... [--events N] [--dirty] [--size SECTORS]
 *                [--ctime SECONDS] [--device-uuid U] IMAGE
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "blockdev.h"
#include "md-super.h"
#include "uuid.h"

static void usage(FILE *out)
{
	fputs("Usage: md-write-leg [OPTIONS] IMAGE\n"
	      "Write a raid1 md 1.0 superblock for one leg at the end of IMAGE.\n\n"
	      "  --uuid U           array uuid (xxxxxxxx:xxxxxxxx:xxxxxxxx:xxxxxxxx); random by default\n"
	      "  --name N           array name (default md0)\n"
	      "  --homehost H       store the name as H:N, as mdadm does\n"
	      "  --raid-disks N     number of mirror slots (default 2)\n"
	      "  --dev-number N     this device's index into the role table (default 0)\n"
	      "  --role R           this device's role: slot number, spare or faulty (default: its\n"
	      "                     dev-number when that is a slot, else spare)\n"
	      "  --roles LIST       roles of every device, comma-separated (e.g. 0,1,spare,faulty)\n"
	      "  --faulty-slot N    mark device N of the role table faulty (repeatable)\n"
	      "  --events N         event counter (default 0)\n"
	      "  --dirty            not clean: resync_offset 0\n"
	      "  --size SECTORS     component (used) size; default as mdadm --create picks it\n"
	      "  --ctime SECONDS    creation time (default now)\n"
	      "  --device-uuid U    this device's uuid; random by default\n",
	      out);
}

static int parse_u64(const char *text, const char *what, uint64_t *ret)
{
	char *end = NULL;
	unsigned long long v;

	errno = 0;
	v = strtoull(text, &end, 0);
	if (errno || !end || end == text || *end || text[0] == '-') {
		fprintf(stderr, "md-write-leg: %s: invalid number \"%s\"\n", what, text);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

static int parse_u32(const char *text, const char *what, uint32_t *ret)
{
	uint64_t v;
	int r = parse_u64(text, what, &v);

	if (r < 0)
		return r;
	if (v > UINT32_MAX) {
		fprintf(stderr, "md-write-leg: %s: %s is too large\n", what, text);
		return -ERANGE;
	}
	*ret = (uint32_t)v;
	return 0;
}

static int parse_role(const char *text, uint16_t *ret)
{
	uint64_t v;

	if (streq(text, "spare")) {
		*ret = MD_ROLE_SPARE;
		return 0;
	}
	if (streq(text, "faulty")) {
		*ret = MD_ROLE_FAULTY;
		return 0;
	}
	if (parse_u64(text, "role", &v) < 0)
		return -EINVAL;
	if (v >= MD_ROLE_MAX) {
		fprintf(stderr, "md-write-leg: role %s is too large\n", text);
		return -ERANGE;
	}
	*ret = (uint16_t)v;
	return 0;
}

static int parse_roles(const char *text, uint16_t *roles, uint32_t *ret_count)
{
	_cleanup_free_ char *copy = strdup(text);
	char *save = NULL;
	uint32_t n = 0;

	if (!copy)
		return -ENOMEM;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == MD_SB_1_MAX_DEVS) {
			fprintf(stderr, "md-write-leg: --roles: more than %u roles\n", MD_SB_1_MAX_DEVS);
			return -E2BIG;
		}
		if (parse_role(tok, &roles[n]) < 0)
			return -EINVAL;
		n++;
	}
	*ret_count = n;
	return 0;
}

int main(int argc, char **argv)
{
	enum {
		OPT_UUID = 0x100,
		OPT_NAME,
		OPT_HOMEHOST,
		OPT_RAID_DISKS,
		OPT_DEV_NUMBER,
		OPT_ROLE,
		OPT_ROLES,
		OPT_FAULTY_SLOT,
		OPT_EVENTS,
		OPT_DIRTY,
		OPT_SIZE,
		OPT_CTIME,
		OPT_DEVICE_UUID,
		OPT_HELP,
	};
	static const struct option options[] = {
		{ "uuid", required_argument, NULL, OPT_UUID },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "homehost", required_argument, NULL, OPT_HOMEHOST },
		{ "raid-disks", required_argument, NULL, OPT_RAID_DISKS },
		{ "dev-number", required_argument, NULL, OPT_DEV_NUMBER },
		{ "role", required_argument, NULL, OPT_ROLE },
		{ "roles", required_argument, NULL, OPT_ROLES },
		{ "faulty-slot", required_argument, NULL, OPT_FAULTY_SLOT },
		{ "events", required_argument, NULL, OPT_EVENTS },
		{ "dirty", no_argument, NULL, OPT_DIRTY },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "ctime", required_argument, NULL, OPT_CTIME },
		{ "device-uuid", required_argument, NULL, OPT_DEVICE_UUID },
		{ "help", no_argument, NULL, OPT_HELP },
		{ 0 },
	};
	static uint16_t roles[MD_SB_1_MAX_DEVS];
	_cleanup_(blockdev_closep) struct blockdev *dev = NULL;
	struct md_raid1_leg_params params = {
		.name = "md0",
		.raid_disks = 2,
		.clean = true,
	};
	uint32_t faulty_slots[64], n_faulty = 0;
	uint8_t device_uuid[16];
	bool have_uuid = false, have_role = false;
	struct vg_error err = { 0 };
	struct md_super sb;
	char uuid_text[36];
	int c, r;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		r = 0;
		switch (c) {
		case OPT_UUID:
			r = md_uuid_parse(optarg, params.set_uuid, &err);
			if (r < 0)
				fprintf(stderr, "md-write-leg: --uuid: %s\n", err.message);
			have_uuid = true;
			break;
		case OPT_NAME:
			params.name = optarg;
			break;
		case OPT_HOMEHOST:
			params.homehost = optarg;
			break;
		case OPT_RAID_DISKS:
			r = parse_u32(optarg, "--raid-disks", &params.raid_disks);
			break;
		case OPT_DEV_NUMBER:
			r = parse_u32(optarg, "--dev-number", &params.dev_number);
			break;
		case OPT_ROLE:
			r = parse_role(optarg, &params.role);
			have_role = true;
			break;
		case OPT_ROLES:
			r = parse_roles(optarg, roles, &params.dev_roles_count);
			params.dev_roles = roles;
			break;
		case OPT_FAULTY_SLOT:
			if (n_faulty == ARRAY_SIZE(faulty_slots)) {
				fprintf(stderr, "md-write-leg: too many --faulty-slot options\n");
				return 2;
			}
			r = parse_u32(optarg, "--faulty-slot", &faulty_slots[n_faulty++]);
			break;
		case OPT_EVENTS:
			r = parse_u64(optarg, "--events", &params.events);
			break;
		case OPT_DIRTY:
			params.clean = false;
			break;
		case OPT_SIZE:
			r = parse_u64(optarg, "--size", &params.array_size_sectors);
			break;
		case OPT_CTIME:
			r = parse_u64(optarg, "--ctime", &params.ctime);
			break;
		case OPT_DEVICE_UUID:
			r = md_uuid_parse(optarg, device_uuid, &err);
			if (r < 0)
				fprintf(stderr, "md-write-leg: --device-uuid: %s\n", err.message);
			params.device_uuid = device_uuid;
			break;
		case 'h':
		case OPT_HELP:
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		if (r < 0)
			return 2;
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}

	if (!have_uuid) {
		r = random_bytes(params.set_uuid, sizeof(params.set_uuid));
		if (r < 0) {
			fprintf(stderr, "md-write-leg: cannot get random bytes: %s\n", strerror(-r));
			return 1;
		}
	}
	if (!have_role)
		params.role = params.dev_number < params.raid_disks ? (uint16_t)params.dev_number : MD_ROLE_SPARE;

	/* Faulty slots belong to other devices: grow the role table to hold them. */
	if (n_faulty > 0) {
		if (!params.dev_roles) {
			for (uint32_t i = 0; i < params.raid_disks && i < MD_SB_1_MAX_DEVS; i++)
				roles[i] = (uint16_t)i;
			for (uint32_t i = params.raid_disks; i < MD_SB_1_MAX_DEVS; i++)
				roles[i] = MD_ROLE_SPARE;
			params.dev_roles = roles;
			params.dev_roles_count = MIN(params.raid_disks, (uint32_t)MD_SB_1_MAX_DEVS);
		}
		for (uint32_t i = 0; i < n_faulty; i++) {
			if (faulty_slots[i] >= MD_SB_1_MAX_DEVS) {
				fprintf(stderr, "md-write-leg: --faulty-slot %" PRIu32 " is too large\n", faulty_slots[i]);
				return 2;
			}
			for (uint32_t k = params.dev_roles_count; k <= faulty_slots[i]; k++)
				roles[k] = MD_ROLE_SPARE;
			roles[faulty_slots[i]] = MD_ROLE_FAULTY;
			params.dev_roles_count = MAX(params.dev_roles_count, faulty_slots[i] + 1);
		}
	}

	r = blockdev_open(argv[optind], 0, &dev, &err);
	if (r < 0) {
		fprintf(stderr, "md-write-leg: %s\n", err.message);
		return 1;
	}
	params.device_sectors = dev->size_bytes / 512;
	r = md_super_init_raid1_leg(&sb, &params, &err);
	if (r < 0) {
		fprintf(stderr, "md-write-leg: %s: %s\n", argv[optind], err.message);
		return 1;
	}
	r = md_super_write_1_0(dev, &sb, &err);
	if (r >= 0)
		r = blockdev_flush(dev, &err);
	if (r < 0) {
		fprintf(stderr, "md-write-leg: %s\n", err.message);
		return 1;
	}

	md_uuid_format(sb.set_uuid, uuid_text);
	printf("%s: md 1.0 superblock at sector %" PRIu64 ", array uuid %s, data_size %" PRIu64
	       ", size %" PRIu64 "\n",
	       argv[optind], sb.super_offset_sectors, uuid_text, sb.data_size_sectors, sb.size_sectors);
	return 0;
}
