/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The exit codes of every covmon program (DESIGN.md section 1; the man
 * pages' EXIT STATUS): 0 success, and these two. */
#ifndef COVMON_EXITCODE_H
#define COVMON_EXITCODE_H

/* A runtime failure: the collector unreachable, a file unreadable, a
 * technician's report with a line that is not ok. */
#define EXIT_RUNTIME	1
/* Bad usage, a bad configuration or a bad input file: fix and rerun. */
#define EXIT_USAGE	2

#endif
