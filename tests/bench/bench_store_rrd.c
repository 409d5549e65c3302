/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * How many direct RRD updates per second the store sustains: N agents'
 * icmp.rrd (every metric present), R rounds of one sample each. Not a
 * test and not built by CMake; build and run by hand against a build tree:
 *
 *   cc -O2 -D_GNU_SOURCE -Icollector -Icommon tests/bench/bench_store_rrd.c \
 *      build/libcovmon_collector_lib.a build/libcovmon_common.a -lrrd -lm -lpthread \
 *      -o /tmp/bench_store_rrd
 *   /tmp/bench_store_rrd [agents] [rounds] [rrdcached address]
 */
#include "clock.h"
#include "store_rrd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	int agents = argc > 1 ? atoi(argv[1]) : 1000;
	int rounds = argc > 2 ? atoi(argv[2]) : 20;
	struct store_conf conf;
	struct store *st;
	struct sample s;
	char dir[] = "/tmp/covmon-bench-XXXXXX", err[1024];
	const int64_t t0 = 1763800020;
	double t = clock_mono();    /* reset after the first round (the files made) */

	if (mkdtemp(dir) == NULL)
		return 1;
	memset(&conf, 0, sizeof conf);
	snprintf(conf.data_dir, sizeof conf.data_dir, "%s", dir);
	if (argc > 3)
		snprintf(conf.rrdcached, sizeof conf.rrdcached, "%s", argv[3]);
	if (store_open(&st, &conf, err, sizeof err) == -1) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	for (int r = 0; r <= rounds; r++) {
		if (r == 1)
			t = clock_mono();
		double c0 = clock_mono();
		for (int a = 0; a < agents; a++) {
			memset(&s, 0, sizeof s);
			snprintf(s.agent, sizeof s.agent, "agent-%05d", a);
			s.ts = t0 + r * 60;
			s.interval = 60;
			for (int m = M_ICMP_RTT_MIN_MS; m <= M_ICMP_LOSS_PCT; m++)
				sample_set(&s, m, 10.0 + m + r * 0.5 + a * 0.001);
			if (store_write(st, "bench", &s, err, sizeof err) != STORE_OK) {
				fprintf(stderr, "%s\n", err);
				return 1;
			}
		}
		if (r == 0)
			printf("create + first update: %d files in %.2f s (%.0f/s)\n", agents,
			    clock_mono() - c0, agents / (clock_mono() - c0));
	}
	t = clock_mono() - t;
	printf("updates: %d in %.2f s: %.0f updates/s (%d files, %s)\n", agents * rounds, t,
	    agents * rounds / t, agents, conf.rrdcached[0] ? conf.rrdcached : "direct");
	if (conf.rrdcached[0] != '\0') {
		t = clock_mono();
		if (store_flush(st, err, sizeof err) == -1)
			fprintf(stderr, "flush: %s\n", err);
		printf("flush of %d files: %.2f s\n", agents, clock_mono() - t);
	}
	store_close(st);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : 1;
}
