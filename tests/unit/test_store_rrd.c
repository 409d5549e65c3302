/* SPDX-License-Identifier: GPL-2.0-or-later */
/* RRD storage (collector/store_rrd.c): real files in a temporary data_dir,
 * and a real rrdcached when the binary is installed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The on-disk header structs, to make the state a crash leaves. */
#define RRD_EXPORT_DEPRECATED
#include <rrd.h>
#include <rrd_client.h>

#include "rrdc_batch.h"
#include "store_rrd.h"

#define T0 1763800020LL   /* a multiple of 60: rows fall on sample times */
#define STEP 60

struct fixture {
	char dir[64];              /* data_dir */
	char other[64];            /* outside data_dir, for symlinks */
	struct store_conf conf;
	struct store *st;
	pid_t cached;              /* rrdcached, or 0 */
	const char *perms;         /* its -P, or NULL for every command */
	char sock[128];
};

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(path);
}

static void
rm_tree(const char *dir)
{
	if (dir[0] != '\0')
		(void)nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	char err[512];

	assert_non_null(f);
	snprintf(f->dir, sizeof f->dir, "/tmp/covmon-store-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->other, sizeof f->other, "/tmp/covmon-elsewhere-XXXXXX");
	assert_non_null(mkdtemp(f->other));
	snprintf(f->conf.data_dir, sizeof f->conf.data_dir, "%s", f->dir);
	if (store_open(&f->st, &f->conf, err, sizeof err) == -1)
		fail_msg("store_open: %s", err);
	*state = f;
	return 0;
}

static void
stop_rrdcached(struct fixture *f)
{
	int status;

	if (f->cached <= 0)
		return;
	kill(f->cached, SIGCONT);   /* a stopped one keeps SIGTERM pending */
	kill(f->cached, SIGTERM);
	waitpid(f->cached, &status, 0);
	f->cached = 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	stop_rrdcached(f);
	store_close(f->st);
	rm_tree(f->dir);
	rm_tree(f->other);
	free(f);
	return 0;
}

static void
sample_at(struct sample *s, const char *agent, int64_t ts)
{
	memset(s, 0, sizeof *s);
	snprintf(s->agent, sizeof s->agent, "%s", agent);
	s->ts = ts;
	s->interval = STEP;
}

static void
file_path(const struct fixture *f, const char *prov, const char *agent, const char *group,
    char *buf, size_t len)
{
	snprintf(buf, len, "%s/rrd/%s/%s/%s.rrd", f->dir, prov, agent, group);
}

static int
exists(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0;
}

static time_t
last_update(const char *path)
{
	time_t last;
	unsigned long n;
	char **names, **vals;

	if (rrd_lastupdate_r(path, &last, &n, &names, &vals) == -1)
		fail_msg("lastupdate %s: %s", path, rrd_get_error());
	for (unsigned long i = 0; i < n; i++) {
		rrd_freemem(names[i]);
		rrd_freemem(vals[i]);
	}
	rrd_freemem(names);
	rrd_freemem(vals);
	return last;
}

/* The AVERAGE of DS ds in the finest row ending at t (NaN: unknown). */
static double
fetch_at(const char *path, int ds, time_t t)
{
	time_t start = t - STEP, end = t;
	unsigned long step = STEP, n;   /* the resolution asked for */
	char **names;
	rrd_value_t *data;
	double v;

	if (rrd_fetch_r(path, "AVERAGE", &start, &end, &step, &n, &names, &data) == -1)
		fail_msg("fetch %s: %s", path, rrd_get_error());
	assert_int_equal(step, STEP);
	/* Row i holds (start + i*step, start + (i+1)*step]. */
	long row = (long)((t - start) / (time_t)step) - 1;
	assert_true(row >= 0 && (unsigned long)row * n < ((unsigned long)(end - start) / step) * n);
	v = data[(unsigned long)row * n + (unsigned long)ds];
	for (unsigned long i = 0; i < n; i++)
		rrd_freemem(names[i]);
	rrd_freemem(names);
	rrd_freemem(data);
	return v;
}

/* cmocka's assert_float_equal works in float: compare doubles exactly
 * enough for values that went through "%.17g". */
#define assert_dbl(a, b, eps) do { \
	double a_ = (a), b_ = (b); \
	if (!(fabs(a_ - b_) <= (eps))) \
		fail_msg("%s = %.17g, expected %.17g", #a, a_, b_); \
} while (0)

static enum store_result
put(struct fixture *f, const char *prov, const struct sample *s)
{
	char err[1024];
	enum store_result r = store_write(f->st, prov, s, err, sizeof err);

	if (r != STORE_OK)
		print_message("store_write: %d %s\n", r, err);
	return r;
}

static void
test_create_first(void **state)
{
	struct fixture *f = *state;
	struct sample s;
	char path[PATH_MAX], key[PATH_MAX];
	time_t last;
	unsigned long n;
	char **names, **vals;

	sample_at(&s, "lc-batxat-suoichai-01", T0);
	sample_set(&s, M_ICMP_RTT_AVG_MS, 48.2);
	sample_set(&s, M_ICMP_LOSS_PCT, 0);
	assert_int_equal(put(f, "lao-cai", &s), STORE_OK);

	file_path(f, "lao-cai", "lc-batxat-suoichai-01", "icmp", path, sizeof path);
	assert_true(exists(path));
	/* Only the groups with a present metric get a file. */
	file_path(f, "lao-cai", "lc-batxat-suoichai-01", "tcp", key, sizeof key);
	assert_false(exists(key));

	assert_int_equal(rrd_lastupdate_r(path, &last, &n, &names, &vals), 0);
	assert_int_equal(last, T0);
	assert_int_equal(n, 7);
	const char *want[] = { "icmp_rtt_min_ms", "icmp_rtt_avg_ms", "icmp_rtt_max_ms",
		"icmp_rtt_p50_ms", "icmp_rtt_p90_ms", "icmp_jitter_ms", "icmp_loss_pct" };
	for (unsigned long i = 0; i < n; i++) {
		assert_string_equal(names[i], want[i]);
		if (i == 1)
			assert_dbl(strtod(vals[i], NULL), 48.2, 1e-9);
		else if (i != 6)
			assert_string_equal(vals[i], "U");
		rrd_freemem(names[i]);
		rrd_freemem(vals[i]);
	}
	rrd_freemem(names);
	rrd_freemem(vals);

	rrd_info_t *info = rrd_info_r(path), *p;
	int seen = 0, nrra = 0;
	assert_non_null(info);
	for (p = info; p != NULL; p = p->next) {
		if (strcmp(p->key, "step") == 0) {
			assert_int_equal(p->value.u_cnt, STEP);
			seen |= 1;
		} else if (strcmp(p->key, "ds[icmp_loss_pct].minimal_heartbeat") == 0) {
			assert_int_equal(p->value.u_cnt, 3 * STEP);
			seen |= 2;
		} else if (strcmp(p->key, "ds[icmp_loss_pct].type") == 0) {
			assert_string_equal(p->value.u_str, "GAUGE");
			seen |= 4;
		} else if (strcmp(p->key, "rra[0].rows") == 0) {
			assert_int_equal(p->value.u_cnt, 1440);
			seen |= 8;
		} else if (strcmp(p->key, "rra[3].rows") == 0) {
			assert_int_equal(p->value.u_cnt, 730);
			seen |= 16;
		} else if (strcmp(p->key, "rra[9].cf") == 0) {
			assert_string_equal(p->value.u_str, "MAX");
			seen |= 32;
		}
		if (strncmp(p->key, "rra[", 4) == 0 && strstr(p->key, "].cf") != NULL)
			nrra++;
	}
	rrd_info_free(info);
	assert_int_equal(seen, 63);
	assert_int_equal(nrra, 10);

	/* The sample's whole interval is in the file: created at ts - interval. */
	assert_dbl(fetch_at(path, 1, T0), 48.2, 1e-9);
	assert_dbl(fetch_at(path, 6, T0), 0, 0);

	struct store_stats stats;
	store_get_stats(f->st, &stats);
	assert_int_equal(stats.creates, 1);
	assert_int_equal(stats.updates, 1);
}

/* What reaches the file is the value's exact text: an integral value as
 * an integer, any other as %.17g (rrd_lastupdate gives the text back). */
static void
test_values_exact(void **state)
{
	struct fixture *f = *state;
	static const struct { double v; const char *text; } cases[] = {
		{ 0, "0" }, { 7, "7" }, { 123456789012345.0, "123456789012345" },
		{ 999999999999999.0, "999999999999999" }, { 1e15, "1000000000000000" },
		{ 48.2, "48.200000000000003" }, { 0.1, "0.10000000000000001" },
		{ 2.5e-7, "2.4999999999999999e-07" }, { -95, "-95" }, { -1, "-1" },
		{ -999999999999999.0, "-999999999999999" }, { -0.0, "-0" }, { 10, "10" },
	};
	struct sample s;
	char path[PATH_MAX];
	time_t last;
	unsigned long n;
	char **names, **vals;

	file_path(f, "p1", "a1", "icmp", path, sizeof path);
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		sample_at(&s, "a1", T0 + (int64_t)i * STEP);
		sample_set(&s, M_ICMP_RTT_AVG_MS, cases[i].v);
		assert_int_equal(put(f, "p1", &s), STORE_OK);
		assert_int_equal(rrd_lastupdate_r(path, &last, &n, &names, &vals), 0);
		assert_int_equal(n, 7);
		assert_string_equal(names[1], "icmp_rtt_avg_ms");
		assert_string_equal(vals[1], cases[i].text);
		assert_true(strtod(vals[1], NULL) == cases[i].v);
		for (unsigned long k = 0; k < n; k++) {
			rrd_freemem(names[k]);
			rrd_freemem(vals[k]);
		}
		rrd_freemem(names);
		rrd_freemem(vals);
	}
}

static void
test_update_many_and_absent(void **state)
{
	struct fixture *f = *state;
	struct sample s;
	char path[PATH_MAX], site[PATH_MAX];

	for (int i = 0; i < 200; i++) {
		sample_at(&s, "a1", T0 + i * STEP);
		sample_set(&s, M_ICMP_RTT_AVG_MS, 10 + i);
		sample_set(&s, M_ICMP_LOSS_PCT, i % 7);
		if (i % 2 == 0)
			sample_set(&s, M_ICMP_RTT_MAX_MS, 1000 + i);
		sample_set(&s, M_UPTIME_S, 5000 + i * STEP);
		assert_int_equal(put(f, "p1", &s), STORE_OK);
	}
	file_path(f, "p1", "a1", "icmp", path, sizeof path);
	file_path(f, "p1", "a1", "site", site, sizeof site);
	assert_int_equal(last_update(path), T0 + 199 * STEP);
	assert_int_equal(last_update(site), T0 + 199 * STEP);
	for (int i = 0; i < 200; i++) {
		time_t t = (time_t)(T0 + i * STEP);
		assert_dbl(fetch_at(path, 1, t), 10 + i, 1e-9);
		assert_dbl(fetch_at(path, 6, t), i % 7, 1e-9);
		/* Never measured: UNKNOWN, not 0. */
		assert_true(isnan(fetch_at(path, 0, t)));
		if (i % 2 == 0)
			assert_dbl(fetch_at(path, 2, t), 1000 + i, 1e-9);
		else
			assert_true(isnan(fetch_at(path, 2, t)));
		assert_dbl(fetch_at(site, 0, t), 5000 + i * STEP, 1e-6);
	}
	struct store_stats stats;
	store_get_stats(f->st, &stats);
	assert_int_equal(stats.creates, 2);
	assert_int_equal(stats.updates, 400);
	assert_int_equal(stats.checks, 2);   /* the cache spares the rest */
}

/* Samples of one agent as runs (store_write_run): the same files and
 * values as one write at a time, each file updated once per run; what a
 * file already holds is counted so, and a run goes on after it. */
static void
test_write_run(void **state)
{
	struct fixture *f = *state;
	struct sample s[40];
	const struct sample *ss[40];
	struct store_run_result res[40];
	struct store_stats stats;
	enum store_result r;
	char path[PATH_MAX], site[PATH_MAX], err[1024];

	for (int i = 0; i < 40; i++) {
		sample_at(&s[i], "a1", T0 + i * STEP);
		sample_set(&s[i], M_ICMP_RTT_AVG_MS, 10 + i);
		if (i % 2 == 0)
			sample_set(&s[i], M_ICMP_RTT_MAX_MS, 1000 + i);
		if (i % 3 == 0)    /* site.rrd in every third sample only */
			sample_set(&s[i], M_UPTIME_S, 5000 + i * STEP);
		ss[i] = &s[i];
	}
	/* The first 5 alone (files created), then 25 in one run. */
	for (int i = 0; i < 5; i++)
		assert_int_equal(put(f, "p1", &s[i]), STORE_OK);
	assert_int_equal(store_write_run(f->st, "p1", ss + 5, 25, res, &r, err, sizeof err), 25);
	assert_int_equal(r, STORE_OK);
	for (int i = 0; i < 25; i++) {
		assert_int_equal(res[i].updates, (5 + i) % 3 == 0 ? 2 : 1);
		assert_int_equal(res[i].already, 0);
	}
	store_get_stats(f->st, &stats);
	assert_int_equal(stats.updates, 5 + 2 + 25 + 8);
	/* Again from 20: 20..29 already there, 30..39 new, in one run. */
	assert_int_equal(store_write_run(f->st, "p1", ss + 20, 20, res, &r, err, sizeof err), 20);
	for (int i = 0; i < 20; i++) {
		unsigned files = (20 + i) % 3 == 0 ? 2 : 1;
		assert_int_equal(res[i].updates, i < 10 ? 0 : files);
		assert_int_equal(res[i].already, i < 10 ? files : 0);
	}
	file_path(f, "p1", "a1", "icmp", path, sizeof path);
	file_path(f, "p1", "a1", "site", site, sizeof site);
	assert_int_equal(last_update(path), T0 + 39 * STEP);
	assert_int_equal(last_update(site), T0 + 39 * STEP);
	for (int i = 0; i < 40; i++) {
		time_t t = (time_t)(T0 + i * STEP);
		assert_dbl(fetch_at(path, 1, t), 10 + i, 1e-9);
		if (i % 2 == 0)
			assert_dbl(fetch_at(path, 2, t), 1000 + i, 1e-9);
		else
			assert_true(isnan(fetch_at(path, 2, t)));
	}
	/* A bad sample ends the run: those before it are stored. */
	struct sample bad[3];
	const struct sample *bs[3] = { &bad[0], &bad[1], &bad[2] };
	for (int i = 0; i < 3; i++) {
		sample_at(&bad[i], "a1", T0 + (40 + i) * STEP);
		sample_set(&bad[i], M_ICMP_RTT_AVG_MS, 1);
	}
	bad[1].interval = 0;
	assert_int_equal(store_write_run(f->st, "p1", bs, 3, res, &r, err, sizeof err), 1);
	assert_int_equal(r, STORE_REFUSED);
	assert_int_equal(last_update(path), T0 + 40 * STEP);
}

static void
test_duplicate(void **state)
{
	struct fixture *f = *state;
	struct sample s;
	char path[PATH_MAX];

	sample_at(&s, "a1", T0);
	sample_set(&s, M_ICMP_RTT_AVG_MS, 1);
	assert_int_equal(put(f, "p1", &s), STORE_OK);
	sample_at(&s, "a1", T0 + STEP);
	sample_set(&s, M_ICMP_RTT_AVG_MS, 2);
	assert_int_equal(put(f, "p1", &s), STORE_OK);
	/* Resent, with another value: already held, not written again. */
	sample_set(&s, M_ICMP_RTT_AVG_MS, 99);
	assert_int_equal(put(f, "p1", &s), STORE_OK);
	/* Older than the last update: also already held. */
	sample_at(&s, "a1", T0);
	sample_set(&s, M_ICMP_RTT_AVG_MS, 98);
	assert_int_equal(put(f, "p1", &s), STORE_OK);

	file_path(f, "p1", "a1", "icmp", path, sizeof path);
	assert_dbl(fetch_at(path, 1, T0), 1, 1e-9);
	assert_dbl(fetch_at(path, 1, T0 + STEP), 2, 1e-9);
	struct store_stats stats;
	store_get_stats(f->st, &stats);
	assert_int_equal(stats.updates, 2);
	assert_int_equal(stats.already, 2);
	assert_int_equal(stats.bad_files, 0);
}

/* An agent back after a day: its spool drains oldest first, into a file
 * that does not exist yet. Every sample must land. */
static void
test_spool_drain(void **state)
{
	struct fixture *f = *state;
	struct sample s;
	char path[PATH_MAX];
	const int64_t now = T0 + 86400;
	const int64_t first = now - 86400 + STEP;   /* the finest RRA's oldest row */
	int n = 0;

	for (int64_t t = first; t <= now; t += STEP, n++) {
		sample_at(&s, "late", t);
		sample_set(&s, M_ICMP_LOSS_PCT, (double)(n % 101));
		sample_set(&s, M_TCP_CONNECT_OK, n % 2);
		assert_int_equal(put(f, "p1", &s), STORE_OK);
	}
	assert_int_equal(n, 1440);
	file_path(f, "p1", "late", "icmp", path, sizeof path);
	n = 0;
	for (int64_t t = first; t <= now; t += STEP, n++)
		assert_dbl(fetch_at(path, 6, (time_t)t), n % 101, 1e-9);
	file_path(f, "p1", "late", "tcp", path, sizeof path);
	n = 0;
	for (int64_t t = first; t <= now; t += STEP, n++)
		assert_dbl(fetch_at(path, 1, (time_t)t), n % 2, 1e-9);
}

static void
test_gap_unknown(void **state)
{
	struct fixture *f = *state;
	struct sample s;
	char path[PATH_MAX];
	const int64_t ts[] = { T0, T0 + STEP, T0 + 11 * STEP, T0 + 12 * STEP };

	for (size_t i = 0; i < 4; i++) {
		sample_at(&s, "a1", ts[i]);
		sample_set(&s, M_ICMP_RTT_AVG_MS, 5);
		assert_int_equal(put(f, "p1", &s), STORE_OK);
	}
	file_path(f, "p1", "a1", "icmp", path, sizeof path);
	assert_dbl(fetch_at(path, 1, T0 + STEP), 5, 0);
	/* 600 s without a sample, more than the 180 s heartbeat: unknown, up
	 * to and including the interval the late sample closes. */
	for (int k = 2; k <= 11; k++)
		assert_true(isnan(fetch_at(path, 1, (time_t)(T0 + k * STEP))));
	assert_dbl(fetch_at(path, 1, T0 + 12 * STEP), 5, 0);
}

static int
dir_is_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return errno == ENOENT;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n == 0;
}

static void
test_bad_ids(void **state)
{
	struct fixture *f = *state;
	struct sample s;
	char rrd[PATH_MAX], buf[PATH_MAX];
	const char *bad[] = { "..", "../x", "a/b", "A", "", ".hidden", "a%2fb", "+", "#", NULL };

	snprintf(rrd, sizeof rrd, "%s/rrd", f->dir);
	for (int i = 0; bad[i] != NULL; i++) {
		sample_at(&s, "a1", T0);
		sample_set(&s, M_ICMP_LOSS_PCT, 1);
		assert_int_equal(put(f, bad[i], &s), STORE_REFUSED);
		sample_at(&s, bad[i], T0);
		sample_set(&s, M_ICMP_LOSS_PCT, 1);
		assert_int_equal(put(f, "p1", &s), STORE_REFUSED);
		assert_int_equal(store_path(&f->conf, bad[i], "a1", G_ICMP, buf, sizeof buf), -1);
		assert_int_equal(store_path(&f->conf, "p1", bad[i], G_ICMP, buf, sizeof buf), -1);
	}
	/* A NUL in the middle of the agent field. */
	sample_at(&s, "a1", T0);
	memcpy(s.agent, "ab\0/../../x", 11);
	sample_set(&s, M_ICMP_LOSS_PCT, 1);
	assert_int_equal(put(f, "p1", &s), STORE_OK);   /* it is agent "ab" */
	assert_true(dir_is_empty(f->other));

	assert_int_equal(store_path(&f->conf, "p1", "a1", GROUP_COUNT, buf, sizeof buf), -1);
	assert_int_equal(store_path(&f->conf, "p1", "a1", G_SITE, buf, 10), -1);
	assert_int_equal(store_path(&f->conf, "p1", "a1", G_SITE, buf, sizeof buf), 0);
	char want[PATH_MAX];
	snprintf(want, sizeof want, "%s/rrd/p1/a1/site.rrd", f->dir);
	assert_string_equal(buf, want);

	/* Bad interval or time. */
	sample_at(&s, "a1", T0);
	sample_set(&s, M_ICMP_LOSS_PCT, 1);
	s.interval = 0;
	assert_int_equal(put(f, "p1", &s), STORE_REFUSED);
	s.interval = 3601;
	assert_int_equal(put(f, "p1", &s), STORE_REFUSED);
	s.interval = STEP;
	s.ts = 10;
	assert_int_equal(put(f, "p1", &s), STORE_REFUSED);
}

static void
test_symlink_refused(void **state)
{
	struct fixture *f = *state;
	struct sample s;
	char link[PATH_MAX], target[PATH_MAX];

	/* data_dir/rrd/<prov> -> elsewhere */
	snprintf(link, sizeof link, "%s/rrd/evil", f->dir);
	assert_int_equal(symlink(f->other, link), 0);
	sample_at(&s, "a1", T0);
	sample_set(&s, M_ICMP_LOSS_PCT, 1);
	assert_int_equal(put(f, "evil", &s), STORE_REFUSED);
	assert_true(dir_is_empty(f->other));

	/* data_dir/rrd/<prov>/<agent> -> elsewhere */
	snprintf(link, sizeof link, "%s/rrd/p2", f->dir);
	assert_int_equal(mkdir(link, 0750), 0);
	snprintf(link, sizeof link, "%s/rrd/p2/a1", f->dir);
	assert_int_equal(symlink(f->other, link), 0);
	assert_int_equal(put(f, "p2", &s), STORE_REFUSED);
	assert_true(dir_is_empty(f->other));

	/* data_dir/rrd/<prov>/<agent>/icmp.rrd -> elsewhere/x.rrd (dangling) */
	snprintf(link, sizeof link, "%s/rrd/p3/a1", f->dir);
	snprintf(target, sizeof target, "%s/rrd/p3", f->dir);
	assert_int_equal(mkdir(target, 0750), 0);
	assert_int_equal(mkdir(link, 0750), 0);
	snprintf(link, sizeof link, "%s/rrd/p3/a1/icmp.rrd", f->dir);
	snprintf(target, sizeof target, "%s/x.rrd", f->other);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(put(f, "p3", &s), STORE_REFUSED);
	assert_true(dir_is_empty(f->other));

	/* A file where a directory belongs. */
	snprintf(link, sizeof link, "%s/rrd/p4", f->dir);
	int fd = open(link, O_WRONLY | O_CREAT | O_EXCL, 0640);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(put(f, "p4", &s), STORE_REFUSED);
}

static void
write_garbage(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	char junk[4096];

	assert_true(fd >= 0);
	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = (char)(i * 7 + 3);
	assert_int_equal(write(fd, junk, sizeof junk), (ssize_t)sizeof junk);
	close(fd);
}

static int
count_bad(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, "icmp.rrd.bad-", 13) == 0)
			n++;
	closedir(d);
	return n;
}

static void
test_corrupt_file(void **state)
{
	struct fixture *f = *state;
	struct sample s;
	char dir[PATH_MAX], path[PATH_MAX];
	char err[1024];

	snprintf(dir, sizeof dir, "%s/rrd/p1", f->dir);
	assert_int_equal(mkdir(dir, 0750), 0);
	snprintf(dir, sizeof dir, "%s/rrd/p1/a1", f->dir);
	assert_int_equal(mkdir(dir, 0750), 0);
	file_path(f, "p1", "a1", "icmp", path, sizeof path);

	/* Garbage found on first touch. */
	write_garbage(path);
	sample_at(&s, "a1", T0);
	sample_set(&s, M_ICMP_RTT_AVG_MS, 7);
	assert_int_equal(store_write(f->st, "p1", &s, err, sizeof err), STORE_BAD_FILE);
	assert_non_null(strstr(err, "not an RRD file"));
	assert_false(exists(path));
	assert_int_equal(count_bad(dir), 1);
	/* The same sample again: the file is recreated and holds it. */
	assert_int_equal(put(f, "p1", &s), STORE_OK);
	assert_dbl(fetch_at(path, 1, T0), 7, 0);

	/* Garbage written over a file the store already knows. */
	sleep(1);   /* another .bad-<time> name */
	write_garbage(path);
	sample_at(&s, "a1", T0 + STEP);
	sample_set(&s, M_ICMP_RTT_AVG_MS, 8);
	assert_int_equal(store_write(f->st, "p1", &s, err, sizeof err), STORE_BAD_FILE);
	assert_int_equal(count_bad(dir), 2);
	assert_int_equal(put(f, "p1", &s), STORE_OK);
	assert_dbl(fetch_at(path, 1, T0 + STEP), 8, 0);

	/* A cut file (as after a crash mid-copy). */
	assert_int_equal(truncate(path, 1000), 0);
	sleep(1);
	sample_at(&s, "a1", T0 + 2 * STEP);
	sample_set(&s, M_ICMP_RTT_AVG_MS, 9);
	assert_int_equal(store_write(f->st, "p1", &s, err, sizeof err), STORE_BAD_FILE);
	assert_int_equal(count_bad(dir), 3);
	assert_int_equal(put(f, "p1", &s), STORE_OK);

	/* A foreign RRD (other DS) in a new agent's place. */
	snprintf(dir, sizeof dir, "%s/rrd/p1/a2", f->dir);
	assert_int_equal(mkdir(dir, 0750), 0);
	file_path(f, "p1", "a2", "icmp", path, sizeof path);
	const char *argv[] = { "DS:x:GAUGE:180:U:U", "RRA:AVERAGE:0.5:1:10" };
	assert_int_equal(rrd_create_r(path, STEP, T0 - 600, 2, argv), 0);
	sample_at(&s, "a2", T0);
	sample_set(&s, M_ICMP_RTT_AVG_MS, 7);
	assert_int_equal(store_write(f->st, "p1", &s, err, sizeof err), STORE_BAD_FILE);
	assert_non_null(strstr(err, "data sources"));
	assert_int_equal(count_bad(dir), 1);
	assert_int_equal(put(f, "p1", &s), STORE_OK);

	struct store_stats stats;
	store_get_stats(f->st, &stats);
	assert_int_equal(stats.bad_files, 4);
}

/* The whole file into a new buffer; *len its size. */
static unsigned char *
slurp(const char *path, size_t *len)
{
	struct stat sb;
	unsigned char *buf;
	FILE *fp = fopen(path, "rb");

	assert_non_null(fp);
	assert_int_equal(fstat(fileno(fp), &sb), 0);
	*len = (size_t)sb.st_size;
	assert_non_null(buf = malloc(*len));
	assert_int_equal(fread(buf, 1, *len, fp), *len);
	fclose(fp);
	return buf;
}

static void
spit(const char *path, const unsigned char *buf, size_t len)
{
	/* In place, as librrd writes: the inode stays the same. */
	int fd = open(path, O_WRONLY);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, buf, len, 0), (ssize_t)len);
	close(fd);
}

/* Offset of live_head (last_up) in an RRD file image (rrd_format.h). */
static size_t
live_head_off(const unsigned char *img)
{
	stat_head_t sh;

	memcpy(&sh, img, sizeof sh);
	return sizeof(stat_head_t) + sh.ds_cnt * sizeof(ds_def_t) + sh.rra_cnt * sizeof(rra_def_t);
}

static void
reopen(struct fixture *f)
{
	char err[512];

	store_close(f->st);
	f->st = NULL;
	if (store_open(&f->st, &f->conf, err, sizeof err) == -1)
		fail_msg("store_open: %s", err);
}

/*
 * Makes the state a SIGKILL inside librrd's update leaves: the update at
 * T0 + 2 STEP wrote its rows and moved rra_ptr on, but live_head.last_up
 * still says T0 + STEP. Returns the image of the file after the whole
 * update, and the torn image's live_head offset in *lh.
 */
static unsigned char *
make_torn(struct fixture *f, const char *path, size_t *len, size_t *lh)
{
	struct sample s;
	unsigned char *before, *after;
	size_t blen;
	time_t old;

	for (int i = 0; i < 2; i++) {
		sample_at(&s, "a1", T0 + i * STEP);
		sample_set(&s, M_ICMP_RTT_AVG_MS, 10 + i);
		assert_int_equal(put(f, "p1", &s), STORE_OK);
	}
	before = slurp(path, &blen);
	sample_at(&s, "a1", T0 + 2 * STEP);
	sample_set(&s, M_ICMP_RTT_AVG_MS, 12);
	assert_int_equal(put(f, "p1", &s), STORE_OK);
	after = slurp(path, len);
	assert_int_equal(blen, *len);
	*lh = live_head_off(after);

	unsigned char *torn = malloc(*len);
	assert_non_null(torn);
	memcpy(torn, after, *len);
	memcpy(&old, before + *lh, sizeof old);
	assert_int_equal(old, T0 + STEP);
	memcpy(torn + *lh, &old, sizeof old);       /* last_up not yet set */
	spit(path, torn, *len);
	assert_int_equal(last_update(path), T0 + STEP);
	free(torn);
	free(before);
	return after;
}

/* The tear itself, without the undo record: the resent sample is taken a
 * second time and the file is not the one a whole update makes. This is
 * what the collector-kill test caught (rows shifted by one step). */
static void
test_torn_update_unguarded(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];
	size_t len, lh, len2;
	unsigned char *after, *now;
	const char *argv[1] = { "1763800140:12" };

	file_path(f, "p1", "a1", "icmp", path, sizeof path);
	after = make_torn(f, path, &len, &lh);
	assert_int_equal(T0 + 2 * STEP, 1763800140LL);
	/* librrd straight on the torn file: accepted again. */
	assert_int_equal(rrd_updatex_r(path, "icmp_rtt_avg_ms", 0, 1, argv), 0);
	now = slurp(path, &len2);
	assert_int_equal(len2, len);
	assert_memory_not_equal(now + lh, after + lh, len - lh);
	free(now);
	free(after);
}

/* The collector killed inside an update: at the next open the header is
 * put back, and the resent sample makes exactly the file a whole update
 * makes. */
static void
test_torn_update_restored(void **state)
{
	struct fixture *f = *state;
	struct store_stats stats;
	struct sample s;
	char path[PATH_MAX];
	size_t len, lh, len2;
	unsigned char *after, *now;

	file_path(f, "p1", "a1", "icmp", path, sizeof path);
	after = make_torn(f, path, &len, &lh);
	reopen(f);
	store_get_stats(f->st, &stats);
	assert_int_equal(stats.restored, 1);
	assert_int_equal(last_update(path), T0 + STEP);

	sample_at(&s, "a1", T0 + 2 * STEP);
	sample_set(&s, M_ICMP_RTT_AVG_MS, 12);
	assert_int_equal(put(f, "p1", &s), STORE_OK);
	store_get_stats(f->st, &stats);
	assert_int_equal(stats.updates, 1);
	assert_int_equal(stats.already, 0);
	now = slurp(path, &len2);
	assert_int_equal(len2, len);
	assert_memory_equal(now, after, len);
	assert_dbl(fetch_at(path, 1, T0 + STEP), 11, 0);
	assert_dbl(fetch_at(path, 1, T0 + 2 * STEP), 12, 0);

	/* Nothing left to undo: a later open changes nothing. */
	reopen(f);
	store_get_stats(f->st, &stats);
	assert_int_equal(stats.restored, 0);
	free(now);
	now = slurp(path, &len2);
	assert_memory_equal(now, after, len);
	free(now);
	free(after);
}

/* A restart that must leave the file as it is: nothing restored, and the
 * file still byte for byte `want`. */
static void
reopen_unchanged(struct fixture *f, const char *path, const unsigned char *want, size_t len)
{
	struct store_stats stats;
	size_t len2;
	unsigned char *now;

	reopen(f);
	store_get_stats(f->st, &stats);
	assert_int_equal(stats.restored, 0);
	now = slurp(path, &len2);
	assert_int_equal(len2, len);
	assert_memory_equal(now, want, len);
	free(now);
}

/* A record that cannot be trusted, or whose update went through, is left
 * alone: the undo never takes a stored sample back. */
static void
test_undo_left_alone(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX], undo[PATH_MAX];
	size_t len, lh, ulen, len2;
	unsigned char *after, *u, *torn;

	file_path(f, "p1", "a1", "icmp", path, sizeof path);
	snprintf(undo, sizeof undo, "%s/rrd/.undo", f->dir);

	/* A whole update, then a restart: nothing restored. */
	after = make_torn(f, path, &len, &lh);
	torn = slurp(path, &len2);
	spit(path, after, len);
	reopen_unchanged(f, path, after, len);

	/* A record with a bit flipped in its path, and one whose write stopped
	 * after its first page (a short write is a prefix): not applied. */
	u = slurp(undo, &ulen);
	assert_true(ulen > 8192);
	unsigned char *cut = malloc(ulen);
	assert_non_null(cut);
	for (int k = 0; k < 2; k++) {
		memcpy(cut, u, ulen);
		if (k == 0)
			cut[70] ^= 0x40;                  /* inside the path */
		else
			memset(cut + 4096, 0, ulen - 4096);
		spit(path, torn, len);
		spit(undo, cut, ulen);
		reopen_unchanged(f, path, torn, len);
	}
	free(cut);

	/* The record of a file since replaced (another inode): not applied. */
	spit(undo, u, ulen);
	char moved[PATH_MAX + 8];
	snprintf(moved, sizeof moved, "%s.old", path);
	assert_int_equal(rename(path, moved), 0);
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(torn, 1, len, fp), len);
	fclose(fp);
	reopen_unchanged(f, path, torn, len);

	free(u);
	free(torn);
	free(after);
}

/* Another process holding librrd's lock on path (an fcntl write lock, as a
 * second writer would): lock_hold() returns once it holds it. It lets go
 * at lock_release() (hold_ms 0), or by itself after hold_ms. */
struct lock_holder {
	pid_t	pid;
	int	up[2], down[2];
};

static void
lock_hold(struct lock_holder *h, const char *path, unsigned hold_ms)
{
	char c;

	assert_int_equal(pipe(h->up), 0);
	h->down[0] = h->down[1] = -1;
	if (hold_ms == 0)
		assert_int_equal(pipe(h->down), 0);
	h->pid = fork();
	assert_true(h->pid >= 0);
	if (h->pid == 0) {
		struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
		int fd = open(path, O_RDWR);
		if (fd == -1 || fcntl(fd, F_SETLK, &lk) == -1)
			_exit(1);
		(void)!write(h->up[1], "l", 1);
		if (hold_ms == 0)
			(void)!read(h->down[0], &c, 1);   /* until the parent says */
		else
			usleep(hold_ms * 1000);
		_exit(0);                          /* the lock goes with it */
	}
	assert_int_equal(read(h->up[0], &c, 1), 1);
}

/* Lets the holder go (or waits for its time to run out): it exits 0. */
static void
lock_release(struct lock_holder *h)
{
	int status;

	if (h->down[1] != -1)
		assert_int_equal(write(h->down[1], "u", 1), 1);
	assert_int_equal(waitpid(h->pid, &status, 0), h->pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	for (int i = 0; i < 2; i++) {
		close(h->up[i]);
		if (h->down[i] != -1)
			close(h->down[i]);
	}
}

/* An update that fails before writing (another process holds librrd's
 * lock): a retry, nothing "restored", and the next try stores it. */
static void
test_locked_update_not_undone(void **state)
{
	struct fixture *f = *state;
	struct store_stats stats;
	struct sample s;
	struct lock_holder h;
	char path[PATH_MAX], err[1024];

	file_path(f, "p1", "a1", "icmp", path, sizeof path);
	sample_at(&s, "a1", T0);
	sample_set(&s, M_ICMP_RTT_AVG_MS, 1);
	assert_int_equal(put(f, "p1", &s), STORE_OK);

	lock_hold(&h, path, 0);
	sample_at(&s, "a1", T0 + STEP);
	sample_set(&s, M_ICMP_RTT_AVG_MS, 2);
	assert_int_equal(store_write(f->st, "p1", &s, err, sizeof err), STORE_RETRY);
	assert_non_null(strstr(err, "lock"));
	lock_release(&h);

	store_get_stats(f->st, &stats);
	assert_int_equal(stats.restored, 0);
	/* A restart now finds the record of the failed update: the file did
	 * not change, so there is nothing to put back. */
	reopen(f);
	store_get_stats(f->st, &stats);
	assert_int_equal(stats.restored, 0);
	assert_int_equal(put(f, "p1", &s), STORE_OK);
	assert_dbl(fetch_at(path, 1, T0 + STEP), 2, 1e-9);
}

static void
test_retention(void **state)
{
	struct fixture *f = *state;
	struct store *st;
	struct store_conf conf = f->conf;
	struct sample s;
	char err[512], path[PATH_MAX];

	snprintf(conf.retention, sizeof conf.retention,
	    "RRA:AVERAGE:0.5:1:10  RRA:MAX:0.5:10:5");
	assert_int_equal(store_open(&st, &conf, err, sizeof err), 0);
	sample_at(&s, "a9", T0);
	sample_set(&s, M_CLIENTS, 3);
	assert_int_equal(store_write(st, "p1", &s, err, sizeof err), STORE_OK);
	store_close(st);
	file_path(f, "p1", "a9", "traffic", path, sizeof path);
	rrd_info_t *info = rrd_info_r(path), *p;
	int nrra = 0;
	for (p = info; p != NULL; p = p->next) {
		if (strcmp(p->key, "rra[0].rows") == 0)
			assert_int_equal(p->value.u_cnt, 10);
		if (strcmp(p->key, "rra[1].cf") == 0)
			assert_string_equal(p->value.u_str, "MAX");
		if (strncmp(p->key, "rra[", 4) == 0 && strstr(p->key, "].cf") != NULL)
			nrra++;
	}
	rrd_info_free(info);
	assert_int_equal(nrra, 2);

	snprintf(conf.retention, sizeof conf.retention, "AVERAGE:0.5:1:10");
	assert_int_equal(store_open(&st, &conf, err, sizeof err), -1);
	assert_non_null(strstr(err, "retention"));
	snprintf(conf.data_dir, sizeof conf.data_dir, "%s/missing", f->dir);
	conf.retention[0] = '\0';
	assert_int_equal(store_open(&st, &conf, err, sizeof err), -1);
}

/* A step other than 60: the rows follow the step. */
static void
test_other_step(void **state)
{
	struct fixture *f = *state;
	struct sample s;
	char path[PATH_MAX];

	sample_at(&s, "a1", T0);
	s.interval = 300;
	sample_set(&s, M_IF_RX_BPS, 1e6);
	assert_int_equal(put(f, "p1", &s), STORE_OK);
	file_path(f, "p1", "a1", "if", path, sizeof path);
	rrd_info_t *info = rrd_info_r(path), *p;
	int seen = 0;
	for (p = info; p != NULL; p = p->next) {
		if (strcmp(p->key, "step") == 0 && p->value.u_cnt == 300)
			seen |= 1;
		if (strcmp(p->key, "rra[0].rows") == 0 && p->value.u_cnt == 288)
			seen |= 2;
		if (strcmp(p->key, "ds[if_rx_bps].minimal_heartbeat") == 0 &&
		    p->value.u_cnt == 900)
			seen |= 4;
	}
	rrd_info_free(info);
	assert_int_equal(seen, 7);
}

/* ---- interval changes and [rrd] min_step ---- */

#define FINE 10           /* the interval before the change */

/* An unsigned value of rrd_info_r's (a DS heartbeat, the step), or 0. */
static unsigned long
info_cnt(const char *path, const char *key)
{
	rrd_info_t *info = rrd_info_r(path), *p;
	unsigned long v = 0;

	if (info == NULL)
		fail_msg("info %s: %s", path, rrd_get_error());
	for (p = info; p != NULL; p = p->next)
		if (strcmp(p->key, key) == 0 && p->type == RD_I_CNT)
			v = p->value.u_cnt;
	rrd_info_free(info);
	return v;
}

/* Every DS of icmp.rrd has heartbeat hb. */
static void
assert_icmp_heartbeat(const char *path, unsigned long hb)
{
	const char *ds[] = { "icmp_rtt_min_ms", "icmp_rtt_avg_ms", "icmp_rtt_max_ms",
		"icmp_rtt_p50_ms", "icmp_rtt_p90_ms", "icmp_jitter_ms", "icmp_loss_pct" };
	char key[128];

	for (size_t i = 0; i < sizeof ds / sizeof ds[0]; i++) {
		snprintf(key, sizeof key, "ds[%s].minimal_heartbeat", ds[i]);
		assert_int_equal(info_cnt(path, key), hb);
	}
}

/*
 * The AVERAGE rows of DS ds in (start, end] at resolution res: how many
 * hold a value, and each of them must be want(row's end time).
 */
static int
count_known(const char *path, int ds, time_t start, time_t end, unsigned long res,
    double (*want)(time_t))
{
	unsigned long step = res, n;
	char **names;
	rrd_value_t *data;
	time_t s0 = start, e0 = end;
	int known = 0;

	if (rrd_fetch_r(path, "AVERAGE", &s0, &e0, &step, &n, &names, &data) == -1)
		fail_msg("fetch %s: %s", path, rrd_get_error());
	assert_int_equal(step, res);
	for (time_t t = s0 + (time_t)step; t <= e0; t += (time_t)step) {
		unsigned long row = (unsigned long)((t - s0) / (time_t)step - 1);
		double v = data[row * n + (unsigned long)ds];
		if (t <= start || t > end || isnan(v))
			continue;
		assert_dbl(v, want(t), 1e-9);
		known++;
	}
	for (unsigned long i = 0; i < n; i++)
		rrd_freemem(names[i]);
	rrd_freemem(names);
	rrd_freemem(data);
	return known;
}

/* The value the interval tests store for the sample ending at t, and so
 * for every row it covers: a function of the sample's time. */
static double
value_fine(time_t t)
{
	return (double)(t - T0) / FINE;
}

/* A 60 s sample covers six 10 s rows: each holds the value of the sample
 * that ends at or after it. */
static double
value_coarse(time_t t)
{
	time_t end = T0 + 29 * FINE;

	return 1000 + (double)((t - end + STEP - 1) / STEP);
}

/* The samples of the interval tests: 30 at 10 s, T0 .. T0 + 290, then
 * count at 60 s from T0 + 290 + 60 on (from + 1 .. from + count). */
static void
sample_fine(struct sample *s, int i)
{
	sample_at(s, "a1", T0 + i * FINE);
	s->interval = FINE;
	sample_set(s, M_ICMP_RTT_AVG_MS, value_fine((time_t)s->ts));
}

static void
sample_coarse(struct sample *s, int k)
{
	sample_at(s, "a1", T0 + 29 * FINE + k * STEP);
	sample_set(s, M_ICMP_RTT_AVG_MS, 1000 + k);
}

/*
 * An agent's interval grows from 10 s to 60 s: the file's heartbeat is
 * raised (once, logged, counted) before the first 60 s sample is stored,
 * so every row after the change holds a value, and the 10 s history
 * stays. A fresh store reads the heartbeat from the file.
 */
static void
test_interval_grows(void **state)
{
	struct fixture *f = *state;
	struct store_stats stats;
	struct sample s;
	char path[PATH_MAX];
	time_t change = T0 + 29 * FINE;

	file_path(f, "p1", "a1", "icmp", path, sizeof path);
	for (int i = 0; i < 30; i++) {
		sample_fine(&s, i);
		assert_int_equal(put(f, "p1", &s), STORE_OK);
	}
	assert_int_equal(info_cnt(path, "step"), FINE);
	assert_icmp_heartbeat(path, 3 * FINE);
	/* The next store learns the heartbeat from the header. */
	reopen(f);
	for (int k = 1; k <= 20; k++) {
		sample_coarse(&s, k);
		assert_int_equal(put(f, "p1", &s), STORE_OK);
	}
	store_get_stats(f->st, &stats);
	assert_int_equal(stats.tunes, 1);
	assert_int_equal(stats.updates, 20);
	assert_int_equal(stats.checks, 1);   /* one look at the file: the rest is cached */
	assert_icmp_heartbeat(path, 3 * STEP);
	assert_int_equal(info_cnt(path, "step"), FINE);   /* not recreated */
	assert_int_equal(last_update(path), change + 20 * STEP);

	/* Every 10 s row of the 60 s samples holds its value ... */
	assert_int_equal(count_known(path, 1, change, change + 20 * STEP, FINE, value_coarse),
	    20 * STEP / FINE);
	/* ... and the rows before the change are still there (T0's row
	 * too: the file starts at T0 - 10). */
	assert_int_equal(count_known(path, 1, T0 - FINE, change, FINE, value_fine), 30);

	/* Back to 10 s: the longer heartbeat fits it, nothing is tuned. And
	 * a restart reads 180 from the file. */
	reopen(f);
	sample_at(&s, "a1", change + 20 * STEP + FINE);
	s.interval = FINE;
	sample_set(&s, M_ICMP_RTT_AVG_MS, 5);
	assert_int_equal(put(f, "p1", &s), STORE_OK);
	sample_coarse(&s, 21);
	s.ts += FINE;
	assert_int_equal(put(f, "p1", &s), STORE_OK);
	store_get_stats(f->st, &stats);
	assert_int_equal(stats.tunes, 0);
	assert_int_equal(stats.updates, 2);
	assert_icmp_heartbeat(path, 3 * STEP);
}

/*
 * The undo record of a direct update is taken after the tune: the update
 * that asked for the tune, cut short by a kill, is put back to the tuned
 * file (heartbeat kept), and the resent sample makes exactly the file a
 * whole update makes.
 */
static void
test_interval_tune_then_torn(void **state)
{
	struct fixture *f = *state;
	struct store_stats stats;
	struct sample s;
	char path[PATH_MAX];
	unsigned char *before, *after, *now;
	size_t blen, len, nlen, lh;
	time_t old;

	file_path(f, "p1", "a1", "icmp", path, sizeof path);
	for (int i = 0; i < 30; i++) {
		sample_fine(&s, i);
		assert_int_equal(put(f, "p1", &s), STORE_OK);
	}
	before = slurp(path, &blen);
	sample_coarse(&s, 1);
	assert_int_equal(put(f, "p1", &s), STORE_OK);
	after = slurp(path, &len);
	assert_int_equal(blen, len);
	/* The rows and pointers moved on, last_up not yet. */
	lh = live_head_off(after);
	now = malloc(len);
	assert_non_null(now);
	memcpy(now, after, len);
	memcpy(&old, before + lh, sizeof old);
	memcpy(now + lh, &old, sizeof old);
	spit(path, now, len);
	free(now);

	reopen(f);
	store_get_stats(f->st, &stats);
	assert_int_equal(stats.restored, 1);
	assert_int_equal(last_update(path), T0 + 29 * FINE);
	assert_icmp_heartbeat(path, 3 * STEP);
	/* The resent sample: no second tune, the same file as a whole update. */
	assert_int_equal(put(f, "p1", &s), STORE_OK);
	store_get_stats(f->st, &stats);
	assert_int_equal(stats.tunes, 0);
	now = slurp(path, &nlen);
	assert_int_equal(nlen, len);
	assert_memory_equal(now, after, len);
	free(now);
	free(after);
	free(before);
}

/* The bytes of the files in dir (what `du -b` counts for them). */
static long long
dir_bytes(const char *dir)
{
	struct dirent *e;
	struct stat sb;
	long long total = 0;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(sb.st_mode))
			total += (long long)sb.st_size;
	closedir(d);
	return total;
}

/* One sample with every metric, at interval 1. */
static void
sample_every_metric(struct sample *s, const char *agent)
{
	sample_at(s, agent, T0);
	s->interval = 1;
	for (int m = 0; m < METRIC_COUNT; m++)
		sample_set(s, m, 1);
}

/*
 * [rrd] min_step: an agent at interval 1 gets files of step 10 (the
 * default), which bounds what one agent's files take on disk
 * (docs/collector.md: 23,307,024 bytes in its six files, 23,311,120 with
 * the directory, `du -b`); a store set to 1 keeps step 1.
 */
static void
test_min_step(void **state)
{
	struct fixture *f = *state;
	struct store *st;
	struct store_conf conf = f->conf;
	struct sample s;
	char path[PATH_MAX], dir[PATH_MAX], err[512];

	sample_every_metric(&s, "a1");
	assert_int_equal(put(f, "p1", &s), STORE_OK);
	file_path(f, "p1", "a1", "icmp", path, sizeof path);
	assert_int_equal(info_cnt(path, "step"), STORE_MIN_STEP_DEFAULT);
	assert_int_equal(info_cnt(path, "rra[0].rows"), 86400 / STORE_MIN_STEP_DEFAULT);
	assert_icmp_heartbeat(path, 3 * STORE_MIN_STEP_DEFAULT);
	snprintf(dir, sizeof dir, "%s/rrd/p1/a1", f->dir);
	long long bytes = dir_bytes(dir);
	print_message("one agent, every group, interval 1, min_step 10: %lld bytes\n", bytes);
	assert_true(bytes <= 23307024);
	/* A second sample a second later lands in the same 10 s row. */
	s.ts = T0 + 1;
	sample_set(&s, M_ICMP_RTT_AVG_MS, 3);
	assert_int_equal(put(f, "p1", &s), STORE_OK);
	assert_int_equal(last_update(path), T0 + 1);

	/* min_step 1: step 1 (small archives: the step is what is tested). */
	conf.min_step = 1;
	snprintf(conf.retention, sizeof conf.retention, "RRA:AVERAGE:0.5:1:100");
	assert_int_equal(store_open(&st, &conf, err, sizeof err), 0);
	sample_at(&s, "a2", T0);
	s.interval = 1;
	sample_set(&s, M_TCP_CONNECT_MS, 12);
	assert_int_equal(store_write(st, "p1", &s, err, sizeof err), STORE_OK);
	store_close(st);
	file_path(f, "p1", "a2", "tcp", path, sizeof path);
	assert_int_equal(info_cnt(path, "step"), 1);
	assert_int_equal(info_cnt(path, "ds[tcp_connect_ms].minimal_heartbeat"), 3);

	/* An interval above min_step is the step, as before. */
	conf.min_step = 30;
	assert_int_equal(store_open(&st, &conf, err, sizeof err), 0);
	sample_at(&s, "a3", T0);
	s.interval = 60;
	sample_set(&s, M_TCP_CONNECT_MS, 12);
	assert_int_equal(store_write(st, "p1", &s, err, sizeof err), STORE_OK);
	store_close(st);
	file_path(f, "p1", "a3", "tcp", path, sizeof path);
	assert_int_equal(info_cnt(path, "step"), 60);

	/* Beyond the longest interval: refused at open. */
	conf.min_step = 3601;
	assert_int_equal(store_open(&st, &conf, err, sizeof err), -1);
	assert_non_null(strstr(err, "min_step"));
}

/* ---- rrdcached ---- */

/* Whether a unix socket takes a connection now. */
static bool
accepts(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd == -1 || strlen(path) >= sizeof sa.sun_path) {
		if (fd != -1)
			close(fd);
		return false;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	close(fd);
	return ok;
}

static int
start_rrdcached(struct fixture *f)
{
	char journal[PATH_MAX], base[PATH_MAX], pidfile[PATH_MAX], log[PATH_MAX];
	struct stat sb;

	snprintf(journal, sizeof journal, "%s/journal", f->dir);
	(void)mkdir(journal, 0750);
	snprintf(base, sizeof base, "%s/rrd", f->dir);
	snprintf(pidfile, sizeof pidfile, "%s/rrdcached.pid", f->dir);
	snprintf(log, sizeof log, "%s/rrdcached.log", f->dir);
	snprintf(f->sock, sizeof f->sock, "%s/rrdcached.sock", f->dir);
	(void)unlink(pidfile);
	/* One left by a daemon killed with SIGKILL would pass for the new one's. */
	(void)unlink(f->sock);

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char listen[160];
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0640);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		snprintf(listen, sizeof listen, "unix:%s", f->sock);
		/* -w/-f an hour: nothing reaches the files unless flushed. */
		if (f->perms != NULL)   /* -P before -l: it applies to the next listener */
			execlp("rrdcached", "rrdcached", "-g", "-P", f->perms, "-l", listen,
			    "-j", journal, "-b", base, "-B", "-F", "-w", "3600", "-f", "7200",
			    "-z", "1", "-p", pidfile, (char *)NULL);
		execlp("rrdcached", "rrdcached", "-g", "-l", listen, "-j", journal,
		    "-b", base, "-B", "-F", "-w", "3600", "-f", "7200", "-z", "1",
		    "-p", pidfile, (char *)NULL);
		_exit(127);
	}
	f->cached = pid;
	/* Up when it accepts a connection: the socket file exists from its
	 * bind(), before listen() and before the journal is replayed (a
	 * flush right after a restart was refused on a busy machine). */
	for (int i = 0; i < 1000; i++) {
		if (stat(f->sock, &sb) == 0 && accepts(f->sock))
			return 0;
		int status;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			f->cached = 0;
			return -1;
		}
		usleep(10000);
	}
	return -1;
}

static int
have_rrdcached(void)
{
	return system("command -v rrdcached >/dev/null 2>&1") == 0;
}

/* rrdcached started and a store on it (conf filled in); false, with the
 * test skipped, where rrdcached is not installed. */
static bool
open_cached(struct fixture *f, struct store_conf *conf, struct store **st)
{
	char err[1024];

	if (!have_rrdcached()) {
		skip();
		return false;
	}
	assert_int_equal(start_rrdcached(f), 0);
	snprintf(conf->rrdcached, sizeof conf->rrdcached, "unix:%s", f->sock);
	if (store_open(st, conf, err, sizeof err) == -1)
		fail_msg("store_open: %s", err);
	return true;
}

/* rrdcached killed (losing what it had not written) and started again. */
static void
restart_rrdcached_killed(struct fixture *f)
{
	kill(f->cached, SIGKILL);
	waitpid(f->cached, NULL, 0);
	f->cached = 0;
	assert_int_equal(start_rrdcached(f), 0);
}

static void
test_rrdcached(void **state)
{
	struct fixture *f = *state;
	struct store *st;
	struct store_conf conf = f->conf;
	struct sample s;
	char err[1024], path[PATH_MAX];

	if (!open_cached(f, &conf, &st))
		return;

	for (int i = 0; i < 20; i++) {
		sample_at(&s, "c1", T0 + i * STEP);
		sample_set(&s, M_ICMP_RTT_AVG_MS, 100 + i);
		if (i % 3 == 0)
			sample_set(&s, M_ICMP_RTT_MIN_MS, 50 + i);
		sample_set(&s, M_RADIO_SNR_DB, 20 + i);
		assert_int_equal(store_write(st, "p1", &s, err, sizeof err), STORE_OK);
	}
	/* A resend is already held by rrdcached (in its queue). */
	assert_int_equal(store_write(st, "p1", &s, err, sizeof err), STORE_OK);

	file_path(f, "p1", "c1", "icmp", path, sizeof path);
	/* Created on disk, but the updates wait in rrdcached. */
	assert_int_equal(last_update(path), T0 - STEP);
	assert_int_equal(store_flush(st, err, sizeof err), 0);
	assert_int_equal(last_update(path), T0 + 19 * STEP);
	for (int i = 0; i < 20; i++) {
		time_t t = (time_t)(T0 + i * STEP);
		assert_dbl(fetch_at(path, 1, t), 100 + i, 1e-9);
		if (i % 3 == 0)
			assert_dbl(fetch_at(path, 0, t), 50 + i, 1e-9);
		else
			assert_true(isnan(fetch_at(path, 0, t)));
	}
	file_path(f, "p1", "c1", "radio", path, sizeof path);
	assert_dbl(fetch_at(path, 2, T0 + 19 * STEP), 39, 1e-9);
	struct store_stats stats;
	store_get_stats(st, &stats);
	assert_int_equal(stats.updates, 40);
	assert_int_equal(stats.already, 2);
	/* Nothing new: flushing again is a no-op. */
	assert_int_equal(store_flush(st, err, sizeof err), 0);

	/* rrdcached gone: retry, never a silent direct write (and no
	 * SIGPIPE on the dead connection). */
	stop_rrdcached(f);
	sample_at(&s, "c1", T0 + 20 * STEP);
	sample_set(&s, M_ICMP_RTT_AVG_MS, 120);
	assert_int_equal(store_write(st, "p1", &s, err, sizeof err), STORE_RETRY);
	assert_int_equal(store_write(st, "p1", &s, err, sizeof err), STORE_RETRY);
	file_path(f, "p1", "c1", "icmp", path, sizeof path);
	assert_int_equal(last_update(path), T0 + 19 * STEP);
	/* A new agent's file may be created, but its update still waits. */
	sample_at(&s, "c2", T0);
	sample_set(&s, M_ICMP_RTT_AVG_MS, 1);
	assert_int_equal(store_write(st, "p1", &s, err, sizeof err), STORE_RETRY);

	/* Back: the same samples go through. */
	assert_int_equal(start_rrdcached(f), 0);
	sample_at(&s, "c1", T0 + 20 * STEP);
	sample_set(&s, M_ICMP_RTT_AVG_MS, 120);
	assert_int_equal(store_write(st, "p1", &s, err, sizeof err), STORE_OK);
	sample_at(&s, "c2", T0);
	sample_set(&s, M_ICMP_RTT_AVG_MS, 1);
	assert_int_equal(store_write(st, "p1", &s, err, sizeof err), STORE_OK);
	assert_int_equal(store_flush(st, err, sizeof err), 0);
	assert_dbl(fetch_at(path, 1, T0 + 20 * STEP), 120, 1e-9);
	file_path(f, "p1", "c2", "icmp", path, sizeof path);
	assert_dbl(fetch_at(path, 1, T0), 1, 1e-9);

	/* Flush with the daemon down fails, and succeeds once it is back. */
	sample_at(&s, "c2", T0 + STEP);
	sample_set(&s, M_ICMP_RTT_AVG_MS, 2);
	assert_int_equal(store_write(st, "p1", &s, err, sizeof err), STORE_OK);
	stop_rrdcached(f);   /* -F: it writes its queue as it stops */
	assert_int_equal(store_flush(st, err, sizeof err), -1);
	assert_int_equal(start_rrdcached(f), 0);
	assert_int_equal(store_flush(st, err, sizeof err), 0);
	assert_dbl(fetch_at(path, 1, T0 + STEP), 2, 1e-9);

	/* A corrupt file behind rrdcached's back. */
	sleep(1);
	write_garbage(path);
	sample_at(&s, "c2", T0 + 2 * STEP);
	sample_set(&s, M_ICMP_RTT_AVG_MS, 3);
	enum store_result r = store_write(st, "p1", &s, err, sizeof err);
	assert_true(r == STORE_BAD_FILE || r == STORE_OK);
	if (r == STORE_OK) {
		/* rrdcached queued it without reading the file: the flush
		 * fails, and the next write finds the file bad. */
		(void)store_flush(st, err, sizeof err);
		sample_at(&s, "c2", T0 + 3 * STEP);
		sample_set(&s, M_ICMP_RTT_AVG_MS, 4);
		r = store_write(st, "p1", &s, err, sizeof err);
	}
	assert_int_equal(r, STORE_BAD_FILE);
	/* Moved aside and forgotten by rrdcached: the next sample recreates
	 * the file and lands in it. */
	sample_at(&s, "c2", T0 + 5 * STEP);
	sample_set(&s, M_ICMP_RTT_AVG_MS, 6);
	assert_int_equal(store_write(st, "p1", &s, err, sizeof err), STORE_OK);
	assert_int_equal(store_flush(st, err, sizeof err), 0);
	assert_dbl(fetch_at(path, 1, T0 + 5 * STEP), 6, 0);
	store_close(st);
}

/* ---- rrdcached, in batches ---- */

struct refusal {
	size_t cmd[8];
	char msg[8][256];
	int n;
};

static void
note_refusal(size_t cmd, const char *msg, void *arg)
{
	struct refusal *r = arg;

	if (r->n < 8) {
		r->cmd[r->n] = cmd;
		snprintf(r->msg[r->n], sizeof r->msg[r->n], "%s", msg);
	}
	r->n++;
}

/* The protocol itself: each refusal comes back with the number of its
 * command, names with spaces reach the file, a dead daemon is an error. */
static void
test_rrdc_batch(void **state)
{
	struct fixture *f = *state;
	char dir[PATH_MAX / 2], path[PATH_MAX], missing[PATH_MAX], addr[PATH_MAX + 8], err[512];
	char start[32];
	struct refusal r = { 0 };

	if (!have_rrdcached()) {
		skip();
		return;
	}
	snprintf(dir, sizeof dir, "%s/rrd/with space\\and slash", f->dir);
	assert_int_equal(mkdir(dir, 0750), 0);
	snprintf(path, sizeof path, "%s/x.rrd", dir);
	snprintf(missing, sizeof missing, "%s/missing.rrd", dir);
	snprintf(start, sizeof start, "%lld", T0 - STEP);
	const char *argv[] = { "DS:v:GAUGE:180:U:U", "RRA:AVERAGE:0.5:1:100" };
	/* librrd would tell the daemon of an earlier test (gone) of the
	 * new file over its process-wide connection. */
	rrdc_disconnect();
	assert_int_equal(rrd_create_r(path, STEP, T0 - STEP, 2, argv), 0);
	assert_int_equal(start_rrdcached(f), 0);
	snprintf(addr, sizeof addr, "unix:%s", f->sock);

	struct rrdc_batch *b = rrdc_batch_new(addr, 5);
	assert_non_null(b);
	char v0[64], v1[64];
	snprintf(v0, sizeof v0, "%lld:1", T0);
	snprintf(v1, sizeof v1, "%lld:2", T0 + STEP);
	assert_int_equal(rrdc_batch_update(b, path, v0), 1);
	assert_int_equal(rrdc_batch_update(b, path, v0), 2);       /* again: refused */
	assert_int_equal(rrdc_batch_update(b, missing, v0), 3);    /* no such file */
	assert_int_equal(rrdc_batch_update(b, path, v1), 4);
	assert_int_equal(rrdc_batch_update(b, "bad\nname", v1), 0);
	assert_int_equal(rrdc_batch_count(b), 4);
	assert_int_equal(rrdc_batch_send(b, note_refusal, &r, err, sizeof err), 2);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.cmd[0], 2);
	assert_non_null(strstr(r.msg[0], "illegal attempt to update using time"));
	assert_int_equal(r.cmd[1], 3);
	assert_non_null(strstr(r.msg[1], "No such file"));
	assert_int_equal(rrdc_batch_count(b), 0);
	/* An empty batch needs no daemon. */
	assert_int_equal(rrdc_batch_send(b, note_refusal, &r, err, sizeof err), 0);

	/* What was taken reaches the file (the name with its space and
	 * backslash arrived whole). */
	stop_rrdcached(f);   /* -F: it writes its queue as it stops */
	assert_int_equal(last_update(path), T0 + STEP);
	assert_dbl(fetch_at(path, 0, T0), 1, 0);
	assert_dbl(fetch_at(path, 0, T0 + STEP), 2, 0);

	/* No daemon: the exchange fails, the queue is emptied. */
	assert_int_equal(rrdc_batch_update(b, path, v1), 1);
	r.n = 0;
	assert_int_equal(rrdc_batch_send(b, note_refusal, &r, err, sizeof err), -1);
	assert_non_null(strstr(err, f->sock));
	assert_int_equal(r.n, 0);
	assert_int_equal(rrdc_batch_count(b), 0);
	/* Back: the same connection object connects again. */
	assert_int_equal(start_rrdcached(f), 0);
	snprintf(v1, sizeof v1, "%lld:3", T0 + 2 * STEP);
	assert_int_equal(rrdc_batch_update(b, path, v1), 1);
	assert_int_equal(rrdc_batch_send(b, note_refusal, &r, err, sizeof err), 0);
	rrdc_batch_free(b);
	stop_rrdcached(f);
	assert_dbl(fetch_at(path, 0, T0 + 2 * STEP), 3, 0);
}

struct done_log {
	uint64_t seq[64];
	unsigned updates[64], already[64];
	int n;
};

static void
note_done(const struct sample *s, unsigned updates, unsigned already, void *arg)
{
	struct done_log *d = arg;

	assert_true(d->n < 64);
	d->seq[d->n] = s->seq;
	d->updates[d->n] = updates;
	d->already[d->n] = already;
	d->n++;
}

/* A flush pass polled to its end: its result (bounded at 10 s). */
static int
poll_flush(struct store *st, char *err, size_t errlen)
{
	bool complete = false;

	for (int i = 0; i < 1000; i++) {
		if (store_flush_poll(st, &complete, err, errlen) == -1)
			return -1;
		if (complete)
			return 0;
		usleep(10000);
	}
	fail_msg("flush pass not done in 10 s");
	return -1;
}

/* The store's batches: the same files and values as one write at a time,
 * refusals settled alone, a failed exchange reported. */
static void
test_rrdcached_batch(void **state)
{
	struct fixture *f = *state;
	struct store *st;
	struct store_conf conf = f->conf;
	struct sample s;
	struct store_stats stats;
	struct done_log d = { 0 };
	char err[1024], path[PATH_MAX];

	if (!open_cached(f, &conf, &st))
		return;

	store_batch_begin(st);
	assert_true(store_batch_open(st));
	for (int i = 0; i < 20; i++) {
		sample_at(&s, "c1", T0 + i * STEP);
		s.seq = (uint64_t)i + 1;
		sample_set(&s, M_ICMP_RTT_AVG_MS, 100 + i);
		sample_set(&s, M_RADIO_SNR_DB, 20 + i);
		assert_int_equal(store_write(st, "p1", &s, err, sizeof err), STORE_OK);
	}
	/* Queued, not sent: rrdcached knows nothing yet. */
	file_path(f, "p1", "c1", "icmp", path, sizeof path);
	assert_int_equal(last_update(path), T0 - STEP);
	/* A resend of the last, in the same batch. */
	assert_int_equal(store_write(st, "p1", &s, err, sizeof err), STORE_OK);
	/* Refused before it is queued: not reported as stored. */
	sample_at(&s, "../c9", T0);
	sample_set(&s, M_ICMP_RTT_AVG_MS, 1);
	assert_int_equal(store_write(st, "p1", &s, err, sizeof err), STORE_REFUSED);
	assert_int_equal(store_batch_end(st, note_done, &d, err, sizeof err), 0);
	assert_false(store_batch_open(st));
	assert_int_equal(d.n, 21);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(d.seq[i], i + 1);
		assert_int_equal(d.updates[i], 2);
		assert_int_equal(d.already[i], 0);
	}
	assert_int_equal(d.updates[20], 0);
	assert_int_equal(d.already[20], 2);
	store_get_stats(st, &stats);
	assert_int_equal(stats.updates, 40);
	assert_int_equal(stats.already, 2);
	assert_int_equal(store_flush(st, err, sizeof err), 0);
	assert_int_equal(last_update(path), T0 + 19 * STEP);
	for (int i = 0; i < 20; i++)
		assert_dbl(fetch_at(path, 1, (time_t)(T0 + i * STEP)), 100 + i, 1e-9);

	/* A file removed between its check and the exchange: rrdcached
	 * refuses it, the update alone creates it again and lands. */
	d.n = 0;
	store_batch_begin(st);
	sample_at(&s, "c3", T0);
	s.seq = 1;
	sample_set(&s, M_ICMP_RTT_AVG_MS, 7);
	assert_int_equal(store_write(st, "p1", &s, err, sizeof err), STORE_OK);
	file_path(f, "p1", "c3", "icmp", path, sizeof path);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(store_batch_end(st, note_done, &d, err, sizeof err), 0);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.updates[0], 1);
	assert_int_equal(d.already[0], 0);
	assert_int_equal(store_flush(st, err, sizeof err), 0);
	assert_dbl(fetch_at(path, 1, T0), 7, 0);

	/* rrdcached gone: the exchange fails; the samples are still
	 * reported (the caller holds them in its write-ahead log). */
	stop_rrdcached(f);
	d.n = 0;
	store_batch_begin(st);
	sample_at(&s, "c1", T0 + 20 * STEP);
	s.seq = 21;
	sample_set(&s, M_ICMP_RTT_AVG_MS, 120);
	assert_int_equal(store_write(st, "p1", &s, err, sizeof err), STORE_OK);
	assert_int_equal(store_batch_end(st, note_done, &d, err, sizeof err), -1);
	assert_non_null(strstr(err, "rrdcached"));
	assert_int_equal(d.n, 1);
	file_path(f, "p1", "c1", "icmp", path, sizeof path);
	assert_int_equal(last_update(path), T0 + 19 * STEP);

	/* Back: the same sample again goes through. */
	assert_int_equal(start_rrdcached(f), 0);
	store_batch_begin(st);
	assert_int_equal(store_write(st, "p1", &s, err, sizeof err), STORE_OK);
	assert_int_equal(store_batch_end(st, NULL, NULL, err, sizeof err), 0);
	assert_int_equal(store_flush(st, err, sizeof err), 0);
	assert_dbl(fetch_at(path, 1, T0 + 20 * STEP), 120, 1e-9);

	/* A pass on the flush thread: the writer only looks in. */
	store_batch_begin(st);
	s.seq = 22;
	s.ts = T0 + 21 * STEP;
	sample_set(&s, M_ICMP_RTT_AVG_MS, 121);
	assert_int_equal(store_write(st, "p1", &s, err, sizeof err), STORE_OK);
	assert_int_equal(store_batch_end(st, NULL, NULL, err, sizeof err), 0);
	assert_int_equal(poll_flush(st, err, sizeof err), 0);
	assert_int_equal(last_update(path), T0 + 21 * STEP);

	/* rrdcached killed (losing what it had confirmed) and back before
	 * any send noticed: the pass finds nothing to flush, and must not
	 * vouch for the lost update. */
	store_batch_begin(st);
	s.seq = 23;
	s.ts = T0 + 22 * STEP;
	assert_int_equal(store_write(st, "p1", &s, err, sizeof err), STORE_OK);
	assert_int_equal(store_batch_end(st, NULL, NULL, err, sizeof err), 0);
	restart_rrdcached_killed(f);
	assert_int_equal(poll_flush(st, err, sizeof err), -1);
	assert_int_equal(last_update(path), T0 + 21 * STEP);
	/* The PING found the batch connection broken and closed it: the
	 * caller's resend (its write-ahead log) goes to the new daemon. */
	store_batch_begin(st);
	assert_int_equal(store_write(st, "p1", &s, err, sizeof err), STORE_OK);
	assert_int_equal(store_batch_end(st, NULL, NULL, err, sizeof err), 0);
	assert_int_equal(poll_flush(st, err, sizeof err), 0);
	assert_int_equal(last_update(path), T0 + 22 * STEP);
	/* The same holds for a flush that waits. */
	s.seq = 24;
	s.ts = T0 + 23 * STEP;
	store_batch_begin(st);
	assert_int_equal(store_write(st, "p1", &s, err, sizeof err), STORE_OK);
	assert_int_equal(store_batch_end(st, NULL, NULL, err, sizeof err), 0);
	restart_rrdcached_killed(f);
	assert_int_equal(store_flush(st, err, sizeof err), -1);
	store_close(st);

	/* Where only the batch connection saw the old daemon (the flush
	 * thread's first pass meets the new one): its check says so. */
	assert_int_equal(store_open(&st, &conf, err, sizeof err), 0);
	store_batch_begin(st);
	s.seq = 25;
	s.ts = T0 + 24 * STEP;
	assert_int_equal(store_write(st, "p1", &s, err, sizeof err), STORE_OK);
	if (store_batch_end(st, NULL, NULL, err, sizeof err) != 0)
		fail_msg("%s", err);
	restart_rrdcached_killed(f);
	assert_int_equal(poll_flush(st, err, sizeof err), -1);
	assert_non_null(strstr(err, "the daemon the updates went to is gone"));
	store_close(st);
}

/* rrdcached that does not allow BATCH (-P): the updates go one by one,
 * nothing is lost, and the store stops trying batches. */
static void
test_rrdcached_no_batch(void **state)
{
	struct fixture *f = *state;
	struct store *st;
	struct store_conf conf = f->conf;
	struct sample s;
	struct done_log d = { 0 };
	char err[1024], path[PATH_MAX];

	f->perms = "UPDATE,FLUSH,FORGET,PING";
	if (!open_cached(f, &conf, &st))
		return;
	for (int round = 0; round < 2; round++) {
		store_batch_begin(st);
		for (int i = 0; i < 3; i++) {
			sample_at(&s, "c1", T0 + (round * 3 + i) * STEP);
			s.seq = (uint64_t)(round * 3 + i) + 1;
			sample_set(&s, M_ICMP_RTT_AVG_MS, 10 + round * 3 + i);
			assert_int_equal(store_write(st, "p1", &s, err, sizeof err), STORE_OK);
		}
		if (store_batch_end(st, note_done, &d, err, sizeof err) != 0)
			fail_msg("%s", err);
		/* Refused once: the next round writes at once, no batch. */
		assert_false(store_batch_open(st));
	}
	assert_int_equal(d.n, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(d.updates[i], 1);
	assert_int_equal(poll_flush(st, err, sizeof err), 0);
	file_path(f, "p1", "c1", "icmp", path, sizeof path);
	for (int i = 0; i < 6; i++)
		assert_dbl(fetch_at(path, 1, (time_t)(T0 + i * STEP)), 10 + i, 1e-9);
	store_close(st);
}

/*
 * The interval change through rrdcached, in a batch: updates of the file
 * that rrdcached still holds (sent, not flushed) are written before the
 * tune (none is lost to the tune's FORGET), the ones queued in the same
 * batch go after it, and every row holds its value.
 */
static void
test_rrdcached_interval_grows(void **state)
{
	struct fixture *f = *state;
	struct store *st;
	struct store_conf conf = f->conf;
	struct store_stats stats;
	struct sample s;
	struct done_log d = { 0 };
	char err[1024], path[PATH_MAX];
	time_t change = T0 + 29 * FINE;

	if (!open_cached(f, &conf, &st))
		return;
	file_path(f, "p1", "a1", "icmp", path, sizeof path);
	/* 20 samples at 10 s sent (rrdcached holds them: -w is an hour). */
	store_batch_begin(st);
	for (int i = 0; i < 20; i++) {
		sample_fine(&s, i);
		s.seq = (uint64_t)i + 1;
		assert_int_equal(store_write(st, "p1", &s, err, sizeof err), STORE_OK);
	}
	if (store_batch_end(st, NULL, NULL, err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_int_equal(last_update(path), T0 - FINE);
	/* One batch: 10 more at 10 s, then the 60 s ones. */
	store_batch_begin(st);
	for (int i = 20; i < 30; i++) {
		sample_fine(&s, i);
		s.seq = (uint64_t)i + 1;
		assert_int_equal(store_write(st, "p1", &s, err, sizeof err), STORE_OK);
	}
	for (int k = 1; k <= 10; k++) {
		sample_coarse(&s, k);
		s.seq = (uint64_t)(30 + k);
		assert_int_equal(store_write(st, "p1", &s, err, sizeof err), STORE_OK);
		if (k == 1) {
			/* Tuned at once, with what rrdcached held written first. */
			assert_icmp_heartbeat(path, 3 * STEP);
			assert_int_equal(last_update(path), T0 + 19 * FINE);
		}
	}
	if (store_batch_end(st, note_done, &d, err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_int_equal(d.n, 20);
	for (int i = 0; i < d.n; i++)
		assert_int_equal(d.updates[i], 1);
	/* Not in a batch: the same, one update at a time. */
	for (int k = 11; k <= 12; k++) {
		sample_coarse(&s, k);
		assert_int_equal(store_write(st, "p1", &s, err, sizeof err), STORE_OK);
	}
	assert_int_equal(store_flush(st, err, sizeof err), 0);
	store_get_stats(st, &stats);
	assert_int_equal(stats.tunes, 1);
	assert_int_equal(stats.updates, 42);
	assert_int_equal(last_update(path), change + 12 * STEP);
	assert_icmp_heartbeat(path, 3 * STEP);
	assert_int_equal(count_known(path, 1, T0 - FINE, change, FINE, value_fine), 30);
	assert_int_equal(count_known(path, 1, change, change + 12 * STEP, FINE, value_coarse),
	    12 * STEP / FINE);

	/* A write of rrdcached's under way (another process holds librrd's
	 * lock): the tune waits for it instead of failing one of the two. */
	struct lock_holder h;
	sample_at(&s, "a3", T0);
	s.interval = FINE;
	sample_set(&s, M_ICMP_RTT_AVG_MS, 1);
	assert_int_equal(store_write(st, "p1", &s, err, sizeof err), STORE_OK);
	assert_int_equal(store_flush(st, err, sizeof err), 0);
	file_path(f, "p1", "a3", "icmp", path, sizeof path);
	lock_hold(&h, path, 300);
	sample_at(&s, "a3", T0 + STEP);
	sample_set(&s, M_ICMP_RTT_AVG_MS, 2);
	assert_int_equal(store_write(st, "p1", &s, err, sizeof err), STORE_OK);
	lock_release(&h);
	assert_icmp_heartbeat(path, 3 * STEP);

	/* rrdcached down: the tune cannot know what it held, so it waits. */
	sample_at(&s, "a2", T0);
	s.interval = FINE;
	sample_set(&s, M_ICMP_RTT_AVG_MS, 1);
	assert_int_equal(store_write(st, "p1", &s, err, sizeof err), STORE_OK);
	stop_rrdcached(f);
	sample_at(&s, "a2", T0 + STEP);
	sample_set(&s, M_ICMP_RTT_AVG_MS, 2);
	assert_int_equal(store_write(st, "p1", &s, err, sizeof err), STORE_RETRY);
	assert_non_null(strstr(err, "heartbeat"));
	file_path(f, "p1", "a2", "icmp", path, sizeof path);
	assert_icmp_heartbeat(path, 3 * FINE);
	/* Back: the retry tunes and stores it. */
	assert_int_equal(start_rrdcached(f), 0);
	assert_int_equal(store_write(st, "p1", &s, err, sizeof err), STORE_OK);
	/* The batch connection saw the old daemon go: the first pass says
	 * so (the caller replays its log), the next one passes. */
	assert_int_equal(store_flush(st, err, sizeof err), -1);
	assert_int_equal(store_flush(st, err, sizeof err), 0);
	assert_icmp_heartbeat(path, 3 * STEP);
	assert_int_equal(last_update(path), T0 + STEP);
	store_close(st);
}

static double
mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* SIGSTOP to pid, waited for: the signal is delivered after kill()
 * returns, and a daemon on the other core could still answer. */
static void
stop_process(pid_t pid)
{
	char path[64], buf[512], *p;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	kill(pid, SIGSTOP);
	for (int i = 0; i < 500; i++) {
		FILE *fp = fopen(path, "r");
		size_t n = fp != NULL ? fread(buf, 1, sizeof buf - 1, fp) : 0;
		if (fp != NULL)
			fclose(fp);
		buf[n] = '\0';
		if ((p = strrchr(buf, ')')) != NULL && p[1] == ' ' && p[2] == 'T')
			return;
		usleep(10000);
	}
	fail_msg("process %ld not stopped in 5 s", (long)pid);
}

/*
 * A hung rrdcached (SIGSTOP): every exchange gives up at its deadline, a
 * command's (PING, FORGET) within a few seconds, a batch's within its
 * own; a file made while it hangs is not kept (it could not be
 * forgotten), and all goes through once it runs again.
 */
static void
test_rrdcached_stopped(void **state)
{
	struct fixture *f = *state;
	struct store *st;
	struct store_conf conf = f->conf;
	struct sample s;
	char err[1024], path[PATH_MAX];
	double t0;

	if (!open_cached(f, &conf, &st))
		return;
	store_batch_begin(st);
	sample_at(&s, "c1", T0);
	sample_set(&s, M_ICMP_RTT_AVG_MS, 100);
	assert_int_equal(store_write(st, "p1", &s, err, sizeof err), STORE_OK);
	assert_int_equal(store_batch_end(st, NULL, NULL, err, sizeof err), 0);
	assert_int_equal(store_ping(st, err, sizeof err), 0);

	stop_process(f->cached);
	t0 = mono();
	assert_int_equal(store_ping(st, err, sizeof err), -1);
	assert_true(mono() - t0 < 5);
	assert_non_null(strstr(err, "timed out"));

	/* A new agent: its file is made, cannot be forgotten, goes again. */
	store_batch_begin(st);
	sample_at(&s, "c2", T0);
	sample_set(&s, M_ICMP_RTT_AVG_MS, 50);
	t0 = mono();
	assert_int_equal(store_write(st, "p1", &s, err, sizeof err), STORE_RETRY);
	assert_true(mono() - t0 < 5);
	assert_non_null(strstr(err, "forget"));
	file_path(f, "p1", "c2", "icmp", path, sizeof path);
	assert_int_equal(access(path, F_OK), -1);
	/* An agent whose files exist: queued, and the exchange times out. */
	sample_at(&s, "c1", T0 + STEP);
	sample_set(&s, M_ICMP_RTT_AVG_MS, 101);
	assert_int_equal(store_write(st, "p1", &s, err, sizeof err), STORE_OK);
	t0 = mono();
	assert_int_equal(store_batch_end(st, NULL, NULL, err, sizeof err), -1);
	assert_true(mono() - t0 < 15);
	assert_non_null(strstr(err, "timed out"));

	/* Running again: the same writes go through. */
	kill(f->cached, SIGCONT);
	store_batch_begin(st);
	sample_at(&s, "c2", T0);
	sample_set(&s, M_ICMP_RTT_AVG_MS, 50);
	assert_int_equal(store_write(st, "p1", &s, err, sizeof err), STORE_OK);
	sample_at(&s, "c1", T0 + STEP);
	sample_set(&s, M_ICMP_RTT_AVG_MS, 101);
	assert_int_equal(store_write(st, "p1", &s, err, sizeof err), STORE_OK);
	assert_int_equal(store_batch_end(st, NULL, NULL, err, sizeof err), 0);
	assert_int_equal(store_flush(st, err, sizeof err), 0);
	assert_int_equal(last_update(path), T0);
	file_path(f, "p1", "c1", "icmp", path, sizeof path);
	assert_int_equal(last_update(path), T0 + STEP);
	/* A run in a batch: one command of 10 values per file; then a run of
	 * which rrdcached holds the first half: each value settled alone. */
	struct sample run[20];
	const struct sample *rp[20];
	struct store_run_result res[20];
	struct done_log d = { 0 };
	enum store_result r;
	for (int i = 0; i < 20; i++) {
		sample_at(&run[i], "c9", T0 + i * STEP);
		run[i].seq = (uint64_t)i + 1;
		sample_set(&run[i], M_ICMP_RTT_AVG_MS, 300 + i);
		rp[i] = &run[i];
	}
	store_batch_begin(st);
	assert_int_equal(store_write_run(st, "p1", rp, 10, res, &r, err, sizeof err), 10);
	assert_int_equal(store_batch_end(st, note_done, &d, err, sizeof err), 0);
	assert_int_equal(d.n, 10);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(d.updates[i], 1);
		assert_int_equal(d.already[i], 0);
	}
	d.n = 0;
	store_batch_begin(st);
	assert_int_equal(store_write_run(st, "p1", rp + 5, 15, res, &r, err, sizeof err), 15);
	assert_int_equal(store_batch_end(st, note_done, &d, err, sizeof err), 0);
	assert_int_equal(d.n, 15);
	for (int i = 0; i < 15; i++) {
		assert_int_equal(d.updates[i], i < 5 ? 0 : 1);
		assert_int_equal(d.already[i], i < 5 ? 1 : 0);
	}
	assert_int_equal(store_flush(st, err, sizeof err), 0);
	file_path(f, "p1", "c9", "icmp", path, sizeof path);
	assert_int_equal(last_update(path), T0 + 19 * STEP);
	for (int i = 0; i < 20; i++)
		assert_dbl(fetch_at(path, 1, (time_t)(T0 + i * STEP)), 300 + i, 1e-9);
	/* librrd's own client (no deadlines) was never opened. */
	assert_false(rrdc_is_any_connected());
	store_close(st);
}

int
main(void)
{
	/* The store never uses librrd's rrdcached client (which writes
	 * without MSG_NOSIGNAL): it must survive a daemon gone with SIGPIPE
	 * at its default (fatal) action. */
	signal(SIGPIPE, SIG_DFL);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_many_and_absent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_values_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spool_drain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gap_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retention, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_update_unguarded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_update_restored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_undo_left_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_locked_update_not_undone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_step, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interval_grows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interval_tune_then_torn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_min_step, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rrdcached, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rrdc_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rrdcached_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rrdcached_no_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rrdcached_interval_grows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rrdcached_stopped, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
