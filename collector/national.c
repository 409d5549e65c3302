/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The national view: the province collectors' retained summaries, decoded
 * and checked as any input from the network, kept one per province (the
 * last good one), and served as they came with their age. A summary is
 * the whole truth of its province at one evaluation, so nothing is added
 * up here but the national total, each province counted once.
 */
#include "national.h"

#include "api.h"
#include "log.h"

#include <json-c/json.h>

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Nesting of a summary: the province, its communes array, a commune, its
 * counts; a little room for fields a newer collector may add. json-c's
 * depth counts one more than the levels it allows. */
#define NAT_MAX_DEPTH	8
/* covered_pct is rendered with 2 decimals: this much off covered / total
 * is rounding, more is a summary that contradicts itself. */
#define PCT_SLACK	0.01

static const char *const reasons[NAT_E__COUNT] = {
	[NAT_OK] = "ok",
	[NAT_E_TOPIC] = "bad_topic",
	[NAT_E_TOO_BIG] = "oversize",
	[NAT_E_JSON] = "bad_json",
	[NAT_E_NOT_OBJECT] = "not_object",
	[NAT_E_TYPE] = "bad_type",
	[NAT_E_MISSING] = "missing_field",
	[NAT_E_ID] = "bad_id",
	[NAT_E_MISMATCH] = "province_mismatch",
	[NAT_E_VALUE] = "bad_value",
	[NAT_E_CLOCK] = "clock_skew",
	[NAT_E_FULL] = "too_many_provinces",
};

const char *
national_err_reason(enum national_err e)
{
	return (unsigned)e < NAT_E__COUNT ? reasons[e] : "unknown";
}

/* --- decoding --- */

static enum national_err bad(char *msg, size_t msglen, enum national_err e,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static enum national_err
bad(char *msg, size_t msglen, enum national_err e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
	return e;
}

static bool
is_number(json_object *v)
{
	return json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double);
}

/* A member that must be there (possibly null: *v is then NULL). */
static enum national_err
member(json_object *o, const char *key, const char *where, json_object **v, char *msg,
    size_t msglen)
{
	if (!json_object_object_get_ex(o, key, v))
		return bad(msg, msglen, NAT_E_MISSING, "%s: no \"%s\"", where, key);
	return NAT_OK;
}

/* A whole number of hamlets. */
static enum national_err
count_get(json_object *o, const char *key, const char *where, uint32_t *out, char *msg,
    size_t msglen)
{
	json_object *v;
	enum national_err e;

	if ((e = member(o, key, where, &v, msg, msglen)) != NAT_OK)
		return e;
	if (!json_object_is_type(v, json_type_int))
		return bad(msg, msglen, NAT_E_TYPE, "%s: \"%s\" is not a whole number", where, key);
	int64_t n = json_object_get_int64(v);
	if (n < 0 || n > INV_MAX_HAMLETS)
		return bad(msg, msglen, NAT_E_VALUE, "%s: \"%s\" = %lld is not in 0..%d", where,
		    key, (long long)n, INV_MAX_HAMLETS);
	*out = (uint32_t)n;
	return NAT_OK;
}

/* A percentage, or null (NAN). */
static enum national_err
pct_get(json_object *o, const char *key, const char *where, double *out, char *msg,
    size_t msglen)
{
	json_object *v;
	enum national_err e;

	if ((e = member(o, key, where, &v, msg, msglen)) != NAT_OK)
		return e;
	*out = NAN;
	if (v == NULL)
		return NAT_OK;
	if (!is_number(v))
		return bad(msg, msglen, NAT_E_TYPE, "%s: \"%s\" is not a number", where, key);
	double d = json_object_get_double(v);
	if (!isfinite(d) || d < 0 || d > 100)
		return bad(msg, msglen, NAT_E_VALUE, "%s: \"%s\" is not in 0..100", where, key);
	*out = d;
	return NAT_OK;
}

/* A string of at most max bytes without NUL, or null (*out NULL). */
static enum national_err
str_get(json_object *o, const char *key, const char *where, size_t max, const char **out,
    char *msg, size_t msglen)
{
	json_object *v;
	enum national_err e;

	if ((e = member(o, key, where, &v, msg, msglen)) != NAT_OK)
		return e;
	*out = NULL;
	if (v == NULL)
		return NAT_OK;
	if (!json_object_is_type(v, json_type_string))
		return bad(msg, msglen, NAT_E_TYPE, "%s: \"%s\" is not a string", where, key);
	const char *s = json_object_get_string(v);
	size_t n = (size_t)json_object_get_string_len(v);
	if (n > max || strlen(s) != n)
		return bad(msg, msglen, NAT_E_VALUE, "%s: \"%s\" is longer than %zu bytes or "
		    "holds a NUL", where, key, max);
	*out = s;
	return NAT_OK;
}

/* An id, checked against section 2 (and against `want` when not NULL). */
static enum national_err
id_get(json_object *o, const char *key, const char *where, const char *want, const char **out,
    char *msg, size_t msglen)
{
	enum national_err e;

	if ((e = str_get(o, key, where, ID_MAX, out, msg, msglen)) != NAT_OK)
		return e;
	if (*out == NULL)
		return bad(msg, msglen, NAT_E_TYPE, "%s: \"%s\" is null", where, key);
	if (!id_valid(*out))
		return bad(msg, msglen, NAT_E_ID, "%s: \"%s\" is not a valid id", where, key);
	if (want != NULL && strcmp(*out, want) != 0)
		return bad(msg, msglen, NAT_E_MISMATCH, "%s: \"%s\" is '%s', the topic's province "
		    "is '%s'", where, key, *out, want);
	return NAT_OK;
}

/* The figures a province and a commune share (DESIGN.md section 8). */
static enum national_err
scope_decode(json_object *o, const char *where, struct rollup *ru, char *msg, size_t msglen)
{
	json_object *counts, *v;
	const char *s;
	enum national_err e;
	uint64_t sum = 0;

	memset(ru, 0, sizeof *ru);
	if ((e = member(o, "counts", where, &counts, msg, msglen)) != NAT_OK)
		return e;
	if (!json_object_is_type(counts, json_type_object))
		return bad(msg, msglen, NAT_E_TYPE, "%s: \"counts\" is not an object", where);
	for (int i = 0; i < HS__COUNT; i++) {
		if ((e = count_get(counts, hamlet_state_name[i], where, &ru->counts[i], msg,
		    msglen)) != NAT_OK)
			return e;
		sum += ru->counts[i];
	}
	if ((e = count_get(counts, "total", where, &ru->total, msg, msglen)) != NAT_OK)
		return e;
	/* Every hamlet is in exactly one state. */
	if (sum != ru->total)
		return bad(msg, msglen, NAT_E_VALUE, "%s: the states add up to %llu, the total "
		    "is %u", where, (unsigned long long)sum, ru->total);
	/* Not in the contract's list: a summary without it has none overdue. */
	if (json_object_object_get_ex(o, "overdue", &v) &&
	    (e = count_get(o, "overdue", where, &ru->overdue, msg, msglen)) != NAT_OK)
		return e;
	if (ru->overdue > ru->total)
		return bad(msg, msglen, NAT_E_VALUE, "%s: %u overdue of %u hamlets", where,
		    ru->overdue, ru->total);
	if ((e = pct_get(o, "covered_pct", where, &ru->covered_pct, msg, msglen)) != NAT_OK)
		return e;
	if (ru->total == 0)
		ru->covered_pct = NAN;
	else if (isnan(ru->covered_pct) ||
	    fabs(ru->covered_pct - 100.0 * ru->counts[HS_COVERED] / ru->total) > PCT_SLACK)
		return bad(msg, msglen, NAT_E_VALUE, "%s: covered_pct is not covered / total "
		    "(%u / %u)", where, ru->counts[HS_COVERED], ru->total);
	if ((e = pct_get(o, "target_pct", where, &ru->target_pct, msg, msglen)) != NAT_OK)
		return e;
	if ((e = str_get(o, "deadline", where, 10, &s, msg, msglen)) != NAT_OK)
		return e;
	ru->deadline = INV_NO_DATE;
	if (s != NULL && inventory_date_parse(s, &ru->deadline) == -1)
		return bad(msg, msglen, NAT_E_VALUE, "%s: \"deadline\" is not a YYYY-MM-DD date",
		    where);
	if ((e = str_get(o, "colour", where, 8, &s, msg, msglen)) != NAT_OK)
		return e;
	ru->colour = COLOUR_NONE;
	for (int c = COLOUR_GREEN; s != NULL && c <= COLOUR_RED; c++)
		if (strcmp(s, colour_name((enum colour)c)) == 0)
			ru->colour = (int8_t)c;
	if (s != NULL && ru->colour == COLOUR_NONE)
		return bad(msg, msglen, NAT_E_VALUE, "%s: \"colour\" is not green, yellow or red",
		    where);
	return NAT_OK;
}

/* json-c takes NaN and Infinity even when strict; they are not JSON, and a
 * field passed through would make the view's answers invalid JSON. The
 * depth is bounded by the tokener's. */
static bool
all_finite(json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_double:
		return isfinite(json_object_get_double(o));
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(o); i++)
			if (!all_finite(json_object_array_get_idx(o, i)))
				return false;
		return true;
	case json_type_object: {
		/* The iterator API: json_object_object_foreach is a GNU
		 * statement expression, refused by -Wpedantic under clang. */
		struct json_object_iterator it = json_object_iter_begin(o);
		struct json_object_iterator end = json_object_iter_end(o);
		for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it))
			if (!all_finite(json_object_iter_peek_value(&it)))
				return false;
		return true;
	}
	default:
		return true;
	}
}

static int
strptr_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The communes: each valid and of this province, none twice, and adding
 * up to the province's figures. */
static enum national_err
communes_decode(json_object *o, const char *province, const struct rollup *pru,
    size_t *ncommunes, char *msg, size_t msglen)
{
	json_object *a;
	enum national_err e;
	uint64_t sum[HS__COUNT] = { 0 };
	const char **ids = NULL;
	size_t n;

	if ((e = member(o, "communes", province, &a, msg, msglen)) != NAT_OK)
		return e;
	if (!json_object_is_type(a, json_type_array))
		return bad(msg, msglen, NAT_E_TYPE, "%s: \"communes\" is not an array", province);
	n = json_object_array_length(a);
	if (n > NATIONAL_MAX_COMMUNES)
		return bad(msg, msglen, NAT_E_TOO_BIG, "%s: %zu communes, more than %d", province,
		    n, NATIONAL_MAX_COMMUNES);
	if (n > 0 && (ids = malloc(n * sizeof *ids)) == NULL)
		return bad(msg, msglen, NAT_E_TOO_BIG, "%s: out of memory for %zu communes",
		    province, n);
	for (size_t i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(a, i), *v;
		struct rollup ru;
		const char *id, *s;
		char where[ID_MAX + 48];

		snprintf(where, sizeof where, "%s: communes[%zu]", province, i);
		if (!json_object_is_type(c, json_type_object)) {
			e = bad(msg, msglen, NAT_E_TYPE, "%s is not an object", where);
			goto out;
		}
		if ((e = id_get(c, "id", where, NULL, &id, msg, msglen)) != NAT_OK)
			goto out;
		snprintf(where, sizeof where, "%s: commune %s", province, id);
		if (json_object_object_get_ex(c, "province", &v) &&
		    (e = id_get(c, "province", where, province, &s, msg, msglen)) != NAT_OK)
			goto out;
		if ((e = str_get(c, "name", where, INV_NAME_MAX, &s, msg, msglen)) != NAT_OK ||
		    (e = scope_decode(c, where, &ru, msg, msglen)) != NAT_OK)
			goto out;
		for (int k = 0; k < HS__COUNT; k++)
			sum[k] += ru.counts[k];
		ids[i] = id;
	}
	if (n > 1) {
		qsort(ids, n, sizeof *ids, strptr_cmp);
		for (size_t i = 1; i < n; i++)
			if (strcmp(ids[i - 1], ids[i]) == 0) {
				e = bad(msg, msglen, NAT_E_VALUE, "%s: commune %s listed twice",
				    province, ids[i]);
				goto out;
			}
	}
	/* Every hamlet of the province is in one of its communes. */
	for (int k = 0; k < HS__COUNT; k++)
		if (sum[k] != pru->counts[k]) {
			e = bad(msg, msglen, NAT_E_VALUE, "%s: the communes have %llu %s hamlets, "
			    "the province %u", province, (unsigned long long)sum[k],
			    hamlet_state_name[k], pru->counts[k]);
			goto out;
		}
	*ncommunes = n;
	e = NAT_OK;
out:
	free(ids);
	return e;
}

enum national_err
national_decode(const char *province, const void *buf, size_t len, double now,
    double max_skew, struct national_summary *out, char *msg, size_t msglen)
{
	struct json_tokener *tok;
	json_object *o = NULL, *v;
	const char *s;
	enum national_err e;

	memset(out, 0, sizeof *out);
	msg[0] = '\0';
	if (len > NATIONAL_SUMMARY_MAX)
		return bad(msg, msglen, NAT_E_TOO_BIG, "%zu bytes, more than %d", len,
		    NATIONAL_SUMMARY_MAX);
	if (len == 0)
		return bad(msg, msglen, NAT_E_JSON, "empty");
	if ((tok = json_tokener_new_ex(NAT_MAX_DEPTH)) == NULL)
		return bad(msg, msglen, NAT_E_TOO_BIG, "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, buf, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (o == NULL || jerr != json_tokener_success || end != len) {
		e = bad(msg, msglen, NAT_E_JSON, "not one JSON value (at byte %zu: %s)", end,
		    o != NULL ? "trailing data" : jerr == json_tokener_continue ?
		    "incomplete" : json_tokener_error_desc(jerr));
		goto fail;
	}
	if (!json_object_is_type(o, json_type_object)) {
		e = bad(msg, msglen, NAT_E_NOT_OBJECT, "not a JSON object");
		goto fail;
	}
	if (!all_finite(o)) {
		e = bad(msg, msglen, NAT_E_JSON, "NaN or Infinity is not JSON");
		goto fail;
	}
	if ((e = id_get(o, "id", province, province, &s, msg, msglen)) != NAT_OK)
		goto fail;
	memcpy(out->id, s, strlen(s) + 1);
	if ((e = str_get(o, "name", province, INV_NAME_MAX, &s, msg, msglen)) != NAT_OK)
		goto fail;
	snprintf(out->name, sizeof out->name, "%s", s != NULL ? s : out->id);
	if ((e = scope_decode(o, province, &out->ru, msg, msglen)) != NAT_OK ||
	    (e = communes_decode(o, province, &out->ru, &out->ncommunes, msg, msglen)) != NAT_OK)
		goto fail;
	/* Added to the contract's P so that the view can tell how old a
	 * retained summary is; an older collector does not send it. */
	if (json_object_object_get_ex(o, "evaluated_at", &v) && v != NULL) {
		if (!is_number(v)) {
			e = bad(msg, msglen, NAT_E_TYPE, "%s: \"evaluated_at\" is not a number",
			    province);
			goto fail;
		}
		out->evaluated_at = json_object_get_double(v);
		if (!isfinite(out->evaluated_at) || out->evaluated_at < 0) {
			e = bad(msg, msglen, NAT_E_VALUE, "%s: \"evaluated_at\" is not a time",
			    province);
			goto fail;
		}
		if (out->evaluated_at > now + max_skew) {
			e = bad(msg, msglen, NAT_E_CLOCK, "%s: evaluated %.0f s in the future "
			    "(max_clock_skew %g s)", province, out->evaluated_at - now, max_skew);
			goto fail;
		}
	}
	out->received_at = now;
	/* The view adds these when it serves the summary. */
	json_object_object_del(o, "received_at");
	json_object_object_del(o, "age_s");
	json_object_object_del(o, "stale");
	size_t n = 0;
	const char *txt = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &n);
	if (txt == NULL || n < 2 || txt[n - 1] != '}' || (out->json = malloc(n + 1)) == NULL) {
		e = bad(msg, msglen, NAT_E_TOO_BIG, "out of memory");
		goto fail;
	}
	memcpy(out->json, txt, n + 1);
	out->len = n;
	json_object_put(o);
	return NAT_OK;
fail:
	json_object_put(o);
	national_summary_clear(out);
	return e;
}

void
national_summary_clear(struct national_summary *s)
{
	free(s->json);
	memset(s, 0, sizeof *s);
}

double
national_age(const struct national_summary *s, double now)
{
	double at = s->evaluated_at > 0 ? s->evaluated_at : s->received_at;

	return now > at ? now - at : 0;
}

void
national_total(const struct national_summary *p, size_t n, struct rollup *all)
{
	memset(all, 0, sizeof *all);
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < HS__COUNT; k++)
			all->counts[k] += p[i].ru.counts[k];
		all->total += p[i].ru.total;
		all->overdue += p[i].ru.overdue;
	}
	all->covered_pct = all->total ? 100.0 * all->counts[HS_COVERED] / all->total : NAN;
	all->target_pct = NAN;
	all->deadline = INV_NO_DATE;
	all->colour = COLOUR_NONE;
}

/* --- the table --- */

struct national {
	pthread_mutex_t lock;			/* protects everything below */
	struct national_summary *p;		/* sorted by id */
	size_t n, cap;
	double stale_after, max_skew;
	struct log_limit lim;
	unsigned long received, accepted, cleared;
	unsigned long rejected[NAT_E__COUNT];
};

struct national *
national_new(double stale_after, double max_skew)
{
	struct national *n = calloc(1, sizeof *n);

	if (n == NULL)
		return NULL;
	pthread_mutex_init(&n->lock, NULL);
	n->stale_after = stale_after;
	n->max_skew = max_skew;
	n->lim = (struct log_limit)LOG_LIMIT_INIT(10, 60);
	return n;
}

void
national_free(struct national *n)
{
	if (n == NULL)
		return;
	for (size_t i = 0; i < n->n; i++)
		national_summary_clear(&n->p[i]);
	free(n->p);
	pthread_mutex_destroy(&n->lock);
	free(n);
}

double
national_stale_after(const struct national *n)
{
	return n->stale_after;
}

/* Where id is, or where it would go; *found says which. Lock held. */
static size_t
find(const struct national *n, const char *id, bool *found)
{
	size_t lo = 0, hi = n->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(n->p[mid].id, id);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

/* <prefix>/<province>/summary, the province checked against section 2. */
static int
summary_topic(const char *topic, const char *prefix, char *province)
{
	size_t plen = strlen(prefix);
	const char *p, *slash;

	if (strncmp(topic, prefix, plen) != 0 || topic[plen] != '/')
		return -1;
	p = topic + plen + 1;
	if ((slash = strchr(p, '/')) == NULL || strcmp(slash + 1, "summary") != 0 ||
	    !id_validn(p, (size_t)(slash - p)))
		return -1;
	memcpy(province, p, (size_t)(slash - p));
	province[slash - p] = '\0';
	return 0;
}

/* Counts a rejection and says so, at a rate limit. Lock held. */
static void
reject(struct national *n, const char *topic, enum national_err e, const char *msg)
{
	n->rejected[e]++;
	log_limited(&n->lim, "summary on %.120s refused (%s): %s; the last good one is kept",
	    topic, national_err_reason(e), msg);
}

void
national_message(struct national *n, const char *topic, const char *prefix,
    const void *payload, size_t len, double now)
{
	char province[ID_MAX + 1], msg[512];
	struct national_summary s;
	enum national_err e = NAT_OK;
	bool found;

	if (summary_topic(topic, prefix, province) == -1) {
		pthread_mutex_lock(&n->lock);
		n->received++;
		reject(n, topic, NAT_E_TOPIC, "not <prefix>/<province id>/summary");
		pthread_mutex_unlock(&n->lock);
		return;
	}
	/* A retained summary being cleared: that province is gone. */
	if (len == 0) {
		pthread_mutex_lock(&n->lock);
		n->received++;
		size_t i = find(n, province, &found);
		if (found) {
			national_summary_clear(&n->p[i]);
			memmove(&n->p[i], &n->p[i + 1], (n->n - i - 1) * sizeof *n->p);
			n->n--;
			n->cleared++;
			log_info("national: %s: summary cleared, the province is no longer shown",
			    province);
		}
		pthread_mutex_unlock(&n->lock);
		return;
	}
	/* Decoded outside the lock: the HTTP threads read on. */
	e = national_decode(province, payload, len, now, n->max_skew, &s, msg, sizeof msg);
	pthread_mutex_lock(&n->lock);
	n->received++;
	if (e != NAT_OK) {
		reject(n, topic, e, msg);
		goto done;
	}
	size_t i = find(n, province, &found);
	if (found) {
		national_summary_clear(&n->p[i]);
		n->p[i] = s;
	} else if (n->n == NATIONAL_MAX_PROVINCES) {
		snprintf(msg, sizeof msg, "%d provinces held already", NATIONAL_MAX_PROVINCES);
		reject(n, topic, NAT_E_FULL, msg);
		national_summary_clear(&s);
		goto done;
	} else {
		if (n->n == n->cap) {
			size_t ncap = n->cap ? n->cap * 2 : 16;
			struct national_summary *np = realloc(n->p, ncap * sizeof *np);
			if (np == NULL) {
				reject(n, topic, NAT_E_TOO_BIG, "out of memory");
				national_summary_clear(&s);
				goto done;
			}
			n->p = np;
			n->cap = ncap;
		}
		memmove(&n->p[i + 1], &n->p[i], (n->n - i) * sizeof *n->p);
		n->p[i] = s;
		n->n++;
		log_info("national: %s: first summary, %u hamlets in %zu communes", province,
		    s.ru.total, s.ncommunes);
	}
	n->accepted++;
done:
	pthread_mutex_unlock(&n->lock);
}

int
national_list(struct national *n, bool with_json, struct national_summary **out,
    size_t *count)
{
	int rc = 0;

	*out = NULL;
	*count = 0;
	pthread_mutex_lock(&n->lock);
	if (n->n == 0)
		goto done;
	if ((*out = calloc(n->n, sizeof **out)) == NULL) {
		rc = -1;
		goto done;
	}
	for (size_t i = 0; i < n->n; i++) {
		(*out)[i] = n->p[i];
		(*out)[i].json = NULL;
		if (!with_json)
			continue;
		if (((*out)[i].json = malloc(n->p[i].len + 1)) == NULL) {
			national_list_free(*out, i);
			*out = NULL;
			rc = -1;
			goto done;
		}
		memcpy((*out)[i].json, n->p[i].json, n->p[i].len + 1);
	}
	*count = n->n;
done:
	pthread_mutex_unlock(&n->lock);
	return rc;
}

void
national_list_free(struct national_summary *list, size_t count)
{
	for (size_t i = 0; list != NULL && i < count; i++)
		free(list[i].json);
	free(list);
}

/* One province as served: its summary with the view's fields added
 * before the closing brace (decode made sure there is one, and removed
 * any of these names the summary had). Lock held. */
static void
write_one(FILE *f, const struct national *n, const struct national_summary *s, double now)
{
	double age = national_age(s, now);

	fwrite(s->json, 1, s->len - 1, f);
	fprintf(f, ",\"received_at\":%lld,\"age_s\":%lld,\"stale\":%s}",
	    (long long)floor(s->received_at), (long long)floor(age),
	    age > n->stale_after ? "true" : "false");
}

int
national_api(struct national *n, const char *url, double now, char **body, size_t *len,
    unsigned *status)
{
	static const char list[] = "/api/v1/provinces";
	const char *id = NULL;
	bool found = false;
	size_t i = 0;
	FILE *f;

	*body = NULL;
	*len = 0;
	if (strncmp(url, list, sizeof list - 1) == 0 && url[sizeof list - 1] == '/') {
		id = url + sizeof list;
		if (!id_valid(id))
			return api_error(400, "bad province id: an id is 1-64 characters of a-z, "
			    "0-9, '.', '_' and '-', starting with a letter or digit", body, len,
			    status);
	} else if (strcmp(url, list) != 0)
		return api_error(404, "not found: a national view ([collector] national = yes) "
		    "serves /api/v1/provinces, /api/v1/provinces/<id> and /api/v1/health", body,
		    len, status);

	pthread_mutex_lock(&n->lock);
	if (id != NULL && (i = find(n, id, &found), !found)) {
		pthread_mutex_unlock(&n->lock);
		return api_error(404, "no summary of this province (not published, or cleared)",
		    body, len, status);
	}
	if ((f = open_memstream(body, len)) == NULL) {
		pthread_mutex_unlock(&n->lock);
		return -1;
	}
	if (id != NULL)
		write_one(f, n, &n->p[i], now);
	else {
		fprintf(f, "{\"national\":true,\"stale_after\":%.0f,\"provinces\":[",
		    n->stale_after);
		for (i = 0; i < n->n; i++) {
			if (i > 0)
				fputc(',', f);
			write_one(f, n, &n->p[i], now);
		}
		fputs("]}", f);
	}
	pthread_mutex_unlock(&n->lock);
	bool failed = ferror(f) != 0;
	if (fclose(f) != 0 || failed) {
		free(*body);
		*body = NULL;
		*len = 0;
		return -1;
	}
	*status = 200;
	return 0;
}

void
national_metrics(struct national *n, double now, FILE *out)
{
	size_t stale = 0;

	pthread_mutex_lock(&n->lock);
	for (size_t i = 0; i < n->n; i++)
		stale += national_age(&n->p[i], now) > n->stale_after;
	fprintf(out, "# HELP covmon_national_summaries_received_total Messages on province "
	    "summary topics.\n# TYPE covmon_national_summaries_received_total counter\n"
	    "covmon_national_summaries_received_total %lu\n", n->received);
	fprintf(out, "# HELP covmon_national_summaries_accepted_total Province summaries accepted.\n"
	    "# TYPE covmon_national_summaries_accepted_total counter\n"
	    "covmon_national_summaries_accepted_total %lu\n", n->accepted);
	fprintf(out, "# HELP covmon_national_summaries_cleared_total Province summaries cleared (an empty retained message).\n"
	    "# TYPE covmon_national_summaries_cleared_total counter\n"
	    "covmon_national_summaries_cleared_total %lu\n", n->cleared);
	fprintf(out, "# HELP covmon_national_summaries_rejected_total Summaries refused, by "
	    "reason (the province's last good one is kept).\n"
	    "# TYPE covmon_national_summaries_rejected_total counter\n");
	for (int e = 1; e < NAT_E__COUNT; e++)
		fprintf(out, "covmon_national_summaries_rejected_total{reason=\"%s\"} %lu\n",
		    reasons[e], n->rejected[e]);
	fprintf(out, "# HELP covmon_national_provinces Provinces with a summary.\n"
	    "# TYPE covmon_national_provinces gauge\ncovmon_national_provinces %zu\n",
	    n->n);
	fprintf(out, "# HELP covmon_national_provinces_stale Provinces whose summary is older "
	    "than stale_after.\n# TYPE covmon_national_provinces_stale gauge\n"
	    "covmon_national_provinces_stale %zu\n", stale);
	pthread_mutex_unlock(&n->lock);
}
