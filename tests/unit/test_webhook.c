/*
 * The webhook bodies: covmon's payload as is; a Telegram bot's sendMessage
 * and a Zalo Official Account's message, with the page's text cut at a
 * character boundary past each tool's limit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "notify.h"

#include <json-c/json.h>

#include <stdlib.h>
#include <string.h>

static const char *
field(json_object *o, const char *a, const char *b)
{
	json_object *v;

	if (!json_object_object_get_ex(o, a, &v))
		return NULL;
	if (b != NULL && !json_object_object_get_ex(v, b, &v))
		return NULL;
	return json_object_get_string(v);
}

static void
test_formats(void **state)
{
	(void)state;
	struct notifier_conf n = { .type = NT_WEBHOOK };
	struct notify_msg m = {
		.json = "{\"v\":1,\"kind\":\"hamlet_down\"}",
		.summary = "[nghiêm trọng] Suối Chải (Bát Xát) mất kết nối",
	};
	char *b = notify_webhook_body(&n, &m);
	assert_string_equal(b, m.json);
	free(b);

	n.format = WF_TELEGRAM;
	strcpy(n.chat_id, "-1001234567890");
	b = notify_webhook_body(&n, &m);
	json_object *o = json_tokener_parse(b);
	assert_non_null(o);
	assert_string_equal(field(o, "chat_id", NULL), "-1001234567890");
	assert_string_equal(field(o, "text", NULL), m.summary);
	json_object_put(o);
	free(b);

	n.format = WF_ZALO;
	strcpy(n.user_id, "2468013579");
	b = notify_webhook_body(&n, &m);
	o = json_tokener_parse(b);
	assert_non_null(o);
	assert_string_equal(field(o, "recipient", "user_id"), "2468013579");
	assert_string_equal(field(o, "message", "text"), m.summary);
	json_object_put(o);
	free(b);
}

/* Zalo takes 2000 characters: a longer page (Vietnamese: several bytes
 * a character) is cut to 1999 and "…", never inside a character. */
static void
test_cut(void **state)
{
	(void)state;
	struct notifier_conf n = { .type = NT_WEBHOOK, .format = WF_ZALO, .user_id = "1" };
	size_t reps = 1500;
	char *s = malloc(reps * strlen("ệa") + 1), *p = s;
	assert_non_null(s);
	for (size_t i = 0; i < reps; i++, p += strlen("ệa"))
		memcpy(p, "ệa", strlen("ệa"));
	*p = '\0';
	struct notify_msg m = { .json = "{}", .summary = s };
	char *b = notify_webhook_body(&n, &m);
	json_object *o = json_tokener_parse(b);
	assert_non_null(o);
	const char *t = field(o, "message", "text");
	size_t chars = 0;
	for (const char *q = t; *q; q++)
		chars += ((unsigned char)*q & 0xC0) != 0x80;
	assert_int_equal(chars, 2000);
	assert_string_equal(t + strlen(t) - strlen("…"), "…");
	json_object_put(o);
	free(b);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_cut),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
