/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Logging with syslog priorities. Library code logs only at LOG_DEBUG (and
 * only what helps a developer follow the I/O); front ends install a sink and
 * choose the threshold. Without a sink, messages at or above the threshold go
 * to stderr, prefixed "<N>" when running under systemd (JOURNAL_STREAM set).
 */
#pragma once

#include <stdarg.h>
#include <syslog.h>
#include "macro.h"

typedef void (*vg_log_sink_fn)(int priority, const char *message, void *userdata);

void vg_log_set_sink(vg_log_sink_fn sink, void *userdata);
void vg_log_set_max_priority(int priority);
int vg_log_get_max_priority(void);
void vg_log(int priority, const char *fmt, ...) _printf_(2, 3);

#define vg_debug(...) vg_log(LOG_DEBUG, __VA_ARGS__)
