/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The national view (DESIGN.md section 10, [collector] national = yes): a
 * collector without an inventory of its own that reads the retained
 * province summaries (<prefix>/<province>/summary, the JSON of
 * /api/v1/provinces/<id>) the province collectors publish, keeps the last
 * good one of each province, and serves them on /api/v1/provinces,
 * /api/v1/provinces/<id> and the dashboard's overview page.
 */
#ifndef COVMON_NATIONAL_H
#define COVMON_NATIONAL_H

#include "coverage.h"
#include "id.h"
#include "inventory.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Bounds on what the network may make us hold. A summary is about 250
 * bytes per commune: 1 MiB is some 4,000 communes, ten times the largest
 * province. */
#define NATIONAL_SUMMARY_MAX	(1024 * 1024)
#define NATIONAL_MAX_COMMUNES	8192
#define NATIONAL_MAX_PROVINCES	512
/* A summary not renewed for this many of the view's eval_interval is
 * marked stale (its collector, its broker or the bridge is down). */
#define NATIONAL_STALE_INTERVALS 3

enum national_err {
	NAT_OK = 0,
	NAT_E_TOPIC,		/* "bad_topic": not <prefix>/<valid id>/summary */
	NAT_E_TOO_BIG,		/* "oversize": more than NATIONAL_SUMMARY_MAX */
	NAT_E_JSON,		/* "bad_json": not JSON, bad UTF-8, too deep, trailing data */
	NAT_E_NOT_OBJECT,	/* "not_object" */
	NAT_E_TYPE,		/* "bad_type": a field of the wrong JSON type */
	NAT_E_MISSING,		/* "missing_field" */
	NAT_E_ID,		/* "bad_id": an id fails section 2 */
	NAT_E_MISMATCH,		/* "province_mismatch": not the topic's province */
	NAT_E_VALUE,		/* "bad_value": out of range, or counts that do not add up */
	NAT_E_CLOCK,		/* "clock_skew": evaluated_at too far in the future */
	NAT_E_FULL,		/* "too_many_provinces": NATIONAL_MAX_PROVINCES held */
	NAT_E__COUNT
};

/* The label of a rejection, for /metrics and the log. */
const char *national_err_reason(enum national_err e);

/* One province's last good summary. */
struct national_summary {
	char id[ID_MAX + 1];
	char name[INV_NAME_MAX + 1];	/* the id when the summary has none */
	struct rollup ru;		/* the province's figures */
	size_t ncommunes;
	double evaluated_at;		/* its collector's evaluation, 0 when not said */
	double received_at;		/* when the view got it (wall clock) */
	char *json;			/* the summary as validated (owned; NULL in
					   national_list() copies made without it) */
	size_t len;
};

/*
 * Decodes and validates a summary that came on province's topic at `now`:
 * every field the view reads has its type and range, ids pass section 2,
 * the id is the topic's, the states add up to the total and the communes
 * to the province; evaluated_at is at most max_skew ahead. Fills *out (its
 * json allocated: national_summary_clear() frees it) and returns NAT_OK,
 * or a rejection with msg saying what was wrong (out then holds nothing).
 */
enum national_err national_decode(const char *province, const void *buf, size_t len,
    double now, double max_skew, struct national_summary *out, char *msg, size_t msglen);
void national_summary_clear(struct national_summary *s);

/* Seconds since the summary's evaluation (since it came, when it does not
 * say), never negative. */
double national_age(const struct national_summary *s, double now);
/* The sum of n provinces (covered_pct from the sums; no target). */
void national_total(const struct national_summary *p, size_t n, struct rollup *all);

/* The table of provinces, fed by the MQTT thread, read by the HTTP ones. */
struct national;
/* stale_after: seconds; max_skew: as [collector] max_clock_skew. Returns
 * NULL when out of memory. */
struct national *national_new(double stale_after, double max_skew);
void national_free(struct national *n);
double national_stale_after(const struct national *n);

/*
 * A message on a summary topic under prefix: a good summary replaces its
 * province's, an empty payload (a retained summary cleared) removes it,
 * anything else is counted by reason and logged at a rate limit, and the
 * last good one stays. Thread-safe.
 */
void national_message(struct national *n, const char *topic, const char *prefix,
    const void *payload, size_t len, double now);

/* A copy of the table sorted by id, with each json when with_json (the
 * caller frees it with national_list_free()). Returns 0, or -1 when out of
 * memory. */
int national_list(struct national *n, bool with_json, struct national_summary **out,
    size_t *count);
void national_list_free(struct national_summary *list, size_t count);

/*
 * GET `url` under /api/v1/ from the table: /api/v1/provinces and
 * /api/v1/provinces/<id>, each province's summary with "received_at",
 * "age_s" and "stale" added; 400 for a malformed id, 404 for an unknown
 * one or any other path. Same ownership and return as api_render().
 */
int national_api(struct national *n, const char *url, double now, char **body, size_t *len,
    unsigned *status);

/* The view's counters in Prometheus text format. */
void national_metrics(struct national *n, double now, FILE *out);

#endif
