/* SPDX-License-Identifier: GPL-2.0-or-later */
/* MQTT topics of protocol v1 (DESIGN.md section 3), built and parsed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "topic.h"

#define P "covmon/v1"

static void
test_build(void **state)
{
	char buf[TOPIC_MAX];
	(void)state;

	assert_int_equal(topic_build(buf, sizeof(buf), P, "lao-cai", "lc-01", TOPIC_SAMPLE), 0);
	assert_string_equal(buf, "covmon/v1/lao-cai/lc-01/sample");
	assert_int_equal(topic_build(buf, sizeof(buf), P, "lao-cai", "lc-01", TOPIC_STATE), 0);
	assert_string_equal(buf, "covmon/v1/lao-cai/lc-01/state");
	assert_int_equal(topic_build(buf, sizeof(buf), P, "lao-cai", "lc-01", TOPIC_ACK), 0);
	assert_string_equal(buf, "covmon/v1/lao-cai/lc-01/ack");
	assert_int_equal(topic_build(buf, sizeof(buf), P, "lao-cai", NULL, TOPIC_ALERT), 0);
	assert_string_equal(buf, "covmon/v1/lao-cai/alert");
	assert_int_equal(topic_build(buf, sizeof(buf), P, "lao-cai", NULL, TOPIC_SUMMARY), 0);
	assert_string_equal(buf, "covmon/v1/lao-cai/summary");
	assert_int_equal(topic_build(buf, sizeof(buf), "site/x", "p", "a", TOPIC_ACK), 0);
	assert_string_equal(buf, "site/x/p/a/ack");

	/* Exactly fits, and one byte short. */
	size_t n = strlen("covmon/v1/lao-cai/lc-01/sample") + 1;
	assert_int_equal(topic_build(buf, n, P, "lao-cai", "lc-01", TOPIC_SAMPLE), 0);
	assert_int_equal(topic_build(buf, n - 1, P, "lao-cai", "lc-01", TOPIC_SAMPLE), -1);
}

static void
test_build_invalid(void **state)
{
	static const char *const bad[] = { "", "a/b", "a+", "+", "a#", "#", "..", ".",
		"../x", "A", "Lao-cai", "-a", "a b", NULL };
	char buf[TOPIC_MAX], over[ID_MAX + 2];
	(void)state;

	memset(over, 'a', ID_MAX + 1);
	over[ID_MAX + 1] = '\0';
	for (int i = 0; bad[i] != NULL; i++) {
		assert_int_equal(topic_build(buf, sizeof(buf), P, bad[i], "a", TOPIC_SAMPLE), -1);
		assert_int_equal(topic_build(buf, sizeof(buf), P, "p", bad[i], TOPIC_SAMPLE), -1);
		assert_int_equal(topic_build(buf, sizeof(buf), P, bad[i], NULL, TOPIC_ALERT), -1);
	}
	assert_int_equal(topic_build(buf, sizeof(buf), P, over, "a", TOPIC_STATE), -1);
	assert_int_equal(topic_build(buf, sizeof(buf), P, "p", over, TOPIC_STATE), -1);
	assert_int_equal(topic_build(buf, sizeof(buf), P, NULL, "a", TOPIC_STATE), -1);
	/* An agent topic needs an agent. */
	assert_int_equal(topic_build(buf, sizeof(buf), P, "p", NULL, TOPIC_SAMPLE), -1);

	/* 64 characters is still an id. */
	over[ID_MAX] = '\0';
	assert_int_equal(topic_build(buf, sizeof(buf), P, over, over, TOPIC_SAMPLE), 0);
}

static void
test_parse(void **state)
{
	char prov[ID_MAX + 1], agent[ID_MAX + 1];
	enum topic_leaf leaf;
	(void)state;

	assert_int_equal(topic_parse("covmon/v1/lao-cai/lc-01/sample", P, prov, agent, &leaf), 0);
	assert_string_equal(prov, "lao-cai");
	assert_string_equal(agent, "lc-01");
	assert_int_equal(leaf, TOPIC_SAMPLE);
	assert_int_equal(topic_parse("covmon/v1/p/a/state", P, prov, agent, &leaf), 0);
	assert_int_equal(leaf, TOPIC_STATE);
	assert_int_equal(topic_parse("covmon/v1/p/a/ack", P, prov, agent, &leaf), 0);
	assert_int_equal(leaf, TOPIC_ACK);
	assert_int_equal(topic_parse("x/y/z/p/a/ack", "x/y/z", prov, agent, &leaf), 0);
	assert_string_equal(prov, "p");
	assert_string_equal(agent, "a");

	/* Built then parsed gives the ids back, at their longest too. */
	char topic[TOPIC_MAX], id[ID_MAX + 1];
	memset(id, '9', ID_MAX);
	id[ID_MAX] = '\0';
	assert_int_equal(topic_build(topic, sizeof(topic), P, id, "a.b_c-d", TOPIC_STATE), 0);
	assert_int_equal(topic_parse(topic, P, prov, agent, &leaf), 0);
	assert_string_equal(prov, id);
	assert_string_equal(agent, "a.b_c-d");
	assert_int_equal(leaf, TOPIC_STATE);
}

static void
test_parse_invalid(void **state)
{
	static const char *const bad[] = {
		/* wrong prefix */
		"covmon/v2/p/a/sample", "covmon/v1x/p/a/sample", "xcovmon/v1/p/a/sample",
		"covmon/p/a/sample", "/covmon/v1/p/a/sample", "covmon/v1", "covmon/v1/",
		"COVMON/v1/p/a/sample",
		/* extra or missing levels */
		"covmon/v1/p/a/b/sample", "covmon/v1/p/a/sample/x", "covmon/v1/p/a/sample/",
		"covmon/v1/p/sample", "covmon/v1/sample", "covmon/v1/p/a/",
		"covmon/v1/p/a", "covmon/v1//a/sample", "covmon/v1/p//sample",
		/* not an agent topic, or no such leaf */
		"covmon/v1/p/alert", "covmon/v1/p/summary", "covmon/v1/p/a/alert",
		"covmon/v1/p/a/summary", "covmon/v1/p/a/Sample", "covmon/v1/p/a/samplex",
		/* ids that fail section 2 */
		"covmon/v1/+/a/sample", "covmon/v1/p/+/sample", "covmon/v1/#/a/sample",
		"covmon/v1/p/#", "covmon/v1/p/a#/sample", "covmon/v1/../a/sample",
		"covmon/v1/p/../sample", "covmon/v1/p/./sample", "covmon/v1/Lao-cai/a/sample",
		"covmon/v1/p/A/sample", "covmon/v1/-p/a/sample", "covmon/v1/p/a b/sample",
		"covmon/v1/p/su\xe1\xbb\x91i/sample",
		NULL,
	};
	char prov[ID_MAX + 1], agent[ID_MAX + 1], topic[TOPIC_MAX], over[ID_MAX + 2];
	enum topic_leaf leaf;
	(void)state;

	for (int i = 0; bad[i] != NULL; i++)
		if (topic_parse(bad[i], P, prov, agent, &leaf) != -1)
			fail_msg("topic '%s' accepted", bad[i]);

	/* 65 characters, in either place: refused, and nothing overrun. */
	memset(over, 'a', ID_MAX + 1);
	over[ID_MAX + 1] = '\0';
	snprintf(topic, sizeof(topic), "covmon/v1/%s/a/sample", over);
	assert_int_equal(topic_parse(topic, P, prov, agent, &leaf), -1);
	snprintf(topic, sizeof(topic), "covmon/v1/p/%s/sample", over);
	assert_int_equal(topic_parse(topic, P, prov, agent, &leaf), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_build_invalid),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
