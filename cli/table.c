/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Aligned text tables (table.h). Widths count characters, not bytes, so a
 * device name or tag with UTF-8 in it does not push the columns after it out
 * of line; control characters in cells (which would break the layout or the
 * terminal) are shown as '?', since cell text comes from the daemon and from
 * device names that nobody vetted.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "table.h"

struct table {
	size_t n_columns;
	char **cells; /* headers first, then row after row */
	size_t n_cells;
	size_t capacity;
	bool *right;
	bool failed;
};

struct table *table_free(struct table *t)
{
	if (!t)
		return NULL;
	for (size_t i = 0; i < t->n_cells; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->right);
	free(t);
	return NULL;
}

/* Takes @text (malloc'ed; NULL records the failure). */
static void table_push(struct table *t, char *text)
{
	if (!text || t->failed) {
		free(text);
		t->failed = true;
		return;
	}
	if (t->n_cells == t->capacity) {
		size_t cap = t->capacity ? t->capacity * 2 : 32;
		char **bigger = reallocarray(t->cells, cap, sizeof(*bigger));

		if (!bigger) {
			free(text);
			t->failed = true;
			return;
		}
		t->cells = bigger;
		t->capacity = cap;
	}
	/* Keep the grid readable whatever the daemon sent. */
	for (char *p = text; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	t->cells[t->n_cells++] = text;
}

struct table *table_new(const char *const *headers, size_t n_columns)
{
	_cleanup_(table_freep) struct table *t = calloc(1, sizeof(*t));

	if (!t || n_columns == 0)
		return NULL;
	t->n_columns = n_columns;
	t->right = calloc(n_columns, sizeof(*t->right));
	if (!t->right)
		return NULL;
	for (size_t i = 0; i < n_columns; i++)
		table_push(t, strdup(headers[i]));
	if (t->failed)
		return NULL;
	return TAKE_PTR(t);
}

void table_align_right(struct table *t, size_t column)
{
	if (t && column < t->n_columns)
		t->right[column] = true;
}

void table_cell(struct table *t, const char *text)
{
	if (t)
		table_push(t, strdup(text ? text : "-"));
}

void table_cellf(struct table *t, const char *fmt, ...)
{
	va_list ap;
	char *text = NULL;

	if (!t)
		return;
	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	table_push(t, text);
}

size_t table_rows(const struct table *t)
{
	return t ? DIV_ROUND_UP(t->n_cells - t->n_columns, t->n_columns) : 0;
}

/* Characters of UTF-8 @s: every byte that is not a continuation byte starts one. */
static size_t text_width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static void pad(struct strbuf *out, size_t n)
{
	while (n-- > 0)
		strbuf_putc(out, ' ');
}

int table_render(const struct table *t, struct strbuf *out)
{
	_cleanup_free_ size_t *width = NULL;
	struct strbuf text;

	if (!t || t->failed)
		return -ENOMEM;
	width = calloc(t->n_columns, sizeof(*width));
	if (!width)
		return -ENOMEM;
	for (size_t i = 0; i < t->n_cells; i++)
		width[i % t->n_columns] = MAX(width[i % t->n_columns], text_width(t->cells[i]));

	strbuf_init(&text);
	for (size_t i = 0; i < t->n_cells; i++) {
		size_t col = i % t->n_columns, w = text_width(t->cells[i]);
		bool last = col == t->n_columns - 1 || i == t->n_cells - 1;

		if (col > 0)
			strbuf_puts(&text, "  ");
		if (t->right[col])
			pad(&text, width[col] - w);
		strbuf_puts(&text, t->cells[i]);
		if (!t->right[col] && !last)
			pad(&text, width[col] - w);
		if (last) {
			/* an empty last cell must not leave the separator behind */
			while (text.len > 0 && text.data[text.len - 1] == ' ')
				text.data[--text.len] = '\0';
			strbuf_putc(&text, '\n');
		}
	}
	if (strbuf_status(&text) < 0) {
		strbuf_done(&text);
		return -ENOMEM;
	}
	strbuf_append(out, text.data, text.len);
	strbuf_done(&text);
	return strbuf_status(out);
}
