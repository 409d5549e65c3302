/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The JSON API (DESIGN.md section 8): provinces and communes against their
 * targets, hamlets with their state and last values, agents the inventory
 * does not know, and the collector's health. Pure rendering of one
 * immutable snapshot: no lock, no I/O.
 */
#include "api.h"

#include "id.h"
#include "metric.h"
#include "search.h"

#include <json-c/json.h>

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX		"/api/v1/"
#define ID_RULE		"an id is 1-64 characters of a-z, 0-9, '.', '_' and '-', " \
			"starting with a letter or digit"
/* What an error message quotes of a request: enough to recognise it. */
#define QUOTE_MAX	80

/* One rendering: the snapshot and whether an allocation failed. */
/*
 * What the API keeps between requests (one per HTTP server; NULL for a
 * caller that keeps nothing, such as the evaluator rendering the retained
 * summary): the rendered province list of the last snapshot, and where a
 * hamlet's past is read from.
 */
struct api {
	pthread_mutex_t	 lock;		/* protects provinces */
	struct {
		struct snapshot	*s;	/* a reference held while it is the key */
		char		*body;
		size_t		 len;
	} provinces;
	api_history_fn	 history_fn;	/* set once, before the first request */
	void		*history_arg;
};

struct render {
	struct api		*api;	/* or NULL */
	const struct snapshot	*s;
	const struct inventory	*inv;
	const struct coverage	*cov;
	bool			 oom;
};

/*
 * json-c returns NULL when out of memory, and NULL is also how it spells a
 * JSON null: these helpers keep the two apart by noting a failure in r.
 */
static json_object *
jnew(struct render *r, json_object *v)
{
	if (v == NULL)
		r->oom = true;
	return v;
}

/* Adds v under key, a string that outlives the object (a literal or a
 * name from a static table), so json-c neither copies nor looks it up. */
static void
put(struct render *r, json_object *o, const char *key, json_object *v)
{
	if (o == NULL || json_object_object_add_ex(o, key, v,
	    JSON_C_OBJECT_ADD_KEY_IS_NEW | JSON_C_OBJECT_KEY_IS_CONSTANT) != 0) {
		r->oom = true;
		json_object_put(v);
	}
}

static void
push(struct render *r, json_object *a, json_object *v)
{
	if (v == NULL || a == NULL || json_object_array_add(a, v) != 0) {
		r->oom = true;
		json_object_put(v);
	}
}

/* The string, or null. */
static json_object *
jstr(struct render *r, const char *s)
{
	return s ? jnew(r, json_object_new_string(s)) : NULL;
}

static json_object *
jbool(struct render *r, bool b)
{
	return jnew(r, json_object_new_boolean(b));
}

static json_object *
jint(struct render *r, int64_t v)
{
	return jnew(r, json_object_new_int64(v));
}

/* A number with `decimals` places (so 96.67 stays 96.67, not
 * 96.670000000000002), or null when it is not a number. The collector never
 * calls setlocale(), so the decimal point is a point. */
static json_object *
jnum(struct render *r, double v, int decimals)
{
	char buf[64];

	if (!isfinite(v))
		return NULL;
	/* Past 10^50 a fixed format would not fit: a rare, absurd value
	 * still prints, in exponent form. */
	if (snprintf(buf, sizeof buf, "%.*f", decimals, v) >= (int)sizeof buf)
		snprintf(buf, sizeof buf, "%.17g", v);
	return jnew(r, json_object_new_double_s(v, buf));
}

/* A number with `digits` significant digits (a measured value), or null. */
static json_object *
jval(struct render *r, double v, int digits)
{
	char buf[64];

	if (!isfinite(v))
		return NULL;
	snprintf(buf, sizeof buf, "%.*g", digits, v);
	return jnew(r, json_object_new_double_s(v, buf));
}

/* Unix seconds, or null for 0 (never). */
static json_object *
jtime(struct render *r, double t)
{
	return t > 0 && isfinite(t) ? jint(r, (int64_t)floor(t)) : NULL;
}

/* "YYYY-MM-DD", or null. */
static json_object *
jdate(struct render *r, int32_t days)
{
	char buf[16];

	if (days == INV_NO_DATE)
		return NULL;
	inventory_date_str(days, buf, sizeof buf);
	return jstr(r, buf);
}

/* Serialises o into a body the caller frees, and drops o. */
static int
finish(struct render *r, json_object *o, char **body, size_t *len)
{
	const char *txt;
	size_t n = 0;

	*body = NULL;
	*len = 0;
	if (o == NULL || r->oom)
		goto fail;
	txt = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &n);
	if (txt == NULL || (*body = malloc(n + 1)) == NULL)
		goto fail;
	memcpy(*body, txt, n + 1);
	*len = n;
	json_object_put(o);
	return 0;
fail:
	json_object_put(o);
	return -1;
}

/* A request's bytes fit to quote in a message: printable ASCII only (the
 * path may hold anything after unescaping), and cut short. */
static void
quote(char *buf, size_t len, const char *s)
{
	size_t i = 0;

	for (; *s && i + 4 < len && i < QUOTE_MAX; s++)
		buf[i++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	if (*s && i + 4 < len) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
}

static int error_reply(unsigned code, unsigned *status, char **body, size_t *len,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
error_reply(unsigned code, unsigned *status, char **body, size_t *len,
    const char *fmt, ...)
{
	struct render r = { 0 };
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	json_object *o = jnew(&r, json_object_new_object());
	put(&r, o, "error", jstr(&r, msg));
	*status = code;
	return finish(&r, o, body, len);
}

static int
bad_id(const char *what, const char *id, unsigned *status, char **body, size_t *len)
{
	char q[QUOTE_MAX + 8];

	quote(q, sizeof q, id);
	return error_reply(400, status, body, len, "bad %s id '%s': " ID_RULE, what, q);
}

/* The counts and figures that provinces and communes share. */
static void
scope_fields(struct render *r, json_object *o, const char *id, const char *name,
    const struct rollup *ru)
{
	json_object *counts = jnew(r, json_object_new_object());

	put(r, o, "id", jstr(r, id));
	put(r, o, "name", jstr(r, name));
	put(r, o, "covered_pct", jnum(r, ru->covered_pct, 2));
	put(r, o, "target_pct", jval(r, ru->target_pct, 6));
	put(r, o, "deadline", jdate(r, ru->deadline));
	put(r, o, "colour", jstr(r, colour_name((enum colour)ru->colour)));
	/* The pace (DESIGN.md section 6): null when there is no target, or
	 * not yet a day of the rollup's series to judge. */
	put(r, o, "on_track", ru->pace.known ? jbool(r, ru->pace.on_track) : NULL);
	put(r, o, "projected_date", jdate(r, ru->pace.projected));
	put(r, o, "pace_pct_per_day", ru->pace.known ? jnum(r, ru->pace.per_day, 3) : NULL);
	for (int i = 0; i < HS__COUNT; i++)
		put(r, counts, hamlet_state_name[i], jint(r, ru->counts[i]));
	put(r, counts, "total", jint(r, ru->total));
	put(r, o, "counts", counts);
	put(r, o, "overdue", jint(r, ru->overdue));
}

static json_object *
commune_json(struct render *r, size_t ci)
{
	const struct inv_commune *c = &r->inv->communes[ci];
	const struct inv_province *p = &r->inv->provinces[c->province];
	json_object *o = jnew(r, json_object_new_object());
	const char *from = NULL;

	scope_fields(r, o, c->id, c->name, &r->cov->communes[ci]);
	put(r, o, "province", jstr(r, p->id));
	if (c->target.set)
		from = "commune";
	else if (c->effective.set)
		from = "province";
	put(r, o, "target_from", jstr(r, from));
	return o;
}

static json_object *
province_json(struct render *r, size_t pi, json_object *communes)
{
	const struct inv_province *p = &r->inv->provinces[pi];
	json_object *o = jnew(r, json_object_new_object());

	scope_fields(r, o, p->id, p->name, &r->cov->provinces[pi]);
	put(r, o, "communes", communes);
	return o;
}

/* The agent's spool and what happened to its sequence: a technician who
 * replaced a router, or IT after a restore, sees that the collector took
 * it in. */
static json_object *
spool_json(struct render *r, const struct agent_view *v)
{
	json_object *o = jnew(r, json_object_new_object());
	json_object *g = NULL;

	put(r, o, "sid", jstr(r, v->sid[0] ? v->sid : NULL));
	put(r, o, "last_seq", jint(r, v->last_seq > INT64_MAX ? INT64_MAX :
	    (int64_t)v->last_seq));
	put(r, o, "new_spools", jint(r, (int64_t)v->new_spools));
	put(r, o, "new_spool_at", jtime(r, v->new_spool_at));
	put(r, o, "gaps_passed", jint(r, (int64_t)v->gaps_passed));
	if (v->gaps_passed > 0 && (g = jnew(r, json_object_new_object())) != NULL) {
		put(r, g, "from", jint(r, (int64_t)v->gap_from));
		put(r, g, "to", jint(r, (int64_t)v->gap_to));
		put(r, g, "at", jtime(r, v->gap_at));
	}
	put(r, o, "last_gap", g);
	return o;
}

static json_object *
hamlet_json(struct render *r, size_t hi)
{
	const struct inv_hamlet *h = &r->inv->hamlets[hi];
	const struct inv_commune *c = &r->inv->communes[h->commune];
	const struct inv_province *p = &r->inv->provinces[h->province];
	const struct hamlet_eval *e = &r->cov->hamlets[hi];
	const struct agent_view *v = r->s->views ? &r->s->views[hi] : NULL;
	json_object *o = jnew(r, json_object_new_object());
	json_object *m = jnew(r, json_object_new_object());
	const char *root = NULL;

	if (e->state == HS_UNREACHABLE && e->root >= 0 &&
	    (size_t)e->root < r->inv->nhamlets)
		root = r->inv->hamlets[e->root].id;
	put(r, o, "id", jstr(r, h->id));
	put(r, o, "name", jstr(r, h->name));
	put(r, o, "village", jstr(r, h->village));
	put(r, o, "commune", jstr(r, c->id));
	put(r, o, "commune_name", jstr(r, c->name));
	put(r, o, "province", jstr(r, p->id));
	put(r, o, "province_name", jstr(r, p->name));
	put(r, o, "agent", jstr(r, h->agent));
	put(r, o, "state", jstr(r, e->state < HS__COUNT ? hamlet_state_name[e->state] : NULL));
	put(r, o, "since", jtime(r, e->since));
	put(r, o, "overdue", jbool(r, e->overdue));
	put(r, o, "target_date", jdate(r, h->target_date));
	put(r, o, "last_seen", jtime(r, e->last_seen));
	put(r, o, "uplink", jstr(r, h->uplink_id));
	put(r, o, "root", jstr(r, root));
	put(r, o, "loss_pct", jnum(r, e->loss_pct, 2));
	put(r, o, "rtt_ms", jnum(r, e->rtt_ms, 2));
	put(r, o, "loss_breach", jbool(r, e->loss_breach));
	put(r, o, "rtt_breach", jbool(r, e->rtt_breach));
	put(r, o, "lat", h->placed ? jnum(r, h->lat, 6) : NULL);
	put(r, o, "lon", h->placed ? jnum(r, h->lon, 6) : NULL);
	put(r, o, "population", h->population >= 0 ? jint(r, h->population) : NULL);
	for (int i = 0; v && i < METRIC_COUNT; i++)
		if ((v->present & (UINT64_C(1) << i)) && isfinite(v->m[i]))
			put(r, m, metric_table[i].name, jval(r, v->m[i], 10));
	put(r, o, "metrics", m);
	put(r, o, "metrics_at", jtime(r, v ? (double)v->last_ts : 0));
	put(r, o, "spool", v && v->reported ? spool_json(r, v) : NULL);
	return o;
}

const char *
api_no_query(void *qarg, const char *key)
{
	(void)qarg;
	(void)key;
	return NULL;
}

struct api *
api_new(void)
{
	struct api *a = calloc(1, sizeof *a);

	if (a != NULL)
		pthread_mutex_init(&a->lock, NULL);
	return a;
}

void
api_free(struct api *a)
{
	if (a == NULL)
		return;
	free(a->provinces.body);
	snapshot_put(a->provinces.s);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

void
api_set_history(struct api *a, api_history_fn fn, void *harg)
{
	a->history_fn = fn;
	a->history_arg = harg;
}

/*
 * "availability": per window, the share of monitored time the hamlet had
 * coverage (covered or degraded) and the seconds it was cut (down or
 * unreachable): "how long was Suối Chải down this month" is down_s of 30d.
 */
static void
availability(struct render *r, json_object *o, const char *hamlet)
{
	static const struct { const char *name; double span; } win[] = {
		{ "1d", 86400 }, { "7d", 7 * 86400 }, { "30d", 30 * 86400 },
	};
	double sec[HS__COUNT];
	json_object *av;

	if (r->api == NULL || r->api->history_fn == NULL ||
	    (av = jnew(r, json_object_new_object())) == NULL)
		return;
	for (size_t i = 0; i < sizeof win / sizeof win[0]; i++) {
		double to = r->s->cov->at;
		if (r->api->history_fn(r->api->history_arg, hamlet, to - win[i].span, to,
		    sec) == -1)
			return;
		double up = sec[HS_COVERED] + sec[HS_DEGRADED];
		double cut = sec[HS_DOWN] + sec[HS_UNREACHABLE];
		json_object *w = jnew(r, json_object_new_object());
		put(r, w, "available_pct", up + cut > 0 ? jnum(r, up / (up + cut) * 100, 2) : NULL);
		put(r, w, "down_s", jint(r, (int64_t)cut));
		put(r, w, "monitored_s", jint(r, (int64_t)(up + cut)));
		put(r, av, win[i].name, w);
	}
	put(r, o, "availability", av);
}

static json_object *
top(struct render *r)
{
	json_object *o = jnew(r, json_object_new_object());

	put(r, o, "evaluated_at", jtime(r, r->cov->at));
	put(r, o, "blind", jbool(r, r->cov->blind));
	return o;
}

/* Each province with its communes: one pass over the communes, in file
 * order within their province. */
static json_object *
provinces_list(struct render *r)
{
	size_t np = r->inv->nprovinces;
	json_object **communes = calloc(np ? np : 1, sizeof *communes);
	json_object *o = top(r), *a = jnew(r, json_object_new_array_ext((int)np));

	if (communes == NULL) {
		r->oom = true;
		put(r, o, "provinces", a);
		return o;
	}
	for (size_t i = 0; i < np; i++)
		communes[i] = jnew(r, json_object_new_array_ext(
		    (int)r->inv->provinces[i].ncommunes));
	for (size_t i = 0; i < r->inv->ncommunes; i++)
		push(r, communes[r->inv->communes[i].province], commune_json(r, i));
	for (size_t i = 0; i < np; i++)
		push(r, a, province_json(r, i, communes[i]));
	free(communes);
	put(r, o, "provinces", a);
	return o;
}

static json_object *
province_one(struct render *r, size_t pi)
{
	json_object *a = jnew(r, json_object_new_array_ext(
	    (int)r->inv->provinces[pi].ncommunes));

	for (size_t i = 0; i < r->inv->ncommunes; i++)
		if ((size_t)r->inv->communes[i].province == pi)
			push(r, a, commune_json(r, i));
	return province_json(r, pi, a);
}

static json_object *
commune_one(struct render *r, size_t ci)
{
	json_object *o = commune_json(r, ci);
	json_object *a = jnew(r, json_object_new_array_ext(
	    (int)r->inv->communes[ci].nhamlets));

	for (size_t i = 0; i < r->inv->nhamlets; i++)
		if ((size_t)r->inv->hamlets[i].commune == ci)
			push(r, a, hamlet_json(r, i));
	put(r, o, "hamlets", a);
	return o;
}

/* The filters of /api/v1/hamlets; -1 in an index means any. */
struct filter {
	int state;		/* a hamlet_state, -2 uncovered, -1 any */
	int32_t province, commune, hamlet;
	int overdue;		/* 1 only overdue, 0 only not, -1 any */
};

static bool
filter_match(const struct render *r, const struct filter *f, size_t i)
{
	const struct inv_hamlet *h = &r->inv->hamlets[i];
	const struct hamlet_eval *e = &r->cov->hamlets[i];

	if (f->hamlet >= 0 && (size_t)f->hamlet != i)
		return false;
	if (f->province >= 0 && h->province != f->province)
		return false;
	if (f->commune >= 0 && h->commune != f->commune)
		return false;
	if (f->overdue >= 0 && e->overdue != (f->overdue == 1))
		return false;
	if (f->state == -2)
		return e->state != HS_COVERED && e->state != HS_DEGRADED;
	return f->state < 0 || e->state == f->state;
}

/* A body that grows by appends (json-c's printbuf is not public API). */
struct buf {
	char *p;
	size_t len, cap;
};

static bool
buf_add(struct buf *b, const char *s, size_t n)
{
	if (n + 1 > b->cap - b->len) {
		size_t cap = b->cap ? b->cap : 65536;
		while (n + 1 > cap - b->len)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (p == NULL)
			return false;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return true;
}

/*
 * The hamlet list, serialised one hamlet at a time: the whole country as
 * json-c objects would take more than ten times the memory of its text
 * (some 700 MB for 100,000 hamlets), and every request would hold that.
 * The envelope is rendered with an empty "hamlets":[] as its last member,
 * and the items go between the brackets.
 */
static int
hamlets_list(struct render *r, const struct filter *f, char **body, size_t *len)
{
	json_object *o = top(r);
	struct buf b = { 0 };
	const char *txt;
	size_t n = 0;
	bool first = true;

	put(r, o, "hamlets", jnew(r, json_object_new_array()));
	if (r->oom || (txt = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN,
	    &n)) == NULL || n < 3 || strcmp(txt + n - 3, "[]}") != 0 ||
	    !buf_add(&b, txt, n - 2))
		goto fail;
	for (size_t i = 0; i < r->inv->nhamlets; i++) {
		if (!filter_match(r, f, i))
			continue;
		json_object *h = hamlet_json(r, i);
		txt = r->oom ? NULL : json_object_to_json_string_length(h,
		    JSON_C_TO_STRING_PLAIN, &n);
		bool ok = txt && (first || buf_add(&b, ",", 1)) && buf_add(&b, txt, n);
		json_object_put(h);
		if (!ok)
			goto fail;
		first = false;
	}
	if (!buf_add(&b, "]}", 2))
		goto fail;
	json_object_put(o);
	*body = b.p;
	*len = b.len;
	return 0;
fail:
	json_object_put(o);
	free(b.p);
	*body = NULL;
	*len = 0;
	return -1;
}

static json_object *
unknown_agents(struct render *r)
{
	json_object *o = jnew(r, json_object_new_object());
	json_object *a = jnew(r, json_object_new_array_ext((int)r->s->nunknown));

	for (size_t i = 0; i < r->s->nunknown; i++) {
		const struct unknown_agent *u = &r->s->unknown[i];
		json_object *x = jnew(r, json_object_new_object());
		put(r, x, "id", jstr(r, u->agent));
		put(r, x, "province", jstr(r, u->province[0] ? u->province : NULL));
		put(r, x, "last_seen", jtime(r, u->last_seen));
		put(r, x, "samples", jint(r, (int64_t)u->samples));
		push(r, a, x);
	}
	put(r, o, "agents", a);
	return o;
}

/*
 * Reads the filters of /api/v1/hamlets. Returns 0, or 400/404 with the
 * message in msg. Without r->inv only their syntax is checked. A filter naming an unknown province, commune or agent is
 * a 404 rather than an empty list, so a typo is not read as "all fine".
 */
static unsigned
filter_read(const struct render *r, api_query_fn query, void *qarg, struct filter *f,
    char *msg, size_t msglen)
{
	const char *v;
	char q[QUOTE_MAX + 8];

	f->state = -1;
	f->province = f->commune = f->hamlet = -1;
	f->overdue = -1;
	if (query == NULL)
		return 0;
	if ((v = query(qarg, "state")) != NULL && *v) {
		f->state = hamlet_state_lookup(v);
		if (f->state == -1) {
			quote(q, sizeof q, v);
			snprintf(msg, msglen, "bad state '%s': expected covered, degraded, "
			    "down, unreachable, unmonitored or uncovered", q);
			return 400;
		}
	}
	if ((v = query(qarg, "overdue")) != NULL && *v) {
		if (strcmp(v, "1") == 0 || strcmp(v, "true") == 0)
			f->overdue = 1;
		else if (strcmp(v, "0") == 0 || strcmp(v, "false") == 0)
			f->overdue = 0;
		else {
			quote(q, sizeof q, v);
			snprintf(msg, msglen, "bad overdue '%s': expected 1 or 0", q);
			return 400;
		}
	}
	static const char *const keys[] = { "province", "commune", "agent" };
	for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
		if ((v = query(qarg, keys[k])) == NULL || *v == '\0')
			continue;
		quote(q, sizeof q, v);
		if (!id_valid(v)) {
			snprintf(msg, msglen, "bad %s id '%s': " ID_RULE, keys[k], q);
			return 400;
		}
		if (r->inv == NULL)	/* the syntax only, for now */
			continue;
		if (k == 0) {
			const struct inv_province *p = inventory_province(r->inv, v);
			f->province = p ? (int32_t)(p - r->inv->provinces) : -2;
		} else if (k == 1) {
			const struct inv_commune *c = inventory_commune(r->inv, v);
			f->commune = c ? (int32_t)(c - r->inv->communes) : -2;
		} else {
			const struct inv_hamlet *h = inventory_hamlet_by_agent(r->inv, v);
			f->hamlet = h ? (int32_t)(h - r->inv->hamlets) : -2;
		}
		if ((k == 0 ? f->province : k == 1 ? f->commune : f->hamlet) == -2) {
			snprintf(msg, msglen, "unknown %s '%s'", keys[k], q);
			return 404;
		}
	}
	return 0;
}

/*
 * /api/v1/provinces is what dashboards poll and what a country's worth of
 * communes makes large (2.6 MB and some 45 ms of json-c for 10,000
 * communes). A snapshot never changes, so the list is rendered once per
 * snapshot and copied out after that. The cache holds a reference to its
 * snapshot, so that no other snapshot can take its address while it is
 * the key; the old one goes at the first request after a new evaluation.
 */
static int
provinces_cached(struct render *r, struct snapshot *s, char **body, size_t *len)
{
	struct api *a = r->api;
	struct snapshot *old = NULL;
	int rc = 0;

	if (a == NULL)
		return finish(r, provinces_list(r), body, len);
	pthread_mutex_lock(&a->lock);
	if (a->provinces.s != s) {
		char *b;
		size_t n;
		if (finish(r, provinces_list(r), &b, &n) == -1) {
			rc = -1;
			goto done;
		}
		free(a->provinces.body);
		old = a->provinces.s;
		atomic_fetch_add(&s->refs, 1);
		a->provinces.s = s;
		a->provinces.body = b;
		a->provinces.len = n;
	}
	if ((*body = malloc(a->provinces.len + 1)) == NULL) {
		rc = -1;
		goto done;
	}
	memcpy(*body, a->provinces.body, a->provinces.len + 1);
	*len = a->provinces.len;
done:
	pthread_mutex_unlock(&a->lock);
	/* Outside the lock: the last reference frees a whole inventory. */
	snapshot_put(old);
	return rc;
}

/*
 * /api/v1/search?q=[&type=T,...] (search.h): the best matches (of those
 * types), each with the page it
 * leads to ("url"), how it matched, and for a site its hamlet and state;
 * a village (no id of its own) is its commune's id and its hamlets' ids.
 */
static int
search_reply(struct render *r, struct snapshot *s, const char *q, const char *type,
    char **body, size_t *len, unsigned *status)
{
	struct search_result res[SEARCH_RESULTS_MAX];
	long n = search_inventory(s->inv, q, type && *type ? search_types(type) : SEARCH_ALL,
	    res, SEARCH_RESULTS_MAX);
	json_object *o = top(r), *a = jnew(r, json_object_new_array());
	char page[ID_MAX + 16];
	int32_t pi, ci;

	for (long i = 0; i < n && i < SEARCH_RESULTS_MAX; i++) {
		const struct search_result *x = &res[i];
		const struct inv_hamlet *h = &r->inv->hamlets[x->index];
		json_object *e = jnew(r, json_object_new_object()), *v;
		search_result_place(r->inv, x, &pi, &ci);
		put(r, e, "type", jstr(r, search_type_name[x->type]));
		put(r, e, "id", jstr(r, search_result_id(r->inv, x)));
		put(r, e, "name", jstr(r, search_result_name(r->inv, x)));
		put(r, e, "province", jstr(r, r->inv->provinces[pi].id));
		put(r, e, "commune", ci >= 0 ? jstr(r, r->inv->communes[ci].id) : NULL);
		put(r, e, "province_name", jstr(r, r->inv->provinces[pi].name));
		put(r, e, "commune_name", ci >= 0 ? jstr(r, r->inv->communes[ci].name) : NULL);
		put(r, e, "match", jstr(r, search_match_name[x->match]));
		put(r, e, "url", search_result_page(r->inv, x, page, sizeof page) == 0 ?
		    jstr(r, page) : NULL);
		if (x->type == SEARCH_HAMLET || x->type == SEARCH_AGENT) {
			put(r, e, "hamlet", jstr(r, h->id));
			put(r, e, "state", jstr(r, hamlet_state_name[
			    r->cov->hamlets[x->index].state % HS__COUNT]));
		} else if (x->type == SEARCH_VILLAGE &&
		    (v = jnew(r, json_object_new_array())) != NULL) {
			for (size_t k = x->index; k < r->inv->nhamlets; k++)
				if (search_village_has(r->inv, x, k))
					push(r, v, jstr(r, r->inv->hamlets[k].id));
			put(r, e, "hamlets", v);
		}
		push(r, a, e);
	}
	if (n < 0)
		r->oom = true;
	put(r, o, "total", jint(r, n));
	put(r, o, "results", a);
	*status = 200;
	return finish(r, o, body, len);
}

/* The query of /api/v1/search: 0, or 400 with the message in msg. */
static unsigned
search_check(api_query_fn query, void *qarg, char *msg, size_t msglen)
{
	const char *q = query ? query(qarg, "q") : NULL;
	const char *t = query ? query(qarg, "type") : NULL;
	char qt[QUOTE_MAX + 8];

	if (t != NULL && *t != '\0' && search_types(t) == 0) {
		quote(qt, sizeof qt, t);
		snprintf(msg, msglen, "bad type '%s': expected hamlet, agent, village, commune "
		    "or province, or several separated by commas", qt);
		return 400;
	}
	if (q != NULL && strlen(q) > SEARCH_QUERY_MAX) {
		snprintf(msg, msglen, "query longer than %d bytes", SEARCH_QUERY_MAX);
		return 400;
	}
	if (search_query_empty(q)) {
		snprintf(msg, msglen, "nothing to search for: q= a name or an id "
		    "(hamlet, village, commune, province or agent)");
		return 400;
	}
	return 0;
}

enum route { R_NONE, R_PROVINCES, R_PROVINCE, R_COMMUNE, R_HAMLETS, R_HAMLET, R_UNKNOWN,
    R_SEARCH };

/* The route of a path under /api/v1/, and in *id the id it names. */
static enum route
route_of(const char *path, const char **id)
{
	static const struct {
		const char *name;
		enum route list, one;
	} tab[] = {
		{ "provinces", R_PROVINCES, R_PROVINCE },
		{ "communes", R_NONE, R_COMMUNE },
		{ "hamlets", R_HAMLETS, R_HAMLET },
	};

	*id = NULL;
	if (strcmp(path, "agents/unknown") == 0)
		return R_UNKNOWN;
	if (strcmp(path, "search") == 0)
		return R_SEARCH;
	for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
		size_t n = strlen(tab[i].name);
		if (strncmp(path, tab[i].name, n) != 0)
			continue;
		if (path[n] == '\0')
			return tab[i].list;
		if (path[n] == '/') {
			*id = path + n + 1;
			return tab[i].one;
		}
	}
	return R_NONE;
}

int
api_render(struct api *api, struct snapshot *s, const char *url, api_query_fn query,
    void *qarg, char **body, size_t *len, unsigned *status)
{
	struct render r = { .api = api };
	const char *id;
	json_object *o = NULL;
	struct filter f;
	char msg[512];
	unsigned code;

	if (url == NULL || strncmp(url, PREFIX, strlen(PREFIX)) != 0)
		return error_reply(404, status, body, len, "not found");
	enum route rt = route_of(url + strlen(PREFIX), &id);
	if (rt == R_NONE)
		return error_reply(404, status, body, len, "not found");
	/* A bad id is the caller's mistake whatever the collector's state. */
	if (id != NULL && !id_valid(id))
		return bad_id(rt == R_PROVINCE ? "province" : rt == R_COMMUNE ? "commune" :
		    "hamlet", id, status, body, len);
	if (rt == R_HAMLETS &&
	    (code = filter_read(&r, query, qarg, &f, msg, sizeof msg)) != 0)
		return error_reply(code, status, body, len, "%s", msg);
	if (rt == R_SEARCH && (code = search_check(query, qarg, msg, sizeof msg)) != 0)
		return error_reply(code, status, body, len, "%s", msg);
	if (s == NULL)
		return error_reply(503, status, body, len, "no evaluation yet");
	r.s = s;
	if (rt == R_UNKNOWN) {
		*status = 200;
		return finish(&r, unknown_agents(&r), body, len);
	}
	if (s->inv == NULL || s->cov == NULL)
		return error_reply(503, status, body, len, "no inventory configured "
		    "([collector] inventory in the collector's config)");
	r.inv = s->inv->inv;
	r.cov = s->cov;

	switch (rt) {
	case R_PROVINCES:
		*status = 200;
		return provinces_cached(&r, s, body, len);
	case R_PROVINCE: {
		const struct inv_province *p = inventory_province(r.inv, id);
		if (p == NULL)
			return error_reply(404, status, body, len, "unknown province '%s'", id);
		o = province_one(&r, (size_t)(p - r.inv->provinces));
		/* When it was evaluated: this is also the retained summary, and
		 * a national view tells a dead collector's by its age. */
		put(&r, o, "evaluated_at", jtime(&r, r.cov->at));
		put(&r, o, "blind", jbool(&r, r.cov->blind));
		break;
	}
	case R_COMMUNE: {
		const struct inv_commune *c = inventory_commune(r.inv, id);
		if (c == NULL)
			return error_reply(404, status, body, len, "unknown commune '%s'", id);
		o = commune_one(&r, (size_t)(c - r.inv->communes));
		break;
	}
	case R_HAMLET: {
		const struct inv_hamlet *h = inventory_hamlet(r.inv, id);
		if (h == NULL)
			return error_reply(404, status, body, len, "unknown hamlet '%s'", id);
		o = hamlet_json(&r, (size_t)(h - r.inv->hamlets));
		if (o != NULL)
			availability(&r, o, h->id);
		break;
	}
	case R_SEARCH:
		return search_reply(&r, s, query(qarg, "q"), query(qarg, "type"), body, len,
		    status);
	case R_HAMLETS:
		if ((code = filter_read(&r, query, qarg, &f, msg, sizeof msg)) != 0)
			return error_reply(code, status, body, len, "%s", msg);
		*status = 200;
		return hamlets_list(&r, &f, body, len);
	default:
		return error_reply(404, status, body, len, "not found");
	}
	*status = 200;
	return finish(&r, o, body, len);
}

int
api_health(struct snapshot *s, const struct api_health *h, char **body, size_t *len)
{
	struct render r = { 0 };
	const struct inv_ref *ir = s ? s->inv : NULL;
	const struct inventory *inv = ir ? ir->inv : NULL;
	bool degraded = !h->mqtt_connected ||
	    (h->inventory_configured && s != NULL && inv == NULL);
	json_object *o = jnew(&r, json_object_new_object());
	json_object *iv = jnew(&r, json_object_new_object());
	json_object *cf = jnew(&r, json_object_new_object());

	put(&r, o, "status", jstr(&r, degraded ? "degraded" : "ok"));
	put(&r, o, "mqtt", jstr(&r, h->mqtt_connected ? "connected" : "disconnected"));
	put(&r, o, "queue_depth", jint(&r, (int64_t)h->queue_depth));
	put(&r, o, "uptime_s", jint(&r, (int64_t)floor(h->uptime_s)));
	put(&r, o, "received", jint(&r, (int64_t)h->received));
	put(&r, o, "stored", jint(&r, (int64_t)h->stored));
	put(&r, o, "version", jstr(&r, COVMON_VERSION));
	put(&r, o, "evaluated_at", jtime(&r, s && s->cov ? s->cov->at : 0));

	put(&r, iv, "configured", jbool(&r, h->inventory_configured));
	put(&r, iv, "loaded_from", jstr(&r, ir ? ir->loaded_from : NULL));
	put(&r, iv, "loaded_at", jtime(&r, ir ? ir->loaded_at : 0));
	put(&r, iv, "provinces", inv ? jint(&r, (int64_t)inv->nprovinces) : NULL);
	put(&r, iv, "communes", inv ? jint(&r, (int64_t)inv->ncommunes) : NULL);
	put(&r, iv, "hamlets", inv ? jint(&r, (int64_t)inv->nhamlets) : NULL);
	put(&r, iv, "agents", inv ? jint(&r, (int64_t)inv->nagents) : NULL);
	put(&r, iv, "last_error", jstr(&r, s && s->inventory_error[0] ?
	    s->inventory_error : NULL));
	put(&r, iv, "last_error_at", jtime(&r, s && s->inventory_error[0] ?
	    s->inventory_error_at : 0));
	put(&r, o, "inventory", iv);
	/* The alert settings SIGHUP reloads. */
	put(&r, cf, "alerts_loaded_at", jtime(&r, s ? s->config_loaded_at : 0));
	put(&r, cf, "last_error", jstr(&r, s && s->config_error[0] ? s->config_error : NULL));
	put(&r, cf, "last_error_at", jtime(&r, s && s->config_error[0] ?
	    s->config_error_at : 0));
	put(&r, o, "config", cf);
	put(&r, o, "unknown_agents", s ? jint(&r, (int64_t)s->nunknown) : NULL);
	/* Past the cap, samples of new unknown ids are refused. */
	put(&r, o, "max_unknown_agents", jint(&r, h->max_unknown_agents));
	put(&r, o, "unknown_agents_refused", jint(&r, (int64_t)h->unknown_refused));
	return finish(&r, o, body, len);
}
