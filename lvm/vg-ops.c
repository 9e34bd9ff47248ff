/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The VG and LV operations (see vg-ops.h). Each works on a clone of its
 * input and hands the clone back only when everything succeeded. A change
 * that leaves every other LV as it is shares their objects with the input
 * (vg_clone_sharing_lvs) and copies only the LV it changes (vg_lv_own), so
 * its cost does not grow with the size of the VG; the others copy the VG
 * whole.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "vg-ops.h"

/* ---- small model helpers ---- */

static int words_add(struct vg_words *words, const char *word)
{
	char **grown, *copy;

	for (size_t i = 0; i < words->n; i++)
		if (streq(words->words[i], word))
			return 0;
	copy = strdup(word);
	if (!copy)
		return -ENOMEM;
	grown = realloc(words->words, (words->n + 1) * sizeof(*grown));
	if (!grown) {
		free(copy);
		return -ENOMEM;
	}
	words->words = grown;
	words->words[words->n++] = copy;
	return 0;
}

static void words_remove(struct vg_words *words, const char *word)
{
	for (size_t i = 0; i < words->n; i++)
		if (streq(words->words[i], word)) {
			free(words->words[i]);
			memmove(&words->words[i], &words->words[i + 1], (words->n - i - 1) * sizeof(char *));
			words->n--;
			return;
		}
}

/* lvm2's tag rules: 1..1024 characters of [A-Za-z0-9_+.-/=!:#&], not starting with '-'. */
static int tag_check(const char *tag, struct vg_error *err)
{
	size_t len = strlen(tag);

	if (len == 0 || len > 1024)
		return vg_error_set(err, -EINVAL, "tag \"%.64s\" must have 1 to 1024 characters", tag);
	if (tag[0] == '-')
		return vg_error_set(err, -EINVAL, "tag \"%.64s\" must not start with '-'", tag);
	for (const char *p = tag; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      strchr("_+.-/=!:#&", *p)))
			return vg_error_set(err, -EINVAL, "tag \"%.64s\": character '%c' is not allowed", tag, *p);
	return 0;
}

static int apply_tags(struct vg_words *words, const char *const *add, size_t n_add, const char *const *del,
		      size_t n_del, struct vg_error *err)
{
	int r;

	for (size_t i = 0; i < n_add; i++) {
		r = tag_check(add[i], err);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < n_del; i++)
		words_remove(words, del[i]);
	for (size_t i = 0; i < n_add; i++) {
		r = words_add(words, add[i]);
		if (r < 0)
			return vg_error_set(err, r, "out of memory");
	}
	return 0;
}

/* lvm2 names PVs pv0, pv1, ... in VG order on every write; references are by index here. */
static int renumber_pv_keys(struct vg *vg)
{
	for (size_t i = 0; i < vg->n_pvs; i++) {
		char key[32];
		char *copy;

		snprintf(key, sizeof(key), "pv%zu", i);
		if (vg->pvs[i]->key && streq(vg->pvs[i]->key, key))
			continue;
		copy = strdup(key);
		if (!copy)
			return -ENOMEM;
		free(vg->pvs[i]->key);
		vg->pvs[i]->key = copy;
	}
	return 0;
}

static struct vg *clone_or_fail(const struct vg *vg, struct vg_error *err)
{
	struct vg *copy = vg_clone(vg);

	if (!copy)
		vg_error_set(err, -ENOMEM, "out of memory copying VG %s", vg->name);
	return copy;
}

/* For changes that touch no LV, or only LVs they take with own_lv_or_fail(). */
static struct vg *share_or_fail(const struct vg *vg, struct vg_error *err)
{
	struct vg *copy = vg_clone_sharing_lvs(vg);

	if (!copy)
		vg_error_set(err, -ENOMEM, "out of memory copying VG %s", vg->name);
	return copy;
}

/* The LV called @name in @copy (which has it), private to @copy so it may be changed. */
static struct vg_lv *own_lv_or_fail(struct vg *copy, const char *name, struct vg_error *err)
{
	for (size_t l = 0; l < copy->n_lvs; l++)
		if (streq(copy->lvs[l]->name, name)) {
			struct vg_lv *lv = vg_lv_own(copy, l);

			if (!lv)
				vg_error_set(err, -ENOMEM, "out of memory copying LV %s", name);
			else
				assert(vg_lv_changeable(lv));
			return lv;
		}
	vg_error_set(err, -ENOENT, "VG %s has no LV called %s", copy->name, name);
	return NULL;
}

static bool lv_is_plain(const struct vg_lv *lv)
{
	for (size_t s = 0; s < lv->n_segments; s++)
		if (!lv->segments[s]->is_striped)
			return false;
	return true;
}

static bool lv_on_pv(const struct vg_lv *lv, size_t pv_index)
{
	for (size_t s = 0; s < lv->n_segments; s++) {
		const struct vg_segment *seg = lv->segments[s];

		for (uint32_t k = 0; seg->is_striped && k < seg->stripe_count; k++)
			if (seg->stripes[k].pv_index == pv_index)
				return true;
	}
	return false;
}

/*
 * lvm2 refuses a VG whose "vg/lv" full names do not fit its 128-byte name
 * buffers: strlen(vg) + strlen(lv) must stay at or below 124 (measured with
 * lvm2 2.03.16), so both names are checked together.
 */
#define LVM_FULL_NAME_MAX 124

static int full_name_check(const char *vg_name, const char *lv_name, struct vg_error *err)
{
	size_t len = strlen(vg_name) + strlen(lv_name);

	if (len > LVM_FULL_NAME_MAX)
		return vg_error_set(err, -EINVAL,
				    "the names %s/%s are too long together (%zu characters; lvm2 allows %d for VG and LV)",
				    vg_name, lv_name, len, LVM_FULL_NAME_MAX);
	return 0;
}

static int full_names_check(const char *vg_name, const struct vg *vg, struct vg_error *err)
{
	for (size_t l = 0; l < vg->n_lvs; l++) {
		int r = full_name_check(vg_name, vg->lvs[l]->name, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- PVs joining ---- */

static int pv_from_join(const struct vg *vg, const struct pv_join *join, struct vg_pv **ret_pv,
			struct vg_error *err)
{
	_cleanup_(vg_pv_freep) struct vg_pv *pv = NULL;
	uint64_t data_sectors;
	int r;

	if (vg_find_pv_by_id(vg, join->id) >= 0)
		return vg_error_set(err, -EEXIST, "PV %s (%s) is already in VG %s", join->id,
				    join->device_hint ? join->device_hint : "?", vg->name);
	if (join->data_end_sectors <= join->pe_start_sectors)
		return vg_error_set(err, -ENOSPC, "PV %s has no room for data", join->device_hint ? join->device_hint : join->id);
	data_sectors = join->data_end_sectors - join->pe_start_sectors;
	if (data_sectors < vg->extent_size_sectors)
		return vg_error_set(err, -ENOSPC, "PV %s is smaller than one extent of VG %s (%" PRIu64 " sectors)",
				    join->device_hint ? join->device_hint : join->id, vg->name, vg->extent_size_sectors);

	pv = calloc(1, sizeof(*pv));
	if (!pv)
		return vg_error_set(err, -ENOMEM, "out of memory");
	r = lvm_uuid_parse(join->id, pv->id, err);
	if (r < 0)
		return r;
	if (join->device_hint) {
		pv->device_hint = strdup(join->device_hint);
		if (!pv->device_hint)
			return vg_error_set(err, -ENOMEM, "out of memory");
	}
	pv->status = PV_STATUS_ALLOCATABLE;
	pv->has_dev_size = true;
	pv->dev_size_sectors = join->dev_size_sectors;
	pv->pe_start_sectors = join->pe_start_sectors;
	pv->pe_count = data_sectors / vg->extent_size_sectors;
	*ret_pv = TAKE_PTR(pv);
	return 0;
}

static int add_pvs(struct vg *vg, const struct pv_join *pvs, size_t n_pvs, struct vg_error *err)
{
	for (size_t i = 0; i < n_pvs; i++) {
		struct vg_pv *pv = NULL, **grown;
		int r;

		for (size_t j = 0; j < i; j++)
			if (streq(pvs[i].id, pvs[j].id))
				return vg_error_set(err, -EINVAL, "PV %s is named twice", pvs[i].device_hint ? pvs[i].device_hint : pvs[i].id);
		r = pv_from_join(vg, &pvs[i], &pv, err);
		if (r < 0)
			return r;
		grown = realloc(vg->pvs, (vg->n_pvs + 1) * sizeof(*grown));
		if (!grown) {
			vg_pv_free(pv);
			return vg_error_set(err, -ENOMEM, "out of memory");
		}
		vg->pvs = grown;
		vg->pvs[vg->n_pvs++] = pv;
	}
	return renumber_pv_keys(vg) < 0 ? vg_error_set(err, -ENOMEM, "out of memory") : 0;
}

/* ---- VG operations ---- */

int vg_op_create(const char *name, uint64_t extent_size_sectors, const struct pv_join *pvs, size_t n_pvs,
		 const char *vg_id, struct vg **ret_vg, struct vg_error *err)
{
	_cleanup_(vg_freep) struct vg *vg = NULL;
	int r;

	r = vg_name_check("VG", name, err);
	if (r < 0)
		return r;
	if (extent_size_sectors == 0)
		extent_size_sectors = VG_DEFAULT_EXTENT_SECTORS;
	if (extent_size_sectors < 8 || (extent_size_sectors & (extent_size_sectors - 1)) != 0)
		return vg_error_set(err, -EINVAL,
				    "extent size of %" PRIu64 " sectors: it must be a power of two of at least 4 KiB",
				    extent_size_sectors);
	if (n_pvs == 0)
		return vg_error_set(err, -EINVAL, "VG %s needs at least one PV", name);

	vg = vg_new();
	if (!vg)
		return vg_error_set(err, -ENOMEM, "out of memory");
	vg->name = strdup(name);
	vg->format = strdup("lvm2");
	if (!vg->name || !vg->format)
		return vg_error_set(err, -ENOMEM, "out of memory");
	if (vg_id) {
		r = lvm_uuid_parse(vg_id, vg->id, err);
		if (r < 0)
			return r;
	} else {
		r = lvm_uuid_generate(vg->id);
		if (r < 0)
			return vg_error_set(err, r, "cannot generate a VG id");
	}
	vg->seqno = 0;
	vg->status = VG_STATUS_RESIZEABLE | VG_STATUS_READ | VG_STATUS_WRITE;
	vg->extent_size_sectors = extent_size_sectors;
	vg->has_metadata_copies = true;
	vg->metadata_copies = 0;
	r = add_pvs(vg, pvs, n_pvs, err);
	if (r < 0)
		return r;
	*ret_vg = TAKE_PTR(vg);
	return 0;
}

int vg_op_extend(const struct vg *vg, const struct pv_join *pvs, size_t n_pvs, struct vg **ret_vg,
		 struct vg_error *err)
{
	_cleanup_(vg_freep) struct vg *copy = NULL;
	int r;

	if (n_pvs == 0)
		return vg_error_set(err, -EINVAL, "VG %s: name at least one PV to add", vg->name);
	copy = share_or_fail(vg, err);
	if (!copy)
		return -ENOMEM;
	r = add_pvs(copy, pvs, n_pvs, err);
	if (r < 0)
		return r;
	*ret_vg = TAKE_PTR(copy);
	return 0;
}

/* Remove the PVs flagged in @drop from @vg, renumbering the stripes of the LVs that stay. */
static int drop_pvs(struct vg *vg, const bool *drop)
{
	_cleanup_free_ size_t *new_index = calloc(vg->n_pvs + 1, sizeof(size_t));
	size_t kept = 0;

	if (!new_index)
		return -ENOMEM;
	for (size_t p = 0; p < vg->n_pvs; p++) {
		if (drop[p]) {
			vg_pv_free(vg->pvs[p]);
			continue;
		}
		new_index[p] = kept;
		vg->pvs[kept++] = vg->pvs[p];
	}
	vg->n_pvs = kept;
	for (size_t l = 0; l < vg->n_lvs; l++)
		for (size_t s = 0; s < vg->lvs[l]->n_segments; s++) {
			struct vg_segment *seg = vg->lvs[l]->segments[s];

			for (uint32_t k = 0; seg->is_striped && k < seg->stripe_count; k++)
				seg->stripes[k].pv_index = new_index[seg->stripes[k].pv_index];
		}
	return renumber_pv_keys(vg);
}

static int pv_flags_from_ids(const struct vg *vg, const char *const *pv_ids, size_t n, bool *flags,
			     struct vg_error *err)
{
	for (size_t i = 0; i < n; i++) {
		char id[LVM_UUID_LEN + 1];
		ssize_t p;
		int r;

		r = lvm_uuid_parse(pv_ids[i], id, err);
		if (r < 0)
			return r;
		p = vg_find_pv_by_id(vg, id);
		if (p < 0)
			return vg_error_set(err, -ENOENT, "PV %s is not in VG %s", pv_ids[i], vg->name);
		flags[p] = true;
	}
	return 0;
}

int vg_op_reduce(const struct vg *vg, const char *const *pv_ids, size_t n_pv_ids, struct vg **ret_vg,
		 struct vg_error *err)
{
	_cleanup_(vg_freep) struct vg *copy = NULL;
	_cleanup_free_ bool *drop = calloc(vg->n_pvs + 1, sizeof(bool));
	size_t n_drop = 0;
	int r;

	if (!drop)
		return vg_error_set(err, -ENOMEM, "out of memory");
	r = pv_flags_from_ids(vg, pv_ids, n_pv_ids, drop, err);
	if (r < 0)
		return r;
	for (size_t p = 0; p < vg->n_pvs; p++) {
		if (!drop[p])
			continue;
		n_drop++;
		for (size_t l = 0; l < vg->n_lvs; l++)
			if (lv_on_pv(vg->lvs[l], p))
				return vg_error_set(err, -EBUSY,
						    "PV %s of VG %s is in use by LV %s: move or remove the LV first",
						    vg->pvs[p]->device_hint ? vg->pvs[p]->device_hint : vg->pvs[p]->id,
						    vg->name, vg->lvs[l]->name);
	}
	if (n_drop == 0)
		return vg_error_set(err, -EINVAL, "VG %s: name at least one PV to remove", vg->name);
	if (n_drop == vg->n_pvs)
		return vg_error_set(err, -EINVAL, "VG %s would have no PV left: remove the VG instead", vg->name);
	copy = clone_or_fail(vg, err);
	if (!copy)
		return -ENOMEM;
	r = drop_pvs(copy, drop);
	if (r < 0)
		return vg_error_set(err, r, "out of memory");
	*ret_vg = TAKE_PTR(copy);
	return 0;
}

int vg_op_rename(const struct vg *vg, const char *new_name, struct vg **ret_vg, struct vg_error *err)
{
	_cleanup_(vg_freep) struct vg *copy = NULL;
	char *name;
	int r;

	r = vg_name_check("VG", new_name, err);
	if (r < 0)
		return r;
	if (streq(vg->name, new_name))
		return vg_error_set(err, -EALREADY, "VG %s already has that name", vg->name);
	r = full_names_check(new_name, vg, err);
	if (r < 0)
		return r;
	copy = share_or_fail(vg, err);
	if (!copy)
		return -ENOMEM;
	name = strdup(new_name);
	if (!name)
		return vg_error_set(err, -ENOMEM, "out of memory");
	free(copy->name);
	copy->name = name;
	*ret_vg = TAKE_PTR(copy);
	return 0;
}

int vg_op_tag(const struct vg *vg, const char *const *add, size_t n_add, const char *const *del, size_t n_del,
	      struct vg **ret_vg, struct vg_error *err)
{
	_cleanup_(vg_freep) struct vg *copy = share_or_fail(vg, err);
	int r;

	if (!copy)
		return -ENOMEM;
	r = apply_tags(&copy->tags, add, n_add, del, n_del, err);
	if (r < 0)
		return r;
	*ret_vg = TAKE_PTR(copy);
	return 0;
}

/* Append @pv (taking it) to @vg's PV list; returns its index or -ENOMEM. */
static ssize_t append_pv(struct vg *vg, struct vg_pv *pv)
{
	struct vg_pv **grown = realloc(vg->pvs, (vg->n_pvs + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	vg->pvs = grown;
	vg->pvs[vg->n_pvs] = pv;
	return (ssize_t)vg->n_pvs++;
}

static int append_lv(struct vg *vg, struct vg_lv *lv)
{
	struct vg_lv **grown = realloc(vg->lvs, (vg->n_lvs + 1) * sizeof(*grown));
	size_t at = vg->n_lvs;

	if (!grown)
		return -ENOMEM;
	vg->lvs = grown;
	/* visible LVs before hidden ones, as lvm2 writes them */
	if (lv->status & LV_STATUS_VISIBLE)
		while (at > 0 && !(vg->lvs[at - 1]->status & LV_STATUS_VISIBLE))
			at--;
	memmove(&vg->lvs[at + 1], &vg->lvs[at], (vg->n_lvs - at) * sizeof(*grown));
	vg->lvs[at] = lv;
	vg->n_lvs++;
	return 0;
}

/*
 * Move the PVs flagged in @move and the LVs on them from @src to @dst (both
 * owned clones). The caller has checked that no LV straddles.
 */
static int move_pvs_and_lvs(struct vg *src, struct vg *dst, const bool *move)
{
	_cleanup_free_ ssize_t *dst_index = calloc(src->n_pvs + 1, sizeof(ssize_t));
	_cleanup_free_ bool *drop = calloc(src->n_pvs + 1, sizeof(bool));
	size_t kept_lvs = 0;
	int r;

	if (!dst_index || !drop)
		return -ENOMEM;
	for (size_t p = 0; p < src->n_pvs; p++) {
		dst_index[p] = -1;
		if (!move[p])
			continue;
		struct vg_pv *copy = NULL;
		/* the PV object moves; src keeps a placeholder that drop_pvs frees */
		copy = src->pvs[p];
		src->pvs[p] = calloc(1, sizeof(struct vg_pv));
		if (!src->pvs[p]) {
			src->pvs[p] = copy;
			return -ENOMEM;
		}
		dst_index[p] = append_pv(dst, copy);
		if (dst_index[p] < 0) {
			free(src->pvs[p]);
			src->pvs[p] = copy;
			return -ENOMEM;
		}
		drop[p] = true;
	}
	for (size_t l = 0; l < src->n_lvs; l++) {
		struct vg_lv *lv = src->lvs[l];
		bool moves = false;

		for (size_t p = 0; p < src->n_pvs && !moves; p++)
			moves = move[p] && lv_on_pv(lv, p);
		if (!moves) {
			src->lvs[kept_lvs++] = lv;
			continue;
		}
		for (size_t s = 0; s < lv->n_segments; s++)
			for (uint32_t k = 0; k < lv->segments[s]->stripe_count; k++)
				lv->segments[s]->stripes[k].pv_index =
					(size_t)dst_index[lv->segments[s]->stripes[k].pv_index];
		r = append_lv(dst, lv);
		if (r < 0)
			return r;
	}
	src->n_lvs = kept_lvs;
	r = drop_pvs(src, drop);
	if (r < 0)
		return r;
	return renumber_pv_keys(dst);
}

int vg_op_split(const struct vg *from, const char *const *pv_ids, size_t n_pv_ids, const struct vg *into,
		const char *new_name, struct vg **ret_from, struct vg **ret_into, struct vg_error *err)
{
	_cleanup_(vg_freep) struct vg *src = NULL;
	_cleanup_(vg_freep) struct vg *dst = NULL;
	_cleanup_free_ bool *move = calloc(from->n_pvs + 1, sizeof(bool));
	char straddling[512] = "";
	size_t n_move = 0, n_straddling = 0;
	int r;

	if (!move)
		return vg_error_set(err, -ENOMEM, "out of memory");
	r = pv_flags_from_ids(from, pv_ids, n_pv_ids, move, err);
	if (r < 0)
		return r;
	for (size_t p = 0; p < from->n_pvs; p++)
		n_move += move[p];
	if (n_move == 0)
		return vg_error_set(err, -EINVAL, "VG %s: name at least one PV to move", from->name);
	if (n_move == from->n_pvs)
		return vg_error_set(err, -EINVAL,
				    "moving every PV of VG %s would leave it empty: merge the VGs instead", from->name);

	for (size_t l = 0; l < from->n_lvs; l++) {
		const struct vg_lv *lv = from->lvs[l];
		bool on_moved = false, on_kept = false;

		for (size_t p = 0; p < from->n_pvs; p++) {
			if (!lv_on_pv(lv, p))
				continue;
			if (move[p])
				on_moved = true;
			else
				on_kept = true;
		}
		if (on_moved && !lv_is_plain(lv))
			return vg_error_set(err, -ENOTSUP, "LV %s of VG %s is not a plain linear/striped LV; vgtool cannot move it between VGs",
					    lv->name, from->name);
		if (on_moved && on_kept) {
			size_t used = strlen(straddling);
			snprintf(straddling + used, sizeof(straddling) - used, "%s%s", n_straddling ? ", " : "", lv->name);
			n_straddling++;
		}
	}
	/* Hidden sub-volumes of non-plain LVs have no PV of their own to reveal them; refuse them all. */
	if (n_straddling)
		return vg_error_set(err, -EBUSY,
				    "cannot move: LV%s %s of VG %s lie%s both on the PVs being moved and on PVs that stay; "
				    "move their extents off first (pv move) or move all their PVs",
				    n_straddling > 1 ? "s" : "", straddling, from->name, n_straddling > 1 ? "" : "s");

	src = clone_or_fail(from, err);
	if (!src)
		return -ENOMEM;
	if (into) {
		if (streq(into->id, from->id) || streq(into->name, from->name))
			return vg_error_set(err, -EINVAL, "cannot move PVs from VG %s into itself", from->name);
		if (into->extent_size_sectors != from->extent_size_sectors)
			return vg_error_set(err, -EINVAL,
					    "VG %s has %" PRIu64 "-sector extents and VG %s %" PRIu64
					    "-sector ones: PVs cannot move between them",
					    from->name, from->extent_size_sectors, into->name, into->extent_size_sectors);
		dst = clone_or_fail(into, err);
		if (!dst)
			return -ENOMEM;
	} else {
		r = vg_name_check("VG", new_name, err);
		if (r < 0)
			return r;
		dst = vg_new();
		if (!dst || !(dst->name = strdup(new_name)) || !(dst->format = strdup("lvm2")))
			return vg_error_set(err, -ENOMEM, "out of memory");
		r = lvm_uuid_generate(dst->id);
		if (r < 0)
			return vg_error_set(err, r, "cannot generate a VG id");
		dst->status = from->status;
		dst->extent_size_sectors = from->extent_size_sectors;
		dst->max_lv = from->max_lv;
		dst->max_pv = from->max_pv;
		dst->has_metadata_copies = from->has_metadata_copies;
		dst->metadata_copies = from->metadata_copies;
	}
	for (size_t l = 0; l < from->n_lvs; l++) {
		bool moves = false;

		for (size_t p = 0; p < from->n_pvs && !moves; p++)
			moves = move[p] && lv_on_pv(from->lvs[l], p);
		if (moves && vg_find_lv(dst, from->lvs[l]->name))
			return vg_error_set(err, -EEXIST, "VG %s already has an LV called %s", dst->name,
					    from->lvs[l]->name);
		if (moves && (r = full_name_check(dst->name, from->lvs[l]->name, err)) < 0)
			return r;
	}
	r = move_pvs_and_lvs(src, dst, move);
	if (r < 0)
		return vg_error_set(err, r, "out of memory");
	*ret_from = TAKE_PTR(src);
	*ret_into = TAKE_PTR(dst);
	return 0;
}

int vg_op_merge(const struct vg *into, const struct vg *from, struct vg **ret_vg, struct vg_error *err)
{
	_cleanup_(vg_freep) struct vg *src = NULL;
	_cleanup_(vg_freep) struct vg *dst = NULL;
	_cleanup_free_ bool *move = calloc(from->n_pvs + 1, sizeof(bool));
	int r;

	if (!move)
		return vg_error_set(err, -ENOMEM, "out of memory");
	if (streq(into->id, from->id))
		return vg_error_set(err, -EINVAL, "cannot merge VG %s into itself", from->name);
	if (into->extent_size_sectors != from->extent_size_sectors)
		return vg_error_set(err, -EINVAL,
				    "VG %s has %" PRIu64 "-sector extents and VG %s %" PRIu64 "-sector ones: they cannot merge",
				    from->name, from->extent_size_sectors, into->name, into->extent_size_sectors);
	for (size_t l = 0; l < from->n_lvs; l++) {
		if (vg_find_lv(into, from->lvs[l]->name))
			return vg_error_set(err, -EEXIST, "both VGs have an LV called %s: rename one first",
					    from->lvs[l]->name);
		if (!lv_is_plain(from->lvs[l]))
			return vg_error_set(err, -ENOTSUP, "LV %s of VG %s is not a plain linear/striped LV; vgtool cannot move it between VGs",
					    from->lvs[l]->name, from->name);
	}
	r = full_names_check(into->name, from, err);
	if (r < 0)
		return r;
	src = clone_or_fail(from, err);
	dst = clone_or_fail(into, err);
	if (!src || !dst)
		return -ENOMEM;
	/* every LV moves, including those on no PV at all */
	for (size_t p = 0; p < from->n_pvs; p++)
		move[p] = true;
	for (size_t l = 0; l < src->n_lvs; l++)
		if (src->lvs[l]->n_segments == 0)
			return vg_error_set(err, -EINVAL, "LV %s of VG %s has no segments", src->lvs[l]->name, from->name);
	r = move_pvs_and_lvs(src, dst, move);
	if (r < 0)
		return vg_error_set(err, r, "out of memory");
	*ret_vg = TAKE_PTR(dst);
	return 0;
}

/* ---- LV operations ---- */

int lv_size_to_extents(const struct vg *vg, const struct lv_size *size, uint64_t current_extents,
		       const bool *allowed_pvs, uint64_t *ret_extents, struct vg_error *err)
{
	enum size_sign sign = size->extents ? size->extents_sign : size->spec.sign;
	uint64_t amount;

	if (size->extents) {
		amount = size->extents;
	} else if (size->spec.percent_of != SIZE_PERCENT_NONE) {
		uint64_t base = 0;

		switch (size->spec.percent_of) {
		case SIZE_PERCENT_FREE:
			base = vg_free_extents(vg, allowed_pvs);
			break;
		case SIZE_PERCENT_VG:
			for (size_t p = 0; p < vg->n_pvs; p++)
				base += vg->pvs[p]->pe_count;
			break;
		case SIZE_PERCENT_PVS:
			for (size_t p = 0; p < vg->n_pvs; p++)
				if (!allowed_pvs || allowed_pvs[p])
					base += vg->pvs[p]->pe_count;
			break;
		default:
			break;
		}
		amount = (uint64_t)(((unsigned __int128)base * size->spec.percent) / 100);
		if (amount == 0)
			return vg_error_set(err, -ENOSPC, "%u%% of %" PRIu64 " extents is less than one extent",
					    size->spec.percent, base);
	} else {
		uint64_t extent_bytes = vg->extent_size_sectors * 512;

		amount = size->spec.bytes / extent_bytes + (size->spec.bytes % extent_bytes != 0);
		if (amount == 0)
			return vg_error_set(err, -EINVAL, "a size of 0 is no size");
	}

	switch (sign) {
	case SIZE_SIGN_PLUS:
		if (ADD_OVERFLOWS(current_extents, amount, &amount))
			return vg_error_set(err, -ERANGE, "size too large");
		break;
	case SIZE_SIGN_MINUS:
		if (amount >= current_extents)
			return vg_error_set(err, -EINVAL,
					    "cannot take %" PRIu64 " extents from an LV of %" PRIu64 " (remove it instead)",
					    amount, current_extents);
		amount = current_extents - amount;
		break;
	default:
		break;
	}
	*ret_extents = amount;
	return 0;
}

static int allowed_from_ids(const struct vg *vg, const char *const *pv_ids, size_t n, bool **ret_allowed,
			    struct vg_error *err)
{
	_cleanup_free_ bool *allowed = NULL;
	int r;

	*ret_allowed = NULL;
	if (!pv_ids || n == 0)
		return 0;
	allowed = calloc(vg->n_pvs + 1, sizeof(bool));
	if (!allowed)
		return vg_error_set(err, -ENOMEM, "out of memory");
	r = pv_flags_from_ids(vg, pv_ids, n, allowed, err);
	if (r < 0)
		return r;
	*ret_allowed = TAKE_PTR(allowed);
	return 0;
}

int lv_op_create(const struct vg *vg, const struct lv_create_request *req, struct vg **ret_vg,
		 struct vg_error *err)
{
	_cleanup_(vg_freep) struct vg *copy = NULL;
	_cleanup_(vg_lv_freep) struct vg_lv *lv = NULL;
	_cleanup_free_ bool *allowed = NULL;
	uint32_t stripes = req->stripes ? req->stripes : 1;
	uint64_t stripe_size = req->stripe_size_sectors ? req->stripe_size_sectors : LV_DEFAULT_STRIPE_SECTORS;
	uint64_t extents;
	struct vg_lv *added;
	int r;

	r = lv_name_check(req->name, err);
	if (r == 0)
		r = full_name_check(vg->name, req->name, err);
	if (r < 0)
		return r;
	if (vg_find_lv(vg, req->name))
		return vg_error_set(err, -EEXIST, "VG %s already has an LV called %s", vg->name, req->name);
	if (vg->max_lv && vg->n_lvs >= vg->max_lv)
		return vg_error_set(err, -ENOSPC, "VG %s is limited to %" PRIu64 " LVs", vg->name, vg->max_lv);
	if ((req->size.extents ? req->size.extents_sign : req->size.spec.sign) != SIZE_SIGN_NONE)
		return vg_error_set(err, -EINVAL, "LV %s: a new LV's size cannot be relative (+/-)", req->name);
	if (stripes > 1 && (stripe_size < 8 || (stripe_size & (stripe_size - 1)) || stripe_size > vg->extent_size_sectors))
		return vg_error_set(err, -EINVAL,
				    "LV %s: stripe size %" PRIu64 " sectors must be a power of two from 4 KiB up to the extent size",
				    req->name, stripe_size);
	for (size_t i = 0; i < req->n_tags; i++) {
		r = tag_check(req->tags[i], err);
		if (r < 0)
			return r;
	}
	r = allowed_from_ids(vg, req->pv_ids, req->n_pv_ids, &allowed, err);
	if (r < 0)
		return r;
	r = lv_size_to_extents(vg, &req->size, 0, allowed, &extents, err);
	if (r < 0)
		return vg_error_prefix(err, r, "LV %s: ", req->name);
	if (extents % stripes) {
		if (req->size.spec.percent_of != SIZE_PERCENT_NONE)
			extents -= extents % stripes; /* a percentage must not grow past what it names */
		else
			extents += stripes - extents % stripes;
		if (extents == 0)
			return vg_error_set(err, -ENOSPC, "LV %s: not even one extent per stripe", req->name);
	}

	copy = share_or_fail(vg, err);
	if (!copy)
		return -ENOMEM;
	lv = calloc(1, sizeof(*lv));
	if (!lv || !(lv->name = strdup(req->name)))
		return vg_error_set(err, -ENOMEM, "out of memory");
	if (req->lv_id)
		r = lvm_uuid_parse(req->lv_id, lv->id, err);
	else
		r = lvm_uuid_generate(lv->id);
	if (r < 0)
		return vg_error_set(err, r, "LV %s: cannot set its id", req->name);
	lv->status = LV_STATUS_READ | LV_STATUS_WRITE | LV_STATUS_VISIBLE;
	if (req->creation_host) {
		lv->has_creation = true;
		lv->creation_time = req->creation_time;
		lv->creation_host = strdup(req->creation_host);
		if (!lv->creation_host)
			return vg_error_set(err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < req->n_tags; i++)
		if (words_add(&lv->tags, req->tags[i]) < 0)
			return vg_error_set(err, -ENOMEM, "out of memory");
	r = append_lv(copy, lv);
	if (r < 0)
		return vg_error_set(err, r, "out of memory");
	added = TAKE_PTR(lv);

	struct alloc_request alloc = {
		.extents = extents,
		.stripes = stripes,
		.stripe_size_sectors = stripe_size,
		.policy = req->policy,
		.allowed_pvs = allowed,
	};
	r = vg_alloc_extend_lv(copy, added, &alloc, err);
	if (r < 0)
		return r;
	*ret_vg = TAKE_PTR(copy);
	return 0;
}

static struct vg_lv *find_changeable_lv(const struct vg *vg, const char *name, struct vg_error *err)
{
	struct vg_lv *lv = vg_find_lv(vg, name);

	if (!lv) {
		vg_error_set(err, -ENOENT, "VG %s has no LV called %s", vg->name, name);
		return NULL;
	}
	if (!(lv->status & LV_STATUS_VISIBLE)) {
		vg_error_set(err, -EPERM, "LV %s of VG %s is a hidden part of another LV", name, vg->name);
		return NULL;
	}
	return lv;
}

int lv_op_resize(const struct vg *vg, const struct lv_resize_request *req, struct vg **ret_vg,
		 struct vg_error *err)
{
	_cleanup_(vg_freep) struct vg *copy = NULL;
	_cleanup_free_ bool *allowed = NULL;
	const struct vg_lv *lv;
	struct vg_lv *target;
	uint64_t current, wanted;
	int r;

	lv = find_changeable_lv(vg, req->name, err);
	if (!lv)
		return err ? err->code : -ENOENT;
	if (!lv_is_plain(lv) || lv->n_segments == 0)
		return vg_error_set(err, -ENOTSUP, "LV %s is not a plain linear/striped LV; vgtool cannot resize it",
				    lv->name);
	r = allowed_from_ids(vg, req->pv_ids, req->n_pv_ids, &allowed, err);
	if (r < 0)
		return r;
	current = vg_lv_extents(lv);
	r = lv_size_to_extents(vg, &req->size, current, allowed, &wanted, err);
	if (r < 0)
		return vg_error_prefix(err, r, "LV %s: ", lv->name);

	const struct vg_segment *last = lv->segments[lv->n_segments - 1];
	uint32_t stripes = last->stripe_count;
	if (wanted % stripes) {
		if (wanted > current)
			wanted += stripes - wanted % stripes;
		else
			wanted -= wanted % stripes;
	}
	if (wanted == current)
		return vg_error_set(err, -EALREADY, "LV %s already has %" PRIu64 " extents", lv->name, current);
	if (wanted < current && !req->allow_reduce)
		return vg_error_set(err, -EPERM,
				    "shrinking LV %s from %" PRIu64 " to %" PRIu64
				    " extents destroys the data past the new end; say so explicitly (force) to do it",
				    lv->name, current, wanted);

	copy = share_or_fail(vg, err);
	if (!copy)
		return -ENOMEM;
	target = own_lv_or_fail(copy, req->name, err);
	if (!target)
		return err ? err->code : -ENOMEM;
	if (wanted < current) {
		r = vg_lv_truncate(target, current - wanted, err);
	} else {
		struct alloc_request alloc = {
			.extents = wanted - current,
			.stripes = stripes,
			.stripe_size_sectors = last->stripe_size_sectors,
			.policy = req->policy,
			.allowed_pvs = allowed,
		};
		r = vg_alloc_extend_lv(copy, target, &alloc, err);
	}
	if (r < 0)
		return r;
	*ret_vg = TAKE_PTR(copy);
	return 0;
}

int lv_op_rename(const struct vg *vg, const char *name, const char *new_name, struct vg **ret_vg,
		 struct vg_error *err)
{
	_cleanup_(vg_freep) struct vg *copy = NULL;
	const struct vg_lv *lv = find_changeable_lv(vg, name, err);
	struct vg_lv *target;
	char *renamed;
	int r;

	if (!lv)
		return err ? err->code : -ENOENT;
	r = lv_name_check(new_name, err);
	if (r == 0)
		r = full_name_check(vg->name, new_name, err);
	if (r < 0)
		return r;
	if (streq(name, new_name))
		return vg_error_set(err, -EALREADY, "LV %s already has that name", name);
	if (vg_find_lv(vg, new_name))
		return vg_error_set(err, -EEXIST, "VG %s already has an LV called %s", vg->name, new_name);
	if (!lv_is_plain(lv))
		return vg_error_set(err, -ENOTSUP, "LV %s is not a plain linear/striped LV; vgtool cannot rename it", name);
	copy = share_or_fail(vg, err);
	if (!copy)
		return -ENOMEM;
	target = own_lv_or_fail(copy, name, err);
	if (!target)
		return err ? err->code : -ENOMEM;
	renamed = strdup(new_name);
	if (!renamed)
		return vg_error_set(err, -ENOMEM, "out of memory");
	free(target->name);
	target->name = renamed;
	*ret_vg = TAKE_PTR(copy);
	return 0;
}

int lv_op_remove(const struct vg *vg, const char *name, struct vg **ret_vg, struct vg_error *err)
{
	_cleanup_(vg_freep) struct vg *copy = NULL;
	const struct vg_lv *lv = find_changeable_lv(vg, name, err);

	if (!lv)
		return err ? err->code : -ENOENT;
	if (!lv_is_plain(lv))
		return vg_error_set(err, -ENOTSUP, "LV %s is not a plain linear/striped LV; vgtool cannot remove it", name);
	copy = share_or_fail(vg, err);
	if (!copy)
		return -ENOMEM;
	/* the copy holds the same LV objects: found by address, not by name again */
	for (size_t l = 0; l < copy->n_lvs; l++)
		if (copy->lvs[l] == lv) {
			vg_lv_free(copy->lvs[l]);
			memmove(&copy->lvs[l], &copy->lvs[l + 1], (copy->n_lvs - l - 1) * sizeof(*copy->lvs));
			copy->n_lvs--;
			break;
		}
	*ret_vg = TAKE_PTR(copy);
	return 0;
}

int lv_op_tag(const struct vg *vg, const char *name, const char *const *add, size_t n_add,
	      const char *const *del, size_t n_del, struct vg **ret_vg, struct vg_error *err)
{
	_cleanup_(vg_freep) struct vg *copy = NULL;
	struct vg_lv *target;
	int r;

	if (!find_changeable_lv(vg, name, err))
		return err ? err->code : -ENOENT;
	copy = share_or_fail(vg, err);
	if (!copy)
		return -ENOMEM;
	target = own_lv_or_fail(copy, name, err);
	if (!target)
		return err ? err->code : -ENOMEM;
	r = apply_tags(&target->tags, add, n_add, del, n_del, err);
	if (r < 0)
		return r;
	*ret_vg = TAKE_PTR(copy);
	return 0;
}
