/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The LVM CRC against vectors computed independently with zlib's crc32. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "crc.h"

static void test_known_vectors(void **state)
{
	assert_int_equal(crc_lvm(LVM_CRC_INITIAL, "", 0), 0xf597a6cfu);
	assert_int_equal(crc_lvm(LVM_CRC_INITIAL, "a", 1), 0x319b1949u);
	assert_int_equal(crc_lvm(LVM_CRC_INITIAL, "123456789", 9), 0x4991cf02u);
	/* the standard CRC-32 check value, through the same table */
	assert_int_equal(crc_lvm(0xffffffffu, "123456789", 9) ^ 0xffffffffu, 0xcbf43926u);
}

static void test_long_input_crosses_slices(void **state)
{
	char buf[83];

	for (size_t i = 0; i < 10; i++)
		memcpy(buf + 8 * i, "LABELONE", 8);
	memcpy(buf + 80, "xyz", 3);
	assert_int_equal(crc_lvm(LVM_CRC_INITIAL, buf, sizeof(buf)), 0x9f28104du);
}

static void test_chaining_equals_whole(void **state)
{
	uint8_t buf[1000];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	for (size_t split = 0; split <= sizeof(buf); split += 37) {
		uint32_t part = crc_lvm(LVM_CRC_INITIAL, buf, split);
		assert_int_equal(crc_lvm(part, buf + split, sizeof(buf) - split),
				 crc_lvm(LVM_CRC_INITIAL, buf, sizeof(buf)));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_vectors),
		cmocka_unit_test(test_long_input_crosses_slices),
		cmocka_unit_test(test_chaining_equals_whole),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
