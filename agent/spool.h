/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The agent's spool: an append-only file of samples on disk, each record
 * with its seq and a CRC, fsynced per sample. A sample leaves the spool
 * only when the collector's ack covers its seq. The spool also keeps the
 * next seq to use and the last acked seq across restarts, so a seq is never
 * reused. Bounded by max_bytes: past it the oldest samples are dropped and
 * counted. A spool has an id, random, made with it and kept in its file:
 * seqs count within that id, and a wiped spool is a new one.
 */
#ifndef COVMON_SPOOL_H
#define COVMON_SPOOL_H

#include <stddef.h>
#include <stdint.h>

struct spool;

/* The data file inside the spool directory, and the largest sample payload
 * it takes (the wire format caps a sample at 8 KiB). */
#define SPOOL_DATA_FILE		"spool.dat"
#define SPOOL_PAYLOAD_MAX	65536
/* A spool id: 16 lowercase hex digits (SID_LEN of the wire format). */
#define SPOOL_SID_LEN		16

struct spool_stats {
	uint64_t depth;          /* samples waiting for an ack */
	uint64_t bytes;          /* bytes of the records waiting */
	uint64_t dropped;        /* dropped because the spool was full, since creation */
	uint64_t torn;           /* torn tail records discarded at open, since this open */
	uint64_t bad;            /* records with a bad CRC skipped at open, since this open */
	uint64_t last_acked;     /* highest seq acked by the collector */
	uint64_t next_seq;       /* the seq the next append gets */
};

/* Opens or creates the spool in dir (created if missing, mode 0700). Reads
 * every record, keeps the good ones, discards a torn tail (truncating the
 * file there) and skips records with a bad CRC. A spool without a readable
 * id (new, written by an older agent, or its id damaged) gets a new one.
 * Returns 0, or -1 with err. */
int spool_open(struct spool **sp, const char *dir, uint64_t max_bytes, char *err, size_t errlen);
void spool_close(struct spool *sp);

/* Appends a sample with seq = next_seq (then next_seq++), fsynced before
 * it returns. Drops the oldest records when over max_bytes. Returns the
 * seq given, or 0 with err set on an I/O error. */
uint64_t spool_append(struct spool *sp, const void *data, size_t len, char *err, size_t errlen);

/* Forgets every record with seq <= acked (the collector stored them).
 * Acks that do not move last_acked forward are ignored. Returns 0 or -1. */
int spool_ack(struct spool *sp, uint64_t acked);

/* The oldest record with seq > after: returns 1 and fills seq, prev (the
 * seq of the record before it in the spool, or last_acked when it is the
 * oldest), data and len (valid until the next call on the spool); 0 when
 * there is none. */
int spool_next(struct spool *sp, uint64_t after, uint64_t *seq, uint64_t *prev,
    const void **data, size_t *len);

void spool_stats(const struct spool *sp, struct spool_stats *st);

/* The spool id, SPOOL_SID_LEN lowercase hex digits, valid while the spool
 * is open. */
/* Gives the spool a new id (recorded, fsynced), its samples and seqs
 * kept: for a spool that turned out to be a copy of another (a restored
 * backup, a cloned SD card), whose id the collector knows further on.
 * Returns 0, or -1 with err (the old id then stays). */
int spool_renew_sid(struct spool *sp, char *err, size_t errlen);
const char *spool_sid(const struct spool *sp);

/* Rewrites the file with only the records still waiting, now rather than
 * when enough dead bytes have piled up (the spool also does it by itself).
 * Returns 0, or -1 with err; on failure the old file is still whole. */
int spool_compact(struct spool *sp, char *err, size_t errlen);

/* Tests only: sync = 0 skips the fsyncs, which makes a crash lose samples.
 * The default is 1. */
void spool_set_sync(struct spool *sp, int sync);

#endif
