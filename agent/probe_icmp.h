/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ICMP echo probe: `count` echoes per target per interval, spread over the
 * interval and staggered between targets, replies matched by identifier and
 * sequence (other processes' echoes ignored), IPv4 and IPv6. Raw sockets
 * (CAP_NET_RAW), or unprivileged ping sockets where the kernel allows.
 */
#ifndef COVMON_PROBE_ICMP_H
#define COVMON_PROBE_ICMP_H

#include "loop.h"
#include "sample.h"

#define ICMP_MAX_TARGETS 16

struct probe_icmp_conf {
	char targets[ICMP_MAX_TARGETS][256];  /* addresses or host names */
	int ntargets;
	int count;          /* echoes per target per interval */
	double timeout;     /* seconds to wait for a reply */
};

struct icmp_target_result {
	char name[256];     /* as configured */
	char addr[64];      /* numeric address probed, "" if unresolved */
	unsigned sent, received;
	double loss_pct;
	double min_ms, avg_ms, max_ms, p50_ms, p90_ms, jitter_ms;  /* NAN when none answered */
};

struct probe_icmp;

/* Resolves the targets and opens the sockets (as root, before privileges
 * are dropped); registers them with the loop. Returns NULL with err set. */
struct probe_icmp *probe_icmp_new(struct loop *l, const struct probe_icmp_conf *conf,
    char *err, size_t errlen);

/* Schedules this interval's echoes over [start, start + duration - timeout]
 * (monotonic seconds), so every echo is answered or timed out by
 * start + duration. */
void probe_icmp_start(struct probe_icmp *p, double start, double duration);

/* Ends the interval: sets the icmp_* metrics in s, pooled over all targets
 * (loss = unanswered / sent over every target; RTT statistics over every
 * answer), fills per-target results (up to max) and returns how many, then
 * resets for the next interval. Metrics with no answer are left unset. */
int probe_icmp_finish(struct probe_icmp *p, struct sample *s, struct icmp_target_result *res,
    int max);

void probe_icmp_free(struct probe_icmp *p);

#endif
