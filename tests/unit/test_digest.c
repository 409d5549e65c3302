/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The rollout digest (collector/digest.c): its text in English and
 * Vietnamese from a hand-made evaluation and the day's alert rows (new
 * overdue hamlets, communes turned red and back, the province against its
 * target, the link, an empty day), [digest] parsing, and the schedule with
 * a fixed clock in Vietnam's time zone: due at `at`, once a day, late the
 * same day after a restart, never twice, across midnight, and through the
 * state DB as the evaluator runs it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testlib.h"

#include <json-c/json.h>
#include <sqlite3.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "coverage.h"
#include "digest.h"
#include "snapshot.h"
#include "state_db.h"

#define HDR	"hamlet_id,hamlet_name,village,commune_id,commune_name," \
		"province_id,province_name,lat,lon,agent_id,uplink_hamlet_id," \
		"target_date,population\n"

static const char inv_csv[] = HDR
    "bx-tong-sanh,Tòng Sành,,bat-xat,Bát Xát,lao-cai,Lào Cai,,,,,2025-04-07,\n"
    "bx-a-lu,A Lù,,bat-xat,Bát Xát,lao-cai,Lào Cai,,,,,2025-05-01,\n"
    "yt-ta-leng,Tả Lèng,,y-ty,Y Tý,lao-cai,Lào Cai,,,a-taleng,,,\n"
    "mk-lung-thang,Lùng Thắng,,muong-khuong,Mường Khương,lao-cai,Lào Cai,,,,,2025-06-01,\n"
    "dv-lung-cu,Lũng Cú,,dong-van,Đồng Văn,ha-giang,Hà Giang,,,,,2025-01-01,\n";

static const char tgt_csv[] = "scope,id,coverage_pct,deadline\n"
    "province,lao-cai,97,2026-12-31\n"
    "commune,y-ty,85,2026-12-31\n";

enum { TONG_SANH, A_LU, TA_LENG, LUNG_THANG, LUNG_CU, NH };
enum { BAT_XAT, Y_TY, MUONG_KHUONG, DONG_VAN, NC };

struct fx {
	char dir[64];
	struct inventory *inv;
	struct coverage cov;
	struct hamlet_eval hamlets[NH];
	struct rollup communes[NC], provinces[2];
	double now;
};

/* A local time in the test's zone (Asia/Ho_Chi_Minh, UTC+7). */
static time_t
local(int y, int mo, int d, int h, int mi)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
	    .tm_min = mi, .tm_isdst = -1 };

	return mktime(&tm);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	char path[128], tpath[128], err[2048];

	setenv("TZ", "Asia/Ho_Chi_Minh", 1);
	tzset();
	assert_non_null(f);
	tl_tmpdir(f->dir, sizeof f->dir, "digest");
	snprintf(path, sizeof path, "%s/inventory.csv", f->dir);
	snprintf(tpath, sizeof tpath, "%s/targets.csv", f->dir);
	tl_write_file(path, inv_csv);
	tl_write_file(tpath, tgt_csv);
	if (inventory_load(&f->inv, path, tpath, err, sizeof err) == -1)
		fail_msg("%s", err);
	assert_int_equal(f->inv->nhamlets, NH);
	assert_int_equal(f->inv->ncommunes, NC);

	/* 2026-03-15 08:00 in Lào Cai. */
	f->now = (double)local(2026, 3, 15, 8, 0);
	f->cov.inv = f->inv;
	f->cov.at = f->now;
	f->cov.hamlets = f->hamlets;
	f->cov.communes = f->communes;
	f->cov.provinces = f->provinces;
	for (int i = 0; i < NH; i++) {
		f->hamlets[i].state = HS_UNMONITORED;
		f->hamlets[i].overdue = true;
		f->hamlets[i].root = -1;
	}
	f->hamlets[TA_LENG].state = HS_COVERED;
	f->hamlets[TA_LENG].overdue = false;
	/* Bát Xát red (its target falls back to the province's 97 %), Y Tý
	 * yellow, Mường Khương green. */
	f->communes[BAT_XAT] = (struct rollup){ .covered_pct = 40, .target_pct = 97,
	    .deadline = f->inv->provinces[0].target.deadline, .colour = COLOUR_RED };
	f->communes[Y_TY] = (struct rollup){ .covered_pct = 80, .target_pct = 85,
	    .deadline = f->inv->communes[Y_TY].target.deadline, .colour = COLOUR_YELLOW };
	f->communes[MUONG_KHUONG] = (struct rollup){ .covered_pct = 97.5, .target_pct = 97,
	    .deadline = f->inv->provinces[0].target.deadline, .colour = COLOUR_GREEN };
	f->communes[DONG_VAN] = (struct rollup){ .covered_pct = 0, .target_pct = NAN,
	    .deadline = INV_NO_DATE, .colour = COLOUR_NONE };
	f->provinces[0] = (struct rollup){ .covered_pct = 91.23, .target_pct = 97,
	    .deadline = f->inv->provinces[0].target.deadline, .colour = COLOUR_RED,
	    .overdue = 1042 };
	f->provinces[1] = (struct rollup){ .covered_pct = 0, .target_pct = NAN,
	    .deadline = INV_NO_DATE, .colour = COLOUR_NONE, .overdue = 1 };
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	int rc;

	inventory_free(f->inv);
	rc = tl_rmtree(f->dir);
	free(f);
	return rc;
}

static struct digest_event
event(enum alert_kind k, const char *scope, const char *province, double fired,
    double resolved)
{
	struct digest_event e = { .kind = k, .fired_at = fired, .resolved_at = resolved };

	snprintf(e.scope, sizeof e.scope, "%s", scope);
	snprintf(e.province, sizeof e.province, "%s", province);
	return e;
}

/* The day of the example: two hamlets newly overdue (one more was already
 * overdue yesterday, one is in another province), Bát Xát turned red, Y Tý
 * and Mường Khương back. */
static size_t
day_events(const struct fx *f, struct digest_event *ev)
{
	double now = f->now;
	size_t n = 0;

	ev[n++] = event(AK_HAMLET_OVERDUE, "hamlet:bx-tong-sanh", "lao-cai", now - 3600, 0);
	ev[n++] = event(AK_HAMLET_OVERDUE, "hamlet:bx-a-lu", "lao-cai", now - 2 * 86400, 0);
	ev[n++] = event(AK_HAMLET_OVERDUE, "hamlet:mk-lung-thang", "lao-cai", now - 600, 0);
	ev[n++] = event(AK_HAMLET_OVERDUE, "hamlet:dv-lung-cu", "ha-giang", now - 100, 0);
	ev[n++] = event(AK_COMMUNE_RED, "commune:bat-xat", "lao-cai", now - 7200, 0);
	ev[n++] = event(AK_COMMUNE_RED, "commune:y-ty", "lao-cai", now - 3 * 86400, now - 5000);
	ev[n++] = event(AK_COMMUNE_RED, "commune:muong-khuong", "lao-cai", now - 40000,
	    now - 30000);
	/* A resolve in the future of `now` (the API reading an older day)
	 * leaves the alert open. */
	return n;
}

static void
test_text_en(void **state)
{
	struct fx *f = *state;
	struct digest_event ev[16];
	size_t nev = day_events(f, ev);
	struct digest d;
	char text[DIGEST_TEXT_MAX];

	assert_int_equal(digest_make(&d, f->inv, &f->cov, 0, ev, nev, f->now), 0);
	assert_int_equal(d.noverdue, 2);
	assert_int_equal(d.nred, 1);
	assert_int_equal(d.nback, 2);
	digest_text(&d, false, "https://covmon.laocai.example", text, sizeof text);
	printf("%s", text);
	assert_string_equal(text,
	    "Daily rollout digest — Lào Cai, 2026-03-15\n"
	    "Coverage 91.2 % / target 97 % (deadline 2026-12-31): red — behind target\n"
	    "New overdue hamlets in the last 24 h: 2 (overdue in all: 1,042)\n"
	    "- Tòng Sành (Bát Xát), target date 2025-04-07\n"
	    "- Lùng Thắng (Mường Khương), target date 2025-06-01\n"
	    "Communes turned red: 1\n"
	    "- Bát Xát: 40.0 % covered, target 97 %\n"
	    "Communes back from red: 2\n"
	    "- Y Tý: now yellow, 80.0 % covered, target 85 %\n"
	    "- Mường Khương: now green, 97.5 % covered, target 97 %\n"
	    "Province page: https://covmon.laocai.example/province/lao-cai\n");

	/* The payload: the contract's fields and the text as its summary. */
	char *js = digest_json(&d, text, "https://covmon.laocai.example", "2026-03-15");
	assert_non_null(js);
	json_object *o = json_tokener_parse(js), *v;
	assert_non_null(o);
	static const char *const want[][2] = {
		{ "kind", "digest" }, { "severity", "info" }, { "state", "digest" },
		{ "scope", "province:lao-cai" }, { "province", "lao-cai" },
		{ "url", "https://covmon.laocai.example/province/lao-cai" },
		{ "colour", "red" }, { "deadline", "2026-12-31" }, { "day", "2026-03-15" },
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		assert_true(json_object_object_get_ex(o, want[i][0], &v));
		assert_string_equal(json_object_get_string(v), want[i][1]);
	}
	assert_true(json_object_object_get_ex(o, "v", &v));
	assert_int_equal(json_object_get_int(v), 1);
	assert_true(json_object_object_get_ex(o, "summary", &v));
	assert_string_equal(json_object_get_string(v), text);
	assert_true(json_object_object_get_ex(o, "hamlets", &v));
	assert_int_equal(json_object_array_length(v), 2);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(v, 0)),
	    "bx-tong-sanh");
	json_object_put(o);
	free(js);
	digest_clear(&d);
}

static void
test_text_vi(void **state)
{
	struct fx *f = *state;
	struct digest_event ev[16];
	size_t nev = day_events(f, ev);
	struct digest d;
	char text[DIGEST_TEXT_MAX];

	assert_int_equal(digest_make(&d, f->inv, &f->cov, 0, ev, nev, f->now), 0);
	digest_text(&d, true, "https://covmon.laocai.example", text, sizeof text);
	printf("%s", text);
	assert_string_equal(text,
	    "Bản tin triển khai hằng ngày — Lào Cai, 15/03/2026\n"
	    "Tỷ lệ phủ sóng 91,2 % / mục tiêu 97 % (hạn 31/12/2026): đỏ — chậm so với mục "
	    "tiêu\n"
	    "Thôn quá hạn mới trong 24 giờ qua: 2 (tổng số thôn quá hạn: 1.042)\n"
	    "- Tòng Sành (Bát Xát), hạn 07/04/2025\n"
	    "- Lùng Thắng (Mường Khương), hạn 01/06/2025\n"
	    "Xã chuyển sang đỏ: 1\n"
	    "- Bát Xát: phủ sóng 40,0 %, mục tiêu 97 %\n"
	    "Xã ra khỏi mức đỏ: 2\n"
	    "- Y Tý: nay vàng, phủ sóng 80,0 %, mục tiêu 85 %\n"
	    "- Mường Khương: nay xanh, phủ sóng 97,5 %, mục tiêu 97 %\n"
	    "Trang của tỉnh: https://covmon.laocai.example/province/lao-cai\n");
	digest_clear(&d);
}

/* Nothing happened: both "nothing" lines, the totals, no link without a
 * public_url; a province without a target says so. */
static void
test_text_empty_day(void **state)
{
	struct fx *f = *state;
	struct digest_event ev[16];
	size_t nev = day_events(f, ev);
	struct digest d;
	char text[DIGEST_TEXT_MAX];

	assert_int_equal(digest_make(&d, f->inv, &f->cov, 0, NULL, 0, f->now), 0);
	digest_text(&d, false, "", text, sizeof text);
	assert_string_equal(text,
	    "Daily rollout digest — Lào Cai, 2026-03-15\n"
	    "Coverage 91.2 % / target 97 % (deadline 2026-12-31): red — behind target\n"
	    "No new overdue hamlets in the last 24 h (overdue in all: 1,042)\n"
	    "No commune turned red or went back in the last 24 h\n");
	digest_text(&d, true, "", text, sizeof text);
	assert_non_null(strstr(text, "Không có thôn quá hạn mới trong 24 giờ qua (tổng số thôn "
	    "quá hạn: 1.042)\n"));
	assert_non_null(strstr(text, "Không có xã nào chuyển sang đỏ hoặc ra khỏi mức đỏ"));
	assert_null(strstr(text, "http"));
	digest_clear(&d);

	/* A day later, yesterday's events are out of the window. */
	assert_int_equal(digest_make(&d, f->inv, &f->cov, 0, ev, nev, f->now + 86400), 0);
	assert_int_equal(d.noverdue + d.nred + d.nback, 0);
	digest_clear(&d);

	/* Hà Giang: its own hamlet only, no target. */
	assert_int_equal(digest_make(&d, f->inv, &f->cov, 1, ev, nev, f->now), 0);
	assert_int_equal(d.noverdue, 1);
	assert_string_equal(d.overdue[0].name, "Lũng Cú");
	digest_text(&d, false, "", text, sizeof text);
	assert_non_null(strstr(text, "Coverage 0.0 % (no target set)\n"));
	digest_text(&d, true, "", text, sizeof text);
	assert_non_null(strstr(text, "Tỷ lệ phủ sóng 0,0 % (chưa đặt mục tiêu)\n"));
	digest_clear(&d);
}

/* A hamlet covered since its alert fired, or a commune red again, is not
 * news; a long list is cut with "and N more" and stays within its size. */
static void
test_lists(void **state)
{
	struct fx *f = *state;
	struct digest_event ev[16];
	size_t nev = day_events(f, ev);
	struct digest d;
	char text[DIGEST_TEXT_MAX];

	f->hamlets[TONG_SANH].overdue = false;
	f->communes[MUONG_KHUONG].colour = COLOUR_RED;
	assert_int_equal(digest_make(&d, f->inv, &f->cov, 0, ev, nev, f->now), 0);
	assert_int_equal(d.noverdue, 1);
	assert_string_equal(d.overdue[0].id, "mk-lung-thang");
	assert_int_equal(d.nback, 1);
	assert_string_equal(d.back[0].id, "y-ty");
	digest_clear(&d);

	/* 100 overdue hamlets (the same ones, as a stress of the list). */
	assert_int_equal(digest_make(&d, f->inv, &f->cov, 0, ev, nev, f->now), 0);
	struct digest_item *many = calloc(100, sizeof *many);
	assert_non_null(many);
	for (int i = 0; i < 100; i++)
		many[i] = d.overdue[0];
	free(d.overdue);
	d.overdue = many;
	d.noverdue = 100;
	size_t n = digest_text(&d, false, "https://x.example", text, sizeof text);
	assert_true(n < DIGEST_TEXT_MAX);
	assert_int_equal(strlen(text), n);
	assert_non_null(strstr(text, "New overdue hamlets in the last 24 h: 100 "));
	char more[64];
	snprintf(more, sizeof more, "- … and %d more\n", 100 - DIGEST_LIST_MAX);
	assert_non_null(strstr(text, more));
	assert_non_null(strstr(text, "Province page: https://x.example/province/lao-cai\n"));
	n = digest_text(&d, true, "", text, sizeof text);
	snprintf(more, sizeof more, "- … và %d thôn khác\n", 100 - DIGEST_LIST_MAX);
	assert_non_null(strstr(text, more));
	/* A small buffer: whole lines only, never half a character. */
	char small[300];
	n = digest_text(&d, true, "", small, sizeof small);
	assert_true(n < sizeof small);
	assert_int_equal(small[n - 1], '\n');
	digest_clear(&d);
}

static void
test_conf(void **state)
{
	(void)state;
	struct alert_conf ac = { 0 };
	struct digest_conf d;
	struct conf c;
	char err[512];

	snprintf(ac.notifiers[0].name, sizeof ac.notifiers[0].name, "it-laocai");
	snprintf(ac.notifiers[1].name, sizeof ac.notifiers[1].name, "mail");
	ac.nnotifiers = 2;

	/* Defaults: 08:00, nobody, English. */
	assert_int_equal(conf_load_string(&c, "x.conf", "[http]\nlisten = 1\n", err,
	    sizeof err), 0);
	assert_int_equal(digest_conf_parse(&c, &ac, &d, "x.conf", err, sizeof err), 0);
	assert_int_equal(d.at, 8 * 60);
	assert_int_equal(d.nnotify, 0);
	assert_false(d.vi);
	conf_free(&c);

	assert_int_equal(conf_load_string(&c, "x.conf", "[digest]\nat = 7:30\n"
	    "notify = it-laocai, mail\nlang = vi\n", err, sizeof err), 0);
	assert_int_equal(digest_conf_parse(&c, &ac, &d, "x.conf", err, sizeof err), 0);
	assert_int_equal(d.at, 7 * 60 + 30);
	assert_int_equal(d.nnotify, 2);
	assert_string_equal(d.notify[1], "mail");
	assert_true(d.vi);
	assert_int_equal(conf_unused(&c, err, sizeof err), 0);
	conf_free(&c);

	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "[digest]\n\nat = 24:00\n", "x.conf:3: [digest] at = '24:00'" },
		{ "[digest]\nat = 8h\n", "x.conf:2: [digest] at = '8h'" },
		{ "[digest]\nat = 08:5\n", "x.conf:2: [digest] at = '08:5'" },
		{ "[digest]\nnotify = it-laocai, pager\n", "x.conf:2: [digest] notify: no "
		    "[notifier.pager]" },
		{ "[digest]\nlang = fr\n", "x.conf:2: [digest] lang = 'fr': expected en or vi" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(conf_load_string(&c, "x.conf", bad[i].text, err, sizeof err), 0);
		err[0] = '\0';
		assert_int_equal(digest_conf_parse(&c, &ac, &d, "x.conf", err, sizeof err), -1);
		if (strstr(err, bad[i].want) == NULL)
			fail_msg("'%s': got '%s', want '%s'", bad[i].text, err, bad[i].want);
		conf_free(&c);
	}
}

static void
test_due(void **state)
{
	(void)state;
	struct digest_conf d = { .at = 8 * 60 };
	char day[16];

	setenv("TZ", "Asia/Ho_Chi_Minh", 1);
	tzset();
	/* Before 08:00 local (01:00 UTC): not yet; at 08:00: today. */
	assert_false(digest_due(&d, local(2026, 3, 15, 7, 59), "2026-03-14", 0, day, sizeof day));
	assert_true(digest_due(&d, local(2026, 3, 15, 8, 0), "2026-03-14", 0, day, sizeof day));
	assert_string_equal(day, "2026-03-15");
	/* Sent: not again that day. */
	assert_false(digest_due(&d, local(2026, 3, 15, 8, 1), "2026-03-15", 0, day, sizeof day));
	assert_false(digest_due(&d, local(2026, 3, 15, 23, 59), "2026-03-15", 0, day,
	    sizeof day));
	/* Across midnight: the new day waits for its 08:00. */
	assert_false(digest_due(&d, local(2026, 3, 16, 0, 0), "2026-03-15", 0, day, sizeof day));
	assert_false(digest_due(&d, local(2026, 3, 16, 7, 59), "2026-03-15", 0, day, sizeof day));
	assert_true(digest_due(&d, local(2026, 3, 16, 8, 0), "2026-03-15", 0, day, sizeof day));
	assert_string_equal(day, "2026-03-16");
	/* Down at 08:00, up at 15:00 (and judging by 15:07): sent late, the
	 * same day. */
	double up = (double)local(2026, 3, 17, 15, 0), settle = 7 * 60;
	assert_false(digest_due(&d, local(2026, 3, 17, 15, 1), "2026-03-16", up + settle, day,
	    sizeof day));
	assert_true(digest_due(&d, local(2026, 3, 17, 15, 7), "2026-03-16", up + settle, day,
	    sizeof day));
	/* Down all of the 18th: that day is skipped, the 19th waits for 08:00. */
	assert_false(digest_due(&d, local(2026, 3, 19, 6, 0), "2026-03-17", 0, day, sizeof day));
	/* Never sent: today's, once past `at`. */
	assert_true(digest_due(&d, local(2026, 3, 19, 9, 0), "", 0, day, sizeof day));
	/* A clock set back a day sends nothing again. */
	assert_false(digest_due(&d, local(2026, 3, 18, 9, 0), "2026-03-19", 0, day, sizeof day));
	/* At midnight itself: due from 00:00 local, not 23:59 the day before. */
	d.at = 0;
	assert_false(digest_due(&d, local(2026, 3, 19, 23, 59), "2026-03-19", 0, day,
	    sizeof day));
	assert_true(digest_due(&d, local(2026, 3, 20, 0, 0), "2026-03-19", 0, day, sizeof day));
	assert_string_equal(day, "2026-03-20");
	/* Local, not UTC: 08:00 in Hanoi is 01:00 UTC, so 07:30 UTC on the
	 * 15th is long past it. */
	d.at = 8 * 60;
	time_t utc0730 = local(2026, 3, 15, 14, 30);
	assert_true(digest_due(&d, utc0730, "2026-03-14", 0, day, sizeof day));
}

static int64_t
count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t n;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* The evaluator's hook with a real state DB: one row per province and
 * notifier at 08:00, none more that day, none after a restart the same
 * day, the next day's at its 08:00; the rows read back as the day's
 * events. */
static void
test_tick(void **state)
{
	struct fx *f = *state;
	struct state_db *db;
	char path[128], err[512];
	struct alert_conf ac = { 0 };
	struct digest_conf dc = { .at = 8 * 60, .nnotify = 2 };
	struct snapshot s = { 0 };
	struct inv_ref ref = { .inv = f->inv };
	sqlite3 *raw;

	snprintf(ac.notifiers[0].name, sizeof ac.notifiers[0].name, "it");
	snprintf(ac.notifiers[1].name, sizeof ac.notifiers[1].name, "mail");
	ac.nnotifiers = 2;
	snprintf(ac.public_url, sizeof ac.public_url, "https://covmon.example");
	snprintf(dc.notify[0], sizeof dc.notify[0], "it");
	snprintf(dc.notify[1], sizeof dc.notify[1], "mail");
	s.inv = &ref;
	s.cov = &f->cov;
	snprintf(path, sizeof path, "%s/state.db", f->dir);
	assert_int_equal(state_db_open(&db, path, err, sizeof err), 0);
	assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
	/* An overdue alert fired an hour before 08:00. */
	char sql[512];
	snprintf(sql, sizeof sql, "INSERT INTO alerts (kind, scope, state, province, since,"
	    " fired_at) VALUES ('hamlet_overdue', 'hamlet:bx-tong-sanh', 'firing', 'lao-cai',"
	    " %.0f, %.0f)", f->now - 3700, f->now - 3600);
	assert_int_equal(sqlite3_exec(raw, sql, NULL, NULL, NULL), SQLITE_OK);

	struct digest_event *ev;
	size_t nev;
	assert_int_equal(digest_events(db, f->now - DIGEST_WINDOW, f->now, &ev, &nev), 0);
	assert_int_equal(nev, 1);
	assert_string_equal(ev[0].scope, "hamlet:bx-tong-sanh");
	free(ev);

	/* Started at 07:00: judged by 07:10. */
	struct digester *g = digester_new(&dc, 600);
	assert_non_null(g);
	digest_tick(g, &ac, &s, NULL, 0, db, f->now - 3600);
	digest_tick(g, &ac, &s, NULL, 0, db, f->now - 60);
	assert_int_equal(count(raw, "SELECT count(*) FROM notify_queue"), 0);
	digest_tick(g, &ac, &s, NULL, 0, db, f->now);
	/* Two provinces, two notifiers. */
	assert_int_equal(count(raw, "SELECT count(*) FROM notify_queue"), 4);
	assert_int_equal(count(raw, "SELECT count(*) FROM notify_queue WHERE kind = 'digest'"
	    " AND state = 'digest' AND route = 'digest' AND scope = 'province:lao-cai'"
	    " AND summary LIKE '%Tòng Sành (Bát Xát)%'"
	    " AND payload LIKE '%\"url\":\"https:\\/\\/covmon.example\\/province\\/lao-cai\"%'"),
	    2);
	digest_tick(g, &ac, &s, NULL, 0, db, f->now + 3600);
	assert_int_equal(count(raw, "SELECT count(*) FROM notify_queue"), 4);
	digester_free(g);

	/* Restarted at 09:00 the same day: nothing again. */
	g = digester_new(&dc, 600);
	digest_tick(g, &ac, &s, NULL, 0, db, f->now + 3600);
	digest_tick(g, &ac, &s, NULL, 0, db, f->now + 3600 + 700);
	assert_int_equal(count(raw, "SELECT count(*) FROM notify_queue"), 4);
	/* Across midnight: not at 00:30, at 08:00; only the owned province. */
	const char owned[1][ID_MAX + 1] = { "ha-giang" };
	digest_tick(g, &ac, &s, owned, 1, db, f->now + 86400 - 7.5 * 3600);
	assert_int_equal(count(raw, "SELECT count(*) FROM notify_queue"), 4);
	digest_tick(g, &ac, &s, owned, 1, db, f->now + 86400);
	assert_int_equal(count(raw, "SELECT count(*) FROM notify_queue"), 6);
	assert_int_equal(count(raw, "SELECT count(*) FROM notify_queue WHERE"
	    " scope = 'province:ha-giang'"), 4);
	assert_int_equal(count(raw, "SELECT count(*) FROM notify_queue WHERE"
	    " scope = 'province:lao-cai'"), 2);
	digester_free(g);

	/* Down at 08:00 of the 17th, back at 15:00: sent once judged (10 min
	 * after its first evaluation). */
	g = digester_new(&dc, 600);
	digest_tick(g, &ac, &s, NULL, 0, db, f->now + 2 * 86400 + 7 * 3600);
	digest_tick(g, &ac, &s, NULL, 0, db, f->now + 2 * 86400 + 7 * 3600 + 590);
	assert_int_equal(count(raw, "SELECT count(*) FROM notify_queue"), 6);
	digest_tick(g, &ac, &s, NULL, 0, db, f->now + 2 * 86400 + 7 * 3600 + 600);
	assert_int_equal(count(raw, "SELECT count(*) FROM notify_queue"), 10);
	digester_free(g);

	/* No notify: nothing queued, the day not taken. */
	dc.nnotify = 0;
	g = digester_new(&dc, 0);
	digest_tick(g, &ac, &s, NULL, 0, db, f->now + 3 * 86400);
	assert_int_equal(count(raw, "SELECT count(*) FROM notify_queue"), 10);
	digester_free(g);

	char v[32];
	assert_int_equal(state_db_meta_get(db, "digest_day", v, sizeof v), 0);
	assert_string_equal(v, "2026-03-17");
	sqlite3_close(raw);
	state_db_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_text_en, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_vi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_empty_day, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lists, setup, teardown),
		cmocka_unit_test(test_conf),
		cmocka_unit_test(test_due),
		cmocka_unit_test_setup_teardown(test_tick, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
