/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The stop and reload flags of a daemon (the agent, the collector), set by
 * its signal handler and read by its loop. */
#include "signals.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t quit;
static volatile sig_atomic_t reload;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		reload = 1;
	else
		quit = 1;
}

void
signals_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

bool
signals_quit(void)
{
	return quit != 0;
}

bool
signals_reload(void)
{
	if (!reload)
		return false;
	reload = 0;
	return true;
}
