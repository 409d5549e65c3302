/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Alert matches ("province:lao-cai", "*") and silence ends ("2h",
 * "2026-12-31T18:00+07:00"), shared by the collector and the CLI. */
#include "alert_match.h"
#include "conf.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int
alert_match_parse(const char *s, struct alert_match *m)
{
	static const struct { const char *p; enum match_type t; } tab[] = {
		{ "province:", MT_PROVINCE }, { "commune:", MT_COMMUNE },
		{ "hamlet:", MT_HAMLET }, { "agent:", MT_AGENT },
	};

	memset(m, 0, sizeof *m);
	if (strcmp(s, "*") == 0) {
		m->type = MT_ANY;
		return 0;
	}
	for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
		size_t n = strlen(tab[i].p);
		if (strncmp(s, tab[i].p, n) == 0 && id_valid(s + n)) {
			m->type = tab[i].t;
			memcpy(m->id, s + n, strlen(s + n) + 1);
			return 0;
		}
	}
	return -1;
}

void
alert_match_str(const struct alert_match *m, char *buf, size_t len)
{
	static const char *const pre[] = { "*", "province:", "commune:", "hamlet:", "agent:" };

	snprintf(buf, len, "%s%s", pre[m->type], m->type == MT_ANY ? "" : m->id);
}

static bool
same(const char *a, const char *b)
{
	return a != NULL && strcmp(a, b) == 0;
}

bool
alert_match_hits(const struct alert_match *m, const char *province, const char *commune,
    const char *agent, const char (*hamlets)[ID_MAX + 1], size_t nhamlets)
{
	switch (m->type) {
	case MT_ANY:
		return true;
	case MT_PROVINCE:
		return same(province, m->id);
	case MT_COMMUNE:
		return same(commune, m->id);
	case MT_AGENT:
		return same(agent, m->id);
	case MT_HAMLET:
		for (size_t i = 0; i < nhamlets; i++)
			if (same(hamlets[i], m->id))
				return true;
		return false;
	}
	return false;
}

int
alert_parse_until(const char *s, double now, double *out)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
	char *end;
	double v;

	while (isspace((unsigned char)*s))
		s++;
	if (*s == '\0')
		return -1;
	/* A plain number: a Unix time when it is large, else seconds. */
	v = strtod(s, &end);
	if (end != s && *end == '\0' && isfinite(v) && v >= 0) {
		*out = v > 1e9 ? v : now + v;
		return 0;
	}
	if (parse_duration(s, &v) == 0) {
		*out = now + v;
		return 0;
	}
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3)
		return -1;
	s += n;
	if (*s == 'T' || *s == ' ') {
		int m = 0;
		if (sscanf(s + 1, "%2d:%2d%n", &h, &mi, &m) != 2)
			return -1;
		s += 1 + m;
		if (*s == ':') {
			if (sscanf(s + 1, "%2d%n", &sec, &m) != 1)
				return -1;
			s += 1 + m;
		}
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 ||
	    h < 0 || mi < 0 || sec < 0)
		return -1;
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
	    .tm_hour = h, .tm_min = mi, .tm_sec = sec, .tm_isdst = -1 };
	if (*s == '\0') {
		time_t t = mktime(&tm);
		if (t == (time_t)-1)
			return -1;
		*out = (double)t;
		return 0;
	}
	long off = 0;
	if (strcmp(s, "Z") != 0) {
		int oh, om;
		if ((s[0] != '+' && s[0] != '-') || sscanf(s + 1, "%2d:%2d", &oh, &om) != 2 ||
		    strlen(s) != 6)
			return -1;
		off = (oh * 3600L + om * 60L) * (s[0] == '-' ? -1 : 1);
	}
	*out = (double)(timegm(&tm) - off);
	return 0;
}
