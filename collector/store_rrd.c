/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RRD storage: one file per (province, agent, probe group) under
 * data_dir/rrd, written with librrd's thread-safe calls or through
 * rrdcached. Decides for every failure whether retrying can help.
 */
#include "store_rrd.h"

#include "crc32.h"
#include "errf.h"
#include "log.h"
#include "rrdc_batch.h"

/* The on-disk header structs of rrd_format.h, for the undo record. */
#define RRD_EXPORT_DEPRECATED
#include <rrd.h>
#include <rrd_client.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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
/* Seconds a batch exchange with rrdcached may take before it is given up
 * (and the samples left to the write-ahead log's replay). */
#define STORE_CACHED_TIMEOUT 30.0
/* A DS's heartbeat in steps: a longer gap stays UNKNOWN (DESIGN.md section 5). */
#define STORE_HB_STEPS 3
/* Before a tune through rrdcached: how long a write of its own may still
 * hold the file's lock (ms; its writes take a few). */
#define STORE_LOCK_WAIT_MS 2000

/*
 * Default RRAs (DESIGN.md section 5): rows follow from the step so that each
 * archive spans the same time whatever the agent's interval.
 */
static const struct {
	const char *cf;
	unsigned steps;
	long span;
} store_rra_default[] = {
	{ "AVERAGE", 1, DAY },
	{ "AVERAGE", 5, 7 * DAY },
	{ "AVERAGE", 60, 90 * DAY },
	{ "AVERAGE", 1440, 730 * DAY },
	{ "MIN", 5, 7 * DAY },
	{ "MIN", 60, 90 * DAY },
	{ "MIN", 1440, 730 * DAY },
	{ "MAX", 5, 7 * DAY },
	{ "MAX", 60, 90 * DAY },
	{ "MAX", 1440, 730 * DAY },
};

/*
 * librrd error texts that mean the file itself is wrong: retrying the same
 * update on it can never succeed. Anything else (ENOSPC, EIO, EMFILE, a
 * lock held by another writer, rrdcached down) may pass later.
 */
static const char *const store_bad_file_msgs[] = {
	"is not an RRD file",
	"created on another architecture",
	"can't handle RRD file version",
	"reached EOF while loading header",
	"is too small (should be",
	"attempting to write beyond end of file",
	"unknown DS name",
	"data source readings (got",
	"rrd contains unknown DS type",
	NULL
};

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
	uint32_t sample;          /* index into store.bs */
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

	/* rrdcached: files updated since the last store_flush. */
	char **pending;
	size_t npending, cappending;
	bool in_pass;              /* a pass handed to the flusher, not yet collected */
	uint32_t flush_gen;
	struct store_flusher fl;

	/* rrdcached: store_batch_begin .. store_batch_end queue the updates
	 * of the samples written meanwhile and send them in one BATCH. */
	struct rrdc_batch *rb;
	bool batching;
	bool no_batch;             /* rrdcached refused BATCH: updates one by one */
	struct store_bsample *bs;  /* the samples of the batch */
	size_t nbs, capbs;
	struct store_bcmd *bc;     /* per queued command: whose and which file */
	size_t nbc, capbc;

	/* The undo record of the direct update in flight (see below). */
	int undo_fd;
	uint64_t undo_gen;
	unsigned char *undo_buf;
	size_t undo_cap;

	struct store_stats stats;
};

static void store_undo_recover(struct store *st);
static int store_flusher_start(struct store *st, char *err, size_t errlen);
static void store_flusher_stop(struct store *st);
static int store_pass_collect(struct store *st, char *err, size_t errlen);
static int store_cached_alive(struct store *st, char *err, size_t errlen);

static uint64_t
store_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h == 0 ? 1 : h;
}

static struct store_slot *
store_cache_find(struct store *st, uint64_t key)
{
	if (st->slots == NULL)
		return NULL;
	for (size_t i = key & (st->cap - 1);; i = (i + 1) & (st->cap - 1)) {
		if (st->slots[i].key == key)
			return &st->slots[i];
		if (st->slots[i].key == 0)
			return NULL;
	}
}

static struct store_slot *
store_cache_insert(struct store_slot *slots, size_t cap, uint64_t key)
{
	size_t i;

	for (i = key & (cap - 1); slots[i].key != 0 && slots[i].key != key;
	    i = (i + 1) & (cap - 1))
		;
	slots[i].key = key;
	return &slots[i];
}

/* Returns the slot, or NULL without memory (the file is then simply
 * checked again next time). */
static struct store_slot *
store_cache_add(struct store *st, uint64_t key)
{
	struct store_slot *s, *nslots;
	size_t ncap;

	if ((s = store_cache_find(st, key)) != NULL)
		return s;
	if (st->slots == NULL || (st->used + 1) * 2 > st->cap) {
		ncap = st->slots == NULL ? STORE_CACHE_MIN : st->cap * 2;
		if (ncap > STORE_CACHE_MAX) {
			/* Bounded: start over rather than grow. */
			memset(st->slots, 0, st->cap * sizeof *st->slots);
			st->used = 0;
		} else {
			if ((nslots = calloc(ncap, sizeof *nslots)) == NULL)
				return NULL;
			for (size_t i = 0; i < st->cap; i++)
				if (st->slots[i].key != 0)
					*store_cache_insert(nslots, ncap, st->slots[i].key) =
					    st->slots[i];
			free(st->slots);
			st->slots = nslots;
			st->cap = ncap;
		}
	}
	s = store_cache_insert(st->slots, st->cap, key);
	s->flush_gen = st->flush_gen - 1;
	st->used++;
	return s;
}

/* Open addressing without tombstones: deleting means rehashing the run
 * after the slot. Rare (a file moved aside or gone). */
static void
store_cache_del(struct store *st, uint64_t key)
{
	struct store_slot *s, moved;
	size_t i;

	if ((s = store_cache_find(st, key)) == NULL)
		return;
	i = (size_t)(s - st->slots);
	s->key = 0;
	st->used--;
	for (i = (i + 1) & (st->cap - 1); st->slots[i].key != 0; i = (i + 1) & (st->cap - 1)) {
		moved = st->slots[i];
		st->slots[i].key = 0;
		*store_cache_insert(st->slots, st->cap, moved.key) = moved;
	}
}

int
store_path(const struct store_conf *conf, const char *province, const char *agent,
    int group, char *buf, size_t len)
{
	int n;

	if (!id_valid(province) || !id_valid(agent) || group < 0 || group >= GROUP_COUNT)
		return -1;
	n = snprintf(buf, len, "%s/rrd/%s/%s/%s.rrd", conf->data_dir, province, agent,
	    metric_group_name[group]);
	if (n < 0 || (size_t)n >= len)
		return -1;
	return 0;
}

/* Splits [rrd] retention into RRA definitions. */
static int
store_parse_retention(struct store *st, char *err, size_t errlen)
{
	const char *p = st->conf.retention;
	size_t n;

	while (*p != '\0') {
		p += strspn(p, " \t");
		if (*p == '\0')
			break;
		n = strcspn(p, " \t");
		if (n < 5 || strncmp(p, "RRA:", 4) != 0 || n >= STORE_ARG_MAX) {
			errf(err, errlen, "[rrd] retention: '%.*s' is not an RRA "
			    "definition (RRA:CF:xff:steps:rows)", (int)n, p);
			return -1;
		}
		if (st->nrra == STORE_MAX_RRA) {
			errf(err, errlen, "[rrd] retention: more than %d RRAs",
			    STORE_MAX_RRA);
			return -1;
		}
		if ((st->rra[st->nrra] = strndup(p, n)) == NULL) {
			errf(err, errlen, "[rrd] retention: %s", strerror(errno));
			return -1;
		}
		st->nrra++;
		p += n;
	}
	return 0;
}

int
store_open(struct store **stp, const struct store_conf *conf, char *err, size_t errlen)
{
	struct store *st;
	struct stat sb;
	char real[PATH_MAX], undo[PATH_MAX + 8];
	int n;

	*stp = NULL;
	if ((st = calloc(1, sizeof *st)) == NULL) {
		errf(err, errlen, "store: %s", strerror(errno));
		return -1;
	}
	st->conf = *conf;
	st->conf.data_dir[sizeof st->conf.data_dir - 1] = '\0';
	st->conf.rrdcached[sizeof st->conf.rrdcached - 1] = '\0';
	st->conf.retention[sizeof st->conf.retention - 1] = '\0';
	if (st->conf.min_step == 0)
		st->conf.min_step = STORE_MIN_STEP_DEFAULT;
	st->flush_gen = 1;
	st->undo_fd = -1;
	{
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		st->undo_gen = (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
	}

	if (st->conf.data_dir[0] == '\0') {
		errf(err, errlen, "data_dir is empty");
		goto fail;
	}
	/* rrdcached needs absolute paths (relative ones would be resolved
	 * against its working directory, not ours). */
	if (realpath(st->conf.data_dir, real) == NULL) {
		errf(err, errlen, "data_dir %s: %s", st->conf.data_dir, strerror(errno));
		goto fail;
	}
	n = snprintf(st->base, sizeof st->base, "%s/rrd", real);
	if (n < 0 || (size_t)n >= sizeof st->base) {
		errf(err, errlen, "data_dir %s: path too long", real);
		goto fail;
	}
	if (mkdir(st->base, 0750) == -1 && errno != EEXIST) {
		errf(err, errlen, "mkdir %s: %s", st->base, strerror(errno));
		goto fail;
	}
	if (lstat(st->base, &sb) == -1) {
		errf(err, errlen, "%s: %s", st->base, strerror(errno));
		goto fail;
	}
	if (!S_ISDIR(sb.st_mode)) {
		errf(err, errlen, "%s: not a directory (or a symlink)", st->base);
		goto fail;
	}
	if (st->conf.min_step > SAMPLE_MAX_INTERVAL) {
		errf(err, errlen, "[rrd] min_step %u: at most %d s", st->conf.min_step,
		    SAMPLE_MAX_INTERVAL);
		goto fail;
	}
	if (store_parse_retention(st, err, errlen) == -1)
		goto fail;
	n = snprintf(undo, sizeof undo, "%s/%s", st->base, STORE_UNDO_NAME);
	if (n < 0 || (size_t)n >= sizeof undo) {
		errf(err, errlen, "data_dir %s: path too long", real);
		goto fail;
	}
	if ((st->undo_fd = open(undo, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640)) == -1) {
		errf(err, errlen, "%s: %s", undo, strerror(errno));
		goto fail;
	}
	/* Before any write: an update the last run was killed inside. */
	store_undo_recover(st);
	/* Blocks held in advance, so that a full disk fails the updates that
	 * need new space (creates), not every update for want of a record. */
	if ((n = posix_fallocate(st->undo_fd, 0, STORE_UNDO_PREALLOC)) != 0)
		log_warnx("%s: reserving %d bytes: %s", undo, STORE_UNDO_PREALLOC, strerror(n));

	if (st->conf.rrdcached[0] != '\0') {
		st->cached = 1;
		if (strncmp(st->conf.rrdcached, "unix:", 5) == 0) {
			if (st->conf.rrdcached[5] != '/') {
				errf(err, errlen, "[rrd] rrdcached %s: the socket path "
				    "must be absolute", st->conf.rrdcached);
				goto fail;
			}
		} else if (st->conf.rrdcached[0] != '/') {
			/* librrd refuses absolute paths on a TCP connection: they
			 * go relative to rrdcached's -b, which must be data_dir/rrd. */
			st->cached_tcp = 1;
		}
		if ((st->rb = rrdc_batch_new(st->conf.rrdcached, STORE_CACHED_TIMEOUT)) == NULL) {
			errf(err, errlen, "store: out of memory");
			goto fail;
		}
		if (store_flusher_start(st, err, errlen) == -1)
			goto fail;
	}
	*stp = st;
	return 0;
fail:
	store_close(st);
	return -1;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	for (int i = 0; i < st->nrra; i++)
		free(st->rra[i]);
	for (size_t i = 0; i < st->npending; i++)
		free(st->pending[i]);
	free(st->pending);
	store_flusher_stop(st);
	free(st->slots);
	rrdc_batch_free(st->rb);
	free(st->bs);
	free(st->bc);
	if (st->undo_fd != -1)
		close(st->undo_fd);
	free(st->undo_buf);
	free(st);
}

void
store_get_stats(const struct store *st, struct store_stats *out)
{
	*out = st->stats;
}

/* Copies librrd's thread-local error before the next call overwrites it. */
static void
store_rrd_error(char *buf, size_t len)
{
	const char *e = rrd_get_error();

	snprintf(buf, len, "%s", e != NULL && *e != '\0' ? e : "unknown librrd error");
	rrd_clear_error();
}

/*
 * The undo record of a direct update. librrd 1.7 updates a file in place
 * through a shared mmap: it writes the new rows and advances rra_ptr
 * first, and sets live_head.last_up last. A SIGKILL between the two
 * leaves rows that moved on under a last_up that did not; the resent
 * sample is then taken a second time and every older row of the file
 * shifts one step back in time. So before each direct update the part of
 * the header that an update changes (live_head up to the end of rra_ptr)
 * is copied to data_dir/rrd/.undo; at open, a record whose file still has
 * last_up before the record's time was cut short, and its header is
 * written back, so that the resent sample lands where it belongs. Only
 * one update is ever in flight (one store per writer thread, one writer),
 * so one record is enough. Not fsynced: it guards against a killed
 * process, as librrd (which never fsyncs) does against nothing more.
 */

/*
 * The record: this header, the file's path, the saved bytes, and the
 * header's gen again. The CRC covers the header and the path; the saved
 * bytes need none: a write cut short is a prefix, so a record whose
 * trailing gen matches its header's was written whole (gens only grow).
 */
struct store_undo_hdr {
	uint32_t magic;
	uint32_t crc;                    /* of the header and path, this field 0 */
	uint32_t path_len;               /* with its NUL */
	uint32_t tail_len;
	uint64_t gen;                    /* of this record; repeated after the bytes */
	uint64_t dev, ino;
	uint64_t tail_off;
	int64_t ts;                      /* the update's time */
};

/* Where the mutable part of an RRD header lies (rrd_format.h, version 3
 * and later: live_head, pdp_prep[ds], cdp_prep[rra * ds], rra_ptr[rra]).
 * -1: not an RRD file this code knows; librrd will say what is wrong. */
static int
store_rrd_tail(int fd, off_t size, uint64_t *off, uint32_t *len)
{
	stat_head_t sh;
	char version[sizeof sh.version + 1];
	uint64_t o, l;

	if (pread(fd, &sh, sizeof sh, 0) != (ssize_t)sizeof sh)
		return -1;
	memcpy(version, sh.version, sizeof sh.version);
	version[sizeof sh.version] = '\0';
	if (memcmp(sh.cookie, RRD_COOKIE, sizeof RRD_COOKIE) != 0 ||
	    sh.float_cookie != FLOAT_COOKIE || atoi(version) < 3 ||
	    sh.ds_cnt == 0 || sh.ds_cnt > STORE_UNDO_MAX_CNT ||
	    sh.rra_cnt == 0 || sh.rra_cnt > STORE_UNDO_MAX_CNT)
		return -1;
	o = sizeof(stat_head_t) + sh.ds_cnt * sizeof(ds_def_t) +
	    sh.rra_cnt * sizeof(rra_def_t);
	l = sizeof(live_head_t) + sh.ds_cnt * sizeof(pdp_prep_t) +
	    sh.rra_cnt * sh.ds_cnt * sizeof(cdp_prep_t) + sh.rra_cnt * sizeof(rra_ptr_t);
	if (size < 0 || o + l > (uint64_t)size)
		return -1;
	*off = o;
	*len = (uint32_t)l;
	return 0;
}

static int
store_undo_reserve(struct store *st, size_t need)
{
	unsigned char *nb;

	if (need <= st->undo_cap)
		return 0;
	if ((nb = realloc(st->undo_buf, need)) == NULL)
		return -1;
	st->undo_buf = nb;
	st->undo_cap = need;
	return 0;
}

/* Saves the header of path before an update at ts. 0, or -1 with msg set
 * (the update must not go ahead unguarded). A file that is missing or not
 * an RRD needs no record: librrd fails on it without writing. */
static int
store_undo_save(struct store *st, const char *path, int64_t ts, char *msg, size_t len)
{
	struct store_undo_hdr h;
	struct stat sb;
	size_t plen = strlen(path) + 1, total;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT || errno == ELOOP)
			return 0;
		errf(msg, len, "%s: %s", path, strerror(errno));
		return -1;
	}
	memset(&h, 0, sizeof h);
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    store_rrd_tail(fd, sb.st_size, &h.tail_off, &h.tail_len) == -1) {
		close(fd);
		return 0;
	}
	h.magic = STORE_UNDO_MAGIC;
	h.path_len = (uint32_t)plen;
	h.dev = (uint64_t)sb.st_dev;
	h.ino = (uint64_t)sb.st_ino;
	h.ts = ts;
	h.gen = ++st->undo_gen;
	total = sizeof h + plen + h.tail_len + sizeof h.gen;
	if (store_undo_reserve(st, total) == -1) {
		close(fd);
		errf(msg, len, "undo record: out of memory");
		return -1;
	}
	memcpy(st->undo_buf + sizeof h, path, plen);
	errno = 0;
	if (pread(fd, st->undo_buf + sizeof h + plen, h.tail_len, (off_t)h.tail_off) !=
	    (ssize_t)h.tail_len) {
		errf(msg, len, "%s: reading its header: %s", path,
		    errno ? strerror(errno) : "short read");
		close(fd);
		return -1;
	}
	close(fd);
	memcpy(st->undo_buf + sizeof h + plen + h.tail_len, &h.gen, sizeof h.gen);
	memcpy(st->undo_buf, &h, sizeof h);
	h.crc = crc32_ieee(st->undo_buf, sizeof h + plen);
	memcpy(st->undo_buf, &h, sizeof h);
	errno = 0;
	if (pwrite(st->undo_fd, st->undo_buf, total, 0) != (ssize_t)total) {
		errf(msg, len, "%s/%s: %s", st->base, STORE_UNDO_NAME,
		    errno ? strerror(errno) : "short write");
		return -1;
	}
	return 0;
}

/*
 * Puts back the header of an update that was cut short: called at open
 * and after a direct update failed. A record that is torn, stale (its
 * file already has the update) or of another file is left alone.
 */
static void
store_undo_recover(struct store *st)
{
	struct store_undo_hdr h;
	struct stat sb;
	struct flock lk;
	live_head_t lh;
	uint64_t off;
	uint64_t gen;
	uint32_t tlen, crc;
	unsigned char *cur = NULL;
	size_t total, blen = strlen(st->base);
	const char *path;
	int fd;

	if (pread(st->undo_fd, &h, sizeof h, 0) != (ssize_t)sizeof h ||
	    h.magic != STORE_UNDO_MAGIC || h.path_len < 2 || h.path_len > PATH_MAX ||
	    h.tail_len > (64U << 20))
		return;
	/* The next record's gen is above every one written before. */
	if (h.gen >= st->undo_gen)
		st->undo_gen = h.gen + 1;
	total = sizeof h + h.path_len + h.tail_len + sizeof gen;
	if (store_undo_reserve(st, total) == -1 ||
	    pread(st->undo_fd, st->undo_buf, total, 0) != (ssize_t)total)
		return;
	crc = h.crc;
	h.crc = 0;
	memcpy(st->undo_buf, &h, sizeof h);
	memcpy(&gen, st->undo_buf + total - sizeof gen, sizeof gen);
	if (crc32_ieee(st->undo_buf, sizeof h + h.path_len) != crc || gen != h.gen)
		return;
	path = (const char *)st->undo_buf + sizeof h;
	if (path[h.path_len - 1] != '\0' || strlen(path) != h.path_len - 1 ||
	    strncmp(path, st->base, blen) != 0 || path[blen] != '/' || strstr(path, "/../"))
		return;
	if ((fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return;
	if (fstat(fd, &sb) == -1 || (uint64_t)sb.st_dev != h.dev ||
	    (uint64_t)sb.st_ino != h.ino ||
	    store_rrd_tail(fd, sb.st_size, &off, &tlen) == -1 ||
	    off != h.tail_off || tlen != h.tail_len ||
	    pread(fd, &lh, sizeof lh, (off_t)off) != (ssize_t)sizeof lh ||
	    (int64_t)lh.last_up >= h.ts)
		goto out;
	/* An update that failed before it wrote anything (the file could not
	 * be opened or locked, say) has nothing to undo. */
	if ((cur = malloc(h.tail_len)) != NULL &&
	    pread(fd, cur, h.tail_len, (off_t)off) == (ssize_t)h.tail_len &&
	    memcmp(cur, st->undo_buf + sizeof h + h.path_len, h.tail_len) == 0)
		goto out;
	/* librrd's own lock (fcntl, whole file), so no other writer is inside. */
	memset(&lk, 0, sizeof lk);
	lk.l_type = F_WRLCK;
	lk.l_whence = SEEK_SET;
	if (fcntl(fd, F_SETLK, &lk) == -1) {
		log_warnx("rrd %s: an update at %lld was cut short, but the file is locked: "
		    "header not restored", path, (long long)h.ts);
		goto out;
	}
	errno = 0;
	if (pwrite(fd, st->undo_buf + sizeof h + h.path_len, h.tail_len, (off_t)off) !=
	    (ssize_t)h.tail_len) {
		log_warnx("rrd %s: restoring the header of an update cut short: %s", path,
		    errno ? strerror(errno) : "short write");
		goto out;
	}
	st->stats.restored++;
	log_warnx("rrd %s: the update at %lld was cut short (last update still %lld): "
	    "header restored, the sample is stored again when it is resent", path,
	    (long long)h.ts, (long long)lh.last_up);
	h.magic = 0;
	if (pwrite(st->undo_fd, &h.magic, sizeof h.magic, 0) != (ssize_t)sizeof h.magic)
		log_warnx("%s/%s: %s", st->base, STORE_UNDO_NAME, strerror(errno));
out:
	free(cur);
	close(fd);
}

/* One direct update, guarded by the undo record. */
static int
store_update_direct(struct store *st, const char *path, const char *tmplt, const char *vals,
    int64_t ts, char *msg, size_t len)
{
	const char *argv[1] = { vals };

	if (store_undo_save(st, path, ts, msg, len) == -1)
		return -1;
	rrd_clear_error();
	if (rrd_updatex_r(path, tmplt, 0, 1, argv) == -1) {
		store_rrd_error(msg, len);
		if (strstr(msg, STORE_ALREADY_MSG) == NULL)
			store_undo_recover(st);
		return -1;
	}
	return 0;
}

static int
store_is_bad_file_msg(const char *msg)
{
	for (int i = 0; store_bad_file_msgs[i] != NULL; i++)
		if (strstr(msg, store_bad_file_msgs[i]) != NULL)
			return 1;
	return 0;
}

/*
 * librrd's rrdcached client writes with send() and no MSG_NOSIGNAL: a
 * daemon that went away would kill the collector with SIGPIPE. Block it in
 * this thread around each call and swallow one raised meanwhile.
 */
struct store_sigpipe {
	sigset_t old;
	int was_pending;
	int blocked;
};

static void
store_sigpipe_block(struct store_sigpipe *sp)
{
	sigset_t set, pending;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sp->was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
	sp->blocked = pthread_sigmask(SIG_BLOCK, &set, &sp->old) == 0;
}

static void
store_sigpipe_unblock(struct store_sigpipe *sp)
{
	sigset_t set, pending;
	struct timespec zero = { 0, 0 };

	if (!sp->blocked)
		return;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	if (!sp->was_pending && sigpending(&pending) == 0 &&
	    sigismember(&pending, SIGPIPE) == 1)
		while (sigtimedwait(&set, NULL, &zero) == -1 && errno == EINTR)
			;
	(void)pthread_sigmask(SIG_SETMASK, &sp->old, NULL);
}

/* The path rrdcached is given: absolute on a unix socket, relative to its
 * base directory on TCP. */
static const char *
store_cached_path(const struct store *st, const char *path)
{
	size_t n = strlen(st->base);

	if (st->cached_tcp && strncmp(path, st->base, n) == 0 && path[n] == '/')
		return path + n + 1;
	return path;
}

/*
 * (Re)connects to rrdcached. librrd keeps one process-wide connection with
 * its own lock around each call; it is a no-op when already connected.
 */
static int
store_cached_connect(struct store *st, char *msg, size_t len)
{
	int rc;

	rrd_clear_error();
	if ((rc = rrdc_connect(st->conf.rrdcached)) != 0) {
		store_rrd_error(msg, len);
		return -1;
	}
	return 0;
}

/* Drops rrdcached's memory of a file (its last update time) after the file
 * was replaced; errors do not matter: a daemon that is down has forgotten. */
static void
store_cached_forget(struct store *st, const char *path)
{
	struct store_sigpipe sp;
	char msg[256];

	if (!st->cached)
		return;
	store_sigpipe_block(&sp);
	if (store_cached_connect(st, msg, sizeof msg) == 0) {
		rrd_clear_error();
		(void)rrdc_forget(store_cached_path(st, path));
		rrd_clear_error();
	}
	store_sigpipe_unblock(&sp);
}

/* Renames a corrupt or foreign file to <name>.bad-<unix time>: kept for
 * the operator, out of the way of the next sample. */
static enum store_result
store_move_aside(struct store *st, const char *path, const char *why, char *err,
    size_t errlen)
{
	char bad[PATH_MAX];
	int n;

	n = snprintf(bad, sizeof bad, "%s.bad-%lld", path, (long long)time(NULL));
	if (n < 0 || (size_t)n >= sizeof bad) {
		errf(err, errlen, "%s: %s; path too long to move it aside", path, why);
		return STORE_RETRY;
	}
	if (rename(path, bad) == -1) {
		errf(err, errlen, "%s: %s; rename to %s: %s", path, why, bad,
		    strerror(errno));
		return STORE_RETRY;
	}
	store_cached_forget(st, path);
	st->stats.bad_files++;
	log_warnx("rrd %s: %s: moved aside to %s", path, why, bad);
	errf(err, errlen, "%s: %s: moved aside to %s", path, why, bad);
	return STORE_BAD_FILE;
}

/* A file's step for samples of this interval: never below [rrd] min_step,
 * so that an agent set to 1 s cannot fill the disk (a file's size goes
 * with 1 / step). */
static unsigned
store_step(const struct store *st, unsigned interval)
{
	return interval > st->conf.min_step ? interval : st->conf.min_step;
}

/*
 * The shortest heartbeat of a file's DS, read from its header with the
 * structs of rrd_format.h as the undo record reads it: rrd_info_r would
 * build a list of every value in the header, hundreds of allocations at
 * the first touch of each file. 0, with msg set, when it cannot be read.
 */
static uint32_t
store_read_heartbeat(const char *path, char *msg, size_t len)
{
	stat_head_t sh;
	ds_def_t ds;
	unsigned long hb = ULONG_MAX;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		errf(msg, len, "%s: %s", path, strerror(errno));
		return 0;
	}
	if (pread(fd, &sh, sizeof sh, 0) != (ssize_t)sizeof sh || sh.ds_cnt == 0 ||
	    sh.ds_cnt > METRIC_COUNT) {
		errf(msg, len, "%s: cannot read its header", path);
		close(fd);
		return 0;
	}
	for (unsigned long i = 0; i < sh.ds_cnt; i++) {
		if (pread(fd, &ds, sizeof ds, (off_t)(sizeof sh + i * sizeof ds)) !=
		    (ssize_t)sizeof ds) {
			errf(msg, len, "%s: cannot read its data sources", path);
			close(fd);
			return 0;
		}
		if (ds.par[DS_mrhb_cnt].u_cnt < hb)
			hb = ds.par[DS_mrhb_cnt].u_cnt;
	}
	close(fd);
	return hb > UINT32_MAX ? UINT32_MAX : hb == 0 ? 1 : (uint32_t)hb;
}

/*
 * Checks that an existing file has the group's DS in metric_table order,
 * and reads its heartbeat into *heartbeat (when not NULL). rrd_lastupdate_r
 * reads only the header: cheaper than rrd_info_r.
 */
static enum store_result
store_check_layout(struct store *st, const char *path, int group, uint32_t *heartbeat,
    char *err, size_t errlen)
{
	time_t last;
	unsigned long ds_cnt = 0, want = 0;
	char **names = NULL, **last_ds = NULL;
	char msg[512];
	int m, ok = 1;

	rrd_clear_error();
	if (rrd_lastupdate_r(path, &last, &ds_cnt, &names, &last_ds) == -1) {
		store_rrd_error(msg, sizeof msg);
		if (store_is_bad_file_msg(msg))
			return store_move_aside(st, path, msg, err, errlen);
		errf(err, errlen, "rrd %s: %s", path, msg);
		return STORE_RETRY;
	}
	for (m = 0; m < METRIC_COUNT; m++) {
		if ((int)metric_table[m].group != group)
			continue;
		if (want >= ds_cnt || strcmp(names[want], metric_table[m].name) != 0)
			ok = 0;
		want++;
	}
	if (want != ds_cnt)
		ok = 0;
	for (unsigned long i = 0; i < ds_cnt; i++) {
		rrd_freemem(names[i]);
		rrd_freemem(last_ds[i]);
	}
	rrd_freemem(names);
	rrd_freemem(last_ds);
	if (!ok) {
		snprintf(msg, sizeof msg, "data sources are not those of %s.rrd",
		    metric_group_name[group]);
		return store_move_aside(st, path, msg, err, errlen);
	}
	if (heartbeat != NULL && (*heartbeat = store_read_heartbeat(path, msg, sizeof msg)) == 0) {
		errf(err, errlen, "rrd %s", msg);
		return STORE_RETRY;
	}
	return STORE_OK;
}

/* A directory under data_dir/rrd: created when missing, refused when it
 * is a symlink or not a directory (never followed). */
static enum store_result
store_dir(const char *dir, char *err, size_t errlen)
{
	struct stat sb;

	if (lstat(dir, &sb) == -1) {
		if (errno != ENOENT) {
			errf(err, errlen, "%s: %s", dir, strerror(errno));
			return STORE_RETRY;
		}
		if (mkdir(dir, 0750) == -1 && errno != EEXIST) {
			errf(err, errlen, "mkdir %s: %s", dir, strerror(errno));
			return STORE_RETRY;
		}
		/* Whatever won a race must pass the same test. */
		if (lstat(dir, &sb) == -1) {
			errf(err, errlen, "%s: %s", dir, strerror(errno));
			return STORE_RETRY;
		}
	}
	if (S_ISLNK(sb.st_mode)) {
		errf(err, errlen, "%s is a symlink: refused", dir);
		return STORE_REFUSED;
	}
	if (!S_ISDIR(sb.st_mode)) {
		errf(err, errlen, "%s is not a directory: refused", dir);
		return STORE_REFUSED;
	}
	return STORE_OK;
}

/*
 * Creates a group file. librrd's no_overwrite is a check before a rename,
 * so two creators could both pass it; creating under a name of our own and
 * link()ing it into place makes "never clobber an existing file" atomic.
 * start = ts - interval: the sample covers (ts - interval, ts], so its
 * whole interval is stored, and a spool drained oldest first fits after it.
 */
static enum store_result
store_create(struct store *st, const char *path, int group, const struct sample *s,
    uint32_t *heartbeat, char *err, size_t errlen)
{
	char defs[METRIC_COUNT + STORE_MAX_RRA][STORE_ARG_MAX];
	const char *argv[METRIC_COUNT + STORE_MAX_RRA];
	char tmp[PATH_MAX], msg[512];
	unsigned long step = store_step(st, s->interval);
	int argc = 0, n;
	size_t i;

	for (int m = 0; m < METRIC_COUNT; m++) {
		if ((int)metric_table[m].group != group)
			continue;
		snprintf(defs[argc], STORE_ARG_MAX, "DS:%s:GAUGE:%lu:U:U",
		    metric_table[m].name, STORE_HB_STEPS * step);
		argv[argc] = defs[argc];
		argc++;
	}
	if (st->nrra > 0) {
		for (int r = 0; r < st->nrra; r++)
			argv[argc++] = st->rra[r];
	} else {
		for (i = 0; i < sizeof store_rra_default / sizeof store_rra_default[0]; i++) {
			unsigned long per = step * store_rra_default[i].steps;
			unsigned long rows = ((unsigned long)store_rra_default[i].span +
			    per - 1) / per;
			snprintf(defs[argc], STORE_ARG_MAX, "RRA:%s:0.5:%u:%lu",
			    store_rra_default[i].cf, store_rra_default[i].steps,
			    rows < 1 ? 1 : rows);
			argv[argc] = defs[argc];
			argc++;
		}
	}

	/* pid, store and counter: unique among processes and writer threads. */
	n = snprintf(tmp, sizeof tmp, "%s.tmp-%ld-%lx-%lu", path, (long)getpid(),
	    (unsigned long)(uintptr_t)st, ++st->tmp_seq);
	if (n < 0 || (size_t)n >= sizeof tmp) {
		errf(err, errlen, "%s: path too long", path);
		return STORE_REFUSED;
	}
	(void)unlink(tmp);   /* a leftover of a crashed process with our pid */
	rrd_clear_error();
	/* librrd tells rrdcached of a new file (FORGET) over its connection,
	 * which may be to a daemon gone since. */
	struct store_sigpipe sp;
	store_sigpipe_block(&sp);
	int crc = rrd_create_r2(tmp, step, (time_t)(s->ts - (int64_t)s->interval), 1, NULL,
	    NULL, argc, argv);
	store_sigpipe_unblock(&sp);
	if (crc == -1) {
		store_rrd_error(msg, sizeof msg);
		errf(err, errlen, "rrd create %s: %s", path, msg);
		(void)unlink(tmp);
		return STORE_RETRY;
	}
	if (chmod(tmp, STORE_FILE_MODE) == -1)
		log_warn("rrd: chmod %s", tmp);
	if (link(tmp, path) == -1) {
		int e = errno;
		(void)unlink(tmp);
		if (e == EEXIST)   /* created meanwhile: check it like any other */
			return store_check_layout(st, path, group, heartbeat, err, errlen);
		errf(err, errlen, "link %s: %s", path, strerror(e));
		return STORE_RETRY;
	}
	if (unlink(tmp) == -1)
		log_warn("rrd: unlink %s", tmp);
	st->stats.creates++;
	*heartbeat = (uint32_t)(STORE_HB_STEPS * step);
	/* rrdcached may remember an older file of that name (its last update
	 * time would make it refuse ours). */
	store_cached_forget(st, path);
	return STORE_OK;
}

/*
 * First touch of a file: every component under data_dir/rrd checked with
 * lstat (a planted symlink is refused, never followed), the file created
 * when missing, else its DS layout checked; its heartbeat into *heartbeat.
 */
static enum store_result
store_prepare(struct store *st, const char *province, const char *agent, int group,
    const char *path, const struct sample *s, uint32_t *heartbeat, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	struct stat sb;
	enum store_result r;
	int n;

	st->stats.checks++;
	if ((r = store_dir(st->base, err, errlen)) != STORE_OK)
		return r;
	n = snprintf(dir, sizeof dir, "%s/%s", st->base, province);
	if (n < 0 || (size_t)n >= sizeof dir) {
		errf(err, errlen, "%s: path too long", st->base);
		return STORE_REFUSED;
	}
	if ((r = store_dir(dir, err, errlen)) != STORE_OK)
		return r;
	n = snprintf(dir, sizeof dir, "%s/%s/%s", st->base, province, agent);
	if (n < 0 || (size_t)n >= sizeof dir) {
		errf(err, errlen, "%s: path too long", st->base);
		return STORE_REFUSED;
	}
	if ((r = store_dir(dir, err, errlen)) != STORE_OK)
		return r;

	if (lstat(path, &sb) == -1) {
		if (errno != ENOENT) {
			errf(err, errlen, "%s: %s", path, strerror(errno));
			return STORE_RETRY;
		}
		return store_create(st, path, group, s, heartbeat, err, errlen);
	}
	if (S_ISLNK(sb.st_mode)) {
		errf(err, errlen, "%s is a symlink: refused", path);
		return STORE_REFUSED;
	}
	if (!S_ISREG(sb.st_mode)) {
		errf(err, errlen, "%s is not a regular file: refused", path);
		return STORE_REFUSED;
	}
	return store_check_layout(st, path, group, heartbeat, err, errlen);
}

/* Remembers a file for the next store_flush (rrdcached). */
static void
store_pending_add(struct store *st, struct store_slot *slot, const char *path)
{
	struct store_sigpipe sp;
	char *p, **np;
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
	store_sigpipe_block(&sp);
	rrd_clear_error();
	(void)rrdc_flush(store_cached_path(st, path));
	rrd_clear_error();
	store_sigpipe_unblock(&sp);
}

/* One update of one file. Returns 0, or -1 with msg set. */
static int
store_update(struct store *st, const char *path, const char *tmplt, const char *vals,
    int64_t ts, char *msg, size_t len)
{
	const char *argv[1] = { vals };
	struct store_sigpipe sp;
	int rc;

	if (!st->cached)
		return store_update_direct(st, path, tmplt, vals, ts, msg, len);
	store_sigpipe_block(&sp);
	if ((rc = store_cached_connect(st, msg, len)) == 0) {
		rrd_clear_error();
		if ((rc = rrdc_update(store_cached_path(st, path), 1, argv)) != 0) {
			if (rrd_test_error())
				store_rrd_error(msg, len);
			else
				snprintf(msg, len, "rrdcached %s: update failed (%d)",
				    st->conf.rrdcached, rc);
		}
	}
	store_sigpipe_unblock(&sp);
	return rc == 0 ? 0 : -1;
}

/*
 * A write of rrdcached's that began before our FLUSH is not waited for by
 * it (its values left rrdcached's cache as the write began): wait until no
 * other process holds librrd's lock on the file. 0, or -1 with msg set.
 */
static int
store_wait_unlocked(const char *path, char *msg, size_t len)
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
 * its own still in progress. On librrd's connection, not the batch one,
 * which may be in the middle of queueing a batch. 0, or -1 with msg set.
 */
static int
store_cached_settle(struct store *st, const char *path, char *msg, size_t len)
{
	struct store_sigpipe sp;
	int rc;

	store_sigpipe_block(&sp);
	if ((rc = store_cached_connect(st, msg, len)) == 0) {
		rrd_clear_error();
		if ((rc = rrdc_flush(store_cached_path(st, path))) != 0) {
			if (rrd_test_error())
				store_rrd_error(msg, len);
			else
				errf(msg, len, "rrdcached %s: flush failed (%d)",
				    st->conf.rrdcached, rc);
		}
	}
	store_sigpipe_unblock(&sp);
	if (rc != 0)
		return -1;
	return store_wait_unlocked(path, msg, len);
}

/*
 * Raises the heartbeat of every DS of a file from `from` to hb, for a
 * sample whose interval grew (10 s to 60 s, say): under the old heartbeat
 * each of its updates comes after a gap longer than it and is stored
 * UNKNOWN. The file keeps its step and its history.
 *
 * librrd 1.7's rrd_tune is safe on this thread: it parses its argv with
 * its own reentrant optparse (no getopt, no setlocale), and rewrites
 * stat_head, ds_def and rra_def under the file's lock. That is not the
 * part of the header the undo record holds (live_head to the end of
 * rra_ptr, at offsets a heartbeat does not move), and the record of the
 * update that follows is taken after the tune: a record older than the
 * tune is of an update that went through (left alone), or puts back bytes
 * the tune never wrote.
 *
 * rrdcached has no TUNE, and librrd's lock does not wait: were rrdcached
 * writing the file while we tune it, one of the two would fail, the tune
 * (a retry) or rrdcached's write (its values lost). So the file is
 * settled first (store_cached_settle), which also keeps rrd_tune's own
 * FORGET, sent when librrd's connection is open, from dropping updates
 * rrdcached still held. Nothing reaches rrdcached for the file after
 * that but what this thread, its only writer, sends. In a batch, the
 * updates already queued for the file have not been sent: they go after
 * the tune, in their order, ahead of the sample that asked for it. They
 * need not go first: a longer heartbeat loses none of their values (at
 * most a gap of theirs shorter than hb is bridged, as any later one is),
 * and sending part of a batch early would split its accounting.
 */
static enum store_result
store_tune(struct store *st, const char *path, int group, uint32_t from, uint32_t hb,
    const struct sample *s, char *err, size_t errlen)
{
	char defs[METRIC_COUNT][STORE_ARG_MAX], opts[METRIC_COUNT][3], file[PATH_MAX];
	char prog[] = "tune", msg[1024];
	char *argv[2 + 2 * METRIC_COUNT + 1];
	struct store_sigpipe sp;
	int argc = 0, n = 0, rc;

	snprintf(file, sizeof file, "%s", path);
	argv[argc++] = prog;
	argv[argc++] = file;
	for (int m = 0; m < METRIC_COUNT; m++) {
		if ((int)metric_table[m].group != group)
			continue;
		memcpy(opts[n], "-h", 3);
		snprintf(defs[n], STORE_ARG_MAX, "%s:%u", metric_table[m].name, hb);
		argv[argc++] = opts[n];
		argv[argc++] = defs[n];
		n++;
	}
	argv[argc] = NULL;

	if (st->cached && store_cached_settle(st, path, msg, sizeof msg) == -1) {
		st->stats.retries++;
		errf(err, errlen, "rrd %s: before raising its heartbeat: %s", path, msg);
		return STORE_RETRY;
	}
	/* rrd_tune talks to rrdcached over librrd's connection when it is open. */
	store_sigpipe_block(&sp);
	rrd_clear_error();
	rc = rrd_tune(argc, argv);
	if (rc != 0)
		store_rrd_error(msg, sizeof msg);
	rrd_clear_error();
	store_sigpipe_unblock(&sp);
	if (rc != 0) {
		if (store_is_bad_file_msg(msg))
			return store_move_aside(st, path, msg, err, errlen);
		st->stats.retries++;
		errf(err, errlen, "rrd tune %s: %s", path, msg);
		return STORE_RETRY;
	}
	st->stats.tunes++;
	log_info("agent %s: %s.rrd heartbeat %u s -> %u s for interval %u s", s->agent,
	    metric_group_name[group], from, hb, s->interval);
	return STORE_OK;
}

/* Makes the file's heartbeat long enough for s's interval (DESIGN.md
 * section 3, "Interval changes"); *heartbeat is what the file has. It is
 * only ever raised: a shorter interval later fits the longer heartbeat. */
static enum store_result
store_fit_interval(struct store *st, const char *path, int group, uint32_t *heartbeat,
    const struct sample *s, char *err, size_t errlen)
{
	uint32_t need = STORE_HB_STEPS * store_step(st, s->interval);
	enum store_result r;

	if (*heartbeat >= need)
		return STORE_OK;
	if ((r = store_tune(st, path, group, *heartbeat, need, s, err, errlen)) != STORE_OK)
		return r;
	*heartbeat = need;
	return STORE_OK;
}

/* In a batch: queues the update of one file of the last sample of st->bs. */
static enum store_result
store_queue(struct store *st, struct store_slot *slot, const char *path, int group,
    const char *vals, char *err, size_t errlen)
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
	if (rrdc_batch_update(st->rb, store_cached_path(st, path), vals) == 0) {
		if (strchr(path, '\n') != NULL) {
			errf(err, errlen, "rrd %s: a newline in the path cannot be sent to "
			    "rrdcached: refused", path);
			return STORE_REFUSED;
		}
		errf(err, errlen, "rrd %s: out of memory for the batch", path);
		return STORE_RETRY;
	}
	st->bc[st->nbc].sample = (uint32_t)(st->nbs - 1);
	st->bc[st->nbc].group = (uint8_t)group;
	st->nbc++;
	st->bs[st->nbs - 1].queued++;
	store_pending_add(st, slot, path);
	return STORE_OK;
}

static enum store_result
store_write_group(struct store *st, const char *province, const struct sample *s,
    int group, char *err, size_t errlen)
{
	char path[PATH_MAX], tmplt[METRIC_COUNT * 24], vals[METRIC_COUNT * 32], msg[1024];
	size_t tl = 0, vl;
	struct store_slot *slot;
	struct stat sb;
	enum store_result r;
	uint32_t hb = 0;
	uint64_t key;
	int n;

	n = snprintf(path, sizeof path, "%s/%s/%s/%s.rrd", st->base, province, s->agent,
	    metric_group_name[group]);
	if (n < 0 || (size_t)n >= sizeof path) {
		errf(err, errlen, "%s/%s/%s: path too long", st->base, province, s->agent);
		return STORE_REFUSED;
	}

	/*
	 * Direct writes name the present DS in a template (the others stay
	 * UNKNOWN, and a DS missing from the file is an error, not a silent
	 * shift). rrdcached takes no template: every DS of the group in file
	 * order, U where absent; the layout check made the order certain.
	 */
	tmplt[0] = '\0';
	vl = (size_t)snprintf(vals, sizeof vals, "%lld", (long long)s->ts);
	for (int m = 0; m < METRIC_COUNT && vl < sizeof vals && tl < sizeof tmplt; m++) {
		if ((int)metric_table[m].group != group)
			continue;
		int has = sample_has(s, m) && isfinite(s->m[m]);
		if (!has && !st->cached)
			continue;
		if (!st->cached)
			tl += (size_t)snprintf(tmplt + tl, sizeof tmplt - tl, "%s%s",
			    tl ? ":" : "", metric_table[m].name);
		if (has)
			vl += (size_t)snprintf(vals + vl, sizeof vals - vl, ":%.17g", s->m[m]);
		else
			vl += (size_t)snprintf(vals + vl, sizeof vals - vl, ":U");
	}
	if (vl >= sizeof vals || tl >= sizeof tmplt) {
		errf(err, errlen, "%s: update line too long", path);
		return STORE_REFUSED;
	}

	key = store_hash(path);
	if ((slot = store_cache_find(st, key)) == NULL) {
		if ((r = store_prepare(st, province, s->agent, group, path, s, &hb, err,
		    errlen)) != STORE_OK)
			return r;
		if ((slot = store_cache_add(st, key)) != NULL)
			slot->heartbeat = hb;
	} else {
		hb = slot->heartbeat;
	}
	/* Before the update (and before the undo record of a direct one). */
	if ((r = store_fit_interval(st, path, group, &hb, s, err, errlen)) != STORE_OK) {
		/* Checked again next time, as after a failed update. */
		store_cache_del(st, key);
		return r;
	}
	if (slot != NULL)
		slot->heartbeat = hb;
	if (st->batching)
		return store_queue(st, slot, path, group, vals, err, errlen);

	for (int attempt = 0;; attempt++) {
		if (store_update(st, path, st->cached ? NULL : tmplt, vals, s->ts, msg,
		    sizeof msg) == 0) {
			st->stats.updates++;
			break;
		}
		if (strstr(msg, STORE_ALREADY_MSG) != NULL) {
			st->stats.already++;
			break;
		}
		/* The file went away since it was checked (moved aside, removed
		 * by hand): check and create it again, once. */
		if (attempt == 0 && lstat(path, &sb) == -1 && errno == ENOENT) {
			store_cache_del(st, key);
			if ((r = store_prepare(st, province, s->agent, group, path, s, &hb, err,
			    errlen)) != STORE_OK ||
			    (r = store_fit_interval(st, path, group, &hb, s, err,
			    errlen)) != STORE_OK)
				return r;
			if ((slot = store_cache_add(st, key)) != NULL)
				slot->heartbeat = hb;
			continue;
		}
		store_cache_del(st, key);
		if (store_is_bad_file_msg(msg))
			return store_move_aside(st, path, msg, err, errlen);
		/* rrdcached words file errors its own way: ask the file. */
		if (st->cached && lstat(path, &sb) == 0 &&
		    store_check_layout(st, path, group, NULL, err, errlen) == STORE_BAD_FILE)
			return STORE_BAD_FILE;
		st->stats.retries++;
		errf(err, errlen, "rrd %s: %s", path, msg);
		return STORE_RETRY;
	}
	if (st->cached)
		store_pending_add(st, slot, path);
	return STORE_OK;
}

/* When groups of one sample end differently, the caller acts on the one
 * that needs the most: retry beats the rest (a retry is idempotent). */
static int
store_result_rank(enum store_result r)
{
	switch (r) {
	case STORE_RETRY:
		return 3;
	case STORE_BAD_FILE:
		return 2;
	case STORE_REFUSED:
		return 1;
	case STORE_OK:
		break;
	}
	return 0;
}

enum store_result
store_write(struct store *st, const char *province, const struct sample *s,
    char *err, size_t errlen)
{
	enum store_result res = STORE_OK, r;
	char gerr[1024];
	unsigned groups = 0;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (!id_valid(province) || !id_valid(s->agent)) {
		errf(err, errlen, "invalid province or agent id: refused");
		return STORE_REFUSED;
	}
	if (s->interval < 1 || s->interval > SAMPLE_MAX_INTERVAL ||
	    s->ts <= (int64_t)s->interval) {
		errf(err, errlen, "agent %s: bad interval %u or ts %lld: refused",
		    s->agent, s->interval, (long long)s->ts);
		return STORE_REFUSED;
	}
	for (int m = 0; m < METRIC_COUNT; m++)
		if (sample_has(s, m))
			groups |= 1U << metric_table[m].group;
	if (st->batching) {
		if (st->nbs == st->capbs) {
			size_t ncap = st->capbs ? st->capbs * 2 : 256;
			struct store_bsample *n = realloc(st->bs, ncap * sizeof *n);
			if (n == NULL) {
				errf(err, errlen, "agent %s: out of memory for the batch",
				    s->agent);
				return STORE_RETRY;
			}
			st->bs = n;
			st->capbs = ncap;
		}
		struct store_bsample *b = &st->bs[st->nbs++];
		memset(b, 0, sizeof *b);
		snprintf(b->province, sizeof b->province, "%s", province);
		b->s = *s;
	}

	/* Every group is tried even after one failed, so that a retry finds
	 * the others already stored (and counts them as already held). */
	for (int g = 0; g < GROUP_COUNT; g++) {
		if (!(groups & (1U << g)))
			continue;
		r = store_write_group(st, province, s, g, gerr, sizeof gerr);
		if (store_result_rank(r) > store_result_rank(res)) {
			res = r;
			errf(err, errlen, "%s", gerr);
		}
	}
	/* Not stored: what was queued of it goes (harmless) but is not
	 * reported as stored. */
	if (st->batching && res != STORE_OK)
		st->bs[st->nbs - 1].dropped = true;
	return res;
}

void
store_batch_begin(struct store *st)
{
	if (!st->cached || st->batching || st->no_batch)
		return;
	st->batching = true;
	st->nbs = st->nbc = 0;
	rrdc_batch_clear(st->rb);
}

bool
store_batch_open(const struct store *st)
{
	return st->batching;
}

static void
store_batch_refused(size_t cmd, const char *msg, void *arg)
{
	struct store *st = arg;
	const struct store_bcmd *c = &st->bc[cmd - 1];
	struct store_bsample *b = &st->bs[c->sample];

	if (strstr(msg, STORE_ALREADY_MSG) != NULL)
		b->already++;
	else
		b->refused |= 1U << c->group;
}

int
store_batch_end(struct store *st, store_batch_done_fn *done, void *arg, char *err,
    size_t errlen)
{
	char gerr[1024];
	int rc = 0, n;

	if (!st->batching)
		return 0;
	st->batching = false;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	n = rrdc_batch_send(st->rb, store_batch_refused, st, gerr, sizeof gerr);
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
store_pass_wait(struct store *st)
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
store_flush(struct store *st, char *err, size_t errlen)
{
	bool complete = false;

	if (!st->cached)
		return 0;
	/* A pass under way: what it did not flush goes back on the list,
	 * which the pass below takes whole. */
	if (st->in_pass) {
		store_pass_wait(st);
		(void)store_pass_collect(st, NULL, 0);
	}
	/* The first call hands the list over, the second (the pass done)
	 * collects it and checks the daemon. */
	if (store_flush_poll(st, &complete, err, errlen) == -1)
		return -1;
	store_pass_wait(st);
	return store_flush_poll(st, &complete, err, errlen);
}

/* The DS of a rollup file, in the order of the values given. */
static const char *const store_rollup_ds[STORE_ROLLUP_DS] = {
	"covered", "degraded", "down", "unreachable", "unmonitored", "total", "covered_pct",
};

/*
 * Rollups are written directly (never through rrdcached: a handful of
 * files, one update per evaluation) and created on first use with the
 * evaluation interval as their step.
 */
enum store_result
store_rollup(struct store *st, const char *province, const char *commune, unsigned step,
    int64_t ts, const double vals[STORE_ROLLUP_DS], char *err, size_t errlen)
{
	char path[PATH_MAX], dir[PATH_MAX], msg[512], v[STORE_ROLLUP_DS * 32];
	char defs[STORE_ROLLUP_DS + 16][STORE_ARG_MAX];
	const char *argv[STORE_ROLLUP_DS + 16];
	struct stat sb;
	enum store_result r;
	int argc = 0, n;
	size_t vl;

	if (!id_valid(province) || (commune != NULL && !id_valid(commune)) || step == 0) {
		errf(err, errlen, "rollup: bad id or step");
		return STORE_REFUSED;
	}
	n = snprintf(dir, sizeof dir, "%s/%s", st->base, province);
	if (n < 0 || (size_t)n >= sizeof dir)
		return STORE_REFUSED;
	if ((r = store_dir(st->base, err, errlen)) != STORE_OK ||
	    (r = store_dir(dir, err, errlen)) != STORE_OK)
		return r;
	if (commune != NULL)
		n = snprintf(path, sizeof path, "%s/_commune_%s.rrd", dir, commune);
	else
		n = snprintf(path, sizeof path, "%s/_province.rrd", dir);
	if (n < 0 || (size_t)n >= sizeof path)
		return STORE_REFUSED;
	if (lstat(path, &sb) == -1) {
		if (errno != ENOENT) {
			errf(err, errlen, "%s: %s", path, strerror(errno));
			return STORE_RETRY;
		}
		for (int i = 0; i < STORE_ROLLUP_DS; i++) {
			snprintf(defs[argc], STORE_ARG_MAX, "DS:%s:GAUGE:%u:0:U", store_rollup_ds[i],
			    3 * step);
			argv[argc] = defs[argc];
			argc++;
		}
		if (st->nrra > 0) {
			for (int k = 0; k < st->nrra && argc < STORE_ROLLUP_DS + 16; k++)
				argv[argc++] = st->rra[k];
		} else {
			for (size_t i = 0; i < sizeof store_rra_default /
			    sizeof store_rra_default[0]; i++) {
				unsigned long per = (unsigned long)step * store_rra_default[i].steps;
				unsigned long rows = ((unsigned long)store_rra_default[i].span +
				    per - 1) / per;
				snprintf(defs[argc], STORE_ARG_MAX, "RRA:%s:0.5:%u:%lu",
				    store_rra_default[i].cf, store_rra_default[i].steps,
				    rows < 1 ? 1 : rows);
				argv[argc] = defs[argc];
				argc++;
			}
		}
		rrd_clear_error();
		if (rrd_create_r2(path, step, (time_t)(ts - (int64_t)step), 1, NULL, NULL, argc,
		    argv) == -1) {
			store_rrd_error(msg, sizeof msg);
			errf(err, errlen, "rrd create %s: %s", path, msg);
			return STORE_RETRY;
		}
		if (chmod(path, STORE_FILE_MODE) == -1)
			log_warn("rrd: chmod %s", path);
	} else if (!S_ISREG(sb.st_mode)) {
		errf(err, errlen, "%s is not a regular file: refused", path);
		return STORE_REFUSED;
	}
	vl = (size_t)snprintf(v, sizeof v, "%lld", (long long)ts);
	for (int i = 0; i < STORE_ROLLUP_DS && vl < sizeof v; i++) {
		if (isfinite(vals[i]))
			vl += (size_t)snprintf(v + vl, sizeof v - vl, ":%.6g", vals[i]);
		else
			vl += (size_t)snprintf(v + vl, sizeof v - vl, ":U");
	}
	if (store_update_direct(st, path, NULL, v, ts, msg, sizeof msg) == -1) {
		if (strstr(msg, "illegal attempt to update") != NULL)
			return STORE_OK;
		if (store_is_bad_file_msg(msg))
			return store_move_aside(st, path, msg, err, errlen);
		errf(err, errlen, "rrd update %s: %s", path, msg);
		return STORE_RETRY;
	}
	return STORE_OK;
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
store_flusher_main(void *arg)
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
			    msg, sizeof msg);
			/* The connection of an earlier pass may be to a daemon
			 * gone since (which the batch connection's PING judges):
			 * a pass starts on a fresh one. */
			if (r == -1 && i == 0)
				r = rrdc_batch_command(f->conn, "FLUSH",
				    store_cached_path(st, files[i]), msg, sizeof msg);
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

static int
store_flusher_start(struct store *st, char *err, size_t errlen)
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
	int rc = pthread_create(&f->thread, NULL, store_flusher_main, st);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		errf(err, errlen, "store: cannot start the flush thread: %s", strerror(rc));
		return -1;
	}
	f->started = true;
	return 0;
}

static void
store_flusher_stop(struct store *st)
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
store_pass_collect(struct store *st, char *err, size_t errlen)
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
store_flush_poll(struct store *st, bool *complete, char *err, size_t errlen)
{
	struct store_flusher *f = &st->fl;
	int rc;

	*complete = false;
	if (!st->cached) {
		*complete = true;
		return 0;
	}
	pthread_mutex_lock(&f->mu);
	if (st->in_pass) {
		if (f->busy) {
			pthread_mutex_unlock(&f->mu);
			return 0;
		}
		pthread_mutex_unlock(&f->mu);
		if ((rc = store_pass_collect(st, err, errlen)) == 0 &&
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
