/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "size.h"

static uint64_t parse_ok(const char *text, char unit)
{
	uint64_t bytes = 0;
	struct vg_error err = { 0 };

	assert_int_equal(size_parse(text, unit, &bytes, &err), 0);
	return bytes;
}

static void test_units(void **state)
{
	assert_int_equal(parse_ok("20G", 'm'), UINT64_C(20) << 30);
	assert_int_equal(parse_ok("20g", 'm'), UINT64_C(20) << 30);
	assert_int_equal(parse_ok("20GiB", 'm'), UINT64_C(20) << 30);
	assert_int_equal(parse_ok("512", 'm'), UINT64_C(512) << 20);
	assert_int_equal(parse_ok("512", 'b'), 512);
	assert_int_equal(parse_ok("8s", 'm'), 4096);
	assert_int_equal(parse_ok("1.5G", 'm'), UINT64_C(3) << 29);
	assert_int_equal(parse_ok("0.25k", 'm'), 256);
	assert_int_equal(parse_ok("1E", 'm'), UINT64_C(1) << 60);
}

static void test_rejects(void **state)
{
	uint64_t bytes = 7;
	struct vg_error err = { 0 };

	assert_int_equal(size_parse("20GB", 'm', &bytes, &err), -EINVAL);
	assert_non_null(strstr(err.message, "binary"));
	assert_int_equal(size_parse("", 'm', &bytes, &err), -EINVAL);
	assert_int_equal(size_parse("G", 'm', &bytes, &err), -EINVAL);
	assert_int_equal(size_parse("1.G", 'm', &bytes, &err), -EINVAL);
	assert_int_equal(size_parse("12Q", 'm', &bytes, &err), -EINVAL);
	assert_non_null(strstr(err.message, "\"Q\""));
	assert_int_equal(size_parse("16E", 'm', &bytes, &err), -ERANGE);
	assert_int_equal(size_parse("99999999999999999999", 'b', &bytes, &err), -ERANGE);
	assert_int_equal(bytes, 7); /* untouched on failure */
}

static void test_specs(void **state)
{
	struct size_spec spec;

	assert_int_equal(size_spec_parse("+10G", 'm', &spec, NULL), 0);
	assert_int_equal(spec.sign, SIZE_SIGN_PLUS);
	assert_int_equal(spec.bytes, UINT64_C(10) << 30);
	assert_int_equal(size_spec_parse("100%FREE", 'm', &spec, NULL), 0);
	assert_int_equal(spec.percent_of, SIZE_PERCENT_FREE);
	assert_int_equal(spec.percent, 100);
	assert_int_equal(size_spec_parse("50%vg", 'm', &spec, NULL), 0);
	assert_int_equal(spec.percent_of, SIZE_PERCENT_VG);
	assert_int_equal(size_spec_parse("101%FREE", 'm', &spec, NULL), -EINVAL);
	assert_int_equal(size_spec_parse("0%FREE", 'm', &spec, NULL), -EINVAL);
	assert_int_equal(size_spec_parse("50%DISK", 'm', &spec, NULL), -EINVAL);
	assert_int_equal(size_spec_parse("%FREE", 'm', &spec, NULL), -EINVAL);
}

static void test_format(void **state)
{
	char buf[64];

	assert_string_equal(size_format(0, buf, sizeof(buf)), "0");
	assert_string_equal(size_format(512, buf, sizeof(buf)), "512 B");
	assert_string_equal(size_format(UINT64_C(20) << 30, buf, sizeof(buf)), "20 GiB");
	assert_string_equal(size_format(UINT64_C(3) << 29, buf, sizeof(buf)), "1.50 GiB");
	/* truncated, never rounded up */
	assert_string_equal(size_format((UINT64_C(1) << 30) - 1, buf, sizeof(buf)), "1023.99 MiB");
	assert_string_equal(size_format_unit(UINT64_C(1) << 30, 'm', buf, sizeof(buf)), "1024 MiB");
	assert_string_equal(size_format_unit(4096, 's', buf, sizeof(buf)), "8s");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_specs),
		cmocka_unit_test(test_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
