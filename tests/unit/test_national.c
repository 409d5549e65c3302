/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The national view (collector/national.c): the summary decoder on good
 * input, on what the province collectors' own API renders, and on each
 * kind of bad input (types, ids, sizes, values that do not add up, a clock
 * ahead); the table that keeps the last good summary of each province and
 * marks the old ones stale; its API, its metrics and its overview page. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testlib.h"

#include <json-c/json.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "collector.h"
#include "coverage.h"
#include "national.h"
#include "pages.h"
#include "snapshot.h"

#define NOW	1700000000.0
#define SKEW	300.0
#define STALE	180.0

#define COUNTS(c, dg, dn, ur, um, t) \
	"\"counts\":{\"covered\":" #c ",\"degraded\":" #dg ",\"down\":" #dn \
	",\"unreachable\":" #ur ",\"unmonitored\":" #um ",\"total\":" #t "}"

/* Lao Cai as its collector renders /api/v1/provinces/lao-cai. */
static const char lao_cai[] =
    "{\"id\":\"lao-cai\",\"name\":\"Lào Cai\",\"covered_pct\":50.00,\"target_pct\":95,"
    "\"deadline\":\"2026-06-30\",\"colour\":\"red\"," COUNTS(2, 1, 0, 0, 1, 4) ","
    "\"overdue\":1,\"communes\":["
    "{\"id\":\"bat-xat\",\"name\":\"Bát Xát\",\"covered_pct\":66.67,\"target_pct\":90,"
    "\"deadline\":\"2025-09-30\",\"colour\":\"red\"," COUNTS(2, 1, 0, 0, 0, 3) ","
    "\"overdue\":0,\"province\":\"lao-cai\",\"target_from\":\"commune\"},"
    "{\"id\":\"y-ty\",\"name\":\"Y Tý\",\"covered_pct\":0.00,\"target_pct\":95,"
    "\"deadline\":\"2026-06-30\",\"colour\":\"red\"," COUNTS(0, 0, 0, 0, 1, 1) ","
    "\"overdue\":1,\"province\":\"lao-cai\",\"target_from\":\"province\"}],"
    "\"evaluated_at\":1700000000,\"blind\":false}";

static const char thai_nguyen[] =
    "{\"id\":\"thai-nguyen\",\"name\":\"Thái Nguyên\",\"covered_pct\":100.00,"
    "\"target_pct\":97,\"deadline\":\"2025-12-31\",\"colour\":\"green\","
    COUNTS(2, 0, 0, 0, 0, 2) ",\"overdue\":0,\"communes\":["
    "{\"id\":\"dai-tu\",\"name\":\"Đại Từ\",\"covered_pct\":100.00,\"target_pct\":97,"
    "\"deadline\":\"2025-12-31\",\"colour\":\"green\"," COUNTS(2, 0, 0, 0, 0, 2) ","
    "\"overdue\":0,\"province\":\"thai-nguyen\"}],\"evaluated_at\":1700000000}";

/* s with its first `from` replaced by `to` (static buffer). */
static const char *
mutate(const char *s, const char *from, const char *to)
{
	static char buf[8192];
	const char *at = strstr(s, from);

	if (at == NULL)
		fail_msg("'%s' is not in the summary", from);
	snprintf(buf, sizeof buf, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
	return buf;
}

static enum national_err
decode(const char *province, const char *json, struct national_summary *out)
{
	char msg[512];
	enum national_err e = national_decode(province, json, strlen(json), NOW, SKEW, out, msg,
	    sizeof msg);

	if (e != NAT_OK) {
		assert_true(msg[0] != '\0');
		assert_null(out->json);
	}
	return e;
}

static void
test_decode_good(void **state)
{
	struct national_summary s;

	(void)state;
	assert_int_equal(decode("lao-cai", lao_cai, &s), NAT_OK);
	assert_string_equal(s.id, "lao-cai");
	assert_string_equal(s.name, "Lào Cai");
	assert_int_equal(s.ru.counts[HS_COVERED], 2);
	assert_int_equal(s.ru.counts[HS_DEGRADED], 1);
	assert_int_equal(s.ru.counts[HS_UNMONITORED], 1);
	assert_int_equal(s.ru.total, 4);
	assert_int_equal(s.ru.overdue, 1);
	assert_true(fabs(s.ru.covered_pct - 50) < 1e-9);
	assert_true(fabs(s.ru.target_pct - 95) < 1e-9);
	assert_int_equal(s.ru.colour, COLOUR_RED);
	char d[16];
	inventory_date_str(s.ru.deadline, d, sizeof d);
	assert_string_equal(d, "2026-06-30");
	assert_int_equal(s.ncommunes, 2);
	assert_true(s.evaluated_at == NOW);
	assert_true(s.received_at == NOW);
	/* Kept as it came: the figures' text too (66.67 stays 66.67). */
	assert_string_equal(s.json, lao_cai);
	assert_int_equal(s.len, strlen(lao_cai));
	national_summary_clear(&s);

	/* No target: null percent, deadline and colour. */
	assert_int_equal(decode("lao-cai", mutate(lao_cai,
	    "\"target_pct\":95,\"deadline\":\"2026-06-30\",\"colour\":\"red\"",
	    "\"target_pct\":null,\"deadline\":null,\"colour\":null"), &s), NAT_OK);
	assert_true(isnan(s.ru.target_pct));
	assert_int_equal(s.ru.deadline, INV_NO_DATE);
	assert_int_equal(s.ru.colour, COLOUR_NONE);
	national_summary_clear(&s);

	/* An older collector's summary has no evaluated_at: its age is
	 * counted from when it came. */
	assert_int_equal(decode("lao-cai", mutate(lao_cai, ",\"evaluated_at\":1700000000", ""),
	    &s), NAT_OK);
	assert_true(s.evaluated_at == 0);
	assert_true(national_age(&s, NOW + 42) == 42);
	national_summary_clear(&s);

	/* A newer one's fields pass through; the view's own are dropped. */
	assert_int_equal(decode("lao-cai", mutate(lao_cai, "\"blind\":false",
	    "\"blind\":false,\"future\":{\"x\":[1]},\"stale\":true,\"age_s\":\"x\""), &s), NAT_OK);
	assert_non_null(strstr(s.json, "\"future\":{\"x\":[1]}"));
	assert_null(strstr(s.json, "stale"));
	assert_null(strstr(s.json, "age_s"));
	national_summary_clear(&s);

	/* An empty province. */
	assert_int_equal(decode("ha-giang", "{\"id\":\"ha-giang\",\"name\":null,"
	    "\"covered_pct\":null,\"target_pct\":null,\"deadline\":null,\"colour\":null,"
	    COUNTS(0, 0, 0, 0, 0, 0) ",\"communes\":[]}", &s), NAT_OK);
	assert_string_equal(s.name, "ha-giang");
	assert_true(isnan(s.ru.covered_pct));
	national_summary_clear(&s);
}

static const struct {
	const char *from, *to;
	enum national_err want;
} bad[] = {
	/* types */
	{ "\"id\":\"lao-cai\"", "\"id\":7", NAT_E_TYPE },
	{ "\"id\":\"lao-cai\"", "\"id\":null", NAT_E_TYPE },
	{ "\"name\":\"Lào Cai\"", "\"name\":[]", NAT_E_TYPE },
	{ "\"covered_pct\":50.00", "\"covered_pct\":\"50\"", NAT_E_TYPE },
	{ "\"target_pct\":95", "\"target_pct\":true", NAT_E_TYPE },
	{ "\"deadline\":\"2026-06-30\"", "\"deadline\":20260630", NAT_E_TYPE },
	{ "\"colour\":\"red\"", "\"colour\":1", NAT_E_TYPE },
	{ "\"counts\":{", "\"counts\":[],\"x\":{", NAT_E_TYPE },
	{ "\"covered\":2,", "\"covered\":2.0,", NAT_E_TYPE },
	{ "\"covered\":2,", "\"covered\":\"2\",", NAT_E_TYPE },
	{ "\"overdue\":1,", "\"overdue\":null,", NAT_E_TYPE },
	{ "\"communes\":[", "\"communes\":7,\"c\":[", NAT_E_TYPE },
	{ "\"communes\":[", "\"communes\":[1,", NAT_E_TYPE },
	{ "\"evaluated_at\":1700000000", "\"evaluated_at\":\"now\"", NAT_E_TYPE },
	/* missing fields */
	{ "\"id\":\"lao-cai\",", "", NAT_E_MISSING },
	{ "\"unmonitored\":1,\"total\":4}", "\"total\":4}", NAT_E_MISSING },
	{ "\"colour\":\"red\",", "", NAT_E_MISSING },
	{ "{\"id\":\"bat-xat\",\"name\":\"Bát Xát\",", "{\"id\":\"bat-xat\",", NAT_E_MISSING },
	/* ids */
	{ "\"id\":\"lao-cai\"", "\"id\":\"Lao Cai\"", NAT_E_ID },
	{ "\"id\":\"lao-cai\"", "\"id\":\"_province\"", NAT_E_ID },
	{ "\"id\":\"lao-cai\"", "\"id\":\"thai-nguyen\"", NAT_E_MISMATCH },
	{ "\"id\":\"bat-xat\"", "\"id\":\"../bat-xat\"", NAT_E_ID },
	{ "\"id\":\"bat-xat\"", "\"id\":\"bat\\u0000xat\"", NAT_E_VALUE },
	{ "\"province\":\"lao-cai\"", "\"province\":\"thai-nguyen\"", NAT_E_MISMATCH },
	{ "\"province\":\"lao-cai\"", "\"province\":\"LAO\"", NAT_E_ID },
	/* values that contradict each other or the calendar */
	{ "\"total\":4", "\"total\":5", NAT_E_VALUE },
	{ "\"covered\":2,", "\"covered\":-2,", NAT_E_VALUE },
	{ "\"covered\":2,", "\"covered\":99999999999,", NAT_E_VALUE },
	{ "\"covered_pct\":50.00", "\"covered_pct\":75.00", NAT_E_VALUE },
	{ "\"covered_pct\":50.00", "\"covered_pct\":null", NAT_E_VALUE },
	{ "\"target_pct\":95", "\"target_pct\":195", NAT_E_VALUE },
	{ "\"deadline\":\"2026-06-30\"", "\"deadline\":\"2026-02-30\"", NAT_E_VALUE },
	{ "\"deadline\":\"2026-06-30\"", "\"deadline\":\"2026-06-30T00:00\"", NAT_E_VALUE },
	{ "\"colour\":\"red\"", "\"colour\":\"blue\"", NAT_E_VALUE },
	{ "\"overdue\":1,\"communes\"", "\"overdue\":9,\"communes\"", NAT_E_VALUE },
	{ "\"evaluated_at\":1700000000", "\"evaluated_at\":-5", NAT_E_VALUE },
	/* a commune twice, or communes that do not make up the province:
	 * a hamlet counted twice or not at all */
	{ "{\"id\":\"y-ty\"", "{\"id\":\"bat-xat\"", NAT_E_VALUE },
	{ "\"unmonitored\":1,\"total\":1}", "\"unmonitored\":2,\"total\":2}", NAT_E_VALUE },
	{ ",{\"id\":\"y-ty\"", ",\"x\":{\"id\":\"y-ty\"", NAT_E_JSON },
	/* the clock */
	{ "\"evaluated_at\":1700000000", "\"evaluated_at\":1700003600", NAT_E_CLOCK },
	/* not JSON, or not one value, bad UTF-8, too deep */
	{ "\"blind\":false}", "\"blind\":false", NAT_E_JSON },
	{ "\"blind\":false}", "\"blind\":false}}", NAT_E_JSON },
	{ "\"blind\":false}", "\"blind\":false} {}", NAT_E_JSON },
	{ "Lào Cai", "L\xff\xfe Cai", NAT_E_JSON },
	{ "\"blind\":false}", "\"blind\":[[[[[[[[[[1]]]]]]]]]]}", NAT_E_JSON },
	{ "\"blind\":false}", "\"blind\":NaN}", NAT_E_JSON },
	{ "\"blind\":false}", "\"blind\":[{\"x\":-Infinity}]}", NAT_E_JSON },
	{ "\"blind\":false}", "\"blind\":1e999}", NAT_E_JSON },
};

static void
test_decode_bad(void **state)
{
	struct national_summary s;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		enum national_err e = decode("lao-cai", mutate(lao_cai, bad[i].from, bad[i].to), &s);
		if (e != bad[i].want)
			fail_msg("case %zu (%s -> %s): %s, expected %s", i, bad[i].from, bad[i].to,
			    national_err_reason(e), national_err_reason(bad[i].want));
	}
	assert_int_equal(decode("lao-cai", "[1]", &s), NAT_E_NOT_OBJECT);
	assert_int_equal(decode("lao-cai", "\"lao-cai\"", &s), NAT_E_NOT_OBJECT);
	assert_int_equal(decode("lao-cai", "", &s), NAT_E_JSON);
	assert_int_equal(decode("lao-cai", "   ", &s), NAT_E_JSON);
	/* A name past the inventory's bound. */
	char name[400];
	memset(name, 'x', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	char to[460];
	snprintf(to, sizeof to, "\"name\":\"%s\"", name);
	assert_int_equal(decode("lao-cai", mutate(lao_cai, "\"name\":\"Lào Cai\"", to), &s),
	    NAT_E_VALUE);
	assert_string_equal(national_err_reason(NAT_E_MISMATCH), "province_mismatch");
}

static void
test_decode_oversize(void **state)
{
	struct national_summary s;
	char msg[256];
	size_t big = NATIONAL_SUMMARY_MAX + 1;
	char *buf = malloc(big);

	(void)state;
	assert_non_null(buf);
	/* Refused by its size before any parsing. */
	memset(buf, ' ', big);
	memcpy(buf, lao_cai, strlen(lao_cai));
	assert_int_equal(national_decode("lao-cai", buf, big, NOW, SKEW, &s, msg, sizeof msg),
	    NAT_E_TOO_BIG);
	assert_non_null(strstr(msg, "more than"));
	/* Just under the size but with more communes than the bound. */
	size_t n = 0;
	n += (size_t)snprintf(buf + n, big - n, "{\"id\":\"lao-cai\",\"name\":\"L\","
	    "\"covered_pct\":null,\"target_pct\":null,\"deadline\":null,\"colour\":null,"
	    COUNTS(0, 0, 0, 0, 0, 0) ",\"communes\":[");
	for (int i = 0; i <= NATIONAL_MAX_COMMUNES; i++)
		n += (size_t)snprintf(buf + n, big - n, "%s{}", i ? "," : "");
	n += (size_t)snprintf(buf + n, big - n, "]}");
	assert_true(n < big);
	assert_int_equal(national_decode("lao-cai", buf, n, NOW, SKEW, &s, msg, sizeof msg),
	    NAT_E_TOO_BIG);
	assert_non_null(strstr(msg, "communes"));
	free(buf);
}

/* What a province collector publishes is what the view accepts: a
 * province evaluated by coverage_evaluate(), rendered by api_render()
 * as evaluator.c does for the retained summary, decoded back. */
static const char inv_csv[] =
    "hamlet_id,hamlet_name,village,commune_id,commune_name,province_id,province_name,"
    "lat,lon,agent_id,uplink_hamlet_id,target_date,population\n"
    "h1,Suối Chải,,bat-xat,Bát Xát,lao-cai,Lào Cai,,,a1,,2025-07-18,\n"
    "h2,Phìn Hồ,,bat-xat,Bát Xát,lao-cai,Lào Cai,,,a2,h1,,\n"
    "h3,Tả Lèng,,y-ty,Y Tý,lao-cai,Lào Cai,,,a3,,,\n"
    "h4,<b>Y Tý</b>,,y-ty,Y Tý,lao-cai,Lào Cai,,,,,2020-01-01,\n"
    "h5,La Bằng,,dai-tu,Đại Từ,thai-nguyen,Thái Nguyên,,,a5,,,\n";
static const char tgt_csv[] = "scope,id,coverage_pct,deadline\n"
    "province,lao-cai,95,2026-06-30\ncommune,bat-xat,90,2025-09-30\n";

static const struct agent_view *
view(const char *agent, void *arg)
{
	static struct agent_view v[3];

	(void)arg;
	for (int i = 0; i < 3; i++) {
		v[i].reported = true;
		v[i].last_seen = NOW - 10;
		v[i].online = 1;
		v[i].loss_pct = 0;
		v[i].rtt_ms = 40;
	}
	v[1].loss_pct = 50;             /* degraded */
	v[2].online = 0;                /* down */
	v[2].last_seen = NOW - 3600;
	if (strcmp(agent, "a1") == 0 || strcmp(agent, "a5") == 0)
		return &v[0];
	if (strcmp(agent, "a2") == 0)
		return &v[1];
	return strcmp(agent, "a3") == 0 ? &v[2] : NULL;
}

static void
test_roundtrip(void **state)
{
	char dir[64], ip[128], tp[128], err[2048];
	struct inventory *inv;
	struct coverage_conf cf = { 900, 180, 5, 300, 10 };
	struct snapshot *s = calloc(1, sizeof *s);
	const char *ids[] = { "lao-cai", "thai-nguyen" };

	(void)state;
	assert_non_null(s);
	tl_tmpdir(dir, sizeof dir, "national");
	snprintf(ip, sizeof ip, "%s/inv.csv", dir);
	snprintf(tp, sizeof tp, "%s/tgt.csv", dir);
	tl_write_file(ip, inv_csv);
	tl_write_file(tp, tgt_csv);
	if (inventory_load(&inv, ip, tp, err, sizeof err) == -1)
		fail_msg("%s", err);
	tl_rmtree(dir);
	atomic_init(&s->refs, 1);
	assert_non_null(s->inv = inv_ref_new(inv, "inv.csv", NOW));
	assert_int_equal(coverage_evaluate(&s->cov, inv, &cf, view, NULL, NOW, NOW - 86400,
	    NULL), 0);
	for (size_t i = 0; i < 2; i++) {
		char url[64], *body;
		size_t len;
		unsigned status;
		struct national_summary out;
		const struct rollup *ru = &s->cov->provinces[inventory_province(inv, ids[i]) -
		    inv->provinces];

		snprintf(url, sizeof url, "/api/v1/provinces/%s", ids[i]);
		assert_int_equal(api_render(NULL, s, url, api_no_query, NULL, &body, &len, &status), 0);
		assert_int_equal(status, 200);
		assert_int_equal(decode(ids[i], body, &out), NAT_OK);
		for (int k = 0; k < HS__COUNT; k++)
			assert_int_equal(out.ru.counts[k], ru->counts[k]);
		assert_int_equal(out.ru.total, ru->total);
		assert_int_equal(out.ru.overdue, ru->overdue);
		assert_true(fabs(out.ru.covered_pct - ru->covered_pct) < 0.006);
		assert_int_equal(out.ru.colour, ru->colour);
		assert_int_equal(out.ru.deadline, ru->deadline);
		assert_true(out.evaluated_at == NOW);
		national_summary_clear(&out);
		free(body);
	}
	/* lao-cai: covered, degraded, down, unmonitored; all four states seen. */
	const struct rollup *lc = &s->cov->provinces[0];
	assert_int_equal(lc->total, 4);
	assert_int_equal(lc->counts[HS_COVERED] + lc->counts[HS_DEGRADED], 2);
	snapshot_put(s);
}

/* The table: last good kept, cleared on an empty retained message, bad
 * input counted by reason; the API adds the age and marks the stale. */
static char *
api(struct national *n, const char *url, double now, unsigned want)
{
	char *body;
	size_t len;
	unsigned status;

	assert_int_equal(national_api(n, url, now, &body, &len, &status), 0);
	assert_int_equal(status, want);
	assert_int_equal(strlen(body), len);
	return body;
}

static json_object *
api_json(struct national *n, const char *url, double now, unsigned want)
{
	char *body = api(n, url, now, want);
	json_object *o = json_tokener_parse(body);

	assert_non_null(o);
	free(body);
	return o;
}

static json_object *
field(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("no \"%s\"", key);
	return v;
}

static unsigned long
metric(struct national *n, double now, const char *line)
{
	char *buf = NULL, *at;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	unsigned long v = 0;

	assert_non_null(f);
	national_metrics(n, now, f);
	fclose(f);
	/* At the start of a line: not in its # HELP. */
	for (at = buf; (at = strstr(at, line)) != NULL && at != buf && at[-1] != '\n'; at++)
		;
	if (at == NULL)
		fail_msg("no '%s' in\n%s", line, buf);
	v = strtoul(at + strlen(line), NULL, 10);
	free(buf);
	return v;
}

#define PUT(n, topic, json, now) \
	national_message(n, topic, "covmon/v1", json, strlen(json), now)

static void
test_table(void **state)
{
	struct national *n = national_new(STALE, SKEW);
	json_object *o, *a;

	(void)state;
	assert_non_null(n);
	o = api_json(n, "/api/v1/provinces", NOW, 200);
	assert_int_equal(json_object_array_length(field(o, "provinces")), 0);
	json_object_put(o);

	PUT(n, "covmon/v1/thai-nguyen/summary", thai_nguyen, NOW);
	PUT(n, "covmon/v1/lao-cai/summary", lao_cai, NOW);
	/* Sorted by id, each with its age. */
	o = api_json(n, "/api/v1/provinces", NOW + 100, 200);
	assert_true(json_object_get_boolean(field(o, "national")));
	a = field(o, "provinces");
	assert_int_equal(json_object_array_length(a), 2);
	json_object *lc = json_object_array_get_idx(a, 0);
	assert_string_equal(json_object_get_string(field(lc, "id")), "lao-cai");
	assert_int_equal(json_object_get_int(field(lc, "age_s")), 100);
	assert_int_equal(json_object_get_int64(field(lc, "received_at")), (int64_t)NOW);
	assert_false(json_object_get_boolean(field(lc, "stale")));
	assert_int_equal(json_object_get_int(field(field(lc, "counts"), "total")), 4);
	assert_string_equal(json_object_get_string(field(json_object_array_get_idx(a, 1), "id")),
	    "thai-nguyen");
	json_object_put(o);

	/* A bad summary: counted by reason, the last good one stays. */
	PUT(n, "covmon/v1/lao-cai/summary", mutate(lao_cai, "\"total\":4", "\"total\":3"),
	    NOW + 1);
	PUT(n, "covmon/v1/lao-cai/summary", thai_nguyen, NOW + 1);
	PUT(n, "covmon/v1/Lao Cai/summary", lao_cai, NOW + 1);
	PUT(n, "covmon/v1/lao-cai/a1/summary", lao_cai, NOW + 1);
	PUT(n, "covmon/v1/lao-cai/summary", "{", NOW + 1);
	o = api_json(n, "/api/v1/provinces/lao-cai", NOW + 2, 200);
	assert_int_equal(json_object_get_int(field(field(o, "counts"), "total")), 4);
	assert_int_equal(json_object_get_int(field(o, "age_s")), 2);
	json_object_put(o);
	assert_int_equal(metric(n, NOW, "covmon_national_summaries_received_total "), 7);
	assert_int_equal(metric(n, NOW, "covmon_national_summaries_accepted_total "), 2);
	assert_int_equal(metric(n, NOW,
	    "covmon_national_summaries_rejected_total{reason=\"bad_value\"} "), 1);
	assert_int_equal(metric(n, NOW,
	    "covmon_national_summaries_rejected_total{reason=\"province_mismatch\"} "), 1);
	assert_int_equal(metric(n, NOW,
	    "covmon_national_summaries_rejected_total{reason=\"bad_topic\"} "), 2);
	assert_int_equal(metric(n, NOW,
	    "covmon_national_summaries_rejected_total{reason=\"bad_json\"} "), 1);
	assert_int_equal(metric(n, NOW, "covmon_national_provinces "), 2);

	/* Stale: older than stale_after, by its evaluation time. */
	assert_int_equal(metric(n, NOW + STALE, "covmon_national_provinces_stale "), 0);
	assert_int_equal(metric(n, NOW + STALE + 1, "covmon_national_provinces_stale "), 2);
	o = api_json(n, "/api/v1/provinces/thai-nguyen", NOW + STALE + 1, 200);
	assert_true(json_object_get_boolean(field(o, "stale")));
	json_object_put(o);
	/* A fresh one is not, even if it came late. */
	PUT(n, "covmon/v1/thai-nguyen/summary", mutate(thai_nguyen, "1700000000", "1700000150"),
	    NOW + 160);
	assert_int_equal(metric(n, NOW + STALE + 1, "covmon_national_provinces_stale "), 1);

	/* Errors. */
	o = api_json(n, "/api/v1/provinces/ha-giang", NOW, 404);
	json_object_put(o);
	o = api_json(n, "/api/v1/provinces/Lao%20Cai", NOW, 400);
	assert_null(strstr(json_object_get_string(field(o, "error")), "Lao"));
	json_object_put(o);
	o = api_json(n, "/api/v1/hamlets", NOW, 404);
	assert_non_null(strstr(json_object_get_string(field(o, "error")), "national"));
	json_object_put(o);
	json_object_put(api_json(n, "/api/v1/provincesx", NOW, 404));

	/* An empty retained message clears the province. */
	national_message(n, "covmon/v1/lao-cai/summary", "covmon/v1", "", 0, NOW);
	json_object_put(api_json(n, "/api/v1/provinces/lao-cai", NOW, 404));
	assert_int_equal(metric(n, NOW, "covmon_national_provinces "), 1);
	assert_int_equal(metric(n, NOW, "covmon_national_summaries_cleared_total "), 1);

	/* The list for the pages: a copy, with or without the JSON. */
	struct national_summary *l;
	size_t cnt;
	assert_int_equal(national_list(n, true, &l, &cnt), 0);
	assert_int_equal(cnt, 1);
	assert_string_equal(l[0].id, "thai-nguyen");
	assert_non_null(strstr(l[0].json, "\"Đại Từ\""));
	national_list_free(l, cnt);
	national_free(n);
}

static void
test_total(void **state)
{
	struct national_summary p[2];
	struct rollup all;

	(void)state;
	assert_int_equal(decode("lao-cai", lao_cai, &p[0]), NAT_OK);
	assert_int_equal(decode("thai-nguyen", thai_nguyen, &p[1]), NAT_OK);
	national_total(p, 2, &all);
	assert_int_equal(all.total, 6);
	assert_int_equal(all.counts[HS_COVERED], 4);
	assert_int_equal(all.counts[HS_DEGRADED], 1);
	assert_int_equal(all.counts[HS_UNMONITORED], 1);
	assert_int_equal(all.overdue, 1);
	assert_true(fabs(all.covered_pct - 400.0 / 6) < 1e-9);
	assert_int_equal(all.colour, COLOUR_NONE);
	national_summary_clear(&p[0]);
	national_summary_clear(&p[1]);
}

static char *
page(const struct pages_national *nv, const char *url, double now, unsigned want)
{
	struct pages_env env = { .now = now, .national = nv };
	struct pages_out out;

	assert_int_equal(pages_render(NULL, &env, url, NULL, NULL, NULL, &out), 0);
	assert_int_equal(out.status, want);
	return out.body;
}

static void
test_page(void **state)
{
	struct national *n = national_new(STALE, SKEW);
	struct pages_national nv = { .stale_after = STALE };
	struct national_summary *l;
	char *html;

	(void)state;
	assert_int_equal(national_list(n, false, &l, &nv.n), 0);
	nv.provinces = l;
	html = page(&nv, "/", NOW, 200);
	assert_non_null(strstr(html, "No province summary received yet."));
	free(html);
	national_list_free(l, nv.n);

	PUT(n, "covmon/v1/lao-cai/summary", mutate(lao_cai, "Lào Cai", "<b>Lào Cai</b>"), NOW);
	PUT(n, "covmon/v1/thai-nguyen/summary", mutate(thai_nguyen, "1700000000", "1699999000"),
	    NOW);
	assert_int_equal(national_list(n, false, &l, &nv.n), 0);
	assert_null(l[0].json);
	nv.provinces = l;
	html = page(&nv, "/", NOW + 10, 200);
	assert_non_null(strstr(html, "National coverage overview"));
	assert_non_null(strstr(html, "&lt;b&gt;Lào Cai&lt;/b&gt;"));
	assert_null(strstr(html, "<b>Lào Cai"));
	assert_non_null(strstr(html, "Thái Nguyên"));
	assert_non_null(strstr(html, "All provinces"));
	/* 4 + 2 hamlets, 4 covered: 66.7 %. */
	assert_non_null(strstr(html, "66.7&nbsp;%"));
	/* Thai Nguyen's is 1,010 s old: stale; Lao Cai's is not. */
	char *stale = strstr(html, "out of date");
	assert_non_null(stale);
	assert_null(strstr(stale + 1, "out of date"));
	assert_true(strstr(html, "Thái Nguyên") < stale);
	free(html);
	/* Communes, hamlets and alerts are the province dashboards'. */
	html = page(&nv, "/province/lao-cai", NOW, 404);
	assert_non_null(strstr(html, "each province"));
	free(html);
	html = page(&nv, "/alerts", NOW, 404);
	free(html);
	html = page(&nv, "/hamlet/Bad Id", NOW, 400);
	free(html);
	national_list_free(l, nv.n);
	national_free(n);
}

/* [collector] national = yes: no inventory of its own. */
static void
test_conf(void **state)
{
	char path[] = "/tmp/covmon-national-conf-XXXXXX", err[1024];
	struct collector_conf *cc = malloc(sizeof *cc);
	int fd = mkstemp(path);

	(void)state;
	assert_non_null(cc);
	assert_true(fd >= 0);
	close(fd);
	tl_write_file(path, "[collector]\nnational = yes\nprovinces = *\n[mqtt]\nport = 1883\n");
	assert_int_equal(collector_conf_load(cc, path, err, sizeof err), 0);
	assert_true(cc->national);
	tl_write_file(path, "[collector]\nnational = yes\ninventory = /etc/covmon/inventory.csv\n");
	assert_int_equal(collector_conf_load(cc, path, err, sizeof err), -1);
	assert_non_null(strstr(err, ":3: [collector] national = yes"));
	tl_write_file(path, "[collector]\nnational = maybe\n");
	assert_int_equal(collector_conf_load(cc, path, err, sizeof err), -1);
	tl_write_file(path, "[collector]\ninventory = x.csv\n");
	assert_int_equal(collector_conf_load(cc, path, err, sizeof err), 0);
	assert_false(cc->national);
	unlink(path);
	free(cc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_good),
		cmocka_unit_test(test_decode_bad),
		cmocka_unit_test(test_decode_oversize),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_total),
		cmocka_unit_test(test_page),
		cmocka_unit_test(test_conf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
