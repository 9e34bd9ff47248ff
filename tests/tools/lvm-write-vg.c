/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Test tool: write the VG described by a metadata text file onto devices or
 * image files with vgtool's own writer, so stock lvm2 can judge the result.
 *
 *   lvm-write-vg [--create-pvs] [--mda-copies N] [--mda-size BYTES]
 *                [--commits N] TEXT DEV...
 *
 * The Nth PV of the text is written to the Nth DEV. --create-pvs lays out
 * fresh PVs first, with the ids the text gives them. --commits N commits N
 * times, bumping seqno each time, to walk the ring buffer.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "vg-text.h"
#include "vg-write.h"

static int die(const char *what, const struct vg_error *err)
{
	fprintf(stderr, "lvm-write-vg: %s: %s\n", what, err->message[0] ? err->message : strerror(-err->code));
	return 1;
}

static char *read_file(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	char *data;
	long size;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 0, SEEK_SET);
	data = malloc((size_t)size + 1);
	if (data && fread(data, 1, (size_t)size, f) != (size_t)size) {
		free(data);
		data = NULL;
	}
	fclose(f);
	if (data) {
		data[size] = '\0';
		*ret_len = (size_t)size;
	}
	return data;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "create-pvs", no_argument, NULL, 'c' },
		{ "mda-copies", required_argument, NULL, 'm' },
		{ "mda-size", required_argument, NULL, 's' },
		{ "commits", required_argument, NULL, 'n' },
		{}
	};
	struct pv_create_params params = { 0 };
	struct vg_error err = { 0 };
	_cleanup_(vg_freep) struct vg *vg = NULL;
	_cleanup_free_ char *text = NULL;
	struct vg_commit_target *targets;
	bool create = false;
	unsigned long commits = 1;
	size_t len, n_devs;
	struct utsname uts;
	char uname_line[512];
	int c, r, status = 0;

	while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
		switch (c) {
		case 'c':
			create = true;
			break;
		case 'm':
			params.mda_copies = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 's':
			params.mda_size_bytes = strtoull(optarg, NULL, 10);
			break;
		case 'n':
			commits = strtoul(optarg, NULL, 10);
			break;
		default:
			return 2;
		}
	}
	if (argc - optind < 2) {
		fprintf(stderr, "usage: lvm-write-vg [--create-pvs] [--mda-copies N] [--mda-size B] [--commits N] TEXT DEV...\n");
		return 2;
	}
	text = read_file(argv[optind], &len);
	if (!text) {
		perror(argv[optind]);
		return 1;
	}
	r = vg_text_parse(text, len, &vg, &err);
	if (r < 0)
		return die(argv[optind], &err);
	n_devs = (size_t)(argc - optind - 1);
	if (n_devs != vg->n_pvs) {
		fprintf(stderr, "lvm-write-vg: the text has %zu PVs but %zu devices were given\n", vg->n_pvs, n_devs);
		return 1;
	}

	targets = calloc(n_devs, sizeof(*targets));
	if (!targets)
		return 1;
	for (size_t i = 0; i < n_devs && status == 0; i++) {
		const char *path = argv[optind + 1 + i];

		r = blockdev_open(path, 0, &targets[i].dev, &err);
		if (r < 0) {
			status = die(path, &err);
			break;
		}
		if (create) {
			params.pv_uuid = vg->pvs[i]->id;
			r = pv_create(targets[i].dev, &params, &targets[i].label, &err);
		} else {
			r = pv_label_read(targets[i].dev, &targets[i].label, &err);
		}
		if (r < 0) {
			status = die(path, &err);
			break;
		}
		if (pv_data_start_bytes(&targets[i].label) != vg->pvs[i]->pe_start_sectors * 512) {
			fprintf(stderr, "lvm-write-vg: %s: pe_start in the text (%" PRIu64 " sectors) differs from the PV's (%" PRIu64 " bytes)\n",
				path, vg->pvs[i]->pe_start_sectors, pv_data_start_bytes(&targets[i].label));
			status = 1;
		}
	}

	uname(&uts);
	snprintf(uname_line, sizeof(uname_line), "%s %s %s %s %s", uts.sysname, uts.nodename, uts.release,
		 uts.version, uts.machine);
	for (unsigned long k = 0; k < commits && status == 0; k++) {
		struct vg_text_header header = {
			.generator = PACKAGE_NAME " " PACKAGE_VERSION,
			.description = "Write from lvm-write-vg.",
			.creation_host = uts.nodename,
			.uname_line = uname_line,
			.creation_time = (int64_t)time(NULL),
		};

		if (k > 0)
			vg->seqno++;
		r = vg_commit(vg, &header, targets, n_devs, &err);
		if (r < 0)
			status = die("commit", &err);
	}
	for (size_t i = 0; i < n_devs; i++)
		blockdev_close(targets[i].dev);
	free(targets);
	return status;
}
