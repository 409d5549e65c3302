/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The bounded queue from the MQTT thread to the writer: a ring of items
 * under one mutex, two condition variables. Bounded so a slow disk turns
 * into backpressure on the broker, never into unbounded memory.
 *
 * The ring is mapped, not allocated, and only what is used of it is
 * resident: 65,536 items are 36 MB. The ring starts again at its first
 * item whenever it empties, so a queue that drains between batches only
 * ever touches the pages of its deepest moment; queue_trim gives back
 * what a backlog touched once it has drained.
 */
#include "collector.h"
#include "clock.h"
#include "counters.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

struct queue {
	pthread_mutex_t lock;      /* protects everything below */
	pthread_cond_t not_empty;
	pthread_cond_t not_full;
	struct item *ring;         /* mapped: ring_bytes */
	size_t ring_bytes;
	size_t cap, head, len;
	bool closed;
	bool woken;                /* queue_wake: the next pop returns at once */
};

struct queue *
queue_new(size_t cap)
{
	struct queue *q = calloc(1, sizeof *q);

	if (q == NULL)
		return NULL;
	if (cap == 0 || cap > SIZE_MAX / sizeof *q->ring) {
		free(q);
		errno = EINVAL;
		return NULL;
	}
	q->ring_bytes = cap * sizeof *q->ring;
	q->ring = mmap(NULL, q->ring_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	if (q->ring == MAP_FAILED) {
		free(q);
		return NULL;
	}
	q->cap = cap;
	pthread_mutex_init(&q->lock, NULL);
	clock_cond_init(&q->not_empty);
	clock_cond_init(&q->not_full);
	return q;
}

void
queue_free(struct queue *q)
{
	if (q == NULL)
		return;
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->not_empty);
	pthread_cond_destroy(&q->not_full);
	munmap(q->ring, q->ring_bytes);
	free(q);
}

int
queue_push(struct queue *q, const struct item *it, double wait)
{
	struct timespec ts;
	int rc = 0;

	clock_deadline(&ts, wait);
	pthread_mutex_lock(&q->lock);
	while (q->len == q->cap && !q->closed) {
		if (pthread_cond_timedwait(&q->not_full, &q->lock, &ts) == ETIMEDOUT)
			break;
	}
	if (q->closed) {
		rc = -2;
	} else if (q->len == q->cap) {
		rc = -1;
	} else {
		q->ring[(q->head + q->len) % q->cap] = *it;
		q->len++;
		atomic_store(&counters.queue_depth, (long)q->len);
		pthread_cond_signal(&q->not_empty);
	}
	pthread_mutex_unlock(&q->lock);
	return rc;
}

size_t
queue_pop(struct queue *q, struct item *out, size_t max, double wait)
{
	struct timespec ts;
	size_t n = 0;

	clock_deadline(&ts, wait);
	pthread_mutex_lock(&q->lock);
	while (q->len == 0 && !q->closed && !q->woken) {
		if (pthread_cond_timedwait(&q->not_empty, &q->lock, &ts) == ETIMEDOUT)
			break;
	}
	q->woken = false;
	while (n < max && q->len > 0) {
		out[n++] = q->ring[q->head];
		q->head = (q->head + 1) % q->cap;
		q->len--;
	}
	if (q->len == 0)
		q->head = 0;       /* the same first pages again */
	atomic_store(&counters.queue_depth, (long)q->len);
	if (n > 0)
		pthread_cond_broadcast(&q->not_full);
	pthread_mutex_unlock(&q->lock);
	return n;
}

/* The resident pages in [a, b), page-aligned, in bytes. */
static size_t
resident(uintptr_t a, uintptr_t b, uintptr_t page)
{
	unsigned char vec[256];
	size_t n = 0;

	while (a < b) {
		size_t len = b - a < sizeof vec * page ? b - a : sizeof vec * page;
		if (mincore((void *)a, len, vec) == -1)
			return 0;
		for (size_t i = 0; i < len / page; i++)
			n += vec[i] & 1;
		a += len;
	}
	return n * page;
}

/* Gives back the whole pages of items [from, to) of the ring; returns
 * how much of that was resident. */
static size_t
release(struct queue *q, size_t from, size_t to)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t a = ((uintptr_t)(q->ring + from) + page - 1) & ~(page - 1);
	uintptr_t b = (uintptr_t)(q->ring + to) & ~(page - 1);

	if (to == q->cap)
		b = ((uintptr_t)q->ring + q->ring_bytes + page - 1) & ~(page - 1);
	if (b <= a)
		return 0;
	size_t n = resident(a, b, page);
	return madvise((void *)a, b - a, MADV_DONTNEED) == -1 ? 0 : n;
}

size_t
queue_trim(struct queue *q)
{
	size_t n;

	pthread_mutex_lock(&q->lock);
	size_t end = q->head + q->len;
	if (q->len == 0)
		n = release(q, 0, q->cap);
	else if (end <= q->cap)
		n = release(q, 0, q->head) + release(q, end, q->cap);
	else
		n = release(q, end - q->cap, q->head);
	pthread_mutex_unlock(&q->lock);
	return n;
}

size_t
queue_depth(struct queue *q)
{
	pthread_mutex_lock(&q->lock);
	size_t n = q->len;
	pthread_mutex_unlock(&q->lock);
	return n;
}

void
queue_wake(void *arg)
{
	struct queue *q = arg;

	pthread_mutex_lock(&q->lock);
	q->woken = true;
	pthread_cond_signal(&q->not_empty);
	pthread_mutex_unlock(&q->lock);
}

void
queue_close(struct queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->closed = true;
	pthread_cond_broadcast(&q->not_empty);
	pthread_cond_broadcast(&q->not_full);
	pthread_mutex_unlock(&q->lock);
}
