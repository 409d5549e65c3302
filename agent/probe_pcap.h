/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Passive capture probe: a libpcap handle on the access side (br-lan) in
 * immediate, non-blocking mode, read from the agent's loop in bounded
 * batches and fed to the analyser (pcap_analyze.h); or, offline, a whole
 * capture file analysed as one interval.
 */
#ifndef COVMON_PROBE_PCAP_H
#define COVMON_PROBE_PCAP_H

#include "conf.h"
#include "loop.h"
#include "pcap_analyze.h"
#include "sample.h"

#include <stdbool.h>
#include <stdint.h>

#define PCAP_IFNAME_MAX		64
#define PCAP_FILTER_MAX		1024
#define PCAP_BUFFER_KB_DEFAULT	1024
/* Two VLAN tags, IPv6 with a few extension headers and the fixed TCP
 * header fit; payload is never read. */
#define PCAP_SNAPLEN		160
/* Packets handled per readable event, so that a flood cannot starve the
 * other probes' timers; the rest wait for the next loop iteration. */
#define PCAP_DISPATCH_MAX	256

struct probe_pcap_conf {
	char interface[PCAP_IFNAME_MAX];
	char filter[PCAP_FILTER_MAX];   /* BPF, "" for none */
	long buffer_kb;                 /* kernel capture buffer */
	bool promisc;                   /* a bridge passes up forwarded frames only then */
	bool has_own_mac;               /* else the interface's, read at open */
	uint8_t own_mac[6];
	uint32_t max_flows;
	uint32_t max_clients;
};

struct probe_pcap;

/* Whether this build has the probe (COVMON_AGENT_PCAP); without it,
 * probe_pcap_conf_load refuses the section. */
bool probe_pcap_built(void);

/* Defaults for every key; interface empty. */
void probe_pcap_conf_default(struct probe_pcap_conf *out);

/* Reads [probe.pcap]: interface (required), filter, buffer_kb, promisc,
 * own_mac, max_flows, max_clients. Returns 0, or -1 with err
 * "FILE:LINE: [probe.pcap] key ...". */
int probe_pcap_conf_load(struct conf *c, struct probe_pcap_conf *out, char *err,
    size_t errlen);

/* Opens and activates the capture (as root, before privileges are dropped),
 * installs the filter and registers the handle with the loop. Returns NULL
 * with err set, naming the interface or the filter. */
struct probe_pcap *probe_pcap_new(struct loop *l, const struct probe_pcap_conf *conf,
    char *err, size_t errlen);

/* Starts an interval at `start` (monotonic seconds). The first call also
 * forgets what was captured, and the kernel's drops, before it. */
void probe_pcap_start(struct probe_pcap *p, double start, double duration);

/* Ends the interval: reads what is waiting (bounded), sets the analyser's
 * metrics (rates over the time since start) and pcap_drop (the kernel's
 * drops since the last finish; unset when pcap_stats fails), then resets
 * for the next interval. */
void probe_pcap_finish(struct probe_pcap *p, struct sample *s);

/* Counters since open, and the MAC used as the access point's own. */
void probe_pcap_stats(const struct probe_pcap *p, struct pcap_analyze_stats *st);
bool probe_pcap_own_mac(const struct probe_pcap *p, uint8_t mac[6]);

void probe_pcap_free(struct probe_pcap *p);

/*
 * Offline mode: analyses the capture file at path as one interval, rates
 * over the span from its first packet to its last, with conf's filter,
 * own_mac and bounds (interface unused). Sets s->ts (end of the last
 * packet's second) and s->interval (the span, 1..3600) when the file has
 * packets. Returns 0, or -1 with err naming the file.
 */
int probe_pcap_run_file(const struct probe_pcap_conf *conf, const char *path,
    struct sample *s, char *err, size_t errlen);
/* The same, with the analyser's counters in *st (may be NULL). */
int probe_pcap_run_file_stats(const struct probe_pcap_conf *conf, const char *path,
    struct sample *s, struct pcap_analyze_stats *st, char *err, size_t errlen);

#endif
