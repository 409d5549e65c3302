/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Wall and monotonic clocks, with a settable clock for tests. */
#include "clock.h"

#include <math.h>
#include <time.h>

static int mock_on;
static double mock_now;

static double
ts_sec(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
clock_now(void)
{
	return mock_on ? mock_now : ts_sec(CLOCK_REALTIME);
}

double
clock_mono(void)
{
	return mock_on ? mock_now : ts_sec(CLOCK_MONOTONIC);
}

void
clock_mock_set(double now)
{
	mock_on = 1;
	mock_now = now;
}

void
clock_mock_advance(double seconds)
{
	mock_now += seconds;
}

void
clock_mock_off(void)
{
	mock_on = 0;
}

int
clock_cond_init(pthread_cond_t *c)
{
	pthread_condattr_t a;
	int rc;

	if (pthread_condattr_init(&a) != 0)
		return -1;
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	rc = pthread_cond_init(c, &a);
	pthread_condattr_destroy(&a);
	return rc == 0 ? 0 : -1;
}

void
clock_deadline(struct timespec *ts, double wait)
{
	double s = floor(wait);

	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += (time_t)s;
	ts->tv_nsec += (long)((wait - s) * 1e9);
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}
