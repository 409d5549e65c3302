/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A client of rrdcached's BATCH command (see rrdc_batch.h). The protocol,
 * rrdcached(1): a command per line, fields split at spaces, a backslash
 * quotes the next character; the answer is a status line "<n> <text>"
 * (n < 0 an error, n > 0 lines that follow). In a batch success is
 * silent and each refusal comes back at the end as "<command> <message>".
 */
#include "rrdc_batch.h"
#include "errf.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define RRDC_DEFAULT_PORT "42217"
#define RRDC_LINE_MAX 8192       /* rrdcached's own limit is 4096 (RRD_CMD_MAX) */

struct rrdc_batch {
	char addr[256];
	double timeout;
	int fd;
	char *out;               /* "BATCH\n" is sent alone; this is the rest */
	size_t len, cap;
	size_t ncmd;
	char in[RRDC_LINE_MAX * 2];
	size_t inlen, inpos;
};

struct rrdc_batch *
rrdc_batch_new(const char *addr, double timeout_s)
{
	struct rrdc_batch *b = calloc(1, sizeof *b);

	if (b == NULL)
		return NULL;
	snprintf(b->addr, sizeof b->addr, "%s", addr);
	b->timeout = timeout_s > 0 ? timeout_s : 10;
	b->fd = -1;
	return b;
}

static void
rrdc_close(struct rrdc_batch *b)
{
	if (b->fd != -1)
		close(b->fd);
	b->fd = -1;
	b->inlen = b->inpos = 0;
}

void
rrdc_batch_free(struct rrdc_batch *b)
{
	if (b == NULL)
		return;
	rrdc_close(b);
	free(b->out);
	free(b);
}

/* Every send and receive on the connection, and connect() itself, gives
 * up after the timeout: a daemon that stops answering (SIGSTOP, a hung
 * disk) must not hold the caller for ever. */
static void
rrdc_set_timeout(struct rrdc_batch *b)
{
	struct timeval tv = { .tv_sec = (time_t)b->timeout,
		.tv_usec = (suseconds_t)((b->timeout - (double)(time_t)b->timeout) * 1e6) };

	(void)setsockopt(b->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	(void)setsockopt(b->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static int
rrdc_connect_unix(struct rrdc_batch *b, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof sa.sun_path) {
		errf(err, errlen, "rrdcached %s: socket path too long", b->addr);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((b->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		errf(err, errlen, "rrdcached %s: %s", b->addr, strerror(errno));
		return -1;
	}
	/* A stopped daemon's listen queue fills, and connect() then waits
	 * for room: on a unix socket too it gives up after SO_SNDTIMEO. */
	rrdc_set_timeout(b);
	if (connect(b->fd, (struct sockaddr *)&sa, sizeof sa) == -1) {
		errf(err, errlen, "rrdcached %s: %s", b->addr, strerror(errno));
		rrdc_close(b);
		return -1;
	}
	return 0;
}

static int
rrdc_connect_tcp(struct rrdc_batch *b, char *err, size_t errlen)
{
	char host[256];
	const char *port = RRDC_DEFAULT_PORT;
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res, *ai;
	int rc, saved = 0;

	snprintf(host, sizeof host, "%s", b->addr);
	if (host[0] == '[') {
		char *end = strchr(host, ']');
		if (end == NULL || (end[1] != '\0' && end[1] != ':')) {
			errf(err, errlen, "rrdcached %s: bad address", b->addr);
			return -1;
		}
		if (end[1] == ':')
			port = end + 2;
		*end = '\0';
		memmove(host, host + 1, strlen(host + 1) + 1);
	} else {
		char *colon = strchr(host, ':');
		if (colon != NULL && colon == strrchr(host, ':')) {
			*colon = '\0';
			port = colon + 1;
		}
	}
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		errf(err, errlen, "rrdcached %s: %s", b->addr, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((b->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol)) == -1) {
			saved = errno;
			continue;
		}
		/* A blocking connect() gives up after SO_SNDTIMEO on Linux. */
		rrdc_set_timeout(b);
		if (connect(b->fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		saved = errno;
		rrdc_close(b);
	}
	freeaddrinfo(res);
	if (b->fd == -1) {
		errf(err, errlen, "rrdcached %s: %s", b->addr, strerror(saved));
		return -1;
	}
	return 0;
}

static int
rrdc_connect(struct rrdc_batch *b, char *err, size_t errlen)
{
	int rc;

	if (b->fd != -1)
		return 0;
	if (strncmp(b->addr, "unix:", 5) == 0)
		rc = rrdc_connect_unix(b, b->addr + 5, err, errlen);
	else if (b->addr[0] == '/')
		rc = rrdc_connect_unix(b, b->addr, err, errlen);
	else
		rc = rrdc_connect_tcp(b, err, errlen);
	return rc;
}

static int
rrdc_reserve(struct rrdc_batch *b, size_t more)
{
	if (b->len + more <= b->cap)
		return 0;
	size_t ncap = b->cap ? b->cap : 65536;
	while (ncap < b->len + more)
		ncap *= 2;
	char *n = realloc(b->out, ncap);
	if (n == NULL)
		return -1;
	b->out = n;
	b->cap = ncap;
	return 0;
}

/* A file name as one field: spaces and backslashes quoted (room reserved). */
static void
rrdc_put_name(struct rrdc_batch *b, const char *file, size_t fl)
{
	for (size_t i = 0; i < fl; i++) {
		if (file[i] == ' ' || file[i] == '\\')
			b->out[b->len++] = '\\';
		b->out[b->len++] = file[i];
	}
}

size_t
rrdc_batch_update_n(struct rrdc_batch *b, const char *file, const char *const *vals, size_t n)
{
	size_t fl = strlen(file), vl = 0;

	if (n == 0 || strchr(file, '\n') != NULL)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (strcspn(vals[i], " \n") != strlen(vals[i]))
			return 0;
		vl += strlen(vals[i]) + 1;
	}
	/* Worst case every byte of the name quoted. */
	if (rrdc_reserve(b, 7 + 2 * fl + vl + 1) == -1)
		return 0;
	memcpy(b->out + b->len, "UPDATE ", 7);
	b->len += 7;
	rrdc_put_name(b, file, fl);
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(vals[i]);
		b->out[b->len++] = ' ';
		memcpy(b->out + b->len, vals[i], l);
		b->len += l;
	}
	b->out[b->len++] = '\n';
	return ++b->ncmd;
}

size_t
rrdc_batch_update(struct rrdc_batch *b, const char *file, const char *vals)
{
	return rrdc_batch_update_n(b, file, &vals, 1);
}

size_t
rrdc_batch_count(const struct rrdc_batch *b)
{
	return b->ncmd;
}

void
rrdc_batch_clear(struct rrdc_batch *b)
{
	b->len = 0;
	b->ncmd = 0;
}

static int
rrdc_write(struct rrdc_batch *b, const char *p, size_t n, char *err, size_t errlen)
{
	while (n > 0) {
		ssize_t w = send(b->fd, p, n, MSG_NOSIGNAL);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0) {
			errf(err, errlen, "rrdcached %s: sending: %s", b->addr,
			    w == 0 ? "nothing written" : errno == EAGAIN ? "timed out" :
			    strerror(errno));
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One line of the answer, NUL-terminated in place, or NULL with err set. */
static char *
rrdc_read_line(struct rrdc_batch *b, char *err, size_t errlen)
{
	for (;;) {
		char *nl = memchr(b->in + b->inpos, '\n', b->inlen - b->inpos);
		if (nl != NULL) {
			char *line = b->in + b->inpos;
			*nl = '\0';
			b->inpos = (size_t)(nl - b->in) + 1;
			return line;
		}
		if (b->inpos > 0) {
			memmove(b->in, b->in + b->inpos, b->inlen - b->inpos);
			b->inlen -= b->inpos;
			b->inpos = 0;
		}
		if (b->inlen == sizeof b->in) {
			errf(err, errlen, "rrdcached %s: an answer line too long", b->addr);
			return NULL;
		}
		ssize_t r = recv(b->fd, b->in + b->inlen, sizeof b->in - b->inlen, 0);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			errf(err, errlen, "rrdcached %s: reading the answer: %s", b->addr,
			    r == 0 ? "connection closed" : errno == EAGAIN ? "timed out" :
			    strerror(errno));
			return NULL;
		}
		b->inlen += (size_t)r;
	}
}

/* The status line: its number into *n. */
static int
rrdc_status(struct rrdc_batch *b, long *n, const char **text, char *err, size_t errlen)
{
	char *line = rrdc_read_line(b, err, errlen), *end;

	if (line == NULL)
		return -1;
	errno = 0;
	*n = strtol(line, &end, 10);
	if (end == line || errno != 0 || (*end != ' ' && *end != '\0')) {
		errf(err, errlen, "rrdcached %s: unexpected answer \"%.80s\"", b->addr, line);
		return -1;
	}
	while (*end == ' ')
		end++;
	*text = end;
	return 0;
}

int
rrdc_batch_send(struct rrdc_batch *b, void (*failed)(size_t cmd, const char *msg, void *arg),
    void *arg, char *err, size_t errlen)
{
	size_t ncmd = b->ncmd;
	const char *text;
	long n;
	int nfailed = 0;

	if (ncmd == 0)
		return 0;
	if (rrdc_connect(b, err, errlen) == -1)
		goto fail;
	/* BATCH alone first: were it refused (rrdcached -P), the updates
	 * would run one by one with an answer each. */
	if (rrdc_write(b, "BATCH\n", 6, err, errlen) == -1 ||
	    rrdc_status(b, &n, &text, err, errlen) == -1)
		goto fail;
	if (n != 0) {
		/* Not allowed (rrdcached -P without BATCH): nothing was sent. */
		errf(err, errlen, "rrdcached %s: BATCH refused: %s", b->addr, text);
		rrdc_batch_clear(b);
		return -2;
	}
	if (rrdc_reserve(b, 2) == -1) {
		errf(err, errlen, "rrdcached %s: out of memory", b->addr);
		goto fail;
	}
	memcpy(b->out + b->len, ".\n", 2);
	if (rrdc_write(b, b->out, b->len + 2, err, errlen) == -1 ||
	    rrdc_status(b, &n, &text, err, errlen) == -1)
		goto fail;
	if (n < 0 || (size_t)n > ncmd) {
		errf(err, errlen, "rrdcached %s: batch of %zu answered \"%ld %s\"", b->addr,
		    ncmd, n, text);
		goto fail;
	}
	for (long i = 0; i < n; i++) {
		char *line = rrdc_read_line(b, err, errlen), *end;
		if (line == NULL)
			goto fail;
		unsigned long cmd = strtoul(line, &end, 10);
		if (end == line || cmd < 1 || cmd > ncmd) {
			errf(err, errlen, "rrdcached %s: unexpected error line \"%.80s\"",
			    b->addr, line);
			goto fail;
		}
		while (*end == ' ')
			end++;
		nfailed++;
		if (failed != NULL)
			failed(cmd, end, arg);
	}
	rrdc_batch_clear(b);
	return nfailed;
fail:
	rrdc_close(b);
	rrdc_batch_clear(b);
	return -1;
}

int
rrdc_batch_command(struct rrdc_batch *b, const char *cmd, const char *file, const char *arg,
    char *msg, size_t msglen)
{
	size_t cl = strlen(cmd), fl = file != NULL ? strlen(file) : 0;
	size_t al = arg != NULL ? strlen(arg) : 0;
	const char *text;
	long n;

	if (b->ncmd != 0 || (file != NULL && strchr(file, '\n') != NULL) ||
	    (arg != NULL && strcspn(arg, " \n") != al) ||
	    rrdc_reserve(b, cl + 1 + 2 * fl + 1 + al + 1) == -1) {
		errf(msg, msglen, "rrdcached %s: %s: cannot be sent", b->addr, cmd);
		return -1;
	}
	if (rrdc_connect(b, msg, msglen) == -1)
		return -1;
	memcpy(b->out, cmd, cl);
	b->len = cl;
	if (file != NULL) {
		b->out[b->len++] = ' ';
		rrdc_put_name(b, file, fl);
	}
	if (arg != NULL) {
		b->out[b->len++] = ' ';
		memcpy(b->out + b->len, arg, al);
		b->len += al;
	}
	b->out[b->len++] = '\n';
	int rc = rrdc_write(b, b->out, b->len, msg, msglen);
	b->len = 0;
	if (rc == -1 || rrdc_status(b, &n, &text, msg, msglen) == -1)
		goto fail;
	errf(msg, msglen, "%s", text);
	/* Lines that follow a positive status are not wanted here. */
	for (long i = 0; i < n; i++)
		if (rrdc_read_line(b, msg, msglen) == NULL)
			goto fail;
	return n < 0 ? 1 : 0;
fail:
	rrdc_close(b);
	return -1;
}

int
rrdc_batch_ping(struct rrdc_batch *b, char *msg, size_t msglen)
{
	/* Closed only by a failed exchange, which was reported, or never
	 * opened: nothing went over a connection that broke unseen. */
	if (b->fd == -1)
		return 0;
	/* Any answer will do, a refusal (rrdcached -P) too: it came over
	 * this connection. */
	return rrdc_batch_command(b, "PING", NULL, NULL, msg, msglen) == -1 ? -1 : 0;
}
