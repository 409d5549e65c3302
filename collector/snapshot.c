/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reference-counted snapshots and inventories, swapped under one lock. */
#include "snapshot.h"

#include <stdio.h>
#include <stdlib.h>

struct inv_ref *
inv_ref_new(struct inventory *inv, const char *path, double when)
{
	struct inv_ref *r = calloc(1, sizeof *r);

	if (r == NULL)
		return NULL;
	atomic_init(&r->refs, 1);
	r->inv = inv;
	snprintf(r->loaded_from, sizeof r->loaded_from, "%s", path);
	r->loaded_at = when;
	return r;
}

struct inv_ref *
inv_ref_get(struct inv_ref *r)
{
	if (r)
		atomic_fetch_add(&r->refs, 1);
	return r;
}

void
inv_ref_put(struct inv_ref *r)
{
	if (r == NULL || atomic_fetch_sub(&r->refs, 1) != 1)
		return;
	inventory_free(r->inv);
	free(r);
}

void
snapshot_box_init(struct snapshot_box *b)
{
	pthread_mutex_init(&b->lock, NULL);
	b->cur = NULL;
}

void
snapshot_box_destroy(struct snapshot_box *b)
{
	snapshot_put(b->cur);
	b->cur = NULL;
	pthread_mutex_destroy(&b->lock);
}

struct snapshot *
snapshot_get(struct snapshot_box *b)
{
	pthread_mutex_lock(&b->lock);
	struct snapshot *s = b->cur;
	if (s)
		atomic_fetch_add(&s->refs, 1);
	pthread_mutex_unlock(&b->lock);
	return s;
}

void
snapshot_publish(struct snapshot_box *b, struct snapshot *s)
{
	pthread_mutex_lock(&b->lock);
	struct snapshot *old = b->cur;
	b->cur = s;
	pthread_mutex_unlock(&b->lock);
	snapshot_put(old);
}

void
snapshot_put(struct snapshot *s)
{
	if (s == NULL || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	coverage_free(s->cov);
	inv_ref_put(s->inv);
	free(s->views);
	free(s->unknown);
	free(s);
}
