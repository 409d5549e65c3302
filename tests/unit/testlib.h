/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the unit tests share: a temporary directory made and removed whole
 * (or worked in), and files written in one call. Every function fails the
 * running cmocka test (assert_*) when the system refuses, so a test never
 * goes on with a half-made fixture. Include after <cmocka.h>.
 */
#ifndef COVMON_TESTLIB_H
#define COVMON_TESTLIB_H

#include <limits.h>
#include <stddef.h>

/* Makes /tmp/covmon-NAME-XXXXXX into buf (len >= 64) and returns buf. */
char *tl_tmpdir(char *buf, size_t len, const char *name);
/* Removes dir and everything under it (symlinks not followed); quiet when
 * it is already gone. Returns 0, or -1 (for a teardown's return). */
int tl_rmtree(const char *dir);
/* Writes text (a C string) or len bytes to path, replacing it. */
void tl_write_file(const char *path, const char *text);
void tl_write_bytes(const char *path, const void *buf, size_t len);
/* The same under dir: dir/name. */
void tl_write_in(const char *dir, const char *name, const char *text);

/* A request's query string for the collector's renderers (their query
 * callback): qarg is NULL or NULL-terminated key, value pairs; returns the
 * value of key, or NULL. */
const char *tl_query(void *qarg, const char *key);

/* A test run inside a temporary directory of its own, so that the paths
 * in the messages it checks are the short names it gave. As cmocka's setup
 * and teardown: *state is a struct tl_cwd, dir is
 * /tmp/covmon-PROGRAM-XXXXXX and the working directory; the teardown goes
 * back to cwd and removes dir. */
struct tl_cwd {
	char	dir[256];
	char	cwd[PATH_MAX];
};
int tl_cwd_setup(void **state);
int tl_cwd_teardown(void **state);

/*
 * The sanitizer hooks of a test program that renders graphs through librrd
 * (written once at file scope, no ';' after it): librrd leaks a little per
 * graph, and fontconfig and pango keep caches until exit (tests/lsan.supp
 * says more). librrd has no frame pointers: without the slow unwinder a
 * suppression by library never matches. Built into the program, so that
 * its ASan build passes without LSAN_OPTIONS.
 */
#define TL_LIBRRD_GRAPH_LEAKS						\
const char *__asan_default_options(void);				\
const char *__lsan_default_suppressions(void);				\
const char *								\
__asan_default_options(void)						\
{									\
	return "fast_unwind_on_malloc=0";				\
}									\
const char *								\
__lsan_default_suppressions(void)					\
{									\
	return "leak:librrd.so\n"					\
	    "leak:libfontconfig.so\n"					\
	    "leak:libpango-1.0.so\n"					\
	    "leak:libpangoft2-1.0.so\n"				\
	    "leak:libpangocairo-1.0.so\n"				\
	    "leak:libcairo.so\n"					\
	    "leak:libglib-2.0.so\n";					\
}

#ifdef TL_SNAPSHOT
/*
 * For the tests of what the collector serves (define TL_SNAPSHOT before
 * including this header; they link the collector's library): a snapshot
 * made by hand from a small inventory, states set by the test, not by the
 * evaluator (tl_snapshot_by_hand()).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "coverage.h"
#include "snapshot.h"
#include "target.h"

static void
tl_rollup_add(struct rollup *ru, const struct hamlet_eval *e)
{
	ru->counts[e->state]++;
	ru->total++;
	if (e->overdue)
		ru->overdue++;
}

/* What the evaluator would conclude: covered %, and the colour against the
 * target (the one rule, common/target.c) with a 10-point yellow margin. */
static void
tl_rollup_finish(struct rollup *ru, const struct inv_target *t, double now)
{
	ru->covered_pct = ru->total ? 100.0 * ru->counts[HS_COVERED] / ru->total : NAN;
	ru->target_pct = t->set ? t->pct : NAN;
	ru->deadline = t->set ? t->deadline : INV_NO_DATE;
	ru->colour = (int8_t)target_colour(ru->covered_pct, ru->target_pct,
	    ru->deadline, 10, target_day(now));
}

/* Counts s's hamlets into its communes, provinces and all. */
static void
tl_snapshot_rollups(struct snapshot *s)
{
	struct coverage *c = s->cov;
	const struct inventory *inv = c->inv;

	for (size_t i = 0; i < inv->nhamlets; i++) {
		tl_rollup_add(&c->communes[inv->hamlets[i].commune], &c->hamlets[i]);
		tl_rollup_add(&c->provinces[inv->hamlets[i].province], &c->hamlets[i]);
		tl_rollup_add(&c->all, &c->hamlets[i]);
	}
	for (size_t i = 0; i < inv->ncommunes; i++)
		tl_rollup_finish(&c->communes[i], &inv->communes[i].effective, c->at);
	for (size_t i = 0; i < inv->nprovinces; i++)
		tl_rollup_finish(&c->provinces[i], &inv->provinces[i].target, c->at);
	tl_rollup_finish(&c->all, &(struct inv_target){ .set = false }, c->at);
}

/*
 * The inventory inv_csv with targets tgt_csv (written in dir, loaded, and
 * removed; nh hamlets), loaded 10 minutes before now, and its coverage at
 * now: hamlet i in state st[i] since an hour, seen 30 + i s ago with
 * 1.5 % loss and 42.25 ms RTT (unmonitored: never seen, no values). The
 * inventory's first five hamlets play these parts: TL_COVERED's agent
 * reports (30 s ago, RTT 42.5 ms, loss 0 %, signal -67 dBm: the test may
 * add to its view), TL_LOSSY breaches the loss limit (12.5 %), TL_CUT is
 * unreachable behind TL_ROOT, TL_OVERDUE is overdue; the rollups counted
 * as the evaluator would. No other agent reports. Freed by
 * tl_snapshot_free().
 */
enum { TL_COVERED, TL_LOSSY, TL_ROOT, TL_CUT, TL_OVERDUE };
static struct snapshot *
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
	tl_snapshot_rollups(s);
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
static void
tl_snapshot_free(struct snapshot *s)
{
	free(s->cov->hamlets);
	free(s->cov->communes);
	free(s->cov->provinces);
	free(s->cov);
	s->cov = NULL;
	snapshot_put(s);
}
#endif /* TL_SNAPSHOT */

#endif
