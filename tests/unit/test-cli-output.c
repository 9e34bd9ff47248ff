/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vgtool's human output: the exact text of the tables and blocks made from
 * replies shaped as docs/api.md says (the replies are written out here as
 * JSON text and fed to our renderers, which are pure functions), sizes in
 * every --units, error lines with the parameter at fault, job progress on a
 * terminal and off it, event lines, and the table layout itself.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cli.h"
#include "table.h"

static struct json_object *parse(const char *text)
{
	struct json_object *obj = json_tokener_parse(text);

	if (!obj)
		fail_msg("bad JSON in the test: %s", text);
	return obj;
}

/* Render the reply @result to "NOUN VERB" with @params, in @units. Returns the text (caller frees). */
static char *render(const char *noun, const char *verb_name, const char *params, const char *result, char units,
		    bool dry_run)
{
	const struct cli_verb *verb = cli_find_verb(cli_find_noun(noun), verb_name);
	struct cli_format fmt = { .units = units };
	struct json_object *p = parse(params), *r = parse(result);
	struct strbuf sb;

	assert_non_null(verb);
	strbuf_init(&sb);
	cli_render_result(verb, &fmt, p, r, dry_run, false, &sb);
	json_object_put(p);
	json_object_put(r);
	assert_int_equal(strbuf_status(&sb), 0);
	return strbuf_steal(&sb, NULL);
}

#define assert_renders(expected, ...)                                 \
	do {                                                          \
		char *got_ = render(__VA_ARGS__);                      \
		if (!streq(got_, expected))                            \
			fail_msg("expected:\n%s\ngot:\n%s", expected, got_); \
		free(got_);                                            \
	} while (0)

#define LV_FILES                                                                                       \
	"{\"vg\":\"vg_raid\",\"name\":\"lv_files\",\"id\":\"Xa1\",\"size_bytes\":53687091200,\"extents\":12800," \
	"\"path\":\"/dev/vg_raid/lv_files\",\"active\":true,\"tags\":[],"                               \
	"\"segments\":[{\"start_extent\":0,\"extents\":12800,\"type\":\"striped\","                      \
	"\"stripes\":[{\"pv\":\"md0\",\"device\":\"/dev/md0\",\"first_pe\":0}]}]}"
#define LV_RUSHES                                                                                        \
	"{\"vg\":\"vg_bulk\",\"name\":\"lv_rushes\",\"size_bytes\":1649267441664,\"path\":\"/dev/vg_bulk/lv_rushes\"}"

static void test_lv_list(void **state)
{
	assert_renders("NAME       VG           SIZE  PATH\n"
		       "lv_files   vg_raid    50 GiB  /dev/vg_raid/lv_files\n"
		       "lv_rushes  vg_bulk  1.50 TiB  /dev/vg_bulk/lv_rushes\n",
		       "lv", "list", "{}", "{\"lvs\":[" LV_FILES "," LV_RUSHES "]}", 'h', false);
	/* the reply of lv create / lv extend: the same table, one row */
	assert_renders("NAME      VG         SIZE  PATH\n"
		       "lv_files  vg_raid  50 GiB  /dev/vg_raid/lv_files\n",
		       "lv", "extend", "{}", "{\"lv\":" LV_FILES "}", 'h', false);
	assert_renders("No LVs. Create one with: vgtool lv create VG LV --size SIZE\n", "lv", "list", "{}",
		       "{\"lvs\":[]}", 'h', false);
}

static void test_units(void **state)
{
	static const struct {
		char units;
		const char *size;
	} cases[] = {
		{ 'h', "50 GiB" },      { 'b', "53687091200 B" }, { 's', "104857600s" }, { 'k', "52428800 KiB" },
		{ 'm', "51200 MiB" },   { 'g', "50 GiB" },        { 't', "0.04 TiB" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char expected[256];
		size_t w = strlen(cases[i].size) > 4 ? strlen(cases[i].size) : 4;

		snprintf(expected, sizeof(expected), "NAME      VG       %*s  PATH\nlv_files  vg_raid  %*s  /dev/vg_raid/lv_files\n",
			 (int)w, "SIZE", (int)w, cases[i].size);
		assert_renders(expected, "lv", "list", "{}", "{\"lvs\":[" LV_FILES "]}", cases[i].units, false);
	}
}

static void test_sizes(void **state)
{
	struct cli_format human = { .units = 'h' }, sectors = { .units = 's' }, gib = { .units = 'g' };
	struct json_object *obj = parse("{\"a\":1610612736,\"b\":0,\"c\":\"big\",\"d\":-1,\"e\":513}");
	char buf[64];

	assert_string_equal(cli_size(&human, 1610612736, buf, sizeof(buf)), "1.50 GiB");
	assert_string_equal(cli_size(&human, 0, buf, sizeof(buf)), "0");
	assert_string_equal(cli_size(&human, 512, buf, sizeof(buf)), "512 B");
	assert_string_equal(cli_size(&human, UINT64_C(20) << 30, buf, sizeof(buf)), "20 GiB");
	assert_string_equal(cli_size(&gib, UINT64_C(1) << 40, buf, sizeof(buf)), "1024 GiB");
	assert_string_equal(cli_size(&sectors, 1610612736, buf, sizeof(buf)), "3145728s");
	assert_string_equal(cli_size_at(&human, obj, "a", buf, sizeof(buf)), "1.50 GiB");
	assert_string_equal(cli_size_at(&human, obj, "b", buf, sizeof(buf)), "0");
	/* not a size in bytes: shown as missing, not as a wrong number */
	assert_string_equal(cli_size_at(&human, obj, "c", buf, sizeof(buf)), "-");
	assert_string_equal(cli_size_at(&human, obj, "d", buf, sizeof(buf)), "-");
	assert_string_equal(cli_size_at(&human, obj, "nope", buf, sizeof(buf)), "-");
	/* a part sector is marked, never rounded away */
	assert_string_equal(cli_size_at(&sectors, obj, "e", buf, sizeof(buf)), "1s+");
	json_object_put(obj);
}

static void test_vg(void **state)
{
	assert_renders("NAME               PVS  LVS     SIZE     FREE\n"
		       "vg_raid              3    2  300 GiB  100 GiB\n"
		       "vg_bulk (partial)    2    0    4 TiB        0\n",
		       "vg", "list", "{}",
		       "{\"vgs\":[{\"name\":\"vg_raid\",\"pv_count\":3,\"lv_count\":2,\"size_bytes\":322122547200,"
		       "\"free_bytes\":107374182400},{\"name\":\"vg_bulk\",\"partial\":true,\"pvs\":[{},{}],\"lvs\":[],"
		       "\"size_bytes\":4398046511104,\"free_bytes\":0}]}",
		       'h', false);
	assert_renders("No VGs. Create one with: vgtool vg create VG PV...\n", "vg", "list", "{}", "{\"vgs\":[]}", 'h',
		       false);
	assert_renders("VG vg_raid\n"
		       "  size:          300 GiB\n"
		       "  free:          100 GiB\n"
		       "  extent size:   4 MiB\n"
		       "  PVs:           1\n"
		       "  LVs:           1\n"
		       "  seqno:         7\n"
		       "  id:            abc\n"
		       "  tags:          vm, prod\n"
		       "\n"
		       "PV        VG          SIZE  EXTENTS   USED  MIRROR\n"
		       "/dev/md0  vg_raid  300 GiB    76799  51200  md0\n"
		       "\n"
		       "NAME      VG         SIZE  PATH\n"
		       "lv_files  vg_raid  50 GiB  /dev/vg_raid/lv_files\n",
		       "vg", "show", "{\"name\":\"vg_raid\"}",
		       "{\"vg\":{\"name\":\"vg_raid\",\"id\":\"abc\",\"seqno\":7,\"extent_size_bytes\":4194304,"
		       "\"size_bytes\":322122547200,\"free_bytes\":107374182400,\"pv_count\":1,\"lv_count\":1,"
		       "\"partial\":false,\"tags\":[\"vm\",\"prod\"],\"pvs\":[{\"device\":\"/dev/md0\",\"id\":\"p\","
		       "\"vg\":\"vg_raid\",\"size_bytes\":322122547200,\"pe_start_bytes\":1048576,\"pe_count\":76799,"
		       "\"pe_used\":51200,\"mirror\":\"md0\"}],\"lvs\":[" LV_FILES "]}}",
		       'h', false);
	/* move-pv and split answer with two VGs: a VG table */
	assert_renders("NAME     PVS  LVS     SIZE   FREE\n"
		       "vg_raid    2    1  200 GiB      0\n"
		       "vg_bulk    3    1    5 TiB  1 TiB\n",
		       "vg", "move-pv", "{}",
		       "{\"vgs\":[{\"name\":\"vg_raid\",\"pv_count\":2,\"lv_count\":1,\"size_bytes\":214748364800,"
		       "\"free_bytes\":0},{\"name\":\"vg_bulk\",\"pv_count\":3,\"lv_count\":1,\"size_bytes\":5497558138880,"
		       "\"free_bytes\":1099511627776}]}",
		       'h', false);
}

static void test_lv_show(void **state)
{
	assert_renders("LV vg_raid/lv_files\n"
		       "  path:          /dev/vg_raid/lv_files\n"
		       "  size:          50 GiB (12800 extents)\n"
		       "  active:        yes\n"
		       "  id:            Xa1\n"
		       "\n"
		       "START  EXTENTS  TYPE     ON\n"
		       "    0    12800  striped  /dev/md0 (md0) from extent 0\n",
		       "lv", "show", "{\"vg\":\"vg_raid\",\"name\":\"lv_files\"}", "{\"lv\":" LV_FILES "}", 'h', false);
}

static void test_mirror(void **state)
{
	static const char mirrors[] =
		"{\"mirrors\":[{\"name\":\"md0\",\"uuid\":\"u0\",\"size_bytes\":107374182400,\"state\":\"clean\","
		"\"events\":12,\"bitmap\":true,\"legs\":[{\"device\":\"/dev/sda5\",\"role\":0,\"state\":\"in_sync\","
		"\"events\":12},{\"device\":\"/dev/sdc5\",\"role\":1,\"state\":\"in_sync\",\"events\":12}]},"
		"{\"name\":\"md2\",\"uuid\":\"u2\",\"size_bytes\":536870912000,\"state\":\"degraded\",\"events\":99,"
		"\"bitmap\":false,\"legs\":[{\"device\":\"/dev/sda7\",\"role\":0,\"state\":\"in_sync\",\"events\":99},"
		"{\"device\":\"/dev/sdc7\",\"role\":1,\"state\":\"faulty\",\"events\":97}]}]}";

	assert_renders("NAME     SIZE  STATE     LEGS\n"
		       "md0   100 GiB  clean     /dev/sda5,/dev/sdc5\n"
		       "md2   500 GiB  degraded  /dev/sda7,/dev/sdc7(faulty)\n",
		       "mirror", "list", "{}", mirrors, 'h', false);
	assert_renders("No mirrors. Create one with: vgtool mirror create NAME LEG LEG...\n", "mirror", "list", "{}",
		       "{\"mirrors\":[]}", 'h', false);
	assert_renders("mirror md2\n"
		       "  size:          500 GiB\n"
		       "  state:         degraded\n"
		       "  events:        99\n"
		       "  bitmap:        no\n"
		       "  uuid:          u2\n"
		       "  (degraded: add a leg with vgtool mirror add-leg md2 DEVICE)\n"
		       "\n"
		       "LEG        ROLE  STATE    EVENTS\n"
		       "/dev/sda7  0     in_sync      99\n"
		       "/dev/sdc7  1     faulty       97\n",
		       "mirror", "show", "{\"name\":\"md2\"}",
		       "{\"mirror\":{\"name\":\"md2\",\"uuid\":\"u2\",\"size_bytes\":536870912000,\"state\":\"degraded\","
		       "\"events\":99,\"bitmap\":false,\"legs\":[{\"device\":\"/dev/sda7\",\"role\":0,\"state\":\"in_sync\","
		       "\"events\":99},{\"device\":\"/dev/sdc7\",\"role\":1,\"state\":\"faulty\",\"events\":97}]}}",
		       'h', false);
	assert_renders("mirror md2 dissolved; plain devices now:\n"
		       "  /dev/sda7\n"
		       "  /dev/sdc7\n"
		       "Add them to a VG with: vgtool vg extend VG /dev/sda7 /dev/sdc7\n",
		       "mirror", "dissolve", "{\"name\":\"md2\"}", "{\"devices\":[\"/dev/sda7\",\"/dev/sdc7\"]}", 'h', false);
}

static void test_disk_pv(void **state)
{
	assert_renders("PATH            SIZE  CLASS       DETAIL\n"
		       "/dev/sda5    100 GiB  md_leg      partition, mirror md0\n"
		       "/dev/sdb    1.81 TiB  pv          disk, VG vg_bulk\n"
		       "/dev/sdd    1.81 TiB  filesystem  disk, ext4\n"
		       "/dev/sde    1.81 TiB  in_use      disk, mounted on /srv\n"
		       "/tmp/x.img         0  free        -\n",
		       "disk", "list", "{}",
		       "{\"disks\":[{\"path\":\"/dev/sda5\",\"size_bytes\":107374182400,\"kind\":\"partition\","
		       "\"class\":\"md_leg\",\"mirror\":\"md0\"},{\"path\":\"/dev/sdb\",\"size_bytes\":2000398934016,"
		       "\"kind\":\"disk\",\"class\":\"pv\",\"vg\":\"vg_bulk\"},{\"path\":\"/dev/sdd\",\"size_bytes\":2000398934016,"
		       "\"kind\":\"disk\",\"class\":\"filesystem\",\"fs_type\":\"ext4\"},{\"path\":\"/dev/sde\","
		       "\"size_bytes\":2000398934016,\"kind\":\"disk\",\"class\":\"in_use\",\"reason\":\"mounted on /srv\"},"
		       "{\"path\":\"/tmp/x.img\",\"size_bytes\":0,\"class\":\"free\"}]}",
		       'h', false);
	assert_renders("PV        VG   SIZE  EXTENTS  USED  MIRROR\n"
		       "/dev/sdb  -   2 TiB   524287     0  -\n",
		       "pv", "create", "{}",
		       "{\"pv\":{\"device\":\"/dev/sdb\",\"id\":\"x\",\"size_bytes\":2199023255552,\"pe_start_bytes\":1048576,"
		       "\"pe_count\":524287,\"pe_used\":0}}",
		       'h', false);
}

static void test_empty_and_dry_run(void **state)
{
	assert_renders("VG vg_old removed.\n", "vg", "remove", "{\"name\":\"vg_old\"}", "{}", 'h', false);
	assert_renders("LV vg_raid/vm1-disk0 removed.\n", "lv", "remove", "{\"vg\":\"vg_raid\",\"name\":\"vm1-disk0\"}",
		       "{}", 'h', false);
	assert_renders("PV /dev/sdb removed.\n", "pv", "remove", "{\"device\":\"/dev/sdb\"}", "{}", 'h', false);
	assert_renders("mirror md0 removed.\n", "mirror", "remove", "{\"name\":\"md0\"}", "{}", 'h', false);
	assert_renders("Dry run: VG vg_old would be removed; nothing was written.\n", "vg", "remove",
		       "{\"name\":\"vg_old\",\"dry_run\":true}", "{}", 'h', true);
	assert_renders("Dry run: nothing was written. vgtoold would do this:\n"
		       "\n"
		       "Plan:\n"
		       "  1. allocate 5 extents on md0\n"
		       "  2. write metadata seqno 8\n"
		       "\n"
		       "NAME  VG    SIZE  PATH\n"
		       "b     a   20 MiB  /dev/a/b\n"
		       "\n"
		       "(dry run: run it again without --dry-run to do it)\n",
		       "lv", "create", "{\"vg\":\"a\",\"name\":\"b\",\"size\":\"20M\",\"dry_run\":true}",
		       "{\"plan\":[\"allocate 5 extents on md0\",{\"description\":\"write metadata seqno 8\"}],"
		       "\"lv\":{\"vg\":\"a\",\"name\":\"b\",\"size_bytes\":20971520,\"path\":\"/dev/a/b\"}}",
		       'h', true);
}

/* vgtoold's dry runs: a sentence of a plan and the devices a commit would write. */
static void test_dry_run_plan_text(void **state)
{
	assert_renders("Dry run: nothing was written. vgtoold would do this:\n"
		       "\n"
		       "NAME  VG        SIZE  PATH\n"
		       "x     vg_bulk  8 MiB  /dev/vg_bulk/x\n"
		       "\n"
		       "Plan: commit the VG\n"
		       "Would write: /img/d1.img /img/d2.img\n"
		       "\n"
		       "(dry run: run it again without --dry-run to do it)\n",
		       "lv", "create", "{\"vg\":\"vg_bulk\",\"name\":\"x\",\"size\":\"8M\",\"dry_run\":true}",
		       "{\"lv\":{\"vg\":\"vg_bulk\",\"name\":\"x\",\"size_bytes\":8388608,\"path\":\"/dev/vg_bulk/x\"},"
		       "\"dry_run\":true,\"would_write\":{\"dry_run\":true,\"plan\":\"commit the VG\","
		       "\"would_write\":[\"/img/d1.img\",\"/img/d2.img\"]}}",
		       'h', true);
	assert_renders("Dry run: nothing was written. vgtoold would do this:\n"
		       "\n"
		       "Plan: extend the VG\n"
		       "Would write: /img/d1.img\n"
		       "Unchanged: no\n"
		       "\n"
		       "(dry run: run it again without --dry-run to do it)\n",
		       "vg", "extend", "{\"name\":\"vg_bulk\",\"pvs\":[\"/img/d1.img\"],\"dry_run\":true}",
		       "{\"dry_run\":true,\"plan\":\"extend the VG\",\"would_write\":[\"/img/d1.img\"],\"unchanged\":false}",
		       'h', true);
}

static void test_jobs_metadata_host(void **state)
{
	assert_renders("ID  KIND    TARGET  STATE    PROGRESS  STARTED\n"
		       " 3  resync  md0     running       45%  2023-11-14 22:13:20 UTC\n"
		       "12  scrub   -       done         100%  2023-11-14 22:13:25 UTC\n",
		       "job", "list", "{}",
		       "{\"jobs\":[{\"id\":3,\"kind\":\"resync\",\"target\":\"md0\",\"state\":\"running\",\"progress\":0.456,\"started\":1700000000},"
		       "{\"id\":12,\"kind\":\"scrub\",\"state\":\"done\",\"progress\":1,\"started\":1700000005,\"finished\":1700000100}]}",
		       'h', false);
	assert_renders("job 4\n"
		       "  kind:          resync\n"
		       "  target:        md5\n"
		       "  state:         failed\n"
		       "  progress:      10%\n"
		       "  started:       2023-11-14T22:13:20Z\n"
		       "  error:         write error on /dev/sdd5\n",
		       "job", "show", "{\"id\":4}",
		       "{\"job\":{\"id\":4,\"kind\":\"resync\",\"target\":\"md5\",\"state\":\"failed\",\"progress\":0.1,"
		       "\"started\":\"2023-11-14T22:13:20Z\",\"error\":{\"message\":\"write error on /dev/sdd5\"}}}",
		       'h', false);
	assert_renders("SEQNO  TIME                     SIZE   FILE  DESCRIPTION\n"
		       "41     2023-11-14 22:13:20 UTC  2 KiB  /a/b  -\n"
		       "42     -                        -      -     lv create\n",
		       "metadata", "history", "{\"vg\":\"vg_raid\"}",
		       "{\"versions\":[{\"seqno\":41,\"time\":1700000000,\"size_bytes\":2048,\"file\":\"/a/b\"},"
		       "{\"seqno\":42,\"description\":\"lv create\"}]}",
		       'h', false);
	assert_renders("VG vg_raid: backup written to /var/lib/vgtool/backup/vg_raid\n", "metadata", "backup",
		       "{\"vg\":\"vg_raid\"}", "{\"path\":\"/var/lib/vgtool/backup/vg_raid\"}", 'h', false);
	assert_renders("vgtoold\n"
		       "  version:       0.1.0\n"
		       "  activation:    none\n"
		       "  state dir:     /var/lib/vgtool\n"
		       "  devices:       4\n"
		       "  mirrors:       2\n",
		       "host", "status", "{}",
		       "{\"version\":\"0.1.0\",\"activation\":\"none\",\"state_dir\":\"/var/lib/vgtool\",\"devices\":4,"
		       "\"mirrors\":[{},{}]}",
		       'h', false);
}

static char *error_text(const char *error)
{
	struct json_object *e = parse(error);
	struct strbuf sb;

	strbuf_init(&sb);
	cli_render_error(e, &sb);
	json_object_put(e);
	return strbuf_steal(&sb, NULL);
}

static void test_errors(void **state)
{
	char *t;

	t = error_text("{\"code\":-32001,\"message\":\"LV lv_files: 5120 extents needed, only 4000 free in the VG\","
		       "\"data\":{\"reason\":\"ENOSPC\",\"field\":\"size\"}}");
	assert_string_equal(t, "vgtool: LV lv_files: 5120 extents needed, only 4000 free in the VG (parameter size)\n");
	free(t);
	t = error_text("{\"code\":-32001,\"message\":\"VG vg_raid exists\",\"data\":{\"reason\":\"EEXIST\"}}");
	assert_string_equal(t, "vgtool: VG vg_raid exists\n");
	free(t);
	t = error_text("{\"code\":-32003,\"message\":\"write failed\",\"data\":{\"reason\":\"EIO\",\"device\":\"/dev/sdb\"}}");
	assert_string_equal(t, "vgtool: write failed (device /dev/sdb)\n");
	free(t);
	t = error_text("{\"code\":-32002,\"message\":\"permission denied\"}");
	assert_non_null(strstr(t, "vgtool: permission denied\nvgtool: run it as root, or as a member of the group"));
	free(t);
	t = error_text("{\"code\":-32601,\"message\":\"unknown method\"}");
	assert_non_null(strstr(t, "is it older than vgtool?"));
	free(t);
	t = error_text("{\"code\":-32001}");
	assert_string_equal(t, "vgtool: vgtoold refused the request (error -32001)\n");
	free(t);
}

static char *progress(const char *job, bool tty, unsigned width)
{
	struct json_object *j = parse(job);
	struct strbuf sb;

	strbuf_init(&sb);
	cli_render_progress(j, tty, width, &sb);
	json_object_put(j);
	return strbuf_steal(&sb, NULL);
}

static void test_progress(void **state)
{
	char *t;

	t = progress("{\"id\":3,\"kind\":\"resync\",\"state\":\"running\",\"progress\":0.456}", false, 80);
	assert_string_equal(t, "job 3: 45%\n");
	free(t);
	/* 40 columns: "job 3 resync " (13) + "[" 19 "]" + "  45%": one column spare, so no terminal wraps */
	t = progress("{\"id\":3,\"kind\":\"resync\",\"state\":\"running\",\"progress\":0.456}", true, 40);
	assert_string_equal(t, "\rjob 3 resync [########           ]  45%");
	assert_int_equal(strlen(t) - 1, 39);
	free(t);
	t = progress("{\"id\":3,\"kind\":\"resync\",\"progress\":1}", true, 200);
	assert_non_null(strstr(t, "[##################################################] 100%"));
	free(t);
	/* out of range or missing progress is clamped, never printed as garbage */
	t = progress("{\"id\":7,\"progress\":1.5}", false, 80);
	assert_string_equal(t, "job 7: 100%\n");
	free(t);
	t = progress("{\"id\":7,\"progress\":-0.2}", false, 80);
	assert_string_equal(t, "job 7: 0%\n");
	free(t);
	t = progress("{\"id\":7}", false, 80);
	assert_string_equal(t, "job 7: 0%\n");
	free(t);
}

static void test_job_running(void **state)
{
	static const struct {
		const char *job;
		bool running;
	} cases[] = {
		{ "{\"state\":\"running\"}", true },   { "{\"state\":\"queued\"}", true },
		{ "{\"state\":\"done\"}", false },     { "{\"state\":\"failed\"}", false },
		{ "{\"state\":\"cancelled\"}", false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct json_object *j = parse(cases[i].job);

		assert_int_equal(cli_job_running(j), cases[i].running);
		json_object_put(j);
	}
}

static void test_events(void **state)
{
	struct json_object *e = parse("{\"seq\":17,\"time\":1700000000,\"type\":\"leg_failed\",\"mirror\":\"md0\","
				      "\"device\":\"/dev/sd c\",\"degraded\":true,\"events\":99,\"extra\":{\"a\":1}}");
	struct strbuf sb;

	strbuf_init(&sb);
	cli_render_event(e, &sb);
	assert_string_equal(sb.data, "17 2023-11-14 22:13:20 UTC leg_failed mirror=md0 device=\"/dev/sd c\" "
				     "degraded=yes events=99 extra={\"a\":1}\n");
	strbuf_done(&sb);
	json_object_put(e);
}

static void test_json(void **state)
{
	struct json_object *r = parse("{\"lvs\":[{\"name\":\"lv_files\",\"path\":\"/dev/vg_raid/lv_files\"}]}");
	struct strbuf sb;

	strbuf_init(&sb);
	cli_render_json(r, &sb);
	/* the layout the bash completion reads names from: two spaces a level, '/' not escaped */
	assert_string_equal(sb.data, "{\n"
				     "  \"lvs\": [\n"
				     "    {\n"
				     "      \"name\": \"lv_files\",\n"
				     "      \"path\": \"/dev/vg_raid/lv_files\"\n"
				     "    }\n"
				     "  ]\n"
				     "}\n");
	strbuf_done(&sb);
	json_object_put(r);
}

static void test_table(void **state)
{
	static const char *const headers[] = { "NAME", "SIZE", "NOTE" };
	_cleanup_(table_freep) struct table *t = table_new(headers, ARRAY_SIZE(headers));
	struct strbuf sb;

	assert_non_null(t);
	table_align_right(t, 1);
	table_cell(t, "caf\xc3\xa9"); /* 4 characters, 5 bytes */
	table_cell(t, "1 GiB");
	table_cell(t, "");
	table_cell(t, "bad\nname\t");
	table_cellf(t, "%d MiB", 512);
	table_cell(t, NULL);
	assert_int_equal(table_rows(t), 2);
	strbuf_init(&sb);
	assert_int_equal(table_render(t, &sb), 0);
	/* columns line up by characters; control characters cannot break a row; no trailing blanks */
	assert_string_equal(sb.data, "NAME          SIZE  NOTE\n"
				     "caf\xc3\xa9         1 GiB\n"
				     "bad?name?  512 MiB  -\n");
	strbuf_done(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lv_list),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_vg),
		cmocka_unit_test(test_lv_show),
		cmocka_unit_test(test_mirror),
		cmocka_unit_test(test_disk_pv),
		cmocka_unit_test(test_empty_and_dry_run),
		cmocka_unit_test(test_dry_run_plan_text),
		cmocka_unit_test(test_jobs_metadata_host),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_progress),
		cmocka_unit_test(test_job_running),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
