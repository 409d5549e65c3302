/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The alert engine (DESIGN.md section 7): each evaluation's true conditions
 * become alerts that go pending -> firing -> resolved, with `for` and
 * `clear_for` hysteresis, flapping held back, repeats that back off and
 * stop on ack, silences that mute; notifications are routed and grouped
 * per route and group_by value for group_wait, then handed to the sink.
 * Pure: no I/O, no clock (see alert.h).
 */
#include "alert.h"
#include "conf.h"
#include "hash.h"

#include <json-c/json.h>

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *const alert_kind_name[AK__COUNT] = {
	"hamlet_down", "hamlet_degraded", "hamlet_overdue", "commune_red",
	"agent_unknown", "agent_clock_skew", "agent_spool_dropped",
};
const char *const alert_state_name[3] = { "pending", "firing", "resolved" };
const char *const alert_severity_name[3] = { "info", "warning", "critical" };
const char *const webhook_format_name[3] = { "covmon", "telegram", "zalo" };

enum alert_severity
alert_kind_severity(enum alert_kind k)
{
	switch (k) {
	case AK_HAMLET_DOWN:
		return SEV_CRITICAL;
	case AK_HAMLET_OVERDUE:
	case AK_COMMUNE_RED:
		return SEV_INFO;
	default:
		return SEV_WARNING;
	}
}

int
alert_severity_lookup(const char *name)
{
	for (int i = 0; i < 3; i++)
		if (strcmp(name, alert_severity_name[i]) == 0)
			return i;
	return -1;
}

/* Condition changes within flap_window that mark a firing alert flapping
 * (it bounces faster than clear_for: no notification, but say so). */
#define FLAP_CHANGES	4
#define NCHANGES	(sizeof ((struct alert *)0)->changes / sizeof (double))

/* A notification being gathered: one route, one group_by value, one state. */
struct member {
	json_object *o;          /* the alert's own payload */
	size_t nhamlets;
	double since;
	int64_t id;
	char summary[ALERT_TEXT_MAX * 2];
};

struct group {
	int route;
	char key[ALERT_SCOPE_MAX + 8];
	char scope[ALERT_SCOPE_MAX];   /* of the group: "commune:bat-xat" */
	char name[ALERT_NAME_MAX];     /* its display name */
	char province[ID_MAX + 1], commune[ID_MAX + 1];
	bool resolved;
	double deadline;
	struct member *m;
	size_t n, cap;
};

struct alert_engine {
	const struct alert_conf *ac;
	struct alert **v;
	size_t n, cap;
	size_t *tab;             /* hash: index + 1, 0 empty */
	size_t tabcap;
	struct group *g;
	size_t ng, capg;
	double now;              /* of the evaluation under way */
};

int
alert_kind_lookup(const char *name)
{
	for (int i = 0; i < AK__COUNT; i++)
		if (strcmp(name, alert_kind_name[i]) == 0)
			return i;
	return -1;
}

bool
alert_silence_matches(const struct alert_match *m, const struct alert *a)
{
	return alert_match_hits(m, a->province, a->commune, a->agent,
	    (const char (*)[ID_MAX + 1])a->hamlets, a->nhamlets);
}

static bool
route_matches(const struct route_conf *r, const struct alert *a)
{
	if (r->kinds != 0 && !(r->kinds & (1u << a->kind)))
		return false;
	if (alert_kind_severity(a->kind) < r->min_severity)
		return false;
	return alert_silence_matches(&r->match, a);
}

/* "2026-12-07 21:12 UTC+7": local time with its offset, for people paged
 * who may not be where the server is; vi: "21:12 ngày 07/12/2026 (UTC+7)". */
void
alert_local_time_lang(double t, bool vi, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char hm[40], zone[48];

	buf[0] = '\0';
	if (localtime_r(&tt, &tm) == NULL || strftime(hm, sizeof hm,
	    vi ? "%H:%M ngày %d/%m/%Y" : "%Y-%m-%d %H:%M", &tm) == 0)
		return;
	long off = tm.tm_gmtoff / 60;
	char sign = off < 0 ? '-' : '+';
	off = off < 0 ? -off : off;
	if (off % 60 != 0)
		snprintf(zone, sizeof zone, "UTC%c%ld:%02ld", sign, off / 60, off % 60);
	else
		snprintf(zone, sizeof zone, "UTC%c%ld", sign, off / 60);
	snprintf(buf, len, vi ? "%s (%s)" : "%s %s", hm, zone);
}

void
alert_vi_decimal(char *s)
{
	for (char *p = s; *p != '\0'; p++)
		if (*p == '.' && p > s && p[-1] >= '0' && p[-1] <= '9' && p[1] >= '0' &&
		    p[1] <= '9')
			*p = ',';
}

void
alert_local_time(double t, char *buf, size_t len)
{
	alert_local_time_lang(t, false, buf, len);
}

void
alert_summary_lang(const struct alert *a, bool vi, char *buf, size_t len)
{
	char at[64];
	/* Vietnamese only where all of it is kept: never half and half. */
	vi = vi && a->what_vi[0] && a->subject_vi[0];
	const char *subject = vi ? a->subject_vi : a->subject;

	if (a->state == AS_RESOLVED && a->resolved_at > 0) {
		/* One line: what came back, after how long. */
		char took[32], cut[64] = "";
		double d = a->resolved_at - a->since;
		alert_local_time_lang(a->resolved_at, vi, at, sizeof at);
		if (d < 5400)
			snprintf(took, sizeof took, vi ? "%.0f phút" : "%.0f min", ceil(d / 60));
		else if (vi) {
			snprintf(took, sizeof took, "%.1f giờ", d / 3600);
			char *dot = strchr(took, '.');
			if (dot != NULL)
				*dot = ',';
		} else
			snprintf(took, sizeof took, "%.1f h", d / 3600);
		if (a->kind == AK_HAMLET_DOWN && a->nhamlets > 1) {
			if (vi)
				snprintf(cut, sizeof cut, " và %zu thôn phía sau", a->nhamlets - 1);
			else
				snprintf(cut, sizeof cut, " and %zu hamlet%s behind it",
				    a->nhamlets - 1, a->nhamlets == 2 ? "" : "s");
		}
		snprintf(buf, len, vi ? "%s%s: đã hoạt động lại sau %s, lúc %s" :
		    "%s%s: back after %s, at %s", subject[0] ? subject : a->what, cut, took, at);
		return;
	}
	alert_local_time_lang(a->since, vi, at, sizeof at);
	snprintf(buf, len, vi ? "%s từ %s%s%s" : "%s since %s%s%s", vi ? a->what_vi : a->what, at,
	    vi ? a->detail_vi : a->detail, !a->flapping ? "" : vi ? " (chập chờn)" : " (flapping)");
}

void
alert_summary(const struct alert *a, char *buf, size_t len)
{
	alert_summary_lang(a, false, buf, len);
}

/* --- the table of alerts, by kind and scope --- */

static uint64_t
key_hash(enum alert_kind kind, const char *scope)
{
	return hash_more(HASH_INIT ^ (uint64_t)kind, scope);
}

static int
tab_rebuild(struct alert_engine *e, size_t cap)
{
	size_t *t = calloc(cap, sizeof *t);

	if (t == NULL)
		return -1;
	for (size_t i = 0; i < e->n; i++) {
		size_t j = key_hash(e->v[i]->kind, e->v[i]->scope) & (cap - 1);
		while (t[j])
			j = (j + 1) & (cap - 1);
		t[j] = i + 1;
	}
	free(e->tab);
	e->tab = t;
	e->tabcap = cap;
	return 0;
}

static struct alert *
find(const struct alert_engine *e, enum alert_kind kind, const char *scope)
{
	if (e->tabcap == 0)
		return NULL;
	size_t j = key_hash(kind, scope) & (e->tabcap - 1);
	while (e->tab[j]) {
		struct alert *a = e->v[e->tab[j] - 1];
		if (a->kind == kind && strcmp(a->scope, scope) == 0)
			return a;
		j = (j + 1) & (e->tabcap - 1);
	}
	return NULL;
}

const struct alert *
alert_engine_find(const struct alert_engine *e, enum alert_kind kind, const char *scope)
{
	return find(e, kind, scope);
}

size_t
alert_engine_count(const struct alert_engine *e)
{
	return e->n;
}

const struct alert *
alert_engine_at(const struct alert_engine *e, size_t i)
{
	return i < e->n ? e->v[i] : NULL;
}

static void
alert_free(struct alert *a)
{
	if (a) {
		free(a->hamlets);
		free(a);
	}
}

static struct alert *
add(struct alert_engine *e, struct alert *a)
{
	if (e->n == e->cap) {
		size_t ncap = e->cap ? e->cap * 2 : 64;
		struct alert **nv = realloc(e->v, ncap * sizeof *nv);
		if (nv == NULL)
			return NULL;
		e->v = nv;
		e->cap = ncap;
	}
	e->v[e->n++] = a;
	if (e->n * 2 > e->tabcap) {
		if (tab_rebuild(e, e->tabcap ? e->tabcap * 2 : 128) == -1) {
			e->n--;
			return NULL;
		}
	} else {
		size_t j = key_hash(a->kind, a->scope) & (e->tabcap - 1);
		while (e->tab[j])
			j = (j + 1) & (e->tabcap - 1);
		e->tab[j] = e->n;
	}
	return a;
}

static int
set_hamlets(struct alert *a, const char *const *h, size_t n)
{
	bool same = n == a->nhamlets;

	for (size_t i = 0; same && i < n; i++)
		same = strcmp(a->hamlets[i], h[i]) == 0;
	if (same)
		return 0;
	char (*nh)[ID_MAX + 1] = n ? calloc(n, sizeof *nh) : NULL;
	if (n && nh == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		snprintf(nh[i], sizeof nh[i], "%s", h[i]);
	free(a->hamlets);
	a->hamlets = nh;
	a->nhamlets = n;
	a->dirty = true;
	return 0;
}

/* Copies src into a fixed field, noting a change. */
static void
set_str(struct alert *a, char *dst, size_t len, const char *src)
{
	if (src == NULL)
		src = "";
	if (strncmp(dst, src, len - 1) != 0) {
		snprintf(dst, len, "%s", src);
		a->dirty = true;
	}
}

static void
change(struct alert *a, double now)
{
	a->changes[a->nchanges % NCHANGES] = now;
	a->nchanges++;
}

static unsigned
changes_within(const struct alert *a, double since)
{
	unsigned n = 0;

	for (size_t i = 0; i < NCHANGES && i < a->nchanges; i++)
		if (a->changes[i] >= since)
			n++;
	return n;
}

struct alert_engine *
alert_engine_new(const struct alert_conf *ac)
{
	struct alert_engine *e = calloc(1, sizeof *e);

	if (e)
		e->ac = ac;
	return e;
}

static void
group_clear(struct group *g)
{
	for (size_t i = 0; i < g->n; i++)
		json_object_put(g->m[i].o);
	free(g->m);
	g->m = NULL;
	g->n = g->cap = 0;
}

void
alert_engine_free(struct alert_engine *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->n; i++)
		alert_free(e->v[i]);
	for (size_t i = 0; i < e->ng; i++)
		group_clear(&e->g[i]);
	free(e->g);
	free(e->v);
	free(e->tab);
	free(e);
}

int
alert_engine_restore(struct alert_engine *e, const struct alert *src)
{
	struct alert *a = malloc(sizeof *a);

	if (a == NULL)
		return -1;
	*a = *src;
	a->hamlets = NULL;
	a->nhamlets = 0;
	if (src->nhamlets) {
		const char **h = calloc(src->nhamlets, sizeof *h);
		if (h == NULL)
			goto fail;
		for (size_t i = 0; i < src->nhamlets; i++)
			h[i] = src->hamlets[i];
		int rc = set_hamlets(a, h, src->nhamlets);
		free(h);
		if (rc == -1)
			goto fail;
	}
	a->dirty = false;
	a->seen = false;
	if (find(e, a->kind, a->scope) != NULL || add(e, a) == NULL)
		goto fail;
	return 0;
fail:
	alert_free(a);
	return -1;
}

void
alert_begin(struct alert_engine *e, double now)
{
	e->now = now;
	for (size_t i = 0; i < e->n; i++)
		e->v[i]->seen = false;
}

static void
fill(struct alert *a, const struct alert_cond *c)
{
	set_str(a, a->province, sizeof a->province, c->province);
	set_str(a, a->commune, sizeof a->commune, c->commune);
	set_str(a, a->agent, sizeof a->agent, c->agent);
	set_str(a, a->commune_name, sizeof a->commune_name, c->commune_name);
	set_str(a, a->province_name, sizeof a->province_name, c->province_name);
	set_str(a, a->subject, sizeof a->subject, c->subject ? c->subject : "");
	set_str(a, a->what, sizeof a->what, c->what);
	set_str(a, a->detail, sizeof a->detail, c->detail);
	set_str(a, a->subject_vi, sizeof a->subject_vi, c->subject_vi ? c->subject_vi : "");
	set_str(a, a->what_vi, sizeof a->what_vi, c->what_vi ? c->what_vi : "");
	set_str(a, a->detail_vi, sizeof a->detail_vi, c->detail_vi ? c->detail_vi : "");
}

/* A new alert (a, cleared) for condition c: pending, seen this tick, to
 * be saved; its start c's, or (-1) set by alert_end(), which knows now. */
static int
begin_pending(struct alert *a, const struct alert_cond *c)
{
	a->kind = c->kind;
	a->state = AS_PENDING;
	snprintf(a->scope, sizeof a->scope, "%s", c->scope);
	fill(a, c);
	if (set_hamlets(a, c->hamlets, c->nhamlets) == -1)
		return -1;
	a->seen = true;
	a->dirty = true;
	a->fresh = true;
	a->since = c->since > 0 ? c->since : -1;
	return 0;
}

int
alert_observe(struct alert_engine *e, const struct alert_cond *c)
{
	struct alert *a = find(e, c->kind, c->scope);

	if (a != NULL && a->state != AS_RESOLVED) {
		a->seen = true;
		fill(a, c);
		return set_hamlets(a, c->hamlets, c->nhamlets);
	}
	if (c->keep_only)
		return 0;
	if (a != NULL && e->now - a->resolved_at < e->ac->flap_window) {
		/* Resolved a short while ago: the same problem back, which
		 * alert_end() reopens as flapping. */
		a->seen = true;
		fill(a, c);
		return set_hamlets(a, c->hamlets, c->nhamlets);
	}
	if (a != NULL) {
		/* Resolved long enough ago: a new alert in the old one's place
		 * (its row stays in the history). */
		char (*h)[ID_MAX + 1] = a->hamlets;
		memset(a, 0, sizeof *a);
		a->hamlets = h;
		return begin_pending(a, c);
	}
	if ((a = calloc(1, sizeof *a)) == NULL)
		return -1;
	if (begin_pending(a, c) == -1 || add(e, a) == NULL) {
		alert_free(a);
		return -1;
	}
	return 0;
}

/* --- notifications --- */

/* The dashboard page of a scope under [http] public_url, "" without one:
 * hamlet, commune and province pages; an agent's hamlet (or its
 * province, for an agent the inventory does not know). */
static void
scope_url(const struct alert_conf *ac, const char *scope, const char *hamlet,
    const char *province, char *buf, size_t len)
{
	const char *colon = strchr(scope, ':');

	buf[0] = '\0';
	if (ac->public_url[0] == '\0' || colon == NULL)
		return;
	if (strncmp(scope, "agent:", 6) == 0) {
		if (hamlet != NULL && hamlet[0])
			snprintf(buf, len, "%s/hamlet/%s", ac->public_url, hamlet);
		else if (province[0])
			snprintf(buf, len, "%s/province/%s", ac->public_url, province);
		else
			snprintf(buf, len, "%s/", ac->public_url);
		return;
	}
	snprintf(buf, len, "%s/%.*s/%s", ac->public_url, (int)(colon - scope), scope, colon + 1);
}

/* The payload of one alert; `summary` gets the notification's sentence:
 * the alert's, then how to ack it and where to look. */
static json_object *
alert_json(const struct alert_conf *ac, const struct alert *a, char *summary, size_t slen)
{
	json_object *o = json_object_new_object();
	char id[32], url[ALERT_SCOPE_MAX + sizeof ac->public_url + 16];

	if (o == NULL)
		return NULL;
	char vi[ALERT_TEXT_MAX * 2 + 64];
	alert_summary(a, summary, slen);
	alert_summary_lang(a, true, vi, sizeof vi);
	scope_url(ac, a->scope, a->nhamlets ? a->hamlets[0] : NULL, a->province, url, sizeof url);
	if (a->state != AS_RESOLVED) {
		size_t n = strlen(summary);
		snprintf(summary + n, slen - n, " — ack: covmon ack %lld", (long long)a->id);
		n = strlen(vi);
		snprintf(vi + n, sizeof vi - n, " — xác nhận: covmon ack %lld", (long long)a->id);
	}
	/* Taken out of the payload as sent (payload_lang). */
	json_object_object_add(o, "summary_vi", json_object_new_string(vi));
	snprintf(id, sizeof id, "%lld", (long long)a->id);
	json_object_object_add(o, "v", json_object_new_int(1));
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "kind", json_object_new_string(alert_kind_name[a->kind]));
	json_object_object_add(o, "severity", json_object_new_string(
	    alert_severity_name[alert_kind_severity(a->kind)]));
	json_object_object_add(o, "state", json_object_new_string(
	    a->state == AS_RESOLVED ? "resolved" : "firing"));
	alert_json_place(o, a);
	json_object_object_add(o, "since", json_object_new_int64((int64_t)floor(a->since)));
	json_object_object_add(o, "summary", json_object_new_string(summary));
	if (a->agent[0])
		json_object_object_add(o, "agent", json_object_new_string(a->agent));
	if (a->state == AS_RESOLVED)
		json_object_object_add(o, "resolved_at",
		    json_object_new_int64((int64_t)floor(a->resolved_at)));
	json_object_object_add(o, "flapping", json_object_new_boolean(a->flapping));
	if (url[0])
		json_object_object_add(o, "url", json_object_new_string(url));
	return o;
}

static void
group_value(const struct route_conf *r, const struct alert *a, char *key, size_t len,
    struct group *g)
{
	switch (r->group_by) {
	case GB_COMMUNE:
		if (a->commune[0]) {
			snprintf(key, len, "c:%s", a->commune);
			snprintf(g->scope, sizeof g->scope, "commune:%s", a->commune);
			snprintf(g->name, sizeof g->name, "%s", a->commune_name[0] ?
			    a->commune_name : a->commune);
			snprintf(g->commune, sizeof g->commune, "%s", a->commune);
			snprintf(g->province, sizeof g->province, "%s", a->province);
			return;
		}
		/* no commune (an unknown agent): its province */
		__attribute__((fallthrough));
	case GB_PROVINCE:
		snprintf(key, len, "p:%s", a->province);
		snprintf(g->scope, sizeof g->scope, "province:%s", a->province);
		snprintf(g->name, sizeof g->name, "%s", a->province_name[0] ?
		    a->province_name : a->province);
		snprintf(g->province, sizeof g->province, "%s", a->province);
		g->commune[0] = '\0';
		return;
	case GB_NONE:
		snprintf(key, len, "#%lld", (long long)a->id);
		snprintf(g->scope, sizeof g->scope, "%s", a->scope);
		snprintf(g->name, sizeof g->name, "%s", a->scope);
		snprintf(g->province, sizeof g->province, "%s", a->province);
		snprintf(g->commune, sizeof g->commune, "%s", a->commune);
		return;
	}
}

/* The group of (route, key, state), made with `tmp`'s names and the
 * deadline when new; NULL when out of memory. */
static struct group *
group_get(struct alert_engine *e, int ri, const char *key, bool resolved,
    const struct group *tmp, double deadline)
{
	struct group *g;

	for (size_t i = 0; i < e->ng; i++)
		if (e->g[i].route == ri && e->g[i].resolved == resolved &&
		    strcmp(e->g[i].key, key) == 0)
			return &e->g[i];
	if (e->ng == e->capg) {
		size_t ncap = e->capg ? e->capg * 2 : 16;
		struct group *ng = realloc(e->g, ncap * sizeof *ng);
		if (ng == NULL)
			return NULL;
		e->g = ng;
		e->capg = ncap;
	}
	g = &e->g[e->ng++];
	*g = *tmp;
	g->m = NULL;
	g->n = g->cap = 0;
	g->route = ri;
	g->resolved = resolved;
	snprintf(g->key, sizeof g->key, "%s", key);
	g->deadline = deadline;
	return g;
}

/* Adds a member (taking `o`); 1 when added, 0 when it was there already
 * (a repeat and its firing in the same window), -1 out of memory. */
static int
member_add(struct group *g, json_object *o, int64_t id, size_t nhamlets, double since,
    const char *summary)
{
	for (size_t i = 0; i < g->n; i++)
		if (g->m[i].id == id) {
			json_object_put(o);
			return 0;
		}
	if (g->n == g->cap) {
		size_t ncap = g->cap ? g->cap * 2 : 8;
		struct member *nm = realloc(g->m, ncap * sizeof *nm);
		if (nm == NULL) {
			json_object_put(o);
			return -1;
		}
		g->m = nm;
		g->cap = ncap;
	}
	struct member *m = &g->m[g->n++];
	m->o = o;
	m->nhamlets = nhamlets;
	m->since = since;
	m->id = id;
	snprintf(m->summary, sizeof m->summary, "%s", summary);
	return 1;
}

/* What the sink keeps of a member while its group waits. */
static void
member_pend(const struct alert_engine *e, const struct group *g, const struct member *m,
    const struct alert_sink *sink)
{
	if (sink == NULL || sink->pend == NULL)
		return;
	struct alert_pending p = {
		.route = e->ac->routes[g->route].name, .key = g->key, .resolved = g->resolved,
		.deadline = g->deadline, .scope = g->scope, .name = g->name,
		.province = g->province, .commune = g->commune, .id = m->id,
		.nhamlets = m->nhamlets, .since = m->since, .summary = m->summary,
		.json = json_object_to_json_string_ext(m->o, JSON_C_TO_STRING_PLAIN |
		    JSON_C_TO_STRING_NOSLASHESCAPE),
	};
	if (p.json != NULL)
		sink->pend(sink->arg, &p);
}

static void
group_add(struct alert_engine *e, int ri, const struct alert *a, double now,
    const struct alert_sink *sink)
{
	const struct route_conf *r = &e->ac->routes[ri];
	struct group tmp = { 0 }, *g;
	char key[sizeof tmp.key], summary[sizeof ((struct member *)0)->summary];
	json_object *o;

	group_value(r, a, key, sizeof key, &tmp);
	if ((g = group_get(e, ri, key, a->state == AS_RESOLVED, &tmp, now + r->group_wait)) == NULL)
		return;
	if ((o = alert_json(e->ac, a, summary, sizeof summary)) == NULL)
		return;
	if (member_add(g, o, a->id, a->nhamlets, a->since, summary) == 1)
		member_pend(e, g, &g->m[g->n - 1], sink);
}

int
alert_engine_restore_pending(struct alert_engine *e, const struct alert_pending *p)
{
	struct group tmp = { 0 }, *g;
	json_object *o;
	int ri;

	for (ri = 0; ri < e->ac->nroutes; ri++)
		if (strcmp(e->ac->routes[ri].name, p->route) == 0)
			break;
	if (ri == e->ac->nroutes)
		return -1;
	if ((o = json_tokener_parse(p->json)) == NULL || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return -1;
	}
	snprintf(tmp.scope, sizeof tmp.scope, "%s", p->scope);
	snprintf(tmp.name, sizeof tmp.name, "%s", p->name);
	snprintf(tmp.province, sizeof tmp.province, "%s", p->province);
	snprintf(tmp.commune, sizeof tmp.commune, "%s", p->commune);
	if ((g = group_get(e, ri, p->key, p->resolved, &tmp, p->deadline)) == NULL) {
		json_object_put(o);
		return -1;
	}
	return member_add(g, o, p->id, p->nhamlets, p->since, p->summary) == -1 ? -1 : 0;
}

/* Routes the alert's current state to every route that takes it. */
static void
notify(struct alert_engine *e, const struct alert *a, double now, const struct alert_sink *sink)
{
	for (int i = 0; i < e->ac->nroutes; i++) {
		const struct route_conf *r = &e->ac->routes[i];
		if (!route_matches(r, a))
			continue;
		group_add(e, i, a, now, sink);
		if (!r->cont)
			break;
	}
}

/* The shortest repeat of the routes that take the alert, 0 for none. */
static double
repeat_of(const struct alert_engine *e, const struct alert *a)
{
	double rep = 0;

	for (int i = 0; i < e->ac->nroutes; i++) {
		const struct route_conf *r = &e->ac->routes[i];
		if (!route_matches(r, a))
			continue;
		if (r->repeat > 0 && (rep == 0 || r->repeat < rep))
			rep = r->repeat;
		if (!r->cont)
			break;
	}
	return rep;
}

static int
member_cmp(const void *x, const void *y)
{
	const struct member *a = x, *b = y;

	/* The widest cut first: it is most likely the root cause. */
	if (a->nhamlets != b->nhamlets)
		return a->nhamlets > b->nhamlets ? -1 : 1;
	if (a->since != b->since)
		return a->since < b->since ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

/* The payload for a notifier: "summary" in its language, the Vietnamese
 * copies ("summary_vi", which each member's payload carries) taken out.
 * Returns a new object. */
static json_object *
payload_lang(json_object *o, bool vi, const char *summary)
{
	json_object *c = NULL, *list, *v;

	if (json_object_deep_copy(o, &c, NULL) != 0)
		return NULL;
	json_object_object_add(c, "summary", json_object_new_string(summary));
	json_object_object_del(c, "summary_vi");
	if (json_object_object_get_ex(c, "alerts", &list))
		for (size_t i = 0; i < json_object_array_length(list); i++) {
			json_object *m = json_object_array_get_idx(list, i);
			if (vi && json_object_object_get_ex(m, "summary_vi", &v))
				json_object_object_add(m, "summary",
				    json_object_new_string(json_object_get_string(v)));
			json_object_object_del(m, "summary_vi");
		}
	return c;
}

/* "[critical] Mường Khương: 3 alerts, 5 hamlets — …; … — URL", in English
 * or Vietnamese: the severity first, every member's sentence, the link. */
static void
group_summary(const struct group *g, bool vi, const char *severity, const char *url,
    char *buf, size_t len)
{
	static const char *const sev_vi[] = { "thông tin", "cảnh báo", "nghiêm trọng" };
	int si = alert_severity_lookup(severity);
	size_t off = 0, nh = 0;
	json_object *v;

	for (size_t i = 0; i < g->n; i++)
		if (json_object_object_get_ex(g->m[i].o, "hamlets", &v))
			nh += json_object_array_length(v);
	if (!g->resolved && si >= 0)
		off += (size_t)snprintf(buf + off, len - off, "[%s] ", vi ? sev_vi[si] : severity);
	if (g->n > 1 && off < len) {
		if (vi)
			off += (size_t)snprintf(buf + off, len - off, "%s: %zu cảnh báo%s, %zu thôn — ",
			    g->name, g->n, g->resolved ? " đã hết" : "", nh);
		else
			off += (size_t)snprintf(buf + off, len - off, "%s: %zu alert%s%s, %zu hamlet%s — ",
			    g->name, g->n, g->n == 1 ? "" : "s", g->resolved ? " resolved" : "", nh,
			    nh == 1 ? "" : "s");
	}
	for (size_t i = 0; i < g->n && off < len; i++) {
		const char *m = g->m[i].summary;
		if (vi && json_object_object_get_ex(g->m[i].o, "summary_vi", &v))
			m = json_object_get_string(v);
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? "; " : "", m);
	}
	if (url[0] && off < len)
		snprintf(buf + off, len - off, " — %s", url);
}

static void
group_send(struct alert_engine *e, struct group *g, const struct alert_sink *sink)
{
	const struct route_conf *r = &e->ac->routes[g->route];
	json_object *o, *v;
	char summary[4096], summary_vi[4096], severity[16] = "";
	char url[sizeof g->scope + sizeof e->ac->public_url + 16] = "";
	const char *state = g->resolved ? "resolved" : "firing";

	if (g->n == 0)
		return;
	qsort(g->m, g->n, sizeof *g->m, member_cmp);
	json_object *first = g->m[0].o;
	if (json_object_object_get_ex(first, "severity", &v))
		snprintf(severity, sizeof severity, "%s", json_object_get_string(v));
	if (g->n == 1) {
		o = json_object_get(first);
		if (json_object_object_get_ex(first, "url", &v))
			snprintf(url, sizeof url, "%s", json_object_get_string(v));
	} else {
		json_object *h = json_object_new_array(), *list = json_object_new_array();
		double since = g->m[0].since;

		o = json_object_new_object();
		for (size_t i = 0; i < g->n; i++) {
			json_object *mh;
			if (json_object_object_get_ex(g->m[i].o, "hamlets", &mh))
				for (size_t k = 0; k < json_object_array_length(mh); k++)
					json_object_array_add(h, json_object_get(
					    json_object_array_get_idx(mh, k)));
			if (g->m[i].since < since)
				since = g->m[i].since;
			json_object_array_add(list, json_object_get(g->m[i].o));
		}
		json_object_object_add(o, "v", json_object_new_int(1));
		json_object_object_get_ex(first, "id", &v);
		json_object_object_add(o, "id", json_object_get(v));
		json_object_object_get_ex(first, "kind", &v);
		json_object_object_add(o, "kind", json_object_get(v));
		json_object_object_get_ex(first, "severity", &v);
		json_object_object_add(o, "severity", json_object_get(v));
		json_object_object_add(o, "state", json_object_new_string(state));
		json_object_object_add(o, "scope", json_object_new_string(g->scope));
		json_object_object_add(o, "province", g->province[0] ?
		    json_object_new_string(g->province) : NULL);
		json_object_object_add(o, "commune", g->commune[0] ?
		    json_object_new_string(g->commune) : NULL);
		json_object_object_add(o, "hamlets", h);
		json_object_object_add(o, "since", json_object_new_int64((int64_t)floor(since)));
		scope_url(e->ac, g->scope, NULL, g->province, url, sizeof url);
		if (url[0])
			json_object_object_add(o, "url", json_object_new_string(url));
		json_object_object_add(o, "alerts", list);
	}
	if (o == NULL)
		return;
	group_summary(g, false, severity, url, summary, sizeof summary);
	group_summary(g, true, severity, url, summary_vi, sizeof summary_vi);
	json_object *en = payload_lang(o, false, summary), *vi = payload_lang(o, true, summary_vi);
	json_object_put(o);
	const char *json_en = en ? json_object_to_json_string_ext(en, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE) : NULL;
	const char *json_vi = vi ? json_object_to_json_string_ext(vi, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE) : NULL;
	json_object *k = NULL, *sc = NULL;
	if (en != NULL) {
		json_object_object_get_ex(en, "kind", &k);
		json_object_object_get_ex(en, "scope", &sc);
	}
	for (int i = 0; json_en && json_vi && i < r->nnotify; i++) {
		bool lvi = e->ac->notifiers[r->notify[i]].vi;
		sink->queue(sink->arg, e->ac->notifiers[r->notify[i]].name, r->name,
		    lvi ? json_vi : json_en, json_object_get_string(k), state,
		    json_object_get_string(sc), lvi ? summary_vi : summary);
	}
	json_object_put(en);
	json_object_put(vi);
	/* In the same transaction as the queue rows: sent, or still kept. */
	if (sink->unpend != NULL)
		sink->unpend(sink->arg, r->name, g->key, g->resolved);
}

bool
alert_flush_due(const struct alert_engine *e, double now)
{
	for (size_t i = 0; i < e->ng; i++)
		if (e->g[i].deadline <= now)
			return true;
	return false;
}

void
alert_flush(struct alert_engine *e, double now, const struct alert_sink *sink)
{
	size_t j = 0;

	for (size_t i = 0; i < e->ng; i++) {
		if (e->g[i].deadline <= now) {
			group_send(e, &e->g[i], sink);
			group_clear(&e->g[i]);
		} else {
			e->g[j++] = e->g[i];
		}
	}
	e->ng = j;
}

void
alert_engine_set_conf(struct alert_engine *e, const struct alert_conf *ac,
    const struct alert_sink *sink)
{
	alert_flush(e, INFINITY, sink);
	e->ac = ac;
	for (size_t i = 0; i < e->n; i++)
		if (e->v[i]->state == AS_FIRING)
			e->v[i]->repeat = repeat_of(e, e->v[i]);
}

/* --- the lifecycle --- */

static void
remove_at(struct alert_engine *e, size_t i)
{
	alert_free(e->v[i]);
	e->v[i] = e->v[--e->n];
}

void
alert_end(struct alert_engine *e, double now, const struct alert_silence *sil,
    size_t nsil, const int64_t *acked, size_t nacked, const struct alert_sink *sink)
{
	const struct alert_conf *ac = e->ac;
	bool removed = false;

	for (size_t i = 0; i < e->n; ) {
		struct alert *a = e->v[i];
		bool silenced = false, ack = false;

		if (a->fresh) {                   /* new in this evaluation */
			a->fresh = false;
			if (a->since < 0)
				a->since = now;
			change(a, now);
			if (sink->new_id != NULL && (a->id = sink->new_id(sink->arg, a)) <= 0) {
				remove_at(e, i);
				removed = true;
				continue;
			}
		}
		for (size_t k = 0; k < nsil && !silenced; k++)
			silenced = sil[k].until > now && alert_silence_matches(&sil[k].match, a);
		for (size_t k = 0; k < nacked && !ack; k++)
			ack = acked[k] == a->id;
		if (silenced != a->silenced || ack != a->acked)
			a->dirty = true;
		a->silenced = silenced;
		a->acked = ack;

		if (a->state == AS_RESOLVED) {
			if (a->seen && now - a->resolved_at < ac->flap_window) {
				/* Back within flap_window: the same alert, flapping. */
				a->state = AS_PENDING;
				a->since = now;
				a->fired_at = a->resolved_at = a->clear_since = 0;
				a->notified = false;
				a->next_repeat = 0;
				a->flapping = true;
				a->dirty = true;
				change(a, now);
			} else {
				if (a->dirty)
					sink->save(sink->arg, a);
				a->dirty = false;
				if (now - a->resolved_at >= ac->flap_window) {
					/* Remembered no longer: a new one if it comes back. */
					remove_at(e, i);
					removed = true;
					continue;
				}
				i++;
				continue;
			}
		}
		bool was_true = a->clear_since == 0;
		if (a->seen != was_true)
			change(a, now);
		if (a->seen) {
			if (a->clear_since != 0)
				a->dirty = true;
			a->clear_since = 0;
			if (a->state == AS_PENDING && now - a->since >= ac->for_s[a->kind]) {
				a->state = AS_FIRING;
				a->fired_at = now;
				a->began_silenced = silenced;
				a->repeat = repeat_of(e, a);
				a->dirty = true;
			}
		} else if (a->state == AS_PENDING) {
			/* Came and went inside its `for`: nothing was sent. */
			if (sink->drop)
				sink->drop(sink->arg, a->id);
			remove_at(e, i);
			removed = true;
			continue;
		} else {
			if (a->clear_since == 0) {
				a->clear_since = now;
				a->dirty = true;
			}
			double hold = a->flapping ? fmax(ac->clear_for, ac->flap_window) :
			    ac->clear_for;
			if (now - a->clear_since >= hold) {
				a->state = AS_RESOLVED;
				a->resolved_at = now;
				a->resolves++;
				a->dirty = true;
				/* Only a firing that was sent is owed a resolve; a
				 * silence mutes the resolve too. */
				if (a->notified && !silenced)
					notify(e, a, now, sink);
			}
		}
		/* Only an alert that has been through a full resolve flaps: a
		 * condition wavering inside clear_for is one problem, held. */
		if (a->state == AS_FIRING && !a->flapping && a->resolves > 0 &&
		    changes_within(a, now - ac->flap_window) >= FLAP_CHANGES) {
			a->flapping = true;
			a->dirty = true;
		}
		if (a->state == AS_FIRING && !silenced) {
			if (!a->notified) {
				/* Its first firing, or released by a silence's end. */
				notify(e, a, now, sink);
				a->notified = true;
				a->repeat_step = a->repeat;
				a->next_repeat = a->repeat > 0 ? now + a->repeat : 0;
				a->dirty = true;
			} else if (!ack && a->next_repeat > 0 && now >= a->next_repeat) {
				notify(e, a, now, sink);
				a->repeat_step = fmin(a->repeat_step * 2, ALERT_REPEAT_CAP);
				a->next_repeat = now + a->repeat_step;
				a->dirty = true;
			}
		}
		if (a->dirty)
			sink->save(sink->arg, a);
		a->dirty = false;
		i++;
	}
	if (removed)
		tab_rebuild(e, e->tabcap ? e->tabcap : 128);
	alert_flush(e, now, sink);
}

/* --- silences' end --- */

void
alert_json_place(struct json_object *o, const struct alert *a)
{
	json_object *h = json_object_new_array();

	json_object_object_add(o, "scope", json_object_new_string(a->scope));
	json_object_object_add(o, "province", a->province[0] ?
	    json_object_new_string(a->province) : NULL);
	json_object_object_add(o, "commune", a->commune[0] ?
	    json_object_new_string(a->commune) : NULL);
	for (size_t i = 0; i < a->nhamlets; i++)
		json_object_array_add(h, json_object_new_string(a->hamlets[i]));
	json_object_object_add(o, "hamlets", h);
}
