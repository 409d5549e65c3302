/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Time for covmon: wall clock (Unix seconds, for samples and RRD) and a
 * monotonic clock (for intervals and timeouts). Tests can freeze both.
 */
#ifndef COVMON_CLOCK_H
#define COVMON_CLOCK_H

double clock_now(void);   /* wall clock, Unix seconds */
double clock_mono(void);  /* monotonic seconds */

/* Test clock: once set, clock_now() returns `now` and clock_mono() moves
 * with it; clock_mock_off() returns to the real clocks. Not thread-safe. */
void clock_mock_set(double now);
void clock_mock_advance(double seconds);
void clock_mock_off(void);

#endif
