/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The collector's state in SQLite (data_dir/state.db, WAL mode): per agent
 * the last stored seq and time, last values and online state; and, with
 * rrdcached, the write-ahead log of acked samples not yet known to be on
 * disk (DESIGN.md section 3). One connection per thread.
 */
#ifndef COVMON_STATE_DB_H
#define COVMON_STATE_DB_H

#include "sample.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct state_db;

struct agent_row {
	char agent[ID_MAX + 1];
	char province[ID_MAX + 1];
	uint64_t last_seq;       /* highest seq stored */
	int64_t last_ts;         /* ts of that sample */
	double last_seen;        /* wall time a fresh sample or state last arrived */
	int online;              /* 1 online, 0 offline (state/LWT), -1 never said */
	uint32_t interval;
	uint64_t present;        /* last values: which metrics */
	double m[METRIC_COUNT];
};

/* Opens or creates the database (schema created or checked). */
int state_db_open(struct state_db **db, const char *path, char *err, size_t errlen);
/* A read-only connection (HTTP, the notifier) to the file the writer
 * opened: any write on it fails. state.db has one writer (state_req.h). */
int state_db_open_reader(struct state_db **db, const char *path, char *err, size_t errlen);
void state_db_close(struct state_db *db);

/* Group commit: the writer wraps a batch of puts in begin/commit. */
int state_db_begin(struct state_db *db);
int state_db_commit(struct state_db *db);   /* durable when it returns 0 */
int state_db_rollback(struct state_db *db);

/* Insert or replace one agent's row. */
int state_db_put_agent(struct state_db *db, const struct agent_row *row);
/* Only the online flag and last_seen (from a retained state message / LWT). */
int state_db_set_online(struct state_db *db, const char *agent, const char *province,
    int online, double when);
/* Calls cb for every agent row; stops and returns -1 if cb returns -1. */
int state_db_each_agent(struct state_db *db, int (*cb)(const struct agent_row *, void *), void *arg);
int state_db_get_agent(struct state_db *db, const char *agent, struct agent_row *row);  /* 0, 1 not found, -1 */

/* The last stored seq of one of an agent's spools (sid "" for older
 * agents), in the batch's transaction; the row of a spool forgotten. */
int state_db_put_spool(struct state_db *db, const char *agent, const char *sid, uint64_t last_seq,
    double used);
int state_db_del_spool(struct state_db *db, const char *agent, const char *sid);
/* Calls cb for every spool row, each agent's least recently used first;
 * stops and returns -1 if cb does. */
int state_db_each_spool(struct state_db *db, int (*cb)(const char *agent, const char *sid,
    uint64_t last_seq, double used, void *), void *arg);
/* Write-ahead log of samples (rrdcached mode), in the same transaction as
 * the agent rows: returns the new entry's id (> 0) or -1. */
int64_t state_db_wal_add(struct state_db *db, const char *province, const struct sample *s);
/* Calls cb for each entry with id > after, oldest first. */
int state_db_wal_each(struct state_db *db, int64_t after,
    int (*cb)(int64_t id, const char *province, const struct sample *s, void *), void *arg);
/* Deletes entries with id <= upto (they are in the RRD files now). */
int state_db_wal_trim(struct state_db *db, int64_t upto);
int64_t state_db_wal_count(struct state_db *db);

/* A hamlet entered `state` at `at`: closes its open stretch, opens one. */
int state_db_history(struct state_db *db, const char *hamlet, const char *state, double at);
/* Seconds the hamlet spent in each of states[0..n) within [from, to). */
int state_db_state_seconds(struct state_db *db, const char *hamlet, double from, double to,
    const char *const *states, int nstates, double *seconds);

/* Small facts kept across restarts (the meta table), by key: 0 with the
 * value in buf, 1 when there is none, -1 on error. */
int state_db_meta_get(struct state_db *db, const char *key, char *buf, size_t len);
int state_db_meta_put(struct state_db *db, const char *key, const char *value);

const char *state_db_errmsg(struct state_db *db);
/* The connection itself, for the alert tables' queries (alert_db.c). */
struct sqlite3 *state_db_sqlite(struct state_db *db);

#endif
