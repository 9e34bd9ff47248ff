/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Output helpers shared by vgrescue's verbs. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>

#include "rescue.h"

char *rescue_vformat(const char *fmt, va_list ap)
{
	char *text = NULL;

	return vasprintf(&text, fmt, ap) < 0 ? NULL : text;
}

void rescue_error(const char *fmt, ...)
{
	va_list ap;

	fputs("vgrescue: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void rescue_print_json(struct json_object *obj)
{
	puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(obj);
}

struct json_object *rescue_json_u64(uint64_t value)
{
	/* json-c 0.16 has json_object_new_uint64 */
	return json_object_new_uint64(value);
}

int rescue_examine_devices(int argc, char **argv, const char *verb, void (*usage)(FILE *out),
			   bool (*examine_one)(const char *path, bool json, struct json_object *jdevices))
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct json_object *root = NULL, *jdevices = NULL;
	bool json = false, all_valid = true;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return RESCUE_EXIT_OK;
		default:
			usage(stderr);
			return RESCUE_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		rescue_error("%s: no device given", verb);
		usage(stderr);
		return RESCUE_EXIT_USAGE;
	}
	if (json) {
		root = json_object_new_object();
		jdevices = json_object_new_array();
		json_object_object_add(root, "devices", jdevices);
	}
	for (int i = optind; i < argc; i++)
		if (!examine_one(argv[i], json, jdevices))
			all_valid = false;
	if (json)
		rescue_print_json(root);
	return all_valid ? RESCUE_EXIT_OK : RESCUE_EXIT_PROBLEM;
}
