/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TCP connect probe: one non-blocking connect per target and interval, timed
 * on the monotonic clock from connect(2) to the socket becoming writable.
 */
#include "probe_tcp.h"
#include "clock.h"
#include "log.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>

#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum conn_state { C_IDLE, C_CONNECTING, C_DONE };

struct tcp_target {
	struct probe_tcp *p;
	char name[256];
	struct sockaddr_storage sa;
	socklen_t salen;
	int fd;
	enum conn_state state;
	double started;		/* monotonic, at connect(2) */
	int ok;
	double ms;
	char error[64];
};

struct probe_tcp {
	struct loop *l;
	double timeout;
	double deadline;
	uint64_t start_timer, deadline_timer;
	int started;		/* an interval's connects were attempted */
	int ntargets;
	struct tcp_target t[TCP_MAX_TARGETS];
};

/*
 * "host:port" or "[v6]:port". A bare IPv6 address is refused: its last
 * group would read as the port.
 */
static int
split_target(const char *s, char *host, size_t hostlen, char *port, size_t portlen,
    char *err, size_t errlen)
{
	const char *h, *colon, *end;
	size_t n;

	if (s[0] == '[') {
		h = s + 1;
		if ((end = strchr(h, ']')) == NULL || end[1] != ':') {
			snprintf(err, errlen, "tcp target '%s': expected [address]:port", s);
			return -1;
		}
		colon = end + 1;
	} else {
		h = s;
		if ((colon = strrchr(s, ':')) == NULL) {
			snprintf(err, errlen, "tcp target '%s': missing port (host:port)", s);
			return -1;
		}
		if (memchr(s, ':', (size_t)(colon - s)) != NULL) {
			snprintf(err, errlen, "tcp target '%s': write an IPv6 address "
			    "as [address]:port", s);
			return -1;
		}
		end = colon;
	}
	n = (size_t)(end - h);
	if (n == 0 || n >= hostlen) {
		snprintf(err, errlen, "tcp target '%s': %s host", s, n ? "overlong" : "empty");
		return -1;
	}
	memcpy(host, h, n);
	host[n] = '\0';
	if (colon[1] == '\0' || snprintf(port, portlen, "%s", colon + 1) >= (int)portlen) {
		snprintf(err, errlen, "tcp target '%s': bad port", s);
		return -1;
	}
	return 0;
}

static int
resolve(struct tcp_target *t, char *err, size_t errlen)
{
	char host[256], port[32];
	struct addrinfo hints, *res;
	int rc;

	if (split_target(t->name, host, sizeof host, port, sizeof port, err, errlen) == -1)
		return -1;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "tcp target '%s': %s", t->name,
		    rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	memcpy(&t->sa, res->ai_addr, res->ai_addrlen);
	t->salen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

struct probe_tcp *
probe_tcp_new(struct loop *l, const struct probe_tcp_conf *conf, char *err, size_t errlen)
{
	struct probe_tcp *p;

	if (conf->ntargets < 1 || conf->ntargets > TCP_MAX_TARGETS) {
		snprintf(err, errlen, "tcp: %d targets, expected 1 to %d", conf->ntargets,
		    TCP_MAX_TARGETS);
		return NULL;
	}
	if (!(conf->timeout > 0) || !isfinite(conf->timeout)) {
		snprintf(err, errlen, "tcp: timeout %g s, expected more than 0", conf->timeout);
		return NULL;
	}
	if ((p = calloc(1, sizeof *p)) == NULL) {
		snprintf(err, errlen, "tcp: %s", strerror(errno));
		return NULL;
	}
	p->l = l;
	p->timeout = conf->timeout;
	p->ntargets = conf->ntargets;
	/* All of them first: the failure path closes what is open. */
	for (int i = 0; i < p->ntargets; i++) {
		p->t[i].p = p;
		p->t[i].fd = -1;
		p->t[i].ms = NAN;
	}
	for (int i = 0; i < p->ntargets; i++) {
		struct tcp_target *t = &p->t[i];

		if (snprintf(t->name, sizeof t->name, "%s", conf->targets[i]) >=
		    (int)sizeof t->name) {
			snprintf(err, errlen, "tcp target %d: too long", i + 1);
			goto fail;
		}
		if (resolve(t, err, errlen) == -1)
			goto fail;
	}
	return p;

fail:
	probe_tcp_free(p);
	return NULL;
}

/* Short words for the technician's report. */
static void
set_error(struct tcp_target *t, int e)
{
	const char *w;

	switch (e) {
	case ECONNREFUSED:
		w = "refused";
		break;
	case ETIMEDOUT:
		w = "timeout";
		break;
	case ENETUNREACH:
		w = "network unreachable";
		break;
	case EHOSTUNREACH:
		w = "host unreachable";
		break;
	case ECONNRESET:
		w = "reset";
		break;
	default:
		w = strerror(e);
		break;
	}
	snprintf(t->error, sizeof t->error, "%s", w);
}

static void
conn_close(struct tcp_target *t)
{
	if (t->fd == -1)
		return;
	loop_io_del(t->p->l, t->fd);
	if (close(t->fd) == -1)
		log_warn("tcp %s: close", t->name);
	t->fd = -1;
}

static void
conn_done(struct tcp_target *t, int e, double now)
{
	t->state = C_DONE;
	if (e == 0) {
		t->ok = 1;
		t->ms = (now - t->started) * 1000;
		if (t->ms < 0)
			t->ms = 0;
	} else
		set_error(t, e);
	conn_close(t);
}

static void
conn_writable(void *arg, int fd, short revents)
{
	struct tcp_target *t = arg;
	double now = clock_mono();
	socklen_t len = sizeof(int);
	int e = 0;

	if (t->state != C_CONNECTING)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) == -1)
		e = errno;
	/* Writable without an error but hung up: count what the kernel says. */
	if (e == 0 && (revents & (POLLERR | POLLHUP)) && !(revents & POLLOUT))
		e = ECONNRESET;
	conn_done(t, e, now);
}

static void
conn_start(struct tcp_target *t)
{
	struct probe_tcp *p = t->p;

	t->fd = socket(t->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->fd == -1) {
		t->state = C_DONE;
		snprintf(t->error, sizeof t->error, "socket: %s", strerror(errno));
		return;
	}
	t->state = C_CONNECTING;
	t->started = clock_mono();
	if (connect(t->fd, (struct sockaddr *)&t->sa, t->salen) == 0) {
		conn_done(t, 0, clock_mono());
		return;
	}
	if (errno != EINPROGRESS) {
		conn_done(t, errno, clock_mono());
		return;
	}
	if (loop_io_add(p->l, t->fd, POLLOUT, conn_writable, t) == -1)
		conn_done(t, ENOMEM, clock_mono());
}

static void
start_due(void *arg)
{
	struct probe_tcp *p = arg;

	p->start_timer = 0;
	p->started = 1;
	for (int i = 0; i < p->ntargets; i++)
		conn_start(&p->t[i]);
}

static void
deadline_due(void *arg)
{
	struct probe_tcp *p = arg;

	p->deadline_timer = 0;
	for (int i = 0; i < p->ntargets; i++)
		if (p->t[i].state == C_CONNECTING)
			conn_done(&p->t[i], ETIMEDOUT, clock_mono());
}

static void
reset(struct probe_tcp *p)
{
	if (p->start_timer)
		loop_timer_cancel(p->l, p->start_timer);
	if (p->deadline_timer)
		loop_timer_cancel(p->l, p->deadline_timer);
	p->start_timer = p->deadline_timer = 0;
	p->started = 0;
	for (int i = 0; i < p->ntargets; i++) {
		struct tcp_target *t = &p->t[i];

		conn_close(t);
		t->state = C_IDLE;
		t->ok = 0;
		t->ms = NAN;
		t->error[0] = '\0';
	}
}

void
probe_tcp_start(struct probe_tcp *p, double start, double duration)
{
	double limit = p->timeout < duration ? p->timeout : duration;

	reset(p);
	if (limit < 0)
		limit = 0;
	p->deadline = start + limit;
	p->start_timer = loop_timer_at(p->l, start, start_due, p);
	p->deadline_timer = loop_timer_at(p->l, p->deadline, deadline_due, p);
	if (p->start_timer == 0 || p->deadline_timer == 0)
		log_warnx("tcp: no memory for a timer, connects skipped this interval");
	if (p->start_timer == 0 && p->deadline_timer != 0) {
		loop_timer_cancel(p->l, p->deadline_timer);
		p->deadline_timer = 0;
	}
}

int
probe_tcp_finish(struct probe_tcp *p, struct sample *s, struct tcp_target_result *res,
    int max)
{
	double sum = 0;
	int nok = 0, nres = 0;

	for (int i = 0; i < p->ntargets; i++) {
		struct tcp_target *t = &p->t[i];

		/* The interval ended first. */
		if (t->state == C_CONNECTING)
			conn_done(t, ETIMEDOUT, clock_mono());
		if (t->ok) {
			sum += t->ms;
			nok++;
		}
		if (res != NULL && nres < max) {
			struct tcp_target_result *r = &res[nres++];

			memset(r, 0, sizeof *r);
			snprintf(r->name, sizeof r->name, "%s", t->name);
			r->ok = t->ok;
			r->connect_ms = t->ok ? t->ms : NAN;
			snprintf(r->error, sizeof r->error, "%s",
			    t->ok ? "" : t->state == C_IDLE ? "not started" : t->error);
		}
	}
	if (s != NULL && p->started) {
		sample_set(s, M_TCP_CONNECT_OK, nok == p->ntargets ? 1 : 0);
		if (nok > 0)
			sample_set(s, M_TCP_CONNECT_MS, sum / nok);
	}
	reset(p);
	return nres;
}

void
probe_tcp_free(struct probe_tcp *p)
{
	if (p == NULL)
		return;
	reset(p);
	free(p);
}
