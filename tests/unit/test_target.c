/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The rollout target rule (common/target.c): the colour at both sides of
 * the deadline and of the margin, and the pace projected from synthetic
 * coverage series. Dates are fixed numbers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>

#include "inventory.h"
#include "target.h"

#define DAY	86400.0

static int32_t
day(const char *s)
{
	int32_t d;

	assert_int_equal(inventory_date_parse(s, &d), 0);
	return d;
}

static void
test_colour_deadline(void **state)
{
	int32_t dl = day("2025-12-31");

	(void)state;
	/* At or above the target: green on both sides of the deadline. */
	assert_int_equal(target_colour(97.0, 97, dl, 10, dl - 30), COLOUR_GREEN);
	assert_int_equal(target_colour(97.0, 97, dl, 10, dl + 340), COLOUR_GREEN);
	/* Within the margin: yellow up to the deadline day itself ... */
	assert_int_equal(target_colour(90.0, 97, dl, 10, dl - 30), COLOUR_YELLOW);
	assert_int_equal(target_colour(90.0, 97, dl, 10, dl), COLOUR_YELLOW);
	assert_int_equal(target_colour(87.0, 97, dl, 10, dl), COLOUR_YELLOW);
	/* ... red the day after: Thái Nguyên eleven months on is red. */
	assert_int_equal(target_colour(90.0, 97, dl, 10, dl + 1), COLOUR_RED);
	assert_int_equal(target_colour(96.99, 97, dl, 10, dl + 340), COLOUR_RED);
	/* Below the margin: red before the deadline too. */
	assert_int_equal(target_colour(86.99, 97, dl, 10, dl - 30), COLOUR_RED);
	/* The margin is the configured one, not 10. */
	assert_int_equal(target_colour(92.0, 97, dl, 5, dl - 1), COLOUR_YELLOW);
	assert_int_equal(target_colour(91.9, 97, dl, 5, dl - 1), COLOUR_RED);
	/* No deadline: never past it. */
	assert_int_equal(target_colour(90.0, 97, TARGET_NO_DATE, 10, dl + 9999),
	    COLOUR_YELLOW);
	/* Nothing to judge. */
	assert_int_equal(target_colour(NAN, 97, dl, 10, dl), COLOUR_NONE);
	assert_int_equal(target_colour(90, NAN, dl, 10, dl), COLOUR_NONE);
	assert_string_equal(colour_name(COLOUR_RED), "red");
	assert_null(colour_name(COLOUR_NONE));
}

/* A series rising `per_day` points a day to `last` at now, one point an
 * hour over 30 days. */
static void
series(double *t, double *v, size_t n, double now, double last, double per_day)
{
	for (size_t i = 0; i < n; i++) {
		t[i] = now - (double)(n - 1 - i) * 3600.0;
		v[i] = last - per_day * (now - t[i]) / DAY;
	}
}

static void
test_pace(void **state)
{
	double t[720], v[720];
	double now = (double)day("2026-12-07") * DAY + 43200;
	struct target_pace pc;

	(void)state;
	/* 92 % rising 0.1 a day to 97 %: 50 days, 2027-01-26. */
	series(t, v, 720, now, 92.0, 0.1);
	assert_true(fabs(target_slope(t, v, 720, now) - 0.1) < 1e-9);
	target_pace(t, v, 720, 92.0, 97, day("2027-06-30"), now, &pc);
	assert_true(pc.known && pc.rising && !pc.reached);
	assert_int_equal(pc.projected, day("2027-01-26"));
	assert_true(pc.on_track);
	assert_int_equal(pc.days_late, 0);
	/* The same pace against a deadline before that: 26 days late. */
	target_pace(t, v, 720, 92.0, 97, day("2026-12-31"), now, &pc);
	assert_false(pc.on_track);
	assert_int_equal(pc.days_late, 26);
	/* Flat: not rising, no date, not on track. */
	series(t, v, 720, now, 92.0, 0.0);
	target_pace(t, v, 720, 92.0, 97, day("2027-06-30"), now, &pc);
	assert_true(pc.known);
	assert_false(pc.rising);
	assert_int_equal(pc.projected, TARGET_NO_DATE);
	assert_false(pc.on_track);
	/* Falling: the same. */
	series(t, v, 720, now, 92.0, -0.2);
	target_pace(t, v, 720, 92.0, 97, day("2027-06-30"), now, &pc);
	assert_false(pc.rising);
	assert_false(pc.on_track);
	/* Reached: on track whatever the slope. */
	target_pace(t, v, 720, 97.5, 97, day("2025-12-31"), now, &pc);
	assert_true(pc.known && pc.reached && pc.on_track);
	assert_int_equal(pc.projected, TARGET_NO_DATE);
	/* Unknown points (NAN) are skipped; what is left still gives the slope. */
	series(t, v, 720, now, 92.0, 0.1);
	for (size_t i = 0; i < 720; i += 3)
		v[i] = NAN;
	assert_true(fabs(target_slope(t, v, 720, now) - 0.1) < 1e-9);
	/* Points older than 30 days do not count. */
	assert_true(isnan(target_slope(t, v, 5, now)));
	/* Less than a day of series (a new install): not known. */
	series(t, v, 20, now, 92.0, 0.1);
	target_pace(t, v, 20, 92.0, 97, day("2027-06-30"), now, &pc);
	assert_false(pc.known);
	assert_false(pc.on_track);
	/* No target: not known. */
	series(t, v, 720, now, 92.0, 0.1);
	target_pace(t, v, 720, 92.0, NAN, TARGET_NO_DATE, now, &pc);
	assert_false(pc.known);
	/* A pace too slow for a century is no date. */
	series(t, v, 720, now, 50.0, 1e-4);
	target_pace(t, v, 720, 50.0, 97, TARGET_NO_DATE, now, &pc);
	assert_int_equal(pc.projected, TARGET_NO_DATE);
	assert_false(pc.on_track);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_colour_deadline),
		cmocka_unit_test(test_pace),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
