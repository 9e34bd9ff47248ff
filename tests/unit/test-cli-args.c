/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vgtool's command line: every verb's argv gives exactly the JSON-RPC request
 * line docs/api.md describes (a table of command -> line, and a check that
 * the table covers every verb vgtool has); usage mistakes exit 2 with a
 * message naming the word at fault, before anything is sent; no daemon at
 * the socket exits 3 with the message that says what to do; --help works for
 * every verb; completion offers the right words or directives.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cli.h"

#define MAX_WORDS 32

/* Split @cmd at spaces into argv (argv[0] = "vgtool"); "''" stands for an empty word. */
static int split(const char *cmd, char *storage, size_t storage_len, char **argv)
{
	int argc = 0;
	char *save = NULL, *word;

	snprintf(storage, storage_len, "%s", cmd);
	argv[argc++] = (char *)"vgtool";
	for (word = strtok_r(storage, " ", &save); word && argc < MAX_WORDS - 1; word = strtok_r(NULL, " ", &save))
		argv[argc++] = streq(word, "''") ? (char *)"" : word;
	argv[argc] = NULL;
	return argc;
}

/* ---- every verb -> its request line ---- */

static const struct {
	const char *cmd;
	const char *line;
} requests[] = {
	/* the interface scripts rely on, and DESIGN's examples */
	{ "mirror create md0 /dev/sda5 /dev/sdc5",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"mirror.create\",\"params\":{\"name\":\"md0\",\"legs\":[\"/dev/sda5\",\"/dev/sdc5\"]}}" },
	{ "vg create vg_raid md0 md1 md2",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vg.create\",\"params\":{\"name\":\"vg_raid\",\"pvs\":[\"md0\",\"md1\",\"md2\"]}}" },
	{ "vg move-pv md2 --from vg_raid --to vg_bulk",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vg.move_pv\",\"params\":{\"pv\":\"md2\",\"from\":\"vg_raid\",\"to\":\"vg_bulk\"}}" },
	{ "vg move-pv md2 --from vg_raid --to vg_bulk --evacuate",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vg.move_pv\",\"params\":{\"pv\":\"md2\",\"from\":\"vg_raid\",\"to\":\"vg_bulk\",\"evacuate\":true}}" },
	{ "lv create vg_raid vm1-disk0 --size 20G",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"lv.create\",\"params\":{\"vg\":\"vg_raid\",\"name\":\"vm1-disk0\",\"size\":\"20G\"}}" },
	{ "lv extend vg_bulk/lv_rushes --size +100G",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"lv.resize\",\"params\":{\"vg\":\"vg_bulk\",\"name\":\"lv_rushes\",\"size\":\"+100G\"}}" },
	{ "lv extend vg_bulk/lv_rushes --size +100G --json",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"lv.resize\",\"params\":{\"vg\":\"vg_bulk\",\"name\":\"lv_rushes\",\"size\":\"+100G\"}}" },
	{ "lv create vg_raid lv_files --size 50G",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"lv.create\",\"params\":{\"vg\":\"vg_raid\",\"name\":\"lv_files\",\"size\":\"50G\"}}" },

	/* mirror */
	{ "mirror create md0 /dev/sda5 /dev/sdc5 --spare /dev/sdd5 --spare img.raw --bitmap --assume-clean --dry-run --idempotency-key k1",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"mirror.create\",\"params\":{\"name\":\"md0\",\"legs\":[\"/dev/sda5\",\"/dev/sdc5\"],"
	  "\"spares\":[\"/dev/sdd5\",\"img.raw\"],\"bitmap\":true,\"assume_clean\":true,\"dry_run\":true,\"idempotency_key\":\"k1\"}}" },
	{ "mirror create md0 a.img b.img c.img --no-bitmap",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"mirror.create\",\"params\":{\"name\":\"md0\",\"legs\":[\"a.img\",\"b.img\",\"c.img\"],\"bitmap\":false}}" },
	{ "mirror list", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"mirror.list\",\"params\":{}}" },
	{ "mirror show md0", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"mirror.show\",\"params\":{\"name\":\"md0\"}}" },
	{ "mirror add-leg md0 /dev/sdd5 --spare",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"mirror.add_leg\",\"params\":{\"name\":\"md0\",\"device\":\"/dev/sdd5\",\"spare\":true}}" },
	{ "mirror add-leg md0 /dev/sdd5 --no-wait",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"mirror.add_leg\",\"params\":{\"name\":\"md0\",\"device\":\"/dev/sdd5\"}}" },
	{ "mirror replace-leg md0 /dev/sdc5 /dev/sdd5",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"mirror.replace_leg\",\"params\":{\"name\":\"md0\",\"old\":\"/dev/sdc5\",\"new\":\"/dev/sdd5\"}}" },
	{ "mirror fail-leg md0 /dev/sdc5",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"mirror.fail_leg\",\"params\":{\"name\":\"md0\",\"device\":\"/dev/sdc5\"}}" },
	{ "mirror remove-leg md0 /dev/sdc5 --dry-run",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"mirror.remove_leg\",\"params\":{\"name\":\"md0\",\"device\":\"/dev/sdc5\",\"dry_run\":true}}" },
	{ "mirror dissolve md2 --wipe-other-legs",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"mirror.dissolve\",\"params\":{\"name\":\"md2\",\"wipe_other_legs\":true}}" },
	{ "mirror scrub md0",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"mirror.scrub\",\"params\":{\"name\":\"md0\",\"action\":\"check\"}}" },
	{ "mirror scrub md0 repair",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"mirror.scrub\",\"params\":{\"name\":\"md0\",\"action\":\"repair\"}}" },
	{ "mirror remove md0", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"mirror.remove\",\"params\":{\"name\":\"md0\"}}" },

	/* pv: plain sizes go as integers of bytes (docs/api.md: "or an integer number of bytes") */
	{ "pv create /dev/sdb --metadata-size 2M --metadata-copies 2 --idempotency-key pv-sdb",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"pv.create\",\"params\":{\"device\":\"/dev/sdb\",\"metadata_size\":2097152,"
	  "\"metadata_copies\":2,\"idempotency_key\":\"pv-sdb\"}}" },
	{ "pv list", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"pv.list\",\"params\":{}}" },
	{ "pv remove /dev/sdb", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"pv.remove\",\"params\":{\"device\":\"/dev/sdb\"}}" },
	{ "pv move /dev/sdb", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"pv.move\",\"params\":{\"pv\":\"/dev/sdb\"}}" },
	{ "pv move /dev/sdb /dev/sdc md1 --lv vg_data/home --bandwidth 20M",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"pv.move\",\"params\":{\"pv\":\"/dev/sdb\",\"to\":[\"/dev/sdc\",\"md1\"],"
	  "\"lv\":\"vg_data/home\",\"bandwidth\":20971520}}" },
	{ "capacity plan --want vg_bulk=+200G --want vg_raid>=50G",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"capacity.plan\",\"params\":{\"wants\":[\"vg_bulk=+200G\",\"vg_raid>=50G\"]}}" },
	{ "capacity plan --want vg_bulk=+200G --redundancy vg_raid=no --redundancy vg_bulk=yes",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"capacity.plan\",\"params\":{\"wants\":[\"vg_bulk=+200G\"],"
	  "\"requires_redundancy\":{\"vg_raid\":false,\"vg_bulk\":true}}}" },
	{ "capacity apply --want vg_bulk=+200G --dry-run",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"capacity.apply\",\"params\":{\"wants\":[\"vg_bulk=+200G\"],\"dry_run\":true}}" },
	{ "pv evacuate md2 --dry-run",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"pv.evacuate\",\"params\":{\"pv\":\"md2\",\"dry_run\":true}}" },

	/* vg */
	{ "vg create vg_bulk /dev/sdb /tmp/disk.img --extent-size 8M",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vg.create\",\"params\":{\"name\":\"vg_bulk\",\"pvs\":[\"/dev/sdb\",\"/tmp/disk.img\"],\"extent_size\":8388608}}" },
	{ "vg list", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vg.list\",\"params\":{}}" },
	{ "vg show vg_raid", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vg.show\",\"params\":{\"name\":\"vg_raid\"}}" },
	{ "vg extend vg_bulk /dev/sde /dev/sdf",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vg.extend\",\"params\":{\"name\":\"vg_bulk\",\"pvs\":[\"/dev/sde\",\"/dev/sdf\"]}}" },
	{ "vg reduce vg_bulk /dev/sde",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vg.reduce\",\"params\":{\"name\":\"vg_bulk\",\"pvs\":[\"/dev/sde\"]}}" },
	{ "vg split vg_raid vg_old md2",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vg.split\",\"params\":{\"name\":\"vg_raid\",\"new_name\":\"vg_old\",\"pvs\":[\"md2\"]}}" },
	{ "vg merge vg_bulk vg_old",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vg.merge\",\"params\":{\"name\":\"vg_bulk\",\"from\":\"vg_old\"}}" },
	{ "vg rename vg_old vg_archive",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vg.rename\",\"params\":{\"name\":\"vg_old\",\"new_name\":\"vg_archive\"}}" },
	{ "vg remove vg_old --dry-run",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vg.remove\",\"params\":{\"name\":\"vg_old\",\"dry_run\":true}}" },
	{ "vg remove vg_old --force",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vg.remove\",\"params\":{\"name\":\"vg_old\",\"force\":true}}" },
	/* options before positionals, in any order: the request is the same */
	{ "vg move-pv --to vg_bulk md2 --from=vg_raid",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vg.move_pv\",\"params\":{\"pv\":\"md2\",\"from\":\"vg_raid\",\"to\":\"vg_bulk\"}}" },

	/* lv */
	{ "lv create vg_raid/lv_files --size 100%FREE",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"lv.create\",\"params\":{\"vg\":\"vg_raid\",\"name\":\"lv_files\",\"size\":\"100%FREE\"}}" },
	{ "lv create vg_raid lv_s --extents 100 --stripes 2 --stripe-size 64K --policy contiguous --pv md0 --pv md1 --tag a --tag b --idempotency-key x",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"lv.create\",\"params\":{\"vg\":\"vg_raid\",\"name\":\"lv_s\",\"extents\":100,\"stripes\":2,"
	  "\"stripe_size\":65536,\"policy\":\"contiguous\",\"pvs\":[\"md0\",\"md1\"],\"tags\":[\"a\",\"b\"],\"idempotency_key\":\"x\"}}" },
	{ "lv create --size=1.5T vg_raid -- -odd-name",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"lv.create\",\"params\":{\"vg\":\"vg_raid\",\"name\":\"-odd-name\",\"size\":\"1.5T\"}}" },
	{ "lv list", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"lv.list\",\"params\":{}}" },
	{ "lv list vg_raid", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"lv.list\",\"params\":{\"vg\":\"vg_raid\"}}" },
	{ "lv show /dev/vg_raid/lv_files",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"lv.show\",\"params\":{\"vg\":\"vg_raid\",\"name\":\"lv_files\"}}" },
	{ "lv resize vg_raid/lv_files --size -5G --force",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"lv.resize\",\"params\":{\"vg\":\"vg_raid\",\"name\":\"lv_files\",\"size\":\"-5G\",\"force\":true}}" },
	{ "lv resize vg_raid lv_files --extents 300",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"lv.resize\",\"params\":{\"vg\":\"vg_raid\",\"name\":\"lv_files\",\"extents\":300}}" },
	{ "lv extend vg_bulk lv_rushes --size +100%FREE --dry-run",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"lv.resize\",\"params\":{\"vg\":\"vg_bulk\",\"name\":\"lv_rushes\",\"size\":\"+100%FREE\",\"dry_run\":true}}" },
	{ "lv extend vg_bulk/lv_rushes --size 500G",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"lv.resize\",\"params\":{\"vg\":\"vg_bulk\",\"name\":\"lv_rushes\",\"size\":\"500G\"}}" },
	/* reduce passes force only when asked */
	{ "lv reduce vg_bulk/lv_rushes --size -50G",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"lv.resize\",\"params\":{\"vg\":\"vg_bulk\",\"name\":\"lv_rushes\",\"size\":\"-50G\"}}" },
	{ "lv reduce vg_bulk/lv_rushes --size -50G --force",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"lv.resize\",\"params\":{\"vg\":\"vg_bulk\",\"name\":\"lv_rushes\",\"size\":\"-50G\",\"force\":true}}" },
	{ "lv rename vg_raid/vm1-disk0 vm1-root",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"lv.rename\",\"params\":{\"vg\":\"vg_raid\",\"name\":\"vm1-disk0\",\"new_name\":\"vm1-root\"}}" },
	{ "lv rename vg_raid vm1-disk0 vm1-root",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"lv.rename\",\"params\":{\"vg\":\"vg_raid\",\"name\":\"vm1-disk0\",\"new_name\":\"vm1-root\"}}" },
	{ "lv remove vg_raid/vm1-disk0 --force",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"lv.remove\",\"params\":{\"vg\":\"vg_raid\",\"name\":\"vm1-disk0\",\"force\":true}}" },
	{ "lv activate vg_raid/lv_files",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"lv.activate\",\"params\":{\"vg\":\"vg_raid\",\"name\":\"lv_files\"}}" },
	{ "lv deactivate vg_raid lv_files",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"lv.deactivate\",\"params\":{\"vg\":\"vg_raid\",\"name\":\"lv_files\"}}" },
	{ "lv activate vg_raid/lv_files --read-only",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"lv.activate\",\"params\":{\"vg\":\"vg_raid\",\"name\":\"lv_files\",\"read_only\":true}}" },
	{ "lv deactivate vg_raid/lv_files --force",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"lv.deactivate\",\"params\":{\"vg\":\"vg_raid\",\"name\":\"lv_files\",\"force\":true}}" },
	{ "vg activate vg_raid",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vg.activate\",\"params\":{\"name\":\"vg_raid\"}}" },
	{ "vg deactivate vg_raid --force",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vg.deactivate\",\"params\":{\"name\":\"vg_raid\",\"force\":true}}" },

	/* job, events, disk, host, metadata */
	{ "job list", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"job.list\",\"params\":{}}" },
	{ "job show 3", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"job.show\",\"params\":{\"id\":3}}" },
	{ "job wait 3", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"job.show\",\"params\":{\"id\":3}}" },
	{ "job cancel 3", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"job.cancel\",\"params\":{\"id\":3}}" },
	{ "events subscribe", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"events.subscribe\",\"params\":{}}" },
	/* --count is vgtool's own: not sent */
	{ "events subscribe --since 42 --count 5",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"events.subscribe\",\"params\":{\"since\":42}}" },
	{ "disk list", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"disk.list\",\"params\":{}}" },
	{ "host status", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"host.status\",\"params\":{}}" },
	{ "metadata backup vg_raid", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"metadata.backup\",\"params\":{\"vg\":\"vg_raid\"}}" },
	{ "metadata history vg_raid", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"metadata.history\",\"params\":{\"vg\":\"vg_raid\"}}" },
	{ "metadata restore vg_raid --seqno 41 --dry-run",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"metadata.restore\",\"params\":{\"vg\":\"vg_raid\",\"seqno\":41,\"dry_run\":true}}" },
	{ "metadata restore vg_raid --file /var/lib/vgtool/archive/vg_raid_00041.vg",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"metadata.restore\",\"params\":{\"vg\":\"vg_raid\",\"file\":\"/var/lib/vgtool/archive/vg_raid_00041.vg\"}}" },
};

static void test_requests(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(requests); i++) {
		char storage[1024], *argv[MAX_WORDS];
		int argc = split(requests[i].cmd, storage, sizeof(storage), argv);
		struct cli_invocation inv = { 0 };
		struct vg_error err = { 0 };
		char *line;

		if (cli_parse(argc, argv, &inv, &err) != 0)
			fail_msg("%s: %s", requests[i].cmd, err.message);
		assert_int_equal(inv.action, CLI_ACTION_CALL);
		line = cli_request_line(inv.verb->method, inv.params, 1);
		assert_non_null(line);
		if (!streq(line, requests[i].line))
			fail_msg("%s:\n  expected %s\n  got      %s", requests[i].cmd, requests[i].line, line);
		free(line);
		cli_invocation_done(&inv);
	}
}

/* The table above must exercise every verb vgtool has: a new verb needs its line here. */
static void test_every_verb_covered(void **state)
{
	for (size_t n = 0; cli_nouns[n]; n++) {
		for (const struct cli_verb *v = cli_nouns[n]->verbs; v->verb; v++) {
			char prefix[64];
			bool found = false;

			snprintf(prefix, sizeof(prefix), "%s %s", v->noun, v->verb);
			for (size_t i = 0; i < ARRAY_SIZE(requests) && !found; i++)
				found = strncmp(requests[i].cmd, prefix, strlen(prefix)) == 0 &&
					(requests[i].cmd[strlen(prefix)] == ' ' || requests[i].cmd[strlen(prefix)] == '\0');
			if (!found)
				fail_msg("verb \"%s\" has no request test", prefix);
		}
	}
}

static void test_globals(void **state)
{
	char storage[512], *argv[MAX_WORDS];
	int argc = split("--json --socket /tmp/s.sock lv list vg_raid --units G --no-wait --timeout 5", storage,
			 sizeof(storage), argv);
	struct cli_invocation inv = { 0 };
	struct vg_error err = { 0 };

	assert_int_equal(cli_parse(argc, argv, &inv, &err), 0);
	assert_true(inv.json);
	assert_true(inv.no_wait);
	assert_string_equal(inv.socket, "/tmp/s.sock");
	assert_int_equal(inv.units, 'g');
	assert_int_equal(inv.timeout_ms, 5000);
	assert_string_equal(cli_socket_path(&inv, "/env.sock"), "/tmp/s.sock");
	cli_invocation_done(&inv);

	argc = split("vg list --timeout 0", storage, sizeof(storage), argv);
	assert_int_equal(cli_parse(argc, argv, &inv, &err), 0);
	assert_false(inv.json);
	assert_int_equal(inv.units, 'h');
	assert_int_equal(inv.timeout_ms, -1);
	assert_null(inv.socket);
	/* --socket, then $VGTOOL_SOCKET, then the default */
	assert_string_equal(cli_socket_path(&inv, "/env.sock"), "/env.sock");
	assert_string_equal(cli_socket_path(&inv, ""), VGTOOL_DEFAULT_SOCKET);
	assert_string_equal(cli_socket_path(&inv, NULL), "/run/vgtool/vgtoold.sock");
	assert_int_equal(inv.timeout_ms, -1);
	cli_invocation_done(&inv);

	argc = split("vg list", storage, sizeof(storage), argv);
	assert_int_equal(cli_parse(argc, argv, &inv, &err), 0);
	assert_int_equal(inv.timeout_ms, CLI_DEFAULT_TIMEOUT_S * 1000);
	cli_invocation_done(&inv);

	argc = split("events subscribe --count 5", storage, sizeof(storage), argv);
	assert_int_equal(cli_parse(argc, argv, &inv, &err), 0);
	assert_non_null(cli_get(inv.local, "count"));
	assert_int_equal(json_object_get_int64(cli_get(inv.local, "count")), 5);
	assert_null(cli_get(inv.params, "count"));
	cli_invocation_done(&inv);
}

/* ---- whole runs: exit codes and messages ---- */

struct run_output {
	int exit_code;
	char *out;
	char *err;
};

static struct run_output run(const char *cmd, const char *env_socket)
{
	char storage[1024], *argv[MAX_WORDS];
	int argc = split(cmd, storage, sizeof(storage), argv);
	struct run_output r = { 0 };
	size_t out_len = 0, err_len = 0;
	FILE *out = open_memstream(&r.out, &out_len), *err = open_memstream(&r.err, &err_len);

	assert_non_null(out);
	assert_non_null(err);
	r.exit_code = cli_run(argc, argv, env_socket, out, err);
	fclose(out);
	fclose(err);
	return r;
}

static void run_done(struct run_output *r)
{
	free(r->out);
	free(r->err);
}

static const struct {
	const char *cmd;
	const char *message; /* a part of the message that names the problem */
} usage_errors[] = {
	{ "", "no command given" },
	{ "frob", "unknown command \"frob\"" },
	{ "lv", "lv: which verb? create, list" },
	{ "lv frob", "lv: unknown verb \"frob\"" },
	{ "--bogus vg list", "unknown option --bogus before the command" },
	{ "lv create vg_raid lv1", "lv create: give --size or --extents" },
	{ "lv create vg_raid lv1 --size 1G --extents 3", "give only one of --size or --extents" },
	{ "lv create vg_raid lv1 --size 12Q", "--size: invalid size \"12Q\": unknown unit \"Q\"" },
	{ "lv create vg_raid lv1 --size 20GB", "units are binary" },
	{ "capacity plan --want vg_bulk=+1G --redundancy vg_raid", "--redundancy: \"vg_raid\" is not NAME=yes or NAME=no" },
	{ "capacity plan --want vg_bulk=+1G --redundancy =no", "--redundancy: \"=no\" is not NAME=yes or NAME=no" },
	{ "capacity plan --want vg_bulk=+1G --redundancy vg_raid=maybe", "\"vg_raid=maybe\": after the = comes yes or no" },
	{ "capacity plan --want vg_bulk=+1G --redundancy vg_raid=no --redundancy vg_raid=yes",
	  "--redundancy names vg_raid twice" },
	{ "lv create vg_raid lv1 --size +1G", "a new size has no sign" },
	{ "lv create vg_raid lv1 --size 101%FREE", "more than 100%" },
	{ "lv extend vg_bulk/lv_rushes --size -1G", "\"-1G\" would shrink; to shrink use: vgtool lv reduce" },
	{ "lv reduce vg_bulk/lv_rushes --size +1G", "\"+1G\" would grow; to grow use: vgtool lv extend" },
	{ "lv create vg_raid --size 1G", "missing the LV's name: write VG/LV or VG LV" },
	{ "lv show a/b/c", "\"a/b/c\" is not an LV" },
	{ "lv show /dev/sda", "\"/dev/sda\" is not an LV" },
	{ "lv show vg/", "\"vg/\" is not an LV" },
	{ "lv show", "lv show: missing VG/LV" },
	{ "lv create vg lv --size", "--size needs a value (SIZE)" },
	{ "lv create vg lv --size 1G --size 2G", "--size is given twice" },
	{ "lv create vg lv --size 1G --bogus", "lv create: unknown option --bogus" },
	{ "lv create vg lv --size 1G -s", "unknown option -s" },
	{ "lv list a b", "unexpected argument \"b\"" },
	{ "lv list --dry-run", "unknown option --dry-run" },
	{ "lv list --idempotency-key k", "unknown option --idempotency-key" },
	{ "lv remove vg/lv --force=yes", "--force takes no value" },
	{ "mirror create md0 /dev/sda5", "give at least 2 LEGs, not 1" },
	{ "mirror create md0", "give at least 2 LEGs, not 0" },
	{ "mirror create md0 a b --bitmap --no-bitmap", "give only one of --bitmap and --no-bitmap" },
	{ "mirror scrub md0 fix", "ACTION: \"fix\" is not one of check, repair" },
	{ "vg move-pv md2 --from vg_raid", "--to VG is required" },
	{ "vg move-pv --to vg_bulk --from vg_raid", "vg move-pv: missing PV" },
	{ "vg create vg_raid", "vg create: missing PV" },
	{ "vg create vg_raid md0 --extent-size 50%VG", "give an absolute size" },
	{ "vg remove ''", "VG is empty" },
	{ "job show x", "ID: \"x\" is not a whole number" },
	{ "job show 99999999999999999999", "is not a whole number" },
	{ "metadata restore vg_raid", "give --seqno or --file" },
	{ "--units q vg list", "--units: \"q\" is not a unit" },
	{ "vg list --timeout soon", "--timeout: \"soon\" is not a number of seconds" },
	{ "vg list --json=1", "--json takes no value" },
	{ "vg list --socket", "--socket needs a value (PATH)" },
};

static void test_usage_errors(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(usage_errors); i++) {
		/* a socket that would answer "unreachable" if anything were sent */
		struct run_output r = run(usage_errors[i].cmd, "/nonexistent/vgtoold.sock");

		if (r.exit_code != CLI_EXIT_USAGE || !strstr(r.err, usage_errors[i].message) ||
		    strncmp(r.err, "vgtool: ", 8) != 0)
			fail_msg("\"%s\": expected exit 2 and \"%s\", got exit %d and: %s", usage_errors[i].cmd,
				 usage_errors[i].message, r.exit_code, r.err);
		assert_string_equal(r.out, "");
		run_done(&r);
	}
}

static void test_unreachable(void **state)
{
	struct run_output r = run("--socket /nonexistent/dir/vgtoold.sock host status", NULL);

	assert_int_equal(r.exit_code, CLI_EXIT_UNREACHABLE);
	assert_string_equal(r.err, "vgtool: cannot reach vgtoold at /nonexistent/dir/vgtoold.sock: No such file or "
				   "directory \xe2\x80\x94 is it running? (systemctl start vgtoold)\n");
	assert_string_equal(r.out, "");
	run_done(&r);

	/* $VGTOOL_SOCKET is used without --socket, and named in the message */
	r = run("--json lv extend vg_bulk/lv_rushes --size +100G", "/nonexistent/env.sock");
	assert_int_equal(r.exit_code, CLI_EXIT_UNREACHABLE);
	assert_non_null(strstr(r.err, "cannot reach vgtoold at /nonexistent/env.sock"));
	assert_string_equal(r.out, "");
	run_done(&r);

	/* longer than a Unix socket address */
	r = run("--socket /tmp/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.sock vg list",
		NULL);
	assert_int_equal(r.exit_code, CLI_EXIT_UNREACHABLE);
	assert_non_null(strstr(r.err, "shorter --socket path"));
	run_done(&r);
}

static void test_help(void **state)
{
	struct run_output r;

	for (size_t n = 0; cli_nouns[n]; n++) {
		char cmd[128], usage[128];

		for (const struct cli_verb *v = cli_nouns[n]->verbs; v->verb; v++) {
			snprintf(cmd, sizeof(cmd), "%s %s --help", v->noun, v->verb);
			snprintf(usage, sizeof(usage), "Usage: vgtool %s %s", v->noun, v->verb);
			r = run(cmd, NULL);
			assert_int_equal(r.exit_code, CLI_EXIT_OK);
			if (!strstr(r.out, usage) || !strstr(r.out, v->method) || !strstr(r.out, v->summary))
				fail_msg("%s: %s", cmd, r.out);
			if ((v->flags & CLI_VERB_CHANGES) && !strstr(r.out, "--dry-run"))
				fail_msg("%s does not offer --dry-run", cmd);
			if ((v->flags & CLI_VERB_CREATES) && !strstr(r.out, "--idempotency-key KEY"))
				fail_msg("%s does not offer --idempotency-key", cmd);
			run_done(&r);
		}
		snprintf(cmd, sizeof(cmd), "%s --help", cli_nouns[n]->name);
		r = run(cmd, NULL);
		assert_int_equal(r.exit_code, CLI_EXIT_OK);
		snprintf(usage, sizeof(usage), "Usage: vgtool %s VERB", cli_nouns[n]->name);
		assert_non_null(strstr(r.out, usage));
		run_done(&r);
	}

	r = run("--help", NULL);
	assert_int_equal(r.exit_code, CLI_EXIT_OK);
	assert_non_null(strstr(r.out, "  vg move-pv "));
	assert_non_null(strstr(r.out, "3 vgtoold unreachable"));
	run_done(&r);

	/* help wins over mistakes elsewhere on the line, and has a spelling without dashes */
	r = run("lv create vg --bogus -h", NULL);
	assert_int_equal(r.exit_code, CLI_EXIT_OK);
	assert_non_null(strstr(r.out, "Usage: vgtool lv create VG/LV (--size SIZE | --extents N) [OPTIONS]"));
	run_done(&r);
	r = run("help vg move-pv", NULL);
	assert_int_equal(r.exit_code, CLI_EXIT_OK);
	assert_non_null(strstr(r.out, "Usage: vgtool vg move-pv PV --from VG --to VG [OPTIONS]"));
	run_done(&r);
	r = run("help mirror create", NULL);
	assert_non_null(strstr(r.out, "Usage: vgtool mirror create NAME LEG LEG... [OPTIONS]"));
	run_done(&r);

	r = run("--version", NULL);
	assert_int_equal(r.exit_code, CLI_EXIT_OK);
	assert_non_null(strstr(r.out, "vgtool " PACKAGE_VERSION));
	run_done(&r);
}

/* ---- completion ---- */

static char *complete(const char *words)
{
	char storage[512], *argv[MAX_WORDS];
	/* split() puts "vgtool" first; completion gets the words after it, the last one being typed */
	int argc = split(words, storage, sizeof(storage), argv);
	struct strbuf sb;

	strbuf_init(&sb);
	cli_complete(argc - 1, argv + 1, &sb);
	return strbuf_steal(&sb, NULL);
}

static void assert_completes(const char *words, const char *expected_part)
{
	_cleanup_free_ char *got = complete(words);

	assert_non_null(got);
	if (!strstr(got, expected_part))
		fail_msg("completing \"%s\": expected \"%s\" in:\n%s", words, expected_part, got);
}

static void test_complete(void **state)
{
	assert_completes("''", "mirror\n");
	assert_completes("''", "metadata\n");
	assert_completes("lv ''", "extend\n");
	assert_completes("--json vg ''", "move-pv\n");
	assert_completes("lv create ''", "@vg/\n");
	assert_completes("lv create vg_raid ''", "@none\n");
	assert_completes("lv extend ''", "@lv\n");
	assert_completes("lv rename vg_raid ''", "@lvin vg_raid\n");
	assert_completes("lv rename vg_raid lv_files ''", "@none\n");
	assert_completes("lv create vg_raid/x --", "--size\n");
	assert_completes("lv create vg_raid/x --", "--idempotency-key\n");
	assert_completes("lv create vg_raid/x --", "--json\n");
	assert_completes("lv create vg_raid/x --pv ''", "@pv\n");
	assert_completes("lv list ''", "@vg\n");
	assert_completes("vg create vg_new ''", "@pv\n");
	assert_completes("vg create vg_new md0 ''", "@pv\n");
	assert_completes("vg move-pv md2 --from ''", "@vg\n");
	assert_completes("vg move-pv ''", "@pv\n");
	assert_completes("mirror scrub md0 ''", "check\nrepair\n");
	assert_completes("mirror create md0 ''", "@device\n");
	assert_completes("mirror show ''", "@mirror\n");
	assert_completes("job wait ''", "@job\n");
	assert_completes("--units ''", "h\nb\ns\nk\n");
	assert_completes("--socket ''", "@file\n");
	assert_completes("frob ''", "@none\n");
	assert_completes("host status ''", "@none\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_every_verb_covered),
		cmocka_unit_test(test_globals),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_complete),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
