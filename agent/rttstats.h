/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Statistics of one interval's round-trip times: min, avg, max, median,
 * 90th percentile and RFC 3550-style jitter (mean absolute difference of
 * consecutive RTTs, in the order they were sent). */
#ifndef COVMON_RTTSTATS_H
#define COVMON_RTTSTATS_H

#include <stddef.h>

struct rttstats {
	size_t n;
	double min, avg, max, p50, p90, jitter;  /* NAN when n == 0 (jitter: n < 2) */
};

/* rtt[0..n) in send order; the array is not modified. Percentiles by
 * linear interpolation between closest ranks. */
void rttstats_compute(const double *rtt, size_t n, struct rttstats *out);

#endif
