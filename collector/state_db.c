/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The collector's state in SQLite: one row per agent, and the write-ahead
 * log of acked samples that rrdcached may not have written yet. WAL
 * journal with synchronous=FULL, so a commit that returned is on disk;
 * the writer groups many samples per commit to keep that cheap.
 *
 * Metric values are a blob of METRIC_COUNT little-endian IEEE 754 doubles
 * in metric_table order (entries whose bit is clear in `present` are 0):
 * compact, exact, and independent of the JSON codec. A blob from a build
 * with fewer metrics reads as those metrics; metric_table only grows at
 * its end (wire protocol v1).
 */
#include "state_db.h"

#include <sqlite3.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATE_DB_VERSION 5
#define STATE_DB_BUSY_MS 5000

static const char *const state_db_schema =
	"CREATE TABLE IF NOT EXISTS agents ("
	" agent TEXT PRIMARY KEY NOT NULL,"
	" province TEXT NOT NULL,"
	" last_seq INTEGER NOT NULL DEFAULT 0,"    /* uint64 stored as int64 bits */
	" last_ts INTEGER NOT NULL DEFAULT 0,"
	" last_seen REAL NOT NULL DEFAULT 0,"
	" online INTEGER NOT NULL DEFAULT -1,"
	" interval INTEGER NOT NULL DEFAULT 0,"
	" present INTEGER NOT NULL DEFAULT 0,"
	" vals BLOB"
	") WITHOUT ROWID;"
	/* AUTOINCREMENT: ids are never reused after a trim, so "flushed up to
	 * id N" stays true across restarts. */
	"CREATE TABLE IF NOT EXISTS wal ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" province TEXT NOT NULL,"
	" agent TEXT NOT NULL,"
	" seq INTEGER NOT NULL,"
	" prev INTEGER,"                           /* NULL: the sample had none */
	" ts INTEGER NOT NULL,"
	" interval INTEGER NOT NULL,"
	" present INTEGER NOT NULL,"
	" vals BLOB NOT NULL"
	");"
	/* Each hamlet's states over time: one row per stretch, `until` NULL
	 * for the current one. "How long was Suối Chải down this month" is
	 * one query over it. */
	"CREATE TABLE IF NOT EXISTS hamlet_history ("
	" hamlet TEXT NOT NULL,"
	" state TEXT NOT NULL,"
	" since REAL NOT NULL,"
	" until REAL"
	");"
	"CREATE INDEX IF NOT EXISTS hamlet_history_by_hamlet ON hamlet_history (hamlet, since);";

/* Version 2: alerts (collector/alert_db.c). `alerts` is written by the
 * writer's engine only; acks and silences by the API only; the queue by the
 * engine (new rows) and the notifier thread (attempts), so no two threads
 * update the same rows. */
static const char *const state_db_schema_v2 =
	"CREATE TABLE IF NOT EXISTS alerts ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" kind TEXT NOT NULL,"
	" scope TEXT NOT NULL,"
	" state TEXT NOT NULL,"                    /* pending, firing, resolved */
	" province TEXT NOT NULL DEFAULT '',"
	" commune TEXT NOT NULL DEFAULT '',"
	" agent TEXT NOT NULL DEFAULT '',"
	" commune_name TEXT NOT NULL DEFAULT '',"
	" province_name TEXT NOT NULL DEFAULT '',"
	" hamlets TEXT NOT NULL DEFAULT '[]',"     /* JSON array of ids */
	" what TEXT NOT NULL DEFAULT '',"
	" detail TEXT NOT NULL DEFAULT '',"
	" summary TEXT NOT NULL DEFAULT '',"
	" since REAL NOT NULL,"
	" fired_at REAL NOT NULL DEFAULT 0,"
	" resolved_at REAL NOT NULL DEFAULT 0,"
	" clear_since REAL NOT NULL DEFAULT 0,"
	" next_repeat REAL NOT NULL DEFAULT 0,"
	" repeat_step REAL NOT NULL DEFAULT 0,"
	" repeat REAL NOT NULL DEFAULT 0,"
	" flapping INTEGER NOT NULL DEFAULT 0,"
	" silenced INTEGER NOT NULL DEFAULT 0,"
	" notified INTEGER NOT NULL DEFAULT 0,"
	" began_silenced INTEGER NOT NULL DEFAULT 0,"
	" updated REAL NOT NULL DEFAULT 0"
	");"
	"CREATE INDEX IF NOT EXISTS alerts_by_state ON alerts (state, id);"
	"CREATE TABLE IF NOT EXISTS alert_acks ("
	" alert_id INTEGER PRIMARY KEY,"
	" at REAL NOT NULL"
	");"
	"CREATE TABLE IF NOT EXISTS silences ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" match TEXT NOT NULL,"
	" until REAL NOT NULL,"
	" reason TEXT NOT NULL,"
	" created REAL NOT NULL"
	");"
	/* Every notification, one row per notifier, until it is sent; sent
	 * rows are kept for the history, trimmed after keep_days. */
	"CREATE TABLE IF NOT EXISTS notify_queue ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" notifier TEXT NOT NULL,"
	" route TEXT NOT NULL DEFAULT '',"
	" payload TEXT NOT NULL,"
	" kind TEXT NOT NULL DEFAULT '',"
	" state TEXT NOT NULL DEFAULT '',"
	" scope TEXT NOT NULL DEFAULT '',"
	" summary TEXT NOT NULL DEFAULT '',"
	" created REAL NOT NULL,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" next_try REAL NOT NULL DEFAULT 0,"
	" last_error TEXT NOT NULL DEFAULT '',"
	" sent_at REAL"                            /* NULL: still to send */
	");"
	"CREATE INDEX IF NOT EXISTS notify_queue_unsent ON notify_queue (sent_at, id);"
	/* Version 3: the alerts of notifications still waiting for their
	 * route's group_wait, one row per alert, deleted in the transaction
	 * that queues the notification. */
	"CREATE TABLE IF NOT EXISTS notify_groups ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" route TEXT NOT NULL,"
	" gkey TEXT NOT NULL,"
	" resolved INTEGER NOT NULL,"
	" deadline REAL NOT NULL,"
	" scope TEXT NOT NULL,"
	" name TEXT NOT NULL,"
	" province TEXT NOT NULL,"
	" commune TEXT NOT NULL,"
	" alert_id INTEGER NOT NULL,"
	" nhamlets INTEGER NOT NULL,"
	" since REAL NOT NULL,"
	" summary TEXT NOT NULL,"
	" payload TEXT NOT NULL"
	");"
	"CREATE INDEX IF NOT EXISTS notify_groups_key ON notify_groups (route, gkey, resolved);"
	/* Version 4: the last stored seq of each of an agent's spools (the
	 * few most recently used; DESIGN.md section 3). An agent with a row
	 * in `agents` and none here was last heard by a collector before
	 * version 4: its last_seq is the spool "" (writer.c). */
	"CREATE TABLE IF NOT EXISTS spools ("
	" agent TEXT NOT NULL,"
	" sid TEXT NOT NULL,"
	" last_seq INTEGER NOT NULL,"             /* uint64 stored as int64 bits */
	" used REAL NOT NULL,"
	" PRIMARY KEY (agent, sid)"
	") WITHOUT ROWID;"
	/* Version 5: small facts the collector keeps across restarts, by
	 * key (the day the rollout digest was last sent: digest.c). */
	"CREATE TABLE IF NOT EXISTS meta ("
	" key TEXT PRIMARY KEY NOT NULL,"
	" value TEXT NOT NULL"
	") WITHOUT ROWID;";

enum {
	Q_BEGIN, Q_COMMIT, Q_ROLLBACK,
	Q_PUT_AGENT, Q_SET_ONLINE, Q_GET_AGENT, Q_EACH_AGENT,
	Q_WAL_ADD, Q_WAL_EACH, Q_WAL_TRIM, Q_WAL_COUNT,
	Q_HIST_CLOSE, Q_HIST_OPEN, Q_HIST_SPAN,
	Q_PUT_SPOOL, Q_DEL_SPOOL, Q_EACH_SPOOL,
	Q_META_GET, Q_META_PUT,
	Q_COUNT
};

#define AGENT_COLS "agent, province, last_seq, last_ts, last_seen, online, interval, present, vals"

static const char *const state_db_sql[Q_COUNT] = {
	[Q_BEGIN] = "BEGIN IMMEDIATE",
	[Q_COMMIT] = "COMMIT",
	[Q_ROLLBACK] = "ROLLBACK",
	[Q_PUT_AGENT] = "INSERT OR REPLACE INTO agents (" AGENT_COLS ")"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[Q_SET_ONLINE] = "INSERT INTO agents (agent, province, online, last_seen)"
	    " VALUES (?1, ?2, ?3, ?4)"
	    " ON CONFLICT(agent) DO UPDATE SET online = excluded.online,"
	    " last_seen = excluded.last_seen",
	[Q_GET_AGENT] = "SELECT " AGENT_COLS " FROM agents WHERE agent = ?1",
	[Q_EACH_AGENT] = "SELECT " AGENT_COLS " FROM agents ORDER BY agent",
	[Q_WAL_ADD] = "INSERT INTO wal (province, agent, seq, prev, ts, interval, present, vals)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[Q_WAL_EACH] = "SELECT id, province, agent, seq, prev, ts, interval, present, vals"
	    " FROM wal WHERE id > ?1 ORDER BY id",
	[Q_WAL_TRIM] = "DELETE FROM wal WHERE id <= ?1",
	[Q_WAL_COUNT] = "SELECT count(*) FROM wal",
	[Q_HIST_CLOSE] = "UPDATE hamlet_history SET until = ?2 WHERE hamlet = ?1 AND until IS NULL",
	[Q_HIST_OPEN] = "INSERT INTO hamlet_history (hamlet, state, since) VALUES (?1, ?2, ?3)",
	/* Seconds of each state that overlap [from, to). */
	[Q_HIST_SPAN] = "SELECT state, sum(min(coalesce(until, ?3), ?3) - max(since, ?2))"
	    " FROM hamlet_history WHERE hamlet = ?1 AND since < ?3 AND coalesce(until, ?3) > ?2"
	    " GROUP BY state",
	[Q_PUT_SPOOL] = "INSERT OR REPLACE INTO spools (agent, sid, last_seq, used)"
	    " VALUES (?1, ?2, ?3, ?4)",
	[Q_DEL_SPOOL] = "DELETE FROM spools WHERE agent = ?1 AND sid = ?2",
	[Q_EACH_SPOOL] = "SELECT agent, sid, last_seq, used FROM spools ORDER BY agent, used",
	[Q_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[Q_META_PUT] = "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
};

struct state_db {
	sqlite3 *db;
	sqlite3_stmt *q[Q_COUNT];
	char err[512];
};

static void __attribute__((format(printf, 2, 3)))
state_db_seterr(struct state_db *db, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(db->err, sizeof db->err, fmt, ap);
	va_end(ap);
}

/* The sqlite message for what just failed, prefixed with what we did. */
static int
state_db_fail(struct state_db *db, const char *what)
{
	state_db_seterr(db, "%s: %s", what, sqlite3_errmsg(db->db));
	return -1;
}

static void
state_db_pack(const double *m, unsigned char *out)
{
	for (int i = 0; i < METRIC_COUNT; i++) {
		uint64_t u;
		memcpy(&u, &m[i], sizeof u);
		for (int b = 0; b < 8; b++)
			out[i * 8 + b] = (unsigned char)(u >> (8 * b));
	}
}

/* Returns 0, or -1 for a blob that is not a whole number of doubles. */
static int
state_db_unpack(const unsigned char *in, int len, double *m, uint64_t *present)
{
	int n;

	memset(m, 0, METRIC_COUNT * sizeof *m);
	if (in == NULL || len == 0) {
		*present = 0;
		return 0;
	}
	if (len < 0 || len % 8 != 0)
		return -1;
	n = len / 8;
	if (n > METRIC_COUNT)
		n = METRIC_COUNT;
	for (int i = 0; i < n; i++) {
		uint64_t u = 0;
		for (int b = 0; b < 8; b++)
			u |= (uint64_t)in[i * 8 + b] << (8 * b);
		memcpy(&m[i], &u, sizeof u);
	}
	if (n < 64)
		*present &= ((uint64_t)1 << n) - 1;
	return 0;
}

/* Copies an id column; -1 when it is not one (a damaged database). */
static int
state_db_col_id(sqlite3_stmt *st, int col, char *out)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	int n = sqlite3_column_bytes(st, col);

	if (t == NULL || n <= 0 || n > ID_MAX)
		return -1;
	memcpy(out, t, (size_t)n);
	out[n] = '\0';
	return id_valid(out) ? 0 : -1;
}

static int
state_db_exec(struct state_db *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		state_db_seterr(db, "%s: %s", sql, msg != NULL ? msg : sqlite3_errmsg(db->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* PRAGMA user_version: 0 on a new file, STATE_DB_VERSION once created. */
static int
state_db_schema_check(struct state_db *db, bool writer)
{
	sqlite3_stmt *st = NULL;
	int version, rc;
	char sql[64];

	if (sqlite3_prepare_v2(db->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return state_db_fail(db, "PRAGMA user_version");
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return state_db_fail(db, "PRAGMA user_version");
	}
	version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);

	if (version == STATE_DB_VERSION)
		return 0;
	if (version > STATE_DB_VERSION) {
		state_db_seterr(db, "schema version %d is newer than this covmon's (%d)",
		    version, STATE_DB_VERSION);
		return -1;
	}
	if (!writer) {
		state_db_seterr(db, "schema version %d, not %d: the writer has not opened it yet",
		    version, STATE_DB_VERSION);
		return -1;
	}
	/* New file (version 0), or an older one (version 1: no alert tables;
	 * 2: no notify_groups; 3: no spools; 4: no meta): the schema, every statement of which creates
	 * only what is missing, and its version in one transaction. */
	if (state_db_exec(db, "BEGIN IMMEDIATE") == -1)
		return -1;
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", STATE_DB_VERSION);
	if (state_db_exec(db, state_db_schema) == -1 ||
	    state_db_exec(db, state_db_schema_v2) == -1 || state_db_exec(db, sql) == -1 ||
	    state_db_exec(db, "COMMIT") == -1) {
		char keep[sizeof db->err];
		memcpy(keep, db->err, sizeof keep);
		(void)sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
		memcpy(db->err, keep, sizeof keep);
		return -1;
	}
	return 0;
}

static int
open_conn(struct state_db **dbp, const char *path, bool writer, char *err, size_t errlen)
{
	struct state_db *db;
	sqlite3_stmt *st = NULL;
	const unsigned char *mode;

	*dbp = NULL;
	if ((db = calloc(1, sizeof *db)) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* One connection per thread: no mutex of sqlite's own needed. A
	 * planted symlink in data_dir is not followed. */
	if (sqlite3_open_v2(path, &db->db, (writer ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE :
	    SQLITE_OPEN_READONLY) | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
		    db->db != NULL ? sqlite3_errmsg(db->db) : "out of memory");
		goto fail;
	}
	(void)sqlite3_extended_result_codes(db->db, 1);
	if (sqlite3_busy_timeout(db->db, STATE_DB_BUSY_MS) != SQLITE_OK) {
		state_db_fail(db, "busy_timeout");
		goto fail_err;
	}
	/* A reader finds the file as the writer made it (WAL mode, schema). */
	if (!writer)
		goto check;
	/* journal_mode answers with the mode in force: a filesystem without
	 * shared memory would silently keep "delete". */
	if (sqlite3_prepare_v2(db->db, "PRAGMA journal_mode = WAL", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		state_db_fail(db, "PRAGMA journal_mode = WAL");
		sqlite3_finalize(st);
		goto fail_err;
	}
	mode = sqlite3_column_text(st, 0);
	if (mode == NULL || strcmp((const char *)mode, "wal") != 0) {
		state_db_seterr(db, "journal_mode is '%s', not 'wal'",
		    mode != NULL ? (const char *)mode : "?");
		sqlite3_finalize(st);
		goto fail_err;
	}
	sqlite3_finalize(st);
	/* FULL: in WAL mode, NORMAL may lose the last commits on power loss,
	 * and a commit here stands for samples already acked. */
	if (state_db_exec(db, "PRAGMA synchronous = FULL") == -1)
		goto fail_err;
check:
	if (state_db_schema_check(db, writer) == -1)
		goto fail_err;
	for (int i = 0; i < Q_COUNT; i++) {
		if (sqlite3_prepare_v3(db->db, state_db_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		    &db->q[i], NULL) != SQLITE_OK) {
			state_db_fail(db, state_db_sql[i]);
			goto fail_err;
		}
	}
	*dbp = db;
	return 0;
fail_err:
	snprintf(err, errlen, "%s: %s", path, db->err);
fail:
	state_db_close(db);
	return -1;
}

int
state_db_open(struct state_db **dbp, const char *path, char *err, size_t errlen)
{
	return open_conn(dbp, path, true, err, errlen);
}

int
state_db_open_reader(struct state_db **dbp, const char *path, char *err, size_t errlen)
{
	return open_conn(dbp, path, false, err, errlen);
}

void
state_db_close(struct state_db *db)
{
	if (db == NULL)
		return;
	for (int i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(db->q[i]);
	if (db->db != NULL && sqlite3_close(db->db) != SQLITE_OK)
		fprintf(stderr, "state_db: close: %s\n", sqlite3_errmsg(db->db));
	free(db);
}

struct sqlite3 *
state_db_sqlite(struct state_db *db)
{
	return db->db;
}

const char *
state_db_errmsg(struct state_db *db)
{
	return db->err;
}

/* Runs a statement that returns no rows, then resets it. */
static int
state_db_run(struct state_db *db, int q, const char *what)
{
	sqlite3_stmt *st = db->q[q];
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE) {
		state_db_fail(db, what);
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return -1;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return 0;
}

int
state_db_begin(struct state_db *db)
{
	return state_db_run(db, Q_BEGIN, "begin");
}

/* On failure (SQLITE_BUSY past the timeout, I/O error) the transaction may
 * still be open: the caller retries the commit or rolls back. */
int
state_db_commit(struct state_db *db)
{
	return state_db_run(db, Q_COMMIT, "commit");
}

int
state_db_rollback(struct state_db *db)
{
	/* Nothing to roll back (sqlite already did after an error) is fine. */
	if (sqlite3_get_autocommit(db->db))
		return 0;
	return state_db_run(db, Q_ROLLBACK, "rollback");
}

static int
state_db_bind_vals(struct state_db *db, sqlite3_stmt *st, int col, const double *m,
    const char *what)
{
	unsigned char blob[METRIC_COUNT * 8];

	state_db_pack(m, blob);
	if (sqlite3_bind_blob(st, col, blob, sizeof blob, SQLITE_TRANSIENT) != SQLITE_OK)
		return state_db_fail(db, what);
	return 0;
}

int
state_db_put_agent(struct state_db *db, const struct agent_row *row)
{
	sqlite3_stmt *st = db->q[Q_PUT_AGENT];
	double m[METRIC_COUNT];

	if (!id_valid(row->agent) || !id_valid(row->province)) {
		state_db_seterr(db, "put_agent: invalid agent or province id");
		return -1;
	}
	/* Only present values are kept: the rest is 0, whatever the caller
	 * left there. */
	for (int i = 0; i < METRIC_COUNT; i++)
		m[i] = (row->present >> i) & 1 ? row->m[i] : 0;
	if (sqlite3_bind_text(st, 1, row->agent, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, row->province, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 3, (sqlite3_int64)row->last_seq) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 4, row->last_ts) != SQLITE_OK ||
	    sqlite3_bind_double(st, 5, row->last_seen) != SQLITE_OK ||
	    sqlite3_bind_int(st, 6, row->online) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 7, row->interval) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 8, (sqlite3_int64)row->present) != SQLITE_OK ||
	    state_db_bind_vals(db, st, 9, m, "put_agent") == -1) {
		state_db_fail(db, "put_agent");
		sqlite3_clear_bindings(st);
		return -1;
	}
	return state_db_run(db, Q_PUT_AGENT, "put_agent");
}

int
state_db_put_spool(struct state_db *db, const char *agent, const char *sid, uint64_t last_seq,
    double used)
{
	sqlite3_stmt *st = db->q[Q_PUT_SPOOL];

	if (!id_valid(agent) || (sid[0] != '\0' && !sid_valid(sid))) {
		state_db_seterr(db, "put_spool: invalid agent or spool id");
		return -1;
	}
	if (sqlite3_bind_text(st, 1, agent, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, sid, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 3, (sqlite3_int64)last_seq) != SQLITE_OK ||
	    sqlite3_bind_double(st, 4, used) != SQLITE_OK) {
		state_db_fail(db, "put_spool");
		sqlite3_clear_bindings(st);
		return -1;
	}
	return state_db_run(db, Q_PUT_SPOOL, "put_spool");
}

int
state_db_del_spool(struct state_db *db, const char *agent, const char *sid)
{
	sqlite3_stmt *st = db->q[Q_DEL_SPOOL];

	if (sqlite3_bind_text(st, 1, agent, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, sid, -1, SQLITE_STATIC) != SQLITE_OK) {
		state_db_fail(db, "del_spool");
		sqlite3_clear_bindings(st);
		return -1;
	}
	return state_db_run(db, Q_DEL_SPOOL, "del_spool");
}

/* Rows that are not an agent id and a spool id (a damaged or edited
 * database) are skipped: the spool then starts a new count. */
int
state_db_each_spool(struct state_db *db, int (*cb)(const char *agent, const char *sid,
    uint64_t last_seq, double used, void *), void *arg)
{
	sqlite3_stmt *st = db->q[Q_EACH_SPOOL];
	char agent[ID_MAX + 1], sid[SID_LEN + 1];
	int rc, ret = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 1);
		if (state_db_col_id(st, 0, agent) == -1 || t == NULL ||
		    (size_t)sqlite3_column_bytes(st, 1) > SID_LEN)
			continue;
		memcpy(sid, t, (size_t)sqlite3_column_bytes(st, 1) + 1);
		if (sid[0] != '\0' && !sid_valid(sid))
			continue;
		if (cb(agent, sid, (uint64_t)sqlite3_column_int64(st, 2),
		    sqlite3_column_double(st, 3), arg) == -1) {
			ret = -1;
			break;
		}
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = state_db_fail(db, "each_spool");
	sqlite3_reset(st);
	return ret;
}

int
state_db_meta_get(struct state_db *db, const char *key, char *buf, size_t len)
{
	sqlite3_stmt *st = db->q[Q_META_GET];
	int rc;

	if (sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC) != SQLITE_OK) {
		sqlite3_clear_bindings(st);
		return state_db_fail(db, "meta_get");
	}
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);
		snprintf(buf, len, "%s", t != NULL ? (const char *)t : "");
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = 1;
	} else {
		rc = state_db_fail(db, "meta_get");
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

int
state_db_meta_put(struct state_db *db, const char *key, const char *value)
{
	sqlite3_stmt *st = db->q[Q_META_PUT];

	if (sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC) != SQLITE_OK) {
		state_db_fail(db, "meta_put");
		sqlite3_clear_bindings(st);
		return -1;
	}
	return state_db_run(db, Q_META_PUT, "meta_put");
}

int
state_db_set_online(struct state_db *db, const char *agent, const char *province,
    int online, double when)
{
	sqlite3_stmt *st = db->q[Q_SET_ONLINE];

	if (!id_valid(agent) || !id_valid(province)) {
		state_db_seterr(db, "set_online: invalid agent or province id");
		return -1;
	}
	if (sqlite3_bind_text(st, 1, agent, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, province, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int(st, 3, online) != SQLITE_OK ||
	    sqlite3_bind_double(st, 4, when) != SQLITE_OK) {
		state_db_fail(db, "set_online");
		sqlite3_clear_bindings(st);
		return -1;
	}
	return state_db_run(db, Q_SET_ONLINE, "set_online");
}

/* Fills *row from the current result row of an AGENT_COLS query. */
static int
state_db_read_agent(struct state_db *db, sqlite3_stmt *st, struct agent_row *row)
{
	memset(row, 0, sizeof *row);
	if (state_db_col_id(st, 0, row->agent) == -1 ||
	    state_db_col_id(st, 1, row->province) == -1) {
		state_db_seterr(db, "agents: a row with an invalid agent or province id");
		return -1;
	}
	row->last_seq = (uint64_t)sqlite3_column_int64(st, 2);
	row->last_ts = sqlite3_column_int64(st, 3);
	row->last_seen = sqlite3_column_double(st, 4);
	row->online = sqlite3_column_int(st, 5);
	row->interval = (uint32_t)sqlite3_column_int64(st, 6);
	row->present = (uint64_t)sqlite3_column_int64(st, 7);
	if (state_db_unpack(sqlite3_column_blob(st, 8), sqlite3_column_bytes(st, 8),
	    row->m, &row->present) == -1) {
		state_db_seterr(db, "agents: agent %s: values blob of %d bytes", row->agent,
		    sqlite3_column_bytes(st, 8));
		return -1;
	}
	return 0;
}

int
state_db_get_agent(struct state_db *db, const char *agent, struct agent_row *row)
{
	sqlite3_stmt *st = db->q[Q_GET_AGENT];
	int rc, ret;

	if (!id_valid(agent))
		return 1;
	if (sqlite3_bind_text(st, 1, agent, -1, SQLITE_STATIC) != SQLITE_OK)
		return state_db_fail(db, "get_agent");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		ret = state_db_read_agent(db, st, row);
	else if (rc == SQLITE_DONE)
		ret = 1;
	else
		ret = state_db_fail(db, "get_agent");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return ret;
}

/* The statement is the connection's own: cb may call any other function
 * here, but not state_db_each_agent again. */
int
state_db_each_agent(struct state_db *db, int (*cb)(const struct agent_row *, void *), void *arg)
{
	sqlite3_stmt *st = db->q[Q_EACH_AGENT];
	struct agent_row row;
	int rc, ret = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (state_db_read_agent(db, st, &row) == -1 || cb(&row, arg) == -1) {
			ret = -1;
			break;
		}
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = state_db_fail(db, "each_agent");
	sqlite3_reset(st);
	return ret;
}

int64_t
state_db_wal_add(struct state_db *db, const char *province, const struct sample *s)
{
	sqlite3_stmt *st = db->q[Q_WAL_ADD];
	double m[METRIC_COUNT];
	int rc;

	if (!id_valid(province) || !id_valid(s->agent)) {
		state_db_seterr(db, "wal_add: invalid agent or province id");
		return -1;
	}
	for (int i = 0; i < METRIC_COUNT; i++)
		m[i] = sample_has(s, i) ? s->m[i] : 0;
	rc = sqlite3_bind_text(st, 1, province, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 2, s->agent, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, (sqlite3_int64)s->seq);
	if (rc == SQLITE_OK)
		rc = s->has_prev ? sqlite3_bind_int64(st, 4, (sqlite3_int64)s->prev) :
		    sqlite3_bind_null(st, 4);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 5, s->ts);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 6, s->interval);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 7, (sqlite3_int64)s->present);
	if (rc != SQLITE_OK || state_db_bind_vals(db, st, 8, m, "wal_add") == -1) {
		state_db_fail(db, "wal_add");
		sqlite3_clear_bindings(st);
		return -1;
	}
	if (state_db_run(db, Q_WAL_ADD, "wal_add") == -1)
		return -1;
	return sqlite3_last_insert_rowid(db->db);
}

/* Same rule as state_db_each_agent: cb must not call wal_each again. */
int
state_db_wal_each(struct state_db *db, int64_t after,
    int (*cb)(int64_t id, const char *province, const struct sample *s, void *), void *arg)
{
	sqlite3_stmt *st = db->q[Q_WAL_EACH];
	char province[ID_MAX + 1];
	struct sample s;
	int rc, ret = 0;

	if (sqlite3_bind_int64(st, 1, after) != SQLITE_OK)
		return state_db_fail(db, "wal_each");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);

		memset(&s, 0, sizeof s);
		if (state_db_col_id(st, 1, province) == -1 ||
		    state_db_col_id(st, 2, s.agent) == -1) {
			state_db_seterr(db, "wal: entry %lld: invalid agent or province id",
			    (long long)id);
			ret = -1;
			break;
		}
		s.seq = (uint64_t)sqlite3_column_int64(st, 3);
		if (sqlite3_column_type(st, 4) != SQLITE_NULL) {
			s.has_prev = true;
			s.prev = (uint64_t)sqlite3_column_int64(st, 4);
		}
		s.ts = sqlite3_column_int64(st, 5);
		s.interval = (uint32_t)sqlite3_column_int64(st, 6);
		s.present = (uint64_t)sqlite3_column_int64(st, 7);
		if (state_db_unpack(sqlite3_column_blob(st, 8), sqlite3_column_bytes(st, 8),
		    s.m, &s.present) == -1) {
			state_db_seterr(db, "wal: entry %lld: values blob of %d bytes",
			    (long long)id, sqlite3_column_bytes(st, 8));
			ret = -1;
			break;
		}
		if (cb(id, province, &s, arg) == -1) {
			ret = -1;
			break;
		}
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = state_db_fail(db, "wal_each");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return ret;
}

int
state_db_wal_trim(struct state_db *db, int64_t upto)
{
	if (sqlite3_bind_int64(db->q[Q_WAL_TRIM], 1, upto) != SQLITE_OK)
		return state_db_fail(db, "wal_trim");
	return state_db_run(db, Q_WAL_TRIM, "wal_trim");
}

int64_t
state_db_wal_count(struct state_db *db)
{
	sqlite3_stmt *st = db->q[Q_WAL_COUNT];
	int64_t n;

	if (sqlite3_step(st) != SQLITE_ROW) {
		state_db_fail(db, "wal_count");
		sqlite3_reset(st);
		return -1;
	}
	n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

int
state_db_history(struct state_db *db, const char *hamlet, const char *state, double at)
{
	sqlite3_stmt *c = db->q[Q_HIST_CLOSE], *o = db->q[Q_HIST_OPEN];
	int rc;

	sqlite3_bind_text(c, 1, hamlet, -1, SQLITE_STATIC);
	sqlite3_bind_double(c, 2, at);
	rc = sqlite3_step(c);
	sqlite3_reset(c);
	sqlite3_clear_bindings(c);
	if (rc != SQLITE_DONE)
		return state_db_fail(db, "closing a hamlet's state");
	sqlite3_bind_text(o, 1, hamlet, -1, SQLITE_STATIC);
	sqlite3_bind_text(o, 2, state, -1, SQLITE_STATIC);
	sqlite3_bind_double(o, 3, at);
	rc = sqlite3_step(o);
	sqlite3_reset(o);
	sqlite3_clear_bindings(o);
	if (rc != SQLITE_DONE)
		return state_db_fail(db, "recording a hamlet's state");
	return 0;
}

int
state_db_state_seconds(struct state_db *db, const char *hamlet, double from, double to,
    const char *const *states, int nstates, double *seconds)
{
	sqlite3_stmt *st = db->q[Q_HIST_SPAN];
	int rc;

	for (int i = 0; i < nstates; i++)
		seconds[i] = 0;
	sqlite3_bind_text(st, 1, hamlet, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 2, from);
	sqlite3_bind_double(st, 3, to);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		for (int i = 0; name != NULL && i < nstates; i++)
			if (strcmp(name, states[i]) == 0)
				seconds[i] += sqlite3_column_double(st, 1);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return state_db_fail(db, "reading a hamlet's history");
	return 0;
}
