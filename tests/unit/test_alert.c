/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The alert engine (collector/alert.c) and its conditions
 * (collector/alert_eval.c) with a fixed clock: for, clear_for, repeats
 * that back off and stop on ack, flapping, silences, routing, grouping,
 * and a backhaul cut folded into its uplink's alert. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testlib.h"

#include <json-c/json.h>

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "alert_eval.h"

#define T0 1750000000.0

/* What the sink saw. */
struct sent {
	char notifier[64], state[16], kind[32], scope[96];
	char json[8192];
	char summary[4096];
};
static struct {
	struct sent q[256];
	size_t nq;
	int64_t next_id;
	size_t drops, saves;
} rec;

static int64_t
s_new_id(void *arg, const struct alert *a)
{
	(void)arg; (void)a;
	return ++rec.next_id;
}
static void
s_save(void *arg, const struct alert *a)
{
	(void)arg; (void)a;
	rec.saves++;
}
static void
s_drop(void *arg, int64_t id)
{
	(void)arg; (void)id;
	rec.drops++;
}
static void
s_queue(void *arg, const char *notifier, const char *route, const char *json,
    const char *kind, const char *state, const char *scope, const char *summary)
{
	(void)arg; (void)route;
	assert_true(rec.nq < 256);
	struct sent *s = &rec.q[rec.nq++];
	snprintf(s->notifier, sizeof s->notifier, "%s", notifier);
	snprintf(s->state, sizeof s->state, "%s", state);
	snprintf(s->kind, sizeof s->kind, "%s", kind);
	snprintf(s->scope, sizeof s->scope, "%s", scope);
	snprintf(s->json, sizeof s->json, "%s", json);
	snprintf(s->summary, sizeof s->summary, "%s", summary);
}
/* What the sink keeps of waiting groups (the notify_groups table). */
struct pend_row {
	char route[64], key[96], scope[96], name[64], province[64], commune[64];
	char summary[1024], json[4096];
	bool resolved;
	double deadline, since;
	int64_t id;
	size_t nh;
};
static struct {
	struct pend_row r[64];
	size_t n;
} pend;
static void
s_pend(void *arg, const struct alert_pending *p)
{
	(void)arg;
	assert_true(pend.n < 64);
	struct pend_row *r = &pend.r[pend.n++];
	snprintf(r->route, sizeof r->route, "%s", p->route);
	snprintf(r->key, sizeof r->key, "%s", p->key);
	snprintf(r->scope, sizeof r->scope, "%s", p->scope);
	snprintf(r->name, sizeof r->name, "%s", p->name);
	snprintf(r->province, sizeof r->province, "%s", p->province);
	snprintf(r->commune, sizeof r->commune, "%s", p->commune);
	snprintf(r->summary, sizeof r->summary, "%s", p->summary);
	snprintf(r->json, sizeof r->json, "%s", p->json);
	r->resolved = p->resolved;
	r->deadline = p->deadline;
	r->since = p->since;
	r->id = p->id;
	r->nh = p->nhamlets;
}
static void
s_unpend(void *arg, const char *route, const char *key, bool resolved)
{
	(void)arg;
	size_t j = 0;
	for (size_t i = 0; i < pend.n; i++)
		if (strcmp(pend.r[i].route, route) != 0 || strcmp(pend.r[i].key, key) != 0 ||
		    pend.r[i].resolved != resolved)
			pend.r[j++] = pend.r[i];
	pend.n = j;
}
static const struct alert_sink SINK = { NULL, s_new_id, s_save, s_drop, s_queue, s_pend,
    s_unpend };

static struct alert_conf AC;

/* The coverage thresholds of the tests that evaluate an inventory. */
static const struct coverage_conf CC = {
	.window = 900, .offline_after = 180, .max_loss_pct = 5,
	.max_rtt_ms = 300, .yellow_margin_pct = 10,
};

static void
conf_default(double group_wait, double repeat)
{
	memset(&AC, 0, sizeof AC);
	for (int k = 0; k < AK__COUNT; k++)
		AC.for_s[k] = 120;
	AC.clear_for = 120;
	AC.flap_window = 1800;
	AC.clock_skew = 120;
	snprintf(AC.notifiers[0].name, 64, "n1");
	snprintf(AC.notifiers[1].name, 64, "n2");
	AC.nnotifiers = 2;
	struct route_conf *r = &AC.routes[0];
	snprintf(r->name, sizeof r->name, "all");
	r->match.type = MT_ANY;
	r->notify[0] = 0;
	r->nnotify = 1;
	r->group_by = GB_COMMUNE;
	r->group_wait = group_wait;
	r->repeat = repeat;
	AC.nroutes = 1;
	memset(&rec, 0, sizeof rec);
	memset(&pend, 0, sizeof pend);
}

static int
setup(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

/* One evaluation at t with the hamlets in `down` (NULL-terminated) down. */
static void
eval(struct alert_engine *e, double t, const char *const *down, const struct alert_silence *sil,
    size_t nsil, const int64_t *acked, size_t nacked)
{
	alert_begin(e, t);
	for (size_t i = 0; down && down[i]; i++) {
		char scope[96], what[128];
		const char *commune = strncmp(down[i], "b-", 2) == 0 ? "cb" : "ca";
		snprintf(scope, sizeof scope, "hamlet:%s", down[i]);
		snprintf(what, sizeof what, "%s (Commune %s) down", down[i], commune);
		struct alert_cond c = {
			.kind = AK_HAMLET_DOWN, .scope = scope, .province = "p1",
			.commune = commune, .commune_name = commune, .province_name = "P1",
			.hamlets = &down[i], .nhamlets = 1, .agent = "", .what = what, .detail = "",
		};
		assert_int_equal(alert_observe(e, &c), 0);
	}
	alert_end(e, t, sil, nsil, acked, nacked, &SINK);
}

static size_t
count(const char *state)
{
	size_t n = 0;
	for (size_t i = 0; i < rec.nq; i++)
		n += strcmp(rec.q[i].state, state) == 0;
	return n;
}

static void
test_for_and_resolve(void **state)
{
	(void)state;
	conf_default(0, 0);
	snprintf(AC.public_url, sizeof AC.public_url, "https://covmon.example");
	struct alert_engine *e = alert_engine_new(&AC);
	const char *down[] = { "a-1", NULL };

	/* Comes and goes inside `for`: nothing, and the pending is dropped. */
	eval(e, T0, down, NULL, 0, NULL, 0);
	eval(e, T0 + 60, down, NULL, 0, NULL, 0);
	assert_int_equal(alert_engine_at(e, 0)->state, AS_PENDING);
	eval(e, T0 + 70, NULL, NULL, 0, NULL, 0);
	assert_int_equal(rec.nq, 0);
	assert_int_equal(rec.drops, 1);
	assert_int_equal(alert_engine_count(e), 0);

	/* Holds for `for`: fires once. */
	for (double t = 100; t <= 300; t += 10)
		eval(e, T0 + t, down, NULL, 0, NULL, 0);
	assert_int_equal(count("firing"), 1);
	const struct alert *a = alert_engine_find(e, AK_HAMLET_DOWN, "hamlet:a-1");
	assert_non_null(a);
	assert_int_equal(a->state, AS_FIRING);
	assert_true(a->fired_at == T0 + 220);
	assert_non_null(strstr(rec.q[0].json, "\"state\":\"firing\""));
	assert_non_null(strstr(rec.q[0].json, "\"scope\":\"hamlet:a-1\""));
	assert_non_null(strstr(rec.q[0].summary, "a-1 (Commune ca) down since"));
	/* The page: local time with its offset, the ack command, the link. */
	char want[128];
	snprintf(want, sizeof want, " UTC+0 — ack: covmon ack %lld — https://covmon.example/hamlet/a-1",
	    (long long)a->id);
	assert_non_null(strstr(rec.q[0].summary, want));
	assert_non_null(strstr(rec.q[0].json, "\"url\":\"https://covmon.example/hamlet/a-1\""));
	assert_non_null(strstr(rec.q[0].json, "\"severity\":\"critical\""));

	/* Gone, but not for clear_for yet: still firing; then resolved once. */
	eval(e, T0 + 310, NULL, NULL, 0, NULL, 0);
	eval(e, T0 + 400, NULL, NULL, 0, NULL, 0);
	assert_int_equal(a->state, AS_FIRING);
	eval(e, T0 + 430, NULL, NULL, 0, NULL, 0);
	assert_int_equal(a->state, AS_RESOLVED);
	eval(e, T0 + 440, NULL, NULL, 0, NULL, 0);
	assert_int_equal(count("resolved"), 1);
	assert_int_equal(count("firing"), 1);
	assert_non_null(strstr(rec.q[1].summary, "a-1 (Commune ca) down: back after 6 min, at 2025-06-15 15:13 UTC+0"));
	alert_engine_free(e);
}

static void
test_repeat_backoff_and_ack(void **state)
{
	(void)state;
	conf_default(0, 600);
	struct alert_engine *e = alert_engine_new(&AC);
	const char *down[] = { "a-1", NULL };
	double fired = 0;

	/* Repeats at +600, +1200 more, +2400 more, ... */
	for (double t = 0; t <= 5000; t += 10) {
		size_t before = rec.nq;
		eval(e, T0 + t, down, NULL, 0, NULL, 0);
		if (rec.nq > before && fired == 0)
			fired = t;
	}
	assert_true(fired == 120);
	/* 120 (firing), 720, 1920, 4320 */
	assert_int_equal(count("firing"), 4);

	/* Backoff caps at a day: with repeat 12 h, gaps 12 h, 24 h, 24 h. */
	alert_engine_free(e);
	conf_default(0, 43200);
	e = alert_engine_new(&AC);
	for (double t = 0; t <= 4 * 86400; t += 600)
		eval(e, T0 + t, down, NULL, 0, NULL, 0);
	/* first at 600, then 600+12h, +24h, +24h (=2.5 d + 600), +24h (3.5 d) */
	assert_int_equal(count("firing"), 5);

	/* An ack stops the repeats. */
	alert_engine_free(e);
	conf_default(0, 600);
	e = alert_engine_new(&AC);
	for (double t = 0; t <= 300; t += 10)
		eval(e, T0 + t, down, NULL, 0, NULL, 0);
	assert_int_equal(count("firing"), 1);
	int64_t id = alert_engine_at(e, 0)->id;
	for (double t = 310; t <= 20000; t += 10)
		eval(e, T0 + t, down, NULL, 0, &id, 1);
	assert_int_equal(count("firing"), 1);
	assert_true(alert_engine_at(e, 0)->acked);
	/* and the resolve still goes */
	for (double t = 20010; t <= 20200; t += 10)
		eval(e, T0 + t, NULL, NULL, 0, &id, 1);
	assert_int_equal(count("resolved"), 1);
	alert_engine_free(e);
}

static void
test_flapping(void **state)
{
	(void)state;
	conf_default(0, 0);
	struct alert_engine *e = alert_engine_new(&AC);
	const char *down[] = { "a-1", NULL };
	int64_t ids[64];
	size_t nids = 0;

	/* Down 3 min, up 3 min, for two hours; then stable. */
	for (double t = 0; t <= 7200 + 3600; t += 10) {
		bool is_down = t < 7200 && fmod(t, 360) < 180;
		eval(e, T0 + t, is_down ? down : NULL, NULL, 0, NULL, 0);
		const struct alert *a = alert_engine_find(e, AK_HAMLET_DOWN, "hamlet:a-1");
		if (a == NULL)
			continue;
		bool have = false;
		for (size_t i = 0; i < nids; i++)
			have |= ids[i] == a->id;
		if (!have && nids < 64)
			ids[nids++] = a->id;
	}
	/* Without damping: 20 firings and 20 resolves. With it: the first
	 * episode, the same alert reopened as flapping, one final resolve. */
	assert_int_equal(nids, 1);
	assert_int_equal(count("firing"), 2);
	assert_int_equal(count("resolved"), 2);
	assert_string_equal(rec.q[2].state, "firing");
	assert_non_null(strstr(rec.q[2].json, "\"flapping\":true"));
	assert_non_null(strstr(rec.q[2].summary, "(flapping)"));
	/* the last resolve: flap_window after the last bounce */
	assert_string_equal(rec.q[3].state, "resolved");
	alert_engine_free(e);
}

static void
test_silence(void **state)
{
	(void)state;
	conf_default(0, 0);
	struct alert_engine *e = alert_engine_new(&AC);
	const char *down[] = { "a-1", NULL };
	struct alert_silence sil = { .id = 1, .until = T0 + 1000 };

	assert_int_equal(alert_match_parse("commune:ca", &sil.match), 0);
	/* Begins under the silence, ends under it: nothing at all. */
	for (double t = 0; t <= 500; t += 10)
		eval(e, T0 + t, down, &sil, 1, NULL, 0);
	const struct alert *a = alert_engine_find(e, AK_HAMLET_DOWN, "hamlet:a-1");
	assert_int_equal(a->state, AS_FIRING);
	assert_true(a->silenced);
	assert_true(a->began_silenced);
	for (double t = 510; t <= 800; t += 10)
		eval(e, T0 + t, NULL, &sil, 1, NULL, 0);
	assert_int_equal(a->state, AS_RESOLVED);
	assert_int_equal(rec.nq, 0);
	alert_engine_free(e);

	/* Began under a silence that ends while it still fires: released
	 * then (one firing), and its resolve goes too. */
	conf_default(0, 0);
	e = alert_engine_new(&AC);
	sil.until = T0 + 600;
	for (double t = 0; t <= 900; t += 10)
		eval(e, T0 + t, down, &sil, 1, NULL, 0);
	assert_int_equal(count("firing"), 1);
	for (double t = 910; t <= 1200; t += 10)
		eval(e, T0 + t, NULL, &sil, 1, NULL, 0);
	assert_int_equal(count("resolved"), 1);
	alert_engine_free(e);

	/* Another commune's silence does not mute it. */
	conf_default(0, 0);
	e = alert_engine_new(&AC);
	assert_int_equal(alert_match_parse("hamlet:a-2", &sil.match), 0);
	sil.until = T0 + 10000;
	for (double t = 0; t <= 300; t += 10)
		eval(e, T0 + t, down, &sil, 1, NULL, 0);
	assert_int_equal(count("firing"), 1);
	alert_engine_free(e);
}

/* Two routes: the first, to n1, for `match` (going on to the next when
 * cont); the second, "rest", to n2. */
static void
conf_two_routes(const char *match, bool cont)
{
	conf_default(0, 0);
	AC.routes[1] = AC.routes[0];
	assert_int_equal(alert_match_parse(match, &AC.routes[0].match), 0);
	AC.routes[0].cont = cont;
	snprintf(AC.routes[1].name, 64, "rest");
	AC.routes[1].notify[0] = 1;
	AC.nroutes = 2;
}

/* An engine of AC in which the hamlets of `down` have been down 200 s. */
static struct alert_engine *
down_200s(const char *const *down)
{
	struct alert_engine *e = alert_engine_new(&AC);

	for (double t = 0; t <= 200; t += 10)
		eval(e, T0 + t, down, NULL, 0, NULL, 0);
	return e;
}

static void
test_routing(void **state)
{
	(void)state;
	const char *da[] = { "a-1", NULL }, *db[] = { "b-1", NULL };
	struct alert_engine *e;

	/* First match: commune ca goes to n1 only; the rest to n2. */
	conf_two_routes("commune:ca", false);
	e = down_200s(da);
	assert_int_equal(rec.nq, 1);
	assert_string_equal(rec.q[0].notifier, "n1");
	alert_engine_free(e);

	conf_two_routes("commune:ca", false);
	e = down_200s(db);
	assert_int_equal(rec.nq, 1);
	assert_string_equal(rec.q[0].notifier, "n2");
	alert_engine_free(e);

	/* continue = yes: both. */
	conf_two_routes("province:p1", true);
	e = down_200s(da);
	assert_int_equal(rec.nq, 2);
	assert_string_equal(rec.q[0].notifier, "n1");
	assert_string_equal(rec.q[1].notifier, "n2");
	alert_engine_free(e);

	/* A kinds filter skips the route; no route: nothing is sent. */
	conf_default(0, 0);
	AC.routes[0].kinds = 1u << AK_COMMUNE_RED;
	e = down_200s(da);
	assert_int_equal(rec.nq, 0);
	alert_engine_free(e);

	struct alert_match m;
	assert_int_equal(alert_match_parse("*", &m), 0);
	assert_int_equal(alert_match_parse("hamlet:bx-suoi-chai", &m), 0);
	assert_int_equal(m.type, MT_HAMLET);
	assert_int_equal(alert_match_parse("village:x", &m), -1);
	assert_int_equal(alert_match_parse("commune:Bad Id", &m), -1);
}

/* One evaluation at t with one condition of `kind` on hamlet a-1. */
static void
eval_kind(struct alert_engine *e, double t, enum alert_kind kind)
{
	static const char *h[] = { "a-1" };
	struct alert_cond c = {
		.kind = kind, .scope = kind == AK_COMMUNE_RED ? "commune:ca" : "hamlet:a-1",
		.province = "p1", .commune = "ca", .commune_name = "ca", .province_name = "P1",
		.hamlets = h, .nhamlets = 1, .agent = "", .what = "a-1", .detail = "",
	};
	alert_begin(e, t);
	assert_int_equal(alert_observe(e, &c), 0);
	alert_end(e, t, NULL, 0, NULL, 0, &SINK);
}

/* DESIGN.md section 7: severity per kind; a route's min_severity
 * (default warning) keeps the rollout backlog (info) from paging; naming
 * a kind in `kinds` still takes it. */
static void
test_severity_routing(void **state)
{
	(void)state;
	assert_int_equal(alert_kind_severity(AK_HAMLET_DOWN), SEV_CRITICAL);
	assert_int_equal(alert_kind_severity(AK_HAMLET_DEGRADED), SEV_WARNING);
	assert_int_equal(alert_kind_severity(AK_AGENT_UNKNOWN), SEV_WARNING);
	assert_int_equal(alert_kind_severity(AK_AGENT_CLOCK_SKEW), SEV_WARNING);
	assert_int_equal(alert_kind_severity(AK_AGENT_SPOOL_DROPPED), SEV_WARNING);
	assert_int_equal(alert_kind_severity(AK_HAMLET_OVERDUE), SEV_INFO);
	assert_int_equal(alert_kind_severity(AK_COMMUNE_RED), SEV_INFO);
	assert_int_equal(alert_severity_lookup("critical"), SEV_CRITICAL);
	assert_int_equal(alert_severity_lookup("urgent"), -1);

	const enum alert_kind kinds[] = { AK_HAMLET_DOWN, AK_HAMLET_DEGRADED, AK_HAMLET_OVERDUE,
	    AK_COMMUNE_RED };
	/* expected sends for: min_severity warning, critical, info, and
	 * warning with kinds = hamlet_overdue */
	const int want[4][4] = { { 1, 1, 0, 0 }, { 1, 0, 0, 0 }, { 1, 1, 1, 1 },
	    { 0, 0, 1, 0 } };
	for (int r = 0; r < 4; r++)
		for (int k = 0; k < 4; k++) {
			conf_default(0, 0);
			AC.routes[0].min_severity = r == 1 ? SEV_CRITICAL : r == 2 ? SEV_INFO :
			    SEV_WARNING;
			if (r == 3) {
				AC.routes[0].kinds = 1u << AK_HAMLET_OVERDUE;
				AC.routes[0].min_severity = SEV_INFO;   /* as conf.c sets it */
			}
			struct alert_engine *e = alert_engine_new(&AC);
			for (double t = 0; t <= 200; t += 10)
				eval_kind(e, T0 + t, kinds[k]);
			assert_int_equal(rec.nq, want[r][k]);
			if (rec.nq == 1) {
				json_object *o = json_tokener_parse(rec.q[0].json), *v;
				assert_non_null(o);
				assert_true(json_object_object_get_ex(o, "severity", &v));
				assert_string_equal(json_object_get_string(v),
				    alert_severity_name[alert_kind_severity(kinds[k])]);
				json_object_put(o);
			}
			alert_engine_free(e);
		}
}

/* lang = vi per notifier: the same page, written in Vietnamese; the other
 * notifier keeps English; neither payload carries the other language. */
static void
test_lang_per_notifier(void **state)
{
	(void)state;
	conf_default(0, 0);
	AC.routes[0].notify[1] = 1;
	AC.routes[0].nnotify = 2;
	AC.notifiers[1].vi = true;
	struct alert_engine *e = alert_engine_new(&AC);
	static const char *h[] = { "a-1" };
	struct alert_cond c = {
		.kind = AK_HAMLET_DOWN, .scope = "hamlet:a-1", .province = "p1", .commune = "ca",
		.commune_name = "Bản Lầu", .province_name = "Lào Cai", .hamlets = h, .nhamlets = 1,
		.agent = "", .subject = "Suối Chải (Bản Lầu)", .what = "Suối Chải (Bản Lầu) down",
		.detail = "", .subject_vi = "Suối Chải (Bản Lầu)",
		.what_vi = "Suối Chải (Bản Lầu) mất kết nối", .detail_vi = "",
	};
	for (double t = 0; t <= 200; t += 10) {
		alert_begin(e, T0 + t);
		assert_int_equal(alert_observe(e, &c), 0);
		alert_end(e, T0 + t, NULL, 0, NULL, 0, &SINK);
	}
	assert_int_equal(rec.nq, 2);
	const struct sent *en = strcmp(rec.q[0].notifier, "n1") == 0 ? &rec.q[0] : &rec.q[1];
	const struct sent *vi = en == &rec.q[0] ? &rec.q[1] : &rec.q[0];
	assert_non_null(strstr(en->summary, "[critical] Suối Chải (Bản Lầu) down since "
	    "2025-06-15 15:06 UTC+0 — ack: covmon ack "));
	assert_non_null(strstr(vi->summary, "[nghiêm trọng] Suối Chải (Bản Lầu) mất kết nối từ "
	    "15:06 ngày 15/06/2025 (UTC+0) — xác nhận: covmon ack "));
	assert_non_null(strstr(vi->json, "\"summary\":\"[nghiêm trọng] Suối Chải"));
	assert_null(strstr(vi->json, "summary_vi"));
	assert_null(strstr(en->json, "summary_vi"));
	assert_null(strstr(en->json, "mất kết nối"));
	alert_engine_free(e);
}

/* A firing alert whose condition wavers inside clear_for, never
 * resolving, is one problem held: not flapping (a commune's red alert
 * was marked flapping within its first minute). */
static void
test_no_flapping_before_a_resolve(void **state)
{
	(void)state;
	const char *down[] = { "a-1", NULL };
	conf_default(0, 0);
	struct alert_engine *e = down_200s(down);
	const struct alert *a = alert_engine_find(e, AK_HAMLET_DOWN, "hamlet:a-1");
	assert_non_null(a);
	assert_int_equal(a->state, AS_FIRING);
	for (double t = 210; t <= 400; t += 10)
		eval(e, T0 + t, ((long)t / 10) % 2 ? down : NULL, NULL, 0, NULL, 0);
	assert_int_equal(a->state, AS_FIRING);
	assert_false(a->flapping);
	assert_int_equal(count("firing"), 1);
	alert_engine_free(e);
}

static void
test_grouping(void **state)
{
	(void)state;
	conf_default(30, 0);
	struct alert_engine *e = alert_engine_new(&AC);
	const char *d1[] = { "a-1", NULL }, *d2[] = { "a-1", "a-2", "b-1", NULL };

	/* a-1 from t=0, a-2 and b-1 from t=10: a-1 and a-2 fire 10 s apart
	 * within group_wait: one notification for commune ca; b-1 its own. */
	eval(e, T0, d1, NULL, 0, NULL, 0);
	for (double t = 10; t <= 200; t += 10)
		eval(e, T0 + t, d2, NULL, 0, NULL, 0);
	assert_int_equal(rec.nq, 2);
	const struct sent *ca = strcmp(rec.q[0].scope, "commune:ca") == 0 ? &rec.q[0] : &rec.q[1];
	const struct sent *cb = ca == &rec.q[0] ? &rec.q[1] : &rec.q[0];
	assert_string_equal(ca->scope, "commune:ca");
	json_object *o = json_tokener_parse(ca->json), *h, *v;
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "hamlets", &h));
	assert_int_equal(json_object_array_length(h), 2);
	assert_true(json_object_object_get_ex(o, "v", &v));
	assert_int_equal(json_object_get_int(v), 1);
	assert_true(json_object_object_get_ex(o, "alerts", &v));
	assert_int_equal(json_object_array_length(v), 2);
	assert_non_null(strstr(ca->summary, "2 alerts"));
	json_object_put(o);
	assert_string_equal(cb->scope, "hamlet:b-1");
	/* Nothing before group_wait is over: the first fired at 120. */
	alert_engine_free(e);

	conf_default(30, 0);
	e = alert_engine_new(&AC);
	for (double t = 0; t <= 140; t += 10)
		eval(e, T0 + t, d1, NULL, 0, NULL, 0);
	assert_int_equal(rec.nq, 0);
	alert_flush(e, T0 + 149, &SINK);
	assert_int_equal(rec.nq, 0);
	assert_true(alert_flush_due(e, T0 + 150));
	alert_flush(e, T0 + 150, &SINK);
	assert_int_equal(rec.nq, 1);
	alert_engine_free(e);
}

/* The collector killed while a group waits: the sink kept its members,
 * and a new engine restored from them sends the same one notification at
 * the same deadline (issue 7: "never lost"). */
static void
test_group_survives_restart(void **state)
{
	(void)state;
	conf_default(60, 0);
	struct alert_engine *e = alert_engine_new(&AC);
	const char *d[] = { "a-1", "a-2", NULL };

	for (double t = 0; t <= 130; t += 10)
		eval(e, T0 + t, d, NULL, 0, NULL, 0);
	/* Fired at 120, waiting until 180: nothing sent, both kept. */
	assert_int_equal(rec.nq, 0);
	assert_int_equal(pend.n, 2);
	assert_string_equal(pend.r[0].route, "all");
	assert_string_equal(pend.r[0].key, "c:ca");
	assert_true(pend.r[0].deadline == T0 + 180);
	alert_engine_free(e);                  /* SIGKILL */

	e = alert_engine_new(&AC);
	for (size_t i = 0; i < pend.n; i++) {
		struct alert_pending p = {
			.route = pend.r[i].route, .key = pend.r[i].key,
			.resolved = pend.r[i].resolved, .deadline = pend.r[i].deadline,
			.scope = pend.r[i].scope, .name = pend.r[i].name,
			.province = pend.r[i].province, .commune = pend.r[i].commune,
			.id = pend.r[i].id, .nhamlets = pend.r[i].nh, .since = pend.r[i].since,
			.summary = pend.r[i].summary, .json = pend.r[i].json,
		};
		assert_int_equal(alert_engine_restore_pending(e, &p), 0);
	}
	/* A route that left the config, a payload that is not JSON. */
	struct alert_pending bad = { .route = "gone", .key = "c:ca", .scope = "", .name = "",
	    .province = "", .commune = "", .summary = "", .json = "{}" };
	assert_int_equal(alert_engine_restore_pending(e, &bad), -1);
	bad.route = "all";
	bad.json = "not json";
	assert_int_equal(alert_engine_restore_pending(e, &bad), -1);
	alert_flush(e, T0 + 179, &SINK);
	assert_int_equal(rec.nq, 0);
	alert_flush(e, T0 + 180, &SINK);
	assert_int_equal(rec.nq, 1);
	assert_string_equal(rec.q[0].scope, "commune:ca");
	assert_string_equal(rec.q[0].state, "firing");
	assert_non_null(strstr(rec.q[0].json, "\"hamlets\":[\"a-1\",\"a-2\"]"));
	assert_non_null(strstr(rec.q[0].summary, "2 alerts"));
	assert_int_equal(pend.n, 0);           /* sent: forgotten */
	alert_engine_free(e);
}

/* SIGHUP's new routes: what waits goes by the old ones, repeats follow
 * the new ones. */
static void
test_set_conf(void **state)
{
	(void)state;
	conf_default(60, 0);
	struct alert_engine *e = alert_engine_new(&AC);
	const char *d[] = { "a-1", NULL };

	for (double t = 0; t <= 130; t += 10)
		eval(e, T0 + t, d, NULL, 0, NULL, 0);
	assert_int_equal(rec.nq, 0);
	static struct alert_conf ac2;
	ac2 = AC;
	snprintf(ac2.routes[0].name, sizeof ac2.routes[0].name, "night");
	ac2.routes[0].notify[0] = 1;           /* n2 now */
	ac2.routes[0].repeat = 600;
	ac2.routes[0].group_wait = 0;
	alert_engine_set_conf(e, &ac2, &SINK);
	assert_int_equal(rec.nq, 1);           /* sent at once, to n1, by "all" */
	assert_string_equal(rec.q[0].notifier, "n1");
	assert_int_equal(pend.n, 0);
	const struct alert *a = alert_engine_find(e, AK_HAMLET_DOWN, "hamlet:a-1");
	assert_non_null(a);
	assert_true(a->repeat == 600);
	/* It resolves: through the new route, to n2. */
	for (double t = 140; t <= 400; t += 10)
		eval(e, T0 + t, NULL, NULL, 0, NULL, 0);
	assert_int_equal(rec.nq, 2);
	assert_string_equal(rec.q[1].notifier, "n2");
	assert_string_equal(rec.q[1].state, "resolved");
	alert_engine_free(e);
}

static void
test_parse_until(void **state)
{
	(void)state;
	double v;

	assert_int_equal(alert_parse_until("2h", T0, &v), 0);
	assert_true(v == T0 + 7200);
	assert_int_equal(alert_parse_until("90", T0, &v), 0);
	assert_true(v == T0 + 90);
	assert_int_equal(alert_parse_until("1763800020", T0, &v), 0);
	assert_true(v == 1763800020);
	assert_int_equal(alert_parse_until("2025-11-22T18:00:00Z", T0, &v), 0);
	assert_true(v == 1763834400);
	assert_int_equal(alert_parse_until("2025-11-22T18:00+07:00", T0, &v), 0);
	assert_true(v == 1763834400 - 7 * 3600);
	assert_int_equal(alert_parse_until("2025-11-22 18:00", T0, &v), 0);  /* TZ=UTC */
	assert_true(v == 1763834400);
	assert_int_equal(alert_parse_until("tomorrow", T0, &v), -1);
	assert_int_equal(alert_parse_until("2025-13-01", T0, &v), -1);
	assert_int_equal(alert_parse_until("", T0, &v), -1);
}

/* --- topology, through alert_eval and a real coverage evaluation --- */

#define HDR "hamlet_id,hamlet_name,village,commune_id,commune_name," \
	"province_id,province_name,lat,lon,agent_id,uplink_hamlet_id,target_date,population\n"

static bool cut;

/* An inventory of HDR and `rows`, through a temporary file. */
static struct inventory *
load_inventory(const char *rows)
{
	char dir[64], path[128], err[1024];
	struct inventory *inv;
	FILE *fp;

	tl_tmpdir(dir, sizeof dir, "alert");
	snprintf(path, sizeof path, "%s/inventory.csv", dir);
	assert_non_null(fp = fopen(path, "w"));
	fputs(HDR, fp);
	fputs(rows, fp);
	assert_int_equal(fclose(fp), 0);
	if (inventory_load(&inv, path, NULL, err, sizeof err) == -1)
		fail_msg("%s", err);
	tl_rmtree(dir);
	return inv;
}

static const struct agent_view *
view(const char *agent, void *arg)
{
	static struct agent_view v;
	double now = *(double *)arg;

	memset(&v, 0, sizeof v);
	v.reported = true;
	v.online = 1;
	v.last_seen = now - 10;
	v.loss_pct = 0;
	v.rtt_ms = 50;
	/* The cut takes the root and everything behind it. */
	if (cut && strncmp(agent, "ag-o", 4) != 0) {
		v.online = 0;
		v.last_seen = now - 1000;
	}
	return &v;
}

static void
test_uplink_folding(void **state)
{
	(void)state;
	struct inventory *inv = load_inventory(
	    "root,Suối Chải,,bx,Bát Xát,lc,Lào Cai,,,ag-root,,,\n"
	    "c1,Phìn Hồ,,bx,Bát Xát,lc,Lào Cai,,,ag-c1,root,,\n"
	    "c2,Trung Lèng Hồ,,bx,Bát Xát,lc,Lào Cai,,,ag-c2,root,,\n"
	    "c3,Ngải Thầu,,bx,Bát Xát,lc,Lào Cai,,,ag-c3,c1,,\n"
	    "other,Ô Quy Hồ,,bx,Bát Xát,lc,Lào Cai,,,ag-other,,,\n");

	conf_default(0, 0);
	struct alerts *al = alerts_new(&AC, &CC);
	struct alert_engine *e = alerts_engine(al);
	struct inv_ref *ref = inv_ref_new(inv, "inventory.csv", T0);
	struct coverage *prev = NULL;

	for (double t = 0; t <= 1200; t += 10) {
		double now = T0 + t;
		struct coverage *c;
		cut = t >= 100 && t < 600;
		assert_int_equal(coverage_evaluate(&c, inv, &CC, view, &now, now, T0 - 86400,
		    prev), 0);
		struct snapshot s = { .inv = ref, .cov = c };
		alert_begin(e, now);
		alerts_observe(al, &s, now);
		alert_end(e, now, NULL, 0, NULL, 0, &SINK);
		coverage_free(prev);
		prev = c;
		if (t == 400) {
			assert_int_equal(c->hamlets[0].state, HS_DOWN);
			assert_int_equal(c->hamlets[1].state, HS_UNREACHABLE);
			assert_int_equal(c->hamlets[3].state, HS_UNREACHABLE);
			/* One alert for the cut, with its root first; none for
			 * the hamlets behind it. */
			const struct alert *a = alert_engine_find(e, AK_HAMLET_DOWN, "hamlet:root");
			assert_non_null(a);
			assert_int_equal(a->state, AS_FIRING);
			assert_int_equal(a->nhamlets, 4);
			assert_string_equal(a->hamlets[0], "root");
			assert_null(alert_engine_find(e, AK_HAMLET_DOWN, "hamlet:c1"));
			assert_null(alert_engine_find(e, AK_HAMLET_DOWN, "hamlet:c3"));
			assert_int_equal(alert_engine_count(e), 1);
			assert_int_equal(rec.nq, 1);
			assert_non_null(strstr(rec.q[0].summary,
			    "Suối Chải (Bát Xát) down since"));
			/* Every hamlet by name, the root first. */
			assert_non_null(strstr(rec.q[0].summary, "; also cut, 3 hamlets behind it: "
			    "Phìn Hồ, Trung Lèng Hồ, Ngải Thầu"));
			assert_non_null(strstr(rec.q[0].json,
			    "\"hamlets\":[\"root\",\"c1\",\"c2\",\"c3\"]"));
		}
	}
	/* The uplink came back: one resolve covers them all. */
	assert_int_equal(count("firing"), 1);
	assert_int_equal(count("resolved"), 1);
	assert_non_null(strstr(rec.q[1].json, "\"hamlets\":[\"root\",\"c1\",\"c2\",\"c3\"]"));
	coverage_free(prev);
	alerts_free(al);
	inv_ref_put(ref);
}

/* An agent ten minutes ahead: every sample refused (max_clock_skew),
 * so last_ts never moves; the writer's record of the refusals raises
 * agent_clock_skew, and it clears once a sample is taken again. */
static double skew_now;
static bool skewed;
static const struct agent_view *
skew_view(const char *agent, void *arg)
{
	static struct agent_view v;
	(void)agent;
	(void)arg;
	memset(&v, 0, sizeof v);
	v.reported = true;
	v.online = 1;
	v.loss_pct = 0;
	v.rtt_ms = 50;
	v.last_ts = (int64_t)T0;
	v.last_seen = skewed ? T0 : skew_now - 5;
	if (skewed) {
		v.refused_skew = 600;
		v.refused_at = skew_now - 5;
	}
	return &v;
}

static void
test_clock_skew_refused(void **state)
{
	(void)state;
	struct inventory *inv = load_inventory("h1,Suối Chải,,bx,Bát Xát,lc,Lào Cai,,,ag-1,,,\n");
	conf_default(0, 0);
	AC.for_s[AK_AGENT_CLOCK_SKEW] = 60;
	struct alerts *al = alerts_new(&AC, &CC);
	struct alert_engine *e = alerts_engine(al);
	struct inv_ref *ref = inv_ref_new(inv, "inventory.csv", T0);
	struct coverage *prev = NULL;
	/* A collector of another province, with the same inventory: silent. */
	static const char other[1][ID_MAX + 1] = { "tn" };
	struct alerts *al2 = alerts_new(&AC, &CC);
	alerts_set_provinces(al2, other, 1);

	for (double t = 0; t <= 900; t += 10) {
		struct coverage *c;
		skew_now = T0 + t;
		skewed = t >= 100 && t < 500;
		assert_int_equal(coverage_evaluate(&c, inv, &CC, skew_view, NULL, skew_now,
		    T0 - 86400, prev), 0);
		struct snapshot s = { .inv = ref, .cov = c };
		struct agent_view views[1] = { *skew_view("ag-1", NULL) };
		s.views = views;
		alert_begin(e, skew_now);
		alerts_observe(al, &s, skew_now);
		alert_end(e, skew_now, NULL, 0, NULL, 0, &SINK);
		alert_begin(alerts_engine(al2), skew_now);
		alerts_observe(al2, &s, skew_now);
		assert_int_equal(alert_engine_count(alerts_engine(al2)), 0);
		coverage_free(prev);
		prev = c;
		const struct alert *a = alert_engine_find(e, AK_AGENT_CLOCK_SKEW, "agent:ag-1");
		if (t == 90)
			assert_null(a);
		if (t == 200) {
			assert_non_null(a);
			assert_int_equal(a->state, AS_FIRING);
			assert_non_null(strstr(a->what, "clock 600 s ahead"));
		}
	}
	size_t firing = 0, resolved = 0;
	for (size_t i = 0; i < rec.nq; i++) {
		if (strcmp(rec.q[i].kind, "agent_clock_skew") != 0)
			continue;
		firing += strcmp(rec.q[i].state, "firing") == 0;
		resolved += strcmp(rec.q[i].state, "resolved") == 0;
	}
	assert_int_equal(firing, 1);
	assert_int_equal(resolved, 1);
	coverage_free(prev);
	alerts_free(al);
	alerts_free(al2);
	inv_ref_put(ref);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_for_and_resolve),
		cmocka_unit_test(test_repeat_backoff_and_ack),
		cmocka_unit_test(test_flapping),
		cmocka_unit_test(test_silence),
		cmocka_unit_test(test_routing),
		cmocka_unit_test(test_grouping),
		cmocka_unit_test(test_group_survives_restart),
		cmocka_unit_test(test_set_conf),
		cmocka_unit_test(test_parse_until),
		cmocka_unit_test(test_uplink_folding),
		cmocka_unit_test(test_clock_skew_refused),
		cmocka_unit_test(test_severity_routing),
		cmocka_unit_test(test_no_flapping_before_a_resolve),
		cmocka_unit_test(test_lang_per_notifier),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
