/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * covmon-graph report: a static HTML report of every province, commune and
 * hamlet with their graphs, from the RRD files and the inventory, without
 * a running collector; in English or Vietnamese.
 */
#include "report.h"

#include "html.h"
#include "id.h"
#include "target.h"

#include <rrd.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

enum rmsg {
	M_GENERATED, M_NO_DATA, M_BY, M_COVERAGE, M_NO_HISTORY, M_VILLAGE, M_AGENT,
	M_NO_AGENT, M_NO_AGENT_DATA, M_HAMLET, M_TARGET_DATE, M_COMMUNE, M_HAMLETS,
	M_COVERED, M_TARGET, M_PROVINCES, M_PROVINCE, M_COMMUNES, M_COVERAGE_TITLE,
	M__COUNT
};

/* [msg][lang]: English, Vietnamese (the dashboard's words, pages_i18n.c). */
static const char *const rmsgs[M__COUNT][2] = {
	[M_GENERATED] = { "generated", "lập lúc" },
	[M_NO_DATA] = { "no data", "chưa có dữ liệu" },
	[M_BY] = { "by", "trước" },
	[M_COVERAGE] = { "coverage", "phủ sóng" },
	[M_NO_HISTORY] = { "No coverage history stored yet.", "Chưa lưu lịch sử phủ sóng." },
	[M_VILLAGE] = { "Village", "Thôn/bản" },
	[M_AGENT] = { "Agent", "Trạm đo" },
	[M_NO_AGENT] = { "No agent installed yet.", "Chưa lắp trạm đo." },
	[M_NO_AGENT_DATA] = { "No data stored for this agent yet.",
	    "Chưa lưu dữ liệu nào của trạm đo này." },
	[M_HAMLET] = { "Hamlet", "Thôn" },
	[M_TARGET_DATE] = { "Target date", "Hạn phủ sóng" },
	[M_COMMUNE] = { "Commune", "Xã" },
	[M_HAMLETS] = { "Hamlets", "Số thôn" },
	[M_COVERED] = { "Covered", "Có sóng" },
	[M_TARGET] = { "Target", "Mục tiêu" },
	[M_PROVINCES] = { "Provinces", "Các tỉnh" },
	[M_PROVINCE] = { "Province", "Tỉnh" },
	[M_COMMUNES] = { "Communes", "Số xã" },
	[M_COVERAGE_TITLE] = { "Coverage by province", "Phủ sóng theo tỉnh" },
};

struct report;
static const char *R(const struct report *rp, enum rmsg m);

struct report {
	const struct report_opts *o;
	const struct inventory *inv;
	char dir[512];
	unsigned long graphs, missing, failed;
};

static const char *
R(const struct report *rp, enum rmsg m)
{
	return rmsgs[m][rp->o->lang == GRAPH_VI ? 1 : 0];
}

static FILE *
page_open(struct report *rp, const char *name, const char *title)
{
	char path[700];
	FILE *fp;

	snprintf(path, sizeof path, "%s/%s", rp->dir, name);
	if ((fp = fopen(path, "w")) == NULL) {
		complain("%s: %s", path, strerror(errno));
		return NULL;
	}
	fprintf(fp, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">\n<title>",
	    rp->o->lang == GRAPH_VI ? "vi" : "en");
	html_escape(fp, title);
	fputs(" — covmon</title>\n<style>body{font-family:'DejaVu Sans',sans-serif;margin:1.5em;"
	    "color:#202020}table{border-collapse:collapse}td,th{padding:.2em .8em;text-align:left;"
	    "border-bottom:1px solid #ddd}.green{color:#1b7a1b}.yellow{color:#9a7600}"
	    ".red{color:#c62828}img{display:block;margin:.5em 0}</style>\n</head><body>\n", fp);
	return fp;
}

static int
page_close(struct report *rp, FILE *fp, const char *name)
{
	time_t now = time(NULL);
	char ts[64];
	struct tm tm;

	if (localtime_r(&now, &tm) == NULL || strftime(ts, sizeof ts, "%Y-%m-%d %H:%M %Z", &tm) == 0)
		snprintf(ts, sizeof ts, "?");
	fprintf(fp, "<p><small>covmon %s, %s %s</small></p>\n</body></html>\n",
	    COVMON_VERSION, R(rp, M_GENERATED), ts);
	if (ferror(fp) != 0 || fclose(fp) != 0) {
		complain("%s/%s: write failed", rp->dir, name);
		return -1;
	}
	return 0;
}

/* Renders one graph into img/; returns its file name, or NULL when the data
 * is not there (counted) or the render failed (counted and said). */
static const char *
report_graph(struct report *rp, struct graph_req *req, const char *id, const char *range,
    char *name, size_t len)
{
	struct graph_out img;
	char err[1024], path[1300];
	struct graph_args a;

	if (graph_range_parse(range, &req->range, err, sizeof err) == -1)
		return NULL;
	/* A missing file is normal (no radio on this site): leave it out. */
	if (graph_build_args(req, &a, err, sizeof err) == -1) {
		rp->missing++;
		return NULL;
	}
	graph_args_free(&a);
	snprintf(name, len, "img/%s-%s-%s.png", id, graph_template_name(req->tmpl), range);
	if (graph_render(req, &img, err, sizeof err) == -1) {
		complain("%s", err);
		rp->failed++;
		return NULL;
	}
	snprintf(path, sizeof path, "%s/%s", rp->dir, name);
	if (graph_out_save(&img, path, err, sizeof err) == -1) {
		complain("%s", err);
		rp->failed++;
		graph_out_free(&img);
		return NULL;
	}
	graph_out_free(&img);
	rp->graphs++;
	return name;
}

/* covered_pct at the last update of a rollup file, or NAN. */
static double
rollup_last_pct(const char *path)
{
	time_t last;
	unsigned long n;
	char **names = NULL, **vals = NULL;
	double pct = NAN;

	if (access(path, R_OK) != 0 || rrd_lastupdate_r(path, &last, &n, &names, &vals) != 0) {
		rrd_clear_error();
		return NAN;
	}
	for (unsigned long i = 0; i < n; i++) {
		if (strcmp(names[i], "covered_pct") == 0 && strcmp(vals[i], "U") != 0)
			pct = strtod(vals[i], NULL);
		rrd_freemem(names[i]);
		rrd_freemem(vals[i]);
	}
	rrd_freemem(names);
	rrd_freemem(vals);
	return pct;
}

/* The one colour rule (common/target.h), with the configured margin and
 * today's date: after its deadline a scope below target is red. */
static const char *
colour(const struct report *rp, double pct, const struct inv_target *t)
{
	const char *name;

	if (!t->set)
		return "";
	name = colour_name(target_colour(pct, t->pct, t->deadline, rp->o->yellow_margin_pct,
	    target_day((double)time(NULL))));
	return name != NULL ? name : "";
}

static void
target_cell(const struct report *rp, FILE *fp, double pct, const struct inv_target *t)
{
	char day[16];

	if (isnan(pct))
		fprintf(fp, "<td>%s</td>", R(rp, M_NO_DATA));
	else
		fprintf(fp, "<td class=\"%s\">%.1f %%</td>", colour(rp, pct, t), pct);
	if (t->set) {
		inventory_date_str_lang(t->deadline, rp->o->lang == GRAPH_VI, day, sizeof day);
		fprintf(fp, "<td>%.0f %% %s %s</td>", t->pct, R(rp, M_BY),
		    day[0] != '\0' ? day : "—");
	} else
		fputs("<td>—</td>", fp);
}

/* The coverage graph of a commune (c) or province (c NULL), into the page. */
static void
report_coverage(struct report *rp, FILE *fp, const struct inv_province *p,
    const struct inv_commune *c, const char *range)
{
	struct graph_req req;
	char name[300], err[256];
	const struct inv_target *tg = c != NULL ? &c->effective : &p->target;

	graph_req_init(&req);
	req.tmpl = GRAPH_COVERAGE;
	req.lang = rp->o->lang;
	req.yellow_margin_pct = rp->o->yellow_margin_pct;
	if (c != NULL)
		snprintf(req.title, sizeof req.title, "%s, %s", c->name, p->name);
	else
		snprintf(req.title, sizeof req.title, "%s", p->name);
	if (tg->set) {
		req.target_pct = tg->pct;
		if (tg->deadline != INV_NO_DATE)
			req.deadline = (int64_t)tg->deadline * 86400;
	}
	if (graph_req_rollup(&req, rp->o->data_dir, p->id, c != NULL ? c->id : NULL, err,
	    sizeof err) == -1)
		return;
	if (report_graph(rp, &req, c != NULL ? c->id : p->id, range, name, sizeof name) != NULL)
		fprintf(fp, "<img src=\"%s\" width=\"800\" height=\"300\" alt=\"%s\">\n", name,
		    R(rp, M_COVERAGE));
	else
		fprintf(fp, "<p>%s</p>\n", R(rp, M_NO_HISTORY));
}

/* A page's way back up (the provinces, then its province and its commune
 * where given) and its title. */
static void
page_heading(const struct report *rp, FILE *fp, const struct inv_province *p,
    const struct inv_commune *c, const char *title)
{
	fprintf(fp, "<p><a href=\"index.html\">%s</a>", R(rp, M_PROVINCES));
	if (p != NULL) {
		fprintf(fp, " › <a href=\"province-%s.html\">", p->id);
		html_escape(fp, p->name);
		fputs("</a>", fp);
	}
	if (c != NULL) {
		fprintf(fp, " › <a href=\"commune-%s.html\">", c->id);
		html_escape(fp, c->name);
		fputs("</a>", fp);
	}
	fputs("</p>\n<h1>", fp);
	html_escape(fp, title);
	fputs("</h1>\n", fp);
}

static int
report_hamlet(struct report *rp, const struct inv_hamlet *h)
{
	static const struct { enum graph_template t; const char *range; } graphs[] = {
		{ GRAPH_LATENCY, "1d" }, { GRAPH_LATENCY, "1w" }, { GRAPH_THROUGHPUT, "1d" },
		{ GRAPH_RADIO, "1d" }, { GRAPH_CLIENTS, "1d" },
	};
	const struct inventory *inv = rp->inv;
	const struct inv_commune *c = &inv->communes[h->commune];
	const struct inv_province *p = &inv->provinces[h->province];
	char page[128], name[300], err[256];
	int shown = 0;
	FILE *fp;

	snprintf(page, sizeof page, "hamlet-%s.html", h->id);
	if ((fp = page_open(rp, page, h->name)) == NULL)
		return -1;
	page_heading(rp, fp, p, c, h->name);
	fputs("<p>", fp);
	if (h->village[0] != '\0') {
		fprintf(fp, "%s ", R(rp, M_VILLAGE));
		html_escape(fp, h->village);
		fputs(". ", fp);
	}
	if (h->agent != NULL)
		fprintf(fp, "%s <code>%s</code>.", R(rp, M_AGENT), h->agent);
	else
		fputs(R(rp, M_NO_AGENT), fp);
	fputs("</p>\n", fp);
	for (size_t i = 0; h->agent != NULL && i < sizeof graphs / sizeof graphs[0]; i++) {
		struct graph_req req;

		graph_req_init(&req);
		req.tmpl = graphs[i].t;
		req.lang = rp->o->lang;
		snprintf(req.title, sizeof req.title, "%s, %s", h->name, c->name);
		if (graph_req_site(&req, rp->o->data_dir, p->id, h->agent, err, sizeof err) == -1)
			break;
		if (report_graph(rp, &req, h->id, graphs[i].range, name, sizeof name) != NULL) {
			fprintf(fp, "<img src=\"%s\" width=\"800\" height=\"300\" alt=\"%s %s\">\n",
			    name, graph_template_name(graphs[i].t), graphs[i].range);
			shown++;
		}
	}
	if (h->agent != NULL && shown == 0)
		fprintf(fp, "<p>%s</p>\n", R(rp, M_NO_AGENT_DATA));
	return page_close(rp, fp, page);
}

static int
report_commune(struct report *rp, const struct inv_commune *c)
{
	const struct inventory *inv = rp->inv;
	const struct inv_province *p = &inv->provinces[c->province];
	char page[128];
	FILE *fp;

	snprintf(page, sizeof page, "commune-%s.html", c->id);
	if ((fp = page_open(rp, page, c->name)) == NULL)
		return -1;
	page_heading(rp, fp, p, NULL, c->name);
	report_coverage(rp, fp, p, c, "1m");
	fprintf(fp, "<table><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>\n",
	    R(rp, M_HAMLET), R(rp, M_VILLAGE), R(rp, M_AGENT), R(rp, M_TARGET_DATE));
	for (size_t i = 0; i < inv->nhamlets; i++) {
		const struct inv_hamlet *h = &inv->hamlets[i];
		char day[16];

		if (&inv->communes[h->commune] != c)
			continue;
		inventory_date_str_lang(h->target_date, rp->o->lang == GRAPH_VI, day, sizeof day);
		fprintf(fp, "<tr><td><a href=\"hamlet-%s.html\">", h->id);
		html_escape(fp, h->name);
		fputs("</a></td><td>", fp);
		html_escape(fp, h->village);
		fprintf(fp, "</td><td>%s</td><td>%s</td></tr>\n", h->agent != NULL ? h->agent : "—",
		    day);
	}
	fputs("</table>\n", fp);
	return page_close(rp, fp, page);
}

static int
report_province(struct report *rp, const struct inv_province *p)
{
	const struct inventory *inv = rp->inv;
	char page[128], path[1200];
	FILE *fp;

	snprintf(page, sizeof page, "province-%s.html", p->id);
	if ((fp = page_open(rp, page, p->name)) == NULL)
		return -1;
	page_heading(rp, fp, NULL, NULL, p->name);
	report_coverage(rp, fp, p, NULL, "1m");
	fprintf(fp, "<table><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>\n",
	    R(rp, M_COMMUNE), R(rp, M_HAMLETS), R(rp, M_COVERED), R(rp, M_TARGET));
	for (size_t i = 0; i < inv->ncommunes; i++) {
		const struct inv_commune *c = &inv->communes[i];

		if (&inv->provinces[c->province] != p)
			continue;
		snprintf(path, sizeof path, "%s/rrd/%s/_commune_%s.rrd", rp->o->data_dir, p->id,
		    c->id);
		fprintf(fp, "<tr><td><a href=\"commune-%s.html\">", c->id);
		html_escape(fp, c->name);
		fprintf(fp, "</a></td><td>%zu</td>", c->nhamlets);
		target_cell(rp, fp, rollup_last_pct(path), &c->effective);
		fputs("</tr>\n", fp);
	}
	fputs("</table>\n", fp);
	return page_close(rp, fp, page);
}

int
report_write(const struct report_opts *o, const struct inventory *inv)
{
	struct report rp = { .o = o, .inv = inv };
	char path[700];
	FILE *fp;
	int rc = 0;

	if (inv == NULL || o->out == NULL) {
		complain("report: needs --inventory and --out DIR");
		return EXIT_USAGE;
	}
	if (o->province != NULL && inventory_province(inv, o->province) == NULL) {
		complain("report: %s: no such province in %s", o->province, o->inventory);
		return EXIT_USAGE;
	}
	if (strlen(o->out) >= sizeof rp.dir) {
		complain("--out is too long (at most %zu bytes)", sizeof rp.dir - 1);
		return EXIT_USAGE;
	}
	snprintf(rp.dir, sizeof rp.dir, "%s", o->out);
	snprintf(path, sizeof path, "%s/img", rp.dir);
	if ((mkdir(rp.dir, 0755) == -1 && errno != EEXIST) ||
	    (mkdir(path, 0755) == -1 && errno != EEXIST)) {
		complain("%s: %s", path, strerror(errno));
		return EXIT_RUNTIME;
	}

	if ((fp = page_open(&rp, "index.html", R(&rp, M_COVERAGE_TITLE))) == NULL)
		return EXIT_RUNTIME;
	fprintf(fp, "<h1>%s</h1>\n<table><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
	    "<th>%s</th></tr>\n", R(&rp, M_COVERAGE_TITLE), R(&rp, M_PROVINCE), R(&rp, M_COMMUNES),
	    R(&rp, M_HAMLETS), R(&rp, M_COVERED), R(&rp, M_TARGET));
	for (size_t i = 0; i < inv->nprovinces; i++) {
		const struct inv_province *p = &inv->provinces[i];

		if (o->province != NULL && strcmp(o->province, p->id) != 0)
			continue;
		snprintf(path, sizeof path, "%s/rrd/%s/_province.rrd", o->data_dir, p->id);
		fprintf(fp, "<tr><td><a href=\"province-%s.html\">", p->id);
		html_escape(fp, p->name);
		fprintf(fp, "</a></td><td>%zu</td><td>%zu</td>", p->ncommunes, p->nhamlets);
		target_cell(&rp, fp, rollup_last_pct(path), &p->target);
		fputs("</tr>\n", fp);
	}
	fputs("</table>\n", fp);
	if (page_close(&rp, fp, "index.html") == -1)
		return EXIT_RUNTIME;

	for (size_t i = 0; i < inv->nprovinces && rc == 0; i++)
		if (o->province == NULL || strcmp(o->province, inv->provinces[i].id) == 0)
			rc = report_province(&rp, &inv->provinces[i]);
	for (size_t i = 0; i < inv->ncommunes && rc == 0; i++)
		if (o->province == NULL ||
		    strcmp(o->province, inv->provinces[inv->communes[i].province].id) == 0)
			rc = report_commune(&rp, &inv->communes[i]);
	for (size_t i = 0; i < inv->nhamlets && rc == 0; i++)
		if (o->province == NULL ||
		    strcmp(o->province, inv->provinces[inv->hamlets[i].province].id) == 0)
			rc = report_hamlet(&rp, &inv->hamlets[i]);
	fprintf(stderr, "covmon-graph: report in %s/index.html: %lu graphs, %lu left out (no "
	    "data), %lu failed\n", rp.dir, rp.graphs, rp.missing, rp.failed);
	if (rc == -1)
		return EXIT_RUNTIME;
	return rp.failed > 0 ? EXIT_RUNTIME : 0;
}

