/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Capped exponential backoff with jitter: a fleet that lost its broker at
 * the same moment must not come back at the same moment.
 */
#include "backoff.h"

#include <math.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* Past this the delay is the cap anyway; it keeps ldexp and the counter
 * far from overflow. */
#define BACKOFF_MAX_ATTEMPT	64

void
backoff_init(struct backoff *b, double base, double cap)
{
	b->base = base;
	b->cap = cap;
	b->attempt = 0;
	b->seed = (unsigned)getpid() ^ (unsigned)time(NULL);
}

double
backoff_next(struct backoff *b)
{
	double d = ldexp(b->base, (int)b->attempt);

	if (d > b->cap)
		d = b->cap;
	if (b->attempt < BACKOFF_MAX_ATTEMPT)
		b->attempt++;
	/* Half fixed, half random: never a retry storm of zero delays. */
	return d / 2 + d / 2 * ((double)rand_r(&b->seed) / RAND_MAX);
}

void
backoff_reset(struct backoff *b)
{
	b->attempt = 0;
}
