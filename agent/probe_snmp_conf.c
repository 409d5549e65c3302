/* SPDX-License-Identifier: GPL-2.0-or-later */
/* [probe.snmp]: the SNMP probe's settings, read and checked whether or not
 * the probe is built (probe_snmp.c with net-snmp, probe_snmp_off.c
 * without): a build without it names the section it cannot honour. */
#include "probe_snmp.h"
#include "probe_power.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SECTION		"probe.snmp"
/* A USM password's least length (RFC 3414; net-snmp's USM_LENGTH_P_MIN). */
#define SNMP_USM_PASS_MIN	8

const char *const probe_snmp_oid_key[PROBE_SNMP_NVAL] = {
	"signal_oid", "noise_oid", "snr_oid", "ccq_oid", "power_oid", "battery_oid", "volts_oid"
};

/* The values with a scale key. power_oid has none: a scale changes no
 * zero into non-zero, and power_mains_up is only that. */
static const char *const scale_key[PROBE_SNMP_NVAL] = {
	[PROBE_SNMP_BATTERY] = "battery_scale", [PROBE_SNMP_VOLTS] = "volts_scale"
};

const char *const probe_snmp_secret_keys[] = {
	"community", "auth_password", "priv_password", NULL
};

/* ---- Config ---- */

/* An error about a key whose value must not be repeated (a secret), or
 * whose value is shown by the caller. */
static int
conf_err(struct conf *c, const char *key, char *err, size_t errlen, const char *why)
{
	const struct conf_entry *e = conf_get(c, SECTION, key);

	if (e != NULL)
		snprintf(err, errlen, "%s:%u: [%s] %s: %s", c->path, e->line, SECTION, key, why);
	else
		snprintf(err, errlen, "%s: [%s] %s: %s", c->path, SECTION, key, why);
	return -1;
}

static int
conf_copy(struct conf *c, const char *key, const char *def, char *dst, size_t len,
    char *err, size_t errlen)
{
	const char *v = conf_str(c, SECTION, key, def);

	if (strlen(v) >= len)
		return conf_err(c, key, err, errlen, "too long");
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

void
probe_snmp_conf_print(const struct probe_snmp_conf *c, FILE *out)
{
	static const char *const auth[] = { "", "MD5", "SHA", "SHA-224", "SHA-256",
		"SHA-384", "SHA-512" };
	static const char *const level[] = { "", "noAuthNoPriv", "authNoPriv", "authPriv" };

	fprintf(out, "[%s]\nhost = %s\nport = %u\nversion = %s\n", SECTION, c->host, c->port,
	    c->version == 1 ? "1" : c->version == 2 ? "2c" : "3");
	if (c->version == 3 && c->level >= PROBE_SNMP_NOAUTH && c->level <= PROBE_SNMP_AUTHPRIV) {
		fprintf(out, "user = %s\nsecurity_level = %s\n", c->user, level[c->level]);
		if (c->auth > PROBE_SNMP_AUTH_NONE && c->auth <= PROBE_SNMP_AUTH_SHA512)
			fprintf(out, "auth_protocol = %s\n", auth[c->auth]);
		if (c->priv == PROBE_SNMP_PRIV_AES)
			fprintf(out, "priv_protocol = AES\n");
	}
	fprintf(out, "if_index = %ld\ntimeout_ms = %.0f\nretries = %d\n", c->if_index,
	    c->timeout * 1000, c->retries);
	for (int i = 0; i < PROBE_SNMP_NVAL; i++) {
		if (c->oid[i][0] == '\0')
			continue;
		fprintf(out, "%s = %s\n", probe_snmp_oid_key[i], c->oid[i]);
		if (scale_key[i] != NULL && c->scale[i].den != 0)
			fprintf(out, "%s = %.15g\n", scale_key[i], c->scale[i].num / c->scale[i].den);
	}
	fprintf(out, "(community and passwords are not printed)\n\n");
}

/*
 * volts_scale, battery_scale: a decimal number that the value read is
 * multiplied by. Nothing to scale without the OID (the sysfs values are in
 * volts and percent already), so a scale alone is a mistake worth saying.
 */
static int
scale_load(struct conf *c, struct probe_snmp_conf *o, int i, char *err, size_t errlen)
{
	const char *v = conf_str(c, SECTION, scale_key[i], "");
	char why[224];

	if (v[0] == '\0')
		return 0;
	if (snmp_scale_parse(v, &o->scale[i]) == -1) {
		snprintf(why, sizeof why, "'%.40s': expected a decimal number above 0 and at "
		    "most %.0f, such as 0.1 when the device counts tenths (no sign, no "
		    "exponent, at most 15 digits)", v, SNMP_SCALE_MAX);
		return conf_err(c, scale_key[i], err, errlen, why);
	}
	if (o->oid[i][0] == '\0') {
		snprintf(why, sizeof why, "'%.40s' without %s: the scale applies to the value "
		    "read at %s", v, probe_snmp_oid_key[i], probe_snmp_oid_key[i]);
		return conf_err(c, scale_key[i], err, errlen, why);
	}
	return 0;
}

int
probe_snmp_conf_load(struct conf *c, struct probe_snmp_conf *o, char *err, size_t errlen)
{
	const char *v, *user, *secname, *level;
	long l;
	char why[160];

	if (!probe_snmp_built()) {
		snprintf(err, errlen, "%s:%u: [%s]: this covmon-agent was built without the "
		    "SNMP probe (COVMON_AGENT_SNMP=OFF): remove the section, or install a "
		    "build with it", c->path, conf_section_line(c, SECTION), SECTION);
		return -1;
	}
	memset(o, 0, sizeof *o);
	snprintf(o->power_sysfs, sizeof o->power_sysfs, "%s", POWER_SYSFS_ROOT);

	if (conf_require(c, SECTION, "host", &v, err, errlen) == -1)
		return -1;
	if (conf_copy(c, "host", NULL, o->host, sizeof o->host, err, errlen) == -1)
		return -1;
	if (conf_long(c, SECTION, "port", 161, 1, 65535, &l, err, errlen) == -1)
		return -1;
	o->port = (unsigned)l;

	v = conf_str(c, SECTION, "version", "2c");
	if (strcmp(v, "1") == 0)
		o->version = 1;
	else if (strcmp(v, "2c") == 0 || strcmp(v, "2") == 0)
		o->version = 2;
	else if (strcmp(v, "3") == 0)
		o->version = 3;
	else {
		snprintf(why, sizeof why, "'%s': expected 1, 2c or 3", v);
		return conf_err(c, "version", err, errlen, why);
	}

	if (conf_long(c, SECTION, "if_index", 0, 0, 2147483647, &o->if_index, err, errlen) == -1)
		return -1;
	if (conf_long(c, SECTION, "timeout_ms", 1000, 10, 60000, &l, err, errlen) == -1)
		return -1;
	o->timeout = (double)l / 1000;
	if (conf_long(c, SECTION, "retries", 1, 0, 10, &l, err, errlen) == -1)
		return -1;
	o->retries = (int)l;

	for (int i = 0; i < PROBE_SNMP_NVAL; i++) {
		if (conf_copy(c, probe_snmp_oid_key[i], "", o->oid[i], sizeof o->oid[i], err, errlen) == -1)
			return -1;
		if (o->oid[i][0] != '\0' && !snmp_oid_syntax_ok(o->oid[i])) {
			snprintf(why, sizeof why, "'%.64s': expected a numeric OID such as "
			    "1.3.6.1.4.1.41112.1.4.5.1.5.1 (MIB names are not loaded)", o->oid[i]);
			return conf_err(c, probe_snmp_oid_key[i], err, errlen, why);
		}
	}
	for (int i = 0; i < PROBE_SNMP_NVAL; i++) {
		if (scale_key[i] != NULL && scale_load(c, o, i, err, errlen) == -1)
			return -1;
	}

	/* Read every key whatever the version, so that a key of the other
	 * kind is an error that says so, not "unknown key". */
	if (conf_copy(c, "community", "", o->community, sizeof o->community, err, errlen) == -1)
		return -1;
	user = conf_str(c, SECTION, "user", "");
	secname = conf_str(c, SECTION, "security_name", "");
	if (user[0] != '\0' && secname[0] != '\0')
		return conf_err(c, "security_name", err, errlen,
		    "give user or security_name, not both");
	if (conf_copy(c, user[0] != '\0' ? "user" : "security_name", "", o->user,
	    sizeof o->user, err, errlen) == -1)
		return -1;
	if (conf_copy(c, "auth_password", "", o->auth_pass, sizeof o->auth_pass, err,
	    errlen) == -1)
		return -1;
	if (conf_copy(c, "priv_password", "", o->priv_pass, sizeof o->priv_pass, err,
	    errlen) == -1)
		return -1;

	v = conf_str(c, SECTION, "auth_protocol", "SHA");
	if (strcasecmp(v, "MD5") == 0)
		o->auth = PROBE_SNMP_AUTH_MD5;
	else if (strcasecmp(v, "SHA") == 0 || strcasecmp(v, "SHA1") == 0 ||
	    strcasecmp(v, "SHA-1") == 0)
		o->auth = PROBE_SNMP_AUTH_SHA;
	else if (strcasecmp(v, "SHA-224") == 0 || strcasecmp(v, "SHA224") == 0)
		o->auth = PROBE_SNMP_AUTH_SHA224;
	else if (strcasecmp(v, "SHA-256") == 0 || strcasecmp(v, "SHA256") == 0)
		o->auth = PROBE_SNMP_AUTH_SHA256;
	else if (strcasecmp(v, "SHA-384") == 0 || strcasecmp(v, "SHA384") == 0)
		o->auth = PROBE_SNMP_AUTH_SHA384;
	else if (strcasecmp(v, "SHA-512") == 0 || strcasecmp(v, "SHA512") == 0)
		o->auth = PROBE_SNMP_AUTH_SHA512;
	else {
		snprintf(why, sizeof why, "'%.32s': expected MD5, SHA, SHA-224, SHA-256, "
		    "SHA-384 or SHA-512", v);
		return conf_err(c, "auth_protocol", err, errlen, why);
	}
	v = conf_str(c, SECTION, "priv_protocol", "AES");
	if (strcasecmp(v, "AES") == 0 || strcasecmp(v, "AES128") == 0 ||
	    strcasecmp(v, "AES-128") == 0)
		o->priv = PROBE_SNMP_PRIV_AES;
	else {
		snprintf(why, sizeof why, "'%.32s': expected AES (128-bit CFB, RFC 3826)", v);
		return conf_err(c, "priv_protocol", err, errlen, why);
	}

	/* The level follows from the passwords given, unless it is set. */
	level = conf_str(c, SECTION, "security_level", "");
	if (level[0] == '\0')
		o->level = o->priv_pass[0] ? PROBE_SNMP_AUTHPRIV :
		    o->auth_pass[0] ? PROBE_SNMP_AUTHNOPRIV : PROBE_SNMP_NOAUTH;
	else if (strcasecmp(level, "authPriv") == 0)
		o->level = PROBE_SNMP_AUTHPRIV;
	else if (strcasecmp(level, "authNoPriv") == 0)
		o->level = PROBE_SNMP_AUTHNOPRIV;
	else if (strcasecmp(level, "noAuthNoPriv") == 0)
		o->level = PROBE_SNMP_NOAUTH;
	else {
		snprintf(why, sizeof why, "'%.32s': expected authPriv, authNoPriv or "
		    "noAuthNoPriv", level);
		return conf_err(c, "security_level", err, errlen, why);
	}
	if (o->level == PROBE_SNMP_NOAUTH)
		o->auth = PROBE_SNMP_AUTH_NONE;
	if (o->level != PROBE_SNMP_AUTHPRIV)
		o->priv = PROBE_SNMP_PRIV_NONE;

	if (o->version != 3) {
		if (o->community[0] == '\0')
			return conf_err(c, "community", err, errlen,
			    "missing key (versions 1 and 2c need a community)");
		if (o->user[0] || o->auth_pass[0] || o->priv_pass[0] || level[0])
			return conf_err(c, o->user[0] ? "user" : o->auth_pass[0] ?
			    "auth_password" : o->priv_pass[0] ? "priv_password" :
			    "security_level", err, errlen, "only for version 3");
		return 0;
	}
	if (o->community[0] != '\0')
		return conf_err(c, "community", err, errlen, "only for versions 1 and 2c");
	if (o->user[0] == '\0')
		return conf_err(c, "user", err, errlen, "missing key (version 3 needs a user)");
	if (o->level >= PROBE_SNMP_AUTHNOPRIV && strlen(o->auth_pass) < SNMP_USM_PASS_MIN)
		return conf_err(c, "auth_password", err, errlen, o->auth_pass[0] ?
		    "at least 8 characters (RFC 3414)" : "missing key (needed by the security level)");
	if (o->level == PROBE_SNMP_AUTHPRIV && strlen(o->priv_pass) < SNMP_USM_PASS_MIN)
		return conf_err(c, "priv_password", err, errlen, o->priv_pass[0] ?
		    "at least 8 characters (RFC 3414)" : "missing key (needed by authPriv)");
	return 0;
}
