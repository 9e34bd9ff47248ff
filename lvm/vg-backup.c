/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* VG backup and archive files (see vg-backup.h). */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "uuid.h"
#include "vg-backup.h"

#define DEFAULT_KEEP_COUNT 10
#define DEFAULT_KEEP_SECONDS (30ull * 24 * 3600)
#define DEFAULT_MAX_COUNT 200

static int mkdir_p(const char *path, struct vg_error *err)
{
	char buf[4096];
	size_t len = strlen(path);
	struct stat st;

	/* the usual case, on every commit: it is there already */
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;

	if (len == 0 || len >= sizeof(buf))
		return vg_error_set(err, -EINVAL, "state directory \"%s\": bad path", path);
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) < 0 && errno != EEXIST)
			return vg_error_set(err, -errno, "cannot create %s: %m", buf);
		*p = '/';
	}
	if (mkdir(buf, 0700) < 0 && errno != EEXIST)
		return vg_error_set(err, -errno, "cannot create %s: %m", buf);
	return 0;
}

static int fsync_dir(const char *dir, struct vg_error *err)
{
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) < 0)
		return vg_error_set(err, -errno, "cannot sync directory %s: %m", dir);
	return 0;
}

/* Write @data to @path through a synced temporary file and a rename. */
static int write_file_atomic(const char *dir, const char *path, const char *data, size_t len,
			     struct vg_error *err)
{
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = -1;
	size_t done = 0;

	if (asprintf(&tmp, "%s.tmp", path) < 0)
		return vg_error_set(err, -ENOMEM, "out of memory");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return vg_error_set(err, -errno, "cannot create %s: %m", tmp);
	while (done < len) {
		ssize_t n = write(fd, data + done, len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int r = vg_error_set(err, -errno, "cannot write %s: %m", tmp);
			unlink(tmp);
			return r;
		}
		done += (size_t)n;
	}
	if (fsync(fd) < 0) {
		int r = vg_error_set(err, -errno, "cannot sync %s: %m", tmp);
		unlink(tmp);
		return r;
	}
	if (rename(tmp, path) < 0) {
		int r = vg_error_set(err, -errno, "cannot rename %s to %s: %m", tmp, path);
		unlink(tmp);
		return r;
	}
	return fsync_dir(dir, err);
}

/* The seqno in a backup file's VG section ("seqno = N"), 0 when not found. */
static uint64_t backup_seqno(const char *path)
{
	FILE *f = fopen(path, "re");
	char line[256];
	uint64_t seqno = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		const char *p = line;

		while (*p == '\t' || *p == ' ')
			p++;
		if (sscanf(p, "seqno = %" SCNu64, &seqno) == 1)
			break;
	}
	fclose(f);
	return seqno;
}

/*
 * Newest first by the time the file was archived, then by seqno: a VG name
 * reused after vgremove starts again at seqno 1, and its versions are still
 * the newest.
 */
static int cmp_entry_newest_first(const void *a, const void *b)
{
	const struct vg_archive_entry *x = a, *y = b;

	if (x->mtime_ns != y->mtime_ns)
		return x->mtime_ns > y->mtime_ns ? -1 : 1;
	if (x->seqno != y->seqno)
		return x->seqno > y->seqno ? -1 : 1;
	return 0;
}

int vg_archive_list(const char *state_dir, const char *vg_name, struct vg_archive_entry **ret_entries,
		    size_t *ret_n, struct vg_error *err)
{
	_cleanup_free_ char *dir_path = NULL;
	struct vg_archive_entry *entries = NULL;
	size_t n = 0, prefix_len = strlen(vg_name) + 1;
	struct dirent *de;
	DIR *dir;

	if (asprintf(&dir_path, "%s/archive", state_dir) < 0)
		return vg_error_set(err, -ENOMEM, "out of memory");
	dir = opendir(dir_path);
	if (!dir) {
		if (errno != ENOENT)
			return vg_error_set(err, -errno, "cannot read %s: %m", dir_path);
		*ret_entries = NULL;
		*ret_n = 0;
		return 0;
	}
	while ((de = readdir(dir))) {
		struct vg_archive_entry *grown;
		_cleanup_free_ char *path = NULL;
		struct stat st;
		size_t len = strlen(de->d_name);
		const char *rest;

		/* <vg>_<seqno>-<nonce>.vg, where <vg> itself may contain '_' */
		if (len <= prefix_len + 3 || strncmp(de->d_name, vg_name, prefix_len - 1) != 0 ||
		    de->d_name[prefix_len - 1] != '_' || strcmp(de->d_name + len - 3, ".vg") != 0)
			continue;
		rest = de->d_name + prefix_len;
		if (!strchr(rest, '-') || strchr(rest, '_'))
			continue;
		if (asprintf(&path, "%s/%s", dir_path, de->d_name) < 0)
			goto oom;
		if (stat(path, &st) < 0)
			continue;
		grown = realloc(entries, (n + 1) * sizeof(*grown));
		if (!grown)
			goto oom;
		entries = grown;
		entries[n].path = TAKE_PTR(path);
		entries[n].seqno = strtoull(rest, NULL, 10);
		entries[n].mtime = st.st_mtime;
		entries[n].mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
		n++;
	}
	closedir(dir);
	if (n)
		qsort(entries, n, sizeof(*entries), cmp_entry_newest_first);
	*ret_entries = entries;
	*ret_n = n;
	return 0;
oom:
	closedir(dir);
	vg_archive_list_free(entries, n);
	return vg_error_set(err, -ENOMEM, "out of memory");
}

void vg_archive_list_free(struct vg_archive_entry *entries, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(entries[i].path);
	free(entries);
}

void vg_backup_cache_done(struct vg_backup_cache *cache)
{
	vg_archive_list_free(cache->entries, cache->n_entries);
	free(cache->vg_name);
	vg_text_cache_free(cache->text);
	*cache = (struct vg_backup_cache){ 0 };
}

/*
 * Fill @cache for @vg_name from the state directory (@current: its backup
 * file), unless it describes that VG already.
 */
static int cache_load(const char *state_dir, const char *vg_name, const char *current,
		      struct vg_backup_cache *cache, struct vg_error *err)
{
	int r;

	if (cache->vg_name && streq(cache->vg_name, vg_name))
		return 0;
	vg_backup_cache_done(cache);
	cache->vg_name = strdup(vg_name);
	if (!cache->vg_name)
		return vg_error_set(err, -ENOMEM, "out of memory");
	r = vg_archive_list(state_dir, vg_name, &cache->entries, &cache->n_entries, err);
	if (r < 0) {
		vg_backup_cache_done(cache);
		return r;
	}
	cache->current_seqno = backup_seqno(current);
	return 0;
}

/* Add a file just archived to the list, in its place among the newest-first entries. */
static int cache_add(struct vg_backup_cache *cache, char **path, uint64_t seqno, const struct stat *st,
		     struct vg_error *err)
{
	struct vg_archive_entry entry = {
		.seqno = seqno,
		.mtime = st->st_mtime,
		.mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec,
	};
	struct vg_archive_entry *grown = reallocarray(cache->entries, cache->n_entries + 1, sizeof(*grown));
	size_t at = 0;

	if (!grown)
		return vg_error_set(err, -ENOMEM, "out of memory");
	cache->entries = grown;
	while (at < cache->n_entries && cmp_entry_newest_first(&cache->entries[at], &entry) <= 0)
		at++;
	memmove(&cache->entries[at + 1], &cache->entries[at], (cache->n_entries - at) * sizeof(entry));
	entry.path = TAKE_PTR(*path);
	cache->entries[at] = entry;
	cache->n_entries++;
	return 0;
}

static int archive_current(const char *state_dir, const char *vg_name, struct vg_backup_cache *cache,
			   struct vg_error *err)
{
	_cleanup_free_ char *current = NULL, *archived = NULL, *archive_dir = NULL;
	uint32_t nonce = 0;
	uint64_t seqno;
	struct stat st;
	int r;

	if (asprintf(&current, "%s/backup/%s", state_dir, vg_name) < 0 ||
	    asprintf(&archive_dir, "%s/archive", state_dir) < 0)
		return vg_error_set(err, -ENOMEM, "out of memory");
	if (stat(current, &st) < 0)
		return errno == ENOENT ? 0 : vg_error_set(err, -errno, "cannot read %s: %m", current);
	r = mkdir_p(archive_dir, err);
	if (r < 0)
		return r;
	r = random_bytes(&nonce, sizeof(nonce));
	if (r < 0)
		return vg_error_set(err, r, "no random bytes for an archive name");
	/* the seqno we wrote there, or what the file says when we did not */
	seqno = cache && cache->current_seqno ? cache->current_seqno : backup_seqno(current);
	if (asprintf(&archived, "%s/%s_%05" PRIu64 "-%09u.vg", archive_dir, vg_name, seqno,
		     nonce % 1000000000u) < 0)
		return vg_error_set(err, -ENOMEM, "out of memory");
	if (rename(current, archived) < 0)
		return vg_error_set(err, -errno, "cannot archive %s as %s: %m", current, archived);
	r = fsync_dir(archive_dir, err);
	if (r < 0 || !cache)
		return r;
	cache->current_seqno = 0;
	return cache_add(cache, &archived, seqno, &st, err);
}

/* Apply the retention policy to @cache's entries, newest first; the pruned ones leave the list. */
static int prune_archive(struct vg_backup_cache *cache, const struct vg_backup_policy *policy, struct vg_error *err)
{
	unsigned keep = policy && policy->keep_count ? policy->keep_count : DEFAULT_KEEP_COUNT;
	uint64_t max_age = policy && policy->keep_seconds ? policy->keep_seconds : DEFAULT_KEEP_SECONDS;
	unsigned max_count = policy && policy->max_count ? policy->max_count : DEFAULT_MAX_COUNT;
	int64_t now = (int64_t)time(NULL);
	size_t kept = MIN((size_t)keep, cache->n_entries);
	int r = 0;

	for (size_t i = kept; i < cache->n_entries; i++) {
		struct vg_archive_entry *e = &cache->entries[i];

		if (r == 0 && (i >= max_count || now - e->mtime > (int64_t)max_age)) {
			if (unlink(e->path) == 0 || errno == ENOENT) {
				free(e->path);
				continue;
			}
			r = vg_error_set(err, -errno, "cannot prune %s: %m", e->path);
		}
		cache->entries[kept++] = *e;
	}
	cache->n_entries = kept;
	return r;
}

int vg_backup_write_cached(const char *state_dir, const struct vg *vg, const struct vg_text_header *header,
			   const struct vg_backup_policy *policy, struct vg_backup_cache *cache,
			   struct vg_error *err)
{
	_cleanup_free_ char *backup_dir = NULL, *path = NULL;
	struct strbuf sb;
	int r;

	if (asprintf(&backup_dir, "%s/backup", state_dir) < 0 ||
	    asprintf(&path, "%s/backup/%s", state_dir, vg->name) < 0)
		return vg_error_set(err, -ENOMEM, "out of memory");
	r = mkdir_p(backup_dir, err);
	if (r < 0)
		return r;
	r = cache_load(state_dir, vg->name, path, cache, err);
	if (r < 0)
		return r;
	/* without a text cache (no memory for one) every LV is rendered: slower, not wrong */
	if (!cache->text)
		cache->text = vg_text_cache_new();
	strbuf_init(&sb);
	r = vg_text_render_backup_cached(vg, header, cache->text, &sb);
	if (r == 0)
		r = strbuf_status(&sb);
	if (r < 0) {
		strbuf_done(&sb);
		return vg_error_set(err, r, "VG %s: cannot render the backup", vg->name);
	}
	r = archive_current(state_dir, vg->name, cache, err);
	if (r == 0)
		r = write_file_atomic(backup_dir, path, sb.data, sb.len, err);
	strbuf_done(&sb);
	if (r < 0) {
		/* what is on disk now is uncertain: read it again next time */
		vg_backup_cache_done(cache);
		return r;
	}
	cache->current_seqno = vg->seqno;
	return prune_archive(cache, policy, err);
}

int vg_backup_write(const char *state_dir, const struct vg *vg, const struct vg_text_header *header,
		    const struct vg_backup_policy *policy, struct vg_error *err)
{
	struct vg_backup_cache cache = { 0 };
	int r;

	r = vg_backup_write_cached(state_dir, vg, header, policy, &cache, err);
	vg_backup_cache_done(&cache);
	return r;
}

int vg_backup_rename(const char *state_dir, const char *old_name, const char *new_name, struct vg_error *err)
{
	_cleanup_free_ char *from = NULL, *to = NULL, *dir = NULL;

	if (asprintf(&dir, "%s/backup", state_dir) < 0 || asprintf(&from, "%s/%s", dir, old_name) < 0 ||
	    asprintf(&to, "%s/%s", dir, new_name) < 0)
		return vg_error_set(err, -ENOMEM, "out of memory");
	if (access(to, F_OK) == 0)
		return vg_error_set(err, -EEXIST, "%s exists already: not replacing it with %s", to, from);
	if (rename(from, to) < 0)
		return errno == ENOENT ? 0 : vg_error_set(err, -errno, "cannot rename %s to %s: %m", from, to);
	return fsync_dir(dir, err);
}

int vg_backup_retire(const char *state_dir, const char *vg_name, struct vg_error *err)
{
	return archive_current(state_dir, vg_name, NULL, err);
}
