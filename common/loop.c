/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small poll(2) loop. Timers are kept in an unsorted array: an agent has
 * at most a few hundred (one per echo in flight) and the scan is cheaper
 * than the bookkeeping of a heap at that size.
 */
#include "loop.h"
#include "clock.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

struct loop_io {
	int fd;
	short events;
	loop_io_cb cb;
	void *arg;
};

struct loop_timer {
	uint64_t id;
	double at;
	loop_timer_cb cb;
	void *arg;
};

struct loop {
	struct loop_io *io;
	size_t nio, capio;
	struct pollfd *pfd;
	struct loop_timer *t;
	size_t nt, capt;
	uint64_t next_id;
};

struct loop *
loop_new(void)
{
	return calloc(1, sizeof(struct loop));
}

void
loop_free(struct loop *l)
{
	if (l == NULL)
		return;
	free(l->io);
	free(l->pfd);
	free(l->t);
	free(l);
}

int
loop_io_add(struct loop *l, int fd, short events, loop_io_cb cb, void *arg)
{
	if (l->nio == l->capio) {
		size_t ncap = l->capio ? l->capio * 2 : 8;
		struct loop_io *io = realloc(l->io, ncap * sizeof *io);
		if (io == NULL)
			return -1;
		l->io = io;
		struct pollfd *p = realloc(l->pfd, ncap * sizeof *p);
		if (p == NULL)
			return -1;
		l->pfd = p;
		l->capio = ncap;
	}
	l->io[l->nio++] = (struct loop_io){ fd, events, cb, arg };
	return 0;
}

int
loop_io_set(struct loop *l, int fd, short events)
{
	for (size_t i = 0; i < l->nio; i++) {
		if (l->io[i].fd == fd) {
			l->io[i].events = events;
			return 0;
		}
	}
	return -1;
}

void
loop_io_del(struct loop *l, int fd)
{
	for (size_t i = 0; i < l->nio; i++) {
		if (l->io[i].fd == fd) {
			/* Mark; compacted after the dispatch in progress, if any. */
			l->io[i].fd = -1;
			l->io[i].cb = NULL;
		}
	}
}

uint64_t
loop_timer_at(struct loop *l, double at, loop_timer_cb cb, void *arg)
{
	if (l->nt == l->capt) {
		size_t ncap = l->capt ? l->capt * 2 : 16;
		struct loop_timer *t = realloc(l->t, ncap * sizeof *t);
		if (t == NULL)
			return 0;
		l->t = t;
		l->capt = ncap;
	}
	uint64_t id = ++l->next_id;
	l->t[l->nt++] = (struct loop_timer){ id, at, cb, arg };
	return id;
}

void
loop_timer_cancel(struct loop *l, uint64_t id)
{
	for (size_t i = 0; i < l->nt; i++) {
		if (l->t[i].id == id) {
			l->t[i] = l->t[--l->nt];
			return;
		}
	}
}

static void
loop_run_timers(struct loop *l)
{
	double now = clock_mono();

	/* A callback may add or cancel timers: restart the scan after each. */
	for (;;) {
		size_t due = l->nt;
		for (size_t i = 0; i < l->nt; i++)
			if (l->t[i].at <= now && (due == l->nt || l->t[i].at < l->t[due].at))
				due = i;
		if (due == l->nt)
			return;
		struct loop_timer t = l->t[due];
		l->t[due] = l->t[--l->nt];
		t.cb(t.arg);
	}
}

int
loop_run_once(struct loop *l, double max_wait)
{
	double now = clock_mono();
	double wait = max_wait;

	for (size_t i = 0; i < l->nt; i++)
		if (l->t[i].at - now < wait)
			wait = l->t[i].at - now;
	if (wait < 0)
		wait = 0;

	size_t n = 0;
	for (size_t i = 0; i < l->nio; i++) {
		if (l->io[i].fd < 0)
			continue;
		l->io[n] = l->io[i];
		l->pfd[n] = (struct pollfd){ l->io[i].fd, l->io[i].events, 0 };
		n++;
	}
	l->nio = n;

	int rc = poll(l->pfd, n, (int)ceil(wait * 1000));
	if (rc == -1 && errno != EINTR)
		return -1;
	loop_run_timers(l);
	if (rc <= 0)
		return 0;
	/* Callbacks may add fds (appended beyond n) or delete them (fd = -1). */
	for (size_t i = 0; i < n; i++) {
		if (l->pfd[i].revents == 0)
			continue;
		struct loop_io *io = &l->io[i];
		if (io->fd != l->pfd[i].fd || io->cb == NULL)
			continue;
		io->cb(io->arg, io->fd, l->pfd[i].revents);
	}
	return 0;
}
