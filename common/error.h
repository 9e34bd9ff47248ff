/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Error reporting for the storage layers. A function returns a negative errno
 * and, when the caller passed a struct vg_error, a sentence a person can act
 * on: which device, which offset or metadata line, what was wrong. Libraries
 * never print; front ends show err->message.
 */
#pragma once

#include <inttypes.h> /* PRIu64 in messages */
#include <stdarg.h>

#include "macro.h"

#define VG_ERROR_MESSAGE_MAX 1024

struct vg_error {
	int code;                            /* negative errno, 0 when unset */
	char message[VG_ERROR_MESSAGE_MAX]; /* NUL-terminated, may be truncated */
};

/*
 * Record @code (a negative errno) and a formatted message in @err (which may
 * be NULL), replacing what was there. Returns @code so callers can write
 * `return vg_error_set(err, -EINVAL, "...")`.
 */
int vg_error_set(struct vg_error *err, int code, const char *fmt, ...) _printf_(3, 4);
int vg_error_setv(struct vg_error *err, int code, const char *fmt, va_list ap) _printf_(3, 0);

/*
 * Put context in front of an existing message: "device /dev/sda5: " + old.
 * If @err holds no message yet, the errno's text is used. Returns err->code
 * (or @code when @err is NULL or empty) so it can end a return statement.
 */
int vg_error_prefix(struct vg_error *err, int code, const char *fmt, ...) _printf_(3, 4);

void vg_error_clear(struct vg_error *err);

/* "ENOSPC" for -ENOSPC or ENOSPC; "EUNKNOWN" for codes outside the table. */
const char *vg_errno_name(int code);
