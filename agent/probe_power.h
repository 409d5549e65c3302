/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Power at the site from Linux sysfs: for routers and single-board
 * computers that know their own supply (read when no power OID is set). */
#ifndef COVMON_PROBE_POWER_H
#define COVMON_PROBE_POWER_H

#include "sample.h"

#define POWER_SYSFS_ROOT "/sys/class/power_supply"

/*
 * Power from Linux sysfs (root: POWER_SYSFS_ROOT, or a test directory):
 * a supply of type Mains gives power_mains_up (1 when any is online), the
 * first Battery gives battery_pct (capacity) and supply_volts (voltage_now,
 * in microvolts; else any supply's). Returns the number of metrics set.
 */
int probe_power_sysfs(const char *root, struct sample *s);

#endif
