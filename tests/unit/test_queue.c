/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The queue from the MQTT thread to the writer (collector/queue.c): items
 * in order across the ring's wrap, and only the ring's used pages
 * resident. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"

/* The resident set of this process, in bytes. */
static long
rss(void)
{
	long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld %ld", &size, &res), 2);
	fclose(f);
	return res * sysconf(_SC_PAGESIZE);
}

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

/* Pops n items and checks they are seq from, from + 1, ... */
static void
pop_expect(struct queue *q, uint64_t from, size_t n)
{
	static struct item out[512];
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
 * keeps going over its first pages: 70,000 items through a ring of
 * 65,536 (36 MB) leave under 1 MB resident. Before, the ring went round
 * and every page of it stayed resident. */
static void
test_steady_stays_small(void **state)
{
	struct queue *q = queue_new(65536);
	(void)state;

	assert_non_null(q);
	long before = rss();
	for (uint64_t seq = 1; seq <= 70000; seq++) {
		push(q, seq);
		if (seq % 8 == 0)
			pop_expect(q, seq - 7, 8);
	}
	long grown = rss() - before;
	assert_true(grown < 1024 * 1024);
	assert_int_equal(queue_depth(q), 0);
	queue_free(q);
}

/* A backlog's pages go back once it has drained, and the items still in
 * the queue, on either side of the wrap, are kept. */
static void
test_trim(void **state)
{
	const size_t isz = sizeof(struct item);
	struct queue *q = queue_new(16384);
	(void)state;

	assert_non_null(q);
	/* A backlog of 12,000 (6.6 MB resident), drained: all given back. */
	long before = rss();
	for (uint64_t seq = 1; seq <= 12000; seq++)
		push(q, seq);
	long full = rss();
	assert_true(full - before >= (long)(12000 * isz) - 65536);
	pop_expect(q, 1, 12000);
	size_t given = queue_trim(q);
	assert_true(given >= 12000 * isz - 4096);     /* what was resident */
	assert_true(given <= 12000 * isz + 4096);
	assert_true(rss() < full - (long)(10000 * isz));
	assert_int_equal(queue_trim(q), 0);           /* nothing left to give */

	/* Items from the ring's 2,000th to its 10,000th: the pages before
	 * them go (those after were not touched again), the items stay. */
	for (uint64_t seq = 1; seq <= 10000; seq++)
		push(q, seq);
	pop_expect(q, 1, 2000);
	given = queue_trim(q);
	assert_true(given >= 2000 * isz - 4096);
	assert_true(given <= 2000 * isz);
	pop_expect(q, 2001, 4000);

	/* Wrapped: 4,000 left at 6,000..9,999, 10,000 more pushed go past
	 * the end to 0..3,615. The pages between (3,616..5,999) go. */
	for (uint64_t seq = 10001; seq <= 20000; seq++)
		push(q, seq);
	given = queue_trim(q);
	assert_true(given >= (6000 - 3616) * isz - 2 * 4096);
	assert_true(given <= (6000 - 3616) * isz);
	pop_expect(q, 6001, 14000);
	assert_int_equal(queue_depth(q), 0);
	queue_free(q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_steady_stays_small),
		cmocka_unit_test(test_trim),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
