/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The metrics of wire protocol v1 (DESIGN.md section 3) and the RRD file
 * (probe group) each one is stored in (section 5). One table, used by the
 * codec, the agent's report, the RRD writer and the API.
 */
#ifndef COVMON_METRIC_H
#define COVMON_METRIC_H

#include <stdint.h>

enum metric_group { G_ICMP, G_TCP, G_IF, G_RADIO, G_TRAFFIC, G_SITE, GROUP_COUNT };

enum metric {
	M_ICMP_RTT_MIN_MS, M_ICMP_RTT_AVG_MS, M_ICMP_RTT_MAX_MS, M_ICMP_RTT_P50_MS,
	M_ICMP_RTT_P90_MS, M_ICMP_JITTER_MS, M_ICMP_LOSS_PCT,
	M_TCP_CONNECT_MS, M_TCP_CONNECT_OK,
	M_IF_RX_BPS, M_IF_TX_BPS, M_IF_OPER_UP, M_IF_ERRORS,
	M_RADIO_SIGNAL_DBM, M_RADIO_NOISE_DBM, M_RADIO_SNR_DB, M_RADIO_CCQ_PCT,
	M_CLIENTS, M_PCAP_RX_BPS, M_PCAP_TX_BPS, M_PCAP_PPS, M_TCP_RETRANS_PCT,
	M_TCP_HS_RTT_MS, M_PCAP_DROP,
	M_UPTIME_S, M_SPOOL_DEPTH, M_SPOOL_DROPPED, M_POWER_MAINS_UP, M_BATTERY_PCT,
	M_SUPPLY_VOLTS,
	METRIC_COUNT
};

struct metric_info {
	const char *name;        /* wire name and RRD DS name */
	enum metric_group group;
	const char *unit;        /* for people: "ms", "%", "bit/s", ... */
};

extern const struct metric_info metric_table[METRIC_COUNT];
extern const char *const metric_group_name[GROUP_COUNT];  /* "icmp" -> icmp.rrd */

/* The metric's index, or -1 for a name that is not in protocol v1. */
int metric_lookup(const char *name);

/* The groups (bit 1 << enum metric_group) of the metrics in present
 * (bit 1 << enum metric): the RRD files a sample updates. */
unsigned metric_groups_of(uint64_t present);

#endif
