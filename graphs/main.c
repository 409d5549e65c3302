/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * covmon-graph: renders one graph template from the RRD files to PNG or SVG
 * (render), or a static HTML report with every province, commune and
 * hamlet and their graphs (report), without a running collector.
 */
#include "conf.h"
#include "id.h"
#include "inventory.h"
#include "target.h"
#include "templates.h"

#include <rrd.h>

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define EXIT_RUNTIME 1
#define EXIT_USAGE 2
/* [coverage] yellow_margin_pct when no collector config says otherwise:
 * the collector's own default (collector/conf.c, collector_conf_load). */
#define DEFAULT_YELLOW_MARGIN 10

struct opts {
	char conf_path[512];
	char data_dir[512];
	char inventory[512];
	char targets[512];
	bool check;
	const char *range_name;
	const char *format_name;
	const char *out;
	const char *province;      /* report: only this province */
	unsigned width, height;
	bool print_args;
	double yellow_margin_pct;  /* [coverage] of the collector's config */
	enum graph_lang lang;
};

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: covmon-graph [-c FILE] [--check-config] [--data-dir DIR]\n"
	    "                    [--inventory FILE [--targets FILE]] COMMAND\n"
	    "\n"
	    "commands:\n"
	    "  render TEMPLATE ID [--range R] [--format png|svg] [--out FILE]\n"
	    "        [--width PX] [--height PX] [--lang en|vi] [--print-args]\n"
	    "      TEMPLATE: latency, throughput, radio, clients (ID: a hamlet id, or\n"
	    "      PROVINCE/AGENT without an inventory) or coverage (ID: a commune or\n"
	    "      province id, or PROVINCE or PROVINCE/COMMUNE without an inventory).\n"
	    "      R: 6h 1d 1w 1m 1y (default 1d). --out - writes to stdout; the\n"
	    "      default is ID-TEMPLATE-R.FORMAT in the current directory.\n"
	    "  report --out DIR [--province ID] [--lang en|vi]\n"
	    "      a static HTML report (index.html) with every province, commune\n"
	    "      and hamlet of the inventory and their graphs as PNG files.\n"
	    "      Colours follow the target rule of the collector: green at or\n"
	    "      above the target; before the deadline yellow within [coverage]\n"
	    "      yellow_margin_pct of it, else red; after the deadline red.\n"
	    "\n"
	    "  -c, --config FILE   INI file: [graph] data_dir, inventory, targets (or a\n"
	    "                      collector's file: its [collector] keys are used),\n"
	    "                      [coverage] yellow_margin_pct (default 10, the\n"
	    "                      collector's default)\n"
	    "      --lang en|vi    titles, axes and legends of the graphs (default en)\n"
	    "      --check-config  validate the configuration and inventory, print them\n"
	    "      --data-dir DIR  default /var/lib/covmon (RRD files under DIR/rrd)\n"
	    "      --help, --version\n");
}

static void __attribute__((format(printf, 1, 2)))
complain(const char *fmt, ...)
{
	va_list ap;

	fputs("covmon-graph: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int
copy(char *dst, size_t len, const char *src, const char *what)
{
	if (strlen(src) >= len) {
		complain("%s is too long (at most %zu bytes)", what, len - 1);
		return -1;
	}
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

/*
 * The config file. [graph] holds data_dir, inventory and targets; a key
 * missing there is taken from [collector], so the collector's own file
 * works as it is. In a file with a [collector] section every other section
 * belongs to the collector and is ignored; otherwise an unknown key or
 * section is an error, as in every covmon config. Command-line options win.
 */
static int
load_config(struct opts *o, bool dd_set, bool inv_set, bool tg_set)
{
	static const char *const keys[] = { "data_dir", "inventory", "targets" };
	char *dst[] = { o->data_dir, o->inventory, o->targets };
	const bool set[] = { dd_set, inv_set, tg_set };
	struct conf c;
	char err[1024];
	bool collector;

	if (conf_load(&c, o->conf_path, err, sizeof err) == -1) {
		complain("%s", err);
		return -1;
	}
	collector = conf_has_section(&c, "collector");
	for (size_t i = 0; i < 3; i++) {
		const char *v = conf_str(&c, "graph", keys[i], "");

		if (v[0] == '\0' && collector)
			v = conf_str(&c, "collector", keys[i], "");
		if (v[0] != '\0' && !set[i] && copy(dst[i], 512, v, keys[i]) == -1)
			goto fail;
	}
	/* The margin of the colour rule: the collector's, so that the report
	 * and the dashboard colour a scope alike. */
	if (conf_double(&c, "coverage", "yellow_margin_pct", DEFAULT_YELLOW_MARGIN, 0, 100,
	    &o->yellow_margin_pct, err, sizeof err) == -1) {
		complain("%s", err);
		goto fail;
	}
	if (collector)
		for (size_t i = 0; i < c.n; i++)
			c.v[i].used = true;
	if (conf_unused(&c, err, sizeof err) == -1) {
		complain("%s", err);
		goto fail;
	}
	conf_free(&c);
	return 0;
fail:
	conf_free(&c);
	return -1;
}

static int
load_inventory(const struct opts *o, struct inventory **inv)
{
	char err[8192];

	*inv = NULL;
	if (o->inventory[0] == '\0')
		return 0;
	if (inventory_load(inv, o->inventory, o->targets[0] != '\0' ? o->targets : NULL, err,
	    sizeof err) == -1) {
		complain("%s", err);
		return -1;
	}
	return 0;
}

static int
write_file(const char *path, const struct graph_out *img)
{
	FILE *fp;
	bool is_stdout = strcmp(path, "-") == 0;

	fp = is_stdout ? stdout : fopen(path, "wb");
	if (fp == NULL) {
		complain("%s: %s", path, strerror(errno));
		return -1;
	}
	if (fwrite(img->data, 1, img->len, fp) != img->len || fflush(fp) != 0) {
		complain("%s: %s", is_stdout ? "stdout" : path, strerror(errno));
		if (!is_stdout)
			fclose(fp);
		return -1;
	}
	if (!is_stdout && fclose(fp) != 0) {
		complain("%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* "A/B" into a and b (each a valid id); "A" into a with b "". */
static int
split_pair(const char *id, char *a, char *b)
{
	const char *slash = strchr(id, '/');
	size_t n = slash != NULL ? (size_t)(slash - id) : strlen(id);

	if (n == 0 || n > ID_MAX)
		return -1;
	memcpy(a, id, n);
	a[n] = '\0';
	b[0] = '\0';
	if (slash != NULL) {
		if (strlen(slash + 1) > ID_MAX)
			return -1;
		memcpy(b, slash + 1, strlen(slash + 1) + 1);
		if (!id_valid(b))
			return -1;
	}
	return id_valid(a) ? 0 : -1;
}

/*
 * Fills req's path, title and target for template t and scope id. Returns
 * 0, or EXIT_USAGE / EXIT_RUNTIME with the reason said.
 */
static int
resolve(const struct opts *o, const struct inventory *inv, enum graph_template t,
    const char *id, struct graph_req *req)
{
	char a[ID_MAX + 1], b[ID_MAX + 1], err[256];

	if (inv == NULL) {
		/* No inventory: ids name the files directly. */
		if (split_pair(id, a, b) == -1 || (t != GRAPH_COVERAGE && b[0] == '\0')) {
			complain("'%s': without --inventory the id is %s", id, t == GRAPH_COVERAGE ?
			    "PROVINCE or PROVINCE/COMMUNE" : "PROVINCE/AGENT");
			return EXIT_USAGE;
		}
		snprintf(req->title, sizeof req->title, "%s", id);
		if ((t == GRAPH_COVERAGE ? graph_req_rollup(req, o->data_dir, a,
		    b[0] != '\0' ? b : NULL, err, sizeof err) : graph_req_site(req, o->data_dir,
		    a, b, err, sizeof err)) == -1) {
			complain("%s", err);
			return EXIT_USAGE;
		}
		return 0;
	}
	if (!id_valid(id)) {
		complain("'%s' is not a valid id", id);
		return EXIT_USAGE;
	}
	if (t != GRAPH_COVERAGE) {
		const struct inv_hamlet *h = inventory_hamlet(inv, id);

		if (h == NULL) {
			complain("%s: no such hamlet in %s", id, o->inventory);
			return EXIT_USAGE;
		}
		if (h->agent == NULL) {
			complain("hamlet %s (%s) has no agent installed: no data to draw", id,
			    h->name);
			return EXIT_RUNTIME;
		}
		snprintf(req->title, sizeof req->title, "%s, %s", h->name,
		    inv->communes[h->commune].name);
		if (graph_req_site(req, o->data_dir, inv->provinces[h->province].id, h->agent,
		    err, sizeof err) == -1) {
			complain("%s", err);
			return EXIT_USAGE;
		}
		return 0;
	}
	const struct inv_commune *c = inventory_commune(inv, id);
	const struct inv_province *p = inventory_province(inv, id);
	const struct inv_target *tg;

	if (c != NULL) {
		p = &inv->provinces[c->province];
		tg = &c->effective;
		snprintf(req->title, sizeof req->title, "%s, %s", c->name, p->name);
	} else if (p != NULL) {
		tg = &p->target;
		snprintf(req->title, sizeof req->title, "%s", p->name);
	} else {
		complain("%s: no such commune or province in %s", id, o->inventory);
		return EXIT_USAGE;
	}
	if (tg->set) {
		req->target_pct = tg->pct;
		if (tg->deadline != INV_NO_DATE)
			req->deadline = (int64_t)tg->deadline * 86400;
	}
	req->yellow_margin_pct = o->yellow_margin_pct;
	if (graph_req_rollup(req, o->data_dir, p->id, c != NULL ? c->id : NULL, err,
	    sizeof err) == -1) {
		complain("%s", err);
		return EXIT_USAGE;
	}
	return 0;
}

static int
cmd_render(const struct opts *o, const struct inventory *inv, int argc, char **argv)
{
	struct graph_req req;
	struct graph_out img;
	char err[1024], out[600];
	int t, r;

	if (argc != 2) {
		complain("render: expected TEMPLATE ID");
		return EXIT_USAGE;
	}
	if ((t = graph_template_lookup(argv[0])) == -1) {
		complain("render: unknown template '%s' (latency, throughput, radio, clients, "
		    "coverage)", argv[0]);
		return EXIT_USAGE;
	}
	graph_req_init(&req);
	req.tmpl = (enum graph_template)t;
	req.lang = o->lang;
	req.yellow_margin_pct = o->yellow_margin_pct;
	if (graph_range_parse(o->range_name, &req.range, err, sizeof err) == -1 ||
	    graph_format_parse(o->format_name, &req.format, err, sizeof err) == -1) {
		complain("render: %s", err);
		return EXIT_USAGE;
	}
	if (o->width != 0)
		req.width = o->width;
	if (o->height != 0)
		req.height = o->height;
	if ((r = resolve(o, inv, req.tmpl, argv[1], &req)) != 0)
		return r;

	if (o->print_args) {
		struct graph_args a;

		if (graph_build_args(&req, &a, err, sizeof err) == -1) {
			complain("%s", err);
			return EXIT_RUNTIME;
		}
		/* One argument a line, ready for `rrdtool graph FILE ...`. */
		for (int i = 2; i < a.argc; i++)
			printf("%s\n", a.argv[i]);
		graph_args_free(&a);
		return 0;
	}
	if (graph_render(&req, &img, err, sizeof err) == -1) {
		complain("%s", err);
		return EXIT_RUNTIME;
	}
	if (o->out != NULL)
		snprintf(out, sizeof out, "%s", o->out);
	else {
		char safe[ID_MAX + 2];

		/* PROVINCE/AGENT: a file name without the slash. */
		snprintf(safe, sizeof safe, "%s", argv[1]);
		for (char *p = safe; *p != '\0'; p++)
			if (*p == '/')
				*p = '_';
		snprintf(out, sizeof out, "%s-%s-%s.%s", safe, argv[0], o->range_name,
		    o->format_name);
	}
	r = write_file(out, &img) == -1 ? EXIT_RUNTIME : 0;
	graph_out_free(&img);
	return r;
}

/* --- report --- */

struct report {
	const struct opts *o;
	const struct inventory *inv;
	char dir[512];
	unsigned long graphs, missing, failed;
};

/* Writes s into fp with the five HTML specials escaped. */
static void
html(FILE *fp, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&': fputs("&amp;", fp); break;
		case '<': fputs("&lt;", fp); break;
		case '>': fputs("&gt;", fp); break;
		case '"': fputs("&quot;", fp); break;
		case '\'': fputs("&#39;", fp); break;
		default: fputc(*s, fp); break;
		}
	}
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
	fputs("<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\">\n<title>", fp);
	html(fp, title);
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
	fprintf(fp, "<p><small>covmon %s, generated %s</small></p>\n</body></html>\n",
	    COVMON_VERSION, ts);
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
	if (write_file(path, &img) == -1) {
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
		fputs("<td>no data</td>", fp);
	else
		fprintf(fp, "<td class=\"%s\">%.1f %%</td>", colour(rp, pct, t), pct);
	if (t->set) {
		inventory_date_str(t->deadline, day, sizeof day);
		fprintf(fp, "<td>%.0f %% by %s</td>", t->pct, day[0] != '\0' ? day : "—");
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
		fprintf(fp, "<img src=\"%s\" width=\"800\" height=\"300\" alt=\"coverage\">\n", name);
	else
		fputs("<p>No coverage history stored yet.</p>\n", fp);
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
	fprintf(fp, "<p><a href=\"index.html\">Provinces</a> › <a href=\"province-%s.html\">",
	    p->id);
	html(fp, p->name);
	fprintf(fp, "</a> › <a href=\"commune-%s.html\">", c->id);
	html(fp, c->name);
	fputs("</a></p>\n<h1>", fp);
	html(fp, h->name);
	fputs("</h1>\n<p>", fp);
	if (h->village[0] != '\0') {
		fputs("Village ", fp);
		html(fp, h->village);
		fputs(". ", fp);
	}
	if (h->agent != NULL)
		fprintf(fp, "Agent <code>%s</code>.", h->agent);
	else
		fputs("No agent installed yet.", fp);
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
		fputs("<p>No data stored for this agent yet.</p>\n", fp);
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
	fprintf(fp, "<p><a href=\"index.html\">Provinces</a> › <a href=\"province-%s.html\">",
	    p->id);
	html(fp, p->name);
	fputs("</a></p>\n<h1>", fp);
	html(fp, c->name);
	fputs("</h1>\n", fp);
	report_coverage(rp, fp, p, c, "1m");
	fputs("<table><tr><th>Hamlet</th><th>Village</th><th>Agent</th><th>Target date</th></tr>\n",
	    fp);
	for (size_t i = 0; i < inv->nhamlets; i++) {
		const struct inv_hamlet *h = &inv->hamlets[i];
		char day[16];

		if (&inv->communes[h->commune] != c)
			continue;
		inventory_date_str(h->target_date, day, sizeof day);
		fprintf(fp, "<tr><td><a href=\"hamlet-%s.html\">", h->id);
		html(fp, h->name);
		fputs("</a></td><td>", fp);
		html(fp, h->village);
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
	fputs("<p><a href=\"index.html\">Provinces</a></p>\n<h1>", fp);
	html(fp, p->name);
	fputs("</h1>\n", fp);
	report_coverage(rp, fp, p, NULL, "1m");
	fputs("<table><tr><th>Commune</th><th>Hamlets</th><th>Covered</th><th>Target</th></tr>\n",
	    fp);
	for (size_t i = 0; i < inv->ncommunes; i++) {
		const struct inv_commune *c = &inv->communes[i];

		if (&inv->provinces[c->province] != p)
			continue;
		snprintf(path, sizeof path, "%s/rrd/%s/_commune_%s.rrd", rp->o->data_dir, p->id,
		    c->id);
		fprintf(fp, "<tr><td><a href=\"commune-%s.html\">", c->id);
		html(fp, c->name);
		fprintf(fp, "</a></td><td>%zu</td>", c->nhamlets);
		target_cell(rp, fp, rollup_last_pct(path), &c->effective);
		fputs("</tr>\n", fp);
	}
	fputs("</table>\n", fp);
	return page_close(rp, fp, page);
}

static int
cmd_report(const struct opts *o, const struct inventory *inv, int argc)
{
	struct report rp = { .o = o, .inv = inv };
	char path[700];
	FILE *fp;
	int rc = 0;

	if (argc != 0) {
		complain("report: unexpected arguments");
		return EXIT_USAGE;
	}
	if (inv == NULL || o->out == NULL) {
		complain("report: needs --inventory and --out DIR");
		return EXIT_USAGE;
	}
	if (o->province != NULL && inventory_province(inv, o->province) == NULL) {
		complain("report: %s: no such province in %s", o->province, o->inventory);
		return EXIT_USAGE;
	}
	if (copy(rp.dir, sizeof rp.dir, o->out, "--out") == -1)
		return EXIT_USAGE;
	snprintf(path, sizeof path, "%s/img", rp.dir);
	if ((mkdir(rp.dir, 0755) == -1 && errno != EEXIST) ||
	    (mkdir(path, 0755) == -1 && errno != EEXIST)) {
		complain("%s: %s", path, strerror(errno));
		return EXIT_RUNTIME;
	}

	if ((fp = page_open(&rp, "index.html", "Coverage")) == NULL)
		return EXIT_RUNTIME;
	fputs("<h1>Coverage by province</h1>\n<table><tr><th>Province</th><th>Communes</th>"
	    "<th>Hamlets</th><th>Covered</th><th>Target</th></tr>\n", fp);
	for (size_t i = 0; i < inv->nprovinces; i++) {
		const struct inv_province *p = &inv->provinces[i];

		if (o->province != NULL && strcmp(o->province, p->id) != 0)
			continue;
		snprintf(path, sizeof path, "%s/rrd/%s/_province.rrd", o->data_dir, p->id);
		fprintf(fp, "<tr><td><a href=\"province-%s.html\">", p->id);
		html(fp, p->name);
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

static int
parse_px(const char *s, unsigned *out, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v == 0 || v > 100000) {
		complain("%s '%s': expected a number of pixels", what, s);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

int
main(int argc, char **argv)
{
	enum { O_CHECK = 256, O_DATA, O_INV, O_TARGETS, O_RANGE, O_FORMAT, O_WIDTH, O_HEIGHT,
		O_PRINT, O_PROVINCE, O_LANG, O_VERSION };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, O_CHECK },
		{ "data-dir", required_argument, NULL, O_DATA },
		{ "inventory", required_argument, NULL, O_INV },
		{ "targets", required_argument, NULL, O_TARGETS },
		{ "range", required_argument, NULL, O_RANGE },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "out", required_argument, NULL, 'o' },
		{ "width", required_argument, NULL, O_WIDTH },
		{ "height", required_argument, NULL, O_HEIGHT },
		{ "print-args", no_argument, NULL, O_PRINT },
		{ "province", required_argument, NULL, O_PROVINCE },
		{ "lang", required_argument, NULL, O_LANG },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, O_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .range_name = "1d", .format_name = "png",
		.yellow_margin_pct = DEFAULT_YELLOW_MARGIN, .lang = GRAPH_EN };
	char lerr[128];
	struct inventory *inv = NULL;
	bool dd_set = false, inv_set = false, tg_set = false;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "c:o:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			if (copy(o.conf_path, sizeof o.conf_path, optarg, "-c") == -1)
				return EXIT_USAGE;
			break;
		case O_CHECK: o.check = true; break;
		case O_DATA:
			if (copy(o.data_dir, sizeof o.data_dir, optarg, "--data-dir") == -1)
				return EXIT_USAGE;
			dd_set = true;
			break;
		case O_INV:
			if (copy(o.inventory, sizeof o.inventory, optarg, "--inventory") == -1)
				return EXIT_USAGE;
			inv_set = true;
			break;
		case O_TARGETS:
			if (copy(o.targets, sizeof o.targets, optarg, "--targets") == -1)
				return EXIT_USAGE;
			tg_set = true;
			break;
		case O_RANGE: o.range_name = optarg; break;
		case O_FORMAT: o.format_name = optarg; break;
		case 'o': o.out = optarg; break;
		case O_WIDTH:
			if (parse_px(optarg, &o.width, "--width") == -1)
				return EXIT_USAGE;
			break;
		case O_HEIGHT:
			if (parse_px(optarg, &o.height, "--height") == -1)
				return EXIT_USAGE;
			break;
		case O_PRINT: o.print_args = true; break;
		case O_PROVINCE: o.province = optarg; break;
		case O_LANG:
			if (graph_lang_parse(optarg, &o.lang, lerr, sizeof lerr) == -1) {
				complain("--lang: %s", lerr);
				return EXIT_USAGE;
			}
			break;
		case 'h': usage(stdout); return 0;
		case O_VERSION: printf("covmon-graph %s\n", COVMON_VERSION); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (o.conf_path[0] != '\0' && load_config(&o, dd_set, inv_set, tg_set) == -1)
		return EXIT_USAGE;
	if (o.data_dir[0] == '\0')
		snprintf(o.data_dir, sizeof o.data_dir, "/var/lib/covmon");
	if (o.targets[0] != '\0' && o.inventory[0] == '\0') {
		complain("--targets needs --inventory");
		return EXIT_USAGE;
	}
	if (load_inventory(&o, &inv) == -1)
		return EXIT_USAGE;
	if (o.check) {
		printf("[graph]\ndata_dir = %s\ninventory = %s\ntargets = %s\n\n[coverage]\n"
		    "yellow_margin_pct = %g\n", o.data_dir, o.inventory, o.targets,
		    o.yellow_margin_pct);
		if (inv != NULL)
			inventory_summary(inv, stdout);
		inventory_free(inv);
		return 0;
	}
	if (optind >= argc) {
		usage(stderr);
		inventory_free(inv);
		return EXIT_USAGE;
	}
	if (strcmp(argv[optind], "render") == 0)
		rc = cmd_render(&o, inv, argc - optind - 1, argv + optind + 1);
	else if (strcmp(argv[optind], "report") == 0)
		rc = cmd_report(&o, inv, argc - optind - 1);
	else {
		complain("unknown command '%s' (render, report)", argv[optind]);
		usage(stderr);
		rc = EXIT_USAGE;
	}
	inventory_free(inv);
	return rc;
}
