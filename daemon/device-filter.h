/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which devices vgtoold may look at: an ordered list of lvm.conf-style
 * accept/reject patterns (`devices { filter = [ "a|^/dev/sd[bd]$|", "r|.*|" ] }`).
 * Each entry is 'a' (accept) or 'r' (reject), a delimiter character, a POSIX
 * extended regular expression, and the same delimiter again; '(', '[' and '{'
 * close with ')', ']' and '}', as in lvm2. The expression is searched for
 * anywhere in the path (anchor it with ^ and $ to match whole paths).
 *
 * The first entry whose expression matches decides. Unlike lvm2, a path that
 * no entry matches is REJECTED: the daemon writes metadata, so a device gets
 * looked at only when the configuration names it. (lvm2 accepts such a path.)
 *
 * A device has several names (/dev/sda, /dev/disk/by-id/...): as lvm2 does,
 * it is accepted when the first entry matching one of its names is an accept
 * entry, and rejected otherwise (device_filter_match_aliases).
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "cfg.h"
#include "error.h"
#include "macro.h"

struct device_filter;

enum device_filter_verdict {
	DEVICE_FILTER_REJECT = 0,
	DEVICE_FILTER_ACCEPT = 1,
};

/*
 * Compile @n_patterns entries. @what names the setting in messages (NULL:
 * "devices/filter"). Returns 0 and *ret_filter (caller frees with
 * device_filter_free); -EINVAL with "devices/filter entry N: ..." (N counted
 * from 1) for an entry that does not start with 'a' or 'r', has no
 * delimiter, does not end with its delimiter, has an empty expression, or an
 * expression regcomp(3) refuses (its message is included); -ENOMEM.
 * An empty list is valid and rejects everything.
 */
int device_filter_parse(const char *const *patterns, size_t n_patterns, const char *what,
			struct device_filter **ret_filter, struct vg_error *err);

/*
 * The same from a configuration value: a CFG_LIST of CFG_STRING items (a
 * single CFG_STRING counts as a one-entry list, as lvm2 allows). -EINVAL
 * naming the entry for a list item that is not a string, or for a value
 * that is neither a list nor a string.
 */
int device_filter_parse_cfg(const struct cfg_value *value, const char *what,
			    struct device_filter **ret_filter, struct vg_error *err);

struct device_filter *device_filter_free(struct device_filter *filter);
DEFINE_CLEANUP_FUNC(struct device_filter, device_filter_free)

/*
 * Judge one path. *ret_entry (may be NULL) gets the 0-based index of the
 * entry that decided, or -1 when none matched (then the verdict is
 * DEVICE_FILTER_REJECT).
 */
enum device_filter_verdict device_filter_match(const struct device_filter *filter, const char *path,
					       ssize_t *ret_entry);

/*
 * Judge a device by all its names, as lvm2 does: each name in turn is
 * matched; the first name whose deciding entry accepts makes the device
 * accepted (*ret_alias gets that name's index). Otherwise the device is
 * rejected; *ret_alias and *ret_entry then tell the first name that an
 * entry rejected (-1 and -1 when no entry matched any name). Either
 * out-parameter may be NULL.
 */
enum device_filter_verdict device_filter_match_aliases(const struct device_filter *filter,
						       const char *const *paths, size_t n_paths,
						       ssize_t *ret_alias, ssize_t *ret_entry);

size_t device_filter_count(const struct device_filter *filter);
/* Entry @index as written in the configuration ("a|^/dev/sdb$|"); NULL when out of range. */
const char *device_filter_entry(const struct device_filter *filter, size_t index);

/*
 * A phrase saying what decided, for messages: "rejected by devices/filter
 * entry 2 (\"r|.*|\")", "accepted by ... entry 1 (...)", or "matched by no
 * devices/filter entry (...)". @entry as returned by device_filter_match.
 * Writes at most @size bytes, always NUL-terminated.
 */
void device_filter_explain(const struct device_filter *filter, ssize_t entry, char *buf, size_t size);
