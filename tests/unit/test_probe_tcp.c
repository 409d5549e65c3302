/* SPDX-License-Identifier: GPL-2.0-or-later */
/* TCP connect probe (agent/probe_tcp.c) against loopback listeners of its own. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "loop.h"
#include "probe_tcp.h"

/* A socket bound to 127.0.0.1 on a free port; listening when backlog >= 0. */
static int
loopback_socket(int backlog, int *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	if (backlog >= 0)
		assert_int_equal(listen(fd, backlog), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

/* Runs one interval of duration seconds and finishes it. */
static int
run(struct probe_tcp *p, struct loop *l, double duration, struct sample *s,
    struct tcp_target_result *res, int max)
{
	double start = clock_mono();

	probe_tcp_start(p, start, duration);
	while (clock_mono() < start + duration)
		assert_int_equal(loop_run_once(l, start + duration - clock_mono()), 0);
	return probe_tcp_finish(p, s, res, max);
}

/* conf with the one target host:port (port -1: host is the whole target,
 * as written in the config), given up after timeout seconds. */
static void
one_target(struct probe_tcp_conf *conf, const char *host, int port, double timeout)
{
	memset(conf, 0, sizeof *conf);
	if (port == -1)
		snprintf(conf->targets[0], sizeof conf->targets[0], "%s", host);
	else
		snprintf(conf->targets[0], sizeof conf->targets[0], "%s:%d", host, port);
	conf->ntargets = 1;
	conf->timeout = timeout;
}

static void
test_open_and_closed(void **state)
{
	struct probe_tcp_conf conf;
	struct tcp_target_result res[3];
	struct sample s;
	char err[256];
	int lfd, cfd, open_port, closed_port;

	(void)state;
	lfd = loopback_socket(16, &open_port);
	/* A port that was free a moment ago: nothing listens there. */
	cfd = loopback_socket(-1, &closed_port);
	close(cfd);

	memset(&conf, 0, sizeof conf);
	snprintf(conf.targets[0], sizeof conf.targets[0], "127.0.0.1:%d", open_port);
	snprintf(conf.targets[1], sizeof conf.targets[1], "127.0.0.1:%d", closed_port);
	conf.ntargets = 2;
	conf.timeout = 2;

	struct loop *l = loop_new();
	assert_non_null(l);
	struct probe_tcp *p = probe_tcp_new(l, &conf, err, sizeof err);
	assert_non_null(p);

	memset(&s, 0, sizeof s);
	assert_int_equal(run(p, l, 0.3, &s, res, 3), 2);
	assert_string_equal(res[0].name, conf.targets[0]);
	assert_int_equal(res[0].ok, 1);
	assert_true(isfinite(res[0].connect_ms));
	assert_true(res[0].connect_ms >= 0 && res[0].connect_ms < 100);
	assert_string_equal(res[0].error, "");
	assert_int_equal(res[1].ok, 0);
	assert_true(isnan(res[1].connect_ms));
	assert_string_equal(res[1].error, "refused");
	printf("connect to 127.0.0.1:%d: %.3f ms\n", open_port, res[0].connect_ms);

	/* One of two failed: not ok; the time is that of the one that connected. */
	assert_true(sample_has(&s, M_TCP_CONNECT_OK));
	assert_float_equal(s.m[M_TCP_CONNECT_OK], 0, 0);
	assert_true(sample_has(&s, M_TCP_CONNECT_MS));
	assert_float_equal(s.m[M_TCP_CONNECT_MS], res[0].connect_ms, 1e-9);

	/* The next interval starts afresh. */
	memset(&s, 0, sizeof s);
	assert_int_equal(run(p, l, 0.2, &s, res, 1), 1);
	assert_int_equal(res[0].ok, 1);

	probe_tcp_free(p);
	loop_free(l);
	close(lfd);
}

static void
test_all_ok(void **state)
{
	struct probe_tcp_conf conf;
	struct tcp_target_result res[1];
	struct sample s;
	char err[256];
	int lfd, port;

	(void)state;
	lfd = loopback_socket(16, &port);
	one_target(&conf, "localhost", port, 1);
	struct loop *l = loop_new();
	struct probe_tcp *p = probe_tcp_new(l, &conf, err, sizeof err);
	assert_non_null(p);
	memset(&s, 0, sizeof s);
	run(p, l, 0.2, &s, res, 1);
	/* localhost may resolve to ::1 first, where nothing listens. */
	if (res[0].ok) {
		assert_float_equal(s.m[M_TCP_CONNECT_OK], 1, 0);
		assert_true(sample_has(&s, M_TCP_CONNECT_MS));
	}
	probe_tcp_free(p);
	loop_free(l);
	close(lfd);
}

/*
 * A listener whose accept queue is full drops further SYNs: the connect
 * neither succeeds nor fails, and the probe gives up at its timeout.
 */
static void
test_timeout(void **state)
{
	struct probe_tcp_conf conf;
	struct tcp_target_result res[1];
	struct sample s;
	char err[256];
	int lfd, port, fill[4], n = 0;
	struct sockaddr_in sin;

	(void)state;
	lfd = loopback_socket(0, &port);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	/* Backlog 0 admits one connection; it is never accepted. */
	fill[n] = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fill[n] >= 0);
	assert_int_equal(connect(fill[n++], (struct sockaddr *)&sin, sizeof sin), 0);

	one_target(&conf, "127.0.0.1", port, 0.3);
	struct loop *l = loop_new();
	struct probe_tcp *p = probe_tcp_new(l, &conf, err, sizeof err);
	assert_non_null(p);

	double start = clock_mono();
	memset(&s, 0, sizeof s);
	probe_tcp_start(p, start, 5);
	/* Run until the probe's timeout and a little more, not the interval. */
	while (clock_mono() < start + 0.5)
		assert_int_equal(loop_run_once(l, 0.05), 0);
	probe_tcp_finish(p, &s, res, 1);
	assert_int_equal(res[0].ok, 0);
	assert_string_equal(res[0].error, "timeout");
	assert_float_equal(s.m[M_TCP_CONNECT_OK], 0, 0);
	assert_false(sample_has(&s, M_TCP_CONNECT_MS));

	probe_tcp_free(p);
	loop_free(l);
	for (int i = 0; i < n; i++)
		close(fill[i]);
	close(lfd);
}

static void
test_bad_targets(void **state)
{
	const char *bad[] = { "127.0.0.1", "::1:80", "[::1]80", "[::1:80", ":80",
		"127.0.0.1:", "127.0.0.1:notaport", NULL };
	struct probe_tcp_conf conf;
	char err[256];

	(void)state;
	struct loop *l = loop_new();
	for (int i = 0; bad[i]; i++) {
		one_target(&conf, bad[i], -1, 1);
		err[0] = '\0';
		assert_null(probe_tcp_new(l, &conf, err, sizeof err));
		/* The operator is told which target. */
		assert_non_null(strstr(err, bad[i]));
	}
	one_target(&conf, "[::1]:80", -1, 1);
	struct probe_tcp *p = probe_tcp_new(l, &conf, err, sizeof err);
	assert_non_null(p);
	probe_tcp_free(p);
	conf.timeout = 0;
	assert_null(probe_tcp_new(l, &conf, err, sizeof err));
	conf.timeout = 1;
	conf.ntargets = 0;
	assert_null(probe_tcp_new(l, &conf, err, sizeof err));
	loop_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_and_closed),
		cmocka_unit_test(test_all_ok),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_bad_targets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
