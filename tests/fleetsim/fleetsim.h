/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * covmon-fleetsim: a fleet of simulated agents publishing protocol v1
 * samples through a real broker, for tests, demos and load. Types shared
 * by the simulator's files.
 */
#ifndef FLEETSIM_H
#define FLEETSIM_H

#include "id.h"
#include "sample.h"

#include <stdbool.h>
#include <stdint.h>

/* One made sample waiting in an agent's simulated spool. Values are not
 * kept: they are a pure function of (agent, seq, ts), so a resend rebuilds
 * the same payload and a large backlog costs 32 bytes a sample. */
struct spooled {
	int64_t ts;
	uint64_t prev;
	uint32_t depth;          /* spool depth when it was made */
	uint32_t dropped;        /* spool_dropped when it was made */
	bool cut;                /* made while the backhaul was cut */
};

/* How an agent's links behave, drawn once from the seed. */
struct profile {
	double rtt_ms;           /* typical average RTT */
	double jitter_ms;
	double loss_base;        /* typical loss, % */
	double signal_dbm;
	double noise_dbm;
	double capacity_bps;     /* busy-hour downstream */
	double max_clients;
	double boot_ts;          /* Unix time of the device's last boot */
	double hour;             /* >= 0: the day's traffic at this local hour,
	                            whatever the samples' time (--hour) */
	bool bad;                /* a poor link of the fleet, not a scenario */
	bool has_tcp, has_pcap, has_power;  /* probes configured at the site */
};

struct agent {
	char id[ID_MAX + 1];
	char province[ID_MAX + 1];
	char commune[ID_MAX + 1];
	uint64_t key;            /* hash of the id and seed: the value stream */
	struct profile prof;

	/* Scenarios. */
	bool degraded, silent, backlog;
	bool in_cut;             /* its commune's backhaul is cut right now */

	/* Spool: seqs lo..hi-1 held in a ring of cap entries. */
	struct spooled *ring;
	uint32_t ring_cap;
	uint32_t head;           /* ring index of seq lo */
	uint64_t lo, hi;         /* hi = next seq to make */
	uint64_t send_next;      /* next seq to publish */
	uint64_t sent_hi;        /* one past the highest seq ever published */
	uint64_t acked;          /* highest seq the collector acked */
	double wait_since;       /* mono time the oldest unacked was sent */
	unsigned timeouts;       /* ack timeouts since the last ack: after one,
	                            as an agent, the oldest unacked alone until
	                            an ack moves; every fourth, the window */

	uint64_t made, published, resent, nacked, dropped;
};

/* model.c */
void model_profile(struct agent *a, uint64_t seed, double now);
/* Fills s with agent a's sample seq at ts, made while its backhaul was
 * cut or not (not the spool fields). */
void model_sample(const struct agent *a, uint64_t seq, int64_t ts, int interval,
    bool cut, struct sample *s);
uint64_t model_hash(const char *s, uint64_t seed);

#endif
