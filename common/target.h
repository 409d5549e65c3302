/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The rollout target rule (DESIGN.md section 6), the one implementation
 * every program uses: the colour of a commune or province against its
 * target and deadline, and the projection of its coverage series to the
 * date the target is reached. Pure: no I/O, no clock (today is passed in).
 */
#ifndef COVMON_TARGET_H
#define COVMON_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Dates are whole days since 1970-01-01 (as in the inventory). */
#define TARGET_NO_DATE	INT32_MIN

enum colour { COLOUR_NONE = -1, COLOUR_GREEN, COLOUR_YELLOW, COLOUR_RED };
/* "green", "yellow", "red"; NULL for COLOUR_NONE (no target) */
const char *colour_name(enum colour c);

/*
 * green: covered_pct >= target_pct. Below it: on or before the deadline
 * (today <= deadline, or no deadline) yellow when covered_pct >= target_pct
 * - margin_pct, else red; after the deadline red. COLOUR_NONE when
 * covered_pct or target_pct is NAN (nothing to judge, or no target).
 */
enum colour target_colour(double covered_pct, double target_pct,
    int32_t deadline, double margin_pct, int32_t today);

/* Days of the coverage series the pace is judged on. */
#define TARGET_PACE_DAYS	30

struct target_pace {
	bool	 known;		/* a target, and reached or a series of at
				   least a day to judge */
	bool	 reached;	/* covered_pct >= target now */
	bool	 rising;	/* the series' slope is > 0 */
	double	 per_day;	/* percentage points per day (least squares) */
	int32_t	 projected;	/* the day the target is reached at this pace;
				   TARGET_NO_DATE when reached or not rising */
	bool	 on_track;	/* reached, or projected on or before the
				   deadline (any day when there is none) */
	int32_t	 days_late;	/* projected - deadline when > 0, else 0 */
};

/*
 * Judges the pace of a coverage series: n points (t[i] unix seconds,
 * pct[i] covered %, NAN skipped) of the last TARGET_PACE_DAYS days before
 * `now`, against target_pct (NAN: no target, known = false) and deadline.
 * The pace is the least-squares slope; the projection starts from
 * covered_pct (the current figure). Fewer than two points a day apart:
 * not rising.
 */
void target_pace(const double *t, const double *pct, size_t n,
    double covered_pct, double target_pct, int32_t deadline, double now,
    struct target_pace *out);

/*
 * The two halves of target_pace(), for a caller that keeps the slope and
 * projects again as the current figure moves: the least-squares slope of
 * the series in points per day (NAN: fewer than two points a day apart),
 * and the projection from covered_pct at that slope (per_day NAN: not
 * rising).
 */
double target_slope(const double *t, const double *pct, size_t n, double now);
void target_project(double per_day, double covered_pct, double target_pct,
    int32_t deadline, double now, struct target_pace *out);

/* The day of a unix time (UTC). */
int32_t target_day(double unix_time);

#endif
