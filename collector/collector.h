/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * covmon-collector: the configuration and the parts of the daemon.
 *
 * Threads (named as in the first column, see `ps -L`):
 *
 * thread       file            owns                     receives            hands off
 * main         main.c          signals, config reloads; SIGHUP, SIGTERM     reload flags
 *                              libmosquitto's thread:
 *                              starts it again when it
 *                              gave up (ingest_tick)
 * mosquitto's  ingest.c        nothing but the decode;  MQTT messages;     queue.c items
 *              (its callbacks) the acks not yet taken   PUBACKs of acks
 *                              (ack_out, under ackmu)
 * cm-writer    writer.c,       per-agent order state,   queue.c items;      acks (MQTT),
 *              evaluator.c,    RRD store, state.db      state_req.c         snapshots
 *              alert_eval.c,   (its one writer: the     requests (acks,     (snapshot.h),
 *              state_req.c     group commit), the       silences,           notifications
 *                              evaluator, alert engine  deliveries)         (state.db queue),
 *                              and digest                                   request answers
 * cm-flusher   store_cached.c  its rrdcached connection  a pass of files    done count
 *                                                        (under fl.mu)
 * cm-creator   creator.c       a store of its own (new   requests: an       results: agent,
 *                              agents' files; with       agent's first      files made (both
 *                              rrdcached its FORGETs)    sample (cr->mu)    under cr->mu)
 * cm-notify    notify*.c       a read-only state.db      the notification   deliveries to
 *                              connection                queue (state.db)   the writer
 *                                                                           (state_req.c)
 * cm-pacer     pace.c          the rollups' slopes       the snapshot's     pace_table
 *                                                        inventory          (pacer_get)
 * MHD's        http.c, api*.c, nothing shared:           HTTP requests      replies; acks and
 *              pages*.c        snapshots are immutable,                     silences to the
 *                              read-only state.db                           writer (state_req.c)
 * cm-sweep     http.c          the connection table      (every second)     shutdown() of
 *                              (under connlock)                             late requests
 *
 * The writer is the only thread that stores samples (the creator makes
 * new agents' files, while the writer holds their samples) and the only
 * one that writes state.db: the others read it on read-only connections
 * and ask it for their writes (state_req.h), which it does between two
 * batches. The snapshot box (snapshot.h) is how everything it evaluates
 * reaches the others.
 */
#ifndef COVMON_COLLECTOR_H
#define COVMON_COLLECTOR_H

#include "alert.h"
#include "coverage.h"
#include "digest.h"
#include "id.h"
#include "mqtt_client.h"
#include "sample.h"
#include "store_rrd.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define MAX_PROVINCES 64

struct collector_conf {
	char path[512];
	char data_dir[512];
	char inventory[512];
	char targets[512];
	char provinces[MAX_PROVINCES][ID_MAX + 1];   /* empty list = all ("*") */
	int nprovinces;
	bool national;               /* the national view: reads the provinces'
	                                summaries (national.c), stores nothing */
	double eval_interval;
	double max_clock_skew;
	double gap_timeout;          /* hidden: a seq gap open this long is reported */
	int max_unknown_agents;      /* agents not in the inventory stored at most */
	int queue_size;

	struct mqtt_conf mqtt;       /* [mqtt], common/mqtt_client.c */
	char client_id[128];         /* [mqtt] client_id */

	struct store_conf store;
	double wal_flush_interval;   /* rrdcached: flush and trim the WAL this often */

	struct coverage_conf coverage;

	char http_listen[128];
	char token[256];
	int max_per_address;          /* [http] connections per client address */
	double request_timeout;       /* [http] seconds for a whole request */
	char map_tiles[512];          /* [http] tile URL template, "" none */

	struct alert_conf alerts;     /* [alerts], [notifier.*], [route.*] */
	struct digest_conf digest;    /* [digest] (collector/digest.c) */
};

int collector_conf_load(struct collector_conf *cc, const char *path, char *err, size_t errlen);

/* Whether `province` is in a [collector] provinces list (n 0: "*"). */
bool collector_owns(const char (*provinces)[ID_MAX + 1], int n, const char *province);

/* The alert settings ([alerts], [notifier.*], [route.*]) as SIGHUP
 * replaces them while other threads still use the old ones: each user
 * holds a reference (collector/conf.c). */
struct alert_conf_ref {
	atomic_int refs;
	struct alert_conf ac;
};
/* A copy of ac with one reference, or NULL. */
struct alert_conf_ref *alert_conf_ref_new(const struct alert_conf *ac);
struct alert_conf_ref *alert_conf_ref_get(struct alert_conf_ref *r);
void alert_conf_ref_put(struct alert_conf_ref *r);
void collector_conf_print(const struct collector_conf *cc, FILE *out);

/* What the MQTT thread hands the writer. */
enum item_kind {
	ITEM_SAMPLE,    /* store it */
	ITEM_CONSUME,   /* refused for a reason found in the MQTT thread, but
	                   its seq is valid: consume it in order, and ack it */
	ITEM_STATE,     /* an agent's retained state / Last Will */
};

struct item {
	enum item_kind kind;
	int reject;                 /* enum reject_extra, for ITEM_CONSUME */
	char province[ID_MAX + 1];
	double received;            /* wall clock */
	struct sample s;            /* s.agent is set for every kind */
	struct agent_state st;
};

/* Bounded queue between the MQTT thread and the writer (collector/queue.c). */
struct queue;
struct queue *queue_new(size_t cap);
void queue_free(struct queue *q);
/* Waits at most `wait` seconds for room; returns 0, -1 when still full,
 * -2 when the queue is closed (the collector is stopping). */
int queue_push(struct queue *q, const struct item *it, double wait);
/* Takes up to max items, waiting at most `wait` seconds for the first. */
size_t queue_pop(struct queue *q, struct item *out, size_t max, double wait);
size_t queue_depth(struct queue *q);
/* Gives back the empty blocks the queue kept for reuse (after a backlog
 * drained); returns their bytes. */
size_t queue_trim(struct queue *q);
void queue_close(struct queue *q);   /* wakes the writer for shutdown */
/* The writer's next (or current) pop returns at once, with what there is:
 * a request for it waits (state_req.h). Takes a struct queue *. */
void queue_wake(void *q);

/* MQTT side (collector/ingest.c). */
struct ingest;
struct ingest *ingest_new(const struct collector_conf *cc, struct queue *q, char *err,
    size_t errlen);
int ingest_start(struct ingest *in, char *err, size_t errlen);
/* Main thread, every few hundred ms: retries a first connect that failed, and
 * starts libmosquitto's network thread again when it gave up. */
void ingest_tick(struct ingest *in);
void ingest_stop(struct ingest *in);
void ingest_free(struct ingest *in);
/* An ack handed to libmosquitto, to ask later whether the broker has it. */
struct ack_ticket {
	uint32_t serial;         /* 0: none (not published) */
	uint16_t mid;
	uint64_t seq;            /* the seq it acks */
	double at;               /* monotonic time it was published */
};
/* Publishes {"v":1,"seq":N,"sid":"…"} to the agent's ack topic under
 * province (the topic the sample came from); sid "" for older agents
 * (thread-safe). *t (when not NULL) names it for ingest_ack_queued. */
void ingest_ack(struct ingest *in, const char *province, const char *agent, const char *sid,
    uint64_t seq, struct ack_ticket *t);
/* Whether the ack of t waits in libmosquitto still: published, not yet
 * taken (PUBACKed) by the broker. */
bool ingest_ack_queued(struct ingest *in, const struct ack_ticket *t);
bool ingest_connected(struct ingest *in);
/* Publishes at QoS 1 (thread-safe); a no-op while disconnected. */
void ingest_publish(struct ingest *in, const char *topic, const void *payload, size_t len,
    bool retain);
/* Wall time the MQTT input last came back (connect), 0 if never. */
double ingest_input_since(struct ingest *in);
/* The national view: subscribe to the province summaries instead of the
 * agents' topics and hand them to nat (before ingest_start). */
struct national;
void ingest_set_national(struct ingest *in, struct national *nat);

/* The writer thread (collector/writer.c). */
struct writer;
struct evaluator;
struct writer *writer_new(const struct collector_conf *cc, struct queue *q, struct ingest *in,
    struct evaluator *ev, char *err, size_t errlen);
int writer_start(struct writer *w, char *err, size_t errlen);
void writer_stop(struct writer *w);   /* then requests are answered -2 */
void writer_free(struct writer *w);
/* Where other threads ask the writer to write state.db (state_req.h);
 * NULL for NULL (a national view keeps no state). */
struct state_reqs;
struct state_reqs *writer_reqs(struct writer *w);

/* The evaluation cycle and the inventory's owner (collector/evaluator.c); its
 * functions run on the writer thread, but for request_reload. */
struct evaluator;
struct snapshot_box;
struct store;
struct state_db;
struct eval_source {
	agent_view_fn view;
	void *arg;
	/* Calls cb for every agent the collector knows. */
	void (*each_agent)(void *arg, void (*cb)(const char *agent, const char *province,
	    double last_seen, uint64_t samples, void *cbarg), void *cbarg);
};
struct evaluator *evaluator_new(const struct collector_conf *cc, struct snapshot_box *box,
    struct ingest *in, char *err, size_t errlen);
void evaluator_free(struct evaluator *ev);
void evaluator_request_reload(struct evaluator *ev);   /* any thread (SIGHUP) */
/* Any thread (SIGHUP): the alert settings to use from the next tick on
 * (takes the reference), or the error of a configuration refused (r
 * NULL), shown in /api/v1/health. */
void evaluator_set_alert_conf(struct evaluator *ev, struct alert_conf_ref *r,
    const char *error);
/* After writer_stop(), before writer_free(): queues the alert groups still
 * waiting for their group_wait. */
void evaluator_shutdown(struct evaluator *ev);
bool evaluator_has_inventory(const struct evaluator *ev);
/* The agent's province in the inventory; *known false when the agent is
 * not in it (or there is no inventory). */
const char *evaluator_agent_province(struct evaluator *ev, const char *agent, bool *known);
/* Reloads when asked, and evaluates when eval_interval has passed. */
void evaluator_tick(struct evaluator *ev, const struct eval_source *src, double input_since,
    struct store *st, struct state_db *db);

/* HTTP (collector/http.c). */
struct http;
struct snapshot_box;
struct http_ctx {
	const struct collector_conf *cc;
	struct ingest *ingest;
	struct queue *queue;
	double started;
	struct snapshot_box *snapshots;   /* what the API reads */
	struct national *national;        /* the national view, or NULL */
	struct state_reqs *reqs;          /* acks and silences: the writer's */
};
struct http *http_start(const struct http_ctx *ctx, char *err, size_t errlen);
void http_stop(struct http *h);

#endif
