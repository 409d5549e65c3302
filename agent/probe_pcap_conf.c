/* SPDX-License-Identifier: GPL-2.0-or-later */
/* [probe.pcap]: the capture probe's settings, read whether or not the probe
 * is built (probe_pcap.c with libpcap, probe_pcap_off.c without): a build
 * without it names the section it cannot honour. */
#include "probe_pcap.h"

#include <stdio.h>
#include <string.h>

#define SECTION		"probe.pcap"

void
probe_pcap_conf_default(struct probe_pcap_conf *out)
{
	memset(out, 0, sizeof *out);
	out->buffer_kb = PCAP_BUFFER_KB_DEFAULT;
	out->promisc = true;
	out->max_flows = PA_MAX_FLOWS_DEFAULT;
	out->max_clients = PA_MAX_CLIENTS_DEFAULT;
}

static int
conf_bad(struct conf *c, const char *key, const char *why, char *err, size_t errlen)
{
	const struct conf_entry *e = conf_get(c, SECTION, key);

	if (e == NULL)
		snprintf(err, errlen, "%s: [%s] %s: %s", c->path, SECTION, key, why);
	else
		snprintf(err, errlen, "%s:%u: [%s] %s = '%s': %s", c->path, e->line,
		    SECTION, key, e->value, why);
	return -1;
}

int
probe_pcap_conf_load(struct conf *c, struct probe_pcap_conf *out, char *err, size_t errlen)
{
	const char *v;
	long n;

	probe_pcap_conf_default(out);
	if (!probe_pcap_built()) {
		snprintf(err, errlen, "%s:%u: [%s]: this covmon-agent was built without the "
		    "capture probe (COVMON_AGENT_PCAP=OFF): remove the section, or install a "
		    "build with it", c->path, conf_section_line(c, SECTION), SECTION);
		return -1;
	}
	if (conf_require(c, SECTION, "interface", &v, err, errlen) == -1)
		return -1;
	if (strlen(v) >= sizeof out->interface)
		return conf_bad(c, "interface", "name too long", err, errlen);
	memcpy(out->interface, v, strlen(v) + 1);

	v = conf_str(c, SECTION, "filter", "");
	if (strlen(v) >= sizeof out->filter)
		return conf_bad(c, "filter", "longer than 1023 characters", err, errlen);
	memcpy(out->filter, v, strlen(v) + 1);

	if (conf_long(c, SECTION, "buffer_kb", PCAP_BUFFER_KB_DEFAULT, 64, 1048576,
	    &out->buffer_kb, err, errlen) == -1)
		return -1;
	if (conf_bool(c, SECTION, "promisc", true, &out->promisc, err, errlen) == -1)
		return -1;

	v = conf_str(c, SECTION, "own_mac", "");
	if (v[0] != '\0') {
		if (pcap_parse_mac(v, out->own_mac) == -1)
			return conf_bad(c, "own_mac", "expected a MAC address such as "
			    "02:00:5e:10:00:01", err, errlen);
		if (out->own_mac[0] & 1)
			return conf_bad(c, "own_mac", "a group (multicast) address "
			    "cannot be an interface's", err, errlen);
		out->has_own_mac = true;
	}

	if (conf_long(c, SECTION, "max_flows", PA_MAX_FLOWS_DEFAULT, 64, 1048576,
	    &n, err, errlen) == -1)
		return -1;
	out->max_flows = (uint32_t)n;
	if (conf_long(c, SECTION, "max_clients", PA_MAX_CLIENTS_DEFAULT, 16, 65536,
	    &n, err, errlen) == -1)
		return -1;
	out->max_clients = (uint32_t)n;
	return 0;
}
