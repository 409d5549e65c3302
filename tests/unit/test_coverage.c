/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The coverage evaluation (collector/coverage.c): every state, uplink
 * chains, the blind guard, hysteresis, overdue dates, `since`, and the
 * rollups' colours at their exact boundaries. Times are fixed numbers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testlib.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coverage.h"

#define HDR	"hamlet_id,hamlet_name,village,commune_id,commune_name," \
		"province_id,province_name,lat,lon,agent_id,uplink_hamlet_id," \
		"target_date,population\n"
#define THDR	"scope,id,coverage_pct,deadline\n"

/* 2025-06-01 is day 20240 since the epoch; NOW is noon of 2025-06-10. */
#define D_0601	20240
#define NOW	((D_0601 + 9) * 86400.0 + 43200.0)
/* The collector has heard its broker for a day: no blindness. */
#define LONG_AGO	(NOW - 86400.0)

static const struct coverage_conf CONF = {
	.window = 900, .offline_after = 180, .max_loss_pct = 5,
	.max_rtt_ms = 300, .yellow_margin_pct = 10,
};

static struct inventory *
load(const char *inv_text, const char *tgt_text)
{
	struct inventory *inv;
	char err[4096];

	tl_write_file("inventory.csv", inv_text);
	if (tgt_text != NULL)
		tl_write_file("targets.csv", tgt_text);
	if (inventory_load(&inv, "inventory.csv",
	    tgt_text != NULL ? "targets.csv" : NULL, err, sizeof err) == -1)
		fail_msg("inventory: %s", err);
	return inv;
}

/* A hamlet row in commune c1 of province p1. */
#define H(id, agent, uplink, date) \
	id ",N " id ",,c1,C1,p1,P1,,," agent "," uplink "," date ",\n"

/* The agents the test knows of, by id. */
#define MAXV 32
struct views {
	size_t n;
	const char *id[MAXV];
	struct agent_view v[MAXV];
};

static struct agent_view *
vset(struct views *vs, const char *id)
{
	for (size_t i = 0; i < vs->n; i++)
		if (strcmp(vs->id[i], id) == 0)
			return &vs->v[i];
	assert_true(vs->n < MAXV);
	vs->id[vs->n] = id;
	return &vs->v[vs->n++];
}

/* An agent that reported `age` seconds ago with these window figures. */
static void
seen(struct views *vs, const char *id, int online, double age, double loss,
    double rtt)
{
	struct agent_view *v = vset(vs, id);

	memset(v, 0, sizeof *v);
	v->reported = true;
	v->online = online;
	v->last_seen = NOW - age;
	v->loss_pct = loss;
	v->rtt_ms = rtt;
}

static const struct agent_view *
view_fn(const char *agent, void *arg)
{
	struct views *vs = arg;

	for (size_t i = 0; i < vs->n; i++)
		if (strcmp(vs->id[i], agent) == 0)
			return &vs->v[i];
	return NULL;
}

static struct coverage *
eval(const struct inventory *inv, struct views *vs, double now,
    double input_since, const struct coverage *prev)
{
	struct coverage *c;

	assert_int_equal(coverage_evaluate(&c, inv, &CONF, view_fn, vs, now,
	    input_since, prev), 0);
	assert_non_null(c);
	assert_ptr_equal(c->inv, inv);
	assert_true(c->at == now);
	return c;
}

static const struct hamlet_eval *
hev(const struct coverage *c, const char *id)
{
	const struct inv_hamlet *h = inventory_hamlet(c->inv, id);

	if (h == NULL)
		fail_msg("no hamlet %s", id);
	return &c->hamlets[h - c->inv->hamlets];
}

static int32_t
idx(const struct inventory *inv, const char *id)
{
	return (int32_t)(inventory_hamlet(inv, id) - inv->hamlets);
}

#define assert_state(c, id, st) \
	assert_string_equal(hamlet_state_name[hev(c, id)->state], \
	    hamlet_state_name[st])

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(hamlet_state_name[HS_COVERED], "covered");
	assert_string_equal(hamlet_state_name[HS_DEGRADED], "degraded");
	assert_string_equal(hamlet_state_name[HS_DOWN], "down");
	assert_string_equal(hamlet_state_name[HS_UNREACHABLE], "unreachable");
	assert_string_equal(hamlet_state_name[HS_UNMONITORED], "unmonitored");
	for (int i = 0; i < HS__COUNT; i++)
		assert_int_equal(hamlet_state_lookup(hamlet_state_name[i]), i);
	assert_int_equal(hamlet_state_lookup("uncovered"), -2);
	assert_int_equal(hamlet_state_lookup("Covered"), -1);
	assert_int_equal(hamlet_state_lookup(""), -1);
	assert_int_equal(hamlet_state_lookup("covered "), -1);
	assert_int_equal(hamlet_state_lookup(NULL), -1);
	assert_string_equal(colour_name(COLOUR_GREEN), "green");
	assert_string_equal(colour_name(COLOUR_YELLOW), "yellow");
	assert_string_equal(colour_name(COLOUR_RED), "red");
	assert_null(colour_name(COLOUR_NONE));
}

static void
test_states(void **state)
{
	struct views vs = { 0 };
	struct inventory *inv;
	struct coverage *c;
	const struct hamlet_eval *h;

	(void)state;
	inv = load(HDR
	    H("none", "", "", "")
	    H("never", "a-never", "", "")
	    H("silent", "a-silent", "", "")
	    H("good", "a-good", "", "")
	    H("noicmp", "a-noicmp", "", "")
	    H("edge", "a-edge", "", "")
	    H("lossy", "a-lossy", "", "")
	    H("slow", "a-slow", "", "")
	    H("lwt", "a-lwt", "", "")
	    H("stale", "a-stale", "", "")
	    H("just", "a-just", "", "")
	    H("nosample", "a-nosample", "", ""), NULL);
	/* a-never: the collector never heard of it (no view at all). */
	vset(&vs, "a-silent")->reported = false;
	seen(&vs, "a-good", 1, 30, 1, 50);
	seen(&vs, "a-noicmp", -1, 30, NAN, NAN);
	seen(&vs, "a-edge", 1, 30, 5.0, 300.0);
	seen(&vs, "a-lossy", 1, 30, 5.01, 50);
	seen(&vs, "a-slow", 1, 30, 0, 300.5);
	seen(&vs, "a-lwt", 0, 10, 0, 50);
	seen(&vs, "a-stale", 1, 181, 0, 50);
	seen(&vs, "a-just", 1, 180, 0, 50);
	seen(&vs, "a-nosample", 1, 0, NAN, NAN);
	vset(&vs, "a-nosample")->last_seen = 0;

	c = eval(inv, &vs, NOW, LONG_AGO, NULL);
	assert_false(c->blind);
	assert_state(c, "none", HS_UNMONITORED);
	assert_state(c, "never", HS_UNMONITORED);
	assert_state(c, "silent", HS_UNMONITORED);
	assert_state(c, "good", HS_COVERED);
	assert_state(c, "noicmp", HS_COVERED);  /* no ICMP data breaches nothing */
	assert_state(c, "edge", HS_COVERED);    /* thresholds are inclusive */
	assert_state(c, "lossy", HS_DEGRADED);
	assert_state(c, "slow", HS_DEGRADED);
	assert_state(c, "lwt", HS_DOWN);
	assert_state(c, "stale", HS_DOWN);
	assert_state(c, "just", HS_COVERED);    /* silent exactly offline_after */
	assert_state(c, "nosample", HS_DOWN);

	h = hev(c, "lossy");
	assert_true(h->loss_breach);
	assert_false(h->rtt_breach);
	h = hev(c, "slow");
	assert_false(h->loss_breach);
	assert_true(h->rtt_breach);
	h = hev(c, "good");
	assert_false(h->loss_breach || h->rtt_breach || h->overdue);
	assert_int_equal(h->root, -1);
	assert_true(h->last_seen == NOW - 30);
	assert_true(h->loss_pct == 1 && h->rtt_ms == 50);
	assert_true(h->since == NOW);
	h = hev(c, "none");
	assert_true(h->last_seen == 0);
	assert_true(isnan(h->loss_pct) && isnan(h->rtt_ms));
	assert_int_equal(hev(c, "lwt")->root, -1);

	assert_int_equal(c->all.total, 12);
	assert_int_equal(c->all.counts[HS_COVERED], 4);
	assert_int_equal(c->all.counts[HS_DEGRADED], 2);
	assert_int_equal(c->all.counts[HS_DOWN], 3);
	assert_int_equal(c->all.counts[HS_UNREACHABLE], 0);
	assert_int_equal(c->all.counts[HS_UNMONITORED], 3);
	assert_true(c->all.covered_pct == 4 * 100.0 / 12);
	assert_memory_equal(&c->communes[0], &c->all, offsetof(struct rollup,
	    covered_pct));
	assert_memory_equal(&c->provinces[0], &c->all, offsetof(struct rollup,
	    covered_pct));

	/* The "uncovered" filter of the API: down + unreachable + unmonitored. */
	int want = hamlet_state_lookup("uncovered"), n = 0;
	assert_int_equal(want, -2);
	for (size_t i = 0; i < inv->nhamlets; i++) {
		uint8_t s = c->hamlets[i].state;
		if (s == HS_DOWN || s == HS_UNREACHABLE || s == HS_UNMONITORED)
			n++;
	}
	assert_int_equal(n, 6);
	coverage_free(c);
	inventory_free(inv);
}

/*
 * Chains, listed children first so the memo is filled out of file order:
 *   a (down) <- b (down) <- c (down)           c, b unreachable, root a
 *            <- d (no agent) <- g (down)       d unmonitored, g unreachable
 *            <- e (online) <- f (down)         f down: e proves the path
 *   x (down, direct)                           down
 *   z (no agent, direct) <- y (down)           y down
 *   p (online) <- q (online) <- r (online)     covered
 */
static void
test_uplink_chains(void **state)
{
	struct views vs = { 0 };
	struct inventory *inv;
	struct coverage *c;

	(void)state;
	inv = load(HDR
	    H("c", "a-c", "b", "")
	    H("g", "a-g", "d", "")
	    H("f", "a-f", "e", "")
	    H("b", "a-b", "a", "")
	    H("d", "", "b", "")
	    H("e", "a-e", "a", "")
	    H("a", "a-a", "", "")
	    H("x", "a-x", "", "")
	    H("y", "a-y", "z", "")
	    H("z", "", "", "")
	    H("r", "a-r", "q", "")
	    H("q", "a-q", "p", "")
	    H("p", "a-p", "", ""), NULL);
	seen(&vs, "a-a", 0, 100, NAN, NAN);     /* Last Will */
	seen(&vs, "a-b", 1, 600, 0, 50);        /* stale */
	seen(&vs, "a-c", 0, 300, 0, 50);
	seen(&vs, "a-g", 1, 900, 0, 50);
	seen(&vs, "a-e", 1, 20, 0, 50);
	seen(&vs, "a-f", 1, 900, 0, 50);
	seen(&vs, "a-x", 0, 900, 0, 50);
	seen(&vs, "a-y", 1, 900, 0, 50);
	seen(&vs, "a-p", 1, 20, 0, 50);
	seen(&vs, "a-q", 1, 20, 0, 50);
	seen(&vs, "a-r", 1, 20, 0, 50);

	c = eval(inv, &vs, NOW, LONG_AGO, NULL);
	assert_state(c, "a", HS_DOWN);
	assert_int_equal(hev(c, "a")->root, -1);
	assert_state(c, "b", HS_UNREACHABLE);
	assert_int_equal(hev(c, "b")->root, idx(inv, "a"));
	assert_state(c, "c", HS_UNREACHABLE);
	assert_int_equal(hev(c, "c")->root, idx(inv, "a"));
	assert_state(c, "d", HS_UNMONITORED);
	assert_int_equal(hev(c, "d")->root, -1);
	assert_state(c, "g", HS_UNREACHABLE);
	assert_int_equal(hev(c, "g")->root, idx(inv, "a"));
	assert_state(c, "e", HS_COVERED);
	assert_state(c, "f", HS_DOWN);
	assert_int_equal(hev(c, "f")->root, -1);
	assert_state(c, "x", HS_DOWN);
	assert_state(c, "y", HS_DOWN);
	assert_state(c, "z", HS_UNMONITORED);
	assert_state(c, "p", HS_COVERED);
	assert_state(c, "q", HS_COVERED);
	assert_state(c, "r", HS_COVERED);
	assert_int_equal(c->all.counts[HS_UNREACHABLE], 3);
	assert_int_equal(c->all.counts[HS_DOWN], 4);
	coverage_free(c);

	/* The root comes back: its children are down on their own now, the
	 * top-most of them the new root. */
	seen(&vs, "a-a", 1, 10, 0, 50);
	c = eval(inv, &vs, NOW, LONG_AGO, NULL);
	assert_state(c, "a", HS_COVERED);
	assert_state(c, "b", HS_DOWN);
	assert_state(c, "c", HS_UNREACHABLE);
	assert_int_equal(hev(c, "c")->root, idx(inv, "b"));
	assert_state(c, "g", HS_UNREACHABLE);
	assert_int_equal(hev(c, "g")->root, idx(inv, "b"));
	coverage_free(c);
	inventory_free(inv);
}

/* A chain 20,000 deep, deepest first in the file, every agent silent: one
 * root, everything else unreachable from it (and no recursion to blow). */
static const struct agent_view *
view_stale(const char *agent, void *arg)
{
	static const struct agent_view v = {
		.reported = true, .online = 1, .last_seen = NOW - 3600,
		.loss_pct = NAN, .rtt_ms = NAN,
	};

	(void)agent;
	(void)arg;
	return &v;
}

static void
test_deep_chain(void **state)
{
	const int n = 20000;
	struct inventory *inv;
	struct coverage *c;
	char *text, *p;
	size_t cap = (size_t)n * 96 + sizeof HDR;

	(void)state;
	assert_non_null(text = malloc(cap));
	p = text + snprintf(text, cap, HDR);
	for (int i = n - 1; i >= 0; i--) {
		char up[32] = "";
		if (i > 0)
			snprintf(up, sizeof up, "h%d", i - 1);
		p += snprintf(p, cap - (size_t)(p - text),
		    "h%d,H,,c1,C1,p1,P1,,,a%d,%s,,\n", i, i, up);
	}
	inv = load(text, NULL);
	free(text);
	assert_int_equal(coverage_evaluate(&c, inv, &CONF, view_stale, NULL,
	    NOW, LONG_AGO, NULL), 0);
	assert_state(c, "h0", HS_DOWN);
	assert_int_equal(c->all.counts[HS_DOWN], 1);
	assert_int_equal(c->all.counts[HS_UNREACHABLE], n - 1);
	for (size_t i = 0; i < inv->nhamlets; i++)
		if (c->hamlets[i].state == HS_UNREACHABLE)
			assert_int_equal(c->hamlets[i].root, idx(inv, "h0"));
	coverage_free(c);
	inventory_free(inv);
}

/* Every agent fresh and good: a commune's share covered is its share of
 * hamlets with an agent. */
static const struct agent_view *
view_good(const char *agent, void *arg)
{
	static const struct agent_view v = {
		.reported = true, .online = 1, .last_seen = NOW - 10,
		.loss_pct = 0, .rtt_ms = 20,
	};

	(void)agent;
	(void)arg;
	return &v;
}

/* `covered` of `total` hamlets in commune cid of province pid. */
static void
commune_rows(FILE *fp, const char *cid, const char *pid, int covered,
    int total)
{
	char agent[64];

	for (int i = 0; i < total; i++) {
		agent[0] = '\0';
		if (i < covered)
			snprintf(agent, sizeof agent, "a-%s-%d", cid, i);
		fprintf(fp, "%s-%d,H,,%s,C %s,%s,P %s,,,%s,,,\n", cid, i, cid,
		    cid, pid, pid, agent);
	}
}

static void
test_colours(void **state)
{
	struct inventory *inv;
	struct coverage *c;
	const struct rollup *r;
	char err[4096];
	FILE *fp;

	(void)state;
	assert_non_null(fp = fopen("inventory.csv", "wb"));
	fputs(HDR, fp);
	commune_rows(fp, "green", "p97", 97, 100);     /* 97.00: green */
	commune_rows(fp, "yellow", "p97", 87, 100);    /* 87.00: yellow */
	commune_rows(fp, "red", "p97", 8699, 10000);   /* 86.99: red */
	commune_rows(fp, "own", "p97", 50, 100);       /* own target 50: green */
	commune_rows(fp, "free", "pnone", 10, 100);    /* no target at all */
	commune_rows(fp, "full", "pnone", 3, 3);
	assert_int_equal(fclose(fp), 0);
	tl_write_file("targets.csv", THDR
	    "province,p97,97,2025-12-31\n"
	    "commune,own,50,2026-06-30\n");
	if (inventory_load(&inv, "inventory.csv", "targets.csv", err,
	    sizeof err) == -1)
		fail_msg("%s", err);

	assert_int_equal(coverage_evaluate(&c, inv, &CONF, view_good, NULL,
	    NOW, LONG_AGO, NULL), 0);
	r = &c->communes[inventory_commune(inv, "green") - inv->communes];
	assert_true(r->covered_pct == 97.0);
	assert_true(r->target_pct == 97.0);
	assert_int_equal(r->colour, COLOUR_GREEN);
	assert_int_equal(r->deadline, D_0601 + 213);	/* 2025-12-31 */
	assert_int_equal(r->counts[HS_COVERED], 97);
	assert_int_equal(r->counts[HS_UNMONITORED], 3);
	assert_int_equal(r->total, 100);

	r = &c->communes[inventory_commune(inv, "yellow") - inv->communes];
	assert_true(r->covered_pct == 87.0);
	assert_int_equal(r->colour, COLOUR_YELLOW);

	r = &c->communes[inventory_commune(inv, "red") - inv->communes];
	assert_true(r->covered_pct == 86.99);
	assert_int_equal(r->colour, COLOUR_RED);
	assert_int_equal(r->total, 10000);

	r = &c->communes[inventory_commune(inv, "own") - inv->communes];
	assert_true(r->target_pct == 50.0);
	assert_int_equal(r->deadline, D_0601 + 394);	/* 2026-06-30 */
	assert_int_equal(r->colour, COLOUR_GREEN);

	r = &c->communes[inventory_commune(inv, "free") - inv->communes];
	assert_true(r->covered_pct == 10.0);
	assert_true(isnan(r->target_pct));
	assert_int_equal(r->deadline, INV_NO_DATE);
	assert_int_equal(r->colour, COLOUR_NONE);
	r = &c->communes[inventory_commune(inv, "full") - inv->communes];
	assert_true(r->covered_pct == 100.0);
	assert_int_equal(r->colour, COLOUR_NONE);

	/* p97: 97 + 87 + 8699 + 50 of 10300 = 86.83 %: red. */
	r = &c->provinces[inventory_province(inv, "p97") - inv->provinces];
	assert_int_equal(r->total, 10300);
	assert_int_equal(r->counts[HS_COVERED], 8933);
	assert_true(r->covered_pct == 8933 * 100.0 / 10300);
	assert_true(r->target_pct == 97.0);
	assert_int_equal(r->colour, COLOUR_RED);
	r = &c->provinces[inventory_province(inv, "pnone") - inv->provinces];
	assert_int_equal(r->total, 103);
	assert_int_equal(r->colour, COLOUR_NONE);
	assert_true(isnan(r->target_pct));

	assert_int_equal(c->all.total, 10403);
	assert_int_equal(c->all.colour, COLOUR_NONE);
	assert_true(isnan(c->all.target_pct));
	assert_int_equal(c->all.deadline, INV_NO_DATE);
	coverage_free(c);
	inventory_free(inv);
}

/* An inventory with no hamlet: nothing to divide, no colour. */
static void
test_empty(void **state)
{
	struct inventory inv;
	struct coverage *c;

	(void)state;
	memset(&inv, 0, sizeof inv);
	assert_int_equal(coverage_evaluate(&c, &inv, &CONF, view_good, NULL,
	    NOW, LONG_AGO, NULL), 0);
	assert_int_equal(c->all.total, 0);
	assert_true(isnan(c->all.covered_pct));
	assert_int_equal(c->all.colour, COLOUR_NONE);
	coverage_free(c);
	coverage_free(NULL);
}

static void
test_overdue(void **state)
{
	struct views vs = { 0 };
	struct inventory *inv;
	struct coverage *c;
	const double midnight = D_0601 * 86400.0, day_over = midnight + 86400;

	(void)state;
	inv = load(HDR
	    H("due", "", "", "2025-06-01")
	    H("okdue", "a-ok", "", "2025-06-01")
	    H("baddue", "a-bad", "", "2025-06-01")
	    H("later", "", "", "2025-07-01")
	    H("nodate", "", "", ""), NULL);
	seen(&vs, "a-ok", 1, 0, 0, 20);
	seen(&vs, "a-bad", 1, 0, 50, 20);

	const double times[] = { midnight - 1, midnight, midnight + 43200,
	    day_over - 1, day_over, day_over + 86400 * 100 };
	const bool want[] = { false, false, false, false, true, true };
	for (size_t t = 0; t < sizeof times / sizeof *times; t++) {
		/* Fresh at each time. */
		vset(&vs, "a-ok")->last_seen = times[t] - 10;
		vset(&vs, "a-bad")->last_seen = times[t] - 10;
		c = eval(inv, &vs, times[t], LONG_AGO - 86400 * 30, NULL);
		assert_int_equal(hev(c, "due")->overdue, want[t]);
		assert_int_equal(hev(c, "baddue")->overdue, want[t]);
		assert_state(c, "baddue", HS_DEGRADED);
		assert_false(hev(c, "okdue")->overdue);
		assert_state(c, "okdue", HS_COVERED);
		assert_int_equal(hev(c, "later")->overdue, t == 5);
		assert_false(hev(c, "nodate")->overdue);
		assert_int_equal(c->all.overdue, (want[t] ? 2 : 0) + (t == 5));
		assert_int_equal(c->communes[0].overdue, c->all.overdue);
		assert_int_equal(c->provinces[0].overdue, c->all.overdue);
		coverage_free(c);
	}
	inventory_free(inv);
}

static void
test_blind(void **state)
{
	struct views vs = { 0 };
	struct inventory *inv;
	struct coverage *c, *prev;

	(void)state;
	inv = load(HDR
	    H("stale", "a-stale", "", "")
	    H("lwt", "a-lwt", "", "")
	    H("good", "a-good", "", "")
	    H("child", "a-child", "stale", "")
	    H("wasdown", "a-wasdown", "", ""), NULL);
	seen(&vs, "a-stale", 1, 1000, NAN, NAN);
	seen(&vs, "a-lwt", 0, 1000, NAN, NAN);
	seen(&vs, "a-good", 1, 10, 0, 20);
	seen(&vs, "a-child", 1, 1000, NAN, NAN);
	seen(&vs, "a-wasdown", 1, 1000, NAN, NAN);

	/* Heard for a day: silence is an outage. */
	prev = eval(inv, &vs, NOW, LONG_AGO, NULL);
	assert_false(prev->blind);
	assert_state(prev, "stale", HS_DOWN);
	assert_state(prev, "child", HS_UNREACHABLE);
	assert_state(prev, "wasdown", HS_DOWN);

	/* Input came back 60 s ago (collector just started: no prev): stale
	 * agents are not down, explicit offline still is. */
	c = eval(inv, &vs, NOW, NOW - 60, NULL);
	assert_true(c->blind);
	assert_state(c, "stale", HS_COVERED);
	assert_state(c, "child", HS_COVERED);
	assert_state(c, "wasdown", HS_COVERED);
	assert_state(c, "lwt", HS_DOWN);
	assert_state(c, "good", HS_COVERED);
	coverage_free(c);

	/* Blind, with a prev made before: what was down stays down, nothing
	 * new turns down. */
	seen(&vs, "a-stale", 1, 10, 0, 20);     /* stale came back */
	c = eval(inv, &vs, NOW, NOW - 60, prev);
	assert_false(c->blind);                 /* nothing was held back */
	assert_state(c, "stale", HS_COVERED);
	assert_state(c, "child", HS_DOWN);      /* stays down, its own root */
	assert_true(hev(c, "child")->since == NOW);
	assert_state(c, "wasdown", HS_DOWN);
	assert_true(hev(c, "wasdown")->since == prev->hamlets[4].since);
	coverage_free(c);
	coverage_free(prev);

	/* The guard's edge: heard for exactly offline_after is still blind;
	 * one second more and silence counts. */
	seen(&vs, "a-stale", 1, 1000, NAN, NAN);
	c = eval(inv, &vs, NOW, NOW - 180, NULL);
	assert_true(c->blind);
	assert_state(c, "stale", HS_COVERED);
	coverage_free(c);
	c = eval(inv, &vs, NOW, NOW - 181, NULL);
	assert_false(c->blind);
	assert_state(c, "stale", HS_DOWN);
	assert_state(c, "child", HS_UNREACHABLE);
	coverage_free(c);

	/* Blind, but every agent fresh: nothing held back. */
	seen(&vs, "a-stale", 1, 5, 0, 20);
	seen(&vs, "a-child", 1, 5, 0, 20);
	seen(&vs, "a-wasdown", 1, 5, 0, 20);
	c = eval(inv, &vs, NOW, NOW, NULL);
	assert_false(c->blind);
	assert_int_equal(c->all.counts[HS_COVERED], 4);
	assert_int_equal(c->all.counts[HS_DOWN], 1);
	coverage_free(c);
	inventory_free(inv);
}

static void
test_hysteresis(void **state)
{
	struct views vs = { 0 };
	struct inventory *inv;
	struct coverage *c, *prev;
	const struct hamlet_eval *h;

	(void)state;
	inv = load(HDR
	    H("l", "a-l", "", "")
	    H("r", "a-r", "", "")
	    H("ok", "a-ok", "", "")
	    H("both", "a-both", "", ""), NULL);
	seen(&vs, "a-l", 1, 10, 6, 20);
	seen(&vs, "a-r", 1, 10, 0, 301);
	seen(&vs, "a-ok", 1, 10, 4.5, 20);
	seen(&vs, "a-both", 1, 10, 6, 250);
	prev = eval(inv, &vs, NOW, LONG_AGO, NULL);
	assert_state(prev, "l", HS_DEGRADED);
	assert_state(prev, "r", HS_DEGRADED);
	assert_state(prev, "ok", HS_COVERED);
	assert_state(prev, "both", HS_DEGRADED);
	assert_true(hev(prev, "both")->loss_breach);
	assert_false(hev(prev, "both")->rtt_breach);

	/* Between 80 % and the threshold: each stays as it was. */
	seen(&vs, "a-l", 1, 10, 4.5, 20);
	seen(&vs, "a-r", 1, 10, 0, 250);
	seen(&vs, "a-both", 1, 10, 1, 250);
	c = eval(inv, &vs, NOW + 60, LONG_AGO, prev);
	h = hev(c, "l");
	assert_int_equal(h->state, HS_DEGRADED);
	assert_true(h->loss_breach);
	assert_false(h->rtt_breach);
	assert_true(h->since == NOW);
	assert_state(c, "r", HS_DEGRADED);
	assert_true(hev(c, "r")->rtt_breach);
	assert_state(c, "ok", HS_COVERED);
	/* Loss cleared, but RTT is not below 80 % of its threshold: covered
	 * again only when both are. */
	h = hev(c, "both");
	assert_int_equal(h->state, HS_DEGRADED);
	assert_false(h->loss_breach);
	assert_true(h->rtt_breach);
	coverage_free(prev);
	prev = c;

	/* Exactly 80 %: not below it, still degraded. */
	seen(&vs, "a-l", 1, 10, 4.0, 20);
	seen(&vs, "a-r", 1, 10, 0, 240);
	c = eval(inv, &vs, NOW + 120, LONG_AGO, prev);
	assert_state(c, "l", HS_DEGRADED);
	assert_state(c, "r", HS_DEGRADED);
	coverage_free(prev);
	prev = c;

	/* Below 80 %: covered, since now. NAN figures clear too. */
	seen(&vs, "a-l", 1, 10, 3.9, 20);
	seen(&vs, "a-r", 1, 10, NAN, 239);
	seen(&vs, "a-both", 1, 10, NAN, NAN);
	c = eval(inv, &vs, NOW + 150, LONG_AGO, prev);
	h = hev(c, "l");
	assert_int_equal(h->state, HS_COVERED);
	assert_false(h->loss_breach || h->rtt_breach);
	assert_true(h->since == NOW + 150);
	assert_state(c, "r", HS_COVERED);
	assert_state(c, "both", HS_COVERED);
	assert_true(hev(c, "ok")->since == NOW);
	coverage_free(prev);
	coverage_free(c);

	/* Down in between resets the hysteresis: back online at 4.5 % is
	 * covered. */
	seen(&vs, "a-l", 1, 10, 6, 20);
	prev = eval(inv, &vs, NOW, LONG_AGO, NULL);
	seen(&vs, "a-l", 0, 10, 6, 20);
	c = eval(inv, &vs, NOW + 60, LONG_AGO, prev);
	assert_state(c, "l", HS_DOWN);
	coverage_free(prev);
	prev = c;
	seen(&vs, "a-l", 1, 10, 4.5, 20);
	c = eval(inv, &vs, NOW + 120, LONG_AGO, prev);
	assert_state(c, "l", HS_COVERED);
	coverage_free(prev);
	coverage_free(c);
	inventory_free(inv);
}

static void
test_since(void **state)
{
	struct views vs = { 0 };
	struct inventory *inv, *inv2;
	struct coverage *c1, *c2, *c3;

	(void)state;
	inv = load(HDR
	    H("a", "a-a", "", "")
	    H("b", "a-b", "", "")
	    H("c", "", "", ""), NULL);
	seen(&vs, "a-a", 1, 10, 0, 20);
	seen(&vs, "a-b", 1, 10, 0, 20);
	c1 = eval(inv, &vs, NOW, LONG_AGO, NULL);
	assert_true(hev(c1, "a")->since == NOW);
	assert_true(hev(c1, "c")->since == NOW);

	seen(&vs, "a-b", 0, 10, 0, 20);
	c2 = eval(inv, &vs, NOW + 60, LONG_AGO, c1);
	assert_true(hev(c2, "a")->since == NOW);        /* unchanged */
	assert_true(hev(c2, "b")->since == NOW + 60);   /* went down */
	assert_true(hev(c2, "c")->since == NOW);

	/* A reload: another inventory object, rows moved and one added. The
	 * old inventory is alive as long as c2 is; hamlets match by id. */
	tl_write_file("inventory.csv", HDR
	    H("new", "", "", "")
	    H("c", "", "", "")
	    H("b", "a-b", "", "")
	    H("a", "a-a", "", ""));
	char err[1024];
	assert_int_equal(inventory_load(&inv2, "inventory.csv", NULL, err,
	    sizeof err), 0);
	c3 = eval(inv2, &vs, NOW + 120, LONG_AGO, c2);
	assert_true(hev(c3, "a")->since == NOW);
	assert_true(hev(c3, "b")->since == NOW + 60);
	assert_true(hev(c3, "c")->since == NOW);
	assert_true(hev(c3, "new")->since == NOW + 120);
	coverage_free(c3);
	coverage_free(c2);
	coverage_free(c1);
	inventory_free(inv2);
	inventory_free(inv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_states, tl_cwd_setup, tl_cwd_teardown),
		cmocka_unit_test_setup_teardown(test_uplink_chains, tl_cwd_setup, tl_cwd_teardown),
		cmocka_unit_test_setup_teardown(test_deep_chain, tl_cwd_setup, tl_cwd_teardown),
		cmocka_unit_test_setup_teardown(test_colours, tl_cwd_setup, tl_cwd_teardown),
		cmocka_unit_test(test_empty),
		cmocka_unit_test_setup_teardown(test_overdue, tl_cwd_setup, tl_cwd_teardown),
		cmocka_unit_test_setup_teardown(test_blind, tl_cwd_setup, tl_cwd_teardown),
		cmocka_unit_test_setup_teardown(test_hysteresis, tl_cwd_setup, tl_cwd_teardown),
		cmocka_unit_test_setup_teardown(test_since, tl_cwd_setup, tl_cwd_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
