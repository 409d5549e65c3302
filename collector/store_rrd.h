/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RRD storage (DESIGN.md section 5): data_dir/rrd/<province>/<agent>/<group>.rrd,
 * one file per probe group, created on the first sample that has a metric
 * of the group, with step = the sample's interval but never below
 * [rrd] min_step, heartbeat 3 x step, all DS GAUGE, the default RRAs (or
 * [rrd] retention), and --start before the sample so a spool draining
 * oldest first is stored whole. A later sample whose interval needs a
 * longer heartbeat raises it (librrd's tune) before it is stored. Writes
 * go to the files with librrd's thread-safe calls, or through rrdcached
 * when configured. One `struct store` per writer thread.
 */
#ifndef COVMON_STORE_RRD_H
#define COVMON_STORE_RRD_H

#include "sample.h"

#include <stdbool.h>
#include <stddef.h>

struct store_conf {
	char data_dir[512];
	char rrdcached[256];     /* "" = direct file writes; else "unix:/path" or "host:port" */
	char retention[1024];    /* "" = default RRAs; else space-separated RRA:... definitions */
	unsigned min_step;       /* seconds: no agent file has a finer step (0: 10) */
};

#define STORE_MIN_STEP_DEFAULT 10

enum store_result {
	STORE_OK = 0,        /* every file holds the sample (now, or already had it: ts <= last update) */
	STORE_RETRY,         /* transient (disk full, I/O error, rrdcached down): not stored, try later */
	STORE_BAD_FILE,      /* a file is corrupt or foreign: it was moved aside (<name>.bad-<time>), counted */
	STORE_REFUSED,       /* the sample can never be stored (bad path id, ...) */
	STORE_MISSING,       /* store_files_ready: a file must be created first */
};

struct store;

int store_open(struct store **st, const struct store_conf *conf, char *err, size_t errlen);
/* A store that only creates files (store_create_files), for a thread of
 * its own: no undo record, no batches, no flush thread; with rrdcached a
 * connection of its own for the FORGET of each new file. */
int store_open_creator(struct store **st, const struct store_conf *conf, char *err,
    size_t errlen);

/*
 * Whether every file s needs is there, without creating any: STORE_OK
 * (each checked at its first touch, as store_write does), STORE_MISSING
 * when one must be created first (store_create_files, on another
 * thread), or what store_write would return for a file that is there
 * but wrong (store_write then says it again, and acts).
 */
enum store_result store_files_ready(struct store *st, const char *province,
    const struct sample *s, char *err, size_t errlen);
/* Changes whenever the store forgets a file it checked (gone, moved
 * aside, refused, or its set of checked files started over): until it
 * changes, files store_files_ready found are still known. */
uint32_t store_cache_gen(const struct store *st);
/* Creates the files of s that are missing (and their directories), with
 * the step and start s gives; writes no update. STORE_OK, or why not;
 * the groups whose files it made in *made (a bit per group). */
enum store_result store_create_files(struct store *st, const char *province,
    const struct sample *s, unsigned *made, char *err, size_t errlen);
/* The files of those groups were just made (store_create_files, another
 * store) for samples of this interval: they are taken as checked, which
 * spares their first touch (two opens and reads of the header each). */
void store_files_made(struct store *st, const char *province, const char *agent,
    unsigned groups, unsigned interval);
void store_close(struct store *st);

/*
 * Stores every present metric of s into its group's file, creating files
 * and directories as needed (mode 0750; symlinks inside data_dir are never
 * followed: a planted one is refused as STORE_REFUSED). province and
 * s->agent must already be valid ids (checked again here). A file whose
 * last update is at or after s->ts counts as already holding it.
 */
enum store_result store_write(struct store *st, const char *province, const struct sample *s,
    char *err, size_t errlen);

/*
 * A run of one agent's samples (ts increasing), each group's file updated
 * once with the values of every sample that has the group (librrd's
 * rrd_updatex_r with several values, or one rrdcached command with several
 * values in the batch) instead of once per sample. res[i]: sample i's
 * file updates written and already held (direct writes; in a batch the
 * done() of store_batch_end says it). Returns how many samples from the
 * first were stored whole; when fewer than n, *result is why the next one
 * was not (as store_write would say), err its message.
 */
struct store_run_result {
	unsigned updates, already;
};
size_t store_write_run(struct store *st, const char *province, const struct sample *const *ss,
    size_t n, struct store_run_result *res, enum store_result *result, char *err,
    size_t errlen);

/*
 * With rrdcached, between store_batch_begin and store_batch_end store_write
 * checks (or creates) the files and queues their updates, which
 * store_batch_end sends in one exchange (rrdcached's BATCH); a STORE_OK of
 * store_write then means "queued". done() is called for every sample
 * written meanwhile with STORE_OK: how many of its file updates were
 * written, and how many the files already held. An update rrdcached
 * refuses (other than "already held") is tried once more alone. Returns 0,
 * or -1 with err set when the exchange failed or such a retry did: some
 * of the samples may then be missing from rrdcached. Direct writes: no
 * batch, store_write writes at once.
 */
typedef void store_batch_done_fn(const struct sample *s, unsigned updates, unsigned already,
    void *arg);
void store_batch_begin(struct store *st);
bool store_batch_open(const struct store *st);
int store_batch_end(struct store *st, store_batch_done_fn *done, void *arg, char *err,
    size_t errlen);

/* With rrdcached: whether it answers a PING within a short deadline (a
 * hung daemon would hold a replay for the batch deadline). Direct writes:
 * 0. Returns 0, or -1 with err set. */
int store_ping(struct store *st, char *err, size_t errlen);

/* With rrdcached: asks it to write every pending update of the files this
 * store touched to disk (FLUSH per file, or FLUSHALL), and waits. Direct
 * writes: no-op. Returns 0 or -1. */
int store_flush(struct store *st, char *err, size_t errlen);

/* What one store did since it was opened (the caller adds them to its
 * counters; the store does not touch the collector's globals). */
struct store_stats {
	unsigned long updates;     /* file updates written (or queued in rrdcached) */
	unsigned long already;     /* updates the file already held (ts <= last update) */
	unsigned long creates;     /* files created */
	unsigned long checks;      /* first touches: path and DS layout checked */
	unsigned long bad_files;   /* files moved aside */
	unsigned long retries;     /* transient failures (STORE_RETRY) */
	unsigned long restored;    /* headers put back after an update cut short */
	unsigned long tunes;       /* files whose heartbeat was raised for a longer interval */
};
void store_get_stats(const struct store *st, struct store_stats *out);

/*
 * Rollup of a commune (or, with commune NULL, the province) at evaluation
 * time ts: data_dir/rrd/<province>/_commune_<commune>.rrd or _province.rrd,
 * DS covered, degraded, down, unreachable, unmonitored, total, covered_pct
 * (a NAN value is stored as unknown).
 */
#define STORE_ROLLUP_DS 7
enum store_result store_rollup(struct store *st, const char *province, const char *commune,
    unsigned step, int64_t ts, const double vals[STORE_ROLLUP_DS], char *err, size_t errlen);

/* store_flush without waiting, on a thread of the store's (see
 * store_rrd.c): call again until *complete. Direct writes: complete at once. */
int store_flush_poll(struct store *st, bool *complete, char *err, size_t errlen);

/* Path of an agent's group file into buf; -1 on a bad id or overflow. */
int store_path(const struct store_conf *conf, const char *province, const char *agent,
    int group, char *buf, size_t len);

#endif
