/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer harness for LVM2 text metadata (lvm/vg-text.c) and the model
 * checks of lvm/vg.c. Properties checked (abort() when broken): no crash or
 * out-of-bounds access on any input; a refusal is -EBADMSG or
 * -EPROTONOSUPPORT with a message; whatever parses renders (raw and backup
 * form) into text that parses again and renders to the very same bytes,
 * so a VG read and rewritten any number of times converges after one write;
 * a deep copy renders the same as the original.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vg-text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *render(const struct vg *vg, bool backup, size_t *ret_len)
{
	const struct vg_text_header header = {
		.generator = "vgtool fuzz",
		.description = vg->description,
		.creation_host = vg->creation_host,
		.uname_line = "Linux fuzz 6.1.0 #1 SMP x86_64",
		.creation_time = vg->creation_time,
	};
	struct strbuf sb;
	char *text;
	int r;

	strbuf_init(&sb);
	r = backup ? vg_text_render_backup(vg, &header, &sb) : vg_text_render_raw(vg, &header, &sb);
	if (r < 0)
		abort();
	text = strbuf_steal(&sb, ret_len);
	if (!text)
		abort();
	return text;
}

static void check_converges(const struct vg *vg, bool backup)
{
	_cleanup_(vg_freep) struct vg *again = NULL, *copy = NULL;
	_cleanup_free_ char *first = NULL, *second = NULL, *copied = NULL;
	struct vg_error err = { 0 };
	size_t len1, len2, len3;

	first = render(vg, backup, &len1);
	if (vg_text_parse(first, len1, &again, &err) < 0)
		abort(); /* we wrote something we cannot read */
	second = render(again, backup, &len2);
	if (len1 != len2 || memcmp(first, second, len1) != 0)
		abort();

	copy = vg_clone(vg);
	if (!copy)
		abort();
	copied = render(copy, backup, &len3);
	if (len1 != len3 || memcmp(first, copied, len1) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool tz_set;
	_cleanup_(vg_freep) struct vg *vg = NULL;
	struct vg_error err = { 0 };
	int r;

	if (!tz_set) {
		/* rendering shows local times; keep runs reproducible */
		setenv("TZ", "UTC", 1);
		tzset();
		tz_set = true;
	}
	r = vg_text_parse((const char *)data, size, &vg, &err);
	if (r < 0) {
		if ((r != -EBADMSG && r != -EPROTONOSUPPORT) || err.code != r || !err.message[0])
			abort();
		return 0;
	}
	(void)vg_validate(vg, &err);
	check_converges(vg, false);
	check_converges(vg, true);
	return 0;
}
