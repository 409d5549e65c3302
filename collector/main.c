/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * covmon-collector: receives the agents' samples over MQTT, stores them in
 * RRD files exactly once, keeps each agent's state, and serves /metrics and
 * the API.
 */
#include "collector.h"
#include "exitcode.h"
#include "clock.h"
#include "log.h"
#include "national.h"
#include "notify.h"
#include "signals.h"
#include "snapshot.h"

#include <curl/curl.h>
#include <mosquitto.h>

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: covmon-collector [-c FILE] [--check-config] [-d] [-v]\n"
	    "\n"
	    "  -c, --config FILE   configuration (default /etc/covmon/collector.conf)\n"
	    "      --check-config  parse and validate the configuration, print it, exit\n"
	    "  -d, --daemon        detach and log to syslog\n"
	    "  -v, --verbose       more logging (twice: debug)\n"
	    "      --help, --version\n");
}

static int
make_dirs(const struct collector_conf *cc, char *err, size_t errlen)
{
	char path[600];

	if (mkdir(cc->data_dir, 0750) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "data_dir %s: %s", cc->data_dir, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof path, "%s/rrd", cc->data_dir);
	if (mkdir(path, 0750) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * SIGHUP: the configuration file again. The alert settings ([alerts],
 * [notifier.*], [route.*]) take effect at once; other changes need a
 * restart (said in the log). A file with an error changes nothing.
 */
static void
reload_alerts(const char *path, const struct collector_conf *cur, struct evaluator *ev,
    struct notifier *nt)
{
	struct collector_conf *ncc = malloc(sizeof *ncc);
	struct alert_conf_ref *r;
	char err[1024];

	if (ncc == NULL)
		return;
	if (collector_conf_load(ncc, path, err, sizeof err) == -1) {
		log_warnx("reload: %s; the alert settings in use stay", err);
		evaluator_set_alert_conf(ev, NULL, err);
		goto done;
	}
	if ((r = alert_conf_ref_new(&ncc->alerts)) == NULL)
		goto done;
	evaluator_set_alert_conf(ev, alert_conf_ref_get(r), NULL);
	notifier_set_conf(nt, r);
	/* What else changed: compared with the alerts made equal. */
	ncc->alerts = cur->alerts;
	if (memcmp(ncc, cur, sizeof *ncc) != 0)
		log_warnx("reload: %s: only [alerts], [notifier.*] and [route.*] are reloaded; "
		    "restart the collector for the other changes", path);
done:
	explicit_bzero(ncc, sizeof *ncc);
	free(ncc);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "daemon", no_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *conf_path = "/etc/covmon/collector.conf";
	bool check = false, daemonize = false;
	int verbose = 0, ch, rc = EXIT_RUNTIME;
	char err[1024];
	struct collector_conf cc;
	struct queue *q = NULL;
	struct ingest *in = NULL;
	struct writer *w = NULL;
	struct evaluator *ev = NULL;
	struct snapshot_box box;
	struct http *h = NULL;
	struct notifier *nt = NULL;
	struct national *nat = NULL;

	while ((ch = getopt_long(argc, argv, "c:dvh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': conf_path = optarg; break;
		case 'C': check = true; break;
		case 'd': daemonize = true; break;
		case 'v': verbose++; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("covmon-collector %s\n", COVMON_VERSION); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	log_init("covmon-collector", verbose >= 2 ? LOG_LVL_DEBUG : LOG_LVL_INFO, daemonize);
	if (collector_conf_load(&cc, conf_path, err, sizeof err) == -1) {
		fprintf(stderr, "covmon-collector: %s\n", err);
		return EXIT_USAGE;
	}
	if (check) {
		collector_conf_print(&cc, stdout);
		return 0;
	}
	if (daemonize && daemon(0, 0) == -1)
		fatal("daemon");
	/* state.db, the RRD files and their folders are never world-readable,
	 * whoever starts the daemon (systemd's unit sets the same). */
	umask(027);
	/* Before any thread: localtime_r() everywhere (notifications, the
	 * digest) then speaks the zone of the people paged. A change needs a
	 * restart. */
	if (cc.alerts.timezone[0]) {
		setenv("TZ", cc.alerts.timezone, 1);
		tzset();
	}
	if (cc.token[0] == '\0' && !cc.national)
		log_info("http: no [http] token or token_file: write actions (silences, acks) "
		    "are disabled");

	signals_install();

	mosquitto_lib_init();
	/* Before any thread: the webhook and email notifiers use libcurl. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "covmon-collector: cannot initialise libcurl\n");
		return EXIT_RUNTIME;
	}
	snapshot_box_init(&box);
	if (make_dirs(&cc, err, sizeof err) == -1)
		goto done;
	if ((q = queue_new((size_t)cc.queue_size)) == NULL) {
		snprintf(err, sizeof err, "out of memory for the queue");
		goto done;
	}
	if ((in = ingest_new(&cc, q, err, sizeof err)) == NULL)
		goto done;
	/* The national view stores nothing and evaluates nothing: no writer,
	 * evaluator or notifier, only the summaries' table. */
	if (cc.national) {
		if ((nat = national_new(NATIONAL_STALE_INTERVALS * cc.eval_interval,
		    cc.max_clock_skew)) == NULL) {
			snprintf(err, sizeof err, "out of memory");
			goto done;
		}
		ingest_set_national(in, nat);
	}
	if (!cc.national && (ev = evaluator_new(&cc, &box, in, err, sizeof err)) == NULL)
		goto done;
	if (!cc.national && (w = writer_new(&cc, q, in, ev, err, sizeof err)) == NULL)
		goto done;
	struct http_ctx hc = { &cc, in, q, clock_now(), &box, nat, writer_reqs(w) };
	if ((h = http_start(&hc, err, sizeof err)) == NULL)
		goto done;
	if (w != NULL && writer_start(w, err, sizeof err) == -1)
		goto done;
	/* After writer_new(): the state DB has its schema. */
	if (w != NULL && (nt = notifier_start(&cc, in, writer_reqs(w), err, sizeof err)) == NULL)
		goto done;
	if (ingest_start(in, err, sizeof err) == -1)
		goto done;
	if (cc.national)
		log_info("collector: national view of the provinces' summaries, HTTP on %s, "
		    "MQTT %s:%d", cc.http_listen, cc.mqtt.host, cc.mqtt.port);
	else
		log_info("collector: data in %s, HTTP on %s, MQTT %s:%d%s", cc.data_dir,
		    cc.http_listen, cc.mqtt.host, cc.mqtt.port,
		    cc.store.rrdcached[0] ? ", through rrdcached" : "");

	while (!signals_quit()) {
		if (signals_reload()) {
			if (ev == NULL)
				log_info("reload: a national view has no inventory to read again");
			else {
				log_info("reload: reading %s, the inventory and targets again",
				    conf_path);
				reload_alerts(conf_path, &cc, ev, nt);
				evaluator_request_reload(ev);
			}
		}
		ingest_tick(in);
		usleep(200 * 1000);
	}
	log_info("stopping");
	rc = 0;
	err[0] = '\0';
done:
	if (rc != 0 && err[0])
		log_warnx("%s", err);
	/* New samples are refused (and resent by their agents later) while
	 * the writer stores and acks what is queued; then MQTT goes. */
	if (q)
		queue_close(q);
	/* The notifier before the writer, which records its last delivery. */
	notifier_stop(nt);
	if (w)
		writer_stop(w);
	if (w)
		evaluator_shutdown(ev);
	if (in)
		ingest_stop(in);
	http_stop(h);
	writer_free(w);
	evaluator_free(ev);
	snapshot_box_destroy(&box);
	ingest_free(in);
	national_free(nat);
	queue_free(q);
	mosquitto_lib_cleanup();
	curl_global_cleanup();
	return rc;
}
