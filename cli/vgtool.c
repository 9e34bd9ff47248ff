/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vgtool: the command-line client of vgtoold. Everything but process setup
 * lives in libvgcli (cli-run.c and the files it names), so the tests can run
 * whole command lines; this file installs the SIGINT handler that lets a
 * wait end with a useful message instead of a silent death, and hands over.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void on_sigint(int sig)
{
	(void)sig;
	cli_interrupted = 1;
}

int main(int argc, char **argv)
{
	/* no SA_RESTART: a poll() waiting for the daemon must return so the flag is seen */
	struct sigaction sa = { .sa_handler = on_sigint };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	return cli_run(argc, argv, getenv(VGTOOL_SOCKET_ENV), stdout, stderr);
}
