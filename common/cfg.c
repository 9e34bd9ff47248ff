/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The lvm.conf / LVM2 text-metadata syntax (cfg.h): lexer and parser into
 * a tree, look-ups, stand-alone node copies, and the writer.
 *
 * The parser reads every VG text found on every scan, and a VG of 10 000 LVs
 * is about 4 MiB of text, so it is written for speed: one pass, no per-byte
 * function calls (character classes come from a table), and every node and
 * string of a tree carved from a bump allocator (struct cfg_arena) that is
 * released in one go. It is also the first code to touch bytes read from a
 * disk anyone could have written, so it never reads past the end it was
 * given, stops at the first NUL, bounds nesting, detects integer overflow,
 * and reports the first problem as "line N: ...".
 *
 * Accepted syntax, as libdm's config parser accepts it: sections
 * `key { ... }`, assignments `key = value`, values that are decimal integers
 * (optional sign), floats (digits '.' digits), double-quoted strings where a
 * backslash makes the next byte literal, and lists `[ v, v ]` of those (the
 * commas between items are optional, as in libdm; lists do not nest).
 * `#` comments run to the end of the line.
 */
#include <stdio.h>
#include <string.h>

#include "cfg.h"

/* Deeper than any LVM text (VG > logical_volumes > LV > segment > message). */
#define CFG_MAX_DEPTH 64

/* ---- arena ------------------------------------------------------------ */

struct cfg_arena_chunk {
	struct cfg_arena_chunk *next;
	size_t used;
	size_t size;
	max_align_t data[];
};

struct cfg_arena {
	struct cfg_arena_chunk *head;
	size_t next_chunk_bytes;
};

#define CFG_ARENA_MIN_CHUNK ((size_t)16 << 10)
#define CFG_ARENA_MAX_CHUNK ((size_t)8 << 20)

static struct cfg_arena *cfg_arena_new(size_t first_chunk_bytes)
{
	struct cfg_arena *arena = calloc(1, sizeof(*arena));

	if (!arena)
		return NULL;
	arena->next_chunk_bytes =
		MIN(MAX(first_chunk_bytes, CFG_ARENA_MIN_CHUNK), CFG_ARENA_MAX_CHUNK);
	return arena;
}

static void cfg_arena_free(struct cfg_arena *arena)
{
	if (!arena)
		return;
	while (arena->head) {
		struct cfg_arena_chunk *next = arena->head->next;

		free(arena->head);
		arena->head = next;
	}
	free(arena);
}

/* @bytes of uninitialised memory, aligned for any node or value. NULL on ENOMEM. */
static void *cfg_arena_alloc(struct cfg_arena *arena, size_t bytes)
{
	struct cfg_arena_chunk *chunk = arena->head;
	size_t size;
	void *p;

	bytes = ROUND_UP(bytes, sizeof(void *));
	if (!chunk || chunk->size - chunk->used < bytes) {
		size = MAX(arena->next_chunk_bytes, bytes);
		chunk = malloc(sizeof(*chunk) + size);
		if (!chunk)
			return NULL;
		chunk->size = size;
		chunk->used = 0;
		chunk->next = arena->head;
		arena->head = chunk;
		if (arena->next_chunk_bytes < CFG_ARENA_MAX_CHUNK)
			arena->next_chunk_bytes *= 2;
	}
	p = (char *)chunk->data + chunk->used;
	chunk->used += bytes;
	return p;
}

static char *cfg_arena_strndup(struct cfg_arena *arena, const char *s, size_t len)
{
	char *copy = cfg_arena_alloc(arena, len + 1);

	if (!copy)
		return NULL;
	memcpy(copy, s, len);
	copy[len] = '\0';
	return copy;
}

/* ---- character classes ------------------------------------------------ */

enum {
	CC_SPACE = 1 << 0,   /* skipped between tokens (not '\n', which also counts lines) */
	CC_KEY = 1 << 1,     /* may appear in a key */
	CC_DIGIT = 1 << 2,
};

/* Built once from the rules below; 256 entries so any byte indexes it. */
static uint8_t cfg_class[256];

static void cfg_class_init(void)
{
	static bool done;

	if (__atomic_load_n(&done, __ATOMIC_ACQUIRE))
		return;
	/*
	 * Racing initialisers write identical values, so a second thread
	 * doing the same work is harmless.
	 */
	for (unsigned c = 1; c < 256; c++) {
		uint8_t cls = CC_KEY;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f')
			cls = CC_SPACE;
		else if (c == '\n' || c == '#' || c == '=' || c == '{' || c == '}' || c == '[' ||
			 c == ']' || c == ',' || c == '"')
			cls = 0;
		if (c >= '0' && c <= '9')
			cls |= CC_DIGIT;
		cfg_class[c] = cls;
	}
	__atomic_store_n(&done, true, __ATOMIC_RELEASE);
}

/* ---- parser ----------------------------------------------------------- */

struct cfg_parser {
	const char *p;
	const char *end;
	unsigned line;
	struct cfg_arena *arena;
	struct vg_error *err;
	struct cfg_value *scratch; /* list items being collected */
	size_t scratch_cap;
};

/*
 * Copy up to 48 bytes of @s for an error message, with anything that is
 * not printable ASCII replaced by '?', so hostile input cannot put escape
 * sequences into a message a front end prints.
 */
static const char *cfg_printable(const char *s, size_t len, char buf[static 52])
{
	size_t n = MIN(len, (size_t)48);

	for (size_t i = 0; i < n; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (len > n) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

static int cfg_fail(struct cfg_parser *ps, unsigned line, const char *what)
{
	return vg_error_set(ps->err, -EBADMSG, "line %u: %s", line, what);
}

static int cfg_fail_nomem(struct cfg_parser *ps)
{
	return vg_error_set(ps->err, -ENOMEM, "line %u: out of memory", ps->line);
}

/* Skip whitespace, newlines (counting them) and comments. */
static inline void cfg_skip(struct cfg_parser *ps)
{
	const char *p = ps->p, *end = ps->end;

	while (p < end) {
		unsigned char c = (unsigned char)*p;

		if (cfg_class[c] & CC_SPACE) {
			p++;
		} else if (c == '\n') {
			ps->line++;
			p++;
		} else if (c == '#') {
			const char *nl = memchr(p, '\n', (size_t)(end - p));

			p = nl ? nl : end;
		} else {
			break;
		}
	}
	ps->p = p;
}

static const char *cfg_describe_char(char c, char buf[static 16])
{
	if (c >= 0x21 && c < 0x7f)
		snprintf(buf, 16, "'%c'", c);
	else
		snprintf(buf, 16, "byte 0x%02x", (unsigned char)c);
	return buf;
}

/* A double-quoted string starting at ps->p (which is at the opening quote). */
static int cfg_parse_string(struct cfg_parser *ps, struct cfg_value *ret)
{
	const char *start = ps->p + 1, *p = start, *end = ps->end;
	unsigned first_line = ps->line, newlines = 0;
	bool escaped = false;
	char *text, *o;

	while (p < end && *p != '"') {
		if (*p == '\\') {
			escaped = true;
			if (++p == end)
				break;
		}
		if (*p == '\n')
			newlines++;
		p++;
	}
	if (p >= end)
		return cfg_fail(ps, first_line, "unterminated string");

	text = cfg_arena_alloc(ps->arena, (size_t)(p - start) + 1);
	if (!text)
		return cfg_fail_nomem(ps);
	if (!escaped) {
		memcpy(text, start, (size_t)(p - start));
		text[p - start] = '\0';
	} else {
		o = text;
		for (const char *q = start; q < p; q++) {
			if (*q == '\\')
				q++;
			*o++ = *q;
		}
		*o = '\0';
	}
	ps->line += newlines;
	ps->p = p + 1;
	*ret = (struct cfg_value){ .type = CFG_STRING, .text = text };
	return 0;
}

/* An integer or float starting at ps->p (a sign or a digit). */
static int cfg_parse_number(struct cfg_parser *ps, struct cfg_value *ret)
{
	const char *start = ps->p, *p = start, *end = ps->end;
	bool negative = false, overflow = false;
	uint64_t magnitude = 0;

	if (*p == '-' || *p == '+')
		negative = *p++ == '-';
	if (p >= end || !(cfg_class[(unsigned char)*p] & CC_DIGIT))
		return cfg_fail(ps, ps->line, "invalid number");
	while (p < end && (cfg_class[(unsigned char)*p] & CC_DIGIT)) {
		unsigned digit = (unsigned)(*p - '0');

		if (magnitude > (UINT64_MAX - digit) / 10)
			overflow = true;
		else
			magnitude = magnitude * 10 + digit;
		p++;
	}
	if (p < end && *p == '.') {
		p++;
		if (p >= end || !(cfg_class[(unsigned char)*p] & CC_DIGIT))
			return cfg_fail(ps, ps->line, "invalid number");
		while (p < end && (cfg_class[(unsigned char)*p] & CC_DIGIT))
			p++;
		if (p < end && (cfg_class[(unsigned char)*p] & CC_KEY))
			return cfg_fail(ps, ps->line, "invalid number");
		ret->type = CFG_FLOAT;
		ret->integer = 0;
		ret->items = NULL;
		ret->n_items = 0;
		ret->text = cfg_arena_strndup(ps->arena, start, (size_t)(p - start));
		if (!ret->text)
			return cfg_fail_nomem(ps);
		ps->p = p;
		return 0;
	}
	/* "12abc" is a typo, not the number 12 followed by a key. */
	if (p < end && (cfg_class[(unsigned char)*p] & CC_KEY))
		return cfg_fail(ps, ps->line, "invalid number");
	if (overflow || magnitude > (uint64_t)INT64_MAX + (negative ? 1 : 0))
		return cfg_fail(ps, ps->line, "integer out of range");

	*ret = (struct cfg_value){ .type = CFG_INT };
	if (negative)
		ret->integer =
			magnitude == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)magnitude;
	else
		ret->integer = (int64_t)magnitude;
	ps->p = p;
	return 0;
}

static int cfg_parse_scalar(struct cfg_parser *ps, struct cfg_value *ret)
{
	char c = *ps->p, buf[16];
	char msg[64];

	if (c == '"')
		return cfg_parse_string(ps, ret);
	if (c == '-' || c == '+' || (cfg_class[(unsigned char)c] & CC_DIGIT))
		return cfg_parse_number(ps, ret);
	if (c == '[')
		return cfg_fail(ps, ps->line, "lists cannot be nested");
	snprintf(msg, sizeof(msg), "expected a value, found %s", cfg_describe_char(c, buf));
	return cfg_fail(ps, ps->line, msg);
}

static int cfg_parse_list(struct cfg_parser *ps, struct cfg_value *ret)
{
	unsigned first_line = ps->line;
	size_t n = 0;
	int r;

	ps->p++; /* '[' */
	for (;;) {
		cfg_skip(ps);
		if (ps->p >= ps->end)
			return cfg_fail(ps, first_line, "unterminated list");
		if (*ps->p == ']')
			break;
		if (n == ps->scratch_cap) {
			size_t cap = ps->scratch_cap ? ps->scratch_cap * 2 : 64;
			struct cfg_value *bigger = realloc(ps->scratch, cap * sizeof(*bigger));

			if (!bigger)
				return cfg_fail_nomem(ps);
			ps->scratch = bigger;
			ps->scratch_cap = cap;
		}
		r = cfg_parse_scalar(ps, &ps->scratch[n]);
		if (r < 0)
			return r;
		n++;
		cfg_skip(ps);
		if (ps->p < ps->end && *ps->p == ',')
			ps->p++;
	}
	ps->p++; /* ']' */

	*ret = (struct cfg_value){ .type = CFG_LIST, .n_items = n };
	if (n > 0) {
		ret->items = cfg_arena_alloc(ps->arena, n * sizeof(*ret->items));
		if (!ret->items)
			return cfg_fail_nomem(ps);
		memcpy(ret->items, ps->scratch, n * sizeof(*ret->items));
	}
	return 0;
}

/*
 * The nodes of one section up to its closing '}' (or the end of input for
 * the root, @depth 0). Children are linked in file order under @parent.
 */
static int cfg_parse_body(struct cfg_parser *ps, struct cfg_node *parent, unsigned depth)
{
	struct cfg_node **tail = &parent->children;
	unsigned open_line = ps->line;
	char buf[52], cbuf[16], msg[128];
	int r;

	for (;;) {
		const char *key_start;
		struct cfg_node *node;

		cfg_skip(ps);
		if (ps->p >= ps->end) {
			if (depth == 0)
				return 0;
			snprintf(msg, sizeof(msg), "section \"%s\" opened on line %u is not closed",
				 cfg_printable(parent->key, strlen(parent->key), buf), open_line);
			return cfg_fail(ps, ps->line, msg);
		}
		if (*ps->p == '}') {
			if (depth == 0)
				return cfg_fail(ps, ps->line, "'}' without a section to close");
			ps->p++;
			return 0;
		}

		key_start = ps->p;
		while (ps->p < ps->end && (cfg_class[(unsigned char)*ps->p] & CC_KEY))
			ps->p++;
		if (ps->p == key_start) {
			snprintf(msg, sizeof(msg), "expected a key, found %s",
				 cfg_describe_char(*ps->p, cbuf));
			return cfg_fail(ps, ps->line, msg);
		}

		node = cfg_arena_alloc(ps->arena, sizeof(*node));
		if (!node)
			return cfg_fail_nomem(ps);
		*node = (struct cfg_node){ .line = ps->line };
		node->key = cfg_arena_strndup(ps->arena, key_start, (size_t)(ps->p - key_start));
		if (!node->key)
			return cfg_fail_nomem(ps);
		*tail = node;
		tail = &node->next;

		cfg_skip(ps);
		if (ps->p < ps->end && *ps->p == '{') {
			if (depth + 1 > CFG_MAX_DEPTH) {
				snprintf(msg, sizeof(msg), "sections nested deeper than %d levels",
					 CFG_MAX_DEPTH);
				return cfg_fail(ps, ps->line, msg);
			}
			ps->p++;
			node->is_section = true;
			r = cfg_parse_body(ps, node, depth + 1);
			if (r < 0)
				return r;
			continue;
		}
		if (ps->p >= ps->end || *ps->p != '=') {
			snprintf(msg, sizeof(msg), "expected '=' or '{' after \"%s\"",
				 cfg_printable(node->key, strlen(node->key), buf));
			return cfg_fail(ps, node->line, msg);
		}
		ps->p++;
		cfg_skip(ps);
		if (ps->p >= ps->end) {
			snprintf(msg, sizeof(msg), "\"%s\" has no value",
				 cfg_printable(node->key, strlen(node->key), buf));
			return cfg_fail(ps, node->line, msg);
		}
		if (*ps->p == '[')
			r = cfg_parse_list(ps, &node->value);
		else
			r = cfg_parse_scalar(ps, &node->value);
		if (r < 0)
			return r;
	}
}

struct cfg_tree *cfg_tree_free(struct cfg_tree *tree)
{
	if (tree) {
		cfg_arena_free(tree->arena);
		free(tree);
	}
	return NULL;
}

int cfg_parse(const char *text, size_t len, struct cfg_tree **ret_tree, struct vg_error *err)
{
	_cleanup_(cfg_tree_freep) struct cfg_tree *tree = NULL;
	struct cfg_parser ps = { .line = 1, .err = err };
	const char *nul;
	int r;

	cfg_class_init();
	if (!text)
		len = 0;
	nul = len ? memchr(text, '\0', len) : NULL;
	if (nul)
		len = (size_t)(nul - text);

	tree = calloc(1, sizeof(*tree));
	if (!tree)
		return vg_error_set(err, -ENOMEM, "out of memory");
	/* Trees take roughly four times the text; start near that to avoid many chunks. */
	tree->arena = cfg_arena_new(len * 4);
	if (!tree->arena)
		return vg_error_set(err, -ENOMEM, "out of memory");
	tree->root.is_section = true;

	ps.p = text;
	ps.end = text + len;
	ps.arena = tree->arena;
	r = cfg_parse_body(&ps, &tree->root, 0);
	free(ps.scratch);
	if (r < 0)
		return r;
	*ret_tree = TAKE_PTR(tree);
	return 0;
}

/* ---- look-ups --------------------------------------------------------- */

static const struct cfg_node *cfg_find_child(const struct cfg_node *section, const char *key,
					     size_t key_len)
{
	for (const struct cfg_node *n = section->children; n; n = n->next)
		if (n->key && strncmp(n->key, key, key_len) == 0 && n->key[key_len] == '\0')
			return n;
	return NULL;
}

const struct cfg_node *cfg_find(const struct cfg_node *section, const char *path)
{
	const struct cfg_node *node = section;

	if (!section || !path || !*path)
		return NULL;
	for (;;) {
		const char *slash = strchr(path, '/');
		size_t len = slash ? (size_t)(slash - path) : strlen(path);

		if (!node->is_section)
			return NULL;
		node = cfg_find_child(node, path, len);
		if (!node || !slash)
			return node;
		path = slash + 1;
	}
}

int cfg_get_int(const struct cfg_node *section, const char *path, int64_t *ret,
		struct vg_error *err)
{
	const struct cfg_node *node = cfg_find(section, path);

	if (!node)
		return -ENOENT;
	if (node->is_section || node->value.type != CFG_INT)
		return vg_error_set(err, -EINVAL, "line %u: %s must be an integer", node->line,
				    path);
	*ret = node->value.integer;
	return 0;
}

int cfg_get_string(const struct cfg_node *section, const char *path, const char **ret,
		   struct vg_error *err)
{
	const struct cfg_node *node = cfg_find(section, path);

	if (!node)
		return -ENOENT;
	if (node->is_section || node->value.type != CFG_STRING)
		return vg_error_set(err, -EINVAL, "line %u: %s must be a string", node->line, path);
	*ret = node->value.text;
	return 0;
}

/* ---- stand-alone copies ----------------------------------------------- */

static void cfg_value_free_contents(struct cfg_value *value)
{
	free(value->text);
	for (size_t i = 0; i < value->n_items; i++)
		free(value->items[i].text);
	free(value->items);
}

struct cfg_node *cfg_node_list_free(struct cfg_node *first)
{
	while (first) {
		struct cfg_node *next = first->next;

		cfg_node_list_free(first->children);
		cfg_value_free_contents(&first->value);
		free(first->key);
		free(first);
		first = next;
	}
	return NULL;
}

static int cfg_value_copy(struct cfg_value *dst, const struct cfg_value *src)
{
	*dst = (struct cfg_value){ .type = src->type, .integer = src->integer };
	if (src->text && !(dst->text = strdup(src->text)))
		return -ENOMEM;
	if (src->type == CFG_LIST && src->n_items > 0) {
		dst->items = calloc(src->n_items, sizeof(*dst->items));
		if (!dst->items)
			return -ENOMEM;
		dst->n_items = src->n_items;
		for (size_t i = 0; i < src->n_items; i++) {
			dst->items[i] = (struct cfg_value){ .type = src->items[i].type,
							    .integer = src->items[i].integer };
			if (src->items[i].text &&
			    !(dst->items[i].text = strdup(src->items[i].text)))
				return -ENOMEM;
		}
	}
	return 0;
}

struct cfg_node *cfg_node_clone(const struct cfg_node *node)
{
	struct cfg_node *copy;

	if (!node)
		return NULL;
	copy = calloc(1, sizeof(*copy));
	if (!copy)
		return NULL;
	copy->is_section = node->is_section;
	copy->line = node->line;
	if ((node->key && !(copy->key = strdup(node->key))) ||
	    cfg_value_copy(&copy->value, &node->value) < 0)
		return cfg_node_list_free(copy);
	if (node->children && !(copy->children = cfg_node_list_clone(node->children)))
		return cfg_node_list_free(copy);
	return copy;
}

struct cfg_node *cfg_node_list_clone(const struct cfg_node *first)
{
	struct cfg_node *head = NULL, **tail = &head;

	for (const struct cfg_node *n = first; n; n = n->next) {
		*tail = cfg_node_clone(n);
		if (!*tail)
			return cfg_node_list_free(head);
		tail = &(*tail)->next;
	}
	return head;
}

/* ---- writer ----------------------------------------------------------- */

void cfg_write_string(struct strbuf *out, const char *s)
{
	if (!s)
		s = "";
	strbuf_putc(out, '"');
	for (;;) {
		size_t plain = strcspn(s, "\"\\");

		strbuf_append(out, s, plain);
		s += plain;
		if (!*s)
			break;
		strbuf_putc(out, '\\');
		strbuf_putc(out, *s++);
	}
	strbuf_putc(out, '"');
}

/* Decimal digits of @v into the end of @buf; returns the first digit. */
static char *cfg_format_int(int64_t v, char buf[static 21])
{
	char *p = buf + 21;
	uint64_t magnitude = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	*--p = '\0';
	do {
		*--p = (char)('0' + magnitude % 10);
		magnitude /= 10;
	} while (magnitude);
	if (v < 0)
		*--p = '-';
	return p;
}

static void cfg_write_scalar(struct strbuf *out, const struct cfg_value *value)
{
	char buf[21];

	switch (value->type) {
	case CFG_INT:
		strbuf_puts(out, cfg_format_int(value->integer, buf));
		break;
	case CFG_FLOAT:
		strbuf_puts(out, value->text ? value->text : "0.0");
		break;
	case CFG_STRING:
		cfg_write_string(out, value->text);
		break;
	case CFG_LIST:
		/* Lists do not nest; a nested one is written empty rather than unreadable. */
		strbuf_puts(out, "[]");
		break;
	}
}

void cfg_write_value(struct strbuf *out, const struct cfg_value *value)
{
	if (value->type != CFG_LIST) {
		cfg_write_scalar(out, value);
		return;
	}
	strbuf_putc(out, '[');
	for (size_t i = 0; i < value->n_items; i++) {
		if (i > 0)
			strbuf_append(out, ", ", 2);
		cfg_write_scalar(out, &value->items[i]);
	}
	strbuf_putc(out, ']');
}

static void cfg_write_indent(struct strbuf *out, enum cfg_write_style style, unsigned depth)
{
	if (style == CFG_STYLE_INDENTED)
		for (unsigned i = 0; i < depth; i++)
			strbuf_putc(out, '\t');
}

void cfg_write_nodes(struct strbuf *out, const struct cfg_node *first, enum cfg_write_style style,
		     unsigned depth)
{
	for (const struct cfg_node *n = first; n; n = n->next) {
		cfg_write_indent(out, style, depth);
		strbuf_puts(out, n->key ? n->key : "");
		if (n->is_section) {
			strbuf_append(out, " {\n", 3);
			cfg_write_nodes(out, n->children, style, depth + 1);
			cfg_write_indent(out, style, depth);
			strbuf_append(out, "}\n", 2);
		} else {
			strbuf_append(out, " = ", 3);
			cfg_write_value(out, &n->value);
			strbuf_putc(out, '\n');
		}
	}
}
