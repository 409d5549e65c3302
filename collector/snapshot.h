/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the HTTP threads read: the latest evaluation with the inventory it
 * was made of and the agents' last values. A snapshot is immutable and
 * reference-counted: the writer publishes a new one every evaluation, and
 * a request keeps the one it started with until it is done.
 */
#ifndef COVMON_SNAPSHOT_H
#define COVMON_SNAPSHOT_H

#include "coverage.h"
#include "id.h"
#include "inventory.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

/* An inventory shared by the snapshots made of it (a reload makes a new one). */
struct inv_ref {
	atomic_int refs;
	struct inventory *inv;
	char loaded_from[512];
	double loaded_at;
};
struct inv_ref *inv_ref_new(struct inventory *inv, const char *path, double when);
struct inv_ref *inv_ref_get(struct inv_ref *r);
void inv_ref_put(struct inv_ref *r);

struct unknown_agent {
	char agent[ID_MAX + 1];
	char province[ID_MAX + 1];
	double last_seen;
	uint64_t samples;
};

struct snapshot {
	atomic_int refs;
	struct inv_ref *inv;              /* NULL when no inventory is configured */
	struct coverage *cov;             /* NULL when inv is NULL */
	struct agent_view *views;         /* one per hamlet (same index); reported
	                                     false where the agent never spoke */
	struct unknown_agent *unknown;    /* agents that report but are not in
	                                     the inventory */
	size_t nunknown;
	/* Inventory status for /api/v1/health. */
	char inventory_error[2048];       /* the last failed reload, "" if none */
	double inventory_error_at;
	/* The alert settings: when loaded, the last reload refused. */
	char config_error[1024];
	double config_error_at;
	double config_loaded_at;
};

struct snapshot_box {
	pthread_mutex_t lock;             /* protects cur */
	struct snapshot *cur;
};

void snapshot_box_init(struct snapshot_box *b);
void snapshot_box_destroy(struct snapshot_box *b);
/* The current snapshot with a reference taken (NULL before the first). */
struct snapshot *snapshot_get(struct snapshot_box *b);
/* Installs s (the box takes the caller's reference) and drops the old one. */
void snapshot_publish(struct snapshot_box *b, struct snapshot *s);
void snapshot_put(struct snapshot *s);

#endif
