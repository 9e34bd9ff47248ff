/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Size parsing and printing (see size.h). Exact integer arithmetic throughout. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "size.h"

uint64_t size_unit_bytes(char unit)
{
	switch (tolower((unsigned char)unit)) {
	case 'b':
		return 1;
	case 's':
		return 512;
	case 'k':
		return UINT64_C(1) << 10;
	case 'm':
		return UINT64_C(1) << 20;
	case 'g':
		return UINT64_C(1) << 30;
	case 't':
		return UINT64_C(1) << 40;
	case 'p':
		return UINT64_C(1) << 50;
	case 'e':
		return UINT64_C(1) << 60;
	default:
		return 0;
	}
}

/* Parse the unit suffix at @p ("", "G", "g", "GiB", "s", "B"); returns bytes per unit or 0. */
static uint64_t parse_unit(const char *p, char default_unit)
{
	if (*p == '\0')
		return size_unit_bytes(default_unit);
	if (p[1] == '\0')
		return size_unit_bytes(p[0]);
	if (strchr("kKmMgGtTpPeE", p[0]) && strcasecmp(p + 1, "iB") == 0)
		return size_unit_bytes(p[0]);
	return 0;
}

int size_parse(const char *text, char default_unit, uint64_t *ret_bytes, struct vg_error *err)
{
	const char *p = text;
	uint64_t whole = 0, frac = 0, frac_scale = 1, unit, bytes;

	if (!text || !isdigit((unsigned char)*p))
		return vg_error_set(err, -EINVAL, "invalid size \"%s\": expected a number such as 20G or 512M",
				    text ? text : "");
	for (; isdigit((unsigned char)*p); p++)
		if (MUL_OVERFLOWS(whole, 10, &whole) || ADD_OVERFLOWS(whole, (uint64_t)(*p - '0'), &whole))
			return vg_error_set(err, -ERANGE, "size \"%s\" is too large", text);
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return vg_error_set(err, -EINVAL, "invalid size \"%s\": digits expected after '.'", text);
		for (; isdigit((unsigned char)*p); p++) {
			if (frac_scale >= UINT64_C(1000000000000))
				continue; /* finer than a picobyte-fraction is noise */
			frac = frac * 10 + (uint64_t)(*p - '0');
			frac_scale *= 10;
		}
	}
	unit = parse_unit(p, default_unit);
	if (unit == 0) {
		if (strlen(p) == 2 && toupper((unsigned char)p[1]) == 'B' && size_unit_bytes(p[0]) > 1)
			return vg_error_set(err, -EINVAL,
					    "invalid size \"%s\": units are binary, write %c or %ciB (1024-based)",
					    text, toupper((unsigned char)p[0]), toupper((unsigned char)p[0]));
		return vg_error_set(err, -EINVAL,
				    "invalid size \"%s\": unknown unit \"%s\" (use B, s, K, M, G, T, P or E)", text,
				    p);
	}
	if (MUL_OVERFLOWS(whole, unit, &bytes))
		return vg_error_set(err, -ERANGE, "size \"%s\" is too large", text);
	if (frac) {
		/* unit <= 2^60 and frac < 10^12: split to stay inside 64 bits */
		uint64_t part = (unit / frac_scale) * frac + ((unit % frac_scale) * frac) / frac_scale;

		if (ADD_OVERFLOWS(bytes, part, &bytes))
			return vg_error_set(err, -ERANGE, "size \"%s\" is too large", text);
	}
	*ret_bytes = bytes;
	return 0;
}

int size_spec_parse(const char *text, char default_unit, struct size_spec *ret_spec, struct vg_error *err)
{
	struct size_spec spec = { 0 };
	const char *p = text ? text : "";
	const char *percent;

	if (*p == '+') {
		spec.sign = SIZE_SIGN_PLUS;
		p++;
	} else if (*p == '-') {
		spec.sign = SIZE_SIGN_MINUS;
		p++;
	}
	percent = strchr(p, '%');
	if (percent) {
		static const struct {
			const char *word;
			enum size_percent_of of;
		} words[] = { { "FREE", SIZE_PERCENT_FREE }, { "VG", SIZE_PERCENT_VG }, { "PVS", SIZE_PERCENT_PVS } };
		uint64_t value = 0;
		const char *q;

		if (percent == p)
			return vg_error_set(err, -EINVAL, "invalid size \"%s\": a number must come before %%", text);
		for (q = p; q < percent; q++) {
			if (!isdigit((unsigned char)*q))
				return vg_error_set(err, -EINVAL,
						    "invalid size \"%s\": a percentage is a whole number, e.g. 100%%FREE",
						    text);
			value = value * 10 + (uint64_t)(*q - '0');
			if (value > 100)
				return vg_error_set(err, -EINVAL, "invalid size \"%s\": more than 100%%", text);
		}
		if (value == 0)
			return vg_error_set(err, -EINVAL, "invalid size \"%s\": 0%% is no size", text);
		for (size_t i = 0; i < ARRAY_SIZE(words); i++)
			if (strcasecmp(percent + 1, words[i].word) == 0)
				spec.percent_of = words[i].of;
		if (spec.percent_of == SIZE_PERCENT_NONE)
			return vg_error_set(err, -EINVAL,
					    "invalid size \"%s\": after %% write FREE, VG or PVS (e.g. 100%%FREE)", text);
		spec.percent = (uint32_t)value;
	} else {
		int r = size_parse(p, default_unit, &spec.bytes, err);
		if (r < 0)
			return r;
	}
	*ret_spec = spec;
	return 0;
}

static const char unit_letters[] = "bkmgtpe";
static const char *const unit_names[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };

static const char *format_in(uint64_t bytes, size_t idx, char *buf, size_t len)
{
	uint64_t unit = size_unit_bytes(unit_letters[idx]);
	uint64_t whole = bytes / unit, rest = bytes % unit;

	if (rest == 0 || idx == 0) {
		snprintf(buf, len, "%" PRIu64 " %s", whole, unit_names[idx]);
	} else {
		/* two decimals, truncated so a size is never shown larger than it is */
		uint64_t hundredths = (uint64_t)(((unsigned __int128)rest * 100) / unit);
		snprintf(buf, len, "%" PRIu64 ".%02" PRIu64 " %s", whole, hundredths, unit_names[idx]);
	}
	return buf;
}

const char *size_format(uint64_t bytes, char *buf, size_t len)
{
	size_t idx = 0;

	if (bytes == 0) {
		snprintf(buf, len, "0");
		return buf;
	}
	while (idx + 1 < ARRAY_SIZE(unit_names) && bytes >= size_unit_bytes(unit_letters[idx + 1]))
		idx++;
	return format_in(bytes, idx, buf, len);
}

const char *size_format_unit(uint64_t bytes, char unit, char *buf, size_t len)
{
	const char *pos;

	if (tolower((unsigned char)unit) == 's') {
		snprintf(buf, len, "%" PRIu64 "s%s", bytes / 512, bytes % 512 ? "+" : "");
		return buf;
	}
	pos = strchr(unit_letters, tolower((unsigned char)unit));
	if (!pos || unit == '\0')
		return size_format(bytes, buf, len);
	return format_in(bytes, (size_t)(pos - unit_letters), buf, len);
}
