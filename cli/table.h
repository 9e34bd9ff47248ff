/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Aligned text tables for vgtool's human output. Cells are filled row by row
 * and the widths are known only at the end, so a table keeps its cells until
 * it is rendered. Like struct strbuf, an allocation failure is remembered and
 * reported once by table_render(), so renderers add cells without checks.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"
#include "strbuf.h"

struct table;

/* A table with @n_columns headers (copied). NULL on allocation failure. */
struct table *table_new(const char *const *headers, size_t n_columns);
struct table *table_free(struct table *t);
DEFINE_CLEANUP_FUNC(struct table, table_free)

/* Right-align @column (numbers and sizes), header included. */
void table_align_right(struct table *t, size_t column);

/* Append the next cell (rows wrap after the last column); NULL prints "-". */
void table_cell(struct table *t, const char *text);
void table_cellf(struct table *t, const char *fmt, ...) _printf_(2, 3);

size_t table_rows(const struct table *t);

/*
 * Append the table to @out: the header line, then the rows, columns two
 * spaces apart, no trailing blanks. Returns 0, or -ENOMEM if anything failed
 * on the way (then nothing is appended).
 */
int table_render(const struct table *t, struct strbuf *out);
