/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ICMP echo probe (agent/probe_icmp.c): real echoes to loopback, then, in a
 * private network namespace where the kernel does not answer pings, a
 * responder of the test's own that drops, duplicates, forges and errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "loop.h"
#include "probe_icmp.h"

static int
icmp_allowed(void)
{
	int fd;

	if (geteuid() == 0)
		return 1;
	/* Ping sockets, where net.ipv4.ping_group_range includes us. */
	if ((fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP)) == -1)
		return 0;
	close(fd);
	return 1;
}

static int
ipv6_loopback(void)
{
	struct sockaddr_in6 sin6;
	int fd, ok;

	if ((fd = socket(AF_INET6, SOCK_DGRAM, 0)) == -1)
		return 0;
	memset(&sin6, 0, sizeof sin6);
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	ok = bind(fd, (struct sockaddr *)&sin6, sizeof sin6) == 0;
	close(fd);
	return ok;
}

static void
conf_targets(struct probe_icmp_conf *c, const char **targets, int count, double timeout)
{
	memset(c, 0, sizeof *c);
	for (c->ntargets = 0; targets[c->ntargets] != NULL; c->ntargets++)
		snprintf(c->targets[c->ntargets], sizeof c->targets[0], "%s",
		    targets[c->ntargets]);
	c->count = count;
	c->timeout = timeout;
}

static void
run_until(struct loop *l, double end)
{
	while (clock_mono() < end)
		assert_int_equal(loop_run_once(l, end - clock_mono()), 0);
}

static void
test_bad_conf(void **state)
{
	const char *one[] = { "127.0.0.1", NULL };
	struct probe_icmp_conf c;
	char err[256];

	(void)state;
	struct loop *l = loop_new();
	conf_targets(&c, one, 0, 1);
	assert_null(probe_icmp_new(l, &c, err, sizeof err));
	assert_non_null(strstr(err, "count"));
	conf_targets(&c, one, 1001, 1);
	assert_null(probe_icmp_new(l, &c, err, sizeof err));
	conf_targets(&c, one, 5, 0);
	assert_null(probe_icmp_new(l, &c, err, sizeof err));
	conf_targets(&c, one, 5, 1);
	c.ntargets = 0;
	assert_null(probe_icmp_new(l, &c, err, sizeof err));
	loop_free(l);
}

/*
 * Two probes at once to 127.0.0.1 (and ::1): with raw sockets each sees
 * the other's replies too, and must count only its own.
 */
static void
test_loopback(void **state)
{
	const char *t4[] = { "127.0.0.1", NULL };
	const char *t46[] = { "127.0.0.1", "::1", NULL };
	struct probe_icmp_conf c1, c2;
	struct icmp_target_result r1[2], r2[1];
	struct sample s1, s2;
	char err[256];
	int v6 = ipv6_loopback();

	(void)state;
	if (!icmp_allowed()) {
		printf("skipped: needs root, CAP_NET_RAW or net.ipv4.ping_group_range\n");
		skip();
		return;
	}
	conf_targets(&c1, v6 ? t46 : t4, 5, 0.3);
	conf_targets(&c2, t4, 5, 0.3);
	struct loop *l = loop_new();
	assert_non_null(l);
	struct probe_icmp *p1 = probe_icmp_new(l, &c1, err, sizeof err);
	if (p1 == NULL)
		fail_msg("%s", err);
	struct probe_icmp *p2 = probe_icmp_new(l, &c2, err, sizeof err);
	if (p2 == NULL)
		fail_msg("%s", err);

	double start = clock_mono();
	probe_icmp_start(p1, start, 1.0);
	probe_icmp_start(p2, start, 1.0);
	run_until(l, start + 1.0);
	memset(&s1, 0, sizeof s1);
	memset(&s2, 0, sizeof s2);
	assert_int_equal(probe_icmp_finish(p1, &s1, r1, 2), c1.ntargets);
	assert_int_equal(probe_icmp_finish(p2, &s2, r2, 1), 1);

	for (int i = 0; i < c1.ntargets; i++) {
		printf("%s (%s): sent %u received %u min %.3f avg %.3f max %.3f "
		    "p90 %.3f jitter %.3f ms\n", r1[i].name, r1[i].addr, r1[i].sent,
		    r1[i].received, r1[i].min_ms, r1[i].avg_ms, r1[i].max_ms, r1[i].p90_ms,
		    r1[i].jitter_ms);
		assert_int_equal(r1[i].sent, 5);
		assert_int_equal(r1[i].received, 5);
		assert_float_equal(r1[i].loss_pct, 0, 0);
		assert_true(isfinite(r1[i].avg_ms) && r1[i].max_ms < 50);
		assert_true(r1[i].min_ms >= 0 && r1[i].min_ms <= r1[i].p50_ms);
		assert_true(r1[i].p50_ms <= r1[i].p90_ms && r1[i].p90_ms <= r1[i].max_ms);
		assert_true(isfinite(r1[i].jitter_ms));
	}
	assert_string_equal(r1[0].addr, "127.0.0.1");
	if (v6)
		assert_string_equal(r1[1].addr, "::1");
	assert_int_equal(r2[0].sent, 5);
	assert_int_equal(r2[0].received, 5);

	for (int m = M_ICMP_RTT_MIN_MS; m <= M_ICMP_LOSS_PCT; m++) {
		assert_true(sample_has(&s1, m));
		assert_true(isfinite(s1.m[m]));
	}
	assert_float_equal(s1.m[M_ICMP_LOSS_PCT], 0, 0);
	assert_true(s1.m[M_ICMP_RTT_MAX_MS] < 50);
	assert_float_equal(s2.m[M_ICMP_LOSS_PCT], 0, 0);

	/* finish resets: an interval that sent nothing reports nothing. */
	memset(&s1, 0, sizeof s1);
	assert_int_equal(probe_icmp_finish(p1, &s1, r1, 2), c1.ntargets);
	assert_int_equal(s1.present, 0);
	assert_int_equal(r1[0].sent, 0);

	/* And the next interval works again. */
	start = clock_mono();
	probe_icmp_start(p1, start, 0.5);
	run_until(l, start + 0.5);
	memset(&s1, 0, sizeof s1);
	probe_icmp_finish(p1, &s1, r1, 2);
	assert_int_equal(r1[0].received, 5);
	assert_float_equal(s1.m[M_ICMP_LOSS_PCT], 0, 0);

	probe_icmp_free(p1);
	probe_icmp_free(p2);
	loop_free(l);
}

/*
 * The responder: reads the probe's echo requests from a raw socket and
 * answers each target's k-th echo according to k mod 8.
 */
enum { R_REPLY, R_NONE, R_DUP, R_TIMXCEED, R_UNREACH, R_FOREIGN_ID, R_WRONG_SRC, R_LATE,
	R_CASES };

#define COUNT 16
#define LATE_SLOTS 8

struct late {
	struct responder *r;
	unsigned char pkt[128];
	size_t len;
	uint32_t src, dst;
};

struct responder {
	struct loop *l;
	int fd;
	int nreq[2];			/* per target: 127.0.0.1, 127.0.0.2 */
	double at[2][COUNT];		/* when each request was seen */
	struct late late[LATE_SLOTS];
	int nlate;
};

static uint16_t
cksum(const unsigned char *b, size_t len)
{
	uint32_t sum = 0;

	for (; len > 1; b += 2, len -= 2)
		sum += (uint32_t)(b[0] << 8 | b[1]);
	if (len)
		sum += (uint32_t)b[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void
set_cksum(unsigned char *icmp, size_t len)
{
	icmp[2] = icmp[3] = 0;
	uint16_t c = cksum(icmp, len);
	icmp[2] = (unsigned char)(c >> 8);
	icmp[3] = (unsigned char)c;
}

/* With IP_HDRINCL the kernel fills in length, id and checksum. */
static void
send_ip(struct responder *r, uint32_t src, uint32_t dst, const unsigned char *icmp, size_t len)
{
	unsigned char pkt[256];
	struct sockaddr_in sin;

	assert_true(len + 20 <= sizeof pkt);
	memset(pkt, 0, 20);
	pkt[0] = 0x45;
	pkt[8] = 64;
	pkt[9] = IPPROTO_ICMP;
	memcpy(pkt + 12, &src, 4);
	memcpy(pkt + 16, &dst, 4);
	memcpy(pkt + 20, icmp, len);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	memcpy(&sin.sin_addr, &dst, 4);
	assert_true(sendto(r->fd, pkt, 20 + len, 0, (struct sockaddr *)&sin, sizeof sin) ==
	    (ssize_t)(20 + len));
}

static void
late_due(void *arg)
{
	struct late *lt = arg;

	send_ip(lt->r, lt->src, lt->dst, lt->pkt, lt->len);
}

static void
responder_readable(void *arg, int fd, short revents)
{
	struct responder *r = arg;
	unsigned char buf[1500], out[256];
	ssize_t n;

	while ((n = recv(fd, buf, sizeof buf, MSG_DONTWAIT)) > 0) {
		size_t ihl = (size_t)(buf[0] & 0x0f) * 4, len;
		uint32_t src, dst, router = htonl(0x7f000009), other = htonl(0x7f000005);
		int ti, k;

		if ((size_t)n < ihl + 8 || buf[ihl] != 8)	/* echo requests only */
			continue;
		memcpy(&src, buf + 12, 4);
		memcpy(&dst, buf + 16, 4);
		ti = ntohl(dst) == 0x7f000001 ? 0 : 1;
		k = r->nreq[ti]++;
		assert_true(k < COUNT);
		r->at[ti][k] = clock_mono();

		/* Reply as a copy of the request; target 1 always gets one. */
		len = (size_t)n - ihl;
		assert_true(len <= sizeof out);
		memcpy(out, buf + ihl, len);
		out[0] = 0;
		set_cksum(out, len);
		if (ti == 1) {
			send_ip(r, dst, src, out, len);
			continue;
		}
		switch (k % R_CASES) {
		case R_REPLY:
			send_ip(r, dst, src, out, len);
			break;
		case R_NONE:
			break;
		case R_DUP:
			send_ip(r, dst, src, out, len);
			send_ip(r, dst, src, out, len);
			break;
		case R_TIMXCEED:
		case R_UNREACH:
			/* From a router: our IP header and 8 bytes of our echo. */
			memset(out, 0, 8);
			out[0] = k % R_CASES == R_TIMXCEED ? 11 : 3;
			out[1] = k % R_CASES == R_TIMXCEED ? 0 : 1;
			memcpy(out + 8, buf, ihl + 8);
			set_cksum(out, 8 + ihl + 8);
			send_ip(r, router, src, out, 8 + ihl + 8);
			break;
		case R_FOREIGN_ID:
			/* Another process's echo with the same sequence number. */
			out[4] ^= 0x5a;
			set_cksum(out, len);
			send_ip(r, dst, src, out, len);
			break;
		case R_WRONG_SRC:
			send_ip(r, other, src, out, len);
			break;
		case R_LATE: {
			assert_true(r->nlate < LATE_SLOTS);
			struct late *lt = &r->late[r->nlate++];
			lt->r = r;
			memcpy(lt->pkt, out, len);
			lt->len = len;
			lt->src = dst;
			lt->dst = src;
			/* After the probe's timeout of 0.2 s. */
			assert_true(loop_timer_at(r->l, clock_mono() + 0.3, late_due, lt) != 0);
			break;
		}
		}
	}
}

static void
lo_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
	assert_int_equal(ioctl(fd, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	assert_int_equal(ioctl(fd, SIOCSIFFLAGS, &ifr), 0);
	close(fd);
}

/* Runs last: it leaves the process in its own network namespace. */
static void
test_netns_responder(void **state)
{
	const char *targets[] = { "127.0.0.1", "127.0.0.2", "10.9.9.9", NULL };
	const char *nodns[] = { "no-such-host.invalid", NULL };
	struct probe_icmp_conf c;
	struct icmp_target_result res[3];
	struct responder r;
	struct sample s;
	char err[256];
	int fd, one = 1;

	(void)state;
	if (geteuid() != 0 || unshare(CLONE_NEWNET) == -1) {
		printf("skipped: needs root to make a network namespace\n");
		skip();
		return;
	}
	lo_up();
	/* Nobody answers pings here but the responder. */
	fd = open("/proc/sys/net/ipv4/icmp_echo_ignore_all", O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "1", 1), 1);
	close(fd);

	struct loop *l = loop_new();
	assert_non_null(l);

	/* No route to any resolver in here: fails at once, naming the target. */
	conf_targets(&c, nodns, 1, 1);
	assert_null(probe_icmp_new(l, &c, err, sizeof err));
	assert_non_null(strstr(err, "no-such-host.invalid"));

	memset(&r, 0, sizeof r);
	r.l = l;
	r.fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK, IPPROTO_ICMP);
	assert_true(r.fd >= 0);
	assert_int_equal(setsockopt(r.fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof one), 0);
	assert_int_equal(loop_io_add(l, r.fd, POLLIN, responder_readable, &r), 0);

	/* 16 echoes over 1.6 s: one every 0.1 s, targets 1/3 of that apart. */
	conf_targets(&c, targets, COUNT, 0.2);
	struct probe_icmp *p = probe_icmp_new(l, &c, err, sizeof err);
	if (p == NULL)
		fail_msg("%s", err);
	double start = clock_mono();
	probe_icmp_start(p, start, 1.8);
	run_until(l, start + 1.8);
	memset(&s, 0, sizeof s);
	assert_int_equal(probe_icmp_finish(p, &s, res, 3), 3);

	/* Only the plain reply and the duplicated one count: 2 of 8 cases. */
	assert_int_equal(r.nreq[0], COUNT);
	assert_int_equal(res[0].sent, COUNT);
	assert_int_equal(res[0].received, COUNT * 2 / R_CASES);
	assert_float_equal(res[0].loss_pct, 75, 1e-9);
	assert_int_equal(r.nreq[1], COUNT);
	assert_int_equal(res[1].received, COUNT);
	assert_float_equal(res[1].loss_pct, 0, 0);
	/* No route: every send fails and counts as lost. */
	assert_int_equal(res[2].sent, COUNT);
	assert_int_equal(res[2].received, 0);
	assert_true(isnan(res[2].avg_ms) && isnan(res[2].jitter_ms));

	assert_float_equal(s.m[M_ICMP_LOSS_PCT], 100.0 * (3 * COUNT - 4 - COUNT) / (3 * COUNT),
	    1e-9);
	assert_true(sample_has(&s, M_ICMP_RTT_AVG_MS) && sample_has(&s, M_ICMP_JITTER_MS));
	/* Jitter: mean over the two targets that have one. */
	assert_float_equal(s.m[M_ICMP_JITTER_MS], (res[0].jitter_ms + res[1].jitter_ms) / 2,
	    1e-9);
	assert_true(s.m[M_ICMP_RTT_MAX_MS] < 50);

	/* Evenly spread, staggered between targets: no send before its time
	 * (the schedule is right) and each in order. How late a send may be
	 * depends on the machine's load, so that bound is loose: a timing
	 * figure belongs in a benchmark, not in a test. */
	for (int k = 0; k < COUNT; k++) {
		double t0 = start + 0.1 * k, t1 = start + 0.1 * k + 0.1 / 3;
		assert_true(r.at[0][k] >= t0 - 0.002 && r.at[0][k] < t0 + 0.5);
		assert_true(r.at[1][k] >= t1 - 0.002 && r.at[1][k] < t1 + 0.5);
		if (k > 0)
			assert_true(r.at[0][k] > r.at[0][k - 1] && r.at[1][k] > r.at[1][k - 1]);
	}
	printf("netns: target 1 loss %.1f%% (expected 75), target 2 avg %.3f ms, "
	    "pooled loss %.2f%%\n", res[0].loss_pct, res[1].avg_ms, s.m[M_ICMP_LOSS_PCT]);

	probe_icmp_free(p);
	loop_io_del(l, r.fd);
	close(r.fd);
	loop_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_conf),
		cmocka_unit_test(test_loopback),
		cmocka_unit_test(test_netns_responder),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
