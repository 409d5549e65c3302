/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The technician's report of `covmon-agent --once`: every value with its
 * unit and a verdict against the collector's default thresholds, short
 * enough to read on a phone at the site.
 */
#include "agent.h"
#include "exitcode.h"

#include <math.h>
#include <string.h>
#include <string.h>

/* The collector's defaults ([coverage] max_loss_pct, max_rtt_ms); warn
 * from 80 % of a threshold, where the collector's alerts clear. */
#define MAX_LOSS_PCT 5.0
#define MAX_RTT_MS 300.0
#define MAX_JITTER_MS 50.0

enum verdict { V_OK, V_WARN, V_BAD };

static const char *
vword(enum verdict v, bool color)
{
	static const char *const plain[] = { "ok", "warn", "BAD" };
	static const char *const col[] = { "\033[32mok\033[0m", "\033[33mwarn\033[0m",
		"\033[1;31mBAD\033[0m" };
	return color ? col[v] : plain[v];
}

static enum verdict
judge(double v, double max)
{
	if (isnan(v) || v > max)
		return V_BAD;
	return v > 0.8 * max ? V_WARN : V_OK;
}

static void
worst(enum verdict *acc, enum verdict v)
{
	if (v > *acc)
		*acc = v;
}

int
report_print(FILE *out, const struct report_input *in, bool color)
{
	const struct agent_conf *ac = in->ac;
	enum verdict all = V_OK, v;

	fprintf(out, "covmon-agent %s: site check of %s (%s), %.0f s of measurement\n\n",
	    COVMON_VERSION, ac->id, ac->province, ac->interval);

	for (int i = 0; i < in->nicmp; i++) {
		const struct icmp_target_result *r = &in->icmp[i];
		v = judge(r->loss_pct, MAX_LOSS_PCT);
		worst(&all, v);
		fprintf(out, "ping %-22s loss %5.1f %%  (%u of %u lost)      %s\n", r->name,
		    r->loss_pct, r->sent - r->received, r->sent, vword(v, color));
		if (r->received == 0) {
			fprintf(out, "     %-22s no answer                          %s\n", "",
			    vword(V_BAD, color));
			continue;
		}
		v = judge(r->avg_ms, MAX_RTT_MS);
		worst(&all, v);
		fprintf(out, "     %-22s rtt avg %.1f ms (min %.1f, max %.1f, p90 %.1f)  %s\n", "",
		    r->avg_ms, r->min_ms, r->max_ms, r->p90_ms, vword(v, color));
		if (!isnan(r->jitter_ms)) {
			v = judge(r->jitter_ms, MAX_JITTER_MS);
			worst(&all, v);
			fprintf(out, "     %-22s jitter %.1f ms                      %s\n", "",
			    r->jitter_ms, vword(v, color));
		}
	}
	for (int i = 0; i < in->ntcp; i++) {
		const struct tcp_target_result *r = &in->tcp[i];
		if (r->ok) {
			v = judge(r->connect_ms, MAX_RTT_MS);
			fprintf(out, "tcp  %-22s connected in %.1f ms              %s\n", r->name,
			    r->connect_ms, vword(v, color));
		} else {
			v = V_BAD;
			fprintf(out, "tcp  %-22s failed: %-24s %s\n", r->name, r->error,
			    vword(v, color));
		}
		worst(&all, v);
	}
	if (in->snmp != NULL) {
		const struct probe_snmp_result *r = in->snmp;
		v = strcmp(r->state, "ok") == 0 ? V_OK : strcmp(r->state, "partial") == 0 ? V_WARN :
		    V_BAD;
		worst(&all, v);
		fprintf(out, "snmp %-22s %s%s%s                   %s\n", r->target, r->state,
		    r->error[0] ? ": " : "", r->error, vword(v, color));
	}
	const struct sample *s = in->s;
	if (sample_has(s, M_RADIO_SIGNAL_DBM)) {
		double d = s->m[M_RADIO_SIGNAL_DBM];
		v = d >= -70 ? V_OK : d >= -80 ? V_WARN : V_BAD;
		worst(&all, v);
		fprintf(out, "radio signal %.0f dBm%s                           %s\n", d,
		    sample_has(s, M_RADIO_NOISE_DBM) ? "" : "", vword(v, color));
	}
	if (sample_has(s, M_RADIO_SNR_DB)) {
		double d = s->m[M_RADIO_SNR_DB];
		v = d >= 20 ? V_OK : d >= 15 ? V_WARN : V_BAD;
		worst(&all, v);
		fprintf(out, "radio snr %.0f dB                                %s\n", d, vword(v, color));
	}
	if (sample_has(s, M_RADIO_CCQ_PCT))
		fprintf(out, "radio ccq %.0f %%\n", s->m[M_RADIO_CCQ_PCT]);
	if (sample_has(s, M_IF_OPER_UP)) {
		v = s->m[M_IF_OPER_UP] >= 1 ? V_OK : V_BAD;
		worst(&all, v);
		fprintf(out, "link interface %s                                 %s\n",
		    v == V_OK ? "up" : "DOWN", vword(v, color));
	}
	if (sample_has(s, M_IF_RX_BPS) && sample_has(s, M_IF_TX_BPS))
		fprintf(out, "link traffic in %.1f Mbit/s, out %.1f Mbit/s\n", s->m[M_IF_RX_BPS] / 1e6,
		    s->m[M_IF_TX_BPS] / 1e6);
	if (sample_has(s, M_POWER_MAINS_UP)) {
		v = s->m[M_POWER_MAINS_UP] >= 1 ? V_OK : V_WARN;
		worst(&all, v);
		fprintf(out, "power %s                                   %s\n",
		    v == V_OK ? "mains on" : "ON BATTERY (mains off)", vword(v, color));
	}
	if (sample_has(s, M_BATTERY_PCT)) {
		double d = s->m[M_BATTERY_PCT];
		v = d >= 50 ? V_OK : d >= 20 ? V_WARN : V_BAD;
		worst(&all, v);
		fprintf(out, "power battery %.0f %%%s                          %s\n", d,
		    sample_has(s, M_SUPPLY_VOLTS) ? "" : "", vword(v, color));
	}
	if (sample_has(s, M_SUPPLY_VOLTS))
		fprintf(out, "power supply %.1f V\n", s->m[M_SUPPLY_VOLTS]);
	if (sample_has(s, M_CLIENTS))
		fprintf(out, "access clients %.0f\n", s->m[M_CLIENTS]);
	if (sample_has(in->s, M_UPTIME_S)) {
		double up = in->s->m[M_UPTIME_S];
		fprintf(out, "site uptime %.0f d %.0f h %.0f min%s\n", floor(up / 86400),
		    floor(fmod(up, 86400) / 3600), floor(fmod(up, 3600) / 60),
		    up < 3600 ? "  (restarted within the hour: power cut?)" : "");
	}
	if (in->broker_ok >= 0) {
		char name[300];
		snprintf(name, sizeof name, "%s:%d", ac->mqtt.host, ac->mqtt.port);
		if (in->broker_ok) {
			fprintf(out, "broker %-20s reachable (%.1f ms)              %s\n", name,
			    in->broker_ms, vword(V_OK, color));
		} else {
			fprintf(out, "broker %-20s unreachable: %-18s %s\n", name,
			    in->broker_error, vword(V_BAD, color));
			worst(&all, V_BAD);
		}
	}
	if (in->spool_bytes >= 0)
		fprintf(out, "spool %s: %lld bytes on disk%s\n", ac->spool_dir, in->spool_bytes,
		    in->spool_bytes > 64 * 1024 ? " (samples waiting: the link was down)" : "");
	if (in->nicmp == 0 && in->ntcp == 0 && in->snmp == NULL)
		fprintf(out, "no probe configured: add [probe.icmp] or [probe.tcp] to %s\n", ac->path);
	fprintf(out, "\nverdict: %s  (thresholds: loss <= %.0f %%, rtt <= %.0f ms, jitter <= %.0f ms;"
	    " warn above 80 %% of them)\n", vword(all, color), MAX_LOSS_PCT, MAX_RTT_MS,
	    MAX_JITTER_MS);
	return all == V_OK ? 0 : EXIT_RUNTIME;
}
