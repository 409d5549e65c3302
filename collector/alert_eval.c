/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The conditions of every alert kind, read from one evaluation, and the
 * engine's output written to the state DB in one transaction per
 * evaluation. Runs on the writer thread.
 *
 * Topology: a hamlet `unreachable` behind a down uplink opens no alert of
 * its own; it is listed in its root's hamlet_down ("hamlets":[root,
 * children...]), so a backhaul cut is one alert and its recovery one
 * resolve. A hamlet already alerted on its own that becomes unreachable
 * keeps its alert open (it is still not covered) until it is covered.
 */
#include "alert_eval.h"
#include "collector.h"
#include "alert_db.h"
#include "clock.h"
#include "hash.h"
#include "log.h"

#include <sqlite3.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What is tracked of an agent between evaluations. */
struct agent_track {
	char agent[ID_MAX + 1];
	int64_t last_ts;
	double ts_moved_at;
	double dropped;          /* spool_dropped as last seen, -1 none */
	double dropped_at;       /* when it last grew */
	double seen_at;          /* evaluation that last looked (to forget) */
};

struct alerts {
	const struct alert_conf *ac;
	const struct coverage_conf *cov;
	struct alert_engine *e;
	bool restored;
	double prev_eval;
	double first_eval;       /* 0 before the first */
	double next_trim;
	struct agent_track *tr;  /* open addressing by agent id */
	size_t trcap, trn;
	struct log_limit lim;
	const char (*provinces)[ID_MAX + 1];   /* owned; none: all */
	int nprovinces;
	/* for the sink */
	struct state_db *db;
	double now;
};


static struct agent_track *
track(struct alerts *al, const char *agent)
{
	if ((al->trn + 1) * 2 > al->trcap) {
		size_t ncap = al->trcap ? al->trcap * 2 : 256;
		struct agent_track *nt = calloc(ncap, sizeof *nt);
		if (nt == NULL)
			return NULL;
		for (size_t i = 0; i < al->trcap; i++) {
			if (al->tr[i].agent[0] == '\0')
				continue;
			size_t j = hash_str(al->tr[i].agent) & (ncap - 1);
			while (nt[j].agent[0])
				j = (j + 1) & (ncap - 1);
			nt[j] = al->tr[i];
		}
		free(al->tr);
		al->tr = nt;
		al->trcap = ncap;
	}
	size_t j = hash_str(agent) & (al->trcap - 1);
	while (al->tr[j].agent[0]) {
		if (strcmp(al->tr[j].agent, agent) == 0)
			return &al->tr[j];
		j = (j + 1) & (al->trcap - 1);
	}
	struct agent_track *t = &al->tr[j];
	snprintf(t->agent, sizeof t->agent, "%s", agent);
	t->dropped = -1;
	al->trn++;
	return t;
}

struct alerts *
alerts_new(const struct alert_conf *ac, const struct coverage_conf *cov)
{
	struct alerts *al = calloc(1, sizeof *al);

	if (al == NULL)
		return NULL;
	al->ac = ac;
	al->cov = cov;
	al->lim = (struct log_limit)LOG_LIMIT_INIT(5, 60);
	if ((al->e = alert_engine_new(ac)) == NULL) {
		free(al);
		return NULL;
	}
	return al;
}

void
alerts_free(struct alerts *al)
{
	if (al == NULL)
		return;
	alert_engine_free(al->e);
	free(al->tr);
	free(al);
}

void
alerts_set_provinces(struct alerts *al, const char (*provinces)[ID_MAX + 1], int n)
{
	al->provinces = provinces;
	al->nprovinces = n;
}

/* Another collector's province (an inventory shared between collectors)
 * is that one's to alert on. */
static bool
owned(const struct alerts *al, const char *province)
{
	return collector_owns(al->provinces, al->nprovinces, province);
}

struct alert_engine *
alerts_engine(struct alerts *al)
{
	return al->e;
}

/* --- the sink: the state DB --- */

static const char *
dberr(struct alerts *al)
{
	return sqlite3_errmsg(state_db_sqlite(al->db));
}

static int64_t
sink_new_id(void *arg, const struct alert *a)
{
	struct alerts *al = arg;
	int64_t id = alert_db_insert(al->db, a, al->now);

	if (id < 0)
		log_limited(&al->lim, "state db: new alert %s %s: %s", alert_kind_name[a->kind],
		    a->scope, dberr(al));
	return id;
}

static void
sink_save(void *arg, const struct alert *a)
{
	struct alerts *al = arg;

	if (alert_db_save(al->db, a, al->now) == -1)
		log_limited(&al->lim, "state db: alert %lld: %s", (long long)a->id, dberr(al));
	if (a->state != AS_PENDING)
		log_debug("alert %lld %s %s: %s%s%s", (long long)a->id, alert_kind_name[a->kind],
		    a->scope, alert_state_name[a->state], a->silenced ? " (silenced)" : "",
		    a->acked ? " (acked)" : "");
}

static void
sink_drop(void *arg, int64_t id)
{
	struct alerts *al = arg;

	if (alert_db_delete(al->db, id) == -1)
		log_limited(&al->lim, "state db: alert %lld: %s", (long long)id, dberr(al));
}

static void
sink_queue(void *arg, const char *notifier, const char *route, const char *json,
    const char *kind, const char *state, const char *scope, const char *summary)
{
	struct alerts *al = arg;

	log_info("alert: %s to %s (route %s): %s", state, notifier, route, summary);
	if (alert_db_queue(al->db, notifier, route, json, kind, state, scope, summary,
	    al->now) == -1)
		log_limited(&al->lim, "state db: queueing a notification for %s: %s", notifier,
		    dberr(al));
}

static void
sink_pend(void *arg, const struct alert_pending *p)
{
	struct alerts *al = arg;

	if (alert_db_pend(al->db, p) == -1)
		log_limited(&al->lim, "state db: keeping alert %lld of a waiting group: %s",
		    (long long)p->id, dberr(al));
}

static void
sink_unpend(void *arg, const char *route, const char *key, bool resolved)
{
	struct alerts *al = arg;

	if (alert_db_unpend(al->db, route, key, resolved) == -1)
		log_limited(&al->lim, "state db: a sent group of route %s: %s", route, dberr(al));
}

static const struct alert_sink db_sink_proto = {
	NULL, sink_new_id, sink_save, sink_drop, sink_queue, sink_pend, sink_unpend,
};

static int
restore_one(const struct alert *a, void *arg)
{
	struct alerts *al = arg;

	if (alert_engine_restore(al->e, a) == -1)
		log_limited(&al->lim, "alert %lld: cannot restore", (long long)a->id);
	return 0;
}

/* Groups that cannot be restored (their route left the config). */
struct lost {
	struct alerts *al;
	struct { char route[64], key[ALERT_SCOPE_MAX + 8]; bool resolved; } *v;
	size_t n, cap, members;
};

static int
restore_pending(const struct alert_pending *p, void *arg)
{
	struct lost *l = arg;

	l->members++;
	if (alert_engine_restore_pending(l->al->e, p) == 0)
		return 0;
	log_warnx("alert %lld waited in a group of route '%s', which is no longer configured "
	    "(or its payload is unreadable): not sent", (long long)p->id, p->route);
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 8;
		void *nv = realloc(l->v, ncap * sizeof *l->v);
		if (nv == NULL)
			return 0;
		l->v = nv;
		l->cap = ncap;
	}
	snprintf(l->v[l->n].route, sizeof l->v[l->n].route, "%s", p->route);
	snprintf(l->v[l->n].key, sizeof l->v[l->n].key, "%s", p->key);
	l->v[l->n++].resolved = p->resolved;
	return 0;
}

/* Once, before the first evaluation or flush: the open alerts and the
 * groups that were waiting when the collector stopped (or was killed). */
static void
restore(struct alerts *al, struct state_db *db, double now)
{
	struct lost l = { .al = al };

	if (al->restored)
		return;
	al->restored = true;
	al->db = db;
	al->prev_eval = now;
	if (alert_db_each_open(db, restore_one, al) == -1)
		log_warnx("state db: reading open alerts: %s", dberr(al));
	if (alert_db_each_pending(db, restore_pending, &l) == -1)
		log_warnx("state db: reading waiting notifications: %s", dberr(al));
	for (size_t i = 0; i < l.n; i++)
		if (alert_db_unpend(db, l.v[i].route, l.v[i].key, l.v[i].resolved) == -1)
			log_warnx("state db: %s", dberr(al));
	free(l.v);
	log_info("alerts: %zu open alerts restored, %zu waiting in groups", alert_engine_count(al->e),
	    l.members);
}

/* --- conditions --- */

/* A condition's sentences, in English and in Vietnamese (for the
 * notifiers with lang = vi): written for their readers, not translated
 * word for word. */
struct texts {
	char what[ALERT_TEXT_MAX], detail[ALERT_TEXT_MAX];
	char what_vi[ALERT_TEXT_MAX], detail_vi[ALERT_TEXT_MAX];
};

/* "; also cut: A, B and C" behind a root, every name that fits (the
 * page's reader must know which sites are out), else "… and N more". */
static void
cut_detail(char *buf, size_t len, bool vi, const char *const *names, size_t n)
{
	size_t off;

	buf[0] = '\0';
	if (n == 0)
		return;
	if (vi)
		off = (size_t)snprintf(buf, len, "; kéo theo %zu thôn phía sau mất kết nối: ", n);
	else
		off = (size_t)snprintf(buf, len, "; also cut, %zu hamlet%s behind it: ", n,
		    n == 1 ? "" : "s");
	for (size_t k = 0; k < n && off < len; k++) {
		size_t need = strlen(names[k]) + 2;
		/* room for ", " + the name + " and 999 more" */
		if (off + need + 24 >= len) {
			snprintf(buf + off, len - off, vi ? " và %zu thôn khác" : " and %zu more",
			    n - k);
			return;
		}
		off += (size_t)snprintf(buf + off, len - off, "%s%s", k ? ", " : "", names[k]);
	}
}

/* A condition of hamlet h (or its agent), begun at `since` when > 0
 * (else when first seen). */
static void
observe_at(struct alerts *al, enum alert_kind kind, const char *scope,
    const struct inventory *inv, const struct inv_hamlet *h, const char *const *hamlets,
    size_t nh, const char *agent, const struct texts *tx, bool keep_only, double since)
{
	const struct inv_commune *c = h ? &inv->communes[h->commune] : NULL;
	const struct inv_province *p = h ? &inv->provinces[h->province] : NULL;
	char subject[ALERT_NAME_MAX] = "", subject_vi[ALERT_NAME_MAX] = "";

	if (h != NULL && (kind == AK_AGENT_CLOCK_SKEW || kind == AK_AGENT_SPOOL_DROPPED)) {
		snprintf(subject, sizeof subject, "agent %s of %s (%s)", agent, h->name, c->name);
		snprintf(subject_vi, sizeof subject_vi, "thiết bị đo %s của thôn %s (xã %s)",
		    agent, h->name, c->name);
	} else if (h != NULL) {
		snprintf(subject, sizeof subject, "%s (%s)", h->name, c->name);
		snprintf(subject_vi, sizeof subject_vi, "%s (%s)", h->name, c->name);
	}
	struct alert_cond cond = {
		.kind = kind, .scope = scope,
		.province = p ? p->id : "", .commune = c ? c->id : "",
		.commune_name = c ? c->name : "", .province_name = p ? p->name : "",
		.hamlets = hamlets, .nhamlets = nh, .agent = agent ? agent : "",
		.subject = subject, .since = since, .keep_only = keep_only,
		.what = tx->what, .detail = tx->detail,
		.subject_vi = subject_vi, .what_vi = tx->what_vi, .detail_vi = tx->detail_vi,
	};

	if (alert_observe(al->e, &cond) == -1)
		log_limited(&al->lim, "alerts: out of memory");
}

static void
observe(struct alerts *al, enum alert_kind kind, const char *scope, const struct inventory *inv,
    const struct inv_hamlet *h, const char *const *hamlets, size_t nh, const char *agent,
    const struct texts *tx, bool keep_only)
{
	observe_at(al, kind, scope, inv, h, hamlets, nh, agent, tx, keep_only, 0);
}

static void
agent_conditions(struct alerts *al, const struct snapshot *s, size_t i, double now)
{
	const struct inventory *inv = s->inv->inv;
	const struct inv_hamlet *h = &inv->hamlets[i];
	const struct agent_view *v = s->views ? &s->views[i] : NULL;
	const struct inv_commune *c = &inv->communes[h->commune];
	char scope[ALERT_SCOPE_MAX];
	struct texts tx;
	struct agent_track *t;

	if (h->agent == NULL || v == NULL || !v->reported || (t = track(al, h->agent)) == NULL)
		return;
	t->seen_at = now;
	snprintf(scope, sizeof scope, "agent:%s", h->agent);
	/* Clock ahead: a fresh sample's ts after its arrival. Behind: ts that
	 * moves on at the pace of real time (not a spool draining, which
	 * runs faster) but stays far back, so no sample is ever fresh. */
	bool live = v->last_seen > 0 && now - v->last_seen <= al->cov->offline_after;
	double skew = 0;
	if (live && (double)v->last_ts - v->last_seen > al->ac->clock_skew)
		skew = (double)v->last_ts - v->last_seen;
	if (v->last_ts != t->last_ts) {
		double step = (double)(v->last_ts - t->last_ts);
		double wall = now - (t->ts_moved_at > 0 ? t->ts_moved_at : al->prev_eval);
		if (t->last_ts > 0 && !live && now - (double)v->last_ts > al->ac->clock_skew &&
		    step <= 2 * wall + 1)
			skew = -(now - (double)v->last_ts);
		t->last_ts = v->last_ts;
		t->ts_moved_at = now;
	} else if (t->ts_moved_at > 0 && now - t->ts_moved_at < al->cov->offline_after && !live &&
	    now - (double)v->last_ts > al->ac->clock_skew) {
		/* between two samples: hold what the last move showed */
		skew = -(now - (double)v->last_ts);
	}
	/* Samples refused for their ts never move last_ts: the writer keeps
	 * the last one's offset. Fresh while such refusals keep coming. */
	if (v->refused_at > 0 && now - v->refused_at <= al->cov->offline_after &&
	    fabs(v->refused_skew) > al->ac->clock_skew && v->refused_at >= v->last_seen)
		skew = v->refused_skew;
	if (skew != 0) {
		snprintf(tx.what, sizeof tx.what, "agent %s of %s (%s): clock %.0f s %s", h->agent,
		    h->name, c->name, fabs(skew), skew > 0 ? "ahead" : "behind");
		snprintf(tx.detail, sizeof tx.detail, "; its samples are %s", skew > 0 ?
		    "stamped in the future (refused past max_clock_skew)" :
		    "stamped in the past, so the hamlet looks down");
		snprintf(tx.what_vi, sizeof tx.what_vi, "thiết bị đo %s của thôn %s (xã %s): đồng "
		    "hồ %s %.0f giây", h->agent, h->name, c->name, skew > 0 ? "nhanh" : "chậm",
		    fabs(skew));
		snprintf(tx.detail_vi, sizeof tx.detail_vi, "; %s", skew > 0 ?
		    "số liệu mang thời gian trong tương lai (bị từ chối khi lệch quá max_clock_skew)" :
		    "số liệu mang thời gian đã qua, nên thôn trông như mất kết nối");
		observe(al, AK_AGENT_CLOCK_SKEW, scope, inv, h, &h->id, 1, h->agent, &tx, false);
	}
	/* spool_dropped is the agent's running count: growth is the news. */
	if (v->present & (UINT64_C(1) << M_SPOOL_DROPPED)) {
		double d = v->m[M_SPOOL_DROPPED];
		if (t->dropped >= 0 && d > t->dropped)
			t->dropped_at = now;
		t->dropped = d;
		if (t->dropped_at > 0 && now - t->dropped_at < al->cov->window) {
			snprintf(tx.what, sizeof tx.what, "agent %s of %s (%s) dropping samples",
			    h->agent, h->name, c->name);
			snprintf(tx.detail, sizeof tx.detail, ": its spool is full (%.0f dropped)", d);
			snprintf(tx.what_vi, sizeof tx.what_vi, "thiết bị đo %s của thôn %s (xã %s) "
			    "đang bỏ số liệu", h->agent, h->name, c->name);
			snprintf(tx.detail_vi, sizeof tx.detail_vi, ": bộ nhớ đệm đã đầy (đã bỏ %.0f "
			    "mẫu)", d);
			observe(al, AK_AGENT_SPOOL_DROPPED, scope, inv, h, &h->id, 1, h->agent,
			    &tx, false);
		}
	}
}

void
alerts_observe(struct alerts *al, const struct snapshot *s, double now)
{
	const struct inventory *inv = s->inv ? s->inv->inv : NULL;
	const struct coverage *cov = s->cov;
	char scope[ALERT_SCOPE_MAX];
	struct texts tx;
	size_t n = inv ? inv->nhamlets : 0;

	if (al->first_eval == 0)
		al->first_eval = now;
	/* The hamlets cut behind each root, in inventory order: cut[off[r]]
	 * to cut[off[r + 1]] are root r's. */
	size_t *off = NULL, *pos = NULL;
	const char **cut = NULL, **cutname = NULL;
	if (inv && cov && n > 0) {
		off = calloc(n + 1, sizeof *off);
		pos = calloc(n, sizeof *pos);
		cut = calloc(n, sizeof *cut);
		cutname = calloc(n, sizeof *cutname);
		if (off == NULL || pos == NULL || cut == NULL || cutname == NULL) {
			log_limited(&al->lim, "alerts: out of memory");
			goto unknown;
		}
		for (size_t i = 0; i < n; i++)
			if (cov->hamlets[i].state == HS_UNREACHABLE && cov->hamlets[i].root >= 0)
				off[cov->hamlets[i].root + 1]++;
		for (size_t r = 1; r <= n; r++)
			off[r] += off[r - 1];
		for (size_t i = 0; i < n; i++) {
			int32_t r = cov->hamlets[i].root;
			if (cov->hamlets[i].state == HS_UNREACHABLE && r >= 0) {
				cutname[off[r] + pos[r]] = inv->hamlets[i].name;
				cut[off[r] + pos[r]++] = inv->hamlets[i].id;
			}
		}
	}
	for (size_t i = 0; inv && cov && i < n; i++) {
		const struct inv_hamlet *h = &inv->hamlets[i];
		const struct inv_commune *c = &inv->communes[h->commune];
		const struct hamlet_eval *ev = &cov->hamlets[i];

		if (!owned(al, inv->provinces[h->province].id))
			continue;
		snprintf(scope, sizeof scope, "hamlet:%s", h->id);
		switch (ev->state) {
		case HS_DOWN: {
			size_t nc = off[i + 1] - off[i];
			const char **list = malloc((nc + 1) * sizeof *list);
			if (list == NULL)
				break;
			list[0] = h->id;
			for (size_t k = 0; k < nc; k++)
				list[k + 1] = cut[off[i] + k];
			snprintf(tx.what, sizeof tx.what, "%s (%s) down", h->name, c->name);
			cut_detail(tx.detail, sizeof tx.detail, false, cutname + (nc ? off[i] : 0),
			    nc);
			snprintf(tx.what_vi, sizeof tx.what_vi, "%s (%s) mất kết nối", h->name,
			    c->name);
			cut_detail(tx.detail_vi, sizeof tx.detail_vi, true,
			    cutname + (nc ? off[i] : 0), nc);
			observe(al, AK_HAMLET_DOWN, scope, inv, h, list, nc + 1, h->agent, &tx,
			    false);
			free(list);
			break;
		}
		case HS_UNREACHABLE: {
			const char *root = ev->root >= 0 ? inv->hamlets[ev->root].name : "?";
			snprintf(tx.what, sizeof tx.what, "%s (%s) down", h->name, c->name);
			snprintf(tx.detail, sizeof tx.detail, "; now cut behind %s", root);
			snprintf(tx.what_vi, sizeof tx.what_vi, "%s (%s) mất kết nối", h->name,
			    c->name);
			snprintf(tx.detail_vi, sizeof tx.detail_vi, "; nay bị cắt theo %s", root);
			observe(al, AK_HAMLET_DOWN, scope, inv, h, &h->id, 1, h->agent, &tx, true);
			break;
		}
		case HS_DEGRADED: {
			char l[96] = "", r[96] = "", lv[128] = "", rv[128] = "";
			double ml = al->cov->max_loss_pct, mr = al->cov->max_rtt_ms;
			double f = COVERAGE_CLEAR_FRACTION;
			snprintf(tx.what, sizeof tx.what, "%s (%s) degraded", h->name, c->name);
			snprintf(tx.what_vi, sizeof tx.what_vi, "%s (%s) chất lượng kém", h->name,
			    c->name);
			if (ev->loss_breach) {
				snprintf(l, sizeof l, " loss %.1f %% (fires above %g %%; clears below %g %%)",
				    ev->loss_pct, ml, f * ml);
				snprintf(lv, sizeof lv, " mất gói %.1f %% (ngưỡng %g %%; hết cảnh báo "
				    "khi dưới %g %%)", ev->loss_pct, ml, f * ml);
				alert_vi_decimal(lv);
			}
			if (ev->rtt_breach) {
				snprintf(r, sizeof r, "%s RTT %.0f ms (fires above %g ms; clears below %g ms)",
				    l[0] ? "," : "", ev->rtt_ms, mr, f * mr);
				snprintf(rv, sizeof rv, "%s độ trễ %.0f ms (ngưỡng %g ms; hết cảnh báo "
				    "khi dưới %g ms)", lv[0] ? "," : "", ev->rtt_ms, mr, f * mr);
				alert_vi_decimal(rv);
			}
			snprintf(tx.detail, sizeof tx.detail, ":%s%s", l, r);
			snprintf(tx.detail_vi, sizeof tx.detail_vi, ":%s%s", lv, rv);
			observe(al, AK_HAMLET_DEGRADED, scope, inv, h, &h->id, 1, h->agent, &tx,
			    false);
			break;
		}
		case HS_UNMONITORED:
			/* Down and degraded hamlets have their own alerts: overdue
			 * is the rollout's alert, for a hamlet with no working site.
			 * Not before offline_after from the start: every agent
			 * that has not spoken yet looks unmonitored then. */
			if (ev->overdue && now - al->first_eval > al->cov->offline_after) {
				char date[16];
				inventory_date_str(h->target_date, date, sizeof date);
				snprintf(tx.what, sizeof tx.what, "%s (%s) overdue (target date %s)",
				    h->name, c->name, date);
				snprintf(tx.detail, sizeof tx.detail, "; %s", h->agent ?
				    "its agent never reported" : "no agent installed");
				char date_vi[16];
				inventory_date_str_lang(h->target_date, true, date_vi, sizeof date_vi);
				snprintf(tx.what_vi, sizeof tx.what_vi, "%s (%s) quá hạn phủ sóng (hạn "
				    "%s)", h->name, c->name, date_vi);
				snprintf(tx.detail_vi, sizeof tx.detail_vi, "; %s", h->agent ?
				    "thiết bị đo chưa từng gửi số liệu" : "chưa lắp thiết bị đo");
				/* Overdue since its target date ended, not since this
				 * collector first looked. */
				observe_at(al, AK_HAMLET_OVERDUE, scope, inv, h, &h->id, 1, h->agent,
				    &tx, false, (double)(h->target_date + 1) * 86400.0);
			}
			break;
		default:
			break;
		}
		agent_conditions(al, s, i, now);
	}
	for (size_t i = 0; inv && cov && i < inv->ncommunes; i++) {
		const struct rollup *r = &cov->communes[i];
		const struct inv_commune *c = &inv->communes[i];
		const struct inv_province *p = &inv->provinces[c->province];
		if (r->colour != COLOUR_RED || !owned(al, p->id))
			continue;
		snprintf(scope, sizeof scope, "commune:%s", c->id);
		char subject[ALERT_NAME_MAX], subject_vi[ALERT_NAME_MAX];
		snprintf(subject, sizeof subject, "%s (%s)", c->name, p->name);
		snprintf(subject_vi, sizeof subject_vi, "xã %s (%s)", c->name, p->name);
		snprintf(tx.what, sizeof tx.what, "%s (%s) red", c->name, p->name);
		snprintf(tx.detail, sizeof tx.detail, ": %.0f %% covered, target %g %%",
		    r->covered_pct, r->target_pct);
		snprintf(tx.what_vi, sizeof tx.what_vi, "xã %s (%s) ở mức đỏ", c->name, p->name);
		snprintf(tx.detail_vi, sizeof tx.detail_vi, ": phủ sóng %.0f %%, mục tiêu %g %%",
		    r->covered_pct, r->target_pct);
		alert_vi_decimal(tx.detail_vi);
		struct alert_cond cond = {
			.kind = AK_COMMUNE_RED, .scope = scope, .province = p->id,
			.commune = c->id, .commune_name = c->name, .province_name = p->name,
			.what = tx.what, .detail = tx.detail, .agent = "", .subject = subject,
			.what_vi = tx.what_vi, .detail_vi = tx.detail_vi, .subject_vi = subject_vi,
		};
		if (alert_observe(al->e, &cond) == -1)
			log_limited(&al->lim, "alerts: out of memory");
	}
unknown:
	free(off);
	free(pos);
	free(cut);
	free(cutname);
	for (size_t i = 0; i < s->nunknown; i++) {
		const struct unknown_agent *u = &s->unknown[i];
		if (u->last_seen <= 0 || now - u->last_seen > al->cov->offline_after)
			continue;
		snprintf(scope, sizeof scope, "agent:%s", u->agent);
		snprintf(tx.what, sizeof tx.what, "agent %s reports under %s but is not in the "
		    "inventory", u->agent, u->province);
		snprintf(tx.what_vi, sizeof tx.what_vi, "thiết bị đo %s gửi số liệu cho %s nhưng "
		    "không có trong danh mục", u->agent, u->province);
		char subject[ALERT_NAME_MAX], subject_vi[ALERT_NAME_MAX];
		snprintf(subject, sizeof subject, "agent %s (%s)", u->agent, u->province);
		snprintf(subject_vi, sizeof subject_vi, "thiết bị đo %s (%s)", u->agent,
		    u->province);
		struct alert_cond cond = {
			.kind = AK_AGENT_UNKNOWN, .scope = scope, .province = u->province,
			.commune = "", .commune_name = "", .province_name = "",
			.agent = u->agent, .what = tx.what, .detail = "", .subject = subject,
			.what_vi = tx.what_vi, .detail_vi = "", .subject_vi = subject_vi,
		};
		if (alert_observe(al->e, &cond) == -1)
			log_limited(&al->lim, "alerts: out of memory");
	}
}

void
alerts_evaluate(struct alerts *al, const struct snapshot *s, struct state_db *db,
    double now)
{
	struct alert_sink sink = db_sink_proto;
	struct alert_silence *sil = NULL;
	int64_t *acked = NULL;
	size_t nsil = 0, nacked = 0;

	al->db = db;
	al->now = now;
	sink.arg = al;
	restore(al, db, now);
	if (alert_db_silences(db, now, &sil, &nsil) == -1 ||
	    alert_db_acked(db, &acked, &nacked) == -1)
		log_limited(&al->lim, "state db: reading silences and acks: %s", dberr(al));
	alert_begin(al->e, now);
	alerts_observe(al, s, now);
	if (state_db_begin(db) == -1) {
		log_limited(&al->lim, "state db: begin: %s", state_db_errmsg(db));
	} else {
		alert_end(al->e, now, sil, nsil, acked, nacked, &sink);
		if (now >= al->next_trim) {
			if (alert_db_trim(db, now - al->ac->keep_days * 86400) == -1)
				log_limited(&al->lim, "state db: trimming alert history: %s",
				    dberr(al));
			al->next_trim = now + 3600;
		}
		if (state_db_commit(db) == -1) {
			log_limited(&al->lim, "state db: alerts commit: %s", state_db_errmsg(db));
			state_db_rollback(db);
		}
	}
	al->prev_eval = now;
	free(sil);
	free(acked);
}

/* Sends the groups due at `upto`; `now` stamps their queue rows. */
static void
flush(struct alerts *al, struct state_db *db, double upto, double now)
{
	struct alert_sink sink = db_sink_proto;

	restore(al, db, now);
	al->db = db;
	al->now = now;
	sink.arg = al;
	if (!alert_flush_due(al->e, upto) || state_db_begin(db) == -1)
		return;
	alert_flush(al->e, upto, &sink);
	if (state_db_commit(db) == -1) {
		log_limited(&al->lim, "state db: notifications commit: %s", state_db_errmsg(db));
		state_db_rollback(db);
	}
}

void
alerts_flush(struct alerts *al, struct state_db *db, double now)
{
	flush(al, db, now, now);
}

int
alerts_set_conf(struct alerts *al, const struct alert_conf *ac, struct state_db *db, double now)
{
	struct alert_sink sink = db_sink_proto;

	restore(al, db, now);
	al->db = db;
	al->now = now;
	sink.arg = al;
	if (state_db_begin(db) == -1) {
		log_limited(&al->lim, "state db: begin: %s", state_db_errmsg(db));
		return -1;     /* the old configuration stays */
	}
	alert_engine_set_conf(al->e, ac, &sink);
	if (state_db_commit(db) == -1) {
		log_limited(&al->lim, "state db: notifications commit: %s", state_db_errmsg(db));
		state_db_rollback(db);
	}
	al->ac = ac;
	return 0;
}

void
alerts_shutdown(struct alerts *al)
{
	/* The writer has stopped: its connection is free for this thread.
	 * The waiting groups are kept in the DB anyway; sending them now
	 * spares them a second group_wait after the restart. */
	if (al->db != NULL)
		flush(al, al->db, INFINITY, clock_now());
}
