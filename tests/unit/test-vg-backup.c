/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Text backups of VG metadata (lvm/vg-backup.c) in a temporary state
 * directory: the backup file holds exactly the backup-form rendering and
 * parses back to the same VG; it is replaced by a rename (the old file, the
 * same inode, moves to the archive as <vg>_<seqno>-<nonce>.vg, so a reader
 * holding it open sees it whole); the archive is pruned by count and age
 * (mtimes set back with utimensat); backups follow a VG rename and retire
 * to the archive when the VG is removed; VG names that share a prefix do
 * not mix; a state directory that cannot be created is an error naming it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <dirent.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <cmocka.h>

#include "vg-backup.h"
#include "vg-ops.h"
#include "vg-text.h"

#define DAY (24 * 3600)

static const struct vg_text_header header = {
	.generator = "vgtool test",
	.description = "Created *after* executing 'test-vg-backup'",
	.creation_host = "testhost",
	.uname_line = "Linux testhost",
	.creation_time = 1795628460,
};

struct fixture {
	char dir[64];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test-vg-backup.XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];
	int r;

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	r = system(cmd);
	free(f);
	return r == 0 ? 0 : -1;
}

static void assert_contains(const char *message, const char *fragment)
{
	if (!strstr(message, fragment))
		fail_msg("message \"%s\" lacks \"%s\"", message, fragment);
}

/* A VG called @name on two PVs with two LVs, at @seqno. */
static struct vg *make_vg(const char *name, uint64_t seqno)
{
	static const char *ids[] = { "pv0000pv0000pv0000pv0000pv0000p0", "pv1111pv1111pv1111pv1111pv1111p1" };
	struct pv_join joins[2];
	struct vg *vg = NULL, *next = NULL;
	struct vg_error err = { 0 };
	struct lv_create_request a = {
		.name = "files", .size = { .extents = 10 }, .creation_host = "h", .creation_time = 1
	};
	struct lv_create_request b = { .name = "wide", .size = { .extents = 8 }, .stripes = 2, .creation_host = "h" };

	for (int i = 0; i < 2; i++)
		joins[i] = (struct pv_join){ .id = ids[i],
					     .device_hint = "/dev/test",
					     .dev_size_sectors = 2048 + 25 * 8192,
					     .pe_start_sectors = 2048,
					     .data_end_sectors = 2048 + 25 * 8192 };
	assert_int_equal(vg_op_create(name, 0, joins, 2, "vgidvgidvgidvgidvgidvgidvgidvgid", &vg, &err), 0);
	assert_int_equal(lv_op_create(vg, &a, &next, &err), 0);
	vg_free(vg);
	assert_int_equal(lv_op_create(next, &b, &vg, &err), 0);
	vg_free(next);
	vg->seqno = seqno;
	return vg;
}

static char *read_file(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	char *data;
	long len;

	if (!f)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	rewind(f);
	data = malloc((size_t)len + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)len, f), (size_t)len);
	data[len] = '\0';
	fclose(f);
	if (ret_len)
		*ret_len = (size_t)len;
	return data;
}

static char *render_backup(const struct vg *vg)
{
	struct strbuf sb;

	strbuf_init(&sb);
	assert_int_equal(vg_text_render_backup(vg, &header, &sb), 0);
	return strbuf_steal(&sb, NULL);
}

static char *render_raw(const struct vg *vg)
{
	struct strbuf sb;

	strbuf_init(&sb);
	assert_int_equal(vg_text_render_raw(vg, &header, &sb), 0);
	return strbuf_steal(&sb, NULL);
}

static void write_backup(const char *dir, const char *name, uint64_t seqno, const struct vg_backup_policy *policy)
{
	_cleanup_(vg_freep) struct vg *vg = make_vg(name, seqno);
	struct vg_error err = { 0 };

	if (vg_backup_write(dir, vg, &header, policy, &err) < 0)
		fail_msg("backup of %s seqno %" PRIu64 ": %s", name, seqno, err.message);
}

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static int cmp_u64_desc(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/* The seqnos of @name's archive, highest first, as "8 7 6" (whatever order the listing has). */
static void archive_seqnos(const char *dir, const char *name, char *out, size_t len)
{
	struct vg_archive_entry *entries = NULL;
	struct vg_error err = { 0 };
	uint64_t seqnos[256];
	size_t n = 0, used = 0;

	assert_int_equal(vg_archive_list(dir, name, &entries, &n, &err), 0);
	assert_true(n <= ARRAY_SIZE(seqnos));
	for (size_t i = 0; i < n; i++)
		seqnos[i] = entries[i].seqno;
	vg_archive_list_free(entries, n);
	qsort(seqnos, n, sizeof(seqnos[0]), cmp_u64_desc);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(out + used, len - used, "%s%" PRIu64, i ? " " : "", seqnos[i]);
}

/* The archived file of @name with @seqno (there must be exactly one); the caller frees it. */
static char *archive_path(const char *dir, const char *name, uint64_t seqno)
{
	struct vg_archive_entry *entries = NULL;
	struct vg_error err = { 0 };
	char *path = NULL;
	size_t n = 0;

	assert_int_equal(vg_archive_list(dir, name, &entries, &n, &err), 0);
	for (size_t i = 0; i < n; i++)
		if (entries[i].seqno == seqno) {
			assert_null(path);
			path = strdup(entries[i].path);
		}
	vg_archive_list_free(entries, n);
	if (!path)
		fail_msg("no archive of %s at seqno %" PRIu64, name, seqno);
	return path;
}

/*
 * Make the archived files of @name with a seqno in [@min_seqno, @max_seqno]
 * about @age_seconds old, a lower seqno a little older, as they would be
 * had they been written one after the other.
 */
static void age_archive(const char *dir, const char *name, int64_t age_seconds, uint64_t min_seqno,
			uint64_t max_seqno)
{
	struct vg_archive_entry *entries = NULL;
	struct vg_error err = { 0 };
	size_t n = 0;

	assert_int_equal(vg_archive_list(dir, name, &entries, &n, &err), 0);
	for (size_t i = 0; i < n; i++) {
		time_t when = time(NULL) - age_seconds - (time_t)(1000 - MIN(entries[i].seqno, 1000));
		struct timespec times[2] = { { .tv_sec = when }, { .tv_sec = when } };

		if (entries[i].seqno < min_seqno || entries[i].seqno > max_seqno)
			continue;
		assert_int_equal(utimensat(AT_FDCWD, entries[i].path, times, 0), 0);
	}
	vg_archive_list_free(entries, n);
}

/* ---- tests ---- */

static void test_backup_holds_backup_form(void **state)
{
	struct fixture *f = *state;
	_cleanup_(vg_freep) struct vg *vg = make_vg("vg_raid", 3);
	_cleanup_(vg_freep) struct vg *parsed = NULL;
	_cleanup_free_ char *expected = NULL, *data = NULL, *raw_original = NULL, *raw_parsed = NULL;
	struct vg_error err = { 0 };
	char path[256];
	struct stat st;
	size_t len;

	assert_int_equal(vg_backup_write(f->dir, vg, &header, NULL, &err), 0);
	snprintf(path, sizeof(path), "%s/backup/vg_raid", f->dir);
	data = read_file(path, &len);
	expected = render_backup(vg);
	assert_string_equal(data, expected);
	assert_int_equal(len, strlen(expected)); /* no NUL, unlike the on-disk copies */
	/* the backup form: header first, tab-indented */
	assert_true(strncmp(data, "# Generated by vgtool test", 26) == 0);
	assert_non_null(strstr(data, "\n\tid = \"vgidvg-idvg-idvg-idvg-idvg-idvg-idvgid\""));
	assert_non_null(strstr(data, "description = \"Created *after* executing 'test-vg-backup'\""));

	/* it parses back to the same VG */
	assert_int_equal(vg_text_parse(data, len, &parsed, &err), 0);
	raw_original = render_raw(vg);
	raw_parsed = render_raw(parsed);
	assert_string_equal(raw_parsed, raw_original);
	assert_int_equal(parsed->seqno, 3);

	/* nothing else lies around: no temporary file, no archive yet */
	snprintf(path, sizeof(path), "%s/backup", f->dir);
	assert_int_equal(count_entries(path), 1);
	snprintf(path, sizeof(path), "%s/backup/vg_raid", f->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 077, 0);
	snprintf(path, sizeof(path), "%s/archive", f->dir);
	assert_int_equal(count_entries(path), 0);
}

static void test_previous_backup_archived(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *first = NULL, *second = NULL, *archived = NULL, *seen_through_fd = NULL;
	struct vg_archive_entry *entries = NULL;
	struct vg_error err = { 0 };
	char path[256], seqnos[256];
	struct stat st_first, st_archived, st_second;
	regex_t re;
	size_t n = 0, len;
	int fd;

	write_backup(f->dir, "vg_raid", 1, NULL);
	snprintf(path, sizeof(path), "%s/backup/vg_raid", f->dir);
	first = read_file(path, &len);
	assert_int_equal(stat(path, &st_first), 0);
	/* a reader that has the backup open while it is replaced */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);

	write_backup(f->dir, "vg_raid", 2, NULL);
	second = read_file(path, NULL);
	assert_string_not_equal(first, second);
	assert_non_null(strstr(second, "seqno = 2"));
	assert_int_equal(stat(path, &st_second), 0);
	assert_true(st_second.st_ino != st_first.st_ino); /* replaced by a rename, not rewritten in place */

	seen_through_fd = calloc(1, len + 1);
	assert_non_null(seen_through_fd);
	assert_int_equal(pread(fd, seen_through_fd, len + 1, 0), (ssize_t)len);
	assert_string_equal(seen_through_fd, first);
	close(fd);

	/* the first one is in the archive under <vg>_<seqno>-<nonce>.vg, the same file */
	assert_int_equal(vg_archive_list(f->dir, "vg_raid", &entries, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(entries[0].seqno, 1);
	assert_int_equal(regcomp(&re, "/archive/vg_raid_00001-[0-9]{9}\\.vg$", REG_EXTENDED | REG_NOSUB), 0);
	if (regexec(&re, entries[0].path, 0, NULL, 0) != 0)
		fail_msg("archive name %s is not <vg>_<seqno>-<nonce>.vg", entries[0].path);
	regfree(&re);
	archived = read_file(entries[0].path, NULL);
	assert_string_equal(archived, first);
	assert_int_equal(stat(entries[0].path, &st_archived), 0);
	assert_int_equal(st_archived.st_ino, st_first.st_ino);
	assert_int_equal(entries[0].mtime, st_first.st_mtime);
	vg_archive_list_free(entries, n);

	write_backup(f->dir, "vg_raid", 3, NULL);
	archive_seqnos(f->dir, "vg_raid", seqnos, sizeof(seqnos));
	assert_string_equal(seqnos, "2 1");
	snprintf(path, sizeof(path), "%s/backup", f->dir);
	assert_int_equal(count_entries(path), 1);
}

static void test_retention_by_count_and_age(void **state)
{
	struct fixture *f = *state;
	const struct vg_backup_policy policy = { .keep_count = 3, .keep_seconds = 3600 };
	char seqnos[256];

	for (uint64_t s = 1; s <= 8; s++)
		write_backup(f->dir, "vg_bulk", s, &policy);
	/* all young: more than keep_count stay */
	archive_seqnos(f->dir, "vg_bulk", seqnos, sizeof(seqnos));
	assert_string_equal(seqnos, "7 6 5 4 3 2 1");

	/* all two hours old: only the newest keep_count survive the next write */
	age_archive(f->dir, "vg_bulk", 7200, 0, UINT64_MAX);
	write_backup(f->dir, "vg_bulk", 9, &policy);
	archive_seqnos(f->dir, "vg_bulk", seqnos, sizeof(seqnos));
	assert_string_equal(seqnos, "8 7 6");

	/* half an hour old: kept, although beyond the count */
	age_archive(f->dir, "vg_bulk", 1800, 0, UINT64_MAX);
	write_backup(f->dir, "vg_bulk", 10, &policy);
	write_backup(f->dir, "vg_bulk", 11, &policy);
	archive_seqnos(f->dir, "vg_bulk", seqnos, sizeof(seqnos));
	assert_string_equal(seqnos, "10 9 8 7 6");
}

/* However young, the archive never holds more than max_count versions. */
static void test_retention_caps_the_count(void **state)
{
	struct fixture *f = *state;
	const struct vg_backup_policy policy = { .keep_count = 2, .keep_seconds = 3600, .max_count = 4 };
	char seqnos[256];

	for (uint64_t s = 1; s <= 9; s++)
		write_backup(f->dir, "vg_busy", s, &policy);
	archive_seqnos(f->dir, "vg_busy", seqnos, sizeof(seqnos));
	assert_string_equal(seqnos, "8 7 6 5");
}

static void test_retention_defaults(void **state)
{
	struct fixture *f = *state;
	char seqnos[256];

	/* 0/NULL: at least 10 files, others dropped after 30 days */
	for (uint64_t s = 1; s <= 14; s++)
		write_backup(f->dir, "vg0", s, NULL);
	age_archive(f->dir, "vg0", 29 * DAY, 0, UINT64_MAX);
	write_backup(f->dir, "vg0", 15, NULL);
	archive_seqnos(f->dir, "vg0", seqnos, sizeof(seqnos));
	assert_string_equal(seqnos, "14 13 12 11 10 9 8 7 6 5 4 3 2 1");

	age_archive(f->dir, "vg0", 31 * DAY, 0, UINT64_MAX);
	write_backup(f->dir, "vg0", 16, &(struct vg_backup_policy){ 0 });
	archive_seqnos(f->dir, "vg0", seqnos, sizeof(seqnos));
	assert_string_equal(seqnos, "15 14 13 12 11 10 9 8 7 6");
}

/*
 * A VG removed and created again under the same name starts again at seqno
 * 1. Retention must keep the newest history (the live VG's), as lvm2's
 * retain_min keeps the newest archives, not the dead VG's higher seqnos.
 */
static void test_retention_keeps_newest_after_name_reuse(void **state)
{
	struct fixture *f = *state;
	const struct vg_backup_policy policy = { .keep_count = 3, .keep_seconds = 30 * DAY };
	struct vg_archive_entry *entries = NULL;
	struct vg_error err = { 0 };
	char seqnos[256];
	size_t n = 0;

	/* the first VG: seqnos 1..20, then removed (its backup retired), two months ago */
	for (uint64_t s = 1; s <= 20; s++)
		write_backup(f->dir, "vg_bulk", s, &policy);
	assert_int_equal(vg_backup_retire(f->dir, "vg_bulk", &err), 0);
	age_archive(f->dir, "vg_bulk", 60 * DAY, 0, UINT64_MAX);

	/* a new VG of that name: seqnos 1..5, written forty days ago */
	for (uint64_t s = 1; s <= 5; s++)
		write_backup(f->dir, "vg_bulk", s, &policy);
	age_archive(f->dir, "vg_bulk", 40 * DAY, 1, 4);

	/* today's write prunes: the live VG's newest archives must be among the kept ones */
	write_backup(f->dir, "vg_bulk", 6, &policy);
	assert_int_equal(vg_archive_list(f->dir, "vg_bulk", &entries, &n, &err), 0);
	archive_seqnos(f->dir, "vg_bulk", seqnos, sizeof(seqnos));
	for (size_t i = 0; i < n; i++)
		if (entries[i].mtime < time(NULL) - 50 * DAY) {
			vg_archive_list_free(entries, n);
			fail_msg("retention kept an archive of the removed VG (two months old) and dropped "
				 "newer ones of the live VG: archive seqnos now \"%s\", expected the live "
				 "VG's 5 4 3",
				 seqnos);
		}
	vg_archive_list_free(entries, n);
	assert_string_equal(seqnos, "5 4 3");
}

static void test_rename_and_retire(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *before = NULL, *after = NULL, *retired = NULL, *retired_path = NULL;
	struct vg_error err = { 0 };
	char old_path[256], new_path[256], seqnos[256];
	struct stat st;

	write_backup(f->dir, "old", 1, NULL);
	write_backup(f->dir, "old", 2, NULL);
	snprintf(old_path, sizeof(old_path), "%s/backup/old", f->dir);
	snprintf(new_path, sizeof(new_path), "%s/backup/new", f->dir);
	before = read_file(old_path, NULL);

	assert_int_equal(vg_backup_rename(f->dir, "old", "new", &err), 0);
	assert_true(stat(old_path, &st) < 0 && errno == ENOENT);
	after = read_file(new_path, NULL);
	assert_string_equal(after, before);
	/* renaming what has no backup is fine */
	assert_int_equal(vg_backup_rename(f->dir, "nothing", "else", &err), 0);

	/* the next backup under the new name archives the renamed one */
	write_backup(f->dir, "new", 3, NULL);
	archive_seqnos(f->dir, "new", seqnos, sizeof(seqnos));
	assert_string_equal(seqnos, "2");
	archive_seqnos(f->dir, "old", seqnos, sizeof(seqnos));
	assert_string_equal(seqnos, "1");

	/* retire: the backup moves to the archive, whole */
	free(before);
	before = read_file(new_path, NULL);
	assert_int_equal(vg_backup_retire(f->dir, "new", &err), 0);
	assert_true(stat(new_path, &st) < 0 && errno == ENOENT);
	archive_seqnos(f->dir, "new", seqnos, sizeof(seqnos));
	assert_string_equal(seqnos, "3 2");
	retired_path = archive_path(f->dir, "new", 3);
	retired = read_file(retired_path, NULL);
	assert_string_equal(retired, before);
	/* retiring a VG without a backup is fine */
	assert_int_equal(vg_backup_retire(f->dir, "new", &err), 0);
}

/*
 * The order a VG rename happens in: vg_store_commit writes the renamed VG's
 * backup under the new name, then the caller moves the old name's backup
 * ("after a VG rename", says vg-backup.h). That must not put the older text,
 * with the old VG name in it, in place of the fresh backup.
 */
static void test_rename_after_commit_keeps_the_fresh_backup(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *fresh = NULL, *now = NULL;
	struct vg_error err = { 0 };
	char old_path[256], new_path[256], seqnos[256];
	struct stat st;
	int r;

	write_backup(f->dir, "vg_old", 1, NULL);
	/* the commit of the rename: seqno 2 under the new name */
	write_backup(f->dir, "vg_new", 2, NULL);
	snprintf(old_path, sizeof(old_path), "%s/backup/vg_old", f->dir);
	snprintf(new_path, sizeof(new_path), "%s/backup/vg_new", f->dir);
	fresh = read_file(new_path, NULL);

	/* keeping the fresh one, or refusing to replace it, are both fine */
	r = vg_backup_rename(f->dir, "vg_old", "vg_new", &err);
	assert_true(r == 0 || r == -EEXIST);
	now = read_file(new_path, NULL);
	if (!streq(now, fresh)) {
		const char *seqno = strstr(now, "seqno = ");
		fail_msg("vg_backup_rename replaced the fresh backup of vg_new (seqno 2) with the old one (%.*s, %s)",
			 seqno ? (int)strcspn(seqno, "\n") : 8, seqno ? seqno : "no seqno",
			 strstr(now, "vg_old {") ? "VG vg_old" : "?");
	}
	/* and the old text is not lost: still in place, or archived */
	archive_seqnos(f->dir, "vg_old", seqnos, sizeof(seqnos));
	assert_true(streq(seqnos, "1") || stat(old_path, &st) == 0);
}

static void test_names_sharing_a_prefix(void **state)
{
	struct fixture *f = *state;
	static const char *names[] = { "a", "a_b", "a-b", "a_1", "a_1-2", "ab" };
	char seqnos[256];

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		for (uint64_t s = 1; s <= 3; s++)
			write_backup(f->dir, names[i], 10 * (i + 1) + s, NULL);
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char expected[64];

		snprintf(expected, sizeof(expected), "%zu %zu", 10 * (i + 1) + 2, 10 * (i + 1) + 1);
		archive_seqnos(f->dir, names[i], seqnos, sizeof(seqnos));
		if (!streq(seqnos, expected))
			fail_msg("archive of VG %s: \"%s\", expected \"%s\"", names[i], seqnos, expected);
	}
}

static void test_unusable_state_dir(void **state)
{
	struct fixture *f = *state;
	_cleanup_(vg_freep) struct vg *vg = make_vg("vg0", 1);
	struct vg_error err = { 0 };
	char path[256];
	FILE *file;
	int r;

	/* the state directory is a regular file */
	snprintf(path, sizeof(path), "%s/not-a-dir", f->dir);
	file = fopen(path, "w");
	assert_non_null(file);
	fclose(file);
	r = vg_backup_write(path, vg, &header, NULL, &err);
	assert_true(r < 0);
	assert_int_equal(err.code, r);
	assert_contains(err.message, path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_backup_holds_backup_form, setup, teardown),
		cmocka_unit_test_setup_teardown(test_previous_backup_archived, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retention_by_count_and_age, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retention_caps_the_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retention_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retention_keeps_newest_after_name_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rename_and_retire, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rename_after_commit_keeps_the_fresh_backup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_names_sharing_a_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unusable_state_dir, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
