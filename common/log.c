/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* See log.h: a process-wide sink and threshold, stderr by default. */
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

static vg_log_sink_fn log_sink;
static void *log_sink_userdata;
static int log_max_priority = LOG_INFO;

void vg_log_set_sink(vg_log_sink_fn sink, void *userdata)
{
	log_sink = sink;
	log_sink_userdata = userdata;
}

void vg_log_set_max_priority(int priority)
{
	log_max_priority = priority;
}

int vg_log_get_max_priority(void)
{
	return log_max_priority;
}

void vg_log(int priority, const char *fmt, ...)
{
	char message[2048];
	va_list ap;

	if (priority > log_max_priority)
		return;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	if (log_sink) {
		log_sink(priority, message, log_sink_userdata);
		return;
	}
	if (getenv("JOURNAL_STREAM"))
		fprintf(stderr, "<%d>%s\n", priority, message);
	else
		fprintf(stderr, "%s\n", message);
}
