/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the dashboard reads from the state DB (data_dir/state.db): the
 * hamlets with the most downtime this week, one hamlet's recent states,
 * the alerts and the silences in force. A read-only connection of the HTTP
 * threads' own (the writer owns the read-write one; WAL mode lets both
 * work at once), opened on first use because the writer creates the file,
 * and kept under one lock. The week's worst list scans the whole history,
 * so it is kept for a minute. The alert tables stay small (history is
 * trimmed after [alerts] keep_days), so they are read at each request:
 * an ack or a new silence shows at once, as in the API.
 */
#include "pages.h"
#include "alert_match.h"

#include "clock.h"
#include "log.h"

#include <json-c/json.h>
#include <sqlite3.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DB_BUSY_MS	200	/* the writer commits in short transactions */
#define DOWN_TTL	60.0	/* seconds a worst-downtime list is reused */
#define DOWN_MAX	16
#define RETRY_OPEN	10.0	/* seconds between attempts to open the file */

struct pages_db {
	pthread_mutex_t lock;		/* protects everything below */
	char path[600];
	sqlite3 *db;
	sqlite3_stmt *down, *hist;
	sqlite3_stmt *alerts[PAGES__WHICH];
	sqlite3_stmt *sil;
	double next_open;		/* monotonic; no attempt before */
	struct log_limit lim;		/* "cannot open" said once in a while */
	/* The last worst-downtime answer, and when it was made. */
	struct pages_downtime rows[DOWN_MAX];
	int nrows;
	double rows_at;
};

static const char sql_down[] =
	/* Seconds of each hamlet down or unreachable that overlap [?1, ?2). */
	"SELECT hamlet, sum(min(coalesce(until, ?2), ?2) - max(since, ?1)) AS s"
	" FROM hamlet_history WHERE state IN ('down', 'unreachable')"
	" AND since < ?2 AND coalesce(until, ?2) > ?1"
	" GROUP BY hamlet ORDER BY s DESC, hamlet LIMIT ?3";
static const char sql_hist[] =
	"SELECT state, since, until FROM hamlet_history WHERE hamlet = ?1"
	" ORDER BY since DESC LIMIT ?2";

/* An alert's hamlets, a JSON array of ids; a damaged one counts as none
 * rather than failing the whole list. */
#define HAMLETS	"(CASE WHEN json_valid(a.hamlets) THEN a.hamlets ELSE '[]' END)"
/*
 * The columns read_alert() takes; ?1 is now, ?2 the limit. "silenced" is
 * what the API says (api_alerts.c): for an open alert, whether a silence
 * in force matches it now — covmon_silence_matches(), the engine's own
 * rule (alert_match_hits) registered on the connection — and for a
 * resolved one, whether it was silenced then. count(*) OVER () is the
 * number of rows before LIMIT, for "N more".
 */
#define ALERT_SELECT \
	"SELECT a.id, a.kind, a.state, a.scope, a.summary, a.since, a.resolved_at, a.flapping," \
	" CASE WHEN a.state = 'resolved' THEN a.silenced != 0 ELSE EXISTS (SELECT 1" \
	" FROM silences s WHERE s.until > ?1 AND covmon_silence_matches(s.match," \
	" a.province, a.commune, a.agent, " HAMLETS ")) END," \
	" EXISTS (SELECT 1 FROM alert_acks k WHERE k.alert_id = a.id)," \
	" count(*) OVER ()" \
	" FROM alerts a"
/* The firing lists: severity first (covmon_severity(), registered on the
 * connection, is pages_kind_severity()), then the alert with the most
 * hamlets behind it, then the oldest. */
#define BY_SEVERITY \
	" ORDER BY covmon_severity(a.kind) DESC, json_array_length(" HAMLETS ") DESC," \
	" a.since, a.id LIMIT ?2"
static const char *const sql_alerts[PAGES__WHICH] = {
	[PAGES_FIRING] = ALERT_SELECT " WHERE a.state = 'firing'"
	    " AND covmon_severity(a.kind) > 0" BY_SEVERITY,
	[PAGES_ROLLOUT] = ALERT_SELECT " WHERE a.state = 'firing'"
	    " AND covmon_severity(a.kind) = 0" BY_SEVERITY,
	/* ?3: resolved at or after */
	[PAGES_RESOLVED] = ALERT_SELECT " WHERE a.state = 'resolved' AND a.resolved_at >= ?3"
	    " ORDER BY a.resolved_at DESC, a.id DESC LIMIT ?2",
	/* ?3: the hamlet; pending alerts are not news yet */
	[PAGES_OF_HAMLET] = ALERT_SELECT " WHERE a.state IN ('firing', 'resolved')"
	    " AND (a.scope = 'hamlet:' || ?3"
	    " OR EXISTS (SELECT 1 FROM json_each(" HAMLETS ") WHERE value = ?3))"
	    " ORDER BY a.state = 'firing' DESC, a.since DESC, a.id DESC LIMIT ?2",
};
static const char sql_sil[] =
	"SELECT match, until, reason, count(*) OVER () FROM silences WHERE until > ?1"
	" ORDER BY until, id LIMIT ?2";

struct pages_db *
pages_db_new(const char *data_dir)
{
	struct pages_db *db = calloc(1, sizeof *db);

	if (db == NULL)
		return NULL;
	pthread_mutex_init(&db->lock, NULL);
	db->lim = (struct log_limit)LOG_LIMIT_INIT(1, 600);
	snprintf(db->path, sizeof db->path, "%s/state.db", data_dir);
	return db;
}

static void
db_close(struct pages_db *db)
{
	sqlite3_finalize(db->down);
	sqlite3_finalize(db->hist);
	for (size_t i = 0; i < sizeof db->alerts / sizeof db->alerts[0]; i++) {
		sqlite3_finalize(db->alerts[i]);
		db->alerts[i] = NULL;
	}
	sqlite3_finalize(db->sil);
	sqlite3_close(db->db);
	db->down = db->hist = db->sil = NULL;
	db->db = NULL;
}

void
pages_db_free(struct pages_db *db)
{
	if (db == NULL)
		return;
	db_close(db);
	pthread_mutex_destroy(&db->lock);
	free(db);
}

/* covmon_severity(kind): the rule of the pages, in SQL. */
static void
sql_severity(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char *kind = argc == 1 ? sqlite3_value_text(argv[0]) : NULL;

	sqlite3_result_int(ctx, pages_kind_severity(kind ? (const char *)kind : ""));
}

/* covmon_silence_matches(match, province, commune, agent, hamlets): a
 * silence's match string against an alert's row (hamlets a JSON array of
 * ids), by alert_match_hits, the rule the engine applies. */
static void
sql_silence_matches(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *f[4];
	struct alert_match m;
	char (*hamlets)[ID_MAX + 1] = NULL;
	size_t n = 0;
	json_object *arr = NULL;

	for (int i = 0; i < 4; i++)
		f[i] = (const char *)sqlite3_value_text(argv[i]);
	if (argc != 5 || f[0] == NULL || alert_match_parse(f[0], &m) == -1) {
		sqlite3_result_int(ctx, 0);
		return;
	}
	if (m.type == MT_HAMLET && sqlite3_value_text(argv[4]) != NULL &&
	    (arr = json_tokener_parse((const char *)sqlite3_value_text(argv[4]))) != NULL &&
	    json_object_is_type(arr, json_type_array)) {
		size_t len = json_object_array_length(arr);
		if (len > 0 && (hamlets = calloc(len, sizeof *hamlets)) != NULL)
			for (size_t i = 0; i < len; i++) {
				const char *h = json_object_get_string(
				    json_object_array_get_idx(arr, i));
				if (h != NULL && strlen(h) <= ID_MAX)
					memcpy(hamlets[n++], h, strlen(h) + 1);
			}
	}
	sqlite3_result_int(ctx, alert_match_hits(&m, f[1], f[2], f[3],
	    (const char (*)[ID_MAX + 1])hamlets, n));
	free(hamlets);
	json_object_put(arr);
}

/* Opens the connection when it is not open; false when it cannot now. */
static bool
db_ready(struct pages_db *db)
{
	if (db->db != NULL)
		return true;
	if (clock_mono() < db->next_open)
		return false;
	db->next_open = clock_mono() + RETRY_OPEN;
	/* Read-only, and never created here: before the writer made it there
	 * is simply no history yet. */
	if (sqlite3_open_v2(db->path, &db->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
	    NULL) != SQLITE_OK)
		goto fail;
	sqlite3_busy_timeout(db->db, DB_BUSY_MS);
	if (sqlite3_create_function_v2(db->db, "covmon_severity", 1,
	    SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_severity, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function_v2(db->db, "covmon_silence_matches", 5,
	    SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_silence_matches, NULL, NULL,
	    NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_prepare_v2(db->db, sql_down, -1, &db->down, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db->db, sql_hist, -1, &db->hist, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db->db, sql_sil, -1, &db->sil, NULL) != SQLITE_OK)
		goto fail;
	for (size_t i = 0; i < sizeof db->alerts / sizeof db->alerts[0]; i++)
		if (sqlite3_prepare_v2(db->db, sql_alerts[i], -1, &db->alerts[i], NULL) != SQLITE_OK)
			goto fail;
	return true;
fail:
	log_limited(&db->lim, "dashboard: %s: %s (history not shown for now)", db->path,
	    db->db ? sqlite3_errmsg(db->db) : "out of memory");
	db_close(db);
	return false;
}

static int
worst_downtime(void *arg, double from, double to, struct pages_downtime *out, int max)
{
	struct pages_db *db = arg;
	int n = 0, rc = SQLITE_DONE;

	pthread_mutex_lock(&db->lock);
	/* The list moves slowly (a week's sum); one scan a minute is plenty. */
	if (db->rows_at > 0 && clock_mono() - db->rows_at < DOWN_TTL)
		goto copy;
	if (!db_ready(db)) {
		n = -1;
		goto done;
	}
	sqlite3_bind_double(db->down, 1, from);
	sqlite3_bind_double(db->down, 2, to);
	sqlite3_bind_int(db->down, 3, DOWN_MAX);
	db->nrows = 0;
	while (db->nrows < DOWN_MAX && (rc = sqlite3_step(db->down)) == SQLITE_ROW) {
		const char *h = (const char *)sqlite3_column_text(db->down, 0);
		if (h == NULL || strlen(h) > ID_MAX)
			continue;
		snprintf(db->rows[db->nrows].hamlet, sizeof db->rows[0].hamlet, "%s", h);
		db->rows[db->nrows++].seconds = sqlite3_column_double(db->down, 1);
	}
	sqlite3_reset(db->down);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		db->nrows = 0;
		/* A schema the writer has not made yet, a locked file: next time. */
		db_close(db);
		n = -1;
		goto done;
	}
	db->rows_at = clock_mono();
copy:
	n = db->nrows < max ? db->nrows : max;
	memcpy(out, db->rows, (size_t)n * sizeof *out);
done:
	pthread_mutex_unlock(&db->lock);
	return n;
}

static int
history(void *arg, const char *hamlet, struct pages_stretch *out, int max)
{
	struct pages_db *db = arg;
	int n = 0, rc = SQLITE_DONE;

	pthread_mutex_lock(&db->lock);
	if (!db_ready(db)) {
		n = -1;
		goto done;
	}
	sqlite3_bind_text(db->hist, 1, hamlet, -1, SQLITE_STATIC);
	sqlite3_bind_int(db->hist, 2, max);
	while (n < max && (rc = sqlite3_step(db->hist)) == SQLITE_ROW) {
		const char *st = (const char *)sqlite3_column_text(db->hist, 0);
		snprintf(out[n].state, sizeof out[n].state, "%s", st ? st : "");
		out[n].since = sqlite3_column_double(db->hist, 1);
		out[n].until = sqlite3_column_type(db->hist, 2) == SQLITE_NULL ? 0 :
		    sqlite3_column_double(db->hist, 2);
		n++;
	}
	if (n < max && rc != SQLITE_DONE) {
		sqlite3_reset(db->hist);
		sqlite3_clear_bindings(db->hist);
		db_close(db);
		n = -1;
		goto done;
	}
	sqlite3_reset(db->hist);
	sqlite3_clear_bindings(db->hist);
done:
	pthread_mutex_unlock(&db->lock);
	return n;
}

static const char *
col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : "";
}

static void
read_alert(sqlite3_stmt *st, void *out)
{
	struct pages_alert *a = out;

	a->id = sqlite3_column_int64(st, 0);
	snprintf(a->kind, sizeof a->kind, "%s", col(st, 1));
	snprintf(a->state, sizeof a->state, "%s", col(st, 2));
	snprintf(a->scope, sizeof a->scope, "%s", col(st, 3));
	snprintf(a->summary, sizeof a->summary, "%s", col(st, 4));
	a->since = sqlite3_column_double(st, 5);
	a->resolved_at = sqlite3_column_double(st, 6);
	a->flapping = sqlite3_column_int(st, 7) != 0;
	a->silenced = sqlite3_column_int(st, 8) != 0;
	a->acked = sqlite3_column_int(st, 9) != 0;
}

static void
read_silence(sqlite3_stmt *st, void *out)
{
	struct pages_silence *s = out;

	snprintf(s->match, sizeof s->match, "%s", col(st, 0));
	s->until = sqlite3_column_double(st, 1);
	snprintf(s->reason, sizeof s->reason, "%s", col(st, 2));
}

/*
 * Steps st (bound, under the lock) into out through read(); the last
 * column is the count before LIMIT. Returns the rows, or -1 after closing
 * the connection (a schema the writer has not made yet, a locked file:
 * next time).
 */
static int
run(struct pages_db *db, sqlite3_stmt *st, void *out, size_t size, int max, int ncols,
    void (*read)(sqlite3_stmt *, void *), int *total)
{
	int n = 0, rc = SQLITE_DONE;

	*total = 0;
	while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		read(st, (char *)out + (size_t)n * size);
		*total = sqlite3_column_int(st, ncols - 1);
		n++;
	}
	if (n < max && rc != SQLITE_DONE) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		db_close(db);
		*total = 0;
		return -1;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return n;
}

static int
alerts(void *arg, enum pages_alerts_which which, const char *hamlet, double from, double now,
    struct pages_alert *out, int max, int *total)
{
	struct pages_db *db = arg;
	sqlite3_stmt *st;
	int n = -1;

	*total = 0;
	if ((unsigned)which >= sizeof db->alerts / sizeof db->alerts[0] || max <= 0 ||
	    (which == PAGES_OF_HAMLET && hamlet == NULL))
		return max <= 0 ? 0 : -1;
	pthread_mutex_lock(&db->lock);
	if (!db_ready(db))
		goto done;
	st = db->alerts[which];
	sqlite3_bind_double(st, 1, now);
	sqlite3_bind_int(st, 2, max);
	if (which == PAGES_RESOLVED)
		sqlite3_bind_double(st, 3, from);
	else if (which == PAGES_OF_HAMLET)
		sqlite3_bind_text(st, 3, hamlet, -1, SQLITE_STATIC);
	n = run(db, st, out, sizeof *out, max, 11, read_alert, total);
done:
	pthread_mutex_unlock(&db->lock);
	return n;
}

static int
silences(void *arg, double now, struct pages_silence *out, int max, int *total)
{
	struct pages_db *db = arg;
	int n = -1;

	*total = 0;
	if (max <= 0)
		return 0;
	pthread_mutex_lock(&db->lock);
	if (db_ready(db)) {
		sqlite3_bind_double(db->sil, 1, now);
		sqlite3_bind_int(db->sil, 2, max);
		n = run(db, db->sil, out, sizeof *out, max, 4, read_silence, total);
	}
	pthread_mutex_unlock(&db->lock);
	return n;
}

void
pages_db_source(struct pages_db *db, struct pages_source *src)
{
	src->worst_downtime = worst_downtime;
	src->history = history;
	src->alerts = alerts;
	src->silences = silences;
	src->arg = db;
}
