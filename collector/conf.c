/* The collector's configuration (DESIGN.md section 5): read, validated whole. */
#include "collector.h"
#include "conf.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define CHECK(x) do { if ((x) == -1) goto fail; } while (0)

static int
put(char *dst, size_t len, const char *src, const char *path, const char *what, char *err,
    size_t errlen)
{
	if (strlen(src) >= len) {
		snprintf(err, errlen, "%s: %s is too long (at most %zu bytes)", path, what, len - 1);
		return -1;
	}
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

static int
read_secret(const char *path, char *buf, size_t len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0) {
		snprintf(err, errlen, "%s: empty or unreadable", path);
		return -1;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

int
collector_conf_load(struct collector_conf *cc, const char *path, char *err, size_t errlen)
{
	struct conf c;
	long l;
	double d;
	const char *v;

	memset(cc, 0, sizeof *cc);
	if (conf_load(&c, path, err, errlen) == -1)
		return -1;
	snprintf(cc->path, sizeof cc->path, "%s", path);

	CHECK(put(cc->data_dir, sizeof cc->data_dir,
	    conf_str(&c, "collector", "data_dir", "/var/lib/covmon"), path, "data_dir", err, errlen));
	CHECK(put(cc->inventory, sizeof cc->inventory, conf_str(&c, "collector", "inventory", ""),
	    path, "inventory", err, errlen));
	CHECK(put(cc->targets, sizeof cc->targets, conf_str(&c, "collector", "targets", ""), path,
	    "targets", err, errlen));
	v = conf_str(&c, "collector", "provinces", "*");
	if (strcmp(v, "*") != 0) {
		char items[MAX_PROVINCES][256];
		int n = conf_split_list(v, items, MAX_PROVINCES);
		const struct conf_entry *e = conf_get(&c, "collector", "provinces");
		if (n <= 0) {
			snprintf(err, errlen, "%s:%u: [collector] provinces: expected * or 1 to %d "
			    "province ids", path, e->line, MAX_PROVINCES);
			goto fail;
		}
		for (int i = 0; i < n; i++) {
			if (!id_valid(items[i])) {
				snprintf(err, errlen, "%s:%u: [collector] provinces: '%s' is not a "
				    "valid id", path, e->line, items[i]);
				goto fail;
			}
			memcpy(cc->provinces[i], items[i], strlen(items[i]) + 1);
		}
		cc->nprovinces = n;
	}
	CHECK(conf_duration(&c, "collector", "eval_interval", 60, 1, 3600, &cc->eval_interval,
	    err, errlen));
	CHECK(conf_duration(&c, "collector", "max_clock_skew", 300, 1, 86400, &cc->max_clock_skew,
	    err, errlen));
	/* Not in the sample config: lowered by tests that watch a gap expire. */
	CHECK(conf_duration(&c, "collector", "gap_timeout", 600, 1, 86400, &cc->gap_timeout,
	    err, errlen));
	CHECK(conf_long(&c, "collector", "queue_size", 65536, 16, 4 * 1024 * 1024, &l, err,
	    errlen));
	cc->queue_size = (int)l;

	CHECK(put(cc->mqtt_host, sizeof cc->mqtt_host, conf_str(&c, "mqtt", "host", "127.0.0.1"),
	    path, "[mqtt] host", err, errlen));
	CHECK(conf_long(&c, "mqtt", "port", 0, 1, 65535, &l, err, errlen));
	CHECK(put(cc->client_id, sizeof cc->client_id,
	    conf_str(&c, "mqtt", "client_id", "covmon-collector-1"), path, "[mqtt] client_id", err,
	    errlen));
	CHECK(put(cc->username, sizeof cc->username, conf_str(&c, "mqtt", "username", ""), path,
	    "[mqtt] username", err, errlen));
	CHECK(put(cc->password_file, sizeof cc->password_file,
	    conf_str(&c, "mqtt", "password_file", ""), path, "[mqtt] password_file", err, errlen));
	CHECK(put(cc->tls_ca, sizeof cc->tls_ca, conf_str(&c, "mqtt", "tls_ca", ""), path,
	    "[mqtt] tls_ca", err, errlen));
	CHECK(put(cc->tls_cert, sizeof cc->tls_cert, conf_str(&c, "mqtt", "tls_cert", ""), path,
	    "[mqtt] tls_cert", err, errlen));
	CHECK(put(cc->tls_key, sizeof cc->tls_key, conf_str(&c, "mqtt", "tls_key", ""), path,
	    "[mqtt] tls_key", err, errlen));
	cc->mqtt_port = l ? (int)l : (cc->tls_ca[0] ? 8883 : 1883);
	CHECK(conf_duration(&c, "mqtt", "keepalive", 60, 5, 3600, &d, err, errlen));
	cc->keepalive = (int)d;
	CHECK(put(cc->topic_prefix, sizeof cc->topic_prefix,
	    conf_str(&c, "mqtt", "topic_prefix", "covmon/v1"), path, "[mqtt] topic_prefix", err,
	    errlen));

	snprintf(cc->store.data_dir, sizeof cc->store.data_dir, "%s", cc->data_dir);
	CHECK(put(cc->store.rrdcached, sizeof cc->store.rrdcached,
	    conf_str(&c, "rrd", "rrdcached", ""), path, "[rrd] rrdcached", err, errlen));
	CHECK(put(cc->store.retention, sizeof cc->store.retention,
	    conf_str(&c, "rrd", "retention", ""), path, "[rrd] retention", err, errlen));
	CHECK(conf_duration(&c, "rrd", "wal_flush_interval", 60, 1, 3600, &cc->wal_flush_interval,
	    err, errlen));

	CHECK(put(cc->http_listen, sizeof cc->http_listen,
	    conf_str(&c, "http", "listen", "127.0.0.1:8080"), path, "[http] listen", err, errlen));
	v = conf_str(&c, "http", "token_file", "");
	if (v[0] && read_secret(v, cc->token, sizeof cc->token, err, errlen) == -1)
		goto fail;
	v = conf_str(&c, "http", "token", "");
	if (v[0])
		CHECK(put(cc->token, sizeof cc->token, v, path, "[http] token", err, errlen));

	/* Evaluation and alerting keys are read by their modules; validate
	 * the ones every build knows so a typo fails now. */
	CHECK(conf_duration(&c, "coverage", "window", 900, 1, 86400 * 7, &d, err, errlen));
	CHECK(conf_duration(&c, "coverage", "offline_after", 180, 1, 86400 * 7, &d, err, errlen));
	CHECK(conf_double(&c, "coverage", "max_loss_pct", 5, 0, 100, &d, err, errlen));
	CHECK(conf_double(&c, "coverage", "max_rtt_ms", 300, 0, 1e6, &d, err, errlen));
	CHECK(conf_double(&c, "coverage", "yellow_margin_pct", 10, 0, 100, &d, err, errlen));
	CHECK(conf_duration(&c, "alerts", "for", 120, 0, 86400, &d, err, errlen));
	CHECK(conf_duration(&c, "alerts", "clear_for", 120, 0, 86400, &d, err, errlen));
	for (size_t i = 0; i < c.n; i++) {
		if (strncmp(c.v[i].section, "notifier.", 9) == 0 ||
		    strncmp(c.v[i].section, "route.", 6) == 0) {
			if (!c.v[i].used)
				log_warnx("%s:%u: [%s] is not used by this build yet", path,
				    c.v[i].line, c.v[i].section);
			c.v[i].used = true;
		}
	}
	CHECK(conf_unused(&c, err, errlen));
	conf_free(&c);
	return 0;
fail:
	conf_free(&c);
	return -1;
}

void
collector_conf_print(const struct collector_conf *cc, FILE *out)
{
	fprintf(out, "[collector]\ndata_dir = %s\ninventory = %s\ntargets = %s\nprovinces =",
	    cc->data_dir, cc->inventory, cc->targets);
	if (cc->nprovinces == 0)
		fprintf(out, " *");
	for (int i = 0; i < cc->nprovinces; i++)
		fprintf(out, "%s %s", i ? "," : "", cc->provinces[i]);
	fprintf(out, "\neval_interval = %g\nmax_clock_skew = %g\ngap_timeout = %g\n"
	    "queue_size = %d\n\n", cc->eval_interval, cc->max_clock_skew, cc->gap_timeout,
	    cc->queue_size);
	fprintf(out, "[mqtt]\nhost = %s\nport = %d\nclient_id = %s\nusername = %s\n"
	    "password_file = %s\ntls_ca = %s\ntls_cert = %s\ntls_key = %s\nkeepalive = %d\n"
	    "topic_prefix = %s\n\n", cc->mqtt_host, cc->mqtt_port, cc->client_id, cc->username,
	    cc->password_file, cc->tls_ca, cc->tls_cert, cc->tls_key, cc->keepalive,
	    cc->topic_prefix);
	fprintf(out, "[rrd]\nrrdcached = %s\nretention = %s\nwal_flush_interval = %g\n\n",
	    cc->store.rrdcached, cc->store.retention, cc->wal_flush_interval);
	fprintf(out, "[http]\nlisten = %s\ntoken = %s\n", cc->http_listen,
	    cc->token[0] ? "********" : "");
}
