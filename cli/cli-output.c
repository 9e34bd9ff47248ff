/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Replies as people read them: the dispatch on a result's keys, sizes in the
 * chosen units, error lines, job progress and event lines. Everything here
 * renders into a strbuf and touches no file descriptor, so the exact text is
 * unit-tested from canned replies (tests/unit/test-cli-output.c); cli-run.c
 * decides where it goes.
 *
 * Replies are read defensively: a member that is missing or of another type
 * shows as "-" rather than stopping the output, because an older or newer
 * daemon may send slightly different objects and the rest is still worth
 * seeing.
 */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "size.h"
#include "table.h"

struct json_object *cli_get(struct json_object *obj, const char *key)
{
	struct json_object *v = NULL;

	if (!obj || !json_object_is_type(obj, json_type_object) || !json_object_object_get_ex(obj, key, &v))
		return NULL;
	return v;
}

const char *cli_str(struct json_object *obj, const char *key)
{
	struct json_object *v = cli_get(obj, key);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

const char *cli_strd(struct json_object *obj, const char *key, const char *dflt)
{
	const char *s = cli_str(obj, key);

	return s ? s : dflt;
}

bool cli_u64(struct json_object *obj, const char *key, uint64_t *ret)
{
	struct json_object *v = cli_get(obj, key);

	if (!v || !json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
		return false;
	*ret = json_object_get_uint64(v);
	return true;
}

struct json_object *cli_array(struct json_object *obj, const char *key)
{
	struct json_object *v = cli_get(obj, key);

	return v && json_object_is_type(v, json_type_array) ? v : NULL;
}

/* @value as one line of JSON, '/' unescaped; owned by @value. */
static const char *compact(struct json_object *value)
{
	return json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

size_t cli_array_length(struct json_object *array)
{
	return array && json_object_is_type(array, json_type_array) ? json_object_array_length(array) : 0;
}

const char *cli_text_at(struct json_object *obj, const char *key, char *buf, size_t len)
{
	struct json_object *v = cli_get(obj, key);

	return v ? cli_scalar_text(v, buf, len) : NULL;
}

const char *cli_text_at_index(struct json_object *array, size_t i, char *buf, size_t len)
{
	return cli_scalar_text(json_object_array_get_idx(array, i), buf, len);
}

const char *cli_scalar_text(struct json_object *value, char *buf, size_t len)
{
	switch (json_object_get_type(value)) {
	case json_type_null:
		snprintf(buf, len, "-");
		break;
	case json_type_boolean:
		snprintf(buf, len, "%s", json_object_get_boolean(value) ? "yes" : "no");
		break;
	case json_type_string:
		snprintf(buf, len, "%s", json_object_get_string(value));
		break;
	case json_type_int:
	case json_type_double:
	case json_type_object:
	case json_type_array:
	default:
		snprintf(buf, len, "%s", compact(value));
		break;
	}
	return buf;
}

const char *cli_size(const struct cli_format *fmt, uint64_t bytes, char *buf, size_t len)
{
	if (!fmt || fmt->units == 'h' || fmt->units == '\0')
		return size_format(bytes, buf, len);
	return size_format_unit(bytes, fmt->units, buf, len);
}

const char *cli_size_at(const struct cli_format *fmt, struct json_object *obj, const char *key, char *buf,
			size_t len)
{
	uint64_t bytes;

	if (!cli_u64(obj, key, &bytes)) {
		snprintf(buf, len, "-");
		return buf;
	}
	return cli_size(fmt, bytes, buf, len);
}

const char *cli_time_text(struct json_object *value, char *buf, size_t len)
{
	time_t t;
	struct tm tm;

	if (!value) {
		snprintf(buf, len, "-");
		return buf;
	}
	if (!json_object_is_type(value, json_type_int) && !json_object_is_type(value, json_type_double))
		return cli_scalar_text(value, buf, len);
	/* UTC: the same text on every machine, and no doubt which zone was meant */
	t = (time_t)json_object_get_int64(value);
	if (!gmtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		return cli_scalar_text(value, buf, len);
	return buf;
}

void cli_block_line(struct strbuf *out, const char *label, const char *fmt, ...)
{
	char key[64];
	va_list ap;
	char *text = NULL;

	snprintf(key, sizeof(key), "%s:", label);
	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	if (!text) {
		out->failed = true; /* reported by strbuf_status like any other append */
		return;
	}
	strbuf_printf(out, "  %-14s %s\n", key, text);
	free(text);
}

bool cli_job_running(struct json_object *job)
{
	const char *state = cli_str(job, "state");

	return !streq(state, "done") && !streq(state, "failed") && !streq(state, "cancelled");
}

void cli_render_json(struct json_object *value, struct strbuf *out)
{
	/* two-space indentation: the bash completion reads names at a fixed depth */
	strbuf_puts(out, json_object_to_json_string_ext(value, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
								       JSON_C_TO_STRING_NOSLASHESCAPE));
	strbuf_putc(out, '\n');
}

/* "LV vg_raid/lv_files", "VG vg_old", "mirror md0": what an empty reply is about. */
static void subject(const struct cli_verb *verb, struct json_object *params, char *buf, size_t len)
{
	char value[256];
	struct json_object *first = NULL;

	if (streq(verb->noun, "lv")) {
		snprintf(buf, len, "LV %s/%s", cli_strd(params, "vg", "?"), cli_strd(params, "name", "?"));
		return;
	}
	json_object_object_foreach(params, key, v) {
		(void)key;
		first = v;
		break;
	}
	cli_scalar_text(first, value, sizeof(value));
	if (streq(verb->noun, "vg") || streq(verb->noun, "metadata"))
		snprintf(buf, len, "VG %s", value);
	else if (streq(verb->noun, "pv"))
		snprintf(buf, len, "PV %s", value);
	else
		snprintf(buf, len, "%s %s", verb->noun, value);
}

static void string_list(struct json_object *array, const char *sep, struct strbuf *out)
{
	size_t n = json_object_array_length(array);
	char buf[512];

	for (size_t i = 0; i < n; i++)
		strbuf_printf(out, "%s%s", i ? sep : "",
			      cli_scalar_text(json_object_array_get_idx(array, i), buf, sizeof(buf)));
}

/* One object as a one-element array, for the table renderers. */
static struct json_object *wrap(struct json_object *obj)
{
	struct json_object *array = json_object_new_array();

	if (array && json_object_array_add(array, json_object_get(obj)) < 0) {
		json_object_put(obj);
		json_object_put(array);
		return NULL;
	}
	return array;
}

/* "would_write" -> "Would write": a member's name as a label for people. */
static const char *label(const char *key, char *buf, size_t len)
{
	snprintf(buf, len, "%s", key);
	for (char *p = buf; *p; p++)
		if (*p == '_')
			*p = ' ';
	if (buf[0] >= 'a' && buf[0] <= 'z')
		buf[0] = (char)(buf[0] - 'a' + 'A');
	return buf;
}

static void plan(struct json_object *value, struct strbuf *out)
{
	char buf[1024];

	if (json_object_is_type(value, json_type_array)) {
		size_t n = json_object_array_length(value);

		strbuf_puts(out, "Plan:\n");
		for (size_t i = 0; i < n; i++) {
			struct json_object *step = json_object_array_get_idx(value, i);
			const char *text = cli_str(step, "description");

			if (!text)
				text = cli_scalar_text(step, buf, sizeof(buf));
			strbuf_printf(out, "  %zu. %s\n", i + 1, text);
		}
		return;
	}
	strbuf_printf(out, "Plan: %s\n", cli_scalar_text(value, buf, sizeof(buf)));
}

/* Tables and blocks stand apart from what is around them; "key: value" lines do not. */
static bool is_section(const char *key, struct json_object *value)
{
	if (json_object_is_type(value, json_type_object))
		return streq(key, "lv") || streq(key, "pv") || streq(key, "vg") || streq(key, "mirror") ||
		       streq(key, "job");
	if (!json_object_is_type(value, json_type_array))
		return false;
	if (streq(key, "plan"))
		return true;
	return json_object_array_length(value) > 0 &&
	       json_object_is_type(json_object_array_get_idx(value, 0), json_type_object);
}

void cli_render_keys(const struct cli_format *fmt, struct json_object *params, struct json_object *result,
		     bool skip_job, struct strbuf *out)
{
	bool first = true, prev_section = false;

	if (!result || !json_object_is_type(result, json_type_object))
		return;
	json_object_object_foreach(result, key, value) {
		struct json_object *one = NULL;
		char buf[1024];
		/* tables and blocks stand apart from what is around them; "key: value" lines do not */
		bool section = is_section(key, value);

		if ((skip_job && streq(key, "job")) || streq(key, "dry_run"))
			continue; /* a followed job has its own lines; a dry run its own heading */
		if (!first && (section || prev_section))
			strbuf_putc(out, '\n');
		first = false;
		prev_section = section;
		if (streq(key, "lv") || streq(key, "pv")) {
			one = wrap(value);
			if (streq(key, "lv"))
				cli_lv_table(fmt, one, out);
			else
				cli_pv_table(fmt, one, out);
			json_object_put(one);
		} else if (streq(key, "lvs")) {
			cli_lv_table(fmt, value, out);
		} else if (streq(key, "vg")) {
			cli_vg_block(fmt, value, out);
		} else if (streq(key, "vgs")) {
			cli_vg_table(fmt, value, out);
		} else if (streq(key, "pvs")) {
			cli_pv_table(fmt, value, out);
		} else if (streq(key, "mirror")) {
			cli_mirror_block(fmt, value, out);
		} else if (streq(key, "mirrors")) {
			cli_mirror_table(fmt, value, out);
		} else if (streq(key, "disks")) {
			cli_disk_table(fmt, value, out);
		} else if (streq(key, "job")) {
			cli_job_block(value, out);
		} else if (streq(key, "jobs")) {
			cli_job_table(value, out);
		} else if (streq(key, "versions") && json_object_is_type(value, json_type_array)) {
			cli_generic_table(fmt, value, out);
		} else if (streq(key, "plan")) {
			plan(value, out);
		} else if (json_object_is_type(value, json_type_object)) {
			/* a member vgtool has no table for: its own members, one a line */
			cli_render_keys(fmt, params, value, skip_job, out);
		} else if (json_object_is_type(value, json_type_array) && json_object_array_length(value) > 0 &&
			   json_object_is_type(json_object_array_get_idx(value, 0), json_type_object)) {
			strbuf_printf(out, "%s:\n", key);
			cli_generic_table(fmt, value, out);
		} else if (json_object_is_type(value, json_type_array)) {
			strbuf_printf(out, "%s: ", label(key, buf, sizeof(buf)));
			string_list(value, " ", out);
			strbuf_putc(out, '\n');
		} else {
			char text[1024];

			strbuf_printf(out, "%s: %s\n", label(key, buf, sizeof(buf)),
				      cli_scalar_text(value, text, sizeof(text)));
		}
	}
	(void)params;
}

void cli_render_result(const struct cli_verb *verb, const struct cli_format *fmt, struct json_object *params,
		       struct json_object *result, bool dry_run, bool skip_job, struct strbuf *out)
{
	bool empty = !result || (json_object_is_type(result, json_type_object) &&
				 json_object_object_length(result) == 0);
	char who[512];

	if (empty) {
		subject(verb, params, who, sizeof(who));
		if (dry_run)
			strbuf_printf(out, "Dry run: %s would be %s; nothing was written.\n", who,
				      verb->done ? verb->done : "changed");
		else
			strbuf_printf(out, "%s %s.\n", who, verb->done ? verb->done : "done");
		return;
	}
	if (dry_run)
		strbuf_puts(out, "Dry run: nothing was written. vgtoold would do this:\n\n");
	if (!json_object_is_type(result, json_type_object)) {
		char buf[1024];

		strbuf_printf(out, "%s\n", cli_scalar_text(result, buf, sizeof(buf)));
		return;
	}
	if (verb->render)
		verb->render(fmt, params, result, out);
	else
		cli_render_keys(fmt, params, result, skip_job, out);
	if (dry_run)
		strbuf_puts(out, "\n(dry run: run it again without --dry-run to do it)\n");
}

void cli_render_error(struct json_object *error, struct strbuf *out)
{
	struct json_object *data = cli_get(error, "data");
	const char *message = cli_str(error, "message");
	const char *field = cli_str(data, "field");
	const char *device = cli_str(data, "device");
	int64_t code = 0;
	struct json_object *jcode = cli_get(error, "code");

	if (jcode && json_object_is_type(jcode, json_type_int))
		code = json_object_get_int64(jcode);
	if (message && *message)
		strbuf_printf(out, "vgtool: %s", message);
	else
		strbuf_printf(out, "vgtool: vgtoold refused the request (error %" PRId64 ")", code);
	if (field)
		strbuf_printf(out, " (parameter %s)", field);
	if (device && (!message || !strstr(message, device)))
		strbuf_printf(out, " (device %s)", device);
	strbuf_putc(out, '\n');
	if (code == -32002)
		strbuf_puts(out, "vgtool: run it as root, or as a member of the group vgtoold's configuration "
				 "names (write_group for changes, read_group for reading)\n");
	else if (code == -32601)
		strbuf_puts(out, "vgtool: this vgtoold does not know the method; is it older than vgtool? "
				 "(vgtool host status shows its version)\n");
	else if (code == -32603)
		strbuf_puts(out, "vgtool: this is a bug in vgtoold; its log has the details "
				 "(journalctl -u vgtoold)\n");
}

void cli_render_progress(struct json_object *job, bool tty, unsigned width, struct strbuf *out)
{
	struct json_object *jprogress = cli_get(job, "progress");
	double progress = 0;
	unsigned percent, bar, filled;
	char id[64], prefix[128];
	int prefix_len;

	if (jprogress && (json_object_is_type(jprogress, json_type_double) ||
			  json_object_is_type(jprogress, json_type_int)))
		progress = json_object_get_double(jprogress);
	if (!(progress >= 0)) /* NaN too */
		progress = 0;
	if (progress > 1)
		progress = 1;
	percent = (unsigned)floor(progress * 100);
	cli_scalar_text(cli_get(job, "id"), id, sizeof(id));

	if (!tty) {
		strbuf_printf(out, "job %s: %u%%\n", id, percent);
		return;
	}
	prefix_len = snprintf(prefix, sizeof(prefix), "job %s %s ", id, cli_strd(job, "kind", ""));
	if (prefix_len < 0)
		prefix_len = 0;
	/* "[" bar "]" " 100%" */
	bar = width > (unsigned)prefix_len + 8 + 10 ? width - (unsigned)prefix_len - 8 : 10;
	if (bar > 50)
		bar = 50;
	filled = (unsigned)floor(progress * bar);
	strbuf_printf(out, "\r%s[", prefix);
	for (unsigned i = 0; i < bar; i++)
		strbuf_putc(out, i < filled ? '#' : ' ');
	strbuf_printf(out, "] %3u%%", percent);
}

void cli_render_event(struct json_object *event, struct strbuf *out)
{
	char seq[64], when[64], buf[1024];

	cli_scalar_text(cli_get(event, "seq"), seq, sizeof(seq));
	cli_time_text(cli_get(event, "time"), when, sizeof(when));
	strbuf_printf(out, "%s %s %s", seq, when, cli_strd(event, "type", "-"));
	json_object_object_foreach(event, key, value) {
		const char *text;

		if (streq(key, "seq") || streq(key, "time") || streq(key, "type"))
			continue;
		text = cli_scalar_text(value, buf, sizeof(buf));
		/* quote what would not read as one word */
		if (json_object_is_type(value, json_type_string) && (!*text || strpbrk(text, " \t\"=")))
			strbuf_printf(out, " %s=%s", key, compact(value));
		else
			strbuf_printf(out, " %s=%s", key, text);
	}
	strbuf_putc(out, '\n');
}

/* Column order: the first row's keys, then keys first seen in later rows. */
void cli_generic_table(const struct cli_format *fmt, struct json_object *rows, struct strbuf *out)
{
	const char *headers[32];
	char upper[32][64];
	const char *keys[32];
	size_t n_cols = 0, n = json_object_array_length(rows);
	_cleanup_(table_freep) struct table *t = NULL;

	for (size_t i = 0; i < n; i++) {
		struct json_object *row = json_object_array_get_idx(rows, i);

		if (!json_object_is_type(row, json_type_object))
			continue;
		json_object_object_foreach(row, key, value) {
			size_t c;

			(void)value;
			for (c = 0; c < n_cols; c++)
				if (streq(keys[c], key))
					break;
			if (c == n_cols && n_cols < ARRAY_SIZE(keys)) {
				size_t j;

				keys[n_cols] = key;
				/* "size_bytes" is shown as a size: its header is SIZE */
				for (j = 0; key[j] && j + 1 < sizeof(upper[0]) && !streq(key + j, "_bytes"); j++)
					upper[n_cols][j] = (char)toupper((unsigned char)key[j]);
				upper[n_cols][j] = '\0';
				headers[n_cols] = upper[n_cols];
				n_cols++;
			}
		}
	}
	if (n_cols == 0)
		return;
	t = table_new(headers, n_cols);
	for (size_t i = 0; i < n; i++) {
		struct json_object *row = json_object_array_get_idx(rows, i);

		if (!json_object_is_type(row, json_type_object))
			continue;
		for (size_t c = 0; c < n_cols; c++) {
			struct json_object *v = cli_get(row, keys[c]);
			size_t len = strlen(keys[c]);
			char buf[1024];

			if (!v)
				table_cell(t, NULL);
			else if (len > 6 && streq(keys[c] + len - 6, "_bytes"))
				table_cell(t, cli_size_at(fmt, row, keys[c], buf, sizeof(buf)));
			else if (streq(keys[c], "time") || streq(keys[c], "created") || streq(keys[c], "written"))
				table_cell(t, cli_time_text(v, buf, sizeof(buf)));
			else
				table_cell(t, cli_scalar_text(v, buf, sizeof(buf)));
		}
	}
	if (table_render(t, out) < 0)
		out->failed = true;
}
