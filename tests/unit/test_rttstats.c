/* SPDX-License-Identifier: GPL-2.0-or-later */
/* RTT statistics (agent/rttstats.c): known vectors for every statistic. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "rttstats.h"

#define EPS 1e-9

static void
test_empty(void **state)
{
	struct rttstats st;

	(void)state;
	rttstats_compute(NULL, 0, &st);
	assert_int_equal(st.n, 0);
	assert_true(isnan(st.min) && isnan(st.avg) && isnan(st.max));
	assert_true(isnan(st.p50) && isnan(st.p90) && isnan(st.jitter));
}

static void
test_one(void **state)
{
	double r[] = { 12.5 };
	struct rttstats st;

	(void)state;
	rttstats_compute(r, 1, &st);
	assert_int_equal(st.n, 1);
	assert_float_equal(st.min, 12.5, EPS);
	assert_float_equal(st.avg, 12.5, EPS);
	assert_float_equal(st.max, 12.5, EPS);
	assert_float_equal(st.p50, 12.5, EPS);
	assert_float_equal(st.p90, 12.5, EPS);
	assert_true(isnan(st.jitter));
}

static void
test_two(void **state)
{
	double r[] = { 30, 10 };
	struct rttstats st;

	(void)state;
	rttstats_compute(r, 2, &st);
	assert_float_equal(st.min, 10, EPS);
	assert_float_equal(st.avg, 20, EPS);
	assert_float_equal(st.max, 30, EPS);
	/* ranks 0.5 and 0.9 between 10 and 30 */
	assert_float_equal(st.p50, 20, EPS);
	assert_float_equal(st.p90, 28, EPS);
	assert_float_equal(st.jitter, 20, EPS);
}

/* Unsorted input: percentiles from the sorted values, jitter in send order. */
static void
test_vector(void **state)
{
	double r[] = { 5, 1, 4, 2, 3, 10, 6, 9, 7, 8 };
	double copy[sizeof r / sizeof r[0]];
	struct rttstats st;

	(void)state;
	memcpy(copy, r, sizeof r);
	rttstats_compute(r, 10, &st);
	assert_memory_equal(r, copy, sizeof r);
	assert_int_equal(st.n, 10);
	assert_float_equal(st.min, 1, EPS);
	assert_float_equal(st.max, 10, EPS);
	assert_float_equal(st.avg, 5.5, EPS);
	/* sorted 1..10: rank 4.5 -> 5.5; rank 8.1 -> 9 + 0.1 */
	assert_float_equal(st.p50, 5.5, EPS);
	assert_float_equal(st.p90, 9.1, EPS);
	/* |1-5| |4-1| |2-4| |3-2| |10-3| |6-10| |9-6| |7-9| |8-7| = 27 over 9 */
	assert_float_equal(st.jitter, 3.0, EPS);
}

/* Odd n: the median is the middle value; p90 interpolates. */
static void
test_odd(void **state)
{
	double r[] = { 40, 20, 100, 10, 30 };
	struct rttstats st;

	(void)state;
	rttstats_compute(r, 5, &st);
	assert_float_equal(st.p50, 30, EPS);
	/* sorted 10 20 30 40 100: rank 3.6 -> 40 + 0.6 * 60 */
	assert_float_equal(st.p90, 76, EPS);
	assert_float_equal(st.avg, 40, EPS);
	/* 20 + 80 + 90 + 20 = 210 over 4 */
	assert_float_equal(st.jitter, 52.5, EPS);
}

/* Equal values: no spread, no jitter. */
static void
test_constant(void **state)
{
	double r[] = { 7, 7, 7, 7 };
	struct rttstats st;

	(void)state;
	rttstats_compute(r, 4, &st);
	assert_float_equal(st.min, 7, EPS);
	assert_float_equal(st.max, 7, EPS);
	assert_float_equal(st.p50, 7, EPS);
	assert_float_equal(st.p90, 7, EPS);
	assert_float_equal(st.jitter, 0, EPS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_one),
		cmocka_unit_test(test_two),
		cmocka_unit_test(test_vector),
		cmocka_unit_test(test_odd),
		cmocka_unit_test(test_constant),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
