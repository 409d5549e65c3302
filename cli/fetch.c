/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Requests to the collector's API over libcurl (GET, and the write
 * actions with the bearer token), with messages that name the URL when the
 * collector cannot be reached or says no. */
#include "cli.h"

#include <curl/curl.h>

#include <stdlib.h>
#include <string.h>

/* Bound on an answer: the whole country's hamlet list is a few tens of MB. */
#define BODY_MAX	(512u * 1024 * 1024)

struct sink {
	char *buf;
	size_t len, cap;
	bool too_big;
};

static size_t
on_data(char *data, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	size_t add = size * n;

	if (add > BODY_MAX - s->len) {
		s->too_big = true;
		return 0;
	}
	if (s->len + add + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 16384;
		while (cap < s->len + add + 1)
			cap *= 2;
		char *p = realloc(s->buf, cap);
		if (p == NULL)
			return 0;
		s->buf = p;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, data, add);
	s->len += add;
	s->buf[s->len] = '\0';
	return add;
}

int
cli_get(const struct cli *c, const char *path, struct reply *r)
{
	return cli_send(c, "GET", path, NULL, r);
}

int
cli_send(const struct cli *c, const char *method, const char *path, const char *body,
    struct reply *r)
{
	struct sink s = { 0 };
	char errbuf[CURL_ERROR_SIZE] = "", auth[320];
	struct curl_slist *hdr = NULL;
	CURL *h;
	CURLcode rc;

	memset(r, 0, sizeof r[0]);
	snprintf(r->url, sizeof r->url, "%s%s", c->url, path);
	if ((h = curl_easy_init()) == NULL) {
		fprintf(stderr, "covmon: %s: cannot start libcurl\n", r->url);
		return -1;
	}
	curl_easy_setopt(h, CURLOPT_URL, r->url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(c->timeout * 1000));
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)(c->timeout < 5 ? c->timeout * 1000 : 5000));
	curl_easy_setopt(h, CURLOPT_USERAGENT, "covmon/" COVMON_VERSION);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	if (strcmp(method, "GET") != 0) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
		if (body != NULL) {
			hdr = curl_slist_append(hdr, "Content-Type: application/json");
			curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		}
		if (c->token[0]) {
			snprintf(auth, sizeof auth, "Authorization: Bearer %s", c->token);
			hdr = curl_slist_append(hdr, auth);
		}
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	}
	rc = curl_easy_perform(h);
	curl_slist_free_all(hdr);
	if (rc != CURLE_OK) {
		if (s.too_big)
			fprintf(stderr, "covmon: %s: the answer is larger than %u MiB\n",
			    r->url, BODY_MAX >> 20);
		else
			fprintf(stderr, "covmon: cannot reach %s: %s\n", r->url,
			    errbuf[0] ? errbuf : curl_easy_strerror(rc));
		if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST)
			fprintf(stderr, "covmon: is covmon-collector running there? "
			    "(--url, $COVMON_URL or [cli] url in the config)\n");
		curl_easy_cleanup(h);
		free(s.buf);
		return -1;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_cleanup(h);
	if (s.buf == NULL && (s.buf = calloc(1, 1)) == NULL) {
		fprintf(stderr, "covmon: out of memory\n");
		return -1;
	}
	r->body = s.buf;
	r->len = s.len;
	r->json = json_tokener_parse(r->body);
	return 0;
}

void
reply_complain(const struct reply *r)
{
	const char *msg = NULL;
	json_object *e;

	if (r->json && json_object_object_get_ex(r->json, "error", &e))
		msg = json_object_get_string(e);
	if (r->status == 200)
		fprintf(stderr, "covmon: %s: the answer is not the JSON object expected\n",
		    r->url);
	else if (msg)
		fprintf(stderr, "covmon: %s: HTTP %ld: %s\n", r->url, r->status, msg);
	else
		fprintf(stderr, "covmon: %s: HTTP %ld\n", r->url, r->status);
}

int
cli_get_ok(const struct cli *c, const char *path, struct reply *r)
{
	if (cli_get(c, path, r) == -1)
		return -1;
	if (r->status != 200 || r->json == NULL ||
	    !json_object_is_type(r->json, json_type_object)) {
		reply_complain(r);
		reply_free(r);
		return -1;
	}
	return 0;
}

void
reply_free(struct reply *r)
{
	json_object_put(r->json);
	free(r->body);
	r->json = NULL;
	r->body = NULL;
}
