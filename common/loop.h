/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The poll loop of a covmon daemon: file descriptors with callbacks, and
 * one-shot timers on the monotonic clock. Single-threaded; other threads
 * wake it through a pipe they write (loop_wakeup_fd).
 */
#ifndef COVMON_LOOP_H
#define COVMON_LOOP_H

#include <stdint.h>

struct loop;
typedef void (*loop_io_cb)(void *arg, int fd, short revents);
typedef void (*loop_timer_cb)(void *arg);

struct loop *loop_new(void);
void loop_free(struct loop *l);

/* Watches fd for events (POLLIN, POLLOUT). One registration per fd. */
int loop_io_add(struct loop *l, int fd, short events, loop_io_cb cb, void *arg);
int loop_io_set(struct loop *l, int fd, short events);
void loop_io_del(struct loop *l, int fd);

/* One-shot timer at monotonic time `at` (clock_mono()). Returns an id > 0
 * for loop_timer_cancel, or 0 when out of memory. */
uint64_t loop_timer_at(struct loop *l, double at, loop_timer_cb cb, void *arg);
void loop_timer_cancel(struct loop *l, uint64_t id);

/* Waits at most max_wait seconds (less when a timer is due), then runs the
 * due timers and the ready fds' callbacks. Returns 0, or -1 on a poll error
 * other than EINTR. */
int loop_run_once(struct loop *l, double max_wait);

#endif
