/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The agent's interval cycle and the reload of its probes (cycle.h). */
#include "cycle.h"
#include "clock.h"
#include "log.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysinfo.h>

void
cycle_probes_close(struct probes *p)
{
	probe_icmp_free(p->icmp);
	probe_tcp_free(p->tcp);
	probe_pcap_free(p->pcap);
	probe_snmp_free(p->snmp);
	memset(p, 0, sizeof *p);
}

/* Opens every configured probe (as root: raw sockets, capture handle). */
int
cycle_probes_open(struct agent *a, const struct agent_conf *ac, struct probes *p, char *err,
    size_t errlen)
{
	memset(p, 0, sizeof *p);
	if (ac->icmp_on && (p->icmp = probe_icmp_new(a->loop, &ac->icmp, err, errlen)) == NULL)
		goto fail;
	if (ac->tcp_on && (p->tcp = probe_tcp_new(a->loop, &ac->tcp, err, errlen)) == NULL)
		goto fail;
	if (ac->pcap_on && (p->pcap = probe_pcap_new(a->loop, &ac->pcap, err, errlen)) == NULL)
		goto fail;
	if (ac->snmp_on && (p->snmp = probe_snmp_new(a->loop, &ac->snmp, err, errlen)) == NULL)
		goto fail;
	return 0;
fail:
	cycle_probes_close(p);
	return -1;
}

void
cycle_probes_use(struct agent *a, const struct probes *p)
{
	a->icmp = p->icmp;
	a->tcp = p->tcp;
	a->pcap = p->pcap;
	a->snmp = p->snmp;
}

void
cycle_begin(struct agent *a)
{
	a->interval_start = clock_mono();
	if (a->icmp)
		probe_icmp_start(a->icmp, a->interval_start, a->conf.interval);
	if (a->tcp)
		probe_tcp_start(a->tcp, a->interval_start, a->conf.interval);
	if (a->pcap)
		probe_pcap_start(a->pcap, a->interval_start, a->conf.interval);
	if (a->snmp)
		probe_snmp_start(a->snmp, a->interval_start, a->conf.interval);
}

/* Collects this interval's measurements into s (seq and ts are the caller's). */
void
cycle_collect(struct agent *a, struct sample *s, struct icmp_target_result *ir, int *nir,
    struct tcp_target_result *tr, int *ntr, struct probe_snmp_result *sr)
{
	struct sysinfo si;

	*nir = *ntr = 0;
	snprintf(s->agent, sizeof s->agent, "%s", a->conf.id);
	s->interval = (uint32_t)lround(a->conf.interval);
	if (s->interval == 0)
		s->interval = 1;
	s->ts = (int64_t)clock_now();
	if (a->icmp)
		*nir = probe_icmp_finish(a->icmp, s, ir, ICMP_MAX_TARGETS);
	if (a->tcp)
		*ntr = probe_tcp_finish(a->tcp, s, tr, TCP_MAX_TARGETS);
	if (a->pcap)
		probe_pcap_finish(a->pcap, s);
	/* The site's power: from the radio's OIDs when configured, else from
	 * the device's own supply (a power cut is the first cause of outages). */
	if (a->snmp)
		probe_snmp_finish(a->snmp, s, sr);
	else
		probe_power_sysfs(POWER_SYSFS_ROOT, s);
	if (sysinfo(&si) == 0)
		sample_set(s, M_UPTIME_S, (double)si.uptime);
}

void
cycle_end(void *arg)
{
	struct agent *a = arg;
	struct icmp_target_result ir[ICMP_MAX_TARGETS];
	struct tcp_target_result tr[TCP_MAX_TARGETS];
	struct probe_snmp_result sr;
	struct spool_stats st;
	struct sample s;
	char buf[SAMPLE_MAX_BYTES], err[256];
	int nir, ntr;

	sample_init(&s);
	cycle_collect(a, &s, ir, &nir, tr, &ntr, &sr);
	spool_stats(a->spool, &st);
	sample_set(&s, M_SPOOL_DEPTH, (double)st.depth);
	sample_set(&s, M_SPOOL_DROPPED, (double)st.dropped);
	s.seq = st.next_seq;
	/* The next interval starts now, so probing keeps its cadence
	 * whatever the disk or the broker do. */
	cycle_begin(a);
	loop_timer_at(a->loop, a->interval_start + a->conf.interval, cycle_end, a);

	int n = sample_encode(&s, buf, sizeof buf);
	if (n < 0) {
		log_warnx("sample %llu: cannot encode", (unsigned long long)s.seq);
		return;
	}
	if (spool_append(a->spool, buf, (size_t)n, err, sizeof err) == 0) {
		log_warnx("spool: %s", err);
		return;
	}
	log_debug("sample %llu: %d bytes spooled (%llu waiting)", (unsigned long long)s.seq, n,
	    (unsigned long long)st.depth + 1);
	publisher_kick(a->pub);
}

void
cycle_reload(struct agent *a)
{
	struct agent_conf nc;
	struct probes np, old = { a->icmp, a->tcp, a->pcap, a->snmp };
	char err[512];

	if (agent_conf_reload(&nc, a->conf.path, err, sizeof err) == -1) {
		log_warnx("reload: %s; keeping the running configuration", err);
		return;
	}
	/* The reload does not read password_file: compare the rest. */
	memcpy(nc.mqtt.password, a->conf.mqtt.password, sizeof nc.mqtt.password);
	if (strcmp(nc.id, a->conf.id) || strcmp(nc.province, a->conf.province) ||
	    strcmp(nc.spool_dir, a->conf.spool_dir) ||
	    memcmp(&nc.mqtt, &a->conf.mqtt, sizeof nc.mqtt) != 0 || nc.interval != a->conf.interval ||
	    nc.ack_timeout != a->conf.ack_timeout || nc.window != a->conf.window)
		log_warnx("reload: [agent] and [mqtt] changes take effect at the next restart; "
		    "probes are reloaded now");
	agent_conf_clear(&nc);
	/* Without root (systemd gives the agent CAP_NET_RAW instead) the raw
	 * sockets open again; after a drop from root they may not: then the
	 * running probes stay. */
	if (cycle_probes_open(a, &nc, &np, err, sizeof err) == -1) {
		log_warnx("reload: %s; keeping the running probes", err);
		return;
	}
	/* The running interval is cut short: its figures would mix old and
	 * new targets. */
	cycle_probes_close(&old);
	cycle_probes_use(a, &np);
	a->conf.icmp_on = nc.icmp_on;
	a->conf.icmp = nc.icmp;
	a->conf.tcp_on = nc.tcp_on;
	a->conf.tcp = nc.tcp;
	a->conf.pcap_on = nc.pcap_on;
	a->conf.pcap = nc.pcap;
	a->conf.snmp_on = nc.snmp_on;
	a->conf.snmp = nc.snmp;
	cycle_begin(a);
	log_info("reload: probes reloaded from %s", a->conf.path);
}
