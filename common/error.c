/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Error struct helpers and the errno -> symbolic-name table that the daemon's
 * stable error reasons are built on.
 */
#include <stdio.h>
#include <string.h>

#include "error.h"

int vg_error_setv(struct vg_error *err, int code, const char *fmt, va_list ap)
{
	if (!err)
		return code;
	err->code = code;
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	return code;
}

int vg_error_set(struct vg_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vg_error_setv(err, code, fmt, ap);
	va_end(ap);
	return code;
}

int vg_error_prefix(struct vg_error *err, int code, const char *fmt, ...)
{
	char prefix[VG_ERROR_MESSAGE_MAX];
	size_t prefix_len, old_len;
	va_list ap;

	if (!err)
		return code;
	if (err->code == 0) {
		err->code = code;
		snprintf(err->message, sizeof(err->message), "%s", strerror(code < 0 ? -code : code));
	}
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	prefix_len = strlen(prefix);
	old_len = strnlen(err->message, sizeof(err->message) - 1);
	if (prefix_len > sizeof(err->message) - 1)
		prefix_len = sizeof(err->message) - 1;
	if (old_len > sizeof(err->message) - 1 - prefix_len)
		old_len = sizeof(err->message) - 1 - prefix_len;
	memmove(err->message + prefix_len, err->message, old_len);
	memcpy(err->message, prefix, prefix_len);
	err->message[prefix_len + old_len] = '\0';
	return err->code;
}

void vg_error_clear(struct vg_error *err)
{
	if (!err)
		return;
	err->code = 0;
	err->message[0] = '\0';
}

const char *vg_errno_name(int code)
{
	static const struct {
		int code;
		const char *name;
	} names[] = {
		{ EPERM, "EPERM" },       { ENOENT, "ENOENT" },   { EIO, "EIO" },
		{ ENXIO, "ENXIO" },       { E2BIG, "E2BIG" },     { EBADF, "EBADF" },
		{ EAGAIN, "EAGAIN" },     { ENOMEM, "ENOMEM" },   { EACCES, "EACCES" },
		{ EBUSY, "EBUSY" },       { EEXIST, "EEXIST" },   { EXDEV, "EXDEV" },
		{ ENODEV, "ENODEV" },     { ENOTDIR, "ENOTDIR" }, { EINVAL, "EINVAL" },
		{ EFBIG, "EFBIG" },       { ENOSPC, "ENOSPC" },   { EROFS, "EROFS" },
		{ ERANGE, "ERANGE" },     { ENODATA, "ENODATA" }, { EPROTO, "EPROTO" },
		{ EBADMSG, "EBADMSG" },   { EOVERFLOW, "EOVERFLOW" },
		{ ENOTSUP, "ENOTSUP" },   { EPROTONOSUPPORT, "EPROTONOSUPPORT" },
		{ ESTALE, "ESTALE" },     { ECANCELED, "ECANCELED" },
		{ ENOTEMPTY, "ENOTEMPTY" }, { ETIMEDOUT, "ETIMEDOUT" },
		{ ENAMETOOLONG, "ENAMETOOLONG" }, { ENOTBLK, "ENOTBLK" },
		{ ENOMSG, "ENOMSG" },     { EALREADY, "EALREADY" }, { ELOOP, "ELOOP" },
		{ EUCLEAN, "EUCLEAN" },   { ENOLCK, "ENOLCK" },
	};

	if (code < 0)
		code = -code;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].code == code)
			return names[i].name;
	return "EUNKNOWN";
}
