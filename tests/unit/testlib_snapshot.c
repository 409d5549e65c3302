/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A snapshot made by hand for the tests of what the collector serves
 * (testlib_snapshot.h): linked only into the tests that link the
 * collector's library.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testlib.h"
#include "testlib_snapshot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "coverage.h"
#include "snapshot.h"
#include "target.h"


static void
rollup_add(struct rollup *ru, const struct hamlet_eval *e)
{
	ru->counts[e->state]++;
	ru->total++;
	if (e->overdue)
		ru->overdue++;
}

/* What the evaluator would conclude: covered %, and the colour against the
 * target (the one rule, common/target.c) with a 10-point yellow margin. */
static void
rollup_finish(struct rollup *ru, const struct inv_target *t, double now)
{
	ru->covered_pct = ru->total ? 100.0 * ru->counts[HS_COVERED] / ru->total : NAN;
	ru->target_pct = t->set ? t->pct : NAN;
	ru->deadline = t->set ? t->deadline : INV_NO_DATE;
	ru->colour = (int8_t)target_colour(ru->covered_pct, ru->target_pct,
	    ru->deadline, 10, target_day(now));
}

/* Counts s's hamlets into its communes, provinces and all. */
static void
snapshot_rollups(struct snapshot *s)
{
	struct coverage *c = s->cov;
	const struct inventory *inv = c->inv;

	for (size_t i = 0; i < inv->nhamlets; i++) {
		rollup_add(&c->communes[inv->hamlets[i].commune], &c->hamlets[i]);
		rollup_add(&c->provinces[inv->hamlets[i].province], &c->hamlets[i]);
		rollup_add(&c->all, &c->hamlets[i]);
	}
	for (size_t i = 0; i < inv->ncommunes; i++)
		rollup_finish(&c->communes[i], &inv->communes[i].effective, c->at);
	for (size_t i = 0; i < inv->nprovinces; i++)
		rollup_finish(&c->provinces[i], &inv->provinces[i].target, c->at);
	rollup_finish(&c->all, &(struct inv_target){ .set = false }, c->at);
}

struct snapshot *
tl_snapshot_by_hand(const char *dir, const char *inv_csv, const char *tgt_csv,
    const uint8_t *st, size_t nh, double now)
{
	struct inventory *inv;
	struct coverage *c;
	struct snapshot *s;
	char path[1024], tpath[1024], err[2048];

	assert_true((size_t)snprintf(path, sizeof path, "%s/inventory.csv", dir) < sizeof path);
	assert_true((size_t)snprintf(tpath, sizeof tpath, "%s/targets.csv", dir) < sizeof tpath);
	tl_write_file(path, inv_csv);
	tl_write_file(tpath, tgt_csv);
	if (inventory_load(&inv, path, tpath, err, sizeof err) == -1)
		fail_msg("%s", err);
	assert_int_equal(inv->nhamlets, nh);
	unlink(path);
	unlink(tpath);

	assert_non_null(c = calloc(1, sizeof *c));
	c->inv = inv;
	c->at = now;
	c->hamlets = calloc(nh, sizeof *c->hamlets);
	c->communes = calloc(inv->ncommunes, sizeof *c->communes);
	c->provinces = calloc(inv->nprovinces, sizeof *c->provinces);
	assert_true(c->hamlets && c->communes && c->provinces);
	for (size_t i = 0; i < nh; i++) {
		struct hamlet_eval *e = &c->hamlets[i];
		e->state = st[i];
		e->root = -1;
		e->since = now - 3600;
		e->last_seen = st[i] == HS_UNMONITORED ? 0 : now - 30 - (double)i;
		e->loss_pct = st[i] == HS_UNMONITORED ? NAN : 1.5;
		e->rtt_ms = st[i] == HS_UNMONITORED ? NAN : 42.25;
	}

	assert_non_null(s = calloc(1, sizeof *s));
	atomic_init(&s->refs, 1);
	assert_non_null(s->inv = inv_ref_new(inv, path, now - 600));
	s->cov = c;
	assert_non_null(s->views = calloc(nh, sizeof *s->views));

	assert_true(nh > TL_OVERDUE);
	c->hamlets[TL_LOSSY].loss_breach = true;
	c->hamlets[TL_LOSSY].loss_pct = 12.5;
	c->hamlets[TL_CUT].root = TL_ROOT;
	c->hamlets[TL_OVERDUE].overdue = true;
	snapshot_rollups(s);
	struct agent_view *v = &s->views[TL_COVERED];
	v->reported = true;
	v->online = 1;
	v->last_seen = now - 30;
	v->last_ts = (int64_t)now - 30;
	v->m[M_ICMP_RTT_AVG_MS] = 42.5;
	v->m[M_ICMP_LOSS_PCT] = 0;
	v->m[M_RADIO_SIGNAL_DBM] = -67;
	v->present = UINT64_C(1) << M_ICMP_RTT_AVG_MS | UINT64_C(1) << M_ICMP_LOSS_PCT |
	    UINT64_C(1) << M_RADIO_SIGNAL_DBM;
	return s;
}

/* Frees a snapshot of tl_snapshot_by_hand(): its coverage is made of
 * separate blocks (coverage_evaluate() makes one), so freed here, not by
 * coverage_free(). */
void
tl_snapshot_free(struct snapshot *s)
{
	free(s->cov->hamlets);
	free(s->cov->communes);
	free(s->cov->provinces);
	free(s->cov);
	s->cov = NULL;
	snapshot_put(s);
}
