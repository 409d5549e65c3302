/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The coverage on /metrics (collector/metrics.c).
 */
#ifndef COVMON_METRICS_H
#define COVMON_METRICS_H

#include "snapshot.h"

#include <stdio.h>

/* Writes the coverage gauges of snapshot s (NULL: only the alerts). */
void metrics_coverage(FILE *out, const struct snapshot *s);

#endif
