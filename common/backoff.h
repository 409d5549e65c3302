/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Capped exponential backoff with full jitter, for reconnects and retries. */
#ifndef COVMON_BACKOFF_H
#define COVMON_BACKOFF_H

struct backoff {
	double base;     /* first delay, seconds */
	double cap;      /* longest delay */
	unsigned attempt;
	unsigned seed;   /* rand_r state; set from the pid and time */
};

void backoff_init(struct backoff *b, double base, double cap);
/* The next delay: a random value in [d/2, d] where d = min(cap, base*2^attempt). */
double backoff_next(struct backoff *b);
void backoff_reset(struct backoff *b);

#endif
