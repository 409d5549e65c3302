/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The writer thread: takes batches from the queue, stores each agent's
 * samples exactly once and in seq order (holding back past a gap), commits
 * the batch to the state DB in one transaction (group commit), and only
 * then publishes the acks. With rrdcached the same transaction records the
 * samples in the DB's write-ahead log, trimmed once rrdcached has flushed
 * them to the files, and replayed at start. The files of a new agent are
 * made on the creator thread (creator.c) while its samples wait, held in
 * order, and the writer stores the others.
 */
#include "collector.h"
#include "clock.h"
#include "counters.h"
#include "creator.h"
#include "hash.h"
#include "log.h"
#include "order.h"
#include "snapshot.h"
#include "state_db.h"
#include "state_req.h"

#include <math.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdlib.h>
#include <string.h>

#define BATCH_MAX 512
/* Agents whose files are being made at once (requests queued on the
 * creator thread); past it their samples wait their turn, held. */
#define CREATE_MAX 4096
/* Samples of one agent stored as one run (store_write_run) at most. */
#define RUN_MAX 64
/* Agents whose files came drained per writer turn: a rollout's burst of
 * new agents is stored between the turns of everyone else's samples. */
#define DRAIN_CREATED_MAX 128
/* Agents that waited for their files since the heap was last trimmed:
 * past it, the writer gives back the room their holds left once none
 * waits (a rollout's end, or a start on an empty data_dir). */
#define TRIM_AFTER_WAITED 1024
/* Samples taken in full batches before the queue was found empty again:
 * past it (a peak, a fleet's backlog after an outage), the heap is
 * trimmed TRIM_BURST_DELAY s after the queue emptied, once what the
 * burst left (the rrdcached flush pass of its files) is freed too. */
#define TRIM_AFTER_BURST 16384
#define TRIM_BURST_DELAY 10.0
/* A gap older than [collector] gap_timeout (600 s) is reported and passed. */

/* Fresh samples of the coverage window: enough for 15 minutes at 60 s. */
#define WIN_MAX 16

struct agent_rt {
	struct agent_row row;        /* what the DB holds (after commit) */
	struct {
		double t;            /* sample ts */
		float loss, rtt;     /* NAN when not measured */
	} win[WIN_MAX];
	uint8_t wpos, wlen;
	uint64_t samples;            /* stored since start */
	struct order_agent ord;      /* its spools: last seqs, held samples */
	bool dirty;                  /* row changed in this batch */
	bool touched;
	double skew_s, skew_at;      /* last sample refused for its ts (future or
	                                before the last stored): ts - arrival,
	                                and when (wall); 0 none */
	uint64_t saved_seq;          /* before the batch, to undo on a failed commit */
	int64_t saved_ts;
	unsigned ready_groups;       /* groups whose files were found there ... */
	uint32_t ready_gen;          /* ... while store_cache_gen was this ... */
	uint64_t ready_prov;         /* ... under the province of this hash */
	bool creating;               /* its files are being made: samples held */
	bool waiting;                /* on the writer's list of agents waiting for files */
	bool unasked;                /* waiting, and its files not asked for yet (the
	                                creator was full, or a failure's pause) */
	double create_after;         /* monotonic: no new request before (after a failure) */
};

/* An ack for a sample refused before it had an agent_rt (unknown_agent_limit). */
struct refused_ack {
	char province[ID_MAX + 1];
	char agent[ID_MAX + 1];
	char sid[SID_LEN + 1];
	uint64_t seq;
};

struct writer {
	const struct collector_conf *cc;
	struct queue *q;
	struct ingest *in;
	struct evaluator *ev;
	struct agent_view view;      /* the last one handed to the evaluator */
	double started;
	struct store *store;
	unsigned long restored;      /* store's stats.restored already counted */
	unsigned long tunes;         /* and stats.tunes */
	struct state_db *db;         /* the one writer of state.db */
	struct state_reqs *reqs;     /* other threads' writes to it (state_req.h) */
	struct creator *cr;          /* makes new agents' files (cm-creator) */
	struct agent_rt **waiting;   /* agents whose samples wait for their files */
	size_t nwaiting, capwaiting;
	size_t waited;               /* agents put on it since the last trim */
	size_t burst;                /* samples in full batches since the queue was empty */
	double trim_at;              /* monotonic: trim then (after a burst); 0 none */
	pthread_t thread;
	bool running;
	atomic_bool stop;

	struct agent_rt **tab;       /* open addressing, keyed by agent id */
	size_t cap, n;
	struct agent_rt **touched;   /* agents touched in the current batch */
	size_t ntouched;
	struct refused_ack *refused; /* acks of the batch for agents not kept */
	size_t nrefused;
	size_t nunknown;             /* agents not in the inventory (counted when
	                                unknown_at is older than a second) */
	double unknown_at;

	bool wal;                    /* rrdcached mode */
	bool replay;                 /* rrdcached failed: it may have lost what it
	                                confirmed; replay the WAL before writing on */
	double replay_at;            /* monotonic: not tried again before this */
	double replay_backoff;       /* seconds to the next try after a failure */
	int64_t wal_last;            /* last WAL id written */
	double next_flush;
	bool flushing;               /* a sliced flush pass is under way */
	int64_t flush_upto;          /* WAL ids it covers once complete */
	struct log_limit lim;
	struct item batch[BATCH_MAX];
	struct batch_key {           /* the batch's order: by agent, then arrival */
		uint64_t h;
		uint32_t i;
	} order[BATCH_MAX];
};


static int
tab_grow(struct writer *w)
{
	size_t ncap = w->cap ? w->cap * 2 : 1024;
	struct agent_rt **nt = calloc(ncap, sizeof *nt);

	if (nt == NULL)
		return -1;
	for (size_t i = 0; i < w->cap; i++) {
		if (w->tab[i] == NULL)
			continue;
		size_t j = hash_str(w->tab[i]->row.agent) & (ncap - 1);
		while (nt[j])
			j = (j + 1) & (ncap - 1);
		nt[j] = w->tab[i];
	}
	free(w->tab);
	w->tab = nt;
	w->cap = ncap;
	return 0;
}

static struct agent_rt *
agent_find(struct writer *w, const char *agent)
{
	if (w->cap == 0)
		return NULL;
	size_t j = hash_str(agent) & (w->cap - 1);
	while (w->tab[j]) {
		if (strcmp(w->tab[j]->row.agent, agent) == 0)
			return w->tab[j];
		j = (j + 1) & (w->cap - 1);
	}
	return NULL;
}

static struct agent_rt *
agent_get(struct writer *w, const char *agent, const char *province)
{
	if ((w->n + 1) * 2 > w->cap && tab_grow(w) == -1)
		return NULL;
	size_t j = hash_str(agent) & (w->cap - 1);
	while (w->tab[j]) {
		if (strcmp(w->tab[j]->row.agent, agent) == 0)
			return w->tab[j];
		j = (j + 1) & (w->cap - 1);
	}
	struct agent_rt *rt = calloc(1, sizeof *rt);
	if (rt == NULL)
		return NULL;
	snprintf(rt->row.agent, sizeof rt->row.agent, "%s", agent);
	snprintf(rt->row.province, sizeof rt->row.province, "%s", province);
	rt->row.online = -1;
	order_agent_init(&rt->ord);
	w->tab[j] = rt;
	w->n++;
	return rt;
}

static int
load_agent(const struct agent_row *row, void *arg)
{
	struct writer *w = arg;
	struct agent_rt *rt = agent_get(w, row->agent, row->province);

	if (rt == NULL)
		return -1;
	rt->row = *row;
	return 0;
}

static int
load_spool(const char *agent, const char *sid, uint64_t last_seq, double used, void *arg)
{
	struct writer *w = arg;
	struct agent_rt *rt = agent_find(w, agent);

	if (rt != NULL)
		order_add_spool(&rt->ord, sid, last_seq, used);
	return 0;
}

/* An agent last heard by a collector before spools were kept: its
 * last_seq is its spool "". */
static void
load_legacy_spools(struct writer *w)
{
	for (size_t i = 0; i < w->cap; i++) {
		struct agent_rt *rt = w->tab[i];
		if (rt != NULL && rt->ord.nsp == 0 && rt->row.last_seq > 0)
			order_add_spool(&rt->ord, "", rt->row.last_seq, rt->row.last_seen);
	}
}

static void log_refused(const struct sample *s, enum reject_extra why);

/* Remembers what a failed commit must undo. False when the batch cannot
 * take one more agent (only gap passes ask: they wait for the next turn). */
static bool
touch(struct writer *w, struct agent_rt *rt)
{
	if (rt->touched)
		return true;
	if (w->ntouched == BATCH_MAX)
		return false;
	rt->touched = true;
	rt->saved_seq = rt->row.last_seq;
	rt->saved_ts = rt->row.last_ts;
	for (int i = 0; i < rt->ord.nsp; i++)
		rt->ord.sp[i]->saved_seq = rt->ord.sp[i]->last_seq;
	w->touched[w->ntouched++] = rt;
	return true;
}

/* seq is done with: stored, or refused for good. */
static void
advance(struct agent_rt *rt, struct order_spool *sp, const struct item *it)
{
	order_done(&rt->ord, sp, it->s.seq, it->province);
	rt->row.last_seq = it->s.seq;
	rt->dirty = true;
}

static void
consume(struct agent_rt *rt, struct order_spool *sp, const struct item *it,
    enum reject_extra why)
{
	atomic_fetch_add(&counters.rejected_extra[why], 1);
	log_refused(&it->s, why);
	if (why == REJ_CLOCK_SKEW || why == REJ_STALE) {
		/* For the agent_clock_skew alert: these never reach last_ts. */
		rt->skew_s = (double)it->s.ts - it->received;
		rt->skew_at = it->received;
	}
	advance(rt, sp, it);
}

/* The ledger line the delivery tests read (debug level only). After a
 * crash the files may hold a sample the DB did not know: RRD refuses it
 * again, and the line says so, so a ledger can tell the first store from
 * the later ones. */
static void
log_stored(const struct sample *s, unsigned updates, unsigned already, void *arg)
{
	(void)arg;
	log_debug("stored %s seq %llu ts %lld%s%s%s", s->agent, (unsigned long long)s->seq,
	    (long long)s->ts, s->sid[0] ? " sid " : "", s->sid,
	    already == 0 ? "" : updates == 0 ? " (already in the RRD)" :
	    " (partly already in the RRD)");
}

/* The ledger line of a sample refused for good (acked, counted by reason;
 * debug level only). */
static void
log_refused(const struct sample *s, enum reject_extra why)
{
	log_debug("refused %s seq %llu ts %lld sid %s: %s", s->agent, (unsigned long long)s->seq,
	    (long long)s->ts, s->sid[0] ? s->sid : "-", reject_extra_reason(why));
}

/* Seconds between tries of the replay while rrdcached fails: doubled at
 * each failure up to the most. A hung daemon costs a try the PING's
 * deadline (store_ping), not a batch's per sample. */
#define REPLAY_BACKOFF_MIN 0.5
#define REPLAY_BACKOFF_MAX 8.0

/* rrdcached failed: nothing is written before the write-ahead log was
 * written again, which is tried after a pause. */
static void
replay_later(struct writer *w)
{
	if (!w->replay)
		w->replay_backoff = REPLAY_BACKOFF_MIN;
	w->replay = true;
	w->replay_at = clock_mono() + w->replay_backoff;
	w->replay_backoff = fmin(w->replay_backoff * 2, REPLAY_BACKOFF_MAX);
	atomic_store(&counters.rrd_replay_pending, 1);
}

/* Sends the batch of rrdcached updates under way. A failed exchange may
 * have lost any of them: they are in the write-ahead log, which is
 * replayed before anything else is written. */
static void
batch_send(struct writer *w, store_batch_done_fn *done)
{
	char err[512];
	double t0 = clock_mono();

	if (store_batch_end(w->store, done, w, err, sizeof err) == -1) {
		atomic_fetch_add(&counters.rrd_errors, 1);
		log_limited(&w->lim, "rrdcached: %s; the write-ahead log is written again first",
		    err);
		replay_later(w);
	}
	atomic_fetch_add(&counters.rrd_update_usec, (unsigned long)((clock_mono() - t0) * 1e6));
}

/* Samples of a replay sent to rrdcached in one exchange. */
#define REPLAY_BATCH 512

struct replay {
	struct writer *w;
	size_t n, failed, queued;
	bool retry;                  /* stopped on a transient failure */
	char err[512];
};

/* Sends what the replay queued; false on a transient failure. */
static bool
replay_send(struct replay *r)
{
	r->queued = 0;
	if (store_batch_end(r->w->store, NULL, NULL, r->err, sizeof r->err) == -1) {
		r->retry = true;
		return false;
	}
	return true;
}

/* Stops at the first transient failure (rrdcached still down): the rest
 * would fail the same way, and nothing after it may be written yet. */
static int
replay_one(int64_t id, const char *province, const struct sample *s, void *arg)
{
	struct replay *r = arg;

	(void)id;
	r->n++;
	switch (store_write(r->w->store, province, s, r->err, sizeof r->err)) {
	case STORE_OK:
		break;
	case STORE_RETRY:
		r->retry = true;
		return -1;
	default:
		r->failed++;      /* can never be stored: not worth a stop */
		break;
	}
	if (store_batch_open(r->w->store) && ++r->queued == REPLAY_BATCH) {
		if (!replay_send(r))
			return -1;
		store_batch_begin(r->w->store);
	}
	return 0;
}

/* Every sample of the write-ahead log written again (in batches with
 * rrdcached); the result in r. Returns what state_db_wal_each did. */
static int
replay_all(struct writer *w, struct replay *r)
{
	int rc;

	store_batch_begin(w->store);
	rc = state_db_wal_each(w->db, 0, replay_one, r);
	if (!r->retry)
		(void)replay_send(r);
	else
		(void)store_batch_end(w->store, NULL, NULL, NULL, 0);
	return rc;
}

/*
 * rrdcached answers before its journal is on disk: after it failed (killed,
 * restarted) it may have lost updates it confirmed, and the next update of
 * a file would move the file past them for good (RRD refuses older times).
 * So every WAL entry is written again first; RRD refuses what it has.
 * Returns 0, or -1 while rrdcached still fails or its next try is not due
 * (unless now): nothing may be written meanwhile.
 */
static int
wal_replay(struct writer *w, bool now)
{
	struct replay r = { .w = w };
	bool open;

	if (!now && clock_mono() < w->replay_at)
		return -1;
	/* A daemon that does not answer a PING would hold the replay's
	 * batch for its whole deadline. */
	if (store_ping(w->store, r.err, sizeof r.err) == -1) {
		log_limited(&w->lim, "write-ahead log replay: %s; nothing is written until it "
		    "passes (next try in %.1f s)", r.err, w->replay_backoff);
		replay_later(w);
		return -1;
	}
	open = store_batch_open(w->store);

	/* What this batch queued before goes first (the log holds it too). */
	if (open)
		batch_send(w, log_stored);
	int rc = replay_all(w, &r);
	if (open)
		store_batch_begin(w->store);
	if (rc == -1 && !r.retry) {
		log_limited(&w->lim, "state db: reading the write-ahead log: %s",
		    state_db_errmsg(w->db));
		replay_later(w);
		return -1;
	}
	if (r.retry) {
		log_limited(&w->lim, "write-ahead log replay: %s; nothing is written until "
		    "it passes (next try in %.1f s)", r.err, w->replay_backoff);
		replay_later(w);
		return -1;
	}
	w->replay = false;
	atomic_store(&counters.rrd_replay_pending, 0);
	atomic_fetch_add(&counters.rrd_replays, 1);
	log_info("write-ahead log: %zu samples written again to rrdcached (%zu refused)", r.n,
	    r.failed);
	return 0;
}

/* Remembers an agent whose samples wait for its files (once). */
static void
wait_files(struct writer *w, struct agent_rt *rt)
{
	if (rt->waiting)
		return;
	if (w->nwaiting == w->capwaiting) {
		size_t ncap = w->capwaiting ? w->capwaiting * 2 : 256;
		struct agent_rt **n = realloc(w->waiting, ncap * sizeof *n);
		if (n == NULL)
			return;     /* tried again when its next sample comes */
		w->waiting = n;
		w->capwaiting = ncap;
	}
	w->waiting[w->nwaiting++] = rt;
	rt->waiting = true;
	w->waited++;
}

/*
 * The holds of many agents, made and freed in the same turns as the
 * agents themselves, leave the writer's heap in pieces that free() does
 * not give back (it returns only the top): once a rollout is stored,
 * malloc_trim hands back the whole pages among them (10,000 agents
 * joining at once: 14.6 MB of the writer's 40.5 MB arena free, the
 * collector's RSS 89.4 MB; trimmed, 75.4 MB).
 */
/* Gives back the queue's spare blocks and the heap's free
 * pages, and says so after what (a rollout, a burst). */
static void
trim(struct writer *w, const char *after)
{
	double t0 = clock_mono();
	size_t qb = queue_trim(w->q);
	double t1 = clock_mono();
#ifdef __GLIBC__
	malloc_trim(0);
#endif
	log_debug("%s: the queue gave back %zu kB (%.3f s), the heap trimmed (%.3f s)", after,
	    qb / 1024, t1 - t0, clock_mono() - t1);
}

static void
trim_after_rollout(struct writer *w)
{
	if (w->nwaiting > 0 || w->waited < TRIM_AFTER_WAITED)
		return;
	char what[96];
	snprintf(what, sizeof what, "every agent waiting for its files stored (%zu listed "
	    "since the last trim)", w->waited);
	trim(w, what);
	w->waited = 0;
}

/*
 * The same after a burst: at 10,000 agents a peak of 60,000 samples left
 * the collector's RSS ~10 MB higher for good (tests/bench/bench_ingest.sh,
 * 92.6 -> 101.9 MB; the 2026-12-04 build came back down). malloc_trim
 * from gdb 8 s after the peak gave back 10.6 MB; trimmed as soon as the
 * queue emptied, nothing: the burst's memory is freed later. The
 * queue gave back its blocks as it drained, all but a few (queue.c). n: the
 * count of the batch just taken.
 */
static void
trim_after_burst(struct writer *w, size_t n, double now)
{
	if (n == BATCH_MAX) {
		w->burst += n;
		return;
	}
	if (w->burst + n >= TRIM_AFTER_BURST)
		w->trim_at = now + TRIM_BURST_DELAY;
	w->burst = 0;
	if (w->trim_at == 0 || now < w->trim_at)
		return;
	w->trim_at = 0;
	trim(w, "a burst drained");
}

/*
 * store_files_ready, remembered per agent: asked only for a group whose
 * file the agent has not been found to have (under this province) since
 * the store last forgot a file. At 10,000 agents the check, which builds
 * and hashes every group's path to look it up, was 6-7 % of the writer's
 * time (perf, tests/bench/bench_ingest.sh --perf). A file removed by hand
 * while remembered is found by store_write, which forgets it (the mark
 * with it) and makes it again.
 */
static enum store_result
files_ready(struct writer *w, struct agent_rt *rt, const struct item *it, char *err,
    size_t errlen)
{
	unsigned groups = metric_groups_of(it->s.present);
	uint64_t prov = hash_str(it->province);
	enum store_result r;

	if (rt->ready_gen == store_cache_gen(w->store) && rt->ready_prov == prov &&
	    (groups & ~rt->ready_groups) == 0)
		return STORE_OK;
	if ((r = store_files_ready(w->store, it->province, &it->s, err, errlen)) != STORE_OK)
		return r;
	if (rt->ready_gen != store_cache_gen(w->store) || rt->ready_prov != prov)
		rt->ready_groups = 0;
	rt->ready_groups |= groups;
	rt->ready_gen = store_cache_gen(w->store);
	rt->ready_prov = prov;
	return STORE_OK;
}

/*
 * Whether the sample must wait for its files: they are being made, or
 * one is missing and is now asked of the creator thread (or will be,
 * once it has room or after a failure's pause). The writer makes no file
 * of an agent's samples itself.
 */
static bool
files_wait(struct writer *w, struct agent_rt *rt, const struct item *it)
{
	char err[512];

	if (rt->creating)
		return true;
	if (files_ready(w, rt, it, err, sizeof err) != STORE_MISSING)
		return false;     /* there (or wrong: store_write says so) */
	wait_files(w, rt);
	if (clock_mono() < rt->create_after ||
	    creator_submit(w->cr, it->province, &it->s) == -1) {
		rt->unasked = true;
		return true;      /* asked again from the waiting list */
	}
	rt->unasked = false;
	rt->creating = true;
	atomic_fetch_add(&counters.agents_awaiting_files, 1);
	return true;
}

/* What follows a sample stored: counted, its ledger line (direct writes;
 * in a batch, once rrdcached answered), its seq done, the agent's row. */
static void
stored(struct writer *w, struct agent_rt *rt, struct order_spool *sp, const struct item *it,
    bool known, unsigned updates, unsigned already)
{
	const struct sample *s = &it->s;

	atomic_fetch_add(&counters.stored, 1);
	rt->samples++;
	if (!known && evaluator_has_inventory(w->ev))
		atomic_fetch_add(&counters.unknown_agent_samples, 1);
	/* In a batch the line comes once rrdcached answered (batch_send). */
	if (!store_batch_open(w->store))
		log_stored(s, updates, already, w);
	advance(rt, sp, it);
	snprintf(rt->row.province, sizeof rt->row.province, "%s", it->province);
	rt->row.last_ts = s->ts;
	rt->row.interval = s->interval;
	rt->row.present = s->present;
	memcpy(rt->row.m, s->m, sizeof rt->row.m);
	/* Only fresh data speaks for the present: a spool draining after an
	 * outage fills the RRD but does not make the agent look alive. */
	double lag = it->received - (double)s->ts;
	if (lag <= 2.0 * s->interval) {
		rt->row.last_seen = it->received;
		rt->win[rt->wpos].t = (double)s->ts;
		rt->win[rt->wpos].loss = sample_has(s, M_ICMP_LOSS_PCT) ?
		    (float)s->m[M_ICMP_LOSS_PCT] : NAN;
		rt->win[rt->wpos].rtt = sample_has(s, M_ICMP_RTT_AVG_MS) ?
		    (float)s->m[M_ICMP_RTT_AVG_MS] : NAN;
		rt->wpos = (uint8_t)((rt->wpos + 1) % WIN_MAX);
		if (rt->wlen < WIN_MAX)
			rt->wlen++;
		double done = clock_now() - (double)s->ts;
		atomic_fetch_add(&counters.lag_usec_sum, (unsigned long)(fmax(done, 0) * 1e6));
		atomic_fetch_add(&counters.lag_count, 1);
	}
}

enum apply_result {
	APPLY_DONE,          /* stored, or refused for good */
	APPLY_NOT_STORED,    /* a transient error: not acked, the agent resends */
	APPLY_WAIT_FILES,    /* its files are being made: hold it */
};

/* Stores one sample whose predecessor is stored. */
static enum apply_result
apply(struct writer *w, struct agent_rt *rt, struct order_spool *sp, const struct item *it)
{
	const struct sample *s = &it->s;
	struct store_stats before, after;
	char err[512];
	enum store_result r;

	if (it->kind == ITEM_CONSUME) {
		consume(rt, sp, it, (enum reject_extra)it->reject);
		return APPLY_DONE;
	}
	/* The current inventory says where an agent belongs (an agent moved
	 * there is taken under its new province at once); an agent it does
	 * not know keeps the province its first stored sample came under. A
	 * state message never decides it. */
	bool known;
	const char *want = evaluator_agent_province(w->ev, s->agent, &known);
	if (!known)
		want = rt->row.last_ts != 0 ? rt->row.province : it->province;
	if (strcmp(want, it->province) != 0) {
		log_limited(&w->lim, "agent %s: sample under province %s, belongs to %s: refused "
		    "(province_mismatch)", s->agent, it->province, want);
		consume(rt, sp, it, REJ_PROVINCE_MISMATCH);
		return APPLY_DONE;
	}
	if (rt->row.last_ts != 0 && s->ts <= rt->row.last_ts) {
		/* The agent's clock went back: RRD cannot take it. */
		log_limited(&w->lim, "agent %s: seq %llu has ts %lld, not after the last stored %lld: "
		    "refused as stale", s->agent, (unsigned long long)s->seq, (long long)s->ts,
		    (long long)rt->row.last_ts);
		consume(rt, sp, it, REJ_STALE);
		return APPLY_DONE;
	}
	if (files_wait(w, rt, it))
		return APPLY_WAIT_FILES;
	if (w->wal && w->replay && wal_replay(w, false) == -1) {
		atomic_fetch_add(&counters.rrd_errors, 1);
		return APPLY_NOT_STORED;
	}
	if (w->wal) {
		int64_t id = state_db_wal_add(w->db, it->province, s);
		if (id < 0) {
			log_limited(&w->lim, "state db: write-ahead log: %s", state_db_errmsg(w->db));
			return APPLY_NOT_STORED;
		}
		w->wal_last = id;
	}
	double t0 = clock_mono();
	store_get_stats(w->store, &before);
	r = store_write(w->store, it->province, s, err, sizeof err);
	if (r == STORE_BAD_FILE) {
		log_warnx("agent %s: %s; file set aside, creating a new one", s->agent, err);
		r = store_write(w->store, it->province, s, err, sizeof err);
	}
	store_get_stats(w->store, &after);
	atomic_fetch_add(&counters.rrd_updates, 1);
	atomic_fetch_add(&counters.rrd_update_usec, (unsigned long)((clock_mono() - t0) * 1e6));
	switch (r) {
	case STORE_OK:
		break;
	case STORE_REFUSED:
		log_limited(&w->lim, "agent %s: %s", s->agent, err);
		consume(rt, sp, it, REJ_STORE);
		return APPLY_DONE;
	default:
		/* Not stored and not acked: the agent sends it again. */
		atomic_fetch_add(&counters.rrd_errors, 1);
		if (w->wal)
			replay_later(w);
		log_limited(&w->lim, "agent %s seq %llu: not stored: %s", s->agent,
		    (unsigned long long)s->seq, err);
		return APPLY_NOT_STORED;
	}
	stored(w, rt, sp, it, known, (unsigned)(after.updates - before.updates),
	    (unsigned)(after.already - before.already));
	return APPLY_DONE;
}

/* Every sample that comes here ends counted once: held (the gauge, until
 * it leaves the hold to be stored or dropped), a duplicate, or dropped; so
 * that received = stored + duplicates + rejected + queue_full + not_stored
 * + held_dropped + held holds at every rest. */
static void
hold(struct writer *w, struct order_spool *sp, const struct item *it)
{
	switch (order_hold(sp, it, clock_mono())) {
	case ORDER_HELD:
		atomic_fetch_add(&counters.held_back, 1);
		atomic_fetch_add(&counters.held, 1);
		break;
	case ORDER_HELD_DUP:
		atomic_fetch_add(&counters.duplicates, 1);
		break;
	case ORDER_HELD_EVICTED:
		atomic_fetch_add(&counters.held_back, 1);
		atomic_fetch_add(&counters.held_dropped, 1);
		break;
	case ORDER_HELD_FULL:
		atomic_fetch_add(&counters.held_dropped, 1);
		break;
	case ORDER_HELD_NOMEM:
		log_limited(&w->lim, "out of memory holding back agent %s's samples",
		    it->s.agent);
		atomic_fetch_add(&counters.held_dropped, 1);
		break;
	}
}

/* Stores the held samples that can be now, in order. */
static void
drain_held(struct writer *w, struct agent_rt *rt, struct order_spool *sp)
{
	for (;;) {
		unsigned dups;
		const struct item *h = order_ready(sp, &dups);
		atomic_fetch_add(&counters.duplicates, dups);
		atomic_fetch_sub(&counters.held, (long)dups);
		if (h == NULL || apply(w, rt, sp, h) != APPLY_DONE)
			break;     /* not stored: stays held, tried again later */
		order_pop(sp, clock_mono());
		atomic_fetch_sub(&counters.held, 1);
	}
}

static void
let_go(int n)
{
	atomic_fetch_add(&counters.held_dropped, (unsigned long)n);
	atomic_fetch_sub(&counters.held, n);
}

/* The spool of a sample, with what a new one means said once. NULL when
 * out of memory. */
static struct order_spool *
spool_of(struct writer *w, struct agent_rt *rt, const struct item *it)
{
	enum order_spool_kind kind;
	struct order_forgot forgot;
	char was[SID_LEN + 1] = "";
	uint64_t was_seq = 0;

	if (rt->ord.cur >= 0) {
		memcpy(was, rt->ord.sp[rt->ord.cur]->sid, sizeof was);
		was_seq = rt->ord.sp[rt->ord.cur]->last_seq;
	}
	struct order_spool *sp = order_spool_of(&rt->ord, &it->s, it->received, &kind, &forgot);

	if (sp == NULL) {
		log_limited(&w->lim, "out of memory for agent %s's spool %s", rt->row.agent,
		    it->s.sid);
		return NULL;
	}
	switch (kind) {
	case ORDER_KNOWN:
	case ORDER_FIRST:
		break;
	case ORDER_NAMED:
		log_info("agent %s: its spool is now named %s (an upgraded agent); counting on "
		    "from seq %llu", rt->row.agent, sp->sid, (unsigned long long)sp->last_seq);
		break;
	case ORDER_NEW:
		log_warnx("agent %s: a new spool %s (before: %s, last seq %llu): the agent was "
		    "reinstalled or replaced; its seqs count from 1 again", rt->row.agent,
		    sp->sid[0] ? sp->sid : "none", was[0] ? was : "none",
		    (unsigned long long)was_seq);
		atomic_fetch_add(&counters.new_spools, 1);
		break;
	}
	if (kind != ORDER_KNOWN)
		sp->dirty = true;
	if (forgot.any) {
		let_go(forgot.dropped);
		if (state_db_del_spool(w->db, rt->row.agent, forgot.sid) == -1)
			log_limited(&w->lim, "state db: agent %s: %s", rt->row.agent,
			    state_db_errmsg(w->db));
	}
	return sp;
}

/* Refused before it had a place in the table: acked after the commit. */
static void
refuse_unknown(struct writer *w, const struct item *it)
{
	if (it->kind == ITEM_STATE)
		return;
	atomic_fetch_add(&counters.rejected_extra[REJ_UNKNOWN_AGENT_LIMIT], 1);
	log_refused(&it->s, REJ_UNKNOWN_AGENT_LIMIT);
	log_limited(&w->lim, "agent %s (province %s) is not in the inventory, and %d such "
	    "agents are stored already ([collector] max_unknown_agents): refused "
	    "(unknown_agent_limit)", it->s.agent, it->province, w->cc->max_unknown_agents);
	if (w->nrefused == BATCH_MAX)
		return;
	struct refused_ack *r = &w->refused[w->nrefused++];
	memcpy(r->province, it->province, sizeof r->province);
	memcpy(r->agent, it->s.agent, sizeof r->agent);
	memcpy(r->sid, it->s.sid, sizeof r->sid);
	r->seq = it->s.seq;
}

/* Agents in the table that the inventory does not know, counted again
 * at most once a second (a SIGHUP may have added them). */
static size_t
unknown_count(struct writer *w)
{
	double now = clock_mono();

	if (now - w->unknown_at < 1.0)
		return w->nunknown;
	w->nunknown = 0;
	for (size_t i = 0; i < w->cap; i++) {
		bool known;
		if (w->tab[i] == NULL)
			continue;
		(void)evaluator_agent_province(w->ev, w->tab[i]->row.agent, &known);
		if (!known)
			w->nunknown++;
	}
	w->unknown_at = now;
	atomic_store(&counters.unknown_agents, (long)w->nunknown);
	return w->nunknown;
}

/* The item's agent, added when new; NULL when it is not kept (past
 * max_unknown_agents, out of memory). */
static struct agent_rt *
agent_of(struct writer *w, const struct item *it)
{
	struct agent_rt *rt = agent_find(w, it->s.agent);
	bool known;

	if (rt != NULL)
		return rt;
	const char *province = evaluator_agent_province(w->ev, it->s.agent, &known);
	if (!known) {
		province = it->province;
		if (evaluator_has_inventory(w->ev) &&
		    unknown_count(w) >= (size_t)w->cc->max_unknown_agents) {
			refuse_unknown(w, it);
			return NULL;
		}
	}
	if ((rt = agent_get(w, it->s.agent, province)) == NULL) {
		log_limited(&w->lim, "out of memory for agent %s", it->s.agent);
		return NULL;
	}
	if (!known) {
		w->nunknown++;
		atomic_store(&counters.unknown_agents, (long)w->nunknown);
	}
	return rt;
}

static void
process(struct writer *w, const struct item *it)
{
	struct agent_rt *rt = agent_of(w, it);
	int dropped;

	if (rt == NULL)
		return;
	touch(w, rt);
	if (it->kind == ITEM_STATE) {
		rt->row.online = it->st.online ? 1 : 0;
		if (it->st.online && it->received - (double)it->st.ts < 600)
			rt->row.last_seen = fmax(rt->row.last_seen, it->received);
		rt->dirty = true;
		return;
	}
	struct order_spool *sp = spool_of(w, rt, it);
	if (sp == NULL) {
		/* Not acked: the agent sends it again. */
		atomic_fetch_add(&counters.not_stored, 1);
		return;
	}
	if (order_legacy_reset(sp, &it->s, rt->row.last_ts, &dropped)) {
		/* An older agent (no spool id) reinstalled: it counts from 1
		 * again with nothing acked before; else every sample would be
		 * taken for a duplicate and acked unstored. */
		log_warnx("agent %s: seq %llu with nothing acked before and ts %lld after the "
		    "last stored %lld: its spool was reset; counting from here", rt->row.agent,
		    (unsigned long long)it->s.seq, (long long)it->s.ts,
		    (long long)rt->row.last_ts);
		atomic_fetch_add(&counters.seq_resets, 1);
		let_go(dropped);
		rt->dirty = true;
	}
	switch (order_check(sp, &it->s)) {
	case ORDER_DUPLICATE:
		/* Stored already: ack again, the first ack may be lost. Or
		 * one of the seqs of a gap passed, come too late: RRD could
		 * not take it after the later ones anyway. */
		if (order_in_passed_gap(sp, it->s.seq)) {
			atomic_fetch_add(&counters.rejected_extra[REJ_GAP_PASSED], 1);
			log_refused(&it->s, REJ_GAP_PASSED);
		} else
			atomic_fetch_add(&counters.duplicates, 1);
		order_duplicate(sp, it->s.seq, it->province);
		return;
	case ORDER_HOLD:
		hold(w, sp, it);
		return;
	case ORDER_STORE:
		break;
	}
	switch (apply(w, rt, sp, it)) {
	case APPLY_WAIT_FILES:
		/* In order, but its files are being made: held like a sample
		 * past a gap, and stored in order from the hold. */
		hold(w, sp, it);
		return;
	case APPLY_NOT_STORED:
		atomic_fetch_add(&counters.not_stored, 1);
		break;
	case APPLY_DONE:
		break;
	}
	drain_held(w, rt, sp);
}

/* Whether some spool's gap has been open for gap_timeout. */
static bool
gaps_due(struct writer *w, double now)
{
	for (size_t i = 0; i < w->cap; i++) {
		struct agent_rt *rt = w->tab[i];
		for (int k = 0; rt != NULL && k < rt->ord.nsp; k++)
			if (rt->ord.sp[k]->nheld > 0 &&
			    now - rt->ord.sp[k]->held_since >= w->cc->gap_timeout)
				return true;
	}
	return false;
}

/*
 * A gap open for gap_timeout will not fill (a restored or lost state DB,
 * samples the agent's full spool dropped): it is reported and passed, the
 * held samples stored in order, and acks resume. Holding them for ever
 * would silence a working site.
 */
static void
pass_gaps(struct writer *w)
{
	double now = clock_mono();
	uint64_t from, to;

	for (size_t i = 0; i < w->cap; i++) {
		struct agent_rt *rt = w->tab[i];
		for (int k = 0; rt != NULL && k < rt->ord.nsp; k++) {
			struct order_spool *sp = rt->ord.sp[k];
			if (sp->nheld == 0 || now - sp->held_since < w->cc->gap_timeout ||
			    !touch(w, rt))
				continue;
			int held = sp->nheld;
			if (order_pass_gap(&rt->ord, sp, now, clock_now(), w->cc->gap_timeout,
			    &from, &to)) {
				log_warnx("agent %s: seq %llu to %llu (spool %s) never came in "
				    "%.0f s: a restored or lost state DB, or samples the agent "
				    "dropped; gap passed, %d held samples stored in order",
				    rt->row.agent, (unsigned long long)from, (unsigned long long)to,
				    sp->sid[0] ? sp->sid : "none", w->cc->gap_timeout, held);
				atomic_fetch_add(&counters.gaps_skipped, 1);
				rt->dirty = true;
			}
			/* Also when the oldest held was in order but not stored (a
			 * transient store error): it is tried again now, not only
			 * when the agent's next sample comes. */
			drain_held(w, rt, sp);
		}
	}
}

/* Every sample held for an agent whose files are refused, in order:
 * store_error, acked (consume), out of the hold. */
static void
refuse_held(struct agent_rt *rt)
{
	for (int k = 0; k < rt->ord.nsp; k++) {
		struct order_spool *sp = rt->ord.sp[k];
		const struct item *h;
		unsigned dups;

		while ((h = order_ready(sp, &dups)) != NULL) {
			atomic_fetch_add(&counters.duplicates, dups);
			atomic_fetch_sub(&counters.held, (long)dups);
			consume(rt, sp, h, REJ_STORE);
			order_pop(sp, clock_mono());
			atomic_fetch_sub(&counters.held, 1);
		}
	}
}

/* The creator's results: each agent's files made (or why not). */
static void
creations_done(struct writer *w)
{
	struct creator_result res[64];
	size_t n;

	while ((n = creator_results(w->cr, res, 64)) > 0) {
		for (size_t i = 0; i < n; i++) {
			struct agent_rt *rt = agent_find(w, res[i].agent);
			/* Made by the creator: no first touch needed here. */
			store_files_made(w->store, res[i].province, res[i].agent, res[i].made,
			    res[i].interval);
			atomic_fetch_add(&counters.rrd_creates, res[i].created);
			atomic_fetch_add(&counters.create_usec,
			    (unsigned long)(res[i].seconds * 1e6));
			atomic_fetch_add(&counters.create_count, 1);
			if (rt == NULL || !rt->creating)
				continue;
			rt->creating = false;
			atomic_fetch_sub(&counters.agents_awaiting_files, 1);
			if (res[i].r == STORE_REFUSED) {
				/* Never to be made (a symlink where its folder would
				 * be, say): its held samples are refused and acked,
				 * as the writer refuses one it cannot store. */
				log_limited(&w->lim, "agent %s: %s", res[i].agent, res[i].err);
				refuse_held(rt);
				continue;
			}
			if (res[i].r != STORE_OK) {
				/* Disk full, say: asked again after a pause. */
				atomic_fetch_add(&counters.rrd_errors, 1);
				rt->create_after = clock_mono() + 1.0;
				log_limited(&w->lim, "agent %s: creating its files: %s; its samples "
				    "wait (held)", res[i].agent, res[i].err);
			}
		}
	}
}

/*
 * Stores the held samples of the agents whose files are there now, in
 * order (the writer's own turn, inside its batch: acks after the commit).
 * An agent still waiting (being made, a pause after a failure, the
 * creator full, or a file of another group now missing) stays listed.
 * One not asked for yet is tried only while the creator has room: when
 * 10,000 new agents joined, agents were put back on the list 2,388,937
 * times, a lookup of its files and a turn of its hold each time
 * (tests/bench/bench_rollout.sh, rrdcached; 15,898 now).
 */
static void
drain_created(struct writer *w)
{
	size_t n0 = w->nwaiting, k = 0, drained = 0;
	double now = clock_mono();

	creations_done(w);
	size_t room = creator_room(w->cr);
	for (size_t i = 0; i < n0; i++) {
		struct agent_rt *rt = w->waiting[i];
		if (rt->creating || now < rt->create_after || drained == DRAIN_CREATED_MAX ||
		    (rt->unasked && room == 0) || !touch(w, rt)) {
			w->waiting[k++] = rt;
			continue;
		}
		if (rt->unasked)
			room--;
		/* Off the list: a sample that still has to wait puts it back
		 * (appended past n0). */
		rt->waiting = false;
		drained++;
		for (int s = 0; s < rt->ord.nsp; s++)
			if (rt->ord.sp[s]->nheld > 0)
				drain_held(w, rt, rt->ord.sp[s]);
	}
	/* Keep what was appended meanwhile after the kept ones. */
	memmove(w->waiting + k, w->waiting + n0, (w->nwaiting - n0) * sizeof *w->waiting);
	w->nwaiting = k + (w->nwaiting - n0);
	trim_after_rollout(w);
}

static void
wal_flush(struct writer *w)
{
	char err[256];
	int64_t upto = w->wal_last;

	if (upto <= 0)
		return;
	/* A flush that passes after rrdcached came back says nothing of what
	 * it lost: replay first, or the trim would forget it. */
	if (w->replay && wal_replay(w, true) == -1)
		return;
	if (store_flush(w->store, err, sizeof err) == -1) {
		log_limited(&w->lim, "rrdcached flush: %s; the write-ahead log is kept", err);
		replay_later(w);
		return;
	}
	if (state_db_wal_trim(w->db, upto) == -1)
		log_limited(&w->lim, "state db: trimming the write-ahead log: %s",
		    state_db_errmsg(w->db));
}

/*
 * The write-ahead log is trimmed once rrdcached has written every file
 * touched before the pass began. The pass runs on the store's flush
 * thread (on the writer, a whole pass stalled ingest for 13 to 40 s at
 * 10,000 agents, and slices of 256 files still made the p99 lag 2.6 s:
 * tests/bench/bench_ingest.sh); the writer looks in once a turn.
 */
static void
wal_flush_step(struct writer *w, double now)
{
	char err[256];
	bool complete;

	if (!w->flushing) {
		if (now < w->next_flush || w->wal_last <= 0)
			return;
		if (w->replay && wal_replay(w, false) == -1)
			return;
		w->flushing = true;
		w->flush_upto = w->wal_last;
	}
	if (store_flush_poll(w->store, &complete, err, sizeof err) == -1) {
		log_limited(&w->lim, "rrdcached flush: %s; the write-ahead log is kept", err);
		replay_later(w);
		w->flushing = false;
		w->next_flush = now + 1;
		return;
	}
	if (!complete)
		return;
	w->flushing = false;
	w->next_flush = now + w->cc->wal_flush_interval;
	if (w->replay)
		return;         /* rrdcached failed during the pass: keep the log */
	if (state_db_wal_trim(w->db, w->flush_upto) == -1)
		log_limited(&w->lim, "state db: trimming the write-ahead log: %s",
		    state_db_errmsg(w->db));
}

static int
batch_key_cmp(const void *a, const void *b)
{
	const struct batch_key *x = a, *y = b;

	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* The batch by agent, each agent's items in the order they came: an
 * agent's samples side by side can go to its files together (runs). */
static void
order_batch(struct writer *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		w->order[i].h = hash_str(w->batch[i].s.agent);
		w->order[i].i = (uint32_t)i;
	}
	qsort(w->order, n, sizeof w->order[0], batch_key_cmp);
}

static const struct item *
batch_item(const struct writer *w, size_t k)
{
	return &w->batch[w->order[k].i];
}

/* The agent's spool of that id, if it has one already (no side effect). */
static struct order_spool *
spool_known(struct agent_rt *rt, const char *sid)
{
	for (int k = 0; k < rt->ord.nsp; k++)
		if (strcmp(rt->ord.sp[k]->sid, sid) == 0)
			return rt->ord.sp[k];
	return NULL;
}

/*
 * How many items from k on make a run: samples of one agent and spool,
 * each the successor of the one before (prev), times increasing, the
 * first in order now with nothing held. 1 when there is no run: the item
 * goes the ordinary way (process).
 */
static size_t
run_length(struct writer *w, size_t k, size_t n)
{
	const struct item *a = batch_item(w, k);
	struct agent_rt *rt;
	struct order_spool *sp;
	size_t len = 1;

	if (a->kind != ITEM_SAMPLE || k + 1 >= n ||
	    (rt = agent_find(w, a->s.agent)) == NULL || rt->creating ||
	    (sp = spool_known(rt, a->s.sid)) == NULL || sp->nheld > 0 ||
	    order_check(sp, &a->s) != ORDER_STORE ||
	    (rt->row.last_ts != 0 && a->s.ts <= rt->row.last_ts))
		return 1;
	while (k + len < n && len < RUN_MAX) {
		const struct item *p = batch_item(w, k + len - 1), *b = batch_item(w, k + len);
		if (b->kind != ITEM_SAMPLE || strcmp(b->s.agent, a->s.agent) != 0 ||
		    strcmp(b->s.sid, a->s.sid) != 0 || strcmp(b->province, a->province) != 0 ||
		    !b->s.has_prev || b->s.prev != p->s.seq || b->s.ts <= p->s.ts)
			break;
		len++;
	}
	return len;
}

/*
 * Whether a run can be stored as one: the agent's province, no replay
 * pending, every file there. Otherwise its items go one by one, which
 * refuses, holds or retries each as it must.
 */
static bool
run_ok(struct writer *w, struct agent_rt *rt, const struct item *const *its, size_t len,
    bool *known)
{
	char err[512];
	const char *want = evaluator_agent_province(w->ev, its[0]->s.agent, known);

	if (!*known)
		want = rt->row.last_ts != 0 ? rt->row.province : its[0]->province;
	if (strcmp(want, its[0]->province) != 0 || (w->wal && w->replay) || rt->creating)
		return false;
	for (size_t i = 0; i < len; i++)
		if (files_ready(w, rt, its[i], err, sizeof err) != STORE_OK)
			return false;
	return true;
}

/*
 * A run of one agent's samples stored together: each file updated once
 * with all of its values (store_write_run), then each sample counted,
 * logged and its seq done in order, as apply does one by one. A sample
 * the store could not take, and those after it, go the ordinary way.
 */
static void
store_run(struct writer *w, size_t k, size_t len)
{
	const struct item *its[RUN_MAX];
	const struct sample *ss[RUN_MAX];
	struct store_run_result res[RUN_MAX];
	enum store_result r;
	char err[512];
	bool known;
	size_t i, done;

	if (len == 0 || len > RUN_MAX)
		return;
	for (i = 0; i < len; i++) {
		its[i] = batch_item(w, k + i);
		ss[i] = &its[i]->s;
	}
	struct agent_rt *rt = agent_of(w, its[0]);
	struct order_spool *sp = rt != NULL ? spool_known(rt, ss[0]->sid) : NULL;
	if (sp == NULL || !touch(w, rt) || !run_ok(w, rt, its, len, &known)) {
		for (i = 0; i < len; i++)
			process(w, its[i]);
		return;
	}
	for (i = 0; w->wal && i < len; i++) {
		int64_t id = state_db_wal_add(w->db, its[i]->province, ss[i]);
		if (id < 0) {
			log_limited(&w->lim, "state db: write-ahead log: %s", state_db_errmsg(w->db));
			for (size_t j = 0; j < len; j++)
				process(w, its[j]);
			return;
		}
		w->wal_last = id;
	}
	double t0 = clock_mono();
	done = store_write_run(w->store, its[0]->province, ss, len, res, &r, err, sizeof err);
	atomic_fetch_add(&counters.rrd_updates, len);
	atomic_fetch_add(&counters.rrd_update_usec, (unsigned long)((clock_mono() - t0) * 1e6));
	for (i = 0; i < done; i++)
		stored(w, rt, sp, its[i], known, res[i].updates, res[i].already);
	if (done < len && r == STORE_REFUSED) {
		log_limited(&w->lim, "agent %s: %s", ss[done]->agent, err);
		consume(rt, sp, its[done], REJ_STORE);
		done++;
	} else if (done < len && r != STORE_BAD_FILE) {
		/* Not stored and not acked: the agent sends it again; those
		 * after it wait for it, held. */
		atomic_fetch_add(&counters.rrd_errors, 1);
		atomic_fetch_add(&counters.not_stored, 1);
		if (w->wal)
			replay_later(w);
		log_limited(&w->lim, "agent %s seq %llu: not stored: %s", ss[done]->agent,
		    (unsigned long long)ss[done]->seq, err);
		done++;
	}
	for (i = done; i < len; i++)
		process(w, its[i]);
	drain_held(w, rt, sp);
}

/*
 * A spool's ack is sent again only once the broker has taken the last one
 * (or it is ACK_REPEAT_MAX old). While it waits in libmosquitto, every
 * resent window of the agent would queue one more behind it: a collector
 * slowed by load acked each resend of each agent into a queue that grew
 * faster than it drained (test_disk_full under ASan beside four busy
 * loops: 15,066 acks sent, 119 reached fleetsim, the agents resent for
 * ever). The ack that waits covers the repeat: an agent takes any ack of
 * a seq at or past its own.
 */
#define ACK_REPEAT_MAX 30.0

static bool
ack_waits(struct writer *w, const struct order_spool *sp)
{
	if (sp->ack_last.serial == 0 || sp->ack_last.seq < sp->ack_upto ||
	    clock_mono() - sp->ack_last.at >= ACK_REPEAT_MAX ||
	    !ingest_ack_queued(w->in, &sp->ack_last))
		return false;
	atomic_fetch_add(&counters.acks_deferred, 1);
	return true;
}

static void
run_batch(struct writer *w, size_t n, bool gaps)
{
	w->ntouched = 0;
	w->nrefused = 0;
	if (state_db_begin(w->db) == -1) {
		log_limited(&w->lim, "state db: begin: %s", state_db_errmsg(w->db));
		return;
	}
	/* With rrdcached the batch's updates go in one exchange, before the
	 * commit; its samples are in the write-ahead log of this commit. */
	if (w->wal)
		store_batch_begin(w->store);
	order_batch(w, n);
	for (size_t k = 0, len; k < n; k += len) {
		if ((len = run_length(w, k, n)) > 1)
			store_run(w, k, len);
		else
			process(w, batch_item(w, k));
	}
	if (w->nwaiting > 0)
		drain_created(w);
	if (gaps)
		pass_gaps(w);
	if (w->wal)
		batch_send(w, log_stored);
	for (size_t i = 0; i < w->ntouched; i++) {
		struct agent_rt *rt = w->touched[i];
		if (rt->dirty && state_db_put_agent(w->db, &rt->row) == -1)
			log_limited(&w->lim, "state db: agent %s: %s", rt->row.agent,
			    state_db_errmsg(w->db));
		for (int k = 0; k < rt->ord.nsp; k++) {
			struct order_spool *sp = rt->ord.sp[k];
			if (sp->dirty && state_db_put_spool(w->db, rt->row.agent, sp->sid,
			    sp->last_seq, sp->used) == -1)
				log_limited(&w->lim, "state db: agent %s: %s", rt->row.agent,
				    state_db_errmsg(w->db));
		}
	}
	bool ok = state_db_commit(w->db) == 0;
	if (!ok) {
		log_limited(&w->lim, "state db: commit: %s; nothing of this batch is acked",
		    state_db_errmsg(w->db));
		state_db_rollback(w->db);
	}
	/* Each spool's ack goes to the topic its sample came from. */
	for (size_t i = 0; i < w->ntouched; i++) {
		struct agent_rt *rt = w->touched[i];
		if (!ok) {
			rt->row.last_seq = rt->saved_seq;
			rt->row.last_ts = rt->saved_ts;
		}
		for (int k = 0; k < rt->ord.nsp; k++) {
			struct order_spool *sp = rt->ord.sp[k];
			if (!ok)
				sp->last_seq = sp->saved_seq;
			else if (sp->ack_upto > 0 && !ack_waits(w, sp))
				ingest_ack(w->in, sp->ack_province, rt->row.agent, sp->sid,
				    sp->ack_upto, &sp->ack_last);
			sp->ack_upto = 0;
			sp->dirty = false;
		}
		rt->touched = rt->dirty = false;
	}
	for (size_t i = 0; ok && i < w->nrefused; i++)
		ingest_ack(w->in, w->refused[i].province, w->refused[i].agent, w->refused[i].sid,
		    w->refused[i].seq, NULL);
}

/* What the evaluator knows of an agent: the window's means over fresh
 * samples only. */
static const struct agent_view *
agent_view(const char *agent, void *arg)
{
	struct writer *w = arg;
	struct agent_rt *rt = agent_find(w, agent);
	struct agent_view *v = &w->view;
	double since = clock_now() - w->cc->coverage.window;
	double loss = 0, rtt = 0;
	int nl = 0, nr = 0;

	if (rt == NULL)
		return NULL;
	memset(v, 0, sizeof *v);
	v->reported = rt->row.last_seq > 0 || rt->row.online == 1;
	v->online = rt->row.online;
	v->last_seen = rt->row.last_seen;
	v->present = rt->row.present;
	memcpy(v->m, rt->row.m, sizeof v->m);
	v->last_ts = rt->row.last_ts;
	v->refused_skew = rt->skew_s;
	v->refused_at = rt->skew_at;
	if (rt->ord.cur >= 0) {
		memcpy(v->sid, rt->ord.sp[rt->ord.cur]->sid, sizeof v->sid);
		v->last_seq = rt->ord.sp[rt->ord.cur]->last_seq;
	}
	v->new_spools = rt->ord.new_spools;
	v->new_spool_at = rt->ord.new_spool_at;
	v->gaps_passed = rt->ord.gaps_passed;
	v->gap_at = rt->ord.gap_at;
	v->gap_from = rt->ord.gap_from;
	v->gap_to = rt->ord.gap_to;
	for (int i = 0; i < rt->wlen; i++) {
		if (rt->win[i].t < since)
			continue;
		if (!isnan(rt->win[i].loss)) {
			loss += rt->win[i].loss;
			nl++;
		}
		if (!isnan(rt->win[i].rtt)) {
			rtt += rt->win[i].rtt;
			nr++;
		}
	}
	v->loss_pct = nl ? loss / nl : NAN;
	v->rtt_ms = nr ? rtt / nr : NAN;
	return v;
}

static void
each_agent(void *arg, void (*cb)(const char *, const char *, double, uint64_t, void *),
    void *cbarg)
{
	struct writer *w = arg;

	for (size_t i = 0; i < w->cap; i++)
		if (w->tab[i])
			cb(w->tab[i]->row.agent, w->tab[i]->row.province, w->tab[i]->row.last_seen,
			    w->tab[i]->samples, cbarg);
}

static void
evaluate(struct writer *w)
{
	struct eval_source src = { agent_view, w, each_agent };
	/* The collector's own blindness (no broker, or just started) is not
	 * a site outage. */
	double since = ingest_connected(w->in) ? fmax(w->started, ingest_input_since(w->in)) :
	    clock_now();

	evaluator_tick(w->ev, &src, since, w->store, w->db);
}

/* RRD headers the store put back (at open, or after a failed update of a
 * batch, a replay or a rollup), and heartbeats it raised, into the
 * collector's counters. */
static void
count_restored(struct writer *w)
{
	struct store_stats ss;

	store_get_stats(w->store, &ss);
	atomic_fetch_add(&counters.rrd_restored, ss.restored - w->restored);
	w->restored = ss.restored;
	atomic_fetch_add(&counters.rrd_tunes, ss.tunes - w->tunes);
	w->tunes = ss.tunes;
}

static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	/* Often enough to keep a short gap_timeout (tests) near its value. */
	double gap_every = fmin(60, fmax(0.5, w->cc->gap_timeout / 4));
	double next_gap_check = clock_mono() + gap_every;

	pthread_setname_np(pthread_self(), "cm-writer");

	while (!atomic_load(&w->stop)) {
		/* Agents waiting for their files are looked at often. */
		size_t n = queue_pop(w->q, w->batch, BATCH_MAX, w->nwaiting > 0 ? 0.05 : 0.5);
		double now = clock_mono();
		bool gaps = false;
		if (now >= next_gap_check) {
			gaps = gaps_due(w, now);
			next_gap_check = now + gap_every;
		}
		if (n > 0 || gaps || w->nwaiting > 0)
			run_batch(w, n, gaps);
		trim_after_burst(w, n, now);
		/* Acks, silences, deliveries: between two batches, so none of
		 * them waits for more than one. */
		state_reqs_run(w->reqs, w->db);
		if (w->wal)
			wal_flush_step(w, now);
		evaluate(w);
		count_restored(w);
	}
	/* Drain what is queued so nothing acked waits on a restart. */
	size_t n;
	while ((n = queue_pop(w->q, w->batch, BATCH_MAX, 0)) > 0)
		run_batch(w, n, false);
	if (w->wal)
		wal_flush(w);
	state_reqs_run(w->reqs, w->db);
	return NULL;
}

struct writer *
writer_new(const struct collector_conf *cc, struct queue *q, struct ingest *in,
    struct evaluator *ev, char *err, size_t errlen)
{
	struct writer *w = calloc(1, sizeof *w);
	char path[600];

	if (w == NULL || (w->touched = calloc(BATCH_MAX, sizeof *w->touched)) == NULL ||
	    (w->refused = calloc(BATCH_MAX, sizeof *w->refused)) == NULL) {
		snprintf(err, errlen, "out of memory");
		if (w != NULL)
			free(w->touched);
		free(w);
		return NULL;
	}
	w->cc = cc;
	w->q = q;
	w->in = in;
	w->ev = ev;
	w->started = clock_now();
	w->lim = (struct log_limit)LOG_LIMIT_INIT(10, 60);
	w->wal = cc->store.rrdcached[0] != '\0';
	snprintf(path, sizeof path, "%s/state.db", cc->data_dir);
	if (state_db_open(&w->db, path, err, errlen) == -1)
		goto fail;
	if ((w->reqs = state_reqs_new(queue_wake, q)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (store_open(&w->store, &cc->store, err, errlen) == -1)
		goto fail;
	if ((w->cr = creator_new(&cc->store, CREATE_MAX, err, errlen)) == NULL)
		goto fail;
	count_restored(w);
	if (state_db_each_agent(w->db, load_agent, w) == -1) {
		snprintf(err, errlen, "%s: reading agents: %s", path, state_db_errmsg(w->db));
		goto fail;
	}
	if (state_db_each_spool(w->db, load_spool, w) == -1) {
		snprintf(err, errlen, "%s: reading spools: %s", path, state_db_errmsg(w->db));
		goto fail;
	}
	load_legacy_spools(w);
	log_info("state %s: %zu agents known", path, w->n);
	/* Whatever rrdcached confirmed but lost when it or we died. */
	if (state_db_wal_count(w->db) > 0) {
		struct replay r = { .w = w };
		replay_all(w, &r);
		if (r.retry) {
			/* rrdcached (or the disk) not there yet: nothing may be
			 * written before the replay passes. */
			log_warnx("write-ahead log replay: %s; replayed again before the first "
			    "write", r.err);
			if (w->wal)
				replay_later(w);
		} else if (w->wal && store_flush(w->store, err, errlen) == -1) {
			log_warnx("write-ahead log replay: flush: %s; replayed again before the "
			    "first write", err);
			replay_later(w);
		} else {
			state_db_wal_trim(w->db, INT64_MAX);
		}
		log_info("write-ahead log: %zu samples replayed (%zu refused)", r.n, r.failed);
	}
	return w;
fail:
	writer_free(w);
	return NULL;
}

int
writer_start(struct writer *w, char *err, size_t errlen)
{
	w->next_flush = clock_mono() + w->cc->wal_flush_interval;
	if (creator_start(w->cr, err, errlen) == -1)
		return -1;
	if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
		snprintf(err, errlen, "cannot start the writer thread");
		return -1;
	}
	w->running = true;
	return 0;
}

void
writer_stop(struct writer *w)
{
	if (w->running) {
		atomic_store(&w->stop, true);
		pthread_join(w->thread, NULL);
		w->running = false;
	}
	/* Nobody is left to write what other threads ask. */
	state_reqs_close(w->reqs);
}

struct state_reqs *
writer_reqs(struct writer *w)
{
	return w != NULL ? w->reqs : NULL;
}

void
writer_free(struct writer *w)
{
	if (w == NULL)
		return;
	for (size_t i = 0; i < w->cap; i++) {
		if (w->tab[i]) {
			order_agent_free(&w->tab[i]->ord);
			free(w->tab[i]);
		}
	}
	free(w->tab);
	free(w->waiting);
	/* Before the store: its requests are the writer's agents'. */
	creator_free(w->cr);
	free(w->touched);
	free(w->refused);
	if (w->store)
		store_close(w->store);
	if (w->db)
		state_db_close(w->db);
	state_reqs_free(w->reqs);
	free(w);
}
