/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the agent makes of a collector's ack: only an ack of its own spool,
 * within the seqs it has given, may move it forward. Anything else (the
 * history of a wiped spool, another device under the same agent id) would
 * make it take unsent samples for stored and fall silent.
 */
#include "agent.h"

#include <string.h>

enum ack_verdict
ack_check(const char *our_sid, uint64_t last_given, uint64_t last_ack, const char *ack_sid,
    uint64_t ack_seq)
{
	/* An ack without a sid comes from an older collector: the seq range
	 * below is then the only check there can be. */
	if (ack_sid[0] != '\0' && strcmp(ack_sid, our_sid) != 0)
		return ACK_FOREIGN_SID;
	/* The collector never acks a seq it has not stored, and it can only
	 * have stored what this spool gave. */
	if (ack_seq > last_given)
		return ACK_BEYOND;
	if (ack_seq <= last_ack)
		return ACK_STALE;
	return ACK_ACCEPT;
}
