/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Slice-by-8 implementation of the LVM CRC (see crc.h), with the bulk of
 * long inputs folded by carry-less multiplication where the CPU has it.
 * Metadata text of a 10 000-LV group is several MiB and is checksummed on
 * every commit and every scan, so the byte-at-a-time loop is only used for
 * the tail.
 */
#include <stdbool.h>
#include <string.h>

#include "crc.h"
#include "endian-le.h"

static uint32_t crc_table[8][256];

__attribute__((constructor)) static void crc_table_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0xedb88320u : c >> 1;
		crc_table[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xff];
}

#if defined(__x86_64__)
#include <immintrin.h>

static bool have_pclmul;

__attribute__((constructor)) static void crc_cpu_init(void)
{
	__builtin_cpu_init();
	have_pclmul = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
}

static __attribute__((target("pclmul,sse4.1"))) __m128i fold_16(__m128i x, __m128i k)
{
	return _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11));
}

/*
 * The same CRC by carry-less multiplication, folding 64 bytes per round
 * (Intel's "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ",
 * with the constants of the reflected polynomial 0xEDB88320 as the Linux
 * kernel's crc32-pclmul uses them): some ten times fewer instructions than
 * slice-by-8 on the megabytes of a large VG's text. @len is a multiple of
 * 16, at least 64.
 */
static __attribute__((target("pclmul,sse4.1"))) uint32_t crc_fold(uint32_t crc, const uint8_t *p, size_t len)
{
	const __m128i k1k2 = _mm_set_epi64x(0x00000001c6e41596, 0x0000000154442bd4);
	const __m128i k3k4 = _mm_set_epi64x(0x00000000ccaa009e, 0x00000001751997d0);
	const __m128i k5 = _mm_set_epi64x(0, 0x0000000163cd6124);
	const __m128i poly = _mm_set_epi64x(0x00000001f7011641, 0x00000001db710641);
	const __m128i mask32 = _mm_set_epi32(0, 0, 0, -1);
	__m128i x1 = _mm_loadu_si128((const __m128i *)p), x2 = _mm_loadu_si128((const __m128i *)(p + 16));
	__m128i x3 = _mm_loadu_si128((const __m128i *)(p + 32)), x4 = _mm_loadu_si128((const __m128i *)(p + 48));
	__m128i t;

	x1 = _mm_xor_si128(x1, _mm_cvtsi32_si128((int)crc));
	p += 64;
	len -= 64;
	for (; len >= 64; p += 64, len -= 64) {
		x1 = _mm_xor_si128(fold_16(x1, k1k2), _mm_loadu_si128((const __m128i *)p));
		x2 = _mm_xor_si128(fold_16(x2, k1k2), _mm_loadu_si128((const __m128i *)(p + 16)));
		x3 = _mm_xor_si128(fold_16(x3, k1k2), _mm_loadu_si128((const __m128i *)(p + 32)));
		x4 = _mm_xor_si128(fold_16(x4, k1k2), _mm_loadu_si128((const __m128i *)(p + 48)));
	}
	x1 = _mm_xor_si128(fold_16(x1, k3k4), x2);
	x1 = _mm_xor_si128(fold_16(x1, k3k4), x3);
	x1 = _mm_xor_si128(fold_16(x1, k3k4), x4);
	for (; len >= 16; p += 16, len -= 16)
		x1 = _mm_xor_si128(fold_16(x1, k3k4), _mm_loadu_si128((const __m128i *)p));

	/* 128 bits to 64, to 32 (the 32 zero bits the CRC appends), then Barrett's reduction */
	t = _mm_clmulepi64_si128(k3k4, x1, 0x01);
	x1 = _mm_xor_si128(_mm_srli_si128(x1, 8), t);
	t = _mm_clmulepi64_si128(_mm_and_si128(x1, mask32), k5, 0x00);
	x1 = _mm_xor_si128(_mm_srli_si128(x1, 4), t);
	t = _mm_clmulepi64_si128(_mm_and_si128(x1, mask32), poly, 0x10);
	t = _mm_clmulepi64_si128(_mm_and_si128(t, mask32), poly, 0x00);
	x1 = _mm_xor_si128(x1, t);
	return (uint32_t)_mm_extract_epi32(x1, 1);
}
#endif

uint32_t crc_lvm(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

#if defined(__x86_64__)
	if (have_pclmul && len >= 64) {
		size_t bulk = len & ~(size_t)15;

		crc = crc_fold(crc, p, bulk);
		p += bulk;
		len -= bulk;
	}
#endif

	while (len >= 8) {
		uint32_t lo = get_le32(p) ^ crc;
		uint32_t hi = get_le32(p + 4);

		crc = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^
		      crc_table[5][(lo >> 16) & 0xff] ^ crc_table[4][lo >> 24] ^
		      crc_table[3][hi & 0xff] ^ crc_table[2][(hi >> 8) & 0xff] ^
		      crc_table[1][(hi >> 16) & 0xff] ^ crc_table[0][hi >> 24];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = crc_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}
