/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The evaluation cycle, run on the writer thread (which owns what is known
 * of each agent): every eval_interval, evaluate every hamlet of the
 * inventory, publish the snapshot the API reads, record state transitions
 * in the state DB, update the rollup RRDs, and run the alert engine. Also the inventory's owner:
 * loaded at start, reloaded on SIGHUP, the last good one kept on error.
 */
#include "collector.h"
#include "alert_eval.h"
#include "api.h"
#include "clock.h"
#include "counters.h"
#include "digest.h"
#include "log.h"
#include "pace.h"
#include "snapshot.h"
#include "state_db.h"
#include "topic.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct evaluator {
	const struct collector_conf *cc;
	struct snapshot_box *box;
	struct ingest *in;              /* for the retained province summaries */
	struct inv_ref *inv;            /* current inventory, NULL when none */
	struct coverage *prev;          /* last evaluation (owned by its snapshot) */
	struct snapshot *prev_snap;     /* a reference that keeps prev alive */
	atomic_bool reload;
	double next;                    /* monotonic */
	char error[2048];               /* last failed reload */
	double error_at;
	/* unknown agents being gathered for the next snapshot */
	struct unknown_agent *unk;
	size_t nunk, capunk;
	struct alerts *alerts;          /* the alert engine and its DB side */
	/* SIGHUP's alert settings: handed over by the main thread */
	pthread_mutex_t conf_lock;
	struct alert_conf_ref *next_ac; /* to install at the next tick */
	char conf_error[1024];          /* the last configuration refused */
	double conf_error_at;
	double conf_loaded_at;
	struct alert_conf_ref *ac;      /* in use; NULL: the start's */
	struct digester *digest;        /* the daily rollout digest */
	struct pacer *pacer;            /* the rollups' slopes, read on its thread */
};

static int
load(struct evaluator *ev, char *err, size_t errlen)
{
	struct inventory *inv;
	const char *targets = ev->cc->targets[0] ? ev->cc->targets : NULL;

	if (inventory_load(&inv, ev->cc->inventory, targets, err, errlen) == -1)
		return -1;
	struct inv_ref *r = inv_ref_new(inv, ev->cc->inventory, clock_now());
	if (r == NULL) {
		inventory_free(inv);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	inv_ref_put(ev->inv);
	ev->inv = r;
	log_info("inventory %s: %zu provinces, %zu communes, %zu hamlets, %zu agents",
	    ev->cc->inventory, inv->nprovinces, inv->ncommunes, inv->nhamlets, inv->nagents);
	for (size_t i = 0; i < inv->nprovinces; i++)
		if (!collector_owns(ev->cc->provinces, ev->cc->nprovinces, inv->provinces[i].id))
			log_warnx("inventory %s: province %s is not in [collector] provinces: its "
			    "hamlets show as unmonitored here, raise no alert, and its summary is "
			    "left to its own collector", ev->cc->inventory, inv->provinces[i].id);
	return 0;
}

/*
 * The retained summary of every province (the same JSON as
 * /api/v1/provinces/<id>), so that a national dashboard — a collector of
 * its own — can read the provinces' collectors over MQTT.
 */
static void
publish_summaries(struct evaluator *ev, struct snapshot *s)
{
	const struct inventory *inv = s->inv->inv;
	char url[128], topic[TOPIC_MAX];
	char *body;
	size_t len;
	unsigned status;

	if (ev->in == NULL || !ingest_connected(ev->in))
		return;
	for (size_t i = 0; i < inv->nprovinces; i++) {
		const char *id = inv->provinces[i].id;
		/* Another collector's province: its summary is that one's to
		 * publish (ours would say every hamlet is unmonitored). */
		if (!collector_owns(ev->cc->provinces, ev->cc->nprovinces, id))
			continue;
		snprintf(url, sizeof url, "/api/v1/provinces/%s", id);
		if (api_render(NULL, s, url, api_no_query, NULL, &body, &len, &status) == -1)
			return;
		if (status == 200 && topic_build(topic, sizeof topic, ev->cc->mqtt.topic_prefix, id,
		    NULL, TOPIC_SUMMARY) == 0)
			ingest_publish(ev->in, topic, body, len, true);
		free(body);
	}
}

struct evaluator *
evaluator_new(const struct collector_conf *cc, struct snapshot_box *box, struct ingest *in,
    char *err, size_t errlen)
{
	struct evaluator *ev = calloc(1, sizeof *ev);

	if (ev == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ev->cc = cc;
	ev->box = box;
	ev->in = in;
	ev->conf_loaded_at = clock_now();
	pthread_mutex_init(&ev->conf_lock, NULL);
	if ((ev->alerts = alerts_new(&cc->alerts, &cc->coverage)) == NULL) {
		snprintf(err, errlen, "out of memory");
		pthread_mutex_destroy(&ev->conf_lock);
		free(ev);
		return NULL;
	}
	alerts_set_provinces(ev->alerts, cc->provinces, cc->nprovinces);
	/* No digest before the overdue hamlets can have fired (alert_eval.c
	 * waits offline_after, then each kind's for, an evaluation apart). */
	ev->digest = digester_new(&cc->digest, cc->coverage.offline_after +
	    fmax(cc->alerts.for_s[AK_HAMLET_OVERDUE], cc->alerts.for_s[AK_COMMUNE_RED]) +
	    3 * cc->eval_interval);
	if (cc->inventory[0] && load(ev, err, errlen) == -1) {
		alerts_free(ev->alerts);
		digester_free(ev->digest);
		pthread_mutex_destroy(&ev->conf_lock);
		free(ev);
		return NULL;
	}
	if ((ev->pacer = pacer_start(cc->data_dir, box, err, errlen)) == NULL) {
		evaluator_free(ev);
		return NULL;
	}
	return ev;
}

void
evaluator_free(struct evaluator *ev)
{
	if (ev == NULL)
		return;
	pacer_stop(ev->pacer);
	snapshot_put(ev->prev_snap);
	inv_ref_put(ev->inv);
	alerts_free(ev->alerts);
	digester_free(ev->digest);
	alert_conf_ref_put(ev->next_ac);
	alert_conf_ref_put(ev->ac);
	pthread_mutex_destroy(&ev->conf_lock);
	free(ev->unk);
	free(ev);
}

void
evaluator_shutdown(struct evaluator *ev)
{
	if (ev != NULL)
		alerts_shutdown(ev->alerts);
}

void
evaluator_request_reload(struct evaluator *ev)
{
	atomic_store(&ev->reload, true);
}

void
evaluator_set_alert_conf(struct evaluator *ev, struct alert_conf_ref *r, const char *error)
{
	struct alert_conf_ref *old = NULL;

	pthread_mutex_lock(&ev->conf_lock);
	if (r != NULL) {
		old = ev->next_ac;
		ev->next_ac = r;
	} else {
		snprintf(ev->conf_error, sizeof ev->conf_error, "%s", error ? error : "");
		ev->conf_error_at = clock_now();
	}
	pthread_mutex_unlock(&ev->conf_lock);
	alert_conf_ref_put(old);
}

/* Installs the alert settings SIGHUP handed over, if any. */
static void
take_alert_conf(struct evaluator *ev, struct state_db *db)
{
	struct alert_conf_ref *r;

	pthread_mutex_lock(&ev->conf_lock);
	r = ev->next_ac;
	ev->next_ac = NULL;
	pthread_mutex_unlock(&ev->conf_lock);
	if (r == NULL)
		return;
	if (alerts_set_conf(ev->alerts, &r->ac, db, clock_now()) == -1) {
		/* the state DB refused: try again at the next tick */
		pthread_mutex_lock(&ev->conf_lock);
		if (ev->next_ac == NULL) {
			ev->next_ac = r;
			r = NULL;
		}
		pthread_mutex_unlock(&ev->conf_lock);
		alert_conf_ref_put(r);
		return;
	}
	alert_conf_ref_put(ev->ac);
	ev->ac = r;
	pthread_mutex_lock(&ev->conf_lock);
	ev->conf_error[0] = '\0';
	ev->conf_loaded_at = clock_now();
	pthread_mutex_unlock(&ev->conf_lock);
	log_info("reload: alerts: %d routes, %d notifiers in use", r->ac.nroutes,
	    r->ac.nnotifiers);
}

const char *
evaluator_agent_province(struct evaluator *ev, const char *agent, bool *known)
{
	const struct inv_hamlet *h;

	*known = false;
	if (ev->inv == NULL)
		return NULL;
	if ((h = inventory_hamlet_by_agent(ev->inv->inv, agent)) == NULL)
		return NULL;
	*known = true;
	return ev->inv->inv->provinces[h->province].id;
}

bool
evaluator_has_inventory(const struct evaluator *ev)
{
	return ev->inv != NULL;
}

static void
add_unknown(const char *agent, const char *province, double last_seen, uint64_t samples,
    void *arg)
{
	struct evaluator *ev = arg;
	bool known;

	if (evaluator_agent_province(ev, agent, &known), known)
		return;
	if (ev->nunk == ev->capunk) {
		size_t ncap = ev->capunk ? ev->capunk * 2 : 16;
		struct unknown_agent *n = realloc(ev->unk, ncap * sizeof *n);
		if (n == NULL)
			return;
		ev->unk = n;
		ev->capunk = ncap;
	}
	struct unknown_agent *u = &ev->unk[ev->nunk++];
	snprintf(u->agent, sizeof u->agent, "%s", agent);
	snprintf(u->province, sizeof u->province, "%s", province);
	u->last_seen = last_seen;
	u->samples = samples;
}

static void
record(struct evaluator *ev, const struct coverage *prev, const struct coverage *cov,
    struct store *st, struct state_db *db)
{
	const struct inventory *inv = cov->inv;
	struct log_limit lim = LOG_LIMIT_INIT(3, 60);
	char err[512];
	double v[STORE_ROLLUP_DS];
	/* Coverage over months needs no finer step than a minute, whatever
	 * the evaluation interval (a 1 s one made 54 MB files per commune). */
	unsigned step = (unsigned)lround(fmax(60, ev->cc->eval_interval));
	int64_t ts = (int64_t)cov->at;

	/* Transitions: one row per change (every hamlet on the first cycle). */
	if (state_db_begin(db) == 0) {
		for (size_t i = 0; i < inv->nhamlets; i++) {
			const struct hamlet_eval *h = &cov->hamlets[i];
			if (prev && prev->inv == inv && prev->hamlets[i].state == h->state)
				continue;
			if (state_db_history(db, inv->hamlets[i].id, hamlet_state_name[h->state],
			    cov->at) == -1) {
				log_limited(&lim, "state db: history: %s", state_db_errmsg(db));
				break;
			}
		}
		if (state_db_commit(db) == -1) {
			log_limited(&lim, "state db: history commit: %s", state_db_errmsg(db));
			state_db_rollback(db);
		}
	}
	/* Rollup RRDs. */
	for (size_t pass = 0; pass < 2; pass++) {
		size_t n = pass == 0 ? inv->ncommunes : inv->nprovinces;
		for (size_t i = 0; i < n; i++) {
			const struct rollup *r = pass == 0 ? &cov->communes[i] : &cov->provinces[i];
			const char *province = pass == 0 ?
			    inv->provinces[inv->communes[i].province].id : inv->provinces[i].id;
			for (int s = 0; s < HS__COUNT; s++)
				v[s] = r->counts[s];
			v[5] = r->total;
			v[6] = r->covered_pct;
			if (store_rollup(st, province, pass == 0 ? inv->communes[i].id : NULL, step,
			    ts, v, err, sizeof err) != STORE_OK)
				log_limited(&lim, "rollup: %s", err);
		}
	}
}

/* Alerts firing now by kind, for /metrics (covmon_alerts_firing). */
static void
count_firing(struct evaluator *ev)
{
	const struct alert_engine *e = alerts_engine(ev->alerts);
	long n[AK__COUNT] = { 0 };

	for (size_t i = 0; i < alert_engine_count(e); i++) {
		const struct alert *a = alert_engine_at(e, i);

		if (a->state == AS_FIRING)
			n[a->kind]++;
	}
	for (int k = 0; k < AK__COUNT; k++)
		atomic_store(&counters.alerts_firing[k], n[k]);
}

/* Each rollup's pace: the pacer's slope of its last 30 days (when read
 * for this inventory) projected from the figure just evaluated. */
static void
apply_pace(struct evaluator *ev, struct coverage *cov)
{
	struct pace_table *pt = pacer_get(ev->pacer);
	const struct inventory *inv = cov->inv;
	bool mine = pt != NULL && pt->inv == ev->inv;

	for (size_t i = 0; i < inv->ncommunes; i++) {
		struct rollup *r = &cov->communes[i];

		target_project(mine ? pt->communes[i] : NAN, r->covered_pct,
		    r->target_pct, r->deadline, cov->at, &r->pace);
	}
	for (size_t i = 0; i < inv->nprovinces; i++) {
		struct rollup *r = &cov->provinces[i];

		target_project(mine ? pt->provinces[i] : NAN, r->covered_pct,
		    r->target_pct, r->deadline, cov->at, &r->pace);
	}
	pace_table_put(pt);
}

void
evaluator_tick(struct evaluator *ev, const struct eval_source *src, double input_since,
    struct store *st, struct state_db *db)
{
	double mono = clock_mono();
	char err[2048];

	if (atomic_exchange(&ev->reload, false)) {
		if (ev->cc->inventory[0] == '\0') {
			log_info("reload: no inventory configured");
		} else if (load(ev, err, sizeof err) == -1) {
			log_warnx("reload: inventory refused, the last good one stays in use:\n%s", err);
			snprintf(ev->error, sizeof ev->error, "%s", err);
			ev->error_at = clock_now();
		} else {
			ev->error[0] = '\0';
		}
		ev->next = 0;      /* evaluate now, against the new inventory */
	}
	take_alert_conf(ev, db);
	/* Grouped notifications go when their group_wait is over, not at
	 * the next evaluation. */
	alerts_flush(ev->alerts, db, clock_now());
	if (mono < ev->next)
		return;
	ev->next = mono + ev->cc->eval_interval;

	struct snapshot *s = calloc(1, sizeof *s);
	if (s == NULL)
		return;
	atomic_init(&s->refs, 1);
	snprintf(s->inventory_error, sizeof s->inventory_error, "%s", ev->error);
	s->inventory_error_at = ev->error_at;
	pthread_mutex_lock(&ev->conf_lock);
	snprintf(s->config_error, sizeof s->config_error, "%s", ev->conf_error);
	s->config_error_at = ev->conf_error_at;
	s->config_loaded_at = ev->conf_loaded_at;
	pthread_mutex_unlock(&ev->conf_lock);
	ev->nunk = 0;
	src->each_agent(src->arg, add_unknown, ev);
	if (ev->nunk > 0 && (s->unknown = malloc(ev->nunk * sizeof *s->unknown)) != NULL) {
		memcpy(s->unknown, ev->unk, ev->nunk * sizeof *s->unknown);
		s->nunknown = ev->nunk;
	}
	if (ev->inv != NULL) {
		const struct inventory *inv = ev->inv->inv;
		double t0 = clock_mono();
		const struct coverage *prev = ev->prev;
		s->inv = inv_ref_get(ev->inv);
		if (coverage_evaluate(&s->cov, inv, &ev->cc->coverage, src->view, src->arg,
		    clock_now(), input_since, prev) == -1 ||
		    (s->views = calloc(inv->nhamlets ? inv->nhamlets : 1, sizeof *s->views)) == NULL) {
			log_warnx("evaluation: out of memory");
			snapshot_put(s);
			return;
		}
		for (size_t i = 0; i < inv->nhamlets; i++) {
			const char *agent = inv->hamlets[i].agent;
			const struct agent_view *v = agent ? src->view(agent, src->arg) : NULL;
			if (v != NULL)
				s->views[i] = *v;
			else
				s->views[i].online = -1;
		}
		apply_pace(ev, s->cov);
		atomic_store(&counters.eval_usec, (unsigned long)((clock_mono() - t0) * 1e6));
		atomic_fetch_add(&counters.evaluations, 1);
		ev->prev = s->cov;
	}
	/* Published first: history, rollup files (created on a first run,
	 * which takes long for thousands of communes) and alerts follow,
	 * while the API already serves this evaluation. The old snapshot
	 * stays referenced until they are done with its states. */
	struct snapshot *old = ev->prev_snap;
	atomic_fetch_add(&s->refs, 1);       /* ours, keeping prev alive */
	ev->prev_snap = s;
	snapshot_publish(ev->box, s);
	if (s->cov != NULL) {
		record(ev, old != NULL ? old->cov : NULL, s->cov, st, db);
		alerts_evaluate(ev->alerts, s, db, s->cov->at);
		count_firing(ev);
		digest_tick(ev->digest, ev->ac ? &ev->ac->ac : &ev->cc->alerts, s,
		    ev->cc->provinces, ev->cc->nprovinces, db, s->cov->at);
		publish_summaries(ev, s);
	}
	snapshot_put(old);
}
