/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Capped exponential backoff with jitter (common/backoff.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "backoff.h"

static void
test_bounds(void **state)
{
	struct backoff b;
	double d = 1;

	(void)state;
	backoff_init(&b, 1, 60);
	for (int i = 0; i < 200; i++) {
		double v = backoff_next(&b);
		assert_true(v >= d / 2 && v <= d);
		d *= 2;
		if (d > 60)
			d = 60;
	}
	/* Thousands of failures later, still capped and never overflowing. */
	for (int i = 0; i < 10000; i++) {
		double v = backoff_next(&b);
		assert_true(v >= 30 && v <= 60);
	}
}

static void
test_reset(void **state)
{
	struct backoff b;

	(void)state;
	backoff_init(&b, 0.5, 10);
	for (int i = 0; i < 20; i++)
		backoff_next(&b);
	backoff_reset(&b);
	double v = backoff_next(&b);
	assert_true(v >= 0.25 && v <= 0.5);
	v = backoff_next(&b);
	assert_true(v >= 0.5 && v <= 1);
}

static void
test_jitter(void **state)
{
	struct backoff b;
	double first, v;
	int differ = 0;

	(void)state;
	backoff_init(&b, 8, 8);
	first = backoff_next(&b);
	for (int i = 0; i < 100; i++) {
		v = backoff_next(&b);
		assert_true(v >= 4 && v <= 8);
		if (v != first)
			differ = 1;
	}
	assert_true(differ);
}

static void
test_cap_below_base(void **state)
{
	struct backoff b;

	(void)state;
	backoff_init(&b, 10, 4);
	for (int i = 0; i < 10; i++) {
		double v = backoff_next(&b);
		assert_true(v >= 2 && v <= 4);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_jitter),
		cmocka_unit_test(test_cap_below_base),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
