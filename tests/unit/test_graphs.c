/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Graph templates and the render cache (graphs/templates.c, graphs/cache.c):
 * argument vectors checked line by line, and real renders from RRD files the
 * test writes (a day of a site with a gap and an outage, a month of a
 * commune's coverage). COVMON_GRAPH_OUT=DIR keeps the images for a look. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testlib.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rrd.h>

#include "cache.h"
#include "templates.h"

#define STEP 60
#define T_END 1763856000LL        /* 2025-11-23 00:00 UTC, a multiple of 60 */
#define DAY 86400L
#define PROVINCE "lao-cai"
#define AGENT "ap-suoi-chai"
#define PLACE "Suối Chải, Bát Xát"

static char dir[64];                 /* data_dir */

/* The default RRAs of DESIGN.md section 5 for a step. */
static int
rras(char defs[][64], unsigned step)
{
	static const struct { const char *cf; unsigned steps; long span; } r[] = {
		{ "AVERAGE", 1, DAY }, { "AVERAGE", 5, 7 * DAY }, { "AVERAGE", 60, 90 * DAY },
		{ "AVERAGE", 1440, 730 * DAY }, { "MIN", 5, 7 * DAY }, { "MIN", 60, 90 * DAY },
		{ "MIN", 1440, 730 * DAY }, { "MAX", 5, 7 * DAY }, { "MAX", 60, 90 * DAY },
		{ "MAX", 1440, 730 * DAY },
	};
	for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
		snprintf(defs[i], 64, "RRA:%s:0.5:%u:%lu", r[i].cf, r[i].steps,
		    (unsigned long)(r[i].span / (long)(step * r[i].steps)));
	return (int)(sizeof r / sizeof r[0]);
}

static uint32_t rnd_state = 12345;

static double
rnd(void)   /* 0..1, the same every run */
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (double)((rnd_state >> 8) & 0xffff) / 65535.0;
}

/*
 * Creates path with the DS names and fills it from start to end every step
 * with gen(t, vals) (which returns 0 to skip a row: a gap). Updates go in
 * batches, as librrd takes many at once.
 */
static void
make_rrd(const char *path, const char *const *ds, int nds, unsigned step, int64_t start,
    int64_t end, int (*gen)(int64_t t, double *v))
{
	char defs[24][64];
	const char *argv[24];
	int n = 0;
	char (*lines)[256] = calloc(512, 256);
	const char *upd[512];
	int nu = 0;

	assert_non_null(lines);
	for (int i = 0; i < nds; i++)
		snprintf(defs[n++], 64, "DS:%s:GAUGE:%u:U:U", ds[i], 3 * step);
	n += rras(defs + n, step);
	for (int i = 0; i < n; i++)
		argv[i] = defs[i];
	if (rrd_create_r2(path, step, (time_t)(start - step), 1, NULL, NULL, n, argv) != 0)
		fail_msg("rrd_create_r2 %s: %s", path, rrd_get_error());
	for (int64_t t = start; t <= end; t += step) {
		double v[8];
		int len;

		if (!gen(t, v))
			continue;
		len = snprintf(lines[nu], 256, "%lld", (long long)t);
		for (int i = 0; i < nds; i++)
			len += snprintf(lines[nu] + len, (size_t)(256 - len), isnan(v[i]) ? ":U" :
			    ":%.3f", v[i]);
		upd[nu] = lines[nu];
		if (++nu == 512 || t + step > end) {
			if (rrd_updatex_r(path, NULL, 0, nu, upd) != 0)
				fail_msg("rrd_updatex_r %s: %s", path, rrd_get_error());
			nu = 0;
		}
	}
	if (nu > 0 && rrd_updatex_r(path, NULL, 0, nu, upd) != 0)
		fail_msg("rrd_updatex_r %s: %s", path, rrd_get_error());
	free(lines);
}

/* Hour of day 0..24 (UTC+7, the provinces' time), and an evening bump 0..1. */
static double
evening(int64_t t)
{
	double h = fmod((double)((t + 7 * 3600) % DAY) / 3600.0, 24.0);
	double d = fabs(h - 20.5);

	return d < 3.5 ? 0.5 + 0.5 * cos(d / 3.5 * M_PI) : 0;
}

/* The last day of icmp.rrd: a 2-hour gap (agent silent, nothing stored)
 * 14-12 h before the end, a 1-hour outage (100 % loss, no RTT) 6-5 h before,
 * and some loss of every band. */
static int
gen_icmp(int64_t t, double *v)
{
	int64_t ago = T_END - t;
	double base = 18 + 35 * evening(t) + 3 * rnd();
	double loss = 0;

	if (ago > 12 * 3600 && ago <= 14 * 3600)
		return 0;
	if (ago > 5 * 3600 && ago <= 6 * 3600) {
		for (int i = 0; i < 6; i++)
			v[i] = NAN;
		v[6] = 100;
		return 1;
	}
	if (ago > 9 * 3600 && ago <= 9 * 3600 + 1200)
		loss = 10 + 20 * rnd();           /* a bad stretch: 10-30 % */
	else if (ago > 3 * 3600 && ago <= 3 * 3600 + 900)
		loss = 3 + 2 * rnd();             /* 3-5 % */
	else if (rnd() < 0.06)
		loss = rnd() < 0.7 ? 1 : 2;       /* the odd lost ping */
	v[0] = base * 0.75;                       /* min */
	v[1] = base * 1.1;                        /* avg */
	v[2] = base * (1.8 + 1.5 * rnd() * rnd()) + (rnd() < 0.02 ? 80 : 0); /* max */
	v[3] = base;                              /* p50 */
	v[4] = base * 1.35;                       /* p90 */
	v[5] = base * 0.2;                        /* jitter */
	v[6] = loss;
	return 1;
}

static int
gen_if(int64_t t, double *v)
{
	double e = evening(t);

	v[0] = 2e6 + 14e6 * e + 2e6 * rnd();       /* rx */
	v[1] = 0.4e6 + 2.5e6 * e + 0.4e6 * rnd();  /* tx */
	v[2] = 1;
	v[3] = 0;
	return 1;
}

static int
gen_radio(int64_t t, double *v)
{
	v[0] = -62 - 4 * evening(t) + 2 * rnd();
	v[1] = -95 + 3 * rnd();
	v[2] = v[0] - v[1];
	v[3] = 90 + 8 * rnd();
	return 1;
}

static int
gen_traffic(int64_t t, double *v)
{
	double e = evening(t);

	v[0] = floor(3 + 35 * e + 4 * rnd());
	v[1] = (2e6 + 14e6 * e) * 0.9;
	v[2] = (0.4e6 + 2.5e6 * e) * 0.9;
	v[3] = 800 + 3000 * e;
	v[4] = 0.5 * rnd();
	v[5] = 40 + 20 * rnd();
	v[6] = 0;
	return 1;
}

/* A commune over a month: 50 hamlets, coverage climbing from 72 % to 94 %
 * with a two-day dip (a backhaul fault) ten days before the end. */
static int
gen_rollup(int64_t t, double *v)
{
	double f = 1.0 - (double)(T_END - t) / (31.0 * DAY);
	double covered = floor(36 + 11 * f);
	int64_t ago = T_END - t;

	if (ago > 10 * DAY && ago <= 12 * DAY)
		covered -= 8;
	v[0] = covered;
	v[1] = 2;
	v[2] = 50 - covered - 4;
	v[3] = 1;
	v[4] = 1;
	v[5] = 50;
	v[6] = covered / 50 * 100;
	return 1;
}

/* A commune's last month rising in a straight line, 1 % a day, to 90 %
 * at the end (the pace the projection must find). */
static int
gen_rollup_linear(int64_t t, double *v)
{
	double pct = 90 - (double)(T_END - t) / DAY;

	v[0] = pct / 2;
	v[1] = v[2] = v[3] = v[4] = 0;
	v[5] = 50;
	v[6] = pct;
	return 1;
}

/* A commune stuck at 80 % for a month. */
static int
gen_rollup_flat(int64_t t, double *v)
{
	(void)t;
	v[0] = 40;
	v[1] = v[2] = v[3] = v[4] = 0;
	v[5] = 50;
	v[6] = 80;
	return 1;
}

/* Nothing: the file is created, never updated (a site's first minutes). */
static int
gen_none(int64_t t, double *v)
{
	(void)t;
	(void)v;
	return 0;
}

static const char *const ds_icmp[] = { "icmp_rtt_min_ms", "icmp_rtt_avg_ms", "icmp_rtt_max_ms",
	"icmp_rtt_p50_ms", "icmp_rtt_p90_ms", "icmp_jitter_ms", "icmp_loss_pct" };
static const char *const ds_if[] = { "if_rx_bps", "if_tx_bps", "if_oper_up", "if_errors" };
static const char *const ds_radio[] = { "radio_signal_dbm", "radio_noise_dbm", "radio_snr_db",
	"radio_ccq_pct" };
static const char *const ds_traffic[] = { "clients", "pcap_rx_bps", "pcap_tx_bps", "pcap_pps",
	"tcp_retrans_pct", "tcp_hs_rtt_ms", "pcap_drop" };
static const char *const ds_rollup[] = { "covered", "degraded", "down", "unreachable",
	"unmonitored", "total", "covered_pct" };

static void
mkdirs(const char *sub)
{
	char p[256];

	snprintf(p, sizeof p, "%s/%s", dir, sub);
	assert_int_equal(mkdir(p, 0750), 0);
}

static int
group_setup(void **state)
{
	char p[256];

	(void)state;
	tl_tmpdir(dir, sizeof dir, "graphs");
	mkdirs("rrd");
	mkdirs("rrd/" PROVINCE);
	mkdirs("rrd/" PROVINCE "/" AGENT);
	mkdirs("rrd/" PROVINCE "/ap-snmp-only");
	mkdirs("rrd/" PROVINCE "/ap-new");
	mkdirs("rrd/" PROVINCE "/ap-fresh");

	snprintf(p, sizeof p, "%s/rrd/%s/%s/icmp.rrd", dir, PROVINCE, AGENT);
	make_rrd(p, ds_icmp, 7, STEP, T_END - DAY, T_END, gen_icmp);
	snprintf(p, sizeof p, "%s/rrd/%s/%s/if.rrd", dir, PROVINCE, AGENT);
	make_rrd(p, ds_if, 4, STEP, T_END - DAY, T_END, gen_if);
	snprintf(p, sizeof p, "%s/rrd/%s/%s/radio.rrd", dir, PROVINCE, AGENT);
	make_rrd(p, ds_radio, 4, STEP, T_END - DAY, T_END, gen_radio);
	snprintf(p, sizeof p, "%s/rrd/%s/%s/traffic.rrd", dir, PROVINCE, AGENT);
	make_rrd(p, ds_traffic, 7, STEP, T_END - DAY, T_END, gen_traffic);
	snprintf(p, sizeof p, "%s/rrd/%s/ap-snmp-only/if.rrd", dir, PROVINCE);
	make_rrd(p, ds_if, 4, STEP, T_END - DAY, T_END, gen_if);
	snprintf(p, sizeof p, "%s/rrd/%s/_commune_bat-xat.rrd", dir, PROVINCE);
	make_rrd(p, ds_rollup, 7, 300, T_END - 31 * DAY, T_END, gen_rollup);
	snprintf(p, sizeof p, "%s/rrd/%s/_commune_linear.rrd", dir, PROVINCE);
	make_rrd(p, ds_rollup, 7, 300, T_END - 31 * DAY, T_END, gen_rollup_linear);
	snprintf(p, sizeof p, "%s/rrd/%s/_commune_flat.rrd", dir, PROVINCE);
	make_rrd(p, ds_rollup, 7, 300, T_END - 31 * DAY, T_END, gen_rollup_flat);
	/* Files created by a first sample's arrival, with nothing in them yet. */
	snprintf(p, sizeof p, "%s/rrd/%s/ap-fresh/icmp.rrd", dir, PROVINCE);
	make_rrd(p, ds_icmp, 7, STEP, T_END - DAY, T_END, gen_none);
	snprintf(p, sizeof p, "%s/rrd/%s/ap-fresh/if.rrd", dir, PROVINCE);
	make_rrd(p, ds_if, 4, STEP, T_END - DAY, T_END, gen_none);
	snprintf(p, sizeof p, "%s/rrd/%s/ap-fresh/radio.rrd", dir, PROVINCE);
	make_rrd(p, ds_radio, 4, STEP, T_END - DAY, T_END, gen_none);
	snprintf(p, sizeof p, "%s/rrd/%s/ap-fresh/traffic.rrd", dir, PROVINCE);
	make_rrd(p, ds_traffic, 7, STEP, T_END - DAY, T_END, gen_none);
	snprintf(p, sizeof p, "%s/rrd/%s/_commune_fresh.rrd", dir, PROVINCE);
	make_rrd(p, ds_rollup, 7, 300, T_END - DAY, T_END, gen_none);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	if (getenv("COVMON_GRAPH_KEEP") != NULL)
		return 0;
	return tl_rmtree(dir);
}

static void
site_req(struct graph_req *req, enum graph_template t, const char *agent)
{
	char err[256];

	graph_req_init(req);
	req->tmpl = t;
	req->end = T_END;
	snprintf(req->title, sizeof req->title, "%s", PLACE);
	if (graph_req_site(req, dir, PROVINCE, agent, err, sizeof err) == -1)
		fail_msg("graph_req_site: %s", err);
}

static void
coverage_req_of(struct graph_req *req, const char *commune)
{
	char err[256];

	graph_req_init(req);
	req->tmpl = GRAPH_COVERAGE;
	req->end = T_END;
	req->range = 31 * DAY;
	req->target_pct = 97;
	req->deadline = T_END + 38 * DAY;
	snprintf(req->title, sizeof req->title, "xã Bát Xát, Lào Cai");
	if (graph_req_rollup(req, dir, PROVINCE, commune, err, sizeof err) == -1)
		fail_msg("graph_req_rollup: %s", err);
}

static void
coverage_req(struct graph_req *req)
{
	coverage_req_of(req, "bat-xat");
}

/* Index of the first argument equal to s (or starting with it when prefix). */
static int
find_arg(const struct graph_args *a, const char *s, int prefix)
{
	for (int i = 0; i < a->argc; i++)
		if (prefix ? strncmp(a->argv[i], s, strlen(s)) == 0 : strcmp(a->argv[i], s) == 0)
			return i;
	return -1;
}

static int __attribute__((format(printf, 2, 3)))
has_arg(const struct graph_args *a, const char *fmt, ...)
{
	char s[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s, sizeof s, fmt, ap);
	va_end(ap);
	return find_arg(a, s, 0) >= 0;
}

static void
test_names(void **state)
{
	long secs;
	enum graph_format f;
	char err[256];

	(void)state;
	for (int i = 0; i < GRAPH_TEMPLATE_COUNT; i++)
		assert_int_equal(graph_template_lookup(graph_template_name(i)), i);
	assert_int_equal(graph_template_lookup("smoke"), -1);
	assert_int_equal(graph_range_parse("6h", &secs, err, sizeof err), 0);
	assert_int_equal(secs, 6 * 3600);
	assert_int_equal(graph_range_parse("1y", &secs, err, sizeof err), 0);
	assert_int_equal(secs, 365 * DAY);
	assert_int_equal(graph_range_parse("2d", &secs, err, sizeof err), -1);
	assert_non_null(strstr(err, "6h, 1d, 1w, 1m, 1y"));
	assert_int_equal(graph_range_parse("", &secs, err, sizeof err), -1);
	assert_string_equal(graph_range_name(7 * DAY), "1w");
	assert_int_equal(graph_format_parse("svg", &f, err, sizeof err), 0);
	assert_int_equal(f, GRAPH_SVG);
	assert_int_equal(graph_format_parse("gif", &f, err, sizeof err), -1);
	assert_string_equal(graph_format_mime(GRAPH_PNG), "image/png");
}

static void
test_bad_ids(void **state)
{
	struct graph_req req;
	char err[256];

	(void)state;
	graph_req_init(&req);
	assert_int_equal(graph_req_site(&req, dir, PROVINCE, "../etc", err, sizeof err), -1);
	assert_int_equal(graph_req_site(&req, dir, "Lao Cai", AGENT, err, sizeof err), -1);
	assert_int_equal(graph_req_rollup(&req, dir, PROVINCE, "_x", err, sizeof err), -1);
	assert_int_equal(graph_req_rollup(&req, dir, PROVINCE, NULL, err, sizeof err), 0);
	assert_non_null(strstr(req.path, "/rrd/lao-cai/_province.rrd"));
}

static void
test_latency_args(void **state)
{
	struct graph_req req;
	struct graph_args a;
	char err[256];
	int i;

	(void)state;
	site_req(&req, GRAPH_LATENCY, AGENT);
	assert_int_equal(graph_build_args(&req, &a, err, sizeof err), 0);
	assert_string_equal(a.argv[0], "graph");
	assert_string_equal(a.argv[1], "-");
	assert_null(a.argv[a.argc]);
	assert_true(has_arg(&a, "DEF:p50=%s/icmp.rrd:icmp_rtt_p50_ms:AVERAGE", req.path));
	assert_true(has_arg(&a, "DEF:min=%s/icmp.rrd:icmp_rtt_min_ms:AVERAGE", req.path));
	assert_true(has_arg(&a, "DEF:max=%s/icmp.rrd:icmp_rtt_max_ms:AVERAGE", req.path));
	assert_true(has_arg(&a, "DEF:loss=%s/icmp.rrd:icmp_loss_pct:AVERAGE", req.path));
	/* no data and down are told apart */
	assert_true(has_arg(&a, "CDEF:nodata=loss,UN,INF,UNKN,IF"));
	assert_true(has_arg(&a, "CDEF:down=loss,100,GE,INF,UNKN,IF"));
	/* the smoke, painted in layers from 0: light to max, dark to p90,
	 * light to p50, white to min (no STACK: no sliver on the axis) */
	i = find_arg(&a, "AREA:max#", 1);
	assert_true(i > 0);
	assert_true(find_arg(&a, "AREA:p90#", 1) == i + 1);
	assert_true(find_arg(&a, "AREA:p50#", 1) == i + 2);
	assert_true(has_arg(&a, "AREA:min#FFFFFF"));
	for (int j = 0; j < a.argc; j++)
		assert_null(strstr(a.argv[j], "STACK"));
	/* median coloured by loss, five bands */
	assert_true(has_arg(&a, "CDEF:m0=loss,0,LE,p50,half,+,UNKN,IF"));
	assert_true(has_arg(&a, "CDEF:m2=loss,2,GT,loss,5,LE,*,p50,half,+,UNKN,IF"));
	assert_true(has_arg(&a, "CDEF:m4=loss,20,GT,p50,half,+,UNKN,IF"));
	assert_true(find_arg(&a, "AREA:m4#E01010", 1) >= 0);
	/* legend: last/avg/max of RTT and loss */
	assert_true(has_arg(&a, "VDEF:p50_last=p50,LAST"));
	assert_true(has_arg(&a, "GPRINT:loss_max:  %%9.1lf %%%%\\l"));
	/* title with the place's UTF-8 name, units, font, exact size */
	i = find_arg(&a, "--title", 0);
	assert_true(i > 0);
	assert_string_equal(a.argv[i + 1], "Latency — Suối Chải, Bát Xát — last day");
	i = find_arg(&a, "--vertical-label", 0);
	assert_string_equal(a.argv[i + 1], "RTT, ms");
	/* the axes: RTT in plain ms from 0 to a round top above the day's
	 * largest max (about 230 ms here: 250, by 50), no SI prefix, and the
	 * right axis is the loss in %, 0-100 over the same height */
	i = find_arg(&a, "--upper-limit", 0);
	assert_true(i > 0);
	assert_string_equal(a.argv[i + 1], "250");
	assert_true(has_arg(&a, "--rigid"));
	i = find_arg(&a, "--units-exponent", 0);
	assert_string_equal(a.argv[i + 1], "0");
	i = find_arg(&a, "--y-grid", 0);
	assert_string_equal(a.argv[i + 1], "50:1");
	i = find_arg(&a, "--left-axis-format", 0);
	assert_string_equal(a.argv[i + 1], "%.0lf");
	i = find_arg(&a, "--right-axis", 0);
	assert_string_equal(a.argv[i + 1], "0.4:0");
	i = find_arg(&a, "--right-axis-label", 0);
	assert_true(i > 0);
	assert_string_equal(a.argv[i + 1], "packet loss, %");
	i = find_arg(&a, "--right-axis-format", 0);
	assert_string_equal(a.argv[i + 1], "%.0lf");
	assert_true(has_arg(&a, "CDEF:lossline=loss,2.5,*"));
	assert_true(has_arg(&a, "LINE1:lossline#C62828:loss (right axis)\\l"));
	assert_true(has_arg(&a, "DEFAULT:8:DejaVu Sans"));
	assert_true(has_arg(&a, "--full-size-mode"));
	assert_true(has_arg(&a, "%lld", (long long)(T_END - DAY)));
	graph_args_free(&a);
}

static void
test_throughput_optional_files(void **state)
{
	struct graph_req req;
	struct graph_args a;
	char err[256];

	(void)state;
	site_req(&req, GRAPH_THROUGHPUT, AGENT);
	assert_int_equal(graph_build_args(&req, &a, err, sizeof err), 0);
	assert_true(has_arg(&a, "DEF:irx=%s/if.rrd:if_rx_bps:AVERAGE", req.path));
	assert_true(has_arg(&a, "DEF:prx=%s/traffic.rrd:pcap_rx_bps:AVERAGE", req.path));
	graph_args_free(&a);

	/* no traffic.rrd: the capture lines are left out, not an error */
	site_req(&req, GRAPH_THROUGHPUT, "ap-snmp-only");
	assert_int_equal(graph_build_args(&req, &a, err, sizeof err), 0);
	assert_true(has_arg(&a, "DEF:irx=%s/if.rrd:if_rx_bps:AVERAGE", req.path));
	assert_int_equal(find_arg(&a, "DEF:prx=", 1), -1);
	for (int i = 0; i < a.argc; i++)
		assert_null(strstr(a.argv[i], "traffic.rrd"));
	graph_args_free(&a);

	/* neither file: a clear error */
	site_req(&req, GRAPH_THROUGHPUT, "ap-new");
	assert_int_equal(graph_build_args(&req, &a, err, sizeof err), -1);
	assert_non_null(strstr(err, "neither if.rrd nor traffic.rrd"));
	assert_int_equal(a.argc, 0);

	site_req(&req, GRAPH_LATENCY, "ap-new");
	assert_int_equal(graph_build_args(&req, &a, err, sizeof err), -1);
	assert_non_null(strstr(err, "icmp.rrd: no such file"));
	site_req(&req, GRAPH_CLIENTS, "ap-snmp-only");
	assert_int_equal(graph_build_args(&req, &a, err, sizeof err), -1);
	assert_non_null(strstr(err, "traffic.rrd"));
}

static void
test_coverage_args(void **state)
{
	struct graph_req req;
	struct graph_args a;
	char err[256];

	(void)state;
	coverage_req(&req);
	assert_int_equal(graph_build_args(&req, &a, err, sizeof err), 0);
	assert_true(has_arg(&a, "HRULE:97#D32F2F:target 97 %%:dashes=6,3"));
	assert_true(has_arg(&a, "--rigid"));
	assert_true(has_arg(&a, "--upper-limit") && has_arg(&a, "100"));
	/* deadline after the range: named, not drawn */
	assert_int_equal(find_arg(&a, "VRULE:", 1), -1);
	assert_true(has_arg(&a, "COMMENT:deadline 2025-12-31 (in 38 days)"));
	graph_args_free(&a);

	req.deadline = T_END - 3 * DAY;
	assert_int_equal(graph_build_args(&req, &a, err, sizeof err), 0);
	assert_true(has_arg(&a, "VRULE:%lld#7B1FA2:deadline 2025-11-20:dashes=2,2",
	    (long long)(T_END - 3 * DAY)));
	graph_args_free(&a);

	req.target_pct = NAN;
	req.deadline = 0;
	assert_int_equal(graph_build_args(&req, &a, err, sizeof err), 0);
	assert_int_equal(find_arg(&a, "HRULE:", 1), -1);
	graph_args_free(&a);

	assert_int_equal(graph_req_rollup(&req, dir, PROVINCE, "nowhere", err, sizeof err), 0);
	assert_int_equal(graph_build_args(&req, &a, err, sizeof err), -1);
	assert_non_null(strstr(err, "_commune_nowhere.rrd"));
}

static void
test_bad_request(void **state)
{
	struct graph_req req;
	struct graph_args a;
	char err[256];

	(void)state;
	site_req(&req, GRAPH_LATENCY, AGENT);
	req.width = 10;
	assert_int_equal(graph_build_args(&req, &a, err, sizeof err), -1);
	assert_non_null(strstr(err, "size"));
	site_req(&req, GRAPH_LATENCY, AGENT);
	req.range = 0;
	assert_int_equal(graph_build_args(&req, &a, err, sizeof err), -1);
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
keep(const char *name, const struct graph_out *out)
{
	const char *d = getenv("COVMON_GRAPH_OUT");
	char p[512];
	FILE *fp;

	if (d == NULL)
		return;
	snprintf(p, sizeof p, "%s/%s.%s", d, name, graph_format_name(out->format));
	if ((fp = fopen(p, "wb")) != NULL) {
		fwrite(out->data, 1, out->len, fp);
		fclose(fp);
	}
}

static void
check_png(const struct graph_out *out, unsigned w, unsigned h)
{
	assert_true(out->len > 33);
	assert_memory_equal(out->data, "\x89PNG\r\n\x1a\n", 8);
	assert_memory_equal(out->data + 12, "IHDR", 4);
	assert_int_equal(be32(out->data + 16), w);
	assert_int_equal(be32(out->data + 20), h);
}

static void
render_one(struct graph_req *req, const char *name)
{
	struct graph_out out;
	char err[512];

	if (graph_render(req, &out, err, sizeof err) == -1)
		fail_msg("%s: %s", name, err);
	if (req->format == GRAPH_PNG)
		check_png(&out, req->width, req->height);
	else
		assert_true(strncmp((char *)out.data, "<?xml", 5) == 0 ||
		    strncmp((char *)out.data, "<svg", 4) == 0);
	keep(name, &out);
	graph_out_free(&out);
}

static void
test_render_png(void **state)
{
	struct graph_req req;
	char name[64];

	(void)state;
	for (int t = 0; t < GRAPH_COVERAGE; t++) {
		site_req(&req, t, AGENT);
		render_one(&req, graph_template_name(t));
		req.width = 640;
		req.height = 260;
		snprintf(name, sizeof name, "%s-small", graph_template_name(t));
		render_one(&req, name);
		req.range = 6 * 3600;
		snprintf(name, sizeof name, "%s-6h", graph_template_name(t));
		render_one(&req, name);
	}
	site_req(&req, GRAPH_THROUGHPUT, "ap-snmp-only");
	render_one(&req, "throughput-snmp-only");
	site_req(&req, GRAPH_LATENCY, AGENT);
	req.lang = GRAPH_VI;
	render_one(&req, "latency-vi");
	coverage_req(&req);
	render_one(&req, "coverage");
	req.lang = GRAPH_VI;
	render_one(&req, "coverage-vi");
	req.lang = GRAPH_EN;
	req.deadline = T_END - 3 * DAY;
	render_one(&req, "coverage-deadline");
	req.range = DAY;
	render_one(&req, "coverage-1d");
	/* a week and a year of a file with one day in it: mostly no data */
	site_req(&req, GRAPH_LATENCY, AGENT);
	req.range = 7 * DAY;
	render_one(&req, "latency-1w");
	req.range = 365 * DAY;
	render_one(&req, "latency-1y");
}

static void
test_render_svg(void **state)
{
	struct graph_req req;

	(void)state;
	site_req(&req, GRAPH_LATENCY, AGENT);
	req.format = GRAPH_SVG;
	render_one(&req, "latency");
	coverage_req(&req);
	req.format = GRAPH_SVG;
	render_one(&req, "coverage");
}

static void
test_render_error(void **state)
{
	struct graph_req req;
	struct graph_out out;
	char err[512], p[256];
	FILE *fp;

	(void)state;
	/* a file that is not an RRD: librrd's message comes back */
	snprintf(p, sizeof p, "%s/rrd/%s/ap-new/radio.rrd", dir, PROVINCE);
	assert_non_null(fp = fopen(p, "w"));
	fputs("not an rrd\n", fp);
	fclose(fp);
	site_req(&req, GRAPH_RADIO, "ap-new");
	assert_int_equal(graph_render(&req, &out, err, sizeof err), -1);
	assert_null(out.data);
	assert_non_null(strstr(err, "radio graph of"));
	remove(p);
}

static double fake_now;

static double
fake_clock(void)
{
	return fake_now;
}

static void
test_cache(void **state)
{
	struct graph_cache *c = graph_cache_new(30, 3, 10 * 1024 * 1024);
	struct graph_cache_stats st;
	struct graph_req req;
	struct graph_out a, b;
	char err[512];

	(void)state;
	assert_non_null(c);
	graph_cache_set_clock(c, fake_clock);
	fake_now = 1000;
	site_req(&req, GRAPH_CLIENTS, AGENT);
	assert_int_equal(graph_cache_render(c, "suoi-chai", &req, &a, err, sizeof err), 0);
	assert_int_equal(graph_cache_render(c, "suoi-chai", &req, &b, err, sizeof err), 0);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	assert_ptr_not_equal(a.data, b.data);     /* each caller owns its copy */
	graph_out_free(&b);
	graph_cache_get_stats(c, &st);
	assert_int_equal(st.renders, 1);
	assert_int_equal(st.hits, 1);
	assert_int_equal(st.entries, 1);
	assert_int_equal(st.bytes, a.len);

	/* another format is another entry */
	req.format = GRAPH_SVG;
	assert_int_equal(graph_cache_render(c, "suoi-chai", &req, &b, err, sizeof err), 0);
	assert_int_equal(strncmp((char *)b.data, "<?xml", 5), 0);
	graph_out_free(&b);
	req.format = GRAPH_PNG;

	/* past the TTL: rendered again */
	fake_now += 31;
	assert_int_equal(graph_cache_render(c, "suoi-chai", &req, &b, err, sizeof err), 0);
	graph_out_free(&b);
	graph_cache_get_stats(c, &st);
	assert_int_equal(st.renders, 3);
	assert_int_equal(st.entries, 1);        /* the SVG expired too */

	/* bounded in entries: the least recently used goes */
	req.range = 6 * 3600;
	fake_now += 1;
	assert_int_equal(graph_cache_render(c, "suoi-chai", &req, &b, err, sizeof err), 0);
	graph_out_free(&b);
	req.range = 7 * DAY;
	fake_now += 1;
	assert_int_equal(graph_cache_render(c, "suoi-chai", &req, &b, err, sizeof err), 0);
	graph_out_free(&b);
	req.range = DAY;
	fake_now += 1;
	assert_int_equal(graph_cache_render(c, "suoi-chai", &req, &b, err, sizeof err), 0);
	graph_out_free(&b);                       /* a hit: 1d is now the most recent */
	req.range = 365 * DAY;
	fake_now += 1;
	assert_int_equal(graph_cache_render(c, "suoi-chai", &req, &b, err, sizeof err), 0);
	graph_out_free(&b);
	graph_cache_get_stats(c, &st);
	assert_int_equal(st.entries, 3);
	assert_int_equal(st.evictions, 1);        /* 6h went */
	req.range = DAY;
	assert_int_equal(graph_cache_render(c, "suoi-chai", &req, &b, err, sizeof err), 0);
	graph_out_free(&b);
	graph_cache_get_stats(c, &st);
	assert_int_equal(st.renders, 6);

	/* a failed render is not cached and says why */
	site_req(&req, GRAPH_RADIO, "ap-new");
	assert_int_equal(graph_cache_render(c, "new", &req, &b, err, sizeof err), -1);
	assert_non_null(strstr(err, "radio.rrd"));
	graph_cache_get_stats(c, &st);
	assert_int_equal(st.failures, 1);
	graph_out_free(&a);
	graph_cache_free(c);

	/* bounded in bytes: an image larger than the whole cache is not kept */
	c = graph_cache_new(30, 10, 100);
	assert_non_null(c);
	site_req(&req, GRAPH_CLIENTS, AGENT);
	assert_int_equal(graph_cache_render(c, "suoi-chai", &req, &b, err, sizeof err), 0);
	graph_out_free(&b);
	graph_cache_get_stats(c, &st);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.bytes, 0);
	graph_cache_free(c);
}

struct worker {
	struct graph_cache *c;
	int rc;
};

static void *
worker_run(void *p)
{
	struct worker *w = p;
	struct graph_req req;
	struct graph_out out;
	char err[512];

	site_req(&req, GRAPH_LATENCY, AGENT);
	w->rc = graph_cache_render(w->c, "suoi-chai", &req, &out, err, sizeof err);
	if (w->rc == 0) {
		if (out.len < 8 || memcmp(out.data, "\x89PNG", 4) != 0)
			w->rc = -2;
		graph_out_free(&out);
	}
	return NULL;
}

/* Eight threads ask for one graph at once: it is rendered once. */
static void
test_cache_threads(void **state)
{
	struct graph_cache *c = graph_cache_new(30, 16, 1 << 22);
	struct graph_cache_stats st;
	pthread_t th[8];
	struct worker w[8];

	(void)state;
	assert_non_null(c);
	for (int i = 0; i < 8; i++) {
		w[i].c = c;
		w[i].rc = -1;
		assert_int_equal(pthread_create(&th[i], NULL, worker_run, &w[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].rc, 0);
	}
	graph_cache_get_stats(c, &st);
	assert_int_equal(st.renders, 1);
	assert_int_equal(st.hits, 7);
	graph_cache_free(c);
}

/* The axis of every template has its units, and no SI prefix where the
 * unit is already in the label (the old "0.3 0.2 0.2 0.1" of ms). */
static void
test_axes(void **state)
{
	static const struct { enum graph_template t; const char *vlabel, *fmt; } want[] = {
		{ GRAPH_THROUGHPUT, "bit/s   out ↓  in ↑", NULL },
		{ GRAPH_RADIO, "dBm", "%.0lf" },
		{ GRAPH_CLIENTS, "clients", "%.0lf" },
	};
	struct graph_req req;
	struct graph_args a;
	char err[256];
	int i;

	(void)state;
	for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
		site_req(&req, want[k].t, AGENT);
		assert_int_equal(graph_build_args(&req, &a, err, sizeof err), 0);
		i = find_arg(&a, "--vertical-label", 0);
		assert_true(i > 0);
		assert_string_equal(a.argv[i + 1], want[k].vlabel);
		i = find_arg(&a, "--left-axis-format", 0);
		if (want[k].fmt == NULL)
			assert_int_equal(i, -1);
		else {
			assert_true(i > 0);
			assert_string_equal(a.argv[i + 1], want[k].fmt);
			i = find_arg(&a, "--units-exponent", 0);
			assert_string_equal(a.argv[i + 1], "0");
		}
		graph_args_free(&a);
	}
	/* clients: whole steps (about 40 clients at most: 0-50 by 10) */
	site_req(&req, GRAPH_CLIENTS, AGENT);
	assert_int_equal(graph_build_args(&req, &a, err, sizeof err), 0);
	i = find_arg(&a, "--upper-limit", 0);
	assert_string_equal(a.argv[i + 1], "50");
	i = find_arg(&a, "--y-grid", 0);
	assert_string_equal(a.argv[i + 1], "10:1");
	graph_args_free(&a);
	coverage_req(&req);
	assert_int_equal(graph_build_args(&req, &a, err, sizeof err), 0);
	i = find_arg(&a, "--vertical-label", 0);
	assert_string_equal(a.argv[i + 1], "% of hamlets covered");
	i = find_arg(&a, "--left-axis-format", 0);
	assert_string_equal(a.argv[i + 1], "%.0lf");
	graph_args_free(&a);
}

/* Titles, axis labels and legends in Vietnamese for lang=vi. */
static void
test_lang_vi(void **state)
{
	struct graph_req req;
	struct graph_args a;
	char err[256];
	enum graph_lang l;
	int i;

	(void)state;
	assert_int_equal(graph_lang_parse("vi", &l, err, sizeof err), 0);
	assert_int_equal(l, GRAPH_VI);
	assert_int_equal(graph_lang_parse("fr", &l, err, sizeof err), -1);
	assert_non_null(strstr(err, "en or vi"));
	assert_string_equal(graph_lang_name(GRAPH_VI), "vi");

	site_req(&req, GRAPH_LATENCY, AGENT);
	req.lang = GRAPH_VI;
	assert_int_equal(graph_build_args(&req, &a, err, sizeof err), 0);
	i = find_arg(&a, "--title", 0);
	assert_string_equal(a.argv[i + 1], "Độ trễ — Suối Chải, Bát Xát — 24 giờ qua");
	i = find_arg(&a, "--vertical-label", 0);
	assert_string_equal(a.argv[i + 1], "độ trễ RTT, ms");
	i = find_arg(&a, "--right-axis-label", 0);
	assert_string_equal(a.argv[i + 1], "mất gói, %");
	assert_true(has_arg(&a, "AREA:nodata#E3E3E3:không có số liệu"));
	/* the header padded by characters: "mới nhất" is 8 of them, 11 bytes */
	assert_true(has_arg(&a, "COMMENT:%14s     mới nhất   trung bình     cao nhất\\l", ""));
	assert_true(find_arg(&a, "GPRINT:p50_last:RTT trung vị    ", 1) >= 0);
	for (int j = 0; j < a.argc; j++) {
		assert_null(strstr(a.argv[j], "Latency"));
		assert_null(strstr(a.argv[j], "median"));
	}
	graph_args_free(&a);

	coverage_req(&req);
	req.lang = GRAPH_VI;
	assert_int_equal(graph_build_args(&req, &a, err, sizeof err), 0);
	i = find_arg(&a, "--title", 0);
	assert_string_equal(a.argv[i + 1], "Phủ sóng — xã Bát Xát, Lào Cai — 31 ngày qua");
	i = find_arg(&a, "--vertical-label", 0);
	assert_string_equal(a.argv[i + 1], "% số thôn có sóng");
	assert_true(has_arg(&a, "HRULE:97#D32F2F:mục tiêu 97 %%:dashes=6,3"));
	assert_true(has_arg(&a, "COMMENT:hạn 31/12/2025 (còn 38 ngày)"));
	assert_true(has_arg(&a, "COMMENT:hiện có 46/50 thôn có sóng\\l"));
	assert_true(find_arg(&a, "LINE2:proj#1565C0:đúng tiến độ\\: theo tốc độ này đạt 97 % vào ",
	    1) >= 0);
	graph_args_free(&a);
}

/* The legend as librrd wrote it (graph_out.legend): an SVG draws its
 * letters as outlines, so the words are read here, not in the file. */
static int
says(const struct graph_out *out, const char *s)
{
	assert_non_null(out->legend);
	return strstr(out->legend, s) != NULL;
}

static int
says_nan(const struct graph_out *out)
{
	assert_non_null(out->legend);
	for (const char *p = out->legend; p[0] != '\0'; p++)
		if ((p[0] | 0x20) == 'n' && (p[1] | 0x20) == 'a' && (p[2] | 0x20) == 'n')
			return 1;
	return 0;
}

/* A fresh file (created, nothing in it) and a range with no data: the
 * legend says "no data yet" and never nan, in both languages. */
static void
test_no_data(void **state)
{
	static const char *const yet[GRAPH_LANG_COUNT] = { "no data yet", "chưa có dữ liệu" };
	struct graph_req req;
	struct graph_out out;
	char err[512], name[64];

	(void)state;
	for (int l = 0; l < GRAPH_LANG_COUNT; l++) {
		for (int t = 0; t < GRAPH_TEMPLATE_COUNT; t++) {
			if (t == GRAPH_COVERAGE)
				coverage_req_of(&req, "fresh");
			else
				site_req(&req, t, "ap-fresh");
			req.format = GRAPH_SVG;
			req.lang = l;
			if (graph_render(&req, &out, err, sizeof err) == -1)
				fail_msg("%s: %s", graph_template_name(t), err);
			snprintf(name, sizeof name, "%s-fresh-%s", graph_template_name(t),
			    graph_lang_name(l));
			keep(name, &out);
			if (says_nan(&out))
				fail_msg("%s: nan in the legend:\n%s", name, out.legend);
			if (!says(&out, yet[l]))
				fail_msg("%s: no '%s' in the legend:\n%s", name, yet[l],
				    out.legend);
			graph_out_free(&out);
		}
	}
	/* a file with data, but none in the range asked for */
	site_req(&req, GRAPH_LATENCY, AGENT);
	req.format = GRAPH_SVG;
	req.end = T_END + 30 * DAY;
	assert_int_equal(graph_render(&req, &out, err, sizeof err), 0);
	assert_false(says_nan(&out));
	assert_true(says(&out, "no data yet"));
	graph_out_free(&out);
	/* and the same graph over its data has its numbers, not that line */
	req.end = T_END;
	assert_int_equal(graph_render(&req, &out, err, sizeof err), 0);
	assert_false(says_nan(&out));
	assert_false(says(&out, "no data yet"));
	assert_true(says(&out, "18.4 ms"));
	graph_out_free(&out);
}

/* ?width=N: clamped, the height following; garbage refused. A phone-sized
 * graph has the compact legend (last and max) and renders at that size. */
static void
test_width(void **state)
{
	static const char *const bad[] = { "", "abc", "-5", "12px", "123456", "3.5", " 340" };
	struct graph_req req;
	struct graph_args a;
	unsigned w, h;
	char err[256];

	(void)state;
	assert_int_equal(graph_width_parse("340", &w, &h, err, sizeof err), 0);
	assert_int_equal(w, 340);
	assert_int_equal(h, 320);
	assert_int_equal(graph_width_parse("1000", &w, &h, err, sizeof err), 0);
	assert_int_equal(w, 1000);
	assert_int_equal(h, 375);
	assert_int_equal(graph_width_parse("100", &w, &h, err, sizeof err), 0);
	assert_int_equal(w, GRAPH_URL_MIN_WIDTH);
	assert_int_equal(graph_width_parse("99999", &w, &h, err, sizeof err), 0);
	assert_int_equal(w, GRAPH_URL_MAX_WIDTH);
	assert_int_equal(h, 600);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		assert_int_equal(graph_width_parse(bad[i], &w, &h, err, sizeof err), -1);
		assert_non_null(strstr(err, "expected a number of pixels (240 to 1600)"));
	}

	site_req(&req, GRAPH_LATENCY, AGENT);
	assert_int_equal(graph_width_parse("340", &req.width, &req.height, err, sizeof err), 0);
	assert_int_equal(graph_build_args(&req, &a, err, sizeof err), 0);
	assert_true(has_arg(&a, "VDEF:p50_last=p50,LAST"));
	assert_true(has_arg(&a, "VDEF:p50_max=p50,MAXIMUM"));
	assert_int_equal(find_arg(&a, "VDEF:p50_avg", 1), -1);
	assert_true(has_arg(&a, "COMMENT:%14s         last          max\\l", ""));
	graph_args_free(&a);
	for (int t = 0; t < GRAPH_TEMPLATE_COUNT; t++) {
		char name[64];

		if (t == GRAPH_COVERAGE)
			coverage_req(&req);
		else
			site_req(&req, t, AGENT);
		req.width = 340;
		req.height = graph_height_for(340);
		for (int l = 0; l < GRAPH_LANG_COUNT; l++) {
			req.lang = l;
			snprintf(name, sizeof name, "%s-340-%s", graph_template_name(t),
			    graph_lang_name(l));
			render_one(&req, name);
		}
	}
}

/* The projection's line and verdict for a rising, a late, a flat and a
 * reached series. */
static void
test_projection(void **state)
{
	struct graph_req req;
	struct graph_args a;
	struct graph_out out;
	char err[256];
	int i;

	(void)state;
	/* 1 % a day to 90 % now; 96.5 % is 6.5 days away: on 2025-11-30,
	 * 5 days after a deadline of 2025-11-25 */
	coverage_req_of(&req, "linear");
	req.target_pct = 96.5;
	req.deadline = T_END + 2 * DAY;
	assert_int_equal(graph_build_args(&req, &a, err, sizeof err), 0);
	i = find_arg(&a, "CDEF:proj=", 1);
	assert_true(i > 0);
	/* from now at 90 % rising 1 %/day (1/86400 per second) up to the
	 * projected day, capped at the target */
	assert_string_equal(a.argv[i], "CDEF:proj=pct,POP,TIME,1763856000,GE,TIME,1764460800,LE,"
	    "*,90,TIME,1763856000,-,0.000011574,*,+,96.5,MIN,UNKN,IF");
	assert_true(has_arg(&a, "LINE2:proj#1565C0:behind\\: at this pace 96.5 %% on 2025-11-30, "
	    "5 days late\\l:dashes=4,3"));
	/* the graph goes on a quarter of its range past now, and the deadline
	 * inside it is a vertical line */
	i = find_arg(&a, "--end", 0);
	assert_string_equal(a.argv[i + 1], "1764525600");
	assert_true(has_arg(&a, "VRULE:1764028800#7B1FA2:deadline 2025-11-25:dashes=2,2"));
	graph_args_free(&a);
	req.lang = GRAPH_VI;
	assert_int_equal(graph_build_args(&req, &a, err, sizeof err), 0);
	assert_true(has_arg(&a, "LINE2:proj#1565C0:chậm tiến độ\\: theo tốc độ này đạt 96,5 %% vào "
	    "30/11/2025, trễ 5 ngày\\l:dashes=4,3"));
	graph_args_free(&a);

	/* the same pace with a later deadline: on track */
	req.lang = GRAPH_EN;
	req.deadline = T_END + 38 * DAY;
	assert_int_equal(graph_build_args(&req, &a, err, sizeof err), 0);
	assert_true(has_arg(&a, "LINE2:proj#1565C0:on track\\: at this pace 96.5 %% on 2025-11-30"
	    "\\l:dashes=4,3"));
	graph_args_free(&a);
	req.format = GRAPH_SVG;
	assert_int_equal(graph_render(&req, &out, err, sizeof err), 0);
	assert_true(says(&out, "on track: at this pace 96.5 % on 2025-11-30"));
	keep("coverage-projection", &out);
	graph_out_free(&out);
	req.format = GRAPH_PNG;
	render_one(&req, "coverage-projection");

	/* flat: no line, the verdict only */
	coverage_req_of(&req, "flat");
	assert_int_equal(graph_build_args(&req, &a, err, sizeof err), 0);
	assert_int_equal(find_arg(&a, "CDEF:proj=", 1), -1);
	assert_int_equal(find_arg(&a, "LINE2:proj", 1), -1);
	assert_true(has_arg(&a, "COMMENT:not rising over the last 30 days\\l"));
	graph_args_free(&a);
	req.lang = GRAPH_VI;
	assert_int_equal(graph_build_args(&req, &a, err, sizeof err), 0);
	assert_true(has_arg(&a, "COMMENT:không tăng trong 30 ngày qua\\l"));
	graph_args_free(&a);

	/* reached: no line */
	coverage_req_of(&req, "linear");
	req.target_pct = 85;
	assert_int_equal(graph_build_args(&req, &a, err, sizeof err), 0);
	assert_int_equal(find_arg(&a, "CDEF:proj=", 1), -1);
	assert_true(has_arg(&a, "COMMENT:target reached\\l"));
	graph_args_free(&a);

	/* no target: no verdict at all */
	req.target_pct = NAN;
	assert_int_equal(graph_build_args(&req, &a, err, sizeof err), 0);
	assert_int_equal(find_arg(&a, "CDEF:proj=", 1), -1);
	for (int j = 0; j < a.argc; j++)
		assert_null(strstr(a.argv[j], "pace"));
	graph_args_free(&a);
}

/* The cache keeps one entry per language and per size. */
static void
test_cache_keys(void **state)
{
	struct graph_cache *c = graph_cache_new(30, 16, 10 * 1024 * 1024);
	struct graph_cache_stats st;
	struct graph_req req;
	struct graph_out en, vi, narrow;
	char err[512];

	(void)state;
	assert_non_null(c);
	graph_cache_set_clock(c, fake_clock);
	fake_now = 5000;
	/* PNG: an SVG numbers its clip paths from a counter of the process,
	 * so two renders of one graph differ there */
	site_req(&req, GRAPH_LATENCY, AGENT);
	assert_int_equal(graph_cache_render(c, "suoi-chai", &req, &en, err, sizeof err), 0);
	req.lang = GRAPH_VI;
	assert_int_equal(graph_cache_render(c, "suoi-chai", &req, &vi, err, sizeof err), 0);
	req.width = 340;
	req.height = graph_height_for(340);
	assert_int_equal(graph_cache_render(c, "suoi-chai", &req, &narrow, err, sizeof err), 0);
	graph_cache_get_stats(c, &st);
	assert_int_equal(st.renders, 3);
	assert_int_equal(st.hits, 0);
	assert_int_equal(st.entries, 3);
	/* each is its own image: the one graph_render makes for that request */
	check_png(&narrow, 340, 320);
	check_png(&en, 800, 300);
	check_png(&vi, 800, 300);
	assert_true(en.len != vi.len || memcmp(en.data, vi.data, en.len) != 0);
	{
		struct graph_out fresh;

		assert_int_equal(graph_render(&req, &fresh, err, sizeof err), 0);
		assert_true(says(&fresh, "RTT trung vị"));
		assert_int_equal(fresh.len, narrow.len);
		assert_memory_equal(fresh.data, narrow.data, fresh.len);
		graph_out_free(&fresh);
	}
	assert_null(narrow.legend);		/* the cache keeps images only */
	/* asked again, each comes from its own entry */
	{
		struct graph_out again;

		assert_int_equal(graph_cache_render(c, "suoi-chai", &req, &again, err,
		    sizeof err), 0);
		assert_int_equal(again.len, narrow.len);
		assert_memory_equal(again.data, narrow.data, again.len);
		graph_out_free(&again);
		req.lang = GRAPH_EN;
		req.width = 800;
		req.height = 300;
		assert_int_equal(graph_cache_render(c, "suoi-chai", &req, &again, err,
		    sizeof err), 0);
		assert_int_equal(again.len, en.len);
		assert_memory_equal(again.data, en.data, again.len);
		graph_out_free(&again);
	}
	graph_out_free(&en);
	graph_out_free(&vi);
	graph_out_free(&narrow);
	graph_cache_get_stats(c, &st);
	assert_int_equal(st.renders, 3);
	assert_int_equal(st.hits, 2);
	graph_cache_free(c);
}

static double
ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Render time of each template on a day, uncached (printed, not asserted:
 * the aim is under 50 ms each). The first render pays fontconfig's start-up. */
static void
test_timing(void **state)
{
	struct graph_req req;
	struct graph_out out;
	struct timespec t0;
	char err[512];

	(void)state;
	for (int t = 0; t < GRAPH_TEMPLATE_COUNT; t++) {
		for (int f = 0; f < 2; f++) {
			double best = 1e9;

			for (int rep = 0; rep < 3; rep++) {
				if (t == GRAPH_COVERAGE) {
					coverage_req(&req);
					req.range = DAY;
				} else
					site_req(&req, t, AGENT);
				req.format = f;
				clock_gettime(CLOCK_MONOTONIC, &t0);
				if (graph_render(&req, &out, err, sizeof err) == -1)
					fail_msg("%s", err);
				double ms = ms_since(&t0);
				if (ms < best)
					best = ms;
				graph_out_free(&out);
			}
			printf("render %-10s %s 1d 800x300: %6.1f ms\n", graph_template_name(t),
			    graph_format_name(f), best);
		}
	}
}

/* LeakSanitizer: librrd's graph code leaks a little per render. */
TL_LIBRRD_GRAPH_LEAKS

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_bad_ids),
		cmocka_unit_test(test_latency_args),
		cmocka_unit_test(test_throughput_optional_files),
		cmocka_unit_test(test_coverage_args),
		cmocka_unit_test(test_bad_request),
		cmocka_unit_test(test_render_png),
		cmocka_unit_test(test_render_svg),
		cmocka_unit_test(test_render_error),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_cache_threads),
		cmocka_unit_test(test_axes),
		cmocka_unit_test(test_lang_vi),
		cmocka_unit_test(test_no_data),
		cmocka_unit_test(test_width),
		cmocka_unit_test(test_projection),
		cmocka_unit_test(test_cache_keys),
		cmocka_unit_test(test_timing),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
