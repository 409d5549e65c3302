/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The inventory: every hamlet with its commune, province, agent and uplink
 * (inventory.csv), and the rollout targets of communes and provinces
 * (targets.csv), checked as a whole and held in memory for the evaluator,
 * the dashboard and the CLI (DESIGN.md sections 2, 5, 6 and 8).
 *
 * inventory_load() builds a new object and touches nothing else, so the
 * collector can keep serving the last good inventory when a reload fails.
 * A loaded inventory is never modified: threads may read it without a lock
 * for as long as its owner keeps it.
 */
#ifndef COVMON_INVENTORY_H
#define COVMON_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Dates are whole days since 1970-01-01 (UTC): a date means its 00:00 UTC,
 * that is (time_t)days * 86400. */
#define INV_NO_DATE		INT32_MIN	/* = TARGET_NO_DATE */
/* Bounds: past them a file is refused rather than eating the collector. */
#define INV_MAX_HAMLETS		2000000
#define INV_NAME_MAX		256	/* bytes in a display name */
/* inventory_load() reports at most this many errors before it gives up. */
#define INV_MAX_ERRORS		20

/* The columns of the two files, in their contract order. */
#define INV_INVENTORY_COLUMNS	13
#define INV_TARGETS_COLUMNS	4
extern const char *const inventory_columns[INV_INVENTORY_COLUMNS];
extern const char *const inventory_target_columns[INV_TARGETS_COLUMNS];

struct inv_target {
	bool		 set;
	double		 pct;		/* coverage_pct, 0..100 */
	int32_t		 deadline;	/* days since the epoch */
	size_t		 line;		/* in targets.csv */
};

struct inv_province {
	const char		*id;
	const char		*name;
	struct inv_target	 target;	/* its own (effective = own) */
	size_t			 ncommunes;
	size_t			 nhamlets;
	size_t			 line;		/* first row naming it */
};

struct inv_commune {
	const char		*id;
	const char		*name;
	int32_t			 province;	/* index in provinces */
	struct inv_target	 target;	/* its own row in targets.csv */
	struct inv_target	 effective;	/* own, else the province's */
	size_t			 nhamlets;
	size_t			 line;
};

struct inv_hamlet {
	const char	*id;
	const char	*name;
	const char	*village;	/* "" when not given */
	const char	*agent;		/* NULL: no agent installed yet */
	const char	*uplink_id;	/* NULL: direct backhaul */
	int32_t		 uplink;	/* index in hamlets, or -1 */
	int32_t		 commune;	/* index in communes */
	int32_t		 province;	/* index in provinces (its commune's) */
	bool		 placed;	/* lat and lon given */
	double		 lat, lon;
	int32_t		 target_date;	/* or INV_NO_DATE */
	int64_t		 population;	/* or -1: not given */
	size_t		 line;
};

struct inv_store;

/* Read-only after load. Arrays are in file order (a commune and a
 * province where they first appear). */
struct inventory {
	struct inv_province	*provinces;
	size_t			 nprovinces;
	struct inv_commune	*communes;
	size_t			 ncommunes;
	struct inv_hamlet	*hamlets;
	size_t			 nhamlets;
	size_t			 nagents;	/* hamlets with an agent */
	struct inv_store	*store;		/* strings and hash indexes */
};

/*
 * Load inventory_path and, when targets_path is not NULL, targets_path.
 * Returns 0 with *out set (free with inventory_free()), or -1 with *out
 * NULL and err holding up to INV_MAX_ERRORS errors, one a line (no final
 * newline), each "FILE:LINE:COLUMN: reason" (COLUMN counts characters, see
 * csv.h). Errors of single rows are all reported; the checks across rows
 * (uplinks known and acyclic, targets) run only on a file whose rows are
 * all good, so that one bad row does not echo as more errors.
 */
int	inventory_load(struct inventory **out, const char *inventory_path,
	    const char *targets_path, char *err, size_t errlen);
void	inventory_free(struct inventory *inv);

/* O(1) lookups by id: NULL when unknown. */
const struct inv_hamlet		*inventory_hamlet(const struct inventory *inv,
				    const char *id);
const struct inv_commune	*inventory_commune(const struct inventory *inv,
				    const char *id);
const struct inv_province	*inventory_province(const struct inventory *inv,
				    const char *id);
const struct inv_hamlet		*inventory_hamlet_by_agent(
				    const struct inventory *inv, const char *agent_id);

/* Counts for `covmon inventory check` and the collector's log. */
void	inventory_summary(const struct inventory *inv, FILE *fp);

/* "YYYY-MM-DD" of a date into buf (at least 11 bytes), "" for INV_NO_DATE. */
void	inventory_date_str(int32_t days, char *buf, size_t len);
/* The same, "31/12/2026" when vi. */
void	inventory_date_str_lang(int32_t days, bool vi, char *buf, size_t len);
/* "YYYY-MM-DD", a real date from 1970 on, into days. Returns 0 or -1. */
int	inventory_date_parse(const char *s, int32_t *days);

#endif
