/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Graph templates: the rrd_graph_v argument vectors for the site graphs
 * (latency, throughput, radio, clients) and the coverage graph, and the
 * in-memory rendering. The look follows Smokeping: light smoke for the RTT
 * spread, the median coloured by packet loss, no data shown apart from an
 * outage. Every text is in English or Vietnamese (req->lang), and nothing
 * unknown is ever printed as nan.
 */
#include "templates.h"
#include "errf.h"

#include "id.h"
#include "inventory.h"
#include "metric.h"
#include "strf.h"
#include "target.h"

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
#define FONT_LEGEND_NARROW "LEGEND:7:DejaVu Sans Mono"	/* under GRAPH_COMPACT_WIDTH */
#define FONT_AXIS	"AXIS:7:DejaVu Sans"

/* Colours shared by the templates. */
#define C_NODATA	"#E3E3E3"	/* nothing known: grey from top to bottom */
#define C_DOWN		"#F5B5B5"	/* known to be down: red from top to bottom */
#define C_SMOKE		"#D4D4D4"	/* RTT spread, min to max */
#define C_SMOKE_DARK	"#9C9C9C"	/* RTT median to p90 */
#define C_LOSS		"#C62828"	/* the loss line, on the right axis */
#define C_PROJECTION	"#1565C0"	/* coverage at the pace of the last 30 days */

static const char *const template_names[GRAPH_TEMPLATE_COUNT] = {
	"latency", "throughput", "radio", "clients", "coverage",
};

static const char *const lang_names[GRAPH_LANG_COUNT] = { "en", "vi" };

static const struct {
	const char *name;
	long seconds;
	const char *words[GRAPH_LANG_COUNT];	/* for the title */
} ranges[] = {
	{ "6h", 6 * 3600L, { "last 6 hours", "6 giờ qua" } },
	{ "1d", 86400L, { "last day", "24 giờ qua" } },
	{ "1w", 7 * 86400L, { "last week", "7 ngày qua" } },
	{ "1m", 31 * 86400L, { "last month", "31 ngày qua" } },
	{ "1y", 365 * 86400L, { "last year", "12 tháng qua" } },
};
#define NRANGES (sizeof ranges / sizeof ranges[0])

/*
 * Every text of the graphs, English and Vietnamese. The Vietnamese is
 * written for the province's technicians and IT staff ("thôn" for hamlet,
 * "mất gói" for packet loss), dates as dd/mm/yyyy. {1}..{3} are filled in
 * by fill(); a text that goes into a GPRINT, a legend or a COMMENT is
 * escaped by the caller (esc()).
 */
enum msg {
	GT_LATENCY, GT_THROUGHPUT, GT_RADIO, GT_CLIENTS, GT_COVERAGE,
	GT_V_LATENCY, GT_V_THROUGHPUT, GT_V_RADIO, GT_V_CLIENTS, GT_V_COVERAGE,
	GT_R_LOSS,
	GT_LAST, GT_AVG, GT_MIN, GT_MAX,
	GT_NO_DATA, GT_NO_DATA_YET, GT_DOWN, GT_MINMAX, GT_MEDIAN_P90, GT_MEDIAN_BY_LOSS,
	GT_LOSS_LINE, GT_MEDIAN_RTT, GT_LOSS,
	GT_IF_IN, GT_IF_OUT, GT_CAP_IN, GT_CAP_OUT,
	GT_SNR, GT_SIGNAL, GT_NOISE,
	GT_CLIENTS_ROW,
	GT_ON_TARGET, GT_SHORT, GT_BELOW, GT_COVERED_PCT, GT_COVERED_NO_TARGET, GT_TARGET,
	GT_DEADLINE, GT_DEADLINE_IN, GT_DEADLINE_PASSED, GT_COVERED_ROW, GT_NOW_OF,
	GT_PACE_LATE, GT_PACE_ON_TRACK, GT_PACE_REACHED, GT_PACE_FLAT,
	/* shorter, for a phone-sized graph */
	GT_SHORT_C, GT_BELOW_C, GT_PACE_LATE_C, GT_PACE_ON_TRACK_C,
	GT_COUNT
};

static const char *const msgs[GT_COUNT][GRAPH_LANG_COUNT] = {
	[GT_LATENCY] = { "Latency", "Độ trễ" },
	[GT_THROUGHPUT] = { "Throughput", "Lưu lượng" },
	[GT_RADIO] = { "Radio", "Sóng vô tuyến" },
	[GT_CLIENTS] = { "Clients", "Thiết bị truy cập" },
	[GT_COVERAGE] = { "Coverage", "Phủ sóng" },
	[GT_V_LATENCY] = { "RTT, ms", "độ trễ RTT, ms" },
	[GT_V_THROUGHPUT] = { "bit/s   out ↓  in ↑", "bit/s   gửi ↓  nhận ↑" },
	[GT_V_RADIO] = { "dBm", "dBm" },
	[GT_V_CLIENTS] = { "clients", "thiết bị" },
	[GT_V_COVERAGE] = { "% of hamlets covered", "% số thôn có sóng" },
	[GT_R_LOSS] = { "packet loss, %", "mất gói, %" },
	[GT_LAST] = { "last", "mới nhất" },
	[GT_AVG] = { "avg", "trung bình" },
	[GT_MIN] = { "min", "thấp nhất" },
	[GT_MAX] = { "max", "cao nhất" },
	[GT_NO_DATA] = { "no data", "không có số liệu" },
	[GT_NO_DATA_YET] = { "no data yet", "chưa có dữ liệu" },
	[GT_DOWN] = { "down (100 % loss)", "mất kết nối (mất 100 % gói)" },
	[GT_MINMAX] = { "min–max", "thấp–cao" },
	[GT_MEDIAN_P90] = { "median–p90", "trung vị–p90" },
	[GT_MEDIAN_BY_LOSS] = { "median RTT by loss", "RTT trung vị theo mất gói" },
	[GT_LOSS_LINE] = { "loss (right axis)", "mất gói (trục phải)" },
	[GT_MEDIAN_RTT] = { "median RTT", "RTT trung vị" },
	[GT_LOSS] = { "loss", "mất gói" },
	[GT_IF_IN] = { "interface in", "cổng mạng nhận" },
	[GT_IF_OUT] = { "interface out", "cổng mạng gửi" },
	[GT_CAP_IN] = { "captured in", "bắt gói nhận" },
	[GT_CAP_OUT] = { "captured out", "bắt gói gửi" },
	[GT_SNR] = { "SNR", "SNR" },
	[GT_SIGNAL] = { "signal", "tín hiệu" },
	[GT_NOISE] = { "noise", "nhiễu" },
	[GT_CLIENTS_ROW] = { "clients", "thiết bị" },
	[GT_ON_TARGET] = { "on target", "đạt mục tiêu" },
	[GT_SHORT] = { "less than {1} % short, before the deadline",
	    "thiếu dưới {1} %, chưa đến hạn" },
	[GT_BELOW] = { "further below, or late", "thiếu nhiều hơn, hoặc quá hạn" },
	[GT_COVERED_PCT] = { "covered %", "% có sóng" },
	[GT_COVERED_NO_TARGET] = { "covered % (no target set)", "% có sóng (chưa đặt mục tiêu)" },
	[GT_TARGET] = { "target {1} %", "mục tiêu {1} %" },
	[GT_DEADLINE] = { "deadline {1}", "hạn {1}" },
	[GT_DEADLINE_IN] = { "deadline {1} (in {2} days)", "hạn {1} (còn {2} ngày)" },
	[GT_DEADLINE_PASSED] = { "deadline {1} (passed)", "hạn {1} (đã qua)" },
	[GT_COVERED_ROW] = { "covered", "có sóng" },
	[GT_NOW_OF] = { "now {1} of {2} hamlets covered", "hiện có {1}/{2} thôn có sóng" },
	[GT_PACE_LATE] = { "behind: at this pace {1} % on {2}, {3} days late",
	    "chậm tiến độ: theo tốc độ này đạt {1} % vào {2}, trễ {3} ngày" },
	[GT_PACE_ON_TRACK] = { "on track: at this pace {1} % on {2}",
	    "đúng tiến độ: theo tốc độ này đạt {1} % vào {2}" },
	[GT_PACE_REACHED] = { "target reached", "đã đạt mục tiêu" },
	[GT_PACE_FLAT] = { "not rising over the last 30 days", "không tăng trong 30 ngày qua" },
	[GT_SHORT_C] = { "< {1} % short", "thiếu < {1} %" },
	[GT_BELOW_C] = { "further below, or late", "thiếu hơn, quá hạn" },
	[GT_PACE_LATE_C] = { "behind: {1} % on {2}, {3} days late",
	    "chậm: đạt {1} % vào {2}, trễ {3} ngày" },
	[GT_PACE_ON_TRACK_C] = { "on track: {1} % on {2}", "đúng tiến độ: đạt {1} % vào {2}" },
};

/* A phone-sized graph: compact legend, shorter texts. */
static int
narrow(const struct graph_req *req)
{
	return req->width < GRAPH_COMPACT_WIDTH;
}

static const char *
tr(const struct graph_req *req, enum msg m)
{
	return msgs[m][(unsigned)req->lang < GRAPH_LANG_COUNT ? req->lang : GRAPH_EN];
}

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
	req->lang = GRAPH_EN;
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

enum graph_place
graph_req_place(struct graph_req *req, const struct inventory *inv, const char *data_dir,
    const char *id, char *err, size_t errlen)
{
	if (req->tmpl != GRAPH_COVERAGE) {
		const struct inv_hamlet *h = inventory_hamlet(inv, id);
		if (h == NULL)
			return GRAPH_PLACE_UNKNOWN;
		if (h->agent == NULL)
			return GRAPH_PLACE_NO_AGENT;
		snprintf(req->title, sizeof req->title, "%s, %s", h->name,
		    inv->communes[h->commune].name);
		return graph_req_site(req, data_dir, inv->provinces[h->province].id, h->agent,
		    err, errlen) == -1 ? GRAPH_PLACE_PATH : GRAPH_PLACE_OK;
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
		return GRAPH_PLACE_UNKNOWN;
	}
	if (tg->set) {
		req->target_pct = tg->pct;
		if (tg->deadline != INV_NO_DATE)
			req->deadline = (int64_t)tg->deadline * 86400;
	}
	return graph_req_rollup(req, data_dir, p->id, c != NULL ? c->id : NULL, err,
	    errlen) == -1 ? GRAPH_PLACE_PATH : GRAPH_PLACE_OK;
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
range_words(const struct graph_req *req)
{
	for (size_t i = 0; i < NRANGES; i++)
		if (ranges[i].seconds == req->range)
			return ranges[i].words[req->lang == GRAPH_VI];
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

int
graph_lang_parse(const char *name, enum graph_lang *out, char *err, size_t errlen)
{
	for (int i = 0; i < GRAPH_LANG_COUNT; i++) {
		if (strcmp(name, lang_names[i]) == 0) {
			*out = (enum graph_lang)i;
			return 0;
		}
	}
	errf(err, errlen, "language '%.32s': expected en or vi", name);
	return -1;
}

const char *
graph_lang_name(enum graph_lang l)
{
	return (unsigned)l < GRAPH_LANG_COUNT ? lang_names[l] : "en";
}

unsigned
graph_height_for(unsigned width)
{
	unsigned h = width * 3 / 8;

	if (width < GRAPH_COMPACT_WIDTH)
		return 320;
	return h < 300 ? 300 : h;
}

int
graph_width_parse(const char *s, unsigned *width, unsigned *height, char *err, size_t errlen)
{
	unsigned long v = 0;
	size_t n = strlen(s);

	if (n == 0 || n > 5 || strspn(s, "0123456789") != n) {
		errf(err, errlen, "width '%.32s': expected a number of pixels (%u to %u)", s,
		    GRAPH_URL_MIN_WIDTH, GRAPH_URL_MAX_WIDTH);
		return -1;
	}
	for (const char *p = s; *p != '\0'; p++)
		v = v * 10 + (unsigned long)(*p - '0');
	if (v < GRAPH_URL_MIN_WIDTH)
		v = GRAPH_URL_MIN_WIDTH;
	if (v > GRAPH_URL_MAX_WIDTH)
		v = GRAPH_URL_MAX_WIDTH;
	*width = (unsigned)v;
	*height = graph_height_for(*width);
	return 0;
}

/* --- building the argument vector --- */
/* --- texts --- */

/* Characters (code points) of a UTF-8 string. */
static size_t
u8len(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

/*
 * s into buf with rrdtool's specials escaped: ':' as "\:" (a graph element
 * is split on colons), and in a GPRINT format '%' as "%%". Cut at a
 * character boundary when buf is too short.
 */
static const char *
esc(char *buf, size_t len, const char *s, int gprint)
{
	size_t j = 0;

	for (const char *p = s; *p != '\0'; p++) {
		const char *e = *p == ':' ? "\\:" : *p == '%' && gprint ? "%%" : NULL;
		size_t need = e != NULL ? 2 : 1;

		if (j + need + 1 > len)
			break;
		if (e != NULL) {
			memcpy(buf + j, e, 2);
			j += 2;
		} else
			buf[j++] = *p;
	}
	/* Never end inside a character. */
	while (j > 0 && ((unsigned char)buf[j - 1] & 0x80) != 0) {
		size_t k = j - 1, cont = 0;

		while (k > 0 && ((unsigned char)buf[k] & 0xC0) == 0x80) {
			k--;
			cont++;
		}
		/* The lead byte at k says how long its character is. */
		unsigned char lead = (unsigned char)buf[k];
		size_t want = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : 0;
		if (cont == want)
			break;
		j = k;
	}
	buf[j] = '\0';
	return buf;
}

/* s padded with spaces to width characters, on the right (left-aligned
 * text) or, with right set, on the left. */
static const char *
pad(char *buf, size_t len, const char *s, int width, int right)
{
	size_t n = u8len(s), sl = strlen(s), sp = (size_t)width > n ? (size_t)width - n : 0;

	if (sl + sp + 1 > len)
		sp = len > sl + 1 ? len - sl - 1 : 0;
	if (sl + 1 > len) {
		buf[0] = '\0';
		return buf;
	}
	if (right) {
		memset(buf, ' ', sp);
		memcpy(buf + sp, s, sl + 1);
	} else {
		memcpy(buf, s, sl);
		memset(buf + sl, ' ', sp);
		buf[sl + sp] = '\0';
	}
	return buf;
}

/* tmpl with {1}, {2}, {3} replaced by a1, a2, a3 (NULL: ""). */
static const char *
fill(char *buf, size_t len, const char *tmpl, const char *a1, const char *a2, const char *a3)
{
	const char *args[3] = { a1, a2, a3 };
	size_t j = 0;

	for (const char *p = tmpl; *p != '\0' && j + 1 < len; p++) {
		if (p[0] == '{' && p[1] >= '1' && p[1] <= '3' && p[2] == '}') {
			const char *v = args[p[1] - '1'] != NULL ? args[p[1] - '1'] : "";
			size_t n = strlen(v);

			if (j + n + 1 > len)
				n = len - j - 1;
			memcpy(buf + j, v, n);
			j += n;
			p += 2;
		} else
			buf[j++] = *p;
	}
	buf[j] = '\0';
	return buf;
}

/* A percentage in a text: "96.5", "96,5" in Vietnamese (the decimal comma
 * of the collector's Vietnamese texts; the GPRINT figures keep librrd's
 * point). */
static const char *
pct_str(const struct graph_req *req, double v, char *buf, size_t len)
{
	snprintf(buf, len, "%g", v);
	if (req->lang == GRAPH_VI)
		for (char *p = buf; *p != '\0'; p++)
			if (*p == '.')
				*p = ',';
	return buf;
}

/* A day (Unix seconds of any time in it, UTC) as the language writes it:
 * 2025-12-31, 31/12/2025. */
static const char *
day_str(const struct graph_req *req, int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, len, req->lang == GRAPH_VI ?
	    "%d/%m/%Y" : "%Y-%m-%d", &tm) == 0)
		snprintf(buf, len, "?");
	return buf;
}

/* --- reading the files --- */

/* One rrd_fetch_r: rows rows of cnt values, row r at start + (r + 1) * step. */
struct fetched {
	time_t		 start;
	unsigned long	 step, rows, cnt;
	char		**names;
	rrd_value_t	*data;
};

/* Reads path (AVERAGE, as the graphs draw it) over [start, end] at about
 * step seconds a row. Returns 0, or -1 (librrd's error cleared). */
static int
fetch(const char *path, int64_t start, int64_t end, unsigned long step, struct fetched *f)
{
	time_t e = (time_t)end;

	memset(f, 0, sizeof *f);
	f->start = (time_t)start;
	f->step = step > 0 ? step : 1;
	rrd_clear_error();
	if (rrd_fetch_r(path, "AVERAGE", &f->start, &e, &f->step, &f->cnt, &f->names,
	    &f->data) != 0) {
		rrd_clear_error();
		memset(f, 0, sizeof *f);
		return -1;
	}
	f->rows = e > f->start && f->step > 0 ? (unsigned long)(e - f->start) / f->step : 0;
	return 0;
}

static void
fetch_free(struct fetched *f)
{
	for (unsigned long i = 0; f->names != NULL && i < f->cnt; i++)
		rrd_freemem(f->names[i]);
	rrd_freemem(f->names);
	rrd_freemem(f->data);
	memset(f, 0, sizeof *f);
}

/* The column of a DS, or -1 when the file has none of that name. */
static int
fetch_col(const struct fetched *f, const char *ds)
{
	for (unsigned long i = 0; i < f->cnt; i++)
		if (strcmp(f->names[i], ds) == 0)
			return (int)i;
	return -1;
}

#define PROBE_MAX 4

/* What a file holds for some DS over the graph's range. */
struct probe {
	int		 read;			/* the file could be read */
	unsigned long	 known[PROBE_MAX];	/* rows with a value */
	double		 max[PROBE_MAX];	/* NAN when none */
	double		 last[PROBE_MAX];	/* the last known value, NAN when none */
};

/*
 * Reads ds[0..n) of path over [start, end]. When the file cannot be read,
 * every DS counts as known (read = 0): rrd_graph, which reads it next,
 * then says what is wrong with it in its own words.
 */
static void
probe(const char *path, int64_t start, int64_t end, unsigned long step,
    const char *const *ds, int n, struct probe *p)
{
	struct fetched f;

	memset(p, 0, sizeof *p);
	for (int i = 0; i < n && i < PROBE_MAX; i++) {
		p->known[i] = 1;
		p->max[i] = p->last[i] = NAN;
	}
	if (fetch(path, start, end, step, &f) == -1)
		return;
	p->read = 1;
	for (int i = 0; i < n && i < PROBE_MAX; i++) {
		int c = fetch_col(&f, ds[i]);

		p->known[i] = 0;
		for (unsigned long r = 0; c >= 0 && r < f.rows; r++) {
			double v = f.data[r * f.cnt + (unsigned long)c];

			if (isnan(v))
				continue;
			p->known[i]++;
			if (isnan(p->max[i]) || v > p->max[i])
				p->max[i] = v;
			p->last[i] = v;
		}
	}
	fetch_free(&f);
}

/* The rows the probe reads: about one a pixel, never coarser than the
 * graph's own (so that its maximum is at least the one drawn). */
static unsigned long
probe_step(const struct graph_req *req)
{
	unsigned long s = (unsigned long)req->range / req->width;

	return s > 0 ? s : 1;
}

/*
 * A y axis from 0 to a round top above max (not NAN): the top, its grid
 * step (3 to 5 intervals) and the decimals its labels need. At least
 * min_top.
 */
static void
nice_scale(double max, double min_top, double *top, double *step, int *decimals)
{
	/* 4 or 5 intervals: the loss on the right axis reads 25, 50, 75 or
	 * 20, 40, 60, 80. */
	static const struct { double m; int n; } nice[] = {
		{ 1, 5 }, { 1.5, 5 }, { 2, 4 }, { 2.5, 5 }, { 3, 5 }, { 4, 4 }, { 5, 5 },
		{ 6, 4 }, { 8, 4 }, { 10, 5 },
	};
	double want = max * 1.05 < min_top ? min_top : max * 1.05;
	double p = pow(10, floor(log10(want)));
	size_t i = 0;

	while (i + 1 < sizeof nice / sizeof nice[0] && nice[i].m * p < want * (1 - 1e-9))
		i++;
	*top = nice[i].m * p;
	*step = *top / nice[i].n;
	/* As many decimals as the step has (0.25: 2; 0.6: 1; 50: 0). */
	for (*decimals = 0; *decimals < 6; (*decimals)++) {
		double x = *step * pow(10, *decimals);

		if (fabs(x - round(x)) < 1e-6 * x)
			break;
	}
}

/*
 * v for librrd: plain decimals, never an exponent (its RPN reads
 * "8.3e-05" as two tokens), trailing zeros dropped.
 */
static const char *
fnum(char *buf, size_t len, double v)
{
	size_t n;

	snprintf(buf, len, "%.9f", v);
	n = strlen(buf);
	while (n > 1 && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 1 && buf[n - 1] == '.')
		buf[--n] = '\0';
	return buf;
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
	n = vstrf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		a->failed = 1;
		return;
	}
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

/* The group file of a site template that has nothing to draw without it:
 * 0, or -1 with err set (what: the samples that would have made it). */
static int
site_file_needed(const struct graph_req *req, enum metric_group g, const char *what, char *buf,
    size_t len, char *err, size_t errlen)
{
	int r = site_file(req, g, buf, len, err, errlen);

	if (r == 0)
		errf(err, errlen, "%s/%s.rrd: no such file (no %s sample stored for this agent "
		    "yet)", req->path, metric_group_name[g], what);
	return r == 1 ? 0 : -1;
}

/* probe() of a site's group file, over about one row a pixel. */
static void
site_probe(const struct graph_req *req, enum metric_group g, int64_t start, int64_t end,
    const char *const *ds, int n, struct probe *p)
{
	char raw[GRAPH_PATH_MAX + 32];

	snprintf(raw, sizeof raw, "%s/%s.rrd", req->path, metric_group_name[g]);
	probe(raw, start, end, probe_step(req), ds, n, p);
}

/*
 * The time axis, chosen here rather than by librrd: its own labels are
 * English ("Sat 03:00", "Week 44", "November 2025") and, on a phone-sized
 * graph, too close together. Numbers in Vietnamese (31/12), English month
 * and day names otherwise; half the labels when narrow.
 */
static const char *
x_grid(const struct graph_req *req, int64_t span)
{
	static const struct {
		int64_t upto;			/* seconds shown, at most */
		const char *grid[2][2];		/* [vi][narrow] */
	} g[] = {
		{ 8 * 3600, {
		    { "MINUTE:30:HOUR:1:HOUR:1:0:%H:%M", "MINUTE:30:HOUR:1:HOUR:2:0:%H:%M" },
		    { "MINUTE:30:HOUR:1:HOUR:1:0:%H:%M", "MINUTE:30:HOUR:1:HOUR:2:0:%H:%M" } } },
		{ 2 * 86400, { { "HOUR:1:HOUR:6:HOUR:3:0:%H:%M", "HOUR:2:HOUR:6:HOUR:6:0:%H:%M" },
		    { "HOUR:1:HOUR:6:HOUR:3:0:%H:%M", "HOUR:2:HOUR:6:HOUR:6:0:%H:%M" } } },
		{ 10 * 86400, { { "HOUR:6:DAY:1:DAY:1:86400:%a %d", "HOUR:12:DAY:1:DAY:2:0:%a %d" },
		    { "HOUR:6:DAY:1:DAY:1:86400:%d/%m", "HOUR:12:DAY:1:DAY:2:0:%d/%m" } } },
		{ 70 * 86400, { { "DAY:1:WEEK:1:WEEK:1:0:%b %d", "DAY:1:WEEK:1:WEEK:2:0:%b %d" },
		    { "DAY:1:WEEK:1:WEEK:1:0:%d/%m", "DAY:1:WEEK:1:WEEK:2:0:%d/%m" } } },
		{ INT64_MAX, { { "WEEK:1:MONTH:1:MONTH:1:0:%b", "MONTH:1:MONTH:1:MONTH:3:0:%b" },
		    { "WEEK:1:MONTH:1:MONTH:1:0:%m/%Y", "MONTH:1:MONTH:1:MONTH:3:0:%m/%y" } } },
	};
	size_t i = 0;

	while (span > g[i].upto)
		i++;
	return g[i].grid[req->lang == GRAPH_VI][narrow(req)];
}

/* The options every template shares: output, size, time, fonts, colours. */
static void
common_args(struct graph_args *a, const struct graph_req *req, int64_t start, int64_t end,
    enum msg what, enum msg vlabel)
{
	const char *words = range_words(req);

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
	arg(a, "%lld", (long long)start);
	arg(a, "--end");
	arg(a, "%lld", (long long)end);
	arg(a, "--x-grid");
	arg(a, "%s", x_grid(req, end - start));
	arg(a, "--title");
	if (words == NULL)
		arg(a, "%s%s%s", tr(req, what), req->title[0] != '\0' ? " — " : "", req->title);
	else
		arg(a, "%s%s%s — %s", tr(req, what), req->title[0] != '\0' ? " — " : "",
		    req->title, words);
	arg(a, "--vertical-label");
	arg(a, "%s", tr(req, vlabel));
	arg(a, "--font");
	arg(a, FONT_DEFAULT);
	arg(a, "--font");
	arg(a, FONT_TITLE);
	arg(a, "--font");
	arg(a, "%s", req->width < GRAPH_COMPACT_WIDTH ? FONT_LEGEND_NARROW : FONT_LEGEND);
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
}

/* A right axis that repeats the left one, in the same format: on a wide
 * graph the values are readable on both sides. fmt NULL: librrd's own. */
/* A y axis from 0 to top, fixed whatever is drawn, with labels of dec
 * decimals and no SI prefix; a grid line every step (0: librrd's grid). */
static void
zero_axis(struct graph_args *a, double top, double step, int dec)
{
	char nb[48];

	arg(a, "--lower-limit");
	arg(a, "0");
	arg(a, "--upper-limit");
	arg(a, "%s", fnum(nb, sizeof nb, top));
	arg(a, "--rigid");
	arg(a, "--units-exponent");
	arg(a, "0");
	if (step > 0) {
		arg(a, "--y-grid");
		arg(a, "%s:1", fnum(nb, sizeof nb, step));
	}
	arg(a, "--left-axis-format");
	arg(a, "%%.%dlf", dec);
}

static void
mirror_axis(struct graph_args *a, const char *fmt)
{
	arg(a, "--right-axis");
	arg(a, "1:0");
	if (fmt != NULL) {
		arg(a, "--right-axis-format");
		arg(a, "%s", fmt);
	}
}

/*
 * The legend's table of numbers: a header row, then one row per variable
 * with its last, average (minimum) and maximum; on a narrow graph only the
 * last and the maximum. Every cell is glued (\g) so that, in the
 * monospaced legend font, columns line up by characters (padded by
 * characters, not bytes: Vietnamese letters take two or three bytes).
 * A variable with no value in the range says "no data yet" instead of
 * nan; a table with none at all is that one line.
 */
#define LABEL_W 14

struct table {
	const struct graph_req	*req;
	int			 width;		/* characters of a number cell */
	int			 with_min;
	int			 compact;
};

static void
table_init(struct table *t, const struct graph_req *req, int width, int with_min)
{
	t->req = req;
	t->width = width;
	t->with_min = with_min && !narrow(req);
	t->compact = narrow(req);
}

static void
table_header(struct graph_args *a, const struct table *t)
{
	char lbl[64], c[4][64], line[512], e[1024];
	const struct graph_req *req = t->req;

	pad(lbl, sizeof lbl, "", LABEL_W, 0);
	pad(c[0], sizeof c[0], tr(req, GT_LAST), t->width, 1);
	pad(c[1], sizeof c[1], tr(req, GT_AVG), t->width, 1);
	pad(c[2], sizeof c[2], tr(req, GT_MIN), t->width, 1);
	pad(c[3], sizeof c[3], tr(req, GT_MAX), t->width, 1);
	if (t->compact)
		snprintf(line, sizeof line, "%s  %s  %s", lbl, c[0], c[3]);
	else if (t->with_min)
		snprintf(line, sizeof line, "%s  %s  %s  %s  %s", lbl, c[0], c[1], c[2], c[3]);
	else
		snprintf(line, sizeof line, "%s  %s  %s  %s", lbl, c[0], c[1], c[3]);
	arg(a, "COMMENT:%s\\l", esc(e, sizeof e, line, 0));
}

/* fmt: a GPRINT format of exactly t->width visible characters (%% for %). */
static void
table_row(struct graph_args *a, const struct table *t, const char *vname, enum msg label,
    const char *fmt, unsigned long known)
{
	char padded[128], e[256];

	pad(padded, sizeof padded, tr(t->req, label), LABEL_W, 0);
	if (known == 0) {
		char line[256];

		snprintf(line, sizeof line, "%s  %s", padded, tr(t->req, GT_NO_DATA_YET));
		arg(a, "COMMENT:%s\\l", esc(e, sizeof e, line, 0));
		return;
	}
	arg(a, "VDEF:%s_last=%s,LAST", vname, vname);
	arg(a, "VDEF:%s_max=%s,MAXIMUM", vname, vname);
	/* The label goes in the first cell: librrd trims the trailing
	 * spaces of a COMMENT, which would undo the padding. */
	arg(a, "GPRINT:%s_last:%s  %s\\g", vname, esc(e, sizeof e, padded, 1), fmt);
	if (!t->compact) {
		arg(a, "VDEF:%s_avg=%s,AVERAGE", vname, vname);
		arg(a, "GPRINT:%s_avg:  %s\\g", vname, fmt);
	}
	if (t->with_min) {
		arg(a, "VDEF:%s_min=%s,MINIMUM", vname, vname);
		arg(a, "GPRINT:%s_min:  %s\\g", vname, fmt);
	}
	arg(a, "GPRINT:%s_max:  %s\\l", vname, fmt);
}

/* The header unless nothing in the table is known; then "no data yet". */
static int
table_start(struct graph_args *a, const struct table *t, const unsigned long *known, int n)
{
	for (int i = 0; i < n; i++) {
		if (known[i] > 0) {
			table_header(a, t);
			return 1;
		}
	}
	arg(a, "COMMENT:%s\\l", tr(t->req, GT_NO_DATA_YET));
	return 0;
}

/*
 * Latency: Smokeping-like. Light smoke from min to max, darker from the
 * median to p90, and the median drawn as a 2-pixel band coloured by the
 * loss of the same interval. Where loss is UNKNOWN (no sample) the column
 * is grey; where loss is 100 % (probes sent, none answered) it is red.
 * Values are AVERAGE-consolidated like Smokeping's, so a 1-year graph shows
 * the average spread, not the extremes.
 *
 * The left axis is RTT in ms from 0 to a round top above the range's
 * largest max (read from the file: librrd's own choice scaled 0.3 ms to
 * "300 m" or printed "0.2 0.2 0.1"), with as many decimals as its step
 * needs; the right axis is the packet loss, 0-100 % over the same height,
 * drawn as a thin red line.
 */
static int
tmpl_latency(struct graph_args *a, const struct graph_req *req, int64_t start, int64_t end,
    char *err, size_t errlen)
{
	static const char *const ds[] = { "icmp_rtt_max_ms", "icmp_rtt_p50_ms", "icmp_loss_pct" };
	char f[2 * GRAPH_PATH_MAX + 64], e[256], nb[48];
	struct probe pr;
	struct table t;
	double top, step;
	int dec;

	if (site_file_needed(req, G_ICMP, "ICMP", f, sizeof f, err, errlen) == -1)
		return -1;
	site_probe(req, G_ICMP, start, end, ds, 3, &pr);
	/* Nothing known: an empty 0-100 ms. */
	nice_scale(isnan(pr.max[0]) ? 95 : pr.max[0], 0.01, &top, &step, &dec);

	zero_axis(a, top, step, dec);
	arg(a, "--right-axis");
	arg(a, "%s:0", fnum(nb, sizeof nb, 100 / top));
	arg(a, "--right-axis-label");
	arg(a, "%s", tr(req, GT_R_LOSS));
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
	arg(a, "AREA:nodata" C_NODATA ":%s", esc(e, sizeof e, tr(req, GT_NO_DATA), 0));
	/* A narrow graph breaks the legend's lines itself: librrd lets a
	 * line of Vietnamese run past the edge. */
	arg(a, "AREA:down" C_DOWN ":%s%s", esc(e, sizeof e, tr(req, GT_DOWN), 0),
	    narrow(req) ? "\\l" : "");

	/*
	 * Smoke, painted from 0 upwards in layers rather than stacked on an
	 * invisible base: librrd stacks an UNKNOWN as 0 and still draws a
	 * 1-pixel sliver on the axis, and a plain AREA that is UNKNOWN draws
	 * nothing. Light to max, dark to p90, light again to p50, canvas
	 * white to min: white | min light p50 dark p90 light max.
	 */
	arg(a, "AREA:max" C_SMOKE ":%s", esc(e, sizeof e, tr(req, GT_MINMAX), 0));
	arg(a, "AREA:p90" C_SMOKE_DARK ":%s\\l", esc(e, sizeof e, tr(req, GT_MEDIAN_P90), 0));
	arg(a, "AREA:p50" C_SMOKE);
	arg(a, "AREA:min#FFFFFF");

	/*
	 * The median, about 3 px thick whatever the scale (the plot is a bit
	 * over half the image's height): an area in the colour of the loss
	 * band up to p50 + half, then smoke and white painted back over what
	 * is below p50 - half.
	 */
	/* ",1,*": librrd refuses a CDEF that ends in a number. */
	arg(a, "CDEF:half=p50,POP,%s,1,*", fnum(nb, sizeof nb, top * 2.5 / req->height));
	arg(a, "COMMENT:%s%s", esc(e, sizeof e, tr(req, GT_MEDIAN_BY_LOSS), 0),
	    narrow(req) ? "\\l" : "");
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
	/* The loss on the right axis: 100 % at the top. */
	arg(a, "CDEF:lossline=loss,%s,*", fnum(nb, sizeof nb, top / 100));
	arg(a, "LINE1:lossline" C_LOSS ":%s\\l", esc(e, sizeof e, tr(req, GT_LOSS_LINE), 0));

	table_init(&t, req, 11, 0);
	if (table_start(a, &t, pr.known + 1, 2)) {
		table_row(a, &t, "p50", GT_MEDIAN_RTT, "%8.1lf ms", pr.known[1]);
		table_row(a, &t, "loss", GT_LOSS, "%9.1lf %%", pr.known[2]);
	}
	return 0;
}

/*
 * Throughput: interface counters (SNMP, if.rrd) as areas and captured
 * traffic (pcap, traffic.rrd) as lines, in above the axis and out mirrored
 * below it. Either file may be missing; both missing is an error. The axis
 * keeps librrd's SI prefixes (k, M): bit/s span six orders of magnitude.
 */
static int
tmpl_throughput(struct graph_args *a, const struct graph_req *req, int64_t start,
    int64_t end, char *err, size_t errlen)
{
	static const char *const ds_if[] = { "if_rx_bps", "if_tx_bps" };
	static const char *const ds_pcap[] = { "pcap_rx_bps", "pcap_tx_bps" };
	char fi[2 * GRAPH_PATH_MAX + 64], ft[2 * GRAPH_PATH_MAX + 64];
	char e[256];
	struct probe pi, pt;
	struct table t;
	unsigned long known[4];
	int hi, ht;

	if ((hi = site_file(req, G_IF, fi, sizeof fi, err, errlen)) == -1 ||
	    (ht = site_file(req, G_TRAFFIC, ft, sizeof ft, err, errlen)) == -1)
		return -1;
	if (!hi && !ht) {
		errf(err, errlen, "%s: neither if.rrd nor traffic.rrd exists (no SNMP or "
		    "capture sample stored for this agent yet)", req->path);
		return -1;
	}
	memset(&pi, 0, sizeof pi);
	memset(&pt, 0, sizeof pt);
	if (hi)
		site_probe(req, G_IF, start, end, ds_if, 2, &pi);
	if (ht)
		site_probe(req, G_TRAFFIC, start, end, ds_pcap, 2, &pt);
	arg(a, "--base");
	arg(a, "1000");
	mirror_axis(a, NULL);
	if (hi) {
		arg(a, "DEF:irx=%s:if_rx_bps:AVERAGE", fi);
		arg(a, "DEF:itx=%s:if_tx_bps:AVERAGE", fi);
		arg(a, "CDEF:itxn=itx,-1,*");
		arg(a, "AREA:irx#7CC47C:%s", esc(e, sizeof e, tr(req, GT_IF_IN), 0));
		arg(a, "AREA:itxn#7FA7DE:%s", esc(e, sizeof e, tr(req, GT_IF_OUT), 0));
	}
	if (ht) {
		arg(a, "DEF:prx=%s:pcap_rx_bps:AVERAGE", ft);
		arg(a, "DEF:ptx=%s:pcap_tx_bps:AVERAGE", ft);
		arg(a, "CDEF:ptxn=ptx,-1,*");
		arg(a, "LINE1.5:prx#1B6E1B:%s", esc(e, sizeof e, tr(req, GT_CAP_IN), 0));
		arg(a, "LINE1.5:ptxn#123F8C:%s", esc(e, sizeof e, tr(req, GT_CAP_OUT), 0));
	}
	arg(a, "HRULE:0#606060");
	arg(a, "COMMENT:\\l");
	known[0] = pi.known[0];
	known[1] = pi.known[1];
	known[2] = pt.known[0];
	known[3] = pt.known[1];
	table_init(&t, req, 14, 0);
	if (table_start(a, &t, known, 4)) {
		if (hi) {
			table_row(a, &t, "irx", GT_IF_IN, "%7.2lf %sbit/s", known[0]);
			table_row(a, &t, "itx", GT_IF_OUT, "%7.2lf %sbit/s", known[1]);
		}
		if (ht) {
			table_row(a, &t, "prx", GT_CAP_IN, "%7.2lf %sbit/s", known[2]);
			table_row(a, &t, "ptx", GT_CAP_OUT, "%7.2lf %sbit/s", known[3]);
		}
	}
	return 0;
}

/* Radio: signal and noise in dBm, the SNR as the band between them. */
static int
tmpl_radio(struct graph_args *a, const struct graph_req *req, int64_t start, int64_t end,
    char *err, size_t errlen)
{
	static const char *const ds[] = { "radio_signal_dbm", "radio_noise_dbm", "radio_snr_db" };
	char f[2 * GRAPH_PATH_MAX + 64], e[256];
	struct probe pr;
	struct table t;

	if (site_file_needed(req, G_RADIO, "radio", f, sizeof f, err, errlen) == -1)
		return -1;
	site_probe(req, G_RADIO, start, end, ds, 3, &pr);
	arg(a, "--units-exponent");
	arg(a, "0");
	arg(a, "--left-axis-format");
	arg(a, "%%.0lf");
	mirror_axis(a, "%.0lf");
	arg(a, "DEF:sig=%s:radio_signal_dbm:AVERAGE", f);
	arg(a, "DEF:noise=%s:radio_noise_dbm:AVERAGE", f);
	arg(a, "DEF:snr=%s:radio_snr_db:AVERAGE", f);
	arg(a, "CDEF:gap=sig,noise,-");
	arg(a, "AREA:noise");
	arg(a, "AREA:gap#CFE8C9:%s:STACK", esc(e, sizeof e, tr(req, GT_SNR), 0));
	arg(a, "LINE2:sig#2E7D32:%s", esc(e, sizeof e, tr(req, GT_SIGNAL), 0));
	arg(a, "LINE2:noise#B23A3A:%s\\l", esc(e, sizeof e, tr(req, GT_NOISE), 0));
	table_init(&t, req, 11, 0);
	if (table_start(a, &t, pr.known, 3)) {
		table_row(a, &t, "sig", GT_SIGNAL, "%7.1lf dBm", pr.known[0]);
		table_row(a, &t, "noise", GT_NOISE, "%7.1lf dBm", pr.known[1]);
		table_row(a, &t, "snr", GT_SNR, "%8.1lf dB", pr.known[2]);
	}
	return 0;
}

/* Clients seen by the capture probe: a whole number, so whole steps on
 * the axis (librrd's own would print "0 0 1 1 2" for a quiet site). */
static int
tmpl_clients(struct graph_args *a, const struct graph_req *req, int64_t start, int64_t end,
    char *err, size_t errlen)
{
	static const char *const ds[] = { "clients" };
	char f[2 * GRAPH_PATH_MAX + 64], e[256];
	struct probe pr;
	struct table t;
	double top, step;
	int dec;

	if (site_file_needed(req, G_TRAFFIC, "capture", f, sizeof f, err, errlen) == -1)
		return -1;
	site_probe(req, G_TRAFFIC, start, end, ds, 1, &pr);
	nice_scale(isnan(pr.max[0]) ? 0 : pr.max[0], 5, &top, &step, &dec);
	/* Whole numbers of clients, whatever the step's decimals. */
	zero_axis(a, top, step, 0);
	mirror_axis(a, "%.0lf");
	arg(a, "DEF:clients=%s:clients:AVERAGE", f);
	arg(a, "AREA:clients#B5D3EE");
	arg(a, "LINE1.5:clients#1F5F9F:%s\\l", esc(e, sizeof e, tr(req, GT_CLIENTS_ROW), 0));
	table_init(&t, req, 10, 0);
	if (table_start(a, &t, pr.known, 1))
		table_row(a, &t, "clients", GT_CLIENTS_ROW, "%10.1lf", pr.known[0]);
	return 0;
}

/*
 * The pace of a rollup (target.h): covered_pct over the TARGET_PACE_DAYS
 * before now, judged against the request's target and deadline. *current
 * is the last known covered_pct (NAN: none). Returns -1 when the file
 * cannot be read.
 */
static int
rollup_pace(const struct graph_req *req, int64_t now, struct target_pace *pace, double *current)
{
	struct fetched f;
	double *t = NULL, *v = NULL;
	size_t n = 0;
	int c;

	*current = NAN;
	*pace = (struct target_pace){ .projected = TARGET_NO_DATE };
	/* An hour a row: the 60-step RRA of a one-minute rollup. */
	if (fetch(req->path, now - TARGET_PACE_DAYS * 86400L, now, 3600, &f) == -1)
		return -1;
	if ((c = fetch_col(&f, "covered_pct")) >= 0 && f.rows > 0) {
		t = calloc(f.rows, sizeof *t);
		v = calloc(f.rows, sizeof *v);
		if (t == NULL || v == NULL) {
			free(t);
			free(v);
			fetch_free(&f);
			return -1;
		}
		for (unsigned long r = 0; r < f.rows; r++) {
			double x = f.data[r * f.cnt + (unsigned long)c];

			if (isnan(x))
				continue;
			t[n] = (double)f.start + (double)((r + 1) * f.step);
			v[n++] = x;
			*current = x;
		}
	}
	/* The figure now: the last value of the last day at the file's own
	 * step (the 30-day rows average hours). */
	fetch_free(&f);
	if (fetch(req->path, now - 86400, now, 1, &f) == 0 &&
	    (c = fetch_col(&f, "covered_pct")) >= 0)
		for (unsigned long r = 0; r < f.rows; r++)
			if (!isnan(f.data[r * f.cnt + (unsigned long)c]))
				*current = f.data[r * f.cnt + (unsigned long)c];
	target_pace(t, v, n, *current, req->target_pct, req->deadline != 0 ?
	    (int32_t)(req->deadline / 86400) : TARGET_NO_DATE, (double)now, pace);
	free(t);
	free(v);
	fetch_free(&f);
	return 0;
}

/*
 * The projection: a dashed line from now and the current figure, at the
 * pace of the last 30 days, to the target on the projected day (or to the
 * graph's right edge when that day is further), with the verdict as its
 * legend. No line when the target is reached or the series is not rising:
 * the verdict alone. Nothing without a target or a series.
 */
static void
projection(struct graph_args *a, const struct graph_req *req, int64_t now, int64_t end)
{
	struct target_pace pace;
	double current;
	char day[32], pct[32], late[32], text[512], e[1024], n1[48], n2[48], n3[48];

	if (isnan(req->target_pct) || rollup_pace(req, now, &pace, &current) == -1 ||
	    isnan(current) || !pace.known)
		return;
	pct_str(req, req->target_pct, pct, sizeof pct);
	if (pace.reached) {
		arg(a, "COMMENT:%s\\l", esc(e, sizeof e, tr(req, GT_PACE_REACHED), 0));
		return;
	}
	if (!pace.rising || pace.projected == TARGET_NO_DATE) {
		arg(a, "COMMENT:%s\\l", esc(e, sizeof e, tr(req, GT_PACE_FLAT), 0));
		return;
	}
	day_str(req, (int64_t)pace.projected * 86400, day, sizeof day);
	snprintf(late, sizeof late, "%d", (int)pace.days_late);
	if (pace.on_track)
		fill(text, sizeof text, tr(req, narrow(req) ? GT_PACE_ON_TRACK_C :
		    GT_PACE_ON_TRACK), pct, day, NULL);
	else
		fill(text, sizeof text, tr(req, narrow(req) ? GT_PACE_LATE_C : GT_PACE_LATE), pct,
		    day, late);

	int64_t to = (int64_t)pace.projected * 86400;
	if (to > end)
		to = end;
	/* pct,POP: a value at each of the graph's steps, future ones too
	 * (UNKNOWN in the file, but TIME is known). */
	arg(a, "CDEF:proj=pct,POP,TIME,%lld,GE,TIME,%lld,LE,*,%s,TIME,%lld,-,%s,*,+,%s,MIN,"
	    "UNKN,IF", (long long)now, (long long)to, fnum(n1, sizeof n1, current),
	    (long long)now, fnum(n2, sizeof n2, pace.per_day / 86400),
	    fnum(n3, sizeof n3, req->target_pct));
	arg(a, "LINE2:proj" C_PROJECTION ":%s\\l:dashes=4,3", esc(e, sizeof e, text, 0));
}

/*
 * Coverage of a commune or province: covered % as an area coloured by the
 * one target rule (target.h: green at or above the target; yellow within
 * the margin before the deadline; red below that, or below the target
 * after the deadline), the target as a dashed line, the deadline as a
 * vertical line when it falls in the graph (else named in the legend),
 * and the projection at the pace of the last 30 days.
 */
static int
tmpl_coverage(struct graph_args *a, const struct graph_req *req, int64_t now, int64_t end,
    char *err, size_t errlen)
{
	static const char *const ds[] = { "covered_pct", "covered", "total" };
	char f[2 * GRAPH_PATH_MAX + 64], e[512], text[256], day[32], num[32], num2[32];
	struct stat sb;
	struct probe pr;
	struct table t;
	int has_target = !isnan(req->target_pct);
	int64_t start = now - req->range;

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
	probe(req->path, start, now, probe_step(req), ds, 3, &pr);
	zero_axis(a, 100, 0, 0);
	mirror_axis(a, "%.0lf");
	arg(a, "DEF:pct=%s:covered_pct:AVERAGE", f);
	arg(a, "DEF:covered=%s:covered:AVERAGE", f);
	arg(a, "DEF:total=%s:total:AVERAGE", f);
	/* Grey where nothing is known, up to now: the future is not a gap. */
	arg(a, "CDEF:nodata=pct,UN,TIME,%lld,LE,*,INF,UNKN,IF", (long long)now);
	arg(a, "AREA:nodata" C_NODATA ":%s", esc(e, sizeof e, tr(req, GT_NO_DATA), 0));
	if (has_target) {
		double tg = req->target_pct, y = tg - req->yellow_margin_pct;
		/* Yellow only up to the end of the deadline's day. */
		long long dl = req->deadline != 0 ? (long long)(req->deadline / 86400 + 1) * 86400 :
		    (long long)end + 1;

		pct_str(req, req->yellow_margin_pct, num, sizeof num);
		pct_str(req, tg, num2, sizeof num2);
		arg(a, "CDEF:green=pct,%g,GE,pct,UNKN,IF", tg);
		arg(a, "CDEF:yellow=pct,%g,LT,pct,%g,GE,*,TIME,%lld,LT,*,pct,UNKN,IF", tg, y, dl);
		arg(a, "CDEF:red=pct,%g,LT,pct,%g,LT,TIME,%lld,GE,MAX,*,pct,UNKN,IF", tg, y, dl);
		arg(a, "AREA:green#A8DBA0:%s%s", esc(e, sizeof e, tr(req, GT_ON_TARGET), 0),
		    narrow(req) ? "\\l" : "");
		arg(a, "AREA:yellow#F5DC8C:%s", esc(e, sizeof e, fill(text, sizeof text,
		    tr(req, narrow(req) ? GT_SHORT_C : GT_SHORT), num, NULL, NULL), 0));
		arg(a, "AREA:red#F2A7A7:%s\\l", esc(e, sizeof e, tr(req, narrow(req) ?
		    GT_BELOW_C : GT_BELOW), 0));
		arg(a, "LINE1.5:pct#2B3A4A:%s", esc(e, sizeof e, tr(req, GT_COVERED_PCT), 0));
		arg(a, "HRULE:%g#D32F2F:%s:dashes=6,3", tg, esc(e, sizeof e, fill(text,
		    sizeof text, tr(req, GT_TARGET), num2, NULL, NULL), 0));
	} else {
		arg(a, "AREA:pct#A8DBA0");
		arg(a, "LINE1.5:pct#2B3A4A:%s", esc(e, sizeof e, tr(req, GT_COVERED_NO_TARGET), 0));
	}
	if (req->deadline != 0) {
		day_str(req, req->deadline, day, sizeof day);
		if (req->deadline >= start && req->deadline <= end) {
			fill(text, sizeof text, tr(req, GT_DEADLINE), day, NULL, NULL);
			arg(a, "VRULE:%lld#7B1FA2:%s:dashes=2,2", (long long)req->deadline,
			    esc(e, sizeof e, text, 0));
		} else if (req->deadline > end) {
			snprintf(num, sizeof num, "%lld",
			    (long long)((req->deadline - now + 86399) / 86400));
			fill(text, sizeof text, tr(req, GT_DEADLINE_IN), day, num, NULL);
			arg(a, "COMMENT:%s", esc(e, sizeof e, text, 0));
		} else {
			fill(text, sizeof text, tr(req, GT_DEADLINE_PASSED), day, NULL, NULL);
			arg(a, "COMMENT:%s", esc(e, sizeof e, text, 0));
		}
	}
	arg(a, "COMMENT:\\l");
	if (pr.known[0] > 0)
		projection(a, req, now, end);
	table_init(&t, req, 10, 1);
	if (table_start(a, &t, pr.known, 1)) {
		table_row(a, &t, "pct", GT_COVERED_ROW, "%8.1lf %%", pr.known[0]);
		if (!isnan(pr.last[1]) && !isnan(pr.last[2])) {
			snprintf(num, sizeof num, "%.0f", pr.last[1]);
			snprintf(num2, sizeof num2, "%.0f", pr.last[2]);
			arg(a, "COMMENT:%s\\l", esc(e, sizeof e, fill(text, sizeof text,
			    tr(req, GT_NOW_OF), num, num2, NULL), 0));
		}
	}
	return 0;
}

int
graph_build_args(const struct graph_req *req, struct graph_args *a, char *err, size_t errlen)
{
	static const enum msg what[GRAPH_TEMPLATE_COUNT] = {
		GT_LATENCY, GT_THROUGHPUT, GT_RADIO, GT_CLIENTS, GT_COVERAGE,
	};
	static const enum msg vlabel[GRAPH_TEMPLATE_COUNT] = {
		GT_V_LATENCY, GT_V_THROUGHPUT, GT_V_RADIO, GT_V_CLIENTS, GT_V_COVERAGE,
	};
	int64_t now = req->end != 0 ? req->end : (int64_t)time(NULL);
	int64_t start = now - req->range, end = now;
	int r;

	memset(a, 0, sizeof *a);
	if ((unsigned)req->tmpl >= GRAPH_TEMPLATE_COUNT) {
		errf(err, errlen, "unknown graph template %d", (int)req->tmpl);
		return -1;
	}
	if ((unsigned)req->lang >= GRAPH_LANG_COUNT) {
		errf(err, errlen, "unknown graph language %d", (int)req->lang);
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
	/* The coverage graph looks ahead: a quarter of its range past now,
	 * where the projection to the target and a near deadline are drawn.
	 * The site graphs end now. */
	if (req->tmpl == GRAPH_COVERAGE)
		end = now + req->range / 4;
	common_args(a, req, start, end, what[req->tmpl], vlabel[req->tmpl]);
	switch (req->tmpl) {
	case GRAPH_LATENCY:
		r = tmpl_latency(a, req, start, end, err, errlen);
		break;
	case GRAPH_THROUGHPUT:
		r = tmpl_throughput(a, req, start, end, err, errlen);
		break;
	case GRAPH_RADIO:
		r = tmpl_radio(a, req, start, end, err, errlen);
		break;
	case GRAPH_CLIENTS:
		r = tmpl_clients(a, req, start, end, err, errlen);
		break;
	case GRAPH_COVERAGE:
	default:
		r = tmpl_coverage(a, req, now, end, err, errlen);
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

/* librrd's legend[N] entries, one a line, into *text (malloc'd). */
static int
legend_text(const rrd_info_t *info, char **text)
{
	size_t len = 0, j = 0;

	for (const rrd_info_t *p = info; p != NULL; p = p->next)
		if (p->type == RD_I_STR && strncmp(p->key, "legend[", 7) == 0)
			len += strlen(p->value.u_str) + 1;
	if ((*text = malloc(len + 1)) == NULL)
		return -1;
	for (const rrd_info_t *p = info; p != NULL; p = p->next) {
		if (p->type == RD_I_STR && strncmp(p->key, "legend[", 7) == 0) {
			size_t n = strlen(p->value.u_str);

			memcpy(*text + j, p->value.u_str, n);
			j += n;
			(*text)[j++] = '\n';
		}
	}
	(*text)[j] = '\0';
	return 0;
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
	if (legend_text(info, &out->legend) == -1) {
		errf(err, errlen, "%s graph: out of memory", graph_template_name(req->tmpl));
		graph_out_free(out);
		goto done;
	}
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
	free(out->legend);
	memset(out, 0, sizeof *out);
}

int
graph_out_save(const struct graph_out *img, const char *path, char *err, size_t errlen)
{
	bool is_stdout = strcmp(path, "-") == 0;
	FILE *fp = is_stdout ? stdout : fopen(path, "wb");

	if (fp == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fwrite(img->data, 1, img->len, fp) != img->len || fflush(fp) != 0) {
		snprintf(err, errlen, "%s: %s", is_stdout ? "stdout" : path, strerror(errno));
		if (!is_stdout)
			fclose(fp);
		return -1;
	}
	if (!is_stdout && fclose(fp) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}
