/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The JSON API of DESIGN.md section 8, rendered from a snapshot apart from
 * HTTP: http.c hands over the path and a way to read the query string, and
 * the unit test does the same without a server.
 */
#ifndef COVMON_API_H
#define COVMON_API_H

#include "snapshot.h"

#include <stdbool.h>
#include <stddef.h>

/* The value of a query-string key, or NULL when absent. */
typedef const char *(*api_query_fn)(void *qarg, const char *key);
/* A query string with no keys, for a render that is not a request. */
const char *api_no_query(void *qarg, const char *key);

/* What the API keeps between requests (a cache, the history source): one
 * per HTTP server; api_render() takes NULL for none. */
struct api;
struct api *api_new(void);
void api_free(struct api *a);

/*
 * Renders GET `url` (the path, without the query string) under /api/v1/
 * from snapshot `s` (NULL: no evaluation yet), with a's cache (a may be
 * NULL). Sets *body (allocated, the
 * caller frees it), *len and *status: 200, 400 for a malformed id or
 * filter, 404 for an unknown path or id, 503 before the first evaluation
 * or without an inventory; every error body is {"error":"..."}.
 * /api/v1/health is not served here (see api_health()).
 * Returns 0, or -1 when out of memory (nothing to free then).
 */
int api_render(struct api *a, struct snapshot *s, const char *url, api_query_fn query,
    void *qarg, char **body, size_t *len, unsigned *status);

/*
 * Where /api/v1/hamlets/<id> finds a hamlet's past: seconds spent in each
 * state (enum hamlet_state order) within [from, to). Set once at start by
 * the HTTP server, on its struct api; without it the hamlet object has no
 * "availability".
 */
typedef int (*api_history_fn)(void *harg, const char *hamlet, double from, double to,
    double seconds[HS__COUNT]);
void api_set_history(struct api *a, api_history_fn fn, void *harg);

/* What the collector knows of itself for /api/v1/health. */
struct api_health {
	bool mqtt_connected;
	size_t queue_depth;
	double uptime_s;
	unsigned long received, stored;
	bool inventory_configured;   /* [collector] inventory is set */
	int max_unknown_agents;      /* [collector] max_unknown_agents */
	unsigned long unknown_refused;   /* samples refused past it */
};

/*
 * /api/v1/health: the collector's own state and its inventory's (where it
 * was loaded from and when, its size, the last failed reload) from `s`,
 * which may be NULL. Status "degraded" when MQTT is down, or when an
 * inventory is configured but none is loaded. Same ownership and return as
 * api_render(); the status is always 200.
 */
int api_health(struct snapshot *s, const struct api_health *h, char **body,
    size_t *len);

/*
 * The alerts API (api_alerts.c), read from and written to the state DB on
 * the caller's connection (db NULL: 503). Same ownership and return as
 * api_render(). The write actions are the caller's to authorise.
 */
struct state_db;
int api_alerts_get(struct state_db *db, api_query_fn query, void *qarg, double now,
    char **body, size_t *len, unsigned *status);
int api_silences_get(struct state_db *db, double now, char **body, size_t *len,
    unsigned *status);
/* The write actions: asked of the writer, state.db's one writer
 * (state_req.h), waiting at most API_WRITE_WAIT s for it; NULL reqs (a
 * national view) answers 503. body: {"match":"commune:bat-xat",
 * "until":"2h","reason":"…"} */
#define API_WRITE_WAIT 5.0
struct state_reqs;
int api_silence_post(struct state_reqs *reqs, const char *in, size_t inlen, double now,
    char **body, size_t *len, unsigned *status);
int api_silence_delete(struct state_reqs *reqs, const char *id, char **body, size_t *len,
    unsigned *status);
int api_alert_ack(struct state_reqs *reqs, const char *id, double now, char **body,
    size_t *len, unsigned *status);
/*
 * /api/v1/digest?province=P&lang=en|vi (api_alerts.c): the rollout digest
 * of every province (or P) as it would be sent now, from the current
 * snapshot in `box` and the alerts of the last 24 h in db; lang defaults
 * to [digest] lang. Same ownership and return as api_render().
 */
struct snapshot_box;
struct collector_conf;
int api_digest_get(struct snapshot_box *box, struct state_db *db,
    const struct collector_conf *cc, api_query_fn query, void *qarg, double now,
    char **body, size_t *len, unsigned *status);
/* {"error":msg} with the code. */
int api_error(unsigned code, const char *msg, char **body, size_t *len, unsigned *status);

#endif
