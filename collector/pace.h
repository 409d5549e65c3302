/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pace to the targets (DESIGN.md section 6: on_track, projected_date):
 * a thread of its own reads the last 30 days of every rollup file's
 * covered_pct, every PACE_EVERY seconds and after an inventory reload, and
 * keeps the slopes; the evaluator projects each snapshot's rollups with
 * them (target_project in common/target.h). Reading hundreds of RRD files
 * never runs on the writer thread.
 */
#ifndef COVMON_PACE_H
#define COVMON_PACE_H

#include "snapshot.h"

#include <stdatomic.h>

#define PACE_EVERY	600.0	/* seconds between two readings */

/* The slopes of one reading, for one inventory (by index). Immutable. */
struct pace_table {
	atomic_int refs;
	struct inv_ref *inv;		/* the inventory it was read for */
	double at;			/* wall time of the reading */
	double *communes;		/* inv->ncommunes slopes, points a day; NAN none */
	double *provinces;		/* inv->nprovinces */
};

struct pacer;

/* Starts the thread; it reads the rollups of the inventory of box's
 * current snapshot under data_dir/rrd. NULL and err on failure. */
struct pacer *pacer_start(const char *data_dir, struct snapshot_box *box,
    char *err, size_t errlen);
void pacer_stop(struct pacer *pc);	/* NULL is a no-op */
/* The latest reading with a reference taken, or NULL (none yet). */
struct pace_table *pacer_get(struct pacer *pc);
void pace_table_put(struct pace_table *t);

/* Reads one rollup file's covered_pct over the TARGET_PACE_DAYS before
 * now and returns its slope (target_slope), NAN when there is no file or
 * not a day of figures. */
double pace_read_slope(const char *path, double now);

#endif
