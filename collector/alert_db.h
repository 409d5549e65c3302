/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The alert tables of the state DB (schema in state_db.c): alerts and
 * their history, acks, silences, and the queue of notifications. Each
 * thread reads on its own connection; only the writer writes (other
 * threads ask it: state_req.h).
 */
#ifndef COVMON_ALERT_DB_H
#define COVMON_ALERT_DB_H

#include "alert.h"
#include "state_db.h"

/* The writer's engine. Return 0 (or an id > 0), or -1 (state_db_errmsg). */
int64_t alert_db_insert(struct state_db *db, const struct alert *a, double now);
int alert_db_save(struct state_db *db, const struct alert *a, double now);
int alert_db_delete(struct state_db *db, int64_t id);
int alert_db_queue(struct state_db *db, const char *notifier, const char *route,
    const char *json, const char *kind, const char *state, const char *scope,
    const char *summary, double now);
/* The members of groups waiting for their group_wait: kept when one
 * joins, forgotten with the group's queue rows, read back at start. */
int alert_db_pend(struct state_db *db, const struct alert_pending *p);
int alert_db_unpend(struct state_db *db, const char *route, const char *key, bool resolved);
int alert_db_unpend_all(struct state_db *db);
int alert_db_each_pending(struct state_db *db, int (*cb)(const struct alert_pending *, void *),
    void *arg);
/* Calls cb for every alert not resolved (to restore the engine). */
int alert_db_each_open(struct state_db *db, int (*cb)(const struct alert *, void *), void *arg);
/* Silences active at now, acked ids of open alerts; *out allocated. */
int alert_db_silences(struct state_db *db, double now, struct alert_silence **out, size_t *n);
int alert_db_acked(struct state_db *db, int64_t **out, size_t *n);
/* History older than keep_days (resolved alerts, sent notifications). */
int alert_db_trim(struct state_db *db, double before);

/* The API. */
struct alert_row {
	struct alert a;
	char summary[ALERT_TEXT_MAX * 2];
	bool acked;
};
/* Open alerts (all = false), or every alert, newest first, at most limit;
 * *out allocated (free with alert_db_rows_free). */
int alert_db_list(struct state_db *db, bool all, size_t limit, struct alert_row **out,
    size_t *n);
void alert_db_rows_free(struct alert_row *v, size_t n);
/* 0 done, 1 no such alert, -1 error. */
int alert_db_ack(struct state_db *db, int64_t id, double now);
int64_t alert_db_silence_add(struct state_db *db, const char *match, double until,
    const char *reason, double now);
int alert_db_silence_rm(struct state_db *db, int64_t id);
struct silence_row {
	int64_t id;
	char match[ALERT_SCOPE_MAX + 16];
	double until, created;
	char reason[512];
};
int alert_db_silence_list(struct state_db *db, double now, struct silence_row **out,
    size_t *n);

/* The notifier thread. */
struct queued {
	int64_t id;
	char notifier[64];
	char *payload;               /* allocated */
	char kind[32], state[16], scope[ALERT_SCOPE_MAX];
	char summary[4096];
	int attempts;
	double next_try;
};
/* The oldest unsent notification of each notifier (order is kept per
 * notifier: a resolve never overtakes its firing). */
int alert_db_queue_heads(struct state_db *db, struct queued **out, size_t *n);
void alert_db_queued_free(struct queued *v, size_t n);
int alert_db_queue_sent(struct state_db *db, int64_t id, double now);
int alert_db_queue_failed(struct state_db *db, int64_t id, int attempts, double next_try,
    const char *error);
int64_t alert_db_queue_depth(struct state_db *db);

#endif
