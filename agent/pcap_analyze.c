/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pcap probe's analyser (see pcap_analyze.h for what it measures).
 * Every header is checked against the captured length before it is read:
 * the bytes come from the network, and from files anyone can hand us.
 * Memory is fixed at init: a flow table with LRU eviction, a client set
 * and a handshake array, each with a cap and an overflow counter.
 */
#include "pcap_analyze.h"
#include "hex.h"

#include <pcap/dlt.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2	276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4	228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6	229
#endif

#define ETH_HLEN	14
#define SLL_HLEN	16
#define SLL2_HLEN	20
#define VLAN_HLEN	4
#define VLAN_MAX_TAGS	2
#define IP4_HLEN	20
#define IP6_HLEN	40
#define TCP_HLEN	20
/* Extension headers followed before giving up on an IPv6 packet: a real
 * one has two or three, a hostile one may chain hundreds. */
#define IP6_MAX_EXT	8

#define ETHERTYPE_IP	0x0800
#define ETHERTYPE_IPV6	0x86dd
#define ETHERTYPE_VLAN	0x8100
#define ETHERTYPE_QINQ	0x88a8
#define ETHERTYPE_QINQ_OLD 0x9100

#define SLL_OUTGOING	4	/* PACKET_OUTGOING */
#define ARPHRD_ETHER_	1

#define TH_FIN	0x01
#define TH_SYN	0x02
#define TH_RST	0x04
#define TH_ACK	0x10

#define NIL	UINT32_MAX

#define F_HIGH		0x01	/* high is valid */
#define F_SYN		0x02	/* a SYN waits for its SYN/ACK */
#define F_SYN_AGAIN	0x04	/* that SYN was sent twice: its RTT is ambiguous */

/*
 * One direction of a TCP connection, as whole words: addr[0..1] the source
 * address, addr[2..3] the destination (an IPv4 address in the low half of
 * addr[0] and addr[2], the rest 0); ports the family, source and
 * destination port. Each word is written whole and read back whole (hash,
 * compare), so the reads never wait on a half-finished store.
 */
struct flow_key {
	uint64_t addr[4];
	uint64_t ports;         /* family << 32 | sport << 16 | dport */
};

/* What every packet reads and writes comes first, in one cache line. */
struct flow {
	struct flow_key key;
	uint32_t hash;          /* flow_hash(&key): compared before the key */
	uint32_t hnext;         /* bucket chain */
	uint32_t newer, older;  /* LRU list */
	uint32_t high;          /* end of the highest sequence seen */
	uint32_t syn_seq;
	int64_t syn_ts;
	uint8_t flags;
};

struct pcap_analyze {
	struct pcap_analyze_conf conf;
	bool dir_known;         /* tx/rx and clients can be told */

	struct flow *flows;
	uint32_t *buckets;
	uint32_t nbuckets;      /* power of two */
	uint32_t nflows;        /* used entries, 0..max_flows */
	uint32_t lru_new, lru_old;

	uint64_t *clients;      /* open addressing; 0 = empty, else mac | 1 << 48 */
	uint32_t nclient_slots; /* power of two, >= 2 * max_clients */
	uint32_t nclients;

	double *hs;             /* this interval's handshake times, ms */
	uint32_t nhs;

	/* This interval. */
	uint64_t packets, rx_bytes, tx_bytes;
	uint64_t data_segments, retransmissions;
	int64_t first_ts, last_ts;

	struct pcap_analyze_stats st;
};

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Host order: a key's words only need to be the same for the same bytes. */
static uint64_t
load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof v);
	return v;
}

static uint32_t
load32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof v);
	return v;
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Sequence numbers wrap: compare by signed distance (RFC 1982 style). */
static bool
seq_leq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

static uint32_t
pow2_at_least(uint32_t n)
{
	uint32_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

bool
pcap_analyze_linktype_ok(int linktype)
{
	switch (linktype) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return true;
	}
	return false;
}

struct pcap_analyze *
pcap_analyze_new(const struct pcap_analyze_conf *conf, char *err, size_t errlen)
{
	struct pcap_analyze *pa;

	if (!pcap_analyze_linktype_ok(conf->linktype)) {
		snprintf(err, errlen, "link type %d is not supported (Ethernet, Linux "
		    "cooked or raw IP expected)", conf->linktype);
		return NULL;
	}
	/* The caps keep the tables' sizes well inside 32-bit indices. */
	if (conf->max_flows < 1 || conf->max_flows > (1u << 24) ||
	    conf->max_clients < 1 || conf->max_clients > (1u << 20)) {
		snprintf(err, errlen, "max_flows or max_clients out of range");
		return NULL;
	}
	if ((pa = calloc(1, sizeof *pa)) == NULL)
		goto nomem;
	pa->conf = *conf;
	/* An all-zero address is what interfaces without one (lo) report. */
	if (pa->conf.has_own_mac &&
	    memcmp(pa->conf.own_mac, "\0\0\0\0\0\0", 6) == 0)
		pa->conf.has_own_mac = false;
	pa->dir_known = conf->linktype == DLT_LINUX_SLL ||
	    conf->linktype == DLT_LINUX_SLL2 ||
	    (conf->linktype == DLT_EN10MB && pa->conf.has_own_mac);

	pa->nbuckets = pow2_at_least(conf->max_flows);
	pa->nclient_slots = pow2_at_least(2 * conf->max_clients);
	pa->flows = calloc(conf->max_flows, sizeof *pa->flows);
	pa->buckets = malloc(pa->nbuckets * sizeof *pa->buckets);
	pa->clients = calloc(pa->nclient_slots, sizeof *pa->clients);
	pa->hs = calloc(PA_MAX_HANDSHAKES, sizeof *pa->hs);
	if (pa->flows == NULL || pa->buckets == NULL || pa->clients == NULL ||
	    pa->hs == NULL)
		goto nomem;
	for (uint32_t i = 0; i < pa->nbuckets; i++)
		pa->buckets[i] = NIL;
	pa->lru_new = pa->lru_old = NIL;
	pa->st.memory = sizeof *pa + conf->max_flows * sizeof *pa->flows +
	    pa->nbuckets * sizeof *pa->buckets +
	    pa->nclient_slots * sizeof *pa->clients +
	    PA_MAX_HANDSHAKES * sizeof *pa->hs;
	return pa;
nomem:
	snprintf(err, errlen, "out of memory for %u flows", conf->max_flows);
	pcap_analyze_free(pa);
	return NULL;
}

void
pcap_analyze_free(struct pcap_analyze *pa)
{
	if (pa == NULL)
		return;
	free(pa->flows);
	free(pa->buckets);
	free(pa->clients);
	free(pa->hs);
	free(pa);
}

/*
 * Once per packet, so cheap: each of the key's words times its own odd
 * constant, summed, the high half kept (multiply-shift hashing). The
 * products are independent, where a word-by-word mix is a chain of
 * dependent multiplies.
 */
static uint32_t
flow_hash(const struct flow_key *k)
{
	uint64_t h;

	h = k->addr[0] * 0x9e3779b97f4a7c15ull + k->addr[1] * 0xc2b2ae3d27d4eb4full +
	    k->addr[2] * 0x165667b19e3779f9ull + k->addr[3] * 0xd6e8feb86659fd93ull +
	    k->ports * 0xff51afd7ed558ccdull;
	return (uint32_t)(h >> 32);
}

static bool
flow_key_eq(const struct flow_key *a, const struct flow_key *b)
{
	/* | not ||: five compares and one branch. */
	return ((a->addr[0] ^ b->addr[0]) | (a->addr[1] ^ b->addr[1]) |
	    (a->addr[2] ^ b->addr[2]) | (a->addr[3] ^ b->addr[3]) |
	    (a->ports ^ b->ports)) == 0;
}

static void
lru_unlink(struct pcap_analyze *pa, uint32_t i)
{
	struct flow *f = &pa->flows[i];

	if (f->newer != NIL)
		pa->flows[f->newer].older = f->older;
	else
		pa->lru_new = f->older;
	if (f->older != NIL)
		pa->flows[f->older].newer = f->newer;
	else
		pa->lru_old = f->newer;
}

static void
lru_push(struct pcap_analyze *pa, uint32_t i)
{
	struct flow *f = &pa->flows[i];

	f->newer = NIL;
	f->older = pa->lru_new;
	if (pa->lru_new != NIL)
		pa->flows[pa->lru_new].newer = i;
	pa->lru_new = i;
	if (pa->lru_old == NIL)
		pa->lru_old = i;
}

static void
bucket_unlink(struct pcap_analyze *pa, uint32_t i)
{
	uint32_t *pp = &pa->buckets[pa->flows[i].hash & (pa->nbuckets - 1)];

	while (*pp != NIL) {
		if (*pp == i) {
			*pp = pa->flows[i].hnext;
			return;
		}
		pp = &pa->flows[*pp].hnext;
	}
}

/* The flow of key, made most recent; created (evicting the least recently
 * seen flow when the table is full) when `create`. NULL when absent. */
static struct flow *
flow_get(struct pcap_analyze *pa, const struct flow_key *k, bool create)
{
	uint32_t h = flow_hash(k), b = h & (pa->nbuckets - 1), i;

	for (i = pa->buckets[b]; i != NIL; i = pa->flows[i].hnext) {
		if (pa->flows[i].hash == h &&
		    flow_key_eq(&pa->flows[i].key, k)) {
			if (pa->lru_new != i) {
				lru_unlink(pa, i);
				lru_push(pa, i);
			}
			return &pa->flows[i];
		}
	}
	if (!create)
		return NULL;
	if (pa->nflows < pa->conf.max_flows)
		i = pa->nflows++;
	else {
		i = pa->lru_old;
		lru_unlink(pa, i);
		bucket_unlink(pa, i);
		pa->st.flows_evicted++;
	}
	memset(&pa->flows[i], 0, sizeof pa->flows[i]);
	pa->flows[i].key = *k;
	pa->flows[i].hash = h;
	pa->flows[i].hnext = pa->buckets[b];
	pa->buckets[b] = i;
	lru_push(pa, i);
	return &pa->flows[i];
}

/* Source addresses that are a station: not group (broadcast, multicast:
 * the I/G bit), not all-zero, not the access point itself. */
static void
client_add(struct pcap_analyze *pa, const uint8_t *mac)
{
	uint64_t v = 0;
	uint32_t mask = pa->nclient_slots - 1, h;

	if (mac[0] & 1)
		return;
	if (pa->conf.has_own_mac && memcmp(mac, pa->conf.own_mac, 6) == 0)
		return;
	for (int i = 0; i < 6; i++)
		v = v << 8 | mac[i];
	if (v == 0)
		return;
	v |= (uint64_t)1 << 48;
	h = (uint32_t)((v * 0x9e3779b97f4a7c15ull) >> 40) & mask;
	for (;;) {
		if (pa->clients[h] == v)
			return;
		if (pa->clients[h] == 0)
			break;
		h = (h + 1) & mask;
	}
	if (pa->nclients >= pa->conf.max_clients) {
		pa->st.clients_overflow++;
		return;
	}
	pa->clients[h] = v;
	pa->nclients++;
}

static void
handshake_add(struct pcap_analyze *pa, int64_t us)
{
	pa->st.handshakes++;
	if (pa->nhs >= PA_MAX_HANDSHAKES) {
		pa->st.handshakes_dropped++;
		return;
	}
	pa->hs[pa->nhs++] = (double)us / 1000.0;
}

/*
 * t[0..cap) is the captured part of a TCP segment whose length on the
 * wire (header and data, from the IP header) is seglen.
 */
static void
tcp_segment(struct pcap_analyze *pa, int64_t ts, struct flow_key *k,
    const uint8_t *t, uint32_t cap, uint32_t seglen)
{
	struct flow *f, *r;
	struct flow_key rk;
	uint32_t doff, data, seq, ack, start, end;
	uint8_t flags;

	if (seglen < TCP_HLEN) {
		pa->st.malformed++;
		return;
	}
	if (cap < TCP_HLEN) {
		pa->st.truncated++;
		return;
	}
	/* The options need not be captured: only the fixed header is read. */
	doff = (uint32_t)(t[12] >> 4) * 4;
	if (doff < TCP_HLEN || doff > seglen) {
		pa->st.malformed++;
		return;
	}
	pa->st.tcp++;
	k->ports |= (uint64_t)be16(t) << 16 | be16(t + 2);
	seq = be32(t + 4);
	ack = be32(t + 8);
	flags = t[13];
	data = seglen - doff;

	if ((flags & (TH_SYN | TH_ACK | TH_RST)) == (TH_SYN | TH_ACK)) {
		/* Before this direction's flow is made: making it may evict. */
		rk.addr[0] = k->addr[2];
		rk.addr[1] = k->addr[3];
		rk.addr[2] = k->addr[0];
		rk.addr[3] = k->addr[1];
		rk.ports = (k->ports & ~(uint64_t)UINT32_MAX) |
		    (k->ports & 0xffff) << 16 | (k->ports >> 16 & 0xffff);
		r = flow_get(pa, &rk, false);
		if (r != NULL && (r->flags & F_SYN) && ack == r->syn_seq + 1) {
			/* Karn: after a repeated SYN, which one was answered? */
			if (!(r->flags & F_SYN_AGAIN) && ts >= r->syn_ts)
				handshake_add(pa, ts - r->syn_ts);
			r->flags &= (uint8_t)~(F_SYN | F_SYN_AGAIN);
		}
	}
	if ((f = flow_get(pa, k, true)) == NULL)
		return;
	if ((flags & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN) {
		if ((f->flags & F_SYN) && f->syn_seq == seq)
			f->flags |= F_SYN_AGAIN;
		else {
			f->flags = (uint8_t)((f->flags & ~F_SYN_AGAIN) | F_SYN);
			f->syn_seq = seq;
			f->syn_ts = ts;
		}
	}

	/* The SYN takes one sequence number before the data, the FIN one after. */
	start = seq + ((flags & TH_SYN) ? 1 : 0);
	end = start + data;
	if (data > 0 && !(flags & TH_RST)) {
		/* A keep-alive (one byte below what was sent) is not data:
		 * the same rule as Wireshark's tcp.analysis.keep_alive. */
		if (data == 1 && (f->flags & F_HIGH) && start == f->high - 1 &&
		    !(flags & (TH_SYN | TH_FIN)))
			return;
		pa->st.data_segments++;
		pa->data_segments++;
		if ((f->flags & F_HIGH) && seq_leq(end, f->high)) {
			pa->st.retransmissions++;
			pa->retransmissions++;
		}
	}
	if (flags & TH_FIN)
		end++;
	/* A SYN starts the sequence space afresh: the 4-tuple may be reused
	 * by a new connection with any initial sequence number. */
	if ((flags & TH_SYN) && !(flags & TH_RST)) {
		f->high = end;
		f->flags |= F_HIGH;
	} else if ((flags & TH_FIN) || (data > 0 && !(flags & TH_RST))) {
		if (!(f->flags & F_HIGH) || !seq_leq(end, f->high)) {
			f->high = end;
			f->flags |= F_HIGH;
		}
	}
}

static void
ipv4(struct pcap_analyze *pa, int64_t ts, const uint8_t *q, uint32_t cap, uint32_t wire)
{
	struct flow_key k;
	uint32_t ihl, total;

	if (cap < IP4_HLEN) {
		pa->st.truncated++;
		return;
	}
	ihl = (uint32_t)(q[0] & 0x0f) * 4;
	total = be16(q + 2);
	/* Ethernet pads short frames: the IP length, not the frame's, counts. */
	if (q[0] >> 4 != 4 || ihl < IP4_HLEN || total < ihl || total > wire) {
		pa->st.malformed++;
		return;
	}
	if (ihl > cap) {
		pa->st.truncated++;
		return;
	}
	pa->st.ip4++;
	/* Fragments (MF or an offset) carry a piece of a segment at most. */
	if (be16(q + 6) & 0x3fff) {
		pa->st.fragments++;
		return;
	}
	if (q[9] != 6)
		return;
	k.addr[0] = load32(q + 12);
	k.addr[1] = 0;
	k.addr[2] = load32(q + 16);
	k.addr[3] = 0;
	k.ports = (uint64_t)4 << 32;
	tcp_segment(pa, ts, &k, q + ihl, cap - ihl, total - ihl);
}

static void
ipv6(struct pcap_analyze *pa, int64_t ts, const uint8_t *q, uint32_t cap, uint32_t wire)
{
	struct flow_key k;
	uint32_t end, off = IP6_HLEN, hl;
	uint8_t nh;
	int i;

	if (cap < IP6_HLEN) {
		pa->st.truncated++;
		return;
	}
	if (q[0] >> 4 != 6) {
		pa->st.malformed++;
		return;
	}
	end = IP6_HLEN + be16(q + 4);
	if (end > wire) {
		pa->st.malformed++;
		return;
	}
	pa->st.ip6++;
	/* Payload length 0 is a jumbogram (RFC 2675) or nothing: not analysed. */
	if (end == IP6_HLEN)
		return;
	nh = q[6];
	for (i = 0; i < IP6_MAX_EXT; i++) {
		switch (nh) {
		case 0:		/* hop-by-hop options */
		case 43:	/* routing */
		case 60:	/* destination options */
		case 51:	/* authentication header */
			if (off + 2 > cap) {
				pa->st.truncated++;
				return;
			}
			hl = nh == 51 ? ((uint32_t)q[off + 1] + 2) * 4 :
			    ((uint32_t)q[off + 1] + 1) * 8;
			break;
		case 44:	/* fragment */
			if (off + 8 > cap) {
				pa->st.truncated++;
				return;
			}
			if (be16(q + off + 2) & 0xfff9) {
				pa->st.fragments++;
				return;
			}
			hl = 8;
			break;
		default:
			goto upper;
		}
		nh = q[off];
		off += hl;
		if (off > end) {
			pa->st.malformed++;
			return;
		}
	}
	/* A longer chain than real stacks send: not worth following. */
	pa->st.malformed++;
	return;
upper:
	if (nh != 6)
		return;
	if (off > cap) {
		pa->st.truncated++;
		return;
	}
	k.addr[0] = load64(q + 8);
	k.addr[1] = load64(q + 16);
	k.addr[2] = load64(q + 24);
	k.addr[3] = load64(q + 32);
	k.ports = (uint64_t)6 << 32;
	tcp_segment(pa, ts, &k, q + off, cap - off, end - off);
}

static void
network(struct pcap_analyze *pa, int64_t ts, uint16_t type, const uint8_t *q,
    uint32_t cap, uint32_t wire)
{
	if (type == ETHERTYPE_IP)
		ipv4(pa, ts, q, cap, wire);
	else if (type == ETHERTYPE_IPV6)
		ipv6(pa, ts, q, cap, wire);
	else
		pa->st.non_ip++;
}

static void
count_dir(struct pcap_analyze *pa, bool tx, uint32_t len)
{
	if (tx)
		pa->tx_bytes += len;
	else
		pa->rx_bytes += len;
}

static void
ethernet(struct pcap_analyze *pa, int64_t ts, const uint8_t *p, uint32_t caplen,
    uint32_t len)
{
	uint32_t off = ETH_HLEN;
	uint16_t type;
	bool tx;

	if (caplen < ETH_HLEN) {
		pa->st.truncated++;
		return;
	}
	if (pa->dir_known) {
		tx = memcmp(p + 6, pa->conf.own_mac, 6) == 0;
		count_dir(pa, tx, len);
		if (!tx)
			client_add(pa, p + 6);
	}
	type = be16(p + 12);
	for (int i = 0; i < VLAN_MAX_TAGS && (type == ETHERTYPE_VLAN ||
	    type == ETHERTYPE_QINQ || type == ETHERTYPE_QINQ_OLD); i++) {
		if (off + VLAN_HLEN > caplen) {
			pa->st.truncated++;
			return;
		}
		if (i == 0)
			pa->st.vlan++;
		type = be16(p + off + 2);
		off += VLAN_HLEN;
	}
	network(pa, ts, type, p + off, caplen - off, len - off);
}

/* Linux cooked captures: the kernel says which way the packet went. */
static void
cooked(struct pcap_analyze *pa, int64_t ts, const uint8_t *p, uint32_t caplen,
    uint32_t len, bool v2)
{
	uint32_t hlen = v2 ? SLL2_HLEN : SLL_HLEN;
	uint16_t pkttype, hatype, halen, type;
	const uint8_t *addr;

	if (caplen < hlen) {
		pa->st.truncated++;
		return;
	}
	if (v2) {
		type = be16(p);
		hatype = be16(p + 8);
		pkttype = p[10];
		halen = p[11];
		addr = p + 12;
	} else {
		pkttype = be16(p);
		hatype = be16(p + 2);
		halen = be16(p + 4);
		addr = p + 6;
		type = be16(p + 14);
	}
	count_dir(pa, pkttype == SLL_OUTGOING, len);
	if (pkttype != SLL_OUTGOING && hatype == ARPHRD_ETHER_ && halen == 6)
		client_add(pa, addr);
	network(pa, ts, type, p + hlen, caplen - hlen, len - hlen);
}

void
pcap_analyze_packet(struct pcap_analyze *pa, int64_t ts_us, uint32_t caplen,
    uint32_t len, const uint8_t *bytes)
{
	pa->st.packets++;
	pa->st.bytes += len;
	pa->packets++;
	if (pa->packets == 1 || ts_us < pa->first_ts)
		pa->first_ts = ts_us;
	if (pa->packets == 1 || ts_us > pa->last_ts)
		pa->last_ts = ts_us;
	/* A record claiming more bytes than the wire had is not a packet. */
	if (caplen > len || bytes == NULL) {
		pa->st.malformed++;
		return;
	}
	switch (pa->conf.linktype) {
	case DLT_EN10MB:
		ethernet(pa, ts_us, bytes, caplen, len);
		break;
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
		cooked(pa, ts_us, bytes, caplen, len, pa->conf.linktype == DLT_LINUX_SLL2);
		break;
	default:	/* raw IP: the version nibble says which */
		if (caplen < 1) {
			pa->st.truncated++;
			return;
		}
		network(pa, ts_us, bytes[0] >> 4 == 6 ? ETHERTYPE_IPV6 : ETHERTYPE_IP,
		    bytes, caplen, len);
		break;
	}
}

double
pcap_analyze_span(const struct pcap_analyze *pa)
{
	if (pa->packets < 2)
		return 0;
	return (double)(pa->last_ts - pa->first_ts) / 1e6;
}

uint64_t
pcap_analyze_interval_packets(const struct pcap_analyze *pa)
{
	return pa->packets;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void
pcap_analyze_reset(struct pcap_analyze *pa)
{
	pa->packets = pa->rx_bytes = pa->tx_bytes = 0;
	pa->data_segments = pa->retransmissions = 0;
	pa->first_ts = pa->last_ts = 0;
	pa->nhs = 0;
	if (pa->nclients > 0)
		memset(pa->clients, 0, pa->nclient_slots * sizeof *pa->clients);
	pa->nclients = 0;
}

void
pcap_analyze_finish(struct pcap_analyze *pa, double duration, struct sample *s)
{
	if (pa->dir_known)
		sample_set(s, M_CLIENTS, pa->nclients);
	if (duration > 0) {
		sample_set(s, M_PCAP_PPS, (double)pa->packets / duration);
		if (pa->dir_known) {
			sample_set(s, M_PCAP_RX_BPS, (double)pa->rx_bytes * 8 / duration);
			sample_set(s, M_PCAP_TX_BPS, (double)pa->tx_bytes * 8 / duration);
		}
	}
	if (pa->data_segments > 0)
		sample_set(s, M_TCP_RETRANS_PCT,
		    100.0 * (double)pa->retransmissions / (double)pa->data_segments);
	if (pa->nhs > 0) {
		qsort(pa->hs, pa->nhs, sizeof *pa->hs, cmp_double);
		if (pa->nhs % 2)
			sample_set(s, M_TCP_HS_RTT_MS, pa->hs[pa->nhs / 2]);
		else
			sample_set(s, M_TCP_HS_RTT_MS,
			    (pa->hs[pa->nhs / 2 - 1] + pa->hs[pa->nhs / 2]) / 2);
	}
	pcap_analyze_reset(pa);
}

void
pcap_analyze_stats(const struct pcap_analyze *pa, struct pcap_analyze_stats *st)
{
	*st = pa->st;
	st->flows_in_use = pa->nflows;
}

int
pcap_parse_mac(const char *s, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		int hi = hex_digit(s[0]), lo = hi < 0 ? -1 : hex_digit(s[1]);

		if (hi < 0 || lo < 0)
			return -1;
		mac[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
		if (i < 5) {
			if (*s != ':' && *s != '-')
				return -1;
			s++;
		}
	}
	return *s == '\0' ? 0 : -1;
}
