/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * FNV-1a, 64 bits: the hash of the in-memory tables keyed by an id or a
 * path (the writer's agents, the alert engine's alerts and trackers, the
 * store's first-touch cache). Never stored: it may change.
 */
#ifndef COVMON_HASH_H
#define COVMON_HASH_H

#include <stdint.h>

#define HASH_INIT 14695981039346656037ULL

/* Goes on from h (HASH_INIT, or that mixed with a key's other part). */
static inline uint64_t
hash_more(uint64_t h, const char *s)
{
	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static inline uint64_t
hash_str(const char *s)
{
	return hash_more(HASH_INIT, s);
}

#endif
