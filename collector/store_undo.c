/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The undo record of a direct update (data_dir/rrd/.undo): the part of an
 * RRD header an update changes, saved before it, and put back at start
 * when a killed process left the update cut short.
 */
#include "store_int.h"

#include "crc32.h"
#include "errf.h"
#include "log.h"

/* The on-disk header structs of rrd_format.h. */
#define RRD_EXPORT_DEPRECATED
#include <rrd.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
store_undo_tail(int fd, off_t size, uint64_t *off, uint32_t *len)
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

/* Saves the header of path before an update up to ts. 0, or -1 with msg
 * set (the update must not go ahead unguarded). A file that is missing or
 * not an RRD needs no record: librrd fails on it without writing. The
 * file's last update into *last_up when not NULL (-1: not read). */
int
store_undo_save(struct store *st, const char *path, int64_t ts, int64_t *last_up, char *msg,
    size_t len)
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
	    store_undo_tail(fd, sb.st_size, &h.tail_off, &h.tail_len) == -1) {
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
	/* The saved bytes start with live_head_t, last_up first. */
	if (last_up != NULL) {
		live_head_t lh;
		if (h.tail_len >= sizeof lh) {
			memcpy(&lh, st->undo_buf + sizeof h + plen, sizeof lh);
			*last_up = (int64_t)lh.last_up;
		}
	}
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
void
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
	    store_undo_tail(fd, sb.st_size, &off, &tlen) == -1 ||
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
int
store_undo_open(struct store *st, char *err, size_t errlen)
{
	char undo[PATH_MAX + 8];
	int n;

	n = snprintf(undo, sizeof undo, "%s/%s", st->base, STORE_UNDO_NAME);
	if (n < 0 || (size_t)n >= sizeof undo) {
		errf(err, errlen, "%s: path too long", st->base);
		return -1;
	}
	if ((st->undo_fd = open(undo, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640)) == -1) {
		errf(err, errlen, "%s: %s", undo, strerror(errno));
		return -1;
	}
	/* Before any write: an update the last run was killed inside. */
	store_undo_recover(st);
	/* Blocks held in advance, so that a full disk fails the updates that
	 * need new space (creates), not every update for want of a record. */
	if ((n = posix_fallocate(st->undo_fd, 0, STORE_UNDO_PREALLOC)) != 0)
		log_warnx("%s: reserving %d bytes: %s", undo, STORE_UNDO_PREALLOC, strerror(n));
	return 0;
}
