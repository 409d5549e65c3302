/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The collector's configuration (DESIGN.md section 5): read, validated whole. */
#include "collector.h"
#include "conf.h"
#include "log.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* DESIGN.md section 11: a token file holds at least this many characters. */
#define TOKEN_MIN 16

#define CHECK(x) do { if ((x) == -1) goto fail; } while (0)

/*
 * [http] map_tiles: a tile server's URL template drawn under the province
 * map, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png; empty (the
 * default) for none. An http(s) address, {z}, {x} and {y} each once and
 * no other placeholder; its host goes into the pages' Content-Security-
 * Policy (img-src), so it is held to the characters of a host and port.
 */
static int
map_tiles_conf(struct conf *c, char *dst, size_t len, const char *path, char *err,
    size_t errlen)
{
	const char *v = conf_str(c, "http", "map_tiles", ""), *host, *why = NULL;
	size_t n;

	dst[0] = '\0';
	if (v[0] == '\0')
		return 0;
	if (strncmp(v, "https://", 8) == 0)
		host = v + 8;
	else if (strncmp(v, "http://", 7) == 0)
		host = v + 7;
	else
		host = NULL;
	n = host != NULL ? strcspn(host, "/") : 0;
	if (host == NULL)
		why = "expected an http:// or https:// address";
	else if (n == 0 || strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-:[]") != n)
		why = "expected a host name (letters, digits, '.', '-', a :port) after the scheme";
	else if (strstr(v, "{z}") == NULL || strstr(v, "{x}") == NULL || strstr(v, "{y}") == NULL)
		why = "expected {z}, {x} and {y} in the URL";
	else if (strlen(v) >= len)
		why = "too long";
	else if (strcspn(v, " \t\"'<>\\") != strlen(v))
		why = "spaces, quotes, '<', '>' and '\\' are not allowed";
	else {
		/* Each brace is one of the three placeholders. */
		for (const char *q = v; *q != '\0' && why == NULL; q++) {
			if (*q == '{' && strncmp(q, "{z}", 3) != 0 && strncmp(q, "{x}", 3) != 0 &&
			    strncmp(q, "{y}", 3) != 0)
				why = "only {z}, {x} and {y} are replaced (no {s}, {r})";
			else if (*q == '}' && (q - v < 2 || q[-2] != '{'))
				why = "a '}' without its '{'";
		}
	}
	if (why != NULL) {
		snprintf(err, errlen, "%s:%u: [http] map_tiles = '%s': %s (e.g. "
		    "https://tile.openstreetmap.org/{z}/{x}/{y}.png, or empty for no tiles)", path,
		    conf_get(c, "http", "map_tiles")->line, v, why);
		return -1;
	}
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

/* [notifier.NAME]: one way to reach people. */
static int
notifier_conf(struct conf *c, const char *section, struct notifier_conf *n, const char *path,
    char *err, size_t errlen)
{
	const char *v;
	static const char *const types[] = { "exec", "webhook", "mqtt", "email" };
	size_t t;

	CHECK(conf_require(c, section, "type", &v, err, errlen));
	for (t = 0; t < 4 && strcmp(v, types[t]) != 0; t++)
		;
	if (t == 4) {
		snprintf(err, errlen, "%s:%u: [%s] type = '%s': expected exec, webhook, mqtt or "
		    "email", path, conf_get(c, section, "type")->line, section, v);
		return -1;
	}
	n->type = (enum notifier_type)t;
	CHECK(conf_duration(c, section, "timeout", 10, 1, 600, &n->timeout, err, errlen));
	v = conf_str(c, section, "lang", "en");
	if (strcmp(v, "en") != 0 && strcmp(v, "vi") != 0) {
		snprintf(err, errlen, "%s:%u: [%s] lang = '%s': expected en or vi", path,
		    conf_get(c, section, "lang")->line, section, v);
		return -1;
	}
	n->vi = strcmp(v, "vi") == 0;
	switch (n->type) {
	case NT_EXEC:
		CHECK(conf_require(c, section, "command", &v, err, errlen));
		CHECK(conf_copy_str(n->command, sizeof n->command, v, path, "command", err, errlen));
		break;
	case NT_WEBHOOK:
		CHECK(conf_require(c, section, "url", &v, err, errlen));
		if (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0) {
			snprintf(err, errlen, "%s:%u: [%s] url = '%s': expected http:// or https://",
			    path, conf_get(c, section, "url")->line, section, v);
			return -1;
		}
		CHECK(conf_copy_str(n->url, sizeof n->url, v, path, "url", err, errlen));
		v = conf_str(c, section, "token_file", "");
		if (v[0])
			CHECK(conf_read_secret(v, n->bearer_token, sizeof n->bearer_token, err, errlen));
		v = conf_str(c, section, "bearer_token", "");
		if (v[0])
			CHECK(conf_copy_str(n->bearer_token, sizeof n->bearer_token, v, path, "bearer_token",
			    err, errlen));
		v = conf_str(c, section, "format", "covmon");
		n->format = WF_COVMON;
		while (n->format <= WF_ZALO && strcmp(v, webhook_format_name[n->format]) != 0)
			n->format++;
		if (n->format > WF_ZALO) {
			snprintf(err, errlen, "%s:%u: [%s] format = '%s': expected covmon, telegram "
			    "or zalo", path, conf_get(c, section, "format")->line, section, v);
			return -1;
		}
		if (n->format == WF_TELEGRAM) {
			CHECK(conf_require(c, section, "chat_id", &v, err, errlen));
			CHECK(conf_copy_str(n->chat_id, sizeof n->chat_id, v, path, "chat_id", err, errlen));
		}
		if (n->format == WF_ZALO) {
			CHECK(conf_require(c, section, "user_id", &v, err, errlen));
			CHECK(conf_copy_str(n->user_id, sizeof n->user_id, v, path, "user_id", err, errlen));
			if (n->bearer_token[0] == '\0') {
				snprintf(err, errlen, "%s:%u: [%s] format = zalo needs the OA's access "
				    "token in token_file", path, conf_get(c, section, "format")->line,
				    section);
				return -1;
			}
		}
		break;
	case NT_MQTT:
		break;
	case NT_EMAIL:
		CHECK(conf_require(c, section, "smtp_url", &v, err, errlen));
		if (strncmp(v, "smtp://", 7) != 0 && strncmp(v, "smtps://", 8) != 0) {
			snprintf(err, errlen, "%s:%u: [%s] smtp_url = '%s': expected smtp:// or "
			    "smtps://", path, conf_get(c, section, "smtp_url")->line, section, v);
			return -1;
		}
		CHECK(conf_copy_str(n->smtp_url, sizeof n->smtp_url, v, path, "smtp_url", err, errlen));
		CHECK(conf_require(c, section, "from", &v, err, errlen));
		CHECK(conf_copy_str(n->from, sizeof n->from, v, path, "from", err, errlen));
		CHECK(conf_require(c, section, "to", &v, err, errlen));
		CHECK(conf_copy_str(n->to, sizeof n->to, v, path, "to", err, errlen));
		CHECK(conf_copy_str(n->username, sizeof n->username, conf_str(c, section, "username", ""),
		    path, "username", err, errlen));
		v = conf_str(c, section, "password_file", "");
		if (v[0])
			CHECK(conf_read_secret(v, n->password, sizeof n->password, err, errlen));
		CHECK(conf_bool(c, section, "tls", true, &n->tls, err, errlen));
		break;
	}
	return 0;
fail:
	return -1;
}

/* [route.NAME]: which alerts go to which notifiers, grouped how. */
static int
route_conf(struct conf *c, const char *section, struct route_conf *r,
    const struct alert_conf *ac, const char *path, char *err, size_t errlen)
{
	char items[ALERT_MAX_NOTIFIERS + 1][256];
	const struct conf_entry *e;
	const char *v;
	int n;

	CHECK(conf_require(c, section, "match", &v, err, errlen));
	if (alert_match_parse(v, &r->match) == -1) {
		snprintf(err, errlen, "%s:%u: [%s] match = '%s': expected province:ID, commune:ID, "
		    "hamlet:ID, agent:ID or *", path, conf_get(c, section, "match")->line, section, v);
		return -1;
	}
	CHECK(conf_require(c, section, "notify", &v, err, errlen));
	e = conf_get(c, section, "notify");
	n = conf_split_list(v, items, ALERT_ROUTE_NOTIFY);
	if (n <= 0) {
		snprintf(err, errlen, "%s:%u: [%s] notify: expected 1 to %d notifier names", path,
		    e->line, section, ALERT_ROUTE_NOTIFY);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		int k;
		for (k = 0; k < ac->nnotifiers && strcmp(ac->notifiers[k].name, items[i]) != 0; k++)
			;
		if (k == ac->nnotifiers) {
			snprintf(err, errlen, "%s:%u: [%s] notify: no [notifier.%s]", path, e->line,
			    section, items[i]);
			return -1;
		}
		r->notify[r->nnotify++] = k;
	}
	v = conf_str(c, section, "group_by", "commune");
	if (strcmp(v, "commune") == 0)
		r->group_by = GB_COMMUNE;
	else if (strcmp(v, "province") == 0)
		r->group_by = GB_PROVINCE;
	else if (strcmp(v, "none") == 0)
		r->group_by = GB_NONE;
	else {
		snprintf(err, errlen, "%s:%u: [%s] group_by = '%s': expected commune, province or "
		    "none", path, conf_get(c, section, "group_by")->line, section, v);
		return -1;
	}
	CHECK(conf_duration(c, section, "group_wait", 30, 0, 3600, &r->group_wait, err, errlen));
	CHECK(conf_duration(c, section, "repeat", 4 * 3600, 0, 86400 * 7, &r->repeat, err,
	    errlen));
	CHECK(conf_bool(c, section, "continue", false, &r->cont, err, errlen));
	v = conf_str(c, section, "kinds", "");
	if (v[0]) {
		char kinds[AK__COUNT + 1][256];
		e = conf_get(c, section, "kinds");
		n = conf_split_list(v, kinds, AK__COUNT);
		for (int i = 0; i < n; i++) {
			int k = alert_kind_lookup(kinds[i]);
			if (k < 0) {
				snprintf(err, errlen, "%s:%u: [%s] kinds: unknown alert kind '%s'",
				    path, e->line, section, kinds[i]);
				return -1;
			}
			r->kinds |= 1u << k;
		}
		if (n <= 0) {
			snprintf(err, errlen, "%s:%u: [%s] kinds: expected alert kinds", path, e->line,
			    section);
			return -1;
		}
	}
	/* The rollout backlog (info) pages nobody unless asked for: by
	 * min_severity, or by naming its kinds. */
	v = conf_str(c, section, "min_severity", r->kinds ? "info" : "warning");
	int sev = alert_severity_lookup(v);
	if (sev < 0) {
		snprintf(err, errlen, "%s:%u: [%s] min_severity = '%s': expected info, warning or "
		    "critical", path, conf_get(c, section, "min_severity")->line, section, v);
		return -1;
	}
	r->min_severity = (enum alert_severity)sev;
	return 0;
fail:
	return -1;
}

/* [alerts], then every [notifier.*], then every [route.*] in file order
 * (routes are matched in that order). */
static int
alerts_conf(struct conf *c, struct alert_conf *ac, const char *path, char *err, size_t errlen)
{
	double def;
	char key[64];

	CHECK(conf_duration(c, "alerts", "for", 120, 0, 86400, &def, err, errlen));
	for (int k = 0; k < AK__COUNT; k++) {
		snprintf(key, sizeof key, "for_%s", alert_kind_name[k]);
		CHECK(conf_duration(c, "alerts", key, def, 0, 86400 * 7, &ac->for_s[k], err,
		    errlen));
	}
	CHECK(conf_duration(c, "alerts", "clear_for", 120, 0, 86400, &ac->clear_for, err, errlen));
	CHECK(conf_duration(c, "alerts", "flap_window", 1800, 0, 86400, &ac->flap_window, err,
	    errlen));
	CHECK(conf_duration(c, "alerts", "clock_skew", 120, 1, 86400, &ac->clock_skew, err,
	    errlen));
	CHECK(conf_duration(c, "alerts", "retry_max", 600, 1, 86400, &ac->retry_max, err, errlen));
	CHECK(conf_double(c, "alerts", "keep_days", 90, 1, 3650, &ac->keep_days, err, errlen));
	/* Times in notifications are local: the zone of the people paged
	 * (Vietnam is UTC+7 when the server runs UTC). */
	const char *tz = conf_str(c, "alerts", "timezone", "");
	if (tz[0]) {
		char zf[PATH_MAX];
		struct stat zs;
		snprintf(zf, sizeof zf, "/usr/share/zoneinfo/%s", tz);
		if (strlen(tz) >= sizeof ac->timezone || strstr(tz, "..") != NULL ||
		    tz[0] == '/' || stat(zf, &zs) == -1 || !S_ISREG(zs.st_mode)) {
			snprintf(err, errlen, "%s:%u: [alerts] timezone = '%s': not a time zone of "
			    "/usr/share/zoneinfo (e.g. Asia/Ho_Chi_Minh)", path,
			    conf_get(c, "alerts", "timezone")->line, tz);
			return -1;
		}
		snprintf(ac->timezone, sizeof ac->timezone, "%s", tz);
	}
	const char *pu = conf_str(c, "http", "public_url", "");
	if (pu[0] && strncmp(pu, "http://", 7) != 0 && strncmp(pu, "https://", 8) != 0) {
		snprintf(err, errlen, "%s:%u: [http] public_url = '%s': expected an http:// or "
		    "https:// address", path, conf_get(c, "http", "public_url")->line, pu);
		return -1;
	}
	if (strlen(pu) >= sizeof ac->public_url) {
		snprintf(err, errlen, "%s:%u: [http] public_url: too long", path,
		    conf_get(c, "http", "public_url")->line);
		return -1;
	}
	snprintf(ac->public_url, sizeof ac->public_url, "%s", pu);
	for (size_t n = strlen(ac->public_url); n > 0 && ac->public_url[n - 1] == '/'; n--)
		ac->public_url[n - 1] = '\0';
	for (size_t s = 0; s < c->nsections; s++) {
		const char *sec = c->sections[s];
		if (strncmp(sec, "notifier.", 9) != 0)
			continue;
		if (!id_valid(sec + 9) || strlen(sec + 9) >= sizeof ac->notifiers[0].name) {
			snprintf(err, errlen, "%s:%u: [%s]: a notifier's name is 1-63 characters of "
			    "a-z, 0-9, '.', '_' and '-'", path, c->section_line[s], sec);
			return -1;
		}
		if (ac->nnotifiers == ALERT_MAX_NOTIFIERS) {
			snprintf(err, errlen, "%s:%u: more than %d notifiers", path,
			    c->section_line[s], ALERT_MAX_NOTIFIERS);
			return -1;
		}
		struct notifier_conf *n = &ac->notifiers[ac->nnotifiers++];
		snprintf(n->name, sizeof n->name, "%s", sec + 9);
		CHECK(notifier_conf(c, sec, n, path, err, errlen));
	}
	for (size_t s = 0; s < c->nsections; s++) {
		const char *sec = c->sections[s];
		if (strncmp(sec, "route.", 6) != 0)
			continue;
		if (sec[6] == '\0' || strlen(sec + 6) >= sizeof ac->routes[0].name) {
			snprintf(err, errlen, "%s:%u: [%s]: a route needs a name of at most 63 bytes",
			    path, c->section_line[s], sec);
			return -1;
		}
		if (ac->nroutes == ALERT_MAX_ROUTES) {
			snprintf(err, errlen, "%s:%u: more than %d routes", path, c->section_line[s],
			    ALERT_MAX_ROUTES);
			return -1;
		}
		struct route_conf *r = &ac->routes[ac->nroutes++];
		snprintf(r->name, sizeof r->name, "%s", sec + 6);
		CHECK(route_conf(c, sec, r, ac, path, err, errlen));
	}
	if (ac->nnotifiers > 0 && ac->nroutes == 0)
		log_warnx("%s: notifiers but no [route.*]: no alert is sent", path);
	return 0;
fail:
	return -1;
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

	CHECK(conf_copy_str(cc->data_dir, sizeof cc->data_dir,
	    conf_str(&c, "collector", "data_dir", "/var/lib/covmon"), path, "data_dir", err, errlen));
	CHECK(conf_copy_str(cc->inventory, sizeof cc->inventory, conf_str(&c, "collector", "inventory", ""),
	    path, "inventory", err, errlen));
	CHECK(conf_copy_str(cc->targets, sizeof cc->targets, conf_str(&c, "collector", "targets", ""), path,
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
	CHECK(conf_bool(&c, "collector", "national", false, &cc->national, err, errlen));
	if (cc->national && (cc->inventory[0] || cc->targets[0])) {
		snprintf(err, errlen, "%s:%u: [collector] national = yes reads the provinces' "
		    "summaries: remove inventory and targets (the province collectors have "
		    "them)", path, conf_get(&c, "collector", cc->inventory[0] ? "inventory" :
		    "targets")->line);
		goto fail;
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
	/* Each unknown agent costs up to a few MB of RRD ([rrd] min_step):
	 * bounded so that a stray or hostile client cannot fill the disk. */
	CHECK(conf_long(&c, "collector", "max_unknown_agents", 100, 0, 1000000, &l, err, errlen));
	cc->max_unknown_agents = (int)l;

	const struct mqtt_conf_defaults md = {
		.host = "127.0.0.1", .topic_prefix = "covmon/v1", .keepalive = 60,
	};
	CHECK(mqtt_conf_parse(&c, &md, &cc->mqtt, err, errlen));
	CHECK(conf_copy_str(cc->client_id, sizeof cc->client_id,
	    conf_str(&c, "mqtt", "client_id", "covmon-collector-1"), path, "[mqtt] client_id", err,
	    errlen));

	snprintf(cc->store.data_dir, sizeof cc->store.data_dir, "%s", cc->data_dir);
	CHECK(conf_copy_str(cc->store.rrdcached, sizeof cc->store.rrdcached,
	    conf_str(&c, "rrd", "rrdcached", ""), path, "[rrd] rrdcached", err, errlen));
	CHECK(conf_copy_str(cc->store.retention, sizeof cc->store.retention,
	    conf_str(&c, "rrd", "retention", ""), path, "[rrd] retention", err, errlen));
	/* rrdcached's own -w default: a shorter pass makes it write every
	 * file at each sample of a 60 s fleet, batching nothing. */
	CHECK(conf_duration(&c, "rrd", "wal_flush_interval", 300, 1, 3600, &cc->wal_flush_interval,
	    err, errlen));
	/* A 1 s agent would otherwise make 220 MB of RRD; tests set 1. */
	CHECK(conf_duration(&c, "rrd", "min_step", STORE_MIN_STEP_DEFAULT, 1, SAMPLE_MAX_INTERVAL,
	    &d, err, errlen));
	if (d != (double)(unsigned)d) {
		snprintf(err, errlen, "%s:%u: [rrd] min_step = '%s': expected whole seconds", path,
		    conf_get(&c, "rrd", "min_step")->line, conf_get(&c, "rrd", "min_step")->value);
		goto fail;
	}
	cc->store.min_step = (unsigned)d;

	CHECK(conf_copy_str(cc->http_listen, sizeof cc->http_listen,
	    conf_str(&c, "http", "listen", "127.0.0.1:8080"), path, "[http] listen", err, errlen));
	v = conf_str(&c, "http", "token_file", "");
	if (v[0] && conf_read_token(v, TOKEN_MIN, cc->token, sizeof cc->token, err,
	    errlen) == -1) {
		char why[512];
		snprintf(why, sizeof why, "%s", err);
		snprintf(err, errlen, "%s:%u: [http] token_file = %s", path,
		    conf_get(&c, "http", "token_file")->line, why);
		goto fail;
	}
	v = conf_str(&c, "http", "token", "");
	if (v[0])
		CHECK(conf_copy_str(cc->token, sizeof cc->token, v, path, "[http] token", err, errlen));
	CHECK(conf_long(&c, "http", "max_per_address", 16, 1, 1000, &l, err, errlen));
	cc->max_per_address = (int)l;
	CHECK(conf_duration(&c, "http", "request_timeout", 10, 1, 3600, &cc->request_timeout, err,
	    errlen));
	CHECK(map_tiles_conf(&c, cc->map_tiles, sizeof cc->map_tiles, path, err, errlen));

	/* Evaluation and alerting keys are read by their modules; validate
	 * the ones every build knows so a typo fails now. */
	struct coverage_conf *cv = &cc->coverage;
	CHECK(conf_duration(&c, "coverage", "window", 900, 1, 86400 * 7, &cv->window, err, errlen));
	CHECK(conf_duration(&c, "coverage", "offline_after", 180, 1, 86400 * 7, &cv->offline_after,
	    err, errlen));
	CHECK(conf_double(&c, "coverage", "max_loss_pct", 5, 0, 100, &cv->max_loss_pct, err, errlen));
	CHECK(conf_double(&c, "coverage", "max_rtt_ms", 300, 0, 1e6, &cv->max_rtt_ms, err, errlen));
	CHECK(conf_double(&c, "coverage", "yellow_margin_pct", 10, 0, 100, &cv->yellow_margin_pct,
	    err, errlen));
	CHECK(alerts_conf(&c, &cc->alerts, path, err, errlen));
	CHECK(digest_conf_parse(&c, &cc->alerts, &cc->digest, path, err, errlen));
	CHECK(conf_unused(&c, err, errlen));
	conf_free(&c);
	return 0;
fail:
	conf_free(&c);
	mqtt_conf_clear(&cc->mqtt);
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
	fprintf(out, "\nnational = %s", cc->national ? "yes" : "no");
	fprintf(out, "\neval_interval = %g\nmax_clock_skew = %g\ngap_timeout = %g\n"
	    "max_unknown_agents = %d\nqueue_size = %d\n\n", cc->eval_interval, cc->max_clock_skew,
	    cc->gap_timeout, cc->max_unknown_agents, cc->queue_size);
	char extra[sizeof cc->client_id + 16];
	snprintf(extra, sizeof extra, "client_id = %s\n", cc->client_id);
	mqtt_conf_print(&cc->mqtt, extra, out);
	fprintf(out, "[rrd]\nrrdcached = %s\nretention = %s\nmin_step = %u\n"
	    "wal_flush_interval = %g\n\n", cc->store.rrdcached, cc->store.retention,
	    cc->store.min_step, cc->wal_flush_interval);
	fprintf(out, "[coverage]\nwindow = %g\noffline_after = %g\nmax_loss_pct = %g\n"
	    "max_rtt_ms = %g\nyellow_margin_pct = %g\n\n", cc->coverage.window,
	    cc->coverage.offline_after, cc->coverage.max_loss_pct, cc->coverage.max_rtt_ms,
	    cc->coverage.yellow_margin_pct);
	fprintf(out, "[http]\nlisten = %s\ntoken = %s\nmax_per_address = %d\n"
	    "request_timeout = %g\npublic_url = %s\nmap_tiles = %s\n", cc->http_listen,
	    cc->token[0] ? "********" : "", cc->max_per_address, cc->request_timeout,
	    cc->alerts.public_url, cc->map_tiles);
	const struct alert_conf *ac = &cc->alerts;
	fprintf(out, "\n[alerts]\nfor = %g\n", ac->for_s[AK_HAMLET_DOWN]);
	for (int k = 0; k < AK__COUNT; k++)
		fprintf(out, "for_%s = %g\n", alert_kind_name[k], ac->for_s[k]);
	fprintf(out, "clear_for = %g\nflap_window = %g\nclock_skew = %g\nretry_max = %g\n"
	    "keep_days = %g\ntimezone = %s\n", ac->clear_for, ac->flap_window, ac->clock_skew,
	    ac->retry_max, ac->keep_days, ac->timezone[0] ? ac->timezone : "(the system's)");
	static const char *const types[] = { "exec", "webhook", "mqtt", "email" };
	for (int i = 0; i < ac->nnotifiers; i++) {
		const struct notifier_conf *n = &ac->notifiers[i];
		fprintf(out, "\n[notifier.%s]\ntype = %s\ntimeout = %g\nlang = %s\n", n->name,
		    types[n->type], n->timeout, n->vi ? "vi" : "en");
		if (n->type == NT_EXEC)
			fprintf(out, "command = %s\n", n->command);
		if (n->type == NT_WEBHOOK)
			fprintf(out, "url = %s\nbearer_token = %s\nformat = %s\nchat_id = %s\n"
			    "user_id = %s\n", n->url, n->bearer_token[0] ? "********" : "",
			    webhook_format_name[n->format], n->chat_id, n->user_id);
		if (n->type == NT_EMAIL)
			fprintf(out, "smtp_url = %s\nfrom = %s\nto = %s\nusername = %s\n"
			    "password = %s\ntls = %s\n", n->smtp_url, n->from, n->to, n->username,
			    n->password[0] ? "********" : "", n->tls ? "yes" : "no");
	}
	static const char *const gb[] = { "commune", "province", "none" };
	for (int i = 0; i < ac->nroutes; i++) {
		const struct route_conf *r = &ac->routes[i];
		char m[ALERT_SCOPE_MAX + 16];
		alert_match_str(&r->match, m, sizeof m);
		fprintf(out, "\n[route.%s]\nmatch = %s\nnotify =", r->name, m);
		for (int k = 0; k < r->nnotify; k++)
			fprintf(out, "%s %s", k ? "," : "", ac->notifiers[r->notify[k]].name);
		fprintf(out, "\nkinds =");
		for (int k = 0, first = 1; k < AK__COUNT; k++)
			if (r->kinds & (1u << k)) {
				fprintf(out, "%s %s", first ? "" : ",", alert_kind_name[k]);
				first = 0;
			}
		fprintf(out, "%s\nmin_severity = %s\ngroup_by = %s\ngroup_wait = %g\nrepeat = %g\n"
		    "continue = %s\n", r->kinds ? "" : " *", alert_severity_name[r->min_severity],
		    gb[r->group_by], r->group_wait, r->repeat, r->cont ? "yes" : "no");
	}
	digest_conf_print(&cc->digest, out);
}

bool
collector_owns(const char (*provinces)[ID_MAX + 1], int n, const char *province)
{
	if (n == 0)
		return true;
	for (int i = 0; i < n; i++)
		if (strcmp(provinces[i], province) == 0)
			return true;
	return false;
}

struct alert_conf_ref *
alert_conf_ref_new(const struct alert_conf *ac)
{
	struct alert_conf_ref *r = malloc(sizeof *r);

	if (r == NULL)
		return NULL;
	atomic_init(&r->refs, 1);
	r->ac = *ac;
	return r;
}

struct alert_conf_ref *
alert_conf_ref_get(struct alert_conf_ref *r)
{
	if (r != NULL)
		atomic_fetch_add(&r->refs, 1);
	return r;
}

void
alert_conf_ref_put(struct alert_conf_ref *r)
{
	if (r != NULL && atomic_fetch_sub(&r->refs, 1) == 1) {
		explicit_bzero(&r->ac, sizeof r->ac);    /* passwords, tokens */
		free(r);
	}
}
