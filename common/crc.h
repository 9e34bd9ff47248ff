/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The LVM2 CRC: reflected CRC-32 (polynomial 0xEDB88320) started from
 * 0xF597A6CF with no final XOR. It guards the PV label, the metadata-area
 * header and the metadata text. Chaining: the CRC of A||B is crc_lvm(crc_lvm(
 * LVM_CRC_INITIAL, A), B), which is how wrapped metadata text is checked.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define LVM_CRC_INITIAL 0xf597a6cfu

uint32_t crc_lvm(uint32_t crc, const void *buf, size_t len);
