/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Statistics of one interval's round-trip times. Percentiles interpolate
 * linearly between the closest ranks (rank = p * (n - 1) over the sorted
 * values), the definition of NumPy's default and of most monitoring tools.
 */
#include "rttstats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* p in [0, 1] over sorted[0..n), n >= 1. */
static double
percentile(const double *sorted, size_t n, double p)
{
	double rank = p * (double)(n - 1);
	size_t lo = (size_t)floor(rank);
	size_t hi = lo + 1 < n ? lo + 1 : lo;
	double frac = rank - (double)lo;

	return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

void
rttstats_compute(const double *rtt, size_t n, struct rttstats *out)
{
	double sum = 0, dsum = 0, *sorted;

	out->n = n;
	out->min = out->avg = out->max = out->p50 = out->p90 = out->jitter = NAN;
	if (n == 0)
		return;

	out->min = out->max = rtt[0];
	for (size_t i = 0; i < n; i++) {
		sum += rtt[i];
		if (rtt[i] < out->min)
			out->min = rtt[i];
		if (rtt[i] > out->max)
			out->max = rtt[i];
		if (i > 0)
			dsum += fabs(rtt[i] - rtt[i - 1]);
	}
	out->avg = sum / (double)n;
	if (n >= 2)
		out->jitter = dsum / (double)(n - 1);

	/*
	 * The caller's array is in send order (jitter needs it), so sort a
	 * copy. Without memory the percentiles stay unknown rather than wrong.
	 */
	if ((sorted = malloc(n * sizeof *sorted)) == NULL)
		return;
	memcpy(sorted, rtt, n * sizeof *sorted);
	qsort(sorted, n, sizeof *sorted, cmp_double);
	out->p50 = percentile(sorted, n, 0.5);
	out->p90 = percentile(sorted, n, 0.9);
	free(sorted);
}
