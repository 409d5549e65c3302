/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The webhook notifier: an HTTP POST with libcurl, TLS peers verified
 * (libcurl's default, kept), no redirects followed; a 2xx answer is
 * success. The body is the alert's JSON (format = covmon, with an optional
 * bearer token), or the message of the tools provincial staff read on
 * their phones: a Telegram bot's sendMessage (format = telegram: the bot's
 * token is in the url, as Telegram's API has it) or a Zalo Official
 * Account's customer-service message (format = zalo: the OA's token in the
 * access_token header).
 */
#include "notify.h"

#include <curl/curl.h>
#include <json-c/json.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The longest texts the tools take, in characters (Telegram 4096, Zalo
 * 2000); a longer page is cut at a character boundary with "…". */
#define TELEGRAM_TEXT_MAX	4096
#define ZALO_TEXT_MAX		2000

/* s cut to at most max UTF-8 characters (a copy to free()). */
static char *
cut_chars(const char *s, size_t max)
{
	size_t n = 0, i = 0;

	for (; s[i] != '\0'; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80 && ++n > max - 1)
			break;
	if (s[i] == '\0')
		return strdup(s);
	char *r = malloc(i + 4);
	if (r != NULL) {
		memcpy(r, s, i);
		memcpy(r + i, "\xe2\x80\xa6", 4);     /* "…" */
	}
	return r;
}

/* The body for n's format, to free(); NULL out of memory. */
char *
notify_webhook_body(const struct notifier_conf *n, const struct notify_msg *m)
{
	json_object *o, *sub;
	char *text, *r;

	if (n->format == WF_COVMON)
		return strdup(m->json);
	text = cut_chars(m->summary, n->format == WF_TELEGRAM ? TELEGRAM_TEXT_MAX :
	    ZALO_TEXT_MAX);
	if (text == NULL || (o = json_object_new_object()) == NULL) {
		free(text);
		return NULL;
	}
	if (n->format == WF_TELEGRAM) {
		json_object_object_add(o, "chat_id", json_object_new_string(n->chat_id));
		json_object_object_add(o, "text", json_object_new_string(text));
		json_object_object_add(o, "disable_web_page_preview", json_object_new_boolean(1));
	} else {
		sub = json_object_new_object();
		json_object_object_add(sub, "user_id", json_object_new_string(n->user_id));
		json_object_object_add(o, "recipient", sub);
		sub = json_object_new_object();
		json_object_object_add(sub, "text", json_object_new_string(text));
		json_object_object_add(o, "message", sub);
	}
	r = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	free(text);
	return r;
}

static size_t
discard(char *data, size_t size, size_t n, void *arg)
{
	(void)data;
	(void)arg;
	return size * n;
}

int
notify_webhook(const struct notifier_conf *n, const struct notify_msg *m, char *err,
    size_t errlen)
{
	char errbuf[CURL_ERROR_SIZE] = "", auth[600] = "";
	struct curl_slist *h = NULL;
	CURL *c = curl_easy_init();
	long status = 0;
	CURLcode rc;

	char *body = notify_webhook_body(n, m);
	if (c == NULL || body == NULL) {
		snprintf(err, errlen, "cannot start libcurl");
		curl_easy_cleanup(c);
		free(body);
		return -1;
	}
	h = curl_slist_append(h, "Content-Type: application/json; charset=utf-8");
	if (n->bearer_token[0]) {
		if (n->format == WF_ZALO)
			snprintf(auth, sizeof auth, "access_token: %s", n->bearer_token);
		else
			snprintf(auth, sizeof auth, "Authorization: Bearer %s", n->bearer_token);
		h = curl_slist_append(h, auth);
	}
	curl_easy_setopt(c, CURLOPT_URL, n->url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(n->timeout * 1000));
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "covmon-collector/" COVMON_VERSION);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	explicit_bzero(auth, sizeof auth);
	free(body);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "POST %s: %s", n->url, errbuf[0] ? errbuf :
		    curl_easy_strerror(rc));
		return -1;
	}
	if (status < 200 || status > 299) {
		snprintf(err, errlen, "POST %s: HTTP %ld", n->url, status);
		return -1;
	}
	return 0;
}
