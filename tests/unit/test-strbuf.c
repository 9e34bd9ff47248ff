/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of common/strbuf.c: appends of every kind, growth, reset,
 * handing the buffer over, and the sticky failure that lets renderers check
 * once at the end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "strbuf.h"

static void test_empty(void **state)
{
	struct strbuf sb;

	strbuf_init(&sb);
	assert_non_null(sb.data);
	assert_string_equal(sb.data, "");
	assert_int_equal(sb.len, 0);
	assert_int_equal(strbuf_status(&sb), 0);
	strbuf_reset(&sb);
	assert_string_equal(sb.data, "");
	strbuf_done(&sb);
	strbuf_done(&sb); /* done twice is harmless */
}

static void test_appends(void **state)
{
	struct strbuf sb;

	strbuf_init(&sb);
	strbuf_append(&sb, "abc", 3);
	strbuf_append(&sb, "ignored", 0);
	strbuf_putc(&sb, '-');
	strbuf_puts(&sb, "def");
	strbuf_printf(&sb, " %d:%s", 42, "x");
	assert_string_equal(sb.data, "abc-def 42:x");
	assert_int_equal(sb.len, strlen("abc-def 42:x"));
	assert_int_equal(strbuf_status(&sb), 0);
	strbuf_done(&sb);
}

static void test_growth(void **state)
{
	struct strbuf sb;
	char big[5000];

	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	strbuf_init(&sb);
	for (int i = 0; i < 10000; i++)
		strbuf_putc(&sb, (char)('a' + i % 26));
	assert_int_equal(sb.len, 10000);
	assert_int_equal(sb.data[9999], 'a' + 9999 % 26);
	assert_int_equal(sb.data[10000], '\0');
	/* printf of more than the room left takes the retry path */
	strbuf_printf(&sb, "[%s]", big);
	assert_int_equal(sb.len, 10000 + 2 + strlen(big));
	assert_int_equal(sb.data[10000], '[');
	assert_int_equal(sb.data[sb.len - 1], ']');
	assert_true(sb.capacity > sb.len);
	strbuf_done(&sb);
}

static void test_reset_keeps_allocation(void **state)
{
	struct strbuf sb;
	size_t cap;

	strbuf_init(&sb);
	strbuf_puts(&sb, "some text that needs a buffer");
	cap = sb.capacity;
	strbuf_reset(&sb);
	assert_int_equal(sb.len, 0);
	assert_string_equal(sb.data, "");
	assert_int_equal(sb.capacity, cap);
	strbuf_puts(&sb, "again");
	assert_string_equal(sb.data, "again");
	strbuf_done(&sb);
}

static void test_steal(void **state)
{
	struct strbuf sb;
	size_t len = 99;
	char *text;

	strbuf_init(&sb);
	strbuf_puts(&sb, "hand over");
	text = strbuf_steal(&sb, &len);
	assert_string_equal(text, "hand over");
	assert_int_equal(len, 9);
	assert_int_equal(sb.len, 0);
	assert_string_equal(sb.data, "");
	free(text);

	/* An empty buffer still hands over a string the caller can free. */
	text = strbuf_steal(&sb, NULL);
	assert_non_null(text);
	assert_string_equal(text, "");
	free(text);

	/* The strbuf can be used again after a steal. */
	strbuf_puts(&sb, "reuse");
	assert_string_equal(sb.data, "reuse");
	strbuf_done(&sb);
}

static void test_failure_is_sticky(void **state)
{
	struct strbuf sb;
	size_t len = 7;

	strbuf_init(&sb);
	strbuf_puts(&sb, "before");
	/* A reservation that cannot be satisfied marks the buffer failed. */
	assert_false(strbuf_reserve(&sb, SIZE_MAX));
	assert_true(sb.failed);
	assert_int_equal(strbuf_status(&sb), -ENOMEM);
	strbuf_puts(&sb, " after");
	strbuf_putc(&sb, '!');
	strbuf_printf(&sb, "%d", 5);
	assert_string_equal(sb.data, "before"); /* later appends were no-ops */
	assert_null(strbuf_steal(&sb, &len));
	assert_int_equal(len, 7);
	assert_int_equal(strbuf_status(&sb), 0); /* steal left it empty and usable */
	strbuf_done(&sb);

	/* reset clears the failure too */
	strbuf_init(&sb);
	assert_false(strbuf_reserve(&sb, SIZE_MAX - 1));
	strbuf_reset(&sb);
	assert_int_equal(strbuf_status(&sb), 0);
	strbuf_puts(&sb, "ok");
	assert_string_equal(sb.data, "ok");
	strbuf_done(&sb);
}

static void test_binary_data(void **state)
{
	struct strbuf sb;
	static const char bytes[] = { 'a', '\0', 'b' };

	strbuf_init(&sb);
	strbuf_append(&sb, bytes, sizeof(bytes));
	assert_int_equal(sb.len, 3);
	assert_memory_equal(sb.data, bytes, 3);
	assert_int_equal(sb.data[3], '\0');
	strbuf_done(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_appends),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_reset_keeps_allocation),
		cmocka_unit_test(test_steal),
		cmocka_unit_test(test_failure_is_sticky),
		cmocka_unit_test(test_binary_data),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
