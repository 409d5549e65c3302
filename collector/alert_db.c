/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The alert tables of the state DB: what the engine keeps (alerts), what
 * people ask (acks, silences, through the API) and what is owed to the
 * notifiers (notify_queue). Statements are prepared per call: these run a
 * few times per evaluation, not per sample.
 */
#include "alert_db.h"

#include <json-c/json.h>
#include <sqlite3.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALERT_COLS "id, kind, scope, state, province, commune, agent, commune_name," \
	" province_name, hamlets, what, detail, summary, since, fired_at, resolved_at," \
	" clear_since, next_repeat, repeat_step, repeat, flapping, silenced, notified," \
	" began_silenced"

static sqlite3_stmt *
prep(struct state_db *db, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(state_db_sqlite(db), sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	return st;
}

/* A statement whose ?1 is the id of a row: NULL when it cannot be
 * prepared or bound. */
static sqlite3_stmt *
prep_id(struct state_db *db, const char *sql, int64_t id)
{
	sqlite3_stmt *st = prep(db, sql);

	if (st != NULL && sqlite3_bind_int64(st, 1, id) != SQLITE_OK) {
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

/* Finalizes a statement stepped to rc: ret, or -1 when it stopped short
 * of its last row (an error, or out of memory on the way). */
static int
finish(sqlite3_stmt *st, int rc, int ret)
{
	sqlite3_finalize(st);
	return ret == 0 && rc != SQLITE_DONE ? -1 : ret;
}

/* Room for element n of an array v of size-byte elements, its capacity
 * doubled from first: the array, or NULL when out of memory (v is then
 * as it was). */
static void *
grow(void *v, size_t *cap, size_t n, size_t size, size_t first)
{
	size_t c = *cap ? *cap * 2 : first;
	void *nv;

	if (n < *cap)
		return v;
	if ((nv = realloc(v, c * size)) != NULL)
		*cap = c;
	return nv;
}

/* Steps a statement that returns no rows, and finalizes it. */
static int
done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static char *
hamlets_json(const struct alert *a)
{
	json_object *h = json_object_new_array();
	char *s;

	if (h == NULL)
		return NULL;
	for (size_t i = 0; i < a->nhamlets; i++)
		json_object_array_add(h, json_object_new_string(a->hamlets[i]));
	s = strdup(json_object_to_json_string_ext(h, JSON_C_TO_STRING_PLAIN));
	json_object_put(h);
	return s;
}

/* Binds the columns from kind (2) to began_silenced (24) of ALERT_COLS. */
static int
bind_alert(sqlite3_stmt *st, const struct alert *a, const char *hamlets)
{
	char summary[ALERT_TEXT_MAX * 2];
	int rc = SQLITE_OK, i = 2;

	alert_summary(a, summary, sizeof summary);
#define T(v) if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, i++, (v), -1, SQLITE_TRANSIENT)
#define D(v) if (rc == SQLITE_OK) rc = sqlite3_bind_double(st, i++, (v))
#define I(v) if (rc == SQLITE_OK) rc = sqlite3_bind_int(st, i++, (v))
	T(alert_kind_name[a->kind]); T(a->scope); T(alert_state_name[a->state]);
	T(a->province); T(a->commune); T(a->agent); T(a->commune_name); T(a->province_name);
	T(hamlets); T(a->what); T(a->detail); T(summary);
	D(a->since); D(a->fired_at); D(a->resolved_at); D(a->clear_since); D(a->next_repeat);
	D(a->repeat_step); D(a->repeat);
	I(a->flapping); I(a->silenced); I(a->notified); I(a->began_silenced);
#undef T
#undef D
#undef I
	return rc == SQLITE_OK ? 0 : -1;
}

int64_t
alert_db_insert(struct state_db *db, const struct alert *a, double now)
{
	sqlite3_stmt *st = prep(db, "INSERT INTO alerts (" ALERT_COLS ", updated) VALUES"
	    " (NULL, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,"
	    " ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25)");
	char *h = hamlets_json(a);

	if (st == NULL || h == NULL || bind_alert(st, a, h) == -1 ||
	    sqlite3_bind_double(st, 25, now) != SQLITE_OK) {
		sqlite3_finalize(st);
		free(h);
		return -1;
	}
	free(h);
	if (done(st) == -1)
		return -1;
	return sqlite3_last_insert_rowid(state_db_sqlite(db));
}

int
alert_db_save(struct state_db *db, const struct alert *a, double now)
{
	sqlite3_stmt *st = prep(db, "UPDATE alerts SET kind = ?2, scope = ?3, state = ?4,"
	    " province = ?5, commune = ?6, agent = ?7, commune_name = ?8, province_name = ?9,"
	    " hamlets = ?10, what = ?11, detail = ?12, summary = ?13, since = ?14,"
	    " fired_at = ?15, resolved_at = ?16, clear_since = ?17, next_repeat = ?18,"
	    " repeat_step = ?19, repeat = ?20, flapping = ?21, silenced = ?22, notified = ?23,"
	    " began_silenced = ?24, updated = ?25 WHERE id = ?1");
	char *h = hamlets_json(a);

	if (st == NULL || h == NULL || bind_alert(st, a, h) == -1 ||
	    sqlite3_bind_int64(st, 1, a->id) != SQLITE_OK ||
	    sqlite3_bind_double(st, 25, now) != SQLITE_OK) {
		sqlite3_finalize(st);
		free(h);
		return -1;
	}
	free(h);
	return done(st);
}

int
alert_db_delete(struct state_db *db, int64_t id)
{
	sqlite3_stmt *st = prep_id(db, "DELETE FROM alerts WHERE id = ?1", id);

	return st ? done(st) : -1;
}

int
alert_db_queue(struct state_db *db, const char *notifier, const char *route,
    const char *json, const char *kind, const char *state, const char *scope,
    const char *summary, double now)
{
	sqlite3_stmt *st = prep(db, "INSERT INTO notify_queue (notifier, route, payload, kind,"
	    " state, scope, summary, created, next_try) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)");
	int rc = st ? SQLITE_OK : SQLITE_ERROR, i = 1;

	if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, i++, notifier, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, i++, route, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, i++, json, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, i++, kind ? kind : "", -1, SQLITE_STATIC);
	if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, i++, state, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, i++, scope ? scope : "", -1, SQLITE_STATIC);
	if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, i++, summary, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK) rc = sqlite3_bind_double(st, i++, now);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	return done(st);
}

int
alert_db_pend(struct state_db *db, const struct alert_pending *p)
{
	sqlite3_stmt *st = prep(db, "INSERT INTO notify_groups (route, gkey, resolved, deadline,"
	    " scope, name, province, commune, alert_id, nhamlets, since, summary, payload)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
	int rc = st ? SQLITE_OK : SQLITE_ERROR, i = 1;

	if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, i++, p->route, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, i++, p->key, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK) rc = sqlite3_bind_int(st, i++, p->resolved);
	if (rc == SQLITE_OK) rc = sqlite3_bind_double(st, i++, p->deadline);
	if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, i++, p->scope, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, i++, p->name, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, i++, p->province, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, i++, p->commune, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK) rc = sqlite3_bind_int64(st, i++, p->id);
	if (rc == SQLITE_OK) rc = sqlite3_bind_int64(st, i++, (sqlite3_int64)p->nhamlets);
	if (rc == SQLITE_OK) rc = sqlite3_bind_double(st, i++, p->since);
	if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, i++, p->summary, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, i++, p->json, -1, SQLITE_STATIC);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	return done(st);
}

int
alert_db_unpend(struct state_db *db, const char *route, const char *key, bool resolved)
{
	sqlite3_stmt *st = prep(db, "DELETE FROM notify_groups"
	    " WHERE route = ?1 AND gkey = ?2 AND resolved = ?3");

	if (st == NULL || sqlite3_bind_text(st, 1, route, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int(st, 3, resolved) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	return done(st);
}

int
alert_db_unpend_all(struct state_db *db)
{
	sqlite3_stmt *st = prep(db, "DELETE FROM notify_groups");

	return st ? done(st) : -1;
}

static const char *
col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : "";
}

/* Reads a row of ALERT_COLS; hamlets allocated. */
static int
read_alert(sqlite3_stmt *st, struct alert *a, char *summary, size_t slen)
{
	int k;

	memset(a, 0, sizeof *a);
	a->id = sqlite3_column_int64(st, 0);
	if ((k = alert_kind_lookup(col(st, 1))) < 0)
		return -1;
	a->kind = (enum alert_kind)k;
	snprintf(a->scope, sizeof a->scope, "%s", col(st, 2));
	a->state = strcmp(col(st, 3), "firing") == 0 ? AS_FIRING :
	    strcmp(col(st, 3), "pending") == 0 ? AS_PENDING : AS_RESOLVED;
	snprintf(a->province, sizeof a->province, "%s", col(st, 4));
	snprintf(a->commune, sizeof a->commune, "%s", col(st, 5));
	snprintf(a->agent, sizeof a->agent, "%s", col(st, 6));
	snprintf(a->commune_name, sizeof a->commune_name, "%s", col(st, 7));
	snprintf(a->province_name, sizeof a->province_name, "%s", col(st, 8));
	json_object *h = json_tokener_parse(col(st, 9));
	size_t n = h && json_object_is_type(h, json_type_array) ? json_object_array_length(h) : 0;
	if (n > 0 && (a->hamlets = calloc(n, sizeof *a->hamlets)) == NULL) {
		json_object_put(h);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(h, i));
		snprintf(a->hamlets[a->nhamlets++], sizeof a->hamlets[0], "%s", s ? s : "");
	}
	json_object_put(h);
	snprintf(a->what, sizeof a->what, "%s", col(st, 10));
	snprintf(a->detail, sizeof a->detail, "%s", col(st, 11));
	if (summary)
		snprintf(summary, slen, "%s", col(st, 12));
	a->since = sqlite3_column_double(st, 13);
	a->fired_at = sqlite3_column_double(st, 14);
	a->resolved_at = sqlite3_column_double(st, 15);
	a->clear_since = sqlite3_column_double(st, 16);
	a->next_repeat = sqlite3_column_double(st, 17);
	a->repeat_step = sqlite3_column_double(st, 18);
	a->repeat = sqlite3_column_double(st, 19);
	a->flapping = sqlite3_column_int(st, 20);
	a->silenced = sqlite3_column_int(st, 21);
	a->notified = sqlite3_column_int(st, 22);
	a->began_silenced = sqlite3_column_int(st, 23);
	return 0;
}

int
alert_db_each_open(struct state_db *db, int (*cb)(const struct alert *, void *), void *arg)
{
	sqlite3_stmt *st = prep(db, "SELECT " ALERT_COLS " FROM alerts"
	    " WHERE state != 'resolved' ORDER BY id");
	struct alert a;
	int rc, ret = 0;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (read_alert(st, &a, NULL, 0) == -1)
			continue;        /* a kind this build does not know */
		ret = cb(&a, arg);
		free(a.hamlets);
		if (ret == -1)
			break;
	}
	return finish(st, rc, ret);
}

int
alert_db_each_pending(struct state_db *db, int (*cb)(const struct alert_pending *, void *),
    void *arg)
{
	sqlite3_stmt *st = prep(db, "SELECT route, gkey, resolved, deadline, scope, name,"
	    " province, commune, alert_id, nhamlets, since, summary, payload"
	    " FROM notify_groups ORDER BY id");
	int rc, ret = 0;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct alert_pending p = {
			.route = col(st, 0), .key = col(st, 1),
			.resolved = sqlite3_column_int(st, 2) != 0,
			.deadline = sqlite3_column_double(st, 3), .scope = col(st, 4),
			.name = col(st, 5), .province = col(st, 6), .commune = col(st, 7),
			.id = sqlite3_column_int64(st, 8),
			.nhamlets = (size_t)sqlite3_column_int64(st, 9),
			.since = sqlite3_column_double(st, 10), .summary = col(st, 11),
			.json = col(st, 12),
		};
		if ((ret = cb(&p, arg)) == -1)
			break;
	}
	return finish(st, rc, ret);
}

int
alert_db_silences(struct state_db *db, double now, struct alert_silence **out, size_t *n)
{
	struct silence_row *rows;
	size_t nrows;

	/* The rows the API lists, their matches parsed: one reading of the
	 * silences in force for the engine, the pages and the API. */
	*out = NULL;
	*n = 0;
	if (alert_db_silence_list(db, now, &rows, &nrows) == -1)
		return -1;
	if (nrows > 0 && (*out = calloc(nrows, sizeof **out)) == NULL) {
		free(rows);
		return -1;
	}
	for (size_t i = 0; i < nrows; i++) {
		struct alert_silence *s = &(*out)[*n];
		s->id = rows[i].id;
		s->until = rows[i].until;
		if (alert_match_parse(rows[i].match, &s->match) == 0)
			(*n)++;
	}
	free(rows);
	return 0;
}

int
alert_db_acked(struct state_db *db, int64_t **out, size_t *n)
{
	sqlite3_stmt *st = prep(db, "SELECT k.alert_id FROM alert_acks k JOIN alerts a"
	    " ON a.id = k.alert_id WHERE a.state != 'resolved'");
	int64_t *v = NULL;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t *nv = grow(v, &cap, *n, sizeof *v, 8);
		if (nv == NULL)
			break;
		v = nv;
		v[(*n)++] = sqlite3_column_int64(st, 0);
	}
	*out = v;
	return finish(st, rc, 0);
}

int
alert_db_trim(struct state_db *db, double before)
{
	static const char *const sql[] = {
		("DELETE FROM alert_acks WHERE alert_id IN (SELECT id FROM alerts"
		" WHERE state = 'resolved' AND resolved_at < ?1)"),
		"DELETE FROM alerts WHERE state = 'resolved' AND resolved_at < ?1",
		"DELETE FROM notify_queue WHERE sent_at IS NOT NULL AND sent_at < ?1",
		"DELETE FROM silences WHERE until < ?1",
	};

	for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
		sqlite3_stmt *st = prep(db, sql[i]);
		if (st == NULL || sqlite3_bind_double(st, 1, before) != SQLITE_OK) {
			sqlite3_finalize(st);
			return -1;
		}
		if (done(st) == -1)
			return -1;
	}
	return 0;
}

int
alert_db_list(struct state_db *db, bool all, size_t limit, struct alert_row **out, size_t *n)
{
	sqlite3_stmt *st = prep(db, all ?
	    "SELECT " ALERT_COLS ", (SELECT count(*) FROM alert_acks k WHERE k.alert_id = alerts.id)"
	    " FROM alerts ORDER BY id DESC LIMIT ?1" :
	    "SELECT " ALERT_COLS ", (SELECT count(*) FROM alert_acks k WHERE k.alert_id = alerts.id)"
	    " FROM alerts WHERE state != 'resolved' ORDER BY id DESC LIMIT ?1");
	struct alert_row *v = NULL;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (st == NULL || sqlite3_bind_int64(st, 1, (sqlite3_int64)limit) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct alert_row *nv = grow(v, &cap, *n, sizeof *v, 32);
		if (nv == NULL)
			break;
		v = nv;
		struct alert_row *r = &v[*n];
		if (read_alert(st, &r->a, r->summary, sizeof r->summary) == -1)
			continue;
		r->acked = sqlite3_column_int(st, 24) > 0;
		(*n)++;
	}
	sqlite3_finalize(st);
	*out = v;
	if (rc != SQLITE_DONE) {
		alert_db_rows_free(v, *n);
		*out = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

void
alert_db_rows_free(struct alert_row *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].a.hamlets);
	free(v);
}

int
alert_db_ack(struct state_db *db, int64_t id, double now)
{
	sqlite3_stmt *st = prep_id(db, "SELECT 1 FROM alerts WHERE id = ?1", id);
	int rc;

	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 1;
	if (rc != SQLITE_ROW)
		return -1;
	st = prep_id(db, "INSERT OR IGNORE INTO alert_acks (alert_id, at) VALUES (?1, ?2)", id);
	if (st == NULL || sqlite3_bind_double(st, 2, now) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	return done(st);
}

int64_t
alert_db_silence_add(struct state_db *db, const char *match, double until,
    const char *reason, double now)
{
	sqlite3_stmt *st = prep(db, "INSERT INTO silences (match, until, reason, created)"
	    " VALUES (?1, ?2, ?3, ?4)");

	if (st == NULL || sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_double(st, 2, until) != SQLITE_OK ||
	    sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_double(st, 4, now) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	if (done(st) == -1)
		return -1;
	return sqlite3_last_insert_rowid(state_db_sqlite(db));
}

int
alert_db_silence_rm(struct state_db *db, int64_t id)
{
	sqlite3_stmt *st = prep_id(db, "DELETE FROM silences WHERE id = ?1", id);

	if (st == NULL || done(st) == -1)
		return -1;
	return sqlite3_changes(state_db_sqlite(db)) > 0 ? 0 : 1;
}

int
alert_db_silence_list(struct state_db *db, double now, struct silence_row **out, size_t *n)
{
	sqlite3_stmt *st = prep(db, "SELECT id, match, until, created, reason FROM silences"
	    " WHERE until > ?1 ORDER BY id");
	struct silence_row *v = NULL;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (st == NULL || sqlite3_bind_double(st, 1, now) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct silence_row *nv = grow(v, &cap, *n, sizeof *v, 8);
		if (nv == NULL)
			break;
		v = nv;
		struct silence_row *r = &v[(*n)++];
		r->id = sqlite3_column_int64(st, 0);
		snprintf(r->match, sizeof r->match, "%s", col(st, 1));
		r->until = sqlite3_column_double(st, 2);
		r->created = sqlite3_column_double(st, 3);
		snprintf(r->reason, sizeof r->reason, "%s", col(st, 4));
	}
	*out = v;
	return finish(st, rc, 0);
}

int
alert_db_queue_heads(struct state_db *db, struct queued **out, size_t *n)
{
	/* min(id) per notifier among the unsent: SQLite returns the other
	 * columns of that row with a bare min(). */
	sqlite3_stmt *st = prep(db, "SELECT min(id), notifier, payload, kind, state, scope,"
	    " summary, attempts, next_try FROM notify_queue WHERE sent_at IS NULL"
	    " GROUP BY notifier");
	struct queued *v = NULL;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct queued *nv = grow(v, &cap, *n, sizeof *v, 8);
		if (nv == NULL)
			break;
		v = nv;
		struct queued *q = &v[*n];
		memset(q, 0, sizeof *q);
		q->id = sqlite3_column_int64(st, 0);
		snprintf(q->notifier, sizeof q->notifier, "%s", col(st, 1));
		if ((q->payload = strdup(col(st, 2))) == NULL)
			break;
		snprintf(q->kind, sizeof q->kind, "%s", col(st, 3));
		snprintf(q->state, sizeof q->state, "%s", col(st, 4));
		snprintf(q->scope, sizeof q->scope, "%s", col(st, 5));
		snprintf(q->summary, sizeof q->summary, "%s", col(st, 6));
		q->attempts = sqlite3_column_int(st, 7);
		q->next_try = sqlite3_column_double(st, 8);
		(*n)++;
	}
	*out = v;
	return finish(st, rc, 0);
}

void
alert_db_queued_free(struct queued *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].payload);
	free(v);
}

int
alert_db_queue_sent(struct state_db *db, int64_t id, double now)
{
	sqlite3_stmt *st = prep_id(db, "UPDATE notify_queue SET sent_at = ?2,"
	    " attempts = attempts + 1 WHERE id = ?1", id);

	if (st == NULL || sqlite3_bind_double(st, 2, now) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	return done(st);
}

int
alert_db_queue_failed(struct state_db *db, int64_t id, int attempts, double next_try,
    const char *error)
{
	sqlite3_stmt *st = prep_id(db, "UPDATE notify_queue SET attempts = ?2, next_try = ?3,"
	    " last_error = ?4 WHERE id = ?1", id);

	if (st == NULL || sqlite3_bind_int(st, 2, attempts) != SQLITE_OK ||
	    sqlite3_bind_double(st, 3, next_try) != SQLITE_OK ||
	    sqlite3_bind_text(st, 4, error, -1, SQLITE_STATIC) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	return done(st);
}

int64_t
alert_db_queue_depth(struct state_db *db)
{
	sqlite3_stmt *st = prep(db, "SELECT count(*) FROM notify_queue WHERE sent_at IS NULL");
	int64_t n = -1;

	if (st != NULL && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}
