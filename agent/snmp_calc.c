/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Counter deltas, restart detection, rates, value conversion and scales
 * for the SNMP probe. No net-snmp calls: values arrive as (type, bytes,
 * length).
 */
#include "snmp_calc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TWO32	4294967296.0

/* net-snmp's struct counter64: two unsigned longs, each holding 32 bits. */
struct c64 {
	unsigned long	high;
	unsigned long	low;
};

int
snmp_text_number(const char *s, size_t len, double *out)
{
	char buf[64];
	size_t i = 0, n = 0;
	int digits = 0;

	/* Blanks around the number: some firmwares pad to a fixed width. */
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	while (len > i && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' ||
	    s[len - 1] == '\r' || s[len - 1] == '\0'))
		len--;
	if (len - i >= sizeof buf)
		return -1;
	/* strtod alone would take "inf", "nan", "0x1p4" and "1e999". */
	if (i < len && (s[i] == '-' || s[i] == '+'))
		buf[n++] = s[i++];
	while (i < len && s[i] >= '0' && s[i] <= '9') {
		buf[n++] = s[i++];
		digits++;
	}
	if (i < len && s[i] == '.') {
		buf[n++] = s[i++];
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			buf[n++] = s[i++];
			digits++;
		}
	}
	if (i != len || digits == 0)
		return -1;
	buf[n] = '\0';

	char *end;
	double v = strtod(buf, &end);
	if (*end != '\0' || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

enum snmp_val
snmp_value_double(unsigned type, const void *val, size_t len, double *out)
{
	enum snmp_val rc;
	uint64_t u;
	long l;
	int bits;

	switch (type) {
	case SNMP_T_INTEGER:
		if (val == NULL || len != sizeof l)
			return SNMP_VAL_BADVALUE;
		memcpy(&l, val, sizeof l);
		*out = (double)l;
		return SNMP_VAL_OK;
	case SNMP_T_OCTET_STR:
		if (val == NULL && len != 0)
			return SNMP_VAL_BADVALUE;
		if (snmp_text_number(val, len, out) == -1)
			return SNMP_VAL_BADVALUE;
		return SNMP_VAL_OK;
	default:
		/* The counters, gauges and time ticks are read as they are for
		 * deltas (one rounding to double, exact up to 2^53); the rest is
		 * no value at all. */
		if ((rc = snmp_value_unsigned(type, val, len, &u, &bits)) == SNMP_VAL_OK)
			*out = (double)u;
		return rc;
	}
}

enum snmp_val
snmp_value_unsigned(unsigned type, const void *val, size_t len, uint64_t *out, int *bits)
{
	long l;
	struct c64 c;

	switch (type) {
	case SNMP_T_COUNTER:
	case SNMP_T_GAUGE:
	case SNMP_T_TIMETICKS:
		if (val == NULL || len != sizeof l)
			return SNMP_VAL_BADVALUE;
		memcpy(&l, val, sizeof l);
		*out = (uint64_t)((unsigned long)l & 0xffffffffUL);
		*bits = 32;
		return SNMP_VAL_OK;
	case SNMP_T_COUNTER64:
		if (val == NULL || len != sizeof c)
			return SNMP_VAL_BADVALUE;
		memcpy(&c, val, sizeof c);
		*out = (uint64_t)(c.high & 0xffffffffUL) << 32 | (uint64_t)(c.low & 0xffffffffUL);
		*bits = 64;
		return SNMP_VAL_OK;
	case SNMP_T_NOSUCHOBJECT:
	case SNMP_T_NOSUCHINSTANCE:
	case SNMP_T_ENDOFMIBVIEW:
		return SNMP_VAL_NOSUCH;
	default:
		return SNMP_VAL_BADTYPE;
	}
}

int
snmp_counter_delta(uint64_t prev, uint64_t cur, int bits, uint64_t *delta)
{
	if (bits == 32) {
		if (prev > UINT32_MAX || cur > UINT32_MAX)
			return -1;
		*delta = (cur - prev) & UINT32_MAX;
		return 0;
	}
	if (bits == 64) {
		if (cur < prev)
			return -1;
		*delta = cur - prev;
		return 0;
	}
	return -1;
}

bool
snmp_uptime_restarted(uint32_t prev, uint32_t cur, double elapsed)
{
	/* Our clock and the device's differ by network delays and drift. */
	double slack = 2 + elapsed * 0.1;
	double advanced = (double)(uint32_t)(cur - prev) / 100;

	if (!isfinite(elapsed) || elapsed < 0)
		return true;
	if (cur < prev)
		return advanced > elapsed + slack;  /* else a wrap after 497 days */
	return advanced + slack < elapsed;
}

double
snmp_uptime_elapsed(uint32_t prev, uint32_t cur, double wall)
{
	double dev = (double)(uint32_t)(cur - prev) / 100;

	if (!isfinite(wall) || dev <= 0 || fabs(dev - wall) > 2 + fabs(wall) * 0.1)
		return wall;
	return dev;
}

bool
snmp_counter32_ambiguous(double speed_bps, double elapsed)
{
	if (!(speed_bps > 0) || !isfinite(speed_bps))
		return false;
	return speed_bps / 8 * elapsed >= TWO32;
}

int
snmp_rate(uint64_t delta, double elapsed, double scale, double *out)
{
	if (!isfinite(elapsed) || elapsed <= 0)
		return -1;
	*out = (double)delta * scale / elapsed;
	return 0;
}

int
snmp_scale_parse(const char *s, struct snmp_scale *out)
{
	double num = 0, den = 1;
	int sig = 0, frac = 0, digits = 0;
	bool point = false;

	for (; *s != '\0'; s++) {
		if (*s == '.' && !point) {
			point = true;
			continue;
		}
		if (*s < '0' || *s > '9')
			return -1;
		digits++;
		if (point && ++frac > 15)
			return -1;
		/* Leading zeros are not significant ("0.0054931640625"). */
		if (sig > 0 || *s != '0')
			sig++;
		if (sig > 15)
			return -1;
		/* Exact: num < 10^15 < 2^53, den = 10^frac <= 10^15. */
		num = num * 10 + (*s - '0');
		if (point)
			den *= 10;
	}
	if (digits == 0 || num == 0 || num / den > SNMP_SCALE_MAX)
		return -1;
	out->num = num;
	out->den = den;
	return 0;
}

double
snmp_scale_apply(const struct snmp_scale *sc, double v)
{
	if (sc->den == 0)
		return v;
	return v * sc->num / sc->den;
}

/* "1.3.6.1.4.1.41112.1.4.5.1.5.1", with or without a leading dot. */
bool
snmp_oid_syntax_ok(const char *s)
{
	int n = 0;

	if (*s == '.')
		s++;
	while (*s) {
		if (*s < '0' || *s > '9')
			return false;
		int digits = 0;
		while (*s >= '0' && *s <= '9') {
			if (++digits > 10)
				return false;
			s++;
		}
		n++;
		if (*s == '.' && s[1] != '\0')
			s++;
		else if (*s != '\0')
			return false;
	}
	return n >= 2 && n <= SNMP_OID_MAX_SUBIDS;
}
