/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of common/cfg.c: the lvm.conf / metadata syntax. Values of
 * every type, look-ups, copies, both writer styles, and the promise that
 * every malformed input is refused with -EBADMSG and "line N: ..." rather
 * than misread.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cfg.h"

static struct cfg_tree *parse_ok(const char *text)
{
	struct cfg_tree *tree = NULL;
	struct vg_error err = { 0 };
	int r = cfg_parse(text, strlen(text), &tree, &err);

	if (r < 0)
		fail_msg("parse failed: %s", err.message);
	assert_non_null(tree);
	return tree;
}

/* Parse must fail with -EBADMSG and a message starting "line N:" and containing @what. */
static void parse_fails(const char *text, unsigned line, const char *what)
{
	struct cfg_tree *tree = (struct cfg_tree *)0x1;
	struct vg_error err = { 0 };
	char prefix[32];

	assert_int_equal(cfg_parse(text, strlen(text), &tree, &err), -EBADMSG);
	assert_ptr_equal(tree, (struct cfg_tree *)0x1); /* untouched on failure */
	assert_int_equal(err.code, -EBADMSG);
	snprintf(prefix, sizeof(prefix), "line %u: ", line);
	if (strncmp(err.message, prefix, strlen(prefix)) != 0 || !strstr(err.message, what))
		fail_msg("for %s: expected \"%s...%s\", got \"%s\"", text, prefix, what,
			 err.message);
}

static void test_values(void **state)
{
	_cleanup_(cfg_tree_freep) struct cfg_tree *tree = parse_ok(
		"# a comment line\n"
		"top = 1\n"
		"neg = -42   # trailing comment\n"
		"plus = +7\n"
		"big = 9223372036854775807\n"
		"small = -9223372036854775808\n"
		"ratio = 0.75\n"
		"negf = -1.5\n"
		"name = \"with \\\"quotes\\\" and \\\\ backslash\"\n"
		"empty = \"\"\n"
		"list = [ \"a\", 2, 3.5, -4 ]\n"
		"none = []\n"
		"nocomma = [1 2 3,]\n"
		"multi = \"line one\nline two\"\n"
		"after = 5\n");
	const struct cfg_node *n;
	int64_t v = 0;
	const char *s = NULL;

	assert_int_equal(cfg_get_int(&tree->root, "top", &v, NULL), 0);
	assert_int_equal(v, 1);
	assert_int_equal(cfg_get_int(&tree->root, "neg", &v, NULL), 0);
	assert_int_equal(v, -42);
	assert_int_equal(cfg_get_int(&tree->root, "plus", &v, NULL), 0);
	assert_int_equal(v, 7);
	assert_int_equal(cfg_get_int(&tree->root, "big", &v, NULL), 0);
	assert_true(v == INT64_MAX);
	assert_int_equal(cfg_get_int(&tree->root, "small", &v, NULL), 0);
	assert_true(v == INT64_MIN);

	n = cfg_find(&tree->root, "ratio");
	assert_non_null(n);
	assert_int_equal(n->value.type, CFG_FLOAT);
	assert_string_equal(n->value.text, "0.75");
	assert_string_equal(cfg_find(&tree->root, "negf")->value.text, "-1.5");

	assert_int_equal(cfg_get_string(&tree->root, "name", &s, NULL), 0);
	assert_string_equal(s, "with \"quotes\" and \\ backslash");
	assert_int_equal(cfg_get_string(&tree->root, "empty", &s, NULL), 0);
	assert_string_equal(s, "");

	n = cfg_find(&tree->root, "list");
	assert_int_equal(n->value.type, CFG_LIST);
	assert_int_equal(n->value.n_items, 4);
	assert_int_equal(n->value.items[0].type, CFG_STRING);
	assert_string_equal(n->value.items[0].text, "a");
	assert_int_equal(n->value.items[1].integer, 2);
	assert_int_equal(n->value.items[2].type, CFG_FLOAT);
	assert_int_equal(n->value.items[3].integer, -4);

	n = cfg_find(&tree->root, "none");
	assert_int_equal(n->value.type, CFG_LIST);
	assert_int_equal(n->value.n_items, 0);
	n = cfg_find(&tree->root, "nocomma");
	assert_int_equal(n->value.n_items, 3);
	assert_int_equal(n->value.items[2].integer, 3);

	assert_int_equal(cfg_get_string(&tree->root, "multi", &s, NULL), 0);
	assert_string_equal(s, "line one\nline two");
	/* line numbers count the newline inside the string */
	assert_int_equal(cfg_find(&tree->root, "after")->line, 16);
	assert_int_equal(cfg_find(&tree->root, "top")->line, 2);
}

static void test_sections_and_paths(void **state)
{
	_cleanup_(cfg_tree_freep) struct cfg_tree *tree = parse_ok(
		"vg.odd-name+x_1 {\n"
		"\tid = \"x\"\n"
		"\tphysical_volumes {\n"
		"\t\tpv0 { pe_count = 15 }\n"
		"\t\tpv1 {\n\t\t\tpe_count = 16\n\t\t}\n"
		"\t}\n"
		"\tempty {}\n"
		"}\n"
		"dup = 1\n"
		"dup = 2\n");
	const struct cfg_node *vg, *n;
	int64_t v = 0;

	vg = cfg_find(&tree->root, "vg.odd-name+x_1");
	assert_non_null(vg);
	assert_true(vg->is_section);
	assert_int_equal(vg->line, 1);
	assert_int_equal(cfg_get_int(vg, "physical_volumes/pv1/pe_count", &v, NULL), 0);
	assert_int_equal(v, 16);
	assert_int_equal(
		cfg_get_int(&tree->root, "vg.odd-name+x_1/physical_volumes/pv0/pe_count", &v, NULL),
		0);
	assert_int_equal(v, 15);
	n = cfg_find(vg, "physical_volumes/pv1/pe_count");
	assert_int_equal(n->line, 6);
	n = cfg_find(vg, "empty");
	assert_true(n->is_section);
	assert_null(n->children);

	/* children in file order */
	n = cfg_find(vg, "physical_volumes")->children;
	assert_string_equal(n->key, "pv0");
	assert_string_equal(n->next->key, "pv1");
	assert_null(n->next->next);

	/* first of duplicate keys wins */
	assert_int_equal(cfg_get_int(&tree->root, "dup", &v, NULL), 0);
	assert_int_equal(v, 1);

	assert_null(cfg_find(vg, "nothing"));
	assert_null(cfg_find(vg, "id/below")); /* cannot descend through an assignment */
	assert_null(cfg_find(vg, ""));
	assert_null(cfg_find(NULL, "id"));
	assert_null(cfg_find(vg, "physical_volumes/pv9/pe_count"));
}

static void test_typed_getters(void **state)
{
	_cleanup_(cfg_tree_freep) struct cfg_tree *tree =
		parse_ok("a = 1\nb = \"x\"\nc { }\nd = [1]\n");
	struct vg_error err = { 0 };
	int64_t v = 77;
	const char *s = "untouched";

	assert_int_equal(cfg_get_int(&tree->root, "missing", &v, &err), -ENOENT);
	assert_int_equal(v, 77);
	assert_int_equal(cfg_get_int(&tree->root, "b", &v, &err), -EINVAL);
	assert_int_equal(v, 77);
	assert_string_equal(err.message, "line 2: b must be an integer");
	assert_int_equal(cfg_get_int(&tree->root, "c", &v, &err), -EINVAL);
	assert_string_equal(err.message, "line 3: c must be an integer");
	assert_int_equal(cfg_get_string(&tree->root, "a", &s, &err), -EINVAL);
	assert_string_equal(s, "untouched");
	assert_string_equal(err.message, "line 1: a must be a string");
	assert_int_equal(cfg_get_string(&tree->root, "d", &s, &err), -EINVAL);
	assert_int_equal(cfg_get_string(&tree->root, "none", &s, NULL), -ENOENT);
}

static void test_errors(void **state)
{
	char deep[4096];
	size_t len = 0;

	parse_fails("a = \"unterminated\n\n", 1, "unterminated string");
	parse_fails("x = 1\na = \"ends in backslash\\", 2, "unterminated string");
	parse_fails("a = [1, 2\n", 1, "unterminated list");
	parse_fails("a = [1, [2]]\n", 1, "nested");
	parse_fails("a 1\n", 1, "expected '=' or '{' after \"a\"");
	parse_fails("\n\n}\n", 3, "'}'");
	parse_fails("s {\n a = 1\n", 3, "section \"s\" opened on line 1 is not closed");
	parse_fails("a = 9223372036854775808\n", 1, "out of range");
	parse_fails("a = -9223372036854775809\n", 1, "out of range");
	parse_fails("a = 99999999999999999999999\n", 1, "out of range");
	parse_fails("a = 12abc\n", 1, "invalid number");
	parse_fails("a = 1.\n", 1, "invalid number");
	parse_fails("a = 1.5.6\n", 1, "invalid number");
	parse_fails("a = -\n", 1, "invalid number");
	parse_fails("a = \n", 1, "\"a\" has no value");
	parse_fails("a = bareword\n", 1, "expected a value");
	parse_fails("a = {\n", 1, "expected a value");
	parse_fails("= 5\n", 1, "expected a key");
	parse_fails("a = [,]\n", 1, "expected a value");
	parse_fails("ok = 1\n[\n", 2, "expected a key");
	parse_fails("a = \x01\n", 1, "byte 0x01");

	/* nesting is bounded */
	for (int i = 0; i < 100; i++)
		len += (size_t)snprintf(deep + len, sizeof(deep) - len, "s%d {\n", i);
	parse_fails(deep, 65, "nested deeper than 64");
}

static void test_nul_and_length(void **state)
{
	struct cfg_tree *tree = NULL;
	struct vg_error err = { 0 };
	static const char with_nul[] = "a = 1\n\0b = [unparsable";
	static const char not_terminated[] = { 'a', ' ', '=', ' ', '1', '2' };

	/* parsing stops at the first NUL */
	assert_int_equal(cfg_parse(with_nul, sizeof(with_nul), &tree, &err), 0);
	assert_non_null(cfg_find(&tree->root, "a"));
	assert_null(cfg_find(&tree->root, "b"));
	tree = cfg_tree_free(tree);

	/* never reads past len: "a = 12" with no terminator at all */
	assert_int_equal(cfg_parse(not_terminated, sizeof(not_terminated), &tree, &err), 0);
	assert_int_equal(cfg_find(&tree->root, "a")->value.integer, 12);
	tree = cfg_tree_free(tree);
	/* a prefix of it: "a = 1" */
	assert_int_equal(cfg_parse(not_terminated, 5, &tree, &err), 0);
	assert_int_equal(cfg_find(&tree->root, "a")->value.integer, 1);
	tree = cfg_tree_free(tree);
	/* and "a = " has no value */
	assert_int_equal(cfg_parse(not_terminated, 4, &tree, &err), -EBADMSG);

	/* empty input is an empty document */
	assert_int_equal(cfg_parse("", 0, &tree, &err), 0);
	assert_null(tree->root.children);
	tree = cfg_tree_free(tree);
	assert_int_equal(cfg_parse(NULL, 0, &tree, &err), 0);
	tree = cfg_tree_free(tree);
	assert_null(cfg_tree_free(NULL));
}

static char *write_nodes(const struct cfg_node *first, enum cfg_write_style style)
{
	struct strbuf sb;

	strbuf_init(&sb);
	cfg_write_nodes(&sb, first, style, 0);
	assert_int_equal(strbuf_status(&sb), 0);
	return strbuf_steal(&sb, NULL);
}

static const char writer_input[] =
	"vg { id = \"a\\\"b\\\\c\" n = -3 f = 2.50 l = [\"x\", 1] e = []\n"
	"pvs { pv0 { c = 1 } } }\ntop = 1\n";

static void test_writer_styles(void **state)
{
	_cleanup_(cfg_tree_freep) struct cfg_tree *tree = parse_ok(writer_input);
	_cleanup_free_ char *raw = write_nodes(tree->root.children, CFG_STYLE_RAW);
	_cleanup_free_ char *indented = write_nodes(tree->root.children, CFG_STYLE_INDENTED);

	assert_string_equal(raw, "vg {\n"
				 "id = \"a\\\"b\\\\c\"\n"
				 "n = -3\n"
				 "f = 2.50\n"
				 "l = [\"x\", 1]\n"
				 "e = []\n"
				 "pvs {\n"
				 "pv0 {\n"
				 "c = 1\n"
				 "}\n"
				 "}\n"
				 "}\n"
				 "top = 1\n");
	assert_string_equal(indented, "vg {\n"
				      "\tid = \"a\\\"b\\\\c\"\n"
				      "\tn = -3\n"
				      "\tf = 2.50\n"
				      "\tl = [\"x\", 1]\n"
				      "\te = []\n"
				      "\tpvs {\n"
				      "\t\tpv0 {\n"
				      "\t\t\tc = 1\n"
				      "\t\t}\n"
				      "\t}\n"
				      "}\n"
				      "top = 1\n");
}

static void test_write_parse_round_trip(void **state)
{
	_cleanup_(cfg_tree_freep) struct cfg_tree *tree = parse_ok(writer_input);
	_cleanup_(cfg_tree_freep) struct cfg_tree *again = NULL;
	_cleanup_free_ char *first = write_nodes(tree->root.children, CFG_STYLE_INDENTED);
	_cleanup_free_ char *second = NULL;

	again = parse_ok(first);
	second = write_nodes(again->root.children, CFG_STYLE_INDENTED);
	assert_string_equal(first, second);
	assert_string_equal(cfg_find(&again->root, "vg/id")->value.text, "a\"b\\c");
}

static void test_write_value_and_string(void **state)
{
	struct strbuf sb;
	struct cfg_value items[] = {
		{ .type = CFG_INT, .integer = INT64_MIN },
		{ .type = CFG_STRING, .text = (char *)"q\"" },
	};
	struct cfg_value list = { .type = CFG_LIST, .items = items, .n_items = 2 };
	struct cfg_value num = { .type = CFG_INT, .integer = 0 };

	strbuf_init(&sb);
	cfg_write_string(&sb, "plain");
	strbuf_putc(&sb, ' ');
	cfg_write_string(&sb, "\\\"");
	strbuf_putc(&sb, ' ');
	cfg_write_value(&sb, &list);
	strbuf_putc(&sb, ' ');
	cfg_write_value(&sb, &num);
	assert_string_equal(sb.data, "\"plain\" \"\\\\\\\"\" [-9223372036854775808, \"q\\\"\"] 0");
	strbuf_done(&sb);
}

static void test_clone(void **state)
{
	struct cfg_tree *tree =
		parse_ok("s {\n a = \"text\"\n l = [1, \"two\"]\n sub { f = 1.5 }\n}\nt = 2\n");
	struct cfg_node *copy, *chain;
	char *written;

	copy = cfg_node_clone(cfg_find(&tree->root, "s"));
	chain = cfg_node_list_clone(tree->root.children);
	tree = cfg_tree_free(tree); /* the copies must not depend on the tree */

	assert_non_null(copy);
	assert_null(copy->next);
	assert_int_equal(copy->line, 1);
	written = write_nodes(copy, CFG_STYLE_RAW);
	assert_string_equal(written, "s {\na = \"text\"\nl = [1, \"two\"]\nsub {\nf = 1.5\n}\n}\n");
	free(written);

	assert_non_null(chain);
	assert_string_equal(chain->key, "s");
	assert_string_equal(chain->next->key, "t");
	assert_int_equal(chain->next->value.integer, 2);

	assert_null(cfg_node_list_free(copy));
	assert_null(cfg_node_list_free(chain));
	assert_null(cfg_node_clone(NULL));
	assert_null(cfg_node_list_clone(NULL));
	assert_null(cfg_node_list_free(NULL));
}

/* A document the size of a 10 000-LV VG parses; nothing is timed here (bench/ does that). */
static void test_large_document(void **state)
{
	struct strbuf sb;
	struct cfg_tree *tree = NULL;
	struct vg_error err = { 0 };
	int64_t v = 0;

	strbuf_init(&sb);
	strbuf_puts(&sb, "lvs {\n");
	for (int i = 0; i < 10000; i++)
		strbuf_printf(&sb, "lv%d {\nid = \"%032d\"\nstatus = [\"READ\", \"WRITE\"]\n"
				   "seg { start = %d\nstripes = [\n\"pv0\", %d\n]\n}\n}\n",
			      i, i, i, i * 3);
	strbuf_puts(&sb, "}\n");
	assert_int_equal(cfg_parse(sb.data, sb.len, &tree, &err), 0);
	assert_int_equal(cfg_get_int(&tree->root, "lvs/lv9999/seg/start", &v, NULL), 0);
	assert_int_equal(v, 9999);
	assert_int_equal(cfg_find(&tree->root, "lvs/lv9999/seg/stripes")->value.items[1].integer,
			 29997);
	cfg_tree_free(tree);
	strbuf_done(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_sections_and_paths),
		cmocka_unit_test(test_typed_getters),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_nul_and_length),
		cmocka_unit_test(test_writer_styles),
		cmocka_unit_test(test_write_parse_round_trip),
		cmocka_unit_test(test_write_value_and_string),
		cmocka_unit_test(test_clone),
		cmocka_unit_test(test_large_document),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
