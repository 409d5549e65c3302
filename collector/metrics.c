/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The coverage on /metrics (DESIGN.md section 8), beside the collector's
 * own counters (counters.c): covered and target ratios per province and
 * commune, hamlets per state, firing alerts per kind, and the pace, so
 * that provincial IT who run Prometheus and Grafana graph and alert on
 * coverage there. Read from one snapshot; ids are validated ids (section
 * 2) and need no escaping in label values.
 */
#include "metrics.h"

#include "alert.h"
#include "counters.h"

#include <math.h>

_Static_assert(AK__COUNT <= COUNTERS_ALERT_KINDS, "COUNTERS_ALERT_KINDS too small");

/* The scope gauges: name, HELP. */
static const char *const head[4][2] = {
	{ "covmon_covered_ratio", "Covered hamlets over all hamlets of the scope (0-1)." },
	{ "covmon_target_ratio", "The scope's rollout target (0-1): its own, else its "
	    "province's." },
	{ "covmon_target_deadline_timestamp_seconds", "When the scope's target is due "
	    "(00:00 UTC of its deadline)." },
	{ "covmon_on_track", "1 when the target is reached or, at the pace of the last "
	    "30 days, reached by its deadline; 0 when not; absent when unknown." },
};

/*
 * One gauge of a scope: `what` indexes head[] above. Every series also has
 * its province, so that a dashboard picks a province's communes with one
 * label.
 */
static void
scope_line(FILE *out, int what, const char *scope, const char *id,
    const char *province, const struct rollup *r)
{
	double v;

	switch (what) {
	case 0:
		v = r->covered_pct / 100.0;
		break;
	case 1:
		v = r->target_pct / 100.0;
		break;
	case 2:
		v = r->deadline != INV_NO_DATE ? (double)r->deadline * 86400.0 : NAN;
		break;
	default:
		v = r->pace.known ? (r->pace.on_track ? 1 : 0) : NAN;
		break;
	}
	if (isfinite(v))
		fprintf(out, "%s{scope=\"%s\",id=\"%s\",province=\"%s\"} %.10g\n",
		    head[what][0], scope, id, province, v);
}

void
metrics_coverage(FILE *out, const struct snapshot *s)
{
	fprintf(out, "# HELP covmon_alerts_firing Alerts firing now, by kind and severity.\n"
	    "# TYPE covmon_alerts_firing gauge\n");
	for (int k = 0; k < AK__COUNT; k++) {
		static const char *const sev[] = {
			[SEV_INFO] = "info", [SEV_WARNING] = "warning", [SEV_CRITICAL] = "critical",
		};
		fprintf(out, "covmon_alerts_firing{kind=\"%s\",severity=\"%s\"} %ld\n",
		    alert_kind_name[k], sev[alert_kind_severity((enum alert_kind)k)],
		    atomic_load(&counters.alerts_firing[k]));
	}
	if (s == NULL || s->cov == NULL)
		return;
	const struct inventory *inv = s->inv->inv;
	const struct coverage *c = s->cov;

	fprintf(out, "# HELP covmon_hamlets Hamlets of the province in each state "
	    "(DESIGN.md section 6).\n# TYPE covmon_hamlets gauge\n");
	for (size_t i = 0; i < inv->nprovinces; i++)
		for (int st = 0; st < HS__COUNT; st++)
			fprintf(out, "covmon_hamlets{province=\"%s\",state=\"%s\"} %u\n",
			    inv->provinces[i].id, hamlet_state_name[st],
			    c->provinces[i].counts[st]);
	for (int w = 0; w < 4; w++) {
		fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n", head[w][0], head[w][1],
		    head[w][0]);
		for (size_t i = 0; i < inv->nprovinces; i++)
			scope_line(out, w, "province", inv->provinces[i].id,
			    inv->provinces[i].id, &c->provinces[i]);
		for (size_t i = 0; i < inv->ncommunes; i++)
			scope_line(out, w, "commune", inv->communes[i].id,
			    inv->provinces[inv->communes[i].province].id, &c->communes[i]);
	}
}
