/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Arithmetic of the SNMP probe, kept apart from net-snmp's sessions so that
 * it can be tested and fuzzed alone: counter deltas across wraps and device
 * restarts, rates, the conversion of a variable's value to a number, and
 * the scale that turns it into the metric's unit.
 */
#ifndef COVMON_SNMP_CALC_H
#define COVMON_SNMP_CALC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* BER tags of the types a value can have (RFC 3416), as net-snmp names
 * them ASN_*; repeated here so that this file needs no net-snmp header. */
#define SNMP_T_INTEGER		0x02
#define SNMP_T_OCTET_STR	0x04
#define SNMP_T_NULL		0x05
#define SNMP_T_OBJECT_ID	0x06
#define SNMP_T_IPADDRESS	0x40
#define SNMP_T_COUNTER		0x41
#define SNMP_T_GAUGE		0x42	/* also Unsigned32 */
#define SNMP_T_TIMETICKS	0x43
#define SNMP_T_OPAQUE		0x44
#define SNMP_T_COUNTER64	0x46
#define SNMP_T_NOSUCHOBJECT	0x80
#define SNMP_T_NOSUCHINSTANCE	0x81
#define SNMP_T_ENDOFMIBVIEW	0x82

enum snmp_val {
	SNMP_VAL_OK = 0,
	SNMP_VAL_NOSUCH,	/* noSuchObject, noSuchInstance, endOfMibView */
	SNMP_VAL_BADTYPE,	/* a type that does not hold a number here */
	SNMP_VAL_BADVALUE	/* the right type, but a wrong length or not a number */
};

/*
 * The value of one variable as a double. `val` and `len` are the value as
 * net-snmp holds it in a netsnmp_variable_list (val.string, val_len): a
 * `long` for INTEGER, Counter32, Gauge32 and TimeTicks, a struct counter64
 * (two unsigned longs, high then low) for Counter64, the bytes for an
 * OCTET STRING, which must then hold a decimal number ("-67", " 12.6") and
 * nothing else. Any bytes are safe: this is the fuzz target.
 */
enum snmp_val snmp_value_double(unsigned type, const void *val, size_t len, double *out);

/*
 * The value of an unsigned type (Counter32, Gauge32, TimeTicks, Counter64)
 * as an integer, with its width in bits (32 or 64). Other types are
 * SNMP_VAL_BADTYPE: a counter that arrives as INTEGER is not trusted.
 */
enum snmp_val snmp_value_unsigned(unsigned type, const void *val, size_t len, uint64_t *out,
    int *bits);

/* Parses a decimal number held in text (an OCTET STRING): optional blanks,
 * optional sign, digits, optional fraction, optional blanks. No exponent,
 * hex, "inf" or "nan". Returns 0, or -1 when it is anything else. */
int snmp_text_number(const char *s, size_t len, double *out);

/*
 * cur - prev of a counter `bits` wide (32 or 64), modulo 2^bits: a Counter32
 * wraps within minutes on a busy link. A Counter64 that went back is a
 * reset, not a wrap (2^64 octets take 46 years at 100 Gbit/s). Returns 0
 * with *delta, or -1 when the delta is unknown (reset, or a value wider
 * than the counter).
 */
int snmp_counter_delta(uint64_t prev, uint64_t cur, int bits, uint64_t *delta);

/*
 * Whether the device restarted between two readings of sysUpTime (in
 * hundredths of a second) taken `elapsed` seconds apart: its uptime went
 * back, or advanced clearly less than the time that passed (it rebooted
 * and came back within the interval). A TimeTicks wrap after 497 days is
 * told apart from a restart by the time that passed.
 */
bool snmp_uptime_restarted(uint32_t prev, uint32_t cur, double elapsed);

/*
 * The time between two answers for a rate, in seconds: the device's own
 * (sysUpTime read in the same answer as the counters) when it agrees with
 * ours, `wall`, within the slack snmp_uptime_restarted allows; else wall.
 * The counters and sysUpTime of one answer are read together, so their
 * ratio holds however late the answers travel; our clock measures when
 * they arrived, and an answer that waited on a busy access point or in a
 * queue made a rate up to twice too high (2.1 Mbit/s for 1.0 in
 * integration/test_snmp_devices beside a CPU hog).
 */
double snmp_uptime_elapsed(uint32_t prev, uint32_t cur, double wall);

/*
 * Whether a Counter32 of octets on an interface of `speed_bps` may have
 * wrapped more than once in `elapsed` seconds, so that the delta modulo
 * 2^32 could be short by multiples of 2^32. Unknown speed (0): false.
 */
bool snmp_counter32_ambiguous(double speed_bps, double elapsed);

/* delta * scale / elapsed (bits per second from octets: scale 8).
 * Returns 0, or -1 when elapsed is not a positive finite time. */
int snmp_rate(uint64_t delta, double elapsed, double scale, double *out);

/*
 * The factor that turns a device's number into the metric's unit (the
 * config's volts_scale, battery_scale): MikroTik's mtxrHlVoltage counts
 * tenths of a volt ("0.1"), a Morningstar TriStar MPPT raw Modbus units
 * ("0.0054931640625"). Kept as the decimal it was written in, num / den
 * with den a power of ten, so that 126 x "0.1" is 12.6 (the double
 * nearest to it), not 126 x 0.1 = 12.600000000000001 on the wire and the
 * pages. A zeroed struct is the identity (x 1).
 */
struct snmp_scale {
	double	num;	/* a whole number below 10^15 */
	double	den;	/* 10^k, k <= 15; 0: no scale */
};

#define SNMP_SCALE_MAX	1000000.0

/* Parses a scale: a decimal number (digits, optional fraction; no sign,
 * exponent, hex, "inf") with at most 15 significant digits, greater than 0
 * and at most SNMP_SCALE_MAX. Returns 0, or -1 when it is anything else. */
int snmp_scale_parse(const char *s, struct snmp_scale *out);

/* v x scale, rounded once (or twice when v x num exceeds 2^53). */
double snmp_scale_apply(const struct snmp_scale *sc, double v);

/* A numeric OID, "1.3.6.1.4.1.41112.1.4.5.1.5.1" with or without a
 * leading dot: 2 to SNMP_OID_MAX_SUBIDS (net-snmp's MAX_OID_LEN) parts of
 * at most 10 digits. */
#define SNMP_OID_MAX_SUBIDS	128
bool snmp_oid_syntax_ok(const char *s);

#endif
