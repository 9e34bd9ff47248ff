/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer harness for the config syntax parser (common/cfg.c), which
 * reads metadata text straight off any disk. Properties checked (abort()
 * when broken): parsing never crashes or reads out of bounds (the
 * sanitizers see to that), and whatever parses is a fixed point of
 * write-then-parse in both writer styles: writing the tree, parsing that
 * and writing again gives the same bytes, and stand-alone copies write the
 * same as the tree they came from.
 */
#include <stdlib.h>
#include <string.h>

#include "cfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *write_tree(const struct cfg_node *first, enum cfg_write_style style, size_t *ret_len)
{
	struct strbuf sb;
	char *text;

	strbuf_init(&sb);
	cfg_write_nodes(&sb, first, style, 0);
	text = strbuf_steal(&sb, ret_len);
	if (!text)
		abort(); /* only ENOMEM, which a fuzzer run does not expect */
	return text;
}

static void check_fixed_point(const struct cfg_tree *tree, enum cfg_write_style style)
{
	_cleanup_(cfg_tree_freep) struct cfg_tree *again = NULL;
	_cleanup_free_ char *first = NULL, *second = NULL, *copied = NULL;
	struct cfg_node *copy = NULL;
	struct vg_error err = { 0 };
	size_t len1, len2, len3;

	first = write_tree(tree->root.children, style, &len1);
	if (cfg_parse(first, len1, &again, &err) < 0)
		abort(); /* we wrote something we cannot read */
	second = write_tree(again->root.children, style, &len2);
	if (len1 != len2 || memcmp(first, second, len1) != 0)
		abort();

	copy = cfg_node_list_clone(tree->root.children);
	if (tree->root.children && !copy)
		abort();
	copied = write_tree(copy, style, &len3);
	cfg_node_list_free(copy);
	if (len1 != len3 || memcmp(first, copied, len1) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(cfg_tree_freep) struct cfg_tree *tree = NULL;
	struct vg_error err = { 0 };
	const struct cfg_node *n;
	int64_t v;
	const char *s;

	if (cfg_parse((const char *)data, size, &tree, &err) < 0) {
		/* every refusal says where */
		if (err.code != -EBADMSG || strncmp(err.message, "line ", 5) != 0)
			abort();
		return 0;
	}
	check_fixed_point(tree, CFG_STYLE_RAW);
	check_fixed_point(tree, CFG_STYLE_INDENTED);

	/* exercise look-ups on whatever the first keys are */
	for (n = tree->root.children; n; n = n->next) {
		(void)cfg_get_int(&tree->root, n->key, &v, &err);
		(void)cfg_get_string(&tree->root, n->key, &s, &err);
		if (n->is_section && n->children)
			(void)cfg_find(n, n->children->key);
	}
	return 0;
}
