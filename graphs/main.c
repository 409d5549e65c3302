/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * covmon-graph: renders one graph template from the RRD files to PNG or SVG
 * (render), or a static HTML report with every province, commune and
 * hamlet and their graphs (report), without a running collector.
 */
#include "conf.h"
#include "id.h"
#include "inventory.h"
#include "report.h"
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

void
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
	char err[1200];

	if (graph_out_save(img, path, err, sizeof err) == -1) {
		complain("%s", err);
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
	switch (graph_req_place(req, inv, o->data_dir, id, err, sizeof err)) {
	case GRAPH_PLACE_OK:
		break;
	case GRAPH_PLACE_UNKNOWN:
		complain("%s: no such %s in %s", id, t == GRAPH_COVERAGE ? "commune or province" :
		    "hamlet", o->inventory);
		return EXIT_USAGE;
	case GRAPH_PLACE_NO_AGENT:
		complain("hamlet %s (%s) has no agent installed: no data to draw", id,
		    inventory_hamlet(inv, id)->name);
		return EXIT_RUNTIME;
	case GRAPH_PLACE_PATH:
		complain("%s", err);
		return EXIT_USAGE;
	}
	if (t == GRAPH_COVERAGE)
		req->yellow_margin_pct = o->yellow_margin_pct;
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

/* report: the static HTML report (report.c). */
static int
cmd_report(const struct opts *o, const struct inventory *inv, int argc)
{
	struct report_opts ro = {
		.out = o->out, .province = o->province, .data_dir = o->data_dir,
		.inventory = o->inventory, .yellow_margin_pct = o->yellow_margin_pct,
		.lang = o->lang,
	};

	if (argc != 0) {
		complain("report: unexpected arguments");
		return EXIT_USAGE;
	}
	return report_write(&ro, inv);
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
