/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A hash of a byte string for in-memory tables (open addressing, chained
 * buckets): eight bytes per step, so hashing a key costs a few cycles per
 * word rather than a multiply's latency per byte. Not for anything stored
 * or compared across processes; equal bytes give equal hashes, and callers
 * still compare the bytes themselves.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t hash_mix(uint64_t h, uint64_t word)
{
	h = (h ^ word) * 0x9e3779b97f4a7c15u;
	return h ^ (h >> 29);
}

static inline size_t hash_bytes(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325u ^ len, word;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&word, p, 8);
		h = hash_mix(h, word);
	}
	if (len > 0) {
		word = 0;
		memcpy(&word, p, len);
		h = hash_mix(h, word);
	}
	h = hash_mix(h, 0xff51afd7ed558ccdu);
	return (size_t)(h ^ (h >> 32));
}
