/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The capture probe left out (COVMON_AGENT_PCAP=OFF, an access point with
 * no room for libpcap): probe_pcap_conf_load refuses [probe.pcap], so
 * nothing below is reached but --pcap-file, which says why. */
#include "probe_pcap.h"

#include <stdio.h>

#define WHY "this covmon-agent was built without the capture probe (COVMON_AGENT_PCAP=OFF)"

bool
probe_pcap_built(void)
{
	return false;
}

struct probe_pcap *
probe_pcap_new(struct loop *l, const struct probe_pcap_conf *conf, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s", WHY);
	return NULL;
}

void probe_pcap_start(struct probe_pcap *p, double start, double duration) {}
void probe_pcap_finish(struct probe_pcap *p, struct sample *s) {}
void probe_pcap_free(struct probe_pcap *p) {}

void
probe_pcap_stats(const struct probe_pcap *p, struct pcap_analyze_stats *st)
{
	*st = (struct pcap_analyze_stats){ 0 };
}

bool
probe_pcap_own_mac(const struct probe_pcap *p, uint8_t mac[6])
{
	return false;
}

int
probe_pcap_run_file_stats(const struct probe_pcap_conf *conf, const char *path,
    struct sample *s, struct pcap_analyze_stats *st, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %s", path, WHY);
	return -1;
}

int
probe_pcap_run_file(const struct probe_pcap_conf *conf, const char *path,
    struct sample *s, char *err, size_t errlen)
{
	return probe_pcap_run_file_stats(conf, path, s, NULL, err, errlen);
}
