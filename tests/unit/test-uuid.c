/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "uuid.h"

static void test_generate_is_valid_and_distinct(void **state)
{
	char a[LVM_UUID_LEN + 1], b[LVM_UUID_LEN + 1], parsed[LVM_UUID_LEN + 1];

	assert_int_equal(lvm_uuid_generate(a), 0);
	assert_int_equal(lvm_uuid_generate(b), 0);
	assert_int_equal(strlen(a), LVM_UUID_LEN);
	assert_string_not_equal(a, b);
	for (size_t i = 0; i < LVM_UUID_LEN; i++)
		assert_true((a[i] >= '0' && a[i] <= '9') || (a[i] >= 'a' && a[i] <= 'z') ||
			    (a[i] >= 'A' && a[i] <= 'Z'));
	assert_int_equal(lvm_uuid_parse(a, parsed, NULL), 0);
	assert_string_equal(parsed, a);
}

static void test_format_and_parse_round_trip(void **state)
{
	const char *raw = "AAAAAAbbbbCCCCddddEEEEffffGGGGGG";
	char text[LVM_UUID_TEXT_LEN + 1], back[LVM_UUID_LEN + 1];

	lvm_uuid_format(raw, text);
	assert_string_equal(text, "AAAAAA-bbbb-CCCC-dddd-EEEE-ffff-GGGGGG");
	assert_int_equal(lvm_uuid_parse(text, back, NULL), 0);
	assert_string_equal(back, raw);
}

static void test_parse_rejects_bad_ids(void **state)
{
	char out[LVM_UUID_LEN + 1];
	struct vg_error err = { 0 };

	assert_int_equal(lvm_uuid_parse("short", out, &err), -EINVAL);
	assert_non_null(strstr(err.message, "not 32"));
	assert_int_equal(lvm_uuid_parse("AAAAAA-bbbb-CCCC-dddd-EEEE-ffff-GGGGG$", out, &err), -EINVAL);
	assert_non_null(strstr(err.message, "'$'"));
	assert_int_equal(lvm_uuid_parse("AAAAAA-bbbb-CCCC-dddd-EEEE-ffff-GGGGGGG", out, &err), -EINVAL);
	/* '!' and '#' are valid id characters for lvm2 */
	assert_int_equal(lvm_uuid_parse("!#AAAAbbbbCCCCddddEEEEffffGGGGGG", out, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generate_is_valid_and_distinct),
		cmocka_unit_test(test_format_and_parse_round_trip),
		cmocka_unit_test(test_parse_rejects_bad_ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
