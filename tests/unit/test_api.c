/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The JSON API (collector/api.c): every endpoint rendered from a snapshot
 * made by hand (a small inventory loaded from CSV, states and rollups set
 * here, not by the evaluator), parsed back and checked field by field
 * against DESIGN.md section 8; filters, bad and unknown ids, escaping. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testlib.h"
#include "testlib_snapshot.h"

#include <json-c/json.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "coverage.h"
#include "snapshot.h"

#define HDR	"hamlet_id,hamlet_name,village,commune_id,commune_name," \
		"province_id,province_name,lat,lon,agent_id,uplink_hamlet_id," \
		"target_date,population\n"

static const char inv_csv[] = HDR
    "suoi-chai,Suối Chải,Thôn Suối Chải,bat-xat,Bát Xát,lao-cai,Lào Cai,"
    "22.56956,103.85367,a-suoichai,,2025-07-18,1263\n"
    "phin-ho,Phìn Hồ,,bat-xat,Bát Xát,lao-cai,Lào Cai,,,a-phinho,suoi-chai,,\n"
    "ta-leng,Tả Lèng,,y-ty,Y Tý,lao-cai,Lào Cai,,,a-taleng,,2030-01-01,\n"
    "y-ty-1,Y Tý 1,,y-ty,Y Tý,lao-cai,Lào Cai,,,a-yty,ta-leng,,\n"
    "xss,\"<script>\"\"x\"\"</script>\",,y-ty,Y Tý,lao-cai,Lào Cai,,,,,2020-01-01,\n"
    "lung-cu,Lũng Cú,,dong-van,Đồng Văn,ha-giang,Hà Giang,23.36,105.32,a-lungcu,,,\n";

static const char tgt_csv[] = "scope,id,coverage_pct,deadline\n"
    "province,lao-cai,95,2026-06-30\n"
    "commune,bat-xat,90,2025-09-30\n";

#define NOW	1700000000.0
/* The first five play the parts of tl_snapshot_by_hand() (testlib.h). */
enum { SUOI_CHAI = TL_COVERED, PHIN_HO = TL_LOSSY, TA_LENG = TL_ROOT, Y_TY_1 = TL_CUT,
    XSS = TL_OVERDUE, LUNG_CU, NH };

struct fx {
	char dir[64];
	struct snapshot *s;
	struct coverage *cov;
};
/* The HTTP server's struct api: its province list cache is exercised by
 * every /provinces request of a test (made in setup, freed in teardown). */
static struct api *api;

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	static const uint8_t st[NH] = { HS_COVERED, HS_DEGRADED, HS_DOWN,
	    HS_UNREACHABLE, HS_UNMONITORED, HS_COVERED };

	assert_non_null(f);
	assert_non_null(api = api_new());
	tl_tmpdir(f->dir, sizeof f->dir, "api");
	struct snapshot *s = tl_snapshot_by_hand(f->dir, inv_csv, tgt_csv, st, NH, NOW);
	struct agent_view *v = &s->views[SUOI_CHAI];
	v->m[M_IF_RX_BPS] = NAN;	/* present but not a number: left out */
	v->present |= UINT64_C(1) << M_IF_RX_BPS;
	assert_non_null(s->unknown = calloc(1, sizeof *s->unknown));
	snprintf(s->unknown[0].agent, sizeof s->unknown[0].agent, "stray-01");
	snprintf(s->unknown[0].province, sizeof s->unknown[0].province, "lao-cai");
	s->unknown[0].last_seen = NOW - 5;
	s->unknown[0].samples = 17;
	s->nunknown = 1;

	f->s = s;
	f->cov = s->cov;
	tl_rmtree(f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	api_free(api);		/* drops its reference to the snapshot */
	api = NULL;
	tl_snapshot_free(f->s);
	free(f);
	return 0;
}

static char last_body[65536];

/* Renders url and returns the parsed body (asserting the status). */
static json_object *
get_q(struct snapshot *s, const char *url, const char *const *kv, unsigned want)
{
	char *body = NULL;
	size_t len = 0;
	unsigned status = 0;

	assert_int_equal(api_render(api, s, url, tl_query, (void *)kv, &body, &len, &status), 0);
	assert_non_null(body);
	assert_int_equal(strlen(body), len);
	snprintf(last_body, sizeof last_body, "%s", body);
	if (status != want)
		fail_msg("%s: status %u, expected %u: %s", url, status, want, body);
	json_object *o = json_tokener_parse(body);
	if (o == NULL || !json_object_is_type(o, json_type_object))
		fail_msg("%s: not a JSON object: %s", url, body);
	free(body);
	return o;
}

static json_object *
get(struct snapshot *s, const char *url, unsigned want)
{
	return get_q(s, url, NULL, want);
}

static json_object *
field(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("no field '%s' in %s", key, json_object_to_json_string(o));
	return v;
}

static const char *
str(json_object *o, const char *key)
{
	json_object *v = field(o, key);
	if (!json_object_is_type(v, json_type_string))
		fail_msg("'%s' is not a string in %s", key, json_object_to_json_string(o));
	return json_object_get_string(v);
}

static int64_t
num(json_object *o, const char *key)
{
	json_object *v = field(o, key);
	if (!json_object_is_type(v, json_type_int))
		fail_msg("'%s' is not an integer in %s", key, json_object_to_json_string(o));
	return json_object_get_int64(v);
}

static double
dbl(json_object *o, const char *key)
{
	json_object *v = field(o, key);
	if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int))
		fail_msg("'%s' is not a number in %s", key, json_object_to_json_string(o));
	return json_object_get_double(v);
}

static bool
boolean(json_object *o, const char *key)
{
	json_object *v = field(o, key);
	if (!json_object_is_type(v, json_type_boolean))
		fail_msg("'%s' is not a boolean in %s", key, json_object_to_json_string(o));
	return json_object_get_boolean(v);
}

static void
is_null(json_object *o, const char *key)
{
	if (field(o, key) != NULL)
		fail_msg("'%s' is not null in %s", key, json_object_to_json_string(o));
}

static json_object *
arr(json_object *o, const char *key, size_t n)
{
	json_object *v = field(o, key);
	if (!json_object_is_type(v, json_type_array))
		fail_msg("'%s' is not an array", key);
	assert_int_equal(json_object_array_length(v), n);
	return v;
}

static json_object *
at(json_object *a, size_t i)
{
	return json_object_array_get_idx(a, i);
}

static void
counts_are(json_object *o, int cov, int deg, int down, int unr, int unm)
{
	json_object *c = field(o, "counts");

	assert_int_equal(num(c, "covered"), cov);
	assert_int_equal(num(c, "degraded"), deg);
	assert_int_equal(num(c, "down"), down);
	assert_int_equal(num(c, "unreachable"), unr);
	assert_int_equal(num(c, "unmonitored"), unm);
	assert_int_equal(num(c, "total"), cov + deg + down + unr + unm);
	assert_int_equal(json_object_object_length(c), 6);
}

static void
test_provinces(void **state)
{
	struct fx *f = *state;
	json_object *o = get(f->s, "/api/v1/provinces", 200);
	json_object *ps = arr(o, "provinces", 2);
	json_object *lc = at(ps, 0), *hg = at(ps, 1);

	assert_int_equal(num(o, "evaluated_at"), (int64_t)NOW);
	assert_string_equal(str(lc, "id"), "lao-cai");
	assert_string_equal(str(lc, "name"), "Lào Cai");
	assert_true(fabs(dbl(lc, "covered_pct") - 20.0) < 1e-9);
	assert_true(fabs(dbl(lc, "target_pct") - 95.0) < 1e-9);
	assert_string_equal(str(lc, "deadline"), "2026-06-30");
	assert_string_equal(str(lc, "colour"), "red");
	counts_are(lc, 1, 1, 1, 1, 1);
	assert_int_equal(num(lc, "overdue"), 1);

	json_object *cs = arr(lc, "communes", 2);
	json_object *bx = at(cs, 0), *yt = at(cs, 1);
	assert_string_equal(str(bx, "id"), "bat-xat");
	assert_string_equal(str(bx, "name"), "Bát Xát");
	assert_string_equal(str(bx, "province"), "lao-cai");
	assert_true(fabs(dbl(bx, "covered_pct") - 50.0) < 1e-9);
	assert_true(fabs(dbl(bx, "target_pct") - 90.0) < 1e-9);
	assert_string_equal(str(bx, "deadline"), "2025-09-30");
	assert_string_equal(str(bx, "colour"), "red");
	assert_string_equal(str(bx, "target_from"), "commune");
	counts_are(bx, 1, 1, 0, 0, 0);
	/* y-ty has no target of its own: the province's applies. */
	assert_string_equal(str(yt, "id"), "y-ty");
	assert_true(fabs(dbl(yt, "covered_pct")) < 1e-9);
	assert_true(fabs(dbl(yt, "target_pct") - 95.0) < 1e-9);
	assert_string_equal(str(yt, "deadline"), "2026-06-30");
	assert_string_equal(str(yt, "target_from"), "province");
	counts_are(yt, 0, 0, 1, 1, 1);
	assert_false(json_object_object_get_ex(yt, "hamlets", NULL));

	/* No target anywhere: no colour, no deadline. */
	assert_string_equal(str(hg, "id"), "ha-giang");
	assert_string_equal(str(hg, "name"), "Hà Giang");
	assert_true(fabs(dbl(hg, "covered_pct") - 100.0) < 1e-9);
	is_null(hg, "target_pct");
	is_null(hg, "deadline");
	is_null(hg, "colour");
	counts_are(hg, 1, 0, 0, 0, 0);
	json_object *dv = at(arr(hg, "communes", 1), 0);
	assert_string_equal(str(dv, "name"), "Đồng Văn");
	is_null(dv, "target_from");
	json_object_put(o);

	/* The list is rendered once per snapshot: a snapshot is immutable. */
	f->cov->provinces[0].covered_pct = 100.0 / 3;
	o = get(f->s, "/api/v1/provinces", 200);
	assert_non_null(strstr(last_body, "\"covered_pct\":20.00,"));
	json_object_put(o);

	/* A new snapshot (its inventory shared) is rendered anew, to two
	 * decimals, not 33.333333333333336. */
	struct snapshot *s2 = calloc(1, sizeof *s2);
	assert_non_null(s2);
	atomic_init(&s2->refs, 1);
	s2->inv = inv_ref_get(f->s->inv);
	s2->cov = f->cov;
	o = get(s2, "/api/v1/provinces", 200);
	assert_non_null(strstr(last_body, "\"covered_pct\":33.33,"));
	json_object_put(o);
	/* The cache keeps s2 until the next snapshot; it must not free the
	 * fixture's coverage then. */
	s2->cov = NULL;
	snapshot_put(s2);
}

static void
test_province_one(void **state)
{
	struct fx *f = *state;
	json_object *o = get(f->s, "/api/v1/provinces/lao-cai", 200);

	assert_string_equal(str(o, "id"), "lao-cai");
	assert_string_equal(str(o, "colour"), "red");
	counts_are(o, 1, 1, 1, 1, 1);
	json_object *cs = arr(o, "communes", 2);
	assert_string_equal(str(at(cs, 0), "id"), "bat-xat");
	assert_string_equal(str(at(cs, 1), "id"), "y-ty");
	json_object_put(o);

	o = get(f->s, "/api/v1/provinces/ha-giang", 200);
	assert_string_equal(str(at(arr(o, "communes", 1), 0), "id"), "dong-van");
	json_object_put(o);

	o = get(f->s, "/api/v1/provinces/cao-bang", 404);
	assert_string_equal(str(o, "error"), "unknown province 'cao-bang'");
	json_object_put(o);
	/* A commune id is not a province id. */
	json_object_put(get(f->s, "/api/v1/provinces/bat-xat", 404));
}

static void
test_commune_one(void **state)
{
	struct fx *f = *state;
	json_object *o = get(f->s, "/api/v1/communes/y-ty", 200);

	assert_string_equal(str(o, "id"), "y-ty");
	assert_string_equal(str(o, "name"), "Y Tý");
	assert_string_equal(str(o, "province"), "lao-cai");
	assert_true(fabs(dbl(o, "target_pct") - 95.0) < 1e-9);
	assert_string_equal(str(o, "colour"), "red");
	counts_are(o, 0, 0, 1, 1, 1);
	json_object *hs = arr(o, "hamlets", 3);
	assert_string_equal(str(at(hs, 0), "id"), "ta-leng");
	assert_string_equal(str(at(hs, 1), "id"), "y-ty-1");
	assert_string_equal(str(at(hs, 2), "id"), "xss");
	assert_string_equal(str(at(hs, 1), "state"), "unreachable");
	json_object_put(o);

	o = get(f->s, "/api/v1/communes/muong-hum", 404);
	assert_string_equal(str(o, "error"), "unknown commune 'muong-hum'");
	json_object_put(o);
	json_object_put(get(f->s, "/api/v1/communes/lao-cai", 404));
	/* There is no list of all communes. */
	json_object_put(get(f->s, "/api/v1/communes", 404));
}

static void
test_hamlet_one(void **state)
{
	struct fx *f = *state;
	json_object *o = get(f->s, "/api/v1/hamlets/suoi-chai", 200);

	/* The contract's fields... */
	assert_string_equal(str(o, "id"), "suoi-chai");
	assert_string_equal(str(o, "name"), "Suối Chải");
	assert_string_equal(str(o, "commune"), "bat-xat");
	assert_string_equal(str(o, "province"), "lao-cai");
	assert_string_equal(str(o, "agent"), "a-suoichai");
	assert_string_equal(str(o, "state"), "covered");
	assert_false(boolean(o, "overdue"));
	assert_int_equal(num(o, "last_seen"), (int64_t)NOW - 30);
	is_null(o, "uplink");
	json_object *m = field(o, "metrics");
	assert_int_equal(json_object_object_length(m), 3);
	assert_true(fabs(dbl(m, "icmp_rtt_avg_ms") - 42.5) < 1e-9);
	assert_true(fabs(dbl(m, "icmp_loss_pct")) < 1e-9);
	assert_true(fabs(dbl(m, "radio_signal_dbm") + 67) < 1e-9);
	/* ...and the extras. */
	assert_string_equal(str(o, "village"), "Thôn Suối Chải");
	assert_string_equal(str(o, "commune_name"), "Bát Xát");
	assert_string_equal(str(o, "province_name"), "Lào Cai");
	assert_int_equal(num(o, "since"), (int64_t)NOW - 3600);
	assert_string_equal(str(o, "target_date"), "2025-07-18");
	assert_true(fabs(dbl(o, "lat") - 22.56956) < 1e-9);
	assert_true(fabs(dbl(o, "lon") - 103.85367) < 1e-9);
	assert_int_equal(num(o, "population"), 1263);
	assert_true(fabs(dbl(o, "loss_pct") - 1.5) < 1e-9);
	assert_true(fabs(dbl(o, "rtt_ms") - 42.25) < 1e-9);
	assert_int_equal(num(o, "metrics_at"), (int64_t)NOW - 30);
	is_null(o, "root");
	json_object_put(o);

	o = get(f->s, "/api/v1/hamlets/phin-ho", 200);
	assert_string_equal(str(o, "state"), "degraded");
	assert_string_equal(str(o, "uplink"), "suoi-chai");
	assert_true(boolean(o, "loss_breach"));
	assert_false(boolean(o, "rtt_breach"));
	assert_int_equal(json_object_object_length(field(o, "metrics")), 0);
	is_null(o, "lat");
	is_null(o, "population");
	is_null(o, "target_date");
	json_object_put(o);

	/* Unreachable: its root cause up the uplink chain. */
	o = get(f->s, "/api/v1/hamlets/y-ty-1", 200);
	assert_string_equal(str(o, "state"), "unreachable");
	assert_string_equal(str(o, "uplink"), "ta-leng");
	assert_string_equal(str(o, "root"), "ta-leng");
	json_object_put(o);

	/* Never heard of: no agent, no last_seen, no figures. */
	o = get(f->s, "/api/v1/hamlets/xss", 200);
	assert_string_equal(str(o, "state"), "unmonitored");
	assert_true(boolean(o, "overdue"));
	is_null(o, "agent");
	is_null(o, "last_seen");
	is_null(o, "loss_pct");
	is_null(o, "rtt_ms");
	is_null(o, "metrics_at");
	json_object_put(o);

	o = get(f->s, "/api/v1/hamlets/nam-pung", 404);
	assert_string_equal(str(o, "error"), "unknown hamlet 'nam-pung'");
	json_object_put(o);
	/* An agent id is not a hamlet id (see ?agent=). */
	json_object_put(get(f->s, "/api/v1/hamlets/a-suoichai", 404));
}

/* The ids of a hamlet list, comma-separated. */
static const char *
ids(struct snapshot *s, const char *const *kv, unsigned want)
{
	static char buf[1024];
	json_object *o = get_q(s, "/api/v1/hamlets", kv, want);
	json_object *a;

	buf[0] = '\0';
	if (want != 200) {
		snprintf(buf, sizeof buf, "%s", str(o, "error"));
		json_object_put(o);
		return buf;
	}
	a = field(o, "hamlets");
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		size_t n = strlen(buf);
		snprintf(buf + n, sizeof buf - n, "%s%s", i ? "," : "", str(at(a, i), "id"));
	}
	json_object_put(o);
	return buf;
}

#define Q(...)	((const char *const[]){ __VA_ARGS__, NULL })

static void
test_hamlet_filters(void **state)
{
	struct snapshot *s = ((struct fx *)*state)->s;

	assert_string_equal(ids(s, NULL, 200), "suoi-chai,phin-ho,ta-leng,y-ty-1,xss,lung-cu");
	assert_string_equal(ids(s, Q("state", "covered"), 200), "suoi-chai,lung-cu");
	assert_string_equal(ids(s, Q("state", "degraded"), 200), "phin-ho");
	assert_string_equal(ids(s, Q("state", "down"), 200), "ta-leng");
	assert_string_equal(ids(s, Q("state", "unreachable"), 200), "y-ty-1");
	assert_string_equal(ids(s, Q("state", "unmonitored"), 200), "xss");
	assert_string_equal(ids(s, Q("state", "uncovered"), 200), "ta-leng,y-ty-1,xss");
	assert_string_equal(ids(s, Q("province", "ha-giang"), 200), "lung-cu");
	assert_string_equal(ids(s, Q("commune", "bat-xat"), 200), "suoi-chai,phin-ho");
	assert_string_equal(ids(s, Q("overdue", "1"), 200), "xss");
	assert_string_equal(ids(s, Q("overdue", "true"), 200), "xss");
	assert_string_equal(ids(s, Q("overdue", "0"), 200),
	    "suoi-chai,phin-ho,ta-leng,y-ty-1,lung-cu");
	assert_string_equal(ids(s, Q("agent", "a-yty"), 200), "y-ty-1");
	assert_string_equal(ids(s, Q("state", "uncovered", "province", "lao-cai",
	    "commune", "y-ty", "overdue", "1"), 200), "xss");
	assert_string_equal(ids(s, Q("state", "covered", "province", "lao-cai"), 200),
	    "suoi-chai");
	assert_string_equal(ids(s, Q("commune", "bat-xat", "province", "ha-giang"), 200), "");
	/* An empty value is no filter. */
	assert_string_equal(ids(s, Q("state", ""), 200),
	    "suoi-chai,phin-ho,ta-leng,y-ty-1,xss,lung-cu");

	assert_string_equal(ids(s, Q("state", "offline"), 400), "bad state 'offline': "
	    "expected covered, degraded, down, unreachable, unmonitored or uncovered");
	assert_string_equal(ids(s, Q("state", "Covered"), 400), "bad state 'Covered': "
	    "expected covered, degraded, down, unreachable, unmonitored or uncovered");
	assert_string_equal(ids(s, Q("overdue", "yes"), 400), "bad overdue 'yes': expected 1 or 0");
	assert_string_equal(ids(s, Q("province", "Lao-Cai"), 400), "bad province id 'Lao-Cai': "
	    "an id is 1-64 characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit");
	assert_string_equal(ids(s, Q("commune", "../etc"), 400), "bad commune id '../etc': "
	    "an id is 1-64 characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit");
	assert_string_equal(ids(s, Q("province", "cao-bang"), 404), "unknown province 'cao-bang'");
	assert_string_equal(ids(s, Q("commune", "lao-cai"), 404), "unknown commune 'lao-cai'");
	assert_string_equal(ids(s, Q("agent", "stray-01"), 404), "unknown agent 'stray-01'");
}

static void
test_bad_ids(void **state)
{
	struct snapshot *s = ((struct fx *)*state)->s;
	static const char *const bases[] = {
		"/api/v1/provinces/", "/api/v1/communes/", "/api/v1/hamlets/",
	};
	static const char *const what[] = { "province", "commune", "hamlet" };
	char long_id[ID_MAX + 2], url[256], want[256];

	memset(long_id, 'a', ID_MAX + 1);
	long_id[ID_MAX + 1] = '\0';
	const char *const bad[] = {
		"..", ".hidden", "-x", "a/b", "../../etc/passwd", "%2f", "a%2fb", "%2e%2e",
		"Suoi-Chai", "A", "a b", "a\xc3\xa0", "", long_id,
	};
	for (size_t b = 0; b < 3; b++) {
		for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			snprintf(url, sizeof url, "%s%s", bases[b], bad[i]);
			json_object *o = get(s, url, 400);
			snprintf(want, sizeof want, "bad %s id '", what[b]);
			if (strncmp(str(o, "error"), want, strlen(want)) != 0)
				fail_msg("%s: %s", url, str(o, "error"));
			json_object_put(o);
			/* Also before the first evaluation. */
			json_object_put(get(NULL, url, 400));
		}
		/* 64 characters is still an id: unknown, not bad. */
		long_id[ID_MAX] = '\0';
		snprintf(url, sizeof url, "%s%s", bases[b], long_id);
		json_object_put(get(s, url, 404));
		long_id[ID_MAX] = 'a';
	}
	/* The message quotes only printable ASCII, and not much of it. */
	json_object *o = get(s, "/api/v1/hamlets/a\xc3\xa0\"\x01", 400);
	assert_non_null(strstr(str(o, "error"), "'a??\"?'"));
	json_object_put(o);
}

static void
test_unknown_paths(void **state)
{
	struct snapshot *s = ((struct fx *)*state)->s;
	static const char *const urls[] = {
		"/api/v1/", "/api/v1", "/api/v1/nope", "/api/v2/provinces",
		"/api/v1/provincesx", "/api/v1/province/lao-cai", "/api/v1/agents",
		"/api/v1/agents/unknown/x", "/api/v1/health", "/", "",
		"/api/v1/hamletsx/suoi-chai", "/API/V1/PROVINCES",
	};

	for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
		json_object *o = get(s, urls[i], 404);
		assert_string_equal(str(o, "error"), "not found");
		json_object_put(o);
		json_object_put(get(NULL, urls[i], 404));
	}
}

static void
test_no_snapshot(void **state)
{
	struct fx *f = *state;
	json_object *o;
	static const char *const urls[] = {
		"/api/v1/provinces", "/api/v1/provinces/lao-cai", "/api/v1/communes/bat-xat",
		"/api/v1/hamlets", "/api/v1/hamlets/suoi-chai", "/api/v1/agents/unknown",
	};

	for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
		o = get(NULL, urls[i], 503);
		assert_string_equal(str(o, "error"), "no evaluation yet");
		json_object_put(o);
	}

	/* A bad filter is the caller's mistake whatever the collector's state;
	 * whether an id is known has to wait for an inventory. */
	o = get_q(NULL, "/api/v1/hamlets", Q("state", "bogus"), 400);
	json_object_put(o);
	o = get_q(NULL, "/api/v1/hamlets", Q("province", "Lao-Cai"), 400);
	json_object_put(o);
	o = get_q(NULL, "/api/v1/hamlets", Q("province", "cao-bang"), 503);
	json_object_put(o);

	/* Running without an inventory: every agent is unknown, and that
	 * list still answers. */
	struct snapshot bare;
	memset(&bare, 0, sizeof bare);
	bare.unknown = f->s->unknown;
	bare.nunknown = 1;
	for (size_t i = 0; i < 5; i++) {
		o = get(&bare, urls[i], 503);
		assert_non_null(strstr(str(o, "error"), "no inventory configured"));
		json_object_put(o);
	}
	o = get(&bare, "/api/v1/agents/unknown", 200);
	assert_string_equal(str(at(arr(o, "agents", 1), 0), "id"), "stray-01");
	json_object_put(o);
}

static void
test_unknown_agents(void **state)
{
	struct fx *f = *state;
	json_object *o = get(f->s, "/api/v1/agents/unknown", 200);
	json_object *a = at(arr(o, "agents", 1), 0);

	assert_string_equal(str(a, "id"), "stray-01");
	assert_string_equal(str(a, "province"), "lao-cai");
	assert_int_equal(num(a, "last_seen"), (int64_t)NOW - 5);
	assert_int_equal(num(a, "samples"), 17);
	json_object_put(o);

	f->s->nunknown = 0;
	o = get(f->s, "/api/v1/agents/unknown", 200);
	arr(o, "agents", 0);
	json_object_put(o);
	f->s->nunknown = 1;
}

/* A display name is data, never markup or JSON syntax. */
static void
test_escaping(void **state)
{
	struct fx *f = *state;
	const char *name = "<script>\"x\"</script>";
	json_object *o = get(f->s, "/api/v1/hamlets/xss", 200);

	assert_string_equal(str(o, "name"), name);
	assert_non_null(strstr(last_body, "\"name\":\"<script>\\\"x\\\"<\\/script>\""));
	assert_null(strstr(last_body, "\"x\""));
	assert_null(strstr(last_body, "</script>"));
	json_object_put(o);

	/* Vietnamese names pass through as UTF-8, not \u escapes. */
	o = get(f->s, "/api/v1/communes/bat-xat", 200);
	assert_non_null(strstr(last_body, "\"name\":\"Bát Xát\""));
	json_object_put(o);

	o = get(f->s, "/api/v1/communes/y-ty", 200);
	assert_string_equal(str(at(arr(o, "hamlets", 3), 2), "name"), name);
	json_object_put(o);
}

static void
test_health(void **state)
{
	struct fx *f = *state;
	struct api_health h = { true, 3, 12.7, 100, 98, true, 100, 7 };
	char *body;
	size_t len;

	assert_int_equal(api_health(f->s, &h, &body, &len), 0);
	json_object *o = json_tokener_parse(body);
	assert_non_null(o);
	assert_string_equal(str(o, "status"), "ok");
	assert_string_equal(str(o, "mqtt"), "connected");
	assert_int_equal(num(o, "queue_depth"), 3);
	assert_int_equal(num(o, "uptime_s"), 12);
	assert_int_equal(num(o, "received"), 100);
	assert_int_equal(num(o, "stored"), 98);
	assert_string_equal(str(o, "version"), COVMON_VERSION);
	assert_int_equal(num(o, "evaluated_at"), (int64_t)NOW);
	assert_int_equal(num(o, "unknown_agents"), 1);
	assert_int_equal(num(o, "max_unknown_agents"), 100);
	assert_int_equal(num(o, "unknown_agents_refused"), 7);
	json_object *iv = field(o, "inventory");
	assert_true(boolean(iv, "configured"));
	assert_non_null(strstr(str(iv, "loaded_from"), "/inventory.csv"));
	assert_int_equal(num(iv, "loaded_at"), (int64_t)NOW - 600);
	assert_int_equal(num(iv, "provinces"), 2);
	assert_int_equal(num(iv, "communes"), 3);
	assert_int_equal(num(iv, "hamlets"), NH);
	assert_int_equal(num(iv, "agents"), 5);
	is_null(iv, "last_error");
	is_null(iv, "last_error_at");
	json_object_put(o);
	free(body);

	/* A reload failed: the last good inventory serves, and says why. */
	snprintf(f->s->inventory_error, sizeof f->s->inventory_error,
	    "inventory.csv:4:1: duplicate hamlet_id 'suoi-chai' (first on line 2)");
	f->s->inventory_error_at = NOW - 10;
	h.mqtt_connected = false;
	assert_int_equal(api_health(f->s, &h, &body, &len), 0);
	assert_non_null(o = json_tokener_parse(body));
	assert_string_equal(str(o, "status"), "degraded");
	assert_string_equal(str(o, "mqtt"), "disconnected");
	iv = field(o, "inventory");
	assert_string_equal(str(iv, "last_error"),
	    "inventory.csv:4:1: duplicate hamlet_id 'suoi-chai' (first on line 2)");
	assert_int_equal(num(iv, "last_error_at"), (int64_t)NOW - 10);
	assert_int_equal(num(iv, "hamlets"), NH);
	json_object_put(o);
	free(body);
	f->s->inventory_error[0] = '\0';

	/* Before any evaluation: health still answers. */
	h.mqtt_connected = true;
	assert_int_equal(api_health(NULL, &h, &body, &len), 0);
	assert_non_null(o = json_tokener_parse(body));
	assert_string_equal(str(o, "status"), "ok");
	is_null(o, "evaluated_at");
	is_null(o, "unknown_agents");
	iv = field(o, "inventory");
	is_null(iv, "loaded_from");
	is_null(iv, "hamlets");
	json_object_put(o);
	free(body);

	/* Configured but the first load failed: degraded. */
	struct snapshot bare;
	memset(&bare, 0, sizeof bare);
	snprintf(bare.inventory_error, sizeof bare.inventory_error, "x.csv:1:1: missing column");
	assert_int_equal(api_health(&bare, &h, &body, &len), 0);
	assert_non_null(o = json_tokener_parse(body));
	assert_string_equal(str(o, "status"), "degraded");
	assert_string_equal(str(field(o, "inventory"), "last_error"), "x.csv:1:1: missing column");
	json_object_put(o);
	free(body);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_provinces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_province_one, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commune_one, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hamlet_one, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hamlet_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_snapshot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_agents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_escaping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_health, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
