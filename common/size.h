/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Sizes as people write them. Units are binary whatever their case: k/K =
 * KiB, m/M = MiB, g/G, t/T, p/P, e/E; "KiB"/"MiB"/... are accepted, "s" is a
 * 512-byte sector, "b" a byte. "GB"-style SI spellings are refused rather
 * than guessed. A bare number takes the caller's default unit.
 *
 * A size spec adds what the LV layer needs: a sign ("+10G", "-5G") and
 * percentages ("100%FREE", "50%VG", "10%PVS").
 */
#pragma once

#include <stdint.h>
#include <stddef.h>

#include "error.h"

/* Parse @text into bytes. @default_unit is one of "bskmgtpe" (e.g. 'm' as lvm2's --size). */
int size_parse(const char *text, char default_unit, uint64_t *ret_bytes, struct vg_error *err);

enum size_sign { SIZE_SIGN_NONE, SIZE_SIGN_PLUS, SIZE_SIGN_MINUS };
enum size_percent_of { SIZE_PERCENT_NONE, SIZE_PERCENT_FREE, SIZE_PERCENT_VG, SIZE_PERCENT_PVS };

struct size_spec {
	enum size_sign sign;
	enum size_percent_of percent_of; /* SIZE_PERCENT_NONE: bytes is valid */
	uint64_t bytes;
	uint32_t percent; /* 1..100 when percent_of is set */
};

int size_spec_parse(const char *text, char default_unit, struct size_spec *ret_spec, struct vg_error *err);

/*
 * Format @bytes for people: "0", "512 B", "4.00 MiB", "1.50 GiB"; exact
 * values print without decimals when they are whole ("20 GiB").
 * Returns @buf.
 */
const char *size_format(uint64_t bytes, char *buf, size_t len);

/* Format in a fixed unit (one of "bskmgtpe"), as "51200.00m"-free plain text: "51200 MiB". */
const char *size_format_unit(uint64_t bytes, char unit, char *buf, size_t len);

/* Bytes per unit letter, 0 for an unknown letter. */
uint64_t size_unit_bytes(char unit);
