/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * From an evaluation to the alert engine, on the writer thread: the
 * conditions of every alert kind read from a snapshot (hamlets cut behind
 * a down uplink folded into the uplink's alert), and the engine's output
 * kept in the state DB (alert rows, queued notifications).
 */
#ifndef COVMON_ALERT_EVAL_H
#define COVMON_ALERT_EVAL_H

#include "alert.h"
#include "coverage.h"
#include "snapshot.h"
#include "state_db.h"

struct alerts;
struct alerts *alerts_new(const struct alert_conf *ac, const struct coverage_conf *cov);
void alerts_free(struct alerts *al);
/* Only these provinces raise alerts (n 0: all); the array is kept. */
void alerts_set_provinces(struct alerts *al, const char (*provinces)[ID_MAX + 1], int n);
/* After each evaluation (s has an inventory). */
void alerts_evaluate(struct alerts *al, const struct snapshot *s, struct state_db *db,
    double now);
/* Often: sends the groups whose group_wait is over. */
void alerts_flush(struct alerts *al, struct state_db *db, double now);
/* A reloaded [alerts]/[notifier.*]/[route.*]: the groups waiting are
 * sent by their old routes, then `ac` is used (kept alive by the caller).
 * Returns 0, or -1 when the state DB refused (the old one stays). */
int alerts_set_conf(struct alerts *al, const struct alert_conf *ac, struct state_db *db,
    double now);
/* At a clean stop, after the writer stopped: sends every group still
 * waiting for its group_wait, so that a restart loses none. */
void alerts_shutdown(struct alerts *al);
/* The engine, for tests. */
struct alert_engine *alerts_engine(struct alerts *al);

/* The conditions of one snapshot, handed to the engine (alert_begin and
 * alert_end are the caller's). Exposed for the unit tests. */
void alerts_observe(struct alerts *al, const struct snapshot *s, double now);

#endif
