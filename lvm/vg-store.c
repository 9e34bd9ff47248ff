/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A VG bound to its devices, and the commit sequence around vg_commit (see vg-store.h). */
#include <stdio.h>
#include <string.h>

#include "mda.h"
#include "vg-store.h"

static struct vg_store *store_alloc(size_t n_pvs)
{
	struct vg_store *store = calloc(1, sizeof(*store));

	if (!store)
		return NULL;
	store->targets = calloc(n_pvs + 1, sizeof(*store->targets));
	if (!store->targets) {
		free(store);
		return NULL;
	}
	return store;
}

struct vg_store *vg_store_free(struct vg_store *store)
{
	if (!store)
		return NULL;
	vg_free(store->vg);
	free(store->targets);
	free(store->backup_header_strings);
	vg_backup_cache_done(&store->backup_cache);
	vg_text_cache_free(store->text_cache);
	free(store);
	return NULL;
}

int vg_store_from_scan(const struct vg_scan_result *scan, const struct vg_scan_vg *svg, struct vg_store **ret_store,
		       struct vg_error *err)
{
	_cleanup_(vg_store_freep) struct vg_store *store = store_alloc(svg->vg->n_pvs);

	if (!store)
		return vg_error_set(err, -ENOMEM, "out of memory");
	store->vg = vg_clone(svg->vg);
	if (!store->vg)
		return vg_error_set(err, -ENOMEM, "out of memory");
	for (size_t m = 0; m < svg->n_members; m++) {
		ssize_t scan_index = svg->members[m].scan_index;
		struct vg_commit_target *target = &store->targets[svg->members[m].pv_index];

		if (scan_index < 0) {
			store->n_missing++;
			continue;
		}
		target->dev = scan->pvs[scan_index].dev;
		target->label = scan->pvs[scan_index].label;
	}
	*ret_store = TAKE_PTR(store);
	return 0;
}

int vg_store_new(const struct vg *vg, struct vg_store **ret_store, struct vg_error *err)
{
	_cleanup_(vg_store_freep) struct vg_store *store = store_alloc(0);

	if (!store)
		return vg_error_set(err, -ENOMEM, "out of memory");
	/* a VG that is not on disk yet: the first commit writes seqno 1 */
	store->vg = vg_new();
	if (!store->vg)
		return vg_error_set(err, -ENOMEM, "out of memory");
	store->vg->name = strdup(vg->name);
	if (!store->vg->name)
		return vg_error_set(err, -ENOMEM, "out of memory");
	memcpy(store->vg->id, vg->id, sizeof(vg->id));
	store->vg->seqno = 0;
	*ret_store = TAKE_PTR(store);
	return 0;
}

int vg_store_check_complete(const struct vg_store *store, struct vg_error *err)
{
	char missing[512] = "";
	size_t used = 0;

	if (store->n_missing == 0)
		return 0;
	for (size_t p = 0; p < store->vg->n_pvs; p++) {
		const struct vg_pv *pv = store->vg->pvs[p];
		char text[LVM_UUID_TEXT_LEN + 1];

		if (store->targets[p].dev)
			continue;
		lvm_uuid_format(pv->id, text);
		used += (size_t)snprintf(missing + used, used < sizeof(missing) ? sizeof(missing) - used : 0,
					 "%s%s (last seen as %s)", used ? ", " : "", text,
					 pv->device_hint ? pv->device_hint : "?");
		if (used >= sizeof(missing))
			break;
	}
	return vg_error_set(err, -EROFS,
			    "VG %s is partial: PV %s is missing; every change must reach every PV, so the VG "
			    "is read-only until the device is back",
			    store->vg->name, missing);
}

static const struct vg_commit_target *find_target(const struct vg_store *store,
						  const struct vg_commit_target *joining, size_t n_joining,
						  const char *pv_id)
{
	for (size_t p = 0; p < store->vg->n_pvs; p++)
		if (store->targets[p].dev && streq(store->vg->pvs[p]->id, pv_id))
			return &store->targets[p];
	for (size_t j = 0; j < n_joining; j++)
		if (streq(joining[j].label.pv_uuid, pv_id))
			return &joining[j];
	return NULL;
}

int pv_make_orphan(struct vg_commit_target *target, struct vg_error *err)
{
	int r;

	for (size_t m = 0; m < target->label.n_metadata_areas; m++) {
		const struct disk_locn *area = &target->label.metadata_areas[m];
		struct mda_header header;

		r = mda_header_read(target->dev, area->offset_bytes, &header, err);
		if (r == -EBADMSG)
			r = mda_init(target->dev, area->offset_bytes, area->size_bytes, err);
		if (r < 0)
			return r;
		/* the text stays in the ring for rescue; only the slots go */
		memset(header.slots, 0, sizeof(header.slots));
		r = mda_header_write(target->dev, &header, err);
		if (r < 0)
			return r;
	}
	target->label.ext_flags &= ~PV_EXT_USED;
	r = pv_label_write(target->dev, &target->label, err);
	if (r < 0)
		return r;
	return blockdev_flush(target->dev, err);
}

/* Keep a copy of @header, strings included, for the backup written later. */
static int remember_backup_header(struct vg_store *store, const struct vg_text_header *header)
{
	const char *const from[] = { header->generator, header->description, header->creation_host,
				     header->uname_line, header->rescue_note };
	const char **to[] = { &store->backup_header.generator, &store->backup_header.description,
			      &store->backup_header.creation_host, &store->backup_header.uname_line,
			      &store->backup_header.rescue_note };
	size_t total = 0;
	char *strings, *p;

	for (size_t i = 0; i < ARRAY_SIZE(from); i++)
		total += from[i] ? strlen(from[i]) + 1 : 0;
	strings = malloc(total + 1);
	if (!strings)
		return -ENOMEM;
	free(store->backup_header_strings);
	store->backup_header_strings = strings;
	store->backup_header = (struct vg_text_header){ .creation_time = header->creation_time };
	p = strings;
	for (size_t i = 0; i < ARRAY_SIZE(from); i++) {
		if (!from[i])
			continue;
		*to[i] = p;
		p = stpcpy(p, from[i]) + 1;
	}
	return 0;
}

static int write_backup(struct vg_store *store, const struct vg_text_header *header, struct vg_error *err)
{
	return vg_backup_write_cached(store->state_dir, store->vg, header, &store->backup_policy,
				      &store->backup_cache, err);
}

int vg_store_flush_backup(struct vg_store *store, struct vg_error *err)
{
	int r;

	if (!store->backup_due || !store->state_dir)
		return 0;
	r = write_backup(store, &store->backup_header, err);
	if (r < 0)
		return vg_error_prefix(err, r, "VG %s: its backup failed: ", store->vg->name);
	store->backup_due = false;
	return 0;
}

int vg_store_commit(struct vg_store *store, struct vg *new_vg, const struct vg_commit_target *joining,
		    size_t n_joining, const struct vg_text_header *header, struct vg_error *err)
{
	_cleanup_free_ struct vg_commit_target *targets = NULL;
	_cleanup_free_ char *old_name = NULL;
	uint64_t old_seqno = new_vg->seqno;
	int r;

	r = vg_store_check_complete(store, err);
	if (r < 0)
		return r;
	/* a change of a few LVs is checked against the committed VG rather than whole */
	r = store->vg->validated ? vg_validate_change(store->vg, new_vg, err) : vg_validate(new_vg, err);
	if (r < 0)
		return vg_error_prefix(err, r, "refusing to commit an inconsistent VG: ");

	targets = calloc(new_vg->n_pvs + 1, sizeof(*targets));
	if (!targets)
		return vg_error_set(err, -ENOMEM, "out of memory");
	for (size_t p = 0; p < new_vg->n_pvs; p++) {
		const struct vg_commit_target *found = find_target(store, joining, n_joining, new_vg->pvs[p]->id);

		if (!found)
			return vg_error_set(err, -ENODEV, "VG %s: no device for PV %s", new_vg->name,
					    new_vg->pvs[p]->device_hint ? new_vg->pvs[p]->device_hint : new_vg->pvs[p]->id);
		targets[p] = *found;
	}

	new_vg->seqno = store->vg->seqno + 1;
	/* without a cache (no memory for one) every LV is rendered: slower, not wrong */
	if (!store->text_cache)
		store->text_cache = vg_text_cache_new();
	r = vg_commit_cached(new_vg, header, store->text_cache, targets, new_vg->n_pvs, err);
	if (r < 0) {
		new_vg->seqno = old_seqno;
		return r;
	}

	/* PVs that left the VG: empty their metadata so no scan finds the old VG there */
	for (size_t p = 0; p < store->vg->n_pvs; p++) {
		if (!store->targets[p].dev || vg_find_pv_by_id(new_vg, store->vg->pvs[p]->id) >= 0)
			continue;
		r = pv_make_orphan(&store->targets[p], err);
		if (r < 0)
			return vg_error_prefix(err, r, "VG %s was committed, but emptying the PV that left failed: ",
					       new_vg->name);
	}

	old_name = store->vg->name ? strdup(store->vg->name) : NULL;
	vg_free(store->vg);
	store->vg = new_vg;
	store->vg->validated = true;
	free(store->targets);
	store->targets = TAKE_PTR(targets);
	store->n_missing = 0;

	if (store->state_dir) {
		/* a renamed VG: the backup under the old name is history now */
		if (old_name && !streq(old_name, store->vg->name)) {
			vg_backup_cache_done(&store->backup_cache);
			r = vg_backup_retire(store->state_dir, old_name, err);
			if (r < 0)
				return vg_error_prefix(err, r, "VG %s was committed, but archiving the backup of its old name failed: ",
						       store->vg->name);
		}
		if (store->defer_backup) {
			r = remember_backup_header(store, header);
			if (r < 0)
				return vg_error_set(err, r, "VG %s was committed, but no memory is left for its backup",
						    store->vg->name);
			store->backup_due = true;
			return 0;
		}
		r = write_backup(store, header, err);
		if (r < 0)
			return vg_error_prefix(err, r, "VG %s was committed, but its backup failed: ", store->vg->name);
		store->backup_due = false;
	}
	return 0;
}

int vg_store_remove(struct vg_store *store, struct vg_error *err)
{
	int r;

	r = vg_store_check_complete(store, err);
	if (r < 0)
		return r;
	for (size_t p = 0; p < store->vg->n_pvs; p++) {
		r = pv_make_orphan(&store->targets[p], err);
		if (r < 0)
			return vg_error_prefix(err, r, "VG %s: ", store->vg->name);
	}
	/* a backup still due describes a VG that is gone */
	store->backup_due = false;
	vg_backup_cache_done(&store->backup_cache);
	if (store->state_dir)
		return vg_backup_retire(store->state_dir, store->vg->name, err);
	return 0;
}
