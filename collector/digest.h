/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The rollout digest (DESIGN.md section 7, [digest]): once a day, one
 * message per province for the people who manage the rollout — the
 * hamlets that became overdue, the communes that turned red or went back,
 * and the province against its target — instead of a page for each.
 *
 * The text and the schedule are pure functions of their inputs and a
 * clock the caller gives, so the tests fix both; digest_tick() is the
 * evaluator's hook that sends through the notification queue.
 */
#ifndef COVMON_DIGEST_H
#define COVMON_DIGEST_H

#include "alert.h"
#include "coverage.h"
#include "id.h"
#include "inventory.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define DIGEST_TEXT_MAX		4000	/* a queued summary holds 4096 bytes */
#define DIGEST_LIST_MAX		30	/* names listed per section, then "and N more" */
#define DIGEST_WINDOW		86400.0	/* "in the last 24 h" */

struct conf;
struct state_db;
struct snapshot;

/* [digest] */
struct digest_conf {
	int at;                       /* minutes after local midnight */
	char notify[ALERT_MAX_NOTIFIERS][64];
	int nnotify;                  /* 0: nothing is sent (the API still works) */
	bool vi;                      /* lang = vi */
};

/* Reads [digest] (after [notifier.*]: notify names them). Returns 0, or
 * -1 with err naming file:line and the key. */
int digest_conf_parse(struct conf *c, const struct alert_conf *ac, struct digest_conf *d,
    const char *path, char *err, size_t errlen);
void digest_conf_print(const struct digest_conf *d, FILE *out);

/* One row of the alerts table that may belong in a digest. */
struct digest_event {
	enum alert_kind kind;         /* AK_HAMLET_OVERDUE or AK_COMMUNE_RED */
	char scope[ALERT_SCOPE_MAX];  /* "hamlet:<id>", "commune:<id>" */
	char province[ID_MAX + 1];
	double fired_at, resolved_at; /* 0: not (yet) */
};
/* The overdue and red alerts fired or resolved in (from, to]; *out
 * allocated (free()). Returns 0, or -1 (state_db_errmsg). */
int digest_events(struct state_db *db, double from, double to, struct digest_event **out,
    size_t *n);

/* One line of a digest's lists. */
struct digest_item {
	const char *id, *name;        /* the inventory's (names with diacritics) */
	const char *commune;          /* a hamlet's commune name */
	int32_t date;                 /* a hamlet's target date, or INV_NO_DATE */
	double covered_pct, target_pct;   /* a commune's */
	int colour;                   /* a commune's, enum colour */
};

/* One province's digest: views into the inventory and the coverage, which
 * must outlive it; the lists are allocated (digest_clear()). */
struct digest {
	const char *province, *name;
	double covered_pct, target_pct;   /* NAN: none */
	int32_t deadline;                 /* or INV_NO_DATE */
	int colour;                       /* enum colour */
	uint32_t overdue_total;           /* overdue now, in the province */
	struct digest_item *overdue;      /* became overdue, still overdue */
	size_t noverdue;
	struct digest_item *red;          /* turned red, still red */
	size_t nred;
	struct digest_item *back;         /* red no longer */
	size_t nback;
	double at;                        /* the time it speaks for */
};

/* Province p of inv as cov evaluated it, with the events of the day
 * (other provinces' events are skipped). Returns 0, or -1 (memory). */
int digest_make(struct digest *d, const struct inventory *inv, const struct coverage *cov,
    size_t p, const struct digest_event *ev, size_t nev, double now);
void digest_clear(struct digest *d);

/* The text (UTF-8, lines ending in '\n'), in Vietnamese when vi; a link to
 * the province page when public_url is not "". Dates and the day are the
 * process's local time. Returns its length (long lists are cut to fit). */
size_t digest_text(const struct digest *d, bool vi, const char *public_url, char *buf,
    size_t len);

/* The notification payload (allocated, free()), or NULL. */
char *digest_json(const struct digest *d, const char *text, const char *public_url,
    const char *day);

/*
 * Whether a digest is due at `now`: its local time is at or past `at`
 * minutes after midnight, today (local, "YYYY-MM-DD", set in day) is not
 * `last` (the day last sent, "" never), and `now` >= not_before (the
 * collector has had time to judge the hamlets since it started).
 */
bool digest_due(const struct digest_conf *d, time_t now, const char *last, double not_before,
    char *day, size_t daylen);

/* The evaluator's side: the day last sent is kept in the state DB, so a
 * restart neither skips nor repeats one. */
struct digester;
/* settle: seconds after the first evaluation before a digest is sent
 * (offline_after and the alerts' for: until then the overdue hamlets are
 * not known). */
struct digester *digester_new(const struct digest_conf *d, double settle);
void digester_free(struct digester *g);
/* After each evaluation: queues one notification per province and
 * notifier when a digest is due. ac: the alert settings in use (public_url,
 * the notifiers). */
void digest_tick(struct digester *g, const struct alert_conf *ac, const struct snapshot *s,
    const char (*provinces)[ID_MAX + 1], int nprovinces, struct state_db *db, double now);

#endif
