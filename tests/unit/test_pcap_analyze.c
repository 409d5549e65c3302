/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pcap analyser (agent/pcap_analyze.c) through the offline mode
 * (agent/probe_pcap.c): capture files written here, packet by packet, with
 * known retransmissions, clients, handshake times and rates; truncated and
 * garbage packets fed both through files and as exact-size heap buffers,
 * so that the sanitizer build sees any read past a packet. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testlib.h"

#include <pcap/pcap.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "pcap_analyze.h"
#include "probe_pcap.h"

#define T0	1763800000000000LL	/* µs */
#define MS	1000LL

static const uint8_t AP[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01 };
static const uint8_t GW[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0xfe };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static char dir[256];

struct cap {
	char path[512];
	pcap_t *dead;
	pcap_dumper_t *d;
	struct pcap_analyze *pa;  /* fed the same packets from exact-size copies */
	unsigned n;
};

/* One TCP/IP frame to build. */
struct seg {
	const uint8_t *smac, *dmac;
	int vlans;              /* 0, 1 or 2 tags */
	int v6;
	int ip4opts;            /* bytes of IPv4 options, multiple of 4 */
	int v6ext;              /* hop-by-hop + destination options headers */
	uint32_t sip, dip;      /* IPv4, or the last 32 bits of the IPv6 address */
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint32_t data;
};

#define SYN	0x02
#define ACK	0x10
#define FIN	0x01
#define PSH	0x08

static int
setup_dir(void **state)
{
	const char *root = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

	snprintf(dir, sizeof dir, "%s/covmon-pcap-XXXXXX", root);
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int
teardown_dir(void **state)
{
	return tl_rmtree(dir);
}

static void
default_conf(struct probe_pcap_conf *c, bool own)
{
	probe_pcap_conf_default(c);
	if (own) {
		c->has_own_mac = true;
		memcpy(c->own_mac, AP, 6);
	}
}

static void
cap_open(struct cap *c, const char *name, int dlt, const struct probe_pcap_conf *conf)
{
	struct pcap_analyze_conf ac = { 0 };
	char err[256];

	snprintf(c->path, sizeof c->path, "%s/%s", dir, name);
	c->dead = pcap_open_dead_with_tstamp_precision(dlt, 65535, PCAP_TSTAMP_PRECISION_MICRO);
	assert_non_null(c->dead);
	c->d = pcap_dump_open(c->dead, c->path);
	assert_non_null(c->d);
	ac.linktype = dlt;
	ac.has_own_mac = conf->has_own_mac;
	memcpy(ac.own_mac, conf->own_mac, 6);
	ac.max_flows = conf->max_flows;
	ac.max_clients = conf->max_clients;
	c->pa = pcap_analyze_new(&ac, err, sizeof err);
	assert_non_null(c->pa);
	c->n = 0;
}

static void
cap_put(struct cap *c, int64_t ts, const uint8_t *b, uint32_t caplen, uint32_t len)
{
	struct pcap_pkthdr h;
	uint8_t *copy = malloc(caplen ? caplen : 1);

	assert_non_null(copy);
	h.ts.tv_sec = (time_t)(ts / 1000000);
	h.ts.tv_usec = (suseconds_t)(ts % 1000000);
	h.caplen = caplen;
	h.len = len;
	pcap_dump((u_char *)c->d, &h, b);
	memcpy(copy, b, caplen);
	pcap_analyze_packet(c->pa, ts, caplen, len, copy);
	free(copy);
	c->n++;
}

static void
cap_close(struct cap *c)
{
	assert_int_equal(pcap_dump_flush(c->d), 0);
	pcap_dump_close(c->d);
	pcap_close(c->dead);
}

/* Runs the file through the offline mode; the direct analyser must agree. */
static void
cap_run(struct cap *c, const struct probe_pcap_conf *conf, struct sample *s,
    struct pcap_analyze_stats *st)
{
	struct sample d;
	struct pcap_analyze_stats dst;
	char err[512];

	memset(s, 0, sizeof *s);
	if (probe_pcap_run_file_stats(conf, c->path, s, st, err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_int_equal(st->packets, c->n);
	memset(&d, 0, sizeof d);
	pcap_analyze_finish(c->pa, pcap_analyze_span(c->pa), &d);
	pcap_analyze_stats(c->pa, &dst);
	assert_int_equal(d.present, s->present);
	for (int i = 0; i < METRIC_COUNT; i++)
		if (sample_has(s, i) && i != M_PCAP_DROP)
			assert_true(d.m[i] == s->m[i]);
	assert_int_equal(dst.truncated, st->truncated);
	assert_int_equal(dst.malformed, st->malformed);
	pcap_analyze_free(c->pa);
	c->pa = NULL;
}

static uint16_t
csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t
csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static void
put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static void
v6addr(uint8_t *a, uint32_t low)
{
	memset(a, 0, 16);
	a[0] = 0xfd;
	a[1] = 0x32;
	put32(a + 12, low);
}

/* Writes the frame into b; returns its length. Checksums are right, so
 * that Wireshark reads these files as a capture of real traffic. */
static uint32_t
build(const struct seg *sg, uint8_t *b)
{
	uint32_t off = 12, ip, th, l4len = 20 + sg->data, sum;
	uint8_t *t;

	memcpy(b, sg->dmac, 6);
	memcpy(b + 6, sg->smac, 6);
	for (int i = 0; i < sg->vlans; i++) {
		put16(b + off, sg->vlans == 2 && i == 0 ? 0x88a8 : 0x8100);
		put16(b + off + 2, (uint32_t)(100 + i));
		off += 4;
	}
	put16(b + off, sg->v6 ? 0x86dd : 0x0800);
	ip = off + 2;
	if (!sg->v6) {
		uint32_t ihl = 20 + (uint32_t)sg->ip4opts;
		memset(b + ip, 0, ihl);
		b[ip] = (uint8_t)(0x40 | ihl / 4);
		put16(b + ip + 2, ihl + l4len);
		put16(b + ip + 6, 0x4000);	/* DF */
		b[ip + 8] = 64;
		b[ip + 9] = 6;
		put32(b + ip + 12, sg->sip);
		put32(b + ip + 16, sg->dip);
		for (int i = 0; i < sg->ip4opts; i++)
			b[ip + 20 + i] = 1;	/* NOP */
		put16(b + ip + 10, csum_fold(csum_add(0, b + ip, ihl)));
		th = ip + ihl;
		sum = csum_add(0, b + ip + 12, 8) + 6 + l4len;
	} else {
		uint32_t ext = sg->v6ext ? 16 : 0;
		memset(b + ip, 0, 40);
		b[ip] = 0x60;
		put16(b + ip + 4, ext + l4len);
		b[ip + 6] = sg->v6ext ? 0 : 6;
		b[ip + 7] = 64;
		v6addr(b + ip + 8, sg->sip);
		v6addr(b + ip + 24, sg->dip);
		if (sg->v6ext) {
			/* hop-by-hop (PadN) then destination options (PadN) */
			uint8_t *e = b + ip + 40;
			memset(e, 0, 16);
			e[0] = 60; e[1] = 0; e[2] = 1; e[3] = 4;
			e[8] = 6; e[9] = 0; e[10] = 1; e[11] = 4;
		}
		th = ip + 40 + ext;
		sum = csum_add(0, b + ip + 8, 32) + 6 + l4len;
	}
	t = b + th;
	memset(t, 0, 20);
	put16(t, sg->sport);
	put16(t + 2, sg->dport);
	put32(t + 4, sg->seq);
	put32(t + 8, sg->ack);
	t[12] = 5 << 4;
	t[13] = sg->flags;
	put16(t + 14, 65535);
	for (uint32_t i = 0; i < sg->data; i++)
		t[20 + i] = (uint8_t)('a' + i % 26);
	put16(t + 16, csum_fold(csum_add(sum, t, l4len)));
	return th + l4len;
}

static void
put_seg(struct cap *c, int64_t ts, const struct seg *sg)
{
	uint8_t b[2048];
	uint32_t n = build(sg, b);

	cap_put(c, ts, b, n, n);
}

/* A plain frame of `len` bytes (ARP-like ethertype). */
static void
put_frame(struct cap *c, int64_t ts, const uint8_t *src, const uint8_t *dst, uint32_t len)
{
	uint8_t b[1600];

	memset(b, 0, sizeof b);
	memcpy(b, dst, 6);
	memcpy(b + 6, src, 6);
	put16(b + 12, 0x0806);
	cap_put(c, ts, b, len, len);
}

static void
client_mac(uint8_t *m, int i)
{
	static const uint8_t base[6] = { 0x3c, 0x22, 0xfb, 0x00, 0x00, 0x00 };

	memcpy(m, base, 6);
	m[5] = (uint8_t)i;
}

/*
 * A connection from client `cl` to the gateway: handshake (SYN/ACK after
 * hs_ms), then `n` data segments of 100 bytes; the segments whose indices
 * are in retx[] are sent again after the rest. Returns the time after it.
 */
static int64_t
transfer(struct cap *c, int64_t ts, struct seg base, int n, const int *retx, int nretx,
    int hs_ms)
{
	struct seg s = base, r = base;
	uint32_t isn = 1000000, risn = 7000000;

	r.smac = base.dmac; r.dmac = base.smac;
	r.sip = base.dip; r.dip = base.sip;
	r.sport = base.dport; r.dport = base.sport;

	s.seq = isn; s.ack = 0; s.flags = SYN; s.data = 0;
	put_seg(c, ts, &s);
	ts += hs_ms * MS;
	r.seq = risn; r.ack = isn + 1; r.flags = SYN | ACK; r.data = 0;
	put_seg(c, ts, &r);
	ts += MS;
	s.seq = isn + 1; s.ack = risn + 1; s.flags = ACK;
	put_seg(c, ts, &s);
	for (int i = 0; i < n; i++) {
		ts += MS;
		s.seq = isn + 1 + (uint32_t)i * 100; s.flags = ACK | PSH; s.data = 100;
		put_seg(c, ts, &s);
		if (i % 2) {
			r.seq = risn + 1; r.ack = s.seq + 100; r.flags = ACK;
			put_seg(c, ts + 100, &r);
		}
	}
	for (int k = 0; k < nretx; k++) {
		ts += 200 * MS;
		s.seq = isn + 1 + (uint32_t)retx[k] * 100; s.flags = ACK | PSH; s.data = 100;
		put_seg(c, ts, &s);
	}
	return ts + MS;
}

static struct seg
v4seg(const uint8_t *cl, uint32_t sip, uint16_t sport)
{
	struct seg s = { 0 };

	s.smac = cl;
	s.dmac = GW;
	s.sip = sip;
	s.dip = 0xc0a80101;
	s.sport = sport;
	s.dport = 443;
	return s;
}

static void
test_retransmissions(void **state)
{
	struct probe_pcap_conf conf;
	struct pcap_analyze_stats st;
	struct sample s;
	struct cap c;
	uint8_t cl[6];
	const int retx[] = { 3, 8, 14 };
	int64_t ts;

	default_conf(&conf, true);
	client_mac(cl, 1);
	cap_open(&c, "retx.pcap", DLT_EN10MB, &conf);
	/* 17 first sends and 3 sent again: 20 data segments, 3 seen again. */
	ts = transfer(&c, T0, v4seg(cl, 0x0a000002, 40000), 17, retx, 3, 5);
	/* A keep-alive (one byte below the highest) is not data. */
	struct seg ka = v4seg(cl, 0x0a000002, 40000);
	ka.seq = 1000000 + 1 + 1700 - 1; ka.ack = 7000001; ka.flags = ACK; ka.data = 1;
	put_seg(&c, ts, &ka);
	cap_close(&c);

	cap_run(&c, &conf, &s, &st);
	assert_int_equal(st.data_segments, 20);
	assert_int_equal(st.retransmissions, 3);
	assert_true(sample_has(&s, M_TCP_RETRANS_PCT));
	assert_true(s.m[M_TCP_RETRANS_PCT] == 3.0 / 20.0 * 100.0);
	assert_true(s.m[M_TCP_RETRANS_PCT] == 15.0);

	/* Another ratio, and sequence numbers across the 2^32 wrap. */
	const int retx2[] = { 0, 1, 2, 5, 6, 9, 30 };
	cap_open(&c, "retx2.pcap", DLT_EN10MB, &conf);
	struct seg b = v4seg(cl, 0x0a000003, 40001);
	ts = T0;
	b.seq = 0xffffff00u; b.flags = SYN;
	put_seg(&c, ts, &b);
	b.flags = ACK | PSH; b.data = 100;
	for (int i = 0; i < 33; i++) {
		b.seq = 0xffffff01u + (uint32_t)i * 100;
		put_seg(&c, ts += MS, &b);
	}
	for (int k = 0; k < 7; k++) {
		b.seq = 0xffffff01u + (uint32_t)retx2[k] * 100;
		put_seg(&c, ts += MS, &b);
	}
	cap_close(&c);
	cap_run(&c, &conf, &s, &st);
	assert_int_equal(st.data_segments, 40);
	assert_int_equal(st.retransmissions, 7);
	assert_true(s.m[M_TCP_RETRANS_PCT] == 7.0 / 40.0 * 100.0);
}

static void
test_clients(void **state)
{
	struct probe_pcap_conf conf;
	struct pcap_analyze_stats st;
	struct sample s;
	struct cap c;
	uint8_t cl[8][6];
	const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb };
	const uint8_t zero[6] = { 0 };
	int64_t ts = T0;

	default_conf(&conf, true);
	cap_open(&c, "clients.pcap", DLT_EN10MB, &conf);
	for (int i = 0; i < 5; i++) {
		client_mac(cl[i], i + 1);
		for (int k = 0; k < 3; k++) {
			put_frame(&c, ts += MS, cl[i], AP, 60);
			put_frame(&c, ts += MS, cl[i], BCAST, 60);
			put_frame(&c, ts += MS, AP, cl[i], 60);
		}
	}
	/* Not stations: a broadcast or multicast source, all zeroes, the AP. */
	put_frame(&c, ts += MS, BCAST, AP, 60);
	put_frame(&c, ts += MS, mcast, BCAST, 60);
	put_frame(&c, ts += MS, zero, BCAST, 60);
	put_frame(&c, ts += MS, AP, BCAST, 60);
	cap_close(&c);
	cap_run(&c, &conf, &s, &st);
	assert_true(sample_has(&s, M_CLIENTS));
	assert_true(s.m[M_CLIENTS] == 5);

	/* Without own_mac the AP cannot be told from its clients, nor tx
	 * from rx: unknown, not a wrong number. */
	default_conf(&conf, false);
	cap_open(&c, "clients.pcap", DLT_EN10MB, &conf);
	put_frame(&c, T0, cl[0], AP, 60);
	put_frame(&c, T0 + 1000 * MS, AP, cl[0], 60);
	cap_close(&c);
	cap_run(&c, &conf, &s, &st);
	assert_false(sample_has(&s, M_CLIENTS));
	assert_false(sample_has(&s, M_PCAP_RX_BPS));
	assert_false(sample_has(&s, M_PCAP_TX_BPS));
	assert_true(sample_has(&s, M_PCAP_PPS));
	assert_true(s.m[M_PCAP_PPS] == 2.0);

	/* The cap: past max_clients, counted, not stored. */
	default_conf(&conf, true);
	conf.max_clients = 16;
	cap_open(&c, "clients-cap.pcap", DLT_EN10MB, &conf);
	for (int i = 0; i < 40; i++) {
		uint8_t m[6];
		client_mac(m, i + 1);
		put_frame(&c, T0 + i * MS, m, AP, 60);
		put_frame(&c, T0 + i * MS + 1, m, AP, 60);
	}
	cap_close(&c);
	cap_run(&c, &conf, &s, &st);
	assert_true(s.m[M_CLIENTS] == 16);
	assert_int_equal(st.clients_overflow, 48);
}

static void
test_handshakes(void **state)
{
	struct probe_pcap_conf conf;
	struct pcap_analyze_stats st;
	struct sample s;
	struct cap c;
	uint8_t cl[6];
	int64_t ts = T0;
	const int delays[] = { 30, 10, 20 };

	default_conf(&conf, true);
	client_mac(cl, 7);
	cap_open(&c, "hs.pcap", DLT_EN10MB, &conf);
	for (int i = 0; i < 3; i++)
		ts = transfer(&c, ts, v4seg(cl, 0x0a000002, (uint16_t)(41000 + i)), 2,
		    NULL, 0, delays[i]);

	/* A SYN never answered; a SYN/ACK that answers another SYN. */
	struct seg a = v4seg(cl, 0x0a000002, 42000), r;
	a.seq = 5000; a.flags = SYN;
	put_seg(&c, ts += MS, &a);
	a.sport = 42001;
	put_seg(&c, ts += MS, &a);
	r = a;
	r.smac = GW; r.dmac = cl; r.sip = a.dip; r.dip = a.sip;
	r.sport = a.dport; r.dport = a.sport;
	r.seq = 9; r.ack = 77; r.flags = SYN | ACK;
	put_seg(&c, ts += 5 * MS, &r);

	/* Karn: a SYN sent twice, then answered 500 ms later, is not a sample. */
	a.sport = 42002; a.seq = 6000;
	put_seg(&c, ts += MS, &a);
	put_seg(&c, ts += 1000 * MS, &a);
	r.sport = a.dport; r.dport = a.sport; r.ack = 6001;
	put_seg(&c, ts += 500 * MS, &r);
	cap_close(&c);

	cap_run(&c, &conf, &s, &st);
	assert_int_equal(st.handshakes, 3);
	assert_true(sample_has(&s, M_TCP_HS_RTT_MS));
	assert_true(s.m[M_TCP_HS_RTT_MS] == 20.0);
}

static void
test_rates(void **state)
{
	struct probe_pcap_conf conf;
	struct pcap_analyze_stats st;
	struct sample s;
	struct cap c;
	uint8_t cl[6];

	default_conf(&conf, true);
	client_mac(cl, 9);
	cap_open(&c, "rates.pcap", DLT_EN10MB, &conf);
	/* Over exactly 2 s: tx 3 × 100 bytes, rx 5 × 200 bytes. */
	put_frame(&c, T0, cl, AP, 200);
	for (int i = 0; i < 3; i++)
		put_frame(&c, T0 + (i + 1) * 300 * MS, AP, cl, 100);
	for (int i = 0; i < 3; i++)
		put_frame(&c, T0 + 1000 * MS + i * 100 * MS, cl, BCAST, 200);
	put_frame(&c, T0 + 2000 * MS, cl, AP, 200);
	cap_close(&c);
	cap_run(&c, &conf, &s, &st);
	assert_true(s.m[M_PCAP_TX_BPS] == 300 * 8 / 2.0);
	assert_true(s.m[M_PCAP_RX_BPS] == 1000 * 8 / 2.0);
	assert_true(s.m[M_PCAP_PPS] == 4.0);
	assert_true(s.m[M_CLIENTS] == 1);
	assert_int_equal(s.interval, 2);
	assert_int_equal(s.ts, T0 / 1000000 + 2);
	assert_false(sample_has(&s, M_TCP_RETRANS_PCT));  /* no TCP: unknown */
	assert_false(sample_has(&s, M_TCP_HS_RTT_MS));
	assert_false(sample_has(&s, M_PCAP_DROP));         /* a file has no drops */

	/* One packet: no span, so no rates. */
	cap_open(&c, "one.pcap", DLT_EN10MB, &conf);
	put_frame(&c, T0, cl, AP, 200);
	cap_close(&c);
	cap_run(&c, &conf, &s, &st);
	assert_false(sample_has(&s, M_PCAP_PPS));
	assert_true(s.m[M_CLIENTS] == 1);

	/* No packets: no client seen, no rates (no span), not an error. */
	cap_open(&c, "empty.pcap", DLT_EN10MB, &conf);
	cap_close(&c);
	cap_run(&c, &conf, &s, &st);
	assert_int_equal(s.present, (uint64_t)1 << M_CLIENTS);
	assert_true(s.m[M_CLIENTS] == 0);
}

static void
test_vlan_ipv6(void **state)
{
	struct probe_pcap_conf conf;
	struct pcap_analyze_stats st;
	struct sample s;
	struct cap c;
	uint8_t cl[6];
	const int retx[] = { 1 };
	int64_t ts = T0;
	struct seg b;

	default_conf(&conf, true);
	client_mac(cl, 3);
	cap_open(&c, "vlan6.pcap", DLT_EN10MB, &conf);
	b = v4seg(cl, 0x0a000002, 43000);
	b.vlans = 1; b.ip4opts = 12;
	ts = transfer(&c, ts, b, 4, retx, 1, 40);
	b = v4seg(cl, 0x0a000002, 43001);
	b.vlans = 2;
	ts = transfer(&c, ts, b, 4, retx, 1, 40);
	b = v4seg(cl, 2, 43002);
	b.v6 = 1; b.v6ext = 1;
	ts = transfer(&c, ts, b, 4, retx, 1, 40);
	b = v4seg(cl, 2, 43003);
	b.v6 = 1; b.vlans = 2;
	ts = transfer(&c, ts, b, 4, retx, 1, 40);
	cap_close(&c);
	cap_run(&c, &conf, &s, &st);
	assert_int_equal(st.data_segments, 20);
	assert_int_equal(st.retransmissions, 4);
	assert_true(s.m[M_TCP_RETRANS_PCT] == 20.0);
	assert_int_equal(st.handshakes, 4);
	assert_true(s.m[M_TCP_HS_RTT_MS] == 40.0);
	assert_int_equal(st.ip6, st.ip4);
	assert_int_equal(st.truncated + st.malformed, 0);
	assert_true(st.vlan > 0);
}

/* Every prefix of a frame, as an exact-size heap buffer. */
static void
feed_prefixes(struct pcap_analyze *pa, const uint8_t *b, uint32_t n)
{
	for (uint32_t cap = 0; cap <= n; cap++) {
		uint8_t *copy = malloc(cap ? cap : 1);
		assert_non_null(copy);
		memcpy(copy, b, cap);
		pcap_analyze_packet(pa, T0, cap, n, copy);
		free(copy);
	}
}

static uint32_t
rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return (uint32_t)(*x >> 16);
}

static void
test_truncated_garbage(void **state)
{
	struct probe_pcap_conf conf;
	struct pcap_analyze_stats st;
	struct sample s;
	struct cap c;
	uint8_t cl[6], b[2048], f[2048], g[256];
	const int retx[] = { 4 };
	uint64_t x = 0x2545f4914f6cdd1dull;
	int64_t ts;
	uint32_t n;
	struct seg sg;

	default_conf(&conf, true);
	client_mac(cl, 4);
	cap_open(&c, "bad.pcap", DLT_EN10MB, &conf);
	ts = transfer(&c, T0, v4seg(cl, 0x0a000002, 44000), 9, retx, 1, 10);

	sg = v4seg(cl, 0x0a000009, 44001);
	sg.seq = 1; sg.flags = ACK; sg.data = 10; sg.ip4opts = 8;
	n = build(&sg, b);
	cap_put(&c, ts += MS, b, 10, n);	/* Ethernet header cut */
	cap_put(&c, ts += MS, b, 30, n);	/* IPv4 header cut */
	cap_put(&c, ts += MS, b, 40, n);	/* IPv4 options cut */
	cap_put(&c, ts += MS, b, 60, n);	/* TCP header cut */
	cap_put(&c, ts += MS, b, 0, n);		/* nothing captured */
	b[14] = 0x4f;				/* ihl 60 > total length */
	put16(b + 16, 40);
	cap_put(&c, ts += MS, b, n, n);
	n = build(&sg, b);
	put16(b + 16, 1400);			/* longer than the frame */
	cap_put(&c, ts += MS, b, n, n);
	n = build(&sg, b);
	b[14 + 28 + 12] = 0xf0;			/* TCP header of 60 > segment */
	cap_put(&c, ts += MS, b, n, n);
	n = build(&sg, b);
	b[14] = 0x55;				/* IP version 5 */
	cap_put(&c, ts += MS, b, n, n);

	sg.v6 = 1; sg.v6ext = 1; sg.ip4opts = 0; sg.vlans = 2;
	n = build(&sg, b);
	cap_put(&c, ts += MS, b, 16, n);	/* VLAN tag cut */
	cap_put(&c, ts += MS, b, 70, n);	/* IPv6 header cut */
	cap_put(&c, ts += MS, b, 63, n);	/* first extension header cut */
	b[22 + 40 + 1] = 200;			/* extension past the payload */
	cap_put(&c, ts += MS, b, n, n);
	n = build(&sg, b);
	put16(b + 22 + 4, 3000);		/* payload past the frame */
	cap_put(&c, ts += MS, b, n, n);
	/* A chain of extension headers longer than any stack sends. */
	memset(b + 22 + 40, 0, 8 * 12);
	put16(b + 22 + 4, 8 * 12 + 20);
	b[22 + 6] = 60;
	for (int i = 0; i < 12; i++)
		b[22 + 40 + 8 * i] = 60;
	cap_put(&c, ts += MS, b, 22 + 40 + 96 + 20, 22 + 40 + 96 + 20);

	/* Garbage, with an IP ethertype and version now and then so that it
	 * is parsed further in. */
	for (int i = 0; i < 3000; i++) {
		uint32_t len = rnd(&x) % sizeof g;
		for (uint32_t k = 0; k < len; k++)
			g[k] = (uint8_t)rnd(&x);
		if (len >= 14 && i % 3 == 0)
			put16(g + 12, i % 2 ? 0x0800 : 0x86dd);
		if (len >= 15 && i % 6 == 0)
			g[14] = i % 2 ? 0x45 : 0x60;
		cap_put(&c, ts += 1, g, len, len + rnd(&x) % 3);
	}
	cap_close(&c);

	cap_run(&c, &conf, &s, &st);
	assert_true(st.truncated >= 9);
	assert_true(st.malformed >= 7);
	/* The one good connection is measured as if the rest were not there. */
	assert_true(s.m[M_TCP_RETRANS_PCT] == 10.0);
	assert_true(s.m[M_TCP_HS_RTT_MS] == 10.0);
	assert_true(s.m[M_CLIENTS] >= 1);

	/* Every prefix of every kind of frame, for each link type. */
	const int dlts[] = { DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW };
	for (size_t d = 0; d < sizeof dlts / sizeof dlts[0]; d++) {
		struct pcap_analyze_conf ac = { 0 };
		char err[128];
		ac.linktype = dlts[d];
		ac.max_flows = 64;
		ac.max_clients = 16;
		struct pcap_analyze *pa = pcap_analyze_new(&ac, err, sizeof err);
		assert_non_null(pa);
		for (int v = 0; v < 4; v++) {
			sg = v4seg(cl, 0x0a000009, 44001);
			sg.flags = SYN; sg.data = 3;
			sg.v6 = v & 1; sg.v6ext = v & 1; sg.vlans = v >> 1; sg.ip4opts = 40;
			n = build(&sg, b);
			/* Cooked and raw captures: the same IP packet behind
			 * their own headers. */
			const uint8_t *ipp = b + 14 + 4 * sg.vlans;
			uint32_t ipn = n - 14 - 4 * (uint32_t)sg.vlans;
			uint16_t et = sg.v6 ? 0x86dd : 0x0800;
			switch (dlts[d]) {
			case DLT_EN10MB:
				feed_prefixes(pa, b, n);
				break;
			case DLT_LINUX_SLL:
				memset(f, 0, 16);
				put16(f + 2, 1); put16(f + 4, 6);
				memcpy(f + 6, cl, 6);
				put16(f + 14, et);
				memcpy(f + 16, ipp, ipn);
				feed_prefixes(pa, f, ipn + 16);
				break;
			case DLT_LINUX_SLL2:
				memset(f, 0, 20);
				put16(f, et);
				put16(f + 8, 1); f[11] = 6;
				memcpy(f + 12, cl, 6);
				memcpy(f + 20, ipp, ipn);
				feed_prefixes(pa, f, ipn + 20);
				break;
			default:
				feed_prefixes(pa, ipp, ipn);
			}
		}
		for (int i = 0; i < 3000; i++) {
			uint32_t len = rnd(&x) % sizeof g;
			uint8_t *copy = malloc(len ? len : 1);
			assert_non_null(copy);
			for (uint32_t k = 0; k < len; k++)
				copy[k] = (uint8_t)rnd(&x);
			if (len > 0 && i % 2)
				copy[0] = (uint8_t)((i % 4 == 1 ? 0x40 : 0x60) | (copy[0] & 15));
			pcap_analyze_packet(pa, T0 + i, len, len, copy);
			free(copy);
		}
		memset(&s, 0, sizeof s);
		pcap_analyze_finish(pa, 1.0, &s);
		pcap_analyze_stats(pa, &st);
		assert_true(st.truncated > 0);
		pcap_analyze_free(pa);
	}
}

static void
test_flow_table_bound(void **state)
{
	struct probe_pcap_conf conf;
	struct pcap_analyze_stats st, fresh;
	struct pcap_analyze_conf ac = { 0 };
	struct pcap_analyze *pa;
	struct sample s;
	struct cap c;
	uint8_t cl[6];
	char err[128];
	int64_t ts = T0;
	struct seg sg;

	default_conf(&conf, true);
	conf.max_flows = 64;
	client_mac(cl, 5);
	cap_open(&c, "flows.pcap", DLT_EN10MB, &conf);
	for (int i = 0; i < 1000; i++) {
		sg = v4seg(cl, 0x0a000000u + (uint32_t)i, (uint16_t)(20000 + i));
		sg.seq = 1; sg.flags = SYN;
		put_seg(&c, ts += MS, &sg);
		sg.seq = 2; sg.flags = ACK | PSH; sg.data = 50;
		put_seg(&c, ts += MS, &sg);
	}
	/* The newest flows are still known: their repeats are retransmissions. */
	for (int i = 990; i < 1000; i++) {
		sg = v4seg(cl, 0x0a000000u + (uint32_t)i, (uint16_t)(20000 + i));
		sg.seq = 2; sg.flags = ACK | PSH; sg.data = 50;
		put_seg(&c, ts += MS, &sg);
	}
	cap_close(&c);
	cap_run(&c, &conf, &s, &st);
	assert_int_equal(st.flows_evicted, 1000 - 64);
	assert_int_equal(st.flows_in_use, 64);
	assert_int_equal(st.retransmissions, 10);

	ac.linktype = DLT_EN10MB;
	ac.max_flows = 64;
	ac.max_clients = conf.max_clients;
	pa = pcap_analyze_new(&ac, err, sizeof err);
	assert_non_null(pa);
	pcap_analyze_stats(pa, &fresh);
	assert_int_equal(st.memory, fresh.memory);
	pcap_analyze_free(pa);
}

static void
test_cooked_and_raw(void **state)
{
	struct probe_pcap_conf conf;
	struct pcap_analyze_stats st;
	struct sample s;
	struct cap c;
	uint8_t cl[6], b[2048], f[2048];
	uint32_t n;
	struct seg sg;

	default_conf(&conf, false);
	client_mac(cl, 6);
	sg = v4seg(cl, 0x0a000002, 45000);
	sg.seq = 1; sg.flags = ACK | PSH; sg.data = 100;
	n = build(&sg, b);

	/* SLL: the kernel's packet type gives the direction, no own_mac. */
	cap_open(&c, "sll.pcap", DLT_LINUX_SLL, &conf);
	for (int i = 0; i < 4; i++) {
		memset(f, 0, 16);
		put16(f, i < 3 ? 0 : 4);	/* to us ×3, outgoing ×1 */
		put16(f + 2, 1);
		put16(f + 4, 6);
		memcpy(f + 6, cl, 6);
		put16(f + 14, 0x0800);
		memcpy(f + 16, b + 14, n - 14);
		cap_put(&c, T0 + i * 1000 * MS, f, n + 2, n + 2);
	}
	cap_close(&c);
	cap_run(&c, &conf, &s, &st);
	assert_true(s.m[M_CLIENTS] == 1);
	assert_true(s.m[M_PCAP_RX_BPS] == 3 * (n + 2) * 8 / 3.0);
	assert_true(s.m[M_PCAP_TX_BPS] == (n + 2) * 8 / 3.0);
	assert_true(s.m[M_TCP_RETRANS_PCT] == 3.0 / 4.0 * 100);

	/* Raw IP: no link layer, so no direction and no clients. */
	cap_open(&c, "raw.pcap", DLT_RAW, &conf);
	cap_put(&c, T0, b + 14, n - 14, n - 14);
	cap_put(&c, T0 + 500 * MS, b + 14, n - 14, n - 14);
	cap_close(&c);
	cap_run(&c, &conf, &s, &st);
	assert_false(sample_has(&s, M_CLIENTS));
	assert_false(sample_has(&s, M_PCAP_RX_BPS));
	assert_true(s.m[M_PCAP_PPS] == 4.0);
	assert_true(s.m[M_TCP_RETRANS_PCT] == 50.0);
}

static void
test_file_errors(void **state)
{
	struct probe_pcap_conf conf;
	struct sample s;
	struct cap c;
	char path[512], err[512];
	uint8_t cl[6];
	FILE *fp;

	default_conf(&conf, true);
	memset(&s, 0, sizeof s);

	snprintf(path, sizeof path, "%s/missing.pcap", dir);
	assert_int_equal(probe_pcap_run_file(&conf, path, &s, err, sizeof err), -1);
	assert_non_null(strstr(err, path));

	snprintf(path, sizeof path, "%s/garbage.pcap", dir);
	assert_non_null(fp = fopen(path, "w"));
	fputs("this is not a capture file, but it is long enough to be read\n", fp);
	fclose(fp);
	assert_int_equal(probe_pcap_run_file(&conf, path, &s, err, sizeof err), -1);
	assert_non_null(strstr(err, path));

	/* Cut in the middle of a record, as when tcpdump is killed. */
	client_mac(cl, 1);
	cap_open(&c, "cut.pcap", DLT_EN10MB, &conf);
	for (int i = 0; i < 10; i++)
		put_frame(&c, T0 + i, cl, AP, 100);
	cap_close(&c);
	pcap_analyze_free(c.pa);
	assert_int_equal(truncate(c.path, 24 + 5 * 116 + 50), 0);
	assert_int_equal(probe_pcap_run_file(&conf, c.path, &s, err, sizeof err), -1);
	assert_non_null(strstr(err, c.path));
	assert_non_null(strstr(err, "after packet 5"));

	/* 802.11 radiotap is not analysed: said, with the file. */
	pcap_t *dead = pcap_open_dead(DLT_IEEE802_11_RADIO, 65535);
	snprintf(path, sizeof path, "%s/wifi.pcap", dir);
	pcap_dumper_t *d = pcap_dump_open(dead, path);
	assert_non_null(d);
	pcap_dump_close(d);
	pcap_close(dead);
	assert_int_equal(probe_pcap_run_file(&conf, path, &s, err, sizeof err), -1);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "not supported"));

	/* A filter that does not compile is named; one that does, applies. */
	cap_open(&c, "filter.pcap", DLT_EN10MB, &conf);
	struct seg sg = v4seg(cl, 0x0a000002, 46000);
	sg.flags = ACK; sg.data = 10; sg.seq = 1;
	put_seg(&c, T0, &sg);
	put_seg(&c, T0 + 1000 * MS, &sg);
	put_frame(&c, T0 + 2000 * MS, cl, AP, 100);
	cap_close(&c);
	pcap_analyze_free(c.pa);
	snprintf(conf.filter, sizeof conf.filter, "tcp port");
	assert_int_equal(probe_pcap_run_file(&conf, c.path, &s, err, sizeof err), -1);
	assert_non_null(strstr(err, "'tcp port'"));
	assert_non_null(strstr(err, c.path));
	snprintf(conf.filter, sizeof conf.filter, "tcp port 443");
	memset(&s, 0, sizeof s);
	assert_int_equal(probe_pcap_run_file(&conf, c.path, &s, err, sizeof err), 0);
	assert_true(s.m[M_PCAP_PPS] == 2.0);
	assert_true(s.m[M_TCP_RETRANS_PCT] == 50.0);
}

static void
test_conf_load(void **state)
{
	struct conf c;
	struct probe_pcap_conf pc;
	char err[512];

	memset(&c, 0, sizeof c);
	assert_int_equal(conf_load_string(&c, "agent.conf",
	    "[probe.pcap]\ninterface = br-lan\nfilter = not port 22\nbuffer_kb = 2048\n"
	    "own_mac = 02:00:5E:10:00:01\nmax_flows = 1000\npromisc = no\n", err,
	    sizeof err), 0);
	assert_int_equal(probe_pcap_conf_load(&c, &pc, err, sizeof err), 0);
	assert_string_equal(pc.interface, "br-lan");
	assert_string_equal(pc.filter, "not port 22");
	assert_int_equal(pc.buffer_kb, 2048);
	assert_true(pc.has_own_mac);
	assert_memory_equal(pc.own_mac, AP, 6);
	assert_int_equal(pc.max_flows, 1000);
	assert_int_equal(pc.max_clients, PA_MAX_CLIENTS_DEFAULT);
	assert_false(pc.promisc);
	assert_int_equal(conf_unused(&c, err, sizeof err), 0);
	conf_free(&c);

	memset(&c, 0, sizeof c);
	assert_int_equal(conf_load_string(&c, "agent.conf",
	    "[probe.pcap]\ninterface = br-lan\nown_mac = 02:00:5e:10:00\n", err,
	    sizeof err), 0);
	assert_int_equal(probe_pcap_conf_load(&c, &pc, err, sizeof err), -1);
	assert_non_null(strstr(err, "agent.conf:3:"));
	assert_non_null(strstr(err, "own_mac"));
	conf_free(&c);

	memset(&c, 0, sizeof c);
	assert_int_equal(conf_load_string(&c, "agent.conf",
	    "[probe.pcap]\nfilter = tcp\n", err, sizeof err), 0);
	assert_int_equal(probe_pcap_conf_load(&c, &pc, err, sizeof err), -1);
	assert_non_null(strstr(err, "interface"));
	conf_free(&c);

	memset(&c, 0, sizeof c);
	assert_int_equal(conf_load_string(&c, "agent.conf",
	    "[probe.pcap]\ninterface = eth0\nmax_flows = 10\n", err, sizeof err), 0);
	assert_int_equal(probe_pcap_conf_load(&c, &pc, err, sizeof err), -1);
	assert_non_null(strstr(err, "agent.conf:3:"));
	conf_free(&c);

	uint8_t m[6];
	assert_int_equal(pcap_parse_mac("3c-22-fb-00-00-0a", m), 0);
	assert_int_equal(m[5], 0x0a);
	assert_int_equal(pcap_parse_mac("3c:22:fb:00:00:0a:", m), -1);
	assert_int_equal(pcap_parse_mac("3c:22:fb:00:00:0g", m), -1);
	assert_int_equal(pcap_parse_mac("", m), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retransmissions),
		cmocka_unit_test(test_clients),
		cmocka_unit_test(test_handshakes),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_vlan_ipv6),
		cmocka_unit_test(test_truncated_garbage),
		cmocka_unit_test(test_flow_table_bound),
		cmocka_unit_test(test_cooked_and_raw),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_conf_load),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
