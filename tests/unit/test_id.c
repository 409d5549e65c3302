/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Identifier validation (DESIGN.md section 2). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "id.h"

static void
test_valid(void **state)
{
	(void)state;
	assert_true(id_valid("lc-batxat-suoichai-01"));
	assert_true(id_valid("a"));
	assert_true(id_valid("0"));
	assert_true(id_valid("lao-cai"));
	assert_true(id_valid("a.b_c-d"));
	char max[ID_MAX + 1];
	memset(max, 'a', ID_MAX);
	max[ID_MAX] = '\0';
	assert_true(id_valid(max));
}

static void
test_invalid(void **state)
{
	(void)state;
	const char *bad[] = { "", ".", "..", "../x", "a/b", "A", "Lao-cai", "-a", "_a", ".a",
		"a b", "a%2fb", "a+", "a#", "a\n", "suối", "a\\b", NULL };
	for (int i = 0; bad[i]; i++)
		assert_false(id_valid(bad[i]));
	char over[ID_MAX + 2];
	memset(over, 'a', ID_MAX + 1);
	over[ID_MAX + 1] = '\0';
	assert_false(id_valid(over));
	assert_false(id_valid(NULL));
	/* A NUL inside a topic level or JSON string. */
	assert_false(id_validn("ab\0c", 4));
	assert_true(id_validn("abc", 3));
	assert_false(id_validn("abc", 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
