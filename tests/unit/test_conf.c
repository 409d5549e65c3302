/* INI loading and typed getters (common/conf.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "conf.h"

static const char *text =
    "[agent]\n"
    "id = lc-01\n"
    "interval = 60 ; inline comment\n"
    "start_delay = 5m\n"
    "\n"
    "[probe.icmp]\n"
    "targets = 10.0.0.1, 8.8.8.8  ::1\n"
    "count = abc\n";

static void
test_getters(void **state)
{
	struct conf c;
	char err[256];
	long v;
	double d;
	(void)state;

	assert_int_equal(conf_load_string(&c, "t.conf", text, err, sizeof err), 0);
	assert_string_equal(conf_str(&c, "agent", "id", NULL), "lc-01");
	assert_int_equal(conf_long(&c, "agent", "interval", 0, 1, 3600, &v, err, sizeof err), 0);
	assert_int_equal(v, 60);
	assert_int_equal(conf_duration(&c, "agent", "start_delay", 0, 0, 3600, &d, err, sizeof err), 0);
	assert_true(d == 300);
	assert_int_equal(conf_duration(&c, "agent", "missing", 7, 0, 3600, &d, err, sizeof err), 0);
	assert_true(d == 7);
	assert_int_equal(conf_long(&c, "probe.icmp", "count", 20, 1, 100, &v, err, sizeof err), -1);
	assert_non_null(strstr(err, "t.conf:8:"));
	assert_true(conf_has_section(&c, "probe.icmp"));
	assert_false(conf_has_section(&c, "probe.tcp"));

	char items[4][256];
	assert_int_equal(conf_split_list(conf_str(&c, "probe.icmp", "targets", ""), items, 4), 3);
	assert_string_equal(items[2], "::1");
	assert_int_equal(conf_split_list("a,b,c,d,e", items, 4), -1);
	assert_int_equal(conf_unused(&c, err, sizeof err), 0);
	conf_free(&c);
}

static void
test_errors(void **state)
{
	struct conf c;
	char err[256];
	const char *v;
	(void)state;

	assert_int_equal(conf_load_string(&c, "x.conf", "[a]\nk = 1\nnot a pair\n", err, sizeof err), -1);
	assert_non_null(strstr(err, "x.conf:3:"));
	assert_int_equal(conf_load_string(&c, "x.conf", "[a]\nk = 1\nk = 2\n", err, sizeof err), -1);
	assert_non_null(strstr(err, "x.conf:3: key given twice"));

	assert_int_equal(conf_load_string(&c, "y.conf", "[a]\nk = 1\ntypo = 2\n", err, sizeof err), 0);
	assert_int_equal(conf_require(&c, "a", "k", &v, err, sizeof err), 0);
	assert_int_equal(conf_require(&c, "a", "absent", &v, err, sizeof err), -1);
	assert_non_null(strstr(err, "y.conf: [a]: missing key 'absent'"));
	assert_int_equal(conf_unused(&c, err, sizeof err), -1);
	assert_non_null(strstr(err, "y.conf:3: [a] typo: unknown key"));
	conf_free(&c);

	assert_int_equal(conf_load(&c, "/nonexistent/covmon.conf", err, sizeof err), -1);
	assert_non_null(strstr(err, "/nonexistent/covmon.conf"));
}

static void
test_duration(void **state)
{
	double d;
	(void)state;
	assert_int_equal(parse_duration("1", &d), 0);
	assert_true(d == 1);
	assert_int_equal(parse_duration("4h", &d), 0);
	assert_true(d == 14400);
	assert_int_equal(parse_duration("1.5m", &d), 0);
	assert_true(d == 90);
	assert_int_equal(parse_duration("2d", &d), 0);
	assert_true(d == 172800);
	assert_int_equal(parse_duration("5x", &d), -1);
	assert_int_equal(parse_duration("-1", &d), -1);
	assert_int_equal(parse_duration("", &d), -1);
	assert_int_equal(parse_duration("m", &d), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_getters),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_duration),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
