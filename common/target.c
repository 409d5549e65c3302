/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The rollout target rule: colour against target and deadline, and the
 * projection of a coverage series (see target.h).
 */
#include "target.h"

#include <math.h>

/*
 * covered_pct is compared with the target with this much slack: a target
 * minus the margin is a rounded subtraction and may miss an exact
 * boundary by one ulp, while one hamlet in a million is 1e-4 %.
 */
#define PCT_EPSILON	1e-9

const char *
colour_name(enum colour c)
{
	switch (c) {
	case COLOUR_GREEN:
		return "green";
	case COLOUR_YELLOW:
		return "yellow";
	case COLOUR_RED:
		return "red";
	default:
		return NULL;
	}
}

enum colour
target_colour(double covered_pct, double target_pct, int32_t deadline,
    double margin_pct, int32_t today)
{
	if (isnan(covered_pct) || isnan(target_pct))
		return COLOUR_NONE;
	if (covered_pct >= target_pct - PCT_EPSILON)
		return COLOUR_GREEN;
	if (deadline != TARGET_NO_DATE && today > deadline)
		return COLOUR_RED;
	if (covered_pct >= target_pct - margin_pct - PCT_EPSILON)
		return COLOUR_YELLOW;
	return COLOUR_RED;
}

int32_t
target_day(double unix_time)
{
	return (int32_t)floor(unix_time / 86400.0);
}

double
target_slope(const double *t, const double *pct, size_t n, double now)
{
	double from = now - TARGET_PACE_DAYS * 86400.0;
	double sx = 0, sy = 0, sxx = 0, sxy = 0, lo = INFINITY, hi = -INFINITY;
	double cnt = 0, den;

	/* Least squares in days from `from`, to keep the sums small. */
	for (size_t i = 0; i < n; i++) {
		double x, y = pct[i];

		if (isnan(y) || isnan(t[i]) || t[i] < from || t[i] > now)
			continue;
		x = (t[i] - from) / 86400.0;
		sx += x;
		sy += y;
		sxx += x * x;
		sxy += x * y;
		cnt++;
		if (x < lo)
			lo = x;
		if (x > hi)
			hi = x;
	}
	if (cnt < 2 || hi - lo < 1.0)
		return NAN;
	den = cnt * sxx - sx * sx;
	if (den <= 0)
		return NAN;
	return (cnt * sxy - sx * sy) / den;
}

void
target_project(double per_day, double covered_pct, double target_pct,
    int32_t deadline, double now, struct target_pace *out)
{
	*out = (struct target_pace){ .projected = TARGET_NO_DATE };
	if (isnan(target_pct) || isnan(covered_pct))
		return;
	out->known = true;
	out->per_day = isnan(per_day) ? 0 : per_day;
	out->rising = out->per_day > 1e-9;
	if (covered_pct >= target_pct - PCT_EPSILON) {
		out->reached = true;
		out->on_track = true;
		return;
	}
	/* No series of a day yet (a new install): nothing to judge. */
	if (isnan(per_day)) {
		out->known = false;
		return;
	}
	if (!out->rising)
		return;
	/* (less a hair: 5 points at 0.1 a day is 50 days, not 51) */
	double days = ceil((target_pct - covered_pct) / out->per_day - 1e-6);
	/* A pace too slow to get there within a century is no date. */
	if (days > 36500) {
		out->rising = false;
		return;
	}
	out->projected = target_day(now) + (int32_t)days;
	if (deadline == TARGET_NO_DATE || out->projected <= deadline)
		out->on_track = true;
	else
		out->days_late = out->projected - deadline;
}

void
target_pace(const double *t, const double *pct, size_t n, double covered_pct,
    double target_pct, int32_t deadline, double now, struct target_pace *out)
{
	target_project(target_slope(t, pct, n, now), covered_pct, target_pct,
	    deadline, now, out);
}
