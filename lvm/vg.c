/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The VG model (vg.h): construction, deep copy and destruction, look-ups,
 * lvm2's name rules, and structural validation.
 *
 * vg_validate() is what every operation runs on the model it is about to
 * commit, and what a reader may run on a model it parsed: it checks what
 * lvm2 checks on import (contiguous segments, known PVs, name syntax) and
 * what lvm2 relies on without always checking (no physical extent handed
 * out twice, stripes inside their PV), so that nothing we write can be
 * refused or, worse, misread by stock lvm2.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "hash.h"
#include "vg.h"

/* lvm2's NAME_LEN is 128 including the NUL. */
#define VG_NAME_MAX 127

/* ---- destruction and copies ------------------------------------------ */

static void vg_words_done(struct vg_words *words)
{
	for (size_t i = 0; i < words->n; i++)
		free(words->words[i]);
	free(words->words);
	words->words = NULL;
	words->n = 0;
}

static int vg_words_copy(struct vg_words *dst, const struct vg_words *src)
{
	*dst = (struct vg_words){ 0 };
	if (src->n == 0)
		return 0;
	dst->words = calloc(src->n, sizeof(*dst->words));
	if (!dst->words)
		return -ENOMEM;
	for (size_t i = 0; i < src->n; i++) {
		dst->words[i] = strdup(src->words[i]);
		if (!dst->words[i]) {
			dst->n = i;
			vg_words_done(dst);
			return -ENOMEM;
		}
	}
	dst->n = src->n;
	return 0;
}

static void vg_segment_free(struct vg_segment *seg)
{
	if (!seg)
		return;
	free(seg->type);
	free(seg->stripes);
	cfg_node_list_free(seg->extra);
	free(seg);
}

struct vg_lv *vg_lv_free(struct vg_lv *lv)
{
	if (!lv)
		return NULL;
	if (lv->other_owners > 0) {
		lv->other_owners--;
		return NULL;
	}
	free(lv->name);
	vg_words_done(&lv->flags);
	vg_words_done(&lv->tags);
	free(lv->creation_host);
	for (size_t i = 0; i < lv->n_segments; i++)
		vg_segment_free(lv->segments[i]);
	free(lv->segments);
	cfg_node_list_free(lv->extra);
	free(lv);
	return NULL;
}

struct vg_pv *vg_pv_free(struct vg_pv *pv)
{
	if (!pv)
		return NULL;
	free(pv->key);
	free(pv->device_hint);
	vg_words_done(&pv->flags);
	vg_words_done(&pv->tags);
	cfg_node_list_free(pv->extra);
	free(pv);
	return NULL;
}

struct vg *vg_new(void)
{
	return calloc(1, sizeof(struct vg));
}

struct vg *vg_free(struct vg *vg)
{
	if (!vg)
		return NULL;
	free(vg->name);
	free(vg->format);
	vg_words_done(&vg->flags);
	vg_words_done(&vg->tags);
	for (size_t i = 0; i < vg->n_pvs; i++)
		vg_pv_free(vg->pvs[i]);
	free(vg->pvs);
	for (size_t i = 0; i < vg->n_lvs; i++)
		vg_lv_free(vg->lvs[i]);
	free(vg->lvs);
	cfg_node_list_free(vg->extra);
	free(vg->description);
	free(vg->creation_host);
	free(vg);
	return NULL;
}

/* strdup that keeps NULL as NULL; *ok turns false on ENOMEM. */
static char *vg_strdup_opt(const char *s, bool *ok)
{
	char *copy;

	if (!s)
		return NULL;
	copy = strdup(s);
	if (!copy)
		*ok = false;
	return copy;
}

static struct cfg_node *vg_extra_clone(const struct cfg_node *extra, bool *ok)
{
	struct cfg_node *copy;

	if (!extra)
		return NULL;
	copy = cfg_node_list_clone(extra);
	if (!copy)
		*ok = false;
	return copy;
}

static struct vg_segment *vg_segment_clone(const struct vg_segment *seg)
{
	struct vg_segment *copy = calloc(1, sizeof(*copy));
	bool ok = true;

	if (!copy)
		return NULL;
	*copy = *seg;
	copy->type = NULL;
	copy->stripes = NULL;
	copy->extra = NULL;
	copy->type = vg_strdup_opt(seg->type, &ok);
	copy->extra = vg_extra_clone(seg->extra, &ok);
	if (seg->stripes && seg->stripe_count > 0) {
		copy->stripes = calloc(seg->stripe_count, sizeof(*copy->stripes));
		if (copy->stripes)
			memcpy(copy->stripes, seg->stripes,
			       seg->stripe_count * sizeof(*copy->stripes));
		else
			ok = false;
	}
	if (!ok) {
		vg_segment_free(copy);
		return NULL;
	}
	return copy;
}

static struct vg_lv *vg_lv_clone(const struct vg_lv *lv)
{
	struct vg_lv *copy = calloc(1, sizeof(*copy));
	bool ok = true;

	if (!copy)
		return NULL;
	*copy = *lv;
	copy->other_owners = 0;
	copy->frozen = false;
	copy->serial = 0;
	copy->name = NULL;
	copy->flags = copy->tags = (struct vg_words){ 0 };
	copy->creation_host = NULL;
	copy->segments = NULL;
	copy->n_segments = 0;
	copy->extra = NULL;

	copy->name = vg_strdup_opt(lv->name, &ok);
	copy->creation_host = vg_strdup_opt(lv->creation_host, &ok);
	copy->extra = vg_extra_clone(lv->extra, &ok);
	if (vg_words_copy(&copy->flags, &lv->flags) < 0 ||
	    vg_words_copy(&copy->tags, &lv->tags) < 0)
		ok = false;
	if (ok && lv->n_segments > 0) {
		copy->segments = calloc(lv->n_segments, sizeof(*copy->segments));
		if (!copy->segments)
			ok = false;
		for (size_t i = 0; ok && i < lv->n_segments; i++) {
			copy->segments[i] = vg_segment_clone(lv->segments[i]);
			if (!copy->segments[i])
				ok = false;
			else
				copy->n_segments = i + 1;
		}
	}
	if (!ok) {
		vg_lv_free(copy);
		return NULL;
	}
	return copy;
}

static struct vg_pv *vg_pv_clone(const struct vg_pv *pv)
{
	struct vg_pv *copy = calloc(1, sizeof(*copy));
	bool ok = true;

	if (!copy)
		return NULL;
	*copy = *pv;
	copy->key = copy->device_hint = NULL;
	copy->flags = copy->tags = (struct vg_words){ 0 };
	copy->extra = NULL;

	copy->key = vg_strdup_opt(pv->key, &ok);
	copy->device_hint = vg_strdup_opt(pv->device_hint, &ok);
	copy->extra = vg_extra_clone(pv->extra, &ok);
	if (vg_words_copy(&copy->flags, &pv->flags) < 0 ||
	    vg_words_copy(&copy->tags, &pv->tags) < 0)
		ok = false;
	if (!ok) {
		vg_pv_free(copy);
		return NULL;
	}
	return copy;
}

static void vg_lv_freeze(struct vg_lv *lv)
{
	static uint64_t last_serial;

	if (lv->frozen)
		return;
	lv->frozen = true;
	lv->serial = __atomic_add_fetch(&last_serial, 1, __ATOMIC_RELAXED);
}

static struct vg *vg_copy(const struct vg *vg, bool share_lvs)
{
	_cleanup_(vg_freep) struct vg *copy = NULL;
	bool ok = true;

	if (!vg)
		return NULL;
	copy = vg_new();
	if (!copy)
		return NULL;
	memcpy(copy->id, vg->id, sizeof(copy->id));
	copy->seqno = vg->seqno;
	copy->status = vg->status;
	copy->extent_size_sectors = vg->extent_size_sectors;
	copy->max_lv = vg->max_lv;
	copy->max_pv = vg->max_pv;
	copy->has_metadata_copies = vg->has_metadata_copies;
	copy->metadata_copies = vg->metadata_copies;
	copy->creation_time = vg->creation_time;

	copy->name = vg_strdup_opt(vg->name, &ok);
	copy->format = vg_strdup_opt(vg->format, &ok);
	copy->description = vg_strdup_opt(vg->description, &ok);
	copy->creation_host = vg_strdup_opt(vg->creation_host, &ok);
	copy->extra = vg_extra_clone(vg->extra, &ok);
	if (!ok || vg_words_copy(&copy->flags, &vg->flags) < 0 ||
	    vg_words_copy(&copy->tags, &vg->tags) < 0)
		return NULL;

	if (vg->n_pvs > 0) {
		copy->pvs = calloc(vg->n_pvs, sizeof(*copy->pvs));
		if (!copy->pvs)
			return NULL;
		for (size_t i = 0; i < vg->n_pvs; i++) {
			copy->pvs[i] = vg_pv_clone(vg->pvs[i]);
			if (!copy->pvs[i])
				return NULL;
			copy->n_pvs = i + 1;
		}
	}
	if (vg->n_lvs > 0) {
		copy->lvs = calloc(vg->n_lvs, sizeof(*copy->lvs));
		if (!copy->lvs)
			return NULL;
		for (size_t i = 0; i < vg->n_lvs; i++) {
			if (share_lvs) {
				copy->lvs[i] = vg->lvs[i];
				vg_lv_freeze(copy->lvs[i]);
				copy->lvs[i]->other_owners++;
			} else {
				copy->lvs[i] = vg_lv_clone(vg->lvs[i]);
				if (!copy->lvs[i])
					return NULL;
			}
			copy->n_lvs = i + 1;
		}
	}
	return TAKE_PTR(copy);
}

struct vg *vg_clone(const struct vg *vg)
{
	return vg_copy(vg, false);
}

struct vg *vg_clone_sharing_lvs(const struct vg *vg)
{
	return vg_copy(vg, true);
}

struct vg_lv *vg_lv_own(struct vg *vg, size_t index)
{
	struct vg_lv *lv = vg->lvs[index], *copy;

	if (vg_lv_changeable(lv))
		return lv;
	copy = vg_lv_clone(lv);
	if (!copy)
		return NULL;
	vg_lv_free(lv); /* one owner less, or the last one gone */
	vg->lvs[index] = copy;
	return copy;
}

/* ---- look-ups --------------------------------------------------------- */

/*
 * streq() for LV names, the first characters compared in line: a scan of
 * 10 000 names mostly stops there, without a call.
 */
static inline bool vg_lv_name_eq(const char *a, const char *b)
{
	return a && b && a[0] == b[0] && strcmp(a, b) == 0;
}

struct vg_lv *vg_find_lv(const struct vg *vg, const char *name)
{
	if (!vg || !name)
		return NULL;
	for (size_t i = 0; i < vg->n_lvs; i++)
		if (vg_lv_name_eq(vg->lvs[i]->name, name))
			return vg->lvs[i];
	return NULL;
}

struct vg_lv *vg_find_lv_from_end(const struct vg *vg, const char *name)
{
	if (!vg || !name)
		return NULL;
	for (size_t i = vg->n_lvs; i-- > 0;)
		if (vg_lv_name_eq(vg->lvs[i]->name, name))
			return vg->lvs[i];
	return NULL;
}

/* @id with or without dashes, as lvm2 accepts ids. */
ssize_t vg_find_pv_by_id(const struct vg *vg, const char *id)
{
	char plain[LVM_UUID_LEN + 1];
	size_t n = 0;

	if (!vg || !id)
		return -1;
	for (const char *p = id; *p; p++) {
		if (*p == '-')
			continue;
		if (n == LVM_UUID_LEN)
			return -1;
		plain[n++] = *p;
	}
	if (n != LVM_UUID_LEN)
		return -1;
	plain[n] = '\0';
	for (size_t i = 0; i < vg->n_pvs; i++)
		if (memcmp(vg->pvs[i]->id, plain, LVM_UUID_LEN + 1) == 0)
			return (ssize_t)i;
	return -1;
}

uint64_t vg_lv_extents(const struct vg_lv *lv)
{
	uint64_t total = 0;

	for (size_t i = 0; i < lv->n_segments; i++)
		total += lv->segments[i]->extent_count;
	return total;
}

/* ---- names ------------------------------------------------------------ */

/* Up to 48 bytes of @s for a message, non-printable bytes shown as '?'. */
static const char *vg_printable(const char *s, char buf[static 52])
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

static bool vg_name_char_valid(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '_' || c == '.' || c == '-';
}

int vg_name_check(const char *what, const char *name, struct vg_error *err)
{
	char buf[52];
	size_t len;

	if (!name || !*name)
		return vg_error_set(err, -EINVAL, "%s name is empty", what);
	len = strlen(name);
	if (len > VG_NAME_MAX)
		return vg_error_set(err, -EINVAL, "%s name \"%s\" is longer than %d characters",
				    what, vg_printable(name, buf), VG_NAME_MAX);
	/* lvm2 joins VG and LV names with '-' in device-mapper names. */
	if (name[0] == '-')
		return vg_error_set(err, -EINVAL, "%s name \"%s\" must not start with '-'", what,
				    vg_printable(name, buf));
	if (streq(name, ".") || streq(name, ".."))
		return vg_error_set(err, -EINVAL, "%s name \"%s\" is not allowed", what, name);
	for (size_t i = 0; i < len; i++)
		if (!vg_name_char_valid(name[i]))
			return vg_error_set(
				err, -EINVAL,
				"%s name \"%s\" has a character outside A-Z a-z 0-9 + _ . -", what,
				vg_printable(name, buf));
	return 0;
}

int lv_name_check(const char *name, struct vg_error *err)
{
	/* What lvm2 2.03.16's lvcreate/lvrename refuse (checked against the binary). */
	static const char *const reserved_prefixes[] = { "pvmove", "snapshot" };
	static const char *const reserved_parts[] = {
		"_cdata", "_cmeta", "_corig", "_mimage", "_mlog",  "_rimage", "_rmeta", "_tdata",
		"_tmeta", "_vdata", "_pmspare", "_vorigin", "_cvol", "_cpool", "_wcorig", "_imeta",
		"_iorig",
	};
	char buf[52];
	int r;

	r = vg_name_check("LV", name, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(reserved_prefixes); i++)
		if (strncmp(name, reserved_prefixes[i], strlen(reserved_prefixes[i])) == 0)
			return vg_error_set(
				err, -EINVAL,
				"LV name \"%s\": names starting \"%s\" are reserved by lvm2",
				vg_printable(name, buf), reserved_prefixes[i]);
	for (size_t i = 0; i < ARRAY_SIZE(reserved_parts); i++)
		if (strstr(name, reserved_parts[i]))
			return vg_error_set(
				err, -EINVAL,
				"LV name \"%s\": names containing \"%s\" are reserved by lvm2",
				vg_printable(name, buf), reserved_parts[i]);
	return 0;
}

/* ---- validation ------------------------------------------------------- */

/* Keep the message of a check that reported @err, under another code. */
static int vg_error_recode(struct vg_error *err, int code)
{
	if (err)
		err->code = code;
	return code;
}

/* lvm_uuid_char_valid() as a table: every id of every LV is checked on every commit. */
static bool vg_id_chars[256];

__attribute__((constructor)) static void vg_id_chars_init(void)
{
	for (int c = 0; c < 256; c++)
		vg_id_chars[c] = lvm_uuid_char_valid((char)c);
}

static bool vg_id_valid(const char id[LVM_UUID_LEN + 1])
{
	for (size_t i = 0; i < LVM_UUID_LEN; i++)
		if (!vg_id_chars[(uint8_t)id[i]])
			return false;
	return id[LVM_UUID_LEN] == '\0';
}

static bool is_power_of_2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* One stripe's run of physical extents, for the double-use check. */
struct vg_pe_run {
	size_t pv_index;
	uint64_t first_pe;
	uint64_t count;
	size_t lv_index;
	size_t seg_index;
};

static int vg_pe_run_cmp(const void *a, const void *b)
{
	const struct vg_pe_run *x = a, *y = b;

	if (x->pv_index != y->pv_index)
		return x->pv_index < y->pv_index ? -1 : 1;
	if (x->first_pe != y->first_pe)
		return x->first_pe < y->first_pe ? -1 : 1;
	return 0;
}

/*
 * Names and ids must be unique. A hash set keeps this linear: a VG of
 * 10 000 LVs is validated before every commit.
 */
/*
 * Add @text to the open-addressed set @slots of @mask + 1 entries: an id
 * (LVM_UUID_LEN bytes, @is_id) or a C string. Returns false when an equal
 * text is there already.
 */
static bool vg_unique_add(const char **slots, size_t mask, const char *text, bool is_id)
{
	size_t len = is_id ? LVM_UUID_LEN : strlen(text);

	for (size_t i = hash_bytes(text, len) & mask;; i = (i + 1) & mask) {
		if (!slots[i]) {
			slots[i] = text;
			return true;
		}
		if (is_id ? memcmp(slots[i], text, len) == 0 : strcmp(slots[i], text) == 0)
			return false;
	}
}

static const char *vg_pv_name_at(const struct vg *vg, size_t i)
{
	return vg->pvs[i]->key;
}

static const char *vg_pv_id_at(const struct vg *vg, size_t i)
{
	return vg->pvs[i]->id;
}

static const char *vg_lv_name_at(const struct vg *vg, size_t i)
{
	return vg->lvs[i]->name;
}

static const char *vg_lv_id_at(const struct vg *vg, size_t i)
{
	return vg->lvs[i]->id;
}

static int vg_check_unique(size_t n, const char *(*name_at)(const struct vg *, size_t),
			   const char *(*id_at)(const struct vg *, size_t), const struct vg *vg,
			   const char *what, struct vg_error *err)
{
	_cleanup_free_ const char **slots = NULL;
	size_t cap = 4;
	char buf[52];

	if (n < 2)
		return 0;
	/* at most half full, so probes stay short */
	while (cap < 2 * n)
		cap *= 2;
	slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return vg_error_set(err, -ENOMEM, "out of memory");

	for (size_t i = 0; i < n; i++) {
		const char *name = name_at(vg, i);

		if (name && !vg_unique_add(slots, cap - 1, name, false))
			return vg_error_set(err, -EBADMSG, "two %ss are named \"%s\"", what,
					    vg_printable(name, buf));
	}
	memset(slots, 0, cap * sizeof(*slots));
	for (size_t i = 0; i < n; i++)
		if (!vg_unique_add(slots, cap - 1, id_at(vg, i), true))
			return vg_error_set(err, -EBADMSG, "two %ss have the id %.32s", what, id_at(vg, i));
	return 0;
}

static int vg_validate_pvs(const struct vg *vg, struct vg_error *err)
{
	if (vg->max_pv && vg->n_pvs > vg->max_pv)
		return vg_error_set(err, -EBADMSG, "VG has %zu PVs but max_pv is %" PRIu64,
				    vg->n_pvs, vg->max_pv);
	for (size_t i = 0; i < vg->n_pvs; i++) {
		const struct vg_pv *pv = vg->pvs[i];

		if (!vg_id_valid(pv->id))
			return vg_error_set(err, -EBADMSG, "PV %zu has an invalid id", i);
		if (pv->pe_count > UINT32_MAX)
			return vg_error_set(err, -EBADMSG,
					    "PV %zu: pe_count %" PRIu64 " is too large", i,
					    pv->pe_count);
	}
	return vg_check_unique(vg->n_pvs, vg_pv_name_at, vg_pv_id_at, vg, "PV", err);
}

static int vg_validate_segment(const struct vg *vg, const struct vg_lv *lv, size_t index,
			       uint64_t expected_start, struct vg_error *err)
{
	const struct vg_segment *seg = lv->segments[index];
	char buf[52];
	uint64_t area_extents, end;

	if (!seg)
		return vg_error_set(err, -EBADMSG, "LV \"%s\" segment %zu is missing",
				    vg_printable(lv->name, buf), index + 1);
	if (seg->start_extent != expected_start)
		return vg_error_set(
			err, -EBADMSG,
			"LV \"%s\" segment %zu starts at extent %" PRIu64 ", expected %" PRIu64
			" (segments must follow each other without gaps or overlaps)",
			vg_printable(lv->name, buf), index + 1, seg->start_extent, expected_start);
	if (seg->extent_count == 0 || seg->extent_count > UINT32_MAX ||
	    ADD_OVERFLOWS(seg->start_extent, seg->extent_count, &end) || end > UINT32_MAX)
		return vg_error_set(err, -EBADMSG, "LV \"%s\" segment %zu: extent_count %" PRIu64
				    " is out of range", vg_printable(lv->name, buf), index + 1,
				    seg->extent_count);
	if (!seg->is_striped)
		return 0;

	if (seg->stripe_count == 0 || !seg->stripes)
		return vg_error_set(err, -EBADMSG, "LV \"%s\" segment %zu has no stripes",
				    vg_printable(lv->name, buf), index + 1);
	if (seg->extent_count % seg->stripe_count)
		return vg_error_set(err, -EBADMSG,
				    "LV \"%s\" segment %zu: %" PRIu64
				    " extents do not divide into %u stripes",
				    vg_printable(lv->name, buf), index + 1, seg->extent_count,
				    seg->stripe_count);
	if (seg->stripe_count > 1 &&
	    (!is_power_of_2(seg->stripe_size_sectors) || seg->stripe_size_sectors > UINT32_MAX))
		return vg_error_set(
			err, -EBADMSG,
			"LV \"%s\" segment %zu: stripe_size %" PRIu64 " is not a power of two",
			vg_printable(lv->name, buf), index + 1, seg->stripe_size_sectors);

	area_extents = seg->extent_count / seg->stripe_count;
	for (uint32_t s = 0; s < seg->stripe_count; s++) {
		const struct vg_stripe *stripe = &seg->stripes[s];
		uint64_t last;

		if (stripe->pv_index >= vg->n_pvs)
			return vg_error_set(
				err, -EBADMSG,
				"LV \"%s\" segment %zu stripe %u refers to PV %zu, which does not exist",
				vg_printable(lv->name, buf), index + 1, s, stripe->pv_index);
		if (ADD_OVERFLOWS(stripe->first_pe, area_extents, &last) ||
		    last > vg->pvs[stripe->pv_index]->pe_count)
			return vg_error_set(err, -EBADMSG,
					    "LV \"%s\" segment %zu stripe %u: extents %" PRIu64
					    "-%" PRIu64 " are beyond the %" PRIu64
					    " extents of pv%zu",
					    vg_printable(lv->name, buf), index + 1, s,
					    stripe->first_pe, stripe->first_pe + area_extents - 1,
					    vg->pvs[stripe->pv_index]->pe_count, stripe->pv_index);
	}
	return 0;
}

static int vg_validate_lvs(const struct vg *vg, struct vg_error *err)
{
	size_t visible = 0;
	char buf[52];
	int r;

	for (size_t i = 0; i < vg->n_lvs; i++) {
		const struct vg_lv *lv = vg->lvs[i];
		uint64_t next = 0;

		/*
		 * Syntax only: hidden sub-LVs (x_rimage_0, x_tdata, pvmove0) carry
		 * the names lv_name_check() refuses for new LVs.
		 */
		r = vg_name_check("LV", lv->name, err);
		if (r < 0)
			return vg_error_recode(err, -EBADMSG);
		if (!vg_id_valid(lv->id))
			return vg_error_set(err, -EBADMSG, "LV \"%s\" has an invalid id",
					    vg_printable(lv->name, buf));
		if (lv->has_creation && !lv->creation_host)
			return vg_error_set(err, -EBADMSG,
					    "LV \"%s\" has a creation time but no host",
					    vg_printable(lv->name, buf));
		if (lv->n_segments == 0)
			return vg_error_set(err, -EBADMSG, "LV \"%s\" has no segments",
					    vg_printable(lv->name, buf));
		for (size_t s = 0; s < lv->n_segments; s++) {
			r = vg_validate_segment(vg, lv, s, next, err);
			if (r < 0)
				return r;
			next += lv->segments[s]->extent_count;
		}
		if (lv->status & LV_STATUS_VISIBLE)
			visible++;
	}
	if (vg->max_lv && visible > vg->max_lv)
		return vg_error_set(err, -EBADMSG, "VG has %zu visible LVs but max_lv is %" PRIu64,
				    visible, vg->max_lv);
	return vg_check_unique(vg->n_lvs, vg_lv_name_at, vg_lv_id_at, vg, "LV", err);
}

/* Bits of every PV's extents at most: beyond this, sorting the runs is cheaper. */
#define VG_EXTENT_BITMAP_MAX_BITS (64ull << 20)

bool vg_extent_bitmap_init(const struct vg *vg, struct vg_extent_bitmap *bits)
{
	uint64_t total = 0;

	*bits = (struct vg_extent_bitmap){ .base = calloc(vg->n_pvs + 1, sizeof(uint64_t)) };
	if (!bits->base)
		return false;
	for (size_t p = 0; p < vg->n_pvs; p++) {
		bits->base[p] = total;
		total += ROUND_UP(vg->pvs[p]->pe_count, 64);
		if (total > VG_EXTENT_BITMAP_MAX_BITS) {
			vg_extent_bitmap_done(bits);
			return false;
		}
	}
	bits->map = calloc(total / 64 + 1, sizeof(*bits->map));
	if (!bits->map) {
		vg_extent_bitmap_done(bits);
		return false;
	}
	return true;
}

void vg_extent_bitmap_done(struct vg_extent_bitmap *bits)
{
	free(bits->map);
	free(bits->base);
	*bits = (struct vg_extent_bitmap){ 0 };
}

/* Whole words at a time: an LV of a million extents is 16 000 words. */
bool vg_extent_bitmap_claim(struct vg_extent_bitmap *bits, size_t pv_index, uint64_t first, uint64_t count)
{
	uint64_t end;

	first += bits->base[pv_index];
	end = first + count;
	while (first < end) {
		uint64_t bit = first % 64, n = MIN(64 - bit, end - first);
		uint64_t mask = (n == 64 ? ~0ull : ((1ull << n) - 1)) << bit;
		uint64_t *word = &bits->map[first / 64];

		if (*word & mask)
			return false;
		*word |= mask;
		first += n;
	}
	return true;
}

/* Call @fn on every stripe's run of extents, in LV and segment order, while it returns true. */
static bool vg_each_run(const struct vg *vg, bool (*fn)(const struct vg_pe_run *run, void *ctx), void *ctx)
{
	for (size_t l = 0; l < vg->n_lvs; l++)
		for (size_t s = 0; s < vg->lvs[l]->n_segments; s++) {
			const struct vg_segment *seg = vg->lvs[l]->segments[s];

			if (!seg->is_striped)
				continue;
			for (uint32_t k = 0; k < seg->stripe_count; k++) {
				const struct vg_pe_run run = {
					.pv_index = seg->stripes[k].pv_index,
					.first_pe = seg->stripes[k].first_pe,
					.count = seg->extent_count / seg->stripe_count,
					.lv_index = l,
					.seg_index = s,
				};

				if (!fn(&run, ctx))
					return false;
			}
		}
	return true;
}

static bool vg_claim_run(const struct vg_pe_run *run, void *ctx)
{
	/* vg_validate_segment() checked every stripe lies inside its PV */
	return vg_extent_bitmap_claim(ctx, run->pv_index, run->first_pe, run->count);
}

/*
 * The usual verdict, that no extent is used twice, from a bitmap of the
 * VG's extents in one pass; false when the bitmap cannot say (too large,
 * no memory) or some extent is used twice, for the sorted check to decide
 * and name the two users.
 */
static bool vg_extent_use_clean(const struct vg *vg)
{
	struct vg_extent_bitmap bits;
	bool clean;

	if (!vg_extent_bitmap_init(vg, &bits))
		return false;
	clean = vg_each_run(vg, vg_claim_run, &bits);
	vg_extent_bitmap_done(&bits);
	return clean;
}

struct vg_run_list {
	struct vg_pe_run *runs; /* NULL: only count */
	size_t n;
};

static bool vg_list_run(const struct vg_pe_run *run, void *ctx)
{
	struct vg_run_list *list = ctx;

	if (list->runs)
		list->runs[list->n] = *run;
	list->n++;
	return true;
}

/* Every physical extent belongs to at most one stripe of one segment. */
static int vg_validate_extent_use(const struct vg *vg, struct vg_error *err)
{
	_cleanup_free_ struct vg_pe_run *runs = NULL;
	struct vg_run_list list = { 0 };
	char buf[52], buf2[52];

	if (vg_extent_use_clean(vg))
		return 0;
	vg_each_run(vg, vg_list_run, &list);
	if (list.n == 0)
		return 0;
	runs = calloc(list.n, sizeof(*runs));
	if (!runs)
		return vg_error_set(err, -ENOMEM, "out of memory");
	list = (struct vg_run_list){ .runs = runs };
	vg_each_run(vg, vg_list_run, &list);

	qsort(runs, list.n, sizeof(*runs), vg_pe_run_cmp);
	for (size_t i = 1; i < list.n; i++) {
		const struct vg_pe_run *a = &runs[i - 1], *b = &runs[i];

		if (a->pv_index == b->pv_index && a->first_pe + a->count > b->first_pe)
			return vg_error_set(
				err, -EBADMSG,
				"LV \"%s\" segment %zu and LV \"%s\" segment %zu both use extent %" PRIu64
				" of pv%zu",
				vg_printable(vg->lvs[a->lv_index]->name, buf), a->seg_index + 1,
				vg_printable(vg->lvs[b->lv_index]->name, buf2), b->seg_index + 1,
				b->first_pe, b->pv_index);
	}
	return 0;
}

/* The checks of the VG's own fields and its PVs: what vg_validate() does before the LVs. */
static int vg_validate_head(const struct vg *vg, struct vg_error *err)
{
	uint64_t extent;
	int r;

	if (!vg)
		return vg_error_set(err, -EINVAL, "no VG");
	r = vg_name_check("VG", vg->name, err);
	if (r < 0)
		return vg_error_recode(err, -EBADMSG);
	if (!vg_id_valid(vg->id))
		return vg_error_set(err, -EBADMSG, "VG has an invalid id");
	extent = vg->extent_size_sectors;
	/* lvm2 allows non-power-of-two extents only in multiples of 128 KiB. */
	if (extent == 0 || extent > UINT32_MAX || (!is_power_of_2(extent) && extent % 256))
		return vg_error_set(err, -EBADMSG,
				    "extent_size %" PRIu64
				    " is neither a power of two nor a multiple "
				    "of 256 sectors",
				    extent);
	if (vg->seqno > UINT32_MAX)
		return vg_error_set(err, -EBADMSG, "seqno %" PRIu64 " is too large", vg->seqno);
	return vg_validate_pvs(vg, err);
}

int vg_validate(const struct vg *vg, struct vg_error *err)
{
	int r;

	r = vg_validate_head(vg, err);
	if (r < 0)
		return r;
	r = vg_validate_lvs(vg, err);
	if (r < 0)
		return r;
	return vg_validate_extent_use(vg, err);
}

/* ---- validation of a change ------------------------------------------- */

/* Beyond this many LVs new to a VG, checking them against every other LV costs more than the whole check. */
#define VG_CHANGE_MAX_NEW_LVS 64

/* How far ahead in the old VG's LV list an LV is looked for (LVs keep their order; a removed LV shifts them by one). */
#define VG_CHANGE_LOOKAHEAD 8

static bool vg_runs_overlap(const struct vg_pe_run *a, const struct vg_pe_run *b)
{
	return a->pv_index == b->pv_index && a->first_pe < b->first_pe + b->count &&
	       b->first_pe < a->first_pe + a->count;
}

static struct vg_pe_run vg_stripe_run(const struct vg_segment *seg, uint32_t k)
{
	return (struct vg_pe_run){
		.pv_index = seg->stripes[k].pv_index,
		.first_pe = seg->stripes[k].first_pe,
		.count = seg->extent_count / seg->stripe_count,
	};
}

static bool vg_run_overlaps(const struct vg_pe_run *run, const struct vg_pe_run *runs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (vg_runs_overlap(&runs[i], run))
			return true;
	return false;
}

/* Whether a run of @seg's stripes overlaps one of @runs (@n). */
static bool vg_segment_overlaps(const struct vg_segment *seg, const struct vg_pe_run *runs, size_t n)
{
	for (uint32_t k = 0; seg->is_striped && k < seg->stripe_count; k++) {
		const struct vg_pe_run run = vg_stripe_run(seg, k);

		if (vg_run_overlaps(&run, runs, n))
			return true;
	}
	return false;
}

/*
 * Add the runs of @lv's stripes to @runs (@n, growing), each checked
 * against those there already; false on an overlap or without memory.
 */
static bool vg_add_runs(const struct vg_lv *lv, struct vg_pe_run **runs, size_t *n, size_t *capacity)
{
	for (size_t s = 0; s < lv->n_segments; s++) {
		const struct vg_segment *seg = lv->segments[s];

		for (uint32_t k = 0; seg->is_striped && k < seg->stripe_count; k++) {
			const struct vg_pe_run run = vg_stripe_run(seg, k);

			if (vg_run_overlaps(&run, *runs, *n))
				return false;
			if (*n == *capacity) {
				size_t grown = *capacity ? 2 * *capacity : 16;
				struct vg_pe_run *more = reallocarray(*runs, grown, sizeof(*more));

				if (!more)
					return false;
				*runs = more;
				*capacity = grown;
			}
			(*runs)[(*n)++] = run;
		}
	}
	return true;
}

/*
 * Whether @lv is one of @old's LVs, looked for from @old->lvs[*@at] a few
 * places on; *@at moves past it when found. Not finding an LV @old has only
 * costs a check it did not need.
 */
static bool vg_lv_carried(const struct vg *old, const struct vg_lv *lv, size_t *at)
{
	if (!lv->frozen)
		return false; /* shared objects only: any other may have changed */
	for (size_t i = *at; i < old->n_lvs && i <= *at + VG_CHANGE_LOOKAHEAD; i++)
		if (old->lvs[i] == lv) {
			*at = i + 1;
			return true;
		}
	return false;
}

/* Whether @a and @b share a name or an id. */
static bool vg_lvs_clash(const struct vg_lv *a, const struct vg_lv *b)
{
	return memcmp(a->id, b->id, LVM_UUID_LEN) == 0 || vg_lv_name_eq(a->name, b->name);
}

/*
 * Whether @vg, made from @old (which passed vg_validate() and was not
 * changed since), passes vg_validate() too, by checking whole only the LVs
 * it does not share with @old: against each other and every other LV for
 * names, ids and extents, where the shared ones passed all of that in @old
 * already and cannot have changed (they are frozen). False when it cannot
 * tell (PVs changed, many new LVs, no memory) or found a fault.
 */
static bool vg_change_valid(const struct vg *old, const struct vg *vg)
{
	const struct vg_lv *new_lvs[VG_CHANGE_MAX_NEW_LVS];
	_cleanup_free_ bool *is_new = NULL;
	_cleanup_free_ struct vg_pe_run *runs = NULL;
	size_t n_new = 0, visible = 0, at = 0, n_runs = 0, runs_capacity = 0;

	if (!old || old == vg || old->n_pvs != vg->n_pvs)
		return false;
	for (size_t p = 0; p < vg->n_pvs; p++)
		if (old->pvs[p]->pe_count != vg->pvs[p]->pe_count)
			return false; /* stripes in bounds of their PV: checked against these */
	if (vg_validate_head(vg, NULL) < 0)
		return false;
	is_new = calloc(vg->n_lvs + 1, sizeof(*is_new));
	if (!is_new)
		return false;

	for (size_t l = 0; l < vg->n_lvs; l++) {
		const struct vg_lv *lv = vg->lvs[l];

		if (lv->status & LV_STATUS_VISIBLE)
			visible++;
		if (vg_lv_carried(old, lv, &at))
			continue;
		if (n_new == VG_CHANGE_MAX_NEW_LVS)
			return false;
		is_new[l] = true;
		new_lvs[n_new++] = lv;
	}
	if (vg->max_lv && visible > vg->max_lv)
		return false;

	/* the new LVs whole, as vg_validate_lvs() checks each, and their extents against each other's */
	for (size_t i = 0; i < n_new; i++) {
		const struct vg_lv *lv = new_lvs[i];
		uint64_t next = 0;

		if (vg_name_check("LV", lv->name, NULL) < 0 || !vg_id_valid(lv->id) ||
		    (lv->has_creation && !lv->creation_host) || lv->n_segments == 0)
			return false;
		for (size_t s = 0; s < lv->n_segments; s++) {
			if (vg_validate_segment(vg, lv, s, next, NULL) < 0)
				return false;
			next += lv->segments[s]->extent_count;
		}
		for (size_t j = 0; j < i; j++)
			if (vg_lvs_clash(lv, new_lvs[j]))
				return false;
		if (!vg_add_runs(lv, &runs, &n_runs, &runs_capacity))
			return false;
	}
	/* their names, ids and extents against every other LV's */
	for (size_t l = 0; n_new > 0 && l < vg->n_lvs; l++) {
		const struct vg_lv *lv = vg->lvs[l];

		if (is_new[l])
			continue;
		for (size_t i = 0; i < n_new; i++)
			if (vg_lvs_clash(lv, new_lvs[i]))
				return false;
		for (size_t s = 0; s < lv->n_segments; s++)
			if (vg_segment_overlaps(lv->segments[s], runs, n_runs))
				return false;
	}
	return true;
}

int vg_validate_change(const struct vg *old, const struct vg *vg, struct vg_error *err)
{
	if (vg && vg_change_valid(old, vg)) {
#ifdef __SANITIZE_ADDRESS__
		/* checked builds: the short verdict is the whole check's */
		assert(vg_validate(vg, NULL) == 0);
#endif
		return 0;
	}
	/* a fault, or no short verdict: the whole check, which also names the fault */
	return vg_validate(vg, err);
}
