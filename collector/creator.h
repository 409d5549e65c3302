/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The creator thread (cm-creator): makes the RRD files of agents seen for
 * the first time, so that the writer stores every agent whose files exist
 * meanwhile. Creating a file writes all of it (about 1 MB at the default
 * retention); 10,000 new agents at once held the writer for 84 to 108 s
 * when it made them itself (docs/performance.md). The writer hands a
 * request per agent (creator_submit) and holds that agent's samples until
 * the result comes back (creator_results).
 */
#ifndef COVMON_CREATOR_H
#define COVMON_CREATOR_H

#include "id.h"
#include "sample.h"
#include "store_rrd.h"

#include <stddef.h>

struct creator;

/* What became of one request. */
struct creator_result {
	char agent[ID_MAX + 1];
	enum store_result r;        /* STORE_OK: every file of the sample is there */
	char province[ID_MAX + 1];
	unsigned created;           /* files made */
	unsigned made;              /* their groups, a bit each */
	unsigned interval;          /* of the sample they were made for */
	double seconds;             /* from submit to done */
	char err[256];
};

/* At most cap requests at a time (queued, under way, or done and not
 * collected). Opens a store of its own (store_open_creator). */
struct creator *creator_new(const struct store_conf *conf, size_t cap, char *err,
    size_t errlen);
int creator_start(struct creator *cr, char *err, size_t errlen);
/* Stops the thread (after the request under way) and frees everything. */
void creator_free(struct creator *cr);

/* Queues the creation of the files s needs under province. 0, or -1 when
 * full (the caller tries again later). */
int creator_submit(struct creator *cr, const char *province, const struct sample *s);
/* Takes up to max results, oldest first; returns how many. */
size_t creator_results(struct creator *cr, struct creator_result *out, size_t max);
/* Whether a result waits to be taken. */
bool creator_has_results(struct creator *cr);
/* Requests queued or under way. */
size_t creator_depth(struct creator *cr);
/* How many more requests creator_submit would take now. */
size_t creator_room(struct creator *cr);

#endif
