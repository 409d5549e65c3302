/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Wire protocol v1 (DESIGN.md section 3): the sample, the ack and the state
 * message, encoded and decoded with json-c. The decoders are the first thing
 * network input meets: every rejection has its own code and reason label
 * (the label is what /metrics counts by).
 */
#ifndef COVMON_SAMPLE_H
#define COVMON_SAMPLE_H

#include "id.h"
#include "metric.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SAMPLE_MAX_BYTES 8192
#define SAMPLE_MAX_INTERVAL 3600
#define SID_LEN 16                /* a spool id: 16 lowercase hex digits */

/* Whether s is a spool id (SID_LEN of [0-9a-f]). */
bool sid_valid(const char *s);

struct sample {
	char agent[ID_MAX + 1];
	char sid[SID_LEN + 1];    /* the agent's spool; "" from older agents */
	uint64_t seq;
	bool has_prev;
	uint64_t prev;
	int64_t ts;               /* Unix seconds, end of the interval */
	uint32_t interval;        /* seconds, 1..3600 */
	uint64_t present;         /* bit i set: m[i] was measured */
	double m[METRIC_COUNT];   /* finite where present */
	unsigned unknown_metrics; /* names in "m" not in protocol v1 (ignored) */
};

enum sample_err {
	SAMPLE_OK = 0,
	SAMPLE_E_EMPTY,        /* "empty" */
	SAMPLE_E_TOO_BIG,      /* "oversize": more than SAMPLE_MAX_BYTES */
	SAMPLE_E_UTF8,         /* "bad_utf8" */
	SAMPLE_E_JSON,         /* "bad_json": not JSON, trailing garbage */
	SAMPLE_E_DEPTH,        /* "too_deep": nesting past what v1 uses */
	SAMPLE_E_DUPKEY,       /* "duplicate_key" */
	SAMPLE_E_NOT_OBJECT,   /* "not_object" */
	SAMPLE_E_VERSION,      /* "bad_version": v missing or not 1 */
	SAMPLE_E_TYPE,         /* "bad_type": a field of the wrong JSON type */
	SAMPLE_E_MISSING,      /* "missing_field" */
	SAMPLE_E_AGENT_ID,     /* "bad_id": agent fails section 2 */
	SAMPLE_E_SEQ,          /* "bad_seq": not a non-negative 64-bit integer */
	SAMPLE_E_TS,           /* "bad_ts" */
	SAMPLE_E_INTERVAL,     /* "bad_interval": not 1..3600 */
	SAMPLE_E_NONFINITE,    /* "non_finite": NaN, Infinity, 1e309 */
	SAMPLE_E_PREV,         /* "bad_prev": prev >= seq */
	SAMPLE_E_SID,          /* "bad_sid": not 16 lowercase hex digits */
	SAMPLE_E__COUNT
};

/* Short label of a rejection, for /metrics and logs ("bad_json"...). */
const char *sample_err_reason(enum sample_err e);

void sample_init(struct sample *s);
static inline void
sample_set(struct sample *s, int metric, double v)
{
	s->m[metric] = v;
	s->present |= (uint64_t)1 << metric;
}
static inline bool
sample_has(const struct sample *s, int metric)
{
	return (s->present >> metric) & 1;
}

/*
 * Decodes buf[0..len) (need not be NUL-terminated) into *out. Returns
 * SAMPLE_OK or the rejection, with msg set to a sentence for the log that
 * names the field ("field 'seq': expected an integer, got string").
 * msg may be NULL. On a rejection *out is left as sample_init() makes it.
 * Strict RFC 8259 JSON only; a key repeated in any object is
 * SAMPLE_E_DUPKEY; NaN/Infinity (any case) and numbers that overflow to
 * infinity are SAMPLE_E_NONFINITE; unknown top-level keys are ignored and
 * unknown metric names are counted whatever their value.
 */
enum sample_err sample_decode(const char *buf, size_t len, struct sample *out,
    char *msg, size_t msglen);

/* Encodes *s as compact JSON into buf. Returns the length (excluding the
 * NUL), or -1 when buf is too small or a value is not finite. Also -1 for
 * anything sample_decode() would refuse (bad agent id, ts <= 0, interval
 * out of range, prev >= seq): what is sent is always accepted. */
int sample_encode(const struct sample *s, char *buf, size_t len);

/* {"v":1,"seq":N,"sid":"…"} ("sid" left out when sid is ""). Encoders
 * return the length or -1 (buf too small, a sid that is neither "" nor
 * valid); decoders return 0, or -1 and leave the output untouched. An ack
 * without "sid" decodes with sid "". */
int ack_encode(uint64_t seq, const char *sid, char *buf, size_t len);
int ack_decode(const char *buf, size_t len, uint64_t *seq, char sid[SID_LEN + 1]);

struct agent_state {
	bool online;
	int64_t ts;
	char version[32];
	int64_t boot_ts;
	char sid[SID_LEN + 1];    /* "" when not sent */
};
/* {"v":1,"state":"online"|"offline","ts":…,"version":"…","boot_ts":…,"sid":"…"}.
 * state_encode() refuses a version that is not UTF-8. state_decode() takes
 * a missing version or boot_ts as "" and 0, and cuts a long version at a
 * character boundary: the retained state must be read whatever sent it; a
 * sid that is not valid is taken as "". */
int state_encode(const struct agent_state *st, char *buf, size_t len);
int state_decode(const char *buf, size_t len, struct agent_state *st);

#endif
