/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Alerts on the pages: the alert tables read from the state DB, the firing
 * list of the overview, and /alerts with the silences and the rollout.
 */
#include "pages_int.h"

static void
kind_word(struct page *p, const char *kind)
{
	int k = alert_kind_lookup(kind);

	/* A kind a newer collector wrote: its name as it is. */
	pg_esc(p, k >= 0 && k < AK__COUNT ? pg_kind_words[k][p->lang] : kind);
}

/* An alert's scope or a silence's match: a link with the inventory's name
 * when it names a hamlet, commune or province of it, else the raw text. */
static void
scope_link(struct page *p, const char *scope)
{
	const char *id;

	if (strcmp(scope, "*") == 0) {
		pg_esc(p, pg_tr(p, T_EVERYTHING));
		return;
	}
	if (p->inv != NULL) {
		const struct inv_hamlet *h;
		const struct inv_commune *c;
		const struct inv_province *v;
		if ((id = pg_under(scope, "hamlet:")) != NULL &&
		    (h = inventory_hamlet(p->inv, id)) != NULL) {
			pg_link_hamlet(p, (size_t)(h - p->inv->hamlets));
			return;
		}
		if ((id = pg_under(scope, "commune:")) != NULL &&
		    (c = inventory_commune(p->inv, id)) != NULL) {
			pg_link_commune(p, (size_t)(c - p->inv->communes));
			return;
		}
		if ((id = pg_under(scope, "province:")) != NULL &&
		    (v = inventory_province(p->inv, id)) != NULL) {
			pg_link_province(p, (size_t)(v - p->inv->provinces));
			return;
		}
	}
	pg_put(p, "<code>");
	pg_esc(p, scope);
	pg_put(p, "</code>");
}

int
pages_kind_severity(const char *kind)
{
	int k = alert_kind_lookup(kind);

	return k >= 0 && k < AK__COUNT ? (int)alert_kind_severity((enum alert_kind)k) :
	    SEV_WARNING;
}

/*
 * When an overdue hamlet's rollout fell behind: its target date from the
 * inventory, "overdue since 2025-04-07 (221 d)". The alert's own `since`
 * may be when this collector first saw it, which says nothing about the
 * rollout. False when the inventory does not know the hamlet (no
 * evaluation yet, or a reload removed it).
 */
static bool
overdue_since(struct page *p, const struct pages_alert *a)
{
	const struct inv_hamlet *h;
	const char *id = pg_under(a->scope, "hamlet:");
	char buf[16];

	if (p->inv == NULL || id == NULL || strcmp(a->kind, "hamlet_overdue") != 0 ||
	    (h = inventory_hamlet(p->inv, id)) == NULL || h->target_date == INV_NO_DATE)
		return false;
	inventory_date_str(h->target_date, buf, sizeof buf);
	pg_pf(p, "%s %s", pg_tr(p, T_OVERDUE_SINCE), buf);
	double days = floor(p->env->now / 86400) - h->target_date;
	if (days >= 1)
		pg_pf(p, " <small>(%.0f %s)</small>", days, pg_tr(p, T_DAYS));
	return true;
}


/* Alerts as a table: [state,] severity, kind, where, summary with its
 * marks, since [, resolved]. Each row has its severity as a word and as a
 * class (the colour). */
void
pg_alert_table(struct page *p, const struct pages_alert *a, int n, int cols)
{
	pg_put(p, "<div class=\"scroll\"><table class=\"alerts stack\"><thead><tr>");
	if (cols & AT_STATE)
		pg_pf(p, "<th>%s</th>", pg_tr(p, T_STATE));
	pg_pf(p, "<th>%s</th><th class=\"kind\">%s</th><th>%s</th><th>%s</th><th>%s</th>",
	    pg_tr(p, T_SEVERITY), pg_tr(p, T_KIND), pg_tr(p, T_WHERE), pg_tr(p, T_SUMMARY),
	    pg_tr(p, T_SINCE_COL));
	if (cols & AT_RESOLVED)
		pg_pf(p, "<th>%s</th>", pg_tr(p, T_RESOLVED_COL));
	pg_put(p, "</tr></thead><tbody>\n");
	for (int k = 0; k < n; k++) {
		bool firing = strcmp(a[k].state, "firing") == 0;
		int sev = pages_kind_severity(a[k].kind);
		pg_pf(p, "<tr id=\"alert-%lld\" class=\"sev-%s\">", (long long)a[k].id,
		    alert_severity_name[sev]);
		if (cols & AT_STATE)
			pg_pf(p, "<td data-label=\"%s\"><span class=\"badge %s\">%s</span></td>",
			    pg_tr(p, T_STATE), firing ? "st-down" : "st-covered",
			    pg_tr(p, firing ? T_FIRING_ONE : T_RESOLVED));
		pg_pf(p, "<td data-label=\"%s\"><span class=\"badge sev-%s\">%s</span></td>"
		    "<td class=\"kind\" data-label=\"%s\">", pg_tr(p, T_SEVERITY),
		    alert_severity_name[sev], pg_severity_words[sev][p->lang], pg_tr(p, T_KIND));
		kind_word(p, a[k].kind);
		pg_pf(p, "</td><td class=\"name\" data-label=\"%s\">", pg_tr(p, T_WHERE));
		scope_link(p, a[k].scope);
		pg_pf(p, "</td><td class=\"summary\" data-label=\"%s\">", pg_tr(p, T_SUMMARY));
		pg_esc(p, a[k].summary);
		if (a[k].flapping)
			pg_pf(p, " <span class=\"badge m-flapping\">%s</span>", pg_tr(p, T_FLAPPING));
		if (a[k].silenced)
			pg_pf(p, " <span class=\"badge m-silenced\">%s</span>", pg_tr(p, T_SILENCED));
		if (a[k].acked)
			pg_pf(p, " <span class=\"badge m-acked\">%s</span>", pg_tr(p, T_ACKED));
		pg_pf(p, "</td><td data-label=\"%s\">", pg_tr(p, T_SINCE_COL));
		if (!overdue_since(p, &a[k]))
			pg_ago(p, a[k].since);
		pg_put(p, "</td>");
		if (cols & AT_RESOLVED) {
			pg_pf(p, "<td data-label=\"%s\">", pg_tr(p, T_RESOLVED_COL));
			if (a[k].resolved_at > 0)
				pg_ago(p, a[k].resolved_at);
			pg_put(p, "</td>");
		}
		pg_put(p, "</tr>\n");
	}
	pg_put(p, "</tbody></table></div>\n");
}

/*
 * Reads up to max alerts into a buffer of the caller's (*rows, freed by
 * it) and sets *total. Returns the count, or -1 when the state DB cannot
 * answer (the section says so) or memory ran out (the page fails).
 */
int
pg_read_alerts(struct page *p, enum pages_alerts_which which, const char *hamlet, double from,
    int max, struct pages_alert **rows, int *total)
{
	const struct pages_source *src = p->env->src;

	*rows = NULL;
	*total = 0;
	if (src == NULL || src->alerts == NULL)
		return -1;
	if ((*rows = calloc((size_t)max, sizeof **rows)) == NULL) {
		p->oom = true;
		return -1;
	}
	return src->alerts(src->arg, which, hamlet, from, p->env->now, *rows, max, total);
}

/*
 * The overview's firing alerts, most severe first: the first
 * OVERVIEW_ALERTS, then a link; then the rollout's backlog apart, its
 * count and the first OVERVIEW_ROLLOUT, with a link to the whole list on
 * /alerts (not said again when the state DB cannot be read).
 */
void
pg_firing_alerts(struct page *p)
{
	struct pages_alert *a;
	int total, n = pg_read_alerts(p, PAGES_FIRING, NULL, 0, OVERVIEW_ALERTS, &a, &total);

	pg_pf(p, "<h2>%s", pg_tr(p, T_FIRING));
	if (n > 0)
		pg_pf(p, " <small>(%d)</small>", total);
	pg_put(p, "</h2>\n");
	if (n < 0)
		pg_pf(p, "<p class=\"muted\">%s</p>\n", pg_tr(p, T_NO_DB));
	else if (n == 0)
		pg_pf(p, "<p class=\"muted\">%s</p>\n", pg_tr(p, T_NONE_FIRING));
	else
		pg_alert_table(p, a, n, 0);
	if (n >= 0 && total > n)
		pg_pf(p, "<p>… %d %s <a href=\"/alerts%s\">%s</a></p>\n", total - n,
		    pg_tr(p, T_MORE_ALERTS), p->qs, pg_tr(p, T_ALL_ALERTS));
	free(a);

	n = pg_read_alerts(p, PAGES_ROLLOUT, NULL, 0, OVERVIEW_ROLLOUT, &a, &total);
	if (n >= 0) {
		pg_pf(p, "<h2 id=\"rollout\">%s", pg_tr(p, T_ROLLOUT));
		if (n > 0)
			pg_pf(p, " <small>(%d)</small>", total);
		pg_pf(p, "</h2>\n<p class=\"muted small\">%s</p>\n", pg_tr(p, T_ROLLOUT_NOTE));
		if (n == 0)
			pg_pf(p, "<p class=\"muted\">%s</p>\n", pg_tr(p, T_NONE_ROLLOUT));
		else
			pg_alert_table(p, a, n, 0);
		if (total > n)
			pg_pf(p, "<p>… %d %s <a href=\"/alerts%s#rollout\">%s</a></p>\n", total - n,
			    pg_tr(p, T_ROLLOUT_MORE), p->qs, pg_tr(p, T_ROLLOUT_ALL));
	}
	free(a);
}

/* --- alerts --- */

/* One list of /alerts: heading (with its anchor, or none), a note (or
 * none), table or why not, and how many left out. Returns how many there
 * are in all, -1 when the state DB cannot say. */
static int
alerts_section(struct page *p, enum msg title, const char *anchor, enum msg note,
    enum pages_alerts_which which, int max, int cols, enum msg none)
{
	struct pages_alert *a;
	int total, n = pg_read_alerts(p, which, NULL, p->env->now - WEEK, max, &a, &total);

	pg_put(p, "<h2");
	if (anchor != NULL)
		pg_pf(p, " id=\"%s\"", anchor);
	pg_pf(p, ">%s", pg_tr(p, title));
	if (n > 0)
		pg_pf(p, " <small>(%d)</small>", total);
	pg_put(p, "</h2>\n");
	if (note != T_COUNT)
		pg_pf(p, "<p class=\"muted small\">%s</p>\n", pg_tr(p, note));
	if (n < 0)
		pg_pf(p, "<p class=\"muted\">%s</p>\n", pg_tr(p, T_NO_DB));
	else if (n == 0)
		pg_pf(p, "<p class=\"muted\">%s</p>\n", pg_tr(p, none));
	else
		pg_alert_table(p, a, n, cols);
	if (n >= 0 && total > n)
		pg_pf(p, "<p class=\"muted\">… %d %s</p>\n", total - n, pg_tr(p, T_MORE_ROWS));
	free(a);
	return n < 0 ? -1 : total;
}

static void
silence_list(struct page *p)
{
	const struct pages_source *src = p->env->src;
	struct pages_silence *v = NULL;
	int total = 0, n = -1;

	pg_pf(p, "<h2>%s</h2>\n", pg_tr(p, T_SILENCES));
	if (src != NULL && src->silences != NULL) {
		if ((v = calloc(SILENCES_MAX, sizeof *v)) == NULL)
			p->oom = true;
		else
			n = src->silences(src->arg, p->env->now, v, SILENCES_MAX, &total);
	}
	if (n < 0)
		pg_pf(p, "<p class=\"muted\">%s</p>\n", pg_tr(p, T_NO_DB));
	else if (n == 0)
		pg_pf(p, "<p class=\"muted\">%s</p>\n", pg_tr(p, T_NO_SILENCES));
	else {
		pg_pf(p, "<div class=\"scroll\"><table class=\"silences stack\"><thead><tr><th>%s</th>"
		    "<th>%s</th><th>%s</th></tr></thead><tbody>\n", pg_tr(p, T_MATCH), pg_tr(p, T_UNTIL),
		    pg_tr(p, T_REASON));
		for (int k = 0; k < n; k++) {
			pg_pf(p, "<tr><td class=\"name\" data-label=\"%s\">", pg_tr(p, T_MATCH));
			scope_link(p, v[k].match);
			pg_pf(p, "</td><td data-label=\"%s\">", pg_tr(p, T_UNTIL));
			pg_clock_time(p, v[k].until);
			pg_pf(p, " <small>(%s ", pg_tr(p, T_IN));
			pg_duration(p, v[k].until - p->env->now);
			pg_pf(p, ")</small></td><td class=\"summary\" data-label=\"%s\">",
			    pg_tr(p, T_REASON));
			pg_esc(p, v[k].reason);
			pg_put(p, "</td></tr>\n");
		}
		pg_put(p, "</tbody></table></div>\n");
	}
	if (n >= 0 && total > n)
		pg_pf(p, "<p class=\"muted\">… %d %s</p>\n", total - n, pg_tr(p, T_MORE_ROWS));
	free(v);
}

/* The rollout's backlog, last on /alerts (#rollout, linked from the
 * firing alerts and the overview). */
static void
rollout_section(struct page *p)
{
	alerts_section(p, T_ROLLOUT, "rollout", T_ROLLOUT_NOTE, PAGES_ROLLOUT, FIRING_MAX, 0,
	    T_NONE_ROLLOUT);
}

/* The alerts from the state DB, readable with or without an evaluation,
 * most severe first; then the hamlets in trouble now, from the snapshot;
 * then the rollout's backlog, apart from what on-call staff act on. */
void
page_alerts(struct page *p)
{
	size_t n = 0, more = 0;

	pg_head(p, pg_tr(p, T_ALERTS), "/alerts");
	pg_pf(p, "<h1>%s</h1>\n", pg_tr(p, T_ALERTS));
	if (alerts_section(p, T_FIRING, NULL, T_COUNT, PAGES_FIRING, FIRING_MAX, 0,
	    T_NONE_FIRING) >= 0)
		pg_pf(p, "<p class=\"small\">%s <a href=\"#rollout\">%s</a>.</p>\n",
		    pg_tr(p, T_ROLLOUT_BELOW), pg_tr(p, T_ROLLOUT));
	alerts_section(p, T_RESOLVED_WEEK, NULL, T_COUNT, PAGES_RESOLVED, RESOLVED_MAX,
	    AT_RESOLVED, T_NONE_RESOLVED);
	silence_list(p);
	if (p->inv == NULL) {
		rollout_section(p);
		pg_foot(p);
		return;
	}
	pg_pf(p, "<h2>%s</h2>\n<p>%s</p>\n", pg_tr(p, T_PROBLEMS), pg_tr(p, T_PROBLEMS_NOTE));
	for (size_t i = 0; i < p->inv->nhamlets; i++) {
		const struct hamlet_eval *e = &p->cov->hamlets[i];
		if (e->state != HS_DOWN && e->state != HS_UNREACHABLE && e->state != HS_DEGRADED)
			continue;
		if (n == LIST_MAX) {
			more++;
			continue;
		}
		if (n++ == 0)
			pg_pf(p, "<div class=\"scroll\"><table class=\"stack\"><thead><tr><th>%s</th>"
			    "<th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>\n",
			    pg_tr(p, T_HAMLET), pg_tr(p, T_STATE), pg_tr(p, T_COMMUNE),
			    pg_tr(p, T_SINCE_COL));
		pg_pf(p, "<tr><td class=\"name\" data-label=\"%s\">", pg_tr(p, T_HAMLET));
		pg_link_hamlet(p, i);
		pg_pf(p, "</td><td data-label=\"%s\">", pg_tr(p, T_STATE));
		pg_state_cut(p, e);
		pg_pf(p, "</td><td data-label=\"%s\">", pg_tr(p, T_COMMUNE));
		pg_link_commune(p, (size_t)p->inv->hamlets[i].commune);
		pg_pf(p, "</td><td data-label=\"%s\">", pg_tr(p, T_SINCE_COL));
		pg_ago(p, e->since);
		pg_put(p, "</td></tr>\n");
	}
	if (n == 0)
		pg_pf(p, "<p class=\"muted\">%s</p>\n", pg_tr(p, T_NONE_PROBLEMS));
	else
		pg_put(p, "</tbody></table></div>\n");
	if (more > 0)
		pg_pf(p, "<p class=\"muted\">… %zu %s</p>\n", more, pg_tr(p, T_AND_MORE));
	rollout_section(p);
	pg_foot(p);
}
