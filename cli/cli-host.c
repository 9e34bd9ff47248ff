/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vgtool host status: what vgtoold is (version, activation backend, state
 * directory) and what it holds (counts of devices, mirrors, VGs, LVs, jobs).
 * The cheapest call there is, so it is also how a script checks that the
 * daemon answers.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void render_status(const struct cli_format *fmt, struct json_object *params, struct json_object *result,
			  struct strbuf *out)
{
	(void)fmt;
	(void)params;
	strbuf_puts(out, "vgtoold\n");
	json_object_object_foreach(result, key, value) {
		char label[64], buf[1024];

		snprintf(label, sizeof(label), "%s", key);
		for (char *p = label; *p; p++)
			if (*p == '_')
				*p = ' ';
		/* lists are counted: the nouns' own list verbs show them */
		if (json_object_is_type(value, json_type_array))
			cli_block_line(out, label, "%zu", json_object_array_length(value));
		else
			cli_block_line(out, label, "%s", cli_scalar_text(value, buf, sizeof(buf)));
	}
}

static const struct cli_verb host_verbs[] = {
	{ .noun = "host", .verb = "status", .method = "host.status",
	  .summary = "Show vgtoold's version, backend and what it manages", .render = render_status,
	  .example = "vgtool host status" },
	{ 0 },
};

const struct cli_noun cli_noun_host = { .name = "host", .summary = "vgtoold itself", .verbs = host_verbs };
