/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The lvm.conf / LVM2 text-metadata syntax ("libdm config"): a tree of
 * sections `name { ... }` and assignments `key = value`, where a value is a
 * decimal integer (possibly negative), a float, a double-quoted string with
 * backslash escapes, or a list `[ v, v, ... ]` of those (possibly empty).
 * `#` starts a comment to the end of the line. Whitespace and newlines are
 * not significant.
 *
 * Used for VG metadata (lvm/vg-text.c) and for vgtoold's configuration file.
 *
 * The parser never reads outside [text, text + len), accepts embedded NULs
 * only as the end of input, bounds nesting depth, and reports errors as
 * "line N: what was wrong".
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "strbuf.h"

enum cfg_value_type {
	CFG_INT,
	CFG_FLOAT,
	CFG_STRING,
	CFG_LIST,
};

struct cfg_value {
	enum cfg_value_type type;
	int64_t integer;       /* CFG_INT */
	char *text;            /* CFG_FLOAT: spelling as written; CFG_STRING: unescaped */
	struct cfg_value *items; /* CFG_LIST: array of n_items (no nested lists) */
	size_t n_items;
};

struct cfg_node {
	char *key;
	bool is_section;
	struct cfg_value value;    /* assignments only */
	struct cfg_node *children; /* sections only: first child, in file order */
	struct cfg_node *next;     /* next sibling */
	unsigned line;             /* 1-based line of the key in the parsed text */
};

/* A parsed document: the root is an unnamed section holding the top-level nodes. */
struct cfg_tree {
	struct cfg_node root;
	void *arena; /* owner of every node and string of the tree */
};

/*
 * Parse @len bytes of @text (need not be NUL-terminated; parsing stops at the
 * first NUL). Returns 0 and *ret_tree, or -EBADMSG with "line N: ..." in @err.
 */
int cfg_parse(const char *text, size_t len, struct cfg_tree **ret_tree, struct vg_error *err);
struct cfg_tree *cfg_tree_free(struct cfg_tree *tree);
DEFINE_CLEANUP_FUNC(struct cfg_tree, cfg_tree_free)

/* First child of @section named @key (NULL if none). Paths "a/b/c" descend through sections. */
const struct cfg_node *cfg_find(const struct cfg_node *section, const char *path);

/*
 * Typed look-ups. They return 0 and fill *ret, -ENOENT when the key is
 * absent (ret untouched), -EINVAL with a message "line N: KEY must be ..."
 * when the type is wrong.
 */
int cfg_get_int(const struct cfg_node *section, const char *path, int64_t *ret, struct vg_error *err);
int cfg_get_string(const struct cfg_node *section, const char *path, const char **ret,
		   struct vg_error *err);

/*
 * Stand-alone nodes, owned by the caller (not by a tree): for models that keep
 * keys they do not understand and write them back.
 */
struct cfg_node *cfg_node_clone(const struct cfg_node *node); /* deep copy of one node (and its subtree), next = NULL */
struct cfg_node *cfg_node_list_free(struct cfg_node *first); /* frees a sibling chain of cloned nodes */
/* Deep copy of a whole sibling chain (NULL for an empty chain or on ENOMEM). */
struct cfg_node *cfg_node_list_clone(const struct cfg_node *first);

/* Escape and quote @s as a config string ("a\"b"). */
void cfg_write_string(struct strbuf *out, const char *s);
/* The value alone (no key), rendered as the parser would read it back: 12, -3, 1.5, "s", ["a", 2]. */
void cfg_write_value(struct strbuf *out, const struct cfg_value *value);

enum cfg_write_style {
	CFG_STYLE_RAW,      /* no indentation (LVM2 on-disk metadata) */
	CFG_STYLE_INDENTED, /* one tab per nesting level (backup files, configuration) */
};
/* Write a sibling chain of nodes, sections recursively. @depth: starting nesting depth. */
void cfg_write_nodes(struct strbuf *out, const struct cfg_node *first, enum cfg_write_style style,
		     unsigned depth);
