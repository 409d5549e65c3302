/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SNMP probe: once per interval, GETs to one device (the radio or router of
 * the site) for IF-MIB counters of one interface, radio values and power
 * values at configured numeric OIDs. Asynchronous net-snmp single sessions
 * in the agent's loop; the session is opened (host resolved, SNMPv3 engine
 * discovered) on a helper thread, because both block.
 */
#ifndef COVMON_PROBE_SNMP_H
#define COVMON_PROBE_SNMP_H

#include "conf.h"
#include "loop.h"
#include "sample.h"
#include "snmp_calc.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define SNMP_OID_STR	128
#define SNMP_SECRET	128

/* The values read from configured OIDs, in conf.oid[] order. */
enum probe_snmp_val {
	PROBE_SNMP_SIGNAL,	/* radio_signal_dbm, signal_oid */
	PROBE_SNMP_NOISE,	/* radio_noise_dbm, noise_oid */
	PROBE_SNMP_SNR,		/* radio_snr_db, snr_oid */
	PROBE_SNMP_CCQ,		/* radio_ccq_pct, ccq_oid */
	PROBE_SNMP_POWER,	/* power_mains_up, power_oid */
	PROBE_SNMP_BATTERY,	/* battery_pct, battery_oid */
	PROBE_SNMP_VOLTS,	/* supply_volts, volts_oid */
	PROBE_SNMP_NVAL
};

enum probe_snmp_auth {
	PROBE_SNMP_AUTH_NONE, PROBE_SNMP_AUTH_MD5, PROBE_SNMP_AUTH_SHA,
	PROBE_SNMP_AUTH_SHA224, PROBE_SNMP_AUTH_SHA256, PROBE_SNMP_AUTH_SHA384,
	PROBE_SNMP_AUTH_SHA512
};
enum probe_snmp_priv { PROBE_SNMP_PRIV_NONE, PROBE_SNMP_PRIV_AES };
/* Same numbers as net-snmp's SNMP_SEC_LEVEL_*. */
enum probe_snmp_level {
	PROBE_SNMP_NOAUTH = 1, PROBE_SNMP_AUTHNOPRIV = 2, PROBE_SNMP_AUTHPRIV = 3
};

struct probe_snmp_conf {
	char	host[256];		/* address or name; IPv6 without brackets */
	unsigned port;			/* 161 */
	int	version;		/* 1, 2 (2c) or 3 */
	char	community[SNMP_SECRET];	/* v1, v2c; never logged */
	long	if_index;		/* IF-MIB ifIndex; 0: no IF-MIB metrics */
	double	timeout;		/* seconds per try (1) */
	int	retries;		/* tries after the first (1) */
	char	oid[PROBE_SNMP_NVAL][SNMP_OID_STR];	/* numeric; "" not polled */
	/* The value read x this: volts_scale and battery_scale; the others
	 * have no key (zeroed: x 1). */
	struct snmp_scale scale[PROBE_SNMP_NVAL];
	/* SNMPv3 (USM) */
	char	user[64];
	int	level;			/* enum probe_snmp_level */
	int	auth;			/* enum probe_snmp_auth */
	char	auth_pass[SNMP_SECRET];	/* never logged */
	int	priv;			/* enum probe_snmp_priv */
	char	priv_pass[SNMP_SECRET];	/* never logged */
	/* Read when none of power_oid, battery_oid, volts_oid is set; ""
	 * not read. Not a config key: tests point it at a directory. */
	char	power_sysfs[256];
};

/* Counters since probe_snmp_new: each odd answer is counted, never fatal. */
struct probe_snmp_stats {
	unsigned long	sent;		/* GET requests handed to net-snmp */
	unsigned long	answered;	/* responses matched to a request */
	unsigned long	timeouts;	/* requests that got no answer in time (all tries) */
	unsigned long	send_failed;
	unsigned long	err_status;	/* responses with error-status != 0 */
	unsigned long	nosuch;		/* noSuchObject, noSuchInstance, endOfMibView */
	unsigned long	bad_type;	/* a value of a type that holds no number here */
	unsigned long	bad_value;	/* right type, but not a number or out of range */
	unsigned long	wrong_oid;	/* a response naming other OIDs than the request */
	unsigned long	stale;		/* an answer to an earlier interval's request */
	unsigned long	sec_errors;	/* reports: v3 unknown user, wrong password... */
	unsigned long	restarts;	/* device restarts seen (rates UNKNOWN that interval) */
	unsigned long	opens;		/* sessions opened (v3: engine discovered) */
	unsigned long	open_failed;
};

/* For the technician's report (--once). Holds no secret. */
struct probe_snmp_result {
	char	target[300];		/* host:port, version */
	const char *state;		/* "ok", "no answer", "partial", "opening", "open failed" */
	char	error[192];		/* the last problem in words, "" when none */
	int	counter_bits;		/* 64 (ifHC*), 32 (ifIn/OutOctets) or 0: no rates */
	double	rtt_ms;			/* first answer of the interval; NAN when none */
	double	uptime_s;		/* device sysUpTime; NAN when unknown */
	unsigned asked;			/* requests sent this interval */
	unsigned answered;		/* of which answered */
	const char *power_source;	/* "snmp", "sysfs" or "none" */
	struct probe_snmp_stats stats;
};

struct probe_snmp;

/* Whether this build has the probe (COVMON_AGENT_SNMP); without it,
 * probe_snmp_conf_load refuses the section. */
bool probe_snmp_built(void);

/* The config key of each value's OID, in enum probe_snmp_val order. */
extern const char *const probe_snmp_oid_key[PROBE_SNMP_NVAL];

/* Keys whose values conf_print must mask. */
extern const char *const probe_snmp_secret_keys[];

/*
 * Reads [probe.snmp] (keys in docs/snmp.md). Does not check the OIDs
 * (probe_snmp_new does, with net-snmp's parser). Returns 0, or -1 with err
 * set; a message never holds the community or a password.
 */
int probe_snmp_conf_load(struct conf *c, struct probe_snmp_conf *out, char *err,
    size_t errlen);

/* The effective [probe.snmp], as --check-config prints it: no secret. */
void probe_snmp_conf_print(const struct probe_snmp_conf *c, FILE *out);

/*
 * Initialises net-snmp once per process (no MIB files, no snmp.conf, no
 * persistent state), checks the OIDs, registers a wake-up pipe with the
 * loop and starts the helper thread that opens the session; nothing here
 * waits for the device. Returns NULL with err set.
 */
struct probe_snmp *probe_snmp_new(struct loop *l, const struct probe_snmp_conf *conf,
    char *err, size_t errlen);

/* Sends this interval's GETs at `start` (monotonic seconds), or as soon as
 * the session is open if it is still opening. Answers later than
 * start + duration are counted as stale and ignored. */
void probe_snmp_start(struct probe_snmp *p, double start, double duration);

/*
 * Ends the interval: sets the if_*, radio_* and power metrics in s from
 * what was answered (missing means UNKNOWN), fills res when not NULL, and
 * returns the number of metrics set. Rates need two polls: the first
 * answered poll, and the one after a device restart, give none.
 */
int probe_snmp_finish(struct probe_snmp *p, struct sample *s, struct probe_snmp_result *res);

/* Requests still waiting for an answer or a timeout. */
int probe_snmp_pending(const struct probe_snmp *p);

/* Whether this interval's requests have all been sent and have each been
 * answered or given up on; false while the session is still opening.
 * --once waits on it to take its first poll as the reference of the rates. */
bool probe_snmp_done(const struct probe_snmp *p);

/* Closes the session. Waits for the helper thread when it is still
 * opening (at most the open timeout). NULL is ignored. */
void probe_snmp_free(struct probe_snmp *p);


#endif
