/*
 * The webhook notifier: an HTTP POST of the alert's JSON with libcurl,
 * TLS peers verified (libcurl's default, kept), an optional bearer token,
 * no redirects followed; a 2xx answer is success.
 */
#include "notify.h"

#include <curl/curl.h>

#include <stdio.h>
#include <string.h>

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
	char errbuf[CURL_ERROR_SIZE] = "", auth[600];
	struct curl_slist *h = NULL;
	CURL *c = curl_easy_init();
	long status = 0;
	CURLcode rc;

	if (c == NULL) {
		snprintf(err, errlen, "cannot start libcurl");
		return -1;
	}
	h = curl_slist_append(h, "Content-Type: application/json");
	if (n->bearer_token[0]) {
		snprintf(auth, sizeof auth, "Authorization: Bearer %s", n->bearer_token);
		h = curl_slist_append(h, auth);
	}
	curl_easy_setopt(c, CURLOPT_URL, n->url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, m->json);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(m->json));
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
