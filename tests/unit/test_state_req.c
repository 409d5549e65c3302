/* SPDX-License-Identifier: GPL-2.0-or-later */
/* state.db's one writer (collector/state_req.c): other threads' writes
 * asked of it and answered, withdrawn when not taken in time, refused once
 * it stopped; and the readers' connections (state_db_open_reader), which
 * cannot write at all. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testlib.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alert_db.h"
#include "state_db.h"
#include "state_req.h"

struct fixture {
	char dir[64];
	char path[128];
	struct state_db *w;          /* the writer's connection */
	struct state_db *r;          /* a reader's */
	struct state_reqs *reqs;
	atomic_int wakes;
};

static void
wake(void *arg)
{
	struct fixture *f = arg;

	atomic_fetch_add(&f->wakes, 1);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	char err[512];

	assert_non_null(f);
	tl_tmpdir(f->dir, sizeof f->dir, "statereq");
	snprintf(f->path, sizeof f->path, "%s/state.db", f->dir);
	if (state_db_open(&f->w, f->path, err, sizeof err) == -1)
		fail_msg("state_db_open: %s", err);
	if (state_db_open_reader(&f->r, f->path, err, sizeof err) == -1)
		fail_msg("state_db_open_reader: %s", err);
	assert_non_null(f->reqs = state_reqs_new(wake, f));
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	int rc;

	state_reqs_free(f->reqs);
	state_db_close(f->r);
	state_db_close(f->w);
	rc = tl_rmtree(f->dir);
	free(f);
	return rc;
}

/* A caller on its own thread, as an HTTP thread or the notifier. */
struct call {
	struct state_reqs *reqs;
	struct state_req rq;
	double wait;
	int rc;
	atomic_bool returned;
	pthread_t t;
};

static void *
call_main(void *arg)
{
	struct call *c = arg;

	c->rc = state_reqs_call(c->reqs, &c->rq, c->wait);
	atomic_store(&c->returned, true);
	return NULL;
}

static void
call_start(struct call *c, struct state_reqs *reqs, double wait)
{
	c->reqs = reqs;
	c->wait = wait;
	c->rc = 99;
	atomic_store(&c->returned, false);
	assert_int_equal(pthread_create(&c->t, NULL, call_main, c), 0);
}

static void
nap(void)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

/* The writer's side: runs requests until `want` were done, for at most
 * 10 s with none arriving (a caller thread not yet scheduled). */
static void
writer_runs(struct fixture *f, size_t want)
{
	size_t done = 0;

	for (int idle = 0; done < want && idle < 1000; idle++) {
		size_t n = state_reqs_run(f->reqs, f->w);
		if (n > 0)
			idle = 0;
		done += n;
		if (done < want)
			nap();
	}
	assert_int_equal(done, want);
}

static void
call_join(struct call *c)
{
	assert_int_equal(pthread_join(c->t, NULL), 0);
	assert_true(atomic_load(&c->returned));
}

/* A reader's connection refuses every write; what the writer committed
 * it reads at once. A reader cannot make the file: the writer does. */
static void
test_reader_is_read_only(void **state)
{
	struct fixture *f = *state;
	struct silence_row *v = NULL;
	struct state_db *db = NULL;
	size_t n = 0;
	char path[160], err[512];

	assert_int_equal(alert_db_silence_add(f->r, "commune:bat-xat", 2e9, "x", 1e9), -1);
	assert_int_equal(sqlite3_errcode(state_db_sqlite(f->r)), SQLITE_READONLY);
	assert_true(alert_db_silence_add(f->w, "commune:bat-xat", 2e9, "road works", 1e9) > 0);
	assert_int_equal(alert_db_silence_list(f->r, 1e9, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].reason, "road works");
	free(v);

	snprintf(path, sizeof path, "%s/none.db", f->dir);
	assert_int_equal(state_db_open_reader(&db, path, err, sizeof err), -1);
	assert_null(db);
	assert_int_equal(access(path, F_OK), -1);
}

/* Silence, ack, unsilence asked from another thread: answered with the
 * writer's result, the writer woken for each. */
static void
test_calls_answered(void **state)
{
	struct fixture *f = *state;
	struct silence_row *v = NULL;
	struct call c = { .rq = { .kind = SR_SILENCE_ADD, .until = 2e9, .now = 1e9 } };
	size_t n = 0;

	snprintf(c.rq.match, sizeof c.rq.match, "hamlet:ban-phung");
	snprintf(c.rq.text, sizeof c.rq.text, "Bản Phùng: mast moved");
	call_start(&c, f->reqs, 30);
	writer_runs(f, 1);
	call_join(&c);
	assert_int_equal(c.rc, 0);
	assert_true(c.rq.result > 0);
	assert_true(atomic_load(&f->wakes) >= 1);
	assert_int_equal(alert_db_silence_list(f->r, 1e9, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].id, c.rq.result);
	assert_string_equal(v[0].match, "hamlet:ban-phung");
	assert_string_equal(v[0].reason, "Bản Phùng: mast moved");
	free(v);
	int64_t sid = c.rq.result;

	/* No such alert: 1, as the API's 404. */
	struct call a = { .rq = { .kind = SR_ACK, .id = 4242, .now = 1e9 } };
	call_start(&a, f->reqs, 30);
	writer_runs(f, 1);
	call_join(&a);
	assert_int_equal(a.rc, 0);
	assert_int_equal(a.rq.result, 1);

	/* Removed once (0), then no longer there (1). */
	for (int i = 0; i < 2; i++) {
		struct call d = { .rq = { .kind = SR_SILENCE_RM, .id = sid } };
		call_start(&d, f->reqs, 30);
		writer_runs(f, 1);
		call_join(&d);
		assert_int_equal(d.rc, 0);
		assert_int_equal(d.rq.result, i);
	}
	assert_int_equal(alert_db_silence_list(f->r, 1e9, &v, &n), 0);
	assert_int_equal(n, 0);
	free(v);
}

/* The notifier's deliveries: a failure moves the row's next try, a
 * delivery takes it off the queue. */
static void
test_queue_recorded(void **state)
{
	struct fixture *f = *state;
	struct queued *v = NULL;
	size_t n = 0;

	assert_int_equal(alert_db_queue(f->w, "oncall", "r1", "{\"province\":\"lao-cai\"}",
	    "hamlet_down", "firing", "hamlet:ban-phung", "Bản Phùng down", 1e9), 0);
	assert_int_equal(alert_db_queue_heads(f->r, &v, &n), 0);
	assert_int_equal(n, 1);
	int64_t id = v[0].id;
	alert_db_queued_free(v, n);

	struct call c = { .rq = { .kind = SR_QUEUE_FAILED, .id = id, .attempts = 1,
	    .next_try = 1e9 + 5 } };
	snprintf(c.rq.text, sizeof c.rq.text, "connection refused");
	call_start(&c, f->reqs, 30);
	writer_runs(f, 1);
	call_join(&c);
	assert_int_equal(c.rc, 0);
	assert_int_equal(c.rq.result, 0);
	assert_int_equal(alert_db_queue_heads(f->r, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].attempts, 1);
	assert_true(v[0].next_try == 1e9 + 5);
	alert_db_queued_free(v, n);

	struct call s = { .rq = { .kind = SR_QUEUE_SENT, .id = id, .now = 1e9 + 6 } };
	call_start(&s, f->reqs, 30);
	writer_runs(f, 1);
	call_join(&s);
	assert_int_equal(s.rc, 0);
	assert_int_equal(alert_db_queue_heads(f->r, &v, &n), 0);
	assert_int_equal(n, 0);
	alert_db_queued_free(v, n);
	assert_int_equal(alert_db_queue_depth(f->r), 0);
}

/* Not taken in time: -1, withdrawn, and so never done later. */
static void
test_timeout_withdraws(void **state)
{
	struct fixture *f = *state;
	struct silence_row *v = NULL;
	struct state_req rq = { .kind = SR_SILENCE_ADD, .until = 2e9, .now = 1e9 };
	size_t n = 0;

	snprintf(rq.match, sizeof rq.match, "*");
	snprintf(rq.text, sizeof rq.text, "never");
	assert_int_equal(state_reqs_call(f->reqs, &rq, 0.05), -1);
	assert_int_equal(state_reqs_run(f->reqs, f->w), 0);
	assert_int_equal(alert_db_silence_list(f->r, 1e9, &v, &n), 0);
	assert_int_equal(n, 0);
	free(v);
}

/* The writer stops: a waiting caller is answered -2, and so is every
 * later one; a collector without a writer (NULL) likewise. */
static void
test_closed_refuses(void **state)
{
	struct fixture *f = *state;
	struct call c = { .rq = { .kind = SR_ACK, .id = 1, .now = 1e9 } };
	struct state_req rq = { .kind = SR_ACK, .id = 1, .now = 1e9 };

	call_start(&c, f->reqs, 60);
	/* Until the caller waits in the list (its wake is the sign). */
	for (int i = 0; i < 1000 && atomic_load(&f->wakes) == 0; i++)
		nap();
	assert_true(atomic_load(&f->wakes) >= 1);
	state_reqs_close(f->reqs);
	call_join(&c);
	assert_int_equal(c.rc, -2);
	assert_int_equal(state_reqs_call(f->reqs, &rq, 1), -2);
	assert_int_equal(state_reqs_run(f->reqs, f->w), 0);
	assert_int_equal(state_reqs_call(NULL, &rq, 1), -2);
}

/* Many callers at once: each answered once, with its own result. */
static void
test_many_callers(void **state)
{
	struct fixture *f = *state;
	enum { N = 16 };
	struct call c[N];
	struct silence_row *v = NULL;
	size_t n = 0;

	memset(c, 0, sizeof c);
	for (int i = 0; i < N; i++) {
		c[i].rq.kind = SR_SILENCE_ADD;
		c[i].rq.until = 2e9;
		c[i].rq.now = 1e9;
		snprintf(c[i].rq.match, sizeof c[i].rq.match, "agent:ap-%02d", i);
		snprintf(c[i].rq.text, sizeof c[i].rq.text, "n%d", i);
		call_start(&c[i], f->reqs, 30);
	}
	writer_runs(f, N);
	for (int i = 0; i < N; i++) {
		call_join(&c[i]);
		assert_int_equal(c[i].rc, 0);
		for (int j = 0; j < i; j++)
			assert_true(c[i].rq.result != c[j].rq.result);
	}
	assert_int_equal(alert_db_silence_list(f->r, 1e9, &v, &n), 0);
	assert_int_equal(n, N);
	for (size_t i = 0; i < n; i++) {
		int k = atoi(v[i].reason + 1);
		assert_int_equal(v[i].id, c[k].rq.result);
	}
	free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reader_is_read_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_calls_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_recorded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_withdraws, setup, teardown),
		cmocka_unit_test_setup_teardown(test_closed_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_callers, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
