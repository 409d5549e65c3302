/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * How long one coverage evaluation of a whole country takes, and how much
 * memory the collector holds for it: the inventory loaded and two
 * snapshots alive (the one the HTTP threads read and the one the writer
 * builds), each with its per-hamlet agent views. Not a test and not built
 * by CMake: tests/bench/bench_coverage.sh builds and runs it.
 *
 *   bench_coverage DIR [runs]     (DIR holds inventory.csv and targets.csv)
 */
#include "coverage.h"
#include "inventory.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const double NOW = 1764000000.0;

struct ctx {
	const struct inventory *inv;
	const struct agent_view *views;	/* one per hamlet, same index */
	size_t calls;
};

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* As the collector will: agent id -> hamlet (hash) -> that hamlet's view. */
static const struct agent_view *
view_fn(const char *agent, void *arg)
{
	struct ctx *x = arg;
	const struct inv_hamlet *h = inventory_hamlet_by_agent(x->inv, agent);

	x->calls++;
	if (h == NULL)
		return NULL;
	return &x->views[h - x->inv->hamlets];
}

/* A plausible country: most sites good, some degraded, some silent, a few
 * sent their Last Will, a few never reported. Deterministic. Round r
 * shifts who is bad so states (and `since`) change between cycles. */
static void
fill_views(struct agent_view *v, size_t n, unsigned r, double now)
{
	for (size_t i = 0; i < n; i++) {
		unsigned k = (unsigned)((i * 2654435761u + r * 97u) % 100u);

		memset(&v[i], 0, sizeof v[i]);
		v[i].reported = k < 98;
		v[i].online = k < 96 ? 1 : 0;
		v[i].last_seen = k < 90 ? now - 30 : now - 3600;
		v[i].loss_pct = k < 85 ? 0.5 : 7.0;
		v[i].rtt_ms = k < 85 ? 40.0 : NAN;
		for (int m = 0; m < METRIC_COUNT; m++)
			v[i].m[m] = (double)m;
	}
}

static long
status_kb(const char *field)
{
	char line[256];
	long kb = -1;
	size_t len = strlen(field);
	FILE *fp = fopen("/proc/self/status", "r");

	if (fp == NULL)
		return -1;
	while (fgets(line, sizeof line, fp) != NULL)
		if (strncmp(line, field, len) == 0 && line[len] == ':')
			kb = strtol(line + len + 1, NULL, 10);
	fclose(fp);
	return kb;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	const struct coverage_conf cf = {
		.window = 900, .offline_after = 180, .max_loss_pct = 5,
		.max_rtt_ms = 300, .yellow_margin_pct = 10,
	};
	char ipath[1024], tpath[1024], err[8192];
	struct inventory *inv;
	struct agent_view *views[2];
	struct coverage *cur = NULL, *next;
	struct ctx x;
	double t0, *times;
	int runs = argc > 2 ? atoi(argv[2]) : 10;

	if (argc < 2 || runs < 1) {
		fprintf(stderr, "usage: bench_coverage DIR [runs]\n");
		return 2;
	}
	snprintf(ipath, sizeof ipath, "%s/inventory.csv", argv[1]);
	snprintf(tpath, sizeof tpath, "%s/targets.csv", argv[1]);
	long rss0 = status_kb("VmRSS");
	t0 = mono();
	if (inventory_load(&inv, ipath, tpath, err, sizeof err) == -1) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("inventory: %zu hamlets, %zu communes, %zu provinces, "
	    "loaded in %.0f ms\n", inv->nhamlets, inv->ncommunes,
	    inv->nprovinces, (mono() - t0) * 1e3);
	long rss_inv = status_kb("VmRSS");

	/* Two snapshots' views, as snapshot.h keeps one array per snapshot. */
	for (int s = 0; s < 2; s++) {
		views[s] = calloc(inv->nhamlets ? inv->nhamlets : 1,
		    sizeof *views[s]);
		if (views[s] == NULL)
			return 1;
	}
	if ((times = calloc((size_t)runs, sizeof *times)) == NULL)
		return 1;
	x.inv = inv;
	/* One warm-up cycle (first touch of the pages), then `runs`, each
	 * with the previous result as prev, as the writer does. */
	for (int r = -1; r < runs; r++) {
		struct agent_view *v = views[(r + 2) % 2];

		double now = NOW + r * 60.0;

		fill_views(v, inv->nhamlets, (unsigned)(r + 1), now);
		x.views = v;
		x.calls = 0;
		t0 = mono();
		if (coverage_evaluate(&next, inv, &cf, view_fn, &x, now,
		    NOW - 86400, cur) == -1) {
			fprintf(stderr, "out of memory\n");
			return 1;
		}
		if (r >= 0)
			times[r] = mono() - t0;
		/* The older snapshot is dropped once the new one is out: two
		 * stay alive at the peak, as in the collector. */
		coverage_free(cur);
		cur = next;
	}
	/* One more, so two are alive now. */
	fill_views(views[runs % 2], inv->nhamlets, (unsigned)(runs + 1),
	    NOW + runs * 60.0);
	x.views = views[runs % 2];
	x.calls = 0;
	if (coverage_evaluate(&next, inv, &cf, view_fn, &x, NOW + runs * 60.0,
	    NOW - 86400, cur) == -1)
		return 1;
	long rss_two = status_kb("VmRSS"), hwm = status_kb("VmHWM");

	qsort(times, (size_t)runs, sizeof *times, cmp_double);
	double med = runs % 2 ? times[runs / 2] :
	    (times[runs / 2 - 1] + times[runs / 2]) / 2;
	printf("evaluation: median %.2f ms, min %.2f ms, max %.2f ms over %d "
	    "cycles (%zu view lookups each)\n", med * 1e3, times[0] * 1e3,
	    times[runs - 1] * 1e3, runs, x.calls);
	printf("states: covered %u, degraded %u, down %u, unreachable %u, "
	    "unmonitored %u; overdue %u\n", next->all.counts[HS_COVERED],
	    next->all.counts[HS_DEGRADED], next->all.counts[HS_DOWN],
	    next->all.counts[HS_UNREACHABLE], next->all.counts[HS_UNMONITORED],
	    next->all.overdue);
	printf("sizes: hamlet_eval %zu B, agent_view %zu B, rollup %zu B\n",
	    sizeof(struct hamlet_eval), sizeof(struct agent_view),
	    sizeof(struct rollup));
	printf("rss: start %.1f MiB, inventory loaded %.1f MiB, + two snapshots "
	    "(evaluations and views) %.1f MiB; peak %.1f MiB\n", rss0 / 1024.0,
	    rss_inv / 1024.0, rss_two / 1024.0, hwm / 1024.0);

	coverage_free(next);
	coverage_free(cur);
	free(views[0]);
	free(views[1]);
	free(times);
	inventory_free(inv);
	return 0;
}
