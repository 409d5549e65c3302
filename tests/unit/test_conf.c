/* SPDX-License-Identifier: GPL-2.0-or-later */
/* INI loading and typed getters (common/conf.c), and the collector's keys
 * read with them (collector/conf.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"
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

/* A line longer than inih's buffer: refused, naming it, from a string and
 * from a file; its tail never becomes a section or a key of its own (it
 * did: a long spool_dir ending in "[probe.pcap]" added that probe). */
static void
test_long_line(void **state)
{
	struct conf c;
	char err[256], ln[1024], path[] = "/tmp/covmon-conf-XXXXXX";
	int fd;
	(void)state;

	/* 195 characters of value and then a section on the same line. */
	snprintf(ln, sizeof ln, "[agent]\nid = a\nspool_dir = /%0195d[probe.pcap]\n"
	    "interface = eth0\n", 0);
	assert_int_equal(conf_load_string(&c, "long.conf", ln, err, sizeof err), -1);
	assert_non_null(strstr(err, "long.conf:3: line longer than"));

	assert_true((fd = mkstemp(path)) >= 0);
	assert_true(write(fd, ln, strlen(ln)) == (ssize_t)strlen(ln));
	close(fd);
	assert_int_equal(conf_load(&c, path, err, sizeof err), -1);
	assert_non_null(strstr(err, ":3: line longer than"));

	/* The longest line that fits (199 characters), with and without its
	 * newline, is read whole. */
	snprintf(ln, sizeof ln, "[agent]\nspool_dir = /%0186d\n", 0);
	assert_int_equal(strlen(strchr(ln, 's')) - 1, 199);
	assert_int_equal(conf_load_string(&c, "fit.conf", ln, err, sizeof err), 0);
	assert_int_equal(strlen(conf_str(&c, "agent", "spool_dir", "")), 187);
	conf_free(&c);
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(write(fd, ln, strlen(ln) - 1) == (ssize_t)strlen(ln) - 1);
	close(fd);
	assert_int_equal(conf_load(&c, path, err, sizeof err), 0);
	assert_int_equal(strlen(conf_str(&c, "agent", "spool_dir", "")), 187);
	conf_free(&c);
	unlink(path);
}

/* A section's line is its [header]'s, not its first key's. */
static void
test_section_line(void **state)
{
	struct conf c;
	char err[256];
	(void)state;

	assert_int_equal(conf_load_string(&c, "s.conf", "[agent]\nid = a\n\n ; note\n"
	    "[ probe.snmp ]\n\n; the radio\nhost = 10.0.0.2\n[empty]\n", err, sizeof err), 0);
	assert_int_equal(conf_section_line(&c, "agent"), 1);
	assert_int_equal(conf_section_line(&c, "probe.snmp"), 5);
	assert_int_equal(conf_section_line(&c, "empty"), 9);
	assert_int_equal(conf_section_line(&c, "probe.pcap"), 0);
	conf_free(&c);
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

/* Loads text as a collector config from a file of its own: 0 or -1. */
static int
load_collector(struct collector_conf *cc, const char *ini, char *path, size_t pathlen,
    char *err, size_t errlen)
{
	int fd, rc;

	snprintf(path, pathlen, "/tmp/covmon-conf-XXXXXX");
	assert_true((fd = mkstemp(path)) >= 0);
	assert_int_equal(write(fd, ini, strlen(ini)), (ssize_t)strlen(ini));
	close(fd);
	rc = collector_conf_load(cc, path, err, errlen);
	unlink(path);
	return rc;
}

/* The error names the file and the key's line. */
static void
assert_refused(struct collector_conf *cc, const char *ini, unsigned line, const char *key)
{
	char path[64], err[512], where[96];

	assert_int_equal(load_collector(cc, ini, path, sizeof path, err, sizeof err), -1);
	snprintf(where, sizeof where, "%s:%u: ", path, line);
	if (strstr(err, where) == NULL || strstr(err, key) == NULL)
		fail_msg("\"%s\": expected %s and %s", err, where, key);
}

static void
test_collector_keys(void **state)
{
	struct collector_conf *cc = malloc(sizeof *cc);
	char path[64], err[512], *out = NULL;
	size_t outlen = 0;
	(void)state;

	assert_non_null(cc);
	/* Defaults. */
	assert_int_equal(load_collector(cc, "[collector]\n", path, sizeof path, err, sizeof err),
	    0);
	assert_int_equal(cc->store.min_step, 10);
	assert_int_equal(cc->max_unknown_agents, 100);
	assert_true(cc->gap_timeout == 600);

	assert_int_equal(load_collector(cc, "[collector]\nmax_unknown_agents = 0\n"
	    "gap_timeout = 2m\n[rrd]\nmin_step = 1\n", path, sizeof path, err, sizeof err), 0);
	assert_int_equal(cc->store.min_step, 1);
	assert_int_equal(cc->max_unknown_agents, 0);
	assert_true(cc->gap_timeout == 120);
	assert_int_equal(load_collector(cc, "[collector]\nmax_unknown_agents = 1000000\n"
	    "[rrd]\nmin_step = 1h\n", path, sizeof path, err, sizeof err), 0);
	assert_int_equal(cc->store.min_step, 3600);
	assert_int_equal(cc->max_unknown_agents, 1000000);

	/* --check-config shows both. */
	FILE *fp = open_memstream(&out, &outlen);
	assert_non_null(fp);
	collector_conf_print(cc, fp);
	fclose(fp);
	assert_non_null(strstr(out, "\nmax_unknown_agents = 1000000\n"));
	assert_non_null(strstr(out, "\nmin_step = 3600\n"));
	free(out);

	assert_refused(cc, "[collector]\nmax_unknown_agents = -1\n", 2, "max_unknown_agents");
	assert_refused(cc, "[collector]\n\nmax_unknown_agents = 1000001\n", 3,
	    "max_unknown_agents");
	assert_refused(cc, "[collector]\nmax_unknown_agents = many\n", 2, "max_unknown_agents");
	assert_refused(cc, "[rrd]\nmin_step = 0\n", 2, "min_step");
	assert_refused(cc, "[rrd]\nrrdcached =\nmin_step = 3601\n", 3, "min_step");
	assert_refused(cc, "[rrd]\nmin_step = ten\n", 2, "min_step");
	assert_refused(cc, "[rrd]\nmin_step = 2.5\n", 2, "min_step");
	free(cc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_getters),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_section_line),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_collector_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
