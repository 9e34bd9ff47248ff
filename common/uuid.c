/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* LVM-style ids (see uuid.h). */
#include <string.h>
#include <sys/random.h>

#include "uuid.h"

static const char uuid_alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

int random_bytes(void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int lvm_uuid_generate(char ret_uuid[LVM_UUID_LEN + 1])
{
	size_t filled = 0;

	/* Rejection sampling keeps the 62 characters equally likely. */
	while (filled < LVM_UUID_LEN) {
		uint8_t bytes[64];
		int r = random_bytes(bytes, sizeof(bytes));

		if (r < 0)
			return r;
		for (size_t i = 0; i < sizeof(bytes) && filled < LVM_UUID_LEN; i++) {
			if (bytes[i] >= 248)
				continue;
			ret_uuid[filled++] = uuid_alphabet[bytes[i] % 62];
		}
	}
	ret_uuid[LVM_UUID_LEN] = '\0';
	return 0;
}

bool lvm_uuid_char_valid(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '!' ||
	       c == '#';
}

int lvm_uuid_parse(const char *text, char ret_uuid[LVM_UUID_LEN + 1], struct vg_error *err)
{
	char uuid[LVM_UUID_LEN + 1];
	size_t n = 0;

	for (const char *p = text; *p; p++) {
		if (*p == '-')
			continue;
		if (!lvm_uuid_char_valid(*p))
			return vg_error_set(err, -EINVAL, "invalid character '%c' in id \"%.64s\"", *p, text);
		if (n == LVM_UUID_LEN)
			return vg_error_set(err, -EINVAL, "id \"%.64s\" is longer than 32 characters", text);
		uuid[n++] = *p;
	}
	if (n != LVM_UUID_LEN)
		return vg_error_set(err, -EINVAL, "id \"%.64s\" has %zu characters, not 32", text, n);
	uuid[n] = '\0';
	memcpy(ret_uuid, uuid, sizeof(uuid));
	return 0;
}

void lvm_uuid_format(const char *uuid, char ret_text[LVM_UUID_TEXT_LEN + 1])
{
	static const int groups[] = { 6, 4, 4, 4, 4, 4, 6 };
	char *out = ret_text;

	for (size_t g = 0; g < ARRAY_SIZE(groups); g++) {
		if (g > 0)
			*out++ = '-';
		memcpy(out, uuid, (size_t)groups[g]);
		out += groups[g];
		uuid += groups[g];
	}
	*out = '\0';
}
