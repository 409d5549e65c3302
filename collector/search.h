/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Search (DESIGN.md section 8): hamlets, villages, communes, provinces and
 * agents by name or id, with case and Vietnamese diacritics folded
 * (common/fold.h), best matches first. Serves /api/v1/search, the /search
 * page and, through the API, `covmon site NAME` and `covmon hamlets`.
 *
 * search_index_new() and search_run() are pure (an inventory in, results
 * out); search_inventory() keeps the index of the latest inventory for
 * the HTTP threads.
 */
#ifndef COVMON_SEARCH_H
#define COVMON_SEARCH_H

#include "inventory.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SEARCH_QUERY_MAX	200	/* bytes of a query: more is refused */
#define SEARCH_RESULTS_MAX	50	/* results returned at most */

/* In the order that breaks ties between equal matches: what a technician
 * looks for first (a site) before the places around it. */
enum search_type {
	SEARCH_HAMLET,
	SEARCH_AGENT,
	SEARCH_VILLAGE,
	SEARCH_COMMUNE,
	SEARCH_PROVINCE,
	SEARCH__TYPES
};
/* "hamlet", "agent", "village", "commune", "province" */
extern const char *const search_type_name[SEARCH__TYPES];

/* How a result matched, best first. A name and an id are both looked at;
 * the better match counts. Words are runs of letters and digits of the
 * folded text ("bx-suoi-chai" is the words bx, suoi, chai). */
enum search_match {
	SEARCH_EXACT,		/* the same words in the same order */
	SEARCH_PREFIX,		/* the name starts with the query */
	SEARCH_WORD,		/* each query word starts a word of the name,
				 * in any order */
	SEARCH_SUBSTRING,	/* each query word is somewhere in the name, or
				 * the query without spaces is ("suoichai") */
	SEARCH__MATCHES
};
/* "exact", "prefix", "word", "substring" */
extern const char *const search_match_name[SEARCH__MATCHES];

/*
 * One result. `index` is into the inventory's hamlets for a hamlet, an
 * agent (the hamlet it is installed at) and a village (its first hamlet in
 * file order: a village has no id, it is the hamlets of one commune that
 * share a `village` value), into communes for a commune, into provinces
 * for a province.
 */
struct search_result {
	enum search_type	type;
	enum search_match	match;
	size_t			index;
};

struct search_index;

/* The folded names and ids of inv. Returns NULL when out of memory; free
 * with search_index_free(). The index keeps no pointer into inv, but its
 * results are indexes into it: use them with the same inventory only. */
struct search_index	*search_index_new(const struct inventory *inv);
void			 search_index_free(struct search_index *idx);

/* A set of types: SEARCH_TYPE(SEARCH_COMMUNE) | ..., or SEARCH_ALL. */
#define SEARCH_TYPE(t)	(1u << (t))
#define SEARCH_ALL	(SEARCH_TYPE(SEARCH__TYPES) - 1)

/*
 * Searches for q (UTF-8, at most SEARCH_QUERY_MAX bytes: longer is cut)
 * among the things of the types in `types` and writes the best max (at
 * most SEARCH_RESULTS_MAX) results, best first (match, then type, then
 * folded name, then file order), to out. Returns how many matched in all
 * (may be more than max); 0 as well for a query without a letter or digit.
 */
size_t	search_run(const struct search_index *idx, const char *q, unsigned types,
	    struct search_result *out, size_t max);
/* The set of types named in s ("commune" or "hamlet,agent"), or 0 when a
 * name is unknown or s names none. */
unsigned search_types(const char *s);

/* Whether q holds something to search for (a letter or a digit). */
bool	search_query_empty(const char *q);

/*
 * What a result is called and where it leads (DESIGN.md section 8):
 * - id: the hamlet's, the agent's, the commune's, the province's; for a
 *   village its commune's id (the commune's page lists its hamlets);
 * - name: the hamlet's name for a hamlet and for an agent (which has
 *   none of its own), the village's, the commune's, the province's;
 * - page: "/hamlet/<id>" for a hamlet and for an agent (its hamlet's
 *   site page), "/commune/<id>" for a village and a commune,
 *   "/province/<id>" for a province. Returns -1 when len is too small.
 * province and commune: the indexes of the place it is in (commune -1 for
 * a province).
 */
const char	*search_result_id(const struct inventory *inv,
		    const struct search_result *r);
const char	*search_result_name(const struct inventory *inv,
		    const struct search_result *r);
int		 search_result_page(const struct inventory *inv,
		    const struct search_result *r, char *buf, size_t len);
void		 search_result_place(const struct inventory *inv,
		    const struct search_result *r, int32_t *province,
		    int32_t *commune);
/* Whether hamlet h is in the village of result r (a SEARCH_VILLAGE). */
bool		 search_village_has(const struct inventory *inv,
		    const struct search_result *r, size_t h);

/*
 * search_run() over the inventory of `ref` (a snapshot's), whose index is
 * built at its first search and kept until another inventory is searched
 * (the cache holds a reference to ref meanwhile). Thread-safe: searches
 * run side by side; only the building of an index is one at a time.
 * Returns as search_run(), or -1 when out of memory.
 */
struct inv_ref;
long	search_inventory(struct inv_ref *ref, const char *q, unsigned types,
	    struct search_result *out, size_t max);

#endif
