/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The queue from the MQTT thread to the writer (collector/queue.c): items
 * in order across its blocks, bounded, and only what it holds resident. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "collector.h"
#include "testlib.h"

static void
push(struct queue *q, uint64_t seq)
{
	struct item it;

	memset(&it, 0, sizeof it);
	it.kind = ITEM_SAMPLE;
	snprintf(it.s.agent, sizeof it.s.agent, "a%llu", (unsigned long long)seq);
	it.s.seq = seq;
	assert_int_equal(queue_push(q, &it, 0), 0);
}

static struct item out[512];

/* Pops n items into out and checks they are seq from, from + 1, ... */
static void
pop_expect(struct queue *q, uint64_t from, size_t n)
{
	char agent[32];

	while (n > 0) {
		size_t got = queue_pop(q, out, n < 512 ? n : 512, 0);
		assert_true(got > 0);
		for (size_t i = 0; i < got; i++, from++) {
			assert_true(out[i].s.seq == from);
			snprintf(agent, sizeof agent, "a%llu", (unsigned long long)from);
			assert_string_equal(out[i].s.agent, agent);
		}
		n -= got;
	}
}

/* A queue that drains between batches, as it does at a steady rate,
 * keeps going over the same pages: 70,000 items through a queue of
 * 65,536 (36 MB as a ring) leave under 1 MB resident. The ring this
 * replaced went round and kept every page of it resident. */
static void
test_steady_stays_small(void **state)
{
	struct queue *q = queue_new(65536);
	(void)state;

	assert_non_null(q);
	long before = tl_rss_bytes();
	for (uint64_t seq = 1; seq <= 70000; seq++) {
		push(q, seq);
		if (seq % 8 == 0)
			pop_expect(q, seq - 7, 8);
	}
	long grown = tl_rss_bytes() - before;
	assert_true(grown < 1024 * 1024);
	assert_int_equal(queue_depth(q), 0);
	queue_free(q);
}

/* A backlog's memory goes back as it drains (all but a few blocks kept
 * for reuse, and those at queue_trim), and its items come out in order
 * across the blocks. */
static void
test_backlog_given_back(void **state)
{
	const long isz = (long)sizeof(struct item);
	struct queue *q = queue_new(65536);
	(void)state;

	assert_non_null(q);
	memset(out, 0, sizeof out);    /* resident before measuring */
	long before = tl_rss_bytes();
	for (uint64_t seq = 1; seq <= 20000; seq++)
		push(q, seq);
	long full = tl_rss_bytes();
	assert_true(full - before >= 20000 * isz - 65536);
	pop_expect(q, 1, 20000);
	assert_int_equal(queue_depth(q), 0);
	long drained = tl_rss_bytes();
	assert_true(drained - before < 6 * 65536);     /* the blocks kept */
	assert_true(queue_trim(q) > 0);
	assert_true(tl_rss_bytes() - before < 2 * 65536);
	assert_int_equal(queue_trim(q), 0);            /* nothing left to give */

	/* Pushed and popped by uneven turns: in order throughout. */
	uint64_t in = 1, outn = 1;
	for (int turn = 0; turn < 200; turn++) {
		for (int i = 0; i < (turn * 37) % 500; i++)
			push(q, in++);
		size_t take = (size_t)((turn * 53) % 450);
		if (take > in - outn)
			take = (size_t)(in - outn);
		pop_expect(q, outn, take);
		outn += take;
	}
	pop_expect(q, outn, (size_t)(in - outn));
	assert_int_equal(queue_depth(q), 0);
	queue_free(q);
}

/* Bounded: past cap a push is refused (the agent resends); room again
 * once the writer took one. */
static void
test_bounded(void **state)
{
	struct queue *q = queue_new(1000);
	struct item it;
	(void)state;

	assert_non_null(q);
	for (uint64_t seq = 1; seq <= 1000; seq++)
		push(q, seq);
	memset(&it, 0, sizeof it);
	assert_int_equal(queue_push(q, &it, 0), -1);
	pop_expect(q, 1, 1);
	push(q, 1001);
	pop_expect(q, 2, 1000);
	queue_close(q);
	assert_int_equal(queue_push(q, &it, 0), -2);
	queue_free(q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_steady_stays_small),
		cmocka_unit_test(test_backlog_given_back),
		cmocka_unit_test(test_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
