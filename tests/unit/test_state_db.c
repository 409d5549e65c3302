/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The collector's state database (collector/state_db.c), in a temporary
 * directory. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testlib.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "state_db.h"

struct fixture {
	char dir[64];
	char path[128];
	struct state_db *db;
};

static void
reopen(struct fixture *f)
{
	char err[512];

	state_db_close(f->db);
	f->db = NULL;
	if (state_db_open(&f->db, f->path, err, sizeof err) == -1)
		fail_msg("state_db_open: %s", err);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	assert_non_null(f);
	tl_tmpdir(f->dir, sizeof f->dir, "statedb");
	snprintf(f->path, sizeof f->path, "%s/state.db", f->dir);
	reopen(f);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	int rc;

	state_db_close(f->db);
	rc = tl_rmtree(f->dir);
	free(f);
	return rc;
}

static void
row_make(struct agent_row *r, const char *agent, const char *province, uint64_t seq)
{
	memset(r, 0, sizeof *r);
	snprintf(r->agent, sizeof r->agent, "%s", agent);
	snprintf(r->province, sizeof r->province, "%s", province);
	r->last_seq = seq;
	r->last_ts = 1763800020 + (int64_t)seq * 60;
	r->last_seen = 1763800021.25;
	r->online = 1;
	r->interval = 60;
	r->present = (1ULL << M_ICMP_RTT_AVG_MS) | (1ULL << M_SUPPLY_VOLTS);
	r->m[M_ICMP_RTT_AVG_MS] = 48.2;
	r->m[M_SUPPLY_VOLTS] = -0.1;
	r->m[M_CLIENTS] = 99;   /* not present: not kept */
}

/* The first row of sql on db, which must have one: its statement, for the
 * caller to read and finalize. */
static sqlite3_stmt *
first_row(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	return st;
}

/* The first column of the first row of sql on db, as an integer. */
static int
first_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = first_row(db, sql);
	int v = sqlite3_column_int(st, 0);

	sqlite3_finalize(st);
	return v;
}

static void
test_pragmas(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db;
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	st = first_row(db, "PRAGMA journal_mode");
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	assert_int_equal(first_int(db, "PRAGMA user_version"), 5);
	sqlite3_close(db);

	/* A file of version 2 (before notify_groups, spools and meta) is brought to 5. */
	struct state_db *sdb;
	char err[256];
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE notify_groups; DROP TABLE spools;"
	    " DROP TABLE meta; PRAGMA user_version = 2", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(state_db_open(&sdb, f->path, err, sizeof err), 0);
	state_db_close(sdb);
	assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	/* The tables are there (each count a row). */
	first_int(db, "SELECT count(*) FROM notify_groups");
	first_int(db, "SELECT count(*) FROM spools");
	first_int(db, "SELECT count(*) FROM meta");
	assert_int_equal(first_int(db, "PRAGMA user_version"), 5);
	sqlite3_close(db);

	/* The meta table: none, then a value, replaced, kept across a reopen. */
	char v[32];
	assert_int_equal(state_db_open(&sdb, f->path, err, sizeof err), 0);
	assert_int_equal(state_db_meta_get(sdb, "digest_day", v, sizeof v), 1);
	assert_int_equal(state_db_meta_put(sdb, "digest_day", "2026-03-14"), 0);
	assert_int_equal(state_db_meta_put(sdb, "digest_day", "2026-03-15"), 0);
	state_db_close(sdb);
	assert_int_equal(state_db_open(&sdb, f->path, err, sizeof err), 0);
	assert_int_equal(state_db_meta_get(sdb, "digest_day", v, sizeof v), 0);
	assert_string_equal(v, "2026-03-15");
	state_db_close(sdb);
}

struct spool_seen {
	char text[512];
	size_t n;
};

static int
spool_cb(const char *agent, const char *sid, uint64_t last_seq, double used, void *arg)
{
	struct spool_seen *seen = arg;

	seen->n += (size_t)snprintf(seen->text + seen->n, sizeof seen->text - seen->n,
	    "%s/%s=%llu@%g ", agent, sid[0] ? sid : "-", (unsigned long long)last_seq, used);
	return 0;
}

/* The last stored seq per (agent, spool id), with the LRU order the
 * writer reads them in; rows a hand edit broke are skipped, not fatal. */
static void
test_spools(void **state)
{
	struct fixture *f = *state;
	struct spool_seen seen = { "", 0 };

	assert_int_equal(state_db_begin(f->db), 0);
	assert_int_equal(state_db_put_spool(f->db, "lc-01", "9f2c41d07ab355e1", UINT64_MAX, 20), 0);
	assert_int_equal(state_db_put_spool(f->db, "lc-01", "", 5000, 10), 0);
	assert_int_equal(state_db_put_spool(f->db, "lc-02", "0000000000000001", 7, 5), 0);
	assert_int_equal(state_db_put_spool(f->db, "lc-01", "9f2c41d07ab355e1", 3, 30), 0);
	assert_int_equal(state_db_put_spool(f->db, "lc-01", "../../x", 3, 30), -1);
	assert_int_equal(state_db_put_spool(f->db, "../x", "", 3, 30), -1);
	assert_int_equal(state_db_commit(f->db), 0);
	assert_int_equal(state_db_each_spool(f->db, spool_cb, &seen), 0);
	assert_string_equal(seen.text, "lc-01/-=5000@10 lc-01/9f2c41d07ab355e1=3@30 "
	    "lc-02/0000000000000001=7@5 ");

	assert_int_equal(state_db_begin(f->db), 0);
	assert_int_equal(state_db_del_spool(f->db, "lc-01", ""), 0);
	assert_int_equal(state_db_put_spool(f->db, "lc-02", "0000000000000001", 8, 6), 0);
	assert_int_equal(state_db_rollback(f->db), 0);
	assert_int_equal(state_db_begin(f->db), 0);
	assert_int_equal(state_db_del_spool(f->db, "lc-01", ""), 0);
	assert_int_equal(state_db_commit(f->db), 0);
	sqlite3 *raw;
	assert_int_equal(sqlite3_open(f->path, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, "INSERT INTO spools VALUES ('lc-03', 'NOT-A-SID', 1, 1);"
	    "INSERT INTO spools VALUES ('Bad Id', '', 1, 1)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
	seen.n = 0;
	seen.text[0] = '\0';
	assert_int_equal(state_db_each_spool(f->db, spool_cb, &seen), 0);
	assert_string_equal(seen.text, "lc-01/9f2c41d07ab355e1=3@30 lc-02/0000000000000001=7@5 ");
}

static void
test_put_get(void **state)
{
	struct fixture *f = *state;
	struct agent_row r, got;

	row_make(&r, "lc-batxat-suoichai-01", "lao-cai", UINT64_MAX - 1);
	assert_int_equal(state_db_begin(f->db), 0);
	assert_int_equal(state_db_put_agent(f->db, &r), 0);
	assert_int_equal(state_db_commit(f->db), 0);

	assert_int_equal(state_db_get_agent(f->db, "lc-batxat-suoichai-01", &got), 0);
	assert_string_equal(got.agent, "lc-batxat-suoichai-01");
	assert_string_equal(got.province, "lao-cai");
	assert_true(got.last_seq == UINT64_MAX - 1);
	assert_int_equal(got.last_ts, r.last_ts);
	assert_true(got.last_seen == 1763800021.25);
	assert_int_equal(got.online, 1);
	assert_int_equal(got.interval, 60);
	assert_true(got.present == r.present);
	assert_true(got.m[M_ICMP_RTT_AVG_MS] == 48.2);
	assert_true(got.m[M_SUPPLY_VOLTS] == -0.1);
	assert_true(got.m[M_CLIENTS] == 0);

	assert_int_equal(state_db_get_agent(f->db, "nobody", &got), 1);
	assert_int_equal(state_db_get_agent(f->db, "../x", &got), 1);

	/* Replace. */
	r.last_seq = 7;
	r.online = 0;
	assert_int_equal(state_db_put_agent(f->db, &r), 0);   /* autocommit */
	assert_int_equal(state_db_get_agent(f->db, "lc-batxat-suoichai-01", &got), 0);
	assert_true(got.last_seq == 7);
	assert_int_equal(got.online, 0);

	/* Bad ids never reach the database. */
	row_make(&r, "A", "lao-cai", 1);
	assert_int_equal(state_db_put_agent(f->db, &r), -1);
	assert_non_null(strstr(state_db_errmsg(f->db), "invalid"));
	row_make(&r, "a1", "x/y", 1);
	assert_int_equal(state_db_put_agent(f->db, &r), -1);
}

struct collect {
	int n;
	char agents[8][ID_MAX + 1];
	int stop_at;
};

static int
collect_cb(const struct agent_row *r, void *arg)
{
	struct collect *c = arg;

	if (c->n == c->stop_at)
		return -1;
	snprintf(c->agents[c->n++], ID_MAX + 1, "%s", r->agent);
	return 0;
}

static void
test_each_and_online(void **state)
{
	struct fixture *f = *state;
	struct agent_row r, got;
	struct collect c = { .stop_at = -1 };

	row_make(&r, "b2", "p1", 5);
	assert_int_equal(state_db_put_agent(f->db, &r), 0);
	row_make(&r, "a1", "p1", 3);
	assert_int_equal(state_db_put_agent(f->db, &r), 0);
	/* An agent known only from its state message. */
	assert_int_equal(state_db_set_online(f->db, "c3", "p2", 1, 100.5), 0);
	/* Offline (its Last Will) keeps the rest of the row. */
	assert_int_equal(state_db_set_online(f->db, "a1", "p1", 0, 200.5), 0);

	assert_int_equal(state_db_each_agent(f->db, collect_cb, &c), 0);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.agents[0], "a1");
	assert_string_equal(c.agents[1], "b2");
	assert_string_equal(c.agents[2], "c3");

	assert_int_equal(state_db_get_agent(f->db, "a1", &got), 0);
	assert_int_equal(got.online, 0);
	assert_true(got.last_seen == 200.5);
	assert_true(got.last_seq == 3);
	assert_true(got.m[M_ICMP_RTT_AVG_MS] == 48.2);
	assert_int_equal(state_db_get_agent(f->db, "c3", &got), 0);
	assert_int_equal(got.online, 1);
	assert_string_equal(got.province, "p2");
	assert_true(got.last_seq == 0);
	assert_true(got.present == 0);

	/* A callback that stops. */
	memset(&c, 0, sizeof c);
	c.stop_at = 1;
	assert_int_equal(state_db_each_agent(f->db, collect_cb, &c), -1);
	assert_int_equal(c.n, 1);
	/* And the statement is usable again. */
	memset(&c, 0, sizeof c);
	c.stop_at = -1;
	assert_int_equal(state_db_each_agent(f->db, collect_cb, &c), 0);
	assert_int_equal(c.n, 3);

	assert_int_equal(state_db_set_online(f->db, "Bad", "p1", 1, 1), -1);
}

static void
sample_make(struct sample *s, const char *agent, uint64_t seq)
{
	memset(s, 0, sizeof *s);
	snprintf(s->agent, sizeof s->agent, "%s", agent);
	s->seq = seq;
	if (seq % 2 == 0) {
		s->has_prev = true;
		s->prev = seq - 1;
	}
	s->ts = 1763800020 + (int64_t)seq * 60;
	s->interval = 60;
	sample_set(s, M_ICMP_LOSS_PCT, (double)seq / 3);
	sample_set(s, M_PCAP_DROP, 1e300);
}

struct wal_seen {
	int n;
	int64_t ids[64];
	uint64_t seqs[64];
	int bad;
};

static int
wal_cb(int64_t id, const char *province, const struct sample *s, void *arg)
{
	struct wal_seen *w = arg;
	struct sample want;

	sample_make(&want, s->agent, s->seq);
	if (strcmp(province, "p1") != 0 || strcmp(s->agent, "a1") != 0 ||
	    s->has_prev != want.has_prev || s->prev != want.prev || s->ts != want.ts ||
	    s->interval != 60 || s->present != want.present ||
	    s->m[M_ICMP_LOSS_PCT] != want.m[M_ICMP_LOSS_PCT] ||
	    s->m[M_PCAP_DROP] != 1e300)
		w->bad++;
	w->ids[w->n] = id;
	w->seqs[w->n++] = s->seq;
	return 0;
}

static void
test_wal(void **state)
{
	struct fixture *f = *state;
	struct sample s;
	struct wal_seen w = { 0 };
	int64_t ids[10];

	assert_int_equal(state_db_wal_count(f->db), 0);
	assert_int_equal(state_db_begin(f->db), 0);
	for (int i = 0; i < 10; i++) {
		sample_make(&s, "a1", (uint64_t)i + 1);
		ids[i] = state_db_wal_add(f->db, "p1", &s);
		assert_true(ids[i] > 0);
		if (i > 0)
			assert_true(ids[i] > ids[i - 1]);
	}
	assert_int_equal(state_db_commit(f->db), 0);
	assert_int_equal(state_db_wal_count(f->db), 10);

	assert_int_equal(state_db_wal_each(f->db, 0, wal_cb, &w), 0);
	assert_int_equal(w.n, 10);
	assert_int_equal(w.bad, 0);
	for (int i = 0; i < 10; i++)
		assert_true(w.seqs[i] == (uint64_t)i + 1);

	/* Only what comes after a given id. */
	memset(&w, 0, sizeof w);
	assert_int_equal(state_db_wal_each(f->db, ids[6], wal_cb, &w), 0);
	assert_int_equal(w.n, 3);
	assert_true(w.ids[0] == ids[7]);

	/* Trim what reached the files; it survives a reopen. */
	assert_int_equal(state_db_wal_trim(f->db, ids[4]), 0);
	assert_int_equal(state_db_wal_count(f->db), 5);
	reopen(f);
	assert_int_equal(state_db_wal_count(f->db), 5);
	memset(&w, 0, sizeof w);
	assert_int_equal(state_db_wal_each(f->db, 0, wal_cb, &w), 0);
	assert_int_equal(w.n, 5);
	assert_true(w.seqs[0] == 6);

	/* Ids are never reused, even once the log is empty. */
	assert_int_equal(state_db_wal_trim(f->db, ids[9]), 0);
	assert_int_equal(state_db_wal_count(f->db), 0);
	reopen(f);
	sample_make(&s, "a1", 11);
	assert_true(state_db_wal_add(f->db, "p1", &s) > ids[9]);

	sample_make(&s, "a/1", 12);
	assert_int_equal(state_db_wal_add(f->db, "p1", &s), -1);
}

static int
wal_stop_cb(int64_t id, const char *province, const struct sample *s, void *arg)
{
	(void)id; (void)province; (void)s;
	return ++*(int *)arg == 2 ? -1 : 0;
}

static void
test_wal_stop(void **state)
{
	struct fixture *f = *state;
	struct sample s;
	int n = 0;

	for (int i = 0; i < 4; i++) {
		sample_make(&s, "a1", (uint64_t)i + 1);
		assert_true(state_db_wal_add(f->db, "p1", &s) > 0);
	}
	assert_int_equal(state_db_wal_each(f->db, 0, wal_stop_cb, &n), -1);
	assert_int_equal(n, 2);
}

static void
test_rollback(void **state)
{
	struct fixture *f = *state;
	struct agent_row r, got;
	struct sample s;

	row_make(&r, "a1", "p1", 1);
	assert_int_equal(state_db_put_agent(f->db, &r), 0);

	assert_int_equal(state_db_begin(f->db), 0);
	row_make(&r, "a1", "p1", 2);
	assert_int_equal(state_db_put_agent(f->db, &r), 0);
	row_make(&r, "a2", "p1", 1);
	assert_int_equal(state_db_put_agent(f->db, &r), 0);
	sample_make(&s, "a1", 2);
	assert_true(state_db_wal_add(f->db, "p1", &s) > 0);
	assert_int_equal(state_db_rollback(f->db), 0);

	assert_int_equal(state_db_get_agent(f->db, "a1", &got), 0);
	assert_true(got.last_seq == 1);
	assert_int_equal(state_db_get_agent(f->db, "a2", &got), 1);
	assert_int_equal(state_db_wal_count(f->db), 0);
	/* Rolling back with nothing open is harmless. */
	assert_int_equal(state_db_rollback(f->db), 0);

	/* An uncommitted transaction is gone after a close, too. */
	assert_int_equal(state_db_begin(f->db), 0);
	assert_true(state_db_wal_add(f->db, "p1", &s) > 0);
	reopen(f);
	assert_int_equal(state_db_wal_count(f->db), 0);
}

static void
test_reopen_persists(void **state)
{
	struct fixture *f = *state;
	struct agent_row r, got;

	row_make(&r, "a1", "p1", 42);
	assert_int_equal(state_db_begin(f->db), 0);
	assert_int_equal(state_db_put_agent(f->db, &r), 0);
	assert_int_equal(state_db_set_online(f->db, "a1", "p1", 0, 5.5), 0);
	assert_int_equal(state_db_commit(f->db), 0);
	reopen(f);
	assert_int_equal(state_db_get_agent(f->db, "a1", &got), 0);
	assert_true(got.last_seq == 42);
	assert_int_equal(got.online, 0);
	assert_true(got.m[M_ICMP_RTT_AVG_MS] == 48.2);
}

static void
test_open_errors(void **state)
{
	struct fixture *f = *state;
	struct state_db *db;
	char err[512], path[160];
	sqlite3 *raw;

	snprintf(path, sizeof path, "%s/missing/state.db", f->dir);
	assert_int_equal(state_db_open(&db, path, err, sizeof err), -1);
	assert_null(db);

	/* A database from a newer covmon is refused, not rewritten. */
	snprintf(path, sizeof path, "%s/newer.db", f->dir);
	assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, "PRAGMA user_version = 99", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(raw);
	assert_int_equal(state_db_open(&db, path, err, sizeof err), -1);
	assert_non_null(strstr(err, "newer"));

	/* A planted symlink is not followed. */
	snprintf(path, sizeof path, "%s/link.db", f->dir);
	assert_int_equal(symlink(f->path, path), 0);
	assert_int_equal(state_db_open(&db, path, err, sizeof err), -1);

	/* Not a database. */
	snprintf(path, sizeof path, "%s/junk.db", f->dir);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	for (int i = 0; i < 2048; i++)
		fputc(i * 13, fp);
	fclose(fp);
	assert_int_equal(state_db_open(&db, path, err, sizeof err), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pragmas, setup, teardown),
		cmocka_unit_test_setup_teardown(test_put_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spools, setup, teardown),
		cmocka_unit_test_setup_teardown(test_each_and_online, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wal_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_persists, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
