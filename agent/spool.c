/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The agent's spool: samples wait in one append-only file until the
 * collector's ack covers their seq. Each record carries a CRC so that a torn
 * tail or flipped bytes are found at open; the file is rewritten (compacted)
 * once most of it is dead, always through a temp file and a rename.
 *
 * Record, little-endian:
 *	magic u32 | type u8 | version u8 | zero u16 | len u32 | seq u64 |
 *	payload[len] | crc32 u32 (IEEE, over everything before it)
 * Types: SAMPLE (seq, the sample), ACK (seq = acked), DROP (seq = newest
 * dropped, payload = dropped count since creation), META (seq = next_seq,
 * payload = last_acked, dropped; first record of a compacted file after the
 * SID), SID (seq 0, payload = the spool id, u64; first record of a new or
 * compacted file, appended once to a file of an older agent that has none).
 * An older agent skips a SID record as damage: the format stays readable
 * both ways, and a spool that lost its SID just gets a new one.
 * Not thread-safe: the spool has one owner.
 */
#include "spool.h"
#include "log.h"
#include "crc32.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#if defined(__has_include)
#if __has_include(<sys/random.h>)
#include <sys/random.h>
#define HAVE_GETRANDOM 1
#endif
#endif

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SPOOL_TMP_FILE	"spool.tmp"

#define REC_MAGIC	0xa75c0f5eU	/* bytes 5e 0f 5c a7: not text, so rare in JSON */
#define REC_VERSION	1
#define REC_HDR		20
#define REC_TRAILER	4
#define REC_OVERHEAD	(REC_HDR + REC_TRAILER)
#define REC_MAX		(REC_OVERHEAD + SPOOL_PAYLOAD_MAX)

#define REC_SAMPLE	1
#define REC_ACK		2
#define REC_DROP	3
#define REC_META	4
#define REC_SID		5

#define DROP_LEN	8
#define META_LEN	16
#define SID_REC_LEN	8

/* Compact once dead bytes are both most of the file and worth a rewrite:
 * with one sample a minute acked at once that is every couple of hours,
 * which spares the flash of small routers. */
#define COMPACT_MIN_DEAD	(64 * 1024)

struct spool_ent {
	uint64_t	 seq;
	off_t		 off;	/* of the record, not of the payload */
	uint32_t	 len;	/* payload */
};

struct spool {
	char		*dir;
	int		 dirfd;
	int		 fd;
	int		 sync;
	uint64_t	 max_bytes;
	off_t		 end;		/* where the next record goes */
	uint64_t	 live;		/* bytes of the records in the index */

	/* Records waiting for an ack, oldest first: ix[head .. head + n). */
	struct spool_ent *ix;
	size_t		 head, n, cap;

	uint64_t	 next_seq;
	uint64_t	 last_acked;
	uint64_t	 dropped;
	uint64_t	 torn;
	uint64_t	 bad;

	uint64_t	 sid;		/* the spool id, as stored */
	char		 sid_hex[SPOOL_SID_LEN + 1];	/* and as sent */
	int		 nsid;		/* at open: intact SID records read */
	int		 sid_damaged;	/* at open: a damaged record may have been it */

	unsigned char	*rbuf;		/* the record spool_next hands out */
	unsigned char	*wbuf;		/* a sample and its DROP marker */

	long		 test_delay_us;	/* tests only: see spool_append */
};

/* Tests only: a pause inside every sample write, so that a test's SIGKILL
 * can land in the middle of a record. Unset (0) in production. */
#define SPOOL_TEST_DELAY_ENV	"COVMON_TEST_SPOOL_WRITE_DELAY_US"

static void
put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void
put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t
get32(const unsigned char *p)
{
	uint32_t v = 0;

	for (int i = 3; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint64_t
get64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static size_t
rec_size(uint32_t len)
{
	return (size_t)len + REC_OVERHEAD;
}

/* Encodes a record into buf (room for rec_size(len)); returns its size. */
static size_t
rec_encode(unsigned char *buf, int type, uint64_t seq, const void *payload, uint32_t len)
{
	put32(buf, REC_MAGIC);
	buf[4] = (unsigned char)type;
	buf[5] = REC_VERSION;
	buf[6] = buf[7] = 0;
	put32(buf + 8, len);
	put64(buf + 12, seq);
	if (len > 0)
		memcpy(buf + REC_HDR, payload, len);
	put32(buf + REC_HDR + len, crc32_ieee(buf, REC_HDR + (size_t)len));
	return rec_size(len);
}

/* A header that could be real: checked before trusting len, so that a
 * flipped length cannot make the scan read far ahead. */
static int
rec_plausible(const unsigned char *p, size_t avail)
{
	uint32_t len;

	if (avail < REC_HDR || get32(p) != REC_MAGIC || p[5] != REC_VERSION ||
	    p[6] != 0 || p[7] != 0)
		return 0;
	len = get32(p + 8);
	switch (p[4]) {
	case REC_SAMPLE:
		return len <= SPOOL_PAYLOAD_MAX;
	case REC_ACK:
		return len == 0;
	case REC_DROP:
		return len == DROP_LEN;
	case REC_META:
		return len == META_LEN;
	case REC_SID:
		return len == SID_REC_LEN && get64(p + 12) == 0;
	default:
		return 0;
	}
}

/* The size of the whole, intact record at p, or 0 if there is none. */
static size_t
rec_valid(const unsigned char *p, size_t avail)
{
	uint32_t len;

	if (!rec_plausible(p, avail))
		return 0;
	len = get32(p + 8);
	if (avail < rec_size(len))
		return 0;
	if (crc32_ieee(p, REC_HDR + (size_t)len) != get32(p + REC_HDR + len))
		return 0;
	return rec_size(len);
}

/* pread of exactly len bytes; a short file is an error (EIO). */
static int
pread_full(int fd, void *buf, size_t len, off_t off)
{
	unsigned char *p = buf;

	while (len > 0) {
		ssize_t r = pread(fd, p, len, off);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0) {
			errno = EIO;
			return -1;
		}
		p += r;
		len -= (size_t)r;
		off += r;
	}
	return 0;
}

/* pwrite of all len bytes; *done (if not NULL) counts what was written,
 * also on failure. */
static int
pwrite_full(int fd, const void *buf, size_t len, off_t off, size_t *done)
{
	const unsigned char *p = buf;
	size_t n = 0;
	int rc = 0;

	while (n < len) {
		ssize_t w = pwrite(fd, p + n, len - n, off + (off_t)n);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			rc = -1;
			break;
		}
		if (w == 0) {
			errno = EIO;
			rc = -1;
			break;
		}
		n += (size_t)w;
	}
	if (done != NULL)
		*done = n;
	return rc;
}

/* Index: a window over an array, so that acks (from the front) and appends
 * (at the back) are O(1) amortised. */
static int
ix_push(struct spool *sp, uint64_t seq, off_t off, uint32_t len)
{
	if (sp->head + sp->n == sp->cap) {
		if (sp->head > 0 && sp->head >= sp->n) {
			memmove(sp->ix, sp->ix + sp->head, sp->n * sizeof *sp->ix);
			sp->head = 0;
		} else {
			size_t ncap = sp->cap ? sp->cap * 2 : 64;
			struct spool_ent *nix = realloc(sp->ix, ncap * sizeof *nix);
			if (nix == NULL)
				return -1;
			sp->ix = nix;
			sp->cap = ncap;
		}
	}
	sp->ix[sp->head + sp->n] = (struct spool_ent){ seq, off, len };
	sp->n++;
	sp->live += rec_size(len);
	return 0;
}

/* Forgets the records with seq <= upto; returns how many. */
static uint64_t
ix_pop_upto(struct spool *sp, uint64_t upto)
{
	uint64_t k = 0;

	while (sp->n > 0 && sp->ix[sp->head].seq <= upto) {
		sp->live -= rec_size(sp->ix[sp->head].len);
		sp->head++;
		sp->n--;
		k++;
	}
	if (sp->n == 0)
		sp->head = 0;
	return k;
}

static void
ix_remove(struct spool *sp, size_t i)
{
	struct spool_ent *e = &sp->ix[sp->head + i];

	sp->live -= rec_size(e->len);
	memmove(e, e + 1, (sp->n - i - 1) * sizeof *e);
	sp->n--;
}

/*
 * Writes buf at the end of the file. On failure the file is cut back to
 * where it was, so a half-written record is never followed by good ones;
 * *maybe (if not NULL) says whether some of it may still reach the disk.
 */
static int
spool_write_end(struct spool *sp, const void *buf, size_t len, int sync,
    int *maybe, char *err, size_t errlen)
{
	const char *what = "write";
	size_t done;
	int saved;

	if (maybe != NULL)
		*maybe = 0;
	if (pwrite_full(sp->fd, buf, len, sp->end, &done) == -1)
		goto fail;
	what = "fdatasync";
	if (sync && sp->sync && fdatasync(sp->fd) == -1)
		goto fail;
	sp->end += (off_t)len;
	return 0;
fail:
	saved = errno;
	snprintf(err, errlen, "spool %s/%s: %s: %s", sp->dir, SPOOL_DATA_FILE,
	    what, strerror(saved));
	/* A cut that is itself not synced can be undone by a crash. */
	if (maybe != NULL && done > 0)
		*maybe = 1;
	if (ftruncate(sp->fd, sp->end) == -1)
		log_warn("spool %s/%s: truncate after a failed write", sp->dir,
		    SPOOL_DATA_FILE);
	errno = saved;
	return -1;
}

/*
 * Reading at open: a window of the file big enough for any record, moved
 * forward as the scan goes, so open reads the file once whatever its size.
 */
struct scan {
	int		 fd;
	off_t		 size;
	unsigned char	*buf;
	size_t		 cap;
	off_t		 pos;	/* file offset of buf[0] */
	size_t		 len;
};

/* Points *p at offset off with *avail bytes after it: at least want, or
 * all that is left of the file. */
static int
scan_at(struct scan *s, off_t off, size_t want, const unsigned char **p, size_t *avail)
{
	off_t bend = s->pos + (off_t)s->len;

	if (off < s->pos || off > bend ||
	    (bend - off < (off_t)want && bend < s->size)) {
		size_t n = s->cap;
		if ((off_t)n > s->size - off)
			n = (size_t)(s->size - off);
		if (pread_full(s->fd, s->buf, n, off) == -1)
			return -1;
		s->pos = off;
		s->len = n;
		bend = off + (off_t)n;
	}
	*p = s->buf + (off - s->pos);
	*avail = (size_t)(bend - off);
	return 0;
}

/* The offset of the next intact record after a damaged one at from - 1,
 * found by looking for the magic byte by byte; -1 if there is none before
 * the end of the file, -2 on a read error. */
static off_t
scan_resync(struct scan *s, off_t from)
{
	unsigned char magic[4];
	const unsigned char *p, *q;
	size_t avail;
	off_t o = from;

	put32(magic, REC_MAGIC);
	while (s->size - o >= REC_OVERHEAD) {
		if (scan_at(s, o, REC_MAX, &p, &avail) == -1)
			return -2;
		q = memmem(p, avail, magic, sizeof magic);
		if (q == NULL) {
			/* Keep the last 3 bytes: a magic may straddle. */
			o += (off_t)(avail > 3 ? avail - 3 : avail);
			if (avail < sizeof magic)
				break;
			continue;
		}
		o += q - p;
		if (scan_at(s, o, REC_MAX, &p, &avail) == -1)
			return -2;
		if (rec_valid(p, avail) > 0)
			return o;
		o++;
	}
	return -1;
}

/* Applies one intact record read at open; *hi is the highest seq seen in
 * any record but META, whose seq is the next one to give. Returns -1 when
 * out of memory. */
static int
spool_apply(struct spool *sp, const unsigned char *p, off_t off, uint64_t *hi)
{
	uint32_t len = get32(p + 8);
	uint64_t seq = get64(p + 12), before = *hi;
	const unsigned char *pl = p + REC_HDR;

	if (p[4] != REC_META && seq > *hi)
		*hi = seq;
	switch (p[4]) {
	case REC_SAMPLE:
		/* Seqs only grow along the file; one that does not is damage
		 * that the CRC missed, or a sample already acked. */
		if (seq <= before || seq <= sp->last_acked) {
			if (seq > sp->last_acked)
				sp->bad++;
			return 0;
		}
		return ix_push(sp, seq, off, len);
	case REC_ACK:
		if (seq > sp->last_acked) {
			sp->last_acked = seq;
			ix_pop_upto(sp, seq);
		}
		return 0;
	case REC_DROP:
		if (get64(pl) > sp->dropped)
			sp->dropped = get64(pl);
		ix_pop_upto(sp, seq);
		return 0;
	case REC_META:
		if (seq > sp->next_seq)
			sp->next_seq = seq;
		if (get64(pl) > sp->last_acked)
			sp->last_acked = get64(pl);
		if (get64(pl + 8) > sp->dropped)
			sp->dropped = get64(pl + 8);
		ix_pop_upto(sp, sp->last_acked);
		return 0;
	case REC_SID:
		/* Only ever one, but should there be more the last written
		 * is the newest decision; open then rewrites the file. */
		if (sp->nsid > 0 && get64(pl) != sp->sid)
			log_warnx("spool %s/%s: a second spool id at offset %lld; "
			    "the last one is kept", sp->dir, SPOOL_DATA_FILE,
			    (long long)off);
		sp->sid = get64(pl);
		sp->nsid++;
		return 0;
	}
	return 0;
}

/* Reads every record: keeps the waiting samples, skips damaged records,
 * cuts a torn tail. */
static int
spool_load(struct spool *sp, char *err, size_t errlen)
{
	struct scan s = { .fd = sp->fd };
	struct stat st;
	const unsigned char *p;
	size_t avail, n;
	uint64_t hi = 0, want;
	off_t off = 0, next;
	int burnt = 0, burnt_cut = 0;

	if (fstat(sp->fd, &st) == -1) {
		snprintf(err, errlen, "spool %s/%s: fstat: %s", sp->dir,
		    SPOOL_DATA_FILE, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "spool %s/%s: not a regular file", sp->dir,
		    SPOOL_DATA_FILE);
		return -1;
	}
	s.size = st.st_size;
	s.cap = 4 * REC_MAX;
	if ((s.buf = malloc(s.cap)) == NULL) {
		snprintf(err, errlen, "spool %s: out of memory", sp->dir);
		return -1;
	}

	while (off < s.size) {
		if (scan_at(&s, off, REC_MAX, &p, &avail) == -1)
			goto fail_read;
		if ((n = rec_valid(p, avail)) > 0) {
			if (spool_apply(sp, p, off, &hi) == -1) {
				snprintf(err, errlen, "spool %s: out of memory",
				    sp->dir);
				goto fail;
			}
			off += (off_t)n;
			continue;
		}
		/*
		 * A damaged record. If it was a sample whose header still
		 * names the very next seq, that seq may have gone out before
		 * the damage: never hand it out again.
		 */
		want = hi + 1 > sp->next_seq ? hi + 1 : sp->next_seq;
		burnt = rec_plausible(p, avail) && p[4] == REC_SAMPLE &&
		    get64(p + 12) == want;
		/* This agent writes the SID record first; a damaged first
		 * record, or one that still says SID, may have been it. */
		if (off == 0 || (rec_plausible(p, avail) && p[4] == REC_SID))
			sp->sid_damaged = 1;
		if (burnt)
			hi = want;
		next = scan_resync(&s, off + 1);
		if (next == -2)
			goto fail_read;
		if (next == -1) {
			/* Nothing intact after it: a write cut short. */
			log_warnx("spool %s/%s: torn record at offset %lld "
			    "(%lld bytes) discarded", sp->dir, SPOOL_DATA_FILE,
			    (long long)off, (long long)(s.size - off));
			sp->torn++;
			if (ftruncate(sp->fd, off) == -1 ||
			    (sp->sync && fsync(sp->fd) == -1)) {
				snprintf(err, errlen, "spool %s/%s: truncate: %s",
				    sp->dir, SPOOL_DATA_FILE, strerror(errno));
				goto fail;
			}
			s.size = off;
			burnt_cut = burnt;
			break;
		}
		log_warnx("spool %s/%s: damaged record at offset %lld skipped "
		    "(%lld bytes)", sp->dir, SPOOL_DATA_FILE, (long long)off,
		    (long long)(next - off));
		sp->bad++;
		off = next;
	}
	sp->end = s.size;
	if (hi + 1 > sp->next_seq)
		sp->next_seq = hi + 1;
	if (sp->last_acked + 1 > sp->next_seq)
		sp->next_seq = sp->last_acked + 1;
	/* The cut took the only record of the burnt seq: a META record keeps
	 * it, or a second crash before the next append would give it again. */
	if (burnt_cut) {
		unsigned char rec[REC_OVERHEAD + META_LEN], meta[META_LEN];

		put64(meta, sp->last_acked);
		put64(meta + 8, sp->dropped);
		n = rec_encode(rec, REC_META, sp->next_seq, meta, META_LEN);
		if (spool_write_end(sp, rec, n, 1, NULL, err, errlen) == -1)
			goto fail;
	}
	free(s.buf);
	return 0;
fail_read:
	snprintf(err, errlen, "spool %s/%s: read: %s", sp->dir, SPOOL_DATA_FILE,
	    strerror(errno));
fail:
	free(s.buf);
	return -1;
}

/*
 * Compaction: the waiting records go, behind the SID and META records, into
 * a temp file that is fsynced before it is renamed over the data file, and
 * the directory is fsynced after. A crash before the rename leaves the old
 * file whole (the temp file is removed at open); after it, the new one.
 */
int
spool_compact(struct spool *sp, char *err, size_t errlen)
{
	struct spool_ent *nix = NULL;
	unsigned char *buf = NULL, meta[META_LEN], sid[SID_REC_LEN];
	size_t cap = 4 * REC_MAX, blen = 0, k = 0;
	uint64_t live = 0, nbad = 0;
	off_t noff = 0;
	int tfd = -1;
	const char *what = "open";

	tfd = openat(sp->dirfd, SPOOL_TMP_FILE,
	    O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (tfd == -1)
		goto fail_io;
	if ((nix = malloc((sp->n ? sp->n : 1) * sizeof *nix)) == NULL ||
	    (buf = malloc(cap)) == NULL) {
		snprintf(err, errlen, "spool %s: compaction: out of memory", sp->dir);
		goto fail;
	}
	/* The spool id goes along: the same samples, the same seqs, so the
	 * same sequence for the collector. */
	put64(sid, sp->sid);
	blen = rec_encode(buf, REC_SID, 0, sid, SID_REC_LEN);
	put64(meta, sp->last_acked);
	put64(meta + 8, sp->dropped);
	blen += rec_encode(buf + blen, REC_META, sp->next_seq, meta, META_LEN);

	for (size_t i = 0; i < sp->n; i++) {
		const struct spool_ent *e = &sp->ix[sp->head + i];
		size_t rl = rec_size(e->len);

		if (blen + rl > cap) {
			what = "write";
			if (pwrite_full(tfd, buf, blen, noff, NULL) == -1)
				goto fail_io;
			noff += (off_t)blen;
			blen = 0;
		}
		what = "read";
		if (pread_full(sp->fd, buf + blen, rl, e->off) == -1)
			goto fail_io;
		/* Checked again: disks rot, and a bad copy would be kept. */
		if (rec_valid(buf + blen, rl) != rl || buf[blen + 4] != REC_SAMPLE ||
		    get64(buf + blen + 12) != e->seq) {
			log_warnx("spool %s/%s: record seq %" PRIu64 " damaged "
			    "since open, dropped", sp->dir, SPOOL_DATA_FILE, e->seq);
			nbad++;
			continue;
		}
		nix[k++] = (struct spool_ent){ e->seq, noff + (off_t)blen, e->len };
		live += rl;
		blen += rl;
	}
	what = "write";
	if (pwrite_full(tfd, buf, blen, noff, NULL) == -1)
		goto fail_io;
	noff += (off_t)blen;
	what = "fsync";
	if (sp->sync && fsync(tfd) == -1)
		goto fail_io;
	what = "rename";
	if (renameat(sp->dirfd, SPOOL_TMP_FILE, sp->dirfd, SPOOL_DATA_FILE) == -1)
		goto fail_io;

	/* The new file is the spool now, whatever follows. */
	if (close(sp->fd) == -1)
		log_warn("spool %s: close of the old file", sp->dir);
	sp->fd = tfd;
	free(sp->ix);
	sp->ix = nix;
	sp->head = 0;
	sp->n = k;
	sp->cap = sp->n ? sp->n : 1;
	sp->live = live;
	sp->end = noff;
	sp->bad += nbad;
	free(buf);
	if (sp->sync && fsync(sp->dirfd) == -1) {
		snprintf(err, errlen, "spool %s: fsync of the directory: %s",
		    sp->dir, strerror(errno));
		return -1;
	}
	return 0;

fail_io:
	snprintf(err, errlen, "spool %s/%s: compaction: %s: %s", sp->dir,
	    SPOOL_TMP_FILE, what, strerror(errno));
fail:
	free(buf);
	free(nix);
	if (tfd != -1) {
		close(tfd);
		unlinkat(sp->dirfd, SPOOL_TMP_FILE, 0);
	}
	return -1;
}

static void
spool_maybe_compact(struct spool *sp)
{
	char err[256];
	off_t dead = sp->end - (off_t)sp->live;

	/* Dead bytes past half the file, or a file past its bound by a
	 * quarter: an operator reads spool_max_mb as the disk it may take. */
	if (dead < COMPACT_MIN_DEAD ||
	    (dead <= sp->end / 2 &&
	    (uint64_t)sp->end <= sp->max_bytes + sp->max_bytes / 4))
		return;
	/* The old file is still whole: carry on and try again later. */
	if (spool_compact(sp, err, sizeof err) == -1)
		log_warnx("%s", err);
}

/* How many of the oldest records go so that extra more bytes fit. */
static size_t
spool_over(const struct spool *sp, uint64_t extra)
{
	uint64_t b = sp->live + extra;
	size_t k = 0;

	while (k < sp->n && b > sp->max_bytes) {
		b -= rec_size(sp->ix[sp->head + k].len);
		k++;
	}
	return k;
}

/* Records that the oldest k are dropped; the DROP record goes into buf. */
static size_t
spool_drop_rec(const struct spool *sp, size_t k, unsigned char *buf)
{
	unsigned char pl[DROP_LEN];

	put64(pl, sp->dropped + k);
	return rec_encode(buf, REC_DROP, sp->ix[sp->head + k - 1].seq, pl, DROP_LEN);
}

static void
spool_drop(struct spool *sp, size_t k)
{
	uint64_t upto = sp->ix[sp->head + k - 1].seq;

	sp->dropped += ix_pop_upto(sp, upto);
}

/*
 * 64 random bits for a new spool id: unique is what matters (two spools of
 * one agent must never share an id), not secret. Returns 0, or -1 with err.
 */
static int
sid_random(uint64_t *v, char *err, size_t errlen)
{
	unsigned char b[8];
	struct timespec ts;
	size_t n = 0;
	ssize_t r;
	int fd;

#ifdef HAVE_GETRANDOM
	/* Not blocking: early at boot an old kernel's pool may not be ready
	 * yet, and the agent must not hang there. */
	while ((r = getrandom(b, sizeof b, GRND_NONBLOCK)) == -1 && errno == EINTR)
		;
	if (r == (ssize_t)sizeof b) {
		*v = get64(b);
		return 0;
	}
#endif
	if ((fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "no random source for a spool id: "
		    "/dev/urandom: %s", strerror(errno));
		return -1;
	}
	while (n < sizeof b) {
		if ((r = read(fd, b + n, sizeof b - n)) == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(err, errlen, "no random source for a spool id: "
			    "/dev/urandom: %s", r == 0 ? "end of file" : strerror(errno));
			close(fd);
			return -1;
		}
		n += (size_t)r;
	}
	close(fd);
	/* urandom may not be seeded yet either: the clock and the pid keep
	 * routers that booted alike apart. */
	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		ts.tv_sec = ts.tv_nsec = 0;
	*v = get64(b) ^ ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) ^
	    ((uint64_t)getpid() << 40);
	return 0;
}

static void
spool_sid_set(struct spool *sp, uint64_t v)
{
	sp->sid = v;
	snprintf(sp->sid_hex, sizeof sp->sid_hex, "%016" PRIx64, v);
}

/* Gives the spool a new id and records it, fsynced: samples go out under
 * it, so it must be the one found at the next open. */
static int
spool_sid_new(struct spool *sp, char *err, size_t errlen)
{
	unsigned char rec[REC_OVERHEAD + SID_REC_LEN], pl[SID_REC_LEN];
	uint64_t v;
	size_t n;

	if (sid_random(&v, err, errlen) == -1)
		return -1;
	put64(pl, v);
	n = rec_encode(rec, REC_SID, 0, pl, SID_REC_LEN);
	if (spool_write_end(sp, rec, n, 1, NULL, err, errlen) == -1)
		return -1;
	spool_sid_set(sp, v);
	return 0;
}

/*
 * After the load: every spool has exactly one id. A new file gets one as
 * its first record; a file of an older agent, or one whose SID record is
 * unreadable, gets a new one appended. A new id is always safe (the
 * collector starts a new sequence for it); guessing the old one is not.
 */
static int
spool_sid_load(struct spool *sp, char *err, size_t errlen)
{
	char cerr[256];
	int fresh = sp->end == 0;

	if (sp->nsid > 0) {
		spool_sid_set(sp, sp->sid);
		if (sp->nsid == 1)
			return 0;
	} else {
		if (spool_sid_new(sp, err, errlen) == -1)
			return -1;
		if (fresh)
			log_info("spool %s: new spool %s", sp->dir, sp->sid_hex);
		else if (sp->sid_damaged)
			log_warnx("spool %s: spool id unreadable (damaged record); "
			    "this spool is now %s", sp->dir, sp->sid_hex);
		else
			log_info("spool %s: no spool id (written by an older "
			    "agent); this spool is now %s", sp->dir, sp->sid_hex);
		if (fresh || !sp->sid_damaged)
			return 0;
	}
	/* A damaged or second SID record would be met at every open: the
	 * rewrite leaves one. If it fails the id above still holds. */
	if (spool_compact(sp, cerr, sizeof cerr) == -1)
		log_warnx("%s", cerr);
	return 0;
}

int
spool_open(struct spool **spp, const char *dir, uint64_t max_bytes, char *err, size_t errlen)
{
	struct spool *sp;
	const char *e;
	size_t k;

	*spp = NULL;
	if (max_bytes < rec_size(0) + 1) {
		snprintf(err, errlen, "spool %s: size limit of %" PRIu64 " bytes "
		    "is too small", dir, max_bytes);
		return -1;
	}
	if ((sp = calloc(1, sizeof *sp)) == NULL ||
	    (sp->dir = strdup(dir)) == NULL) {
		free(sp);
		snprintf(err, errlen, "spool %s: out of memory", dir);
		return -1;
	}
	sp->dirfd = sp->fd = -1;
	sp->sync = 1;
	if ((e = getenv(SPOOL_TEST_DELAY_ENV)) != NULL && *e != '\0') {
		sp->test_delay_us = strtol(e, NULL, 10);
		if (sp->test_delay_us < 0 || sp->test_delay_us > 10000000)
			sp->test_delay_us = 0;
		log_warnx("spool %s: %s=%ld: every sample write is cut in two by a "
		    "pause (a test setting)", dir, SPOOL_TEST_DELAY_ENV, sp->test_delay_us);
	}
	sp->max_bytes = max_bytes;
	sp->next_seq = 1;
	if ((sp->rbuf = malloc(REC_MAX)) == NULL ||
	    (sp->wbuf = malloc(REC_MAX + rec_size(DROP_LEN))) == NULL) {
		snprintf(err, errlen, "spool %s: out of memory", dir);
		goto fail;
	}

	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "spool %s: mkdir: %s", dir, strerror(errno));
		goto fail;
	}
	if ((sp->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "spool %s: %s", dir, strerror(errno));
		goto fail;
	}
	/* Two writers would interleave records and reuse seqs. */
	if (flock(sp->dirfd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK)
			snprintf(err, errlen, "spool %s: in use by another process", dir);
		else
			snprintf(err, errlen, "spool %s: flock: %s", dir, strerror(errno));
		goto fail;
	}
	/* Left by a compaction that did not reach its rename. */
	if (unlinkat(sp->dirfd, SPOOL_TMP_FILE, 0) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "spool %s/%s: unlink: %s", dir,
		    SPOOL_TMP_FILE, strerror(errno));
		goto fail;
	}
	sp->fd = openat(sp->dirfd, SPOOL_DATA_FILE,
	    O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (sp->fd == -1) {
		snprintf(err, errlen, "spool %s/%s: %s", dir, SPOOL_DATA_FILE,
		    strerror(errno));
		goto fail;
	}
	/* A new file's name must be on disk before its first fsynced sample. */
	if (fsync(sp->dirfd) == -1) {
		snprintf(err, errlen, "spool %s: fsync: %s", dir, strerror(errno));
		goto fail;
	}
	if (spool_load(sp, err, errlen) == -1)
		goto fail;
	if (spool_sid_load(sp, err, errlen) == -1)
		goto fail;

	/* The limit may have shrunk since the last run. */
	if ((k = spool_over(sp, 0)) > 0) {
		size_t len = spool_drop_rec(sp, k, sp->wbuf);
		if (spool_write_end(sp, sp->wbuf, len, 1, NULL, err, errlen) == -1)
			goto fail;
		spool_drop(sp, k);
		log_warnx("spool %s: %zu oldest samples dropped to fit in %" PRIu64
		    " bytes", dir, k, max_bytes);
	}
	spool_maybe_compact(sp);
	*spp = sp;
	return 0;
fail:
	spool_close(sp);
	return -1;
}

void
spool_close(struct spool *sp)
{
	if (sp == NULL)
		return;
	if (sp->fd != -1)
		close(sp->fd);
	if (sp->dirfd != -1)
		close(sp->dirfd);	/* and with it the lock */
	free(sp->ix);
	free(sp->rbuf);
	free(sp->wbuf);
	free(sp->dir);
	free(sp);
}

uint64_t
spool_append(struct spool *sp, const void *data, size_t len, char *err, size_t errlen)
{
	uint64_t seq = sp->next_seq;
	size_t k, blen;
	int maybe;

	if (len > SPOOL_PAYLOAD_MAX || rec_size((uint32_t)len) > sp->max_bytes) {
		snprintf(err, errlen, "spool %s: sample of %zu bytes does not fit "
		    "(at most %d, and a record within %" PRIu64 " bytes)", sp->dir,
		    len, SPOOL_PAYLOAD_MAX, sp->max_bytes);
		return 0;
	}
	k = spool_over(sp, rec_size((uint32_t)len));
	blen = rec_encode(sp->wbuf, REC_SAMPLE, seq, data, (uint32_t)len);
	/* The sample and the drop it causes go in one write: either both or
	 * neither, or a torn DROP that the next open redoes. */
	if (k > 0)
		blen += spool_drop_rec(sp, k, sp->wbuf + blen);
	/* Tests only: a write of a few hundred bytes is never cut by a signal,
	 * so the first half goes out alone, then a pause; the write below
	 * writes the whole record over it (or cuts the file back). */
	if (sp->test_delay_us > 0) {
		struct timespec ts = { sp->test_delay_us / 1000000,
		    (sp->test_delay_us % 1000000) * 1000 };
		(void)pwrite_full(sp->fd, sp->wbuf, blen / 2, sp->end, NULL);
		while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
			;
	}
	if (spool_write_end(sp, sp->wbuf, blen, 1, &maybe, err, errlen) == -1) {
		/* If some of it may come back after a crash, burn the seq so
		 * that it can never name two samples. A full disk that took
		 * nothing leaves no gap. */
		if (maybe)
			sp->next_seq++;
		return 0;
	}
	sp->next_seq++;
	if (k > 0)
		spool_drop(sp, k);
	if (ix_push(sp, seq, sp->end - (off_t)blen, (uint32_t)len) == -1) {
		/* On disk, so not lost: the next open finds it. */
		snprintf(err, errlen, "spool %s: out of memory", sp->dir);
		return 0;
	}
	spool_maybe_compact(sp);
	return seq;
}

int
spool_ack(struct spool *sp, uint64_t acked)
{
	static struct log_limit lim = LOG_LIMIT_INIT(3, 3600);
	unsigned char rec[REC_OVERHEAD];
	char err[256];
	int rc = 0;

	/* The collector never acks a seq it has not stored; a larger one
	 * means another spool's history, and must not push last_acked past
	 * the seqs still to come. */
	if (acked >= sp->next_seq) {
		log_limited(&lim, "spool %s: ack of seq %" PRIu64 " beyond the "
		    "last seq given (%" PRIu64 ")", sp->dir, acked, sp->next_seq - 1);
		acked = sp->next_seq - 1;
	}
	if (acked <= sp->last_acked)
		return 0;
	sp->last_acked = acked;
	ix_pop_upto(sp, acked);
	/* Not fsynced: a lost ack marker only means samples sent again, and
	 * the next sample's fdatasync carries it to disk anyway. */
	rec_encode(rec, REC_ACK, acked, NULL, 0);
	if (spool_write_end(sp, rec, sizeof rec, 0, NULL, err, sizeof err) == -1) {
		log_warnx("%s", err);
		rc = -1;
	}
	spool_maybe_compact(sp);
	return rc;
}

int
spool_next(struct spool *sp, uint64_t after, uint64_t *seq, uint64_t *prev,
    const void **data, size_t *len)
{
	size_t lo = 0, hi = sp->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (sp->ix[sp->head + mid].seq <= after)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo < sp->n) {
		const struct spool_ent *e = &sp->ix[sp->head + lo];
		size_t rl = rec_size(e->len);

		if (pread_full(sp->fd, sp->rbuf, rl, e->off) == -1) {
			log_warn("spool %s/%s: read of seq %" PRIu64, sp->dir,
			    SPOOL_DATA_FILE, e->seq);
			return 0;
		}
		if (rec_valid(sp->rbuf, rl) == rl && sp->rbuf[4] == REC_SAMPLE &&
		    get64(sp->rbuf + 12) == e->seq) {
			*seq = e->seq;
			*prev = lo > 0 ? sp->ix[sp->head + lo - 1].seq : sp->last_acked;
			*data = sp->rbuf + REC_HDR;
			*len = e->len;
			return 1;
		}
		/* Damaged since open: it can never be sent intact. */
		log_warnx("spool %s/%s: record seq %" PRIu64 " damaged since open, "
		    "dropped", sp->dir, SPOOL_DATA_FILE, e->seq);
		sp->bad++;
		ix_remove(sp, lo);
	}
	return 0;
}

void
spool_stats(const struct spool *sp, struct spool_stats *st)
{
	st->depth = sp->n;
	st->bytes = sp->live;
	st->dropped = sp->dropped;
	st->torn = sp->torn;
	st->bad = sp->bad;
	st->last_acked = sp->last_acked;
	st->next_seq = sp->next_seq;
}

int
spool_renew_sid(struct spool *sp, char *err, size_t errlen)
{
	char cerr[256];

	if (spool_sid_new(sp, err, errlen) == -1)
		return -1;
	/* Two SID records would be met, and warned of, at every open. */
	if (spool_compact(sp, cerr, sizeof cerr) == -1)
		log_warnx("%s", cerr);
	return 0;
}

const char *
spool_sid(const struct spool *sp)
{
	return sp->sid_hex;
}

void
spool_set_sync(struct spool *sp, int sync)
{
	sp->sync = sync;
}
