/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Search (collector/search.c): the ranking on a small inventory made here
 * (exact > prefix > a word starts with it > substring, then hamlet, agent,
 * village, commune, province, then name), folding of the query, words in
 * any order, what each result is called and where it leads, the bounds. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "search.h"
#include "snapshot.h"

#define HDR	"hamlet_id,hamlet_name,village,commune_id,commune_name," \
		"province_id,province_name,lat,lon,agent_id,uplink_hamlet_id," \
		"target_date,population\n"

/* Two hamlets named Lao Chải; a commune named like a hamlet; a village of
 * two hamlets; hamlets whose name has "suối chải" as a prefix, as words,
 * and an agent id that has it without the space. */
static const char inv_csv[] = HDR
    "bx-suoi-chai,Suối Chải,Thôn Suối Chải,bat-xat,Bát Xát,lao-cai,Lào Cai,"
    ",,lc-suoichai-01,,,\n"
    "bx-suoi-chai-tren,Suối Chải Trên,,bat-xat,Bát Xát,lao-cai,Lào Cai,,,,,,\n"
    "bx-mo,Mỏ Suối Chải,Thôn Mỏ,bat-xat,Bát Xát,lao-cai,Lào Cai,,,lc-mo-01,,,\n"
    "yt-lao-chai,Lao Chải,Thôn Lao Chải,y-ty,Y Tý,lao-cai,Lào Cai,,,lc-yty-01,,,\n"
    "yt-ta-chai,Tả Chải,Thôn Lao Chải,y-ty,Y Tý,lao-cai,Lào Cai,,,,,,\n"
    "pl-lao-chai,Lao Chải,,pha-long,Pha Long,lao-cai,Lào Cai,,,lc-pl-01,,,\n"
    "sp-lao-chai-san,Lao Chải San,,sa-pa,Sa Pa,lao-cai,Lào Cai,,,,,,\n"
    "dv-lung-cu,Lũng Cú,,suoi-chai-xa,Suối Chải,ha-giang,Hà Giang,,,,,,\n"
    "dv-ma-le,Ma Lé,,dong-van,Đồng Văn,ha-giang,Hà Giang,,,,,,\n";

enum { SUOI_CHAI, SUOI_CHAI_TREN, MO, YT_LAO_CHAI, YT_TA_CHAI, PL_LAO_CHAI,
	LAO_CHAI_SAN, LUNG_CU, MA_LE, NH };

struct fx {
	char dir[64], path[128];
	struct inventory *inv;
	struct search_index *idx;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	char err[2048];

	assert_non_null(f);
	tl_tmpdir(f->dir, sizeof f->dir, "search");
	snprintf(f->path, sizeof f->path, "%s/inventory.csv", f->dir);
	tl_write_file(f->path, inv_csv);
	if (inventory_load(&f->inv, f->path, NULL, err, sizeof err) == -1)
		fail_msg("%s", err);
	assert_int_equal(f->inv->nhamlets, NH);
	assert_non_null(f->idx = search_index_new(f->inv));
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	int rc;

	search_index_free(f->idx);
	inventory_free(f->inv);
	rc = tl_rmtree(f->dir);
	free(f);
	return rc;
}

/* "type:id:match" of each result, space-separated, for one comparison. */
static const char *
run(struct fx *f, const char *q, size_t max, size_t *total)
{
	static char buf[4096];
	struct search_result r[SEARCH_RESULTS_MAX];
	size_t n = search_run(f->idx, q, SEARCH_ALL, r, max), o = 0;

	if (total)
		*total = n;
	buf[0] = '\0';
	for (size_t i = 0; i < n && i < max && i < SEARCH_RESULTS_MAX; i++)
		o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s:%s:%s", i ? " " : "",
		    search_type_name[r[i].type], search_result_id(f->inv, &r[i]),
		    search_match_name[r[i].match]);
	return buf;
}

static void
test_ranking(void **state)
{
	struct fx *f = *state;
	const char *want =
	    "hamlet:bx-suoi-chai:exact "		/* the name, whole */
	    "commune:suoi-chai-xa:exact "		/* the same, a commune */
	    "hamlet:bx-suoi-chai-tren:prefix "		/* starts with it */
	    "hamlet:bx-mo:word "			/* "Mỏ Suối Chải" */
	    "village:bat-xat:word "			/* "Thôn Suối Chải" */
	    "agent:lc-suoichai-01:substring";		/* "suoichai" */
	size_t total;

	assert_string_equal(run(f, "suoi chai", SEARCH_RESULTS_MAX, &total), want);
	assert_int_equal(total, 6);
	/* Case, diacritics, NFD, spaces and punctuation make no difference. */
	assert_string_equal(run(f, "Suối Chải", SEARCH_RESULTS_MAX, NULL), want);
	assert_string_equal(run(f, "SUỐI CHẢI", SEARCH_RESULTS_MAX, NULL), want);
	assert_string_equal(run(f, "Suo\u0302\u0301i Cha\u0309i", SEARCH_RESULTS_MAX, NULL),
	    want);
	assert_string_equal(run(f, "  suoi,  chai ", SEARCH_RESULTS_MAX, NULL), want);
}

/* The words in any order: every one must start a word of the name. */
static void
test_any_order(void **state)
{
	struct fx *f = *state;

	assert_string_equal(run(f, "chai suoi", SEARCH_RESULTS_MAX, NULL),
	    "hamlet:bx-mo:word "
	    "hamlet:bx-suoi-chai:word "
	    "hamlet:bx-suoi-chai-tren:word "
	    "village:bat-xat:word "
	    "commune:suoi-chai-xa:word "
	    "agent:lc-suoichai-01:substring");
	/* Every word must match: "suoi lao" names nothing. */
	assert_string_equal(run(f, "suoi lao", SEARCH_RESULTS_MAX, NULL), "");
	/* The query without its spaces is found in a name read without. */
	assert_string_equal(run(f, "suoichai", 1, NULL), "agent:lc-suoichai-01:word");
	assert_string_equal(run(f, "laochaisan", 1, NULL),
	    "hamlet:sp-lao-chai-san:substring");
}

/* Equal names: by type, then by name, then in file order. */
static void
test_ties(void **state)
{
	struct fx *f = *state;

	assert_string_equal(run(f, "lao chai", SEARCH_RESULTS_MAX, NULL),
	    "hamlet:yt-lao-chai:exact "
	    "hamlet:pl-lao-chai:exact "
	    "hamlet:sp-lao-chai-san:prefix "
	    "village:y-ty:word");
	/* A word of many names: sites first, alphabetically. */
	assert_string_equal(run(f, "chai", 5, NULL),
	    "hamlet:yt-lao-chai:word "
	    "hamlet:pl-lao-chai:word "
	    "hamlet:sp-lao-chai-san:word "
	    "hamlet:bx-mo:word "
	    "hamlet:bx-suoi-chai:word");
}

/* Ids are searched as well as names; an exact id comes first. */
static void
test_ids(void **state)
{
	struct fx *f = *state;

	assert_string_equal(run(f, "bx-suoi-chai", 2, NULL),
	    "hamlet:bx-suoi-chai:exact hamlet:bx-suoi-chai-tren:prefix");
	assert_string_equal(run(f, "lc-yty-01", SEARCH_RESULTS_MAX, NULL),
	    "agent:lc-yty-01:exact");
	assert_string_equal(run(f, "lao-cai", 1, NULL), "province:lao-cai:exact");
	assert_string_equal(run(f, "Đồng Văn", SEARCH_RESULTS_MAX, NULL),
	    "commune:dong-van:exact");
}

/* What each kind of result is called and the page it leads to. */
static void
test_results(void **state)
{
	struct fx *f = *state;
	struct search_result r[SEARCH_RESULTS_MAX];
	char page[128];
	int32_t pi, ci;

	/* An agent: its own id, its hamlet's name and page. */
	assert_int_equal(search_run(f->idx, "lc-suoichai-01", SEARCH_ALL, r, 1), 1);
	assert_int_equal(r[0].type, SEARCH_AGENT);
	assert_string_equal(search_result_id(f->inv, &r[0]), "lc-suoichai-01");
	assert_string_equal(search_result_name(f->inv, &r[0]), "Suối Chải");
	assert_int_equal(search_result_page(f->inv, &r[0], page, sizeof page), 0);
	assert_string_equal(page, "/hamlet/bx-suoi-chai");
	search_result_place(f->inv, &r[0], &pi, &ci);
	assert_string_equal(f->inv->communes[ci].id, "bat-xat");
	assert_string_equal(f->inv->provinces[pi].id, "lao-cai");

	/* A village: its commune's id and page, and its two hamlets. */
	assert_int_equal(search_run(f->idx, "thon lao chai", SEARCH_ALL, r, 1), 1);
	assert_int_equal(r[0].type, SEARCH_VILLAGE);
	assert_string_equal(search_result_name(f->inv, &r[0]), "Thôn Lao Chải");
	assert_string_equal(search_result_id(f->inv, &r[0]), "y-ty");
	assert_int_equal(search_result_page(f->inv, &r[0], page, sizeof page), 0);
	assert_string_equal(page, "/commune/y-ty");
	for (size_t h = 0; h < NH; h++)
		assert_int_equal(search_village_has(f->inv, &r[0], h),
		    h == YT_LAO_CHAI || h == YT_TA_CHAI);

	/* A province: no commune. */
	assert_int_equal(search_run(f->idx, "ha giang", SEARCH_ALL, r, 1), 1);
	assert_int_equal(r[0].type, SEARCH_PROVINCE);
	assert_int_equal(search_result_page(f->inv, &r[0], page, sizeof page), 0);
	assert_string_equal(page, "/province/ha-giang");
	search_result_place(f->inv, &r[0], &pi, &ci);
	assert_int_equal(ci, -1);
	assert_int_equal(search_result_page(f->inv, &r[0], page, 8), -1);

	/* A commune. */
	assert_int_equal(search_run(f->idx, "bat xat", SEARCH_ALL, r, 1), 1);
	assert_int_equal(r[0].type, SEARCH_COMMUNE);
	assert_int_equal(search_result_page(f->inv, &r[0], page, sizeof page), 0);
	assert_string_equal(page, "/commune/bat-xat");
}

/* At most max results, the best ones; the total counts them all. */
static void
test_bounds(void **state)
{
	struct fx *f = *state;
	char q[SEARCH_QUERY_MAX * 2];
	size_t total;

	assert_string_equal(run(f, "chai", 2, &total),
	    "hamlet:yt-lao-chai:word hamlet:pl-lao-chai:word");
	assert_int_equal(total, 11);
	assert_string_equal(run(f, "chai", 0, &total), "");
	assert_int_equal(total, 11);

	/* Nothing to search for. */
	assert_true(search_query_empty(""));
	assert_true(search_query_empty(" -,. "));
	assert_true(search_query_empty(NULL));
	assert_false(search_query_empty("Ý"));
	assert_string_equal(run(f, " - ", SEARCH_RESULTS_MAX, &total), "");
	assert_int_equal(total, 0);

	/* Too long: cut, not overrun. */
	memset(q, 'a', sizeof q - 1);
	q[sizeof q - 1] = '\0';
	assert_string_equal(run(f, q, SEARCH_RESULTS_MAX, NULL), "");
	/* Bytes that are not UTF-8 match nothing and break nothing. */
	assert_string_equal(run(f, "\xff\xfe\xc3", SEARCH_RESULTS_MAX, &total), "");
	assert_int_equal(total, 0);
}

/* Only the types asked for: a commune's name among many hamlets'. */
static void
test_types(void **state)
{
	struct fx *f = *state;
	struct search_result r[SEARCH_RESULTS_MAX];

	assert_int_equal(search_types("commune"), SEARCH_TYPE(SEARCH_COMMUNE));
	assert_int_equal(search_types("hamlet,agent"),
	    SEARCH_TYPE(SEARCH_HAMLET) | SEARCH_TYPE(SEARCH_AGENT));
	assert_int_equal(search_types("hamlet,town"), 0);
	assert_int_equal(search_types("Hamlet"), 0);
	assert_int_equal(search_types("hamlets"), 0);
	assert_int_equal(search_types(""), 0);
	assert_int_equal(search_run(f->idx, "suoi chai", SEARCH_TYPE(SEARCH_COMMUNE), r,
	    SEARCH_RESULTS_MAX), 1);
	assert_int_equal(r[0].type, SEARCH_COMMUNE);
	assert_string_equal(search_result_id(f->inv, &r[0]), "suoi-chai-xa");
	/* The best of the type even where others would fill the list. */
	assert_int_equal(search_run(f->idx, "chai", SEARCH_TYPE(SEARCH_VILLAGE), r, 1), 2);
	assert_int_equal(r[0].type, SEARCH_VILLAGE);
	assert_string_equal(search_result_name(f->inv, &r[0]), "Thôn Lao Chải");
}

/* The cached index follows the inventory it is asked about: a reload's
 * new inventory is searched, not the old one's index. */
static void
test_cached(void **state)
{
	struct fx *f = *state;
	struct search_result r[SEARCH_RESULTS_MAX];
	struct inventory *a, *b;
	struct inv_ref *ra, *rb;
	char err[2048];
	FILE *fp;

	assert_int_equal(inventory_load(&a, f->path, NULL, err, sizeof err), 0);
	assert_non_null(fp = fopen(f->path, "wb"));
	fputs(HDR "x-1,Nậm Pung,,x,Xã X,p,Tỉnh P,,,,,,\n", fp);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(inventory_load(&b, f->path, NULL, err, sizeof err), 0);
	assert_non_null(ra = inv_ref_new(a, f->path, 0));
	assert_non_null(rb = inv_ref_new(b, f->path, 1));

	assert_int_equal(search_inventory(ra, "suoi chai", SEARCH_ALL, r, 1), 6);
	assert_string_equal(search_result_id(a, &r[0]), "bx-suoi-chai");
	assert_int_equal(search_inventory(rb, "suoi chai", SEARCH_ALL, r, 1), 0);
	assert_int_equal(search_inventory(rb, "nam pung", SEARCH_ALL, r, 1), 1);
	assert_string_equal(search_result_id(b, &r[0]), "x-1");
	/* The old inventory, still held by a request, searched again. */
	assert_int_equal(search_inventory(ra, "nam pung", SEARCH_ALL, r, 1), 0);
	assert_int_equal(search_inventory(ra, "lao chai", SEARCH_ALL, r, 1), 4);
	inv_ref_put(ra);
	inv_ref_put(rb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ranking),
		cmocka_unit_test(test_any_order),
		cmocka_unit_test(test_ties),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_results),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_cached),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
