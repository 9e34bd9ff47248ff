/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * LVM-style identifiers: 32 characters from [0-9a-zA-Z!#], shown as
 * 6-4-4-4-4-4-6 groups joined by '-'. Generated ones use only the 62
 * alphanumerics, as lvm2 does. Also the random source for other ids.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

#define LVM_UUID_LEN 32      /* characters, without dashes */
#define LVM_UUID_TEXT_LEN 38 /* with the six dashes */

/* Fill @buf with @len bytes from the kernel's random source. Returns 0 or -errno. */
int random_bytes(void *buf, size_t len);

/* A new random id, NUL-terminated. */
int lvm_uuid_generate(char ret_uuid[LVM_UUID_LEN + 1]);

/*
 * Accept an id with or without dashes (dashes anywhere are ignored, as lvm2
 * does); require exactly 32 valid characters. Writes the 32 characters plus
 * NUL to @ret_uuid. -EINVAL (with a message naming @text) otherwise.
 */
int lvm_uuid_parse(const char *text, char ret_uuid[LVM_UUID_LEN + 1], struct vg_error *err);

/* The dashed 38-character form of a 32-character id. */
void lvm_uuid_format(const char *uuid, char ret_text[LVM_UUID_TEXT_LEN + 1]);

bool lvm_uuid_char_valid(char c);
