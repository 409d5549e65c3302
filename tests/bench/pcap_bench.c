/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Runs the pcap probe's offline mode over a capture file and prints the
 * metrics, the analyser's counters and the time it took. Used by
 * tests/bench/bench_pcap.sh and tests/integration/test_pcap_tshark.sh, which
 * compile it against the sources (no CMake target):
 *
 *   cc -O2 -g -DNDEBUG -std=gnu17 -D_GNU_SOURCE -Icommon -Iagent tests/bench/pcap_bench.c \
 *      agent/pcap_analyze.c agent/probe_pcap.c common/conf.c common/log.c \
 *      common/loop.c common/clock.c common/metric.c -lpcap -linih -lm -o pcap_bench
 *   pcap_bench [-m own_mac] [-f filter] [-n max_flows] FILE
 */
#include "clock.h"
#include "metric.h"
#include "probe_pcap.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct probe_pcap_conf conf;
	struct pcap_analyze_stats st;
	struct sample s;
	char err[1024];
	double t0, t1;
	int ch;

	probe_pcap_conf_default(&conf);
	while ((ch = getopt(argc, argv, "f:m:n:")) != -1) {
		switch (ch) {
		case 'f':
			if (snprintf(conf.filter, sizeof conf.filter, "%s", optarg) >=
			    (int)sizeof conf.filter) {
				fprintf(stderr, "filter too long\n");
				return 2;
			}
			break;
		case 'm':
			if (pcap_parse_mac(optarg, conf.own_mac) == -1) {
				fprintf(stderr, "bad MAC address '%s'\n", optarg);
				return 2;
			}
			conf.has_own_mac = true;
			break;
		case 'n':
			conf.max_flows = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc - 1)
		goto usage;

	memset(&s, 0, sizeof s);
	t0 = clock_mono();
	if (probe_pcap_run_file_stats(&conf, argv[optind], &s, &st, err, sizeof err) == -1) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	t1 = clock_mono();
	for (int i = 0; i < METRIC_COUNT; i++)
		if (sample_has(&s, i))
			printf("%s %.6f\n", metric_table[i].name, s.m[i]);
	printf("packets %" PRIu64 "\ntcp %" PRIu64 "\ndata_segments %" PRIu64
	    "\nretransmissions %" PRIu64 "\nhandshakes %" PRIu64
	    "\ntruncated %" PRIu64 "\nmalformed %" PRIu64 "\nflows_evicted %" PRIu64
	    "\nflows_in_use %u\nmemory_bytes %zu\nseconds %.6f\n",
	    st.packets, st.tcp, st.data_segments, st.retransmissions, st.handshakes,
	    st.truncated, st.malformed, st.flows_evicted, st.flows_in_use, st.memory,
	    t1 - t0);
	return 0;
usage:
	fprintf(stderr, "usage: pcap_bench [-m own_mac] [-f filter] [-n max_flows] FILE\n");
	return 2;
}
