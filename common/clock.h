/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Time for covmon: wall clock (Unix seconds, for samples and RRD) and a
 * monotonic clock (for intervals and timeouts). Tests can freeze both.
 */
#ifndef COVMON_CLOCK_H
#define COVMON_CLOCK_H

#include <pthread.h>
#include <time.h>

double clock_now(void);   /* wall clock, Unix seconds */
double clock_mono(void);  /* monotonic seconds */

/* Timed waits that a step of the wall clock does not move: a condition
 * variable made by clock_cond_init() (0, or -1), waited on with
 * pthread_cond_timedwait() until clock_deadline(), `wait` seconds from
 * now on the monotonic clock (the real one, whatever the test clock). */
int clock_cond_init(pthread_cond_t *c);
void clock_deadline(struct timespec *ts, double wait);

/* Test clock: once set, clock_now() returns `now` and clock_mono() moves
 * with it; clock_mock_off() returns to the real clocks. Not thread-safe. */
void clock_mock_set(double now);
void clock_mock_advance(double seconds);
void clock_mock_off(void);

#endif
