/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small cache of rendered graphs, so that a busy dashboard (every browser
 * on the site page asking for the same PNGs) does not render one graph many
 * times. Entries live for a short TTL and the cache is bounded in entries
 * and bytes. Thread-safe; rendering itself goes through one process-wide
 * render lock, because librrd's graph code must not run in two threads.
 */
#ifndef COVMON_GRAPHS_CACHE_H
#define COVMON_GRAPHS_CACHE_H

#include "templates.h"

#include <stddef.h>

struct graph_cache;

struct graph_cache_stats {
	unsigned long hits;
	unsigned long misses;
	unsigned long renders;		/* graph_render calls made */
	unsigned long failures;		/* renders that failed (not cached) */
	unsigned long evictions;	/* entries dropped for room (expired ones not counted) */
	size_t entries, bytes;		/* held now */
};

/* ttl in seconds (> 0); max_entries >= 1; max_bytes >= 1 (an image larger
 * than max_bytes is returned but not kept). Returns NULL on out of memory. */
struct graph_cache *graph_cache_new(double ttl, size_t max_entries, size_t max_bytes);
void graph_cache_free(struct graph_cache *c);

/* The clock the cache reads for its TTL (default clock_mono). For tests. */
void graph_cache_set_clock(struct graph_cache *c, double (*now)(void));

/*
 * The image of req for the scope id (a hamlet, commune or province id: the
 * key is template, id, range, format, size and language, so two requests
 * with the same key must describe the same graph). A fresh cached copy when there is one;
 * else renders under the render lock (checking the cache again once it holds
 * the lock, so concurrent requests for one graph render it once) and keeps
 * a copy. out->data is the caller's (graph_out_free). Returns 0, or -1 with
 * err from the render.
 */
int graph_cache_render(struct graph_cache *c, const char *id, const struct graph_req *req,
    struct graph_out *out, char *err, size_t errlen);

void graph_cache_get_stats(struct graph_cache *c, struct graph_cache_stats *out);

/* graph_render() under the process-wide render lock, without caching. */
int graph_render_locked(const struct graph_req *req, struct graph_out *out, char *err,
    size_t errlen);

#endif
