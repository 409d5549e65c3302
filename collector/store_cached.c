/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The store's side of rrdcached: its batches of updates (rrdc_batch.c),
 * the files to flush and the flush thread that writes them, and the
 * commands a file needs before it is changed behind the daemon's back.
 */
#include "store_int.h"

#include "errf.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int store_cached_pass_collect(struct store *st, char *err, size_t errlen);
static int store_cached_alive(struct store *st, char *err, size_t errlen);

/* The path rrdcached is given: absolute on a unix socket, relative to its
 * base directory on TCP. */
static const char *
store_cached_path(const struct store *st, const char *path)
{
	size_t n;

	if (path == NULL)
		return NULL;
	n = strlen(st->base);
	if (st->cached_tcp && strncmp(path, st->base, n) == 0 && path[n] == '/')
		return path + n + 1;
	return path;
}

/*
 * One command on the writer's own connection for commands (not the batch
 * one, which may be in the middle of queueing a batch), with its
 * deadline: 0 taken, 1 refused (its text in msg), -1 the exchange failed
 * (no daemon, a hung one; msg says which).
 */
static int
store_cached_command(struct store *st, const char *cmd, const char *path, const char *arg,
    char *msg, size_t len)
{
	return rrdc_batch_command(st->cmd, cmd, store_cached_path(st, path), arg, msg, len);
}

/*
 * Drops rrdcached's memory of a file (its last update time, and updates
 * it still held) after the file was replaced: it would refuse ours as
 * older than the old file's. 0 when rrdcached has forgotten (a FORGET it
 * refused: it did not know the file), -1 with msg set when the exchange
 * failed: a daemon that is down has forgotten, a hung one may not have.
 */
int
store_cached_forget(struct store *st, const char *path, char *msg, size_t len)
{
	if (!st->cached)
		return 0;
	return store_cached_command(st, "FORGET", path, NULL, msg, len) == -1 ? -1 : 0;
}

/* Remembers a file for the next store_flush (rrdcached). */
void
store_cached_pending_add(struct store *st, struct store_slot *slot, const char *path)
{
	char *p, **np, msg[256];
	size_t ncap;

	if (slot != NULL && slot->flush_gen == st->flush_gen)
		return;
	if (st->npending == st->cappending) {
		ncap = st->cappending ? st->cappending * 2 : 256;
		if ((np = realloc(st->pending, ncap * sizeof *np)) == NULL)
			goto oom;
		st->pending = np;
		st->cappending = ncap;
	}
	if ((p = strdup(path)) == NULL)
		goto oom;
	st->pending[st->npending++] = p;
	if (slot != NULL)
		slot->flush_gen = st->flush_gen;
	return;
oom:
	/* Without the entry store_flush would miss this file: flush it now. */
	log_warnx("rrd %s: out of memory for the flush list, flushing now", path);
	if (store_cached_command(st, "FLUSH", path, NULL, msg, sizeof msg) != 0)
		log_warnx("rrd %s: flush: %s", path, msg);
}

/* One update of one file through rrdcached, outside a batch. Returns 0,
 * or -1 with msg set (rrdcached's refusal, or why the exchange failed). */
int
store_cached_update(struct store *st, const char *path, const char *vals, char *msg,
    size_t len)
{
	return store_cached_command(st, "UPDATE", path, vals, msg, len) == 0 ? 0 : -1;
}

/* Whether rrdcached answers now, within the command deadline: a cheap
 * look before a replay, which a hung daemon would hold for the batch
 * deadline. 0, or -1 with msg set. */
int
store_cached_ping(struct store *st, char *msg, size_t len)
{
	return store_cached_command(st, "PING", NULL, NULL, msg, len) == -1 ? -1 : 0;
}

/*
 * A write of rrdcached's that began before our FLUSH is not waited for by
 * it (its values left rrdcached's cache as the write began): wait until no
 * other process holds librrd's lock on the file. 0, or -1 with msg set.
 */
static int
store_cached_wait_unlocked(const char *path, char *msg, size_t len)
{
	struct timespec pause = { 0, 10 * 1000 * 1000 };
	struct flock lk;
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		errf(msg, len, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (int waited = 0;; waited += 10) {
		memset(&lk, 0, sizeof lk);
		lk.l_type = F_WRLCK;
		lk.l_whence = SEEK_SET;
		if (fcntl(fd, F_GETLK, &lk) == -1) {
			errf(msg, len, "%s: %s", path, strerror(errno));
			break;
		}
		if (lk.l_type == F_UNLCK) {
			rc = 0;
			break;
		}
		if (waited >= STORE_LOCK_WAIT_MS) {
			errf(msg, len, "%s: still locked by process %ld after %d ms", path,
			    (long)lk.l_pid, STORE_LOCK_WAIT_MS);
			break;
		}
		(void)nanosleep(&pause, NULL);
	}
	close(fd);
	return rc;
}

/*
 * With rrdcached, before a file is changed behind its back: every update
 * it holds for the file written (FLUSH answers once they are on disk, and
 * says "nothing to flush" for a file it does not hold), and no write of
 * its own still in progress. On the connection for commands. 0, or -1
 * with msg set.
 */
int
store_cached_settle(struct store *st, const char *path, char *msg, size_t len)
{
	if (store_cached_command(st, "FLUSH", path, NULL, msg, len) != 0)
		return -1;
	return store_cached_wait_unlocked(path, msg, len);
}

/* In a batch: queues the update of one file of the last sample of st->bs. */
enum store_result
store_cached_queue(struct store *st, struct store_slot *slot, const char *path, int group,
    const char *const *vals, size_t nvals, char *err, size_t errlen)
{
	if (st->nbc == st->capbc) {
		size_t ncap = st->capbc ? st->capbc * 2 : 1024;
		struct store_bcmd *n = realloc(st->bc, ncap * sizeof *n);
		if (n == NULL) {
			errf(err, errlen, "rrd %s: out of memory for the batch", path);
			return STORE_RETRY;
		}
		st->bc = n;
		st->capbc = ncap;
	}
	if (rrdc_batch_update_n(st->rb, store_cached_path(st, path), vals, nvals) == 0) {
		if (strchr(path, '\n') != NULL) {
			errf(err, errlen, "rrd %s: a newline in the path cannot be sent to "
			    "rrdcached: refused", path);
			return STORE_REFUSED;
		}
		errf(err, errlen, "rrd %s: out of memory for the batch", path);
		return STORE_RETRY;
	}
	st->bc[st->nbc].sample = (uint32_t)st->bcur;
	st->bc[st->nbc].span = (uint32_t)st->bspan;
	st->bc[st->nbc].group = (uint8_t)group;
	st->nbc++;
	for (size_t i = st->bcur; i < st->bcur + st->bspan; i++)
		if (store_sample_groups(&st->bs[i].s) & (1U << group))
			st->bs[i].queued++;
	store_cached_pending_add(st, slot, path);
	return STORE_OK;
}

static void
store_cached_batch_refused(size_t cmd, const char *msg, void *arg)
{
	struct store *st = arg;
	const struct store_bcmd *c = &st->bc[cmd - 1];
	struct store_bsample *b = &st->bs[c->sample];

	if (c->span == 1 && strstr(msg, STORE_ALREADY_MSG) != NULL) {
		b->already++;
		return;
	}
	/* A run's values are taken up to the one refused: each of them is
	 * settled alone (a value taken is then "already there"). */
	for (size_t i = c->sample; i < c->sample + c->span; i++)
		if (store_sample_groups(&st->bs[i].s) & (1U << c->group))
			st->bs[i].refused |= 1U << c->group;
}

/* Sends the batch (store_batch_end, which has cleared err). */
int
store_cached_batch_end(struct store *st, store_batch_done_fn *done, void *arg, char *err,
    size_t errlen)
{
	char gerr[1024];
	int rc = 0, n;

	n = rrdc_batch_send(st->rb, store_cached_batch_refused, st, gerr, sizeof gerr);
	if (n == -2) {
		/* rrdcached -P without BATCH: every update alone, from now on. */
		log_warnx("%s; writing one update at a time (allow BATCH in rrdcached's -P for "
		    "batches)", gerr);
		st->no_batch = true;
		for (size_t i = 0; i < st->nbc; i++)
			st->bs[st->bc[i].sample].refused |= 1U << st->bc[i].group;
		n = (int)st->nbc;
	}
	if (n == -1) {
		/* Any of them may be missing: the caller replays them. */
		st->stats.retries++;
		errf(err, errlen, "%s", gerr);
		rc = -1;
	} else {
		st->stats.updates += st->nbc - (size_t)n;
	}
	for (size_t i = 0; i < st->nbs; i++) {
		struct store_bsample *b = &st->bs[i];
		unsigned updates = b->queued - b->already - (unsigned)__builtin_popcount(b->refused);

		if (b->dropped)
			continue;
		st->stats.already += b->already;
		/* Refused otherwise (the file went away, a bad file, ...): once
		 * more alone, which settles each case as a single write does. */
		for (int g = 0; rc == 0 && b->refused != 0 && g < GROUP_COUNT; g++) {
			if (!(b->refused & (1U << g)))
				continue;
			struct store_stats before = st->stats;
			enum store_result r = store_write_group(st, b->province, &b->s, g, gerr,
			    sizeof gerr);
			if (r == STORE_BAD_FILE)
				r = store_write_group(st, b->province, &b->s, g, gerr, sizeof gerr);
			if (r != STORE_OK) {
				errf(err, errlen, "%s", gerr);
				rc = -1;
			} else if (st->stats.already != before.already) {
				b->already++;
			} else {
				updates++;
			}
		}
		if (done != NULL)
			done(&b->s, updates, b->already, arg);
	}
	st->nbs = st->nbc = 0;
	return rc;
}

/* Waits for the flush thread to finish the pass it has. */
static void
store_cached_pass_wait(struct store *st)
{
	pthread_mutex_lock(&st->fl.mu);
	while (st->fl.busy)
		pthread_cond_wait(&st->fl.cv, &st->fl.mu);
	pthread_mutex_unlock(&st->fl.mu);
}

/*
 * A whole pass, waited for: FLUSH per file (rrdcached answers it once the
 * file is written; FLUSHALL only starts a flush, and librrd 1.7.2 does not
 * export rrdc_flushall anyway), on the flush thread like the passes of
 * store_flush_poll, so there is one flush loop.
 */
int
store_cached_flush(struct store *st, char *err, size_t errlen)
{
	bool complete = false;

	/* A pass under way: what it did not flush goes back on the list,
	 * which the pass below takes whole. */
	if (st->in_pass) {
		store_cached_pass_wait(st);
		(void)store_cached_pass_collect(st, NULL, 0);
	}
	/* The first call hands the list over, the second (the pass done)
	 * collects it and checks the daemon. */
	if (store_cached_flush_poll(st, &complete, err, errlen) == -1)
		return -1;
	store_cached_pass_wait(st);
	return store_cached_flush_poll(st, &complete, err, errlen);
}

/*
 * Has the daemon the batches went to been there all along? A pass can
 * only vouch for files rrdcached still had to write: one that restarted
 * (and lost what it confirmed) answers "nothing to flush". The batch
 * connection breaks when it goes; a send that met the break said so.
 */
static int
store_cached_alive(struct store *st, char *err, size_t errlen)
{
	char msg[512];

	if (rrdc_batch_ping(st->rb, msg, sizeof msg) == -1) {
		errf(err, errlen, "%s: the daemon the updates went to is gone", msg);
		return -1;
	}
	return 0;
}

static void *
store_cached_flusher_main(void *arg)
{
	struct store *st = arg;
	struct store_flusher *f = &st->fl;
	char msg[512], err[sizeof f->err];

	pthread_setname_np(pthread_self(), "cm-flusher");

	pthread_mutex_lock(&f->mu);
	for (;;) {
		while (!f->busy && !atomic_load(&f->stop))
			pthread_cond_wait(&f->cv, &f->mu);
		if (atomic_load(&f->stop))
			break;
		char **files = f->files;
		size_t n = f->nfiles, i;
		int rc = 0;
		pthread_mutex_unlock(&f->mu);

		err[0] = '\0';
		for (i = 0; i < n; i++) {
			struct stat sb;
			if (atomic_load(&f->stop)) {
				snprintf(err, sizeof err, "rrdcached flush: stopped");
				rc = -1;
				break;
			}
			int r = rrdc_batch_command(f->conn, "FLUSH", store_cached_path(st, files[i]),
			    NULL, msg, sizeof msg);
			/* The connection of an earlier pass may be to a daemon
			 * gone since (which the batch connection's PING judges):
			 * a pass starts on a fresh one. */
			if (r == -1 && i == 0)
				r = rrdc_batch_command(f->conn, "FLUSH",
				    store_cached_path(st, files[i]), NULL, msg, sizeof msg);
			/* A file moved aside or removed has nothing to flush. */
			if (r == 1 && lstat(files[i], &sb) == -1 && errno == ENOENT)
				r = 0;
			if (r != 0) {
				snprintf(err, sizeof err, "rrdcached flush %s: %s", files[i], msg);
				rc = -1;
				break;
			}
		}
		pthread_mutex_lock(&f->mu);
		f->done = i;
		f->rc = rc;
		memcpy(f->err, err, sizeof f->err);
		f->busy = false;
		pthread_cond_broadcast(&f->cv);
	}
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

int
store_cached_flusher_start(struct store *st, char *err, size_t errlen)
{
	struct store_flusher *f = &st->fl;
	sigset_t all, old;

	if ((f->conn = rrdc_batch_new(st->conf.rrdcached, STORE_CACHED_TIMEOUT)) == NULL) {
		errf(err, errlen, "store: out of memory");
		return -1;
	}
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	/* Signals are for the main thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&f->thread, NULL, store_cached_flusher_main, st);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		errf(err, errlen, "store: cannot start the flush thread: %s", strerror(rc));
		return -1;
	}
	f->started = true;
	return 0;
}

void
store_cached_flusher_stop(struct store *st)
{
	struct store_flusher *f = &st->fl;

	if (f->started) {
		pthread_mutex_lock(&f->mu);
		atomic_store(&f->stop, true);
		pthread_cond_broadcast(&f->cv);
		pthread_mutex_unlock(&f->mu);
		pthread_join(f->thread, NULL);
		pthread_mutex_destroy(&f->mu);
		pthread_cond_destroy(&f->cv);
		f->started = false;
	}
	if (st->in_pass) {
		for (size_t i = 0; i < f->nfiles; i++)
			free(f->files[i]);
		free(f->files);
		st->in_pass = false;
	}
	rrdc_batch_free(f->conn);
	f->conn = NULL;
}

/* Takes back a pass the flusher finished: what it did not flush goes on
 * the list again. Returns the pass's result. */
static int
store_cached_pass_collect(struct store *st, char *err, size_t errlen)
{
	struct store_flusher *f = &st->fl;
	size_t i;

	for (i = 0; i < f->done; i++)
		free(f->files[i]);
	for (; i < f->nfiles; i++) {
		if (st->npending == st->cappending) {
			size_t ncap = st->cappending ? st->cappending * 2 : 256;
			char **np = realloc(st->pending, ncap * sizeof *np);
			if (np == NULL) {
				/* Lost from the list: the pass failed, so the log
				 * it guards is kept and replayed anyway. */
				free(f->files[i]);
				continue;
			}
			st->pending = np;
			st->cappending = ncap;
		}
		st->pending[st->npending++] = f->files[i];
	}
	free(f->files);
	f->files = NULL;
	f->nfiles = f->done = 0;
	st->in_pass = false;
	if (f->rc != 0)
		errf(err, errlen, "%s", f->err);
	return f->rc;
}

/*
 * A flush pass without waiting: the first call hands the files touched so
 * far to the flush thread (later updates start a new list), later ones
 * see whether it is done. *complete once every file it took is flushed
 * and the daemon is the one the updates went to; a failure puts the rest
 * back for the next pass.
 */
int
store_cached_flush_poll(struct store *st, bool *complete, char *err, size_t errlen)
{
	struct store_flusher *f = &st->fl;
	int rc;

	*complete = false;
	pthread_mutex_lock(&f->mu);
	if (st->in_pass) {
		if (f->busy) {
			pthread_mutex_unlock(&f->mu);
			return 0;
		}
		pthread_mutex_unlock(&f->mu);
		if ((rc = store_cached_pass_collect(st, err, errlen)) == 0 &&
		    (rc = store_cached_alive(st, err, errlen)) == 0)
			*complete = true;
		return rc;
	}
	f->files = st->pending;
	f->nfiles = st->npending;
	f->done = 0;
	st->pending = NULL;
	st->npending = st->cappending = 0;
	st->flush_gen++;
	st->in_pass = true;
	f->busy = true;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	return 0;
}
