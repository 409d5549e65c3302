/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Loads inventory.csv and targets.csv into the read-only model of
 * inventory.h. Every id, reference, uplink and target is checked here so
 * that the evaluator, the dashboard and the alerts can trust every index.
 */
#include "inventory.h"

#include "csv.h"
#include "id.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum {
	C_HAMLET_ID, C_HAMLET_NAME, C_VILLAGE, C_COMMUNE_ID, C_COMMUNE_NAME,
	C_PROVINCE_ID, C_PROVINCE_NAME, C_LAT, C_LON, C_AGENT_ID, C_UPLINK,
	C_TARGET_DATE, C_POPULATION
};
enum { T_SCOPE, T_ID, T_PCT, T_DEADLINE };

const char *const inventory_columns[INV_INVENTORY_COLUMNS] = {
	"hamlet_id", "hamlet_name", "village", "commune_id", "commune_name",
	"province_id", "province_name", "lat", "lon", "agent_id",
	"uplink_hamlet_id", "target_date", "population",
};
const char *const inventory_target_columns[INV_TARGETS_COLUMNS] = {
	"scope", "id", "coverage_pct", "deadline",
};

#define ARENA_BLOCK	(256 * 1024)
#define SHOW_MAX	104	/* a value quoted in a message: 100 bytes and "…" */
#define POP_MAX		1000000000LL

/* Strings live in blocks that never move, so the hash tables can point at
 * them while the arrays of structs grow and move. */
struct arena_blk {
	struct arena_blk	*next;
	size_t			 used, cap;
	char			 data[];
};

struct slot {
	const char	*key;	/* NULL: empty */
	int32_t		 idx;
};

struct strtab {
	struct slot	*s;
	size_t		 mask;	/* slots - 1, a power of two minus one */
	size_t		 n;
};

struct inv_store {
	struct arena_blk	*arena;
	struct strtab		 hamlets, communes, provinces, agents;
};

struct errs {
	char		*buf;
	size_t		 len, used;
	int		 shown;
	int		 total;	/* including those past INV_MAX_ERRORS */
};

struct loader {
	struct inventory	*inv;
	struct inv_store	*st;
	struct errs		 e;
	size_t			 hcap, ccap, pcap;
	/* Where each hamlet's uplink_hamlet_id is, for the checks that run
	 * after the whole file is read. */
	size_t			*upline, *upcol;
	size_t			 upcap;
	const char		*inv_path;	/* what targets.csv refers to */
};

static void errs_add(struct errs *e, const char *path, size_t line, size_t col,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void __attribute__((format(printf, 2, 0)))
errs_vappend(struct errs *e, const char *fmt, va_list ap)
{
	int n;

	if (e->buf == NULL || e->used + 1 >= e->len)
		return;
	n = vsnprintf(e->buf + e->used, e->len - e->used, fmt, ap);
	if (n < 0)
		return;
	e->used += (size_t)n;
	if (e->used >= e->len)
		e->used = e->len - 1;
}

static void
errs_append(struct errs *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
errs_append(struct errs *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errs_vappend(e, fmt, ap);
	va_end(ap);
}

/* Past INV_MAX_ERRORS one last line says so, and the loader stops. */
static bool
errs_room(struct errs *e, const char *path)
{
	e->total++;
	if (e->shown < INV_MAX_ERRORS) {
		if (e->shown++ > 0)
			errs_append(e, "\n");
		return true;
	}
	if (e->total == INV_MAX_ERRORS + 1)
		errs_append(e, "\n%s: stopped after %d errors", path,
		    INV_MAX_ERRORS);
	return false;
}

static void
errs_add(struct errs *e, const char *path, size_t line, size_t col,
    const char *fmt, ...)
{
	va_list ap;

	if (!errs_room(e, path))
		return;
	errs_append(e, "%s:%zu:%zu: ", path, line, col);
	va_start(ap, fmt);
	errs_vappend(e, fmt, ap);
	va_end(ap);
}

/* A message made elsewhere (the CSV reader's), already "FILE:...". */
static void
errs_raw(struct errs *e, const char *path, const char *msg)
{
	if (errs_room(e, path))
		errs_append(e, "%s", msg);
}

static bool
errs_stop(const struct errs *e)
{
	return e->total > INV_MAX_ERRORS;
}

/*
 * A value as quoted in a message: at most 100 bytes, cut on a character
 * boundary, control characters shown as '?' so that one error stays one
 * line whatever the file holds.
 */
static const char *
show(char buf[SHOW_MAX], const char *s)
{
	size_t i, n = strlen(s), cut = n;

	if (n > 100) {
		cut = 100;
		while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
			cut--;
	}
	for (i = 0; i < cut; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	buf[i] = '\0';
	if (cut < n)
		memcpy(buf + i, "\xe2\x80\xa6", 4);	/* … */
	return buf;
}

static char *
arena_dup(struct inv_store *st, const char *s, size_t len)
{
	struct arena_blk *b = st->arena;
	size_t cap;
	char *p;

	if (b == NULL || b->cap - b->used < len + 1) {
		cap = len + 1 > ARENA_BLOCK ? len + 1 : ARENA_BLOCK;
		if ((b = malloc(sizeof *b + cap)) == NULL)
			return NULL;
		b->used = 0;
		b->cap = cap;
		b->next = st->arena;
		st->arena = b;
	}
	p = b->data + b->used;
	memcpy(p, s, len);
	p[len] = '\0';
	b->used += len + 1;
	return p;
}

/* FNV-1a: ids are short, and the table only needs an even spread. */
static uint64_t
strtab_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static int32_t
strtab_find(const struct strtab *t, const char *key)
{
	size_t i;

	if (t->s == NULL)
		return -1;
	for (i = strtab_hash(key) & t->mask; t->s[i].key != NULL;
	    i = (i + 1) & t->mask)
		if (strcmp(t->s[i].key, key) == 0)
			return t->s[i].idx;
	return -1;
}

/* Adds a key known to be absent; key must outlive the table. Linear
 * probing kept under half full. */
static int
strtab_put(struct strtab *t, const char *key, int32_t idx)
{
	struct slot *ns;
	size_t i, ncap, j;

	if (t->s == NULL || (t->n + 1) * 2 > t->mask + 1) {
		ncap = t->s == NULL ? 64 : (t->mask + 1) * 2;
		if ((ns = calloc(ncap, sizeof *ns)) == NULL)
			return -1;
		for (j = 0; t->s != NULL && j <= t->mask; j++) {
			if (t->s[j].key == NULL)
				continue;
			for (i = strtab_hash(t->s[j].key) & (ncap - 1);
			    ns[i].key != NULL; i = (i + 1) & (ncap - 1))
				;
			ns[i] = t->s[j];
		}
		free(t->s);
		t->s = ns;
		t->mask = ncap - 1;
	}
	for (i = strtab_hash(key) & t->mask; t->s[i].key != NULL;
	    i = (i + 1) & t->mask)
		;
	t->s[i].key = key;
	t->s[i].idx = idx;
	t->n++;
	return 0;
}

/* Room for one more than n elements, doubling: the array (moved or not),
 * or NULL with the old one still valid. */
static void *
grow(void *arr, size_t *cap, size_t n, size_t size)
{
	void *na;
	size_t ncap;

	if (n < *cap)
		return arr;
	ncap = *cap ? *cap * 2 : 64;
	if ((na = realloc(arr, ncap * size)) == NULL)
		return NULL;
	*cap = ncap;
	return na;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
static int32_t
days_from_civil(int y, int m, int d)
{
	int era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int32_t)(era * 146097 + doe - 719468);
}

static void
civil_from_days(int32_t z, int *y, int *m, int *d)
{
	int era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yoe + era * 400 + (*m <= 2);
}

void
inventory_date_str_lang(int32_t days, bool vi, char *buf, size_t len)
{
	int y, m, d;

	if (len == 0)
		return;
	if (days == INV_NO_DATE) {
		buf[0] = '\0';
		return;
	}
	civil_from_days(days, &y, &m, &d);
	if (vi)
		snprintf(buf, len, "%02d/%02d/%04d", d, m, y);
	else
		snprintf(buf, len, "%04d-%02d-%02d", y, m, d);
}

void
inventory_date_str(int32_t days, char *buf, size_t len)
{
	inventory_date_str_lang(days, false, buf, len);
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * "YYYY-MM-DD", a real date from 1970 on. Returns 0, -1 when the form is
 * wrong, -2 when the form is right but the day does not exist.
 */
static int
parse_date(const char *s, int32_t *out)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int y, m, d, dim;

	for (int i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? s[i] != '-' : !is_digit(s[i]))
			return -1;
	if (s[10] != '\0')
		return -1;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1970 || m < 1 || m > 12 || d < 1)
		return -2;
	dim = mdays[m - 1];
	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		dim = 29;
	if (d > dim)
		return -2;
	*out = days_from_civil(y, m, d);
	return 0;
}

int
inventory_date_parse(const char *s, int32_t *days)
{
	return parse_date(s, days) == 0 ? 0 : -1;
}

/*
 * A plain decimal, -?DIGITS(.DIGITS)?: no exponent, spaces, "inf" or
 * locale (a Vietnamese locale's decimal comma must not change what a file
 * means). Fraction digits past the 12th are checked and ignored.
 */
static bool
parse_decimal(const char *s, double *out)
{
	uint64_t ip = 0, fp = 0, scale = 1;
	int nint = 0, nfrac = 0;
	bool neg = false;

	if (*s == '-') {
		neg = true;
		s++;
	}
	for (; is_digit(*s); s++) {
		if (++nint > 15)
			return false;
		ip = ip * 10 + (uint64_t)(*s - '0');
	}
	if (nint == 0)
		return false;
	if (*s == '.') {
		for (s++; is_digit(*s); s++) {
			if (++nfrac > 12)
				continue;
			fp = fp * 10 + (uint64_t)(*s - '0');
			scale *= 10;
		}
		if (nfrac == 0)
			return false;
	}
	if (*s != '\0')
		return false;
	*out = (double)ip + (double)fp / (double)scale;
	if (neg)
		*out = -*out;
	return true;
}

static void
check_id(struct loader *L, const char *path, const struct csv_field *f,
    const char *col, bool required)
{
	char v[SHOW_MAX];

	if (f->len == 0) {
		if (required)
			errs_add(&L->e, path, f->line, f->col,
			    "empty %s (required)", col);
		return;
	}
	if (!id_valid(f->s))
		errs_add(&L->e, path, f->line, f->col, "bad %s '%s': an id is 1-64 "
		    "characters of a-z, 0-9, '.', '_' and '-', starting with a "
		    "letter or digit", col, show(v, f->s));
}

/* Display names are free UTF-8 (the reader validated it), but one line of
 * text: they end up in HTML, SMS and e-mail subjects. */
static void
check_name(struct loader *L, const char *path, const struct csv_field *f,
    const char *col, bool required)
{
	size_t i;

	for (i = 0; i < f->len && f->s[i] == ' '; i++)
		;
	if (i == f->len) {
		if (required)
			errs_add(&L->e, path, f->line, f->col,
			    "empty %s (required)", col);
		return;
	}
	if (f->len > INV_NAME_MAX) {
		errs_add(&L->e, path, f->line, f->col,
		    "%s longer than %d bytes", col, INV_NAME_MAX);
		return;
	}
	for (i = 0; i < f->len; i++)
		if ((unsigned char)f->s[i] < 0x20 || f->s[i] == 0x7f) {
			errs_add(&L->e, path, f->line, f->col,
			    "%s holds a control character (a line break or a "
			    "tab): a name is one line of text", col);
			return;
		}
}

static void
check_decimal(struct loader *L, const char *path, const struct csv_field *f,
    const char *col, double lo, double hi, double *out)
{
	char v[SHOW_MAX];

	if (!parse_decimal(f->s, out) || *out < lo || *out > hi)
		errs_add(&L->e, path, f->line, f->col, "%s '%s' is not a decimal "
		    "number from %g to %g", col, show(v, f->s), lo, hi);
}

static void
check_date(struct loader *L, const char *path, const struct csv_field *f,
    const char *col, int32_t *out)
{
	char v[SHOW_MAX];
	int rc;

	if ((rc = parse_date(f->s, out)) == -1)
		errs_add(&L->e, path, f->line, f->col, "%s '%s' is not a date "
		    "in the form YYYY-MM-DD", col, show(v, f->s));
	else if (rc == -2)
		errs_add(&L->e, path, f->line, f->col, "%s '%s' is not a real "
		    "calendar date from 1970-01-01 on", col, show(v, f->s));
}

static void
check_population(struct loader *L, const char *path, const struct csv_field *f,
    int64_t *out)
{
	char v[SHOW_MAX];
	int64_t n = 0;
	size_t i;

	for (i = 0; i < f->len && i < 10 && is_digit(f->s[i]); i++)
		n = n * 10 + (f->s[i] - '0');
	if (i != f->len || n > POP_MAX) {
		errs_add(&L->e, path, f->line, f->col, "population '%s' is not a "
		    "whole number from 0 to %lld", show(v, f->s), POP_MAX);
		return;
	}
	*out = n;
}

/* A province or commune (kind) first named on an earlier line: 0 when
 * this row gives it the same name, else -1 after saying so. */
static int
same_name(struct loader *L, const char *path, const char *kind,
    const struct csv_field *fid, const struct csv_field *fname, const char *name,
    size_t line)
{
	char v1[SHOW_MAX], v2[SHOW_MAX];

	if (strcmp(name, fname->s) == 0)
		return 0;
	errs_add(&L->e, path, fname->line, fname->col, "%s '%s' is "
	    "named '%s' on line %zu but '%s' here", kind, fid->s,
	    show(v1, name), line, show(v2, fname->s));
	return -1;
}

/* Graphs and API paths take a commune id or a province id in the same
 * place (DESIGN.md section 8): an id of the other kind, first on line, is
 * an error. Returns -1 after saying so. */
static int
ids_clash(struct loader *L, const char *path, const struct csv_field *fid,
    const char *kind, const char *other, size_t line)
{
	errs_add(&L->e, path, fid->line, fid->col, "%s_id '%s' is "
	    "also a %s id (line %zu): commune and province ids must "
	    "differ", kind, fid->s, other, line);
	return -1;
}

/* The id and name of a new province or commune, copied into the arena, and
 * its index in tab. Returns 0, or -1 when out of memory. */
static int
place_names(struct loader *L, struct strtab *tab, size_t index,
    const struct csv_field *fid, const struct csv_field *fname, const char **id,
    const char **name)
{
	if ((*id = arena_dup(L->st, fid->s, fid->len)) == NULL ||
	    (*name = arena_dup(L->st, fname->s, fname->len)) == NULL)
		return -1;
	return strtab_put(tab, *id, (int32_t)index);
}

/* The province of a row: found, or added. Returns its index, -1 after an
 * error in the file, -2 when out of memory. */
static int32_t
province_ref(struct loader *L, const char *path, const struct csv_field *f)
{
	const struct csv_field *fid = &f[C_PROVINCE_ID], *fname = &f[C_PROVINCE_NAME];
	struct inventory *inv = L->inv;
	struct inv_province *p;
	int32_t i;

	if ((i = strtab_find(&L->st->provinces, fid->s)) >= 0) {
		p = &inv->provinces[i];
		return same_name(L, path, "province", fid, fname, p->name, p->line) == 0 ?
		    i : -1;
	}
	if ((i = strtab_find(&L->st->communes, fid->s)) >= 0)
		return ids_clash(L, path, fid, "province", "commune", inv->communes[i].line);
	if ((p = grow(inv->provinces, &L->pcap, inv->nprovinces,
	    sizeof *inv->provinces)) == NULL)
		return -2;
	inv->provinces = p;
	p = &inv->provinces[inv->nprovinces];
	memset(p, 0, sizeof *p);
	p->line = fid->line;
	if (place_names(L, &L->st->provinces, inv->nprovinces, fid, fname, &p->id,
	    &p->name) == -1)
		return -2;
	return (int32_t)inv->nprovinces++;
}

static int32_t
commune_ref(struct loader *L, const char *path, const struct csv_field *f,
    int32_t prov)
{
	const struct csv_field *fid = &f[C_COMMUNE_ID], *fname = &f[C_COMMUNE_NAME];
	const struct csv_field *fprov = &f[C_PROVINCE_ID];
	struct inventory *inv = L->inv;
	struct inv_commune *c;
	int32_t i;

	if ((i = strtab_find(&L->st->communes, fid->s)) >= 0) {
		c = &inv->communes[i];
		if (c->province != prov) {
			errs_add(&L->e, path, fprov->line, fprov->col, "commune "
			    "'%s' is in province '%s' on line %zu but in province "
			    "'%s' here", fid->s, inv->provinces[c->province].id,
			    c->line, fprov->s);
			return -1;
		}
		return same_name(L, path, "commune", fid, fname, c->name, c->line) == 0 ?
		    i : -1;
	}
	if ((i = strtab_find(&L->st->provinces, fid->s)) >= 0)
		return ids_clash(L, path, fid, "commune", "province", inv->provinces[i].line);
	if ((c = grow(inv->communes, &L->ccap, inv->ncommunes,
	    sizeof *inv->communes)) == NULL)
		return -2;
	inv->communes = c;
	c = &inv->communes[inv->ncommunes];
	memset(c, 0, sizeof *c);
	c->province = prov;
	c->line = fid->line;
	if (place_names(L, &L->st->communes, inv->ncommunes, fid, fname, &c->id,
	    &c->name) == -1)
		return -2;
	inv->provinces[prov].ncommunes++;
	return (int32_t)inv->ncommunes++;
}

/* One row of inventory.csv. Returns 0 (errors in the file are counted in
 * L->e), or -1 when out of memory. */
static int
inventory_row(struct loader *L, const char *path, const struct csv_row *r)
{
	const struct csv_field *f = r->f;
	struct inventory *inv = L->inv;
	struct inv_hamlet h;
	char v1[SHOW_MAX];
	void *p;
	int before = L->e.total;
	int32_t i, prov, com = -1;

	if (r->n != INV_INVENTORY_COLUMNS) {
		/* Point at the first extra field, or at the row. */
		errs_add(&L->e, path, r->n > INV_INVENTORY_COLUMNS ?
		    f[INV_INVENTORY_COLUMNS].line : r->line,
		    r->n > INV_INVENTORY_COLUMNS ? f[INV_INVENTORY_COLUMNS].col : 1,
		    "%zu fields, expected %d (the header's columns; a comma in a "
		    "name needs the name in quotes)", r->n, INV_INVENTORY_COLUMNS);
		return 0;
	}

	memset(&h, 0, sizeof h);
	h.uplink = -1;
	h.target_date = INV_NO_DATE;
	h.population = -1;
	h.line = r->line;
	check_id(L, path, &f[C_HAMLET_ID], "hamlet_id", true);
	check_name(L, path, &f[C_HAMLET_NAME], "hamlet_name", true);
	check_name(L, path, &f[C_VILLAGE], "village", false);
	check_id(L, path, &f[C_COMMUNE_ID], "commune_id", true);
	check_name(L, path, &f[C_COMMUNE_NAME], "commune_name", true);
	check_id(L, path, &f[C_PROVINCE_ID], "province_id", true);
	check_name(L, path, &f[C_PROVINCE_NAME], "province_name", true);
	/* A hamlet not yet surveyed has neither; half a position is a typo. */
	if (f[C_LAT].len != 0 && f[C_LON].len != 0) {
		check_decimal(L, path, &f[C_LAT], "lat", -90, 90, &h.lat);
		check_decimal(L, path, &f[C_LON], "lon", -180, 180, &h.lon);
		h.placed = true;
	} else if (f[C_LAT].len != 0 || f[C_LON].len != 0) {
		const struct csv_field *e = f[C_LAT].len ? &f[C_LON] : &f[C_LAT];

		errs_add(&L->e, path, e->line, e->col, "empty %s while %s is "
		    "given (give both or neither)", e == &f[C_LAT] ? "lat" : "lon",
		    e == &f[C_LAT] ? "lon" : "lat");
	}
	check_id(L, path, &f[C_AGENT_ID], "agent_id", false);
	check_id(L, path, &f[C_UPLINK], "uplink_hamlet_id", false);
	if (f[C_UPLINK].len != 0 && strcmp(f[C_UPLINK].s, f[C_HAMLET_ID].s) == 0)
		errs_add(&L->e, path, f[C_UPLINK].line, f[C_UPLINK].col,
		    "uplink_hamlet_id '%s' is the hamlet itself (leave it empty "
		    "for a direct backhaul)", show(v1, f[C_UPLINK].s));
	if (f[C_TARGET_DATE].len != 0)
		check_date(L, path, &f[C_TARGET_DATE], "target_date",
		    &h.target_date);
	if (f[C_POPULATION].len != 0)
		check_population(L, path, &f[C_POPULATION], &h.population);
	if (L->e.total != before)
		return 0;

	if ((prov = province_ref(L, path, f)) == -2)
		return -1;
	if (prov >= 0 && (com = commune_ref(L, path, f, prov)) == -2)
		return -1;
	if ((i = strtab_find(&L->st->hamlets, f[C_HAMLET_ID].s)) >= 0)
		errs_add(&L->e, path, f[C_HAMLET_ID].line, f[C_HAMLET_ID].col,
		    "duplicate hamlet_id '%s' (first on line %zu)",
		    f[C_HAMLET_ID].s, inv->hamlets[i].line);
	if (f[C_AGENT_ID].len != 0 &&
	    (i = strtab_find(&L->st->agents, f[C_AGENT_ID].s)) >= 0)
		errs_add(&L->e, path, f[C_AGENT_ID].line, f[C_AGENT_ID].col,
		    "agent_id '%s' is assigned to hamlet '%s' on line %zu and to "
		    "hamlet '%s' here: an agent reports for one hamlet",
		    f[C_AGENT_ID].s, inv->hamlets[i].id, inv->hamlets[i].line,
		    f[C_HAMLET_ID].s);
	if (L->e.total != before)
		return 0;

	if (inv->nhamlets >= INV_MAX_HAMLETS) {
		errs_add(&L->e, path, r->line, 1, "more than %d hamlets",
		    INV_MAX_HAMLETS);
		return 0;
	}
	if ((p = grow(inv->hamlets, &L->hcap, inv->nhamlets,
	    sizeof *inv->hamlets)) == NULL)
		return -1;
	inv->hamlets = p;
	if (L->upcap < L->hcap) {
		if ((p = realloc(L->upline, L->hcap * sizeof *L->upline)) == NULL)
			return -1;
		L->upline = p;
		if ((p = realloc(L->upcol, L->hcap * sizeof *L->upcol)) == NULL)
			return -1;
		L->upcol = p;
		L->upcap = L->hcap;
	}
	h.province = prov;
	h.commune = com;
	if ((h.id = arena_dup(L->st, f[C_HAMLET_ID].s, f[C_HAMLET_ID].len)) == NULL ||
	    (h.name = arena_dup(L->st, f[C_HAMLET_NAME].s,
	    f[C_HAMLET_NAME].len)) == NULL ||
	    (h.village = arena_dup(L->st, f[C_VILLAGE].s, f[C_VILLAGE].len)) == NULL)
		return -1;
	if (f[C_AGENT_ID].len != 0 && (h.agent = arena_dup(L->st, f[C_AGENT_ID].s,
	    f[C_AGENT_ID].len)) == NULL)
		return -1;
	if (f[C_UPLINK].len != 0 && (h.uplink_id = arena_dup(L->st, f[C_UPLINK].s,
	    f[C_UPLINK].len)) == NULL)
		return -1;
	if (strtab_put(&L->st->hamlets, h.id, (int32_t)inv->nhamlets) == -1)
		return -1;
	if (h.agent != NULL) {
		if (strtab_put(&L->st->agents, h.agent, (int32_t)inv->nhamlets) == -1)
			return -1;
		inv->nagents++;
	}
	L->upline[inv->nhamlets] = f[C_UPLINK].line;
	L->upcol[inv->nhamlets] = f[C_UPLINK].col;
	inv->hamlets[inv->nhamlets++] = h;
	inv->provinces[prov].nhamlets++;
	inv->communes[com].nhamlets++;
	return 0;
}

/*
 * Each hamlet has at most one uplink, so the uplinks form a functional
 * graph: walking from each hamlet either ends at a direct hamlet or loops.
 * A cycle is reported once, from its member first in the file, at that
 * member's uplink_hamlet_id. Returns 0 or -1 when out of memory.
 */
static int
uplink_cycles(struct loader *L, const char *path)
{
	struct inventory *inv = L->inv;
	unsigned char *mark;	/* 0 unseen, 1 on this walk, 2 done */
	char list[512];
	size_t used, n, i;
	int32_t j, k, first;
	int w;

	if ((mark = calloc(inv->nhamlets ? inv->nhamlets : 1, 1)) == NULL)
		return -1;
	for (i = 0; i < inv->nhamlets && !errs_stop(&L->e); i++) {
		for (j = (int32_t)i; j >= 0 && mark[j] == 0; j = inv->hamlets[j].uplink)
			mark[j] = 1;
		if (j >= 0 && mark[j] == 1) {
			first = j;
			n = 0;
			k = j;
			do {
				if (k < first)
					first = k;
				n++;
				k = inv->hamlets[k].uplink;
			} while (k != j);
			used = 0;
			k = first;
			do {
				w = snprintf(list + used, sizeof list - used, "%s -> ",
				    inv->hamlets[k].id);
				if (w < 0 || (size_t)w >= sizeof list - used - 16) {
					snprintf(list + used, sizeof list - used,
					    "... -> ");
					used = strlen(list);
					break;
				}
				used += (size_t)w;
				k = inv->hamlets[k].uplink;
			} while (k != first);
			snprintf(list + used, sizeof list - used, "%s",
			    inv->hamlets[first].id);
			errs_add(&L->e, path, L->upline[first], L->upcol[first],
			    "uplink cycle of %zu hamlets: %s (a backhaul cannot run "
			    "through itself)", n, list);
		}
		for (j = (int32_t)i; j >= 0 && mark[j] == 1; j = inv->hamlets[j].uplink)
			mark[j] = 2;
	}
	free(mark);
	return 0;
}

static int
uplinks_link(struct loader *L, const char *path)
{
	struct inventory *inv = L->inv;
	struct inv_hamlet *h;
	char v[SHOW_MAX];

	for (size_t i = 0; i < inv->nhamlets && !errs_stop(&L->e); i++) {
		h = &inv->hamlets[i];
		if (h->uplink_id == NULL)
			continue;
		if ((h->uplink = strtab_find(&L->st->hamlets, h->uplink_id)) < 0)
			errs_add(&L->e, path, L->upline[i], L->upcol[i],
			    "uplink_hamlet_id '%s' is not a hamlet_id in this file",
			    show(v, h->uplink_id));
	}
	if (L->e.total != 0)
		return 0;
	return uplink_cycles(L, path);
}

/*
 * Each row of the CSV file path, under a header of exactly columns[0..n),
 * through row(), until the file ends or there are too many errors. Errors in
 * the file are counted in L->e; returns -1 only when out of memory.
 */
static int
csv_read(struct loader *L, const char *path, const char *const *columns, size_t n,
    int (*row)(struct loader *, const char *, const struct csv_row *))
{
	struct csv *c = NULL;
	struct csv_row r;
	char msg[1024];
	int rc;

	if (csv_open(&c, path, msg, sizeof msg) == -1 ||
	    csv_header(c, columns, n, msg, sizeof msg) == -1)
		goto bad;
	while (!errs_stop(&L->e)) {
		if ((rc = csv_next(c, &r, msg, sizeof msg)) == -1)
			goto bad;
		if (rc == 0)
			break;
		if (row(L, path, &r) == -1)
			goto nomem;
	}
	csv_close(c);
	return 0;
bad:
	errs_raw(&L->e, path, msg);
	csv_close(c);
	return 0;
nomem:
	csv_close(c);
	return -1;
}

/* One row of targets.csv. Returns 0: errors in the file are counted in
 * L->e. */
static int
targets_row(struct loader *L, const char *path, const struct csv_row *r)
{
	const char *inv_path = L->inv_path;
	const struct csv_field *f = r->f;
	struct inventory *inv = L->inv;
	struct inv_target t, *slot;
	const char *scope;
	char v[SHOW_MAX];
	int before = L->e.total;
	bool province = false;
	int32_t i;

	if (r->n != INV_TARGETS_COLUMNS) {
		errs_add(&L->e, path, r->n > INV_TARGETS_COLUMNS ?
		    f[INV_TARGETS_COLUMNS].line : r->line,
		    r->n > INV_TARGETS_COLUMNS ? f[INV_TARGETS_COLUMNS].col : 1,
		    "%zu fields, expected %d (the header's columns)", r->n,
		    INV_TARGETS_COLUMNS);
		return 0;
	}
	memset(&t, 0, sizeof t);
	t.set = true;
	t.line = r->line;
	scope = f[T_SCOPE].s;
	if (strcmp(scope, "province") == 0)
		province = true;
	else if (strcmp(scope, "commune") != 0)
		errs_add(&L->e, path, f[T_SCOPE].line, f[T_SCOPE].col, "scope "
		    "'%s' is neither 'province' nor 'commune'", show(v, scope));
	check_id(L, path, &f[T_ID], "id", true);
	if (f[T_PCT].len == 0)
		errs_add(&L->e, path, f[T_PCT].line, f[T_PCT].col,
		    "empty coverage_pct (required)");
	else
		check_decimal(L, path, &f[T_PCT], "coverage_pct", 0, 100, &t.pct);
	if (f[T_DEADLINE].len == 0)
		errs_add(&L->e, path, f[T_DEADLINE].line, f[T_DEADLINE].col,
		    "empty deadline (required, YYYY-MM-DD)");
	else
		check_date(L, path, &f[T_DEADLINE], "deadline", &t.deadline);
	if (L->e.total != before)
		return 0;

	if (province) {
		if ((i = strtab_find(&L->st->provinces, f[T_ID].s)) < 0) {
			errs_add(&L->e, path, f[T_ID].line, f[T_ID].col,
			    "province '%s' is not in %s%s", f[T_ID].s, inv_path,
			    strtab_find(&L->st->communes, f[T_ID].s) >= 0 ?
			    " (it is a commune there)" : "");
			return 0;
		}
		slot = &inv->provinces[i].target;
	} else {
		if ((i = strtab_find(&L->st->communes, f[T_ID].s)) < 0) {
			errs_add(&L->e, path, f[T_ID].line, f[T_ID].col,
			    "commune '%s' is not in %s%s", f[T_ID].s, inv_path,
			    strtab_find(&L->st->provinces, f[T_ID].s) >= 0 ?
			    " (it is a province there)" : "");
			return 0;
		}
		slot = &inv->communes[i].target;
	}
	if (slot->set) {
		errs_add(&L->e, path, f[T_SCOPE].line, f[T_SCOPE].col,
		    "duplicate target for %s '%s' (first on line %zu)", scope,
		    f[T_ID].s, slot->line);
		return 0;
	}
	*slot = t;
	return 0;
}

int
inventory_load(struct inventory **out, const char *inventory_path,
    const char *targets_path, char *err, size_t errlen)
{
	struct loader L;
	struct inventory *inv;
	struct inv_commune *c;
	void *p;

	*out = NULL;
	memset(&L, 0, sizeof L);
	L.e.buf = err;
	L.e.len = errlen;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if ((inv = calloc(1, sizeof *inv)) == NULL ||
	    (inv->store = calloc(1, sizeof *inv->store)) == NULL)
		goto nomem;
	L.inv = inv;
	L.st = inv->store;

	L.inv_path = inventory_path;
	if (csv_read(&L, inventory_path, inventory_columns, INV_INVENTORY_COLUMNS,
	    inventory_row) == -1)
		goto nomem;
	if (L.e.total == 0 && uplinks_link(&L, inventory_path) == -1)
		goto nomem;
	/* Targets name communes and provinces: against a broken inventory
	 * they would only echo its errors. */
	if (L.e.total == 0 && targets_path != NULL &&
	    csv_read(&L, targets_path, inventory_target_columns, INV_TARGETS_COLUMNS,
	    targets_row) == -1)
		goto nomem;
	if (L.e.total != 0)
		goto fail;

	for (size_t i = 0; i < inv->ncommunes; i++) {
		c = &inv->communes[i];
		c->effective = c->target.set ? c->target :
		    inv->provinces[c->province].target;
	}
	/* Give back the slack of the doubling. */
	if (inv->nhamlets > 0 &&
	    (p = realloc(inv->hamlets, inv->nhamlets * sizeof *inv->hamlets)) != NULL)
		inv->hamlets = p;
	free(L.upline);
	free(L.upcol);
	*out = inv;
	return 0;
nomem:
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: out of memory while loading",
		    inventory_path);
fail:
	free(L.upline);
	free(L.upcol);
	inventory_free(inv);
	return -1;
}

void
inventory_free(struct inventory *inv)
{
	struct arena_blk *b, *next;

	if (inv == NULL)
		return;
	if (inv->store != NULL) {
		for (b = inv->store->arena; b != NULL; b = next) {
			next = b->next;
			free(b);
		}
		free(inv->store->hamlets.s);
		free(inv->store->communes.s);
		free(inv->store->provinces.s);
		free(inv->store->agents.s);
		free(inv->store);
	}
	free(inv->provinces);
	free(inv->communes);
	free(inv->hamlets);
	free(inv);
}

const struct inv_hamlet *
inventory_hamlet(const struct inventory *inv, const char *id)
{
	int32_t i = strtab_find(&inv->store->hamlets, id);

	return i < 0 ? NULL : &inv->hamlets[i];
}

const struct inv_commune *
inventory_commune(const struct inventory *inv, const char *id)
{
	int32_t i = strtab_find(&inv->store->communes, id);

	return i < 0 ? NULL : &inv->communes[i];
}

const struct inv_province *
inventory_province(const struct inventory *inv, const char *id)
{
	int32_t i = strtab_find(&inv->store->provinces, id);

	return i < 0 ? NULL : &inv->provinces[i];
}

const struct inv_hamlet *
inventory_hamlet_by_agent(const struct inventory *inv, const char *agent_id)
{
	int32_t i = strtab_find(&inv->store->agents, agent_id);

	return i < 0 ? NULL : &inv->hamlets[i];
}

void
inventory_summary(const struct inventory *inv, FILE *fp)
{
	size_t uplink = 0, placed = 0, dated = 0, ptarget = 0, ctarget = 0;
	size_t ceff = 0;
	int64_t pop = 0;
	size_t i;

	for (i = 0; i < inv->nhamlets; i++) {
		uplink += inv->hamlets[i].uplink >= 0;
		placed += inv->hamlets[i].placed;
		dated += inv->hamlets[i].target_date != INV_NO_DATE;
		if (inv->hamlets[i].population > 0)
			pop += inv->hamlets[i].population;
	}
	for (i = 0; i < inv->nprovinces; i++)
		ptarget += inv->provinces[i].target.set;
	for (i = 0; i < inv->ncommunes; i++) {
		ctarget += inv->communes[i].target.set;
		ceff += inv->communes[i].effective.set;
	}
	fprintf(fp, "provinces:        %zu (%zu with a target)\n",
	    inv->nprovinces, ptarget);
	fprintf(fp, "communes:         %zu (%zu with a target of their own, "
	    "%zu with one in effect)\n", inv->ncommunes, ctarget, ceff);
	fprintf(fp, "hamlets:          %zu\n", inv->nhamlets);
	fprintf(fp, "agents:           %zu (hamlets without one: %zu)\n",
	    inv->nagents, inv->nhamlets - inv->nagents);
	fprintf(fp, "with uplink:      %zu\n", uplink);
	fprintf(fp, "on the map:       %zu\n", placed);
	fprintf(fp, "with target_date: %zu\n", dated);
	fprintf(fp, "population:       %lld\n", (long long)pop);
}
