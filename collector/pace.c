/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pacer thread (see pace.h): reads the rollup files' covered_pct
 * series and keeps their slopes for the evaluator.
 */
#include "pace.h"

#include "clock.h"
#include "log.h"
#include "target.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <rrd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Seconds between two looks at the snapshot for a new inventory. */
#define PACE_LOOK	5.0

struct pacer {
	char data_dir[512];
	struct snapshot_box *box;
	pthread_t thread;
	pthread_mutex_t lock;		/* protects cur and stop */
	pthread_cond_t wake;
	struct pace_table *cur;
	bool stop;
};

void
pace_table_put(struct pace_table *t)
{
	if (t == NULL || atomic_fetch_sub(&t->refs, 1) != 1)
		return;
	inv_ref_put(t->inv);
	free(t->communes);
	free(t->provinces);
	free(t);
}

struct pace_table *
pacer_get(struct pacer *pc)
{
	struct pace_table *t;

	if (pc == NULL)
		return NULL;
	pthread_mutex_lock(&pc->lock);
	if ((t = pc->cur) != NULL)
		atomic_fetch_add(&t->refs, 1);
	pthread_mutex_unlock(&pc->lock);
	return t;
}

double
pace_read_slope(const char *path, double now)
{
	time_t start = (time_t)(now - TARGET_PACE_DAYS * 86400.0);
	time_t end = (time_t)now;
	unsigned long step = 3600, nds = 0;
	char **names = NULL;
	rrd_value_t *data = NULL;
	double slope = NAN;
	long col = -1;

	if (rrd_fetch_r(path, "AVERAGE", &start, &end, &step, &nds, &names,
	    &data) != 0) {
		rrd_clear_error();
		return NAN;
	}
	for (unsigned long i = 0; i < nds; i++) {
		if (strcmp(names[i], "covered_pct") == 0)
			col = (long)i;
		rrd_freemem(names[i]);
	}
	rrd_freemem(names);
	if (col >= 0 && step > 0 && end > start) {
		size_t n = (size_t)((end - start) / (time_t)step);
		double *t = malloc((n ? n : 1) * sizeof *t);
		double *v = malloc((n ? n : 1) * sizeof *v);

		if (t != NULL && v != NULL) {
			/* Row i covers (start + i*step, start + (i+1)*step]. */
			for (size_t i = 0; i < n; i++) {
				t[i] = (double)start + (double)((i + 1) * step);
				v[i] = data[i * nds + (size_t)col];
			}
			slope = target_slope(t, v, n, now);
		}
		free(t);
		free(v);
	}
	rrd_freemem(data);
	return slope;
}

static struct pace_table *
read_all(struct pacer *pc, struct inv_ref *ref)
{
	const struct inventory *inv = ref->inv;
	struct pace_table *t = calloc(1, sizeof *t);
	double now = clock_now();
	char path[1024];

	if (t == NULL)
		return NULL;
	atomic_init(&t->refs, 1);
	t->inv = inv_ref_get(ref);
	t->at = now;
	t->communes = malloc((inv->ncommunes ? inv->ncommunes : 1) * sizeof(double));
	t->provinces = malloc((inv->nprovinces ? inv->nprovinces : 1) * sizeof(double));
	if (t->communes == NULL || t->provinces == NULL) {
		pace_table_put(t);
		return NULL;
	}
	for (size_t i = 0; i < inv->nprovinces; i++) {
		snprintf(path, sizeof path, "%s/rrd/%s/_province.rrd", pc->data_dir,
		    inv->provinces[i].id);
		t->provinces[i] = pace_read_slope(path, now);
	}
	for (size_t i = 0; i < inv->ncommunes; i++) {
		const struct inv_commune *c = &inv->communes[i];

		snprintf(path, sizeof path, "%s/rrd/%s/_commune_%s.rrd", pc->data_dir,
		    inv->provinces[c->province].id, c->id);
		t->communes[i] = pace_read_slope(path, now);
	}
	return t;
}

static void *
pacer_main(void *arg)
{
	struct pacer *pc = arg;
	double next = 0;

	pthread_setname_np(pthread_self(), "cm-pacer");

	pthread_mutex_lock(&pc->lock);
	while (!pc->stop) {
		struct snapshot *s;
		struct pace_table *t = NULL, *old = NULL;
		bool due;

		pthread_mutex_unlock(&pc->lock);
		s = snapshot_get(pc->box);
		due = s != NULL && s->inv != NULL && (pc->cur == NULL ||
		    pc->cur->inv != s->inv || clock_mono() >= next);
		if (due) {
			double t0 = clock_mono();

			if ((t = read_all(pc, s->inv)) == NULL)
				log_warnx("pace: out of memory");
			next = clock_mono() + PACE_EVERY;
			log_debug("pace: %zu rollups read in %.3f s",
			    s->inv->inv->ncommunes + s->inv->inv->nprovinces,
			    clock_mono() - t0);
		}
		snapshot_put(s);
		pthread_mutex_lock(&pc->lock);
		if (t != NULL) {
			old = pc->cur;
			pc->cur = t;
		}
		if (old != NULL) {
			pthread_mutex_unlock(&pc->lock);
			pace_table_put(old);
			pthread_mutex_lock(&pc->lock);
		}
		if (!pc->stop) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += (time_t)PACE_LOOK;
			pthread_cond_timedwait(&pc->wake, &pc->lock, &ts);
		}
	}
	pthread_mutex_unlock(&pc->lock);
	return NULL;
}

struct pacer *
pacer_start(const char *data_dir, struct snapshot_box *box, char *err,
    size_t errlen)
{
	struct pacer *pc = calloc(1, sizeof *pc);

	if (pc == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(pc->data_dir, sizeof pc->data_dir, "%s", data_dir);
	pc->box = box;
	pthread_mutex_init(&pc->lock, NULL);
	pthread_cond_init(&pc->wake, NULL);
	if ((errno = pthread_create(&pc->thread, NULL, pacer_main, pc)) != 0) {
		snprintf(err, errlen, "pace thread: %s", strerror(errno));
		pthread_cond_destroy(&pc->wake);
		pthread_mutex_destroy(&pc->lock);
		free(pc);
		return NULL;
	}
	return pc;
}

void
pacer_stop(struct pacer *pc)
{
	if (pc == NULL)
		return;
	pthread_mutex_lock(&pc->lock);
	pc->stop = true;
	pthread_cond_signal(&pc->wake);
	pthread_mutex_unlock(&pc->lock);
	pthread_join(pc->thread, NULL);
	pace_table_put(pc->cur);
	pthread_cond_destroy(&pc->wake);
	pthread_mutex_destroy(&pc->lock);
	free(pc);
}
