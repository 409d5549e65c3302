/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The collector's own counters, served on /metrics in Prometheus text
 * format. Counters are atomics: the MQTT thread and the writer threads
 * bump them without a lock.
 */
#ifndef COVMON_COUNTERS_H
#define COVMON_COUNTERS_H

#include "sample.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>

/* Rejections beyond the payload's own (sample_err) ones. */
enum reject_extra {
	REJ_BAD_TOPIC,         /* "bad_topic": ids in the topic fail section 2 */
	REJ_AGENT_MISMATCH,    /* "agent_mismatch": payload agent != topic agent */
	REJ_PROVINCE_MISMATCH, /* "province_mismatch" */
	REJ_CLOCK_SKEW,        /* "clock_skew": ts too far in the future */
	REJ_STALE,             /* "stale": ts at or before what the RRD holds */
	REJ_STORE,             /* "store_error": RRD refused it for good (bad file) */
	REJ_UNKNOWN_AGENT_LIMIT, /* "unknown_agent_limit": past max_unknown_agents */
	REJ_GAP_PASSED,        /* "gap_passed": came after its gap was passed */
	REJ_EXTRA_COUNT
};

/* Room for every enum alert_kind (checked in metrics.c). */
#define COUNTERS_ALERT_KINDS	16

struct counters {
	atomic_ulong received;
	atomic_ulong stored;
	atomic_ulong duplicates;
	atomic_ulong rejected_payload[SAMPLE_E__COUNT];
	atomic_ulong rejected_extra[REJ_EXTRA_COUNT];
	atomic_ulong held_back;       /* samples that were held back, waiting for a gap */
	atomic_long held;             /* samples held back now */
	atomic_ulong held_dropped;    /* let go from the hold (full, gap timed out): resent */
	atomic_ulong gaps_skipped;    /* gaps that never filled: passed */
	atomic_ulong seq_resets;      /* older agents (no sid) whose spool started over */
	atomic_ulong new_spools;      /* agents seen with a new spool id */
	atomic_long unknown_agents;   /* agents known that the inventory does not know */
	atomic_ulong not_stored;      /* transient store failure: not acked, resent */
	atomic_ulong unknown_metrics;
	atomic_ulong queue_full;      /* not queued: the agent resends */
	atomic_ulong rrd_errors;
	atomic_ulong rrd_restored;   /* RRD headers put back after an update cut short */
	atomic_ulong rrd_tunes;      /* files whose heartbeat was raised for a longer interval */
	atomic_ulong rrd_updates;
	atomic_ulong rrd_update_usec; /* total time spent in RRD updates */
	atomic_long rrd_replay_pending; /* 1 while rrdcached failed and the WAL waits to be
	                                   written again before anything else */
	atomic_ulong rrd_replays;     /* write-ahead log replays that passed */
	atomic_long agents_awaiting_files; /* agents whose files the creator is making */
	atomic_ulong rrd_creates;     /* files made by the creator thread */
	atomic_ulong create_usec;     /* request to files made, summed */
	atomic_ulong create_count;
	atomic_ulong acks_sent;
	atomic_ulong acks_deferred;   /* repeats not sent: the last ack of that spool
	                                 was not yet taken by the broker */
	atomic_ulong mqtt_connects;
	atomic_ulong mqtt_loop_restarts;  /* libmosquitto's thread ended, started again */
	atomic_ulong state_messages;
	atomic_ulong lag_usec_sum;    /* ts -> stored, fresh samples only */
	atomic_ulong lag_count;
	atomic_long queue_depth;
	atomic_ulong eval_usec;       /* the last evaluation's duration */
	atomic_ulong evaluations;
	atomic_ulong unknown_agent_samples;  /* stored from agents not in the inventory */
	atomic_long http_connections;        /* HTTP connections open now */
	atomic_ulong http_request_timeouts;  /* cut at [http] request_timeout */
	atomic_ulong http_too_many_args;     /* refused: too many query arguments */
	/* Alerts firing now by kind (enum alert_kind), set by the evaluator. */
	atomic_long alerts_firing[COUNTERS_ALERT_KINDS];
};

extern struct counters counters;

const char *reject_extra_reason(enum reject_extra r);
unsigned long counters_rejected_total(void);
/* Writes the Prometheus text exposition. */
void counters_write(FILE *out);

#endif
