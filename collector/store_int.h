/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inside the RRD store (store_rrd.h): the struct the three files of the
 * store share. store_rrd.c writes the files (directly, or by queueing for
 * rrdcached), store_undo.c keeps the undo record of a direct update,
 * store_cached.c talks to rrdcached. Nothing outside them includes this.
 */
#ifndef COVMON_STORE_INT_H
#define COVMON_STORE_INT_H

#include "store_rrd.h"

#include "rrdc_batch.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define DAY 86400L
/* librrd creates every file 0644 whatever the umask: covmon's data is not
 * for others to read (DESIGN.md section 11). */
#define STORE_FILE_MODE 0640
#define STORE_MAX_RRA 32
#define STORE_ARG_MAX 96            /* one DS or RRA definition */
/* The first-touch cache: 100,000 agents x 6 groups fit; past that it is
 * cleared, which only costs each file one more check. */
#define STORE_CACHE_MIN 4096
#define STORE_CACHE_MAX ((size_t)1 << 21)
/* The undo record of the direct update in flight (store_undo_save). */
#define STORE_UNDO_NAME ".undo"
#define STORE_UNDO_MAGIC 0x31554d43U     /* "CMU1" */
#define STORE_UNDO_MAX_CNT 4096UL        /* DS or RRA: far above any file of ours */
#define STORE_UNDO_PREALLOC (64 * 1024)   /* 10 RRAs x 8 DS take 7.5 kB */
/* Seconds a batch exchange (or a flush) with rrdcached may take before it
 * is given up, and the samples left to the write-ahead log's replay. */
#define STORE_CACHED_TIMEOUT 10.0
/* Seconds for one command of the writer's (FORGET, FLUSH before a tune,
 * an update alone, PING): each is answered at once by a daemon that works. */
#define STORE_CACHED_CMD_TIMEOUT 2.0
/* A DS's heartbeat in steps: a longer gap stays UNKNOWN (DESIGN.md section 5). */
#define STORE_HB_STEPS 3
/* Before a tune through rrdcached: how long a write of its own may still
 * hold the file's lock (ms; its writes take a few). */
#define STORE_LOCK_WAIT_MS 2000

/* RRD refuses a time at or before the file's last update: the file already
 * has that sample (librrd and rrdcached word it the same way). */
#define STORE_ALREADY_MSG "illegal attempt to update using time"

struct store_slot {
	uint64_t key;              /* hash of the file's path; 0: empty */
	uint32_t flush_gen;        /* == store.flush_gen: on the flush list */
	uint32_t heartbeat;        /* the file's shortest DS heartbeat, s */
};

/*
 * rrdcached: flush passes run on a thread of their own with a connection
 * of their own, so that the writer stores on while rrdcached writes the
 * files (a FLUSH is answered once its file is on disk: tens of ms each
 * when the files do not fit in RAM; 256 of them on the writer thread were
 * the p99 of the publish-to-stored lag).
 */
struct store_flusher {
	pthread_t thread;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct rrdc_batch *conn;
	char **files;              /* the pass: the flusher's while busy */
	size_t nfiles, done;       /* done: flushed (or gone), from the front */
	bool busy;
	atomic_bool stop;
	int rc;                    /* of the last pass */
	char err[1024];
};

/* A sample written in a batch, and what became of its file updates. */
struct store_bsample {
	char province[ID_MAX + 1];
	struct sample s;
	unsigned queued, already; /* file updates sent, and already held */
	unsigned refused;         /* bit per group: rrdcached refused the update */
	bool dropped;             /* store_write did not return STORE_OK */
};

struct store_bcmd {
	uint32_t sample;          /* index into store.bs: the first sample */
	uint32_t span;            /* samples from it the command may hold values of
	                             (those that have the group): 1, or a run's */
	uint8_t group;
};

struct store {
	struct store_conf conf;
	char base[PATH_MAX];       /* realpath(data_dir)/rrd */
	int cached;                /* writes go through rrdcached */
	int cached_tcp;            /* rrdcached on TCP: paths relative to base */
	char *rra[STORE_MAX_RRA];  /* [rrd] retention, split; NULL: defaults */
	int nrra;
	unsigned long tmp_seq;     /* names of files being created */

	/* Files checked since open (symlinks, DS layout): a set of path
	 * hashes. A collision only skips one check, never a write. */
	struct store_slot *slots;
	size_t cap, used;
	uint32_t cache_gen;        /* + 1 each time the set forgets a file */

	/* rrdcached: files updated since the last store_flush. */
	char **pending;
	size_t npending, cappending;
	bool in_pass;              /* a pass handed to the flusher, not yet collected */
	uint32_t flush_gen;
	struct store_flusher fl;

	/* rrdcached: store_batch_begin .. store_batch_end queue the updates
	 * of the samples written meanwhile and send them in one BATCH. */
	struct rrdc_batch *rb;
	struct rrdc_batch *cmd;    /* the writer's single commands (not the flusher's) */
	bool batching;
	bool no_batch;             /* rrdcached refused BATCH: updates one by one */
	struct store_bsample *bs;  /* the samples of the batch */
	size_t nbs, capbs;
	struct store_bcmd *bc;     /* per queued command: whose and which file */
	size_t nbc, capbc;
	size_t bcur, bspan;        /* the samples (in bs) being queued now */

	/* The undo record of the direct update in flight (see below). */
	int undo_fd;
	uint64_t undo_gen;
	unsigned char *undo_buf;
	size_t undo_cap;

	struct store_stats stats;
};


/* store_rrd.c */
/* One group file of one sample: checked or created, then updated (or
 * queued in a batch). */
enum store_result store_write_group(struct store *st, const char *province,
    const struct sample *s, int group, char *err, size_t errlen);

/* The groups of the metrics s holds (bit per group). */
unsigned store_sample_groups(const struct sample *s);

/* store_undo.c: the undo record of a direct update (see there). */
/* Opens data_dir/rrd/.undo and puts back an update the last run was
 * killed inside. 0, or -1 with err set. */
int store_undo_open(struct store *st, char *err, size_t errlen);
/* Saves the header of path before an update at ts. 0, or -1 with msg set. */
int store_undo_save(struct store *st, const char *path, int64_t ts, int64_t *last_up, char *msg,
    size_t len);
/* Puts back the header of an update that was cut short. */
void store_undo_recover(struct store *st);

/* store_cached.c: rrdcached. */
int store_cached_flusher_start(struct store *st, char *err, size_t errlen);
void store_cached_flusher_stop(struct store *st);
/* Drops rrdcached's memory of a file that was replaced. 0, or -1 with
 * msg set when the exchange failed. */
int store_cached_forget(struct store *st, const char *path, char *msg, size_t len);
/* Whether rrdcached answers, within the command deadline. */
int store_cached_ping(struct store *st, char *msg, size_t len);
/* Remembers a file for the next flush. */
void store_cached_pending_add(struct store *st, struct store_slot *slot, const char *path);
/* One update outside a batch. 0, or -1 with msg set. */
int store_cached_update(struct store *st, const char *path, const char *vals, char *msg,
    size_t len);
/* Every update rrdcached holds for path written, before the file is
 * changed behind its back. 0, or -1 with msg set. */
int store_cached_settle(struct store *st, const char *path, char *msg, size_t len);
/* In a batch: queues one update of one file with n values, of the samples
 * st->bs[bcur .. bcur + bspan) that have the group. */
enum store_result store_cached_queue(struct store *st, struct store_slot *slot,
    const char *path, int group, const char *const *vals, size_t n, char *err, size_t errlen);
int store_cached_batch_end(struct store *st, store_batch_done_fn *done, void *arg, char *err,
    size_t errlen);
int store_cached_flush(struct store *st, char *err, size_t errlen);
int store_cached_flush_poll(struct store *st, bool *complete, char *err, size_t errlen);

#endif
