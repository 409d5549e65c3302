/* SPDX-License-Identifier: GPL-2.0-or-later */
/* HTML text and attribute values, for the dashboard's pages and
 * covmon-graph's report: the five characters that mean something in HTML
 * are escaped, so a hamlet named <script> is shown as text. */
#ifndef COVMON_HTML_H
#define COVMON_HTML_H

#include <stdio.h>

/* Writes s (NULL: nothing) to f, escaped. */
void html_escape(FILE *f, const char *s);

#endif
