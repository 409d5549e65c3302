/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pcap probe's analyser: fed one captured packet at a time, it keeps
 * this interval's traffic per direction, the distinct client MACs, TCP
 * retransmissions and handshake times. Pure: no I/O, no clock, all memory
 * allocated by pcap_analyze_new, so it runs the same over a live handle, a
 * capture file or a fuzzer's bytes.
 *
 * Direction: a frame whose source MAC is the access point's own (own_mac)
 * is tx; every other frame seen is rx. On Linux cooked captures (SLL, SLL2)
 * the kernel's packet type says it instead (PACKET_OUTGOING is tx). Where
 * neither is known (Ethernet without own_mac, raw IP) pcap_rx_bps,
 * pcap_tx_bps and clients are left unset: unknown, not 0.
 */
#ifndef COVMON_PCAP_ANALYZE_H
#define COVMON_PCAP_ANALYZE_H

#include "sample.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PA_MAX_FLOWS_DEFAULT	16384
#define PA_MAX_CLIENTS_DEFAULT	4096
/* Handshake times kept per interval for the median; more are counted. */
#define PA_MAX_HANDSHAKES	4096

struct pcap_analyze_conf {
	int linktype;           /* DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_IPV4, DLT_IPV6 */
	bool has_own_mac;
	uint8_t own_mac[6];
	uint32_t max_flows;     /* TCP flow directions tracked; least recently seen evicted */
	uint32_t max_clients;   /* distinct client MACs per interval; more are counted */
};

/* Counters since pcap_analyze_new (never reset), for logs and tests. */
struct pcap_analyze_stats {
	uint64_t packets;       /* every packet handed in */
	uint64_t bytes;         /* their wire lengths */
	uint64_t ip4, ip6, tcp;
	uint64_t vlan;          /* frames with one or two 802.1Q/802.1ad tags */
	uint64_t non_ip;        /* ARP, LLC, other ethertypes: counted as traffic only */
	uint64_t fragments;     /* IP fragments: no TCP analysis */
	uint64_t truncated;     /* a header did not fit in the captured bytes */
	uint64_t malformed;     /* a header field that cannot be (bad version, lengths) */
	uint64_t data_segments;
	uint64_t retransmissions;
	uint64_t handshakes;    /* SYN/ACKs matched to their SYN */
	uint64_t handshakes_dropped;  /* past PA_MAX_HANDSHAKES in an interval */
	uint64_t clients_overflow;    /* client MACs past max_clients in an interval */
	uint64_t flows_evicted;
	uint32_t flows_in_use;
	size_t memory;          /* bytes allocated at init; never grows */
};

struct pcap_analyze;

/* Returns NULL with err set (unsupported link type, bad bounds, memory). */
struct pcap_analyze *pcap_analyze_new(const struct pcap_analyze_conf *conf,
    char *err, size_t errlen);
void pcap_analyze_free(struct pcap_analyze *pa);

/* Whether the analyser handles this DLT_ link type. */
bool pcap_analyze_linktype_ok(int linktype);

/*
 * One packet: ts_us its capture time (microseconds), caplen the bytes at
 * `bytes`, len its length on the wire. Never reads past bytes[caplen);
 * truncated and malformed packets are counted and skipped.
 */
void pcap_analyze_packet(struct pcap_analyze *pa, int64_t ts_us, uint32_t caplen,
    uint32_t len, const uint8_t *bytes);

/* Seconds between the first and last packet of this interval (0 with fewer
 * than two packets). */
double pcap_analyze_span(const struct pcap_analyze *pa);
/* Packets seen this interval. */
uint64_t pcap_analyze_interval_packets(const struct pcap_analyze *pa);

/*
 * Ends the interval: sets clients, pcap_rx_bps, pcap_tx_bps, pcap_pps
 * (rates over `duration` seconds; unset when duration <= 0),
 * tcp_retrans_pct (when a data segment was seen) and tcp_hs_rtt_ms (when a
 * handshake was) in s, then resets the interval's counters. Flows persist.
 */
void pcap_analyze_finish(struct pcap_analyze *pa, double duration, struct sample *s);
/* Drops the interval's counters without reporting them. */
void pcap_analyze_reset(struct pcap_analyze *pa);

void pcap_analyze_stats(const struct pcap_analyze *pa, struct pcap_analyze_stats *st);

/* "02:00:5e:10:00:01" (or with '-') into mac. Returns 0 or -1. */
int pcap_parse_mac(const char *s, uint8_t mac[6]);

#endif
