/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TCP connect probe: the time to complete a handshake to each host:port
 * target, with a non-blocking connect in the agent's loop.
 */
#ifndef COVMON_PROBE_TCP_H
#define COVMON_PROBE_TCP_H

#include "loop.h"
#include "sample.h"

#define TCP_MAX_TARGETS 16

struct probe_tcp_conf {
	char targets[TCP_MAX_TARGETS][256];  /* host:port, [v6]:port */
	int ntargets;
	double timeout;     /* seconds */
};

struct tcp_target_result {
	char name[256];
	int ok;             /* 1 connected, 0 failed or timed out */
	double connect_ms;  /* NAN when it failed */
	char error[64];     /* "refused", "timeout", ... when it failed */
};

struct probe_tcp;

struct probe_tcp *probe_tcp_new(struct loop *l, const struct probe_tcp_conf *conf,
    char *err, size_t errlen);
/* Starts one connect per target at `start`; each gives up after the timeout
 * or at start + duration, whichever is first. */
void probe_tcp_start(struct probe_tcp *p, double start, double duration);
/* Sets tcp_connect_ms (mean over the targets that connected) and
 * tcp_connect_ok (1 when every target connected, else 0); fills per-target
 * results; returns their count. */
int probe_tcp_finish(struct probe_tcp *p, struct sample *s, struct tcp_target_result *res,
    int max);
void probe_tcp_free(struct probe_tcp *p);

#endif
