/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The dashboard (DESIGN.md section 8): server-rendered HTML pages of one
 * snapshot — the overview, a province with its map, a commune, a hamlet's
 * site page, the alerts — and the /graph/ images. No JavaScript; English or
 * Vietnamese; every inventory string escaped. Apart from HTTP, like api.c:
 * http.c hands over the path, the query and the Accept-Language header, and
 * the unit test does the same without a server.
 */
#ifndef COVMON_PAGES_H
#define COVMON_PAGES_H

#include "api.h"
#include "coverage.h"
#include "id.h"
#include "snapshot.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct graph_cache;

/* One stretch of a hamlet's state history (state.db hamlet_history). */
struct pages_stretch {
	char state[16];
	double since;
	double until;			/* 0: still in it */
};

/* A hamlet's time down or unreachable within a period. */
struct pages_downtime {
	char hamlet[ID_MAX + 1];
	double seconds;
};

/* One alert of state.db's alerts table, as the pages show it. */
#define PAGES_SUMMARY_MAX	1024	/* alert_row's summary (alert_db.h) */
struct pages_alert {
	int64_t id;
	char kind[32];			/* alert_kind_name, or what a newer build wrote */
	char state[16];			/* firing, resolved */
	char scope[ID_MAX + 16];	/* hamlet:ID, commune:ID, agent:ID */
	char summary[PAGES_SUMMARY_MAX];	/* names, not ids: written by the engine */
	double since;			/* the condition began */
	double resolved_at;		/* 0 while open */
	bool silenced;			/* a silence in force matches it (when resolved:
					 * it was silenced then) */
	bool acked;
	bool flapping;
};

/*
 * Which alerts pages_source.alerts lists. The firing ones come in two
 * lists (DESIGN.md section 7): what on-call staff act on (critical and
 * warning) and the rollout's backlog (info: overdue hamlets, communes
 * behind their target). Both are ordered by severity, then the most
 * hamlets, then the oldest.
 */
enum pages_alerts_which {
	PAGES_FIRING,			/* firing, critical and warning */
	PAGES_RESOLVED,			/* resolved at or after `from`, newest first */
	PAGES_OF_HAMLET,		/* firing or resolved that name `hamlet` (scope or
					 * hamlets), firing first, then newest */
	PAGES_ROLLOUT,			/* firing, info */
	PAGES__WHICH
};

/* An alert kind's severity as the pages rank it: enum alert_severity
 * (alert.h), and warning for a kind this build does not know (a newer
 * collector wrote it): shown with what is acted on, never hidden in the
 * rollout. pages_db.c orders and splits the lists by the same rule. */
int pages_kind_severity(const char *kind);

/* A silence in force (state.db silences). */
struct pages_silence {
	char match[ID_MAX + 24];	/* province:ID, commune:ID, hamlet:ID, agent:ID, * */
	double until;
	char reason[512];
};

/*
 * What the pages read beyond the snapshot (the state DB). Any member may
 * be NULL; each returns the number of rows filled (at most max), or -1
 * when it cannot answer now (the page says so and carries on).
 */
struct pages_source {
	/* The hamlets with the most seconds down or unreachable in [from, to),
	 * most first. */
	int (*worst_downtime)(void *arg, double from, double to,
	    struct pages_downtime *out, int max);
	/* A hamlet's latest stretches, newest first. */
	int (*history)(void *arg, const char *hamlet, struct pages_stretch *out, int max);
	/* Alerts (see enum pages_alerts_which; `hamlet` and `from` only where
	 * it says); *total is set to how many there are in all, for "N more". */
	int (*alerts)(void *arg, enum pages_alerts_which which, const char *hamlet,
	    double from, double now, struct pages_alert *out, int max, int *total);
	/* The silences in force at now, the soonest to end first. */
	int (*silences)(void *arg, double now, struct pages_silence *out, int max, int *total);
	void *arg;
};

/* The national view's provinces (national.h), for its overview. */
struct national_summary;
struct pages_national {
	const struct national_summary *provinces;	/* sorted by id */
	size_t n;
	double stale_after;		/* seconds: an older summary is marked stale */
};

struct pages_env {
	const struct coverage_conf *thr;	/* the collector's [coverage], may be NULL */
	const char *data_dir;		/* to tell whether a graph has data yet */
	const struct pages_source *src;	/* may be NULL */
	double now;			/* wall clock, for "3 min ago" */
	/* Set in the national view ([collector] national = yes): "/" shows
	 * these provinces, and the other pages say where to look. */
	const struct pages_national *national;
	/* [http] map_tiles: a tile URL template with {z}, {x} and {y} drawn
	 * under the province map; NULL or "" for none (no internet). */
	const char *map_tiles;
};

/* A response: body malloc'd (the caller frees it), type a literal. */
struct pages_out {
	char *body;
	size_t len;
	unsigned status;
	const char *type;
};

enum pages_lang { PAGES_EN, PAGES_VI };

/* ?lang=vi|en wins; else an Accept-Language starting with "vi"; else English. */
enum pages_lang pages_lang(const char *query_lang, const char *accept_language);

/* True for the paths pages_render() serves: /, /alerts, /search,
 * /province/..., /commune/..., /hamlet/... */
bool pages_is_page(const char *url);

/*
 * Renders page `url` (the path, unescaped, without the query string) from
 * snapshot `s` (NULL: no evaluation yet). Query keys read: lang, refresh.
 * Sets out: 200, 400 for a malformed id, 404 for an unknown page or id,
 * 503 before the first evaluation or without an inventory (each an HTML
 * page). Returns 0, or -1 when out of memory (nothing to free then).
 */
int pages_render(const struct snapshot *s, const struct pages_env *env, const char *url,
    api_query_fn query, void *qarg, const char *accept_language, struct pages_out *out);

/* The stylesheet, served at PAGES_CSS_PATH (kept out of the pages so that
 * the Content-Security-Policy needs no 'unsafe-inline'). */
#define PAGES_CSS_PATH	"/static/covmon.css"
extern const char pages_css[];

/*
 * /graph/<template>/<id>.png|.svg?range=6h|1d|1w|1m|1y (range default 1d):
 * a hamlet id for the site templates, a commune or province id for
 * coverage, resolved through the snapshot's inventory to the RRD files
 * under data_dir and rendered through the cache. Sets out: 200 with the
 * image; 400 for an unknown template, format or range or a malformed id;
 * 404 for an unknown id, a hamlet without an agent, or no data file yet;
 * 503 without an inventory; 500 when librrd fails (each error a short
 * text/plain message). Returns 0, or -1 when out of memory.
 */
int pages_graph(struct graph_cache *gc, const struct snapshot *s, const char *data_dir,
    double yellow_margin_pct, const char *url, const char *range, struct pages_out *out);
/* The same with every query key: range, lang (else accept_language, by the
 * rule of pages_lang) and width (240..1600, the height following; not a
 * number: 400). */
int pages_graph_query(struct graph_cache *gc, const struct snapshot *s, const char *data_dir,
    double yellow_margin_pct, const char *url, api_query_fn query, void *qarg,
    const char *accept_language, struct pages_out *out);

/* --- the state DB as a pages_source (pages_db.c) --- */

struct pages_db;
/* Opens data_dir/state.db read-only, lazily (it may not exist yet at
 * start). Returns NULL only when out of memory. Thread-safe. */
struct pages_db *pages_db_new(const char *data_dir);
void pages_db_free(struct pages_db *db);
/* Fills src with the DB's readers (arg = db). */
void pages_db_source(struct pages_db *db, struct pages_source *src);

#endif
