/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /graph/<template>/<id>.png|.svg?range=R&lang=vi|en&width=N: the graph
 * templates of graphs/ for a hamlet (site templates) or a commune or
 * province (coverage), the id resolved through the snapshot's inventory to
 * RRD files under data_dir, in the page's language and at the size the
 * page asks for (a phone: ?width=340), rendered through the graph cache
 * (one render at a time, each image kept for a short while).
 */
#include "pages.h"

#include "cache.h"
#include "strf.h"
#include "templates.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int reply(struct pages_out *out, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
reply(struct pages_out *out, unsigned status, const char *fmt, ...)
{
	va_list ap;
	char *b = NULL;

	va_start(ap, fmt);
	int n = vstrf(&b, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	out->body = b;
	out->len = (size_t)n;
	out->status = status;
	out->type = "text/plain; charset=utf-8";
	return 0;
}

static bool
is_file(const char *dir, const char *name)
{
	char path[GRAPH_PATH_MAX + 64];
	struct stat st;

	if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
		return false;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/*
 * Whether the files the template draws are there yet: an agent's group
 * files appear with its first sample of that group, a rollup with the
 * first evaluation. Asked before rendering, so that "no data yet" is a
 * 404 that says so, not a librrd error.
 */
static bool
have_data(const struct graph_req *req)
{
	struct stat st;

	switch (req->tmpl) {
	case GRAPH_LATENCY:
		return is_file(req->path, "icmp.rrd");
	case GRAPH_THROUGHPUT:
		return is_file(req->path, "if.rrd") || is_file(req->path, "traffic.rrd");
	case GRAPH_RADIO:
		return is_file(req->path, "radio.rrd");
	case GRAPH_CLIENTS:
		return is_file(req->path, "traffic.rrd");
	case GRAPH_COVERAGE:
		return stat(req->path, &st) == 0 && S_ISREG(st.st_mode);
	default:
		return false;
	}
}

/* pages_graph's one query key. */
static const char *
range_only(void *qarg, const char *key)
{
	return strcmp(key, "range") == 0 ? qarg : NULL;
}

int
pages_graph(struct graph_cache *gc, const struct snapshot *s, const char *data_dir,
    double yellow_margin_pct, const char *url, const char *range, struct pages_out *out)
{
	return pages_graph_query(gc, s, data_dir, yellow_margin_pct, url, range_only,
	    (void *)(uintptr_t)range, NULL, out);
}

int
pages_graph_query(struct graph_cache *gc, const struct snapshot *s, const char *data_dir,
    double yellow_margin_pct, const char *url, api_query_fn query, void *qarg,
    const char *accept_language, struct pages_out *out)
{
	char tname[32], id[ID_MAX + 8], err[1024];
	const char *rest, *slash, *dot, *range = query(qarg, "range");
	const char *width = query(qarg, "width");
	struct graph_req req;
	struct graph_out img;
	int t;

	memset(out, 0, sizeof *out);
	if (strncmp(url, "/graph/", 7) != 0)
		return reply(out, 404, "not found\n");
	rest = url + 7;
	/* TEMPLATE/ID.EXT: exactly one slash; the id is checked before it
	 * comes near a path. */
	if ((slash = strchr(rest, '/')) == NULL || (size_t)(slash - rest) >= sizeof tname)
		return reply(out, 400, "expected /graph/TEMPLATE/ID.png or .svg\n");
	memcpy(tname, rest, (size_t)(slash - rest));
	tname[slash - rest] = '\0';
	if ((t = graph_template_lookup(tname)) == -1)
		return reply(out, 400, "unknown graph template: expected latency, throughput, "
		    "radio, clients or coverage\n");
	graph_req_init(&req);
	req.tmpl = (enum graph_template)t;
	req.yellow_margin_pct = yellow_margin_pct;
	rest = slash + 1;
	if ((dot = strrchr(rest, '.')) == NULL || (size_t)(dot - rest) >= sizeof id)
		return reply(out, 400, "expected /graph/TEMPLATE/ID.png or .svg (a bad or "
		    "missing id)\n");
	if (graph_format_parse(dot + 1, &req.format, err, sizeof err) == -1)
		return reply(out, 400, "unknown image format: expected .png or .svg\n");
	memcpy(id, rest, (size_t)(dot - rest));
	id[dot - rest] = '\0';
	if (!id_valid(id))
		return reply(out, 400, "bad id: an id is 1-64 characters of a-z, 0-9, '.', '_' "
		    "and '-', starting with a letter or digit\n");
	if (graph_range_parse(range != NULL && *range != '\0' ? range : "1d", &req.range, err,
	    sizeof err) == -1)
		return reply(out, 400, "unknown range: expected 6h, 1d, 1w, 1m or 1y\n");
	/* The pages' rule: ?lang=vi|en, else Accept-Language, else English. */
	req.lang = pages_lang(query(qarg, "lang"), accept_language) == PAGES_VI ? GRAPH_VI :
	    GRAPH_EN;
	if (width != NULL && graph_width_parse(width, &req.width, &req.height, err,
	    sizeof err) == -1)
		return reply(out, 400, "%s\n", err);
	if (s == NULL || s->inv == NULL)
		return reply(out, 503, "no inventory loaded yet\n");

	switch (graph_req_place(&req, s->inv->inv, data_dir, id, err, sizeof err)) {
	case GRAPH_PLACE_OK:
		break;
	case GRAPH_PLACE_UNKNOWN:
		return reply(out, 404, req.tmpl == GRAPH_COVERAGE ? "unknown commune or province "
		    "'%s'\n" : "unknown hamlet '%s'\n", id);
	case GRAPH_PLACE_NO_AGENT:
		return reply(out, 404, "hamlet '%s' has no agent installed: no data to draw\n", id);
	case GRAPH_PLACE_PATH:
		return reply(out, 400, "%s\n", err);
	}
	if (!have_data(&req))
		return reply(out, 404, "no data for this graph yet: its RRD file appears with "
		    "the first sample (or, for coverage, the first evaluation)\n");
	if (graph_cache_render(gc, id, &req, &img, err, sizeof err) == -1)
		return reply(out, 500, "graph failed: %s\n", err);
	out->body = (char *)img.data;
	out->len = img.len;
	out->status = 200;
	out->type = graph_format_mime(req.format);
	return 0;
}
