/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Alerts (DESIGN.md section 7): the engine that turns each evaluation's
 * conditions into alerts (pending -> firing -> resolved), routes them,
 * groups them and hands finished notifications to a sink; and the
 * configuration of routes and notifiers.
 *
 * The engine is pure: no I/O and no clock of its own. Every call takes
 * `now`, and what must be kept (alert rows, queued notifications) goes
 * through struct alert_sink, so the rules are tested with a fixed clock.
 */
#ifndef COVMON_ALERT_H
#define COVMON_ALERT_H

#include "alert_match.h"
#include "id.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum alert_kind {
	AK_HAMLET_DOWN,
	AK_HAMLET_DEGRADED,
	AK_HAMLET_OVERDUE,
	AK_COMMUNE_RED,
	AK_AGENT_UNKNOWN,
	AK_AGENT_CLOCK_SKEW,
	AK_AGENT_SPOOL_DROPPED,
	AK__COUNT
};
extern const char *const alert_kind_name[AK__COUNT];
int alert_kind_lookup(const char *name);     /* index, or -1 */

/* DESIGN.md section 7: what each kind means for on-call staff. critical
 * pages (a site down), warning is worth a look today, info is the
 * rollout's backlog (the daily digest's, not a page). */
enum alert_severity { SEV_INFO, SEV_WARNING, SEV_CRITICAL };
extern const char *const alert_severity_name[3];
enum alert_severity alert_kind_severity(enum alert_kind k);
int alert_severity_lookup(const char *name); /* index, or -1 */

enum alert_state { AS_PENDING, AS_FIRING, AS_RESOLVED };
extern const char *const alert_state_name[3];

#define ALERT_SCOPE_MAX   (ID_MAX + 16)      /* "hamlet:<id>", "agent:<id>" */
#define ALERT_TEXT_MAX    512
#define ALERT_NAME_MAX    256
#define ALERT_MAX_ROUTES  32
#define ALERT_MAX_NOTIFIERS 16
#define ALERT_ROUTE_NOTIFY 8
#define ALERT_REPEAT_CAP  86400.0            /* repeats back off to once a day */


enum group_by { GB_COMMUNE, GB_PROVINCE, GB_NONE };

struct route_conf {
	char name[64];
	struct alert_match match;
	uint32_t kinds;               /* bit per alert_kind; all when 0 */
	enum alert_severity min_severity; /* warning, or info when kinds is set */
	int notify[ALERT_ROUTE_NOTIFY]; /* indexes in notifiers */
	int nnotify;
	enum group_by group_by;
	double group_wait;
	double repeat;                /* 0: no repeats */
	bool cont;                    /* continue = yes: later routes too */
};

enum notifier_type { NT_EXEC, NT_WEBHOOK, NT_MQTT, NT_EMAIL };
/* A webhook's body: covmon's payload, or a messaging tool's own API. */
enum webhook_format { WF_COVMON, WF_TELEGRAM, WF_ZALO };
extern const char *const webhook_format_name[3];
struct notifier_conf {
	char name[64];
	enum notifier_type type;
	double timeout;
	char command[1024];           /* exec */
	char url[512];                /* webhook */
	char bearer_token[512];       /* webhook (or from token_file); zalo:
	                                 the OA's access_token */
	enum webhook_format format;   /* webhook */
	char chat_id[64];             /* webhook, telegram */
	char user_id[64];             /* webhook, zalo: the follower */
	char smtp_url[512];           /* email */
	char from[256];
	char to[1024];                /* comma-separated */
	char username[128];
	char password[256];           /* read from password_file */
	bool tls;                     /* email: STARTTLS required */
	bool vi;                      /* lang = vi: Vietnamese texts */
};

struct alert_conf {
	double for_s[AK__COUNT];      /* [alerts] for, or for_<kind> */
	double clear_for;
	double flap_window;           /* a resolved alert that comes back within
	                                 this is reopened and marked flapping */
	double clock_skew;            /* agent_clock_skew past this many s */
	double retry_max;             /* notifier retries back off up to this */
	double keep_days;             /* history kept in the DB */
	char timezone[64];            /* [alerts] timezone: "" the system's */
	char public_url[256];         /* [http] public_url, no trailing '/':
	                                 links to the dashboard, "" none */
	struct route_conf routes[ALERT_MAX_ROUTES];
	int nroutes;
	struct notifier_conf notifiers[ALERT_MAX_NOTIFIERS];
	int nnotifiers;
};

/* A condition seen true in this evaluation. Strings are copied. */
struct alert_cond {
	enum alert_kind kind;
	const char *scope;            /* "hamlet:bx-suoi-chai" */
	const char *province;         /* may be "" (agent_unknown: its topic's) */
	const char *commune;          /* "" when none */
	const char *commune_name;     /* display names for the summaries */
	const char *province_name;
	const char *const *hamlets;   /* the hamlet first, then those it cuts */
	size_t nhamlets;
	const char *agent;            /* "" when none */
	const char *subject;          /* "Suối Chải (Bát Xát)": what it is about */
	double since;                 /* > 0: the condition began then (an
	                                 overdue hamlet: its target date), not
	                                 when first seen */
	const char *what;             /* "Suối Chải (Bát Xát) down" */
	const char *detail;           /* "; also cut, 3 hamlets behind it: …", or "" */
	/* The same in Vietnamese, for notifiers with lang = vi (NULL: the
	 * English is used). */
	const char *subject_vi, *what_vi, *detail_vi;
	bool keep_only;               /* true: holds an open alert open, but
	                                 opens none (an unreachable hamlet
	                                 whose own alert was already open) */
};

/* One alert as kept, listed and sent. */
struct alert {
	int64_t id;
	enum alert_kind kind;
	enum alert_state state;
	char scope[ALERT_SCOPE_MAX];
	char province[ID_MAX + 1];
	char commune[ID_MAX + 1];
	char agent[ID_MAX + 1];
	char commune_name[ALERT_NAME_MAX];
	char province_name[ALERT_NAME_MAX];
	char (*hamlets)[ID_MAX + 1];
	size_t nhamlets;
	char subject[ALERT_NAME_MAX]; /* "" for an alert restored and not seen since */
	char what[ALERT_TEXT_MAX];
	char detail[ALERT_TEXT_MAX];
	/* Vietnamese, kept in memory only: "" until the alert is seen by this
	 * process (restored alerts speak English until then). */
	char subject_vi[ALERT_NAME_MAX];
	char what_vi[ALERT_TEXT_MAX];
	char detail_vi[ALERT_TEXT_MAX];
	double since;                 /* the condition began (pending) */
	double fired_at, resolved_at; /* 0 when not yet */
	double clear_since;           /* condition false since, 0 while true */
	double next_repeat;           /* 0: none due */
	double repeat_step;
	double repeat;                /* from its routes: 0 none */
	bool flapping;
	bool silenced;
	bool acked;
	bool notified;                /* its firing was sent: a resolve is owed */
	bool began_silenced;
	/* engine bookkeeping */
	bool fresh;                   /* opened in this evaluation */
	unsigned resolves;            /* full resolves seen: flapping is judged
	                                 only after one */
	bool seen;
	bool dirty;
	double changes[8];            /* recent condition changes (ring) */
	unsigned nchanges;
};

/* The readable sentence: what + " since <local time>" + detail; resolved,
 * one line: "Lùng Thắng (Mường Khương) and 4 hamlets behind it: back after
 * 2 min, at <local time>". */
void alert_summary(const struct alert *a, char *buf, size_t len);
/* Where an alert is, as its payload and the API both say it: scope,
 * province, commune (null when none), hamlets, added to the object o. */
struct json_object;
void alert_json_place(struct json_object *o, const struct alert *a);
/* The same in Vietnamese when vi (English where no Vietnamese is kept). */
void alert_summary_lang(const struct alert *a, bool vi, char *buf, size_t len);
/* "2026-12-07 21:12 UTC+7"; vi: "21:12 ngày 07/12/2026 (UTC+7)" (the
 * process's zone: [alerts] timezone). */
void alert_local_time(double t, char *buf, size_t len);
void alert_local_time_lang(double t, bool vi, char *buf, size_t len);
/* Vietnamese writes a decimal comma ("4,2 %"): a dot between two digits
 * becomes one. Only for sentences of figures, never ones holding a name
 * or an id. */
void alert_vi_decimal(char *s);

struct alert_silence {
	int64_t id;
	struct alert_match match;
	double until;
};
bool alert_silence_matches(const struct alert_match *m, const struct alert *a);

/* One alert in a notification that waits for its group_wait: what the
 * sink keeps so that a crash before the group is sent loses nothing. */
struct alert_pending {
	const char *route, *key;       /* the group: its route's name and key */
	bool resolved;
	double deadline;
	const char *scope, *name, *province, *commune;   /* of the group */
	int64_t id;                    /* the member: its alert */
	size_t nhamlets;
	double since;
	const char *summary;
	const char *json;              /* its payload */
};

/* Where the engine puts what must be kept. */
struct alert_sink {
	void *arg;
	/* A new alert's id (> 0), or -1 when it cannot be kept. */
	int64_t (*new_id)(void *arg, const struct alert *a);
	void (*save)(void *arg, const struct alert *a);
	/* A pending alert that never fired: forget it. */
	void (*drop)(void *arg, int64_t id);
	/* A finished notification for one notifier. `json` is the payload
	 * of the contract; kind/state/scope/summary its headline. */
	void (*queue)(void *arg, const char *notifier, const char *route, const char *json,
	    const char *kind, const char *state, const char *scope, const char *summary);
	/* Optional: an alert joined a waiting group; the group was sent
	 * (its queue rows are written: forget its pending members). */
	void (*pend)(void *arg, const struct alert_pending *p);
	void (*unpend)(void *arg, const char *route, const char *key, bool resolved);
};

struct alert_engine;
struct alert_engine *alert_engine_new(const struct alert_conf *ac);
void alert_engine_free(struct alert_engine *e);
/* At start: an open alert as the DB kept it (copied). */
int alert_engine_restore(struct alert_engine *e, const struct alert *a);
/* At start: a member of a group that was waiting (copied). -1 when its
 * route is no longer configured or the payload is not JSON. */
int alert_engine_restore_pending(struct alert_engine *e, const struct alert_pending *p);
/* A reloaded configuration: the groups waiting are sent first (with the
 * routes they were made by), then `ac` is used. The caller keeps `ac`
 * alive while the engine uses it. */
void alert_engine_set_conf(struct alert_engine *e, const struct alert_conf *ac,
    const struct alert_sink *sink);

/* One evaluation: begin, observe each true condition, end. */
void alert_begin(struct alert_engine *e, double now);
int alert_observe(struct alert_engine *e, const struct alert_cond *c);
/* Applies the lifecycle; silences active at `now` and the acked ids. */
void alert_end(struct alert_engine *e, double now, const struct alert_silence *sil,
    size_t nsil, const int64_t *acked, size_t nacked, const struct alert_sink *sink);
/* Sends the groups whose group_wait is over. Call often (cheap). */
void alert_flush(struct alert_engine *e, double now, const struct alert_sink *sink);
bool alert_flush_due(const struct alert_engine *e, double now);

/* Every alert the engine holds (open, and resolved for a while). */
size_t alert_engine_count(const struct alert_engine *e);
const struct alert *alert_engine_at(const struct alert_engine *e, size_t i);
const struct alert *alert_engine_find(const struct alert_engine *e, enum alert_kind kind,
    const char *scope);


#endif
