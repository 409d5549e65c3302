/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The alerts part of the API (DESIGN.md section 8): /api/v1/alerts (open
 * alerts, ?state=…, ?all=1 for the history), /api/v1/silences, and the
 * write actions (silence add/rm, ack) that http.c lets through only with
 * the bearer token. Read from the state DB on the calling thread's
 * read-only connection, written by the writer thread (state_req.h), which
 * answers before the reply goes; "silenced" is worked out at read time, so
 * a new silence shows at once. Also /api/v1/digest, the rollout digest of the
 * last 24 h (digest.c) as it would be sent now.
 */
#include "api.h"
#include "alert_db.h"
#include "collector.h"
#include "digest.h"
#include "id.h"
#include "snapshot.h"
#include "state_req.h"

#include <json-c/json.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HISTORY_MAX 1000
#define REASON_MAX  500

static int
reply(json_object *o, unsigned code, unsigned *status, char **body, size_t *len)
{
	const char *t;
	size_t n = 0;

	*body = NULL;
	*len = 0;
	if (o == NULL)
		return -1;
	t = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &n);
	if (t == NULL || (*body = malloc(n + 1)) == NULL) {
		json_object_put(o);
		return -1;
	}
	memcpy(*body, t, n + 1);
	*len = n;
	*status = code;
	json_object_put(o);
	return 0;
}

static int err_reply(unsigned code, unsigned *status, char **body, size_t *len,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
err_reply(unsigned code, unsigned *status, char **body, size_t *len, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	json_object *o = json_object_new_object();

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	json_object_object_add(o, "error", json_object_new_string(msg));
	return reply(o, code, status, body, len);
}

static json_object *
jtime(double t)
{
	return t > 0 ? json_object_new_int64((int64_t)floor(t)) : NULL;
}

static json_object *
alert_obj(const struct alert_row *r, const struct alert_silence *sil, size_t nsil, double now)
{
	const struct alert *a = &r->a;
	json_object *o = json_object_new_object();
	char id[32];
	bool silenced = a->state == AS_RESOLVED ? a->silenced : false;

	for (size_t k = 0; a->state != AS_RESOLVED && k < nsil; k++)
		silenced |= sil[k].until > now && alert_silence_matches(&sil[k].match, a);
	snprintf(id, sizeof id, "%lld", (long long)a->id);
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "kind", json_object_new_string(alert_kind_name[a->kind]));
	json_object_object_add(o, "state", json_object_new_string(alert_state_name[a->state]));
	alert_json_place(o, a);
	json_object_object_add(o, "since", jtime(a->since));
	json_object_object_add(o, "silenced", json_object_new_boolean(silenced));
	json_object_object_add(o, "acked", json_object_new_boolean(r->acked));
	json_object_object_add(o, "summary", json_object_new_string(r->summary));
	json_object_object_add(o, "agent", a->agent[0] ? json_object_new_string(a->agent) : NULL);
	json_object_object_add(o, "fired_at", jtime(a->fired_at));
	json_object_object_add(o, "resolved_at", jtime(a->resolved_at));
	json_object_object_add(o, "flapping", json_object_new_boolean(a->flapping));
	json_object_object_add(o, "notified", json_object_new_boolean(a->notified));
	return o;
}

int
api_alerts_get(struct state_db *db, api_query_fn query, void *qarg, double now, char **body,
    size_t *len, unsigned *status)
{
	const char *v;
	int want = -1;
	bool all = false;
	struct alert_row *rows = NULL;
	struct alert_silence *sil = NULL;
	size_t n = 0, nsil = 0;

	if ((v = query(qarg, "state")) != NULL && *v) {
		for (int i = 0; i < 3; i++)
			if (strcmp(v, alert_state_name[i]) == 0)
				want = i;
		if (want < 0)
			return err_reply(400, status, body, len, "bad state: expected pending, "
			    "firing or resolved");
	}
	if ((v = query(qarg, "all")) != NULL && *v) {
		if (strcmp(v, "1") == 0 || strcmp(v, "true") == 0)
			all = true;
		else if (strcmp(v, "0") != 0 && strcmp(v, "false") != 0)
			return err_reply(400, status, body, len, "bad all: expected 1 or 0");
	}
	if (want == AS_RESOLVED)
		all = true;
	if (db == NULL || alert_db_list(db, all, HISTORY_MAX, &rows, &n) == -1 ||
	    alert_db_silences(db, now, &sil, &nsil) == -1) {
		alert_db_rows_free(rows, n);
		free(sil);
		return err_reply(503, status, body, len, "the state database cannot be read");
	}
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		if (want < 0 || rows[i].a.state == (enum alert_state)want)
			json_object_array_add(a, alert_obj(&rows[i], sil, nsil, now));
	json_object_object_add(o, "alerts", a);
	alert_db_rows_free(rows, n);
	free(sil);
	return reply(o, 200, status, body, len);
}

int
api_silences_get(struct state_db *db, double now, char **body, size_t *len, unsigned *status)
{
	struct silence_row *v = NULL;
	size_t n = 0;
	char id[32];

	if (db == NULL || alert_db_silence_list(db, now, &v, &n) == -1) {
		free(v);
		return err_reply(503, status, body, len, "the state database cannot be read");
	}
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		json_object *s = json_object_new_object();
		snprintf(id, sizeof id, "%lld", (long long)v[i].id);
		json_object_object_add(s, "id", json_object_new_string(id));
		json_object_object_add(s, "match", json_object_new_string(v[i].match));
		json_object_object_add(s, "until", jtime(v[i].until));
		json_object_object_add(s, "created", jtime(v[i].created));
		json_object_object_add(s, "reason", json_object_new_string(v[i].reason));
		json_object_array_add(a, s);
	}
	free(v);
	json_object_object_add(o, "silences", a);
	return reply(o, 200, status, body, len);
}

/* An id in a path: digits only. */
static bool
num_id(const char *s, int64_t *out)
{
	char *end;

	if (*s < '0' || *s > '9' || strlen(s) > 18)
		return false;
	*out = strtoll(s, &end, 10);
	return *end == '\0' && *out > 0;
}

/* Asks the writer; 0 with req->result set, or an error reply made (1). */
static int
ask_writer(struct state_reqs *reqs, struct state_req *req, char **body, size_t *len,
    unsigned *status)
{
	switch (state_reqs_call(reqs, req, API_WRITE_WAIT)) {
	case 0:
		if (req->result != -1)
			return 0;
		(void)err_reply(503, status, body, len, "the state database cannot be written");
		return 1;
	case -1:
		(void)err_reply(503, status, body, len, "the collector is busy storing samples: "
		    "not recorded, try again");
		return 1;
	default:
		(void)err_reply(503, status, body, len, reqs == NULL ? "this collector keeps no "
		    "alerts (a national view)" : "the collector is stopping: not recorded");
		return 1;
	}
}

int
api_silence_post(struct state_reqs *reqs, const char *in, size_t inlen, double now, char **body,
    size_t *len, unsigned *status)
{
	json_object *o = NULL, *v;
	const char *match, *reason;
	struct alert_match m;
	double until;
	char until_s[64], id[32];
	int rc;

	if (inlen == 0 || (o = json_tokener_parse(in)) == NULL ||
	    !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return err_reply(400, status, body, len, "expected a JSON object with match, "
		    "until and reason");
	}
	if (!json_object_object_get_ex(o, "match", &v) || !json_object_is_type(v, json_type_string) ||
	    alert_match_parse((match = json_object_get_string(v)), &m) == -1) {
		json_object_put(o);
		return err_reply(400, status, body, len, "match: expected province:ID, commune:ID, "
		    "hamlet:ID, agent:ID or *");
	}
	if (!json_object_object_get_ex(o, "until", &v) ||
	    (!json_object_is_type(v, json_type_string) && !json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double))) {
		json_object_put(o);
		return err_reply(400, status, body, len, "until: expected a duration (2h), a Unix "
		    "time or an ISO date-time");
	}
	snprintf(until_s, sizeof until_s, "%s", json_object_get_string(v));
	if (alert_parse_until(until_s, now, &until) == -1 || until <= now) {
		json_object_put(o);
		return err_reply(400, status, body, len, "until '%.40s': expected a duration (2h), "
		    "a Unix time or an ISO date-time, in the future", until_s);
	}
	if (!json_object_object_get_ex(o, "reason", &v) || !json_object_is_type(v, json_type_string) ||
	    *(reason = json_object_get_string(v)) == '\0' || strlen(reason) > REASON_MAX) {
		json_object_put(o);
		return err_reply(400, status, body, len, "reason: expected text (1 to %d bytes): "
		    "say why, for whoever reads the silence list", REASON_MAX);
	}
	struct state_req rq = { .kind = SR_SILENCE_ADD, .until = until, .now = now };
	alert_match_str(&m, rq.match, sizeof rq.match);
	snprintf(rq.text, sizeof rq.text, "%s", reason);
	json_object_put(o);
	if (ask_writer(reqs, &rq, body, len, status) != 0)
		return *body != NULL ? 0 : -1;
	int64_t sid = rq.result;
	const char *canon = rq.match;
	o = json_object_new_object();
	snprintf(id, sizeof id, "%lld", (long long)sid);
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "match", json_object_new_string(canon));
	json_object_object_add(o, "until", jtime(until));
	rc = reply(o, 201, status, body, len);
	(void)match;
	return rc;
}

/* A write on one row by its id (a silence removed, an alert acked):
 * 400 for a bad id, 404 when there is no such row, else {key: id}. */
static int
by_id(struct state_reqs *reqs, enum state_req_kind kind, const char *what, const char *key,
    const char *idstr, double now, char **body, size_t *len, unsigned *status)
{
	struct state_req rq = { .kind = kind, .now = now };

	if (!num_id(idstr, &rq.id))
		return err_reply(400, status, body, len, "bad %s id: expected a number", what);
	if (ask_writer(reqs, &rq, body, len, status) != 0)
		return *body != NULL ? 0 : -1;
	if (rq.result == 1)
		return err_reply(404, status, body, len, "no %s %lld", what, (long long)rq.id);
	json_object *o = json_object_new_object();
	json_object_object_add(o, key, json_object_new_string(idstr));
	return reply(o, 200, status, body, len);
}

int
api_silence_delete(struct state_reqs *reqs, const char *idstr, char **body, size_t *len,
    unsigned *status)
{
	return by_id(reqs, SR_SILENCE_RM, "silence", "deleted", idstr, 0, body, len, status);
}

int
api_alert_ack(struct state_reqs *reqs, const char *idstr, double now, char **body, size_t *len,
    unsigned *status)
{
	return by_id(reqs, SR_ACK, "alert", "acked", idstr, now, body, len, status);
}

int
api_error(unsigned code, const char *msg, char **body, size_t *len, unsigned *status)
{
	return err_reply(code, status, body, len, "%s", msg);
}

int
api_digest_get(struct snapshot_box *box, struct state_db *db, const struct collector_conf *cc,
    api_query_fn query, void *qarg, double now, char **body, size_t *len, unsigned *status)
{
	const char *province = query(qarg, "province"), *lang = query(qarg, "lang");
	struct digest_event *ev = NULL;
	struct snapshot *s = NULL;
	size_t nev = 0;
	bool vi = cc->digest.vi;
	char text[DIGEST_TEXT_MAX], dl[16];
	int rc;

	if (province != NULL && *province == '\0')
		province = NULL;
	if (province != NULL && !id_valid(province))
		return err_reply(400, status, body, len, "bad province id '%.80s': an id is 1-64 "
		    "characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit",
		    province);
	if (lang != NULL && *lang) {
		if (strcmp(lang, "en") != 0 && strcmp(lang, "vi") != 0)
			return err_reply(400, status, body, len, "bad lang '%.80s': expected en "
			    "or vi", lang);
		vi = strcmp(lang, "vi") == 0;
	}
	if (db == NULL)
		return err_reply(503, status, body, len, "the state database cannot be opened");
	s = box ? snapshot_get(box) : NULL;
	if (s == NULL || s->inv == NULL || s->cov == NULL) {
		snapshot_put(s);
		return err_reply(503, status, body, len, s == NULL ? "no evaluation yet" :
		    "no inventory configured ([collector] inventory in the collector's config)");
	}
	const struct inventory *inv = s->inv->inv;
	if (province != NULL && inventory_province(inv, province) == NULL) {
		snapshot_put(s);
		return err_reply(404, status, body, len, "unknown province '%s'", province);
	}
	if (digest_events(db, now - DIGEST_WINDOW, now, &ev, &nev) == -1) {
		snapshot_put(s);
		return err_reply(503, status, body, len, "the state database cannot be read");
	}
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	for (size_t p = 0; o && a && p < inv->nprovinces; p++) {
		struct digest d;
		if (province != NULL ? strcmp(inv->provinces[p].id, province) != 0 :
		    !collector_owns(cc->provinces, cc->nprovinces, inv->provinces[p].id))
			continue;
		if (digest_make(&d, inv, s->cov, p, ev, nev, now) == -1) {
			json_object_put(a);
			a = NULL;
			break;
		}
		digest_text(&d, vi, cc->alerts.public_url, text, sizeof text);
		json_object *e = json_object_new_object();
		json_object_object_add(e, "province", json_object_new_string(d.province));
		json_object_object_add(e, "name", json_object_new_string(d.name));
		json_object_object_add(e, "text", json_object_new_string(text));
		json_object_object_add(e, "covered_pct", isnan(d.covered_pct) ? NULL :
		    json_object_new_double(round(d.covered_pct * 10) / 10));
		json_object_object_add(e, "target_pct", isnan(d.target_pct) ? NULL :
		    json_object_new_double(d.target_pct));
		inventory_date_str(d.deadline, dl, sizeof dl);
		json_object_object_add(e, "deadline", dl[0] ? json_object_new_string(dl) : NULL);
		json_object_object_add(e, "colour", colour_name((enum colour)d.colour) ?
		    json_object_new_string(colour_name((enum colour)d.colour)) : NULL);
		json_object_object_add(e, "overdue", json_object_new_int64(d.overdue_total));
		json_object_object_add(e, "new_overdue", json_object_new_int64((int64_t)d.noverdue));
		json_object_object_add(e, "turned_red", json_object_new_int64((int64_t)d.nred));
		json_object_object_add(e, "back_from_red", json_object_new_int64((int64_t)d.nback));
		json_object_array_add(a, e);
		digest_clear(&d);
	}
	free(ev);
	snapshot_put(s);
	if (o == NULL || a == NULL) {
		json_object_put(o);
		json_object_put(a);
		return -1;
	}
	json_object_object_add(o, "lang", json_object_new_string(vi ? "vi" : "en"));
	json_object_object_add(o, "digests", a);
	rc = reply(o, 200, status, body, len);
	return rc;
}
