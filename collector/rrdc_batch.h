/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rrdcached's BATCH command (rrdcached(1), "BATCH"): many UPDATE lines in
 * one exchange, answered by one error count and a line per failed command.
 * librrd 1.7.2's client has no batch call and pays a round trip (and a
 * realpath) per file update, which was the ingest limit with rrdcached
 * (docs/performance.md). Every exchange has a deadline (the timeout
 * given to rrdc_batch_new): the collector never uses librrd's client,
 * whose calls have none.
 */
#ifndef COVMON_RRDC_BATCH_H
#define COVMON_RRDC_BATCH_H

#include <stddef.h>

struct rrdc_batch;

/* addr as [rrd] rrdcached takes it: "unix:/path", "/path", "host",
 * "host:port" or "[v6addr]:port" (port 42217 by default). Connects lazily. */
struct rrdc_batch *rrdc_batch_new(const char *addr, double timeout_s);
void rrdc_batch_free(struct rrdc_batch *b);

/* Queues "UPDATE <file> <vals>". Returns the command's number in the batch
 * (1 for the first), or 0 when out of memory or file holds a newline. */
size_t rrdc_batch_update(struct rrdc_batch *b, const char *file, const char *vals);
/* "UPDATE <file> <vals[0]> ... <vals[n-1]>": one command, n values in
 * order (rrdcached takes them up to the first it refuses). */
size_t rrdc_batch_update_n(struct rrdc_batch *b, const char *file, const char *const *vals,
    size_t n);
size_t rrdc_batch_count(const struct rrdc_batch *b);
/* Forgets what is queued (nothing is sent). */
void rrdc_batch_clear(struct rrdc_batch *b);

/*
 * Sends what is queued as one BATCH and reads the answer: calls failed()
 * for each command rrdcached refused, with its number and message, and
 * returns how many it refused. Returns -2 when rrdcached does not allow
 * BATCH (its -P): nothing of the queue was sent. Returns -1 with err set
 * when the exchange itself failed (no daemon, connection lost, timeout, an answer it cannot
 * read): any of the commands may or may not have been taken. The queue is
 * empty afterwards either way; a lost connection is opened again by the
 * next send.
 */
int rrdc_batch_send(struct rrdc_batch *b, void (*failed)(size_t cmd, const char *msg, void *arg),
    void *arg, char *err, size_t errlen);

/*
 * One command on its own ("FLUSH <file>", "UPDATE <file> <arg>", or cmd
 * alone when file is NULL; arg, when not NULL, is one field without
 * spaces), its answer's text into msg. Returns 0 when rrdcached took it,
 * 1 when it refused it, -1 when the exchange failed (err in msg).
 * rrdc_batch_ping does not connect: -1 when the connection the batches
 * went over broke since the last exchange (the daemon went away); 0 when
 * it still answers, or is closed already (by a failure that was
 * reported) or was never opened.
 */
int rrdc_batch_command(struct rrdc_batch *b, const char *cmd, const char *file, const char *arg,
    char *msg, size_t msglen);
int rrdc_batch_ping(struct rrdc_batch *b, char *msg, size_t msglen);

#endif
