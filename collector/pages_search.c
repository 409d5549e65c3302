/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The search page, /search?q= (DESIGN.md section 8; the box in every
 * page's header submits to it): the form filled with the query, then the
 * best matches of collector/search.c, each linking to its page, sites with
 * their state. Plain GET, no JavaScript; every inventory string escaped.
 */
#include "pages_int.h"

#include "search.h"

/* This page's own messages, [msg][lang] like pg_msgs (pages_i18n.c). */
enum { S_HINT, S_EMPTY, S_TOO_LONG, S_NONE, S_RESULTS, S_TYPE, S_NAME,
	S_VILLAGE_OF, S_AGENT_AT, S__COUNT };
static const char *const s_msgs[S__COUNT][2] = {
	[S_HINT] = { "a hamlet, village, commune, province or agent, by name or id",
		"tên hoặc mã của thôn, bản, xã, tỉnh hoặc thiết bị đo" },
	[S_EMPTY] = { "Type a name or an id. Accents and capitals do not matter: "
		"\"suoi chai\" finds Suối Chải.",
		"Nhập tên hoặc mã. Không cần gõ dấu, không phân biệt chữ hoa: "
		"\"suoi chai\" tìm được Suối Chải." },
	[S_TOO_LONG] = { "The search is too long (at most 200 bytes).",
		"Từ khóa tìm kiếm quá dài (tối đa 200 byte)." },
	[S_NONE] = { "Nothing matches", "Không có kết quả nào khớp với" },
	[S_RESULTS] = { "matches for", "kết quả cho" },
	[S_TYPE] = { "Kind", "Loại" },
	[S_NAME] = { "Name", "Tên" },
	[S_VILLAGE_OF] = { "its hamlets", "các thôn" },
	[S_AGENT_AT] = { "agent", "thiết bị đo" },
};

static const char *
s_tr(const struct page *p, int m)
{
	return s_msgs[m][p->lang];
}

/* The kind of a result, in the page's words. */
static const char *
type_word(const struct page *p, enum search_type t)
{
	static const int words[SEARCH__TYPES] = {
		[SEARCH_HAMLET] = T_HAMLET, [SEARCH_AGENT] = T_AGENT,
		[SEARCH_VILLAGE] = T_VILLAGE, [SEARCH_COMMUNE] = T_COMMUNE,
		[SEARCH_PROVINCE] = T_PROVINCE,
	};

	return pg_tr(p, (enum msg)words[t]);
}

/* The form, filled with what was searched. */
static void
form(struct page *p, const char *q)
{
	pg_put(p, "<form class=\"card\" action=\"/search\" method=\"get\" role=\"search\">"
	    "<input type=\"search\" name=\"q\" size=\"32\" maxlength=\"200\" value=\"");
	pg_esc(p, q);
	pg_put(p, "\" placeholder=\"");
	pg_esc(p, s_tr(p, S_HINT));
	pg_pf(p, "\" aria-label=\"%s\">", pg_tr(p, T_SEARCH));
	if (p->lang == PAGES_VI)
		pg_put(p, "<input type=\"hidden\" name=\"lang\" value=\"vi\">");
	pg_pf(p, " <button type=\"submit\">%s</button></form>\n", pg_tr(p, T_SEARCH));
}

/* One result: its link, kind, place and state (or coverage). */
static void
result_row(struct page *p, const struct search_result *r)
{
	const struct inventory *inv = p->inv;
	const struct inv_hamlet *h = &inv->hamlets[r->index];
	int32_t pi, ci;

	search_result_place(inv, r, &pi, &ci);
	pg_pf(p, "<tr><td class=\"name\" data-label=\"%s\">", s_tr(p, S_NAME));
	switch (r->type) {
	case SEARCH_HAMLET:
		pg_link_hamlet(p, r->index);
		break;
	case SEARCH_AGENT:
		pg_link_hamlet(p, r->index);
		pg_pf(p, " <small class=\"muted\">%s <code>", s_tr(p, S_AGENT_AT));
		pg_esc(p, h->agent);
		pg_put(p, "</code></small>");
		break;
	case SEARCH_VILLAGE:
		/* A village has no page of its own: its commune's page (which
		 * lists its hamlets), and its hamlets here. */
		pg_link(p, "commune", inv->communes[h->commune].id, h->village);
		pg_pf(p, "<br><small>%s:", s_tr(p, S_VILLAGE_OF));
		for (size_t k = r->index; k < inv->nhamlets; k++) {
			if (!search_village_has(inv, r, k))
				continue;
			pg_put(p, " ");
			pg_link_hamlet(p, k);
		}
		pg_put(p, "</small>");
		break;
	case SEARCH_COMMUNE:
		pg_link_commune(p, r->index);
		break;
	default:
		pg_link_province(p, r->index);
		break;
	}
	pg_pf(p, "</td><td data-label=\"%s\">%s</td><td data-label=\"%s\">", s_tr(p, S_TYPE),
	    type_word(p, r->type), pg_tr(p, T_WHERE));
	if (ci >= 0 && r->type != SEARCH_COMMUNE) {
		pg_link_commune(p, (size_t)ci);
		pg_put(p, ", ");
	}
	if (r->type != SEARCH_PROVINCE)
		pg_link_province(p, (size_t)pi);
	pg_pf(p, "</td><td data-label=\"%s\">", pg_tr(p, T_STATE));
	if (r->type == SEARCH_HAMLET || r->type == SEARCH_AGENT)
		pg_badge(p, p->cov->hamlets[r->index].state);
	else if (r->type == SEARCH_COMMUNE || r->type == SEARCH_PROVINCE) {
		const struct rollup *ru = r->type == SEARCH_COMMUNE ?
		    &p->cov->communes[r->index] : &p->cov->provinces[r->index];
		pg_pct(p, ru->covered_pct);
		pg_pf(p, " <small class=\"muted\">%s</small>", pg_tr(p, T_COVERED));
	}
	pg_put(p, "</td></tr>\n");
}

/*
 * The page for query q (NULL or empty: the form alone). Sets *status to
 * 400 for a query longer than SEARCH_QUERY_MAX. Returns 0, or -1 when out
 * of memory.
 */
int
page_search(struct page *p, const char *q, unsigned *status)
{
	struct search_result res[SEARCH_RESULTS_MAX];
	bool too_long = q != NULL && strlen(q) > SEARCH_QUERY_MAX;
	long n = 0;

	p->switch_q = q;
	pg_head(p, pg_tr(p, T_SEARCH), "/search");
	pg_pf(p, "<h1>%s</h1>\n", pg_tr(p, T_SEARCH));
	/* A query too long is not echoed whole: the form starts empty. */
	form(p, q != NULL && !too_long ? q : "");
	if (too_long) {
		*status = 400;
		pg_pf(p, "<p class=\"card warn\">%s</p>\n", s_tr(p, S_TOO_LONG));
		pg_foot(p);
		return 0;
	}
	if (search_query_empty(q)) {
		pg_pf(p, "<p class=\"muted\">%s</p>\n", s_tr(p, S_EMPTY));
		pg_foot(p);
		return 0;
	}
	if ((n = search_inventory(p->s->inv, q, SEARCH_ALL, res,
	    SEARCH_RESULTS_MAX)) < 0)
		return -1;
	if (n == 0) {
		pg_pf(p, "<p class=\"card\">%s «", s_tr(p, S_NONE));
		pg_esc(p, q);
		pg_pf(p, "».<br><small class=\"muted\">%s</small></p>\n", s_tr(p, S_EMPTY));
		pg_foot(p);
		return 0;
	}
	pg_pf(p, "<p>%ld %s «", n, s_tr(p, S_RESULTS));
	pg_esc(p, q);
	pg_put(p, "»");
	if (n > SEARCH_RESULTS_MAX) {
		pg_put(p, " <small class=\"muted\">(");
		pg_pf(p, p->lang == PAGES_VI ?
		    "hiển thị %d kết quả tốt nhất: thêm từ để thu hẹp" :
		    "the best %d shown: add a word to narrow it down", SEARCH_RESULTS_MAX);
		pg_put(p, ")</small>");
	}
	pg_pf(p, "</p>\n<div class=\"scroll\"><table class=\"search stack\"><thead><tr>"
	    "<th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>\n",
	    s_tr(p, S_NAME), s_tr(p, S_TYPE), pg_tr(p, T_WHERE), pg_tr(p, T_STATE));
	for (long i = 0; i < n && i < SEARCH_RESULTS_MAX; i++)
		result_row(p, &res[i]);
	pg_put(p, "</tbody></table></div>\n");
	pg_foot(p);
	return 0;
}
