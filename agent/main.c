/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * covmon-agent: measures a village site's link every interval and reports
 * it to the collector over MQTT, keeping every sample on disk until the
 * collector has stored it. `--once` is the technician's check at the site.
 */
#include "agent.h"
#include "cycle.h"
#include "exitcode.h"
#include "clock.h"
#include "conf.h"
#include "log.h"
#include "privdrop.h"
#include "signals.h"
#include "spool.h"

#include <mosquitto.h>

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: covmon-agent [-c FILE] [--check-config] [-d] [-v]\n"
	    "       covmon-agent [-c FILE] --once [--interval N] [--json]\n"
	    "       covmon-agent [-c FILE] --pcap-file CAPTURE [--json]\n"
	    "\n"
	    "  -c, --config FILE   configuration (default /etc/covmon/agent.conf)\n"
	    "      --check-config  parse and validate the configuration, print it, exit\n"
	    "      --once          probe once and print a report for a technician\n"
	    "      --interval N    with --once: seconds of measurement (default 10)\n"
	    "      --json          with --once: print the sample instead of the report\n"
	    "      --pcap-file F   run the capture probe over a file and print its metrics\n"
	    "  -d, --daemon        detach and log to syslog\n"
	    "  -v, --verbose       more logging (twice: debug)\n"
	    "      --help, --version\n");
}

static long long
spool_bytes(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct stat sb;
	long long total = 0;
	char path[1024];

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode))
			total += sb.st_size;
	}
	closedir(d);
	return total;
}

static void
once_done(void *arg)
{
	*(bool *)arg = true;
}

/*
 * A rate needs two readings of the interface's counters. The daemon has
 * the previous interval's; --once makes its own: the SNMP poll sent at the
 * start of the measurement, once answered, is closed as the reference, and
 * a second poll at the end gives the rates over the time between the two
 * answers (if_rx_bps, if_tx_bps, if_errors).
 */
static void
once_snmp_reference(struct probe_snmp *snmp)
{
	struct sample ref;

	sample_init(&ref);
	probe_snmp_finish(snmp, &ref, NULL);
}

/* The poll at the end of --once: waits for its answers, at most the
 * probe's timeout x tries (the session may still be opening: then it
 * waits no longer either). Returns -1 when interrupted. */
static int
once_snmp_end(struct agent *a, bool have_ref)
{
	const struct probe_snmp_conf *c = &a->conf.snmp;
	double now = clock_mono();
	double limit = now + c->timeout * (c->retries + 1) + 0.2;

	/* A start poll still unanswered is given up: the end poll's answers
	 * are the ones the report shows. */
	if (!have_ref)
		once_snmp_reference(a->snmp);
	probe_snmp_start(a->snmp, now, now - a->interval_start);
	while (!signals_quit() && !probe_snmp_done(a->snmp) && (now = clock_mono()) < limit)
		loop_run_once(a->loop, limit - now);
	return signals_quit() ? -1 : 0;
}

static int
run_once(struct agent *a, double interval, bool json)
{
	struct icmp_target_result ir[ICMP_MAX_TARGETS];
	struct tcp_target_result tr[TCP_MAX_TARGETS];
	struct tcp_target_result br;
	struct probe_snmp_result sr;
	struct probe_tcp_conf bc;
	struct probe_tcp *broker = NULL;
	struct sample s;
	char err[512];
	int nir, ntr;
	bool done = false, snmp_ref = false;

	struct probes p;

	a->conf.interval = interval;
	if (cycle_probes_open(a, &a->conf, &p, err, sizeof err) == -1) {
		fprintf(stderr, "covmon-agent: %s\n", err);
		return EXIT_RUNTIME;
	}
	cycle_probes_use(a, &p);
	if (!json) {
		memset(&bc, 0, sizeof bc);
		snprintf(bc.targets[0], sizeof bc.targets[0],
		    strchr(a->conf.mqtt.host, ':') ? "[%s]:%d" : "%s:%d", a->conf.mqtt.host,
		    a->conf.mqtt.port);
		bc.ntargets = 1;
		bc.timeout = 3;
		broker = probe_tcp_new(a->loop, &bc, err, sizeof err);
	}
	if (privdrop(a->conf.user, err, sizeof err) == -1) {
		fprintf(stderr, "covmon-agent: %s\n", err);
		return EXIT_RUNTIME;
	}
	cycle_begin(a);
	if (broker)
		probe_tcp_start(broker, a->interval_start, interval);
	loop_timer_at(a->loop, a->interval_start + interval, once_done, &done);
	while (!done && !signals_quit()) {
		loop_run_once(a->loop, 1);
		if (a->snmp != NULL && !snmp_ref && probe_snmp_done(a->snmp)) {
			once_snmp_reference(a->snmp);
			snmp_ref = true;
		}
	}
	if (signals_quit())
		return EXIT_RUNTIME;
	if (a->snmp != NULL && once_snmp_end(a, snmp_ref) == -1)
		return EXIT_RUNTIME;

	sample_init(&s);
	cycle_collect(a, &s, ir, &nir, tr, &ntr, &sr);
	if (json) {
		char buf[SAMPLE_MAX_BYTES];
		if (sample_encode(&s, buf, sizeof buf) < 0)
			return EXIT_RUNTIME;
		printf("%s\n", buf);
		return 0;
	}
	struct report_input in = {
		.ac = &a->conf, .s = &s, .icmp = ir, .nicmp = nir, .tcp = tr, .ntcp = ntr,
		.broker_ok = -1, .spool_bytes = spool_bytes(a->conf.spool_dir),
		.snmp = a->snmp ? &sr : NULL,
	};
	if (broker) {
		struct sample bs;
		sample_init(&bs);
		probe_tcp_finish(broker, &bs, &br, 1);
		in.broker_ok = br.ok;
		in.broker_ms = br.connect_ms;
		snprintf(in.broker_error, sizeof in.broker_error, "%s", br.error);
		probe_tcp_free(broker);
	}
	return report_print(stdout, &in, isatty(STDOUT_FILENO));
}

/* Offline analysis: the pcap probe over a capture file, as one interval. */
static int
run_pcap_file(const struct agent_conf *ac, const char *path, bool json)
{
	struct sample s;
	char buf[SAMPLE_MAX_BYTES], err[512];

	sample_init(&s);
	snprintf(s.agent, sizeof s.agent, "%s", ac->id);
	if (probe_pcap_run_file(&ac->pcap, path, &s, err, sizeof err) == -1) {
		fprintf(stderr, "covmon-agent: %s\n", err);
		return EXIT_USAGE;
	}
	if (json) {
		if (sample_encode(&s, buf, sizeof buf) < 0) {
			fprintf(stderr, "covmon-agent: %s: cannot encode the sample\n", path);
			return EXIT_RUNTIME;
		}
		printf("%s\n", buf);
		return 0;
	}
	printf("%s: %u s of capture\n", path, s.interval);
	for (int i = 0; i < METRIC_COUNT; i++)
		if (sample_has(&s, i))
			printf("  %-16s %g %s\n", metric_table[i].name, s.m[i], metric_table[i].unit);
	return 0;
}

static int
run_daemon(struct agent *a)
{
	char err[512];
	struct probes p;

	if (cycle_probes_open(a, &a->conf, &p, err, sizeof err) == -1) {
		log_warnx("%s", err);
		return EXIT_RUNTIME;
	}
	cycle_probes_use(a, &p);
	if (privdrop_own_dir(a->conf.user, a->conf.spool_dir, err, sizeof err) == -1) {
		log_warnx("spool: %s", err);
		return EXIT_RUNTIME;
	}
	if (spool_open(&a->spool, a->conf.spool_dir, a->conf.spool_max_bytes, err,
	    sizeof err) == -1) {
		log_warnx("spool: %s", err);
		return EXIT_RUNTIME;
	}
	struct spool_stats st;
	spool_stats(a->spool, &st);
	/* tests/ledger.py reads this line: its form stays. */
	log_info("spool %s: %llu samples waiting, next seq %llu%s", a->conf.spool_dir,
	    (unsigned long long)st.depth, (unsigned long long)st.next_seq,
	    st.torn ? " (a torn last record was discarded)" : "");
	log_info("spool %s: spool id %s", a->conf.spool_dir, spool_sid(a->spool));
	if ((a->pub = publisher_new(a->loop, &a->conf, a->spool, err, sizeof err)) == NULL) {
		log_warnx("%s", err);
		return EXIT_RUNTIME;
	}
	/* Everything privileged is open: from here on nothing runs as root. */
	if (privdrop(a->conf.user, err, sizeof err) == -1) {
		log_warnx("%s", err);
		return EXIT_RUNTIME;
	}

	signals_install();

	/* Spread a province's agents when the power comes back to all of
	 * them in the same second. */
	double delay = a->conf.start_delay * ((double)(rand() % 10000) / 10000.0);
	publisher_start(a->pub, delay);
	cycle_begin(a);
	loop_timer_at(a->loop, a->interval_start + a->conf.interval, cycle_end, a);
	log_info("agent %s (%s): probing every %g s", a->conf.id, a->conf.province,
	    a->conf.interval);

	while (!signals_quit()) {
		if (signals_reload())
			cycle_reload(a);
		publisher_tick(a->pub);
		if (loop_run_once(a->loop, 1) == -1)
			log_warn("poll");
	}
	/* What a restart (or an operator) will find: whether the spool was
	 * drained, up to where the collector has stored, and whether acks of
	 * another history came (a collector that knows this agent id from
	 * a wiped spool or another device). */
	struct publisher_stats ps;
	spool_stats(a->spool, &st);
	publisher_stats(a->pub, &ps);
	log_info("stopping: %llu samples waiting for an ack, last acked seq %llu, "
	    "%llu dropped since the spool was made; spool %s; acks ignored: %llu of "
	    "another spool id, %llu beyond the last seq given; new spool ids taken "
	    "(a copied spool): %llu", (unsigned long long)st.depth,
	    (unsigned long long)st.last_acked, (unsigned long long)st.dropped,
	    spool_sid(a->spool), (unsigned long long)ps.acks_foreign_sid,
	    (unsigned long long)ps.acks_beyond, (unsigned long long)ps.sid_renewals);
	publisher_stop(a->pub);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "once", no_argument, NULL, 'o' },
		{ "interval", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ "pcap-file", required_argument, NULL, 'P' },
		{ "daemon", no_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *conf_path = "/etc/covmon/agent.conf";
	const char *pcap_file = NULL;
	bool check = false, once = false, json = false, daemonize = false;
	double once_interval = 10;
	int verbose = 0, ch, rc;
	char err[512];
	struct agent a;

	while ((ch = getopt_long(argc, argv, "c:dvh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': conf_path = optarg; break;
		case 'C': check = true; break;
		case 'o': once = true; break;
		case 'i':
			if (parse_duration(optarg, &once_interval) == -1 || once_interval < 1 ||
			    once_interval > SAMPLE_MAX_INTERVAL) {
				fprintf(stderr, "covmon-agent: --interval %s: expected 1 to 3600 seconds\n",
				    optarg);
				return EXIT_USAGE;
			}
			break;
		case 'j': json = true; break;
		case 'P': pcap_file = optarg; break;
		case 'd': daemonize = true; break;
		case 'v': verbose++; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("covmon-agent %s\n", COVMON_VERSION); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	log_init("covmon-agent", verbose >= 2 ? LOG_LVL_DEBUG : LOG_LVL_INFO, daemonize);
	if (once && !verbose)
		log_set_level(LOG_LVL_WARN);

	memset(&a, 0, sizeof a);
	if (agent_conf_load(&a.conf, conf_path, err, sizeof err) == -1) {
		fprintf(stderr, "covmon-agent: %s\n", err);
		return EXIT_USAGE;
	}
	if (check) {
		agent_conf_print(&a.conf, stdout);
		return 0;
	}
	if (pcap_file)
		return run_pcap_file(&a.conf, pcap_file, json);
	/* The spool and anything else it creates are never world-readable,
	 * whoever starts it (the spool itself is made 0600). */
	umask(027);
	srand((unsigned)getpid() ^ (unsigned)clock_now());
	if ((a.loop = loop_new()) == NULL)
		fatalx("out of memory");
	if (once) {
		rc = run_once(&a, once_interval, json);
	} else {
		if (daemonize && daemon(0, 0) == -1)
			fatal("daemon");
		mosquitto_lib_init();
		rc = run_daemon(&a);
		publisher_free(a.pub);
		spool_close(a.spool);
		mosquitto_lib_cleanup();
	}
	struct probes p = { a.icmp, a.tcp, a.pcap, a.snmp };
	cycle_probes_close(&p);
	loop_free(a.loop);
	return rc;
}
