/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Raw librrd, for tests/bench/bench_ingest.sh (not built by CMake; the
 * script compiles it with cc ... -lrrd):
 *
 *   update DIR ROUNDS START_TS   the ceiling: every agent directory under
 *       DIR (DIR/PROVINCE/AGENT/NAME.rrd, as the collector left them) gets
 *       ROUNDS samples, each one rrd_updatex_r per file with every DS set,
 *       ts = START_TS + 60 r. Same files, same page cache, no MQTT, no
 *       JSON, no SQLite: what the disk and librrd allow.
 *   count DIR TS [EVERY]        how many .rrd files under DIR (any depth)
 *       have a last update >= TS (every EVERY-th file only: a cheap poll).
 *       DIR may be a file listing the paths, one a line: walking a tree of
 *       a quarter of a million files costs more than reading their headers.
 */
#define _GNU_SOURCE
#include <rrd.h>

#include <ftw.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct file {
	char *path;
	unsigned long nds;
};

struct agentdir {
	struct file *f;
	int nf;
};

static char **paths;
static size_t npaths, cappaths;

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
collect(const char *p, const struct stat *sb, int type, struct FTW *ftw)
{
	size_t l = strlen(p);

	(void)sb;
	(void)ftw;
	if (type != FTW_F || l < 4 || strcmp(p + l - 4, ".rrd") != 0)
		return 0;
	if (npaths == cappaths) {
		cappaths = cappaths ? cappaths * 2 : 4096;
		if ((paths = realloc(paths, cappaths * sizeof *paths)) == NULL)
			exit(3);
	}
	paths[npaths++] = strdup(p);
	return 0;
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
last_update(const char *path, time_t *last, unsigned long *nds)
{
	char **names, **vals;
	unsigned long n;

	rrd_clear_error();
	if (rrd_lastupdate_r(path, last, &n, &names, &vals) == -1)
		return -1;
	for (unsigned long i = 0; i < n; i++) {
		rrd_freemem(names[i]);
		rrd_freemem(vals[i]);
	}
	rrd_freemem(names);
	rrd_freemem(vals);
	if (nds)
		*nds = n;
	return 0;
}

static int
run_update(int rounds, long long start)
{
	struct agentdir *ad = NULL;
	size_t nad = 0;
	unsigned long long values = 0, updates = 0;
	char line[4096];

	qsort(paths, npaths, sizeof *paths, cmp);
	/* Group by agent directory; rollups (_commune_*.rrd) and probes are
	 * not agents. */
	for (size_t i = 0; i < npaths; i++) {
		char *slash = strrchr(paths[i], '/');
		if (slash == NULL || strstr(paths[i], "/lagprobe-") != NULL ||
		    slash[1] == '_')
			continue;
		size_t dl = (size_t)(slash - paths[i]);
		if (nad == 0 || strncmp(ad[nad - 1].f[0].path, paths[i], dl) != 0 ||
		    ad[nad - 1].f[0].path[dl] != '/') {
			if ((ad = realloc(ad, (nad + 1) * sizeof *ad)) == NULL)
				exit(3);
			ad[nad].f = NULL;
			ad[nad].nf = 0;
			nad++;
		}
		struct agentdir *a = &ad[nad - 1];
		if ((a->f = realloc(a->f, (size_t)(a->nf + 1) * sizeof *a->f)) == NULL)
			exit(3);
		time_t last;
		a->f[a->nf].path = paths[i];
		if (last_update(paths[i], &last, &a->f[a->nf].nds) == -1) {
			fprintf(stderr, "%s: %s\n", paths[i], rrd_get_error());
			return 1;
		}
		if (last >= start) {
			fprintf(stderr, "%s: last update %lld is not before %lld\n", paths[i],
			    (long long)last, start);
			return 1;
		}
		a->nf++;
	}
	double t0 = mono();
	for (int r = 0; r < rounds; r++) {
		long long ts = start + 60LL * r;
		for (size_t i = 0; i < nad; i++) {
			for (int k = 0; k < ad[i].nf; k++) {
				int n = snprintf(line, sizeof line, "%lld", ts);
				for (unsigned long d = 0; d < ad[i].f[k].nds; d++)
					n += snprintf(line + n, sizeof line - (size_t)n, ":%.17g",
					    10.0 + (double)d + r * 0.5 + (double)i * 0.001);
				const char *argv[1] = { line };
				rrd_clear_error();
				if (rrd_updatex_r(ad[i].f[k].path, NULL, 0, 1, argv) == -1) {
					fprintf(stderr, "%s: %s\n", ad[i].f[k].path, rrd_get_error());
					return 1;
				}
				updates++;
				values += ad[i].f[k].nds;
			}
		}
	}
	double secs = mono() - t0;
	printf("raw: agents=%zu samples=%zu updates=%llu values=%llu seconds=%.3f "
	    "samples_rate=%.1f values_rate=%.1f\n", nad, nad * (size_t)rounds, updates, values,
	    secs, (double)(nad * (size_t)rounds) / secs, (double)values / secs);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: bench_rrd_raw update DIR ROUNDS START_TS\n"
		    "       bench_rrd_raw count DIR TS [EVERY]\n");
		return 2;
	}
	FILE *lf;
	char buf[4096];
	struct stat sb;
	if (stat(argv[2], &sb) == 0 && S_ISREG(sb.st_mode) && (lf = fopen(argv[2], "r")) != NULL) {
		while (fgets(buf, sizeof buf, lf) != NULL) {
			buf[strcspn(buf, "\n")] = '\0';
			collect(buf, &sb, FTW_F, NULL);
		}
		fclose(lf);
	} else if (nftw(argv[2], collect, 64, FTW_PHYS) == -1) {
		perror(argv[2]);
		return 1;
	}
	if (strcmp(argv[1], "update") == 0 && argc >= 5)
		return run_update(atoi(argv[3]), atoll(argv[4]));
	if (strcmp(argv[1], "count") == 0) {
		long long ts = atoll(argv[3]);
		size_t every = argc > 4 ? (size_t)atol(argv[4]) : 1, n = 0, ge = 0;
		time_t last;
		for (size_t i = 0; i < npaths; i += every ? every : 1) {
			n++;
			if (last_update(paths[i], &last, NULL) == 0 && last >= ts)
				ge++;
		}
		printf("%zu %zu\n", n, ge);
		return 0;
	}
	return 2;
}
