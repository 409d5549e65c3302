/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The creator thread (collector/creator.c): a new agent's files made on a
 * thread of their own, results handed back in order, the queue bounded. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "creator.h"
#include "testlib.h"

#define T0 1763800020LL

static void
sample_of(struct sample *s, const char *agent)
{
	memset(s, 0, sizeof *s);
	snprintf(s->agent, sizeof s->agent, "%s", agent);
	s->ts = T0;
	s->interval = 60;
	s->seq = 1;
	sample_set(s, M_ICMP_RTT_AVG_MS, 40);
	sample_set(s, M_IF_RX_BPS, 1000);
}

/* Results taken within 10 s, or fewer. */
static size_t
results(struct creator *cr, struct creator_result *out, size_t want)
{
	size_t n = 0;

	for (int i = 0; i < 1000 && n < want; i++) {
		n += creator_results(cr, out + n, want - n);
		if (n < want)
			usleep(10000);
	}
	return n;
}

static void
test_create(void **state)
{
	struct store_conf conf = { .min_step = 10 };
	struct creator_result res[4];
	struct creator *cr;
	struct sample s;
	struct stat sb;
	char dir[256], path[PATH_MAX], err[256];
	struct store *st;

	(void)state;
	assert_non_null(tl_tmpdir(dir, sizeof dir, "creator"));
	snprintf(conf.data_dir, sizeof conf.data_dir, "%s", dir);
	cr = creator_new(&conf, 2, err, sizeof err);
	assert_non_null(cr);
	assert_int_equal(creator_start(cr, err, sizeof err), 0);

	/* Two agents: both made, in the order asked. */
	sample_of(&s, "a1");
	assert_int_equal(creator_submit(cr, "p1", &s), 0);
	sample_of(&s, "a2");
	assert_int_equal(creator_submit(cr, "p1", &s), 0);
	/* Full: two requests not yet taken back. */
	assert_int_equal(creator_room(cr), 0);
	sample_of(&s, "a3");
	assert_int_equal(creator_submit(cr, "p1", &s), -1);
	assert_int_equal(results(cr, res, 2), 2);
	assert_int_equal(creator_room(cr), 2);
	assert_string_equal(res[0].agent, "a1");
	assert_string_equal(res[1].agent, "a2");
	assert_int_equal(res[0].r, STORE_OK);
	assert_int_equal(res[0].created, 2);      /* icmp.rrd and if.rrd */
	assert_int_equal(__builtin_popcount(res[0].made), 2);
	assert_int_equal(res[0].interval, 60);
	assert_string_equal(res[0].province, "p1");
	assert_false(creator_has_results(cr));
	assert_int_equal(creator_depth(cr), 0);
	snprintf(path, sizeof path, "%s/rrd/p1/a2/if.rrd", dir);
	assert_int_equal(stat(path, &sb), 0);

	/* A writer's store finds them there, and one more group missing. */
	assert_int_equal(store_open(&st, &conf, err, sizeof err), 0);
	sample_of(&s, "a1");
	assert_int_equal(store_files_ready(st, "p1", &s, err, sizeof err), STORE_OK);
	sample_set(&s, M_RADIO_SNR_DB, 20);
	assert_int_equal(store_files_ready(st, "p1", &s, err, sizeof err), STORE_MISSING);
	sample_of(&s, "a3");
	assert_int_equal(store_files_ready(st, "p1", &s, err, sizeof err), STORE_MISSING);

	/* Room again: made again only what is missing. */
	sample_of(&s, "a1");
	sample_set(&s, M_RADIO_SNR_DB, 20);
	assert_int_equal(creator_submit(cr, "p1", &s), 0);
	assert_int_equal(results(cr, res, 1), 1);
	assert_int_equal(res[0].r, STORE_OK);
	assert_int_equal(res[0].created, 1);
	assert_int_equal(store_files_ready(st, "p1", &s, err, sizeof err), STORE_OK);
	assert_int_equal(store_write(st, "p1", &s, err, sizeof err), STORE_OK);

	/* A file removed by hand once found: still remembered (the writer's
	 * per-agent mark trusts that until store_cache_gen moves); the next
	 * write finds it gone, forgets it (the generation moves, so the
	 * writer asks again) and makes it again. */
	uint32_t gen = store_cache_gen(st);
	snprintf(path, sizeof path, "%s/rrd/p1/a1/radio.rrd", dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(store_files_ready(st, "p1", &s, err, sizeof err), STORE_OK);
	assert_int_equal(store_cache_gen(st), gen);
	s.ts += 60;
	s.seq++;
	if (store_write(st, "p1", &s, err, sizeof err) != STORE_OK)
		fail_msg("store_write after the file went: %s", err);
	assert_int_not_equal(store_cache_gen(st), gen);
	assert_int_equal(stat(path, &sb), 0);

	/* A bad id is refused, not made. */
	sample_of(&s, "a4");
	assert_int_equal(creator_submit(cr, "../x", &s), 0);
	assert_int_equal(results(cr, res, 1), 1);
	assert_int_equal(res[0].r, STORE_REFUSED);
	assert_int_equal(res[0].created, 0);

	store_close(st);
	creator_free(cr);
	tl_rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
