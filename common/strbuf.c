/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A growable byte buffer for renderers (strbuf.h). The point of the design is
 * that a renderer appends hundreds of thousands of small pieces (a 10 000-LV
 * metadata text is about 4 MiB) without checking each append: an allocation
 * failure is remembered in sb->failed, later appends become no-ops, and the
 * caller asks strbuf_status() once at the end.
 *
 * An initialised but never grown buffer points at a static empty string, so
 * sb->data is always a valid NUL-terminated string and strbuf_init() cannot
 * fail. capacity == 0 marks that state: nothing to free.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "strbuf.h"

static char strbuf_empty[1];

void strbuf_init(struct strbuf *sb)
{
	sb->data = strbuf_empty;
	sb->len = 0;
	sb->capacity = 0;
	sb->failed = false;
}

void strbuf_done(struct strbuf *sb)
{
	if (sb->capacity > 0)
		free(sb->data);
	strbuf_init(sb);
}

void strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->capacity > 0)
		sb->data[0] = '\0';
	sb->failed = false;
}

/*
 * Make room for @extra more bytes plus the terminating NUL. Grows
 * geometrically so that appending n bytes one at a time costs O(n).
 */
bool strbuf_reserve(struct strbuf *sb, size_t extra)
{
	size_t need, cap;
	char *bigger;

	if (sb->failed)
		return false;
	if (ADD_OVERFLOWS(sb->len, extra, &need) || ADD_OVERFLOWS(need, 1, &need))
		goto fail;
	if (need <= sb->capacity)
		return true;

	cap = sb->capacity ? sb->capacity : 256;
	while (cap < need) {
		if (MUL_OVERFLOWS(cap, 2, &cap))
			goto fail;
	}
	bigger = realloc(sb->capacity ? sb->data : NULL, cap);
	if (!bigger)
		goto fail;
	if (sb->capacity == 0)
		bigger[0] = '\0';
	sb->data = bigger;
	sb->capacity = cap;
	return true;

fail:
	sb->failed = true;
	return false;
}

void strbuf_append_slow(struct strbuf *sb, const void *data, size_t len)
{
	if (len == 0 || !strbuf_reserve(sb, len))
		return;
	memcpy(sb->data + sb->len, data, len);
	sb->len += len;
	sb->data[sb->len] = '\0';
}

void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	size_t room;
	int n;

	if (sb->failed)
		return;
	/* First try into whatever room there is; most lines fit. */
	room = sb->capacity > sb->len ? sb->capacity - sb->len : 0;
	va_start(ap, fmt);
	n = vsnprintf(room ? sb->data + sb->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n < 0) {
		sb->failed = true;
		return;
	}
	if ((size_t)n >= room) {
		if (!strbuf_reserve(sb, (size_t)n))
			return;
		va_start(ap, fmt);
		vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	sb->len += (size_t)n;
}

int strbuf_status(const struct strbuf *sb)
{
	return sb->failed ? -ENOMEM : 0;
}

/*
 * Returns the text (NUL-terminated, owned by the caller) and its length in
 * *ret_len (may be NULL); NULL when an append had failed or the empty
 * buffer could not be copied. Either way the strbuf is left empty.
 */
char *strbuf_steal(struct strbuf *sb, size_t *ret_len)
{
	char *text;
	size_t len = sb->len;

	if (sb->failed) {
		strbuf_done(sb);
		return NULL;
	}
	if (sb->capacity == 0)
		text = strdup("");
	else
		text = sb->data;
	strbuf_init(sb);
	if (text && ret_len)
		*ret_len = len;
	return text;
}
