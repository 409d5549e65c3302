/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The collector's MQTT side: a persistent session (clean session off, QoS 1)
 * on libmosquitto's own network thread. Callbacks only decode, validate and
 * queue; nothing here waits on disk. Rejections are counted by reason and
 * logged at a rate limit.
 */
#include "collector.h"
#include "backoff.h"
#include "clock.h"
#include "counters.h"
#include "log.h"
#include "national.h"
#include "topic.h"

#include <mosquitto.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct ingest {
	const struct collector_conf *cc;
	struct queue *q;
	struct mosquitto *mosq;
	atomic_bool connected;
	_Atomic double input_since;
	struct log_limit rejlim;     /* only touched on the network thread */
	struct log_limit publim;     /* only touched on the writer thread */
	struct backoff bo;           /* connects made by the main thread (the first,
	                                and after the network thread gave up) */
	double next_try;
	bool looping;                /* libmosquitto's thread runs */
	atomic_bool loop_ended;      /* ... and returned: see on_disconnect */
	struct national *national;   /* the national view: summaries only */
	/*
	 * Acks that libmosquitto still holds, by message id: the serial of
	 * the ack published under that mid, 0 once the broker PUBACKed it.
	 * The writer asks before it repeats an ack (ingest_ack_queued).
	 * ackmu covers publish-and-record, so that a PUBACK faster than the
	 * record cannot leave a slot marked for ever.
	 */
	pthread_mutex_t ackmu;
	uint32_t ack_serial;         /* last serial given; under ackmu */
	uint32_t *ack_out;           /* [65536]; under ackmu */
};

static void
reject(struct ingest *in, const char *topic, const char *reason, const char *detail)
{
	log_limited(&in->rejlim, "sample on %.120s refused (%s): %s", topic, reason, detail);
}

/* The broker took a message of ours (QoS 1: its PUBACK). */
static void
on_publish(struct mosquitto *mosq, void *arg, int mid)
{
	struct ingest *in = arg;

	(void)mosq;
	if (mid < 0 || mid > UINT16_MAX)
		return;
	pthread_mutex_lock(&in->ackmu);
	in->ack_out[mid] = 0;
	pthread_mutex_unlock(&in->ackmu);
}

static void
on_connect(struct mosquitto *mosq, void *arg, int rc)
{
	struct ingest *in = arg;
	char sub[TOPIC_MAX];

	if (rc != 0) {
		log_warnx("mqtt: connection refused: %s", mosquitto_connack_string(rc));
		return;
	}
	atomic_fetch_add(&counters.mqtt_connects, 1);
	atomic_store(&in->connected, true);
	atomic_store(&in->input_since, clock_now());
	log_info("mqtt %s:%d: connected as %s", in->cc->mqtt.host, in->cc->mqtt.port,
	    in->cc->client_id);
	/* Subscribe on every connect: a persistent session keeps the
	 * subscriptions, but a broker that lost its state does not (the
	 * classic bug of collectd's mqtt plugin). The national view reads
	 * the provinces' retained summaries, and nothing of the agents. */
	const char *leaves[] = { "+/sample", "+/state" };
	int nleaves = 2;
	if (in->national != NULL) {
		leaves[0] = "summary";
		nleaves = 1;
	}
	for (int l = 0; l < nleaves; l++) {
		int n = in->cc->nprovinces ? in->cc->nprovinces : 1;
		for (int i = 0; i < n; i++) {
			snprintf(sub, sizeof sub, "%s/%s/%s", in->cc->mqtt.topic_prefix,
			    in->cc->nprovinces ? in->cc->provinces[i] : "+", leaves[l]);
			if ((rc = mosquitto_subscribe(mosq, NULL, sub, 1)) != MOSQ_ERR_SUCCESS)
				log_warnx("mqtt subscribe %s: %s", sub, mosquitto_strerror(rc));
		}
	}
}

static void
on_disconnect(struct mosquitto *mosq, void *arg, int rc)
{
	struct ingest *in = arg;
	int e = errno;   /* MOSQ_ERR_ERRNO's, before logging can change it */

	(void)mosq;
	atomic_store(&in->connected, false);
	if (rc != 0)
		log_warnx("mqtt %s:%d: connection lost (%s); reconnecting", in->cc->mqtt.host,
		    in->cc->mqtt.port, mosquitto_strerror(rc));
	/*
	 * libmosquitto's network thread reconnects after most errors, but its
	 * loop returns, and the thread ends, after these (mosquitto_loop_forever
	 * in 2.0): a broker restarted under load that sent a bad packet, or a
	 * TLS handshake cut short, left the collector disconnected for good,
	 * storing nothing (test_tls_faults beside a CPU hog). The main thread
	 * starts it again (ingest_tick).
	 */
	switch (rc) {
	case MOSQ_ERR_NOMEM: case MOSQ_ERR_PROTOCOL: case MOSQ_ERR_INVAL:
	case MOSQ_ERR_NOT_FOUND: case MOSQ_ERR_TLS: case MOSQ_ERR_PAYLOAD_SIZE:
	case MOSQ_ERR_NOT_SUPPORTED: case MOSQ_ERR_AUTH: case MOSQ_ERR_ACL_DENIED:
	case MOSQ_ERR_UNKNOWN: case MOSQ_ERR_EAI: case MOSQ_ERR_PROXY:
		atomic_store(&in->loop_ended, true);
		break;
	case MOSQ_ERR_ERRNO:
		if (e == EPROTO)
			atomic_store(&in->loop_ended, true);
		break;
	default:
		break;
	}
}

static void
enqueue(struct ingest *in, const struct item *it)
{
	/* A full queue pushes back on the broker for a moment; past that
	 * the sample is not taken, and not acked: its agent sends it again. */
	int rc = queue_push(in->q, it, 1.0);

	if (rc == -2)
		return;         /* stopping: not taken, not acked, sent again */
	if (rc == -1) {
		atomic_fetch_add(&counters.queue_full, 1);
		log_limited(&in->rejlim, "write queue full: sample from %s not taken (it will be "
		    "resent)", it->s.agent);
	}
}

static void
on_message(struct mosquitto *mosq, void *arg, const struct mosquitto_message *m)
{
	struct ingest *in = arg;
	char province[ID_MAX + 1], agent[ID_MAX + 1], msg[256];
	enum topic_leaf leaf;
	struct item it;
	enum sample_err e;

	(void)mosq;
	if (in->national != NULL) {
		national_message(in->national, m->topic, in->cc->mqtt.topic_prefix, m->payload,
		    m->payloadlen > 0 ? (size_t)m->payloadlen : 0, clock_now());
		return;
	}
	if (topic_parse(m->topic, in->cc->mqtt.topic_prefix, province, agent, &leaf) == -1) {
		if (strstr(m->topic, "/sample") != NULL) {
			atomic_fetch_add(&counters.received, 1);
			atomic_fetch_add(&counters.rejected_extra[REJ_BAD_TOPIC], 1);
			reject(in, m->topic, "bad_topic", "an id in the topic is not valid");
		}
		return;
	}
	memset(&it, 0, sizeof it);
	it.received = clock_now();
	memcpy(it.province, province, sizeof province);

	if (leaf == TOPIC_STATE) {
		if (m->payloadlen == 0)
			return;   /* a retained state being cleared */
		if (state_decode(m->payload, (size_t)m->payloadlen, &it.st) == -1) {
			log_limited(&in->rejlim, "state on %.120s: malformed; ignored", m->topic);
			return;
		}
		atomic_fetch_add(&counters.state_messages, 1);
		it.kind = ITEM_STATE;
		memcpy(it.s.agent, agent, sizeof agent);
		enqueue(in, &it);
		return;
	}
	if (leaf != TOPIC_SAMPLE)
		return;

	atomic_fetch_add(&counters.received, 1);
	e = sample_decode(m->payload, (size_t)(m->payloadlen < 0 ? 0 : m->payloadlen), &it.s,
	    msg, sizeof msg);
	if (e != SAMPLE_OK) {
		/* Without a trustworthy seq it cannot be acked: the agent
		 * will resend it, and it is refused (and counted) again. */
		atomic_fetch_add(&counters.rejected_payload[e], 1);
		reject(in, m->topic, sample_err_reason(e), msg);
		return;
	}
	if (strcmp(it.s.agent, agent) != 0) {
		atomic_fetch_add(&counters.rejected_extra[REJ_AGENT_MISMATCH], 1);
		reject(in, m->topic, "agent_mismatch", "the payload's agent is not the topic's");
		return;
	}
	if (it.s.unknown_metrics)
		atomic_fetch_add(&counters.unknown_metrics, it.s.unknown_metrics);
	it.kind = ITEM_SAMPLE;
	if ((double)it.s.ts > it.received + in->cc->max_clock_skew) {
		snprintf(msg, sizeof msg, "ts %lld is %.0f s in the future (max_clock_skew %g s)",
		    (long long)it.s.ts, (double)it.s.ts - it.received, in->cc->max_clock_skew);
		reject(in, m->topic, "clock_skew", msg);
		it.kind = ITEM_CONSUME;
		it.reject = REJ_CLOCK_SKEW;
	}
	enqueue(in, &it);
}

struct ingest *
ingest_new(const struct collector_conf *cc, struct queue *q, char *err, size_t errlen)
{
	struct ingest *in = calloc(1, sizeof *in);
	int rc;

	if (in == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	in->cc = cc;
	in->q = q;
	pthread_mutex_init(&in->ackmu, NULL);
	if ((in->ack_out = calloc(UINT16_MAX + 1, sizeof *in->ack_out)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	in->rejlim = (struct log_limit)LOG_LIMIT_INIT(10, 60);
	in->publim = (struct log_limit)LOG_LIMIT_INIT(5, 60);
	/* clean_session off: the broker keeps our subscriptions and queues
	 * samples while we are down. */
	if ((in->mosq = mosquitto_new(cc->client_id, false, in)) == NULL) {
		snprintf(err, errlen, "mosquitto_new: %s", strerror(errno));
		goto fail;
	}
	mosquitto_connect_callback_set(in->mosq, on_connect);
	mosquitto_disconnect_callback_set(in->mosq, on_disconnect);
	mosquitto_message_callback_set(in->mosq, on_message);
	mosquitto_publish_callback_set(in->mosq, on_publish);
	if ((rc = mosquitto_reconnect_delay_set(in->mosq, 1, 60, true)) != MOSQ_ERR_SUCCESS) {
		snprintf(err, errlen, "mosquitto_reconnect_delay_set: %s", mosquitto_strerror(rc));
		goto fail;
	}
	if (mqtt_client_setup(in->mosq, &cc->mqtt, err, errlen) == -1)
		goto fail;
	return in;
fail:
	ingest_free(in);
	return NULL;
}

/*
 * libmosquitto's network thread reconnects a client that was connected
 * once, but not one whose first connect failed (a collector started before
 * its broker): until the first connect goes through, the main thread
 * retries with backoff (ingest_tick), and only then starts the thread.
 */
static int
ingest_try_connect(struct ingest *in)
{
	int rc = mosquitto_connect_async(in->mosq, in->cc->mqtt.host, in->cc->mqtt.port,
	    in->cc->mqtt.keepalive);

	if (rc == MOSQ_ERR_SUCCESS)
		return 0;
	double d = backoff_next(&in->bo);
	log_warnx("mqtt %s:%d: %s; retrying in %.1f s", in->cc->mqtt.host, in->cc->mqtt.port,
	    rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc), d);
	in->next_try = clock_mono() + d;
	return -1;
}

int
ingest_start(struct ingest *in, char *err, size_t errlen)
{
	int rc;

	backoff_init(&in->bo, 1, 60);
	if (ingest_try_connect(in) == -1)
		return 0;
	if ((rc = mosquitto_loop_start(in->mosq)) != MOSQ_ERR_SUCCESS) {
		snprintf(err, errlen, "mqtt loop: %s", mosquitto_strerror(rc));
		return -1;
	}
	in->looping = true;
	return 0;
}

void
ingest_tick(struct ingest *in)
{
	int rc;

	if (atomic_load(&in->connected))
		backoff_reset(&in->bo);
	if (in->looping && atomic_load(&in->loop_ended)) {
		mosquitto_loop_stop(in->mosq, false);   /* joins the ended thread */
		in->looping = false;
		atomic_store(&in->loop_ended, false);
		double d = backoff_next(&in->bo);
		log_warnx("mqtt %s:%d: libmosquitto's network thread gave up; connecting again "
		    "in %.1f s", in->cc->mqtt.host, in->cc->mqtt.port, d);
		atomic_fetch_add(&counters.mqtt_loop_restarts, 1);
		in->next_try = clock_mono() + d;
	}
	if (in->looping || clock_mono() < in->next_try)
		return;
	if (ingest_try_connect(in) == -1)
		return;
	if ((rc = mosquitto_loop_start(in->mosq)) != MOSQ_ERR_SUCCESS) {
		log_warnx("mqtt loop: %s", mosquitto_strerror(rc));
		return;
	}
	in->looping = true;
}

void
ingest_ack(struct ingest *in, const char *province, const char *agent, const char *sid,
    uint64_t seq, struct ack_ticket *t)
{
	char topic[TOPIC_MAX], buf[96];
	int n, mid = 0, rc;

	if (t != NULL)
		t->serial = 0;
	if (topic_build(topic, sizeof topic, in->cc->mqtt.topic_prefix, province, agent,
	    TOPIC_ACK) == -1 || (n = ack_encode(seq, sid, buf, sizeof buf)) < 0)
		return;
	pthread_mutex_lock(&in->ackmu);
	rc = mosquitto_publish(in->mosq, &mid, topic, n, buf, 1, false);
	if (rc == MOSQ_ERR_SUCCESS && t != NULL && mid >= 0 && mid <= UINT16_MAX) {
		if (++in->ack_serial == 0)
			in->ack_serial = 1;
		in->ack_out[mid] = in->ack_serial;
		*t = (struct ack_ticket){ .serial = in->ack_serial, .mid = (uint16_t)mid,
		    .seq = seq, .at = clock_mono() };
	}
	pthread_mutex_unlock(&in->ackmu);
	if (rc == MOSQ_ERR_SUCCESS)
		atomic_fetch_add(&counters.acks_sent, 1);
}

bool
ingest_ack_queued(struct ingest *in, const struct ack_ticket *t)
{
	bool queued;

	if (t->serial == 0)
		return false;
	pthread_mutex_lock(&in->ackmu);
	queued = in->ack_out[t->mid] == t->serial;
	pthread_mutex_unlock(&in->ackmu);
	return queued;
}

void
ingest_publish(struct ingest *in, const char *topic, const void *payload, size_t len,
    bool retain)
{
	int rc;

	if (len > INT32_MAX)
		return;
	rc = mosquitto_publish(in->mosq, NULL, topic, (int)len, payload, 1, retain);
	if (rc != MOSQ_ERR_SUCCESS)
		log_limited(&in->publim, "mqtt publish %.120s: %s", topic, mosquitto_strerror(rc));
}

void
ingest_set_national(struct ingest *in, struct national *nat)
{
	in->national = nat;
}

bool
ingest_connected(struct ingest *in)
{
	return atomic_load(&in->connected);
}

double
ingest_input_since(struct ingest *in)
{
	return atomic_load(&in->input_since);
}

void
ingest_stop(struct ingest *in)
{
	mosquitto_disconnect(in->mosq);
	if (in->looping)
		mosquitto_loop_stop(in->mosq, false);
}

void
ingest_free(struct ingest *in)
{
	if (in == NULL)
		return;
	if (in->mosq)
		mosquitto_destroy(in->mosq);
	pthread_mutex_destroy(&in->ackmu);
	free(in->ack_out);
	free(in);
}
