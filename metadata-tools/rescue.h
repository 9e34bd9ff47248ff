/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vgrescue's verbs. Each verb gets argv starting at its own name, parses its
 * options with getopt_long, prints its report (human text, or JSON with
 * --json) and returns the process exit code.
 */
#pragma once

#include <json-c/json.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "error.h"

enum {
	RESCUE_EXIT_OK = 0,
	RESCUE_EXIT_PROBLEM = 1, /* nothing found, damaged, or refused */
	RESCUE_EXIT_USAGE = 2,
};

int rescue_md_examine(int argc, char **argv);
int rescue_pv_examine(int argc, char **argv);
int rescue_dump(int argc, char **argv);
int rescue_scan(int argc, char **argv);
int rescue_layout(int argc, char **argv);
int rescue_map(int argc, char **argv);
int rescue_extract(int argc, char **argv);
int rescue_history(int argc, char **argv);
int rescue_restore(int argc, char **argv);
int rescue_recipe(int argc, char **argv);

/*
 * The body of an "examine" verb: options --json and --help, then
 * @examine_one for every device named (false when it found a problem);
 * with --json the reports are gathered into {"devices": [...]}.
 */
int rescue_examine_devices(int argc, char **argv, const char *verb, void (*usage)(FILE *out),
			   bool (*examine_one)(const char *path, bool json, struct json_object *jdevices));

/* A malloc'ed string of @fmt with @ap, or NULL when out of memory. */
char *rescue_vformat(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* "vgrescue: <message>" on stderr. */
void rescue_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* json-c's reference drop as a cleanup: _cleanup_(json_object_putp) struct json_object *o = ... */
DEFINE_CLEANUP_FUNC(struct json_object, json_object_put)
DEFINE_CLEANUP_FUNC(FILE, fclose)

/* Print @obj pretty-printed to stdout followed by a newline, then release it. */
void rescue_print_json(struct json_object *obj);
/* json-c helpers that keep 64-bit values exact. */
struct json_object *rescue_json_u64(uint64_t value);
