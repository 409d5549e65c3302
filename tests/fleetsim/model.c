/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The values of simulated samples: per-agent link profiles and a
 * deterministic stream of measurements, following the day (traffic and
 * clients by the local hour in Vietnam, UTC+7) with jitter and the odd
 * spike, so graphs and coverage rollups look like a real province.
 */
#include "fleetsim.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define VN_UTC_OFFSET (7 * 3600)

/* Share of the busy-hour load at each local hour: quiet before dawn, a
 * morning plateau, a dip at lunch, the peak in the evening. */
static const double day_curve[24] = {
	0.35, 0.22, 0.14, 0.10, 0.09, 0.12, 0.25, 0.45, 0.55, 0.60, 0.62, 0.65,
	0.58, 0.55, 0.58, 0.62, 0.66, 0.72, 0.85, 0.95, 1.00, 0.97, 0.80, 0.55,
};

static uint64_t
mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

uint64_t
model_hash(const char *s, uint64_t seed)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ mix(seed);

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return mix(h);
}

/* Uniform in [0, 1) for draw n of (key, seq). */
static double
uni(uint64_t key, uint64_t seq, unsigned n)
{
	uint64_t x = mix(key ^ mix(seq * 0x2545f4914f6cdd1dULL + n));

	return (double)(x >> 11) / 9007199254740992.0;
}

static double
gauss(uint64_t key, uint64_t seq, unsigned n)
{
	double u1 = uni(key, seq, n), u2 = uni(key, seq, n + 1000);

	if (u1 < 1e-12)
		u1 = 1e-12;
	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

static double
r1(double v)
{
	return round(v * 10.0) / 10.0;
}

static double
load_at(int64_t ts)
{
	double h = fmod((double)(ts + VN_UTC_OFFSET) / 3600.0, 24.0);
	int i;
	double f;

	if (h < 0)
		h += 24.0;
	i = (int)h;
	f = h - i;
	return day_curve[i] * (1.0 - f) + day_curve[(i + 1) % 24] * f;
}

void
model_profile(struct agent *a, uint64_t seed, double first_ts)
{
	struct profile *p = &a->prof;
	uint64_t k;

	a->key = model_hash(a->id, seed);
	k = a->key;
	memset(p, 0, sizeof(*p));
	p->hour = -1;
	/* One link in twenty is poor: long microwave hops, old radios. */
	p->bad = uni(k, 0, 1) < 0.05;
	p->rtt_ms = 40.0 + 40.0 * uni(k, 0, 2);
	p->jitter_ms = 2.0 + 8.0 * uni(k, 0, 3);
	p->loss_base = 0.2 + 1.3 * uni(k, 0, 4);
	p->signal_dbm = -60.0 - 15.0 * uni(k, 0, 5);
	p->noise_dbm = -92.0 - 6.0 * uni(k, 0, 6);
	p->capacity_bps = 2e6 + 18e6 * uni(k, 0, 7);
	p->max_clients = 5.0 + 35.0 * uni(k, 0, 8);
	p->boot_ts = first_ts - 3600.0 - 40.0 * 86400.0 * uni(k, 0, 9);
	p->has_tcp = uni(k, 0, 10) < 0.7;
	p->has_pcap = uni(k, 0, 11) < 0.8;
	p->has_power = uni(k, 0, 12) < 0.6;
	if (p->bad) {
		p->rtt_ms = 120.0 + 130.0 * uni(k, 0, 13);
		p->jitter_ms *= 3.0;
		p->loss_base = 4.0 + 8.0 * uni(k, 0, 14);
		p->signal_dbm = -78.0 - 6.0 * uni(k, 0, 15);
	}
	if (a->degraded) {
		p->rtt_ms = 350.0 + 550.0 * uni(k, 0, 16);
		p->jitter_ms = 40.0 + 60.0 * uni(k, 0, 17);
		p->loss_base = 15.0 + 25.0 * uni(k, 0, 18);
		p->signal_dbm = -82.0 - 6.0 * uni(k, 0, 19);
	}
}

void
model_sample(const struct agent *a, uint64_t seq, int64_t ts, int interval,
    bool cut, struct sample *s)
{
	const struct profile *p = &a->prof;
	uint64_t k = a->key;
	double load = p->hour >= 0 ? load_at((int64_t)(p->hour * 3600.0) - VN_UTC_OFFSET) :
	    load_at(ts);
	double loss, avg, min, max, p50, p90, rx, tx;
	unsigned n = 100;

	sample_init(s);
	memcpy(s->agent, a->id, sizeof(s->agent));
	s->seq = seq;
	s->ts = ts;
	s->interval = (uint32_t)interval;

	/* Loss counts lost echoes out of 40 (2 targets x 20): mostly none,
	 * more in the busy hours. */
	if (cut) {
		loss = 100.0;
	} else {
		double mean = p->loss_base * (0.5 + load);
		double lost = floor(-log(1.0 - uni(k, seq, n++)) * mean / 2.5);

		if (uni(k, seq, n++) < 0.6 && !p->bad && !a->degraded)
			lost = 0;
		loss = fmin(100.0, 2.5 * lost);
	}
	sample_set(s, M_ICMP_LOSS_PCT, loss);
	if (loss < 100.0) {
		avg = p->rtt_ms * (1.0 + 0.15 * load) + 0.5 * p->jitter_ms * gauss(k, seq, n++);
		if (avg < 5.0)
			avg = 5.0;
		min = fmax(1.0, avg - p->jitter_ms * (1.0 + uni(k, seq, n++)));
		max = avg + p->jitter_ms * (2.0 + 6.0 * uni(k, seq, n++));
		if (uni(k, seq, n++) < 0.05)
			max += 50.0 + 250.0 * uni(k, seq, n++);
		p50 = fmax(min, avg - 0.3 * p->jitter_ms * uni(k, seq, n++));
		p90 = fmin(max, avg + p->jitter_ms * (1.0 + uni(k, seq, n++)));
		sample_set(s, M_ICMP_RTT_MIN_MS, r1(min));
		sample_set(s, M_ICMP_RTT_AVG_MS, r1(avg));
		sample_set(s, M_ICMP_RTT_MAX_MS, r1(max));
		sample_set(s, M_ICMP_RTT_P50_MS, r1(p50));
		sample_set(s, M_ICMP_RTT_P90_MS, r1(p90));
		sample_set(s, M_ICMP_JITTER_MS,
		    r1(p->jitter_ms * (0.7 + 0.6 * uni(k, seq, n++))));
	} else
		avg = 0;

	if (p->has_tcp) {
		if (loss < 100.0) {
			sample_set(s, M_TCP_CONNECT_MS,
			    r1(avg * 1.1 + 10.0 * uni(k, seq, n++)));
			sample_set(s, M_TCP_CONNECT_OK, 1);
		} else
			sample_set(s, M_TCP_CONNECT_OK, 0);
	}

	/* The access side keeps its local traffic when the backhaul is cut. */
	rx = p->capacity_bps * load * (0.8 + 0.4 * uni(k, seq, n++));
	if (cut)
		rx *= 0.02;
	tx = rx * (0.2 + 0.15 * uni(k, seq, n++));
	sample_set(s, M_IF_RX_BPS, round(rx));
	sample_set(s, M_IF_TX_BPS, round(tx));
	sample_set(s, M_IF_OPER_UP, 1);
	sample_set(s, M_IF_ERRORS, uni(k, seq, n++) < (p->bad ? 0.3 : 0.03) ?
	    floor(1.0 + 20.0 * uni(k, seq, n++)) : 0);

	{
		double sig = round(p->signal_dbm + 1.5 * gauss(k, seq, n++));
		double noi = round(p->noise_dbm + gauss(k, seq, n++));

		n++;
		sample_set(s, M_RADIO_SIGNAL_DBM, sig);
		sample_set(s, M_RADIO_NOISE_DBM, noi);
		sample_set(s, M_RADIO_SNR_DB, sig - noi);
		sample_set(s, M_RADIO_CCQ_PCT, round(100.0 - (p->bad ? 25.0 : 6.0) *
		    uni(k, seq, n++) - loss / 4.0));
	}

	if (p->has_pcap) {
		double pr = rx * 0.92, pt = tx * 0.9;
		double lossy = cut ? 0 : loss;

		sample_set(s, M_CLIENTS, round(p->max_clients *
		    (0.1 + 0.9 * load) * (0.85 + 0.3 * uni(k, seq, n++))));
		sample_set(s, M_PCAP_RX_BPS, round(pr));
		sample_set(s, M_PCAP_TX_BPS, round(pt));
		sample_set(s, M_PCAP_PPS, round((pr + pt) / 8.0 / 700.0));
		sample_set(s, M_TCP_RETRANS_PCT,
		    r1(0.3 + 0.8 * lossy + 1.2 * uni(k, seq, n++)));
		if (!cut)
			sample_set(s, M_TCP_HS_RTT_MS,
			    r1(2.0 * avg + 20.0 + 60.0 * uni(k, seq, n++)));
		sample_set(s, M_PCAP_DROP, 0);
	}

	sample_set(s, M_UPTIME_S, fmax(0.0, floor((double)ts - p->boot_ts)));
	if (p->has_power) {
		sample_set(s, M_POWER_MAINS_UP, 1);
		sample_set(s, M_BATTERY_PCT, round(100.0 - 3.0 * uni(k, seq, n++)));
		sample_set(s, M_SUPPLY_VOLTS, r1(13.4 + 0.1 * gauss(k, seq, n++)));
	}
}
