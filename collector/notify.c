/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The notifier thread: every notification waits in the state DB's
 * notify_queue until its notifier took it. Per notifier, the oldest
 * unsent row goes first and blocks the later ones, so a resolve never
 * overtakes its firing; a failure is retried with capped backoff
 * ([alerts] retry_max), and a row survives restarts until it is sent.
 * It reads the queue on a read-only connection and has the writer record
 * each delivery (state_req.h), so a notification is marked sent before the
 * next pass reads the queue again.
 */
#include "notify.h"
#include "alert_db.h"
#include "collector.h"
#include "clock.h"
#include "log.h"
#include "state_req.h"
#include "topic.h"

#include <json-c/json.h>

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RETRY_FIRST	5.0     /* seconds before the first retry */

static atomic_ulong sent_total, failed_total;
static atomic_long queued_now;

struct notifier {
	const struct collector_conf *cc;
	const struct alert_conf *ac;     /* in use: cc's, or ref's */
	struct alert_conf_ref *ref;
	pthread_mutex_t lock;            /* protects next */
	struct alert_conf_ref *next;     /* SIGHUP's, taken at the next pass */
	struct ingest *in;
	struct state_db *db;             /* read-only */
	struct state_reqs *reqs;         /* the writer, which records deliveries */
	pthread_t thread;
	atomic_bool stop;
	struct log_limit lim;
};

static int
notify_mqtt(const struct notifier *nt, const struct notify_msg *m, char *err, size_t errlen)
{
	char topic[TOPIC_MAX];

	if (nt->in == NULL || !ingest_connected(nt->in)) {
		snprintf(err, errlen, "MQTT not connected");
		return -1;
	}
	if (m->province == NULL || topic_build(topic, sizeof topic, nt->cc->mqtt.topic_prefix,
	    m->province, NULL, TOPIC_ALERT) == -1) {
		snprintf(err, errlen, "no valid province for the alert topic");
		return -1;
	}
	ingest_publish(nt->in, topic, m->json, strlen(m->json), false);
	return 0;
}

static int
deliver(struct notifier *nt, const struct notifier_conf *n, const struct queued *q,
    char *err, size_t errlen)
{
	json_object *o = json_tokener_parse(q->payload), *p = NULL;
	struct notify_msg m = {
		.json = q->payload, .kind = q->kind, .state = q->state, .scope = q->scope,
		.summary = q->summary, .id = q->id,
	};
	int rc = -1;

	if (o && json_object_object_get_ex(o, "province", &p) && p)
		m.province = json_object_get_string(p);
	switch (n->type) {
	case NT_EXEC:
		rc = notify_exec(n, &m, err, errlen);
		break;
	case NT_WEBHOOK:
		rc = notify_webhook(n, &m, err, errlen);
		break;
	case NT_MQTT:
		rc = notify_mqtt(nt, &m, err, errlen);
		break;
	case NT_EMAIL:
		rc = notify_email(n, &m, err, errlen);
		break;
	}
	json_object_put(o);
	return rc;
}

static const struct notifier_conf *
notifier_by_name(const struct alert_conf *ac, const char *name)
{
	for (int i = 0; i < ac->nnotifiers; i++)
		if (strcmp(ac->notifiers[i].name, name) == 0)
			return &ac->notifiers[i];
	return NULL;
}

void
notifier_set_conf(struct notifier *nt, struct alert_conf_ref *r)
{
	struct alert_conf_ref *old;

	pthread_mutex_lock(&nt->lock);
	old = nt->next;
	nt->next = r;
	pthread_mutex_unlock(&nt->lock);
	alert_conf_ref_put(old);
}

/* Has the writer record a delivery (or a failure), waiting until it did:
 * the next pass must not read the row as unsent. Returns -1 only when the
 * writer has stopped, or the database refused it. */
static int
record(struct notifier *nt, struct state_req *rq)
{
	int rc;

	while ((rc = state_reqs_call(nt->reqs, rq, 5.0)) == -1) {
		if (atomic_load(&nt->stop)) {
			log_warnx("notification %lld: stopping before the writer recorded it; "
			    "it is sent again at the next start", (long long)rq->id);
			return -1;
		}
		log_limited(&nt->lim, "notification %lld: the writer is busy; still waiting to "
		    "record it", (long long)rq->id);
	}
	return rc == 0 && rq->result != -1 ? 0 : -1;
}

static int
record_sent(struct notifier *nt, int64_t id, double now)
{
	struct state_req rq = { .kind = SR_QUEUE_SENT, .id = id, .now = now };

	return record(nt, &rq);
}

static int
record_failed(struct notifier *nt, int64_t id, int attempts, double next_try, const char *error)
{
	struct state_req rq = { .kind = SR_QUEUE_FAILED, .id = id, .attempts = attempts,
	    .next_try = next_try };

	snprintf(rq.text, sizeof rq.text, "%s", error);
	return record(nt, &rq);
}

/* One pass over the heads of the queue. */
static void
pass(struct notifier *nt)
{
	struct queued *v;
	size_t n;
	char err[512];
	struct alert_conf_ref *r;

	pthread_mutex_lock(&nt->lock);
	r = nt->next;
	nt->next = NULL;
	pthread_mutex_unlock(&nt->lock);
	if (r != NULL) {
		alert_conf_ref_put(nt->ref);
		nt->ref = r;
		nt->ac = &r->ac;
	}

	if (alert_db_queue_heads(nt->db, &v, &n) == -1) {
		log_limited(&nt->lim, "state db: reading the notification queue: %s",
		    state_db_errmsg(nt->db));
		alert_db_queued_free(v, n);
		return;
	}
	for (size_t i = 0; i < n && !atomic_load(&nt->stop); i++) {
		struct queued *q = &v[i];
		double now = clock_now();
		if (q->next_try > now)
			continue;
		const struct notifier_conf *c = notifier_by_name(nt->ac, q->notifier);
		if (c == NULL) {
			/* Its notifier left the config: nobody can take it. */
			log_warnx("notification %lld for notifier '%s', no longer configured: "
			    "dropped", (long long)q->id, q->notifier);
			(void)record_failed(nt, q->id, q->attempts, now, "not configured");
			(void)record_sent(nt, q->id, now);
			continue;
		}
		err[0] = '\0';
		if (deliver(nt, c, q, err, sizeof err) == 0) {
			atomic_fetch_add(&sent_total, 1);
			log_info("notifier %s: sent %s %s (queue id %lld, attempt %d)", c->name,
			    q->state, q->scope, (long long)q->id, q->attempts + 1);
			if (record_sent(nt, q->id, clock_now()) == -1)
				log_limited(&nt->lim, "state db: marking notification %lld sent",
				    (long long)q->id);
			continue;
		}
		atomic_fetch_add(&failed_total, 1);
		int attempts = q->attempts + 1;
		double delay = fmin(nt->ac->retry_max,
		    RETRY_FIRST * pow(2, fmin(attempts - 1, 30)));
		log_limited(&nt->lim, "notifier %s: %s; retry %d in %.0f s", c->name, err,
		    attempts, delay);
		if (record_failed(nt, q->id, attempts, clock_now() + delay, err) == -1)
			log_limited(&nt->lim, "state db: notification %lld", (long long)q->id);
	}
	alert_db_queued_free(v, n);
	atomic_store(&queued_now, (long)alert_db_queue_depth(nt->db));
}

static void *
notifier_main(void *arg)
{
	struct notifier *nt = arg;

	pthread_setname_np(pthread_self(), "cm-notify");

	while (!atomic_load(&nt->stop)) {
		pass(nt);
		for (int i = 0; i < 5 && !atomic_load(&nt->stop); i++)
			usleep(100 * 1000);
	}
	return NULL;
}

struct notifier *
notifier_start(const struct collector_conf *cc, struct ingest *in, struct state_reqs *reqs,
    char *err, size_t errlen)
{
	struct notifier *nt = calloc(1, sizeof *nt);
	char path[600];

	if (nt == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	nt->cc = cc;
	nt->ac = &cc->alerts;
	nt->in = in;
	nt->reqs = reqs;
	nt->lim = (struct log_limit)LOG_LIMIT_INIT(5, 60);
	snprintf(path, sizeof path, "%s/state.db", cc->data_dir);
	if (state_db_open_reader(&nt->db, path, err, errlen) == -1) {
		free(nt);
		return NULL;
	}
	pthread_mutex_init(&nt->lock, NULL);
	if (pthread_create(&nt->thread, NULL, notifier_main, nt) != 0) {
		snprintf(err, errlen, "cannot start the notifier thread");
		state_db_close(nt->db);
		pthread_mutex_destroy(&nt->lock);
		free(nt);
		return NULL;
	}
	return nt;
}

void
notifier_stop(struct notifier *nt)
{
	if (nt == NULL)
		return;
	atomic_store(&nt->stop, true);
	pthread_join(nt->thread, NULL);
	state_db_close(nt->db);
	alert_conf_ref_put(nt->next);
	alert_conf_ref_put(nt->ref);
	pthread_mutex_destroy(&nt->lock);
	free(nt);
}

void
notifier_metrics(FILE *out)
{
	fprintf(out, "# HELP covmon_notifications_sent_total Notifications delivered.\n"
	    "# TYPE covmon_notifications_sent_total counter\n"
	    "covmon_notifications_sent_total %lu\n"
	    "# HELP covmon_notifications_failed_total Notification attempts that failed (retried with backoff).\n"
	    "# TYPE covmon_notifications_failed_total counter\n"
	    "covmon_notifications_failed_total %lu\n"
	    "# HELP covmon_notifications_queued Notifications waiting in the state DB now.\n"
	    "# TYPE covmon_notifications_queued gauge\n"
	    "covmon_notifications_queued %ld\n",
	    atomic_load(&sent_total), atomic_load(&failed_total), atomic_load(&queued_now));
}
