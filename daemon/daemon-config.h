/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vgtoold's configuration file, in the lvm.conf syntax:
 *
 *   daemon {
 *       socket = "/run/vgtool/vgtoold.sock"
 *       socket_mode = "0660"
 *       state_dir = "/var/lib/vgtool"
 *       activation = "none"            # or "kernel"
 *       write_group = "vgtool"         # may change things (root always may)
 *       read_group = "vgtool-read"     # may only look
 *       client_timeout = 30            # seconds a client may take to finish a request line
 *       copy_rate = 0                  # bytes per second background copies may use; 0: no limit
 *   }
 *   devices {
 *       scan = [ "/dev", "/srv/images" ]   # directories; regular files in them are image files
 *       filter = [ "a|^/srv/images/.*\.img$|", "r|.*|" ]   # first match wins
 *   }
 *
 * Unknown keys are refused, so a misspelt setting is an error at start and
 * not a silently ignored wish.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

enum activation_backend {
	ACTIVATION_NONE,
	ACTIVATION_KERNEL,
};

struct daemon_config {
	char *socket_path;
	mode_t socket_mode;
	char *state_dir;
	enum activation_backend activation;
	unsigned client_timeout_seconds;
	uint64_t copy_rate_bytes; /* per second, all jobs together; 0: no limit */
	bool has_write_group;
	gid_t write_group;
	bool has_read_group;
	gid_t read_group;
	char **scan_dirs;
	size_t n_scan_dirs;
	char **filter; /* the raw "a|...|" / "r|...|" entries, in order */
	size_t n_filter;
};

#define DAEMON_DEFAULT_SOCKET "/run/vgtool/vgtoold.sock"
#define DAEMON_DEFAULT_STATE_DIR "/var/lib/vgtool"

/* Parse @text (from @path, for messages). -EINVAL naming the line and key on any mistake. */
int daemon_config_parse(const char *path, const char *text, size_t len, struct daemon_config **ret_config,
			struct vg_error *err);
int daemon_config_load(const char *path, struct daemon_config **ret_config, struct vg_error *err);
struct daemon_config *daemon_config_free(struct daemon_config *config);
DEFINE_CLEANUP_FUNC(struct daemon_config, daemon_config_free)
