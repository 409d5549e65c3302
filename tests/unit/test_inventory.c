/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The inventory loader (common/inventory.c): a good file queried, each
 * kind of error with its exact FILE:LINE:COLUMN, the example files of
 * tests/data/bad, and a country-sized inventory. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testlib.h"

#include <sys/resource.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "inventory.h"

#define HDR	"hamlet_id,hamlet_name,village,commune_id,commune_name," \
		"province_id,province_name,lat,lon,agent_id,uplink_hamlet_id," \
		"target_date,population\n"
#define THDR	"scope,id,coverage_pct,deadline\n"
/* A plain row. With a one-letter hamlet_id and the optional fields empty
 * its columns are: hamlet_id 1, hamlet_name 3, village 5, commune_id 6,
 * commune_name 9, province_id 12, province_name 15, lat 18, lon 19,
 * agent_id 20, uplink_hamlet_id 21, target_date 22, population 23. */
#define ROW(h)	h "," "H,,c1,C1,p1,P1,,,,,,\n"

static int
load(const char *inv_text, const char *tgt_text, struct inventory **inv,
    char *err, size_t errlen)
{
	tl_write_file("inventory.csv", inv_text);
	if (tgt_text != NULL)
		tl_write_file("targets.csv", tgt_text);
	return inventory_load(inv, "inventory.csv",
	    tgt_text ? "targets.csv" : NULL, err, errlen);
}

static void
expect_err(const char *inv_text, const char *tgt_text, const char *msg)
{
	struct inventory *inv = (void *)1;
	char err[4096];

	assert_int_equal(load(inv_text, tgt_text, &inv, err, sizeof err), -1);
	assert_null(inv);
	assert_string_equal(err, msg);
}

static const char good_inv[] =
    "\xef\xbb\xbf" HDR
    "suoi-chai,Suối Chải,\"Thôn Suối Chải, bản Trên\",bat-xat,Bát Xát,"
    "lao-cai,Lào Cai,22.5326,103.8855,lc-batxat-suoichai-01,,2025-12-31,412\r\n"
    "ta-leng,\"Tả \"\"Lèng\"\" Hạ\",,bat-xat,Bát Xát,lao-cai,Lào Cai,,,"
    "lc-batxat-taleng-01,suoi-chai,2024-02-29,\r\n"
    "y-ty,Y Tý,,y-ty,Y Tý,lao-cai,Lào Cai,-22.25,-103.125,,ta-leng,,0\r\n"
    "khau-tinh,Khau Tinh,,khau-tinh,Khau Tinh,tuyen-quang,Tuyên Quang,"
    "22.4,105.3,tq-nahang-khautinh-01,,,180\r\n";

static const char good_tgt[] =
    THDR
    "province,lao-cai,97,2025-12-31\n"
    "commune,bat-xat,99.5,2025-06-30\n";

static void
test_good(void **state)
{
	struct inventory *inv;
	const struct inv_hamlet *h;
	const struct inv_commune *c;
	const struct inv_province *p;
	char err[1024], date[16], *buf = NULL;
	size_t buflen = 0;
	FILE *fp;

	(void)state;
	assert_int_equal(load(good_inv, good_tgt, &inv, err, sizeof err), 0);
	assert_int_equal(inv->nprovinces, 2);
	assert_int_equal(inv->ncommunes, 3);
	assert_int_equal(inv->nhamlets, 4);
	assert_int_equal(inv->nagents, 3);

	assert_non_null(h = inventory_hamlet(inv, "suoi-chai"));
	assert_ptr_equal(h, &inv->hamlets[0]);
	assert_string_equal(h->name, "Suối Chải");
	assert_string_equal(h->village, "Thôn Suối Chải, bản Trên");
	assert_string_equal(h->agent, "lc-batxat-suoichai-01");
	assert_null(h->uplink_id);
	assert_int_equal(h->uplink, -1);
	assert_true(h->placed);
	assert_true(h->lat > 22.53259 && h->lat < 22.53261);
	assert_true(h->lon > 103.88549 && h->lon < 103.88551);
	assert_int_equal(h->target_date, 20453);	/* 2025-12-31 */
	assert_int_equal(h->population, 412);
	assert_int_equal(h->line, 2);
	assert_string_equal(inv->communes[h->commune].name, "Bát Xát");
	assert_string_equal(inv->provinces[h->province].name, "Lào Cai");

	assert_non_null(h = inventory_hamlet(inv, "ta-leng"));
	assert_string_equal(h->name, "Tả \"Lèng\" Hạ");
	assert_string_equal(h->village, "");
	assert_false(h->placed);
	assert_string_equal(h->uplink_id, "suoi-chai");
	assert_int_equal(h->uplink, 0);
	assert_int_equal(h->target_date, 19782);	/* 2024-02-29 */
	inventory_date_str(h->target_date, date, sizeof date);
	assert_string_equal(date, "2024-02-29");
	assert_int_equal(h->population, -1);
	assert_ptr_equal(inventory_hamlet_by_agent(inv, "lc-batxat-taleng-01"), h);

	assert_non_null(h = inventory_hamlet(inv, "y-ty"));
	assert_null(h->agent);
	assert_int_equal(h->uplink, 1);
	assert_true(h->lat == -22.25 && h->lon == -103.125);
	assert_int_equal(h->target_date, INV_NO_DATE);
	inventory_date_str(h->target_date, date, sizeof date);
	assert_string_equal(date, "");
	assert_int_equal(h->population, 0);

	/* A hamlet, a commune and a province may share no id across scopes,
	 * but a hamlet and its commune may. */
	assert_non_null(c = inventory_commune(inv, "y-ty"));
	assert_string_equal(c->name, "Y Tý");
	assert_int_equal(c->nhamlets, 1);
	assert_false(c->target.set);
	assert_true(c->effective.set);
	assert_true(c->effective.pct == 97);
	assert_int_equal(c->effective.deadline, 20453);

	assert_non_null(c = inventory_commune(inv, "bat-xat"));
	assert_int_equal(c->nhamlets, 2);
	assert_true(c->target.set && c->target.pct == 99.5);
	assert_int_equal(c->target.line, 3);
	assert_true(c->effective.pct == 99.5);
	inventory_date_str(c->effective.deadline, date, sizeof date);
	assert_string_equal(date, "2025-06-30");

	assert_non_null(p = inventory_province(inv, "lao-cai"));
	assert_int_equal(p->ncommunes, 2);
	assert_int_equal(p->nhamlets, 3);
	assert_true(p->target.set && p->target.pct == 97);
	assert_non_null(p = inventory_province(inv, "tuyen-quang"));
	assert_string_equal(p->name, "Tuyên Quang");
	assert_false(p->target.set);
	assert_non_null(c = inventory_commune(inv, "khau-tinh"));
	assert_false(c->effective.set);

	assert_null(inventory_hamlet(inv, "nope"));
	assert_null(inventory_hamlet(inv, "bat-xat"));
	assert_null(inventory_commune(inv, "lao-cai"));
	assert_null(inventory_province(inv, "bat-xat"));
	assert_null(inventory_hamlet_by_agent(inv, "suoi-chai"));
	assert_ptr_equal(inventory_hamlet_by_agent(inv, "tq-nahang-khautinh-01"),
	    inventory_hamlet(inv, "khau-tinh"));

	assert_non_null(fp = open_memstream(&buf, &buflen));
	inventory_summary(inv, fp);
	assert_int_equal(fclose(fp), 0);
	assert_string_equal(buf,
	    "provinces:        2 (1 with a target)\n"
	    "communes:         3 (1 with a target of their own, 2 with one in effect)\n"
	    "hamlets:          4\n"
	    "agents:           3 (hamlets without one: 1)\n"
	    "with uplink:      2\n"
	    "on the map:       3\n"
	    "with target_date: 2\n"
	    "population:       592\n");
	free(buf);
	inventory_free(inv);

	/* Targets are optional; an empty inventory is one. */
	assert_int_equal(load(good_inv, NULL, &inv, err, sizeof err), 0);
	assert_false(inventory_commune(inv, "bat-xat")->effective.set);
	inventory_free(inv);
	assert_int_equal(load(HDR, THDR, &inv, err, sizeof err), 0);
	assert_int_equal(inv->nhamlets, 0);
	assert_null(inventory_hamlet(inv, "x"));
	inventory_free(inv);
}

/* A failed reload leaves the inventory in service as it was. */
static void
test_reload_keeps_old(void **state)
{
	struct inventory *inv, *next = NULL;
	char err[1024];

	(void)state;
	assert_int_equal(load(good_inv, good_tgt, &inv, err, sizeof err), 0);
	assert_int_equal(load(HDR ROW("a") ROW("a"), NULL, &next, err,
	    sizeof err), -1);
	assert_null(next);
	assert_int_equal(inv->nhamlets, 4);
	assert_string_equal(inventory_hamlet(inv, "suoi-chai")->name, "Suối Chải");
	inventory_free(inv);
	inventory_free(NULL);
}

static void
test_bad_ids(void **state)
{
	(void)state;
	expect_err(HDR "Suoi-Chai,H,,c1,C1,p1,P1,,,,,,\n",
	    NULL, "inventory.csv:2:1: bad hamlet_id 'Suoi-Chai': an id is 1-64 "
	    "characters of a-z, 0-9, '.', '_' and '-', starting with a letter "
	    "or digit");
	expect_err(HDR "h,H,,bát-xát,C1,p1,P1,,,,,,\n",
	    NULL, "inventory.csv:2:6: bad commune_id 'bát-xát': an id is 1-64 "
	    "characters of a-z, 0-9, '.', '_' and '-', starting with a letter "
	    "or digit");
	expect_err(HDR "h,H,,c1,C1,-p1,P1,,,,,,\n",
	    NULL, "inventory.csv:2:12: bad province_id '-p1': an id is 1-64 "
	    "characters of a-z, 0-9, '.', '_' and '-', starting with a letter "
	    "or digit");
	expect_err(HDR "h,H,,c1,C1,p1,P1,,,a/b,,,\n",
	    NULL, "inventory.csv:2:20: bad agent_id 'a/b': an id is 1-64 "
	    "characters of a-z, 0-9, '.', '_' and '-', starting with a letter "
	    "or digit");
	expect_err(HDR "h,H,,c1,C1,p1,P1,,,,\"x y\",,\n",
	    NULL, "inventory.csv:2:21: bad uplink_hamlet_id 'x y': an id is 1-64 "
	    "characters of a-z, 0-9, '.', '_' and '-', starting with a letter "
	    "or digit");
	/* 65 characters; a newline inside quotes is shown as '?'. */
	expect_err(HDR "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    ",H,,c1,C1,p1,P1,,,,,,\n"
	    "\"a\nb\",H,,c1,C1,p1,P1,,,,,,\n",
	    NULL, "inventory.csv:2:1: bad hamlet_id 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa': an id is 1-64 characters of "
	    "a-z, 0-9, '.', '_' and '-', starting with a letter or digit\n"
	    "inventory.csv:3:1: bad hamlet_id 'a?b': an id is 1-64 characters of "
	    "a-z, 0-9, '.', '_' and '-', starting with a letter or digit");
}

static void
test_required(void **state)
{
	(void)state;
	expect_err(HDR ",H,,c1,C1,p1,P1,,,,,,\n", NULL,
	    "inventory.csv:2:1: empty hamlet_id (required)");
	expect_err(HDR "h,,,c1,C1,p1,P1,,,,,,\n", NULL,
	    "inventory.csv:2:3: empty hamlet_name (required)");
	expect_err(HDR "h,\"  \",,c1,C1,p1,P1,,,,,,\n", NULL,
	    "inventory.csv:2:3: empty hamlet_name (required)");
	expect_err(HDR "h,H,,,C1,p1,P1,,,,,,\n", NULL,
	    "inventory.csv:2:6: empty commune_id (required)");
	expect_err(HDR "h,H,,c1,,p1,P1,,,,,,\n", NULL,
	    "inventory.csv:2:9: empty commune_name (required)");
	expect_err(HDR "h,H,,c1,C1,,P1,,,,,,\n", NULL,
	    "inventory.csv:2:12: empty province_id (required)");
	expect_err(HDR "h,H,,c1,C1,p1,,,,,,,\n", NULL,
	    "inventory.csv:2:15: empty province_name (required)");
	expect_err(HDR "h,\"Suối\nChải\",,c1,C1,p1,P1,,,,,,\n", NULL,
	    "inventory.csv:2:3: hamlet_name holds a control character (a line "
	    "break or a tab): a name is one line of text");
	/* Every error of a row, in column order. */
	expect_err(HDR ",,,,,,,,,,,,\n", NULL,
	    "inventory.csv:2:1: empty hamlet_id (required)\n"
	    "inventory.csv:2:2: empty hamlet_name (required)\n"
	    "inventory.csv:2:4: empty commune_id (required)\n"
	    "inventory.csv:2:5: empty commune_name (required)\n"
	    "inventory.csv:2:6: empty province_id (required)\n"
	    "inventory.csv:2:7: empty province_name (required)");
}

static void
test_field_count(void **state)
{
	(void)state;
	expect_err(HDR "h,H,,c1,C1,p1,P1,,,,,\n", NULL,
	    "inventory.csv:2:1: 12 fields, expected 13 (the header's columns; "
	    "a comma in a name needs the name in quotes)");
	expect_err(HDR "h,Suối, Chải,,c1,C1,p1,P1,,,,,,\n", NULL,
	    "inventory.csv:2:32: 14 fields, expected 13 (the header's columns; "
	    "a comma in a name needs the name in quotes)");
}

static void
test_duplicates(void **state)
{
	(void)state;
	expect_err(HDR ROW("a") ROW("b") ROW("a"), NULL,
	    "inventory.csv:4:1: duplicate hamlet_id 'a' (first on line 2)");
	expect_err(HDR "a,H,,c1,C1,p1,P1,,,ag,,,\n" ROW("b")
	    "c,H,,c1,C1,p1,P1,,,ag,,,\n", NULL,
	    "inventory.csv:4:20: agent_id 'ag' is assigned to hamlet 'a' on "
	    "line 2 and to hamlet 'c' here: an agent reports for one hamlet");
}

static void
test_communes_provinces(void **state)
{
	(void)state;
	/* In one row, and across rows either way round. */
	expect_err(HDR "h,H,,p1,C1,p1,P1,,,,,,\n", NULL,
	    "inventory.csv:2:6: commune_id 'p1' is also a province id (line 2): "
	    "commune and province ids must differ");
	expect_err(HDR ROW("a") "b,H,,p1,C1,p2,P2,,,,,,\n", NULL,
	    "inventory.csv:3:6: commune_id 'p1' is also a province id (line 2): "
	    "commune and province ids must differ");
	expect_err(HDR ROW("a") "b,H,,c2,C2,c1,P2,,,,,,\n", NULL,
	    "inventory.csv:3:12: province_id 'c1' is also a commune id (line 2): "
	    "commune and province ids must differ");
	expect_err(HDR ROW("a") "b,H,,c1,C1,p2,P2,,,,,,\n", NULL,
	    "inventory.csv:3:12: commune 'c1' is in province 'p1' on line 2 but "
	    "in province 'p2' here");
	expect_err(HDR ROW("a") "b,H,,c1,Bát Xát,p1,P1,,,,,,\n", NULL,
	    "inventory.csv:3:9: commune 'c1' is named 'C1' on line 2 but "
	    "'Bát Xát' here");
	expect_err(HDR ROW("a") "b,H,,c2,C2,p1,P1 ,,,,,,\n", NULL,
	    "inventory.csv:3:15: province 'p1' is named 'P1' on line 2 but "
	    "'P1 ' here");
}

static void
test_uplinks(void **state)
{
	(void)state;
	expect_err(HDR "a,H,,c1,C1,p1,P1,,,,zz,,\n", NULL,
	    "inventory.csv:2:21: uplink_hamlet_id 'zz' is not a hamlet_id in "
	    "this file");
	expect_err(HDR "a,H,,c1,C1,p1,P1,,,,a,,\n", NULL,
	    "inventory.csv:2:21: uplink_hamlet_id 'a' is the hamlet itself "
	    "(leave it empty for a direct backhaul)");
	/* A tail leading into the cycle is not part of it; the cycle is
	 * named from its member first in the file. */
	expect_err(HDR "t,H,,c1,C1,p1,P1,,,,b,,\n"
	    "d,H,,c1,C1,p1,P1,,,,,,\n"
	    "a,H,,c1,C1,p1,P1,,,,c,,\n"
	    "b,H,,c1,C1,p1,P1,,,,a,,\n"
	    "c,H,,c1,C1,p1,P1,,,,b,,\n"
	    "e,H,,c1,C1,p1,P1,,,,d,,\n", NULL,
	    "inventory.csv:4:21: uplink cycle of 3 hamlets: a -> c -> b -> a "
	    "(a backhaul cannot run through itself)");
	expect_err(HDR "a,H,,c1,C1,p1,P1,,,,b,,\n"
	    "b,H,,c1,C1,p1,P1,,,,a,,\n"
	    "c,H,,c1,C1,p1,P1,,,,d,,\n"
	    "d,H,,c1,C1,p1,P1,,,,c,,\n", NULL,
	    "inventory.csv:2:21: uplink cycle of 2 hamlets: a -> b -> a (a "
	    "backhaul cannot run through itself)\n"
	    "inventory.csv:4:21: uplink cycle of 2 hamlets: c -> d -> c (a "
	    "backhaul cannot run through itself)");
	/* Unknown uplinks are only looked for once every row is good: a bad
	 * row would otherwise echo as unknown uplinks. */
	expect_err(HDR "A,H,,c1,C1,p1,P1,,,,,,\n"
	    "b,H,,c1,C1,p1,P1,,,,a,,\n", NULL,
	    "inventory.csv:2:1: bad hamlet_id 'A': an id is 1-64 characters of "
	    "a-z, 0-9, '.', '_' and '-', starting with a letter or digit");
}

static void
test_long_cycle(void **state)
{
	char *text, err[4096];
	size_t used, cap = 200 * 1024;
	struct inventory *inv;
	int i;

	(void)state;
	assert_non_null(text = malloc(cap));
	used = (size_t)snprintf(text, cap, "%s", HDR);
	for (i = 0; i < 1000; i++)
		used += (size_t)snprintf(text + used, cap - used,
		    "hamlet-%d,H,,c1,C1,p1,P1,,,,hamlet-%d,,\n", i, (i + 1) % 1000);
	assert_int_equal(load(text, NULL, &inv, err, sizeof err), -1);
	assert_non_null(strstr(err, "inventory.csv:2:28: uplink cycle of 1000 "
	    "hamlets: hamlet-0 -> hamlet-1 -> "));
	assert_non_null(strstr(err, " -> ... -> hamlet-0 (a backhaul cannot run "
	    "through itself)"));
	free(text);
}

static void
test_values(void **state)
{
	(void)state;
	expect_err(HDR "h,H,,c1,C1,p1,P1,,,,,2025-02-29,\n", NULL,
	    "inventory.csv:2:22: target_date '2025-02-29' is not a real calendar "
	    "date from 1970-01-01 on");
	expect_err(HDR "h,H,,c1,C1,p1,P1,,,,,2025-1-5,\n", NULL,
	    "inventory.csv:2:22: target_date '2025-1-5' is not a date in the form "
	    "YYYY-MM-DD");
	expect_err(HDR "h,H,,c1,C1,p1,P1,,,,,2025-04-31,\n", NULL,
	    "inventory.csv:2:22: target_date '2025-04-31' is not a real calendar "
	    "date from 1970-01-01 on");
	expect_err(HDR "h,H,,c1,C1,p1,P1,,,,,1900-02-29,\n", NULL,
	    "inventory.csv:2:22: target_date '1900-02-29' is not a real calendar "
	    "date from 1970-01-01 on");
	expect_err(HDR "h,H,,c1,C1,p1,P1,,,,,2025-12-31 ,\n", NULL,
	    "inventory.csv:2:22: target_date '2025-12-31 ' is not a date in the "
	    "form YYYY-MM-DD");
	expect_err(HDR "h,H,,c1,C1,p1,P1,90.5,10,,,,\n", NULL,
	    "inventory.csv:2:18: lat '90.5' is not a decimal number from -90 to 90");
	expect_err(HDR "h,H,,c1,C1,p1,P1,1e1,10,,,,\n", NULL,
	    "inventory.csv:2:18: lat '1e1' is not a decimal number from -90 to 90");
	expect_err(HDR "h,H,,c1,C1,p1,P1,\"22,5\",10,,,,\n", NULL,
	    "inventory.csv:2:18: lat '22,5' is not a decimal number from -90 to 90");
	expect_err(HDR "h,H,,c1,C1,p1,P1,10,-180.01,,,,\n", NULL,
	    "inventory.csv:2:21: lon '-180.01' is not a decimal number from -180 "
	    "to 180");
	expect_err(HDR "h,H,,c1,C1,p1,P1,10,nan,,,,\n", NULL,
	    "inventory.csv:2:21: lon 'nan' is not a decimal number from -180 to 180");
	expect_err(HDR "h,H,,c1,C1,p1,P1,10,,,,,\n", NULL,
	    "inventory.csv:2:21: empty lon while lat is given (give both or "
	    "neither)");
	expect_err(HDR "h,H,,c1,C1,p1,P1,,10,,,,\n", NULL,
	    "inventory.csv:2:18: empty lat while lon is given (give both or "
	    "neither)");
	expect_err(HDR "h,H,,c1,C1,p1,P1,,,,,,-1\n", NULL,
	    "inventory.csv:2:23: population '-1' is not a whole number from 0 to "
	    "1000000000");
	expect_err(HDR "h,H,,c1,C1,p1,P1,,,,,,12.5\n", NULL,
	    "inventory.csv:2:23: population '12.5' is not a whole number from 0 "
	    "to 1000000000");
	expect_err(HDR "h,H,,c1,C1,p1,P1,,,,,,1000000001\n", NULL,
	    "inventory.csv:2:23: population '1000000001' is not a whole number "
	    "from 0 to 1000000000");
	expect_err(HDR "h,H,,c1,C1,p1,P1,,,,,,99999999999999999999\n", NULL,
	    "inventory.csv:2:23: population '99999999999999999999' is not a whole "
	    "number from 0 to 1000000000");
}

static void
test_edges_ok(void **state)
{
	struct inventory *inv;
	char err[1024];

	(void)state;
	assert_int_equal(load(HDR
	    "a,H,,c1,C1,p1,P1,-90,-180,,,1970-01-01,1000000000\n"
	    "b,H,,c1,C1,p1,P1,90.000000000000000,180,,,2400-02-29,\n"
	    "c,H,,c1,C1,p1,P1,-0,0.0,,,9999-12-31,0\n",
	    THDR "province,p1,0,2025-01-01\ncommune,c1,100.0,2025-01-01\n",
	    &inv, err, sizeof err), 0);
	assert_int_equal(inventory_hamlet(inv, "a")->target_date, 0);
	assert_int_equal(inventory_hamlet(inv, "a")->population, 1000000000);
	assert_true(inventory_hamlet(inv, "b")->lat == 90);
	assert_int_equal(inventory_hamlet(inv, "b")->target_date, 157113);
	assert_int_equal(inventory_hamlet(inv, "c")->target_date, 2932896);
	assert_true(inventory_commune(inv, "c1")->effective.pct == 100);
	assert_true(inventory_province(inv, "p1")->target.set);
	inventory_free(inv);
}

static void
test_files(void **state)
{
	(void)state;
	expect_err(HDR "h,H,,c1,\"C\"1,p1,P1,,,,,,\n", NULL,
	    "inventory.csv:2:12: text after a closing quote (a quote inside a "
	    "quoted field is written twice: \"\")");
	expect_err(HDR "h,B\xe1t,,c1,C1,p1,P1,,,,,,\n", NULL,
	    "inventory.csv:2:4: invalid UTF-8 (sequence starting with byte 0xE1 "
	    "at byte offset 140): save the file as UTF-8");
	expect_err("", NULL, "inventory.csv:1:1: empty file: no header row; "
	    "expected the columns hamlet_id,hamlet_name,village,commune_id,"
	    "commune_name,province_id,province_name,lat,lon,agent_id,"
	    "uplink_hamlet_id,target_date,population");
	expect_err("hamlet_id,hamlet_name,vilage,commune_id,commune_name,"
	    "province_id,province_name,lat,lon,agent_id,uplink_hamlet_id,"
	    "target_date,population,notes\n", NULL,
	    "inventory.csv:1:23: unknown column 'vilage' (field 3), 'notes' "
	    "(field 14); missing column 'village'; expected the columns "
	    "hamlet_id,hamlet_name,village,commune_id,commune_name,province_id,"
	    "province_name,lat,lon,agent_id,uplink_hamlet_id,target_date,"
	    "population");
	/* Errors of the rows before a syntax error are kept. */
	expect_err(HDR ROW("a") ROW("a") "b,\"H,,c1\n", NULL,
	    "inventory.csv:3:1: duplicate hamlet_id 'a' (first on line 2)\n"
	    "inventory.csv:4:3: quoted field not closed: no closing quote before "
	    "the end of the file");

	{
		struct inventory *inv = (void *)1;
		char err[512];

		assert_int_equal(inventory_load(&inv, "missing.csv", NULL, err,
		    sizeof err), -1);
		assert_null(inv);
		assert_string_equal(err, "missing.csv: cannot open: No such file "
		    "or directory");
		tl_write_file("inventory.csv", good_inv);
		assert_int_equal(inventory_load(&inv, "inventory.csv",
		    "missing.csv", err, sizeof err), -1);
		assert_string_equal(err, "missing.csv: cannot open: No such file "
		    "or directory");
	}
}

static void
test_targets(void **state)
{
	(void)state;
	expect_err(good_inv, THDR "district,bat-xat,97,2025-12-31\n",
	    "targets.csv:2:1: scope 'district' is neither 'province' nor "
	    "'commune'");
	expect_err(good_inv, THDR "Province,lao-cai,97,2025-12-31\n",
	    "targets.csv:2:1: scope 'Province' is neither 'province' nor "
	    "'commune'");
	expect_err(good_inv, THDR "province,ha-giang,97,2025-12-31\n",
	    "targets.csv:2:10: province 'ha-giang' is not in inventory.csv");
	expect_err(good_inv, THDR "province,bat-xat,97,2025-12-31\n",
	    "targets.csv:2:10: province 'bat-xat' is not in inventory.csv (it is "
	    "a commune there)");
	expect_err(good_inv, THDR "commune,lao-cai,97,2025-12-31\n",
	    "targets.csv:2:9: commune 'lao-cai' is not in inventory.csv (it is a "
	    "province there)");
	expect_err(good_inv, THDR "commune,Bát Xát,97,2025-12-31\n",
	    "targets.csv:2:9: bad id 'Bát Xát': an id is 1-64 characters of a-z, "
	    "0-9, '.', '_' and '-', starting with a letter or digit");
	expect_err(good_inv, THDR "commune,,97,2025-12-31\n",
	    "targets.csv:2:9: empty id (required)");
	expect_err(good_inv, THDR "province,lao-cai,100.5,2025-12-31\n",
	    "targets.csv:2:18: coverage_pct '100.5' is not a decimal number from "
	    "0 to 100");
	expect_err(good_inv, THDR "province,lao-cai,-1,2025-12-31\n",
	    "targets.csv:2:18: coverage_pct '-1' is not a decimal number from 0 "
	    "to 100");
	expect_err(good_inv, THDR "province,lao-cai,,2025-12-31\n",
	    "targets.csv:2:18: empty coverage_pct (required)");
	expect_err(good_inv, THDR "province,lao-cai,97,2025-02-30\n",
	    "targets.csv:2:21: deadline '2025-02-30' is not a real calendar date "
	    "from 1970-01-01 on");
	expect_err(good_inv, THDR "province,lao-cai,97,\n",
	    "targets.csv:2:21: empty deadline (required, YYYY-MM-DD)");
	expect_err(good_inv, THDR "province,lao-cai,97\n",
	    "targets.csv:2:1: 3 fields, expected 4 (the header's columns)");
	expect_err(good_inv, THDR "commune,bat-xat,97,2025-12-31\n"
	    "province,lao-cai,97,2025-12-31\n"
	    "commune,bat-xat,98,2026-12-31\n",
	    "targets.csv:4:1: duplicate target for commune 'bat-xat' (first on "
	    "line 2)");
	expect_err(good_inv, "scope,id,pct,deadline\n",
	    "targets.csv:1:10: unknown column 'pct' (field 3); missing column "
	    "'coverage_pct'; expected the columns scope,id,coverage_pct,deadline");
	/* Targets are not read against a broken inventory. */
	expect_err(HDR ROW("a") ROW("a"), THDR "province,nope,97,2025-12-31\n",
	    "inventory.csv:3:1: duplicate hamlet_id 'a' (first on line 2)");
}

/* At most INV_MAX_ERRORS, then one line that says the loader stopped. */
static void
test_error_cap(void **state)
{
	char text[8192], want[8192], err[8192];
	size_t used, wused = 0;
	struct inventory *inv;

	(void)state;
	used = (size_t)snprintf(text, sizeof text, "%s", HDR);
	for (int i = 0; i < 30; i++)
		used += (size_t)snprintf(text + used, sizeof text - used,
		    "h%d,H,,c1,C1,p1,P1,,,,,,x\n", i);
	for (int i = 0; i < INV_MAX_ERRORS; i++)
		wused += (size_t)snprintf(want + wused, sizeof want - wused,
		    "%sinventory.csv:%d:%d: population 'x' is not a whole number "
		    "from 0 to 1000000000", i ? "\n" : "", i + 2, i < 10 ? 24 : 25);
	snprintf(want + wused, sizeof want - wused,
	    "\ninventory.csv: stopped after 20 errors");
	assert_int_equal(load(text, NULL, &inv, err, sizeof err), -1);
	assert_string_equal(err, want);

	/* A short buffer holds what fits, NUL-terminated. */
	assert_int_equal(load(text, NULL, &inv, err, 40), -1);
	assert_string_equal(err, "inventory.csv:2:24: population 'x' is n");
	assert_int_equal(load(text, NULL, &inv, NULL, 0), -1);
}

/* The example files of tests/data/bad, each with the error its README
 * line gives. */
static void
test_example_files(void **state)
{
	struct tl_cwd *f = *state;
	char dir[PATH_MAX], line[2048], err[4096], *colon, *args, *tgt;
	struct inventory *inv;
	size_t tok;
	FILE *fp;
	int n = 0;

	snprintf(dir, sizeof dir, "%s", __FILE__);
	assert_non_null(colon = strrchr(dir, '/'));
	snprintf(colon, sizeof dir - (size_t)(colon - dir), "/../data/bad");
	if (chdir(dir) == -1) {
		print_message("no %s: skipped\n", dir);
		skip();
	}
	assert_non_null(fp = fopen("README", "r"));
	while (fgets(line, sizeof line, fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		tok = strcspn(line, " :");
		if (tok <= 4 || memcmp(line + tok - 4, ".csv", 4) != 0 ||
		    (colon = strstr(line, ": ")) == NULL)
			continue;
		*colon = '\0';
		args = line;
		tgt = strstr(args, " --targets ");
		if (tgt != NULL) {
			*tgt = '\0';
			tgt += strlen(" --targets ");
		}
		if (strcmp(colon + 2, "OK") == 0) {
			assert_int_equal(inventory_load(&inv, args, tgt, err,
			    sizeof err), 0);
			inventory_free(inv);
		} else {
			assert_int_equal(inventory_load(&inv, args, tgt, err,
			    sizeof err), -1);
			assert_string_equal(err, colon + 2);
		}
		n++;
	}
	fclose(fp);
	assert_int_equal(chdir(f->dir), 0);
	assert_true(n >= 20);
}

/* A whole country: 100,000 hamlets in 10,000 communes of 63 provinces,
 * with agents, uplink chains, dates and positions. No timing assertion:
 * the time and memory are printed for the record. */
static void
test_country(void **state)
{
	struct inventory *inv;
	struct timespec t0, t1;
	struct rusage ru0, ru1;
	char err[1024];
	FILE *fp;
	long rss_kb = 0;
	int communes = 10000, per = 10;

	(void)state;
	assert_non_null(fp = fopen("inventory.csv", "w"));
	fputs(HDR, fp);
	for (int c = 0; c < communes; c++) {
		int p = c % 63;

		for (int k = 0; k < per; k++) {
			fprintf(fp, "h-%05d-%02d,\"Bản Suối Chải %d-%d\",Thôn %d,"
			    "c-%05d,\"Xã Bát Xát, số %d\",p-%02d,Tỉnh Lào Cai %d,"
			    "%.4f,%.4f,", c, k, c, k, k, c, c, p, p,
			    8.5 + (c % 1500) / 100.0, 102.1 + (c % 700) / 100.0);
			if (k != per - 1)
				fprintf(fp, "ag-%05d-%02d", c, k);
			fputc(',', fp);
			if (k > 0 && k < 5)
				fprintf(fp, "h-%05d-%02d", c, k - 1);
			fprintf(fp, ",%s,%d\n", k % 2 ? "2026-06-30" : "",
			    100 + k);
		}
	}
	assert_int_equal(fclose(fp), 0);
	assert_non_null(fp = fopen("targets.csv", "w"));
	fputs(THDR, fp);
	for (int p = 0; p < 63; p++)
		fprintf(fp, "province,p-%02d,97,2025-12-31\n", p);
	for (int c = 0; c < communes; c += 7)
		fprintf(fp, "commune,c-%05d,95.5,2025-09-30\n", c);
	assert_int_equal(fclose(fp), 0);

	getrusage(RUSAGE_SELF, &ru0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(inventory_load(&inv, "inventory.csv", "targets.csv",
	    err, sizeof err), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	getrusage(RUSAGE_SELF, &ru1);
	rss_kb = tl_rss_bytes() / 1024;
	print_message("100,000 hamlets: loaded in %.3f s; RSS now %ld KiB, "
	    "peak RSS %ld -> %ld KiB\n",
	    (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	    rss_kb, ru0.ru_maxrss, ru1.ru_maxrss);

	assert_int_equal(inv->nhamlets, 100000);
	assert_int_equal(inv->ncommunes, 10000);
	assert_int_equal(inv->nprovinces, 63);
	assert_int_equal(inv->nagents, 90000);
	assert_string_equal(inventory_hamlet(inv, "h-09999-04")->uplink_id,
	    "h-09999-03");
	assert_ptr_equal(&inv->hamlets[inventory_hamlet(inv, "h-09999-04")->uplink],
	    inventory_hamlet(inv, "h-09999-03"));
	assert_ptr_equal(inventory_hamlet_by_agent(inv, "ag-04242-03"),
	    inventory_hamlet(inv, "h-04242-03"));
	assert_null(inventory_hamlet_by_agent(inv, "ag-04242-09"));
	assert_string_equal(inventory_commune(inv, "c-00007")->name,
	    "Xã Bát Xát, số 7");
	assert_true(inventory_commune(inv, "c-00007")->effective.pct == 95.5);
	assert_true(inventory_commune(inv, "c-00008")->effective.pct == 97);
	assert_int_equal(inventory_province(inv, "p-62")->nhamlets, 158 * 10);
	inventory_summary(inv, stdout);
	inventory_free(inv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good, tl_cwd_setup, tl_cwd_teardown),
		cmocka_unit_test_setup_teardown(test_reload_keeps_old, tl_cwd_setup, tl_cwd_teardown),
		cmocka_unit_test_setup_teardown(test_bad_ids, tl_cwd_setup, tl_cwd_teardown),
		cmocka_unit_test_setup_teardown(test_required, tl_cwd_setup, tl_cwd_teardown),
		cmocka_unit_test_setup_teardown(test_field_count, tl_cwd_setup, tl_cwd_teardown),
		cmocka_unit_test_setup_teardown(test_duplicates, tl_cwd_setup, tl_cwd_teardown),
		cmocka_unit_test_setup_teardown(test_communes_provinces, tl_cwd_setup, tl_cwd_teardown),
		cmocka_unit_test_setup_teardown(test_uplinks, tl_cwd_setup, tl_cwd_teardown),
		cmocka_unit_test_setup_teardown(test_long_cycle, tl_cwd_setup, tl_cwd_teardown),
		cmocka_unit_test_setup_teardown(test_values, tl_cwd_setup, tl_cwd_teardown),
		cmocka_unit_test_setup_teardown(test_edges_ok, tl_cwd_setup, tl_cwd_teardown),
		cmocka_unit_test_setup_teardown(test_files, tl_cwd_setup, tl_cwd_teardown),
		cmocka_unit_test_setup_teardown(test_targets, tl_cwd_setup, tl_cwd_teardown),
		cmocka_unit_test_setup_teardown(test_error_cap, tl_cwd_setup, tl_cwd_teardown),
		cmocka_unit_test_setup_teardown(test_example_files, tl_cwd_setup, tl_cwd_teardown),
		cmocka_unit_test_setup_teardown(test_country, tl_cwd_setup, tl_cwd_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
