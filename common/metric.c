/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The table of protocol v1 metrics and their RRD groups. */
#include "metric.h"

#include "hash.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

const char *const metric_group_name[GROUP_COUNT] = {
	"icmp", "tcp", "if", "radio", "traffic", "site",
};

const struct metric_info metric_table[METRIC_COUNT] = {
	[M_ICMP_RTT_MIN_MS] = { "icmp_rtt_min_ms", G_ICMP, "ms" },
	[M_ICMP_RTT_AVG_MS] = { "icmp_rtt_avg_ms", G_ICMP, "ms" },
	[M_ICMP_RTT_MAX_MS] = { "icmp_rtt_max_ms", G_ICMP, "ms" },
	[M_ICMP_RTT_P50_MS] = { "icmp_rtt_p50_ms", G_ICMP, "ms" },
	[M_ICMP_RTT_P90_MS] = { "icmp_rtt_p90_ms", G_ICMP, "ms" },
	[M_ICMP_JITTER_MS] = { "icmp_jitter_ms", G_ICMP, "ms" },
	[M_ICMP_LOSS_PCT] = { "icmp_loss_pct", G_ICMP, "%" },
	[M_TCP_CONNECT_MS] = { "tcp_connect_ms", G_TCP, "ms" },
	[M_TCP_CONNECT_OK] = { "tcp_connect_ok", G_TCP, "" },
	[M_IF_RX_BPS] = { "if_rx_bps", G_IF, "bit/s" },
	[M_IF_TX_BPS] = { "if_tx_bps", G_IF, "bit/s" },
	[M_IF_OPER_UP] = { "if_oper_up", G_IF, "" },
	[M_IF_ERRORS] = { "if_errors", G_IF, "" },
	[M_RADIO_SIGNAL_DBM] = { "radio_signal_dbm", G_RADIO, "dBm" },
	[M_RADIO_NOISE_DBM] = { "radio_noise_dbm", G_RADIO, "dBm" },
	[M_RADIO_SNR_DB] = { "radio_snr_db", G_RADIO, "dB" },
	[M_RADIO_CCQ_PCT] = { "radio_ccq_pct", G_RADIO, "%" },
	[M_CLIENTS] = { "clients", G_TRAFFIC, "" },
	[M_PCAP_RX_BPS] = { "pcap_rx_bps", G_TRAFFIC, "bit/s" },
	[M_PCAP_TX_BPS] = { "pcap_tx_bps", G_TRAFFIC, "bit/s" },
	[M_PCAP_PPS] = { "pcap_pps", G_TRAFFIC, "pkt/s" },
	[M_TCP_RETRANS_PCT] = { "tcp_retrans_pct", G_TRAFFIC, "%" },
	[M_TCP_HS_RTT_MS] = { "tcp_hs_rtt_ms", G_TRAFFIC, "ms" },
	[M_PCAP_DROP] = { "pcap_drop", G_TRAFFIC, "" },
	[M_UPTIME_S] = { "uptime_s", G_SITE, "s" },
	[M_SPOOL_DEPTH] = { "spool_depth", G_SITE, "" },
	[M_SPOOL_DROPPED] = { "spool_dropped", G_SITE, "" },
	[M_POWER_MAINS_UP] = { "power_mains_up", G_SITE, "" },
	[M_BATTERY_PCT] = { "battery_pct", G_SITE, "%" },
	[M_SUPPLY_VOLTS] = { "supply_volts", G_SITE, "V" },
};

/*
 * Names by hash: every metric of every sample is looked up twice on the
 * collector's MQTT thread (the scanner, then the fields), and a walk of
 * the table with strcmp was a seventh of that thread's instructions
 * (docs/performance.md). hash_str into 64 slots, probed linearly; a slot
 * holds a metric's index + 1, 0 when empty. Filled once, with each
 * group's metrics as a mask for metric_groups_of.
 */
#define SLOTS 64

_Static_assert(METRIC_COUNT < SLOTS / 2, "the metric hash is too full");
_Static_assert(METRIC_COUNT <= 64, "a sample's present mask is 64 bits");

static unsigned char slot[SLOTS];
static uint64_t group_mask[GROUP_COUNT];
static pthread_once_t slot_once = PTHREAD_ONCE_INIT;

static unsigned
name_hash(const char *s)
{
	return (unsigned)(hash_str(s) & (SLOTS - 1));
}

static void
slot_fill(void)
{
	for (int i = 0; i < METRIC_COUNT; i++) {
		unsigned k = name_hash(metric_table[i].name);
		while (slot[k] != 0)
			k = (k + 1) & (SLOTS - 1);
		slot[k] = (unsigned char)(i + 1);
		group_mask[metric_table[i].group] |= (uint64_t)1 << i;
	}
}

int
metric_lookup(const char *name)
{
	pthread_once(&slot_once, slot_fill);
	for (unsigned k = name_hash(name); slot[k] != 0; k = (k + 1) & (SLOTS - 1))
		if (strcmp(metric_table[slot[k] - 1].name, name) == 0)
			return slot[k] - 1;
	return -1;
}

unsigned
metric_groups_of(uint64_t present)
{
	unsigned groups = 0;

	pthread_once(&slot_once, slot_fill);
	for (int g = 0; g < GROUP_COUNT; g++)
		if (present & group_mask[g])
			groups |= 1U << g;
	return groups;
}
