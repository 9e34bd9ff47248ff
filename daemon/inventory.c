/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The device inventory (inventory.h). Three parts: the pure classification
 * and mountinfo parser; the host-wide facts read once per scan (mounts,
 * active swap, loop devices' backing files); and the per-device probing
 * (sysfs holders and partitions, the O_EXCL test, md superblock, PV label,
 * libblkid), which feeds struct inventory_facts to the classifier.
 *
 * Nothing outside the filter's accept patterns is opened: the filter runs on
 * what sysfs and libudev say before any device is touched. Only a disk's
 * partitions are looked at regardless of the filter, and only in sysfs and
 * the mount and swap tables: a disk whose partition is mounted must never
 * look free because the partition itself is not accepted.
 */
#include <assert.h>
#include <blkid/blkid.h>
#include <dirent.h>
#include <fcntl.h>
#include <libudev.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "inventory.h"
#include "mda.h"
#include "pv-label.h"
#include "strbuf.h"

#define SYS_CLASS_BLOCK "/sys/class/block"
#define SYS_BLOCK "/sys/block"
#define PROC_MOUNTINFO "/proc/self/mountinfo"
#define PROC_SWAPS "/proc/swaps"

/* ---- names ---- */

const char *inventory_kind_name(enum inventory_kind kind)
{
	switch (kind) {
	case INVENTORY_KIND_DISK:
		return "disk";
	case INVENTORY_KIND_PART:
		return "part";
	case INVENTORY_KIND_LOOP:
		return "loop";
	case INVENTORY_KIND_MD:
		return "md";
	case INVENTORY_KIND_DM:
		return "dm";
	case INVENTORY_KIND_FILE:
		return "file";
	}
	return "unknown";
}

const char *inventory_class_name(enum inventory_class class)
{
	switch (class) {
	case INVENTORY_CLASS_FREE:
		return "free";
	case INVENTORY_CLASS_MD_LEG:
		return "md_leg";
	case INVENTORY_CLASS_PV:
		return "pv";
	case INVENTORY_CLASS_FILESYSTEM:
		return "filesystem";
	case INVENTORY_CLASS_IN_USE:
		return "in_use";
	}
	return "unknown";
}

/* ---- small helpers ---- */

static bool startswith(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A malloc'ed formatted string, or NULL on ENOMEM. */
static char *strdup_printf(const char *fmt, ...) _printf_(1, 2);
static char *strdup_printf(const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	return r < 0 ? NULL : s;
}

/* Copy @src into the fixed buffer @dst of @size bytes, truncating. */
static void copy_string(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

struct strv {
	char **items;
	size_t n_items;
};

/* Also a cleanup function, hence errno preserved. */
static void strv_done(struct strv *v)
{
	int saved_errno = errno;

	for (size_t i = 0; i < v->n_items; i++)
		free(v->items[i]);
	free(v->items);
	v->items = NULL;
	v->n_items = 0;
	errno = saved_errno;
}

/* Append @s, taking it over (it is freed on failure too). NULL @s means ENOMEM upstream. */
static int strv_push(struct strv *v, char *s)
{
	char **grown;

	if (!s)
		return -ENOMEM;
	grown = realloc(v->items, (v->n_items + 1) * sizeof(*grown));
	if (!grown) {
		free(s);
		return -ENOMEM;
	}
	v->items = grown;
	v->items[v->n_items++] = s;
	return 0;
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "a, b, c" as a malloc'ed string, or NULL on ENOMEM. */
static char *join(const char *const *items, size_t n_items)
{
	struct strbuf sb;

	strbuf_init(&sb);
	for (size_t i = 0; i < n_items; i++) {
		if (i > 0)
			strbuf_puts(&sb, ", ");
		strbuf_puts(&sb, items[i]);
	}
	strbuf_putc(&sb, '\0'); /* an empty list still yields "" */
	if (strbuf_status(&sb) < 0) {
		strbuf_done(&sb);
		return NULL;
	}
	return strbuf_steal(&sb, NULL);
}

static void closedirp(DIR **d)
{
	int saved_errno = errno;

	if (*d)
		closedir(*d);
	errno = saved_errno;
}

/* Read a whole (small, possibly /proc or /sys) file: st_size lies there, so read to EOF. */
static int read_file_all(const char *path, char **ret_text, size_t *ret_len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, capacity = 0;

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		if (capacity - len < 4096) {
			size_t grown_capacity = capacity ? capacity * 2 : 8192;
			char *grown = realloc(buf, grown_capacity + 1);

			if (!grown)
				return -ENOMEM;
			buf = grown;
			capacity = grown_capacity;
		}
		n = read(fd, buf + len, capacity - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret_text = TAKE_PTR(buf);
	if (ret_len)
		*ret_len = len;
	return 0;
}

/* One sysfs attribute without its trailing newline. */
static int read_sysfs(const char *path, char **ret_value)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r;

	r = read_file_all(path, &text, &len);
	if (r < 0)
		return r;
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
		text[--len] = '\0';
	*ret_value = TAKE_PTR(text);
	return 0;
}

static int parse_devnum(const char *text, dev_t *ret)
{
	unsigned major_number, minor_number;
	char end;

	if (sscanf(text, "%u:%u%c", &major_number, &minor_number, &end) != 2)
		return -EINVAL;
	*ret = makedev(major_number, minor_number);
	return 0;
}

/* Undo the kernel's octal escapes (\040 for a space) in place, as in mountinfo and /proc/swaps. */
static void unescape_octal(char *s)
{
	char *out = s;

	for (const char *in = s; *in;) {
		if (in[0] == '\\' && in[1] >= '0' && in[1] <= '3' && in[2] >= '0' && in[2] <= '7' &&
		    in[3] >= '0' && in[3] <= '7') {
			*out++ = (char)(((in[1] - '0') << 6) | ((in[2] - '0') << 3) | (in[3] - '0'));
			in += 4;
		} else {
			*out++ = *in++;
		}
	}
	*out = '\0';
}

/* ---- pure: classification ---- */

static bool is_md_name(const char *name)
{
	return startswith(name, "md") && (name[2] == '_' || (name[2] >= '0' && name[2] <= '9'));
}

static bool is_dm_name(const char *name)
{
	return startswith(name, "dm-") && name[3] >= '0' && name[3] <= '9';
}

static bool md_signature_present(int md_result)
{
	return md_result == 0 || md_result == -EBADMSG || md_result == -EPROTONOSUPPORT;
}

int inventory_classify(const struct inventory_facts *facts, enum inventory_class *ret_class,
		       bool *ret_busy, char **ret_reason)
{
	enum inventory_class class = INVENTORY_CLASS_IN_USE;
	_cleanup_free_ char *reason = NULL;
	bool busy = true, needs_reason = true;

	if (facts->mounted_on) {
		reason = strdup_printf("mounted on %s", facts->mounted_on);
	} else if (facts->active_swap) {
		reason = strdup("active swap");
	} else if (facts->busy_partition) {
		reason = strdup_printf("partition %s is in use: %s", facts->busy_partition,
				       facts->busy_partition_reason ? facts->busy_partition_reason : "busy");
	} else if (facts->n_holders > 0) {
		bool all_md = true, all_dm = true;
		_cleanup_free_ char *names = join(facts->holders, facts->n_holders);

		if (!names)
			return -ENOMEM;
		for (size_t i = 0; i < facts->n_holders; i++) {
			all_md = all_md && is_md_name(facts->holders[i]);
			all_dm = all_dm && is_dm_name(facts->holders[i]);
		}
		/* Our own layers holding their own members: the class stays, the device is busy. */
		if (facts->read_error == 0 && all_md && md_signature_present(facts->md_result)) {
			class = INVENTORY_CLASS_MD_LEG;
			reason = strdup_printf("active in %s", names);
		} else if (facts->read_error == 0 && all_dm && facts->md_result == -ENODATA &&
			   facts->pv_result == 0) {
			class = INVENTORY_CLASS_PV;
			reason = strdup_printf("active LVs: %s", names);
		} else {
			reason = strdup_printf("held by %s", names);
		}
	} else if (facts->loop_device) {
		reason = strdup_printf("attached to loop device %s", facts->loop_device);
	} else if (facts->exclusive_busy) {
		reason = strdup("open exclusively by another program");
	} else if (facts->read_error < 0) {
		if (facts->read_error_text && facts->read_error_text[0])
			reason = strdup_printf("cannot be read: %s", facts->read_error_text);
		else
			reason = strdup_printf("cannot be read: %s", strerror(-facts->read_error));
	} else {
		busy = false;
		if (md_signature_present(facts->md_result)) {
			class = INVENTORY_CLASS_MD_LEG;
			if (facts->md_result == -EBADMSG)
				reason = strdup_printf("damaged md superblock: %s",
						       facts->md_error ? facts->md_error : "invalid");
			else if (facts->md_result == -EPROTONOSUPPORT)
				reason = strdup_printf("md superblock of an unknown version: %s",
						       facts->md_error ? facts->md_error : "unsupported");
			else
				needs_reason = false;
		} else if (facts->pv_result == 0) {
			class = INVENTORY_CLASS_PV;
			needs_reason = false;
		} else if (facts->signature_type || facts->partition_table) {
			class = INVENTORY_CLASS_FILESYSTEM;
			if (facts->signature_ambivalent)
				reason = strdup("libblkid found several signatures");
			else if (facts->n_partitions > 0)
				reason = strdup_printf("partition table with %zu partitions", facts->n_partitions);
			else
				needs_reason = false;
		} else if (facts->n_partitions > 0) {
			/* The kernel sees partitions libblkid cannot place: not ours to judge. */
			busy = true;
			reason = strdup_printf("has %zu partitions", facts->n_partitions);
		} else {
			class = INVENTORY_CLASS_FREE;
			needs_reason = false;
		}
	}
	if (needs_reason && !reason)
		return -ENOMEM;
	*ret_class = class;
	*ret_busy = busy;
	*ret_reason = TAKE_PTR(reason);
	return 0;
}

/* ---- pure: mountinfo ---- */

struct inventory_mounts *inventory_mounts_free(struct inventory_mounts *mounts)
{
	if (!mounts)
		return NULL;
	for (size_t i = 0; i < mounts->n_mounts; i++) {
		free(mounts->mounts[i].mount_point);
		free(mounts->mounts[i].fs_type);
		free(mounts->mounts[i].source);
	}
	free(mounts->mounts);
	free(mounts);
	return NULL;
}

/*
 * One line: "ID PARENT MAJ:MIN ROOT MOUNT_POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER_OPTIONS".
 * @line is modified (split at spaces).
 */
static int parse_mountinfo_line(char *line, unsigned line_number, struct inventory_mount *ret,
				struct vg_error *err)
{
	char *fields[64];
	size_t n = 0, separator = 0;
	char *save = NULL;
	dev_t devnum;
	struct inventory_mount m = { 0 };

	for (char *tok = strtok_r(line, " ", &save); tok && n < ARRAY_SIZE(fields);
	     tok = strtok_r(NULL, " ", &save))
		fields[n++] = tok;
	for (size_t i = 6; i < n; i++) {
		if (streq(fields[i], "-")) {
			separator = i;
			break;
		}
	}
	if (separator == 0 || separator + 2 >= n)
		return vg_error_set(err, -EBADMSG,
				    "mountinfo line %u: expected \"ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS ... - TYPE SOURCE OPTIONS\"",
				    line_number);
	if (parse_devnum(fields[2], &devnum) < 0)
		return vg_error_set(err, -EBADMSG, "mountinfo line %u: bad device number \"%s\"", line_number,
				    fields[2]);
	unescape_octal(fields[4]);
	unescape_octal(fields[separator + 2]);
	m.devnum = devnum;
	m.mount_point = strdup(fields[4]);
	m.fs_type = strdup(fields[separator + 1]);
	m.source = strdup(fields[separator + 2]);
	if (!m.mount_point || !m.fs_type || !m.source) {
		free(m.mount_point);
		free(m.fs_type);
		free(m.source);
		return vg_error_set(err, -ENOMEM, "mountinfo: out of memory");
	}
	*ret = m;
	return 0;
}

int inventory_mounts_parse(const char *text, size_t len, struct inventory_mounts **ret_mounts,
			   struct vg_error *err)
{
	_cleanup_(inventory_mounts_freep) struct inventory_mounts *mounts = calloc(1, sizeof(*mounts));
	unsigned line_number = 0;
	size_t pos = 0;
	int r;

	if (!mounts)
		return vg_error_set(err, -ENOMEM, "mountinfo: out of memory");
	while (pos < len) {
		const char *start = text + pos;
		const char *nl = memchr(start, '\n', len - pos);
		size_t line_len = nl ? (size_t)(nl - start) : len - pos;
		_cleanup_free_ char *line = NULL;
		struct inventory_mount *grown;

		pos += line_len + (nl ? 1 : 0);
		line_number++;
		if (line_len == 0)
			continue;
		line = strndup(start, line_len);
		if (!line)
			return vg_error_set(err, -ENOMEM, "mountinfo: out of memory");
		grown = realloc(mounts->mounts, (mounts->n_mounts + 1) * sizeof(*grown));
		if (!grown)
			return vg_error_set(err, -ENOMEM, "mountinfo: out of memory");
		mounts->mounts = grown;
		r = parse_mountinfo_line(line, line_number, &mounts->mounts[mounts->n_mounts], err);
		if (r < 0)
			return r;
		mounts->n_mounts++;
	}
	*ret_mounts = TAKE_PTR(mounts);
	return 0;
}

/* ---- host-wide facts ---- */

struct host_swap {
	bool is_block;
	dev_t rdev;  /* block devices */
	dev_t dev;   /* files: st_dev and st_ino */
	ino_t ino;
};

struct host_loop {
	char *devnode;    /* "/dev/loop3" */
	bool stat_ok;     /* the backing file could be stat'ed */
	dev_t dev;
	ino_t ino;
	char *backing;    /* as sysfs shows it */
};

struct host_state {
	struct inventory_mounts *mounts;
	dev_t *mount_source_rdev; /* per mount: the rdev of a /dev source, 0 otherwise */
	struct host_swap *swaps;
	size_t n_swaps;
	struct host_loop *loops;
	size_t n_loops;
};

/* Also a cleanup function, hence errno preserved. */
static void host_state_done(struct host_state *host)
{
	int saved_errno = errno;

	inventory_mounts_free(host->mounts);
	free(host->mount_source_rdev);
	free(host->swaps);
	for (size_t i = 0; i < host->n_loops; i++) {
		free(host->loops[i].devnode);
		free(host->loops[i].backing);
	}
	free(host->loops);
	*host = (struct host_state){ 0 };
	errno = saved_errno;
}

static int load_mounts(struct host_state *host, struct vg_error *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r;

	/* Without the mount table nothing can be called free: fail rather than guess. */
	r = read_file_all(PROC_MOUNTINFO, &text, &len);
	if (r < 0)
		return vg_error_set(err, r, "cannot read %s: %s", PROC_MOUNTINFO, strerror(-r));
	r = inventory_mounts_parse(text, len, &host->mounts, err);
	if (r < 0)
		return vg_error_prefix(err, r, "%s: ", PROC_MOUNTINFO);
	host->mount_source_rdev = calloc(host->mounts->n_mounts + 1, sizeof(dev_t));
	if (!host->mount_source_rdev)
		return vg_error_set(err, -ENOMEM, "out of memory");
	/*
	 * btrfs and others report an anonymous device number in field 3, so
	 * the source is matched too. Only /dev paths are stat'ed: stat on an
	 * arbitrary source could trigger an automount.
	 */
	for (size_t i = 0; i < host->mounts->n_mounts; i++) {
		struct stat st;

		if (startswith(host->mounts->mounts[i].source, "/dev/") &&
		    stat(host->mounts->mounts[i].source, &st) == 0 && S_ISBLK(st.st_mode))
			host->mount_source_rdev[i] = st.st_rdev;
	}
	return 0;
}

static int load_swaps(struct host_state *host, struct vg_error *err)
{
	_cleanup_free_ char *text = NULL;
	char *save = NULL;
	bool header = true;
	int r;

	r = read_file_all(PROC_SWAPS, &text, NULL);
	if (r == -ENOENT)
		return 0; /* a kernel without swap support */
	if (r < 0)
		return vg_error_set(err, r, "cannot read %s: %s", PROC_SWAPS, strerror(-r));
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct host_swap *grown;
		struct stat st;
		size_t name_len;

		if (header) { /* "Filename Type Size Used Priority" */
			header = false;
			continue;
		}
		name_len = strcspn(line, " \t");
		line[name_len] = '\0';
		unescape_octal(line);
		if (stat(line, &st) < 0)
			continue;
		grown = realloc(host->swaps, (host->n_swaps + 1) * sizeof(*grown));
		if (!grown)
			return vg_error_set(err, -ENOMEM, "out of memory");
		host->swaps = grown;
		host->swaps[host->n_swaps++] = (struct host_swap){
			.is_block = S_ISBLK(st.st_mode),
			.rdev = S_ISBLK(st.st_mode) ? st.st_rdev : 0,
			.dev = st.st_dev,
			.ino = st.st_ino,
		};
	}
	return 0;
}

/* Bound loop devices and their backing files, straight from sysfs (no udev needed). */
static int load_loops(struct host_state *host, struct vg_error *err)
{
	_cleanup_(closedirp) DIR *dir = opendir(SYS_BLOCK);
	struct dirent *de;

	if (!dir)
		return errno == ENOENT ? 0 : vg_error_set(err, -errno, "cannot list %s: %m", SYS_BLOCK);
	while ((de = readdir(dir))) {
		_cleanup_free_ char *attr = NULL, *backing = NULL, *devnode = NULL;
		struct host_loop *grown;
		struct stat st;
		int r;

		if (!startswith(de->d_name, "loop"))
			continue;
		attr = strdup_printf(SYS_BLOCK "/%s/loop/backing_file", de->d_name);
		devnode = strdup_printf("/dev/%s", de->d_name);
		if (!attr || !devnode)
			return vg_error_set(err, -ENOMEM, "out of memory");
		r = read_sysfs(attr, &backing);
		if (r == -ENOENT)
			continue; /* unbound */
		if (r < 0)
			return vg_error_set(err, r, "cannot read %s: %s", attr, strerror(-r));
		grown = realloc(host->loops, (host->n_loops + 1) * sizeof(*grown));
		if (!grown)
			return vg_error_set(err, -ENOMEM, "out of memory");
		host->loops = grown;
		host->loops[host->n_loops] = (struct host_loop){ 0 };
		if (stat(backing, &st) == 0) {
			host->loops[host->n_loops].stat_ok = true;
			host->loops[host->n_loops].dev = st.st_dev;
			host->loops[host->n_loops].ino = st.st_ino;
		}
		host->loops[host->n_loops].devnode = TAKE_PTR(devnode);
		host->loops[host->n_loops].backing = TAKE_PTR(backing);
		host->n_loops++;
	}
	return 0;
}

static int host_state_load(struct host_state *host, struct vg_error *err)
{
	int r;

	r = load_mounts(host, err);
	if (r < 0)
		return r;
	r = load_swaps(host, err);
	if (r < 0)
		return r;
	return load_loops(host, err);
}

static const char *host_mount_point(const struct host_state *host, dev_t devnum)
{
	for (size_t i = 0; i < host->mounts->n_mounts; i++)
		if (host->mounts->mounts[i].devnum == devnum || host->mount_source_rdev[i] == devnum)
			return host->mounts->mounts[i].mount_point;
	return NULL;
}

static bool host_swap_block(const struct host_state *host, dev_t devnum)
{
	for (size_t i = 0; i < host->n_swaps; i++)
		if (host->swaps[i].is_block && host->swaps[i].rdev == devnum)
			return true;
	return false;
}

static bool host_swap_file(const struct host_state *host, const struct stat *st)
{
	for (size_t i = 0; i < host->n_swaps; i++)
		if (!host->swaps[i].is_block && host->swaps[i].dev == st->st_dev &&
		    host->swaps[i].ino == st->st_ino)
			return true;
	return false;
}

static const char *host_loop_for_file(const struct host_state *host, const char *path,
				      const struct stat *st)
{
	for (size_t i = 0; i < host->n_loops; i++) {
		const struct host_loop *loop = &host->loops[i];

		if (loop->stat_ok ? loop->dev == st->st_dev && loop->ino == st->st_ino
				  : streq(loop->backing, path))
			return loop->devnode;
	}
	return NULL;
}

/* ---- sysfs: holders and partitions ---- */

/* The holders of block device @name, as "md0" or "dm-3 (vg-lv)", sorted. */
static int list_holders(const char *name, struct strv *ret_holders)
{
	_cleanup_free_ char *path = strdup_printf(SYS_CLASS_BLOCK "/%s/holders", name);
	_cleanup_(closedirp) DIR *dir = NULL;
	_cleanup_(strv_done) struct strv holders = { 0 };
	struct dirent *de;
	int r;

	if (!path)
		return -ENOMEM;
	dir = opendir(path);
	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(dir))) {
		_cleanup_free_ char *dm_name_path = NULL, *dm_name = NULL;

		if (de->d_name[0] == '.')
			continue;
		if (is_dm_name(de->d_name)) {
			dm_name_path = strdup_printf(SYS_CLASS_BLOCK "/%s/dm/name", de->d_name);
			if (!dm_name_path)
				return -ENOMEM;
			(void)read_sysfs(dm_name_path, &dm_name);
		}
		if (dm_name && dm_name[0])
			r = strv_push(&holders, strdup_printf("%s (%s)", de->d_name, dm_name));
		else
			r = strv_push(&holders, strdup(de->d_name));
		if (r < 0)
			return r;
	}
	if (holders.n_items > 1)
		qsort(holders.items, holders.n_items, sizeof(*holders.items), compare_strings);
	*ret_holders = holders;
	holders = (struct strv){ 0 }; /* handed on */
	return 0;
}

struct partitions_state {
	size_t n_partitions;
	char *busy_name;   /* the first partition in use */
	char *busy_reason;
};

/* Also a cleanup function, hence errno preserved. */
static void partitions_state_done(struct partitions_state *p)
{
	int saved_errno = errno;

	free(p->busy_name);
	free(p->busy_reason);
	*p = (struct partitions_state){ 0 };
	errno = saved_errno;
}

/*
 * Why partition @name (number @devnum) is in use, or NULL in *ret_reason.
 * Only the mount and swap tables and sysfs are consulted: the partition may
 * be outside the filter, and then it must not be opened.
 */
static int partition_busy_reason(const struct host_state *host, const char *name, dev_t devnum,
				 char **ret_reason)
{
	_cleanup_(strv_done) struct strv holders = { 0 };
	const char *mount_point = host_mount_point(host, devnum);
	_cleanup_free_ char *names = NULL;
	int r;

	*ret_reason = NULL;
	if (mount_point) {
		*ret_reason = strdup_printf("mounted on %s", mount_point);
		return *ret_reason ? 0 : -ENOMEM;
	}
	if (host_swap_block(host, devnum)) {
		*ret_reason = strdup("active swap");
		return *ret_reason ? 0 : -ENOMEM;
	}
	r = list_holders(name, &holders);
	if (r < 0)
		return r;
	if (holders.n_items == 0)
		return 0;
	names = join((const char *const *)holders.items, holders.n_items);
	if (!names)
		return -ENOMEM;
	*ret_reason = strdup_printf("held by %s", names);
	return *ret_reason ? 0 : -ENOMEM;
}

/* Count the partitions of whole device @name and find one that is in use. */
static int inspect_partitions(const struct host_state *host, const char *name,
			      struct partitions_state *ret)
{
	_cleanup_free_ char *dir_path = strdup_printf(SYS_CLASS_BLOCK "/%s", name);
	_cleanup_(closedirp) DIR *dir = NULL;
	_cleanup_(partitions_state_done) struct partitions_state p = { 0 };
	struct dirent *de;
	int r;

	if (!dir_path)
		return -ENOMEM;
	dir = opendir(dir_path);
	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(dir))) {
		_cleanup_free_ char *part_path = NULL, *dev_path = NULL, *dev_text = NULL, *reason = NULL;
		struct stat st;
		dev_t devnum;

		/* Partitions are subdirectories named after their disk: sda1, nvme0n1p1, loop0p1. */
		if (!startswith(de->d_name, name) || streq(de->d_name, name))
			continue;
		part_path = strdup_printf("%s/%s/partition", dir_path, de->d_name);
		dev_path = strdup_printf("%s/%s/dev", dir_path, de->d_name);
		if (!part_path || !dev_path)
			return -ENOMEM;
		if (stat(part_path, &st) < 0)
			continue;
		if (read_sysfs(dev_path, &dev_text) < 0 || parse_devnum(dev_text, &devnum) < 0)
			continue; /* vanished meanwhile */
		p.n_partitions++;
		if (p.busy_name)
			continue;
		r = partition_busy_reason(host, de->d_name, devnum, &reason);
		if (r < 0)
			return r;
		if (reason) {
			p.busy_name = strdup(de->d_name);
			if (!p.busy_name)
				return -ENOMEM;
			p.busy_reason = TAKE_PTR(reason);
		}
	}
	*ret = p;
	p = (struct partitions_state){ 0 }; /* handed on */
	return 0;
}

/* ---- content probing ---- */

struct content {
	int read_error;
	char read_error_text[VG_ERROR_MESSAGE_MAX];
	int md_result;
	struct vg_error md_error;
	struct md_super md;
	int pv_result;
	struct pv_label pv;
	char vg_name[INVENTORY_VG_NAME_MAX];
	char *signature_type;
	char *partition_table;
	bool signature_ambivalent;
};

/* Also a cleanup function, hence errno preserved. */
static void content_done(struct content *c)
{
	int saved_errno = errno;

	free(c->signature_type);
	free(c->partition_table);
	c->signature_type = c->partition_table = NULL;
	errno = saved_errno;
}

/*
 * The VG a PV's metadata names: the committed copy with the highest seqno
 * among its areas, identified from the first lines only (mda_text_peek).
 * Damaged areas are skipped: the name is a hint for listing, vg_scan is
 * what judges a VG.
 */
static void peek_vg_name(struct blockdev *dev, const struct pv_label *label,
			 char ret_name[INVENTORY_VG_NAME_MAX])
{
	uint64_t best_seqno = 0;

	ret_name[0] = '\0';
	for (size_t i = 0; i < label->n_metadata_areas; i++) {
		struct mda_header header;
		struct mda_text_id id;

		if (mda_header_read(dev, label->metadata_areas[i].offset_bytes, &header, NULL) < 0)
			continue;
		if (header.slots[MDA_SLOT_COMMITTED].offset_bytes == 0)
			continue; /* orphan */
		/*
		 * The first lines name the VG; the whole text and its checksum
		 * are the scan's business, once per distinct copy.
		 */
		if (mda_peek_slot(dev, &header, &header.slots[MDA_SLOT_COMMITTED], &id, NULL) < 0)
			continue;
		if (ret_name[0] == '\0' || id.seqno > best_seqno) {
			best_seqno = id.seqno;
			copy_string(ret_name, INVENTORY_VG_NAME_MAX, id.vg_name);
		}
	}
}

static void free_blkid_probep(blkid_probe *pr)
{
	int saved_errno = errno;

	if (*pr)
		blkid_free_probe(*pr);
	errno = saved_errno;
}

/* libblkid TYPE/PTTYPE of the probe's current result, kept when not yet known. */
static int take_blkid_values(blkid_probe pr, struct content *c)
{
	const char *value = NULL;

	if (!c->signature_type && blkid_probe_lookup_value(pr, "TYPE", &value, NULL) == 0 && value) {
		c->signature_type = strdup(value);
		if (!c->signature_type)
			return -ENOMEM;
	}
	if (!c->partition_table && blkid_probe_lookup_value(pr, "PTTYPE", &value, NULL) == 0 && value) {
		c->partition_table = strdup(value);
		if (!c->partition_table)
			return -ENOMEM;
	}
	return 0;
}

/*
 * Filesystems, swap, LUKS, partition tables... through libblkid. Its
 * conventions (0 found, 1 nothing, -2 ambivalent, -1 error) stop here.
 */
static int probe_signatures(int fd, struct content *c)
{
	_cleanup_(free_blkid_probep) blkid_probe pr = blkid_new_probe();
	int r;

	if (!pr)
		return -ENOMEM;
	if (blkid_probe_set_device(pr, fd, 0, 0) != 0)
		return -EIO;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
	/* No BLKID_PARTS_ENTRY_DETAILS: that would open the parent disk, which the filter may reject. */
	blkid_probe_enable_partitions(pr, 1);
	r = blkid_do_safeprobe(pr);
	if (r == 1)
		return 0;
	if (r == 0)
		return take_blkid_values(pr, c);
	if (r != -2)
		return -EIO;

	/* Several signatures: step through them to name the first. */
	c->signature_ambivalent = true;
	blkid_reset_probe(pr);
	while (blkid_do_probe(pr) == 0) {
		r = take_blkid_values(pr, c);
		if (r < 0)
			return r;
	}
	if (!c->signature_type && !c->partition_table) {
		c->signature_type = strdup("unknown");
		if (!c->signature_type)
			return -ENOMEM;
	}
	return 0;
}

/*
 * Read what is on @path: md superblock first (a 1.0 leg also shows its
 * array's PV label), then the PV label, then libblkid. Open and I/O errors
 * land in c->read_error; only ENOMEM is returned.
 */
static int probe_content(const char *path, struct content *c)
{
	_cleanup_(blockdev_closep) struct blockdev *dev = NULL;
	struct vg_error err = { 0 };
	int r;

	c->md_result = -ENODATA;
	c->pv_result = -ENODATA;
	r = blockdev_open(path, BLOCKDEV_READ_ONLY, &dev, &err);
	if (r < 0) {
		if (r == -ENOMEM)
			return r;
		c->read_error = r;
		copy_string(c->read_error_text, sizeof(c->read_error_text), err.message);
		return 0;
	}
	if (dev->size_bytes == 0)
		return 0; /* an empty file holds nothing */

	r = md_super_probe(dev, &c->md, &c->md_error);
	if (r == -ENOMEM)
		return r;
	if (r != -ENODATA && !md_signature_present(r)) {
		c->read_error = r; /* an I/O error */
		copy_string(c->read_error_text, sizeof(c->read_error_text), c->md_error.message);
		return 0;
	}
	c->md_result = r;
	if (md_signature_present(r))
		return 0;

	vg_error_clear(&err);
	r = pv_label_read(dev, &c->pv, &err);
	if (r == -ENOMEM)
		return r;
	if (r == 0) {
		c->pv_result = 0;
		peek_vg_name(dev, &c->pv, c->vg_name);
		return 0;
	}
	if (r != -ENODATA) {
		c->read_error = r;
		copy_string(c->read_error_text, sizeof(c->read_error_text), err.message);
		return 0;
	}

	r = probe_signatures(dev->fd, c);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		c->read_error = r;
		snprintf(c->read_error_text, sizeof(c->read_error_text), "%s: libblkid cannot probe it", path);
	}
	return 0;
}

/*
 * Is @path open exclusively elsewhere (a mount, md, dm, swapon, or a
 * program's O_EXCL)? An O_EXCL open fails with EBUSY then. Opened read-only
 * so the close sends no change uevent; other errors are left for the
 * content probe to report.
 */
static bool exclusively_busy(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_EXCL | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

	return fd < 0 && errno == EBUSY;
}

/* ---- building devices ---- */

/* Free what @d owns, leaving it empty. Also a cleanup function, hence errno preserved. */
static void device_done(struct inventory_device *d)
{
	int saved_errno = errno;

	free(d->path);
	free(d->sys_name);
	free(d->parent);
	free(d->reason);
	free(d->fs_type);
	free(d->backing_file);
	free(d->md_array);
	*d = (struct inventory_device){ 0 };
	errno = saved_errno;
}

struct inventory_device *inventory_device_free(struct inventory_device *device)
{
	if (!device)
		return NULL;
	device_done(device);
	free(device);
	return NULL;
}

struct inventory *inventory_free(struct inventory *inventory)
{
	if (!inventory)
		return NULL;
	for (size_t i = 0; i < inventory->n_devices; i++)
		device_done(&inventory->devices[i]);
	free(inventory->devices);
	free(inventory);
	return NULL;
}

/* Classify from @facts and the probed @content, and fill the class fields of @d. */
static int finish_device(struct inventory_device *d, struct inventory_facts *facts,
			 const struct content *c, const struct strv *holders)
{
	int r;

	facts->read_error = c->read_error;
	facts->read_error_text = c->read_error_text;
	facts->md_result = c->md_result;
	facts->md_error = c->md_error.message;
	facts->pv_result = c->pv_result;
	facts->signature_type = c->signature_type;
	facts->partition_table = c->partition_table;
	facts->signature_ambivalent = c->signature_ambivalent;

	r = inventory_classify(facts, &d->class, &d->busy, &d->reason);
	if (r < 0)
		return r;

	switch (d->class) {
	case INVENTORY_CLASS_MD_LEG:
		d->md_version = c->md.version;
		d->md_valid = c->md_result == 0;
		if (c->md.version != MD_SUPER_NONE)
			md_uuid_format(c->md.set_uuid, d->md_uuid);
		copy_string(d->md_name, sizeof(d->md_name), c->md.set_name);
		if (holders && holders->n_items > 0) {
			/* Holders read "md0" here (is_md_name held for all of them). */
			d->md_array = strndup(holders->items[0], strcspn(holders->items[0], " "));
			if (!d->md_array)
				return -ENOMEM;
		}
		break;
	case INVENTORY_CLASS_PV:
		copy_string(d->pv_uuid, sizeof(d->pv_uuid), c->pv.pv_uuid);
		copy_string(d->vg_name, sizeof(d->vg_name), c->vg_name);
		break;
	default:
		break;
	}
	/* Also for in_use: "mounted on /srv" says more with its ext4 beside it. */
	if ((d->class == INVENTORY_CLASS_FILESYSTEM || d->class == INVENTORY_CLASS_IN_USE) &&
	    (c->signature_type || c->partition_table)) {
		d->fs_type = strdup(c->signature_type ? c->signature_type : c->partition_table);
		if (!d->fs_type)
			return -ENOMEM;
	}
	return 0;
}

/* Identity of a block device, as sysfs and libudev give it. */
struct block_identity {
	const char *path;
	const char *sys_name;
	const char *parent;
	const char *backing_file;
	enum inventory_kind kind;
	dev_t devnum;
	uint64_t size_bytes;
	bool read_only;
};

static int build_block_device(const struct host_state *host, const struct block_identity *id,
			      struct inventory_device *ret)
{
	_cleanup_(strv_done) struct strv holders = { 0 };
	_cleanup_(partitions_state_done) struct partitions_state parts = { 0 };
	_cleanup_(content_done) struct content c = { 0 };
	_cleanup_(device_done) struct inventory_device d = { 0 };
	struct inventory_facts facts = { .kind = id->kind };
	int r;

	r = list_holders(id->sys_name, &holders);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		/* Holders unknown: assume the worst rather than call it free. */
		c.read_error = r;
		snprintf(c.read_error_text, sizeof(c.read_error_text), "cannot list holders: %s",
			 strerror(-r));
	}
	if (id->kind != INVENTORY_KIND_PART) {
		r = inspect_partitions(host, id->sys_name, &parts);
		if (r == -ENOMEM)
			return r;
		if (r < 0 && c.read_error == 0) {
			/* A partition might be mounted: not knowing is not free. */
			c.read_error = r;
			snprintf(c.read_error_text, sizeof(c.read_error_text), "cannot list partitions: %s",
				 strerror(-r));
		}
	}

	facts.mounted_on = host_mount_point(host, id->devnum);
	facts.active_swap = host_swap_block(host, id->devnum);
	facts.holders = (const char *const *)holders.items;
	facts.n_holders = holders.n_items;
	facts.n_partitions = parts.n_partitions;
	facts.busy_partition = parts.busy_name;
	facts.busy_partition_reason = parts.busy_reason;
	/* Only when nothing else explains it: the O_EXCL test briefly blocks others' exclusive opens. */
	if (!facts.mounted_on && !facts.active_swap && !facts.busy_partition && facts.n_holders == 0)
		facts.exclusive_busy = exclusively_busy(id->path);

	if (c.read_error == 0) {
		r = probe_content(id->path, &c);
		if (r < 0)
			return r;
	} else {
		c.md_result = c.pv_result = -ENODATA;
	}

	d.kind = id->kind;
	d.devnum = id->devnum;
	d.size_bytes = id->size_bytes;
	d.read_only = id->read_only;
	d.path = strdup(id->path);
	d.sys_name = strdup(id->sys_name);
	if (!d.path || !d.sys_name)
		return -ENOMEM;
	if (id->parent && !(d.parent = strdup(id->parent)))
		return -ENOMEM;
	if (id->backing_file && !(d.backing_file = strdup(id->backing_file)))
		return -ENOMEM;
	r = finish_device(&d, &facts, &c, &holders);
	if (r < 0)
		return r;
	*ret = d;
	d = (struct inventory_device){ 0 }; /* handed on */
	return 0;
}

static int build_file_device(const struct host_state *host, const char *path, const struct stat *st,
			     struct inventory_device *ret)
{
	_cleanup_(content_done) struct content c = { 0 };
	_cleanup_(device_done) struct inventory_device d = { 0 };
	struct inventory_facts facts = { .kind = INVENTORY_KIND_FILE };
	int r;

	facts.loop_device = host_loop_for_file(host, path, st);
	facts.active_swap = host_swap_file(host, st);
	r = probe_content(path, &c);
	if (r < 0)
		return r;

	d.kind = INVENTORY_KIND_FILE;
	d.size_bytes = (uint64_t)st->st_size;
	d.read_only = access(path, W_OK) != 0;
	d.path = strdup(path);
	if (!d.path)
		return -ENOMEM;
	r = finish_device(&d, &facts, &c, NULL);
	if (r < 0)
		return r;
	*ret = d;
	d = (struct inventory_device){ 0 }; /* handed on */
	return 0;
}

/* Move @d into @inventory (its fields now belong to the inventory). */
static int inventory_append(struct inventory *inventory, struct inventory_device *d)
{
	struct inventory_device *grown;

	grown = realloc(inventory->devices, (inventory->n_devices + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	inventory->devices = grown;
	inventory->devices[inventory->n_devices++] = *d;
	*d = (struct inventory_device){ 0 };
	return 0;
}

/* ---- block devices through libudev ---- */

static void unref_udevp(struct udev **p)
{
	int saved_errno = errno;

	if (*p)
		udev_unref(*p);
	errno = saved_errno;
}

static void unref_udev_enumeratep(struct udev_enumerate **p)
{
	int saved_errno = errno;

	if (*p)
		udev_enumerate_unref(*p);
	errno = saved_errno;
}

static void unref_udev_devicep(struct udev_device **p)
{
	int saved_errno = errno;

	if (*p)
		udev_device_unref(*p);
	errno = saved_errno;
}

static enum inventory_kind block_kind(struct udev_device *dev, const char *sys_name)
{
	if (streq(udev_device_get_devtype(dev), "partition"))
		return INVENTORY_KIND_PART;
	if (startswith(sys_name, "loop"))
		return INVENTORY_KIND_LOOP;
	if (udev_device_get_sysattr_value(dev, "md/array_state"))
		return INVENTORY_KIND_MD;
	if (udev_device_get_sysattr_value(dev, "dm/name") || is_dm_name(sys_name))
		return INVENTORY_KIND_DM;
	return INVENTORY_KIND_DISK;
}

/*
 * Probe the block device @dev. @given_path is the name a caller used (tried
 * first against the filter), or NULL. Returns 0 and *ret; -ENODEV for a
 * device without a node; -ENXIO for size 0 or an unbound loop device;
 * -EPERM when the filter rejects every name (err says why); -ENOMEM.
 */
static int probe_udev_device(const struct inventory_config *config, const struct host_state *host,
			     struct udev_device *dev, const char *given_path, struct inventory_device *ret,
			     struct vg_error *err)
{
	const char *sys_name = udev_device_get_sysname(dev);
	const char *devnode = udev_device_get_devnode(dev);
	const char *size_text, *ro_text, *backing = NULL, *parent_name = NULL;
	_cleanup_free_ const char **aliases = NULL;
	struct udev_list_entry *link;
	struct block_identity id = { 0 };
	size_t n_aliases = 0, n_links = 0;
	ssize_t alias = -1, entry = -1;
	uint64_t sectors;
	char *end = NULL;

	if (!sys_name || !devnode)
		return vg_error_set(err, -ENODEV, "%s: no device node", given_path ? given_path : "?");
	id.kind = block_kind(dev, sys_name);
	if (id.kind == INVENTORY_KIND_LOOP) {
		backing = udev_device_get_sysattr_value(dev, "loop/backing_file");
		if (!backing)
			return vg_error_set(err, -ENXIO, "%s: loop device without a backing file", devnode);
	}
	size_text = udev_device_get_sysattr_value(dev, "size");
	errno = 0;
	sectors = size_text ? strtoull(size_text, &end, 10) : 0;
	if (!size_text || errno || end == size_text || sectors == 0 || sectors > UINT64_MAX / 512)
		return vg_error_set(err, -ENXIO, "%s: size 0 (no medium)", devnode);

	/* lvm2 judges a device by all its names; so do we, trying the caller's name first. */
	udev_list_entry_foreach(link, udev_device_get_devlinks_list_entry(dev))
		n_links++;
	aliases = calloc(n_links + 2, sizeof(*aliases));
	if (!aliases)
		return vg_error_set(err, -ENOMEM, "out of memory");
	if (given_path)
		aliases[n_aliases++] = given_path;
	aliases[n_aliases++] = devnode;
	udev_list_entry_foreach(link, udev_device_get_devlinks_list_entry(dev))
		if (n_aliases < n_links + 2)
			aliases[n_aliases++] = udev_list_entry_get_name(link);
	if (device_filter_match_aliases(config->filter, aliases, n_aliases, &alias, &entry) !=
	    DEVICE_FILTER_ACCEPT) {
		char why[512];

		device_filter_explain(config->filter, entry, why, sizeof(why));
		return vg_error_set(err, -EPERM, "%s: %s", given_path ? given_path : devnode, why);
	}

	if (id.kind == INVENTORY_KIND_PART) {
		struct udev_device *parent = udev_device_get_parent_with_subsystem_devtype(dev, "block", "disk");

		if (parent) /* owned by @dev */
			parent_name = udev_device_get_sysname(parent);
	}
	ro_text = udev_device_get_sysattr_value(dev, "ro");

	id.path = aliases[alias];
	id.sys_name = sys_name;
	id.parent = parent_name;
	id.backing_file = backing;
	id.devnum = udev_device_get_devnum(dev);
	id.size_bytes = sectors * 512;
	id.read_only = ro_text && streq(ro_text, "1");
	if (build_block_device(host, &id, ret) < 0)
		return vg_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

static int scan_block_devices(const struct inventory_config *config, const struct host_state *host,
			      struct inventory *inventory, struct vg_error *err)
{
	_cleanup_(unref_udevp) struct udev *udev = NULL;
	_cleanup_(unref_udev_enumeratep) struct udev_enumerate *enumerate = NULL;
	struct udev_list_entry *entry;
	int r;

	/* libudev's NULL-with-errno and negative returns become -errno here. */
	udev = udev_new();
	if (!udev)
		return vg_error_set(err, errno ? -errno : -ENOMEM, "libudev: cannot start: %m");
	enumerate = udev_enumerate_new(udev);
	if (!enumerate)
		return vg_error_set(err, errno ? -errno : -ENOMEM, "libudev: cannot enumerate: %m");
	r = udev_enumerate_add_match_subsystem(enumerate, "block");
	if (r < 0)
		return vg_error_set(err, r, "libudev: cannot match block devices: %s", strerror(-r));
	r = udev_enumerate_scan_devices(enumerate);
	if (r < 0)
		return vg_error_set(err, r, "libudev: cannot list block devices: %s", strerror(-r));

	udev_list_entry_foreach(entry, udev_enumerate_get_list_entry(enumerate)) {
		_cleanup_(unref_udev_devicep) struct udev_device *dev = NULL;
		_cleanup_(device_done) struct inventory_device d = { 0 };
		struct vg_error device_err = { 0 };

		dev = udev_device_new_from_syspath(udev, udev_list_entry_get_name(entry));
		if (!dev)
			continue; /* gone since the enumeration */
		r = probe_udev_device(config, host, dev, NULL, &d, &device_err);
		if (r == -EPERM) {
			inventory->n_rejected++;
			continue;
		}
		if (r == -ENODEV || r == -ENXIO)
			continue;
		if (r < 0)
			return vg_error_set(err, r, "%s", device_err.message);
		r = inventory_append(inventory, &d);
		if (r < 0)
			return vg_error_set(err, r, "out of memory");
	}
	return 0;
}

/* ---- files in scan directories ---- */

static char *path_join(const char *dir, const char *name)
{
	size_t len = strlen(dir);

	return strdup_printf("%s%s%s", dir, len > 0 && dir[len - 1] == '/' ? "" : "/", name);
}

static int scan_directory(const struct inventory_config *config, const struct host_state *host,
			  const char *dir_path, struct inventory *inventory, struct vg_error *err)
{
	_cleanup_(closedirp) DIR *dir = opendir(dir_path); /* opendir sets O_CLOEXEC */
	_cleanup_(strv_done) struct strv names = { 0 };
	struct dirent *de;
	int r;

	if (!dir)
		return vg_error_set(err, -errno, "scan directory %s: %m", dir_path);
	errno = 0;
	while ((de = readdir(dir))) {
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		r = strv_push(&names, strdup(de->d_name));
		if (r < 0)
			return vg_error_set(err, r, "out of memory");
		errno = 0;
	}
	if (errno)
		return vg_error_set(err, -errno, "scan directory %s: %m", dir_path);
	if (names.n_items > 1)
		qsort(names.items, names.n_items, sizeof(*names.items), compare_strings);

	for (size_t i = 0; i < names.n_items; i++) {
		_cleanup_free_ char *path = path_join(dir_path, names.items[i]);
		_cleanup_(device_done) struct inventory_device d = { 0 };
		struct stat st;

		if (!path)
			return vg_error_set(err, -ENOMEM, "out of memory");
		if (device_filter_match(config->filter, path, NULL) != DEVICE_FILTER_ACCEPT) {
			inventory->n_rejected++;
			continue;
		}
		/* lstat: a symlink would list one file twice, or lead outside the directory. */
		if (fstatat(dirfd(dir), names.items[i], &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		r = build_file_device(host, path, &st, &d);
		if (r < 0)
			return vg_error_set(err, r, "%s: out of memory", path);
		r = inventory_append(inventory, &d);
		if (r < 0)
			return vg_error_set(err, r, "out of memory");
	}
	return 0;
}

/* ---- public entry points ---- */

int inventory_scan(const struct inventory_config *config, struct inventory **ret_inventory,
		   struct vg_error *err)
{
	_cleanup_(inventory_freep) struct inventory *inventory = NULL;
	_cleanup_(host_state_done) struct host_state host = { 0 };
	int r;

	assert(config->filter);
	inventory = calloc(1, sizeof(*inventory));
	if (!inventory)
		return vg_error_set(err, -ENOMEM, "out of memory");
	r = host_state_load(&host, err);
	if (r < 0)
		return r;
	if (config->block_devices) {
		r = scan_block_devices(config, &host, inventory, err);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < config->n_scan_dirs; i++) {
		r = scan_directory(config, &host, config->scan_dirs[i], inventory, err);
		if (r < 0)
			return r;
	}
	*ret_inventory = TAKE_PTR(inventory);
	return 0;
}

static int probe_block_path(const struct inventory_config *config, const struct host_state *host,
			    const char *path, dev_t rdev, struct inventory_device *ret, struct vg_error *err)
{
	_cleanup_(unref_udevp) struct udev *udev = NULL;
	_cleanup_(unref_udev_devicep) struct udev_device *dev = NULL;

	udev = udev_new();
	if (!udev)
		return vg_error_set(err, errno ? -errno : -ENOMEM, "libudev: cannot start: %m");
	dev = udev_device_new_from_devnum(udev, 'b', rdev);
	if (!dev)
		return vg_error_set(err, -ENOENT, "%s: no such block device in sysfs", path);
	return probe_udev_device(config, host, dev, path, ret, err);
}

/*
 * The scan-directory name of file @path: SCANDIR/NAME when @path's directory
 * is (after resolving symlinks) one of the scan directories.
 */
static int file_scan_path(const struct inventory_config *config, const char *path, char **ret_path,
			  struct vg_error *err)
{
	const char *slash = strrchr(path, '/');
	_cleanup_free_ char *dir = NULL, *real_dir = NULL;
	const char *name = slash ? slash + 1 : path;

	if (!*name)
		return vg_error_set(err, -EINVAL, "%s: not a file name", path);
	dir = slash ? (slash == path ? strdup("/") : strndup(path, (size_t)(slash - path))) : strdup(".");
	if (!dir)
		return vg_error_set(err, -ENOMEM, "out of memory");
	real_dir = realpath(dir, NULL);
	if (!real_dir)
		return vg_error_set(err, -errno, "%s: %m", dir);
	for (size_t i = 0; i < config->n_scan_dirs; i++) {
		_cleanup_free_ char *real_scan = realpath(config->scan_dirs[i], NULL);

		if (real_scan && streq(real_scan, real_dir)) {
			*ret_path = path_join(config->scan_dirs[i], name);
			return *ret_path ? 0 : vg_error_set(err, -ENOMEM, "out of memory");
		}
	}
	return vg_error_set(err, -EPERM, "%s: not directly inside a scan directory", path);
}

int inventory_probe(const struct inventory_config *config, const char *path,
		    struct inventory_device **ret_device, struct vg_error *err)
{
	_cleanup_(inventory_device_freep) struct inventory_device *device = NULL;
	_cleanup_(host_state_done) struct host_state host = { 0 };
	_cleanup_free_ char *scan_path = NULL;
	struct stat st;
	ssize_t entry = -1;
	int r;

	assert(config->filter);
	if (stat(path, &st) < 0)
		return vg_error_set(err, -errno, "%s: %m", path);
	if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode))
		return vg_error_set(err, -ENOTBLK, "%s: neither a block device nor a regular file", path);
	if (S_ISBLK(st.st_mode) && !config->block_devices)
		return vg_error_set(err, -EPERM, "%s: block devices are not managed in this configuration", path);

	if (S_ISREG(st.st_mode)) {
		r = file_scan_path(config, path, &scan_path, err);
		if (r < 0)
			return r;
		if (device_filter_match(config->filter, scan_path, &entry) != DEVICE_FILTER_ACCEPT) {
			char why[512];

			device_filter_explain(config->filter, entry, why, sizeof(why));
			return vg_error_set(err, -EPERM, "%s: %s", scan_path, why);
		}
		if (lstat(scan_path, &st) < 0)
			return vg_error_set(err, -errno, "%s: %m", scan_path);
		if (!S_ISREG(st.st_mode))
			return vg_error_set(err, -ENOTBLK, "%s: not a regular file (symbolic links are not followed)",
					    scan_path);
	}

	device = calloc(1, sizeof(*device));
	if (!device)
		return vg_error_set(err, -ENOMEM, "out of memory");
	r = host_state_load(&host, err);
	if (r < 0)
		return r;
	if (S_ISBLK(st.st_mode)) {
		r = probe_block_path(config, &host, path, st.st_rdev, device, err);
		if (r < 0)
			return r;
	} else {
		r = build_file_device(&host, scan_path, &st, device);
		if (r < 0)
			return vg_error_set(err, r, "%s: out of memory", scan_path);
	}
	*ret_device = TAKE_PTR(device);
	return 0;
}

const struct inventory_device *inventory_find_path(const struct inventory *inventory, const char *path)
{
	for (size_t i = 0; i < inventory->n_devices; i++)
		if (streq(inventory->devices[i].path, path))
			return &inventory->devices[i];
	return NULL;
}

const struct inventory_device *inventory_find_devnum(const struct inventory *inventory, dev_t devnum)
{
	for (size_t i = 0; i < inventory->n_devices; i++)
		if (inventory->devices[i].kind != INVENTORY_KIND_FILE && inventory->devices[i].devnum == devnum)
			return &inventory->devices[i];
	return NULL;
}
