/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ICMP echo probe. Each interval sends `count` echoes to every target,
 * spread evenly and staggered between targets, and matches the replies (and
 * the ICMP errors they provoke) back to the echo that caused them.
 */
#include "probe_icmp.h"
#include "clock.h"
#include "log.h"
#include "rttstats.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ICMP_MAX_COUNT	1000
#define ECHO_PAYLOAD	56	/* as ping(8): 64 bytes of ICMP */
#define RECV_BURST	64	/* datagrams read per wake-up, so the loop is never starved */

/* Linux raw ICMP socket filter (linux/icmp.h clashes with netinet/ip_icmp.h). */
#ifndef ICMP_FILTER
#define ICMP_FILTER	1
#endif

enum echo_state { E_IDLE, E_PENDING, E_ANSWERED, E_LOST };

struct echo {
	enum echo_state state;
	double sent_at;		/* monotonic seconds */
	double rtt;		/* seconds, when answered */
};

struct icmp_sock {
	struct probe_icmp *p;
	int fd;
	int family;
	int dgram;		/* ping socket: the kernel owns the identifier */
};

struct target {
	struct probe_icmp *p;
	int index;
	char name[256];
	char addr[64];
	struct sockaddr_storage sa;
	socklen_t salen;
	struct icmp_sock *sock;
	struct echo *echo;	/* [count], allocated at new */
	int next;		/* next echo to send */
	double first;		/* monotonic time of echo 0 */
	uint64_t timer;
};

struct probe_icmp {
	struct loop *l;
	int count;
	double timeout;
	double spacing;		/* seconds between two echoes to one target */
	uint16_t ident;
	/*
	 * Echo k of target t carries seq_base + t * count + k (mod 2^16).
	 * seq_base moves on by ntargets * count (<= 16000) each interval, so
	 * a straggler from an earlier interval maps outside the current block
	 * whatever the wrap.
	 */
	uint16_t seq_base;
	int ntargets;
	struct target t[ICMP_MAX_TARGETS];
	struct icmp_sock s4, s6;
	double *scratch;	/* [ntargets * count] answered RTTs, for the pooled stats */
};

static unsigned probe_serial;	/* identifiers differ between probes of one process */
/* Send and receive errors can repeat per echo: say them at a limited rate. */
static struct log_limit complain = LOG_LIMIT_INIT(5, 60);

static void icmp_send_due(void *arg);

static uint16_t
get16(const unsigned char *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static void
put16(unsigned char *b, uint16_t v)
{
	b[0] = (unsigned char)(v >> 8);
	b[1] = (unsigned char)v;
}

static uint16_t
inet_cksum(const unsigned char *b, size_t len)
{
	uint32_t sum = 0;

	for (; len > 1; b += 2, len -= 2)
		sum += get16(b);
	if (len)
		sum += (uint32_t)b[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static int
resolve(struct target *t, char *err, size_t errlen)
{
	struct addrinfo hints, *res;
	int rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;	/* one answer per address, not per socket type */
	if ((rc = getaddrinfo(t->name, NULL, &hints, &res)) != 0) {
		snprintf(err, errlen, "icmp target '%s': %s", t->name,
		    rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	memcpy(&t->sa, res->ai_addr, res->ai_addrlen);
	t->salen = res->ai_addrlen;
	freeaddrinfo(res);
	if ((rc = getnameinfo((struct sockaddr *)&t->sa, t->salen, t->addr, sizeof t->addr,
	    NULL, 0, NI_NUMERICHOST)) != 0) {
		snprintf(err, errlen, "icmp target '%s': %s", t->name, gai_strerror(rc));
		return -1;
	}
	return 0;
}

/*
 * A raw socket sees every ICMP message the host receives; tell the kernel
 * to pass only what can concern our echoes. Only an optimisation: the
 * parser checks the types itself.
 */
static void
raw_filter(int fd, int family)
{
	if (family == AF_INET) {
		uint32_t block = ~(uint32_t)((1u << ICMP_ECHOREPLY) | (1u << ICMP_DEST_UNREACH) |
		    (1u << ICMP_TIME_EXCEEDED));
		if (setsockopt(fd, SOL_RAW, ICMP_FILTER, &block, sizeof block) == -1)
			log_warn("icmp: ICMP_FILTER");
	} else {
		struct icmp6_filter f;
		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
		ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &f);
		ICMP6_FILTER_SETPASS(ICMP6_TIME_EXCEEDED, &f);
		if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof f) == -1)
			log_warn("icmp: ICMP6_FILTER");
	}
}

static void icmp_readable(void *arg, int fd, short revents);

/*
 * Raw socket, or, where the agent lacks CAP_NET_RAW, a ping socket
 * (net.ipv4.ping_group_range must include our group).
 */
static int
sock_open(struct probe_icmp *p, struct icmp_sock *s, int family, char *err, size_t errlen)
{
	int proto = family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	const char *fam = family == AF_INET ? "IPv4" : "IPv6";
	int one = 1, raw_errno;

	s->p = p;
	s->family = family;
	s->dgram = 0;
	s->fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (s->fd == -1) {
		raw_errno = errno;
		if (raw_errno != EPERM && raw_errno != EACCES) {
			snprintf(err, errlen, "icmp: raw %s socket: %s", fam, strerror(raw_errno));
			return -1;
		}
		s->fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
		if (s->fd == -1) {
			snprintf(err, errlen, "icmp: raw %s socket: %s; ping socket: %s "
			    "(run as root, give CAP_NET_RAW, or widen net.ipv4.ping_group_range)",
			    fam, strerror(raw_errno), strerror(errno));
			return -1;
		}
		s->dgram = 1;
		log_debug("icmp: no raw %s socket (%s), using a ping socket", fam,
		    strerror(raw_errno));
	} else
		raw_filter(s->fd, family);

	/* Kernel receive time: RTTs then do not include time spent elsewhere in the loop. */
	if (setsockopt(s->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) == -1)
		log_warn("icmp: SO_TIMESTAMPNS");

	if (loop_io_add(p->l, s->fd, POLLIN, icmp_readable, s) == -1) {
		snprintf(err, errlen, "icmp: %s", strerror(ENOMEM));
		close(s->fd);
		s->fd = -1;
		return -1;
	}
	return 0;
}

static void
sock_close(struct probe_icmp *p, struct icmp_sock *s)
{
	if (s->fd == -1)
		return;
	loop_io_del(p->l, s->fd);
	if (close(s->fd) == -1)
		log_warn("icmp: close");
	s->fd = -1;
}

struct probe_icmp *
probe_icmp_new(struct loop *l, const struct probe_icmp_conf *conf, char *err, size_t errlen)
{
	struct probe_icmp *p;
	int i;

	if (conf->ntargets < 1 || conf->ntargets > ICMP_MAX_TARGETS) {
		snprintf(err, errlen, "icmp: %d targets, expected 1 to %d", conf->ntargets,
		    ICMP_MAX_TARGETS);
		return NULL;
	}
	if (conf->count < 1 || conf->count > ICMP_MAX_COUNT) {
		snprintf(err, errlen, "icmp: count %d, expected 1 to %d", conf->count,
		    ICMP_MAX_COUNT);
		return NULL;
	}
	if (!(conf->timeout > 0) || !isfinite(conf->timeout)) {
		snprintf(err, errlen, "icmp: timeout %g s, expected more than 0", conf->timeout);
		return NULL;
	}
	if ((p = calloc(1, sizeof *p)) == NULL) {
		snprintf(err, errlen, "icmp: %s", strerror(errno));
		return NULL;
	}
	p->l = l;
	p->count = conf->count;
	p->timeout = conf->timeout;
	p->ntargets = conf->ntargets;
	p->s4.fd = p->s6.fd = -1;
	p->ident = (uint16_t)((unsigned)getpid() ^ (probe_serial++ * 0x9e37u));
	p->seq_base = (uint16_t)(p->ident * 0x3c6du);
	if ((p->scratch = calloc((size_t)p->ntargets * (size_t)p->count,
	    sizeof *p->scratch)) == NULL) {
		snprintf(err, errlen, "icmp: %s", strerror(errno));
		goto fail;
	}

	for (i = 0; i < p->ntargets; i++) {
		struct target *t = &p->t[i];

		t->p = p;
		t->index = i;
		if (snprintf(t->name, sizeof t->name, "%s", conf->targets[i]) >=
		    (int)sizeof t->name) {
			snprintf(err, errlen, "icmp target %d: name too long", i + 1);
			goto fail;
		}
		if (t->name[0] == '\0') {
			snprintf(err, errlen, "icmp target %d: empty", i + 1);
			goto fail;
		}
		if (resolve(t, err, errlen) == -1)
			goto fail;
		if ((t->echo = calloc((size_t)p->count, sizeof *t->echo)) == NULL) {
			snprintf(err, errlen, "icmp: %s", strerror(errno));
			goto fail;
		}
		t->sock = t->sa.ss_family == AF_INET ? &p->s4 : &p->s6;
		if (t->sock->fd == -1 &&
		    sock_open(p, t->sock, t->sa.ss_family, err, errlen) == -1)
			goto fail;
	}
	return p;

fail:
	probe_icmp_free(p);
	return NULL;
}

static void
reset(struct probe_icmp *p)
{
	for (int i = 0; i < p->ntargets; i++) {
		struct target *t = &p->t[i];

		if (t->timer) {
			loop_timer_cancel(p->l, t->timer);
			t->timer = 0;
		}
		memset(t->echo, 0, (size_t)p->count * sizeof *t->echo);
		t->next = p->count;	/* nothing to send until start */
	}
}

void
probe_icmp_start(struct probe_icmp *p, double start, double duration)
{
	double span = duration - p->timeout;

	reset(p);
	p->seq_base = (uint16_t)(p->seq_base + p->ntargets * p->count);

	/*
	 * The last echo leaves before start + duration - timeout, so it is
	 * answered or lost by the end of the interval. Targets are offset by a
	 * fraction of the spacing so their echoes never leave together.
	 */
	if (span < 0)
		span = 0;
	p->spacing = span / p->count;
	for (int i = 0; i < p->ntargets; i++) {
		struct target *t = &p->t[i];

		t->next = 0;
		t->first = start + p->spacing * i / p->ntargets;
		if ((t->timer = loop_timer_at(p->l, t->first, icmp_send_due, t)) == 0)
			log_warnx("icmp %s: no memory for a timer, target skipped", t->name);
	}
}

static void
icmp_send(struct probe_icmp *p, struct target *t, int k)
{
	unsigned char pkt[8 + ECHO_PAYLOAD];
	struct echo *e = &t->echo[k];
	uint16_t seq = (uint16_t)(p->seq_base + t->index * p->count + k);

	memset(pkt, 0, sizeof pkt);
	pkt[0] = t->sock->family == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
	put16(pkt + 4, p->ident);
	put16(pkt + 6, seq);
	for (size_t i = 8; i < sizeof pkt; i++)
		pkt[i] = (unsigned char)i;
	/* ICMPv6 and ping sockets: the kernel fills in the checksum. */
	if (t->sock->family == AF_INET)
		put16(pkt + 2, inet_cksum(pkt, sizeof pkt));

	e->state = E_PENDING;
	e->sent_at = clock_mono();
	if (sendto(t->sock->fd, pkt, sizeof pkt, MSG_DONTWAIT, (struct sockaddr *)&t->sa,
	    t->salen) == -1) {
		/* No route, no neighbour, full buffer: this echo is lost. */
		e->state = E_LOST;
		log_limited(&complain, "icmp %s: send: %s", t->name, strerror(errno));
	}
}

static void
icmp_send_due(void *arg)
{
	struct target *t = arg;
	struct probe_icmp *p = t->p;

	t->timer = 0;
	if (t->next >= p->count)
		return;
	icmp_send(p, t, t->next++);
	if (t->next < p->count) {
		/* From the start time, not from now: a late wake-up does not drift. */
		double at = t->first + p->spacing * t->next;
		if ((t->timer = loop_timer_at(p->l, at, icmp_send_due, t)) == 0)
			log_warnx("icmp %s: no memory for a timer", t->name);
	}
}

static int
addr_equal(const struct target *t, int family, const unsigned char *addr)
{
	if (t->sa.ss_family != family)
		return 0;
	if (family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)&t->sa)->sin_addr, addr, 4) == 0;
	return memcmp(&((const struct sockaddr_in6 *)&t->sa)->sin6_addr, addr, 16) == 0;
}

/*
 * A reply or error for (id, seq) concerning address addr. Anything that
 * is not one of our echoes still waiting is ignored: other processes'
 * echoes, duplicates, replies past the timeout, stragglers of an earlier
 * interval.
 */
static void
icmp_match(struct icmp_sock *s, const unsigned char *addr, uint16_t id, uint16_t seq,
    int is_error, double at)
{
	struct probe_icmp *p = s->p;
	unsigned idx = (uint16_t)(seq - p->seq_base);
	struct target *t;
	struct echo *e;

	/* A ping socket only receives its own echoes, with the kernel's id. */
	if (!s->dgram && id != p->ident)
		return;
	if (idx >= (unsigned)(p->ntargets * p->count))
		return;
	t = &p->t[idx / (unsigned)p->count];
	e = &t->echo[idx % (unsigned)p->count];
	if (t->sock != s || !addr_equal(t, s->family, addr) || e->state != E_PENDING)
		return;
	if (is_error || at - e->sent_at > p->timeout) {
		e->state = E_LOST;
		return;
	}
	e->state = E_ANSWERED;
	e->rtt = at - e->sent_at;
	if (e->rtt < 0)
		e->rtt = 0;
}

/* b[0..n) starts at an ICMP header; from is the sender. */
static void
parse_icmp4(struct icmp_sock *s, const unsigned char *b, size_t n, const unsigned char *from,
    double at)
{
	size_t ihl;

	if (n < 8)
		return;
	switch (b[0]) {
	case ICMP_ECHOREPLY:
		icmp_match(s, from, get16(b + 4), get16(b + 6), 0, at);
		break;
	case ICMP_DEST_UNREACH:
	case ICMP_TIME_EXCEEDED:
		/* Quotes the IP header of our echo and its first 8 bytes. */
		b += 8;
		n -= 8;
		if (n < 20 || (b[0] >> 4) != 4 || b[9] != IPPROTO_ICMP)
			return;
		ihl = (size_t)(b[0] & 0x0f) * 4;
		if (ihl < 20 || n < ihl + 8 || b[ihl] != ICMP_ECHO)
			return;
		icmp_match(s, b + 16, get16(b + ihl + 4), get16(b + ihl + 6), 1, at);
		break;
	}
}

static void
parse_icmp6(struct icmp_sock *s, const unsigned char *b, size_t n, const unsigned char *from,
    double at)
{
	if (n < 8)
		return;
	switch (b[0]) {
	case ICMP6_ECHO_REPLY:
		icmp_match(s, from, get16(b + 4), get16(b + 6), 0, at);
		break;
	case ICMP6_DST_UNREACH:
	case ICMP6_TIME_EXCEEDED:
		/* Quotes our IPv6 header (no extension headers: we add none). */
		b += 8;
		n -= 8;
		if (n < 40 + 8 || (b[0] >> 4) != 6 || b[6] != IPPROTO_ICMPV6 ||
		    b[40] != ICMP6_ECHO_REQUEST)
			return;
		icmp_match(s, b + 24, get16(b + 44), get16(b + 46), 1, at);
		break;
	}
}

/*
 * When the datagram reached the socket, on the monotonic clock: the kernel
 * stamp (wall clock) carried back by the time elapsed since, if plausible.
 */
static double
recv_time(struct msghdr *mh)
{
	double now = clock_mono();
	struct cmsghdr *c;
	struct timespec ts, real;

	for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS)
			continue;
		memcpy(&ts, CMSG_DATA(c), sizeof ts);
		if (clock_gettime(CLOCK_REALTIME, &real) == -1)
			return now;
		double age = (double)(real.tv_sec - ts.tv_sec) +
		    (double)(real.tv_nsec - ts.tv_nsec) / 1e9;
		/* A clock step in between would make it nonsense. */
		if (age >= 0 && age < 1)
			return now - age;
	}
	return now;
}

static void
icmp_readable(void *arg, int fd, short revents)
{
	struct icmp_sock *s = arg;
	unsigned char buf[1500];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct timespec)) * 2];
	} cbuf;
	struct sockaddr_storage from;
	struct iovec iov;
	struct msghdr mh;
	const unsigned char *src;
	ssize_t n;
	size_t off;

	for (int i = 0; i < RECV_BURST; i++) {
		iov.iov_base = buf;
		iov.iov_len = sizeof buf;
		memset(&mh, 0, sizeof mh);
		mh.msg_name = &from;
		mh.msg_namelen = sizeof from;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof cbuf.buf;
		if ((n = recvmsg(fd, &mh, MSG_DONTWAIT)) == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR)
				continue;
			/*
			 * A ping socket reports an ICMP error as a pending
			 * socket error: that echo times out, nothing else to do.
			 */
			log_limited(&complain, "icmp: receive: %s", strerror(errno));
			continue;
		}
		double at = recv_time(&mh);

		if (s->family == AF_INET) {
			if (from.ss_family != AF_INET)
				continue;
			src = (const unsigned char *)&((struct sockaddr_in *)&from)->sin_addr;
			off = 0;
			/* Raw IPv4 sockets deliver the IP header too. */
			if (!s->dgram) {
				if (n < 20 || (buf[0] >> 4) != 4)
					continue;
				off = (size_t)(buf[0] & 0x0f) * 4;
				if (off < 20 || off > (size_t)n)
					continue;
			}
			parse_icmp4(s, buf + off, (size_t)n - off, src, at);
		} else {
			if (from.ss_family != AF_INET6)
				continue;
			src = (const unsigned char *)&((struct sockaddr_in6 *)&from)->sin6_addr;
			parse_icmp6(s, buf, (size_t)n, src, at);
		}
	}
}

int
probe_icmp_finish(struct probe_icmp *p, struct sample *s, struct icmp_target_result *res,
    int max)
{
	unsigned sent = 0, received = 0;
	size_t npool = 0;
	double jsum = 0;
	int njit = 0, nres = 0;
	struct rttstats st;

	for (int i = 0; i < p->ntargets; i++) {
		struct target *t = &p->t[i];
		size_t first = npool;
		unsigned tsent = 0;

		for (int k = 0; k < p->count; k++) {
			struct echo *e = &t->echo[k];

			switch (e->state) {
			case E_IDLE:
				continue;
			case E_PENDING:
				/* Unanswered by the end of the interval. */
				e->state = E_LOST;
				break;
			case E_ANSWERED:
				/* Send order: jitter is over consecutive echoes. */
				p->scratch[npool++] = e->rtt * 1000;
				break;
			case E_LOST:
				break;
			}
			tsent++;
		}
		rttstats_compute(p->scratch + first, npool - first, &st);
		sent += tsent;
		received += (unsigned)(npool - first);
		if (!isnan(st.jitter)) {
			jsum += st.jitter;
			njit++;
		}
		if (res != NULL && nres < max) {
			struct icmp_target_result *r = &res[nres++];

			memset(r, 0, sizeof *r);
			snprintf(r->name, sizeof r->name, "%s", t->name);
			snprintf(r->addr, sizeof r->addr, "%s", t->addr);
			r->sent = tsent;
			r->received = (unsigned)(npool - first);
			r->loss_pct = tsent ? 100.0 * (tsent - r->received) / tsent : NAN;
			r->min_ms = st.min;
			r->avg_ms = st.avg;
			r->max_ms = st.max;
			r->p50_ms = st.p50;
			r->p90_ms = st.p90;
			r->jitter_ms = st.jitter;
		}
	}

	if (s != NULL && sent > 0) {
		sample_set(s, M_ICMP_LOSS_PCT, 100.0 * (sent - received) / sent);
		if (received > 0) {
			rttstats_compute(p->scratch, npool, &st);
			sample_set(s, M_ICMP_RTT_MIN_MS, st.min);
			sample_set(s, M_ICMP_RTT_AVG_MS, st.avg);
			sample_set(s, M_ICMP_RTT_MAX_MS, st.max);
			/* Without memory for the sort the percentiles stay unknown. */
			if (!isnan(st.p50))
				sample_set(s, M_ICMP_RTT_P50_MS, st.p50);
			if (!isnan(st.p90))
				sample_set(s, M_ICMP_RTT_P90_MS, st.p90);
		}
		/* Per target: consecutive echoes to different targets are not comparable. */
		if (njit > 0)
			sample_set(s, M_ICMP_JITTER_MS, jsum / njit);
	}
	reset(p);
	return nres;
}

void
probe_icmp_free(struct probe_icmp *p)
{
	if (p == NULL)
		return;
	for (int i = 0; i < p->ntargets; i++) {
		if (p->t[i].timer)
			loop_timer_cancel(p->l, p->t[i].timer);
		free(p->t[i].echo);
	}
	sock_close(p, &p->s4);
	sock_close(p, &p->s6);
	free(p->scratch);
	free(p);
}
