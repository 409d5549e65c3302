/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The collector's HTTP server (libmicrohttpd, its own threads): /metrics in
 * Prometheus text format, the JSON API (api.c, api_alerts.c), the
 * dashboard's pages and graphs (pages*.c). It never touches the writer's
 * state except through atomics, the queue's lock and the snapshot box; the
 * pages read the state DB on a read-only connection of their own, the
 * alerts API on another. The write actions (silences, acks) need the
 * bearer token of [http] token / token_file: none configured, they are
 * disabled (403); a request without it is refused (401).
 *
 * Slow clients: libmicrohttpd caps the connections per address
 * ([http] max_per_address) and closes idle ones, but its timeout counts
 * idleness, which a client sending a header line now and then resets for
 * ever. So every connection is tracked here, and a sweeper thread closes
 * the ones whose request has not arrived whole within [http]
 * request_timeout (a response being sent is not timed: a phone on a slow
 * link may take long to read a graph).
 */
#include "api.h"
#include "cache.h"
#include "collector.h"
#include "clock.h"
#include "counters.h"
#include "log.h"
#include "metrics.h"
#include "national.h"
#include "notify.h"
#include "pages.h"
#include "snapshot.h"
#include "state_db.h"

#include <microhttpd.h>

#include <arpa/inet.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define UPLOAD_MAX 8192

/* Query arguments a request may carry: pages and the API take a handful.
 * More are refused (400) before libmicrohttpd stores them: past about 900
 * they exhaust the connection's memory pool, and libmicrohttpd 0.9.75 then
 * stalls the request until its timeout instead of answering. */
#define QUERY_ARGS_MAX	32

/* The sweeper looks at the deadlines this often (seconds). */
#define SWEEP_EVERY	0.25

/* Rendered graphs kept for a minute: every browser on a site page asks for
 * the same images, and librrd leaks a little on each render. */
#define GRAPH_CACHE_TTL		60.0
#define GRAPH_CACHE_ENTRIES	512
#define GRAPH_CACHE_BYTES	((size_t)32 << 20)

/* No script anywhere; styles only from the stylesheet, images only from
 * here; never framed. An SVG graph opened on its own carries librrd's
 * inline styles, and nothing else. */
#define CSP_PAGE	"default-src 'self'; script-src 'none'; object-src 'none'; " \
			"style-src 'self'; img-src 'self'; base-uri 'none'; " \
			"form-action 'self'; frame-ancestors 'none'"
#define CSP_SVG		"default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
/* With [http] map_tiles, the pages also load images from the tile server
 * (its origin, nothing else of it), and tell it which site asks: tile
 * servers such as OpenStreetMap's refuse requests without a Referer. */
#define CSP_PAGE_TILES	"default-src 'self'; script-src 'none'; object-src 'none'; " \
			"style-src 'self'; img-src 'self' %.*s; base-uri 'none'; " \
			"form-action 'self'; frame-ancestors 'none'"

/* An open connection, for the request deadline. */
struct conn {
	struct conn *prev, *next;
	struct http *h;
	int fd;
	double deadline;        /* clock_mono(): closed past it; 0: none (answering) */
	bool between;           /* a request was completed: waiting for the next */
	bool too_many_args;     /* this request's query was cut: answer 400 */
};

struct http {
	struct MHD_Daemon *d;
	struct http_ctx ctx;
	struct graph_cache *graphs;
	struct api *api;                /* the API's cache and history source */
	struct pages_db *pdb;           /* the pages' reader */
	struct pages_source src;
	char csp_tiles[sizeof CSP_PAGE_TILES + 512];	/* "" without map_tiles */
	pthread_mutex_t dblock;          /* protects db */
	struct state_db *db;             /* opened at the first alerts request */

	double request_timeout;          /* [http] request_timeout */
	pthread_mutex_t connlock;        /* protects conns, each conn, stopping */
	pthread_cond_t wake;             /* with connlock: the sweeper, to stop */
	struct conn *conns;              /* every connection open */
	bool stopping;
	pthread_t sweeper;
	bool sweeping;                   /* the sweeper thread was started */
};

/* A request body being received (POST). */
struct upload {
	char buf[UPLOAD_MAX + 1];
	size_t len;
	bool too_big;
};

/* The tracked connection of c, or NULL (not tracked: out of memory). */
static struct conn *
conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c,
	    MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci != NULL ? ci->socket_context : NULL;
}

/* The whole request arrived: no deadline while it is handled and its
 * response sent. */
static void
answering(struct MHD_Connection *c)
{
	struct conn *k = conn_of(c);

	if (k == NULL)
		return;
	pthread_mutex_lock(&k->h->connlock);
	k->deadline = 0;
	pthread_mutex_unlock(&k->h->connlock);
}

static enum MHD_Result
reply_csp(struct MHD_Connection *c, unsigned status, const char *type, char *body,
    size_t len, const char *cache, const char *csp, const char *referrer)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body,
	    MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", cache);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Content-Security-Policy", csp);
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", referrer);
	/* Pages and graphs speak the language Accept-Language asks for when
	 * the URL does not say: a cache in front must keep them apart. */
	MHD_add_response_header(r, "Vary", "Accept-Language");
	answering(c);
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
reply_cached(struct MHD_Connection *c, unsigned status, const char *type, char *body,
    size_t len, const char *cache)
{
	return reply_csp(c, status, type, body, len, cache,
	    strcmp(type, "image/svg+xml") == 0 ? CSP_SVG : CSP_PAGE, "same-origin");
}

static enum MHD_Result
reply(struct MHD_Connection *c, unsigned status, const char *type, char *body, size_t len)
{
	return reply_cached(c, status, type, body, len, "no-store");
}

static enum MHD_Result
reply_str(struct MHD_Connection *c, unsigned status, const char *type, const char *s)
{
	char *body = strdup(s);
	return body ? reply(c, status, type, body, strlen(body)) : MHD_NO;
}

static enum MHD_Result
handle_metrics(struct http *h, struct MHD_Connection *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return MHD_NO;
	counters_write(f);
	fprintf(f, "# HELP covmon_mqtt_connected 1 while connected to the MQTT broker.\n"
	    "# TYPE covmon_mqtt_connected gauge\ncovmon_mqtt_connected %d\n",
	    ingest_connected(h->ctx.ingest) ? 1 : 0);
	fprintf(f, "# HELP covmon_uptime_seconds Seconds since the collector started.\n"
	    "# TYPE covmon_uptime_seconds gauge\ncovmon_uptime_seconds %.0f\n",
	    clock_now() - h->ctx.started);
	if (h->ctx.national != NULL)
		national_metrics(h->ctx.national, clock_now(), f);
	else {
		struct snapshot *s = h->ctx.snapshots != NULL ?
		    snapshot_get(h->ctx.snapshots) : NULL;

		notifier_metrics(f);
		metrics_coverage(f, s);
		snapshot_put(s);
	}
	fclose(f);
	return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", buf, len);
}

/* The current snapshot with a reference taken, or NULL (none yet, or no
 * box: the collector runs without an inventory). */
static struct snapshot *
current(struct http *h)
{
	return h->ctx.snapshots ? snapshot_get(h->ctx.snapshots) : NULL;
}

static enum MHD_Result
handle_health(struct http *h, struct MHD_Connection *c)
{
	char *buf = NULL;
	size_t len = 0;
	struct api_health hh = {
		.mqtt_connected = ingest_connected(h->ctx.ingest),
		.queue_depth = queue_depth(h->ctx.queue),
		.uptime_s = clock_now() - h->ctx.started,
		.received = atomic_load(&counters.received),
		.stored = atomic_load(&counters.stored),
		.inventory_configured = h->ctx.cc->inventory[0] != '\0',
		.max_unknown_agents = h->ctx.cc->max_unknown_agents,
		.unknown_refused = atomic_load(
		    &counters.rejected_extra[REJ_UNKNOWN_AGENT_LIMIT]),
	};
	struct snapshot *s = current(h);
	int rc = api_health(s, &hh, &buf, &len);

	snapshot_put(s);
	if (rc == -1)
		return MHD_NO;
	return reply(c, MHD_HTTP_OK, "application/json", buf, len);
}

static const char *
query_arg(void *qarg, const char *key)
{
	return MHD_lookup_connection_value(qarg, MHD_GET_ARGUMENT_KIND, key);
}

static enum MHD_Result
handle_api(struct http *h, struct MHD_Connection *c, const char *url)
{
	char *buf = NULL;
	size_t len = 0;
	unsigned status = 0;
	struct snapshot *s = current(h);
	int rc = api_render(h->api, s, url, query_arg, c, &buf, &len, &status);

	snapshot_put(s);
	if (rc == -1)
		return MHD_NO;
	return reply(c, status, "application/json", buf, len);
}

/* The state DB for the alerts API, with dblock held; NULL when it cannot
 * be opened (then tried again at the next request). */
static struct state_db *
db_lock(struct http *h)
{
	char path[600], err[1024];

	pthread_mutex_lock(&h->dblock);
	if (h->db == NULL) {
		snprintf(path, sizeof path, "%s/state.db", h->ctx.cc->data_dir);
		if (state_db_open_reader(&h->db, path, err, sizeof err) == -1) {
			log_warnx("http: %s", err);
			h->db = NULL;
		}
	}
	return h->db;
}

/* Compares in time independent of where they differ. */
static bool
token_ok(const char *got, const char *want)
{
	size_t n = strlen(want), m = strlen(got);
	unsigned char d = (unsigned char)(n != m);

	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)(want[i] ^ (i < m ? got[i] : 0));
	return d == 0;
}

static enum MHD_Result
handle_alerts(struct http *h, struct MHD_Connection *c, const char *url, const char *method,
    const struct upload *up)
{
	char *buf = NULL;
	size_t len = 0;
	unsigned status = 0;
	int rc;
	bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	const char *sil = "/api/v1/silences", *al = "/api/v1/alerts/";
	double now = clock_now();

	if (!get) {
		const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_AUTHORIZATION);
		if (h->ctx.cc->token[0] == '\0')
			rc = api_error(403, "write actions are disabled: no [http] token or "
			    "token_file in the collector's config", &buf, &len, &status);
		else if (auth == NULL || strncmp(auth, "Bearer ", 7) != 0 ||
		    !token_ok(auth + 7, h->ctx.cc->token))
			rc = api_error(401, "this needs the API token (Authorization: Bearer …)",
			    &buf, &len, &status);
		else if (up != NULL && up->too_big)
			rc = api_error(413, "request body too large", &buf, &len, &status);
		else
			rc = 1;
		if (rc != 1) {
			if (rc == -1)
				return MHD_NO;
			if (status == 401)
				log_warnx("http: %s %s refused: no valid token", method, url);
			return reply(c, status, "application/json", buf, len);
		}
	}
	/* Reads on the HTTP threads' connection; writes are the writer's, and
	 * waiting for it must not hold the readers' lock. */
	struct state_db *db = get ? db_lock(h) : NULL;
	if (get && strcmp(url, "/api/v1/alerts") == 0)
		rc = api_alerts_get(db, query_arg, c, now, &buf, &len, &status);
	else if (get && strcmp(url, sil) == 0)
		rc = api_silences_get(db, now, &buf, &len, &status);
	else if (get && strcmp(url, "/api/v1/digest") == 0)
		rc = api_digest_get(h->ctx.snapshots, db, h->ctx.cc, query_arg, c, now, &buf, &len,
		    &status);
	else if (strcmp(method, "POST") == 0 && strcmp(url, sil) == 0)
		rc = api_silence_post(h->ctx.reqs, up ? up->buf : "", up ? up->len : 0, now, &buf, &len,
		    &status);
	else if (strcmp(method, "DELETE") == 0 && strncmp(url, sil, strlen(sil)) == 0 &&
	    url[strlen(sil)] == '/')
		rc = api_silence_delete(h->ctx.reqs, url + strlen(sil) + 1, &buf, &len, &status);
	else if (strcmp(method, "POST") == 0 && strncmp(url, al, strlen(al)) == 0 &&
	    strlen(url) > strlen(al) + 4 && strcmp(url + strlen(url) - 4, "/ack") == 0) {
		char id[32];
		size_t n = strlen(url) - strlen(al) - 4;
		snprintf(id, sizeof id, "%.*s", (int)(n < sizeof id ? n : sizeof id - 1),
		    url + strlen(al));
		rc = api_alert_ack(h->ctx.reqs, id, now, &buf, &len, &status);
	} else if (get)
		rc = api_error(404, "not found", &buf, &len, &status);
	else
		rc = api_error(405, "method not allowed", &buf, &len, &status);
	if (get)
		pthread_mutex_unlock(&h->dblock);
	if (rc == -1)
		return MHD_NO;
	if (!get && status < 300)
		log_info("http: %s %s: %u", method, url, status);
	return reply(c, status, "application/json", buf, len);
}

static bool
alerts_path(const char *url)
{
	return strcmp(url, "/api/v1/alerts") == 0 || strncmp(url, "/api/v1/alerts/", 15) == 0 ||
	    strcmp(url, "/api/v1/digest") == 0 ||
	    strcmp(url, "/api/v1/silences") == 0 || strncmp(url, "/api/v1/silences/", 17) == 0;
}

/* A request is over (answered, or cut). On a kept-alive connection the
 * next one must come within the idle timeout, then arrive whole within
 * request_timeout: 2 × request_timeout in all, however it trickles. */
static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http *h = cls;
	struct conn *k = conn_of(c);

	(void)toe;
	free(*con_cls);
	*con_cls = NULL;
	if (k == NULL)
		return;
	pthread_mutex_lock(&h->connlock);
	k->deadline = clock_mono() + 2 * h->request_timeout;
	k->between = true;
	k->too_many_args = false;
	pthread_mutex_unlock(&h->connlock);
}

static void
on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode code)
{
	struct http *h = cls;
	struct conn *k = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c,
		    MHD_CONNECTION_INFO_CONNECTION_FD);
		/* Untracked when out of memory: the idle timeout still holds. */
		if (ci == NULL || (k = calloc(1, sizeof *k)) == NULL)
			return;
		k->h = h;
		k->fd = ci->connect_fd;
		pthread_mutex_lock(&h->connlock);
		k->deadline = clock_mono() + h->request_timeout;
		k->next = h->conns;
		if (h->conns != NULL)
			h->conns->prev = k;
		h->conns = k;
		pthread_mutex_unlock(&h->connlock);
		*socket_context = k;
		atomic_fetch_add(&counters.http_connections, 1);
		return;
	}
	/* MHD_CONNECTION_NOTIFY_CLOSED, before the socket is closed: the
	 * sweeper, under the same lock, never shuts a reused descriptor. */
	if (k == NULL)
		return;
	pthread_mutex_lock(&h->connlock);
	/* Closed with its request late, before the sweep came to it: by
	 * libmicrohttpd's idle timeout (a trickle that paused), or in the
	 * sweep's second. A late request all the same. */
	if (k->deadline > 0 && clock_mono() >= k->deadline)
		atomic_fetch_add(&counters.http_request_timeouts, 1);
	if (k->prev != NULL)
		k->prev->next = k->next;
	else
		h->conns = k->next;
	if (k->next != NULL)
		k->next->prev = k->prev;
	pthread_mutex_unlock(&h->connlock);
	free(k);
	*socket_context = NULL;
	atomic_fetch_sub(&counters.http_connections, 1);
}

/* The request line has arrived. A new request on a kept-alive connection
 * gets its own deadline. A query of more than QUERY_ARGS_MAX arguments is
 * cut here, the one point before libmicrohttpd parses it: the line is the
 * connection's own buffer, which it parses right after this returns (its
 * documented order, "log callback before we modify URI or args"), and the
 * request is answered 400. */
static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct http *h = cls;
	struct conn *k = conn_of(c);
	char *q = strchr(uri, '?');
	int n = 0;

	for (const char *p = q; p != NULL && *p != '\0'; p++)
		n += *p == '?' || *p == '&';
	if (k == NULL)
		return NULL;
	pthread_mutex_lock(&h->connlock);
	if (k->between) {
		k->between = false;
		k->deadline = clock_mono() + h->request_timeout;
	}
	if (n > QUERY_ARGS_MAX) {
		k->too_many_args = true;
		q[1] = '\0';
	}
	pthread_mutex_unlock(&h->connlock);
	return NULL;
}

/* Closes the connections whose request is late: shutdown() wakes
 * libmicrohttpd's poll on them, and it closes and releases them. */
static void *
sweep(void *arg)
{
	struct http *h = arg;
	unsigned long cut = 0;
	double logged = clock_mono();

	pthread_setname_np(pthread_self(), "cm-sweep");

	pthread_mutex_lock(&h->connlock);
	while (!h->stopping) {
		double now = clock_mono();
		for (struct conn *k = h->conns; k != NULL; k = k->next)
			if (k->deadline > 0 && now >= k->deadline) {
				shutdown(k->fd, SHUT_RDWR);
				k->deadline = 0;
				cut++;
				atomic_fetch_add(&counters.http_request_timeouts, 1);
			}
		if (cut > 0 && now - logged >= 60) {
			log_warnx("http: %lu request%s not received whole within %g s: closed "
			    "(slow or stalled clients)", cut, cut == 1 ? "" : "s",
			    h->request_timeout);
			cut = 0;
			logged = now;
		}
		struct timespec ts;
		clock_deadline(&ts, SWEEP_EVERY);
		pthread_cond_timedwait(&h->wake, &h->connlock, &ts);
	}
	pthread_mutex_unlock(&h->connlock);
	return NULL;
}

/* The national view's API: its table of summaries. */
static enum MHD_Result
handle_national(struct http *h, struct MHD_Connection *c, const char *url)
{
	char *buf = NULL;
	size_t len = 0;
	unsigned status = 0;

	if (national_api(h->ctx.national, url, clock_now(), &buf, &len, &status) == -1)
		return MHD_NO;
	return reply(c, status, "application/json", buf, len);
}

static enum MHD_Result
handle_page(struct http *h, struct MHD_Connection *c, const char *url)
{
	struct pages_out out;
	struct pages_env env = {
		.thr = &h->ctx.cc->coverage,
		.data_dir = h->ctx.cc->data_dir,
		.src = h->pdb ? &h->src : NULL,
		.now = clock_now(),
		.map_tiles = h->ctx.cc->map_tiles,
	};
	struct pages_national nv = { 0 };
	struct national_summary *list = NULL;

	if (h->ctx.national != NULL) {
		if (national_list(h->ctx.national, false, &list, &nv.n) == -1)
			return MHD_NO;
		nv.provinces = list;
		nv.stale_after = national_stale_after(h->ctx.national);
		env.national = &nv;
		env.thr = NULL;      /* its own [coverage] judges nothing */
	}
	struct snapshot *s = current(h);
	int rc = pages_render(s, &env, url, query_arg, c,
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept-Language"), &out);

	snapshot_put(s);
	national_list_free(list, nv.n);
	if (rc == -1)
		return MHD_NO;
	if (h->csp_tiles[0] != '\0' && env.national == NULL)
		return reply_csp(c, out.status, out.type, out.body, out.len, "no-store",
		    h->csp_tiles, "strict-origin-when-cross-origin");
	return reply(c, out.status, out.type, out.body, out.len);
}

static enum MHD_Result
handle_graph(struct http *h, struct MHD_Connection *c, const char *url)
{
	struct pages_out out;
	struct snapshot *s = current(h);
	int rc = pages_graph_query(h->graphs, s, h->ctx.cc->data_dir,
	    h->ctx.cc->coverage.yellow_margin_pct, url, query_arg, c,
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept-Language"), &out);

	snapshot_put(s);
	if (rc == -1)
		return MHD_NO;
	/* An image is good for as long as the cache keeps it. */
	return reply_cached(c, out.status, out.type, out.body, out.len,
	    out.status == 200 ? "max-age=60" : "no-store");
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct http *h = cls;
	struct conn *k = conn_of(c);

	(void)version;
	if (k != NULL && k->too_many_args) {
		atomic_fetch_add(&counters.http_too_many_args, 1);
		return reply_str(c, MHD_HTTP_BAD_REQUEST, "application/json",
		    "{\"error\":\"too many query arguments\"}");
	}
	if (strcmp(method, "POST") == 0 || strcmp(method, "DELETE") == 0) {
		struct upload *up = *con_cls;
		if (!alerts_path(url))
			return reply_str(c, MHD_HTTP_METHOD_NOT_ALLOWED, "application/json",
			    "{\"error\":\"method not allowed\"}");
		if (up == NULL) {
			/* First call: headers only. The body follows. */
			if ((up = calloc(1, sizeof *up)) == NULL)
				return MHD_NO;
			*con_cls = up;
			return MHD_YES;
		}
		if (*upload_size > 0) {
			if (*upload_size > UPLOAD_MAX - up->len)
				up->too_big = true;
			else {
				memcpy(up->buf + up->len, upload, *upload_size);
				up->len += *upload_size;
				up->buf[up->len] = '\0';
			}
			*upload_size = 0;
			return MHD_YES;
		}
		answering(c);        /* received whole: the rest is ours to do */
		return handle_alerts(h, c, url, method, up);
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return reply_str(c, MHD_HTTP_METHOD_NOT_ALLOWED, "application/json",
		    "{\"error\":\"method not allowed\"}");
	/* Received whole: a graph that takes long to render is not cut. */
	answering(c);
	if (h->ctx.national != NULL && strncmp(url, "/api/v1/", 8) == 0 &&
	    strcmp(url, "/api/v1/health") != 0)
		return handle_national(h, c, url);
	if (alerts_path(url))
		return handle_alerts(h, c, url, method, NULL);
	if (strcmp(url, "/metrics") == 0)
		return handle_metrics(h, c);
	if (strcmp(url, "/api/v1/health") == 0)
		return handle_health(h, c);
	if (strncmp(url, "/api/v1/", 8) == 0)
		return handle_api(h, c, url);
	if (strncmp(url, "/graph/", 7) == 0)
		return handle_graph(h, c, url);
	if (strcmp(url, PAGES_CSS_PATH) == 0) {
		char *css = strdup(pages_css);
		return css ? reply_cached(c, MHD_HTTP_OK, "text/css; charset=utf-8", css,
		    strlen(css), "max-age=3600") : MHD_NO;
	}
	if (pages_is_page(url))
		return handle_page(h, c, url);
	return reply_str(c, MHD_HTTP_NOT_FOUND, "application/json", "{\"error\":\"not found\"}");
}

static int
parse_listen(const char *s, struct sockaddr_storage *ss, char *err, size_t errlen)
{
	char host[128];
	const char *colon = strrchr(s, ':');
	char *end;

	memset(ss, 0, sizeof *ss);
	if (colon == NULL || (size_t)(colon - s) >= sizeof host)
		goto bad;
	long port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 0 || port > 65535)
		goto bad;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
		host[strlen(host) - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
			goto bad;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		return 0;
	}
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
		goto bad;
	a4->sin_family = AF_INET;
	a4->sin_port = htons((uint16_t)port);
	return 0;
bad:
	snprintf(err, errlen, "[http] listen = '%s': expected ADDRESS:PORT (e.g. 127.0.0.1:8080 "
	    "or [::1]:8080)", s);
	return -1;
}

/* A hamlet's history, for /api/v1/hamlets/<id>, on the HTTP threads' own
 * connection (SQLite WAL lets readers run beside the writer). */
static int
history(void *arg, const char *hamlet, double from, double to, double seconds[HS__COUNT])
{
	struct http *h = arg;
	struct state_db *db = db_lock(h);
	int rc = -1;

	if (db != NULL)
		rc = state_db_state_seconds(db, hamlet, from, to, hamlet_state_name, HS__COUNT,
		    seconds);
	pthread_mutex_unlock(&h->dblock);
	return rc;
}

struct http *
http_start(const struct http_ctx *ctx, char *err, size_t errlen)
{
	struct http *h = calloc(1, sizeof *h);
	struct sockaddr_storage ss;

	if (h == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->ctx = *ctx;
	h->request_timeout = ctx->cc->request_timeout;
	/* The tile server's origin: the template up to its path (conf.c
	 * allows only a scheme, host and port there). */
	const char *mt = ctx->cc->map_tiles, *colon = strchr(mt, ':');
	if (mt[0] != '\0' && colon != NULL) {
		int n = (int)strcspn(colon + 3, "/") + (int)(colon + 3 - mt);
		snprintf(h->csp_tiles, sizeof h->csp_tiles, CSP_PAGE_TILES, n, mt);
	}
	pthread_mutex_init(&h->dblock, NULL);
	pthread_mutex_init(&h->connlock, NULL);
	clock_cond_init(&h->wake);
	if ((h->graphs = graph_cache_new(GRAPH_CACHE_TTL, GRAPH_CACHE_ENTRIES,
	    GRAPH_CACHE_BYTES)) == NULL || (h->pdb = pages_db_new(ctx->cc->data_dir)) == NULL ||
	    (h->api = api_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	pages_db_source(h->pdb, &h->src);
	api_set_history(h->api, history, h);
	if (parse_listen(ctx->cc->http_listen, &ss, err, errlen) == -1)
		goto fail;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* Slow or half-sent requests are cut (sweep); a flood of connections
	 * is capped per address, so a health check still gets through. */
	h->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_THREAD_POOL_SIZE, 2,
	    MHD_OPTION_CONNECTION_LIMIT, 1000,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)ctx->cc->max_per_address,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(ctx->cc->request_timeout + 0.5),
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)65536,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
	    MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
	    MHD_OPTION_URI_LOG_CALLBACK, on_uri, h,
	    MHD_OPTION_END);
	if (h->d == NULL) {
		snprintf(err, errlen, "[http] listen = %s: cannot listen (address in use?)",
		    ctx->cc->http_listen);
		goto fail;
	}
	if (pthread_create(&h->sweeper, NULL, sweep, h) != 0) {
		snprintf(err, errlen, "http: cannot start a thread");
		goto fail;
	}
	h->sweeping = true;
	return h;
fail:
	http_stop(h);     /* what was started so far */
	return NULL;
}

void
http_stop(struct http *h)
{
	if (h == NULL)
		return;
	if (h->sweeping) {
		pthread_mutex_lock(&h->connlock);
		h->stopping = true;
		pthread_cond_signal(&h->wake);
		pthread_mutex_unlock(&h->connlock);
		pthread_join(h->sweeper, NULL);
	}
	if (h->d)
		MHD_stop_daemon(h->d);
	if (h->db)
		state_db_close(h->db);
	pthread_cond_destroy(&h->wake);
	pthread_mutex_destroy(&h->connlock);
	pthread_mutex_destroy(&h->dblock);
	graph_cache_free(h->graphs);
	pages_db_free(h->pdb);
	api_free(h->api);
	free(h);
}
