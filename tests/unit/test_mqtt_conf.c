/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The shared [mqtt] section (common/mqtt_client.c): defaults, each TLS
 * rule, the files checked at config time, the --check-config print, the
 * libmosquitto set-up, and the agent and the collector refusing alike. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testlib.h"

#include <mosquitto.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "collector.h"
#include "conf.h"
#include "mqtt_client.h"

static const struct mqtt_conf_defaults defs = {
	.host = "127.0.0.1", .topic_prefix = "covmon/v1", .keepalive = 60,
};

static char dir[64];
static char ca[128], cert[128], key[128], secret[128], empty[128];

static int
setup(void **state)
{
	(void)state;
	tl_tmpdir(dir, sizeof dir, "mqtt");
	snprintf(ca, sizeof ca, "%s/ca.pem", dir);
	snprintf(cert, sizeof cert, "%s/client.pem", dir);
	snprintf(key, sizeof key, "%s/client.key", dir);
	snprintf(secret, sizeof secret, "%s/agent.secret", dir);
	snprintf(empty, sizeof empty, "%s/empty.secret", dir);
	/* Only opened at config time; the set-up test makes a real CA. */
	tl_write_file(ca, "-----BEGIN CERTIFICATE-----\n");
	tl_write_file(cert, "-----BEGIN CERTIFICATE-----\n");
	tl_write_file(key, "-----BEGIN PRIVATE KEY-----\n");
	tl_write_file(secret, "s3cret-pw\nsecond line\n");
	tl_write_file(empty, "");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return tl_rmtree(dir);
}

/* Parses "[mqtt]\n" + body (printf-style): mqtt_conf_parse's result. */
static int __attribute__((format(printf, 4, 5)))
parse(struct mqtt_conf *m, bool skip_files, char *err, const char *fmt, ...)
{
	struct mqtt_conf_defaults d = defs;
	struct conf c;
	char body[2048], text[2100];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(body, sizeof body, fmt, ap);
	va_end(ap);
	snprintf(text, sizeof text, "[mqtt]\n%s", body);
	d.skip_files = skip_files;
	assert_int_equal(conf_load_string(&c, "t.conf", text, err, 512), 0);
	rc = mqtt_conf_parse(&c, &d, m, err, 512);
	if (rc == 0)
		assert_int_equal(conf_unused(&c, err, 512), 0);
	conf_free(&c);
	return rc;
}

/* Refused, with "t.conf:LINE: [mqtt] " and `what` in the message. */
#define REFUSED(line, what, ...) do {                                              \
	char err_[512], where_[64];                                                    \
	assert_int_equal(parse(&m, false, err_, __VA_ARGS__), -1);                     \
	snprintf(where_, sizeof where_, "t.conf:%d: [mqtt] ", line);                   \
	if (strstr(err_, where_) == NULL || strstr(err_, what) == NULL)                \
		fail_msg("\"%s\": expected \"%s\" and \"%s\"", err_, where_, what);     \
} while (0)

static void
test_defaults(void **state)
{
	struct mqtt_conf m;
	char err[512];
	(void)state;

	assert_int_equal(parse(&m, false, err, "%s", ""), 0);
	assert_string_equal(m.host, "127.0.0.1");
	assert_int_equal(m.port, 1883);
	assert_int_equal(m.keepalive, 60);
	assert_string_equal(m.topic_prefix, "covmon/v1");
	assert_false(mqtt_conf_tls(&m));
	assert_string_equal(m.password, "");

	/* The default port follows TLS. */
	assert_int_equal(parse(&m, false, err, "tls_ca = %s\n", ca), 0);
	assert_int_equal(m.port, 8883);
	assert_true(mqtt_conf_tls(&m));
	/* An explicit port wins, TLS or not. */
	assert_int_equal(parse(&m, false, err, "tls_ca = %s\nport = 18883\n", ca), 0);
	assert_int_equal(m.port, 18883);
	assert_int_equal(parse(&m, false, err, "port = 11883\nhost = broker\nkeepalive = 2m\n"
	    "topic_prefix = x/y\n"), 0);
	assert_int_equal(m.port, 11883);
	assert_string_equal(m.host, "broker");
	assert_int_equal(m.keepalive, 120);
	assert_string_equal(m.topic_prefix, "x/y");

	/* Each binary's defaults. */
	struct mqtt_conf_defaults d = { .host = "mqtt.example", .topic_prefix = "p",
		.keepalive = 30 };
	struct conf c;
	assert_int_equal(conf_load_string(&c, "d.conf", "[mqtt]\n", err, sizeof err), 0);
	assert_int_equal(mqtt_conf_parse(&c, &d, &m, err, sizeof err), 0);
	assert_string_equal(m.host, "mqtt.example");
	assert_string_equal(m.topic_prefix, "p");
	assert_int_equal(m.keepalive, 30);
	conf_free(&c);

	/* Client certificate with its key and CA; password with username. */
	assert_int_equal(parse(&m, false, err, "tls_ca = %s\ntls_cert = %s\ntls_key = %s\n"
	    "username = lc-01\npassword_file = %s\n", ca, cert, key, secret), 0);
	assert_string_equal(m.password, "s3cret-pw");
	assert_string_equal(m.tls_cert, cert);
	mqtt_conf_clear(&m);
	assert_string_equal(m.password, "");
}

static void
test_tls_rules(void **state)
{
	struct mqtt_conf m;
	(void)state;

	REFUSED(3, "tls_cert: needs tls_key", "tls_ca = %s\ntls_cert = %s\n", ca, cert);
	REFUSED(3, "tls_key: needs tls_cert", "tls_ca = %s\ntls_key = %s\n", ca, key);
	REFUSED(2, "tls_cert: needs tls_ca", "tls_cert = %s\ntls_key = %s\n", cert, key);
	/* Without tls_ca the key alone is refused too (it needs its cert
	 * first; either way no plaintext connection). */
	REFUSED(2, "tls_key: needs tls_cert", "tls_key = %s\n", key);
	REFUSED(2, "port = 8883 is a TLS port: set tls_ca", "port = 8883\n");
	REFUSED(3, "port = 8884 is a TLS port: set tls_ca", "username = a\nport = 8884\n");
	REFUSED(2, "password_file: needs username", "password_file = %s\n", secret);
	REFUSED(2, "port", "port = 0\n");
	REFUSED(2, "keepalive", "keepalive = 1\n");
}

static void
test_files(void **state)
{
	struct mqtt_conf m;
	char err[512];
	(void)state;

	REFUSED(2, "tls_ca = '/nonexistent/ca.pem': cannot read: No such file",
	    "tls_ca = /nonexistent/ca.pem\n");
	REFUSED(2, "tls_ca = '/tmp': not a file", "tls_ca = /tmp\n");
	REFUSED(3, "tls_cert = '/nonexistent/c.pem': cannot read",
	    "tls_ca = %s\ntls_cert = /nonexistent/c.pem\ntls_key = %s\n", ca, key);
	REFUSED(4, "tls_key = '/nonexistent/c.key': cannot read",
	    "tls_ca = %s\ntls_cert = %s\ntls_key = /nonexistent/c.key\n", ca, cert);
	REFUSED(3, "password_file: /nonexistent/pw: No such file",
	    "username = a\npassword_file = /nonexistent/pw\n");
	REFUSED(3, "password_file:", "username = a\npassword_file = %s\n", empty);

	/* A reload after the privilege drop opens none of them; the rules
	 * still hold. */
	assert_int_equal(parse(&m, true, err, "tls_ca = /nonexistent/ca.pem\ntls_cert = /n/c\n"
	    "tls_key = /n/k\nusername = a\npassword_file = /nonexistent/pw\n"), 0);
	assert_string_equal(m.password, "");
	assert_int_equal(parse(&m, true, err, "tls_cert = /n/c\ntls_key = /n/k\n"), -1);
	assert_non_null(strstr(err, "needs tls_ca"));
}

static char *
print(const struct mqtt_conf *m, const char *extra)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(f);
	mqtt_conf_print(m, extra, f);
	fclose(f);
	return out;
}

static void
test_print(void **state)
{
	struct mqtt_conf m;
	char err[512], want[512], *out;
	(void)state;

	assert_int_equal(parse(&m, false, err, "%s", ""), 0);
	out = print(&m, NULL);
	assert_non_null(strstr(out, "[mqtt]\nhost = 127.0.0.1\nport = 1883\n"));
	assert_non_null(strstr(out, "\nTLS: off\n"));
	assert_null(strstr(out, "password ="));
	free(out);

	assert_int_equal(parse(&m, false, err, "tls_ca = %s\nusername = u\npassword_file = %s\n",
	    ca, secret), 0);
	out = print(&m, "client_id = c-1\n");
	snprintf(want, sizeof want, "\nTLS: on (CA %s, no client certificate)\n", ca);
	assert_non_null(strstr(out, want));
	assert_non_null(strstr(out, "\nport = 8883\n"));
	assert_non_null(strstr(out, "\npassword = ********\n"));
	assert_non_null(strstr(out, "\nclient_id = c-1\nTLS: on"));
	assert_null(strstr(out, "s3cret"));
	free(out);

	assert_int_equal(parse(&m, false, err, "tls_ca = %s\ntls_cert = %s\ntls_key = %s\n", ca,
	    cert, key), 0);
	out = print(&m, NULL);
	snprintf(want, sizeof want, "\nTLS: on (CA %s, client certificate %s)\n", ca, cert);
	assert_non_null(strstr(out, want));
	free(out);
}

static void
test_setup(void **state)
{
	struct mqtt_conf m;
	struct mosquitto *mosq;
	char err[512], pem[160], cmd[512];
	(void)state;

	/* A real certificate: mosquitto_tls_set only opens it, but keep the
	 * test honest for a libmosquitto that parses it early. */
	snprintf(pem, sizeof pem, "%s/real-ca.pem", dir);
	snprintf(cmd, sizeof cmd, "openssl req -x509 -newkey rsa:2048 -nodes -days 1 "
	    "-subj /CN=t -keyout %s/real-ca.key -out %s 2>/dev/null", dir, pem);
	if (system(cmd) != 0)
		tl_write_file(pem, "-----BEGIN CERTIFICATE-----\n");

	mosquitto_lib_init();
	assert_non_null(mosq = mosquitto_new("t", true, NULL));
	assert_int_equal(parse(&m, false, err, "tls_ca = %s\nusername = u\npassword_file = %s\n",
	    pem, secret), 0);
	if (mqtt_client_setup(mosq, &m, err, sizeof err) != 0)
		fail_msg("%s", err);
	mosquitto_destroy(mosq);

	/* Plain, anonymous. */
	assert_non_null(mosq = mosquitto_new("t", true, NULL));
	assert_int_equal(parse(&m, false, err, "%s", ""), 0);
	assert_int_equal(mqtt_client_setup(mosq, &m, err, sizeof err), 0);
	mosquitto_destroy(mosq);

	/* The CA gone between the config and the set-up: the call is named. */
	assert_non_null(mosq = mosquitto_new("t", true, NULL));
	assert_int_equal(parse(&m, false, err, "tls_ca = %s\n", pem), 0);
	assert_int_equal(unlink(pem), 0);
	assert_int_equal(mqtt_client_setup(mosq, &m, err, sizeof err), -1);
	assert_non_null(strstr(err, "mosquitto_tls_set("));
	mosquitto_destroy(mosq);

	/* A struct not from mqtt_conf_parse: still no plaintext fallback. */
	assert_non_null(mosq = mosquitto_new("t", true, NULL));
	memset(&m, 0, sizeof m);
	snprintf(m.host, sizeof m.host, "127.0.0.1");
	m.port = 1883;
	snprintf(m.tls_cert, sizeof m.tls_cert, "%s", cert);
	snprintf(m.tls_key, sizeof m.tls_key, "%s", key);
	assert_int_equal(mqtt_client_setup(mosq, &m, err, sizeof err), -1);
	assert_non_null(strstr(err, "without tls_ca"));
	m.tls_cert[0] = m.tls_key[0] = '\0';
	m.port = 8883;
	assert_int_equal(mqtt_client_setup(mosq, &m, err, sizeof err), -1);
	mosquitto_destroy(mosq);
	mosquitto_lib_cleanup();
}

/* Both binaries refuse the same [mqtt], with the same message. */
static void
test_binaries(void **state)
{
	struct agent_conf *ac = malloc(sizeof *ac);
	struct collector_conf *cc = malloc(sizeof *cc);
	char path[160], err[512];
	(void)state;

	assert_non_null(ac);
	assert_non_null(cc);
	snprintf(path, sizeof path, "%s/agent.conf", dir);
	tl_write_file(path, "[agent]\nid = lc-01\nprovince = lao-cai\n[mqtt]\ntls_cert = /c.pem\n"
	    "tls_key = /c.key\n");
	assert_int_equal(agent_conf_load(ac, path, err, sizeof err), -1);
	assert_non_null(strstr(err, "agent.conf:5: [mqtt] tls_cert: needs tls_ca"));

	snprintf(path, sizeof path, "%s/collector.conf", dir);
	tl_write_file(path, "[collector]\n[mqtt]\ntls_cert = /c.pem\ntls_key = /c.key\n");
	assert_int_equal(collector_conf_load(cc, path, err, sizeof err), -1);
	assert_non_null(strstr(err, "collector.conf:3: [mqtt] tls_cert: needs tls_ca"));

	tl_write_file(path, "[collector]\n[mqtt]\nport = 8883\n");
	assert_int_equal(collector_conf_load(cc, path, err, sizeof err), -1);
	assert_non_null(strstr(err, "collector.conf:3: [mqtt] port = 8883 is a TLS port"));

	/* The agent's own [mqtt] keys next to the shared ones. */
	snprintf(path, sizeof path, "%s/agent.conf", dir);
	tl_write_file(path, "[agent]\nid = lc-01\nprovince = lao-cai\n[mqtt]\nwindow = 4\n"
	    "ack_timeout = 5\n");
	assert_int_equal(agent_conf_load(ac, path, err, sizeof err), 0);
	assert_int_equal(ac->window, 4);
	assert_true(ac->ack_timeout == 5);
	assert_int_equal(ac->mqtt.port, 1883);
	snprintf(path, sizeof path, "%s/collector.conf", dir);
	tl_write_file(path, "[collector]\n[mqtt]\nclient_id = c-7\n");
	assert_int_equal(collector_conf_load(cc, path, err, sizeof err), 0);
	assert_string_equal(cc->client_id, "c-7");
	assert_int_equal(cc->mqtt.port, 1883);
	free(ac);
	free(cc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_tls_rules),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_print),
		cmocka_unit_test(test_setup),
		cmocka_unit_test(test_binaries),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
