/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The agent's ack check (agent/ack.c): an ack moves the agent forward only
 * when it is of its own spool (or names none) and within the seqs given. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "agent.h"

#define OURS	"9f2c41d07ab355e1"
#define OTHER	"0123456789abcdef"

static void
test_accept(void **state)
{
	(void)state;
	/* Own sid, and an older collector's ack without one. */
	assert_int_equal(ack_check(OURS, 10, 0, OURS, 1), ACK_ACCEPT);
	assert_int_equal(ack_check(OURS, 10, 0, OURS, 10), ACK_ACCEPT);
	assert_int_equal(ack_check(OURS, 10, 4, OURS, 5), ACK_ACCEPT);
	assert_int_equal(ack_check(OURS, 10, 4, "", 5), ACK_ACCEPT);
	assert_int_equal(ack_check(OURS, 10, 4, "", 10), ACK_ACCEPT);
	assert_int_equal(ack_check(OURS, UINT64_MAX - 1, 0, OURS, UINT64_MAX - 1), ACK_ACCEPT);
}

static void
test_stale(void **state)
{
	(void)state;
	/* Repeats and older acks: normal after a resend, not counted. */
	assert_int_equal(ack_check(OURS, 10, 4, OURS, 4), ACK_STALE);
	assert_int_equal(ack_check(OURS, 10, 4, OURS, 1), ACK_STALE);
	assert_int_equal(ack_check(OURS, 10, 4, OURS, 0), ACK_STALE);
	assert_int_equal(ack_check(OURS, 10, 4, "", 3), ACK_STALE);
	assert_int_equal(ack_check(OURS, 10, 10, OURS, 10), ACK_STALE);
	assert_int_equal(ack_check(OURS, 0, 0, "", 0), ACK_STALE);
}

static void
test_foreign_sid(void **state)
{
	(void)state;
	/* Another spool's ack, whatever its seq: in range, stale or beyond. */
	assert_int_equal(ack_check(OURS, 10, 4, OTHER, 5), ACK_FOREIGN_SID);
	assert_int_equal(ack_check(OURS, 10, 4, OTHER, 2), ACK_FOREIGN_SID);
	assert_int_equal(ack_check(OURS, 10, 4, OTHER, 5000), ACK_FOREIGN_SID);
	/* One digit off is another spool. */
	assert_int_equal(ack_check(OURS, 10, 4, "9f2c41d07ab355e0", 5), ACK_FOREIGN_SID);
}

static void
test_beyond(void **state)
{
	(void)state;
	/* Issue 16: a reinstalled agent at seq 3, the collector at 5000. */
	assert_int_equal(ack_check(OURS, 3, 0, "", 5000), ACK_BEYOND);
	assert_int_equal(ack_check(OURS, 3, 0, OURS, 5000), ACK_BEYOND);
	assert_int_equal(ack_check(OURS, 10, 4, "", 11), ACK_BEYOND);
	assert_int_equal(ack_check(OURS, 10, 4, OURS, 11), ACK_BEYOND);
	/* Nothing given yet: any ack but 0 is beyond. */
	assert_int_equal(ack_check(OURS, 0, 0, "", 1), ACK_BEYOND);
	assert_int_equal(ack_check(OURS, 0, 0, OURS, UINT64_MAX), ACK_BEYOND);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept),
		cmocka_unit_test(test_stale),
		cmocka_unit_test(test_foreign_sid),
		cmocka_unit_test(test_beyond),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
