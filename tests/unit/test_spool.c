/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The agent's spool (agent/spool.c): round trips, seqs across restarts,
 * torn tails, flipped bytes, the size bound, a big backlog, and the spool
 * id (kept, carried by compaction, new after a wipe or damage). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testlib.h"

#include <sys/resource.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sample.h"
#include "spool.h"

#define MB	(1024 * 1024)

/* The record layout (agent/spool.c), for the tests that craft files. */
#define REC_SID		5
#define SID_REC		(24 + 8)	/* a whole SID record */

struct fixture {
	char	base[256];
	char	dir[512];	/* the spool, created by spool_open */
	char	data[1024];
};

/* tmpfs when there is one: the spool fsyncs every sample. */
static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	const char *root = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

	assert_non_null(f);
	snprintf(f->base, sizeof f->base, "%s/covmon-spool-XXXXXX", root);
	assert_non_null(mkdtemp(f->base));
	snprintf(f->dir, sizeof f->dir, "%s/spool", f->base);
	snprintf(f->data, sizeof f->data, "%s/%s", f->dir, SPOOL_DATA_FILE);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	int rc;

	rc = tl_rmtree(f->base);
	free(f);
	return rc;
}

/* Text, like the JSON samples, so never the record magic. */
static size_t
payload(uint64_t seq, char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)('a' + (seq * 7 + i) % 26);
	return len;
}

static size_t
payload_len(uint64_t seq)
{
	return 100 + seq % 400;
}

static struct spool *
open_ok(const struct fixture *f, uint64_t max_bytes)
{
	struct spool *sp;
	char err[256] = "";

	if (spool_open(&sp, f->dir, max_bytes, err, sizeof err) == -1)
		fail_msg("spool_open: %s", err);
	return sp;
}

static uint64_t
append_ok(struct spool *sp, uint64_t expect)
{
	char buf[1024], err[256] = "";
	size_t len = payload(expect, buf, payload_len(expect));
	uint64_t seq = spool_append(sp, buf, len, err, sizeof err);

	if (seq == 0)
		fail_msg("spool_append: %s", err);
	assert_int_equal(seq, expect);
	return seq;
}

/* Every waiting record, checked against its payload and against the prev
 * rule; returns how many, seqs into out (if not NULL). */
static size_t
walk(struct spool *sp, uint64_t *out, size_t max)
{
	struct spool_stats st;
	uint64_t after = 0, seq, prev, last = 0;
	const void *data;
	size_t len, n = 0;
	char want[SPOOL_PAYLOAD_MAX];

	spool_stats(sp, &st);
	while (spool_next(sp, after, &seq, &prev, &data, &len)) {
		assert_true(seq > after);
		assert_int_equal(len, payload_len(seq));
		payload(seq, want, len);
		assert_memory_equal(data, want, len);
		assert_int_equal(prev, n == 0 ? st.last_acked : last);
		if (out != NULL && n < max)
			out[n] = seq;
		last = after = seq;
		n++;
	}
	spool_stats(sp, &st);
	assert_int_equal(n, st.depth);
	return n;
}

static unsigned char *
read_file(const char *path, size_t *len)
{
	struct stat st;
	unsigned char *buf;
	int fd = open(path, O_RDONLY);

	assert_int_not_equal(fd, -1);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

static off_t
file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static void
test_roundtrip(void **state)
{
	struct fixture *f = *state;
	struct spool *sp = open_ok(f, MB);
	struct spool_stats st;
	uint64_t seq, prev;
	const void *data;
	size_t len;
	struct stat dst;

	assert_int_equal(stat(f->dir, &dst), 0);
	assert_int_equal(dst.st_mode & 0777, 0700);
	spool_stats(sp, &st);
	assert_int_equal(st.next_seq, 1);
	assert_int_equal(st.last_acked, 0);
	assert_int_equal(st.depth, 0);
	assert_int_equal(spool_next(sp, 0, &seq, &prev, &data, &len), 0);

	for (uint64_t i = 1; i <= 3; i++)
		append_ok(sp, i);
	assert_int_equal(spool_next(sp, 0, &seq, &prev, &data, &len), 1);
	assert_int_equal(seq, 1);
	assert_int_equal(prev, 0);
	assert_int_equal(spool_next(sp, 1, &seq, &prev, &data, &len), 1);
	assert_int_equal(seq, 2);
	assert_int_equal(prev, 1);
	assert_int_equal(spool_next(sp, 3, &seq, &prev, &data, &len), 0);

	assert_int_equal(spool_ack(sp, 2), 0);
	assert_int_equal(spool_next(sp, 0, &seq, &prev, &data, &len), 1);
	assert_int_equal(seq, 3);
	assert_int_equal(prev, 2);
	spool_stats(sp, &st);
	assert_int_equal(st.depth, 1);
	assert_int_equal(st.bytes, 24 + payload_len(3));
	assert_int_equal(st.last_acked, 2);
	/* Old and repeated acks change nothing. */
	assert_int_equal(spool_ack(sp, 1), 0);
	assert_int_equal(spool_ack(sp, 2), 0);
	spool_stats(sp, &st);
	assert_int_equal(st.depth, 1);
	assert_int_equal(st.last_acked, 2);
	spool_close(sp);

	sp = open_ok(f, MB);
	spool_stats(sp, &st);
	assert_int_equal(st.last_acked, 2);
	assert_int_equal(st.next_seq, 4);
	assert_int_equal(st.torn, 0);
	assert_int_equal(st.bad, 0);
	assert_int_equal(walk(sp, NULL, 0), 1);
	append_ok(sp, 4);
	spool_close(sp);
}

static void
test_seq_across_reopen(void **state)
{
	struct fixture *f = *state;
	struct spool *sp;
	struct spool_stats st;
	char err[256];
	uint64_t next = 1;

	for (int run = 0; run < 5; run++) {
		sp = open_ok(f, MB);
		for (int i = 0; i < 7; i++)
			append_ok(sp, next++);
		spool_close(sp);
	}
	sp = open_ok(f, MB);
	assert_int_equal(walk(sp, NULL, 0), 35);
	/* Every sample acked and the file rewritten: only the META record
	 * remembers where the seqs were (after the SID record). */
	assert_int_equal(spool_ack(sp, next - 1), 0);
	assert_int_equal(spool_compact(sp, err, sizeof err), 0);
	assert_int_equal(file_size(f->data), SID_REC + 40);
	spool_close(sp);

	sp = open_ok(f, MB);
	spool_stats(sp, &st);
	assert_int_equal(st.depth, 0);
	assert_int_equal(st.next_seq, next);
	assert_int_equal(st.last_acked, next - 1);
	append_ok(sp, next++);
	assert_int_equal(walk(sp, NULL, 0), 1);
	/* Compact an already compacted spool, twice, then reopen. */
	assert_int_equal(spool_compact(sp, err, sizeof err), 0);
	assert_int_equal(spool_compact(sp, err, sizeof err), 0);
	spool_close(sp);
	sp = open_ok(f, MB);
	spool_stats(sp, &st);
	assert_int_equal(st.next_seq, next);
	assert_int_equal(st.last_acked, next - 2);
	assert_int_equal(walk(sp, NULL, 0), 1);
	append_ok(sp, next++);
	spool_close(sp);
}

/* Acked samples fed one by one: the file is compacted by itself and
 * stays small. */
static void
test_auto_compaction(void **state)
{
	struct fixture *f = *state;
	struct spool *sp = open_ok(f, MB);
	struct spool_stats st;
	uint64_t seq;

	for (seq = 1; seq <= 2000; seq++) {
		append_ok(sp, seq);
		if (seq % 3 == 0)
			assert_int_equal(spool_ack(sp, seq - 1), 0);
		assert_true(file_size(f->data) < 200 * 1024);
	}
	spool_stats(sp, &st);
	assert_int_equal(st.depth, 3);
	spool_close(sp);
	sp = open_ok(f, MB);
	spool_stats(sp, &st);
	assert_int_equal(st.next_seq, 2001);
	assert_int_equal(st.last_acked, 1997);
	assert_int_equal(walk(sp, NULL, 0), 3);
	spool_close(sp);
}

static void
test_prev_after_overflow(void **state)
{
	struct fixture *f = *state;
	/* Room for 5 records of the sizes used by seqs 1..30. */
	uint64_t max = 0;
	struct spool *sp;
	struct spool_stats st;
	uint64_t seqs[64];
	size_t n;

	for (uint64_t s = 26; s <= 30; s++)
		max += 24 + payload_len(s);
	sp = open_ok(f, max);
	for (uint64_t s = 1; s <= 30; s++)
		append_ok(sp, s);
	spool_stats(sp, &st);
	assert_true(st.bytes <= max);
	assert_int_equal(st.depth, 5);
	assert_int_equal(st.dropped, 25);
	/* walk() checks the first prev is last_acked (0), not a dropped seq. */
	n = walk(sp, seqs, 64);
	assert_int_equal(n, 5);
	assert_int_equal(seqs[0], 26);
	assert_int_equal(seqs[4], 30);

	assert_int_equal(spool_ack(sp, 27), 0);
	assert_int_equal(walk(sp, seqs, 64), 3);
	assert_int_equal(seqs[0], 28);
	spool_close(sp);

	sp = open_ok(f, max);
	spool_stats(sp, &st);
	assert_int_equal(st.dropped, 25);
	assert_int_equal(st.last_acked, 27);
	assert_int_equal(st.next_seq, 31);
	assert_int_equal(walk(sp, seqs, 64), 3);
	assert_int_equal(seqs[0], 28);
	spool_close(sp);

	/* A smaller limit at the next start drops more, and counts them. */
	sp = open_ok(f, 24 + payload_len(30));
	spool_stats(sp, &st);
	assert_int_equal(st.dropped, 27);
	assert_int_equal(walk(sp, seqs, 64), 1);
	assert_int_equal(seqs[0], 30);
	spool_close(sp);
	sp = open_ok(f, 24 + payload_len(30));
	spool_stats(sp, &st);
	assert_int_equal(st.dropped, 27);
	assert_int_equal(st.depth, 1);
	spool_close(sp);
}

static void
test_bound(void **state)
{
	struct fixture *f = *state;
	const uint64_t max = 16 * 1024;
	struct spool *sp = open_ok(f, max);
	struct spool_stats st;
	uint64_t seqs[256];
	size_t n;
	char big[SPOOL_PAYLOAD_MAX + 1], err[256];

	for (uint64_t s = 1; s <= 1000; s++) {
		append_ok(sp, s);
		spool_stats(sp, &st);
		assert_true(st.bytes <= max);
	}
	spool_stats(sp, &st);
	n = walk(sp, seqs, 256);
	assert_true(n > 10 && n < 256);
	assert_int_equal(seqs[n - 1], 1000);
	assert_int_equal(seqs[0], 1000 - n + 1);
	assert_int_equal(st.dropped, 1000 - n);
	/* Larger than the spool: refused, not an excuse to drop it all. */
	memset(big, 'x', sizeof big);
	assert_int_equal(spool_append(sp, big, 17000, err, sizeof err), 0);
	assert_int_equal(spool_append(sp, big, sizeof big, err, sizeof err), 0);
	spool_stats(sp, &st);
	assert_int_equal(st.depth, n);
	spool_close(sp);

	sp = open_ok(f, max);
	spool_stats(sp, &st);
	assert_int_equal(st.depth, n);
	assert_int_equal(st.dropped, 1000 - n);
	assert_true(st.bytes <= max);
	/* Dead bytes of the dropped samples were reclaimed on the way. */
	assert_true(file_size(f->data) < 4 * (off_t)max + 64 * 1024);
	spool_close(sp);
}

/* A long outage: the file on disk stays near the bound too, not only the
 * samples waiting. */
static void
test_disk_bound(void **state)
{
	struct fixture *f = *state;
	const uint64_t max = MB;
	struct spool *sp = open_ok(f, max);
	struct spool_stats st;

	for (uint64_t s = 1; s <= 20000; s++) {
		append_ok(sp, s);
		assert_true((uint64_t)file_size(f->data) <= max + max / 4 + 64 * 1024);
	}
	spool_stats(sp, &st);
	assert_true(st.bytes <= max);
	assert_true(st.dropped > 10000);
	spool_close(sp);
}

/* Cut the file at every byte of its last record, as a crash in the
 * middle of the write would. */
static void
test_torn_tail(void **state)
{
	struct fixture *f = *state;
	const uint64_t N = 6;
	struct spool *sp = open_ok(f, MB);
	struct spool_stats st;
	unsigned char *orig;
	size_t olen, start;
	uint64_t seqs[16];
	char err[256];

	for (uint64_t s = 1; s < N; s++)
		append_ok(sp, s);
	spool_close(sp);
	start = (size_t)file_size(f->data);
	sp = open_ok(f, MB);
	append_ok(sp, N);
	spool_close(sp);
	orig = read_file(f->data, &olen);
	assert_int_equal(olen, start + 24 + payload_len(N));

	for (size_t cut = start + 1; cut < olen; cut++) {
		tl_write_bytes(f->data, orig, cut);
		sp = open_ok(f, MB);
		spool_stats(sp, &st);
		assert_int_equal(st.depth, N - 1);
		assert_int_equal(st.torn, 1);
		assert_int_equal(st.bad, 0);
		/* The torn record is cut; a whole header's seq is kept in a
		 * META record (24 + 16 bytes) in its place. */
		assert_int_equal(file_size(f->data), (off_t)start + (cut >= start + 20 ? 40 : 0));
		/* A seq in a whole header may have gone out: not reused. */
		assert_int_equal(st.next_seq, cut >= start + 20 ? N + 1 : N);
		assert_int_equal(walk(sp, seqs, 16), N - 1);
		assert_int_equal(seqs[N - 2], N - 1);
		spool_close(sp);
		/* Not even after a second crash before the next append. */
		sp = open_ok(f, MB);
		spool_stats(sp, &st);
		assert_int_equal(st.torn, 0);
		assert_int_equal(st.depth, N - 1);
		assert_int_equal(st.next_seq, cut >= start + 20 ? N + 1 : N);
		append_ok(sp, st.next_seq);
		spool_close(sp);

		sp = open_ok(f, MB);
		spool_stats(sp, &st);
		assert_int_equal(st.depth, N);
		assert_int_equal(st.torn, 0);
		assert_int_equal(walk(sp, NULL, 0), N);
		spool_close(sp);
	}

	/* The burnt seq is in no record: the compacted file must still
	 * remember it. */
	tl_write_bytes(f->data, orig, olen - 1);
	sp = open_ok(f, MB);
	assert_int_equal(spool_ack(sp, N - 1), 0);
	assert_int_equal(spool_compact(sp, err, sizeof err), 0);
	spool_close(sp);
	sp = open_ok(f, MB);
	spool_stats(sp, &st);
	assert_int_equal(st.depth, 0);
	assert_int_equal(st.next_seq, N + 1);
	append_ok(sp, N + 1);
	spool_close(sp);
	/* And a torn sample right after the META record is burnt too. */
	assert_int_equal(truncate(f->data, file_size(f->data) - 1), 0);
	sp = open_ok(f, MB);
	spool_stats(sp, &st);
	assert_int_equal(st.torn, 1);
	assert_int_equal(st.depth, 0);
	assert_int_equal(st.next_seq, N + 2);
	spool_close(sp);
	free(orig);
}

/* Build a spool of N records; returns the file and each record's offset. */
static unsigned char *
make_spool(const struct fixture *f, uint64_t n, size_t *off, size_t *olen)
{
	struct spool *sp = open_ok(f, MB);

	for (uint64_t s = 1; s <= n; s++) {
		off[s - 1] = (size_t)file_size(f->data);
		append_ok(sp, s);
	}
	spool_close(sp);
	off[n] = (size_t)file_size(f->data);
	return read_file(f->data, olen);
}

static void
test_flipped_middle(void **state)
{
	struct fixture *f = *state;
	const uint64_t N = 5, victim = 3;
	size_t off[8], olen;
	unsigned char *orig = make_spool(f, N, off, &olen), *buf = malloc(olen);
	const unsigned char masks[] = { 0xff, 0x01, 0x80 };
	struct spool *sp;
	struct spool_stats st;
	uint64_t seqs[16];

	assert_non_null(buf);
	for (size_t m = 0; m < sizeof masks; m++) {
		for (size_t i = off[victim - 1]; i < off[victim]; i++) {
			memcpy(buf, orig, olen);
			buf[i] ^= masks[m];
			tl_write_bytes(f->data, buf, olen);
			sp = open_ok(f, MB);
			spool_stats(sp, &st);
			assert_int_equal(st.bad, 1);
			assert_int_equal(st.torn, 0);
			assert_int_equal(st.depth, N - 1);
			assert_int_equal(st.next_seq, N + 1);
			assert_int_equal(walk(sp, seqs, 16), N - 1);
			assert_int_equal(seqs[0], 1);
			assert_int_equal(seqs[1], 2);
			assert_int_equal(seqs[2], 4);
			assert_int_equal(seqs[3], 5);
			spool_close(sp);
		}
	}
	free(buf);
	free(orig);
}

/* The last record damaged, with nothing after it: a torn tail. */
static void
test_flipped_last(void **state)
{
	struct fixture *f = *state;
	const uint64_t N = 4;
	size_t off[8], olen;
	unsigned char *orig = make_spool(f, N, off, &olen), *buf = malloc(olen);
	struct spool *sp;
	struct spool_stats st;

	assert_non_null(buf);
	for (size_t i = off[N - 1]; i < olen; i++) {
		memcpy(buf, orig, olen);
		buf[i] ^= 0x10;
		tl_write_bytes(f->data, buf, olen);
		sp = open_ok(f, MB);
		spool_stats(sp, &st);
		assert_int_equal(st.torn, 1);
		assert_int_equal(st.depth, N - 1);
		assert_true(st.next_seq >= N);
		assert_int_equal(walk(sp, NULL, 0), N - 1);
		spool_close(sp);
	}
	free(buf);
	free(orig);
}

/* Random damage anywhere, including acks and drops: never a crash or a
 * hang, and what comes out is intact (walk() checks every payload). */
static void
test_random_damage(void **state)
{
	struct fixture *f = *state;
	struct spool *sp = open_ok(f, 8 * 1024);
	unsigned char *orig, *buf;
	size_t olen;
	struct spool_stats st;
	unsigned seed = 12345;

	for (uint64_t s = 1; s <= 60; s++) {
		append_ok(sp, s);
		if (s % 7 == 0)
			assert_int_equal(spool_ack(sp, s - 3), 0);
	}
	spool_close(sp);
	orig = read_file(f->data, &olen);
	buf = malloc(olen + 64);
	assert_non_null(buf);

	for (int iter = 0; iter < 300; iter++) {
		size_t len = olen;
		int kind = rand_r(&seed) % 3;

		memcpy(buf, orig, olen);
		if (kind == 0) {
			for (int k = 1 + rand_r(&seed) % 8; k > 0; k--)
				buf[(size_t)rand_r(&seed) % olen] = (unsigned char)rand_r(&seed);
		} else if (kind == 1) {
			size_t at = (size_t)rand_r(&seed) % olen;
			size_t n = 1 + (size_t)rand_r(&seed) % 600;
			if (at + n > olen)
				n = olen - at;
			memset(buf + at, 0, n);
		} else {
			len = (size_t)rand_r(&seed) % olen;
		}
		tl_write_bytes(f->data, buf, len);
		sp = open_ok(f, 8 * 1024);
		spool_stats(sp, &st);
		assert_true(st.next_seq >= 1);
		walk(sp, NULL, 0);
		append_ok(sp, st.next_seq);
		spool_close(sp);
	}
	free(buf);
	free(orig);
}

static void
test_many(void **state)
{
	struct fixture *f = *state;
	const uint64_t N = 100000;
	struct spool *sp = open_ok(f, 256 * MB);
	struct spool_stats st;

	spool_set_sync(sp, 0);
	for (uint64_t s = 1; s <= N; s++)
		append_ok(sp, s);
	spool_close(sp);

	sp = open_ok(f, 256 * MB);
	spool_set_sync(sp, 0);
	spool_stats(sp, &st);
	assert_int_equal(st.depth, N);
	assert_int_equal(st.next_seq, N + 1);
	assert_int_equal(walk(sp, NULL, 0), N);
	/* Acked in windows, as a drained backlog is. */
	for (uint64_t a = 100; a <= N; a += 100)
		assert_int_equal(spool_ack(sp, a), 0);
	spool_stats(sp, &st);
	assert_int_equal(st.depth, 0);
	assert_true(file_size(f->data) < 256 * 1024);
	spool_close(sp);

	sp = open_ok(f, 256 * MB);
	spool_stats(sp, &st);
	assert_int_equal(st.next_seq, N + 1);
	assert_int_equal(st.last_acked, N);
	spool_close(sp);
}

static void
test_stale_tmp_and_lock(void **state)
{
	struct fixture *f = *state;
	struct spool *sp = open_ok(f, MB), *other;
	char path[PATH_MAX * 2], err[256];
	struct spool_stats st;

	append_ok(sp, 1);
	/* A second agent on the same spool would reuse seqs. */
	assert_int_equal(spool_open(&other, f->dir, MB, err, sizeof err), -1);
	assert_non_null(strstr(err, "in use"));
	spool_close(sp);

	/* A compaction cut short before its rename. */
	snprintf(path, sizeof path, "%s/spool.tmp", f->dir);
	tl_write_bytes(path, "garbage", 7);
	sp = open_ok(f, MB);
	assert_int_equal(access(path, F_OK), -1);
	spool_stats(sp, &st);
	assert_int_equal(st.depth, 1);
	spool_close(sp);
}

/* A file size limit stands in for a full disk (EFBIG instead of ENOSPC):
 * a failed append leaves the file as it was, and burns its seq only when
 * part of it was written. */
static void
test_write_failure(void **state)
{
	struct fixture *f = *state;
	struct spool *sp = open_ok(f, MB);
	struct spool_stats st;
	struct rlimit old, lim;
	char buf[512], err[256];
	off_t size;

	assert_int_not_equal(signal(SIGXFSZ, SIG_IGN), SIG_ERR);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	append_ok(sp, 1);
	size = file_size(f->data);

	lim = old;
	lim.rlim_cur = (rlim_t)size;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_equal(spool_append(sp, buf, payload(2, buf, payload_len(2)),
	    err, sizeof err), 0);
	assert_non_null(strstr(err, "write"));
	spool_stats(sp, &st);
	assert_int_equal(st.next_seq, 2);

	lim.rlim_cur = (rlim_t)size + 10;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_equal(spool_append(sp, buf, payload(2, buf, payload_len(2)),
	    err, sizeof err), 0);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	assert_int_equal(file_size(f->data), size);
	spool_stats(sp, &st);
	assert_int_equal(st.next_seq, 3);
	assert_int_equal(st.depth, 1);

	append_ok(sp, 3);
	spool_close(sp);
	sp = open_ok(f, MB);
	spool_stats(sp, &st);
	assert_int_equal(st.torn + st.bad, 0);
	assert_int_equal(st.depth, 2);
	assert_int_equal(st.next_seq, 4);
	walk(sp, NULL, 0);
	spool_close(sp);
	assert_int_not_equal(signal(SIGXFSZ, SIG_DFL), SIG_ERR);
}

/* The records of an intact file, walked by their headers: how many of
 * type, and the offset of the last one (-1 if none). */
static int
count_type(const char *path, int type, long *last)
{
	size_t len, off = 0;
	unsigned char *buf = read_file(path, &len);
	int n = 0;

	*last = -1;
	while (len - off >= 24) {
		uint32_t rl = (uint32_t)buf[off + 8] | (uint32_t)buf[off + 9] << 8 |
		    (uint32_t)buf[off + 10] << 16 | (uint32_t)buf[off + 11] << 24;
		if (buf[off + 4] == type) {
			n++;
			*last = (long)off;
		}
		off += 24 + rl;
	}
	assert_int_equal(off, len);
	free(buf);
	return n;
}

static void
sid_copy(const struct spool *sp, char sid[SPOOL_SID_LEN + 1])
{
	assert_non_null(spool_sid(sp));
	assert_true(sid_valid(spool_sid(sp)));
	memcpy(sid, spool_sid(sp), SPOOL_SID_LEN + 1);
}

/* The log on stderr goes to a file, so that a test can count messages. */
static int
capture_begin(const struct fixture *f, char *path, size_t len)
{
	int saved, fd;

	snprintf(path, len, "%s/log", f->base);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_int_not_equal(saved, -1);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_not_equal(fd, -1);
	assert_int_not_equal(dup2(fd, STDERR_FILENO), -1);
	close(fd);
	log_set_level(LOG_LVL_INFO);
	return saved;
}

/* Ends the capture; returns how many times needle was logged. */
static int
capture_end(int saved, const char *path, const char *needle)
{
	size_t len;
	unsigned char *buf;
	const char *p;
	int n = 0;

	log_set_level(LOG_LVL_ERR);
	fflush(stderr);
	assert_int_not_equal(dup2(saved, STDERR_FILENO), -1);
	close(saved);
	buf = read_file(path, &len);
	buf[len] = '\0';
	for (p = (const char *)buf; (p = strstr(p, needle)) != NULL; p++)
		n++;
	free(buf);
	unlink(path);
	return n;
}

/* A new spool has an id from its first record on, and keeps it. */
static void
test_sid_new(void **state)
{
	struct fixture *f = *state;
	struct spool *sp = open_ok(f, MB), *sp2;
	char sid[SPOOL_SID_LEN + 1], sid2[SPOOL_SID_LEN + 1], err[256];
	char dir2[PATH_MAX], data2[PATH_MAX + 16];
	long last;

	sid_copy(sp, sid);
	assert_int_equal(count_type(f->data, REC_SID, &last), 1);
	assert_int_equal(last, 0);
	assert_int_equal(file_size(f->data), SID_REC);
	for (uint64_t s = 1; s <= 3; s++)
		append_ok(sp, s);
	spool_close(sp);

	for (int run = 0; run < 3; run++) {
		off_t size = file_size(f->data);

		sp = open_ok(f, MB);
		assert_string_equal(spool_sid(sp), sid);
		/* Nothing written for it at a reopen. */
		assert_int_equal(file_size(f->data), size);
		assert_int_equal(count_type(f->data, REC_SID, &last), 1);
		append_ok(sp, 4 + (uint64_t)run);
		spool_close(sp);
	}

	/* Two spools made one after the other do not share an id. */
	snprintf(dir2, sizeof dir2, "%s/spool2", f->base);
	snprintf(data2, sizeof data2, "%s/%s", dir2, SPOOL_DATA_FILE);
	if (spool_open(&sp2, dir2, MB, err, sizeof err) == -1)
		fail_msg("spool_open: %s", err);
	sid_copy(sp2, sid2);
	assert_string_not_equal(sid, sid2);
	spool_close(sp2);
	assert_int_equal(unlink(data2), 0);
	assert_int_equal(rmdir(dir2), 0);
}

/* spool.dat wiped (the directory kept): a new spool, a new id, seqs from 1. */
static void
test_sid_wiped(void **state)
{
	struct fixture *f = *state;
	struct spool *sp = open_ok(f, MB);
	struct spool_stats st;
	char sid[SPOOL_SID_LEN + 1], sid2[SPOOL_SID_LEN + 1];

	sid_copy(sp, sid);
	for (uint64_t s = 1; s <= 5; s++)
		append_ok(sp, s);
	spool_close(sp);
	assert_int_equal(unlink(f->data), 0);

	sp = open_ok(f, MB);
	sid_copy(sp, sid2);
	assert_string_not_equal(sid, sid2);
	spool_stats(sp, &st);
	assert_int_equal(st.next_seq, 1);
	assert_int_equal(st.depth, 0);
	append_ok(sp, 1);
	spool_close(sp);
	sp = open_ok(f, MB);
	assert_string_equal(spool_sid(sp), sid2);
	spool_close(sp);
}

/* Compaction, asked for and by itself, carries the id over, first. */
static void
test_sid_compaction(void **state)
{
	struct fixture *f = *state;
	struct spool *sp = open_ok(f, MB);
	struct spool_stats st;
	char sid[SPOOL_SID_LEN + 1], err[256];
	off_t before;
	long last;

	sid_copy(sp, sid);
	for (uint64_t s = 1; s <= 10; s++)
		append_ok(sp, s);
	assert_int_equal(spool_ack(sp, 8), 0);
	assert_int_equal(spool_compact(sp, err, sizeof err), 0);
	assert_string_equal(spool_sid(sp), sid);
	assert_int_equal(count_type(f->data, REC_SID, &last), 1);
	assert_int_equal(last, 0);
	spool_close(sp);
	sp = open_ok(f, MB);
	assert_string_equal(spool_sid(sp), sid);
	assert_int_equal(walk(sp, NULL, 0), 2);
	spool_close(sp);

	/* Enough acked samples that the spool rewrites itself, several
	 * times (the file shrinks each time). */
	sp = open_ok(f, MB);
	before = file_size(f->data);
	int shrunk = 0;
	for (uint64_t s = 11; s <= 2000; s++) {
		off_t size;

		append_ok(sp, s);
		assert_int_equal(spool_ack(sp, s - 1), 0);
		size = file_size(f->data);
		if (size < before)
			shrunk++;
		before = size;
	}
	assert_true(shrunk >= 2);
	assert_string_equal(spool_sid(sp), sid);
	spool_close(sp);
	assert_int_equal(count_type(f->data, REC_SID, &last), 1);
	assert_int_equal(last, 0);
	sp = open_ok(f, MB);
	assert_string_equal(spool_sid(sp), sid);
	spool_stats(sp, &st);
	assert_int_equal(st.next_seq, 2001);
	assert_int_equal(st.last_acked, 1999);
	spool_close(sp);
}

/* A spool found to be a copy takes a new id, keeping its samples, its
 * seqs and its acks; one SID record is left, and the next open agrees. */
static void
test_sid_renew(void **state)
{
	struct fixture *f = *state;
	struct spool *sp = open_ok(f, MB);
	struct spool_stats st;
	char sid[SPOOL_SID_LEN + 1], sid2[SPOOL_SID_LEN + 1], err[256];
	long last;

	sid_copy(sp, sid);
	for (uint64_t s = 1; s <= 6; s++)
		append_ok(sp, s);
	assert_int_equal(spool_ack(sp, 2), 0);
	assert_int_equal(spool_renew_sid(sp, err, sizeof err), 0);
	sid_copy(sp, sid2);
	assert_string_not_equal(sid, sid2);
	spool_stats(sp, &st);
	assert_int_equal(st.depth, 4);
	assert_int_equal(st.next_seq, 7);
	assert_int_equal(st.last_acked, 2);
	spool_close(sp);
	assert_int_equal(count_type(f->data, REC_SID, &last), 1);
	sp = open_ok(f, MB);
	assert_string_equal(spool_sid(sp), sid2);
	assert_int_equal(walk(sp, NULL, 0), 4);
	spool_close(sp);
}

/* A file of an older agent: the same records without the SID record. */
static void
test_sid_old_format(void **state)
{
	struct fixture *f = *state;
	struct spool *sp = open_ok(f, MB);
	struct spool_stats st;
	char sid[SPOOL_SID_LEN + 1], sid2[SPOOL_SID_LEN + 1], err[256], log[PATH_MAX];
	unsigned char *buf;
	size_t len;
	uint64_t seqs[8];
	long last;
	int saved;

	sid_copy(sp, sid);
	for (uint64_t s = 1; s <= 5; s++)
		append_ok(sp, s);
	assert_int_equal(spool_ack(sp, 2), 0);
	spool_close(sp);
	buf = read_file(f->data, &len);
	assert_int_equal(buf[4], REC_SID);
	tl_write_bytes(f->data, buf + SID_REC, len - SID_REC);
	free(buf);
	assert_int_equal(count_type(f->data, REC_SID, &last), 0);

	/* Opened twice: one new id, appended and said once. */
	saved = capture_begin(f, log, sizeof log);
	sp = open_ok(f, MB);
	sid_copy(sp, sid2);
	spool_close(sp);
	sp = open_ok(f, MB);
	assert_string_equal(spool_sid(sp), sid2);
	assert_int_equal(capture_end(saved, log, "no spool id (written by an older "
	    "agent); this spool is now "), 1);
	assert_string_not_equal(sid, sid2);
	spool_stats(sp, &st);
	assert_int_equal(st.bad + st.torn, 0);
	assert_int_equal(st.last_acked, 2);
	assert_int_equal(st.next_seq, 6);
	assert_int_equal(walk(sp, seqs, 8), 3);
	assert_int_equal(seqs[0], 3);
	assert_int_equal(count_type(f->data, REC_SID, &last), 1);
	assert_int_equal((off_t)last, file_size(f->data) - SID_REC);
	append_ok(sp, 6);
	/* The first compaction puts it first. */
	assert_int_equal(spool_compact(sp, err, sizeof err), 0);
	spool_close(sp);
	assert_int_equal(count_type(f->data, REC_SID, &last), 1);
	assert_int_equal(last, 0);
	sp = open_ok(f, MB);
	assert_string_equal(spool_sid(sp), sid2);
	assert_int_equal(walk(sp, NULL, 0), 4);
	spool_close(sp);

	/* An older agent's compacted file: a META record alone. */
	sp = open_ok(f, MB);
	assert_int_equal(spool_ack(sp, 6), 0);
	assert_int_equal(spool_compact(sp, err, sizeof err), 0);
	spool_close(sp);
	buf = read_file(f->data, &len);
	assert_int_equal(len, SID_REC + 40);
	tl_write_bytes(f->data, buf + SID_REC, len - SID_REC);
	free(buf);
	sp = open_ok(f, MB);
	assert_string_not_equal(spool_sid(sp), sid2);
	assert_true(sid_valid(spool_sid(sp)));
	spool_stats(sp, &st);
	assert_int_equal(st.next_seq, 7);
	assert_int_equal(st.last_acked, 6);
	assert_int_equal(st.depth, 0);
	spool_close(sp);
}

/* A SID record damaged at any byte: a new id (the old one cannot be
 * read), the samples kept, and the file rewritten with exactly one. */
static void
test_sid_damaged(void **state)
{
	struct fixture *f = *state;
	size_t off[8], olen;
	unsigned char *orig = make_spool(f, 4, off, &olen), *buf = malloc(olen);
	char sid[SPOOL_SID_LEN + 1], sid2[SPOOL_SID_LEN + 1];
	struct spool *sp;
	struct spool_stats st;
	long last;

	assert_non_null(buf);
	assert_int_equal(off[0], SID_REC);
	sp = open_ok(f, MB);
	sid_copy(sp, sid);
	spool_close(sp);
	for (size_t i = 0; i < SID_REC; i++) {
		memcpy(buf, orig, olen);
		buf[i] ^= (unsigned char)(i % 2 ? 0x01 : 0x80);
		tl_write_bytes(f->data, buf, olen);
		sp = open_ok(f, MB);
		sid_copy(sp, sid2);
		assert_string_not_equal(sid, sid2);
		spool_stats(sp, &st);
		assert_int_equal(st.bad, 1);
		assert_int_equal(st.torn, 0);
		assert_int_equal(st.depth, 4);
		assert_int_equal(st.next_seq, 5);
		assert_int_equal(walk(sp, NULL, 0), 4);
		spool_close(sp);
		assert_int_equal(count_type(f->data, REC_SID, &last), 1);
		assert_int_equal(last, 0);

		sp = open_ok(f, MB);
		assert_string_equal(spool_sid(sp), sid2);
		spool_stats(sp, &st);
		assert_int_equal(st.bad, 0);
		assert_int_equal(st.depth, 4);
		spool_close(sp);
	}
	free(buf);
	free(orig);
}

/* A torn tail after the SID record leaves the id alone; a torn SID record
 * (a crash while the spool was being made) is a new spool. */
static void
test_sid_torn(void **state)
{
	struct fixture *f = *state;
	size_t off[8], olen;
	unsigned char *orig = make_spool(f, 3, off, &olen);
	char sid[SPOOL_SID_LEN + 1];
	struct spool *sp;
	struct spool_stats st;
	long last;

	sp = open_ok(f, MB);
	sid_copy(sp, sid);
	spool_close(sp);
	/* Cut anywhere in the samples, the first one included. */
	for (size_t cut = SID_REC + 1; cut < olen; cut++) {
		tl_write_bytes(f->data, orig, cut);
		sp = open_ok(f, MB);
		assert_string_equal(spool_sid(sp), sid);
		spool_stats(sp, &st);
		assert_int_equal(st.torn, (cut == off[1] || cut == off[2]) ? 0 : 1);
		spool_close(sp);
		assert_int_equal(count_type(f->data, REC_SID, &last), 1);
		assert_int_equal(last, 0);
	}
	for (size_t cut = 1; cut < SID_REC; cut++) {
		tl_write_bytes(f->data, orig, cut);
		sp = open_ok(f, MB);
		assert_true(sid_valid(spool_sid(sp)));
		assert_string_not_equal(spool_sid(sp), sid);
		spool_stats(sp, &st);
		assert_int_equal(st.torn, 1);
		assert_int_equal(st.next_seq, 1);
		spool_close(sp);
		assert_int_equal(file_size(f->data), SID_REC);
		assert_int_equal(count_type(f->data, REC_SID, &last), 1);
	}
	free(orig);
}

static void
test_ack_beyond(void **state)
{
	struct fixture *f = *state;
	struct spool *sp = open_ok(f, MB);
	struct spool_stats st;

	append_ok(sp, 1);
	append_ok(sp, 2);
	/* Another spool's history must not put last_acked past seqs to come. */
	assert_int_equal(spool_ack(sp, 1000), 0);
	spool_stats(sp, &st);
	assert_int_equal(st.last_acked, 2);
	assert_int_equal(st.depth, 0);
	append_ok(sp, 3);
	spool_close(sp);
	sp = open_ok(f, MB);
	spool_stats(sp, &st);
	assert_int_equal(st.last_acked, 2);
	assert_int_equal(st.next_seq, 4);
	spool_close(sp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seq_across_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auto_compaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prev_after_overflow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disk_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_tail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flipped_middle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flipped_last, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_damage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_tmp_and_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ack_beyond, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sid_new, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sid_wiped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sid_compaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sid_renew, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sid_old_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sid_damaged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sid_torn, setup, teardown),
	};

	/* Damage is what these tests make: its warnings are expected. */
	log_set_level(LOG_LVL_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
