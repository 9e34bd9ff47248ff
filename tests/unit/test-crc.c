/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The LVM CRC against vectors computed independently with zlib's crc32. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
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

/* Bit by bit, straight from the definition: the reference for every length and alignment. */
static uint32_t crc_bitwise(uint32_t crc, const uint8_t *p, size_t len)
{
	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc & 1) ? (crc >> 1) ^ 0xedb88320u : crc >> 1;
	}
	return crc;
}

static void test_every_length_and_offset(void **state)
{
	static uint8_t buf[5000];
	uint32_t x = 12345;

	for (size_t i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	for (size_t offset = 0; offset < 17; offset += 3)
		for (size_t len = 0; len + offset <= sizeof(buf); len += len < 300 ? 1 : 97) {
			uint32_t seed = 0x9e3779b9u * (uint32_t)(len + offset);

			assert_int_equal(crc_lvm(LVM_CRC_INITIAL, buf + offset, len),
					 crc_bitwise(LVM_CRC_INITIAL, buf + offset, len));
			assert_int_equal(crc_lvm(seed, buf + offset, len), crc_bitwise(seed, buf + offset, len));
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_vectors),
		cmocka_unit_test(test_long_input_crosses_slices),
		cmocka_unit_test(test_chaining_equals_whole),
		cmocka_unit_test(test_every_length_and_offset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
