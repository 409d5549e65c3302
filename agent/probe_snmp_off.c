/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The SNMP probe left out (COVMON_AGENT_SNMP=OFF, an access point with no
 * room for net-snmp, the largest of the agent's libraries):
 * probe_snmp_conf_load refuses [probe.snmp], so nothing below is reached;
 * power still comes from sysfs (probe_power.c). */
#include "probe_snmp.h"

#include <stdio.h>

bool
probe_snmp_built(void)
{
	return false;
}

struct probe_snmp *
probe_snmp_new(struct loop *l, const struct probe_snmp_conf *conf, char *err, size_t errlen)
{
	snprintf(err, errlen, "this covmon-agent was built without the SNMP probe "
	    "(COVMON_AGENT_SNMP=OFF)");
	return NULL;
}

void probe_snmp_start(struct probe_snmp *p, double start, double duration) {}
int probe_snmp_pending(const struct probe_snmp *p) { return 0; }
bool probe_snmp_done(const struct probe_snmp *p) { return true; }
void probe_snmp_free(struct probe_snmp *p) {}

int
probe_snmp_finish(struct probe_snmp *p, struct sample *s, struct probe_snmp_result *res)
{
	return 0;
}
