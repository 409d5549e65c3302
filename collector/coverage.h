/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Coverage evaluation (DESIGN.md section 6): every hamlet is, at each
 * evaluation, exactly one of covered, degraded, down, unreachable or
 * unmonitored; communes and provinces roll up against their targets.
 *
 * coverage_evaluate() is a pure function of the inventory, what is known of
 * each agent, the thresholds and the time: no I/O, no clock of its own, so
 * the rules are tested with a fixed clock. Its result is an immutable
 * snapshot that the HTTP threads read while the writer builds the next one.
 */
#ifndef COVMON_COVERAGE_H
#define COVMON_COVERAGE_H

#include "inventory.h"
#include "metric.h"
#include "sample.h"
#include "target.h"

#include <stdbool.h>
#include <stdint.h>

/* A degraded hamlet is covered again only below this share of a threshold
 * (the hysteresis of DESIGN.md section 7; its alert says so). */
#define COVERAGE_CLEAR_FRACTION 0.8

enum hamlet_state {
	HS_COVERED,
	HS_DEGRADED,
	HS_DOWN,
	HS_UNREACHABLE,
	HS_UNMONITORED,
	HS__COUNT
};
/* "covered", "degraded", "down", "unreachable", "unmonitored" */
extern const char *const hamlet_state_name[HS__COUNT];
/* The state's index, or -1. Also accepts "uncovered" as -2 (down +
 * unreachable + unmonitored), for filters. */
int hamlet_state_lookup(const char *name);


struct coverage_conf {
	double window;             /* seconds of samples judged */
	double offline_after;      /* no fresh sample for this long: down */
	double max_loss_pct;
	double max_rtt_ms;
	double yellow_margin_pct;
};

/*
 * What the collector knows of one agent, from fresh samples only (a spool
 * draining after an outage fills the RRD but does not speak for now).
 */
struct agent_view {
	bool reported;             /* ever sent a sample or an online state */
	int online;                /* retained state / Last Will: 1, 0, -1 unknown */
	double last_seen;          /* wall time of the last fresh sample, 0 never */
	double loss_pct;           /* mean icmp_loss_pct over the window, NAN none */
	double rtt_ms;             /* mean icmp_rtt_avg_ms over the window, NAN none */
	uint64_t present;          /* last values (any freshness), for the API */
	double m[METRIC_COUNT];
	int64_t last_ts;           /* ts of the last stored sample, 0 none */
	double refused_skew;       /* last sample refused for its ts (in the
	                              future, or not after last_ts): its ts -
	                              its arrival, s */
	double refused_at;         /* its arrival (wall), 0 none */
	/* Its spool (DESIGN.md section 3), for the API. */
	char sid[SID_LEN + 1];     /* the spool that last sent, "" none or older agent */
	uint64_t last_seq;         /* that spool's last stored seq */
	uint64_t new_spools;       /* new spool ids seen since the collector started */
	double new_spool_at;       /* the last one (wall), 0 none */
	uint64_t gaps_passed;      /* gaps passed since the collector started */
	double gap_at;             /* the last one (wall), 0 none */
	uint64_t gap_from, gap_to; /* its seqs that never came */
};

/* Returns the agent's view, or NULL when the collector never heard of it. */
typedef const struct agent_view *(*agent_view_fn)(const char *agent, void *arg);

struct hamlet_eval {
	uint8_t state;             /* enum hamlet_state */
	bool overdue;              /* target_date passed and not covered */
	bool loss_breach;          /* why it is degraded */
	bool rtt_breach;
	int32_t root;              /* unreachable: index of the down hamlet up
	                              its uplink chain that is the root cause;
	                              else -1 */
	double since;              /* when it entered this state (carried over
	                              from the previous snapshot) */
	double last_seen;          /* its agent's, 0 never */
	double loss_pct, rtt_ms;   /* window figures, NAN none */
};

struct rollup {
	uint32_t counts[HS__COUNT];
	uint32_t total;
	uint32_t overdue;
	double covered_pct;        /* covered / total * 100; NAN when total is 0 */
	double target_pct;         /* the effective target, NAN when none */
	int32_t deadline;          /* days since the epoch, or INV_NO_DATE */
	int8_t colour;             /* enum colour */
	struct target_pace pace;   /* on_track, projected: filled by the
	                              evaluator from the pacer's slopes
	                              (collector/pace.h); known false until */
};

struct coverage {
	const struct inventory *inv;   /* not owned: kept alive by the caller */
	double at;                     /* wall time of the evaluation */
	bool blind;                    /* the collector's own input was down
	                                  recently: no hamlet turned down */
	struct hamlet_eval *hamlets;   /* inv->nhamlets */
	struct rollup *communes;       /* inv->ncommunes */
	struct rollup *provinces;      /* inv->nprovinces */
	struct rollup all;             /* every hamlet */
};

/*
 * Evaluates every hamlet at `now`. `input_since` is the wall time the
 * collector's input last came back (MQTT connected, or the collector
 * started): no agent turns down before offline_after has passed since then
 * (the collector's blindness is not a site outage). `prev` (may be NULL) is
 * the previous snapshot of the same inventory: it carries `since` and the
 * degraded hysteresis (a degraded hamlet is covered again only when loss
 * is below 80 % of max_loss_pct and RTT below 80 % of max_rtt_ms).
 * After a reload prev may be of the old inventory: its hamlets are then
 * matched by id, so prev->inv must still be alive (the caller's snapshot
 * holds it). Returns 0, or -1 when out of memory. Free with
 * coverage_free().
 */
int coverage_evaluate(struct coverage **out, const struct inventory *inv,
    const struct coverage_conf *cf, agent_view_fn view, void *arg, double now,
    double input_since, const struct coverage *prev);
void coverage_free(struct coverage *c);

#endif
