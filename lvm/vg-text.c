/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * LVM2 text metadata <-> struct vg (FORMATS.md section 3).
 *
 * Parsing goes text -> config tree (common/cfg.c) -> model. It checks what
 * lvm2's importer checks (required keys and their types, known status words,
 * PV references, segment_count, contiguous segments) and keeps everything
 * else — keys we do not model, unknown sections, whole segments of types
 * other than "striped" — as cloned config nodes, so a rewrite loses nothing.
 * Like lvm2's importer it merges adjacent striped segments that continue
 * each other on the same PVs.
 *
 * Rendering reproduces lvm2 2.03.16's writer byte for byte, because every PV
 * of a VG must carry identical text and because pvck's search and repair
 * heuristics look at the exact layout: the raw on-disk form (no indentation,
 * no comments but the header's, header after the VG block) and the backup
 * form (header first, tab indentation, size/hint/time comments aligned with
 * tabs the way lvm2 aligns them). Keys lvm2 writes in fixed places but that
 * the model keeps as extra nodes (system_id, allocation_policy, read_ahead,
 * device_id, ...) are written back in those places; truly unknown keys go at
 * the end of their block. Sizes in comments follow lvm2's "%g" of the size
 * in the largest unit not above 1024 ("# 4 Megabytes", "# 1024 Kilobytes",
 * "# 4.99023 Gigabytes"); times are shown in the process's local time zone,
 * as lvm2 does.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hash.h"
#include "vg-text.h"

#define VG_TEXT_CONTENTS "Text Format Volume Group"
/* lvm2's writer stops indenting at five tabs. */
#define VG_TEXT_MAX_INDENT 5
/* Comments are lined up at this tab stop when the text before them allows. */
#define VG_TEXT_COMMENT_TAB 6

/* ---- status words, in the order lvm2 writes them ---------------------- */

struct vg_status_word {
	const char *word;
	uint32_t bit;
};

static const struct vg_status_word vg_status_words[] = {
	{ "EXPORTED", VG_STATUS_EXPORTED }, { "RESIZEABLE", VG_STATUS_RESIZEABLE },
	{ "PVMOVE", VG_STATUS_PVMOVE },     { "READ", VG_STATUS_READ },
	{ "WRITE", VG_STATUS_WRITE },       { "CLUSTERED", VG_STATUS_CLUSTERED },
	{ "SHARED", VG_STATUS_SHARED },     { NULL, 0 },
};

/* MISSING is accepted in status but lvm2 writes it in flags (it is a "compatible" flag). */
static const struct vg_status_word pv_status_words[] = {
	{ "ALLOCATABLE", PV_STATUS_ALLOCATABLE },
	{ "EXPORTED", PV_STATUS_EXPORTED },
	{ "MISSING", PV_STATUS_MISSING },
	{ NULL, 0 },
};

static const struct vg_status_word lv_status_words[] = {
	{ "READ", LV_STATUS_READ },
	{ "WRITE", LV_STATUS_WRITE },
	{ "FIXED_MINOR", LV_STATUS_FIXED_MINOR },
	{ "VISIBLE", LV_STATUS_VISIBLE },
	{ "PVMOVE", LV_STATUS_PVMOVE },
	{ "LOCKED", LV_STATUS_LOCKED },
	{ "NOTSYNCED", LV_STATUS_NOTSYNCED },
	{ "REBUILD", LV_STATUS_REBUILD },
	{ "WRITEMOSTLY", LV_STATUS_WRITEMOSTLY },
	{ NULL, 0 },
};

/* ---- parsing helpers -------------------------------------------------- */

/* Up to 48 bytes of @s for a message, non-printable bytes shown as '?'. */
static const char *printable(const char *s, char buf[static 52])
{
	size_t len = s ? strlen(s) : 0, n = MIN(len, (size_t)48);

	for (size_t i = 0; i < n; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (len > n) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

/* "line N: <message>" with -EBADMSG. */
static int bad(struct vg_error *err, unsigned line, const char *fmt, ...) _printf_(3, 4);
static int bad(struct vg_error *err, unsigned line, const char *fmt, ...)
{
	char msg[VG_ERROR_MESSAGE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return vg_error_set(err, -EBADMSG, "line %u: %s", line, msg);
}

static int nomem(struct vg_error *err)
{
	return vg_error_set(err, -ENOMEM, "out of memory");
}

static int get_u64(const struct cfg_node *n, uint64_t min, uint64_t max, uint64_t *ret,
		   struct vg_error *err)
{
	if (n->is_section || n->value.type != CFG_INT)
		return bad(err, n->line, "%s must be an integer", n->key);
	if (n->value.integer < 0 || (uint64_t)n->value.integer < min ||
	    (uint64_t)n->value.integer > max)
		return bad(err, n->line, "%s = %" PRId64 " is out of range", n->key,
			   n->value.integer);
	*ret = (uint64_t)n->value.integer;
	return 0;
}

static int get_str(const struct cfg_node *n, const char **ret, struct vg_error *err)
{
	if (n->is_section || n->value.type != CFG_STRING)
		return bad(err, n->line, "%s must be a string", n->key);
	*ret = n->value.text;
	return 0;
}

static int set_str(const struct cfg_node *n, char **field, struct vg_error *err)
{
	const char *s = NULL;
	int r = get_str(n, &s, err);

	if (r < 0)
		return r;
	free(*field);
	*field = strdup(s);
	return *field ? 0 : nomem(err);
}

/* A list of strings, or (as lvm2 also accepts) a single string. */
static int get_words(const struct cfg_node *n, struct vg_words *ret, struct vg_error *err)
{
	const struct cfg_value *items = &n->value;
	size_t count = 1;
	char **words;

	if (n->is_section)
		return bad(err, n->line, "%s must be a list of strings", n->key);
	if (n->value.type == CFG_LIST) {
		items = n->value.items;
		count = n->value.n_items;
	} else if (n->value.type != CFG_STRING) {
		return bad(err, n->line, "%s must be a list of strings", n->key);
	}
	for (size_t i = 0; i < count; i++)
		if (items[i].type != CFG_STRING)
			return bad(err, n->line, "%s must be a list of strings", n->key);
	if (count == 0) {
		*ret = (struct vg_words){ 0 };
		return 0;
	}
	words = calloc(count, sizeof(*words));
	if (!words)
		return nomem(err);
	for (size_t i = 0; i < count; i++) {
		words[i] = strdup(items[i].text);
		if (!words[i]) {
			while (i > 0)
				free(words[--i]);
			free(words);
			return nomem(err);
		}
	}
	*ret = (struct vg_words){ .words = words, .n = count };
	return 0;
}

static int get_status(const struct cfg_node *n, const struct vg_status_word *table, bool is_vg,
		      uint32_t *ret, struct vg_error *err)
{
	const struct cfg_value *items = &n->value;
	size_t count = 1;
	uint32_t bits = 0;
	char buf[52];

	if (n->is_section)
		return bad(err, n->line, "status must be a list of strings");
	if (n->value.type == CFG_LIST) {
		items = n->value.items;
		count = n->value.n_items;
	} else if (n->value.type != CFG_STRING) {
		return bad(err, n->line, "status must be a list of strings");
	}
	for (size_t i = 0; i < count; i++) {
		const struct vg_status_word *w;

		if (items[i].type != CFG_STRING)
			return bad(err, n->line, "status must be a list of strings");
		for (w = table; w->word; w++)
			if (strcmp(w->word, items[i].text) == 0)
				break;
		if (w->word) {
			bits |= w->bit;
			continue;
		}
		/* Old backups may carry PARTIAL; lvm2 reads it and never writes it. */
		if (is_vg && strcmp(items[i].text, "PARTIAL") == 0)
			continue;
		return bad(err, n->line, "unknown status word \"%s\"",
			   printable(items[i].text, buf));
	}
	*ret = bits;
	return 0;
}

static bool words_contain(const struct vg_words *words, const char *word)
{
	for (size_t i = 0; i < words->n; i++)
		if (strcmp(words->words[i], word) == 0)
			return true;
	return false;
}

static int extra_append(struct cfg_node ***tail, const struct cfg_node *n, struct vg_error *err)
{
	struct cfg_node *copy = cfg_node_clone(n);

	if (!copy)
		return nomem(err);
	**tail = copy;
	*tail = &copy->next;
	return 0;
}

/* Keys seen in one block, for "missing" and "twice" checks. */
static int mark_seen(const struct cfg_node *n, uint32_t *seen, uint32_t bit, struct vg_error *err)
{
	if (*seen & bit)
		return bad(err, n->line, "%s appears twice", n->key);
	*seen |= bit;
	return 0;
}

static int parse_id(const struct cfg_node *n, char id[LVM_UUID_LEN + 1], struct vg_error *err)
{
	const char *text = NULL;
	char buf[52];
	int r;

	r = get_str(n, &text, err);
	if (r < 0)
		return r;
	if (lvm_uuid_parse(text, id, NULL) < 0)
		return bad(err, n->line, "id \"%s\" is not a valid LVM id", printable(text, buf));
	return 0;
}

/* ---- name look-ups for PV references ---------------------------------- */

struct name_ref {
	const char *name;
	size_t index;
};

static int name_ref_cmp(const void *a, const void *b)
{
	return strcmp(((const struct name_ref *)a)->name, ((const struct name_ref *)b)->name);
}

struct vg_parser {
	struct vg_error *err;
	struct vg *vg;
	struct name_ref *pv_keys; /* sorted, for stripes = [ "pvN", ... ] */
	struct name_ref *lv_names; /* sorted, built on first need */
	size_t n_lv_names;
	bool lv_names_built;
	const struct cfg_node *lvs_section;
};

static const struct name_ref *name_ref_find(const struct name_ref *refs, size_t n, const char *name)
{
	struct name_ref key = { .name = name };

	if (n == 0)
		return NULL;
	return bsearch(&key, refs, n, sizeof(*refs), name_ref_cmp);
}

static int lv_name_known(struct vg_parser *p, const char *name, bool *ret)
{
	if (!p->lv_names_built) {
		size_t n = 0;

		for (const struct cfg_node *c = p->lvs_section ? p->lvs_section->children : NULL; c;
		     c = c->next)
			n++;
		if (n > 0) {
			p->lv_names = calloc(n, sizeof(*p->lv_names));
			if (!p->lv_names)
				return nomem(p->err);
		}
		n = 0;
		for (const struct cfg_node *c = p->lvs_section ? p->lvs_section->children : NULL; c;
		     c = c->next)
			p->lv_names[n++] = (struct name_ref){ .name = c->key };
		if (n > 0)
			qsort(p->lv_names, n, sizeof(*p->lv_names), name_ref_cmp);
		p->n_lv_names = n;
		p->lv_names_built = true;
	}
	*ret = name_ref_find(p->lv_names, p->n_lv_names, name) != NULL;
	return 0;
}

/* ---- segments --------------------------------------------------------- */

enum {
	SEG_START = 1 << 0,
	SEG_COUNT = 1 << 1,
	SEG_TYPE = 1 << 2,
	SEG_STRIPE_COUNT = 1 << 3,
	SEG_STRIPE_SIZE = 1 << 4,
	SEG_STRIPES = 1 << 5,
};

/*
 * Decide whether a "striped" segment fits the model: all its areas must be
 * PVs. lvm2 also writes striped segments whose areas are LVs (an LV being
 * pvmoved points at the pvmove LV); those are kept verbatim. A name that is
 * neither a PV nor an LV is a dangling reference, refused like lvm2 does.
 */
static int striped_areas_are_pvs(struct vg_parser *p, const struct cfg_node *stripes, bool *ret)
{
	bool all_pvs = true;
	char buf[52];
	int r;

	if (!stripes || stripes->is_section || stripes->value.type != CFG_LIST) {
		*ret = true; /* the strict parse reports the problem */
		return 0;
	}
	for (size_t i = 0; i < stripes->value.n_items; i += 2) {
		const struct cfg_value *item = &stripes->value.items[i];
		bool is_lv = false;

		if (item->type != CFG_STRING)
			continue;
		if (name_ref_find(p->pv_keys, p->vg->n_pvs, item->text))
			continue;
		r = lv_name_known(p, item->text, &is_lv);
		if (r < 0)
			return r;
		if (!is_lv)
			return bad(p->err, stripes->line,
				   "stripes refers to \"%s\", which is neither a PV nor an LV",
				   printable(item->text, buf));
		all_pvs = false;
	}
	*ret = all_pvs;
	return 0;
}

static int parse_stripes(struct vg_parser *p, const struct cfg_node *n, struct vg_segment *seg)
{
	const struct cfg_value *items = n->value.items;

	if (n->is_section || n->value.type != CFG_LIST)
		return bad(p->err, n->line, "stripes must be a list");
	if (n->value.n_items != 2 * (uint64_t)seg->stripe_count)
		return bad(p->err, n->line,
			   "stripes has %zu entries, stripe_count %u needs %" PRIu64,
			   n->value.n_items, seg->stripe_count, 2 * (uint64_t)seg->stripe_count);
	seg->stripes = calloc(seg->stripe_count, sizeof(*seg->stripes));
	if (!seg->stripes)
		return nomem(p->err);
	for (uint32_t s = 0; s < seg->stripe_count; s++) {
		const struct cfg_value *name = &items[2 * s], *pe = &items[2 * s + 1];
		const struct name_ref *ref;

		if (name->type != CFG_STRING || pe->type != CFG_INT)
			return bad(p->err, n->line,
				   "stripes must be pairs of a PV name and an extent");
		if (pe->integer < 0 || pe->integer > UINT32_MAX)
			return bad(p->err, n->line, "stripes: extent %" PRId64 " is out of range",
				   pe->integer);
		ref = name_ref_find(p->pv_keys, p->vg->n_pvs, name->text);
		if (!ref) /* striped_areas_are_pvs() let only PV names through */
			return bad(p->err, n->line, "stripes refers to an unknown PV");
		seg->stripes[s] = (struct vg_stripe){ .pv_index = ref->index,
						      .first_pe = (uint64_t)pe->integer };
	}
	return 0;
}

static int parse_segment(struct vg_parser *p, const char *lv_name, const struct cfg_node *sn,
			 struct vg_segment **ret)
{
	struct vg_segment *seg = calloc(1, sizeof(*seg));
	const struct cfg_node *type_node, *stripes_node = NULL;
	struct cfg_node **tail;
	uint32_t seen = 0;
	uint64_t v;
	char buf[52], seg_buf[52];
	int r;

	if (!seg)
		return nomem(p->err);
	*ret = seg; /* the caller owns it from here, also on failure */
	tail = &seg->extra;

	type_node = cfg_find(sn, "type");
	if (!type_node)
		return bad(p->err, sn->line, "segment %s of LV \"%s\" has no type",
			   printable(sn->key, seg_buf), printable(lv_name, buf));
	r = set_str(type_node, &seg->type, p->err);
	if (r < 0)
		return r;
	if (strcmp(seg->type, "striped") == 0) {
		bool all_pvs = true;

		stripes_node = cfg_find(sn, "stripes");
		r = striped_areas_are_pvs(p, stripes_node, &all_pvs);
		if (r < 0)
			return r;
		seg->is_striped = all_pvs;
	}

	for (const struct cfg_node *n = sn->children; n; n = n->next) {
		const char *k = n->key;

		if (strcmp(k, "start_extent") == 0) {
			r = mark_seen(n, &seen, SEG_START, p->err);
			if (r >= 0)
				r = get_u64(n, 0, UINT32_MAX, &seg->start_extent, p->err);
		} else if (strcmp(k, "extent_count") == 0) {
			r = mark_seen(n, &seen, SEG_COUNT, p->err);
			if (r >= 0)
				r = get_u64(n, 1, UINT32_MAX, &seg->extent_count, p->err);
		} else if (strcmp(k, "type") == 0) {
			r = mark_seen(n, &seen, SEG_TYPE, p->err);
		} else if (seg->is_striped && strcmp(k, "stripe_count") == 0) {
			r = mark_seen(n, &seen, SEG_STRIPE_COUNT, p->err);
			if (r >= 0)
				r = get_u64(n, 1, UINT32_MAX, &v, p->err);
			if (r >= 0)
				seg->stripe_count = (uint32_t)v;
		} else if (seg->is_striped && strcmp(k, "stripe_size") == 0) {
			r = mark_seen(n, &seen, SEG_STRIPE_SIZE, p->err);
			if (r >= 0)
				r = get_u64(n, 0, UINT32_MAX, &seg->stripe_size_sectors, p->err);
		} else if (seg->is_striped && strcmp(k, "stripes") == 0) {
			r = mark_seen(n, &seen, SEG_STRIPES, p->err);
		} else {
			r = extra_append(&tail, n, p->err);
		}
		if (r < 0)
			return r;
	}

	if (!(seen & SEG_START))
		return bad(p->err, sn->line, "segment %s of LV \"%s\" has no start_extent",
			   printable(sn->key, seg_buf), printable(lv_name, buf));
	if (!(seen & SEG_COUNT))
		return bad(p->err, sn->line, "segment %s of LV \"%s\" has no extent_count",
			   printable(sn->key, seg_buf), printable(lv_name, buf));
	if (!seg->is_striped)
		return 0;
	if (!(seen & SEG_STRIPE_COUNT))
		return bad(p->err, sn->line, "segment %s of LV \"%s\" has no stripe_count",
			   printable(sn->key, seg_buf), printable(lv_name, buf));
	if (!(seen & SEG_STRIPES))
		return bad(p->err, sn->line, "segment %s of LV \"%s\" has no stripes",
			   printable(sn->key, seg_buf), printable(lv_name, buf));
	if (seg->stripe_count > 1 && !(seen & SEG_STRIPE_SIZE))
		return bad(p->err, sn->line,
			   "segment %s of LV \"%s\" has %u stripes but no stripe_size",
			   printable(sn->key, seg_buf), printable(lv_name, buf), seg->stripe_count);
	/* lvm2 neither reads nor writes a stripe size for a single stripe. */
	if (seg->stripe_count == 1)
		seg->stripe_size_sectors = 0;
	return parse_stripes(p, stripes_node, seg);
}

struct seg_slot {
	struct vg_segment *seg;
	unsigned line;
	size_t order;
};

static int seg_slot_cmp(const void *a, const void *b)
{
	const struct seg_slot *x = a, *y = b;

	if (x->seg->start_extent != y->seg->start_extent)
		return x->seg->start_extent < y->seg->start_extent ? -1 : 1;
	return x->order < y->order ? -1 : (x->order > y->order);
}

/* Does @b continue @a on the same PVs, so that lvm2's importer would merge them? */
static bool segments_mergeable(const struct vg_segment *a, const struct vg_segment *b)
{
	uint64_t area;

	if (!a->is_striped || !b->is_striped || a->extra || b->extra ||
	    a->stripe_count != b->stripe_count ||
	    a->stripe_size_sectors != b->stripe_size_sectors || a->extent_count % a->stripe_count ||
	    b->extent_count % b->stripe_count)
		return false;
	area = a->extent_count / a->stripe_count;
	for (uint32_t s = 0; s < a->stripe_count; s++)
		if (a->stripes[s].pv_index != b->stripes[s].pv_index ||
		    a->stripes[s].first_pe + area != b->stripes[s].first_pe)
			return false;
	return a->extent_count + b->extent_count <= UINT32_MAX;
}

static void segment_free(struct vg_segment *seg)
{
	if (!seg)
		return;
	free(seg->type);
	free(seg->stripes);
	cfg_node_list_free(seg->extra);
	free(seg);
}

/*
 * Sort @lv's segments by start_extent, check they run from extent 0 without
 * gap or overlap, and merge the ones lvm2 would merge.
 */
static int order_segments(struct vg_parser *p, struct vg_lv *lv, struct seg_slot *slots)
{
	uint64_t next = 0;
	size_t out = 0;
	char buf[52];

	qsort(slots, lv->n_segments, sizeof(*slots), seg_slot_cmp);
	for (size_t i = 0; i < lv->n_segments; i++) {
		if (slots[i].seg->start_extent != next)
			return bad(p->err, slots[i].line,
				   "LV \"%s\": segment starts at extent %" PRIu64
				   ", expected %" PRIu64
				   " (segments must follow each other without gaps or overlaps)",
				   printable(lv->name, buf), slots[i].seg->start_extent, next);
		next += slots[i].seg->extent_count;
	}
	/* Only now, so that on error lv->segments still holds each segment once. */
	for (size_t i = 0; i < lv->n_segments; i++)
		lv->segments[i] = slots[i].seg;
	for (size_t i = 0; i < lv->n_segments; i++) {
		if (out > 0 && segments_mergeable(lv->segments[out - 1], lv->segments[i])) {
			lv->segments[out - 1]->extent_count += lv->segments[i]->extent_count;
			segment_free(lv->segments[i]);
			continue;
		}
		lv->segments[out++] = lv->segments[i];
	}
	lv->n_segments = out;
	return 0;
}

/* ---- LVs -------------------------------------------------------------- */

enum {
	LV_ID = 1 << 0,
	LV_STATUS = 1 << 1,
	LV_FLAGS = 1 << 2,
	LV_TAGS = 1 << 3,
	LV_CTIME = 1 << 4,
	LV_CHOST = 1 << 5,
	LV_SEGCOUNT = 1 << 6,
};

static int parse_lv(struct vg_parser *p, const struct cfg_node *ln, struct vg_lv *lv)
{
	_cleanup_free_ struct seg_slot *slots = NULL;
	struct cfg_node **tail = &lv->extra;
	size_t n_sections = 0;
	uint32_t seen = 0;
	uint64_t segment_count = 0;
	const struct cfg_node *ctime_node = NULL;
	char buf[52];
	int r;

	lv->name = strdup(ln->key);
	if (!lv->name)
		return nomem(p->err);

	for (const struct cfg_node *n = ln->children; n; n = n->next)
		if (n->is_section)
			n_sections++;
	if (n_sections > 0) {
		slots = calloc(n_sections, sizeof(*slots));
		lv->segments = calloc(n_sections, sizeof(*lv->segments));
		if (!slots || !lv->segments)
			return nomem(p->err);
	}

	for (const struct cfg_node *n = ln->children; n; n = n->next) {
		const char *k = n->key;

		if (n->is_section) {
			/* Every subsection of an LV is a segment, whatever its name (lvm2). */
			size_t i = lv->n_segments++;

			r = parse_segment(p, lv->name, n, &lv->segments[i]);
			slots[i] = (struct seg_slot){
				.seg = lv->segments[i], .line = n->line, .order = i};
		} else if (strcmp(k, "id") == 0) {
			r = mark_seen(n, &seen, LV_ID, p->err);
			if (r >= 0)
				r = parse_id(n, lv->id, p->err);
		} else if (strcmp(k, "status") == 0) {
			r = mark_seen(n, &seen, LV_STATUS, p->err);
			if (r >= 0)
				r = get_status(n, lv_status_words, false, &lv->status, p->err);
		} else if (strcmp(k, "flags") == 0) {
			r = mark_seen(n, &seen, LV_FLAGS, p->err);
			if (r >= 0)
				r = get_words(n, &lv->flags, p->err);
		} else if (strcmp(k, "tags") == 0) {
			r = mark_seen(n, &seen, LV_TAGS, p->err);
			if (r >= 0)
				r = get_words(n, &lv->tags, p->err);
		} else if (strcmp(k, "creation_time") == 0) {
			r = mark_seen(n, &seen, LV_CTIME, p->err);
			if (r >= 0 && (n->value.type != CFG_INT || n->is_section))
				r = bad(p->err, n->line, "creation_time must be an integer");
			if (r >= 0)
				lv->creation_time = n->value.integer;
			ctime_node = n;
		} else if (strcmp(k, "creation_host") == 0) {
			r = mark_seen(n, &seen, LV_CHOST, p->err);
			if (r >= 0)
				r = set_str(n, &lv->creation_host, p->err);
		} else if (strcmp(k, "segment_count") == 0) {
			r = mark_seen(n, &seen, LV_SEGCOUNT, p->err);
			if (r >= 0)
				r = get_u64(n, 0, UINT32_MAX, &segment_count, p->err);
		} else {
			r = extra_append(&tail, n, p->err);
		}
		if (r < 0)
			return r;
	}

	if (!(seen & LV_ID))
		return bad(p->err, ln->line, "LV \"%s\" has no id", printable(lv->name, buf));
	if (!(seen & LV_STATUS))
		return bad(p->err, ln->line, "LV \"%s\" has no status", printable(lv->name, buf));
	if (!(seen & LV_SEGCOUNT))
		return bad(p->err, ln->line, "LV \"%s\" has no segment_count",
			   printable(lv->name, buf));
	if ((seen & LV_CTIME) && !(seen & LV_CHOST))
		return bad(p->err, ctime_node->line,
			   "LV \"%s\" has creation_time but no creation_host",
			   printable(lv->name, buf));
	if ((seen & LV_CHOST) && !(seen & LV_CTIME))
		return bad(p->err, ln->line, "LV \"%s\" has creation_host but no creation_time",
			   printable(lv->name, buf));
	lv->has_creation = (seen & LV_CTIME) != 0;
	if (segment_count != lv->n_segments)
		return bad(p->err, ln->line,
			   "LV \"%s\": segment_count is %" PRIu64 " but it has %zu segments",
			   printable(lv->name, buf), segment_count, lv->n_segments);
	return order_segments(p, lv, slots);
}

/* The number of subsections of @section, which may hold nothing else. */
static int count_subsections(struct vg_parser *p, const struct cfg_node *section, const char *what,
			     size_t *ret_n)
{
	char buf[52];
	size_t n = 0;

	for (const struct cfg_node *c = section->children; c; c = c->next) {
		if (!c->is_section)
			return bad(p->err, c->line, "%s may hold only %s sections, not \"%s\"", section->key, what,
				   printable(c->key, buf));
		n++;
	}
	*ret_n = n;
	return 0;
}

static int parse_lvs(struct vg_parser *p, const struct cfg_node *section)
{
	struct vg *vg = p->vg;
	size_t n = 0;
	int r;

	r = count_subsections(p, section, "LV", &n);
	if (r < 0 || n == 0)
		return r;
	vg->lvs = calloc(n, sizeof(*vg->lvs));
	if (!vg->lvs)
		return nomem(p->err);
	for (const struct cfg_node *c = section->children; c; c = c->next) {
		struct vg_lv *lv = calloc(1, sizeof(*lv));

		if (!lv)
			return nomem(p->err);
		vg->lvs[vg->n_lvs++] = lv;
		r = parse_lv(p, c, lv);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- PVs -------------------------------------------------------------- */

enum {
	PV_ID = 1 << 0,
	PV_DEVICE = 1 << 1,
	PV_STATUS = 1 << 2,
	PV_FLAGS = 1 << 3,
	PV_TAGS = 1 << 4,
	PV_DEV_SIZE = 1 << 5,
	PV_PE_START = 1 << 6,
	PV_PE_COUNT = 1 << 7,
};

static int parse_pv(struct vg_parser *p, const struct cfg_node *pn, struct vg_pv *pv)
{
	struct cfg_node **tail = &pv->extra;
	uint32_t seen = 0;
	char buf[52];
	int r;

	pv->key = strdup(pn->key);
	if (!pv->key)
		return nomem(p->err);
	for (const struct cfg_node *n = pn->children; n; n = n->next) {
		const char *k = n->key;

		if (strcmp(k, "id") == 0) {
			r = mark_seen(n, &seen, PV_ID, p->err);
			if (r >= 0)
				r = parse_id(n, pv->id, p->err);
		} else if (strcmp(k, "device") == 0) {
			r = mark_seen(n, &seen, PV_DEVICE, p->err);
			if (r >= 0)
				r = set_str(n, &pv->device_hint, p->err);
		} else if (strcmp(k, "status") == 0) {
			r = mark_seen(n, &seen, PV_STATUS, p->err);
			if (r >= 0)
				r = get_status(n, pv_status_words, false, &pv->status, p->err);
		} else if (strcmp(k, "flags") == 0) {
			r = mark_seen(n, &seen, PV_FLAGS, p->err);
			if (r >= 0)
				r = get_words(n, &pv->flags, p->err);
		} else if (strcmp(k, "tags") == 0) {
			r = mark_seen(n, &seen, PV_TAGS, p->err);
			if (r >= 0)
				r = get_words(n, &pv->tags, p->err);
		} else if (strcmp(k, "dev_size") == 0) {
			r = mark_seen(n, &seen, PV_DEV_SIZE, p->err);
			if (r >= 0)
				r = get_u64(n, 0, INT64_MAX, &pv->dev_size_sectors, p->err);
			pv->has_dev_size = true;
		} else if (strcmp(k, "pe_start") == 0) {
			r = mark_seen(n, &seen, PV_PE_START, p->err);
			if (r >= 0)
				r = get_u64(n, 0, INT64_MAX, &pv->pe_start_sectors, p->err);
		} else if (strcmp(k, "pe_count") == 0) {
			r = mark_seen(n, &seen, PV_PE_COUNT, p->err);
			if (r >= 0)
				r = get_u64(n, 0, UINT32_MAX, &pv->pe_count, p->err);
		} else {
			r = extra_append(&tail, n, p->err);
		}
		if (r < 0)
			return r;
	}
	if (!(seen & PV_ID))
		return bad(p->err, pn->line, "PV \"%s\" has no id", printable(pv->key, buf));
	if (!(seen & PV_STATUS))
		return bad(p->err, pn->line, "PV \"%s\" has no status", printable(pv->key, buf));
	if (!(seen & PV_PE_START))
		return bad(p->err, pn->line, "PV \"%s\" has no pe_start", printable(pv->key, buf));
	if (!(seen & PV_PE_COUNT))
		return bad(p->err, pn->line, "PV \"%s\" has no pe_count", printable(pv->key, buf));
	/* A MISSING flag marks the PV missing, as lvm2 reads it. */
	if (words_contain(&pv->flags, "MISSING"))
		pv->status |= PV_STATUS_MISSING;
	return 0;
}

static int parse_pvs(struct vg_parser *p, const struct cfg_node *section)
{
	struct vg *vg = p->vg;
	size_t n = 0;
	char buf[52];
	int r;

	r = count_subsections(p, section, "PV", &n);
	if (r < 0 || n == 0)
		return r;
	vg->pvs = calloc(n, sizeof(*vg->pvs));
	p->pv_keys = calloc(n, sizeof(*p->pv_keys));
	if (!vg->pvs || !p->pv_keys)
		return nomem(p->err);
	for (const struct cfg_node *c = section->children; c; c = c->next) {
		struct vg_pv *pv = calloc(1, sizeof(*pv));

		if (!pv)
			return nomem(p->err);
		p->pv_keys[vg->n_pvs] = (struct name_ref){ .name = c->key, .index = vg->n_pvs };
		vg->pvs[vg->n_pvs++] = pv;
		r = parse_pv(p, c, pv);
		if (r < 0)
			return r;
	}
	qsort(p->pv_keys, n, sizeof(*p->pv_keys), name_ref_cmp);
	for (size_t i = 1; i < n; i++)
		if (strcmp(p->pv_keys[i - 1].name, p->pv_keys[i].name) == 0)
			return bad(p->err, section->line, "two PVs are named \"%s\"",
				   printable(p->pv_keys[i].name, buf));
	return 0;
}

/* ---- VG and header ---------------------------------------------------- */

enum {
	VG_ID = 1 << 0,
	VG_SEQNO = 1 << 1,
	VG_FORMAT = 1 << 2,
	VG_STATUS = 1 << 3,
	VG_FLAGS = 1 << 4,
	VG_TAGS = 1 << 5,
	VG_EXTENT = 1 << 6,
	VG_MAX_LV = 1 << 7,
	VG_MAX_PV = 1 << 8,
	VG_MDA_COPIES = 1 << 9,
	VG_PVS = 1 << 10,
	VG_LVS = 1 << 11,
};

static int parse_vg(struct vg_parser *p, const struct cfg_node *vgn)
{
	struct vg *vg = p->vg;
	struct cfg_node **tail = &vg->extra;
	const struct cfg_node *pvs = NULL, *lvs = NULL;
	uint32_t seen = 0;
	char buf[52];
	int r;

	vg->name = strdup(vgn->key);
	if (!vg->name)
		return nomem(p->err);
	for (const struct cfg_node *n = vgn->children; n; n = n->next) {
		const char *k = n->key;

		if (strcmp(k, "id") == 0) {
			r = mark_seen(n, &seen, VG_ID, p->err);
			if (r >= 0)
				r = parse_id(n, vg->id, p->err);
		} else if (strcmp(k, "seqno") == 0) {
			r = mark_seen(n, &seen, VG_SEQNO, p->err);
			if (r >= 0)
				r = get_u64(n, 0, UINT32_MAX, &vg->seqno, p->err);
		} else if (strcmp(k, "format") == 0) {
			r = mark_seen(n, &seen, VG_FORMAT, p->err);
			if (r >= 0)
				r = set_str(n, &vg->format, p->err);
		} else if (strcmp(k, "status") == 0) {
			r = mark_seen(n, &seen, VG_STATUS, p->err);
			if (r >= 0)
				r = get_status(n, vg_status_words, true, &vg->status, p->err);
		} else if (strcmp(k, "flags") == 0) {
			r = mark_seen(n, &seen, VG_FLAGS, p->err);
			if (r >= 0)
				r = get_words(n, &vg->flags, p->err);
		} else if (strcmp(k, "tags") == 0) {
			r = mark_seen(n, &seen, VG_TAGS, p->err);
			if (r >= 0)
				r = get_words(n, &vg->tags, p->err);
		} else if (strcmp(k, "extent_size") == 0) {
			r = mark_seen(n, &seen, VG_EXTENT, p->err);
			if (r >= 0)
				r = get_u64(n, 1, UINT32_MAX, &vg->extent_size_sectors, p->err);
		} else if (strcmp(k, "max_lv") == 0) {
			r = mark_seen(n, &seen, VG_MAX_LV, p->err);
			if (r >= 0)
				r = get_u64(n, 0, UINT32_MAX, &vg->max_lv, p->err);
		} else if (strcmp(k, "max_pv") == 0) {
			r = mark_seen(n, &seen, VG_MAX_PV, p->err);
			if (r >= 0)
				r = get_u64(n, 0, UINT32_MAX, &vg->max_pv, p->err);
		} else if (strcmp(k, "metadata_copies") == 0) {
			r = mark_seen(n, &seen, VG_MDA_COPIES, p->err);
			if (r >= 0)
				r = get_u64(n, 0, UINT32_MAX, &vg->metadata_copies, p->err);
			vg->has_metadata_copies = true;
		} else if (strcmp(k, "physical_volumes") == 0) {
			r = mark_seen(n, &seen, VG_PVS, p->err);
			if (r >= 0 && !n->is_section)
				r = bad(p->err, n->line, "physical_volumes must be a section");
			pvs = n;
		} else if (strcmp(k, "logical_volumes") == 0) {
			r = mark_seen(n, &seen, VG_LVS, p->err);
			if (r >= 0 && !n->is_section)
				r = bad(p->err, n->line, "logical_volumes must be a section");
			lvs = n;
		} else {
			r = extra_append(&tail, n, p->err);
		}
		if (r < 0)
			return r;
	}

	static const struct {
		uint32_t bit;
		const char *key;
	} required[] = {
		{ VG_ID, "id" },	   { VG_SEQNO, "seqno" },   { VG_STATUS, "status" },
		{ VG_EXTENT, "extent_size" }, { VG_MAX_LV, "max_lv" }, { VG_MAX_PV, "max_pv" },
		{ VG_PVS, "physical_volumes" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(required); i++)
		if (!(seen & required[i].bit))
			return bad(p->err, vgn->line, "volume group \"%s\" has no %s",
				   printable(vg->name, buf), required[i].key);

	/* PVs first: segments refer to them. */
	r = parse_pvs(p, pvs);
	if (r < 0)
		return r;
	p->lvs_section = lvs;
	if (lvs)
		return parse_lvs(p, lvs);
	return 0;
}

/*
 * Header keys are assignments at the top level. A VG may be named like one
 * ("version {"), and in the raw form its section comes first, so sections
 * are skipped rather than taken for a mistyped header key.
 */
static const struct cfg_node *find_header_key(const struct cfg_node *root, const char *key)
{
	for (const struct cfg_node *n = root->children; n; n = n->next)
		if (!n->is_section && strcmp(n->key, key) == 0)
			return n;
	return NULL;
}

static int parse_header(const struct cfg_node *root, struct vg *vg, struct vg_error *err)
{
	const struct cfg_node *n;
	int r;

	n = find_header_key(root, "contents");
	if (!n)
		return vg_error_set(err, -EBADMSG,
				    "no \"contents\" key: this is not LVM2 text metadata");
	if (n->is_section || n->value.type != CFG_STRING)
		return bad(err, n->line, "contents must be a string");
	if (strcmp(n->value.text, VG_TEXT_CONTENTS) != 0) {
		char buf[52];

		return vg_error_set(err, -EPROTONOSUPPORT, "line %u: unknown contents \"%s\"",
				    n->line, printable(n->value.text, buf));
	}
	n = find_header_key(root, "version");
	if (!n)
		return vg_error_set(err, -EBADMSG, "no \"version\" key in the metadata header");
	if (n->is_section || n->value.type != CFG_INT)
		return bad(err, n->line, "version must be an integer");
	if (n->value.integer != 1)
		return vg_error_set(err, -EPROTONOSUPPORT,
				    "line %u: metadata format version %" PRId64 " is not supported",
				    n->line, n->value.integer);

	n = find_header_key(root, "description");
	if (n && (r = set_str(n, &vg->description, err)) < 0)
		return r;
	n = find_header_key(root, "creation_host");
	if (n && (r = set_str(n, &vg->creation_host, err)) < 0)
		return r;
	n = find_header_key(root, "creation_time");
	if (n) {
		if (n->is_section || n->value.type != CFG_INT)
			return bad(err, n->line, "creation_time must be an integer");
		vg->creation_time = n->value.integer;
	}
	return 0;
}

int vg_text_parse(const char *text, size_t len, struct vg **ret_vg, struct vg_error *err)
{
	_cleanup_(cfg_tree_freep) struct cfg_tree *tree = NULL;
	_cleanup_(vg_freep) struct vg *vg = NULL;
	struct vg_parser p = { .err = err };
	const struct cfg_node *vgn;
	int r;

	r = cfg_parse(text, len, &tree, err);
	if (r < 0)
		return r;
	vg = vg_new();
	if (!vg)
		return nomem(err);
	r = parse_header(&tree->root, vg, err);
	if (r < 0)
		return r;
	for (vgn = tree->root.children; vgn && !vgn->is_section; vgn = vgn->next)
		;
	if (!vgn)
		return vg_error_set(err, -EBADMSG, "no volume group section in the metadata");

	p.vg = vg;
	r = parse_vg(&p, vgn);
	free(p.pv_keys);
	free(p.lv_names);
	if (r < 0)
		return r;
	*ret_vg = TAKE_PTR(vg);
	return 0;
}

/* ---- rendering -------------------------------------------------------- */

struct vg_render {
	struct strbuf *sb;
	const struct vg *vg;
	struct vg_text_cache *cache; /* NULL: render every LV */
	bool backup;     /* tabs and comments */
	unsigned depth;  /* nesting level of the lines being written */
	struct name_ref *pv_keys; /* sorted PV keys, built when a verbatim segment needs them */
	size_t n_pv_keys;
	bool pv_keys_built;
};

static void put_u64(struct strbuf *sb, uint64_t v)
{
	char buf[24], *p = buf + sizeof(buf);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	strbuf_append(sb, p, (size_t)(buf + sizeof(buf) - p));
}

static void put_i64(struct strbuf *sb, int64_t v)
{
	if (v < 0) {
		strbuf_putc(sb, '-');
		put_u64(sb, (uint64_t)0 - (uint64_t)v);
	} else {
		put_u64(sb, (uint64_t)v);
	}
}

#define PUT_LIT(sb, lit) strbuf_append((sb), (lit), sizeof(lit) - 1)

/* Start a line: indentation in the backup form. Returns where the text starts. */
static size_t line_begin(struct vg_render *r)
{
	if (r->backup) {
		static const char tabs[VG_TEXT_MAX_INDENT] = { '\t', '\t', '\t', '\t', '\t' };

		strbuf_append(r->sb, tabs, MIN(r->depth, (unsigned)VG_TEXT_MAX_INDENT));
	}
	return r->sb->len;
}

/*
 * End a line, with @comment (backup form only) lined up the way lvm2 does:
 * at least one tab, more while the text is short, aiming at the sixth tab stop.
 */
static void line_end(struct vg_render *r, size_t start, const char *comment)
{
	if (r->backup && comment) {
		size_t stop =
			(r->sb->len - start + 8 * MIN(r->depth, (unsigned)VG_TEXT_MAX_INDENT)) / 8 +
			1;

		do
			strbuf_putc(r->sb, '\t');
		while (++stop < VG_TEXT_COMMENT_TAB);
		strbuf_puts(r->sb, comment);
	}
	strbuf_putc(r->sb, '\n');
}

static void blank_line(struct vg_render *r)
{
	strbuf_putc(r->sb, '\n');
}

static void open_section(struct vg_render *r, const char *name)
{
	size_t start = line_begin(r);

	strbuf_puts(r->sb, name);
	PUT_LIT(r->sb, " {");
	line_end(r, start, NULL);
	r->depth++;
}

/* "segment3 {", "pv0 {": the name without printf, as many times as there are LVs. */
static void open_numbered_section(struct vg_render *r, const char *prefix, uint64_t number)
{
	size_t start = line_begin(r);

	strbuf_puts(r->sb, prefix);
	put_u64(r->sb, number);
	PUT_LIT(r->sb, " {");
	line_end(r, start, NULL);
	r->depth++;
}

static void close_section(struct vg_render *r)
{
	size_t start;

	r->depth--;
	start = line_begin(r);
	strbuf_putc(r->sb, '}');
	line_end(r, start, NULL);
}

static size_t key_begin(struct vg_render *r, const char *key)
{
	size_t start = line_begin(r);

	strbuf_puts(r->sb, key);
	PUT_LIT(r->sb, " = ");
	return start;
}

static void put_kv_u64(struct vg_render *r, const char *key, uint64_t v, const char *comment)
{
	size_t start = key_begin(r, key);

	put_u64(r->sb, v);
	line_end(r, start, comment);
}

static void put_kv_str(struct vg_render *r, const char *key, const char *s, const char *comment)
{
	size_t start = key_begin(r, key);

	cfg_write_string(r->sb, s);
	line_end(r, start, comment);
}

static void put_words_value(struct strbuf *sb, const struct vg_words *words)
{
	strbuf_putc(sb, '[');
	for (size_t i = 0; i < words->n; i++) {
		if (i > 0)
			PUT_LIT(sb, ", ");
		cfg_write_string(sb, words->words[i]);
	}
	strbuf_putc(sb, ']');
}

static void put_kv_words(struct vg_render *r, const char *key, const struct vg_words *words)
{
	size_t start = key_begin(r, key);

	put_words_value(r->sb, words);
	line_end(r, start, NULL);
}

static void put_status(struct vg_render *r, const struct vg_status_word *table, uint32_t bits,
		       uint32_t skip)
{
	size_t start = key_begin(r, "status");
	bool first = true;

	strbuf_putc(r->sb, '[');
	for (const struct vg_status_word *w = table; w->word; w++) {
		if (!(bits & w->bit) || (skip & w->bit))
			continue;
		if (!first)
			PUT_LIT(r->sb, ", ");
		first = false;
		strbuf_putc(r->sb, '"');
		strbuf_puts(r->sb, w->word);
		strbuf_putc(r->sb, '"');
	}
	strbuf_putc(r->sb, ']');
	line_end(r, start, NULL);
}

/*
 * "# 4 Megabytes" for @sectors (NULL in the raw form), as lvm2 writes size comments: "%g" of the
 * size in the first unit where it is not above 1024. Past Exabytes lvm2's
 * unit table ends in a NULL that glibc prints as "(null)"; that is kept,
 * since such sizes only appear in hostile texts and fidelity is the point.
 */
static const char *size_comment(const struct vg_render *r, uint64_t sectors, char buf[static 64])
{
	static const char *const units[] = { "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
					     "Petabytes", "Exabytes", "(null)" };
	double d = (double)sectors / 2.0;
	size_t i = 0;

	if (!r->backup)
		return NULL; /* the raw form has no comments: do not compute them */
	while (d > 1024.0 && i + 1 < ARRAY_SIZE(units)) {
		d /= 1024.0;
		i++;
	}
	/* Whole sizes are nearly all of them, and "%g" prints those as integers: skip printf. */
	if (d < 1e6 && d == (double)(uint64_t)d) {
		char digits[24], *p = digits + sizeof(digits);
		uint64_t v = (uint64_t)d;
		size_t unit_len = strlen(units[i]);

		do {
			*--p = (char)('0' + v % 10);
			v /= 10;
		} while (v);
		buf[0] = '#';
		buf[1] = ' ';
		memcpy(buf + 2, p, (size_t)(digits + sizeof(digits) - p));
		p = buf + 2 + (digits + sizeof(digits) - p);
		*p++ = ' ';
		memcpy(p, units[i], unit_len + 1);
		return buf;
	}
	snprintf(buf, 64, "# %g %s", d, units[i]);
	return buf;
}

/* "# 2026-11-25 20:48:42 +0000" in local time; "" when the time cannot be shown (as lvm2). */
static const char *time_comment(const struct vg_render *r, int64_t t, char buf[static 64])
{
	/*
	 * LVs made in one burst share their creation second, and localtime_r
	 * dominated rendering a 10 000-LV VG: remember the last one.
	 */
	static __thread int64_t cached_time = INT64_MIN;
	static __thread char cached[64];
	time_t tt = (time_t)t;
	struct tm tm;

	if (!r->backup)
		return NULL;

	if (t == cached_time) {
		memcpy(buf, cached, 64);
		return buf;
	}
	memcpy(buf, "# ", 3);
	if (!localtime_r(&tt, &tm) || !strftime(buf + 2, 62, "%Y-%m-%d %T %z", &tm))
		buf[0] = '\0';
	memcpy(cached, buf, 64);
	cached_time = t;
	return buf;
}

/* ctime(3)'s "Wed Nov 25 20:48:42 2026\n", without its static buffer. */
static const char *ctime_text(int64_t t, char buf[static 64])
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t tt = (time_t)t;
	struct tm tm;

	if (!localtime_r(&tt, &tm) || tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0 ||
	    tm.tm_mon > 11) {
		memcpy(buf, "\n", 2);
		return buf;
	}
	snprintf(buf, 64, "%.3s %.3s%3d %.2d:%.2d:%.2d %d\n", days[tm.tm_wday], months[tm.tm_mon],
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_year + 1900);
	return buf;
}

/* Where a kept node is being written: decides comments and layout. */
enum node_context {
	CTX_PLAIN,   /* unknown keys of the VG, a PV or an LV */
	CTX_SEGMENT, /* keys of a segment kept verbatim */
	CTX_HISTORY, /* inside historical_logical_volumes */
};

static bool is_area_list(const char *key)
{
	return strcmp(key, "stripes") == 0 || strcmp(key, "mirrors") == 0 ||
	       strcmp(key, "raids") == 0;
}

/*
 * A verbatim segment names PVs by their key in the text we read; write the
 * name the PV gets now. Sorted once, so a hostile text with many PVs and
 * long verbatim lists costs n log n, not n * m.
 */
static const char *pv_ref_name(struct vg_render *r, const char *s, char buf[static 32])
{
	const struct name_ref *ref;

	if (!r->pv_keys_built) {
		r->pv_keys_built = true;
		if (r->vg->n_pvs > 0)
			r->pv_keys = calloc(r->vg->n_pvs, sizeof(*r->pv_keys));
		for (size_t i = 0; r->pv_keys && i < r->vg->n_pvs; i++)
			if (r->vg->pvs[i]->key)
				r->pv_keys[r->n_pv_keys++] =
					(struct name_ref){ .name = r->vg->pvs[i]->key, .index = i };
		if (r->n_pv_keys > 0)
			qsort(r->pv_keys, r->n_pv_keys, sizeof(*r->pv_keys), name_ref_cmp);
	}
	if (!r->pv_keys) {
		/* no memory for the index: the slow way */
		for (size_t i = 0; i < r->vg->n_pvs; i++)
			if (r->vg->pvs[i]->key && strcmp(r->vg->pvs[i]->key, s) == 0) {
				snprintf(buf, 32, "pv%zu", i);
				return buf;
			}
		return s;
	}
	ref = name_ref_find(r->pv_keys, r->n_pv_keys, s);
	if (!ref)
		return s;
	snprintf(buf, 32, "pv%zu", ref->index);
	return buf;
}

static void put_scalar(struct vg_render *r, const struct cfg_value *v, enum node_context ctx)
{
	char buf[32];

	if (ctx == CTX_SEGMENT && v->type == CFG_STRING)
		cfg_write_string(r->sb, pv_ref_name(r, v->text, buf));
	else
		cfg_write_value(r->sb, v);
}

/*
 * lvm2 writes area lists one area per line: a PV or LV with its first
 * extent, or a raid metadata/data LV pair.
 */
static void put_area_list(struct vg_render *r, const struct cfg_node *n, enum node_context ctx)
{
	const struct cfg_value *items = n->value.items;
	size_t count = n->value.n_items, group = 1, start;

	if (count >= 2 && count % 2 == 0) {
		bool pairs = true;

		for (size_t i = 0; i < count && pairs; i += 2) {
			if (items[i].type != CFG_STRING)
				pairs = false;
			else if (items[i + 1].type != CFG_INT &&
				 !(items[i + 1].type == CFG_STRING &&
				   strstr(items[i].text, "_rmeta")))
				pairs = false;
		}
		if (pairs)
			group = 2;
	}
	blank_line(r);
	start = key_begin(r, n->key);
	strbuf_putc(r->sb, '[');
	line_end(r, start, NULL);
	r->depth++;
	for (size_t i = 0; i < count; i += group) {
		start = line_begin(r);
		for (size_t j = i; j < i + group && j < count; j++) {
			if (j > i)
				PUT_LIT(r->sb, ", ");
			put_scalar(r, &items[j], ctx);
		}
		if (i + group < count)
			strbuf_putc(r->sb, ',');
		line_end(r, start, NULL);
	}
	r->depth--;
	start = line_begin(r);
	strbuf_putc(r->sb, ']');
	line_end(r, start, NULL);
}

static const char *kept_comment(const struct vg_render *r, const struct cfg_node *n,
				enum node_context ctx, const char *seg_type, char buf[static 64])
{
	if (n->value.type != CFG_INT)
		return NULL;
	if (ctx == CTX_HISTORY &&
	    (strcmp(n->key, "creation_time") == 0 || strcmp(n->key, "removal_time") == 0))
		return time_comment(r, n->value.integer, buf);
	if (ctx != CTX_SEGMENT || n->value.integer < 0)
		return NULL;
	/* A striped segment kept verbatim (its areas are LVs) is written as lvm2 writes any. */
	if (streq(seg_type, "striped") && strcmp(n->key, "stripe_count") == 0)
		return n->value.integer == 1 ? "# linear" : NULL;
	if (strcmp(n->key, "data_block_size") == 0 ||
	    (streq(seg_type, "striped") && strcmp(n->key, "stripe_size") == 0) ||
	    (strcmp(n->key, "chunk_size") == 0 && !streq(seg_type, "snapshot")))
		return size_comment(r, (uint64_t)n->value.integer, buf);
	if (strcmp(n->key, "extents_moved") == 0)
		return size_comment(r, (uint64_t)n->value.integer * r->vg->extent_size_sectors, buf);
	return NULL;
}

static void put_kept_nodes(struct vg_render *r, const struct cfg_node *first, enum node_context ctx,
			   const char *seg_type);

static void put_kept_node(struct vg_render *r, const struct cfg_node *n, enum node_context ctx,
			  const char *seg_type)
{
	char buf[64];
	size_t start;

	if (n->is_section) {
		open_section(r, n->key);
		put_kept_nodes(
			r, n->children,
			(ctx == CTX_PLAIN && strcmp(n->key, "historical_logical_volumes") == 0) ?
				CTX_HISTORY :
				ctx,
			seg_type);
		close_section(r);
		return;
	}
	if (ctx == CTX_SEGMENT && n->value.type == CFG_LIST && is_area_list(n->key)) {
		put_area_list(r, n, ctx);
		return;
	}
	start = key_begin(r, n->key);
	if (n->value.type == CFG_LIST) {
		strbuf_putc(r->sb, '[');
		for (size_t i = 0; i < n->value.n_items; i++) {
			if (i > 0)
				PUT_LIT(r->sb, ", ");
			put_scalar(r, &n->value.items[i], ctx);
		}
		strbuf_putc(r->sb, ']');
	} else {
		put_scalar(r, &n->value, ctx);
	}
	line_end(r, start, kept_comment(r, n, ctx, seg_type, buf));
}

/*
 * A chain of kept nodes. lvm2 puts a blank line before the first of a run
 * of subsections (thin-pool messages) and before every historical LV.
 */
static void put_kept_nodes(struct vg_render *r, const struct cfg_node *first, enum node_context ctx,
			   const char *seg_type)
{
	bool prev_section = false;

	for (const struct cfg_node *n = first; n; n = n->next) {
		if (n->is_section && (!prev_section || ctx == CTX_HISTORY))
			blank_line(r);
		prev_section = n->is_section;
		put_kept_node(r, n, ctx, seg_type);
	}
}

/* Every kept assignment called @key, where lvm2 writes that key. */
static void put_kept_key(struct vg_render *r, const struct cfg_node *extra, const char *key,
			 bool blank_before)
{
	char buf[64];

	for (const struct cfg_node *n = extra; n; n = n->next) {
		const char *comment = NULL;
		size_t start;

		if (n->is_section || strcmp(n->key, key) != 0)
			continue;
		if (blank_before)
			blank_line(r);
		if (n->value.type == CFG_INT) {
			if (strcmp(key, "read_ahead") == 0 && n->value.integer == -1)
				comment = "# None";
			else if ((strcmp(key, "ba_size") == 0) && n->value.integer >= 0)
				comment = size_comment(r, (uint64_t)n->value.integer, buf);
			else if (strcmp(key, "reshape_count") == 0 && n->value.integer >= 0)
				comment = size_comment(r, (uint64_t)n->value.integer *
						       r->vg->extent_size_sectors, buf);
		}
		start = key_begin(r, n->key);
		cfg_write_value(r->sb, &n->value);
		line_end(r, start, comment);
	}
}

static bool key_in(const char *key, const char *const *keys)
{
	for (; *keys; keys++)
		if (strcmp(key, *keys) == 0)
			return true;
	return false;
}

/* The kept assignments (or sections) not written at a fixed place. */
static void put_kept_rest(struct vg_render *r, const struct cfg_node *extra,
			  const char *const *placed, bool sections)
{
	for (const struct cfg_node *n = extra; n; n = n->next) {
		if (n->is_section != sections || (!n->is_section && key_in(n->key, placed)))
			continue;
		if (sections)
			blank_line(r);
		put_kept_node(r, n, CTX_PLAIN, NULL);
	}
}

static const char *const vg_placed_keys[] = {
	"system_id", "lock_type", "lock_args", "allocation_policy", "profile", NULL,
};
static const char *const pv_placed_keys[] = {
	"device_id_type", "device_id", "ba_start", "ba_size", NULL,
};
static const char *const lv_placed_keys[] = {
	"lock_args", "allocation_policy", "profile", "read_ahead", "major", "minor", NULL,
};
static const char *const seg_placed_keys[] = { "reshape_count", "tags", NULL };

static void put_id(struct vg_render *r, const char id[LVM_UUID_LEN + 1])
{
	char text[LVM_UUID_TEXT_LEN + 1];

	lvm_uuid_format(id, text);
	put_kv_str(r, "id", text, NULL);
}

static void put_pv(struct vg_render *r, const struct vg_pv *pv, size_t index)
{
	const struct vg *vg = r->vg;
	char buf[64];
	size_t start;

	blank_line(r);
	open_numbered_section(r, "pv", index);
	put_id(r, pv->id);
	if (pv->device_hint)
		put_kv_str(r, "device", pv->device_hint, "# Hint only");
	blank_line(r);
	put_kept_key(r, pv->extra, "device_id_type", false);
	put_kept_key(r, pv->extra, "device_id", false);
	put_status(r, pv_status_words, pv->status, PV_STATUS_MISSING);

	/* lvm2 writes MISSING among the flags. */
	start = key_begin(r, "flags");
	strbuf_putc(r->sb, '[');
	{
		bool first = true, missing = (pv->status & PV_STATUS_MISSING) != 0;

		for (size_t i = 0; i < pv->flags.n; i++) {
			if (!missing && strcmp(pv->flags.words[i], "MISSING") == 0)
				continue;
			if (!first)
				PUT_LIT(r->sb, ", ");
			first = false;
			cfg_write_string(r->sb, pv->flags.words[i]);
		}
		if (missing && !words_contain(&pv->flags, "MISSING")) {
			if (!first)
				PUT_LIT(r->sb, ", ");
			PUT_LIT(r->sb, "\"MISSING\"");
		}
	}
	strbuf_putc(r->sb, ']');
	line_end(r, start, NULL);

	if (pv->tags.n)
		put_kv_words(r, "tags", &pv->tags);
	if (pv->has_dev_size)
		put_kv_u64(r, "dev_size", pv->dev_size_sectors,
			   size_comment(r, pv->dev_size_sectors, buf));
	put_kv_u64(r, "pe_start", pv->pe_start_sectors, NULL);
	put_kv_u64(r, "pe_count", pv->pe_count,
		   size_comment(r, vg->extent_size_sectors * pv->pe_count, buf));
	put_kept_key(r, pv->extra, "ba_start", false);
	put_kept_key(r, pv->extra, "ba_size", false);
	put_kept_rest(r, pv->extra, pv_placed_keys, false);
	put_kept_rest(r, pv->extra, pv_placed_keys, true);
	close_section(r);
}

static void put_stripes(struct vg_render *r, const struct vg_segment *seg)
{
	size_t start;

	blank_line(r);
	start = key_begin(r, "stripes");
	strbuf_putc(r->sb, '[');
	line_end(r, start, NULL);
	r->depth++;
	for (uint32_t s = 0; s < seg->stripe_count; s++) {
		start = line_begin(r);
		PUT_LIT(r->sb, "\"pv");
		put_u64(r->sb, seg->stripes[s].pv_index);
		PUT_LIT(r->sb, "\", ");
		put_u64(r->sb, seg->stripes[s].first_pe);
		if (s + 1 < seg->stripe_count)
			strbuf_putc(r->sb, ',');
		line_end(r, start, NULL);
	}
	r->depth--;
	start = line_begin(r);
	strbuf_putc(r->sb, ']');
	line_end(r, start, NULL);
}

static void put_segment(struct vg_render *r, const struct vg_segment *seg, size_t number)
{
	char buf[64];

	open_numbered_section(r, "segment", number);
	put_kv_u64(r, "start_extent", seg->start_extent, NULL);
	put_kv_u64(r, "extent_count", seg->extent_count,
		   size_comment(r, seg->extent_count * r->vg->extent_size_sectors, buf));
	blank_line(r);
	put_kept_key(r, seg->extra, "reshape_count", false);
	put_kv_str(r, "type", seg->type ? seg->type : "striped", NULL);
	put_kept_key(r, seg->extra, "tags", false);
	if (seg->is_striped) {
		put_kv_u64(r, "stripe_count", seg->stripe_count,
			   seg->stripe_count == 1 ? "# linear" : NULL);
		if (seg->stripe_count > 1)
			put_kv_u64(r, "stripe_size", seg->stripe_size_sectors,
				   size_comment(r, seg->stripe_size_sectors, buf));
		if (seg->stripes)
			put_stripes(r, seg);
		put_kept_rest(r, seg->extra, seg_placed_keys, false);
		put_kept_rest(r, seg->extra, seg_placed_keys, true);
	} else {
		const char *const *placed = seg_placed_keys;
		bool prev_section = false;

		for (const struct cfg_node *n = seg->extra; n; n = n->next) {
			if (!n->is_section && key_in(n->key, placed))
				continue;
			if (n->is_section && !prev_section)
				blank_line(r);
			prev_section = n->is_section;
			put_kept_node(r, n, CTX_SEGMENT, seg->type);
		}
	}
	close_section(r);
}

static void put_lv(struct vg_render *r, const struct vg_lv *lv)
{
	char buf[64];

	blank_line(r);
	open_section(r, lv->name);
	put_id(r, lv->id);
	put_status(r, lv_status_words, lv->status, 0);
	put_kv_words(r, "flags", &lv->flags);
	if (lv->tags.n)
		put_kv_words(r, "tags", &lv->tags);
	if (lv->has_creation) {
		size_t start = key_begin(r, "creation_time");

		put_i64(r->sb, lv->creation_time);
		line_end(r, start, time_comment(r, lv->creation_time, buf));
		put_kv_str(r, "creation_host", lv->creation_host ? lv->creation_host : "", NULL);
	}
	for (const char *const *k = lv_placed_keys; *k; k++)
		put_kept_key(r, lv->extra, *k, false);
	put_kept_rest(r, lv->extra, lv_placed_keys, false);
	put_kv_u64(r, "segment_count", lv->n_segments, NULL);
	blank_line(r);
	for (size_t s = 0; s < lv->n_segments; s++)
		put_segment(r, lv->segments[s], s + 1);
	put_kept_rest(r, lv->extra, lv_placed_keys, true);
	close_section(r);
}

/* ---- the LV fragment cache ------------------------------------------- */

struct lv_fragment {
	struct lv_fragment *next; /* in its bucket */
	struct lv_fragment *after; /* the one used after it in the last render that used it; NULL: unknown */
	size_t hash;
	uint64_t used; /* the render that last used it */
	uint64_t serial; /* the frozen LV it was last used for (struct vg_lv), 0: none */
	size_t key_len, text_len;
	char bytes[]; /* key, then text */
};

struct vg_text_cache {
	struct lv_fragment **buckets;
	size_t n_buckets; /* a power of two, or 0 */
	size_t n_fragments;
	uint64_t render; /* counts renders */
	size_t used; /* fragments the current render used */
	/*
	 * LVs come in the same order render after render: the fragment the
	 * next LV most likely needs is the one that followed the fragment of
	 * the previous LV last time. Tried first (its key compared whole),
	 * it spares the hash and the bucket's memory. Links to fragments a
	 * sweep freed are dropped by the sweep.
	 */
	struct lv_fragment *first; /* the first LV's fragment in the last render */
	struct lv_fragment *last_used; /* in the current render; NULL before its first LV */
	bool backup; /* the form of the fragments */
	/*
	 * Check every fragment taken on a frozen LV's serial against the LV's
	 * key (the invariant that frozen LVs are never changed, tested).
	 */
	bool verify;
	struct strbuf key; /* scratch: the key of the LV being rendered */
};

struct vg_text_cache *vg_text_cache_new(void)
{
	struct vg_text_cache *cache = calloc(1, sizeof(*cache));

	if (cache) {
		strbuf_init(&cache->key);
#ifdef __SANITIZE_ADDRESS__
		cache->verify = true;
#endif
	}
	return cache;
}

void vg_text_cache_verify(struct vg_text_cache *cache, bool verify)
{
	cache->verify = verify;
}

struct vg_text_cache *vg_text_cache_free(struct vg_text_cache *cache)
{
	if (!cache)
		return NULL;
	for (size_t b = 0; b < cache->n_buckets; b++)
		for (struct lv_fragment *f = cache->buckets[b], *next; f; f = next) {
			next = f->next;
			free(f);
		}
	free(cache->buckets);
	strbuf_done(&cache->key);
	free(cache);
	return NULL;
}

/*
 * Only LVs whose raw text is a function of their own fields are cached:
 * striped segments and no kept keys (those may name PVs by the key they
 * had in the text they came from).
 */
static bool lv_cacheable(const struct vg_lv *lv)
{
	if (lv->extra)
		return false;
	for (size_t s = 0; s < lv->n_segments; s++)
		if (!lv->segments[s]->is_striped || lv->segments[s]->extra)
			return false;
	return true;
}

static void key_put(struct strbuf *key, const void *data, size_t len)
{
	strbuf_append(key, data, len);
}

/* A string and its NUL; NULL as a lone 0xff, which no string starts with here. */
static void key_put_str(struct strbuf *key, const char *s)
{
	if (s)
		key_put(key, s, strlen(s) + 1);
	else
		key_put(key, "\xff", 1);
}

static void key_put_words(struct strbuf *key, const struct vg_words *words)
{
	key_put(key, &words->n, sizeof(words->n));
	for (size_t i = 0; i < words->n; i++)
		key_put_str(key, words->words[i]);
}

/*
 * Every field put_lv() writes, each fixed-size or terminated, so two LVs
 * have equal keys exactly when their texts are equal: the LV's own fields
 * and the extent size its size comments (backup form) are computed from.
 */
static void lv_key(struct strbuf *key, const struct vg *vg, const struct vg_lv *lv)
{
	strbuf_reset(key);
	key_put(key, &vg->extent_size_sectors, sizeof(vg->extent_size_sectors));
	key_put_str(key, lv->name);
	key_put(key, lv->id, LVM_UUID_LEN);
	key_put(key, &lv->status, sizeof(lv->status));
	key_put_words(key, &lv->flags);
	key_put_words(key, &lv->tags);
	key_put(key, &lv->has_creation, sizeof(lv->has_creation));
	if (lv->has_creation) {
		key_put(key, &lv->creation_time, sizeof(lv->creation_time));
		key_put_str(key, lv->creation_host);
	}
	key_put(key, &lv->n_segments, sizeof(lv->n_segments));
	for (size_t s = 0; s < lv->n_segments; s++) {
		const struct vg_segment *seg = lv->segments[s];

		key_put(key, &seg->start_extent, sizeof(seg->start_extent));
		key_put(key, &seg->extent_count, sizeof(seg->extent_count));
		key_put_str(key, seg->type);
		key_put(key, &seg->stripe_count, sizeof(seg->stripe_count));
		key_put(key, &seg->stripe_size_sectors, sizeof(seg->stripe_size_sectors));
		key_put(key, seg->stripes ? "s" : "-", 1);
		for (uint32_t k = 0; seg->stripes && k < seg->stripe_count; k++) {
			key_put(key, &seg->stripes[k].pv_index, sizeof(seg->stripes[k].pv_index));
			key_put(key, &seg->stripes[k].first_pe, sizeof(seg->stripes[k].first_pe));
		}
	}
}

static struct lv_fragment *cache_find(struct vg_text_cache *cache, const char *key, size_t key_len, size_t hash)
{
	if (cache->n_buckets == 0)
		return NULL;
	for (struct lv_fragment *f = cache->buckets[hash & (cache->n_buckets - 1)]; f; f = f->next)
		if (f->hash == hash && f->key_len == key_len && memcmp(f->bytes, key, key_len) == 0)
			return f;
	return NULL;
}

/* Keep @text as the fragment of @key; NULL when the cache cannot grow (it renders again next time). */
static struct lv_fragment *cache_add(struct vg_text_cache *cache, const char *key, size_t key_len, size_t hash,
				     const char *text, size_t text_len)
{
	struct lv_fragment *f;

	if (cache->n_fragments >= cache->n_buckets) {
		size_t n = cache->n_buckets ? cache->n_buckets * 2 : 256;
		struct lv_fragment **buckets = calloc(n, sizeof(*buckets));

		if (!buckets)
			return NULL;
		for (size_t b = 0; b < cache->n_buckets; b++)
			for (struct lv_fragment *g = cache->buckets[b], *next; g; g = next) {
				next = g->next;
				g->next = buckets[g->hash & (n - 1)];
				buckets[g->hash & (n - 1)] = g;
			}
		free(cache->buckets);
		cache->buckets = buckets;
		cache->n_buckets = n;
	}
	f = malloc(sizeof(*f) + key_len + text_len);
	if (!f)
		return NULL;
	*f = (struct lv_fragment){ .hash = hash, .used = cache->render, .key_len = key_len, .text_len = text_len };
	memcpy(f->bytes, key, key_len);
	memcpy(f->bytes + key_len, text, text_len);
	f->next = cache->buckets[hash & (cache->n_buckets - 1)];
	cache->buckets[hash & (cache->n_buckets - 1)] = f;
	cache->n_fragments++;
	return f;
}

/* Drop the fragments the current render did not use: LVs removed or changed. */
static void cache_sweep(struct vg_text_cache *cache)
{
	for (size_t b = 0; b < cache->n_buckets; b++)
		for (struct lv_fragment **link = &cache->buckets[b]; *link;) {
			struct lv_fragment *f = *link;

			if (f->used == cache->render) {
				link = &f->next;
				continue;
			}
			*link = f->next;
			free(f);
			cache->n_fragments--;
		}
	/* the order links may name freed fragments: learn the order again */
	for (size_t b = 0; b < cache->n_buckets; b++)
		for (struct lv_fragment *f = cache->buckets[b]; f; f = f->next)
			f->after = NULL;
	cache->first = NULL;
	cache->last_used = NULL;
}

/* @f serves the current LV: it follows the previous LV's fragment in the render order. */
static void cache_note_order(struct vg_text_cache *cache, struct lv_fragment *f)
{
	if (cache->last_used)
		cache->last_used->after = f;
	else
		cache->first = f;
	cache->last_used = f;
}

static void cache_use(struct vg_render *r, struct lv_fragment *f, const struct vg_lv *lv)
{
	struct vg_text_cache *cache = r->cache;

	f->used = cache->render;
	f->serial = lv->frozen ? lv->serial : 0;
	cache->used++;
	cache_note_order(cache, f);
}

/*
 * Whether @f is the fragment of @lv by identity: last used for the same
 * frozen LV (whose content cannot have changed since) in a VG of the same
 * extent size (the key's first field).
 */
static bool fragment_of_frozen(const struct lv_fragment *f, const struct vg *vg, const struct vg_lv *lv)
{
	return lv->frozen && f->serial == lv->serial &&
	       memcmp(f->bytes, &vg->extent_size_sectors, sizeof(vg->extent_size_sectors)) == 0;
}

/* put_lv(), from the cache when this LV was rendered before as it is now. */
static void put_lv_cached(struct vg_render *r, const struct vg_lv *lv)
{
	struct vg_text_cache *cache = r->cache;
	struct lv_fragment *f;
	size_t hash = 0, start;

	if (!cache || !lv_cacheable(lv)) {
		put_lv(r, lv);
		return;
	}
	f = cache->last_used ? cache->last_used->after : cache->first;
	if (f && fragment_of_frozen(f, r->vg, lv)) {
		if (cache->verify) {
			lv_key(&cache->key, r->vg, lv);
			assert(strbuf_status(&cache->key) < 0 ||
			       (f->key_len == cache->key.len && memcmp(f->bytes, cache->key.data, f->key_len) == 0));
		}
		cache_use(r, f, lv);
		strbuf_append(r->sb, f->bytes + f->key_len, f->text_len);
		return;
	}
	lv_key(&cache->key, r->vg, lv);
	if (strbuf_status(&cache->key) < 0) {
		strbuf_reset(&cache->key);
		put_lv(r, lv);
		return;
	}
	if (!f || f->key_len != cache->key.len || memcmp(f->bytes, cache->key.data, f->key_len) != 0) {
		hash = hash_bytes(cache->key.data, cache->key.len);
		f = cache_find(cache, cache->key.data, cache->key.len, hash);
	}
	if (f) {
		cache_use(r, f, lv);
		strbuf_append(r->sb, f->bytes + f->key_len, f->text_len);
		return;
	}
	start = r->sb->len;
	put_lv(r, lv);
	if (strbuf_status(r->sb) == 0) {
		f = cache_add(cache, cache->key.data, cache->key.len, hash, r->sb->data + start, r->sb->len - start);
		if (f)
			cache_use(r, f, lv);
	}
}

static void put_vg(struct vg_render *r)
{
	const struct vg *vg = r->vg;
	char buf[64];

	open_section(r, vg->name);
	put_id(r, vg->id);
	put_kv_u64(r, "seqno", vg->seqno, NULL);
	if (vg->format)
		put_kv_str(r, "format", vg->format, "# informational");
	put_status(r, vg_status_words, vg->status, 0);
	put_kv_words(r, "flags", &vg->flags);
	if (vg->tags.n)
		put_kv_words(r, "tags", &vg->tags);
	put_kept_key(r, vg->extra, "system_id", false);
	put_kept_key(r, vg->extra, "lock_type", false);
	put_kept_key(r, vg->extra, "lock_args", false);
	put_kv_u64(r, "extent_size", vg->extent_size_sectors,
		   size_comment(r, vg->extent_size_sectors, buf));
	put_kv_u64(r, "max_lv", vg->max_lv, NULL);
	put_kv_u64(r, "max_pv", vg->max_pv, NULL);
	put_kept_key(r, vg->extra, "allocation_policy", true);
	put_kept_key(r, vg->extra, "profile", false);
	if (vg->has_metadata_copies)
		put_kv_u64(r, "metadata_copies", vg->metadata_copies, NULL);
	put_kept_rest(r, vg->extra, vg_placed_keys, false);

	blank_line(r);
	open_section(r, "physical_volumes");
	for (size_t i = 0; i < vg->n_pvs; i++)
		put_pv(r, vg->pvs[i], i);
	close_section(r);

	blank_line(r);
	if (vg->n_lvs > 0) {
		open_section(r, "logical_volumes");
		/* lvm2 writes visible LVs first, then the hidden sub-LVs. */
		for (size_t i = 0; i < vg->n_lvs; i++)
			if (vg->lvs[i]->status & LV_STATUS_VISIBLE)
				put_lv_cached(r, vg->lvs[i]);
		for (size_t i = 0; i < vg->n_lvs; i++)
			if (!(vg->lvs[i]->status & LV_STATUS_VISIBLE))
				put_lv_cached(r, vg->lvs[i]);
		close_section(r);
	}
	blank_line(r);
	for (const struct cfg_node *n = vg->extra; n; n = n->next)
		if (n->is_section && strcmp(n->key, "historical_logical_volumes") == 0)
			put_kept_node(r, n, CTX_PLAIN, NULL);
	for (const struct cfg_node *n = vg->extra; n; n = n->next)
		if (n->is_section && strcmp(n->key, "historical_logical_volumes") != 0) {
			blank_line(r);
			put_kept_node(r, n, CTX_PLAIN, NULL);
		}
	close_section(r);
}

/*
 * The header block, the same bytes in both forms. ctime's trailing newline
 * is kept, which is where lvm2's blank lines after the generator and
 * creation_time lines come from.
 */
static void put_header(struct vg_render *r, const struct vg_text_header *h)
{
	const char *generator = "vgtool";
	const char *description = r->vg->description ? r->vg->description : "";
	const char *host = r->vg->creation_host ? r->vg->creation_host : "";
	const char *uname_line = NULL;
	int64_t when = r->vg->creation_time;
	char ctime_buf[64];

#ifdef PACKAGE_VERSION
	generator = "vgtool " PACKAGE_VERSION;
#endif
	if (h) {
		generator = h->generator ? h->generator : generator;
		description = h->description ? h->description : description;
		host = h->creation_host ? h->creation_host : host;
		uname_line = h->uname_line;
		when = h->creation_time;
	}
	ctime_text(when, ctime_buf);

	PUT_LIT(r->sb, "# Generated by ");
	strbuf_puts(r->sb, generator);
	PUT_LIT(r->sb, ": ");
	strbuf_puts(r->sb, ctime_buf);
	PUT_LIT(r->sb, "\ncontents = \"" VG_TEXT_CONTENTS "\"\nversion = 1\n\ndescription = ");
	cfg_write_string(r->sb, description);
	if (h && h->rescue_note) {
		/* every line a comment, so no note can change what the text says */
		PUT_LIT(r->sb, "\n");
		for (const char *p = h->rescue_note; *p;) {
			const char *nl = strchr(p, '\n');
			size_t len = nl ? (size_t)(nl - p) : strlen(p);

			PUT_LIT(r->sb, "\n# ");
			for (size_t i = 0; i < len; i++)
				strbuf_putc(r->sb, p[i] == '\0' || p[i] == '\r' ? ' ' : p[i]);
			p += len + (nl ? 1 : 0);
		}
	}
	PUT_LIT(r->sb, "\n\ncreation_host = ");
	cfg_write_string(r->sb, host);
	if (uname_line) {
		PUT_LIT(r->sb, "\t# ");
		strbuf_puts(r->sb, uname_line);
	}
	PUT_LIT(r->sb, "\ncreation_time = ");
	put_i64(r->sb, when);
	PUT_LIT(r->sb, "\t# ");
	strbuf_puts(r->sb, ctime_buf);
	strbuf_putc(r->sb, '\n');
}

static int render(const struct vg *vg, const struct vg_text_header *header, struct vg_text_cache *cache,
		  struct strbuf *out, bool backup)
{
	struct vg_render r = { .sb = out, .vg = vg, .cache = cache, .backup = backup };
	size_t old_len = out->len;

	if (!vg || !vg->name)
		return -EINVAL;
	if (cache && cache->backup != backup) {
		/* fragments of the other form: drop them all */
		cache->render++;
		cache_sweep(cache);
		cache->backup = backup;
	}
	/* A rough size so a large VG does not regrow the buffer many times. */
	strbuf_reserve(out, 1024 + vg->n_pvs * 256 + vg->n_lvs * 400);
	if (backup) {
		put_header(&r, header);
		put_vg(&r);
	} else {
		put_vg(&r);
		put_header(&r, header);
	}
	free(r.pv_keys);
	if (cache) {
		/*
		 * A sweep visits every fragment: only once the unused ones (LVs
		 * removed or changed since) are an eighth of the used ones.
		 */
		if (cache->n_fragments - MIN(cache->used, cache->n_fragments) > cache->used / 8 + 64)
			cache_sweep(cache);
		cache->used = 0;
		cache->last_used = NULL;
		cache->render++;
	}
	if (strbuf_status(out) < 0) {
		/* Leave @out as it was, less a half-written text. */
		if (out->capacity > 0 && old_len <= out->len) {
			out->len = old_len;
			out->data[old_len] = '\0';
		}
		return -ENOMEM;
	}
	return 0;
}

int vg_text_render_raw(const struct vg *vg, const struct vg_text_header *header, struct strbuf *out)
{
	return render(vg, header, NULL, out, false);
}

int vg_text_render_raw_cached(const struct vg *vg, const struct vg_text_header *header,
			      struct vg_text_cache *cache, struct strbuf *out)
{
	return render(vg, header, cache, out, false);
}

int vg_text_render_backup(const struct vg *vg, const struct vg_text_header *header,
			  struct strbuf *out)
{
	return render(vg, header, NULL, out, true);
}

int vg_text_render_backup_cached(const struct vg *vg, const struct vg_text_header *header,
				 struct vg_text_cache *cache, struct strbuf *out)
{
	return render(vg, header, cache, out, true);
}
