/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The agent's configuration (DESIGN.md section 4): read, validated whole. */
#include "agent.h"
#include "conf.h"
#include "log.h"

#include <string.h>

#define CHECK(x) do { if ((x) == -1) goto fail; } while (0)

static int
check_id(struct conf *c, const char *sec, const char *key, char *dst, char *err, size_t errlen)
{
	const char *v;
	const struct conf_entry *e;

	if (conf_require(c, sec, key, &v, err, errlen) == -1)
		return -1;
	if (!id_valid(v)) {
		e = conf_get(c, sec, key);
		snprintf(err, errlen, "%s:%u: [%s] %s = '%s': not a valid id "
		    "(1-64 characters of a-z 0-9 . _ -, starting with a letter or digit)",
		    c->path, e->line, sec, key, v);
		return -1;
	}
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

static int
targets(struct conf *c, const char *sec, char (*items)[256], int max, int *n, char *err,
    size_t errlen)
{
	const char *v;

	if (conf_require(c, sec, "targets", &v, err, errlen) == -1)
		return -1;
	*n = conf_split_list(v, items, max);
	if (*n <= 0) {
		const struct conf_entry *e = conf_get(c, sec, "targets");
		snprintf(err, errlen, "%s:%u: [%s] targets: expected 1 to %d targets", c->path,
		    e->line, sec, max);
		return -1;
	}
	return 0;
}

static int
conf_read(struct agent_conf *ac, const char *path, bool reload, char *err, size_t errlen)
{
	struct conf c;
	long l;
	double d;

	memset(ac, 0, sizeof *ac);
	if (conf_load(&c, path, err, errlen) == -1)
		return -1;
	snprintf(ac->path, sizeof ac->path, "%s", path);

	CHECK(check_id(&c, "agent", "id", ac->id, err, errlen));
	CHECK(check_id(&c, "agent", "province", ac->province, err, errlen));
	CHECK(conf_duration(&c, "agent", "interval", 60, 1, SAMPLE_MAX_INTERVAL, &ac->interval,
	    err, errlen));
	CHECK(conf_copy_str(ac->spool_dir, sizeof ac->spool_dir,
	    conf_str(&c, "agent", "spool_dir", "/var/spool/covmon-agent"), path, "spool_dir",
	    err, errlen));
	CHECK(conf_double(&c, "agent", "spool_max_mb", 16, 0.01, 1024 * 1024, &d, err, errlen));
	ac->spool_max_bytes = (uint64_t)(d * 1024 * 1024);
	CHECK(conf_copy_str(ac->user, sizeof ac->user, conf_str(&c, "agent", "user", ""), path,
	    "user", err, errlen));
	CHECK(conf_duration(&c, "agent", "start_delay", 30, 0, 3600, &ac->start_delay, err,
	    errlen));

	const struct mqtt_conf_defaults md = {
		.host = "127.0.0.1", .topic_prefix = "covmon/v1", .keepalive = 60,
		.skip_files = reload,
	};
	CHECK(mqtt_conf_parse(&c, &md, &ac->mqtt, err, errlen));
	CHECK(conf_duration(&c, "mqtt", "ack_timeout", 30, 1, 3600, &ac->ack_timeout, err,
	    errlen));
	CHECK(conf_long(&c, "mqtt", "window", 16, 1, 1000, &l, err, errlen));
	ac->window = (int)l;

	if (conf_has_section(&c, "probe.icmp")) {
		ac->icmp_on = true;
		CHECK(targets(&c, "probe.icmp", ac->icmp.targets, ICMP_MAX_TARGETS,
		    &ac->icmp.ntargets, err, errlen));
		CHECK(conf_long(&c, "probe.icmp", "count", 20, 1, 1000, &l, err, errlen));
		ac->icmp.count = (int)l;
		CHECK(conf_long(&c, "probe.icmp", "timeout_ms", 2000, 10, 60000, &l, err, errlen));
		ac->icmp.timeout = (double)l / 1000;
		if (ac->icmp.timeout >= ac->interval) {
			snprintf(err, errlen, "%s: [probe.icmp] timeout_ms must be shorter than "
			    "the interval", path);
			goto fail;
		}
	}
	if (conf_has_section(&c, "probe.tcp")) {
		ac->tcp_on = true;
		CHECK(targets(&c, "probe.tcp", ac->tcp.targets, TCP_MAX_TARGETS, &ac->tcp.ntargets,
		    err, errlen));
		CHECK(conf_long(&c, "probe.tcp", "timeout_ms", 5000, 10, 60000, &l, err, errlen));
		ac->tcp.timeout = (double)l / 1000;
	}
	probe_pcap_conf_default(&ac->pcap);
	if (conf_has_section(&c, "probe.pcap")) {
		ac->pcap_on = true;
		CHECK(probe_pcap_conf_load(&c, &ac->pcap, err, errlen));
	}
	if (conf_has_section(&c, "probe.snmp")) {
		ac->snmp_on = true;
		CHECK(probe_snmp_conf_load(&c, &ac->snmp, err, errlen));
	}
	CHECK(conf_unused(&c, err, errlen));
	conf_free(&c);
	return 0;
fail:
	conf_free(&c);
	agent_conf_clear(ac);
	return -1;
}

int
agent_conf_load(struct agent_conf *ac, const char *path, char *err, size_t errlen)
{
	return conf_read(ac, path, false, err, errlen);
}

int
agent_conf_reload(struct agent_conf *ac, const char *path, char *err, size_t errlen)
{
	return conf_read(ac, path, true, err, errlen);
}

void
agent_conf_clear(struct agent_conf *ac)
{
	mqtt_conf_clear(&ac->mqtt);
}

void
agent_conf_print(const struct agent_conf *ac, FILE *out)
{
	fprintf(out, "[agent]\nid = %s\nprovince = %s\ninterval = %g\nspool_dir = %s\n"
	    "spool_max_mb = %g\nuser = %s\nstart_delay = %g\n\n", ac->id, ac->province,
	    ac->interval, ac->spool_dir, (double)ac->spool_max_bytes / (1024 * 1024), ac->user,
	    ac->start_delay);
	char extra[128];
	snprintf(extra, sizeof extra, "ack_timeout = %g\nwindow = %d\n", ac->ack_timeout,
	    ac->window);
	mqtt_conf_print(&ac->mqtt, extra, out);
	if (ac->icmp_on) {
		fprintf(out, "[probe.icmp]\ntargets =");
		for (int i = 0; i < ac->icmp.ntargets; i++)
			fprintf(out, "%s %s", i ? "," : "", ac->icmp.targets[i]);
		fprintf(out, "\ncount = %d\ntimeout_ms = %.0f\n\n", ac->icmp.count,
		    ac->icmp.timeout * 1000);
	}
	if (ac->tcp_on) {
		fprintf(out, "[probe.tcp]\ntargets =");
		for (int i = 0; i < ac->tcp.ntargets; i++)
			fprintf(out, "%s %s", i ? "," : "", ac->tcp.targets[i]);
		fprintf(out, "\ntimeout_ms = %.0f\n\n", ac->tcp.timeout * 1000);
	}
	if (ac->snmp_on)
		probe_snmp_conf_print(&ac->snmp, out);
	if (ac->pcap_on) {
		const struct probe_pcap_conf *pc = &ac->pcap;
		fprintf(out, "[probe.pcap]\ninterface = %s\nfilter = %s\nbuffer_kb = %ld\n"
		    "promisc = %s\nmax_flows = %u\nmax_clients = %u\n", pc->interface, pc->filter,
		    pc->buffer_kb, pc->promisc ? "yes" : "no", pc->max_flows, pc->max_clients);
		if (pc->has_own_mac)
			fprintf(out, "own_mac = %02x:%02x:%02x:%02x:%02x:%02x\n", pc->own_mac[0],
			    pc->own_mac[1], pc->own_mac[2], pc->own_mac[3], pc->own_mac[4],
			    pc->own_mac[5]);
		fprintf(out, "\n");
	}
}
