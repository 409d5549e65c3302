/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The agent's publisher: drains the spool to the broker, oldest first, with
 * a bounded window of samples in flight, and forgets a sample only when the
 * collector's ack covers it. libmosquitto runs in the agent's poll loop
 * (external-loop calls); only the connect, which resolves the broker's name
 * and may block for seconds, runs on a short-lived thread while the loop
 * leaves the client alone.
 */
#include "agent.h"
#include "backoff.h"
#include "clock.h"
#include "log.h"
#include "spool.h"
#include "topic.h"

#include <mosquitto.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

_Static_assert(SPOOL_SID_LEN == SID_LEN, "a spool id is the wire format's sid");

enum pub_state {
	PUB_IDLE,        /* waiting for the start delay or a backoff timer */
	PUB_CONNECTING,  /* the connect thread owns the client */
	PUB_HANDSHAKE,   /* TCP/TLS/CONNECT sent, waiting for CONNACK */
	PUB_CONNECTED,
	PUB_STOPPED,
};

struct publisher {
	struct loop *loop;
	const struct agent_conf *ac;
	struct spool *sp;
	struct mosquitto *mosq;
	enum pub_state state;
	bool ever_connected;
	int fd;                      /* registered with the loop, or -1 */
	short fd_events;

	pthread_t thread;
	int wake[2];                 /* the connect thread's "done" pipe */
	int connect_rc;
	int connect_errno;
	double handshake_deadline;

	struct backoff bo;
	uint64_t timer;
	double next_misc;

	char topic_sample[TOPIC_MAX];
	char topic_state[TOPIC_MAX];
	char topic_ack[TOPIC_MAX];

	uint64_t last_ack;           /* highest seq the collector acked */
	uint64_t sent_upto;          /* highest seq published on this connection */
	uint64_t *inflight;          /* seqs published and not acked, ascending */
	int ninflight;
	double last_progress;        /* last ack progress, or first send */
	/*
	 * After an ack timeout the agent sends its oldest unacked sample
	 * alone, until an ack moves. The collector answers a sample it has
	 * with an ack of everything it stored of the spool, so one sample
	 * finds out as much as the whole window would; and a collector that
	 * is slow (under load, catching up after an outage) is not sent a
	 * window of copies per agent every ack_timeout, which it must read
	 * before its acks' confirmations and which only made it slower.
	 * Every fourth timeout without an ack the whole window goes again:
	 * one sample the collector cannot take must not hold back the ones
	 * after it (the collector passes the gap they show). Both follow
	 * from the count of timeouts since the last ack (probing()).
	 */
	unsigned timeouts;
	struct log_limit publim;

	/* Acks ignored: counted, and logged each at its own rate limit so
	 * that a flood of one kind does not hide the other. */
	uint64_t acks_foreign_sid;
	uint64_t acks_beyond;
	struct log_limit lim_foreign_sid;
	struct log_limit lim_beyond;
	double sid_renewed_at;       /* monotonic, 0 never */
	uint64_t sid_renewals;
};

static void pub_connect_begin(void *arg);

static double
boot_time(void)
{
	struct sysinfo si;

	if (sysinfo(&si) == -1)
		return 0;
	return clock_now() - (double)si.uptime;
}

static void
pub_state_payload(struct publisher *p, bool online, char *buf, size_t len)
{
	struct agent_state st;

	memset(&st, 0, sizeof st);
	st.online = online;
	st.ts = (int64_t)clock_now();
	snprintf(st.version, sizeof st.version, "%s", COVMON_VERSION);
	st.boot_ts = (int64_t)boot_time();
	memcpy(st.sid, spool_sid(p->sp), sizeof st.sid);
	if (state_encode(&st, buf, len) == -1)
		buf[0] = '\0';
}

static void
pub_unregister(struct publisher *p)
{
	if (p->fd != -1) {
		loop_io_del(p->loop, p->fd);
		p->fd = -1;
	}
}

static void
pub_schedule(struct publisher *p, double delay)
{
	if (p->timer)
		loop_timer_cancel(p->loop, p->timer);
	p->state = PUB_IDLE;
	p->timer = loop_timer_at(p->loop, clock_mono() + delay, pub_connect_begin, p);
}

static void
pub_lost(struct publisher *p, const char *why)
{
	double d = backoff_next(&p->bo);

	pub_unregister(p);
	p->ninflight = 0;
	if (p->state == PUB_STOPPED)
		return;
	log_warnx("mqtt %s:%d: %s; reconnecting in %.1f s", p->ac->mqtt.host, p->ac->mqtt.port,
	    why, d);
	pub_schedule(p, d);
}

/* After an ack timeout, the oldest unacked sample alone; every fourth
 * timeout (and once an ack came), the whole window. */
static bool
probing(const struct publisher *p)
{
	return p->timeouts % 4 != 0;
}

/* Sends spool records oldest first while the window has room. */
static void
pub_pump(struct publisher *p)
{
	uint64_t seq, prev;
	const void *data;
	size_t len;
	char buf[SAMPLE_MAX_BYTES + 64];
	char msg[128];
	struct sample s;

	while (p->state == PUB_CONNECTED && p->ninflight < (probing(p) ? 1 : p->ac->window)) {
		if (spool_next(p->sp, p->sent_upto, &seq, &prev, &data, &len) != 1)
			break;
		if (sample_decode(data, len, &s, msg, sizeof msg) != SAMPLE_OK) {
			/* Written by this agent, so only disk corruption that
			 * kept its CRC gets here: skip it. */
			log_warnx("spool: seq %llu unreadable (%s); skipped",
			    (unsigned long long)seq, msg);
			p->sent_upto = seq;
			continue;
		}
		s.has_prev = true;
		s.prev = prev;
		/* The spool's id, whatever the record says (an older agent's
		 * records have none): seqs count within the spool that holds
		 * them. */
		memcpy(s.sid, spool_sid(p->sp), sizeof s.sid);
		int n = sample_encode(&s, buf, sizeof buf);
		if (n < 0) {
			p->sent_upto = seq;
			continue;
		}
		int rc = mosquitto_publish(p->mosq, NULL, p->topic_sample, n, buf, 1, false);
		if (rc != MOSQ_ERR_SUCCESS) {
			log_limited(&p->publim, "mqtt publish: %s", mosquitto_strerror(rc));
			break;
		}
		if (p->ninflight == 0)
			p->last_progress = clock_mono();
		p->inflight[p->ninflight++] = seq;
		p->sent_upto = seq;
	}
}

static void
on_connect(struct mosquitto *mosq, void *arg, int rc)
{
	struct publisher *p = arg;
	char payload[256];

	if (rc != 0) {
		/* The broker refused us (bad credentials, not authorised):
		 * keep backing off, it will not get better by hammering. */
		log_warnx("mqtt: connection refused: %s", mosquitto_connack_string(rc));
		mosquitto_disconnect(mosq);
		return;
	}
	p->state = PUB_CONNECTED;
	p->ever_connected = true;
	backoff_reset(&p->bo);
	log_info("mqtt %s:%d: connected", p->ac->mqtt.host, p->ac->mqtt.port);
	if ((rc = mosquitto_subscribe(mosq, NULL, p->topic_ack, 1)) != MOSQ_ERR_SUCCESS)
		log_warnx("mqtt subscribe %s: %s", p->topic_ack, mosquitto_strerror(rc));
	pub_state_payload(p, true, payload, sizeof payload);
	mosquitto_publish(mosq, NULL, p->topic_state, (int)strlen(payload), payload, 1, true);
	/* Whatever was in flight on the old connection may be lost: start
	 * again from the oldest sample the collector has not acked. */
	p->sent_upto = p->last_ack;
	p->ninflight = 0;
	pub_pump(p);
}

static void
on_disconnect(struct mosquitto *mosq, void *arg, int rc)
{
	struct publisher *p = arg;

	(void)mosq;
	if (p->state == PUB_STOPPED) {
		pub_unregister(p);
		return;
	}
	pub_lost(p, rc == MOSQ_ERR_KEEPALIVE ? "no answer within the keepalive" :
	    rc == 0 ? "disconnected" : mosquitto_strerror(rc));
}

/*
 * The collector stored more of this spool id than this spool ever gave:
 * the spool is a copy (restored from a backup, an SD card cloned from a
 * running site), and every sample would be taken for a duplicate of the
 * original's. A new id makes it a new sequence for the collector (which
 * passes the gap to the last acked seq after its gap_timeout). At most
 * once an hour, so a confused collector cannot make the agent churn.
 */
static void
pub_spool_copy(struct publisher *p, uint64_t acked)
{
	char err[256], old[SID_LEN + 1];
	double now = clock_mono();

	if (p->sid_renewed_at != 0 && now - p->sid_renewed_at < 3600)
		return;
	p->sid_renewed_at = now;
	memcpy(old, spool_sid(p->sp), sizeof old);
	if (spool_renew_sid(p->sp, err, sizeof err) == -1) {
		log_warnx("spool: cannot take a new spool id: %s", err);
		return;
	}
	p->sid_renewals++;
	log_warnx("spool: the collector acked seq %llu of spool %s, past what this spool "
	    "gave: it is a copy of another (a restored backup, a cloned SD card); "
	    "this spool is now %s", (unsigned long long)acked, old, spool_sid(p->sp));
	/* What is in flight went out under the old id: send it again. */
	p->ninflight = 0;
	p->sent_upto = p->last_ack;
	pub_pump(p);
}

/*
 * An ack moves last_ack, sent_upto, the window and the spool only when it is
 * of this spool and within the seqs it gave: the collector's history of a
 * wiped spool (seq 5000 acked to an agent at seq 3) would otherwise make the
 * agent take every sample to come for sent, and fall silent.
 */
static void
on_message(struct mosquitto *mosq, void *arg, const struct mosquitto_message *m)
{
	struct publisher *p = arg;
	struct spool_stats st;
	char sid[SID_LEN + 1];
	uint64_t acked;

	(void)mosq;
	if (strcmp(m->topic, p->topic_ack) != 0)
		return;
	if (ack_decode(m->payload, (size_t)m->payloadlen, &acked, sid) == -1) {
		log_limited(&p->publim, "mqtt: malformed ack on %s ignored", m->topic);
		return;
	}
	spool_stats(p->sp, &st);
	switch (ack_check(spool_sid(p->sp), st.next_seq - 1, p->last_ack, sid, acked)) {
	case ACK_STALE:
		return;
	case ACK_FOREIGN_SID:
		p->acks_foreign_sid++;
		log_limited(&p->lim_foreign_sid, "mqtt: ack of seq %llu of spool %s "
		    "ignored: this agent's spool is %s (a spool from before a reinstall, "
		    "or another device with agent id %s)", (unsigned long long)acked, sid,
		    spool_sid(p->sp), p->ac->id);
		return;
	case ACK_BEYOND:
		p->acks_beyond++;
		log_limited(&p->lim_beyond, "mqtt: ack of seq %llu %s%s ignored: beyond "
		    "the last seq this spool gave (%llu); the collector holds another "
		    "history for agent %s", (unsigned long long)acked,
		    sid[0] ? "of spool " : "without a spool id (an older collector)",
		    sid, (unsigned long long)(st.next_seq - 1), p->ac->id);
		if (sid[0] != '\0')
			pub_spool_copy(p, acked);
		return;
	case ACK_ACCEPT:
		break;
	}
	/* spool_ack clamps too: a second line should this check ever miss. */
	if (spool_ack(p->sp, acked) == -1)
		log_warnx("spool: cannot record ack %llu", (unsigned long long)acked);
	p->last_ack = acked;
	p->timeouts = 0;
	if (p->sent_upto < acked)
		p->sent_upto = acked;
	int k = 0;
	for (int i = 0; i < p->ninflight; i++)
		if (p->inflight[i] > acked)
			p->inflight[k++] = p->inflight[i];
	p->ninflight = k;
	p->last_progress = clock_mono();
	pub_pump(p);
}

static void *
pub_connect_thread(void *arg)
{
	struct publisher *p = arg;
	const struct mqtt_conf *m = &p->ac->mqtt;
	char c = 1;

	errno = 0;
	if (p->ever_connected || p->connect_rc != -1)
		p->connect_rc = mosquitto_reconnect_async(p->mosq);
	else
		p->connect_rc = mosquitto_connect_async(p->mosq, m->host, m->port, m->keepalive);
	p->connect_errno = errno;
	while (write(p->wake[1], &c, 1) == -1 && errno == EINTR)
		;
	return NULL;
}

static void
pub_wake(void *arg, int fd, short revents)
{
	struct publisher *p = arg;
	char c;

	(void)revents;
	while (read(fd, &c, 1) == -1 && errno == EINTR)
		;
	pthread_join(p->thread, NULL);
	if (p->state == PUB_STOPPED)
		return;
	if (p->connect_rc != MOSQ_ERR_SUCCESS) {
		char why[160];
		if (p->connect_rc == MOSQ_ERR_ERRNO)
			snprintf(why, sizeof why, "connect: %s", strerror(p->connect_errno));
		else if (p->connect_rc == MOSQ_ERR_EAI)
			snprintf(why, sizeof why, "cannot resolve the broker's name");
		else
			snprintf(why, sizeof why, "connect: %s", mosquitto_strerror(p->connect_rc));
		p->state = PUB_IDLE;
		pub_lost(p, why);
		return;
	}
	p->state = PUB_HANDSHAKE;
	/* A blackholed broker never answers the SYN or the CONNECT. */
	p->handshake_deadline = clock_mono() + (p->ac->mqtt.keepalive < 30 ?
	    p->ac->mqtt.keepalive : 30);
	publisher_tick(p);
}

static void
pub_connect_begin(void *arg)
{
	struct publisher *p = arg;
	char payload[256];

	p->timer = 0;
	if (p->state == PUB_STOPPED)
		return;
	pub_state_payload(p, false, payload, sizeof payload);
	mosquitto_will_set(p->mosq, p->topic_state, (int)strlen(payload), payload, 1, true);
	p->state = PUB_CONNECTING;
	if (pthread_create(&p->thread, NULL, pub_connect_thread, p) != 0) {
		p->state = PUB_IDLE;
		pub_lost(p, "cannot start the connect thread");
	}
}

static void
pub_io(void *arg, int fd, short revents)
{
	struct publisher *p = arg;
	int rc = MOSQ_ERR_SUCCESS;

	(void)fd;
	if (revents & (POLLIN | POLLERR | POLLHUP))
		rc = mosquitto_loop_read(p->mosq, 1);
	if (rc == MOSQ_ERR_SUCCESS && (revents & POLLOUT) && p->fd != -1)
		rc = mosquitto_loop_write(p->mosq, 1);
	if (rc != MOSQ_ERR_SUCCESS && p->fd != -1 && p->state != PUB_STOPPED) {
		/* The library closed the socket without a callback (no
		 * CONNACK yet, or a read error). */
		if (p->state == PUB_HANDSHAKE || p->state == PUB_CONNECTED)
			pub_lost(p, rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
	}
}

void
publisher_tick(struct publisher *p)
{
	double now = clock_mono();

	if (p->state != PUB_HANDSHAKE && p->state != PUB_CONNECTED)
		return;
	if (p->state == PUB_HANDSHAKE && now > p->handshake_deadline) {
		pub_lost(p, "no answer to the connection");
		return;
	}
	if (now >= p->next_misc) {
		p->next_misc = now + 1;
		int rc = mosquitto_loop_misc(p->mosq);
		if (rc == MOSQ_ERR_NO_CONN && p->fd != -1) {
			pub_lost(p, "connection lost");
			return;
		}
		if (p->state == PUB_CONNECTED && p->ninflight > 0 &&
		    now - p->last_progress > p->ac->ack_timeout) {
			p->timeouts++;
			log_warnx("mqtt: no ack for %.0f s; sending seq %llu again, %s",
			    now - p->last_progress, (unsigned long long)p->last_ack + 1,
			    probing(p) ? "alone until an ack comes" : "with the window after it");
			p->sent_upto = p->last_ack;
			p->ninflight = 0;
			pub_pump(p);
		}
	}
	if (p->state != PUB_HANDSHAKE && p->state != PUB_CONNECTED)
		return;
	int sock = mosquitto_socket(p->mosq);
	short ev = (short)(POLLIN | (mosquitto_want_write(p->mosq) ? POLLOUT : 0));
	if (sock != p->fd) {
		pub_unregister(p);
		if (sock >= 0 && loop_io_add(p->loop, sock, ev, pub_io, p) == 0) {
			p->fd = sock;
			p->fd_events = ev;
		}
	} else if (sock >= 0 && ev != p->fd_events) {
		loop_io_set(p->loop, sock, ev);
		p->fd_events = ev;
	}
}

struct publisher *
publisher_new(struct loop *l, const struct agent_conf *ac, struct spool *sp, char *err,
    size_t errlen)
{
	struct publisher *p = calloc(1, sizeof *p);
	const struct mqtt_conf *m = &ac->mqtt;
	struct spool_stats st;

	if (p == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->loop = l;
	p->ac = ac;
	p->sp = sp;
	p->fd = -1;
	p->wake[0] = p->wake[1] = -1;
	p->connect_rc = -1;
	p->publim = (struct log_limit)LOG_LIMIT_INIT(5, 60);
	p->lim_foreign_sid = (struct log_limit)LOG_LIMIT_INIT(3, 3600);
	p->lim_beyond = (struct log_limit)LOG_LIMIT_INIT(3, 3600);
	backoff_init(&p->bo, 1, 300);
	spool_stats(sp, &st);
	p->last_ack = p->sent_upto = st.last_acked;
	if ((p->inflight = calloc((size_t)ac->window, sizeof *p->inflight)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (topic_build(p->topic_sample, TOPIC_MAX, m->topic_prefix, ac->province, ac->id,
	    TOPIC_SAMPLE) == -1 ||
	    topic_build(p->topic_state, TOPIC_MAX, m->topic_prefix, ac->province, ac->id,
	    TOPIC_STATE) == -1 ||
	    topic_build(p->topic_ack, TOPIC_MAX, m->topic_prefix, ac->province, ac->id,
	    TOPIC_ACK) == -1) {
		snprintf(err, errlen, "topic_prefix '%s' makes topics too long", m->topic_prefix);
		goto fail;
	}
	if (pipe2(p->wake, O_CLOEXEC | O_NONBLOCK) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto fail;
	}
	if ((p->mosq = mosquitto_new(ac->id, true, p)) == NULL) {
		snprintf(err, errlen, "mosquitto_new: %s", strerror(errno));
		goto fail;
	}
	mosquitto_connect_callback_set(p->mosq, on_connect);
	mosquitto_disconnect_callback_set(p->mosq, on_disconnect);
	mosquitto_message_callback_set(p->mosq, on_message);
	if (mqtt_client_setup(p->mosq, m, err, errlen) == -1)
		goto fail;
	if (loop_io_add(l, p->wake[0], POLLIN, pub_wake, p) == -1) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	return p;
fail:
	publisher_free(p);
	return NULL;
}

void
publisher_start(struct publisher *p, double delay)
{
	if (delay > 0)
		log_info("mqtt: first connect in %.1f s (start_delay)", delay);
	pub_schedule(p, delay);
}

void
publisher_kick(struct publisher *p)
{
	pub_pump(p);
}

bool
publisher_connected(const struct publisher *p)
{
	return p->state == PUB_CONNECTED;
}

uint64_t
publisher_last_ack(const struct publisher *p)
{
	return p->last_ack;
}

void
publisher_stats(const struct publisher *p, struct publisher_stats *st)
{
	st->acks_foreign_sid = p->acks_foreign_sid;
	st->acks_beyond = p->acks_beyond;
	st->sid_renewals = p->sid_renewals;
}

void
publisher_stop(struct publisher *p)
{
	char payload[256];

	if (p->state == PUB_CONNECTING)
		pthread_join(p->thread, NULL);
	if (p->state == PUB_CONNECTED) {
		pub_state_payload(p, false, payload, sizeof payload);
		mosquitto_publish(p->mosq, NULL, p->topic_state, (int)strlen(payload), payload, 1,
		    true);
		/* Give the retained offline state a moment to leave. */
		for (int i = 0; i < 20 && mosquitto_want_write(p->mosq); i++) {
			mosquitto_loop_write(p->mosq, 1);
			usleep(10000);
		}
	}
	p->state = PUB_STOPPED;
	mosquitto_disconnect(p->mosq);
	pub_unregister(p);
}

void
publisher_free(struct publisher *p)
{
	if (p == NULL)
		return;
	if (p->state == PUB_CONNECTING)
		pthread_join(p->thread, NULL);
	if (p->timer)
		loop_timer_cancel(p->loop, p->timer);
	if (p->wake[0] != -1) {
		loop_io_del(p->loop, p->wake[0]);
		close(p->wake[0]);
		close(p->wake[1]);
	}
	pub_unregister(p);
	if (p->mosq)
		mosquitto_destroy(p->mosq);
	free(p->inflight);
	free(p);
}
