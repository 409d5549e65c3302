/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Wire protocol v1 codec (DESIGN.md section 3): every rejection, round trips. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sample.h"

#define HEAD "{\"v\":1,\"agent\":\"lc-01\",\"seq\":5,\"ts\":1763800020,\"interval\":60"

/* Decodes a NUL-terminated payload, checks the code, and that the message
 * names what it should (field may be NULL). */
static void
expect_len(const char *p, size_t len, enum sample_err want, const char *field)
{
	struct sample s;
	char msg[256];
	enum sample_err got;

	memset(msg, 'x', sizeof(msg));
	got = sample_decode(p, len, &s, msg, sizeof(msg));
	if (got != want)
		fail_msg("payload %.200s: got %s (%s), want %s", p, sample_err_reason(got),
		    msg, sample_err_reason(want));
	if (want == SAMPLE_OK)
		return;
	assert_true(strlen(msg) > 10);
	if (field != NULL && strstr(msg, field) == NULL)
		fail_msg("message '%s' does not name %s", msg, field);
	/* A rejected sample is not half filled. */
	assert_int_equal(s.present, 0);
	assert_int_equal(s.agent[0], '\0');
}

static void
expect(const char *p, enum sample_err want, const char *field)
{
	expect_len(p, strlen(p), want, field);
}

static void
test_reasons(void **state)
{
	static const char *const want[SAMPLE_E__COUNT] = {
		"ok", "empty", "oversize", "bad_utf8", "bad_json", "too_deep",
		"duplicate_key", "not_object", "bad_version", "bad_type", "missing_field",
		"bad_id", "bad_seq", "bad_ts", "bad_interval", "non_finite", "bad_prev",
		"bad_sid",
	};
	(void)state;
	for (int i = 0; i < SAMPLE_E__COUNT; i++)
		assert_string_equal(sample_err_reason((enum sample_err)i), want[i]);
	assert_string_equal(sample_err_reason(SAMPLE_E__COUNT), "unknown");
}

static void
test_good(void **state)
{
	struct sample s;
	char msg[256];
	const char *p = "{\"v\":1,\"agent\":\"lc-batxat-suoichai-01\",\"seq\":1842,"
	    "\"ts\":1763800020,\"interval\":60,\n \"m\":{\"icmp_rtt_avg_ms\":48.2,"
	    "\"icmp_rtt_min_ms\":41.0,\"icmp_loss_pct\":0,\"if_rx_bps\":1200000,"
	    "\"radio_signal_dbm\":-67,\"clients\":14}}\n";
	(void)state;

	assert_int_equal(sample_decode(p, strlen(p), &s, msg, sizeof(msg)), SAMPLE_OK);
	assert_string_equal(s.agent, "lc-batxat-suoichai-01");
	assert_true(s.seq == 1842);
	assert_false(s.has_prev);
	assert_true(s.ts == 1763800020);
	assert_int_equal(s.interval, 60);
	assert_true(sample_has(&s, M_ICMP_RTT_AVG_MS));
	assert_true(s.m[M_ICMP_RTT_AVG_MS] == 48.2);
	assert_true(s.m[M_ICMP_RTT_MIN_MS] == 41.0);
	assert_true(sample_has(&s, M_ICMP_LOSS_PCT));
	assert_true(s.m[M_ICMP_LOSS_PCT] == 0);
	assert_true(s.m[M_IF_RX_BPS] == 1200000);
	assert_true(s.m[M_RADIO_SIGNAL_DBM] == -67);
	assert_true(s.m[M_CLIENTS] == 14);
	/* Not measured is not zero. */
	assert_false(sample_has(&s, M_ICMP_RTT_MAX_MS));
	assert_false(sample_has(&s, M_TCP_CONNECT_OK));
	assert_int_equal(s.unknown_metrics, 0);

	/* Keys in any order, prev, the extremes of each range. */
	p = "{\"m\":{},\"interval\":3600,\"ts\":1,\"prev\":0,"
	    "\"seq\":18446744073709551615,\"agent\":\"a\",\"v\":1}";
	assert_int_equal(sample_decode(p, strlen(p), &s, msg, sizeof(msg)), SAMPLE_OK);
	assert_true(s.seq == UINT64_MAX);
	assert_true(s.has_prev && s.prev == 0);
	assert_int_equal(s.interval, 3600);
	assert_true(s.present == 0);
	expect(HEAD ",\"interval\":1,\"m\":{}}", SAMPLE_E_DUPKEY, NULL);
	expect("{\"v\":1,\"agent\":\"a\",\"seq\":0,\"ts\":9223372036854775807,\"interval\":1,"
	    "\"m\":{}}", SAMPLE_OK, NULL);
	/* Escapes in keys and strings are decoded before they are judged. */
	expect("{\"\\u0076\":1,\"agent\":\"l\\u0063-01\",\"seq\":5,\"ts\":1,\"interval\":60,"
	    "\"m\":{\"client\\u0073\":3}}", SAMPLE_OK, NULL);
}

/* The buffer is not a C string: bytes past len must not be read as JSON. */
static void
test_not_nul_terminated(void **state)
{
	const char *p = HEAD ",\"m\":{\"clients\":3}}";
	size_t n = strlen(p);
	char *buf = malloc(n + 8);
	struct sample s;
	(void)state;

	assert_non_null(buf);
	memcpy(buf, p, n);
	memcpy(buf + n, "garbage!", 8);
	assert_int_equal(sample_decode(buf, n, &s, NULL, 0), SAMPLE_OK);
	assert_true(s.m[M_CLIENTS] == 3);
	/* The same bytes cut short are not a sample. */
	assert_int_equal(sample_decode(buf, n - 1, &s, NULL, 0), SAMPLE_E_JSON);
	free(buf);
}

static void
test_size(void **state)
{
	char *big;
	const char *p = HEAD ",\"m\":{}}";
	(void)state;

	expect_len("", 0, SAMPLE_E_EMPTY, NULL);
	expect_len(NULL, 0, SAMPLE_E_EMPTY, NULL);
	expect(" \r\n\t", SAMPLE_E_EMPTY, NULL);

	big = malloc(1 << 20);
	assert_non_null(big);
	/* Exactly the limit (a sample padded with whitespace) is fine. */
	memset(big, ' ', SAMPLE_MAX_BYTES + 1);
	memcpy(big, p, strlen(p));
	expect_len(big, SAMPLE_MAX_BYTES, SAMPLE_OK, NULL);
	expect_len(big, SAMPLE_MAX_BYTES + 1, SAMPLE_E_TOO_BIG, "8192");
	memset(big, '[', 1 << 20);
	expect_len(big, 1 << 20, SAMPLE_E_TOO_BIG, NULL);
	free(big);
}

static void
test_depth(void **state)
{
	char buf[512];
	size_t n = 0;
	(void)state;

	for (int i = 0; i < 100; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "[");
	for (int i = 0; i < 100; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "]");
	expect(buf, SAMPLE_E_DEPTH, NULL);

	n = 0;
	for (int i = 0; i < 100; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "{\"a\":");
	buf[n] = '\0';
	expect(buf, SAMPLE_E_DEPTH, NULL);	/* unclosed, but too deep first */

	/* One level to spare for a later protocol's field; not two. */
	expect(HEAD ",\"x\":{\"y\":[1]},\"m\":{}}", SAMPLE_OK, NULL);
	expect(HEAD ",\"x\":{\"y\":[[1]]},\"m\":{}}", SAMPLE_E_DEPTH, NULL);
	expect(HEAD ",\"m\":{\"clients\":[[1]]}}", SAMPLE_E_DEPTH, NULL);
}

static void
test_utf8(void **state)
{
	(void)state;
	expect("{\"v\":1,\"agent\":\"\xff\"}", SAMPLE_E_UTF8, NULL);
	expect(HEAD ",\"x\":\"\xc3\",\"m\":{}}", SAMPLE_E_UTF8, NULL);	/* truncated */
	expect(HEAD ",\"x\":\"\xc0\xaf\",\"m\":{}}", SAMPLE_E_UTF8, NULL);	/* overlong '/' */
	expect(HEAD ",\"x\":\"\xe0\x80\xaf\",\"m\":{}}", SAMPLE_E_UTF8, NULL);
	expect(HEAD ",\"x\":\"\xed\xa0\x80\",\"m\":{}}", SAMPLE_E_UTF8, NULL);	/* surrogate */
	expect(HEAD ",\"x\":\"\xf4\x90\x80\x80\",\"m\":{}}", SAMPLE_E_UTF8, NULL);	/* > U+10FFFF */
	expect(HEAD ",\"x\":\"\x80\",\"m\":{}}", SAMPLE_E_UTF8, NULL);
	expect(HEAD ",\"m\":{}}\xfe", SAMPLE_E_UTF8, NULL);
	/* Good UTF-8 is fine in a string, not as JSON outside one. */
	expect(HEAD ",\"x\":\"Su\xe1\xbb\x91i Ch\xe1\xba\xa3i \xf0\x9f\x93\xa1\",\"m\":{}}",
	    SAMPLE_OK, NULL);
	expect("\xef\xbb\xbf" HEAD ",\"m\":{}}", SAMPLE_E_JSON, NULL);
}

static void
test_bad_json(void **state)
{
	static const char *const bad[] = {
		"{", "}", "{\"v\":1,}", "{\"v\" 1}", "{\"v\":1 \"a\":2}", "{v:1}",
		"{'v':1}", "[1,]", "{} x", "{}{}", "{},", "{\"v\":01}", "{\"v\":1.}",
		"{\"v\":.5}", "{\"v\":+1}", "{\"v\":1e}", "{\"v\":-}", "{\"v\":0x10}",
		"{\"v\":tru}", "{\"v\":True}", "{\"v\":\"a\\x\"}", "{\"v\":\"\\u12\"}",
		"{\"v\":\"\\u12g4\"}", "{\"v\":\"a\tb\"}", "{\"v\":\"a\nb\"}",
		"/* c */{}", "{} // c", "{\"v\":\"abc", "{\"v\":\"abc\\", "{\"v\":1}\x01",
		NULL,
	};
	(void)state;
	for (int i = 0; bad[i] != NULL; i++)
		expect(bad[i], SAMPLE_E_JSON, NULL);
	/* A NUL byte inside the payload, inside or outside a string. */
	expect_len("{\"v\":\"a\0b\"}", 11, SAMPLE_E_JSON, NULL);
	expect_len("{\"v\":1}\0", 8, SAMPLE_E_JSON, NULL);
	/* Whitespace around the object is fine. */
	expect(" \n" HEAD ",\"m\":{ } } \r\n\t", SAMPLE_OK, NULL);
}

static void
test_dupkey(void **state)
{
	(void)state;
	expect(HEAD ",\"seq\":6,\"m\":{}}", SAMPLE_E_DUPKEY, "top level");
	expect(HEAD ",\"m\":{},\"m\":{}}", SAMPLE_E_DUPKEY, "top level");
	expect("{\"v\":1,\"v\":1}", SAMPLE_E_DUPKEY, NULL);
	expect(HEAD ",\"x\":1,\"x\":1,\"m\":{}}", SAMPLE_E_DUPKEY, NULL);
	/* The same key spelt with an escape is the same key. */
	expect(HEAD ",\"s\\u0065q\":6,\"m\":{}}", SAMPLE_E_DUPKEY, NULL);
	/* json-c cuts a key at \u0000: that is the same key to it. */
	expect(HEAD ",\"seq\\u0000x\":6,\"m\":{}}", SAMPLE_E_DUPKEY, NULL);
	expect(HEAD ",\"m\":{\"clients\":1,\"clients\":2}}", SAMPLE_E_DUPKEY, "'m'");
	expect(HEAD ",\"m\":{\"clients\":1,\"if_rx_bps\":1,\"clients\":1}}",
	    SAMPLE_E_DUPKEY, "'m'");
	expect(HEAD ",\"m\":{\"new_one\":1,\"new_one\":2}}", SAMPLE_E_DUPKEY, "'m'");
	expect(HEAD ",\"x\":{\"a\":1,\"a\":2},\"m\":{}}", SAMPLE_E_DUPKEY, NULL);
	expect(HEAD ",\"x\":[{\"a\":1,\"a\":2}],\"m\":{}}", SAMPLE_E_DUPKEY, NULL);
	/* Same name in different objects is not a duplicate. */
	expect(HEAD ",\"x\":{\"seq\":1,\"m\":2},\"m\":{\"seq\":1}}", SAMPLE_OK, NULL);
}

static void
test_not_object(void **state)
{
	(void)state;
	expect("[]", SAMPLE_E_NOT_OBJECT, "object");
	expect("[" HEAD ",\"m\":{}}]", SAMPLE_E_NOT_OBJECT, NULL);
	expect("1", SAMPLE_E_NOT_OBJECT, NULL);
	expect("\"x\"", SAMPLE_E_NOT_OBJECT, NULL);
	expect("null", SAMPLE_E_NOT_OBJECT, NULL);
	expect(" true ", SAMPLE_E_NOT_OBJECT, NULL);
}

static void
test_version(void **state)
{
	(void)state;
	expect("{\"agent\":\"a\",\"seq\":1,\"ts\":1,\"interval\":60,\"m\":{}}",
	    SAMPLE_E_VERSION, "'v'");
	expect("{}", SAMPLE_E_VERSION, "'v'");
	static const char *const v[] = { "2", "0", "-1", "\"1\"", "1.0", "1e0", "true",
		"null", "{}", "[1]", "18446744073709551617", NULL };
	for (int i = 0; v[i] != NULL; i++) {
		char buf[256];
		snprintf(buf, sizeof(buf), "{\"v\":%s,\"agent\":\"a\",\"seq\":1,\"ts\":1,"
		    "\"interval\":60,\"m\":{}}", v[i]);
		expect(buf, SAMPLE_E_VERSION, "'v'");
	}
}

static void
check_agent(const char *json_value, enum sample_err want)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "{\"v\":1,\"agent\":%s,\"seq\":1,\"ts\":1,"
	    "\"interval\":60,\"m\":{}}", json_value);
	expect(buf, want, "'agent'");
}

static void
test_agent(void **state)
{
	char buf[128];
	(void)state;

	expect("{\"v\":1,\"seq\":1,\"ts\":1,\"interval\":60,\"m\":{}}", SAMPLE_E_MISSING,
	    "'agent'");
	check_agent("5", SAMPLE_E_TYPE);
	check_agent("null", SAMPLE_E_TYPE);
	check_agent("[\"a\"]", SAMPLE_E_TYPE);
	check_agent("{}", SAMPLE_E_TYPE);
	check_agent("\"../x\"", SAMPLE_E_AGENT_ID);
	check_agent("\"..\"", SAMPLE_E_AGENT_ID);
	check_agent("\"A\"", SAMPLE_E_AGENT_ID);
	check_agent("\"\"", SAMPLE_E_AGENT_ID);
	check_agent("\"a/b\"", SAMPLE_E_AGENT_ID);
	check_agent("\"a+\"", SAMPLE_E_AGENT_ID);
	check_agent("\"a#\"", SAMPLE_E_AGENT_ID);
	check_agent("\"-a\"", SAMPLE_E_AGENT_ID);
	check_agent("\"a\\u0000b\"", SAMPLE_E_AGENT_ID);
	check_agent("\"a\\nb\"", SAMPLE_E_AGENT_ID);
	check_agent("\"su\xe1\xbb\x91i\"", SAMPLE_E_AGENT_ID);
	/* 64 characters is the longest id; 65 is one too many. */
	buf[0] = '"';
	memset(buf + 1, 'a', 64);
	strcpy(buf + 65, "\"");
	check_agent(buf, SAMPLE_OK);
	strcpy(buf + 65, "b\"");
	check_agent(buf, SAMPLE_E_AGENT_ID);
}

/* A payload with the field set to a JSON value, or left out when NULL. */
static void
check_field(const char *field, const char *value, enum sample_err want)
{
	const char *f[] = { "v", "agent", "sid", "seq", "prev", "ts", "interval", "m" };
	const char *d[] = { "1", "\"lc-01\"", NULL, "10", NULL, "1763800020", "60", "{}" };
	char buf[512], quoted[64];
	size_t n = 0;

	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "{");
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		const char *val = strcmp(f[i], field) == 0 ? value : d[i];
		if (val == NULL)
			continue;
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s\"%s\":%s",
		    n > 1 ? "," : "", f[i], val);
	}
	snprintf(buf + n, sizeof(buf) - n, "}");
	snprintf(quoted, sizeof(quoted), "'%s'", field);
	expect(buf, want, want == SAMPLE_OK ? NULL : quoted);
}

static void
test_seq_prev(void **state)
{
	(void)state;
	check_field("seq", NULL, SAMPLE_E_MISSING);
	check_field("seq", "-1", SAMPLE_E_SEQ);
	check_field("seq", "1.5", SAMPLE_E_SEQ);
	check_field("seq", "1.0", SAMPLE_E_SEQ);
	check_field("seq", "1e3", SAMPLE_E_SEQ);
	check_field("seq", "\"10\"", SAMPLE_E_SEQ);
	check_field("seq", "null", SAMPLE_E_SEQ);
	check_field("seq", "true", SAMPLE_E_SEQ);
	check_field("seq", "-9223372036854775809", SAMPLE_E_SEQ);
	/* json-c would silently make these 2^64-1. */
	check_field("seq", "18446744073709551616", SAMPLE_E_SEQ);
	check_field("seq", "99999999999999999999999", SAMPLE_E_SEQ);
	check_field("seq", "18446744073709551615", SAMPLE_OK);
	check_field("seq", "0", SAMPLE_OK);
	check_field("seq", "-0", SAMPLE_OK);

	check_field("sid", "\"9f2c41d07ab355e1\"", SAMPLE_OK);
	check_field("sid", "\"0000000000000000\"", SAMPLE_OK);
	check_field("sid", "\"9f2c41d07ab355e\"", SAMPLE_E_SID);
	check_field("sid", "\"9f2c41d07ab355e1a\"", SAMPLE_E_SID);
	check_field("sid", "\"9F2C41D07AB355E1\"", SAMPLE_E_SID);
	check_field("sid", "\"../../etc/passwd\"", SAMPLE_E_SID);
	check_field("sid", "\"9f2c41d07ab355\\u0000e\"", SAMPLE_E_SID);
	check_field("sid", "\"\"", SAMPLE_E_SID);
	check_field("sid", "12", SAMPLE_E_SID);
	check_field("sid", "null", SAMPLE_E_SID);

	check_field("prev", "9", SAMPLE_OK);
	check_field("prev", "0", SAMPLE_OK);
	check_field("prev", "10", SAMPLE_E_PREV);
	check_field("prev", "11", SAMPLE_E_PREV);
	check_field("prev", "18446744073709551615", SAMPLE_E_PREV);
	check_field("prev", "18446744073709551616", SAMPLE_E_PREV);
	check_field("prev", "-1", SAMPLE_E_PREV);
	check_field("prev", "1.5", SAMPLE_E_PREV);
	check_field("prev", "\"9\"", SAMPLE_E_PREV);
	check_field("prev", "null", SAMPLE_E_PREV);
}

static void
test_ts_interval(void **state)
{
	(void)state;
	check_field("ts", NULL, SAMPLE_E_MISSING);
	check_field("ts", "\"x\"", SAMPLE_E_TS);
	check_field("ts", "0", SAMPLE_E_TS);
	check_field("ts", "-5", SAMPLE_E_TS);
	check_field("ts", "1763800020.5", SAMPLE_E_TS);
	check_field("ts", "null", SAMPLE_E_TS);
	check_field("ts", "9223372036854775808", SAMPLE_E_TS);
	check_field("ts", "99999999999999999999", SAMPLE_E_TS);

	check_field("interval", NULL, SAMPLE_E_MISSING);
	check_field("interval", "0", SAMPLE_E_INTERVAL);
	check_field("interval", "3601", SAMPLE_E_INTERVAL);
	check_field("interval", "-60", SAMPLE_E_INTERVAL);
	check_field("interval", "60.5", SAMPLE_E_INTERVAL);
	check_field("interval", "\"60\"", SAMPLE_E_INTERVAL);
	check_field("interval", "4294967356", SAMPLE_E_INTERVAL);	/* 2^32 + 60 */
	check_field("interval", "1", SAMPLE_OK);
	check_field("interval", "3600", SAMPLE_OK);
}

/* Every name finds its own index, and near misses none. */
static void
test_metric_lookup(void **state)
{
	char buf[64];
	(void)state;

	for (int i = 0; i < METRIC_COUNT; i++) {
		const char *n = metric_table[i].name;
		assert_int_equal(metric_lookup(n), i);
		snprintf(buf, sizeof(buf), "%sx", n);
		assert_int_equal(metric_lookup(buf), -1);
		snprintf(buf, sizeof(buf), "%.*s", (int)strlen(n) - 1, n);
		assert_int_equal(metric_lookup(buf), -1);
		snprintf(buf, sizeof(buf), "%s", n);
		buf[0] = (char)(buf[0] - 'a' + 'A');
		assert_int_equal(metric_lookup(buf), -1);
	}
	assert_int_equal(metric_lookup(""), -1);
	assert_int_equal(metric_lookup("future_metric"), -1);
}

static void
test_metrics(void **state)
{
	struct sample s;
	const char *p;
	(void)state;

	check_field("m", NULL, SAMPLE_E_MISSING);
	check_field("m", "[]", SAMPLE_E_TYPE);
	check_field("m", "\"x\"", SAMPLE_E_TYPE);
	check_field("m", "null", SAMPLE_E_TYPE);
	check_field("m", "1", SAMPLE_E_TYPE);
	expect(HEAD ",\"m\":{\"clients\":\"14\"}}", SAMPLE_E_TYPE, "'m.clients'");
	expect(HEAD ",\"m\":{\"clients\":true}}", SAMPLE_E_TYPE, "'m.clients'");
	expect(HEAD ",\"m\":{\"clients\":null}}", SAMPLE_E_TYPE, "'m.clients'");
	expect(HEAD ",\"m\":{\"clients\":[14]}}", SAMPLE_E_TYPE, "'m.clients'");
	expect(HEAD ",\"m\":{\"clients\":{}}}", SAMPLE_E_TYPE, "'m.clients'");
	/* json-c would hold it as 2^64-1, a different number. */
	expect(HEAD ",\"m\":{\"if_rx_bps\":99999999999999999999}}", SAMPLE_E_TYPE,
	    "'m.if_rx_bps'");

	expect(HEAD ",\"m\":{\"icmp_rtt_avg_ms\":1e309}}", SAMPLE_E_NONFINITE,
	    "'m.icmp_rtt_avg_ms'");
	expect(HEAD ",\"m\":{\"radio_signal_dbm\":-1e309}}", SAMPLE_E_NONFINITE,
	    "'m.radio_signal_dbm'");
	expect(HEAD ",\"m\":{\"icmp_rtt_avg_ms\":NaN}}", SAMPLE_E_NONFINITE,
	    "'m.icmp_rtt_avg_ms'");
	expect(HEAD ",\"m\":{\"icmp_rtt_avg_ms\":nan}}", SAMPLE_E_NONFINITE, NULL);
	expect(HEAD ",\"m\":{\"icmp_rtt_avg_ms\":Infinity}}", SAMPLE_E_NONFINITE, NULL);
	expect(HEAD ",\"m\":{\"icmp_rtt_avg_ms\":-Infinity}}", SAMPLE_E_NONFINITE, NULL);
	expect(HEAD ",\"m\":{\"icmp_rtt_avg_ms\":-inf}}", SAMPLE_E_NONFINITE, NULL);
	expect(HEAD ",\"x\":NaN,\"m\":{}}", SAMPLE_E_NONFINITE, "'x'");
	expect("NaN", SAMPLE_E_NONFINITE, NULL);
	expect(HEAD ",\"m\":{\"icmp_rtt_avg_ms\":Nope}}", SAMPLE_E_JSON, NULL);
	/* Underflow is a number, 0. */
	expect(HEAD ",\"m\":{\"icmp_rtt_avg_ms\":1e-400}}", SAMPLE_OK, NULL);

	/* Unknown metrics are counted and ignored, whatever they hold;
	 * unknown top-level keys are ignored. */
	p = HEAD ",\"hello\":[1,{\"x\":\"y\"}],\"m\":{\"clients\":3,\"future_metric\":1.5,"
	    "\"other\":\"text\",\"CLIENTS\":1}}";
	assert_int_equal(sample_decode(p, strlen(p), &s, NULL, 0), SAMPLE_OK);
	assert_int_equal(s.unknown_metrics, 3);
	assert_true(s.present == (uint64_t)1 << M_CLIENTS);
	assert_true(s.m[M_CLIENTS] == 3);

	/* Big and negative integers become the nearest double. */
	p = HEAD ",\"m\":{\"if_rx_bps\":18446744073709551615,\"radio_noise_dbm\":-95,"
	    "\"pcap_drop\":-9223372036854775808}}";
	assert_int_equal(sample_decode(p, strlen(p), &s, NULL, 0), SAMPLE_OK);
	assert_true(s.m[M_IF_RX_BPS] == 18446744073709551615.0);
	assert_true(s.m[M_RADIO_NOISE_DBM] == -95);
	assert_true(s.m[M_PCAP_DROP] == -9223372036854775808.0);
}

static void
test_msg_optional(void **state)
{
	struct sample s;
	char small[8];
	(void)state;

	/* No message buffer, or a tiny one, is fine. */
	assert_int_equal(sample_decode("[]", 2, &s, NULL, 0), SAMPLE_E_NOT_OBJECT);
	assert_int_equal(sample_decode("{\"v\":2}", 7, &s, small, sizeof(small)),
	    SAMPLE_E_VERSION);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_int_equal(sample_decode("{", 1, &s, small, sizeof(small)), SAMPLE_E_JSON);
}

static void
roundtrip(const struct sample *in)
{
	struct sample out;
	char buf[SAMPLE_MAX_BYTES], msg[256];
	int n;

	n = sample_encode(in, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(buf));
	if (sample_decode(buf, (size_t)n, &out, msg, sizeof(msg)) != SAMPLE_OK)
		fail_msg("%s: %s", buf, msg);
	assert_string_equal(out.agent, in->agent);
	assert_string_equal(out.sid, in->sid);
	assert_true(out.seq == in->seq);
	assert_int_equal(out.has_prev, in->has_prev);
	if (in->has_prev)
		assert_true(out.prev == in->prev);
	assert_true(out.ts == in->ts);
	assert_int_equal(out.interval, in->interval);
	assert_true(out.present == in->present);
	assert_int_equal(out.unknown_metrics, 0);
	for (int i = 0; i < METRIC_COUNT; i++) {
		if (!sample_has(in, i))
			continue;
		if (out.m[i] != in->m[i])
			fail_msg("%s: %.17g came back as %.17g in %s", metric_table[i].name,
			    in->m[i], out.m[i], buf);
	}
}

static void
test_roundtrip(void **state)
{
	static const double vals[] = {
		0.1, -67, 1e-7, 123456789.123, 0, 1, 48.2, 1200000, 28, -0.000123,
		1e20, 1e15, 9007199254740993.0, 4503599627370495.5, 99.99999999999999,
		DBL_MAX, -DBL_MAX, DBL_MIN, 5e-324, 1.0 / 3, 2.0 / 3, 18446744073709551616.0,
	};
	const size_t nvals = sizeof(vals) / sizeof(vals[0]);
	struct sample s;
	(void)state;

	/* Every value in every metric, all at once and one at a time. */
	for (size_t j = 0; j < nvals; j++) {
		sample_init(&s);
		strcpy(s.agent, "lc-batxat-suoichai-01");
		s.seq = 1842 + j;
		s.ts = 1763800020;
		s.interval = 60;
		for (int i = 0; i < METRIC_COUNT; i++)
			sample_set(&s, i, vals[(j + (size_t)i) % nvals]);
		roundtrip(&s);
	}
	for (int i = 0; i < METRIC_COUNT; i++) {
		for (size_t j = 0; j < nvals; j++) {
			sample_init(&s);
			strcpy(s.agent, "a");
			s.seq = UINT64_MAX;
			s.has_prev = true;
			s.prev = UINT64_MAX - 1;
			s.ts = INT64_MAX;
			s.interval = 3600;
			sample_set(&s, i, vals[j]);
			roundtrip(&s);
		}
	}
	/* No metrics at all. */
	sample_init(&s);
	strcpy(s.agent, "a");
	s.ts = 1;
	s.interval = 1;
	roundtrip(&s);
}

static void
test_encode(void **state)
{
	struct sample s;
	char buf[512];
	const char *want;
	(void)state;

	sample_init(&s);
	strcpy(s.agent, "lc-01");
	s.seq = 1842;
	s.has_prev = true;
	s.prev = 1841;
	s.ts = 1763800020;
	s.interval = 60;
	/* Set out of table order: the encoder writes table order. */
	sample_set(&s, M_SUPPLY_VOLTS, 0.1);
	sample_set(&s, M_CLIENTS, 14);
	sample_set(&s, M_ICMP_RTT_AVG_MS, 48.2);
	sample_set(&s, M_IF_RX_BPS, 1200000);
	sample_set(&s, M_RADIO_SIGNAL_DBM, -67);
	sample_set(&s, M_ICMP_RTT_MIN_MS, 41.0);
	s.m[M_TCP_HS_RTT_MS] = 1e-7;
	s.present |= (uint64_t)1 << M_TCP_HS_RTT_MS;
	/* A value left in m[] but not marked present is not sent. */
	s.m[M_CLIENTS + 1] = 99;
	/* tcp_hs_rtt_ms comes before supply_volts in the table. */
	want = "{\"v\":1,\"agent\":\"lc-01\",\"seq\":1842,\"prev\":1841,"
	    "\"ts\":1763800020,\"interval\":60,\"m\":{\"icmp_rtt_min_ms\":41,"
	    "\"icmp_rtt_avg_ms\":48.2,\"if_rx_bps\":1200000,\"radio_signal_dbm\":-67,"
	    "\"clients\":14,\"tcp_hs_rtt_ms\":1e-07,\"supply_volts\":0.1}}";
	int n = sample_encode(&s, buf, sizeof(buf));
	assert_string_equal(buf, want);
	assert_int_equal(n, (int)strlen(want));

	/* Every buffer shorter than the text fails, none is overrun. */
	for (size_t len = 0; len <= strlen(want); len++) {
		char *b = malloc(len > 0 ? len : 1);
		assert_non_null(b);
		assert_int_equal(sample_encode(&s, len > 0 ? b : NULL, len), -1);
		free(b);
	}
	assert_int_equal(sample_encode(&s, buf, strlen(want) + 1), n);

	/* What the decoder would refuse is not encoded. */
	struct sample t = s;
	sample_set(&t, M_CLIENTS, NAN);
	assert_int_equal(sample_encode(&t, buf, sizeof(buf)), -1);
	t = s;
	sample_set(&t, M_CLIENTS, INFINITY);
	assert_int_equal(sample_encode(&t, buf, sizeof(buf)), -1);
	t = s;
	sample_set(&t, M_CLIENTS, -INFINITY);
	assert_int_equal(sample_encode(&t, buf, sizeof(buf)), -1);
	t = s;
	strcpy(t.agent, "../x");
	assert_int_equal(sample_encode(&t, buf, sizeof(buf)), -1);
	t = s;
	strcpy(t.agent, "a\"b");
	assert_int_equal(sample_encode(&t, buf, sizeof(buf)), -1);
	t = s;
	t.interval = 0;
	assert_int_equal(sample_encode(&t, buf, sizeof(buf)), -1);
	t = s;
	t.interval = 3601;
	assert_int_equal(sample_encode(&t, buf, sizeof(buf)), -1);
	t = s;
	t.ts = 0;
	assert_int_equal(sample_encode(&t, buf, sizeof(buf)), -1);
	t = s;
	t.prev = t.seq;
	assert_int_equal(sample_encode(&t, buf, sizeof(buf)), -1);
	t = s;
	strcpy(t.sid, "9f2c41d07ab355eZ");
	assert_int_equal(sample_encode(&t, buf, sizeof(buf)), -1);
	/* The spool id goes after the agent, and comes back. */
	t = s;
	strcpy(t.sid, "9f2c41d07ab355e1");
	assert_true(sample_encode(&t, buf, sizeof(buf)) > 0);
	assert_true(strncmp(buf, "{\"v\":1,\"agent\":\"lc-01\",\"sid\":\"9f2c41d07ab355e1\","
	    "\"seq\":1842,", 55) == 0);
	roundtrip(&t);
	/* A non-finite value in a slot not marked present is not looked at. */
	t = s;
	t.m[M_PCAP_PPS] = NAN;
	assert_true(sample_encode(&t, buf, sizeof(buf)) > 0);
}

static void
test_ack(void **state)
{
	static const uint64_t seqs[] = { 0, 1, 1842, (uint64_t)INT64_MAX + 1, UINT64_MAX };
	char buf[64], sid[SID_LEN + 1];
	uint64_t seq;
	(void)state;

	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		int n = ack_encode(seqs[i], "9f2c41d07ab355e1", buf, sizeof(buf));
		assert_true(n > 0);
		assert_int_equal((size_t)n, strlen(buf));
		seq = 7;
		assert_int_equal(ack_decode(buf, (size_t)n, &seq, sid), 0);
		assert_true(seq == seqs[i]);
		assert_string_equal(sid, "9f2c41d07ab355e1");
	}
	assert_int_equal(ack_encode(1842, "", buf, sizeof(buf)), 18);
	assert_string_equal(buf, "{\"v\":1,\"seq\":1842}");
	assert_int_equal(ack_encode(1842, "", buf, 18), -1);
	assert_int_equal(ack_encode(1842, "", buf, 0), -1);
	assert_int_equal(ack_encode(1842, "9f2c41d07ab355e1", buf, sizeof(buf)), 43);
	assert_string_equal(buf, "{\"v\":1,\"seq\":1842,\"sid\":\"9f2c41d07ab355e1\"}");
	/* Never an ack the agent would refuse. */
	assert_int_equal(ack_encode(1842, "9F2C41D07AB355E1", buf, sizeof(buf)), -1);
	assert_int_equal(ack_encode(1842, "9f2c", buf, sizeof(buf)), -1);

	const char *p = " {\"seq\":5,\"v\":1,\"later\":true}\n";
	memcpy(sid, "xxxxxxxxxxxxxxxx", sizeof sid);
	assert_int_equal(ack_decode(p, strlen(p), &seq, sid), 0);
	assert_true(seq == 5);
	assert_string_equal(sid, "");         /* an older collector's ack */

	static const char *const bad[] = {
		"", "{}", "[]", "{\"v\":1}", "{\"seq\":5}", "{\"v\":2,\"seq\":5}",
		"{\"v\":\"1\",\"seq\":5}", "{\"v\":1,\"seq\":-1}", "{\"v\":1,\"seq\":1.5}",
		"{\"v\":1,\"seq\":\"5\"}", "{\"v\":1,\"seq\":null}",
		"{\"v\":1,\"seq\":18446744073709551616}", "{\"v\":1,\"seq\":5,\"seq\":6}",
		"{\"v\":1,\"seq\":5} x", "{\"v\":1,\"seq\":5", "{\"v\":1,\"seq\":NaN}",
		"{\"v\":1,\"seq\":5,\"x\":\"\xff\"}",
		"{\"v\":1,\"seq\":5,\"sid\":\"9f2c41d07ab355e\"}",
		"{\"v\":1,\"seq\":5,\"sid\":\"9f2c41d07ab355e1f\"}",
		"{\"v\":1,\"seq\":5,\"sid\":\"9F2C41D07AB355E1\"}",
		"{\"v\":1,\"seq\":5,\"sid\":\"9f2c41d07ab355g1\"}",
		"{\"v\":1,\"seq\":5,\"sid\":12}", "{\"v\":1,\"seq\":5,\"sid\":null}",
		"{\"v\":1,\"seq\":5,\"sid\":\"9f2c41d07ab355e\\u0000\"}", NULL,
	};
	for (int i = 0; bad[i] != NULL; i++) {
		seq = 7;
		memcpy(sid, "unchangedunchang", sizeof sid);
		if (ack_decode(bad[i], strlen(bad[i]), &seq, sid) != -1)
			fail_msg("ack '%s' accepted", bad[i]);
		assert_true(seq == 7);
		assert_string_equal(sid, "unchangedunchang");
	}
	assert_int_equal(ack_decode(NULL, 0, &seq, sid), -1);
}

static void
state_roundtrip(const struct agent_state *in)
{
	struct agent_state out;
	char buf[256];
	int n;

	n = state_encode(in, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(buf));
	memset(&out, 0x55, sizeof(out));
	if (state_decode(buf, (size_t)n, &out) != 0)
		fail_msg("state '%s' refused", buf);
	assert_int_equal(out.online, in->online);
	assert_true(out.ts == in->ts);
	assert_true(out.boot_ts == in->boot_ts);
	assert_string_equal(out.version, in->version);
	assert_string_equal(out.sid, in->sid);
}

static void
test_state(void **state)
{
	struct agent_state st, out;
	char buf[256];
	const char *p;
	(void)state;

	memset(&st, 0, sizeof(st));
	st.online = true;
	st.ts = 1763800020;
	st.boot_ts = 1763700000;
	strcpy(st.version, "0.1.0");
	const char *want = "{\"v\":1,\"state\":\"online\",\"ts\":1763800020,"
	    "\"version\":\"0.1.0\",\"boot_ts\":1763700000}";
	assert_int_equal(state_encode(&st, buf, sizeof(buf)), (int)strlen(want));
	assert_string_equal(buf, want);
	assert_int_equal(state_encode(&st, buf, strlen(want)), -1);
	state_roundtrip(&st);
	st.online = false;
	state_roundtrip(&st);
	/* A version string is escaped, whatever it holds. */
	strcpy(st.version, "1.0 \"beta\" \\ \t\x01 Vi\xe1\xbb\x87t");
	state_roundtrip(&st);
	strcpy(st.version, "");
	state_roundtrip(&st);
	strcpy(st.sid, "9f2c41d07ab355e1");
	assert_true(state_encode(&st, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, ",\"sid\":\"9f2c41d07ab355e1\"}"));
	state_roundtrip(&st);
	st.sid[0] = '\0';
	memset(st.version, 'x', sizeof(st.version) - 1);
	st.version[sizeof(st.version) - 1] = '\0';
	state_roundtrip(&st);
	/* Not UTF-8: refused rather than sent as a payload nobody can read. */
	strcpy(st.version, "1.0\xff");
	assert_int_equal(state_encode(&st, buf, sizeof(buf)), -1);

	/* Tolerant of what an older or newer agent leaves out or adds. */
	p = "{\"v\":1,\"state\":\"offline\",\"ts\":5,\"extra\":[1]}";
	memset(&out, 0x55, sizeof(out));
	assert_int_equal(state_decode(p, strlen(p), &out), 0);
	assert_false(out.online);
	assert_true(out.ts == 5);
	assert_string_equal(out.version, "");
	assert_true(out.boot_ts == 0);
	assert_string_equal(out.sid, "");
	/* A spool id that is not one is left out, not a reason to lose the state. */
	p = "{\"v\":1,\"state\":\"online\",\"ts\":5,\"sid\":\"../x\"}";
	assert_int_equal(state_decode(p, strlen(p), &out), 0);
	assert_string_equal(out.sid, "");
	/* A version too long for the struct is cut at a character boundary. */
	p = "{\"v\":1,\"state\":\"online\",\"ts\":5,"
	    "\"version\":\"0123456789012345678901234567\xe1\xbb\x87xyz\"}";
	assert_int_equal(state_decode(p, strlen(p), &out), 0);
	assert_string_equal(out.version, "0123456789012345678901234567\xe1\xbb\x87");
	p = "{\"v\":1,\"state\":\"online\",\"ts\":5,"
	    "\"version\":\"01234567890123456789012345678\xe1\xbb\x87xyz\"}";
	assert_int_equal(state_decode(p, strlen(p), &out), 0);
	assert_string_equal(out.version, "01234567890123456789012345678");

	static const char *const bad[] = {
		"", "[]", "{}", "{\"state\":\"online\",\"ts\":5}",
		"{\"v\":2,\"state\":\"online\",\"ts\":5}",
		"{\"v\":1,\"state\":\"up\",\"ts\":5}",
		"{\"v\":1,\"state\":\"Online\",\"ts\":5}",
		"{\"v\":1,\"state\":true,\"ts\":5}",
		"{\"v\":1,\"ts\":5}",
		"{\"v\":1,\"state\":\"online\"}",
		"{\"v\":1,\"state\":\"online\",\"ts\":\"x\"}",
		"{\"v\":1,\"state\":\"online\",\"ts\":5.5}",
		"{\"v\":1,\"state\":\"online\",\"ts\":99999999999999999999}",
		"{\"v\":1,\"state\":\"online\",\"ts\":5,\"version\":5}",
		"{\"v\":1,\"state\":\"online\",\"ts\":5,\"boot_ts\":\"x\"}",
		"{\"v\":1,\"state\":\"online\",\"ts\":5,\"state\":\"offline\"}",
		"{\"v\":1,\"state\":\"online\",\"ts\":5}}",
		NULL,
	};
	for (int i = 0; bad[i] != NULL; i++) {
		memset(&out, 0x55, sizeof(out));
		if (state_decode(bad[i], strlen(bad[i]), &out) != -1)
			fail_msg("state '%s' accepted", bad[i]);
		assert_int_equal(out.ts, 0x5555555555555555);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_not_nul_terminated),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_bad_json),
		cmocka_unit_test(test_dupkey),
		cmocka_unit_test(test_not_object),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_agent),
		cmocka_unit_test(test_seq_prev),
		cmocka_unit_test(test_ts_interval),
		cmocka_unit_test(test_metric_lookup),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_msg_optional),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_ack),
		cmocka_unit_test(test_state),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
