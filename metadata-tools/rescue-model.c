/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Build the combined view of rescue-model.h once per run: md superblocks
 * grouped into mirrors, PV labels, every metadata text copy still on the
 * devices (searched in the ring buffers so that copies survive a destroyed
 * area header) or in backup files, and per VG the best copy with its PVs
 * placed on the devices given. A leg of a mirror is the mirror's PV from
 * sector 0 (md 1.0), so a VG on mirrors is found through any one leg; the
 * legs are never read as separate PVs (lvm2's duplicate rule, FORMATS 7.2),
 * but are grouped behind their mirror.
 *
 * Everything read from disk is distrusted: sizes are checked with overflow
 * tests before any offset is used, and a text that fails parsing or
 * validation is recorded with where it came from.
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "rescue-model.h"
#include "cfg.h"
#include "vg-text.h"

static void strip_dashes(const char *in, char out[LVM_UUID_LEN + 1])
{
	size_t n = 0;

	for (; *in && n < LVM_UUID_LEN; in++)
		if (*in != '-')
			out[n++] = *in;
	out[n] = '\0';
}

const char *rescue_mirror_name(const struct rescue_mirror *mirror)
{
	const char *colon;

	if (!mirror->view->name[0])
		return mirror->uuid_text;
	/* mdadm's "homehost:name": the part after the colon is what a person calls it. */
	colon = strchr(mirror->view->name, ':');
	return colon ? colon + 1 : mirror->view->name;
}

static int copies_push(struct rescue_model *model, size_t *cap, struct rescue_copy *copy)
{
	if (model->n_copies == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct rescue_copy *n = realloc(model->copies, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		model->copies = n;
		*cap = ncap;
	}
	model->copies[model->n_copies++] = *copy;
	return 0;
}

/* Group the devices with a valid md 1.x raid1 superblock into mirrors, by array uuid. */
static int build_mirrors(struct rescue_model *model)
{
	for (size_t i = 0; i < model->n_devices; i++) {
		struct rescue_device *d = &model->devices[i];
		_cleanup_free_ struct blockdev **devs = NULL;
		struct rescue_mirror *mirrors, *m;
		struct vg_error err = { 0 };
		size_t n = 0;
		int r;

		if (!d->has_md || d->mirror >= 0 || d->sb.version != MD_SUPER_1_0 || d->sb.level != 1)
			continue;
		devs = calloc(model->n_devices, sizeof(*devs));
		if (!devs)
			return -ENOMEM;
		for (size_t j = 0; j < model->n_devices; j++)
			if (model->devices[j].dev)
				devs[n++] = model->devices[j].dev;
		mirrors = realloc(model->mirrors, (model->n_mirrors + 1) * sizeof(*mirrors));
		if (!mirrors)
			return -ENOMEM;
		model->mirrors = mirrors;
		m = &model->mirrors[model->n_mirrors];
		memset(m, 0, sizeof(*m));
		md_uuid_format(d->sb.set_uuid, m->uuid_text);
		r = md_mirror_view_read(devs, n, d->sb.set_uuid, &m->view, &err);
		if (r < 0) {
			/* Two legs claiming one slot and the like: keep the device as a plain one, say why. */
			d->has_md = false;
			vg_error_set(&d->label_error, r, "%s: md superblock not usable as a mirror leg: %s",
				     d->path, err.message);
			continue;
		}
		m->leg_device = calloc(m->view->n_legs, sizeof(*m->leg_device));
		if (!m->leg_device) {
			md_mirror_view_free(m->view);
			return -ENOMEM;
		}
		for (size_t l = 0; l < m->view->n_legs; l++) {
			m->leg_device[l] = -1;
			for (size_t j = 0; j < model->n_devices; j++)
				if (m->view->legs[l].present && m->view->legs[l].dev == model->devices[j].dev) {
					m->leg_device[l] = (ssize_t)j;
					model->devices[j].mirror = (ssize_t)model->n_mirrors;
				}
		}
		model->n_mirrors++;
	}
	return 0;
}

/* Every text copy in the metadata areas the label of @index names. */
static int read_device_copies(struct rescue_model *model, size_t index, size_t *cap)
{
	struct rescue_device *d = &model->devices[index];

	for (size_t a = 0; a < d->label.n_metadata_areas && a < 2; a++) {
		const struct disk_locn *locn = &d->label.metadata_areas[a];
		struct mda_header search = { .start_bytes = locn->offset_bytes, .size_bytes = locn->size_bytes };
		_cleanup_free_ struct mda_text_copy *found = NULL;
		struct vg_error err = { 0 };
		size_t n_found = 0;
		int r;

		r = mda_header_read(d->dev, locn->offset_bytes, &d->mda_header[a], &d->mda_error[a]);
		d->mda_valid[a] = r == 0;
		if (r < 0 && !d->mda_error[a].message[0])
			vg_error_set(&d->mda_error[a], r, "%s: metadata area at %" PRIu64 ": %s", d->path,
				     locn->offset_bytes, strerror(-r));
		/*
		 * The label's own numbers when the header is the damaged part; a valid header
		 * (same start, checked by mda_header_decode) also tells which copy its slots name.
		 */
		if (d->mda_valid[a] && d->mda_header[a].size_bytes == locn->size_bytes)
			search = d->mda_header[a];
		r = mda_find_text_copies(d->dev, &search, &found, &n_found, &err);
		if (r < 0) {
			if (d->mda_valid[a])
				d->mda_error[a] = err;
			continue;
		}
		for (size_t c = 0; c < n_found; c++) {
			struct raw_locn slot = { .offset_bytes = found[c].offset_bytes,
						 .size_bytes = found[c].size_bytes,
						 .checksum = found[c].checksum };
			struct rescue_copy copy = {
				.source = RESCUE_COPY_MDA,
				.device = (ssize_t)index,
				.mda_start_bytes = locn->offset_bytes,
				.offset_bytes = found[c].offset_bytes,
				.size_bytes = found[c].size_bytes,
				.checksum = found[c].checksum,
				.wrapped = found[c].wrapped,
				.seqno = found[c].id.seqno,
			};

			/* A slot counts only when the header that names it is valid. */
			if (d->mda_valid[a]) {
				copy.committed = found[c].in_slot[MDA_SLOT_COMMITTED];
				copy.precommitted = found[c].in_slot[MDA_SLOT_PRECOMMITTED];
			}
			snprintf(copy.vg_name, sizeof(copy.vg_name), "%s", found[c].id.vg_name);
			strip_dashes(found[c].id.vg_id, copy.vg_id);
			r = mda_read_text(d->dev, &search, &slot, &copy.text, &copy.text_len, &err);
			if (r < 0)
				continue; /* found but unreadable: the search already saw its bytes; skip it */
			r = copies_push(model, cap, &copy);
			if (r < 0) {
				free(copy.text);
				return r;
			}
		}
	}
	return 0;
}

static int read_text_file(const char *path, char **ret_text, size_t *ret_len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	_cleanup_free_ char *text = NULL;
	struct stat st;
	size_t done = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if ((uint64_t)st.st_size > RESCUE_MAX_FILE_TEXT_BYTES)
		return -EFBIG;
	text = malloc((size_t)st.st_size + 1);
	if (!text)
		return -ENOMEM;
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, text + done, (size_t)st.st_size - done);

		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	text[done] = '\0';
	*ret_len = done;
	*ret_text = TAKE_PTR(text);
	return 0;
}

/* The LV a segment's area names, as lvm2 resolves it: a PV key first, an LV only otherwise. */
static ssize_t lv_index(const struct vg *vg, const char *name)
{
	for (size_t i = 0; i < vg->n_pvs; i++)
		if (streq(vg->pvs[i]->key, name))
			return -1;
	for (size_t i = 0; i < vg->n_lvs; i++)
		if (streq(vg->lvs[i]->name, name))
			return (ssize_t)i;
	return -1;
}

struct lv_edges {
	size_t *to; /* pairs (from, to) flattened */
	size_t n, cap;
};

/* Every string in @node and below that names an LV of @vg is an edge from LV @from to it. */
static int collect_edges(const struct vg *vg, size_t from, const struct cfg_node *node, struct lv_edges *e)
{
	for (; node; node = node->next) {
		const struct cfg_value *v = &node->value;
		size_t n_items = v->type == CFG_LIST ? v->n_items : 1;

		if (node->is_section) {
			int r = collect_edges(vg, from, node->children, e);

			if (r < 0)
				return r;
			continue;
		}
		for (size_t i = 0; i < n_items; i++) {
			const struct cfg_value *item = v->type == CFG_LIST ? &v->items[i] : v;
			ssize_t to;

			if (item->type != CFG_STRING || (to = lv_index(vg, item->text)) < 0)
				continue;
			if (e->n + 2 > e->cap) {
				size_t ncap = e->cap ? e->cap * 2 : 32;
				size_t *n = realloc(e->to, ncap * sizeof(*n));

				if (!n)
					return -ENOMEM;
				e->to = n;
				e->cap = ncap;
			}
			e->to[e->n++] = from;
			e->to[e->n++] = (size_t)to;
		}
	}
	return 0;
}

/*
 * Segments that are not striped (mirror, raid, thin, cache...) stand on
 * other LVs named in their keys. Those references must not loop back (an
 * LV made of itself, or A of B of A): lvm2 would recurse forever or refuse,
 * and nothing below such an LV can be reached. Kahn's algorithm: what is
 * left after peeling off the LVs nothing else stands on contains a cycle.
 * Returns 0, -EBADMSG naming an LV on the cycle, or -ENOMEM.
 */
static int check_lv_references(const struct vg *vg, struct vg_error *err)
{
	_cleanup_free_ size_t *pending = NULL, *queue = NULL;
	struct lv_edges e = { 0 };
	size_t head = 0, tail = 0;
	int r = 0;

	for (size_t l = 0; l < vg->n_lvs && r == 0; l++)
		for (size_t s = 0; s < vg->lvs[l]->n_segments && r == 0; s++)
			if (!vg->lvs[l]->segments[s]->is_striped)
				r = collect_edges(vg, l, vg->lvs[l]->segments[s]->extra, &e);
	if (r < 0 || e.n == 0) {
		free(e.to);
		return r < 0 ? vg_error_set(err, r, "out of memory") : 0;
	}
	pending = calloc(vg->n_lvs, sizeof(*pending)); /* edges into each LV not yet peeled */
	queue = calloc(vg->n_lvs, sizeof(*queue));
	if (!pending || !queue) {
		free(e.to);
		return vg_error_set(err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < e.n; i += 2)
		pending[e.to[i + 1]]++;
	for (size_t l = 0; l < vg->n_lvs; l++)
		if (!pending[l])
			queue[tail++] = l;
	while (head < tail) {
		size_t l = queue[head++];

		for (size_t i = 0; i < e.n; i += 2)
			if (e.to[i] == l && --pending[e.to[i + 1]] == 0)
				queue[tail++] = e.to[i + 1];
	}
	if (tail < vg->n_lvs) {
		/* Walk back along unpeeled edges from any unpeeled LV: after n_lvs steps we are on the cycle. */
		size_t at = 0;

		while (!pending[at])
			at++;
		for (size_t step = 0; step < vg->n_lvs; step++)
			for (size_t i = 0; i < e.n; i += 2)
				if (e.to[i + 1] == at && pending[e.to[i]]) {
					at = e.to[i];
					break;
				}
		r = vg_error_set(err, -EBADMSG,
				 "LV %s/%s is part of a loop: its segments stand, through other LVs, on itself",
				 vg->name, vg->lvs[at]->name);
	}
	free(e.to);
	return r;
}

int rescue_vg_validate(const struct vg *vg, struct vg_error *err)
{
	int r = vg_validate(vg, err);

	return r < 0 ? r : check_lv_references(vg, err);
}

int rescue_copy_parse(struct rescue_copy *copy)
{
	struct vg_error err = { 0 };
	int r;

	if (copy->parsed)
		return copy->parse_result;
	copy->parsed = true;
	r = vg_text_parse(copy->text, copy->text_len, &copy->vg, &err);
	if (r == 0) {
		r = rescue_vg_validate(copy->vg, &err);
		if (r < 0)
			copy->vg = vg_free(copy->vg);
	}
	copy->parse_result = r;
	copy->parse_error = err;
	return r;
}

/* A backup or archive file: parsed right away, since only the parse tells its VG and seqno. */
static int add_file_copy(struct rescue_model *model, size_t *cap, const char *path,
			 enum rescue_copy_source source)
{
	struct rescue_copy copy = { .source = source, .device = -1 };
	int r;

	if (read_text_file(path, &copy.text, &copy.text_len) < 0)
		return 0; /* not a readable regular file: not metadata */
	copy.file = strdup(path);
	if (!copy.file) {
		free(copy.text);
		return -ENOMEM;
	}
	r = vg_text_parse(copy.text, copy.text_len, &copy.vg, &copy.parse_error);
	if (r < 0) {
		/* Not a metadata file at all (or a broken one): it has no VG to belong to. */
		free(copy.text);
		free(copy.file);
		return 0;
	}
	copy.parsed = true;
	snprintf(copy.vg_name, sizeof(copy.vg_name), "%s", copy.vg->name);
	strip_dashes(copy.vg->id, copy.vg_id);
	copy.seqno = copy.vg->seqno;
	r = rescue_vg_validate(copy.vg, &copy.parse_error);
	if (r < 0)
		copy.vg = vg_free(copy.vg);
	copy.parse_result = r;
	r = copies_push(model, cap, &copy);
	if (r < 0) {
		vg_free(copy.vg);
		free(copy.text);
		free(copy.file);
	}
	return r;
}

static int read_dir_copies(struct rescue_model *model, size_t *cap, const char *dir,
			   enum rescue_copy_source source)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int r = 0;

	if (!d)
		return 0;
	while (r == 0 && (e = readdir(d))) {
		_cleanup_free_ char *path = NULL;

		if (e->d_name[0] == '.')
			continue;
		if (asprintf(&path, "%s/%s", dir, e->d_name) < 0) {
			r = -ENOMEM;
			break;
		}
		r = add_file_copy(model, cap, path, source);
	}
	closedir(d);
	return r;
}

/* Best copy per VG id: the highest committed seqno; with no committed copy left, the highest seen. */
static int build_vgs(struct rescue_model *model)
{
	for (size_t c = 0; c < model->n_copies; c++) {
		struct rescue_copy *copy = &model->copies[c];
		struct rescue_vg *rvg = NULL;

		for (size_t v = 0; v < model->n_vgs; v++)
			if (streq(model->vgs[v].vg_id, copy->vg_id))
				rvg = &model->vgs[v];
		if (!rvg) {
			struct rescue_vg *n = realloc(model->vgs, (model->n_vgs + 1) * sizeof(*n));

			if (!n)
				return -ENOMEM;
			model->vgs = n;
			rvg = &model->vgs[model->n_vgs++];
			memset(rvg, 0, sizeof(*rvg));
			memcpy(rvg->vg_id, copy->vg_id, sizeof(rvg->vg_id));
			rvg->best = -1;
		}
		rvg->max_seqno = MAX(rvg->max_seqno, copy->seqno);
		if (rvg->best < 0) {
			rvg->best = (ssize_t)c;
			continue;
		}
		const struct rescue_copy *best = &model->copies[rvg->best];
		bool committed = copy->committed, best_committed = best->committed;

		/* A committed copy beats any uncommitted one; then higher seqno; then a device over a file. */
		if ((committed && !best_committed) ||
		    (committed == best_committed &&
		     (copy->seqno > best->seqno ||
		      (copy->seqno == best->seqno && copy->source == RESCUE_COPY_MDA &&
		       best->source != RESCUE_COPY_MDA))))
			rvg->best = (ssize_t)c;
	}

	for (size_t v = 0; v < model->n_vgs; v++) {
		struct rescue_vg *rvg = &model->vgs[v];
		struct rescue_copy *best = &model->copies[rvg->best];
		char where[512];

		snprintf(rvg->name, sizeof(rvg->name), "%s", best->vg_name);
		rvg->best_committed = best->committed;
		if (rescue_copy_parse(best) < 0) {
			rescue_copy_where(model, best, where, sizeof(where));
			rvg->result = vg_error_set(&rvg->error, best->parse_result,
						   "VG %s seqno %" PRIu64 " (%s): %s", rvg->name, best->seqno,
						   where, best->parse_error.message);
			rvg->best = -1;
			continue;
		}
		rvg->vg = best->vg;
		rvg->result = rescue_model_place(model, rvg, rvg->vg, &rvg->homes, &rvg->n_missing,
						 &rvg->error);
	}
	return 0;
}

void rescue_copy_where(const struct rescue_model *model, const struct rescue_copy *copy, char *buf,
		       size_t len)
{
	if (copy->source != RESCUE_COPY_MDA) {
		snprintf(buf, len, "%s file %s", copy->source == RESCUE_COPY_BACKUP ? "backup" : "archive",
			 copy->file);
		return;
	}
	snprintf(buf, len, "%s byte %" PRIu64 " (metadata area at %" PRIu64 ", %s)",
		 model->devices[copy->device].path, copy->mda_start_bytes + copy->offset_bytes,
		 copy->mda_start_bytes,
		 copy->committed ? "committed" : copy->precommitted ? "precommitted" : "older ring copy");
}

int rescue_pe_offset(const struct vg *vg, const struct vg_pv *pv, uint64_t pe, uint64_t *ret_bytes,
		     struct vg_error *err)
{
	uint64_t start, ext_bytes, off;

	if (MUL_OVERFLOWS(pv->pe_start_sectors, (uint64_t)512, &start) ||
	    MUL_OVERFLOWS(vg->extent_size_sectors, (uint64_t)512, &ext_bytes) ||
	    MUL_OVERFLOWS(pe, ext_bytes, &off) || ADD_OVERFLOWS(off, start, &off))
		return vg_error_set(err, -ERANGE,
				    "PV %s: extent %" PRIu64 " (pe_start %" PRIu64 " sectors, extent_size %" PRIu64
				    " sectors) lies beyond any device (offset overflows 64 bits)",
				    pv->key, pe, pv->pe_start_sectors, vg->extent_size_sectors);
	*ret_bytes = off;
	return 0;
}

int rescue_model_place(struct rescue_model *model, struct rescue_vg *rvg _unused_, const struct vg *vg,
		       struct rescue_home **ret_homes, size_t *ret_n_missing, struct vg_error *err)
{
	_cleanup_free_ struct rescue_home *homes = calloc(vg->n_pvs ? vg->n_pvs : 1, sizeof(*homes));
	size_t n_missing = 0;
	int result = 0;

	if (!homes)
		return vg_error_set(err, -ENOMEM, "out of memory");
	for (size_t p = 0; p < vg->n_pvs; p++) {
		const struct vg_pv *pv = vg->pvs[p];
		struct rescue_home *h = &homes[p];
		uint64_t end = 0;

		h->device = h->mirror = -1;
		for (size_t i = 0; i < model->n_devices; i++) {
			const struct rescue_device *d = &model->devices[i];
			const char *other = NULL;

			if (!d->dev || !d->has_label || !streq(d->label.pv_uuid, pv->id))
				continue;
			if (d->mirror >= 0) {
				if (h->mirror == d->mirror)
					continue;
				if (h->found)
					other = h->mirror >= 0 ? rescue_mirror_name(&model->mirrors[h->mirror])
							       : model->devices[h->device].path;
				else {
					h->found = true;
					h->mirror = d->mirror;
				}
			} else if (h->found) {
				other = h->mirror >= 0 ? rescue_mirror_name(&model->mirrors[h->mirror])
						       : model->devices[h->device].path;
			} else {
				h->found = true;
				h->device = (ssize_t)i;
			}
			if (other && !h->problem)
				h->problem = vg_error_set(&h->problem_error, -EEXIST,
							  "PV %s (%s) of VG %s is on both %s and %s, which are not "
							  "legs of one mirror: give only one of them",
							  pv->key, pv->id, vg->name, other, d->path);
		}
		if (!h->found) {
			n_missing++;
			h->problem = vg_error_set(&h->problem_error, -ENOENT,
						  "PV %s (%s) of VG %s is on none of the devices given", pv->key,
						  pv->id, vg->name);
			continue;
		}
		if (h->mirror >= 0) {
			const struct rescue_mirror *m = &model->mirrors[h->mirror];
			const struct md_mirror_view *view = m->view;
			ssize_t source = md_mirror_view_source(view);

			h->size_bytes = view->size_sectors * 512;
			if (source >= 0 && m->leg_device[source] >= 0)
				h->readers[h->n_readers++] = (size_t)m->leg_device[source];
			for (size_t l = 0; l < view->n_legs && h->n_readers < ARRAY_SIZE(h->readers); l++) {
				const struct md_mirror_leg *leg = &view->legs[l];

				if ((ssize_t)l == source || m->leg_device[l] < 0 || !leg->present || !leg->fresh ||
				    leg->rejected || leg->state != MD_LEG_IN_SYNC)
					continue;
				h->readers[h->n_readers++] = (size_t)m->leg_device[l];
			}
			/* No fresh leg: a stale one still holds the data of its time; better than nothing. */
			for (size_t l = 0; h->n_readers == 0 && l < view->n_legs; l++)
				if (m->leg_device[l] >= 0) {
					h->readers[h->n_readers++] = (size_t)m->leg_device[l];
					h->stale_only = true;
				}
		} else {
			h->size_bytes = model->devices[h->device].dev->size_bytes;
			h->readers[h->n_readers++] = (size_t)h->device;
		}
		if (h->problem)
			continue;
		if (rescue_pe_offset(vg, pv, pv->pe_count, &end, &h->problem_error) < 0) {
			h->problem = -ENXIO;
			h->problem_error.code = -ENXIO;
		} else if (end > h->size_bytes) {
			h->problem = vg_error_set(&h->problem_error, -ENXIO,
						  "PV %s (%s) of VG %s: pe_start %" PRIu64 " + %" PRIu64
						  " extents end at byte %" PRIu64 ", beyond the %" PRIu64
						  " bytes of %s",
						  pv->key, pv->id, vg->name, pv->pe_start_sectors, pv->pe_count, end,
						  h->size_bytes,
						  h->mirror >= 0 ? rescue_mirror_name(&model->mirrors[h->mirror])
								 : model->devices[h->device].path);
		}
		if (h->problem == -ENXIO && !result)
			result = vg_error_set(err, -ENXIO, "%s", h->problem_error.message);
	}
	*ret_homes = TAKE_PTR(homes);
	*ret_n_missing = n_missing;
	return result;
}

static int rescue_model_build_from(char *const *paths, size_t n_paths, const struct rescue_model_options *opts,
				   struct rescue_model **ret_model, struct vg_error *err);

/*
 * Every block device of the host, as a rescue boot has them: the entries of
 * /sys/class/block with a node in /dev and a non-zero size. Malloc'ed list
 * of malloc'ed paths; NULL when none can be listed.
 */
static char **host_block_devices(size_t *ret_n)
{
	struct dirent **names = NULL;
	char **paths;
	size_t n = 0;
	int count = scandir("/sys/class/block", &names, NULL, alphasort);

	*ret_n = 0;
	if (count <= 0)
		return NULL;
	paths = calloc((size_t)count + 1, sizeof(*paths));
	for (int i = 0; i < count; i++) {
		char size_path[512], dev_path[300];
		unsigned long long sectors = 0;
		struct stat st;
		FILE *f;

		snprintf(size_path, sizeof(size_path), "/sys/class/block/%s/size", names[i]->d_name);
		snprintf(dev_path, sizeof(dev_path), "/dev/%s", names[i]->d_name);
		f = fopen(size_path, "re");
		if (f) {
			if (fscanf(f, "%llu", &sectors) != 1)
				sectors = 0;
			fclose(f);
		}
		if (paths && names[i]->d_name[0] != '.' && sectors > 0 && stat(dev_path, &st) == 0 && S_ISBLK(st.st_mode))
			paths[n++] = strdup(dev_path);
		free(names[i]);
	}
	free(names);
	*ret_n = n;
	return paths;
}

int rescue_model_build(char *const *paths, size_t n_paths, const struct rescue_model_options *opts,
		       struct rescue_model **ret_model, struct vg_error *err)
{
	_cleanup_free_ char **all = NULL;
	size_t n_all = 0;

	if (n_paths > 0)
		return rescue_model_build_from(paths, n_paths, opts, ret_model, err);
	/* no device named: every block device of the host, as the rescue boot sees them */
	all = host_block_devices(&n_all);
	if (n_all == 0)
		return vg_error_set(err, -ENODEV, "no devices named and no block devices found in /sys/class/block");
	int r = rescue_model_build_from(all, n_all, opts, ret_model, err);
	for (size_t i = 0; i < n_all; i++)
		free(all[i]);
	return r;
}

static int rescue_model_build_from(char *const *paths, size_t n_paths, const struct rescue_model_options *opts,
				   struct rescue_model **ret_model, struct vg_error *err)
{
	_cleanup_(rescue_model_freep) struct rescue_model *model = calloc(1, sizeof(*model));
	size_t cap = 0;
	int r;

	if (!model)
		return vg_error_set(err, -ENOMEM, "out of memory");
	model->devices = calloc(n_paths ? n_paths : 1, sizeof(*model->devices));
	if (!model->devices)
		return vg_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n_paths; i++) {
		struct rescue_device *d = &model->devices[model->n_devices++];
		unsigned flags = opts && opts->writable ? BLOCKDEV_EXCLUSIVE : BLOCKDEV_READ_ONLY;
		struct vg_error md_err = { 0 };

		d->mirror = -1;
		d->path = strdup(paths[i]);
		if (!d->path)
			return vg_error_set(err, -ENOMEM, "out of memory");
		for (size_t j = 0; j < i; j++)
			if (streq(model->devices[j].path, d->path)) {
				vg_error_set(&d->open_error, -EINVAL, "%s is given twice", d->path);
				break;
			}
		if (d->open_error.code)
			continue;
		if (blockdev_open(d->path, flags, &d->dev, &d->open_error) < 0)
			continue;
		d->has_md = md_super_probe(d->dev, &d->sb, &md_err) == 0 && d->sb.version != MD_SUPER_0_90;
		r = pv_label_read(d->dev, &d->label, &d->label_error);
		d->has_label = r == 0;
		if (r == -ENODATA)
			vg_error_clear(&d->label_error);
	}
	r = build_mirrors(model);
	if (r < 0)
		return vg_error_set(err, r, "out of memory");
	for (size_t i = 0; i < model->n_devices; i++) {
		if (!model->devices[i].dev || !model->devices[i].has_label)
			continue;
		r = read_device_copies(model, i, &cap);
		if (r < 0)
			return vg_error_set(err, r, "%s: %s", model->devices[i].path, strerror(-r));
	}
	if (opts && opts->backup_dir) {
		_cleanup_free_ char *backup = NULL, *archive = NULL;

		if (asprintf(&backup, "%s/backup", opts->backup_dir) < 0 ||
		    asprintf(&archive, "%s/archive", opts->backup_dir) < 0)
			return vg_error_set(err, -ENOMEM, "out of memory");
		r = read_dir_copies(model, &cap, backup, RESCUE_COPY_BACKUP);
		if (r == 0)
			r = read_dir_copies(model, &cap, archive, RESCUE_COPY_ARCHIVE);
		if (r == 0)
			r = read_dir_copies(model, &cap, opts->backup_dir, RESCUE_COPY_ARCHIVE);
		if (r < 0)
			return vg_error_set(err, r, "%s: %s", opts->backup_dir, strerror(-r));
	}
	r = build_vgs(model);
	if (r < 0)
		return vg_error_set(err, r, "out of memory");
	*ret_model = TAKE_PTR(model);
	return 0;
}

struct rescue_model *rescue_model_free(struct rescue_model *model)
{
	if (!model)
		return NULL;
	for (size_t v = 0; v < model->n_vgs; v++)
		free(model->vgs[v].homes);
	free(model->vgs);
	for (size_t c = 0; c < model->n_copies; c++) {
		vg_free(model->copies[c].vg);
		free(model->copies[c].text);
		free(model->copies[c].file);
	}
	free(model->copies);
	for (size_t m = 0; m < model->n_mirrors; m++) {
		md_mirror_view_free(model->mirrors[m].view);
		free(model->mirrors[m].leg_device);
	}
	free(model->mirrors);
	for (size_t i = 0; i < model->n_devices; i++) {
		blockdev_close(model->devices[i].dev);
		free(model->devices[i].path);
	}
	free(model->devices);
	free(model);
	return NULL;
}

struct rescue_vg *rescue_model_find_vg(struct rescue_model *model, const char *name)
{
	struct rescue_vg *found = NULL;

	for (size_t v = 0; v < model->n_vgs; v++) {
		if (name && !streq(model->vgs[v].name, name))
			continue;
		/* Two VGs of one name (ids differ): prefer the usable one. */
		if (!found || (found->result < 0 && model->vgs[v].result == 0))
			found = &model->vgs[v];
	}
	return found;
}

int rescue_parse_lv_path(const char *arg, char vg_name[MDA_VG_NAME_MAX + 1], char lv_name[128],
			 struct vg_error *err)
{
	const char *slash;

	if (strncmp(arg, "/dev/", 5) == 0)
		arg += 5;
	slash = strchr(arg, '/');
	if (!slash || slash == arg || !slash[1] || strchr(slash + 1, '/') ||
	    (size_t)(slash - arg) > MDA_VG_NAME_MAX || strlen(slash + 1) > 127)
		return vg_error_set(err, -EINVAL, "'%s' is not VG/LV", arg);
	snprintf(vg_name, MDA_VG_NAME_MAX + 1, "%.*s", (int)(slash - arg), arg);
	snprintf(lv_name, 128, "%s", slash + 1);
	return 0;
}

int rescue_lv_check(const struct vg *vg, const struct vg_lv *lv, const struct rescue_home *homes,
		    struct vg_error *err)
{
	uint64_t ext_bytes = vg->extent_size_sectors * 512;

	for (size_t s = 0; s < lv->n_segments; s++) {
		const struct vg_segment *seg = lv->segments[s];
		uint64_t area_extents, area_bytes;

		if (!seg->is_striped)
			return vg_error_set(err, -EBADMSG,
					    "LV %s/%s segment %zu has type \"%s\": only striped and linear "
					    "segments can be mapped",
					    vg->name, lv->name, s + 1, seg->type);
		area_extents = seg->extent_count / seg->stripe_count;
		area_bytes = area_extents * ext_bytes; /* < 2^32 extents * 2^41 bytes: validated */
		if (seg->stripe_count > 1 &&
		    (seg->stripe_size_sectors == 0 || area_bytes % (seg->stripe_size_sectors * 512)))
			return vg_error_set(err, -EBADMSG,
					    "LV %s/%s segment %zu: stripe_size %" PRIu64
					    " sectors does not divide the %" PRIu64 " bytes of each stripe",
					    vg->name, lv->name, s + 1, seg->stripe_size_sectors, area_bytes);
		for (uint32_t k = 0; k < seg->stripe_count; k++) {
			const struct vg_stripe *st = &seg->stripes[k];
			const struct rescue_home *h = &homes[st->pv_index];
			uint64_t start = 0, end = 0;
			int r;

			if (h->problem)
				return vg_error_set(err, h->problem, "LV %s/%s segment %zu: %s", vg->name,
						    lv->name, s + 1, h->problem_error.message);
			r = rescue_pe_offset(vg, vg->pvs[st->pv_index], st->first_pe, &start, err);
			if (r < 0)
				return r;
			if (ADD_OVERFLOWS(start, area_bytes, &end) || end > h->size_bytes)
				return vg_error_set(err, -ENXIO,
						    "LV %s/%s segment %zu stripe %u: bytes %" PRIu64 "-%" PRIu64
						    " of %s lie beyond its %" PRIu64 " bytes",
						    vg->name, lv->name, s + 1, k, start, end,
						    vg->pvs[st->pv_index]->key, h->size_bytes);
		}
	}
	return 0;
}

int rescue_model_lv(struct rescue_model *model, const char *vg_lv, struct rescue_vg **ret_rvg,
		    struct vg_lv **ret_lv, struct vg_error *err)
{
	char vg_name[MDA_VG_NAME_MAX + 1], lv_name[128];
	struct rescue_vg *rvg;
	struct vg_lv *lv;
	int r;

	r = rescue_parse_lv_path(vg_lv, vg_name, lv_name, err);
	if (r < 0)
		return r;
	rvg = rescue_model_find_vg(model, vg_name);
	if (!rvg)
		return vg_error_set(err, -ENOENT, "no metadata of VG %s on the devices given", vg_name);
	if (!rvg->vg)
		return vg_error_set(err, rvg->result ? rvg->result : -EBADMSG, "%s", rvg->error.message);
	if (rvg->result < 0)
		return vg_error_set(err, rvg->result, "%s", rvg->error.message);
	lv = vg_find_lv(rvg->vg, lv_name);
	if (!lv)
		return vg_error_set(err, -ENOENT, "VG %s (seqno %" PRIu64 ") has no LV %s", vg_name,
				    rvg->vg->seqno, lv_name);
	r = rescue_lv_check(rvg->vg, lv, rvg->homes, err);
	if (r < 0)
		return r;
	*ret_rvg = rvg;
	*ret_lv = lv;
	return 0;
}
