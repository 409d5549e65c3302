/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * covmon-agent: the configuration and the parts of the daemon. The agent
 * measures a village site's link every interval, keeps each sample in its
 * spool, and publishes the spool to the collector over MQTT.
 */
#ifndef COVMON_AGENT_H
#define COVMON_AGENT_H

#include "id.h"
#include "loop.h"
#include "mqtt_client.h"
#include "probe_icmp.h"
#include "probe_pcap.h"
#include "probe_power.h"
#include "probe_snmp.h"
#include "probe_tcp.h"
#include "sample.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct agent_conf {
	char path[512];
	char id[ID_MAX + 1];
	char province[ID_MAX + 1];
	double interval;
	char spool_dir[512];
	uint64_t spool_max_bytes;
	char user[64];
	double start_delay;
	struct mqtt_conf mqtt;         /* [mqtt], common/mqtt_client.c */
	double ack_timeout;           /* [mqtt]: resend from the oldest unacked after this */
	int window;                   /* [mqtt]: samples in flight (published, not acked) */
	bool icmp_on;
	struct probe_icmp_conf icmp;
	bool tcp_on;
	struct probe_tcp_conf tcp;
	bool pcap_on;
	struct probe_pcap_conf pcap;
	bool snmp_on;
	struct probe_snmp_conf snmp;
};

/* Reads and validates the whole config. Returns 0, or -1 with err naming
 * file:line. */
int agent_conf_load(struct agent_conf *ac, const char *path, char *err, size_t errlen);
/* The same for SIGHUP, without reading the [mqtt] files (password, TLS):
 * after the privilege drop they may be root's, and [mqtt] changes wait for
 * a restart. */
int agent_conf_reload(struct agent_conf *ac, const char *path, char *err, size_t errlen);
/* Forgets the secrets a loaded configuration holds. */
void agent_conf_clear(struct agent_conf *ac);
/* The effective configuration, as --check-config prints it. */
void agent_conf_print(const struct agent_conf *ac, FILE *out);

/* MQTT publisher of the spool (agent/publisher.c). */
struct spool;
struct publisher;
struct publisher *publisher_new(struct loop *l, const struct agent_conf *ac, struct spool *sp,
    char *err, size_t errlen);
/* Connects (first time, after start_delay) and keeps the connection. */
void publisher_start(struct publisher *p, double delay);
/* A new sample is in the spool: publish it when the window allows. */
void publisher_kick(struct publisher *p);
/* Called by the main loop before each poll: registers the socket, its
 * events, and runs libmosquitto's housekeeping. */
void publisher_tick(struct publisher *p);
/* Publishes `offline` and disconnects; true when everything sent was acked. */
void publisher_stop(struct publisher *p);
void publisher_free(struct publisher *p);
bool publisher_connected(const struct publisher *p);
uint64_t publisher_last_ack(const struct publisher *p);
/* Acks ignored since the start, by why (see ack_check). */
struct publisher_stats {
	uint64_t acks_foreign_sid;   /* of another spool id */
	uint64_t acks_beyond;        /* past the last seq the spool gave */
	uint64_t sid_renewals;       /* new spool ids taken: the spool was a copy */
};
void publisher_stats(const struct publisher *p, struct publisher_stats *st);

/* Checks an ack against the agent's spool (agent/ack.c). our_sid: the
 * spool's id; last_given: the last seq it gave (next_seq - 1); last_ack:
 * the highest seq acked so far; ack_sid: the ack's "sid", "" from an older
 * collector (then only the seq range decides). */
enum ack_verdict {
	ACK_ACCEPT,        /* moves last_ack forward */
	ACK_STALE,         /* at or below last_ack: a repeat, nothing to do */
	ACK_FOREIGN_SID,   /* of another spool: ignored, counted */
	ACK_BEYOND,        /* past last_given: ignored, counted */
};
enum ack_verdict ack_check(const char *our_sid, uint64_t last_given, uint64_t last_ack,
    const char *ack_sid, uint64_t ack_seq);

/* Technician report (agent/report.c). Returns the exit code: 0 all ok. */
struct report_input {
	const struct agent_conf *ac;
	const struct sample *s;
	const struct icmp_target_result *icmp;
	int nicmp;
	const struct tcp_target_result *tcp;
	int ntcp;
	const struct probe_snmp_result *snmp;   /* NULL: no SNMP probe */
	int broker_ok;               /* 1 reachable, 0 not, -1 not checked */
	char broker_error[64];
	double broker_ms;
	long long spool_bytes;       /* -1 unknown */
};
int report_print(FILE *out, const struct report_input *in, bool color);

#endif
