/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the notifiers send: the webhook bodies (covmon's payload as is; a
 * Telegram bot's sendMessage and a Zalo Official Account's message, with
 * the page's text cut at a character boundary past each tool's limit) and
 * a mail's subject.
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

static int
b64val(char c)
{
	const char *t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = strchr(t, c);
	return c != '\0' && p != NULL ? (int)(p - t) : -1;
}

/* The decoded "=?UTF-8?B?...?=" Subject of a mail. */
static void
subject_of(const char *mail, char *out, size_t len)
{
	const char *p = strstr(mail, "Subject: =?UTF-8?B?");
	size_t n = 0;
	unsigned acc = 0;
	int bits = 0, v;

	assert_non_null(p);
	for (p += strlen("Subject: =?UTF-8?B?"); (v = b64val(*p)) >= 0 && n + 1 < len; p++) {
		acc = (acc << 6) | (unsigned)v;
		if ((bits += 6) >= 8) {
			bits -= 8;
			out[n++] = (char)((acc >> bits) & 0xFF);
		}
	}
	out[n] = '\0';
}

/* A digest by mail: its title is the subject, not "ALERT" and the whole
 * text with its line ends. */
static void
test_email_subject(void **state)
{
	(void)state;
	struct notifier_conf n = { .type = NT_EMAIL, .from = "covmon@laocai.example",
	    .to = "rollout@laocai.example" };
	struct notify_msg m = { .json = "{}", .state = "digest", .kind = "digest",
	    .scope = "province:lao-cai",
	    .summary = "Daily rollout digest — Lào Cai, 2026-12-07\nCoverage 91.2 %\n" };
	char mail[8192], subj[256];

	assert_int_equal(notify_email_text(&n, &m, 1796600000, mail, sizeof mail), 0);
	subject_of(mail, subj, sizeof subj);
	assert_string_equal(subj, "[covmon] DIGEST: Daily rollout digest — Lào Cai, 2026-12-07");
	m.state = "firing";
	m.summary = "[critical] Suối Chải (Bát Xát) down since 2026-12-07 08:23 UTC+7";
	assert_int_equal(notify_email_text(&n, &m, 1796600000, mail, sizeof mail), 0);
	subject_of(mail, subj, sizeof subj);
	assert_string_equal(subj, "[covmon] ALERT: [critical] Suối Chải (Bát Xát) down since "
	    "2026-12-07 08:23 UTC+7");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_email_subject),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
