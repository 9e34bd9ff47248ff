/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Output helpers shared by vgrescue's verbs. */
#include <stdarg.h>
#include <stdio.h>

#include "rescue.h"

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
