/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of daemon/device-filter: lvm.conf-style accept/reject entries
 * with any delimiter (and lvm2's bracket pairs), first match wins, nothing
 * matched is rejected, a device judged by all its names as lvm2 does, and
 * every malformed entry refused with "devices/filter entry N: ...".
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "device-filter.h"

static struct device_filter *parse_ok(const char *const *patterns, size_t n)
{
	struct device_filter *filter = NULL;
	struct vg_error err = { 0 };

	if (device_filter_parse(patterns, n, NULL, &filter, &err) < 0)
		fail_msg("parse failed: %s", err.message);
	assert_non_null(filter);
	return filter;
}

/* Parsing @pattern alone (as entry @index of a list of two) must fail with a message naming it. */
static void parse_fails(const char *pattern, const char *what)
{
	const char *patterns[] = { "a|^/dev/ok$|", pattern };
	struct device_filter *filter = (struct device_filter *)0x1;
	struct vg_error err = { 0 };

	assert_int_equal(device_filter_parse(patterns, 2, NULL, &filter, &err), -EINVAL);
	assert_ptr_equal(filter, (struct device_filter *)0x1); /* untouched on failure */
	assert_int_equal(err.code, -EINVAL);
	if (strncmp(err.message, "devices/filter entry 2: ", 24) != 0 || !strstr(err.message, what))
		fail_msg("for \"%s\": expected \"devices/filter entry 2: ...%s...\", got \"%s\"", pattern,
			 what, err.message);
}

static void assert_verdict(const struct device_filter *filter, const char *path,
			   enum device_filter_verdict expected, ssize_t expected_entry)
{
	ssize_t entry = -2;
	enum device_filter_verdict v = device_filter_match(filter, path, &entry);

	if (v != expected || entry != expected_entry)
		fail_msg("%s: expected %s by entry %zd, got %s by entry %zd", path,
			 expected == DEVICE_FILTER_ACCEPT ? "accept" : "reject", expected_entry,
			 v == DEVICE_FILTER_ACCEPT ? "accept" : "reject", entry);
}

static void test_first_match_wins(void **state)
{
	const char *patterns[] = { "r|^/dev/sda$|", "a|^/dev/sd|", "r|.*|" };
	_cleanup_(device_filter_freep) struct device_filter *f = parse_ok(patterns, 3);

	assert_int_equal(device_filter_count(f), 3);
	assert_verdict(f, "/dev/sda", DEVICE_FILTER_REJECT, 0);
	assert_verdict(f, "/dev/sdb", DEVICE_FILTER_ACCEPT, 1);
	assert_verdict(f, "/dev/sda1", DEVICE_FILTER_ACCEPT, 1); /* entry 0 is anchored at both ends */
	assert_verdict(f, "/dev/vda", DEVICE_FILTER_REJECT, 2);
	assert_string_equal(device_filter_entry(f, 1), "a|^/dev/sd|");
	assert_null(device_filter_entry(f, 3));
}

static void test_no_match_rejects(void **state)
{
	const char *patterns[] = { "a|^/dev/loop[0-9]+$|" };
	_cleanup_(device_filter_freep) struct device_filter *f = parse_ok(patterns, 1);
	_cleanup_(device_filter_freep) struct device_filter *empty = parse_ok(NULL, 0);

	/* lvm2 would accept what nothing matches; the daemon must not. */
	assert_verdict(f, "/dev/loop12", DEVICE_FILTER_ACCEPT, 0);
	assert_verdict(f, "/dev/sda", DEVICE_FILTER_REJECT, -1);
	assert_verdict(f, "/dev/loop1p1", DEVICE_FILTER_REJECT, -1);
	assert_verdict(empty, "/dev/sda", DEVICE_FILTER_REJECT, -1);
	assert_int_equal(device_filter_match(f, "/dev/sdz", NULL), DEVICE_FILTER_REJECT);
}

static void test_unanchored_search(void **state)
{
	const char *patterns[] = { "a|loop|", "r|.*|" };
	_cleanup_(device_filter_freep) struct device_filter *f = parse_ok(patterns, 2);

	/* The expression is searched for anywhere, as regexec does (and lvm2). */
	assert_verdict(f, "/dev/loop3", DEVICE_FILTER_ACCEPT, 0);
	assert_verdict(f, "/srv/images/loopy.img", DEVICE_FILTER_ACCEPT, 0);
	assert_verdict(f, "/dev/sda", DEVICE_FILTER_REJECT, 1);
}

static void test_delimiters(void **state)
{
	const char *patterns[] = {
		"a/^\\/dev\\/vd[a-c]$/", /* '/' with escaped slashes inside */
		"a#^/dev/nvme#",
		"a(^/dev/xvd.$)",      /* lvm2 pairs ( with ) */
		"a[^/dev/hd.$]",        /* [ with ] */
		"a{^/dev/md[0-9]+$}",   /* { with } */
		"a|^/dev/(sdb|sdc)$|", /* the delimiter inside: only the last character closes */
		"r!.*!",
	};
	_cleanup_(device_filter_freep) struct device_filter *f = parse_ok(patterns, ARRAY_SIZE(patterns));

	assert_verdict(f, "/dev/vdb", DEVICE_FILTER_ACCEPT, 0);
	assert_verdict(f, "/dev/vdd", DEVICE_FILTER_REJECT, 6);
	assert_verdict(f, "/dev/nvme0n1", DEVICE_FILTER_ACCEPT, 1);
	assert_verdict(f, "/dev/xvdq", DEVICE_FILTER_ACCEPT, 2);
	assert_verdict(f, "/dev/hdz", DEVICE_FILTER_ACCEPT, 3);
	assert_verdict(f, "/dev/md127", DEVICE_FILTER_ACCEPT, 4);
	assert_verdict(f, "/dev/sdc", DEVICE_FILTER_ACCEPT, 5);
	assert_verdict(f, "/dev/sdd", DEVICE_FILTER_REJECT, 6);
}

static void test_bad_entries(void **state)
{
	parse_fails("", "empty pattern");
	parse_fails("x|^/dev/sda$|", "must start with 'a' (accept) or 'r' (reject)");
	parse_fails("A|^/dev/sda$|", "must start with 'a'");
	parse_fails("a", "no delimited expression");
	parse_fails("a|", "no delimited expression");
	parse_fails("a||", "empty expression");
	parse_fails("a|^/dev/sda$", "does not end with the delimiter '|'");
	parse_fails("a(^/dev/sda$(", "does not end with the delimiter ')'");
	parse_fails("a ^/dev/sda$ ", "cannot be a delimiter");
	parse_fails("a|(^/dev/sda|", "bad regular expression \"(^/dev/sda\"");
	parse_fails("a|[a-|", "bad regular expression");
	parse_fails("a|*{3,1}|", "bad regular expression");
}

static void test_error_names_setting(void **state)
{
	const char *patterns[] = { "q|x|" };
	struct device_filter *f = NULL;
	struct vg_error err = { 0 };

	assert_int_equal(device_filter_parse(patterns, 1, "devices/global_filter", &f, &err), -EINVAL);
	assert_null(f);
	assert_true(strncmp(err.message, "devices/global_filter entry 1: ", 31) == 0);
}

static const struct cfg_value *filter_value(struct cfg_tree *tree)
{
	const struct cfg_node *node = cfg_find(&tree->root, "devices/filter");

	assert_non_null(node);
	return &node->value;
}

static struct cfg_tree *parse_config(const char *text)
{
	struct cfg_tree *tree = NULL;
	struct vg_error err = { 0 };

	if (cfg_parse(text, strlen(text), &tree, &err) < 0)
		fail_msg("config: %s", err.message);
	return tree;
}

static void test_from_config(void **state)
{
	_cleanup_(cfg_tree_freep) struct cfg_tree *tree = parse_config(
		"devices {\n"
		"	filter = [ \"a|^/dev/loop[0-9]+$|\", \"a|^/srv/images/.*\\\\.img$|\", \"r|.*|\" ]\n"
		"}\n");
	_cleanup_(device_filter_freep) struct device_filter *f = NULL;
	struct vg_error err = { 0 };

	if (device_filter_parse_cfg(filter_value(tree), NULL, &f, &err) < 0)
		fail_msg("%s", err.message);
	assert_int_equal(device_filter_count(f), 3);
	assert_verdict(f, "/dev/loop7", DEVICE_FILTER_ACCEPT, 0);
	assert_verdict(f, "/srv/images/a.img", DEVICE_FILTER_ACCEPT, 1);
	assert_verdict(f, "/srv/images/aximg", DEVICE_FILTER_REJECT, 2); /* "\\." in the config is a literal dot */
	assert_verdict(f, "/dev/sda", DEVICE_FILTER_REJECT, 2);
}

static void test_from_config_single_string(void **state)
{
	_cleanup_(cfg_tree_freep) struct cfg_tree *tree =
		parse_config("devices { filter = \"a|^/dev/sdb$|\" }\n");
	_cleanup_(device_filter_freep) struct device_filter *f = NULL;
	struct vg_error err = { 0 };

	assert_int_equal(device_filter_parse_cfg(filter_value(tree), NULL, &f, &err), 0);
	assert_int_equal(device_filter_count(f), 1);
	assert_verdict(f, "/dev/sdb", DEVICE_FILTER_ACCEPT, 0);
}

static void test_from_config_errors(void **state)
{
	static const struct {
		const char *text;
		const char *message;
	} cases[] = {
		{ "devices { filter = [ \"a|x|\", 3 ] }", "devices/filter entry 2: must be a quoted pattern" },
		{ "devices { filter = [ \"a|x|\", 1.5 ] }", "devices/filter entry 2: must be a quoted pattern" },
		{ "devices { filter = 7 }", "devices/filter must be a list of quoted patterns" },
		{ "devices { filter = [ \"r|.*|\", \"a|(|\" ] }", "devices/filter entry 2: bad regular expression" },
		{ "devices { filter = [ \"r|.*|\", \"a|x|\", \"z|y|\" ] }", "devices/filter entry 3: " },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_(cfg_tree_freep) struct cfg_tree *tree = parse_config(cases[i].text);
		struct device_filter *f = NULL;
		struct vg_error err = { 0 };

		assert_int_equal(device_filter_parse_cfg(filter_value(tree), NULL, &f, &err), -EINVAL);
		assert_null(f);
		if (!strstr(err.message, cases[i].message))
			fail_msg("%s: expected \"%s\", got \"%s\"", cases[i].text, cases[i].message, err.message);
	}
}

static void test_empty_config_list_rejects_all(void **state)
{
	_cleanup_(cfg_tree_freep) struct cfg_tree *tree = parse_config("devices { filter = [ ] }\n");
	_cleanup_(device_filter_freep) struct device_filter *f = NULL;

	assert_int_equal(device_filter_parse_cfg(filter_value(tree), NULL, &f, NULL), 0);
	assert_int_equal(device_filter_count(f), 0);
	assert_verdict(f, "/dev/sda", DEVICE_FILTER_REJECT, -1);
}

static void test_aliases_as_lvm2(void **state)
{
	const char *patterns[] = { "r|^/dev/sda$|", "a|^/dev/disk/by-id/wwn-|", "r|.*|" };
	_cleanup_(device_filter_freep) struct device_filter *f = parse_ok(patterns, 3);
	const char *accepted_by_link[] = { "/dev/sdb", "/dev/disk/by-path/pci-1", "/dev/disk/by-id/wwn-0x1" };
	const char *nothing_matches[] = { "/dev/x", "/dev/y" };
	ssize_t alias = -2, entry = -2;

	/* One accepted name is enough, as in lvm2's _accept_p; it tells which name did it. */
	assert_int_equal(device_filter_match_aliases(f, accepted_by_link, 3, &alias, &entry), DEVICE_FILTER_ACCEPT);
	assert_int_equal(alias, 2);
	assert_int_equal(entry, 1);

	/* Rejected: the first name an entry rejected is reported. */
	assert_int_equal(device_filter_match_aliases(f, accepted_by_link, 2, &alias, &entry), DEVICE_FILTER_REJECT);
	assert_int_equal(alias, 0);
	assert_int_equal(entry, 2);

	{
		const char *patterns2[] = { "a|^/dev/sd|" };
		_cleanup_(device_filter_freep) struct device_filter *g = parse_ok(patterns2, 1);

		assert_int_equal(device_filter_match_aliases(g, nothing_matches, 2, &alias, &entry),
				 DEVICE_FILTER_REJECT);
		assert_int_equal(alias, -1);
		assert_int_equal(entry, -1);
		assert_int_equal(device_filter_match_aliases(g, NULL, 0, NULL, NULL), DEVICE_FILTER_REJECT);
	}
}

static void test_explain(void **state)
{
	const char *patterns[] = { "a|^/dev/sdb$|", "r|.*|" };
	_cleanup_(device_filter_freep) struct device_filter *f = parse_ok(patterns, 2);
	char buf[256], tiny[8];

	device_filter_explain(f, 1, buf, sizeof(buf));
	assert_string_equal(buf, "rejected by devices/filter entry 2 (\"r|.*|\")");
	device_filter_explain(f, 0, buf, sizeof(buf));
	assert_string_equal(buf, "accepted by devices/filter entry 1 (\"a|^/dev/sdb$|\")");
	device_filter_explain(f, -1, buf, sizeof(buf));
	assert_non_null(strstr(buf, "matched by no devices/filter entry"));
	device_filter_explain(f, 1, tiny, sizeof(tiny));
	assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_match_wins),
		cmocka_unit_test(test_no_match_rejects),
		cmocka_unit_test(test_unanchored_search),
		cmocka_unit_test(test_delimiters),
		cmocka_unit_test(test_bad_entries),
		cmocka_unit_test(test_error_names_setting),
		cmocka_unit_test(test_from_config),
		cmocka_unit_test(test_from_config_single_string),
		cmocka_unit_test(test_from_config_errors),
		cmocka_unit_test(test_empty_config_list_rejects_all),
		cmocka_unit_test(test_aliases_as_lvm2),
		cmocka_unit_test(test_explain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
