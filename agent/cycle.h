/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The agent's interval cycle (agent/cycle.c): the probes opened together,
 * an interval begun on every probe at once, its measurements collected
 * into one sample, spooled, and the next interval begun at the same
 * moment so that probing keeps its cadence whatever the disk or the broker
 * do; and a SIGHUP's reload of the probes. main.c runs it, as the daemon
 * or as --once.
 */
#ifndef COVMON_CYCLE_H
#define COVMON_CYCLE_H

#include "agent.h"
#include "spool.h"

struct agent {
	struct agent_conf conf;
	struct loop *loop;
	struct probe_icmp *icmp;
	struct probe_tcp *tcp;
	struct probe_pcap *pcap;
	struct probe_snmp *snmp;
	struct spool *spool;
	struct publisher *pub;
	double interval_start;     /* monotonic */
	bool interval_done;
};

/* The probes of one configuration, opened together (a reload opens the new
 * set before it closes the old). */
struct probes {
	struct probe_icmp *icmp;
	struct probe_tcp *tcp;
	struct probe_pcap *pcap;
	struct probe_snmp *snmp;
};


/* Opens every configured probe (as root: raw sockets, capture handle).
 * Returns 0, or -1 with err set and nothing left open. */
int cycle_probes_open(struct agent *a, const struct agent_conf *ac, struct probes *p,
    char *err, size_t errlen);
void cycle_probes_close(struct probes *p);
/* Makes p the agent's probes. */
void cycle_probes_use(struct agent *a, const struct probes *p);

/* Begins an interval on every probe, now. */
void cycle_begin(struct agent *a);
/* Collects this interval's measurements into s (seq and ts are the caller's
 * to keep or set); ir, tr and sr get the per-target detail for --once. */
void cycle_collect(struct agent *a, struct sample *s, struct icmp_target_result *ir,
    int *nir, struct tcp_target_result *tr, int *ntr, struct probe_snmp_result *sr);
/* The interval timer (a loop timer callback, arg the agent): collects,
 * begins the next interval, spools the sample and kicks the publisher. */
void cycle_end(void *arg);
/* SIGHUP: rereads the configuration; the probes are replaced when the new
 * ones open, else the running ones are kept ([agent] and [mqtt] changes
 * wait for a restart). */
void cycle_reload(struct agent *a);

#endif
