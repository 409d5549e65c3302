/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What alert routes and silences match (DESIGN.md section 7), and when a
 * silence ends: parsed the same way by the collector (routes, the API's
 * silences, the pages) and the CLI (`covmon silence add`), which checks
 * them before it sends them.
 */
#ifndef COVMON_ALERT_MATCH_H
#define COVMON_ALERT_MATCH_H

#include "id.h"

#include <stdbool.h>
#include <stddef.h>

/* What a route or a silence matches: province:ID, commune:ID, hamlet:ID,
 * agent:ID or *. */
enum match_type { MT_ANY, MT_PROVINCE, MT_COMMUNE, MT_HAMLET, MT_AGENT };
struct alert_match {
	enum match_type type;
	char id[ID_MAX + 1];
};
/* Parses "province:lao-cai" or "*". Returns 0, or -1. */
int alert_match_parse(const char *s, struct alert_match *m);
void alert_match_str(const struct alert_match *m, char *buf, size_t len);

/* Whether m matches an alert of these province, commune, agent and hamlets
 * (any of them for hamlet:ID); NULL fields match nothing but *. The one
 * rule of silences and routes: the engine (alert_silence_matches) and the
 * pages' SQL (covmon_silence_matches(), pages_db.c) both call it. */
bool alert_match_hits(const struct alert_match *m, const char *province,
    const char *commune, const char *agent, const char (*hamlets)[ID_MAX + 1],
    size_t nhamlets);

/* A silence's end: a duration from now ("2h", "30m", "90"), a Unix time
 * (> 10^9) or an ISO date-time ("2025-11-22T18:00", seconds and a zone
 * "Z"/"+07:00" optional; local time without one). Returns 0, or -1. */
int alert_parse_until(const char *s, double now, double *out);

#endif
