/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The creator thread: one queue of requests in, one list of results out,
 * both under one lock; the files are made with a store of its own, so
 * nothing of the writer's store is shared.
 */
#include "creator.h"

#include "clock.h"
#include "errf.h"
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The creator thread's nice value, above the rest of the collector's. */
#define CREATOR_NICE 10

struct creator_req {
	char province[ID_MAX + 1];
	struct sample s;
	double at;                  /* monotonic, when submitted */
};

struct creator {
	struct store *st;           /* the thread's alone */
	pthread_t thread;
	bool started;
	/* mu protects everything below. */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct creator_req *req;    /* ring of cap */
	size_t head, nreq;
	bool busy;                  /* a request taken, not yet done */
	struct creator_result *res; /* done, not yet taken: at most cap */
	size_t nres;
	size_t cap;
	bool stop;
};

/* Makes the files of one request, outside the lock. */
static void
creator_make(struct creator *cr, const struct creator_req *q, struct creator_result *out)
{
	struct store_stats before, after;

	memset(out, 0, sizeof *out);
	snprintf(out->agent, sizeof out->agent, "%s", q->s.agent);
	snprintf(out->province, sizeof out->province, "%s", q->province);
	out->interval = q->s.interval;
	store_get_stats(cr->st, &before);
	out->r = store_create_files(cr->st, q->province, &q->s, &out->made, out->err,
	    sizeof out->err);
	store_get_stats(cr->st, &after);
	out->created = (unsigned)(after.creates - before.creates);
	out->seconds = clock_mono() - q->at;
}

static void *
creator_main(void *arg)
{
	struct creator *cr = arg;
	struct creator_req q;
	struct creator_result res;

	pthread_setname_np(pthread_self(), "cm-creator");
	/* Making files is the work that can wait: the writer and the MQTT
	 * thread come first on a busy machine (Linux: a thread's own nice). */
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), CREATOR_NICE) == -1)
		log_warn("creator: setpriority");
	pthread_mutex_lock(&cr->mu);
	for (;;) {
		while (cr->nreq == 0 && !cr->stop)
			pthread_cond_wait(&cr->cv, &cr->mu);
		if (cr->stop)
			break;
		q = cr->req[cr->head];
		cr->head = (cr->head + 1) % cr->cap;
		cr->nreq--;
		cr->busy = true;
		pthread_mutex_unlock(&cr->mu);

		creator_make(cr, &q, &res);

		pthread_mutex_lock(&cr->mu);
		cr->busy = false;
		/* Room is certain: submit counts results not taken. */
		cr->res[cr->nres++] = res;
	}
	pthread_mutex_unlock(&cr->mu);
	return NULL;
}

struct creator *
creator_new(const struct store_conf *conf, size_t cap, char *err, size_t errlen)
{
	struct creator *cr = calloc(1, sizeof *cr);

	if (cr == NULL || cap == 0 || (cr->req = calloc(cap, sizeof *cr->req)) == NULL ||
	    (cr->res = calloc(cap, sizeof *cr->res)) == NULL) {
		errf(err, errlen, "creator: out of memory");
		if (cr != NULL)
			free(cr->req);
		free(cr);
		return NULL;
	}
	cr->cap = cap;
	pthread_mutex_init(&cr->mu, NULL);
	pthread_cond_init(&cr->cv, NULL);
	if (store_open_creator(&cr->st, conf, err, errlen) == -1) {
		creator_free(cr);
		return NULL;
	}
	return cr;
}

int
creator_start(struct creator *cr, char *err, size_t errlen)
{
	sigset_t all, old;
	int rc;

	/* Signals are for the main thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&cr->thread, NULL, creator_main, cr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		errf(err, errlen, "cannot start the creator thread: %s", strerror(rc));
		return -1;
	}
	cr->started = true;
	return 0;
}

void
creator_free(struct creator *cr)
{
	if (cr == NULL)
		return;
	if (cr->started) {
		pthread_mutex_lock(&cr->mu);
		cr->stop = true;
		pthread_cond_broadcast(&cr->cv);
		pthread_mutex_unlock(&cr->mu);
		pthread_join(cr->thread, NULL);
	}
	pthread_mutex_destroy(&cr->mu);
	pthread_cond_destroy(&cr->cv);
	store_close(cr->st);
	free(cr->req);
	free(cr->res);
	free(cr);
}

int
creator_submit(struct creator *cr, const char *province, const struct sample *s)
{
	int rc = -1;

	pthread_mutex_lock(&cr->mu);
	if (cr->nreq + (cr->busy ? 1 : 0) + cr->nres < cr->cap) {
		struct creator_req *q = &cr->req[(cr->head + cr->nreq) % cr->cap];
		snprintf(q->province, sizeof q->province, "%s", province);
		q->s = *s;
		q->at = clock_mono();
		cr->nreq++;
		pthread_cond_signal(&cr->cv);
		rc = 0;
	}
	pthread_mutex_unlock(&cr->mu);
	return rc;
}

size_t
creator_results(struct creator *cr, struct creator_result *out, size_t max)
{
	size_t n;

	pthread_mutex_lock(&cr->mu);
	n = cr->nres < max ? cr->nres : max;
	memcpy(out, cr->res, n * sizeof *out);
	memmove(cr->res, cr->res + n, (cr->nres - n) * sizeof *cr->res);
	cr->nres -= n;
	pthread_mutex_unlock(&cr->mu);
	return n;
}

bool
creator_has_results(struct creator *cr)
{
	bool any;

	pthread_mutex_lock(&cr->mu);
	any = cr->nres > 0;
	pthread_mutex_unlock(&cr->mu);
	return any;
}

size_t
creator_depth(struct creator *cr)
{
	size_t n;

	pthread_mutex_lock(&cr->mu);
	n = cr->nreq + (cr->busy ? 1 : 0);
	pthread_mutex_unlock(&cr->mu);
	return n;
}

size_t
creator_room(struct creator *cr)
{
	size_t n;

	pthread_mutex_lock(&cr->mu);
	n = cr->cap - (cr->nreq + (cr->busy ? 1 : 0) + cr->nres);
	pthread_mutex_unlock(&cr->mu);
	return n;
}
