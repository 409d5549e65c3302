/*
 * Graph templates: the rrd_graph_v argument vectors for the site graphs
 * (latency, throughput, radio, clients) and the coverage graph, and the
 * in-memory rendering. The look follows Smokeping: light smoke for the RTT
 * spread, the median coloured by packet loss, no data shown apart from an
 * outage.
 */
#include "templates.h"
#include "errf.h"

#include "id.h"
#include "metric.h"

#include <rrd.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* DejaVu has the Vietnamese glyphs (Debian: fonts-dejavu-core); the legend
 * is monospaced so that its columns of numbers line up. */
#define FONT_DEFAULT	"DEFAULT:8:DejaVu Sans"
#define FONT_TITLE	"TITLE:10:DejaVu Sans"
#define FONT_LEGEND	"LEGEND:8:DejaVu Sans Mono"
#define FONT_AXIS	"AXIS:7:DejaVu Sans"

/* Colours shared by the templates. */
#define C_NODATA	"#E3E3E3"	/* nothing known: grey from top to bottom */
#define C_DOWN		"#F5B5B5"	/* known to be down: red from top to bottom */
#define C_SMOKE		"#D4D4D4"	/* RTT spread, min to max */
#define C_SMOKE_DARK	"#9C9C9C"	/* RTT median to p90 */

static const char *const template_names[GRAPH_TEMPLATE_COUNT] = {
	"latency", "throughput", "radio", "clients", "coverage",
};

static const struct {
	const char *name;
	long seconds;
	const char *words;	/* for the title */
} ranges[] = {
	{ "6h", 6 * 3600L, "last 6 hours" },
	{ "1d", 86400L, "last day" },
	{ "1w", 7 * 86400L, "last week" },
	{ "1m", 31 * 86400L, "last month" },
	{ "1y", 365 * 86400L, "last year" },
};
#define NRANGES (sizeof ranges / sizeof ranges[0])

/*
 * Loss bands of the median line, Smokeping's idea with coarser steps:
 * upper bound of each band (inclusive) and its colour.
 */
static const struct {
	double upto;
	const char *colour;
	const char *legend;
} loss_bands[] = {
	{ 0, "#1FA81F", "0 %" },
	{ 2, "#0A7CFF", "≤2 %" },
	{ 5, "#8A3CF0", "≤5 %" },
	{ 20, "#FF8C00", "≤20 %" },
	{ INFINITY, "#E01010", ">20 %" },
};
#define NBANDS (sizeof loss_bands / sizeof loss_bands[0])

void
graph_req_init(struct graph_req *req)
{
	memset(req, 0, sizeof *req);
	req->tmpl = GRAPH_LATENCY;
	req->format = GRAPH_PNG;
	req->range = 86400L;
	req->target_pct = NAN;
	req->yellow_margin_pct = 10;
	req->width = 800;
	req->height = 300;
}

int
graph_req_site(struct graph_req *req, const char *data_dir, const char *province,
    const char *agent, char *err, size_t errlen)
{
	int n;

	if (!id_valid(province) || !id_valid(agent)) {
		errf(err, errlen, "invalid province or agent id");
		return -1;
	}
	n = snprintf(req->path, sizeof req->path, "%s/rrd/%s/%s", data_dir, province, agent);
	if (n < 0 || (size_t)n >= sizeof req->path) {
		errf(err, errlen, "data_dir %s: path too long", data_dir);
		return -1;
	}
	return 0;
}

int
graph_req_rollup(struct graph_req *req, const char *data_dir, const char *province,
    const char *commune, char *err, size_t errlen)
{
	int n;

	if (!id_valid(province) || (commune != NULL && !id_valid(commune))) {
		errf(err, errlen, "invalid province or commune id");
		return -1;
	}
	if (commune != NULL)
		n = snprintf(req->path, sizeof req->path, "%s/rrd/%s/_commune_%s.rrd", data_dir,
		    province, commune);
	else
		n = snprintf(req->path, sizeof req->path, "%s/rrd/%s/_province.rrd", data_dir,
		    province);
	if (n < 0 || (size_t)n >= sizeof req->path) {
		errf(err, errlen, "data_dir %s: path too long", data_dir);
		return -1;
	}
	return 0;
}

const char *
graph_template_name(enum graph_template t)
{
	return (unsigned)t < GRAPH_TEMPLATE_COUNT ? template_names[t] : "?";
}

int
graph_template_lookup(const char *name)
{
	for (int i = 0; i < GRAPH_TEMPLATE_COUNT; i++)
		if (strcmp(name, template_names[i]) == 0)
			return i;
	return -1;
}

int
graph_range_parse(const char *name, long *seconds, char *err, size_t errlen)
{
	for (size_t i = 0; i < NRANGES; i++) {
		if (strcmp(name, ranges[i].name) == 0) {
			*seconds = ranges[i].seconds;
			return 0;
		}
	}
	errf(err, errlen, "range '%.32s': expected one of 6h, 1d, 1w, 1m, 1y", name);
	return -1;
}

const char *
graph_range_name(long seconds)
{
	for (size_t i = 0; i < NRANGES; i++)
		if (ranges[i].seconds == seconds)
			return ranges[i].name;
	return NULL;
}

static const char *
range_words(long seconds)
{
	for (size_t i = 0; i < NRANGES; i++)
		if (ranges[i].seconds == seconds)
			return ranges[i].words;
	return NULL;
}

int
graph_format_parse(const char *name, enum graph_format *out, char *err, size_t errlen)
{
	if (strcmp(name, "png") == 0)
		*out = GRAPH_PNG;
	else if (strcmp(name, "svg") == 0)
		*out = GRAPH_SVG;
	else {
		errf(err, errlen, "format '%.32s': expected png or svg", name);
		return -1;
	}
	return 0;
}

const char *
graph_format_name(enum graph_format f)
{
	return f == GRAPH_SVG ? "svg" : "png";
}

const char *
graph_format_mime(enum graph_format f)
{
	return f == GRAPH_SVG ? "image/svg+xml" : "image/png";
}

/* --- building the argument vector --- */

static void __attribute__((format(printf, 2, 3)))
arg(struct graph_args *a, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	if (a->failed)
		return;
	if (a->argc >= GRAPH_MAX_ARGS - 1) {
		a->failed = 1;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (s = malloc((size_t)n + 1)) == NULL) {
		a->failed = 1;
		return;
	}
	va_start(ap, fmt);
	(void)vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	a->argv[a->argc++] = s;
	a->argv[a->argc] = NULL;
}

/*
 * A file name inside DEF:vname=FILE:ds:CF. rrdtool splits the definition on
 * ':' and takes "\:" as a literal colon, so those are escaped. Returns -1
 * when it does not fit.
 */
static int
escape_path(const char *path, char *buf, size_t len)
{
	size_t j = 0;

	for (const char *p = path; *p != '\0'; p++) {
		if (j + 3 > len)
			return -1;
		if (*p == ':' || *p == '\\')
			buf[j++] = '\\';
		buf[j++] = *p;
	}
	buf[j] = '\0';
	return 0;
}

/* The group file of a site template: 1 when it is a regular file, 0 when
 * it does not exist, -1 (err set) when it cannot be looked at. */
static int
site_file(const struct graph_req *req, enum metric_group g, char *buf, size_t len, char *err,
    size_t errlen)
{
	char path[GRAPH_PATH_MAX + 32];
	struct stat sb;
	int n;

	n = snprintf(path, sizeof path, "%s/%s.rrd", req->path, metric_group_name[g]);
	if (n < 0 || (size_t)n >= sizeof path || escape_path(path, buf, len) == -1) {
		errf(err, errlen, "%s: path too long", req->path);
		return -1;
	}
	if (stat(path, &sb) == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		errf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		errf(err, errlen, "%s: not a regular file", path);
		return -1;
	}
	return 1;
}

/* The options every template shares: output, size, time, fonts, colours. */
static void
common_args(struct graph_args *a, const struct graph_req *req, int64_t end, const char *what,
    const char *vlabel)
{
	const char *words = range_words(req->range);

	arg(a, "graph");
	arg(a, "-");
	arg(a, "--imgformat");
	arg(a, "%s", req->format == GRAPH_SVG ? "SVG" : "PNG");
	arg(a, "--full-size-mode");
	arg(a, "--width");
	arg(a, "%u", req->width);
	arg(a, "--height");
	arg(a, "%u", req->height);
	arg(a, "--start");
	arg(a, "%lld", (long long)(end - req->range));
	arg(a, "--end");
	arg(a, "%lld", (long long)end);
	arg(a, "--title");
	if (words == NULL)
		arg(a, "%s%s%s", what, req->title[0] != '\0' ? " — " : "", req->title);
	else
		arg(a, "%s%s%s — %s", what, req->title[0] != '\0' ? " — " : "", req->title,
		    words);
	arg(a, "--vertical-label");
	arg(a, "%s", vlabel);
	arg(a, "--font");
	arg(a, FONT_DEFAULT);
	arg(a, "--font");
	arg(a, FONT_TITLE);
	arg(a, "--font");
	arg(a, FONT_LEGEND);
	arg(a, "--font");
	arg(a, FONT_AXIS);
	arg(a, "--border");
	arg(a, "0");
	arg(a, "--color");
	arg(a, "BACK#FFFFFF");
	arg(a, "--color");
	arg(a, "CANVAS#FFFFFF");
	arg(a, "--color");
	arg(a, "GRID#D8D8D8");
	arg(a, "--color");
	arg(a, "MGRID#B0B0B0");
	arg(a, "--color");
	arg(a, "FRAME#808080");
	arg(a, "--color");
	arg(a, "ARROW#606060");
	arg(a, "--color");
	arg(a, "FONT#202020");
	arg(a, "--color");
	arg(a, "AXIS#606060");
	arg(a, "--grid-dash");
	arg(a, "1:1");
	arg(a, "--disable-rrdtool-tag");
	/* A right axis too: it leaves room for the last time label, and on
	 * a wide graph the values are readable on both sides. */
	arg(a, "--right-axis");
	arg(a, "1:0");
}

/*
 * The legend's table of numbers: a header row, then one row per variable
 * with its last, average (minimum) and maximum. Every cell is glued (\g) so
 * that, in the monospaced legend font, columns line up by characters.
 */
#define LABEL_W 14

static void
stats_header(struct graph_args *a, int width, int with_min)
{
	arg(a, "COMMENT:%-*s  %*s  %*s%s%*s  %*s\\l", LABEL_W, "", width, "last", width, "avg",
	    with_min ? "  " : "", with_min ? width : 0, with_min ? "min" : "", width, "max");
}

/* fmt: a GPRINT format of exactly width visible characters (%% for %). */
static void
stats_row(struct graph_args *a, const char *vname, const char *label, const char *fmt,
    int with_min)
{
	arg(a, "VDEF:%s_last=%s,LAST", vname, vname);
	arg(a, "VDEF:%s_avg=%s,AVERAGE", vname, vname);
	arg(a, "VDEF:%s_max=%s,MAXIMUM", vname, vname);
	/* The label goes in the first cell: librrd trims the trailing
	 * spaces of a COMMENT, which would undo the padding. */
	arg(a, "GPRINT:%s_last:%-*s  %s\\g", vname, LABEL_W, label, fmt);
	arg(a, "GPRINT:%s_avg:  %s\\g", vname, fmt);
	if (with_min) {
		arg(a, "VDEF:%s_min=%s,MINIMUM", vname, vname);
		arg(a, "GPRINT:%s_min:  %s\\g", vname, fmt);
	}
	arg(a, "GPRINT:%s_max:  %s\\l", vname, fmt);
}

/*
 * Latency: Smokeping-like. Light smoke from min to max, darker from the
 * median to p90, and the median drawn as a 2-pixel band coloured by the
 * loss of the same interval. Where loss is UNKNOWN (no sample) the column
 * is grey; where loss is 100 % (probes sent, none answered) it is red.
 * Values are AVERAGE-consolidated like Smokeping's, so a 1-year graph shows
 * the average spread, not the extremes.
 */
static int
tmpl_latency(struct graph_args *a, const struct graph_req *req, char *err, size_t errlen)
{
	char f[2 * GRAPH_PATH_MAX + 64];
	int r;

	if ((r = site_file(req, G_ICMP, f, sizeof f, err, errlen)) == -1)
		return -1;
	if (r == 0) {
		errf(err, errlen, "%s/icmp.rrd: no such file (no ICMP sample stored for this "
		    "agent yet)", req->path);
		return -1;
	}
	arg(a, "--lower-limit");
	arg(a, "0");
	arg(a, "--units-exponent");
	arg(a, "0");
	arg(a, "--right-axis-format");
	arg(a, "%%.0lf");
	arg(a, "DEF:min=%s:icmp_rtt_min_ms:AVERAGE", f);
	arg(a, "DEF:max=%s:icmp_rtt_max_ms:AVERAGE", f);
	arg(a, "DEF:p50=%s:icmp_rtt_p50_ms:AVERAGE", f);
	arg(a, "DEF:p90=%s:icmp_rtt_p90_ms:AVERAGE", f);
	arg(a, "DEF:loss=%s:icmp_loss_pct:AVERAGE", f);

	/* Background first: what is not known, and what is known to be down. */
	arg(a, "CDEF:nodata=loss,UN,INF,UNKN,IF");
	arg(a, "CDEF:down=loss,100,GE,INF,UNKN,IF");
	arg(a, "AREA:nodata" C_NODATA ":no data");
	arg(a, "AREA:down" C_DOWN ":down (100 %% loss)");

	/*
	 * Smoke, painted from 0 upwards in layers rather than stacked on an
	 * invisible base: librrd stacks an UNKNOWN as 0 and still draws a
	 * 1-pixel sliver on the axis, and a plain AREA that is UNKNOWN draws
	 * nothing. Light to max, dark to p90, light again to p50, canvas
	 * white to min: white | min light p50 dark p90 light max.
	 */
	arg(a, "AREA:max" C_SMOKE ":min–max");
	arg(a, "AREA:p90" C_SMOKE_DARK ":median–p90\\l");
	arg(a, "AREA:p50" C_SMOKE);
	arg(a, "AREA:min#FFFFFF");

	/*
	 * The median, about 3 px thick whatever the scale (the plot is a bit
	 * over half the image's height, its top near the largest max): an
	 * area in the colour of the loss band up to p50 + half, then smoke
	 * and white painted back over what is below p50 - half.
	 */
	arg(a, "VDEF:top=max,MAXIMUM");
	arg(a, "CDEF:half=p50,POP,top,2.5,*,%u,/", req->height);
	arg(a, "COMMENT:median RTT by loss");
	for (size_t i = 0; i < NBANDS; i++) {
		if (i == 0)
			arg(a, "CDEF:m%zu=loss,0,LE,p50,half,+,UNKN,IF", i);
		else if (isinf(loss_bands[i].upto))
			arg(a, "CDEF:m%zu=loss,%g,GT,p50,half,+,UNKN,IF", i,
			    loss_bands[i - 1].upto);
		else
			arg(a, "CDEF:m%zu=loss,%g,GT,loss,%g,LE,*,p50,half,+,UNKN,IF", i,
			    loss_bands[i - 1].upto, loss_bands[i].upto);
		arg(a, "AREA:m%zu%s:%s%s", i, loss_bands[i].colour, loss_bands[i].legend,
		    i + 1 == NBANDS ? "\\l" : "");
	}
	arg(a, "CDEF:below=p50,half,-,min,MAX");
	arg(a, "AREA:below" C_SMOKE);
	arg(a, "AREA:min#FFFFFF");

	arg(a, "COMMENT: \\l");
	stats_header(a, 11, 0);
	stats_row(a, "p50", "median RTT", "%8.1lf ms", 0);
	stats_row(a, "loss", "loss", "%9.1lf %%", 0);
	return 0;
}

/*
 * Throughput: interface counters (SNMP, if.rrd) as areas and captured
 * traffic (pcap, traffic.rrd) as lines, in above the axis and out mirrored
 * below it. Either file may be missing; both missing is an error.
 */
static int
tmpl_throughput(struct graph_args *a, const struct graph_req *req, char *err, size_t errlen)
{
	char fi[2 * GRAPH_PATH_MAX + 64], ft[2 * GRAPH_PATH_MAX + 64];
	int hi, ht;

	if ((hi = site_file(req, G_IF, fi, sizeof fi, err, errlen)) == -1 ||
	    (ht = site_file(req, G_TRAFFIC, ft, sizeof ft, err, errlen)) == -1)
		return -1;
	if (!hi && !ht) {
		errf(err, errlen, "%s: neither if.rrd nor traffic.rrd exists (no SNMP or "
		    "capture sample stored for this agent yet)", req->path);
		return -1;
	}
	arg(a, "--base");
	arg(a, "1000");
	if (hi) {
		arg(a, "DEF:irx=%s:if_rx_bps:AVERAGE", fi);
		arg(a, "DEF:itx=%s:if_tx_bps:AVERAGE", fi);
		arg(a, "CDEF:itxn=itx,-1,*");
		arg(a, "AREA:irx#7CC47C:interface in ");
		arg(a, "AREA:itxn#7FA7DE:interface out");
	}
	if (ht) {
		arg(a, "DEF:prx=%s:pcap_rx_bps:AVERAGE", ft);
		arg(a, "DEF:ptx=%s:pcap_tx_bps:AVERAGE", ft);
		arg(a, "CDEF:ptxn=ptx,-1,*");
		arg(a, "LINE1.5:prx#1B6E1B:captured in ");
		arg(a, "LINE1.5:ptxn#123F8C:captured out");
	}
	arg(a, "HRULE:0#606060");
	arg(a, "COMMENT:\\l");
	stats_header(a, 14, 0);
	if (hi) {
		stats_row(a, "irx", "interface in", "%7.2lf %sbit/s", 0);
		stats_row(a, "itx", "interface out", "%7.2lf %sbit/s", 0);
	}
	if (ht) {
		stats_row(a, "prx", "captured in", "%7.2lf %sbit/s", 0);
		stats_row(a, "ptx", "captured out", "%7.2lf %sbit/s", 0);
	}
	return 0;
}

/* Radio: signal and noise in dBm, the SNR as the band between them. */
static int
tmpl_radio(struct graph_args *a, const struct graph_req *req, char *err, size_t errlen)
{
	char f[2 * GRAPH_PATH_MAX + 64];
	int r;

	if ((r = site_file(req, G_RADIO, f, sizeof f, err, errlen)) == -1)
		return -1;
	if (r == 0) {
		errf(err, errlen, "%s/radio.rrd: no such file (no radio sample stored for this "
		    "agent yet)", req->path);
		return -1;
	}
	arg(a, "--units-exponent");
	arg(a, "0");
	arg(a, "--left-axis-format");
	arg(a, "%%.0lf");
	arg(a, "--right-axis-format");
	arg(a, "%%.0lf");
	arg(a, "DEF:sig=%s:radio_signal_dbm:AVERAGE", f);
	arg(a, "DEF:noise=%s:radio_noise_dbm:AVERAGE", f);
	arg(a, "DEF:snr=%s:radio_snr_db:AVERAGE", f);
	arg(a, "CDEF:gap=sig,noise,-");
	arg(a, "AREA:noise");
	arg(a, "AREA:gap#CFE8C9:SNR:STACK");
	arg(a, "LINE2:sig#2E7D32:signal");
	arg(a, "LINE2:noise#B23A3A:noise\\l");
	stats_header(a, 11, 0);
	stats_row(a, "sig", "signal", "%7.1lf dBm", 0);
	stats_row(a, "noise", "noise", "%7.1lf dBm", 0);
	stats_row(a, "snr", "SNR", "%8.1lf dB", 0);
	return 0;
}

/* Clients seen by the capture probe. */
static int
tmpl_clients(struct graph_args *a, const struct graph_req *req, char *err, size_t errlen)
{
	char f[2 * GRAPH_PATH_MAX + 64];
	int r;

	if ((r = site_file(req, G_TRAFFIC, f, sizeof f, err, errlen)) == -1)
		return -1;
	if (r == 0) {
		errf(err, errlen, "%s/traffic.rrd: no such file (no capture sample stored for "
		    "this agent yet)", req->path);
		return -1;
	}
	arg(a, "--lower-limit");
	arg(a, "0");
	arg(a, "--units-exponent");
	arg(a, "0");
	arg(a, "--right-axis-format");
	arg(a, "%%.0lf");
	arg(a, "DEF:clients=%s:clients:AVERAGE", f);
	arg(a, "AREA:clients#B5D3EE");
	arg(a, "LINE1.5:clients#1F5F9F:clients\\l");
	stats_header(a, 7, 0);
	stats_row(a, "clients", "clients", "%7.1lf", 0);
	return 0;
}

/*
 * Coverage of a commune or province: covered % as an area coloured against
 * the target (green at or above, yellow within the margin, red below), the
 * target as a dashed line, the deadline as a vertical line when it falls in
 * the range (else named in the legend).
 */
static int
tmpl_coverage(struct graph_args *a, const struct graph_req *req, int64_t end, char *err,
    size_t errlen)
{
	char f[2 * GRAPH_PATH_MAX + 64];
	struct stat sb;
	int has_target = !isnan(req->target_pct);

	if (stat(req->path, &sb) == -1) {
		errf(err, errlen, "%s: %s%s", req->path, strerror(errno), errno == ENOENT ?
		    " (no evaluation stored for this scope yet)" : "");
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		errf(err, errlen, "%s: not a regular file", req->path);
		return -1;
	}
	if (escape_path(req->path, f, sizeof f) == -1) {
		errf(err, errlen, "%s: path too long", req->path);
		return -1;
	}
	arg(a, "--lower-limit");
	arg(a, "0");
	arg(a, "--upper-limit");
	arg(a, "100");
	arg(a, "--rigid");
	arg(a, "--units-exponent");
	arg(a, "0");
	arg(a, "--right-axis-format");
	arg(a, "%%.0lf");
	arg(a, "DEF:pct=%s:covered_pct:AVERAGE", f);
	arg(a, "DEF:covered=%s:covered:AVERAGE", f);
	arg(a, "DEF:total=%s:total:AVERAGE", f);
	arg(a, "CDEF:nodata=pct,UN,INF,UNKN,IF");
	arg(a, "AREA:nodata" C_NODATA ":no data");
	if (has_target) {
		double t = req->target_pct, y = t - req->yellow_margin_pct;

		arg(a, "CDEF:green=pct,%g,GE,pct,UNKN,IF", t);
		arg(a, "CDEF:yellow=pct,%g,LT,pct,%g,GE,*,pct,UNKN,IF", t, y);
		arg(a, "CDEF:red=pct,%g,LT,pct,UNKN,IF", y);
		arg(a, "AREA:green#A8DBA0:on target");
		arg(a, "AREA:yellow#F5DC8C:less than %g %% short", req->yellow_margin_pct);
		arg(a, "AREA:red#F2A7A7:further below\\l");
		arg(a, "LINE1.5:pct#2B3A4A:covered %%");
		arg(a, "HRULE:%g#D32F2F:target %g %%:dashes=6,3", t, t);
	} else {
		arg(a, "AREA:pct#A8DBA0");
		arg(a, "LINE1.5:pct#2B3A4A:covered %% (no target set)");
	}
	if (req->deadline != 0) {
		char day[16];
		time_t d = (time_t)req->deadline;
		struct tm tm;

		if (gmtime_r(&d, &tm) == NULL ||
		    strftime(day, sizeof day, "%Y-%m-%d", &tm) == 0)
			snprintf(day, sizeof day, "?");
		if (req->deadline >= end - req->range && req->deadline <= end)
			arg(a, "VRULE:%lld#7B1FA2:deadline %s:dashes=2,2", (long long)req->deadline,
			    day);
		else if (req->deadline > end)
			arg(a, "COMMENT:deadline %s (in %lld days)", day,
			    (long long)((req->deadline - end + 86399) / 86400));
		else
			arg(a, "COMMENT:deadline %s (passed)", day);
	}
	arg(a, "COMMENT:\\l");
	stats_header(a, 7, 1);
	stats_row(a, "pct", "covered", "%5.1lf %%", 1);
	arg(a, "VDEF:covered_last=covered,LAST");
	arg(a, "VDEF:total_last=total,LAST");
	arg(a, "GPRINT:covered_last:now %%.0lf\\g");
	arg(a, "GPRINT:total_last: of %%.0lf hamlets covered\\l");
	return 0;
}

int
graph_build_args(const struct graph_req *req, struct graph_args *a, char *err, size_t errlen)
{
	static const char *const what[GRAPH_TEMPLATE_COUNT] = {
		"Latency", "Throughput", "Radio", "Clients", "Coverage",
	};
	static const char *const vlabel[GRAPH_TEMPLATE_COUNT] = {
		"RTT (ms)", "bit/s   out ↓  in ↑", "dBm", "clients", "% of hamlets covered",
	};
	int64_t end = req->end != 0 ? req->end : (int64_t)time(NULL);
	int r;

	memset(a, 0, sizeof *a);
	if ((unsigned)req->tmpl >= GRAPH_TEMPLATE_COUNT) {
		errf(err, errlen, "unknown graph template %d", (int)req->tmpl);
		return -1;
	}
	if (req->range <= 0 || req->range > 10 * 365 * 86400L) {
		errf(err, errlen, "range %ld s: out of bounds", req->range);
		return -1;
	}
	if (req->width < GRAPH_MIN_WIDTH || req->width > GRAPH_MAX_WIDTH ||
	    req->height < GRAPH_MIN_HEIGHT || req->height > GRAPH_MAX_HEIGHT) {
		errf(err, errlen, "size %ux%u: expected %u..%u x %u..%u pixels", req->width,
		    req->height, GRAPH_MIN_WIDTH, GRAPH_MAX_WIDTH, GRAPH_MIN_HEIGHT,
		    GRAPH_MAX_HEIGHT);
		return -1;
	}
	if (req->path[0] == '\0') {
		errf(err, errlen, "no RRD path in the graph request");
		return -1;
	}
	common_args(a, req, end, what[req->tmpl], vlabel[req->tmpl]);
	switch (req->tmpl) {
	case GRAPH_LATENCY:
		r = tmpl_latency(a, req, err, errlen);
		break;
	case GRAPH_THROUGHPUT:
		r = tmpl_throughput(a, req, err, errlen);
		break;
	case GRAPH_RADIO:
		r = tmpl_radio(a, req, err, errlen);
		break;
	case GRAPH_CLIENTS:
		r = tmpl_clients(a, req, err, errlen);
		break;
	case GRAPH_COVERAGE:
	default:
		r = tmpl_coverage(a, req, end, err, errlen);
		break;
	}
	if (r == 0 && a->failed) {
		errf(err, errlen, "%s graph: out of memory or too many arguments",
		    graph_template_name(req->tmpl));
		r = -1;
	}
	if (r == -1)
		graph_args_free(a);
	return r;
}

void
graph_args_free(struct graph_args *a)
{
	for (int i = 0; i < a->argc; i++)
		free(a->argv[i]);
	memset(a, 0, sizeof *a);
}

int
graph_render(const struct graph_req *req, struct graph_out *out, char *err, size_t errlen)
{
	struct graph_args a;
	char *argv[GRAPH_MAX_ARGS];
	rrd_info_t *info, *p;
	int rc = -1;

	memset(out, 0, sizeof *out);
	if (graph_build_args(req, &a, err, errlen) == -1)
		return -1;
	/* librrd's option parser reorders argv: give it a copy of the
	 * pointers so that a's own list still frees every string. */
	memcpy(argv, a.argv, sizeof argv);
	rrd_clear_error();
	info = rrd_graph_v(a.argc, argv);
	if (info == NULL) {
		const char *e = rrd_get_error();

		errf(err, errlen, "%s graph of %s: %s", graph_template_name(req->tmpl),
		    req->path, e != NULL && *e != '\0' ? e : "rrd_graph failed");
		goto done;
	}
	for (p = info; p != NULL; p = p->next)
		if (p->type == RD_I_BLO && strcmp(p->key, "image") == 0)
			break;
	if (p == NULL || p->value.u_blo.size == 0) {
		errf(err, errlen, "%s graph of %s: librrd returned no image",
		    graph_template_name(req->tmpl), req->path);
		goto done;
	}
	out->data = malloc(p->value.u_blo.size);
	if (out->data == NULL) {
		errf(err, errlen, "%s graph: out of memory", graph_template_name(req->tmpl));
		goto done;
	}
	memcpy(out->data, p->value.u_blo.ptr, p->value.u_blo.size);
	out->len = p->value.u_blo.size;
	out->format = req->format;
	rc = 0;
done:
	if (info != NULL)
		rrd_info_free(info);
	rrd_clear_error();
	graph_args_free(&a);
	return rc;
}

void
graph_out_free(struct graph_out *out)
{
	free(out->data);
	memset(out, 0, sizeof *out);
}
