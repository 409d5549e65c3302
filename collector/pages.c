/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The dashboard's HTML pages (DESIGN.md section 8), rendered from one
 * immutable snapshot: the overview, a province with its map, a commune, a
 * hamlet's site page and the alerts. Plain HTML and inline SVG, no
 * JavaScript, readable on a phone; English or Vietnamese from a small
 * message table; every inventory string goes out through pg_esc(). The
 * pages are in pages_overview.c, pages_site.c and pages_alerts.c, what
 * they share in pages_int.h and pages_html.c; this file dispatches.
 */
#include "pages_int.h"

enum pages_lang
pages_lang(const char *q, const char *accept)
{
	if (q != NULL && strcmp(q, "vi") == 0)
		return PAGES_VI;
	if (q != NULL && strcmp(q, "en") == 0)
		return PAGES_EN;
	if (accept != NULL) {
		while (*accept == ' ')
			accept++;
		if ((accept[0] == 'v' || accept[0] == 'V') && (accept[1] == 'i' || accept[1] == 'I') &&
		    (accept[2] == '\0' || accept[2] == '-' || accept[2] == ',' || accept[2] == ';'))
			return PAGES_VI;
	}
	return PAGES_EN;
}

/* The id after `prefix` in url, or NULL when url is not under it. */
const char *
pg_under(const char *url, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(url, prefix, n) == 0 ? url + n : NULL;
}

bool
pages_is_page(const char *url)
{
	return strcmp(url, "/") == 0 || strcmp(url, "/alerts") == 0 ||
	    strcmp(url, "/search") == 0 ||
	    pg_under(url, "/province/") || pg_under(url, "/commune/") || pg_under(url, "/hamlet/");
}

/* ?refresh=N: 0 (off) unless N is a number of seconds in 5..3600. */
static int
refresh_arg(const char *v)
{
	char *end;
	long n;

	if (v == NULL || *v == '\0')
		return 0;
	n = strtol(v, &end, 10);
	if (*end != '\0' || n < 5 || n > 3600)
		return 0;
	return (int)n;
}

int
pages_render(const struct snapshot *s, const struct pages_env *env, const char *url,
    api_query_fn query, void *qarg, const char *accept_language, struct pages_out *out)
{
	struct page pg = { .env = env, .s = s };
	struct page *p = &pg;
	const char *qlang = query ? query(qarg, "lang") : NULL;
	const char *id = NULL, *kind = NULL;
	char *buf = NULL;
	size_t len = 0;
	int rc = 0;

	memset(out, 0, sizeof *out);
	out->type = "text/html; charset=utf-8";
	out->status = 200;
	pg.lang = pages_lang(qlang, accept_language);
	pg.refresh = refresh_arg(query ? query(qarg, "refresh") : NULL);
	if (pg.refresh > 0)
		snprintf(pg.qs_refresh, sizeof pg.qs_refresh, "&amp;refresh=%d", pg.refresh);
	if (qlang != NULL && (strcmp(qlang, "vi") == 0 || strcmp(qlang, "en") == 0))
		snprintf(pg.qs, sizeof pg.qs, "?lang=%s%s", qlang, pg.qs_refresh);
	else if (pg.refresh > 0)
		snprintf(pg.qs, sizeof pg.qs, "?refresh=%d", pg.refresh);
	if (s != NULL && s->inv != NULL && s->cov != NULL) {
		pg.inv = s->inv->inv;
		pg.cov = s->cov;
	}
	if ((pg.f = open_memstream(&buf, &len)) == NULL)
		return -1;

	if ((id = pg_under(url, "/province/")) != NULL)
		kind = "province";
	else if ((id = pg_under(url, "/commune/")) != NULL)
		kind = "commune";
	else if ((id = pg_under(url, "/hamlet/")) != NULL)
		kind = "hamlet";

	if (!pages_is_page(url)) {
		out->status = 404;
		pg_notice_page(p, "/", pg_tr(p, T_NOT_FOUND), pg_tr(p, T_NOT_FOUND), NULL);
	} else if (id != NULL && !id_valid(id)) {
		/* The id is never echoed: only that it is malformed, and the rule. */
		out->status = 400;
		pg_notice_page(p, "/", pg_tr(p, T_BAD_ID), pg_tr(p, T_ID_RULE), NULL);
	} else if (env->national != NULL) {
		page_national(p, url, out);
	} else if (strcmp(url, "/alerts") == 0) {
		page_alerts(p);
	} else if (s == NULL || (s->inv != NULL && s->cov == NULL)) {
		out->status = 503;
		pg.refresh = pg.refresh ? pg.refresh : 5;
		pg_notice_page(p, url, pg_tr(p, T_NO_EVAL), pg_tr(p, T_NO_EVAL), NULL);
	} else if (pg.inv == NULL) {
		out->status = 503;
		pg_notice_page(p, url, pg_tr(p, T_NO_INV), pg_tr(p, T_NO_INV), NULL);
	} else if (strcmp(url, "/search") == 0) {
		rc = page_search(p, query ? query(qarg, "q") : NULL, &out->status);
	} else if (kind == NULL) {
		page_overview(p);
	} else if (strcmp(kind, "province") == 0) {
		const struct inv_province *x = inventory_province(pg.inv, id);
		if (x == NULL) {
			out->status = 404;
			pg_notice_page(p, url, pg_tr(p, T_NOT_FOUND), pg_tr(p, T_PROVINCE), id);
		} else
			rc = page_province(p, url, (size_t)(x - pg.inv->provinces));
	} else if (strcmp(kind, "commune") == 0) {
		const struct inv_commune *x = inventory_commune(pg.inv, id);
		if (x == NULL) {
			out->status = 404;
			pg_notice_page(p, url, pg_tr(p, T_NOT_FOUND), pg_tr(p, T_COMMUNE), id);
		} else
			rc = page_commune(p, url, (size_t)(x - pg.inv->communes));
	} else {
		const struct inv_hamlet *x = inventory_hamlet(pg.inv, id);
		if (x == NULL) {
			out->status = 404;
			pg_notice_page(p, url, pg_tr(p, T_NOT_FOUND), pg_tr(p, T_HAMLET), id);
		} else
			rc = page_hamlet(p, url, (size_t)(x - pg.inv->hamlets));
	}
	if (ferror(pg.f) || pg.oom)
		rc = -1;
	if (fclose(pg.f) != 0 || rc == -1) {
		free(buf);
		return -1;
	}
	out->body = buf;
	out->len = len;
	return 0;
}
