/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The commands of DESIGN.md section 9: each reads its options, asks the
 * API and prints a table, or the API's JSON as it came with --json. */
#include "cli.h"

#include "alert_match.h"
#include "id.h"
#include "inventory.h"
#include "metric.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define UPLINK_HOPS_MAX	32	/* the inventory refuses cycles; this is a guard */

const char *
jstring(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

bool
jnumber(json_object *o, const char *key, double *out)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
		return false;
	*out = json_object_get_double(v);
	return true;
}

static bool
jbool(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) &&
	    json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
}

static json_object *
jarray(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_array))
		return NULL;
	return v;
}

static const char *
or_dash(const char *s)
{
	return s && *s ? s : "-";
}

void
ago(char *buf, size_t len, double t, double now)
{
	double d = now - t;

	if (t <= 0)
		snprintf(buf, len, "never");
	else if (d < -1)
		snprintf(buf, len, "in %.0f s (clock ahead)", -d);
	else if (d < 60)
		snprintf(buf, len, "%.0f s ago", d < 0 ? 0 : d);
	else if (d < 3600)
		snprintf(buf, len, "%.0f min ago", floor(d / 60));
	else if (d < 86400)
		snprintf(buf, len, "%.0f h %.0f min ago", floor(d / 3600), floor(fmod(d, 3600) / 60));
	else
		snprintf(buf, len, "%.0f d %.0f h ago", floor(d / 86400), floor(fmod(d, 86400) / 3600));
}

/* "2026-11-24 15:47" in local time. */
static void
when(char *buf, size_t len, double t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL || strftime(buf, len, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(buf, len, "%.0f", t);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static enum tcolour
colour_of(const char *colour)
{
	if (colour == NULL)
		return TC_NONE;
	if (strcmp(colour, "green") == 0)
		return TC_GREEN;
	if (strcmp(colour, "yellow") == 0)
		return TC_YELLOW;
	return strcmp(colour, "red") == 0 ? TC_RED : TC_NONE;
}

static enum tcolour
state_colour(const char *state)
{
	if (state == NULL)
		return TC_NONE;
	if (strcmp(state, "covered") == 0)
		return TC_GREEN;
	if (strcmp(state, "degraded") == 0)
		return TC_YELLOW;
	if (strcmp(state, "down") == 0 || strcmp(state, "unreachable") == 0)
		return TC_RED;
	return TC_DIM;
}

static void
print_json(const struct reply *r)
{
	fwrite(r->body, 1, r->len, stdout);
	if (r->len == 0 || r->body[r->len - 1] != '\n')
		fputc('\n', stdout);
}

/* Says how the command is used, on stderr, for an exit with EXIT_USAGE. */
static int
usage_error(const char *usage)
{
	fprintf(stderr, "usage: covmon %s\n", usage);
	return EXIT_USAGE;
}

/* Parses a command's options: the command's own (handled by `own`, which
 * returns 0 when it took the option) and the common ones. Returns 0, or
 * EXIT_USAGE after printing the command's usage; 'h' prints it to stdout
 * and returns -1 (exit 0). */
static int
parse(struct cli *c, int argc, char **argv, const struct option *opts, const char *usage,
    int (*own)(void *arg, int ch, const char *val), void *arg)
{
	int ch;

	optind = 0;	/* GNU getopt: start over on a new argv */
	opterr = 1;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'h') {
			printf("usage: covmon %s\n", usage);
			return -1;
		}
		if (cli_common_option(c, ch, optarg) == 0)
			continue;
		if (own && own(arg, ch, optarg) == 0)
			continue;
		return usage_error(usage);
	}
	return 0;
}

/* GET path for a command that prints a table of the reply: 0 with the
 * reply in r; -1 when --json printed it as it came (exit 0); EXIT_RUNTIME
 * when the collector did not answer with it. */
static int
get_listing(const struct cli *c, const char *path, struct reply *r)
{
	if (cli_get_ok(c, path, r) == -1)
		return EXIT_RUNTIME;
	if (!c->json)
		return 0;
	print_json(r);
	reply_free(r);
	return -1;
}

/* The reply's array `key` in t, a row each by row() (the time now given
 * so that every row's "ago" is from the same instant), then how many there
 * are ("3 hamlets"). No table when there are none. Frees t. */
static void
print_list(const struct cli *c, const struct reply *r, const char *key, struct table *t,
    void (*row)(struct table *, json_object *, double), const char *noun)
{
	json_object *list = jarray(r->json, key);
	size_t n = list ? json_object_array_length(list) : 0;
	double tnow = now();

	for (size_t i = 0; i < n; i++)
		row(t, json_object_array_get_idx(list, i), tnow);
	if (n > 0)
		table_print(t, stdout, c->colour);
	else
		table_free(t);
	printf("%zu %s%s\n", n, noun, n == 1 ? "" : "s");
}

static int
need_id(const char *what, const char *id)
{
	if (id_valid(id))
		return 0;
	fprintf(stderr, "covmon: bad %s id '%s': an id is 1-64 characters of a-z, 0-9, "
	    "'.', '_' and '-', starting with a letter or digit\n", what, id);
	return EXIT_USAGE;
}

/* "20.0 %" */
static void
pct_cell(struct table *t, json_object *o, const char *key, enum tcolour colour)
{
	double v;

	if (jnumber(o, key, &v))
		table_cell(t, colour, "%.1f %%", v);
	else
		table_cell(t, TC_NONE, "-");
}

static void
counts_cells(struct table *t, json_object *o)
{
	static const char *const keys[] = {
		"covered", "degraded", "down", "unreachable", "unmonitored", "total",
	};
	json_object *counts;
	double v;

	if (!json_object_object_get_ex(o, "counts", &counts))
		counts = NULL;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (counts && jnumber(counts, keys[i], &v))
			table_cell(t, TC_NONE, "%.0f", v);
		else
			table_cell(t, TC_NONE, "-");
	}
	if (jnumber(o, "overdue", &v))
		table_cell(t, v > 0 ? TC_RED : TC_NONE, "%.0f", v);
	else
		table_cell(t, TC_NONE, "-");
}

/* One province or commune per row. */
static const char *const scope_headers[] = {
	"ID", "NAME", "COVERED", "TARGET", "DEADLINE", "COLOUR",
	"COV", "DEG", "DOWN", "UNREACH", "UNMON", "TOTAL", "OVERDUE",
};

static void
scope_row(struct table *t, json_object *o)
{
	const char *colour = jstring(o, "colour");
	enum tcolour tc = colour_of(colour);

	table_row(t);
	table_cell(t, TC_NONE, "%s", or_dash(jstring(o, "id")));
	table_cell(t, TC_NONE, "%s", or_dash(jstring(o, "name")));
	pct_cell(t, o, "covered_pct", tc);
	double target;
	if (jnumber(o, "target_pct", &target))
		table_cell(t, TC_NONE, "%g %%", target);
	else
		table_cell(t, TC_DIM, "none");
	table_cell(t, TC_NONE, "%s", or_dash(jstring(o, "deadline")));
	table_cell(t, tc, "%s", or_dash(colour));
	counts_cells(t, o);
}

static int
status_opt(void *arg, int ch, const char *val)
{
	if (ch != 'p')
		return -1;
	*(const char **)arg = val;
	return 0;
}

int
cmd_status(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "province", required_argument, NULL, 'p' },
		CLI_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	const char *usage = "status [--province P] [--json] [--url URL]";
	const char *province = NULL;
	char path[128];
	struct reply r;
	int rc;

	if ((rc = parse(c, argc, argv, opts, usage, status_opt, &province)) != 0)
		return rc < 0 ? 0 : rc;
	if (optind != argc)
		return usage_error(usage);
	if (province && (rc = need_id("province", province)) != 0)
		return rc;
	if ((rc = cli_setup(c, false)) != 0)
		return rc;
	if (province)
		snprintf(path, sizeof path, "/api/v1/provinces/%s", province);
	else
		snprintf(path, sizeof path, "/api/v1/provinces");
	if ((rc = get_listing(c, path, &r)) != 0)
		return rc < 0 ? 0 : rc;

	struct table *t = table_new(13, scope_headers, "llrrllrrrrrrr");
	json_object *list;
	if (province) {
		/* The province itself first, then its communes. */
		const char *colour = jstring(r.json, "colour");
		double pct, target;
		printf("%s (%s): ", or_dash(jstring(r.json, "name")), province);
		if (jnumber(r.json, "covered_pct", &pct)) {
			char buf[32];
			snprintf(buf, sizeof buf, "%.1f %%", pct);
			colour_print(stdout, c->colour, colour_of(colour), buf);
			printf(" covered");
		} else
			printf("no hamlets");
		if (jnumber(r.json, "target_pct", &target))
			printf(", target %g %% by %s (%s)", target,
			    or_dash(jstring(r.json, "deadline")), or_dash(colour));
		else
			printf(", no target");
		printf("\n\n");
		list = jarray(r.json, "communes");
	} else
		list = jarray(r.json, "provinces");
	for (size_t i = 0; list && i < json_object_array_length(list); i++)
		scope_row(t, json_object_array_get_idx(list, i));
	table_print(t, stdout, c->colour);
	reply_free(&r);
	return 0;
}

/*
 * Names where an id is expected (`site NAME`, `hamlets --province P
 * --commune C`): resolved through /api/v1/search, which folds case and
 * diacritics ("suoi chai" finds Suối Chải). What a person reads here says
 * it in English and in Vietnamese.
 */
#define NAME_MAX_BYTES	200	/* the API's bound on a query (SEARCH_QUERY_MAX) */

/* How a search result matched, best first (search.h); 4 for anything else. */
static int
match_rank(json_object *res)
{
	static const char *const m[] = { "exact", "prefix", "word", "substring" };
	const char *s = jstring(res, "match");

	for (int i = 0; s != NULL && i < 4; i++)
		if (strcmp(s, m[i]) == 0)
			return i;
	return 4;
}

/* q percent-encoded into buf. Returns -1 when it does not fit. */
static int
url_escape(char *buf, size_t len, const char *q)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)q; *p; p++) {
		if (o + 4 > len)
			return -1;
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-_.~", *p) != NULL)
			buf[o++] = (char)*p;
		else {
			buf[o++] = '%';
			buf[o++] = hex[*p >> 4];
			buf[o++] = hex[*p & 15];
		}
	}
	if (o >= len)
		return -1;
	buf[o] = '\0';
	return 0;
}

/* GET /api/v1/search?q=name[&type=type] into r. Returns 0 with the
 * results in *list, or -1 (the HTTP status in r->status when the collector
 * answered, and r freed). */
static int
search_get(const struct cli *c, const char *name, const char *type, struct reply *r,
    json_object **list)
{
	char path[3 * NAME_MAX_BYTES + 64], q[3 * NAME_MAX_BYTES + 1];

	r->status = 0;
	if (url_escape(q, sizeof q, name) == -1)
		return -1;
	snprintf(path, sizeof path, "/api/v1/search?q=%s%s%s", q, type ? "&type=" : "",
	    type ? type : "");
	if (cli_get(c, path, r) == -1) {
		r->status = 0;
		return -1;
	}
	if (r->status != 200 || r->json == NULL ||
	    (*list = jarray(r->json, "results")) == NULL) {
		reply_complain(r);
		reply_free(r);
		return -1;
	}
	return 0;
}

/* A name or id given on the command line: 0, or EXIT_USAGE after saying
 * what is wrong with it. */
static int
name_check(const char *what, const char *name)
{
	if (name[strspn(name, " \t")] == '\0') {
		fprintf(stderr, "covmon: %s: empty: give an id or a name\n"
		    "covmon: %s: trống: hãy nhập mã hoặc tên\n", what, what);
		return EXIT_USAGE;
	}
	if (strlen(name) <= NAME_MAX_BYTES)
		return 0;
	fprintf(stderr, "covmon: %s: the name is longer than %d bytes\n"
	    "covmon: %s: tên dài quá %d byte\n", what, NAME_MAX_BYTES, what, NAME_MAX_BYTES);
	return EXIT_USAGE;
}

/* One site a name matched: a hamlet, found by its name or id or by its
 * agent's id (several results may be one site). */
struct pick {
	json_object *res;
	const char *hamlet;
	int rank;
};

/* The sites among the results, one per hamlet, at their best rank. */
static size_t
site_picks(json_object *list, struct pick *out, size_t max)
{
	size_t n = 0, k;

	for (size_t i = 0; i < json_object_array_length(list) && n < max; i++) {
		json_object *res = json_object_array_get_idx(list, i);
		const char *type = jstring(res, "type"), *h = jstring(res, "hamlet");
		if (type == NULL || h == NULL || !id_valid(h) ||
		    (strcmp(type, "hamlet") != 0 && strcmp(type, "agent") != 0))
			continue;
		for (k = 0; k < n && strcmp(out[k].hamlet, h) != 0; k++)
			;
		if (k < n) {
			if (match_rank(res) < out[k].rank)
				out[k].rank = match_rank(res);
			continue;
		}
		out[n].res = res;
		out[n].hamlet = h;
		out[n++].rank = match_rank(res);
	}
	return n;
}

/*
 * Whether a name picks one of n matches, ranked as match_rank() (-1: it is
 * the id): the one with its id, else the one exact match, else the only
 * one. Anything else is for the user to choose (a prefix of one name may
 * be what they typed short of another). *best is set when it picks.
 */
static bool
choose(const int *rank, size_t n, size_t *best)
{
	size_t exact = 0;

	for (size_t i = 0; i < n; i++)
		if (rank[i] < 0) {
			*best = i;
			return true;
		}
	for (size_t i = 0; i < n; i++)
		if (rank[i] == 0 && exact++ == 0)
			*best = i;
	if (exact == 1)
		return true;
	*best = 0;
	return n == 1;
}

/* The list to choose from when a name matches several: sites with their
 * commune and province, communes with their province, provinces alone. */
static void
print_choices(const struct cli *c, const char *name, const char *kind_en,
    const char *kind_vi, json_object **res, const char **ids, size_t n)
{
	static const char *const headers[] = {
		"NAME / TÊN", "COMMUNE / XÃ", "PROVINCE / TỈNH", "ID / MÃ",
	};
	bool site = strcmp(kind_en, "sites") == 0;
	bool province = strcmp(kind_en, "provinces") == 0;
	struct table *t = site ? table_new(4, headers, "llll") :
	    province ? table_new(2, (const char *const[]){ headers[0], headers[3] }, "ll") :
	    table_new(3, (const char *const[]){ headers[0], headers[2], headers[3] }, "lll");

	printf("'%s' matches %zu %s; choose one by its id:\n"
	    "'%s' khớp với %zu %s; hãy chọn một theo mã:\n", name, n, kind_en, name, n, kind_vi);
	for (size_t i = 0; i < n; i++) {
		const char *type = jstring(res[i], "type");
		bool agent = type != NULL && strcmp(type, "agent") == 0;
		table_row(t);
		table_cell(t, TC_NONE, "%s", or_dash(jstring(res[i], "name")));
		if (site)
			table_cell(t, TC_NONE, "%s", or_dash(jstring(res[i], "commune_name")));
		if (!province)
			table_cell(t, TC_NONE, "%s", or_dash(jstring(res[i], "province_name")));
		if (agent)
			table_cell(t, TC_NONE, "%s (agent %s)", ids[i],
			    or_dash(jstring(res[i], "id")));
		else
			table_cell(t, TC_NONE, "%s", ids[i]);
	}
	table_print(t, stdout, c->colour);
}

/*
 * When the best match of a name is a place (a province, a commune, a
 * village) rather than a site: say how to list its hamlets, and return 0.
 * Returns -1 when the best match is a site. The API lists the best first.
 */
static int
hint_place(json_object *list)
{
	json_object *res = json_object_array_length(list) > 0 ?
	    json_object_array_get_idx(list, 0) : NULL;
	const char *type = res ? jstring(res, "type") : NULL;
	const char *id = res ? jstring(res, "id") : NULL;
	const char *opt;

	if (type == NULL || id == NULL || !id_valid(id))
		return -1;
	if (strcmp(type, "province") == 0)
		opt = "province";
	else if (strcmp(type, "commune") == 0 || strcmp(type, "village") == 0)
		opt = "commune";
	else
		return -1;
	fprintf(stderr, "covmon: '%s' is a %s, not a site: covmon hamlets --%s %s lists "
	    "its hamlets\n"
	    "covmon: '%s' là một %s, không phải một điểm: covmon hamlets --%s %s liệt kê "
	    "các thôn của nó\n",
	    or_dash(jstring(res, "name")), type, opt, id, or_dash(jstring(res, "name")),
	    strcmp(type, "province") == 0 ? "tỉnh" : strcmp(type, "commune") == 0 ? "xã" : "bản",
	    opt, id);
	return 0;
}

/*
 * The hamlet that name stands for: the one site it matches best (by name,
 * hamlet id or agent id). Returns 0 with the id in buf; otherwise says why
 * (none, or the list of those it matches) and returns EXIT_RUNTIME.
 */
static int
site_by_name(const struct cli *c, const char *name, char *buf, size_t len)
{
	struct pick picks[64];
	json_object *res[64], *list;
	const char *ids[64];
	int rank[64];
	struct reply r;
	size_t n, best = 0;

	if (search_get(c, name, NULL, &r, &list) == -1)
		return EXIT_RUNTIME;
	n = site_picks(list, picks, sizeof picks / sizeof picks[0]);
	/* A village of one hamlet ("Thôn Suối Chải") is that site. */
	json_object *first = json_object_array_length(list) > 0 ?
	    json_object_array_get_idx(list, 0) : NULL, *hs;
	const char *type = first ? jstring(first, "type") : NULL;
	if (type != NULL && strcmp(type, "village") == 0 &&
	    (n == 0 || match_rank(first) < picks[0].rank) &&
	    (hs = jarray(first, "hamlets")) != NULL && json_object_array_length(hs) == 1 &&
	    json_object_is_type(json_object_array_get_idx(hs, 0), json_type_string) &&
	    id_valid(json_object_get_string(json_object_array_get_idx(hs, 0)))) {
		snprintf(buf, len, "%s", json_object_get_string(json_object_array_get_idx(hs, 0)));
		reply_free(&r);
		return 0;
	}
	/* "bat xat" is the commune, not the six agents whose ids hold it. */
	if (n == 0 || (json_object_array_length(list) > 0 &&
	    match_rank(json_object_array_get_idx(list, 0)) < picks[0].rank)) {
		if (n == 0)
			fprintf(stderr, "covmon: no hamlet or agent matches '%s' at %s\n"
			    "covmon: không có thôn hay thiết bị đo nào khớp với '%s'\n", name,
			    c->url, name);
		hint_place(list);
		reply_free(&r);
		return EXIT_RUNTIME;
	}
	for (size_t i = 0; i < n; i++)
		rank[i] = picks[i].rank;
	if (choose(rank, n, &best)) {
		snprintf(buf, len, "%s", picks[best].hamlet);
		reply_free(&r);
		return 0;
	}
	if (c->json)
		print_json(&r);
	else {
		for (size_t i = 0; i < n; i++) {
			res[i] = picks[i].res;
			ids[i] = picks[i].hamlet;
		}
		print_choices(c, name, "sites", "điểm", res, ids, n);
	}
	fprintf(stderr, "covmon: '%s' names more than one site: run covmon site ID with one "
	    "of the ids above\n"
	    "covmon: '%s' ứng với nhiều điểm: hãy chạy covmon site MÃ với một mã ở trên\n",
	    name, name);
	reply_free(&r);
	return EXIT_RUNTIME;
}

/*
 * The id of the province or commune (`type`) that value stands for: an id
 * as it is, else the one place whose name matches best (a commune within
 * province `in` when not NULL). Returns 0 with the id in buf; otherwise
 * says why (none, or the list) and returns an exit code.
 */
static int
place_id(const struct cli *c, const char *type, const char *value, const char *in,
    char *buf, size_t len)
{
	bool commune = strcmp(type, "commune") == 0;
	const char *vi = commune ? "xã" : "tỉnh";
	json_object *res[64], *list;
	const char *ids[64];
	int rank[64];
	struct reply r;
	size_t n = 0, best = 0;
	int rc;

	if ((rc = name_check(type, value)) != 0)
		return rc;
	if (search_get(c, value, type, &r, &list) == -1) {
		/* A collector without search (an older one, a national view):
		 * an id still works as it always did. */
		if (r.status != 0 && r.status != 200 && id_valid(value)) {
			snprintf(buf, len, "%s", value);
			return 0;
		}
		return EXIT_RUNTIME;
	}
	for (size_t i = 0; i < json_object_array_length(list) && n < 64; i++) {
		json_object *x = json_object_array_get_idx(list, i);
		const char *t = jstring(x, "type"), *id = jstring(x, "id");
		const char *prov = jstring(x, "province");
		if (t == NULL || strcmp(t, type) != 0 || id == NULL || !id_valid(id) ||
		    (in != NULL && (prov == NULL || strcmp(prov, in) != 0)))
			continue;
		if (strcmp(id, value) == 0) {
			/* Its id: nothing to choose. */
			n = 1;
			res[0] = x;
			ids[0] = id;
			rank[0] = -1;
			break;
		}
		res[n] = x;
		ids[n] = id;
		rank[n++] = match_rank(x);
	}
	if (choose(rank, n, &best)) {
		snprintf(buf, len, "%s", ids[best]);
		reply_free(&r);
		return 0;
	}
	if (n == 0) {
		reply_free(&r);
		if (id_valid(value)) {
			/* The API names an unknown id in its own words. */
			snprintf(buf, len, "%s", value);
			return 0;
		}
		fprintf(stderr, "covmon: no %s matches '%s'%s%s at %s\n"
		    "covmon: không có %s nào khớp với '%s'\n", type, value,
		    in ? " in province " : "", in ? in : "", c->url, vi, value);
		return EXIT_RUNTIME;
	}
	if (c->json)
		print_json(&r);
	else
		print_choices(c, value, commune ? "communes" : "provinces", commune ? "xã" : "tỉnh",
		    res, ids, n);
	fprintf(stderr, "covmon: '%s' names more than one %s: give --%s with one of the ids "
	    "above\ncovmon: '%s' ứng với nhiều %s: hãy dùng --%s với một mã ở trên\n",
	    value, type, type, value, vi, type);
	reply_free(&r);
	return EXIT_RUNTIME;
}

struct hamlets_opts {
	const char *state, *province, *commune;
	bool overdue;
};

static int
hamlets_opt(void *arg, int ch, const char *val)
{
	struct hamlets_opts *o = arg;

	switch (ch) {
	case 's': o->state = val; return 0;
	case 'p': o->province = val; return 0;
	case 'C': o->commune = val; return 0;
	case 'o': o->overdue = true; return 0;
	default: return -1;
	}
}

static bool
state_known(const char *s)
{
	static const char *const states[] = {
		"covered", "degraded", "down", "unreachable", "unmonitored", "uncovered",
	};

	for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
		if (strcmp(s, states[i]) == 0)
			return true;
	return false;
}

static void
figure_cell(struct table *t, json_object *o, const char *key, const char *unit)
{
	double v;

	if (jnumber(o, key, &v))
		table_cell(t, TC_NONE, "%.1f %s", v, unit);
	else
		table_cell(t, TC_DIM, "-");
}

static void
hamlet_row(struct table *t, json_object *h, double tnow)
{
	const char *state = jstring(h, "state");
	double seen;
	char buf[64];

	table_row(t);
	table_cell(t, TC_NONE, "%s", or_dash(jstring(h, "id")));
	table_cell(t, TC_NONE, "%s", or_dash(jstring(h, "name")));
	table_cell(t, TC_NONE, "%s", or_dash(jstring(h, "commune_name") ?
	    jstring(h, "commune_name") : jstring(h, "commune")));
	table_cell(t, state_colour(state), "%s", or_dash(state));
	table_cell(t, TC_RED, "%s", jbool(h, "overdue") ? "overdue" : "");
	ago(buf, sizeof buf, jnumber(h, "last_seen", &seen) ? seen : 0, tnow);
	table_cell(t, TC_NONE, "%s", buf);
	figure_cell(t, h, "loss_pct", "%");
	figure_cell(t, h, "rtt_ms", "ms");
}

int
cmd_hamlets(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "province", required_argument, NULL, 'p' },
		{ "commune", required_argument, NULL, 'C' },
		{ "overdue", no_argument, NULL, 'o' },
		CLI_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	static const char *const headers[] = {
		"ID", "NAME", "COMMUNE", "STATE", "OVERDUE", "LAST SEEN", "LOSS", "RTT",
	};
	const char *usage = "hamlets [--state S] [--overdue] [--province P] [--commune C] "
	    "[--json] [--url URL]\n  S: covered, degraded, down, unreachable, unmonitored "
	    "or uncovered\n  P, C: an id or a name (\"bat xat\" finds Bát Xát)";
	struct hamlets_opts ho = { 0 };
	char path[512], prov[ID_MAX + 1], comm[ID_MAX + 1];
	struct reply r;
	int rc;

	if ((rc = parse(c, argc, argv, opts, usage, hamlets_opt, &ho)) != 0)
		return rc < 0 ? 0 : rc;
	if (optind != argc)
		return usage_error(usage);
	if (ho.state && !state_known(ho.state)) {
		fprintf(stderr, "covmon: bad state '%s': expected covered, degraded, down, "
		    "unreachable, unmonitored or uncovered\n", ho.state);
		return EXIT_USAGE;
	}
	if ((ho.province && (rc = name_check("province", ho.province)) != 0) ||
	    (ho.commune && (rc = name_check("commune", ho.commune)) != 0))
		return rc;
	if ((rc = cli_setup(c, false)) != 0)
		return rc;
	/* A name for an id: the province first, so that a commune's name is
	 * looked for in it. */
	if (ho.province) {
		if ((rc = place_id(c, "province", ho.province, NULL, prov, sizeof prov)) != 0)
			return rc;
		ho.province = prov;
	}
	if (ho.commune) {
		if ((rc = place_id(c, "commune", ho.commune, ho.province, comm,
		    sizeof comm)) != 0)
			return rc;
		ho.commune = comm;
	}
	/* Every value is an id or a state name: nothing to escape. */
	snprintf(path, sizeof path, "/api/v1/hamlets?%s%s%s%s%s%s%s",
	    ho.state ? "&state=" : "", ho.state ? ho.state : "",
	    ho.province ? "&province=" : "", ho.province ? ho.province : "",
	    ho.commune ? "&commune=" : "", ho.commune ? ho.commune : "",
	    ho.overdue ? "&overdue=1" : "");
	if ((rc = get_listing(c, path, &r)) != 0)
		return rc < 0 ? 0 : rc;

	print_list(c, &r, "hamlets", table_new(8, headers, "lllllrrr"), hamlet_row, "hamlet");
	reply_free(&r);
	return 0;
}

/* "suoi-chai (covered) -> ..." up the uplink chain, one request a hop. */
static void
print_uplinks(const struct cli *c, json_object *h)
{
	const char *up = jstring(h, "uplink");
	char id[ID_MAX + 1], path[128];

	printf("  uplink      ");
	if (up == NULL) {
		printf("direct\n");
		return;
	}
	snprintf(id, sizeof id, "%s", up);
	for (int hop = 0; hop < UPLINK_HOPS_MAX && id_valid(id); hop++) {
		struct reply r;

		printf("%s%s (", hop > 0 ? " -> " : "", id);
		snprintf(path, sizeof path, "/api/v1/hamlets/%s", id);
		if (cli_get(c, path, &r) == -1 || r.status != 200 || r.json == NULL) {
			printf("?)");
			reply_free(&r);
			break;
		}
		const char *state = jstring(r.json, "state");
		colour_print(stdout, c->colour, state_colour(state), or_dash(state));
		printf(")");
		up = jstring(r.json, "uplink");
		snprintf(id, sizeof id, "%s", up ? up : "");
		reply_free(&r);
	}
	printf("\n");
}

static void
print_site(const struct cli *c, json_object *h)
{
	const char *state = jstring(h, "state");
	const char *village = jstring(h, "village");
	double tnow = now(), t, v;
	char a[64], w[64];

	printf("%s (%s)\n", or_dash(jstring(h, "name")), or_dash(jstring(h, "id")));
	printf("  place       %s%s%s (%s), %s (%s)\n", village && *village ? village : "",
	    village && *village ? ", " : "",
	    or_dash(jstring(h, "commune_name")), or_dash(jstring(h, "commune")),
	    or_dash(jstring(h, "province_name")), or_dash(jstring(h, "province")));
	printf("  agent       %s\n", jstring(h, "agent") ? jstring(h, "agent") : "none installed");
	printf("  state       ");
	colour_print(stdout, c->colour, state_colour(state), or_dash(state));
	if (jnumber(h, "since", &t)) {
		ago(a, sizeof a, t, tnow);
		when(w, sizeof w, t);
		printf(", since %s (%s)", w, a);
	}
	printf("\n");
	if (state && strcmp(state, "degraded") == 0)
		printf("  why         %s%s%s\n", jbool(h, "loss_breach") ? "loss" : "",
		    jbool(h, "loss_breach") && jbool(h, "rtt_breach") ? " and " : "",
		    jbool(h, "rtt_breach") ? "round trip time" : "");
	if (jstring(h, "root"))
		printf("  root cause  %s is down\n", jstring(h, "root"));
	if (jnumber(h, "last_seen", &t)) {
		ago(a, sizeof a, t, tnow);
		when(w, sizeof w, t);
		printf("  last seen   %s (%s)\n", a, w);
	} else
		printf("  last seen   never\n");
	printf("  overdue     ");
	if (jbool(h, "overdue"))
		colour_print(stdout, c->colour, TC_RED, "yes");
	else
		printf("no");
	if (jstring(h, "target_date"))
		printf(" (target date %s)", jstring(h, "target_date"));
	printf("\n");
	if (jnumber(h, "loss_pct", &v) || jnumber(h, "rtt_ms", &t)) {
		printf("  link        ");
		if (jnumber(h, "loss_pct", &v))
			printf("loss %.1f %%", v);
		if (jnumber(h, "loss_pct", &v) && jnumber(h, "rtt_ms", &t))
			printf(", ");
		if (jnumber(h, "rtt_ms", &t))
			printf("rtt %.1f ms", t);
		printf(" (over the evaluation window)\n");
	}
	print_uplinks(c, h);

	json_object *m;
	if (!json_object_object_get_ex(h, "metrics", &m) || json_object_object_length(m) == 0) {
		printf("  values      none yet\n");
		return;
	}
	printf("  values");
	if (jnumber(h, "metrics_at", &t)) {
		ago(a, sizeof a, t, tnow);
		printf("      (%s)", a);
	}
	printf("\n");
	/* In the protocol's order, so the probes' values stay together. */
	struct table *tab = table_new(3, (const char *const[]){ "    METRIC", "VALUE", "UNIT" },
	    "lrl");
	for (int i = 0; i < METRIC_COUNT; i++) {
		if (!jnumber(m, metric_table[i].name, &v))
			continue;
		table_row(tab);
		table_cell(tab, TC_NONE, "    %s", metric_table[i].name);
		table_cell(tab, TC_NONE, "%.10g", v);
		table_cell(tab, TC_NONE, "%s", metric_table[i].unit);
	}
	table_print(tab, stdout, c->colour);
}

/* An agent that reports but is not in the inventory: say what is known.
 * Returns 0 or EXIT_RUNTIME, or -1 when the collector never heard of it. */
static int
site_unknown_agent(const struct cli *c, const char *id)
{
	struct reply r;
	json_object *list;

	if (cli_get_ok(c, "/api/v1/agents/unknown", &r) == -1)
		return EXIT_RUNTIME;
	list = jarray(r.json, "agents");
	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		json_object *a = json_object_array_get_idx(list, i);
		const char *aid = jstring(a, "id");
		double seen, n;
		char buf[64];
		if (aid == NULL || strcmp(aid, id) != 0)
			continue;
		if (c->json) {
			printf("%s\n", json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
			reply_free(&r);
			return 0;
		}
		ago(buf, sizeof buf, jnumber(a, "last_seen", &seen) ? seen : 0, now());
		printf("agent %s (province %s) reports but is in no hamlet of the inventory\n"
		    "  last seen   %s\n", id, or_dash(jstring(a, "province")), buf);
		if (jnumber(a, "samples", &n))
			printf("  samples     %.0f\n", n);
		reply_free(&r);
		return 0;
	}
	reply_free(&r);
	return -1;
}

/*
 * id as a hamlet id, then as an agent id (ids of the two kinds may look
 * alike; the hamlet wins). Returns 0 with the hamlet in *h (r holds it:
 * reply_free() it), 1 when it is neither (r freed), -1 after complaining.
 */
static int
site_fetch(const struct cli *c, const char *id, struct reply *r, json_object **h)
{
	char path[128];

	snprintf(path, sizeof path, "/api/v1/hamlets/%s", id);
	if (cli_get(c, path, r) == -1)
		return -1;
	if (r->status == 200 && r->json && json_object_is_type(r->json, json_type_object)) {
		*h = r->json;
		return 0;
	}
	if (r->status != 404) {
		reply_complain(r);
		reply_free(r);
		return -1;
	}
	reply_free(r);
	snprintf(path, sizeof path, "/api/v1/hamlets?agent=%s", id);
	if (cli_get(c, path, r) == -1)
		return -1;
	if (r->status == 404) {
		reply_free(r);
		return 1;
	}
	json_object *list = r->json ? jarray(r->json, "hamlets") : NULL;
	if (r->status != 200 || list == NULL || json_object_array_length(list) != 1) {
		reply_complain(r);
		reply_free(r);
		return -1;
	}
	*h = json_object_array_get_idx(list, 0);
	return 0;
}

int
cmd_site(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	const char *usage = "site ID|NAME [--json] [--url URL]\n"
	    "  ID: a hamlet id or an agent id; NAME: a hamlet's name (\"suoi chai\" finds\n"
	    "  Suối Chải); a name that matches several sites lists them and exits 1";
	char found[ID_MAX + 1];
	struct reply r;
	json_object *h = NULL;
	int rc;

	if ((rc = parse(c, argc, argv, opts, usage, NULL, NULL)) != 0)
		return rc < 0 ? 0 : rc;
	if (optind + 1 != argc)
		return usage_error(usage);
	const char *arg = argv[optind];
	if ((rc = name_check("site", arg)) != 0)
		return rc;
	if ((rc = cli_setup(c, false)) != 0)
		return rc;

	/* An id that exists first, as it always was; else the name. */
	if (id_valid(arg)) {
		if ((rc = site_fetch(c, arg, &r, &h)) == -1)
			return EXIT_RUNTIME;
		if (rc == 1 && (rc = site_unknown_agent(c, arg)) != -1)
			return rc;
	}
	if (h == NULL) {
		if ((rc = site_by_name(c, arg, found, sizeof found)) != 0)
			return rc;
		if ((rc = site_fetch(c, found, &r, &h)) != 0) {
			if (rc == 1)
				fprintf(stderr, "covmon: hamlet %s is gone from the inventory\n"
				    "covmon: thôn %s không còn trong danh mục\n", found, found);
			return EXIT_RUNTIME;
		}
	}
	if (c->json) {
		if (h == r.json)
			print_json(&r);
		else
			printf("%s\n", json_object_to_json_string_ext(h, JSON_C_TO_STRING_PLAIN));
	} else
		print_site(c, h);
	reply_free(&r);
	return 0;
}

static int
all_opt(void *arg, int ch, const char *val)
{
	(void)val;
	if (ch != 'a')
		return -1;
	*(bool *)arg = true;
	return 0;
}

static void
alert_row(struct table *t, json_object *a, double tnow)
{
	const char *state = jstring(a, "state");
	double since;
	char buf[64];

	table_row(t);
	table_cell(t, TC_NONE, "%s", or_dash(jstring(a, "id")));
	table_cell(t, TC_NONE, "%s", or_dash(jstring(a, "kind")));
	table_cell(t, state && strcmp(state, "firing") == 0 ? TC_RED : TC_NONE, "%s",
	    or_dash(state));
	table_cell(t, TC_NONE, "%s", or_dash(jstring(a, "scope")));
	ago(buf, sizeof buf, jnumber(a, "since", &since) ? since : 0, tnow);
	table_cell(t, TC_NONE, "%s", buf);
	table_cell(t, TC_DIM, "%s%s%s", jbool(a, "silenced") ? "silenced" : "",
	    jbool(a, "silenced") && jbool(a, "acked") ? "," : "",
	    jbool(a, "acked") ? "acked" : "");
	table_cell(t, TC_NONE, "%s", or_dash(jstring(a, "summary")));
}

int
cmd_alerts(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		CLI_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	static const char *const headers[] = {
		"ID", "KIND", "STATE", "SCOPE", "SINCE", "FLAGS", "SUMMARY",
	};
	const char *usage = "alerts [--all] [--json] [--url URL]";
	bool all = false;
	struct reply r;
	int rc;

	if ((rc = parse(c, argc, argv, opts, usage, all_opt, &all)) != 0)
		return rc < 0 ? 0 : rc;
	if (optind != argc)
		return usage_error(usage);
	if ((rc = cli_setup(c, false)) != 0)
		return rc;
	if ((rc = get_listing(c, all ? "/api/v1/alerts?all=1" : "/api/v1/alerts?state=firing", &r)) != 0)
		return rc < 0 ? 0 : rc;
	print_list(c, &r, "alerts", table_new(7, headers, "lllllll"), alert_row,
	    all ? "alert" : "firing alert");
	reply_free(&r);
	return 0;
}

static int
targets_opt(void *arg, int ch, const char *val)
{
	if (ch != 't')
		return -1;
	*(const char **)arg = val;
	return 0;
}

/* Checks files before they are installed: the collector's own loader, its
 * errors exactly as the collector would log them. No server involved. */
int
cmd_inventory(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "targets", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *usage = "inventory check FILE [--targets FILE]";
	const char *targets = NULL;
	struct inventory *inv;
	static char err[INV_MAX_ERRORS * 1200];
	int rc;

	if (argc < 2 || strcmp(argv[1], "check") != 0) {
		if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
			printf("usage: covmon %s\n", usage);
			return 0;
		}
		return usage_error(usage);
	}
	if ((rc = parse(c, argc - 1, argv + 1, opts, usage, targets_opt, &targets)) != 0)
		return rc < 0 ? 0 : rc;
	if (optind + 1 != argc - 1)
		return usage_error(usage);
	if (inventory_load(&inv, argv[optind + 1], targets, err, sizeof err) == -1) {
		fprintf(stderr, "%s\n", err);
		return EXIT_USAGE;
	}
	inventory_summary(inv, stdout);
	inventory_free(inv);
	return 0;
}

/* A write action: the reply must be 2xx with a JSON object. */
static int
send_ok(const struct cli *c, const char *method, const char *path, const char *body,
    struct reply *r)
{
	if (c->token[0] == '\0') {
		fprintf(stderr, "covmon: %s %s needs the collector's API token: set $COVMON_TOKEN, "
		    "or [cli] token_file in %s\n", method, path, c->conf_path);
		return -1;
	}
	if (cli_send(c, method, path, body, r) == -1)
		return -1;
	if (r->status < 200 || r->status > 299 || r->json == NULL ||
	    !json_object_is_type(r->json, json_type_object)) {
		reply_complain(r);
		reply_free(r);
		return -1;
	}
	return 0;
}

struct silence_opts {
	const char *match, *until, *reason;
};

static int
silence_opt(void *arg, int ch, const char *val)
{
	struct silence_opts *o = arg;

	switch (ch) {
	case 'm': o->match = val; return 0;
	case 'u': o->until = val; return 0;
	case 'r': o->reason = val; return 0;
	default: return -1;
	}
}

static void
fmt_time(char *buf, size_t len, double t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || localtime_r(&tt, &tm) == NULL)
		snprintf(buf, len, "-");
	else
		strftime(buf, len, "%Y-%m-%d %H:%M", &tm);
}

static void
silence_row(struct table *t, json_object *s, double tnow)
{
	double until;
	char buf[64];

	(void)tnow;
	table_row(t);
	table_cell(t, TC_NONE, "%s", or_dash(jstring(s, "id")));
	table_cell(t, TC_NONE, "%s", or_dash(jstring(s, "match")));
	fmt_time(buf, sizeof buf, jnumber(s, "until", &until) ? until : 0);
	table_cell(t, TC_NONE, "%s", buf);
	table_cell(t, TC_NONE, "%s", or_dash(jstring(s, "reason")));
}

int
cmd_silence(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "match", required_argument, NULL, 'm' },
		{ "until", required_argument, NULL, 'u' },
		{ "reason", required_argument, NULL, 'r' },
		CLI_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	static const char *const headers[] = { "ID", "MATCH", "UNTIL", "REASON" };
	const char *usage = "silence add --match M --until T --reason R | silence list | "
	    "silence rm ID";
	struct silence_opts o = { 0 };
	struct reply r;
	char path[128], buf[64];
	int rc;

	if (argc < 2)
		return usage_error(usage);
	const char *sub = argv[1];
	if ((rc = parse(c, argc - 1, argv + 1, opts, usage, silence_opt, &o)) != 0)
		return rc < 0 ? 0 : rc;
	if ((rc = cli_setup(c, false)) != 0)
		return rc;
	if (strcmp(sub, "add") == 0) {
		struct alert_match m;
		double until;
		if (optind != argc - 1 || !o.match || !o.until || !o.reason)
			return usage_error(usage);
		if (alert_match_parse(o.match, &m) == -1) {
			fprintf(stderr, "covmon: bad --match '%s': expected province:ID, commune:ID, "
			    "hamlet:ID, agent:ID or *\n", o.match);
			return EXIT_USAGE;
		}
		/* Here, so that a date without a zone is the user's local time. */
		if (alert_parse_until(o.until, now(), &until) == -1 || until <= now()) {
			fprintf(stderr, "covmon: bad --until '%s': expected a duration (2h, 30m), a "
			    "Unix time or a date-time (2025-11-22T18:00), in the future\n", o.until);
			return EXIT_USAGE;
		}
		json_object *b = json_object_new_object();
		json_object_object_add(b, "match", json_object_new_string(o.match));
		json_object_object_add(b, "until", json_object_new_int64((int64_t)until));
		json_object_object_add(b, "reason", json_object_new_string(o.reason));
		rc = send_ok(c, "POST", "/api/v1/silences",
		    json_object_to_json_string_ext(b, JSON_C_TO_STRING_PLAIN), &r);
		json_object_put(b);
		if (rc == -1)
			return EXIT_RUNTIME;
		if (c->json)
			print_json(&r);
		else {
			fmt_time(buf, sizeof buf, until);
			printf("silence %s: %s until %s\n", or_dash(jstring(r.json, "id")),
			    or_dash(jstring(r.json, "match")), buf);
		}
		reply_free(&r);
		return 0;
	}
	if (strcmp(sub, "rm") == 0) {
		if (optind != argc - 2)
			return usage_error(usage);
		const char *id = argv[optind + 1];
		if (id[strspn(id, "0123456789")] != '\0' || *id == '\0') {
			fprintf(stderr, "covmon: bad silence id '%s': expected a number\n", id);
			return EXIT_USAGE;
		}
		snprintf(path, sizeof path, "/api/v1/silences/%s", id);
		if (send_ok(c, "DELETE", path, NULL, &r) == -1)
			return EXIT_RUNTIME;
		if (c->json)
			print_json(&r);
		else
			printf("silence %s removed\n", id);
		reply_free(&r);
		return 0;
	}
	if (strcmp(sub, "list") != 0 || optind != argc - 1)
		return usage_error(usage);
	if ((rc = get_listing(c, "/api/v1/silences", &r)) != 0)
		return rc < 0 ? 0 : rc;
	print_list(c, &r, "silences", table_new(4, headers, "llll"), silence_row,
	    "active silence");
	reply_free(&r);
	return 0;
}

int
cmd_ack(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	const char *usage = "ack ALERT_ID";
	char path[128];
	struct reply r;
	int rc;

	if ((rc = parse(c, argc, argv, opts, usage, NULL, NULL)) != 0)
		return rc < 0 ? 0 : rc;
	if (optind != argc - 1)
		return usage_error(usage);
	const char *id = argv[optind];
	if (*id == '\0' || id[strspn(id, "0123456789")] != '\0' || strlen(id) > 18) {
		fprintf(stderr, "covmon: bad alert id '%s': expected a number (covmon alerts)\n", id);
		return EXIT_USAGE;
	}
	if ((rc = cli_setup(c, false)) != 0)
		return rc;
	snprintf(path, sizeof path, "/api/v1/alerts/%s/ack", id);
	if (send_ok(c, "POST", path, NULL, &r) == -1)
		return EXIT_RUNTIME;
	if (c->json)
		print_json(&r);
	else
		printf("alert %s acked: no more repeats\n", id);
	reply_free(&r);
	return 0;
}

struct digest_opts {
	const char *province;
	const char *lang;
};

static int
digest_opt(void *arg, int ch, const char *val)
{
	struct digest_opts *o = arg;

	if (ch == 'p')
		o->province = val;
	else if (ch == 'l')
		o->lang = val;
	else
		return -1;
	return 0;
}

/* The rollout digest as the collector would send it now: the text of each
 * province, in the language asked for (else the collector's [digest] lang). */
int
cmd_digest(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "province", required_argument, NULL, 'p' },
		{ "lang", required_argument, NULL, 'l' },
		CLI_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	const char *usage = "digest [--province P] [--lang en|vi] [--json] [--url URL]";
	struct digest_opts o = { NULL, NULL };
	char path[160];
	struct reply r;
	int rc;

	if ((rc = parse(c, argc, argv, opts, usage, digest_opt, &o)) != 0)
		return rc < 0 ? 0 : rc;
	if (optind != argc)
		return usage_error(usage);
	if (o.province && (rc = need_id("province", o.province)) != 0)
		return rc;
	if (o.lang && strcmp(o.lang, "en") != 0 && strcmp(o.lang, "vi") != 0) {
		fprintf(stderr, "covmon: bad --lang '%s': expected en or vi\n", o.lang);
		return EXIT_USAGE;
	}
	if ((rc = cli_setup(c, false)) != 0)
		return rc;
	snprintf(path, sizeof path, "/api/v1/digest?%s%s%s%s", o.province ? "province=" : "",
	    o.province ? o.province : "", o.province && o.lang ? "&" : "",
	    o.lang ? (strcmp(o.lang, "vi") == 0 ? "lang=vi" : "lang=en") : "");
	if ((rc = get_listing(c, path, &r)) != 0)
		return rc < 0 ? 0 : rc;
	json_object *list = jarray(r.json, "digests");
	size_t n = list ? json_object_array_length(list) : 0;
	for (size_t i = 0; i < n; i++) {
		const char *text = jstring(json_object_array_get_idx(list, i), "text");
		if (i > 0)
			fputc('\n', stdout);
		fputs(text ? text : "", stdout);
	}
	if (n == 0) {
		const char *lang = jstring(r.json, "lang");
		printf(lang && strcmp(lang, "vi") == 0 ? "Không có tỉnh nào\n" :
		    "no province\n");
	}
	reply_free(&r);
	return 0;
}
