/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RRD storage: one file per (province, agent, probe group) under
 * data_dir/rrd, written with librrd's thread-safe calls or through
 * rrdcached (store_cached.c), each direct update guarded by the undo
 * record (store_undo.c). Decides for every failure whether retrying can
 * help.
 */
#include "store_int.h"

#include "errf.h"
#include "hash.h"
#include "log.h"

/* The on-disk header structs of rrd_format.h, for the heartbeats. */
#define RRD_EXPORT_DEPRECATED
#include <rrd.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

/* n bytes of text into buf as snprintf(buf, len, "%s") would put them:
 * cut to fit, NUL-terminated; returns n. */
static int
store_put_text(char *buf, size_t len, const char *text, size_t n)
{
	if (len > 0) {
		size_t k = n < len ? n : len - 1;
		memcpy(buf, text, k);
		buf[k] = '\0';
	}
	return (int)n;
}

/* prefix (":" or "") and v in decimal, as snprintf(buf, len, "%s%lld")
 * would: a value line holds ~30 numbers a sample, and snprintf's set-up
 * alone cost ~1,000 instructions each (bench_instructions.sh). */
static int
store_put_int(char *buf, size_t len, const char *prefix, long long v)
{
	char tmp[32], *p = tmp + sizeof tmp;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	size_t pl = strlen(prefix);

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	p -= pl;
	memcpy(p, prefix, pl);
	return store_put_text(buf, len, p, (size_t)(tmp + sizeof tmp - p));
}

/*
 * One value after its ":", as librrd and rrdcached read it back exactly:
 * %.17g, but an integral value (zero, counters, dBm) as an integer, the
 * same text at a fraction of the cost (%.17g's digit generation was a
 * third of the writer's instructions). Returns what snprintf returns.
 */
static int
store_put_value(char *buf, size_t len, double v)
{
	if (v == trunc(v) && fabs(v) < 1e15 && !(v == 0 && signbit(v)))
		return store_put_int(buf, len, ":", (long long)v);
	return snprintf(buf, len, ":%.17g", v);
}

static uint64_t
store_hash(const char *s)
{
	uint64_t h = hash_str(s);

	return h == 0 ? 1 : h;     /* 0 marks an empty slot */
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
			st->cache_gen++;
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
	st->cache_gen++;
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

/* creator: a store that only makes files (store_create_files): no undo
 * record (it updates nothing), no batches, no flush thread. */
static int
store_open_as(struct store **stp, const struct store_conf *conf, bool creator, char *err,
    size_t errlen)
{
	struct store *st;
	struct stat sb;
	char real[PATH_MAX];
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
	if (!creator && store_undo_open(st, err, errlen) == -1)
		goto fail;

	if (st->conf.rrdcached[0] != '\0') {
		st->cached = 1;
		if (strncmp(st->conf.rrdcached, "unix:", 5) == 0) {
			if (st->conf.rrdcached[5] != '/') {
				errf(err, errlen, "[rrd] rrdcached %s: the socket path "
				    "must be absolute", st->conf.rrdcached);
				goto fail;
			}
		} else if (st->conf.rrdcached[0] != '/') {
			/* rrdcached refuses absolute paths on a TCP connection: they
			 * go relative to rrdcached's -b, which must be data_dir/rrd. */
			st->cached_tcp = 1;
		}
		if ((st->cmd = rrdc_batch_new(st->conf.rrdcached,
		    STORE_CACHED_CMD_TIMEOUT)) == NULL) {
			errf(err, errlen, "store: out of memory");
			goto fail;
		}
		if (!creator && ((st->rb = rrdc_batch_new(st->conf.rrdcached,
		    STORE_CACHED_TIMEOUT)) == NULL)) {
			errf(err, errlen, "store: out of memory");
			goto fail;
		}
		if (!creator && store_cached_flusher_start(st, err, errlen) == -1)
			goto fail;
	}
	*stp = st;
	return 0;
fail:
	store_close(st);
	return -1;
}

int
store_open(struct store **stp, const struct store_conf *conf, char *err, size_t errlen)
{
	return store_open_as(stp, conf, false, err, errlen);
}

int
store_open_creator(struct store **stp, const struct store_conf *conf, char *err,
    size_t errlen)
{
	return store_open_as(stp, conf, true, err, errlen);
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
	store_cached_flusher_stop(st);
	free(st->slots);
	rrdc_batch_free(st->rb);
	rrdc_batch_free(st->cmd);
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

/* One direct update, guarded by the undo record. */
static int
store_update_direct(struct store *st, const char *path, const char *tmplt, const char *vals,
    int64_t ts, char *msg, size_t len)
{
	const char *argv[1] = { vals };

	if (store_undo_save(st, path, ts, NULL, msg, len) == -1)
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

/* Renames a corrupt or foreign file to <name>.bad-<unix time>: kept for
 * the operator, out of the way of the next sample. */
static enum store_result
store_move_aside(struct store *st, const char *path, const char *why, char *err,
    size_t errlen)
{
	char bad[PATH_MAX], msg[256];
	int n;

	st->cache_gen++;     /* whatever remembered the file as there */
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
	/* Best effort: the file made in its place is forgotten again. */
	(void)store_cached_forget(st, path, msg, sizeof msg);
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

/* What lstat() found at path (sb) must be of type (S_IFDIR, S_IFREG:
 * what, "a directory"), and never a symlink, which is not followed. */
static enum store_result
store_kind(const char *path, const struct stat *sb, mode_t type, const char *what, char *err,
    size_t errlen)
{
	if (S_ISLNK(sb->st_mode)) {
		errf(err, errlen, "%s is a symlink: refused", path);
		return STORE_REFUSED;
	}
	if ((sb->st_mode & S_IFMT) != type) {
		errf(err, errlen, "%s is not %s: refused", path, what);
		return STORE_REFUSED;
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
	return store_kind(dir, &sb, S_IFDIR, "a directory", err, errlen);
}

/* The directory of a province (agent NULL) or of an agent in it, as
 * store_dir(). */
static enum store_result
store_subdir(const struct store *st, const char *province, const char *agent, char *err,
    size_t errlen)
{
	char dir[PATH_MAX];
	int n;

	if (agent == NULL)
		n = snprintf(dir, sizeof dir, "%s/%s", st->base, province);
	else
		n = snprintf(dir, sizeof dir, "%s/%s/%s", st->base, province, agent);
	if (n < 0 || (size_t)n >= sizeof dir) {
		errf(err, errlen, "%s: path too long", st->base);
		return STORE_REFUSED;
	}
	return store_dir(dir, err, errlen);
}

/*
 * The RRAs of a new file of step seconds, after the argc DS definitions in
 * argv (room for max; defs holds the text made here): the configured ones,
 * else the defaults, each with the rows its span needs. Returns argc.
 */
static int
store_rra_args(const struct store *st, unsigned long step, char (*defs)[STORE_ARG_MAX],
    const char **argv, int argc, int max)
{
	if (st->nrra > 0) {
		for (int r = 0; r < st->nrra && argc < max; r++)
			argv[argc++] = st->rra[r];
		return argc;
	}
	for (size_t i = 0; i < sizeof store_rra_default / sizeof store_rra_default[0] &&
	    argc < max; i++) {
		unsigned long per = step * store_rra_default[i].steps;
		unsigned long rows = ((unsigned long)store_rra_default[i].span + per - 1) / per;
		snprintf(defs[argc], STORE_ARG_MAX, "RRA:%s:0.5:%u:%lu", store_rra_default[i].cf,
		    store_rra_default[i].steps, rows < 1 ? 1 : rows);
		argv[argc] = defs[argc];
		argc++;
	}
	return argc;
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

	for (int m = 0; m < METRIC_COUNT; m++) {
		if ((int)metric_table[m].group != group)
			continue;
		snprintf(defs[argc], STORE_ARG_MAX, "DS:%s:GAUGE:%lu:U:U",
		    metric_table[m].name, STORE_HB_STEPS * step);
		argv[argc] = defs[argc];
		argc++;
	}
	argc = store_rra_args(st, step, defs, argv, argc, METRIC_COUNT + STORE_MAX_RRA);

	/* pid, store and counter: unique among processes and writer threads. */
	n = snprintf(tmp, sizeof tmp, "%s.tmp-%ld-%lx-%lu", path, (long)getpid(),
	    (unsigned long)(uintptr_t)st, ++st->tmp_seq);
	if (n < 0 || (size_t)n >= sizeof tmp) {
		errf(err, errlen, "%s: path too long", path);
		return STORE_REFUSED;
	}
	(void)unlink(tmp);   /* a leftover of a crashed process with our pid */
	/* librrd's own client stays closed (store_tune), so librrd does not
	 * FORGET the file on it: store_cached_forget does, with a deadline. */
	rrd_clear_error();
	if (rrd_create_r2(tmp, step, (time_t)(s->ts - (int64_t)s->interval), 1, NULL, NULL,
	    argc, argv) == -1) {
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
	/* rrdcached may remember an older file of that name (its last update
	 * time would make it refuse ours as already held). A daemon that does
	 * not answer may still remember it: the new file, which holds nothing
	 * yet, goes again, and is made again (and forgotten) on the retry. */
	if (store_cached_forget(st, path, msg, sizeof msg) == -1) {
		(void)unlink(path);
		errf(err, errlen, "rrd create %s: rrdcached must forget the file first: %s",
		    path, msg);
		return STORE_RETRY;
	}
	st->stats.creates++;
	*heartbeat = (uint32_t)(STORE_HB_STEPS * step);
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
	struct stat sb;
	enum store_result r;

	st->stats.checks++;
	if ((r = store_dir(st->base, err, errlen)) != STORE_OK ||
	    (r = store_subdir(st, province, NULL, err, errlen)) != STORE_OK ||
	    (r = store_subdir(st, province, agent, err, errlen)) != STORE_OK)
		return r;

	if (lstat(path, &sb) == -1) {
		if (errno != ENOENT) {
			errf(err, errlen, "%s: %s", path, strerror(errno));
			return STORE_RETRY;
		}
		return store_create(st, path, group, s, heartbeat, err, errlen);
	}
	if ((r = store_kind(path, &sb, S_IFREG, "a regular file", err, errlen)) != STORE_OK)
		return r;
	return store_check_layout(st, path, group, heartbeat, err, errlen);
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
 * settled first (store_cached_settle, with a deadline). rrd_tune is told
 * --daemon '' so that it never opens librrd's own client (whose calls
 * have no deadline), whatever RRDCACHED_ADDRESS says. Nothing reaches
 * rrdcached for the file after that but what this thread, its only
 * writer, sends. In a batch, the
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
	char prog[] = "tune", daemon_opt[] = "--daemon", no_daemon[] = "", msg[1024];
	char *argv[4 + 2 * METRIC_COUNT + 1];
	int argc = 0, n = 0, rc;

	snprintf(file, sizeof file, "%s", path);
	argv[argc++] = prog;
	argv[argc++] = file;
	argv[argc++] = daemon_opt;
	argv[argc++] = no_daemon;
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
	rrd_clear_error();
	rc = rrd_tune(argc, argv);
	if (rc != 0)
		store_rrd_error(msg, sizeof msg);
	rrd_clear_error();
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

/* One update of one file, outside a batch. Returns 0, or -1 with msg set. */
static int
store_update(struct store *st, const char *path, const char *tmplt, const char *vals,
    int64_t ts, char *msg, size_t len)
{
	if (st->cached)
		return store_cached_update(st, path, vals, msg, len);
	return store_update_direct(st, path, tmplt, vals, ts, msg, len);
}

static int store_group_path(const struct store *st, const char *province, const char *agent,
    int group, char *path, size_t len);

enum store_result
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

	if (store_group_path(st, province, s->agent, group, path, sizeof path) == -1) {
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
	vl = (size_t)store_put_int(vals, sizeof vals, "", (long long)s->ts);
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
			vl += (size_t)store_put_value(vals + vl, sizeof vals - vl, s->m[m]);
		else
			vl += (size_t)store_put_text(vals + vl, sizeof vals - vl, ":U", 2);
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
	if (st->batching) {
		const char *one = vals;
		return store_cached_queue(st, slot, path, group, &one, 1, err, errlen);
	}

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
		store_cached_pending_add(st, slot, path);
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
	case STORE_MISSING:
		break;
	}
	return 0;
}

uint32_t
store_cache_gen(const struct store *st)
{
	return st->cache_gen;
}

unsigned
store_sample_groups(const struct sample *s)
{
	return metric_groups_of(s->present);
}

/* The path of an agent's group file under base; -1 when too long. */
static int
store_group_path(const struct store *st, const char *province, const char *agent, int group,
    char *path, size_t len)
{
	/* Joined by hand: built for every group of every sample, twice (the
	 * files-ready check, then the write), with snprintf it cost the
	 * writer 5 % more instructions a sample (bench_instructions.sh). */
	const char *part[4] = { st->base, province, agent, metric_group_name[group] };
	size_t n = 0;

	for (int i = 0; i < 4; i++) {
		size_t l = strlen(part[i]);
		if (n + l + 5 > len)     /* then "/" or ".rrd", and the NUL */
			return -1;
		memcpy(path + n, part[i], l);
		n += l;
		path[n++] = '/';
	}
	memcpy(path + n - 1, ".rrd", sizeof ".rrd");
	return 0;
}

enum store_result
store_files_ready(struct store *st, const char *province, const struct sample *s, char *err,
    size_t errlen)
{
	char path[PATH_MAX];
	struct store_slot *slot;
	struct stat sb;
	enum store_result r;
	unsigned groups = store_sample_groups(s);
	uint32_t hb = 0;
	uint64_t key;

	if (!id_valid(province) || !id_valid(s->agent))
		return STORE_OK;     /* store_write says why */
	for (int g = 0; g < GROUP_COUNT; g++) {
		if (!(groups & (1U << g)))
			continue;
		if (store_group_path(st, province, s->agent, g, path, sizeof path) == -1)
			return STORE_OK;
		key = store_hash(path);
		if (store_cache_find(st, key) != NULL)
			continue;
		if (lstat(path, &sb) == -1 && errno == ENOENT)
			return STORE_MISSING;
		/* There: its first touch now, as store_write would make it. */
		if ((r = store_prepare(st, province, s->agent, g, path, s, &hb, err,
		    errlen)) != STORE_OK)
			return r;
		if ((slot = store_cache_add(st, key)) != NULL)
			slot->heartbeat = hb;
	}
	return STORE_OK;
}

enum store_result
store_create_files(struct store *st, const char *province, const struct sample *s,
    unsigned *made, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct stat sb;
	enum store_result r;
	unsigned groups = store_sample_groups(s);
	uint32_t hb;

	*made = 0;
	if (!id_valid(province) || !id_valid(s->agent)) {
		errf(err, errlen, "invalid province or agent id: refused");
		return STORE_REFUSED;
	}
	for (int g = 0; g < GROUP_COUNT; g++) {
		if (!(groups & (1U << g)))
			continue;
		if (store_group_path(st, province, s->agent, g, path, sizeof path) == -1) {
			errf(err, errlen, "%s/%s/%s: path too long", st->base, province,
			    s->agent);
			return STORE_REFUSED;
		}
		/* One that is there is the writer's to check. */
		if (lstat(path, &sb) == 0)
			continue;
		if ((r = store_prepare(st, province, s->agent, g, path, s, &hb, err,
		    errlen)) != STORE_OK)
			return r;
		*made |= 1U << g;
	}
	return STORE_OK;
}

void
store_files_made(struct store *st, const char *province, const char *agent, unsigned groups,
    unsigned interval)
{
	char path[PATH_MAX];
	struct store_slot *slot;

	if (!id_valid(province) || !id_valid(agent))
		return;
	for (int g = 0; g < GROUP_COUNT; g++) {
		if (!(groups & (1U << g)) ||
		    store_group_path(st, province, agent, g, path, sizeof path) == -1)
			continue;
		if ((slot = store_cache_add(st, store_hash(path))) != NULL)
			slot->heartbeat = (uint32_t)(STORE_HB_STEPS * store_step(st, interval));
	}
}

/* In a batch: s joins the samples whose updates are queued. 0, or -1
 * without memory. */
static int
store_batch_add(struct store *st, const char *province, const struct sample *s)
{
	if (st->nbs == st->capbs) {
		size_t ncap = st->capbs ? st->capbs * 2 : 256;
		struct store_bsample *n = realloc(st->bs, ncap * sizeof *n);
		if (n == NULL)
			return -1;
		st->bs = n;
		st->capbs = ncap;
	}
	struct store_bsample *b = &st->bs[st->nbs++];
	memset(b, 0, sizeof *b);
	snprintf(b->province, sizeof b->province, "%s", province);
	b->s = *s;
	return 0;
}

/* Whether store_write would refuse s outright (its err said so). */
static bool
store_sample_bad(const char *province, const struct sample *s, char *err, size_t errlen)
{
	if (!id_valid(province) || !id_valid(s->agent)) {
		errf(err, errlen, "invalid province or agent id: refused");
		return true;
	}
	if (s->interval < 1 || s->interval > SAMPLE_MAX_INTERVAL ||
	    s->ts <= (int64_t)s->interval) {
		errf(err, errlen, "agent %s: bad interval %u or ts %lld: refused",
		    s->agent, s->interval, (long long)s->ts);
		return true;
	}
	return false;
}

/* One sample's values for a group's file, every DS in file order and U
 * where absent (no template: the layout check made the order certain).
 * -1 when it does not fit. */
static int
store_group_line(const struct sample *s, int group, char *vals, size_t len)
{
	size_t vl = (size_t)store_put_int(vals, len, "", (long long)s->ts);

	for (int m = 0; m < METRIC_COUNT && vl < len; m++) {
		if ((int)metric_table[m].group != group)
			continue;
		if (sample_has(s, m) && isfinite(s->m[m]))
			vl += (size_t)store_put_value(vals + vl, len - vl, s->m[m]);
		else
			vl += (size_t)store_put_text(vals + vl, len - vl, ":U", 2);
	}
	return vl < len ? 0 : -1;
}

/* The samples of a run one at a time, for one group (each settles its own
 * case as store_write does): the index of the first that failed, or n. */
static size_t
store_run_alone(struct store *st, const char *province, const struct sample *const *ss,
    const size_t *idx, size_t n, int group, struct store_run_result *res,
    enum store_result *r, char *err, size_t errlen)
{
	for (size_t k = 0; k < n; k++) {
		struct store_stats before = st->stats;
		*r = store_write_group(st, province, ss[idx[k]], group, err, errlen);
		if (*r == STORE_BAD_FILE)   /* moved aside: a new file */
			*r = store_write_group(st, province, ss[idx[k]], group, err, errlen);
		if (*r != STORE_OK)
			return k;
		res[idx[k]].updates += (unsigned)(st->stats.updates - before.updates);
		res[idx[k]].already += (unsigned)(st->stats.already - before.already);
	}
	return n;
}

/*
 * The n samples of a run that have one group, in one update of the
 * group's file: rrd_updatex_r with n values, or one rrdcached command
 * with n values in the batch. Returns how many of the n were stored
 * before the first that failed (n: all), *r its result.
 */
static size_t
store_run_group(struct store *st, const char *province, const struct sample *const *ss,
    const size_t *idx, size_t n, int group, struct store_run_result *res,
    enum store_result *r, char *err, size_t errlen)
{
	char path[PATH_MAX], msg[1024];
	const struct sample *s0 = ss[idx[0]];
	struct store_slot *slot;
	uint32_t hb = 0;
	uint64_t key;
	size_t take, from = 0;
	int64_t last_up = -1;

	if (n == 1)
		return store_run_alone(st, province, ss, idx, n, group, res, r, err, errlen);
	if (store_group_path(st, province, s0->agent, group, path, sizeof path) == -1) {
		errf(err, errlen, "%s/%s/%s: path too long", st->base, province, s0->agent);
		*r = STORE_REFUSED;
		return 0;
	}
	key = store_hash(path);
	if ((slot = store_cache_find(st, key)) == NULL) {
		if ((*r = store_prepare(st, province, s0->agent, group, path, s0, &hb, err,
		    errlen)) != STORE_OK)
			return 0;
		if ((slot = store_cache_add(st, key)) != NULL)
			slot->heartbeat = hb;
	} else {
		hb = slot->heartbeat;
	}
	/* Raised once for the longest interval of the run, before all of it. */
	for (size_t k = 0; k < n; k++)
		if ((*r = store_fit_interval(st, path, group, &hb, ss[idx[k]], err,
		    errlen)) != STORE_OK) {
			store_cache_del(st, key);
			return 0;
		}
	if (slot != NULL)
		slot->heartbeat = hb;

	char (*lines)[METRIC_COUNT * 32] = malloc(n * sizeof *lines);
	const char **argv = malloc(n * sizeof *argv);
	if (lines == NULL || argv == NULL) {
		free(lines);
		free(argv);
		return store_run_alone(st, province, ss, idx, n, group, res, r, err, errlen);
	}
	for (size_t k = 0; k < n; k++) {
		if (store_group_line(ss[idx[k]], group, lines[k], sizeof lines[k]) == -1) {
			free(lines);
			free(argv);
			return store_run_alone(st, province, ss, idx, n, group, res, r, err,
			    errlen);
		}
		argv[k] = lines[k];
	}
	*r = STORE_OK;
	if (st->batching) {
		*r = store_cached_queue(st, slot, path, group, argv, n, err, errlen);
		take = *r == STORE_OK ? n : 0;
		goto out;
	}
	/* The undo record (and the file's last update: what it already has
	 * is left out, as a single update would be refused). */
	if (store_undo_save(st, path, ss[idx[n - 1]]->ts, &last_up, msg, sizeof msg) == -1) {
		errf(err, errlen, "rrd %s: %s", path, msg);
		st->stats.retries++;
		*r = STORE_RETRY;
		take = 0;
		goto out;
	}
	while (from < n && ss[idx[from]]->ts <= last_up) {
		res[idx[from]].already++;
		st->stats.already++;
		from++;
	}
	take = n;
	if (from == n)
		goto out;
	rrd_clear_error();
	if (rrd_updatex_r(path, NULL, 0, (int)(n - from), argv + from) == 0) {
		st->stats.updates += n - from;
		for (size_t k = from; k < n; k++)
			res[idx[k]].updates++;
		goto out;
	}
	/* Failed part way (librrd keeps what it wrote before the value it
	 * refused): the header goes back to before all of it, and each sample
	 * is written alone, which says what was wrong and where. */
	store_rrd_error(msg, sizeof msg);
	store_undo_recover(st);
	take = from + store_run_alone(st, province, ss, idx + from, n - from, group, res, r,
	    err, errlen);
out:
	free(lines);
	free(argv);
	return take;
}

size_t
store_write_run(struct store *st, const char *province, const struct sample *const *ss,
    size_t n, struct store_run_result *res, enum store_result *result, char *err,
    size_t errlen)
{
	size_t ok, first = st->nbs, *idx;
	unsigned groups = 0;
	char gerr[1024];

	*result = STORE_OK;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	memset(res, 0, n * sizeof *res);
	for (size_t i = 0; i < n; i++) {
		if (store_sample_bad(province, ss[i], err, errlen)) {
			*result = STORE_REFUSED;
			n = i;
			break;
		}
		groups |= store_sample_groups(ss[i]);
	}
	ok = n;
	if (n == 0)
		return 0;
	if ((idx = malloc(n * sizeof *idx)) == NULL) {
		errf(err, errlen, "agent %s: out of memory", ss[0]->agent);
		*result = STORE_RETRY;
		return 0;
	}
	if (st->batching) {
		for (size_t i = 0; i < n; i++)
			if (store_batch_add(st, province, ss[i]) == -1) {
				errf(err, errlen, "agent %s: out of memory for the batch",
				    ss[i]->agent);
				*result = STORE_RETRY;
				n = ok = i;
				break;
			}
		st->bcur = first;
		st->bspan = n;
	}
	for (int g = 0; g < GROUP_COUNT && n > 0; g++) {
		size_t m = 0, done;
		enum store_result r;
		if (!(groups & (1U << g)))
			continue;
		for (size_t i = 0; i < n; i++)
			if (store_sample_groups(ss[i]) & (1U << g))
				idx[m++] = i;
		if (m == 0)
			continue;
		done = store_run_group(st, province, ss, idx, m, g, res, &r, gerr, sizeof gerr);
		if (done < m && idx[done] < ok) {
			ok = idx[done];
			*result = r;
			errf(err, errlen, "%s", gerr);
		}
	}
	/* Not stored: what was queued of them goes (harmless) but is not
	 * reported as stored. */
	if (st->batching)
		for (size_t i = ok; i < n; i++)
			st->bs[first + i].dropped = true;
	free(idx);
	return ok;
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
	if (store_sample_bad(province, s, err, errlen))
		return STORE_REFUSED;
	groups = store_sample_groups(s);
	if (st->batching) {
		if (store_batch_add(st, province, s) == -1) {
			errf(err, errlen, "agent %s: out of memory for the batch", s->agent);
			return STORE_RETRY;
		}
		st->bcur = st->nbs - 1;
		st->bspan = 1;
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

int
store_batch_end(struct store *st, store_batch_done_fn *done, void *arg, char *err,
    size_t errlen)
{
	if (!st->batching)
		return 0;
	st->batching = false;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	return store_cached_batch_end(st, done, arg, err, errlen);
}

int
store_ping(struct store *st, char *err, size_t errlen)
{
	if (!st->cached)
		return 0;
	return store_cached_ping(st, err, errlen);
}

int
store_flush(struct store *st, char *err, size_t errlen)
{
	if (!st->cached)
		return 0;
	return store_cached_flush(st, err, errlen);
}

int
store_flush_poll(struct store *st, bool *complete, char *err, size_t errlen)
{
	*complete = false;
	if (!st->cached) {
		*complete = true;
		return 0;
	}
	return store_cached_flush_poll(st, complete, err, errlen);
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
		argc = store_rra_args(st, step, defs, argv, argc, STORE_ROLLUP_DS + 16);
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
