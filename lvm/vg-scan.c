/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Scanning devices for volume groups (see vg-scan.h). Reading is separate
 * from choosing: first every device's label and areas are read into
 * struct pv_scan, then copies are grouped by VG id and the freshest one is
 * parsed.
 */
#include <stdio.h>
#include <string.h>

#include "vg-scan.h"
#include "vg-text.h"

/*
 * An area already read whose committed copy has the same size and CRC as
 * @slot's: the same text, as lvm2 judges copies when it parses each
 * distinct one once. Every PV of a VG carries it; reading and checking
 * it once instead of once per PV is most of a start-up's work. What this
 * gives up: a copy whose bytes rotted after its header was written reads
 * as good until the next commit rewrites it (the other copies are good).
 */
static const struct pv_scan_mda *find_same_copy(const struct pv_scan *done, size_t n_done,
						const struct pv_scan *current, const struct raw_locn *slot)
{
	for (size_t i = 0; i <= n_done; i++) {
		const struct pv_scan *pv = i < n_done ? &done[i] : current;

		for (size_t m = 0; m < pv->n_mdas; m++) {
			const struct pv_scan_mda *other = &pv->mdas[m];
			const struct raw_locn *other_slot = &other->header.slots[MDA_SLOT_COMMITTED];

			if (other->has_text && !other->text_shared && other_slot->size_bytes == slot->size_bytes &&
			    other_slot->checksum == slot->checksum)
				return other;
		}
	}
	return NULL;
}

/* @done is NULL when every copy is to be read. */
static void scan_one_mda(struct blockdev *dev, uint64_t start, struct pv_scan_mda *mda,
			 const struct pv_scan *done, size_t n_done, const struct pv_scan *current)
{
	const struct pv_scan_mda *same;
	struct mda_text_id id;
	int r;

	mda->start_bytes = start;
	r = mda_header_read(dev, start, &mda->header, &mda->error);
	if (r < 0)
		return;
	mda->header_valid = true;
	if (mda->header.slots[MDA_SLOT_COMMITTED].offset_bytes == 0)
		return; /* an orphan PV, or a VG that was removed */
	same = done ? find_same_copy(done, n_done, current, &mda->header.slots[MDA_SLOT_COMMITTED]) : NULL;
	if (same) {
		mda->text = same->text;
		mda->text_len = same->text_len;
		mda->text_shared = true;
		memcpy(mda->vg_name, same->vg_name, sizeof(mda->vg_name));
		memcpy(mda->vg_id, same->vg_id, sizeof(mda->vg_id));
		mda->seqno = same->seqno;
		mda->has_text = true;
		return;
	}
	r = mda_read_text(dev, &mda->header, &mda->header.slots[MDA_SLOT_COMMITTED], &mda->text,
			  &mda->text_len, &mda->error);
	if (r < 0)
		return;
	if (mda_text_peek(mda->text, mda->text_len, &id, &mda->error) < 0 ||
	    lvm_uuid_parse(id.vg_id, mda->vg_id, &mda->error) < 0) {
		vg_error_prefix(&mda->error, -EBADMSG, "%s: metadata area at %" PRIu64 ": committed text: ",
				dev->path, start);
		free(mda->text);
		mda->text = NULL;
		return;
	}
	memcpy(mda->vg_name, id.vg_name, sizeof(mda->vg_name));
	mda->seqno = id.seqno;
	mda->has_text = true;
}

/* Scan @dev into @pv, the device after the @n_done devices of @done. */
static void scan_one_device(struct blockdev *dev, struct pv_scan *pv, const struct pv_scan *done, size_t n_done)
{
	int r;

	pv->dev = dev;
	pv->vg_index = -1;
	r = pv_label_read(dev, &pv->label, &pv->label_error);
	if (r < 0) {
		if (r == -ENODATA)
			vg_error_clear(&pv->label_error); /* simply not a PV */
		return;
	}
	pv->has_label = true;
	for (size_t i = 0; i < pv->label.n_metadata_areas && pv->n_mdas < ARRAY_SIZE(pv->mdas); i++)
		scan_one_mda(dev, pv->label.metadata_areas[i].offset_bytes, &pv->mdas[pv->n_mdas++], done, n_done, pv);
}

static bool same_text(const struct pv_scan_mda *a, const struct pv_scan_mda *b)
{
	return a->text_len == b->text_len && memcmp(a->text, b->text, a->text_len) == 0;
}

static int add_stale(struct vg_scan_vg *svg, size_t scan_index)
{
	size_t *grown = realloc(svg->stale, (svg->n_stale + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	svg->stale = grown;
	svg->stale[svg->n_stale++] = scan_index;
	return 0;
}

/*
 * Build the VG whose id is @vg_id: choose and parse the freshest copy among
 * the devices, falling back to older copies only when the fresher ones do
 * not parse.
 */
static int assemble_vg(struct vg_scan_result *result, const char *vg_id, struct vg_scan_vg *svg)
{
	uint64_t tried_below = UINT64_MAX;

	for (;;) {
		const struct pv_scan_mda *winner = NULL;
		size_t winner_scan = 0;
		int r;

		/* the freshest copy not yet tried, preferring the first device holding it */
		for (size_t i = 0; i < result->n_pvs; i++)
			for (size_t m = 0; m < result->pvs[i].n_mdas; m++) {
				const struct pv_scan_mda *mda = &result->pvs[i].mdas[m];

				if (!mda->has_text || !streq(mda->vg_id, vg_id) || mda->seqno >= tried_below)
					continue;
				if (!winner || mda->seqno > winner->seqno) {
					winner = mda;
					winner_scan = i;
				}
			}
		if (!winner)
			return -ENODATA;

		r = vg_text_parse(winner->text, winner->text_len, &svg->vg, &svg->parse_error);
		if (r == -ENOMEM)
			return r;
		if (r < 0) {
			vg_error_prefix(&svg->parse_error, r, "%s: metadata seqno %" PRIu64 ": ",
					result->pvs[winner_scan].dev->path, winner->seqno);
			tried_below = winner->seqno;
			continue;
		}
		svg->text = strndup(winner->text, winner->text_len);
		if (!svg->text)
			return -ENOMEM;
		svg->text_len = winner->text_len;
		svg->source_scan_index = winner_scan;

		for (size_t i = 0; i < result->n_pvs; i++) {
			const struct pv_scan *pv = &result->pvs[i];
			bool behind = false;

			/* a device is stale when any of its areas holding this VG is behind */
			for (size_t m = 0; m < pv->n_mdas; m++) {
				const struct pv_scan_mda *mda = &pv->mdas[m];

				if (!mda->has_text || !streq(mda->vg_id, vg_id))
					continue;
				if (mda->seqno < winner->seqno)
					behind = true;
				if (mda->seqno == winner->seqno && !same_text(mda, winner))
					svg->inconsistent = true;
			}
			if (behind && add_stale(svg, i) < 0)
				return -ENOMEM;
		}
		return 0;
	}
}

static int bind_members(struct vg_scan_result *result, size_t vg_index)
{
	struct vg_scan_vg *svg = &result->vgs[vg_index];
	const struct vg *vg = svg->vg;

	svg->members = calloc(vg->n_pvs ? vg->n_pvs : 1, sizeof(*svg->members));
	if (!svg->members)
		return -ENOMEM;
	svg->n_members = vg->n_pvs;
	for (size_t p = 0; p < vg->n_pvs; p++) {
		svg->members[p].pv_index = p;
		svg->members[p].scan_index = -1;
		for (size_t i = 0; i < result->n_pvs; i++) {
			struct pv_scan *pv = &result->pvs[i];

			if (pv->has_label && streq(pv->label.pv_uuid, vg->pvs[p]->id)) {
				svg->members[p].scan_index = (ssize_t)i;
				pv->vg_index = (ssize_t)vg_index;
				break;
			}
		}
		if (svg->members[p].scan_index < 0)
			svg->n_missing++;
	}
	return 0;
}

static int scan(struct blockdev **devs, size_t n_devs, bool every_copy, struct vg_scan_result **ret_result,
		struct vg_error *err)
{
	_cleanup_(vg_scan_result_freep) struct vg_scan_result *result = NULL;
	int r;

	result = calloc(1, sizeof(*result));
	if (!result)
		return vg_error_set(err, -ENOMEM, "out of memory");
	result->pvs = calloc(n_devs ? n_devs : 1, sizeof(*result->pvs));
	if (!result->pvs)
		return vg_error_set(err, -ENOMEM, "out of memory");
	result->n_pvs = n_devs;
	for (size_t i = 0; i < n_devs; i++)
		scan_one_device(devs[i], &result->pvs[i], every_copy ? NULL : result->pvs, i);

	/* one VG per distinct id, in the order devices first mention them */
	for (size_t i = 0; i < n_devs; i++)
		for (size_t m = 0; m < result->pvs[i].n_mdas; m++) {
			const struct pv_scan_mda *mda = &result->pvs[i].mdas[m];
			struct vg_scan_vg *grown;
			bool known = false;

			if (!mda->has_text)
				continue;
			for (size_t v = 0; v < result->n_vgs && !known; v++)
				known = streq(result->vgs[v].vg ? result->vgs[v].vg->id : "", mda->vg_id);
			if (known)
				continue;
			grown = realloc(result->vgs, (result->n_vgs + 1) * sizeof(*grown));
			if (!grown)
				return vg_error_set(err, -ENOMEM, "out of memory");
			result->vgs = grown;
			memset(&result->vgs[result->n_vgs], 0, sizeof(*grown));
			r = assemble_vg(result, mda->vg_id, &result->vgs[result->n_vgs]);
			if (r == -ENOMEM)
				return vg_error_set(err, r, "out of memory");
			if (r < 0) {
				/* no copy of this VG parses: keep the devices' errors, list no VG */
				struct vg_scan_vg *failed = &result->vgs[result->n_vgs];

				for (size_t k = 0; k < n_devs; k++)
					for (size_t q = 0; q < result->pvs[k].n_mdas; q++)
						if (streq(result->pvs[k].mdas[q].vg_id, mda->vg_id) &&
						    result->pvs[k].mdas[q].error.code == 0)
							result->pvs[k].mdas[q].error = failed->parse_error;
				free(failed->stale);
				free(failed->text);
				/* mark the id as handled so it is not retried */
				for (size_t k = 0; k < n_devs; k++)
					for (size_t q = 0; q < result->pvs[k].n_mdas; q++)
						if (streq(result->pvs[k].mdas[q].vg_id, mda->vg_id))
							result->pvs[k].mdas[q].has_text = false;
				continue;
			}
			r = bind_members(result, result->n_vgs);
			result->n_vgs++;
			if (r < 0)
				return vg_error_set(err, r, "out of memory");
		}

	*ret_result = TAKE_PTR(result);
	return 0;
}

int vg_scan(struct blockdev **devs, size_t n_devs, struct vg_scan_result **ret_result,
	    struct vg_error *err)
{
	return scan(devs, n_devs, false, ret_result, err);
}

int vg_scan_every_copy(struct blockdev **devs, size_t n_devs, struct vg_scan_result **ret_result,
		       struct vg_error *err)
{
	return scan(devs, n_devs, true, ret_result, err);
}

struct vg_scan_result *vg_scan_result_free(struct vg_scan_result *result)
{
	if (!result)
		return NULL;
	for (size_t i = 0; i < result->n_pvs; i++)
		for (size_t m = 0; m < result->pvs[i].n_mdas; m++)
			if (!result->pvs[i].mdas[m].text_shared)
				free(result->pvs[i].mdas[m].text);
	free(result->pvs);
	for (size_t v = 0; v < result->n_vgs; v++) {
		vg_free(result->vgs[v].vg);
		free(result->vgs[v].text);
		free(result->vgs[v].members);
		free(result->vgs[v].stale);
	}
	free(result->vgs);
	free(result);
	return NULL;
}

struct vg_scan_vg *vg_scan_find(struct vg_scan_result *result, const char *name)
{
	for (size_t v = 0; v < result->n_vgs; v++)
		if (streq(result->vgs[v].vg->name, name))
			return &result->vgs[v];
	return NULL;
}
