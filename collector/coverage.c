/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Coverage evaluation (DESIGN.md section 6): the state of every hamlet from
 * what is known of its agent and of its uplinks, and the rollups of
 * communes and provinces against their targets. Pure: no I/O, no clock.
 */
#include "coverage.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

const char *const hamlet_state_name[HS__COUNT] = {
	"covered", "degraded", "down", "unreachable", "unmonitored",
};

/* What pass 1 found of a hamlet, before the uplinks are looked at. */
enum kind {
	K_UNMONITORED,	/* no agent, or it never reported: no evidence */
	K_ONLINE,	/* covered or degraded: its backhaul works */
	K_DOWN,		/* would be down: down or unreachable */
};

int
hamlet_state_lookup(const char *name)
{
	if (name == NULL)
		return -1;
	for (int i = 0; i < HS__COUNT; i++)
		if (strcmp(name, hamlet_state_name[i]) == 0)
			return i;
	if (strcmp(name, "uncovered") == 0)
		return -2;
	return -1;
}

/* Index of the same hamlet in prev, or -1. By index when prev was made of
 * the same inventory; by id after a reload (prev->inv is then another
 * object, which the caller keeps alive as long as prev). */
static int32_t
prev_index(const struct coverage *prev, const struct inventory *inv,
    size_t i)
{
	const struct inv_hamlet *ph;

	if (prev == NULL || prev->inv == NULL)
		return -1;
	if (prev->inv == inv)
		return (int32_t)i;
	ph = inventory_hamlet(prev->inv, inv->hamlets[i].id);
	if (ph == NULL)
		return -1;
	return (int32_t)(ph - prev->inv->hamlets);
}

/* Covered or degraded from the window figures. NAN (no ICMP data) breaches
 * nothing. A hamlet degraded in prev stays degraded until every known
 * figure is below COVERAGE_CLEAR_FRACTION of its threshold; the breach flags then say
 * which figure is not yet back under its clear level. */
static void
judge_quality(struct hamlet_eval *h, const struct coverage_conf *cf,
    bool was_degraded)
{
	if (was_degraded) {
		h->loss_breach = !isnan(h->loss_pct) &&
		    !(h->loss_pct < COVERAGE_CLEAR_FRACTION * cf->max_loss_pct);
		h->rtt_breach = !isnan(h->rtt_ms) &&
		    !(h->rtt_ms < COVERAGE_CLEAR_FRACTION * cf->max_rtt_ms);
	} else {
		h->loss_breach = !isnan(h->loss_pct) &&
		    h->loss_pct > cf->max_loss_pct;
		h->rtt_breach = !isnan(h->rtt_ms) && h->rtt_ms > cf->max_rtt_ms;
	}
	h->state = (h->loss_breach || h->rtt_breach) ? HS_DEGRADED : HS_COVERED;
}

/*
 * top[i]: the top-most would-be-down hamlet reached from i going up the
 * uplink chain, or -1. The walk passes through unmonitored hamlets (no
 * evidence either way: a hamlet without an agent still relays its
 * children's backhaul) and stops at an online one (positive evidence that
 * the path above works, so nothing above it explains an outage below).
 * Each hamlet is resolved once, with an explicit stack rather than
 * recursion, so the whole inventory is O(n) whatever the chains' depth.
 * UNSET marks a hamlet not resolved yet.
 */
#define UNSET	INT32_MIN

static int32_t
resolve_top(const struct inventory *inv, const uint8_t *kind, int32_t *top,
    int32_t *stack, int32_t i)
{
	size_t sp = 0;
	int32_t above = -1, j = i;

	/* Climb to a resolved hamlet, an online one, or the top. */
	while (j >= 0 && top[j] == UNSET) {
		if (kind[j] == K_ONLINE) {
			top[j] = -1;
			break;
		}
		stack[sp++] = j;
		j = inv->hamlets[j].uplink;
	}
	if (j >= 0)
		above = top[j];
	/* Unwind: each hamlet's top is the one above it, or itself. */
	while (sp > 0) {
		j = stack[--sp];
		if (above < 0 && kind[j] == K_DOWN)
			above = j;
		top[j] = above;
	}
	return top[i];
}

static void
rollup_finish(struct rollup *r, const struct inv_target *t, double margin,
    int32_t today)
{
	r->covered_pct = r->total > 0 ?
	    (double)r->counts[HS_COVERED] * 100.0 / (double)r->total : NAN;
	if (t == NULL || !t->set) {
		r->target_pct = NAN;
		r->deadline = INV_NO_DATE;
		r->colour = COLOUR_NONE;
		return;
	}
	r->target_pct = t->pct;
	r->deadline = t->deadline;
	r->colour = (int8_t)target_colour(r->covered_pct, t->pct, t->deadline,
	    margin, today);
}

static void
rollup_add(struct rollup *r, const struct hamlet_eval *h)
{
	r->counts[h->state]++;
	r->total++;
	if (h->overdue)
		r->overdue++;
}

/* One block holds the struct and its three arrays: one allocation, and
 * coverage_free() is one free(). */
static size_t
align_up(size_t n)
{
	const size_t a = _Alignof(max_align_t);

	return (n + a - 1) / a * a;
}

int
coverage_evaluate(struct coverage **out, const struct inventory *inv,
    const struct coverage_conf *cf, agent_view_fn view, void *arg, double now,
    double input_since, const struct coverage *prev)
{
	const size_t n = inv->nhamlets;
	size_t off_h, off_c, off_p, size;
	struct coverage *c;
	unsigned char *block;
	int32_t *top = NULL, *stack, *pidx;
	uint8_t *kind;
	/* Blind: the collector has not been able to hear agents for
	 * offline_after yet, so silence proves nothing (the same strict
	 * comparison as staleness: silence must exceed offline_after). */
	const bool guard = !(now - input_since > cf->offline_after);

	*out = NULL;
	off_h = align_up(sizeof *c);
	off_c = off_h + align_up(n * sizeof(struct hamlet_eval));
	off_p = off_c + align_up(inv->ncommunes * sizeof(struct rollup));
	size = off_p + inv->nprovinces * sizeof(struct rollup);
	if ((block = calloc(1, size)) == NULL)
		return -1;
	/* Scratch for the evaluation only: top, stack and prev index (int32),
	 * then kind (uint8). */
	if (n > 0 && (top = malloc(n * (3 * sizeof(int32_t) + 1))) == NULL) {
		free(block);
		return -1;
	}
	stack = top + n;
	pidx = stack + n;
	kind = (uint8_t *)(pidx + n);

	c = (struct coverage *)(void *)block;
	c->inv = inv;
	c->at = now;
	c->hamlets = (struct hamlet_eval *)(void *)(block + off_h);
	c->communes = (struct rollup *)(void *)(block + off_c);
	c->provinces = (struct rollup *)(void *)(block + off_p);

	/* Pass 1: each hamlet on its own agent's evidence. */
	for (size_t i = 0; i < n; i++) {
		const struct inv_hamlet *ih = &inv->hamlets[i];
		struct hamlet_eval *h = &c->hamlets[i];
		const struct agent_view *v;
		uint8_t was = HS__COUNT;
		bool stale;

		top[i] = UNSET;
		pidx[i] = prev_index(prev, inv, i);
		if (pidx[i] >= 0)
			was = prev->hamlets[pidx[i]].state;
		h->root = -1;
		h->loss_pct = h->rtt_ms = NAN;
		v = ih->agent != NULL ? view(ih->agent, arg) : NULL;
		if (v == NULL || !v->reported) {
			kind[i] = K_UNMONITORED;
			h->state = HS_UNMONITORED;
			continue;
		}
		h->last_seen = v->last_seen;
		h->loss_pct = v->loss_pct;
		h->rtt_ms = v->rtt_ms;
		stale = v->last_seen <= 0 || now - v->last_seen > cf->offline_after;
		/*
		 * An explicit offline state (Last Will, retained state) is
		 * positive evidence and counts even while blind. Staleness
		 * does not while blind, except for a hamlet already down or
		 * unreachable in prev: that one does not turn down, it stays
		 * down, rather than flapping to covered and back.
		 */
		if (v->online == 0 ||
		    (stale && (!guard || was == HS_DOWN || was == HS_UNREACHABLE))) {
			kind[i] = K_DOWN;
			h->state = HS_DOWN;
			continue;
		}
		if (stale)
			c->blind = true;
		kind[i] = K_ONLINE;
		judge_quality(h, cf, was == HS_DEGRADED);
	}

	/* Pass 2: a would-be-down hamlet under a down uplink is unreachable,
	 * its root the top-most down hamlet of the chain. */
	for (size_t i = 0; i < n; i++) {
		int32_t up = inv->hamlets[i].uplink, r;

		if (kind[i] != K_DOWN || up < 0)
			continue;
		r = top[up] != UNSET ? top[up] :
		    resolve_top(inv, kind, top, stack, up);
		if (r >= 0) {
			c->hamlets[i].state = HS_UNREACHABLE;
			c->hamlets[i].root = r;
		}
	}

	/* Pass 3: since, overdue, rollups. A date is its 00:00 UTC: the
	 * target_date has passed once that whole day is over. */
	for (size_t i = 0; i < n; i++) {
		const struct inv_hamlet *ih = &inv->hamlets[i];
		struct hamlet_eval *h = &c->hamlets[i];

		if (pidx[i] >= 0 && prev->hamlets[pidx[i]].state == h->state)
			h->since = prev->hamlets[pidx[i]].since;
		else
			h->since = now;
		h->overdue = ih->target_date != INV_NO_DATE &&
		    now >= ((double)ih->target_date + 1.0) * 86400.0 &&
		    h->state != HS_COVERED;
		rollup_add(&c->communes[ih->commune], h);
		rollup_add(&c->provinces[ih->province], h);
		rollup_add(&c->all, h);
	}
	for (size_t i = 0; i < inv->ncommunes; i++)
		rollup_finish(&c->communes[i], &inv->communes[i].effective,
		    cf->yellow_margin_pct, target_day(now));
	for (size_t i = 0; i < inv->nprovinces; i++)
		rollup_finish(&c->provinces[i], &inv->provinces[i].target,
		    cf->yellow_margin_pct, target_day(now));
	rollup_finish(&c->all, NULL, cf->yellow_margin_pct, target_day(now));

	free(top);
	*out = c;
	return 0;
}

void
coverage_free(struct coverage *c)
{
	free(c);
}
