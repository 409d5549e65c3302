/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The [mqtt] section and the libmosquitto client set-up that the agent, the
 * collector and the national view share: one parser, one set of rules for
 * TLS (a TLS key without what it needs is a config error), one print for
 * --check-config, one set-up with every libmosquitto return checked.
 */
#ifndef COVMON_MQTT_CLIENT_H
#define COVMON_MQTT_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct conf;
struct mosquitto;

#define MQTT_PORT_PLAIN 1883
#define MQTT_PORT_TLS 8883

struct mqtt_conf {
	char host[256];
	int port;                    /* default 8883 with tls_ca, else 1883 */
	char username[128];
	char password_file[512];
	char password[256];          /* its first line; never printed or logged */
	char tls_ca[512];            /* TLS on when set */
	char tls_cert[512];          /* client certificate: with tls_key and tls_ca */
	char tls_key[512];
	int keepalive;
	char topic_prefix[128];
};

/* What each binary passes for the keys it leaves out. */
struct mqtt_conf_defaults {
	const char *host;
	const char *topic_prefix;
	double keepalive;
	/* A reload after the privilege drop: password_file is not read and
	 * the tls_* files are not opened (the unprivileged user may not read
	 * them; [mqtt] changes need a restart anyway). */
	bool skip_files;
};

/*
 * Reads and validates [mqtt] of c: host, port, username, password_file
 * (read now), tls_ca, tls_cert, tls_key, keepalive, topic_prefix. Other
 * [mqtt] keys are the caller's. Returns 0, or -1 with err
 * "FILE:LINE: [mqtt] KEY: reason".
 */
int mqtt_conf_parse(struct conf *c, const struct mqtt_conf_defaults *def, struct mqtt_conf *m,
    char *err, size_t errlen);
bool mqtt_conf_tls(const struct mqtt_conf *m);
/* Forgets the password (explicit_bzero). */
void mqtt_conf_clear(struct mqtt_conf *m);
/*
 * The section as --check-config prints it: the keys above (the password
 * masked), then `extra` (the caller's own "key = value\n" lines, or NULL),
 * then "TLS: on (CA ..., client certificate ...)" or "TLS: off".
 */
void mqtt_conf_print(const struct mqtt_conf *m, const char *extra, FILE *out);

/*
 * Applies m to a new client: its libmosquitto errors to our log (a TLS
 * handshake's reason is only there), MQTT 3.1.1, username and password,
 * and with tls_ca the CA, the client certificate, TLS 1.2 or later with the
 * broker's certificate and name verified. Returns 0, or -1 with err naming
 * the libmosquitto call that failed and why.
 */
int mqtt_client_setup(struct mosquitto *mosq, const struct mqtt_conf *m, char *err,
    size_t errlen);

#endif
