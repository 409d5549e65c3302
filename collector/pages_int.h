/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the pages_*.c files share and nothing else sees: one rendering
 * (struct page), the message ids, and the helpers every page is made of
 * (pg_*, in pages_html.c). The entry points are in pages.h.
 */
#ifndef COVMON_PAGES_INT_H
#define COVMON_PAGES_INT_H

#include "pages.h"

#include "alert.h"
#include "metric.h"
#include "national.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define TOP_N		10	/* rows of each worst-N list */
#define LIST_MAX	200	/* rows of the problem list on /alerts */
#define OVERVIEW_ALERTS	20	/* firing alerts on the overview; the rest on /alerts */
#define OVERVIEW_ROLLOUT 5	/* rollout alerts on the overview; the rest on /alerts */
#define FIRING_MAX	200	/* firing alerts on /alerts */
#define RESOLVED_MAX	50	/* recently resolved alerts on /alerts */
#define SITE_ALERTS	10	/* alerts on a site page */
#define SILENCES_MAX	100
#define CHAIN_MAX	64	/* hops of an uplink chain shown */
#define HISTORY_MAX	12	/* stretches of state history on a site page */
#define WEEK		(7 * 86400.0)
#define MAP_W		640.0	/* the map's viewBox width; its height follows */
#define MAP_PAD		14.0
#define MAP_LABELS_MAX	12	/* hamlets named on the map (T_MAP_LABELS says 12) */
#define MAP_TILES_MAX	64	/* tiles under a map: a 640-unit map needs ~20 */
#define PHONE_GRAPH_W	340	/* ?width= of the graphs a phone gets */
/* Thresholds of the values the collector does not judge ([coverage] has
 * loss and RTT only): the same as covmon-agent --once (agent/report.c). */
#define MAX_JITTER_MS	50.0

enum msg {
	T_OVERVIEW, T_ALERTS, T_TITLE_OVERVIEW, T_PROVINCE, T_PROVINCES, T_COMMUNE,
	T_COMMUNES, T_HAMLET, T_HAMLETS, T_COVERED, T_TARGET, T_DEADLINE, T_STATE,
	T_TOTAL, T_OVERDUE, T_ALL, T_FIRING, T_WORST_LOSS, T_WORST_DOWN,
	T_BEHIND, T_SHORTFALL, T_LOSS, T_RTT, T_SIGNAL, T_CLIENTS, T_LAST_SEEN, T_NEVER,
	T_AGO, T_DOWNTIME, T_NONE_LOSS, T_NONE_DOWN, T_NO_DB, T_NONE_BEHIND, T_EVALUATED,
	T_BLIND, T_NO_EVAL, T_NO_INV, T_NOT_FOUND, T_BAD_ID, T_ID_RULE, T_MAP,
	T_NOT_PLACED, T_COVERAGE_MONTH, T_SINCE, T_CURRENT, T_MEASURE, T_VALUE,
	T_VERDICT, T_OK, T_WARN, T_BAD, T_NO_VALUES, T_VALUES_AT, T_GRAPHS, T_DAY,
	T_WEEK_G, T_NO_DATA, T_UPLINK, T_DIRECT, T_DOWNSTREAM, T_ROOT, T_HISTORY,
	T_RECENT_ALERTS, T_AGENT, T_NO_AGENT, T_TARGET_DATE, T_POPULATION, T_VILLAGE,
	T_PROBLEMS, T_SILENCES, T_NO_TARGET, T_DAYS, T_HOURS, T_MIN, T_SEC, T_WINDOW,
	T_BREACH_LOSS, T_BREACH_RTT, T_JITTER, T_SNR, T_LINK, T_POWER, T_BATTERY,
	T_TRAFFIC, T_RETRANS, T_UPTIME, T_UP, T_LINK_DOWN, T_MAINS, T_ON_BATTERY,
	T_THRESHOLDS, T_AND_MORE, T_NONE_PROBLEMS, T_LATENCY_G, T_THROUGHPUT_G,
	T_RADIO_G, T_CLIENTS_G, T_THIS_SITE, T_PROBLEMS_NOTE,
	T_NOW, T_REFRESH, T_OFF, T_COORDS, T_PLACED_NOTE, T_LAST_7_DAYS, T_CUT_OFF,
	T_STALE, T_OTHER_RANGES, T_NONE_FIRING, T_MORE_ALERTS, T_ALL_ALERTS, T_RESOLVED_WEEK,
	T_NONE_RESOLVED, T_NO_SITE_ALERTS, T_KIND, T_WHERE, T_SUMMARY, T_RESOLVED, T_SILENCED,
	T_ACKED, T_FLAPPING, T_FIRING_ONE, T_MATCH, T_UNTIL, T_REASON, T_NO_SILENCES,
	T_EVERYTHING, T_IN, T_MORE_ROWS, T_SINCE_COL, T_RESOLVED_COL,
	T_TITLE_NATIONAL, T_NATIONAL_NOTE, T_NO_SUMMARY, T_NATIONAL_ONLY, T_UPDATED,
	T_OUT_OF_DATE, T_SEVERITY, T_ROLLOUT, T_ROLLOUT_NOTE, T_NONE_ROLLOUT, T_ROLLOUT_MORE,
	T_ROLLOUT_ALL, T_ROLLOUT_BELOW, T_OVERDUE_SINCE,
	T_SEARCH, T_SEARCH_HINT,
	T_PACE_REACHED, T_PACE_ON_TRACK, T_PACE_BEHIND, T_PACE_AT, T_PACE_LATE,
	T_PACE_FLAT, T_PACE_PASSED, T_PACE_TITLE,
	/* phone pages, stale values, the map (issue 19) */
	T_AS_OF, T_OSM_ATTRIB, T_MAP_LABELS,
	T_COUNT
};

/* --- one rendering --- */

struct page {
	FILE *f;
	enum pages_lang lang;
	const struct snapshot *s;
	const struct inventory *inv;	/* NULL before the first evaluation */
	const struct coverage *cov;
	const struct pages_env *env;
	/* Appended to every link between pages, so that a chosen language and
	 * refresh stay chosen ("" or "?lang=vi&amp;refresh=60"). */
	char qs[96];
	/* For the language switch: the other query keys ("" or "&amp;refresh=60"). */
	char qs_refresh[32];
	/* The search words, kept by the language switch (/search only). */
	const char *switch_q;
	int refresh;			/* seconds, 0 off */
	bool oom;			/* a page part could not allocate: answer -1 */
};

/* messages (pages_i18n.c) */
extern const char *const pg_msgs[T_COUNT][2];
extern const char *const pg_state_words[HS__COUNT][2];
extern const char *const pg_kind_words[AK__COUNT][2];
extern const char *const pg_severity_words[3][2];
extern const int pg_state_rank[HS__COUNT];

/* rendering (pages_html.c) */
const char *pg_tr(const struct page *p, enum msg m);
void pg_put(struct page *p, const char *s);
void pg_pf(struct page *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pg_esc(struct page *p, const char *s);
const char *pg_state_word(const struct page *p, int st);
const char *pg_state_class(int st);
void pg_badge(struct page *p, int st);
void pg_state_cut(struct page *p, const struct hamlet_eval *e);
void pg_link(struct page *p, const char *kind, const char *id, const char *name);
void pg_link_hamlet(struct page *p, size_t i);
void pg_link_commune(struct page *p, size_t i);
void pg_link_province(struct page *p, size_t i);
void pg_duration(struct page *p, double secs);
void pg_clock_time(struct page *p, double t);
void pg_ago(struct page *p, double t);
void pg_pct(struct page *p, double v);
void pg_date(struct page *p, int32_t days);
int pg_ms_dec(double ms);
void pg_num(struct page *p, double v, int dec, const char *unit);
void pg_head(struct page *p, const char *title, const char *path);
void pg_foot(struct page *p);
void pg_notice_page(struct page *p, const char *path, const char *title, const char *text,
    const char *detail);
void pg_count_cells(struct page *p, const struct rollup *ru);
void pg_count_headers(struct page *p);
void pg_target_cells(struct page *p, const struct rollup *ru);
void pg_target_headers(struct page *p);
void pg_summary(struct page *p, const struct rollup *ru);
void pg_blind_note(struct page *p);
bool pg_site_file(const struct page *p, const struct inv_hamlet *h, const char *group);
void pg_graph_img(struct page *p, const char *tmpl, const char *id, const char *range,
    const char *alt, bool have);
void pg_coverage_graph(struct page *p, size_t province, const char *commune, const char *id);

/* alerts (pages_alerts.c) */
enum { AT_STATE = 1, AT_RESOLVED = 2 };	/* pg_alert_table() columns */
const char *pg_under(const char *url, const char *prefix);
void pg_alert_table(struct page *p, const struct pages_alert *a, int n, int cols);
int pg_read_alerts(struct page *p, enum pages_alerts_which which, const char *hamlet, double from,
    int max, struct pages_alert **rows, int *total);
void pg_firing_alerts(struct page *p);
void page_alerts(struct page *p);

/* overview, national view, province (pages_overview.c) */
void page_overview(struct page *p);
void page_national(struct page *p, const char *url, struct pages_out *out);
int page_province(struct page *p, const char *path, size_t pi);

/* commune and site pages (pages_site.c) */
int page_commune(struct page *p, const char *path, size_t ci);
int page_hamlet(struct page *p, const char *path, size_t i);

/* search (pages_search.c): /search?q= */
int page_search(struct page *p, const char *q, unsigned *status);

#endif
