/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pieces every page is made of (pg_*): writing and escaping, links,
 * figures, dates and durations, the page frame (head with the search box,
 * foot), the rollup summaries and the graph images.
 */
#include "pages_int.h"
#include "html.h"

const char *
pg_tr(const struct page *p, enum msg m)
{
	return pg_msgs[m][p->lang];
}

void
pg_put(struct page *p, const char *s)
{
	fputs(s, p->f);
}


void
pg_pf(struct page *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(p->f, fmt, ap);
	va_end(ap);
}

/* Text and attribute values (common/html.c). */
void
pg_esc(struct page *p, const char *s)
{
	html_escape(p->f, s);
}

const char *
pg_state_word(const struct page *p, int st)
{
	return st >= 0 && st < HS__COUNT ? pg_state_words[st][p->lang] : "?";
}

const char *
pg_state_class(int st)
{
	return st >= 0 && st < HS__COUNT ? hamlet_state_name[st] : "unmonitored";
}

/* A hamlet's state badge and, when unreachable, the site that cut it off. */
void
pg_state_cut(struct page *p, const struct hamlet_eval *e)
{
	pg_badge(p, e->state);
	if (e->state == HS_UNREACHABLE && e->root >= 0 && (size_t)e->root < p->inv->nhamlets) {
		pg_pf(p, " <small>%s ", pg_tr(p, T_CUT_OFF));
		pg_link_hamlet(p, (size_t)e->root);
		pg_put(p, "</small>");
	}
}

void
pg_badge(struct page *p, int st)
{
	pg_pf(p, "<span class=\"badge st-%s\">", pg_state_class(st));
	pg_esc(p, pg_state_word(p, st));
	pg_put(p, "</span>");
}

/* <a href="/KIND/ID?qs">NAME</a> */
void
pg_link(struct page *p, const char *kind, const char *id, const char *name)
{
	pg_pf(p, "<a href=\"/%s/", kind);
	pg_esc(p, id);
	pg_pf(p, "%s\">", p->qs);
	pg_esc(p, name);
	pg_put(p, "</a>");
}

void
pg_link_hamlet(struct page *p, size_t i)
{
	pg_link(p, "hamlet", p->inv->hamlets[i].id, p->inv->hamlets[i].name);
}

void
pg_link_commune(struct page *p, size_t i)
{
	pg_link(p, "commune", p->inv->communes[i].id, p->inv->communes[i].name);
}

void
pg_link_province(struct page *p, size_t i)
{
	pg_link(p, "province", p->inv->provinces[i].id, p->inv->provinces[i].name);
}

/* "3 d 4 h", "5 h 12 min", "4 min", "30 s" */
void
pg_duration(struct page *p, double secs)
{
	long s = isfinite(secs) && secs > 0 ? lround(secs) : 0;

	if (s >= 86400)
		pg_pf(p, "%ld %s %ld %s", s / 86400, pg_tr(p, T_DAYS), s % 86400 / 3600, pg_tr(p, T_HOURS));
	else if (s >= 3600)
		pg_pf(p, "%ld %s %ld %s", s / 3600, pg_tr(p, T_HOURS), s % 3600 / 60, pg_tr(p, T_MIN));
	else if (s >= 60)
		pg_pf(p, "%ld %s", s / 60, pg_tr(p, T_MIN));
	else
		pg_pf(p, "%ld %s", s, pg_tr(p, T_SEC));
}

/* Local time, "2025-11-22 14:03". */
void
pg_clock_time(struct page *p, double t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[32];

	if (localtime_r(&tt, &tm) == NULL || strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(buf, sizeof buf, "%.0f", t);
	pg_put(p, buf);
}

/* "5 min ago" with the date and time as a tooltip; "never" for 0. */
void
pg_ago(struct page *p, double t)
{
	if (!(t > 0)) {
		pg_esc(p, pg_tr(p, T_NEVER));
		return;
	}
	pg_put(p, "<time title=\"");
	pg_clock_time(p, t);
	pg_put(p, "\">");
	pg_duration(p, p->env->now - t);
	pg_pf(p, " %s</time>", pg_tr(p, T_AGO));
}

void
pg_pct(struct page *p, double v)
{
	if (isfinite(v))
		pg_pf(p, "%.1f&nbsp;%%", v);
	else
		pg_put(p, "—");
}

void
pg_date(struct page *p, int32_t days)
{
	char buf[16];

	if (days == INV_NO_DATE) {
		pg_put(p, "—");
		return;
	}
	inventory_date_str_lang(days, p->lang == PAGES_VI, buf, sizeof buf);
	pg_put(p, buf);
}

/* A value with `dec` decimals and a unit, or a dash. */
/* Decimals for a round-trip time: a loopback's or a LAN's 0.04 ms is not
 * "0 ms", a village's 78 ms needs none. */
int
pg_ms_dec(double ms)
{
	return !isfinite(ms) || ms >= 10 ? 0 : ms >= 1 ? 1 : 2;
}

void
pg_num(struct page *p, double v, int dec, const char *unit)
{
	if (isfinite(v))
		pg_pf(p, "%.*f%s%s", dec, v, unit[0] ? "&nbsp;" : "", unit);
	else
		pg_put(p, "—");
}

static const char *
colour_class(int c)
{
	const char *n = colour_name((enum colour)c);
	return n ? n : "none";
}

/*
 * Covered % as a bar, coloured against the target, with the target as a
 * tick: an SVG, because inline style attributes would need 'unsafe-inline'
 * in the Content-Security-Policy.
 */
static void
bar(struct page *p, const struct rollup *ru)
{
	double v = isfinite(ru->covered_pct) ? ru->covered_pct : 0;

	pg_pf(p, "<svg class=\"bar\" viewBox=\"0 0 100 10\" preserveAspectRatio=\"none\" "
	    "aria-hidden=\"true\"><rect class=\"bar-bg\" width=\"100\" height=\"10\"/>"
	    "<rect class=\"c-%s\" width=\"%.2f\" height=\"10\"/>", colour_class(ru->colour), v);
	if (isfinite(ru->target_pct))
		pg_pf(p, "<rect class=\"bar-target\" x=\"%.2f\" width=\"1.2\" height=\"10\"/>",
		    fmin(fmax(ru->target_pct - 0.6, 0), 98.8));
	pg_put(p, "</svg>");
}

/* --- page frame --- */

/* "&amp;q=" and the search words percent-encoded, for the language switch. */
static void
switch_q(struct page *p)
{
	if (p->switch_q == NULL || p->switch_q[0] == '\0')
		return;
	pg_put(p, "&amp;q=");
	for (const unsigned char *s = (const unsigned char *)p->switch_q; *s != '\0'; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.')
			pg_pf(p, "%c", *s);
		else
			pg_pf(p, "%%%02X", *s);
	}
}

void
pg_head(struct page *p, const char *title, const char *path)
{
	pg_pf(p, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
	    p->lang == PAGES_VI ? "vi" : "en");
	if (p->refresh > 0)
		pg_pf(p, "<meta http-equiv=\"refresh\" content=\"%d\">\n", p->refresh);
	pg_put(p, "<title>");
	pg_esc(p, title);
	pg_put(p, " — covmon</title>\n<link rel=\"stylesheet\" href=\"" PAGES_CSS_PATH "\">\n"
	    "</head><body>\n<header><a class=\"brand\" href=\"/");
	pg_put(p, p->qs);
	pg_pf(p, "\">covmon</a><nav><a href=\"/%s\">%s</a><a href=\"/alerts%s\">%s</a></nav>",
	    p->qs, pg_tr(p, T_OVERVIEW), p->qs, pg_tr(p, T_ALERTS));
	/* The search box: a plain GET form, the language kept in a hidden field. */
	pg_pf(p, "<form class=\"search\" action=\"/search\" method=\"get\" role=\"search\">"
	    "<input type=\"search\" name=\"q\" placeholder=\"%s\" aria-label=\"%s\">",
	    pg_tr(p, T_SEARCH_HINT), pg_tr(p, T_SEARCH));
	if (p->lang == PAGES_VI)
		pg_put(p, "<input type=\"hidden\" name=\"lang\" value=\"vi\">");
	pg_pf(p, "<button type=\"submit\">%s</button></form><span class=\"lang\">",
	    pg_tr(p, T_SEARCH));
	/* The language switch: the same page, the other language. */
	pg_pf(p, "<a%s href=\"", p->lang == PAGES_EN ? " class=\"on\"" : "");
	pg_esc(p, path);
	pg_pf(p, "?lang=en%s", p->qs_refresh);
	switch_q(p);
	pg_pf(p, "\">EN</a> <a%s href=\"", p->lang == PAGES_VI ? " class=\"on\"" : "");
	pg_esc(p, path);
	pg_pf(p, "?lang=vi%s", p->qs_refresh);
	switch_q(p);
	pg_put(p, "\">VI</a></span></header>\n<main>\n");
}

void
pg_foot(struct page *p)
{
	pg_put(p, "</main>\n<footer>covmon " COVMON_VERSION);
	if (p->cov != NULL) {
		pg_pf(p, " · %s ", pg_tr(p, T_EVALUATED));
		pg_clock_time(p, p->cov->at);
	}
	if (p->env->thr != NULL)
		pg_pf(p, " · %s: %s ≤ %g&nbsp;%%, %s ≤ %g&nbsp;ms", pg_tr(p, T_THRESHOLDS),
		    pg_tr(p, T_LOSS), p->env->thr->max_loss_pct, pg_tr(p, T_RTT), p->env->thr->max_rtt_ms);
	pg_pf(p, " · %s: ", pg_tr(p, T_REFRESH));
	if (p->refresh > 0)
		pg_pf(p, "%d %s", p->refresh, pg_tr(p, T_SEC));
	else
		pg_put(p, pg_tr(p, T_OFF));
	pg_put(p, "</footer>\n</body></html>\n");
}

/* A page that only says why it is not the page asked for. */
void
pg_notice_page(struct page *p, const char *path, const char *title, const char *text,
    const char *detail)
{
	pg_head(p, title, path);
	pg_put(p, "<h1>");
	pg_esc(p, title);
	pg_put(p, "</h1>\n<p class=\"card\">");
	pg_esc(p, text);
	if (detail != NULL) {
		pg_put(p, "<br><code>");
		pg_esc(p, detail);
		pg_put(p, "</code>");
	}
	pg_pf(p, "</p>\n<p><a href=\"/%s\">%s</a></p>\n", p->qs, pg_tr(p, T_OVERVIEW));
	pg_foot(p);
}

/* The counts of a rollup as cells, covered first. */
void
pg_count_cells(struct page *p, const struct rollup *ru)
{
	for (int i = 0; i < HS__COUNT; i++)
		pg_pf(p, "<td class=\"num%s hide-sm\" data-label=\"%s\">%u</td>",
		    ru->counts[i] == 0 ? " zero" : "", pg_state_word(p, i), ru->counts[i]);
	pg_pf(p, "<td class=\"num\" data-label=\"%s\">%u</td>", pg_tr(p, T_TOTAL), ru->total);
}

void
pg_count_headers(struct page *p)
{
	for (int i = 0; i < HS__COUNT; i++) {
		pg_pf(p, "<th class=\"num hide-sm\"><span class=\"dot st-%s\"></span>",
		    pg_state_class(i));
		pg_esc(p, pg_state_word(p, i));
		pg_put(p, "</th>");
	}
	pg_pf(p, "<th class=\"num\">%s</th>", pg_tr(p, T_TOTAL));
}

/* Covered %, bar, target and deadline cells of a scope. */
void
pg_target_cells(struct page *p, const struct rollup *ru)
{
	pg_pf(p, "<td class=\"num c-%s\" data-label=\"%s\"><b>", colour_class(ru->colour),
	    pg_tr(p, T_COVERED));
	pg_pct(p, ru->covered_pct);
	pg_put(p, "</b></td><td class=\"barcell\" data-label=\"\">");
	bar(p, ru);
	pg_pf(p, "</td><td class=\"num\" data-label=\"%s\">", pg_tr(p, T_TARGET));
	if (isfinite(ru->target_pct))
		pg_pct(p, ru->target_pct);
	else
		pg_esc(p, pg_tr(p, T_NO_TARGET));
	pg_pf(p, "</td><td class=\"hide-sm\" data-label=\"%s\">", pg_tr(p, T_DEADLINE));
	pg_date(p, ru->deadline);
	pg_put(p, "</td>");
}

void
pg_target_headers(struct page *p)
{
	pg_pf(p, "<th class=\"num\">%s</th><th></th><th class=\"num\">%s</th>"
	    "<th class=\"hide-sm\">%s</th>", pg_tr(p, T_COVERED), pg_tr(p, T_TARGET), pg_tr(p, T_DEADLINE));
}

/*
 * The pace to the target in one line (DESIGN.md section 6, common/target.h):
 * "Behind: at this pace 97 % on 2026-03-02, 61 days late". Nothing when
 * there is no target or not yet a day of the rollup's series.
 */
static void
pace_line(struct page *p, const struct rollup *ru)
{
	const struct target_pace *pc = &ru->pace;
	bool vi = p->lang == PAGES_VI;

	if (!pc->known)
		return;
	pg_pf(p, "<p class=\"pace %s\"><b>%s</b>: ", pc->on_track ? "pace-ok" : "pace-behind",
	    pg_tr(p, pc->on_track ? T_PACE_ON_TRACK : T_PACE_BEHIND));
	if (pc->reached)
		pg_put(p, pg_tr(p, T_PACE_REACHED));
	else if (pc->rising) {
		pg_pf(p, "%s ", pg_tr(p, T_PACE_AT));
		pg_pct(p, ru->target_pct);
		pg_put(p, vi ? " vào " : " on ");
		pg_date(p, pc->projected);
		if (pc->days_late > 0) {
			if (vi)
				pg_pf(p, ", %s %d %s", pg_tr(p, T_PACE_LATE), pc->days_late,
				    pg_tr(p, T_DAYS));
			else
				pg_pf(p, ", %d %s", pc->days_late, pg_tr(p, T_PACE_LATE));
		}
	} else
		pg_put(p, pg_tr(p, T_PACE_FLAT));
	if (!pc->reached && ru->deadline != INV_NO_DATE &&
	    target_day(p->cov->at) > ru->deadline) {
		pg_pf(p, "; %s (", pg_tr(p, T_PACE_PASSED));
		pg_date(p, ru->deadline);
		pg_put(p, ")");
	}
	pg_put(p, ".</p>\n");
}

/* The summary boxes at the top of a province or commune page. */
void
pg_summary(struct page *p, const struct rollup *ru)
{
	pg_pf(p, "<div class=\"stats\"><div class=\"stat big c-%s\"><b>", colour_class(ru->colour));
	pg_pct(p, ru->covered_pct);
	pg_pf(p, "</b>%s", pg_tr(p, T_COVERED));
	if (isfinite(ru->target_pct)) {
		pg_pf(p, " · %s ", pg_tr(p, T_TARGET));
		pg_pct(p, ru->target_pct);
		if (ru->deadline != INV_NO_DATE) {
			pg_pf(p, " %s ", pg_tr(p, T_DEADLINE));
			pg_date(p, ru->deadline);
		}
	}
	pg_put(p, "</div>");
	for (int i = 0; i < HS__COUNT; i++) {
		pg_pf(p, "<div class=\"stat\"><b>%u</b><span class=\"dot st-%s\"></span>",
		    ru->counts[i], pg_state_class(i));
		pg_esc(p, pg_state_word(p, i));
		pg_put(p, "</div>");
	}
	pg_pf(p, "<div class=\"stat\"><b>%u</b>%s</div>", ru->overdue, pg_tr(p, T_OVERDUE));
	pg_put(p, "</div>\n");
	pace_line(p, ru);
}

void
pg_blind_note(struct page *p)
{
	if (p->cov->blind) {
		pg_put(p, "<p class=\"card warn\">");
		pg_esc(p, pg_tr(p, T_BLIND));
		pg_put(p, "</p>\n");
	}
}

/* An <img> of a graph, or "no data yet" when its file is not there. */
static bool
file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

bool
pg_site_file(const struct page *p, const struct inv_hamlet *h, const char *group)
{
	char path[1200];

	if (h->agent == NULL || p->env->data_dir == NULL)
		return false;
	if (snprintf(path, sizeof path, "%s/rrd/%s/%s/%s.rrd", p->env->data_dir,
	    p->inv->provinces[h->province].id, h->agent, group) >= (int)sizeof path)
		return false;
	return file_exists(path);
}

static bool
rollup_file(const struct page *p, size_t province, const char *commune)
{
	char path[1200];
	int n;

	if (p->env->data_dir == NULL)
		return false;
	if (commune != NULL)
		n = snprintf(path, sizeof path, "%s/rrd/%s/_commune_%s.rrd", p->env->data_dir,
		    p->inv->provinces[province].id, commune);
	else
		n = snprintf(path, sizeof path, "%s/rrd/%s/_province.rrd", p->env->data_dir,
		    p->inv->provinces[province].id);
	return n < (int)sizeof path && file_exists(path);
}

/*
 * A graph sized to the screen: a phone (at most 600 px wide) gets one drawn
 * 340 px wide, anything wider the 800 px one, scaled down by the
 * stylesheet when its column is narrower; titles and legends in the
 * page's language. The image links to the SVG of the same graph.
 */
void
pg_graph_img(struct page *p, const char *tmpl, const char *id, const char *range,
    const char *alt, bool have)
{
	const char *lang = p->lang == PAGES_VI ? "vi" : "en";

	if (!have) {
		pg_pf(p, "<div class=\"nograph\">%s — %s</div>", alt, pg_tr(p, T_NO_DATA));
		return;
	}
	pg_pf(p, "<a href=\"/graph/%s/", tmpl);
	pg_esc(p, id);
	pg_pf(p, ".svg?range=%s&amp;lang=%s\"><picture><source media=\"(max-width: 600px)\" "
	    "srcset=\"/graph/%s/", range, lang, tmpl);
	pg_esc(p, id);
	pg_pf(p, ".png?range=%s&amp;width=%d&amp;lang=%s\"><img class=\"graph\" src=\"/graph/%s/",
	    range, PHONE_GRAPH_W, lang, tmpl);
	pg_esc(p, id);
	pg_pf(p, ".png?range=%s&amp;lang=%s\" width=\"800\" height=\"300\" loading=\"lazy\" "
	    "alt=\"", range, lang);
	pg_esc(p, alt);
	pg_put(p, "\"></picture></a>");
}

void
pg_coverage_graph(struct page *p, size_t province, const char *commune, const char *id)
{
	pg_pf(p, "<h2>%s</h2>\n<div class=\"graphs one\">", pg_tr(p, T_COVERAGE_MONTH));
	bool have = rollup_file(p, province, commune);
	pg_graph_img(p, "coverage", id, "1m", pg_tr(p, T_COVERAGE_MONTH), have);
	pg_put(p, "</div>\n");
	if (have) {
		static const char *const ranges[] = { "6h", "1d", "1w", "1y" };
		pg_pf(p, "<p class=\"ranges\">%s", pg_tr(p, T_OTHER_RANGES));
		for (size_t k = 0; k < sizeof ranges / sizeof ranges[0]; k++) {
			pg_put(p, "<a href=\"/graph/coverage/");
			pg_esc(p, id);
			pg_pf(p, ".png?range=%s&amp;lang=%s\">%s</a>", ranges[k],
			    p->lang == PAGES_VI ? "vi" : "en", ranges[k]);
		}
		pg_put(p, "</p>\n");
	}
}
