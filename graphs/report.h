/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * covmon-graph's static HTML report (graphs/report.c).
 */
#ifndef COVMON_REPORT_H
#define COVMON_REPORT_H

#include "exitcode.h"
#include "inventory.h"
#include "templates.h"


/* "covmon-graph: " and the message on stderr (main.c). */
void	complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

struct report_opts {
	const char *out;		/* the directory written */
	const char *province;		/* only this province, or NULL */
	const char *data_dir;		/* RRD files under data_dir/rrd */
	const char *inventory;		/* its path, for messages */
	double yellow_margin_pct;	/* [coverage] of the collector's config */
	enum graph_lang lang;
};

/* Writes out/index.html and a page per province, commune and hamlet with
 * their graphs in out/img/. Returns 0, REPORT_RUNTIME or REPORT_USAGE,
 * the reason said on stderr. */
int report_write(const struct report_opts *o, const struct inventory *inv);

#endif
