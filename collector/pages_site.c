/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A commune (/commune/<id>: its hamlets) and a hamlet's site page
 * (/hamlet/<id>: current values, graphs, uplink chain, history, alerts).
 */
#include "pages_int.h"

static int
hamlet_cmp(const void *a, const void *b, void *arg)
{
	const struct coverage *cov = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int si = cov->hamlets[i].state < HS__COUNT ? pg_state_rank[cov->hamlets[i].state] : 9;
	int sj = cov->hamlets[j].state < HS__COUNT ? pg_state_rank[cov->hamlets[j].state] : 9;

	if (si != sj)
		return si < sj ? -1 : 1;
	return i < j ? -1 : i > j ? 1 : 0;
}

/* The last value of metric m of hamlet i, or NAN. */
static double
last_value(const struct page *p, size_t i, int m)
{
	const struct agent_view *v = p->s->views ? &p->s->views[i] : NULL;

	if (v == NULL || !(v->present & (UINT64_C(1) << m)))
		return NAN;
	return v->m[m];
}

/*
 * Whether values of hamlet e measured at `at` are old: the hamlet is down
 * or cut off, or they are older than the coverage window. Old values are
 * its last known ones, never shown as current: greyed, with their time.
 */
static bool
old_values(const struct page *p, const struct hamlet_eval *e, double at)
{
	if (e->state == HS_DOWN || e->state == HS_UNREACHABLE)
		return true;
	return p->env->thr != NULL && at > 0 && p->env->now - at > p->env->thr->window;
}

/* "as of 2025-11-22 14:03" under an old value. */
static void
as_of(struct page *p, double at)
{
	if (!(at > 0))
		return;
	pg_pf(p, "<small class=\"asof\">%s ", pg_tr(p, T_AS_OF));
	pg_clock_time(p, at);
	pg_put(p, "</small>");
}

/* When the last values of hamlet i were taken: the last stored sample,
 * else the last fresh one. */
static double
values_at(const struct page *p, size_t i)
{
	const struct agent_view *v = p->s->views ? &p->s->views[i] : NULL;

	return v != NULL && v->last_ts > 0 ? (double)v->last_ts : p->cov->hamlets[i].last_seen;
}

/* One figure of the commune table: the value, greyed with its time when
 * old; `bad` (a breach) only when current. */
static void
figure_cell(struct page *p, enum msg label, double v, int dec, const char *unit, bool pct,
    bool bad, bool old, double at)
{
	pg_pf(p, "<td class=\"num%s\" data-label=\"%s\">", old && isfinite(v) ? " old" :
	    bad ? " v-bad" : "", pg_tr(p, label));
	if (pct)
		pg_pct(p, v);
	else
		pg_num(p, v, dec, unit);
	if (old && isfinite(v))
		as_of(p, at);
	pg_put(p, "</td>");
}

int
page_commune(struct page *p, const char *path, size_t ci)
{
	const struct inv_commune *c = &p->inv->communes[ci];
	size_t pi = (size_t)c->province, n = 0;
	size_t *idx = malloc((c->nhamlets ? c->nhamlets : 1) * sizeof *idx);

	if (idx == NULL)
		return -1;
	for (size_t i = 0; i < p->inv->nhamlets && n < c->nhamlets; i++)
		if ((size_t)p->inv->hamlets[i].commune == ci)
			idx[n++] = i;
	qsort_r(idx, n, sizeof *idx, hamlet_cmp, (void *)p->cov);

	pg_head(p, c->name, path);
	pg_pf(p, "<p class=\"crumbs\"><a href=\"/%s\">%s</a> › ", p->qs, pg_tr(p, T_OVERVIEW));
	pg_link_province(p, pi);
	pg_pf(p, "</p>\n<h1>%s ", pg_tr(p, T_COMMUNE));
	pg_esc(p, c->name);
	pg_put(p, "</h1>\n");
	pg_blind_note(p);
	pg_summary(p, &p->cov->communes[ci]);
	pg_pf(p, "<h2>%s</h2>\n<div class=\"scroll\"><table class=\"hamlets stack\"><thead><tr>"
	    "<th>%s</th><th>%s</th><th>%s</th><th class=\"num\">%s</th><th class=\"num\">%s</th>"
	    "<th class=\"num\">%s</th><th class=\"num\">%s</th>"
	    "<th>%s</th></tr></thead><tbody>\n", pg_tr(p, T_HAMLETS),
	    pg_tr(p, T_HAMLET), pg_tr(p, T_STATE), pg_tr(p, T_LAST_SEEN), pg_tr(p, T_LOSS), pg_tr(p, T_RTT),
	    pg_tr(p, T_SIGNAL), pg_tr(p, T_CLIENTS), pg_tr(p, T_TARGET_DATE));
	for (size_t k = 0; k < n; k++) {
		size_t i = idx[k];
		const struct inv_hamlet *h = &p->inv->hamlets[i];
		const struct hamlet_eval *e = &p->cov->hamlets[i];
		double at = values_at(p, i);
		bool old = old_values(p, e, e->last_seen), old_last = old_values(p, e, at);
		pg_pf(p, "<tr><td class=\"name\" data-label=\"%s\">", pg_tr(p, T_HAMLET));
		pg_link_hamlet(p, i);
		if (h->agent == NULL)
			pg_pf(p, " <small class=\"muted\">(%s)</small>", pg_tr(p, T_NO_AGENT));
		pg_pf(p, "</td><td data-label=\"%s\">", pg_tr(p, T_STATE));
		pg_state_cut(p, e);
		pg_pf(p, "</td><td data-label=\"%s\">", pg_tr(p, T_LAST_SEEN));
		pg_ago(p, e->last_seen);
		pg_put(p, "</td>");
		/* The window's loss and RTT are as of the last fresh sample;
		 * signal and clients as of the last stored one. */
		figure_cell(p, T_LOSS, e->loss_pct, 1, "%", true, e->loss_breach, old, e->last_seen);
		figure_cell(p, T_RTT, e->rtt_ms, pg_ms_dec(e->rtt_ms), "ms", false, e->rtt_breach,
		    old, e->last_seen);
		figure_cell(p, T_SIGNAL, last_value(p, i, M_RADIO_SIGNAL_DBM), 0, "dBm", false, false,
		    old_last, at);
		figure_cell(p, T_CLIENTS, last_value(p, i, M_CLIENTS), 0, "", false, false, old_last,
		    at);
		pg_pf(p, "<td%s data-label=\"%s\">", e->overdue ? " class=\"v-bad\"" : "",
		    pg_tr(p, T_TARGET_DATE));
		pg_date(p, h->target_date);
		if (e->overdue)
			pg_pf(p, " <small>(%s)</small>", pg_tr(p, T_OVERDUE));
		pg_put(p, "</td></tr>\n");
	}
	pg_put(p, "</tbody></table></div>\n");
	free(idx);
	pg_coverage_graph(p, pi, c->id, c->id);
	pg_foot(p);
	return 0;
}

/* --- a hamlet: the site page --- */

enum verdict { V_NONE, V_OK, V_WARN, V_BAD };

/* The agent's rule (agent/report.c): bad above max, warn above 80 % of it. */
static enum verdict
judge_max(double v, double max)
{
	if (!isfinite(v))
		return V_NONE;
	if (v > max)
		return V_BAD;
	return v > 0.8 * max ? V_WARN : V_OK;
}

/* Higher is better: ok at or above good, warn at or above fair. */
static enum verdict
judge_min(double v, double good, double fair)
{
	if (!isfinite(v))
		return V_NONE;
	return v >= good ? V_OK : v >= fair ? V_WARN : V_BAD;
}

/* A row of the current values. An old value (asof > 0: its time) gets no
 * verdict, only when it was measured: it says nothing of now. */
static void
value_row(struct page *p, enum msg name, const char *value, enum verdict v, const char *note,
    double asof)
{
	static const char *const cls[] = { "", "v-ok", "v-warn", "v-bad" };
	static const enum msg word[] = { T_COUNT, T_OK, T_WARN, T_BAD };

	if (asof > 0) {
		pg_pf(p, "<tr><th>%s</th><td class=\"num old\">%s</td><td class=\"old\">",
		    pg_tr(p, name), value);
		if (strcmp(value, "—") != 0)
			as_of(p, asof);
		pg_put(p, "</td></tr>\n");
		return;
	}
	pg_pf(p, "<tr><th>%s</th><td class=\"num\">%s</td><td class=\"%s\">", pg_tr(p, name), value,
	    cls[v]);
	if (v != V_NONE)
		pg_put(p, pg_tr(p, word[v]));
	if (note != NULL && note[0] != '\0')
		pg_pf(p, " <small>%s</small>", note);
	pg_put(p, "</td></tr>\n");
}

static void
bits(char *buf, size_t len, double bps)
{
	if (!isfinite(bps))
		snprintf(buf, len, "—");
	else if (bps >= 1e6)
		snprintf(buf, len, "%.1f&nbsp;Mbit/s", bps / 1e6);
	else
		snprintf(buf, len, "%.0f&nbsp;kbit/s", bps / 1e3);
}

static void
current_values(struct page *p, size_t i)
{
	const struct hamlet_eval *e = &p->cov->hamlets[i];
	const struct agent_view *v = p->s->views ? &p->s->views[i] : NULL;
	const struct coverage_conf *thr = p->env->thr;
	double max_loss = thr ? thr->max_loss_pct : 5, max_rtt = thr ? thr->max_rtt_ms : 300;
	char buf[128], note[160], a[48], b[48];
	double x;

	pg_pf(p, "<h2>%s</h2>\n", pg_tr(p, T_CURRENT));
	if ((v == NULL || v->present == 0) && !isfinite(e->loss_pct) && !isfinite(e->rtt_ms)) {
		pg_pf(p, "<p class=\"muted\">%s</p>\n", pg_tr(p, T_NO_VALUES));
		return;
	}
	/* Values from before an outage, or older than the window, would
	 * still read "ok": say they are old, each with its time. */
	double at = values_at(p, i);
	bool stale = old_values(p, e, at) || old_values(p, e, e->last_seen);
	double w_at = stale ? (e->last_seen > 0 ? e->last_seen : at) : 0;
	double m_at = stale ? at : 0;
	if (stale) {
		pg_pf(p, "<p class=\"card warn\">%s ", pg_tr(p, T_STALE));
		pg_clock_time(p, at);
		pg_put(p, " (");
		pg_ago(p, at);
		pg_put(p, ").</p>\n");
	}
	pg_pf(p, "<div class=\"scroll\"><table class=\"values%s\"><thead><tr><th>%s</th>"
	    "<th class=\"num\">%s</th><th>%s</th></tr></thead><tbody>\n", stale ? " stale" : "",
	    pg_tr(p, T_MEASURE), pg_tr(p, T_VALUE), pg_tr(p, T_VERDICT));
	/* Loss and RTT: the window's figures, judged as the collector does;
	 * once the window holds none (down for longer than it), the last
	 * sample's, as of its time, rather than nothing. */
	double loss = e->loss_pct, rtt = e->rtt_ms, l_at = w_at, r_at = w_at;
	if (!isfinite(loss) && stale && isfinite(x = last_value(p, i, M_ICMP_LOSS_PCT))) {
		loss = x;
		l_at = m_at;
	}
	if (!isfinite(rtt) && stale && isfinite(x = last_value(p, i, M_ICMP_RTT_AVG_MS))) {
		rtt = x;
		r_at = m_at;
	}
	snprintf(buf, sizeof buf, isfinite(loss) ? "%.1f&nbsp;%%" : "—", loss);
	snprintf(note, sizeof note, "(%s, ≤ %g&nbsp;%%)", pg_tr(p, T_WINDOW), max_loss);
	value_row(p, T_LOSS, buf, judge_max(loss, max_loss), note, l_at);
	snprintf(buf, sizeof buf, isfinite(rtt) ? "%.*f&nbsp;ms" : "—", pg_ms_dec(rtt), rtt);
	snprintf(note, sizeof note, "(%s, ≤ %g&nbsp;ms)", pg_tr(p, T_WINDOW), max_rtt);
	value_row(p, T_RTT, buf, judge_max(rtt, max_rtt), note, r_at);
	if (isfinite(x = last_value(p, i, M_ICMP_JITTER_MS))) {
		snprintf(buf, sizeof buf, "%.1f&nbsp;ms", x);
		snprintf(note, sizeof note, "(≤ %g&nbsp;ms)", MAX_JITTER_MS);
		value_row(p, T_JITTER, buf, judge_max(x, MAX_JITTER_MS), note, m_at);
	}
	if (isfinite(x = last_value(p, i, M_RADIO_SIGNAL_DBM))) {
		snprintf(buf, sizeof buf, "%.0f&nbsp;dBm", x);
		value_row(p, T_SIGNAL, buf, judge_min(x, -70, -80), "(≥ −70&nbsp;dBm)", m_at);
	}
	if (isfinite(x = last_value(p, i, M_RADIO_SNR_DB))) {
		snprintf(buf, sizeof buf, "%.0f&nbsp;dB", x);
		value_row(p, T_SNR, buf, judge_min(x, 20, 15), "(≥ 20&nbsp;dB)", m_at);
	}
	if (isfinite(x = last_value(p, i, M_IF_OPER_UP)))
		value_row(p, T_LINK, pg_tr(p, x >= 1 ? T_UP : T_LINK_DOWN), x >= 1 ? V_OK : V_BAD, NULL,
		    m_at);
	double rx = last_value(p, i, M_IF_RX_BPS), tx = last_value(p, i, M_IF_TX_BPS);
	if (!isfinite(rx) && !isfinite(tx)) {
		rx = last_value(p, i, M_PCAP_RX_BPS);
		tx = last_value(p, i, M_PCAP_TX_BPS);
	}
	if (isfinite(rx) || isfinite(tx)) {
		bits(a, sizeof a, rx);
		bits(b, sizeof b, tx);
		snprintf(buf, sizeof buf, "%s / %s", a, b);
		value_row(p, T_TRAFFIC, buf, V_NONE, NULL, m_at);
	}
	if (isfinite(x = last_value(p, i, M_CLIENTS))) {
		snprintf(buf, sizeof buf, "%.0f", x);
		value_row(p, T_CLIENTS, buf, V_NONE, NULL, m_at);
	}
	if (isfinite(x = last_value(p, i, M_TCP_RETRANS_PCT))) {
		snprintf(buf, sizeof buf, "%.1f&nbsp;%%", x);
		value_row(p, T_RETRANS, buf, judge_max(x, 5), "(≤ 5&nbsp;%)", m_at);
	}
	if (isfinite(x = last_value(p, i, M_POWER_MAINS_UP)))
		value_row(p, T_POWER, pg_tr(p, x >= 1 ? T_MAINS : T_ON_BATTERY), x >= 1 ? V_OK : V_WARN,
		    NULL, m_at);
	if (isfinite(x = last_value(p, i, M_BATTERY_PCT))) {
		snprintf(buf, sizeof buf, "%.0f&nbsp;%%", x);
		double volts = last_value(p, i, M_SUPPLY_VOLTS);
		if (isfinite(volts))
			snprintf(note, sizeof note, "(%.1f&nbsp;V)", volts);
		else
			note[0] = '\0';
		value_row(p, T_BATTERY, buf, judge_min(x, 50, 20), note, m_at);
	}
	if (isfinite(x = last_value(p, i, M_UPTIME_S))) {
		long s = lround(x);
		snprintf(buf, sizeof buf, "%ld&nbsp;%s %ld&nbsp;%s", s / 86400, pg_tr(p, T_DAYS),
		    s % 86400 / 3600, pg_tr(p, T_HOURS));
		/* A restart within the hour: in the field, most often a power cut. */
		value_row(p, T_UPTIME, buf, x < 3600 ? V_WARN : V_NONE, NULL, m_at);
	}
	pg_put(p, "</tbody></table></div>\n");
	if (v != NULL && v->last_ts > 0) {
		pg_pf(p, "<p class=\"muted small\">%s ", pg_tr(p, T_VALUES_AT));
		pg_clock_time(p, (double)v->last_ts);
		pg_put(p, " (");
		pg_ago(p, (double)v->last_ts);
		pg_put(p, ")</p>\n");
	}
}

static void
uplink_chain(struct page *p, size_t i)
{
	const struct inventory *inv = p->inv;
	int32_t j = (int32_t)i;
	int hops = 0;

	pg_pf(p, "<h2>%s</h2>\n<ol class=\"chain\">", pg_tr(p, T_UPLINK));
	/* This site, then each uplink to the one with direct backhaul. The
	 * loader refuses cycles; the bound is for a bug, not for input. */
	while (j >= 0 && (size_t)j < inv->nhamlets && hops++ < CHAIN_MAX) {
		pg_put(p, "<li>");
		if ((size_t)j == i) {
			pg_put(p, "<b>");
			pg_esc(p, inv->hamlets[j].name);
			pg_pf(p, "</b> <small>(%s)</small>", pg_tr(p, T_THIS_SITE));
		} else {
			pg_link_hamlet(p, (size_t)j);
		}
		pg_put(p, " ");
		pg_badge(p, p->cov->hamlets[j].state);
		if (inv->hamlets[j].uplink < 0)
			pg_pf(p, " <small class=\"muted\">%s</small>", pg_tr(p, T_DIRECT));
		pg_put(p, "</li>");
		j = inv->hamlets[j].uplink;
	}
	pg_put(p, "</ol>\n");
	/* And the sites that hang off this one: who loses service with it. */
	size_t n = 0;
	for (size_t k = 0; k < inv->nhamlets; k++) {
		if (inv->hamlets[k].uplink != (int32_t)i)
			continue;
		if (n++ == 0)
			pg_pf(p, "<p>%s: ", pg_tr(p, T_DOWNSTREAM));
		else
			pg_put(p, ", ");
		pg_link_hamlet(p, k);
		pg_put(p, " ");
		pg_badge(p, p->cov->hamlets[k].state);
	}
	if (n > 0)
		pg_put(p, "</p>\n");
}

static void
site_graphs(struct page *p, size_t i)
{
	static const struct {
		const char *tmpl;
		enum msg name;
		const char *group, *group2;
	} g[] = {
		{ "latency", T_LATENCY_G, "icmp", NULL },
		{ "throughput", T_THROUGHPUT_G, "if", "traffic" },
		{ "radio", T_RADIO_G, "radio", NULL },
		{ "clients", T_CLIENTS_G, "traffic", NULL },
	};
	const struct inv_hamlet *h = &p->inv->hamlets[i];
	char alt[160];

	pg_pf(p, "<h2>%s</h2>\n", pg_tr(p, T_GRAPHS));
	if (h->agent == NULL) {
		pg_pf(p, "<p class=\"muted\">%s</p>\n", pg_tr(p, T_NO_AGENT));
		return;
	}
	pg_put(p, "<div class=\"graphs\">\n");
	for (size_t k = 0; k < sizeof g / sizeof g[0]; k++) {
		bool have = pg_site_file(p, h, g[k].group) ||
		    (g[k].group2 != NULL && pg_site_file(p, h, g[k].group2));
		/* Graphs the site has no probe for are left out, but latency:
		 * every agent pings, so its absence is news. */
		if (!have && k > 0)
			continue;
		for (int r = 0; r < 2; r++) {
			snprintf(alt, sizeof alt, "%s, %s", pg_tr(p, g[k].name),
			    pg_tr(p, r == 0 ? T_DAY : T_WEEK_G));
			pg_put(p, "<figure>");
			pg_graph_img(p, g[k].tmpl, h->id, r == 0 ? "1d" : "1w", alt, have);
			pg_pf(p, "<figcaption>%s</figcaption></figure>\n", alt);
		}
	}
	pg_put(p, "</div>\n");
}

static void
state_history(struct page *p, size_t i)
{
	struct pages_stretch rows[HISTORY_MAX];
	const struct pages_source *src = p->env->src;
	int n = -1;

	pg_pf(p, "<h2>%s</h2>\n", pg_tr(p, T_HISTORY));
	if (src != NULL && src->history != NULL)
		n = src->history(src->arg, p->inv->hamlets[i].id, rows, HISTORY_MAX);
	if (n < 0) {
		pg_pf(p, "<p class=\"muted\">%s</p>\n", pg_tr(p, T_NO_DB));
		return;
	}
	pg_put(p, "<ul class=\"history\">");
	for (int k = 0; k < n && k < HISTORY_MAX; k++) {
		int st = hamlet_state_lookup(rows[k].state);
		pg_put(p, "<li>");
		pg_clock_time(p, rows[k].since);
		pg_put(p, " ");
		pg_badge(p, st);
		pg_put(p, " ");
		pg_duration(p, (rows[k].until > 0 ? rows[k].until : p->env->now) - rows[k].since);
		if (rows[k].until <= 0)
			pg_pf(p, " (%s)", pg_tr(p, T_NOW));
		pg_put(p, "</li>");
	}
	pg_put(p, "</ul>\n");
}

/* The alerts that name this site (its own, or an uplink's that lists it
 * as cut off): firing first, then the newest. */
static void
site_alerts(struct page *p, size_t i)
{
	struct pages_alert *a;
	int total, n = pg_read_alerts(p, PAGES_OF_HAMLET, p->inv->hamlets[i].id, 0, SITE_ALERTS,
	    &a, &total);

	pg_pf(p, "<h2>%s</h2>\n", pg_tr(p, T_RECENT_ALERTS));
	if (n < 0)
		pg_pf(p, "<p class=\"muted\">%s</p>\n", pg_tr(p, T_NO_DB));
	else if (n == 0)
		pg_pf(p, "<p class=\"muted\">%s</p>\n", pg_tr(p, T_NO_SITE_ALERTS));
	else
		pg_alert_table(p, a, n, AT_STATE | AT_RESOLVED);
	if (n >= 0 && total > n)
		pg_pf(p, "<p class=\"muted\">… %d %s (<a href=\"/alerts%s\">%s</a>)</p>\n", total - n,
		    pg_tr(p, T_MORE_ROWS), p->qs, pg_tr(p, T_ALL_ALERTS));
	free(a);
}

int
page_hamlet(struct page *p, const char *path, size_t i)
{
	const struct inv_hamlet *h = &p->inv->hamlets[i];
	const struct hamlet_eval *e = &p->cov->hamlets[i];

	pg_head(p, h->name, path);
	pg_pf(p, "<p class=\"crumbs\"><a href=\"/%s\">%s</a> › ", p->qs, pg_tr(p, T_OVERVIEW));
	pg_link_province(p, (size_t)h->province);
	pg_put(p, " › ");
	pg_link_commune(p, (size_t)h->commune);
	pg_put(p, "</p>\n<h1>");
	pg_esc(p, h->name);
	pg_put(p, "</h1>\n");
	pg_blind_note(p);
	/* What the technician needs first: the state, since when, and why. */
	pg_put(p, "<div class=\"card site\"><p class=\"state-line\">");
	pg_pf(p, "<span class=\"badge big st-%s\">", pg_state_class(e->state));
	pg_esc(p, pg_state_word(p, e->state));
	pg_pf(p, "</span> %s ", pg_tr(p, T_SINCE));
	pg_clock_time(p, e->since);
	pg_put(p, " (");
	pg_duration(p, p->env->now - e->since);
	pg_put(p, ")");
	if (e->overdue)
		pg_pf(p, " <span class=\"badge st-down\">%s</span>", pg_tr(p, T_OVERDUE));
	pg_put(p, "</p>\n");
	if (e->loss_breach || e->rtt_breach) {
		pg_put(p, "<p class=\"v-bad\">");
		if (e->loss_breach)
			pg_put(p, pg_tr(p, T_BREACH_LOSS));
		if (e->loss_breach && e->rtt_breach)
			pg_put(p, "; ");
		if (e->rtt_breach)
			pg_put(p, pg_tr(p, T_BREACH_RTT));
		pg_put(p, "</p>\n");
	}
	if (e->state == HS_UNREACHABLE && e->root >= 0 && (size_t)e->root < p->inv->nhamlets) {
		pg_pf(p, "<p>%s ", pg_tr(p, T_ROOT));
		pg_link_hamlet(p, (size_t)e->root);
		pg_put(p, "</p>\n");
	}
	pg_pf(p, "<dl><dt>%s</dt><dd>", pg_tr(p, T_LAST_SEEN));
	pg_ago(p, e->last_seen);
	pg_pf(p, "</dd><dt>%s</dt><dd>", pg_tr(p, T_AGENT));
	if (h->agent != NULL) {
		pg_put(p, "<code>");
		pg_esc(p, h->agent);
		pg_put(p, "</code>");
	} else {
		pg_esc(p, pg_tr(p, T_NO_AGENT));
	}
	if (h->village != NULL && h->village[0] != '\0') {
		pg_pf(p, "</dd><dt>%s</dt><dd>", pg_tr(p, T_VILLAGE));
		pg_esc(p, h->village);
	}
	pg_pf(p, "</dd><dt>%s</dt><dd>", pg_tr(p, T_TARGET_DATE));
	pg_date(p, h->target_date);
	if (h->population >= 0)
		pg_pf(p, "</dd><dt>%s</dt><dd>%lld", pg_tr(p, T_POPULATION), (long long)h->population);
	if (h->placed)
		pg_pf(p, "</dd><dt>%s</dt><dd>%.5f, %.5f", pg_tr(p, T_COORDS), h->lat, h->lon);
	pg_put(p, "</dd></dl></div>\n");
	current_values(p, i);
	uplink_chain(p, i);
	site_graphs(p, i);
	state_history(p, i);
	site_alerts(p, i);
	pg_foot(p);
	return 0;
}
