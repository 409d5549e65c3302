/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The rollout digest: [digest] read and checked, one province's day read
 * from the alerts table and the current evaluation, its text in English or
 * Vietnamese, and once a day at `at` one notification per province through
 * the notification queue (retried like any alert's).
 */
#include "digest.h"
#include "alert_db.h"
#include "collector.h"
#include "conf.h"
#include "log.h"
#include "snapshot.h"
#include "state_db.h"

#include <json-c/json.h>
#include <sqlite3.h>

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define DIGEST_META_KEY	"digest_day"
/* Room kept for the lines after a list (the link, the next heading). */
#define DIGEST_RESERVE	700

/* --- [digest] --- */

/* "HH:MM" (or "H:MM") into minutes after midnight; -1 when it is not one. */
static int
parse_at(const char *s)
{
	int h = 0, m = 0, nh = 0;

	for (; *s >= '0' && *s <= '9' && nh < 2; s++, nh++)
		h = h * 10 + (*s - '0');
	if (nh == 0 || *s++ != ':')
		return -1;
	if (!(s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9') || s[2] != '\0')
		return -1;
	m = (s[0] - '0') * 10 + (s[1] - '0');
	if (h > 23 || m > 59)
		return -1;
	return h * 60 + m;
}

int
digest_conf_parse(struct conf *c, const struct alert_conf *ac, struct digest_conf *d,
    const char *path, char *err, size_t errlen)
{
	char items[ALERT_MAX_NOTIFIERS + 1][256];
	const char *v;
	int n;

	memset(d, 0, sizeof *d);
	v = conf_str(c, "digest", "at", "08:00");
	if ((d->at = parse_at(v)) < 0) {
		snprintf(err, errlen, "%s:%u: [digest] at = '%s': expected a local time HH:MM "
		    "(00:00 to 23:59)", path, conf_get(c, "digest", "at")->line, v);
		return -1;
	}
	v = conf_str(c, "digest", "lang", "en");
	if (strcmp(v, "en") != 0 && strcmp(v, "vi") != 0) {
		snprintf(err, errlen, "%s:%u: [digest] lang = '%s': expected en or vi", path,
		    conf_get(c, "digest", "lang")->line, v);
		return -1;
	}
	d->vi = strcmp(v, "vi") == 0;
	v = conf_str(c, "digest", "notify", "");
	if (v[0] == '\0')
		return 0;
	unsigned line = conf_get(c, "digest", "notify")->line;
	if ((n = conf_split_list(v, items, ALERT_MAX_NOTIFIERS)) < 0) {
		snprintf(err, errlen, "%s:%u: [digest] notify: expected at most %d notifier names",
		    path, line, ALERT_MAX_NOTIFIERS);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		int k;
		for (k = 0; k < ac->nnotifiers && strcmp(ac->notifiers[k].name, items[i]) != 0; k++)
			;
		if (k == ac->nnotifiers) {
			snprintf(err, errlen, "%s:%u: [digest] notify: no [notifier.%s]", path, line,
			    items[i]);
			return -1;
		}
		for (k = 0; k < d->nnotify && strcmp(d->notify[k], items[i]) != 0; k++)
			;
		if (k < d->nnotify)
			continue;
		/* A notifier's name: it fits. */
		memcpy(d->notify[d->nnotify++], items[i], strlen(items[i]) + 1);
	}
	return 0;
}

void
digest_conf_print(const struct digest_conf *d, FILE *out)
{
	fprintf(out, "\n[digest]\nat = %02d:%02d\nnotify =", d->at / 60, d->at % 60);
	for (int i = 0; i < d->nnotify; i++)
		fprintf(out, "%s %s", i ? "," : "", d->notify[i]);
	fprintf(out, "%s\nlang = %s\n", d->nnotify ? "" : "   ; none: no digest is sent",
	    d->vi ? "vi" : "en");
}

/* --- the day's events, from the alerts table --- */

int
digest_events(struct state_db *db, double from, double to, struct digest_event **out,
    size_t *n)
{
	/* Kinds by name: the table keeps alert_kind_name[]. */
	static const char sql[] = "SELECT kind, scope, province, fired_at, resolved_at"
	    " FROM alerts WHERE kind IN (?3, ?4) AND ((fired_at > ?1 AND fired_at <= ?2)"
	    " OR (resolved_at > ?1 AND resolved_at <= ?2)) ORDER BY id";
	sqlite3_stmt *st = NULL;
	struct digest_event *v = NULL;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(state_db_sqlite(db), sql, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_double(st, 1, from) != SQLITE_OK ||
	    sqlite3_bind_double(st, 2, to) != SQLITE_OK ||
	    sqlite3_bind_text(st, 3, alert_kind_name[AK_HAMLET_OVERDUE], -1,
	    SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 4, alert_kind_name[AK_COMMUNE_RED], -1, SQLITE_STATIC) !=
	    SQLITE_OK)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(st, 0);
		const char *scope = (const char *)sqlite3_column_text(st, 1);
		const char *prov = (const char *)sqlite3_column_text(st, 2);
		int k = kind ? alert_kind_lookup(kind) : -1;
		if (k < 0 || scope == NULL || prov == NULL || strlen(scope) >= ALERT_SCOPE_MAX ||
		    strlen(prov) > ID_MAX)
			continue;
		if (*n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct digest_event *nv = realloc(v, ncap * sizeof *nv);
			if (nv == NULL)
				goto fail;
			v = nv;
			cap = ncap;
		}
		struct digest_event *e = &v[(*n)++];
		e->kind = (enum alert_kind)k;
		memcpy(e->scope, scope, strlen(scope) + 1);
		memcpy(e->province, prov, strlen(prov) + 1);
		e->fired_at = sqlite3_column_double(st, 3);
		e->resolved_at = sqlite3_column_double(st, 4);
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	*out = v;
	return 0;
fail:
	sqlite3_finalize(st);
	free(v);
	*n = 0;
	return -1;
}

/* --- one province's day --- */

static int
cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* Adds i to a set kept as an array (small: one day's changes). */
static int
add_index(size_t **v, size_t *n, size_t i)
{
	for (size_t k = 0; k < *n; k++)
		if ((*v)[k] == i)
			return 0;
	size_t *nv = realloc(*v, (*n + 1) * sizeof *nv);
	if (nv == NULL)
		return -1;
	nv[(*n)++] = i;
	*v = nv;
	return 0;
}

static bool
has_index(const size_t *v, size_t n, size_t i)
{
	for (size_t k = 0; k < n; k++)
		if (v[k] == i)
			return true;
	return false;
}

static void
commune_item(struct digest_item *it, const struct inventory *inv, const struct coverage *cov,
    size_t i)
{
	const struct rollup *r = &cov->communes[i];

	memset(it, 0, sizeof *it);
	it->id = inv->communes[i].id;
	it->name = inv->communes[i].name;
	it->date = INV_NO_DATE;
	it->covered_pct = r->covered_pct;
	it->target_pct = r->target_pct;
	it->colour = r->colour;
}

int
digest_make(struct digest *d, const struct inventory *inv, const struct coverage *cov,
    size_t p, const struct digest_event *ev, size_t nev, double now)
{
	const struct inv_province *pv = &inv->provinces[p];
	const struct rollup *pr = &cov->provinces[p];
	size_t *ov = NULL, *red = NULL, *back = NULL, nov = 0, nred = 0, nback = 0;

	memset(d, 0, sizeof *d);
	d->province = pv->id;
	d->name = pv->name;
	d->covered_pct = pr->covered_pct;
	d->target_pct = pr->target_pct;
	d->deadline = pr->deadline;
	d->colour = pr->colour;
	d->overdue_total = pr->overdue;
	d->at = now;
	for (size_t i = 0; i < nev; i++) {
		const struct digest_event *e = &ev[i];
		bool fired = e->fired_at > now - DIGEST_WINDOW && e->fired_at <= now;
		bool open = e->resolved_at <= 0 || e->resolved_at > now;
		bool resolved = !open && e->resolved_at > now - DIGEST_WINDOW;
		if (strcmp(e->province, pv->id) != 0)
			continue;
		if (e->kind == AK_HAMLET_OVERDUE && strncmp(e->scope, "hamlet:", 7) == 0) {
			const struct inv_hamlet *h = inventory_hamlet(inv, e->scope + 7);
			if (h == NULL || (size_t)h->province != p || !fired || !open)
				continue;
			/* Covered since (the alert resolves at the next evaluation). */
			if (!cov->hamlets[h - inv->hamlets].overdue)
				continue;
			if (add_index(&ov, &nov, (size_t)(h - inv->hamlets)) == -1)
				goto fail;
		} else if (e->kind == AK_COMMUNE_RED && strncmp(e->scope, "commune:", 8) == 0) {
			const struct inv_commune *c = inventory_commune(inv, e->scope + 8);
			if (c == NULL || (size_t)c->province != p)
				continue;
			size_t ci = (size_t)(c - inv->communes);
			if (fired && open && cov->communes[ci].colour == COLOUR_RED) {
				if (add_index(&red, &nred, ci) == -1)
					goto fail;
			} else if (resolved && cov->communes[ci].colour != COLOUR_RED) {
				if (add_index(&back, &nback, ci) == -1)
					goto fail;
			}
		}
	}
	/* Inventory order: the lists read like the dashboard's. */
	if (nov > 0)
		qsort(ov, nov, sizeof *ov, cmp_size);
	if (nred > 0)
		qsort(red, nred, sizeof *red, cmp_size);
	if (nback > 0)
		qsort(back, nback, sizeof *back, cmp_size);
	if ((nov && (d->overdue = calloc(nov, sizeof *d->overdue)) == NULL) ||
	    (nred && (d->red = calloc(nred, sizeof *d->red)) == NULL) ||
	    (nback && (d->back = calloc(nback, sizeof *d->back)) == NULL))
		goto fail;
	for (size_t k = 0; k < nov; k++) {
		const struct inv_hamlet *h = &inv->hamlets[ov[k]];
		struct digest_item *it = &d->overdue[d->noverdue++];
		it->id = h->id;
		it->name = h->name;
		it->commune = inv->communes[h->commune].name;
		it->date = h->target_date;
		it->covered_pct = it->target_pct = NAN;
		it->colour = COLOUR_NONE;
	}
	for (size_t k = 0; k < nred; k++)
		commune_item(&d->red[d->nred++], inv, cov, red[k]);
	for (size_t k = 0; k < nback; k++)
		if (!has_index(red, nred, back[k]))
			commune_item(&d->back[d->nback++], inv, cov, back[k]);
	free(ov);
	free(red);
	free(back);
	return 0;
fail:
	free(ov);
	free(red);
	free(back);
	digest_clear(d);
	return -1;
}

void
digest_clear(struct digest *d)
{
	free(d->overdue);
	free(d->red);
	free(d->back);
	d->overdue = d->red = d->back = NULL;
	d->noverdue = d->nred = d->nback = 0;
}

/* --- the text --- */

/* A bounded text: a piece that does not fit whole is left out (never cut
 * inside a character), and the text says so. */
struct sb {
	char *buf;
	size_t len, cap;
	bool cut;
};

static void sbf(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
sbf(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->cut)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len) {
		b->buf[b->len] = '\0';
		b->cut = true;
		return;
	}
	b->len += (size_t)n;
}

static size_t
sb_room(const struct sb *b)
{
	return b->cap - b->len;
}

/* A number with one decimal, "91.2" or "91,2". */
static void
fmt_pct(char *buf, size_t len, double v, bool vi)
{
	snprintf(buf, len, "%.1f", v);
	if (vi)
		alert_vi_decimal(buf);
}

/* A target as given ("97", "97.5" / "97,5"). */
static void
fmt_target(char *buf, size_t len, double v, bool vi)
{
	snprintf(buf, len, "%g", v);
	if (vi)
		alert_vi_decimal(buf);
}

/* A count with thousands grouped: "1,234" or "1.234". */
static void
fmt_count(char *buf, size_t len, uint64_t n, bool vi)
{
	char digits[32];
	size_t nd, o = 0;

	snprintf(digits, sizeof digits, "%llu", (unsigned long long)n);
	nd = strlen(digits);
	for (size_t i = 0; i < nd && o + 2 < len; i++) {
		if (i > 0 && (nd - i) % 3 == 0)
			buf[o++] = vi ? '.' : ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
}

/* An inventory date: "2026-12-31", or "31/12/2026" in Vietnamese. */
static void
fmt_date(char *buf, size_t len, int32_t days, bool vi)
{
	inventory_date_str_lang(days, vi, buf, len);
	if (buf[0] == '\0')
		snprintf(buf, len, "-");
}

/* The local day of a time, in the same two forms. */
static void
fmt_day(char *buf, size_t len, double at, bool vi)
{
	time_t t = (time_t)at;
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL) {
		snprintf(buf, len, "-");
		return;
	}
	strftime(buf, len, vi ? "%d/%m/%Y" : "%Y-%m-%d", &tm);
}

static const char *
colour_word(int colour, bool vi)
{
	static const char *const en[] = { "green", "yellow", "red" };
	static const char *const vn[] = { "xanh", "vàng", "đỏ" };

	if (colour < COLOUR_GREEN || colour > COLOUR_RED)
		return vi ? "chưa có mục tiêu" : "no target";
	return vi ? vn[colour] : en[colour];
}

/* Whether the province is on track, in words for managers. */
static const char *
track_words(int colour, bool vi)
{
	static const char *const en[] = {
		"target reached", "close to target", "behind target",
	};
	static const char *const vn[] = {
		"đã đạt mục tiêu", "gần đạt mục tiêu", "chậm so với mục tiêu",
	};

	if (colour < COLOUR_GREEN || colour > COLOUR_RED)
		return "";
	return vi ? vn[colour] : en[colour];
}

/* "Bát Xát: 40.0 % covered, target 90 %" (a commune's line). */
static void
commune_line(struct sb *b, const struct digest_item *it, bool vi, bool now_colour)
{
	char pct[32], tgt[32];

	fmt_pct(pct, sizeof pct, it->covered_pct, vi);
	fmt_target(tgt, sizeof tgt, it->target_pct, vi);
	if (vi)
		sbf(b, "- %s: %s%s%sphủ sóng %s %%, mục tiêu %s %%\n", it->name,
		    now_colour ? "nay " : "", now_colour ? colour_word(it->colour, true) : "",
		    now_colour ? ", " : "", isnan(it->covered_pct) ? "-" : pct,
		    isnan(it->target_pct) ? "-" : tgt);
	else
		sbf(b, "- %s: %s%s%s%s %% covered, target %s %%\n", it->name,
		    now_colour ? "now " : "", now_colour ? colour_word(it->colour, false) : "",
		    now_colour ? ", " : "", isnan(it->covered_pct) ? "-" : pct,
		    isnan(it->target_pct) ? "-" : tgt);
}

/* A list: its lines while they fit (and at most DIGEST_LIST_MAX), then
 * "and N more". */
static void
list_lines(struct sb *b, const struct digest_item *v, size_t n, bool vi, bool hamlets,
    bool now_colour)
{
	size_t i;
	char date[32], more[32];

	for (i = 0; i < n && i < DIGEST_LIST_MAX && sb_room(b) > DIGEST_RESERVE; i++) {
		if (hamlets) {
			fmt_date(date, sizeof date, v[i].date, vi);
			sbf(b, vi ? "- %s (%s), hạn %s\n" : "- %s (%s), target date %s\n",
			    v[i].name, v[i].commune, date);
		} else
			commune_line(b, &v[i], vi, now_colour);
	}
	if (i < n) {
		fmt_count(more, sizeof more, n - i, vi);
		if (hamlets)
			sbf(b, vi ? "- … và %s thôn khác\n" : "- … and %s more\n", more);
		else
			sbf(b, vi ? "- … và %s xã khác\n" : "- … and %s more\n", more);
	}
}

size_t
digest_text(const struct digest *d, bool vi, const char *public_url, char *buf, size_t len)
{
	struct sb b = { buf, 0, len < DIGEST_TEXT_MAX ? len : DIGEST_TEXT_MAX, false };
	char day[32], pct[32], tgt[32], dl[32], n1[32], n2[32];

	if (len == 0)
		return 0;
	buf[0] = '\0';
	fmt_day(day, sizeof day, d->at, vi);
	sbf(&b, vi ? "Bản tin triển khai hằng ngày — %s, %s\n" :
	    "Daily rollout digest — %s, %s\n", d->name, day);

	fmt_pct(pct, sizeof pct, d->covered_pct, vi);
	if (isnan(d->covered_pct))
		snprintf(pct, sizeof pct, "-");
	if (!isnan(d->target_pct)) {
		fmt_target(tgt, sizeof tgt, d->target_pct, vi);
		fmt_date(dl, sizeof dl, d->deadline, vi);
		if (vi)
			sbf(&b, "Tỷ lệ phủ sóng %s %% / mục tiêu %s %% (hạn %s): %s — %s\n", pct,
			    tgt, dl, colour_word(d->colour, true), track_words(d->colour, true));
		else
			sbf(&b, "Coverage %s %% / target %s %% (deadline %s): %s — %s\n", pct,
			    tgt, dl, colour_word(d->colour, false), track_words(d->colour, false));
	} else
		sbf(&b, vi ? "Tỷ lệ phủ sóng %s %% (chưa đặt mục tiêu)\n" :
		    "Coverage %s %% (no target set)\n", pct);

	fmt_count(n1, sizeof n1, d->noverdue, vi);
	fmt_count(n2, sizeof n2, d->overdue_total, vi);
	if (d->noverdue == 0)
		sbf(&b, vi ? "Không có thôn quá hạn mới trong 24 giờ qua (tổng số thôn quá hạn: "
		    "%s)\n" : "No new overdue hamlets in the last 24 h (overdue in all: %s)\n", n2);
	else {
		sbf(&b, vi ? "Thôn quá hạn mới trong 24 giờ qua: %s (tổng số thôn quá hạn: %s)\n" :
		    "New overdue hamlets in the last 24 h: %s (overdue in all: %s)\n", n1, n2);
		list_lines(&b, d->overdue, d->noverdue, vi, true, false);
	}
	if (d->nred == 0 && d->nback == 0)
		sbf(&b, vi ? "Không có xã nào chuyển sang đỏ hoặc ra khỏi mức đỏ trong 24 giờ "
		    "qua\n" :
		    "No commune turned red or went back in the last 24 h\n");
	if (d->nred > 0) {
		fmt_count(n1, sizeof n1, d->nred, vi);
		sbf(&b, vi ? "Xã chuyển sang đỏ: %s\n" : "Communes turned red: %s\n", n1);
		list_lines(&b, d->red, d->nred, vi, false, false);
	}
	if (d->nback > 0) {
		fmt_count(n1, sizeof n1, d->nback, vi);
		sbf(&b, vi ? "Xã ra khỏi mức đỏ: %s\n" : "Communes back from red: %s\n", n1);
		list_lines(&b, d->back, d->nback, vi, false, true);
	}
	if (public_url != NULL && public_url[0])
		sbf(&b, vi ? "Trang của tỉnh: %s/province/%s\n" : "Province page: %s/province/%s\n",
		    public_url, d->province);
	return b.len;
}

static json_object *
jnum(double v)
{
	return isnan(v) ? NULL : json_object_new_double(round(v * 10) / 10);
}

char *
digest_json(const struct digest *d, const char *text, const char *public_url, const char *day)
{
	json_object *o = json_object_new_object(), *h, *r, *bk;
	char scope[ALERT_SCOPE_MAX], url[512], dl[16];
	char *out = NULL;

	if (o == NULL)
		return NULL;
	snprintf(scope, sizeof scope, "province:%s", d->province);
	json_object_object_add(o, "v", json_object_new_int(1));
	json_object_object_add(o, "kind", json_object_new_string("digest"));
	json_object_object_add(o, "severity", json_object_new_string("info"));
	json_object_object_add(o, "state", json_object_new_string("digest"));
	json_object_object_add(o, "scope", json_object_new_string(scope));
	json_object_object_add(o, "province", json_object_new_string(d->province));
	json_object_object_add(o, "name", json_object_new_string(d->name));
	json_object_object_add(o, "day", json_object_new_string(day));
	json_object_object_add(o, "summary", json_object_new_string(text));
	if (public_url != NULL && public_url[0]) {
		snprintf(url, sizeof url, "%s/province/%s", public_url, d->province);
		json_object_object_add(o, "url", json_object_new_string(url));
	}
	json_object_object_add(o, "covered_pct", jnum(d->covered_pct));
	json_object_object_add(o, "target_pct", isnan(d->target_pct) ? NULL :
	    json_object_new_double(d->target_pct));
	inventory_date_str(d->deadline, dl, sizeof dl);
	json_object_object_add(o, "deadline", dl[0] ? json_object_new_string(dl) : NULL);
	json_object_object_add(o, "colour", colour_name((enum colour)d->colour) ?
	    json_object_new_string(colour_name((enum colour)d->colour)) : NULL);
	json_object_object_add(o, "overdue", json_object_new_int64(d->overdue_total));
	h = json_object_new_array();
	for (size_t i = 0; i < d->noverdue; i++)
		json_object_array_add(h, json_object_new_string(d->overdue[i].id));
	json_object_object_add(o, "hamlets", h);
	r = json_object_new_array();
	for (size_t i = 0; i < d->nred; i++)
		json_object_array_add(r, json_object_new_string(d->red[i].id));
	json_object_object_add(o, "communes_red", r);
	bk = json_object_new_array();
	for (size_t i = 0; i < d->nback; i++)
		json_object_array_add(bk, json_object_new_string(d->back[i].id));
	json_object_object_add(o, "communes_back", bk);
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	if (s != NULL)
		out = strdup(s);
	json_object_put(o);
	return out;
}

/* --- when --- */

bool
digest_due(const struct digest_conf *d, time_t now, const char *last, double not_before,
    char *day, size_t daylen)
{
	struct tm tm;

	if (localtime_r(&now, &tm) == NULL || strftime(day, daylen, "%Y-%m-%d", &tm) == 0)
		return false;
	if ((double)now < not_before)
		return false;
	if (tm.tm_hour * 60 + tm.tm_min < d->at)
		return false;
	/* Days compare as text; a clock set back never sends a day again. */
	return strcmp(day, last) > 0;
}

struct digester {
	struct digest_conf conf;
	double settle;
	double not_before;            /* 0 until the first evaluation */
	char last[16];                /* the day last sent, "" never */
	bool loaded;                  /* last read from the state DB */
	struct log_limit lim;
};

struct digester *
digester_new(const struct digest_conf *d, double settle)
{
	struct digester *g = calloc(1, sizeof *g);

	if (g == NULL)
		return NULL;
	g->conf = *d;
	g->settle = settle;
	g->lim = (struct log_limit)LOG_LIMIT_INIT(3, 3600);
	return g;
}

void
digester_free(struct digester *g)
{
	free(g);
}

static bool
notifier_known(const struct alert_conf *ac, const char *name)
{
	for (int i = 0; i < ac->nnotifiers; i++)
		if (strcmp(ac->notifiers[i].name, name) == 0)
			return true;
	return false;
}

/* Queues every province's digest and the day, in one transaction: all or
 * nothing, so a crash half way sends the day again whole. */
static int
queue_day(struct digester *g, const struct alert_conf *ac, const struct snapshot *s,
    const char (*provinces)[ID_MAX + 1], int nprovinces, struct state_db *db, double now,
    const char *day, size_t *nqueued)
{
	const struct inventory *inv = s->inv->inv;
	struct digest_event *ev = NULL;
	size_t nev = 0;
	char text[DIGEST_TEXT_MAX], scope[ALERT_SCOPE_MAX];

	*nqueued = 0;
	if (digest_events(db, now - DIGEST_WINDOW, now, &ev, &nev) == -1)
		return -1;
	if (state_db_begin(db) == -1) {
		free(ev);
		return -1;
	}
	for (size_t p = 0; p < inv->nprovinces; p++) {
		struct digest d;
		if (!collector_owns(provinces, nprovinces, inv->provinces[p].id))
			continue;
		if (digest_make(&d, inv, s->cov, p, ev, nev, now) == -1)
			goto fail;
		digest_text(&d, g->conf.vi, ac->public_url, text, sizeof text);
		char *json = digest_json(&d, text, ac->public_url, day);
		snprintf(scope, sizeof scope, "province:%s", d.province);
		digest_clear(&d);
		if (json == NULL)
			goto fail;
		for (int k = 0; k < g->conf.nnotify; k++) {
			if (!notifier_known(ac, g->conf.notify[k]))
				continue;
			if (alert_db_queue(db, g->conf.notify[k], "digest", json, "digest",
			    "digest", scope, text, now) == -1) {
				free(json);
				goto fail;
			}
			(*nqueued)++;
		}
		free(json);
	}
	if (state_db_meta_put(db, DIGEST_META_KEY, day) == -1 || state_db_commit(db) == -1)
		goto fail;
	free(ev);
	return 0;
fail:
	state_db_rollback(db);
	free(ev);
	return -1;
}

void
digest_tick(struct digester *g, const struct alert_conf *ac, const struct snapshot *s,
    const char (*provinces)[ID_MAX + 1], int nprovinces, struct state_db *db, double now)
{
	char day[16];
	size_t n;
	int rc;

	if (g == NULL || g->conf.nnotify == 0 || s == NULL || s->inv == NULL || s->cov == NULL)
		return;
	/* The alert engine's clock starts at its first evaluation too. */
	if (g->not_before == 0)
		g->not_before = now + g->settle;
	if (!g->loaded) {
		if ((rc = state_db_meta_get(db, DIGEST_META_KEY, g->last, sizeof g->last)) == -1) {
			log_limited(&g->lim, "digest: state db: %s", state_db_errmsg(db));
			return;
		}
		if (rc == 1)
			g->last[0] = '\0';
		g->loaded = true;
	}
	if (!digest_due(&g->conf, (time_t)now, g->last, g->not_before, day, sizeof day))
		return;
	for (int k = 0; k < g->conf.nnotify; k++)
		if (!notifier_known(ac, g->conf.notify[k]))
			log_limited(&g->lim, "digest: [digest] notify: no [notifier.%s] since the "
			    "last reload: it gets no digest", g->conf.notify[k]);
	if (queue_day(g, ac, s, provinces, nprovinces, db, now, day, &n) == -1) {
		/* Tried again at the next evaluation. */
		log_limited(&g->lim, "digest %s: state db: %s", day,
		    sqlite3_errmsg(state_db_sqlite(db)));
		return;
	}
	snprintf(g->last, sizeof g->last, "%s", day);
	log_info("digest %s: %zu notification%s queued", day, n, n == 1 ? "" : "s");
}
