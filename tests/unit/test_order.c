/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ordering rules of one agent's samples (collector/order.c): spools by
 * id, duplicates, holds, gaps passed, and what an ack may cover.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "order.h"

#include <string.h>

#define SID_A "9f2c41d07ab355e1"
#define SID_B "0000000000000042"

static struct item
item(const char *sid, uint64_t seq, int64_t prev, int64_t ts)
{
	struct item it;

	memset(&it, 0, sizeof it);
	it.kind = ITEM_SAMPLE;
	strcpy(it.province, "lao-cai");
	strcpy(it.s.agent, "lc-01");
	strcpy(it.s.sid, sid);
	it.s.seq = seq;
	if (prev >= 0) {
		it.s.has_prev = true;
		it.s.prev = (uint64_t)prev;
	}
	it.s.ts = ts;
	it.s.interval = 60;
	return it;
}

/* The spool of it, which the test expects to be of kind `want`. */
static struct order_spool *
spool(struct order_agent *a, const struct item *it, double now, enum order_spool_kind want)
{
	enum order_spool_kind kind;
	struct order_forgot forgot;
	struct order_spool *sp = order_spool_of(a, &it->s, now, &kind, &forgot);

	assert_non_null(sp);
	assert_false(forgot.any);
	assert_int_equal(kind, want);
	assert_string_equal(sp->sid, it->s.sid);
	return sp;
}

/* Feeds it the way the writer does, storing whatever may be stored. */
static enum order_verdict
feed(struct order_agent *a, const struct item *it, double mono)
{
	enum order_spool_kind kind;
	struct order_forgot forgot;
	unsigned dups;
	struct order_spool *sp = order_spool_of(a, &it->s, 0, &kind, &forgot);
	enum order_verdict v = order_check(sp, &it->s);

	if (v == ORDER_DUPLICATE)
		order_duplicate(sp, it->s.seq, it->province);
	else if (v == ORDER_HOLD)
		assert_int_equal(order_hold(sp, it, mono), ORDER_HELD);
	else
		order_done(a, sp, it->s.seq, it->province);
	const struct item *h;
	while ((h = order_ready(sp, &dups)) != NULL) {
		order_done(a, sp, h->s.seq, h->province);
		order_pop(sp, mono);
	}
	return v;
}

static void
test_in_order(void **state)
{
	struct order_agent a;
	(void)state;

	order_agent_init(&a);
	struct item it = item(SID_A, 1, 0, 1000);
	struct order_spool *sp = spool(&a, &it, 1, ORDER_FIRST);
	assert_int_equal(order_check(sp, &it.s), ORDER_STORE);
	order_done(&a, sp, 1, "lao-cai");
	assert_true(sp->ack_upto == 1);
	it = item(SID_A, 2, 1, 1060);
	assert_ptr_equal(spool(&a, &it, 2, ORDER_KNOWN), sp);
	assert_int_equal(order_check(sp, &it.s), ORDER_STORE);
	/* No prev (an agent that says nothing of it) is in order too. */
	it = item(SID_A, 7, -1, 1060);
	assert_int_equal(order_check(sp, &it.s), ORDER_STORE);
	assert_int_equal(a.new_spools, 0);
	order_agent_free(&a);
}

/*
 * A reinstalled agent (a new SD card: its spool wiped) counts from 1
 * again under a new sid. Before spool ids, the collector took its seq 1
 * for a duplicate of the old seq 1 and acked 5000: the agent dropped it.
 */
static void
test_new_spool(void **state)
{
	struct order_agent a;
	(void)state;

	order_agent_init(&a);
	order_add_spool(&a, SID_A, 5000, 100);
	struct item it = item(SID_B, 1, 0, 2000);
	struct order_spool *sp = spool(&a, &it, 200, ORDER_NEW);
	assert_true(sp->last_seq == 0);
	assert_int_equal(order_check(sp, &it.s), ORDER_STORE);
	order_done(&a, sp, 1, "lao-cai");
	assert_true(sp->ack_upto == 1);          /* never 5000 */
	assert_int_equal(a.new_spools, 1);
	assert_true(a.new_spool_at == 200);
	assert_ptr_equal(a.sp[a.cur], sp);
	/* A late copy of the old spool's sample is still a duplicate of it,
	 * acked under its own sid, and does not count as another new spool. */
	it = item(SID_A, 4999, 4998, 1500);
	struct order_spool *old = spool(&a, &it, 201, ORDER_KNOWN);
	assert_int_equal(order_check(old, &it.s), ORDER_DUPLICATE);
	order_duplicate(old, it.s.seq, "lao-cai");
	assert_true(old->ack_upto == 5000);
	assert_true(sp->ack_upto == 1);
	assert_int_equal(a.new_spools, 1);
	order_agent_free(&a);
}

/* An older agent (spool "") upgraded to one that names its spool goes on
 * counting: its next sample's prev is its last acked seq. */
static void
test_named_spool(void **state)
{
	struct order_agent a;
	(void)state;

	order_agent_init(&a);
	order_add_spool(&a, "", 5000, 100);
	struct item it = item(SID_A, 5001, 5000, 2000);
	struct order_spool *sp = spool(&a, &it, 200, ORDER_NAMED);
	assert_true(sp->last_seq == 5000);
	assert_int_equal(order_check(sp, &it.s), ORDER_STORE);
	assert_int_equal(a.new_spools, 0);
	/* But an older agent reinstalled as a new one starts afresh. */
	order_agent_free(&a);
	order_agent_init(&a);
	order_add_spool(&a, "", 5000, 100);
	it = item(SID_A, 1, 0, 2000);
	sp = spool(&a, &it, 200, ORDER_NEW);
	assert_true(sp->last_seq == 0);
	assert_int_equal(order_check(sp, &it.s), ORDER_STORE);
	order_agent_free(&a);
}

/* A duplicate is acked with its spool's last stored seq, never with
 * another spool's, and the ack goes where the sample came from. */
static void
test_ack_duplicate(void **state)
{
	struct order_agent a;
	(void)state;

	order_agent_init(&a);
	order_add_spool(&a, SID_A, 5000, 100);
	order_add_spool(&a, SID_B, 7, 50);
	struct item it = item(SID_A, 4990, 4989, 2000);
	struct order_spool *sp = spool(&a, &it, 200, ORDER_KNOWN);
	assert_int_equal(order_check(sp, &it.s), ORDER_DUPLICATE);
	order_duplicate(sp, 4990, "lao-cai");
	assert_true(sp->ack_upto == 5000);
	it = item(SID_B, 3, 2, 1000);
	struct order_spool *other = spool(&a, &it, 201, ORDER_KNOWN);
	order_duplicate(other, 3, "ha-giang");
	assert_true(other->ack_upto == 7);
	assert_true(sp->ack_upto == 5000);
	assert_string_equal(other->ack_province, "ha-giang");
	assert_string_equal(sp->ack_province, "lao-cai");
	order_agent_free(&a);
}

static void
test_hold_and_drain(void **state)
{
	struct order_agent a;
	(void)state;

	order_agent_init(&a);
	struct item it = item(SID_A, 1, 0, 1000);
	assert_int_equal(feed(&a, &it, 1), ORDER_STORE);
	/* 3 and 4 come before 2 (QoS 1 resends reorder). */
	it = item(SID_A, 3, 2, 1120);
	assert_int_equal(feed(&a, &it, 2), ORDER_HOLD);
	it = item(SID_A, 4, 3, 1180);
	assert_int_equal(feed(&a, &it, 3), ORDER_HOLD);
	struct order_spool *sp = a.sp[0];
	assert_int_equal(sp->nheld, 2);
	assert_true(sp->last_seq == 1);
	/* The same seq again is held once. */
	it = item(SID_A, 3, 2, 1120);
	assert_int_equal(order_hold(sp, &it, 4), ORDER_HELD_DUP);
	it = item(SID_A, 2, 1, 1060);
	assert_int_equal(feed(&a, &it, 5), ORDER_STORE);
	assert_int_equal(sp->nheld, 0);
	assert_true(sp->last_seq == 4);
	assert_true(sp->ack_upto == 4);
	order_agent_free(&a);
}

static void
test_hold_full(void **state)
{
	struct order_agent a;
	(void)state;

	order_agent_init(&a);
	struct item it = item(SID_A, 1, 0, 1000);
	struct order_spool *sp = spool(&a, &it, 1, ORDER_FIRST);
	order_done(&a, sp, 1, "lao-cai");
	for (int i = 0; i < ORDER_HELD_MAX; i++) {
		it = item(SID_A, (uint64_t)(10 + i), 9 + i, 2000 + i);
		assert_int_equal(order_hold(sp, &it, 1), ORDER_HELD);
	}
	/* Newer than all: not held. Older: held, the newest let go. */
	it = item(SID_A, 500, 499, 3000);
	assert_int_equal(order_hold(sp, &it, 1), ORDER_HELD_FULL);
	it = item(SID_A, 5, 4, 1500);
	assert_int_equal(order_hold(sp, &it, 1), ORDER_HELD_EVICTED);
	assert_int_equal(sp->nheld, ORDER_HELD_MAX);
	assert_true(sp->held[0].s.seq == 5);
	assert_true(sp->held[ORDER_HELD_MAX - 1].s.seq == 10 + ORDER_HELD_MAX - 2);
	order_agent_free(&a);
}

/*
 * A restored state DB: the collector's last seq is behind what the agent
 * had acked, so the agent's oldest sample has a prev that can never come.
 * Once the gap has been open for gap_timeout it is passed: the held
 * samples are stored in order.
 */
static void
test_gap_passed(void **state)
{
	struct order_agent a;
	uint64_t from, to;
	(void)state;

	order_agent_init(&a);
	order_add_spool(&a, SID_A, 4, 100);
	struct item it = item(SID_A, 10, 9, 2000);
	assert_int_equal(feed(&a, &it, 100), ORDER_HOLD);
	it = item(SID_A, 11, 10, 2060);
	assert_int_equal(feed(&a, &it, 101), ORDER_HOLD);
	struct order_spool *sp = a.sp[0];
	/* Not before gap_timeout. */
	assert_false(order_pass_gap(&a, sp, 100 + 599, 5000, 600, &from, &to));
	assert_true(sp->last_seq == 4);
	assert_true(order_pass_gap(&a, sp, 100 + 600, 5000, 600, &from, &to));
	assert_true(from == 5 && to == 9);
	assert_true(a.gaps_passed == 1 && a.gap_from == 5 && a.gap_to == 9);
	assert_true(order_in_passed_gap(sp, 5) && order_in_passed_gap(sp, 9));
	assert_false(order_in_passed_gap(sp, 4) || order_in_passed_gap(sp, 10));
	assert_true(a.gap_at == 5000);
	unsigned dups;
	const struct item *h = order_ready(sp, &dups);
	assert_non_null(h);
	assert_true(h->s.seq == 10);
	order_done(&a, sp, 10, "lao-cai");
	order_pop(sp, 700);
	h = order_ready(sp, &dups);
	assert_non_null(h);
	assert_true(h->s.seq == 11);
	order_done(&a, sp, 11, "lao-cai");
	order_pop(sp, 700);
	assert_null(order_ready(sp, &dups));
	assert_true(sp->ack_upto == 11);
	/* An empty hold keeps no memory (every new agent is held a moment
	 * while its files are made). */
	assert_int_equal(sp->nheld, 0);
	assert_null(sp->held);
	/* Nothing held: nothing to pass. */
	assert_false(order_pass_gap(&a, sp, 10000, 9000, 600, &from, &to));
	/* A second gap behind the first waits its own gap_timeout. */
	it = item(SID_A, 20, 19, 3000);
	assert_int_equal(feed(&a, &it, 800), ORDER_HOLD);
	it = item(SID_A, 30, 29, 3600);
	assert_int_equal(feed(&a, &it, 800), ORDER_HOLD);
	assert_true(order_pass_gap(&a, sp, 1400, 9000, 600, &from, &to));
	assert_true(from == 12 && to == 19);
	h = order_ready(sp, &dups);
	assert_true(h != NULL && h->s.seq == 20);
	order_done(&a, sp, 20, "lao-cai");
	order_pop(sp, 1400);
	assert_null(order_ready(sp, &dups));
	assert_false(order_pass_gap(&a, sp, 1999, 9000, 600, &from, &to));
	assert_true(order_pass_gap(&a, sp, 2000, 9000, 600, &from, &to));
	assert_true(from == 21 && to == 29);
	assert_true(a.gaps_passed == 3);
	order_agent_free(&a);
}

/* An empty state DB (lost, or the province moved to a new collector): the
 * agent is new to it, and its samples wait for gap_timeout, then flow. */
static void
test_empty_db(void **state)
{
	struct order_agent a;
	uint64_t from, to;
	(void)state;

	order_agent_init(&a);
	struct item it = item(SID_A, 5000, 4999, 2000);
	struct order_spool *sp = spool(&a, &it, 1, ORDER_FIRST);
	assert_int_equal(order_check(sp, &it.s), ORDER_HOLD);
	assert_int_equal(order_hold(sp, &it, 10), ORDER_HELD);
	assert_true(order_pass_gap(&a, sp, 610, 9000, 600, &from, &to));
	assert_true(from == 1 && to == 4999);
	unsigned dups;
	assert_non_null(order_ready(sp, &dups));
	order_agent_free(&a);
}

/* The legacy rule for agents without a spool id, kept for them only. */
static void
test_legacy_reset(void **state)
{
	struct order_agent a;
	int dropped;
	(void)state;

	order_agent_init(&a);
	order_add_spool(&a, "", 5000, 100);
	struct item it = item("", 1, 0, 2000);
	struct order_spool *sp = spool(&a, &it, 1, ORDER_KNOWN);
	/* ts not after the last stored: may be a late copy; no reset. */
	assert_false(order_legacy_reset(sp, &it.s, 2000, &dropped));
	assert_true(order_legacy_reset(sp, &it.s, 1999, &dropped));
	assert_true(sp->last_seq == 0);
	assert_int_equal(order_check(sp, &it.s), ORDER_STORE);
	/* Never for a named spool: its new sid says it. */
	order_add_spool(&a, SID_A, 5000, 100);
	it = item(SID_A, 1, 0, 2000);
	sp = spool(&a, &it, 1, ORDER_KNOWN);
	assert_false(order_legacy_reset(sp, &it.s, 1999, &dropped));
	order_agent_free(&a);
}

/* Past ORDER_SPOOLS the least recently used spool is forgotten, never the
 * current one. */
static void
test_spools_bounded(void **state)
{
	struct order_agent a;
	enum order_spool_kind kind;
	struct order_forgot forgot;
	char sid[SID_LEN + 1];
	(void)state;

	order_agent_init(&a);
	/* The first spool lives in the agent, the others are allocated. */
	order_add_spool(&a, "", 10, 100);      /* an older agent's spool */
	assert_ptr_equal(a.sp[0], &a.first);
	for (int i = 1; i < ORDER_SPOOLS; i++) {
		snprintf(sid, sizeof sid, "%016x", i + 1);
		order_add_spool(&a, sid, 10, 100 + i);
	}
	assert_int_equal(a.nsp, ORDER_SPOOLS);
	assert_int_equal(a.cur, ORDER_SPOOLS - 1);
	/* The least recently used, the spool "", is forgotten: said so,
	 * since "" is a spool id like another. */
	struct item it = item(SID_B, 1, 0, 2000);
	struct order_spool *sp = order_spool_of(&a, &it.s, 500, &kind, &forgot);
	assert_int_equal(kind, ORDER_NEW);
	assert_true(forgot.any);
	assert_string_equal(forgot.sid, "");
	assert_int_equal(a.nsp, ORDER_SPOOLS);
	assert_ptr_equal(sp, &a.first);          /* its room taken over */
	assert_string_equal(sp->sid, SID_B);
	/* Make the oldest-used the current one: it must survive. */
	a.cur = 1;                               /* used 101 */
	it = item(SID_A, 1, 0, 2000);
	sp = order_spool_of(&a, &it.s, 501, &kind, &forgot);
	assert_true(forgot.any);
	assert_string_equal(forgot.sid, "0000000000000003");
	assert_string_equal(a.sp[1]->sid, "0000000000000002");
	assert_string_equal(sp->sid, SID_A);
	assert_ptr_equal(sp, a.sp[2]);
	order_agent_free(&a);
	/* Freed and started again: the first spool is in the agent again. */
	assert_int_equal(a.nsp, 0);
	order_add_spool(&a, SID_A, 1, 1);
	assert_ptr_equal(a.sp[0], &a.first);
	assert_int_equal(a.cur, 0);
	order_agent_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_new_spool),
		cmocka_unit_test(test_named_spool),
		cmocka_unit_test(test_ack_duplicate),
		cmocka_unit_test(test_hold_and_drain),
		cmocka_unit_test(test_hold_full),
		cmocka_unit_test(test_gap_passed),
		cmocka_unit_test(test_empty_db),
		cmocka_unit_test(test_legacy_reset),
		cmocka_unit_test(test_spools_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
