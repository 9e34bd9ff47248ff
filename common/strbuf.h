/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A growable byte buffer for rendering text (metadata, tables, JSON-free
 * reports). Appends never fail silently: on allocation failure the buffer
 * remembers it (sb->failed) and later appends are no-ops, so a renderer can
 * append freely and check once at the end.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "macro.h"

struct strbuf {
	char *data; /* always NUL-terminated when len > 0 or after strbuf_init */
	size_t len;
	size_t capacity;
	bool failed;
};

void strbuf_init(struct strbuf *sb);
void strbuf_done(struct strbuf *sb); /* frees data; the struct may be reused after strbuf_init */
void strbuf_reset(struct strbuf *sb); /* len = 0, keeps the allocation */
bool strbuf_reserve(struct strbuf *sb, size_t extra);
/* The appends that need the buffer to grow (or are no-ops after a failure). */
void strbuf_append_slow(struct strbuf *sb, const void *data, size_t len);

/*
 * Renderers make hundreds of thousands of appends per text, nearly all
 * into room the buffer has already: that case stays inline.
 */
static inline void strbuf_append(struct strbuf *sb, const void *data, size_t len)
{
	if (!sb->failed && len < sb->capacity - sb->len) {
		memcpy(sb->data + sb->len, data, len);
		sb->len += len;
		sb->data[sb->len] = '\0';
		return;
	}
	strbuf_append_slow(sb, data, len);
}

static inline void strbuf_puts(struct strbuf *sb, const char *s)
{
	strbuf_append(sb, s, strlen(s));
}

static inline void strbuf_putc(struct strbuf *sb, char c)
{
	strbuf_append(sb, &c, 1);
}

void strbuf_printf(struct strbuf *sb, const char *fmt, ...) _printf_(2, 3);
/* Returns 0, or -ENOMEM if any append failed. */
int strbuf_status(const struct strbuf *sb);
/* Hand the buffer to the caller (who frees it); the strbuf is left empty. */
char *strbuf_steal(struct strbuf *sb, size_t *ret_len);
