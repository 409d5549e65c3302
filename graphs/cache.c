/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Cache of rendered graphs: a short-lived, bounded list searched linearly
 * (a few hundred entries at most: a dashboard shows tens of graphs at a
 * time), with the least recently used entry evicted first.
 */
#include "cache.h"

#include "clock.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 160

/* librrd's graph code has global state: one lock for the whole process,
 * whatever the number of caches. */
static pthread_mutex_t render_lock = PTHREAD_MUTEX_INITIALIZER;

struct entry {
	char key[KEY_MAX];
	unsigned char *data;
	size_t len;
	double born;       /* clock at render */
	double used;       /* clock at last hit, for LRU */
};

struct graph_cache {
	pthread_mutex_t lock;  /* protects everything below */
	double ttl;
	size_t max_entries, max_bytes;
	double (*now)(void);
	struct entry *v;
	size_t n;
	size_t bytes;
	struct graph_cache_stats stats;
};

struct graph_cache *
graph_cache_new(double ttl, size_t max_entries, size_t max_bytes)
{
	struct graph_cache *c;

	if (ttl <= 0 || max_entries == 0 || max_bytes == 0)
		return NULL;
	if ((c = calloc(1, sizeof *c)) == NULL)
		return NULL;
	if ((c->v = calloc(max_entries, sizeof *c->v)) == NULL) {
		free(c);
		return NULL;
	}
	if (pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c->v);
		free(c);
		return NULL;
	}
	c->ttl = ttl;
	c->max_entries = max_entries;
	c->max_bytes = max_bytes;
	c->now = clock_mono;
	return c;
}

void
graph_cache_free(struct graph_cache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].data);
	pthread_mutex_destroy(&c->lock);
	free(c->v);
	free(c);
}

void
graph_cache_set_clock(struct graph_cache *c, double (*now)(void))
{
	pthread_mutex_lock(&c->lock);
	c->now = now != NULL ? now : clock_mono;
	pthread_mutex_unlock(&c->lock);
}

/* Callers hold c->lock. */
static void
drop(struct graph_cache *c, size_t i)
{
	c->bytes -= c->v[i].len;
	free(c->v[i].data);
	c->v[i] = c->v[--c->n];
}

static void
expire(struct graph_cache *c, double now)
{
	for (size_t i = 0; i < c->n;)
		if (now - c->v[i].born >= c->ttl)
			drop(c, i);
		else
			i++;
}

/* A fresh copy of key into out: 1, 0 when absent, -1 out of memory. */
static int
lookup(struct graph_cache *c, const char *key, enum graph_format f, struct graph_out *out)
{
	double now = c->now();

	expire(c, now);
	for (size_t i = 0; i < c->n; i++) {
		struct entry *e = &c->v[i];

		if (strcmp(e->key, key) != 0)
			continue;
		if ((out->data = malloc(e->len)) == NULL)
			return -1;
		memcpy(out->data, e->data, e->len);
		out->len = e->len;
		out->format = f;
		e->used = now;
		return 1;
	}
	return 0;
}

static void
insert(struct graph_cache *c, const char *key, const struct graph_out *img)
{
	struct entry *e;
	double now = c->now();

	if (img->len > c->max_bytes)
		return;
	expire(c, now);
	while (c->n > 0 && (c->n >= c->max_entries || c->bytes + img->len > c->max_bytes)) {
		size_t lru = 0;

		for (size_t i = 1; i < c->n; i++)
			if (c->v[i].used < c->v[lru].used)
				lru = i;
		drop(c, lru);
		c->stats.evictions++;
	}
	e = &c->v[c->n];
	if ((e->data = malloc(img->len)) == NULL)
		return;   /* not cached: the caller still has its image */
	memcpy(e->data, img->data, img->len);
	memcpy(e->key, key, strlen(key) + 1);
	e->len = img->len;
	e->born = e->used = now;
	c->bytes += img->len;
	c->n++;
}

int
graph_render_locked(const struct graph_req *req, struct graph_out *out, char *err,
    size_t errlen)
{
	int r;

	pthread_mutex_lock(&render_lock);
	r = graph_render(req, out, err, errlen);
	pthread_mutex_unlock(&render_lock);
	return r;
}

int
graph_cache_render(struct graph_cache *c, const char *id, const struct graph_req *req,
    struct graph_out *out, char *err, size_t errlen)
{
	char key[KEY_MAX];
	int n, r;

	memset(out, 0, sizeof *out);
	n = snprintf(key, sizeof key, "%s/%s/%ld/%s/%ux%u/%s", graph_template_name(req->tmpl), id,
	    req->range, graph_format_name(req->format), req->width, req->height,
	    graph_lang_name(req->lang));
	if (n < 0 || (size_t)n >= sizeof key) {
		/* Ids are at most 64 bytes: this does not happen with valid ones. */
		snprintf(err, errlen, "graph id too long");
		return -1;
	}

	pthread_mutex_lock(&c->lock);
	r = lookup(c, key, req->format, out);
	if (r == 1)
		c->stats.hits++;
	pthread_mutex_unlock(&c->lock);
	if (r == 1)
		return 0;
	if (r == -1)
		goto nomem;

	/* Render lock before the second look: whoever rendered this graph
	 * while we waited has put it in the cache by now. Lock order is
	 * always render_lock, then c->lock. */
	pthread_mutex_lock(&render_lock);
	pthread_mutex_lock(&c->lock);
	r = lookup(c, key, req->format, out);
	if (r == 1)
		c->stats.hits++;
	else if (r == 0)
		c->stats.misses++;
	pthread_mutex_unlock(&c->lock);
	if (r != 0) {
		pthread_mutex_unlock(&render_lock);
		if (r == -1)
			goto nomem;
		return 0;
	}
	r = graph_render(req, out, err, errlen);
	/* A hit has no legend text: neither has a miss, so that callers see
	 * one behaviour. */
	if (r == 0) {
		free(out->legend);
		out->legend = NULL;
	}
	pthread_mutex_lock(&c->lock);
	c->stats.renders++;
	if (r == 0)
		insert(c, key, out);
	else
		c->stats.failures++;
	pthread_mutex_unlock(&c->lock);
	pthread_mutex_unlock(&render_lock);
	return r;
nomem:
	snprintf(err, errlen, "graph cache: out of memory");
	return -1;
}

void
graph_cache_get_stats(struct graph_cache *c, struct graph_cache_stats *out)
{
	pthread_mutex_lock(&c->lock);
	*out = c->stats;
	out->entries = c->n;
	out->bytes = c->bytes;
	pthread_mutex_unlock(&c->lock);
}
