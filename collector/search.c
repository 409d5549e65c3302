/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Search over the inventory: every name and id folded once into an index
 * (words of lowercase ASCII joined by single spaces), then each query
 * folded the same way and ranked against it, keeping the best few. The
 * index of the latest inventory is cached for the HTTP threads.
 */
#include "search.h"

#include "fold.h"
#include "snapshot.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const search_type_name[SEARCH__TYPES] = {
	"hamlet", "agent", "village", "commune", "province",
};

const char *const search_match_name[SEARCH__MATCHES] = {
	"exact", "prefix", "word", "substring",
};

#define NOKEY		SIZE_MAX
/* Words of a query: at most one per two bytes. */
#define QUERY_WORDS	(SEARCH_QUERY_MAX / 2 + 1)

/* One thing to find, with up to two keys (a name and an id), each also
 * without its spaces, and the name that orders it among equal matches;
 * all offsets into the index's text. */
struct entry {
	enum search_type	type;
	size_t			index;
	size_t			key[2];
	size_t			compact[2];
	size_t			sort;
};

struct search_index {
	struct entry	*entries;
	size_t		 n, cap;
	char		*text;
	size_t		 len, tcap;
};

/* A query, folded and cut into words. */
struct query {
	char	 norm[SEARCH_QUERY_MAX + 1];	/* words joined by single spaces */
	size_t	 len;
	char	 compact[SEARCH_QUERY_MAX + 1];	/* the same without the spaces */
	char	 buf[SEARCH_QUERY_MAX + 1];	/* the words, NUL-separated */
	const char *word[QUERY_WORDS];
	size_t	 wlen[QUERY_WORDS];
	size_t	 nwords;
};

/* Letters and digits make words; a byte of a character the folding kept
 * (Chinese, Cyrillic ...) is part of a word too. */
static bool
word_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
}

/* The words of folded text s joined by single spaces into out (at least
 * strlen(s) + 1 bytes). Returns the length. */
static size_t
normalize(const char *s, char *out)
{
	size_t o = 0;
	bool gap = false;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (!word_byte(*p)) {
			gap = o > 0;
			continue;
		}
		if (gap)
			out[o++] = ' ';
		gap = false;
		out[o++] = (char)*p;
	}
	out[o] = '\0';
	return o;
}

/* Folds and normalises s into the index's text, followed by the same
 * without its spaces when compact is not NULL (*compact set to its offset).
 * Returns its offset, or NOKEY when out of memory. */
static size_t
add_text(struct search_index *idx, const char *s, size_t *compact)
{
	size_t n = 2 * (strlen(s) + 1), off;
	char *tmp;

	if (n > idx->tcap - idx->len) {
		size_t cap = idx->tcap ? idx->tcap : 65536;
		while (n > cap - idx->len)
			cap *= 2;
		char *p = realloc(idx->text, cap);
		if (p == NULL)
			return NOKEY;
		idx->text = p;
		idx->tcap = cap;
	}
	if ((tmp = malloc(n)) == NULL)
		return NOKEY;
	fold(s, tmp, n);
	off = idx->len;
	idx->len += normalize(tmp, idx->text + off) + 1;
	free(tmp);
	if (compact != NULL) {
		*compact = idx->len;
		for (const char *p = idx->text + off; *p != '\0'; p++)
			if (*p != ' ')
				idx->text[idx->len++] = *p;
		idx->text[idx->len++] = '\0';
	}
	return off;
}

/* Adds an entry keyed by name (and id, may be NULL), ordered by sort (NULL:
 * the name). Returns 0, or -1 when out of memory. */
static int
add_entry(struct search_index *idx, enum search_type type, size_t index,
    const char *name, const char *id, const char *sort)
{
	struct entry *e;

	if (idx->n == idx->cap) {
		size_t cap = idx->cap ? idx->cap * 2 : 1024;
		struct entry *p = realloc(idx->entries, cap * sizeof *p);
		if (p == NULL)
			return -1;
		idx->entries = p;
		idx->cap = cap;
	}
	e = &idx->entries[idx->n];
	e->type = type;
	e->index = index;
	e->key[1] = NOKEY;
	if ((e->key[0] = add_text(idx, name, &e->compact[0])) == NOKEY ||
	    (id != NULL && (e->key[1] = add_text(idx, id, &e->compact[1])) == NOKEY))
		return -1;
	e->sort = e->key[0];
	if (sort != NULL && (e->sort = add_text(idx, sort, NULL)) == NOKEY)
		return -1;
	idx->n++;
	return 0;
}

/* Hamlets with a village, by commune, then village, then file order. */
static int
village_cmp(const void *a, const void *b, void *arg)
{
	const struct inventory *inv = arg;
	const struct inv_hamlet *x = &inv->hamlets[*(const size_t *)a];
	const struct inv_hamlet *y = &inv->hamlets[*(const size_t *)b];
	int c;

	if (x->commune != y->commune)
		return x->commune < y->commune ? -1 : 1;
	if ((c = strcmp(x->village, y->village)) != 0)
		return c;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

/* One entry per village: per commune, the hamlets that share a village
 * value, found at the first of them. */
static int
add_villages(struct search_index *idx, const struct inventory *inv)
{
	size_t *h = malloc((inv->nhamlets ? inv->nhamlets : 1) * sizeof *h);
	size_t n = 0;
	int rc = 0;

	if (h == NULL)
		return -1;
	for (size_t i = 0; i < inv->nhamlets; i++)
		if (inv->hamlets[i].village[0] != '\0')
			h[n++] = i;
	qsort_r(h, n, sizeof *h, village_cmp, (void *)inv);
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct inv_hamlet *x = &inv->hamlets[h[i]];
		if (i > 0 && search_village_has(inv, &(struct search_result){
		    SEARCH_VILLAGE, SEARCH_EXACT, h[i - 1] }, h[i]))
			continue;
		rc = add_entry(idx, SEARCH_VILLAGE, h[i], x->village, NULL, NULL);
	}
	free(h);
	return rc;
}

struct search_index *
search_index_new(const struct inventory *inv)
{
	struct search_index *idx = calloc(1, sizeof *idx);

	if (idx == NULL)
		return NULL;
	for (size_t i = 0; i < inv->nhamlets; i++) {
		const struct inv_hamlet *h = &inv->hamlets[i];
		if (add_entry(idx, SEARCH_HAMLET, i, h->name, h->id, NULL) == -1 ||
		    (h->agent != NULL && add_entry(idx, SEARCH_AGENT, i, h->agent, NULL,
		    h->name) == -1))
			goto fail;
	}
	if (add_villages(idx, inv) == -1)
		goto fail;
	for (size_t i = 0; i < inv->ncommunes; i++)
		if (add_entry(idx, SEARCH_COMMUNE, i, inv->communes[i].name,
		    inv->communes[i].id, NULL) == -1)
			goto fail;
	for (size_t i = 0; i < inv->nprovinces; i++)
		if (add_entry(idx, SEARCH_PROVINCE, i, inv->provinces[i].name,
		    inv->provinces[i].id, NULL) == -1)
			goto fail;
	return idx;
fail:
	search_index_free(idx);
	return NULL;
}

void
search_index_free(struct search_index *idx)
{
	if (idx == NULL)
		return;
	free(idx->entries);
	free(idx->text);
	free(idx);
}

/* Folds q into its words; false when it has none. */
static bool
query_read(struct query *q, const char *s)
{
	char cut[SEARCH_QUERY_MAX + 1], folded[SEARCH_QUERY_MAX + 1];
	size_t o = 0;

	snprintf(cut, sizeof cut, "%s", s);
	fold(cut, folded, sizeof folded);
	q->len = normalize(folded, q->norm);
	q->nwords = 0;
	memcpy(q->buf, q->norm, q->len + 1);
	for (char *p = q->buf; *p != '\0' && q->nwords < QUERY_WORDS; ) {
		char *sp = strchr(p, ' ');
		q->word[q->nwords] = p;
		q->wlen[q->nwords++] = sp ? (size_t)(sp - p) : strlen(p);
		if (sp == NULL)
			break;
		*sp = '\0';
		p = sp + 1;
	}
	for (size_t i = 0; i < q->len; i++)
		if (q->norm[i] != ' ')
			q->compact[o++] = q->norm[i];
	q->compact[o] = '\0';
	return q->nwords > 0;
}

bool
search_query_empty(const char *s)
{
	struct query q;

	return s == NULL || !query_read(&q, s);
}

/* Whether a word of k starts with w. */
static bool
word_start(const char *k, const char *w, size_t wlen)
{
	for (const char *p = k; p != NULL; p = strchr(p, ' ')) {
		if (*p == ' ')
			p++;
		if (strncmp(p, w, wlen) == 0)
			return true;
	}
	return false;
}

/* How key k (kc without its spaces) matches q, or -1. */
static int
match_key(const char *k, const char *kc, const struct query *q)
{
	size_t i;

	if (strcmp(k, q->norm) == 0)
		return SEARCH_EXACT;
	if (strncmp(k, q->norm, q->len) == 0)
		return SEARCH_PREFIX;
	for (i = 0; i < q->nwords; i++)
		if (!word_start(k, q->word[i], q->wlen[i]))
			break;
	if (i == q->nwords)
		return SEARCH_WORD;
	for (i = 0; i < q->nwords; i++)
		if (strstr(k, q->word[i]) == NULL)
			break;
	if (i == q->nwords || strstr(kc, q->compact) != NULL)
		return SEARCH_SUBSTRING;
	return -1;
}

struct hit {
	int	match;
	size_t	entry;
};

/* <0 when a is better than b. */
static int
hit_cmp(const struct search_index *idx, const struct hit *a, const struct hit *b)
{
	const struct entry *x = &idx->entries[a->entry], *y = &idx->entries[b->entry];
	int c;

	if (a->match != b->match)
		return a->match < b->match ? -1 : 1;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	if ((c = strcmp(idx->text + x->sort, idx->text + y->sort)) != 0)
		return c;
	return a->entry < b->entry ? -1 : a->entry > b->entry;
}

unsigned
search_types(const char *s)
{
	unsigned set = 0;

	while (s != NULL && *s != '\0') {
		size_t n = strcspn(s, ","), t;
		for (t = 0; t < SEARCH__TYPES; t++)
			if (strlen(search_type_name[t]) == n &&
			    strncmp(s, search_type_name[t], n) == 0)
				break;
		if (t == SEARCH__TYPES)
			return 0;
		set |= SEARCH_TYPE(t);
		s += n;
		if (*s == ',')
			s++;
	}
	return set;
}

size_t
search_run(const struct search_index *idx, const char *s, unsigned types,
    struct search_result *out, size_t max)
{
	struct hit top[SEARCH_RESULTS_MAX];
	struct query q;
	size_t ntop = 0, total = 0;

	if (max > SEARCH_RESULTS_MAX)
		max = SEARCH_RESULTS_MAX;
	if (s == NULL || !query_read(&q, s))
		return 0;
	for (size_t i = 0; i < idx->n; i++) {
		const struct entry *e = &idx->entries[i];
		if (!(types & SEARCH_TYPE(e->type)))
			continue;
		int m = match_key(idx->text + e->key[0], idx->text + e->compact[0], &q);
		if (m != SEARCH_EXACT && e->key[1] != NOKEY) {
			int m2 = match_key(idx->text + e->key[1], idx->text + e->compact[1], &q);
			if (m2 >= 0 && (m < 0 || m2 < m))
				m = m2;
		}
		if (m < 0)
			continue;
		total++;
		struct hit h = { m, i };
		if (max == 0 || (ntop == max && hit_cmp(idx, &h, &top[ntop - 1]) >= 0))
			continue;
		size_t at = ntop < max ? ntop++ : ntop - 1;
		for (; at > 0 && hit_cmp(idx, &h, &top[at - 1]) < 0; at--)
			top[at] = top[at - 1];
		top[at] = h;
	}
	for (size_t i = 0; i < ntop; i++) {
		const struct entry *e = &idx->entries[top[i].entry];
		out[i].type = e->type;
		out[i].match = (enum search_match)top[i].match;
		out[i].index = e->index;
	}
	return total;
}

const char *
search_result_id(const struct inventory *inv, const struct search_result *r)
{
	switch (r->type) {
	case SEARCH_HAMLET:
		return inv->hamlets[r->index].id;
	case SEARCH_AGENT:
		return inv->hamlets[r->index].agent;
	case SEARCH_VILLAGE:
		return inv->communes[inv->hamlets[r->index].commune].id;
	case SEARCH_COMMUNE:
		return inv->communes[r->index].id;
	default:
		return inv->provinces[r->index].id;
	}
}

const char *
search_result_name(const struct inventory *inv, const struct search_result *r)
{
	switch (r->type) {
	case SEARCH_HAMLET:
	case SEARCH_AGENT:
		return inv->hamlets[r->index].name;
	case SEARCH_VILLAGE:
		return inv->hamlets[r->index].village;
	case SEARCH_COMMUNE:
		return inv->communes[r->index].name;
	default:
		return inv->provinces[r->index].name;
	}
}

int
search_result_page(const struct inventory *inv, const struct search_result *r,
    char *buf, size_t len)
{
	const char *kind, *id;
	int n;

	switch (r->type) {
	case SEARCH_HAMLET:
	case SEARCH_AGENT:
		kind = "hamlet";
		id = inv->hamlets[r->index].id;
		break;
	case SEARCH_VILLAGE:
	case SEARCH_COMMUNE:
		kind = "commune";
		id = search_result_id(inv, r);
		break;
	default:
		kind = "province";
		id = inv->provinces[r->index].id;
		break;
	}
	n = snprintf(buf, len, "/%s/%s", kind, id);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

void
search_result_place(const struct inventory *inv, const struct search_result *r,
    int32_t *province, int32_t *commune)
{
	switch (r->type) {
	case SEARCH_HAMLET:
	case SEARCH_AGENT:
	case SEARCH_VILLAGE:
		*commune = inv->hamlets[r->index].commune;
		*province = inv->hamlets[r->index].province;
		break;
	case SEARCH_COMMUNE:
		*commune = (int32_t)r->index;
		*province = inv->communes[r->index].province;
		break;
	default:
		*commune = -1;
		*province = (int32_t)r->index;
		break;
	}
}

bool
search_village_has(const struct inventory *inv, const struct search_result *r, size_t h)
{
	const struct inv_hamlet *v = &inv->hamlets[r->index], *x = &inv->hamlets[h];

	return r->type == SEARCH_VILLAGE && v->village[0] != '\0' &&
	    x->commune == v->commune && strcmp(x->village, v->village) == 0;
}

/*
 * The index of the latest inventory searched, with a reference to that
 * inventory so that no other can take its address while it is the key.
 * Reference-counted, so that searches run outside the lock while a new
 * inventory's index replaces it.
 */
struct cached {
	atomic_int		 refs;
	struct inv_ref		*ref;
	struct search_index	*idx;
};
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;	/* protects cache */
static struct cached *cache;

static void
cached_put(struct cached *c)
{
	if (c == NULL || atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	search_index_free(c->idx);
	/* The last reference frees a whole inventory. */
	inv_ref_put(c->ref);
	free(c);
}

long
search_inventory(struct inv_ref *ref, const char *q, unsigned types,
    struct search_result *out, size_t max)
{
	struct cached *c, *old = NULL;
	long n;

	pthread_mutex_lock(&cache_lock);
	if (cache == NULL || cache->ref != ref) {
		if ((c = calloc(1, sizeof *c)) == NULL ||
		    (c->idx = search_index_new(ref->inv)) == NULL) {
			pthread_mutex_unlock(&cache_lock);
			free(c);
			return -1;
		}
		atomic_init(&c->refs, 1);
		c->ref = inv_ref_get(ref);
		old = cache;
		cache = c;
	}
	c = cache;
	atomic_fetch_add(&c->refs, 1);
	pthread_mutex_unlock(&cache_lock);
	cached_put(old);
	n = (long)search_run(c->idx, q, types, out, max);
	cached_put(c);
	return n;
}
