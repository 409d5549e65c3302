/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Requests to state.db's one writer (state_req.h): a list under one mutex
 * and one condition variable; the writer takes the whole list, does it in
 * one transaction and answers each request.
 */
#include "state_req.h"
#include "alert_db.h"
#include "clock.h"
#include "state_db.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

enum { WAITING, TAKEN, DONE, REFUSED };

struct state_reqs {
	pthread_mutex_t lock;      /* protects everything below, and each
	                              request's stage and result */
	pthread_cond_t answered;
	struct state_req *head, **tail;
	bool closed;
	void (*wake)(void *);
	void *arg;
};

struct state_reqs *
state_reqs_new(void (*wake)(void *), void *arg)
{
	struct state_reqs *r = calloc(1, sizeof *r);

	if (r == NULL)
		return NULL;
	if (clock_cond_init(&r->answered) == -1) {
		free(r);
		return NULL;
	}
	pthread_mutex_init(&r->lock, NULL);
	r->tail = &r->head;
	r->wake = wake;
	r->arg = arg;
	return r;
}

void
state_reqs_free(struct state_reqs *r)
{
	if (r == NULL)
		return;
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->answered);
	free(r);
}

static void
unlink_req(struct state_reqs *r, struct state_req *req)
{
	struct state_req **p;

	for (p = &r->head; *p != NULL && *p != req; p = &(*p)->next)
		;
	if (*p == NULL)
		return;
	*p = req->next;
	if (r->tail == &req->next)
		r->tail = p;
}

int
state_reqs_call(struct state_reqs *r, struct state_req *req, double wait)
{
	struct timespec ts;
	int rc;

	if (r == NULL)
		return -2;
	clock_deadline(&ts, wait);

	pthread_mutex_lock(&r->lock);
	if (r->closed) {
		pthread_mutex_unlock(&r->lock);
		return -2;
	}
	req->next = NULL;
	req->stage = WAITING;
	req->result = -1;
	*r->tail = req;
	r->tail = &req->next;
	pthread_mutex_unlock(&r->lock);
	if (r->wake != NULL)
		r->wake(r->arg);

	pthread_mutex_lock(&r->lock);
	while (req->stage == WAITING) {
		if (pthread_cond_timedwait(&r->answered, &r->lock, &ts) == ETIMEDOUT)
			break;
	}
	if (req->stage == WAITING) {
		/* Not taken in time: withdrawn, so certainly not done. */
		unlink_req(r, req);
		rc = -1;
	} else {
		/* Taken: the writer is doing it now; its end is near. */
		while (req->stage == TAKEN)
			pthread_cond_wait(&r->answered, &r->lock);
		rc = req->stage == DONE ? 0 : -2;
	}
	pthread_mutex_unlock(&r->lock);
	return rc;
}

static int64_t
run_one(struct state_db *db, const struct state_req *q)
{
	switch (q->kind) {
	case SR_ACK:
		return alert_db_ack(db, q->id, q->now);
	case SR_SILENCE_ADD:
		return alert_db_silence_add(db, q->match, q->until, q->text, q->now);
	case SR_SILENCE_RM:
		return alert_db_silence_rm(db, q->id);
	case SR_QUEUE_SENT:
		return alert_db_queue_sent(db, q->id, q->now);
	case SR_QUEUE_FAILED:
		return alert_db_queue_failed(db, q->id, q->attempts, q->next_try, q->text);
	}
	return -1;
}

size_t
state_reqs_run(struct state_reqs *r, struct state_db *db)
{
	struct state_req *list, *q;
	size_t n = 0;

	if (r == NULL)
		return 0;
	pthread_mutex_lock(&r->lock);
	list = r->head;
	r->head = NULL;
	r->tail = &r->head;
	for (q = list; q != NULL; q = q->next)
		q->stage = TAKEN;
	pthread_mutex_unlock(&r->lock);
	if (list == NULL)
		return 0;

	/* The requests' own fields are read without the lock: while TAKEN
	 * only this thread touches them, and their callers wait. */
	bool tx = state_db_begin(db) == 0;
	for (q = list; q != NULL; q = q->next, n++)
		q->result = tx ? run_one(db, q) : -1;
	if (tx && state_db_commit(db) == -1) {
		(void)state_db_rollback(db);
		for (q = list; q != NULL; q = q->next)
			q->result = -1;
	}

	pthread_mutex_lock(&r->lock);
	for (q = list; q != NULL; ) {
		struct state_req *next = q->next;
		q->stage = DONE;      /* after this, the caller may return */
		q = next;
	}
	pthread_cond_broadcast(&r->answered);
	pthread_mutex_unlock(&r->lock);
	return n;
}

void
state_reqs_close(struct state_reqs *r)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->lock);
	r->closed = true;
	for (struct state_req *q = r->head; q != NULL; q = q->next)
		q->stage = REFUSED;
	r->head = NULL;
	r->tail = &r->head;
	pthread_cond_broadcast(&r->answered);
	pthread_mutex_unlock(&r->lock);
}
