/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A daemon's signals: SIGTERM and SIGINT ask it to stop, SIGHUP to read its
 * configuration again. The handler only sets flags, which the loop reads.
 */
#ifndef COVMON_SIGNALS_H
#define COVMON_SIGNALS_H

#include <stdbool.h>

/* Installs the handler for the three, and ignores SIGPIPE: a peer gone
 * from a socket is then an error of the write, not the end of the daemon. */
void signals_install(void);
/* Whether SIGTERM or SIGINT has come (never, before signals_install()). */
bool signals_quit(void);
/* Whether SIGHUP has come since the last call. */
bool signals_reload(void);

#endif
