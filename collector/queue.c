/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The bounded queue from the MQTT thread to the writer: items in blocks
 * under one mutex, two condition variables. Bounded so a slow disk turns
 * into backpressure on the broker, never into unbounded memory.
 *
 * Only what the queue holds is resident. A ring of 65,536 items (36 MB)
 * went round and kept every page of it resident; blocks of 64 kB are
 * mapped as the queue deepens and given back as it drains (a few kept
 * for reuse, until queue_trim), so a peak costs what it queued.
 */
#include "collector.h"
#include "clock.h"
#include "counters.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#define QBLOCK_BYTES 65536
#define QBLOCK_KEEP 4              /* empty blocks kept for reuse */

struct qblock {
	struct qblock *next;
	size_t head, tail;         /* items [head, tail) */
	struct item it[];
};
#define QBLOCK_ITEMS ((QBLOCK_BYTES - offsetof(struct qblock, it)) / sizeof(struct item))

struct queue {
	pthread_mutex_t lock;      /* protects everything below */
	pthread_cond_t not_empty;
	pthread_cond_t not_full;
	struct qblock *first, *last;   /* never NULL: the oldest and newest items */
	struct qblock *spare;      /* empty blocks kept, nspare of them */
	size_t nspare;
	size_t cap, len;
	bool closed;
	bool woken;                /* queue_wake: the next pop returns at once */
};

static struct qblock *
block_new(struct queue *q)
{
	struct qblock *b = q->spare;

	if (b != NULL) {
		q->spare = b->next;
		q->nspare--;
	} else {
		b = mmap(NULL, QBLOCK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
		if (b == MAP_FAILED)
			return NULL;
	}
	b->next = NULL;
	b->head = b->tail = 0;
	return b;
}

static void
block_done(struct queue *q, struct qblock *b)
{
	if (q->nspare < QBLOCK_KEEP) {
		b->next = q->spare;
		q->spare = b;
		q->nspare++;
	} else {
		munmap(b, QBLOCK_BYTES);
	}
}

struct queue *
queue_new(size_t cap)
{
	struct queue *q = calloc(1, sizeof *q);

	if (q == NULL)
		return NULL;
	if (cap == 0 || (q->first = q->last = block_new(q)) == NULL) {
		free(q);
		errno = cap == 0 ? EINVAL : ENOMEM;
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
	queue_trim(q);
	for (struct qblock *b = q->first, *next; b != NULL; b = next) {
		next = b->next;
		munmap(b, QBLOCK_BYTES);
	}
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->not_empty);
	pthread_cond_destroy(&q->not_full);
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
	struct qblock *b = q->last;
	if (q->closed) {
		rc = -2;
	} else if (q->len == q->cap) {
		rc = -1;
	} else if (b->tail == QBLOCK_ITEMS && (b = block_new(q)) == NULL) {
		rc = -1;           /* out of memory: as full, the agent resends */
	} else {
		if (b != q->last) {
			q->last->next = b;
			q->last = b;
		}
		b->it[b->tail++] = *it;
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
		struct qblock *b = q->first;
		out[n++] = b->it[b->head++];
		q->len--;
		if (b->head < b->tail)
			continue;
		if (b == q->last) {
			b->head = b->tail = 0;     /* the same pages again */
		} else {
			q->first = b->next;
			block_done(q, b);
		}
	}
	atomic_store(&counters.queue_depth, (long)q->len);
	if (n > 0)
		pthread_cond_broadcast(&q->not_full);
	pthread_mutex_unlock(&q->lock);
	return n;
}

size_t
queue_trim(struct queue *q)
{
	size_t n = 0;

	pthread_mutex_lock(&q->lock);
	while (q->spare != NULL) {
		struct qblock *b = q->spare;
		q->spare = b->next;
		munmap(b, QBLOCK_BYTES);
		n += QBLOCK_BYTES;
	}
	q->nspare = 0;
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
