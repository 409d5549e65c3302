/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The order of one agent's samples: spools, duplicates, holds and gaps
 * (order.h). Pure logic, no I/O.
 */
#include "order.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
order_agent_init(struct order_agent *a)
{
	memset(a, 0, sizeof *a);
	a->sp[0] = &a->first;
	a->cur = -1;
}

void
order_agent_free(struct order_agent *a)
{
	for (int i = 0; i < ORDER_SPOOLS; i++) {
		if (a->sp[i] == NULL)
			continue;
		if (i < a->nsp)
			free(a->sp[i]->held);
		if (a->sp[i] != &a->first)
			free(a->sp[i]);
		a->sp[i] = NULL;
	}
	a->sp[0] = &a->first;
	a->nsp = 0;
	a->cur = -1;
}

/* The next unused slot, allocated on its first use; NULL when full or
 * out of memory. */
static struct order_spool *
next_slot(struct order_agent *a)
{
	if (a->nsp == ORDER_SPOOLS)
		return NULL;
	if (a->sp[a->nsp] == NULL && (a->sp[a->nsp] = malloc(sizeof *a->sp[0])) == NULL)
		return NULL;
	return a->sp[a->nsp++];
}

void
order_add_spool(struct order_agent *a, const char *sid, uint64_t last_seq, double used)
{
	if (sid[0] != '\0' && !sid_valid(sid))
		return;
	struct order_spool *sp = next_slot(a);
	if (sp == NULL)
		return;
	memset(sp, 0, sizeof *sp);
	memcpy(sp->sid, sid, strlen(sid) + 1);
	sp->last_seq = last_seq;
	sp->used = used;
	if (a->cur < 0 || used > a->sp[a->cur]->used)
		a->cur = a->nsp - 1;
}

static struct order_spool *
find(struct order_agent *a, const char *sid)
{
	for (int i = 0; i < a->nsp; i++)
		if (strcmp(a->sp[i]->sid, sid) == 0)
			return a->sp[i];
	return NULL;
}

/* A free slot, forgetting the least recently used spool when full. The
 * current one is never forgotten: it is the most recently moved. NULL
 * when out of memory. */
static struct order_spool *
slot(struct order_agent *a, struct order_forgot *forgot)
{
	int old = -1;

	if (a->nsp < ORDER_SPOOLS)
		return next_slot(a);
	for (int i = 0; i < a->nsp; i++)
		if (i != a->cur && (old < 0 || a->sp[i]->used < a->sp[old]->used))
			old = i;
	struct order_spool *sp = a->sp[old];
	forgot->any = true;
	memcpy(forgot->sid, sp->sid, sizeof forgot->sid);
	forgot->dropped = sp->nheld;
	free(sp->held);
	return sp;
}

struct order_spool *
order_spool_of(struct order_agent *a, const struct sample *s, double now,
    enum order_spool_kind *kind, struct order_forgot *forgot)
{
	struct order_spool *sp = find(a, s->sid);
	uint64_t base = 0;

	memset(forgot, 0, sizeof *forgot);
	if (sp != NULL) {
		*kind = ORDER_KNOWN;
		sp->used = now;
		return sp;
	}
	if (a->nsp == 0) {
		*kind = ORDER_FIRST;
	} else if (a->cur >= 0 && a->sp[a->cur]->sid[0] == '\0' && s->sid[0] != '\0' &&
	    s->seq > a->sp[a->cur]->last_seq) {
		/* The same spool, named by an upgraded agent: without this
		 * its next sample (prev = the last acked) would wait for a
		 * gap that is not one. */
		*kind = ORDER_NAMED;
		base = a->sp[a->cur]->last_seq;
	} else {
		*kind = ORDER_NEW;
	}
	if ((sp = slot(a, forgot)) == NULL)
		return NULL;
	memset(sp, 0, sizeof *sp);
	memcpy(sp->sid, s->sid, SID_LEN + 1);
	sp->last_seq = base;
	sp->saved_seq = base;
	sp->used = now;
	if (*kind == ORDER_NEW) {
		a->new_spools++;
		a->new_spool_at = now;
	}
	return sp;
}

enum order_verdict
order_check(const struct order_spool *sp, const struct sample *s)
{
	if (s->seq <= sp->last_seq)
		return ORDER_DUPLICATE;
	if (s->has_prev && s->prev > sp->last_seq)
		return ORDER_HOLD;
	return ORDER_STORE;
}

/* The hold's array goes once empty: a rollout holds every new agent's
 * first samples for a moment, and 64 items kept per agent for ever were
 * 32 KB an agent (+25 MB of RSS at 3,000 agents). */
static void
order_hold_empty(struct order_spool *sp)
{
	if (sp->nheld == 0) {
		free(sp->held);
		sp->held = NULL;
		sp->heldcap = 0;
	}
}

bool
order_legacy_reset(struct order_spool *sp, const struct sample *s, int64_t last_ts,
    int *dropped)
{
	*dropped = 0;
	if (sp->sid[0] != '\0' || s->seq > sp->last_seq || !s->has_prev || s->prev != 0 ||
	    last_ts == 0 || s->ts <= last_ts)
		return false;
	*dropped = sp->nheld;
	sp->nheld = 0;
	order_hold_empty(sp);
	sp->last_seq = 0;
	sp->dirty = true;
	sp->ack_last.serial = 0;   /* an ack of the old count covers nothing now */
	return true;
}

enum order_hold_result
order_hold(struct order_spool *sp, const struct item *it, double mono)
{
	int i;

	for (i = 0; i < sp->nheld; i++) {
		if (sp->held[i].s.seq == it->s.seq)
			return ORDER_HELD_DUP;
		if (sp->held[i].s.seq > it->s.seq)
			break;
	}
	if (sp->nheld == sp->heldcap && sp->heldcap < ORDER_HELD_MAX) {
		/* Most holds are a sample or two (a new agent's files being
		 * made, one sample come out of order): grown as needed. */
		int ncap = sp->heldcap == 0 ? 4 : sp->heldcap * 2;
		if (ncap > ORDER_HELD_MAX)
			ncap = ORDER_HELD_MAX;
		struct item *n = realloc(sp->held, (size_t)ncap * sizeof *n);
		if (n == NULL)
			return ORDER_HELD_NOMEM;
		sp->held = n;
		sp->heldcap = ncap;
	}
	if (sp->nheld == ORDER_HELD_MAX) {
		/* Keep the oldest, which are needed first; the newer ones
		 * come again from the agent. */
		if (i == ORDER_HELD_MAX)
			return ORDER_HELD_FULL;
		sp->nheld--;
		memmove(&sp->held[i + 1], &sp->held[i], (size_t)(sp->nheld - i) * sizeof *sp->held);
		sp->held[i] = *it;
		sp->nheld++;
		return ORDER_HELD_EVICTED;
	}
	memmove(&sp->held[i + 1], &sp->held[i], (size_t)(sp->nheld - i) * sizeof *sp->held);
	sp->held[i] = *it;
	if (sp->nheld++ == 0)
		sp->held_since = mono;
	return ORDER_HELD;
}

const struct item *
order_ready(struct order_spool *sp, unsigned *dups)
{
	*dups = 0;
	while (sp->nheld > 0) {
		const struct item *h = &sp->held[0];
		if (h->s.seq > sp->last_seq)
			return h->s.has_prev && h->s.prev > sp->last_seq ? NULL : h;
		(*dups)++;
		memmove(&sp->held[0], &sp->held[1], (size_t)(sp->nheld - 1) * sizeof *sp->held);
		sp->nheld--;
	}
	order_hold_empty(sp);
	return NULL;
}

void
order_pop(struct order_spool *sp, double mono)
{
	if (sp->nheld == 0)
		return;
	memmove(&sp->held[0], &sp->held[1], (size_t)(sp->nheld - 1) * sizeof *sp->held);
	sp->nheld--;
	sp->held_since = mono;
	order_hold_empty(sp);
}

bool
order_pass_gap(struct order_agent *a, struct order_spool *sp, double mono, double wall,
    double timeout, uint64_t *from, uint64_t *to)
{
	if (sp->nheld == 0 || mono - sp->held_since < timeout)
		return false;
	const struct item *h = &sp->held[0];
	/* Held means prev > last_seq, so there is a gap. */
	if (!h->s.has_prev || h->s.prev <= sp->last_seq)
		return false;
	*from = sp->last_seq + 1;
	*to = h->s.prev;
	sp->last_seq = h->s.prev;
	sp->dirty = true;
	sp->passed_from = *from;
	sp->passed_to = *to;
	a->gaps_passed++;
	a->gap_at = wall;
	a->gap_from = *from;
	a->gap_to = *to;
	return true;
}

bool
order_in_passed_gap(const struct order_spool *sp, uint64_t seq)
{
	return sp->passed_to != 0 && seq >= sp->passed_from && seq <= sp->passed_to;
}

void
order_done(struct order_agent *a, struct order_spool *sp, uint64_t seq, const char *province)
{
	sp->last_seq = seq;
	sp->ack_upto = seq;
	sp->dirty = true;
	snprintf(sp->ack_province, sizeof sp->ack_province, "%s", province);
	for (int i = 0; i < a->nsp; i++)
		if (a->sp[i] == sp)
			a->cur = i;
}

void
order_duplicate(struct order_spool *sp, uint64_t seq, const char *province)
{
	(void)seq;
	/* Everything of the spool up to last_seq is done with, in order: the
	 * whole resent window is acked at once. An agent whose spool is a
	 * copy (a restored backup: same id, seqs behind) gets an ack past
	 * what it gave; it takes a new spool id then (agent/publisher.c). */
	if (sp->last_seq > sp->ack_upto)
		sp->ack_upto = sp->last_seq;
	snprintf(sp->ack_province, sizeof sp->ack_province, "%s", province);
}
