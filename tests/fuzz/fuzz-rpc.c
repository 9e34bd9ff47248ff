/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer harness for vgtoold's request parsing and dispatch: each input
 * is split into lines and every line goes through the same path a socket
 * line takes (parse, method table, parameter checks, handlers, group
 * commit) against a real host of two small image files, so requests that
 * get past the checks really create VGs and LVs. State carries over between
 * inputs, as it would for a long-running daemon. A crash, sanitizer report
 * or a reply that is not exactly one JSON object per line fails.
 */
#include <ftw.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon-config.h"
#include "host.h"
#include "server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char work_dir[] = "/tmp/vgtool-fuzz-rpc.XXXXXX";
static struct server *server;
static struct host *host;
static struct daemon_config *config;

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void teardown(void)
{
	server_free(server);
	host_free(host);
	daemon_config_free(config);
	nftw(work_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void setup(void)
{
	char *dir, text[4096], path[4200];
	struct vg_error err = { 0 };

	dir = mkdtemp(work_dir);
	if (!dir)
		abort();
	atexit(teardown);
	snprintf(path, sizeof(path), "%s/img", dir);
	mkdir(path, 0700);
	for (int i = 0; i < 2; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/img/d%d.img", dir, i);
		f = fopen(path, "w");
		if (!f || ftruncate(fileno(f), 16 << 20) < 0)
			abort();
		fclose(f);
	}
	snprintf(text, sizeof(text),
		 "daemon { socket = \"%s/sock\" state_dir = \"%s/state\" activation = \"none\" }\n"
		 "devices { scan = [ \"%s/img\" ] filter = [ \"a|^%s/img/|\", \"r|.*|\" ] }\n",
		 dir, dir, dir, dir);
	if (daemon_config_parse("fuzz.conf", text, strlen(text), &config, &err) < 0 ||
	    host_open(config, &host, &err) < 0 || server_new(config, host, &server, &err) < 0) {
		fprintf(stderr, "fuzz-rpc set-up: %s\n", err.message);
		abort();
	}
	/* requests may name the images as img/d0.img and img/d1.img */
	if (chdir(dir) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	if (!server)
		setup();
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *replies = server_dispatch_line(server, p, len, true);

		if (!replies)
			abort();
		/* every reply line is one JSON object */
		for (char *line = replies, *next; *line; line = next) {
			struct json_object *obj;

			next = strchr(line, '\n');
			if (!next)
				abort(); /* replies are always terminated */
			*next++ = '\0';
			obj = json_tokener_parse(line);
			if (!obj || !json_object_is_type(obj, json_type_object))
				abort();
			json_object_put(obj);
		}
		free(replies);
		p += len + (nl ? 1 : 0);
	}
	return 0;
}
