/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vgtoold: the single writer of vgtool metadata on a host. Reads its
 * configuration, finds the devices it may manage, reads every VG on them,
 * then serves JSON-RPC on its socket until SIGTERM. Under systemd
 * (Type=notify) it says READY=1 once it answers and STOPPING=1 when asked to
 * go, over $NOTIFY_SOCKET, spoken directly (no libsystemd).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "daemon-config.h"
#include "host.h"
#include "log.h"
#include "server.h"

static void notify_systemd(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd;

	if (!path || (path[0] != '/' && path[0] != '@') || strlen(path) >= sizeof(addr.sun_path))
		return;
	memcpy(addr.sun_path, path, strlen(path));
	if (path[0] == '@')
		addr.sun_path[0] = '\0'; /* abstract namespace */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&addr, len);
	close(fd);
}

static void usage(FILE *out)
{
	fputs("Usage: vgtoold --config FILE [--foreground] [--verbose]\n"
	      "Serve vgtool's JSON-RPC API on the socket the configuration names.\n",
	      out);
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	_cleanup_(daemon_config_freep) struct daemon_config *config = NULL;
	_cleanup_(host_freep) struct host *host = NULL;
	_cleanup_(server_freep) struct server *server = NULL;
	const char *config_path = NULL;
	struct vg_error err = { 0 };
	int c, r;

	while ((c = getopt_long(argc, argv, "c:fvh", options, NULL)) >= 0) {
		switch (c) {
		case 'c':
			config_path = optarg;
			break;
		case 'f':
			break; /* vgtoold never forks: systemd and tests both want it in the foreground */
		case 'v':
			vg_log_set_max_priority(LOG_DEBUG);
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			puts(PACKAGE_STRING);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!config_path || optind != argc) {
		usage(stderr);
		return 2;
	}
	r = daemon_config_load(config_path, &config, &err);
	if (r < 0) {
		vg_log(LOG_ERR, "%s", err.message);
		return 1;
	}
	r = host_open(config, &host, &err);
	if (r < 0) {
		vg_log(LOG_ERR, "cannot read the devices: %s", err.message);
		return 1;
	}
	for (size_t v = 0; v < host->n_vgs; v++) {
		const struct vg_store *store = host->vgs[v]->store;

		if (store->n_missing)
			vg_log(LOG_WARNING, "VG %s is partial: %zu PV(s) missing; it is read-only until they are back",
			       store->vg->name, store->n_missing);
	}
	r = server_new(config, host, &server, &err);
	if (r < 0) {
		vg_log(LOG_ERR, "%s", err.message);
		return 1;
	}
	vg_log(LOG_INFO, "vgtoold %s serving %s: %zu device(s), %zu VG(s)", PACKAGE_VERSION, config->socket_path,
	       host->n_devices, host->n_vgs);
	notify_systemd("READY=1");
	r = server_run(server, &err);
	notify_systemd("STOPPING=1");
	if (r < 0) {
		vg_log(LOG_ERR, "%s", err.message);
		return 1;
	}
	vg_log(LOG_INFO, "vgtoold stopped");
	return 0;
}
