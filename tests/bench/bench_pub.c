/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Publishers for tests/bench/bench_ingest.sh (not built by CMake; the script
 * compiles it with cc against the build tree and fleetsim's model.c):
 *
 *   collectd  the values fleetsim would send, one MQTT message per value in
 *             collectd's format (collectd/HOST/PLUGIN-INST/TYPE-INST,
 *             payload "TIME:VALUE"), paced like fleetsim (--rate samples/s)
 *   backlog   a fleet back from an outage: each agent sends its ROUNDS
 *             spooled samples of 12 metrics (icmp 7, if 3, radio 2: three
 *             covmon files, twelve collectd ones) one agent after the
 *             other, as fast as the broker takes them; as covmon v1
 *             samples or as collectd values (the same values)
 *   probe     a few extra covmon agents sending one v1 sample per second
 *             each with ts = now, printing "agent seq publish_time" lines:
 *             joined with the collector's "stored" debug lines they give the
 *             publish-to-stored lag under the load fleetsim makes
 *
 * Agents come from a file of "province agent" lines (the script makes it
 * from the inventory), in inventory order, as fleetsim uses them.
 */
#include "fleetsim.h"
#include "topic.h"

#include <mosquitto.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t stop;
static long inflight;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
on_publish(struct mosquitto *m, void *ud, int mid)
{
	(void)m;
	(void)ud;
	(void)mid;
	inflight--;
}

static void
loop_or_die(struct mosquitto *m, int ms)
{
	int rc = mosquitto_loop(m, ms, 1);

	if (rc != MOSQ_ERR_SUCCESS) {
		fprintf(stderr, "bench_pub: mqtt: %s\n", mosquitto_strerror(rc));
		exit(1);
	}
}

static void
pub(struct mosquitto *m, const char *topic, const char *buf, int len, int qos, long window)
{
	while (inflight >= window && !stop)
		loop_or_die(m, 50);
	int rc = mosquitto_publish(m, NULL, topic, len, buf, qos, false);
	if (rc != MOSQ_ERR_SUCCESS) {
		fprintf(stderr, "bench_pub: publish %s: %s\n", topic, mosquitto_strerror(rc));
		exit(1);
	}
	if (qos > 0)
		inflight++;
	static unsigned n;
	if (++n % 64 == 0)
		loop_or_die(m, 0);
}

static struct agent *
read_agents(const char *path, size_t *np)
{
	FILE *f = fopen(path, "r");
	struct agent *a = NULL;
	size_t n = 0, cap = 0;
	char prov[ID_MAX + 1], id[ID_MAX + 1];

	if (f == NULL) {
		perror(path);
		exit(2);
	}
	while (fscanf(f, "%64s %64s", prov, id) == 2) {
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			if ((a = realloc(a, cap * sizeof *a)) == NULL)
				exit(3);
		}
		memset(&a[n], 0, sizeof a[n]);
		snprintf(a[n].province, sizeof a[n].province, "%s", prov);
		snprintf(a[n].id, sizeof a[n].id, "%s", id);
		n++;
	}
	fclose(f);
	*np = n;
	return a;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: bench_pub collectd PORT AGENTS_FILE RATE COUNT START_TS SEQ_START [SEED]\n"
	    "       bench_pub probe PORT PROVINCE PROBES SECONDS [SEQ_START]\n"
	    "       bench_pub backlog covmon|collectd PORT AGENTS_FILE ROUNDS START_TS SEQ_START\n"
	    "       bench_pub values AGENTS_FILE START_TS SEQ  (mean values per sample)\n");
	exit(2);
}

static struct mosquitto *
connect_to(int port, const char *id)
{
	struct mosquitto *m;
	int rc;

	mosquitto_lib_init();
	if ((m = mosquitto_new(id, true, NULL)) == NULL)
		exit(3);
	mosquitto_publish_callback_set(m, on_publish);
	mosquitto_max_inflight_messages_set(m, 1000);
	if ((rc = mosquitto_connect(m, "127.0.0.1", port, 60)) != MOSQ_ERR_SUCCESS) {
		fprintf(stderr, "bench_pub: connect: %s\n", mosquitto_strerror(rc));
		exit(1);
	}
	return m;
}

static void
drain(struct mosquitto *m)
{
	double t = mono();

	while (inflight > 0 && mono() - t < 60)
		loop_or_die(m, 50);
	mosquitto_disconnect(m);
	mosquitto_loop(m, 100, 1);
}

/* Values of fleetsim's sample (agent, seq, ts), one message each. */
static int
run_collectd(int argc, char **argv)
{
	if (argc < 8)
		usage();
	int port = atoi(argv[2]);
	size_t n;
	struct agent *ag = read_agents(argv[3], &n);
	double rate = atof(argv[4]);
	long count = atol(argv[5]);
	int64_t start_ts = strtoll(argv[6], NULL, 10);
	uint64_t seq0 = strtoull(argv[7], NULL, 10);
	uint64_t seed = argc > 8 ? strtoull(argv[8], NULL, 10) : 1;
	struct mosquitto *m = connect_to(port, "bench-pub-collectd");
	char topic[256], payload[64];
	uint64_t samples = 0, values = 0, last_values = 0;
	struct sample s;

	for (size_t i = 0; i < n; i++)
		model_profile(&ag[i], seed, (double)start_ts);
	double t0 = mono();
	for (long r = 0; r < count && !stop; r++) {
		int64_t ts = start_ts + r * 60;
		for (size_t i = 0; i < n && !stop; i++) {
			if (rate > 0) {
				double due = t0 + (double)samples / rate;
				while (mono() < due)
					loop_or_die(m, (int)fmax(0, fmin(5, (due - mono()) * 1000)));
			}
			/* Sample seq0 + r of agent i, as fleetsim makes it. */
			model_sample(&ag[i], seq0 + (uint64_t)r, ts, 60, false, &s);
			sample_set(&s, M_SPOOL_DEPTH, 1);
			sample_set(&s, M_SPOOL_DROPPED, 0);
			for (int k = 0; k < METRIC_COUNT; k++) {
				if (!sample_has(&s, k))
					continue;
				snprintf(topic, sizeof topic, "collectd/%s/covmon-%s/gauge-%s",
				    ag[i].id, metric_group_name[metric_table[k].group],
				    metric_table[k].name);
				int len = snprintf(payload, sizeof payload, "%lld:%.17g",
				    (long long)ts, s.m[k]);
				pub(m, topic, payload, len, 1, 1000);
				values++;
				last_values += r == count - 1;
			}
			samples++;
		}
	}
	drain(m);
	double secs = mono() - t0;
	/* last_values: files the last round updates (one value each). */
	printf("bench_pub: collectd samples=%" PRIu64 " values=%" PRIu64 " last_values=%" PRIu64
	    " seconds=%.3f rate=%.1f/s values_rate=%.1f/s\n", samples, values, last_values, secs,
	    samples / secs, values / secs);
	free(ag);
	return 0;
}

/* The 12 metrics of the backlog bench. */
static const int backlog_metrics[] = {
	M_ICMP_RTT_MIN_MS, M_ICMP_RTT_AVG_MS, M_ICMP_RTT_MAX_MS, M_ICMP_RTT_P50_MS,
	M_ICMP_RTT_P90_MS, M_ICMP_JITTER_MS, M_ICMP_LOSS_PCT, M_IF_RX_BPS, M_IF_TX_BPS,
	M_IF_OPER_UP, M_RADIO_SIGNAL_DBM, M_RADIO_SNR_DB,
};
#define BACKLOG_METRICS (sizeof backlog_metrics / sizeof backlog_metrics[0])

/* Agent by agent, each one's ROUNDS samples oldest first (its spool). */
static int
run_backlog(int argc, char **argv)
{
	if (argc < 8)
		usage();
	bool collectd = strcmp(argv[2], "collectd") == 0;
	int port = atoi(argv[3]);
	size_t n;
	struct agent *ag = read_agents(argv[4], &n);
	long rounds = atol(argv[5]);
	int64_t start_ts = strtoll(argv[6], NULL, 10);
	uint64_t seq0 = strtoull(argv[7], NULL, 10);
	struct mosquitto *m = connect_to(port, collectd ? "bench-pub-collectd" : "bench-pub-covmon");
	char topic[TOPIC_MAX], buf[SAMPLE_MAX_BYTES];
	uint64_t msgs = 0;
	struct sample s, full;

	for (size_t i = 0; i < n && !stop; i++) {
		model_profile(&ag[i], 1, (double)start_ts);
		for (long r = 0; r < rounds && !stop; r++) {
			int64_t ts = start_ts + r * 60;
			model_sample(&ag[i], seq0 + (uint64_t)r, ts, 60, false, &full);
			sample_init(&s);
			snprintf(s.agent, sizeof s.agent, "%s", ag[i].id);
			s.seq = seq0 + (uint64_t)r;
			s.prev = s.seq - 1;
			s.has_prev = true;
			s.ts = ts;
			s.interval = 60;
			for (size_t k = 0; k < BACKLOG_METRICS; k++) {
				int mi = backlog_metrics[k];
				/* A metric the model left out gets a value of its own. */
				sample_set(&s, mi, sample_has(&full, mi) ? full.m[mi] :
				    (double)((ag[i].key + (uint64_t)r + k) % 100));
			}
			if (collectd) {
				for (size_t k = 0; k < BACKLOG_METRICS; k++) {
					int mi = backlog_metrics[k];
					snprintf(topic, sizeof topic, "collectd/%s/covmon-%s/gauge-%s",
					    ag[i].id, metric_group_name[metric_table[mi].group],
					    metric_table[mi].name);
					int len = snprintf(buf, sizeof buf, "%lld:%.17g",
					    (long long)ts, s.m[mi]);
					pub(m, topic, buf, len, 1, 1000);
					msgs++;
				}
				continue;
			}
			if (topic_build(topic, sizeof topic, "covmon/v1", ag[i].province, ag[i].id,
			    TOPIC_SAMPLE) == -1)
				usage();
			int len = sample_encode(&s, buf, sizeof buf);
			if (len < 0)
				exit(3);
			pub(m, topic, buf, len, 1, 1000);
			msgs++;
		}
	}
	drain(m);
	printf("bench_pub: backlog %s agents=%zu rounds=%ld messages=%" PRIu64
	    " values=%zu\n", argv[2], n, rounds, msgs, n * (size_t)rounds * BACKLOG_METRICS);
	free(ag);
	return 0;
}

/* PROBES agents, one sample per second each, spread over the second. */
static int
run_probe(int argc, char **argv)
{
	if (argc < 6)
		usage();
	int port = atoi(argv[2]);
	const char *prov = argv[3];
	int np = atoi(argv[4]);
	double secs = atof(argv[5]);
	uint64_t seq0 = argc > 6 ? strtoull(argv[6], NULL, 10) : 1;
	struct mosquitto *m = connect_to(port, "bench-pub-probe");
	struct agent *ag = calloc((size_t)np, sizeof *ag);
	int64_t *last = calloc((size_t)np, sizeof *last);
	char topic[TOPIC_MAX], buf[SAMPLE_MAX_BYTES];
	struct sample s;

	if (ag == NULL || last == NULL || np < 1)
		usage();
	for (int i = 0; i < np; i++) {
		snprintf(ag[i].id, sizeof ag[i].id, "lagprobe-%03d", i);
		snprintf(ag[i].province, sizeof ag[i].province, "%s", prov);
		model_profile(&ag[i], 7, wall());
	}
	double t0 = mono();
	for (long k = 0; !stop && mono() - t0 < secs; k++) {
		int i = (int)(k % np);
		uint64_t seq = seq0 + (uint64_t)(k / np);
		double due = t0 + (double)k / np;
		while (mono() < due)
			loop_or_die(m, (int)fmax(0, fmin(20, (due - mono()) * 1000)));
		double now = wall();
		int64_t ts = (int64_t)now;
		if (ts <= last[i])
			ts = last[i] + 1;
		last[i] = ts;
		model_sample(&ag[i], seq, ts, 60, false, &s);
		if (topic_build(topic, sizeof topic, "covmon/v1", prov, ag[i].id,
		    TOPIC_SAMPLE) == -1)
			usage();
		int len = sample_encode(&s, buf, sizeof buf);
		if (len < 0)
			exit(3);
		now = wall();
		pub(m, topic, buf, len, 1, 1000);
		printf("%s %" PRIu64 " %.6f\n", ag[i].id, seq, now);
	}
	drain(m);
	free(ag);
	free(last);
	return 0;
}

int
main(int argc, char **argv)
{
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "collectd") == 0)
		return run_collectd(argc, argv);
	if (strcmp(argv[1], "probe") == 0)
		return run_probe(argc, argv);
	if (strcmp(argv[1], "backlog") == 0)
		return run_backlog(argc, argv);
	if (strcmp(argv[1], "values") == 0 && argc >= 5) {
		/* What fleetsim's samples carry on average (spool fields included). */
		size_t n, v = 0;
		struct agent *ag = read_agents(argv[2], &n);
		struct sample s;
		for (size_t i = 0; i < n; i++) {
			model_profile(&ag[i], 1, atof(argv[3]));
			model_sample(&ag[i], strtoull(argv[4], NULL, 10), atoll(argv[3]), 60, false, &s);
			sample_set(&s, M_SPOOL_DEPTH, 1);
			sample_set(&s, M_SPOOL_DROPPED, 0);
			for (int k = 0; k < METRIC_COUNT; k++)
				v += sample_has(&s, k);
		}
		printf("%.3f\n", n ? (double)v / (double)n : 0.0);
		free(ag);
		return 0;
	}
	usage();
	return 2;
}
