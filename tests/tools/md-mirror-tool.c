/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * md-mirror-tool: a test front end over mdraid/md-mirror, so the
 * integration tests can create and change whole md 1.0 mirrors on image
 * files (or loop devices) and hold every step against stock mdadm, and move
 * data through the userspace mirror device to see it land on every leg.
 * Not a product: vgtool's own CLI talks to the daemon.
 *
 *   md-mirror-tool create NAME [--homehost H] [--uuid U] [--bitmap] [--assume-clean]
 *                  [--force] [--spare DEV]... [--time SECONDS] LEG...
 *   md-mirror-tool view [--json] [--uuid U] DEV...
 *   md-mirror-tool add [--as-spare] NEW DEV...
 *   md-mirror-tool fail LEG DEV...
 *   md-mirror-tool remove [--keep-superblock] [--zero BYTES] LEG DEV...
 *   md-mirror-tool replace OLD NEW DEV...
 *   md-mirror-tool recover DEV...          (finish an interrupted add/replace)
 *   md-mirror-tool resync DEV...
 *   md-mirror-tool grow [--assume-clean] [--search BYTES] DEV...
 *   md-mirror-tool dissolve [--keep LEG] [--zero BYTES] DEV...
 *   md-mirror-tool write-pattern [--seed N] [--offset B] [--length B] [--no-flush] DEV...
 *   md-mirror-tool check-pattern [--seed N] [--offset B] [--length B] [--leg DEV] DEV...
 *
 * LEG names one of the DEVs by path, or a leg that was not given as
 * slot:N or dev:N (its device number). Copies take --chunk BYTES,
 * --checkpoint BYTES and --stop-after BYTES (cancel the copy there, to
 * leave a recovering leg behind). Every verb takes --force and --time.
 * Exit status: 0 done, 1 refused or failed (the reason on stderr), 2 usage.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "blockdev.h"
#include "md-mirror.h"
#include "md-super.h"

#define PROG "md-mirror-tool"

struct tool {
	const char *verb;
	struct md_mirror_options opts;
	bool json, bitmap, spare_mode, no_flush, have_uuid;
	const char *homehost, *keep, *leg_path;
	uint8_t uuid[16];
	uint64_t seed, offset, length, stop_after;
	bool have_length;
	const char *spares[64];
	size_t n_spares;
	struct blockdev **devs;
	size_t n_devs;
};

static void usage(FILE *out)
{
	fputs("Usage: " PROG " VERB [OPTIONS] ARGS...\n"
	      "  create NAME [--homehost H] [--uuid U] [--bitmap] [--assume-clean] [--spare DEV]... LEG...\n"
	      "  view [--json] [--uuid U] DEV...\n"
	      "  add [--as-spare] NEW DEV...\n"
	      "  fail LEG DEV...\n"
	      "  remove [--keep-superblock] [--zero BYTES] LEG DEV...\n"
	      "  replace OLD NEW DEV...\n"
	      "  recover DEV...\n"
	      "  resync DEV...\n"
	      "  grow [--assume-clean] [--search BYTES] DEV...\n"
	      "  dissolve [--keep LEG] [--zero BYTES] DEV...\n"
	      "  write-pattern [--seed N] [--offset B] [--length B] [--no-flush] DEV...\n"
	      "  check-pattern [--seed N] [--offset B] [--length B] [--leg DEV] DEV...\n"
	      "LEG is one of the DEVs, or slot:N / dev:N for a leg that is not there.\n"
	      "Common: --force --time SECONDS --chunk BYTES --checkpoint BYTES --stop-after BYTES\n",
	      out);
}

static int parse_u64(const char *text, const char *what, uint64_t *ret)
{
	char *end = NULL;
	unsigned long long v;

	errno = 0;
	v = strtoull(text, &end, 0);
	if (errno || !end || end == text || *end || text[0] == '-') {
		fprintf(stderr, PROG ": %s: invalid number \"%s\"\n", what, text);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

static int open_devs(struct tool *t, char **paths, size_t n, bool read_only)
{
	t->devs = calloc(n ? n : 1, sizeof(*t->devs));
	if (!t->devs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct vg_error err = { 0 };
		int r = blockdev_open(paths[i], read_only ? BLOCKDEV_READ_ONLY : 0, &t->devs[i], &err);

		if (r < 0) {
			fprintf(stderr, PROG ": %s\n", err.message);
			return r;
		}
		t->n_devs++;
	}
	return 0;
}

static void close_devs(struct tool *t)
{
	for (size_t i = 0; i < t->n_devs; i++)
		blockdev_close(t->devs[i]);
	free(t->devs);
	t->devs = NULL;
	t->n_devs = 0;
}

static int fail_with(const char *what, int r, const struct vg_error *err)
{
	fprintf(stderr, PROG ": %s: %s (%s)\n", what, err->message[0] ? err->message : strerror(-r),
		vg_errno_name(r));
	return 1;
}

static int read_view(struct tool *t, struct md_mirror_view **ret)
{
	struct vg_error err = { 0 };
	int r = md_mirror_view_read(t->devs, t->n_devs, t->have_uuid ? t->uuid : NULL, ret, &err);

	if (r < 0)
		return fail_with("view", r, &err);
	return 0;
}

/* LEG: one of the given devices by path, or slot:N / dev:N. */
static ssize_t find_leg(const struct md_mirror_view *view, struct tool *t, const char *spec)
{
	uint64_t n;

	if (strncmp(spec, "slot:", 5) == 0 && parse_u64(spec + 5, "slot", &n) == 0) {
		ssize_t k = md_mirror_view_find_slot(view, (uint32_t)n);

		if (k >= 0)
			return k;
	} else if (strncmp(spec, "dev:", 4) == 0 && parse_u64(spec + 4, "dev", &n) == 0) {
		for (size_t k = 0; k < view->n_legs; k++)
			if (view->legs[k].dev_number == n)
				return (ssize_t)k;
	} else {
		for (size_t i = 0; i < t->n_devs; i++)
			if (streq(t->devs[i]->path, spec)) {
				ssize_t k = md_mirror_view_find(view, t->devs[i]);

				if (k >= 0)
					return k;
			}
	}
	fprintf(stderr, PROG ": %s is not a leg of the mirror\n", spec);
	return -ENOENT;
}

static const char *role_text(uint16_t role, char buf[16])
{
	if (role == MD_ROLE_SPARE)
		return "spare";
	if (role == MD_ROLE_FAULTY)
		return "faulty";
	snprintf(buf, 16, "%u", role);
	return buf;
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void print_view(const struct md_mirror_view *v, bool json)
{
	char uuid[36], a[16], b[16];

	md_uuid_format(v->uuid, uuid);
	if (!json) {
		printf("array %s name %s version %s raid_disks %" PRIu32 " size %" PRIu64 " events %" PRIu64
		       " state %s degraded %" PRIu32 " bitmap %s\n",
		       uuid, v->name, md_super_version_name(v->version), v->raid_disks, v->size_sectors,
		       v->events, v->clean ? "clean" : "active", v->degraded, v->has_bitmap ? "yes" : "no");
		for (size_t k = 0; k < v->n_legs; k++) {
			const struct md_mirror_leg *l = &v->legs[k];

			printf("leg %s dev_number %" PRIu32 " role %s own_role %s state %s events %" PRIu64
			       " fresh %s rejected %s reference %s recovery_offset %" PRIu64 "\n",
			       l->present ? l->dev->path : "missing", l->dev_number, role_text(l->role, a),
			       role_text(l->own_role, b), md_leg_state_name(l->state), l->events,
			       l->fresh ? "yes" : "no", l->rejected ? "yes" : "no",
			       l->is_reference ? "yes" : "no", l->recovery_offset_sectors);
		}
		for (size_t i = 0; i < v->n_others; i++)
			printf("other %s %s %s\n", v->others[i].dev->path, vg_errno_name(v->others[i].error),
			       v->others[i].message);
		return;
	}
	printf("{\"uuid\":\"%s\",\"name\":", uuid);
	json_string(v->name);
	printf(",\"version\":\"%s\",\"raid_disks\":%" PRIu32 ",\"size_sectors\":%" PRIu64
	       ",\"events\":%" PRIu64 ",\"clean\":%s,\"resync_offset\":%" PRIu64
	       ",\"bitmap\":%s,\"degraded\":%" PRIu32 ",\"legs\":[",
	       md_super_version_name(v->version), v->raid_disks, v->size_sectors, v->events,
	       v->clean ? "true" : "false", v->resync_offset_sectors, v->has_bitmap ? "true" : "false",
	       v->degraded);
	for (size_t k = 0; k < v->n_legs; k++) {
		const struct md_mirror_leg *l = &v->legs[k];

		printf("%s{\"device\":", k ? "," : "");
		if (l->present)
			json_string(l->dev->path);
		else
			printf("null");
		printf(",\"present\":%s,\"dev_number\":%" PRIu32
		       ",\"role\":\"%s\",\"own_role\":\"%s\",\"state\":\"%s\""
		       ",\"events\":%" PRIu64 ",\"fresh\":%s,\"rejected\":%s,\"reference\":%s,"
		       "\"recovery_offset_sectors\":%" PRIu64 "}",
		       l->present ? "true" : "false", l->dev_number, role_text(l->role, a),
		       role_text(l->own_role, b), md_leg_state_name(l->state), l->events,
		       l->fresh ? "true" : "false", l->rejected ? "true" : "false",
		       l->is_reference ? "true" : "false", l->recovery_offset_sectors);
	}
	printf("],\"others\":[");
	for (size_t i = 0; i < v->n_others; i++) {
		printf("%s{\"device\":", i ? "," : "");
		json_string(v->others[i].dev->path);
		printf(",\"error\":\"%s\",\"message\":", vg_errno_name(v->others[i].error));
		json_string(v->others[i].message);
		printf("}");
	}
	printf("]}\n");
}

/* The pattern: 8 bytes per 8-byte word, a function of the seed and the word's array offset only. */
static uint64_t pattern_word(uint64_t seed, uint64_t word)
{
	uint64_t z = seed * 0x9e3779b97f4a7c15u + word + 1;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static void fill_pattern(uint8_t *buf, size_t len, uint64_t seed, uint64_t offset)
{
	for (size_t i = 0; i < len; i++) {
		uint64_t pos = offset + i;
		uint64_t w = pattern_word(seed, pos / 8);

		buf[i] = (uint8_t)(w >> (8 * (pos % 8)));
	}
}

static int progress_stop(uint64_t done, uint64_t total, void *userdata)
{
	const struct tool *t = userdata;

	if (t->stop_after && done >= t->stop_after)
		return -ECANCELED;
	return 0;
}

static int do_pattern(struct tool *t, struct md_mirror_view *view, bool write)
{
	_cleanup_(blockdev_closep) struct blockdev *target = NULL;
	_cleanup_free_ uint8_t *want = NULL, *got = NULL;
	struct vg_error err = { 0 };
	const size_t chunk = 1 << 20;
	uint64_t length, done;
	int r;

	if (t->leg_path) {
		if (write) {
			fprintf(stderr, PROG ": write-pattern writes through the mirror only\n");
			return 2;
		}
		r = blockdev_open(t->leg_path, BLOCKDEV_READ_ONLY, &target, &err);
	} else {
		r = md_mirror_dev_open(view, write ? 0 : BLOCKDEV_READ_ONLY, &target, &err);
	}
	if (r < 0)
		return fail_with("open", r, &err);
	length = t->have_length ? t->length
				: view->size_sectors * 512 - MIN(t->offset, view->size_sectors * 512);
	want = malloc(chunk);
	got = malloc(chunk);
	if (!want || !got)
		return 1;
	for (done = 0; done < length;) {
		size_t n = (size_t)MIN((uint64_t)chunk, length - done);

		fill_pattern(want, n, t->seed, t->offset + done);
		if (write) {
			r = blockdev_write(target, t->offset + done, want, n, &err);
		} else {
			r = blockdev_read(target, t->offset + done, got, n, &err);
			if (r >= 0 && memcmp(want, got, n) != 0) {
				for (size_t i = 0; i < n; i++)
					if (want[i] != got[i]) {
						fprintf(stderr,
							PROG ": %s: pattern %" PRIu64
							     " differs at byte %" PRIu64 "\n",
							target->path, t->seed, t->offset + done + i);
						break;
					}
				return 1;
			}
		}
		if (r < 0)
			return fail_with(write ? "write-pattern" : "check-pattern", r, &err);
		done += n;
	}
	if (write && !t->no_flush) {
		r = blockdev_flush(target, &err);
		if (r < 0)
			return fail_with("flush", r, &err);
	}
	printf("%s %" PRIu64 " bytes at %" PRIu64 " %s %s\n", write ? "wrote" : "checked", length, t->offset,
	       write ? "to" : "on", target->path);
	return 0;
}

static int run_verb(struct tool *t, int argc, char **argv)
{
	_cleanup_(md_mirror_view_freep) struct md_mirror_view *view = NULL;
	_cleanup_(blockdev_closep) struct blockdev *new_dev = NULL;
	struct vg_error err = { 0 };
	static const char *const verbs[] = {
		"create", "view", "add", "fail", "remove", "replace", "recover", "resync",
		"grow", "dissolve", "write-pattern", "check-pattern",
	};
	const char *verb = t->verb;
	int nfixed = 0, r;
	ssize_t leg = -1;
	bool known = false;

	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
		known = known || streq(verb, verbs[i]);
	if (!known) {
		fprintf(stderr, PROG ": unknown verb \"%s\"\n", verb);
		return 2;
	}

	if (streq(verb, "create")) {
		_cleanup_free_ struct blockdev **spares = NULL;
		struct md_mirror_create_params p = { .homehost = t->homehost, .bitmap = t->bitmap };
		struct md_mirror_created made;
		char uuid[36];

		if (argc < 3)
			return 2;
		p.name = argv[0];
		r = open_devs(t, argv + 1, (size_t)argc - 1, false);
		if (r < 0)
			return 1;
		spares = calloc(t->n_spares + 1, sizeof(*spares));
		if (!spares)
			return 1;
		for (size_t i = 0; i < t->n_spares; i++) {
			r = blockdev_open(t->spares[i], 0, &spares[i], &err);
			if (r < 0) {
				for (size_t j = 0; j < i; j++)
					blockdev_close(spares[j]);
				return fail_with("open", r, &err);
			}
		}
		p.legs = t->devs;
		p.n_legs = t->n_devs;
		p.spares = spares;
		p.n_spares = t->n_spares;
		p.uuid = t->have_uuid ? t->uuid : NULL;
		r = md_mirror_create(&p, &t->opts, &made, &err);
		for (size_t i = 0; i < t->n_spares; i++)
			blockdev_close(spares[i]);
		if (r < 0)
			return fail_with("create", r, &err);
		md_uuid_format(made.uuid, uuid);
		printf("created %s uuid %s size %" PRIu64 " bitmap_chunk %" PRIu32 "\n", p.name, uuid,
		       made.size_sectors, made.bitmap_chunk_bytes);
		return 0;
	}

	/* Verbs with fixed leading arguments before the device list. */
	if (streq(verb, "fail") || streq(verb, "remove") || streq(verb, "add"))
		nfixed = 1;
	else if (streq(verb, "replace"))
		nfixed = 2;
	if (argc < nfixed + 1)
		return 2;
	r = open_devs(t, argv + nfixed, (size_t)(argc - nfixed),
		      streq(verb, "view") || streq(verb, "check-pattern"));
	if (r < 0)
		return 1;
	if (streq(verb, "grow")) {
		uint64_t size = 0;

		r = md_mirror_grow(t->devs, t->n_devs, &t->opts, &size, &err);
		if (r < 0)
			return fail_with("grow", r, &err);
		printf("grown to %" PRIu64 " sectors\n", size);
		return 0;
	}
	if (streq(verb, "check-pattern") && t->leg_path && t->have_length) {
		/* One leg read directly: it may no longer belong to any mirror (after dissolve). */
		struct md_mirror_view none = { 0 };

		return do_pattern(t, &none, false);
	}
	if (read_view(t, &view) != 0)
		return 1;

	if (streq(verb, "view")) {
		print_view(view, t->json);
		return 0;
	}
	if (streq(verb, "write-pattern") || streq(verb, "check-pattern"))
		return do_pattern(t, view, streq(verb, "write-pattern"));
	if (streq(verb, "fail") || streq(verb, "remove") || streq(verb, "replace")) {
		leg = find_leg(view, t, argv[0]);
		if (leg < 0)
			return 1;
	}
	if (streq(verb, "add") || streq(verb, "replace")) {
		const char *path = argv[nfixed - 1];

		r = blockdev_open(path, 0, &new_dev, &err);
		if (r < 0)
			return fail_with("open", r, &err);
	}

	if (streq(verb, "fail"))
		r = md_mirror_fail(view, (size_t)leg, &t->opts, &err);
	else if (streq(verb, "remove"))
		r = md_mirror_remove(view, (size_t)leg, &t->opts, &err);
	else if (streq(verb, "add"))
		r = md_mirror_add(view, new_dev, t->spare_mode ? MD_ADD_SPARE : MD_ADD_AUTO, &t->opts, NULL,
				  &err);
	else if (streq(verb, "replace"))
		r = md_mirror_replace(view, (size_t)leg, new_dev, &t->opts, &err);
	else if (streq(verb, "recover"))
		r = md_mirror_recover(view, &t->opts, &err);
	else if (streq(verb, "resync"))
		r = md_mirror_resync(view, &t->opts, &err);
	else if (streq(verb, "dissolve")) {
		ssize_t keep = -1;

		if (t->keep) {
			keep = find_leg(view, t, t->keep);
			if (keep < 0)
				return 1;
		}
		r = md_mirror_dissolve(view, keep, &t->opts, &err);
	} else {
		fprintf(stderr, PROG ": unknown verb \"%s\"\n", verb);
		return 2;
	}
	if (r < 0)
		return fail_with(verb, r, &err);
	printf("%s: done\n", verb);
	return 0;
}

int main(int argc, char **argv)
{
	enum {
		OPT_HOMEHOST = 0x100,
		OPT_UUID,
		OPT_BITMAP,
		OPT_ASSUME_CLEAN,
		OPT_FORCE,
		OPT_SPARE,
		OPT_AS_SPARE,
		OPT_TIME,
		OPT_JSON,
		OPT_KEEP_SB,
		OPT_ZERO,
		OPT_SEARCH,
		OPT_KEEP,
		OPT_SEED,
		OPT_OFFSET,
		OPT_LENGTH,
		OPT_NO_FLUSH,
		OPT_LEG,
		OPT_CHUNK,
		OPT_CHECKPOINT,
		OPT_STOP_AFTER,
		OPT_HELP,
	};
	static const struct option options[] = {
		{ "homehost", required_argument, NULL, OPT_HOMEHOST },
		{ "uuid", required_argument, NULL, OPT_UUID },
		{ "bitmap", no_argument, NULL, OPT_BITMAP },
		{ "assume-clean", no_argument, NULL, OPT_ASSUME_CLEAN },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "spare", required_argument, NULL, OPT_SPARE },
		{ "as-spare", no_argument, NULL, OPT_AS_SPARE },
		{ "time", required_argument, NULL, OPT_TIME },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "keep-superblock", no_argument, NULL, OPT_KEEP_SB },
		{ "zero", required_argument, NULL, OPT_ZERO },
		{ "search", required_argument, NULL, OPT_SEARCH },
		{ "keep", required_argument, NULL, OPT_KEEP },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "offset", required_argument, NULL, OPT_OFFSET },
		{ "length", required_argument, NULL, OPT_LENGTH },
		{ "no-flush", no_argument, NULL, OPT_NO_FLUSH },
		{ "leg", required_argument, NULL, OPT_LEG },
		{ "chunk", required_argument, NULL, OPT_CHUNK },
		{ "checkpoint", required_argument, NULL, OPT_CHECKPOINT },
		{ "stop-after", required_argument, NULL, OPT_STOP_AFTER },
		{ "help", no_argument, NULL, OPT_HELP },
		{ 0 },
	};
	struct tool t = { 0 };
	uint64_t v;
	int c, r;

	if (argc < 2 || streq(argv[1], "--help") || streq(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	t.verb = argv[1];
	t.opts.progress = progress_stop;
	t.opts.userdata = &t;
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		struct vg_error err = { 0 };

		r = 0;
		switch (c) {
		case OPT_HOMEHOST:
			t.homehost = optarg;
			break;
		case OPT_UUID:
			r = md_uuid_parse(optarg, t.uuid, &err);
			if (r < 0)
				fprintf(stderr, PROG ": --uuid: %s\n", err.message);
			t.have_uuid = true;
			break;
		case OPT_BITMAP:
			t.bitmap = true;
			break;
		case OPT_ASSUME_CLEAN:
			t.opts.assume_clean = true;
			break;
		case OPT_FORCE:
			t.opts.force = true;
			break;
		case OPT_SPARE:
			if (t.n_spares == ARRAY_SIZE(t.spares))
				return 2;
			t.spares[t.n_spares++] = optarg;
			break;
		case OPT_AS_SPARE:
			t.spare_mode = true;
			break;
		case OPT_TIME:
			r = parse_u64(optarg, "--time", &t.opts.time);
			break;
		case OPT_JSON:
			t.json = true;
			break;
		case OPT_KEEP_SB:
			t.opts.keep_superblock = true;
			break;
		case OPT_ZERO:
			r = parse_u64(optarg, "--zero", &t.opts.zero_bytes);
			break;
		case OPT_SEARCH:
			r = parse_u64(optarg, "--search", &t.opts.search_bytes);
			break;
		case OPT_KEEP:
			t.keep = optarg;
			break;
		case OPT_SEED:
			r = parse_u64(optarg, "--seed", &t.seed);
			break;
		case OPT_OFFSET:
			r = parse_u64(optarg, "--offset", &t.offset);
			break;
		case OPT_LENGTH:
			r = parse_u64(optarg, "--length", &t.length);
			t.have_length = true;
			break;
		case OPT_NO_FLUSH:
			t.no_flush = true;
			break;
		case OPT_LEG:
			t.leg_path = optarg;
			break;
		case OPT_CHUNK:
			r = parse_u64(optarg, "--chunk", &v);
			t.opts.copy_chunk_bytes = (size_t)v;
			break;
		case OPT_CHECKPOINT:
			r = parse_u64(optarg, "--checkpoint", &t.opts.checkpoint_bytes);
			break;
		case OPT_STOP_AFTER:
			r = parse_u64(optarg, "--stop-after", &t.stop_after);
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
	r = run_verb(&t, argc - optind, argv + optind);
	close_devs(&t);
	if (r == 2)
		usage(stderr);
	return r;
}
