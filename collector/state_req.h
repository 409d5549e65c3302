/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Writes to state.db asked of its one writer. The writer thread is the
 * only one that writes state.db (its group commit: samples, agents, the
 * alert engine); an HTTP thread acking an alert or adding a silence, and
 * the notifier recording a delivery, hand it a request here and wait for
 * the answer. So no write waits on SQLite's busy lock behind another, and
 * the group commit never waits on an HTTP client.
 *
 * A request is the caller's (on its stack). The caller waits at most its
 * deadline; a request the writer has not taken by then is withdrawn and
 * was not done (the caller can say so: "busy, not recorded"). One the
 * writer took is waited for to its end, which is short: the writer does
 * them between two batches, all in one transaction.
 */
#ifndef COVMON_STATE_REQ_H
#define COVMON_STATE_REQ_H

#include "alert.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct state_db;

enum state_req_kind {
	SR_ACK,            /* id: alert; result 0, 1 no such alert */
	SR_SILENCE_ADD,    /* match, until, text (reason); result: the new id */
	SR_SILENCE_RM,     /* id: silence; result 0, 1 no such silence */
	SR_QUEUE_SENT,     /* id: notify_queue row, delivered at `now` */
	SR_QUEUE_FAILED,   /* id, attempts, next_try, text (the error) */
};

struct state_req {
	enum state_req_kind kind;
	int64_t id;
	double now;            /* when it was asked (wall clock) */
	double until;          /* SR_SILENCE_ADD */
	double next_try;       /* SR_QUEUE_FAILED */
	int attempts;          /* SR_QUEUE_FAILED */
	char match[ALERT_SCOPE_MAX + 16];  /* SR_SILENCE_ADD (alert_match_str) */
	char text[512];        /* the silence's reason, or the delivery error */

	/* Set by the writer: -1 when the database refused it. */
	int64_t result;

	/* Internal: the queue's links and the request's stage. */
	struct state_req *next;
	int stage;
};

struct state_reqs;

/* wake(arg) is called when a request arrives, so the writer does not wait
 * out its idle poll (queue_wake on its item queue). */
struct state_reqs *state_reqs_new(void (*wake)(void *), void *arg);
void state_reqs_free(struct state_reqs *r);

/* Any thread but the writer: hands req to the writer and waits at most
 * `wait` seconds for it to be taken. 0: done, its answer in req->result;
 * -1: not taken in time, withdrawn, not done; -2: the writer has stopped
 * (or r is NULL: this collector keeps no state). */
int state_reqs_call(struct state_reqs *r, struct state_req *req, double wait);

/* The writer: does every waiting request against db, in one transaction,
 * and answers them. Returns how many. */
size_t state_reqs_run(struct state_reqs *r, struct state_db *db);

/* The writer is leaving: what waits, and every later call, gets -2. */
void state_reqs_close(struct state_reqs *r);

#endif
