/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lvm.conf-style device filters (device-filter.h): entries parsed the way
 * lvm2's _extract_pattern does (accept/reject letter, opening delimiter,
 * expression, the matching closing delimiter as the very last character),
 * compiled with regcomp(3) as POSIX extended expressions, and matched in
 * order, first match wins, nothing matched = reject.
 */
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "device-filter.h"

#define DEFAULT_WHAT "devices/filter"

struct device_filter_entry {
	bool accept;
	char *spelling; /* as configured, for messages */
	regex_t regex;
};

struct device_filter {
	char *what;
	struct device_filter_entry *entries;
	size_t n_entries; /* entries whose regex is compiled (and must be regfree'd) */
};

struct device_filter *device_filter_free(struct device_filter *filter)
{
	if (!filter)
		return NULL;
	for (size_t i = 0; i < filter->n_entries; i++) {
		regfree(&filter->entries[i].regex);
		free(filter->entries[i].spelling);
	}
	free(filter->entries);
	free(filter->what);
	free(filter);
	return NULL;
}

/* lvm2 pairs these opening delimiters with their mirror image; every other character closes itself. */
static char closing_delimiter(char open)
{
	switch (open) {
	case '(':
		return ')';
	case '[':
		return ']';
	case '{':
		return '}';
	default:
		return open;
	}
}

/*
 * Compile @pattern into @entry. Numbers in messages count from 1 because
 * people count configuration entries that way.
 */
static int compile_entry(const char *what, size_t index, const char *pattern,
			 struct device_filter_entry *entry, struct vg_error *err)
{
	_cleanup_free_ char *expression = NULL;
	size_t len = strlen(pattern);
	char open, close;
	int r;

	if (len == 0)
		return vg_error_set(err, -EINVAL, "%s entry %zu: empty pattern (expected \"a|REGEX|\" or \"r|REGEX|\")",
				    what, index + 1);
	if (pattern[0] != 'a' && pattern[0] != 'r')
		return vg_error_set(err, -EINVAL,
				    "%s entry %zu: \"%s\" must start with 'a' (accept) or 'r' (reject)", what,
				    index + 1, pattern);
	if (len < 3)
		return vg_error_set(err, -EINVAL,
				    "%s entry %zu: \"%s\" has no delimited expression (expected \"%c|REGEX|\")",
				    what, index + 1, pattern, pattern[0]);
	open = pattern[1];
	close = closing_delimiter(open);
	if (open == '\\' || (unsigned char)open <= ' ')
		return vg_error_set(err, -EINVAL, "%s entry %zu: \"%s\": '%c' cannot be a delimiter", what,
				    index + 1, pattern, open);
	if (pattern[len - 1] != close)
		return vg_error_set(err, -EINVAL,
				    "%s entry %zu: \"%s\" does not end with the delimiter '%c'", what,
				    index + 1, pattern, close);
	/* "a||" would match every path: almost certainly a typo, and a dangerous one. */
	if (len == 3)
		return vg_error_set(err, -EINVAL, "%s entry %zu: \"%s\" has an empty expression", what,
				    index + 1, pattern);

	expression = strndup(pattern + 2, len - 3);
	if (!expression)
		return vg_error_set(err, -ENOMEM, "%s entry %zu: out of memory", what, index + 1);
	r = regcomp(&entry->regex, expression, REG_EXTENDED | REG_NOSUB);
	if (r != 0) {
		char message[256];

		regerror(r, &entry->regex, message, sizeof(message));
		/* POSIX leaves the regex_t undefined after a failed regcomp: nothing to free. */
		return vg_error_set(err, -EINVAL, "%s entry %zu: bad regular expression \"%s\": %s", what,
				    index + 1, expression, message);
	}
	entry->spelling = strdup(pattern);
	if (!entry->spelling) {
		regfree(&entry->regex);
		return vg_error_set(err, -ENOMEM, "%s entry %zu: out of memory", what, index + 1);
	}
	entry->accept = pattern[0] == 'a';
	return 0;
}

int device_filter_parse(const char *const *patterns, size_t n_patterns, const char *what,
			struct device_filter **ret_filter, struct vg_error *err)
{
	_cleanup_(device_filter_freep) struct device_filter *filter = NULL;
	int r;

	if (!what)
		what = DEFAULT_WHAT;
	filter = calloc(1, sizeof(*filter));
	if (!filter)
		return vg_error_set(err, -ENOMEM, "%s: out of memory", what);
	filter->what = strdup(what);
	if (!filter->what)
		return vg_error_set(err, -ENOMEM, "%s: out of memory", what);
	if (n_patterns > 0) {
		filter->entries = calloc(n_patterns, sizeof(*filter->entries));
		if (!filter->entries)
			return vg_error_set(err, -ENOMEM, "%s: out of memory", what);
	}
	for (size_t i = 0; i < n_patterns; i++) {
		if (!patterns[i])
			return vg_error_set(err, -EINVAL, "%s entry %zu: missing pattern", what, i + 1);
		r = compile_entry(what, i, patterns[i], &filter->entries[i], err);
		if (r < 0)
			return r;
		filter->n_entries = i + 1;
	}
	*ret_filter = TAKE_PTR(filter);
	return 0;
}

int device_filter_parse_cfg(const struct cfg_value *value, const char *what,
			    struct device_filter **ret_filter, struct vg_error *err)
{
	_cleanup_free_ const char **patterns = NULL;
	const struct cfg_value *items;
	size_t n;

	if (!what)
		what = DEFAULT_WHAT;
	if (value->type == CFG_STRING) {
		items = value;
		n = 1;
	} else if (value->type == CFG_LIST) {
		items = value->items;
		n = value->n_items;
	} else {
		return vg_error_set(err, -EINVAL,
				    "%s must be a list of quoted patterns, e.g. [ \"a|^/dev/sdb$|\", \"r|.*|\" ]",
				    what);
	}

	if (n > 0) {
		patterns = calloc(n, sizeof(*patterns));
		if (!patterns)
			return vg_error_set(err, -ENOMEM, "%s: out of memory", what);
	}
	for (size_t i = 0; i < n; i++) {
		if (items[i].type != CFG_STRING || !items[i].text)
			return vg_error_set(err, -EINVAL,
					    "%s entry %zu: must be a quoted pattern such as \"a|^/dev/sdb$|\"",
					    what, i + 1);
		patterns[i] = items[i].text;
	}
	return device_filter_parse(patterns, n, what, ret_filter, err);
}

enum device_filter_verdict device_filter_match(const struct device_filter *filter, const char *path,
					       ssize_t *ret_entry)
{
	for (size_t i = 0; i < filter->n_entries; i++) {
		if (regexec(&filter->entries[i].regex, path, 0, NULL, 0) == 0) {
			if (ret_entry)
				*ret_entry = (ssize_t)i;
			return filter->entries[i].accept ? DEVICE_FILTER_ACCEPT : DEVICE_FILTER_REJECT;
		}
	}
	if (ret_entry)
		*ret_entry = -1;
	return DEVICE_FILTER_REJECT;
}

enum device_filter_verdict device_filter_match_aliases(const struct device_filter *filter,
						       const char *const *paths, size_t n_paths,
						       ssize_t *ret_alias, ssize_t *ret_entry)
{
	ssize_t rejected_alias = -1, rejected_entry = -1;

	for (size_t i = 0; i < n_paths; i++) {
		ssize_t entry;

		if (!paths[i])
			continue;
		if (device_filter_match(filter, paths[i], &entry) == DEVICE_FILTER_ACCEPT) {
			if (ret_alias)
				*ret_alias = (ssize_t)i;
			if (ret_entry)
				*ret_entry = entry;
			return DEVICE_FILTER_ACCEPT;
		}
		if (entry >= 0 && rejected_alias < 0) {
			rejected_alias = (ssize_t)i;
			rejected_entry = entry;
		}
	}
	if (ret_alias)
		*ret_alias = rejected_alias;
	if (ret_entry)
		*ret_entry = rejected_entry;
	return DEVICE_FILTER_REJECT;
}

size_t device_filter_count(const struct device_filter *filter)
{
	return filter->n_entries;
}

const char *device_filter_entry(const struct device_filter *filter, size_t index)
{
	return index < filter->n_entries ? filter->entries[index].spelling : NULL;
}

void device_filter_explain(const struct device_filter *filter, ssize_t entry, char *buf, size_t size)
{
	if (size == 0)
		return;
	if (entry >= 0 && (size_t)entry < filter->n_entries)
		snprintf(buf, size, "%s by %s entry %zd (\"%s\")",
			 filter->entries[entry].accept ? "accepted" : "rejected", filter->what, entry + 1,
			 filter->entries[entry].spelling);
	else
		snprintf(buf, size, "matched by no %s entry (unmatched devices are rejected)",
			 filter->what);
}
