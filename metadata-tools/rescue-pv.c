/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `vgrescue pv examine [--json] DEV...`: everything LVM2 keeps at the start
 * of a PV, read-only and without lvm2: the label (and any other or damaged
 * label in sectors 0-3), each metadata area's header with both slots and the
 * VG name and seqno their texts begin with, and every older text copy still
 * in the ring buffer, which is what a person rebuilds a lost VG from. The
 * facts are those of `pvck --dump headers|metadata_search`; --json gives
 * them as typed fields. The text itself is not parsed here (vg-text.c does
 * that for `vgrescue dump`).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "blockdev.h"
#include "mda.h"
#include "pv-label.h"
#include "rescue.h"
#include "uuid.h"

static const char *const slot_names[2] = { "committed", "precommitted" };

/* What one of sectors 0-3 holds, when it starts with LABELONE. */
struct label_candidate {
	uint64_t sector;
	int result; /* of pv_label_decode */
	struct vg_error error;
};

/* What was read for one slot of a metadata area header. */
struct slot_report {
	bool empty;
	bool wrapped;
	int text_result; /* of mda_read_text; 0 when the text checksum is right */
	struct vg_error text_error;
	bool have_id; /* the first lines named the VG */
	struct mda_text_id id;
};

/* What was read for one metadata area the label lists. */
struct area_report {
	uint64_t label_start_bytes, label_size_bytes;
	int header_result;
	struct vg_error header_error;
	struct mda_header header; /* valid when header_result == 0; else start/size from the label */
	struct slot_report slots[2];
	struct mda_text_copy *copies;
	size_t n_copies;
	uint64_t searched_bytes;
	int search_result;
	struct vg_error search_error;
};

static void area_report_done(struct area_report *area)
{
	free(area->copies);
	area->copies = NULL;
}

/* ---- gathering ---- */

static size_t find_label_candidates(struct blockdev *dev, struct label_candidate *ret, struct vg_error *err)
{
	uint8_t sectors[PV_LABEL_SCAN_SECTORS * PV_LABEL_SECTOR_BYTES];
	unsigned n = (unsigned)MIN((uint64_t)PV_LABEL_SCAN_SECTORS, dev->size_bytes / PV_LABEL_SECTOR_BYTES);
	size_t found = 0;

	if (n == 0 || blockdev_read(dev, 0, sectors, (size_t)n * PV_LABEL_SECTOR_BYTES, err) < 0)
		return 0;
	for (unsigned i = 0; i < n; i++) {
		struct label_candidate *c = &ret[found];
		struct pv_label ignored;

		c->sector = i;
		vg_error_clear(&c->error);
		c->result =
			pv_label_decode(sectors + (size_t)i * PV_LABEL_SECTOR_BYTES, i, &ignored, &c->error);
		if (c->result != -ENODATA)
			found++;
	}
	return found;
}

static void read_slot(struct blockdev *dev, const struct area_report *area, size_t index,
		      struct slot_report *slot)
{
	const struct raw_locn *locn = &area->header.slots[index];
	_cleanup_free_ char *text = NULL;
	size_t len;

	memset(slot, 0, sizeof(*slot));
	slot->empty = locn->offset_bytes == 0;
	if (slot->empty)
		return;
	slot->wrapped = locn->offset_bytes < area->header.size_bytes &&
		locn->size_bytes > area->header.size_bytes - locn->offset_bytes;
	slot->text_result = mda_read_text(dev, &area->header, locn, &text, &len, &slot->text_error);
	if (slot->text_result == 0) {
		slot->have_id = mda_text_peek(text, len, &slot->id, NULL) == 0;
		return;
	}
	/* The text is damaged: the copy search may still know what begins there. */
	for (size_t i = 0; i < area->n_copies; i++)
		if (area->copies[i].offset_bytes == locn->offset_bytes) {
			slot->id = area->copies[i].id;
			slot->have_id = true;
		}
}

static void examine_area(struct blockdev *dev, const struct disk_locn *locn, struct area_report *area)
{
	memset(area, 0, sizeof(*area));
	area->label_start_bytes = locn->offset_bytes;
	area->label_size_bytes = locn->size_bytes;
	area->header_result = mda_header_read(dev, locn->offset_bytes, &area->header, &area->header_error);
	if (area->header_result < 0)
		/* Without a header the label still says where the ring is: search it anyway. */
		area->header = (struct mda_header){ .start_bytes = locn->offset_bytes,
						    .size_bytes = locn->size_bytes };

	if (area->header.start_bytes < dev->size_bytes)
		area->searched_bytes =
			MIN(area->header.size_bytes, dev->size_bytes - area->header.start_bytes);
	area->search_result =
		mda_find_text_copies(dev, &area->header, &area->copies, &area->n_copies, &area->search_error);
	if (area->header_result < 0)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(area->slots); i++)
		read_slot(dev, area, i, &area->slots[i]);
}

/* ---- text ---- */

static void print_locns(const char *what, const struct disk_locn *list, size_t n, bool data)
{
	if (n == 0) {
		printf("    %-18s: none\n", what);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char name[32];

		snprintf(name, sizeof(name), "%s %zu", what, i);
		printf("    %-18s: offset %" PRIu64 ", size %" PRIu64 "%s\n", name, list[i].offset_bytes,
		       list[i].size_bytes,
		       data && list[i].size_bytes == 0 ? " (to the end of the device)" : "");
	}
}

static void print_label(const struct pv_label *label)
{
	char uuid[LVM_UUID_TEXT_LEN + 1];

	lvm_uuid_format(label->pv_uuid, uuid);
	printf("  label in sector %" PRIu64 " (at byte %" PRIu64 ")\n", label->sector,
	       label->sector * PV_LABEL_SECTOR_BYTES);
	printf("    %-18s: %s\n", "PV UUID", uuid);
	printf("    %-18s: %" PRIu64 " bytes\n", "device size", label->device_size_bytes);
	print_locns("data area", label->data_areas, label->n_data_areas, true);
	print_locns("metadata area", label->metadata_areas, label->n_metadata_areas, false);
	if (label->ext_version == 0)
		printf("    %-18s: none (an old label without pv_header_extension)\n", "extension");
	else
		printf("    %-18s: version %" PRIu32 ", flags 0x%" PRIx32 "%s\n", "extension",
		       label->ext_version, label->ext_flags,
		       (label->ext_flags & PV_EXT_USED) ? " (used by a VG)" : " (orphan)");
	if (label->ext_version > 0)
		print_locns("bootloader area", label->bootloader_areas, label->n_bootloader_areas, false);
}

static void print_slot(size_t index, const struct mda_header *header, const struct slot_report *slot)
{
	const struct raw_locn *locn = &header->slots[index];
	char name[32];

	snprintf(name, sizeof(name), "%s slot", slot_names[index]);
	if (slot->empty) {
		printf("    %-18s: empty\n", name);
		return;
	}
	printf("    %-18s: offset %" PRIu64 " (at %" PRIu64 "), size %" PRIu64 ", checksum 0x%08" PRIx32
	       ", flags 0x%" PRIx32 "%s, %s\n",
	       name, locn->offset_bytes, header->start_bytes + locn->offset_bytes, locn->size_bytes,
	       locn->checksum, locn->flags, (locn->flags & RAW_LOCN_IGNORED) ? " (ignored)" : "",
	       slot->wrapped ? "wrapped" : "not wrapped");
	printf("    %-18s  text checksum %s", "", slot->text_result == 0 ? "valid" : "INVALID");
	if (slot->have_id)
		printf(", VG %s seqno %" PRIu64 " id %s", slot->id.vg_name, slot->id.seqno, slot->id.vg_id);
	printf("\n");
	if (slot->text_result < 0)
		printf("    %-18s  %s\n", "", slot->text_error.message);
}

static const char *copy_role(const struct mda_text_copy *copy)
{
	if (copy->in_slot[MDA_SLOT_COMMITTED])
		return "committed";
	if (copy->in_slot[MDA_SLOT_PRECOMMITTED])
		return "precommitted";
	return "older copy";
}

static void print_area(size_t index, const struct area_report *area)
{
	printf("  metadata area %zu at %" PRIu64 ", size %" PRIu64 "\n", index, area->label_start_bytes,
	       area->label_size_bytes);
	if (area->header_result < 0) {
		printf("    %-18s: INVALID: %s\n", "header", area->header_error.message);
	} else {
		printf("    %-18s: valid (version %" PRIu32 ", start %" PRIu64 ", size %" PRIu64 ")\n",
		       "header", area->header.version, area->header.start_bytes, area->header.size_bytes);
		if (area->header.size_bytes != area->label_size_bytes)
			printf("    %-18s  the label says size %" PRIu64 "\n", "", area->label_size_bytes);
		for (size_t i = 0; i < ARRAY_SIZE(area->slots); i++)
			print_slot(i, &area->header, &area->slots[i]);
	}

	if (area->search_result < 0) {
		printf("    %-18s: %s\n", "text copies", area->search_error.message);
		return;
	}
	printf("    %-18s: %zu found", "text copies", area->n_copies);
	if (area->searched_bytes < area->header.size_bytes)
		printf(" (the device ends inside the area: searched %" PRIu64 " of %" PRIu64 " bytes)",
		       area->searched_bytes, area->header.size_bytes);
	printf("\n");
	for (size_t i = 0; i < area->n_copies; i++) {
		const struct mda_text_copy *c = &area->copies[i];
		const char *role = copy_role(c);

		printf("      offset %" PRIu64 " (at %" PRIu64 "), size %" PRIu64 ", checksum 0x%08" PRIx32
		       "%s, VG %s seqno %" PRIu64 ": %s\n",
		       c->offset_bytes, area->header.start_bytes + c->offset_bytes, c->size_bytes,
		       c->checksum, c->wrapped ? ", wrapped" : "", c->id.vg_name, c->id.seqno, role);
	}
}

/* ---- JSON ---- */

static struct json_object *json_locns(const struct disk_locn *list, size_t n)
{
	struct json_object *array = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		struct json_object *obj = json_object_new_object();

		json_object_object_add(obj, "offset", rescue_json_u64(list[i].offset_bytes));
		json_object_object_add(obj, "size", rescue_json_u64(list[i].size_bytes));
		json_object_array_add(array, obj);
	}
	return array;
}

static struct json_object *json_label(const struct pv_label *label)
{
	struct json_object *obj = json_object_new_object();
	char uuid[LVM_UUID_TEXT_LEN + 1];

	lvm_uuid_format(label->pv_uuid, uuid);
	json_object_object_add(obj, "sector", rescue_json_u64(label->sector));
	json_object_object_add(obj, "pv_uuid", json_object_new_string(uuid));
	json_object_object_add(obj, "device_size", rescue_json_u64(label->device_size_bytes));
	json_object_object_add(obj, "data_areas", json_locns(label->data_areas, label->n_data_areas));
	json_object_object_add(obj, "metadata_areas",
			       json_locns(label->metadata_areas, label->n_metadata_areas));
	json_object_object_add(obj, "extension_version", rescue_json_u64(label->ext_version));
	json_object_object_add(obj, "extension_flags", rescue_json_u64(label->ext_flags));
	json_object_object_add(obj, "in_use", json_object_new_boolean(label->ext_flags & PV_EXT_USED));
	json_object_object_add(obj, "bootloader_areas",
			       json_locns(label->bootloader_areas, label->n_bootloader_areas));
	return obj;
}

static struct json_object *json_error_string(int result, const struct vg_error *error)
{
	return result < 0 ? json_object_new_string(error->message) : NULL;
}

static struct json_object *json_error_code(int result)
{
	return result < 0 ? json_object_new_string(vg_errno_name(result)) : NULL;
}

static void json_add_id(struct json_object *obj, bool have_id, const struct mda_text_id *id)
{
	json_object_object_add(obj, "vg_name", have_id ? json_object_new_string(id->vg_name) : NULL);
	json_object_object_add(obj, "vg_id", have_id ? json_object_new_string(id->vg_id) : NULL);
	json_object_object_add(obj, "seqno", have_id ? rescue_json_u64(id->seqno) : NULL);
}

static struct json_object *json_slot(size_t index, const struct mda_header *header,
				     const struct slot_report *slot)
{
	struct json_object *obj = json_object_new_object();
	const struct raw_locn *locn = &header->slots[index];

	json_object_object_add(obj, "slot", json_object_new_string(slot_names[index]));
	json_object_object_add(obj, "empty", json_object_new_boolean(slot->empty));
	json_object_object_add(obj, "offset", rescue_json_u64(locn->offset_bytes));
	json_object_object_add(obj, "size", rescue_json_u64(locn->size_bytes));
	json_object_object_add(obj, "checksum", rescue_json_u64(locn->checksum));
	json_object_object_add(obj, "flags", rescue_json_u64(locn->flags));
	json_object_object_add(obj, "ignored", json_object_new_boolean(locn->flags & RAW_LOCN_IGNORED));
	if (slot->empty)
		return obj;
	json_object_object_add(obj, "device_offset",
			       rescue_json_u64(header->start_bytes + locn->offset_bytes));
	json_object_object_add(obj, "wrapped", json_object_new_boolean(slot->wrapped));
	json_object_object_add(obj, "text_checksum_valid", json_object_new_boolean(slot->text_result == 0));
	json_object_object_add(obj, "text_error", json_error_string(slot->text_result, &slot->text_error));
	json_add_id(obj, slot->have_id, &slot->id);
	return obj;
}

static struct json_object *json_area(const struct area_report *area)
{
	struct json_object *obj = json_object_new_object(), *slots, *copies;

	json_object_object_add(obj, "start", rescue_json_u64(area->label_start_bytes));
	json_object_object_add(obj, "size", rescue_json_u64(area->label_size_bytes));
	json_object_object_add(obj, "header_valid", json_object_new_boolean(area->header_result == 0));
	json_object_object_add(obj, "error", json_error_string(area->header_result, &area->header_error));
	json_object_object_add(obj, "error_code", json_error_code(area->header_result));
	if (area->header_result == 0) {
		struct json_object *header = json_object_new_object();

		json_object_object_add(header, "version", rescue_json_u64(area->header.version));
		json_object_object_add(header, "start", rescue_json_u64(area->header.start_bytes));
		json_object_object_add(header, "size", rescue_json_u64(area->header.size_bytes));
		json_object_object_add(obj, "header", header);
		slots = json_object_new_array();
		for (size_t i = 0; i < ARRAY_SIZE(area->slots); i++)
			json_object_array_add(slots, json_slot(i, &area->header, &area->slots[i]));
		json_object_object_add(obj, "slots", slots);
	} else {
		json_object_object_add(obj, "header", NULL);
		json_object_object_add(obj, "slots", NULL);
	}

	json_object_object_add(obj, "searched_bytes", rescue_json_u64(area->searched_bytes));
	json_object_object_add(obj, "search_error",
			       json_error_string(area->search_result, &area->search_error));
	copies = json_object_new_array();
	for (size_t i = 0; i < area->n_copies; i++) {
		const struct mda_text_copy *c = &area->copies[i];
		struct json_object *copy = json_object_new_object();

		json_object_object_add(copy, "offset", rescue_json_u64(c->offset_bytes));
		json_object_object_add(copy, "device_offset",
				       rescue_json_u64(area->header.start_bytes + c->offset_bytes));
		json_object_object_add(copy, "size", rescue_json_u64(c->size_bytes));
		json_object_object_add(copy, "checksum", rescue_json_u64(c->checksum));
		json_object_object_add(copy, "wrapped", json_object_new_boolean(c->wrapped));
		json_object_object_add(copy, "committed",
				       json_object_new_boolean(c->in_slot[MDA_SLOT_COMMITTED]));
		json_object_object_add(copy, "precommitted",
				       json_object_new_boolean(c->in_slot[MDA_SLOT_PRECOMMITTED]));
		json_add_id(copy, true, &c->id);
		json_object_array_add(copies, copy);
	}
	json_object_object_add(obj, "copies", copies);
	return obj;
}

static struct json_object *json_candidates(const struct label_candidate *candidates, size_t n,
					   const struct pv_label *label, bool have_label)
{
	struct json_object *array = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		struct json_object *obj = json_object_new_object();

		json_object_object_add(obj, "sector", rescue_json_u64(candidates[i].sector));
		json_object_object_add(obj, "valid", json_object_new_boolean(candidates[i].result == 0));
		json_object_object_add(
			obj, "used",
			json_object_new_boolean(have_label && label->sector == candidates[i].sector));
		json_object_object_add(obj, "error",
				       json_error_string(candidates[i].result, &candidates[i].error));
		json_object_object_add(obj, "error_code", json_error_code(candidates[i].result));
		json_object_array_add(array, obj);
	}
	return array;
}

/* ---- one device ---- */

static void usage(FILE *out)
{
	fputs("Usage: vgrescue pv examine [--json] DEVICE...\n"
	      "Show the LVM2 label, metadata area headers, both slots and the text copies in the\n"
	      "ring buffer of each device (block device or image file), read-only.\n\n"
	      "  --json    print JSON instead of text\n"
	      "  --help    show this help\n",
	      out);
}

/*
 * Examine one device. Returns true when it carries a valid label. The JSON
 * entry (or the text report) is produced either way; the reason a device has
 * no valid label goes to stderr through rescue_error.
 */
static bool examine_one(const char *path, bool json, struct json_object *jdevices)
{
	_cleanup_(blockdev_closep) struct blockdev *dev = NULL;
	struct label_candidate candidates[PV_LABEL_SCAN_SECTORS];
	_cleanup_free_ struct area_report *areas = NULL;
	struct vg_error err = { 0 };
	struct pv_label label = { 0 };
	size_t n_candidates = 0, n_areas = 0;
	int r;

	r = blockdev_open(path, BLOCKDEV_READ_ONLY, &dev, &err);
	if (r >= 0) {
		struct vg_error scan_err = { 0 };

		n_candidates = find_label_candidates(dev, candidates, &scan_err);
		r = pv_label_read(dev, &label, &err);
	}
	if (r == 0 && label.n_metadata_areas > 0) {
		areas = calloc(label.n_metadata_areas, sizeof(*areas));
		if (!areas)
			r = vg_error_set(&err, -ENOMEM, "%s: out of memory", path);
	}
	if (r < 0)
		rescue_error("%s", err.message);
	if (r == 0)
		for (; n_areas < label.n_metadata_areas; n_areas++)
			examine_area(dev, &label.metadata_areas[n_areas], &areas[n_areas]);

	if (json) {
		struct json_object *jdev = json_object_new_object(), *jareas = json_object_new_array();

		json_object_object_add(jdev, "path", json_object_new_string(path));
		json_object_object_add(jdev, "valid", json_object_new_boolean(r == 0));
		json_object_object_add(jdev, "error", json_error_string(r, &err));
		json_object_object_add(jdev, "error_code", json_error_code(r));
		json_object_object_add(jdev, "device_size", dev ? rescue_json_u64(dev->size_bytes) : NULL);
		json_object_object_add(jdev, "label_sectors",
				       json_candidates(candidates, n_candidates, &label, r == 0));
		json_object_object_add(jdev, "label", r == 0 ? json_label(&label) : NULL);
		for (size_t i = 0; i < n_areas; i++)
			json_object_array_add(jareas, json_area(&areas[i]));
		json_object_object_add(jdev, "metadata_areas", jareas);
		json_object_array_add(jdevices, jdev);
	} else if (dev) {
		printf("%s: %" PRIu64 " bytes\n", path, dev->size_bytes);
		for (size_t i = 0; i < n_candidates; i++) {
			if (candidates[i].result < 0)
				printf("  sector %" PRIu64 ": damaged label, ignored: %s\n",
				       candidates[i].sector, candidates[i].error.message);
			else if (r != 0 || candidates[i].sector != label.sector)
				printf("  sector %" PRIu64
				       ": another valid label, ignored (lvm2 uses the first)\n",
				       candidates[i].sector);
		}
		if (r == 0)
			print_label(&label);
		else
			printf("  no valid LVM label\n");
		for (size_t i = 0; i < n_areas; i++)
			print_area(i, &areas[i]);
		printf("\n");
	}

	for (size_t i = 0; i < n_areas; i++)
		area_report_done(&areas[i]);
	return r == 0;
}

int rescue_pv_examine(int argc, char **argv)
{
	return rescue_examine_devices(argc, argv, "pv examine", usage, examine_one);
}
