/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Graph templates over the RRD layout (DESIGN.md sections 5 and 8): each
 * template turns a request (which files, which range, which names) into the
 * argument vector of librrd's rrd_graph_v, which renders it to PNG or SVG in
 * memory. Used by covmon-graph and by the collector's /graph/ handler.
 *
 * librrd's graph code keeps global state (fonts, option parser, error
 * buffers of non-thread-safe calls): graph_render() must never run in two
 * threads at once. Callers serialise it, e.g. through graph_cache_render()
 * (cache.h), which holds one process-wide render lock around it.
 */
#ifndef COVMON_GRAPHS_TEMPLATES_H
#define COVMON_GRAPHS_TEMPLATES_H

#include <stddef.h>
#include <stdint.h>

enum graph_template {
	GRAPH_LATENCY,		/* icmp.rrd: RTT smoke, median coloured by loss */
	GRAPH_THROUGHPUT,	/* if.rrd and/or traffic.rrd: bit/s in and out */
	GRAPH_RADIO,		/* radio.rrd: signal, noise, SNR */
	GRAPH_CLIENTS,		/* traffic.rrd: clients */
	GRAPH_COVERAGE,		/* a rollup file: covered % vs target */
	GRAPH_TEMPLATE_COUNT
};

enum graph_format { GRAPH_PNG, GRAPH_SVG };

/* The language of titles, axis labels and legends (the page's). */
enum graph_lang { GRAPH_EN, GRAPH_VI, GRAPH_LANG_COUNT };

#define GRAPH_PATH_MAX		1024
#define GRAPH_TITLE_MAX		512
#define GRAPH_MAX_ARGS		192
/* Sizes a caller may ask for, in pixels of the whole image. */
#define GRAPH_MIN_WIDTH		200
#define GRAPH_MAX_WIDTH		4000
#define GRAPH_MIN_HEIGHT	120
#define GRAPH_MAX_HEIGHT	3000
/* Widths a page may ask for (/graph/...?width=N): clamped into this range,
 * the height following (graph_height_for). */
#define GRAPH_URL_MIN_WIDTH	240
#define GRAPH_URL_MAX_WIDTH	1600
/* Narrower than this, the legend is compact: last and max only, so that a
 * 340-pixel phone graph keeps its numbers readable. */
#define GRAPH_COMPACT_WIDTH	480

struct graph_req {
	enum graph_template	 tmpl;
	enum graph_format	 format;
	long			 range;		/* seconds shown, ending at end */
	int64_t			 end;		/* Unix seconds; 0 = now */
	/* Site templates: the agent's directory data_dir/rrd/<province>/<agent>.
	 * coverage: the rollup file itself. Set with graph_req_site() or
	 * graph_req_rollup(), which only accept valid ids. */
	char			 path[GRAPH_PATH_MAX];
	/* The place, free UTF-8 ("Suối Chải, Bát Xát"); the template puts its
	 * own name and the range around it. "" = none. */
	char			 title[GRAPH_TITLE_MAX];
	/* coverage only: the scope's target (NAN: none), its deadline (Unix
	 * seconds, 0: none) and the yellow margin below the target. */
	double			 target_pct;
	int64_t			 deadline;
	double			 yellow_margin_pct;
	unsigned		 width, height;	/* of the whole image (--full-size-mode) */
	enum graph_lang		 lang;
};

/* The rendered image; data is malloc'd, free with graph_out_free(). */
struct graph_out {
	unsigned char	*data;
	size_t		 len;
	enum graph_format format;
	/* What the legend says, as librrd wrote it: one entry a line, malloc'd
	 * (even an SVG draws its letters as outlines, so this is the only way
	 * to read them: for tests and alt texts). Filled by graph_render;
	 * NULL from the cache, which keeps images only. */
	char		*legend;
};

/* The argument vector for rrd_graph_v, every string malloc'd. */
struct graph_args {
	int	 argc;
	char	*argv[GRAPH_MAX_ARGS];
	int	 failed;	/* out of memory or of slots while building */
};

/* Defaults: latency, PNG, 1 day ending now, 800 x 300, English, no target,
 * margin 10 (the collector's default [coverage] yellow_margin_pct). */
void		 graph_req_init(struct graph_req *req);
/* req->path = data_dir/rrd/<province>/<agent>. Returns 0, or -1 with err
 * on an invalid id or a path too long. */
int		 graph_req_site(struct graph_req *req, const char *data_dir,
		    const char *province, const char *agent, char *err, size_t errlen);
/* req->path = the rollup of commune (or, with commune NULL, of the province). */
int		 graph_req_rollup(struct graph_req *req, const char *data_dir,
		    const char *province, const char *commune, char *err, size_t errlen);

/* The place a graph is of, from the inventory: for the site templates the
 * hamlet id (title "Hamlet, Commune", the agent's files); for coverage a
 * commune or a province id (its title, its rollup file and its target).
 * GRAPH_PLACE_OK, or what is wrong with id (err set for GRAPH_PLACE_PATH
 * only: each caller words the others for its reader). */
struct inventory;
enum graph_place {
	GRAPH_PLACE_OK,
	GRAPH_PLACE_UNKNOWN,	/* no such hamlet, or commune or province */
	GRAPH_PLACE_NO_AGENT,	/* the hamlet has no agent: nothing to draw */
	GRAPH_PLACE_PATH,	/* an invalid id in the inventory, or data_dir too long */
};
enum graph_place graph_req_place(struct graph_req *req, const struct inventory *inv,
		    const char *data_dir, const char *id, char *err, size_t errlen);

/* "latency" ... "coverage" <-> enum; lookup returns -1 for an unknown name. */
const char	*graph_template_name(enum graph_template t);
int		 graph_template_lookup(const char *name);
/* Range names 6h 1d 1w 1m 1y (1m = 31 days, 1y = 365 days). Returns 0, or
 * -1 with err naming the accepted values. */
int		 graph_range_parse(const char *name, long *seconds, char *err, size_t errlen);
/* "6h" ... for a range of exactly those seconds, else NULL. */
const char	*graph_range_name(long seconds);
/* "png" | "svg" */
int		 graph_format_parse(const char *name, enum graph_format *out, char *err,
		    size_t errlen);
const char	*graph_format_name(enum graph_format f);
const char	*graph_format_mime(enum graph_format f);
/* "en" | "vi" */
int		 graph_lang_parse(const char *name, enum graph_lang *out, char *err,
		    size_t errlen);
const char	*graph_lang_name(enum graph_lang l);
/*
 * A width asked for by a page (?width=N): 1-5 decimal digits, clamped to
 * GRAPH_URL_MIN_WIDTH..GRAPH_URL_MAX_WIDTH; *height is set to
 * graph_height_for(*width). Returns 0, or -1 with err on anything else.
 */
int		 graph_width_parse(const char *s, unsigned *width, unsigned *height, char *err,
		    size_t errlen);
/* The image height for a width: 3/8 of it (300 for 800), at least 300;
 * 320 under GRAPH_COMPACT_WIDTH, where the legend takes more lines and the
 * plot still needs room above it. */
unsigned	 graph_height_for(unsigned width);

/*
 * Builds the rrd_graph_v arguments of req into *a (argv[0] "graph",
 * argv[1] "-": the image comes back in memory). A site template leaves out
 * the optional files that do not exist, and fails when the files it needs
 * are all missing. Returns 0, or -1 with err for the operator (a and its
 * strings are freed on failure). Reads the files (rrd_fetch_r): the
 * latency scale comes from the range's largest RTT, a value with nothing
 * known in the range is said to be "no data yet" rather than printed as
 * nan, and the coverage projection is judged on the last 30 days.
 */
int		 graph_build_args(const struct graph_req *req, struct graph_args *a,
		    char *err, size_t errlen);
void		 graph_args_free(struct graph_args *a);

/*
 * Renders req into *out. NOT thread-safe (librrd): callers serialise.
 * Returns 0, or -1 with err (librrd's message, or what is missing).
 */
int		 graph_render(const struct graph_req *req, struct graph_out *out, char *err,
		    size_t errlen);
void		 graph_out_free(struct graph_out *out);
/* Writes an image to path ("-": stdout). 0, or -1 with err set. */
int		 graph_out_save(const struct graph_out *img, const char *path, char *err,
		    size_t errlen);

#endif
