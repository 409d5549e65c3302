/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One MQTT client configuration for every covmon binary that talks to the
 * broker: [mqtt] parsed and checked here, so that a client certificate
 * without its CA cannot quietly become a plaintext connection in one binary
 * and a refusal in another, and the libmosquitto set-up done here with
 * every return checked.
 */
#include "mqtt_client.h"
#include "log.h"
#include "conf.h"
#include "errf.h"

#include <mosquitto.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEC "mqtt"

static unsigned
key_line(struct conf *c, const char *key)
{
	const struct conf_entry *e = conf_get(c, SEC, key);

	return e ? e->line : 0;
}

static int
copy_key(struct conf *c, const char *key, const char *def, char *dst, size_t len, char *err,
    size_t errlen)
{
	const char *v = conf_str(c, SEC, key, def);
	size_t n = strlen(v);

	if (n >= len) {
		errf(err, errlen, "%s:%u: [mqtt] %s: too long (at most %zu bytes)", c->path,
		    key_line(c, key), key, len - 1);
		return -1;
	}
	memcpy(dst, v, n + 1);
	return 0;
}

/* A file the client will open later: readable, and a regular file, now. */
static int
check_file(struct conf *c, const char *key, const char *path, char *err, size_t errlen)
{
	struct stat sb;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		errf(err, errlen, "%s:%u: [mqtt] %s = '%s': cannot read: %s", c->path,
		    key_line(c, key), key, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		errf(err, errlen, "%s:%u: [mqtt] %s = '%s': not a file", c->path,
		    key_line(c, key), key, path);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static bool
tls_port(int port)
{
	return port == 8883 || port == 8884;
}

int
mqtt_conf_parse(struct conf *c, const struct mqtt_conf_defaults *def, struct mqtt_conf *m,
    char *err, size_t errlen)
{
	long port;
	double d;
	char e2[512];

	memset(m, 0, sizeof *m);
	if (copy_key(c, "host", def->host, m->host, sizeof m->host, err, errlen) == -1 ||
	    conf_long(c, SEC, "port", 0, 1, 65535, &port, err, errlen) == -1 ||
	    copy_key(c, "username", "", m->username, sizeof m->username, err, errlen) == -1 ||
	    copy_key(c, "password_file", "", m->password_file, sizeof m->password_file, err,
	    errlen) == -1 ||
	    copy_key(c, "tls_ca", "", m->tls_ca, sizeof m->tls_ca, err, errlen) == -1 ||
	    copy_key(c, "tls_cert", "", m->tls_cert, sizeof m->tls_cert, err, errlen) == -1 ||
	    copy_key(c, "tls_key", "", m->tls_key, sizeof m->tls_key, err, errlen) == -1 ||
	    copy_key(c, "topic_prefix", def->topic_prefix, m->topic_prefix,
	    sizeof m->topic_prefix, err, errlen) == -1)
		return -1;
	/* Keepalive 0 would leave a blackholed broker undetected forever. */
	if (conf_duration(c, SEC, "keepalive", def->keepalive, 5, 3600, &d, err, errlen) == -1)
		return -1;
	m->keepalive = (int)d;
	m->port = port ? (int)port : m->tls_ca[0] ? MQTT_PORT_TLS : MQTT_PORT_PLAIN;

	/* Each TLS key with what it needs; without tls_ca the client would
	 * connect in plaintext, so none of them may stand without it. */
	if (m->tls_cert[0] && !m->tls_key[0]) {
		errf(err, errlen, "%s:%u: [mqtt] tls_cert: needs tls_key (the client "
		    "certificate's private key)", c->path, key_line(c, "tls_cert"));
		return -1;
	}
	if (m->tls_key[0] && !m->tls_cert[0]) {
		errf(err, errlen, "%s:%u: [mqtt] tls_key: needs tls_cert (the client "
		    "certificate)", c->path, key_line(c, "tls_key"));
		return -1;
	}
	if (m->tls_cert[0] && !m->tls_ca[0]) {
		errf(err, errlen, "%s:%u: [mqtt] tls_cert: needs tls_ca (the CA of the broker's "
		    "certificate); without it the connection would not use TLS", c->path,
		    key_line(c, "tls_cert"));
		return -1;
	}
	if (tls_port(m->port) && !m->tls_ca[0]) {
		errf(err, errlen, "%s:%u: [mqtt] port = %d is a TLS port: set tls_ca (the CA "
		    "of the broker's certificate), or use %d for plain MQTT", c->path,
		    key_line(c, "port"), m->port, MQTT_PORT_PLAIN);
		return -1;
	}
	if (m->password_file[0] && !m->username[0]) {
		errf(err, errlen, "%s:%u: [mqtt] password_file: needs username", c->path,
		    key_line(c, "password_file"));
		return -1;
	}
	if (def->skip_files)
		return 0;
	if ((m->tls_ca[0] && check_file(c, "tls_ca", m->tls_ca, err, errlen) == -1) ||
	    (m->tls_cert[0] && check_file(c, "tls_cert", m->tls_cert, err, errlen) == -1) ||
	    (m->tls_key[0] && check_file(c, "tls_key", m->tls_key, err, errlen) == -1))
		return -1;
	if (m->password_file[0] &&
	    conf_read_secret(m->password_file, m->password, sizeof m->password, e2,
	    sizeof e2) == -1) {
		errf(err, errlen, "%s:%u: [mqtt] password_file: %s", c->path,
		    key_line(c, "password_file"), e2);
		return -1;
	}
	return 0;
}

bool
mqtt_conf_tls(const struct mqtt_conf *m)
{
	return m->tls_ca[0] != '\0';
}

void
mqtt_conf_clear(struct mqtt_conf *m)
{
	explicit_bzero(m->password, sizeof m->password);
}

void
mqtt_conf_print(const struct mqtt_conf *m, const char *extra, FILE *out)
{
	fprintf(out, "[mqtt]\nhost = %s\nport = %d\nusername = %s\npassword_file = %s\n",
	    m->host, m->port, m->username, m->password_file);
	if (m->password[0])
		fprintf(out, "password = ********\n");
	fprintf(out, "tls_ca = %s\ntls_cert = %s\ntls_key = %s\nkeepalive = %d\n"
	    "topic_prefix = %s\n", m->tls_ca, m->tls_cert, m->tls_key, m->keepalive,
	    m->topic_prefix);
	if (extra != NULL)
		fputs(extra, out);
	if (!mqtt_conf_tls(m))
		fprintf(out, "TLS: off\n\n");
	else if (m->tls_cert[0])
		fprintf(out, "TLS: on (CA %s, client certificate %s)\n\n", m->tls_ca, m->tls_cert);
	else
		fprintf(out, "TLS: on (CA %s, no client certificate)\n\n", m->tls_ca);
}

static const char *
mosq_reason(int rc)
{
	return rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc);
}

/*
 * libmosquitto says why a TLS handshake failed ("certificate verify
 * failed", "host name verification failed") only through its log; without
 * it a program would log "A TLS error occurred." and nothing an operator can
 * act on. Its errors come once per connection attempt, which the backoff
 * spaces out. Called from libmosquitto's thread or the caller's (log.c
 * locks).
 */
static void
on_log(struct mosquitto *mosq, void *arg, int level, const char *str)
{
	(void)mosq;
	(void)arg;
	if (level == MOSQ_LOG_ERR)
		log_warnx("mqtt: %s", str);
}

int
mqtt_client_setup(struct mosquitto *mosq, const struct mqtt_conf *m, char *err, size_t errlen)
{
	int rc;

	mosquitto_log_callback_set(mosq, on_log);
	if ((rc = mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311)) !=
	    MOSQ_ERR_SUCCESS) {
		errf(err, errlen, "mosquitto_int_option(MQTT 3.1.1): %s", mosq_reason(rc));
		return -1;
	}
	if (m->username[0] && (rc = mosquitto_username_pw_set(mosq, m->username,
	    m->password[0] ? m->password : NULL)) != MOSQ_ERR_SUCCESS) {
		errf(err, errlen, "mosquitto_username_pw_set(%s): %s", m->username,
		    mosq_reason(rc));
		return -1;
	}
	if (!mqtt_conf_tls(m)) {
		/* mqtt_conf_parse refuses these; a struct filled elsewhere
		 * must not turn them into a plaintext connection either. */
		if (m->tls_cert[0] || m->tls_key[0] || tls_port(m->port)) {
			errf(err, errlen, "mqtt: tls_cert, tls_key or port %d without tls_ca",
			    m->port);
			return -1;
		}
		return 0;
	}
	if ((rc = mosquitto_tls_set(mosq, m->tls_ca, NULL, m->tls_cert[0] ? m->tls_cert : NULL,
	    m->tls_key[0] ? m->tls_key : NULL, NULL)) != MOSQ_ERR_SUCCESS) {
		errf(err, errlen, "mosquitto_tls_set(%s%s%s): %s", m->tls_ca,
		    m->tls_cert[0] ? ", " : "", m->tls_cert, mosq_reason(rc));
		return -1;
	}
	/* SSL_VERIFY_PEER (1); "tlsv1.2" is libmosquitto's floor, 1.3 too. */
	if ((rc = mosquitto_tls_opts_set(mosq, 1, "tlsv1.2", NULL)) != MOSQ_ERR_SUCCESS) {
		errf(err, errlen, "mosquitto_tls_opts_set(verify peer, tlsv1.2): %s",
		    mosq_reason(rc));
		return -1;
	}
	/* The broker's name is checked against its certificate. */
	if ((rc = mosquitto_tls_insecure_set(mosq, false)) != MOSQ_ERR_SUCCESS) {
		errf(err, errlen, "mosquitto_tls_insecure_set(false): %s", mosq_reason(rc));
		return -1;
	}
	return 0;
}
