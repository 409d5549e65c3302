/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * covmon-fleetsim: publishes protocol v1 samples for every agent of an
 * inventory through a real MQTT broker, as a fleet of agents would: paced,
 * spooled, resent from the oldest unacked when the collector does not ack,
 * with scenarios (a commune's backhaul cut, degraded and silent sites, a
 * day of backlog). One connection carries the whole fleet; one thread runs
 * the libmosquitto loop between publishes, so nothing needs a lock.
 */
#include "fleetsim.h"

#include "clock.h"
#include "inventory.h"
#include "log.h"
#include "topic.h"

#include <mosquitto.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define EXIT_BROKER 1
#define EXIT_USAGE 2

#define SCAN_EVERY 0.2           /* seconds between resend/scenario scans */
#define MAX_SCENARIOS 64

enum scen_kind { SC_CUT, SC_DEGRADED, SC_SILENT, SC_BACKLOG };

struct scenario {
	enum scen_kind kind;
	char arg[ID_MAX + 1];
};

struct opts {
	const char *host;
	int port;
	const char *inventory;
	double rate;             /* < 0: one sample per agent per interval */
	uint64_t count;          /* 0: no limit */
	double duration;         /* 0: no limit */
	int interval;
	int64_t start_ts;
	bool has_start_ts, backfill;
	size_t max_agents;       /* 0: all */
	const char *prefix;
	uint64_t seed;
	uint64_t seq_start;
	struct scenario scen[MAX_SCENARIOS];
	size_t nscen;
	double cut_after, cut_for;
	double hour;             /* --hour, or -1 */
	bool ack;
	double ack_timeout, ack_wait;
	uint32_t spool_max;
	unsigned burst;
	unsigned agent_window;   /* --ack: samples in flight per agent, as a real agent */
	unsigned window;
	const char *ledger;
	bool offline_at_exit;
	const char *client_id;
	double broker_timeout;
	bool verbose;
};

struct fleet {
	struct opts o;
	struct agent *agents;
	size_t nagents;
	struct agent **by_id;    /* sorted by id, for acks */
	struct mosquitto *mosq;
	bool connected;
	int connack_rc;
	unsigned subs_pending;
	uint64_t inflight;       /* publishes the broker has not PUBACKed */
	double t0;               /* mono time publishing began */
	double rate_t0;
	uint64_t rate_n;
	double last_loop, last_scan;
	unsigned since_loop;
	uint64_t acks_bad, acks_unknown;
	uint64_t acks_in, acks_stale;   /* ack messages received; of them, at or
	                                   below what was acked already */
	uint64_t acks_taken;     /* acks that freed samples: the end's progress */
	uint64_t state_msgs;
};

static volatile sig_atomic_t stop_flag;
static struct fleet F;

static void
on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void
usage(FILE *f)
{
	fprintf(f,
"usage: covmon-fleetsim --inventory FILE [options]\n"
"Publishes protocol v1 samples for every hamlet of FILE that has an agent_id.\n"
"  -h, --host HOST         broker host (127.0.0.1)\n"
"  -p, --port PORT         broker port (1883)\n"
"  -i, --inventory FILE    inventory CSV (DESIGN.md section 5)\n"
"  -r, --rate N            samples made per second, overall; 0 = as fast as\n"
"                          possible (default: each agent once per --interval,\n"
"                          i.e. agents/interval). Spooled samples and resends\n"
"                          go out on top, as fast as the broker takes them\n"
"  -n, --count N           samples made per agent, then drain and exit\n"
"  -d, --duration S        run for S seconds, then drain and exit\n"
"      --interval S        the samples' interval field, 1..3600 (60); sample k\n"
"                          of an agent has ts = start + k * interval\n"
"      --start-ts T        ts of the first sample (default: now)\n"
"      --backfill          with --count: timestamps in the past, one per\n"
"                          interval, the last one now\n"
"  -a, --agents N          only the first N agents of the inventory\n"
"      --prefix P          topic prefix (covmon/v1)\n"
"      --seed N            seed of the simulated values (1)\n"
"      --seq-start N       first seq of every agent (1)\n"
"  -s, --scenario S        repeatable:\n"
"                            cut:COMMUNE_ID   backhaul cut after --cut-after S\n"
"                                             for --cut-for S (0: to the end):\n"
"                                             state offline, samples spooled\n"
"                                             (100 %% loss), drained when back\n"
"                            degraded:AGENT   high loss and RTT\n"
"                            silent:AGENT     never reports\n"
"                            backlog:AGENT    starts with a day of spooled\n"
"                                             samples, then live\n"
"      --cut-after S       (10)\n"
"      --cut-for S         (0)\n"
"      --hour H            traffic and loss of this hour of the day in Viet\n"
"                          Nam (0-23.99) all the time: figures that do not\n"
"                          move with the clock (default: each sample's hour)\n"
"      --ack               act as real agents: subscribe to the agents' ack\n"
"                          topics, keep every unacked sample, resend from the\n"
"                          oldest unacked after --ack-timeout\n"
"      --ack-timeout S     (10)\n"
"      --ack-wait S        at the end, wait for the last acks until none came\n"
"                          for S seconds (30)\n"
"      --spool-max N       samples kept per agent; past it the oldest are\n"
"                          dropped and counted (10000)\n"
"      --burst N           spooled samples one agent sends per turn (100)\n"
"      --window N          publishes awaiting PUBACK before waiting (1000)\n"
"      --agent-window N    with --ack: samples one agent has in flight (sent,\n"
"                          not acked), as covmon-agent's [mqtt] window (64)\n"
"      --ledger FILE       write a per-agent ledger CSV at the end\n"
"      --offline-at-exit   publish a retained offline state for every agent\n"
"      --client-id ID      MQTT client id (covmon-fleetsim-PID)\n"
"      --broker-timeout S  give up when the broker is gone this long (30)\n"
"  -v, --verbose\n"
"      --help, --version\n"
"Prints a ledger and 'fleetsim: agents=N published=N acked=N resent=N\n"
"seconds=X rate=Y/s' on stdout. Exit: 0 done, 1 broker failure, 2 bad usage\n"
"or inventory.\n");
}

static void __attribute__((format(printf, 1, 2), noreturn))
bad_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "covmon-fleetsim: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(EXIT_USAGE);
}

static double
num_arg(const char *opt, const char *s, double min, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(v) || v < min || v > max)
		bad_usage("%s: '%s' is not a number in %g..%g", opt, s, min, max);
	return v;
}

static uint64_t
u64_arg(const char *opt, const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (*s == '-')
		bad_usage("%s: '%s' is negative", opt, s);
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		bad_usage("%s: '%s' is not a whole number", opt, s);
	return (uint64_t)v;
}

static void
parse_scenario(struct opts *o, const char *s)
{
	static const struct { const char *name; enum scen_kind kind; } kinds[] = {
		{ "cut", SC_CUT }, { "degraded", SC_DEGRADED },
		{ "silent", SC_SILENT }, { "backlog", SC_BACKLOG },
	};
	const char *colon = strchr(s, ':');
	size_t i;

	if (o->nscen == MAX_SCENARIOS)
		bad_usage("more than %d scenarios", MAX_SCENARIOS);
	if (colon == NULL)
		bad_usage("--scenario '%s': expected NAME:ID", s);
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strlen(kinds[i].name) == (size_t)(colon - s) &&
		    strncmp(kinds[i].name, s, (size_t)(colon - s)) == 0)
			break;
	if (i == sizeof(kinds) / sizeof(kinds[0]))
		bad_usage("--scenario '%s': unknown scenario (cut, degraded, silent, "
		    "backlog)", s);
	if (!id_valid(colon + 1))
		bad_usage("--scenario '%s': '%s' is not a valid id", s, colon + 1);
	o->scen[o->nscen].kind = kinds[i].kind;
	snprintf(o->scen[o->nscen].arg, sizeof(o->scen[0].arg), "%s", colon + 1);
	o->nscen++;
}

enum {
	O_INTERVAL = 256, O_START_TS, O_BACKFILL, O_PREFIX, O_SEED, O_SEQ_START,
	O_CUT_AFTER, O_CUT_FOR, O_HOUR, O_ACK, O_ACK_TIMEOUT, O_ACK_WAIT, O_SPOOL_MAX,
	O_BURST, O_WINDOW, O_AGENT_WINDOW, O_LEDGER, O_OFFLINE, O_CLIENT_ID, O_BROKER_TIMEOUT,
	O_HELP, O_VERSION,
};

static void
parse_args(struct opts *o, int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "host", required_argument, NULL, 'h' },
		{ "port", required_argument, NULL, 'p' },
		{ "inventory", required_argument, NULL, 'i' },
		{ "rate", required_argument, NULL, 'r' },
		{ "count", required_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 'd' },
		{ "agents", required_argument, NULL, 'a' },
		{ "scenario", required_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "interval", required_argument, NULL, O_INTERVAL },
		{ "start-ts", required_argument, NULL, O_START_TS },
		{ "backfill", no_argument, NULL, O_BACKFILL },
		{ "prefix", required_argument, NULL, O_PREFIX },
		{ "seed", required_argument, NULL, O_SEED },
		{ "seq-start", required_argument, NULL, O_SEQ_START },
		{ "cut-after", required_argument, NULL, O_CUT_AFTER },
		{ "cut-for", required_argument, NULL, O_CUT_FOR },
		{ "hour", required_argument, NULL, O_HOUR },
		{ "ack", no_argument, NULL, O_ACK },
		{ "ack-timeout", required_argument, NULL, O_ACK_TIMEOUT },
		{ "ack-wait", required_argument, NULL, O_ACK_WAIT },
		{ "spool-max", required_argument, NULL, O_SPOOL_MAX },
		{ "burst", required_argument, NULL, O_BURST },
		{ "window", required_argument, NULL, O_WINDOW },
		{ "agent-window", required_argument, NULL, O_AGENT_WINDOW },
		{ "ledger", required_argument, NULL, O_LEDGER },
		{ "offline-at-exit", no_argument, NULL, O_OFFLINE },
		{ "client-id", required_argument, NULL, O_CLIENT_ID },
		{ "broker-timeout", required_argument, NULL, O_BROKER_TIMEOUT },
		{ "help", no_argument, NULL, O_HELP },
		{ "version", no_argument, NULL, O_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->host = "127.0.0.1";
	o->port = 1883;
	o->rate = -1;
	o->interval = 60;
	o->prefix = "covmon/v1";
	o->seed = 1;
	o->hour = -1;
	o->seq_start = 1;
	o->cut_after = 10;
	o->ack_timeout = 10;
	o->ack_wait = 30;
	o->spool_max = 10000;
	o->burst = 100;
	o->window = 1000;
	o->agent_window = 64;
	o->broker_timeout = 30;

	while ((c = getopt_long(argc, argv, "h:p:i:r:n:d:a:s:v", lopts, NULL)) != -1) {
		switch (c) {
		case 'h': o->host = optarg; break;
		case 'p': o->port = (int)num_arg("--port", optarg, 1, 65535); break;
		case 'i': o->inventory = optarg; break;
		case 'r': o->rate = num_arg("--rate", optarg, 0, 1e9); break;
		case 'n': o->count = u64_arg("--count", optarg); break;
		case 'd': o->duration = num_arg("--duration", optarg, 0, 1e9); break;
		case 'a': o->max_agents = (size_t)u64_arg("--agents", optarg); break;
		case 's': parse_scenario(o, optarg); break;
		case 'v': o->verbose = true; break;
		case O_INTERVAL:
			o->interval = (int)num_arg("--interval", optarg, 1, SAMPLE_MAX_INTERVAL);
			break;
		case O_START_TS:
			o->start_ts = (int64_t)num_arg("--start-ts", optarg, 0, 4e12);
			o->has_start_ts = true;
			break;
		case O_BACKFILL: o->backfill = true; break;
		case O_PREFIX: o->prefix = optarg; break;
		case O_SEED: o->seed = u64_arg("--seed", optarg); break;
		case O_SEQ_START: o->seq_start = u64_arg("--seq-start", optarg); break;
		case O_CUT_AFTER: o->cut_after = num_arg("--cut-after", optarg, 0, 1e9); break;
		case O_CUT_FOR: o->cut_for = num_arg("--cut-for", optarg, 0, 1e9); break;
		case O_HOUR: o->hour = num_arg("--hour", optarg, 0, 23.99); break;
		case O_ACK: o->ack = true; break;
		case O_ACK_TIMEOUT:
			o->ack_timeout = num_arg("--ack-timeout", optarg, 0.1, 1e6);
			break;
		case O_ACK_WAIT: o->ack_wait = num_arg("--ack-wait", optarg, 0, 1e6); break;
		case O_SPOOL_MAX:
			o->spool_max = (uint32_t)num_arg("--spool-max", optarg, 1, 1e8);
			break;
		case O_BURST: o->burst = (unsigned)num_arg("--burst", optarg, 1, 1e6); break;
		case O_WINDOW: o->window = (unsigned)num_arg("--window", optarg, 1, 1e6); break;
		case O_AGENT_WINDOW:
			o->agent_window = (unsigned)num_arg("--agent-window", optarg, 1, 1e6);
			break;
		case O_LEDGER: o->ledger = optarg; break;
		case O_OFFLINE: o->offline_at_exit = true; break;
		case O_CLIENT_ID: o->client_id = optarg; break;
		case O_BROKER_TIMEOUT:
			o->broker_timeout = num_arg("--broker-timeout", optarg, 1, 1e6);
			break;
		case O_HELP: usage(stdout); exit(0);
		case O_VERSION: printf("covmon-fleetsim %s\n", COVMON_VERSION); exit(0);
		default: usage(stderr); exit(EXIT_USAGE);
		}
	}
	if (optind != argc)
		bad_usage("unexpected argument '%s'", argv[optind]);
	if (o->inventory == NULL)
		bad_usage("--inventory FILE is required (--help for the options)");
	if (o->count > 0 && o->duration > 0)
		bad_usage("--count and --duration exclude each other");
	if (o->backfill && (o->count == 0 || o->has_start_ts))
		bad_usage("--backfill needs --count and excludes --start-ts");
	if (o->seq_start == 0)
		bad_usage("--seq-start must be at least 1 (prev is seq - 1)");
	/* The prefix becomes topic levels: no wildcards, no empty level. */
	if (o->prefix[0] == '\0' || o->prefix[0] == '/' ||
	    o->prefix[strlen(o->prefix) - 1] == '/' || strstr(o->prefix, "//") != NULL ||
	    strpbrk(o->prefix, "+#") != NULL)
		bad_usage("--prefix '%s': not a topic prefix", o->prefix);
}

/* ---- inventory ---- */

static int
cmp_agent_id(const void *x, const void *y)
{
	const struct agent *a = *(struct agent *const *)x, *b = *(struct agent *const *)y;

	return strcmp(a->id, b->id);
}

static struct agent *
find_agent(const char *id)
{
	struct agent key, *kp = &key, **r;

	if (strlen(id) > ID_MAX)
		return NULL;
	snprintf(key.id, sizeof(key.id), "%s", id);
	r = bsearch(&kp, F.by_id, F.nagents, sizeof(*F.by_id), cmp_agent_id);
	return r == NULL ? NULL : *r;
}

/* Every hamlet with an agent, read by the collector's own loader
 * (common/inventory.c): the same checks, the same FILE:LINE:COLUMN errors.
 * Returns 0, or -1 with err set. */
static int
inventory_read(const char *path, char *err, size_t errlen)
{
	struct inventory *inv;

	if (inventory_load(&inv, path, NULL, err, errlen) == -1)
		return -1;
	if ((F.agents = calloc(inv->nagents ? inv->nagents : 1, sizeof(*F.agents))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		inventory_free(inv);
		return -1;
	}
	for (size_t i = 0; i < inv->nhamlets; i++) {
		const struct inv_hamlet *h = &inv->hamlets[i];
		struct agent *a;

		if (h->agent == NULL)
			continue;	/* no agent installed yet */
		a = &F.agents[F.nagents++];
		snprintf(a->id, sizeof(a->id), "%s", h->agent);
		snprintf(a->commune, sizeof(a->commune), "%s", inv->communes[h->commune].id);
		snprintf(a->province, sizeof(a->province), "%s", inv->provinces[h->province].id);
	}
	inventory_free(inv);
	return 0;
}

/* ---- spool ---- */

static struct spooled *
spool_at(struct agent *a, uint64_t seq)
{
	return &a->ring[(a->head + (seq - a->lo)) % a->ring_cap];
}

static void
spool_pop(struct agent *a)
{
	a->head = (a->head + 1) % a->ring_cap;
	a->lo++;
}

/* Makes the agent's next sample, at ts, into its spool. A full spool drops
 * its oldest, as the agent's disk spool does, and the new oldest then says
 * prev = the last acked seq so that the collector does not wait for the
 * dropped ones. Returns -1 when memory runs out. */
static int
spool_make(struct agent *a, int64_t ts)
{
	struct spooled *e;
	uint32_t n = (uint32_t)(a->hi - a->lo);

	if (n == F.o.spool_max) {
		spool_pop(a);
		a->dropped++;
		if (a->send_next < a->lo)
			a->send_next = a->lo;
		spool_at(a, a->lo)->prev = a->acked;
		n--;
	} else if (n == a->ring_cap) {
		/* Grow on demand: a fleet of 100,000 agents must not reserve
		 * spool_max entries each up front. */
		uint32_t ncap = a->ring_cap ? a->ring_cap * 2 : 8;
		struct spooled *r;

		if (ncap > F.o.spool_max)
			ncap = F.o.spool_max;
		if ((r = malloc((size_t)ncap * sizeof(*r))) == NULL)
			return -1;
		for (uint32_t i = 0; i < n; i++)
			r[i] = a->ring[(a->head + i) % a->ring_cap];
		free(a->ring);
		a->ring = r;
		a->ring_cap = ncap;
		a->head = 0;
	}
	a->hi++;
	e = spool_at(a, a->hi - 1);
	e->ts = ts;
	e->prev = a->hi - 2;
	if (n == 0)
		e->prev = a->acked > a->hi - 2 ? a->hi - 2 : a->acked;
	e->depth = n + 1;
	e->dropped = a->dropped > UINT32_MAX ? UINT32_MAX : (uint32_t)a->dropped;
	e->cut = a->in_cut;
	a->made++;
	return 0;
}

/* ---- MQTT ---- */

static void
on_connect(struct mosquitto *m, void *ud, int rc)
{
	(void)ud;
	F.connack_rc = rc;
	if (rc != 0)
		return;
	F.connected = true;
	if (!F.o.ack)
		return;
	/* One wildcard per province rather than one subscription per agent:
	 * the same acks reach us, with far fewer subscriptions on the broker.
	 * Agents of a province usually come in a run, so comparing with the
	 * last few provinces subscribed is enough to avoid repeats. */
	const char *done[8] = { NULL };
	unsigned ndone = 0;
	for (size_t i = 0; i < F.nagents; i++) {
		char topic[TOPIC_MAX];
		const char *p = F.agents[i].province;
		unsigned j;

		for (j = 0; j < 8; j++)
			if (done[j] != NULL && strcmp(done[j], p) == 0)
				break;
		if (j < 8)
			continue;
		done[ndone++ % 8] = p;
		snprintf(topic, sizeof(topic), "%s/%s/+/ack", F.o.prefix, p);
		if (mosquitto_subscribe(m, NULL, topic, 1) == MOSQ_ERR_SUCCESS)
			F.subs_pending++;
		else
			log_warnx("cannot subscribe to %s", topic);
	}
}

static void
on_disconnect(struct mosquitto *m, void *ud, int rc)
{
	(void)m;
	(void)ud;
	F.connected = false;
	if (rc != 0)
		log_warnx("broker connection lost (%s)", mosquitto_strerror(rc));
}

static void
on_subscribe(struct mosquitto *m, void *ud, int mid, int n, const int *granted)
{
	(void)m;
	(void)ud;
	(void)mid;
	for (int i = 0; i < n; i++)
		if (granted[i] > 2)
			log_warnx("broker refused the ack subscription");
	if (F.subs_pending > 0)
		F.subs_pending--;
}

static void
on_publish(struct mosquitto *m, void *ud, int mid)
{
	(void)m;
	(void)ud;
	(void)mid;
	if (F.inflight > 0)
		F.inflight--;
}

/* An ack from the collector: every seq <= N is stored, so it leaves the
 * spool. Never publishes: it runs inside mosquitto_loop(). */
static void
on_message(struct mosquitto *m, void *ud, const struct mosquitto_message *msg)
{
	static struct log_limit lim = LOG_LIMIT_INIT(5, 10);
	char prov[ID_MAX + 1], agent[ID_MAX + 1];
	enum topic_leaf leaf;
	struct agent *a;
	uint64_t seq;
	char sid[SID_LEN + 1];

	(void)m;
	(void)ud;
	if (topic_parse(msg->topic, F.o.prefix, prov, agent, &leaf) == -1 ||
	    leaf != TOPIC_ACK)
		return;
	F.acks_in++;
	if ((a = find_agent(agent)) == NULL || strcmp(a->province, prov) != 0) {
		F.acks_unknown++;
		return;
	}
	if (msg->payloadlen < 0 ||
	    ack_decode(msg->payload, (size_t)msg->payloadlen, &seq, sid) == -1) {
		F.acks_bad++;
		log_limited(&lim, "%s: undecodable ack", agent);
		return;
	}
	if (seq <= a->acked) {
		F.acks_stale++;
		return;
	}
	a->acked = seq;
	bool popped = false;
	while (a->lo < a->hi && a->lo <= seq) {
		spool_pop(a);
		a->nacked++;
		popped = true;
	}
	if (popped)
		F.acks_taken++;
	if (a->send_next < a->lo)
		a->send_next = a->lo;
	/* Progress restarts the wait for the next oldest. */
	if (popped) {
		a->wait_since = clock_mono();
		a->timeouts = 0;
	}
}

static void print_ledger(double secs);

static void __attribute__((noreturn))
broker_gone(const char *why)
{
	log_warnx("broker %s:%d: %s", F.o.host, F.o.port, why);
	print_ledger(clock_mono() - F.t0);
	exit(EXIT_BROKER);
}

/* Runs the MQTT loop for up to timeout_ms, reconnecting when the
 * connection dropped; past --broker-timeout without a broker, exits 1. */
static void
service(int timeout_ms)
{
	int rc = mosquitto_loop(F.mosq, timeout_ms, 1);
	double lost_at, delay = 0.25;

	F.last_loop = clock_mono();
	F.since_loop = 0;
	if (rc == MOSQ_ERR_SUCCESS && F.connected)
		return;
	if (rc == MOSQ_ERR_SUCCESS && F.connack_rc == -1)
		return;	/* CONNACK still on its way */
	lost_at = clock_mono();
	while (!F.connected) {
		if (F.connack_rc > 0)
			broker_gone(mosquitto_connack_string(F.connack_rc));
		if (clock_mono() - lost_at > F.o.broker_timeout)
			broker_gone("no connection");
		if (stop_flag && F.connack_rc != -1)
			broker_gone("stopped while disconnected");
		struct timespec ts = { 0, (long)(delay * 1e9) };
		nanosleep(&ts, NULL);
		delay = fmin(delay * 2, 2.0);
		F.connack_rc = -1;
		if (mosquitto_reconnect(F.mosq) != MOSQ_ERR_SUCCESS)
			continue;
		/* Wait for the CONNACK (and the resubscription). */
		double t = clock_mono();
		while (F.connack_rc == -1 && clock_mono() - t < 5) {
			if (mosquitto_loop(F.mosq, 100, 1) != MOSQ_ERR_SUCCESS)
				break;
		}
	}
	log_warnx("broker connection back");
}

/* Waits until one more publish fits in the PUBACK window. */
static void
window_wait(void)
{
	while (F.inflight >= F.o.window)
		service(100);
	if (++F.since_loop >= 64 || clock_mono() - F.last_loop > 0.005)
		service(0);
}

/* Paces the making of samples to --rate with a monotonic schedule; a
 * schedule more than a second behind is reset rather than caught up in a
 * burst. Spooled samples and resends go out on top, as an agent drains its
 * spool as fast as its link allows: pacing them would let one agent's
 * backlog starve the fleet's live samples. */
static void
rate_wait(void)
{
	double rate = F.o.rate, due, now;

	if (rate <= 0)
		return;
	for (;;) {
		now = clock_mono();
		due = F.rate_t0 + (double)F.rate_n / rate;
		if (now >= due)
			break;
		if (due - now > 0.002) {
			service((int)((due - now) * 1000.0));
		} else {
			struct timespec ts = { 0, (long)((due - now) * 1e9) };
			nanosleep(&ts, NULL);
		}
	}
	if (now - due > 1.0) {
		F.rate_t0 = now;
		F.rate_n = 0;
	}
	F.rate_n++;
}

static void
publish(const char *topic, const void *buf, int len, bool retain)
{
	int rc;

	window_wait();
	rc = mosquitto_publish(F.mosq, NULL, topic, len, buf, 1, retain);
	if (rc == MOSQ_ERR_NO_CONN || rc == MOSQ_ERR_CONN_LOST) {
		/* libmosquitto queued the QoS 1 message before it found the
		 * connection gone, and sends it after the reconnect. */
		F.inflight++;
		F.connected = false;
		service(100);
		return;
	}
	if (rc != MOSQ_ERR_SUCCESS) {
		log_warnx("publish %s: %s", topic, mosquitto_strerror(rc));
		return;
	}
	F.inflight++;
}

static void
publish_state(struct agent *a, bool online)
{
	struct agent_state st;
	char topic[TOPIC_MAX], buf[256];
	int n;

	memset(&st, 0, sizeof(st));
	st.online = online;
	st.ts = (int64_t)clock_now();
	snprintf(st.version, sizeof(st.version), "%s-fleetsim", COVMON_VERSION);
	st.boot_ts = (int64_t)a->prof.boot_ts;
	if (topic_build(topic, sizeof(topic), F.o.prefix, a->province, a->id,
	    TOPIC_STATE) == -1 || (n = state_encode(&st, buf, sizeof(buf))) < 0) {
		log_warnx("%s: cannot build its state message", a->id);
		return;
	}
	publish(topic, buf, n, true);
	F.state_msgs++;
}

/* Publishes seq send_next of agent a (a first send or a resend). */
static void
send_one(struct agent *a)
{
	static struct log_limit lim = LOG_LIMIT_INIT(5, 10);
	struct sample s;
	struct spooled *e;
	char topic[TOPIC_MAX], buf[SAMPLE_MAX_BYTES];
	uint64_t seq;
	int n;

	window_wait();
	/* The wait ran the MQTT loop: an ack may have moved the spool. */
	if (a->send_next < a->lo)
		a->send_next = a->lo;
	if (a->send_next >= a->hi)
		return;
	seq = a->send_next;
	e = spool_at(a, seq);
	model_sample(a, seq, e->ts, F.o.interval, e->cut, &s);
	s.has_prev = true;
	s.prev = e->prev;
	sample_set(&s, M_SPOOL_DEPTH, e->depth);
	sample_set(&s, M_SPOOL_DROPPED, e->dropped);
	if (topic_build(topic, sizeof(topic), F.o.prefix, a->province, a->id,
	    TOPIC_SAMPLE) == -1 || (n = sample_encode(&s, buf, sizeof(buf))) < 0) {
		log_limited(&lim, "%s: cannot encode sample %" PRIu64, a->id, seq);
		a->send_next++;
		return;
	}
	publish(topic, buf, n, false);
	if (seq == a->lo)
		a->wait_since = clock_mono();
	if (seq < a->sent_hi) {
		a->resent++;
	} else {
		a->published++;
		a->sent_hi = seq + 1;
	}
	a->send_next++;
	/* Without --ack the broker's PUBACK is all we wait for (below, at
	 * the end): the sample leaves the spool once sent. */
	if (!F.o.ack) {
		a->acked = seq;
		while (a->lo <= seq)
			spool_pop(a);
	}
}

/* With --ack, like a real agent: at most agent_window samples in flight
 * beyond the oldest unacked; the rest wait for acks (after an ack timeout
 * the oldest unacked goes again alone, until an ack moves; every fourth
 * timeout, the window). */
static void
drain(struct agent *a, unsigned max)
{
	while (!a->in_cut && a->send_next < a->hi && max-- > 0 && !stop_flag &&
	    (!F.o.ack || a->send_next < a->lo + (a->timeouts % 4 != 0 ? 1 : F.o.agent_window)))
		send_one(a);
}

static bool
cut_active(double elapsed)
{
	return elapsed >= F.o.cut_after &&
	    (F.o.cut_for <= 0 || elapsed < F.o.cut_after + F.o.cut_for);
}

/* Every SCAN_EVERY seconds: cuts begin and end, silent acks trigger
 * resends from the oldest unacked, spools left over drain. */
static void
scan(bool force)
{
	double now = clock_mono();

	if (!force && now - F.last_scan < SCAN_EVERY)
		return;
	F.last_scan = now;
	for (size_t i = 0; i < F.nagents && !stop_flag; i++) {
		struct agent *a = &F.agents[i];

		if (a->silent)
			continue;
		for (size_t k = 0; k < F.o.nscen; k++) {
			if (F.o.scen[k].kind != SC_CUT ||
			    strcmp(F.o.scen[k].arg, a->commune) != 0)
				continue;
			bool cut = cut_active(now - F.t0);
			if (cut != a->in_cut) {
				a->in_cut = cut;
				publish_state(a, !cut);
				if (F.o.verbose)
					log_info("%s: backhaul %s", a->id, cut ? "cut" : "back");
			}
		}
		if (F.o.ack && a->lo < a->hi && a->send_next > a->lo && !a->in_cut &&
		    now - a->wait_since >= F.o.ack_timeout) {
			a->send_next = a->lo;
			a->wait_since = now;
			a->timeouts++;
		}
		drain(a, F.o.burst);
	}
}

static bool
time_up(uint64_t round)
{
	if (stop_flag)
		return true;
	if (F.o.count > 0 && round >= F.o.count)
		return true;
	return F.o.duration > 0 && clock_mono() - F.t0 >= F.o.duration;
}

static uint64_t
spooled_total(bool sendable_only)
{
	uint64_t n = 0;

	for (size_t i = 0; i < F.nagents; i++)
		if (!sendable_only || !F.agents[i].in_cut)
			n += F.agents[i].hi - F.agents[i].lo;
	return n;
}

static void
print_ledger(double secs)
{
	uint64_t made = 0, pub = 0, resent = 0, nacked = 0, dropped = 0;
	FILE *f = NULL;

	if (F.o.ledger != NULL && (f = fopen(F.o.ledger, "w")) == NULL)
		log_warn("%s", F.o.ledger);
	if (f != NULL)
		fprintf(f, "agent_id,province_id,commune_id,made,published,resent,"
		    "acked_samples,acked_seq,dropped,unacked,first_seq,last_seq\n");
	for (size_t i = 0; i < F.nagents; i++) {
		struct agent *a = &F.agents[i];

		made += a->made;
		pub += a->published;
		resent += a->resent;
		nacked += a->nacked;
		dropped += a->dropped;
		if (f != NULL)
			fprintf(f, "%s,%s,%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
			    ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n",
			    a->id, a->province, a->commune, a->made, a->published,
			    a->resent, a->nacked, a->acked, a->dropped, a->hi - a->lo,
			    F.o.seq_start, a->hi - 1);
	}
	if (f != NULL && fclose(f) != 0)
		log_warn("%s", F.o.ledger);
	printf("fleetsim: ledger made=%" PRIu64 " sent=%" PRIu64 " resent=%" PRIu64
	    " acked=%" PRIu64 " dropped=%" PRIu64 " unacked=%" PRIu64
	    " states=%" PRIu64 " bad_acks=%" PRIu64 " unknown_acks=%" PRIu64
	    " acks_in=%" PRIu64 " stale_acks=%" PRIu64 "\n",
	    made, pub, resent, F.o.ack ? nacked : 0, dropped, spooled_total(false),
	    F.state_msgs, F.acks_bad, F.acks_unknown, F.acks_in, F.acks_stale);
	if (secs <= 0)
		secs = 1e-9;
	printf("fleetsim: agents=%zu published=%" PRIu64 " acked=%" PRIu64
	    " resent=%" PRIu64 " seconds=%.3f rate=%.1f/s\n", F.nagents, pub + resent,
	    F.o.ack ? nacked : 0, resent, secs, (double)(pub + resent) / secs);
	fflush(stdout);
}

/* Applies --agents and the scenarios to the loaded fleet. */
static void
setup_fleet(int64_t first_ts)
{
	struct opts *o = &F.o;
	size_t i, k, total = F.nagents;

	for (k = 0; k < o->nscen; k++) {
		bool found = false;

		for (i = 0; i < total && !found; i++)
			found = strcmp(o->scen[k].kind == SC_CUT ? F.agents[i].commune :
			    F.agents[i].id, o->scen[k].arg) == 0;
		if (!found)
			bad_usage("--scenario: %s '%s' has no agent in %s",
			    o->scen[k].kind == SC_CUT ? "commune" : "agent",
			    o->scen[k].arg, o->inventory);
	}
	if (o->max_agents > 0 && o->max_agents < F.nagents)
		F.nagents = o->max_agents;
	if ((F.by_id = calloc(F.nagents ? F.nagents : 1, sizeof(*F.by_id))) == NULL)
		fatal("calloc");
	for (i = 0; i < F.nagents; i++)
		F.by_id[i] = &F.agents[i];
	qsort(F.by_id, F.nagents, sizeof(*F.by_id), cmp_agent_id);
	for (i = 1; i < F.nagents; i++)
		if (strcmp(F.by_id[i - 1]->id, F.by_id[i]->id) == 0)
			bad_usage("%s: agent_id '%s' appears twice", o->inventory,
			    F.by_id[i]->id);
	for (i = 0; i < F.nagents; i++) {
		struct agent *a = &F.agents[i];

		for (k = 0; k < o->nscen; k++) {
			if (strcmp(o->scen[k].arg, a->id) != 0)
				continue;
			if (o->scen[k].kind == SC_DEGRADED)
				a->degraded = true;
			else if (o->scen[k].kind == SC_SILENT)
				a->silent = true;
			else if (o->scen[k].kind == SC_BACKLOG)
				a->backlog = true;
		}
		a->lo = a->hi = a->send_next = a->sent_hi = o->seq_start;
		a->acked = o->seq_start - 1;
		model_profile(a, o->seed, (double)first_ts - (a->backlog ? 86400.0 : 0));
		a->prof.hour = o->hour;
	}
}

int
main(int argc, char **argv)
{
	struct opts *o = &F.o;
	char err[512], cid[64];
	int64_t start_ts;
	uint64_t round;
	size_t i, active = 0;
	int rc;

	parse_args(o, argc, argv);
	log_init("covmon-fleetsim", o->verbose ? LOG_LVL_INFO : LOG_LVL_WARN, 0);
	if (inventory_read(o->inventory, err, sizeof(err)) == -1) {
		fprintf(stderr, "covmon-fleetsim: %s\n", err);
		return EXIT_USAGE;
	}
	if (o->backfill)
		start_ts = (int64_t)clock_now() - (int64_t)(o->count - 1) * o->interval;
	else
		start_ts = o->has_start_ts ? o->start_ts : (int64_t)clock_now();
	setup_fleet(start_ts);
	for (i = 0; i < F.nagents; i++)
		active += !F.agents[i].silent;
	if (active == 0)
		bad_usage("%s: no agent to simulate", o->inventory);
	/* Real time by default: every agent once per interval. */
	if (o->rate < 0)
		o->rate = (double)active / o->interval;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	mosquitto_lib_init();
	if (o->client_id == NULL) {
		snprintf(cid, sizeof(cid), "covmon-fleetsim-%ld", (long)getpid());
		o->client_id = cid;
	}
	if ((F.mosq = mosquitto_new(o->client_id, true, NULL)) == NULL)
		fatal("mosquitto_new");
	mosquitto_connect_callback_set(F.mosq, on_connect);
	mosquitto_disconnect_callback_set(F.mosq, on_disconnect);
	mosquitto_subscribe_callback_set(F.mosq, on_subscribe);
	mosquitto_publish_callback_set(F.mosq, on_publish);
	mosquitto_message_callback_set(F.mosq, on_message);
	/* Our own window bounds what waits for PUBACK; let libmosquitto send
	 * all of it rather than queue behind its default of 20. */
	mosquitto_max_inflight_messages_set(F.mosq, o->window);
	F.connack_rc = -1;
	if ((rc = mosquitto_connect(F.mosq, o->host, o->port, 60)) != MOSQ_ERR_SUCCESS) {
		fprintf(stderr, "covmon-fleetsim: broker %s:%d: %s\n", o->host, o->port,
		    rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
		return EXIT_BROKER;
	}
	F.t0 = clock_mono();
	while (F.connack_rc == -1 || F.subs_pending > 0) {
		if (clock_mono() - F.t0 > o->broker_timeout)
			broker_gone("no CONNACK or SUBACK");
		service(100);
	}

	F.t0 = F.rate_t0 = F.last_scan = clock_mono();
	for (i = 0; i < F.nagents; i++) {
		struct agent *a = &F.agents[i];

		if (a->silent)
			continue;
		publish_state(a, true);
		if (a->backlog) {
			/* A day spooled during an outage, oldest first. */
			int64_t n = 86400 / o->interval;

			for (int64_t k = n; k >= 1; k--)
				if (spool_make(a, start_ts - k * o->interval) == -1)
					fatal("out of memory");
		}
	}

	for (round = 0; !time_up(round); round++) {
		int64_t ts = start_ts + (int64_t)round * o->interval;

		for (i = 0; i < F.nagents; i++) {
			struct agent *a = &F.agents[i];

			if (a->silent)
				continue;
			rate_wait();
			if (time_up(round))
				break;
			if (spool_make(a, ts) == -1)
				fatal("out of memory");
			drain(a, o->burst);
			scan(false);
		}
	}

	/* Drain what is spooled (and, with --ack, wait for the collector's
	 * acks, resending as agents do) until done, or until nothing moved for
	 * the wait: an ack that frees samples starts it again, so a busy
	 * collector that is still storing is waited for and a stuck one is not
	 * (resends are not progress). */
	double end_t = clock_mono();
	double wait = o->ack ? o->ack_wait : o->broker_timeout;
	uint64_t moved = F.acks_taken;
	stop_flag = 0;
	for (;;) {
		scan(true);
		if (spooled_total(true) == 0 && F.inflight == 0)
			break;
		if (o->ack && F.acks_taken != moved) {
			moved = F.acks_taken;
			end_t = clock_mono();
		}
		if (stop_flag || clock_mono() - end_t >= wait)
			break;
		service(50);
	}
	if (o->offline_at_exit)
		for (i = 0; i < F.nagents; i++)
			if (!F.agents[i].silent)
				publish_state(&F.agents[i], false);
	end_t = clock_mono();
	while (F.inflight > 0 && clock_mono() - end_t < o->broker_timeout && !stop_flag)
		service(50);
	double secs = clock_mono() - F.t0;
	if (F.inflight > 0)
		log_warnx("%" PRIu64 " publishes were not PUBACKed", F.inflight);
	mosquitto_disconnect(F.mosq);
	mosquitto_loop(F.mosq, 100, 1);
	print_ledger(secs);
	mosquitto_destroy(F.mosq);
	mosquitto_lib_cleanup();
	for (i = 0; i < F.nagents; i++)
		free(F.agents[i].ring);
	free(F.agents);
	free(F.by_id);
	return 0;
}
