/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The order of one agent's samples (DESIGN.md section 3), as pure logic:
 * which of the agent's spools a sample belongs to, whether it is a
 * duplicate, must wait for a gap to fill, or can be stored; the samples
 * held back, and when a gap that never fills is passed. The writer
 * (writer.c) stores, commits and acks; nothing here does I/O or logs, so
 * every rule is tested alone (tests/unit/test_order.c).
 *
 * A spool is what the agent keeps its samples in until they are acked,
 * named by a random id (sid) made with it. seq counts within a spool: a
 * reinstalled or replaced agent has a new spool and counts from 1 again.
 * Samples of older agents have no sid and belong to the spool "".
 */
#ifndef COVMON_ORDER_H
#define COVMON_ORDER_H

#include "collector.h"

#include <stdbool.h>
#include <stdint.h>

#define ORDER_SPOOLS 4       /* spools remembered per agent: a late copy of an
                                old spool's sample is still known as one */
#define ORDER_HELD_MAX 64    /* samples held back per spool, waiting for a gap */

struct order_spool {
	char sid[SID_LEN + 1];
	uint64_t last_seq;       /* highest seq stored or refused for good, in order */
	double used;             /* wall time of its last sample: the least
	                            recently used spool is forgotten first */
	struct item *held;       /* ascending seq, ORDER_HELD_MAX at most */
	int nheld;
	int heldcap;             /* room in held: grown as needed, freed when empty */
	double held_since;       /* monotonic time the hold last moved */
	/* For the batch under way (cleared by the writer after it). */
	uint64_t ack_upto;       /* ack this seq after the commit; 0 none */
	char ack_province[ID_MAX + 1];   /* the topic its last sample came from */
	bool dirty;              /* last_seq changed: write its row */
	uint64_t saved_seq;      /* last_seq before the batch, for a rollback */
	uint64_t passed_from, passed_to;   /* its last gap passed, 0 0 none */
	struct ack_ticket ack_last;  /* the last ack sent (writer.c) */
};

struct order_agent {
	/* sp[0] .. sp[nsp - 1]. Most agents only ever have one spool: the
	 * first lives here; the others are allocated when an agent first has
	 * them (a reinstall, an upgrade) and kept for reuse. The struct is
	 * not to be copied (sp[0] points into it). */
	struct order_spool *sp[ORDER_SPOOLS];
	struct order_spool first;
	int nsp;
	int cur;                 /* the spool that last moved, -1 none */
	/* What the agent's API entry shows (since the collector started). */
	uint64_t new_spools;
	double new_spool_at;     /* wall */
	uint64_t gaps_passed;
	double gap_at;           /* wall */
	uint64_t gap_from, gap_to;
};

void order_agent_init(struct order_agent *a);
void order_agent_free(struct order_agent *a);

/* A spool as the state DB had it (at start). Ignored when full or out
 * of memory (its samples then start a new spool). */
void order_add_spool(struct order_agent *a, const char *sid, uint64_t last_seq, double used);

enum order_spool_kind {
	ORDER_KNOWN,     /* a spool seen before */
	ORDER_FIRST,     /* the agent's first spool: nothing known of it */
	ORDER_NEW,       /* a new spool of an agent known by another: a
	                    reinstall or a replacement; counts from 0 */
	ORDER_NAMED,     /* the spool "" of an older agent, now named (the agent
	                    was upgraded): it goes on from the same seq */
};

/* A spool let go to make room for a new one. */
struct order_forgot {
	bool any;                /* one was */
	char sid[SID_LEN + 1];   /* its id ("" is a spool id too) */
	int dropped;             /* its held samples, let go with it */
};

/*
 * The spool s belongs to, made when its sid is new (*kind says how). A
 * new sid of an agent whose current spool is "" continues that spool's
 * count when s->seq is past it (an upgraded agent keeps its spool);
 * otherwise a new spool counts from 0. When the agent already has
 * ORDER_SPOOLS spools the least recently used is forgotten (*forgot).
 * NULL only when a second or later spool cannot be allocated (nothing
 * changed: the sample is not stored, and the agent sends it again).
 */
struct order_spool *order_spool_of(struct order_agent *a, const struct sample *s, double now,
    enum order_spool_kind *kind, struct order_forgot *forgot);

enum order_verdict {
	ORDER_DUPLICATE,     /* stored already: ack it again */
	ORDER_HOLD,          /* its predecessor has not come: hold it back */
	ORDER_STORE,         /* in order: store it */
};
enum order_verdict order_check(const struct order_spool *sp, const struct sample *s);

/*
 * An older agent's spool ("" only) that started over: seq at or below
 * the last stored, with nothing acked before it (prev 0), and a ts after
 * every stored one, which a late copy of an old sample cannot have.
 * Resets the count and lets the held go (*dropped). True when it did.
 */
bool order_legacy_reset(struct order_spool *sp, const struct sample *s, int64_t last_ts,
    int *dropped);

enum order_hold_result {
	ORDER_HELD,          /* held back */
	ORDER_HELD_DUP,      /* that seq is held already */
	ORDER_HELD_EVICTED,  /* held, and the newest held let go to make room
	                        (the agent resends it) */
	ORDER_HELD_FULL,     /* full, and this one newer than all held: not
	                        held (the agent resends it) */
	ORDER_HELD_NOMEM,    /* not held: out of memory */
};
enum order_hold_result order_hold(struct order_spool *sp, const struct item *it, double mono);

/* The oldest held sample when it can be stored now, else NULL. Held
 * samples at or below last_seq (stored meanwhile) are let go first and
 * counted in *dups. */
const struct item *order_ready(struct order_spool *sp, unsigned *dups);
/* Lets go of the oldest held sample (order_ready's). */
void order_pop(struct order_spool *sp, double mono);

/*
 * A gap that has kept samples held for `timeout` seconds will never fill
 * (a restored or lost state DB, samples the agent's full spool dropped):
 * moves last_seq to the first held sample's prev so the held can be
 * stored in order, records it for the API, and returns true with the seqs
 * that never came in [*from, *to].
 */
bool order_pass_gap(struct order_agent *a, struct order_spool *sp, double mono, double wall,
    double timeout, uint64_t *from, uint64_t *to);

/* Whether seq was in the spool's last gap passed (it came too late). */
bool order_in_passed_gap(const struct order_spool *sp, uint64_t seq);

/* seq was stored, or refused for good (it counts as done). */
void order_done(struct order_agent *a, struct order_spool *sp, uint64_t seq, const char *province);
/* seq came again (at or below last_seq): ack the spool's last_seq, which
 * is stored, with everything before it. */
void order_duplicate(struct order_spool *sp, uint64_t seq, const char *province);

#endif
