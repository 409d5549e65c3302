/*
 * What the dashboard reads from the state DB (data_dir/state.db): the
 * hamlets with the most downtime this week, and one hamlet's recent
 * states. A read-only connection of the HTTP threads' own (the writer owns
 * the read-write one; WAL mode lets both work at once), opened on first
 * use because the writer creates the file, and kept under one lock. The
 * week's worst list scans the whole history, so it is kept for a minute.
 */
#include "pages.h"

#include "clock.h"
#include "log.h"

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
	sqlite3_close(db->db);
	db->down = db->hist = NULL;
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
	if (sqlite3_prepare_v2(db->db, sql_down, -1, &db->down, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db->db, sql_hist, -1, &db->hist, NULL) != SQLITE_OK)
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

void
pages_db_source(struct pages_db *db, struct pages_source *src)
{
	src->worst_downtime = worst_downtime;
	src->history = history;
	src->arg = db;
}
