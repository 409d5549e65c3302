/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The SNMP probe's arithmetic (agent/snmp_calc.c): counter wraps at 2^32
 * and 2^64, device restarts, rates, values of every type to numbers, and
 * the scales of the power OIDs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snmp_calc.h"

#define TWO32	4294967296ULL

/* net-snmp's layout of a Counter64 value. */
struct c64 {
	unsigned long	high;
	unsigned long	low;
};

static void
test_delta32_wrap(void **state)
{
	uint64_t d;

	assert_int_equal(snmp_counter_delta(100, 250, 32, &d), 0);
	assert_int_equal(d, 150);
	/* Just below 2^32, then past it: modulo, not a huge negative. */
	assert_int_equal(snmp_counter_delta(TWO32 - 10, 5, 32, &d), 0);
	assert_int_equal(d, 15);
	assert_int_equal(snmp_counter_delta(TWO32 - 1, 0, 32, &d), 0);
	assert_int_equal(d, 1);
	assert_int_equal(snmp_counter_delta(7, 7, 32, &d), 0);
	assert_int_equal(d, 0);
	/* A value a Counter32 cannot hold. */
	assert_int_equal(snmp_counter_delta(0, TWO32, 32, &d), -1);
	assert_int_equal(snmp_counter_delta(0, 1, 16, &d), -1);
}

static void
test_delta64(void **state)
{
	uint64_t d;

	assert_int_equal(snmp_counter_delta(TWO32 - 10, TWO32 + 90, 64, &d), 0);
	assert_int_equal(d, 100);
	assert_int_equal(snmp_counter_delta(UINT64_MAX - 5, UINT64_MAX, 64, &d), 0);
	assert_int_equal(d, 5);
	/* A Counter64 that went back was reset, not wrapped. */
	assert_int_equal(snmp_counter_delta(1000000, 10, 64, &d), -1);
}

static void
test_uptime_restart(void **state)
{
	/* 60 s passed, the device counted 60 s: no restart. */
	assert_false(snmp_uptime_restarted(100000, 106000, 60));
	/* Network delay and drift. */
	assert_false(snmp_uptime_restarted(100000, 105700, 60));
	assert_false(snmp_uptime_restarted(100000, 106400, 60));
	/* Uptime went back: the device rebooted. */
	assert_true(snmp_uptime_restarted(100000, 3000, 60));
	/* Rebooted early in its life and came back: advanced 20 s in 60 s. */
	assert_true(snmp_uptime_restarted(1000, 3000, 60));
	/* TimeTicks wrap after 497 days: back in numbers, 60 s in time. */
	assert_false(snmp_uptime_restarted(UINT32_MAX - 2999, 3000, 60));
	/* Zero or no time between polls. */
	assert_false(snmp_uptime_restarted(5000, 5000, 0));
	assert_true(snmp_uptime_restarted(5000, 5000, NAN));
}

static void
test_uptime_elapsed(void **state)
{
	(void)state;
	/* The device counted 3.15 s between its answers, which arrived 1.5 s
	 * apart (the first one late): the device's time, not ours. */
	assert_float_equal(snmp_uptime_elapsed(100000, 100315, 1.5), 3.15, 1e-9);
	/* Within the slack either way (2 s + 10 %): the device's. */
	assert_float_equal(snmp_uptime_elapsed(100000, 106100, 60), 61, 1e-9);
	/* Across a TimeTicks wrap. */
	assert_float_equal(snmp_uptime_elapsed(UINT32_MAX - 99, 200, 3), 3, 1e-9);
	/* Far from ours (a device clock that runs wild, a restart): ours. */
	assert_float_equal(snmp_uptime_elapsed(100000, 110000, 60), 60, 1e-9);
	assert_float_equal(snmp_uptime_elapsed(100000, 101000, 3), 3, 1e-9);
	/* It did not move, or went back: ours. */
	assert_float_equal(snmp_uptime_elapsed(5000, 5000, 3), 3, 1e-9);
	assert_float_equal(snmp_uptime_elapsed(5000, 4000, 3), 3, 1e-9);
	assert_true(isnan(snmp_uptime_elapsed(5000, 5300, NAN)));
}

static void
test_rate(void **state)
{
	double r;

	assert_int_equal(snmp_rate(1000, 8, 8, &r), 0);
	assert_true(fabs(r - 1000) < 1e-9);
	assert_int_equal(snmp_rate(0, 60, 8, &r), 0);
	assert_true(r == 0);
	/* Zero, negative or no elapsed time: no rate, not infinity. */
	assert_int_equal(snmp_rate(1000, 0, 8, &r), -1);
	assert_int_equal(snmp_rate(1000, -1, 8, &r), -1);
	assert_int_equal(snmp_rate(1000, NAN, 8, &r), -1);
	assert_int_equal(snmp_rate(1000, INFINITY, 8, &r), -1);
	/* A whole Counter64 over a second stays finite. */
	assert_int_equal(snmp_rate(UINT64_MAX, 1, 8, &r), 0);
	assert_true(isfinite(r));
}

static void
test_counter32_ambiguous(void **state)
{
	/* 100 Mbit/s moves 750 MB in a minute: one wrap at most. */
	assert_false(snmp_counter32_ambiguous(100e6, 60));
	/* 1 Gbit/s moves 7.5 GB: Counter32 may have wrapped twice. */
	assert_true(snmp_counter32_ambiguous(1e9, 60));
	assert_false(snmp_counter32_ambiguous(0, 60));
	assert_false(snmp_counter32_ambiguous(NAN, 60));
}

static void
test_value_numbers(void **state)
{
	long l;
	struct c64 c;
	double d;
	uint64_t u;
	int bits;

	l = -67;
	assert_int_equal(snmp_value_double(SNMP_T_INTEGER, &l, sizeof l, &d), SNMP_VAL_OK);
	assert_true(d == -67);
	/* Gauge32 holds up to 2^32 - 1, never negative. */
	l = (long)0xffffffffUL;
	assert_int_equal(snmp_value_double(SNMP_T_GAUGE, &l, sizeof l, &d), SNMP_VAL_OK);
	assert_true(d == 4294967295.0);
	l = 87;
	assert_int_equal(snmp_value_double(SNMP_T_GAUGE, &l, sizeof l, &d), SNMP_VAL_OK);
	assert_true(d == 87);
	assert_int_equal(snmp_value_double(SNMP_T_TIMETICKS, &l, sizeof l, &d), SNMP_VAL_OK);
	assert_int_equal(snmp_value_double(SNMP_T_COUNTER, &l, sizeof l, &d), SNMP_VAL_OK);

	c.high = 1;
	c.low = 5;
	assert_int_equal(snmp_value_double(SNMP_T_COUNTER64, &c, sizeof c, &d), SNMP_VAL_OK);
	assert_true(d == 4294967301.0);
	assert_int_equal(snmp_value_unsigned(SNMP_T_COUNTER64, &c, sizeof c, &u, &bits),
	    SNMP_VAL_OK);
	assert_int_equal(u, TWO32 + 5);
	assert_int_equal(bits, 64);
	c.high = 0xffffffffUL;
	c.low = 0xffffffffUL;
	assert_int_equal(snmp_value_unsigned(SNMP_T_COUNTER64, &c, sizeof c, &u, &bits),
	    SNMP_VAL_OK);
	assert_true(u == UINT64_MAX);

	l = 123456;
	assert_int_equal(snmp_value_unsigned(SNMP_T_COUNTER, &l, sizeof l, &u, &bits),
	    SNMP_VAL_OK);
	assert_int_equal(u, 123456);
	assert_int_equal(bits, 32);
	/* A counter sent as INTEGER is not trusted as a counter. */
	assert_int_equal(snmp_value_unsigned(SNMP_T_INTEGER, &l, sizeof l, &u, &bits),
	    SNMP_VAL_BADTYPE);
}

static void
test_value_wrong_lengths(void **state)
{
	unsigned char buf[32];
	double d;
	uint64_t u;
	int bits;

	/* Lengths wrong on every CPU: a long is 4 bytes on a 32-bit router,
	 * 8 here, and a counter64 two of them. */
	memset(buf, 0xff, sizeof buf);
	assert_int_equal(snmp_value_double(SNMP_T_INTEGER, buf, sizeof(long) - 1, &d),
	    SNMP_VAL_BADVALUE);
	assert_int_equal(snmp_value_double(SNMP_T_INTEGER, buf, sizeof(long) + 1, &d),
	    SNMP_VAL_BADVALUE);
	assert_int_equal(snmp_value_double(SNMP_T_INTEGER, NULL, sizeof(long), &d),
	    SNMP_VAL_BADVALUE);
	assert_int_equal(snmp_value_double(SNMP_T_COUNTER64, buf, sizeof(long), &d),
	    SNMP_VAL_BADVALUE);
	assert_int_equal(snmp_value_double(SNMP_T_COUNTER64, buf, 2 * sizeof(long) + 1, &d),
	    SNMP_VAL_BADVALUE);
	assert_int_equal(snmp_value_unsigned(SNMP_T_COUNTER64, buf, 3, &u, &bits),
	    SNMP_VAL_BADVALUE);
	assert_int_equal(snmp_value_unsigned(SNMP_T_GAUGE, buf, 0, &u, &bits),
	    SNMP_VAL_BADVALUE);
}

static void
test_value_exceptions_and_types(void **state)
{
	long l = 1;
	double d;
	uint64_t u;
	int bits;

	assert_int_equal(snmp_value_double(SNMP_T_NOSUCHOBJECT, NULL, 0, &d), SNMP_VAL_NOSUCH);
	assert_int_equal(snmp_value_double(SNMP_T_NOSUCHINSTANCE, NULL, 0, &d), SNMP_VAL_NOSUCH);
	assert_int_equal(snmp_value_double(SNMP_T_ENDOFMIBVIEW, NULL, 0, &d), SNMP_VAL_NOSUCH);
	assert_int_equal(snmp_value_unsigned(SNMP_T_NOSUCHINSTANCE, NULL, 0, &u, &bits),
	    SNMP_VAL_NOSUCH);
	assert_int_equal(snmp_value_double(SNMP_T_NULL, NULL, 0, &d), SNMP_VAL_BADTYPE);
	assert_int_equal(snmp_value_double(SNMP_T_OBJECT_ID, &l, sizeof l, &d),
	    SNMP_VAL_BADTYPE);
	assert_int_equal(snmp_value_double(SNMP_T_IPADDRESS, "\x7f\0\0\x01", 4, &d),
	    SNMP_VAL_BADTYPE);
	assert_int_equal(snmp_value_double(SNMP_T_OPAQUE, "\x9f\x78\x04", 3, &d),
	    SNMP_VAL_BADTYPE);
	assert_int_equal(snmp_value_double(0x30, NULL, 0, &d), SNMP_VAL_BADTYPE);
}

static void
test_value_strings(void **state)
{
	static const struct {
		const char *s;
		size_t len;	/* 0: strlen */
		int ok;
		double v;
	} cases[] = {
		{ "-67", 0, 1, -67 },
		{ "12.6", 0, 1, 12.6 },
		{ "+5", 0, 1, 5 },
		{ "  28 ", 0, 1, 28 },
		{ "87\n", 0, 1, 87 },
		{ "42\0", 3, 1, 42 },		/* C string with its NUL */
		{ ".5", 0, 1, 0.5 },
		{ "7.", 0, 1, 7 },
		{ "", 0, 0, 0 },
		{ " ", 0, 0, 0 },
		{ "-", 0, 0, 0 },
		{ ".", 0, 0, 0 },
		{ "n/a", 0, 0, 0 },
		{ "-67 dBm", 0, 0, 0 },
		{ "1e3", 0, 0, 0 },
		{ "1e999", 0, 0, 0 },
		{ "inf", 0, 0, 0 },
		{ "nan", 0, 0, 0 },
		{ "0x1f", 0, 0, 0 },
		{ "1.2.3", 0, 0, 0 },
		{ "--1", 0, 0, 0 },
		{ "4\0" "2", 3, 0, 0 },		/* NUL inside */
		{ "12345678901234567890123456789012345678901234567890123456789012345", 0, 0, 0 },
	};
	double d;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].s);
		enum snmp_val v = snmp_value_double(SNMP_T_OCTET_STR, cases[i].s, len, &d);

		if (cases[i].ok) {
			if (v != SNMP_VAL_OK)
				fail_msg("'%s' refused", cases[i].s);
			assert_true(fabs(d - cases[i].v) < 1e-9);
		} else if (v != SNMP_VAL_BADVALUE)
			fail_msg("'%s' accepted", cases[i].s);
	}
	/* An empty OCTET STRING as net-snmp may hand it: no buffer. */
	assert_int_equal(snmp_value_double(SNMP_T_OCTET_STR, NULL, 0, &d), SNMP_VAL_BADVALUE);
}

/* Random types and bytes: never a crash, and OK only with a finite value. */
static void
test_value_garbage(void **state)
{
	unsigned char buf[80];
	unsigned seed = 12345;
	double d;
	uint64_t u;
	int bits;

	for (int i = 0; i < 200000; i++) {
		size_t len = (size_t)(rand_r(&seed) % (int)sizeof buf);
		unsigned type = (unsigned)(rand_r(&seed) % 256);

		if (i % 4 == 0)
			type = SNMP_T_OCTET_STR;
		for (size_t k = 0; k < len; k++)
			buf[k] = (unsigned char)(i % 8 == 0 ? "0123456789.-+ "[rand_r(&seed) % 14] :
			    rand_r(&seed));
		if (snmp_value_double(type, buf, len, &d) == SNMP_VAL_OK)
			assert_true(isfinite(d));
		(void)snmp_value_unsigned(type, buf, len, &u, &bits);
	}
}

/* The config's scales: what is accepted, and the arithmetic on the values
 * the devices in docs/snmp.md send. */
static void
test_scale(void **state)
{
	static const char *const bad[] = {
		"", ".", "0", "0.0", "000", "-0.1", "+0.1", "-1", "1e-1", "1E2", "0x10",
		"inf", "nan", "0.1.2", "1,5", " 0.1", "0.1 ", "0.1V", "1000000.5", "1000001",
		"10000000", "0.0000000000000001",	/* 16 decimals */
		"1234567890.123456",			/* 16 significant digits */
	};
	static const struct {
		const char *s;
		double num, den, value;
	} good[] = {
		{ "0.1", 1, 10, 0.1 },
		{ "1", 1, 1, 1 },
		{ "1.", 1, 1, 1 },
		{ ".5", 5, 10, 0.5 },
		{ "0.001", 1, 1000, 0.001 },
		{ "0.0054931640625", 54931640625.0, 1e13, 180.0 / 32768 },
		{ "10", 10, 1, 10 },
		{ "1000000", 1000000, 1, 1000000 },
		{ "000.25", 25, 100, 0.25 },
		{ "0.000000000000001", 1, 1e15, 1e-15 },
		{ "999999.999999999", 999999999999999.0, 1e9, 999999.999999999 },
	};
	struct snmp_scale sc, id = { 0, 0 };

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		sc.num = sc.den = -1;
		if (snmp_scale_parse(bad[i], &sc) != -1)
			fail_msg("scale '%s' accepted", bad[i]);
		/* Left alone on failure. */
		assert_true(sc.num == -1 && sc.den == -1);
	}
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		if (snmp_scale_parse(good[i].s, &sc) != 0)
			fail_msg("scale '%s' refused", good[i].s);
		assert_true(sc.num == good[i].num);
		assert_true(sc.den == good[i].den);
		assert_true(snmp_scale_apply(&sc, 1) == good[i].value);
	}

	/* MikroTik mtxrHlVoltage in tenths: the decimal result, exactly the
	 * double nearest to it (126 x 0.1 in doubles is 12.600000000000001). */
	assert_int_equal(snmp_scale_parse("0.1", &sc), 0);
	assert_true(snmp_scale_apply(&sc, 154) == 15.4);
	assert_true(snmp_scale_apply(&sc, 126) == 12.6);
	volatile double tenth = 0.1;	/* not folded by the compiler */
	assert_true(126 * tenth != 12.6);
	assert_true(snmp_scale_apply(&sc, 245) == 24.5);
	assert_true(snmp_scale_apply(&sc, 120) == 12.0);
	assert_true(snmp_scale_apply(&sc, -3) == -0.3);
	assert_true(snmp_scale_apply(&sc, 0) == 0);
	for (int v = 0; v <= 100000; v++) {
		char want[32];
		double got = snmp_scale_apply(&sc, v);

		/* The nearest double to v/10: what strtod makes of "v/10". */
		snprintf(want, sizeof want, "%d.%d", v / 10, v % 10);
		if (got != strtod(want, NULL))
			fail_msg("%d x 0.1 = %.17g, not %s", v, got, want);
	}
	/* Morningstar TriStar MPPT batteryVoltage: raw x 180 / 32768, exact. */
	assert_int_equal(snmp_scale_parse("0.0054931640625", &sc), 0);
	assert_true(snmp_scale_apply(&sc, 4800) == 26.3671875);
	assert_true(snmp_scale_apply(&sc, 32767) == 32767 * 180.0 / 32768);
	/* Tenths of a percent of charge. */
	assert_int_equal(snmp_scale_parse("0.1", &sc), 0);
	assert_true(snmp_scale_apply(&sc, 765) == 76.5);
	/* Millivolts. */
	assert_int_equal(snmp_scale_parse("0.001", &sc), 0);
	assert_true(snmp_scale_apply(&sc, 12600) == 12.6);
	/* A whole Counter64 stays finite at the largest scale. */
	assert_int_equal(snmp_scale_parse("1000000", &sc), 0);
	assert_true(isfinite(snmp_scale_apply(&sc, 18446744073709551615.0)));
	/* Zeroed (a conf made by memset): the value as it came. */
	assert_true(snmp_scale_apply(&id, 154) == 154);
	assert_true(snmp_scale_apply(&id, -67.5) == -67.5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delta32_wrap),
		cmocka_unit_test(test_delta64),
		cmocka_unit_test(test_uptime_restart),
		cmocka_unit_test(test_uptime_elapsed),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_counter32_ambiguous),
		cmocka_unit_test(test_value_numbers),
		cmocka_unit_test(test_value_wrong_lengths),
		cmocka_unit_test(test_value_exceptions_and_types),
		cmocka_unit_test(test_value_strings),
		cmocka_unit_test(test_value_garbage),
		cmocka_unit_test(test_scale),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
