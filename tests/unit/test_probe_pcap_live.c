/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pcap probe on live interfaces (agent/probe_pcap.c), as root: loopback
 * with UDP and TCP traffic made here, an idle capture that must not block
 * the loop, and a veth pair carrying raw frames of known sizes in both
 * directions. Skipped, not passed, without root. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/socket.h>

#include <arpa/inet.h>
#include <math.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "loop.h"
#include "probe_pcap.h"

#define VETH_A	"cvmpcap0"
#define VETH_B	"cvmpcap1"
/* IEEE 802 local experimental ethertype: nothing else on the link uses it. */
#define ETH_P_EXP	0x88b5

static void
need_root(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "needs root (capture, veth): skipped\n");
		skip();
	}
}

static uint16_t
bound_port(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;

	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	return ntohs(sin.sin_port);
}

static int
socket_on_lo(int type)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd = socket(AF_INET, type, 0);

	assert_true(fd >= 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	return fd;
}

/* Runs the loop until `want` packets are counted or `limit` seconds pass. */
static void
run_until(struct loop *l, struct probe_pcap *p, uint64_t want, double limit)
{
	struct pcap_analyze_stats st;
	double end = clock_mono() + limit;

	do {
		assert_int_equal(loop_run_once(l, 0.05), 0);
		probe_pcap_stats(p, &st);
	} while (st.packets < want && clock_mono() < end);
}

static void
test_loopback_traffic(void **state)
{
	struct probe_pcap_conf conf;
	struct pcap_analyze_stats st;
	struct sample s;
	struct loop *l;
	struct probe_pcap *p;
	struct sockaddr_in to = { .sin_family = AF_INET };
	char err[512], buf[8192];
	int u, tl, tc, ta;

	need_root();
	u = socket_on_lo(SOCK_DGRAM);
	tl = socket_on_lo(SOCK_STREAM);
	assert_int_equal(listen(tl, 4), 0);

	probe_pcap_conf_default(&conf);
	snprintf(conf.interface, sizeof conf.interface, "lo");
	snprintf(conf.filter, sizeof conf.filter, "udp port %u or tcp port %u",
	    bound_port(u), bound_port(tl));
	assert_non_null(l = loop_new());
	p = probe_pcap_new(l, &conf, err, sizeof err);
	if (p == NULL)
		fail_msg("%s", err);
	probe_pcap_start(p, clock_mono(), 60);

	/* 50 datagrams, then a TCP connection carrying 64 KiB. */
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	to.sin_port = htons(bound_port(u));
	int snd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(snd >= 0);
	memset(buf, 'x', sizeof buf);
	for (int i = 0; i < 50; i++) {
		assert_int_equal(sendto(snd, buf, 100, 0, (struct sockaddr *)&to,
		    sizeof to), 100);
		if (i % 10 == 0)
			assert_int_equal(loop_run_once(l, 0), 0);
	}
	tc = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(tc >= 0);
	to.sin_port = htons(bound_port(tl));
	assert_int_equal(connect(tc, (struct sockaddr *)&to, sizeof to), 0);
	assert_true((ta = accept(tl, NULL, NULL)) >= 0);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(send(tc, buf, sizeof buf, 0), (ssize_t)sizeof buf);
		size_t got = 0;
		while (got < sizeof buf) {
			ssize_t n = recv(ta, buf, sizeof buf - got, 0);
			assert_true(n > 0);
			got += (size_t)n;
		}
		assert_int_equal(loop_run_once(l, 0), 0);
	}
	close(tc);
	close(ta);
	run_until(l, p, 50 + 3 + 8, 3.0);

	memset(&s, 0, sizeof s);
	probe_pcap_finish(p, &s);
	probe_pcap_stats(p, &st);
	assert_true(st.packets >= 50 + 3 + 8);
	assert_true(st.tcp >= 3 + 8);
	assert_int_equal(st.truncated + st.malformed, 0);
	assert_true(sample_has(&s, M_PCAP_PPS));
	assert_true(s.m[M_PCAP_PPS] > 0);
	assert_true(sample_has(&s, M_PCAP_DROP));
	assert_true(isfinite(s.m[M_PCAP_DROP]) && s.m[M_PCAP_DROP] >= 0);
	assert_true(sample_has(&s, M_TCP_HS_RTT_MS));
	assert_true(s.m[M_TCP_HS_RTT_MS] >= 0 && s.m[M_TCP_HS_RTT_MS] < 1000);
	assert_true(sample_has(&s, M_TCP_RETRANS_PCT));
	/* lo has no hardware address: direction and clients are unknown. */
	assert_false(sample_has(&s, M_PCAP_RX_BPS));
	assert_false(sample_has(&s, M_CLIENTS));

	probe_pcap_free(p);
	loop_free(l);
	close(snd);
	close(u);
	close(tl);
}

static void
test_idle_does_not_block(void **state)
{
	struct probe_pcap_conf conf;
	struct pcap_analyze_stats st;
	struct sample s;
	struct loop *l;
	struct probe_pcap *p;
	char err[512];

	need_root();
	probe_pcap_conf_default(&conf);
	snprintf(conf.interface, sizeof conf.interface, "lo");
	snprintf(conf.filter, sizeof conf.filter, "udp port 9 and host 192.0.2.77");
	assert_non_null(l = loop_new());
	p = probe_pcap_new(l, &conf, err, sizeof err);
	if (p == NULL)
		fail_msg("%s", err);
	probe_pcap_start(p, clock_mono(), 1);
	for (int i = 0; i < 5; i++) {
		double t = clock_mono();
		assert_int_equal(loop_run_once(l, 0.1), 0);
		assert_true(clock_mono() - t < 0.5);
	}
	double t = clock_mono();
	memset(&s, 0, sizeof s);
	probe_pcap_finish(p, &s);
	assert_true(clock_mono() - t < 0.5);
	probe_pcap_stats(p, &st);
	assert_int_equal(st.packets, 0);
	assert_true(s.m[M_PCAP_PPS] == 0);
	assert_true(s.m[M_PCAP_DROP] == 0);
	probe_pcap_free(p);
	loop_free(l);

	/* Errors name what failed. */
	snprintf(conf.interface, sizeof conf.interface, "cvmnosuch0");
	conf.filter[0] = '\0';
	assert_non_null(l = loop_new());
	assert_null(probe_pcap_new(l, &conf, err, sizeof err));
	assert_non_null(strstr(err, "cvmnosuch0"));
	snprintf(conf.interface, sizeof conf.interface, "lo");
	snprintf(conf.filter, sizeof conf.filter, "port port");
	assert_null(probe_pcap_new(l, &conf, err, sizeof err));
	assert_non_null(strstr(err, "'port port'"));
	loop_free(l);
}

static int
veth_up(void **state)
{
	if (geteuid() != 0)
		return 0;
	/* Left over from a killed run. */
	(void)system("ip link del " VETH_A " 2>/dev/null");
	return system("ip link add " VETH_A " type veth peer name " VETH_B " && "
	    "sysctl -qw net.ipv6.conf." VETH_A ".disable_ipv6=1 && "
	    "sysctl -qw net.ipv6.conf." VETH_B ".disable_ipv6=1 && "
	    "ip link set " VETH_A " up && ip link set " VETH_B " up") == 0 ? 0 : -1;
}

static int
veth_down(void **state)
{
	if (geteuid() != 0)
		return 0;
	return system("ip link del " VETH_A) == 0 ? 0 : -1;
}

static void
iface_hwaddr(const char *name, uint8_t mac[6])
{
	char path[128];
	FILE *fp;
	char line[64];

	snprintf(path, sizeof path, "/sys/class/net/%s/address", name);
	assert_non_null(fp = fopen(path, "r"));
	assert_non_null(fgets(line, sizeof line, fp));
	fclose(fp);
	line[strcspn(line, "\n")] = '\0';
	assert_int_equal(pcap_parse_mac(line, mac), 0);
}

/* Sends `n` frames of `len` bytes out of `from` to `to`'s address. */
static void
send_frames(const char *from, const uint8_t *src, const uint8_t *dst, int n, size_t len)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	uint8_t f[256];
	int fd = socket(AF_PACKET, SOCK_RAW, 0);

	assert_true(fd >= 0);
	sll.sll_ifindex = (int)if_nametoindex(from);
	assert_true(sll.sll_ifindex > 0);
	memset(f, 0, sizeof f);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = ETH_P_EXP >> 8;
	f[13] = ETH_P_EXP & 0xff;
	for (int i = 0; i < n; i++)
		assert_int_equal(sendto(fd, f, len, 0, (struct sockaddr *)&sll, sizeof sll),
		    (ssize_t)len);
	close(fd);
}

static void
test_veth_direction(void **state)
{
	struct probe_pcap_conf conf;
	struct pcap_analyze_stats st;
	struct sample s;
	struct loop *l;
	struct probe_pcap *p;
	uint8_t a[6], b[6], own[6];
	char err[512];

	need_root();
	iface_hwaddr(VETH_A, a);
	iface_hwaddr(VETH_B, b);
	probe_pcap_conf_default(&conf);
	snprintf(conf.interface, sizeof conf.interface, VETH_A);
	snprintf(conf.filter, sizeof conf.filter, "ether proto 0x%04x", ETH_P_EXP);
	assert_non_null(l = loop_new());
	p = probe_pcap_new(l, &conf, err, sizeof err);
	if (p == NULL)
		fail_msg("%s", err);
	/* No own_mac configured: the interface's own address is used. */
	assert_true(probe_pcap_own_mac(p, own));
	assert_memory_equal(own, a, 6);
	probe_pcap_start(p, clock_mono(), 60);

	send_frames(VETH_B, b, a, 20, 100);	/* arrive on A: rx */
	send_frames(VETH_A, a, b, 10, 60);	/* leave A: tx */
	run_until(l, p, 30, 3.0);
	memset(&s, 0, sizeof s);
	probe_pcap_finish(p, &s);
	probe_pcap_stats(p, &st);
	assert_int_equal(st.packets, 30);
	assert_int_equal(st.non_ip, 30);
	assert_true(s.m[M_CLIENTS] == 1);
	assert_true(s.m[M_PCAP_RX_BPS] > 0 && s.m[M_PCAP_TX_BPS] > 0);
	/* Same interval for both: the ratio is that of the bytes. */
	assert_true(fabs(s.m[M_PCAP_RX_BPS] / s.m[M_PCAP_TX_BPS] - 2000.0 / 600.0) < 1e-9);
	assert_true(s.m[M_PCAP_DROP] == 0);

	/* The next interval starts empty: flows persist, counts do not. */
	run_until(l, p, 31, 0.2);
	memset(&s, 0, sizeof s);
	probe_pcap_finish(p, &s);
	assert_true(s.m[M_CLIENTS] == 0);
	assert_true(s.m[M_PCAP_RX_BPS] == 0);
	probe_pcap_free(p);
	loop_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loopback_traffic),
		cmocka_unit_test(test_idle_does_not_block),
		cmocka_unit_test_setup_teardown(test_veth_direction, veth_up, veth_down),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
