/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The email notifier: SMTP through libcurl (smtp:// with STARTTLS required
 * when `tls = yes`, or smtps://), a short plain-text message that reads
 * well on a phone: the summary first, then the facts, one a line.
 */
#include "notify.h"
#include "conf.h"

#include <curl/curl.h>
#include <json-c/json.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAIL_MAX 16384

static void
b64(const unsigned char *in, size_t n, char *out, size_t outlen)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	for (size_t i = 0; i < n && o + 5 < outlen; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) |
		    (i + 2 < n ? in[i + 2] : 0);
		out[o++] = t[(v >> 18) & 63];
		out[o++] = t[(v >> 12) & 63];
		out[o++] = i + 1 < n ? t[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? t[v & 63] : '=';
	}
	out[o] = '\0';
}

/* Appends text wrapped at about 72 columns (bytes; names are short). */
static size_t
wrap(char *buf, size_t len, size_t off, const char *text)
{
	size_t col = 0;

	for (const char *p = text; *p && off + 4 < len; ) {
		size_t w = strcspn(p, " ");
		if (col > 0 && col + w > 72) {
			off += (size_t)snprintf(buf + off, len - off, "\r\n");
			col = 0;
		}
		off += (size_t)snprintf(buf + off, len - off, "%.*s", (int)w, p);
		col += w;
		p += w;
		while (*p == ' ') {
			if (col > 0 && off + 4 < len) {
				buf[off++] = ' ';
				buf[off] = '\0';
				col++;
			}
			p++;
		}
	}
	return off;
}

int
notify_email_text(const struct notifier_conf *n, const struct notify_msg *m, double now,
    char *buf, size_t len)
{
	char subj[200], enc[300], date[64], since[64] = "?";
	json_object *o = json_tokener_parse(m->json), *v;
	time_t t = (time_t)now;
	struct tm tm;
	size_t off, cut;

	/* The subject: the state and the summary's first line (a digest's is
	 * its title), cut at a character boundary. */
	snprintf(subj, sizeof subj, "[covmon] %s: %s", strcmp(m->state, "resolved") == 0 ?
	    "RESOLVED" : strcmp(m->state, "digest") == 0 ? "DIGEST" : "ALERT", m->summary);
	subj[strcspn(subj, "\r\n")] = '\0';
	cut = strlen(subj);
	if (cut > 120) {
		cut = 120;
		while (cut > 0 && ((unsigned char)subj[cut] & 0xC0) == 0x80)
			cut--;
		subj[cut] = '\0';
	}
	b64((const unsigned char *)subj, strlen(subj), enc, sizeof enc);
	localtime_r(&t, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S %z", &tm);
	if (o && json_object_object_get_ex(o, "since", &v)) {
		t = (time_t)json_object_get_int64(v);
		localtime_r(&t, &tm);
		strftime(since, sizeof since, "%Y-%m-%d %H:%M %Z", &tm);
	}
	off = (size_t)snprintf(buf, len,
	    "Date: %s\r\nFrom: %s\r\nTo: %s\r\nSubject: =?UTF-8?B?%s?=\r\n"
	    "Message-ID: <covmon-%lld-%lld@covmon>\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
	    date, n->from, n->to, enc, m->id, (long long)now);
	if (off >= len)
		goto fail;
	off = wrap(buf, len, off, m->summary);
	off += (size_t)snprintf(buf + off, off < len ? len - off : 0,
	    "\r\n\r\nState: %s\r\nKind: %s\r\nWhere: %s\r\nSince: %s\r\n", m->state, m->kind,
	    m->scope, since);
	if (o && json_object_object_get_ex(o, "hamlets", &v) && off < len) {
		size_t nh = json_object_array_length(v);
		off += (size_t)snprintf(buf + off, len - off, "Hamlets (%zu):\r\n", nh);
		for (size_t i = 0; i < nh && off < len; i++)
			off += (size_t)snprintf(buf + off, len - off, "  %s\r\n",
			    json_object_get_string(json_object_array_get_idx(v, i)));
	}
	if (o && json_object_object_get_ex(o, "id", &v) && off < len)
		off += (size_t)snprintf(buf + off, len - off, "\r\nAlert %s. To stop repeats: "
		    "covmon ack %s\r\n", json_object_get_string(v), json_object_get_string(v));
	json_object_put(o);
	return off < len ? 0 : -1;
fail:
	json_object_put(o);
	return -1;
}

struct reader {
	const char *p;
	size_t left;
};

static size_t
read_mail(char *dst, size_t size, size_t n, void *arg)
{
	struct reader *r = arg;
	size_t c = size * n < r->left ? size * n : r->left;

	memcpy(dst, r->p, c);
	r->p += c;
	r->left -= c;
	return c;
}

int
notify_email(const struct notifier_conf *n, const struct notify_msg *m, char *err,
    size_t errlen)
{
	char *text = malloc(MAIL_MAX), errbuf[CURL_ERROR_SIZE] = "";
	char items[32][256];
	struct curl_slist *rcpt = NULL;
	CURL *c = NULL;
	int rc = -1, nrcpt;

	if (text == NULL || notify_email_text(n, m, (double)time(NULL), text, MAIL_MAX) == -1) {
		snprintf(err, errlen, "the message does not fit");
		goto out;
	}
	nrcpt = conf_split_list(n->to, items, 32);
	for (int i = 0; i < nrcpt; i++)
		rcpt = curl_slist_append(rcpt, items[i]);
	if ((c = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "cannot start libcurl");
		goto out;
	}
	struct reader r = { text, strlen(text) };
	curl_easy_setopt(c, CURLOPT_URL, n->smtp_url);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, n->from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_mail);
	curl_easy_setopt(c, CURLOPT_READDATA, &r);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(n->timeout * 1000));
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	if (n->tls)
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (n->username[0]) {
		curl_easy_setopt(c, CURLOPT_USERNAME, n->username);
		curl_easy_setopt(c, CURLOPT_PASSWORD, n->password);
	}
	CURLcode cr = curl_easy_perform(c);
	if (cr != CURLE_OK)
		snprintf(err, errlen, "SMTP %s: %s", n->smtp_url, errbuf[0] ? errbuf :
		    curl_easy_strerror(cr));
	else
		rc = 0;
out:
	curl_easy_cleanup(c);
	curl_slist_free_all(rcpt);
	free(text);
	return rc;
}
