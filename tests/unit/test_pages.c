/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The dashboard (collector/pages*.c): every page rendered from a snapshot
 * made by hand (as in test_api.c), checked for what a reader sees: names
 * escaped, the map's dots, the language, the status of bad and unknown
 * ids; and /graph/ resolved, refused and rendered from a real RRD file. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testlib.h"
#include "testlib_snapshot.h"
#include "target.h"

#include <rrd.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "collector.h"
#include "coverage.h"
#include "pages.h"
#include "pages_int.h"
#include "snapshot.h"
#include "state_db.h"

#include <sqlite3.h>

#define HDR	"hamlet_id,hamlet_name,village,commune_id,commune_name," \
		"province_id,province_name,lat,lon,agent_id,uplink_hamlet_id," \
		"target_date,population\n"

#define XSS_NAME	"<script>\"x\"</script>"
#define XSS_ESC		"&lt;script&gt;&quot;x&quot;&lt;/script&gt;"

static const char inv_csv[] = HDR
    "suoi-chai,Suối Chải,Thôn Suối Chải,bat-xat,Bát Xát,lao-cai,Lào Cai,"
    "22.56956,103.85367,a-suoichai,,2025-07-18,1263\n"
    "phin-ho,Phìn Hồ,,bat-xat,Bát Xát,lao-cai,Lào Cai,22.52302,103.93298,a-phinho,suoi-chai,,\n"
    "ta-leng,Tả Lèng,,y-ty,Y Tý,lao-cai,Lào Cai,22.63231,103.62273,a-taleng,,2030-01-01,\n"
    "y-ty-1,Y Tý 1,,y-ty,Y Tý,lao-cai,Lào Cai,22.64960,103.59487,a-yty,ta-leng,,\n"
    "xss,\"<script>\"\"x\"\"</script>\",\"<b>v</b>\",y-ty,Y Tý,lao-cai,Lào Cai,"
    "22.60111,103.58581,,,2020-01-01,\n"
    "no-coords,Không Tọa Độ,,y-ty,Y Tý,lao-cai,Lào Cai,,,a-nocoords,,,\n"
    "lung-cu,Lũng Cú,,dong-van,Đồng Văn,ha-giang,Hà Giang,23.36,105.32,a-lungcu,,,\n";

static const char tgt_csv[] = "scope,id,coverage_pct,deadline\n"
    "province,lao-cai,95,2026-06-30\n"
    "commune,bat-xat,90,2025-09-30\n";

#define NOW	1700000000.0
/* The first five play the parts of tl_snapshot_by_hand() (testlib.h). */
enum { SUOI_CHAI = TL_COVERED, PHIN_HO = TL_LOSSY, TA_LENG = TL_ROOT, Y_TY_1 = TL_CUT,
    XSS = TL_OVERDUE, NO_COORDS, LUNG_CU, NH };

struct fx {
	char dir[64];
	struct snapshot *s;
	struct coverage *cov;
	struct coverage_conf thr;
	struct pages_source src;
	struct pages_env env;
};

/* A fake state DB: ta-leng down for 5 hours this week, and its history. */
static int
fake_downtime(void *arg, double from, double to, struct pages_downtime *out, int max)
{
	(void)arg;
	assert_true(to - from >= 7 * 86400 - 1);
	if (max < 2)
		return 0;
	snprintf(out[0].hamlet, sizeof out[0].hamlet, "ta-leng");
	out[0].seconds = 5 * 3600 + 60;
	/* A hamlet a reload removed: not shown. */
	snprintf(out[1].hamlet, sizeof out[1].hamlet, "gone-away");
	out[1].seconds = 3600;
	return 2;
}

static int
fake_history(void *arg, const char *hamlet, struct pages_stretch *out, int max)
{
	(void)arg;
	if (strcmp(hamlet, "ta-leng") != 0 || max < 2)
		return 0;
	snprintf(out[0].state, sizeof out[0].state, "down");
	out[0].since = NOW - 3600;
	out[0].until = 0;
	snprintf(out[1].state, sizeof out[1].state, "covered");
	out[1].since = NOW - 86400;
	out[1].until = NOW - 3600;
	return 2;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	static const uint8_t st[NH] = { HS_COVERED, HS_DEGRADED, HS_DOWN,
	    HS_UNREACHABLE, HS_UNMONITORED, HS_COVERED, HS_COVERED };

	assert_non_null(f);
	tl_tmpdir(f->dir, sizeof f->dir, "pages");
	struct snapshot *s = tl_snapshot_by_hand(f->dir, inv_csv, tgt_csv, st, NH, NOW);
	struct agent_view *v = &s->views[SUOI_CHAI];
	v->m[M_RADIO_SNR_DB] = 12;
	v->m[M_BATTERY_PCT] = 35;
	v->m[M_CLIENTS] = 14;
	v->present |= UINT64_C(1) << M_RADIO_SNR_DB | UINT64_C(1) << M_BATTERY_PCT |
	    UINT64_C(1) << M_CLIENTS;

	f->s = s;
	f->cov = s->cov;
	f->thr = (struct coverage_conf){ .window = 900, .offline_after = 180,
	    .max_loss_pct = 5, .max_rtt_ms = 300, .yellow_margin_pct = 10 };
	f->src = (struct pages_source){ .worst_downtime = fake_downtime,
	    .history = fake_history };
	f->env = (struct pages_env){ .thr = &f->thr, .data_dir = f->dir, .src = &f->src,
	    .now = NOW };
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	int rc;

	tl_snapshot_free(f->s);
	rc = tl_rmtree(f->dir);
	free(f);
	return rc;
}

/* Renders url; returns the body (freed by the next call). */
static char *body;

static const char *
get_q(struct fx *f, const char *url, const char *const *q, const char *accept,
    unsigned want)
{
	struct pages_out out;

	free(body);
	body = NULL;
	assert_int_equal(pages_render(f->s, &f->env, url, tl_query, (void *)q, accept, &out), 0);
	body = out.body;
	if (out.status != want)
		fail_msg("%s: status %u, expected %u:\n%s", url, out.status, want, out.body);
	assert_string_equal(out.type, "text/html; charset=utf-8");
	assert_int_equal(strlen(out.body), out.len);
	assert_non_null(strstr(out.body, "<!DOCTYPE html>"));
	assert_non_null(strstr(out.body, "</html>"));
	assert_non_null(strstr(out.body, "name=\"viewport\""));
	/* Whatever the page, the inventory's HTML never goes out as HTML. */
	assert_null(strstr(out.body, "<script"));
	assert_null(strstr(out.body, "<b>v</b>"));
	return out.body;
}

static const char *
get(struct fx *f, const char *url, unsigned want)
{
	return get_q(f, url, NULL, NULL, want);
}

static int
count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

#define HAS(b, s)	do { if (strstr((b), (s)) == NULL) fail_msg("missing: %s", (s)); } while (0)
#define HASNT(b, s)	do { if (strstr((b), (s)) != NULL) fail_msg("present: %s", (s)); } while (0)

static void
test_overview(void **state)
{
	struct fx *f = *state;
	const char *b = get(f, "/", 200);

	HAS(b, "<html lang=\"en\">");
	HAS(b, "href=\"/static/covmon.css\"");
	HAS(b, "<a href=\"/province/lao-cai\">Lào Cai</a>");
	HAS(b, "<a href=\"/province/ha-giang\">Hà Giang</a>");
	/* Lào Cai: 2 of 6 covered, 33.3 % against 95: red. */
	HAS(b, "<td class=\"num c-red\" data-label=\"Covered\"><b>33.3&nbsp;%</b>");
	HAS(b, "All provinces");
	/* Communes behind: Bát Xát 50 % of 90 (40 short), Y Tý 25 % of 95. */
	HAS(b, "Communes furthest behind their target");
	const char *yty = strstr(b, "<a href=\"/commune/y-ty\">"), *bx = strstr(b,
	    "<a href=\"/commune/bat-xat\">");
	assert_true(yty != NULL && bx != NULL && yty < bx);
	HAS(b, "70.0&nbsp;%");
	/* Worst loss: Phìn Hồ 12.5 % first. */
	const char *ph = strstr(b, "Worst hamlets by packet loss");
	assert_non_null(ph);
	HAS(ph, "<a href=\"/hamlet/phin-ho\">Phìn Hồ</a>");
	HAS(ph, "12.5&nbsp;%");
	/* Downtime from the state DB; the unknown hamlet left out. */
	const char *dt = strstr(b, "Worst hamlets by downtime");
	assert_non_null(dt);
	HAS(dt, "<a href=\"/hamlet/ta-leng\">Tả Lèng</a>");
	HAS(dt, "5 h 1 min");
	HASNT(b, "gone-away");
	HAS(b, "href=\"/alerts\"");
}

static void
test_overview_without_db(void **state)
{
	struct fx *f = *state;

	f->env.src = NULL;
	const char *b = get(f, "/", 200);
	HAS(b, "cannot be read now");
	HAS(b, "<h2>Firing alerts</h2>");
}

static void
test_province_map(void **state)
{
	struct fx *f = *state;
	const char *b = get(f, "/province/lao-cai", 200);

	HAS(b, "<h1>Province Lào Cai</h1>");
	/* Communes worst first: Y Tý (25 %, red) before Bát Xát (50 %, red). */
	const char *yty = strstr(b, "<a href=\"/commune/y-ty\">"), *bx = strstr(b,
	    "<a href=\"/commune/bat-xat\">");
	assert_true(yty != NULL && bx != NULL && yty < bx);
	/* The map: one circle per placed hamlet of the province, each a link,
	 * coloured by its state; no-coords is not on it, lung-cu is elsewhere. */
	const char *map = strstr(b, "<svg class=\"map\"");
	assert_non_null(map);
	const char *end = strstr(map, "</svg>");
	assert_non_null(end);
	char *m = strndup(map, (size_t)(end - map));
	assert_non_null(m);
	assert_int_equal(count(m, "<circle "), 5);
	HAS(m, "<a href=\"/hamlet/suoi-chai\"><circle class=\"st-covered\"");
	HAS(m, "<a href=\"/hamlet/phin-ho\"><circle class=\"st-degraded\"");
	HAS(m, "<a href=\"/hamlet/ta-leng\"><circle class=\"st-down\"");
	HAS(m, "<a href=\"/hamlet/y-ty-1\"><circle class=\"st-unreachable\"");
	HAS(m, "<a href=\"/hamlet/xss\"><circle class=\"st-unmonitored\"");
	HAS(m, "<title>" XSS_ESC ", Y Tý — unmonitored</title>");
	HASNT(m, "no-coords");
	HASNT(m, "lung-cu");
	/* Uplinks drawn: phin-ho → suoi-chai, y-ty-1 → ta-leng. */
	assert_int_equal(count(m, "<line "), 2);
	/* Every circle inside the viewBox. */
	double w, h;
	assert_int_equal(sscanf(strstr(m, "viewBox=\"") + 9, "0 0 %lf %lf", &w, &h), 2);
	for (const char *c = m; (c = strstr(c, "cx=\"")) != NULL; c += 4) {
		double x, y;
		assert_int_equal(sscanf(c, "cx=\"%lf\" cy=\"%lf\"", &x, &y), 2);
		assert_true(x >= 0 && x <= w && y >= 0 && y <= h);
	}
	free(m);
	/* The legend, with counts; the hamlet without coordinates said. */
	HAS(b, "<ul class=\"legend\">");
	HAS(b, "<span class=\"dot st-down\"></span>down (1)");
	HAS(b, "1 without coordinates");
	/* No rollup file yet: no broken image. */
	HASNT(b, "/graph/coverage/lao-cai.png");
	HAS(b, "no data yet");
}

/* Inside one map: the <svg> of the province page (a copy, to free). */
static char *
map_of(const char *b)
{
	const char *map = strstr(b, "<svg class=\"map\"");
	assert_non_null(map);
	const char *end = strstr(map, "</svg>");
	assert_non_null(end);
	char *m = strndup(map, (size_t)(end - map));
	assert_non_null(m);
	return m;
}

/* Names on the map, and the tile layer of [http] map_tiles. */
static void
test_map_names_tiles(void **state)
{
	struct fx *f = *state;
	char *m = map_of(get(f, "/province/lao-cai", 200));

	/* Every dot says its name, commune and state on hover. */
	assert_int_equal(count(m, "<title>"), count(m, "<circle "));
	HAS(m, "<title>Tả Lèng, Y Tý — down</title>");
	HAS(m, "<title>Phìn Hồ, Bát Xát — degraded</title>");
	/* The worst ones named on the map: down, then unreachable; the rest
	 * not. */
	HAS(m, ">Tả Lèng</text>");
	HAS(m, ">Y Tý 1</text>");
	assert_int_equal(count(m, "<text class=\"lbl\""), 2);
	HASNT(m, ">Suối Chải</text>");
	/* The communes' names, small, at their hamlets' centre. */
	HAS(m, "<text class=\"cname\"");
	HAS(m, ">Bát Xát</text>");
	/* No tiles unless configured: nothing fetched from elsewhere. */
	HASNT(m, "<image");
	free(m);
	HASNT(body, "OpenStreetMap");

	/* With tiles: OpenStreetMap's, under everything, with its credit. */
	f->env.map_tiles = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
	const char *b = get(f, "/province/lao-cai", 200);
	m = map_of(b);
	HAS(m, "<image class=\"tile\" href=\"https://tile.openstreetmap.org/");
	assert_true(strstr(m, "<image") < strstr(m, "<circle"));
	assert_true(strstr(m, "<image") < strstr(m, "<line"));
	HASNT(m, "{z}");
	HASNT(m, "{x}");
	/* The tiles cover the map: each corner and Suối Chải in one of them,
	 * at one zoom, Suối Chải's tile by the Web Mercator formulas. */
	double w, h;
	assert_int_equal(sscanf(strstr(m, "viewBox=\"") + 9, "0 0 %lf %lf", &w, &h), 2);
	const double pts[][2] = { { 0.5, 0.5 }, { w - 0.5, 0.5 }, { 0.5, h - 0.5 }, { w - 0.5, h - 0.5 } };
	int zoom = -1, ntiles = 0;
	bool covered[4] = { false }, sc = false;
	const char *sc_dot = strstr(m, "<a href=\"/hamlet/suoi-chai\">");
	double scx, scy;
	assert_non_null(sc_dot);
	assert_int_equal(sscanf(strstr(sc_dot, "cx=\""), "cx=\"%lf\" cy=\"%lf\"", &scx, &scy), 2);
	for (const char *t = m; (t = strstr(t, "<image class=\"tile\" href=\"")) != NULL; t++) {
		int z, x, y;
		double tx, ty, tw, th;
		assert_int_equal(sscanf(t, "<image class=\"tile\" href=\"https://tile.openstreetmap.org/"
		    "%d/%d/%d.png\" x=\"%lf\" y=\"%lf\" width=\"%lf\" height=\"%lf\"/>", &z, &x, &y,
		    &tx, &ty, &tw, &th), 7);
		assert_true(zoom < 0 || zoom == z);
		zoom = z;
		assert_true(tw >= 256 && tw < 513 && tw == th);
		for (int k = 0; k < 4; k++)
			covered[k] |= pts[k][0] >= tx && pts[k][0] <= tx + tw && pts[k][1] >= ty &&
			    pts[k][1] <= ty + th;
		if (scx >= tx && scx < tx + tw && scy >= ty && scy < ty + th) {
			double n = ldexp(1, z), la = 22.56956 * M_PI / 180;
			assert_int_equal(x, (int)floor((103.85367 + 180) / 360 * n));
			assert_int_equal(y, (int)floor((1 - asinh(tan(la)) / M_PI) / 2 * n));
			sc = true;
		}
		ntiles++;
	}
	assert_true(ntiles >= 1 && ntiles <= 64);
	assert_true(covered[0] && covered[1] && covered[2] && covered[3] && sc);
	free(m);
	HAS(b, "<a href=\"https://www.openstreetmap.org/copyright\">© OpenStreetMap contributors</a>");
	b = get_q(f, "/province/lao-cai", (const char *const[]){ "lang", "vi", NULL }, NULL, 200);
	HAS(b, "© Những người đóng góp OpenStreetMap");

	/* Another server: its URL escaped, no OpenStreetMap credit. */
	f->env.map_tiles = "http://tiles.example:8080/m/{z}/{x}/{y}.png?a=1&b=2";
	b = get(f, "/province/lao-cai", 200);
	HAS(b, "<image class=\"tile\" href=\"http://tiles.example:8080/m/");
	HAS(b, ".png?a=1&amp;b=2\"");
	HASNT(b, "OpenStreetMap");
	f->env.map_tiles = "";
	b = get(f, "/province/lao-cai", 200);
	HASNT(b, "<image");
	f->env.map_tiles = NULL;
}

/* [http] map_tiles in collector.conf: empty by default, an http(s) URL
 * with {z}, {x} and {y}, else refused naming the file and line. */
static void
test_map_tiles_conf(void **state)
{
	struct collector_conf *cc = calloc(1, sizeof *cc);
	char path[64], err[1024];
	static const struct {
		const char *value, *why;
	} bad[] = {
		{ "tile.openstreetmap.org/{z}/{x}/{y}.png", "http:// or https://" },
		{ "ftp://tiles.example/{z}/{x}/{y}.png", "http:// or https://" },
		{ "javascript:alert(1)//{z}{x}{y}", "http:// or https://" },
		{ "https://tiles.example/{z}/{x}.png", "{z}, {x} and {y}" },
		{ "https://{s}.tile.example/{z}/{x}/{y}.png", "host name" },
		{ "https://tiles.example;img-src */{z}/{x}/{y}.png", "host name" },
		{ "https://tiles.example/{z}/{x}/{y}.png?k={key}", "only {z}, {x} and {y}" },
		{ "https://tiles.example/{z}/{x}/{y}\".png", "quotes" },
	};
	int fd;

	(void)state;
	assert_non_null(cc);
	snprintf(path, sizeof path, "/tmp/covmon-pages-conf-XXXXXX");
	assert_true((fd = mkstemp(path)) >= 0);
	close(fd);
	tl_write_file(path, "[collector]\n[http]\nlisten = 127.0.0.1:8080\n");
	assert_int_equal(collector_conf_load(cc, path, err, sizeof err), 0);
	assert_string_equal(cc->map_tiles, "");
	tl_write_file(path, "[collector]\n[http]\nmap_tiles = https://tile.openstreetmap.org/{z}/{x}/{y}.png\n");
	if (collector_conf_load(cc, path, err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_string_equal(cc->map_tiles, "https://tile.openstreetmap.org/{z}/{x}/{y}.png");
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		char ini[512], where[96];
		snprintf(ini, sizeof ini, "[collector]\n[http]\n\nmap_tiles = %s\n", bad[k].value);
		tl_write_file(path, ini);
		assert_int_equal(collector_conf_load(cc, path, err, sizeof err), -1);
		snprintf(where, sizeof where, "%s:4: [http] map_tiles = ", path);
		if (strstr(err, where) == NULL || strstr(err, bad[k].why) == NULL)
			fail_msg("%s: \"%s\": expected %s and %s", bad[k].value, err, where, bad[k].why);
	}
	unlink(path);
	free(cc);
}

static void
test_commune(void **state)
{
	struct fx *f = *state;
	const char *b = get(f, "/commune/y-ty", 200);

	HAS(b, "<h1>Commune Y Tý</h1>");
	HAS(b, "<a href=\"/province/lao-cai\">Lào Cai</a>");
	HAS(b, "<a href=\"/hamlet/xss\">" XSS_ESC "</a>");
	/* Worst first: down, unreachable (with its root), unmonitored, covered. */
	const char *down = strstr(b, "/hamlet/ta-leng\">"), *unr = strstr(b, "/hamlet/y-ty-1\">");
	const char *unm = strstr(b, "/hamlet/xss\">"), *cov = strstr(b, "/hamlet/no-coords\">");
	assert_true(down && unr && unm && cov && down < unr && unr < unm && unm < cov);
	HAS(b, "cut off by <a href=\"/hamlet/ta-leng\">");
	HAS(b, "(Overdue)");
	HAS(b, "<span class=\"badge st-unreachable\">unreachable</span>");
	/* last seen "… ago" with the time as a tooltip; never for unmonitored */
	HAS(b, "<time title=\"2023-11-14 22:12\">3");
	HAS(b, "never");
	/* On a phone: one line per cell, labelled with its column. */
	HAS(b, "<table class=\"hamlets stack\">");
	HAS(b, "<td class=\"name\" data-label=\"Hamlet\"><a href=\"/hamlet/ta-leng\">");
	HAS(b, "data-label=\"Last seen\"><time");
	/* Tả Lèng is down: its last loss and RTT are not current figures. */
	const char *row = strstr(b, "/hamlet/ta-leng\">");
	HAS(row, "<td class=\"num old\" data-label=\"Loss\">1.5&nbsp;%<small class=\"asof\">"
	    "as of 2023-11-14 22:");
	HAS(row, "<td class=\"num old\" data-label=\"RTT\">42&nbsp;ms<small class=\"asof\">as of ");
	/* Không Tọa Độ is covered and its figures are of the window. */
	row = strstr(b, "/hamlet/no-coords\">");
	HAS(row, "<td class=\"num\" data-label=\"Loss\">1.5&nbsp;%</td>");
	char *one = strndup(row, (size_t)(strstr(row, "</tr>") - row));
	assert_non_null(one);
	HASNT(one, "asof");
	free(one);
	/* ... until its values are older than the window: then they are old
	 * too, in Vietnamese as well. */
	f->thr.window = 10;
	b = get_q(f, "/commune/y-ty", (const char *const[]){ "lang", "vi", NULL }, NULL, 200);
	row = strstr(b, "/hamlet/no-coords?lang=vi\">");
	assert_non_null(row);
	HAS(row, "<td class=\"num old\" data-label=\"Mất gói\">1.5&nbsp;%<small class=\"asof\">"
	    "lúc 2023-11-14 22:");
	f->thr.window = 900;
}

static void
test_hamlet(void **state)
{
	struct fx *f = *state;
	const char *b = get(f, "/hamlet/suoi-chai", 200);

	HAS(b, "<h1>Suối Chải</h1>");
	HAS(b, "<span class=\"badge big st-covered\">covered</span>");
	/* Verdicts: window loss and RTT against [coverage], the rest against
	 * the agent's defaults. */
	HAS(b, "<tr><th>Loss</th><td class=\"num\">1.5&nbsp;%</td><td class=\"v-ok\">ok");
	HAS(b, "<tr><th>RTT</th><td class=\"num\">42&nbsp;ms</td><td class=\"v-ok\">ok");
	HAS(b, "<tr><th>Signal</th><td class=\"num\">-67&nbsp;dBm</td><td class=\"v-ok\">ok");
	HAS(b, "<tr><th>SNR</th><td class=\"num\">12&nbsp;dB</td><td class=\"v-bad\">BAD");
	HAS(b, "<tr><th>Battery</th><td class=\"num\">35&nbsp;%</td><td class=\"v-warn\">warn");
	HAS(b, "Thôn Suối Chải");
	HASNT(b, "not reporting");
	HAS(b, "Population</dt><dd>1263");
	/* Direct backhaul, and the sites behind it. */
	HAS(b, "direct backhaul");
	HAS(b, "Sites whose backhaul goes through this one: <a href=\"/hamlet/phin-ho\">");
	/* Graphs: no file yet, so no <img>, but the latency slot says so. */
	HASNT(b, "<img");
	HAS(b, "Latency and loss, last day — no data yet");
	HAS(b, "Recent alerts");

	/* An unreachable hamlet: the root and the chain. */
	b = get(f, "/hamlet/y-ty-1", 200);
	HAS(b, "Cut off because this site is down: <a href=\"/hamlet/ta-leng\">Tả Lèng</a>");
	const char *chain = strstr(b, "<ol class=\"chain\">");
	assert_non_null(chain);
	HAS(chain, "<li><b>Y Tý 1</b> <small>(this site)</small> <span class=\"badge "
	    "st-unreachable\">");
	HAS(chain, "<li><a href=\"/hamlet/ta-leng\">Tả Lèng</a> <span class=\"badge st-down\">"
	    "down</span> <small class=\"muted\">direct backhaul</small></li>");

	/* The history from the state DB. */
	b = get(f, "/hamlet/ta-leng", 200);
	HAS(b, "<ul class=\"history\">");
	HAS(b, "<span class=\"badge st-down\">down</span> 1 h 0 min (now)");
	/* Down: its last values are old news, and the page says so; each is
	 * shown with its time, none with a verdict. */
	HAS(b, "The site is not reporting");
	HAS(b, "<table class=\"values stale\">");
	HAS(b, "<tr><th>Loss</th><td class=\"num old\">1.5&nbsp;%</td><td class=\"old\">"
	    "<small class=\"asof\">as of 2023-11-14 22:");
	HASNT(b, "<tr><th>Loss</th><td class=\"num\">");
	HASNT(b, "<td class=\"v-ok\">");

	/* Values older than the coverage window are old even while the
	 * hamlet still counts as covered. */
	f->thr.window = 10;
	b = get(f, "/hamlet/suoi-chai", 200);
	HAS(b, "<tr><th>Signal</th><td class=\"num old\">-67&nbsp;dBm</td><td class=\"old\">"
	    "<small class=\"asof\">as of ");
	HASNT(b, "<td class=\"v-ok\">");
	f->thr.window = 900;

	/* Escaped name in the title, heading and village. */
	b = get(f, "/hamlet/xss", 200);
	HAS(b, "<title>" XSS_ESC " — covmon</title>");
	HAS(b, "<h1>" XSS_ESC "</h1>");
	HAS(b, "&lt;b&gt;v&lt;/b&gt;");
	HAS(b, "no agent installed");
	HAS(b, "<span class=\"badge st-down\">Overdue</span>");
	HAS(b, "No values received from this site yet.");
}

static void
test_alerts(void **state)
{
	struct fx *f = *state;
	const char *b = get(f, "/alerts", 200);

	HAS(b, "<h1>Alerts</h1>");
	HAS(b, "Silences");
	HAS(b, "<a href=\"/hamlet/ta-leng\">");
	HAS(b, "<a href=\"/hamlet/phin-ho\">");
	HASNT(b, "/hamlet/suoi-chai\"");
}

static void
test_language(void **state)
{
	struct fx *f = *state;
	static const char *const vi[] = { "lang", "vi", NULL };
	static const char *const en[] = { "lang", "en", NULL };

	const char *b = get_q(f, "/", vi, NULL, 200);
	HAS(b, "<html lang=\"vi\">");
	HAS(b, "Tổng quan phủ sóng");
	/* The choice follows the links. */
	HAS(b, "<a href=\"/province/lao-cai?lang=vi\">Lào Cai</a>");
	HAS(b, "<a class=\"on\" href=\"/?lang=vi\">VI</a>");

	b = get_q(f, "/hamlet/ta-leng", NULL, "vi-VN,vi;q=0.9,en;q=0.5", 200);
	HAS(b, "<html lang=\"vi\">");
	HAS(b, "mất kết nối");
	HAS(b, "<a href=\"/commune/y-ty\">Y Tý</a>");	/* header chosen: no ?lang */

	b = get_q(f, "/hamlet/ta-leng", en, "vi", 200);
	HAS(b, "<html lang=\"en\">");
	b = get_q(f, "/", NULL, "en-US,en;q=0.9,vi;q=0.8", 200);
	HAS(b, "<html lang=\"en\">");
	b = get_q(f, "/", NULL, "video/x", 200);	/* not a language tag "vi" */
	HAS(b, "<html lang=\"en\">");

	assert_int_equal(pages_lang(NULL, NULL), PAGES_EN);
	assert_int_equal(pages_lang("vi", NULL), PAGES_VI);
	assert_int_equal(pages_lang("xx", "vi"), PAGES_VI);
	assert_int_equal(pages_lang(NULL, " vi"), PAGES_VI);
	assert_int_equal(pages_lang(NULL, "VI-vn"), PAGES_VI);
}

static void
test_refresh(void **state)
{
	struct fx *f = *state;
	static const char *const r60[] = { "refresh", "60", NULL };
	static const char *const bad[] = { "refresh", "1; url=http://evil/", NULL };
	static const char *const both[] = { "refresh", "30", "lang", "vi", NULL };

	const char *b = get_q(f, "/", r60, NULL, 200);
	HAS(b, "<meta http-equiv=\"refresh\" content=\"60\">");
	HAS(b, "<a href=\"/province/lao-cai?refresh=60\">");
	b = get_q(f, "/", bad, NULL, 200);
	HASNT(b, "http-equiv");
	HASNT(b, "evil");
	b = get_q(f, "/commune/y-ty", both, NULL, 200);
	HAS(b, "content=\"30\"");
	HAS(b, "href=\"/hamlet/ta-leng?lang=vi&amp;refresh=30\"");
	HAS(b, "href=\"/commune/y-ty?lang=en&amp;refresh=30\">EN</a>");
}

static void
test_errors(void **state)
{
	struct fx *f = *state;
	const char *b;

	b = get(f, "/hamlet/nope", 404);
	HAS(b, "Not found");
	get(f, "/commune/lao-cai", 404);	/* a province id is not a commune */
	get(f, "/province/bat-xat", 404);
	/* Malformed ids: 400, and never echoed. */
	static const char *const bad[] = { "/hamlet/../../etc/passwd", "/hamlet/",
	    "/hamlet/a/b", "/province/.hidden", "/commune/Bat-Xat",
	    ("/hamlet/" XSS_NAME), "/hamlet/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		b = get(f, bad[i], 400);
		HAS(b, "Bad id");
		HASNT(b, "passwd");
	}
	get(f, "/nothing-here", 404);
	get(f, "/alertsx", 404);

	/* Before the first evaluation: 503, and the page comes back by itself. */
	struct snapshot *keep = f->s;
	f->s = NULL;
	b = get(f, "/", 503);
	HAS(b, "http-equiv=\"refresh\" content=\"5\"");
	get(f, "/hamlet/suoi-chai", 503);
	get(f, "/hamlet/..", 400);
	get(f, "/alerts", 200);
	f->s = keep;
}

/* --- alerts from a real state DB --- */

/* The collector's state DB in the fixture's directory (the writer's
 * connection, kept open as in the collector), and the pages' reader of it
 * for the alerts; downtime and history stay the fakes above. */
struct alert_fx {
	struct state_db *sdb;
	struct pages_db *pdb;
};

static void
alert_db_open(struct fx *f, struct alert_fx *a)
{
	char path[128], err[256];
	struct pages_source real;

	snprintf(path, sizeof path, "%s/state.db", f->dir);
	if (state_db_open(&a->sdb, path, err, sizeof err) == -1)
		fail_msg("state_db_open: %s", err);
	assert_non_null(a->pdb = pages_db_new(f->dir));
	pages_db_source(a->pdb, &real);
	f->src.alerts = real.alerts;
	f->src.silences = real.silences;
	f->src.arg = real.arg;
}

static void
alert_db_close(struct alert_fx *a)
{
	pages_db_free(a->pdb);
	state_db_close(a->sdb);
}

/* One statement, formatted by sqlite3_vmprintf (%Q quotes a string). */
static void
sql(struct alert_fx *a, const char *fmt, ...)
{
	char *q, *err = NULL;
	va_list ap;

	va_start(ap, fmt);
	q = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	assert_non_null(q);
	if (sqlite3_exec(state_db_sqlite(a->sdb), q, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", q, err);
	sqlite3_free(q);
}

static void
add_alert(struct alert_fx *a, int id, const char *kind, const char *scope, const char *state,
    const char *commune, const char *hamlets, const char *summary, double since,
    double resolved_at, int flapping)
{
	sql(a, "INSERT INTO alerts (id, kind, scope, state, province, commune, hamlets, summary,"
	    " since, fired_at, resolved_at, flapping) VALUES (%d, %Q, %Q, %Q, %Q, %Q, %Q, %Q,"
	    " %.0f, %.0f, %.0f, %d)", id, kind, scope, state,
	    commune[0] ? "lao-cai" : "", commune, hamlets, summary, since, since + 120,
	    resolved_at, flapping);
}

/* The text of the table row of alert `id` ("" when it is not there). */
static char *
alert_row(const char *b, int id)
{
	static char row[4096];
	char tag[32];
	const char *s, *e;

	snprintf(tag, sizeof tag, "<tr id=\"alert-%d\" ", id);
	row[0] = '\0';
	if ((s = strstr(b, tag)) != NULL && (e = strstr(s, "</tr>")) != NULL)
		snprintf(row, sizeof row, "%.*s", (int)(e - s), s);
	return row;
}

static void
test_alerts_from_db(void **state)
{
	struct fx *f = *state;
	struct alert_fx a;
	static const char *const vi[] = { "lang", "vi", NULL };

	alert_db_open(f, &a);
	/* Firing: Tả Lèng down with Y Tý 1 cut behind it (acked), Phìn Hồ
	 * degraded and flapping with HTML in its summary, Bát Xát red under a
	 * silence, an unknown agent; one resolved an hour ago, one resolved
	 * last week, one still pending. */
	add_alert(&a, 1, "hamlet_down", "hamlet:ta-leng", "firing", "y-ty",
	    "[\"ta-leng\",\"y-ty-1\"]", "Tả Lèng (Y Tý) down since 21:43; also cut: Y Tý 1",
	    NOW - 1800, 0, 0);
	sql(&a, "INSERT INTO alert_acks (alert_id, at) VALUES (1, %.0f)", NOW - 60);
	add_alert(&a, 2, "hamlet_degraded", "hamlet:phin-ho", "firing", "bat-xat",
	    "[\"phin-ho\"]", "<script>alert(1)</script> & loss 12.5 %", NOW - 600, 0, 1);
	add_alert(&a, 3, "commune_red", "commune:bat-xat", "firing", "bat-xat", "[]",
	    "Bát Xát 50 % of 90 %", NOW - 7200, 0, 0);
	add_alert(&a, 4, "agent_unknown", "agent:a-stranger", "firing", "", "[]",
	    "agent a-stranger reports but is not in the inventory", NOW - 7300, 0, 0);
	add_alert(&a, 5, "hamlet_down", "hamlet:suoi-chai", "resolved", "bat-xat",
	    "[\"suoi-chai\",\"phin-ho\"]", "resolved at 21:13 after 20 min: Suối Chải down",
	    NOW - 4800, NOW - 3600, 0);
	add_alert(&a, 6, "hamlet_down", "hamlet:suoi-chai", "resolved", "bat-xat",
	    "[\"suoi-chai\"]", "last week's cut", NOW - 9 * 86400, NOW - 8 * 86400, 0);
	add_alert(&a, 7, "hamlet_down", "hamlet:ta-leng", "pending", "y-ty", "[\"ta-leng\"]",
	    "not yet news", NOW - 30, 0, 0);
	/* Sà Phìn down and Lũng Pô cut behind it, silenced through Lũng Pô:
	 * a hamlet: silence matches any hamlet of the alert's list. */
	add_alert(&a, 8, "hamlet_down", "hamlet:sa-phin", "firing", "y-ty",
	    "[\"sa-phin\",\"lung-po\"]", "Sà Phìn down; also cut: Lũng Pô", NOW - 900, 0, 0);
	sql(&a, "INSERT INTO silences (match, until, reason, created) VALUES"
	    " ('commune:bat-xat', %.0f, 'tower work <b>all day</b>', %.0f),"
	    " ('hamlet:ta-leng', %.0f, 'over', %.0f),"
	    " ('hamlet:lung-po', %.0f, 'mast', %.0f)", NOW + 7200, NOW - 60, NOW - 10, NOW - 600,
	    NOW + 600, NOW - 60);

	/* The overview: the firing ones, most severe first, with their marks;
	 * the commune's red apart, in the rollout. */
	const char *b = get(f, "/", 200);
	HAS(b, "<h2>Firing alerts <small>(4)</small></h2>");
	HAS(alert_row(b, 8), "silenced");
	const char *r2 = strstr(b, "alert-2\""), *r1 = strstr(b, "alert-1\""),
	    *r3 = strstr(b, "alert-3\""), *r4 = strstr(b, "alert-4\"");
	const char *ro = strstr(b, "<h2 id=\"rollout\">Rollout <small>(1)</small></h2>");
	assert_true(r2 && r1 && r3 && r4 && ro && r1 < r2 && r2 < r4 && r4 < ro && ro < r3);
	const char *row = alert_row(b, 2);
	HAS(row, "hamlet degraded");
	HAS(row, "<a href=\"/hamlet/phin-ho\">Phìn Hồ</a>");
	HAS(row, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; loss 12.5 %");
	HAS(row, "flapping");
	HAS(row, ">10 min ago</time>");
	HAS(row, "silenced");		/* in Bát Xát, like the commune's */
	row = alert_row(b, 1);
	HAS(row, "Tả Lèng (Y Tý) down since 21:43; also cut: Y Tý 1");
	HAS(row, "acknowledged");
	HAS(row, ">30 min ago</time>");
	HASNT(row, "silenced");		/* its silence is over */
	row = alert_row(b, 3);
	HAS(row, "commune behind target");
	HAS(row, "<a href=\"/commune/bat-xat\">Bát Xát</a>");
	HAS(row, "<span class=\"badge m-silenced\">silenced</span>");
	HAS(row, ">2 h 0 min ago</time>");
	HAS(alert_row(b, 4), "<code>agent:a-stranger</code>");
	HASNT(alert_row(b, 4), "silenced");
	HASNT(b, "alert-5\"");
	HASNT(b, "not yet news");
	HASNT(b, "None firing");

	/* /alerts: firing, resolved this week, silences in force. */
	b = get(f, "/alerts", 200);
	HAS(b, "<h2>Firing alerts <small>(4)</small></h2>");
	const char *res = strstr(b, "Resolved in the last 7 days");
	assert_non_null(res);
	assert_true(strstr(b, "alert-4\"") < res);
	HAS(b, "<h2>Resolved in the last 7 days <small>(1)</small></h2>");
	row = alert_row(b, 5);
	HAS(row, "resolved at 21:13 after 20 min: Suối Chải down");
	HAS(row, "<a href=\"/hamlet/suoi-chai\">Suối Chải</a>");
	/* since, then resolved */
	HAS(row, ">1 h 20 min ago</time></td><td data-label=\"Resolved\"><time "
	    "title=\"2023-11-14 21:13\">1 h 0 min ago");
	HASNT(b, "last week&#39;s cut");
	HASNT(b, "not yet news");
	const char *sil = strstr(b, "<table class=\"silences stack\">");
	assert_non_null(sil);
	HAS(sil, "<a href=\"/commune/bat-xat\">Bát Xát</a>");
	HAS(sil, "tower work &lt;b&gt;all day&lt;/b&gt;");
	HAS(sil, "(in 2 h 0 min)");
	HASNT(sil, ">over<");
	/* and still the hamlets in trouble now */
	HAS(b, "Hamlets with a problem now");

	/* A site page: the alerts naming it, firing first. */
	b = get(f, "/hamlet/y-ty-1", 200);
	HAS(alert_row(b, 1), "<span class=\"badge st-down\">firing</span>");
	HASNT(b, "alert-2\"");
	b = get(f, "/hamlet/phin-ho", 200);
	r2 = strstr(b, "alert-2\"");
	const char *r5 = strstr(b, "alert-5\"");
	assert_true(r2 != NULL && r5 != NULL && r2 < r5);	/* firing first */
	HAS(alert_row(b, 5), "<span class=\"badge st-covered\">resolved</span>");
	HASNT(b, "alert-3\"");		/* the commune's alert lists no hamlet */
	b = get(f, "/hamlet/ta-leng", 200);
	HAS(b, "alert-1\"");
	HASNT(b, "not yet news");
	b = get(f, "/hamlet/suoi-chai", 200);
	HAS(b, "alert-5\"");
	HAS(b, "alert-6\"");		/* a site's history goes further back */

	/* Read each time: an ack and a new silence show at once. */
	sql(&a, "INSERT INTO alert_acks (alert_id, at) VALUES (2, %.0f)", NOW);
	sql(&a, "INSERT INTO silences (match, until, reason, created) VALUES"
	    " ('*', %.0f, 'maintenance', %.0f)", NOW + 600, NOW);
	b = get(f, "/", 200);
	HAS(alert_row(b, 2), "acknowledged");
	HAS(alert_row(b, 1), "silenced");
	b = get(f, "/alerts", 200);
	HAS(b, "<td class=\"name\" data-label=\"Match\">everything</td>");

	/* In Vietnamese. */
	b = get_q(f, "/", vi, NULL, 200);
	HAS(b, "Cảnh báo đang bật");
	HAS(alert_row(b, 2), "thôn suy giảm");
	HAS(alert_row(b, 2), "chập chờn");
	HAS(alert_row(b, 2), "10 phút trước");
	b = get_q(f, "/alerts", vi, NULL, 200);
	HAS(b, "Đã hết trong 7 ngày qua");
	HAS(b, "Lý do");
	alert_db_close(&a);
}

static void
test_alerts_none(void **state)
{
	struct fx *f = *state;
	struct alert_fx a;

	alert_db_open(f, &a);
	add_alert(&a, 1, "hamlet_down", "hamlet:ta-leng", "resolved", "y-ty", "[\"ta-leng\"]",
	    "long ago", NOW - 30 * 86400, NOW - 29 * 86400, 0);
	const char *b = get(f, "/", 200);
	HAS(b, "<h2>Firing alerts</h2>\n<p class=\"muted\">None firing.</p>");
	b = get(f, "/alerts", 200);
	HAS(b, "None firing.");
	HAS(b, "No alert resolved in the last 7 days.");
	HAS(b, "No silence in force.");
	HASNT(b, "long ago");
	b = get(f, "/hamlet/phin-ho", 200);
	HAS(b, "No alert about this site.");
	b = get_q(f, "/", (const char *const[]){ "lang", "vi", NULL }, NULL, 200);
	HAS(b, "Không có cảnh báo nào đang bật.");
	alert_db_close(&a);

	/* Without a state DB: said, not hidden. */
	f->src.alerts = NULL;
	f->src.silences = NULL;
	b = get(f, "/alerts", 200);
	HAS(b, "<h2>Firing alerts</h2>\n<p class=\"muted\">The state database (state.db) cannot "
	    "be read now.</p>");
	/* and before the first evaluation, the alerts are there all the same */
	alert_db_open(f, &a);
	struct snapshot *keep = f->s;
	f->s = NULL;
	b = get(f, "/alerts", 200);
	HAS(b, "None firing.");
	HASNT(b, "Hamlets with a problem now");
	f->s = keep;
	alert_db_close(&a);
}

static void
test_alerts_many(void **state)
{
	struct fx *f = *state;
	struct alert_fx a;
	char scope[64], summary[64];

	alert_db_open(f, &a);
	sql(&a, "BEGIN");
	for (int i = 1; i <= 25; i++) {
		snprintf(scope, sizeof scope, "agent:a-%02d", i);
		snprintf(summary, sizeof summary, "agent number %02d", i);
		add_alert(&a, i, "agent_spool_dropped", scope, "firing", "", "[]", summary,
		    NOW - 60.0 * i, 0, 0);
	}
	sql(&a, "COMMIT");
	/* The overview: one severity, no hamlets: the 20 oldest, and the way
	 * to the rest. */
	const char *b = get(f, "/", 200);
	HAS(b, "<h2>Firing alerts <small>(25)</small></h2>");
	assert_int_equal(count(b, "<tr id=\"alert-"), 20);
	HAS(b, "agent number 06");
	HASNT(b, "agent number 05");
	assert_true(strstr(b, "agent number 25") < strstr(b, "agent number 24"));
	HAS(b, "… 5 more firing: <a href=\"/alerts\">all alerts</a>");
	HAS(b, "agent dropped samples");
	b = get(f, "/alerts", 200);
	assert_int_equal(count(b, "<tr id=\"alert-"), 25);
	HASNT(b, "more firing");
	alert_db_close(&a);
}

/* The row of alert `id` must come before that of `later`. */
static void
before(const char *b, int id, int later)
{
	char t1[32], t2[32];
	const char *r1, *r2;

	snprintf(t1, sizeof t1, "<tr id=\"alert-%d\" ", id);
	snprintf(t2, sizeof t2, "<tr id=\"alert-%d\" ", later);
	r1 = strstr(b, t1);
	r2 = strstr(b, t2);
	if (r1 == NULL || r2 == NULL || !(r1 < r2))
		fail_msg("alert %d not before alert %d", id, later);
}

/* Issue 18: most severe first, the severity as a word and a class, the
 * rollout's backlog apart, an overdue hamlet's date from the inventory. */
static void
test_alerts_severity(void **state)
{
	struct fx *f = *state;
	struct alert_fx a;
	static const char *const vi[] = { "lang", "vi", NULL };
	char scope[64], summary[64];

	alert_db_open(f, &a);
	/* The oldest is a warning; of the two cuts, the newer cuts more. */
	add_alert(&a, 1, "hamlet_degraded", "hamlet:phin-ho", "firing", "bat-xat",
	    "[\"phin-ho\"]", "Phìn Hồ degraded", NOW - 7200, 0, 0);
	add_alert(&a, 2, "hamlet_down", "hamlet:suoi-chai", "firing", "bat-xat",
	    "[\"suoi-chai\"]", "Suối Chải down", NOW - 600, 0, 0);
	add_alert(&a, 3, "hamlet_down", "hamlet:ta-leng", "firing", "y-ty",
	    "[\"ta-leng\",\"y-ty-1\"]", "Tả Lèng down; also cut: Y Tý 1", NOW - 60, 0, 0);
	add_alert(&a, 4, "agent_clock_skew", "agent:a-phinho", "firing", "", "[]",
	    "clock 300 s off", NOW - 9000, 0, 0);
	/* The xss hamlet's target date is 2020-01-01; the alert's since is
	 * when the collector started. */
	add_alert(&a, 5, "hamlet_overdue", "hamlet:xss", "firing", "y-ty", "[\"xss\"]",
	    "overdue, no agent installed", NOW - 300, 0, 0);
	add_alert(&a, 6, "commune_red", "commune:y-ty", "firing", "y-ty", "[]",
	    "Y Tý 25 % of 95 %", NOW - 400, 0, 0);
	/* A kind a newer collector wrote: a warning, never hidden. */
	add_alert(&a, 7, "site_on_fire", "hamlet:lung-cu", "firing", "dong-van", "[]",
	    "smoke", NOW - 100, 0, 0);
	/* Overdue hamlets a reload removed: their own since, as it is. */
	for (int i = 8; i <= 12; i++) {
		snprintf(scope, sizeof scope, "hamlet:gone-%d", i);
		snprintf(summary, sizeof summary, "gone %d overdue", i);
		add_alert(&a, i, "hamlet_overdue", scope, "firing", "y-ty", "[\"x\"]", summary,
		    NOW - 200, 0, 0);
	}

	const char *b = get(f, "/alerts", 200);
	/* Critical (most hamlets first), warning (most hamlets, then oldest). */
	HAS(b, "<h2>Firing alerts <small>(5)</small></h2>");
	before(b, 3, 2);
	before(b, 2, 1);
	before(b, 1, 4);
	before(b, 4, 7);
	HAS(b, "<th>Severity</th>");	/* on a phone too: no hide-sm */
	/* On a phone each cell is a line labelled with its column. */
	HAS(b, "<table class=\"alerts stack\">");
	HAS(alert_row(b, 3), "<tr id=\"alert-3\" class=\"sev-critical\"><td data-label=\"Severity\">"
	    "<span class=\"badge sev-critical\">Critical</span></td><td class=\"kind\" "
	    "data-label=\"Kind\">hamlet down</td>");
	HAS(alert_row(b, 3), "<td data-label=\"Since\">");
	HAS(alert_row(b, 2), "<span class=\"badge sev-critical\">Critical</span>");
	HAS(alert_row(b, 1), "<tr id=\"alert-1\" class=\"sev-warning\"><td data-label=\"Severity\">"
	    "<span class=\"badge sev-warning\">Warning</span>");
	HAS(alert_row(b, 7), "<span class=\"badge sev-warning\">Warning</span>");
	HAS(alert_row(b, 7), "site_on_fire");
	HAS(b, "under <a href=\"#rollout\">Rollout</a>.");
	/* The rollout: last, after the outages and the rest of the page. */
	const char *ro = strstr(b, "<h2 id=\"rollout\">Rollout <small>(7)</small></h2>");
	assert_non_null(ro);
	assert_true(strstr(b, "Hamlets with a problem now") < ro);
	assert_true(strstr(b, "<tr id=\"alert-7\" ") < ro);
	assert_null(strstr(ro, "sev-critical"));
	assert_null(strstr(ro, "sev-warning"));
	for (int i = 5; i <= 12; i++) {
		char tag[32];
		if (i == 7)
			continue;
		snprintf(tag, sizeof tag, "<tr id=\"alert-%d\" ", i);
		if (strstr(ro, tag) == NULL)
			fail_msg("alert %d is not in the rollout", i);
	}
	before(b, 5, 6);			/* a hamlet first, the commune's none */
	before(b, 12, 6);
	HAS(alert_row(b, 5), "<tr id=\"alert-5\" class=\"sev-info\"><td data-label=\"Severity\">"
	    "<span class=\"badge sev-info\">Info</span></td><td class=\"kind\" data-label=\"Kind\">"
	    "hamlet overdue</td>");
	/* Overdue since the target date (1413 days before NOW), not the
	 * alert's since. */
	HAS(alert_row(b, 5), "<td data-label=\"Since\">overdue since 2020-01-01 <small>(1413 d)"
	    "</small></td>");
	HASNT(alert_row(b, 5), "ago");
	HAS(alert_row(b, 6), "<span class=\"badge sev-info\">Info</span>");
	HAS(alert_row(b, 6), ">6 min ago</time>");	/* a commune: its own since */
	HAS(alert_row(b, 9), ">3 min ago</time>");	/* not in the inventory */
	HASNT(alert_row(b, 9), "overdue since");

	/* The overview: the same order, then the rollout's count, the first
	 * few and the way to the rest. */
	b = get(f, "/", 200);
	HAS(b, "<h2>Firing alerts <small>(5)</small></h2>");
	before(b, 3, 2);
	before(b, 2, 1);
	before(b, 1, 4);
	before(b, 4, 7);
	ro = strstr(b, "<h2 id=\"rollout\">Rollout <small>(7)</small></h2>");
	assert_non_null(ro);
	assert_true(strstr(b, "<tr id=\"alert-7\" ") < ro);
	assert_int_equal(count(ro, "<tr id=\"alert-"), 5);
	HAS(ro, "overdue since 2020-01-01");
	HASNT(ro, "alert-6\"");			/* the sixth of seven */
	HAS(ro, "… 2 more in the rollout: <a href=\"/alerts#rollout\">the whole list</a>");
	assert_true(strstr(b, "Communes furthest behind their target") > ro);

	/* In Vietnamese. */
	b = get_q(f, "/alerts", vi, NULL, 200);
	HAS(b, "<th>Mức độ</th>");
	HAS(alert_row(b, 3), "<span class=\"badge sev-critical\">Nghiêm trọng</span>");
	HAS(alert_row(b, 1), "<span class=\"badge sev-warning\">Cảnh báo</span>");
	HAS(alert_row(b, 5), "<span class=\"badge sev-info\">Thông tin</span>");
	HAS(alert_row(b, 5), "quá hạn từ 2020-01-01 <small>(1413 ngày)</small>");
	HAS(b, "<h2 id=\"rollout\">Triển khai <small>(7)</small></h2>");
	HAS(b, "trong mục <a href=\"#rollout\">Triển khai</a>.");
	b = get_q(f, "/", vi, NULL, 200);
	HAS(b, "<h2 id=\"rollout\">Triển khai <small>(7)</small></h2>");
	HAS(b, "<a href=\"/alerts?lang=vi#rollout\">xem toàn bộ danh sách</a>");

	/* Before the first evaluation there is no inventory to ask: the
	 * alert's own since. */
	struct snapshot *keep = f->s;
	f->s = NULL;
	b = get(f, "/alerts", 200);
	HAS(b, "<h2 id=\"rollout\">Rollout <small>(7)</small></h2>");
	HAS(alert_row(b, 5), ">5 min ago</time>");
	HASNT(alert_row(b, 5), "overdue since");
	f->s = keep;

	/* Nothing in the rollout: said. */
	sql(&a, "UPDATE alerts SET state = 'resolved', resolved_at = %.0f WHERE kind IN"
	    " ('hamlet_overdue', 'commune_red')", NOW - 10);
	b = get(f, "/", 200);
	HAS(b, "<h2 id=\"rollout\">Rollout</h2>");
	HAS(b, "No hamlet overdue, no commune behind its target.");
	HASNT(b, "more in the rollout");
	alert_db_close(&a);
}

/* --- /graph/ --- */

static void
make_icmp(const char *path, time_t now)
{
	const char *argv[] = {
		"DS:icmp_rtt_min_ms:GAUGE:180:U:U", "DS:icmp_rtt_avg_ms:GAUGE:180:U:U",
		"DS:icmp_rtt_max_ms:GAUGE:180:U:U", "DS:icmp_rtt_p50_ms:GAUGE:180:U:U",
		"DS:icmp_rtt_p90_ms:GAUGE:180:U:U", "DS:icmp_jitter_ms:GAUGE:180:U:U",
		"DS:icmp_loss_pct:GAUGE:180:U:U", "RRA:AVERAGE:0.5:1:1500",
		"RRA:MIN:0.5:1:1500", "RRA:MAX:0.5:1:1500",
	};
	char lines[120][128];
	const char *upd[120];
	time_t t0 = now - 120 * 60;

	if (rrd_create_r2(path, 60, t0 - 60, 1, NULL, NULL, (int)(sizeof argv / sizeof argv[0]),
	    argv) != 0)
		fail_msg("rrd_create_r2: %s", rrd_get_error());
	for (int i = 0; i < 120; i++) {
		snprintf(lines[i], sizeof lines[i], "%lld:30:40:90:38:60:4:%d",
		    (long long)(t0 + i * 60), i % 30 == 0 ? 10 : 0);
		upd[i] = lines[i];
	}
	if (rrd_updatex_r(path, NULL, 0, 120, upd) != 0)
		fail_msg("rrd_updatex_r: %s", rrd_get_error());
}

static struct pages_out gout;

static void
graph(struct fx *f, struct graph_cache *gc, const char *url, const char *range,
    unsigned want)
{
	free(gout.body);
	memset(&gout, 0, sizeof gout);
	assert_int_equal(pages_graph(gc, f->s, f->dir, 10, url, range, &gout), 0);
	if (gout.status != want)
		fail_msg("%s ?range=%s: %u, expected %u: %.*s", url, range ? range : "", gout.status,
		    want, gout.status == 200 ? 0 : (int)gout.len, gout.body);
}

static void
test_graph(void **state)
{
	struct fx *f = *state;
	struct graph_cache *gc = graph_cache_new(60, 16, 1 << 22);
	char p[256];

	assert_non_null(gc);
	/* Refused before anything is looked up. */
	graph(f, gc, "/graph/nosuch/suoi-chai.png", NULL, 400);
	graph(f, gc, "/graph/latency/suoi-chai.gif", NULL, 400);
	graph(f, gc, "/graph/latency/suoi-chai", NULL, 400);
	graph(f, gc, "/graph/latency/suoi-chai.png", "2d", 400);
	graph(f, gc, "/graph/latency/suoi-chai.png", "1d; rm -rf /", 400);
	graph(f, gc, "/graph/latency/../x.png", NULL, 400);
	graph(f, gc, "/graph/latency/../../etc/passwd.png", NULL, 400);
	graph(f, gc, "/graph/latency/..%2f..%2fetc.png", NULL, 400);
	graph(f, gc, "/graph/latency/.png", NULL, 400);
	graph(f, gc, "/graph/latency", NULL, 400);
	graph(f, gc, "/graph/../latency/x.png", NULL, 400);
	graph(f, gc, "/graph/latencyxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx/x.png", NULL, 400);
	assert_null(strstr(gout.body, "passwd"));
	/* Unknown ids, a hamlet with no agent, no file yet. */
	graph(f, gc, "/graph/latency/nope.png", NULL, 404);
	graph(f, gc, "/graph/latency/xss.png", NULL, 404);
	graph(f, gc, "/graph/coverage/suoi-chai.png", NULL, 404);	/* hamlet, not a scope */
	graph(f, gc, "/graph/latency/suoi-chai.png", NULL, 404);
	assert_non_null(strstr(gout.body, "no data"));
	graph(f, gc, "/graph/coverage/bat-xat.svg", "1m", 404);

	/* With a file: a PNG and an SVG, and the site page links them. */
	snprintf(p, sizeof p, "%s/rrd", f->dir);
	assert_int_equal(mkdir(p, 0750), 0);
	snprintf(p, sizeof p, "%s/rrd/lao-cai", f->dir);
	assert_int_equal(mkdir(p, 0750), 0);
	snprintf(p, sizeof p, "%s/rrd/lao-cai/a-suoichai", f->dir);
	assert_int_equal(mkdir(p, 0750), 0);
	snprintf(p, sizeof p, "%s/rrd/lao-cai/a-suoichai/icmp.rrd", f->dir);
	make_icmp(p, time(NULL));
	graph(f, gc, "/graph/latency/suoi-chai.png", "6h", 200);
	assert_string_equal(gout.type, "image/png");
	assert_true(gout.len > 1000 && memcmp(gout.body, "\x89PNG", 4) == 0);
	graph(f, gc, "/graph/latency/suoi-chai.svg", NULL, 200);
	assert_string_equal(gout.type, "image/svg+xml");
	assert_non_null(strstr(gout.body, "<svg"));
	graph(f, gc, "/graph/throughput/suoi-chai.png", NULL, 404);
	/* The second time comes from the cache. */
	struct graph_cache_stats st;
	graph(f, gc, "/graph/latency/suoi-chai.png", "6h", 200);
	graph_cache_get_stats(gc, &st);
	assert_int_equal(st.renders, 2);
	assert_true(st.hits >= 1);

	const char *b = get(f, "/hamlet/suoi-chai", 200);
	HAS(b, "<img class=\"graph\" src=\"/graph/latency/suoi-chai.png?range=1d&amp;lang=en\"");
	HAS(b, "<img class=\"graph\" src=\"/graph/latency/suoi-chai.png?range=1w&amp;lang=en\"");
	HAS(b, "<a href=\"/graph/latency/suoi-chai.svg?range=1d&amp;lang=en\">");
	/* A phone gets a graph drawn for its width. */
	HAS(b, "<picture><source media=\"(max-width: 600px)\" srcset=\"/graph/latency/"
	    "suoi-chai.png?range=1d&amp;width=340&amp;lang=en\">");
	HAS(b, "width=\"800\" height=\"300\"");
	/* In the page's language. */
	b = get_q(f, "/hamlet/suoi-chai", (const char *const[]){ "lang", "vi", NULL }, NULL, 200);
	HAS(b, "srcset=\"/graph/latency/suoi-chai.png?range=1w&amp;width=340&amp;lang=vi\"");
	HAS(b, "src=\"/graph/latency/suoi-chai.png?range=1w&amp;lang=vi\"");
	/* No radio file: no radio graph at all (the site has no such probe). */
	HASNT(b, "/graph/radio/");

	/* Without a snapshot: 503, but a malformed request is still a 400. */
	struct snapshot *keep = f->s;
	f->s = NULL;
	graph(f, gc, "/graph/latency/suoi-chai.png", NULL, 503);
	graph(f, gc, "/graph/latency/../x.png", NULL, 400);
	f->s = keep;

	free(gout.body);
	memset(&gout, 0, sizeof gout);
	graph_cache_free(gc);
}

static void
test_css(void **state)
{
	(void)state;
	assert_true(strlen(pages_css) > 1000);
	assert_non_null(strstr(pages_css, "@media (max-width:640px)"));
	assert_non_null(strstr(pages_css, "svg .st-down{fill:"));
	/* Every severity has its colour (beside its word). */
	assert_non_null(strstr(pages_css, ".badge.sev-critical{background:"));
	assert_non_null(strstr(pages_css, ".badge.sev-warning{background:"));
	assert_non_null(strstr(pages_css, ".badge.sev-info{background:"));
}

/* /graph/ renders through librrd, which leaks a little per graph. */
TL_LIBRRD_GRAPH_LEAKS

/* A loopback's 0.04 ms is not "0 ms"; a village's 78 ms has no decimals. */
static void
test_ms_decimals(void **state)
{
	(void)state;
	assert_int_equal(pg_ms_dec(0.04), 2);
	assert_int_equal(pg_ms_dec(0.999), 2);
	assert_int_equal(pg_ms_dec(1.0), 1);
	assert_int_equal(pg_ms_dec(9.94), 1);
	assert_int_equal(pg_ms_dec(10.0), 0);
	assert_int_equal(pg_ms_dec(78.0), 0);
	assert_int_equal(pg_ms_dec(NAN), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_overview, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overview_without_db, setup, teardown),
		cmocka_unit_test_setup_teardown(test_province_map, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_names_tiles, setup, teardown),
		cmocka_unit_test(test_map_tiles_conf),
		cmocka_unit_test_setup_teardown(test_commune, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hamlet, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alerts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alerts_from_db, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alerts_none, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alerts_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alerts_severity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_language, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_graph, setup, teardown),
		cmocka_unit_test(test_css),
		cmocka_unit_test(test_ms_decimals),
	};
	/* Fixed times in the pages: the test's clock is UTC. */
	setenv("TZ", "UTC", 1);
	tzset();
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	free(body);
	return rc;
}
